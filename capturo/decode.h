/* link layer, IP and TCP decoding of one captured packet */
#ifndef DECODE_H
#define DECODE_H

#include <pcap/dlt.h>
#include <stddef.h>
#include <stdint.h>

/* link types fixed by the tcpdump.org registry, for older headers */
#ifndef DLT_IPV4
#define DLT_IPV4		228
#endif
#ifndef DLT_IPV6
#define DLT_IPV6		229
#endif
#ifndef DLT_LINUX_SLL2
#define DLT_LINUX_SLL2		276
#endif

/*
 * Header fields and values that decode.c reads and the capture filter
 * (capturo.c) tests too.
 */
#define IP4_FRAG_OFF		6	/* RFC 791 3.1: flags, fragment offset */
#define IP4_FRAG_MASK		0x3fff	/* MF and the offset; not DF */
#define IP6_NXT_OFF		6	/* RFC 8200 3: next header */
/* IPv6 next header values (RFC 8200 4, RFC 4302) */
#define IP6_HOPOPTS		0
#define IP6_ROUTING		43
#define IP6_FRAGMENT		44
#define IP6_AH			51
#define IP6_DSTOPTS		60

/*
 * One decoded packet.  The addresses and the family are filled in as
 * soon as the IP header is read, so they are also valid for
 * DECODE_FRAG and for non-TCP IP packets; the TCP fields only for
 * DECODE_TCP, the ports and the payload for DECODE_UDP too.
 */
struct pkt {
	int		 family;	/* AF_INET or AF_INET6 */
	uint8_t		 src[16];	/* network order, v4 in 0..3 */
	uint8_t		 dst[16];
	uint16_t	 sport, dport;	/* host order */
	uint32_t	 seq, ack;	/* host order */
	uint8_t		 flags;		/* TCP flag byte: TH_SYN... */
	const uint8_t	*data;		/* payload, in the caller's buffer */
	size_t		 len;		/* payload bytes captured */
	uint8_t		 mac[6];	/* source link-layer address */
	int		 has_mac;
};

#define DECODE_TCP	0	/* a TCP segment: every field is set */
#define DECODE_OTHER	1	/* not IP, or IP but not TCP */
#define DECODE_FRAG	2	/* an IP fragment: not reassembled */
#define DECODE_SHORT	3	/* truncated or malformed */
#define DECODE_UDP	4	/* a UDP datagram: ports, data, len set */

int	 decode_packet(int, const uint8_t *, size_t, struct pkt *);
int	 decode_known(int);

#endif /* DECODE_H */
