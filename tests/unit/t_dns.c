/* unit tests of capturo/dns.c: MX queries, names, compression, TCP framing */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "dns.h"
#include "tap.h"

/*
 * Queries as sent on the wire, UDP payloads: dig 9.18 on Debian 12
 * (EDNS with UDPsize 1232 and a client cookie unless told otherwise),
 * captured with tcpdump.
 */
/* dig MX example.com: EDNS OPT, COOKIE f2383dd0a3164a93 */
#define Q_EDNS		"130f01200001000000000001076578616d706c6503636f6d0000" \
			"0f000100002904d000000000000c000a0008f2383dd0a3164a93"
/* its answer: NXDOMAIN, QR 1 */
#define R_EDNS		"130f81830001000000000001076578616d706c6503636f6d0000" \
			"0f00010000292000000000000000"
/* dig +noedns MX gmail.com, and its answer */
#define Q_PLAIN		"31f90120000100000000000005676d61696c03636f6d00000f00" \
			"01"
#define R_PLAIN		"31f98183000100000000000005676d61696c03636f6d00000f00" \
			"01"
/* dig +tcp MX Example.ORG: the client's TCP payload, length first */
#define Q_TCP		"0034f3be01200001000000000001074578616d706c65034f5247" \
			"00000f000100002904d000000000000c000a00080b9f6f685768" \
			"0240"
/* dig +padding=128 +dnssec MX xn--bcher-kva.example: DO, cookie, padding */
#define Q_PAD		"fc83012000010000000000010d786e2d2d62636865722d6b7661" \
			"076578616d706c6500000f000100002904d000008000004e000a" \
			"000813b97642d3170438000c003e000000000000000000000000" \
			"0000000000000000000000000000000000000000000000000000" \
			"000000000000000000000000000000000000000000000000"
/* dig +nocookie MX 'odd\.label\\x\032y.EXAMPLE.net': a label "odd.label\x y" */
#define Q_ODD		"f76f012000010000000000010d6f64642e6c6162656c5c782079" \
			"074558414d504c45036e657400000f000100002904d000000000" \
			"0000"
/* dig -t MX -c CH example.com */
#define Q_CHAOS		"0c0a01200001000000000001076578616d706c6503636f6d0000" \
			"0f000300002904d000000000000c000a0008d26fbf4d165576a9"
/* dig -t MX . */
#define Q_ROOT		"280f0120000100000000000100000f000100002904d000000000" \
			"000c000a0008127f39c353144d7a"
/* dig -t A example.com */
#define Q_A		"056101200001000000000001076578616d706c6503636f6d0000" \
			"01000100002904d000000000000c000a0008d1c696cc104e9fa8"
/*
 * An A query of a Windows client and its answer, compressed, from
 * suricata-verify's capture sv__bug-3616-smtp.pcap (../shared/pcaps)
 */
#define Q_WIN		"795601000001000000000000046d61696c0870617472696f7473" \
			"02696e0000010001"
#define R_WIN		"795681800001000200020000046d61696c0870617472696f7473" \
			"02696e0000010001c00c0005000100002a4b0002c011c0110001" \
			"000100002a4c00044a358c99c011000200010001438c0006036e" \
			"7332c011c011000200010001438c0006036e7331c011"

#define MSG_MAX		(64 * 1024)

static uint8_t	 msg[MSG_MAX];

static int
hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	abort();
}

/* hex into msg; returns the length */
static size_t
unhex(const char *h)
{
	size_t	n = 0;

	for (; h[0] != '\0' && h[1] != '\0'; h += 2)
		msg[n++] = (uint8_t)(hexval(h[0]) << 4 | hexval(h[1]));
	return n;
}

/* dns_mx_query() on len bytes of msg, the answer and the name compared */
static void
query(size_t len, int want, const char *wname, const char *what)
{
	char		 name[DNS_NAME_TEXT_MAX];
	const char	*why = NULL;
	int		 rc;

	memset(name, 'x', sizeof(name));
	rc = dns_mx_query(msg, len, name, sizeof(name), &why);
	ok(rc == want, "%s: %d (%s)", what, rc, rc == 1 ? "mx" : why);
	if (want == 1 && wname != NULL)
		is_str(name, wname, "%s: the name", what);
	else if (want != 1)
		ok(name[0] == '\0' && why != NULL, "%s: no name, a reason",
		    what);
}

