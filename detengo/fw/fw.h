/*
 * detengo's firewall: one front door to the backends that hold its blocks.
 * detengo.c includes this file alone; only fw.c and the backends include
 * backend.h.
 *
 * To add a backend, say "pf":
 *  - write fw/pf.c with one `const struct fw_backend fw_pf_backend`, the
 *    struct of backend.h: its name, caps (FW_CAN_*, FW_KEEPS), the options
 *    it takes (FW_OPT_*) and its functions; dry.c is the smallest one;
 *  - declare it at the foot of backend.h and register it in backends[] at
 *    the top of fw.c (the first one there is the default);
 *  - add fw/pf.c to DETENGO_SRCS in the Makefile, its library to FW_LIBS,
 *    and its -dev package to tests/deps.sh and debian/control;
 *  - copy tests/e2e_nft.sh to tests/e2e_pf.sh (blocks on the wire, --list,
 *    kill -9 and restart, a firewall reload, the allow list at SIGHUP,
 *    IPv6) and name it in tests/run.sh; tests/unit/t_fw.c drives any
 *    backend by -b NAME, and its selftest checks the name is known.
 */
#ifndef FW_H
#define FW_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"

/* the log prefix that marks detengo's LOG rules (xt_log_info holds 29 bytes) */
#define FW_LOG_PREFIX	"detengo: "

/* what a backend can do, fw_caps() */
#define FW_CAN_EXPIRE	0x01	/* the kernel lifts a block at its time */
#define FW_CAN_COUNT	0x02	/* packets and bytes stopped, per host */
#define FW_KEEPS	0x04	/* keeps its own record and puts its objects
				   back after a firewall reload (fw_tick) */

struct fw_conf {
	const char	*backend;	/* NULL: "iptc" */
	const char	*chain;		/* iptc, ipset: NULL: FORWARD; else this
					   chain, made if missing, reached from
					   FORWARD by one jump per port */
	int		 insert;	/* iptc, ipset: rules at the top */
	const uint16_t	*ports;		/* NULL or nports 0: {25} */
	int		 nports;	/* at most FW_PORTS_MAX */
	int		 dry;		/* 1: the dry backend, nothing changes */
	int		 lockwait;	/* iptc, ipset: seconds for the xtables
					   lock; 0: XT_LOCK_WAIT */
};

struct fw;

/*
 * host, packets and bytes stopped (0 without FW_CAN_COUNT), the time
 * its block ends as the firewall holds it (0: never; -1: the firewall
 * keeps no time), and the time it was made as the firewall holds it,
 * in milliseconds since the epoch (0: the firewall does not say)
 */
typedef void	(*fw_list_cb)(void *, const struct addr *, uint64_t, uint64_t,
		    int64_t, int64_t);

/* 1 if a backend of this name exists, built or not */
int		 fw_backend_known(const char *);
/* the backends' names, for messages: "iptc, ipset, nft" */
const char	*fw_backend_names(void);

/* NULL and a message in err saying what to fix */
struct fw	*fw_open(const struct fw_conf *, char *, size_t);
void		 fw_close(struct fw *);
const char	*fw_name(const struct fw *);
int		 fw_caps(const struct fw *);
/* where the blocks are, for the block report: "FORWARD", a chain, ... */
const char	*fw_where(const struct fw *);
/* log what the administrator should know before the first block */
void		 fw_advise(struct fw *);
/* every host blocked, IPv4 then IPv6; 0 or -1 */
int		 fw_list(struct fw *, fw_list_cb, void *);
/*
 * Block the hosts not yet blocked: until[i] is the time host i's block
 * ends (until NULL or 0: never), which the kernel enforces with
 * FW_CAN_EXPIRE.  A present host gets its new time.  The number of
 * hosts newly blocked, or -1.
 */
int		 fw_add(struct fw *, const struct addr *, const int64_t *,
		    size_t);
/* lift these hosts' blocks: the number of hosts, or -1 */
int		 fw_del(struct fw *, const struct addr *, size_t);
/* everything detengo made: the number of hosts, or -1 */
int		 fw_flush(struct fw *);
/* the first rule that would accept our ports ahead of ours, or NULL */
const char	*fw_shadowed(struct fw *);
/*
 * Check cheaply whether a reload took what the backend made.  With
 * FW_KEEPS the backend puts it back itself, saying so in one line, and
 * returns 0 or -1.  Without, it returns 1 when the table changed since
 * its last change: the caller then lists the table (fw_list) and adds
 * the blocks it misses (fw_add).  Call it at least every fw_tick_ms()
 * milliseconds (0: the backend has nothing to watch).
 */
int		 fw_tick(struct fw *);
int		 fw_tick_ms(const struct fw *);

#endif /* FW_H */
