/* fuzz capturo/reasm.c: segments, ACKs and flushes over a known byte stream */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "reasm.h"
#include "fuzz.h"

/*
 * Two directions share one memory budget, as all flows do in capturo.
 * Each carries the same pseudo-random stream (fixed, so that any byte
 * out of place shows), with its own initial sequence number.  Every
 * segment is a slice of that stream at its true sequence number: what
 * comes out must be the stream itself, with gaps only where bytes are
 * skipped, never a byte twice, never past what was sent or ACKed.
 *
 * Input: a budget byte, for each direction a 4-byte ISN and a byte
 * saying whether a SYN is seen, then operations (one byte; bit 7
 * picks the direction):
 *	op % 8	0, 1  a segment at the next byte + a signed 2-byte
 *		      distance, 2-byte length
 *		2     a segment at a 3-byte stream offset, 2-byte length
 *		3     a long segment: next + signed 2-byte distance,
 *		      length (1-byte) * 1024, to press REASM_OOO_MAX
 *		4     an ACK at the next byte + a signed 2-byte distance
 *		5     a flush
 *		6     a segment or an ACK far outside the window: ignored
 *		7     a burst: a length byte, then that many 1-byte
 *		      segments just after next, to press REASM_SEGS_MAX
 */

/* a stream this long lets offsets pass REASM_OOO_MAX several times */
#define STREAM_LEN	(512 * 1024)

static uint8_t	stream[STREAM_LEN];

/* budgets: the real one, and some so tight that holding fails early */
static const size_t	budgets[] = { REASM_MEM_MAX, 0, 1, 1000, 10000,
			    REASM_OOO_MAX, REASM_OOO_MAX + REASM_OOO_MAX / 2,
			    100000 };

/* what one direction has handed out, as stream offsets */
struct dir {
	struct reasm	 r;
	uint32_t	 isn;		/* sequence number of stream[0] */
	int		 started;	/* base is known */
	size_t		 base;		/* stream offset of the first byte out */
	size_t		 pos;		/* stream offset of the next byte out */
	size_t		 hi;		/* highest end of a segment or an ACK */
	size_t		 segmax;	/* highest end of a segment */
	uint64_t	 gaps;		/* gap bytes reported */
};

static void
on_data(void *ctx, const uint8_t *p, size_t len)
{
	struct dir	*d = ctx;

	FZ_CHECK(d->started, "data before any segment");
	FZ_CHECK(len > 0, "an empty data() call");
	FZ_CHECK(d->pos + len <= d->hi, "%zu bytes delivered at %zu, past "
	    "the highest byte sent or acked (%zu)", len, d->pos, d->hi);
	FZ_CHECK(memcmp(p, stream + d->pos, len) == 0,
	    "%zu bytes delivered at %zu are not the stream's", len, d->pos);
	d->pos += len;
}

static void
on_gap(void *ctx, size_t len)
{
	struct dir	*d = ctx;

	FZ_CHECK(d->started, "a gap before any segment");
	FZ_CHECK(len > 0, "an empty gap");
	FZ_CHECK(d->pos + len <= d->hi, "a gap of %zu at %zu, past the "
	    "highest byte sent or acked (%zu)", len, d->pos, d->hi);
	d->pos += len;
	d->gaps += len;
}

static void
check(const struct dir *d, const struct reasm_mem *mem, const struct dir *o)
{
	FZ_CHECK(mem->used <= mem->max, "budget passed: %zu > %zu",
	    mem->used, mem->max);
	/* each held segment costs its bytes and its header */
	FZ_CHECK(mem->used == reasm_held(&d->r) + reasm_held(&o->r) +
	    ((size_t)d->r.nsegs + o->r.nsegs) * reasm_overhead(),
	    "budget says %zu, the directions hold %zu + %zu in %u + %u "
	    "segments", mem->used, reasm_held(&d->r), reasm_held(&o->r),
	    (unsigned)d->r.nsegs, (unsigned)o->r.nsegs);
	FZ_CHECK(reasm_held(&d->r) <= REASM_OOO_MAX, "%zu bytes held",
	    reasm_held(&d->r));
	FZ_CHECK(d->r.nsegs <= REASM_SEGS_MAX, "%u segments held",
	    (unsigned)d->r.nsegs);
	FZ_CHECK(reasm_gapbytes(&d->r) == d->gaps,
	    "reasm_gapbytes() %llu, gaps reported %llu",
	    (unsigned long long)reasm_gapbytes(&d->r),
	    (unsigned long long)d->gaps);
	FZ_CHECK(!d->started || d->pos <= d->hi, "out at %zu, past %zu",
	    d->pos, d->hi);
}

/* a signed distance from the next byte, clamped to the stream */
static size_t
near(const struct dir *d, uint16_t u)
{
	int64_t	 off = (int64_t)d->pos + (int16_t)u;

	if (off < 0)
		off = 0;
	if (off >= STREAM_LEN)
		off = STREAM_LEN - 1;
	return (size_t)off;
}

