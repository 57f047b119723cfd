/* detengo's rules through libiptc, one commit per family, under the xtables lock */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <netinet/in.h>
#include <net/if.h>

#include <errno.h>
#include <limits.h>
#include <fcntl.h>
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
#include <linux/netfilter/nf_conntrack_common.h>
#include <linux/netfilter/xt_LOG.h>
#include <linux/netfilter/xt_conntrack.h>
#include <linux/netfilter/xt_state.h>
#include <linux/netfilter/xt_tcpudp.h>

#define XT_LOCK_PATH	"/run/xtables.lock"	/* iptables' XT_LOCK_NAME */
#define TICK_MS		400	/* a reload is undone within 1 s (ifw_tick) */
#define LOG_LEVEL_DEFAULT 4			/* LOG_WARNING, iptables' default */

/* the parts of a rule after the IP header, each padded as the kernel wants */
#define TCPM_LEN	(XT_ALIGN(sizeof(struct xt_entry_match)) + \
			    XT_ALIGN(sizeof(struct xt_tcp)))
#define LOGT_LEN	(XT_ALIGN(sizeof(struct xt_entry_target)) + \
			    XT_ALIGN(sizeof(struct xt_log_info)))
#define STDT_LEN	XT_ALIGN(sizeof(struct xt_standard_target))
#define HDR4_LEN	XT_ALIGN(sizeof(struct ipt_entry))
#define HDR6_LEN	XT_ALIGN(sizeof(struct ip6t_entry))
#define RULE_MAX	(HDR6_LEN + TCPM_LEN + LOGT_LEN)

enum { RK_OTHER, RK_LOG, RK_DROP, RK_JUMP };

/* what a pass over the chain keeps per host in its set item */
#define PKTS(h)		((h)->v[0])	/* summed over the DROP rules */
#define BYTES(h)	((h)->v[1])
#define LOGBITS(h)	((h)->v[2])	/* bit i: a LOG rule for ports[i] */
#define DROPBITS(h)	((h)->v[3])	/* bit i: a DROP rule for ports[i] */
enum { FAM4, FAM6, NFAM };

/* one rule as libiptc takes it */
struct rule {
	_Alignas(8) uint8_t	 b[RULE_MAX];
};

/* the fields of an IPv4 or IPv6 rule header detengo looks at */
struct rhdr {
	struct addr	 src, dst;
	int		 splen, dplen;	/* -1: the mask is no prefix */
	int		 sinv, dinv, iinv, oinv;
	char		 in[IFNAMSIZ + 1], out[IFNAMSIZ + 1];
	int		 proto;		/* 0: any */
	int		 protoinv;
	int		 frag;		/* matches non-first fragments only */
	int		 other;		/* any flag or inversion detengo never sets */
	unsigned int	 toff, noff;
	uint64_t	 pkts, bytes;
};

/* libip4tc and libip6tc differ only in names and entry types */
struct fam {
	int		 af;
	const char	*name;
	size_t		 hdrlen;
	int		 hostplen;
	struct xtc_handle *(*init)(void);
	void		 (*free)(struct xtc_handle *);
	int		 (*is_chain)(const char *, struct xtc_handle *);
	const void	*(*first)(const char *, struct xtc_handle *);
	const void	*(*next)(const void *, struct xtc_handle *);
	const char	*(*target)(const void *, struct xtc_handle *);
	int		 (*append)(const char *, const void *, struct xtc_handle *);
	int		 (*insert)(const char *, const void *, unsigned int,
			    struct xtc_handle *);
	int		 (*delnum)(const char *, unsigned int, struct xtc_handle *);
	int		 (*create)(const char *, struct xtc_handle *);
	int		 (*delchain)(const char *, struct xtc_handle *);
	int		 (*refs)(unsigned int *, const char *, struct xtc_handle *);
	int		 (*commit)(struct xtc_handle *);
	const char	*(*strerror)(int);
	void		 (*hdr)(const void *, struct rhdr *);
	void		 (*setsrc)(uint8_t *, const struct addr *);
};

#define FAM_WRAPPERS(p, T)						\
static struct xtc_handle *						\
p##_init_filter(void)							\
{									\
	return p##_init("filter");					\
}									\
static void								\
p##_free_h(struct xtc_handle *h)					\
{									\
	p##_free(h);							\
}									\
static int								\
p##_is_chain_w(const char *c, struct xtc_handle *h)			\
{									\
	return p##_is_chain(c, h);					\
}									\
static const void *							\
p##_first_w(const char *c, struct xtc_handle *h)			\
{									\
	return p##_first_rule(c, h);					\
}									\
static const void *							\
p##_next_w(const void *e, struct xtc_handle *h)				\
{									\
	return p##_next_rule((const T *)e, h);				\
}									\
static const char *							\
p##_target_w(const void *e, struct xtc_handle *h)			\
{									\
	return p##_get_target((const T *)e, h);				\
}									\
static int								\
p##_append_w(const char *c, const void *e, struct xtc_handle *h)	\
{									\
	return p##_append_entry(c, (const T *)e, h);			\
}									\
static int								\
p##_insert_w(const char *c, const void *e, unsigned int n,		\
    struct xtc_handle *h)						\
{									\
	return p##_insert_entry(c, (const T *)e, n, h);			\
}									\
static int								\
p##_delnum_w(const char *c, unsigned int n, struct xtc_handle *h)	\
{									\
	return p##_delete_num_entry(c, n, h);				\
}									\
static int								\
p##_create_w(const char *c, struct xtc_handle *h)			\
{									\
	return p##_create_chain(c, h);					\
}									\
static int								\
p##_delchain_w(const char *c, struct xtc_handle *h)			\
{									\
	return p##_delete_chain(c, h);					\
}									\
static int								\
p##_refs_w(unsigned int *r, const char *c, struct xtc_handle *h)	\
{									\
	return p##_get_references(r, c, h);				\
}

FAM_WRAPPERS(iptc, struct ipt_entry)
FAM_WRAPPERS(ip6tc, struct ip6t_entry)

/*
 * A filter table's shape as IPT_SO_GET_INFO gives it: the number of
 * entries, their size and where each chain starts.  Any rule added or
 * taken by anyone changes it; counters do not.
 */
struct tshape {
	unsigned int	 hook[NF_INET_NUMHOOKS], under[NF_INET_NUMHOOKS];
	unsigned int	 n, size;
};

struct ifw {
	uint16_t	 ports[FW_PORTS_MAX];
	int		 nports;
	int		 insert;
	int		 usechain;
	int		 lockwait;
	int		 has[NFAM];
	int		 sock[NFAM];	/* raw socket for the shape, or -1 */
	struct tshape	 shape[NFAM];	/* at the end of our last transaction */
	int		 moved;		/* a transaction found another shape */
	struct timespec	 lastcheck;
	const char	*lockpath;
	xt_chainlabel	 chain;		/* where the host rules live */
	struct rule	 tmpl[NFAM][FW_PORTS_MAX][3];	/* LOG, DROP, jump */
	char		 shadow[512];
};

