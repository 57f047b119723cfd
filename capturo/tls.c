/* a TLS ClientHello read across segments, for its server name (SNI) */

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bounds.h"
#include "tls.h"

/*
 * What is read, from the first byte the client sends:
 *
 *   record (RFC 8446 5.1, RFC 5246 6.2.1): type 1 byte, legacy version
 *     2 bytes, length 2 bytes, then that many bytes of body.  Every
 *     record up to the end of the ClientHello must be a handshake (22):
 *     handshake records are not interleaved with others (RFC 8446 5.1),
 *     so a ChangeCipherSpec, an alert or application data there means
 *     this is not a ClientHello.  The version's major byte is 3 (SSL
 *     3.0 to TLS 1.3 all write 3.x; the minor is not checked, RFC 8446
 *     5.1 says to ignore it).  An empty record is refused (RFC 8446
 *     5.1: no zero-length handshake fragments), and so is one longer
 *     than a plaintext record may be.
 *
 *   handshake (RFC 8446 4): type 1 byte, length 3 bytes, body.  The
 *     body is gathered from the records' bodies into buf, whatever the
 *     records' cuts: the header itself may be split over records.  The
 *     first message must be a ClientHello (1), at most TLS_HELLO_MAX
 *     bytes with its header.
 *
 *   ClientHello (RFC 8446 4.1.2, RFC 5246 7.4.1.2), read once whole:
 *     legacy_version 2, random 32, legacy_session_id<0..32>,
 *     cipher_suites<2..2^16-2> (pairs), legacy_compression_methods
 *     <1..2^8-1>, then extensions<0..2^16-1> up to the very end of the
 *     message.  A TLS 1.2 hello may end after the compression methods
 *     (no extensions, RFC 5246 7.4.1.2); TLS 1.0 and SSL 3.0 hellos
 *     often do.  Anything after them must be a well-framed extension
 *     block of exactly the rest.
 *
 *   extensions (RFC 8446 4.2): type 2, length 2, data.  The first
 *     TLS_EXT_MAX are walked, each one's length checked against the
 *     block; past the bound the walk stops (the rest not even framed).
 *     server_name (0) is read as RFC 6066 3 has it (below).  Two of them
 *     are refused, as a server refuses them (RFC 8446 4.2).
 *
 * Lengths that do not add up (a field past the end of the message or
 * of its extension, extensions not ending with the message, an odd
 * cipher_suites length) are TLS_NOT: the bytes are not a ClientHello
 * a server would read.  What only spoils the name (an empty one, one
 * too long, a NUL in it) leaves the hello TLS_DONE with no name.
 *
 * Each decision is taken on the byte that settles it, whatever the
 * cuts of the feeds, so a stream gives the same answer however it is
 * cut, and every proper prefix of a good ClientHello gives TLS_MORE.
 */

/* RFC 8446 5.1: a plaintext record's body is at most 2^14 bytes */
#define REC_BODY_MAX	(1 << 14)

/* RFC 8446 5.1 ContentType, B.3 HandshakeType */
#define CT_CCS		20
#define CT_ALERT	21
#define CT_HANDSHAKE	22
#define CT_APPDATA	23
#define HT_CLIENT_HELLO	1

/* RFC 8446 4.1.2: 2 version, 32 random, and each vector's length */
#define HELLO_RANDOM	32
#define SESSION_ID_MAX	32
/* the smallest ClientHello body: no session id, one suite, one method */
#define HELLO_MIN	(2 + HELLO_RANDOM + 1 + 2 + 2 + 1 + 1)

/* RFC 6066 3: extension server_name, NameType host_name */
#define EXT_SERVER_NAME	0
#define NAME_HOST	0

/* a bound's value in a reason string */
#define STR(x)		STR1(x)
#define STR1(x)		#x

static unsigned
get16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

static void
fail(struct tls_hello *t, const char *why)
{
	t->state = TLS_NOT;
	t->why = why;
}

void
tls_init(struct tls_hello *t)
{
	/* buf is written before it is read: no need to clear 16 KiB */
	t->have = 0;
	t->need = 0;
	memset(t->rec, 0, sizeof(t->rec));
	t->rechave = 0;
	t->recleft = 0;
	t->state = TLS_MORE;
	t->why = NULL;
	t->nameoff = 0;
	t->namelen = 0;
}

