/* follow TCP connections to watched ports: reassembly, the SMTP parser, their events */
#include <sys/socket.h>

#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "dns.h"
#include "flow.h"
#include "hash.h"
#include "bounds.h"
#include "rbl.h"
#include "reasm.h"
#include "smtp.h"
#include "tls.h"

/* the ports whose protocol is known without looking */
#define PORT_DNS	53
#define PORT_SUBMISSIONS 465	/* implicit TLS, RFC 8314 3.3 */
#define TLS_HANDSHAKE	22	/* a TLS record's first byte, RFC 8446 5.1 */

/* what a connection carries */
enum { FK_SMTP, FK_TLS, FK_DNS };

#define TH_FIN	0x01
#define TH_SYN	0x02
#define TH_RST	0x04
#define TH_ACK	0x10

enum { C2S, S2C };

struct flowkey {
	uint8_t		 family;
	uint8_t		 caddr[16], saddr[16];	/* client, server */
	uint16_t	 cport, sport;
};

struct flow {
	struct flowkey	 key;
	struct flow	*hnext;			/* hash chain */
	struct flow	*prev, *next;		/* least recently seen first */
	struct flowtab	*tab;
	int64_t		 last;			/* usec of the last packet */
	uint32_t	 sid;
	uint32_t	 cisn;
	uint8_t		 mac[6];
	uint8_t		 has_mac;
	uint8_t		 syn;			/* the client's SYN was seen */
	uint8_t		 told;			/* an event was written */
	uint8_t		 midstream;		/* began without its SYN */
	uint8_t		 peer;			/* a packet of the server seen */
	uint8_t		 fin[2];
	uint8_t		 acked[2];		/* ack[] is set */
	uint32_t	 ack[2];		/* the peer's last ACK of each way */
	uint8_t		 sent[2];		/* sndmax[] is set */
	uint32_t	 sndmax[2];		/* past the last byte sent each way */
	/* a second SYN-ACK with another ISN, until the client takes it */
	uint8_t		 nsynack;
	uint32_t	 sisn, nsynack_isn;
	/* a client SYN with another ISN, until the server answers it */
	uint8_t		 nsyn;
	uint8_t		 nsyn_has_mac;
	uint8_t		 nsyn_mac[6];
	uint32_t	 nsyn_isn;
	struct reasm	 r[2];
	struct smtp	*smtp;
	uint8_t		 kind;			/* FK_* */
	uint8_t		 cbytes;		/* a byte of the client read */
	uint8_t		 tlsdone;		/* the tls event was written */
	struct tls_hello *tls;			/* the ClientHello, while read */
	struct dns_tcp	*dns;			/* DNS over TCP: the client's */
	uint32_t	 nq;			/* its queries read */
	char		 src[HOSTPORT_STRLEN], dst[HOSTPORT_STRLEN];
};

struct flowtab {
	struct flow_conf conf;
	uint8_t		 watched[65536 / 8];
	struct flow	**bucket;
	size_t		 nbucket;		/* a power of two */
	struct flow	*lru, *mru;
	size_t		 count;
	uint64_t	 hkey[2];
	struct reasm_mem rmem;
	struct smtp_mem	 smem;
	flow_out_fn	*out;
	void		*outctx;
	struct flow_stats st;
	int64_t		 nowsec;		/* the time of the packet at hand */
	uint32_t	 nowusec;
	struct ev_buf	 eb;
};

/*
 * The session id: FNV-1a of the connection and the first packet's
 * time, so that a replay of the same capture gives the same ids.
 */
static uint32_t
make_sid(const struct flowkey *k, int64_t sec, uint32_t usec)
{
	uint64_t	 t = (uint64_t)sec * 1000000 + usec;
	uint8_t		 tb[8];
	size_t		 i;

	for (i = 0; i < 8; i++)
		tb[i] = (uint8_t)(t >> (8 * i));
	return fnv1a(fnv1a(FNV1A_INIT, k, sizeof(*k)), tb, sizeof(tb));
}

static int
watched(const struct flowtab *ft, uint16_t port)
{
	return ft->watched[port >> 3] & (1 << (port & 7));
}

