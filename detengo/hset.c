/* a set of hosts keyed by address, keyed against chosen collisions; insertion order kept */
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "hash.h"
#include "hset.h"

/* the set never indexes more slots than this (4 bytes each: 256 MB) */
#define HSET_IDX_MAX	((size_t)1 << 26)

/* the slot of a normalised address (addr_norm()) */
static size_t
set_hash(const struct hset *s, const struct addr *k)
{
	return (size_t)hash_sip(s->key, k, sizeof(*k)) & (s->nidx - 1);
}

int
hset_init(struct hset *s, size_t hint)
{
	memset(s, 0, sizeof(*s));
	s->nidx = 64;
	while (s->nidx < 2 * hint && s->nidx < HSET_IDX_MAX)
		s->nidx <<= 1;
	if ((s->idx = calloc(s->nidx, sizeof(*s->idx))) == NULL)
		return -1;
	hash_key(s->key);
	return 0;
}

void
hset_free(struct hset *s)
{
	free(s->v);
	free(s->idx);
	memset(s, 0, sizeof(*s));
}

static struct hset_item *
set_find(const struct hset *s, const struct addr *k)
{
	size_t		 i;
	struct hset_item	*h;

	for (i = set_hash(s, k); s->idx[i] != 0; i = (i + 1) & (s->nidx - 1)) {
		h = &s->v[s->idx[i] - 1];
		if (memcmp(&h->addr, k, sizeof(*k)) == 0)
			return h;
	}
	return NULL;
}

struct hset_item *
hset_get(const struct hset *s, const struct addr *a)
{
	struct addr	 k;

	if (s->idx == NULL || addr_norm(a, &k) == -1)
		return NULL;
	return set_find(s, &k);
}

/* drop the deleted slots and index again into nidx slots */
static int
set_rebuild(struct hset *s, size_t nidx)
{
	uint32_t	*idx;
	size_t		 i, j, n;

	if ((idx = calloc(nidx, sizeof(*idx))) == NULL)
		return -1;
	free(s->idx);
	s->idx = idx;
	s->nidx = nidx;
	for (i = n = 0; i < s->n; i++) {
		if (s->v[i].addr.family == 0)
			continue;
		s->v[n] = s->v[i];
		for (j = set_hash(s, &s->v[n].addr); idx[j] != 0;
		    j = (j + 1) & (nidx - 1))
			;
		idx[j] = (uint32_t)(n + 1);
		n++;
	}
	s->n = s->live = n;
	return 0;
}

struct hset_item *
hset_put(struct hset *s, const struct addr *a)
{
	struct addr	 k;
	struct hset_item	*h, *v;
	size_t		 i, cap, nidx;

	if (s->idx == NULL || addr_norm(a, &k) == -1) {
		errno = EINVAL;
		return NULL;
	}
	if ((h = set_find(s, &k)) != NULL)
		return h;
	/* keep the index at most half full, counting deleted slots */
	if (2 * (s->n + 1) > s->nidx) {
		nidx = s->nidx;
		if (2 * (s->live + 1) > nidx / 2)
			nidx <<= 1;
		if (nidx > HSET_IDX_MAX) {
			errno = ENOSPC;
			return NULL;
		}
		if (set_rebuild(s, nidx) == -1)
			return NULL;
	}
	if (s->n == s->cap) {
		cap = s->cap ? 2 * s->cap : 64;
		if ((v = reallocarray(s->v, cap, sizeof(*v))) == NULL)
			return NULL;
		s->v = v;
		s->cap = cap;
	}
	h = &s->v[s->n];
	memset(h, 0, sizeof(*h));
	h->addr = k;
	for (i = set_hash(s, &k); s->idx[i] != 0; i = (i + 1) & (s->nidx - 1))
		;
	s->idx[i] = (uint32_t)(++s->n);
	s->live++;
	return h;
}

/* empty, keeping the memory and the key */
void
hset_clear(struct hset *s)
{
	if (s->idx != NULL)
		memset(s->idx, 0, s->nidx * sizeof(*s->idx));
	s->n = s->live = 0;
}

/* the slot stays in the index as a tombstone until the next rebuild */
int
hset_del(struct hset *s, const struct addr *a)
{
	struct hset_item	*h;

	if ((h = hset_get(s, a)) == NULL)
		return -1;
	memset(&h->addr, 0, sizeof(h->addr));
	s->live--;
	return 0;
}

