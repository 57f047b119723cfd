/* unit tests for capturo/tls.c: real ClientHellos, any cut, and hostile ones */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "tls.h"
#include "tap.h"

/*
 * Real ClientHellos, each one TLS record as the client sent it, in hex.
 * The first seven were taken on the loopback interface from clients of
 * this machine (Debian 12: OpenSSL 3.0, curl 7.88, Python 3 ssl, GnuTLS
 * 3.7.9, swaks with Net::SSLeay) talking to `openssl s_server`; the
 * server names are made up.  The last three are from the public SMTP
 * captures in ../shared/pcaps (PROVENANCE.tsv there gives their
 * origin), the file and frame named above each.
 */

/* openssl s_client -servername mail.example.test: TLS 1.3 */
static const char openssl13[] =
    "160301013e0100013a0303e94a2e72b750f948a5eeab918e1bbdb51ece96f2fa"
    "3a21d7cdb892ccfde3842b20271d5b32a957eeaaf9b0e5fb7a019fab423cffad"
    "8c59e5439d56a0e68ac0443a003e130213031301c02cc030009fcca9cca8ccaa"
    "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d"
    "009c003d003c0035002f00ff010000b30000001600140000116d61696c2e6578"
    "616d706c652e74657374000b000403000102000a00160014001d0017001e0019"
    "001801000101010201030104002300000016000000170000000d002a00280403"
    "05030603080708080809080a080b080408050806040105010601030303010302"
    "040205020602002b0009080304030303020301002d0002010100330026002400"
    "1d00209651bfa49631a0ddc671b625b666bf4cb12af95be54c153ca89c68ad66"
    "531f63";

/* openssl s_client -servername smtp.example.org -tls1_2 */
static const char openssl12[] =
    "16030100d0010000cc0303c2f0a25246e721c4a6df5ac26c97c55d29b5e04fbe"
    "bbb8ea21e28191d988efc7000038c02cc030009fcca9cca8ccaac02bc02f009e"
    "c024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c"
    "0035002f00ff0100006b000000150013000010736d74702e6578616d706c652e"
    "6f7267000b000403000102000a000c000a001d0017001e001900180023000000"
    "16000000170000000d002a0028040305030603080708080809080a080b080408"
    "050806040105010601030303010302040205020602";

/* openssl s_client -noservername: TLS 1.3, no server_name */
static const char openssl_nosni[] =
    "1603010124010001200303d1fbae9d08049a252d4917728a444188c2659fa549"
    "f9409842d91e5edd92bd9e2078132acf29c602e5dc614d0e23c8bac5308eabfb"
    "6cd4eb7d5b1c02f09029f7ac003e130213031301c02cc030009fcca9cca8ccaa"
    "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d"
    "009c003d003c0035002f00ff01000099000b000403000102000a00160014001d"
    "0017001e0019001801000101010201030104002300000016000000170000000d"
    "002a0028040305030603080708080809080a080b080408050806040105010601"
    "030303010302040205020602002b0009080304030303020301002d0002010100"
    "3300260024001d00202143439696e09531c20b13b357676a72819b679e891a7b"
    "dc7787fc4e72f66a47";

/* curl https://mx.example.net:PORT/ (--resolve to 127.0.0.1): padded to 512 */
static const char curl[] =
    "1603010200010001fc03030a2502500c3fbd85fe26c7d2a4e95eef8e7fe1510c"
    "b10ed73c7002c1d4aed8cb20720d1ddf9688872cf1147c84f84ed81885dc1c64"
    "16a2fa09ab2e6a54fa486b92003e130213031301c02cc030009fcca9cca8ccaa"
    "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d"
    "009c003d003c0035002f00ff0100017500000013001100000e6d782e6578616d"
    "706c652e6e6574000b000403000102000a00160014001d0017001e0019001801"
    "0001010102010301040010000e000c02683208687474702f312e310016000000"
    "17000000310000000d002a0028040305030603080708080809080a080b080408"
    "050806040105010601030303010302040205020602002b000908030403030302"
    "0301002d00020101003300260024001d002018b99802a51d976bf81378d50409"
    "b1a3a0159c61c74fd51fcbf840e0fd0d6303001500af00000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000";

/* Python 3 ssl, server_hostname="py.example.com" */
static const char python[] =
    "1603010200010001fc030310d1fa0e12ddb34a6bee403828a2d926653936f68c"
    "9e8568db028a0c3525d7bc2060795d74cffd10a976dbc07a3168a1803c8b42fd"
    "901c3abab5ac7bd76d9c4a5e0024130213031301c02cc030c02bc02fcca9cca8"
    "c024c028c023c027009f009e006b006700ff0100018f00000013001100000e70"
    "792e6578616d706c652e636f6d000b000403000102000a00160014001d001700"
    "1e0019001801000101010201030104002300000016000000170000000d002a00"
    "28040305030603080708080809080a080b080408050806040105010601030303"
    "010302040205020602002b00050403040303002d00020101003300260024001d"
    "0020db8b2508e87ab3996e669adad3c8d280da8b4f60d2f0a07bdab28b363aad"
    "ce18001500df0000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000";