static void
t_real(void)
{
	query(unhex(Q_EDNS), 1, "example.com", "dig, EDNS and a cookie");
	query(unhex(R_EDNS), 0, NULL, "its answer");
	query(unhex(Q_PLAIN), 1, "gmail.com", "dig +noedns");
	query(unhex(R_PLAIN), 0, NULL, "its answer");
	query(unhex(Q_PAD), 1, "xn--bcher-kva.example", "dig, DO and padding");
	query(unhex(Q_ODD), 1, "odd\\.label\\\\x\\032y.example.net",
	    "a label with a dot, a backslash and a space");
	query(unhex(Q_CHAOS), 0, NULL, "MX in class CH");
	query(unhex(Q_ROOT), 1, ".", "the root");
	query(unhex(Q_A), 0, NULL, "type A");
	query(unhex(Q_WIN), 0, NULL, "type A, Windows");
	query(unhex(R_WIN), 0, NULL, "a compressed answer");
}

/* every prefix of a query; from qend on, the whole question is there */
static void
prefixes(const char *hex, size_t qend, const char *wname, const char *what)
{
	char		 name[DNS_NAME_TEXT_MAX];
	const char	*why;
	size_t		 len, i, bad = 0;
	uint8_t		*cut;
	int		 rc;

	len = unhex(hex);
	for (i = 0; i < len; i++) {
		/* a copy of exactly i bytes: a read past them is seen */
		if ((cut = malloc(i > 0 ? i : 1)) == NULL)
			abort();
		memcpy(cut, msg, i);
		why = NULL;
		rc = dns_mx_query(cut, i, name, sizeof(name), &why);
		if (i < qend ? rc != -1 || why == NULL :
		    rc != 1 || strcmp(name, wname) != 0) {
			if (bad++ == 0)
				printf("# %zu bytes: %d %s\n", i, rc,
				    rc == 1 ? name : why);
		}
		free(cut);
	}
	ok(bad == 0, "%s: %zu prefixes, -1 below %zu bytes, 1 from there",
	    what, len, qend);
}

static void
t_prefix(void)
{
	prefixes(Q_PLAIN, 27, "gmail.com", "dig +noedns");
	prefixes(Q_EDNS, 29, "example.com", "dig, EDNS");
	prefixes(Q_PAD, 39, "xn--bcher-kva.example", "dig, padding");
	prefixes(Q_ROOT, 17, ".", "the root");
}

/* the header: QR, OPCODE, QDCOUNT, and the bits that do not matter */
static void
t_header(void)
{
	size_t	len;
	int	op;

	len = unhex(Q_PLAIN);
	msg[2] |= 0x80;
	query(len, 0, NULL, "QR 1");
	for (op = 1; op < 16; op++) {
		len = unhex(Q_PLAIN);
		msg[2] = (uint8_t)(msg[2] | op << 3);
		query(len, 0, NULL, "OPCODE");
	}
	len = unhex(Q_PLAIN);
	msg[5] = 0;
	query(len, 0, NULL, "QDCOUNT 0 (RFC 7873 5.4)");
	len = unhex(Q_PLAIN);
	msg[5] = 0;
	query(12, 0, NULL, "QDCOUNT 0, a header alone");
	len = unhex(Q_PLAIN);
	msg[4] = 0xff;
	msg[5] = 0xff;
	query(len, 1, "gmail.com", "QDCOUNT 65535: the first question decides");
	len = unhex(Q_PLAIN);
	msg[2] = 0x07;		/* AA TC RD */
	msg[3] = 0xff;		/* RA Z AD CD RCODE */
	memset(msg + 6, 0xff, 6);	/* the other counts */
	query(len, 1, "gmail.com", "flags and counts that do not matter");
	query(0, -1, NULL, "no bytes");
	len = unhex(Q_PLAIN);
	query(11, -1, NULL, "11 bytes");
}

