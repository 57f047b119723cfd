/* unit tests of the event line: writer, parser, round trips of hostile values */
#include <stdlib.h>
#include <string.h>

#include "event.h"
#include "tap.h"

#define T0	1772556344LL	/* 2026-03-03T16:45:44Z */

static struct ev_buf	 wb;
static struct ev_rec	 rec;

/* write a mail event whose from= is v, return the line */
static const char *
mail_line(const void *v, size_t len, size_t *llen)
{
	event_begin(&wb, T0, 880222, "mail");
	event_addx(&wb, "sid", 0x7f3a2c01);
	event_adds(&wb, "src", "198.51.100.10:43712");
	event_adds(&wb, "dst", "203.0.113.25:25");
	event_adds(&wb, "mac", "b8:27:eb:20:ab:35");
	event_add(&wb, "from", v, len);
	return event_end(&wb, llen);
}

static void
roundtrip(const char *what, const void *v, size_t len)
{
	const char	*line, *why, *got;
	size_t		 llen, glen, i;
	int		 r, clean = 1;

	line = mail_line(v, len, &llen);
	ok(line != NULL && llen <= EVENT_LINE_MAX && line[llen - 1] == '\n',
	    "%s: written as one line", what);
	if (line == NULL)
		return;
	/* nothing but the last byte is a newline; no raw control byte */
	for (i = 0; i + 1 < llen; i++)
		if ((unsigned char)line[i] < 0x20 ||
		    (unsigned char)line[i] == 0x7f)
			clean = 0;
	ok(clean, "%s: no raw control byte", what);
	r = event_parse(line, llen, &rec, &why);
	ok(r == 0, "%s: parses back (%s)", what, why ? why : "ok");
	if (r != 0)
		return;
	got = event_get(&rec, "from", &glen);
	ok(got != NULL && glen == len && memcmp(got, v, len) == 0,
	    "%s: value intact", what);
	ok(rec.nfields == 5 && strcmp(event_get(&rec, "src", NULL),
	    "198.51.100.10:43712") == 0, "%s: src not forged", what);
	ok(event_get(&rec, "cut", NULL) == NULL, "%s: not cut", what);
}

#define RT(what, lit)	roundtrip(what, lit, sizeof(lit) - 1)
#define ML(lit, lenp)	mail_line(lit, sizeof(lit) - 1, lenp)

/*
 * The parser refuses LINE, and for the reason WANT: the rule of the
 * grammar meant for this case, not another one that happens to catch
 * it too (a duplicate key of a known event also breaks the key order).
 */
static void
bad(const char *what, const char *line, const char *want)
{
	const char	*why = NULL;
	int		 r;

	r = event_parse(line, strlen(line), &rec, &why);
	ok(r == -1 && why != NULL && strcmp(why, want) == 0,
	    "rejects %s (%s)", what, r == -1 ? why : "accepted");
	if (r != -1 || why == NULL || strcmp(why, want) != 0)
		printf("#   got  [%s] (%d)\n#   want [%s]\n",
		    why ? why : "(null)", r, want);
}

