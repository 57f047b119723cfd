/* follow the event log like tail -F: inotify wake-ups, pread, rotation and truncation */
#include <sys/types.h>
#include <sys/eventfd.h>
#include <sys/inotify.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <inotifytools/inotifytools.h>

#include "bounds.h"
#include "log.h"
#include "state.h"
#include "tail.h"

/*
 * How the file is followed.
 *
 * inotify only wakes us: after any event the same check runs, which looks
 * at the file itself, so a lost or merged event costs nothing.  The check:
 *  0. an unfinished last line we hold is no longer in the file (shorter,
 *     or other bytes there) while the file still holds every line passed
 *     (its size is at least our offset, and the bytes before the offset
 *     are ours): the writer took back a short write with ftruncate, as
 *     capturo does.  Drop what we hold of that line and read again from
 *     the offset; nothing passed is passed again.
 *  1. the file read (fd) shrank below what we read, or the TAIL_SUM_MAX
 *     bytes before our offset changed: it was truncated (copytruncate, or
 *     "> log").  Size alone misses a file truncated and refilled past our
 *     offset while we slept.  Lines written after our last read but before
 *     the truncation are in the copy copytruncate made: if PATH.1 holds
 *     our bytes before the offset, read its rest first.  Then go to 0.
 *  2. read what is past our offset with pread, TAIL_READ_MAX at a time.
 *  3. stat PATH.  If it names another file that is not empty, the writer
 *     has moved to it: read the old file to its end, then switch.  The
 *     old descriptor stays open until then, so lines written to a renamed
 *     or deleted file before the writer reopened are not lost.  While the
 *     new file is empty the old one is still read (logrotate's "create"
 *     makes the new file before the writer is told to reopen).
 *
 * Watches: the directory for IN_CREATE, IN_MOVED_TO and IN_MODIFY of our
 * name (a file appearing or growing under the name), and the file read,
 * through /proc/self/fd so that it is the very inode we hold, for
 * IN_MODIFY, IN_ATTRIB, IN_MOVE_SELF and IN_DELETE_SELF.  The file watch
 * is removed before its descriptor is closed: the kernel cannot drop it
 * first (the open descriptor keeps the inode), so libinotifytools is never
 * left with a stale watch.
 *
 * libinotifytools hides its descriptor; it is the lowest free descriptor
 * when inotifytools_initialize() runs, checked in /proc.  Waits poll it
 * with millisecond timeouts; events are then taken with
 * inotifytools_next_events(0, 1) until it returns NULL (the library
 * buffers events; next_event(0) would block for ever and more than one
 * event per call busy-waits).  Without /proc the library's own select is
 * used, with timeouts rounded up to seconds.
 */

/* the bytes of a line handed over: an overlong one is cut here */
#define TAIL_LINE_KEEP	(EVENT_LINE_MAX + 1)

#define TAIL_DIR_EVENTS		(IN_CREATE | IN_MOVED_TO | IN_MODIFY)
#define TAIL_FILE_EVENTS	(IN_MODIFY | IN_ATTRIB | IN_MOVE_SELF | \
				    IN_DELETE_SELF)

typedef void	(*tail_cb)(void *, const char *, size_t, int);

struct tail {
	int		 isstdin;
	char		*path;
	char		*dir;		/* as watched, ending in '/' */
	const char	*base;		/* in path */
	char		*rot;		/* PATH.1 */
	int		 fd;		/* the file read; -1 while missing */
	uint64_t	 dev, ino;
	uint64_t	 rd;		/* file offset read up to */
	uint64_t	 off;		/* just after the last line passed */
	uint8_t		 win[TAIL_SUM_MAX];	/* the bytes just before off */
	size_t		 winlen;
	/* the line being gathered, file bytes [off, rd) */
	char		 line[TAIL_LINE_KEEP];
	size_t		 linelen;	/* bytes kept */
	uint64_t	 linetot;	/* bytes seen */
	uint8_t		 ltail[TAIL_SUM_MAX];	/* its last bytes */
	size_t		 ltaillen;
	int		 discard;	/* began before our start: drop it */
	int		 eof;
	int		 more;		/* the read budget ran out first */
	int		 notreg;	/* said that PATH is no regular file */
	int		 ifd;		/* the inotify descriptor, or -1 */
	int		 wakefd;	/* readable: stop waiting; or -1 */
	int		 dirwd, filewd;
	uint8_t		*buf;		/* TAIL_READ_MAX */
	tail_cb		 cb;
	void		*ctx;
	int		 n;		/* lines passed in this call */
};

