/* the event line of capturo-events(5): the one writer and the one parser */
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "ascii.h"
#include "event.h"

/*
 * Every event has a fixed key order.  A key marked '!' must be
 * present; the others may be left out.  "cut" may end any line.
 */
struct schema {
	const char	*name;
	const char	*keys[EVENT_FIELDS_MAX];
};

#define CONN	"!sid", "!src", "!dst", "mac"
static const struct schema schemas[] = {
	{ "connect",	{ CONN } },
	{ "helo",	{ CONN, "!verb", "!name" } },
	{ "auth",	{ CONN, "!mech", "user", "reply" } },
	{ "starttls",	{ CONN, "reply" } },
	{ "mail",	{ CONN, "!from" } },
	{ "rcpt",	{ CONN, "!to" } },
	{ "message",	{ CONN, "subject", "msgid", "!size", "!rcpts",
			    "reply" } },
	{ "close",	{ CONN, "!how", "!msgs" } },
	{ "refused",	{ CONN, "!verb", "from", "to", "!reply", "esc", "listed",
			    "named" } },
	{ "unheard",	{ CONN, "pending" } },
	{ "mx",		{ CONN, "!name" } },
	{ "tls",	{ CONN, "sni" } },
	/* detengo's own report lines */
	{ "block",	{ "sid", "src", "mac", "!host", "chain", "ports", "until",
			    "reason", "evidence", "sids" } },
	{ "unblock",	{ "!host", "reason" } },
	{ "skip",	{ "sid", "src", "!host", "!reason" } },
};
#undef CONN

/* "2026-03-03T16:45:44.880222Z" */
#define TS_LEN		27
#define CUT_FIELD	" cut=1"

static const struct schema *
schema_find(const char *name, size_t len)
{
	size_t	 i;

	for (i = 0; i < sizeof(schemas) / sizeof(schemas[0]); i++)
		if (strlen(schemas[i].name) == len &&
		    memcmp(schemas[i].name, name, len) == 0)
			return &schemas[i];
	return NULL;
}

int
event_known(const char *name)
{
	return schema_find(name, strlen(name)) != NULL;
}

static const char *
schema_key(const struct schema *s, int i, int *required)
{
	const char	*k = s->keys[i];

	if (k == NULL)
		return NULL;
	*required = k[0] == '!';
	return *required ? k + 1 : k;
}

/*
 * The schema walk, for the writer and the parser alike: key must come
 * at or after position *k, with no required key skipped on the way.
 * Moves *k past it and returns NULL, or returns what is wrong.
 */
static const char *
schema_next(const struct schema *s, int *k, const char *key)
{
	const char	*sk;
	int		 req;

	while ((sk = schema_key(s, *k, &req)) != NULL &&
	    strcmp(sk, key) != 0) {
		if (req)
			return "required key missing or key out of order";
		(*k)++;
	}
	if (sk == NULL)
		return "unknown key or key out of order";
	(*k)++;
	return NULL;
}

/* no required key left from position k on */
static int
schema_done(const struct schema *s, int k)
{
	int	 req;

	for (; schema_key(s, k, &req) != NULL; k++)
		if (req)
			return 0;
	return 1;
}

/*
 * Unicode characters that are valid but must not reach a terminal or a
 * reader raw: C1 controls and the bidirectional and line-separator
 * formatting characters (Trojan Source, CVE-2021-42574).
 */
static int
cp_escaped(uint32_t cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c ||
	    cp == 0x200e || cp == 0x200f ||
	    (cp >= 0x2028 && cp <= 0x202e) ||
	    (cp >= 0x2066 && cp <= 0x2069);
}

/*
 * Length of the well-formed UTF-8 sequence at p (RFC 3629 4: no
 * overlong forms, no surrogates, nothing past U+10FFFF), or 0.
 */
static size_t
utf8_seq(const uint8_t *p, size_t len, uint32_t *cp)
{
	uint8_t	 c = p[0];
	size_t	 n, i;
	uint8_t	 lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		n = 2;
	else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
	} else
		return 0;
	if (len < n || p[1] < lo || p[1] > hi)
		return 0;
	for (i = 2; i < n; i++)
		if ((p[i] & 0xc0) != 0x80)
			return 0;
	*cp = c & (0xff >> (n + 1));
	for (i = 1; i < n; i++)
		*cp = (*cp << 6) | (p[i] & 0x3f);
	return n;
}

