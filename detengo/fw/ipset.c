/*
 * detengo's blocks as members of two ipsets, detengo4 and detengo6: the
 * hosts come and go through libipset, each with its own timeout and
 * counters; one LOG and one DROP rule per port match the set and are
 * made once through libiptc, under the xtables lock.
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "bounds.h"
#include "log.h"
#include "backend.h"
#include "hset.h"

#include <libiptc/libiptc.h>
#include <libiptc/libip6tc.h>
#include <linux/netfilter/xt_LOG.h>
#include <linux/netfilter/xt_tcpudp.h>
#include <linux/netfilter/xt_set.h>
/* <linux/netfilter.h>, through libiptc, has nf_inet_addr and NFPROTO_* */
#define LIBIPSET_NF_INET_ADDR_H
#define LIBIPSET_NFPROTO_H
#include <libipset/ipset.h>

#define SET4		"detengo4"
#define SET6		"detengo6"
#define SET_MAXELEM	1048576		/* 1,000,000 hosts and some */
#define SET_HASHSIZE	65536
#define TIMEOUT_MAX	2147483		/* seconds, the kernel's bound */
#define TICK_MS		400		/* a reload is undone within 1 s */
#define LOG_LEVEL_DEFAULT 4

#define TCPM_LEN	(XT_ALIGN(sizeof(struct xt_entry_match)) + \
			    XT_ALIGN(sizeof(struct xt_tcp)))
#define SETM_LEN	(XT_ALIGN(sizeof(struct xt_entry_match)) + \
			    XT_ALIGN(sizeof(struct xt_set_info_match_v4)))
#define LOGT_LEN	(XT_ALIGN(sizeof(struct xt_entry_target)) + \
			    XT_ALIGN(sizeof(struct xt_log_info)))
#define STDT_LEN	XT_ALIGN(sizeof(struct xt_standard_target))
#define HDR4_LEN	XT_ALIGN(sizeof(struct ipt_entry))
#define HDR6_LEN	XT_ALIGN(sizeof(struct ip6t_entry))
#define RULE_MAX	(HDR6_LEN + TCPM_LEN + SETM_LEN + LOGT_LEN)

/* a host's item in the record: the time its block ends, 0 never */
#define UNTIL(h)	((h)->v[0])

enum { FAM4, FAM6, NFAM };
enum { RK_OTHER, RK_LOG, RK_DROP, RK_JUMP };

struct rule {
	_Alignas(8) uint8_t	 b[RULE_MAX];
};

struct ips {
	struct ipset_session *s;
	uint16_t	 ports[FW_PORTS_MAX];
	int		 nports;
	int		 insert;
	int		 usechain;
	int		 lockwait;
	const char	*lockpath;
	xt_chainlabel	 chain;
	int		 has[NFAM];	/* the family's filter table is there */
	int		 made;		/* the sets and rules are ours to keep */
	const struct ipset_type *type[NFAM];	/* of an add or del, looked up once */
	struct hset	 hosts;		/* what is in the sets, by our record */
	/* a listing in progress */
	fw_list_cb	 cb;
	void		*ctx;
	int		 listing;
	int		 lost;		/* output that could not be read */
	char		 line[512];
	size_t		 linelen;
};

static const char *const setname[NFAM] = { SET4, SET6 };
static const char *const famname[NFAM] = { "IPv4", "IPv6" };
static const xt_chainlabel fw_forward = "FORWARD";

/* --- libip4tc and libip6tc, one family at a time --- */

static struct xtc_handle *
t_init(int fi)
{
	return fi == FAM4 ? iptc_init("filter") : ip6tc_init("filter");
}

static void
t_free(int fi, struct xtc_handle *h)
{
	if (fi == FAM4)
		iptc_free(h);
	else
		ip6tc_free(h);
}

static int
t_is_chain(int fi, const char *c, struct xtc_handle *h)
{
	return fi == FAM4 ? iptc_is_chain(c, h) : ip6tc_is_chain(c, h);
}

static const void *
t_first(int fi, const char *c, struct xtc_handle *h)
{
	return fi == FAM4 ? (const void *)iptc_first_rule(c, h) :
	    (const void *)ip6tc_first_rule(c, h);
}

static const void *
t_next(int fi, const void *e, struct xtc_handle *h)
{
	return fi == FAM4 ? (const void *)iptc_next_rule(e, h) :
	    (const void *)ip6tc_next_rule(e, h);
}

static int
t_put(int fi, const char *c, const void *e, int insert, struct xtc_handle *h)
{
	if (fi == FAM4)
		return insert ? iptc_insert_entry(c, e, 0, h) :
		    iptc_append_entry(c, e, h);
	return insert ? ip6tc_insert_entry(c, e, 0, h) :
	    ip6tc_append_entry(c, e, h);
}

static int
t_delnum(int fi, const char *c, unsigned int n, struct xtc_handle *h)
{
	return fi == FAM4 ? iptc_delete_num_entry(c, n, h) :
	    ip6tc_delete_num_entry(c, n, h);
}

static int
t_commit(int fi, struct xtc_handle *h)
{
	return fi == FAM4 ? iptc_commit(h) : ip6tc_commit(h);
}

