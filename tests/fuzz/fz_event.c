/* fuzz common/event.c: the parser, the writer and the JSON output, against capturo-events(5) */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "addr.h"
#include "bounds.h"
#include "event.h"
#include "fuzz.h"

/*
 * The first byte picks a mode.
 *
 * Even: the rest is one line for event_parse().  Whatever it returns,
 * nothing crashes; a line it takes must match the grammar of
 * capturo-events(5) (checked here by a second, independent reader), and
 * a record it returns must give JSON that is valid UTF-8 without raw
 * controls, must render through the writer (event_begin, event_add in
 * the record's order, event_cut for cut=1) to exactly the line this
 * file's own encoder of the man page's rules writes, and that line must
 * parse back to the same record (values cut, and cut=1 added, only when
 * the rendering passes EVENT_LINE_MAX).
 *
 * Odd: the writer.  An event of the man page's table, a time, a cut
 * flag, and for each of its keys a value of arbitrary bytes (optional
 * keys may be left out).  event_end() must give one line of at most
 * EVENT_LINE_MAX bytes, equal to the reference encoding when that fits,
 * and event_parse() must give back every value exactly, or a prefix
 * of it with cut=1 when the line had to be cut.
 */

/* the events and keys of capturo-events(5), "!" for a required key */
static const struct {
	const char	*name;
	const char	*keys[12];
} table[] = {
	{ "connect",	{ "!sid", "!src", "!dst", "mac" } },
	{ "helo",	{ "!sid", "!src", "!dst", "mac", "!verb", "!name" } },
	{ "auth",	{ "!sid", "!src", "!dst", "mac", "!mech", "user" } },
	{ "starttls",	{ "!sid", "!src", "!dst", "mac", "reply" } },
	{ "mail",	{ "!sid", "!src", "!dst", "mac", "!from" } },
	{ "rcpt",	{ "!sid", "!src", "!dst", "mac", "!to" } },
	{ "message",	{ "!sid", "!src", "!dst", "mac", "subject", "msgid",
			  "!size", "!rcpts", "reply" } },
	{ "close",	{ "!sid", "!src", "!dst", "mac", "!how", "!msgs" } },
	{ "mx",		{ "!sid", "!src", "!dst", "mac", "!name" } },
	{ "tls",	{ "!sid", "!src", "!dst", "mac", "sni" } },
	{ "block",	{ "sid", "src", "mac", "!host", "chain", "ports", "until",
			  "reason", "evidence", "sids" } },
	{ "unblock",	{ "!host", "reason" } },
	{ "skip",	{ "sid", "src", "!host", "!reason" } },
};
#define NEVENTS	(sizeof(table) / sizeof(table[0]))

/* the times a line can hold: 0000-01-01 to 9999-12-31 */
#define TIME_MIN	(-62167219200LL)
#define TIME_MAX	253402300799LL

/* --- a second reading of the man page: UTF-8, the grammar, the escaping --- */

/* length of a well-formed UTF-8 sequence of 2 to 4 bytes at p (RFC 3629 4), or 0 */
static size_t
ref_utf8(const uint8_t *p, size_t len, uint32_t *cp)
{
	/* first byte range, second byte range, length */
	static const struct {
		uint8_t	 b0lo, b0hi, b1lo, b1hi, n;
	} t[] = {
		{ 0xc2, 0xdf, 0x80, 0xbf, 2 },
		{ 0xe0, 0xe0, 0xa0, 0xbf, 3 },
		{ 0xe1, 0xec, 0x80, 0xbf, 3 },
		{ 0xed, 0xed, 0x80, 0x9f, 3 },
		{ 0xee, 0xef, 0x80, 0xbf, 3 },
		{ 0xf0, 0xf0, 0x90, 0xbf, 4 },
		{ 0xf1, 0xf3, 0x80, 0xbf, 4 },
		{ 0xf4, 0xf4, 0x80, 0x8f, 4 },
	};
	size_t	 i, k;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		if (p[0] < t[i].b0lo || p[0] > t[i].b0hi)
			continue;
		if (len < t[i].n || p[1] < t[i].b1lo || p[1] > t[i].b1hi)
			return 0;
		for (k = 2; k < t[i].n; k++)
			if (p[k] < 0x80 || p[k] > 0xbf)
				return 0;
		*cp = p[0] & (t[i].n == 2 ? 0x1f : t[i].n == 3 ? 0x0f : 0x07);
		for (k = 1; k < t[i].n; k++)
			*cp = *cp << 6 | (p[k] & 0x3f);
		return t[i].n;
	}
	return 0;
}

