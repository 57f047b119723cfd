/* iptc-floor: what one block costs with no detengo at all, on the table as it is */
#include <sys/socket.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <err.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libiptc/libiptc.h>
#include <libiptc/libip6tc.h>
#include <linux/netfilter/xt_LOG.h>
#include <linux/netfilter/xt_tcpudp.h>

/*
 * Per round, on the filter table of the namespace it runs in:
 *   iptc   libiptc's whole transaction for one host, as detengo's rules
 *          are made: init, append LOG and DROP to FORWARD, commit, free;
 *   init   the init part of it, commit the commit part;
 *   get    the kernel alone: IPT_SO_GET_INFO and GET_ENTRIES of the
 *          table into a buffer kept from round to round;
 *   put    the kernel alone: IPT_SO_SET_REPLACE of that same table,
 *          unchanged.
 * The two rules are deleted after each round (not timed), so every
 * round sees the same table.  With -i, a thread reads the table's entry
 * count every so many microseconds, as detengo-lat does while it waits
 * for detengo, so both run beside the same load.  One line per round,
 * nanoseconds:
 *   iptc init commit get put
 */

#define FLOOR_ROUNDS_MAX	100000

#define TCPM_LEN	(XT_ALIGN(sizeof(struct xt_entry_match)) + \
			    XT_ALIGN(sizeof(struct xt_tcp)))
#define LOGT_LEN	(XT_ALIGN(sizeof(struct xt_entry_target)) + \
			    XT_ALIGN(sizeof(struct xt_log_info)))
#define STDT_LEN	XT_ALIGN(sizeof(struct xt_standard_target))

static const xt_chainlabel	 forward = "FORWARD";

static atomic_int		 poll_stop;

struct poller {
	int		 v6;
	long		 iv_us;
};

/* the entry count, read as detengo-lat reads it while it waits */
static void *
poll_main(void *arg)
{
	const struct poller	*p = arg;
	struct ipt_getinfo	 info;
	struct timespec		 nap;
	socklen_t		 len;
	int			 fd;

	fd = p->v6 ? socket(AF_INET6, SOCK_RAW, IPPROTO_RAW) :
	    socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
	if (fd == -1)
		err(1, "raw socket");
	nap.tv_sec = p->iv_us / 1000000;
	nap.tv_nsec = (p->iv_us % 1000000) * 1000;
	while (!atomic_load(&poll_stop)) {
		memset(&info, 0, sizeof(info));
		strcpy(info.name, "filter");
		len = sizeof(info);
		if (getsockopt(fd, p->v6 ? IPPROTO_IPV6 : IPPROTO_IP,
		    p->v6 ? IP6T_SO_GET_INFO : IPT_SO_GET_INFO, &info,
		    &len) == -1)
			err(1, "GET_INFO");
		if (p->iv_us > 0)
			nanosleep(&nap, NULL);
	}
	close(fd);
	return NULL;
}

