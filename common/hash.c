/* the hashes of both tools, and the random key of their tables */
#include <sys/random.h>

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "hash.h"

/*
 * SipHash-1-3 (Aumasson and Bernstein) with a random key, for every
 * table indexed by what the traffic chooses (addresses, ports): the
 * flow table, the policy's host sets and the state file's index.  With
 * the key unknown, chains cannot be made long on purpose.
 */
#define ROTL(x, b)	(uint64_t)(((x) << (b)) | ((x) >> (64 - (b))))
#define SIPROUND do {							\
	v0 += v1; v1 = ROTL(v1, 13); v1 ^= v0; v0 = ROTL(v0, 32);	\
	v2 += v3; v3 = ROTL(v3, 16); v3 ^= v2;				\
	v0 += v3; v3 = ROTL(v3, 21); v3 ^= v0;				\
	v2 += v1; v1 = ROTL(v1, 17); v1 ^= v2; v2 = ROTL(v2, 32);	\
} while (0)

uint64_t
hash_sip(const uint64_t k[2], const void *buf, size_t len)
{
	const uint8_t	*p = buf;
	uint64_t	 v0 = 0x736f6d6570736575ULL ^ k[0];
	uint64_t	 v1 = 0x646f72616e646f6dULL ^ k[1];
	uint64_t	 v2 = 0x6c7967656e657261ULL ^ k[0];
	uint64_t	 v3 = 0x7465646279746573ULL ^ k[1];
	uint64_t	 m, b = (uint64_t)len << 56;
	size_t		 i;

	for (i = 0; i + 8 <= len; i += 8) {
		memcpy(&m, p + i, 8);
		v3 ^= m;
		SIPROUND;
		v0 ^= m;
	}
	/* the last 0 to 7 bytes, little-endian, as in the reference code */
	switch (len & 7) {
	case 7:
		b |= (uint64_t)p[i + 6] << 48;
		/* FALLTHROUGH */
	case 6:
		b |= (uint64_t)p[i + 5] << 40;
		/* FALLTHROUGH */
	case 5:
		b |= (uint64_t)p[i + 4] << 32;
		/* FALLTHROUGH */
	case 4:
		b |= (uint64_t)p[i + 3] << 24;
		/* FALLTHROUGH */
	case 3:
		b |= (uint64_t)p[i + 2] << 16;
		/* FALLTHROUGH */
	case 2:
		b |= (uint64_t)p[i + 1] << 8;
		/* FALLTHROUGH */
	case 1:
		b |= (uint64_t)p[i];
	}
	v3 ^= b;
	SIPROUND;
	v0 ^= b;
	v2 ^= 0xff;
	SIPROUND;
	SIPROUND;
	SIPROUND;
	return v0 ^ v1 ^ v2 ^ v3;
}

/* splitmix64's step, to spread the fallback's few changing bits */
static uint64_t
mix(uint64_t *s)
{
	uint64_t	 x = (*s += 0x9e3779b97f4a7c15ULL);

	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

/*
 * A random key for hash_sip().  getrandom(2) is asked not to wait:
 * early at boot, before the kernel's pool is ready, or where it is
 * refused, the key comes from the time, the process id and an address
 * instead.  Weaker, but it differs from run to run, and the program
 * starts.
 */
void
hash_key(uint64_t key[2])
{
	struct timespec	 ts;
	uint64_t	 s;

	if (getrandom(key, 2 * sizeof(key[0]), GRND_NONBLOCK) ==
	    (ssize_t)(2 * sizeof(key[0])))
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	s = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
	s ^= (uint64_t)getpid() << 32 ^ (uint64_t)(uintptr_t)key;
	key[0] = mix(&s);
	key[1] = mix(&s);
}

/*
 * FNV-1a, 32 bits, continued from h (FNV1A_INIT to start): a cheap,
 * stable hash for what must come out the same on every run (the
 * session ids of a capture, the check sum of the log in the state
 * file), never for a table the traffic fills.
 */
uint32_t
fnv1a(uint32_t h, const void *buf, size_t len)
{
	const uint8_t	*p = buf;

	while (len-- > 0)
		h = (h ^ *p++) * 16777619u;
	return h;
}