/* libinotifytools has one instance per process */
static int	 tail_busy;

/* keep the last TAIL_SUM_MAX bytes of what was pushed */
static void
win_push(uint8_t *w, size_t *len, const uint8_t *p, size_t n)
{
	size_t	 drop;

	if (n >= TAIL_SUM_MAX) {
		memcpy(w, p + n - TAIL_SUM_MAX, TAIL_SUM_MAX);
		*len = TAIL_SUM_MAX;
		return;
	}
	if (*len + n > TAIL_SUM_MAX) {
		drop = *len + n - TAIL_SUM_MAX;
		memmove(w, w + drop, *len - drop);
		*len -= drop;
	}
	memcpy(w + *len, p, n);
	*len += n;
}

static void
line_reset(struct tail *t)
{
	t->linelen = 0;
	t->linetot = 0;
	t->ltaillen = 0;
	t->discard = 0;
}

/* bytes of a line whose newline has not come: keep at most TAIL_LINE_KEEP */
static void
line_keep(struct tail *t, const uint8_t *p, size_t n)
{
	size_t	 c;

	if (!t->discard && t->linelen < sizeof(t->line)) {
		c = sizeof(t->line) - t->linelen;
		if (c > n)
			c = n;
		memcpy(t->line + t->linelen, p, c);
		t->linelen += c;
	}
	t->linetot += n;
	win_push(t->ltail, &t->ltaillen, p, n);
}

/*
 * A newline at p[n]: the line is complete.  The position moves past it
 * before the callback runs, so that tail_getpos() there names the line
 * as done.
 */
static void
line_done(struct tail *t, const uint8_t *p, size_t n)
{
	const char	*s;
	uint64_t	 total = t->linetot + n;
	size_t		 len;
	int		 drop = t->discard;

	if (t->linetot == 0) {
		s = (const char *)p;
		len = n;
	} else {
		line_keep(t, p, n);
		s = t->line;
		len = t->linelen;
		win_push(t->win, &t->winlen, t->ltail, t->ltaillen);
		p += n;
		n = 0;
	}
	win_push(t->win, &t->winlen, p, n + 1);
	t->off += total + 1;
	line_reset(t);
	if (drop)
		return;
	if (len > TAIL_LINE_KEEP)
		len = TAIL_LINE_KEEP;
	t->n++;
	t->cb(t->ctx, s, len, total > EVENT_LINE_MAX ? TAIL_OVERLONG : 0);
}

/* split bytes read into lines; t->rd is advanced by the caller */
static void
feed(struct tail *t, const uint8_t *p, size_t n)
{
	const uint8_t	*nl;
	size_t		 seg;

	while (n > 0) {
		if ((nl = memchr(p, '\n', n)) == NULL) {
			line_keep(t, p, n);
			return;
		}
		seg = (size_t)(nl - p);
		line_done(t, p, seg);
		p += seg + 1;
		n -= seg + 1;
	}
}

/*
 * Read the file from t->rd to its end, at most *budget buffers.  0 at the
 * end of the file, 1 when the budget ran out first, -1 on error.
 */