/* gnutls-cli --sni-hostname=gnutls.example.com */
static const char gnutls[] =
    "160301018b010001870303e7145e5faaf5b0e113d4fe96ec47c607dc8b18dadb"
    "e25a7075f3cb85a8b7dcf320a0bb058061e19460337b842f6ae9c82542c2488b"
    "1e56f054f0841454c8e219fe003a1302130313011304c02ccca9c0adc00ac02b"
    "c0acc009c030cca8c014c02fc013009dc09d0035009cc09c002f009fccaac09f"
    "0039009ec09e003301000104000500050100000000000a001600140017001800"
    "19001d001e01000101010201030104000b00020100000d002200200401080908"
    "04040308070501080a0805050308080601080b08060603020102030016000000"
    "170000002300000033006b006900170041041ad33193963d32cc486530823870"
    "6c38770155a2a2120c1b7f8fa501bf5ecfa47b84e24302dc3e0c9d566bcdcfd2"
    "3329c283dbf689fd55e14b91ecb2aca7f91b001d002046dc26114cfde5283e27"
    "55130e75a7abb48b68e46c8920ab631cf501aeb78e57002b0009080304030303"
    "020301ff01000100000000170015000012676e75746c732e6578616d706c652e"
    "636f6d002d0003020100001c00024001";

/* swaks --tls-on-connect --tls-sni swaks.example.net: implicit TLS */
static const char swaks[] =
    "1603010200010001fc030372063b0d818e00f23b391f0c3fa96cd678f1e8a4b2"
    "1df5ee51c91906b652ac032065be0d6266c74c4b78ffd5d854b089936d4e6257"
    "c1adf79990eeb026536c9145003e130213031301c02cc030009fcca9cca8ccaa"
    "c02bc02f009ec024c028006bc023c0270067c00ac0140039c009c0130033009d"
    "009c003d003c0035002f00ff010001750000001600140000117377616b732e65"
    "78616d706c652e6e6574000b000403000102000a00160014001d0017001e0019"
    "001801000101010201030104002300000016000000170000000d002a00280403"
    "05030603080708080809080a080b080408050806040105010601030303010302"
    "040205020602002b0009080304030303020301002d0002010100330026002400"
    "1d0020a629f6afe4a42106dfc149f399a914ea64c8bb646cbfa164d562feee01"
    "ef5d59001500be00000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000000000000000000000000000000000000000000000000000000000"
    "0000000000";

/*
 * ndpi__smtp-starttls.pcap frame 46: after STARTTLS on port 25, TLS 1.2
 * with server_name dovecot.weberlab.de
 */
static const char ndpi_starttls[] =
    "16030100b1010000ad0303512ced441054d9fba9f6dfbf82caeaf461183d0f24"
    "53d063ef1c96d44c1db23300001ec02bc02fcca9cca8c02cc030c00ac009c013"
    "c01400330039002f0035000a01000066000000180016000013646f7665636f74"
    "2e77656265726c61622e646500170000ff01000100000a000a0008001d001700"
    "180019000b0002010000230000000500050100000000ff030000000d00180016"
    "04030503060308040805080604010501060102030201";

/*
 * arkime__smtp-starttls.pcap frame 11: after STARTTLS on port 25, a TLS
 * 1.0 hello whose one extension is session_ticket
 */
static const char arkime_starttls[] =
    "160301006b01000067030152bb75e44e872de2ee0fb3d4bb5ba46ef845fb548e"
    "37525b9523bb8ef8036add00003a00390038008800870035008400160013000a"
    "00330032009a009900450044002f009600410005000400150012000900140011"
    "00080006000300ff0100000400230000";

/*
 * sv__smtp-tls-protodetect.pcap frame 4: implicit TLS to port 465, TLS
 * 1.2, no server_name
 */
static const char sv_465[] =
    "16030100ab010000a70303c83879822d2d37c1a2635ddbe15ff02ef974e0b661"
    "4d251a6fec8b3b4abc789c000038c02cc030009fcca9cca8ccaac02bc02f009e"
    "c024c028006bc023c0270067c00ac0140039c009c0130033009d009c003d003c"
    "0035002f00ff01000046000b000403000102000a000a0008001d001700190018"
    "00230000000d0020001e06010602060305010502050304010402040303010302"
    "03030201020202030016000000170000";

