/* decide which hosts to stop: pure functions over events, no I/O but the allow file */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "hset.h"
#include "policy.h"

/* the events that may trigger a block, as named in capturo-events(5) */
static const char *const trigger_names[] = {
	"connect", "helo", "auth", "starttls", "mail", "rcpt", "message"
};

/* the ring a counted host owns, kept in its set item */
#define RING(h)		((h)->v[0])

struct policy {
	struct policy_conf conf;
	struct cidr	*allow;
	size_t		 nallow, nfixed, allowcap;
	/* where each entry came from: POLICY_FROM_*, or a line of the file */
	uint32_t	*allowfrom;
	uint32_t	 fileline;	/* the allow file's line being read */
	/*
	 * Hosts counted toward the threshold: each owns a ring of its
	 * last conf.count event times, found through the item's RING.
	 */
	struct hset	 track;
	int64_t		*ring;
	uint32_t	*ringpos;	/* next slot per ring */
	uint32_t	*free;		/* rings not in use */
	size_t		 nfree, nring, ringcap;
};

unsigned
policy_trigger(const char *name)
{
	size_t	 i;

	for (i = 0; i < sizeof(trigger_names) / sizeof(trigger_names[0]); i++)
		if (strcmp(name, trigger_names[i]) == 0)
			return 1u << i;
	return 0;
}

