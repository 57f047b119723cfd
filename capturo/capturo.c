/* capturo: watch SMTP on the wire and write one event line per SMTP event */
#include <sys/types.h>
#include <sys/stat.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pcap/pcap.h>

#include "decode.h"
#include "event.h"
#include "evout.h"
#include "exits.h"
#include "flow.h"
#include "bounds.h"
#include "copy.h"
#include "log.h"
#include "metrics.h"
#include "ports.h"
#include "ring.h"
#include "wake.h"

static volatile sig_atomic_t	 sig_stop, sig_hup, sig_usr1;
static pcap_t			*pc;

static struct evout		 out;
static struct flowtab	*ft;
static uint64_t		 npkts, nfrags, nshort, ncut;
/* live: frames longer than a ring slot come whole through the socket */
static int			 copies, snapmax;
static struct timeval		 lastts;
static int			 cutseen;	/* a frame cut, since the drain */
/* -i: the kernel's drop counters, kept in 64 bits (pcap_stats' wrap) */
static int			 live;
static uint64_t			 kdrop, kifdrop;
static u_int			 kdrop_last, kifdrop_last;

/*
 * The events capturo makes, as the schema of common/event.c names them,
 * counted per name for -M: each has its series from the start, at 0
 * too, so that a rate is defined before the first one.  The last slot
 * counts any other name (none: metrics.sh checks that the series add
 * up to the events of the statistics line).
 */
static const char *const evnames[] = {
	"connect", "helo", "auth", "starttls", "tls", "mx", "mail", "rcpt",
	"message", "close", "refused", "unheard"
};
#define NEVNAMES	(sizeof(evnames) / sizeof(evnames[0]))
static uint64_t			 evcount[NEVNAMES + 1];

/* -M: the metrics file, when it is next due, and a failure told */
static const char		*mpath;
static time_t			 mstart;
static struct timespec		 mnext;
static int			 mfailed;

static long	 num(const char *, long, long, const char *);

static void
usage(FILE *f)
{
	fprintf(f,
"usage: capturo [-dhJNSv] [-B KiB] [-F flows] [-i interface] [-M file]\n"
"               [-p ports] [-r file] [-s snaplen] [-T seconds] [-w file]\n"
"               [-Z user] [expression]\n"
"       capturo -D\n");
}

static void
on_signal(int sig)
{
	/* sighdlr safe: flags, pcap_breakloop() and the self-pipe */
	if (sig == SIGHUP)
		sig_hup = 1;
	else if (sig == SIGUSR1)
		sig_usr1 = 1;
	else
		sig_stop = 1;
	if (pc != NULL)
		pcap_breakloop(pc);
	wake_signal();
}

static void
emit_line(void *ctx, struct ev_buf *b)
{
	size_t	 i;

	(void)ctx;
	for (i = 0; i < NEVNAMES && strcmp(b->name, evnames[i]) != 0; i++)
		;
	evcount[i]++;
	if (evout_event(&out, b) == -1 && !sig_stop) {
		log_warnx("output closed by its reader; stopping");
		sig_stop = 1;
		if (pc != NULL)
			pcap_breakloop(pc);
	}
}

/* --- capture --- */

static int			 dlt;

static __attribute__((noreturn)) void
link_refuse(const char *where, int t)
{
	const char	*name, *desc;
	char		 num[16];

	if ((name = pcap_datalink_val_to_name(t)) == NULL) {
		snprintf(num, sizeof(num), "%d", t);
		name = num;
	}
	if ((desc = pcap_datalink_val_to_description(t)) == NULL)
		desc = "not in libpcap's list";
	fatalx("%s: link type %s (%s) is not read: capturo reads Ethernet, "
	    "Linux cooked captures, raw IP and BSD loopback", where, name,
	    desc);
}

