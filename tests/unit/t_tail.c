/* the log follower: a driver (t_tail FILE), a writer (-w) and self-tests (-t DIR) */
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <err.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bounds.h"
#include "log.h"
#include "state.h"
#include "tail.h"
#include "tap.h"

/* ok() of tap.h evaluates its condition more than once: evaluate it here */
#define check(cond, ...) do {						\
	int check_ = (cond);						\
	ok(check_, __VA_ARGS__);					\
	if (!check_)							\
		printf("#   failed: %s\n", #cond);			\
} while (0)

static const char *tdir;

/*
 * What the follower passed, one line each: "<overlong N>" for a cut one,
 * "<no newline> " before one that ended without its newline.
 */
struct coll {
	char	 buf[1 << 20];
	size_t	 len;
	int	 n, over, nonl;
	size_t	 lastlen;
	char	 lastbyte;
	int	 err;		/* tail_next() failed */
};

static void
collect(void *ctx, const char *p, size_t len, int flags)
{
	static const char	 nonl[] = "<no newline> ";
	struct coll		*c = ctx;
	char			 tag[64];

	c->n++;
	c->lastlen = len;
	c->lastbyte = len > 0 ? p[len - 1] : 0;
	if (flags & TAIL_NO_NEWLINE) {
		c->nonl++;
		if (c->len + sizeof(nonl) < sizeof(c->buf)) {
			memcpy(c->buf + c->len, nonl, sizeof(nonl) - 1);
			c->len += sizeof(nonl) - 1;
		}
	}
	if (flags & TAIL_OVERLONG) {
		c->over++;
		snprintf(tag, sizeof(tag), "<overlong %zu>", len);
		p = tag;
		len = strlen(tag);
	}
	if (c->len + len + 1 < sizeof(c->buf)) {
		memcpy(c->buf + c->len, p, len);
		c->len += len;
		c->buf[c->len++] = '\n';
	}
	c->buf[c->len] = '\0';
}

static int64_t
now_us(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* collect until want lines came (or 3 s), then 30 ms more to catch extras */
static struct coll *
gather(struct tail *t, int want)
{
	static struct coll	 c;
	int64_t			 end = now_us() + 3000000;
	int			 r;

	memset(&c, 0, sizeof(c));
	while (c.n < want && now_us() < end)
		if ((r = tail_next(t, 100, collect, &c)) < 0 &&
		    r != TAIL_MORE) {
			printf("# tail_next: %d, %s\n", r, strerror(errno));
			c.err = r == -1;
			break;
		}
	while ((r = tail_next(t, 30, collect, &c)) == TAIL_MORE)
		;
	if (r < 0 && r != TAIL_EOF) {
		printf("# tail_next: %s\n", strerror(errno));
		c.err = 1;
	}
	return &c;
}

static int
nlines(const char *s)
{
	int	 n = 0;

	for (; *s; s++)
		n += *s == '\n';
	return n;
}

static void
expect(struct tail *t, const char *want, const char *what)
{
	struct coll	*c = gather(t, nlines(want));

	is_str(c->buf, want, "tail: %s", what);
}

static void
put(const char *path, const char *s, int flags)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | flags, 0644)) == -1 ||
	    write(fd, s, strlen(s)) != (ssize_t)strlen(s) || close(fd) == -1)
		err(2, "%s", path);
}

static void
app(const char *path, const char *s)
{
	put(path, s, O_APPEND);
}

static int
wopen(const char *path)
{
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644)) == -1)
		err(2, "%s", path);
	return fd;
}

static void
wr(int fd, const char *s)
{
	if (write(fd, s, strlen(s)) != (ssize_t)strlen(s))
		err(2, "write");
}

/* a fresh directory for one test, and the log's name in it */
static const char *
fresh(const char *name, char *log, size_t len)
{
	static char	 d[512];

	snprintf(d, sizeof(d), "%s/%s", tdir, name);
	if (mkdir(d, 0700) == -1)
		err(2, "mkdir %s", d);
	snprintf(log, len, "%s/log", d);
	return d;
}

static void
copy(const char *from, const char *to)
{
	char	 buf[65536];
	ssize_t	 n;
	int	 in, out;

	if ((in = open(from, O_RDONLY)) == -1 ||
	    (out = open(to, O_WRONLY | O_CREAT | O_TRUNC, 0644)) == -1)
		err(2, "copy %s", from);
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, (size_t)n) != n)
			err(2, "copy");
	close(in);
	close(out);
}