/* the characters the man page lists under Escaping */
static int
ref_hidden(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c || cp == 0x200e ||
	    cp == 0x200f || (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

static int
ref_bare(uint8_t c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\';
}

static int
ref_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') ||
	    (c >= 'A' && c <= 'F');
}

/* a quoted value after its DQUOTE: the bytes up to the closing one, or 0 */
static size_t
ref_quoted(const uint8_t *p, size_t len)
{
	size_t		 i = 0, k, n;
	uint32_t	 cp;

	while (i < len) {
		if (p[i] == '"')
			return i + 1;
		if (p[i] == '\\') {
			if (i + 1 >= len)
				return 0;
			switch (p[i + 1]) {
			case '"': case '\\': case 't': case 'r': case 'n':
				i += 2;
				continue;
			case 'x':
				if (i + 3 >= len || !ref_hex(p[i + 2]) ||
				    !ref_hex(p[i + 3]))
					return 0;
				i += 4;
				continue;
			case 'u':
				if (i + 2 >= len || p[i + 2] != '{')
					return 0;
				for (k = i + 3; k < len && k < i + 9 &&
				    ref_hex(p[k]); k++)
					;
				if (k == i + 3 || k >= len || p[k] != '}')
					return 0;
				i = k + 1;
				continue;
			default:
				return 0;
			}
		}
		if (p[i] >= 0x20 && p[i] <= 0x7e) {
			i++;
			continue;
		}
		if ((n = ref_utf8(p + i, len - i, &cp)) > 0 &&
		    !ref_hidden(cp)) {
			i += n;
			continue;
		}
		return 0;
	}
	return 0;
}

/* the line (without its LF) follows the grammar of the man page */
static int
ref_grammar(const uint8_t *p, size_t len)
{
	static const char shape[] = "dddd-dd-ddTdd:dd:dd.ddddddZ";
	size_t	 i, j, n;

	if (len + 1 > EVENT_LINE_MAX || len < sizeof(shape) - 1 + 2)
		return 0;
	for (i = 0; i < sizeof(shape) - 1; i++)
		if (shape[i] == 'd' ? p[i] < '0' || p[i] > '9' :
		    p[i] != (uint8_t)shape[i])
			return 0;
	if (p[i++] != ' ')
		return 0;
	for (j = i; j < len && p[j] >= 'a' && p[j] <= 'z'; j++)
		;
	if (j == i || j - i > 15)
		return 0;
	for (i = j; i < len; ) {
		if (p[i++] != ' ')
			return 0;
		for (j = i; j < len && ((p[j] >= 'a' && p[j] <= 'z') ||
		    p[j] == '_'); j++)
			;
		if (j == i || j - i > 15 || j >= len || p[j] != '=')
			return 0;
		i = j + 1;
		if (i < len && p[i] == '"') {
			if ((n = ref_quoted(p + i + 1, len - i - 1)) == 0)
				return 0;
			i += 1 + n;
		} else {
			for (j = i; j < len && ref_bare(p[j]); j++)
				;
			if (j == i)
				return 0;
			i = j;
		}
	}
	return 1;
}

/* append the man page's encoding of a value to out; returns its length */
static size_t
ref_value(const uint8_t *v, size_t len, char *out)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t		 i, o = 0, n;
	uint32_t	 cp;

	for (i = 0; i < len && ref_bare(v[i]); i++)
		;
	if (len > 0 && i == len) {
		memcpy(out, v, len);
		return len;
	}
	out[o++] = '"';
	for (i = 0; i < len; i += n) {
		n = 1;
		if (v[i] == '"' || v[i] == '\\') {
			out[o++] = '\\';
			out[o++] = (char)v[i];
		} else if (v[i] == '\t' || v[i] == '\r' || v[i] == '\n') {
			out[o++] = '\\';
			out[o++] = v[i] == '\t' ? 't' : v[i] == '\r' ? 'r' : 'n';
		} else if (v[i] >= 0x20 && v[i] <= 0x7e)
			out[o++] = (char)v[i];
		else if (v[i] >= 0x80 && (n = ref_utf8(v + i, len - i,
		    &cp)) > 0) {
			if (ref_hidden(cp))
				o += (size_t)sprintf(out + o, "\\u{%04X}",
				    (unsigned)cp);
			else {
				memcpy(out + o, v + i, n);
				o += n;
			}
		} else {
			n = 1;
			out[o++] = '\\';
			out[o++] = 'x';
			out[o++] = hex[v[i] >> 4];
			out[o++] = hex[v[i] & 15];
		}
	}
	out[o++] = '"';
	return o;
}

/* a field to write: key and raw value */
struct fld {
	const char	*key;
	const uint8_t	*val;
	size_t		 len;
};

/*
 * The whole line as the man page says to write it, uncut, into out
 * (room for 12 bytes per value byte and then some).  Returns its length.
 */