/*
 * The server_name extension's data (RFC 6066 3):
 *
 *   struct { NameType name_type; select (name_type) {
 *       case host_name: HostName; } name; } ServerName;
 *   opaque HostName<1..2^16-1>;
 *   struct { ServerName server_name_list<1..2^16-1> } ServerNameList;
 *
 * Every entry is framed as (type 1, length 2, bytes), the only shape
 * RFC 6066 defines, and all of them must fit the list exactly.  The
 * first host_name is the name, kept as sent: not lower-cased (DNS
 * names compare case-insensitively, RFC 4343, but the case a client
 * chose is itself worth seeing), a trailing dot or an address literal
 * (both outlawed by RFC 6066 3) left as they are.  Returns -1 when the
 * framing is wrong.
 *
 * With encrypted_client_hello (0xfe0d, draft-ietf-tls-esni) the real
 * name is in the encrypted inner hello; the server_name here is then
 * the outer one, the public name of the ECH configuration, and it is
 * what is reported, like any other.
 */
static int
server_name(struct tls_hello *t, size_t off, size_t len)
{
	const uint8_t	*d = t->buf + off;
	size_t		 i, nlen;
	int		 found = 0;

	if (len < 2 || get16(d) != len - 2)
		return -1;
	for (i = 2; i < len; i += nlen) {
		if (len - i < 3)
			return -1;
		nlen = get16(d + i + 1);
		if (d[i] != NAME_HOST || found) {
			i += 3;
			if (nlen > len - i)
				return -1;
			continue;
		}
		found = 1;
		i += 3;
		if (nlen > len - i)
			return -1;
		if (nlen == 0)
			t->why = "empty host_name";
		else if (nlen > TLS_SNI_MAX)
			t->why = "host_name longer than "
			    STR(TLS_SNI_MAX) " bytes";
		else if (memchr(d + i, '\0', nlen) != NULL)
			t->why = "host_name with a NUL byte";
		else {
			t->nameoff = off + i;
			t->namelen = nlen;
			t->why = NULL;
		}
	}
	if (!found)
		t->why = "no host_name in server_name";
	return 0;
}

/* The extension block: off and len in buf, the exact rest of the hello. */
static void
extensions(struct tls_hello *t, size_t off, size_t len)
{
	const uint8_t	*e = t->buf + off;
	size_t		 i, n, elen;
	unsigned	 type;
	int		 sn = 0;

	t->why = "no server_name extension";
	for (i = 0, n = 0; i < len; n++) {
		if (n == TLS_EXT_MAX) {
			/* the rest is not walked; a name found stays */
			if (!sn)
				t->why = "no server_name in the first "
				    STR(TLS_EXT_MAX) " extensions";
			break;
		}
		if (len - i < 4) {
			fail(t, "extension header past the end");
			return;
		}
		type = get16(e + i);
		elen = get16(e + i + 2);
		i += 4;
		if (elen > len - i) {
			fail(t, "extension past the end");
			return;
		}
		if (type == EXT_SERVER_NAME) {
			if (sn) {
				fail(t, "two server_name extensions");
				return;
			}
			sn = 1;
			if (server_name(t, off + i, elen) == -1) {
				fail(t, "malformed server_name");
				return;
			}
		}
		i += elen;
	}
	t->state = TLS_DONE;
}

/* The whole ClientHello is in buf: read its fixed part, then the extensions. */
static void
hello(struct tls_hello *t)
{
	const uint8_t	*m = t->buf + 4;
	size_t		 len = t->need - 4, i, l;

	/* need - 4 >= HELLO_MIN was checked: legacy_version and random */
	if (m[0] != 3) {
		fail(t, "client version major not 3");
		return;
	}
	i = 2 + HELLO_RANDOM;
	l = m[i++];
	if (l > SESSION_ID_MAX || l > len - i) {
		fail(t, "malformed session_id");
		return;
	}
	i += l;
	if (len - i < 2) {
		fail(t, "cipher_suites past the end");
		return;
	}
	l = get16(m + i);
	i += 2;
	if (l < 2 || l % 2 != 0 || l > len - i) {
		fail(t, "malformed cipher_suites");
		return;
	}
	i += l;
	if (len - i < 1) {
		fail(t, "compression_methods past the end");
		return;
	}
	l = m[i++];
	if (l < 1 || l > len - i) {
		fail(t, "malformed compression_methods");
		return;
	}
	i += l;
	if (i == len) {
		/* RFC 5246 7.4.1.2: extensions may be left out */
		t->state = TLS_DONE;
		t->why = "no extensions";
		return;
	}
	if (len - i < 2 || get16(m + i) != len - i - 2) {
		fail(t, "extensions do not end with the message");
		return;
	}
	extensions(t, 4 + i + 2, len - i - 2);
}

