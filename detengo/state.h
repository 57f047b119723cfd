/* detengo's state file: where it is in the log, and the hosts it blocked */
#ifndef STATE_H
#define STATE_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "bounds.h"
#include "oidx.h"

/* the first line of the file; a new layout gets a new number */
#define STATE_MAGIC	"detengo-state 1"

/* a place in the followed log */
struct logpos {
	uint64_t	dev, ino;	/* the log file followed */
	uint64_t	off;		/* bytes consumed: all before off was acted on */
	uint32_t	sum;		/* state_sum() of the sumlen bytes before off */
	uint32_t	sumlen;		/* at most TAIL_SUM_MAX, at most off */
};

struct state_block {
	struct addr	host;
	int64_t		since;		/* seconds since the epoch */
	int64_t		until;		/* 0: never expires */
};

struct state {
	int		 havepos;
	struct logpos	 pos;
	struct state_block *blocks;	/* malloc'd, nblocks used */
	size_t		 nblocks, cap;
	int64_t		 savedms;	/* the file's mtime, ms; 0: no file */
	/* private: an index of blocks by host, kept by state_add/state_del */
	struct oidx	 ix;
	uint64_t	 key[2];	/* hash_sip()'s */
};

int		 state_load(const char *, struct state *, char *, size_t);
int		 state_save(const char *, const struct state *);
int		 state_add(struct state *, const struct addr *, int64_t,
		    int64_t);
int		 state_del(struct state *, const struct addr *);
struct state_block *state_find(const struct state *, const struct addr *);
void		 state_free(struct state *);
int		 state_lock(const char *);
long		 state_lock_holder(const char *);
uint32_t	 state_sum(const void *, size_t);

#endif /* STATE_H */
