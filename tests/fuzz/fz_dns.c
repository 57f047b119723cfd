/* fuzz capturo/dns.c: MX queries, their names, and DNS over TCP's framing */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "dns.h"
#include "fuzz.h"

/*
 * Input: a byte that picks the size of the name buffer, then the bytes,
 * taken both as one DNS message and as a TCP stream of messages.
 *
 * Checks on dns_mx_query(): the answer is -1, 0 or 1, with a reason
 * unless 1; 1 only for a standard query with a question and a header
 * and question whole; on 1 the name is NUL-terminated inside its
 * buffer (malloc'd to exactly its size), printable ASCII without
 * upper case, in the canonical form dns_mx_query() writes (each byte
 * decoded from it writes back the same text), a name of labels of 1 to
 * 63 bytes and at most 255 bytes in wire form, and, when the question's
 * name is not compressed, those very labels; a smaller buffer gives
 * the same name when it fits and -1 when not, never a cut name; with
 * any other answer the name is "".
 *
 * Checks on the TCP feeder: fed whole it gives the messages a direct
 * walk of the length prefixes finds (each of at most DNS_TCP_MSG_MAX
 * bytes, the longer ones skipped); fed in two pieces, at every cut (at
 * some hundreds of cuts for a long input), and byte by byte, it gives
 * the same; after a gap at a cut it gives nothing more.  Every message
 * it gives goes through dns_mx_query() and the checks above.
 */

static const size_t	 sizes[] = { DNS_NAME_TEXT_MAX, 0, 1, 2, 3, 4, 8,
			    12, 16, 64, 254, 1003, 1004 };

/* the value of a canonical escape at t (after its "\"), or -1 */
static int
unescape(const char *t, size_t *used)
{
	int	v;

	if (t[0] == '.' || t[0] == '\\') {
		*used = 1;
		return (uint8_t)t[0];
	}
	if (t[0] < '0' || t[0] > '2' || t[1] < '0' || t[1] > '9' ||
	    t[2] < '0' || t[2] > '9')
		return -1;
	v = (t[0] - '0') * 100 + (t[1] - '0') * 10 + (t[2] - '0');
	if (v > 255)
		return -1;
	*used = 3;
	return v;
}

/* a byte written as itself (after lower-casing) */
static int
plain(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
	    c == '-' || c == '_';
}

/*
 * The name text back into wire form (labels, lower case, no root
 * byte), checking that it is canonical.  Returns the wire length.
 */
static size_t
text_to_wire(const char *name, uint8_t *wire, size_t wmax)
{
	size_t	 i, k = 0, lab = 0, used;
	int	 c;

	if (strcmp(name, ".") == 0)
		return 0;
	FZ_CHECK(name[0] != '\0', "an empty name");
	wire[k++] = 0;
	for (i = 0; name[i] != '\0'; i++) {
		c = (uint8_t)name[i];
		FZ_CHECK(c > 0x20 && c < 0x7f, "byte 0x%02x in the name", c);
		FZ_CHECK(c < 'A' || c > 'Z', "upper case in the name");
		if (c == '.') {
			FZ_CHECK(k - lab > 1, "an empty label in %s", name);
			wire[lab] = (uint8_t)(k - lab - 1);
			lab = k;
			FZ_CHECK(k < wmax, "a name too long");
			wire[k++] = 0;
			continue;
		}
		if (c == '\\') {
			c = unescape(name + i + 1, &used);
			FZ_CHECK(c >= 0, "a bad escape in %s", name);
			/* canonical: a plain byte is never escaped */
			FZ_CHECK(!plain(c) && (c < 'A' || c > 'Z'),
			    "byte %d escaped in %s", c, name);
			FZ_CHECK(used == 3 || c == '.' || c == '\\',
			    "byte %d escaped as \\DDD in %s", c, name);
			i += used;
		} else
			FZ_CHECK(plain(c), "byte %d not escaped in %s", c, name);
		FZ_CHECK(k < wmax, "a name too long");
		wire[k++] = (uint8_t)c;
		FZ_CHECK(k - lab - 1 <= 63, "a label over 63 bytes");
	}
	FZ_CHECK(k - lab > 1, "an empty last label in %s", name);
	wire[lab] = (uint8_t)(k - lab - 1);
	/* with the root's byte, at most 255 (RFC 1035 3.1) */
	FZ_CHECK(k + 1 <= DNS_NAME_WIRE_MAX, "a name of %zu bytes", k + 1);
	return k;
}