struct flowtab *
flow_new(const struct flow_conf *conf, flow_out_fn *out, void *ctx)
{
	struct flowtab	*ft;
	int		 i;

	if ((ft = calloc(1, sizeof(*ft))) == NULL)
		return NULL;
	ft->conf = *conf;
	for (i = 0; i < conf->nports; i++)
		ft->watched[conf->ports[i] >> 3] |= 1 << (conf->ports[i] & 7);
	if (conf->dns)
		ft->watched[PORT_DNS >> 3] |= 1 << (PORT_DNS & 7);
	for (ft->nbucket = 1024; ft->nbucket < conf->maxflows;
	    ft->nbucket <<= 1)
		;
	if ((ft->bucket = calloc(ft->nbucket, sizeof(*ft->bucket))) == NULL) {
		free(ft);
		return NULL;
	}
	hash_key(ft->hkey);
	ft->rmem.max = conf->reasm_mem;
	ft->smem.max = conf->smtp_mem;
	ft->out = out;
	ft->outctx = ctx;
	return ft;
}

/* --- events --- */

/* the fields every connection's event begins with */
static void
ev_begin(struct flowtab *ft, const char *name, uint32_t sid, const char *src,
    const char *dst, const uint8_t *m, int has_mac)
{
	struct ev_buf	*b = &ft->eb;

	event_begin(b, ft->nowsec, ft->nowusec, name);
	event_addx(b, "sid", sid);
	event_adds(b, "src", src);
	event_adds(b, "dst", dst);
	if (has_mac) {
		static char	 mac[18];
		static const char hex[] = "0123456789abcdef";
		int		 i;

		for (i = 0; i < 6; i++) {
			mac[i * 3] = hex[m[i] >> 4];
			mac[i * 3 + 1] = hex[m[i] & 15];
			mac[i * 3 + 2] = i < 5 ? ':' : '\0';
		}
		event_add(b, "mac", mac, 17);
	}
}

static void
ev_start(struct flow *f, const char *name)
{
	ev_begin(f->tab, name, f->sid, f->src, f->dst, f->mac, f->has_mac);
}

/* the line in ft->eb, out */
static void
ev_emit(struct flowtab *ft)
{
	ft->st.events++;
	ft->out(ft->outctx, &ft->eb);
}

static void
ev_finish(struct flow *f)
{
	f->told = 1;
	ev_emit(f->tab);
}

/*
 * A connection's TLS or DNS reader: within the budget the SMTP parsers
 * share (SMTP_MEM_MAX), or NULL, counted as nomem
 */
static void *
tab_alloc(struct flowtab *ft, size_t n)
{
	void	*p;

	if ((p = smtp_mem_get(&ft->smem, n)) == NULL)
		ft->st.nomem++;
	return p;
}

/* the SMTP parser's events, as event lines */
static void
smtp_event(void *ctx, const struct smtp_event *ev)
{
	struct flow	*f = ctx;
	struct ev_buf	*b = &f->tab->eb;
	struct rbl	 rb;	/* its values are the line's until it is out */

	switch (ev->type) {
	case SMTP_EV_HELO:
		ev_start(f, "helo");
		event_adds(b, "verb", ev->verb);
		event_add(b, "name", ev->arg, ev->arglen);
		break;
	case SMTP_EV_AUTH:
		ev_start(f, "auth");
		event_adds(b, "mech", ev->verb);
		if (ev->arg)
			event_add(b, "user", ev->arg, ev->arglen);
		if (ev->reply)
			event_addu(b, "reply", (unsigned)ev->reply);
		break;
	case SMTP_EV_STARTTLS:
		ev_start(f, "starttls");
		if (ev->reply)
			event_addu(b, "reply", (unsigned)ev->reply);
		break;
	case SMTP_EV_MAIL:
		ev_start(f, "mail");
		event_add(b, "from", ev->arg, ev->arglen);
		break;
	case SMTP_EV_RCPT:
		ev_start(f, "rcpt");
		event_add(b, "to", ev->arg, ev->arglen);
		break;
	case SMTP_EV_MESSAGE:
		ev_start(f, "message");
		if (ev->arg)
			event_add(b, "subject", ev->arg, ev->arglen);
		if (ev->arg2)
			event_add(b, "msgid", ev->arg2, ev->arg2len);
		event_addu(b, "size", ev->size);
		event_addu(b, "rcpts", ev->rcpts);
		if (ev->reply)
			event_addu(b, "reply", (unsigned)ev->reply);
		break;
	case SMTP_EV_REFUSED:
		ev_start(f, "refused");
		event_adds(b, "verb", ev->verb);
		if (ev->arg)
			event_add(b, ev->verb[0] == 'M' ? "from" : "to",
			    ev->arg, ev->arglen);
		event_addu(b, "reply", (unsigned)ev->reply);
		/* the enhanced code, and the blocklist the text names */
		if (ev->text != NULL) {
			if (rbl_parse(ev->text, ev->textlen, &rb) == 1) {
				if (rb.esc[0])
					event_adds(b, "esc", rb.esc);
				event_adds(b, "listed", rb.zone);
				if (rb.addr[0])
					event_adds(b, "named", rb.addr);
			} else if (rb.esc[0])
				event_adds(b, "esc", rb.esc);
		}
		break;
	case SMTP_EV_UNHEARD:
		ev_start(f, "unheard");
		if (ev->pending)
			event_addu(b, "pending", ev->pending);
		break;
	}
	if (ev->cut)
		event_cut(b);
	ev_finish(f);
}

