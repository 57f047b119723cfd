/* the evidence of each block, for --why (why.h) */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "bounds.h"
#include "event.h"
#include "state.h"
#include "why.h"

/* a record: the longest line kept, and its four fields before it */
#define REC_MAX		(WHY_LINE_MAX + 128)

static struct {
	char	 path[PATH_MAX];
	FILE	*f;
	off_t	 size, compacted;	/* now, and after the last rewrite */
} w;

static int
whypath(char *buf, size_t len, const char *statepath)
{
	if ((size_t)snprintf(buf, len, "%s.why", statepath) >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/* open, never through a symbolic link, mode 0600: it holds addresses */
static FILE *
openw(const char *path, int flags)
{
	FILE	*f;
	int	 fd;

	if ((fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    flags, 0600)) == -1)
		return NULL;
	if ((f = fdopen(fd, flags & O_APPEND ? "a" : "w")) == NULL) {
		close(fd);
		return NULL;
	}
	return f;
}

int
why_open(const char *statepath)
{
	struct stat	 sb;

	if (whypath(w.path, sizeof(w.path), statepath) == -1 ||
	    (w.f = openw(w.path, O_APPEND)) == NULL)
		return -1;
	if (fstat(fileno(w.f), &sb) == 0)
		w.size = w.compacted = sb.st_size;
	return 0;
}

static void
timestr(int64_t t, char *buf, size_t len)
{
	if (t == 0 || event_utc(t, -1, buf, len) == 0)
		snprintf(buf, len, "%s", t == 0 ? "never" : "?");
}

/*
 * A block and its trigger lines: lines holds them separated by '\n',
 * the one that decided last; each is cut to WHY_LINE_MAX bytes, the
 * longest event line, so none is.
 */
void
why_block(const char *host, int64_t since, int64_t until, const char *reason,
    const char *evidence, const char *lines)
{
	const char	*p, *e;
	int		 n, k;

	if (w.f == NULL)
		return;
	n = fprintf(w.f, "block %s %lld %lld %s %s\n", host, (long long)since,
	    (long long)until, reason, evidence);
	for (p = lines, k = 0; p != NULL && *p != '\0' && k < WHY_LINES_MAX;
	    k++) {
		if ((e = strchr(p, '\n')) == NULL)
			e = p + strlen(p);
		n += fprintf(w.f, "line %s %lld %.*s\n", host, (long long)since,
		    (int)(e - p > WHY_LINE_MAX ? WHY_LINE_MAX : e - p), p);
		p = *e != '\0' ? e + 1 : e;
	}
	if (n > 0)
		w.size += n;
}

void
why_lift(const char *host, int64_t when, const char *reason)
{
	int	 n;

	if (w.f == NULL)
		return;
	if ((n = fprintf(w.f, "lift %s %lld %s\n", host, (long long)when,
	    reason)) > 0)
		w.size += n;
}

/*
 * The records of this pass on disk; 1 when the file has grown enough
 * to be rewritten (why_compact), 0, or -1 on a write error.
 */
int
why_flush(void)
{
	if (w.f == NULL)
		return 0;
	if (fflush(w.f) == EOF || ferror(w.f)) {
		clearerr(w.f);
		return -1;
	}
	return w.size > WHY_FILE_MAX && w.size > 2 * w.compacted;
}

void
why_close(void)
{
	if (w.f != NULL)
		fclose(w.f);
	w.f = NULL;
}

/* "block HOST SINCE ..." -> its name, host and since; 0 or -1 */
static int
fields(char *rec, char **name, char **host, long long *since, char **rest)
{
	char	*sp, *end;

	*name = rec;
	if ((sp = strchr(rec, ' ')) == NULL)
		return -1;
	*sp = '\0';
	*host = sp + 1;
	if ((sp = strchr(*host, ' ')) == NULL)
		return -1;
	*sp = '\0';
	errno = 0;
	*since = strtoll(sp + 1, &end, 10);
	if (errno || end == sp + 1 || (*end != ' ' && *end != '\0'))
		return -1;
	*rest = *end == ' ' ? end + 1 : end;
	return 0;
}

/*
 * Read one record of at most REC_MAX bytes into buf; a longer one is
 * skipped whole.  1, or 0 at the end.
 */
static int
getrec(FILE *f, char *buf, size_t len)
{
	size_t	 n;

	while (fgets(buf, (int)len, f) != NULL) {
		n = strlen(buf);
		if (n > 0 && buf[n - 1] == '\n') {
			buf[n - 1] = '\0';
			return 1;
		}
		if (feof(f))
			return 0;	/* a last record half written */
		while (fgets(buf, (int)len, f) != NULL &&
		    buf[strlen(buf) - 1] != '\n')
			;
	}
	return 0;
}

/*
 * Rewrite the file with the records of the blocks in the state only
 * (a temporary file renamed over it), and go on appending to it.
 */
int
why_compact(const char *statepath, const struct state *st)
{
	char			 tmp[PATH_MAX], rec[REC_MAX], copy[REC_MAX];
	char			*name, *host, *rest;
	long long		 since;
	struct addr		 a;
	const struct state_block *b;
	FILE			*in, *out;
	int			 saved;

	if (w.path[0] == '\0' && whypath(w.path, sizeof(w.path),
	    statepath) == -1)
		return -1;
	if (w.f != NULL)
		fflush(w.f);
	if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", w.path) >=
	    sizeof(tmp)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	if ((in = fopen(w.path, "re")) == NULL)
		return errno == ENOENT ? 0 : -1;
	(void)unlink(tmp);
	if ((out = openw(tmp, O_EXCL)) == NULL) {
		saved = errno;
		fclose(in);
		errno = saved;
		return -1;
	}
	while (getrec(in, rec, sizeof(rec))) {
		memcpy(copy, rec, strlen(rec) + 1);
		if (fields(copy, &name, &host, &since, &rest) == -1 ||
		    (strcmp(name, "block") != 0 && strcmp(name, "line") != 0) ||
		    addr_parse(host, &a) == -1 ||
		    (b = state_find(st, &a)) == NULL || b->since != since)
			continue;
		fprintf(out, "%s\n", rec);
	}
	fclose(in);
	if (fflush(out) == EOF || ferror(out) || fsync(fileno(out)) == -1) {
		saved = errno;
		fclose(out);
		unlink(tmp);
		errno = saved;
		return -1;
	}
	fclose(out);
	if (rename(tmp, w.path) == -1) {
		saved = errno;
		unlink(tmp);
		errno = saved;
		return -1;
	}
	if (w.f != NULL) {
		fclose(w.f);
		if ((w.f = openw(w.path, O_APPEND)) == NULL)
			return -1;
	}
	w.size = w.compacted = 0;
	if (w.f != NULL) {
		fseeko(w.f, 0, SEEK_END);
		w.size = w.compacted = ftello(w.f);
	}
	return 0;
}

/*
 * For --why: the records of host, the newest block first seen from the
 * end.  b: its block in the state, or NULL.  1 when something was said.
 */
int
why_show(const char *statepath, const char *host, const struct state_block *b,
    FILE *out)
{
	char		 path[PATH_MAX], rec[REC_MAX], t[32], u[32];
	char		*name, *h, *rest, *reason, *ev;
	char		*lines = NULL;
	size_t		 nlines = 0, linelen = 0;
	long long	 since, last = -1, lifted = -1;
	char		 lastreason[64] = "", lastev[64] = "", liftwhy[64] = "";
	long long	 lastuntil = 0;
	unsigned	 e1, e2, e3;
	FILE		*f;

	if (whypath(path, sizeof(path), statepath) == -1 ||
	    (f = fopen(path, "re")) == NULL)
		return 0;
	if ((lines = malloc((size_t)WHY_LINES_MAX * (WHY_LINE_MAX + 8))) ==
	    NULL) {
		fclose(f);
		return 0;
	}
	lines[0] = '\0';
	while (getrec(f, rec, sizeof(rec))) {
		if (fields(rec, &name, &h, &since, &rest) == -1 ||
		    strcmp(h, host) != 0)
			continue;
		if (strcmp(name, "block") == 0) {
			/* the block the state has, or else the newest */
			if (b != NULL && b->since != since)
				continue;
			last = since;
			lifted = -1;
			nlines = linelen = 0;
			lines[0] = '\0';
			lastuntil = strtoll(rest, &reason, 10);
			if (*reason == ' ')
				reason++;
			if ((ev = strchr(reason, ' ')) != NULL)
				*ev++ = '\0';
			snprintf(lastreason, sizeof(lastreason), "%s", reason);
			snprintf(lastev, sizeof(lastev), "%s", ev ? ev : "");
		} else if (strcmp(name, "line") == 0 && since == last &&
		    nlines < WHY_LINES_MAX) {
			linelen += (size_t)snprintf(lines + linelen,
			    (size_t)WHY_LINES_MAX * (WHY_LINE_MAX + 8) -
			    linelen, "  %.*s\n", WHY_LINE_MAX, rest);
			nlines++;
		} else if (strcmp(name, "lift") == 0 && last != -1 &&
		    since >= last) {
			lifted = since;
			snprintf(liftwhy, sizeof(liftwhy), "%s", rest);
		}
	}
	fclose(f);
	if (last == -1) {
		free(lines);
		return 0;
	}
	timestr(last, t, sizeof(t));
	fprintf(out, "%s block since %s", b != NULL ? "its" : "its last",
	    t);
	timestr(lastuntil, u, sizeof(u));
	fprintf(out, ", until %s\n", b != NULL && b->until != lastuntil ?
	    (timestr(b->until, u, sizeof(u)), u) : u);
	/* "N/SECONDS", or "REFUSED/SENT/SECONDS" for the refusal ratio */
	if (sscanf(lastev, "%u/%u/%u", &e1, &e2, &e3) == 3)
		fprintf(out, "trigger: %s, %u refused of %u MAIL and RCPT "
		    "within %u s\n", lastreason, e1, e2, e3);
	else if (sscanf(lastev, "%u/%u", &e1, &e2) == 2 && e1 > 1)
		fprintf(out, "trigger: %s, %u of them within %u s\n",
		    lastreason, e1, e2);
	else
		fprintf(out, "trigger: %s\n", lastreason);
	if (nlines > 0)
		fprintf(out, "the event line%s that led to it:\n%s",
		    nlines == 1 ? "" : "s", lines);
	if (b == NULL && lifted != -1) {
		timestr(lifted, t, sizeof(t));
		fprintf(out, "lifted at %s (%s)\n", t, liftwhy);
	}
	free(lines);
	return 1;
}
