/* fuzz capturo/mime.c: header lookup, Subject (RFC 2047) and Message-ID decoding */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "mime.h"
#include "fuzz.h"

/*
 * Input: an output size byte, a name byte, then the bytes.
 *
 * The name byte picks a field name from a list, or (values 0x80 and
 * up) takes its low 5 bits as the length of a name read from the
 * input.  The rest is a header block: mime_header() looks the name up,
 * and the value it finds goes through mime_subject() and mime_msgid();
 * the whole rest goes through them too, as a field body.
 *
 * Checks: the value found lies inside the block, right after the colon
 * of the first field of that name before the empty line; outputs stay
 * within the size given (malloc'd to exactly that size), are
 * NUL-terminated, are cut only when full (at most 3 bytes short, for a
 * UTF-8 boundary) and whole when not cut (what a buffer with room to
 * spare gives); the same input decodes the same twice; text with no
 * encoded-word and no line break comes out as it went in, trimmed; a
 * Message-ID is a piece of its input.
 */

static const size_t	 sizes[] = { 1, 2, 3, 4, 5, 8, 17, 64, SMTP_ADDR_MAX,
			    SMTP_SUBJECT_MAX, SMTP_SUBJECT_MAX, 0 };
static const char	*names[] = { "subject", "message-id", "Subject",
			    "MESSAGE-ID", "from", "s", "x-y" };

/* more than any header block decodes to */
#define WIDE		(4 * SMTP_HDR_MAX)

typedef size_t	 decode_fn(const uint8_t *, size_t, char *, size_t, int *);

#define IS_WSP(c)	((c) == ' ' || (c) == '\t')

static int
lc(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

/* where the body of the first field called name starts, or -1 */
static long
ref_header(const uint8_t *h, size_t len, const char *name)
{
	size_t	 p, e, n = strlen(name), q;

	for (q = 0; q < n; q++)
		if ((uint8_t)name[q] <= 0x20 || (uint8_t)name[q] >= 0x7f ||
		    name[q] == ':')
			return -1;
	if (n == 0)
		return -1;
	for (p = 0; p < len; p = e + 1) {
		for (e = p; e < len && h[e] != '\n'; e++)
			;
		if (e == p || (e == p + 1 && h[p] == '\r'))
			return -1;		/* the empty line */
		if (IS_WSP(h[p]) || e - p <= n)
			continue;
		for (q = 0; q < n && lc(h[p + q]) == lc((uint8_t)name[q]); q++)
			;
		if (q < n)
			continue;
		for (q = p + n; q < e && IS_WSP(h[q]); q++)
			;
		if (q < e && h[q] == ':')
			return (long)(q + 1);
	}
	return -1;
}

/* call f into a buffer of exactly outsz bytes and check the bounds; returns a copy */
static char *
decode(decode_fn *f, const uint8_t *v, size_t vlen, size_t outsz,
    size_t *olen, int *cut)
{
	char	*out, *copy;
	size_t	 n, cap = outsz > 0 ? outsz - 1 : 0;

	if ((out = malloc(outsz)) == NULL && outsz > 0)
		abort();
	*cut = -1;
	n = f(v, vlen, out, outsz, cut);
	FZ_CHECK(*cut == 0 || *cut == 1, "cut=%d", *cut);
	FZ_CHECK(n <= cap, "%zu bytes out for a buffer of %zu", n, outsz);
	if (outsz > 0)
		FZ_CHECK(out[n] == '\0', "not NUL-terminated");
	/* cut only when full; the input fits in the work buffer here */
	if (*cut && vlen <= SMTP_HDR_MAX)
		FZ_CHECK(n + 3 >= cap, "cut at %zu of %zu", n, cap);
	if ((copy = malloc(n + 1)) == NULL)
		abort();
	if (n > 0)
		memcpy(copy, out, n);
	copy[n] = '\0';
	free(out);
	*olen = n;
	return copy;
}

/* both decoders on one value, twice each */
static void
value(const uint8_t *v, size_t vlen, size_t outsz)
{
	char	*a, *b;
	size_t	 na, nb, s, e;
	int	 ca, cb, plain;

	a = decode(mime_subject, v, vlen, outsz, &na, &ca);
	b = decode(mime_subject, v, vlen, outsz, &nb, &cb);
	FZ_CHECK(na == nb && ca == cb && memcmp(a, b, na) == 0,
	    "mime_subject() gave two answers");
	/* no encoded-word and no line break: the text as it is, trimmed */
	plain = memchr(v, '\r', vlen) == NULL && memchr(v, '\n', vlen) ==
	    NULL && memchr(v, '=', vlen) == NULL;
	if (plain && !ca) {
		for (s = 0; s < vlen && IS_WSP(v[s]); s++)
			;
		for (e = vlen; e > s && IS_WSP(v[e - 1]); e--)
			;
		FZ_CHECK(na == e - s && memcmp(a, v + s, na) == 0,
		    "plain text changed");
	}
	/* not cut means whole: what a buffer with room to spare gives */
	free(b);
	b = decode(mime_subject, v, vlen, WIDE, &nb, &cb);
	if (!ca && !cb)
		FZ_CHECK(na == nb && memcmp(a, b, na) == 0,
		    "a subject shortened without cut (%zu of %zu bytes)",
		    na, nb);
	free(a);
	free(b);

	a = decode(mime_msgid, v, vlen, outsz, &na, &ca);
	b = decode(mime_msgid, v, vlen, outsz, &nb, &cb);
	FZ_CHECK(na == nb && ca == cb && memcmp(a, b, na) == 0,
	    "mime_msgid() gave two answers");
	free(b);
	b = decode(mime_msgid, v, vlen, WIDE, &nb, &cb);
	if (!ca && !cb)
		FZ_CHECK(na == nb && memcmp(a, b, na) == 0,
		    "a msgid shortened without cut (%zu of %zu bytes)", na, nb);
	if (memchr(v, '\r', vlen) == NULL && memchr(v, '\n', vlen) == NULL &&
	    na > 0)
		FZ_CHECK(memmem(v, vlen, a, na) != NULL,
		    "a msgid that is not in its input");
	free(a);
	free(b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in	 in = { data, size };
	const uint8_t	*p, *val;
	char		 name[32];
	size_t		 outsz, n, vlen;
	uint8_t		*hdr;
	long		 want;
	int		 rc;
	uint8_t		 nb;

	outsz = sizes[fz_u8(&in) % (sizeof(sizes) / sizeof(sizes[0]))];
	nb = fz_u8(&in);
	if (nb & 0x80) {
		p = fz_bytes(&in, nb & 31, &n);
		memcpy(name, p, n);
		name[n] = '\0';
	} else
		snprintf(name, sizeof(name), "%s",
		    names[nb % (sizeof(names) / sizeof(names[0]))]);

	/* a copy of exactly the rest, so that a read past it is seen */
	if ((hdr = malloc(in.len ? in.len : 1)) == NULL)
		abort();
	n = in.len;
	memcpy(hdr, in.p, n);

	rc = mime_header(hdr, n, name, &val, &vlen);
	want = ref_header(hdr, n, name);
	FZ_CHECK(rc == (want >= 0 ? 0 : -1), "mime_header(%s) %d, the first "
	    "field is at %ld", name, rc, want);
	if (rc == 0) {
		FZ_CHECK(val == hdr + want, "the body at %ld, not %ld",
		    (long)(val - hdr), want);
		FZ_CHECK(vlen <= n - (size_t)want, "a body of %zu past the end",
		    vlen);
		value(val, vlen, outsz);
	}
	value(hdr, n, outsz);
	free(hdr);
	return 0;
}