/*
 * The SMTP parser of a connection, made at its first byte: a flood of
 * SYNs and silent connections costs only the flow itself.
 */
static struct smtp *
parser(struct flow *f)
{
	if (f->smtp != NULL)
		return f->smtp;
	if ((f->smtp = smtp_new(&f->tab->smem, smtp_event, f)) == NULL) {
		f->tab->st.nomem++;
		return NULL;
	}
	if (f->midstream)
		smtp_midstream(f->smtp);
	if (f->peer)
		smtp_peer(f->smtp);
	return f->smtp;
}

/*
 * A TLS connection's one event, with the server name of its ClientHello
 * when it has one: at the end of the hello, or when what came is no
 * hello the parser can read (a hello over TLS_HELLO_MAX, a connection
 * picked up midstream): a TLS connection is counted either way.
 */
static void
tls_event(struct flow *f, const char *sni)
{
	if (f->tlsdone)
		return;
	f->tlsdone = 1;
	ev_start(f, "tls");
	if (sni != NULL && sni[0] != '\0')
		event_add(&f->tab->eb, "sni", sni, strlen(sni));
	ev_finish(f);
	smtp_mem_put(&f->tab->smem, f->tls, sizeof(*f->tls));
	f->tls = NULL;
}

/* the client's TLS bytes: its ClientHello, then nothing */
static void
hello(struct flow *f, const uint8_t *p, size_t len)
{
	char		 sni[TLS_SNI_MAX + 1];

	if (f->tlsdone)
		return;
	if (f->tls == NULL) {
		if ((f->tls = tab_alloc(f->tab, sizeof(*f->tls))) == NULL) {
			tls_event(f, NULL);
			return;
		}
		tls_init(f->tls);
	}
	switch (tls_feed(f->tls, p, len, sni, sizeof(sni), NULL)) {
	case TLS_DONE:
		tls_event(f, sni);
		break;
	case TLS_NOT:
		tls_event(f, NULL);
		break;
	}
}

/* one DNS message of a TCP stream: an mx event if it asks for MX */
static void
dns_msg(void *ctx, const uint8_t *p, size_t len)
{
	struct flow	*f = ctx;
	char		 name[DNS_NAME_TEXT_MAX];

	f->nq++;
	if (dns_mx_query(p, len, name, sizeof(name), NULL) != 1)
		return;
	/* a sid of its own: the connection's, and the query's number */
	ev_begin(f->tab, "mx", fnv1a(f->sid, &f->nq, sizeof(f->nq)), f->src,
	    f->dst, f->mac, f->has_mac);
	event_add(&f->tab->eb, "name", name, strlen(name));
	ev_emit(f->tab);
}

