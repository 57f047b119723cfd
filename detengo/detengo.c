/* detengo: follow capturo's event log and stop the hosts that send mail */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <net/if.h>

#include <errno.h>
#include <getopt.h>
#include <ifaddrs.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "ascii.h"
#include "bounds.h"
#include "event.h"
#include "evout.h"
#include "exits.h"
#include "fw/fw.h"
#include "hset.h"
#include "log.h"
#include "metrics.h"
#include "notify.h"
#include "policy.h"
#include "ports.h"
#include "sig.h"
#include "state.h"
#include "tail.h"
#include "wake.h"
#include "why.h"

#define STATE_DEFAULT	"/var/lib/detengo/state"
/*
 * -m shared: the volume signature's default, -t 50/3600: 50 messages
 * in an hour is no person's pace, and well above a laptop's
 */
#define SHARED_VOLUME_COUNT	50
#define SHARED_VOLUME_WINDOW	3600
/* addresses of this machine remembered: a NAT gateway's outside one */
#define OWN_MAX		64
/* seconds between checks that the rules are still in the table */
#define CHECK_EVERY	30
/* milliseconds between saves of the position when nothing was blocked */
#define SAVE_EVERY_MS	1000
/* malformed lines reported one by one, then every REPORT_EVERY-th */
#define REPORT_FIRST	20
#define REPORT_EVERY	1000

static volatile sig_atomic_t	 sig_stop, sig_hup, sig_usr1;

/* a host to block, with the event that decided it */
struct pending {
	struct addr	 host;
	char		 sid[12];
	char		 src[HOSTPORT_STRLEN];
	char		 mac[24];
	char		 reason[EVENT_NAME_MAX];	/* the trigger or signature */
	char		 evidence[32];		/* "COUNT/SECONDS" */
	char		 sids[SIG_SIDS_MAX * 9];	/* shared mode: the evidence */
	char		*lines;		/* its trigger lines, the last decided */
	int64_t		 read;		/* when its line was read, ns */
};

/* what the command line asks, before anything is opened */
struct opts {
	struct policy_conf pc;
	struct cidr	*allow;
	size_t		 nallow;
	const char	*wfile, *unblock, *triggers, *logpath, *why;
	int		 cmd, debug, usesyslog, nports;
	int		 portsgiven, tgiven, tset;
	struct sig_conf	 sc;
};

/* the latency histogram's bounds, seconds: line read to rules in the kernel */
static const double lat_le[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
    0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define LAT_N	(sizeof(lat_le) / sizeof(lat_le[0]))

/* the reasons of a lift, and the skips, as the report lines name them */
static const char *const unblock_why[] = { "expired", "allowed", "manual" };
static const char *const skip_why[] = { "allowed", "already", "threshold" };
/* a block's reason: the trigger event (strict), or the signature (shared) */
static const char *const trig_names[] = { "connect", "helo", "auth",
    "starttls", "mail", "rcpt", "message", "mx-fanout", "server-fanout",
    "blocklisted", "refusal-ratio", "volume" };
#define NELEM(a)	(sizeof(a) / sizeof((a)[0]))

/* a trigger line of the last few, to find a host's earlier ones */
struct trig {
	struct addr	 host;
	size_t		 len;
	char		*line;		/* malloc'd, len bytes */
};

static struct {
	/* configuration */
	const char	*logpath;
	const char	*statepath;
	const char	*allowfile;
	const char	*metricspath;
	const char	*program;		/* -e */
	int		 exectimeout;
	int		 dry, once, fromstart;
	int		 shared;		/* -m shared */
	struct sig	*sig;
	struct addr	 own[OWN_MAX];		/* this machine's addresses */
	size_t		 nown;
	char		 lift[PATH_MAX + 128];
	int64_t		 expire;		/* seconds, 0: never */
	struct fw_conf	 fwc;
	uint16_t	 ports[FW_PORTS_MAX];
	char		 portlist[FW_PORTS_MAX * 6];

	/* running */
	struct fw	*fw;
	struct policy	*pol;
	struct state	 st;
	struct tail	*tail;
	struct evout	 out;
	struct pending	*pend;
	size_t		 npend;
	struct hset	 pendset;		/* the hosts in pend */
	int		 dirty;			/* state changed, not saved */
	uint64_t	 lines, malformed, unknown, blocks, skips;
	int		 failed;		/* a commit failed: exit 1 */

	/* for -M */
	uint64_t	 mblocks[NELEM(trig_names) + 1];	/* + other */
	uint64_t	 munblocks[NELEM(unblock_why)];
	uint64_t	 mskips[NELEM(skip_why)];
	uint64_t	 fwerrors, rebuilds;
	uint64_t	 latcounts[LAT_N + 1];
	struct mhist	 lat;
	int64_t		 started, lastmetrics;
	int		 mwarned;

	/* for --why: the last trigger lines (with -t) */
	struct trig	*trigs;
	size_t		 ntrig;
	char		 evidence[32];		/* "COUNT/SECONDS" */
} g;

static void
usage(FILE *f)
{
	fprintf(f,
"usage: detengo [-dInSv] [-a cidr] [-A file] [-b backend] [-c chain]\n"
"               [-e program] [-g signature=spec] [-M file]\n"
"               [-m strict|shared] [-p ports] [-s statefile]\n"
"               [-t count/seconds] [-T triggers] [-w file] [-W seconds]\n"
"               [-x duration] [--exec-timeout seconds] [--once]\n"
"               [--from-start] logfile | -\n"
"       detengo [-n] [-b backend] [-c chain] [-e program] [-p ports]\n"
"               [-s statefile] --list | --unblock host | --flush\n"
"       detengo [-a cidr] [-A file] [-s statefile] --why host\n");
}

/*
 * Wait ms, or until a signal.  The byte is taken: the flags stay set for
 * the loop, and a notice's end is reaped at its next turn anyway.
 */
static void
nap(int ms)
{
	struct pollfd	 pfd;

	pfd.fd = wake_fd();
	pfd.events = POLLIN;
	if (poll(&pfd, 1, ms) > 0)
		wake_drain();
}

/* a notice ended: the signal only wakes the loop, which reaps it */
static void
on_child(int sig)
{
	(void)sig;
	wake_signal();
}

static void
on_signal(int sig)
{
	if (sig == SIGHUP)
		sig_hup = 1;
	else if (sig == SIGUSR1)
		sig_usr1 = 1;
	else
		sig_stop = 1;
	wake_signal();
}

static int64_t
now_sec(void)
{
	return (int64_t)time(NULL);
}

/* --- reporting --- */

static void
report_start(struct ev_buf *b, const char *name)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	event_begin(b, (int64_t)ts.tv_sec, (uint32_t)(ts.tv_nsec / 1000),
	    name);
}

static void
report(struct ev_buf *b)
{
	if (evout_event(&g.out, b) == -1 && !sig_stop) {
		log_warnx("report output closed by its reader; stopping");
		sig_stop = 1;
	}
}

static void
report_block(const struct pending *p, int64_t until)
{
	struct ev_buf	 b;
	char		 host[ADDR_STRLEN], ut[32];

	addr_fmt(&p->host, host, sizeof(host));
	report_start(&b, "block");
	if (p->sid[0])
		event_adds(&b, "sid", p->sid);
	if (p->src[0])
		event_adds(&b, "src", p->src);
	if (p->mac[0])
		event_adds(&b, "mac", p->mac);
	event_adds(&b, "host", host);
	event_adds(&b, "chain", fw_where(g.fw));
	event_adds(&b, "ports", g.portlist);
	if (until) {
		event_utc(until, -1, ut, sizeof(ut));
		event_adds(&b, "until", ut);
	}
	if (p->reason[0])
		event_adds(&b, "reason", p->reason);
	if (p->sids[0]) {
		event_adds(&b, "evidence", p->evidence);
		event_adds(&b, "sids", p->sids);
	}
	report(&b);
}

static size_t
name_index(const char *const *names, size_t n, const char *name)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return i;
	return n;
}

/* a block is in the kernel: the evidence, the count, the notice */
static void
blocked(const struct pending *p, int64_t since, int64_t until, int64_t now_ns)
{
	struct notice	 nt;
	char		 host[ADDR_STRLEN];
	const char	*last;
	size_t		 i;

	addr_fmt(&p->host, host, sizeof(host));
	why_block(host, since, until, p->reason, p->evidence,
	    p->lines != NULL ? p->lines : "");
	g.mblocks[name_index(trig_names, NELEM(trig_names), p->reason)]++;
	if (p->read != 0)
		mhist_observe(&g.lat, (double)(now_ns - p->read) / 1e9);
	if (g.dry)
		return;
	memset(&nt, 0, sizeof(nt));
	nt.action = "block";
	nt.host = host;
	nt.reason = p->reason;
	nt.mac = p->mac;
	nt.sid = p->sid;
	last = p->lines != NULL ? p->lines : "";
	for (i = 0; p->lines != NULL && p->lines[i] != '\0'; i++)
		if (p->lines[i] == '\n' && p->lines[i + 1] != '\0')
			last = p->lines + i + 1;
	nt.event = last;
	nt.until = until;
	notify(&nt);
}

