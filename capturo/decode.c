/* decode one captured packet: link layer, IPv4/IPv6 and the TCP header */

#include <sys/types.h>
#include <sys/socket.h>

#include <pcap/dlt.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "bounds.h"
#include "decode.h"

/*
 * Every read below is checked against the bytes captured; nothing is
 * ever read through a cast pointer, since packet data has no alignment.
 */

/* LINKTYPE_RAW in a savefile; pcap_datalink() maps it to DLT_RAW */
#define LINKTYPE_RAW		101

/* EtherType values (IEEE 802) */
#define ETYPE_IPV4		0x0800
#define ETYPE_IPV6		0x86dd
#define ETYPE_8021Q		0x8100	/* C-VLAN tag, IEEE 802.1Q */
#define ETYPE_8021AD		0x88a8	/* S-VLAN tag, IEEE 802.1ad */
#define ETYPE_QINQ_OLD		0x9100	/* pre-802.1ad QinQ tag */

#define ETHER_HDR_LEN		14
#define VLAN_TAG_LEN		4
#define SLL_HDR_LEN		16	/* Linux cooked capture v1 */
#define SLL2_HDR_LEN		20	/* Linux cooked capture v2 */
#define NULL_HDR_LEN		4	/* BSD loopback: address family */

/* BSD loopback families: AF_INET is 2 everywhere, AF_INET6 is not */
#define BSD_AF_INET		2
#define BSD_AF_INET6_BSD	24	/* NetBSD, OpenBSD */
#define BSD_AF_INET6_FREEBSD	28
#define BSD_AF_INET6_DARWIN	30

#define IP4_HDR_MIN		20	/* RFC 791 3.1 */
#define IP6_HDR_LEN		40	/* RFC 8200 3 */
#define TCP_HDR_MIN		20	/* RFC 9293 3.1 */

#define IPPROTO_TCP_NUM		6
#define IPPROTO_UDP_NUM		17
#define UDP_HDR_LEN		8	/* RFC 768 */
#define IP6_FRAG_LEN		8

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	    (uint32_t)p[2] << 8 | (uint32_t)p[3];
}

/*
 * The TCP header, RFC 9293 3.1: the data offset counts 32-bit words,
 * must cover the fixed 20 bytes and fit in what was captured.  The
 * payload is whatever follows, up to the end the IP layer found.
 */
static int
decode_tcp(const uint8_t *p, size_t len, struct pkt *out)
{
	size_t	off;

	if (len < TCP_HDR_MIN)
		return DECODE_SHORT;
	off = (size_t)(p[12] >> 4) * 4;
	if (off < TCP_HDR_MIN || off > len)
		return DECODE_SHORT;
	out->sport = rd16(p);
	out->dport = rd16(p + 2);
	out->seq = rd32(p + 4);
	out->ack = rd32(p + 8);
	out->flags = p[13];
	out->data = p + off;
	out->len = len - off;
	return DECODE_TCP;
}

/*
 * The UDP header, RFC 768: its length field trims the payload (never
 * past what the IP layer found); a length below the header's own is
 * malformed.  The checksum is not checked, as for TCP.
 */
static int
decode_udp(const uint8_t *p, size_t len, struct pkt *out)
{
	size_t	ulen;

	if (len < UDP_HDR_LEN)
		return DECODE_SHORT;
	ulen = rd16(p + 4);
	if (ulen < UDP_HDR_LEN)
		return DECODE_SHORT;
	if (ulen < len)
		len = ulen;
	out->sport = rd16(p);
	out->dport = rd16(p + 2);
	out->seq = out->ack = 0;
	out->flags = 0;
	out->data = p + UDP_HDR_LEN;
	out->len = len - UDP_HDR_LEN;
	return DECODE_UDP;
}

/*
 * IPv4, RFC 791 3.1.  The total length trims the packet, so Ethernet
 * padding of a short frame never becomes TCP payload; when the
 * capture was cut by the snap length, what was captured is used.  A
 * total length of 0 is what TCP segmentation offload leaves in frames
 * captured on the sending host: the captured length is used then.
 */