static void
deliver(struct flow *f, enum smtp_dir dir, const uint8_t *p, size_t len)
{
	struct smtp	*s;

	if (f->kind == FK_DNS) {
		if (dir != SMTP_CLIENT)
			return;
		f->cbytes = 1;
		if (f->dns == NULL) {
			if ((f->dns = tab_alloc(f->tab, sizeof(*f->dns))) ==
			    NULL)
				return;
			dns_tcp_init(f->dns);
		}
		dns_tcp_feed(f->dns, p, len, dns_msg, f);
		return;
	}
	/* a client that speaks TLS first: implicit TLS, whatever the port */
	if (dir == SMTP_CLIENT && !f->cbytes) {
		f->cbytes = 1;
		if (len > 0 && p[0] == TLS_HANDSHAKE && !f->midstream)
			f->kind = FK_TLS;
	}
	if (f->kind == FK_TLS) {
		if (dir == SMTP_CLIENT)
			hello(f, p, len);
		return;
	}
	if ((s = parser(f)) == NULL)
		return;
	/* after an accepted STARTTLS the client's bytes are its hello */
	if (dir == SMTP_CLIENT && smtp_tls(s)) {
		hello(f, p, len);
		return;
	}
	smtp_data(s, dir, p, len);
}

static void
deliver_c(void *ctx, const uint8_t *p, size_t len)
{
	deliver(ctx, SMTP_CLIENT, p, len);
}

static void
deliver_s(void *ctx, const uint8_t *p, size_t len)
{
	deliver(ctx, SMTP_SERVER, p, len);
}

static void
gap(struct flow *f, enum smtp_dir dir, size_t len)
{
	struct smtp	*s;

	f->tab->st.gapbytes += len;
	if (f->kind == FK_DNS) {
		if (dir == SMTP_CLIENT && f->dns != NULL)
			dns_tcp_gap(f->dns);
		return;
	}
	/* a hello with a hole: a TLS connection, its name unknown */
	if (f->kind == FK_TLS || (f->smtp != NULL && smtp_tls(f->smtp))) {
		if (dir == SMTP_CLIENT && f->tls != NULL)
			tls_event(f, NULL);
		return;
	}
	if ((s = parser(f)) != NULL)
		smtp_gap(s, dir, len);
}

static void
gap_c(void *ctx, size_t len)
{
	gap(ctx, SMTP_CLIENT, len);
}

static void
gap_s(void *ctx, size_t len)
{
	gap(ctx, SMTP_SERVER, len);
}

/* --- the table --- */

/*
 * Chained, through the flows themselves (hnext), not detengo's index of
 * entry numbers (detengo/oidx.c): a flow is an object the LRU list and
 * the SMTP parser point to, freed on its own, and the buckets are sized
 * once by flow_new(), so a packet never waits for the table to grow.
 */

static size_t
bucket_of(const struct flowtab *ft, const struct flowkey *k)
{
	struct flowkey	 c;
	int		 d;

	/*
	 * The lower end first: a connection hashes the same either way
	 * round, and one hash finds a packet's flow, whichever side sent
	 * it.
	 */
	d = memcmp(k->caddr, k->saddr, sizeof(k->caddr));
	if (d < 0 || (d == 0 && k->cport <= k->sport))
		return hash_sip(ft->hkey, k, sizeof(*k)) & (ft->nbucket - 1);
	memset(&c, 0, sizeof(c));
	c.family = k->family;
	memcpy(c.caddr, k->saddr, sizeof(c.caddr));
	memcpy(c.saddr, k->caddr, sizeof(c.saddr));
	c.cport = k->sport;
	c.sport = k->cport;
	return hash_sip(ft->hkey, &c, sizeof(c)) & (ft->nbucket - 1);
}

static struct flow *
lookup(struct flowtab *ft, size_t b, const struct flowkey *k)
{
	struct flow	*f;

	for (f = ft->bucket[b]; f != NULL; f = f->hnext)
		if (memcmp(&f->key, k, sizeof(*k)) == 0)
			return f;
	return NULL;
}

static void
lru_unlink(struct flowtab *ft, struct flow *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		ft->lru = f->next;
	if (f->next)
		f->next->prev = f->prev;
	else
		ft->mru = f->prev;
	f->prev = f->next = NULL;
}

static void
lru_append(struct flowtab *ft, struct flow *f)
{
	f->prev = ft->mru;
	f->next = NULL;
	if (ft->mru)
		ft->mru->next = f;
	else
		ft->lru = f;
	ft->mru = f;
}

