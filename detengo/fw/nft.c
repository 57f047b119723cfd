/* detengo's blocks as elements of two nftables sets, through libnftnl and libmnl */
#include <sys/types.h>
#include <sys/socket.h>
#include <netinet/in.h>

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <linux/netfilter.h>
#include <linux/netfilter/nfnetlink.h>
#include <linux/netfilter/nf_tables.h>
#include <linux/netlink.h>

#include <libmnl/libmnl.h>
#include <libnftnl/chain.h>
#include <libnftnl/common.h>
#include <libnftnl/expr.h>
#include <libnftnl/rule.h>
#include <libnftnl/set.h>
#include <libnftnl/table.h>
#include <libnftnl/udata.h>

#include "addr.h"
#include "bounds.h"
#include "backend.h"
#include "event.h"
#include "hset.h"
#include "log.h"

/*
 * What detengo makes, all of it in its own table:
 *
 *	table inet detengo {
 *		set hosts4 { type ipv4_addr; flags timeout; counter; }
 *		set hosts6 { type ipv6_addr; flags timeout; counter; }
 *		chain forward {
 *			type filter hook forward priority filter - 10;
 *			tcp dport {PORTS} ip saddr @hosts4 log prefix "detengo: " drop
 *			tcp dport {PORTS} ip6 saddr @hosts6 log prefix "detengo: " drop
 *		}
 *	}
 *
 * The rules never change while detengo runs; a block is one element,
 * with the time it was made as its comment ("blocked 2026-12-07T19:53:
 * 33.125Z", UTC to the millisecond): an element restored later from an
 * old copy of the ruleset is known by it at start (see STAMP below).
 * Priority filter - 10: hooks of equal priority run newest first, so a
 * priority of our own keeps the order fixed, and ahead of the usual
 * filter chains (an accept there cannot end our chain anyway).
 */
#define NFT_TABLE	"detengo"
#define NFT_CHAIN	"forward"
#define NFT_PRIO	(-10)
#define NFT_WHERE	"inet/detengo/forward"
/* nftables' type numbers (src/datatype.h): ipv4_addr, ipv6_addr, inet_service */
#define TYPE_IPV4	7
#define TYPE_IPV6	8
#define TYPE_SERVICE	13
/* one message's element list is at most 64 KiB; leave room for its headers */
#define MSG_ROOM	(128 * 1024)
/*
 * Replies are read into one buffer: the kernel sizes dump messages by
 * the largest read the socket has seen, so every read uses this size.
 */
#define RB_SIZE		(128 * 1024)
/* how often the table is checked for a reload that took it, fw_tick() */
#define NFT_CHECK_MS	250
/* seconds before the next check after one failed */
#define NFT_RETRY_S	5

enum { FAM4, FAM6, NFAM };

static const struct {
	const char	*set;
	int		 af, keytype, keylen;
	uint8_t		 nfproto;
	uint32_t	 saddr_off;	/* in the network header */
} fams[NFAM] = {
	{ "hosts4", AF_INET, TYPE_IPV4, 4, NFPROTO_IPV4, 12 },
	{ "hosts6", AF_INET6, TYPE_IPV6, 16, NFPROTO_IPV6, 8 },
};

/* a host's item in the backend's record */
#define UNTIL(h)	((h)->v[0])	/* seconds, 0: never */
#define PKTS(h)		((h)->v[1])	/* as the last dump found them */
#define BYTES(h)	((h)->v[2])
#define STAMP(h)	((h)->v[3])	/* when blocked, ms since the epoch;
					   0: unknown (an element without our
					   comment, as one added by hand) */
/* the comment's form, and its length: "blocked " and 24 bytes of time */
#define STAMP_PFX	"blocked "
#define STAMP_LEN	(sizeof(STAMP_PFX) - 1 + 24)

struct nfw {
	struct mnl_socket *nl;
	uint32_t	 portid;
	uint32_t	 seq;
	uint16_t	 ports[FW_PORTS_MAX];
	int		 nports;
	struct hset	 hosts;		/* what the sets hold, by our own record */
	int		 fresh;		/* counters of hosts as open() read them */
	uint64_t	 sig;		/* the handles of what we made */
	struct timespec	 lastcheck;

	/* the transaction being built */
	char		*buf;
	size_t		 len, cap;
	uint32_t	 seq0;		/* of its first message */
	size_t		 nmsg;
	long		*tag;		/* per message: the host it is about, or -1 */
	size_t		 tagcap;
	int		*err;		/* per message: its errno from the ACK */
	int		 sndbuf, rcvbuf;
	char		*rb;		/* RB_SIZE bytes for replies */
};

static int64_t
now_sec(void)
{
	return (int64_t)time(NULL);
}

/* an element's comment for a block made at ms; 0 if none can be made */
static size_t
stamp_fmt(int64_t ms, char *s, size_t size)
{
	size_t	 n = sizeof(STAMP_PFX) - 1;

	if (ms <= 0 || size <= n)
		return 0;
	memcpy(s, STAMP_PFX, n);
	if (event_utc(ms / 1000, (int)(ms % 1000), s + n, size - n) != 24)
		return 0;
	return STAMP_LEN;
}

/* n decimal digits, checked already */
static int
digits(const char *s, int n)
{
	int	 v = 0;

	while (n-- > 0)
		v = v * 10 + (*s++ - '0');
	return v;
}

/* the time in such a comment, exactly that form; 0 for anything else */
static int64_t
stamp_parse(const char *s, size_t len)
{
	static const char form[] = STAMP_PFX "####-##-##T##:##:##.###Z";
	struct tm	 tm;
	time_t		 t;
	size_t		 i;

	if (len != STAMP_LEN)
		return 0;
	for (i = 0; i < len; i++)
		if (form[i] == '#' ? s[i] < '0' || s[i] > '9' : s[i] != form[i])
			return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = digits(s + 8, 4) - 1900;
	tm.tm_mon = digits(s + 13, 2) - 1;
	tm.tm_mday = digits(s + 16, 2);
	tm.tm_hour = digits(s + 19, 2);
	tm.tm_min = digits(s + 22, 2);
	tm.tm_sec = digits(s + 25, 2);
	if (tm.tm_mon > 11 || tm.tm_mday < 1 || tm.tm_mday > 31 ||
	    tm.tm_hour > 23 || tm.tm_min > 59 || tm.tm_sec > 60 ||
	    (t = timegm(&tm)) == (time_t)-1 || t <= 0)
		return 0;
	return (int64_t)t * 1000 + digits(s + 28, 3);
}

static int
buf_room(struct nfw *st, size_t need)
{
	char	*p;
	size_t	 cap;

	if (st->cap - st->len >= need)
		return 0;
	cap = st->cap ? st->cap : 256 * 1024;
	while (cap - st->len < need)
		cap *= 2;
	if ((p = realloc(st->buf, cap)) == NULL)
		return -1;
	st->buf = p;
	st->cap = cap;
	return 0;
}

