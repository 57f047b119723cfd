/* the signatures of -m shared (sig.h): pure, bounded per host */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "hash.h"
#include "hset.h"
#include "sig.h"

/* one key, refusal or listing seen: its hash, when (after sig.base), where */
struct ent {
	uint32_t	 h, t, sid;
};

/*
 * A set of distinct keys (names, servers), or the last MAIL/RCPT sent
 * and refused (oldest overwritten): each grows by doubling up to its
 * bound, so that a host with one server holds one entry, not
 * SIG_SET_MAX.
 */
_Static_assert(SIG_RATIO_MAX <= 32, "one bit per entry in sset.refused");
struct sset {
	uint8_t		 n, cap, next;
	uint32_t	 refused;		/* ratio: bit i, e[i] a refusal */
	struct ent	 e[];
};

struct listed {
	uint32_t	 t[SIG_LISTED_MAX];
	uint32_t	 sid[SIG_LISTED_MAX];
	uint8_t		 n, next;
};

struct shost {
	struct sset	*mx, *srv, *ra;		/* NULL until used */
	struct listed	 li;
	uint32_t	 newest;
};

/* a host's entry, kept in its set item */
#define ENTRY(h)	((h)->v[0])

struct sig {
	struct sig_conf	 conf;
	struct hset	 hosts;
	struct shost	*v;		/* entries; v[i].newest == 0: free */
	uint32_t	*free;
	size_t		 nv, cap, nfree;
	int64_t		 base;		/* times are kept relative to it */
	int		 havebase;
	uint64_t	 key[2];
	unsigned	 maxwin;
	size_t		 bytes;		/* the parts allocated */
};

static const char *const names[SIG_N] = {
	"mx-fanout", "server-fanout", "blocklisted", "refusal-ratio"
};
static const char *const optnames[SIG_N] = { "mx", "servers", "listed",
	"ratio" };

const char *
sig_name(enum sig_kind k)
{
	return k < SIG_N ? names[k] : "?";
}

/*
 * The defaults, justified in detengo(8): a workstation almost never
 * looks up MX records, a person uses a few mail servers, one blocklist
 * refusal naming this host is the server saying it is a spam source,
 * and a bot sending direct to MX has most of its mail refused.
 */
void
sig_defaults(struct sig_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->r[SIG_MX] = (struct sig_rule){ 1, 5, 3600, 0 };
	c->r[SIG_SERVERS] = (struct sig_rule){ 1, 8, 3600, 0 };
	c->r[SIG_LISTED] = (struct sig_rule){ 1, 1, 86400, 0 };
	c->r[SIG_RATIO] = (struct sig_rule){ 1, 10, 600, 70 };
}

static int
number(const char **s, unsigned long max, unsigned *out)
{
	char		*end;
	unsigned long	 v;

	if (**s < '0' || **s > '9')
		return -1;
	errno = 0;
	v = strtoul(*s, &end, 10);
	if (errno || v < 1 || v > max)
		return -1;
	*out = (unsigned)v;
	*s = end;
	return 0;
}

/*
 * One -g: NAME=off, NAME=N/SECONDS, or ratio=PCT%/N/SECONDS.  -1 with
 * the message in err.
 */
int
sig_parse(const char *spec, struct sig_conf *c, char *err, size_t errlen)
{
	const char	*eq, *p;
	struct sig_rule	 r;
	unsigned	 max;
	int		 k;

	if ((eq = strchr(spec, '=')) == NULL)
		goto bad;
	for (k = 0; k < SIG_N; k++)
		if ((size_t)(eq - spec) == strlen(optnames[k]) &&
		    strncmp(spec, optnames[k], (size_t)(eq - spec)) == 0)
			break;
	if (k == SIG_N)
		goto bad;
	p = eq + 1;
	r = c->r[k];
	if (strcmp(p, "off") == 0) {
		c->r[k].on = 0;
		return 0;
	}
	if (k == SIG_RATIO) {
		if (number(&p, 100, &r.pct) == -1 || *p++ != '%' ||
		    *p++ != '/')
			goto bad;
	}
	max = k == SIG_LISTED ? SIG_LISTED_MAX : k == SIG_RATIO ?
	    SIG_RATIO_MAX / 2 : SIG_SET_MAX;
	if (number(&p, max, &r.count) == -1 || *p++ != '/' ||
	    number(&p, SIG_WINDOW_MAX, &r.window) == -1 || *p != '\0')
		goto bad;
	r.on = 1;
	c->r[k] = r;
	return 0;
bad:
	snprintf(err, errlen, "-g takes mx=N/SECONDS (N up to %d), "
	    "servers=N/SECONDS (up to %d), listed=N/SECONDS (up to %d), "
	    "ratio=PCT%%/N/SECONDS (N up to %d), or NAME=off; SECONDS up to "
	    "%d: %s", SIG_SET_MAX, SIG_SET_MAX, SIG_LISTED_MAX,
	    SIG_RATIO_MAX / 2, SIG_WINDOW_MAX, spec);
	return -1;
}

