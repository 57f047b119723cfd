/* unit tests of detengo's host set (hset.c): keys, insertion order, packing, a model */
#include <sys/socket.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "hset.h"
#include "tap.h"

/* host i: 198.18.x.y for even i, 2001:db8::i for odd i */
static struct addr
H(uint32_t i)
{
	struct addr	 a;

	memset(&a, 0, sizeof(a));
	if (i % 2 == 0) {
		a.family = AF_INET;
		a.a[0] = 198;
		a.a[1] = 18 + (uint8_t)(i >> 16 & 1);
		a.a[2] = (uint8_t)(i >> 8);
		a.a[3] = (uint8_t)i;
	} else {
		a.family = AF_INET6;
		a.a[0] = 0x20;
		a.a[1] = 0x01;
		a.a[2] = 0x0d;
		a.a[3] = 0xb8;
		a.a[12] = (uint8_t)(i >> 24);
		a.a[13] = (uint8_t)(i >> 16);
		a.a[14] = (uint8_t)(i >> 8);
		a.a[15] = (uint8_t)i;
	}
	return a;
}

static void
test_keys(void)
{
	struct hset	 s;
	struct hset_item *h;
	struct addr	 a = H(2), dirty, bad;

	ok(hset_init(&s, 1000) == 0 && s.ix.nslot >= 2000,
	    "init: the index sized for the hint");
	h = hset_put(&s, &a);
	ok(h != NULL && h->v[0] == 0 && h->v[3] == 0 && s.live == 1,
	    "put: a new host with its words zeroed");
	h->v[0] = 42;
	/* the bytes past an IPv4 address are not part of its key */
	dirty = a;
	memset(dirty.a + 4, 0xee, 12);
	ok((h = hset_get(&s, &dirty)) != NULL && h->v[0] == 42,
	    "get: an IPv4 address with junk after its 4 bytes is the same host");
	ok(hset_put(&s, &dirty) == h && s.live == 1 && s.n == 1,
	    "put: the same host again is the same item");
	memset(&bad, 0, sizeof(bad));
	errno = 0;
	ok(hset_put(&s, &bad) == NULL && errno == EINVAL &&
	    hset_get(&s, &bad) == NULL && hset_del(&s, &bad) == -1,
	    "a key of no address family is refused");
	ok(hset_del(&s, &a) == 0 && hset_get(&s, &a) == NULL && s.live == 0 &&
	    s.v[0].addr.family == 0 && hset_del(&s, &a) == -1,
	    "del: gone, its item marked deleted, a second del fails");
	ok((h = hset_put(&s, &a)) != NULL && h->v[0] == 0 && s.n == 2,
	    "put after del: a new item at the end, zeroed");
	hset_clear(&s);
	ok(s.live == 0 && s.n == 0 && hset_get(&s, &a) == NULL &&
	    hset_put(&s, &a) != NULL && s.live == 1, "clear: empty, usable");
	hset_free(&s);
	ok(hset_get(&s, &a) == NULL && hset_put(&s, &a) == NULL &&
	    hset_del(&s, &a) == -1, "a freed set finds and takes nothing");
}

/* the live items of v, in order, are hosts want[0..n) */
static int
in_order(const struct hset *s, const uint32_t *want, size_t n)
{
	struct addr	 a;
	size_t		 i, k = 0;

	for (i = 0; i < s->n; i++) {
		if (s->v[i].addr.family == 0)
			continue;
		a = H(want[k]);
		if (k == n || !addr_eq(&s->v[i].addr, &a) ||
		    s->v[i].v[1] != want[k])
			return 0;
		k++;
	}
	return k == n;
}