/* the type and class of the first question */
static void
t_type(void)
{
	static const struct {
		unsigned	 type, class;
		int		 want;
		const char	*what;
	} tc[] = {
		{ 15, 1, 1, "MX IN" },
		{ 1, 1, 0, "A IN" },
		{ 28, 1, 0, "AAAA IN" },
		{ 255, 1, 0, "ANY IN" },
		{ 15, 3, 0, "MX CH" },
		{ 15, 255, 0, "MX in CLASS ANY" },
		{ 15, 0x8001, 0, "MX in class 0x8001 (mDNS's QU bit)" },
		{ 0x0f00, 0x0100, 0, "byte-swapped MX IN" },
	};
	size_t	len, i;

	for (i = 0; i < sizeof(tc) / sizeof(tc[0]); i++) {
		len = unhex(Q_PLAIN);
		msg[len - 4] = (uint8_t)(tc[i].type >> 8);
		msg[len - 3] = (uint8_t)tc[i].type;
		msg[len - 2] = (uint8_t)(tc[i].class >> 8);
		msg[len - 1] = (uint8_t)tc[i].class;
		query(len, tc[i].want, "gmail.com", tc[i].what);
	}
}

/* a standard query with the question name q (qlen bytes), MX IN */
static size_t
build(const uint8_t *q, size_t qlen)
{
	static const uint8_t	 hdr[12] = { 0x12, 0x34, 0x01, 0x00, 0, 1 };

	memcpy(msg, hdr, sizeof(hdr));
	memcpy(msg + 12, q, qlen);
	memcpy(msg + 12 + qlen, "\0\17\0\1", 4);
	return 12 + qlen + 4;
}

#define B(s)	((const uint8_t *)(s)), (sizeof(s) - 1)

/* RFC 1035 4.1.4 compression, and its abuse */
static void
t_compress(void)
{
	char		 name[DNS_NAME_TEXT_MAX];
	const char	*why;
	size_t		 len, end, i;
	int		 fits, rc, m;

	/* a pointer can only point into the header: make one a name */
	len = build(B("\xc0\x00"));
	msg[0] = 1;
	msg[1] = 'a';
	msg[2] = 0;		/* QR 0, OPCODE 0, and the root */
	query(len, 1, "a", "a pointer back into the header");
	len = build(B("\001b\xc0\x00"));
	msg[0] = 1;
	msg[1] = 'a';
	msg[2] = 0;
	query(len, 1, "b.a", "a label, then a pointer back");

	query(build(B("\xc0\x0c")), -1, NULL, "a pointer to itself");
	query(build(B("\xc0\x0e\x00")), -1, NULL, "a pointer forward");
	query(build(B("\001b\xc0\x0c")), -1, NULL,
	    "a pointer to the name's own start");
	query(build(B("\001b\xc1\x00")), -1, NULL,
	    "a pointer forward, past the end");
	len = build(B("\001b\xc0"));
	query(len - 4, -1, NULL, "a pointer cut short");

	/*
	 * A loop through the header: 12 -> 4 -> 0, a label at 0 and one
	 * at 2, then 4 again.  Every pointer points before itself; the
	 * second visit to 4 points no further back than 0, where the
	 * labels being read began.
	 */
	len = build(B("\xc0\x04"));
	memcpy(msg, "\001a\001b\xc0\x00", 6);	/* QDCOUNT 0xc000 */
	query(len, -1, NULL, "a loop through the header");
	why = NULL;
	dns_mx_query(msg, len, name, sizeof(name), &why);
	is_str(why, "compression pointer not backwards", "the loop's reason");

	/*
	 * dns_name() at any offset: a chain of m pointers, each to the
	 * one before it, the first to a root at 0.
	 */
	for (m = DNS_PTR_MAX; m <= DNS_PTR_MAX + 1; m++) {
		msg[0] = 0;
		msg[1] = 0;
		for (i = 1; i <= (size_t)m; i++) {
			msg[2 * i] = 0xc0;
			msg[2 * i + 1] = (uint8_t)(2 * i - 2);
		}
		why = NULL;
		rc = dns_name(msg, 2 * (size_t)m + 2, 2 * (size_t)m, &end,
		    name, sizeof(name), &fits, &why);
		if (m <= DNS_PTR_MAX)
			ok(rc == 0 && fits && strcmp(name, ".") == 0 &&
			    end == 2 * (size_t)m + 2, "%d pointers in a row",
			    m);
		else
			ok(rc == -1 && why != NULL &&
			    strcmp(why, "too many compression pointers") == 0,
			    "%d pointers in a row: %s", m, why);
	}

	/*
	 * A name made long by a pointer: three labels of 63 and the root
	 * at 0 (193 bytes), then one label and a pointer to them at 201.
	 */
	for (i = 0; i < 3; i++) {
		msg[64 * i] = 63;
		memset(msg + 64 * i + 1, 'a', 63);
	}
	memset(msg + 192, 0, 9);
	msg[201] = 62;
	memset(msg + 202, 'b', 62);
	msg[264] = 0xc0;
	msg[265] = 0;
	why = NULL;
	rc = dns_name(msg, 266, 201, &end, name, sizeof(name), &fits, &why);
	ok(rc == -1 && why != NULL && strcmp(why, "name over 255 bytes") == 0,
	    "a pointer that makes a name of 256 bytes: %s", why);
	msg[201] = 61;
	msg[263] = 0xc0;
	msg[264] = 0;
	rc = dns_name(msg, 266, 201, &end, name, sizeof(name), &fits, &why);
	ok(rc == 0 && fits && strlen(name) == 61 + 1 + 3 * 64 - 1 &&
	    end == 265, "one of 255 bytes: %zu of text", strlen(name));
}

