/* hashes: SipHash for tables the traffic fills, FNV-1a for ids and sums */
#ifndef HASH_H
#define HASH_H

#include <stddef.h>
#include <stdint.h>

#define FNV1A_INIT	2166136261u

uint64_t	 hash_sip(const uint64_t[2], const void *, size_t);
void		 hash_key(uint64_t[2]);
uint32_t	 fnv1a(uint32_t, const void *, size_t);

#endif /* HASH_H */
