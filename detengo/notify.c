/* -e PROGRAM: notices of blocks and lifts, run in the background (notify.h) */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <stddef.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "bounds.h"
#include "event.h"
#include "log.h"
#include "notify.h"

/* a notice waiting its turn: its own copy of every string */
struct qent {
	char		 action[8];
	char		 host[ADDR_STRLEN];
	char		 reason[32];
	char		 mac[32];
	char		 sid[16];
	char		 until[32];
	uint64_t	 blocks, unblocks;	/* a summary's counts */
	char		 event[EVENT_LINE_MAX];	/* last: not cleared */
};

struct run {
	pid_t		 pid;		/* 0: a free place */
	int64_t		 start;		/* milliseconds, CLOCK_MONOTONIC */
	int		 termed;	/* SIGTERM sent: SIGKILL next */
	char		 what[8 + ADDR_STRLEN + 8];
};

static struct {
	const char	*program;
	const char	*backend;
	const char	*lift;		/* the command that lifts, without host */
	int		 timeout;	/* seconds */
	struct qent	*q;		/* a ring of NOTIFY_QUEUE_MAX */
	size_t		 qhead, qlen;
	struct run	 run[NOTIFY_RUN_MAX];
	int		 nrun;
	int64_t		 wstart;	/* the burst window: its start, seconds */
	int		 wcount;	/* notices told one by one in it */
	uint64_t	 ublocks, uunblocks;	/* untold in it */
	struct notify_stats st;
} n;

static int64_t
mono_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
copy(char *dst, size_t size, const char *s)
{
	snprintf(dst, size, "%s", s != NULL ? s : "");
}

/*
 * PROGRAM must be an absolute path to a regular file that may be run:
 * a relative one would depend on the directory detengo was started in,
 * and a missing one fails only when a host is blocked.  -1 with the
 * message in err.  timeout: seconds, 0 for NOTIFY_TIMEOUT.
 */
int
notify_init(const char *program, const char *backend, const char *lift,
    int timeout, char *err, size_t errlen)
{
	struct stat	 sb;

	if (program[0] != '/') {
		snprintf(err, errlen, "-e %s: name the program by its "
		    "absolute path", program);
		return -1;
	}
	if (stat(program, &sb) == -1) {
		snprintf(err, errlen, "-e %s: %s", program, strerror(errno));
		return -1;
	}
	if (!S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "-e %s: not a regular file", program);
		return -1;
	}
	if (access(program, X_OK) == -1) {
		snprintf(err, errlen, "-e %s: cannot be run: %s (chmod +x "
		    "it?)", program, strerror(errno));
		return -1;
	}
	if ((n.q = calloc(NOTIFY_QUEUE_MAX, sizeof(*n.q))) == NULL) {
		snprintf(err, errlen, "-e: %s", strerror(errno));
		return -1;
	}
	n.program = program;
	n.backend = backend;
	n.lift = lift;
	n.timeout = timeout > 0 ? timeout : NOTIFY_TIMEOUT;
	return 0;
}

static struct qent *
enqueue(void)
{
	struct qent	*e;

	if (n.qlen == NOTIFY_QUEUE_MAX) {
		n.st.dropped++;
		if (n.st.dropped == 1 || n.st.dropped % 100 == 0)
			log_warnx("notice: %d waiting already, one dropped "
			    "(%llu so far)", NOTIFY_QUEUE_MAX,
			    (unsigned long long)n.st.dropped);
		return NULL;
	}
	e = &n.q[(n.qhead + n.qlen) % NOTIFY_QUEUE_MAX];
	n.qlen++;
	memset(e, 0, offsetof(struct qent, event) + 1);
	return e;
}

/* the notices a burst left untold, in one */
static void
summary(void)
{
	struct qent	*e;

	if (n.ublocks + n.uunblocks == 0)
		return;
	if ((e = enqueue()) != NULL) {
		copy(e->action, sizeof(e->action), "summary");
		e->blocks = n.ublocks;
		e->unblocks = n.uunblocks;
	}
	n.ublocks = n.uunblocks = 0;
}

/* the burst window: a new one when the last is over */
static void
window(void)
{
	int64_t	 now = (int64_t)time(NULL);

	if (now - n.wstart >= NOTIFY_BURST_WINDOW || now < n.wstart) {
		summary();
		n.wstart = now;
		n.wcount = 0;
	}
}

