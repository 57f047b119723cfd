/* an index from a key to an entry number of its owner's array */
#ifndef OIDX_H
#define OIDX_H

#include <stddef.h>
#include <stdint.h>

/* no entry */
#define OIDX_NONE	UINT32_MAX

/*
 * The owner keeps the entries, in an array of its own, and hashes their
 * keys; the index keeps their numbers and the low 32 bits of their
 * hashes, and asks the owner whether an entry has the key sought (eq)
 * only when the hashes agree.
 */
typedef int	oidx_eq_fn(const void *owner, uint32_t e, const void *key);

struct oidx_slot {
	uint32_t	 e1;		/* entry number + 1; 0 is free */
	uint32_t	 h;		/* the key's hash, its low 32 bits */
};

struct oidx {
	oidx_eq_fn	*eq;
	struct oidx_slot *slot;
	size_t		 nslot;		/* 0, or a power of two */
	size_t		 n;		/* entries indexed, at most nslot / 2 */
};

int		 oidx_init(struct oidx *, oidx_eq_fn *, size_t);
void		 oidx_free(struct oidx *);
void		 oidx_clear(struct oidx *);
uint32_t	 oidx_get(const struct oidx *, const void *, uint64_t,
		    const void *);
int		 oidx_add(struct oidx *, uint64_t, uint32_t);
uint32_t	 oidx_del(struct oidx *, const void *, uint64_t, const void *);
int		 oidx_move(struct oidx *, uint64_t, uint32_t, uint32_t);

#endif /* OIDX_H */