static const struct vec {
	const char	*name;
	const char	*hex;
	const char	*sni;		/* "" for none */
} vecs[] = {
	{ "openssl 3.0 TLS 1.3", openssl13, "mail.example.test" },
	{ "openssl 3.0 -tls1_2", openssl12, "smtp.example.org" },
	{ "openssl 3.0 -noservername", openssl_nosni, "" },
	{ "curl 7.88", curl, "mx.example.net" },
	{ "python3 ssl", python, "py.example.com" },
	{ "gnutls-cli 3.7.9", gnutls, "gnutls.example.com" },
	{ "swaks --tls-on-connect", swaks, "swaks.example.net" },
	{ "ndpi STARTTLS", ndpi_starttls, "dovecot.weberlab.de" },
	{ "arkime STARTTLS TLS 1.0", arkime_starttls, "" },
	{ "suricata-verify 465", sv_465, "" },
};
#define NVECS	(sizeof(vecs) / sizeof(vecs[0]))

/* large enough for 10,000 extensions and their records */
#define BIG	(128 * 1024)

static struct tls_hello	 st;	/* 16 KiB: not on the stack */
static const char	*rname[] = { "MORE", "DONE", "NOT" };

static size_t
unhex(const char *h, uint8_t *out)
{
	size_t		 i, n = strlen(h) / 2;
	unsigned	 v;

	for (i = 0; i < n; i++) {
		if (sscanf(h + 2 * i, "%2x", &v) != 1)
			abort();
		out[i] = (uint8_t)v;
	}
	return n;
}

/* the result of the whole stream in one feed */
static int
whole(const uint8_t *p, size_t n, char *sni, const char **why)
{
	tls_init(&st);
	return tls_feed(&st, p, n, sni, TLS_SNI_MAX + 1, why);
}

/*
 * The stream a byte at a time, until an answer: returns it, and in *at
 * the number of bytes fed (a good hello answers at its last byte).
 */
static int
bytewise_at(const uint8_t *p, size_t n, char *sni, const char **why,
    size_t *at)
{
	size_t	i;
	int	r = TLS_MORE;

	tls_init(&st);
	for (i = 0; i < n && r == TLS_MORE; i++)
		r = tls_feed(&st, p + i, 1, sni, TLS_SNI_MAX + 1, why);
	*at = i;
	return r;
}

/* the same, -1 when the answer came before the last byte */
static int
bytewise(const uint8_t *p, size_t n, char *sni, const char **why)
{
	size_t	at;
	int	r;

	r = bytewise_at(p, n, sni, why, &at);
	return at == n ? r : -1;
}

/* two feeds, cut at k */
static int
split(const uint8_t *p, size_t n, size_t k, char *sni, const char **why)
{
	tls_init(&st);
	(void)tls_feed(&st, p, k, sni, TLS_SNI_MAX + 1, why);
	return tls_feed(&st, p + k, n - k, sni, TLS_SNI_MAX + 1, why);
}

/*
 * The handshake bytes of the records of rec (n bytes, well framed) put
 * into records of at most size bytes each, or of the sizes of cuts[]
 * in turn (then the rest in one).  Returns the new stream's length.
 */
static size_t
reframe(const uint8_t *rec, size_t n, size_t size, const size_t *cuts,
    size_t ncuts, uint8_t *out)
{
	static uint8_t	 hs[BIG];
	size_t		 hn = 0, i, l, o = 0, c = 0;

	for (i = 0; i + 5 <= n; i += 5 + l) {
		l = (size_t)rec[i + 3] << 8 | rec[i + 4];
		memcpy(hs + hn, rec + i + 5, l);
		hn += l;
	}
	for (i = 0; i < hn; i += l) {
		l = c < ncuts ? cuts[c++] : ncuts > 0 ? hn - i : size;
		if (l > hn - i)
			l = hn - i;
		out[o++] = 0x16;
		out[o++] = 0x03;
		out[o++] = 0x01;
		out[o++] = (uint8_t)(l >> 8);
		out[o++] = (uint8_t)l;
		memcpy(out + o, hs + i, l);
		o += l;
	}
	return o;
}

/* each real hello: whole, byte by byte, every prefix, every cut in two */
static void
t_real(void)
{
	static uint8_t	 p[BIG];
	const char	*why, *why2;
	char		 sni[TLS_SNI_MAX + 1], sni2[TLS_SNI_MAX + 1];
	size_t		 i, k, n, bad;
	int		 r;

	for (i = 0; i < NVECS; i++) {
		n = unhex(vecs[i].hex, p);
		r = whole(p, n, sni, &why);
		ok(r == TLS_DONE, "%s: whole: %s (%s)", vecs[i].name, rname[r],
		    why ? why : "");
		is_str(sni, vecs[i].sni, "%s: sni", vecs[i].name);
		ok((why == NULL) == (vecs[i].sni[0] != '\0'),
		    "%s: why only when there is no name (%s)",
		    vecs[i].name, why ? why : "NULL");

		r = bytewise(p, n, sni2, &why2);
		ok(r == TLS_DONE && strcmp(sni, sni2) == 0 && why == why2,
		    "%s: byte by byte: the same", vecs[i].name);

		for (bad = 0, k = 0; k < n; k++) {
			tls_init(&st);
			if (tls_feed(&st, p, k, sni2, sizeof(sni2), &why2) !=
			    TLS_MORE || why2 != NULL || sni2[0] != '\0')
				bad++;
		}
		ok(bad == 0, "%s: each of the %zu proper prefixes is TLS_MORE "
		    "(%zu not)", vecs[i].name, n, bad);

		for (bad = 0, k = 0; k <= n; k++) {
			r = split(p, n, k, sni2, &why2);
			if (r != TLS_DONE || strcmp(sni, sni2) != 0 ||
			    why != why2)
				bad++;
		}
		ok(bad == 0, "%s: cut in two at each of %zu places: the same "
		    "(%zu not)", vecs[i].name, n + 1, bad);
	}
}