static void
txn_begin(struct nfw *st)
{
	st->len = 0;
	st->nmsg = 0;
	buf_room(st, MSG_ROOM);
	nftnl_batch_begin(st->buf, st->seq++);
	st->len += NLMSG_ALIGN(((struct nlmsghdr *)st->buf)->nlmsg_len);
	st->seq0 = st->seq;
}

/* the header of the next message, with room behind it; NULL: no memory */
static struct nlmsghdr *
txn_msg(struct nfw *st, uint16_t type, uint16_t flags, long tag)
{
	long	*t;
	size_t	 cap;

	if (buf_room(st, MSG_ROOM) == -1)
		return NULL;
	if (st->nmsg == st->tagcap) {
		cap = st->tagcap ? 2 * st->tagcap : 64;
		if ((t = reallocarray(st->tag, cap, sizeof(*t))) == NULL)
			return NULL;
		st->tag = t;
		st->tagcap = cap;
	}
	st->tag[st->nmsg++] = tag;
	return nftnl_nlmsg_build_hdr(st->buf + st->len, type, NFPROTO_INET,
	    flags | NLM_F_ACK, st->seq++);
}

static void
txn_push(struct nfw *st, struct nlmsghdr *nlh)
{
	st->len += NLMSG_ALIGN(nlh->nlmsg_len);
}

static int
sock_grow(struct nfw *st, int opt, int force, int *cur, size_t want)
{
	int	 v;

	if (want <= (size_t)*cur)
		return 0;
	if (want > INT32_MAX / 4)
		return -1;
	v = (int)want;
	if (setsockopt(mnl_socket_get_fd(st->nl), SOL_SOCKET, force, &v,
	    sizeof(v)) == -1 && setsockopt(mnl_socket_get_fd(st->nl),
	    SOL_SOCKET, opt, &v, sizeof(v)) == -1)
		return -1;
	*cur = v;
	return 0;
}

/*
 * Send the transaction and read the ACK of every message, matched by
 * sequence number.  The kernel handles a batch while it is sent, so
 * every ACK is queued by the time sendto() returns.  A batch is all or
 * nothing.  Returns 0, or -1 with st->err[] saying which failed (0 for
 * a message whose ACK never came) and errno the first error.
 */
static int
txn_commit(struct nfw *st)
{
	struct nlmsghdr		*nlh;
	const struct nlmsgerr	*e;
	char			*rb = st->rb;
	struct pollfd		 pfd;
	size_t			 i, got = 0;
	ssize_t			 n;
	int			 len, first = 0, *er, fd = mnl_socket_get_fd(st->nl);
	uint32_t		 k;

	buf_room(st, 64);
	nlh = nftnl_batch_end(st->buf + st->len, st->seq++);
	st->len += NLMSG_ALIGN(nlh->nlmsg_len);
	if ((er = reallocarray(st->err, st->nmsg ? st->nmsg : 1,
	    sizeof(*er))) == NULL)
		return -1;
	st->err = er;
	for (i = 0; i < st->nmsg; i++)
		er[i] = -1;		/* no ACK yet */
	/* the batch goes in one datagram; each ACK is one more in ours */
	if (sock_grow(st, SO_SNDBUF, SO_SNDBUFFORCE, &st->sndbuf,
	    st->len + 4096) == -1 || sock_grow(st, SO_RCVBUF, SO_RCVBUFFORCE,
	    &st->rcvbuf, st->nmsg * 1024 + 256 * 1024) == -1) {
		log_warn("nft: socket buffers for %zu bytes", st->len);
		return -1;
	}
	if (mnl_socket_sendto(st->nl, st->buf, st->len) < 0) {
		log_warn("nft: send %zu bytes", st->len);
		return -1;
	}
	pfd.fd = fd;
	pfd.events = POLLIN;
	while (got < st->nmsg) {
		if ((n = recv(fd, rb, RB_SIZE, MSG_DONTWAIT)) == -1) {
			if (errno == EINTR)
				continue;
			/* should not happen: give a late ACK a second */
			if (errno == EAGAIN && poll(&pfd, 1, 1000) == 1)
				continue;
			if (errno != EAGAIN)
				log_warn("nft: reading the ACKs");
			break;
		}
		len = (int)n;
		for (nlh = (struct nlmsghdr *)rb; mnl_nlmsg_ok(nlh, len);
		    nlh = mnl_nlmsg_next(nlh, &len)) {
			if (nlh->nlmsg_type != NLMSG_ERROR ||
			    nlh->nlmsg_len < NLMSG_LENGTH(sizeof(*e)))
				continue;
			e = mnl_nlmsg_get_payload(nlh);
			k = nlh->nlmsg_seq - st->seq0;
			if (nlh->nlmsg_seq < st->seq0 || k >= st->nmsg ||
			    er[k] != -1)
				continue;	/* not ours, or twice */
			er[k] = -e->error;
			got++;
			if (er[k] != 0 && first == 0)
				first = er[k];
		}
	}
	if (first == 0 && got < st->nmsg) {
		log_warnx("nft: %zu of %zu ACKs never came", st->nmsg - got,
		    st->nmsg);
		first = EPROTO;
	}
	for (i = 0; i < st->nmsg; i++)
		if (er[i] == -1)
			er[i] = 0;
	if (first != 0) {
		errno = first;
		return -1;
	}
	return 0;
}

/* --- one request, its replies --- */

static int
query(struct nfw *st, struct nlmsghdr *nlh, mnl_cb_t cb, void *data)
{
	char		*rb = st->rb;
	uint32_t	 seq = nlh->nlmsg_seq;
	ssize_t		 n;
	int		 r;

	if (mnl_socket_sendto(st->nl, nlh, nlh->nlmsg_len) < 0)
		return -1;
	do {
		if ((n = mnl_socket_recvfrom(st->nl, rb, RB_SIZE)) <= 0)
			return -1;
		r = mnl_cb_run(rb, (size_t)n, seq, st->portid, cb, data);
	} while (r > MNL_CB_STOP);
	return r < 0 ? -1 : 0;
}

/* a GET is answered by its reply and an ACK; a dump ends with DONE */
static struct nlmsghdr *
req_hdr(struct nfw *st, char *b, uint16_t type, uint16_t flags)
{
	return nftnl_nlmsg_build_hdr(b, type, NFPROTO_INET, flags |
	    ((flags & NLM_F_DUMP) ? 0 : NLM_F_ACK), st->seq++);
}

struct handles {
	uint64_t	 sig;
	uint16_t	 attr;		/* NFTA_*_HANDLE of the object asked */
	int		 n;		/* objects that had one */
};

static uint64_t
mix(uint64_t h, uint64_t v)
{
	h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
	return h;
}

static int
handle_attr_cb(const struct nlattr *a, void *data)
{
	struct handles	*hd = data;

	if (mnl_attr_get_type(a) == hd->attr &&
	    mnl_attr_validate(a, MNL_TYPE_U64) >= 0) {
		hd->sig = mix(hd->sig, mnl_attr_get_u64(a));
		hd->n++;
	}
	return MNL_CB_OK;
}

