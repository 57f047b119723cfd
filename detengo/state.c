/* detengo's state file: a strict text parser, an atomic writer and a lock */
#include <sys/types.h>
#include <sys/file.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "ascii.h"
#include "bounds.h"
#include "hash.h"
#include "state.h"

/*
 * The file, one record a line, every line ending in '\n':
 *
 *	detengo-state 1
 *	pos DEV INO OFF SUM SUMLEN
 *	block ADDR SINCE UNTIL
 *
 * Fields are separated by exactly one space.  Numbers are decimal, without
 * sign or leading zero; SUM is 8 lower-case hex digits; ADDR is a numeric
 * address as addr_fmt() writes it.  "pos" appears at most once and each
 * host at most once.  Anything else is refused with the line number: the
 * file lives in a directory root owns, but it is parsed as if it did not.
 */

/* fields of the longest record ("pos" and its 5 values), plus one to see extra */
#define STATE_FIELDS_MAX	7
/* bytes buffered by the reader and the writer */
#define STATE_IOBUF		(64 * 1024)

struct reader {
	const char	*path;
	char		*err;
	size_t		 errlen;
	size_t		 lineno;
};

static void
rerr(struct reader *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
rerr(struct reader *r, const char *fmt, ...)
{
	char	 msg[256];
	va_list	 ap;

	if (r->err == NULL || r->errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (r->lineno > 0)
		snprintf(r->err, r->errlen, "%s:%zu: %s", r->path, r->lineno,
		    msg);
	else
		snprintf(r->err, r->errlen, "%s: %s", r->path, msg);
}

/* FNV-1a, 32 bits: a cheap check of a few bytes, not a defence */
uint32_t
state_sum(const void *p, size_t len)
{
	return fnv1a(FNV1A_INIT, p, len);
}

/* the index's hash of a host, over the bytes of its family only */
static uint64_t
host_hash(const struct state *st, const struct addr *a)
{
	struct addr	 k;

	/* another family is hashed as zeros: it matches no block */
	(void)addr_norm(a, &k);
	return hash_sip(st->key, &k, sizeof(k));
}

/* for the index (oidx.c) of the blocks by host, made with the first block */
static int
block_eq(const void *owner, uint32_t e, const void *key)
{
	const struct state	*st = owner;

	return addr_eq(&st->blocks[e].host, key);
}

struct state_block *
state_find(const struct state *st, const struct addr *a)
{
	uint32_t	 e;

	if (st->ix.eq == NULL)
		return NULL;
	e = oidx_get(&st->ix, st, host_hash(st, a), a);
	return e == OIDX_NONE ? NULL : &st->blocks[e];
}

/* add a host, or update its times if it is already there */
int
state_add(struct state *st, const struct addr *a, int64_t since,
    int64_t until)
{
	struct state_block	*b;
	struct addr		 h;
	uint64_t		 hv;
	uint32_t		 e;
	size_t			 ncap;

	if (addr_norm(a, &h) == -1) {
		errno = EINVAL;
		return -1;
	}
	if (st->ix.eq == NULL) {
		(void)oidx_init(&st->ix, block_eq, 0);
		hash_key(st->key);
	}
	hv = hash_sip(st->key, &h, sizeof(h));
	if ((e = oidx_get(&st->ix, st, hv, &h)) != OIDX_NONE) {
		st->blocks[e].since = since;
		st->blocks[e].until = until;
		return 0;
	}
	if (st->nblocks >= POLICY_HOSTS_MAX) {
		errno = ENOSPC;
		return -1;
	}
	if (st->nblocks == st->cap) {
		ncap = st->cap ? st->cap * 2 : 64;
		if (ncap > POLICY_HOSTS_MAX)
			ncap = POLICY_HOSTS_MAX;
		if ((b = reallocarray(st->blocks, ncap, sizeof(*b))) == NULL)
			return -1;
		st->blocks = b;
		st->cap = ncap;
	}
	b = &st->blocks[st->nblocks];
	b->host = h;
	b->since = since;
	b->until = until;
	if (oidx_add(&st->ix, hv, (uint32_t)st->nblocks) == -1)
		return -1;
	st->nblocks++;
	return 0;
}

/* remove a host: 0, or -1 with ENOENT if it was not there */
int
state_del(struct state *st, const struct addr *a)
{
	uint32_t	 i, last;

	if (st->ix.eq == NULL ||
	    (i = oidx_del(&st->ix, st, host_hash(st, a), a)) == OIDX_NONE) {
		errno = ENOENT;
		return -1;
	}
	last = (uint32_t)(st->nblocks - 1);
	if (i != last) {
		/* the last block fills the hole; its slot follows it */
		(void)oidx_move(&st->ix, host_hash(st, &st->blocks[last].host),
		    last, i);
		st->blocks[i] = st->blocks[last];
	}
	st->nblocks--;
	return 0;
}

void
state_free(struct state *st)
{
	free(st->blocks);
	oidx_free(&st->ix);
	memset(st, 0, sizeof(*st));
}

/* 1 to 20 decimal digits, no sign, no leading zero, no overflow */
static int
parse_u64(const char *s, uint64_t max, uint64_t *v)
{
	uint64_t	 n = 0;
	size_t		 len = strlen(s), i;

	if (len == 0 || len > 20 || (s[0] == '0' && len > 1))
		return -1;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		if (n > (UINT64_MAX - (uint64_t)(s[i] - '0')) / 10)
			return -1;
		n = n * 10 + (uint64_t)(s[i] - '0');
	}
	if (n > max)
		return -1;
	*v = n;
	return 0;
}

/* exactly 8 lower-case hex digits */
static int
parse_hex32(const char *s, uint32_t *v)
{
	uint32_t	 n = 0;
	int		 i, d;

	if (strlen(s) != 8)
		return -1;
	for (i = 0; i < 8; i++) {
		if ((d = ascii_hexval(s[i])) == -1 ||
		    (s[i] >= 'A' && s[i] <= 'F'))
			return -1;
		n = n << 4 | (uint32_t)d;
	}
	*v = n;
	return 0;
}

/* split on single spaces; -1 on an empty field or too many */
static int
split(char *line, char **f, int max)
{
	int	 n = 0;
	char	*p = line, *sp;

	for (;;) {
		if (n == max)
			return -1;
		f[n++] = p;
		if ((sp = strchr(p, ' ')) == NULL)
			break;
		*sp = '\0';
		p = sp + 1;
	}
	while (n-- > 0)
		if (f[n][0] == '\0')
			return -1;
	return 0;
}

static int
count(char **f, int max)
{
	int	 n = 0;

	while (n < max && f[n] != NULL)
		n++;
	return n;
}

static int
parse_line(struct reader *r, struct state *st, char *line, size_t len)
{
	char		*f[STATE_FIELDS_MAX];
	char		 canon[ADDR_STRLEN];
	struct addr	 a;
	uint64_t	 dev, ino, off, sumlen, since, until;
	uint32_t	 sum;
	size_t		 i;
	int		 n;

	/* printable ASCII and the space only: no NUL, tab, CR or 8-bit byte */
	for (i = 0; i < len; i++)
		if (line[i] < ' ' || line[i] > '~') {
			rerr(r, "byte 0x%02x at column %zu", (uint8_t)line[i],
			    i + 1);
			return -1;
		}
	if (r->lineno == 1) {
		if (strcmp(line, STATE_MAGIC) == 0)
			return 0;
		if (strncmp(line, "detengo-state ", 14) == 0)
			rerr(r, "unsupported version \"%s\"", line + 14);
		else
			rerr(r, "not a state file (no \"%s\" line)",
			    STATE_MAGIC);
		return -1;
	}
	memset(f, 0, sizeof(f));
	if (split(line, f, STATE_FIELDS_MAX) == -1) {
		rerr(r, "empty field or too many fields");
		return -1;
	}
	n = count(f, STATE_FIELDS_MAX);
	if (strcmp(f[0], "pos") == 0) {
		if (n != 6) {
			rerr(r, "pos: %d values, want 5", n - 1);
			return -1;
		}
		if (st->havepos) {
			rerr(r, "pos: a second one");
			return -1;
		}
		if (parse_u64(f[1], UINT64_MAX, &dev) == -1 ||
		    parse_u64(f[2], UINT64_MAX, &ino) == -1 ||
		    parse_u64(f[3], INT64_MAX, &off) == -1) {
			rerr(r, "pos: bad number");
			return -1;
		}
		if (parse_hex32(f[4], &sum) == -1) {
			rerr(r, "pos: bad check \"%s\"", f[4]);
			return -1;
		}
		if (parse_u64(f[5], TAIL_SUM_MAX, &sumlen) == -1 ||
		    sumlen > off) {
			rerr(r, "pos: bad check length \"%s\"", f[5]);
			return -1;
		}
		st->havepos = 1;
		st->pos.dev = dev;
		st->pos.ino = ino;
		st->pos.off = off;
		st->pos.sum = sum;
		st->pos.sumlen = (uint32_t)sumlen;
		return 0;
	}
	if (strcmp(f[0], "block") == 0) {
		if (n != 4) {
			rerr(r, "block: %d values, want 3", n - 1);
			return -1;
		}
		if (strlen(f[1]) >= sizeof(canon) ||
		    addr_parse(f[1], &a) == -1 ||
		    addr_fmt(&a, canon, sizeof(canon)) == -1 ||
		    strcmp(canon, f[1]) != 0) {
			rerr(r, "block: bad address \"%.*s\"", ADDR_STRLEN,
			    f[1]);
			return -1;
		}
		if (parse_u64(f[2], INT64_MAX, &since) == -1 ||
		    parse_u64(f[3], INT64_MAX, &until) == -1) {
			rerr(r, "block: bad time");
			return -1;
		}
		if (until != 0 && until < since) {
			rerr(r, "block: expires before it starts");
			return -1;
		}
		if (state_find(st, &a) != NULL) {
			rerr(r, "block: %s listed twice", canon);
			return -1;
		}
		if (state_add(st, &a, (int64_t)since, (int64_t)until) == -1) {
			rerr(r, "block: %s", errno == ENOSPC ?
			    "more hosts than POLICY_HOSTS_MAX" : strerror(errno));
			return -1;
		}
		return 0;
	}
	rerr(r, "unknown record \"%.16s\"", f[0]);
	return -1;
}

/*
 * Read the state file.  A missing file is an empty state (0).  A symbolic
 * link, a file owned by another user than root or us, a file others may
 * write, and any malformed line are refused (-1, a message in err).
 * The state is initialised here; on error it is left empty.
 */
int
state_load(const char *path, struct state *st, char *err, size_t errlen)
{
	struct reader	 r;
	struct stat	 sb;
	char		*buf = NULL, line[CONF_LINE_MAX];
	size_t		 len = 0;
	ssize_t		 n, i;
	int		 fd;

	memset(st, 0, sizeof(*st));
	memset(&r, 0, sizeof(r));
	r.path = path;
	r.err = err;
	r.errlen = errlen;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	    O_NOCTTY)) == -1) {
		if (errno == ENOENT)
			return 0;
		if (errno == ELOOP)
			rerr(&r, "a symbolic link, refused");
		else
			rerr(&r, "%s", strerror(errno));
		return -1;
	}
	if (fstat(fd, &sb) == -1) {
		rerr(&r, "%s", strerror(errno));
		goto bad;
	}
	if (!S_ISREG(sb.st_mode)) {
		rerr(&r, "not a regular file");
		goto bad;
	}
	if (sb.st_uid != 0 && sb.st_uid != geteuid()) {
		rerr(&r, "owned by uid %u, neither root nor us",
		    (unsigned)sb.st_uid);
		goto bad;
	}
	if (sb.st_mode & (S_IWGRP | S_IWOTH)) {
		rerr(&r, "writable by group or others (mode %04o)",
		    (unsigned)(sb.st_mode & 07777));
		goto bad;
	}
	st->savedms = (int64_t)sb.st_mtim.tv_sec * 1000 +
	    sb.st_mtim.tv_nsec / 1000000;
	if ((buf = malloc(STATE_IOBUF)) == NULL) {
		rerr(&r, "%s", strerror(errno));
		goto bad;
	}
	r.lineno = 1;
	for (;;) {
		if ((n = read(fd, buf, STATE_IOBUF)) == -1) {
			if (errno == EINTR)
				continue;
			rerr(&r, "%s", strerror(errno));
			goto bad;
		}
		if (n == 0)
			break;
		for (i = 0; i < n; i++) {
			if (buf[i] != '\n') {
				/* room for the line, its newline included */
				if (len + 1 >= sizeof(line)) {
					rerr(&r, "line longer than %d bytes",
					    CONF_LINE_MAX);
					goto bad;
				}
				line[len++] = buf[i];
				continue;
			}
			line[len] = '\0';
			if (parse_line(&r, st, line, len) == -1)
				goto bad;
			len = 0;
			/* every line is a record: at most the hosts + 2 */
			if (r.lineno++ > POLICY_HOSTS_MAX + 2) {
				rerr(&r, "too many lines");
				goto bad;
			}
		}
	}
	if (len > 0) {
		rerr(&r, "no newline at the end of the file");
		goto bad;
	}
	if (r.lineno == 1) {
		r.lineno = 0;
		rerr(&r, "empty, no \"%s\" line", STATE_MAGIC);
		goto bad;
	}
	free(buf);
	close(fd);
	return 0;