/* "mx=5/3600 servers=8/3600 listed=1/86400 ratio=70%/10/600" */
void
sig_describe(const struct sig_conf *c, char *buf, size_t len)
{
	size_t	 n = 0;
	int	 k;

	buf[0] = '\0';
	for (k = 0; k < SIG_N && n < len; k++) {
		const struct sig_rule *r = &c->r[k];

		if (!r->on)
			n += (size_t)snprintf(buf + n, len - n, "%s%s=off",
			    k ? " " : "", optnames[k]);
		else if (k == SIG_RATIO)
			n += (size_t)snprintf(buf + n, len - n,
			    "%s%s=%u%%/%u/%u", k ? " " : "", optnames[k],
			    r->pct, r->count, r->window);
		else
			n += (size_t)snprintf(buf + n, len - n, "%s%s=%u/%u",
			    k ? " " : "", optnames[k], r->count, r->window);
	}
}

struct sig *
sig_new(const struct sig_conf *conf)
{
	struct sig	*s;
	int		 k;

	if ((s = calloc(1, sizeof(*s))) == NULL)
		return NULL;
	s->conf = *conf;
	for (k = 0; k < SIG_N; k++)
		if (conf->r[k].on && conf->r[k].window > s->maxwin)
			s->maxwin = conf->r[k].window;
	hash_key(s->key);
	if (hset_init(&s->hosts, 0) == -1) {
		free(s);
		return NULL;
	}
	return s;
}

static size_t
ssize(const struct sset *st)
{
	return st == NULL ? 0 : sizeof(*st) + st->cap * sizeof(st->e[0]);
}

static void
drop(struct sig *s, struct shost *e)
{
	s->bytes -= ssize(e->mx) + ssize(e->srv) + ssize(e->ra);
	free(e->mx);
	free(e->srv);
	free(e->ra);
	memset(e, 0, sizeof(*e));
}

void
sig_free(struct sig *s)
{
	size_t	 i;

	if (s == NULL)
		return;
	for (i = 0; i < s->nv; i++)
		drop(s, &s->v[i]);
	free(s->v);
	free(s->free);
	hset_free(&s->hosts);
	free(s);
}

static void
forget_item(struct sig *s, struct hset_item *h)
{
	uint32_t	 i = (uint32_t)ENTRY(h);

	drop(s, &s->v[i]);
	s->free[s->nfree++] = i;
	hset_del(&s->hosts, &h->addr);
}

void
sig_forget(struct sig *s, const struct addr *a)
{
	struct hset_item	*h;

	if ((h = hset_get(&s->hosts, a)) != NULL)
		forget_item(s, h);
}

size_t
sig_hosts(const struct sig *s)
{
	return s->hosts.live;
}

size_t
sig_bytes(const struct sig *s)
{
	return s->bytes + s->cap * (sizeof(*s->v) + sizeof(*s->free)) +
	    s->hosts.cap * sizeof(struct hset_item);
}

/*
 * Room for a host: every host whose newest observation left the longest
 * window goes; if none did, those whose newest is the oldest.
 */
