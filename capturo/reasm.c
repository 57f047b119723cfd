/* TCP reassembly of one direction: in order, bounded hold, gaps skipped */

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "reasm.h"

/*
 * State of one direction: `next' is the sequence number of the first
 * byte not yet delivered.  Bytes before it were delivered or skipped;
 * bytes after it that arrived early sit in a list of copies sorted by
 * sequence number, disjoint, each starting strictly after `next'.
 * In-order bytes are handed out straight from the caller's buffer.
 */

/* an out-of-order copy */
struct reasm_seg {
	struct reasm_seg	*next;
	uint32_t		 seq;
	size_t			 len;
	uint8_t			 data[];
};

_Static_assert(REASM_SEGS_MAX <= UINT16_MAX, "nsegs is a uint16_t");
_Static_assert(REASM_SEQ_WINDOW < (1U << 31), "seqdiff needs < 2^31");

/* a - b modulo 2^32, as a signed distance (RFC 9293 3.4, RFC 1982) */
static int64_t
seqdiff(uint32_t a, uint32_t b)
{
	uint32_t	d = a - b;

	return d < 0x80000000U ? (int64_t)d : (int64_t)d - 0x100000000LL;
}

static void
deliver(const struct reasm_cb *cb, const uint8_t *p, size_t len)
{
	if (len > 0 && cb != NULL && cb->data != NULL)
		cb->data(cb->ctx, p, len);
}

/* the capture never saw len bytes at next: say so and step over them */
static void
skip(struct reasm *r, const struct reasm_cb *cb, int64_t len)
{
	if (len <= 0)
		return;
	r->gapbytes += (uint64_t)len;
	r->next += (uint32_t)len;
	if (cb != NULL && cb->gap != NULL)
		cb->gap(cb->ctx, (size_t)len);
}

/* what a held copy costs the shared budget: its bytes and its header */
#define SEG_COST(len)	(sizeof(struct reasm_seg) + (len))

static void
seg_release(struct reasm *r, struct reasm_seg *s)
{
	r->held -= s->len;
	r->nsegs--;
	if (r->mem != NULL)
		r->mem->used -= SEG_COST(s->len);
	free(s);
}

/*
 * A new out-of-order segment [seq, seq + len) replaces the held copies
 * that start within it: dropped when it covers them, their head cut
 * when they reach past it.
 */
static void
cover(struct reasm *r, uint32_t seq, size_t len)
{
	struct reasm_seg	**pp, *s;
	int64_t			  d;
	size_t			  cut;

	for (pp = &r->head; (s = *pp) != NULL; ) {
		d = seqdiff(s->seq, seq);
		if (d < 0) {
			pp = &s->next;
			continue;
		}
		if (d >= (int64_t)len)
			break;
		if ((size_t)d + s->len <= len) {
			*pp = s->next;
			seg_release(r, s);
			continue;
		}
		cut = len - (size_t)d;
		memmove(s->data, s->data + cut, s->len - cut);
		s->seq += (uint32_t)cut;
		s->len -= cut;
		r->held -= cut;
		if (r->mem != NULL)
			r->mem->used -= cut;
		break;
	}
}

/* drop the held copy that lies furthest ahead, if it starts after seq */
static int
prune_far(struct reasm *r, uint32_t seq)
{
	struct reasm_seg	**pp, *s;

	if (r->head == NULL)
		return -1;
	for (pp = &r->head; (*pp)->next != NULL; pp = &(*pp)->next)
		;
	s = *pp;
	if (seqdiff(s->seq, seq) <= 0)
		return -1;
	*pp = NULL;
	r->pruned += s->len;
	seg_release(r, s);
	return 0;
}

/* deliver held copies that have become contiguous with next */
static void
drain(struct reasm *r, const struct reasm_cb *cb)
{
	struct reasm_seg	*s;
	int64_t			 d;
	size_t			 off;

	while ((s = r->head) != NULL) {
		d = seqdiff(s->seq, r->next);
		if (d > 0)
			break;
		r->head = s->next;
		off = (size_t)-d;
		if (off < s->len) {
			deliver(cb, s->data + off, s->len - off);
			r->next += (uint32_t)(s->len - off);
		}
		seg_release(r, s);
	}
}

/*
 * Walk the holes the held list leaves in [seq, seq + len): with
 * store == 0 only count the bytes and segments needed to fill them,
 * otherwise copy each hole into a new held segment.  Returns -1 when
 * a copy cannot be allocated; the holes filled so far stay filled.
 */
static int
holes(struct reasm *r, uint32_t seq, const uint8_t *p, size_t len, int store,
    size_t *need, size_t *pieces)
{
	struct reasm_seg	**pp, *s, *n;
	int64_t			  cur, end, start, stop;

	*need = *pieces = 0;
	pp = &r->head;
	cur = 0;
	end = (int64_t)len;
	while (cur < end) {
		s = *pp;
		if (s != NULL) {
			start = seqdiff(s->seq, seq);
			stop = start + (int64_t)s->len;
			if (stop <= cur) {
				pp = &s->next;
				continue;
			}
			if (start <= cur) {
				/* first copy wins: these bytes are kept */
				cur = stop;
				pp = &s->next;
				continue;
			}
		} else
			start = end;
		if (start > end)
			start = end;
		/* a hole [cur, start) */
		*need += (size_t)(start - cur);
		(*pieces)++;
		if (store) {
			n = malloc(sizeof(*n) + (size_t)(start - cur));
			if (n == NULL)
				return -1;
			n->seq = seq + (uint32_t)cur;
			n->len = (size_t)(start - cur);
			memcpy(n->data, p + cur, n->len);
			n->next = s;
			*pp = n;
			pp = &n->next;
			r->held += n->len;
			r->nsegs++;
			if (r->mem != NULL)
				r->mem->used += SEG_COST(n->len);
		}
		cur = start;
	}
	return 0;
}