/* one libiptc transaction: init, changes, commit, free */
struct txn {
	struct ifw	*st;
	const struct fam *fm;
	int		 fi;
	struct xtc_handle *h;
	int		 dirty;
	char		 what[192];	/* the first change, for the log */
};

static const xt_chainlabel fw_forward = "FORWARD";

static int
mask_plen(const uint8_t *m, int len)
{
	int	 i, n = 0;

	for (i = 0; i < len && m[i] == 0xff; i++)
		n += 8;
	if (i < len) {
		uint8_t	 b = m[i];

		while (b & 0x80) {
			n++;
			b <<= 1;
		}
		if (b != 0)
			return -1;
		for (i++; i < len; i++)
			if (m[i] != 0)
				return -1;
	}
	return n;
}

static void
iface_copy(char *dst, const char *src)
{
	memcpy(dst, src, IFNAMSIZ);
	dst[IFNAMSIZ] = '\0';
}

static void
hdr4(const void *p, struct rhdr *r)
{
	const struct ipt_entry	*e = p;
	const struct ipt_ip	*ip = &e->ip;

	memset(r, 0, sizeof(*r));
	r->src.family = r->dst.family = AF_INET;
	memcpy(r->src.a, &ip->src, 4);
	memcpy(r->dst.a, &ip->dst, 4);
	r->splen = mask_plen((const uint8_t *)&ip->smsk, 4);
	r->dplen = mask_plen((const uint8_t *)&ip->dmsk, 4);
	r->sinv = (ip->invflags & IPT_INV_SRCIP) != 0;
	r->dinv = (ip->invflags & IPT_INV_DSTIP) != 0;
	r->iinv = (ip->invflags & IPT_INV_VIA_IN) != 0;
	r->oinv = (ip->invflags & IPT_INV_VIA_OUT) != 0;
	iface_copy(r->in, ip->iniface);
	iface_copy(r->out, ip->outiface);
	r->proto = ip->proto;
	r->protoinv = (ip->invflags & IPT_INV_PROTO) != 0;
	r->frag = (ip->flags & IPT_F_FRAG) && !(ip->invflags & IPT_INV_FRAG);
	r->other = ip->flags != 0 || ip->invflags != 0;
	r->toff = e->target_offset;
	r->noff = e->next_offset;
	r->pkts = e->counters.pcnt;
	r->bytes = e->counters.bcnt;
}

static void
hdr6(const void *p, struct rhdr *r)
{
	const struct ip6t_entry	*e = p;
	const struct ip6t_ip6	*ip = &e->ipv6;

	memset(r, 0, sizeof(*r));
	r->src.family = r->dst.family = AF_INET6;
	memcpy(r->src.a, &ip->src, 16);
	memcpy(r->dst.a, &ip->dst, 16);
	r->splen = mask_plen((const uint8_t *)&ip->smsk, 16);
	r->dplen = mask_plen((const uint8_t *)&ip->dmsk, 16);
	r->sinv = (ip->invflags & IP6T_INV_SRCIP) != 0;
	r->dinv = (ip->invflags & IP6T_INV_DSTIP) != 0;
	r->iinv = (ip->invflags & IP6T_INV_VIA_IN) != 0;
	r->oinv = (ip->invflags & IP6T_INV_VIA_OUT) != 0;
	iface_copy(r->in, ip->iniface);
	iface_copy(r->out, ip->outiface);
	/* without IP6T_F_PROTO the kernel ignores proto: any protocol */
	r->proto = (ip->flags & IP6T_F_PROTO) ? ip->proto : 0;
	r->protoinv = (ip->invflags & IP6T_INV_PROTO) != 0;
	r->other = (ip->flags & ~IP6T_F_PROTO) != 0 || ip->invflags != 0 ||
	    ip->tos != 0;
	r->toff = e->target_offset;
	r->noff = e->next_offset;
	r->pkts = e->counters.pcnt;
	r->bytes = e->counters.bcnt;
}

static void
setsrc4(uint8_t *b, const struct addr *a)
{
	struct ipt_entry	*e = (struct ipt_entry *)b;

	memcpy(&e->ip.src, a->a, 4);
}

static void
setsrc6(uint8_t *b, const struct addr *a)
{
	struct ip6t_entry	*e = (struct ip6t_entry *)b;

	memcpy(&e->ipv6.src, a->a, 16);
}

static const struct fam fams[NFAM] = {
	{ AF_INET, "IPv4", HDR4_LEN, 32, iptc_init_filter, iptc_free_h,
	    iptc_is_chain_w, iptc_first_w, iptc_next_w, iptc_target_w,
	    iptc_append_w, iptc_insert_w, iptc_delnum_w, iptc_create_w,
	    iptc_delchain_w, iptc_refs_w, iptc_commit, iptc_strerror, hdr4,
	    setsrc4 },
	{ AF_INET6, "IPv6", HDR6_LEN, 128, ip6tc_init_filter, ip6tc_free_h,
	    ip6tc_is_chain_w, ip6tc_first_w, ip6tc_next_w, ip6tc_target_w,
	    ip6tc_append_w, ip6tc_insert_w, ip6tc_delnum_w, ip6tc_create_w,
	    ip6tc_delchain_w, ip6tc_refs_w, ip6tc_commit, ip6tc_strerror, hdr6,
	    setsrc6 },
};

/*
 * The rule `iptables -A CHAIN [-s HOST/32] -p tcp --dport PORT -j TARGET'
 * makes, field for field: a tcp match (revision 0, ports in host order,
 * source ports 0:65535) and a LOG (level 4, the prefix), DROP or jump
 * target.  Everything else stays zero.
 */
static void
rule_build(int fi, struct rule *r, uint16_t port, int kind, const char *jump)
{
	const struct fam	*fm = &fams[fi];
	struct xt_entry_match	*m;
	struct xt_tcp		*tcp;
	struct xt_entry_target	*t;
	struct xt_log_info	*li;
	size_t			 toff = fm->hdrlen + TCPM_LEN, tlen;

	memset(r, 0, sizeof(*r));
	m = (struct xt_entry_match *)(r->b + fm->hdrlen);
	m->u.user.match_size = TCPM_LEN;
	strcpy(m->u.user.name, "tcp");
	tcp = (struct xt_tcp *)m->data;
	tcp->spts[0] = 0;
	tcp->spts[1] = 0xffff;
	tcp->dpts[0] = tcp->dpts[1] = port;

	t = (struct xt_entry_target *)(r->b + toff);
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
		if (kind != RK_JUMP)
			memset(&e->ip.smsk, 0xff, 4);
		e->target_offset = toff;
		e->next_offset = toff + tlen;
	} else {
		struct ip6t_entry	*e = (struct ip6t_entry *)r->b;

		e->ipv6.proto = IPPROTO_TCP;
		/* without it the rule prints the same but never matches */
		e->ipv6.flags = IP6T_F_PROTO;
		if (kind != RK_JUMP)
			memset(&e->ipv6.smsk, 0xff, 16);
		e->target_offset = toff;
		e->next_offset = toff + tlen;
	}
}

