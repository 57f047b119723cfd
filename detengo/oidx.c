/* an index from a key to an entry number: open addressing, no tombstones */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "oidx.h"

/*
 * A slot holds an entry's number plus one (0 is free) and the low 32
 * bits of its key's hash.  An entry sits in the first free slot at or
 * after its home, the hash modulo the table's size (linear probing),
 * so a lookup walks from the home to the first free slot, and asks the
 * owner to compare keys only where the hashes agree.  A delete moves
 * later entries of the run back into the hole when their home allows
 * it (Knuth's Algorithm R): no tombstones, and a run is never longer
 * than its entries make it.  The table is kept at most half full and
 * doubles, up to OIDX_SLOTS_MAX slots.
 *
 * The index allocates only when it grows.  Growing and deleting work
 * from the hashes kept in the slots: they never read the owner's
 * entries, and the owner hashes a key once (hash_sip() with its own
 * key, for what the traffic chooses).
 */

#define OIDX_SLOTS_MIN	64

/* a home is found from the 32 bits of the hash a slot keeps */
_Static_assert(OIDX_SLOTS_MAX <= 1ULL << 32, "OIDX_SLOTS_MAX over 2^32");

int
oidx_init(struct oidx *ix, oidx_eq_fn *eq, size_t hint)
{
	size_t	 nslot;

	memset(ix, 0, sizeof(*ix));
	ix->eq = eq;
	if (hint == 0)
		return 0;
	for (nslot = OIDX_SLOTS_MIN; nslot / 2 < hint &&
	    nslot < OIDX_SLOTS_MAX; nslot <<= 1)
		;
	if ((ix->slot = calloc(nslot, sizeof(*ix->slot))) == NULL)
		return -1;
	ix->nslot = nslot;
	return 0;
}

void
oidx_free(struct oidx *ix)
{
	free(ix->slot);
	ix->slot = NULL;
	ix->nslot = ix->n = 0;
}

/* empty, keeping the memory */
void
oidx_clear(struct oidx *ix)
{
	if (ix->slot != NULL)
		memset(ix->slot, 0, ix->nslot * sizeof(*ix->slot));
	ix->n = 0;
}

/* the slot of the entry with key, or the free slot that ends its run */
static size_t
find(const struct oidx *ix, const void *owner, uint64_t h, const void *key)
{
	const struct oidx_slot	*sl = ix->slot;
	size_t			 mask = ix->nslot - 1, s;

	for (s = h & mask; sl[s].e1 != 0; s = (s + 1) & mask)
		if (sl[s].h == (uint32_t)h && ix->eq(owner, sl[s].e1 - 1, key))
			break;
	return s;
}

/* the entry with this key (its hash h), or OIDX_NONE */
uint32_t
oidx_get(const struct oidx *ix, const void *owner, uint64_t h,
    const void *key)
{
	size_t	 s;

	if (ix->nslot == 0)
		return OIDX_NONE;
	s = find(ix, owner, h, key);
	return ix->slot[s].e1 != 0 ? ix->slot[s].e1 - 1 : OIDX_NONE;
}

/* the first free slot from the home of h */
static size_t
free_slot(const struct oidx_slot *sl, size_t nslot, uint64_t h)
{
	size_t	 s;

	for (s = h & (nslot - 1); sl[s].e1 != 0; s = (s + 1) & (nslot - 1))
		;
	return s;
}

/* twice the slots, or OIDX_SLOTS_MIN: -1 with ENOSPC past OIDX_SLOTS_MAX */
static int
grow(struct oidx *ix)
{
	struct oidx_slot	*sl;
	size_t			 nslot, i;

	nslot = ix->nslot ? 2 * ix->nslot : OIDX_SLOTS_MIN;
	if (nslot > OIDX_SLOTS_MAX) {
		errno = ENOSPC;
		return -1;
	}
	if ((sl = calloc(nslot, sizeof(*sl))) == NULL)
		return -1;
	for (i = 0; i < ix->nslot; i++)
		if (ix->slot[i].e1 != 0)
			sl[free_slot(sl, nslot, ix->slot[i].h)] = ix->slot[i];
	free(ix->slot);
	ix->slot = sl;
	ix->nslot = nslot;
	return 0;
}

/*
 * Index entry e under the hash h of its key; the caller knows the key
 * is not there yet.  0, or -1 with errno (ENOSPC: the index is at its
 * bound).
 */
int
oidx_add(struct oidx *ix, uint64_t h, uint32_t e)
{
	size_t	 s;

	if (e == OIDX_NONE) {
		errno = EINVAL;
		return -1;
	}
	if (2 * (ix->n + 1) > ix->nslot && grow(ix) == -1)
		return -1;
	s = free_slot(ix->slot, ix->nslot, h);
	ix->slot[s].e1 = e + 1;
	ix->slot[s].h = (uint32_t)h;
	ix->n++;
	return 0;
}

/* is the home k within the cyclic range (s, j]? */
static int
between(size_t s, size_t k, size_t j)
{
	return s <= j ? (s < k && k <= j) : (s < k || k <= j);
}

/* empty slot s, moving later entries of its run back into the hole */
static void
shift_back(struct oidx *ix, size_t s)
{
	struct oidx_slot	*sl = ix->slot;
	size_t			 mask = ix->nslot - 1, j = s;

	for (;;) {
		j = (j + 1) & mask;
		if (sl[j].e1 == 0)
			break;
		/* an entry whose home is in (s, j] stays where it is */
		if (between(s, sl[j].h & mask, j))
			continue;
		sl[s] = sl[j];
		s = j;
	}
	sl[s].e1 = 0;
	sl[s].h = 0;
}

/* take the entry with this key out: its number, or OIDX_NONE */
uint32_t
oidx_del(struct oidx *ix, const void *owner, uint64_t h, const void *key)
{
	size_t		 s;
	uint32_t	 e;

	if (ix->nslot == 0)
		return OIDX_NONE;
	s = find(ix, owner, h, key);
	if (ix->slot[s].e1 == 0)
		return OIDX_NONE;
	e = ix->slot[s].e1 - 1;
	shift_back(ix, s);
	ix->n--;
	return e;
}

/*
 * Entry from, whose key hashes to h, is now entry to (its owner moved
 * it in its array): 0, or -1 with ENOENT if from is not indexed.
 */
int
oidx_move(struct oidx *ix, uint64_t h, uint32_t from, uint32_t to)
{
	size_t	 mask = ix->nslot - 1, s;

	if (to == OIDX_NONE) {
		errno = EINVAL;
		return -1;
	}
	for (s = h & mask; ix->nslot > 0 && ix->slot[s].e1 != 0;
	    s = (s + 1) & mask)
		if (ix->slot[s].e1 == from + 1) {
			ix->slot[s].e1 = to + 1;
			return 0;
		}
	errno = ENOENT;
	return -1;
}
