/* fuzz capturo/decode.c: decode_packet() under every link type it reads */

#include <sys/socket.h>

#include <pcap/dlt.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "decode.h"
#include "fuzz.h"

/*
 * Input: a byte picking the link type, then the captured bytes.  The
 * packet is copied to a buffer of exactly its length, so any read past
 * the capture is an ASan report.  Checks: a known result; for a TCP
 * segment, an address family, a payload inside the capture, and a TCP
 * header in front of the payload whose data offset leads to it and
 * whose ports and numbers are the ones reported; the same packet
 * decodes the same way twice.
 */

#ifndef DLT_LOOP
#define DLT_LOOP	108
#endif

/* the link types decode.c knows, LINKTYPE_RAW (101) as a savefile has it, and two it does not */
static const int	 dlts[] = { DLT_EN10MB, DLT_LINUX_SLL, DLT_LINUX_SLL2,
			    DLT_RAW, 101, DLT_IPV4, DLT_IPV6, DLT_NULL,
			    DLT_LOOP, 147, -1 };

static uint16_t
rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static uint32_t
rd32(const uint8_t *p)
{
	return (uint32_t)rd16(p) << 16 | rd16(p + 2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct pkt	 k, k2;
	const uint8_t	*th;
	uint8_t		*p;
	volatile unsigned sum = 0;
	size_t		 len, off, i;
	int		 dlt, rc, found = 0;

	if (size < 1)
		return 0;
	dlt = dlts[data[0] % (sizeof(dlts) / sizeof(dlts[0]))];
	len = size - 1;
	if ((p = malloc(len ? len : 1)) == NULL)
		abort();
	memcpy(p, data + 1, len);

	rc = decode_packet(dlt, p, len, &k);
	FZ_CHECK(rc == DECODE_TCP || rc == DECODE_OTHER || rc == DECODE_FRAG ||
	    rc == DECODE_SHORT || rc == DECODE_UDP, "result %d", rc);
	FZ_CHECK(k.has_mac == 0 || k.has_mac == 1, "has_mac %d", k.has_mac);
	if (rc == DECODE_UDP) {
		/* the payload right after an 8-byte header with these ports */
		FZ_CHECK(k.data >= p + 8 && k.data <= p + len &&
		    k.len <= (size_t)(p + len - k.data),
		    "udp payload outside the capture");
		FZ_CHECK(rd16(k.data - 8) == k.sport &&
		    rd16(k.data - 6) == k.dport &&
		    rd16(k.data - 4) >= 8 + k.len, "udp header");
		for (i = 0; i < k.len; i++)
			sum += k.data[i];
	}
	if (rc == DECODE_TCP) {
		FZ_CHECK(k.family == AF_INET || k.family == AF_INET6,
		    "family %d", k.family);
		FZ_CHECK(k.data >= p && k.data <= p + len &&
		    k.len <= (size_t)(p + len - k.data),
		    "payload outside the capture");
		for (i = 0; i < k.len; i++)
			sum += k.data[i];
		for (off = 20; off <= 60 && !found; off += 4) {
			if ((size_t)(k.data - p) < off)
				break;
			th = k.data - off;
			found = (size_t)(th[12] >> 4) * 4 == off &&
			    rd16(th) == k.sport && rd16(th + 2) == k.dport &&
			    rd32(th + 4) == k.seq && rd32(th + 8) == k.ack &&
			    th[13] == k.flags;
		}
		FZ_CHECK(found, "no TCP header in front of the payload");
	}
	rc = decode_packet(dlt, p, len, &k2);
	FZ_CHECK(memcmp(&k, &k2, sizeof(k)) == 0,
	    "the same packet decoded two ways");
	FZ_CHECK(decode_packet(dlt, NULL, len, &k2) == DECODE_SHORT,
	    "a NULL packet");
	free(p);
	(void)sum;
	return 0;
}
