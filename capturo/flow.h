/* the table of TCP connections to watched ports, and the events they make */
#ifndef FLOW_H
#define FLOW_H

#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "event.h"

struct flow_conf {
	size_t		 maxflows;	/* FLOWS_MAX_DEFAULT */
	unsigned	 idle;		/* seconds: FLOW_IDLE_DEFAULT */
	const uint16_t	*ports;		/* the servers' ports */
	int		 nports;
	size_t		 reasm_mem;	/* REASM_MEM_MAX */
	size_t		 smtp_mem;	/* SMTP_MEM_MAX */
	int		 dns;		/* MX queries to port 53: mx events */
};

struct flow_stats {
	uint64_t	 flows;		/* connections followed */
	uint64_t	 active;	/* open now */
	uint64_t	 events;
	uint64_t	 evicted;
	uint64_t	 gapbytes;	/* bytes never seen, skipped */
	uint64_t	 nomem;		/* flows or parsers refused for lack of memory */
};

/* each event line, ready in the ev_buf; its values live until return */
typedef void	 flow_out_fn(void *, struct ev_buf *);

struct flowtab;

struct flowtab	*flow_new(const struct flow_conf *, flow_out_fn *, void *);
void		 flow_packet(struct flowtab *, int64_t, uint32_t,
		    const struct pkt *);
void		 flow_udp(struct flowtab *, int64_t, uint32_t,
		    const struct pkt *);
void		 flow_expire(struct flowtab *, int64_t, uint32_t);
void		 flow_endall(struct flowtab *, int64_t, uint32_t);
void		 flow_stats(const struct flowtab *, struct flow_stats *);
void		 flow_free(struct flowtab *);

#endif /* FLOW_H */
