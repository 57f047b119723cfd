/* detengo-lat: times detengo from a mail line written to its log until its rules are in the kernel */
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netfilter/x_tables.h>
#include <linux/netfilter_ipv4/ip_tables.h>
#include <linux/netfilter_ipv6/ip6_tables.h>

#include <libmnl/libmnl.h>
#include <libnftnl/common.h>
#include <libnftnl/set.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/ipset/ip_set.h>

/* hosts one run may write: 100,000 for the nft burst with room to spare */
#define LAT_HOSTS_MAX		262144
/* one event line as the benchmark writes it; capturo's cap is 4096 */
#define LAT_LINE_MAX		256
/* the report is read in pieces this size; a line is far shorter */
#define LAT_READ_MAX		(64 * 1024)
/* DROP sources remembered by watch; the end-to-end run has 50 to 200 */
#define LAT_SEEN_MAX		4096

union lat_addr {
	struct in_addr	 a4;
	struct in6_addr	 a6;
};

struct lat {
	int		 family;
	int		 rawfd;		/* for the getsockopt(2)s */
	int		 logfd;
	int		 repfd;
	char		*rep;		/* report bytes not yet a whole line */
	size_t		 replen;
	char		*tbl;		/* the last copy of the table */
	size_t		 tblcap;
	struct mnl_socket *nl;		/* -k nft, ipset: elements looked up */
	int		 ipset;		/* -k ipset */
	uint32_t	 seq;
};

static volatile sig_atomic_t	 lat_stop;
/*
 * -S: the line that blocks in detengo's shared mode (-m shared): a
 * refusal naming a blocklist and the host, which the blocklisted
 * signature takes at once, instead of a MAIL FROM
 */
static int			 lat_shared;

static void
usage(void)
{
	fprintf(stderr,
	    "usage: detengo-lat each|burst -4|-6 -a base -n count -l log "
	    "-r report [-S] [-g gap_us] [-i interval_us] [-k iptc|nft|ipset] "
	    "[-T timeout_ms]\n"
	    "       detengo-lat gen -4|-6 -a base -n count\n"
	    "       detengo-lat watch -4|-6 [-i interval_us]\n"
	    "       detengo-lat count -4|-6 -a base -n count\n");
	exit(2);
}

static void
on_signal(int sig)
{
	(void)sig;
	lat_stop = 1;
}

static int64_t
mono_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* host number i after base: the last 32 bits count up */
static void
host_nth(int family, const union lat_addr *base, uint32_t i,
    union lat_addr *out)
{
	uint32_t	 w;

	*out = *base;
	if (family == AF_INET) {
		out->a4.s_addr = htonl(ntohl(base->a4.s_addr) + i);
		return;
	}
	memcpy(&w, &base->a6.s6_addr[12], 4);
	w = htonl(ntohl(w) + i);
	memcpy(&out->a6.s6_addr[12], &w, 4);
}

/* the number of entries in the filter table: one getsockopt, no copy */
static unsigned int
table_entries(struct lat *l)
{
	struct ipt_getinfo	 i4;
	struct ip6t_getinfo	 i6;
	socklen_t		 len;

	if (l->family == AF_INET) {
		memset(&i4, 0, sizeof(i4));
		strcpy(i4.name, "filter");
		len = sizeof(i4);
		if (getsockopt(l->rawfd, IPPROTO_IP, IPT_SO_GET_INFO, &i4,
		    &len) == -1)
			err(1, "IPT_SO_GET_INFO");
		return i4.num_entries;
	}
	memset(&i6, 0, sizeof(i6));
	strcpy(i6.name, "filter");
	len = sizeof(i6);
	if (getsockopt(l->rawfd, IPPROTO_IPV6, IP6T_SO_GET_INFO, &i6,
	    &len) == -1)
		err(1, "IP6T_SO_GET_INFO");
	return i6.num_entries;
}