/* is pos the end of the first off bytes of path, with the right check? */
static int
pos_is(const struct logpos *p, const char *path, uint64_t off)
{
	unsigned char	 b[TAIL_SUM_MAX];
	struct stat	 sb;
	uint32_t	 len = off < TAIL_SUM_MAX ? (uint32_t)off : TAIL_SUM_MAX;
	int		 fd;

	if (stat(path, &sb) == -1 || (fd = open(path, O_RDONLY)) == -1)
		return 0;
	if (pread(fd, b, len, (off_t)(off - len)) != (ssize_t)len)
		len = 999;
	close(fd);
	if (p->dev != (uint64_t)sb.st_dev || p->ino != (uint64_t)sb.st_ino ||
	    p->off != off || p->sumlen != len || p->sum != state_sum(b, len)) {
		printf("#   pos: dev %llu ino %llu off %llu sumlen %u; want "
		    "ino %llu off %llu sumlen %u\n",
		    (unsigned long long)p->dev, (unsigned long long)p->ino,
		    (unsigned long long)p->off, p->sumlen,
		    (unsigned long long)sb.st_ino, (unsigned long long)off,
		    len);
		return 0;
	}
	return 1;
}

static struct tail *
topen(const char *path, const struct logpos *pos, int fromstart)
{
	struct tail	*t;

	if ((t = tail_open(path, pos, fromstart)) == NULL)
		err(2, "tail_open %s", path);
	return t;
}

static void
test_append(void)
{
	struct tail	*t;
	struct logpos	 p;
	struct coll	*c;
	char		 log[600];
	int		 n;

	fresh("append", log, sizeof(log));
	put(log, "old1\nold2\n", 0);
	t = topen(log, NULL, 0);
	c = gather(t, 0);
	check(c->n == 0, "tail: no resume, not from the start: old lines "
	    "skipped (%d)", c->n);
	tail_getpos(t, &p);
	check(pos_is(&p, log, 10), "tail: the position starts at the end");
	app(log, "a1\na2\n");
	expect(t, "a1\na2\n", "appended lines");
	tail_getpos(t, &p);
	check(pos_is(&p, log, 16), "tail: position after a2");

	/* a partial line waits for its newline, outside the position */
	app(log, "par");
	n = tail_next(t, 30, collect, gather(t, 0));
	check(n == 0, "tail: a partial line is not passed (%d)", n);
	tail_getpos(t, &p);
	check(pos_is(&p, log, 16), "tail: nor counted in the position");
	app(log, "tial\n");
	expect(t, "partial\n", "the partial line completed");
	tail_getpos(t, &p);
	check(pos_is(&p, log, 24), "tail: position after it");

	/* an empty line is a line */
	app(log, "\n\nz\n");
	expect(t, "\n\nz\n", "empty lines");
	check(tail_open(log, NULL, 0) == NULL && errno == EBUSY,
	    "tail: a second tail_open: EBUSY");
	tail_close(t);

	/* from the start */
	t = topen(log, NULL, 1);
	expect(t, "old1\nold2\na1\na2\npartial\n\n\nz\n", "fromstart");
	tail_close(t);

	/* from the end, an unfinished last line is read whole */
	app(log, "unfin");
	t = topen(log, NULL, 0);
	app(log, "ished\nnext\n");
	expect(t, "unfinished\nnext\n", "started inside an unfinished line");
	tail_close(t);
}