static const char *
t_strerror(int fi, int e)
{
	return fi == FAM4 ? iptc_strerror(e) : ip6tc_strerror(e);
}

/* --- the set's index, which the set match stores --- */

static int
set_index(const char *name, ip_set_id_t *idx)
{
	struct ip_set_req_version	 v;
	struct ip_set_req_get_set_family g;
	socklen_t			 len;
	int				 fd, r = -1;

	if ((fd = socket(AF_INET, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW)) == -1)
		return -1;
	memset(&v, 0, sizeof(v));
	v.op = IP_SET_OP_VERSION;
	len = sizeof(v);
	if (getsockopt(fd, SOL_IP, SO_IP_SET, &v, &len) == -1)
		goto done;
	memset(&g, 0, sizeof(g));
	g.op = IP_SET_OP_GET_FNAME;
	g.version = v.version;
	snprintf(g.set.name, sizeof(g.set.name), "%s", name);
	len = sizeof(g);
	if (getsockopt(fd, SOL_IP, SO_IP_SET, &g, &len) == -1)
		goto done;
	if (g.set.index == IPSET_INVALID_ID) {
		errno = ENOENT;
		goto done;
	}
	*idx = g.set.index;
	r = 0;
done:
	close(fd);
	return r;
}

/* --- the rules --- */

/*
 * `iptables -A CHAIN -p tcp --dport PORT -m set --match-set SET src -j
 * LOG --log-prefix "detengo: "' (or -j DROP); with set NULL, the jump
 * `-A FORWARD -p tcp --dport PORT -j CHAIN'.
 */
static void
rule_build(int fi, struct rule *r, uint16_t port, int kind, ip_set_id_t idx,
    const char *jump)
{
	size_t			 hl = fi == FAM4 ? HDR4_LEN : HDR6_LEN, off, tlen;
	struct xt_entry_match	*m;
	struct xt_tcp		*tcp;
	struct xt_set_info_match_v4 *si;
	struct xt_entry_target	*t;
	struct xt_log_info	*li;

	memset(r, 0, sizeof(*r));
	m = (struct xt_entry_match *)(r->b + hl);
	m->u.user.match_size = TCPM_LEN;
	strcpy(m->u.user.name, "tcp");
	tcp = (struct xt_tcp *)m->data;
	tcp->spts[1] = 0xffff;
	tcp->dpts[0] = tcp->dpts[1] = port;
	off = hl + TCPM_LEN;
	if (kind != RK_JUMP) {
		m = (struct xt_entry_match *)(r->b + off);
		m->u.user.match_size = SETM_LEN;
		/* iptables 1.8.9 prints only the revision it would use */
		m->u.user.revision = 4;
		strcpy(m->u.user.name, "set");
		si = (struct xt_set_info_match_v4 *)m->data;
		si->match_set.index = idx;
		si->match_set.dim = IPSET_DIM_ONE;
		si->match_set.flags = IPSET_DIM_ONE_SRC;
		/* a packet counts once, at the DROP: ! --update-counters */
		if (kind == RK_LOG)
			si->flags = IPSET_FLAG_SKIP_COUNTER_UPDATE;
		off += SETM_LEN;
	}
	t = (struct xt_entry_target *)(r->b + off);
	if (kind == RK_LOG) {
		tlen = LOGT_LEN;
		strcpy(t->u.user.name, "LOG");
		li = (struct xt_log_info *)t->data;
		li->level = LOG_LEVEL_DEFAULT;
		strcpy(li->prefix, FW_LOG_PREFIX);
	} else {
		tlen = STDT_LEN;
		strcpy(t->u.user.name, kind == RK_DROP ? "DROP" : jump);
	}
	t->u.user.target_size = tlen;
	if (fi == FAM4) {
		struct ipt_entry	*e = (struct ipt_entry *)r->b;

		e->ip.proto = IPPROTO_TCP;
		e->target_offset = off;
		e->next_offset = off + tlen;
	} else {
		struct ip6t_entry	*e = (struct ip6t_entry *)r->b;

		e->ipv6.proto = IPPROTO_TCP;
		e->ipv6.flags = IP6T_F_PROTO;
		e->target_offset = off;
		e->next_offset = off + tlen;
	}
}

/*
 * One of ours: the shape rule_build makes, field by field (the kernel
 * keeps counters and marks of its own in a rule, and gives a standard
 * target back as a verdict): no address, interface or flag but proto
 * tcp; a tcp match of one port of ours; for LOG and DROP the set match
 * of our set's source, for the jump none.
 */