/* a block is lifted from the kernel */
static void
lifted(const struct addr *a, const char *why)
{
	struct notice	 nt;
	char		 host[ADDR_STRLEN];
	size_t		 i;

	addr_fmt(a, host, sizeof(host));
	why_lift(host, now_sec(), why);
	if ((i = name_index(unblock_why, NELEM(unblock_why), why)) <
	    NELEM(unblock_why))
		g.munblocks[i]++;
	if (g.dry)
		return;
	memset(&nt, 0, sizeof(nt));
	nt.action = "unblock";
	nt.host = host;
	nt.reason = why;
	notify(&nt);
}

static void
report_unblock(const struct addr *a, const char *why)
{
	struct ev_buf	 b;
	char		 host[ADDR_STRLEN];

	addr_fmt(a, host, sizeof(host));
	report_start(&b, "unblock");
	event_adds(&b, "host", host);
	event_adds(&b, "reason", why);
	report(&b);
	lifted(a, why);
}

static void
report_skip(const char *sid, const char *src, const struct addr *a,
    const char *why)
{
	struct ev_buf	 b;
	char		 host[ADDR_STRLEN];
	size_t		 i;

	if ((i = name_index(skip_why, NELEM(skip_why), why)) <
	    NELEM(skip_why))
		g.mskips[i]++;

	addr_fmt(a, host, sizeof(host));
	report_start(&b, "skip");
	event_adds(&b, "sid", sid);
	event_adds(&b, "src", src);
	event_adds(&b, "host", host);
	event_adds(&b, "reason", why);
	report(&b);
	g.skips++;
}

/* --- state --- */

static void
save_state(void)
{
	if (g.statepath == NULL || !g.dirty)
		return;
	/*
	 * The place in the log moves on only when every block decided
	 * before it is in the table: after a failed commit a restart
	 * reads those lines again.
	 */
	if (g.tail != NULL && strcmp(g.logpath, "-") != 0 && g.npend == 0) {
		tail_getpos(g.tail, &g.st.pos);
		g.st.havepos = 1;
	}
	if (state_save(g.statepath, &g.st) == -1)
		log_warn("%s: cannot save the state", g.statepath);
	else
		g.dirty = 0;
}

/* --- acting --- */

/* the first n bytes of s, cut to fit size with its NUL */
static void
copy_cut(char *dst, size_t size, const char *s, size_t n)
{
	if (n >= size)
		n = size - 1;
	memcpy(dst, s, n);
	dst[n] = '\0';
}

static int
pending_has(const struct addr *a)
{
	return hset_get(&g.pendset, a) != NULL;
}

/*
 * Block every pending host in one commit per family, then report: a
 * block is reported only once its rules are in the table.
 */
static void
commit_pending(void)
{
	struct addr	*hosts;
	int64_t		*untils;
	size_t		 i;
	int64_t		 now = now_sec(), until, ns;
	struct timespec	 ts;

	if (g.npend == 0)
		return;
	until = g.expire ? now + g.expire : 0;
	if ((hosts = calloc(g.npend, sizeof(*hosts))) == NULL ||
	    (untils = calloc(g.npend, sizeof(*untils))) == NULL)
		fatal("calloc");
	for (i = 0; i < g.npend; i++) {
		hosts[i] = g.pend[i].host;
		untils[i] = until;
	}
	if (fw_add(g.fw, hosts, untils, g.npend) == -1) {
		/* fw_add re-read the table and tried once more already */
		log_warnx("blocking %zu hosts failed; trying again with the "
		    "next event", g.npend);
		g.failed = 1;
		g.fwerrors++;
		free(hosts);
		free(untils);
		return;
	}
	free(hosts);
	free(untils);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ns = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	for (i = 0; i < g.npend; i++) {
		if (state_add(&g.st, &g.pend[i].host, now, until) == -1)
			log_warn("state: cannot record a block");
		report_block(&g.pend[i], until);
		blocked(&g.pend[i], now, until, ns);
		free(g.pend[i].lines);
		g.pend[i].lines = NULL;
		g.blocks++;
	}
	switch (why_flush()) {
	case -1:
		log_warn("%s.why: cannot write the evidence", g.statepath);
		break;
	case 1:
		if (why_compact(g.statepath, &g.st) == -1)
			log_warn("%s.why: cannot rewrite", g.statepath);
		break;
	}
	/* the block lines of one commit in one write(2) */
	if (evout_sync(&g.out) == -1 && !sig_stop) {
		log_warnx("report output closed by its reader; stopping");
		sig_stop = 1;
	}
	g.npend = 0;
	hset_clear(&g.pendset);
	g.dirty = 1;
	g.failed = 0;
	/*
	 * Saving rewrites the whole state: with 100,000 hosts that is
	 * 20 ms, which would be every block's.  A backend that keeps its
	 * record reads its sets at start, so a block not yet saved when
	 * detengo is killed is taken up then (skip reason=already, never
	 * a second block): its state is saved within SAVE_EVERY_MS.
	 */
	if (!(fw_caps(g.fw) & FW_KEEPS))
		save_state();
}

/* a port detengo blocks: only mail to those ports counts toward a block */
static int
blocked_port(uint16_t port)
{
	int	 i;

	for (i = 0; i < g.fwc.nports; i++)
		if (g.fwc.ports[i] == port)
			return 1;
	return 0;
}

/*
 * A STARTTLS the server refused starts nothing: the client goes on in
 * the clear, and its MAIL FROM counts.  Without a reply (the server's
 * side not captured) it counts.
 */
static int
refused_starttls(const struct ev_rec *rec)
{
	const char	*v;
	size_t		 len;

	if (strcmp(rec->name, "starttls") != 0 ||
	    (v = event_get(rec, "reply", &len)) == NULL)
		return 0;
	return len != 3 || memcmp(v, "220", 3) != 0;
}

/*
 * With -t a block follows several trigger lines: the last WHY_RING of
 * all hosts are kept, so that a block's evidence holds its earlier ones
 */
static void
trig_keep(const struct addr *src, const char *p, size_t len)
{
	struct trig	*t;

	if (g.trigs == NULL)
		return;
	t = &g.trigs[g.ntrig++ % WHY_RING];
	t->host = *src;
	free(t->line);
	t->len = len < WHY_LINE_MAX ? len : WHY_LINE_MAX;
	if ((t->line = malloc(t->len ? t->len : 1)) == NULL)
		t->len = 0;
	else
		memcpy(t->line, p, t->len);
}