/* the handshake message over several records, several records in a feed */
static void
t_records(void)
{
	static uint8_t	 p[BIG], q[BIG];
	const char	*why;
	char		 sni[TLS_SNI_MAX + 1];
	size_t		 i, n, m, k, bad;
	size_t		 cuts[2];
	int		 r;

	for (i = 0; i < NVECS; i++) {
		n = unhex(vecs[i].hex, p);
		/* two records, cut at each place of the handshake message */
		for (bad = 0, k = 1; k < n - 5; k++) {
			cuts[0] = k;
			m = reframe(p, n, 0, cuts, 1, q);
			r = whole(q, m, sni, &why);
			if (r != TLS_DONE || strcmp(sni, vecs[i].sni) != 0)
				bad++;
			if (k % 37 == 1) {
				r = bytewise(q, m, sni, &why);
				if (r != TLS_DONE ||
				    strcmp(sni, vecs[i].sni) != 0)
					bad++;
			}
		}
		ok(bad == 0, "%s: two records, cut at each of %zu places "
		    "(%zu wrong)", vecs[i].name, n - 6, bad);

		/* a record per byte: the header itself over four records */
		m = reframe(p, n, 1, NULL, 0, q);
		r = whole(q, m, sni, &why);
		ok(r == TLS_DONE && strcmp(sni, vecs[i].sni) == 0,
		    "%s: one byte a record (%zu bytes): %s %s", vecs[i].name,
		    m, rname[r], sni);
		r = bytewise(q, m, sni, &why);
		ok(r == TLS_DONE && strcmp(sni, vecs[i].sni) == 0,
		    "%s: one byte a record, fed byte by byte", vecs[i].name);
	}

	/* three records in one feed, then the next record after the hello */
	n = unhex(openssl13, p);
	cuts[0] = 100;
	cuts[1] = 7;
	m = reframe(p, n, 0, cuts, 2, q);
	memcpy(q + m, "\x14\x03\x03\x00\x01\x01" "\x17\x03\x03\x00\x02zz", 13);
	r = whole(q, m + 13, sni, &why);
	ok(r == TLS_DONE && strcmp(sni, "mail.example.test") == 0,
	    "three records in one feed, a ChangeCipherSpec and data after");
	r = tls_feed(&st, q, m, sni, sizeof(sni), &why);
	ok(r == TLS_DONE && strcmp(sni, "mail.example.test") == 0 &&
	    why == NULL, "fed again after DONE: the same, nothing read");
	r = tls_feed(&st, (const uint8_t *)"junk", 4, sni, sizeof(sni), &why);
	ok(r == TLS_DONE && strcmp(sni, "mail.example.test") == 0,
	    "junk after DONE: still DONE and the name");
}

/* a hand-built stream */
struct b {
	uint8_t	p[BIG];
	size_t	n;
};

static void
b8(struct b *b, unsigned v)
{
	b->p[b->n++] = (uint8_t)v;
}

static void
b16(struct b *b, unsigned v)
{
	b8(b, v >> 8);
	b8(b, v);
}

static void
bmem(struct b *b, const void *p, size_t n)
{
	memcpy(b->p + b->n, p, n);
	b->n += n;
}

/* an extension; its data may be NULL (zeros) */
static void
ext(struct b *e, unsigned type, const void *data, size_t len)
{
	b16(e, type);
	b16(e, (unsigned)len);
	if (data != NULL)
		bmem(e, data, len);
	else {
		memset(e->p + e->n, 0, len);
		e->n += len;
	}
}

/* a server_name extension holding one host_name */
static void
ext_sni(struct b *e, const void *name, size_t len)
{
	b16(e, 0);
	b16(e, (unsigned)len + 5);
	b16(e, (unsigned)len + 3);
	b8(e, 0);
	b16(e, (unsigned)len);
	bmem(e, name, len);
}

/*
 * A ClientHello around the extension block e (none when e is NULL),
 * in records of at most 2^14 bytes.  Returns the stream's length.
 */