static int
rule_kind(int fi, const void *e, struct xtc_handle *h, ip_set_id_t idx,
    const struct ips *st, int *pi)
{
	static const uint8_t		 zero[sizeof(struct ip6t_ip6)];
	size_t				 hl = fi == FAM4 ? HDR4_LEN : HDR6_LEN;
	const uint8_t			*b = e;
	const struct xt_entry_match	*m;
	const struct xt_tcp		*tcp;
	const struct xt_set_info_match_v4 *si;
	const struct xt_entry_target	*t;
	const struct xt_log_info	*li;
	unsigned int			 toff, noff;
	const char			*tn;
	int				 i, log;

	if (fi == FAM4) {
		const struct ipt_entry	*e4 = e;

		if (e4->ip.proto != IPPROTO_TCP || e4->ip.flags != 0 ||
		    e4->ip.invflags != 0 || memcmp(&e4->ip, zero,
		    offsetof(struct ipt_ip, proto)) != 0)
			return RK_OTHER;
		toff = e4->target_offset;
		noff = e4->next_offset;
	} else {
		const struct ip6t_entry	*e6 = e;

		if (e6->ipv6.proto != IPPROTO_TCP ||
		    e6->ipv6.flags != IP6T_F_PROTO || e6->ipv6.invflags != 0 ||
		    e6->ipv6.tos != 0 || memcmp(&e6->ipv6, zero,
		    offsetof(struct ip6t_ip6, proto)) != 0)
			return RK_OTHER;
		toff = e6->target_offset;
		noff = e6->next_offset;
	}
	if (toff != hl + TCPM_LEN && toff != hl + TCPM_LEN + SETM_LEN)
		return RK_OTHER;
	if (noff < toff + sizeof(*t) || (tn = fi == FAM4 ?
	    iptc_get_target(e, h) : ip6tc_get_target(e, h)) == NULL)
		return RK_OTHER;
	m = (const struct xt_entry_match *)(b + hl);
	tcp = (const struct xt_tcp *)m->data;
	if (m->u.match_size != TCPM_LEN || m->u.user.revision != 0 ||
	    strncmp(m->u.user.name, "tcp", sizeof(m->u.user.name)) != 0 ||
	    tcp->spts[0] != 0 || tcp->spts[1] != 0xffff ||
	    tcp->dpts[0] != tcp->dpts[1] || tcp->option != 0 ||
	    tcp->flg_mask != 0 || tcp->invflags != 0)
		return RK_OTHER;
	/* a port no longer in -p: still ours, to be taken away */
	for (i = 0; i < st->nports && st->ports[i] != tcp->dpts[0]; i++)
		;
	*pi = i < st->nports ? i : -1;
	if (toff == hl + TCPM_LEN)
		return st->usechain && strcmp(tn, st->chain) == 0 ? RK_JUMP :
		    RK_OTHER;
	m = (const struct xt_entry_match *)(b + hl + TCPM_LEN);
	si = (const struct xt_set_info_match_v4 *)m->data;
	if (m->u.match_size != SETM_LEN || m->u.user.revision != 4 ||
	    strncmp(m->u.user.name, "set", sizeof(m->u.user.name)) != 0 ||
	    si->match_set.index != idx || si->match_set.dim != IPSET_DIM_ONE ||
	    si->match_set.flags != IPSET_DIM_ONE_SRC ||
	    si->packets.op != 0 || si->bytes.op != 0)
		return RK_OTHER;
	log = strcmp(tn, "LOG") == 0;
	if (si->flags != (log ? IPSET_FLAG_SKIP_COUNTER_UPDATE : 0))
		return RK_OTHER;
	if (!log)
		return strcmp(tn, "DROP") == 0 ? RK_DROP : RK_OTHER;
	t = (const struct xt_entry_target *)(b + toff);
	if (noff != toff + LOGT_LEN || t->u.target_size != LOGT_LEN)
		return RK_OTHER;
	li = (const struct xt_log_info *)t->data;
	if (memchr(li->prefix, '\0', sizeof(li->prefix)) == NULL ||
	    strcmp(li->prefix, FW_LOG_PREFIX) != 0)
		return RK_OTHER;
	return RK_LOG;
}

struct rscan {
	uint32_t	 log, drop, jump;	/* bit i: ports[i] has it */
	unsigned int	 others;		/* rules of the chain not ours */
};

/* rule numbers to delete, from the last */
struct numlist_ {
	unsigned int	 v[256];
	size_t		 n;
};

static void
num_push(struct numlist_ *l, unsigned int i)
{
	/* more of ours than this: the rest go the next time */
	if (l != NULL && l->n < sizeof(l->v) / sizeof(l->v[0]))
		l->v[l->n++] = i;
}

/* which of our rules the chain holds; all: every one, stale: other ports */
static void
rules_scan(struct ips *st, int fi, struct xtc_handle *h, ip_set_id_t idx,
    struct rscan *rs, const char *chain, struct numlist_ *all,
    struct numlist_ *stale)
{
	const void	*e;
	unsigned int	 i;
	int		 k, pi;

	if (!t_is_chain(fi, chain, h))
		return;
	for (e = t_first(fi, chain, h), i = 0; e != NULL;
	    e = t_next(fi, e, h), i++) {
		if ((k = rule_kind(fi, e, h, idx, st, &pi)) == RK_OTHER) {
			rs->others++;
			continue;
		}
		num_push(all, i);
		if (pi == -1)
			num_push(stale, i);
		else if (k == RK_LOG)
			rs->log |= 1U << pi;
		else if (k == RK_DROP)
			rs->drop |= 1U << pi;
		else
			rs->jump |= 1U << pi;
	}
}

static int
num_delete(int fi, const char *chain, const struct numlist_ *l,
    struct xtc_handle *h)
{
	size_t	 k;