/* a table, set, chain or rule: only its handle is looked at */
static int
handle_cb(const struct nlmsghdr *nlh, void *data)
{
	if (mnl_attr_parse(nlh, sizeof(struct nfgenmsg), handle_attr_cb,
	    data) < 0)
		return MNL_CB_ERROR;
	return MNL_CB_OK;
}

/*
 * The handles of our table, sets, chain and rules in one number: a
 * reload that deletes and makes them again changes it.  Five small
 * requests, no element read.  0, 1 if something is missing, -1.
 */
static int
objects_sig(struct nfw *st, uint64_t *sig)
{
	char			 b[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	struct nftnl_table	*t;
	struct nftnl_set	*s;
	struct nftnl_chain	*c;
	struct nftnl_rule	*r;
	struct handles		 hd;
	int			 fi, rv = -1;

	memset(&hd, 0, sizeof(hd));
	t = nftnl_table_alloc();
	s = nftnl_set_alloc();
	c = nftnl_chain_alloc();
	r = nftnl_rule_alloc();
	if (t == NULL || s == NULL || c == NULL || r == NULL)
		goto done;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE);
	nlh = req_hdr(st, b, NFT_MSG_GETTABLE, 0);
	nftnl_table_nlmsg_build_payload(nlh, t);
	hd.attr = NFTA_TABLE_HANDLE;
	if (query(st, nlh, handle_cb, &hd) == -1)
		goto gone;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	for (fi = 0; fi < NFAM; fi++) {
		nftnl_set_set_str(s, NFTNL_SET_NAME, fams[fi].set);
		nlh = req_hdr(st, b, NFT_MSG_GETSET, 0);
		nftnl_set_nlmsg_build_payload(nlh, s);
		hd.attr = NFTA_SET_HANDLE;
		if (query(st, nlh, handle_cb, &hd) == -1)
			goto gone;
	}
	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, NFT_CHAIN);
	nlh = req_hdr(st, b, NFT_MSG_GETCHAIN, 0);
	nftnl_chain_nlmsg_build_payload(nlh, c);
	hd.attr = NFTA_CHAIN_HANDLE;
	if (query(st, nlh, handle_cb, &hd) == -1)
		goto gone;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, NFT_CHAIN);
	nlh = req_hdr(st, b, NFT_MSG_GETRULE, NLM_F_DUMP);
	nftnl_rule_nlmsg_build_payload(nlh, r);
	hd.attr = NFTA_RULE_HANDLE;
	hd.n = 0;
	if (query(st, nlh, handle_cb, &hd) == -1)
		goto gone;
	*sig = mix(hd.sig, (uint64_t)hd.n);
	rv = hd.n == NFAM ? 0 : 1;
	goto done;
gone:
	rv = errno == ENOENT ? 1 : -1;
done:
	nftnl_table_free(t);
	nftnl_set_free(s);
	nftnl_chain_free(c);
	nftnl_rule_free(r);
	return rv;
}

/* --- building the objects --- */

static int
add_expr(struct nftnl_rule *r, struct nftnl_expr *e)
{
	if (e == NULL)
		return -1;
	nftnl_rule_add_expr(r, e);
	return 0;
}

static struct nftnl_expr *
x_meta(uint32_t key)
{
	struct nftnl_expr	*e;

	if ((e = nftnl_expr_alloc("meta")) == NULL)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_KEY, key);
	nftnl_expr_set_u32(e, NFTNL_EXPR_META_DREG, NFT_REG_1);
	return e;
}

static struct nftnl_expr *
x_cmp(const void *data, uint32_t len)
{
	struct nftnl_expr	*e;

	if ((e = nftnl_expr_alloc("cmp")) == NULL)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_SREG, NFT_REG_1);
	nftnl_expr_set_u32(e, NFTNL_EXPR_CMP_OP, NFT_CMP_EQ);
	nftnl_expr_set(e, NFTNL_EXPR_CMP_DATA, data, len);
	return e;
}

static struct nftnl_expr *
x_payload(uint32_t base, uint32_t off, uint32_t len)
{
	struct nftnl_expr	*e;

	if ((e = nftnl_expr_alloc("payload")) == NULL)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_BASE, base);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_OFFSET, off);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_LEN, len);
	nftnl_expr_set_u32(e, NFTNL_EXPR_PAYLOAD_DREG, NFT_REG_1);
	return e;
}

static struct nftnl_expr *
x_lookup(const char *set, uint32_t id)
{
	struct nftnl_expr	*e;

	if ((e = nftnl_expr_alloc("lookup")) == NULL)
		return NULL;
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SREG, NFT_REG_1);
	nftnl_expr_set_str(e, NFTNL_EXPR_LOOKUP_SET, set);
	nftnl_expr_set_u32(e, NFTNL_EXPR_LOOKUP_SET_ID, id);
	return e;
}

/* set ids within one transaction: the hosts sets, then the port sets */
#define ID_HOSTS(fi)	(1 + (fi))
#define ID_PORTS(fi)	(1 + NFAM + (fi))
#define PORTSET		"__set%d"

/*
 * `tcp dport {PORTS} ip saddr @hosts4 log prefix "detengo: " drop' as
 * nft 1.0.6 sends it for an inet table: the l4proto guard, one port
 * compared or a lookup in an anonymous set of ports, then the nfproto
 * guard and the lookup of the source.  The port comes first so that a
 * forwarded packet to any other port is not looked up in the set
 * (docs/performance.md: 2 to 5 % of a veth's forwarding rate).  The
 * IPv6 rule tests the nfproto guard first, so that every IPv4 packet
 * leaves it at one compare; nft lists both rules the same either way.
 */
static int
add_family(struct nftnl_rule *r, int fi)
{
	if (add_expr(r, x_meta(NFT_META_NFPROTO)) == -1 ||
	    add_expr(r, x_cmp(&fams[fi].nfproto, 1)) == -1)
		return -1;
	return 0;
}

static struct nftnl_rule *
rule_build(const struct nfw *st, int fi)
{
	struct nftnl_rule	*r;
	struct nftnl_expr	*e;
	uint8_t			 proto = IPPROTO_TCP;
	uint16_t		 port = htons(st->ports[0]);
	int			 famfirst = fi != FAM4;

	if ((r = nftnl_rule_alloc()) == NULL)
		return NULL;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, NFT_CHAIN);
	nftnl_rule_set_u32(r, NFTNL_RULE_FAMILY, NFPROTO_INET);
	if ((famfirst && add_family(r, fi) == -1) ||
	    add_expr(r, x_meta(NFT_META_L4PROTO)) == -1 ||
	    add_expr(r, x_cmp(&proto, 1)) == -1 ||
	    add_expr(r, x_payload(NFT_PAYLOAD_TRANSPORT_HEADER, 2, 2)) == -1 ||
	    add_expr(r, st->nports == 1 ? x_cmp(&port, 2) :
	    x_lookup(PORTSET, ID_PORTS(fi))) == -1 ||
	    (!famfirst && add_family(r, fi) == -1) ||
	    add_expr(r, x_payload(NFT_PAYLOAD_NETWORK_HEADER,
	    fams[fi].saddr_off, fams[fi].keylen)) == -1 ||
	    add_expr(r, x_lookup(fams[fi].set, ID_HOSTS(fi))) == -1)
		goto bad;
	if ((e = nftnl_expr_alloc("log")) == NULL)
		goto bad;
	nftnl_expr_set_str(e, NFTNL_EXPR_LOG_PREFIX, FW_LOG_PREFIX);
	nftnl_rule_add_expr(r, e);
	if ((e = nftnl_expr_alloc("immediate")) == NULL)
		goto bad;
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_DREG, NFT_REG_VERDICT);
	nftnl_expr_set_u32(e, NFTNL_EXPR_IMM_VERDICT, NF_DROP);
	nftnl_rule_add_expr(r, e);
	return r;
