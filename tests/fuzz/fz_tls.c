/* fuzz capturo/tls.c: a ClientHello read across segments, for its SNI */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "tls.h"
#include "fuzz.h"

/*
 * Input: a mode byte, a cut (2 bytes), a chunk byte, then the bytes.
 *
 * Mode bit 0 clear: the bytes are the client's stream as it is.  Set:
 * they are a ClientHello's body, given its handshake header and cut
 * into handshake records of (mode >> 1) + 1 bytes (one record of up to
 * 2^14 when mode >> 1 is 127), so that the fuzzer reaches the
 * extensions without having to get the lengths right.
 *
 * The stream is fed whole, cut in two at the cut, in chunks of chunk
 * + 1 bytes, and a byte at a time (up to 4 KiB): every way gives the
 * same answer, name and reason.  Checks on every answer: it is
 * TLS_MORE, TLS_DONE or TLS_NOT; sni is NUL-terminated, at most
 * TLS_SNI_MAX bytes, with no NUL inside (its length is the stored
 * name's), and it is a piece of the gathered handshake message; a name
 * comes with no reason and no name with one (TLS_MORE: neither); after
 * TLS_DONE or TLS_NOT a feed answers the same again; a buffer of the
 * wrong size is never written past, and gets the name whole or "".
 */

static struct tls_hello	 st;

/* the answer of one way of feeding */
struct ans {
	int		 r;
	const char	*why;
	char		 sni[TLS_SNI_MAX + 1];
};

/* feed p in pieces of step bytes (0: whole), and check the answer */
static void
run(const uint8_t *p, size_t n, size_t first, size_t step, struct ans *a)
{
	size_t		 i, k, len;
	const char	*why2;
	char		 sni2[TLS_SNI_MAX + 1];

	tls_init(&st);
	memset(a->sni, 0xaa, sizeof(a->sni));
	a->r = TLS_MORE;
	for (i = 0, k = 0; ; k++) {
		len = k == 0 ? first : step;
		if (len > n - i)
			len = n - i;
		a->r = tls_feed(&st, p + i, len, a->sni, sizeof(a->sni),
		    &a->why);
		i += len;
		if (i == n)
			break;
	}
	FZ_CHECK(a->r == TLS_MORE || a->r == TLS_DONE || a->r == TLS_NOT,
	    "answer %d", a->r);
	FZ_CHECK(memchr(a->sni, '\0', sizeof(a->sni)) != NULL,
	    "sni not NUL-terminated");
	len = strlen(a->sni);
	FZ_CHECK(len <= TLS_SNI_MAX, "sni of %zu bytes", len);
	switch (a->r) {
	case TLS_MORE:
		FZ_CHECK(len == 0 && a->why == NULL, "MORE with %zu, %s", len,
		    a->why ? a->why : "NULL");
		break;
	case TLS_NOT:
		FZ_CHECK(len == 0 && a->why != NULL, "NOT with %zu, %s", len,
		    a->why ? a->why : "NULL");
		break;
	case TLS_DONE:
		FZ_CHECK((len > 0) == (a->why == NULL),
		    "DONE: a name of %zu and why %s", len,
		    a->why ? a->why : "NULL");
		/* no NUL inside: the whole stored name was copied */
		FZ_CHECK(len == st.namelen, "sni of %zu, the name %zu", len,
		    st.namelen);
		FZ_CHECK(st.have == st.need && st.nameoff + len <= st.have,
		    "the name at %zu+%zu of %zu", st.nameoff, len, st.have);
		FZ_CHECK(len == 0 ||
		    memcmp(st.buf + st.nameoff, a->sni, len) == 0,
		    "sni not the bytes of the message");
		break;
	}
	/* after an answer: the same answer, nothing read */
	if (a->r != TLS_MORE) {
		FZ_CHECK(tls_feed(&st, p, n, sni2, sizeof(sni2), &why2) ==
		    a->r && why2 == a->why && strcmp(sni2, a->sni) == 0,
		    "a feed after the answer changed it");
	}
}

static void
same(const struct ans *a, const struct ans *b, const char *how)
{
	FZ_CHECK(a->r == b->r && a->why == b->why &&
	    strcmp(a->sni, b->sni) == 0,
	    "%s: %d %s [%s], whole: %d %s [%s]", how, b->r,
	    b->why ? b->why : "NULL", b->sni, a->r, a->why ? a->why : "NULL",
	    a->sni);
}

/* a buffer of snilen bytes, malloc'd to exactly that */
static void
small(const uint8_t *p, size_t n, size_t snilen, const struct ans *a)
{
	char		*sni;
	const char	*why;
	int		 r;

	if ((sni = malloc(snilen > 0 ? snilen : 1)) == NULL)
		abort();
	tls_init(&st);
	r = tls_feed(&st, p, n, snilen > 0 ? sni : NULL, snilen, &why);
	FZ_CHECK(r == a->r, "answer %d with a buffer of %zu, %d", r, snilen,
	    a->r);
	if (snilen > 0 && strlen(a->sni) < snilen)
		FZ_CHECK(strcmp(sni, a->sni) == 0 && why == a->why,
		    "a buffer of %zu that holds the name", snilen);
	else if (snilen > 0)
		FZ_CHECK(sni[0] == '\0' && why != NULL,
		    "a buffer of %zu too small for %zu", snilen,
		    strlen(a->sni));
	free(sni);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz_in	 in = { data, size };
	struct ans	 w, o;
	uint8_t		*s;
	size_t		 n, i, l, rec, cut, chunk;
	uint8_t		 mode;

	mode = fz_u8(&in);
	cut = fz_u16(&in);
	chunk = (size_t)fz_u8(&in) + 1;

	/* the stream, in a buffer of exactly its size */
	if (mode & 1) {
		rec = (mode >> 1) == 127 ? 16384 : (size_t)(mode >> 1) + 1;
		l = 4 + in.len;
		n = l + 5 * ((l + rec - 1) / rec);
		if ((s = malloc(n)) == NULL)
			abort();
		for (i = 0, n = 0; i < l; i += rec) {
			size_t	r = l - i < rec ? l - i : rec, j;

			s[n++] = 0x16;
			s[n++] = 0x03;
			s[n++] = 0x01;
			s[n++] = (uint8_t)(r >> 8);
			s[n++] = (uint8_t)r;
			for (j = i; j < i + r; j++) {
				if (j == 0)
					s[n++] = 1;
				else if (j < 4)
					s[n++] = (uint8_t)(in.len >>
					    (8 * (3 - j)));
				else
					s[n++] = in.p[j - 4];
			}
		}
	} else {
		n = in.len;
		if ((s = malloc(n > 0 ? n : 1)) == NULL)
			abort();
		if (n > 0)
			memcpy(s, in.p, n);
	}

	run(s, n, n, n, &w);
	run(s, n, cut % (n + 1), n, &o);
	same(&w, &o, "cut in two");
	run(s, n, chunk, chunk, &o);
	same(&w, &o, "in chunks");
	if (n <= 4096) {
		run(s, n, 1, 1, &o);
		same(&w, &o, "byte by byte");
	}
	small(s, n, cut % (TLS_SNI_MAX + 2), &w);
	free(s);
	return 0;
}