/* the end of a connection: what is held is delivered, then close */
static void
flow_close(struct flowtab *ft, struct flow *f, const char *how)
{
	struct reasm_cb	 cc = { deliver_c, gap_c, f };
	struct reasm_cb	 sc = { deliver_s, gap_s, f };
	struct flow	**pp;

	reasm_flush(&f->r[S2C], &sc);
	reasm_flush(&f->r[C2S], &cc);
	if (f->smtp)
		smtp_end(f->smtp);
	/* a hello begun and not ended: the connection was TLS all the same */
	if (f->tls != NULL)
		tls_event(f, NULL);
	/*
	 * A connection that said nothing (stray packets of one gone) ends
	 * unsaid; DNS connections have no connect or close
	 */
	if (f->told && f->kind != FK_DNS) {
		ev_start(f, "close");
		event_adds(&ft->eb, "how", how);
		event_addu(&ft->eb, "msgs", f->smtp ? smtp_msgs(f->smtp) : 0);
		ev_finish(f);
	}
	for (pp = &ft->bucket[bucket_of(ft, &f->key)]; *pp != NULL;
	    pp = &(*pp)->hnext)
		if (*pp == f) {
			*pp = f->hnext;
			break;
		}
	lru_unlink(ft, f);
	reasm_free(&f->r[C2S]);
	reasm_free(&f->r[S2C]);
	smtp_free(f->smtp);
	smtp_mem_put(&ft->smem, f->dns, sizeof(*f->dns));
	free(f);
	ft->count--;
}

static struct flow *
flow_create(struct flowtab *ft, const struct flowkey *k)
{
	struct flow	*f, *victim;
	size_t		 b, i;

	/*
	 * Full: a connection that never carried a byte makes room, if one
	 * is among those idle the longest; else the one idle the longest.
	 */
	if (ft->count >= ft->conf.maxflows && ft->lru != NULL) {
		victim = ft->lru;
		for (f = ft->lru, i = 0; f != NULL && i < FLOW_EVICT_SCAN;
		    f = f->next, i++)
			/* the parser is made at the first byte */
			if (f->smtp == NULL && !f->cbytes) {
				victim = f;
				break;
			}
		ft->st.evicted++;
		flow_close(ft, victim, "evicted");
	}
	if ((f = calloc(1, sizeof(*f))) == NULL) {
		ft->st.nomem++;
		return NULL;
	}
	f->key = *k;
	f->tab = ft;
	if (k->sport == PORT_DNS && ft->conf.dns)
		f->kind = FK_DNS;
	else if (k->sport == PORT_SUBMISSIONS)
		f->kind = FK_TLS;
	reasm_init(&f->r[C2S], &ft->rmem);
	reasm_init(&f->r[S2C], &ft->rmem);
	f->sid = make_sid(k, ft->nowsec, ft->nowusec);
	{
		struct addr	 a;

		memset(&a, 0, sizeof(a));
		a.family = k->family;
		memcpy(a.a, k->caddr, 16);
		addr_fmt_hostport(&a, k->cport, f->src, sizeof(f->src));
		memcpy(a.a, k->saddr, 16);
		addr_fmt_hostport(&a, k->sport, f->dst, sizeof(f->dst));
	}
	b = bucket_of(ft, k);
	f->hnext = ft->bucket[b];
	ft->bucket[b] = f;
	lru_append(ft, f);
	ft->count++;
	ft->st.flows++;
	return f;
}

static void
mkkey(struct flowkey *k, const struct pkt *p, int client_is_src)
{
	size_t	 n = p->family == AF_INET ? 4 : 16;

	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)p->family;
	if (client_is_src) {
		memcpy(k->caddr, p->src, n);
		memcpy(k->saddr, p->dst, n);
		k->cport = p->sport;
		k->sport = p->dport;
	} else {
		memcpy(k->caddr, p->dst, n);
		memcpy(k->saddr, p->src, n);
		k->cport = p->dport;
		k->sport = p->sport;
	}
}

/* the client's SYN: where its bytes start, and the connect event */
static void
client_syn(struct flow *f, uint32_t isn)
{
	f->syn = 1;
	f->cisn = isn;
	reasm_syn(&f->r[C2S], isn);
	if (f->kind == FK_DNS)
		return;
	ev_start(f, "connect");
	ev_finish(f);
}

/*
 * A client SYN that does not begin this connection: one with another
 * ISN once the client's place is known, from its SYN or its bytes.
 */