static size_t
mkhello(const struct b *e, uint8_t *out)
{
	static struct b	 h;
	size_t		 i, l, o = 0, body;

	h.n = 0;
	b8(&h, 1);
	b8(&h, 0);
	b16(&h, 0);			/* the length, below */
	b16(&h, 0x0303);
	memset(h.p + h.n, 0x5a, 32);
	h.n += 32;
	b8(&h, 0);			/* session_id */
	b16(&h, 4);
	b16(&h, 0x1301);
	b16(&h, 0xc02f);
	b8(&h, 1);
	b8(&h, 0);
	if (e != NULL) {
		b16(&h, (unsigned)e->n);
		bmem(&h, e->p, e->n);
	}
	body = h.n - 4;
	h.p[1] = (uint8_t)(body >> 16);
	h.p[2] = (uint8_t)(body >> 8);
	h.p[3] = (uint8_t)body;
	for (i = 0; i < h.n; i += l) {
		l = h.n - i < 16384 ? h.n - i : 16384;
		out[o++] = 0x16;
		out[o++] = 0x03;
		out[o++] = 0x01;
		out[o++] = (uint8_t)(l >> 8);
		out[o++] = (uint8_t)l;
		memcpy(out + o, h.p + i, l);
		o += l;
	}
	return o;
}

/* the answer to a hello of extension block e, checked whole and byte by byte */
static void
hello_is(const struct b *e, int want, const void *wsni, size_t wlen,
    const char *wwhy, const char *what)
{
	static uint8_t	 p[BIG];
	const char	*why, *why2;
	char		 sni[TLS_SNI_MAX + 1], sni2[TLS_SNI_MAX + 1];
	size_t		 n, at;
	int		 r, r2;

	n = mkhello(e, p);
	r = whole(p, n, sni, &why);
	ok(r == want, "%s: %s (%s)", what, rname[r], why ? why : "");
	ok(strlen(sni) == wlen && memcmp(sni, wsni, wlen) == 0,
	    "%s: sni of %zu bytes (want %zu)", what, strlen(sni), wlen);
	if (wwhy != NULL)
		ok(why != NULL && strstr(why, wwhy) != NULL,
		    "%s: why \"%s\"", what, why ? why : "NULL");
	else
		ok(why == NULL, "%s: no why (%s)", what, why ? why : "NULL");
	r2 = bytewise_at(p, n, sni2, &why2, &at);
	ok(r2 == r && strcmp(sni, sni2) == 0 && why == why2 &&
	    (r != TLS_DONE || at == n), "%s: the same byte by byte (at %zu "
	    "of %zu)", what, at, n);
}

/* the server_name extension and the name in it */
static void
t_sni(void)
{
	static struct b	 e;
	static char	 name[65536];
	const char	*ctl = "a\x01" "b\r\nc d\"e=\x7f\xff\x1b[0m.example";

	e.n = 0;
	ext(&e, 10, "\x00\x02\x00\x1d", 4);
	ext_sni(&e, "mx.Example.ORG", 14);
	hello_is(&e, TLS_DONE, "mx.Example.ORG", 14, NULL,
	    "built hello: the name as sent, case kept");

	e.n = 0;
	hello_is(&e, TLS_DONE, "", 0, "no server_name",
	    "empty extension block");
	hello_is(NULL, TLS_DONE, "", 0, "no extensions",
	    "no extensions at all (RFC 5246 7.4.1.2)");

	memset(name, 'a', sizeof(name));
	e.n = 0;
	ext_sni(&e, name, TLS_SNI_MAX);
	hello_is(&e, TLS_DONE, name, TLS_SNI_MAX, NULL,
	    "a name of TLS_SNI_MAX bytes");
	e.n = 0;
	ext_sni(&e, name, TLS_SNI_MAX + 1);
	hello_is(&e, TLS_DONE, "", 0, "longer than",
	    "a name of TLS_SNI_MAX + 1 bytes: none, not cut");
	e.n = 0;
	ext_sni(&e, name, 300);
	hello_is(&e, TLS_DONE, "", 0, "longer than", "a name of 300 bytes");
	e.n = 0;
	ext_sni(&e, name, 65000);
	hello_is(&e, TLS_NOT, "", 0, "longer than 16384",
	    "a name of 65,000 bytes: a hello over TLS_HELLO_MAX");

	e.n = 0;
	ext_sni(&e, ctl, strlen(ctl));
	hello_is(&e, TLS_DONE, ctl, strlen(ctl), NULL,
	    "control bytes, space, quote, DEL, 8-bit: copied as they are");
	e.n = 0;
	ext_sni(&e, "evil\0.example", 13);
	hello_is(&e, TLS_DONE, "", 0, "NUL", "a NUL in the name: none");
	e.n = 0;
	ext_sni(&e, "", 0);
	hello_is(&e, TLS_DONE, "", 0, "empty host_name", "an empty name");

	/* the first host_name of the list, other name types skipped */
	e.n = 0;
	b16(&e, 0);
	b16(&e, 2 + 6 + 8 + 8);
	b16(&e, 6 + 8 + 8);
	bmem(&e, "\x07\x00\x03xyz", 6);
	bmem(&e, "\x00\x00\x05" "first", 8);
	bmem(&e, "\x00\x00\x05" "other", 8);
	hello_is(&e, TLS_DONE, "first", 5, NULL,
	    "first host_name after an unknown name type");
	e.n = 0;
	b16(&e, 0);
	b16(&e, 2);
	b16(&e, 0);
	hello_is(&e, TLS_DONE, "", 0, "no host_name", "an empty list");
	e.n = 0;
	ext(&e, 0, NULL, 0);
	hello_is(&e, TLS_NOT, "", 0, "malformed server_name",
	    "server_name with no data");
	e.n = 0;
	b16(&e, 0);
	b16(&e, 2 + 8);
	b16(&e, 9);		/* the list a byte longer than its data */
	bmem(&e, "\x00\x00\x05" "first", 8);
	hello_is(&e, TLS_NOT, "", 0, "malformed server_name",
	    "list length a byte too long");
	e.n = 0;
	b16(&e, 0);
	b16(&e, 2 + 8);
	b16(&e, 8);
	bmem(&e, "\x00\x00\x06" "first", 8);
	hello_is(&e, TLS_NOT, "", 0, "malformed server_name",
	    "host_name length past the list");
	e.n = 0;
	ext_sni(&e, "a.example", 9);
	ext_sni(&e, "b.example", 9);
	hello_is(&e, TLS_NOT, "", 0, "two server_name",
	    "two server_name extensions (RFC 8446 4.2)");

	/*
	 * ECH (encrypted_client_hello, 0xfe0d): the real name is inside;
	 * the outer server_name, the public name, is what is reported.
	 */
	e.n = 0;
	ext_sni(&e, "public.example", 14);
	ext(&e, 0xfe0d, NULL, 200);
	hello_is(&e, TLS_DONE, "public.example", 14, NULL,
	    "ECH: the outer name (the public name)");

	/* GREASE (RFC 8701) before and after */
	e.n = 0;
	ext(&e, 0x0a0a, NULL, 0);
	ext_sni(&e, "g.example", 9);
	ext(&e, 0xfafa, NULL, 1);
	hello_is(&e, TLS_DONE, "g.example", 9, NULL, "GREASE around it");
}

