/* a set of hosts keyed by address, with a few words for its owner */
#ifndef HSET_H
#define HSET_H

#include <stddef.h>
#include <stdint.h>

#include "addr.h"
#include "oidx.h"

struct hset_item {
	struct addr	 addr;		/* family 0: a deleted item */
	uint64_t	 v[4];		/* the owner's: counters, times, bits */
};

struct hset {
	struct hset_item *v;		/* in insertion order */
	size_t		 n;		/* used items of v, deleted ones included */
	size_t		 cap;
	size_t		 live;
	struct oidx	 ix;		/* the live items of v by address */
	uint64_t	 key[2];		/* hash_sip()'s */
};

int		 hset_init(struct hset *, size_t);
void		 hset_free(struct hset *);
void		 hset_clear(struct hset *);
struct hset_item *hset_get(const struct hset *, const struct addr *);
/* the item of this host, made with v zeroed if new; NULL and errno */
struct hset_item *hset_put(struct hset *, const struct addr *);
int		 hset_del(struct hset *, const struct addr *);

#endif /* HSET_H */