/* "mail,rcpt": -1 on an unknown or empty name */
int
policy_parse_triggers(const char *list, unsigned *mask)
{
	char	 buf[128], *tok, *save = NULL;
	unsigned b;

	if (strlen(list) >= sizeof(buf))
		return -1;
	strcpy(buf, list);
	*mask = 0;
	for (tok = strtok_r(buf, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if ((b = policy_trigger(tok)) == 0)
			return -1;
		*mask |= b;
	}
	return *mask == 0 ? -1 : 0;
}

/* "N/SECONDS", 1 <= N <= POLICY_COUNT_MAX, 1 <= SECONDS <= POLICY_WINDOW_MAX */
int
policy_parse_threshold(const char *s, unsigned *count, unsigned *window)
{
	char		*end;
	unsigned long	 n, w;

	if (*s < '0' || *s > '9')
		return -1;
	n = strtoul(s, &end, 10);
	if (*end != '/' || end[1] < '0' || end[1] > '9')
		return -1;
	w = strtoul(end + 1, &end, 10);
	if (*end != '\0' || n < 1 || n > POLICY_COUNT_MAX || w < 1 ||
	    w > POLICY_WINDOW_MAX)
		return -1;
	*count = (unsigned)n;
	*window = (unsigned)w;
	return 0;
}

struct policy *
policy_new(const struct policy_conf *conf)
{
	struct policy	*p;

	if ((p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	p->conf = *conf;
	if (p->conf.count == 0)
		p->conf.count = 1;
	if (hset_init(&p->track, 0) == -1) {
		free(p);
		return NULL;
	}
	return p;
}

void
policy_free(struct policy *p)
{
	if (p == NULL)
		return;
	hset_free(&p->track);
	free(p->allow);
	free(p->allowfrom);
	free(p->ring);
	free(p->ringpos);
	free(p->free);
	free(p);
}

/*
 * Add a prefix that is never blocked.  fixed: it stays when the allow
 * file is read again: POLICY_FROM_OPTION (-a) or POLICY_FROM_OWN (the
 * machine's own addresses); 0 for a line of the allow file.
 */
int
policy_allow(struct policy *p, const struct cidr *c, int fixed)
{
	struct cidr	*v;
	uint32_t	*f;
	size_t		 cap;

	if (p->nallow == ALLOW_MAX) {
		errno = ENOSPC;
		return -1;
	}
	if (fixed && p->nallow > p->nfixed) {
		errno = EINVAL;		/* fixed ones come first */
		return -1;
	}
	if (p->nallow == p->allowcap) {
		cap = p->allowcap ? 2 * p->allowcap : 16;
		if ((v = reallocarray(p->allow, cap, sizeof(*v))) == NULL)
			return -1;
		p->allow = v;
		if ((f = reallocarray(p->allowfrom, cap, sizeof(*f))) == NULL)
			return -1;
		p->allowfrom = f;
		p->allowcap = cap;
	}
	p->allowfrom[p->nallow] = fixed ? (uint32_t)fixed :
	    POLICY_FROM_FILE + p->fileline;
	/* ::ffff:192.0.2.1 and 192.0.2.1 name one host */
	p->allow[p->nallow] = *c;
	cidr_unmap(&p->allow[p->nallow++]);
	if (fixed)
		p->nfixed = p->nallow;
	return 0;
}

/* forget what the allow file said, keep the fixed prefixes */
void
policy_allow_reset(struct policy *p)
{
	p->nallow = p->nfixed;
}

/*
 * The allow file: one address or prefix per line, '#' starts a
 * comment, blank lines are fine.  On a bad line nothing is kept and
 * err names the line.
 */
int
policy_allow_file(struct policy *p, const char *path, char *err,
    size_t errlen)
{
	FILE		*f;
	char		*line = NULL, *s, *e;
	struct cidr	 c;
	size_t		 keep = p->nallow, cap = 0;
	ssize_t		 len;
	unsigned	 n = 0;

	if ((f = fopen(path, "re")) == NULL) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	while ((len = getline(&line, &cap, f)) != -1) {
		n++;
		p->fileline = n;
		if (len > CONF_LINE_MAX + 1) {
			snprintf(err, errlen, "%s:%u: line too long", path, n);
			goto bad;
		}
		if (memchr(line, '\0', (size_t)len) != NULL) {
			snprintf(err, errlen, "%s:%u: a NUL byte: not a text "
			    "file", path, n);
			goto bad;
		}
		if ((s = strchr(line, '#')) != NULL)
			*s = '\0';
		for (s = line; *s == ' ' || *s == '\t'; s++)
			;
		for (e = s + strlen(s); e > s && (e[-1] == ' ' ||
		    e[-1] == '\t' || e[-1] == '\n' || e[-1] == '\r'); e--)
			;
		*e = '\0';
		if (*s == '\0')
			continue;
		if (cidr_parse(s, &c) == -1) {
			snprintf(err, errlen, "%s:%u: not an address or "
			    "prefix: %.64s", path, n, s);
			goto bad;
		}
		if (policy_allow(p, &c, 0) == -1) {
			snprintf(err, errlen, "%s:%u: %s", path, n,
			    strerror(errno));
			goto bad;
		}
	}
	if (ferror(f)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		goto bad;
	}
	free(line);
	fclose(f);
	return 0;
bad:
	p->nallow = keep;
	free(line);
	fclose(f);
	return -1;
}

static int
allow_match(const struct policy *p, const struct addr *a)
{
	size_t	 i;

	if (addr_special(a))
		return 1;
	for (i = 0; i < p->nallow; i++)
		if (cidr_match(&p->allow[i], a))
			return 1;
	return 0;
}

/*
 * Why a host is never blocked, for --why: 1 with the reason in buf, 0
 * when it may be blocked.  file: the allow file's name, for its lines.
 */
int
policy_allowed_why(const struct policy *p, const struct addr *a,
    const char *file, char *buf, size_t len)
{
	struct addr	 u;
	char		 c[ADDR_STRLEN + 4];
	size_t		 i;
	uint32_t	 from;

	addr_unmap(a, &u);
	if (addr_special(a) || addr_special(&u)) {
		snprintf(buf, len, "a special address (unspecified, loopback, "
		    "multicast or broadcast), never blocked");
		return 1;
	}
	for (i = 0; i < p->nallow; i++) {
		if (!cidr_match(&p->allow[i], a) && !(u.family != a->family &&
		    cidr_match(&p->allow[i], &u)))
			continue;
		if (addr_fmt(&p->allow[i].addr, c, sizeof(c) - 4) == -1)
			c[0] = '\0';
		snprintf(c + strlen(c), 5, "/%u", p->allow[i].plen);
		from = p->allowfrom[i];
		if (from == POLICY_FROM_OPTION)
			snprintf(buf, len, "on the allow list: -a %s", c);
		else if (from == POLICY_FROM_OWN)
			snprintf(buf, len, "an address of this machine");
		else
			snprintf(buf, len, "on the allow list: %s, line %u: %s",
			    file != NULL ? file : "the allow file",
			    from - POLICY_FROM_FILE, c);
		return 1;
	}
	return 0;
}

/* never blocked: special, the machine's own, or in the allow list */
int
policy_allowed(const struct policy *p, const struct addr *a)
{
	struct addr	 u;

	addr_unmap(a, &u);
	return allow_match(p, a) || (u.family != a->family &&
	    allow_match(p, &u));
}

/*
 * A ring for a newly counted host, or -1 when POLICY_TRACK_MAX are in
 * use.  The arrays grow by doubling: one element at a time made a burst
 * of new hosts copy them over and over (quadratic).
 */
static long
ring_get(struct policy *p)
{
	size_t	 n, c = p->conf.count;
	int64_t	*r;
	uint32_t *pos, *fr;

	if (p->nfree > 0)
		return p->free[--p->nfree];
	if (p->nring == POLICY_TRACK_MAX)
		return -1;
	if (p->nring == p->ringcap) {
		n = p->ringcap == 0 ? 64 : p->ringcap * 2;
		if (n > POLICY_TRACK_MAX)
			n = POLICY_TRACK_MAX;
		if ((r = reallocarray(p->ring, n * c, sizeof(*r))) == NULL)
			return -1;
		p->ring = r;
		if ((pos = reallocarray(p->ringpos, n, sizeof(*pos))) == NULL)
			return -1;
		p->ringpos = pos;
		if ((fr = reallocarray(p->free, n, sizeof(*fr))) == NULL)
			return -1;
		p->free = fr;
		p->ringcap = n;
	}
	return (long)p->nring++;
}

static void
untrack(struct policy *p, struct hset_item *h)
{
	p->free[p->nfree++] = (uint32_t)RING(h);
	hset_del(&p->track, &h->addr);
}

/*
 * Room for one more counted host: drop every host whose newest event
 * left the window, or, if none did, the host whose newest event is the
 * oldest (a worm's host that keeps sending is kept).
 */
static void
track_room(struct policy *p, int64_t t)
{
	size_t		 i, c = p->conf.count;
	struct hset_item	*h, *old = NULL;
	int64_t		 newest, oldest = INT64_MAX;

	for (i = 0; i < p->track.n; i++) {
		h = &p->track.v[i];
		if (h->addr.family == 0)
			continue;
		/* the event counted last: the newest, lines coming in order */
		newest = p->ring[(size_t)RING(h) * c +
		    (p->ringpos[RING(h)] + c - 1) % c];
		if (newest <= t - (int64_t)p->conf.window)
			untrack(p, h);
		else if (newest < oldest) {
			oldest = newest;
			old = h;
		}
	}
	if (p->nfree == 0 && old != NULL)
		untrack(p, old);
}

/*
 * One well-formed event: event name, its source host, its time, and
 * whether the host is blocked already.  Only the source of an event
 * names a host, and nothing but a trigger event counts.
 */
enum policy_verdict
policy_decide(struct policy *p, const char *event, const struct addr *src,
    int64_t t, int blocked)
{
	struct hset_item	*h;
	size_t		 c = p->conf.count, k, n;
	long		 r;
	int64_t		*ring;

	if ((policy_trigger(event) & p->conf.triggers) == 0)
		return POLICY_IGNORE;
	if (policy_allowed(p, src))
		return POLICY_ALLOWED;
	if (blocked)
		return POLICY_ALREADY;
	if (c == 1)
		return POLICY_BLOCK;
	if ((h = hset_get(&p->track, src)) == NULL) {
		if ((r = ring_get(p)) == -1) {
			track_room(p, t);
			if ((r = ring_get(p)) == -1)
				return POLICY_THRESHOLD;
		}
		if ((h = hset_put(&p->track, src)) == NULL) {
			p->free[p->nfree++] = (uint32_t)r;
			return POLICY_THRESHOLD;
		}
		RING(h) = (uint64_t)r;
		p->ringpos[r] = 0;
		for (k = 0; k < c; k++)
			p->ring[(size_t)r * c + k] = INT64_MIN;
	}
	ring = &p->ring[(size_t)RING(h) * c];
	ring[p->ringpos[RING(h)]] = t;
	p->ringpos[RING(h)] = (uint32_t)((p->ringpos[RING(h)] + 1) % c);
	/* within the window either side: lines may come out of order */
	for (k = 0, n = 0; k < c; k++)
		if (ring[k] != INT64_MIN && ring[k] > t -
		    (int64_t)p->conf.window && ring[k] < t +
		    (int64_t)p->conf.window)
			n++;
	if (n < c)
		return POLICY_THRESHOLD;
	untrack(p, h);
	return POLICY_BLOCK;
}

const char *
policy_reason(enum policy_verdict v)
{
	switch (v) {
	case POLICY_ALLOWED:
		return "allowed";
	case POLICY_ALREADY:
		return "already";
	case POLICY_THRESHOLD:
		return "threshold";
	default:
		return "";
	}
}
