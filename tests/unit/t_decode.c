/* unit tests of capturo/decode.c: hand-built frames, truncation, garbage */

#include <sys/types.h>
#include <sys/socket.h>

#include <pcap/dlt.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "decode.h"
#include "tap.h"


#define PAYLOAD		"EHLO mx.example\r\n"
#define PAYLOAD_LEN	(sizeof(PAYLOAD) - 1)

static const uint8_t	src4[4] = { 192, 0, 2, 1 };
static const uint8_t	dst4[4] = { 198, 51, 100, 25 };
static const uint8_t	src6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
			    0, 0, 0, 0, 0, 0, 0, 1 };
static const uint8_t	dst6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0,
			    0, 0, 0, 0, 0, 0, 0, 0x25 };
static const uint8_t	mac_src[6] = { 0x02, 0x00, 0x5e, 0x10, 0x20, 0x30 };
static const uint8_t	mac_dst[6] = { 0x02, 0x00, 0x5e, 0xaa, 0xbb, 0xcc };

/* a frame being built */
struct frame {
	uint8_t	p[2048];
	size_t	n;
};

static void
put8(struct frame *f, unsigned v)
{
	f->p[f->n++] = (uint8_t)v;
}

static void
put16(struct frame *f, unsigned v)
{
	put8(f, v >> 8);
	put8(f, v);
}

static void
put32(struct frame *f, uint32_t v)
{
	put16(f, v >> 16);
	put16(f, v & 0xffff);
}

static void
putb(struct frame *f, const void *b, size_t len)
{
	memcpy(f->p + f->n, b, len);
	f->n += len;
}

static void
set16(struct frame *f, size_t at, unsigned v)
{
	f->p[at] = (uint8_t)(v >> 8);
	f->p[at + 1] = (uint8_t)v;
}

/* TCP header with optlen bytes of NOP options, then the payload */
static void
put_tcp(struct frame *f, size_t optlen, const char *data)
{
	size_t	i;

	put16(f, 49152);
	put16(f, 25);
	put32(f, 0xfffffff0U);
	put32(f, 0x01020304U);
	put8(f, (unsigned)((20 + optlen) / 4) << 4);
	put8(f, 0x18);				/* PSH|ACK */
	put16(f, 65535);
	put16(f, 0);
	put16(f, 0);
	for (i = 0; i < optlen; i++)
		put8(f, 1);
	if (data != NULL)
		putb(f, data, strlen(data));
}

/* IPv4 header with optlen bytes of options; total length fixed later */
static size_t
put_ip4(struct frame *f, size_t optlen, unsigned frag, unsigned proto)
{
	size_t	at = f->n, i;

	put8(f, 0x40 | (unsigned)((20 + optlen) / 4));
	put8(f, 0);
	put16(f, 0);			/* total length, see ip4_done() */
	put16(f, 0x1234);
	put16(f, frag);
	put8(f, 64);
	put8(f, proto);
	put16(f, 0);
	putb(f, src4, 4);
	putb(f, dst4, 4);
	for (i = 0; i < optlen; i++)
		put8(f, 1);		/* NOP */
	return at;
}

static void
ip4_done(struct frame *f, size_t at)
{
	set16(f, at + 2, (unsigned)(f->n - at));
}

static size_t
put_ip6(struct frame *f, unsigned nh)
{
	size_t	at = f->n;

	put32(f, 0x60000000U);
	put16(f, 0);			/* payload length, see ip6_done() */
	put8(f, nh);
	put8(f, 64);
	putb(f, src6, 16);
	putb(f, dst6, 16);
	return at;
}

static void
ip6_done(struct frame *f, size_t at)
{
	set16(f, at + 4, (unsigned)(f->n - at - 40));
}

/* an extension header of 8 * (1 + units) bytes */
static void
put_ext(struct frame *f, unsigned nh, unsigned units)
{
	size_t	i;

	put8(f, nh);
	put8(f, units);
	for (i = 2; i < 8 * (1 + (size_t)units); i++)
		put8(f, 0);
}

