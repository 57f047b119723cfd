/* unit tests of common/hash.c: SipHash-1-3, FNV-1a, the random key */
#include <stdint.h>
#include <string.h>

#include "hash.h"
#include "tap.h"

#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))

/* SipHash-c-d written plainly from the paper, byte by byte, to check against */
static uint64_t
sip_ref(int c, int d, const uint8_t key[16], const uint8_t *m, size_t len)
{
	uint64_t	 k0 = 0, k1 = 0, v[4], w, b;
	size_t		 i, j;
	int		 r;

	for (i = 0; i < 8; i++) {
		k0 |= (uint64_t)key[i] << (8 * i);
		k1 |= (uint64_t)key[8 + i] << (8 * i);
	}
	v[0] = k0 ^ 0x736f6d6570736575ULL;
	v[1] = k1 ^ 0x646f72616e646f6dULL;
	v[2] = k0 ^ 0x6c7967656e657261ULL;
	v[3] = k1 ^ 0x7465646279746573ULL;
#define ROUND do {							\
	v[0] += v[1]; v[1] = ROTL(v[1], 13); v[1] ^= v[0];		\
	v[0] = ROTL(v[0], 32);						\
	v[2] += v[3]; v[3] = ROTL(v[3], 16); v[3] ^= v[2];		\
	v[0] += v[3]; v[3] = ROTL(v[3], 21); v[3] ^= v[0];		\
	v[2] += v[1]; v[1] = ROTL(v[1], 17); v[1] ^= v[2];		\
	v[2] = ROTL(v[2], 32);						\
} while (0)
	for (i = 0; i <= len; i += 8) {
		w = 0;
		if (i + 8 <= len)
			for (j = 0; j < 8; j++)
				w |= (uint64_t)m[i + j] << (8 * j);
		else {
			for (j = 0; i + j < len; j++)
				w |= (uint64_t)m[i + j] << (8 * j);
			w |= (uint64_t)(len & 0xff) << 56;
		}
		v[3] ^= w;
		for (r = 0; r < c; r++)
			ROUND;
		v[0] ^= w;
		if (i + 8 > len)
			break;
	}
	v[2] ^= 0xff;
	for (r = 0; r < d; r++)
		ROUND;
	b = v[0] ^ v[1] ^ v[2] ^ v[3];
	return b;
#undef ROUND
}

int
main(void)
{
	uint8_t		 key[16], msg[64];
	uint64_t	 k[2], k2[2];
	size_t		 i, len, bad = 0;

	for (i = 0; i < 16; i++)
		key[i] = (uint8_t)i;
	for (i = 0; i < sizeof(msg); i++)
		msg[i] = (uint8_t)i;
	/* the paper's example (SipHash-2-4, Appendix A) checks the reference */
	ok(sip_ref(2, 4, key, msg, 15) == 0xa129ca6149be45e5ULL,
	    "the reference gives the SipHash paper's SipHash-2-4 example");
	memcpy(k, key, 16);	/* little-endian words, as the reference reads them */
	for (len = 0; len <= sizeof(msg); len++)
		if (hash_sip(k, msg, len) != sip_ref(1, 3, key, msg, len))
			bad++;
	ok(bad == 0, "hash_sip() is SipHash-1-3 for 0 to 64 bytes (%zu differ)",
	    bad);
	k2[0] = k[0] ^ 1;
	k2[1] = k[1];
	ok(hash_sip(k, msg, 38) != hash_sip(k2, msg, 38),
	    "another key, another hash");
	hash_key(k);
	hash_key(k2);
	ok((k[0] | k[1]) != 0 && (k[0] != k2[0] || k[1] != k2[1]),
	    "hash_key() gives a new key each time");
	ok(fnv1a(FNV1A_INIT, "", 0) == 0x811c9dc5u, "FNV-1a of nothing");
	ok(fnv1a(FNV1A_INIT, "foobar", 6) == 0xbf9cf968u, "FNV-1a of \"foobar\"");
	ok(fnv1a(fnv1a(FNV1A_INIT, "foo", 3), "bar", 3) == 0xbf9cf968u,
	    "FNV-1a continued from a first part");
	return tap_done();
}