/* the rule as iptables -A would spell it, for the log */
static void
rule_text(char *buf, size_t len, const char *chain, const struct addr *src,
    int hostplen, uint16_t port, int kind, const char *jump)
{
	char	 a[ADDR_STRLEN], sopt[ADDR_STRLEN + 16] = "";

	if (src != NULL && addr_fmt(src, a, sizeof(a)) == 0)
		snprintf(sopt, sizeof(sopt), " -s %s/%d", a, hostplen);
	snprintf(buf, len, "-A %s%s -p tcp --dport %u -j %s%s", chain, sopt,
	    port, kind == RK_LOG ? "LOG" : kind == RK_DROP ? "DROP" : jump,
	    kind == RK_LOG ? " --log-prefix \"" FW_LOG_PREFIX "\"" : "");
}

static int
port_index(const struct ifw *st, uint16_t port)
{
	int	 i;

	for (i = 0; i < st->nports; i++)
		if (st->ports[i] == port)
			return i;
	return -1;
}

/*
 * Is this one of detengo's rules?  Only the exact shape counts: source
 * /32 or /128, proto tcp, one tcp match with a single destination port,
 * and LOG with our prefix or DROP; or, in FORWARD, the jump to `jump'
 * with no source.
 */
static int
rule_kind(const struct fam *fm, struct xtc_handle *h, const void *e,
    const char *jump, struct addr *src, uint16_t *port)
{
	const uint8_t			*b = e;
	const struct xt_entry_match	*m;
	const struct xt_tcp		*tcp;
	const struct xt_entry_target	*t;
	const struct xt_log_info	*li;
	const char			*tn;
	struct rhdr			 r;

	fm->hdr(e, &r);
	if (r.proto != IPPROTO_TCP || r.other || r.in[0] != '\0' ||
	    r.out[0] != '\0' || r.dplen != 0)
		return RK_OTHER;
	if (r.toff != fm->hdrlen + TCPM_LEN ||
	    r.noff < r.toff + XT_ALIGN(sizeof(*t)))
		return RK_OTHER;
	m = (const struct xt_entry_match *)(b + fm->hdrlen);
	if (m->u.match_size != TCPM_LEN || m->u.user.revision != 0 ||
	    strncmp(m->u.user.name, "tcp", sizeof(m->u.user.name)) != 0)
		return RK_OTHER;
	tcp = (const struct xt_tcp *)m->data;
	if (tcp->spts[0] != 0 || tcp->spts[1] != 0xffff ||
	    tcp->dpts[0] != tcp->dpts[1] || tcp->option != 0 ||
	    tcp->flg_mask != 0 || tcp->flg_cmp != 0 || tcp->invflags != 0)
		return RK_OTHER;
	*port = tcp->dpts[0];
	if ((tn = fm->target(e, h)) == NULL)
		return RK_OTHER;
	if (r.splen == 0) {
		if (jump != NULL && strcmp(tn, jump) == 0)
			return RK_JUMP;
		return RK_OTHER;
	}
	if (r.splen != fm->hostplen)
		return RK_OTHER;
	*src = r.src;
	if (strcmp(tn, "DROP") == 0)
		return RK_DROP;
	t = (const struct xt_entry_target *)(b + r.toff);
	if (strcmp(tn, "LOG") == 0 && t->u.target_size == LOGT_LEN &&
	    r.noff == r.toff + LOGT_LEN) {
		li = (const struct xt_log_info *)t->data;
		if (memchr(li->prefix, '\0', sizeof(li->prefix)) != NULL &&
		    strcmp(li->prefix, FW_LOG_PREFIX) == 0)
			return RK_LOG;
	}
	return RK_OTHER;
}

/* who holds the lock on fd's file, from /proc/locks; 0 if unknown */
static long
lock_holder(int fd)
{
	FILE		*fp;
	struct stat	 sb;
	char		 line[256], kind[16];
	unsigned int	 maj, min;
	unsigned long	 ino;
	long		 pid, found = 0;

	if (fstat(fd, &sb) == -1 || (fp = fopen("/proc/locks", "re")) == NULL)
		return 0;
	while (fgets(line, sizeof(line), fp) != NULL) {
		/* "1: FLOCK  ADVISORY  WRITE 1234 00:1a:5678 0 EOF"; waiters have "->" */
		if (sscanf(line, "%*d: %15s %*s %*s %ld %x:%x:%lu", kind, &pid,
		    &maj, &min, &ino) != 5 || strcmp(kind, "FLOCK") != 0)
			continue;
		if (maj == major(sb.st_dev) && min == minor(sb.st_dev) &&
		    ino == sb.st_ino) {
			found = pid;
			break;
		}
	}
	fclose(fp);
	return found;
}

/* iptables' lock file: XTABLES_LOCKFILE overrides it, as for iptables */
const char *
fw_xt_lockpath(void)
{
	const char	*lp;

	if ((lp = getenv("XTABLES_LOCKFILE")) == NULL || *lp == '\0')
		lp = XT_LOCK_PATH;
	return lp;
}

/*
 * iptables-legacy flock(2)s this file around each change and libiptc
 * does not: without it a concurrent iptables and a libiptc commit each
 * overwrite the other's rules.  Returns the locked fd or -1 and a
 * message in msg.  The ipset backend's rules take it too.
 */
int
fw_xt_lock(const char *lockpath, int lockwait, char *msg, size_t msglen)
{
	struct timespec	 t0, now, nap;
	long		 pid;
	int		 fd;

	if ((fd = open(lockpath, O_RDONLY | O_CREAT | O_CLOEXEC,
	    0600)) == -1) {
		if (errno == EACCES || errno == EPERM)
			snprintf(msg, msglen, "xtables lock %s: %s: run as "
			    "root, or with CAP_NET_ADMIN and CAP_NET_RAW and "
			    "access to it", lockpath, strerror(errno));
		else
			snprintf(msg, msglen, "xtables lock %s: %s",
			    lockpath, strerror(errno));
		return -1;
	}
	nap.tv_sec = 0;
	nap.tv_nsec = XT_LOCK_POLL_MS * 1000000L;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR) {
			snprintf(msg, msglen, "xtables lock %s: flock: %s",
			    lockpath, strerror(errno));
			close(fd);
			return -1;
		}
		clock_gettime(CLOCK_MONOTONIC, &now);
		if (now.tv_sec - t0.tv_sec + (now.tv_nsec - t0.tv_nsec) / 1e9 >=
		    lockwait)
			break;
		nanosleep(&nap, NULL);
	}
	if ((pid = lock_holder(fd)) > 0)
		snprintf(msg, msglen, "xtables lock held by pid %ld (%s), "
		    "gave up after %d s", pid, lockpath, lockwait);
	else
		snprintf(msg, msglen, "xtables lock held (%s), gave up after "
		    "%d s", lockpath, lockwait);
	close(fd);
	return -1;
}

typedef int	(*txn_fn)(struct txn *, void *);