/* the pending block of src: the trigger, the MAC and the lines */
static void
pend_fill(struct pending *pe, const struct ev_rec *rec, const struct addr *src,
    const char *p, size_t len)
{
	struct timespec	 ts;
	const char	*m;
	size_t		 mlen, i, k, n = 0, sz, off = 0;
	const struct trig *t, *found[WHY_LINES_MAX];

	pe->host = *src;
	copy_cut(pe->reason, sizeof(pe->reason), rec->name, strlen(rec->name));
	snprintf(pe->evidence, sizeof(pe->evidence), "%s", g.evidence);
	pe->sids[0] = '\0';
	pe->mac[0] = '\0';
	if ((m = event_get(rec, "mac", &mlen)) != NULL)
		copy_cut(pe->mac, sizeof(pe->mac), m, mlen);
	clock_gettime(CLOCK_MONOTONIC, &ts);
	pe->read = (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
	free(pe->lines);
	pe->lines = NULL;
	/* the newest first: the trigger line itself is the ring's last */
	if (g.trigs != NULL)
		for (i = 0; i < WHY_RING && i < g.ntrig &&
		    n < WHY_LINES_MAX; i++) {
			t = &g.trigs[(g.ntrig - 1 - i) % WHY_RING];
			if (addr_eq(&t->host, src))
				found[n++] = t;
		}
	sz = (len < WHY_LINE_MAX ? len : WHY_LINE_MAX) + 2;
	for (k = 0; k < n; k++)
		sz += found[k]->len + 1;
	if ((pe->lines = malloc(sz)) == NULL)
		return;
	/* oldest first, the deciding line last */
	if (n == 0) {
		n = 1;
		memcpy(pe->lines, p, sz - 2);
		off = sz - 2;
	} else
		for (k = n; k-- > 0; ) {
			memcpy(pe->lines + off, found[k]->line, found[k]->len);
			off += found[k]->len;
			if (k > 0)
				pe->lines[off++] = '\n';
		}
	pe->lines[off] = '\0';
}

/*
 * A place in the batch for host a, or NULL.  A full batch the firewall
 * refuses: wait for it rather than drop a host (the place in the log
 * does not move meanwhile).  --once or a signal gives up: the line is
 * read again at the next start.
 */
static struct pending *
pend_new(const struct addr *a)
{
	if (g.npend == FW_BATCH_MAX)
		commit_pending();
	while (g.npend == FW_BATCH_MAX && !g.once && !sig_stop) {
		nap(1000);
		commit_pending();
	}
	if (g.npend == FW_BATCH_MAX)
		return NULL;
	if (hset_put(&g.pendset, a) == NULL) {
		/* out of memory: what is pending goes now */
		commit_pending();
		if (g.npend != 0 || hset_put(&g.pendset, a) == NULL) {
			log_warn("cannot hold a host to block");
			return NULL;
		}
	}
	return &g.pend[g.npend];
}

/* the events shared mode reads besides the triggers */
static int
shared_event(const char *name)
{
	return strcmp(name, "mx") == 0 || strcmp(name, "tls") == 0 ||
	    strcmp(name, "refused") == 0 || strcmp(name, "connect") == 0 ||
	    strcmp(name, "mail") == 0 || strcmp(name, "rcpt") == 0;
}

/* one of this machine's addresses (a NAT gateway's outside one) */
static int
own_addr(const struct addr *a)
{
	size_t	 i;

	for (i = 0; i < g.nown; i++)
		if (addr_eq(&g.own[i], a))
			return 1;
	return 0;
}

/*
 * A refusal that names a blocklist counts against the client only if
 * the address it names, when it names one, is the client's own, or
 * this gateway's (the address the server saw, behind NAT)
 */
static int
listed_here(const struct ev_rec *rec, const struct addr *src)
{
	const char	*v;
	size_t		 len;
	char		 buf[ADDR_STRLEN + 1];
	struct addr	 a, u;

	if (event_get(rec, "listed", NULL) == NULL)
		return 0;
	if ((v = event_get(rec, "named", &len)) == NULL)
		return 1;
	if (len >= sizeof(buf))
		return 0;
	memcpy(buf, v, len);
	buf[len] = '\0';
	if (addr_parse(buf, &u) == -1)
		return 0;
	addr_unmap(&u, &a);
	return addr_eq(&a, src) || own_addr(&a);
}

/* the sid field as a number, for the evidence */
static uint32_t
sid_num(const struct ev_rec *rec)
{
	const char	*v;
	size_t		 len, i;
	uint32_t	 n = 0;

	if ((v = event_get(rec, "sid", &len)) == NULL)
		return 0;
	for (i = 0; i < len && i < 8; i++)
		n = n << 4 | (uint32_t)(v[i] <= '9' ? v[i] - '0' :
		    (v[i] | 0x20) - 'a' + 10);
	return n;
}

/*
 * The server an observation counts: "n:NAME" for a TLS server name of
 * the key's room (lower case: names compare so), else "a:ADDR"; its
 * length
 */
static size_t
server_key(char *key, size_t size, const struct addr *dst, const char *sni,
    size_t snilen)
{
	char	 a[ADDR_STRLEN];
	size_t	 i;

	if (sni != NULL && snilen + 3 < size) {
		memcpy(key, "n:", 2);
		for (i = 0; i < snilen; i++)
			key[2 + i] = (char)ascii_lower((unsigned char)sni[i]);
		key[2 + snilen] = '\0';
		return snilen + 2;
	}
	addr_fmt(dst, a, sizeof(a));
	return (size_t)snprintf(key, size, "a:%s", a);
}

/*
 * Shared mode: the observations of one event, and a block when a
 * signature fires.  1 when the line is done with (a block queued, or
 * the host never to be blocked or blocked already), 0 to go on to the
 * volume threshold (-t).
 */
static int
shared_line(const struct ev_rec *rec, const struct addr *src,
    const struct addr *dst, uint16_t dport, const char *p, size_t len,
    const char *v, size_t vlen)
{
	struct sig_obs	 o[3];
	struct sig_hit	 hit;
	struct pending	*pe;
	char		 key[300];
	const char	*k;
	size_t		 klen, i, n = 0, off;
	uint32_t	 sid;
	int		 fired = 0;

	if (policy_allowed(g.pol, src))
		return 1;
	if (state_find(&g.st, src) != NULL || pending_has(src))
		return 1;
	memset(o, 0, sizeof(o));
	sid = sid_num(rec);
	for (i = 0; i < 3; i++) {
		o[i].sec = rec->sec;
		o[i].sid = sid;
	}
	if (strcmp(rec->name, "mx") == 0) {
		if ((k = event_get(rec, "name", &klen)) == NULL)
			return 1;
		o[n].kind = SIG_OBS_MX;
		o[n].key = k;
		o[n++].keylen = klen;
	} else if (strcmp(rec->name, "connect") == 0) {
		/* direct to MX: the server is its address */
		if (dport == 25) {
			o[n].kind = SIG_OBS_SERVER;
			o[n].key = key;
			o[n++].keylen = server_key(key, sizeof(key), dst,
			    NULL, 0);
		}
	} else if (strcmp(rec->name, "tls") == 0) {
		/* submission: the server is the name asked for, if any */
		if (dport != 25) {
			k = event_get(rec, "sni", &klen);
			o[n].kind = SIG_OBS_SERVER;
			o[n].key = key;
			o[n++].keylen = server_key(key, sizeof(key), dst, k,
			    k != NULL ? klen : 0);
		}
	} else if (strcmp(rec->name, "mail") == 0 ||
	    strcmp(rec->name, "rcpt") == 0) {
		/* submission in the clear: the server is its address */
		if (dport != 25 && strcmp(rec->name, "mail") == 0) {
			o[n].kind = SIG_OBS_SERVER;
			o[n].key = key;
			o[n++].keylen = server_key(key, sizeof(key), dst,
			    NULL, 0);
		}
		o[n++].kind = SIG_OBS_ATTEMPT;
	} else if (strcmp(rec->name, "refused") == 0) {
		if ((k = event_get(rec, "verb", &klen)) != NULL && klen == 4 &&
		    (memcmp(k, "MAIL", 4) == 0 || memcmp(k, "RCPT", 4) == 0))
			o[n++].kind = SIG_OBS_REFUSED;
		if (listed_here(rec, src))
			o[n++].kind = SIG_OBS_LISTED;
	}
	for (i = 0; i < n && !fired; i++) {
		switch (sig_observe(g.sig, src, &o[i], &hit)) {
		case -1:
			log_warn("shared mode: an observation lost");
			break;
		case 1:
			fired = 1;
			break;
		}
	}
	if (!fired)
		return 0;
	sig_forget(g.sig, src);
	if ((pe = pend_new(src)) == NULL)
		return 1;
	pend_fill(pe, rec, src, p, len);
	k = event_get(rec, "sid", &klen);
	copy_cut(pe->sid, sizeof(pe->sid), k, k != NULL ? strnlen(k, 8) : 0);
	copy_cut(pe->src, sizeof(pe->src), v, vlen);
	copy_cut(pe->reason, sizeof(pe->reason), sig_name(hit.kind),
	    strlen(sig_name(hit.kind)));
	if (hit.kind == SIG_RATIO)
		snprintf(pe->evidence, sizeof(pe->evidence), "%u/%u/%u",
		    hit.count, hit.total, hit.window);
	else
		snprintf(pe->evidence, sizeof(pe->evidence), "%u/%u",
		    hit.count, hit.window);
	for (i = 0, off = 0; i < hit.nsids && off < sizeof(pe->sids); i++)
		off += (size_t)snprintf(pe->sids + off, sizeof(pe->sids) - off,
		    "%s%08x", i ? "," : "", hit.sids[i]);
	g.npend++;
	return 1;
}

/* one line of the log */
static void
on_line(void *ctx, const char *p, size_t len, int flags)
{
	struct ev_rec	 rec;
	struct addr	 src, dst;
	const char	*why = NULL, *v = NULL, *d, *sid;
	size_t		 vlen = 0, dlen;
	uint16_t	 dport;
	int		 r;
	enum policy_verdict verdict;
	struct pending	*pe;

	(void)ctx;
	g.lines++;
	g.dirty = 1;
	if (flags) {
		r = -1;
		why = flags & TAIL_NO_NEWLINE ? "no newline at end of input" :
		    "line over the limit";
	} else
		r = event_parse(p, len, &rec, &why);
	if (r == EV_UNKNOWN) {
		g.unknown++;
		return;
	}
	if (r == 0) {
		/* only the source of a well-formed event names a host */
		if (!policy_trigger(rec.name) && !(g.shared &&
		    shared_event(rec.name)))
			return;
		v = event_get(&rec, "src", &vlen);
		if (v == NULL || addr_parse_hostport(v, vlen, &src, NULL) == -1) {
			r = -1;
			why = "src is not an address and port";
		} else if ((d = event_get(&rec, "dst", &dlen)) == NULL ||
		    addr_parse_hostport(d, dlen, &dst, &dport) == -1) {
			r = -1;
			why = "dst is not an address and port";
		} else if (!blocked_port(dport) && !(g.shared &&
		    strcmp(rec.name, "mx") == 0))
			/* mail to another port: not stopped by our rules */
			return;
		else if (refused_starttls(&rec))
			return;
	}
	if (r == -1) {
		g.malformed++;
		if (g.malformed <= REPORT_FIRST ||
		    g.malformed % REPORT_EVERY == 0)
			log_warnx("%s: line %llu read: skipped, malformed: %s "
			    "(%llu so far)", g.logpath,
			    (unsigned long long)g.lines, why,
			    (unsigned long long)g.malformed);
		return;
	}
	/* a host about to be blocked: its block is reported first */
	if (pending_has(&src))
		commit_pending();
	trig_keep(&src, p, len);
	if (g.shared && shared_line(&rec, &src, &dst, dport, p, len, v, vlen))
		return;
	if (g.shared && !policy_trigger(rec.name))
		return;
	verdict = policy_decide(g.pol, rec.name, &src, rec.sec,
	    state_find(&g.st, &src) != NULL || pending_has(&src));
	sid = event_get(&rec, "sid", NULL);
	switch (verdict) {
	case POLICY_IGNORE:
		return;
	case POLICY_BLOCK:
		if ((pe = pend_new(&src)) == NULL)
			return;
		pend_fill(pe, &rec, &src, p, len);
		copy_cut(pe->sid, sizeof(pe->sid), sid, strnlen(sid, 8));
		copy_cut(pe->src, sizeof(pe->src), v, vlen);
		if (g.shared) {
			copy_cut(pe->reason, sizeof(pe->reason), "volume", 6);
			copy_cut(pe->sids, sizeof(pe->sids), sid,
			    strnlen(sid, 8));
		}
		g.npend++;
		return;
	default:
		if (g.shared)
			return;		/* a skip a line would flood the report */
		report_skip(sid, v, &src, policy_reason(verdict));
		return;
	}
}

/* lift the blocks whose time is over; returns when the next one ends */
static int64_t
expire(void)
{
	int64_t		 now = now_sec(), next = 0;
	size_t		 i;
	struct addr	 a;

	for (i = 0; i < g.st.nblocks; ) {
		struct state_block *b = &g.st.blocks[i];

		if (b->until == 0 || b->until > now) {
			if (b->until != 0 && (next == 0 || b->until < next))
				next = b->until;
			i++;
			continue;
		}
		a = b->host;
		if (fw_del(g.fw, &a, 1) == -1) {
			g.fwerrors++;
			log_warnx("cannot lift an expired block; trying "
			    "again later");
			i++;
			continue;
		}
		state_del(&g.st, &a);	/* moves another block into i */
		report_unblock(&a, "expired");
		g.dirty = 1;
	}
	return next;
}

/* --- the table and the state agree --- */

struct seen {
	struct hset	 set;
	size_t		 extra;
};

/*
 * a host of the table keeps there the end of its block, if it has one,
 * and when it was made, if the firewall says
 */
#define SEEN_UNTIL(h)	((h)->v[0])
#define SEEN_SINCE(h)	((h)->v[1])

static void
seen_cb(void *ctx, const struct addr *a, uint64_t pkts, uint64_t bytes,
    int64_t until, int64_t since)
{
	struct seen	*s = ctx;
	struct hset_item *h;

	(void)pkts;
	(void)bytes;
	if ((h = hset_put(&s->set, a)) != NULL) {
		SEEN_UNTIL(h) = (uint64_t)until;
		SEEN_SINCE(h) = (uint64_t)since;
	}
}

/*
 * One pass over the table: blocks of the state missing from the table
 * (a firewall reload) are put back in one commit; hosts found in the
 * table are blocked already, whoever added them.  A block of a host
 * now never to be blocked (an -a or allow-file entry added since, an
 * address of this machine) is lifted.  A backend that keeps its own
 * record (FW_KEEPS) is read only at start: after that it puts back
 * what a reload took by itself, and only the allowed hosts are lifted.
 * With expiry in the kernel, a host's end of block there is made the
 * state's.  At start, a host of the table that the state does not name
 * but whose block the firewall says was made before the state was last
 * saved was lifted meanwhile: an old copy of the ruleset restored put
 * it back, and it goes.
 */
static void
reconcile(int startup)
{
	struct seen	 s;
	struct hset_item *h;
	struct addr	*miss, *stale, a;
	int64_t		*muntil, fu;
	size_t		 i, nmiss = 0, ntime = 0, lifted = 0, nstale = 0;
	int64_t		 now = now_sec();
	int		 caps = fw_caps(g.fw), listed = startup ||
			    !(caps & FW_KEEPS);

	if (hset_init(&s.set, g.st.nblocks) == -1)
		fatal("hset_init");
	if (listed && fw_list(g.fw, seen_cb, &s) == -1) {
		log_warnx("cannot read the firewall table");
		hset_free(&s.set);
		return;
	}
	for (i = 0; i < g.st.nblocks; ) {
		a = g.st.blocks[i].host;
		if (!policy_allowed(g.pol, &a)) {
			i++;
			continue;
		}
		if ((!listed || hset_get(&s.set, &a) != NULL) &&
		    fw_del(g.fw, &a, 1) == -1) {
			log_warnx("cannot lift the block of an allowed host; "
			    "trying again later");
			i++;
			continue;
		}
		hset_del(&s.set, &a);
		state_del(&g.st, &a);	/* moves another block into i */
		report_unblock(&a, "allowed");
		g.dirty = 1;
		lifted++;
	}
	/*
	 * A lift is saved at once, whatever the backend: a state saved
	 * later would, after a kill -9, block the host again at the next
	 * start once the allow list no longer names it
	 */
	if (lifted > 0)
		save_state();
	if (!listed) {
		hset_free(&s.set);
		return;
	}
	if ((miss = calloc(g.st.nblocks + s.set.n + 1, sizeof(*miss))) ==
	    NULL || (muntil = calloc(g.st.nblocks + s.set.n + 1,
	    sizeof(*muntil))) == NULL || (stale = calloc(s.set.n + 1,
	    sizeof(*stale))) == NULL)
		fatal("calloc");
	for (i = 0; i < g.st.nblocks; i++) {
		const struct state_block *b = &g.st.blocks[i];

		if (b->until != 0 && b->until <= now)
			continue;
		h = hset_get(&s.set, &b->host);
		/* missing, or with another end in the kernel than ours */
		if (h == NULL || ((caps & FW_CAN_EXPIRE) && startup &&
		    (int64_t)SEEN_UNTIL(h) != b->until &&
		    (b->until == 0 || (int64_t)SEEN_UNTIL(h) == 0 ||
		    llabs((int64_t)SEEN_UNTIL(h) - b->until) > 1))) {
			ntime += h != NULL;
			muntil[nmiss] = b->until;
			miss[nmiss++] = b->host;
		}
	}
	if (startup) {
		for (i = 0; i < s.set.n; i++) {
			h = &s.set.v[i];
			/* an allowed host's rules are someone else's */
			if (h->addr.family == 0 ||
			    state_find(&g.st, &h->addr) != NULL ||
			    policy_allowed(g.pol, &h->addr))
				continue;
			/*
			 * Both times are cut to the millisecond: a block of
			 * the same millisecond as the save may have come after
			 * it, and is taken up
			 */
			if (SEEN_SINCE(h) != 0 && g.st.savedms != 0 &&
			    (int64_t)SEEN_SINCE(h) < g.st.savedms) {
				stale[nstale++] = h->addr;
				continue;
			}
			fu = (int64_t)SEEN_UNTIL(h);
			if (!(caps & FW_CAN_EXPIRE) || fu < 0)
				fu = g.expire ? now + g.expire : 0;
			/* blocked for ever in the kernel, but -x says not */
			else if (fu == 0 && g.expire) {
				fu = now + g.expire;
				muntil[nmiss] = fu;
				miss[nmiss++] = h->addr;
				ntime++;
			}
			state_add(&g.st, &h->addr, now, fu);
			g.dirty = 1;
		}
	}
	if (nstale > 0) {
		if (fw_del(g.fw, stale, nstale) == -1) {
			g.fwerrors++;
			log_warnx("cannot lift %zu blocks lifted before",
			    nstale);
		} else
			log_info("%zu hosts of the table were lifted before "
			    "the state was saved (an old copy of the ruleset "
			    "restored?): lifted again", nstale);
	}
	if (nmiss > 0) {
		if (fw_add(g.fw, miss, muntil, nmiss) == -1) {
			g.fwerrors++;
			log_warnx("cannot restore %zu blocks", nmiss);
		} else {
			if (nmiss > ntime)
				g.rebuilds++;
			if (nmiss > ntime)
				log_info("restored the rules of %zu blocked "
				    "hosts missing from the table",
				    nmiss - ntime);
			if (ntime > 0)
				log_info("%zu blocked hosts get the end of "
				    "their block from the state in the "
				    "firewall", ntime);
		}
	}
	free(miss);
	free(muntil);
	free(stale);
	hset_free(&s.set);
}

/* --- start-up --- */

/* the machine's own addresses are never blocked */
static void
allow_own(void)
{
	struct ifaddrs	*ifa, *i;
	struct cidr	 c;

	if (getifaddrs(&ifa) == -1) {
		log_warn("getifaddrs");
		return;
	}
	for (i = ifa; i != NULL; i = i->ifa_next) {
		if (i->ifa_addr == NULL)
			continue;
		memset(&c, 0, sizeof(c));
		if (i->ifa_addr->sa_family == AF_INET) {
			c.addr.family = AF_INET;
			memcpy(c.addr.a, &((struct sockaddr_in *)(void *)
			    i->ifa_addr)->sin_addr, 4);
			c.plen = 32;
		} else if (i->ifa_addr->sa_family == AF_INET6) {
			c.addr.family = AF_INET6;
			memcpy(c.addr.a, &((struct sockaddr_in6 *)(void *)
			    i->ifa_addr)->sin6_addr, 16);
			c.plen = 128;
		} else
			continue;
		policy_allow(g.pol, &c, POLICY_FROM_OWN);
		if (g.nown < OWN_MAX)
			g.own[g.nown++] = c.addr;
		/* and the broadcast address of its IPv4 subnet */
		if (c.addr.family == AF_INET && (i->ifa_flags & IFF_BROADCAST) &&
		    i->ifa_broadaddr != NULL &&
		    i->ifa_broadaddr->sa_family == AF_INET) {
			memcpy(c.addr.a, &((struct sockaddr_in *)(void *)
			    i->ifa_broadaddr)->sin_addr, 4);
			policy_allow(g.pol, &c, POLICY_FROM_OWN);
		}
	}
	freeifaddrs(ifa);
}

/* "30", "30s", "15m", "12h", "7d" */
static int64_t
parse_duration(const char *s)
{
	char		*end;
	unsigned long long v;
	int64_t		 mul = 1;

	if (*s < '0' || *s > '9')
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno)
		return -1;
	if (*end != '\0' && end[1] != '\0')
		return -1;
	switch (*end) {
	case '\0':
	case 's':
		break;
	case 'm':
		mul = 60;
		break;
	case 'h':
		mul = 3600;
		break;
	case 'd':
		mul = 86400;
		break;
	default:
		return -1;
	}
	if (v == 0 || v > (unsigned long long)(EXPIRE_MAX / mul))
		return -1;
	return (int64_t)v * mul;
}