static void
test_overlong(void)
{
	struct tail	*t;
	struct logpos	 p;
	struct coll	*c;
	char		 log[600], want[128];
	char		*big;
	size_t		 i, blen = 3 * TAIL_READ_MAX + 10;
	int		 fd, ok1;

	fresh("overlong", log, sizeof(log));
	put(log, "", 0);
	t = topen(log, NULL, 0);
	if ((big = malloc(blen + 2)) == NULL)
		err(2, NULL);
	memset(big, 'x', blen);

	/* EVENT_LINE_MAX bytes: fits; one more: overlong */
	fd = wopen(log);
	if (write(fd, big, EVENT_LINE_MAX) != EVENT_LINE_MAX)
		err(2, "write");
	wr(fd, "\n");
	c = gather(t, 1);
	check(c->n == 1 && c->over == 0 && c->lastlen == EVENT_LINE_MAX,
	    "tail: a line of EVENT_LINE_MAX bytes is whole (%zu)", c->lastlen);
	if (write(fd, big, EVENT_LINE_MAX + 1) != EVENT_LINE_MAX + 1)
		err(2, "write");
	wr(fd, "\nok\n");
	c = gather(t, 2);
	snprintf(want, sizeof(want), "<overlong %d>\nok\n", EVENT_LINE_MAX + 1);
	is_str(c->buf, want, "tail: EVENT_LINE_MAX + 1 bytes: overlong");

	/* 3 read buffers long, written in pieces, read in between */
	for (i = 0; i < blen; i += 100000) {
		if (write(fd, big, blen - i < 100000 ? blen - i : 100000) < 0)
			err(2, "write");
		c = gather(t, 0);
		if (c->n != 0)
			break;
	}
	check(i >= blen, "tail: nothing passed while the long line grows");
	wr(fd, "\nafter\n");
	c = gather(t, 2);
	snprintf(want, sizeof(want), "<overlong %d>\nafter\n",
	    EVENT_LINE_MAX + 1);
	is_str(c->buf, want, "tail: a line of %zu bytes, cut", blen);
	tail_getpos(t, &p);
	check(pos_is(&p, log, (uint64_t)(EVENT_LINE_MAX + 1) +
	    (EVENT_LINE_MAX + 2) + 3 + blen + 7),
	    "tail: the position counts the whole long line");

	/* many lines in one write, across read buffers */
	for (i = 0; i < blen; i++)
		big[i] = (char)('a' + i % 26);
	for (i = 99; i < blen; i += 100)
		big[i] = '\n';
	blen -= blen % 100;
	if (write(fd, big, blen) != (ssize_t)blen)
		err(2, "write");
	c = gather(t, (int)(blen / 100));
	ok1 = c->n == (int)(blen / 100) && c->over == 0;
	for (i = 0; ok1 && i < c->len; i += 100)
		ok1 = c->buf[i + 99] == '\n' && c->buf[i] == big[i];
	check(ok1, "tail: %zu lines of 99 bytes across buffers (%d)",
	    blen / 100, c->n);
	close(fd);
	free(big);
	tail_close(t);
}

/*
 * A line longer than one call's read budget: the call says there is more
 * (TAIL_MORE) at once, rather than 0 after its wait, so that a caller
 * reading to the end (--once) goes on to the lines after it.
 */
static void
test_budget(void)
{
	static struct coll	 c;
	struct tail		*t;
	struct logpos		 p;
	char			 log[600], want[64];
	char			*big;
	size_t			 chunk = 1 << 20, i, blen;
	int64_t			 t0, ms;
	int			 fd, r, calls = 0;

	blen = (size_t)TAIL_READ_MAX * TAIL_READS_MAX + 4 * chunk;
	fresh("budget", log, sizeof(log));
	if ((big = malloc(chunk)) == NULL)
		err(2, NULL);
	memset(big, 'x', chunk);
	fd = wopen(log);
	for (i = 0; i < blen; i += chunk)
		if (write(fd, big, chunk) != (ssize_t)chunk)
			err(2, "write");
	wr(fd, "\nok\n");
	close(fd);
	free(big);

	t = topen(log, NULL, 1);
	memset(&c, 0, sizeof(c));
	t0 = now_us();
	r = tail_next(t, 2000, collect, &c);
	ms = (now_us() - t0) / 1000;
	check(r == TAIL_MORE && c.n == 0, "tail: budget spent inside a line: "
	    "TAIL_MORE (%d)", r);
	check(ms < 1000, "tail: TAIL_MORE comes without waiting (%lld ms)",
	    (long long)ms);
	/* as --once does: on until 0, never waiting */
	while (r != 0 && r != -1 && calls++ < 100)
		r = tail_next(t, 0, collect, &c);
	snprintf(want, sizeof(want), "<overlong %d>\nok\n", EVENT_LINE_MAX + 1);
	is_str(c.buf, want, "tail: read on to the end: the long line cut, the "
	    "line after it whole");
	tail_getpos(t, &p);
	check(pos_is(&p, log, (uint64_t)blen + 4), "tail: budget: position at "
	    "the end");
	tail_close(t);
}

