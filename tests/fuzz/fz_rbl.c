/* fuzz capturo/rbl.c: the enhanced status code and the blocklist of a refusal's text */

#include <sys/socket.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "addr.h"
#include "bounds.h"
#include "rbl.h"
#include "fuzz.h"

/*
 * Input: the reply text, whole (lines joined by LF, with or without
 * their codes); the seeds are real refusals.
 *
 * Checks: the answer is 0 or 1; each field is NUL-terminated within
 * its array (the struct is filled with junk first); zone is set iff
 * the answer is 1, and is a DNS name in lower case (letters, digits,
 * inner hyphens, at least two labels of at most 63 bytes, shorter than
 * RBL_ZONE_MAX); addr is set only with a zone, and reads back through
 * addr_parse() and addr_fmt() as itself, IPv4-mapped ones as IPv4;
 * naddr is 0, 1 or 2, and at least 1 when addr is set; esc has RFC
 * 3463's shape and is in the text.  The same text gives the same
 * answer twice, the same in upper case, and the same past
 * RBL_TEXT_MAX as cut there.
 */

static void
check_zone(const char *z)
{
	size_t	 i, l = 0, labels = 1, n = strlen(z);

	FZ_CHECK(n > 0 && n < RBL_ZONE_MAX, "zone of %zu bytes", n);
	FZ_CHECK(z[0] != '.' && z[n - 1] != '.' && z[n - 1] != '-',
	    "zone [%s]: a dot or hyphen at an end", z);
	for (i = 0; i < n; i++) {
		if (z[i] == '.') {
			FZ_CHECK(l > 0 && z[i - 1] != '-',
			    "zone [%s]: empty label or one ending in -", z);
			labels++;
			l = 0;
			continue;
		}
		FZ_CHECK((z[i] >= 'a' && z[i] <= 'z') ||
		    (z[i] >= '0' && z[i] <= '9') || z[i] == '-',
		    "zone [%s]: byte 0x%02x", z, (unsigned char)z[i]);
		FZ_CHECK(l > 0 || z[i] != '-', "zone [%s]: label starts with -",
		    z);
		l++;
		FZ_CHECK(l <= 63, "zone [%s]: a label over 63 bytes", z);
	}
	FZ_CHECK(labels >= 2, "zone [%s]: one label", z);
}

/* RFC 3463 2: class "." subject "." detail, 2/4/5, then 1-3 digits each */
static void
check_esc(const char *e)
{
	size_t	 i = 0, k, part;

	if (e[0] == '\0')
		return;
	FZ_CHECK(e[0] == '2' || e[0] == '4' || e[0] == '5', "esc [%s]", e);
	FZ_CHECK(e[1] == '.', "esc [%s]", e);
	i = 2;
	for (part = 0; part < 2; part++) {
		for (k = 0; e[i] >= '0' && e[i] <= '9'; i++)
			k++;
		FZ_CHECK(k >= 1 && k <= 3, "esc [%s]: a part of %zu digits",
		    e, k);
		if (part == 0) {
			FZ_CHECK(e[i] == '.', "esc [%s]", e);
			i++;
		}
	}
	FZ_CHECK(e[i] == '\0', "esc [%s]: trailing bytes", e);
}

static int
run(const uint8_t *data, size_t size, struct rbl *r)
{
	char	*copy;
	int	 ret;

	/* exactly size bytes, so that a read past them is seen */
	if ((copy = malloc(size ? size : 1)) == NULL)
		abort();
	if (size > 0)
		memcpy(copy, data, size);
	memset(r, 0xa5, sizeof(*r));
	ret = rbl_parse(copy, size, r);
	free(copy);
	return ret;
}

static void
same(const struct rbl *a, int ra, const struct rbl *b, int rb,
    const char *how)
{
	FZ_CHECK(ra == rb && strcmp(a->zone, b->zone) == 0 &&
	    strcmp(a->addr, b->addr) == 0 && strcmp(a->esc, b->esc) == 0 &&
	    a->naddr == b->naddr, "%s: %d [%s] [%s] [%s] %d, then %d [%s] "
	    "[%s] [%s] %d", how, ra, a->zone, a->addr, a->esc, a->naddr, rb,
	    b->zone, b->addr, b->esc, b->naddr);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct rbl	 r, r2;
	struct addr	 a;
	char		 back[ADDR_STRLEN];
	uint8_t		*up;
	size_t		 i;
	int		 ret, ret2;

	ret = run(data, size, &r);
	FZ_CHECK(ret == 0 || ret == 1, "returned %d", ret);
	FZ_CHECK(memchr(r.esc, '\0', sizeof(r.esc)) != NULL, "esc unended");
	FZ_CHECK(memchr(r.zone, '\0', sizeof(r.zone)) != NULL,
	    "zone unended");
	FZ_CHECK(memchr(r.addr, '\0', sizeof(r.addr)) != NULL,
	    "addr unended");
	FZ_CHECK((r.zone[0] != '\0') == (ret == 1), "returned %d, zone [%s]",
	    ret, r.zone);
	FZ_CHECK(r.naddr >= 0 && r.naddr <= 2, "naddr %d", r.naddr);
	if (ret == 1)
		check_zone(r.zone);
	if (r.addr[0] != '\0') {
		FZ_CHECK(ret == 1, "addr [%s] without a zone", r.addr);
		FZ_CHECK(r.naddr >= 1, "addr [%s] but naddr %d", r.addr,
		    r.naddr);
		FZ_CHECK(addr_parse(r.addr, &a) == 0, "addr [%s] does not "
		    "parse", r.addr);
		FZ_CHECK(addr_fmt(&a, back, sizeof(back)) == 0 &&
		    strcmp(back, r.addr) == 0, "addr [%s] formats as [%s]",
		    r.addr, back);
		if (a.family == AF_INET6)
			FZ_CHECK(strncmp(r.addr, "::ffff:", 7) != 0 ||
			    strchr(r.addr, '.') == NULL,
			    "addr [%s]: a mapped IPv4 address", r.addr);
	}
	check_esc(r.esc);
	if (r.esc[0] != '\0')
		FZ_CHECK(memmem(data, size, r.esc, strlen(r.esc)) != NULL,
		    "esc [%s] is not in the text", r.esc);

	ret2 = run(data, size, &r2);
	same(&r, ret, &r2, ret2, "twice");

	if (size > RBL_TEXT_MAX) {
		ret2 = run(data, RBL_TEXT_MAX, &r2);
		same(&r, ret, &r2, ret2, "cut at RBL_TEXT_MAX");
	}

	if ((up = malloc(size ? size : 1)) == NULL)
		abort();
	for (i = 0; i < size; i++)
		up[i] = data[i] >= 'a' && data[i] <= 'z' ?
		    (uint8_t)(data[i] - 'a' + 'A') : data[i];
	ret2 = run(up, size, &r2);
	free(up);
	same(&r, ret, &r2, ret2, "in upper case");
	return 0;
}