static void
on_packet(u_char *user, const struct pcap_pkthdr *h, const u_char *bytes)
{
	struct pkt	 p;
	const u_char	*whole;
	/* be paranoid about how much data we actually have (p0f) */
	size_t		 len = h->caplen < h->len ? h->caplen : h->len;

	(void)user;
	npkts++;
	if (copies)
		lastts = h->ts;
	if (h->caplen < h->len) {
		cutseen = 1;
		whole = copies ? copy_frame(pcap_fileno(pc), h, bytes,
		    (uint32_t)snapmax, &len) : NULL;
		if (whole != NULL)
			bytes = whole;
		else
			ncut++;
	}
	switch (decode_packet(dlt, bytes, len, &p)) {
	case DECODE_TCP:
		flow_packet(ft, (int64_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec,
		    &p);
		break;
	case DECODE_UDP:
		flow_udp(ft, (int64_t)h->ts.tv_sec, (uint32_t)h->ts.tv_usec,
		    &p);
		break;
	case DECODE_FRAG:
		nfrags++;
		break;
	case DECODE_SHORT:
		nshort++;
		break;
	default:
		break;
	}
}

/* -i: the kernel's counters now; 0, or -1 when it cannot tell */
static int
kernel_stats(void)
{
	struct pcap_stat	 ps;

	if (!live || pcap_stats(pc, &ps) == -1)
		return -1;
	/* u_int counters that wrap: each step added, modulo 2^32 */
	kdrop += (u_int)(ps.ps_drop - kdrop_last);
	kdrop_last = ps.ps_drop;
	kifdrop += (u_int)(ps.ps_ifdrop - kifdrop_last);
	kifdrop_last = ps.ps_ifdrop;
	return 0;
}

static void
stats(void)
{
	struct flow_stats	 fs;
	int			 known;

	struct copy_stats	 cs;
	char			 drop[128];

	flow_stats(ft, &fs);
	copy_stats(&cs);
	known = kernel_stats() == 0;
	if (known)
		snprintf(drop, sizeof(drop), "dropped=%llu ifdropped=%llu "
		    "copied=%llu cut=%llu", (unsigned long long)kdrop,
		    (unsigned long long)kifdrop,
		    (unsigned long long)cs.used, (unsigned long long)ncut);
	else
		snprintf(drop, sizeof(drop), "dropped=- ifdropped=- "
		    "copied=- cut=%llu", (unsigned long long)ncut);
	fprintf(stderr, "capturo: packets=%llu %s "
	    "flows=%llu active=%llu events=%llu evicted=%llu gapbytes=%llu "
	    "fragments=%llu malformed=%llu nomem=%llu delayed=%llu "
	    "lost=%llu\n",
	    (unsigned long long)npkts, drop,
	    (unsigned long long)fs.flows, (unsigned long long)fs.active,
	    (unsigned long long)fs.events, (unsigned long long)fs.evicted,
	    (unsigned long long)fs.gapbytes, (unsigned long long)nfrags,
	    (unsigned long long)nshort, (unsigned long long)fs.nomem,
	    (unsigned long long)out.delayed,
	    (unsigned long long)out.lost);
}

/* -M: one counter or gauge with its help, no labels */
static void
metric(struct metrics *m, const char *name, const char *type,
    const char *help, uint64_t v)
{
	metrics_head(m, name, type, help);
	metrics_u64(m, name, NULL, NULL, v);
}

/*
 * -M: the statistics line's counts, in the text format node_exporter's
 * textfile collector reads, written whole under a temporary name and
 * renamed.  A failure is told once, and again only after a success;
 * the capture goes on in any case.
 */
static void
metrics_write(void)
{
	struct metrics		 m;
	struct flow_stats	 fs;
	struct copy_stats	 cs;
	size_t			 i;

	if (mpath == NULL)
		return;
	flow_stats(ft, &fs);
	copy_stats(&cs);
	if (metrics_begin(&m, mpath) == -1)
		goto bad;
	metric(&m, "capturo_start_time_seconds", "gauge",
	    "When capturo started, in seconds since the epoch.", mstart);
	metric(&m, "capturo_packets_total", "counter",
	    "Packets read from the capture, after the filter.", npkts);
	if (kernel_stats() == 0) {
		metric(&m, "capturo_kernel_drops_total", "counter",
		    "Packets the filter took that the kernel dropped for "
		    "lack of room in the capture ring (pcap_stats ps_drop; "
		    "raise -B).", kdrop);
		metric(&m, "capturo_interface_drops_total", "counter",
		    "Packets the interface or its driver dropped, of any "
		    "kind, since the capture began (pcap_stats ps_ifdrop).",
		    kifdrop);
		metric(&m, "capturo_copies_total", "counter",
		    "Frames longer than a ring slot read whole through the "
		    "capture socket's queue.", cs.used);
	}
	metric(&m, "capturo_frames_cut_total", "counter",
	    "Frames read cut short: longer than -s, or than a ring slot "
	    "with no whole copy queued.", ncut);
	metric(&m, "capturo_fragments_total", "counter",
	    "IP fragments, counted and not reassembled.", nfrags);
	metric(&m, "capturo_malformed_packets_total", "counter",
	    "Packets too short or malformed to decode.", nshort);
	metric(&m, "capturo_flows_total", "counter",
	    "Connections followed since the start.", fs.flows);
	metric(&m, "capturo_flows_active", "gauge",
	    "Connections followed now.", fs.active);
	metric(&m, "capturo_flows_evicted_total", "counter",
	    "Connections closed to make room in the table (raise -F).",
	    fs.evicted);
	metric(&m, "capturo_nomem_total", "counter",
	    "Connections left without their SMTP parser, or not followed, "
	    "for lack of memory.", fs.nomem);
	metric(&m, "capturo_gap_bytes_total", "counter",
	    "Bytes of the connections that were never captured, skipped.",
	    fs.gapbytes);
	metrics_head(&m, "capturo_events_total", "counter",
	    "Event lines made, by event.");
	for (i = 0; i < NEVNAMES; i++)
		metrics_u64(&m, "capturo_events_total", "event", evnames[i],
		    evcount[i]);
	if (evcount[NEVNAMES] > 0)
		metrics_u64(&m, "capturo_events_total", "event", "other",
		    evcount[NEVNAMES]);
	metric(&m, "capturo_lines_delayed_total", "counter",
	    "Event lines that waited because the event log could not be "
	    "written.", out.delayed);
	metric(&m, "capturo_lines_lost_total", "counter",
	    "Event lines dropped: too many waiting, a reader of standard "
	    "output that stopped, or still waiting at exit.", out.lost);
	metric(&m, "capturo_backlog_bytes", "gauge",
	    "Bytes of event lines waiting for the event log.", out.backlen);
	if (metrics_commit(&m) == -1)
		goto bad;
	if (mfailed)
		log_info("%s: metrics written again", mpath);
	mfailed = 0;
	return;
bad:
	if (!mfailed)
		log_warn("%s: the metrics cannot be written (tried every %d s)",
		    mpath, METRICS_EVERY);
	mfailed = 1;
}

/* -M: the file, when it is due (every METRICS_EVERY seconds) */
static void
metrics_tick(void)
{
	struct timespec	 now;

	if (mpath == NULL)
		return;
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec < mnext.tv_sec || (now.tv_sec == mnext.tv_sec &&
	    now.tv_nsec < mnext.tv_nsec))
		return;
	metrics_write();
	mnext = now;
	mnext.tv_sec += METRICS_EVERY;
}