void
notify(const struct notice *nt)
{
	struct qent	*e;

	if (n.program == NULL)
		return;
	window();
	if (n.wcount >= NOTIFY_BURST) {
		if (strcmp(nt->action, "block") == 0)
			n.ublocks++;
		else
			n.uunblocks++;
		n.st.untold++;
		return;
	}
	n.wcount++;
	if ((e = enqueue()) == NULL)
		return;
	copy(e->action, sizeof(e->action), nt->action);
	copy(e->host, sizeof(e->host), nt->host);
	copy(e->reason, sizeof(e->reason), nt->reason);
	copy(e->mac, sizeof(e->mac), nt->mac);
	copy(e->sid, sizeof(e->sid), nt->sid);
	copy(e->event, sizeof(e->event), nt->event);
	e->until[0] = '\0';
	if (nt->until != 0)
		event_utc(nt->until, -1, e->until, sizeof(e->until));
	notify_poll();
}

/* "NAME=value", allocated; NULL when out of memory */
static char *
envvar(const char *name, const char *value)
{
	char	*s;

	if (asprintf(&s, "%s=%s", name, value) == -1)
		return NULL;
	return s;
}

static void
start(struct run *r, const struct qent *e)
{
	posix_spawnattr_t	 at;
	posix_spawn_file_actions_t fa;
	sigset_t		 none, dfl;
	char			*argv[5], *envp[16], count[24], bl[24], ub[24];
	char			 lift[512];
	int			 i = 0, ne = 0, err;
	pid_t			 pid;

	argv[i++] = (char *)(uintptr_t)n.program;
	argv[i++] = (char *)(uintptr_t)e->action;
	if (strcmp(e->action, "summary") == 0) {
		snprintf(count, sizeof(count), "%llu",
		    (unsigned long long)(e->blocks + e->unblocks));
		argv[i++] = count;
		argv[i++] = (char *)(uintptr_t)"burst";
		snprintf(r->what, sizeof(r->what), "summary");
	} else {
		argv[i++] = (char *)(uintptr_t)e->host;
		argv[i++] = (char *)(uintptr_t)e->reason;
		snprintf(r->what, sizeof(r->what), "%s %s", e->action,
		    e->host);
	}
	argv[i] = NULL;

	envp[ne++] = envvar("PATH", "/usr/local/sbin:/usr/local/bin:"
	    "/usr/sbin:/usr/bin:/sbin:/bin");
	envp[ne++] = envvar("LANG", "C");
	envp[ne++] = envvar("DETENGO_BACKEND", n.backend);
	if (strcmp(e->action, "summary") == 0) {
		snprintf(bl, sizeof(bl), "%llu", (unsigned long long)e->blocks);
		snprintf(ub, sizeof(ub), "%llu",
		    (unsigned long long)e->unblocks);
		envp[ne++] = envvar("DETENGO_BLOCKS", bl);
		envp[ne++] = envvar("DETENGO_UNBLOCKS", ub);
	} else {
		snprintf(lift, sizeof(lift), "%s --unblock %s", n.lift,
		    e->host);
		envp[ne++] = envvar("DETENGO_HOST", e->host);
		envp[ne++] = envvar("DETENGO_REASON", e->reason);
		envp[ne++] = envvar("DETENGO_MAC", e->mac);
		envp[ne++] = envvar("DETENGO_SID", e->sid);
		envp[ne++] = envvar("DETENGO_EVENT", e->event);
		envp[ne++] = envvar("DETENGO_UNTIL", e->until);
		envp[ne++] = envvar("DETENGO_LIFT", lift);
	}
	envp[ne] = NULL;
	for (i = 0; i < ne; i++)
		if (envp[i] == NULL) {
			log_warn("notice %s: not run", r->what);
			n.st.failed++;
			goto out;
		}

	/*
	 * Its own process group, to be ended whole; detengo's signals
	 * back to their defaults and none held; standard input empty;
	 * standard output to detengo's standard error (its standard
	 * output may carry the report lines); no other descriptor.
	 */
	posix_spawnattr_init(&at);
	posix_spawn_file_actions_init(&fa);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGCHLD);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGUSR1);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP |
	    POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSIGMASK);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, 2, 1);
	posix_spawn_file_actions_addclosefrom_np(&fa, 3);
	err = posix_spawn(&pid, n.program, &fa, &at, argv, envp);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (err != 0) {
		log_warnx("notice %s: cannot run %s: %s", r->what, n.program,
		    strerror(err));
		n.st.failed++;
		goto out;
	}
	r->pid = pid;
	r->start = mono_ms();
	r->termed = 0;
	n.nrun++;
	n.st.run++;
out:
	for (i = 0; i < ne; i++)
		free(envp[i]);
}

