/* follow the event log like tail -F (libinotifytools), or read standard input */
#ifndef TAIL_H
#define TAIL_H

#include <stddef.h>

#include "state.h"

/* tail_next() on standard input after its end */
#define TAIL_EOF	(-2)
/* tail_next(): no line yet, but more to read now: call again at once */
#define TAIL_MORE	(-3)

/* flags of a line passed: a line with any of them must not be acted on */
#define TAIL_OVERLONG	0x1	/* over EVENT_LINE_MAX: cut */
#define TAIL_NO_NEWLINE	0x2	/* standard input ended inside it */

struct tail;

/*
 * Open PATH, or standard input for "-" (no position, no inotify).  The
 * start, from the first rule that applies:
 *  (a) resume names the file PATH names (dev, ino) and the sumlen bytes
 *      before resume->off still give resume->sum: start at off;
 *  (b) same file, but shorter than off or the check fails: it was truncated
 *      while we were away.  If PATH.1 holds the same bytes before off (the
 *      copy copytruncate made), read PATH.1 from off first; then PATH from 0;
 *  (c) another file: if PATH.1 is the file of resume (logrotate's rename)
 *      and the check holds, read PATH.1 from off first; then PATH from 0;
 *  (d) no resume: PATH from 0 if fromstart, else from its end (from the
 *      start of its last line if that line has no newline yet);
 * a file that does not exist yet is waited for and read from 0.
 * One tail at a time per process (libinotifytools keeps global state).
 * NULL with errno on error: EBUSY (another tail is open), ENOENT (no such
 * directory), EINVAL (PATH is there but no regular file: a directory, a
 * FIFO, a device), ENOMEM, or what inotify reported.  Once open, PATH
 * turning into something else than a regular file is no error: it is
 * said once, and a regular file is waited for there, as tail -F does.
 */
struct tail	*tail_open(const char *, const struct logpos *, int);

/* what an errno of tail_open() or tail_next() means, for a message */
const char	*tail_why(int);

/*
 * Wait up to timeout_ms (0: not at all, -1: for ever) for complete lines,
 * and call line(ctx, p, len, flags) for each, in order: p holds the
 * line without its newline; a line longer than EVENT_LINE_MAX is passed
 * as its first EVENT_LINE_MAX + 1 bytes with TAIL_OVERLONG in flags.  p is
 * valid only during the call; tail_getpos() there already counts the
 * line.  Bytes are passed as they are (NULs included).  A last line
 * without its newline is held back; at the end of standard input it is
 * passed with TAIL_NO_NEWLINE, only to be counted: it is most likely half
 * a line, left by a writer killed in its middle (capturo-events(5):
 * readers take whole lines only).  Returns the number of lines passed, 0
 * on timeout or when a signal interrupted the wait, -1 on error (errno),
 * TAIL_EOF once standard input has ended.  One call reads at most
 * TAIL_READS_MAX buffers; when they held no complete line (a long line)
 * and the file goes on, it returns TAIL_MORE at once instead of waiting.
 * After tail_fd() polls readable, call tail_next(t, 0, ...) until it
 * returns 0: only 0 says that the file was read to its end.
 */
int		 tail_next(struct tail *, int,
		    void (*)(void *, const char *, size_t, int), void *);

/*
 * A descriptor whose being readable ends tail_next()'s wait as a signal
 * would (the read end of a self-pipe that the signal handlers write), or
 * -1.  tail_next() never reads it.  Without /proc (libinotifytools' own
 * wait) it is not watched.
 */
void		 tail_wake(struct tail *, int);

/* the position just after the last line passed (all zero on stdin) */
void		 tail_getpos(const struct tail *, struct logpos *);

/* a descriptor that polls readable when tail_next() has work, or -1 */
int		 tail_fd(const struct tail *);

void		 tail_close(struct tail *);

#endif /* TAIL_H */