/* tcpdump's choice: the first interface that is up and not loopback */
static char *
default_iface(void)
{
	pcap_if_t	*all, *d;
	char		 eb[PCAP_ERRBUF_SIZE];
	char		*name = NULL;

	if (pcap_findalldevs(&all, eb) == -1)
		fatalx("cannot list interfaces: %s", eb);
	for (d = all; d != NULL; d = d->next)
		if ((d->flags & PCAP_IF_UP) && !(d->flags & PCAP_IF_LOOPBACK) &&
		    strcmp(d->name, "any") != 0 &&
		    strncmp(d->name, "nflog", 5) != 0 &&
		    strncmp(d->name, "nfqueue", 7) != 0 &&
		    strncmp(d->name, "dbus", 4) != 0 &&
		    strncmp(d->name, "bluetooth", 9) != 0) {
			name = strdup(d->name);
			break;
		}
	pcap_freealldevs(all);
	if (name == NULL)
		fatalx("no interface is up; name one with -i");
	return name;
}

static void
list_ifaces(void)
{
	pcap_if_t	*all, *d;
	char		 eb[PCAP_ERRBUF_SIZE];
	int		 i = 1;

	if (pcap_findalldevs(&all, eb) == -1)
		fatalx("cannot list interfaces: %s", eb);
	for (d = all; d != NULL; d = d->next, i++)
		printf("%d.%s%s%s%s\n", i, d->name,
		    d->description ? " (" : "",
		    d->description ? d->description : "",
		    d->description ? ")" : "");
	pcap_freealldevs(all);
}

