/* message header fields: find one, decode Subject (RFC 2047), Message-ID */

#include <errno.h>
#include <iconv.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "ascii.h"
#include "bounds.h"
#include "mime.h"

/* RFC 5234 B.1: WSP is SP or HTAB */
#define IS_WSP(c)	((c) == ' ' || (c) == '\t')

/*
 * Output being built: len bytes used of sz - 1 (one is kept for the
 * NUL).  Once cut is set nothing more is appended.
 */
struct mout {
	char	*p;
	size_t	 cap;
	size_t	 len;
	int	 cut;
};

/*
 * An encoded-word as parsed from the text (RFC 2047 2):
 * =?charset?encoding?encoded-text?=
 */
struct eword {
	char	 cs[MIME_CHARSET_MAX + 1];	/* no *lang suffix */
	size_t	 rawlen;			/* the whole word */
	size_t	 declen;			/* decoded bytes */
};

/*
 * iconv_open(3) finds and loads a gconv module on each call, far too
 * slow for every message, so the last few converters (charset to
 * UTF-8) stay open.  A charset iconv does not know is remembered with
 * cd == (iconv_t)-1 so that a message full of bogus names costs one
 * failed open per name and not one per encoded-word.  The least
 * recently used entry is closed when a new charset needs room.
 * capturo is single-threaded, hence the plain static.
 */
static struct {
	char		 name[MIME_CHARSET_MAX + 1];	/* "" if free */
	iconv_t		 cd;
	unsigned long	 used;
} conv[MIME_ICONV_CACHE];
static unsigned long	conv_tick;

/* the converter for charset cs, or (iconv_t)-1 if iconv does not know it */
static iconv_t
conv_get(const char *cs)
{
	size_t	i, victim = 0;

	for (i = 0; i < MIME_ICONV_CACHE; i++) {
		if (conv[i].name[0] != '\0' && ascii_caseeq(conv[i].name, cs)) {
			conv[i].used = ++conv_tick;
			return conv[i].cd;
		}
	}
	for (i = 0; i < MIME_ICONV_CACHE; i++) {
		if (conv[i].name[0] == '\0') {
			victim = i;
			break;
		}
		if (conv[i].used < conv[victim].used)
			victim = i;
	}
	if (conv[victim].name[0] != '\0' && conv[victim].cd != (iconv_t)-1)
		iconv_close(conv[victim].cd);
	/* cs was checked by parse_word(): at most MIME_CHARSET_MAX bytes */
	strncpy(conv[victim].name, cs, MIME_CHARSET_MAX);
	conv[victim].name[MIME_CHARSET_MAX] = '\0';
	conv[victim].cd = iconv_open("UTF-8", cs);
	conv[victim].used = ++conv_tick;
	return conv[victim].cd;
}

/*
 * Append n bytes.  When they do not fit, append what does, then drop
 * a UTF-8 sequence left incomplete at the end so that the cut falls on
 * a character boundary (RFC 3629 3), and mark the output cut.
 */
static void
put(struct mout *o, const void *b, size_t n)
{
	const uint8_t	*s;
	size_t		 j, need;

	if (o->cut || n == 0)
		return;
	if (n <= o->cap - o->len) {
		memcpy(o->p + o->len, b, n);
		o->len += n;
		return;
	}
	if (o->cap > o->len)
		memcpy(o->p + o->len, b, o->cap - o->len);
	o->len = o->cap;
	o->cut = 1;

	/* find the lead byte of the last sequence, at most 3 bytes back */
	s = (const uint8_t *)o->p;
	for (j = o->len; j > 0 && o->len - j < 4; j--) {
		if ((s[j - 1] & 0xc0) != 0x80)
			break;
	}
	if (j == 0 || (s[j - 1] & 0xc0) == 0x80)
		return;		/* not UTF-8 anyway: a plain byte cut */
	j--;
	if (s[j] >= 0xf0)
		need = 4;
	else if (s[j] >= 0xe0)
		need = 3;
	else if (s[j] >= 0xc0)
		need = 2;
	else
		need = 1;
	if (j + need > o->len)
		o->len = j;
}

