/* unit tests of the metrics file writer (common/metrics.c) */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics.h"
#include "tap.h"

static char *
slurp(const char *path)
{
	static char	 buf[8192];
	FILE		*f;
	size_t		 n;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

int
main(void)
{
	char		 dir[] = "/tmp/t_metrics.XXXXXX", path[256], bad[256];
	char		 err[512], *s;
	struct metrics	 m;
	struct stat	 sb;
	static const double le[] = { 0.001, 0.01, 0.1 };
	uint64_t	 counts[4] = { 0 };
	struct mhist	 h = { le, 3, counts, 0, 0 };
	int		 r;

	if (mkdtemp(dir) == NULL) {
		printf("not ok 1 - mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(path, sizeof(path), "%s/x.prom", dir);

	/* what is refused at start, with a message that says what to fix */
	snprintf(bad, sizeof(bad), "%s/x.txt", dir);
	ok(metrics_check(bad, err, sizeof(err)) == -1 &&
	    strstr(err, ".prom") != NULL, "a name not in .prom: %s", err);
	snprintf(bad, sizeof(bad), "%s/none/x.prom", dir);
	ok(metrics_check(bad, err, sizeof(err)) == -1 &&
	    strstr(err, "No such file") != NULL, "a missing directory: %s",
	    err);
	ok(metrics_check(".prom", err, sizeof(err)) == -1, "no name before "
	    ".prom");
	snprintf(bad, sizeof(bad), "%s/d.prom", dir);
	mkdir(bad, 0700);
	ok(metrics_check(bad, err, sizeof(err)) == -1 &&
	    strstr(err, "not a regular file") != NULL, "a directory: %s", err);
	ok(metrics_check(path, err, sizeof(err)) == 0, "a good path");
	ok(stat(path, &sb) == -1, "the check leaves no file behind");

	mhist_observe(&h, 0.0005);
	mhist_observe(&h, 0.001);
	mhist_observe(&h, 0.05);
	mhist_observe(&h, 3);
	r = metrics_begin(&m, path);
	ok(r == 0, "begin");
	ok(stat(path, &sb) == -1, "nothing under the name before the commit");
	metrics_head(&m, "x_lines_total", "counter", "Lines read.");
	metrics_u64(&m, "x_lines_total", NULL, NULL, 42);
	metrics_u64(&m, "x_blocks_total", "reason", "a\"b\\c\nd", 7);
	metrics_double(&m, "x_up", NULL, NULL, 1.5);
	metrics_hist(&m, "x_latency_seconds", &h);
	ok(metrics_commit(&m) == 0, "commit");
	s = slurp(path);
	ok(s != NULL && strstr(s, "# HELP x_lines_total Lines read.\n"
	    "# TYPE x_lines_total counter\nx_lines_total 42\n") != NULL,
	    "a counter with its help and type");
	ok(s != NULL && strstr(s, "x_blocks_total{reason=\"a\\\"b\\\\c\\nd\"} "
	    "7\n") != NULL, "a label's value escaped");
	ok(s != NULL && strstr(s, "x_up 1.5\n") != NULL, "a gauge");
	ok(s != NULL && strstr(s,
	    "x_latency_seconds_bucket{le=\"0.001\"} 2\n"
	    "x_latency_seconds_bucket{le=\"0.01\"} 2\n"
	    "x_latency_seconds_bucket{le=\"0.1\"} 3\n"
	    "x_latency_seconds_bucket{le=\"+Inf\"} 4\n"
	    "x_latency_seconds_sum 3.0515\n"
	    "x_latency_seconds_count 4\n") != NULL,
	    "a histogram: cumulative buckets, le inclusive, sum and count");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0644,
	    "readable by the collector whatever the umask");

	/* a second write replaces the first whole */
	ok(metrics_begin(&m, path) == 0, "begin again");
	metrics_u64(&m, "x_lines_total", NULL, NULL, 43);
	s = slurp(path);
	ok(s != NULL && strstr(s, "x_lines_total 42\n") != NULL,
	    "the old file stays whole while the new one is written");
	ok(metrics_commit(&m) == 0, "commit again");
	s = slurp(path);
	ok(s != NULL && strcmp(s, "x_lines_total 43\n") == 0,
	    "the new file replaces the old");

	/* a directory gone after start: -1 with errno, nothing left */
	metrics_abort(&m);
	snprintf(bad, sizeof(bad), "%s/gone/x.prom", dir);
	errno = 0;
	ok(metrics_begin(&m, bad) == -1 && errno == ENOENT,
	    "a missing directory later: -1, ENOENT");

	snprintf(bad, sizeof(bad), "rm -rf %s", dir);
	if (system(bad) != 0)
		printf("# cannot remove %s\n", dir);
	printf("1..%d\n", tap_n);
	return tap_fail != 0;
}