/*
 * Copy the whole filter table into l->tbl; returns the size of its
 * entries.  The table may change between the two calls (EAGAIN): ask
 * again.
 */
static size_t
table_read(struct lat *l)
{
	struct ipt_getinfo	 i4;
	struct ip6t_getinfo	 i6;
	socklen_t		 len;
	size_t			 size, need, hdr;
	int			 lvl, oinfo, oget;

	lvl = l->family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6;
	oinfo = l->family == AF_INET ? IPT_SO_GET_INFO : IP6T_SO_GET_INFO;
	oget = l->family == AF_INET ? IPT_SO_GET_ENTRIES : IP6T_SO_GET_ENTRIES;
	hdr = l->family == AF_INET ? sizeof(struct ipt_get_entries) :
	    sizeof(struct ip6t_get_entries);
	for (;;) {
		if (l->family == AF_INET) {
			memset(&i4, 0, sizeof(i4));
			strcpy(i4.name, "filter");
			len = sizeof(i4);
			if (getsockopt(l->rawfd, lvl, oinfo, &i4, &len) == -1)
				err(1, "GET_INFO");
			size = i4.size;
		} else {
			memset(&i6, 0, sizeof(i6));
			strcpy(i6.name, "filter");
			len = sizeof(i6);
			if (getsockopt(l->rawfd, lvl, oinfo, &i6, &len) == -1)
				err(1, "GET_INFO");
			size = i6.size;
		}
		need = hdr + size;
		if (need > l->tblcap) {
			free(l->tbl);
			if ((l->tbl = malloc(need)) == NULL)
				err(1, "malloc");
			l->tblcap = need;
		}
		memset(l->tbl, 0, hdr);
		if (l->family == AF_INET) {
			struct ipt_get_entries *g = (void *)l->tbl;

			strcpy(g->name, "filter");
			g->size = size;
		} else {
			struct ip6t_get_entries *g = (void *)l->tbl;

			strcpy(g->name, "filter");
			g->size = size;
		}
		len = need;
		if (getsockopt(l->rawfd, lvl, oget, l->tbl, &len) == 0)
			return size;
		if (errno != EAGAIN)
			err(1, "GET_ENTRIES");
	}
}

/*
 * Call fn for the source of each DROP rule with a full-length source
 * mask, whatever chain holds it and whatever matches it carries.
 */
static void
table_drops(struct lat *l, void (*fn)(void *, const union lat_addr *),
    void *arg)
{
	const struct xt_standard_target	*t;
	union lat_addr			 a;
	size_t				 size, off, next, toff;
	const char			*base;

	size = table_read(l);
	for (off = 0; off < size; off += next) {
		memset(&a, 0, sizeof(a));
		if (l->family == AF_INET) {
			const struct ipt_entry *e;

			base = (const char *)((struct ipt_get_entries *)
			    (void *)l->tbl)->entrytable;
			e = (const void *)(base + off);
			next = e->next_offset;
			toff = e->target_offset;
			if (e->ip.smsk.s_addr != 0xffffffff)
				goto skip;
			a.a4 = e->ip.src;
		} else {
			const struct ip6t_entry *e;
			static const uint8_t ones[16] = { 0xff, 0xff, 0xff,
			    0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
			    0xff, 0xff, 0xff, 0xff, 0xff };

			base = (const char *)((struct ip6t_get_entries *)
			    (void *)l->tbl)->entrytable;
			e = (const void *)(base + off);
			next = e->next_offset;
			toff = e->target_offset;
			if (memcmp(&e->ipv6.smsk, ones, 16) != 0)
				goto skip;
			a.a6 = e->ipv6.src;
		}
		t = (const void *)(base + off + toff);
		if (strcmp(t->target.u.user.name, XT_STANDARD_TARGET) == 0 &&
		    t->verdict == -NF_DROP - 1)
			fn(arg, &a);
skip:
		if (next == 0)
			errx(1, "a table entry of length 0");
	}
}