static size_t
ref_line(int64_t sec, uint32_t usec, const char *name, const struct fld *f,
    int nf, int cut, char *out)
{
	struct tm	 tm;
	time_t		 t = (time_t)sec;
	size_t		 o;
	int		 i;

	if (gmtime_r(&t, &tm) == NULL)
		abort();
	o = (size_t)sprintf(out, "%04d-%02d-%02dT%02d:%02d:%02d.%06uZ %s",
	    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	    tm.tm_min, tm.tm_sec, (unsigned)usec, name);
	for (i = 0; i < nf; i++) {
		o += (size_t)sprintf(out + o, " %s=", f[i].key);
		o += ref_value(f[i].val, f[i].len, out + o);
	}
	if (cut)
		o += (size_t)sprintf(out + o, " cut=1");
	out[o++] = '\n';
	return o;
}

/* the reference line can be long: every value byte may take 12 */
static char	 refbuf[12 * (EVENT_LINE_MAX + 16 * 1024 * EVENT_FIELDS_MAX)];
static char	 json[16 * EVENT_LINE_MAX];

/*
 * Write fields through the writer and check the line: the reference
 * line when it fits, else a cut line whose values are prefixes.  The
 * parsed line is left in *back.
 */
static void
write_check(int64_t sec, uint32_t usec, const char *name,
    const struct fld *f, int nf, int cut, struct ev_rec *back)
{
	static struct ev_buf b;
	const char	*line, *why;
	size_t		 len, rlen;
	int		 i, rc, gotcut;

	event_begin(&b, sec, usec, name);
	for (i = 0; i < nf; i++)
		event_add(&b, f[i].key, f[i].val, f[i].len);
	if (cut)
		event_cut(&b);
	line = event_end(&b, &len);
	FZ_CHECK(line != NULL, "event_end() refused a %s event of %d fields",
	    name, nf);
	FZ_CHECK(len >= 1 && len <= EVENT_LINE_MAX && line[len - 1] == '\n' &&
	    memchr(line, '\n', len - 1) == NULL && line[len] == '\0',
	    "a line of %zu bytes, not one LF-terminated line", len);
	FZ_CHECK(ref_grammar((const uint8_t *)line, len - 1),
	    "the writer's line is outside the grammar: %.*s", (int)len, line);
	rlen = ref_line(sec, usec, name, f, nf, cut, refbuf);
	if (rlen <= EVENT_LINE_MAX)
		FZ_CHECK(len == rlen && memcmp(line, refbuf, len) == 0,
		    "the writer's line differs from the man page's:\n"
		    "got  %.*swant %.*s", (int)len, line, (int)rlen, refbuf);
	rc = event_parse(line, len, back, &why);
	FZ_CHECK(rc == 0, "the writer's line does not parse (%s): %.*s",
	    why ? why : "?", (int)len, line);
	FZ_CHECK(back->sec == sec && back->usec == usec &&
	    strcmp(back->name, name) == 0, "time or name changed");
	gotcut = back->nfields > 0 &&
	    strcmp(back->f[back->nfields - 1].key, "cut") == 0;
	FZ_CHECK(back->nfields == nf + gotcut, "%d fields written, %d read",
	    nf, back->nfields);
	FZ_CHECK(gotcut == (cut || rlen > EVENT_LINE_MAX),
	    "cut=%d, asked %d, reference line %zu bytes", gotcut, cut, rlen);
	for (i = 0; i < nf; i++) {
		FZ_CHECK(strcmp(back->f[i].key, f[i].key) == 0,
		    "key %d: %s, not %s", i, back->f[i].key, f[i].key);
		if (rlen <= EVENT_LINE_MAX)
			FZ_CHECK(back->f[i].len == f[i].len &&
			    memcmp(back->f[i].val, f[i].val, f[i].len) == 0,
			    "%s: the value did not come back", f[i].key);
		else
			FZ_CHECK(back->f[i].len <= f[i].len &&
			    memcmp(back->f[i].val, f[i].val,
			    back->f[i].len) == 0,
			    "%s: the cut value is not a prefix", f[i].key);
	}
}

/* valid UTF-8 without a raw control but the final LF */
static void
json_check(const char *j, int n)
{
	const uint8_t	*p = (const uint8_t *)j;
	uint32_t	 cp;
	size_t		 i, k;

	FZ_CHECK(n >= 2 && p[n - 1] == '\n' && p[0] == '{' && p[n - 2] == '}',
	    "JSON of %d bytes", n);
	for (i = 0; i < (size_t)n - 1; i += k) {
		k = 1;
		if (p[i] < 0x20 || p[i] == 0x7f)
			FZ_CHECK(0, "a raw control 0x%02x in JSON", p[i]);
		if (p[i] >= 0x80) {
			k = ref_utf8(p + i, (size_t)n - 1 - i, &cp);
			FZ_CHECK(k > 0, "JSON is not UTF-8 at %zu", i);
			FZ_CHECK(!ref_hidden(cp), "raw U+%04X in JSON",
			    (unsigned)cp);
		}
	}
}