/* -v: how the kernel laid the ring out, and what it holds */
static void
ring_log(const char *ifname, pcap_t *p)
{
	struct ring_info	 ri;
	char			 line[256];

	if (ring_query(pcap_fileno(p), &ri) == -1) {
		log_debug("%s: ring: not known (%s)", ifname, strerror(errno));
		return;
	}
	ring_describe(&ri, line, sizeof(line));
	log_debug("%s: %s", ifname, line);
}

static pcap_t *
open_live(const char *ifname, int snaplen, int bufkib)
{
	char	 eb[PCAP_ERRBUF_SIZE];
	pcap_t	*p;
	int	 r, slot;

	if ((p = pcap_create(ifname, eb)) == NULL)
		fatalx("%s: %s", ifname, eb);
	/*
	 * Immediate mode: a TPACKET_V2 ring whose every frame is handed
	 * over at once.  The ring's timeout of TPACKET_V3 counts in
	 * jiffies before Linux 6.18 (up to 8 ms at HZ=250) and would hold
	 * a lone MAIL FROM that long.  libpcap sizes each slot by the
	 * snap length, so that is kept to a full Ethernet frame's
	 * (LIVE_SLOT_SNAPLEN); the filter still returns snaplen, and a
	 * longer frame comes whole through the socket (copy.c).
	 */
	slot = strcmp(ifname, "any") == 0 ? LIVE_SLOT_SNAPLEN_COOKED :
	    LIVE_SLOT_SNAPLEN;
	pcap_set_snaplen(p, snaplen < slot ? snaplen : slot);
	pcap_set_promisc(p, 1);
	pcap_set_immediate_mode(p, 1);
	pcap_set_buffer_size(p, bufkib * 1024);
	r = pcap_activate(p);
	if (r == PCAP_ERROR_NO_SUCH_DEVICE)
		fatalx("%s: no such interface (capturo -D lists them)",
		    ifname);
	if (r == PCAP_ERROR_PERM_DENIED)
		fatalx("%s: permission denied: capturing needs root or "
		    "CAP_NET_RAW (%s)", ifname, pcap_geterr(p));
	if (r == PCAP_ERROR_IFACE_NOT_UP)
		fatalx("%s: the interface is down", ifname);
	if (r < 0)
		fatalx("%s: %s", ifname, pcap_geterr(p));
	if (r > 0)
		log_warnx("%s: %s", ifname, pcap_geterr(p));
	return p;
}

/*
 * After the filter: frames longer than a slot are copied whole to the
 * socket's queue, within LIVE_COPY_QUEUE_KIB of receive buffer, or
 * CAPTURO_COPY_KIB from the environment.
 */
static void
live_copies(const char *ifname, pcap_t *p, int snaplen)
{
	const char	*e;
	int		 kib = LIVE_COPY_QUEUE_KIB, rcvbuf;

	if ((e = getenv("CAPTURO_COPY_KIB")) != NULL)
		kib = (int)num(e, 0, LIVE_COPY_QUEUE_KIB_MAX,
		    "CAPTURO_COPY_KIB");
	if (pcap_snapshot(p) >= snaplen)
		kib = 0;	/* nothing longer is wanted */
	if (copy_setup(pcap_fileno(p), kib, &rcvbuf) == -1)
		fatal("%s: the queue of whole long frames", ifname);
	copies = kib > 0;
	snapmax = snaplen;
	ring_log(ifname, p);
	if (copies)
		log_debug("%s: longer frames: whole through the socket's "
		    "queue, up to %d KiB of them queued", ifname,
		    rcvbuf / 1024);
	else
		log_debug("%s: longer frames: cut (no queue of whole frames)",
		    ifname);
}

/*
 * -r: libpcap reads a capture through stdio, whose buffer is one block
 * of the file system, 4 KiB: a regular file is read READ_BUF_SIZE at a
 * time instead.  *regular says whether it is one.
 */