static void
room(struct sig *s, uint32_t now)
{
	struct hset_item	*h;
	size_t		 i;
	uint32_t	 oldest = UINT32_MAX, cut;

	cut = now > s->maxwin ? now - s->maxwin : 0;
	for (i = 0; i < s->hosts.n; i++) {
		h = &s->hosts.v[i];
		if (h->addr.family == 0)
			continue;
		if (s->v[ENTRY(h)].newest < cut)
			forget_item(s, h);
		else if (s->v[ENTRY(h)].newest < oldest)
			oldest = s->v[ENTRY(h)].newest;
	}
	if (s->nfree > 0 || oldest == UINT32_MAX)
		return;
	for (i = 0; i < s->hosts.n; i++) {
		h = &s->hosts.v[i];
		if (h->addr.family != 0 && s->v[ENTRY(h)].newest == oldest)
			forget_item(s, h);
	}
}

static struct shost *
host_get(struct sig *s, const struct addr *a, uint32_t now)
{
	struct hset_item	*h;
	struct shost		*v;
	uint32_t		*f;
	size_t			 cap, i;

	if ((h = hset_get(&s->hosts, a)) != NULL)
		return &s->v[ENTRY(h)];
	if (s->nfree == 0 && s->nv == SIG_HOSTS_MAX)
		room(s, now);
	if (s->nfree > 0)
		i = s->free[--s->nfree];
	else {
		if (s->nv >= SIG_HOSTS_MAX) {	/* room() frees one at least */
			errno = ENOSPC;
			return NULL;
		}
		if (s->nv == s->cap) {
			cap = s->cap ? s->cap * 2 : 64;
			if (cap > SIG_HOSTS_MAX)
				cap = SIG_HOSTS_MAX;
			if ((v = reallocarray(s->v, cap, sizeof(*v))) == NULL)
				return NULL;
			s->v = v;
			if ((f = reallocarray(s->free, cap, sizeof(*f))) ==
			    NULL)
				return NULL;
			s->free = f;
			s->cap = cap;
		}
		i = s->nv++;
	}
	if ((h = hset_put(&s->hosts, a)) == NULL) {
		s->free[s->nfree++] = (uint32_t)i;
		return NULL;
	}
	memset(&s->v[i], 0, sizeof(s->v[i]));
	ENTRY(h) = i;
	return &s->v[i];
}

/* within the window either side of now: lines may come a little out of order */
static int
inwin(uint32_t t, uint32_t now, unsigned w)
{
	return (t >= now || now - t < w) && (t <= now || t - now < w);
}

/* add sid to the evidence once */
static void
evidence(struct sig_hit *hit, uint32_t sid)
{
	unsigned	 i;

	for (i = 0; i < hit->nsids; i++)
		if (hit->sids[i] == sid)
			return;
	if (hit->nsids < SIG_SIDS_MAX)
		hit->sids[hit->nsids++] = sid;
}

/* room for one more entry in *p, up to max; NULL when out of memory */
static struct sset *
set_room(struct sig *s, struct sset **p, unsigned max)
{
	struct sset	*st = *p;
	unsigned	 cap;

	if (st != NULL && (st->n < st->cap || st->cap == max))
		return st;
	cap = st == NULL ? 1 : st->cap * 2 > max ? max : st->cap * 2;
	if ((st = realloc(st, sizeof(*st) + cap * sizeof(st->e[0]))) == NULL)
		return NULL;
	if (*p == NULL)
		memset(st, 0, sizeof(*st));
	s->bytes += (cap - st->cap) * sizeof(st->e[0]) +
	    (*p == NULL ? sizeof(*st) : 0);
	st->cap = (uint8_t)cap;
	*p = st;
	return st;
}

/* a key seen: kept, or taking the place of the one seen longest ago */
static unsigned
set_add(struct sset *st, uint32_t hash, uint32_t now, uint32_t sid,
    unsigned w, struct sig_hit *hit)
{
	unsigned	 i, old = 0, n = 0;

	for (i = 0; i < st->n; i++)
		if (st->e[i].h == hash)
			break;
	if (i == st->n) {
		if (st->n < st->cap)
			st->n++;
		else {
			for (i = 0; i < st->n; i++)
				if (st->e[i].t < st->e[old].t)
					old = i;
			i = old;
		}
	}
	st->e[i] = (struct ent){ hash, now, sid };
	/* the newest first in the evidence */
	evidence(hit, sid);
	for (i = 0; i < st->n; i++)
		if (inwin(st->e[i].t, now, w)) {
			n++;
			evidence(hit, st->e[i].sid);
		}
	return n;
}

