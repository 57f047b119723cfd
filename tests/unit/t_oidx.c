/* unit tests of detengo's index (oidx.c): runs, wraparound, deletes, growth, collisions, a model */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "oidx.h"
#include "tap.h"

/*
 * The owner of the tests: entries are keys in an array, and the hash is
 * chosen per test: the key's top bits as its home (to place entries in
 * given slots), a constant (every key collides), or a mix.
 */
enum { H_HOME, H_CONST, H_MIX, H_CLUSTER };

struct tab {
	uint32_t	 key[4096];
	size_t		 n;
	int		 mode;
};

static uint64_t
key_hash(const struct tab *t, uint32_t k)
{
	uint64_t	 x = k;

	switch (t->mode) {
	case H_HOME:
		return k >> 16;
	case H_CONST:
		return 7;
	case H_CLUSTER:
		return k % 13;
	}
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	return x;
}

static int
ent_eq(const void *owner, uint32_t e, const void *key)
{
	const struct tab	*t = owner;

	return t->key[e] == *(const uint32_t *)key;
}

/* append key k to the owner and index it */
static int
add(struct oidx *ix, struct tab *t, uint32_t k)
{
	t->key[t->n] = k;
	if (oidx_add(ix, key_hash(t, k), (uint32_t)t->n) == -1)
		return -1;
	t->n++;
	return 0;
}

static uint32_t
get(const struct oidx *ix, const struct tab *t, uint32_t k)
{
	return oidx_get(ix, t, key_hash(t, k), &k);
}

static uint32_t
del(struct oidx *ix, struct tab *t, uint32_t k)
{
	return oidx_del(ix, t, key_hash(t, k), &k);
}

/*
 * The invariants, checked slot by slot: each entry at most once, with
 * its key's hash, found by a walk from its home that meets no free
 * slot; n the slots in use, the table at most half full.  "" or what is wrong.
 */
static const char *
sound(const struct oidx *ix, const struct tab *t, size_t nent)
{
	static char	 why[128];
	unsigned char	 seen[4096];
	size_t		 s, h, used = 0, mask = ix->nslot - 1;
	uint32_t	 e;

	memset(seen, 0, sizeof(seen));
	for (s = 0; s < ix->nslot; s++) {
		if (ix->slot[s].e1 == 0) {
			if (ix->slot[s].h != 0) {
				snprintf(why, sizeof(why), "free slot %zu: a "
				    "hash left", s);
				return why;
			}
			continue;
		}
		used++;
		e = ix->slot[s].e1 - 1;
		if (e >= nent || seen[e]++) {
			snprintf(why, sizeof(why), "slot %zu: entry %u", s, e);
			return why;
		}
		if (ix->slot[s].h != (uint32_t)key_hash(t, t->key[e])) {
			snprintf(why, sizeof(why), "slot %zu: not its hash", s);
			return why;
		}
		for (h = key_hash(t, t->key[e]) & mask; h != s;
		    h = (h + 1) & mask)
			if (ix->slot[h].e1 == 0) {
				snprintf(why, sizeof(why), "slot %zu: a free "
				    "slot %zu between it and its home", s, h);
				return why;
			}
	}
	if (used != ix->n || 2 * ix->n > ix->nslot) {
		snprintf(why, sizeof(why), "%zu used, n %zu, %zu slots", used,
		    ix->n, ix->nslot);
		return why;
	}
	return "";
}

#define SOUND(ix, t, nent, ...) do {					\
	const char *w_ = sound(ix, t, nent);				\
	ok(*w_ == '\0', __VA_ARGS__);					\
	if (*w_ != '\0')						\
		printf("#   %s\n", w_);					\
} while (0)

/* the home of a key in the H_HOME tests; the low bits tell keys apart */
#define AT(home, n)	((uint32_t)(home) << 16 | (n))

