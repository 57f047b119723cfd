/* unit tests for capturo/mime.c: header lookup, subjects, Message-ID */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "mime.h"
#include "tap.h"

#define U8(s)	((const uint8_t *)(s))

/* decode raw with the caller's real output size and compare it all */
static void
subj(const char *raw, const char *want, const char *what)
{
	char	out[SMTP_SUBJECT_MAX];
	size_t	n;
	int	cut = -1;

	n = mime_subject(U8(raw), strlen(raw), out, sizeof(out), &cut);
	is_str(out, want, "subject: %s", what);
	ok(n == strlen(want) && cut == 0, "subject: %s: len %zu cut %d", what,
	    n, cut);
}

static void
msgid(const char *raw, const char *want, const char *what)
{
	char	out[SMTP_SUBJECT_MAX];
	size_t	n;
	int	cut = -1;

	n = mime_msgid(U8(raw), strlen(raw), out, sizeof(out), &cut);
	is_str(out, want, "msgid: %s", what);
	ok(n == strlen(want) && cut == 0, "msgid: %s: len %zu cut %d", what,
	    n, cut);
}

/* the nine RFC 2047 subjects of the public Arkime captures */
static void
t_arkime(void)
{
	char	want[512];

	subj(" =?iso-8859-1?B?dGVzdCDlIOkg7iD4IPw=?=",
	    "test å é î ø ü", "arkime 8859-b");
	subj(" 4spaces    =?iso-8859-1?B?5SDpIO4g+CA=?= =?iso-8859-1?Q?=FC?=\r\n"
	    "     5spaces",
	    "4spaces    å é î ø ü     5spaces", "arkime 8859-multi");

	snprintf(want, sizeof(want), "é î ø ü%*stest", 185, "");
	subj(" =?iso-8859-1?Q?=E9_=EE_=F8_=FC____________?=\r\n"
	    " =?iso-8859-1?Q?_________________________________________________________?=\r\n"
	    " =?iso-8859-1?Q?_________________________________________________________?=\r\n"
	    " =?iso-8859-1?Q?_____?= =?iso-8859-1?Q?_?=\r\n"
	    "                                                     test",
	    want, "arkime 8859-q");

	subj(" =?ISO-8859-1?B?Qw==?==?ISO-8859-1?B?YW4=?==?ISO-8859-1?B?IHRoaXMg"
	    "MTAgU2Vjb25kIFRyaWNrIEhlbA==?==?ISO-8859-1?B?" "?==?ISO-8859-1?B?cCBQ"
	    "cmV2ZW50IFlPVVIgSGVhcnQgQQ==?==?ISO-8859-1?B?dHRhY2s/?=",
	    "Can this 10 Second Trick Help Prevent YOUR Heart Attack?",
	    "arkime encoded-empty");

	subj(" =?gb2312?B?dGVzdCCy4srU?=", "test 测试", "arkime gb2312-b");

	/*
	 * Arkime gives "xxéxxxxxxx  xx" and "xxxxxxxxxx  x" here: it keeps
	 * white space between encoded-words unless it is a single space.
	 * RFC 2047 6.2 drops all of it, and so does mime_subject().
	 */
	subj(" xxxxxxxxxxxxx:=?UTF-8?Q?=20xxxx=C3=AAxx=20xx=C3=A9xxxxxxx?=\r\n"
	    "  =?UTF-8?Q?xx=20xxx=20xxx=20xxxxxxxxxx?=\r\n"
	    "  =?UTF-8?Q?x=20xx=20xxxxxxxxxxxxxxx=20?==?UTF-8?Q?=2D=20xxxx?=",
	    "xxxxxxxxxxxxx: xxxxêxx xxéxxxxxxxxx xxx xxx xxxxxxxxxxx xx "
	    "xxxxxxxxxxxxxxx - xxxx", "arkime multi-nospace (RFC 2047 6.2)");

	snprintf(want, sizeof(want), "这是用空格测试%*så é î ø ü%*stest",
	    114, "", 78, "");
	subj(" =?utf-8?B?6L+Z5piv55So56m65qC85rWL6K+VICAg?=\r\n"
	    " =?utf-8?Q?______________________________________________________________?=\r\n"
	    " =?utf-8?Q?_________________________________________________=C3=A5_=C3=A9_?=\r\n"
	    " =?utf-8?B?w64gw7ggw7wgICAgICAgICAgICAgICAgICAg?= =?utf-8?Q?_?=\r\n"
	    "                                                          test",
	    want, "arkime utf8-mixed");

	subj(" =?utf-8?q?xxxxxx_xxxxxx_xx_xxxxxxxxx_xx-xxxxxxx=EF=BC=88ANA=EF=BC=89GGL?=\r\n"
	    " =?utf-8?q?=5Fxxxxxxxxxxxxx=5Fxxxxxx=2Ezip?=",
	    "xxxxxx xxxxxx xx xxxxxxxxx xx-xxxxxxx（ANA）GGL_xxxxxxxxxxxxx_xxxxxx.zip",
	    "arkime utf8-q");

	/*
	 * A raw Windows-1252 byte outside any encoded-word.  Arkime guesses
	 * the charset and prints U+2019; raw bytes are copied as they are
	 * and escaped by the event writer.
	 */
	subj(" Awesome windows: See What\x92s Next in charset decoding!",
	    "Awesome windows: See What\x92s Next in charset decoding!",
	    "arkime windows (raw 8-bit byte kept)");
}