static struct fw *
open_fw(void)
{
	char		 err[512];
	struct fw	*fw;

	if ((fw = fw_open(&g.fwc, err, sizeof(err))) == NULL) {
		fprintf(stderr, "detengo: %s\n", err);
		exit(EX_FIREWALL);
	}
	return fw;
}

/* one detengo per state file: the lock, or exit 3 naming its holder */
static void
lock_state(void)
{
	char	 dir[PATH_MAX], *slash;
	long	 pid;

	if (strcmp(g.statepath, STATE_DEFAULT) == 0) {
		snprintf(dir, sizeof(dir), "%s", g.statepath);
		if ((slash = strrchr(dir, '/')) != NULL)
			*slash = '\0';
		if (mkdir(dir, 0700) == -1 && errno != EEXIST) {
			fprintf(stderr, "detengo: %s: %s (name another state "
			    "file with -s)\n", dir, strerror(errno));
			exit(EX_RUNTIME);
		}
	}
	if (state_lock(g.statepath) == -1) {
		if (errno == EWOULDBLOCK) {
			pid = state_lock_holder(g.statepath);
			fprintf(stderr, "detengo: %s is in use by another "
			    "detengo (PID %ld)\n", g.statepath, pid);
			exit(EX_RUNNING);
		}
		fprintf(stderr, "detengo: %s.lock: %s\n", g.statepath,
		    errno == ELOOP ? "is a symbolic link, refused" :
		    strerror(errno));
		exit(EX_RUNTIME);
	}
}