bad:
	nftnl_rule_free(r);
	return NULL;
}

static struct nftnl_set *
set_new(const char *name, uint32_t id, uint32_t flags, int keytype,
    int keylen)
{
	struct nftnl_set	*s;

	if ((s = nftnl_set_alloc()) == NULL)
		return NULL;
	nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
	nftnl_set_set_str(s, NFTNL_SET_NAME, name);
	nftnl_set_set_u32(s, NFTNL_SET_FAMILY, NFPROTO_INET);
	nftnl_set_set_u32(s, NFTNL_SET_ID, id);
	nftnl_set_set_u32(s, NFTNL_SET_FLAGS, flags);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_TYPE, keytype);
	nftnl_set_set_u32(s, NFTNL_SET_KEY_LEN, keylen);
	return s;
}

/* an element's comment: the time its block was made */
static int
elem_stamp(struct nftnl_set_elem *e, int64_t ms)
{
	struct nftnl_udata_buf	*ud;
	char			 c[STAMP_LEN + 1];
	int			 rv = -1;

	if (stamp_fmt(ms, c, sizeof(c)) == 0)
		return 0;
	if ((ud = nftnl_udata_buf_alloc(NFT_USERDATA_MAXLEN)) == NULL)
		return -1;
	if (nftnl_udata_put_strz(ud, NFTNL_UDATA_SET_ELEM_COMMENT, c) &&
	    nftnl_set_elem_set(e, NFTNL_SET_ELEM_USERDATA,
	    nftnl_udata_buf_data(ud), nftnl_udata_buf_len(ud)) == 0)
		rv = 0;
	nftnl_udata_buf_free(ud);
	return rv;
}

/*
 * The time in an element's comment, if it is ours; 0 if not.  The
 * comment is one of the type-length-value records of the element's
 * user data, which anyone with CAP_NET_ADMIN writes: they are walked
 * here with their lengths checked, which nftnl_udata_parse() does not.
 */
static int64_t
elem_stamp_get(struct nftnl_set_elem *e)
{
	const uint8_t	*ud;
	uint32_t	 len, off, l;

	if ((ud = nftnl_set_elem_get(e, NFTNL_SET_ELEM_USERDATA, &len)) ==
	    NULL)
		return 0;
	for (off = 0; off + 2 <= len; off += 2 + l) {
		l = ud[off + 1];
		if (l > len - off - 2)
			return 0;
		/* nft's comment, its NUL included */
		if (ud[off] == NFTNL_UDATA_SET_ELEM_COMMENT)
			return l > 0 && ud[off + 2 + l - 1] == '\0' ?
			    stamp_parse((const char *)ud + off + 2, l - 1) : 0;
	}
	return 0;
}

/*
 * Elements of one set as NEWSETELEM or DELSETELEM messages of the
 * transaction, each list cut at 64 KiB; ms[i] the timeout of host i
 * (0: none), stamp[i] when it was blocked (0: no comment).  One message
 * per host with tags (to know which failed).
 */
static int
txn_elems(struct nfw *st, uint16_t type, const char *set, uint32_t setid,
    const struct addr *const *keys, int keylen, const uint64_t *ms,
    const int64_t *stamp, size_t n, const long *tags)
{
	struct nftnl_set	*s;
	struct nftnl_set_elem	*e;
	struct nftnl_set_elems_iter *it;
	struct nlmsghdr		*nlh;
	size_t			 i, from, to;
	int			 more, rv = -1;

	for (from = 0; from < n; from = to) {
		to = tags != NULL ? from + 1 : n;
		if ((s = nftnl_set_alloc()) == NULL)
			return -1;
		nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
		nftnl_set_set_str(s, NFTNL_SET_NAME, set);
		if (setid != 0)
			nftnl_set_set_u32(s, NFTNL_SET_ID, setid);
		for (i = from; i < to; i++) {
			if ((e = nftnl_set_elem_alloc()) == NULL)
				goto bad;
			nftnl_set_elem_set(e, NFTNL_SET_ELEM_KEY, keys[i]->a,
			    keylen);
			if (ms != NULL && ms[i] != 0)
				nftnl_set_elem_set_u64(e, NFTNL_SET_ELEM_TIMEOUT,
				    ms[i]);
			if (stamp != NULL && elem_stamp(e, stamp[i]) == -1) {
				nftnl_set_elem_free(e);
				goto bad;
			}
			nftnl_set_elem_add(s, e);
		}
		if ((it = nftnl_set_elems_iter_create(s)) == NULL)
			goto bad;
		do {
			if ((nlh = txn_msg(st, type, type == NFT_MSG_NEWSETELEM ?
			    NLM_F_CREATE : 0, tags != NULL ? tags[from] : -1)) ==
			    NULL) {
				nftnl_set_elems_iter_destroy(it);
				goto bad;
			}
			more = nftnl_set_elems_nlmsg_build_payload_iter(nlh, it);
			txn_push(st, nlh);
		} while (more > 0);
		nftnl_set_elems_iter_destroy(it);
		nftnl_set_free(s);
	}
	return 0;
bad:
	nftnl_set_free(s);
	return rv;
}

/*
 * Into the transaction: the table, its sets, its chain, and its rules
 * made afresh (the chain flushed first).  Nothing of it fails when the
 * objects are there already, so this both makes and mends.
 */