static int64_t
now_ns(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* the tcp match and the LOG or DROP target after a header of hlen bytes */
static size_t
tail_build(uint8_t *b, size_t hlen, int log)
{
	struct xt_entry_match	*m = (struct xt_entry_match *)(b + hlen);
	struct xt_tcp		*tcp = (struct xt_tcp *)m->data;
	struct xt_entry_target	*t = (struct xt_entry_target *)(b + hlen +
				    TCPM_LEN);
	struct xt_log_info	*li;

	m->u.match_size = TCPM_LEN;
	strcpy(m->u.user.name, "tcp");
	tcp->spts[1] = 0xffff;
	tcp->dpts[0] = tcp->dpts[1] = 25;
	if (log) {
		t->u.target_size = LOGT_LEN;
		strcpy(t->u.user.name, "LOG");
		li = (struct xt_log_info *)t->data;
		li->level = 4;
		strcpy(li->prefix, "detengo: ");
		return hlen + TCPM_LEN + LOGT_LEN;
	}
	t->u.target_size = STDT_LEN;
	((struct xt_standard_target *)t)->verdict = -NF_DROP - 1;
	return hlen + TCPM_LEN + STDT_LEN;
}

static void
rule4(uint8_t *b, const struct in_addr *src, int log)
{
	struct ipt_entry	*e = (struct ipt_entry *)b;

	e->ip.src = *src;
	memset(&e->ip.smsk, 0xff, sizeof(e->ip.smsk));
	e->ip.proto = IPPROTO_TCP;
	e->target_offset = XT_ALIGN(sizeof(*e)) + TCPM_LEN;
	e->next_offset = tail_build(b, XT_ALIGN(sizeof(*e)), log);
}

static void
rule6(uint8_t *b, const struct in6_addr *src, int log)
{
	struct ip6t_entry	*e = (struct ip6t_entry *)b;

	e->ipv6.src = *src;
	memset(&e->ipv6.smsk, 0xff, sizeof(e->ipv6.smsk));
	e->ipv6.proto = IPPROTO_TCP;
	e->ipv6.flags = IP6T_F_PROTO;
	e->target_offset = XT_ALIGN(sizeof(*e)) + TCPM_LEN;
	e->next_offset = tail_build(b, XT_ALIGN(sizeof(*e)), log);
}

/* one host's two rules in one libiptc transaction; the init part in *init */
static int64_t
block(int v6, const void *src, int64_t *init, int64_t *commit)
{
	_Alignas(8) uint8_t	 lg[512], dr[512];
	struct xtc_handle	*h;
	int64_t			 t0, t1, t2, t3;
	int			 ok;

	memset(lg, 0, sizeof(lg));
	memset(dr, 0, sizeof(dr));
	if (v6) {
		rule6(lg, src, 1);
		rule6(dr, src, 0);
	} else {
		rule4(lg, src, 1);
		rule4(dr, src, 0);
	}
	t0 = now_ns();
	h = v6 ? ip6tc_init("filter") : iptc_init("filter");
	if (h == NULL)
		errx(1, "init: %s", v6 ? ip6tc_strerror(errno) :
		    iptc_strerror(errno));
	t1 = now_ns();
	if (v6)
		ok = ip6tc_append_entry(forward, (struct ip6t_entry *)lg, h) &&
		    ip6tc_append_entry(forward, (struct ip6t_entry *)dr, h);
	else
		ok = iptc_append_entry(forward, (struct ipt_entry *)lg, h) &&
		    iptc_append_entry(forward, (struct ipt_entry *)dr, h);
	if (!ok)
		errx(1, "append: %s", v6 ? ip6tc_strerror(errno) :
		    iptc_strerror(errno));
	t2 = now_ns();
	if (!(v6 ? ip6tc_commit(h) : iptc_commit(h)))
		errx(1, "commit: %s", v6 ? ip6tc_strerror(errno) :
		    iptc_strerror(errno));
	t3 = now_ns();
	if (v6)
		ip6tc_free(h);
	else
		iptc_free(h);
	*init = t1 - t0;
	*commit = t3 - t2;
	return now_ns() - t0;
}

/* take the last two rules of FORWARD away again */
static void
unblock(int v6)
{
	struct xtc_handle	*h;
	const void		*e;
	unsigned int		 n = 0;

	h = v6 ? ip6tc_init("filter") : iptc_init("filter");
	if (h == NULL)
		errx(1, "init: %s", strerror(errno));
	if (v6)
		for (e = ip6tc_first_rule(forward, h); e != NULL;
		    e = ip6tc_next_rule(e, h))
			n++;
	else
		for (e = iptc_first_rule(forward, h); e != NULL;
		    e = iptc_next_rule(e, h))
			n++;
	if (n < 2)
		errx(1, "FORWARD lost its rules");
	if (v6) {
		if (!ip6tc_delete_num_entry(forward, n - 1, h) ||
		    !ip6tc_delete_num_entry(forward, n - 2, h) ||
		    !ip6tc_commit(h))
			errx(1, "delete: %s", ip6tc_strerror(errno));
		ip6tc_free(h);
	} else {
		if (!iptc_delete_num_entry(forward, n - 1, h) ||
		    !iptc_delete_num_entry(forward, n - 2, h) ||
		    !iptc_commit(h))
			errx(1, "delete: %s", iptc_strerror(errno));
		iptc_free(h);
	}
}

/*
 * The kernel's part alone: read the table, then replace it with itself.
 * ipt_* and ip6t_* getinfo, get_entries and replace have the same
 * layout up to the entries, so one code path serves both.
 */
struct raw {
	int		 fd, level, oget, oinfo, oset;
	uint8_t		*get, *rep;
	size_t		 cap;
};

static void
raw_round(struct raw *r, int64_t *get, int64_t *put)
{
	struct ipt_getinfo	 info;
	struct ipt_get_entries	*ge;
	struct ipt_replace	*rp;
	struct xt_counters	*ctr;
	socklen_t		 len;
	size_t			 need;
	int64_t			 t0, t1, t2;

	t0 = now_ns();
	memset(&info, 0, sizeof(info));
	strcpy(info.name, "filter");
	len = sizeof(info);
	if (getsockopt(r->fd, r->level, r->oinfo, &info, &len) == -1)
		err(1, "GET_INFO");
	need = sizeof(*rp) + info.size;
	if (need > r->cap) {
		free(r->get);
		free(r->rep);
		if ((r->get = malloc(need)) == NULL ||
		    (r->rep = malloc(need)) == NULL)
			err(1, "malloc");
		r->cap = need;
	}
	ge = (struct ipt_get_entries *)r->get;
	strcpy(ge->name, "filter");
	ge->size = info.size;
	len = (socklen_t)(sizeof(*ge) + info.size);
	if (getsockopt(r->fd, r->level, r->oget, ge, &len) == -1)
		err(1, "GET_ENTRIES");
	t1 = now_ns();
	if ((ctr = calloc(info.num_entries, sizeof(*ctr))) == NULL)
		err(1, "calloc");
	rp = (struct ipt_replace *)r->rep;
	memset(rp, 0, sizeof(*rp));
	strcpy(rp->name, "filter");
	rp->valid_hooks = info.valid_hooks;
	rp->num_entries = info.num_entries;
	rp->size = info.size;
	memcpy(rp->hook_entry, info.hook_entry, sizeof(rp->hook_entry));
	memcpy(rp->underflow, info.underflow, sizeof(rp->underflow));
	rp->num_counters = info.num_entries;
	rp->counters = ctr;
	memcpy(rp->entries, ge->entrytable, info.size);
	t2 = now_ns();
	if (setsockopt(r->fd, r->level, r->oset, rp,
	    (socklen_t)(sizeof(*rp) + info.size)) == -1)
		err(1, "SET_REPLACE");
	*put = now_ns() - t2;
	*get = t1 - t0;
	free(ctr);
}

int
main(int argc, char *argv[])
{
	union {
		struct in_addr	 a4;
		struct in6_addr	 a6;
	}		 base, a;
	struct raw	 r;
	struct poller	 pl;
	pthread_t	 th;
	int64_t		 tot, init, commit, get, put;
	long		 n = 0, iv = -1;
	int		 ch, v6 = -1, i;
	const char	*as = NULL;

	while ((ch = getopt(argc, argv, "46a:i:n:")) != -1) {
		switch (ch) {
		case '4':
			v6 = 0;
			break;
		case '6':
			v6 = 1;
			break;
		case 'a':
			as = optarg;
			break;
		case 'i':
			iv = strtol(optarg, NULL, 10);
			break;
		case 'n':
			n = strtol(optarg, NULL, 10);
			break;
		default:
			goto usage;
		}
	}
	if (v6 == -1 || as == NULL || n < 1 || n > FLOOR_ROUNDS_MAX ||
	    inet_pton(v6 ? AF_INET6 : AF_INET, as, &base) != 1)
		goto usage;

	memset(&r, 0, sizeof(r));
	if (v6) {
		r.fd = socket(AF_INET6, SOCK_RAW, IPPROTO_RAW);
		r.level = IPPROTO_IPV6;
		r.oinfo = IP6T_SO_GET_INFO;
		r.oget = IP6T_SO_GET_ENTRIES;
		r.oset = IP6T_SO_SET_REPLACE;
	} else {
		r.fd = socket(AF_INET, SOCK_RAW, IPPROTO_RAW);
		r.level = IPPROTO_IP;
		r.oinfo = IPT_SO_GET_INFO;
		r.oget = IPT_SO_GET_ENTRIES;
		r.oset = IPT_SO_SET_REPLACE;
	}
	if (r.fd == -1)
		err(1, "raw socket");
	pl.v6 = v6;
	pl.iv_us = iv;
	if (iv >= 0 && (errno = pthread_create(&th, NULL, poll_main, &pl)) != 0)
		err(1, "pthread_create");
	for (i = 0; i < n; i++) {
		a = base;
		if (v6)
			a.a6.s6_addr[15] = (uint8_t)(a.a6.s6_addr[15] + i);
		else
			a.a4.s_addr = htonl(ntohl(a.a4.s_addr) + (uint32_t)i);
		tot = block(v6, &a, &init, &commit);
		unblock(v6);
		raw_round(&r, &get, &put);
		printf("%lld %lld %lld %lld %lld\n", (long long)tot,
		    (long long)init, (long long)commit, (long long)get,
		    (long long)put);
	}
	if (iv >= 0) {
		atomic_store(&poll_stop, 1);
		pthread_join(th, NULL);
	}
	free(r.get);
	free(r.rep);
	close(r.fd);
	return 0;
usage:
	fprintf(stderr,
	    "usage: iptc-floor -4|-6 -a base -n rounds [-i interval_us]\n");
	return 2;
}