static void
load_state(void)
{
	char	 err[512];

	if (state_load(g.statepath, &g.st, err, sizeof(err)) == -1) {
		fprintf(stderr, "detengo: %s\n", err);
		exit(EX_RUNTIME);
	}
}

/* --- the commands --- */

static void
list_cb(void *ctx, const struct addr *a, uint64_t pkts, uint64_t bytes,
    int64_t until, int64_t since)
{
	char			 h[ADDR_STRLEN], ut[32] = "never", left[24] = "-";
	const struct state_block *b;

	(void)ctx;
	(void)since;
	addr_fmt(a, h, sizeof(h));
	/* the firewall's own time if it keeps one, else the state's */
	if (until == -1)
		until = (b = state_find(&g.st, a)) != NULL ? b->until : 0;
	if (until != 0)
		event_utc(until, -1, ut, sizeof(ut));
	if (until != 0)
		snprintf(left, sizeof(left), "%llds", (long long)(until >
		    now_sec() ? until - now_sec() : 0));
	printf("%-40s %12llu %14llu  %-20s  %s\n", h, (unsigned long long)pkts,
	    (unsigned long long)bytes, ut, left);
}

static int
cmd_list(void)
{
	if (g.statepath != NULL)
		load_state();
	printf("%-40s %12s %14s  %-20s  %s\n", "host", "packets", "bytes",
	    "until", "left");
	if (fw_list(g.fw, list_cb, NULL) == -1)
		return EX_RUNTIME;
	return EX_OK;
}

static int
cmd_unblock(const char *host)
{
	struct addr	 a;
	int		 n, instate;

	if (addr_parse(host, &a) == -1) {
		fprintf(stderr, "detengo: --unblock: not an address: %s\n",
		    host);
		return EX_USAGE;
	}
	if (g.statepath != NULL) {
		lock_state();
		load_state();
	}
	if ((n = fw_del(g.fw, &a, 1)) == -1)
		return EX_RUNTIME;
	instate = g.statepath != NULL && state_find(&g.st, &a) != NULL;
	if (n == 0 && !instate) {
		fprintf(stderr, "detengo: %s is not blocked\n", host);
		return EX_RUNTIME;
	}
	/* a dry run changes neither the table nor the state */
	if (instate && !g.dry) {
		state_del(&g.st, &a);
		if (state_save(g.statepath, &g.st) == -1)
			log_warn("%s", g.statepath);
	}
	if (n == 0 && !g.dry)
		log_info("%s: its rules were gone already (a firewall "
		    "reload?); its block is forgotten", host);
	if (g.statepath != NULL && !g.dry)
		(void)why_open(g.statepath);
	report_unblock(&a, "manual");
	if (why_flush() == -1)
		log_warn("%s.why", g.statepath);
	why_close();
	return EX_OK;
}

static int
cmd_flush(void)
{
	int	 n;

	if (g.statepath != NULL) {
		lock_state();
		load_state();
	}
	if ((n = fw_flush(g.fw)) == -1)
		return EX_RUNTIME;
	if (g.statepath != NULL && !g.dry) {
		/* the blocks go; the place in the log stays */
		while (g.st.nblocks > 0)
			state_del(&g.st, &g.st.blocks[0].host);
		if (state_save(g.statepath, &g.st) == -1)
			log_warn("%s", g.statepath);
	}
	printf("removed the rules of %d host%s\n", n, n == 1 ? "" : "s");
	return EX_OK;
}

/*
 * --why HOST: the evidence of its block, or why it is not blocked.  It
 * reads the state and the allow list, never the firewall: --list shows
 * the rules.
 */