static int
txn_objects(struct nfw *st)
{
	struct nftnl_table	*t = NULL;
	struct nftnl_set	*s = NULL;
	struct nftnl_chain	*c = NULL;
	struct nftnl_rule	*r = NULL;
	struct nftnl_expr	*ctr;
	struct nlmsghdr		*nlh;
	struct addr		 pk[FW_PORTS_MAX];
	const struct addr	*pkp[FW_PORTS_MAX];
	int			 fi, i, rv = -1;

	if ((t = nftnl_table_alloc()) == NULL ||
	    (c = nftnl_chain_alloc()) == NULL)
		goto done;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE);
	nftnl_table_set_u32(t, NFTNL_TABLE_FAMILY, NFPROTO_INET);
	if ((nlh = txn_msg(st, NFT_MSG_NEWTABLE, NLM_F_CREATE, -1)) == NULL)
		goto done;
	nftnl_table_nlmsg_build_payload(nlh, t);
	txn_push(st, nlh);

	for (fi = 0; fi < NFAM; fi++) {
		if ((s = set_new(fams[fi].set, ID_HOSTS(fi), NFT_SET_TIMEOUT,
		    fams[fi].keytype, fams[fi].keylen)) == NULL ||
		    (ctr = nftnl_expr_alloc("counter")) == NULL)
			goto done;
		/* each element gets its own packet and byte counter */
		nftnl_set_add_expr(s, ctr);
		if ((nlh = txn_msg(st, NFT_MSG_NEWSET, NLM_F_CREATE, -1)) ==
		    NULL)
			goto done;
		nftnl_set_nlmsg_build_payload(nlh, s);
		txn_push(st, nlh);
		nftnl_set_free(s);
		s = NULL;
	}

	nftnl_chain_set_str(c, NFTNL_CHAIN_TABLE, NFT_TABLE);
	nftnl_chain_set_str(c, NFTNL_CHAIN_NAME, NFT_CHAIN);
	nftnl_chain_set_u32(c, NFTNL_CHAIN_HOOKNUM, NF_INET_FORWARD);
	nftnl_chain_set_s32(c, NFTNL_CHAIN_PRIO, NFT_PRIO);
	nftnl_chain_set_str(c, NFTNL_CHAIN_TYPE, "filter");
	nftnl_chain_set_u32(c, NFTNL_CHAIN_POLICY, NF_ACCEPT);
	if ((nlh = txn_msg(st, NFT_MSG_NEWCHAIN, NLM_F_CREATE, -1)) == NULL)
		goto done;
	nftnl_chain_nlmsg_build_payload(nlh, c);
	txn_push(st, nlh);

	/* the chain's rules go, and come again as this detengo has them */
	if ((r = nftnl_rule_alloc()) == NULL)
		goto done;
	nftnl_rule_set_str(r, NFTNL_RULE_TABLE, NFT_TABLE);
	nftnl_rule_set_str(r, NFTNL_RULE_CHAIN, NFT_CHAIN);
	if ((nlh = txn_msg(st, NFT_MSG_DELRULE, 0, -1)) == NULL)
		goto done;
	nftnl_rule_nlmsg_build_payload(nlh, r);
	txn_push(st, nlh);
	nftnl_rule_free(r);
	r = NULL;

	for (fi = 0; fi < NFAM; fi++) {
		if (st->nports > 1) {
			if ((s = set_new(PORTSET, ID_PORTS(fi), NFT_SET_ANONYMOUS |
			    NFT_SET_CONSTANT, TYPE_SERVICE, 2)) == NULL)
				goto done;
			if ((nlh = txn_msg(st, NFT_MSG_NEWSET, NLM_F_CREATE, -1)) ==
			    NULL)
				goto done;
			nftnl_set_nlmsg_build_payload(nlh, s);
			txn_push(st, nlh);
			nftnl_set_free(s);
			s = NULL;
			for (i = 0; i < st->nports; i++) {
				memset(&pk[i], 0, sizeof(pk[i]));
				pk[i].a[0] = (uint8_t)(st->ports[i] >> 8);
				pk[i].a[1] = (uint8_t)st->ports[i];
				pkp[i] = &pk[i];
			}
			if (txn_elems(st, NFT_MSG_NEWSETELEM, PORTSET,
			    ID_PORTS(fi), pkp, 2, NULL, NULL,
			    (size_t)st->nports, NULL) == -1)
				goto done;
		}
		if ((r = rule_build(st, fi)) == NULL)
			goto done;
		if ((nlh = txn_msg(st, NFT_MSG_NEWRULE, NLM_F_CREATE |
		    NLM_F_APPEND, -1)) == NULL)
			goto done;
		nftnl_rule_nlmsg_build_payload(nlh, r);
		txn_push(st, nlh);
		nftnl_rule_free(r);
		r = NULL;
	}
	rv = 0;
done:
	if (rv == -1)
		log_warn("nft: building the table");
	nftnl_table_free(t);
	nftnl_chain_free(c);
	if (s != NULL)
		nftnl_set_free(s);
	if (r != NULL)
		nftnl_rule_free(r);
	return rv;
}

/* the timeout for a block that ends at until, in ms; 0: none; -1: over */
static int64_t
until_ms(int64_t until, int64_t now)
{
	if (until == 0)
		return 0;
	if (until <= now)
		return -1;
	return (until - now) * 1000;
}

/*
 * Into the transaction: these hosts as elements of their family's set,
 * stamped with when they were blocked (stamp[i]), with deletes first
 * for the ones to refresh (redel[i]: tag of host i, which must be in the
 * set; -1: only add).  Kernel 6.1 keeps an
 * element's timeout when it is added again: delete and add in one
 * transaction is what works everywhere.
 */
static int
txn_hosts(struct nfw *st, const struct addr *hosts, const int64_t *until,
    const int64_t *stamp, const long *redel, size_t n)
{
	const struct addr	**keys;
	uint64_t		*ms;
	int64_t			*sk;
	long			*tags;
	int64_t			 now = now_sec(), t;
	size_t			 i, k, nd;
	int			 fi, rv = -1;

	keys = calloc(n ? n : 1, sizeof(*keys));
	ms = calloc(n ? n : 1, sizeof(*ms));
	sk = calloc(n ? n : 1, sizeof(*sk));
	tags = calloc(n ? n : 1, sizeof(*tags));
	if (keys == NULL || ms == NULL || sk == NULL || tags == NULL)
		goto done;
	for (fi = 0; fi < NFAM; fi++) {
		for (i = nd = 0; redel != NULL && i < n; i++)
			if (hosts[i].family == fams[fi].af && redel[i] != -1) {
				keys[nd] = &hosts[i];
				tags[nd++] = redel[i];
			}
		if (nd > 0 && txn_elems(st, NFT_MSG_DELSETELEM, fams[fi].set,
		    0, keys, fams[fi].keylen, NULL, NULL, nd, tags) == -1)
			goto done;
		for (i = k = 0; i < n; i++) {
			if (hosts[i].family != fams[fi].af)
				continue;
			if ((t = until_ms(until != NULL ? until[i] : 0, now)) ==
			    -1)
				continue;
			keys[k] = &hosts[i];
			sk[k] = stamp != NULL ? stamp[i] : 0;
			ms[k++] = (uint64_t)t;
		}
		if (k > 0 && txn_elems(st, NFT_MSG_NEWSETELEM, fams[fi].set, 0,
		    keys, fams[fi].keylen, ms, sk, k, NULL) == -1)
			goto done;
	}
	rv = 0;
done:
	if (rv == -1)
		log_warn("nft: building the elements");
	free(keys);
	free(ms);
	free(sk);
	free(tags);
	return rv;
}