/* the caller's buffer, and NULL sni and why */
static void
t_caller(void)
{
	static uint8_t	 p[BIG];
	const char	*why;
	char		 small[8];
	size_t		 n;
	int		 r;

	n = unhex(openssl13, p);
	memset(small, 'x', sizeof(small));
	tls_init(&st);
	r = tls_feed(&st, p, n, small, sizeof(small), &why);
	ok(r == TLS_DONE && small[0] == '\0' && small[1] == 'x' &&
	    why != NULL && strstr(why, "buffer") != NULL,
	    "a buffer too small: no name, never a cut one (%s)",
	    why ? why : "NULL");
	tls_init(&st);
	r = tls_feed(&st, p, n, NULL, 0, NULL);
	ok(r == TLS_DONE, "sni and why NULL: %s", rname[r]);
	tls_init(&st);
	r = tls_feed(&st, p, 0, small, sizeof(small), &why);
	ok(r == TLS_MORE && why == NULL && small[0] == '\0',
	    "nothing fed: TLS_MORE");
}

/* not a ClientHello, each from its first telling byte */
static void
not_hello(const void *s, size_t n, size_t at, const char *wwhy,
    const char *what)
{
	const char	*why;
	char		 sni[TLS_SNI_MAX + 1];
	int		 r;

	r = whole(s, n, sni, &why);
	ok(r == TLS_NOT && sni[0] == '\0' && why != NULL &&
	    strstr(why, wwhy) != NULL, "%s: %s (%s)", what, rname[r],
	    why ? why : "NULL");
	/* told by byte at (1-based), not before */
	r = bytewise(s, at, sni, &why);
	ok(r == TLS_NOT, "%s: told at byte %zu", what, at);
	if (at > 1) {
		tls_init(&st);
		r = tls_feed(&st, s, at - 1, sni, sizeof(sni), &why);
		ok(r == TLS_MORE, "%s: not told before byte %zu", what, at);
	}
	(void)whole(s, n, sni, &why);
	r = tls_feed(&st, s, n, sni, sizeof(sni), &why);
	ok(r == TLS_NOT && why != NULL && strstr(why, wwhy) != NULL,
	    "%s: fed again: TLS_NOT again", what);
}