static void
test_rotations(void)
{
	struct tail	*t;
	struct logpos	 p;
	char		 log[600], rot[620], other[620];
	const char	*d;
	int		 w, nw;

	/* rename + create, the writer still on the old file for a while */
	d = fresh("rename", log, sizeof(log));
	snprintf(rot, sizeof(rot), "%s.1", log);
	w = wopen(log);
	t = topen(log, NULL, 0);
	wr(w, "a1\n");
	expect(t, "a1\n", "rename: before");
	wr(w, "a2\n");
	check(rename(log, rot) == 0, "rename log log.1");
	nw = wopen(log);
	wr(w, "a3\n");
	expect(t, "a2\na3\n", "rename: the old file is read while the new "
	    "one is empty");
	wr(nw, "b1\n");
	expect(t, "b1\n", "rename: then the new file");
	wr(w, "a4\n");
	expect(t, "", "rename: the old file is left once the new has data");
	tail_getpos(t, &p);
	check(pos_is(&p, log, 3), "tail: rename: position in the new file");
	close(w);
	close(nw);
	tail_close(t);

	/* copytruncate, with a line written after our last read */
	d = fresh("copytruncate", log, sizeof(log));
	snprintf(rot, sizeof(rot), "%s.1", log);
	w = wopen(log);
	t = topen(log, NULL, 0);
	wr(w, "c1\nc2\n");
	expect(t, "c1\nc2\n", "copytruncate: before");
	wr(w, "c3\n");
	copy(log, rot);
	check(ftruncate(w, 0) == 0, "truncate");
	wr(w, "d1\n");
	expect(t, "c3\nd1\n", "copytruncate: the unread line from the copy, "
	    "then the new ones");
	tail_getpos(t, &p);
	check(pos_is(&p, log, 3), "tail: copytruncate: position");
	/* again, with nothing unread: the copy adds nothing */
	copy(log, rot);
	check(ftruncate(w, 0) == 0, "truncate");
	wr(w, "d2\n");
	expect(t, "d2\n", "copytruncate again, nothing unread");
	close(w);
	tail_close(t);

	/* delete + recreate */
	d = fresh("delete", log, sizeof(log));
	w = wopen(log);
	t = topen(log, NULL, 0);
	wr(w, "e1\n");
	expect(t, "e1\n", "delete: before");
	wr(w, "e2\n");
	check(unlink(log) == 0, "unlink log");
	wr(w, "e3\n");
	expect(t, "e2\ne3\n", "delete: the deleted file is still read");
	nw = wopen(log);
	wr(nw, "f1\n");
	expect(t, "f1\n", "delete: then the new file");
	tail_getpos(t, &p);
	check(pos_is(&p, log, 3), "tail: delete: position");
	close(w);
	close(nw);
	tail_close(t);

	/* mv onto the name */
	d = fresh("mv", log, sizeof(log));
	snprintf(other, sizeof(other), "%s/other", d);
	w = wopen(log);
	t = topen(log, NULL, 0);
	wr(w, "g1\n");
	expect(t, "g1\n", "mv: before");
	wr(w, "g2\n");
	put(other, "h1\nh2\n", 0);
	check(rename(other, log) == 0, "mv other log");
	expect(t, "g2\nh1\nh2\n", "mv: the old file's rest, then the new file");
	tail_getpos(t, &p);
	check(pos_is(&p, log, 6), "tail: mv: position");
	close(w);
	tail_close(t);

	/* truncated and refilled past the offset between two reads */
	d = fresh("refill", log, sizeof(log));
	w = wopen(log);
	t = topen(log, NULL, 0);
	wr(w, "v1\nv2\nv3\n");
	expect(t, "v1\nv2\nv3\n", "refill: before");
	check(ftruncate(w, 0) == 0, "truncate");
	wr(w, "refilled-1\nrefilled-2\n");
	expect(t, "refilled-1\nrefilled-2\n", "truncated and refilled to a "
	    "larger size: read from 0");
	close(w);
	tail_close(t);
	(void)d;
}

/*
 * capturo takes back a short write with ftruncate: the half line goes, the
 * lines before it stay.  Nothing passed may be passed again.
 */