#define ALLOW_DEFAULT	"/etc/detengo/allow.txt"
static int
cmd_why(const struct opts *o)
{
	struct addr		 a, u;
	char			 host[ADDR_STRLEN], err[512], t[32];
	const char		*file = g.allowfile;
	const struct state_block *b;
	struct policy		*pol;
	size_t			 i;
	int			 said;

	if (addr_parse(o->why, &u) == -1) {
		fprintf(stderr, "detengo: --why: not an address: %s\n",
		    o->why);
		return EX_USAGE;
	}
	/* ::ffff:192.0.2.7 is 192.0.2.7, as the state has it */
	addr_unmap(&u, &a);
	addr_fmt(&a, host, sizeof(host));
	if (g.statepath == NULL)
		g.statepath = STATE_DEFAULT;
	load_state();
	if ((b = state_find(&g.st, &a)) != NULL) {
		printf("%s is blocked\n", host);
		said = why_show(g.statepath, host, b, stdout);
		if (!said) {
			event_utc(b->since, -1, t, sizeof(t));
			printf("its block since %s", t);
			if (b->until != 0)
				event_utc(b->until, -1, t, sizeof(t));
			printf(", until %s\n", b->until != 0 ? t : "never");
			printf("no evidence kept (a block made before this "
			    "version, restored from the firewall, or its "
			    "record dropped)\n");
		}
		if (b->until != 0 && b->until > now_sec())
			printf("it ends in %llds\n",
			    (long long)(b->until - now_sec()));
		state_free(&g.st);
		return EX_OK;
	}
	printf("%s is not blocked\n", host);
	(void)why_show(g.statepath, host, NULL, stdout);
	state_free(&g.st);
	/* the allow list as detengo would read it */
	if ((pol = policy_new(&o->pc)) == NULL)
		fatal("policy_new");
	for (i = 0; i < o->nallow; i++)
		policy_allow(pol, &o->allow[i], POLICY_FROM_OPTION);
	g.pol = pol;
	allow_own();
	if (file == NULL && access(ALLOW_DEFAULT, R_OK) == 0)
		file = ALLOW_DEFAULT;
	if (file != NULL && policy_allow_file(pol, file, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "detengo: %s\n", err);
		policy_free(pol);
		return EX_USAGE;
	}
	if (policy_allowed_why(pol, &a, file, err, sizeof(err)))
		printf("it is never blocked: %s\n", err);
	else
		printf("it is not on the allow list%s%s%s\n",
		    file != NULL ? " (" : "", file != NULL ? file : "",
		    file != NULL ? " and -a)" : "");
	policy_free(pol);
	g.pol = NULL;
	return EX_OK;
}

static void
stats(void)
{
	log_info("lines=%llu malformed=%llu unknown=%llu blocks=%llu "
	    "skips=%llu blocked_now=%zu",
	    (unsigned long long)g.lines, (unsigned long long)g.malformed,
	    (unsigned long long)g.unknown, (unsigned long long)g.blocks,
	    (unsigned long long)g.skips, g.st.nblocks);
}

/* --- metrics (-M) --- */

static void
write_metrics(void)
{
	struct metrics		 m;
	struct notify_stats	 ns;
	size_t			 i;

	if (g.metricspath == NULL)
		return;
	g.lastmetrics = now_sec();
	if (metrics_begin(&m, g.metricspath) == -1)
		goto fail;
	metrics_head(&m, "detengo_blocks_total", "counter",
	    "Hosts blocked, by the event that triggered the block.");
	for (i = 0; i < NELEM(trig_names); i++)
		metrics_u64(&m, "detengo_blocks_total", "reason", trig_names[i],
		    g.mblocks[i]);
	metrics_head(&m, "detengo_unblocks_total", "counter",
	    "Blocks lifted: expired, allowed since, or lifted by hand.");
	for (i = 0; i < NELEM(unblock_why); i++)
		metrics_u64(&m, "detengo_unblocks_total", "reason",
		    unblock_why[i], g.munblocks[i]);
	metrics_head(&m, "detengo_blocks_active", "gauge",
	    "Hosts blocked now.");
	metrics_u64(&m, "detengo_blocks_active", NULL, NULL, g.st.nblocks);
	metrics_head(&m, "detengo_skips_total", "counter",
	    "Trigger events that blocked no one, by reason.");
	for (i = 0; i < NELEM(skip_why); i++)
		metrics_u64(&m, "detengo_skips_total", "reason", skip_why[i],
		    g.mskips[i]);
	metrics_head(&m, "detengo_lines_total", "counter",
	    "Lines read from the event log.");
	metrics_u64(&m, "detengo_lines_total", NULL, NULL, g.lines);
	metrics_head(&m, "detengo_lines_skipped_total", "counter",
	    "Lines skipped: malformed, or an event this version does not know.");
	metrics_u64(&m, "detengo_lines_skipped_total", "reason", "malformed",
	    g.malformed);
	metrics_u64(&m, "detengo_lines_skipped_total", "reason", "unknown",
	    g.unknown);
	metrics_head(&m, "detengo_block_latency_seconds", "histogram",
	    "From reading a trigger line to its block in the kernel.");
	metrics_hist(&m, "detengo_block_latency_seconds", &g.lat);
	metrics_head(&m, "detengo_firewall_errors_total", "counter",
	    "Firewall changes that failed (each is tried again).");
	metrics_u64(&m, "detengo_firewall_errors_total", NULL, NULL,
	    g.fwerrors);
	metrics_head(&m, "detengo_firewall_rebuilds_total", "counter",
	    "Times the rules of blocked hosts were put back after the "
	    "firewall lost them (a reload).");
	metrics_u64(&m, "detengo_firewall_rebuilds_total", NULL, NULL,
	    g.rebuilds);
	notify_getstats(&ns);
	metrics_head(&m, "detengo_notices_total", "counter",
	    "Notices of -e: run, failed, dropped (queue full), untold "
	    "(in a burst's summary).");
	metrics_u64(&m, "detengo_notices_total", "result", "run", ns.run);
	metrics_u64(&m, "detengo_notices_total", "result", "failed",
	    ns.failed);
	metrics_u64(&m, "detengo_notices_total", "result", "dropped",
	    ns.dropped);
	metrics_u64(&m, "detengo_notices_total", "result", "untold",
	    ns.untold);
	metrics_head(&m, "detengo_start_time_seconds", "gauge",
	    "When detengo started, seconds since the epoch.");
	metrics_u64(&m, "detengo_start_time_seconds", NULL, NULL,
	    (uint64_t)g.started);
	if (metrics_commit(&m) == -1)
		goto fail;
	if (g.mwarned)
		log_info("%s: metrics written again", g.metricspath);
	g.mwarned = 0;
	return;
fail:
	/* once until it works again: the blocks go on without it */
	if (!g.mwarned)
		log_warn("%s: cannot write the metrics", g.metricspath);
	g.mwarned = 1;
}

/* --- following the log --- */

