/* frames longer than a ring slot, read whole from the capture socket's queue */
#ifndef COPY_H
#define COPY_H

#include <stddef.h>
#include <stdint.h>

#include <sys/time.h>

#include <pcap/pcap.h>

struct copy_stats {
	uint64_t	 used;		/* frames made whole from their copy */
	uint64_t	 stale;		/* copies thrown away, their frame gone */
};

int	 copy_setup(int, int, int *);
const u_char *copy_frame(int, const struct pcap_pkthdr *, const u_char *,
	    uint32_t, size_t *);
void	 copy_drain(int, const struct timeval *, int);
void	 copy_stats(struct copy_stats *);

#endif /* COPY_H */