	for (k = l->n; k > 0; k--)
		if (!t_delnum(fi, chain, l->v[k - 1], h))
			return -1;
	return (int)l->n;
}

static int
tmpl_make(struct ips *st, int fi, struct rule tmpl[][3], ip_set_id_t *idxp)
{
	ip_set_id_t	 idx;
	int		 i;

	if (set_index(setname[fi], &idx) == -1)
		return -1;
	*idxp = idx;
	for (i = 0; i < st->nports; i++) {
		rule_build(fi, &tmpl[i][0], st->ports[i], RK_LOG, idx, NULL);
		rule_build(fi, &tmpl[i][1], st->ports[i], RK_DROP, idx, NULL);
		rule_build(fi, &tmpl[i][2], st->ports[i], RK_JUMP, 0,
		    st->chain);
	}
	return 0;
}

/*
 * Make the rules that are missing (make 1) or take all of ours away
 * (make 0), in one commit under the xtables lock.  The number of rules
 * changed, or -1.
 */
static int
rules_apply(struct ips *st, int fi, int make)
{
	struct rule	 tmpl[FW_PORTS_MAX][3];
	struct xtc_handle *h;
	struct rscan	 rs, fs;
	struct numlist_	 nl, fl, ns, fs_;
	ip_set_id_t	 idx;
	char		 msg[256];
	int		 lfd, i, j, n = 0, e, r, r2 = 0;

	if (tmpl_make(st, fi, tmpl, &idx) == -1) {
		if (!make && errno == ENOENT)
			return 0;	/* no set: no rule can name it */
		log_warn("ipset %s: the index of %s", famname[fi],
		    setname[fi]);
		return -1;
	}
	if ((lfd = fw_xt_lock(st->lockpath, st->lockwait, msg,
	    sizeof(msg))) == -1) {
		log_warnx("%s", msg);
		return -1;
	}
	if ((h = t_init(fi)) == NULL) {
		e = errno;
		log_warnx("%s filter table: %s (errno %d)", famname[fi],
		    t_strerror(fi, e), e);
		close(lfd);
		return -1;
	}
	memset(&rs, 0, sizeof(rs));
	memset(&fs, 0, sizeof(fs));
	nl.n = fl.n = ns.n = fs_.n = 0;
	rules_scan(st, fi, h, idx, &rs, st->chain, &nl, &ns);
	if (st->usechain)
		rules_scan(st, fi, h, idx, &fs, fw_forward, &fl, &fs_);
	if (make) {
		/* the rules of ports no longer asked for go first */
		if ((r = num_delete(fi, st->chain, &ns, h)) == -1 ||
		    (st->usechain && (r2 = num_delete(fi, fw_forward, &fs_,
		    h)) == -1))
			goto fail;
		n += r + (st->usechain ? r2 : 0);
		if (st->usechain && !t_is_chain(fi, st->chain, h)) {
			if (!(fi == FAM4 ? iptc_create_chain(st->chain, h) :
			    ip6tc_create_chain(st->chain, h)))
				goto fail;
			n++;
		}
		/* with insert, in reverse at the top: the chain reads the same */
		for (j = 0; j < st->nports; j++) {
			i = st->insert ? st->nports - 1 - j : j;
			if (st->insert && !(rs.drop & (1U << i))) {
				if (!t_put(fi, st->chain, tmpl[i][1].b, 1, h))
					goto fail;
				n++;
			}
			if (!(rs.log & (1U << i))) {
				if (!t_put(fi, st->chain, tmpl[i][0].b,
				    st->insert, h))
					goto fail;
				n++;
			}
			if (!st->insert && !(rs.drop & (1U << i))) {
				if (!t_put(fi, st->chain, tmpl[i][1].b, 0, h))
					goto fail;
				n++;
			}
			if (st->usechain && !(fs.jump & (1U << i))) {
				if (!t_put(fi, fw_forward, tmpl[i][2].b,
				    st->insert, h))
					goto fail;
				n++;
			}
		}
	} else {
		if ((r = num_delete(fi, st->chain, &nl, h)) == -1)
			goto fail;
		n += r;
		if (st->usechain) {
			if ((r = num_delete(fi, fw_forward, &fl, h)) == -1)
				goto fail;
			n += r;
			if (rs.others == 0 && t_is_chain(fi, st->chain, h) &&
			    !(fi == FAM4 ? iptc_delete_chain(st->chain, h) :
			    ip6tc_delete_chain(st->chain, h)))
				log_warnx("ipset %s: chain %s kept: %s",
				    famname[fi], st->chain,
				    t_strerror(fi, errno));
			else if (rs.others != 0)
				log_warnx("ipset %s: chain %s keeps %u rules "
				    "that are not detengo's; chain kept",
				    famname[fi], st->chain, rs.others);
		}
	}
	if (n > 0 && !t_commit(fi, h))
		goto fail;
	t_free(fi, h);
	close(lfd);
	return n;
fail:
	e = errno;
	log_warnx("ipset %s rules in %s: %s (errno %d)", famname[fi],
	    st->chain, t_strerror(fi, e), e);
	t_free(fi, h);
	close(lfd);
	return -1;
}