static void
now_rfc3339(char *buf, size_t len)
{
	struct timespec	 ts;
	struct tm	 tm;
	char		 s[32];

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(s, sizeof(s), "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(buf, len, "%.19s.%06dZ", s, (int)(ts.tv_nsec / 1000));
}

/* the mail event capturo writes for host number i */
static size_t
mail_line(int family, const union lat_addr *h, uint32_t i, char *buf,
    size_t len)
{
	char	 t[48], a[INET6_ADDRSTRLEN];
	int	 n;

	now_rfc3339(t, sizeof(t));
	inet_ntop(family, h, a, sizeof(a));
	if (lat_shared)
		n = snprintf(buf, len, family == AF_INET ?
		    "%s refused sid=%08" PRIx32 " src=%s:%u "
		    "dst=203.0.113.25:25 verb=RCPT to=w@example.org reply=554 "
		    "esc=5.7.1 listed=zen.spamhaus.org named=%s\n" :
		    "%s refused sid=%08" PRIx32 " src=[%s]:%u "
		    "dst=[2001:db8:2::25]:25 verb=RCPT to=w@example.org "
		    "reply=554 esc=5.7.1 listed=zen.spamhaus.org named=%s\n",
		    t, i, a, 40000 + i % 20000, a);
	else if (family == AF_INET)
		n = snprintf(buf, len, "%s mail sid=%08" PRIx32 " src=%s:%u "
		    "dst=203.0.113.25:25 from=w@example.org\n", t, i, a,
		    40000 + i % 20000);
	else
		n = snprintf(buf, len, "%s mail sid=%08" PRIx32 " src=[%s]:%u "
		    "dst=[2001:db8:2::25]:25 from=w@example.org\n", t, i, a,
		    40000 + i % 20000);
	if (n < 0 || (size_t)n >= len)
		errx(1, "line too long");
	return (size_t)n;
}

/* send one request, read until its answer: mnl_cb_run's -1 or not */
static int
nl_ask(struct lat *l, struct nlmsghdr *nlh, uint32_t seq, const char *what)
{
	char		 buf[MNL_SOCKET_BUFFER_SIZE];
	ssize_t		 n;
	int		 r;

	if (mnl_socket_sendto(l->nl, nlh, nlh->nlmsg_len) < 0)
		err(1, "%s: send", what);
	do {
		if ((n = mnl_socket_recvfrom(l->nl, buf, sizeof(buf))) <= 0)
			err(1, "%s: recv", what);
		r = mnl_cb_run(buf, (size_t)n, seq, mnl_socket_get_portid(l->nl),
		    NULL, NULL);
	} while (r > MNL_CB_STOP);
	return r;
}

/*
 * -k nft: is h an element of detengo's set?  One GETSETELEM of that key
 * (what `nft get element' sends): no dump, the same cost at any size.
 */
static int
nft_has(struct lat *l, const union lat_addr *h)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	struct nftnl_set	*s;
	struct nftnl_set_elem	*e;
	uint32_t		 seq = ++l->seq;
	int			 r;

	if ((s = nftnl_set_alloc()) == NULL || (e = nftnl_set_elem_alloc()) ==
	    NULL)
		err(1, "nftnl");
	nftnl_set_set_str(s, NFTNL_SET_TABLE, "detengo");
	nftnl_set_set_str(s, NFTNL_SET_NAME, l->family == AF_INET ? "hosts4" :
	    "hosts6");
	nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, h, l->family == AF_INET ?
	    4 : 16);
	nftnl_set_elem_add(s, e);
	nlh = nftnl_nlmsg_build_hdr(buf, NFT_MSG_GETSETELEM, NFPROTO_INET,
	    NLM_F_ACK, seq);
	nftnl_set_elems_nlmsg_build_payload(nlh, s);
	nftnl_set_free(s);
	if ((r = nl_ask(l, nlh, seq, "nft")) == -1 && errno != ENOENT)
		err(1, "nft: get element");
	return r != -1;
}