/* every host of our record, for a rebuild; the ones over are dropped */
static int
record_hosts(struct nfw *st, struct addr **hosts, int64_t **until,
    int64_t **stamp, size_t *n)
{
	int64_t		 now = now_sec();
	size_t		 i;

	*n = 0;
	*hosts = calloc(st->hosts.live + 1, sizeof(**hosts));
	*until = calloc(st->hosts.live + 1, sizeof(**until));
	*stamp = calloc(st->hosts.live + 1, sizeof(**stamp));
	if (*hosts == NULL || *until == NULL || *stamp == NULL) {
		free(*hosts);
		free(*until);
		free(*stamp);
		return -1;
	}
	for (i = 0; i < st->hosts.n; i++) {
		struct hset_item *h = &st->hosts.v[i];

		if (h->addr.family == 0)
			continue;
		if (UNTIL(h) != 0 && (int64_t)UNTIL(h) <= now) {
			hset_del(&st->hosts, &h->addr);
			continue;
		}
		(*hosts)[*n] = h->addr;
		(*stamp)[*n] = (int64_t)STAMP(h);
		(*until)[(*n)++] = (int64_t)UNTIL(h);
	}
	return 0;
}

/*
 * Into the transaction: both sets emptied (a DELSETELEM with no element
 * flushes a set), so that what a reload left there, such as the older
 * elements of a saved ruleset restored with nft -f, goes.
 */
static int
txn_flush_sets(struct nfw *st)
{
	struct nftnl_set	*s;
	struct nlmsghdr		*nlh;
	int			 fi;

	for (fi = 0; fi < NFAM; fi++) {
		if ((s = nftnl_set_alloc()) == NULL)
			return -1;
		nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
		nftnl_set_set_str(s, NFTNL_SET_NAME, fams[fi].set);
		if ((nlh = txn_msg(st, NFT_MSG_DELSETELEM, 0, -1)) == NULL) {
			nftnl_set_free(s);
			return -1;
		}
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		txn_push(st, nlh);
		nftnl_set_free(s);
	}
	return 0;
}

/*
 * Make (or mend) everything in one transaction; with withhosts the sets
 * hold exactly the hosts of our record after it (at start, without, the
 * sets stay as they are, to be read).  Then note the handles, to notice
 * the next reload.
 */
static int
rebuild(struct nfw *st, int withhosts, size_t *nhosts)
{
	struct addr	*hosts;
	int64_t		*until, *stamp;
	size_t		 n;
	int		 rv = -1;

	if (record_hosts(st, &hosts, &until, &stamp, &n) == -1) {
		log_warn("nft: rebuild");
		return -1;
	}
	if (!withhosts)
		n = 0;
	txn_begin(st);
	if (txn_objects(st) == 0 && (!withhosts || txn_flush_sets(st) == 0) &&
	    txn_hosts(st, hosts, until, stamp, NULL, n) == 0) {
		if (txn_commit(st) == 0)
			rv = 0;
		else
			log_warn("nft: making table inet " NFT_TABLE);
	}
	free(hosts);
	free(until);
	free(stamp);
	if (rv == 0 && objects_sig(st, &st->sig) != 0)
		st->sig = 0;
	if (nhosts != NULL)
		*nhosts = n;
	return rv;
}

/* --- reading the sets --- */

struct dump {
	struct nfw	*st;
	int		 fi;
	int		 err;
};

static int
counter_cb(struct nftnl_expr *e, void *data)
{
	struct hset_item	*h = data;
	const char		*name = nftnl_expr_get_str(e, NFTNL_EXPR_NAME);

	if (name != NULL && strcmp(name, "counter") == 0) {
		PKTS(h) = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_PACKETS);
		BYTES(h) = nftnl_expr_get_u64(e, NFTNL_EXPR_CTR_BYTES);
	}
	return 0;
}

static int
elems_cb(const struct nlmsghdr *nlh, void *data)
{
	struct dump		*d = data;
	struct nftnl_set	*s;
	struct nftnl_set_elems_iter *it;
	struct nftnl_set_elem	*e;
	struct hset_item	*h;
	struct addr		 a;
	const void		*key;
	uint32_t		 klen;
	uint64_t		 left;
	/*
	 * Read after the kernel counted the time left of this message's
	 * elements (a dump of 100,000 takes seconds): the end so found is
	 * ours, or a second past it
	 */
	int64_t			 nowms = fw_now_ms();

	if ((s = nftnl_set_alloc()) == NULL)
		return MNL_CB_ERROR;
	if (nftnl_set_elems_nlmsg_parse(nlh, s) < 0 ||
	    (it = nftnl_set_elems_iter_create(s)) == NULL) {
		nftnl_set_free(s);
		return MNL_CB_ERROR;
	}
	for (e = nftnl_set_elems_iter_cur(it); e != NULL;
	    e = nftnl_set_elems_iter_next(it)) {
		key = nftnl_set_elem_get(e, NFTNL_SET_ELEM_KEY, &klen);
		if (key == NULL || klen != (uint32_t)fams[d->fi].keylen)
			continue;
		memset(&a, 0, sizeof(a));
		a.family = fams[d->fi].af;
		memcpy(a.a, key, klen);
		if ((h = hset_put(&d->st->hosts, &a)) == NULL) {
			d->err = errno;
			break;
		}
		UNTIL(h) = 0;
		if (nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_EXPIRATION) &&
		    nftnl_set_elem_is_set(e, NFTNL_SET_ELEM_TIMEOUT)) {
			left = nftnl_set_elem_get_u64(e,
			    NFTNL_SET_ELEM_EXPIRATION);
			UNTIL(h) = (uint64_t)((nowms + (int64_t)left) / 1000);
		}
		PKTS(h) = BYTES(h) = 0;
		nftnl_set_elem_expr_foreach(e, counter_cb, h);
		STAMP(h) = (uint64_t)elem_stamp_get(e);
	}
	nftnl_set_elems_iter_destroy(it);
	nftnl_set_free(s);
	return d->err ? MNL_CB_ERROR : MNL_CB_OK;
}

/*
 * Our record made afresh from the sets, with their counters and time
 * left.  This reads every element, and the kernel walks a hash set
 * from its start for every message of the dump: 100,000 hosts take
 * about 2 s.  So it runs at start and for --list, never on the way of
 * a block.  0, 1 if the table is not there, -1.
 */
static int
dump_sets(struct nfw *st)
{
	char			 b[MNL_SOCKET_BUFFER_SIZE];
	struct nlmsghdr		*nlh;
	struct nftnl_set	*s;
	struct dump		 d;
	int			 fi;

	hset_clear(&st->hosts);
	memset(&d, 0, sizeof(d));
	d.st = st;
	for (fi = 0; fi < NFAM; fi++) {
		if ((s = nftnl_set_alloc()) == NULL)
			return -1;
		nftnl_set_set_str(s, NFTNL_SET_TABLE, NFT_TABLE);
		nftnl_set_set_str(s, NFTNL_SET_NAME, fams[fi].set);
		nlh = req_hdr(st, b, NFT_MSG_GETSETELEM, NLM_F_DUMP);
		nftnl_set_elems_nlmsg_build_payload(nlh, s);
		nftnl_set_free(s);
		d.fi = fi;
		if (query(st, nlh, elems_cb, &d) == -1) {
			if (errno == ENOENT)
				return 1;
			if (d.err)
				errno = d.err;
			return -1;
		}
	}
	return 0;
}