/* are all our rules there?  Read only: no lock. 1, 0 or -1 */
static int
rules_present(struct ips *st, int fi)
{
	struct xtc_handle *h;
	struct rscan	 rs, fs;
	struct numlist_	 ns;
	ip_set_id_t	 idx;
	uint32_t	 all = (st->nports >= 32 ? 0 : 1U << st->nports) - 1;
	int		 ok;

	if (set_index(setname[fi], &idx) == -1)
		return 0;
	if ((h = t_init(fi)) == NULL)
		return -1;
	memset(&rs, 0, sizeof(rs));
	memset(&fs, 0, sizeof(fs));
	ns.n = 0;
	rules_scan(st, fi, h, idx, &rs, st->chain, NULL, &ns);
	if (st->usechain)
		rules_scan(st, fi, h, idx, &fs, fw_forward, NULL, &ns);
	ok = ns.n == 0 && rs.log == all && rs.drop == all &&
	    (!st->usechain || fs.jump == all);
	t_free(fi, h);
	return ok;
}

/* --- the sets, through libipset --- */

static int
ips_fail(struct ips *st, const char *what, const char *name)
{
	const char	*m = ipset_session_report_msg(st->s);
	size_t		 len = strlen(m);

	while (len > 0 && (m[len - 1] == '\n' || m[len - 1] == ' '))
		len--;
	log_warnx("ipset %s %s: %.*s", what, name, (int)len,
	    len ? m : "failed");
	ipset_session_report_reset(st->s);
	return -1;
}

/* collect the output of a listing and hand each member to the callback */
static void
list_line(struct ips *st, const char *l)
{
	struct addr	 a;
	char		 name[IPSET_MAXNAMELEN], ip[64];
	const char	*p;
	unsigned long long pk = 0, by = 0, to = 0;
	int64_t		 until = 0;

	/* "add detengo4 192.0.2.1 timeout 55 packets 3 bytes 180" */
	if (sscanf(l, "add %31s %63s", name, ip) != 2 ||
	    addr_parse(ip, &a) == -1)
		return;
	if ((p = strstr(l, " timeout ")) != NULL)
		to = strtoull(p + 9, NULL, 10);
	if ((p = strstr(l, " packets ")) != NULL)
		pk = strtoull(p + 9, NULL, 10);
	if ((p = strstr(l, " bytes ")) != NULL)
		by = strtoull(p + 7, NULL, 10);
	/*
	 * The kernel's end is ours or up to a second past it (whole
	 * seconds counted from a time with its fraction), and it tells the
	 * whole seconds left, rounded down.  The wall clock in ms plus
	 * those, rounded up, is our end or a second past it, never earlier.
	 */
	if (to > TIMEOUT_MAX)
		to = TIMEOUT_MAX;
	if (to > 0)
		until = (fw_now_ms() + (int64_t)to * 1000 + 999) / 1000;
	if (st->cb != NULL)
		st->cb(st->ctx, &a, pk, by, until, 0);
}

static int
outfn(struct ipset_session *s, void *p, const char *fmt, ...)
{
	struct ips	*st = p;
	char		 sbuf[1024], *buf = sbuf, *nl, *q;
	va_list		 ap, ap2;
	int		 n;
	size_t		 len, k;

	(void)s;
	if (!st->listing)
		return 0;
	/* libipset hands over its whole output buffer, 8 KiB or more */
	va_start(ap, fmt);
	va_copy(ap2, ap);
	n = vsnprintf(sbuf, sizeof(sbuf), fmt, ap);
	va_end(ap);
	if (n >= 0 && (size_t)n >= sizeof(sbuf)) {
		if ((buf = malloc((size_t)n + 1)) == NULL) {
			va_end(ap2);
			st->lost = 1;
			return -1;
		}
		n = vsnprintf(buf, (size_t)n + 1, fmt, ap2);
	}
	va_end(ap2);
	if (n < 0) {
		st->lost = 1;
		goto done;
	}
	for (q = buf, len = (size_t)n; len > 0; ) {
		nl = memchr(q, '\n', len);
		k = nl != NULL ? (size_t)(nl - q) : len;
		if (st->linelen + k < sizeof(st->line)) {
			memcpy(st->line + st->linelen, q, k);
			st->linelen += k;
		} else
			st->linelen = sizeof(st->line);	/* too long: dropped */
		if (nl == NULL)
			break;
		if (st->linelen < sizeof(st->line)) {
			st->line[st->linelen] = '\0';
			list_line(st, st->line);
		}
		st->linelen = 0;
		len -= k + 1;
		q = nl + 1;
	}
done:
	if (buf != sbuf)
		free(buf);
	return 0;
}

static int
set_exists(struct ips *st, int fi)
{
	ipset_session_data_set(st->s, IPSET_SETNAME, setname[fi]);
	if (ipset_cmd(st->s, IPSET_CMD_HEADER, 0) == 0)
		return 1;
	ipset_session_report_reset(st->s);
	return 0;
}