static void
segment(struct dir *d, size_t off, size_t len, const struct reasm_cb *cb)
{
	if (off >= STREAM_LEN)
		off %= STREAM_LEN;
	if (len > STREAM_LEN - off)
		len = STREAM_LEN - off;
	if (len == 0)
		return;
	if (!d->started) {
		/* no SYN: this segment's first byte is where the flow begins */
		d->started = 1;
		d->base = d->pos = off;
	}
	if (off + len > d->hi)
		d->hi = off + len;
	if (off + len > d->segmax)
		d->segmax = off + len;
	reasm_segment(&d->r, d->isn + (uint32_t)off, stream + off, len, cb);
}

static void
ack(struct dir *d, size_t off, const struct reasm_cb *cb)
{
	if (d->started && off > d->hi)
		d->hi = off;
	reasm_ack(&d->r, d->isn + (uint32_t)off, cb);
}

static void
flush(struct dir *d, const struct reasm_cb *cb)
{
	reasm_flush(&d->r, cb);
	FZ_CHECK(reasm_held(&d->r) == 0, "%zu bytes held after a flush",
	    reasm_held(&d->r));
	FZ_CHECK(d->r.nsegs == 0, "segments held after a flush");
	/*
	 * Every byte sent has come out, as data or as a gap; but early
	 * copies dropped at a bound (the peer's ACKs seen) are forgotten,
	 * as a receiver forgets them: they would come again.
	 */
	FZ_CHECK(!d->started || d->pos >= d->segmax || d->r.pruned > 0,
	    "after a flush out at %zu, segments reached %zu", d->pos,
	    d->segmax);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;
	struct fz_in	 in = { data, size };
	struct reasm_mem mem;
	struct dir	 dir[2], *d, *o;
	struct reasm_cb	 cb[2];
	size_t		 i, n, off;
	uint32_t	 x, far;
	uint8_t		 op;
	int		 k;

	if (!init) {
		/* xorshift32 from a fixed seed: the same stream every run */
		for (x = 2463534242u, i = 0; i < STREAM_LEN; i++) {
			x ^= x << 13;
			x ^= x >> 17;
			x ^= x << 5;
			stream[i] = (uint8_t)(x >> 24);
		}
		init = 1;
	}
	memset(&mem, 0, sizeof(mem));
	mem.max = budgets[fz_u8(&in) % (sizeof(budgets) / sizeof(budgets[0]))];
	for (k = 0; k < 2; k++) {
		d = &dir[k];
		memset(d, 0, sizeof(*d));
		reasm_init(&d->r, &mem);
		d->isn = fz_u32(&in);
		if (fz_u8(&in) & 1) {
			/* the SYN takes the number before the first byte */
			reasm_syn(&d->r, d->isn - 1);
			d->started = 1;
		}
		cb[k].data = on_data;
		cb[k].gap = on_gap;
		cb[k].ctx = d;
	}

	while (fz_left(&in)) {
		op = fz_u8(&in);
		k = op >> 7;
		d = &dir[k];
		o = &dir[!k];
		switch (op % 8) {
		case 0:
		case 1:
			off = near(d, fz_u16(&in));
			segment(d, off, fz_u16(&in), &cb[k]);
			break;
		case 2:
			off = (size_t)fz_u8(&in) << 16;
			off |= fz_u16(&in);
			segment(d, off, fz_u16(&in), &cb[k]);
			break;
		case 3:
			off = near(d, fz_u16(&in));
			segment(d, off, (size_t)fz_u8(&in) * 1024, &cb[k]);
			break;
		case 4:
			ack(d, near(d, fz_u16(&in)), &cb[k]);
			break;
		case 5:
			flush(d, &cb[k]);
			break;
		case 6:
			/* further than REASM_SEQ_WINDOW either way: nothing happens */
			x = d->r.next;
			far = REASM_SEQ_WINDOW + 1 + fz_u16(&in);
			if (op & 8)
				far = (uint32_t)-far;
			n = mem.used;
			off = d->pos;
			if (op & 16)
				reasm_ack(&d->r, x + far, &cb[k]);
			else if (d->started)
				reasm_segment(&d->r, x + far, stream, 100,
				    &cb[k]);
			FZ_CHECK(d->r.next == x && mem.used == n &&
			    d->pos == off, "a sequence number %s the window "
			    "was used", op & 8 ? "behind" : "ahead of");
			break;
		case 7:
			n = fz_u8(&in);
			off = d->pos + 1;
			for (i = 0; i < n; i++)
				segment(d, off + 2 * i, 1, &cb[k]);
			break;
		}
		check(d, &mem, o);
		check(o, &mem, d);
	}
	for (k = 0; k < 2; k++)
		flush(&dir[k], &cb[k]);
	for (k = 0; k < 2; k++)
		reasm_free(&dir[k].r);
	FZ_CHECK(mem.used == 0, "%zu bytes of the budget after reasm_free()",
	    mem.used);
	return 0;
}