static void
put_ether(struct frame *f, unsigned type)
{
	putb(f, mac_dst, 6);
	putb(f, mac_src, 6);
	put16(f, type);
}

/* Ethernet + IPv4 + TCP, with hlen set to the header bytes */
static void
build_eth4(struct frame *f, size_t *hlen)
{
	size_t	ip;

	f->n = 0;
	put_ether(f, 0x0800);
	ip = put_ip4(f, 0, 0x4000, 6);
	put_tcp(f, 0, NULL);
	*hlen = f->n;
	putb(f, PAYLOAD, PAYLOAD_LEN);
	ip4_done(f, ip);
}

/* check a TCP decode against the fixed fields of put_tcp() */
static int
tcp_fields(const struct pkt *k, int family, const char *data)
{
	size_t	dlen = data != NULL ? strlen(data) : 0;

	if (k->family != family)
		return 0;
	if (family == AF_INET && (memcmp(k->src, src4, 4) != 0 ||
	    memcmp(k->dst, dst4, 4) != 0))
		return 0;
	if (family == AF_INET6 && (memcmp(k->src, src6, 16) != 0 ||
	    memcmp(k->dst, dst6, 16) != 0))
		return 0;
	return k->sport == 49152 && k->dport == 25 &&
	    k->seq == 0xfffffff0U && k->ack == 0x01020304U &&
	    k->flags == 0x18 && k->len == dlen &&
	    (dlen == 0 || memcmp(k->data, data, dlen) == 0);
}

/*
 * Every prefix of a valid frame, each in a buffer of exactly that size
 * so the sanitizer sees any read past it: a prefix shorter than the
 * headers is DECODE_SHORT, a longer one is the full result with the
 * payload cut to what is there.
 */
static void
prefixes(const char *what, int dlt, const struct frame *f, size_t hlen,
    int want)
{
	struct pkt	 k;
	uint8_t		*b;
	size_t		 n;
	int		 bad = 0, rc;

	for (n = 0; n <= f->n; n++) {
		if ((b = malloc(n == 0 ? 1 : n)) == NULL)
			exit(2);
		memcpy(b, f->p, n);
		rc = decode_packet(dlt, b, n, &k);
		if (n < hlen) {
			if (rc != DECODE_SHORT)
				bad++;
		} else if (rc != want)
			bad++;
		else if (want == DECODE_TCP && (k.len != n - hlen ||
		    k.data != b + hlen))
			bad++;
		free(b);
	}
	ok(bad == 0, "%s: all %zu prefixes short or cut exactly (%d bad)",
	    what, f->n + 1, bad);
}

static void
t_ether(void)
{
	struct frame	f;
	struct pkt	k;
	size_t		hlen, ip;
	int		rc;

	build_eth4(&f, &hlen);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_TCP, "ethernet ipv4 tcp: DECODE_TCP (%d)", rc);
	ok(tcp_fields(&k, AF_INET, PAYLOAD), "ethernet ipv4 tcp: fields");
	ok(k.has_mac && memcmp(k.mac, mac_src, 6) == 0,
	    "ethernet: source mac");
	ok(k.data == f.p + hlen, "ethernet: payload points into the frame");
	prefixes("ethernet ipv4", DLT_EN10MB, &f, hlen, DECODE_TCP);

	/* padding: a bare ACK padded to the 60-byte minimum frame */
	f.n = 0;
	put_ether(&f, 0x0800);
	ip = put_ip4(&f, 0, 0, 6);
	put_tcp(&f, 0, NULL);
	ip4_done(&f, ip);
	putb(&f, "\0\0\0\0\0\0", 6);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_TCP && k.len == 0,
	    "ethernet padding is not payload (len %zu)", k.len);

	/* IPv4 options, TCP options, a payload and padding */
	f.n = 0;
	put_ether(&f, 0x0800);
	ip = put_ip4(&f, 8, 0, 6);
	put_tcp(&f, 12, "hi");
	ip4_done(&f, ip);
	putb(&f, "PADPAD", 6);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_TCP && tcp_fields(&k, AF_INET, "hi") &&
	    k.data == f.p + 14 + 28 + 32,
	    "ipv4 options + tcp options + padding: payload \"hi\"");
	f.n -= 6;
	prefixes("ipv4 with options", DLT_EN10MB, &f, 14 + 28 + 32,
	    DECODE_TCP);
}