static void
test_order(void)
{
	struct hset	 s;
	struct addr	 a;
	uint32_t	 want[400], i, n = 0;
	size_t		 cap;
	int		 good = 1;

	hset_init(&s, 0);
	for (i = 0; i < 64; i++) {
		a = H(i);
		hset_put(&s, &a)->v[1] = i;
	}
	cap = s.cap;
	for (i = 0; i < 64; i++) {
		a = H(i);
		if (i % 4 != 3 && hset_del(&s, &a) == -1)
			good = 0;
	}
	for (i = 0; i < 64; i++)
		if (i % 4 == 3)
			want[n++] = i;
	ok(good && s.live == 16 && s.n == 64 && in_order(&s, want, n),
	    "del: 48 of 64 deleted, the 16 left in their order, v not packed");
	a = H(1000);
	hset_put(&s, &a)->v[1] = 1000;
	want[n++] = 1000;
	ok(s.cap == cap && s.n == 17 && s.live == 17 && in_order(&s, want, n),
	    "put into a full v of deleted items packs it, in order, not larger");
	for (i = 0; i < n; i++) {
		a = H(want[i]);
		if (hset_get(&s, &a) == NULL || hset_get(&s, &a)->v[1] != want[i])
			good = 0;
	}
	ok(good, "after packing every host found with its words");
	for (i = 2000; i < 2000 + 100; i++) {
		a = H(i);
		hset_put(&s, &a)->v[1] = i;
		want[n++] = i;
	}
	ok(s.live == 117 && s.n == 117 && s.cap > cap && in_order(&s, want, n),
	    "a v mostly live grows instead");
	hset_free(&s);
}

static unsigned long long rng = 0x2545f4914f6cdd1dULL;

static uint32_t
rnd(uint32_t n)
{
	return tap_rnd(&rng, n);
}

#define MODEL_KEYS	3000

/*
 * Random puts, dels, gets and an occasional clear, against a model: for
 * each host, whether it is in and when it was put; the set's items in
 * order must be the hosts in, by that time.
 */
static void
test_model(void)
{
	struct hset	 s;
	struct hset_item *h;
	struct addr	 a;
	static uint32_t	 when[MODEL_KEYS], want[MODEL_KEYS];
	uint32_t	 k, clock = 0, i, j, t;
	size_t		 op, live = 0, bad = 0, packs = 0, maxlive = 0;
	size_t		 lastn = 0;

	memset(when, 0, sizeof(when));
	hset_init(&s, 0);
	for (op = 0; op < 100000 && bad == 0; op++) {
		k = rnd(MODEL_KEYS);
		a = H(k);
		switch (rnd(8)) {
		case 0: case 1: case 2:
			if ((h = hset_put(&s, &a)) == NULL) {
				bad++;
				break;
			}
			if (when[k] == 0) {
				when[k] = ++clock;
				h->v[1] = k;
				live++;
			} else if (h->v[1] != k)
				bad++;
			break;
		case 3: case 4: case 5:
			if ((hset_del(&s, &a) == 0) != (when[k] != 0))
				bad++;
			if (when[k] != 0)
				live--;
			when[k] = 0;
			break;
		case 6:
			h = hset_get(&s, &a);
			if ((h != NULL) != (when[k] != 0) ||
			    (h != NULL && h->v[1] != k))
				bad++;
			break;
		default:
			if (rnd(5000) != 0)
				break;
			hset_clear(&s);
			memset(when, 0, sizeof(when));
			live = lastn = 0;
		}
		if (s.n < lastn && s.live == s.n)
			packs++;
		lastn = s.n;
		if (live > maxlive)
			maxlive = live;
		if (s.live != live)
			bad++;
	}
	/* the hosts in, by the time they were put */
	for (i = j = 0; i < MODEL_KEYS; i++)
		if (when[i] != 0)
			want[j++] = i;
	for (i = 1; i < j; i++)
		for (k = i; k > 0 && when[want[k - 1]] > when[want[k]]; k--) {
			t = want[k];
			want[k] = want[k - 1];
			want[k - 1] = t;
		}
	ok(bad == 0 && in_order(&s, want, j) && packs > 0 && maxlive > 500,
	    "model: 100000 random operations agree, the order kept "
	    "(%zu packings, up to %zu hosts)", packs, maxlive);
	if (bad)
		printf("#   first difference at operation %zu\n", op);
	hset_free(&s);
}

int
main(void)
{
	test_keys();
	test_order();
	test_model();
	return tap_done();
}
