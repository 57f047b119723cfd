/* a minimal TAP producer for the unit tests: ok N - what, not ok N - what */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_fail;

#define ok(cond, ...) do {						\
	int tap_c = !!(cond);						\
	tap_n++;							\
	if (!tap_c)							\
		tap_fail++;						\
	printf("%sok %d - ", tap_c ? "" : "not ", tap_n);		\
	printf(__VA_ARGS__);						\
	printf("\n");							\
	if (!tap_c)							\
		printf("#   at %s:%d: %s\n", __FILE__, __LINE__, #cond);	\
} while (0)

#define is_str(got, want, ...) do {					\
	const char *g_ = (got), *w_ = (want);				\
	int c_ = g_ != NULL && w_ != NULL && strcmp(g_, w_) == 0;	\
	ok(c_, __VA_ARGS__);						\
	if (!c_)							\
		printf("#   got  [%s]\n#   want [%s]\n",		\
		    g_ ? g_ : "(null)", w_ ? w_ : "(null)");		\
} while (0)

/* a number below n from the xorshift64 state *rng, for random runs */
static inline unsigned
tap_rnd(unsigned long long *rng, unsigned n)
{
	*rng ^= *rng << 13;
	*rng ^= *rng >> 7;
	*rng ^= *rng << 17;
	return (unsigned)(*rng % n);
}

static inline int
tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_fail != 0;
}

#endif /* TAP_H */
