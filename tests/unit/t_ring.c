/* unit tests of the ring arithmetic: frames a TPACKET ring holds, by the kernel's rules */
#include <linux/if_packet.h>

#include <stdint.h>
#include <string.h>

#include "ring.h"
#include "tap.h"

/* libpcap 1.10's rings on Linux 6.x, as packet_diag and getsockopt report them */
static struct ring_info
v3(uint32_t blocks)
{
	struct ring_info	 ri;

	memset(&ri, 0, sizeof(ri));
	ri.version = TPACKET_V3;
	ri.hdrlen = 48;			/* sizeof(struct tpacket3_hdr) */
	ri.reserve = 4;			/* libpcap: room for a VLAN tag */
	ri.known = 1;
	ri.block_size = 256 * 1024;
	ri.block_nr = blocks;
	ri.frame_size = 256 * 1024;
	ri.frame_nr = blocks;
	ri.retire_tmo = 1;
	return ri;
}

int
main(void)
{
	struct ring_info	 ri;
	char			 line[256];

	ri = v3(64);
	/* 86 bytes before the frame, 1514 of it: 1600 each, 163 a block */
	ok(ring_frames(&ri, 1514) == 64 * 163, "V3 16 MiB: 10432 full frames "
	    "(%llu)", (unsigned long long)ring_frames(&ri, 1514));
	ok(ring_frames(&ri, 60) == 64 * ((262144 - 48 - 1) / 152),
	    "V3: small frames pack tighter (%llu)",
	    (unsigned long long)ring_frames(&ri, 60));
	ok(ring_frames(&ri, 65536) == 64 * 3, "V3: three 64 KiB frames a "
	    "block (%llu)", (unsigned long long)ring_frames(&ri, 65536));
	ok(ring_whole(&ri) == 262144 - 48 - 86, "V3: a frame is cut past the "
	    "block's room (%u)", ring_whole(&ri));
	ok(ring_frames(&ri, 300000) == 0, "V3: a frame larger than a block "
	    "takes none whole");
	ri = v3(8);
	ok(ring_frames(&ri, 1514) == 8 * 163, "V3 2 MiB: 1304 full frames");

	/* immediate mode, offloads on: a 64 KiB slot per frame */
	memset(&ri, 0, sizeof(ri));
	ri.version = TPACKET_V2;
	ri.hdrlen = 32;			/* sizeof(struct tpacket2_hdr) */
	ri.reserve = 4;
	ri.known = 1;
	ri.block_size = 131072;
	ri.block_nr = 128;
	ri.frame_size = 65600;
	ri.frame_nr = 256;
	ok(ring_frames(&ri, 1514) == 256, "V2: one slot per frame (%llu)",
	    (unsigned long long)ring_frames(&ri, 1514));
	ok(ring_frames(&ri, 60) == 256, "V2: small frames take a slot each");
	/* 32 + 20 aligned to 64, + 16 = 80, + 4 = 84 less the Ethernet 14 */
	ok(ring_whole(&ri) == 65600 - 70, "V2: the slot less its header (%u)",
	    ring_whole(&ri));
	ring_describe(&ri, line, sizeof(line));
	is_str(line, "ring: TPACKET_V2, 16384 KiB in 256 frames of 65600 "
	    "bytes, one frame each whatever its length; holds 256 frames of "
	    "1514 bytes; frames up to 65530 bytes whole", "V2: the -v line");

	ri.known = 0;
	ok(ring_frames(&ri, 1514) == 0 && ring_whole(&ri) == 0,
	    "unknown layout: nothing claimed");
	ring_describe(&ri, line, sizeof(line));
	is_str(line, "ring: TPACKET_V2, its blocks not known (the kernel has "
	    "no packet_diag)", "unknown layout: the -v line says so");
	ri.version = -1;
	ring_describe(&ri, line, sizeof(line));
	is_str(line, "ring: not a memory-mapped ring", "no ring");

	ri = v3(64);
	ring_describe(&ri, line, sizeof(line));
	is_str(line, "ring: TPACKET_V3, 16384 KiB in 64 blocks of 256 KiB, "
	    "handed over when full or after 1 ms; holds 10432 frames of 1514 "
	    "bytes; frames up to 262010 bytes whole", "V3: the -v line");
	return tap_done();
}