static void
t_vlan(void)
{
	static const unsigned	 tags[][3] = {
		{ 0x8100, 0, 0 },
		{ 0x88a8, 0x8100, 0 },
		{ 0x9100, 0x8100, 0 },
		{ 0x8100, 0x8100, 0x8100 },
	};
	struct frame		 f;
	struct pkt		 k;
	size_t			 ip, hlen;
	int			 i, j, rc;

	for (i = 0; i < 4; i++) {
		f.n = 0;
		putb(&f, mac_dst, 6);
		putb(&f, mac_src, 6);
		for (j = 0; j < 3 && tags[i][j] != 0; j++) {
			put16(&f, tags[i][j]);
			put16(&f, 100 + j);		/* TCI */
		}
		put16(&f, 0x0800);
		ip = put_ip4(&f, 0, 0, 6);
		put_tcp(&f, 0, NULL);
		hlen = f.n;
		putb(&f, PAYLOAD, PAYLOAD_LEN);
		ip4_done(&f, ip);
		rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
		ok(rc == DECODE_TCP && tcp_fields(&k, AF_INET, PAYLOAD) &&
		    memcmp(k.mac, mac_src, 6) == 0,
		    "vlan %04x/%04x/%04x: decoded", tags[i][0], tags[i][1],
		    tags[i][2]);
		if (i == 1)
			prefixes("qinq", DLT_EN10MB, &f, hlen, DECODE_TCP);
	}

	/* QinQ over IPv6 */
	f.n = 0;
	putb(&f, mac_dst, 6);
	putb(&f, mac_src, 6);
	put16(&f, 0x88a8);
	put16(&f, 10);
	put16(&f, 0x8100);
	put16(&f, 20);
	put16(&f, 0x86dd);
	ip = put_ip6(&f, 6);
	put_tcp(&f, 0, PAYLOAD);
	ip6_done(&f, ip);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_TCP && tcp_fields(&k, AF_INET6, PAYLOAD),
	    "qinq ipv6: decoded");

	/* one tag more than the bound */
	f.n = 0;
	putb(&f, mac_dst, 6);
	putb(&f, mac_src, 6);
	for (j = 0; j < DECODE_VLAN_MAX + 1; j++) {
		put16(&f, 0x8100);
		put16(&f, 1);
	}
	put16(&f, 0x0800);
	ip = put_ip4(&f, 0, 0, 6);
	put_tcp(&f, 0, NULL);
	ip4_done(&f, ip);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_SHORT, "vlan stack deeper than DECODE_VLAN_MAX");
	/* exactly the bound is fine */
	memmove(f.p + 12, f.p + 16, f.n - 16);
	f.n -= 4;
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_TCP, "vlan stack of DECODE_VLAN_MAX tags decoded");
}