bad:
	free(buf);
	close(fd);
	state_free(st);
	return -1;
}

struct writer {
	int	 fd;
	char	*buf;
	size_t	 len;
	int	 error;
};

static int
write_all(int fd, const char *p, size_t len)
{
	ssize_t	 n;

	while (len > 0) {
		if ((n = write(fd, p, len)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

static void
wflush(struct writer *w)
{
	if (w->error == 0 && w->len > 0 && write_all(w->fd, w->buf,
	    w->len) == -1)
		w->error = errno;
	w->len = 0;
}

static void
wprintf(struct writer *w, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void
wprintf(struct writer *w, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	if (STATE_IOBUF - w->len < CONF_LINE_MAX)
		wflush(w);
	va_start(ap, fmt);
	n = vsnprintf(w->buf + w->len, CONF_LINE_MAX, fmt, ap);
	va_end(ap);
	if (n < 0 || n >= CONF_LINE_MAX) {
		if (w->error == 0)
			w->error = EOVERFLOW;
		return;
	}
	w->len += (size_t)n;
}

/*
 * One "block HOST SINCE UNTIL" line by hand: vsnprintf was most of the
 * time of a save, and a save of 100,000 blocks holds up detengo's loop.
 */
static void
wblock(struct writer *w, const char *host, uint64_t since, uint64_t until)
{
	char		*p;
	size_t		 hl = strlen(host);

	if (STATE_IOBUF - w->len < CONF_LINE_MAX)
		wflush(w);
	if (hl >= ADDR_STRLEN) {
		if (w->error == 0)
			w->error = EOVERFLOW;
		return;
	}
	p = w->buf + w->len;
	memcpy(p, "block ", 6);
	memcpy(p + 6, host, hl);
	p += 6 + hl;
	*p++ = ' ';
	p += ascii_dec(p, since);
	*p++ = ' ';
	p += ascii_dec(p, until);
	*p++ = '\n';
	w->len = (size_t)(p - w->buf);
}

/* fsync the directory holding path, so that a rename in it is durable */
static int
sync_dir(const char *path)
{
	char		 dir[PATH_MAX];
	char		*slash;
	int		 fd, rv, saved;

	if ((size_t)snprintf(dir, sizeof(dir), "%s", path) >= sizeof(dir)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((slash = strrchr(dir, '/')) == NULL)
		snprintf(dir, sizeof(dir), ".");
	else if (slash == dir)
		dir[1] = '\0';
	else
		*slash = '\0';
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) == -1)
		return -1;
	rv = fsync(fd);
	saved = errno;
	close(fd);
	errno = saved;
	return rv;
}

/*
 * Write the state to PATH.tmp (a stale one is removed first; the new one
 * is made with O_EXCL and O_NOFOLLOW, mode 0600), fsync it, rename it over
 * PATH and fsync the directory: a crash leaves the old file or the new
 * one, never a mix.  0, or -1 with errno.
 */
int
state_save(const char *path, const struct state *st)
{
	struct writer	 w;
	char		 tmp[PATH_MAX], a[ADDR_STRLEN];
	size_t		 i;
	int		 saved;

	memset(&w, 0, sizeof(w));
	w.fd = -1;
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if (unlink(tmp) == -1 && errno != ENOENT)
		return -1;
	if ((w.buf = malloc(STATE_IOBUF)) == NULL)
		return -1;
	if ((w.fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) == -1)
		goto bad;
	wprintf(&w, "%s\n", STATE_MAGIC);
	if (st->havepos)
		wprintf(&w, "pos %llu %llu %llu %08x %u\n",
		    (unsigned long long)st->pos.dev,
		    (unsigned long long)st->pos.ino,
		    (unsigned long long)st->pos.off, st->pos.sum,
		    st->pos.sumlen);
	for (i = 0; i < st->nblocks && w.error == 0; i++) {
		if (addr_fmt(&st->blocks[i].host, a, sizeof(a)) == -1 ||
		    st->blocks[i].since < 0 || st->blocks[i].until < 0) {
			w.error = EINVAL;
			break;
		}
		wblock(&w, a, (uint64_t)st->blocks[i].since,
		    (uint64_t)st->blocks[i].until);
	}
	wflush(&w);
	if (w.error != 0) {
		errno = w.error;
		goto bad;
	}
	if (fsync(w.fd) == -1)
		goto bad;
	if (close(w.fd) == -1) {
		w.fd = -1;
		goto bad;
	}
	w.fd = -1;
	if (rename(tmp, path) == -1)
		goto bad;
	free(w.buf);
	return sync_dir(path);
bad:
	saved = errno;
	if (w.fd != -1) {
		close(w.fd);
		unlink(tmp);
	} else if (saved != EEXIST)
		unlink(tmp);
	free(w.buf);
	errno = saved;
	return -1;
}

/*
 * One instance per state file: take an exclusive flock(2) on PATH.lock
 * (made with mode 0600, never through a symbolic link) and write our PID
 * in it.  The descriptor is returned and must stay open; -1 with errno
 * EWOULDBLOCK when another process holds it (state_lock_holder() reads
 * its PID).
 */
int
state_lock(const char *path)
{
	char		 lk[PATH_MAX], pid[32];
	struct stat	 sb;
	int		 fd, n, saved;

	if ((size_t)snprintf(lk, sizeof(lk), "%s.lock", path) >= sizeof(lk)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((fd = open(lk, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600)) ==
	    -1)
		return -1;
	if (fstat(fd, &sb) == -1)
		goto bad;
	if (!S_ISREG(sb.st_mode)) {
		errno = EINVAL;
		goto bad;
	}
	if (flock(fd, LOCK_EX | LOCK_NB) == -1)
		goto bad;
	n = snprintf(pid, sizeof(pid), "%ld\n", (long)getpid());
	if (ftruncate(fd, 0) == -1 || pwrite(fd, pid, (size_t)n, 0) != n)
		goto bad;
	return fd;
bad:
	saved = errno;
	close(fd);
	errno = saved;
	return -1;
}

/* the PID written in PATH.lock by its holder, or -1 */
long
state_lock_holder(const char *path)
{
	char		 lk[PATH_MAX], buf[32];
	ssize_t		 n, i;
	long		 pid = 0;
	int		 fd;

	if ((size_t)snprintf(lk, sizeof(lk), "%s.lock", path) >= sizeof(lk))
		return -1;
	if ((fd = open(lk, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) ==
	    -1)
		return -1;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n <= 0)
		return -1;
	for (i = 0; i < n && buf[i] != '\n'; i++) {
		if (buf[i] < '0' || buf[i] > '9' || i >= 10)
			return -1;
		pid = pid * 10 + (buf[i] - '0');
	}
	return i == 0 || i == n ? -1 : pid;
}