static pcap_t *
open_file(const char *path, char **buf, int *regular)
{
	struct stat	 st;
	FILE		*fp;
	pcap_t		*p;
	char		 eb[PCAP_ERRBUF_SIZE];

	if (strcmp(path, "-") == 0)
		fp = stdin;
	else if ((fp = fopen(path, "rb")) == NULL)
		fatal("%s", path);
	*regular = fstat(fileno(fp), &st) == 0 && S_ISREG(st.st_mode);
	if (*regular && (*buf = malloc(READ_BUF_SIZE)) != NULL)
		setvbuf(fp, *buf, _IOFBF, READ_BUF_SIZE);
	/* libpcap names the file in none of its messages here */
	if ((p = pcap_fopen_offline(fp, eb)) == NULL)
		fatalx("%s: %s", path, eb);
	return p;
}

/*
 * The filter: TCP to or from the watched ports, IP fragments so that
 * they are counted, and IPv6 with extension headers before its TCP
 * header, where BPF cannot find the ports; an expression given is
 * ANDed in, as tcpdump does with its own.  On Ethernet the same again
 * behind up to FILTER_VLAN_MAX VLAN tags: libpcap's tcp and ip look
 * at untagged frames only, and each vlan keyword shifts the offsets
 * of all that follows it, so each deeper case comes last.
 */
static void
set_filter(pcap_t *p, const uint16_t *ports, int nports, int dns,
    const char *expr, int ret)
{
	/* IPv6 hop-by-hop, routing, fragment, AH, destination */
	static const int	 ip6_ext[] = { IP6_HOPOPTS, IP6_ROUTING,
	    IP6_FRAGMENT, IP6_AH, IP6_DSTOPTS };
	struct bpf_program	 prog;
	FILE			*fp;
	char			*f = NULL;
	size_t			 n = 0;
	u_int			 k;
	int			 i, depth, vlans;

	vlans = pcap_datalink(p) == DLT_EN10MB ? FILTER_VLAN_MAX : 0;
	if ((fp = open_memstream(&f, &n)) == NULL)
		fatal("open_memstream");
	for (depth = 0; depth <= vlans; depth++) {
		fprintf(fp, "%s(((tcp and (", depth ? " or (vlan and (" : "");
		for (i = 0; i < nports; i++)
			fprintf(fp, "%sport %u", i ? " or " : "", ports[i]);
		/* DNS: the queries, and TCP's both ways for its state */
		if (dns)
			fprintf(fp, " or port 53)) or ((udp and dst port 53");
		fprintf(fp, ")) or (ip and ip[%d:2] & %#x != 0) or (ip6 and (",
		    IP4_FRAG_OFF, IP4_FRAG_MASK);
		for (i = 0; i < (int)(sizeof(ip6_ext) / sizeof(ip6_ext[0])); i++)
			fprintf(fp, "%sip6[%d] == %d", i ? " or " : "",
			    IP6_NXT_OFF, ip6_ext[i]);
		fprintf(fp, ")))");
		if (expr != NULL)
			fprintf(fp, " and (%s)", expr);
		fprintf(fp, ")");
	}
	for (depth = 0; depth < vlans; depth++)
		fprintf(fp, "))");
	if (fclose(fp) == EOF || f == NULL)
		fatal("the filter expression");
	/* with the link type known good, what fails to compile is the user's */
	if (pcap_compile(p, &prog, f, 1, PCAP_NETMASK_UNKNOWN) == -1) {
		if (expr == NULL)
			fatalx("the filter: %s", pcap_geterr(p));
		fprintf(stderr, "capturo: bad filter expression: %s\n",
		    pcap_geterr(p));
		exit(EX_USAGE);
	}
	/*
	 * ret: what a frame taken returns instead of the ring's snap
	 * length, so that the kernel copies a longer one whole (copy.c);
	 * libpcap 1.10 hands the program to the kernel as it is.
	 */
	for (k = 0; ret > 0 && k < prog.bf_len; k++)
		if (prog.bf_insns[k].code == (BPF_RET | BPF_K) &&
		    prog.bf_insns[k].k != 0)
			prog.bf_insns[k].k = (bpf_u_int32)ret;
	if (pcap_setfilter(p, &prog) == -1)
		fatalx("cannot set the filter: %s", pcap_geterr(p));
	log_debug("filter, %u instructions: %s", prog.bf_len, f);
	pcap_freecode(&prog);
	free(f);
}

static long
num(const char *s, long min, long max, const char *what)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	/* a digit first: no sign, no blank (every minimum is 0 or more) */
	if (!isdigit((unsigned char)*s) || *end != '\0' || errno || v < min ||
	    v > max) {
		fprintf(stderr, "capturo: %s must be a number from %ld to "
		    "%ld: %s\n", what, min, max, s);
		exit(EX_USAGE);
	}
	return v;
}