static void
t_ip4_frag_other(void)
{
	struct frame	f;
	struct pkt	k;
	size_t		ip;
	int		rc;

	/* MF set, offset 0 */
	f.n = 0;
	put_ether(&f, 0x0800);
	ip = put_ip4(&f, 0, 0x2000, 6);
	put_tcp(&f, 0, PAYLOAD);
	ip4_done(&f, ip);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_FRAG && k.family == AF_INET &&
	    memcmp(k.src, src4, 4) == 0 && memcmp(k.dst, dst4, 4) == 0,
	    "ipv4 first fragment (MF): DECODE_FRAG with addresses");
	prefixes("ipv4 fragment", DLT_EN10MB, &f, 34, DECODE_FRAG);

	/* a later fragment: offset 185 (1480 bytes), MF clear, DF set */
	set16(&f, 14 + 6, 0x4000 | 185);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_FRAG, "ipv4 last fragment (offset): DECODE_FRAG");

	/* DF alone is no fragment */
	set16(&f, 14 + 6, 0x4000);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_TCP, "ipv4 DF only: DECODE_TCP");

	/* UDP */
	f.n = 0;
	put_ether(&f, 0x0800);
	ip = put_ip4(&f, 0, 0, 17);
	putb(&f, "\x00\x35\x00\x35\x00\x08\x00\x00", 8);
	ip4_done(&f, ip);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_UDP && k.family == AF_INET &&
	    memcmp(k.src, src4, 4) == 0 && k.sport == 53 && k.dport == 53 &&
	    k.len == 0, "ipv4 udp: DECODE_UDP, its ports, no payload");
	prefixes("ipv4 udp", DLT_EN10MB, &f, 42, DECODE_UDP);
	/* a query's payload, trimmed by the UDP length, not the frame */
	f.n = 0;
	put_ether(&f, 0x0800);
	ip = put_ip4(&f, 0, 0, 17);
	putb(&f, "\xc0\x01\x00\x35\x00\x0b\x00\x00" "abcXY", 13);
	ip4_done(&f, ip);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_UDP && k.sport == 49153 && k.dport == 53 &&
	    k.len == 3 && memcmp(k.data, "abc", 3) == 0,
	    "ipv4 udp: the UDP length trims the payload");
	f.p[34 + 5] = 7;
	ok(decode_packet(DLT_EN10MB, f.p, f.n, &k) == DECODE_SHORT,
	    "ipv4 udp: a length below 8 is malformed");

	/* ARP */
	f.n = 0;
	put_ether(&f, 0x0806);
	putb(&f, "\x00\x01\x08\x00\x06\x04\x00\x01", 8);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_OTHER && k.family == 0, "arp: DECODE_OTHER");
	/* an 802.3 length field */
	set16(&f, 12, 0x0026);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_OTHER, "802.3 frame: DECODE_OTHER");
}

static void
t_ip4_malformed(void)
{
	struct frame	f;
	struct pkt	k;
	size_t		hlen;
	int		rc;

	build_eth4(&f, &hlen);
	f.p[14] = 0x65;			/* version 6 under IPv4 */
	ok(decode_packet(DLT_EN10MB, f.p, f.n, &k) == DECODE_SHORT,
	    "ipv4: wrong version");
	f.p[14] = 0x44;			/* IHL 4 */
	ok(decode_packet(DLT_EN10MB, f.p, f.n, &k) == DECODE_SHORT,
	    "ipv4: IHL below 5");
	f.p[14] = 0x4f;			/* IHL 15: 60 bytes */
	set16(&f, 16, 40);
	ok(decode_packet(DLT_EN10MB, f.p, f.n, &k) == DECODE_SHORT,
	    "ipv4: IHL beyond the total length");
	build_eth4(&f, &hlen);
	set16(&f, 16, 19);
	ok(decode_packet(DLT_EN10MB, f.p, f.n, &k) == DECODE_SHORT,
	    "ipv4: total length below the header");
	set16(&f, 16, 30);
	ok(decode_packet(DLT_EN10MB, f.p, f.n, &k) == DECODE_SHORT,
	    "ipv4: total length cuts the TCP header");
	/* total length 0, as segmentation offload leaves it */
	set16(&f, 16, 0);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_TCP && tcp_fields(&k, AF_INET, PAYLOAD),
	    "ipv4: total length 0 uses the captured length");
	/* total length larger than captured: what was captured */
	set16(&f, 16, 1500);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_TCP && k.len == PAYLOAD_LEN,
	    "ipv4: snapped capture gives the captured payload");

	build_eth4(&f, &hlen);
	f.p[14 + 20 + 12] = 0x40;		/* data offset 4 */
	ok(decode_packet(DLT_EN10MB, f.p, f.n, &k) == DECODE_SHORT,
	    "tcp: data offset below 5");
	f.p[14 + 20 + 12] = 0xf0;		/* 60 bytes: too many */
	ok(decode_packet(DLT_EN10MB, f.p, f.n, &k) == DECODE_SHORT,
	    "tcp: data offset beyond the segment");
}

