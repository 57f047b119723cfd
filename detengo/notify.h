/*
 * -e PROGRAM: a notice to someone at each block and each lift, after
 * the kernel has it.  PROGRAM runs with execve(2), never through a
 * shell, with a fixed argv and an environment of its own:
 *
 *	PROGRAM block HOST REASON	PROGRAM unblock HOST REASON
 *	PROGRAM summary COUNT burst	(the notices a burst left untold)
 *
 * It never holds a block back: notices run in the background, at most
 * NOTIFY_RUN_MAX at once, NOTIFY_QUEUE_MAX more wait, the rest are
 * dropped and counted.  Each runs at most NOTIFY_TIMEOUT seconds.
 */
#ifndef NOTIFY_H
#define NOTIFY_H

#include <stdint.h>

struct notice {
	const char	*action;	/* "block" or "unblock" */
	const char	*host;
	const char	*reason;
	const char	*mac;		/* NULL or "": none */
	const char	*sid;
	const char	*event;		/* the trigger line, without newline */
	int64_t		 until;		/* 0: never */
};

struct notify_stats {
	uint64_t	 run, failed, dropped, untold;
};

int	notify_init(const char *, const char *, const char *, int, char *,
	    size_t);
void	notify(const struct notice *);
void	notify_poll(void);
int	notify_next_ms(void);
void	notify_drain(int);
void	notify_getstats(struct notify_stats *);

#endif /* NOTIFY_H */