int
main(void)
{
	static const char base[] = "2026-03-03T16:45:44.880222Z mail "
	    "sid=7f3a2c01 src=198.51.100.10:43712 dst=203.0.113.25:25 "
	    "mac=b8:27:eb:20:ab:35 from=worm@example.org\n";
	const char	*line, *why;
	char		 big[10240], buf[8192], json[8192];
	size_t		 llen, glen;
	int		 r;

	/* the issue's own example, byte for byte */
	line = ML("worm@example.org", &llen);
	is_str(line, base, "mail line as documented");

	event_begin(&wb, T0, 880222, "message");
	event_addx(&wb, "sid", 0x7f3a2c01);
	event_adds(&wb, "src", "198.51.100.10:43712");
	event_adds(&wb, "dst", "203.0.113.25:25");
	event_adds(&wb, "subject", "Mensaje de prueba");
	event_adds(&wb, "msgid", "<x@example.org>");
	event_addu(&wb, "size", 201);
	event_addu(&wb, "rcpts", 1);
	event_adds(&wb, "reply", "250");
	is_str(event_end(&wb, &llen),
	    "2026-03-03T16:45:44.880222Z message sid=7f3a2c01 "
	    "src=198.51.100.10:43712 dst=203.0.113.25:25 "
	    "subject=\"Mensaje de prueba\" msgid=<x@example.org> size=201 "
	    "rcpts=1 reply=250\n", "message line, quoted subject");

	/* escapes, exactly */
	line = ML("a\"b\\c\td\re\nf\x01g\x7fh", &llen);
	is_str(strstr(line, " from="), " from=\"a\\\"b\\\\c\\td\\re\\nf\\x01g\\x7Fh\"\n",
	    "escapes as documented");
	line = ML("", &llen);
	ok(strstr(line, " from=\"\"\n") != NULL, "empty value is \"\"");
	line = ML("ma\xc3\xb1" "ana", &llen);
	ok(strstr(line, " from=\"ma\xc3\xb1" "ana\"\n") != NULL,
	    "valid UTF-8 stays readable");
	line = ML("x\xe2\x80\xae" "gpj.exe", &llen);
	ok(strstr(line, " from=\"x\\u{202E}gpj.exe\"\n") != NULL,
	    "U+202E escaped");
	line = ML("\xc2\x9b" "31m", &llen);
	ok(strstr(line, " from=\"\\u{009B}31m\"\n") != NULL, "C1 CSI escaped");
	line = ML("\xc0\xaf", &llen);
	ok(strstr(line, " from=\"\\xC0\\xAF\"\n") != NULL,
	    "overlong UTF-8 as bytes");
	line = ML("\xed\xa0\x80", &llen);
	ok(strstr(line, " from=\"\\xED\\xA0\\x80\"\n") != NULL,
	    "UTF-16 surrogate as bytes");

	/* round trips of hostile values */
	RT("spaces", "a b  c ");
	RT("quote", "\"");
	RT("backslash", "\\\\x41");
	RT("equals", "a=b=c");
	RT("CR LF", "a\r\nb");
	RT("NUL", "a\0b");
	RT("ESC", "\x1b[31mred\x1b[0m");
	RT("DEL", "\x7f");
	RT("invalid UTF-8", "\xff\xfe\x80");
	RT("truncated UTF-8", "ab\xe2\x82");
	RT("overlong UTF-8", "\xc0\x80\xe0\x80\x80");
	RT("U+202E", "\xe2\x80\xae");
	RT("U+2028", "\xe2\x80\xa8");
	RT("4-byte UTF-8", "\xf0\x9f\x90\x9b");
	RT("forged field", "x src=192.0.2.1:25");
	RT("forged line", "x\n2026-03-03T16:45:44.880222Z mail "
	    "sid=1 src=192.0.2.1:25 dst=192.0.2.2:25 from=a");
	RT("quote then forged field", "x\" src=192.0.2.1:25 \"");
	RT("every byte", "\x00\x01\x02\x03\x04\x05\x06\x07\x08\x09"
	    "\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14\x15\x16\x17\x18"
	    "\x19\x1a\x1b\x1c\x1d\x1e\x1f\x20\x7f\x80\x9f\xa0\xff");

	/* a 10 KB value is cut, the line stays whole and says cut=1 */
	memset(big, 'A', sizeof(big));
	memcpy(big + 5000, " src=192.0.2.1:25", 17);
	line = mail_line(big, sizeof(big), &llen);
	ok(line != NULL && llen <= EVENT_LINE_MAX, "10 KB value: line <= %d",
	    EVENT_LINE_MAX);
	ok(line != NULL && llen > EVENT_LINE_MAX - 16,
	    "10 KB value: line filled (%zu)", llen);
	r = event_parse(line, llen, &rec, &why);
	ok(r == 0 && event_get(&rec, "cut", NULL) != NULL,
	    "10 KB value: parses, carries cut=1");
	ok(strcmp(event_get(&rec, "src", NULL), "198.51.100.10:43712") == 0,
	    "10 KB value: src not forged");
	/* a value of escapes cut never in the middle of an escape */
	memset(big, '\x01', sizeof(big));
	line = mail_line(big, sizeof(big), &llen);
	r = event_parse(line, llen, &rec, &why);
	ok(r == 0 && event_get(&rec, "from", &glen) != NULL && glen > 900,
	    "10 KB of escapes: cut at an escape boundary (%zu)", glen);
	/* multibyte characters are not split */
	for (r = 0; r + 2 < (int)sizeof(big); r += 2)
		memcpy(big + r, "\xc3\xb1", 2);
	line = mail_line(big, (size_t)r, &llen);
	r = event_parse(line, llen, &rec, &why);
	ok(r == 0 && event_get(&rec, "from", &glen) && glen % 2 == 0,
	    "10 KB of UTF-8: cut at a character boundary");
	/* the producer's own cut */
	event_begin(&wb, T0, 0, "rcpt");
	event_addx(&wb, "sid", 1);
	event_adds(&wb, "src", "[2001:db8:1::10]:40000");
	event_adds(&wb, "dst", "[2001:db8:2::25]:25");
	event_adds(&wb, "to", "a@b");
	event_cut(&wb);
	is_str(event_end(&wb, &llen), "2026-03-03T16:45:44.000000Z rcpt "
	    "sid=00000001 src=[2001:db8:1::10]:40000 dst=[2001:db8:2::25]:25 "
	    "to=a@b cut=1\n", "IPv6 and cut=1");

	/* the writer refuses what the parser would refuse */
	event_begin(&wb, T0, 0, "mail");
	event_adds(&wb, "src", "1");
	event_adds(&wb, "sid", "1");
	ok(event_end(&wb, &llen) == NULL, "writer: keys out of order");
	event_begin(&wb, T0, 0, "bogus");
	ok(event_end(&wb, &llen) == NULL, "writer: unknown event");
	event_begin(&wb, T0, 0, "mail");
	event_adds(&wb, "sid", "1");
	event_adds(&wb, "src", "a");
	event_adds(&wb, "dst", "b");
	ok(event_end(&wb, &llen) == NULL, "writer: required key missing");

	/* the parser */
	ok(event_parse(base, strlen(base), &rec, &why) == 0 &&
	    rec.sec == T0 && rec.usec == 880222 && strcmp(rec.name, "mail") == 0,
	    "parses time and name");
	ok(event_parse(base, strlen(base) - 1, &rec, &why) == 0,
	    "newline optional at the end");
	bad("a bad month", "2026-13-03T16:45:44.880222Z mail sid=1 src=a dst=b from=c",
	    "bad timestamp");
	bad("Feb 30", "2026-02-30T16:45:44.880222Z mail sid=1 src=a dst=b from=c",
	    "bad timestamp");
	bad("a short timestamp", "2026-03-03T16:45:44Z mail sid=1 src=a dst=b from=c",
	    "bad timestamp");
	bad("a local timestamp", "2026-03-03T16:45:44.880222+01 mail sid=1 src=a dst=b from=c",
	    "bad timestamp");
	bad("an unknown escape", "2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b from=\"\\q\"",
	    "unknown escape");
	bad("a bad \\x", "2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b from=\"\\xZZ\"",
	    "bad \\x escape");
	bad("a surrogate \\u", "2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b from=\"\\u{D800}\"",
	    "bad \\u escape");
	bad("a duplicate key", "2026-03-03T16:45:44.880222Z mail sid=1 src=a src=b dst=b from=c",
	    "duplicate key");
	bad("an unterminated quote", "2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b from=\"abc",
	    "unterminated quote");
	bad("a key out of order", "2026-03-03T16:45:44.880222Z mail src=a sid=1 dst=b from=c",
	    "required key missing or key out of order");
	bad("a missing required key", "2026-03-03T16:45:44.880222Z mail sid=1 dst=b from=c",
	    "required key missing or key out of order");
	bad("an unknown key", "2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b from=c evil=1",
	    "unknown key or key out of order");
	bad("a field after cut", "2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b cut=1 from=c",
	    "field after cut");
	bad("two spaces", "2026-03-03T16:45:44.880222Z mail sid=1  src=a dst=b from=c",
	    "bad key");
	bad("a trailing space", "2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b from=c ",
	    "bad key");
	bad("junk after a quote", "2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b from=\"c\"x",
	    "junk after a quoted value");
	bad("a raw tab in quotes", "2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b from=\"c\td\"",
	    "raw control or invalid byte in a value");
	bad("a raw CR", "2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b from=c\r",
	    "bad byte in a bare value");
	bad("a raw U+202E in quotes", "2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b from=\"\xe2\x80\xae\"",
	    "raw control or invalid byte in a value");
	bad("raw invalid UTF-8 in quotes", "2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b from=\"\xff\"",
	    "raw control or invalid byte in a value");
	bad("an upper-case key", "2026-03-03T16:45:44.880222Z mail SID=1 src=a dst=b from=c",
	    "bad key");
	bad("an empty bare value", "2026-03-03T16:45:44.880222Z mail sid= src=a dst=b from=c",
	    "empty bare value");
	bad("an embedded newline", "2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b from=c\n2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b from=c",
	    "bad byte in a bare value");
	bad("garbage", "mail from:<a@b>",
	    "bad timestamp");
	bad("an empty line", "",
	    "bad timestamp");
	bad("a cut other than 1", "2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b from=c cut=2",
	    "bad cut value");
	memset(buf, 'a', sizeof(buf));
	memcpy(buf, base, strlen(base) - 1);
	buf[sizeof(buf) - 1] = '\0';
	bad("a line over the limit", buf,
	    "line over the limit");
	memcpy(buf, base, strlen(base) - 1);
	buf[EVENT_LINE_MAX - 1] = '\0';
	ok(event_parse(buf, strlen(buf), &rec, &why) == 0,
	    "a line of EVENT_LINE_MAX with its newline is accepted");
	buf[EVENT_LINE_MAX - 1] = 'a';
	buf[EVENT_LINE_MAX] = '\0';
	bad("a line one byte over", buf,
	    "line over the limit");
	r = event_parse("2026-03-03T16:45:44.880222Z future x=1", 38, &rec,
	    &why);
	ok(r == EV_UNKNOWN, "an unknown event is told apart");
	/* the answers to MAIL and RCPT: refused and unheard */
	line = "2026-03-03T16:45:44.880222Z refused sid=7f3a2c01 "
	    "src=198.51.100.10:43712 dst=203.0.113.25:25 verb=MAIL "
	    "from=bob@example.com reply=503\n";
	r = event_parse(line, strlen(line), &rec, &why);
	ok(r == 0 && strcmp(event_get(&rec, "from", NULL),
	    "bob@example.com") == 0 && strcmp(event_get(&rec, "reply", NULL),
	    "503") == 0, "a refused MAIL parses (%s)", r ? why : "ok");
	line = "2026-03-03T16:45:44.880222Z unheard sid=7f3a2c01 "
	    "src=198.51.100.10:43712 dst=203.0.113.25:25 pending=2\n";
	r = event_parse(line, strlen(line), &rec, &why);
	ok(r == 0 && strcmp(event_get(&rec, "pending", NULL), "2") == 0,
	    "an unheard line parses (%s)", r ? why : "ok");
	bad("a refused line without its reply",
	    "2026-03-03T16:45:44.880222Z refused sid=7f3a2c01 "
	    "src=198.51.100.10:43712 dst=203.0.113.25:25 verb=RCPT to=a@b",
	    "required key missing");
	bad("a from= on a message line, unknown to its schema",
	    "2026-03-03T16:45:44.880222Z message sid=7f3a2c01 "
	    "src=198.51.100.10:43712 dst=203.0.113.25:25 size=1 rcpts=1 "
	    "from=a@b", "unknown key or key out of order");
	/*
	 * An unknown event has no schema: the rules of the grammar alone
	 * refuse it, each for its own reason.  Its duplicate key is the
	 * case the key order cannot catch.
	 */
	bad("a duplicate key in an unknown event",
	    "2026-03-03T16:45:44.880222Z future x=1 y=2 x=3", "duplicate key");
	bad("a duplicate key in an unknown event, side by side",
	    "2026-03-03T16:45:44.880222Z future x=1 x=1", "duplicate key");
	bad("a bad key in an unknown event",
	    "2026-03-03T16:45:44.880222Z future X=1", "bad key");
	bad("a bad escape in an unknown event",
	    "2026-03-03T16:45:44.880222Z future x=\"\\q\"", "unknown escape");
	bad("a raw control byte in an unknown event",
	    "2026-03-03T16:45:44.880222Z future x=a\x01", "bad byte in a bare value");
	bad("a field after cut in an unknown event",
	    "2026-03-03T16:45:44.880222Z future x=1 cut=1 y=2", "field after cut");
	bad("a bad time in an unknown event",
	    "2026-03-03T16:45:61.880222Z future x=1", "bad timestamp");
	memcpy(buf, "2026-03-03T16:45:44.880222Z future", 34);
	for (llen = 34, r = 0; r <= EVENT_FIELDS_MAX; r++) {
		buf[llen++] = ' ';
		buf[llen++] = (char)('a' + r);
		buf[llen++] = '=';
		buf[llen++] = '1';
	}
	buf[llen] = '\0';
	bad("more fields than EVENT_FIELDS_MAX in an unknown event", buf,
	    "too many fields");
	buf[llen - 4] = '\0';
	r = event_parse(buf, strlen(buf), &rec, &why);
	ok(r == EV_UNKNOWN, "EVENT_FIELDS_MAX fields in an unknown event: well formed");
	bad("an upper-case event name",
	    "2026-03-03T16:45:44.880222Z Mail sid=1 src=a dst=b from=c", "bad event name");
	bad("an event name too long",
	    "2026-03-03T16:45:44.880222Z abcdefghijklmnop x=1", "bad event name");
	bad("a known event ending before a required key",
	    "2026-03-03T16:45:44.880222Z mail sid=1 src=a dst=b", "required key missing");
	bad("a duplicate key of a detengo report",
	    "2026-03-03T16:45:44.880222Z skip host=a host=a reason=already", "duplicate key");

	/* every prefix of a good line: never a crash, never a wrong record */
	for (llen = 0; llen < strlen(base) - 1; llen++) {
		r = event_parse(base, llen, &rec, &why);
		if (r == 0 && (strcmp(event_get(&rec, "src", NULL),
		    "198.51.100.10:43712") != 0 ||
		    event_get(&rec, "from", NULL) == NULL))
			break;
	}
	ok(llen == strlen(base) - 1, "prefixes: no record without all it needs");

	/* JSON */
	event_parse(base, strlen(base), &rec, &why);
	r = event_json(&rec, json, sizeof(json));
	is_str(json, "{\"time\":\"2026-03-03T16:45:44.880222Z\",\"event\":"
	    "\"mail\",\"sid\":\"7f3a2c01\",\"src\":\"198.51.100.10:43712\","
	    "\"dst\":\"203.0.113.25:25\",\"mac\":\"b8:27:eb:20:ab:35\","
	    "\"from\":\"worm@example.org\"}\n", "JSON rendering");
	line = ML("a\"\x01\xff\xe2\x80\xae", &llen);
	event_parse(line, llen, &rec, &why);
	event_json(&rec, json, sizeof(json));
	ok(strstr(json, "\"from\":\"a\\\"\\u0001\\ufffd\\u202e\"") != NULL,
	    "JSON escapes hostile bytes");

	/* the times of report lines, notices and --why */
	ok(event_utc(1772556344, -1, buf, sizeof(buf)) == 20 &&
	    strcmp(buf, "2026-03-03T16:45:44Z") == 0, "event_utc: %s", buf);
	ok(event_utc(1772556344, 7, buf, sizeof(buf)) == 24 &&
	    strcmp(buf, "2026-03-03T16:45:44.007Z") == 0, "event_utc, ms: %s",
	    buf);
	ok(event_utc(0, -1, buf, sizeof(buf)) == 20 &&
	    strcmp(buf, "1970-01-01T00:00:00Z") == 0, "event_utc: the epoch");
	ok(event_utc(1772556344, -1, buf, 20) == 0 && buf[0] == '\0',
	    "event_utc: a buffer a byte short gives \"\"");
	ok(event_utc(INT64_C(253402300800), -1, buf, sizeof(buf)) == 0 &&
	    buf[0] == '\0', "event_utc: the year 10000 gives \"\"");
	ok(event_utc(1772556344, 1000, buf, sizeof(buf)) == 0,
	    "event_utc: 1000 ms refused");
	return tap_done();
}
