/* detengo's firewall: LOG+DROP rules per host through libiptc, or a dry run */
#ifndef FW_H
#define FW_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* the log prefix that marks detengo's LOG rules (xt_log_info holds 29 bytes) */
#define FW_LOG_PREFIX	"detengo: "

struct fw_conf {
	const char	*chain;		/* NULL: FORWARD; else this chain, made if
					   missing, reached from FORWARD by one
					   "-p tcp --dport P -j CHAIN" per port */
	int		 insert;	/* 1: new rules at the top of the chain */
	const uint16_t	*ports;		/* NULL or nports 0: {25} */
	int		 nports;	/* at most FW_PORTS_MAX */
	int		 dry;		/* 1: the dry backend, nothing changes */
	int		 lockwait;	/* seconds for the xtables lock; 0: XT_LOCK_WAIT */
};

struct fw;

/* host, packets and bytes summed over its DROP rules */
typedef void	(*fw_list_cb)(void *, const struct addr *, uint64_t, uint64_t);

/* NULL and a message in err saying what to fix */
struct fw	*fw_open(const struct fw_conf *, char *, size_t);
void		 fw_close(struct fw *);
/* every host with detengo's rules, IPv4 then IPv6 in chain order; 0 or -1 */
int		 fw_list(struct fw *, fw_list_cb, void *);
/* LOG+DROP per port for hosts not yet present: the number added, or -1 */
int		 fw_add(struct fw *, const struct addr *, size_t);
/* all of detengo's rules of these hosts: the number of hosts, or -1 */
int		 fw_del(struct fw *, const struct addr *, size_t);
/* every detengo rule, the jumps and the chain: the number of hosts, or -1 */
int		 fw_flush(struct fw *);
/* the first FORWARD rule that would ACCEPT our ports ahead of our rules */
const char	*fw_shadowed(struct fw *);

/*
 * Between the two backends only: the ops table fw_open() picks and the
 * host set both use (fw_dry.c keeps its hosts in one, fw_iptc.c builds
 * one from a pass over the chain).
 */
struct fw_ops {
	void		*(*open)(const struct fw_conf *, char *, size_t);
	void		 (*close)(void *);
	int		 (*list)(void *, fw_list_cb, void *);
	int		 (*add)(void *, const struct addr *, size_t);
	int		 (*del)(void *, const struct addr *, size_t);
	int		 (*flush)(void *);
	const char	*(*shadowed)(void *);
};

extern const struct fw_ops fw_dry_ops;

struct fw_host {
	struct addr	 addr;		/* family 0: a deleted slot */
	uint64_t	 pkts;		/* summed over the DROP rules */
	uint64_t	 bytes;
	uint32_t	 logbits;	/* bit i: a LOG rule for ports[i] */
	uint32_t	 dropbits;	/* bit i: a DROP rule for ports[i] */
	uint32_t	 mark;		/* free for the caller */
};

struct fw_set {
	struct fw_host	*v;		/* in insertion order */
	size_t		 n;		/* used slots of v, deleted ones included */
	size_t		 cap;
	size_t		 live;
	uint32_t	*idx;		/* open addressing: index into v plus 1 */
	size_t		 nidx;		/* a power of two, at least 2 * n */
	uint64_t	 seed;
};

int		 fw_set_init(struct fw_set *, size_t);
void		 fw_set_free(struct fw_set *);
void		 fw_set_clear(struct fw_set *);
struct fw_host	*fw_set_get(const struct fw_set *, const struct addr *);
struct fw_host	*fw_set_put(struct fw_set *, const struct addr *);
int		 fw_set_del(struct fw_set *, const struct addr *);
int		 fw_addr_norm(const struct addr *, struct addr *);

#endif /* FW_H */