static void
t_ip6(void)
{
	struct frame	f;
	struct pkt	k;
	size_t		ip, hlen;
	int		rc, i;

	/* plain */
	f.n = 0;
	put_ether(&f, 0x86dd);
	ip = put_ip6(&f, 6);
	put_tcp(&f, 0, NULL);
	hlen = f.n;
	putb(&f, PAYLOAD, PAYLOAD_LEN);
	ip6_done(&f, ip);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_TCP && tcp_fields(&k, AF_INET6, PAYLOAD),
	    "ipv6 tcp: fields");
	prefixes("ipv6", DLT_EN10MB, &f, hlen, DECODE_TCP);

	/* padding after the payload length is dropped */
	putb(&f, "xxxx", 4);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_TCP && k.len == PAYLOAD_LEN,
	    "ipv6: trimmed to the payload length");

	/* hop-by-hop (8 bytes) then destination options (16 bytes) */
	f.n = 0;
	put_ether(&f, 0x86dd);
	ip = put_ip6(&f, 0);
	put_ext(&f, 60, 0);
	put_ext(&f, 6, 1);
	put_tcp(&f, 4, NULL);
	hlen = f.n;
	putb(&f, PAYLOAD, PAYLOAD_LEN);
	ip6_done(&f, ip);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_TCP && tcp_fields(&k, AF_INET6, PAYLOAD) &&
	    k.data == f.p + 14 + 40 + 8 + 16 + 24,
	    "ipv6 hop-by-hop + destination options: decoded");
	prefixes("ipv6 hop-by-hop + dstopts", DLT_EN10MB, &f, hlen,
	    DECODE_TCP);

	/* routing then AH: AH length is in 4-octet units, minus 2 */
	f.n = 0;
	put_ether(&f, 0x86dd);
	ip = put_ip6(&f, 43);
	put_ext(&f, 51, 0);
	put8(&f, 6);
	put8(&f, 4);				/* (4 + 2) * 4 = 24 bytes */
	for (i = 2; i < 24; i++)
		put8(&f, 0);
	put_tcp(&f, 0, PAYLOAD);
	ip6_done(&f, ip);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_TCP && tcp_fields(&k, AF_INET6, PAYLOAD),
	    "ipv6 routing + AH: decoded");

	/* fragment header, offset 0 and M set */
	f.n = 0;
	put_ether(&f, 0x86dd);
	ip = put_ip6(&f, 44);
	put8(&f, 6);
	put8(&f, 0);
	put16(&f, 0x0001);
	put32(&f, 0xdeadbeefU);
	put_tcp(&f, 0, PAYLOAD);
	ip6_done(&f, ip);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_FRAG && k.family == AF_INET6 &&
	    memcmp(k.src, src6, 16) == 0, "ipv6 fragment: DECODE_FRAG");
	prefixes("ipv6 fragment", DLT_EN10MB, &f, 14 + 40 + 8, DECODE_FRAG);
	/* a later fragment */
	set16(&f, 14 + 40 + 2, 185 << 3);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_FRAG, "ipv6 later fragment: DECODE_FRAG");
	/* an atomic fragment (RFC 6946) is a whole packet */
	set16(&f, 14 + 40 + 2, 0);
	rc = decode_packet(DLT_EN10MB, f.p, f.n, &k);
	ok(rc == DECODE_TCP && tcp_fields(&k, AF_INET6, PAYLOAD),
	    "ipv6 atomic fragment: DECODE_TCP");

	/* UDP, no next header, ESP */
	f.n = 0;
	put_ether(&f, 0x86dd);
	ip = put_ip6(&f, 17);
	putb(&f, "\x00\x35\x00\x35\x00\x08\x00\x00", 8);
	ip6_done(&f, ip);
	ok(decode_packet(DLT_EN10MB, f.p, f.n, &k) == DECODE_UDP &&
	    k.family == AF_INET6 && k.dport == 53, "ipv6 udp: DECODE_UDP");
	f.p[14 + 6] = 59;
	ok(decode_packet(DLT_EN10MB, f.p, f.n, &k) == DECODE_OTHER,
	    "ipv6 no next header: DECODE_OTHER");
	f.p[14 + 6] = 50;
	ok(decode_packet(DLT_EN10MB, f.p, f.n, &k) == DECODE_OTHER,
	    "ipv6 esp: DECODE_OTHER");
	f.p[14] = 0x45;
	ok(decode_packet(DLT_EN10MB, f.p, f.n, &k) == DECODE_SHORT,
	    "ipv6: wrong version");

	/* more extension headers than the bound */
	f.n = 0;
	put_ether(&f, 0x86dd);
	ip = put_ip6(&f, 60);
	for (i = 0; i < DECODE_IP6_EXT_MAX + 1; i++)
		put_ext(&f, i == DECODE_IP6_EXT_MAX ? 6 : 60, 0);
	put_tcp(&f, 0, NULL);
	ip6_done(&f, ip);
	ok(decode_packet(DLT_EN10MB, f.p, f.n, &k) == DECODE_SHORT,
	    "ipv6: extension chain longer than DECODE_IP6_EXT_MAX");
	/* an extension header running past the payload length */
	f.n = 0;
	put_ether(&f, 0x86dd);
	ip = put_ip6(&f, 0);
	put_ext(&f, 6, 3);			/* 32 bytes */
	put_tcp(&f, 0, NULL);
	ip6_done(&f, ip);
	set16(&f, ip + 4, 16);
	ok(decode_packet(DLT_EN10MB, f.p, f.n, &k) == DECODE_SHORT,
	    "ipv6: extension header past the payload length");
}

