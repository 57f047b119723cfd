/* what every fuzz target shares: the libFuzzer entry point, checks, an input reader */
#ifndef FUZZ_H
#define FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

/* called by libFuzzer, or by onefile.c for a replay */
int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/*
 * An invariant that failed is a finding like a crash: say which and
 * abort(), so that libFuzzer saves the input as a crash- file.
 */
#define FZ_CHECK(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "%s:%d: invariant failed: %s: ",	\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
		abort();						\
	}								\
} while (0)

/* the input read from the front, as bytes and small numbers; 0 past its end */
struct fz_in {
	const uint8_t	*p;
	size_t		 len;
};

static inline int
fz_left(const struct fz_in *in)
{
	return in->len > 0;
}

static inline uint8_t
fz_u8(struct fz_in *in)
{
	uint8_t	 c;

	if (in->len == 0)
		return 0;
	c = in->p[0];
	in->p++;
	in->len--;
	return c;
}

static inline uint16_t
fz_u16(struct fz_in *in)
{
	uint16_t v = fz_u8(in);

	return (uint16_t)(v << 8 | fz_u8(in));
}

static inline uint32_t
fz_u32(struct fz_in *in)
{
	uint32_t v = fz_u16(in);

	return v << 16 | fz_u16(in);
}

/* up to n bytes in place; *got says how many there were */
static inline const uint8_t *
fz_bytes(struct fz_in *in, size_t n, size_t *got)
{
	const uint8_t	*p = in->p;

	if (n > in->len)
		n = in->len;
	in->p += n;
	in->len -= n;
	*got = n;
	return p;
}

#endif /* FUZZ_H */