static void
t_not(void)
{
	static uint8_t	 p[BIG], q[BIG];
	size_t		 n, m, cuts[1];

	not_hello("EHLO x\r\n", 8, 1, "not a TLS", "SMTP text");
	not_hello("\x80\x2e\x01\x03\x01\x00\x15\x00\x00\x00\x10", 11, 1,
	    "SSLv2", "an SSLv2-compatible hello");
	not_hello("\x14\x03\x03\x00\x01\x01", 6, 1, "ChangeCipherSpec",
	    "a ChangeCipherSpec first");
	not_hello("\x15\x03\x01\x00\x02\x02\x28", 7, 1, "alert",
	    "an alert first");
	not_hello("\x17\x03\x03\x00\x02zz", 7, 1, "application data",
	    "application data first");
	not_hello("\x16\x02\x00\x00\x04", 5, 2, "major not 3",
	    "record version 2.0");
	not_hello("\x16\x03\x01\x40\x01", 5, 5, "2^14",
	    "a record of 2^14 + 1 bytes");
	not_hello("\x16\x03\x01\x00\x00", 5, 5, "empty",
	    "an empty handshake record");
	not_hello("\x16\x03\x01\x00\x04\x02\x00\x00\x46", 9, 6,
	    "not a ClientHello", "a ServerHello first");
	not_hello("\x16\x03\x01\x00\x04\x01\x00\x00\x10", 9, 9,
	    "shorter", "a ClientHello of 16 bytes");
	not_hello("\x16\x03\x01\x00\x04\x01\x01\x00\x00", 9, 9,
	    "longer than 16384", "a ClientHello of 64 KiB");

	n = unhex(openssl13, p);
	/* a record of application data inside the hello */
	cuts[0] = 50;
	m = reframe(p, n, 0, cuts, 1, q);
	q[5 + 50] = 0x17;
	not_hello(q, m, 5 + 50 + 1, "other than handshake",
	    "application data between the hello's records");
	q[5 + 50] = 0x16;
	q[5 + 50 + 1] = 0x04;
	not_hello(q, m, 5 + 50 + 2, "major not 3",
	    "a later record's version 4.x");

	/* lengths that lie: offsets in the openssl13 record */
	memcpy(q, p, n);
	q[5 + 4 + 34] = 33;			/* session_id 33 */
	not_hello(q, n, n, "session_id", "session_id of 33");
	memcpy(q, p, n);
	q[5 + 4 + 34] = 0xff;			/* session_id past the end */
	not_hello(q, n, n, "session_id", "session_id length 255");
	memcpy(q, p, n);
	q[5 + 4 + 35 + 32 + 1] += 1;		/* an odd cipher_suites */
	not_hello(q, n, n, "cipher_suites", "cipher_suites of odd length");
	memcpy(q, p, n);
	q[5 + 4 + 35 + 32] = 0x7f;		/* cipher_suites past the end */
	not_hello(q, n, n, "cipher_suites", "cipher_suites past the end");
}

/* lengths of the extension block, and a message that ends early */
static void
t_lies(void)
{
	static uint8_t	 p[BIG], q[BIG];
	static struct b	 e;
	size_t		 n, x;

	/* the extension block a byte short of the message, or over it */
	e.n = 0;
	ext_sni(&e, "x.example", 9);
	n = mkhello(&e, p);
	x = 5 + 4 + 2 + 32 + 1 + 2 + 4 + 2;	/* the extensions' length */
	memcpy(q, p, n);
	q[x + 1] -= 1;
	not_hello(q, n, n, "do not end", "extensions a byte short");
	memcpy(q, p, n);
	q[x + 1] += 1;
	not_hello(q, n, n, "do not end", "extensions a byte past the end");
	memcpy(q, p, n);
	q[x + 2 + 3] += 1;		/* server_name's own length */
	not_hello(q, n, n, "extension past the end",
	    "an extension past the block");
	/* one byte of an extension header left at the end */
	e.n = 0;
	ext_sni(&e, "x.example", 9);
	b8(&e, 0);
	n = mkhello(&e, q);
	not_hello(q, n, n, "extension header", "an extension header cut");

	/*
	 * The handshake length says 10 bytes less than the record
	 * carries: the message ends inside the extensions.
	 */
	e.n = 0;
	ext_sni(&e, "x.example", 9);
	n = mkhello(&e, p);
	memcpy(q, p, n);
	q[5 + 3] -= 10;
	not_hello(q, n, n - 10, "do not end",
	    "a handshake length 10 short");
	/*
	 * It says more than the record: the record ends, and what follows
	 * must be a handshake record too.  The stream's end is a prefix.
	 */
	memcpy(q, p, n);
	q[5 + 3] += 10;
	tls_init(&st);
	ok(tls_feed(&st, q, n, NULL, 0, NULL) == TLS_MORE,
	    "a handshake length 10 long: TLS_MORE, waiting");
	memcpy(q + n, "\x17\x03\x03\x00\x0a" "0123456789", 15);
	not_hello(q, n + 15, n + 1, "other than handshake",
	    "a handshake length 10 long, application data after");
	memcpy(q + n, "\x16\x03\x03\x00\x0a" "0123456789", 15);
	not_hello(q, n + 15, n + 15, "do not end",
	    "a handshake length 10 long, 10 bytes of junk after");

	/* a record longer than the hello: the rest of it is not read */
	memcpy(q, p, n);
	q[4] += 1;
	tls_init(&st);
	ok(tls_feed(&st, q, n, NULL, 0, NULL) == TLS_DONE,
	    "a record a byte longer than the hello: DONE, the rest unread");
}