static int
lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* one message through dns_mx_query(), with a name buffer of namelen */
static void
message(const uint8_t *data, size_t len, size_t namelen)
{
	uint8_t		*m, wire[DNS_NAME_WIRE_MAX + 1];
	char		 wide[DNS_NAME_TEXT_MAX], *name;
	const char	*why = NULL, *why2 = NULL;
	size_t		 n, k, i;
	int		 rc, rc2, comp;

	/* copies of exactly the sizes, so that a step past them is seen */
	if ((m = malloc(len > 0 ? len : 1)) == NULL ||
	    (name = malloc(namelen > 0 ? namelen : 1)) == NULL)
		abort();
	if (len > 0)
		memcpy(m, data, len);

	memset(wide, 'x', sizeof(wide));
	rc = dns_mx_query(m, len, wide, sizeof(wide), &why);
	FZ_CHECK(rc == -1 || rc == 0 || rc == 1, "rc %d", rc);
	FZ_CHECK(rc == 1 || why != NULL, "rc %d without a reason", rc);
	if (rc == 1) {
		FZ_CHECK(memchr(wide, '\0', sizeof(wide)) != NULL,
		    "no NUL");
		FZ_CHECK(len >= 12 + 1 + 4 && (m[2] & 0xf8) == 0 &&
		    (m[4] | m[5]) != 0, "1 for no standard query");
		n = text_to_wire(wide, wire, sizeof(wire));
		/* an uncompressed name: the question's own labels */
		comp = 0;
		for (i = 12; i < len && m[i] != 0 && !comp; i += 1 + m[i])
			comp = (m[i] & 0xc0) != 0;
		if (!comp) {
			FZ_CHECK(i == 12 + n, "the name has %zu bytes, the "
			    "question %zu", n, i - 12);
			for (k = 0; k < n; k++)
				FZ_CHECK(wire[k] == lc(m[12 + k]),
				    "byte %zu of the name differs", k);
			FZ_CHECK(m[i + 1] == 0 && m[i + 2] == 15 &&
			    m[i + 3] == 0 && m[i + 4] == 1, "not MX IN");
		}
	} else
		FZ_CHECK(wide[0] == '\0', "a name with rc %d", rc);

	memset(name, 'x', namelen);
	rc2 = dns_mx_query(m, len, name, namelen, &why2);
	if (rc == 1 && strlen(wide) < namelen)
		FZ_CHECK(rc2 == 1 && strcmp(name, wide) == 0,
		    "a name that fits %zu bytes, not given", namelen);
	else if (rc == 1)
		FZ_CHECK(rc2 == -1, "a name of %zu bytes for a buffer of %zu: "
		    "rc %d", strlen(wide), namelen, rc2);
	else
		FZ_CHECK(rc2 == rc && strcmp(why, why2) == 0,
		    "rc %d with a buffer of %zu, %d with %zu", rc2, namelen,
		    rc, sizeof(wide));
	if (rc2 != 1 && namelen > 0)
		FZ_CHECK(name[0] == '\0', "a name with rc %d", rc2);
	free(name);
	free(m);
}

/* --- TCP --- */

/* the messages given: how many, and a hash of their lengths and bytes */
struct rec {
	size_t		 n;
	uint64_t	 h;
	size_t		 namelen;	/* also parse each one, if not 0 */
};

