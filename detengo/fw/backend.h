/* between the firewall's front door (fw.c) and its backends only */
#ifndef FW_BACKEND_H
#define FW_BACKEND_H

#include "fw.h"

/* the options of struct fw_conf a backend takes */
#define FW_OPT_CHAIN	0x01	/* -c */
#define FW_OPT_INSERT	0x02	/* -I */
#define FW_OPT_LOCKWAIT	0x04	/* -W */

/*
 * One backend.  open gets a checked configuration (ports set, no option
 * it does not take) and owns its messages; every other function gets
 * what open returned.  NULL open: not built into this detengo.  NULL
 * check, advise, shadowed, tick: nothing to check, say or watch.
 */
struct fw_backend {
	const char	*name;
	int		 caps;		/* FW_CAN_*, FW_KEEPS */
	int		 opts;		/* FW_OPT_* */
	int		 tick_ms;	/* with tick: fw_tick() at least this often */
	void		*(*open)(const struct fw_conf *, char *, size_t);
	void		 (*close)(void *);
	/* its own options, also for a dry run: 0, or -1 and a message */
	int		 (*check)(const struct fw_conf *, char *, size_t);
	/* where its blocks are, for the block report; may run without open */
	const char	*(*where)(const struct fw_conf *);
	void		 (*advise)(void *);
	int		 (*list)(void *, fw_list_cb, void *);
	int		 (*add)(void *, const struct addr *, const int64_t *,
			    size_t);
	int		 (*del)(void *, const struct addr *, size_t);
	int		 (*flush)(void *);
	const char	*(*shadowed)(void *);
	int		 (*tick)(void *);
};

/* the wall clock in ms (the ends of blocks are wall-clock seconds) */
int64_t		 fw_now_ms(void);

/* the xtables lock the iptc and ipset backends take around a commit */
const char	*fw_xt_lockpath(void);
/* the locked fd, or -1 and a message saying who holds it */
int		 fw_xt_lock(const char *, int, char *, size_t);
/* a name iptables takes for a chain of its own: 1 or 0 */
int		 fw_xt_chain_ok(const char *);

extern const struct fw_backend fw_iptc_backend;
extern const struct fw_backend fw_ipset_backend;
extern const struct fw_backend fw_dry_backend;
extern const struct fw_backend fw_nft_backend;

#endif /* FW_BACKEND_H */
