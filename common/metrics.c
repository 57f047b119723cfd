/* metrics for node_exporter's textfile collector: metrics.h */
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"

#define SUFFIX	".prom"

/* PATH's temporary twin: a name the collector does not read (not *.prom) */
static int
tmpname(char *buf, size_t len, const char *path)
{
	int	 n;

	n = snprintf(buf, len, "%s.%ld.tmp", path, (long)getpid());
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

/*
 * At start: PATH ends in .prom (the collector reads nothing else) and a
 * file can be made beside it.  -1 with the whole message in err.
 */
int
metrics_check(const char *path, char *err, size_t errlen)
{
	char		 tmp[PATH_MAX];
	size_t		 len = strlen(path);
	struct stat	 sb;
	int		 fd;

	if (len <= strlen(SUFFIX) ||
	    strcmp(path + len - strlen(SUFFIX), SUFFIX) != 0 ||
	    path[len - strlen(SUFFIX) - 1] == '/') {
		snprintf(err, errlen, "%s: the metrics file's name must end "
		    "in %s (node_exporter's textfile collector reads no "
		    "other)", path, SUFFIX);
		return -1;
	}
	if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", path);
		return -1;
	}
	if (tmpname(tmp, sizeof(tmp), path) == -1 ||
	    (fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1) {
		snprintf(err, errlen, "%s: cannot write in its directory: %s "
		    "(make the directory, or name another with -M)", path,
		    strerror(errno));
		return -1;
	}
	close(fd);
	unlink(tmp);
	return 0;
}

int
metrics_begin(struct metrics *m, const char *path)
{
	int	 fd, saved;

	m->f = NULL;
	if (strlen(path) >= sizeof(m->path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(m->path, path);
	if (tmpname(m->tmp, sizeof(m->tmp), path) == -1)
		return -1;
	(void)unlink(m->tmp);	/* left by a run of the same PID, killed */
	if ((fd = open(m->tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, 0644)) == -1)
		return -1;
	/* readable by the collector's user whatever the umask */
	if (fchmod(fd, 0644) == -1 || (m->f = fdopen(fd, "w")) == NULL) {
		saved = errno;
		close(fd);
		unlink(m->tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

void
metrics_head(struct metrics *m, const char *name, const char *type,
    const char *help)
{
	fprintf(m->f, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* a label's value: \, " and newline escaped, as the text format says */
static void
labels(FILE *f, const char *key, const char *val)
{
	const char	*p;

	if (key == NULL)
		return;
	fprintf(f, "{%s=\"", key);
	for (p = val; *p != '\0'; p++) {
		if (*p == '\\' || *p == '"')
			fputc('\\', f);
		if (*p == '\n')
			fputs("\\n", f);
		else
			fputc(*p, f);
	}
	fputs("\"}", f);
}

void
metrics_u64(struct metrics *m, const char *name, const char *key,
    const char *val, uint64_t v)
{
	fputs(name, m->f);
	labels(m->f, key, val);
	fprintf(m->f, " %llu\n", (unsigned long long)v);
}

static void
number(FILE *f, double v)
{
	if (isinf(v))
		fputs(v > 0 ? "+Inf" : "-Inf", f);
	else if (isnan(v))
		fputs("NaN", f);
	else
		fprintf(f, "%.9g", v);
}

void
metrics_double(struct metrics *m, const char *name, const char *key,
    const char *val, double v)
{
	fputs(name, m->f);
	labels(m->f, key, val);
	fputc(' ', m->f);
	number(m->f, v);
	fputc('\n', m->f);
}

/* NAME_bucket{le=...} (cumulative), NAME_sum and NAME_count */
void
metrics_hist(struct metrics *m, const char *name, const struct mhist *h)
{
	uint64_t	 cum = 0;
	size_t		 i;

	for (i = 0; i <= h->n; i++) {
		cum += h->counts[i];
		fprintf(m->f, "%s_bucket{le=\"", name);
		number(m->f, i < h->n ? h->le[i] : INFINITY);
		fprintf(m->f, "\"} %llu\n", (unsigned long long)cum);
	}
	fprintf(m->f, "%s_sum ", name);
	number(m->f, h->sum);
	fprintf(m->f, "\n%s_count %llu\n", name, (unsigned long long)h->count);
}

void
mhist_observe(struct mhist *h, double v)
{
	size_t	 i;

	for (i = 0; i < h->n && v > h->le[i]; i++)
		;
	h->counts[i]++;
	h->sum += v;
	h->count++;
}

/* the file complete and on disk under its temporary name, then renamed */
int
metrics_commit(struct metrics *m)
{
	int	 saved;

	if (m->f == NULL) {
		errno = EBADF;
		return -1;
	}
	/*
	 * No fsync: the rename alone gives a scrape a whole file, and after
	 * a crash the next write, 15 s on, replaces whatever is left
	 */
	if (fflush(m->f) == EOF || ferror(m->f)) {
		saved = errno;
		metrics_abort(m);
		errno = saved;
		return -1;
	}
	if (fclose(m->f) == EOF) {
		m->f = NULL;
		saved = errno;
		unlink(m->tmp);
		errno = saved;
		return -1;
	}
	m->f = NULL;
	if (rename(m->tmp, m->path) == -1) {
		saved = errno;
		unlink(m->tmp);
		errno = saved;
		return -1;
	}
	return 0;
}

void
metrics_abort(struct metrics *m)
{
	if (m->f != NULL) {
		fclose(m->f);
		m->f = NULL;
	}
	unlink(m->tmp);
}
