/*
 * unit tests of the matching of whole copies to cut frames (copy.c):
 * the copies come through a datagram socket pair, timed by the kernel
 * as the capture socket's are (SO_TIMESTAMPNS)
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/time.h>

#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "copy.h"
#include "tap.h"

#define SLOT	1978		/* the bytes of a long frame in its slot */

static int	 sv[2];

static void
fill(u_char *p, size_t n, unsigned seed)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		seed = seed * 1103515245U + 12345U;
		p[i] = (u_char)(seed >> 16);
	}
}

static void
nap(void)
{
	struct timespec	 ts = { 0, 2000000 };

	nanosleep(&ts, NULL);
}

/* a frame's time: now, after a pause so it is not a copy's own */
static void
stamp(struct pcap_pkthdr *h)
{
	nap();
	gettimeofday(&h->ts, NULL);
	nap();
}

static void
queue(const u_char *p, size_t n)
{
	if (send(sv[1], p, n, 0) != (ssize_t)n)
		printf("# send: %s\n", strerror(errno));
}

/* the time the kernel gave the copy at the head of the queue, as copy.c reads it */
static int
peek_ts(struct timeval *tv)
{
	union {
		struct cmsghdr	 h;
		char		 buf[CMSG_SPACE(sizeof(struct timespec)) + 64];
	} ctl;
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct timespec	 ts;
	char		 c;
	struct iovec	 iov = { &c, 1 };

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	if (recvmsg(sv[0], &msg, MSG_DONTWAIT | MSG_PEEK | MSG_TRUNC) == -1)
		return -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_TIMESTAMPNS) {
			memcpy(&ts, CMSG_DATA(cm), sizeof(ts));
			tv->tv_sec = ts.tv_sec;
			tv->tv_usec = ts.tv_nsec / 1000;
			return 0;
		}
	return -1;
}

static int
queue_empty(void)
{
	char	 c;

	return recv(sv[0], &c, 1, MSG_DONTWAIT | MSG_PEEK) == -1 &&
	    errno == EAGAIN;
}