static int
set_create(struct ips *st, int fi)
{
	const struct ipset_type	*type;
	uint8_t			 family = fi == FAM4 ? NFPROTO_IPV4 :
				    NFPROTO_IPV6;
	uint32_t		 zero = 0, maxelem = SET_MAXELEM,
				    hsize = SET_HASHSIZE, one = 1;

	st->type[fi] = NULL;
	ipset_envopt_set(st->s, IPSET_ENV_EXIST);
	if (ipset_session_data_set(st->s, IPSET_SETNAME, setname[fi]) < 0 ||
	    ipset_session_data_set(st->s, IPSET_OPT_TYPENAME, "hash:ip") < 0 ||
	    (type = ipset_type_get(st->s, IPSET_CMD_CREATE)) == NULL ||
	    ipset_session_data_set(st->s, IPSET_OPT_TYPE, type) < 0 ||
	    ipset_session_data_set(st->s, IPSET_OPT_FAMILY, &family) < 0 ||
	    ipset_session_data_set(st->s, IPSET_OPT_TIMEOUT, &zero) < 0 ||
	    ipset_session_data_set(st->s, IPSET_OPT_HASHSIZE, &hsize) < 0 ||
	    ipset_session_data_set(st->s, IPSET_OPT_MAXELEM, &maxelem) < 0 ||
	    ipset_session_data_set(st->s, IPSET_OPT_COUNTERS, &one) < 0 ||
	    ipset_cmd(st->s, IPSET_CMD_CREATE, 0) < 0)
		return ips_fail(st, "create", setname[fi]);
	return 0;
}

/*
 * Add (with its timeout, 0: none) or delete one host, present or not.
 * A line number other than 0 gathers the commands into one netlink
 * message until set_commit: 100,000 hosts in 0.2 s, not 3 s.
 */
static int
set_elem(struct ips *st, int fi, enum ipset_cmd cmd, const struct addr *a,
    uint32_t timeout, uint32_t lineno)
{
	const struct ipset_type	*type;
	union nf_inet_addr	 ip;
	uint8_t			 family = fi == FAM4 ? NFPROTO_IPV4 :
				    NFPROTO_IPV6;

	memset(&ip, 0, sizeof(ip));
	memcpy(&ip, a->a, fi == FAM4 ? 4 : 16);
	ipset_envopt_set(st->s, IPSET_ENV_EXIST);
	if (ipset_session_data_set(st->s, IPSET_SETNAME, setname[fi]) < 0)
		return -1;
	/* hash:ip's add and del take the same: look it up once a set */
	if ((type = st->type[fi]) == NULL &&
	    (type = st->type[fi] = ipset_type_get(st->s, cmd)) == NULL) {
		ipset_session_report_reset(st->s);
		return -1;
	}
	if (ipset_session_data_set(st->s, IPSET_OPT_TYPE, type) < 0 ||
	    ipset_session_data_set(st->s, IPSET_OPT_FAMILY, &family) < 0 ||
	    ipset_session_data_set(st->s, IPSET_OPT_IP, &ip) < 0 ||
	    (cmd == IPSET_CMD_ADD && ipset_session_data_set(st->s,
	    IPSET_OPT_TIMEOUT, &timeout) < 0) ||
	    ipset_cmd(st->s, cmd, lineno) < 0) {
		ipset_session_report_reset(st->s);
		return -1;
	}
	return 0;
}

/* send what set_elem gathered; 0 or -1, and nothing left over */
static int
set_commit(struct ips *st)
{
	if (ipset_commit(st->s) < 0) {
		ipset_session_report_reset(st->s);
		return -1;
	}
	return 0;
}

static int
set_list(struct ips *st, int fi, fw_list_cb cb, void *ctx)
{
	int	 r;

	st->cb = cb;
	st->ctx = ctx;
	st->listing = 1;
	st->lost = 0;
	st->linelen = 0;
	ipset_session_output(st->s, IPSET_LIST_SAVE);
	ipset_session_data_set(st->s, IPSET_SETNAME, setname[fi]);
	r = ipset_cmd(st->s, IPSET_CMD_LIST, 0);
	st->listing = 0;
	st->cb = NULL;
	if (r < 0)
		return ips_fail(st, "list", setname[fi]);
	if (st->lost) {
		log_warnx("ipset list %s: out of memory", setname[fi]);
		return -1;
	}
	return 0;
}

static int
set_destroy(struct ips *st, int fi)
{
	st->type[fi] = NULL;
	ipset_session_data_set(st->s, IPSET_SETNAME, setname[fi]);
	if (ipset_cmd(st->s, IPSET_CMD_DESTROY, 0) < 0)
		return ips_fail(st, "destroy", setname[fi]);
	return 0;
}

/* the seconds left of a block, as the set takes them; 0: never ends */
static uint32_t
timeout_of(int64_t until, int64_t now)
{
	if (until == 0)
		return 0;
	if (until <= now)
		return 1;
	if (until - now > TIMEOUT_MAX)
		return TIMEOUT_MAX;
	return (uint32_t)(until - now);
}

/* the record takes up the hosts a listing finds */
static void
record_cb(void *ctx, const struct addr *a, uint64_t pk, uint64_t by,
    int64_t until, int64_t since)
{
	struct ips		*st = ctx;
	struct hset_item	*h;

	(void)pk;
	(void)by;
	(void)since;
	if ((h = hset_put(&st->hosts, a)) != NULL)
		UNTIL(h) = (uint64_t)until;
}