/* a name of labels of the lengths given, each byte c */
static size_t
labels(const int *lens, size_t n, uint8_t c)
{
	uint8_t	 q[1024];
	size_t	 i, k = 0;

	for (i = 0; i < n; i++) {
		q[k++] = (uint8_t)lens[i];
		memset(q + k, c, (size_t)lens[i]);
		k += (size_t)lens[i];
	}
	q[k++] = 0;
	return build(q, k);
}

/* lengths: labels, names, label types, and the caller's buffer */
static void
t_length(void)
{
	static const int	 full[] = { 63, 63, 63, 61 };
	static const int	 over[] = { 63, 63, 63, 62 };
	int			 many[64];
	char			 name[DNS_NAME_TEXT_MAX];
	char			 want[DNS_NAME_TEXT_MAX];
	char			*small;
	const char		*why;
	size_t			 len, i, k, n;
	int			 rc;

	for (i = 0; i < 64; i++)
		many[i] = 3;
	query(labels(many, 64, 'a'), -1, NULL, "64 labels: 257 bytes");
	query(labels(many, 63, 'a'), 1, NULL, "63 labels: 253 bytes");
	len = labels(full, 4, 'A');
	memset(want, 'a', 63);
	want[63] = '.';
	memset(want + 64, 'a', 63);
	want[127] = '.';
	memset(want + 128, 'a', 63);
	want[191] = '.';
	memset(want + 192, 'a', 61);
	want[253] = '\0';
	query(len, 1, want, "255 bytes, upper case");
	query(labels(over, 4, 'a'), -1, NULL, "256 bytes");

	/* the worst name: 255 bytes, every one \DDD */
	len = labels(full, 4, 0xff);
	for (n = 0, i = 0; i < 4; i++) {
		for (k = 0; k < (size_t)full[i]; k++) {
			memcpy(want + n, "\\255", 4);
			n += 4;
		}
		want[n++] = '.';
	}
	want[n - 1] = '\0';
	query(len, 1, want, "255 bytes of 0xff");
	ok(strlen(want) + 1 <= DNS_NAME_TEXT_MAX, "%zu bytes of text fit "
	    "DNS_NAME_TEXT_MAX", strlen(want) + 1);

	/* exactly the room needed, and one byte less */
	n = strlen(want) + 1;
	if ((small = malloc(n)) == NULL)
		abort();
	rc = dns_mx_query(msg, len, small, n, &why);
	ok(rc == 1 && strcmp(small, want) == 0, "a buffer of %zu bytes", n);
	rc = dns_mx_query(msg, len, small, n - 1, &why);
	ok(rc == -1 && small[0] == '\0', "a buffer of %zu bytes: %s", n - 1,
	    why);
	rc = dns_mx_query(msg, len, small, 0, &why);
	ok(rc == -1, "no buffer: %s", why);
	free(small);
	query(build(B("\0")), 1, ".", "the root, built");
	rc = dns_mx_query(msg, 12 + 1 + 4, name, 2, &why);
	ok(rc == 1 && strcmp(name, ".") == 0, "the root in 2 bytes");
	rc = dns_mx_query(msg, 12 + 1 + 4, name, 1, &why);
	ok(rc == -1, "the root in 1 byte: %s", why);
	/* a name too long for the buffer, but not an MX query: 0 */
	len = unhex(Q_A);
	rc = dns_mx_query(msg, len, name, 4, &why);
	ok(rc == 0, "type A, a small buffer: %d", rc);

	query(build(B("\100abc\0")), -1, NULL, "label type 01 (RFC 6891 5)");
	query(build(B("\200abc\0")), -1, NULL, "label type 10");
	query(build(B("\077abc\0")), -1, NULL, "a label past the end");
	query(build(B("\003abc")) - 4, -1, NULL, "no root label");
}