static void
test_takeback(void)
{
	struct tail	*t;
	struct logpos	 p;
	struct coll	*c;
	char		 log[600];
	int		 w;

	fresh("takeback", log, sizeof(log));
	put(log, "", 0);
	t = topen(log, NULL, 0);
	w = wopen(log);
	wr(w, "a1\na2\n");
	expect(t, "a1\na2\n", "takeback: before");
	wr(w, "a3-half");
	c = gather(t, 0);
	check(c->n == 0, "tail: takeback: the half line is held (%d)", c->n);
	check(ftruncate(w, 6) == 0, "truncate to the end of a2");
	c = gather(t, 0);
	is_str(c->buf, "", "tail: takeback: the half line taken back, "
	    "nothing read again");
	wr(w, "a3\n");
	expect(t, "a3\n", "takeback: the line written again");
	tail_getpos(t, &p);
	check(pos_is(&p, log, 9), "tail: takeback: position after a3");

	/* taken back and written again otherwise before we look */
	wr(w, "b-half-xxxx");
	c = gather(t, 0);
	check(c->n == 0, "tail: takeback: another half line held (%d)",
	    c->n);
	check(ftruncate(w, 9) == 0, "truncate to the end of a3");
	wr(w, "b1\nb2\nb3-longer\n");
	expect(t, "b1\nb2\nb3-longer\n", "takeback and a longer write: "
	    "the file's lines, no mix of old and new bytes");
	tail_getpos(t, &p);
	check(pos_is(&p, log, 25), "tail: takeback: position after b3");

	/* truncated below the end of the last line passed: from the start */
	wr(w, "c-half");
	c = gather(t, 0);
	check(ftruncate(w, 3) == 0, "truncate inside the lines passed");
	wr(w, "c1\n");
	expect(t, "a1\nc1\n", "takeback: a real truncation still reads "
	    "from the start");
	close(w);
	tail_close(t);
}

/*
 * A directory, or a FIFO, put where the log was: no error, the file held
 * is read on, and a regular file there later is followed, as tail -F
 * does.  At the start such a name is an error, EINVAL.
 */
static void
test_notreg(void)
{
	struct tail	*t;
	struct logpos	 p;
	struct coll	*c;
	char		 log[600], fifo[620];
	const char	*d, *why;
	int		 w;

	d = fresh("notreg", log, sizeof(log));
	snprintf(fifo, sizeof(fifo), "%s/fifo", d);
	put(log, "", 0);
	t = topen(log, NULL, 0);
	w = wopen(log);
	wr(w, "n1\n");
	expect(t, "n1\n", "notreg: before");
	wr(w, "n2\n");
	check(unlink(log) == 0 && mkdir(log, 0700) == 0, "rm log; mkdir log");
	c = gather(t, 1);
	check(!c->err && strcmp(c->buf, "n2\n") == 0, "tail: a directory "
	    "under the name: no error, the file held read to its end");
	wr(w, "n3\n");
	c = gather(t, 1);
	check(!c->err && strcmp(c->buf, "n3\n") == 0, "tail: and read on "
	    "while the directory is there");
	check(rmdir(log) == 0 && mkfifo(log, 0600) == 0, "rmdir log; "
	    "mkfifo log");
	c = gather(t, 0);
	check(!c->err && c->n == 0, "tail: a FIFO under the name: no error");
	check(unlink(log) == 0, "rm log");
	put(log, "m1\n", 0);
	expect(t, "m1\n", "notreg: then a regular file there is followed");
	tail_getpos(t, &p);
	check(pos_is(&p, log, 3), "tail: notreg: position in the new file");
	close(w);
	tail_close(t);

	/* missing at the start, a directory first, then the file */
	check(unlink(log) == 0, "rm log");
	t = topen(log, NULL, 0);
	check(mkdir(log, 0700) == 0, "mkdir log");
	c = gather(t, 0);
	check(!c->err && c->n == 0, "tail: waited for, a directory comes "
	    "first: no error");
	check(rmdir(log) == 0, "rmdir log");
	put(log, "k1\n", 0);
	expect(t, "k1\n", "notreg: the file that came after it, from 0");
	tail_close(t);

	/* at the start: an error that says what is wrong */
	check(mkfifo(fifo, 0600) == 0, "mkfifo");
	check(tail_open(fifo, NULL, 0) == NULL && errno == EINVAL,
	    "tail: a FIFO at the start: EINVAL");
	why = tail_why(EINVAL);
	check(strstr(why, "not a regular file") != NULL &&
	    strstr(why, "use -") != NULL, "tail: tail_why() says it and "
	    "names - (%s)", why);
	check(tail_open(d, NULL, 0) == NULL && errno == EINVAL,
	    "tail: a directory at the start: EINVAL");
	t = topen(log, NULL, 1);
	expect(t, "k1\n", "tail_open works after a refused one");
	tail_close(t);
}