/*
 * The sets and rules as the record says, after a reload took some: make
 * what is missing, fill a set made anew.  Hosts added, or -1.
 */
static int
rebuild(struct ips *st, int fi, int fresh)
{
	const struct hset_item	*h;
	int64_t			 now = time(NULL);
	size_t			 i;
	int			 n = 0;

	if (set_create(st, fi) == -1)
		return -1;
	for (i = 0; fresh && i < st->hosts.n; i++) {
		h = &st->hosts.v[i];
		if (h->addr.family != (fi == FAM4 ? AF_INET : AF_INET6) ||
		    (UNTIL(h) != 0 && (int64_t)UNTIL(h) <= now))
			continue;
		n++;
		if (set_elem(st, fi, IPSET_CMD_ADD, &h->addr,
		    timeout_of((int64_t)UNTIL(h), now), (uint32_t)n) == -1) {
			set_commit(st);
			return ips_fail(st, "add to", setname[fi]);
		}
	}
	if (n > 0 && set_commit(st) == -1) {
		log_warnx("ipset: cannot put %d hosts back into %s", n,
		    setname[fi]);
		return -1;
	}
	if (rules_apply(st, fi, 1) == -1)
		return -1;
	return n;
}

/* --- the backend --- */

static int
ips_check(const struct fw_conf *conf, char *err, size_t errlen)
{
	if (conf->chain != NULL && !fw_xt_chain_ok(conf->chain)) {
		snprintf(err, errlen, "bad chain name \"%.40s\": 1 to %d "
		    "printable bytes, not a built-in name", conf->chain,
		    XT_EXTENSION_MAXNAMELEN - 1);
		return -1;
	}
	return 0;
}

static void
ips_close(void *p)
{
	struct ips	*st = p;

	if (st == NULL)
		return;
	if (st->s != NULL)
		ipset_session_fini(st->s);
	hset_free(&st->hosts);
	free(st);
}

static void *
ips_open(const struct fw_conf *conf, char *err, size_t errlen)
{
	struct ips		*st;
	struct xtc_handle	*h;
	int			 fi, e, found = 0;

	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    hset_init(&st->hosts, 0) == -1) {
		snprintf(err, errlen, "%s", strerror(errno));
		free(st);
		return NULL;
	}
	memcpy(st->ports, conf->ports, conf->nports * sizeof(st->ports[0]));
	st->nports = conf->nports;
	st->insert = conf->insert != 0;
	st->lockwait = conf->lockwait > 0 ? conf->lockwait : XT_LOCK_WAIT;
	st->lockpath = fw_xt_lockpath();
	if (conf->chain != NULL) {
		st->usechain = 1;
		strncpy(st->chain, conf->chain, sizeof(st->chain) - 1);
	} else
		memcpy(st->chain, fw_forward, sizeof(st->chain));

	for (fi = 0; fi < NFAM; fi++) {
		if ((h = t_init(fi)) == NULL) {
			e = errno;
			if (fi == FAM4 || e == EPERM || e == EACCES) {
				snprintf(err, errlen, "%s filter table: %s "
				    "(errno %d): run as root with the %s "
				    "module", famname[fi], t_strerror(fi, e),
				    e, fi == FAM4 ? "iptable_filter" :
				    "ip6table_filter");
				goto bad;
			}
			log_warnx("%s filter table: %s; IPv6 hosts will not "
			    "be blocked", famname[fi], t_strerror(fi, e));
			continue;
		}
		t_free(fi, h);
		st->has[fi] = 1;
	}
	ipset_load_types();
	if ((st->s = ipset_session_init(outfn, st)) == NULL) {
		snprintf(err, errlen, "ipset: cannot start a session: %s",
		    strerror(errno));
		goto bad;
	}
	/* the hosts already in the sets, read once */
	for (fi = 0; fi < NFAM; fi++) {
		if (!st->has[fi] || !set_exists(st, fi))
			continue;
		found = 1;
		if (set_list(st, fi, record_cb, st) == -1) {
			snprintf(err, errlen, "ipset: cannot read the set %s "
			    "(ip_set module loaded? see the line above)",
			    setname[fi]);
			goto bad;
		}
	}
	st->made = found;
	return st;
bad:
	ips_close(st);
	return NULL;
}

static int
ips_list(void *p, fw_list_cb cb, void *ctx)
{
	struct ips	*st = p;
	int		 fi;

	for (fi = 0; fi < NFAM; fi++)
		if (st->has[fi] && set_exists(st, fi) &&
		    set_list(st, fi, cb, ctx) == -1)
			return -1;
	return 0;
}

/* the sets and rules are there, made now if not */
static int
ensure(struct ips *st)
{
	int	 fi;

	if (st->made)
		return 0;
	for (fi = 0; fi < NFAM; fi++)
		if (st->has[fi] && rebuild(st, fi, !set_exists(st, fi)) == -1)
			return -1;
	st->made = 1;
	return 0;
}

static int
fam_of(struct ips *st, const struct addr *in, struct addr *k)
{
	int	 fi;

	if (addr_norm(in, k) == -1)
		return -1;
	fi = k->family == AF_INET ? FAM4 : FAM6;
	return st->has[fi] ? fi : -1;
}

