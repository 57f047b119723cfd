/*
 * Metrics in the text format of Prometheus, as node_exporter's textfile
 * collector reads them: the file is written under a temporary name in
 * the same directory and renamed over the old one, so that a scrape
 * sees the last whole file, never half of one.
 *
 *	struct metrics m;
 *	if (metrics_begin(&m, path) == 0) {
 *		metrics_head(&m, "detengo_lines_total", "counter", "...");
 *		metrics_u64(&m, "detengo_lines_total", NULL, n);
 *		if (metrics_commit(&m) == -1) ... errno says why
 *	}
 *
 * Names follow Prometheus' rules (one prefix per program, base units,
 * _total for counters).  A label's value is escaped here; no label may
 * carry an address.
 */
#ifndef METRICS_H
#define METRICS_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct metrics {
	char	 path[PATH_MAX];
	char	 tmp[PATH_MAX];
	FILE	*f;
};

/* a histogram: n upper bounds, ascending; counts has n + 1 places (+Inf) */
struct mhist {
	const double	*le;
	size_t		 n;
	uint64_t	*counts;
	double		 sum;
	uint64_t	 count;
};

int	metrics_check(const char *, char *, size_t);
int	metrics_begin(struct metrics *, const char *);
void	metrics_head(struct metrics *, const char *, const char *,
	    const char *);
void	metrics_u64(struct metrics *, const char *, const char *, const char *,
	    uint64_t);
void	metrics_double(struct metrics *, const char *, const char *,
	    const char *, double);
void	metrics_hist(struct metrics *, const char *, const struct mhist *);
int	metrics_commit(struct metrics *);
void	metrics_abort(struct metrics *);
void	mhist_observe(struct mhist *, double);

#endif /* METRICS_H */