/* the filter table's shape, through the socket libiptc would open: 0 or -1 */
static int
table_shape(struct ifw *st, int fi, struct tshape *ts)
{
	struct ipt_getinfo	 i4;
	struct ip6t_getinfo	 i6;
	socklen_t		 len;

	memset(ts, 0, sizeof(*ts));
	if (st->sock[fi] == -1)
		return -1;
	if (fi == FAM4) {
		memset(&i4, 0, sizeof(i4));
		strncpy(i4.name, "filter", sizeof(i4.name) - 1);
		len = sizeof(i4);
		if (getsockopt(st->sock[fi], IPPROTO_IP, IPT_SO_GET_INFO, &i4,
		    &len) == -1)
			return -1;
		memcpy(ts->hook, i4.hook_entry, sizeof(ts->hook));
		memcpy(ts->under, i4.underflow, sizeof(ts->under));
		ts->n = i4.num_entries;
		ts->size = i4.size;
	} else {
		memset(&i6, 0, sizeof(i6));
		strncpy(i6.name, "filter", sizeof(i6.name) - 1);
		len = sizeof(i6);
		if (getsockopt(st->sock[fi], IPPROTO_IPV6, IP6T_SO_GET_INFO,
		    &i6, &len) == -1)
			return -1;
		memcpy(ts->hook, i6.hook_entry, sizeof(ts->hook));
		memcpy(ts->under, i6.underflow, sizeof(ts->under));
		ts->n = i6.num_entries;
		ts->size = i6.size;
	}
	return 0;
}

/*
 * Run fn inside init..commit..free holding the xtables lock.  fn reads
 * the table, makes its changes and returns its count.  A failed commit
 * may still have installed the new table (the replace worked, the
 * counters did not), so the table is read again and fn decides afresh
 * what is missing, once.  Returns the count of the first try.
 */
static int
txn_run(struct ifw *st, int fi, txn_fn fn, void *arg)
{
	const struct fam	*fm = &fams[fi];
	struct txn		 t;
	struct tshape		 was;
	char			 msg[256];
	int			 lfd, try, n = -1, first = -1, e;

	if ((lfd = fw_xt_lock(st->lockpath, st->lockwait, msg,
	    sizeof(msg))) == -1) {
		log_warnx("%s", msg);
		return -1;
	}
	/*
	 * Someone changed the table since our last look (a reload just
	 * before a block): the shape this transaction leaves would hide
	 * that change from the tick, so the tick is told
	 */
	if (table_shape(st, fi, &was) == 0 &&
	    memcmp(&was, &st->shape[fi], sizeof(was)) != 0)
		st->moved = 1;
	for (try = 0; try < 2; try++) {
		memset(&t, 0, sizeof(t));
		t.st = st;
		t.fm = fm;
		t.fi = fi;
		if ((t.h = fm->init()) == NULL) {
			e = errno;
			log_warnx("%s filter table: %s (errno %d: %s)",
			    fm->name, fm->strerror(e), e, strerror(e));
			n = -1;
			break;
		}
		if ((n = fn(&t, arg)) == -1) {
			fm->free(t.h);
			break;
		}
		if (first == -1)
			first = n;
		if (!t.dirty || fm->commit(t.h)) {
			fm->free(t.h);
			n = first;
			break;
		}
		e = errno;
		log_warnx("%s commit failed: errno %d (%s): %s; first change "
		    "\"%s\"; %s", fm->name, e, strerror(e), fm->strerror(e),
		    t.what, try == 0 ? "reading the table again" : "giving up");
		fm->free(t.h);
		n = -1;
	}
	/* still under the lock: what the table is after our change */
	(void)table_shape(st, fi, &st->shape[fi]);
	close(lfd);
	return n;
}

static void
txn_note(struct txn *t, const struct addr *src, uint16_t port, int kind,
    const char *chain)
{
	if (t->what[0] == '\0')
		rule_text(t->what, sizeof(t->what), chain, src,
		    t->fm->hostplen, port, kind, t->st->chain);
	t->dirty = 1;
}

static int
txn_failed(struct txn *t, const char *op, const char *chain)
{
	int	 e = errno;

	log_warnx("%s %s in %s: %s (errno %d: %s)", t->fm->name, op, chain,
	    t->fm->strerror(e), e, strerror(e));
	return -1;
}

/*
 * One pass over our chain: which host has which of our rules.  With
 * known, only the hosts already in the set are looked at.
 */
static int
scan_hosts(struct txn *t, struct hset *set, int counters, int known)
{
	const void	*e;
	struct hset_item	*h;
	struct addr	 src;
	struct rhdr	 r;
	uint16_t	 port;
	int		 k, pi;

	if (!t->fm->is_chain(t->st->chain, t->h))
		return 0;
	for (e = t->fm->first(t->st->chain, t->h); e != NULL;
	    e = t->fm->next(e, t->h)) {
		k = rule_kind(t->fm, t->h, e, NULL, &src, &port);
		if (k != RK_LOG && k != RK_DROP)
			continue;
		if (known) {
			if ((h = hset_get(set, &src)) == NULL)
				continue;
		} else if ((h = hset_put(set, &src)) == NULL) {
			log_warn("%s scan", t->fm->name);
			return -1;
		}
		if ((pi = port_index(t->st, port)) != -1) {
			if (k == RK_LOG)
				LOGBITS(h) |= 1U << pi;
			else
				DROPBITS(h) |= 1U << pi;
		}
		if (k == RK_DROP && counters) {
			t->fm->hdr(e, &r);
			PKTS(h) += r.pkts;
			BYTES(h) += r.bytes;
		}
	}
	return 0;
}

/* with -c CHAIN: the chain exists and FORWARD jumps to it for every port */
static int
ensure_chain(struct txn *t)
{
	const struct fam	*fm = t->fm;
	struct ifw		*st = t->st;
	const void		*e;
	struct addr		 src;
	uint16_t		 port;
	uint32_t		 have = 0;
	int			 i, j, pi, ok;

	if (!fm->is_chain(st->chain, t->h)) {
		if (!fm->create(st->chain, t->h))
			return txn_failed(t, "create chain", st->chain);
		if (t->what[0] == '\0')
			snprintf(t->what, sizeof(t->what), "-N %s", st->chain);
		t->dirty = 1;
	}
	for (e = fm->first(fw_forward, t->h); e != NULL; e = fm->next(e, t->h))
		if (rule_kind(fm, t->h, e, st->chain, &src, &port) ==
		    RK_JUMP && (pi = port_index(st, port)) != -1)
			have |= 1U << pi;
	/* inserted at the top in reverse, so they end up in port order */
	for (j = 0; j < st->nports; j++) {
		i = st->insert ? st->nports - 1 - j : j;
		if (have & (1U << i))
			continue;
		if (st->insert)
			ok = fm->insert(fw_forward, st->tmpl[t->fi][i][2].b, 0,
			    t->h);
		else
			ok = fm->append(fw_forward, st->tmpl[t->fi][i][2].b,
			    t->h);
		if (!ok)
			return txn_failed(t, "jump rule", fw_forward);
		txn_note(t, NULL, st->ports[i], RK_JUMP, fw_forward);
	}
	return 0;
}

