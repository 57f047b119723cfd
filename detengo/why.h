/*
 * The evidence of each block, for --why: STATEFILE.why beside the state
 * file, appended to at each block and each lift.  The state file is
 * rewritten whole at every save; the evidence is written once, when
 * the block is made, and the file is rewritten only to drop what no
 * block needs any more (why_compact).
 *
 *	block HOST SINCE UNTIL REASON EVIDENCE
 *	line HOST SINCE EVENT-LINE	(at most WHY_LINES_MAX per block)
 *	lift HOST WHEN REASON
 */
#ifndef WHY_H
#define WHY_H

#include <stdint.h>
#include <stdio.h>

#include "state.h"

int	why_open(const char *);
void	why_block(const char *, int64_t, int64_t, const char *, const char *,
	    const char *);
void	why_lift(const char *, int64_t, const char *);
int	why_flush(void);
void	why_close(void);
int	why_compact(const char *, const struct state *);
int	why_show(const char *, const char *, const struct state_block *,
	    FILE *);

#endif /* WHY_H */
