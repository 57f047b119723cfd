/* TCP reassembly of one direction of a connection, with bounded memory */
#ifndef REASM_H
#define REASM_H

#include <stddef.h>
#include <stdint.h>

/*
 * Bytes come out through data() strictly in sequence order, each byte
 * at most once.  Bytes the capture never saw are reported through
 * gap(len) and skipped: the stream goes on after a gap, it never
 * stalls.  Either callback may be NULL.
 */
struct reasm_cb {
	void	(*data)(void *, const uint8_t *, size_t);
	void	(*gap)(void *, size_t);
	void	 *ctx;
};

/* a budget of held bytes shared by all directions of all flows */
struct reasm_mem {
	size_t	used;		/* never above max */
	size_t	max;
};

struct reasm_seg;

/*
 * Overlap policy, Linux's (tcp_data_queue, tcp_data_queue_ofo,
 * tcp_ofo_queue): bytes delivered stay delivered; bytes that arrive in
 * order go out whole, and held out-of-order copies they cover are
 * dropped; an out-of-order segment replaces the held copies that start
 * within it, and yields to one that starts before it.  So an early
 * copy sent ahead of its place cannot hide what the server reads.
 *
 * Bounds: at most REASM_OOO_MAX bytes and REASM_SEGS_MAX segments are
 * held per direction, and never more than the shared reasm_mem allows
 * (each segment counted with its header).  Past a bound, when the
 * peer's ACKs are seen, held copies are dropped from the far end, as
 * Linux prunes its out-of-order queue: a byte dropped and needed comes
 * again, or the peer's ACK shows it lost.  With no ACK of the peer
 * ever seen (a one-sided capture) nothing would show it: the first
 * hole is skipped instead (gap reported, the held data after it
 * delivered).
 *
 * Sequence numbers compare modulo 2^32 (RFC 9293 3.4).  A segment or
 * ACK more than REASM_SEQ_WINDOW away from the next expected byte is
 * ignored as garbage.
 */
struct reasm {
	struct reasm_seg	*head;		/* held: sorted, disjoint */
	struct reasm_mem	*mem;
	uint64_t		 gapbytes;	/* total bytes skipped */
	size_t			 held;		/* bytes held */
	uint32_t		 next;		/* next byte to deliver */
	uint16_t		 nsegs;		/* segments held */
	uint8_t			 started;	/* next is known */
	uint8_t			 acks;		/* an ACK of the peer was seen */
	uint64_t		 pruned;	/* early bytes dropped at a bound */
};

void	 reasm_init(struct reasm *, struct reasm_mem *);
/* a SYN at seq: data starts at seq + 1 (pass seq + 1 for data on a SYN) */
void	 reasm_syn(struct reasm *, uint32_t);
void	 reasm_segment(struct reasm *, uint32_t, const uint8_t *, size_t,
	    const struct reasm_cb *);
/* the peer acknowledged every byte before ack */
void	 reasm_ack(struct reasm *, uint32_t, const struct reasm_cb *);
/* end of the flow: deliver everything held, gaps between reported */
void	 reasm_flush(struct reasm *, const struct reasm_cb *);
/* free held segments and give their bytes back to the budget */
void	 reasm_free(struct reasm *);
size_t	 reasm_held(const struct reasm *);
size_t	 reasm_overhead(void);
uint64_t reasm_gapbytes(const struct reasm *);

#endif /* REASM_H */