static int
bare_byte(uint8_t c)
{
	return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\';
}

/*
 * Encode the character at p for a quoted value: write it to out (at
 * least 12 bytes) and return the output length; *used is set to the
 * input bytes it stands for.
 */
static size_t
enc_char(const uint8_t *p, size_t len, char *out, size_t *used)
{
	static const char hex[] = "0123456789ABCDEF";
	uint32_t	 cp;
	size_t		 n;
	uint8_t		 c = p[0];

	*used = 1;
	switch (c) {
	case '"':
		memcpy(out, "\\\"", 2);
		return 2;
	case '\\':
		memcpy(out, "\\\\", 2);
		return 2;
	case '\t':
		memcpy(out, "\\t", 2);
		return 2;
	case '\r':
		memcpy(out, "\\r", 2);
		return 2;
	case '\n':
		memcpy(out, "\\n", 2);
		return 2;
	}
	if (c >= 0x20 && c <= 0x7e) {
		out[0] = (char)c;
		return 1;
	}
	if (c >= 0x80 && (n = utf8_seq(p, len, &cp)) > 0) {
		*used = n;
		if (!cp_escaped(cp)) {
			memcpy(out, p, n);
			return n;
		}
		return (size_t)snprintf(out, 12, "\\u{%04X}", (unsigned)cp);
	}
	/* other controls, DEL, bytes outside valid UTF-8 */
	out[0] = '\\';
	out[1] = 'x';
	out[2] = hex[c >> 4];
	out[3] = hex[c & 15];
	return 4;
}

static int
is_bare(const uint8_t *v, size_t len)
{
	size_t	 i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (!bare_byte(v[i]))
			return 0;
	return 1;
}

/*
 * Encode the longest prefix of v whose encoding fits in max bytes;
 * out may be NULL to measure.  Returns the encoded length and sets
 * *used to the input bytes taken (never half a character).
 */
static size_t
enc_value(const uint8_t *v, size_t len, char *out, size_t max, size_t *used)
{
	char	 tmp[12];
	size_t	 o = 0, i = 0, n, u;

	if (is_bare(v, len)) {
		if (len > max)
			len = max;
		if (out)
			memcpy(out, v, len);
		*used = len;
		return len;
	}
	if (max < 2) {
		*used = 0;
		return 0;
	}
	if (out)
		out[o] = '"';
	o++;
	while (i < len) {
		n = enc_char(v + i, len - i, tmp, &u);
		if (o + n + 1 > max)
			break;
		if (out)
			memcpy(out + o, tmp, n);
		o += n;
		i += u;
	}
	if (out)
		out[o] = '"';
	o++;
	*used = i;
	return o;
}

void
event_begin(struct ev_buf *b, int64_t sec, uint32_t usec, const char *name)
{
	b->sec = sec;
	b->usec = usec;
	b->name = name;
	b->nfields = 0;
	b->cut = 0;
	b->overflow = 0;
}

/* the value is referenced, not copied: keep it until event_end() */
void
event_add(struct ev_buf *b, const char *key, const void *val, size_t len)
{
	if (b->nfields >= EVENT_FIELDS_MAX) {
		b->overflow = 1;
		return;
	}
	b->f[b->nfields].key = key;
	b->f[b->nfields].val = val;
	b->f[b->nfields].len = len;
	b->nfields++;
}

void
event_adds(struct ev_buf *b, const char *key, const char *s)
{
	event_add(b, key, s, strlen(s));
}

/* the next field's own buffer for a number, or NULL when the line is full */
static char *
num_slot(struct ev_buf *b)
{
	if (b->nfields >= EVENT_FIELDS_MAX) {
		b->overflow = 1;
		return NULL;
	}
	return b->f[b->nfields].num;
}

/* "%08x" */
static int
put_hex8(char *out, uint32_t v)
{
	static const char hex[] = "0123456789abcdef";
	int	 i;

	for (i = 7; i >= 0; i--, v >>= 4)
		out[i] = hex[v & 15];
	out[8] = '\0';
	return 8;
}

void
event_addu(struct ev_buf *b, const char *key, unsigned long long v)
{
	char	*num;
	int	 n;

	if ((num = num_slot(b)) == NULL)
		return;
	n = ascii_dec(num, v);
	event_add(b, key, num, (size_t)n);
}

