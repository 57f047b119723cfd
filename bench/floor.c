/* floor: read every packet of a capture and sum its bytes, the least any reader of the file can do */
#include <err.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include <pcap/pcap.h>

struct floor_sum {
	uint64_t	 packets;
	uint64_t	 bytes;
	uint64_t	 sum;
};

static void
usage(void)
{
	fprintf(stderr, "usage: floor [-b KiB] file\n");
	exit(2);
}

/*
 * Touch every captured byte, so that the floor pays for bringing the
 * whole file through the cache as a real reader does.
 */
static void
floor_packet(u_char *arg, const struct pcap_pkthdr *h, const u_char *p)
{
	struct floor_sum	*s = (struct floor_sum *)arg;
	uint64_t		 sum = 0;
	bpf_u_int32		 i;

	for (i = 0; i < h->caplen; i++)
		sum += p[i];
	s->sum += sum;
	s->bytes += h->caplen;
	s->packets++;
}

int
main(int argc, char *argv[])
{
	char			 ebuf[PCAP_ERRBUF_SIZE];
	struct floor_sum	 s = { 0, 0, 0 };
	pcap_t			*pc;
	FILE			*fp;
	char			*buf = NULL;
	long			 kib = 0;
	int			 n;

	/* -b KiB: stdio reads the file KiB at a time, as capturo -r does */
	if (argc == 4 && argv[1][0] == '-' && argv[1][1] == 'b' &&
	    argv[1][2] == '\0') {
		kib = strtol(argv[2], NULL, 10);
		if (kib < 1 || kib > 65536)
			usage();
		argv += 2;
		argc -= 2;
	}
	if (argc != 2)
		usage();
	if ((fp = fopen(argv[1], "rb")) == NULL)
		err(1, "%s", argv[1]);
	if (kib > 0 && ((buf = malloc((size_t)kib * 1024)) == NULL ||
	    setvbuf(fp, buf, _IOFBF, (size_t)kib * 1024) != 0))
		err(1, "buffer");
	if ((pc = pcap_fopen_offline(fp, ebuf)) == NULL)
		errx(1, "%s: %s", argv[1], ebuf);
	while ((n = pcap_dispatch(pc, -1, floor_packet, (u_char *)&s)) > 0)
		;
	if (n == -1)
		errx(1, "%s: %s", argv[1], pcap_geterr(pc));
	pcap_close(pc);
	free(buf);
	printf("packets=%" PRIu64 " bytes=%" PRIu64 " sum=%" PRIu64 "\n",
	    s.packets, s.bytes, s.sum);
	return 0;
}