/* what becomes of each byte of a label */
static void
t_escape(void)
{
	query(build(B("\025AZaz09-_.\\ \"\0\177\377@*;()$\0")), 1,
	    "azaz09-_\\.\\\\\\032\\034\\000\\127\\255\\064\\042\\059"
	    "\\040\\041\\036", "odd bytes");
	query(build(B("\003WwW\007ExAmPlE\003CoM\0")), 1, "www.example.com",
	    "upper case");
	query(build(B("\001.\001.\0")), 1, "\\..\\.", "labels of one dot");
	query(build(B("\001\0\0")), 1, "\\000", "a label of one NUL");
	query(build(B("\002\303\251\0")), 1, "\\195\\169", "UTF-8");
}

/* --- TCP --- */

struct got {
	int	 n;
	char	 names[8][DNS_NAME_TEXT_MAX];
	int	 rc[8];
	size_t	 len[8];
};

static void
got_msg(void *ctx, const uint8_t *p, size_t len)
{
	struct got	*g = ctx;
	const char	*why;

	if (g->n < 8) {
		g->len[g->n] = len;
		g->rc[g->n] = dns_mx_query(p, len, g->names[g->n],
		    sizeof(g->names[0]), &why);
	}
	g->n++;
}

static uint8_t	 stream[8 * 1024];

static size_t
add(size_t at, const char *hex)
{
	size_t	len = unhex(hex);

	stream[at] = (uint8_t)(len >> 8);
	stream[at + 1] = (uint8_t)len;
	memcpy(stream + at + 2, msg, len);
	return at + 2 + len;
}

/* feed stream in pieces of step bytes (0: whole) */
static void
feed(size_t len, size_t step, struct dns_tcp *t, struct got *g)
{
	size_t	i, k;

	memset(g, 0, sizeof(*g));
	dns_tcp_init(t);
	if (step == 0)
		step = len;
	for (i = 0; i < len; i += k) {
		k = len - i < step ? len - i : step;
		dns_tcp_feed(t, stream + i, k, got_msg, g);
	}
}