void
event_addx(struct ev_buf *b, const char *key, uint32_t v)
{
	char	*num;
	int	 n;

	if ((num = num_slot(b)) == NULL)
		return;
	n = put_hex8(num, v);
	event_add(b, key, num, (size_t)n);
}

/* a producer cut one of the values before handing it over */
void
event_cut(struct ev_buf *b)
{
	b->cut = 1;
}

/*
 * The time, TS_LEN bytes.  Events come many to a second: the date and
 * the second are made once a second, the microseconds every time.
 */
#define TS_SECLEN	20	/* "2026-03-03T16:45:44." */
static int
fmt_time(int64_t sec, uint32_t usec, char *out)
{
	static int64_t	 last;
	static int	 have;
	static char	 date[TS_SECLEN + 1];
	char		 buf[64];
	int		 i;

	if (usec > 999999)
		return -1;
	if (!have || sec != last) {
		/* "2026-03-03T16:45:44Z": its Z makes way for the fraction */
		if (event_utc(sec, -1, buf, sizeof(buf)) != TS_SECLEN)
			return -1;
		memcpy(date, buf, TS_SECLEN - 1);
		date[TS_SECLEN - 1] = '.';
		last = sec;
		have = 1;
	}
	memcpy(out, date, TS_SECLEN);
	for (i = TS_LEN - 2; i >= TS_SECLEN; i--, usec /= 10)
		out[i] = (char)('0' + usec % 10);
	out[TS_LEN - 1] = 'Z';
	return 0;
}

size_t
event_utc(int64_t sec, int ms, char *buf, size_t len)
{
	struct tm	 tm;
	time_t		 t = (time_t)sec;
	int		 n;

	if (len == 0)
		return 0;
	buf[0] = '\0';
	if (ms > 999 || gmtime_r(&t, &tm) == NULL ||
	    tm.tm_year + 1900 < 0 || tm.tm_year + 1900 > 9999)
		return 0;
	if (ms >= 0)
		n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec, ms);
	else
		n = snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		    tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		    tm.tm_min, tm.tm_sec);
	if (n < 0 || (size_t)n >= len) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

/* the keys were added in the schema's order, with every required one */
static int
order_ok(const struct ev_buf *b, const struct schema *s)
{
	int	 i, k = 0;

	for (i = 0; i < b->nfields; i++)
		if (schema_next(s, &k, b->f[i].key) != NULL)
			return 0;
	return schema_done(s, k);
}

/*
 * Render the line, ending in '\n', into b->line and return it.  When
 * the values do not fit in EVENT_LINE_MAX the longest ones are cut
 * (at a character boundary) and the line carries cut=1.  Returns NULL
 * only for a programming error: an unknown event, keys out of order,
 * or a time that cannot be written.
 */
const char *
event_end(struct ev_buf *b, size_t *lenp)
{
	const struct schema *s;
	size_t		 enc[EVENT_FIELDS_MAX], take[EVENT_FIELDS_MAX];
	size_t		 fixed, total, o, used, longest, excess, i;
	int		 cut = b->cut, j;

	if (b->overflow || (s = schema_find(b->name, strlen(b->name))) == NULL ||
	    !order_ok(b, s))
		return NULL;
	if (fmt_time(b->sec, b->usec, b->line) == -1)
		return NULL;
	fixed = TS_LEN + 1 + strlen(b->name) + 1;	/* ... '\n' */
	for (j = 0; j < b->nfields; j++) {
		fixed += 1 + strlen(b->f[j].key) + 1;
		take[j] = b->f[j].len;
		enc[j] = enc_value((const uint8_t *)b->f[j].val, take[j], NULL,
		    SIZE_MAX, &used);
	}
	/* cut the longest value until the line fits */
	for (;;) {
		total = fixed + (cut ? sizeof(CUT_FIELD) - 1 : 0);
		for (j = 0; j < b->nfields; j++)
			total += enc[j];
		if (total <= EVENT_LINE_MAX)
			break;
		if (!cut) {
			cut = 1;
			continue;
		}
		longest = 0;
		for (j = 1; j < b->nfields; j++)
			if (enc[j] > enc[longest])
				longest = (size_t)j;
		excess = total - EVENT_LINE_MAX;
		i = enc[longest] > excess + 2 ? enc[longest] - excess : 2;
		if (enc[longest] <= 2)
			return NULL;	/* cannot happen: keys are short */
		enc[longest] = enc_value((const uint8_t *)b->f[longest].val,
		    take[longest], NULL, i, &take[longest]);
	}
	o = TS_LEN;
	b->line[o++] = ' ';
	memcpy(b->line + o, b->name, strlen(b->name));
	o += strlen(b->name);
	for (j = 0; j < b->nfields; j++) {
		b->line[o++] = ' ';
		memcpy(b->line + o, b->f[j].key, strlen(b->f[j].key));
		o += strlen(b->f[j].key);
		b->line[o++] = '=';
		o += enc_value((const uint8_t *)b->f[j].val, take[j],
		    b->line + o, enc[j], &used);
	}
	if (cut) {
		memcpy(b->line + o, CUT_FIELD, sizeof(CUT_FIELD) - 1);
		o += sizeof(CUT_FIELD) - 1;
	}
	b->line[o++] = '\n';
	b->line[o] = '\0';
	*lenp = o;
	return b->line;
}