/*
 * -Z: give up root once the capture and the log are open, as tcpdump
 * and spamlogd do; any failure is fatal, and root must be gone.
 */
static void
drop_privs(const char *user, int logfd)
{
	struct passwd	*pw;

	if ((pw = getpwnam(user)) == NULL)
		fatalx("-Z %s: no such user", user);
	if (pw->pw_uid == 0)
		fatalx("-Z %s: refusing to run as uid 0", user);
	/* the log stays the user's to reopen after a rotation (SIGHUP) */
	if (logfd > 2 && fchown(logfd, pw->pw_uid, (gid_t)-1) == -1)
		log_warn("-Z %s: cannot give the event log to the user", user);
	if (setgroups(1, &pw->pw_gid) == -1 ||
	    setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) == -1 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) == -1)
		fatal("-Z %s: cannot drop privileges", user);
	if (setuid(0) != -1 || geteuid() == 0 || getegid() == 0)
		fatalx("-Z %s: root could be regained; stopping", user);
}

/* what the command line asks, before anything is opened */
struct opts {
	struct flow_conf conf;
	uint16_t	 ports[PORTS_MAX];
	int		 nports;
	const char	*iface, *rfile, *user, *wfile, *metrics;
	char		*expr;		/* the rest of the line, or NULL */
	int		 snaplen, bufkib, debug, usesyslog, json;
};

/* -r: the stdio buffer of a regular file, and whether it is one */
static char			*rbuf;
static int			 rreg;

/* one option; -1 to go on, or the exit status */
static int
parse_option(int ch, const char *arg, struct opts *o)
{
	switch (ch) {
	case 'B':
		o->bufkib = (int)num(arg, 1, LIVE_BUFFER_KIB_MAX, "-B (KiB)");
		break;
	case 'd':
	case 'v':
		o->debug = 1;
		break;
	case 'D':
		list_ifaces();
		return EX_OK;
	case 'F':
		o->conf.maxflows = (size_t)num(arg, 16, FLOWS_MAX_LIMIT,
		    "-F (flows)");
		break;
	case 'h':
		usage(stdout);
		return EX_OK;
	case 'i':
		if (*arg == '\0') {
			fprintf(stderr, "capturo: -i needs an interface name "
			    "(capturo -D lists them)\n");
			return EX_USAGE;
		}
		o->iface = arg;
		break;
	case 'J':
		o->json = 1;
		break;
	case 'N':
		o->conf.dns = 0;
		break;
	case 'M':
		o->metrics = arg;
		break;
	case 'p':
		if ((o->nports = ports_parse(arg, o->ports, PORTS_MAX)) == -1) {
			ports_usage("capturo", arg, PORTS_MAX);
			return EX_USAGE;
		}
		break;
	case 'r':
		o->rfile = arg;
		break;
	case 's':
		o->snaplen = (int)num(arg, 0, SNAPLEN_MAX, "-s (snaplen)");
		if (o->snaplen == 0)
			o->snaplen = SNAPLEN_MAX;
		break;
	case 'S':
		o->usesyslog = 1;
		break;
	case 'T':
		o->conf.idle = (unsigned)num(arg, 1, 86400, "-T (seconds)");
		break;
	case 'V':
		printf("capturo %s\n", VERSION);
		return EX_OK;
	case 'w':
		o->wfile = arg;
		break;
	case 'Z':
		o->user = arg;
		break;
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
		{ "help",	no_argument,	NULL, 'h' },
		{ "metrics",	required_argument, NULL, 'M' },
		{ "no-dns",	no_argument,	NULL, 'N' },
		{ "version",	no_argument,	NULL, 'V' },
		{ NULL,		0,		NULL, 0 }
	};
	size_t	 elen;
	int	 ch, i, r;

	while ((ch = getopt_long(argc, argv, "B:dDF:hi:JM:Np:r:s:ST:vw:Z:",
	    longopts, NULL)) != -1)
		if ((r = parse_option(ch, optarg, o)) != -1)
			return r;
	argc -= optind;
	argv += optind;
	if (o->rfile != NULL && o->iface != NULL) {
		fprintf(stderr, "capturo: -i and -r exclude each other\n");
		return EX_USAGE;
	}
	/* the rest of the line is a filter expression, as for tcpdump */
	for (i = 0, elen = 0; i < argc; i++)
		elen += strlen(argv[i]) + 1;
	if (argc > 0) {
		if ((o->expr = malloc(elen)) == NULL)
			fatal("malloc");
		o->expr[0] = '\0';
		for (i = 0; i < argc; i++) {
			strcat(o->expr, argv[i]);
			if (i + 1 < argc)
				strcat(o->expr, " ");
		}
	}
	return -1;
}