/* why the first byte of the stream is not a handshake record */
static const char *
first_byte(uint8_t c)
{
	if (c & 0x80)
		return "SSLv2 record";
	switch (c) {
	case CT_CCS:
		return "ChangeCipherSpec before the ClientHello";
	case CT_ALERT:
		return "alert before the ClientHello";
	case CT_APPDATA:
		return "application data before the ClientHello";
	}
	return "not a TLS handshake record";
}

/* One byte of a record header, checked as soon as it is in. */
static void
rec_byte(struct tls_hello *t, uint8_t c)
{
	size_t	len;

	t->rec[t->rechave++] = c;
	switch (t->rechave) {
	case 1:
		if (c == CT_HANDSHAKE)
			break;
		/* no empty record is taken, so have is 0 in the first only */
		if (t->have == 0)
			fail(t, first_byte(c));
		else
			fail(t, "a record other than handshake inside the "
			    "ClientHello");
		break;
	case 2:
		if (c != 3)
			fail(t, "record version major not 3");
		break;
	case 5:
		len = get16(t->rec + 3);
		if (len == 0)
			fail(t, "empty handshake record");
		else if (len > REC_BODY_MAX)
			fail(t, "record longer than 2^14 bytes");
		t->recleft = len;
		t->rechave = 0;
		break;
	}
}

/* Handshake bytes from a record's body; returns how many were taken. */
static size_t
hs_bytes(struct tls_hello *t, const uint8_t *p, size_t n)
{
	size_t	take, body;

	if (t->need == 0) {
		/* the handshake header, a byte at a time */
		t->buf[t->have++] = p[0];
		if (t->have == 1 && p[0] != HT_CLIENT_HELLO)
			fail(t, "first handshake message not a ClientHello");
		else if (t->have == 4) {
			body = (size_t)t->buf[1] << 16 |
			    (size_t)t->buf[2] << 8 | t->buf[3];
			if (body > TLS_HELLO_MAX - 4)
				fail(t, "ClientHello longer than "
				    STR(TLS_HELLO_MAX) " bytes");
			else if (body < HELLO_MIN)
				fail(t, "ClientHello shorter than its fixed "
				    "fields");
			else
				t->need = 4 + body;
		}
		return 1;
	}
	take = t->need - t->have;
	if (take > n)
		take = n;
	memcpy(t->buf + t->have, p, take);
	t->have += take;
	if (t->have == t->need)
		hello(t);
	return take;
}

int
tls_feed(struct tls_hello *t, const uint8_t *p, size_t len, char *sni,
    size_t snilen, const char **why)
{
	size_t	n;

	while (len > 0 && t->state == TLS_MORE) {
		if (t->recleft == 0) {
			rec_byte(t, *p);
			p++;
			len--;
			continue;
		}
		n = len < t->recleft ? len : t->recleft;
		n = hs_bytes(t, p, n);
		t->recleft -= n;
		p += n;
		len -= n;
	}

	if (sni != NULL && snilen > 0)
		sni[0] = '\0';
	if (why != NULL)
		*why = t->state == TLS_MORE ? NULL : t->why;
	if (t->state == TLS_DONE && t->namelen > 0) {
		if (sni == NULL || t->namelen >= snilen) {
			/* snilen under TLS_SNI_MAX + 1: never a cut name */
			if (why != NULL)
				*why = "host_name longer than the caller's "
				    "buffer";
		} else {
			memcpy(sni, t->buf + t->nameoff, t->namelen);
			sni[t->namelen] = '\0';
		}
	}
	return t->state;
}