/* Linux cooked captures, v1 and v2 */
static void
t_sll(void)
{
	struct frame	f;
	struct pkt	k;
	size_t		ip, hlen;
	int		rc;

	f.n = 0;
	put16(&f, 0);			/* to us */
	put16(&f, 1);			/* ARPHRD_ETHER */
	put16(&f, 6);
	putb(&f, mac_src, 6);
	put16(&f, 0);
	put16(&f, 0x0800);
	ip = put_ip4(&f, 0, 0, 6);
	put_tcp(&f, 0, NULL);
	hlen = f.n;
	putb(&f, PAYLOAD, PAYLOAD_LEN);
	ip4_done(&f, ip);
	rc = decode_packet(DLT_LINUX_SLL, f.p, f.n, &k);
	ok(rc == DECODE_TCP && tcp_fields(&k, AF_INET, PAYLOAD) &&
	    k.has_mac && memcmp(k.mac, mac_src, 6) == 0,
	    "sll ipv4: decoded with mac");
	prefixes("sll", DLT_LINUX_SLL, &f, hlen, DECODE_TCP);
	set16(&f, 4, 0);		/* no link-layer address */
	rc = decode_packet(DLT_LINUX_SLL, f.p, f.n, &k);
	ok(rc == DECODE_TCP && !k.has_mac, "sll without address: no mac");
	set16(&f, 14, 0x0004);		/* 802.2 LLC */
	ok(decode_packet(DLT_LINUX_SLL, f.p, f.n, &k) == DECODE_OTHER,
	    "sll 802.2: DECODE_OTHER");

	f.n = 0;
	put16(&f, 0x86dd);
	put16(&f, 0);
	put32(&f, 3);			/* ifindex */
	put16(&f, 1);
	put8(&f, 4);			/* outgoing */
	put8(&f, 6);
	putb(&f, mac_src, 6);
	put16(&f, 0);
	ip = put_ip6(&f, 6);
	put_tcp(&f, 0, NULL);
	hlen = f.n;
	putb(&f, PAYLOAD, PAYLOAD_LEN);
	ip6_done(&f, ip);
	rc = decode_packet(DLT_LINUX_SLL2, f.p, f.n, &k);
	ok(rc == DECODE_TCP && tcp_fields(&k, AF_INET6, PAYLOAD) &&
	    k.has_mac && memcmp(k.mac, mac_src, 6) == 0,
	    "sll2 ipv6: decoded with mac");
	prefixes("sll2", DLT_LINUX_SLL2, &f, hlen, DECODE_TCP);
	f.p[11] = 8;
	rc = decode_packet(DLT_LINUX_SLL2, f.p, f.n, &k);
	ok(rc == DECODE_TCP && !k.has_mac, "sll2 8-byte address: no mac");
}