/* RFC 2047 8, and a few more from the same section */
static void
t_rfc2047(void)
{
	subj("(=?ISO-8859-1?Q?a?=)", "(a)", "rfc2047 8 single");
	subj("(=?ISO-8859-1?Q?a?= b)", "(a b)", "rfc2047 8 word then text");
	subj("(=?ISO-8859-1?Q?a?=  b)", "(a  b)", "word then two spaces kept");
	subj("(=?ISO-8859-1?Q?a?= =?ISO-8859-1?Q?b?=)", "(ab)",
	    "rfc2047 8 space between words dropped");
	subj("(=?ISO-8859-1?Q?a?=  =?ISO-8859-1?Q?b?=)", "(ab)",
	    "rfc2047 8 two spaces between words dropped");
	subj("(=?ISO-8859-1?Q?a?=\r\n    =?ISO-8859-1?Q?b?=)", "(ab)",
	    "rfc2047 8 fold between words dropped");
	subj("(=?ISO-8859-1?Q?a_b?=)", "(a b)", "rfc2047 8 underscore");
	subj("(=?ISO-8859-1?Q?a?= =?ISO-8859-2?Q?_b?=)", "(a b)",
	    "rfc2047 8 two charsets");
	subj("=?US-ASCII?Q?Keith_Moore?=", "Keith Moore", "rfc2047 8 ascii");
	subj("=?ISO-8859-1?Q?Andr=E9?= Pirard", "André Pirard",
	    "rfc2047 8 word then text");
	subj("=?ISO-8859-1?Q?Olle_J=E4rnefors?=", "Olle Järnefors",
	    "rfc2047 8 latin1");
	subj("=?ISO-8859-1?B?SWYgeW91IGNhbiByZWFkIHRoaXMgeW8=?=\r\n"
	    "    =?ISO-8859-2?B?dSB1bmRlcnN0YW5kIHRoZSBleGFtcGxlLg==?=",
	    "If you can read this you understand the example.",
	    "rfc2047 8 folded B words");
	subj("a =?ISO-8859-1?Q?b?= c", "a b c", "spaces around a word kept");
}