static int
stray_syn(const struct flow *f, uint32_t seq)
{
	if (f->syn)
		return seq != f->cisn;
	return f->r[C2S].started;
}

/*
 * A reset counts only where its receiver stands (RFC 5961 3.2, RFC
 * 9293 3.10.7.4): a receiver takes one whose sequence number is the
 * next it expects, and answers any other with a challenge ACK, the
 * connection going on.  What it expects lies between the next byte
 * the capture has of the sender and what the receiver last
 * acknowledged (more, when the capture missed bytes): a reset there is
 * taken.  With nothing of the sender seen there is nothing to judge by.
 */
static int
rst_valid(const struct flow *f, int dir, uint32_t seq)
{
	const struct reasm	*r = &f->r[dir];
	uint32_t		 lo, hi;

	if (!r->started && !f->acked[dir])
		return 1;
	if (!r->started)
		return seq == f->ack[dir];
	if (!f->acked[dir])
		return seq == r->next;
	lo = r->next;
	hi = f->ack[dir];
	if ((int32_t)(hi - lo) < 0) {
		lo = f->ack[dir];
		hi = r->next;
	}
	return seq - lo <= hi - lo;
}

/*
 * Would the receiver take this segment's data?  Not without ACK (RFC
 * 9293 3.10.7.4, fifth check), nor with an ACK of bytes never sent
 * (Linux drops those; RFC 5961 5.2), nor on a SYN: SMTP clients wait
 * for the greeting, and a server without TCP Fast Open ignores SYN
 * data (RFC 7413).
 */
static int
data_taken(const struct flow *f, int dir, const struct pkt *p)
{
	if ((p->flags & (TH_SYN | TH_ACK)) != TH_ACK)
		return 0;
	return !f->sent[!dir] || (int32_t)(p->ack - f->sndmax[!dir]) <= 0;
}

/* the connection of a packet, either way round; *dir says which way */
static struct flow *
find_flow(struct flowtab *ft, const struct pkt *p, struct flowkey *k,
    int *dir)
{
	struct flow	*f;
	size_t		 b;

	mkkey(k, p, 1);
	b = bucket_of(ft, k);
	*dir = C2S;
	if ((f = lookup(ft, b, k)) != NULL)
		return f;
	mkkey(k, p, 0);
	*dir = S2C;
	return lookup(ft, b, k);
}

/* a packet of no known connection: a new one, or NULL to drop it */
static struct flow *
open_flow(struct flowtab *ft, const struct pkt *p, struct flowkey *k,
    int *dir)
{
	struct flow	*f;
	int		 syn = p->flags & TH_SYN, ack = p->flags & TH_ACK;

	/* who is the client: the SYN says, else the watched port */
	if (syn && !ack)
		*dir = C2S;
	else if (syn && ack)
		*dir = S2C;
	else
		*dir = watched(ft, p->dport) ? C2S : S2C;
	/*
	 * Only a SYN or data opens a connection: the last ACK, FIN or
	 * RST of one already closed does not.
	 */
	if ((p->flags & TH_RST) || (!syn && p->len == 0))
		return NULL;
	mkkey(k, p, *dir == C2S);
	if ((f = flow_create(ft, k)) == NULL)
		return NULL;
	f->midstream = !syn;
	return f;
}

/*
 * A packet of a known connection that may not be for it: a reset out
 * of place, a SYN inside it, the server's answer to a SYN set aside.
 * Returns the connection the packet goes to (a new one when the ports
 * were reused), or NULL to drop the packet.
 */