/* RFC 2045 6.8 base64 alphabet; -1 for any other byte */
static int
b64val(uint8_t c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/*
 * "B" encoding (RFC 2047 4.1, RFC 2045 6.8), strict: only the
 * alphabet, "=" padding only at the very end, nothing skipped.  The
 * padding may be left out (a group of 2 or 3 characters at the end),
 * as several mailers do; a lone trailing character is malformed.
 * Writes at most n * 3 / 4 bytes to d.  Returns the length or -1.
 */
static long
dec_b(const uint8_t *s, size_t n, uint8_t *d)
{
	size_t		 i, pad = 0, data, k = 0;
	uint32_t	 acc = 0;
	int		 v, bits = 0;

	while (pad < 2 && pad < n && s[n - 1 - pad] == '=')
		pad++;
	if (pad > 0 && n % 4 != 0)
		return -1;
	data = n - pad;
	if (data % 4 == 1)
		return -1;
	for (i = 0; i < data; i++) {
		if ((v = b64val(s[i])) == -1)
			return -1;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			d[k++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	return (long)k;
}

/*
 * Base64 for the SMTP parser as well (AUTH, RFC 4954 4): the same
 * strict decoder, into d of dsz bytes.  Returns the length or -1.
 */
long
mime_b64(const uint8_t *s, size_t n, uint8_t *d, size_t dsz)
{
	if (n / 4 * 3 + 3 > dsz)
		return -1;
	return dec_b(s, n, d);
}

/*
 * "Q" encoding (RFC 2047 4.2): "_" is 0x20, "=HH" one byte (lower-case
 * hex accepted too), other printable ASCII as is.  The caller already
 * checked that s holds no space, "?" or control byte.  Returns the
 * length written to d (at most n) or -1.
 */
static long
dec_q(const uint8_t *s, size_t n, uint8_t *d)
{
	size_t	i, k = 0;
	int	hi, lo;

	for (i = 0; i < n; i++) {
		if (s[i] == '_')
			d[k++] = ' ';
		else if (s[i] == '=') {
			if (n - i < 3 || (hi = ascii_hexval(s[i + 1])) == -1 ||
			    (lo = ascii_hexval(s[i + 2])) == -1)
				return -1;
			d[k++] = (uint8_t)(hi << 4 | lo);
			i += 2;
		} else
			d[k++] = s[i];
	}
	return (long)k;
}

/*
 * Bytes allowed in a charset name: RFC 2047 token characters without
 * those that mean something to iconv_open(3) ("/" starts its
 * //TRANSLIT and //IGNORE suffixes, "," separates them).  "*" starts
 * the RFC 2231 5 language suffix and is handled by the caller.
 */
static int
cs_char(uint8_t c)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	    (c >= '0' && c <= '9'))
		return 1;
	return c == '-' || c == '_' || c == '.' || c == ':' || c == '+';
}

/*
 * Parse and decode an encoded-word at s (n bytes left, s[0..1] is
 * "=?") into d, which has room for n bytes.  The charset must be known
 * to iconv; otherwise, or when anything is malformed, the word is not
 * an encoded-word and returns -1 so that it stays raw text.
 *
 * RFC 2047 5 wants encoded-words separated from other text by white
 * space; real mail often glues them ("Subject: x:=?utf-8?..." or
 * "?==?"), so they are recognised anywhere, as most readers do.
 * RFC 2047 2 limits an encoded-word to 75 bytes; longer ones are
 * common too and are accepted, the input being bounded anyway.
 */
static int
parse_word(const uint8_t *s, size_t n, struct eword *w, uint8_t *d)
{
	size_t	 i, cslen = 0, t0, t1;
	int	 lang = 0, enc;
	long	 r;

	if (n < 2 || s[0] != '=' || s[1] != '?')
		return -1;
	for (i = 2; i < n && s[i] != '?'; i++) {
		if (s[i] == '*' && !lang) {
			/* RFC 2231 5: charset*language, language dropped */
			lang = 1;
			continue;
		}
		if (!cs_char(s[i]) || i - 2 >= MIME_CHARSET_MAX)
			return -1;
		if (!lang)
			w->cs[cslen++] = (char)s[i];
	}
	if (i >= n || cslen == 0)
		return -1;
	w->cs[cslen] = '\0';
	if (n - i < 3 || s[i + 2] != '?')
		return -1;
	enc = ascii_lower(s[i + 1]);
	if (enc != 'b' && enc != 'q')
		return -1;
	/* encoded-text: printable ASCII but "?" and SPACE, up to "?=" */
	t0 = i + 3;
	for (t1 = t0; t1 < n && s[t1] != '?'; t1++)
		if (s[t1] <= 0x20 || s[t1] >= 0x7f)
			return -1;
	if (t1 + 1 >= n || s[t1 + 1] != '=')
		return -1;
	if (enc == 'b')
		r = dec_b(s + t0, t1 - t0, d);
	else
		r = dec_q(s + t0, t1 - t0, d);
	if (r < 0)
		return -1;
	if (conv_get(w->cs) == (iconv_t)-1)
		return -1;
	w->rawlen = t1 + 2;
	w->declen = (size_t)r;
	return 0;
}

/*
 * Remove the line breaks of folding (RFC 5322 2.2.3: a CRLF, or a bare
 * LF as seen in practice, followed by WSP) while copying src into dst
 * (room for dmax bytes), then trim WSP and stray CR/LF at both ends.
 * Sets *rest when src did not fit.  Returns the offset of the first
 * byte kept in dst and its length in *dlen.
 */
static size_t
unfold(const uint8_t *src, size_t n, uint8_t *dst, size_t dmax, size_t *dlen,
    int *rest)
{
	size_t	i, k = 0, a = 0;

	*rest = 0;
	for (i = 0; i < n; i++) {
		if (src[i] == '\r' && n - i >= 3 && src[i + 1] == '\n' &&
		    IS_WSP(src[i + 2])) {
			i++;
			continue;
		}
		if (src[i] == '\n' && n - i >= 2 && IS_WSP(src[i + 1]))
			continue;
		if (k == dmax) {
			*rest = 1;
			break;
		}
		dst[k++] = src[i];
	}
	while (k > 0 && (IS_WSP(dst[k - 1]) || dst[k - 1] == '\r' ||
	    dst[k - 1] == '\n'))
		k--;
	while (a < k && (IS_WSP(dst[a]) || dst[a] == '\r' || dst[a] == '\n'))
		a++;
	*dlen = k - a;
	return a;
}

/*
 * Adjacent encoded-words of one charset, their bytes joined (RFC 2047
 * 6.2 lets a character be split across words) and the raw span they
 * came from, to fall back to.
 */
struct group {
	char		 cs[MIME_CHARSET_MAX + 1];
	uint8_t		*b;
	size_t		 len;
	const uint8_t	*raw;
	size_t		 rawlen;
	int		 on;
};

/*
 * Convert a group to UTF-8 straight into the output.  iconv(3) stops
 * with E2BIG before a character that does not fit, so a cut there is
 * on a character boundary.  EILSEQ or EINVAL (bytes invalid in the
 * charset, or a character left incomplete) put the raw words instead.
 */
static void
group_flush(struct group *g, struct mout *o)
{
	iconv_t	 cd;
	char	*in, *op;
	size_t	 inleft, outleft, start = o->len;
	int	 full = 0;

	if (!g->on)
		return;
	g->on = 0;
	if (o->cut)
		return;
	if ((cd = conv_get(g->cs)) == (iconv_t)-1) {
		put(o, g->raw, g->rawlen);
		return;
	}
	iconv(cd, NULL, NULL, NULL, NULL);
	in = (char *)g->b;
	inleft = g->len;
	op = o->p + o->len;
	outleft = o->cap - o->len;
	if (iconv(cd, &in, &inleft, &op, &outleft) == (size_t)-1) {
		if (errno != E2BIG)
			goto raw;
		full = 1;
	}
	/* back to the initial shift state (ISO-2022-JP and the like) */
	if (!full && iconv(cd, NULL, NULL, &op, &outleft) == (size_t)-1) {
		if (errno != E2BIG)
			goto raw;
		full = 1;
	}
	o->len = (size_t)(op - o->p);
	if (full)
		o->cut = 1;
	return;
raw:
	o->len = start;
	put(o, g->raw, g->rawlen);
}

size_t
mime_subject(const uint8_t *val, size_t vlen, char *out, size_t outsz,
    int *cut)
{
	/* the input is at most one header block (SMTP_HDR_MAX) */
	uint8_t		 text[SMTP_HDR_MAX], dec[SMTP_HDR_MAX];
	struct mout	 o;
	struct group	 g;
	struct eword	 w;
	const uint8_t	*s, *ws = NULL;
	size_t		 n, i, wslen = 0;
	int		 rest;
	char		 none;

	o.p = outsz > 0 ? out : &none;
	o.cap = outsz > 0 ? outsz - 1 : 0;
	o.len = 0;
	o.cut = 0;
	memset(&g, 0, sizeof(g));
	g.b = dec;

	s = text + unfold(val, vlen, text, sizeof(text), &n, &rest);
	for (i = 0; i < n && !o.cut; ) {
		/* dec has room for n - i bytes past g.len: g.len <= i */
		if (s[i] == '=' &&
		    parse_word(s + i, n - i, &w, dec + g.len) == 0) {
			if (g.on && !ascii_caseeq(g.cs, w.cs)) {
				group_flush(&g, &o);
				memmove(dec, dec + g.len, w.declen);
				g.len = 0;
			}
			if (!g.on) {
				memcpy(g.cs, w.cs, sizeof(g.cs));
				g.len = 0;
				g.raw = s + i;
				g.on = 1;
			}
			/* RFC 2047 6.2: white space between words is dropped */
			ws = NULL;
			wslen = 0;
			g.len += w.declen;
			g.rawlen = (size_t)(s + i + w.rawlen - g.raw);
			i += w.rawlen;
			continue;
		}
		if (g.on && IS_WSP(s[i])) {
			/* held until we know whether a word follows */
			if (ws == NULL)
				ws = s + i;
			wslen++;
			i++;
			continue;
		}
		if (g.on) {
			group_flush(&g, &o);
			if (ws != NULL)
				put(&o, ws, wslen);
			ws = NULL;
			wslen = 0;
		}
		put(&o, s + i, 1);
		i++;
	}
	group_flush(&g, &o);
	if (ws != NULL)
		put(&o, ws, wslen);
	if (rest)
		o.cut = 1;
	if (outsz > 0)
		out[o.len] = '\0';
	if (cut != NULL)
		*cut = o.cut;
	return o.len;
}

/*
 * Skip CFWS (RFC 5322 3.2.2): white space and comments, which nest and
 * may hold quoted-pairs.  An unterminated comment runs to the end.
 */
static size_t
skip_cfws(const uint8_t *s, size_t i, size_t n)
{
	int	depth;

	while (i < n) {
		if (IS_WSP(s[i]) || s[i] == '\r' || s[i] == '\n') {
			i++;
			continue;
		}
		if (s[i] != '(')
			break;
		for (depth = 0; i < n; i++) {
			if (s[i] == '\\' && depth > 0) {
				i++;
				continue;
			}
			if (s[i] == '(')
				depth++;
			else if (s[i] == ')' && --depth == 0) {
				i++;
				break;
			}
		}
	}
	return i < n ? i : n;
}

size_t
mime_msgid(const uint8_t *val, size_t vlen, char *out, size_t outsz,
    int *cut)
{
	uint8_t		 text[SMTP_HDR_MAX];
	struct mout	 o;
	const uint8_t	*s, *gt;
	size_t		 n, a, e;
	int		 rest;
	char		 none;

	o.p = outsz > 0 ? out : &none;
	o.cap = outsz > 0 ? outsz - 1 : 0;
	o.len = 0;
	o.cut = 0;

	s = text + unfold(val, vlen, text, sizeof(text), &n, &rest);
	a = skip_cfws(s, 0, n);
	if (a < n && s[a] == '<' &&
	    (gt = memchr(s + a, '>', n - a)) != NULL) {
		/* RFC 5322 3.6.4: [CFWS] "<" id-left "@" id-right ">" [CFWS] */
		e = (size_t)(gt - s) + 1;
	} else {
		/* no brackets (seen in practice): the token up to CFWS */
		for (e = a; e < n && !IS_WSP(s[e]) && s[e] != '(' &&
		    s[e] != '\r' && s[e] != '\n'; e++)
			;
	}
	put(&o, s + a, e - a);
	if (rest && !o.cut && e == n)
		o.cut = 1;
	if (outsz > 0)
		out[o.len] = '\0';
	if (cut != NULL)
		*cut = o.cut;
	return o.len;
}

int
mime_header(const uint8_t *hdr, size_t len, const char *name,
    const uint8_t **val, size_t *vlen)
{
	const uint8_t	*nl;
	size_t		 nlen, p, q, eol, next, end;

	/* RFC 5322 3.6.8: field-name is printable ASCII but ":" */
	nlen = strlen(name);
	if (nlen == 0)
		return -1;
	for (q = 0; q < nlen; q++)
		if ((uint8_t)name[q] <= 0x20 || (uint8_t)name[q] >= 0x7f ||
		    name[q] == ':')
			return -1;

	for (p = 0; p < len; p = next) {
		nl = memchr(hdr + p, '\n', len - p);
		eol = nl != NULL ? (size_t)(nl - hdr) : len;
		next = nl != NULL ? eol + 1 : len;
		/* the empty line ends the header (RFC 5322 2.1) */
		if (eol == p || (eol == p + 1 && hdr[p] == '\r'))
			return -1;
		/* a continuation line (RFC 5322 2.2.3) starts with WSP */
		if (IS_WSP(hdr[p]) || eol - p <= nlen)
			continue;
		if (!ascii_caseeqn(hdr + p, name, nlen))
			continue;
		/* RFC 5322 4.5.8 obs-optional: WSP before the colon */
		for (q = p + nlen; q < eol && IS_WSP(hdr[q]); q++)
			;
		if (q == eol || hdr[q] != ':')
			continue;
		/* the body runs over the continuation lines */
		end = eol;
		while (next < len && IS_WSP(hdr[next])) {
			nl = memchr(hdr + next, '\n', len - next);
			end = nl != NULL ? (size_t)(nl - hdr) : len;
			next = nl != NULL ? end + 1 : len;
		}
		if (end > q + 1 && hdr[end - 1] == '\r')
			end--;
		*val = hdr + q + 1;
		*vlen = end - (q + 1);
		return 0;
	}
	return -1;
}