static void
test_missing(void)
{
	struct tail	*t;
	struct logpos	 p;
	char		 log[600], nodir[700];
	struct coll	*c;

	fresh("missing", log, sizeof(log));
	t = topen(log, NULL, 0);
	c = gather(t, 0);
	check(c->n == 0, "tail: a missing file: nothing");
	tail_getpos(t, &p);
	check(p.dev == 0 && p.ino == 0 && p.off == 0,
	    "tail: a missing file: an empty position");
	put(log, "m1\nm2\n", 0);
	expect(t, "m1\nm2\n", "missing file created later: read from 0");
	tail_close(t);

	snprintf(nodir, sizeof(nodir), "%s/nosuchdir/log", tdir);
	check(tail_open(nodir, NULL, 0) == NULL && errno == ENOENT,
	    "tail: a missing directory: ENOENT");
	t = topen(log, NULL, 1);
	expect(t, "m1\nm2\n", "tail_open works after a failed one");
	tail_close(t);
}

static void
test_resume(void)
{
	struct tail	*t;
	struct logpos	 p, q;
	char		 log[600], rot[620];
	const char	*d;

	d = fresh("resume", log, sizeof(log));
	snprintf(rot, sizeof(rot), "%s.1", log);
	put(log, "old\n", 0);
	t = topen(log, NULL, 0);
	app(log, "r1\nr2\n");
	expect(t, "r1\nr2\n", "resume: first run");
	tail_getpos(t, &p);
	tail_close(t);

	/* (a) same file, lines added while down */
	app(log, "r3\nr4\npart");
	t = topen(log, &p, 0);
	expect(t, "r3\nr4\n", "resume (a): exactly the new lines");
	tail_getpos(t, &p);
	tail_close(t);
	app(log, "ial\n");
	t = topen(log, &p, 0);
	expect(t, "partial\n", "resume (a): a partial line is read whole");
	tail_getpos(t, &p);
	tail_close(t);

	/* (a) an unchanged file: nothing */
	t = topen(log, &p, 0);
	expect(t, "", "resume (a): nothing new, nothing passed");
	tail_getpos(t, &q);
	check(memcmp(&p, &q, sizeof(p)) == 0, "tail: the same position");
	tail_close(t);

	/* (c) rotated while down, the old file as PATH.1 */
	app(log, "r5\n");
	check(rename(log, rot) == 0, "rename log log.1");
	put(log, "s1\n", 0);
	t = topen(log, &p, 0);
	expect(t, "r5\ns1\n", "resume (c): the rest of PATH.1, then the new "
	    "file");
	tail_getpos(t, &p);
	check(pos_is(&p, log, 3), "tail: resume (c): position");
	tail_close(t);

	/* (c) rotated while down, no PATH.1: the new file from 0 */
	app(log, "s2\n");
	unlink(rot);
	check(rename(log, rot) == 0 && unlink(rot) == 0, "rotate, delete");
	put(log, "n1\nn2\n", 0);
	t = topen(log, &p, 0);
	expect(t, "n1\nn2\n", "resume (c): the old file gone: new from 0");
	tail_getpos(t, &p);
	tail_close(t);

	/* (c) rotated while down, the new file missing yet */
	app(log, "n3\n");
	check(rename(log, rot) == 0, "rename log log.1");
	t = topen(log, &p, 0);
	expect(t, "n3\n", "resume (c): PATH.1 read while PATH is missing");
	put(log, "k1\n", 0);
	expect(t, "k1\n", "resume (c): then PATH when it comes");
	tail_getpos(t, &p);
	tail_close(t);
	unlink(rot);

	/* (b) copytruncate while down */
	app(log, "t1\n");
	copy(log, rot);
	put(log, "u1\n", O_TRUNC);
	t = topen(log, &p, 0);
	expect(t, "t1\nu1\n", "resume (b): the copy's rest, then the file "
	    "from 0");
	tail_getpos(t, &p);
	check(pos_is(&p, log, 3), "tail: resume (b): position");
	tail_close(t);
	unlink(rot);

	/* (b) truncated and refilled past the offset while down, no copy */
	put(log, "another content, longer than before\nz2\n", O_TRUNC);
	t = topen(log, &p, 0);
	expect(t, "another content, longer than before\nz2\n",
	    "resume (b): truncated and refilled: from 0");
	tail_close(t);

	/* a position past the end of a file with another inode */
	memset(&q, 0, sizeof(q));
	q.ino = 1;
	q.off = 1000000;
	t = topen(log, &q, 0);
	expect(t, "another content, longer than before\nz2\n",
	    "resume: a foreign position: from 0");
	tail_close(t);
	(void)d;
}