/* many extensions, and TLS_EXT_MAX */
static void
t_many(void)
{
	static struct b	 e;
	static uint8_t	 p[BIG];
	const char	*why;
	char		 sni[TLS_SNI_MAX + 1];
	size_t		 i, n, k;
	clock_t		 c0;
	double		 secs;
	int		 r;

	/* 10,000 tiny extensions: 40 KB, over TLS_HELLO_MAX */
	e.n = 0;
	ext_sni(&e, "x.example", 9);
	for (i = 0; i < 10000; i++)
		ext(&e, 0x1000 + (unsigned)i, NULL, 0);
	hello_is(&e, TLS_NOT, "", 0, "longer than 16384",
	    "10,000 extensions: a hello over TLS_HELLO_MAX");

	/* as many as fit: the name before the bound, at it, after it */
	for (k = 0; k < 5; k++) {
		static const size_t at[] = { 0, 5, TLS_EXT_MAX - 1, TLS_EXT_MAX,
		    3000 };
		e.n = 0;
		for (i = 0; i < 3900; i++) {
			if (i == at[k])
				ext_sni(&e, "late.example", 12);
			else
				ext(&e, 0x1000 + (unsigned)i, NULL, 0);
		}
		n = mkhello(&e, p);
		r = whole(p, n, sni, &why);
		if (at[k] < TLS_EXT_MAX)
			ok(r == TLS_DONE && strcmp(sni, "late.example") == 0,
			    "3,900 extensions (%zu bytes), the name %zu-th: "
			    "found (%s)", n, at[k] + 1, why ? why : "");
		else
			ok(r == TLS_DONE && sni[0] == '\0' && why != NULL &&
			    strstr(why, "first 1024") != NULL,
			    "3,900 extensions, the name %zu-th, past "
			    "TLS_EXT_MAX: not seen (%s)", at[k] + 1,
			    why ? why : "NULL");
	}
	/*
	 * Past the bound nothing is walked, not even framed: a length
	 * past the end there is not seen, where before it is TLS_NOT.
	 */
	e.n = 0;
	for (i = 0; i < TLS_EXT_MAX; i++)
		ext(&e, 0x1000 + (unsigned)i, NULL, 0);
	ext(&e, 0x0bad, NULL, 0);
	e.p[e.n - 2] = 0xff;		/* its length */
	hello_is(&e, TLS_DONE, "", 0, "first 1024",
	    "an extension past the block, after TLS_EXT_MAX: not read");
	e.n = 0;
	ext(&e, 0x0bad, NULL, 0);
	e.p[e.n - 2] = 0xff;
	for (i = 0; i < TLS_EXT_MAX; i++)
		ext(&e, 0x1000 + (unsigned)i, NULL, 0);
	hello_is(&e, TLS_NOT, "", 0, "extension past the end",
	    "the same extension first: TLS_NOT");

	/* a hello of TLS_HELLO_MAX bytes, header included, and one more */
	e.n = 0;
	ext_sni(&e, "edge.example", 12);
	ext(&e, 21, NULL, TLS_HELLO_MAX - 4 - 45 - 21 - 4);
	hello_is(&e, TLS_DONE, "edge.example", 12, NULL,
	    "a hello of exactly TLS_HELLO_MAX bytes");
	e.p[e.n - (TLS_HELLO_MAX - 4 - 45 - 21 - 4) - 1] += 1;
	e.n++;
	hello_is(&e, TLS_NOT, "", 0, "longer than 16384",
	    "a hello of TLS_HELLO_MAX + 1 bytes");

	/* the time: linear, whatever the count */
	e.n = 0;
	for (i = 0; i < 4000; i++)
		ext(&e, 0x1000 + (unsigned)i, NULL, 0);
	ext_sni(&e, "x.example", 9);
	n = mkhello(&e, p);
	c0 = clock();
	for (i = 0, k = 0; i < 1000; i++)
		k += whole(p, n, sni, &why) == TLS_DONE;
	secs = (double)(clock() - c0) / CLOCKS_PER_SEC;
	printf("# 1000 hellos of 4,001 extensions (%zu bytes): %.3f s\n", n,
	    secs);
	ok(k == 1000 && secs < 5, "a hello of 4,001 extensions, 1000 times, "
	    "in %.3f s", secs);
}

int
main(void)
{
	t_real();
	t_records();
	t_sni();
	t_caller();
	t_not();
	t_lies();
	t_many();
	return tap_done();
}