/*
 * -k ipset: is h a member of detengo4 (detengo6)?  One IPSET_CMD_TEST
 * of that address (what `ipset test' sends): the same cost at any size.
 */
static int
ipset_has(struct lat *l, const union lat_addr *h)
{
	char			 buf[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	struct nfgenmsg		*nfg;
	struct nlattr		*data, *ip;
	uint32_t		 seq = ++l->seq;

	nlh = mnl_nlmsg_put_header(buf);
	nlh->nlmsg_type = (NFNL_SUBSYS_IPSET << 8) | IPSET_CMD_TEST;
	nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	nlh->nlmsg_seq = seq;
	nfg = mnl_nlmsg_put_extra_header(nlh, sizeof(*nfg));
	nfg->nfgen_family = l->family;
	nfg->version = NFNETLINK_V0;
	nfg->res_id = 0;
	mnl_attr_put_u8(nlh, IPSET_ATTR_PROTOCOL, IPSET_PROTOCOL);
	mnl_attr_put_strz(nlh, IPSET_ATTR_SETNAME, l->family == AF_INET ?
	    "detengo4" : "detengo6");
	data = mnl_attr_nest_start(nlh, IPSET_ATTR_DATA);
	ip = mnl_attr_nest_start(nlh, IPSET_ATTR_IP);
	mnl_attr_put(nlh, (l->family == AF_INET ? IPSET_ATTR_IPADDR_IPV4 :
	    IPSET_ATTR_IPADDR_IPV6) | NLA_F_NET_BYTEORDER,
	    l->family == AF_INET ? 4 : 16, h);
	mnl_attr_nest_end(nlh, ip);
	mnl_attr_nest_end(nlh, data);
	/* not a member, or no set yet: IPSET_ERR_EXIST, ENOENT */
	return nl_ask(l, nlh, seq, "ipset") != -1;
}

static int
set_has(struct lat *l, const union lat_addr *h)
{
	return l->ipset ? ipset_has(l, h) : nft_has(l, h);
}

/* the check of the kernel: two more filter entries, or the element */
static int
in_kernel(struct lat *l, const union lat_addr *h, unsigned int before)
{
	if (l->nl != NULL)
		return set_has(l, h);
	return table_entries(l) >= before + 2;
}

/*
 * Read what the report grew by; count its block lines, and say whether
 * one blocks want (a "host=ADDR" value).
 */
static int
report_read(struct lat *l, const char *want, size_t *blocks)
{
	ssize_t	 n;
	char	*p, *nl, *h;
	size_t	 wl = want != NULL ? strlen(want) : 0;
	int	 found = 0;

	for (;;) {
		if (l->replen == LAT_READ_MAX)
			l->replen = 0;	/* a line this long is not detengo's */
		n = read(l->repfd, l->rep + l->replen, LAT_READ_MAX - l->replen);
		if (n == -1)
			err(1, "report");
		if (n == 0)
			break;
		l->replen += (size_t)n;
		p = l->rep;
		while ((nl = memchr(p, '\n', l->replen - (size_t)(p -
		    l->rep))) != NULL) {
			*nl = '\0';
			if (strstr(p, " block ") != NULL) {
				(*blocks)++;
				if (want != NULL &&
				    (h = strstr(p, " host=")) != NULL &&
				    strncmp(h + 6, want, wl) == 0 &&
				    (h[6 + wl] == ' ' || h[6 + wl] == '\0'))
					found = 1;
			}
			p = nl + 1;
		}
		l->replen -= (size_t)(p - l->rep);
		memmove(l->rep, p, l->replen);
	}
	return found;
}

static void
lat_open(struct lat *l, const char *log, const char *rep)
{
	l->rep = NULL;
	l->replen = 0;
	if (log != NULL &&
	    (l->logfd = open(log, O_WRONLY | O_APPEND | O_CLOEXEC)) == -1)
		err(1, "%s", log);
	if (rep != NULL) {
		if ((l->repfd = open(rep, O_RDONLY | O_CLOEXEC)) == -1)
			err(1, "%s", rep);
		if (lseek(l->repfd, 0, SEEK_END) == -1)
			err(1, "%s", rep);
		if ((l->rep = malloc(LAT_READ_MAX)) == NULL)
			err(1, "malloc");
	}
}

/*
 * One host at a time: the time from just before the write(2) of its
 * mail line until the table holds two more entries (detengo's LOG and
 * DROP arrive in one commit), and until its block line is in the report.
 * Prints "host rules_ns report_ns", -1 for what did not come in time.
 */
static void
run_each(struct lat *l, const union lat_addr *base, uint32_t n,
    long gap_us, long timeout_ms, long iv_us)
{
	union lat_addr	 h;
	struct timespec	 gap, nap;
	char		 line[LAT_LINE_MAX], a[INET6_ADDRSTRLEN];
	int64_t		 t0, t, tr, tp;
	unsigned int	 before;
	size_t		 len, blocks = 0;
	uint32_t	 i;

	gap.tv_sec = gap_us / 1000000;
	gap.tv_nsec = (gap_us % 1000000) * 1000;
	nap.tv_sec = 0;
	nap.tv_nsec = iv_us * 1000;
	for (i = 0; i < n && !lat_stop; i++) {
		host_nth(l->family, base, i, &h);
		inet_ntop(l->family, &h, a, sizeof(a));
		len = mail_line(l->family, &h, i, line, sizeof(line));
		report_read(l, NULL, &blocks);
		before = l->nl != NULL ? 0 : table_entries(l);
		tr = tp = -1;
		t0 = mono_ns();
		if (write(l->logfd, line, len) != (ssize_t)len)
			err(1, "write");
		for (;;) {
			/*
			 * Each time is taken just after its check: an upper
			 * bound.  The block line is written after the commit,
			 * so a line found before the count went up means the
			 * rules came in between the two checks: both get the
			 * second time.
			 */
			if (tr == -1 && in_kernel(l, &h, before))
				tr = mono_ns() - t0;
			if (tp == -1 && report_read(l, a, &blocks)) {
				tp = mono_ns() - t0;
				if (tr == -1)
					tr = tp;
			}
			t = mono_ns();
			if ((tr != -1 && tp != -1) ||
			    t - t0 > timeout_ms * 1000000)
				break;
			if (iv_us > 0)
				nanosleep(&nap, NULL);
		}
		printf("%s %" PRId64 " %" PRId64 "\n", a, tr, tp);
		nanosleep(&gap, NULL);
	}
}

/*
 * All hosts in one write(2): the time until the table holds 2 x n more
 * entries and until n block lines are in the report.
 */
static void
run_burst(struct lat *l, const union lat_addr *base, uint32_t n,
    long timeout_ms, long iv_us)
{
	struct timespec	 nap;
	union lat_addr	 h, first, last;
	char		*buf;
	size_t		 len = 0, blocks = 0;
	int64_t		 t0, t, tr = -1, tp = -1, tfirst = -1;
	unsigned int	 before, now;
	uint32_t	 i;
	ssize_t		 w;

	if ((buf = malloc((size_t)n * LAT_LINE_MAX)) == NULL)
		err(1, "malloc");
	for (i = 0; i < n; i++) {
		host_nth(l->family, base, i, &h);
		len += mail_line(l->family, &h, i, buf + len, LAT_LINE_MAX);
	}
	nap.tv_sec = 0;
	nap.tv_nsec = (iv_us > 0 ? iv_us : 0) * 1000;
	host_nth(l->family, base, 0, &first);
	host_nth(l->family, base, n - 1, &last);
	report_read(l, NULL, &blocks);
	blocks = 0;
	before = l->nl != NULL ? 0 : table_entries(l);
	t0 = mono_ns();
	if ((w = write(l->logfd, buf, len)) != (ssize_t)len)
		err(1, "write: %zd of %zu bytes", w, len);
	for (;;) {
		t = mono_ns();
		if (l->nl != NULL) {
			/* detengo commits in the order of the lines */
			if (tfirst == -1 && set_has(l, &first))
				tfirst = t - t0;
			if (tfirst != -1 && tr == -1 && set_has(l, &last))
				tr = t - t0;
		} else {
			now = table_entries(l);
			if (tfirst == -1 && now > before)
				tfirst = t - t0;
			if (tr == -1 && now >= before + 2 * n)
				tr = t - t0;
		}
		if (tp == -1) {
			report_read(l, NULL, &blocks);
			if (blocks >= n)
				tp = mono_ns() - t0;
		}
		if ((tr != -1 && tp != -1) || t - t0 > timeout_ms * 1000000)
			break;
		/* -i: leave the CPUs to detengo between two looks */
		if (iv_us > 0)
			nanosleep(&nap, NULL);
	}
	printf("hosts=%" PRIu32 " bytes=%zu first_rules_ns=%" PRId64
	    " rules_ns=%" PRId64 " report_ns=%" PRId64 " entries_before=%u "
	    "entries_after=%u blocks=%zu\n", n, len, tfirst, tr, tp, before,
	    l->nl != NULL ? 0 : table_entries(l), blocks);
	free(buf);
}

/* the mail lines of n hosts on standard output, for a log made in advance */
static void
run_gen(int family, const union lat_addr *base, uint32_t n)
{
	union lat_addr	 h;
	char		 line[LAT_LINE_MAX];
	uint32_t	 i;

	for (i = 0; i < n; i++) {
		host_nth(family, base, i, &h);
		mail_line(family, &h, i, line, sizeof(line));
		fputs(line, stdout);
	}
}

struct seen {
	int		 family;
	size_t		 n;
	union lat_addr	 a[LAT_SEEN_MAX];
};

/* watch: print each DROP source the first time it is there */
static void
seen_one(void *arg, const union lat_addr *a)
{
	struct seen	*s = arg;
	struct timespec	 ts;
	char		 buf[INET6_ADDRSTRLEN];
	size_t		 i;

	for (i = 0; i < s->n; i++)
		if (memcmp(&s->a[i], a, sizeof(*a)) == 0)
			return;
	if (s->n == LAT_SEEN_MAX)
		return;
	s->a[s->n++] = *a;
	clock_gettime(CLOCK_REALTIME, &ts);
	inet_ntop(s->family, a, buf, sizeof(buf));
	printf("%lld.%09ld %s\n", (long long)ts.tv_sec, ts.tv_nsec, buf);
	fflush(stdout);
}

static void
run_watch(struct lat *l, long interval_us)
{
	static struct seen	 s;
	struct timespec		 nap;

	s.family = l->family;
	nap.tv_sec = interval_us / 1000000;
	nap.tv_nsec = (interval_us % 1000000) * 1000;
	while (!lat_stop) {
		table_drops(l, seen_one, &s);
		nanosleep(&nap, NULL);
	}
	/* a last look: what came during the last nap */
	table_drops(l, seen_one, &s);
}

struct range {
	int		 family;
	union lat_addr	 base;
	uint32_t	 n;
	size_t		 in, all;
};

static void
count_one(void *arg, const union lat_addr *a)
{
	struct range	*r = arg;
	uint32_t	 x, b;

	r->all++;
	if (r->family == AF_INET) {
		x = ntohl(a->a4.s_addr);
		b = ntohl(r->base.a4.s_addr);
	} else {
		if (memcmp(a->a6.s6_addr, r->base.a6.s6_addr, 12) != 0)
			return;
		memcpy(&x, &a->a6.s6_addr[12], 4);
		memcpy(&b, &r->base.a6.s6_addr[12], 4);
		x = ntohl(x);
		b = ntohl(b);
	}
	if (x - b < r->n)
		r->in++;
}

static long
number(const char *s, long lo, long hi)
{
	char	*end;
	long	 v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || *s == '\0' || *end != '\0' || v < lo || v > hi)
		errx(2, "%s: not a number in %ld..%ld", s, lo, hi);
	return v;
}

