/*
 * The signatures of -m shared: what marks a spam bot where any host may
 * send mail.  Pure: observations in, a verdict out, no I/O.  Windows
 * are counted in the events' own times, so a log replayed decides what
 * the live run decided.  Memory per host is bounded (bounds.h, SIG_*)
 * and a host's entry is dropped once its newest observation has left
 * every window, or, when SIG_HOSTS_MAX are tracked, the stalest goes.
 */
#ifndef SIG_H
#define SIG_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

enum sig_kind {
	SIG_MX,			/* MX lookups for N distinct names */
	SIG_SERVERS,		/* N distinct mail servers */
	SIG_LISTED,		/* N refusals naming a blocklist */
	SIG_RATIO,		/* PCT % of at least N MAIL/RCPT refused */
	SIG_N
};

struct sig_rule {
	int		 on;
	unsigned	 count;		/* N */
	unsigned	 window;	/* seconds */
	unsigned	 pct;		/* SIG_RATIO only */
};

struct sig_conf {
	struct sig_rule	 r[SIG_N];
};

enum sig_obs_kind {
	SIG_OBS_MX,		/* key: the name looked up */
	SIG_OBS_SERVER,		/* key: the server, "a:ADDR" or "n:NAME" */
	SIG_OBS_ATTEMPT,	/* a MAIL or RCPT sent */
	SIG_OBS_REFUSED,	/* a MAIL or RCPT refused */
	SIG_OBS_LISTED		/* a refusal naming a blocklist */
};

struct sig_obs {
	enum sig_obs_kind kind;
	int64_t		 sec;		/* the event's time */
	uint32_t	 sid;
	const char	*key;
	size_t		 keylen;
};

/* what fired, and the evidence: the count, the window, the sids */
struct sig_hit {
	enum sig_kind	 kind;
	unsigned	 count;		/* distinct names, servers, refusals */
	unsigned	 total;		/* SIG_RATIO: the MAIL/RCPT counted */
	unsigned	 window;
	uint32_t	 sids[SIG_SIDS_MAX];
	unsigned	 nsids;
};

struct sig;

void		 sig_defaults(struct sig_conf *);
int		 sig_parse(const char *, struct sig_conf *, char *, size_t);
struct sig	*sig_new(const struct sig_conf *);
void		 sig_free(struct sig *);
int		 sig_observe(struct sig *, const struct addr *,
		    const struct sig_obs *, struct sig_hit *);
void		 sig_forget(struct sig *, const struct addr *);
size_t		 sig_hosts(const struct sig *);
size_t		 sig_bytes(const struct sig *);
const char	*sig_name(enum sig_kind);
void		 sig_describe(const struct sig_conf *, char *, size_t);

#endif /* SIG_H */