static int
decode_ip4(const uint8_t *p, size_t len, struct pkt *out)
{
	size_t		hl, tot;
	uint16_t	frag;

	if (len < IP4_HDR_MIN)
		return DECODE_SHORT;
	if ((p[0] >> 4) != 4)
		return DECODE_SHORT;
	hl = (size_t)(p[0] & 0x0f) * 4;
	if (hl < IP4_HDR_MIN || hl > len)
		return DECODE_SHORT;
	tot = rd16(p + 2);
	if (tot == 0)
		tot = len;
	if (tot < hl)
		return DECODE_SHORT;
	if (tot < len)
		len = tot;

	out->family = AF_INET;
	memcpy(out->src, p + 12, 4);
	memcpy(out->dst, p + 16, 4);

	/* MF set or a fragment offset: one piece of a larger datagram */
	frag = rd16(p + IP4_FRAG_OFF);
	if ((frag & IP4_FRAG_MASK) != 0)
		return DECODE_FRAG;
	if (p[9] == IPPROTO_UDP_NUM)
		return decode_udp(p + hl, len - hl, out);
	if (p[9] != IPPROTO_TCP_NUM)
		return DECODE_OTHER;
	return decode_tcp(p + hl, len - hl, out);
}

/*
 * IPv6, RFC 8200.  The payload length trims the packet (0 means a
 * jumbogram, RFC 2675, or offloaded segmentation: the captured length
 * is used).  Extension headers are walked up to DECODE_IP6_EXT_MAX:
 * hop-by-hop, routing and destination options count their length in
 * 8-octet units beyond the first 8 (RFC 8200 4.3-4.6), AH in 4-octet
 * units beyond the first 8 (RFC 4302 2.2).  A fragment header makes
 * the packet a fragment, unless it is an atomic fragment (offset 0,
 * M clear) which RFC 6946 4 says to process as a whole packet.
 */
static int
decode_ip6(const uint8_t *p, size_t len, struct pkt *out)
{
	size_t		end, off, hlen;
	uint16_t	fo;
	uint8_t		nh;
	int		i;

	if (len < IP6_HDR_LEN)
		return DECODE_SHORT;
	if ((p[0] >> 4) != 6)
		return DECODE_SHORT;
	end = IP6_HDR_LEN + (size_t)rd16(p + 4);
	if (end > IP6_HDR_LEN && end < len)
		len = end;

	out->family = AF_INET6;
	memcpy(out->src, p + 8, 16);
	memcpy(out->dst, p + 24, 16);

	nh = p[IP6_NXT_OFF];
	off = IP6_HDR_LEN;
	for (i = 0; i <= DECODE_IP6_EXT_MAX; i++) {
		switch (nh) {
		case IPPROTO_TCP_NUM:
			return decode_tcp(p + off, len - off, out);
		case IPPROTO_UDP_NUM:
			return decode_udp(p + off, len - off, out);
		case IP6_HOPOPTS:
		case IP6_ROUTING:
		case IP6_DSTOPTS:
		case IP6_AH:
			if (len - off < 2)
				return DECODE_SHORT;
			if (nh == IP6_AH)
				hlen = ((size_t)p[off + 1] + 2) * 4;
			else
				hlen = ((size_t)p[off + 1] + 1) * 8;
			if (hlen > len - off)
				return DECODE_SHORT;
			nh = p[off];
			off += hlen;
			break;
		case IP6_FRAGMENT:
			if (len - off < IP6_FRAG_LEN)
				return DECODE_SHORT;
			/* offset in the top 13 bits, M in the lowest one */
			fo = rd16(p + off + 2);
			if ((fo & 0xfff8) != 0 || (fo & 0x0001) != 0)
				return DECODE_FRAG;
			nh = p[off];
			off += IP6_FRAG_LEN;
			break;
		default:
			/* no next header (59), ESP (50), ICMPv6... */
			return DECODE_OTHER;
		}
	}
	return DECODE_SHORT;
}

/* raw IP: the version nibble says which */
static int
decode_ip(const uint8_t *p, size_t len, struct pkt *out)
{
	if (len < 1)
		return DECODE_SHORT;
	switch (p[0] >> 4) {
	case 4:
		return decode_ip4(p, len, out);
	case 6:
		return decode_ip6(p, len, out);
	default:
		return DECODE_OTHER;
	}
}

/*
 * An EtherType at p[off - 2], possibly a stack of VLAN tags (each a
 * 2-byte TCI and the next EtherType), then the network layer.
 */
static int
decode_ethertype(uint16_t type, const uint8_t *p, size_t len, size_t off,
    struct pkt *out)
{
	int	depth;

	for (depth = 0; type == ETYPE_8021Q || type == ETYPE_8021AD ||
	    type == ETYPE_QINQ_OLD; depth++) {
		if (depth >= DECODE_VLAN_MAX)
			return DECODE_SHORT;
		if (len - off < VLAN_TAG_LEN)
			return DECODE_SHORT;
		type = rd16(p + off + 2);
		off += VLAN_TAG_LEN;
	}
	switch (type) {
	case ETYPE_IPV4:
		return decode_ip4(p + off, len - off, out);
	case ETYPE_IPV6:
		return decode_ip6(p + off, len - off, out);
	default:
		return DECODE_OTHER;
	}
}