static void
t_charsets(void)
{
	subj("=?ISO-8859-1?Q?Mensaje_de_prueba_=F1and=FA?=",
	    "Mensaje de prueba ñandú", "spanish in ISO-8859-1 Q");
	subj("=?iso-8859-1?q?Mensaje_de_prueba_=f1and=fa?=",
	    "Mensaje de prueba ñandú", "lower-case q and hex");
	subj("=?UTF-8?B?TWVuc2FqZSBkZSBwcnVlYmEgw7FhbmTDug==?=",
	    "Mensaje de prueba ñandú", "spanish in UTF-8 B");
	subj("=?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?=", "テスト",
	    "stateful ISO-2022-JP");
	subj("=?Shift_JIS?B?k/qWe4zq?=", "日本語", "Shift_JIS");
	subj("=?KOI8-R?B?8NLJ18XU?=", "Привет", "KOI8-R");
	subj("=?ISO-8859-7?B?xevr5+3p6tw=?=", "Ελληνικά", "ISO-8859-7");
	subj("=?windows-1252?Q?What=92s?=", "What’s", "windows-1252");
	/* six charsets in turn: converters leave and re-enter the cache */
	subj("=?KOI8-R?B?8NLJ18XU?= =?ISO-8859-7?B?xevr5+3p6tw=?= "
	    "=?Shift_JIS?B?k/qWe4zq?= =?ISO-2022-JP?B?GyRCJUYlOSVIGyhC?= "
	    "=?ISO-8859-1?Q?=F1?= =?windows-1252?Q?=92?= "
	    "=?KOI8-R?B?8NLJ18XU?= =?ISO-8859-7?B?xevr5+3p6tw=?=",
	    "ПриветΕλληνικά日本語テストñ’ПриветΕλληνικά", "cache eviction");
	subj("=?US-ASCII*EN?Q?a?=", "a", "RFC 2231 language suffix");
	subj("=?utf-8*es-ES?Q?=C3=B1?= x", "ñ x", "RFC 2231 language, utf-8");
	subj("=?x-no-such-charset?Q?abc?= tail",
	    "=?x-no-such-charset?Q?abc?= tail", "unknown charset left raw");
	subj("=?x-nope?Q?a?= =?x-nope?Q?b?=", "=?x-nope?Q?a?= =?x-nope?Q?b?=",
	    "two unknown-charset words keep their space");
	subj("=?UTF-8//TRANSLIT?Q?a?=", "=?UTF-8//TRANSLIT?Q?a?=",
	    "charset with / refused");
	subj("=?UTF,8?Q?a?=", "=?UTF,8?Q?a?=", "charset with , refused");
	subj("=?AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "?Q?a?=",
	    "=?AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	    "?Q?a?=", "65-byte charset name refused");
	subj("=??Q?a?=", "=??Q?a?=", "empty charset refused");
	subj("=?*en?Q?a?=", "=?*en?Q?a?=", "language only refused");
}

static void
t_split(void)
{
	subj("=?UTF-8?Q?pi=C3?= =?UTF-8?Q?=B1a?=", "piña",
	    "character split over two Q words");
	subj("=?UTF-8?B?cGnD?=\r\n =?UTF-8?B?sWE=?=", "piña",
	    "character split over two folded B words");
	subj("=?utf-8?B?cGnD?= =?UTF-8?Q?=B1a?=", "piña",
	    "split over words with charset in different case");
	subj("=?UTF-8?Q?pi=C3?=", "=?UTF-8?Q?pi=C3?=",
	    "incomplete character (EINVAL) left raw");
	subj("x =?UTF-8?Q?pi=C3?= =?UTF-8?Q?=41?= y",
	    "x =?UTF-8?Q?pi=C3?= =?UTF-8?Q?=41?= y",
	    "invalid sequence in a group (EILSEQ): the group left raw");
	subj("=?UTF-8?Q?=FF?=", "=?UTF-8?Q?=FF?=", "invalid UTF-8 left raw");
	subj("=?UTF-8?Q?pi=C3?= =?ISO-8859-1?Q?=B1a?=",
	    "=?UTF-8?Q?pi=C3?=±a", "no join across charsets");
}

static void
t_malformed(void)
{
	subj("=?UTF-8?B?SGVsbG8*?=", "=?UTF-8?B?SGVsbG8*?=",
	    "base64: bad character");
	subj("=?UTF-8?B?SGV=bG8=?=", "=?UTF-8?B?SGV=bG8=?=",
	    "base64: padding in the middle");
	subj("=?UTF-8?B?S?=", "=?UTF-8?B?S?=", "base64: lone character");
	subj("=?UTF-8?B?SGk===?=", "=?UTF-8?B?SGk===?=",
	    "base64: three pad characters");
	subj("=?UTF-8?B?SGk?=", "Hi", "base64: padding left out");
	subj("=?UTF-8?B?SGk=?=", "Hi", "base64: padded");
	subj("=?UTF-8?B?SG k=?=", "=?UTF-8?B?SG k=?=", "base64: space inside");
	subj("=?UTF-8?Q?a=4?=", "=?UTF-8?Q?a=4?=", "Q: short =H");
	subj("=?UTF-8?Q?a=ZZ?=", "=?UTF-8?Q?a=ZZ?=", "Q: =ZZ not hex");
	subj("=?UTF-8?X?a?=", "=?UTF-8?X?a?=", "unknown encoding");
	subj("=?UTF-8?Q?abc", "=?UTF-8?Q?abc", "no ?= at the end");
	subj("=?UTF-8?Q?abc?", "=?UTF-8?Q?abc?", "? without = at the end");
	subj("=?UTF-8", "=?UTF-8", "cut inside the charset");
	subj("=?", "=?", "bare =?");
	subj("=?UTF-8?Q?\xc3\xb1?=", "=?UTF-8?Q?\xc3\xb1?=",
	    "8-bit byte in encoded-text");
	subj("=?UTF-8?Q?=3F?= ?= =?", "? ?= =?", "decoded ? and stray markers");
	subj("=?UTF-8?Q?" "?=", "", "empty Q word");
	subj("=?UTF-8?B?" "?=", "", "empty B word");
	subj("a =?UTF-8?B?" "?= b", "a  b", "empty word between text");
	subj("=?UTF-8?Q?a?= =?UTF-8?Q?" "?= =?UTF-8?Q?b?=", "ab",
	    "empty word between words");
}

static void
t_fold(void)
{
	subj("Hello\r\n world", "Hello world", "folded with CRLF");
	subj("Hello\n\tworld", "Hello\tworld", "folded with bare LF");
	subj("  \t Hello  \r\n  ", "Hello", "trimmed");
	subj("Hello\r\n\r\n world", "Hello\r\n world",
	    "a CRLF not followed by WSP is not a fold");
	subj("Ma\xc3\xb1" "ana", "Mañana", "RFC 6532 raw UTF-8 kept");
	subj("", "", "empty");
	subj(" \r\n ", "", "only white space");
}

static void
t_cut(void)
{
	char	 buf[16];
	size_t	 n;
	int	 cut, i, clean;

	/* "ñññ" is 6 bytes; outsz 6 leaves room for 5 */
	memset(buf, 0xaa, sizeof(buf));
	n = mime_subject(U8("=?UTF-8?Q?=C3=B1=C3=B1=C3=B1?="), 30, buf, 6,
	    &cut);
	ok(n == 4 && cut == 1 && strcmp(buf, "ññ") == 0,
	    "cut: encoded, at a character boundary (n %zu cut %d)", n, cut);
	for (clean = 1, i = 6; i < (int)sizeof(buf); i++)
		if ((uint8_t)buf[i] != 0xaa)
			clean = 0;
	ok(clean, "cut: nothing written past outsz");

	n = mime_subject(U8("=?UTF-8?Q?=C3=B1=C3=B1=C3=B1?="), 30, buf, 7,
	    &cut);
	ok(n == 6 && cut == 0 && strcmp(buf, "ñññ") == 0,
	    "cut: exact fit is not cut (n %zu cut %d)", n, cut);

	n = mime_subject(U8("ñññ"), 6, buf, 6, &cut);
	ok(n == 4 && cut == 1 && strcmp(buf, "ññ") == 0,
	    "cut: raw UTF-8 at a boundary (n %zu cut %d)", n, cut);

	n = mime_subject(U8("a€€"), 7, buf, 7, &cut);
	ok(n == 4 && cut == 1 && strcmp(buf, "a€") == 0,
	    "cut: 3-byte character (n %zu cut %d)", n, cut);

	n = mime_subject(U8("abcdef"), 6, buf, 4, &cut);
	ok(n == 3 && cut == 1 && strcmp(buf, "abc") == 0,
	    "cut: ASCII (n %zu cut %d)", n, cut);

	n = mime_subject(U8("=?ISO-8859-1?Q?=F1?= abc"), 24, buf, 3, &cut);
	ok(n == 2 && cut == 1 && strcmp(buf, "ñ") == 0,
	    "cut: after a converted word (n %zu cut %d)", n, cut);

	n = mime_subject(U8("=?ISO-8859-1?Q?a=F1?="), 21, buf, 3, &cut);
	ok(n == 1 && cut == 1 && strcmp(buf, "a") == 0,
	    "cut: iconv stops before a character (n %zu cut %d)", n, cut);

	memset(buf, 0xaa, sizeof(buf));
	n = mime_subject(U8("abc"), 3, buf, 1, &cut);
	ok(n == 0 && cut == 1 && buf[0] == '\0' && (uint8_t)buf[1] == 0xaa,
	    "cut: outsz 1 holds only the NUL");
	n = mime_subject(U8("abc"), 3, NULL, 0, &cut);
	ok(n == 0 && cut == 1, "cut: outsz 0 writes nothing");
	n = mime_subject(U8("abc"), 3, buf, sizeof(buf), NULL);
	ok(n == 3 && strcmp(buf, "abc") == 0, "cut: cut may be NULL");

	n = mime_msgid(U8("<abcdefgh@example.org>"), 22, buf, 8, &cut);
	ok(n == 7 && cut == 1 && strcmp(buf, "<abcdef") == 0,
	    "cut: msgid (n %zu cut %d)", n, cut);
}

/* 100 KB of hostile input: no crash, bounded output, cut reported */
static void
t_huge(void)
{
	static const char *const pat[] = {
		"=?UTF-8?B?QUJD?= ",
		"=?",
		"=?x?q?",
		"x",
		"=?UTF-8?Q?=C3?=",
		"(\\",
		"\r\n ",
	};
	char		 out[SMTP_SUBJECT_MAX];
	uint8_t		*big;
	size_t		 i, k, n, bl = 100 * 1024;
	int		 cut;

	if ((big = malloc(bl)) == NULL) {
		ok(0, "huge: malloc");
		return;
	}
	for (k = 0; k < sizeof(pat) / sizeof(pat[0]); k++) {
		for (i = 0; i < bl; i++)
			big[i] = (uint8_t)pat[k][i % strlen(pat[k])];
		n = mime_subject(big, bl, out, sizeof(out), &cut);
		ok(n < sizeof(out) && strlen(out) <= n && cut == 1,
		    "huge: subject, pattern %zu (n %zu cut %d)", k, n, cut);
		n = mime_msgid(big, bl, out, sizeof(out), &cut);
		ok(n < sizeof(out), "huge: msgid, pattern %zu (n %zu)", k, n);
	}
	for (i = 0; i < bl; i++)
		big[i] = (uint8_t)"=?UTF-8?B?QUJD?= "[i % 17];
	n = mime_subject(big, bl, out, sizeof(out), &cut);
	/* the header block ends first: cut, every word joined to the next */
	ok(n > 1024 && cut == 1 && strncmp(out, "ABCABC", 6) == 0 &&
	    strspn(out, "ABC") > 2048,
	    "huge: adjacent words joined, cut at the header limit (n %zu)", n);
	for (i = 0; i < bl; i++)
		big[i] = 'x';
	memcpy(big, "Subject: ", 9);
	n = mime_subject(big + 9, bl - 9, out, sizeof(out), &cut);
	ok(n == sizeof(out) - 1 && cut == 1, "huge: plain text cut at %zu", n);
	free(big);
}

static void
t_header(void)
{
	static const char hdr[] =
	    "Received: from a\r\n"
	    "\tby b; Mon, 1 Jan 2024 00:00:00 +0000\r\n"
	    "Subjects: not this one\r\n"
	    "X-Subject: nor this\r\n"
	    "SUBJECT: first\r\n"
	    " line two\r\n"
	    "\tline three\r\n"
	    "Subject: second\r\n"
	    "Message-ID : <1@example.org>\r\n"
	    "Empty:\r\n"
	    "Last: no line end";
	static const char lf[] =
	    "From: a@example.org\n"
	    "Subject: bare\n"
	    " LF\n"
	    "To: b@example.org\n";
	const uint8_t	*v;
	size_t		 vl;
	char		 s[128];
	int		 r;

#define GET(h, name)	(v = NULL, vl = 0,				\
	r = mime_header(U8(h), strlen(h), (name), &v, &vl),		\
	snprintf(s, sizeof(s), "%.*s", (int)vl,				\
	    v != NULL ? (const char *)v : ""), r)

	ok(GET(hdr, "subject") == 0, "header: lower-case name found");
	is_str(s, " first\r\n line two\r\n\tline three",
	    "header: first field, folded, no final CRLF");
	ok(GET(hdr, "SuBjEcT") == 0 && strcmp(s, " first\r\n line two\r\n"
	    "\tline three") == 0, "header: mixed-case name");
	ok(GET(hdr, "Subjects") == 0 && strcmp(s, " not this one") == 0,
	    "header: Subjects is its own field");
	ok(GET(hdr, "Subject") == 0 && strncmp(s, " first", 6) == 0,
	    "header: Subject is not matched by Subjects: or X-Subject:");
	ok(GET(hdr, "Subj") == -1, "header: a prefix of a name is absent");
	ok(GET(hdr, "message-id") == 0 && strcmp(s, " <1@example.org>") == 0,
	    "header: obsolete WSP before the colon");
	ok(GET(hdr, "Received") == 0 &&
	    strcmp(s, " from a\r\n\tby b; Mon, 1 Jan 2024 00:00:00 +0000") == 0,
	    "header: first line of the block");
	ok(GET(hdr, "Empty") == 0 && vl == 0, "header: empty body");
	ok(GET(hdr, "Last") == 0 && strcmp(s, " no line end") == 0,
	    "header: last line without line end");
	ok(GET(hdr, "line two") == -1 && GET(hdr, "by b; Mon") == -1,
	    "header: names with space refused");
	ok(GET(hdr, "line") == -1, "header: continuation lines are no fields");
	ok(GET(hdr, "Cc") == -1, "header: absent");
	ok(GET(hdr, "") == -1 && GET(hdr, "Subject:") == -1,
	    "header: empty name and name with colon refused");
	ok(GET(lf, "subject") == 0 && strcmp(s, " bare\n LF") == 0,
	    "header: bare LF lines");
	ok(GET(lf, "to") == 0 && strcmp(s, " b@example.org") == 0,
	    "header: bare LF, last field");
	ok(GET("A: 1\r\n\r\nB: 2\r\n", "B") == -1,
	    "header: stops at the empty line");
	ok(GET("A: 1\n\nB: 2\n", "B") == -1,
	    "header: stops at a bare-LF empty line");
	ok(GET("Subject", "Subject") == -1 && GET("Subject\r\n", "Subject")
	    == -1, "header: name without colon");
	r = mime_header(NULL, 0, "Subject", &v, &vl);
	ok(r == -1, "header: empty block");

	/* found and decoded */
	ok(GET(hdr, "subject") == 0, "header: subject again");
	{
		char	out[64];
		int	cut;

		mime_subject(v, vl, out, sizeof(out), &cut);
		is_str(out, "first line two\tline three",
		    "header: subject unfolded");
	}
#undef GET
}

