/* writing event lines to a log file or standard output, whole lines only */
#ifndef EVOUT_H
#define EVOUT_H

#include <signal.h>
#include <stddef.h>
#include <stdint.h>

#include "event.h"

struct evout {
	const char	*path;		/* NULL: standard output */
	int		 fd;
	int		 json;		/* JSON lines instead of event lines */
	int		 stream;	/* not a regular file: no taking back */
	char		*backlog;	/* lines not written yet, oldest first */
	size_t		 backlen;
	uint64_t	 delayed;	/* lines that waited in the backlog */
	uint64_t	 lost;		/* lines dropped, or never written */
	uint64_t	 odelayed;	/* the same, since the output failed */
	uint64_t	 olost;
	int		 warned;
	int		 closed;	/* the reader of a pipe went away */
	volatile sig_atomic_t *stop;	/* set by the signal to stop, or NULL */
	int		 stalled;	/* not read for OUT_STOP_WAIT after it */
	long		 checked;	/* second of the last look at the path */
	char		*batch;		/* lines gathered, not yet written */
	size_t		 batchlen;
};

int	 evout_open(struct evout *, const char *, int, char *, size_t);
void	 evout_reopen(struct evout *);
int	 evout_event(struct evout *, struct ev_buf *);
int	 evout_line(struct evout *, const char *, size_t);
int	 evout_flush(struct evout *);
int	 evout_batch(struct evout *);
int	 evout_sync(struct evout *);
void	 evout_close(struct evout *);

#endif /* EVOUT_H */