static void
test_stdin(void)
{
	struct tail	*t;
	struct coll	*c;
	int		 pfd[2], saved, n;

	if (pipe(pfd) == -1 || (saved = dup(STDIN_FILENO)) == -1 ||
	    dup2(pfd[0], STDIN_FILENO) == -1)
		err(2, "pipe");
	close(pfd[0]);
	t = topen("-", NULL, 0);
	check(tail_fd(t) == STDIN_FILENO, "tail: stdin: tail_fd is 0");
	wr(pfd[1], "s1\ns2\npa");
	c = gather(t, 2);
	is_str(c->buf, "s1\ns2\n", "tail: stdin lines");
	wr(pfd[1], "rt");
	close(pfd[1]);
	c = gather(t, 1);
	is_str(c->buf, "<no newline> part\n", "tail: stdin: the last line "
	    "without newline, at the end, flagged not to be acted on");
	n = tail_next(t, 0, collect, c);
	check(n == TAIL_EOF, "tail: stdin: then TAIL_EOF (%d)", n);
	tail_close(t);
	dup2(saved, STDIN_FILENO);
	close(saved);
}

static int
cmp64(const void *a, const void *b)
{
	int64_t	 x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

struct lat {
	int64_t		 stamp;
	int		 seq;
	int		 bad;
};

static void
lat_line(void *ctx, const char *p, size_t len, int over)
{
	struct lat	*l = ctx;
	long long	 us;
	int		 seq;
	char		 buf[64];

	if (over || len >= sizeof(buf)) {
		l->bad++;
		return;
	}
	memcpy(buf, p, len);
	buf[len] = '\0';
	if (sscanf(buf, "L %d %lld", &seq, &us) != 2 || seq != l->seq + 1)
		l->bad++;
	l->seq = seq;
	l->stamp = us;
}

/* a child writes 1000 lines, one write() each, after each ack; timed */
static void
test_latency(void)
{
	struct tail	*t;
	struct lat	 l;
	struct pollfd	 pfd;
	char		 log[600], line[64];
	int64_t		 lat[1000], got;
	int		 ack[2], w, i, n, status, pollok;
	pid_t		 pid;

	fresh("latency", log, sizeof(log));
	put(log, "", 0);
	t = topen(log, NULL, 0);
	if (pipe(ack) == -1)
		err(2, "pipe");
	w = wopen(log);
	if ((pid = fork()) == -1)
		err(2, "fork");
	if (pid == 0) {
		close(ack[1]);
		for (i = 1; i <= 1000; i++) {
			if (read(ack[0], line, 1) != 1)
				_exit(1);
			n = snprintf(line, sizeof(line), "L %d %lld\n", i,
			    (long long)now_us());
			if (write(w, line, (size_t)n) != n)
				_exit(1);
		}
		_exit(0);
	}
	close(ack[0]);
	close(w);
	memset(&l, 0, sizeof(l));
	/* the descriptor polls readable when a line is there */
	pfd.fd = tail_fd(t);
	pfd.events = POLLIN;
	pollok = pfd.fd >= 0;
	wr(ack[1], "g");
	if (pollok)
		pollok = poll(&pfd, 1, 2000) == 1 &&
		    tail_next(t, 0, lat_line, &l) == 1;
	got = now_us();
	lat[0] = got - l.stamp;
	check(pollok, "tail: tail_fd() polls readable for a new line");
	for (i = 1; i < 1000 && l.bad == 0; i++) {
		wr(ack[1], "g");
		n = tail_next(t, 2000, lat_line, &l);
		got = now_us();
		if (n != 1) {
			l.bad++;
			break;
		}
		lat[i] = got - l.stamp;
	}
	close(ack[1]);
	waitpid(pid, &status, 0);
	check(l.bad == 0 && l.seq == 1000 && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0, "tail: 1000 lines from another process, "
	    "in order, one at a time (%d)", l.seq);
	if (l.bad == 0) {
		qsort(lat, 1000, sizeof(lat[0]), cmp64);
		printf("# latency write() to line: median %lld us, p90 %lld us, "
		    "p99 %lld us, max %lld us\n", (long long)lat[500],
		    (long long)lat[900], (long long)lat[990],
		    (long long)lat[999]);
		check(lat[500] < 1000, "tail: median latency under 1 ms (%lld "
		    "us)", (long long)lat[500]);
	}
	tail_close(t);
}

static int
selftest(const char *dir)
{
	char	 d[512], cmd[600];

	snprintf(d, sizeof(d), "%s/t_tail.XXXXXX", dir);
	if (mkdtemp(d) == NULL)
		err(2, "mkdtemp %s", d);
	tdir = d;
	log_init("t_tail", 1);
	test_append();
	test_overlong();
	test_budget();
	test_rotations();
	test_takeback();
	test_notreg();
	test_missing();
	test_resume();
	test_stdin();
	test_latency();
	if (tap_fail == 0) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", d);
	} else
		printf("# the files are left in %s\n", d);
	return tap_done();
}