struct addarg {
	const struct addr	*hosts;
	size_t			 n;
};

static int
add_rule(struct txn *t, const struct addr *a, int pi, int kind)
{
	struct rule	*r = &t->st->tmpl[t->fi][pi][kind == RK_LOG ? 0 : 1];
	int		 ok;

	t->fm->setsrc(r->b, a);
	if (t->st->insert)
		ok = t->fm->insert(t->st->chain, r->b, 0, t->h);
	else
		ok = t->fm->append(t->st->chain, r->b, t->h);
	if (!ok)
		return txn_failed(t, kind == RK_LOG ? "add LOG" : "add DROP",
		    t->st->chain);
	txn_note(t, a, t->st->ports[pi], kind, t->st->chain);
	return 0;
}

/*
 * A host counts as present for a port when its DROP rule is there; a
 * missing port gets LOG (unless present) and DROP.  With insert the
 * hosts and ports go in reverse at position 0, so the chain reads the
 * same as after appending.
 */
static int
add_fn(struct txn *t, void *arg)
{
	struct addarg	*aa = arg;
	struct ifw	*st = t->st;
	struct hset	 set;
	struct hset_item	*h;
	size_t		 i, j;
	int		 added = 0, p, pi, any, rev = st->insert;

	if (hset_init(&set, aa->n) == -1) {
		log_warn("%s add", t->fm->name);
		return -1;
	}
	/* only the hosts to add matter, however many the chain holds */
	for (i = 0; i < aa->n; i++)
		if (hset_put(&set, &aa->hosts[i]) == NULL) {
			log_warn("%s add", t->fm->name);
			goto bad;
		}
	if (scan_hosts(t, &set, 0, 1) == -1)
		goto bad;
	if (st->usechain && ensure_chain(t) == -1)
		goto bad;
	for (j = 0; j < aa->n; j++) {
		i = rev ? aa->n - 1 - j : j;
		if ((h = hset_put(&set, &aa->hosts[i])) == NULL) {
			log_warn("%s add", t->fm->name);
			goto bad;
		}
		any = 0;
		for (p = 0; p < st->nports; p++) {
			pi = rev ? st->nports - 1 - p : p;
			if (DROPBITS(h) & (1U << pi))
				continue;
			if (rev && add_rule(t, &aa->hosts[i], pi, RK_DROP) == -1)
				goto bad;
			if (!(LOGBITS(h) & (1U << pi)) &&
			    add_rule(t, &aa->hosts[i], pi, RK_LOG) == -1)
				goto bad;
			if (!rev && add_rule(t, &aa->hosts[i], pi, RK_DROP) == -1)
				goto bad;
			LOGBITS(h) |= 1U << pi;
			DROPBITS(h) |= 1U << pi;
			any = 1;
		}
		added += any;
	}
	hset_free(&set);
	return added;
bad:
	hset_free(&set);
	return -1;
}

/* rule numbers to delete, collected in one pass, deleted from the last */
struct numlist {
	unsigned int	*v;
	size_t		 n, cap;
};

static int
numlist_push(struct numlist *l, unsigned int x)
{
	unsigned int	*v;
	size_t		 cap;

	if (l->n == l->cap) {
		cap = l->cap ? 2 * l->cap : 256;
		if ((v = reallocarray(l->v, cap, sizeof(*v))) == NULL)
			return -1;
		l->v = v;
		l->cap = cap;
	}
	l->v[l->n++] = x;
	return 0;
}

/*
 * Delete the listed rules from the highest number down, so the numbers
 * still to go stay valid; libiptc walks from the nearer end of the
 * chain, and detengo's rules sit at one end.
 */
static int
numlist_delete(struct txn *t, const struct numlist *l, const char *chain)
{
	size_t	 i;

	for (i = l->n; i > 0; i--) {
		if (!t->fm->delnum(chain, l->v[i - 1], t->h))
			return txn_failed(t, "delete", chain);
		t->dirty = 1;
		if (t->what[0] == '\0')
			snprintf(t->what, sizeof(t->what), "-D %s %u", chain,
			    l->v[i - 1] + 1);
	}
	return 0;
}

struct delarg {
	struct hset	*want;		/* NULL: every host (flush) */
	int		 chaingone;
};

static int
del_fn(struct txn *t, void *arg)
{
	struct delarg	*da = arg;
	struct ifw	*st = t->st;
	const void	*e;
	struct hset	 seen;
	struct numlist	 nl;
	struct addr	 src;
	uint16_t	 port;
	unsigned int	 i, total = 0, refs;
	int		 k, n = -1;

	memset(&nl, 0, sizeof(nl));
	if (hset_init(&seen, 0) == -1) {
		log_warn("%s delete", t->fm->name);
		return -1;
	}
	if (!t->fm->is_chain(st->chain, t->h)) {
		n = 0;
		goto done;
	}
	for (e = t->fm->first(st->chain, t->h), i = 0; e != NULL;
	    e = t->fm->next(e, t->h), i++) {
		total++;
		k = rule_kind(t->fm, t->h, e, NULL, &src, &port);
		if (k != RK_LOG && k != RK_DROP)
			continue;
		if (da->want != NULL && hset_get(da->want, &src) == NULL)
			continue;
		if (numlist_push(&nl, i) == -1 || hset_put(&seen, &src) ==
		    NULL) {
			log_warn("%s delete", t->fm->name);
			goto done;
		}
	}
	if (numlist_delete(t, &nl, st->chain) == -1)
		goto done;
	n = (int)seen.live;

	/* flush with a chain: jumps and chain go too, if nothing else is in it */
	if (da->want == NULL && st->usechain) {
		if (total != nl.n) {
			log_warnx("%s chain %s keeps %u rules that are not "
			    "detengo's; chain kept", t->fm->name, st->chain,
			    total - (unsigned int)nl.n);
			goto done;
		}
		nl.n = 0;
		for (e = t->fm->first(fw_forward, t->h), i = 0; e != NULL;
		    e = t->fm->next(e, t->h), i++)
			if (rule_kind(t->fm, t->h, e, st->chain, &src, &port) ==
			    RK_JUMP && numlist_push(&nl, i) == -1) {
				log_warn("%s flush", t->fm->name);
				n = -1;
				goto done;
			}
		if (numlist_delete(t, &nl, fw_forward) == -1) {
			n = -1;
			goto done;
		}
		if (!t->fm->refs(&refs, st->chain, t->h) || refs != 0) {
			log_warnx("%s chain %s is still the target of other "
			    "rules; chain kept", t->fm->name, st->chain);
			goto done;
		}
		if (!t->fm->delchain(st->chain, t->h)) {
			n = txn_failed(t, "delete chain", st->chain);
			goto done;
		}
		t->dirty = 1;
		da->chaingone = 1;
	}
done:
	free(nl.v);
	hset_free(&seen);
	return n;
}