static int
drain(struct tail *t, int *budget)
{
	ssize_t	 r;

	while (*budget > 0) {
		r = pread(t->fd, t->buf, TAIL_READ_MAX, (off_t)t->rd);
		if (r == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		if (r == 0)
			return 0;
		(*budget)--;
		feed(t, t->buf, (size_t)r);
		t->rd += (uint64_t)r;
		/*
		 * A short read is the end for now: a later write raises an
		 * event that was not yet taken, so it will wake us.
		 */
		if (r < TAIL_READ_MAX)
			return 0;
	}
	return 1;
}

/* do the len bytes of fd before off hash to sum?  (the resume check) */
static int
sum_ok(int fd, uint64_t off, uint32_t sum, uint32_t len, uint8_t *keep)
{
	uint8_t	 b[TAIL_SUM_MAX];

	if (len > TAIL_SUM_MAX || len > off)
		return 0;
	if (len > 0 && pread(fd, b, len, (off_t)(off - len)) != (ssize_t)len)
		return 0;
	if (state_sum(b, len) != sum)
		return 0;
	if (keep != NULL)
		memcpy(keep, b, len);
	return 1;
}

/* do the bytes of fd before t->off still match what we read? */
static int
win_ok(const struct tail *t, int fd)
{
	uint8_t	 b[TAIL_SUM_MAX];

	if (t->winlen == 0)
		return 1;
	if (pread(fd, b, t->winlen, (off_t)(t->off - t->winlen)) !=
	    (ssize_t)t->winlen)
		return 0;
	return memcmp(b, t->win, t->winlen) == 0;
}

/*
 * Are the bytes of the unfinished line we hold, file bytes [off, rd),
 * still in the file?  Those kept whole and the last TAIL_SUM_MAX are
 * compared: a line taken back and written again differently shows there.
 */
static int
held_ok(struct tail *t)
{
	uint8_t	 b[TAIL_SUM_MAX];
	size_t	 n = t->linelen;

	if (n > 0 && (pread(t->fd, t->buf, n, (off_t)t->off) != (ssize_t)n ||
	    memcmp(t->buf, t->line, n) != 0))
		return 0;
	if (t->linetot > n && t->ltaillen > 0 && (pread(t->fd, b, t->ltaillen,
	    (off_t)(t->rd - t->ltaillen)) != (ssize_t)t->ltaillen ||
	    memcmp(b, t->ltail, t->ltaillen) != 0))
		return 0;
	return 1;
}

/*
 * Open a log file for reading: a regular file, never a terminal or FIFO;
 * anything else is EINVAL.
 */
static int
open_log(const char *path, int nofollow, struct stat *sb)
{
	int	 fd, flags = O_RDONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC;

	/*
	 * Look before opening: opening a FIFO wakes a writer that waits for
	 * a reader, and opening a device can do things.  fstat() below
	 * still decides, for a name replaced in between.
	 */
	if ((nofollow ? lstat(path, sb) : stat(path, sb)) == 0 &&
	    !S_ISREG(sb->st_mode) && !S_ISLNK(sb->st_mode)) {
		errno = EINVAL;
		return -1;
	}
	if (nofollow)
		flags |= O_NOFOLLOW;
	if ((fd = open(path, flags)) == -1) {
		if (errno == ENXIO)	/* a socket */
			errno = EINVAL;
		return -1;
	}
	if (fstat(fd, sb) == -1) {
		close(fd);
		return -1;
	}
	if (!S_ISREG(sb->st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	return fd;
}

/*
 * PATH names something else than a regular file, a directory say: follow
 * on as tail -F does.  Say it once, keep reading the file held (if any),
 * and wait for a regular file under the name.
 */
static void
not_regular(struct tail *t)
{
	if (t->notreg)
		return;
	t->notreg = 1;
	log_warnx("%s: not a regular file; waiting for a regular file there",
	    t->path);
}

static void
unwatch_file(struct tail *t)
{
	if (t->filewd != -1) {
		inotifytools_remove_watch_by_wd(t->filewd);
		t->filewd = -1;
	}
}

/* watch the very file held, through /proc; by name if /proc is missing */
static void
watch_file(struct tail *t, const char *name)
{
	char	 p[64];

	snprintf(p, sizeof(p), "/proc/self/fd/%d", t->fd);
	if (inotifytools_watch_file(p, TAIL_FILE_EVENTS))
		t->filewd = inotifytools_wd_from_filename(p);
	else if (inotifytools_watch_file(name, TAIL_FILE_EVENTS))
		t->filewd = inotifytools_wd_from_filename(name);
	else {
		/* the directory watch still sees writes under our name */
		errno = inotifytools_error();
		log_warn("%s: inotify watch", name);
		t->filewd = -1;
	}
}

/* make fd the file read, from offset off; the old one is closed */
static void
adopt(struct tail *t, int fd, const struct stat *sb, uint64_t off,
    const char *name)
{
	unwatch_file(t);
	if (t->fd != -1)
		close(t->fd);
	t->fd = fd;
	t->dev = (uint64_t)sb->st_dev;
	t->ino = (uint64_t)sb->st_ino;
	t->rd = t->off = off;
	t->winlen = 0;
	line_reset(t);
	t->notreg = 0;
	watch_file(t, name);
}

/*
 * After a truncation: if PATH.1 is the copy copytruncate made of the file
 * we read (the same bytes before our offset), pass the lines it has past
 * the offset, which the truncation took from the file before we read them.
 */
static int
recover_copy(struct tail *t, int *budget)
{
	struct stat	 sb;
	uint64_t	 rd = t->rd;
	int		 fd, live = t->fd, rv;

	if (t->off == 0 || (fd = open_log(t->rot, 1, &sb)) == -1)
		return 0;
	if ((uint64_t)sb.st_size <= t->off ||
	    ((uint64_t)sb.st_dev == t->dev && (uint64_t)sb.st_ino == t->ino) ||
	    !win_ok(t, fd)) {
		close(fd);
		return 0;
	}
	log_info("%s: truncated; reading %llu bytes it had from %s",
	    t->path, (unsigned long long)((uint64_t)sb.st_size - t->off),
	    t->rot);
	line_reset(t);
	t->fd = fd;
	t->rd = t->off;
	rv = drain(t, budget);
	if (rv == 1)
		log_warnx("%s: more than %d buffers to read, the rest skipped",
		    t->rot, TAIL_READS_MAX);
	if (t->linetot > 0)
		log_warnx("%s: %llu bytes without a newline at its end "
		    "dropped", t->rot, (unsigned long long)t->linetot);
	t->fd = live;
	t->rd = rd;
	close(fd);
	return rv == -1 ? -1 : 0;
}

/* open PATH if it has appeared: read from 0.  0, or -1 on error */
static int
reopen(struct tail *t)
{
	struct stat	 sb;
	int		 fd;

	if ((fd = open_log(t->path, 0, &sb)) == -1) {
		if (errno == EINVAL)
			not_regular(t);
		return errno == ENOENT || errno == EINVAL ? 0 : -1;
	}
	log_info("%s: found, reading from the start", t->path);
	adopt(t, fd, &sb, 0, t->path);
	return 0;
}

/*
 * The work after a wake-up: see the comment at the top.  t->more is set
 * when the read budget ran out before the end of the file.
 */
static int
check(struct tail *t)
{
	struct stat	 sb, nsb;
	uint64_t	 size;
	int		 budget = TAIL_READS_MAX, fd, rv, ours, discard;

	t->more = 0;
	if (t->fd == -1) {
		if (reopen(t) == -1)
			return -1;
		if (t->fd == -1)
			return 0;
	}
	for (;;) {
		if (fstat(t->fd, &sb) == -1)
			return -1;
		size = (uint64_t)sb.st_size;
		ours = win_ok(t, t->fd);
		if (ours && t->linetot > 0 && size >= t->off &&
		    (size < t->rd || !held_ok(t))) {
			log_info("%s: an unfinished last line of %llu bytes "
			    "was taken back; reading on from offset %llu",
			    t->path, (unsigned long long)t->linetot,
			    (unsigned long long)t->off);
			/* a line begun before our start goes on at off */
			discard = t->discard;
			line_reset(t);
			t->discard = discard;
			t->rd = t->off;
		}
		if (size < t->rd || !ours) {
			log_warnx("%s: truncated, reading from the start",
			    t->path);
			if (recover_copy(t, &budget) == -1)
				return -1;
			t->rd = t->off = 0;
			t->winlen = 0;
			line_reset(t);
		}
		if ((rv = drain(t, &budget)) != 0) {
			t->more = rv == 1;
			return rv == 1 ? 0 : -1;
		}
		if (stat(t->path, &nsb) == -1)
			return errno == ENOENT || errno == ENOTDIR ? 0 : -1;
		if ((uint64_t)nsb.st_dev == t->dev &&
		    (uint64_t)nsb.st_ino == t->ino)
			return 0;
		if (!S_ISREG(nsb.st_mode)) {
			not_regular(t);
			return 0;
		}
		if (nsb.st_size == 0)
			return 0;
		/* open the new file before letting the old one go */
		if ((fd = open_log(t->path, 0, &nsb)) == -1) {
			if (errno == EINVAL)
				not_regular(t);
			return errno == ENOENT || errno == EINVAL ? 0 : -1;
		}
		if (nsb.st_size == 0 || ((uint64_t)nsb.st_dev == t->dev &&
		    (uint64_t)nsb.st_ino == t->ino)) {
			close(fd);
			return 0;
		}
		if ((rv = drain(t, &budget)) != 0) {
			close(fd);
			t->more = rv == 1;
			return rv == 1 ? 0 : -1;
		}
		if (t->linetot > 0)
			log_warnx("%s: the old file ends with %llu bytes "
			    "without a newline, dropped", t->path,
			    (unsigned long long)t->linetot);
		log_info("%s: rotated, following the new file", t->path);
		adopt(t, fd, &nsb, 0, t->path);
	}
}

/*
 * Start on PATH.1 if it is the file of the saved position (needino) or a
 * copy of it, and the check before off holds.  1 if so.
 */
static int
start_old(struct tail *t, const struct logpos *pos, int needino)
{
	struct stat	 sb;
	int		 fd;

	if ((fd = open_log(t->rot, 1, &sb)) == -1)
		return 0;
	if ((needino && ((uint64_t)sb.st_dev != pos->dev ||
	    (uint64_t)sb.st_ino != pos->ino)) ||
	    (uint64_t)sb.st_size < pos->off ||
	    !sum_ok(fd, pos->off, pos->sum, pos->sumlen, NULL)) {
		close(fd);
		return 0;
	}
	log_info("%s: reading the rest of %s from offset %llu first",
	    t->path, t->rot, (unsigned long long)pos->off);
	adopt(t, fd, &sb, pos->off, t->rot);
	sum_ok(fd, pos->off, pos->sum, pos->sumlen, t->win);
	t->winlen = pos->sumlen;
	return 1;
}

/* the end of the file, or the start of its last line if it is unfinished */
static void
start_end(struct tail *t, int fd, const struct stat *sb)
{
	uint64_t	 size = (uint64_t)sb->st_size, from, off;
	size_t		 want;
	ssize_t		 r, i;

	want = size < TAIL_LINE_KEEP ? (size_t)size : TAIL_LINE_KEEP;
	from = size - want;
	off = size;
	r = want > 0 ? pread(fd, t->buf, want, (off_t)from) : 0;
	if (r == (ssize_t)want && want > 0 && t->buf[want - 1] != '\n') {
		for (i = r - 1; i >= 0 && t->buf[i] != '\n'; i--)
			;
		if (i >= 0)
			off = from + (uint64_t)i + 1;
		else if (from == 0)
			off = 0;
	}
	adopt(t, fd, sb, off, t->path);
	if (off == size && r == (ssize_t)want && want > 0 &&
	    t->buf[want - 1] != '\n')
		t->discard = 1;		/* a line longer than we keep */
	t->winlen = off < TAIL_SUM_MAX ? (size_t)off : TAIL_SUM_MAX;
	if (t->winlen > 0 && pread(fd, t->win, t->winlen,
	    (off_t)(off - t->winlen)) != (ssize_t)t->winlen)
		t->winlen = 0;
}

static int
start(struct tail *t, const struct logpos *pos, int fromstart)
{
	struct stat	 sb;
	int		 fd;

	if ((fd = open_log(t->path, 0, &sb)) == -1) {
		if (errno != ENOENT)
			return -1;
		if (pos != NULL && pos->off > 0 && start_old(t, pos, 1))
			return 0;
		log_info("%s: not there yet, waiting for it", t->path);
		return 0;
	}
	if (pos == NULL) {
		if (fromstart)
			adopt(t, fd, &sb, 0, t->path);
		else
			start_end(t, fd, &sb);
		return 0;
	}
	if ((uint64_t)sb.st_dev == pos->dev && (uint64_t)sb.st_ino == pos->ino) {
		/* (a) */
		if ((uint64_t)sb.st_size >= pos->off &&
		    sum_ok(fd, pos->off, pos->sum, pos->sumlen, NULL)) {
			adopt(t, fd, &sb, pos->off, t->path);
			sum_ok(fd, pos->off, pos->sum, pos->sumlen, t->win);
			t->winlen = pos->sumlen;
			return 0;
		}
		/* (b) */
		log_warnx("%s: truncated since offset %llu was saved",
		    t->path, (unsigned long long)pos->off);
		if (pos->off > 0 && start_old(t, pos, 0)) {
			close(fd);
			return 0;
		}
	} else {
		/* (c) */
		if (pos->off > 0 && start_old(t, pos, 1)) {
			close(fd);
			return 0;
		}
		log_warnx("%s: another file than the saved position's, "
		    "reading it from the start", t->path);
	}
	adopt(t, fd, &sb, 0, t->path);
	return 0;
}

/* the descriptor libinotifytools opened, if /proc shows it */
static int
inotify_fd(int guess)
{
	char	 p[64], l[64];
	ssize_t	 n;

	if (guess < 0)
		return -1;
	snprintf(p, sizeof(p), "/proc/self/fd/%d", guess);
	if ((n = readlink(p, l, sizeof(l) - 1)) == -1)
		return -1;
	l[n] = '\0';
	if (strcmp(l, "anon_inode:inotify") != 0)
		return -1;
	fcntl(guess, F_SETFD, FD_CLOEXEC);
	return guess;
}

struct tail *
tail_open(const char *path, const struct logpos *resume, int fromstart)
{
	struct tail	*t;
	const char	*slash;
	size_t		 dl;
	int		 guess, saved;

	if (tail_busy) {
		errno = EBUSY;
		return NULL;
	}
	if ((t = calloc(1, sizeof(*t))) == NULL)
		return NULL;
	t->fd = t->ifd = t->wakefd = t->dirwd = t->filewd = -1;
	if ((t->buf = malloc(TAIL_READ_MAX)) == NULL)
		goto bad;
	if (strcmp(path, "-") == 0) {
		t->isstdin = 1;
		t->fd = STDIN_FILENO;
		return t;
	}
	if ((t->path = strdup(path)) == NULL)
		goto bad;
	if ((slash = strrchr(t->path, '/')) == NULL) {
		t->base = t->path;
		t->dir = strdup("./");
	} else {
		t->base = slash + 1;
		dl = (size_t)(slash - t->path) + 1;
		if ((t->dir = malloc(dl + 1)) != NULL) {
			memcpy(t->dir, t->path, dl);
			t->dir[dl] = '\0';
		}
	}
	if (t->dir == NULL || (t->rot = malloc(strlen(path) + 3)) == NULL)
		goto bad;
	snprintf(t->rot, strlen(path) + 3, "%s.1", path);
	if (*t->base == '\0') {
		errno = EISDIR;
		goto bad;
	}

	/* the lowest free descriptor is the one inotify_init() will get */
	if ((guess = eventfd(0, EFD_CLOEXEC)) != -1)
		close(guess);
	if (!inotifytools_initialize()) {
		errno = inotifytools_error();
		goto bad;
	}
	tail_busy = 1;
	t->ifd = inotify_fd(guess);
	if (!inotifytools_watch_file(t->dir, TAIL_DIR_EVENTS)) {
		errno = inotifytools_error();
		goto bad;
	}
	t->dirwd = inotifytools_wd_from_filename(t->dir);
	if (start(t, resume, fromstart) == -1)
		goto bad;
	return t;
bad:
	saved = errno;
	tail_close(t);
	errno = saved;
	return NULL;
}

/* take every event queued; 1 if one may concern us */
static int
take_events(struct tail *t, struct inotify_event *ev)
{
	size_t	 bl = strlen(t->base);
	int	 hit = 0;

	if (ev == NULL)
		ev = inotifytools_next_events(0, 1);
	for (; ev != NULL; ev = inotifytools_next_events(0, 1)) {
		if (ev->wd != t->dirwd)
			hit = 1;
		else if (ev->len > bl && memcmp(ev->name, t->base, bl) == 0 &&
		    ev->name[bl] == '\0')
			hit = 1;
	}
	return hit;
}

/* wait up to ms for an event or input; 1, 0 on timeout, -1 */
static int
wait_input(struct tail *t, int ms, struct inotify_event **ev)
{
	struct pollfd	 pfd[2];
	long		 secs;
	int		 rv;

	*ev = NULL;
	if (t->isstdin || t->ifd != -1) {
		pfd[0].fd = t->isstdin ? STDIN_FILENO : t->ifd;
		pfd[1].fd = t->wakefd;		/* a negative fd is left out */
		pfd[0].events = pfd[1].events = POLLIN;
		pfd[0].revents = pfd[1].revents = 0;
		if ((rv = poll(pfd, 2, ms)) == -1)
			return errno == EINTR ? 0 : -1;
		/* the wake descriptor alone: as a signal; it is not read */
		return pfd[0].revents != 0 ? 1 : 0;
	}
	secs = ms < 0 ? -1 : (ms + 999) / 1000;
	if ((*ev = inotifytools_next_events(secs, 1)) != NULL)
		return 1;
	if ((errno = inotifytools_error()) != 0)
		return errno == EINTR ? 0 : -1;
	return 0;
}

/* one read of standard input: 0, or -1 on error */
static int
stdin_read(struct tail *t)
{
	ssize_t	 r;

	if ((r = read(STDIN_FILENO, t->buf, TAIL_READ_MAX)) == -1)
		return errno == EINTR || errno == EAGAIN ? 0 : -1;
	if (r == 0) {
		t->eof = 1;
		/*
		 * A last line without its newline is most likely half a line
		 * (its writer was killed in the middle): flagged, so that the
		 * caller counts it and does not act on it.
		 */
		if (t->linetot > 0 && !t->discard) {
			t->n++;
			t->cb(t->ctx, t->line, t->linelen, TAIL_NO_NEWLINE |
			    (t->linetot > EVENT_LINE_MAX ? TAIL_OVERLONG : 0));
		}
		line_reset(t);
		return 0;
	}
	feed(t, t->buf, (size_t)r);
	t->rd += (uint64_t)r;
	return 0;
}

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void
tail_wake(struct tail *t, int fd)
{
	t->wakefd = fd;
}

int
tail_next(struct tail *t, int timeout_ms, tail_cb line, void *ctx)
{
	struct inotify_event	*ev;
	int64_t			 deadline = 0, left;
	int			 rv, ms;

	if (t->eof)
		return TAIL_EOF;
	t->cb = line;
	t->ctx = ctx;
	t->n = 0;
	if (timeout_ms > 0)
		deadline = now_ms() + timeout_ms;
	if (!t->isstdin) {
		take_events(t, NULL);
		if (check(t) == -1)
			return -1;
	}
	/*
	 * With the budget spent there is more to read now: no waiting, and
	 * the caller is told even when no line was complete yet (a long
	 * line), so that --once goes on to the end.
	 */
	while (t->n == 0 && !t->eof && !t->more) {
		ms = timeout_ms;
		if (timeout_ms > 0) {
			if ((left = deadline - now_ms()) <= 0)
				break;
			ms = (int)left;
		}
		if ((rv = wait_input(t, ms, &ev)) == -1)
			return -1;
		if (rv == 0)
			break;		/* timeout, or a signal */
		if (t->isstdin) {
			if (rv > 0 && stdin_read(t) == -1)
				return -1;
		} else if (take_events(t, ev) && check(t) == -1)
			return -1;
		if (timeout_ms == 0)
			break;
	}
	if (t->n == 0 && t->eof)
		return TAIL_EOF;
	if (t->n == 0 && t->more)
		return TAIL_MORE;
	return t->n;
}

const char *
tail_why(int e)
{
	if (e == EINVAL)
		return "not a regular file (use - to read a pipe or standard "
		    "input)";
	return strerror(e);
}

void
tail_getpos(const struct tail *t, struct logpos *pos)
{
	memset(pos, 0, sizeof(*pos));
	if (t->isstdin || t->fd == -1)
		return;
	pos->dev = t->dev;
	pos->ino = t->ino;
	pos->off = t->off;
	pos->sumlen = (uint32_t)t->winlen;
	pos->sum = state_sum(t->win, t->winlen);
}

int
tail_fd(const struct tail *t)
{
	return t->isstdin ? STDIN_FILENO : t->ifd;
}

void
tail_close(struct tail *t)
{
	if (t == NULL)
		return;
	if (!t->isstdin) {
		if (tail_busy) {
			unwatch_file(t);
			if (t->dirwd != -1)
				inotifytools_remove_watch_by_wd(t->dirwd);
			/* empty the library's buffer: it outlives cleanup */
			while (inotifytools_next_events(0, 1) != NULL)
				;
			inotifytools_cleanup();
			tail_busy = 0;
		}
		if (t->fd != -1)
			close(t->fd);
	}
	free(t->path);
	free(t->dir);
	free(t->rot);
	free(t->buf);
	free(t);
}