/* --- the backend --- */

static void nfw_close(void *);

static void *
nfw_open(const struct fw_conf *conf, char *err, size_t errlen)
{
	struct nfw	*st;
	int		 r, on = 1;

	if ((st = calloc(1, sizeof(*st))) == NULL ||
	    hset_init(&st->hosts, 0) == -1 ||
	    (st->rb = malloc(RB_SIZE)) == NULL) {
		snprintf(err, errlen, "nft: %s", strerror(errno));
		if (st != NULL)
			hset_free(&st->hosts);
		free(st);
		return NULL;
	}
	memcpy(st->ports, conf->ports, conf->nports * sizeof(st->ports[0]));
	st->nports = conf->nports;
	st->seq = (uint32_t)time(NULL);
	if ((st->nl = mnl_socket_open(NETLINK_NETFILTER)) == NULL ||
	    mnl_socket_bind(st->nl, 0, MNL_SOCKET_AUTOPID) < 0) {
		snprintf(err, errlen, "nft: netlink socket: %s",
		    strerror(errno));
		goto bad;
	}
	st->portid = mnl_socket_get_portid(st->nl);
	/* an error's ACK carries only the header, not a 64 KiB message */
	setsockopt(mnl_socket_get_fd(st->nl), SOL_NETLINK, NETLINK_CAP_ACK,
	    &on, sizeof(on));
	/* the hosts already there are taken up; read once, here */
	if ((r = dump_sets(st)) == -1) {
		if (errno == EPERM || errno == EACCES)
			snprintf(err, errlen, "nft: permission denied: run "
			    "as root or with CAP_NET_ADMIN");
		else
			snprintf(err, errlen, "nft: reading table inet "
			    NFT_TABLE ": %s", strerror(errno));
		goto bad;
	}
	st->fresh = r == 0;
	/* the sets as they are; a table missing has no hosts to put back */
	if (rebuild(st, 0, NULL) == -1) {
		if (errno == EPERM || errno == EACCES)
			snprintf(err, errlen, "nft: permission denied: run "
			    "as root or with CAP_NET_ADMIN");
		else if (errno == EEXIST)
			snprintf(err, errlen, "nft: table inet " NFT_TABLE
			    " holds sets or a chain of another shape; "
			    "delete it ('nft delete table inet " NFT_TABLE
			    "') and start again");
		else
			snprintf(err, errlen, "nft: making table inet "
			    NFT_TABLE ": %s (a kernel without nf_tables, or "
			    "without set counters and timeouts?)",
			    strerror(errno));
		goto bad;
	}
	clock_gettime(CLOCK_MONOTONIC, &st->lastcheck);
	return st;
bad:
	nfw_close(st);
	return NULL;
}

static void
nfw_close(void *p)
{
	struct nfw	*st = p;

	if (st == NULL)
		return;
	if (st->nl != NULL)
		mnl_socket_close(st->nl);
	hset_free(&st->hosts);
	free(st->buf);
	free(st->tag);
	free(st->err);
	free(st->rb);
	free(st);
}

static const char *
nfw_where(const struct fw_conf *conf)
{
	(void)conf;
	return NFT_WHERE;
}

static void
nfw_advise(void *p)
{
	(void)p;
	log_info("nft: blocks are elements of the sets of table inet "
	    NFT_TABLE "; see them with 'nft list table inet " NFT_TABLE "'");
}

static int
nfw_list(void *p, fw_list_cb cb, void *ctx)
{
	struct nfw	*st = p;
	size_t		 i;
	int		 r, fi;

	if (!st->fresh) {
		if ((r = dump_sets(st)) == -1) {
			log_warn("nft: reading the sets");
			return -1;
		}
	}
	st->fresh = 0;
	for (fi = 0; fi < NFAM; fi++)
		for (i = 0; i < st->hosts.n; i++) {
			const struct hset_item *h = &st->hosts.v[i];

			if (h->addr.family == fams[fi].af)
				cb(ctx, &h->addr, PKTS(h), BYTES(h),
				    (int64_t)UNTIL(h), (int64_t)STAMP(h));
		}
	return 0;
}

/* is the host in the set, by our record (an element over is gone) */
static struct hset_item *
present(struct nfw *st, const struct addr *a, int64_t now)
{
	struct hset_item	*h;

	if ((h = hset_get(&st->hosts, a)) == NULL)
		return NULL;
	if (UNTIL(h) != 0 && (int64_t)UNTIL(h) <= now) {
		hset_del(&st->hosts, a);
		return NULL;
	}
	return h;
}

/*
 * One transaction for all the hosts given.  A host present with
 * another end of block is refreshed (delete and add); one whose
 * element timed out meanwhile makes the delete fail, and the whole
 * transaction with it: it is then taken as gone, and the transaction
 * tried again once.  A transaction refused because the table went is
 * tried again after the table is rebuilt.  A new element is stamped
 * with now; a refreshed one keeps its stamp.
 */
static int
nfw_add(void *p, const struct addr *hosts, const int64_t *until, size_t n)
{
	struct nfw		*st = p;
	struct hset_item	*h, *d;
	struct hset		 seen;
	struct addr		*v = NULL, k;
	int64_t			*u = NULL, *sk = NULL, now = now_sec(), want;
	int64_t			 ms = fw_now_ms();
	long			*redel = NULL;
	size_t			 i, m, j;
	int			 try, added = 0, bad = 0, e;

	if (hset_init(&seen, n) == -1) {
		log_warn("nft: add");
		return -1;
	}
	if ((v = calloc(n ? n : 1, sizeof(*v))) == NULL ||
	    (u = calloc(n ? n : 1, sizeof(*u))) == NULL ||
	    (sk = calloc(n ? n : 1, sizeof(*sk))) == NULL ||
	    (redel = calloc(n ? n : 1, sizeof(*redel))) == NULL) {
		log_warn("nft: add");
		goto fail;
	}
	for (try = 0; try < 3; try++) {
		m = 0;
		added = 0;
		hset_clear(&seen);
		for (i = 0; i < n; i++) {
			if (addr_norm(&hosts[i], &k) == -1) {
				bad += try == 0;
				continue;
			}
			want = until != NULL ? until[i] : 0;
			if (want != 0 && want <= now)
				continue;
			if ((d = hset_put(&seen, &k)) == NULL) {
				log_warn("nft: add");
				goto fail;
			}
			if (d->v[0] != 0) {		/* given twice */
				u[d->v[0] - 1] = want;
				continue;
			}
			if ((h = present(st, &k, now)) != NULL) {
				/* a second either way is the same time */
				if ((int64_t)UNTIL(h) == want ||
				    (want != 0 && UNTIL(h) != 0 &&
				    llabs((int64_t)UNTIL(h) - want) <= 1))
					continue;
				redel[m] = (long)m;
				sk[m] = STAMP(h) != 0 ? (int64_t)STAMP(h) : ms;
			} else {
				redel[m] = -1;
				sk[m] = ms;
				added++;
			}
			d->v[0] = m + 1;
			v[m] = k;
			u[m++] = want;
		}
		if (m == 0)
			break;
		txn_begin(st);
		if (txn_hosts(st, v, u, sk, redel, m) == -1)
			goto fail;
		if (txn_commit(st) == 0) {
			for (i = 0; i < m; i++)
				if ((h = hset_put(&st->hosts, &v[i])) != NULL) {
					UNTIL(h) = (uint64_t)u[i];
					STAMP(h) = (uint64_t)sk[i];
				} else
					log_warn("nft: record");
			break;
		}
		e = errno;
		/* a refreshed element that was gone: take it as gone */
		for (i = j = 0; i < st->nmsg; i++)
			if (st->err[i] == ENOENT && st->tag[i] >= 0) {
				hset_del(&st->hosts, &v[st->tag[i]]);
				j++;
			}
		if (j > 0)
			continue;
		if (try == 0 && (e == ENOENT || e == EEXIST)) {
			log_warnx("nft: table inet " NFT_TABLE " changed "
			    "under detengo: rebuilding it");
			if (rebuild(st, 1, NULL) == 0)
				continue;
		}
		errno = e;
		log_warn("nft: adding %zu hosts to the sets", m);
		goto fail;
	}
	if (bad > 0)
		log_warnx("nft: %d hosts of no IP family skipped", bad);
	hset_free(&seen);
	free(v);
	free(u);
	free(sk);
	free(redel);
	return added;
fail:
	hset_free(&seen);
	free(v);
	free(u);
	free(sk);
	free(redel);
	return -1;
}