/* copy an early segment into the held list if the bounds allow; 0 if done */
static int
hold(struct reasm *r, uint32_t seq, const uint8_t *p, size_t len)
{
	size_t	need, pieces;

	(void)holes(r, seq, p, len, 0, &need, &pieces);
	if (pieces == 0)
		return 0;		/* every byte is already held */
	if (need > REASM_OOO_MAX - r->held ||
	    pieces > (size_t)REASM_SEGS_MAX - r->nsegs)
		return -1;
	if (r->mem != NULL && (r->mem->used > r->mem->max ||
	    need + pieces * sizeof(struct reasm_seg) >
	    r->mem->max - r->mem->used))
		return -1;
	return holes(r, seq, p, len, 1, &need, &pieces);
}

/*
 * A segment that starts at or before next: trim what was delivered and
 * hand out its new bytes, all of them; the held copies they cover are
 * dropped by drain(), as the receiver drops them.
 */
static void
in_order(struct reasm *r, uint32_t seq, const uint8_t *p, size_t len,
    const struct reasm_cb *cb)
{
	int64_t	d;

	d = seqdiff(r->next, seq);
	if (d < (int64_t)len) {
		if (d > 0) {
			p += d;
			len -= (size_t)d;
		}
		deliver(cb, p, len);
		r->next += (uint32_t)len;
	}
	drain(r, cb);
}

void
reasm_init(struct reasm *r, struct reasm_mem *mem)
{
	memset(r, 0, sizeof(*r));
	r->mem = mem;
}

void
reasm_syn(struct reasm *r, uint32_t seq)
{
	/* a SYN takes one sequence number (RFC 9293 3.4) */
	if (!r->started) {
		r->next = seq + 1;
		r->started = 1;
	}
}

void
reasm_segment(struct reasm *r, uint32_t seq, const uint8_t *p, size_t len,
    const struct reasm_cb *cb)
{
	uint32_t	target;
	int64_t		d;

	if (p == NULL || len == 0 || len > REASM_SEQ_WINDOW)
		return;
	if (!r->started) {
		/* capture started mid-stream: this byte comes first */
		r->next = seq;
		r->started = 1;
	}
	for (;;) {
		d = seqdiff(seq, r->next);
		if (d > (int64_t)REASM_SEQ_WINDOW ||
		    d < -(int64_t)REASM_SEQ_WINDOW)
			return;
		if (d <= 0) {
			in_order(r, seq, p, len, cb);
			return;
		}
		cover(r, seq, len);
		if (hold(r, seq, p, len) == 0)
			return;
		/* over a bound, the peer heard: drop from the far end */
		if (r->acks) {
			while (prune_far(r, seq) == 0)
				if (hold(r, seq, p, len) == 0)
					return;
			r->pruned += len;	/* the furthest: dropped */
			return;
		}
		/*
		 * Over a bound, one-sided: rather than grow, give up on
		 * the first hole (or on the hole before this segment, if
		 * that comes first), deliver what follows it, and try
		 * again.
		 */
		target = seq;
		if (r->head != NULL && seqdiff(r->head->seq, seq) < 0)
			target = r->head->seq;
		skip(r, cb, seqdiff(target, r->next));
		drain(r, cb);
	}
}

/*
 * The peer has every byte before ack, so the ones the capture lacks
 * below it were lost on the capture path, not on the network: they
 * will not come again.  Skip them, so held data does not wait for
 * them forever.
 */
void
reasm_ack(struct reasm *r, uint32_t ack, const struct reasm_cb *cb)
{
	uint32_t	target;
	int64_t		d;

	if (!r->started)
		return;
	d = seqdiff(ack, r->next);
	if (d > (int64_t)REASM_SEQ_WINDOW || d < -(int64_t)REASM_SEQ_WINDOW)
		return;
	r->acks = 1;
	if (d <= 0)
		return;
	while (r->head != NULL && seqdiff(ack, r->next) > 0) {
		target = ack;
		if (seqdiff(r->head->seq, ack) < 0)
			target = r->head->seq;
		skip(r, cb, seqdiff(target, r->next));
		drain(r, cb);
	}
}

void
reasm_flush(struct reasm *r, const struct reasm_cb *cb)
{
	while (r->head != NULL) {
		skip(r, cb, seqdiff(r->head->seq, r->next));
		drain(r, cb);
	}
}

void
reasm_free(struct reasm *r)
{
	struct reasm_seg	*s;

	while ((s = r->head) != NULL) {
		r->head = s->next;
		seg_release(r, s);
	}
}

/* what one held segment costs the shared budget beyond its bytes */
size_t
reasm_overhead(void)
{
	return sizeof(struct reasm_seg);
}

size_t
reasm_held(const struct reasm *r)
{
	return r->held;
}

uint64_t
reasm_gapbytes(const struct reasm *r)
{
	return r->gapbytes;
}