static void
parse_mode(const uint8_t *p, size_t len)
{
	static struct ev_rec r, back, again;
	struct fld	 f[EVENT_FIELDS_MAX];
	const char	*why = NULL;
	char		*line;
	size_t		 n;
	int		 rc, i, nf = 0, cut = 0;

	/* a copy of exactly len bytes, so that a read past it is seen */
	if ((line = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(line, p, len);
	rc = event_parse(line, len, &r, &why);
	FZ_CHECK(rc == 0 || rc == -1 || rc == EV_UNKNOWN, "rc %d", rc);
	if (rc == -1) {
		FZ_CHECK(why != NULL, "no reason given");
		free(line);
		return;
	}
	n = len > 0 && p[len - 1] == '\n' ? len - 1 : len;
	FZ_CHECK(ref_grammar(p, n), "a line outside the grammar was taken");
	FZ_CHECK(r.sec >= TIME_MIN && r.sec <= TIME_MAX && r.usec <= 999999,
	    "time %lld.%u", (long long)r.sec, r.usec);
	FZ_CHECK(rc == 0 || r.nfields == 0, "an unknown event with fields");
	rc = event_json(&r, json, sizeof(json));
	FZ_CHECK(rc > 0 && (size_t)rc < sizeof(json) && json[rc] == '\0',
	    "event_json() %d", rc);
	json_check(json, rc);
	for (i = 0; i < r.nfields; i++) {
		FZ_CHECK(r.f[i].val[r.f[i].len] == '\0', "value not NUL-ended");
		FZ_CHECK(event_get(&r, r.f[i].key, &n) == r.f[i].val &&
		    n == r.f[i].len, "event_get(%s)", r.f[i].key);
		/* what detengo makes of a well-formed line's addresses */
		if (strcmp(r.f[i].key, "src") == 0 ||
		    strcmp(r.f[i].key, "dst") == 0) {
			struct addr	 a;
			uint16_t	 port;

			(void)addr_parse_hostport(r.f[i].val, r.f[i].len, &a,
			    &port);
		}
		if (strcmp(r.f[i].key, "cut") == 0) {
			FZ_CHECK(i == r.nfields - 1, "cut not last");
			cut = 1;
			continue;
		}
		f[nf].key = r.f[i].key;
		f[nf].val = (const uint8_t *)r.f[i].val;
		f[nf].len = r.f[i].len;
		nf++;
	}
	if (event_known(r.name)) {
		/* render and read back; then the rendering is a fixed point */
		write_check(r.sec, r.usec, r.name, f, nf, cut, &back);
		for (nf = 0, cut = 0, i = 0; i < back.nfields; i++) {
			if (strcmp(back.f[i].key, "cut") == 0) {
				cut = 1;
				continue;
			}
			f[nf].key = back.f[i].key;
			f[nf].val = (const uint8_t *)back.f[i].val;
			f[nf].len = back.f[i].len;
			nf++;
		}
		write_check(back.sec, back.usec, back.name, f, nf, cut, &again);
	}
	free(line);
}

/* a value length: one byte, or two when the first is 0xc0 or more (up to 16 KiB) */
static size_t
vlen(struct fz_in *in)
{
	size_t	 n = fz_u8(in);

	if (n >= 0xc0)
		n = (n - 0xc0) << 8 | fz_u8(in);
	return n;
}

static void
write_mode(const uint8_t *p, size_t len)
{
	static struct ev_rec back;
	struct fz_in	 in = { p, len };
	struct fld	 f[EVENT_FIELDS_MAX];
	const char	*k;
	size_t		 e, got;
	uint64_t	 t;
	int64_t		 sec;
	uint32_t	 usec;
	uint8_t		 flags, present;
	int		 i, nf = 0;

	e = fz_u8(&in) % NEVENTS;
	flags = fz_u8(&in);
	t = (uint64_t)fz_u32(&in) << 32;
	t |= fz_u32(&in);
	sec = TIME_MIN + (int64_t)(t % (uint64_t)(TIME_MAX - TIME_MIN + 1));
	usec = fz_u32(&in) % 1000000;
	present = fz_u8(&in);
	for (i = 0; (k = table[e].keys[i]) != NULL; i++) {
		/* optional keys are there when their bit says so */
		if (k[0] != '!' && !(present & (1 << (i % 8))))
			continue;
		f[nf].key = k[0] == '!' ? k + 1 : k;
		f[nf].val = fz_bytes(&in, vlen(&in), &got);
		f[nf].len = got;
		nf++;
	}
	write_check(sec, usec, table[e].name, f, nf, flags & 1, &back);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		write_mode(data + 1, size - 1);
	else
		parse_mode(data + 1, size - 1);
	return 0;
}