/* raw IP under each of its link types */
static void
t_raw(void)
{
	static const int	 dlts[] = { DLT_RAW, 101, DLT_IPV4, DLT_IPV6 };
	struct frame		 f4, f6;
	struct pkt		 k;
	size_t			 ip;
	unsigned		 i;
	int			 rc;

	f4.n = 0;
	ip = put_ip4(&f4, 0, 0, 6);
	put_tcp(&f4, 0, PAYLOAD);
	ip4_done(&f4, ip);
	f6.n = 0;
	ip = put_ip6(&f6, 6);
	put_tcp(&f6, 0, PAYLOAD);
	ip6_done(&f6, ip);
	for (i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++) {
		rc = decode_packet(dlts[i], f4.p, f4.n, &k);
		ok(rc == DECODE_TCP && tcp_fields(&k, AF_INET, PAYLOAD) &&
		    !k.has_mac, "raw dlt %d ipv4: decoded", dlts[i]);
		rc = decode_packet(dlts[i], f6.p, f6.n, &k);
		ok(rc == DECODE_TCP && tcp_fields(&k, AF_INET6, PAYLOAD),
		    "raw dlt %d ipv6: decoded", dlts[i]);
	}
	prefixes("raw ipv4", DLT_RAW, &f4, 40, DECODE_TCP);
	prefixes("raw ipv6", DLT_RAW, &f6, 60, DECODE_TCP);
	f4.p[0] = 0x15;
	ok(decode_packet(DLT_RAW, f4.p, f4.n, &k) == DECODE_OTHER,
	    "raw: version 1 is DECODE_OTHER");
}

/* BSD loopback: the family in either byte order */
static void
t_null(void)
{
	static const uint32_t	 fams[] = { 2, 24, 28, 30 };
	struct frame		 f;
	struct pkt		 k;
	size_t			 ip;
	unsigned		 i, order;
	int			 rc, dlt, fam;

	for (i = 0; i < 4; i++)
		for (order = 0; order < 2; order++) {
			f.n = 0;
			if (order == 0)
				put32(&f, fams[i]);
			else {
				put8(&f, fams[i]);
				put8(&f, 0);
				put16(&f, 0);
			}
			if (fams[i] == 2) {
				ip = put_ip4(&f, 0, 0, 6);
				put_tcp(&f, 0, PAYLOAD);
				ip4_done(&f, ip);
				fam = AF_INET;
			} else {
				ip = put_ip6(&f, 6);
				put_tcp(&f, 0, PAYLOAD);
				ip6_done(&f, ip);
				fam = AF_INET6;
			}
			dlt = order == 0 ? DLT_LOOP : DLT_NULL;
			rc = decode_packet(dlt, f.p, f.n, &k);
			ok(rc == DECODE_TCP && tcp_fields(&k, fam, PAYLOAD),
			    "%s family %u %s order: decoded",
			    order == 0 ? "loop" : "null", fams[i],
			    order == 0 ? "network" : "little-endian");
			rc = decode_packet(order == 0 ? DLT_NULL : DLT_LOOP,
			    f.p, f.n, &k);
			ok(rc == DECODE_TCP, "%s family %u: the other dlt too",
			    order == 0 ? "loop" : "null", fams[i]);
			if (i == 1 && order == 1)
				prefixes("null ipv6", DLT_NULL, &f, 64,
				    DECODE_TCP);
		}
	f.p[0] = 7;
	ok(decode_packet(DLT_NULL, f.p, f.n, &k) == DECODE_OTHER,
	    "null: unknown family is DECODE_OTHER");
}

