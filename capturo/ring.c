/*
 * The capture ring libpcap set up, as the kernel describes it: the
 * TPACKET version and room by getsockopt(2) on the capture's socket,
 * the blocks and frames by packet_diag (NETLINK_SOCK_DIAG, what ss(8)
 * reads), since libpcap does not tell them.  From these, how many
 * frames of a given length the ring holds, by the kernel's own rules
 * (net/packet/af_packet.c, tpacket_rcv()).
 */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <linux/if_packet.h>
#include <linux/netlink.h>
#include <linux/packet_diag.h>
#include <linux/sock_diag.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ring.h"

/* the kernel's alignments: every frame (V1, V2), every V3 packet and block header */
#define RING_TPACKET_ALIGN(x)	(((x) + 15U) & ~15U)
#define RING_V3_ALIGN(x)	(((x) + 7U) & ~7U)
/* an Ethernet header: the link layer the frames of ring_frames() carry */
#define RING_MACLEN		14U

static int
diag_ask(int nl, uint32_t ino)
{
	struct {
		struct nlmsghdr		nh;
		struct packet_diag_req	req;
	} msg;
	struct sockaddr_nl	 sa;

	memset(&msg, 0, sizeof(msg));
	msg.nh.nlmsg_len = sizeof(msg);
	msg.nh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	/* packet_diag answers dumps only: every packet socket of the netns */
	msg.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	msg.nh.nlmsg_seq = (uint32_t)time(NULL);
	msg.req.sdiag_family = AF_PACKET;
	msg.req.pdiag_ino = ino;
	msg.req.pdiag_show = PACKET_SHOW_RING_CFG;
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	return sendto(nl, &msg, sizeof(msg), 0, (struct sockaddr *)&sa,
	    sizeof(sa)) == (ssize_t)sizeof(msg) ? 0 : -1;
}

/* one answer: 1 if it is the socket ino and had its ring, 0 if not */
static int
diag_one(const struct nlmsghdr *nh, uint32_t ino, struct ring_info *ri)
{
	const struct packet_diag_msg	*pm;
	const struct nlattr		*a;
	struct packet_diag_ring		 r;
	size_t				 left, alen, step;

	if (nh->nlmsg_len < NLMSG_LENGTH(sizeof(*pm)))
		return 0;
	pm = NLMSG_DATA(nh);
	if (pm->pdiag_ino != ino)
		return 0;
	left = nh->nlmsg_len - NLMSG_LENGTH(sizeof(*pm));
	a = (const struct nlattr *)((const char *)pm + NLMSG_ALIGN(sizeof(*pm)));
	while (left >= sizeof(*a) && a->nla_len >= sizeof(*a) &&
	    a->nla_len <= left) {
		alen = a->nla_len - NLA_HDRLEN;
		if (a->nla_type == PACKET_DIAG_RX_RING && alen >= sizeof(r)) {
			memcpy(&r, (const char *)a + NLA_HDRLEN, sizeof(r));
			ri->block_size = r.pdr_block_size;
			ri->block_nr = r.pdr_block_nr;
			ri->frame_size = r.pdr_frame_size;
			ri->frame_nr = r.pdr_frame_nr;
			ri->retire_tmo = r.pdr_retire_tmo;
			ri->sizeof_priv = r.pdr_sizeof_priv;
			ri->known = 1;
			return 1;
		}
		step = ((size_t)a->nla_len + NLA_ALIGNTO - 1) &
		    ~(size_t)(NLA_ALIGNTO - 1);
		if (step >= left)
			break;
		left -= step;
		a = (const struct nlattr *)((const char *)a + step);
	}
	return 0;
}