static int
digits(const char *p, int n, int *v)
{
	int	 i;

	for (*v = 0, i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		*v = *v * 10 + (p[i] - '0');
	}
	return 0;
}

/* RFC 3339 5.6 in the one shape capturo writes: UTC, microseconds */
static int
parse_time(const char *p, int64_t *sec, uint32_t *usec)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
	    30, 31 };
	struct tm	 tm;
	int		 y, mo, d, h, mi, s, us, leap;

	if (p[4] != '-' || p[7] != '-' || p[10] != 'T' || p[13] != ':' ||
	    p[16] != ':' || p[19] != '.' || p[26] != 'Z')
		return -1;
	if (digits(p, 4, &y) || digits(p + 5, 2, &mo) ||
	    digits(p + 8, 2, &d) || digits(p + 11, 2, &h) ||
	    digits(p + 14, 2, &mi) || digits(p + 17, 2, &s) ||
	    digits(p + 20, 6, &us))
		return -1;
	leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo < 1 || mo > 12 || d < 1 ||
	    d > mdays[mo - 1] + (mo == 2 && leap) || h > 23 || mi > 59 ||
	    s > 59)
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	*sec = (int64_t)timegm(&tm);
	*usec = (uint32_t)us;
	return 0;
}

static size_t
utf8_put(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * A quoted value starting after its opening quote.  Decoded bytes go
 * to out; returns the input consumed including the closing quote, or
 * 0 on any deviation.  Raw bytes are those the writer leaves raw, and
 * nothing else.
 */
static size_t
parse_quoted(const uint8_t *p, size_t len, char *out, size_t *olen,
    const char **why)
{
	size_t		 i = 0, o = 0, n, k;
	uint32_t	 cp;
	int		 a, b;

	while (i < len) {
		uint8_t c = p[i];

		if (c == '"') {
			*olen = o;
			return i + 1;
		}
		if (c == '\\') {
			if (i + 1 >= len)
				break;
			switch (p[i + 1]) {
			case '"': case '\\':
				out[o++] = (char)p[i + 1];
				i += 2;
				continue;
			case 't':
				out[o++] = '\t';
				i += 2;
				continue;
			case 'r':
				out[o++] = '\r';
				i += 2;
				continue;
			case 'n':
				out[o++] = '\n';
				i += 2;
				continue;
			case 'x':
				if (i + 3 >= len ||
				    (a = ascii_hexval(p[i + 2])) < 0 ||
				    (b = ascii_hexval(p[i + 3])) < 0) {
					*why = "bad \\x escape";
					return 0;
				}
				out[o++] = (char)(a << 4 | b);
				i += 4;
				continue;
			case 'u':
				if (i + 2 >= len || p[i + 2] != '{') {
					*why = "bad \\u escape";
					return 0;
				}
				for (cp = 0, k = i + 3; k < len && k < i + 9 &&
				    (a = ascii_hexval(p[k])) >= 0; k++)
					cp = cp << 4 | (uint32_t)a;
				if (k == i + 3 || k >= len || p[k] != '}' ||
				    cp > 0x10ffff ||
				    (cp >= 0xd800 && cp <= 0xdfff)) {
					*why = "bad \\u escape";
					return 0;
				}
				o += utf8_put(cp, out + o);
				i = k + 1;
				continue;
			default:
				*why = "unknown escape";
				return 0;
			}
		}
		if (c >= 0x20 && c <= 0x7e) {
			out[o++] = (char)c;
			i++;
			continue;
		}
		if (c >= 0x80 && (n = utf8_seq(p + i, len - i, &cp)) > 0 &&
		    !cp_escaped(cp)) {
			memcpy(out + o, p + i, n);
			o += n;
			i += n;
			continue;
		}
		*why = "raw control or invalid byte in a value";
		return 0;
	}
	*why = "unterminated quote";
	return 0;
}

/* the timestamp and the event name: the index after the name, or 0 */
static size_t
parse_head(const char *line, size_t len, struct ev_rec *r, const char **why)
{
	const uint8_t	*p = (const uint8_t *)line;
	size_t		 i, j;

	if (len < TS_LEN + 2 || parse_time(line, &r->sec, &r->usec) == -1 ||
	    p[TS_LEN] != ' ') {
		*why = "bad timestamp";
		return 0;
	}
	for (i = TS_LEN + 1, j = i; j < len && p[j] >= 'a' && p[j] <= 'z'; j++)
		;
	if (j == i || j - i >= EVENT_NAME_MAX || (j < len && p[j] != ' ')) {
		*why = "bad event name";
		return 0;
	}
	memcpy(r->name, line + i, j - i);
	r->name[j - i] = '\0';
	return j;
}

/* the key at i into the next field of r: the index after its '=', or 0 */
static size_t
parse_key(const uint8_t *p, size_t len, size_t i, struct ev_rec *r,
    const char **why)
{
	char	*key;
	size_t	 j, klen;
	int	 ki;

	for (j = i; j < len && ((p[j] >= 'a' && p[j] <= 'z') || p[j] == '_');
	    j++)
		;
	klen = j - i;
	if (klen == 0 || klen >= EVENT_KEY_MAX || j >= len || p[j] != '=') {
		*why = "bad key";
		return 0;
	}
	if (r->nfields >= EVENT_FIELDS_MAX) {
		*why = "too many fields";
		return 0;
	}
	key = r->f[r->nfields].key;
	memcpy(key, p + i, klen);
	key[klen] = '\0';
	for (ki = 0; ki < r->nfields; ki++)
		if (strcmp(r->f[ki].key, key) == 0) {
			*why = "duplicate key";
			return 0;
		}
	return j + 1;
}

/*
 * The value at i, quoted or bare, decoded into r->store at *store for
 * the next field of r: the index after it, or 0.
 */
static size_t
parse_value(const uint8_t *p, size_t len, size_t i, struct ev_rec *r,
    size_t *store, const char **why)
{
	char	*out = r->store + *store;
	size_t	 j, n, olen;

	if (i < len && p[i] == '"') {
		if ((n = parse_quoted(p + i + 1, len - i - 1, out, &olen,
		    why)) == 0)
			return 0;
		j = i + 1 + n;
		if (j < len && p[j] != ' ') {
			*why = "junk after a quoted value";
			return 0;
		}
	} else {
		for (j = i; j < len && bare_byte(p[j]); j++)
			;
		if (j == i || (j < len && p[j] != ' ')) {
			*why = j == i ? "empty bare value" :
			    "bad byte in a bare value";
			return 0;
		}
		olen = j - i;
		memcpy(out, p + i, olen);
	}
	r->f[r->nfields].val = out;
	r->f[r->nfields].len = olen;
	*store += olen;
	r->store[(*store)++] = '\0';
	return j;
}

/*
 * Parse one line, without its newline (a trailing '\n' is tolerated).
 * Returns 0 and a whole record, EV_UNKNOWN for a well-shaped line of
 * an event this version does not know, or -1; *why says what is wrong.
 * Never a partial record.
 */
int
event_parse(const char *line, size_t len, struct ev_rec *r, const char **why)
{
	const uint8_t	*p = (const uint8_t *)line;
	const struct schema *s;
	const struct ev_field *f;
	const char	*dummy;
	size_t		 i, store = 0;
	int		 k = 0, seen_cut = 0;

	if (why == NULL)
		why = &dummy;
	*why = NULL;
	r->nfields = 0;
	if (len > 0 && p[len - 1] == '\n')
		len--;
	if (len + 1 > EVENT_LINE_MAX) {
		*why = "line over the limit";
		return -1;
	}
	if ((i = parse_head(line, len, r, why)) == 0)
		return -1;
	s = schema_find(r->name, strlen(r->name));
	/* ' ' key '=' value, until the end */
	while (i < len) {
		if (p[i] != ' ' || seen_cut) {
			*why = seen_cut ? "field after cut" : "bad separator";
			return -1;
		}
		if ((i = parse_key(p, len, i + 1, r, why)) == 0 ||
		    (i = parse_value(p, len, i, r, &store, why)) == 0)
			return -1;
		f = &r->f[r->nfields++];
		if (strcmp(f->key, "cut") == 0) {
			if (f->len != 1 || f->val[0] != '1') {
				*why = "bad cut value";
				return -1;
			}
			seen_cut = 1;
		} else if (s != NULL && (*why = schema_next(s, &k, f->key)) !=
		    NULL)
			return -1;
	}
	if (s == NULL) {
		*why = "unknown event";
		r->nfields = 0;
		return EV_UNKNOWN;
	}
	if (!schema_done(s, k)) {
		*why = "required key missing";
		return -1;
	}
	return 0;
}

const char *
event_get(const struct ev_rec *r, const char *key, size_t *len)
{
	int	 i;

	for (i = 0; i < r->nfields; i++)
		if (strcmp(r->f[i].key, key) == 0) {
			if (len)
				*len = r->f[i].len;
			return r->f[i].val;
		}
	return NULL;
}

/*
 * The same record as one JSON object (RFC 8259) with a newline.  Bytes
 * that are not UTF-8 become U+FFFD; counts are numbers.  Returns the
 * length, or -1 if out is too small.
 */
int
event_json(const struct ev_rec *r, char *out, size_t outsz)
{
	char		 ts[TS_LEN + 1];
	size_t		 o = 0, i, n;
	int		 f, num;
	uint32_t	 cp;
	const uint8_t	*v;

#define PUT(s, l) do {							\
	if (o + (l) >= outsz)						\
		return -1;						\
	memcpy(out + o, (s), (l));					\
	o += (l);							\
} while (0)
	if (fmt_time(r->sec, r->usec, ts) == -1)
		return -1;
	PUT("{\"time\":\"", 9);
	PUT(ts, TS_LEN);
	PUT("\",\"event\":\"", 11);
	PUT(r->name, strlen(r->name));
	PUT("\"", 1);
	for (f = 0; f < r->nfields; f++) {
		PUT(",\"", 2);
		PUT(r->f[f].key, strlen(r->f[f].key));
		PUT("\":", 2);
		v = (const uint8_t *)r->f[f].val;
		num = r->f[f].len > 0 && r->f[f].len < 16 &&
		    (strcmp(r->f[f].key, "size") == 0 ||
		    strcmp(r->f[f].key, "rcpts") == 0 ||
		    strcmp(r->f[f].key, "msgs") == 0 ||
		    strcmp(r->f[f].key, "pending") == 0 ||
		    strcmp(r->f[f].key, "cut") == 0);
		for (i = 0; num && i < r->f[f].len; i++)
			if (v[i] < '0' || v[i] > '9')
				num = 0;
		if (num) {
			PUT(v, r->f[f].len);
			continue;
		}
		PUT("\"", 1);
		for (i = 0; i < r->f[f].len; i += n) {
			char	 e[8];

			n = 1;
			if (v[i] == '"' || v[i] == '\\') {
				e[0] = '\\';
				e[1] = (char)v[i];
				PUT(e, 2);
			} else if (v[i] < 0x20 || v[i] == 0x7f) {
				snprintf(e, sizeof(e), "\\u%04x", v[i]);
				PUT(e, 6);
			} else if (v[i] < 0x80)
				PUT(v + i, 1);
			else if ((n = utf8_seq(v + i, r->f[f].len - i,
			    &cp)) > 0) {
				if (cp_escaped(cp)) {
					snprintf(e, sizeof(e), "\\u%04x",
					    (unsigned)cp);
					PUT(e, 6);
				} else
					PUT(v + i, n);
			} else {
				n = 1;
				PUT("\\ufffd", 6);
			}
		}
		PUT("\"", 1);
	}
	PUT("}\n", 2);
	out[o] = '\0';
	return (int)o;
#undef PUT
}
