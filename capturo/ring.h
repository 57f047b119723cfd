/* the kernel's capture ring under a live capture, as the kernel tells it */
#ifndef RING_H
#define RING_H

#include <stddef.h>
#include <stdint.h>

/* a full Ethernet frame: 1500 bytes of MTU and a 14-byte header */
#define RING_FULL_FRAME	1514

struct ring_info {
	int		 version;	/* TPACKET_V1, V2 or V3; -1 if unknown */
	uint32_t	 hdrlen;	/* PACKET_HDRLEN of that version */
	uint32_t	 reserve;	/* PACKET_RESERVE: room before each frame */
	int		 known;		/* the sizes below came from packet_diag */
	uint32_t	 block_size;
	uint32_t	 block_nr;
	uint32_t	 frame_size;	/* a slot (V1, V2); a block's cap (V3) */
	uint32_t	 frame_nr;
	uint32_t	 retire_tmo;	/* V3: ms before a block is handed over */
	uint32_t	 sizeof_priv;	/* V3: private bytes in each block */
};

int	 ring_query(int, struct ring_info *);
uint64_t ring_frames(const struct ring_info *, uint32_t);
uint32_t ring_whole(const struct ring_info *);
int	 ring_describe(const struct ring_info *, char *, size_t);

#endif /* RING_H */
