/* a set of hosts keyed by address, keyed against chosen collisions; insertion order kept */
#include <sys/types.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "hash.h"
#include "hset.h"
#include "oidx.h"

/*
 * The items live in v in the order they came; a deleted one stays there
 * with family 0 until v is full, when the live ones are packed to its
 * start if they are at most half of it.  The index (oidx.c) maps an
 * address to its item's place in v.
 */

/* the hash of a normalised address (addr_norm()) */
static uint64_t
set_hash(const struct hset *s, const struct addr *k)
{
	return hash_sip(s->key, k, sizeof(*k));
}

static int
item_eq(const void *owner, uint32_t e, const void *key)
{
	const struct hset	*s = owner;

	return memcmp(&s->v[e].addr, key, sizeof(s->v[e].addr)) == 0;
}

int
hset_init(struct hset *s, size_t hint)
{
	memset(s, 0, sizeof(*s));
	if (oidx_init(&s->ix, item_eq, hint ? hint : 1) == -1)
		return -1;
	hash_key(s->key);
	return 0;
}

void
hset_free(struct hset *s)
{
	free(s->v);
	oidx_free(&s->ix);
	memset(s, 0, sizeof(*s));
}

/* the item of a normalised address k, hashed to hv, or NULL */
static struct hset_item *
set_find(const struct hset *s, uint64_t hv, const struct addr *k)
{
	uint32_t	 e;

	e = oidx_get(&s->ix, s, hv, k);
	return e == OIDX_NONE ? NULL : &s->v[e];
}

struct hset_item *
hset_get(const struct hset *s, const struct addr *a)
{
	struct addr	 k;

	if (s->ix.eq == NULL || addr_norm(a, &k) == -1)
		return NULL;
	return set_find(s, set_hash(s, &k), &k);
}

/* move the live items to the start of v, in their order, and index them again */
static void
set_pack(struct hset *s)
{
	size_t	 i, n;

	oidx_clear(&s->ix);
	for (i = n = 0; i < s->n; i++) {
		if (s->v[i].addr.family == 0)
			continue;
		s->v[n] = s->v[i];
		/* as many as the index held: it does not grow, cannot fail */
		(void)oidx_add(&s->ix, set_hash(s, &s->v[n].addr),
		    (uint32_t)n);
		n++;
	}
	s->n = s->live = n;
}

/* room for one more item at the end of v */
static int
set_room(struct hset *s)
{
	struct hset_item	*v;
	size_t			 cap;

	if (s->n < s->cap)
		return 0;
	if (s->n > 0 && s->live <= s->n / 2) {
		set_pack(s);
		return 0;
	}
	cap = s->cap ? 2 * s->cap : 64;
	if ((v = reallocarray(s->v, cap, sizeof(*v))) == NULL)
		return -1;
	s->v = v;
	s->cap = cap;
	return 0;
}

struct hset_item *
hset_put(struct hset *s, const struct addr *a)
{
	struct addr	 k;
	struct hset_item	*h;
	uint64_t	 hv;

	if (s->ix.eq == NULL || addr_norm(a, &k) == -1) {
		errno = EINVAL;
		return NULL;
	}
	hv = set_hash(s, &k);
	if ((h = set_find(s, hv, &k)) != NULL)
		return h;
	if (set_room(s) == -1)
		return NULL;
	h = &s->v[s->n];
	memset(h, 0, sizeof(*h));
	h->addr = k;
	if (oidx_add(&s->ix, hv, (uint32_t)s->n) == -1)
		return NULL;
	s->n++;
	s->live++;
	return h;
}

/* empty, keeping the memory and the key */
void
hset_clear(struct hset *s)
{
	oidx_clear(&s->ix);
	s->n = s->live = 0;
}

/* the item stays in v, with family 0, until v is packed */
int
hset_del(struct hset *s, const struct addr *a)
{
	struct addr	 k;
	uint32_t	 e;

	if (s->ix.eq == NULL || addr_norm(a, &k) == -1)
		return -1;
	if ((e = oidx_del(&s->ix, s, set_hash(s, &k), &k)) == OIDX_NONE)
		return -1;
	memset(&s->v[e].addr, 0, sizeof(s->v[e].addr));
	s->live--;
	return 0;
}