/* the capture (-r or -i) with its filter, on a link type that is read */
static void
open_capture(struct opts *o)
{
	if (o->rfile != NULL)
		pc = open_file(o->rfile, &rbuf, &rreg);
	else {
		if (o->iface == NULL)
			o->iface = default_iface();
		pc = open_live(o->iface, o->snaplen, o->bufkib);
	}
	live = o->rfile == NULL;
	dlt = pcap_datalink(pc);
	/*
	 * The link types decode_packet() reads, as capturo(8) lists them.
	 * Any other would be captured and counted, and give no event, or
	 * fail in the filter as if the expression were wrong.
	 */
	if (!decode_known(dlt))
		link_refuse(o->rfile != NULL ? o->rfile : o->iface, dlt);
	set_filter(pc, o->ports, o->nports, o->conf.dns, o->expr,
	    o->rfile == NULL ? o->snaplen : 0);
	if (o->rfile == NULL)
		live_copies(o->iface, pc, o->snaplen);
}

/*
 * -M: a name in .prom whose directory takes a new file, checked before
 * anything is opened, and again as the -Z user, who writes it from then
 * on; 0, or the message is printed and -1.
 */
static int
metrics_start(const struct opts *o, int dropped)
{
	char	 err[PATH_MAX + 256];

	if (o->metrics == NULL)
		return 0;
	if (metrics_check(o->metrics, err, sizeof(err)) == -1) {
		if (dropped)
			fprintf(stderr, "capturo: -M, as the user %s (-Z): "
			    "%s\n", o->user, err);
		else
			fprintf(stderr, "capturo: -M %s\n", err);
		return -1;
	}
	return 0;
}

/* diagnostics, the capture, the output, privileges, the flows, signals */
static int
setup(struct opts *o)
{
	struct sigaction sa;
	char		 eb[PCAP_ERRBUF_SIZE];

	log_init("capturo", !o->usesyslog);
	log_setverbose(o->debug);
	if (metrics_start(o, 0) == -1)
		return EX_USAGE;

	/* acquire: the capture, then the log */
	open_capture(o);
	if (evout_open(&out, o->wfile, o->json, eb, sizeof(eb)) == -1) {
		fprintf(stderr, "capturo: event log %s\n", eb);
		return EX_RUNTIME;
	}
	/* a stop must not wait forever for a reader that does not read */
	out.stop = &sig_stop;
	/*
	 * A capture file read into a file: nobody waits for the lines,
	 * they go out many at a time.  A FIFO or a pipe given to -r may
	 * hold packets back for as long as it likes, and each line then
	 * goes out at once.
	 */
	if (o->rfile != NULL && rreg && evout_batch(&out) == -1)
		fatal("the output batch");
	/* then drop */
	if (o->user != NULL) {
		drop_privs(o->user, out.fd);
		if (metrics_start(o, 1) == -1)
			return EX_USAGE;
	}
	o->conf.ports = o->ports;
	o->conf.nports = o->nports;
	if ((ft = flow_new(&o->conf, emit_line, NULL)) == NULL)
		fatal("flow table");

	if (wake_init() == -1)
		log_warn("pipe2: a signal may take up to a second");
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	/* a stop interrupts a read of -r - or a FIFO that waits for more */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	/* reopening the log or printing the statistics must not end it */
	sa.sa_flags = SA_RESTART;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	if (o->rfile == NULL)
		log_info("listening on %s, ports %u%s, link type %s", o->iface,
		    o->ports[0], o->nports > 1 ? " and more" : "",
		    pcap_datalink_val_to_name(dlt));
	/* the first metrics at once, then every METRICS_EVERY seconds */
	mpath = o->metrics;
	mstart = time(NULL);
	metrics_tick();
	return EX_OK;
}