static int
nfw_del(void *p, const struct addr *hosts, size_t n)
{
	struct nfw	*st = p;
	struct addr	*v;
	struct hset	 seen;
	struct hset_item *d;
	long		*tags;
	int64_t		 now = now_sec();
	size_t		 i, m;
	int		 try, fi, gone;

	v = calloc(n ? n : 1, sizeof(*v));
	tags = calloc(n ? n : 1, sizeof(*tags));
	if (v == NULL || tags == NULL || hset_init(&seen, n) == -1) {
		free(v);
		free(tags);
		log_warn("nft: del");
		return -1;
	}
	for (try = 0; try < 3; try++) {
		hset_clear(&seen);
		for (i = m = 0; i < n; i++) {
			if (present(st, &hosts[i], now) == NULL)
				continue;
			if ((d = hset_put(&seen, &hosts[i])) == NULL)
				goto fail;
			if (d->v[0] != 0)
				continue;	/* given twice */
			d->v[0] = 1;
			addr_norm(&hosts[i], &v[m]);
			tags[m] = (long)m;
			m++;
		}
		if (m == 0)
			break;
		txn_begin(st);
		for (fi = 0; fi < NFAM; fi++) {
			const struct addr	*keys[1];

			for (i = 0; i < m; i++) {
				if (v[i].family != fams[fi].af)
					continue;
				keys[0] = &v[i];
				if (txn_elems(st, NFT_MSG_DELSETELEM,
				    fams[fi].set, 0, keys, fams[fi].keylen,
				    NULL, NULL, 1, &tags[i]) == -1)
					goto fail;
			}
		}
		if (txn_commit(st) == 0) {
			for (i = 0; i < m; i++)
				hset_del(&st->hosts, &v[i]);
			break;
		}
		/* gone already (timed out, or deleted by hand): forget it */
		for (i = gone = 0; i < st->nmsg; i++)
			if (st->err[i] == ENOENT && st->tag[i] >= 0) {
				hset_del(&st->hosts, &v[st->tag[i]]);
				gone++;
			}
		if (gone == 0) {
			log_warn("nft: deleting %zu hosts from the sets", m);
			goto fail;
		}
	}
	hset_free(&seen);
	free(v);
	free(tags);
	return (int)m;
fail:
	hset_free(&seen);
	free(v);
	free(tags);
	return -1;
}

/* the whole table goes: everything in it is detengo's */
static int
nfw_flush(void *p)
{
	struct nfw		*st = p;
	struct nftnl_table	*t;
	struct nlmsghdr		*nlh;
	int			 n;

	if ((n = dump_sets(st)) == 1)
		return 0;
	if (n == -1) {
		log_warn("nft: reading the sets");
		return -1;
	}
	n = (int)st->hosts.live;
	if ((t = nftnl_table_alloc()) == NULL)
		return -1;
	nftnl_table_set_str(t, NFTNL_TABLE_NAME, NFT_TABLE);
	txn_begin(st);
	if ((nlh = txn_msg(st, NFT_MSG_DELTABLE, 0, -1)) == NULL) {
		nftnl_table_free(t);
		return -1;
	}
	nftnl_table_nlmsg_build_payload(nlh, t);
	txn_push(st, nlh);
	nftnl_table_free(t);
	if (txn_commit(st) == -1 && errno != ENOENT) {
		log_warn("nft: deleting table inet " NFT_TABLE);
		return -1;
	}
	hset_clear(&st->hosts);
	st->sig = 0;
	return n;
}

/*
 * A reload (`nft flush ruleset', firewalld, fw4) takes our table: every
 * NFT_CHECK_MS the handles of what we made are read (five small
 * requests, no element), and if they changed everything is made again
 * from our record, in one transaction.
 */
static int
nfw_tick(void *p)
{
	struct nfw	*st = p;
	struct timespec	 now;
	uint64_t	 sig;
	size_t		 n;
	int		 r;

	clock_gettime(CLOCK_MONOTONIC, &now);
	if ((now.tv_sec - st->lastcheck.tv_sec) * 1000 + (now.tv_nsec -
	    st->lastcheck.tv_nsec) / 1000000 < NFT_CHECK_MS)
		return 0;
	st->lastcheck = now;
	if ((r = objects_sig(st, &sig)) == -1) {
		log_warn("nft: reading table inet " NFT_TABLE);
		goto later;
	}
	if (r == 0 && sig == st->sig)
		return 0;
	if (rebuild(st, 1, &n) == -1)
		goto later;
	log_info("nft: table inet " NFT_TABLE " was %s (a firewall reload?): "
	    "made again with %zu blocked hosts", r == 1 ? "gone" : "changed",
	    n);
	return 0;
later:
	/* what failed is said again in NFT_RETRY_S, not every check */
	st->lastcheck.tv_sec += NFT_RETRY_S;
	return -1;
}

const struct fw_backend fw_nft_backend = {
	.name = "nft",
	.caps = FW_CAN_EXPIRE | FW_CAN_COUNT | FW_KEEPS,
	.tick_ms = NFT_CHECK_MS,
	.open = nfw_open,
	.close = nfw_close,
	.where = nfw_where,
	.advise = nfw_advise,
	.list = nfw_list,
	.add = nfw_add,
	.del = nfw_del,
	.flush = nfw_flush,
	.tick = nfw_tick,
};