/* the writer: N lines "line I", one write() each, reopening on SIGHUP */
static volatile sig_atomic_t	 reopen_flag;

static void
on_hup(int sig)
{
	(void)sig;
	reopen_flag = 1;
}

static int
writer(const char *path, const char *count, const char *pause)
{
	struct sigaction	 sa;
	char			 line[64];
	long			 n, i, us;
	int			 fd, len;

	n = strtol(count, NULL, 10);
	us = pause != NULL ? strtol(pause, NULL, 10) : 0;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_hup;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGHUP, &sa, NULL) == -1)
		err(1, "sigaction");
	fd = wopen(path);
	for (i = 1; i <= n; i++) {
		if (reopen_flag) {
			reopen_flag = 0;
			close(fd);
			fd = wopen(path);
		}
		len = snprintf(line, sizeof(line), "line %ld\n", i);
		if (write(fd, line, (size_t)len) != len)
			err(1, "write");
		if (us > 0)
			usleep((useconds_t)us);
	}
	close(fd);
	return 0;
}

static void
print_line(void *ctx, const char *p, size_t len, int flags)
{
	(void)ctx;
	if (flags & TAIL_NO_NEWLINE)
		fputs("[no newline] ", stdout);
	if (flags & TAIL_OVERLONG)
		fputs("[overlong] ", stdout);
	fwrite(p, 1, len, stdout);
	putchar('\n');
}

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: t_tail [-f] [-i idle-ms] [-n lines] "
	    "[-s statefile] file\n"
	    "       t_tail -w file count [pause-us]\n"
	    "       t_tail -t dir\n");
	exit(1);
}

int
main(int argc, char *argv[])
{
	struct state	 st;
	struct tail	*t;
	char		 errbuf[512];
	const char	*statefile = NULL;
	long		 want = 0, got = 0, idle = -1;
	int		 ch, fromstart = 0, n;

	while ((ch = getopt(argc, argv, "fi:n:s:tw")) != -1) {
		switch (ch) {
		case 'f':
			fromstart = 1;
			break;
		case 'i':
			idle = strtol(optarg, NULL, 10);
			break;
		case 'n':
			want = strtol(optarg, NULL, 10);
			break;
		case 's':
			statefile = optarg;
			break;
		case 't':
			if (optind != argc - 1)
				usage();
			return selftest(argv[optind]);
		case 'w':
			if (argc - optind < 2 || argc - optind > 3)
				usage();
			return writer(argv[optind], argv[optind + 1],
			    argv[optind + 2]);
		default:
			usage();
		}
	}
	if (optind != argc - 1)
		usage();
	log_init("t_tail", 1);
	memset(&st, 0, sizeof(st));
	if (statefile != NULL &&
	    state_load(statefile, &st, errbuf, sizeof(errbuf)) == -1)
		errx(1, "%s", errbuf);
	if ((t = tail_open(argv[optind], st.havepos ? &st.pos : NULL,
	    fromstart)) == NULL)
		err(1, "%s", argv[optind]);
	while (want == 0 || got < want) {
		n = tail_next(t, (int)idle, print_line, NULL);
		if (n == TAIL_EOF)
			break;
		if (n == TAIL_MORE)
			continue;
		if (n == -1)
			err(1, "tail_next");
		if (n == 0 && idle >= 0)
			break;
		got += n;
		fflush(stdout);
		if (statefile != NULL && n > 0) {
			tail_getpos(t, &st.pos);
			st.havepos = strcmp(argv[optind], "-") != 0;
			if (state_save(statefile, &st) == -1)
				err(1, "%s", statefile);
		}
	}
	tail_close(t);
	state_free(&st);
	return 0;
}