static int
list_fn(struct txn *t, void *arg)
{
	return scan_hosts(t, arg, 1, 0);
}

static void	desc_add(char *, size_t, const char *, ...)
		    __attribute__((format(printf, 3, 4)));

/* append to the description, quietly cut at its end */
static void
desc_add(char *buf, size_t len, const char *fmt, ...)
{
	va_list	 ap;
	size_t	 used = strlen(buf);

	if (used + 1 >= len)
		return;
	va_start(ap, fmt);
	vsnprintf(buf + used, len - used, fmt, ap);
	va_end(ap);
}

static void
desc_addr(char *buf, size_t len, const char *opt, int inv,
    const struct addr *a, int plen)
{
	char	 s[ADDR_STRLEN];

	if (plen == 0 || addr_fmt(a, s, sizeof(s)) == -1)
		return;
	if (plen > 0)
		desc_add(buf, len, " %s%s %s/%d", inv ? "! " : "", opt, s,
		    plen);
	else
		desc_add(buf, len, " %s%s %s/(mask)", inv ? "! " : "", opt, s);
}

/*
 * Would this ACCEPT rule take a new tcp connection to one of our ports?
 * Matches that cannot be judged (anything but tcp, state, conntrack and
 * comment) count as no, so a report is never a guess.
 */
static int
rule_accepts(struct txn *t, const void *e, unsigned int num, char *buf,
    size_t len)
{
	const struct fam		*fm = t->fm;
	const uint8_t			*b = e;
	const struct xt_entry_match	*m;
	const struct xt_tcp		*tcp;
	const char			*tn;
	struct rhdr			 r;
	char				 ports[64] = "", mods[64] = "";
	unsigned int			 off, dlen, mask, inv, flags, nw;
	int				 i, hit;

	if ((tn = fm->target(e, t->h)) == NULL || strcmp(tn, "ACCEPT") != 0)
		return 0;
	fm->hdr(e, &r);
	if (r.frag)
		return 0;
	if (r.proto != 0 && (r.proto == IPPROTO_TCP) == r.protoinv)
		return 0;
	for (off = fm->hdrlen; off < r.toff; off += m->u.match_size) {
		if (r.toff - off < sizeof(*m))
			return 0;
		m = (const struct xt_entry_match *)(b + off);
		if (m->u.match_size < sizeof(*m) ||
		    m->u.match_size > r.toff - off)
			return 0;
		dlen = m->u.match_size - sizeof(*m);
		if (strncmp(m->u.user.name, "tcp", XT_EXTENSION_MAXNAMELEN) ==
		    0 && dlen >= sizeof(*tcp)) {
			tcp = (const struct xt_tcp *)m->data;
			inv = (tcp->invflags & XT_TCP_INV_DSTPT) != 0;
			for (i = 0, hit = 0; i < t->st->nports; i++)
				if ((t->st->ports[i] >= tcp->dpts[0] &&
				    t->st->ports[i] <= tcp->dpts[1]) != inv)
					hit = 1;
			if (!hit)
				return 0;
			if (tcp->dpts[0] == tcp->dpts[1])
				snprintf(ports, sizeof(ports),
				    " -m tcp %s--dport %u", inv ? "! " : "",
				    tcp->dpts[0]);
			else if (tcp->dpts[0] != 0 || tcp->dpts[1] != 0xffff)
				snprintf(ports, sizeof(ports),
				    " -m tcp %s--dport %u:%u", inv ? "! " : "",
				    tcp->dpts[0], tcp->dpts[1]);
		} else if (strncmp(m->u.user.name, "state",
		    XT_EXTENSION_MAXNAMELEN) == 0 &&
		    dlen >= sizeof(struct xt_state_info)) {
			mask = ((const struct xt_state_info *)m->data)->statemask;
			if (!(mask & XT_STATE_BIT(IP_CT_NEW)))
				return 0;
			desc_add(mods, sizeof(mods), " -m state");
		} else if (strncmp(m->u.user.name, "conntrack",
		    XT_EXTENSION_MAXNAMELEN) == 0) {
			if (m->u.user.revision == 1 &&
			    dlen >= sizeof(struct xt_conntrack_mtinfo1)) {
				const struct xt_conntrack_mtinfo1 *c1 =
				    (const void *)m->data;

				flags = c1->match_flags;
				inv = c1->invert_flags;
				mask = c1->state_mask;
			} else if ((m->u.user.revision == 2 ||
			    m->u.user.revision == 3) &&
			    dlen >= sizeof(struct xt_conntrack_mtinfo2)) {
				const struct xt_conntrack_mtinfo2 *c2 =
				    (const void *)m->data;

				flags = c2->match_flags;
				inv = c2->invert_flags;
				mask = c2->state_mask;
			} else
				return 0;
			nw = (mask & XT_CONNTRACK_STATE_BIT(IP_CT_NEW)) != 0;
			if ((flags & XT_CONNTRACK_STATE) &&
			    nw == ((inv & XT_CONNTRACK_STATE) != 0))
				return 0;
			desc_add(mods, sizeof(mods), " -m conntrack");
		} else if (strncmp(m->u.user.name, "comment",
		    XT_EXTENSION_MAXNAMELEN) != 0)
			return 0;
	}
	snprintf(buf, len, "%s FORWARD rule %u:", fm->name, num);
	desc_addr(buf, len, "-s", r.sinv, &r.src, r.splen);
	desc_addr(buf, len, "-d", r.dinv, &r.dst, r.dplen);
	if (r.in[0] != '\0')
		desc_add(buf, len, " %s-i %s", r.iinv ? "! " : "", r.in);
	if (r.out[0] != '\0')
		desc_add(buf, len, " %s-o %s", r.oinv ? "! " : "", r.out);
	if (r.proto == IPPROTO_TCP && !r.protoinv)
		desc_add(buf, len, " -p tcp");
	else if (r.proto != 0)
		desc_add(buf, len, " ! -p %d", r.proto);
	desc_add(buf, len, "%s%s -j ACCEPT", ports, mods);
	return 1;
}

/* the first ACCEPT in FORWARD ahead of detengo's first rule (or jump) */
static int
shadow_fn(struct txn *t, void *arg)
{
	struct ifw	*st = t->st;
	const void	*e;
	char		*out = arg, cand[sizeof(st->shadow)];
	struct addr	 src;
	uint16_t	 port;
	unsigned int	 i;
	int		 k;

	out[0] = cand[0] = '\0';
	for (e = t->fm->first(fw_forward, t->h), i = 1; e != NULL;
	    e = t->fm->next(e, t->h), i++) {
		k = rule_kind(t->fm, t->h, e, st->usechain ? st->chain : NULL,
		    &src, &port);
		if (st->usechain ? k == RK_JUMP : k == RK_LOG || k == RK_DROP) {
			memcpy(out, cand, sizeof(cand));
			return 0;
		}
		if (cand[0] == '\0')
			rule_accepts(t, e, i, cand, sizeof(cand));
	}
	/* none of ours yet: they go at the end, or at the top with insert */
	if (!st->insert)
		memcpy(out, cand, sizeof(cand));
	return 0;
}

