/*
 * Frames longer than a slot of the capture ring, read whole.
 *
 * In immediate mode libpcap gives a TPACKET_V2 ring of fixed slots,
 * sized here for a full Ethernet frame.  With PACKET_COPY_THRESH set
 * on the socket, the kernel puts the first slot's worth of a longer
 * frame (a GRO or GSO super-frame) in the ring and queues a full copy
 * of it on the socket's receive queue, while that queue holds less
 * than its receive buffer (net/packet/af_packet.c, tpacket_rcv()).
 * The copies come in the order of their frames; a frame whose copy
 * could not be made has none.  A copy is matched to its frame by its
 * length and by the bytes both hold, and ordered by the timestamp of
 * the one skb both come from: a copy older than its frame belongs to a
 * frame gone by and is thrown away, a newer one waits for its own.  A
 * frame with no copy stays cut, as by a short snap length, and its
 * flow sees a gap.  No copy is left in the queue, or poll(2) would
 * never sleep.
 */
#include <sys/types.h>
#include <sys/socket.h>

#include <linux/if_packet.h>

#include <errno.h>
#include <string.h>
#include <time.h>

#include "bounds.h"
#include "copy.h"

/*
 * Room before a copy in the buffer for the frame's link-layer header
 * as libpcap made it: a VLAN tag put back (4), a cooked header for a
 * copy that starts at the network header (16, or 20 for SLL2).
 */
#define COPY_HEADROOM	64
/*
 * From this offset of libpcap's frame on, its bytes are the copy's
 * shifted by the difference of their lengths: past the addresses and
 * a put-back VLAN tag of Ethernet, past a cooked header.
 */
#define COPY_SAME_FROM	16

static u_char		 cbuf[COPY_HEADROOM + SNAPLEN_MAX];
static size_t		 clen;		/* bytes of the copy in cbuf */
static size_t		 cwire;		/* its length on the wire */
static struct timeval	 cts;		/* its skb's time; 0 if not told */
static int		 pending;	/* cbuf holds a copy not yet used */
static struct copy_stats st;

/*
 * fd: the capture's socket.  kib: the receive buffer asked for, 0 for
 * no copies.  *rcvbuf: what the kernel took, in bytes.  0 or -1.
 */
int
copy_setup(int fd, int kib, int *rcvbuf)
{
	socklen_t	 sl;
	int		 on = 1, size;

	*rcvbuf = 0;
	if (kib == 0)
		return 0;
	/* the copy's time, for ordering it against the ring's frames */
	if (setsockopt(fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on)) == -1)
		return -1;
	size = kib * 1024;
	/* past net.core.rmem_max as root; within it otherwise */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size,
	    sizeof(size)) == -1 &&
	    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof(size)) == -1)
		return -1;
	if (setsockopt(fd, SOL_PACKET, PACKET_COPY_THRESH, &on,
	    sizeof(on)) == -1)
		return -1;
	sl = sizeof(size);
	if (getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, &sl) == 0)
		*rcvbuf = size;
	return 0;
}

/* the next copy from the queue into cbuf; -1 if none */
static int
copy_recv(int fd)
{
	union {
		struct cmsghdr	 h;
		char		 buf[CMSG_SPACE(sizeof(struct timespec)) +
			    CMSG_SPACE(sizeof(struct tpacket_auxdata)) + 64];
	} ctl;
	struct msghdr	 msg;
	struct iovec	 iov;
	struct cmsghdr	*cm;
	struct timespec	 ts;
	ssize_t		 n;

	memset(&msg, 0, sizeof(msg));
	iov.iov_base = cbuf + COPY_HEADROOM;
	iov.iov_len = SNAPLEN_MAX;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	/* MSG_TRUNC: the copy's whole length, even past the buffer */
	if ((n = recvmsg(fd, &msg, MSG_DONTWAIT | MSG_TRUNC)) == -1)
		return -1;
	cwire = (size_t)n;
	clen = cwire < SNAPLEN_MAX ? cwire : SNAPLEN_MAX;
	timerclear(&cts);
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMPNS &&
		    cm->cmsg_len >= CMSG_LEN(sizeof(ts))) {
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			cts.tv_sec = ts.tv_sec;
			cts.tv_usec = ts.tv_nsec / 1000;
		}
	pending = 1;
	return 0;
}

/*
 * Is the copy in cbuf the frame h, bytes?  The same length once the
 * link-layer header libpcap made is counted, and the same bytes where
 * both have them.
 */
static int
copy_is(const struct pcap_pkthdr *h, const u_char *bytes)
{
	size_t	 delta, from;

	if (cwire > h->len)
		return 0;
	delta = h->len - cwire;
	if (delta > COPY_HEADROOM || delta > h->caplen ||
	    h->caplen - delta > clen)
		return 0;
	from = delta > COPY_SAME_FROM ? delta : COPY_SAME_FROM;
	if (from >= h->caplen)
		return 0;
	return memcmp(bytes + from, cbuf + COPY_HEADROOM + from - delta,
	    h->caplen - from) == 0;
}

/* the copy came from a frame that went by before tv (or has no time) */
static int
copy_older(const struct timeval *tv)
{
	return !timerisset(&cts) || timercmp(&cts, tv, <);
}

/*
 * A frame libpcap gave cut (caplen < len): the whole frame, at most
 * snap bytes, and its length in *len; NULL if its copy is not there.
 */
const u_char *
copy_frame(int fd, const struct pcap_pkthdr *h, const u_char *bytes,
    uint32_t snap, size_t *len)
{
	u_char	*f;
	size_t	 delta, n;

	for (;;) {
		if (!pending && copy_recv(fd) == -1)
			break;
		if (copy_is(h, bytes)) {
			pending = 0;
			st.used++;
			/* libpcap's link-layer header, then the copy */
			delta = h->len - cwire;
			f = cbuf + COPY_HEADROOM - delta;
			memcpy(f, bytes, h->caplen);
			n = delta + clen;
			*len = n < snap ? n : snap;
			return f;
		}
		if (!copy_older(&h->ts))
			break;		/* a later frame's: it waits */
		pending = 0;
		st.stale++;
	}
	return NULL;
}

/*
 * After a read of the ring: throw away the copies of frames gone by
 * (last: the time of the last frame read), and, when the read found
 * no frame (got 0), those older than COPY_ORPHAN_US, whose frame
 * libpcap did not hand over.  One copy newer than both may stay, out
 * of the queue, for its frame.
 */
void
copy_drain(int fd, const struct timeval *last, int got)
{
	struct timespec	 now;
	struct timeval	 old, age;

	clock_gettime(CLOCK_REALTIME, &now);
	age.tv_sec = 0;
	age.tv_usec = COPY_ORPHAN_US;
	old.tv_sec = now.tv_sec;
	old.tv_usec = now.tv_nsec / 1000;
	timersub(&old, &age, &old);
	for (;;) {
		if (!pending && copy_recv(fd) == -1)
			return;
		if (!copy_older(last) && (got > 0 || !copy_older(&old)))
			return;
		pending = 0;
		st.stale++;
	}
}

void
copy_stats(struct copy_stats *s)
{
	*s = st;
}