static int ips_tick(void *);

/* every host into its set, gathered into one message with batch */
static int
add_all(struct ips *st, const struct addr *hosts, const int64_t *until,
    size_t n, int64_t now, int batch)
{
	struct addr	 k;
	size_t		 i;
	uint32_t	 line = 0;
	int		 fi;

	for (i = 0; i < n; i++) {
		if ((fi = fam_of(st, &hosts[i], &k)) == -1)
			continue;
		if (set_elem(st, fi, IPSET_CMD_ADD, &k, timeout_of(until !=
		    NULL ? until[i] : 0, now), batch ? ++line : 0) == -1) {
			if (line > 0)
				set_commit(st);
			return -1;
		}
	}
	return line > 0 ? set_commit(st) : 0;
}

static int
ips_add(void *p, const struct addr *hosts, const int64_t *until, size_t n)
{
	struct ips		*st = p;
	struct hset_item	*h;
	struct addr		 k;
	int64_t			 now = time(NULL);
	size_t			 i, skipped = 0;
	int			 added = 0;

	if (ensure(st) == -1)
		return -1;
	if (add_all(st, hosts, until, n, now, n > 1) == -1) {
		/* a set gone since the last look: put it back, once */
		if (ips_tick(st) == -1 ||
		    add_all(st, hosts, until, n, now, 0) == -1) {
			log_warnx("ipset: cannot add %zu hosts to %s/%s", n,
			    SET4, SET6);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		if (fam_of(st, &hosts[i], &k) == -1) {
			skipped++;
			continue;
		}
		if (hset_get(&st->hosts, &k) == NULL)
			added++;
		if ((h = hset_put(&st->hosts, &k)) == NULL) {
			log_warn("ipset add");
			return -1;
		}
		UNTIL(h) = (uint64_t)(until != NULL ? until[i] : 0);
	}
	if (skipped > 0)
		log_warnx("ipset: %zu hosts of no family with a filter table "
		    "skipped", skipped);
	return added;
}

static int
ips_del(void *p, const struct addr *hosts, size_t n)
{
	struct ips	*st = p;
	struct addr	 k;
	size_t		 i;
	int		 fi, gone = 0;

	for (i = 0; i < n; i++) {
		if ((fi = fam_of(st, &hosts[i], &k)) == -1)
			continue;
		if (hset_get(&st->hosts, &k) == NULL)
			continue;
		if (set_exists(st, fi) &&
		    set_elem(st, fi, IPSET_CMD_DEL, &k, 0, 0) == -1) {
			log_warnx("ipset: cannot delete from %s", setname[fi]);
			return -1;
		}
		hset_del(&st->hosts, &k);
		gone++;
	}
	return gone;
}

/* rules first: a set a rule names cannot be destroyed */
static int
ips_flush(void *p)
{
	struct ips	*st = p;
	int		 fi, n = (int)st->hosts.live;

	for (fi = 0; fi < NFAM; fi++) {
		if (!st->has[fi])
			continue;
		if (rules_apply(st, fi, 0) == -1)
			return -1;
		if (set_exists(st, fi) && set_destroy(st, fi) == -1)
			return -1;
	}
	hset_clear(&st->hosts);
	st->made = 0;
	return n;
}

/*
 * A reload (`ipset destroy', `iptables -F', a restored ruleset) took our
 * sets or rules: put them back from the record, in one line.
 */
static int
ips_tick(void *p)
{
	struct ips	*st = p;
	int		 fi, fresh, r, n = 0, what = 0;

	if (!st->made)
		return 0;
	for (fi = 0; fi < NFAM; fi++) {
		if (!st->has[fi])
			continue;
		fresh = !set_exists(st, fi);
		if (!fresh && rules_present(st, fi) == 1)
			continue;
		if ((r = rebuild(st, fi, fresh)) == -1)
			return -1;
		n += r;
		what |= fresh ? 1 : 2;
	}
	if (what != 0)
		log_info("ipset: %s gone (a firewall reload?): put back, "
		    "%d hosts added again", what & 1 ? "the sets and rules "
		    "were" : "the rules were", n);
	return 0;
}

static const char *
ips_where(const struct fw_conf *conf)
{
	return conf->chain != NULL ? conf->chain : fw_forward;
}

static void
ips_advise(void *p)
{
	struct ips	*st = p;

	log_info("ipset backend: hosts in the sets %s and %s; rules in the "
	    "legacy table, chain %s ('ipset list %s', 'iptables-legacy -S "
	    "%s')", SET4, SET6, st->chain, SET4, st->chain);
}

const struct fw_backend fw_ipset_backend = {
	.name = "ipset",
	.caps = FW_CAN_EXPIRE | FW_CAN_COUNT | FW_KEEPS,
	.opts = FW_OPT_CHAIN | FW_OPT_INSERT | FW_OPT_LOCKWAIT,
	.tick_ms = TICK_MS,
	.check = ips_check,
	.open = ips_open,
	.close = ips_close,
	.where = ips_where,
	.advise = ips_advise,
	.list = ips_list,
	.add = ips_add,
	.del = ips_del,
	.flush = ips_flush,
	.tick = ips_tick,
};