static void
t_misc(void)
{
	struct frame	f;
	struct pkt	k;
	size_t		hlen;

	build_eth4(&f, &hlen);
	ok(decode_packet(DLT_EN10MB, NULL, 0, &k) == DECODE_SHORT,
	    "NULL packet: DECODE_SHORT");
	ok(decode_packet(DLT_IEEE802_11, f.p, f.n, &k) == DECODE_OTHER,
	    "unsupported link type: DECODE_OTHER");
	ok(decode_packet(-1, f.p, f.n, &k) == DECODE_OTHER,
	    "negative link type: DECODE_OTHER");
}

/* random and mutated frames: any result, but a TCP payload stays inside */
static uint32_t	rng = 4242;

static uint32_t
rnd(uint32_t n)
{
	rng = rng * 1103515245U + 12345U;
	return (rng >> 8) % n;
}

static void
t_fuzz(void)
{
	static const int	 dlts[] = { DLT_EN10MB, DLT_LINUX_SLL,
				    DLT_LINUX_SLL2, DLT_RAW, DLT_NULL,
				    DLT_LOOP, DLT_IPV4, DLT_IPV6, 101 };
	struct frame		 base, f;
	struct pkt		 k;
	uint8_t			*b;
	size_t			 hlen, n;
	int			 i, j, rc, bad = 0, ntcp = 0;

	build_eth4(&base, &hlen);
	for (i = 0; i < 200000; i++) {
		int	dlt = dlts[rnd(sizeof(dlts) / sizeof(dlts[0]))];

		if (i % 2 == 0) {
			/* a valid frame with a few bytes changed */
			f = base;
			if (dlt != DLT_EN10MB) {
				/* drop the Ethernet header, add a link one */
				memmove(f.p + 4, f.p + 14, f.n - 14);
				f.n -= 10;
				memset(f.p, 0, 4);
				f.p[3] = 2;
			}
			for (j = 0; j < 1 + (int)rnd(4); j++)
				f.p[rnd((uint32_t)f.n)] = (uint8_t)rnd(256);
			n = rnd((uint32_t)f.n + 1);
		} else {
			n = rnd(128);
			for (j = 0; j < (int)n; j++)
				f.p[j] = (uint8_t)rnd(256);
			/* often IP-looking, to get past the first checks */
			if (n > 20 && rnd(2))
				f.p[dlt == DLT_EN10MB ? 14 : 0] = 0x45;
		}
		if ((b = malloc(n == 0 ? 1 : n)) == NULL)
			exit(2);
		memcpy(b, f.p, n);
		rc = decode_packet(dlt, b, n, &k);
		if (rc < DECODE_TCP || rc > DECODE_SHORT)
			bad++;
		if (rc == DECODE_TCP) {
			ntcp++;
			if (k.data < b || k.data + k.len > b + n)
				bad++;
		}
		free(b);
	}
	ok(bad == 0, "fuzz: 200000 frames, results sane (%d TCP)", ntcp);
	ok(ntcp > 1000, "fuzz: mutated frames still reach TCP often");
}

int
main(void)
{
	t_ether();
	t_vlan();
	t_ip4_frag_other();
	t_ip4_malformed();
	t_ip6();
	t_sll();
	t_raw();
	t_null();
	t_misc();
	t_fuzz();
	return tap_done();
}