int
main(int argc, char *argv[])
{
	struct lat	 l;
	struct range	 r;
	union lat_addr	 base;
	const char	*cmd, *log = NULL, *rep = NULL, *basestr = NULL;
	long		 n = 0, gap_us = 3000, timeout_ms = 10000, iv = -1;
	int		 ch;

	if (argc < 2)
		usage();
	cmd = argv[1];
	argv++;
	argc--;
	memset(&l, 0, sizeof(l));
	l.family = AF_INET;
	while ((ch = getopt(argc, argv, "46a:g:i:k:l:n:r:ST:")) != -1) {
		switch (ch) {
		case 'S':
			lat_shared = 1;
			break;
		case 'k':
			l.ipset = strcmp(optarg, "ipset") == 0;
			if (strcmp(optarg, "nft") == 0 || l.ipset) {
				if ((l.nl = mnl_socket_open(NETLINK_NETFILTER)) ==
				    NULL || mnl_socket_bind(l.nl, 0,
				    MNL_SOCKET_AUTOPID) < 0)
					err(1, "netlink");
			} else if (strcmp(optarg, "iptc") != 0)
				usage();
			break;
		case '4':
			l.family = AF_INET;
			break;
		case '6':
			l.family = AF_INET6;
			break;
		case 'a':
			basestr = optarg;
			break;
		case 'g':
			gap_us = number(optarg, 0, 10000000);
			break;
		case 'i':
			iv = number(optarg, 0, 999999);
			break;
		case 'l':
			log = optarg;
			break;
		case 'n':
			n = number(optarg, 1, LAT_HOSTS_MAX);
			break;
		case 'r':
			rep = optarg;
			break;
		case 'T':
			timeout_ms = number(optarg, 1, 3600000);
			break;
		default:
			usage();
		}
	}
	if (basestr != NULL && inet_pton(l.family, basestr, &base) != 1)
		errx(2, "%s: not an address of that family", basestr);
	if ((l.rawfd = socket(l.family, SOCK_RAW | SOCK_CLOEXEC,
	    IPPROTO_RAW)) == -1)
		err(1, "raw socket (run as root)");
	/* a 50 us nap should be 50 us, not the default slack's 100 */
	prctl(PR_SET_TIMERSLACK, 1000UL);
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(cmd, "each") == 0 || strcmp(cmd, "burst") == 0) {
		if (basestr == NULL || n == 0 || log == NULL || rep == NULL)
			usage();
		lat_open(&l, log, rep);
		if (cmd[0] == 'e')
			run_each(&l, &base, (uint32_t)n, gap_us, timeout_ms,
			    iv);
		else
			run_burst(&l, &base, (uint32_t)n, timeout_ms, iv);
	} else if (strcmp(cmd, "gen") == 0) {
		if (basestr == NULL || n == 0)
			usage();
		run_gen(l.family, &base, (uint32_t)n);
	} else if (strcmp(cmd, "watch") == 0)
		run_watch(&l, iv < 0 ? 100 : iv);
	else if (strcmp(cmd, "count") == 0) {
		if (basestr == NULL || n == 0)
			usage();
		memset(&r, 0, sizeof(r));
		r.family = l.family;
		r.base = base;
		r.n = (uint32_t)n;
		table_drops(&l, count_one, &r);
		printf("in_range=%zu drops=%zu entries=%u\n", r.in, r.all,
		    table_entries(&l));
	} else
		usage();
	return 0;
}