static void
t_tcp(void)
{
	static struct dns_tcp	 t;
	static struct got	 g;
	unsigned long long	 rng = 0x9e3779b97f4a7c15ULL;
	size_t			 len, i, k, step, bad;

	/* the client's payload as captured: length and message */
	len = unhex(Q_TCP);
	memcpy(stream, msg, len);
	feed(len, 0, &t, &g);
	ok(g.n == 1 && g.rc[0] == 1 && strcmp(g.names[0], "example.org") == 0,
	    "dig +tcp, as captured: %d messages, %s", g.n, g.names[0]);

	len = add(0, Q_EDNS);
	len = add(len, Q_PLAIN);
	for (step = 0; step <= 2; step++) {
		feed(len, step, &t, &g);
		ok(g.n == 2 && g.rc[0] == 1 && g.rc[1] == 1 &&
		    strcmp(g.names[0], "example.com") == 0 &&
		    strcmp(g.names[1], "gmail.com") == 0 && t.have == 0,
		    "two messages, fed %s: %d", step == 0 ? "in one piece" :
		    step == 1 ? "byte by byte" : "two bytes at a time", g.n);
	}

	/* a message one byte over DNS_TCP_MSG_MAX, then a query */
	stream[0] = (DNS_TCP_MSG_MAX + 1) >> 8;
	stream[1] = (DNS_TCP_MSG_MAX + 1) & 0xff;
	memset(stream + 2, 0x5a, DNS_TCP_MSG_MAX + 1);
	len = add(DNS_TCP_MSG_MAX + 3, Q_PLAIN);
	for (step = 0; step <= 7; step += 7) {
		feed(len, step, &t, &g);
		ok(g.n == 1 && g.rc[0] == 1 &&
		    strcmp(g.names[0], "gmail.com") == 0 && t.skipped == 1,
		    "%d bytes skipped, the next message read (%s)",
		    DNS_TCP_MSG_MAX + 1, step ? "7 bytes at a time" : "whole");
	}
	feed(DNS_TCP_MSG_MAX - 1, 0, &t, &g);
	ok(g.n == 0 && t.have == 0 && t.skip == 4,
	    "what is skipped is not held: %zu bytes left to skip", t.skip);

	/* exactly DNS_TCP_MSG_MAX: held and given */
	stream[0] = DNS_TCP_MSG_MAX >> 8;
	stream[1] = DNS_TCP_MSG_MAX & 0xff;
	len = add(DNS_TCP_MSG_MAX + 2, Q_PLAIN);
	unhex(Q_PLAIN);
	memcpy(stream + 2, msg, 27);
	feed(len, 3, &t, &g);
	ok(g.n == 2 && g.len[0] == DNS_TCP_MSG_MAX && g.rc[0] == 1 &&
	    g.rc[1] == 1 && t.skipped == 0, "a message of %d bytes is given",
	    DNS_TCP_MSG_MAX);

	/* an empty message: given, and malformed */
	stream[0] = stream[1] = 0;
	len = add(2, Q_PLAIN);
	feed(len, 1, &t, &g);
	ok(g.n == 2 && g.len[0] == 0 && g.rc[0] == -1 && g.rc[1] == 1,
	    "a message of 0 bytes");

	/* a gap: nothing more, not even whole messages after it */
	len = add(0, Q_EDNS);
	len = add(len, Q_PLAIN);
	memset(&g, 0, sizeof(g));
	dns_tcp_init(&t);
	dns_tcp_feed(&t, stream, 20, got_msg, &g);
	dns_tcp_gap(&t);
	dns_tcp_feed(&t, stream + 20, len - 20, got_msg, &g);
	dns_tcp_feed(&t, stream, len, got_msg, &g);
	ok(g.n == 0 && t.broken, "a gap breaks the stream: %d messages", g.n);
	memset(&g, 0, sizeof(g));
	dns_tcp_init(&t);
	dns_tcp_feed(&t, stream, 2 + 52, got_msg, &g);
	dns_tcp_gap(&t);
	dns_tcp_feed(&t, stream + 2 + 52, len - 2 - 52, got_msg, &g);
	ok(g.n == 1 && t.broken, "a gap between messages: the first one only");

	/* the same stream cut at random, 500 times */
	len = add(0, Q_EDNS);
	len = add(len, Q_PLAIN);
	len = add(len, Q_TCP + 4);
	len = add(len, Q_ROOT);
	for (bad = 0, k = 0; k < 500; k++) {
		memset(&g, 0, sizeof(g));
		dns_tcp_init(&t);
		for (i = 0; i < len; i += step) {
			step = 1 + tap_rnd(&rng, 80);
			if (step > len - i)
				step = len - i;
			dns_tcp_feed(&t, stream + i, step, got_msg, &g);
		}
		if (g.n != 4 || strcmp(g.names[2], "example.org") != 0 ||
		    strcmp(g.names[3], ".") != 0)
			bad++;
	}
	ok(bad == 0, "four messages cut at random, 500 times: %zu wrong", bad);
}

int
main(void)
{
	t_real();
	t_prefix();
	t_header();
	t_type();
	t_compress();
	t_length();
	t_escape();
	t_tcp();
	return tap_done();
}
