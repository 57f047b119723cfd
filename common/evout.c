/* writing event lines: append only, one write(2) per line, no half line ever */
#include <sys/file.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "evout.h"
#include "log.h"
#include "wake.h"

/*
 * Open the log the way p0f opens its own: append only (read only to
 * look at its last byte), never through a symbolic link, a regular
 * file only, created 0640, one writer at a time (an exclusive flock).
 * -1 with "PATH: what is wrong" in err.
 */
static int
open_log(const char *path, char *err, size_t errlen)
{
	struct stat	 st;
	const char	*why = NULL;
	int		 fd;
	char		 c;

	fd = open(path, O_RDWR | O_APPEND | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK);
	if (fd == -1 && errno == ENOENT)
		fd = open(path, O_RDWR | O_APPEND | O_CREAT | O_EXCL |
		    O_NOFOLLOW | O_CLOEXEC, 0640);
	if (fd == -1)
		why = errno == ELOOP ? "is a symbolic link, refused" :
		    strerror(errno);
	else if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode))
		why = "is not a regular file";
	else if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		why = "is held by another writer (flock)";
	if (why != NULL) {
		snprintf(err, errlen, "%s: %s", path, why);
		if (fd != -1)
			close(fd);
		return -1;
	}
	/* O_NONBLOCK only kept a FIFO from hanging the open */
	fcntl(fd, F_SETFL, O_APPEND);
	/*
	 * A writer killed in the middle of a line left it without its
	 * newline: end it, so that it stays one malformed line and the
	 * next event is not glued to it.
	 */
	if (st.st_size > 0 && pread(fd, &c, 1, st.st_size - 1) == 1 &&
	    c != '\n' && write(fd, "\n", 1) != 1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* path NULL: standard output.  -1 with "PATH: what is wrong" in err. */
int
evout_open(struct evout *o, const char *path, int json, char *err,
    size_t errlen)
{
	struct stat	 st;

	memset(o, 0, sizeof(*o));
	o->path = path;
	o->json = json;
	o->fd = STDOUT_FILENO;
	if (path != NULL)
		return (o->fd = open_log(path, err, errlen)) == -1 ? -1 : 0;
	/* a pipe, a socket, a terminal: what is written cannot be taken back */
	o->stream = fstat(o->fd, &st) == -1 || !S_ISREG(st.st_mode);
	return 0;
}

/*
 * SIGHUP: the path may name a new file (logrotate's create mode).  If
 * it still names the file open, nothing changes: opening it again
 * would ask for a second flock on the file the first one holds, fail,
 * and let the lock go with the old descriptor.  The look at the path
 * once a second may also have followed a rotation before its SIGHUP
 * comes.  A new file is locked before the old one is let go, so that
 * no other writer can take the log in between.
 */
void
evout_reopen(struct evout *o)
{
	struct stat	 fst, pst;
	char		 err[512];
	int		 fd;

	if (o->path == NULL)
		return;
	if (o->fd != -1 && fstat(o->fd, &fst) == 0 && fst.st_nlink > 0 &&
	    lstat(o->path, &pst) == 0 && pst.st_ino == fst.st_ino &&
	    pst.st_dev == fst.st_dev)
		return;
	if ((fd = open_log(o->path, err, sizeof(err))) == -1) {
		if (!o->warned)
			log_warnx("%s; events are kept and written when "
			    "it can be opened", err);
		o->warned = 1;
		if (o->fd != -1)
			close(o->fd);
		o->fd = -1;
		return;
	}
	if (o->fd != -1)
		close(o->fd);
	o->fd = fd;
	if (o->warned)
		log_info("%s: open again", o->path);
	o->warned = 0;
}

static int
stopping(const struct evout *o)
{
	return o->stop != NULL && *o->stop;
}

/*
 * Wait until a stream takes more: a reader that is alive gets every
 * line, however slow it is, and one that stops reading holds the
 * writer, as it holds tcpdump -w -.  Once a signal has asked to stop,
 * OUT_STOP_WAIT seconds without progress end the wait, so that such a
 * reader cannot keep the process from ending; what is left is lost.
 * The self-pipe (wake.h) ends the poll at any signal, also one that
 * came just before it: the wait then goes on, with the stop's time
 * counted from the first look that saw the stop.
 * 0: write again; -1 with errno: give up.
 */
static int
wait_out(struct evout *o)
{
	struct pollfd	 pfd[2];
	struct timespec	 ts;
	int64_t		 now, deadline = -1;
	int		 r, ms;

	pfd[0].fd = o->fd;
	pfd[0].events = POLLOUT;
	pfd[1].fd = wake_fd();
	pfd[1].events = POLLIN;
	for (;;) {
		clock_gettime(CLOCK_MONOTONIC, &ts);
		now = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
		if (deadline == -1 && stopping(o))
			deadline = now + OUT_STOP_WAIT * 1000;
		ms = deadline == -1 ? -1 : deadline > now ?
		    (int)(deadline - now) : 0;
		pfd[0].revents = pfd[1].revents = 0;
		r = poll(pfd, 2, ms);
		if (r == -1 && errno != EINTR)
			return -1;
		if (r > 0 && (pfd[1].revents & POLLIN))
			wake_drain();
		/* a signal alone: wait on, the stop looked at again */
		if (r == -1 || (r > 0 && pfd[0].revents == 0))
			continue;
		break;
	}
	if (r == 0) {
		log_warnx("%s: nothing read for %d s after the signal to "
		    "stop; the events left are lost",
		    o->path ? o->path : "stdout", OUT_STOP_WAIT);
		o->stalled = 1;
		errno = ETIMEDOUT;
		return -1;
	}
	/* room, or an error the write will tell: look again */
	return 0;
}

/*
 * One line, one write(2): appends of whole lines never interleave, a
 * pipe's reader gets whole lines (at most PIPE_BUF).  A short write to
 * a regular file (the disk filled up) is taken back with ftruncate(2),
 * so no half line is ever left for a reader.  What went into a pipe, a
 * socket or a terminal cannot be taken back, and writing the whole line
 * again would glue a copy to its first part: there the rest follows,
 * however many writes it takes (a JSON line can pass PIPE_BUF, and a
 * signal cuts a blocked write short).  Returns the bytes written: all
 * of them, or fewer with errno set (none at all on a regular file).
 */
static size_t
write_line(struct evout *o, const char *line, size_t len)
{
	struct stat	 st;
	size_t		 off = 0, want;
	ssize_t		 n;

	if (o->fd == -1 || o->stalled) {
		errno = o->stalled ? ETIMEDOUT : EBADF;
		return 0;
	}
	while (off < len) {
		want = len - off;
		/*
		 * After a signal to stop, a blocking write must not wait
		 * for a reader that may never come back: the stream is
		 * asked first, then given at most PIPE_BUF, which a pipe
		 * with room takes at once.
		 */
		if (o->stream && stopping(o)) {
			if (wait_out(o) == -1)
				break;
			if (want > PIPE_BUF)
				want = PIPE_BUF;
		}
		n = write(o->fd, line + off, want);
		if (n == -1 && errno == EINTR)
			continue;
		/* non-blocking: standard output shared with such a program */
		if (n == -1 && (errno == EAGAIN || errno == EWOULDBLOCK) &&
		    o->stream) {
			if (wait_out(o) == 0)
				continue;
			break;
		}
		if (n <= 0) {
			if (n == 0)
				errno = EIO;
			break;
		}
		off += (size_t)n;
		if (!o->stream)
			break;
	}
	if (off == len || o->stream)
		return off;
	if (off > 0) {
		/*
		 * Standard output may be a file opened without O_APPEND:
		 * the offset goes back too, or the next line would leave a
		 * hole of zero bytes where this one was.
		 */
		if (fstat(o->fd, &st) == 0 &&
		    (ftruncate(o->fd, st.st_size - (off_t)off) == -1 ||
		    lseek(o->fd, st.st_size - (off_t)off, SEEK_SET) == -1))
			log_warn("%s: cannot take back a partial line",
			    o->path ? o->path : "stdout");
		errno = ENOSPC;
	}
	return 0;
}

/* write what waits, oldest first: 0 when nothing is left */
int
evout_flush(struct evout *o)
{
	char	*nl;
	size_t	 n, w, done = 0;

	if (o->backlen > 0 && o->fd == -1)
		evout_reopen(o);
	while (done < o->backlen) {
		nl = memchr(o->backlog + done, '\n', o->backlen - done);
		n = (size_t)(nl - (o->backlog + done)) + 1;
		/* a line begun on a stream keeps only its rest */
		w = write_line(o, o->backlog + done, n);
		done += w;
		if (w < n)
			break;
	}
	memmove(o->backlog, o->backlog + done, o->backlen - done);
	o->backlen -= done;
	if (o->backlen == 0 && o->odelayed > 0) {
		log_info("%s writable again: %llu lines were delayed, %llu "
		    "lost", o->path ? o->path : "stdout",
		    (unsigned long long)o->odelayed,
		    (unsigned long long)o->olost);
		o->odelayed = o->olost = 0;
	}
	return o->backlen == 0 ? 0 : -1;
}

/*
 * The log removed under us: a write would go to a file nobody can
 * read, so every line first asks (one fstat(2)).  The log replaced
 * under its name without a SIGHUP (renamed away, a new file or a link
 * in its place): looked at once a second, since the old file keeps
 * what is written meanwhile.
 */
static void
check_path(struct evout *o)
{
	struct timespec	 now;
	struct stat	 fst, pst;

	if (o->path == NULL)
		return;
	if (o->fd == -1 || fstat(o->fd, &fst) == -1 || fst.st_nlink == 0) {
		evout_reopen(o);
		return;
	}
	clock_gettime(CLOCK_MONOTONIC, &now);
	if (now.tv_sec == o->checked)
		return;
	o->checked = now.tv_sec;
	if (lstat(o->path, &pst) == -1 || pst.st_ino != fst.st_ino ||
	    pst.st_dev != fst.st_dev)
		evout_reopen(o);
}

/*
 * A line that cannot be written now (disk full, log removed or
 * replaced) waits in a bounded backlog and is tried again with the
 * next one.  Returns -1 only when a pipe's reader has gone.
 */
static int
line_out(struct evout *o, const char *line, size_t len)
{
	size_t	 w = 0;

	if (o->closed)
		return -1;
	if (o->stalled) {
		o->lost++;
		return 0;
	}
	check_path(o);
	if ((o->backlen == 0 || evout_flush(o) == 0) &&
	    (w = write_line(o, line, len)) == len)
		return 0;
	if (errno == EPIPE) {
		o->closed = 1;
		return -1;
	}
	/* a reader stopped for good after the signal to stop */
	if (o->stalled) {
		o->lost++;
		return 0;
	}
	/*
	 * What a stream took of the line stays out; the rest waits, first
	 * in the backlog since it was written only when the backlog was
	 * empty, so that it always fits.
	 */
	line += w;
	len -= w;
	o->delayed++;
	/* a log that cannot be opened was reported by evout_reopen() */
	if (o->odelayed++ == 0 && o->fd != -1)
		log_warn("%s", o->path ? o->path : "stdout");
	if (o->backlog == NULL &&
	    (o->backlog = malloc(OUT_BACKLOG_MAX)) == NULL) {
		o->lost++;
		o->olost++;
		return 0;
	}
	if (o->backlen + len > OUT_BACKLOG_MAX) {
		o->lost++;
		o->olost++;
		return 0;
	}
	memcpy(o->backlog + o->backlen, line, len);
	o->backlen += len;
	return 0;
}

/*
 * Batching, for a capture file read into a regular file: the lines go
 * out OUT_BATCH_MAX bytes at a time, whole lines in one write(2), which
 * an O_APPEND file takes whole or not at all as it takes one line.  A
 * batch that is not written whole (the disk full, the log gone) is
 * taken back as write_line() takes back a line, and its lines go again
 * one by one, through the backlog and the counts, as without batching.
 */
int
evout_batch(struct evout *o)
{
	if (o->stream || o->batch != NULL)
		return 0;
	if ((o->batch = malloc(OUT_BATCH_MAX)) == NULL)
		return -1;
	o->batchlen = 0;
	return 0;
}

/* write what the batch holds; -1 only when a pipe's reader has gone */
int
evout_sync(struct evout *o)
{
	const char	*p, *nl;
	size_t		 n, off, l;

	if ((n = o->batchlen) == 0)
		return 0;
	o->batchlen = 0;
	if (!o->closed && !o->stalled && o->backlen == 0) {
		check_path(o);
		if (o->backlen == 0 && write_line(o, o->batch, n) == n)
			return 0;
	}
	for (off = 0; off < n; off += l) {
		p = o->batch + off;
		nl = memchr(p, '\n', n - off);
		l = nl != NULL ? (size_t)(nl - p) + 1 : n - off;
		if (line_out(o, p, l) == -1)
			return -1;
	}
	return 0;
}

int
evout_line(struct evout *o, const char *line, size_t len)
{
	if (o->batch == NULL)
		return line_out(o, line, len);
	if (o->batchlen + len > OUT_BATCH_MAX && evout_sync(o) == -1)
		return -1;
	if (len > OUT_BATCH_MAX)
		return line_out(o, line, len);
	memcpy(o->batch + o->batchlen, line, len);
	o->batchlen += len;
	return 0;
}

/* an event: the line, or its JSON rendering */
int
evout_event(struct evout *o, struct ev_buf *b)
{
	struct ev_rec	 rec;
	const char	*line;
	static char	 json[EVENT_LINE_MAX * 7];
	size_t		 len;
	int		 n;

	if ((line = event_end(b, &len)) == NULL) {
		log_warnx("internal error: an event could not be written");
		return 0;
	}
	if (!o->json)
		return evout_line(o, line, len);
	if (event_parse(line, len, &rec, NULL) != 0 ||
	    (n = event_json(&rec, json, sizeof(json))) < 0)
		return 0;
	return evout_line(o, json, (size_t)n);
}

/* what still waits at the end is lost: counted in lines, as lost= is */
void
evout_close(struct evout *o)
{
	const char	*p, *end;
	uint64_t	 n = 0;

	(void)evout_sync(o);
	if (o->backlen > 0 && evout_flush(o) == -1) {
		end = o->backlog + o->backlen;
		for (p = o->backlog; p < end &&
		    (p = memchr(p, '\n', (size_t)(end - p))) != NULL; p++)
			n++;
		o->lost += n;
		o->backlen = 0;
		log_warnx("%s: %llu event lines could not be written",
		    o->path ? o->path : "stdout", (unsigned long long)n);
	}
	if (o->path != NULL && o->fd != -1)
		close(o->fd);
	free(o->backlog);
	o->backlog = NULL;
	free(o->batch);
	o->batch = NULL;
}