int
fw_xt_chain_ok(const char *c)
{
	static const char *const reserved[] = { "INPUT", "OUTPUT", "FORWARD",
	    "PREROUTING", "POSTROUTING", "ACCEPT", "DROP", "QUEUE", "RETURN",
	    "LOG" };
	size_t	 i, len = strlen(c);

	/* iptables refuses names of XT_EXTENSION_MAXNAMELEN bytes or more */
	if (len == 0 || len >= XT_EXTENSION_MAXNAMELEN || c[0] == '-' ||
	    c[0] == '!')
		return 0;
	for (i = 0; i < len; i++)
		if (c[i] <= ' ' || c[i] >= 0x7f)
			return 0;
	for (i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++)
		if (strcmp(c, reserved[i]) == 0)
			return 0;
	return 1;
}

static int
ifw_check(const struct fw_conf *conf, char *err, size_t errlen)
{
	if (conf->chain != NULL && !fw_xt_chain_ok(conf->chain)) {
		snprintf(err, errlen, "bad chain name \"%.40s\": 1 to %d "
		    "printable bytes, not a built-in name", conf->chain,
		    XT_EXTENSION_MAXNAMELEN - 1);
		return -1;
	}
	return 0;
}

static void	ifw_close(void *);

static void *
ifw_open(const struct fw_conf *conf, char *err, size_t errlen)
{
	struct ifw		*st;
	struct xtc_handle	*h;
	char			 msg[256];
	int			 fi, i, lfd, e;

	if ((st = calloc(1, sizeof(*st))) == NULL) {
		snprintf(err, errlen, "%s", strerror(errno));
		return NULL;
	}
	memcpy(st->ports, conf->ports, conf->nports * sizeof(st->ports[0]));
	st->nports = conf->nports;
	st->insert = conf->insert != 0;
	st->sock[FAM4] = st->sock[FAM6] = -1;
	st->lockwait = conf->lockwait > 0 ? conf->lockwait : XT_LOCK_WAIT;
	st->lockpath = fw_xt_lockpath();
	if (conf->chain != NULL) {
		st->usechain = 1;
		strncpy(st->chain, conf->chain, sizeof(st->chain) - 1);
	} else
		memcpy(st->chain, fw_forward, sizeof(st->chain));
	for (fi = 0; fi < NFAM; fi++)
		for (i = 0; i < st->nports; i++) {
			rule_build(fi, &st->tmpl[fi][i][0], st->ports[i],
			    RK_LOG, NULL);
			rule_build(fi, &st->tmpl[fi][i][1], st->ports[i],
			    RK_DROP, NULL);
			rule_build(fi, &st->tmpl[fi][i][2], st->ports[i],
			    RK_JUMP, st->chain);
		}

	/* can we read both filter tables?  Say what to fix if not. */
	if ((lfd = fw_xt_lock(st->lockpath, st->lockwait, msg,
	    sizeof(msg))) == -1) {
		snprintf(err, errlen, "%s", msg);
		goto bad;
	}
	for (fi = 0; fi < NFAM; fi++) {
		if ((h = fams[fi].init()) == NULL) {
			e = errno;
			if (e == EPERM || e == EACCES)
				snprintf(msg, sizeof(msg), "%s filter table: "
				    "permission denied: run as root or with "
				    "CAP_NET_ADMIN and CAP_NET_RAW (libiptc "
				    "opens a raw socket)", fams[fi].name);
			else if (e == ENOENT || e == ENOPROTOOPT ||
			    e == EAFNOSUPPORT || e == EINVAL)
				snprintf(msg, sizeof(msg), "%s filter table "
				    "missing: load the %s and %s kernel "
				    "modules (%s)", fams[fi].name,
				    fi == FAM4 ? "ip_tables" : "ip6_tables",
				    fi == FAM4 ? "iptable_filter" :
				    "ip6table_filter", fams[fi].strerror(e));
			else
				snprintf(msg, sizeof(msg), "%s filter table: "
				    "%s (errno %d)", fams[fi].name,
				    fams[fi].strerror(e), e);
			/* IPv4 is required; without IPv6, v6 hosts are refused */
			if (fi == FAM4 || e == EPERM || e == EACCES) {
				snprintf(err, errlen, "%s", msg);
				close(lfd);
				goto bad;
			}
			log_warnx("%s; IPv6 hosts will not be blocked", msg);
			continue;
		}
		if (!fams[fi].is_chain(fw_forward, h)) {
			snprintf(err, errlen, "%s filter table has no FORWARD "
			    "chain", fams[fi].name);
			fams[fi].free(h);
			close(lfd);
			goto bad;
		}
		fams[fi].free(h);
		st->has[fi] = 1;
		/* without it a reload is noticed only by detengo's walk */
		if ((st->sock[fi] = socket(fams[fi].af, SOCK_RAW | SOCK_CLOEXEC,
		    IPPROTO_RAW)) == -1)
			log_warn("%s filter table: no socket to watch it",
			    fams[fi].name);
		(void)table_shape(st, fi, &st->shape[fi]);
	}
	close(lfd);
	clock_gettime(CLOCK_MONOTONIC, &st->lastcheck);
	return st;
bad:
	ifw_close(st);
	return NULL;
}

static void
ifw_close(void *p)
{
	struct ifw	*st = p;
	int		 fi;

	for (fi = 0; fi < NFAM; fi++)
		if (st->sock[fi] != -1)
			close(st->sock[fi]);
	free(st);
}

static int
ifw_list(void *p, fw_list_cb cb, void *ctx)
{
	struct ifw	*st = p;
	struct hset	 set;
	size_t		 i;
	int		 fi;

	if (hset_init(&set, 0) == -1) {
		log_warn("fw list");
		return -1;
	}
	for (fi = 0; fi < NFAM; fi++)
		if (st->has[fi] && txn_run(st, fi, list_fn, &set) == -1) {
			hset_free(&set);
			return -1;
		}
	for (i = 0; i < set.n; i++)
		cb(ctx, &set.v[i].addr, PKTS(&set.v[i]), BYTES(&set.v[i]), -1,
		    0);
	hset_free(&set);
	return 0;
}

/* split hosts by family, drop the malformed ones */
static int
split_hosts(struct ifw *st, const struct addr *hosts, size_t n,
    struct addr *byfam[NFAM], size_t cnt[NFAM])
{
	struct addr	 k;
	size_t		 i, bad = 0, no6 = 0;
	int		 fi;