/* a notice's end: said when it failed */
static void
ended(struct run *r, int status)
{
	if (WIFEXITED(status) && WEXITSTATUS(status) != 0) {
		log_warnx("notice %s: %s exited with status %d", r->what,
		    n.program, WEXITSTATUS(status));
		n.st.failed++;
	} else if (WIFSIGNALED(status)) {
		if (r->termed)
			log_warnx("notice %s: %s ran over %d s, ended",
			    r->what, n.program, n.timeout);
		else
			log_warnx("notice %s: %s killed by signal %d",
			    r->what, n.program, WTERMSIG(status));
		n.st.failed++;
	} else if (r->termed) {
		log_warnx("notice %s: %s ran over %d s, ended", r->what,
		    n.program, n.timeout);
		n.st.failed++;
	}
	/* what it left running in its group ends with it */
	if (r->termed)
		(void)kill(-r->pid, SIGKILL);
	r->pid = 0;
	n.nrun--;
}

/* reap, end what ran over its time, start what waits */
void
notify_poll(void)
{
	struct run	*r;
	int64_t		 now;
	int		 i, status;
	pid_t		 pid;

	if (n.program == NULL)
		return;
	for (i = 0; i < NOTIFY_RUN_MAX; i++)
		if (n.run[i].pid != 0 &&
		    (pid = waitpid(n.run[i].pid, &status, WNOHANG)) > 0)
			ended(&n.run[i], status);
	now = mono_ms();
	for (i = 0; i < NOTIFY_RUN_MAX; i++) {
		r = &n.run[i];
		if (r->pid == 0)
			continue;
		if (!r->termed && now - r->start >= n.timeout * 1000LL) {
			(void)kill(-r->pid, SIGTERM);
			r->termed = 1;
		} else if (r->termed &&
		    now - r->start >= n.timeout * 1000LL + 2000)
			(void)kill(-r->pid, SIGKILL);
	}
	/* the end of a burst's window tells what it left untold */
	if (n.ublocks + n.uunblocks > 0)
		window();
	for (i = 0; i < NOTIFY_RUN_MAX && n.qlen > 0; i++) {
		if (n.run[i].pid != 0)
			continue;
		start(&n.run[i], &n.q[n.qhead]);
		n.qhead = (n.qhead + 1) % NOTIFY_QUEUE_MAX;
		n.qlen--;
	}
}

/* milliseconds until notify_poll() has something to do; -1: nothing */
int
notify_next_ms(void)
{
	int64_t		 now, next = INT64_MAX, t;
	int		 i;

	if (n.program == NULL)
		return -1;
	/* a child's end wakes the loop (SIGCHLD); until then, its time */
	now = mono_ms();
	for (i = 0; i < NOTIFY_RUN_MAX; i++) {
		if (n.run[i].pid == 0)
			continue;
		t = n.run[i].start + n.timeout * 1000LL +
		    (n.run[i].termed ? 2000 : 0) - now;
		if (t < next)
			next = t;
	}
	if (n.ublocks + n.uunblocks > 0) {
		t = (n.wstart + NOTIFY_BURST_WINDOW - (int64_t)time(NULL)) *
		    1000;
		if (t < next)
			next = t;
	}
	if (n.nrun > 0 && next > 1000)
		next = 1000;	/* a missed SIGCHLD costs at most a second */
	if (next == INT64_MAX)
		return -1;
	return next < 0 ? 0 : (int)next;
}

/*
 * At exit: what a burst left untold, what waits and what runs, each up
 * to its time.  Asked to stop (all 0), what runs is waited for, and what
 * waits is told in the summary instead of one by one, so that a stop
 * takes one notice's time and the summary's, not the queue's: a hung
 * program with a full queue would be minutes.
 */
void
notify_drain(int all)
{
	struct qent	*e;
	size_t		 i, k = n.qlen;

	if (n.program == NULL)
		return;
	for (i = 0; !all && i < n.qlen; i++) {
		e = &n.q[(n.qhead + i) % NOTIFY_QUEUE_MAX];
		if (strcmp(e->action, "summary") == 0) {
			n.ublocks += e->blocks;
			n.uunblocks += e->unblocks;
			continue;
		}
		if (strcmp(e->action, "block") == 0)
			n.ublocks++;
		else
			n.uunblocks++;
		n.st.untold++;
	}
	if (!all && k > 0) {
		n.qlen = 0;
		log_info("stopping: %zu notice%s waiting told in a summary", k,
		    k == 1 ? "" : "s");
	}
	summary();
	notify_poll();
	while (n.nrun > 0 || n.qlen > 0) {
		(void)poll(NULL, 0, 20);
		notify_poll();
	}
}

void
notify_getstats(struct notify_stats *s)
{
	*s = n.st;
}