static void
test_wrap(void)
{
	struct oidx	 ix;
	struct tab	 t = { .mode = H_HOME };
	uint32_t	 a = AT(62, 1), b = AT(62, 2), c = AT(63, 3),
			 d = AT(62, 4), e = AT(0, 5);

	ok(oidx_init(&ix, ent_eq, 1) == 0 && ix.nslot == 64,
	    "wrap: a first table of 64 slots");
	/* slots 62 a, 63 b, 0 c, 1 d, 2 e: the run wraps past the end */
	add(&ix, &t, a);
	add(&ix, &t, b);
	add(&ix, &t, c);
	add(&ix, &t, d);
	add(&ix, &t, e);
	ok(ix.slot[62].e1 == 1 && ix.slot[63].e1 == 2 && ix.slot[0].e1 == 3 &&
	    ix.slot[1].e1 == 4 && ix.slot[2].e1 == 5, "wrap: the run 62..2 as probed");
	ok(get(&ix, &t, d) == 3 && get(&ix, &t, e) == 4 &&
	    get(&ix, &t, AT(62, 9)) == OIDX_NONE,
	    "wrap: found across the end; a missing key ends at the free slot");
	/* b out of the middle: c, d and e move back, across the end */
	ok(del(&ix, &t, b) == 1, "wrap: delete in the middle of the run");
	ok(ix.slot[62].e1 == 1 && ix.slot[63].e1 == 3 && ix.slot[0].e1 == 4 &&
	    ix.slot[1].e1 == 5 && ix.slot[2].e1 == 0,
	    "wrap: the later entries shifted back over the end, no tombstone");
	ok(get(&ix, &t, a) == 0 && get(&ix, &t, c) == 2 &&
	    get(&ix, &t, d) == 3 && get(&ix, &t, e) == 4 &&
	    get(&ix, &t, b) == OIDX_NONE && ix.n == 4,
	    "wrap: the others found, the deleted one not");
	SOUND(&ix, &t, t.n, "wrap: sound after the delete");
	/* a out of 62: c stays (home 63), d goes back to its home, e to 0 */
	ok(del(&ix, &t, a) == 0, "wrap: delete the run's first");
	ok(ix.slot[62].e1 == 4 && ix.slot[63].e1 == 3 && ix.slot[0].e1 == 5 &&
	    ix.slot[1].e1 == 0, "wrap: an entry at its home stays, the others "
	    "move back, one of them over the end");
	ok(get(&ix, &t, c) == 2 && get(&ix, &t, d) == 3 &&
	    get(&ix, &t, e) == 4, "wrap: all found where they moved");
	SOUND(&ix, &t, t.n, "wrap: sound");
	ok(del(&ix, &t, a) == OIDX_NONE && ix.n == 3,
	    "wrap: a second delete finds nothing");
	/* c out of 63: e, at its home 0 past the end, stays */
	ok(del(&ix, &t, c) == 2 && ix.slot[62].e1 == 4 && ix.slot[63].e1 == 0 &&
	    ix.slot[0].e1 == 5 && get(&ix, &t, e) == 4 && get(&ix, &t, d) == 3,
	    "wrap: an entry at its home just past the end stays");
	SOUND(&ix, &t, t.n, "wrap: sound at the end");
	oidx_free(&ix);
}

static void
test_growth(void)
{
	struct oidx	 ix;
	struct tab	 t = { .mode = H_MIX };
	uint32_t	 k;
	size_t		 last = 0, doublings = 0;
	int		 good = 1;

	ok(oidx_init(&ix, ent_eq, 100) == 0 && ix.nslot == 256,
	    "growth: a hint of 100 gives 256 slots");
	oidx_free(&ix);
	ok(oidx_init(&ix, ent_eq, 0) == 0 && ix.nslot == 0 && ix.slot == NULL &&
	    get(&ix, &t, 1) == OIDX_NONE && del(&ix, &t, 1) == OIDX_NONE,
	    "growth: no hint, no memory, nothing found");
	for (k = 0; k < 3000; k++) {
		if (add(&ix, &t, k * 2654435761u) == -1) {
			good = 0;
			break;
		}
		if (ix.nslot != last) {
			if (last != 0 && ix.nslot != 2 * last)
				good = 0;
			doublings += last != 0;
			last = ix.nslot;
		}
		if (2 * ix.n > ix.nslot)
			good = 0;
	}
	ok(good && ix.nslot == 8192 && doublings == 7,
	    "growth: 3000 entries, 64 to 8192 slots by doubling, half full at most");
	for (k = 0, good = 1; k < 3000; k++)
		if (get(&ix, &t, k * 2654435761u) != k)
			good = 0;
	ok(good, "growth: every entry found after the moves");
	SOUND(&ix, &t, t.n, "growth: sound");
	oidx_clear(&ix);
	ok(ix.n == 0 && ix.nslot == 8192 && get(&ix, &t, 0) == OIDX_NONE,
	    "clear: empty, the memory kept");
	t.n = 0;
	ok(add(&ix, &t, 5) == 0 && get(&ix, &t, 5) == 0,
	    "clear: usable again");
	oidx_free(&ix);
}

/* the bound: a table at OIDX_SLOTS_MAX, half full, does not grow */
static void
test_bound(void)
{
	struct oidx	 ix;
	struct tab	 t = { .mode = H_MIX };
	struct oidx_slot *slot;
	size_t		 nslot;
	int		 r, saved;

	oidx_init(&ix, ent_eq, 1);
	slot = ix.slot;
	nslot = ix.nslot;
	/* never read: the bound is checked before the table is touched */
	ix.nslot = OIDX_SLOTS_MAX;
	ix.n = OIDX_SLOTS_MAX / 2;
	errno = 0;
	t.key[0] = 1;
	r = oidx_add(&ix, key_hash(&t, 1), 0);
	saved = errno;
	ok(r == -1 && saved == ENOSPC && ix.n == OIDX_SLOTS_MAX / 2,
	    "bound: no growth past OIDX_SLOTS_MAX (ENOSPC)");
	ix.nslot = nslot;
	ix.n = 0;
	ok(ix.slot == slot && oidx_add(&ix, 0, OIDX_NONE) == -1 &&
	    errno == EINVAL, "bound: OIDX_NONE is not an entry");
	ok(oidx_move(&ix, 0, 3, 4) == -1 && errno == ENOENT,
	    "move: an entry not indexed is not moved");
	oidx_free(&ix);
	ok(ix.slot == NULL && ix.nslot == 0 && oidx_move(&ix, 0, 3, 4) == -1,
	    "move: nothing in a freed index");
}