/*
 * One poll loop: the capture's descriptor, and the self-pipe that a
 * signal writes, so that a signal after the flags were looked at still
 * ends the wait; signals as flags.  The exit status.
 */
static int
run(const struct opts *o)
{
	struct pollfd	 pfd[2];
	char		 eb[PCAP_ERRBUF_SIZE];
	int		 i, r;
	time_t		 now;

	pfd[0].fd = o->rfile == NULL ? pcap_get_selectable_fd(pc) : -1;
	pfd[1].fd = wake_fd();
	pfd[0].events = pfd[1].events = POLLIN;
	if (pfd[0].fd != -1 && pcap_setnonblock(pc, 1, eb) == -1)
		fatalx("%s", eb);
	r = EX_OK;
	while (!sig_stop) {
		wake_drain();
		if (sig_hup) {
			sig_hup = 0;
			evout_sync(&out);
			evout_reopen(&out);
		}
		if (sig_usr1) {
			sig_usr1 = 0;
			stats();
			metrics_write();
		}
		if (o->rfile != NULL) {
			i = pcap_dispatch(pc, FILE_DISPATCH_MAX, on_packet,
			    NULL);
			if (i == 0)
				break;		/* end of the file */
		} else {
			if (poll(pfd, 2, 1000) == -1) {
				if (errno != EINTR)
					fatal("poll");
				continue;
			}
			if (pfd[0].revents & (POLLERR | POLLNVAL)) {
				log_warnx("%s: the capture failed: the "
				    "interface went down or was removed",
				    o->iface);
				r = EX_RUNTIME;
				break;
			}
			i = pfd[0].revents & POLLIN ?
			    pcap_dispatch(pc, -1, on_packet, NULL) : 0;
			/*
			 * No copy stays in the queue, or poll would not
			 * sleep.  A copy comes only with a frame cut in the
			 * ring: the queue is looked at after a read that
			 * met one, and when the ring had nothing (a wake-up
			 * for the queue alone, or the timeout).
			 */
			if (copies && i >= 0 && (i == 0 || cutseen)) {
				copy_drain(pcap_fileno(pc), &lastts, i);
				cutseen = 0;
			}
			/* idle connections time out by the clock too */
			now = time(NULL);
			flow_expire(ft, (int64_t)now, 0);
		}
		/* the read a stop interrupted (EINTR) ends the capture */
		if (i == PCAP_ERROR && sig_stop)
			break;
		if (i == PCAP_ERROR) {
			log_warnx("%s: %s", o->rfile ? o->rfile : o->iface,
			    pcap_geterr(pc));
			r = EX_RUNTIME;
			break;
		}
		if (out.backlen > 0)
			evout_flush(&out);
		metrics_tick();
	}
	return r;
}

/* the connections still open end, the last lines go out; the exit status */
static int
finish(struct opts *o, int r)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	if (o->rfile != NULL)
		flow_endall(ft, 0, 0);
	else
		flow_endall(ft, (int64_t)ts.tv_sec,
		    (uint32_t)(ts.tv_nsec / 1000));
	/* the lines left in the backlog count in lost= */
	evout_close(&out);
	stats();
	metrics_write();
	if (out.lost > 0 && r == EX_OK)
		r = EX_RUNTIME;
	pcap_close(pc);
	pc = NULL;
	free(rbuf);
	flow_free(ft);
	free(o->expr);
	return r;
}

int
main(int argc, char *argv[])
{
	struct opts	 o;
	int		 r;

	memset(&o, 0, sizeof(o));
	o.conf.maxflows = FLOWS_MAX_DEFAULT;
	o.conf.idle = FLOW_IDLE_DEFAULT;
	o.conf.reasm_mem = REASM_MEM_MAX;
	o.conf.smtp_mem = SMTP_MEM_MAX;
	/* SMTP and submission (RFC 6409), where stolen passwords send */
	o.ports[0] = 25;
	o.ports[1] = 465;
	o.ports[2] = 587;
	o.nports = 3;
	o.conf.dns = 1;
	o.snaplen = SNAPLEN_MAX;
	o.bufkib = LIVE_BUFFER_KIB;
	if ((r = parse_options(argc, argv, &o)) != -1 ||
	    (r = setup(&o)) != EX_OK)
		return r;
	return finish(&o, run(&o));
}