static void
t_msgid(void)
{
	msgid(" <20131212194457.GA7990@xxx.net>",
	    "<20131212194457.GA7990@xxx.net>", "plain");
	msgid("  \t<a@b>  \r\n", "<a@b>", "white space");
	msgid(" (comment) <a@b> (another one)", "<a@b>", "comments");
	msgid(" (nested (comment \\) ) here)\r\n <a@b>", "<a@b>",
	    "nested comment with quoted-pair, folded");
	msgid("\r\n <a@b>", "<a@b>", "folded before");
	msgid(" <a@\r\n b>", "<a@ b>", "folded inside (obsolete)");
	msgid(" abc@def (c)", "abc@def", "no brackets");
	msgid(" <a@b> <c@d>", "<a@b>", "first of two");
	msgid(" <unterminated@x", "<unterminated@x", "no closing bracket");
	msgid(" (unterminated <a@b>", "", "unterminated comment");
	msgid("", "", "empty");
}

/* with a file argument: decode it as a header block (fuzzing driver) */
static int
run_file(const char *path)
{
	static uint8_t	 buf[4 * SMTP_HDR_MAX];
	char		 out[SMTP_SUBJECT_MAX];
	const uint8_t	*v;
	size_t		 n, vl;
	FILE		*fp;
	int		 cut;

	if ((fp = fopen(path, "rb")) == NULL) {
		perror(path);
		return 1;
	}
	n = fread(buf, 1, sizeof(buf), fp);
	fclose(fp);
	if (mime_header(buf, n, "Subject", &v, &vl) == 0) {
		mime_subject(v, vl, out, sizeof(out), &cut);
		printf("subject %s cut=%d\n", out, cut);
	}
	if (mime_header(buf, n, "Message-ID", &v, &vl) == 0) {
		mime_msgid(v, vl, out, sizeof(out), &cut);
		printf("msgid %s cut=%d\n", out, cut);
	}
	mime_subject(buf, n, out, sizeof(out), &cut);
	mime_msgid(buf, n, out, sizeof(out), &cut);
	return 0;
}

int
main(int argc, char *argv[])
{
	if (argc > 1)
		return run_file(argv[1]);
	t_arkime();
	t_rfc2047();
	t_charsets();
	t_split();
	t_malformed();
	t_fold();
	t_cut();
	t_huge();
	t_header();
	t_msgid();
	return tap_done();
}