static int
follow(void)
{
	struct logpos	 pos;
	int64_t		 nextexp, lastcheck = now_sec(), left, lastwalk;
	struct timespec	 lastsave, ts;
	int		 n = 0, timeout;
	int		 stdinput = strcmp(g.logpath, "-") == 0;

	if (!g.dry)
		fw_advise(g.fw);
	reconcile(1);
	nextexp = expire();
	lastwalk = now_sec();
	g.tail = tail_open(g.logpath, g.st.havepos ? &g.st.pos : NULL,
	    g.fromstart);
	if (g.tail == NULL) {
		log_warnx("%s: %s", g.logpath, tail_why(errno));
		return EX_RUNTIME;
	}
	if (g.statepath != NULL && strcmp(g.logpath, "-") != 0) {
		tail_getpos(g.tail, &pos);
		if (!g.st.havepos || memcmp(&pos, &g.st.pos, sizeof(pos)))
			g.dirty = 1;
	}
	save_state();
	clock_gettime(CLOCK_MONOTONIC, &lastsave);
	tail_wake(g.tail, wake_fd());
	while (!sig_stop) {
		wake_drain();
		if (sig_hup) {
			char	 err[512];

			sig_hup = 0;
			/*
			 * The place in the log saved first: after a kill -9
			 * the lines decided under the old list are not read
			 * again under the new one
			 */
			commit_pending();
			g.dirty = 1;
			save_state();
			policy_allow_reset(g.pol);
			if (g.allowfile != NULL && policy_allow_file(g.pol,
			    g.allowfile, err, sizeof(err)) == -1)
				log_warnx("%s; the allow file is ignored "
				    "until fixed", err);
			else
				log_info("allow list read again");
			lastcheck = 0;	/* lift what is allowed now */
		}
		if (sig_usr1 || now_sec() - lastcheck >= CHECK_EVERY) {
			sig_usr1 = 0;
			reconcile(0);
			lastcheck = now_sec();
			stats();
		}
		/*
		 * More may wait: tail_next() reads a bounded amount a call.
		 * --once on a file stops at its current end; on standard
		 * input, at its end of file.
		 */
		timeout = (g.once && !stdinput) || n > 0 ? 0 : 1000;
		if (nextexp != 0) {
			left = nextexp - now_sec();	/* any int64_t from the state */
			if (left <= 0)
				timeout = 0;
			else if (left < timeout / 1000)
				timeout = (int)left * 1000;
		}
		/* blocks still owed: at once, or after a second if one failed */
		if (g.npend > 0)
			timeout = g.failed ? 1000 : 0;
		/* a backend that watches its table for reloads */
		if (fw_tick_ms(g.fw) > 0 && timeout > fw_tick_ms(g.fw))
			timeout = fw_tick_ms(g.fw);
		/* a notice over its time, a burst's summary */
		if (notify_next_ms() >= 0 && timeout > notify_next_ms())
			timeout = notify_next_ms();
		/* what the checks above reported, before waiting */
		(void)evout_sync(&g.out);
		n = tail_next(g.tail, timeout, on_line, NULL);
		if (n == -1 && errno != EINTR) {
			log_warn("%s", g.logpath);
			commit_pending();
			save_state();
			return EX_RUNTIME;
		}
		/* the lines that arrived together go into one commit */
		commit_pending();
		/* a table changed under a backend that keeps no record */
		if (fw_tick(g.fw) == 1) {
			reconcile(0);
			lastcheck = now_sec();
		}
		/*
		 * Blocks end at their time, -x or not (the state may say so).
		 * With -x the walk over every block also finds when the blocks
		 * made since end; their times are in seconds, so once a second
		 * is enough (100,000 blocks: 1.7 million instructions a walk).
		 */
		if ((g.expire && now_sec() != lastwalk) ||
		    (nextexp != 0 && nextexp <= now_sec())) {
			nextexp = expire();
			lastwalk = now_sec();
		}
		(void)evout_sync(&g.out);
		if (g.out.backlen > 0)
			evout_flush(&g.out);
		notify_poll();
		if (g.metricspath != NULL &&
		    now_sec() - g.lastmetrics >= METRICS_EVERY)
			write_metrics();
		clock_gettime(CLOCK_MONOTONIC, &ts);
		if ((ts.tv_sec - lastsave.tv_sec) * 1000 +
		    (ts.tv_nsec - lastsave.tv_nsec) / 1000000 >= SAVE_EVERY_MS) {
			save_state();
			lastsave = ts;
		}
		if (n == TAIL_EOF ||
		    (g.once && !stdinput && n == 0 && g.npend == 0))
			break;
		/* --once does not wait for a firewall that refuses */
		if (g.once && g.failed)
			break;
	}
	if (!g.failed)
		commit_pending();
	save_state();
	return g.failed ? EX_RUNTIME : EX_OK;
}

enum { O_ONCE = 256, O_FROMSTART, O_LIST, O_UNBLOCK, O_FLUSH, O_VERSION,
    O_WHY, O_EXECTIMEOUT };

/* one option; -1 to go on, or the exit status */
static int
parse_option(int ch, const char *arg, struct opts *o)
{
	char	*end;
	long	 v;

	switch (ch) {
	case 'a':
		if ((o->allow = reallocarray(o->allow, o->nallow + 1,
		    sizeof(*o->allow))) == NULL)
			fatal("reallocarray");
		if (cidr_parse(arg, &o->allow[o->nallow]) == -1) {
			fprintf(stderr, "detengo: -a takes an address "
			    "or prefix: %s\n", arg);
			return EX_USAGE;
		}
		o->nallow++;
		break;
	case 'A':
		g.allowfile = arg;
		break;
	case 'b':
		if (!fw_backend_known(arg)) {
			fprintf(stderr, "detengo: -b takes one of %s: "
			    "%s\n", fw_backend_names(), arg);
			return EX_USAGE;
		}
		g.fwc.backend = arg;
		break;
	case 'c':
		g.fwc.chain = arg;
		break;
	case 'd':
	case 'v':
		o->debug = 1;
		break;
	case 'e':
		g.program = arg;
		break;
	case 'M':
		g.metricspath = arg;
		break;
	case 'm':
		if (strcmp(arg, "strict") == 0)
			g.shared = 0;
		else if (strcmp(arg, "shared") == 0)
			g.shared = 1;
		else {
			fprintf(stderr, "detengo: -m takes strict or shared: "
			    "%s\n", arg);
			return EX_USAGE;
		}
		break;
	case 'g': {
		char	 err[512];

		if (sig_parse(arg, &o->sc, err, sizeof(err)) == -1) {
			fprintf(stderr, "detengo: %s\n", err);
			return EX_USAGE;
		}
		break;
	}
	case O_EXECTIMEOUT:
		errno = 0;
		v = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || errno || v < 1 ||
		    v > 3600) {
			fprintf(stderr, "detengo: --exec-timeout takes seconds "
			    "from 1 to 3600: %s\n", arg);
			return EX_USAGE;
		}
		g.exectimeout = (int)v;
		break;
	case O_WHY:
		o->cmd = ch;
		o->why = arg;
		break;
	case 'h':
		usage(stdout);
		return EX_OK;
	case 'I':
		g.fwc.insert = 1;
		break;
	case 'n':
		g.dry = 1;
		break;
	case 'p':
		o->portsgiven = 1;
		if ((o->nports = ports_parse(arg, g.ports,
		    FW_PORTS_MAX)) == -1) {
			ports_usage("detengo", arg, FW_PORTS_MAX);
			return EX_USAGE;
		}
		break;
	case 's':
		g.statepath = arg;
		break;
	case 'S':
		o->usesyslog = 1;
		break;
	case 't':
		o->tgiven = 1;
		if (policy_parse_threshold(arg, &o->pc.count,
		    &o->pc.window) == -1) {
			fprintf(stderr, "detengo: -t takes COUNT/SECONDS"
			    " with COUNT from 1 to %d, SECONDS from 1 "
			    "to %d: %s\n", POLICY_COUNT_MAX,
			    POLICY_WINDOW_MAX, arg);
			return EX_USAGE;
		}
		break;
	case 'T':
		o->triggers = arg;
		o->tset = 1;
		break;
	case 'w':
		o->wfile = arg;
		break;
	case 'W':
		errno = 0;
		v = strtol(arg, &end, 10);
		if (*arg == '\0' || *end != '\0' || errno || v < 1 ||
		    v > XT_LOCK_WAIT_MAX) {
			fprintf(stderr, "detengo: -W takes seconds from "
			    "1 to %d: %s\n", XT_LOCK_WAIT_MAX, arg);
			return EX_USAGE;
		}
		g.fwc.lockwait = (int)v;
		break;
	case 'x':
		if ((g.expire = parse_duration(arg)) == -1) {
			fprintf(stderr, "detengo: -x takes a duration "
			    "such as 3600, 30m, 12h or 7d: %s\n", arg);
			return EX_USAGE;
		}
		break;
	case O_ONCE:
		g.once = 1;
		break;
	case O_FROMSTART:
		g.fromstart = 1;
		break;
	case O_LIST:
	case O_FLUSH:
		o->cmd = ch;
		break;
	case O_UNBLOCK:
		o->cmd = ch;
		o->unblock = arg;
		break;
	case O_VERSION:
		printf("detengo %s\n", VERSION);
		return EX_OK;
	default:
		usage(stderr);
		return EX_USAGE;
	}
	return -1;
}