/* the ring's blocks and frames by packet_diag; 0, or -1 if not known */
static int
diag_ring(uint32_t ino, struct ring_info *ri)
{
	char			 buf[16384];
	struct nlmsghdr		*nh;
	ssize_t			 n;
	size_t			 len;
	int			 nl, done = 0, found = 0;

	if ((nl = socket(AF_NETLINK, SOCK_DGRAM | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1)
		return -1;
	if (diag_ask(nl, ino) == -1) {
		close(nl);
		return -1;
	}
	while (!done) {
		if ((n = recv(nl, buf, sizeof(buf), 0)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (n == 0)
			break;
		len = (size_t)n;
		for (nh = (struct nlmsghdr *)buf; NLMSG_OK(nh, len);
		    nh = NLMSG_NEXT(nh, len)) {
			if (nh->nlmsg_type == NLMSG_DONE ||
			    nh->nlmsg_type == NLMSG_ERROR) {
				done = 1;
				break;
			}
			if (!found)
				found = diag_one(nh, ino, ri);
		}
	}
	close(nl);
	return found ? 0 : -1;
}

/*
 * fd: the capture's socket (pcap_fileno()).  Fills ri; -1 when not even
 * the version is known (not a packet socket, or no ring).
 */
int
ring_query(int fd, struct ring_info *ri)
{
	struct stat	 st;
	socklen_t	 sl;
	int		 v;

	memset(ri, 0, sizeof(*ri));
	ri->version = -1;
	sl = sizeof(v);
	if (getsockopt(fd, SOL_PACKET, PACKET_VERSION, &v, &sl) == -1)
		return -1;
	ri->version = v;
	/* PACKET_HDRLEN takes the version in and gives its header's size */
	sl = sizeof(v);
	if (getsockopt(fd, SOL_PACKET, PACKET_HDRLEN, &v, &sl) == -1)
		return -1;
	ri->hdrlen = (uint32_t)v;
	sl = sizeof(v);
	if (getsockopt(fd, SOL_PACKET, PACKET_RESERVE, &v, &sl) == -1)
		return -1;
	ri->reserve = (uint32_t)v;
	if (fstat(fd, &st) == 0)
		(void)diag_ring((uint32_t)st.st_ino, ri);
	return 0;
}

/*
 * Where an Ethernet frame starts after its ring header, as
 * tpacket_rcv() places it: the header and a sockaddr_ll, aligned, the
 * network header then PACKET_RESERVE further on.
 */
static uint32_t
ring_macoff(const struct ring_info *ri)
{
	uint32_t	 tp_hdrlen, netoff;

	tp_hdrlen = RING_TPACKET_ALIGN(ri->hdrlen) +
	    (uint32_t)sizeof(struct sockaddr_ll);
	netoff = RING_TPACKET_ALIGN(tp_hdrlen +
	    (RING_MACLEN < 16 ? 16 : RING_MACLEN)) + ri->reserve;
	return netoff - RING_MACLEN;
}

/* a V3 block's header and private area: where its first packet goes */
static uint32_t
ring_v3_first(const struct ring_info *ri)
{
	return RING_V3_ALIGN((uint32_t)sizeof(struct tpacket_block_desc)) +
	    RING_V3_ALIGN(ri->sizeof_priv);
}

/*
 * Ethernet frames of len bytes the ring holds before the kernel must
 * drop: a slot each in V1 and V2 whatever their length; in V3 packed
 * into each block one after the other while one more still ends
 * before the block's end.  0 if the layout is not known.
 */
uint64_t
ring_frames(const struct ring_info *ri, uint32_t len)
{
	uint64_t	 one, first;

	if (!ri->known)
		return 0;
	if (ri->version != TPACKET_V3)
		return ri->frame_nr;
	one = RING_V3_ALIGN((uint64_t)ring_macoff(ri) + len);
	first = ring_v3_first(ri);
	if (ri->block_size <= first + one)
		return 0;
	return (uint64_t)ri->block_nr * ((ri->block_size - first - 1) / one);
}

/* the longest Ethernet frame kept whole; longer ones are cut */
uint32_t
ring_whole(const struct ring_info *ri)
{
	uint32_t	 room, macoff;

	if (!ri->known)
		return 0;
	room = ri->version == TPACKET_V3 ?
	    ri->block_size - ring_v3_first(ri) : ri->frame_size;
	macoff = ring_macoff(ri);
	return room > macoff ? room - macoff : 0;
}

/* one line for -v; what snprintf returns */
int
ring_describe(const struct ring_info *ri, char *buf, size_t size)
{
	const char	*ver;
	uint64_t	 kib;

	switch (ri->version) {
	case TPACKET_V1:
		ver = "TPACKET_V1";
		break;
	case TPACKET_V2:
		ver = "TPACKET_V2";
		break;
	case TPACKET_V3:
		ver = "TPACKET_V3";
		break;
	default:
		return snprintf(buf, size, "ring: not a memory-mapped ring");
	}
	if (!ri->known)
		return snprintf(buf, size, "ring: %s, its blocks not known "
		    "(the kernel has no packet_diag)", ver);
	kib = (uint64_t)ri->block_size * ri->block_nr / 1024;
	if (ri->version == TPACKET_V3)
		return snprintf(buf, size, "ring: %s, %llu KiB in %u blocks "
		    "of %u KiB, handed over when full or after %u ms; holds "
		    "%llu frames of %u bytes; frames up to %u bytes whole",
		    ver, (unsigned long long)kib, ri->block_nr,
		    ri->block_size / 1024, ri->retire_tmo,
		    (unsigned long long)ring_frames(ri, RING_FULL_FRAME),
		    RING_FULL_FRAME, ring_whole(ri));
	return snprintf(buf, size, "ring: %s, %llu KiB in %u frames of %u "
	    "bytes, one frame each whatever its length; holds %llu frames "
	    "of %u bytes; frames up to %u bytes whole", ver,
	    (unsigned long long)kib, ri->frame_nr, ri->frame_size,
	    (unsigned long long)ring_frames(ri, RING_FULL_FRAME),
	    RING_FULL_FRAME, ring_whole(ri));
}