static void
rec_add(struct rec *r, const uint8_t *p, size_t len)
{
	size_t	 i;

	r->n++;
	r->h = (r->h ^ (len & 0xff)) * 0x100000001b3ULL;
	r->h = (r->h ^ (len >> 8)) * 0x100000001b3ULL;
	for (i = 0; i < len; i++)
		r->h = (r->h ^ p[i]) * 0x100000001b3ULL;
}

static void
rec_cb(void *ctx, const uint8_t *p, size_t len)
{
	struct rec	*r = ctx;

	FZ_CHECK(len <= DNS_TCP_MSG_MAX, "a message of %zu bytes given", len);
	rec_add(r, p, len);
	if (r->namelen > 0)
		message(p, len, r->namelen);
}

static void
rec_init(struct rec *r)
{
	r->n = 0;
	r->h = 0xcbf29ce484222325ULL;
	r->namelen = 0;
}

/* the framing walked directly: the messages, and where each one ends */
static void
walk(const uint8_t *s, size_t len, struct rec *r, size_t *ends)
{
	size_t	 off = 0, mlen;

	rec_init(r);
	while (len - off >= 2) {
		mlen = (size_t)s[off] << 8 | s[off + 1];
		if (len - off - 2 < mlen)
			break;
		if (mlen <= DNS_TCP_MSG_MAX) {
			ends[r->n] = off + 2 + mlen;
			rec_add(r, s + off + 2, mlen);
		}
		off += 2 + mlen;
	}
}

static void
same(const struct rec *a, const struct rec *b, const char *how, size_t cut)
{
	FZ_CHECK(a->n == b->n && a->h == b->h, "%s %zu: %zu messages, "
	    "%zu expected", how, cut, a->n, b->n);
}

static void
stream(const uint8_t *s, size_t len, size_t namelen)
{
	static struct dns_tcp	 t, u;
	struct rec		 want, got, before;
	size_t			 cut, step, i, *ends;

	/* a message takes at least its 2 bytes of length */
	if ((ends = malloc((len / 2 + 1) * sizeof(*ends))) == NULL)
		abort();
	walk(s, len, &want, ends);

	rec_init(&got);
	got.namelen = namelen;
	dns_tcp_init(&t);
	dns_tcp_feed(&t, s, len, rec_cb, &got);
	same(&got, &want, "whole", len);
	FZ_CHECK(!t.broken, "broken without a gap");

	rec_init(&got);
	dns_tcp_init(&t);
	for (i = 0; i < len; i++)
		dns_tcp_feed(&t, s + i, 1, rec_cb, &got);
	same(&got, &want, "byte by byte", len);

	/* every cut of a short input; some hundreds of a long one */
	step = len <= 1024 ? 1 : len / 256;
	for (cut = 0; cut <= len; cut += step) {
		rec_init(&got);
		dns_tcp_init(&t);
		dns_tcp_feed(&t, s, cut, rec_cb, &got);
		before = got;
		u = t;
		dns_tcp_feed(&t, s + cut, len - cut, rec_cb, &got);
		same(&got, &want, "cut at", cut);

		/* a gap at the cut: the messages wholly before it, no more */
		for (i = 0; i < want.n && ends[i] <= cut; i++)
			;
		FZ_CHECK(before.n == i, "%zu messages before %zu, %zu "
		    "expected", before.n, cut, i);
		dns_tcp_gap(&u);
		dns_tcp_feed(&u, s + cut, len - cut, rec_cb, &before);
		dns_tcp_feed(&u, s, len, rec_cb, &before);
		FZ_CHECK(u.broken && before.n == i,
		    "a message after a gap at %zu", cut);
	}
	free(ends);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in	 in = { data, size };
	const uint8_t	*p;
	size_t		 namelen, n;

	namelen = sizes[fz_u8(&in) % (sizeof(sizes) / sizeof(sizes[0]))];
	p = fz_bytes(&in, in.len, &n);
	message(p, n, namelen);
	stream(p, n, namelen > 0 ? namelen : DNS_NAME_TEXT_MAX);
	return 0;
}