/* Ethernet II: destination, source, EtherType */
static int
decode_ether(const uint8_t *p, size_t len, struct pkt *out)
{
	if (len < ETHER_HDR_LEN)
		return DECODE_SHORT;
	memcpy(out->mac, p + 6, 6);
	out->has_mac = 1;
	return decode_ethertype(rd16(p + 12), p, len, ETHER_HDR_LEN, out);
}

/*
 * Linux cooked capture v1: packet type (2), ARPHRD type (2), address
 * length (2), address (8), protocol (2).  Protocol values below 0x600
 * name link-layer encapsulations, not EtherTypes: they fall to OTHER.
 */
static int
decode_sll(const uint8_t *p, size_t len, struct pkt *out)
{
	if (len < SLL_HDR_LEN)
		return DECODE_SHORT;
	if (rd16(p + 4) == 6) {
		memcpy(out->mac, p + 6, 6);
		out->has_mac = 1;
	}
	return decode_ethertype(rd16(p + 14), p, len, SLL_HDR_LEN, out);
}

/*
 * Linux cooked capture v2: protocol (2), reserved (2), interface
 * index (4), ARPHRD type (2), packet type (1), address length (1),
 * address (8).
 */
static int
decode_sll2(const uint8_t *p, size_t len, struct pkt *out)
{
	if (len < SLL2_HDR_LEN)
		return DECODE_SHORT;
	if (p[11] == 6) {
		memcpy(out->mac, p + 12, 6);
		out->has_mac = 1;
	}
	return decode_ethertype(rd16(p), p, len, SLL2_HDR_LEN, out);
}

/*
 * BSD loopback: a 4-byte address family, in the writer's byte order
 * for DLT_NULL and in network order for DLT_LOOP.  Both orders are
 * accepted for both, since a savefile may come from either.
 */
static int
decode_null(const uint8_t *p, size_t len, struct pkt *out)
{
	uint32_t	be, le;

	if (len < NULL_HDR_LEN)
		return DECODE_SHORT;
	be = rd32(p);
	le = (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 |
	    (uint32_t)p[1] << 8 | (uint32_t)p[0];
	if (be == BSD_AF_INET || le == BSD_AF_INET)
		return decode_ip4(p + NULL_HDR_LEN, len - NULL_HDR_LEN, out);
	if (be == BSD_AF_INET6_BSD || le == BSD_AF_INET6_BSD ||
	    be == BSD_AF_INET6_FREEBSD || le == BSD_AF_INET6_FREEBSD ||
	    be == BSD_AF_INET6_DARWIN || le == BSD_AF_INET6_DARWIN)
		return decode_ip6(p + NULL_HDR_LEN, len - NULL_HDR_LEN, out);
	return DECODE_OTHER;
}

/* the link types read, and how: the one list (capturo refuses others) */
typedef int	decode_fn(const uint8_t *, size_t, struct pkt *);

static const struct {
	int		 dlt;
	decode_fn	*fn;
} links[] = {
	{ DLT_EN10MB,		decode_ether },
	{ DLT_LINUX_SLL,	decode_sll },
	{ DLT_LINUX_SLL2,	decode_sll2 },
	{ DLT_RAW,		decode_ip },
#if DLT_RAW != LINKTYPE_RAW
	{ LINKTYPE_RAW,		decode_ip },
#endif
	{ DLT_IPV4,		decode_ip },
	{ DLT_IPV6,		decode_ip },
	{ DLT_NULL,		decode_null },
#if defined(DLT_LOOP) && DLT_LOOP != DLT_NULL
	{ DLT_LOOP,		decode_null },
#endif
};

static decode_fn *
link_fn(int dlt)
{
	size_t	 i;

	for (i = 0; i < sizeof(links) / sizeof(links[0]); i++)
		if (links[i].dlt == dlt)
			return links[i].fn;
	return NULL;
}

int
decode_known(int dlt)
{
	return link_fn(dlt) != NULL;
}

int
decode_packet(int dlt, const uint8_t *p, size_t caplen, struct pkt *out)
{
	decode_fn	*fn;

	memset(out, 0, sizeof(*out));
	if (p == NULL)
		return DECODE_SHORT;
	if ((fn = link_fn(dlt)) == NULL)
		return DECODE_OTHER;
	return fn(p, caplen, out);
}