static struct flow *
reuse_flow(struct flowtab *ft, struct flow *f, const struct pkt *p,
    const struct flowkey *k, int dir)
{
	int		 syn = p->flags & TH_SYN, ack = p->flags & TH_ACK;
	uint32_t	 isn;
	uint8_t		 mac[6], has_mac;

	if (p->flags & TH_RST)
		return rst_valid(f, dir, p->seq) ? f : NULL;
	if (dir == C2S && syn && !ack && stray_syn(f, p->seq)) {
		if (!f->fin[C2S]) {
			/*
			 * A SYN inside an open connection: the server
			 * answers it with a challenge ACK and keeps the
			 * connection (RFC 5961 4.2, RFC 9293 3.10.7.4).
			 * Only the server's SYN-ACK to it shows a new
			 * connection, the old one's end not captured;
			 * until then the SYN and its bytes are set aside.
			 */
			f->nsyn = 1;
			f->nsyn_isn = p->seq;
			f->nsyn_has_mac = (uint8_t)p->has_mac;
			memcpy(f->nsyn_mac, p->mac, 6);
			return NULL;
		}
		/* after the client's FIN: the port reused by a new connection */
		flow_close(ft, f, "timeout");
		return flow_create(ft, k);
	}
	if (dir == S2C && syn && ack && f->nsyn &&
	    p->ack == f->nsyn_isn + 1) {
		/* the server took the SYN set aside: the port was reused */
		isn = f->nsyn_isn;
		has_mac = f->nsyn_has_mac;
		memcpy(mac, f->nsyn_mac, 6);
		flow_close(ft, f, "timeout");
		if ((f = flow_create(ft, k)) == NULL)
			return NULL;
		if (has_mac) {
			memcpy(f->mac, mac, 6);
			f->has_mac = 1;
		}
		client_syn(f, isn);
	}
	return f;
}

/* the connection was seen: its server, its time, the client's MAC */
static void
touch_flow(struct flowtab *ft, struct flow *f, const struct pkt *p, int dir,
    int64_t sec, uint32_t usec)
{
	if (dir == S2C && !f->peer) {
		f->peer = 1;
		if (f->smtp != NULL)
			smtp_peer(f->smtp);
	}
	if (f->smtp != NULL)
		smtp_packet(f->smtp);
	f->last = sec * 1000000 + usec;
	lru_unlink(ft, f);
	lru_append(ft, f);
	if (dir == C2S && p->has_mac && !f->has_mac) {
		memcpy(f->mac, p->mac, 6);
		f->has_mac = 1;
	}
}

/* where each side's bytes start, from the SYNs and the client's ACK */
static void
track_syn(struct flowtab *ft, struct flow *f, const struct pkt *p, int dir)
{
	int	 syn = p->flags & TH_SYN, ack = p->flags & TH_ACK;

	if (syn) {
		if (dir == C2S && !ack && !f->syn)
			client_syn(f, p->seq);
		else if (dir == S2C && !f->r[S2C].started) {
			reasm_syn(&f->r[S2C], p->seq);
			f->sisn = p->seq;
		} else if (dir == S2C && p->seq != f->sisn &&
		    f->r[S2C].next == f->sisn + 1 &&
		    reasm_held(&f->r[S2C]) == 0) {
			/*
			 * Another SYN-ACK before the server said anything
			 * (SYN cookies across a minute, a SYN proxy): the
			 * client's ACK tells which one it took.
			 */
			f->nsynack = 1;
			f->nsynack_isn = p->seq;
		}
	}
	if (dir == C2S && ack && f->nsynack &&
	    p->ack == f->nsynack_isn + 1) {
		f->nsynack = 0;
		f->sisn = f->nsynack_isn;
		reasm_free(&f->r[S2C]);
		reasm_init(&f->r[S2C], &ft->rmem);
		reasm_syn(&f->r[S2C], f->sisn);
	}
}

/* the segment's bytes, what it acknowledges of the other way, its FIN */
static void
take_segment(struct flowtab *ft, struct flow *f, const struct pkt *p,
    int dir)
{
	struct reasm_cb	 cb[2] = { { deliver_c, gap_c, NULL },
			    { deliver_s, gap_s, NULL } };
	int		 syn = p->flags & TH_SYN, ack = p->flags & TH_ACK;
	uint32_t	 end;

	cb[0].ctx = cb[1].ctx = f;
	if (p->len > 0 && data_taken(f, dir, p))
		reasm_segment(&f->r[dir], p->seq, p->data, p->len, &cb[dir]);
	/* the end of what this side sent, FIN and SYN included */
	end = p->seq + (uint32_t)p->len + ((p->flags & TH_FIN) != 0) +
	    (syn != 0);
	if (!f->sent[dir] || (int32_t)(end - f->sndmax[dir]) > 0) {
		f->sndmax[dir] = end;
		f->sent[dir] = 1;
	}
	/* what the peer acknowledged shows what the capture lost */
	if (ack) {
		f->ack[!dir] = p->ack;
		f->acked[!dir] = 1;
		reasm_ack(&f->r[!dir], p->ack, &cb[!dir]);
	}
	/*
	 * A FIN counts where the receiver takes it: with ACK, at the
	 * end of the bytes delivered in order (one far ahead, or without
	 * ACK, is dropped and the connection goes on).
	 */
	if ((p->flags & TH_FIN) && ack && (!f->r[dir].started ||
	    f->r[dir].next == p->seq + (uint32_t)p->len)) {
		f->fin[dir] = 1;
		if (f->fin[C2S] && f->fin[S2C])
			flow_close(ft, f, "fin");
	}
}

