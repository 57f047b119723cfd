/*
 * An LD_PRELOAD shim for tests/detengo.sh, faults.sh and output.sh.  At
 * the program's first wait of nearly a second in poll(2) (or, with
 * $SIGAT_MS, the first of that many milliseconds) it sends SIGTERM to
 * the program itself, then waits up to 30 s in its place, and writes how
 * long that wait lasted, in seconds, to $SIGAT_FILE.  The signal so comes
 * after the main loop looked at its flags and before it waits: the race
 * a self-pipe closes.  With the pipe the wait ends at once; without it,
 * only after the 30 s.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
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
	const char *f = getenv("SIGAT_FILE"), *at = getenv("SIGAT_MS");
	struct timespec t0, t1;
	FILE *fp;
	int r, e;

	if (real == NULL)
		real = (int (*)(struct pollfd *, nfds_t, int))dlsym(RTLD_NEXT,
		    "poll");
	if (done || f == NULL || (at != NULL ? ms != atoi(at) : ms < 900))
		return real(fds, n, ms);
	done = 1;
	kill(getpid(), SIGTERM);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	r = real(fds, n, 30000);
	e = errno;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	if ((fp = fopen(f, "w")) != NULL) {
		fprintf(fp, "%.3f\n", (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		fclose(fp);
	}
	errno = e;
	return r;
}