	for (fi = 0; fi < NFAM; fi++) {
		cnt[fi] = 0;
		if ((byfam[fi] = reallocarray(NULL, n ? n : 1,
		    sizeof(struct addr))) == NULL) {
			log_warn("fw");
			if (fi == FAM6)
				free(byfam[FAM4]);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		if (addr_norm(&hosts[i], &k) == -1) {
			bad++;
			continue;
		}
		fi = k.family == AF_INET ? FAM4 : FAM6;
		if (!st->has[fi]) {
			no6++;
			continue;
		}
		byfam[fi][cnt[fi]++] = k;
	}
	/* once per call: a batch can hold thousands */
	if (bad > 0)
		log_warnx("fw: %zu hosts of no IP family skipped", bad);
	if (no6 > 0)
		log_warnx("fw: no IPv6 filter table, %zu hosts skipped", no6);
	return 0;
}

static int
ifw_add(void *p, const struct addr *hosts, const int64_t *until, size_t n)
{
	struct ifw	*st = p;
	struct addr	*byfam[NFAM];
	size_t		 cnt[NFAM], off;
	struct addarg	 aa;
	int		 fi, r, total = 0;

	(void)until;	/* no expiry in the kernel: detengo lifts the block */
	if (split_hosts(st, hosts, n, byfam, cnt) == -1)
		return -1;
	for (fi = 0; fi < NFAM && total != -1; fi++)
		for (off = 0; off < cnt[fi]; off += aa.n) {
			aa.hosts = byfam[fi] + off;
			aa.n = cnt[fi] - off;
			if (aa.n > FW_BATCH_MAX)
				aa.n = FW_BATCH_MAX;
			if ((r = txn_run(st, fi, add_fn, &aa)) == -1) {
				total = -1;
				break;
			}
			total += r;
		}
	free(byfam[FAM4]);
	free(byfam[FAM6]);
	return total;
}

static int
ifw_del(void *p, const struct addr *hosts, size_t n)
{
	struct ifw	*st = p;
	struct addr	*byfam[NFAM];
	size_t		 cnt[NFAM], i;
	struct hset	 want;
	struct delarg	 da;
	int		 fi, r, total = 0;

	if (split_hosts(st, hosts, n, byfam, cnt) == -1)
		return -1;
	for (fi = 0; fi < NFAM && total != -1; fi++) {
		if (cnt[fi] == 0)
			continue;
		if (hset_init(&want, cnt[fi]) == -1) {
			log_warn("fw del");
			total = -1;
			break;
		}
		for (i = 0; i < cnt[fi]; i++)
			if (hset_put(&want, &byfam[fi][i]) == NULL) {
				log_warn("fw del");
				total = -1;
			}
		memset(&da, 0, sizeof(da));
		da.want = &want;
		if (total != -1 && (r = txn_run(st, fi, del_fn, &da)) != -1)
			total += r;
		else
			total = -1;
		hset_free(&want);
	}
	free(byfam[FAM4]);
	free(byfam[FAM6]);
	return total;
}

static int
ifw_flush(void *p)
{
	struct ifw	*st = p;
	struct delarg	 da;
	int		 fi, r, total = 0;

	for (fi = 0; fi < NFAM; fi++) {
		if (!st->has[fi])
			continue;
		memset(&da, 0, sizeof(da));
		if ((r = txn_run(st, fi, del_fn, &da)) == -1)
			return -1;
		total += r;
	}
	return total;
}

static const char *
ifw_shadowed(void *p)
{
	struct ifw	*st = p;
	int		 fi;

	for (fi = 0; fi < NFAM; fi++) {
		if (!st->has[fi])
			continue;
		if (txn_run(st, fi, shadow_fn, st->shadow) == -1)
			return NULL;
		if (st->shadow[0] != '\0')
			return st->shadow;
	}
	return NULL;
}

/* with -c: our chain holds hosts, so FORWARD must jump to it */
static int
jumps_fn(struct txn *t, void *arg)
{
	const void	*e;
	struct addr	 src;
	uint16_t	 port;
	int		 k;

	(void)arg;
	if (!t->fm->is_chain(t->st->chain, t->h))
		return 0;	/* gone whole: detengo's fw_add makes it again */
	for (e = t->fm->first(t->st->chain, t->h); e != NULL;
	    e = t->fm->next(e, t->h)) {
		k = rule_kind(t->fm, t->h, e, NULL, &src, &port);
		if (k == RK_LOG || k == RK_DROP)
			return ensure_chain(t);
	}
	return 0;
}

/*
 * A reload (`iptables -F', iptables-restore) can take our rules: every
 * TICK_MS the tables' shapes are read (one small getsockopt each, no
 * rule) and compared with their shapes at the end of our last
 * transaction; a transaction that found the shape changed at its start
 * (a reload, then a block before this tick) says so too.  A change
 * returns 1: detengo then reads the table and puts back the blocks of
 * its state that are missing.  With -c the jumps to the chain are put
 * back here.
 */
static int
ifw_tick(void *p)
{
	struct ifw	*st = p;
	struct tshape	 now;
	struct timespec	 ts;
	int		 fi, changed = 0;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	if ((ts.tv_sec - st->lastcheck.tv_sec) * 1000 + (ts.tv_nsec -
	    st->lastcheck.tv_nsec) / 1000000 < TICK_MS)
		return 0;
	st->lastcheck = ts;
	changed = st->moved;
	st->moved = 0;
	for (fi = 0; fi < NFAM; fi++) {
		if (!st->has[fi] || table_shape(st, fi, &now) == -1 ||
		    (memcmp(&now, &st->shape[fi], sizeof(now)) == 0 &&
		    !changed))
			continue;
		st->shape[fi] = now;
		changed = 1;
		if (st->usechain && txn_run(st, fi, jumps_fn, NULL) == -1)
			return -1;
	}
	st->moved = 0;
	return changed;
}

static const char *
ifw_where(const struct fw_conf *conf)
{
	return conf->chain != NULL ? conf->chain : fw_forward;
}

/*
 * Debian 12's iptables is iptables-nft, which does not show legacy
 * rules: say where ours are.  And an ACCEPT of our ports ahead of our
 * rules would let the hosts through.
 */
static void
ifw_advise(void *p)
{
	struct ifw	*st = p;
	const char	*shadow;
	char		 buf[PATH_MAX];

	if (realpath("/usr/sbin/iptables", buf) != NULL &&
	    strstr(buf, "nft") != NULL)
		log_info("iptables here is iptables-nft: detengo's rules are "
		    "in the legacy tables; see them with "
		    "'iptables-legacy -L %s -nv'", st->chain);
	if ((shadow = ifw_shadowed(st)) != NULL)
		log_warnx("an earlier rule accepts port-25 traffic, so "
		    "appended rules would never match: %s (use --insert, "
		    "or move that rule below detengo's)", shadow);
}

const struct fw_backend fw_iptc_backend = {
	.name = "iptc",
	.caps = FW_CAN_COUNT,
	.opts = FW_OPT_CHAIN | FW_OPT_INSERT | FW_OPT_LOCKWAIT,
	.check = ifw_check,
	.open = ifw_open,
	.close = ifw_close,
	.where = ifw_where,
	.advise = ifw_advise,
	.list = ifw_list,
	.add = ifw_add,
	.del = ifw_del,
	.flush = ifw_flush,
	.shadowed = ifw_shadowed,
	.tick_ms = TICK_MS,
	.tick = ifw_tick,
};