/*
 * One observation of host a.  1 when a signature fires, with what and
 * its evidence in hit; 0, or -1 when out of memory (the observation is
 * lost, errno ENOMEM).
 */
int
sig_observe(struct sig *s, const struct addr *a, const struct sig_obs *o,
    struct sig_hit *hit)
{
	struct shost		*e;
	struct sset		*st;
	const struct sig_rule	*r;
	uint32_t		 now, hash;
	unsigned		 i, n, att, ref;
	int64_t			 rel;

	memset(hit, 0, sizeof(*hit));
	switch (o->kind) {
	case SIG_OBS_MX:
		hit->kind = SIG_MX;
		break;
	case SIG_OBS_SERVER:
		hit->kind = SIG_SERVERS;
		break;
	case SIG_OBS_LISTED:
		hit->kind = SIG_LISTED;
		break;
	default:
		hit->kind = SIG_RATIO;
		break;
	}
	r = &s->conf.r[hit->kind];
	if (!r->on)
		return 0;
	/* times after the first observation, never 0 (a free entry) */
	if (!s->havebase) {
		s->base = o->sec - 1;
		s->havebase = 1;
	}
	rel = o->sec - s->base;
	if (rel < 1)
		rel = 1;	/* older than the first: as old as it */
	if (rel > UINT32_MAX - SIG_WINDOW_MAX)
		rel = UINT32_MAX - SIG_WINDOW_MAX;
	now = (uint32_t)rel;
	if ((e = host_get(s, a, now)) == NULL)
		return -1;
	if (now > e->newest)
		e->newest = now;
	hit->window = r->window;
	switch (o->kind) {
	case SIG_OBS_MX:
	case SIG_OBS_SERVER:
		if ((st = set_room(s, o->kind == SIG_OBS_MX ? &e->mx :
		    &e->srv, SIG_SET_MAX)) == NULL)
			return -1;
		hash = (uint32_t)hash_sip(s->key, o->key, o->keylen);
		n = set_add(st, hash, now, o->sid, r->window, hit);
		hit->count = n;
		return n >= r->count;
	case SIG_OBS_LISTED:
		e->li.t[e->li.next] = now;
		e->li.sid[e->li.next] = o->sid;
		e->li.next = (uint8_t)((e->li.next + 1) % SIG_LISTED_MAX);
		if (e->li.n < SIG_LISTED_MAX)
			e->li.n++;
		evidence(hit, o->sid);
		for (i = 0, n = 0; i < e->li.n; i++)
			if (inwin(e->li.t[i], now, r->window)) {
				n++;
				evidence(hit, e->li.sid[i]);
			}
		hit->count = n;
		return n >= r->count;
	case SIG_OBS_ATTEMPT:
	case SIG_OBS_REFUSED:
		if ((st = set_room(s, &e->ra, SIG_RATIO_MAX)) == NULL)
			return -1;
		/* a ring once full: the oldest entry goes */
		i = st->n < st->cap ? st->n++ : st->next;
		st->next = (uint8_t)((i + 1) % st->cap);
		st->e[i] = (struct ent){ 0, now, o->sid };
		if (o->kind == SIG_OBS_REFUSED)
			st->refused |= 1U << i;
		else
			st->refused &= ~(1U << i);
		if (o->kind == SIG_OBS_REFUSED)
			evidence(hit, o->sid);
		for (i = 0, att = 0, ref = 0; i < st->n; i++) {
			if (!inwin(st->e[i].t, now, r->window))
				continue;
			if (st->refused & (1U << i)) {
				ref++;
				evidence(hit, st->e[i].sid);
			} else
				att++;
		}
		hit->count = ref;
		hit->total = att;
		/* a refusal answers an attempt: never more than 100 % */
		return att >= r->count && ref <= att &&
		    ref * 100 >= r->pct * att;
	}
	return 0;
}
