/* unit tests of the notices of -e (detengo/notify.c): real children */
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "log.h"
#include "notify.h"
#include "tap.h"

static char	 dir[] = "/tmp/t_notify.XXXXXX";

static void
script(const char *name, const char *body)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "w")) == NULL)
		return;
	fprintf(f, "#!/bin/sh\n%s\n", body);
	fclose(f);
	chmod(path, 0755);
}

static int
lines(const char *name)
{
	char	 path[256], buf[8192];
	FILE	*f;
	int	 n = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (fgets(buf, sizeof(buf), f) != NULL)
		n++;
	fclose(f);
	return n;
}

static int
contains(const char *name, const char *what)
{
	char	 path[256], buf[8192];
	FILE	*f;
	int	 found = 0;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if ((f = fopen(path, "r")) == NULL)
		return 0;
	while (!found && fgets(buf, sizeof(buf), f) != NULL)
		found = strstr(buf, what) != NULL;
	fclose(f);
	return found;
}

static double
mono(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
block(const char *host)
{
	struct notice	 nt = { "block", host, "mail", "52:54:00:6a:19:02",
	    "3b9d70e2", "2026-03-03T16:40:02.208517Z mail sid=3b9d70e2 "
	    "src=198.51.100.25:50112 dst=203.0.113.25:25 from=a@example.com",
	    0 };

	notify(&nt);
}

int
main(void)
{
	char			 path[256], err[512], cmd[300];
	struct notify_stats	 st;
	double			 t0, t;
	int			 i, status;
	pid_t			 pid;

	log_init("t_notify", 1);
	if (mkdtemp(dir) == NULL) {
		printf("not ok 1 - mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	/* refused at start, each with what to fix */
	ok(notify_init("notify-mail", "iptc", "detengo", 0, err,
	    sizeof(err)) == -1 && strstr(err, "absolute") != NULL,
	    "a relative path: %s", err);
	snprintf(path, sizeof(path), "%s/none", dir);
	ok(notify_init(path, "iptc", "detengo", 0, err, sizeof(err)) == -1 &&
	    strstr(err, "No such file") != NULL, "a missing program: %s", err);
	ok(notify_init(dir, "iptc", "detengo", 0, err, sizeof(err)) == -1 &&
	    strstr(err, "not a regular file") != NULL, "a directory: %s", err);
	snprintf(path, sizeof(path), "%s/noexec", dir);
	script("noexec", "exit 0");
	chmod(path, 0644);
	ok(notify_init(path, "iptc", "detengo", 0, err, sizeof(err)) == -1 &&
	    strstr(err, "chmod") != NULL, "not executable: %s", err);

	/*
	 * Asked to stop: what runs is waited for, what waits is dropped.
	 * In a child, with notices and a burst window of its own: 6
	 * notices of a hung program, 4 running; exit 0 when the 2 waiting
	 * were told in the summary, and the stop took the time of the 4
	 * and then of the summary, not of the 2.
	 */
	script("sleeper", "sleep 100");
	snprintf(path, sizeof(path), "%s/sleeper", dir);
	fflush(stdout);
	if ((pid = fork()) == 0) {
		if (notify_init(path, "iptc", "detengo", 2, err,
		    sizeof(err)) == -1)
			_exit(3);
		for (i = 0; i < 6; i++) {
			char	 h[32];

			snprintf(h, sizeof(h), "198.51.100.%d", 60 + i);
			block(h);
		}
		t0 = mono();
		notify_drain(0);
		notify_getstats(&st);
		/* 4 ran, the 2 waiting went into the summary: a 5th run */
		_exit(st.dropped == 0 && st.untold == 6 - NOTIFY_RUN_MAX &&
		    st.run == NOTIFY_RUN_MAX + 1 && mono() - t0 < 7 ? 0 : 1);
	}

	/*
	 * The program: argv and environment to a file, then as told by
	 * the file "mode": a hang, an exit 1, or at once
	 */
	script("prog", "printf '%s|' \"$@\" >>\"${0%/*}/argv\"\n"
	    "echo >>\"${0%/*}/argv\"\n"
	    "env | sort >>\"${0%/*}/env\"\n"
	    "echo x >&1\n"
	    "case $(cat \"${0%/*}/mode\" 2>/dev/null) in\n"
	    "hang) echo $$ >>\"${0%/*}/hung\"; sleep 100 ;;\n"
	    "fail) exit 1 ;;\n"
	    "esac\nexit 0");
	snprintf(path, sizeof(path), "%s/prog", dir);
	ok(notify_init(path, "nft", "detengo -b nft", 2, err,
	    sizeof(err)) == 0, "a good program");

	/* one notice: argv fixed, environment its own */
	setenv("SECRET_OF_DETENGO", "x", 1);
	block("198.51.100.25");
	notify_drain(1);
	ok(contains("argv", "block|198.51.100.25|mail|"), "argv: block HOST "
	    "REASON");
	ok(contains("env", "DETENGO_MAC=52:54:00:6a:19:02") &&
	    contains("env", "DETENGO_SID=3b9d70e2") &&
	    contains("env", "DETENGO_BACKEND=nft") &&
	    contains("env", "DETENGO_UNTIL=\n") &&
	    contains("env", "DETENGO_LIFT=detengo -b nft --unblock "
	    "198.51.100.25") &&
	    contains("env", "DETENGO_EVENT=2026-03-03T16:40:02.208517Z mail "),
	    "the environment names the block");
	ok(!contains("env", "SECRET_OF_DETENGO"), "and nothing of detengo's "
	    "own environment");
	notify_getstats(&st);
	ok(st.run == 1 && st.failed == 0, "counted: run 1, failed 0");

	/* an exit 1 is a failure, counted */
	snprintf(cmd, sizeof(cmd), "echo fail >%s/mode", dir);
	if (system(cmd) != 0)
		printf("# %s failed\n", cmd);
	block("198.51.100.26");
	notify_drain(1);
	notify_getstats(&st);
	ok(st.run == 2 && st.failed == 1, "an exit 1 is counted a failure");

	/*
	 * Hung ones: at most NOTIFY_RUN_MAX at once, never a wait for the
	 * caller, and each ended after its time (2 s here)
	 */
	snprintf(cmd, sizeof(cmd), "echo hang >%s/mode", dir);
	if (system(cmd) != 0)
		printf("# %s failed\n", cmd);
	t0 = mono();
	for (i = 0; i < 6; i++) {
		char	 h[32];

		snprintf(h, sizeof(h), "198.51.100.%d", 30 + i);
		block(h);
	}
	t = mono() - t0;
	ok(t < 0.5, "six notices of a hung program take the caller %.3f s",
	    t);
	poll(NULL, 0, 500);
	notify_poll();
	ok(lines("hung") == NOTIFY_RUN_MAX, "%d of them run at once (%d "
	    "started)", NOTIFY_RUN_MAX, lines("hung"));
	t0 = mono();
	notify_drain(1);
	t = mono() - t0;
	notify_getstats(&st);
	ok(lines("hung") == 6 && st.failed == 7, "all six ran, and each "
	    "ran over its time: %d started, %llu failed", lines("hung"),
	    (unsigned long long)st.failed);
	ok(t > 3 && t < 8, "two rounds of a 2 s timeout: %.1f s", t);

	/* a full queue drops, and counts */
	snprintf(cmd, sizeof(cmd), "echo ok >%s/mode", dir);
	if (system(cmd) != 0)
		printf("# %s failed\n", cmd);
	notify_getstats(&st);
	printf("# before the burst: run %llu\n", (unsigned long long)st.run);
	/* the burst window holds 10; the ones before used 8 of a window */
	poll(NULL, 0, 10);
	for (i = 0; i < 200; i++) {
		char	 h[32];

		snprintf(h, sizeof(h), "203.0.113.%d", i);
		block(h);
	}
	notify_getstats(&st);
	ok(st.untold >= 200 - NOTIFY_BURST, "a burst of 200: %llu untold "
	    "one by one", (unsigned long long)st.untold);
	notify_drain(1);
	ok(contains("argv", "summary|"), "and told in one summary");
	ok(contains("env", "DETENGO_BLOCKS="), "which counts the blocks");
	notify_getstats(&st);
	ok(st.dropped == 0, "nothing dropped: the burst's rest is summed, "
	    "not queued");

	status = -1;
	if (pid > 0)
		waitpid(pid, &status, 0);
	ok(WIFEXITED(status) && WEXITSTATUS(status) == 0, "a stop: those "
	    "running waited for, those waiting told in a summary (status %d)",
	    status);

	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", dir);
	printf("1..%d\n", tap_n);
	return tap_fail != 0;
}