static void
test_collide(void)
{
	struct oidx	 ix;
	struct tab	 t = { .mode = H_CONST };
	uint32_t	 k;
	int		 good = 1;

	oidx_init(&ix, ent_eq, 0);
	for (k = 0; k < 500; k++)
		if (add(&ix, &t, k) == -1)
			good = 0;
	ok(good && ix.n == 500 && ix.nslot == 1024,
	    "collide: 500 keys of one hash indexed, the table grown");
	for (k = 0; k < 500; k++)
		if (get(&ix, &t, k) != k)
			good = 0;
	ok(good && get(&ix, &t, 500) == OIDX_NONE,
	    "collide: each found in the one run; a missing one not");
	for (k = 0; k < 500; k += 3)
		if (del(&ix, &t, k) != k)
			good = 0;
	ok(good, "collide: every third deleted");
	SOUND(&ix, &t, t.n, "collide: sound after deletes in one long run");
	for (k = 0; k < 500; k++)
		if (get(&ix, &t, k) != (k % 3 ? k : OIDX_NONE))
			good = 0;
	ok(good, "collide: the rest found, the deleted not");
	for (k = 0; k < 500; k++)
		if (k % 3 && del(&ix, &t, k) != k)
			good = 0;
	for (k = 0; k < ix.nslot; k++)
		if (ix.slot[k].e1 != 0 || ix.slot[k].h != 0)
			good = 0;
	ok(good && ix.n == 0, "collide: all deleted, every slot free");
	oidx_free(&ix);
}

static unsigned long long rng = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(uint32_t n)
{
	return tap_rnd(&rng, n);
}

/*
 * Random adds, deletes and lookups on 1500 possible keys, against the
 * owner's array searched entry by entry.  The owner keeps its entries
 * packed as state.c does: a delete moves the last entry into the hole
 * and tells the index with oidx_move().
 */
static void
test_model(int mode, const char *name)
{
	struct oidx	 ix;
	struct tab	 t = { .mode = mode };
	uint32_t	 k, e, want, last;
	size_t		 i, op, bad = 0, checks = 0, maxn = 0;
	char		 where[96] = "";

	oidx_init(&ix, ent_eq, 0);
	for (op = 0; op < 60000 && bad == 0; op++) {
		k = rnd(1500) * 7919u;
		for (want = OIDX_NONE, i = 0; i < t.n; i++)
			if (t.key[i] == k)
				want = (uint32_t)i;
		switch (rnd(4)) {
		case 0:
		case 1:
			if (want != OIDX_NONE)
				break;
			if (add(&ix, &t, k) == -1)
				bad++;
			break;
		case 2:
			if ((e = del(&ix, &t, k)) != want)
				bad++;
			else if (e != OIDX_NONE) {
				last = (uint32_t)t.n - 1;
				if (e != last) {
					if (oidx_move(&ix, key_hash(&t,
					    t.key[last]), last, e) == -1)
						bad++;
					t.key[e] = t.key[last];
				}
				t.n--;
			}
			break;
		default:
			if (get(&ix, &t, k) != want)
				bad++;
		}
		if (bad && where[0] == '\0')
			snprintf(where, sizeof(where), "op %zu, key %u", op, k);
		if (t.n > maxn)
			maxn = t.n;
		if (op % 97 == 0) {
			checks++;
			if (*sound(&ix, &t, t.n) != '\0' || ix.n != t.n) {
				bad++;
				snprintf(where, sizeof(where), "op %zu: %s", op,
				    sound(&ix, &t, t.n));
			}
		}
	}
	for (i = 0; i < t.n && bad == 0; i++)
		if (get(&ix, &t, t.key[i]) != i)
			bad++;
	ok(bad == 0 && maxn > 500, "model (%s): 60000 random operations "
	    "agree with the array (%zu checks of the table, up to %zu entries)",
	    name, checks, maxn);
	if (bad)
		printf("#   first difference at %s\n", where);
	oidx_free(&ix);
}

int
main(void)
{
	test_wrap();
	test_growth();
	test_bound();
	test_collide();
	test_model(H_MIX, "mixed hash");
	test_model(H_CLUSTER, "13 homes");
	test_model(H_CONST, "one hash");
	return tap_done();
}