void
flow_packet(struct flowtab *ft, int64_t sec, uint32_t usec,
    const struct pkt *p)
{
	struct flowkey	 k;
	struct flow	*f;
	int		 dir;

	ft->nowsec = sec;
	ft->nowusec = usec;
	flow_expire(ft, sec, usec);
	if (!watched(ft, p->dport) && !watched(ft, p->sport))
		return;
	if ((f = find_flow(ft, p, &k, &dir)) == NULL)
		f = open_flow(ft, p, &k, &dir);
	else
		f = reuse_flow(ft, f, p, &k, dir);
	if (f == NULL)
		return;
	touch_flow(ft, f, p, dir, sec, usec);
	track_syn(ft, f, p, dir);
	if (p->flags & TH_RST) {
		flow_close(ft, f, "rst");
		return;
	}
	take_segment(ft, f, p, dir);
}

/*
 * A UDP datagram: a DNS query for MX to port 53 is an mx event, with a
 * sid of its own (the datagram's addresses, ports and time); anything
 * else, or a message that is not a well-formed query, says nothing.
 */
void
flow_udp(struct flowtab *ft, int64_t sec, uint32_t usec, const struct pkt *p)
{
	struct flowkey	 k;
	struct addr	 a;
	char		 name[DNS_NAME_TEXT_MAX];
	char		 src[HOSTPORT_STRLEN], dst[HOSTPORT_STRLEN];

	if (!ft->conf.dns || p->dport != PORT_DNS)
		return;
	ft->nowsec = sec;
	ft->nowusec = usec;
	if (dns_mx_query(p->data, p->len, name, sizeof(name), NULL) != 1)
		return;
	mkkey(&k, p, 1);
	memset(&a, 0, sizeof(a));
	a.family = k.family;
	memcpy(a.a, k.caddr, 16);
	addr_fmt_hostport(&a, k.cport, src, sizeof(src));
	memcpy(a.a, k.saddr, 16);
	addr_fmt_hostport(&a, k.sport, dst, sizeof(dst));
	ev_begin(ft, "mx", make_sid(&k, sec, usec), src, dst, p->mac,
	    p->has_mac);
	event_add(&ft->eb, "name", name, strlen(name));
	ev_emit(ft);
}

/* connections idle longer than the timeout are closed */
void
flow_expire(struct flowtab *ft, int64_t sec, uint32_t usec)
{
	int64_t	 now = sec * 1000000 + usec;
	int64_t	 idle = (int64_t)ft->conf.idle * 1000000;

	while (ft->lru != NULL && now - ft->lru->last > idle) {
		ft->nowsec = sec;
		ft->nowusec = usec;
		flow_close(ft, ft->lru, "timeout");
	}
}

/* the capture is over: every connection still open ends here */
void
flow_endall(struct flowtab *ft, int64_t sec, uint32_t usec)
{
	if (sec != 0 || usec != 0) {	/* else: the last packet's time */
		ft->nowsec = sec;
		ft->nowusec = usec;
	}
	while (ft->lru != NULL)
		flow_close(ft, ft->lru, "end");
}

void
flow_stats(const struct flowtab *ft, struct flow_stats *st)
{
	*st = ft->st;
	st->active = ft->count;
}

void
flow_free(struct flowtab *ft)
{
	struct flow	*f, *n;

	if (ft == NULL)
		return;
	for (f = ft->lru; f != NULL; f = n) {
		n = f->next;
		reasm_free(&f->r[C2S]);
		reasm_free(&f->r[S2C]);
		smtp_free(f->smtp);
		free(f->tls);
		free(f->dns);
		free(f);
	}
	free(ft->bucket);
	free(ft);
}
