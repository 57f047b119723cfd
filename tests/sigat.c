/*
 * An LD_PRELOAD shim for tests/detengo.sh and tests/faults.sh: at the
 * program's first wait of nearly a second in poll(2), the time is written
 * to $SIGAT_FILE and SIGTERM sent to the program itself, then the wait
 * goes on.  The signal so comes after the main loop looked at its flags
 * and before it waits: the race a self-pipe closes.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

int
poll(struct pollfd *fds, nfds_t n, int ms)
{
	static int (*real)(struct pollfd *, nfds_t, int);
	static int done;
	const char *f = getenv("SIGAT_FILE");
	struct timespec ts;
	FILE *fp;

	if (real == NULL)
		real = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT,
		    "poll");
	if (!done && ms >= 900 && f != NULL) {
		done = 1;
		clock_gettime(CLOCK_REALTIME, &ts);
		if ((fp = fopen(f, "w")) != NULL) {
			fprintf(fp, "%lld.%09ld\n", (long long)ts.tv_sec,
			    ts.tv_nsec);
			fclose(fp);
		}
		kill(getpid(), SIGTERM);
	}
	return real(fds, n, ms);
}