/* the command line; -1 to go on, or the exit status */
static int
parse_options(int argc, char *argv[], struct opts *o)
{
	static const struct option longopts[] = {
		{ "allow",	required_argument, NULL, 'a' },
		{ "allow-file",	required_argument, NULL, 'A' },
		{ "backend",	required_argument, NULL, 'b' },
		{ "chain",	required_argument, NULL, 'c' },
		{ "debug",	no_argument,	   NULL, 'd' },
		{ "exec",	required_argument, NULL, 'e' },
		{ "exec-timeout", required_argument, NULL, O_EXECTIMEOUT },
		{ "metrics",	required_argument, NULL, 'M' },
		{ "mode",	required_argument, NULL, 'm' },
		{ "signature",	required_argument, NULL, 'g' },
		{ "why",	required_argument, NULL, O_WHY },
		{ "help",	no_argument,	   NULL, 'h' },
		{ "insert",	no_argument,	   NULL, 'I' },
		{ "dry-run",	no_argument,	   NULL, 'n' },
		{ "ports",	required_argument, NULL, 'p' },
		{ "state",	required_argument, NULL, 's' },
		{ "syslog",	no_argument,	   NULL, 'S' },
		{ "threshold",	required_argument, NULL, 't' },
		{ "trigger",	required_argument, NULL, 'T' },
		{ "verbose",	no_argument,	   NULL, 'v' },
		{ "output",	required_argument, NULL, 'w' },
		{ "lock-wait",	required_argument, NULL, 'W' },
		{ "expire",	required_argument, NULL, 'x' },
		{ "once",	no_argument,	   NULL, O_ONCE },
		{ "from-start",	no_argument,	   NULL, O_FROMSTART },
		{ "list",	no_argument,	   NULL, O_LIST },
		{ "unblock",	required_argument, NULL, O_UNBLOCK },
		{ "flush",	no_argument,	   NULL, O_FLUSH },
		{ "version",	no_argument,	   NULL, O_VERSION },
		{ NULL,		0,		   NULL, 0 }
	};
	int	 ch, r;

	while ((ch = getopt_long(argc, argv, "a:A:b:c:de:g:hIm:M:np:s:St:T:vw:W:x:",
	    longopts, NULL)) != -1)
		if ((r = parse_option(ch, optarg, o)) != -1)
			return r;
	argc -= optind;
	argv += optind;
	/*
	 * Shared mode: blocks cover submission too (a bot with stolen
	 * accounts uses 587 and 465), and the volume signature is -t
	 * over MAIL FROMs, unless given
	 */
	if (g.shared) {
		if (!o->portsgiven) {
			g.ports[0] = 25;
			g.ports[1] = 465;
			g.ports[2] = 587;
			o->nports = 3;
		}
		if (!o->tgiven) {
			o->pc.count = SHARED_VOLUME_COUNT;
			o->pc.window = SHARED_VOLUME_WINDOW;
		}
		if (!o->tset)
			o->triggers = "mail";
	}
	if (policy_parse_triggers(o->triggers, &o->pc.triggers) == -1) {
		fprintf(stderr, "detengo: -T takes a list of connect, helo, "
		    "auth, starttls, mail, rcpt, message: %s\n", o->triggers);
		return EX_USAGE;
	}
	if ((o->cmd == 0 && argc != 1) || (o->cmd != 0 && argc != 0)) {
		usage(stderr);
		return EX_USAGE;
	}
	o->logpath = o->cmd == 0 ? argv[0] : NULL;
	return -1;
}

/* the command that lifts a block, for the notices: what names the rules */
static void
lift_command(const struct opts *o)
{
	size_t	 n;

	n = (size_t)snprintf(g.lift, sizeof(g.lift), "detengo");
	if (g.fwc.backend != NULL && strcmp(g.fwc.backend, "iptc") != 0)
		n += (size_t)snprintf(g.lift + n, sizeof(g.lift) - n, " -b %s",
		    g.fwc.backend);
	if (g.fwc.chain != NULL && n < sizeof(g.lift))
		n += (size_t)snprintf(g.lift + n, sizeof(g.lift) - n,
		    " -c %s", g.fwc.chain);
	if ((o->nports != 1 || g.ports[0] != 25) && n < sizeof(g.lift))
		n += (size_t)snprintf(g.lift + n, sizeof(g.lift) - n,
		    " -p %s", g.portlist);
	if (g.statepath != NULL && strcmp(g.statepath, STATE_DEFAULT) != 0 &&
	    n < sizeof(g.lift))
		(void)snprintf(g.lift + n, sizeof(g.lift) - n, " -s %s",
		    g.statepath);
}

/* diagnostics, the firewall's configuration, the report output, signals */
static int
setup(const struct opts *o)
{
	struct sigaction sa;
	char		 err[512];
	int		 i, r;

	log_init("detengo", !o->usesyslog);
	log_setverbose(o->debug);
	g.fwc.ports = g.ports;
	g.fwc.nports = o->nports;
	g.fwc.dry = g.dry;
	for (i = 0, r = 0; i < o->nports; i++)
		r += snprintf(g.portlist + r, sizeof(g.portlist) - (size_t)r,
		    "%s%u", i ? "," : "", g.ports[i]);
	/* without -s a dry run keeps no state: it must change nothing */
	if (g.statepath == NULL && !g.dry)
		g.statepath = STATE_DEFAULT;
	if (g.metricspath != NULL && o->cmd == 0 &&
	    metrics_check(g.metricspath, err, sizeof(err)) == -1) {
		fprintf(stderr, "detengo: -M %s\n", err);
		return EX_USAGE;
	}
	if (g.program != NULL && o->cmd != O_WHY) {
		lift_command(o);
		if (notify_init(g.program, g.fwc.backend != NULL ?
		    g.fwc.backend : "iptc", g.lift, g.exectimeout, err,
		    sizeof(err)) == -1) {
			fprintf(stderr, "detengo: %s\n", err);
			return EX_USAGE;
		}
	}
	g.started = now_sec();
	g.lat.le = lat_le;
	g.lat.n = LAT_N;
	g.lat.counts = g.latcounts;
	snprintf(g.evidence, sizeof(g.evidence), "%u/%u", o->pc.count,
	    o->pc.window);
	if (evout_open(&g.out, o->wfile, 0, err, sizeof(err)) == -1) {
		fprintf(stderr, "detengo: %s\n", err);
		return EX_RUNTIME;
	}
	/* a reader that stopped holds the report at most 5 s after a stop */
	g.out.stop = &sig_stop;
	if (wake_init() == -1)
		log_warn("pipe2: a signal may take up to a second");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sa.sa_handler = on_child;
	sa.sa_flags = SA_NOCLDSTOP;
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return EX_OK;
}

/* --list, --unblock, --flush: one look at the firewall, then exit */
static int
run_command(struct opts *o)
{
	int	 r;

	if (o->cmd == O_WHY) {
		r = cmd_why(o);
		free(o->allow);
		return r;
	}
	g.fw = open_fw();
	r = o->cmd == O_LIST ? cmd_list() : o->cmd == O_UNBLOCK ?
	    cmd_unblock(o->unblock) : cmd_flush();
	fw_close(g.fw);
	evout_close(&g.out);
	/* the notice of a lift by hand */
	notify_drain(1);
	return r;
}

/* the policy, the state and the firewall, then the log until the end */
static int
run_follow(struct opts *o)
{
	char	 err[512];
	size_t	 i;
	int	 r;

	g.logpath = o->logpath;
	if ((g.pol = policy_new(&o->pc)) == NULL)
		fatal("policy_new");
	for (i = 0; i < o->nallow; i++)
		policy_allow(g.pol, &o->allow[i], POLICY_FROM_OPTION);
	free(o->allow);
	o->allow = NULL;
	allow_own();
	if (g.allowfile != NULL && policy_allow_file(g.pol, g.allowfile, err,
	    sizeof(err)) == -1) {
		fprintf(stderr, "detengo: %s\n", err);
		return EX_USAGE;
	}
	if ((g.pend = calloc(FW_BATCH_MAX, sizeof(*g.pend))) == NULL ||
	    hset_init(&g.pendset, FW_BATCH_HINT) == -1)
		fatal("calloc");
	if (g.statepath != NULL) {
		lock_state();
		load_state();
		if (why_open(g.statepath) == -1)
			log_warn("%s.why: cannot open; blocks are made without "
			    "their evidence for --why", g.statepath);
	}
	if (g.shared && (g.sig = sig_new(&o->sc)) == NULL)
		fatal("sig_new");
	/* with -t, a block's earlier trigger lines are its evidence too */
	if ((o->pc.count > 1 || g.shared) &&
	    (g.trigs = calloc(WHY_RING, sizeof(*g.trigs))) == NULL)
		fatal("calloc");
	g.fw = open_fw();
	/*
	 * A report file gathers the lines of one pass of the loop and
	 * writes them at its end (evout_sync): a burst of 100,000 blocks
	 * is not 100,000 write(2)s and fstat(2)s.  A pipe still gets each
	 * line at once.
	 */
	if (evout_batch(&g.out) == -1)
		fatal("malloc");
	r = follow();
	stats();
	/*
	 * The notices still running, each up to its time, and those
	 * waiting unless a signal asked to stop
	 */
	notify_drain(!sig_stop);
	write_metrics();
	why_close();
	for (i = 0; g.trigs != NULL && i < WHY_RING; i++)
		free(g.trigs[i].line);
	free(g.trigs);
	sig_free(g.sig);
	for (i = 0; i < g.npend; i++)
		free(g.pend[i].lines);
	if (g.tail != NULL)
		tail_close(g.tail);
	fw_close(g.fw);
	policy_free(g.pol);
	state_free(&g.st);
	evout_close(&g.out);
	free(g.pend);
	hset_free(&g.pendset);
	return r;
}

int
main(int argc, char *argv[])
{
	struct opts	 o;
	int		 r;

	memset(&o, 0, sizeof(o));
	o.pc.count = 1;
	o.pc.window = 1;
	o.triggers = "mail,starttls";
	sig_defaults(&o.sc);
	o.nports = 1;
	g.ports[0] = 25;
	if ((r = parse_options(argc, argv, &o)) != -1 ||
	    (r = setup(&o)) != EX_OK)
		return r;
	if (o.cmd != 0)
		return run_command(&o);
	return run_follow(&o);
}