int
main(void)
{
	static u_char		 a[5000], b[5000], c[5000], d[5000], t[5004];
	struct pcap_pkthdr	 h;
	struct copy_stats	 st;
	const u_char		*f;
	struct timeval		 last;
	size_t			 len;
	int			 on = 1, sz = 1 << 20;

	if (socketpair(AF_UNIX, SOCK_DGRAM, 0, sv) == -1 ||
	    setsockopt(sv[0], SOL_SOCKET, SO_TIMESTAMPNS, &on,
	    sizeof(on)) == -1) {
		printf("not ok 1 - socketpair: %s\n", strerror(errno));
		return 1;
	}
	(void)setsockopt(sv[1], SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	(void)setsockopt(sv[0], SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	fill(a, sizeof(a), 1);
	fill(b, sizeof(b), 2);
	fill(c, sizeof(c), 3);
	fill(d, sizeof(d), 4);

	/* no copy queued: the frame stays cut */
	memset(&h, 0, sizeof(h));
	h.len = sizeof(a);
	h.caplen = SLOT;
	stamp(&h);
	ok(copy_frame(sv[0], &h, a, 262144, &len) == NULL,
	    "no copy: the frame stays cut");

	/* its copy: the frame whole */
	queue(a, sizeof(a));
	stamp(&h);
	f = copy_frame(sv[0], &h, a, 262144, &len);
	ok(f != NULL && len == sizeof(a) && memcmp(f, a, len) == 0,
	    "a copy of the same length and bytes: the frame whole");
	ok(queue_empty(), "the copy used is out of the queue");

	/* the snap length still cuts */
	queue(a, sizeof(a));
	stamp(&h);
	f = copy_frame(sv[0], &h, a, 3000, &len);
	ok(f != NULL && len == 3000 && memcmp(f, a, len) == 0,
	    "a copy longer than the snap length: cut to it");

	/* a copy whose frame went by, then the frame's own */
	queue(b, sizeof(b));
	queue(c, sizeof(c));
	stamp(&h);
	f = copy_frame(sv[0], &h, c, 262144, &len);
	ok(f != NULL && len == sizeof(c) && memcmp(f, c, len) == 0,
	    "an older copy of another frame is passed over for the frame's");
	ok(queue_empty(), "the older copy is thrown away");

	/* same length, other bytes, older: never used */
	queue(b, sizeof(b));
	stamp(&h);
	ok(copy_frame(sv[0], &h, d, 262144, &len) == NULL,
	    "a copy with other bytes is not used");
	ok(queue_empty(), "and, older than the frame, thrown away");

	/* the frame before its copy was made: a later frame's copy waits */
	memset(&h, 0, sizeof(h));
	h.len = sizeof(b);
	h.caplen = SLOT;
	stamp(&h);			/* frame b: its copy not made */
	queue(d, sizeof(d));		/* the next frame's copy */
	ok(copy_frame(sv[0], &h, b, 262144, &len) == NULL,
	    "a newer copy of another frame: this frame stays cut");
	stamp(&h);
	f = copy_frame(sv[0], &h, d, 262144, &len);
	ok(f != NULL && len == sizeof(d) && memcmp(f, d, len) == 0,
	    "the newer copy kept for its own frame");

	/*
	 * Two super-frames of one NAPI poll carry the same microsecond.
	 * The first's copy was not made; the second's, of that same time,
	 * is neither older nor newer than the first frame: it waits.
	 */
	queue(d, sizeof(d));
	memset(&h, 0, sizeof(h));
	ok(peek_ts(&h.ts) == 0, "the copy's time read back");
	h.len = sizeof(b);
	h.caplen = SLOT;
	ok(copy_frame(sv[0], &h, b, 262144, &len) == NULL,
	    "a copy of the same microsecond, another frame's: this frame stays cut");
	h.len = sizeof(d);
	f = copy_frame(sv[0], &h, d, 262144, &len);
	ok(f != NULL && len == sizeof(d) && memcmp(f, d, len) == 0,
	    "and the copy is kept for its own frame of that microsecond");

	/* a VLAN tag libpcap put back: its header, then the copy */
	memcpy(t, a, 12);
	memcpy(t + 12, "\x81\x00\x00\x07", 4);
	memcpy(t + 16, a + 12, sizeof(a) - 12);
	queue(a, sizeof(a));
	h.len = sizeof(t);
	h.caplen = SLOT;
	stamp(&h);
	f = copy_frame(sv[0], &h, t, 262144, &len);
	ok(f != NULL && len == sizeof(t) && memcmp(f, t, len) == 0,
	    "a tag put back by libpcap: the frame whole with its tag");

	/* a cooked header, the copy from the network header on */
	memcpy(t, "cooked-header-16", 16);
	memcpy(t + 16, c, sizeof(c) - 12);
	queue(c, sizeof(c) - 12);
	h.len = sizeof(c) + 4;
	stamp(&h);
	f = copy_frame(sv[0], &h, t, 262144, &len);
	ok(f != NULL && len == sizeof(c) + 4 && memcmp(f, t, len) == 0,
	    "a cooked header and a copy of the network layer: whole");

	/* a copy longer than its frame says: not this frame's */
	queue(a, sizeof(a));
	h.len = sizeof(a) - 1;
	stamp(&h);
	ok(copy_frame(sv[0], &h, a, 262144, &len) == NULL,
	    "a copy longer than the frame is not used");

	/* after a read: nothing older than the last frame stays queued */
	queue(b, sizeof(b));
	nap();
	gettimeofday(&last, NULL);
	copy_drain(sv[0], &last, 1);
	ok(queue_empty(), "the drain leaves no copy of a frame gone by");
	gettimeofday(&last, NULL);
	nap();
	queue(c, sizeof(c));
	copy_drain(sv[0], &last, 1);
	ok(queue_empty(), "a newer copy waits out of the queue");
	h.len = sizeof(c);
	h.caplen = SLOT;
	stamp(&h);
	f = copy_frame(sv[0], &h, c, 262144, &len);
	ok(f != NULL && len == sizeof(c), "and is used for its frame");

	copy_stats(&st);
	ok(st.used == 8, "8 frames made whole (%llu)",
	    (unsigned long long)st.used);
	ok(st.stale == 4, "4 copies thrown away (%llu)",
	    (unsigned long long)st.stale);
	close(sv[0]);
	close(sv[1]);
	return tap_done();
}
