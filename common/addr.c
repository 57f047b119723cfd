/* numeric addresses: parsing with inet_pton(3) only, formatting, prefixes */
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "ascii.h"

/* a numeric IPv4 or IPv6 address; nothing is ever looked up */
int
addr_parse(const char *s, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (strchr(s, ':') != NULL) {
		if (inet_pton(AF_INET6, s, a->a) != 1)
			return -1;
		a->family = AF_INET6;
		return 0;
	}
	if (inet_pton(AF_INET, s, a->a) != 1)
		return -1;
	a->family = AF_INET;
	return 0;
}

/* "192.0.2.1:25" or "[2001:db8::1]:25", exactly len bytes */
int
addr_parse_hostport(const char *s, size_t len, struct addr *a, uint16_t *port)
{
	char		 host[ADDR_STRLEN];
	const char	*p, *colon;
	size_t		 hl;
	unsigned long	 v;

	if (len == 0 || len >= HOSTPORT_STRLEN || memchr(s, '\0', len))
		return -1;
	if (s[0] == '[') {
		if ((p = memchr(s, ']', len)) == NULL || p + 1 >= s + len ||
		    p[1] != ':')
			return -1;
		hl = p - s - 1;
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (strchr(host, ':') == NULL)
			return -1;
		colon = p + 1;
	} else {
		for (colon = s + len - 1; colon > s && *colon != ':'; colon--)
			;
		if (*colon != ':')
			return -1;
		hl = colon - s;
		if (hl >= sizeof(host))
			return -1;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (strchr(host, ':') != NULL)
			return -1;
	}
	/* the port: 1 to 5 digits, 0..65535, no sign, no leading junk */
	p = colon + 1;
	if (p >= s + len || s + len - p > 5)
		return -1;
	for (v = 0; p < s + len; p++) {
		if (*p < '0' || *p > '9')
			return -1;
		v = v * 10 + (unsigned long)(*p - '0');
	}
	if (v > 65535)
		return -1;
	if (addr_parse(host, a) == -1)
		return -1;
	if (port != NULL)
		*port = (uint16_t)v;
	return 0;
}

/*
 * IPv4 by hand: inet_ntop(3) formats it with sprintf, which was a fifth
 * of detengo's instructions in a burst of 100,000 blocks (a report line
 * and a state line each).  IPv6 through inet_ntop, for its zero
 * compression.  A buffer too short: -1 and ENOSPC, as inet_ntop.
 */
int
addr_fmt(const struct addr *a, char *buf, size_t len)
{
	char	 b[16], *p = b;
	int	 i;

	if (a->family != AF_INET) {
		if (inet_ntop(a->family, a->a, buf, len) == NULL)
			return -1;
		return 0;
	}
	for (i = 0; i < 4; i++) {
		p += ascii_dec(p, a->a[i]);
		*p++ = '.';
	}
	p[-1] = '\0';
	if ((size_t)(p - b) > len) {
		errno = ENOSPC;
		return -1;
	}
	memcpy(buf, b, (size_t)(p - b));
	return 0;
}

int
addr_fmt_hostport(const struct addr *a, uint16_t port, char *buf, size_t len)
{
	char	 h[ADDR_STRLEN];
	int	 n;

	if (addr_fmt(a, h, sizeof(h)) == -1)
		return -1;
	if (a->family == AF_INET6)
		n = snprintf(buf, len, "[%s]:%u", h, port);
	else
		n = snprintf(buf, len, "%s:%u", h, port);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/*
 * A copy with only the bytes of its family kept and the rest zero, so
 * that two copies of one address compare and hash as whole structs;
 * -1 for a family that is neither AF_INET nor AF_INET6.
 */
int
addr_norm(const struct addr *in, struct addr *out)
{
	memset(out, 0, sizeof(*out));
	if (in->family == AF_INET)
		memcpy(out->a, in->a, 4);
	else if (in->family == AF_INET6)
		memcpy(out->a, in->a, 16);
	else
		return -1;
	out->family = in->family;
	return 0;
}

int
addr_eq(const struct addr *x, const struct addr *y)
{
	size_t	 n = x->family == AF_INET ? 4 : 16;

	return x->family == y->family && memcmp(x->a, y->a, n) == 0;
}

/* "192.0.2.0/24", "2001:db8::/32" or a bare address (a host prefix) */
int
cidr_parse(const char *s, struct cidr *c)
{
	char		 buf[ADDR_STRLEN + 5];
	char		*slash;
	int		 max, plen, i;
	const char	*p;

	if (strlen(s) >= sizeof(buf))
		return -1;
	strcpy(buf, s);
	if ((slash = strchr(buf, '/')) != NULL)
		*slash = '\0';
	if (addr_parse(buf, &c->addr) == -1)
		return -1;
	max = c->addr.family == AF_INET ? 32 : 128;
	plen = max;
	if (slash != NULL) {
		p = slash + 1;
		if (*p == '\0' || strlen(p) > 3)
			return -1;
		for (plen = 0; *p; p++) {
			if (*p < '0' || *p > '9')
				return -1;
			plen = plen * 10 + (*p - '0');
		}
		if (plen > max)
			return -1;
	}
	c->plen = plen;
	for (i = 0; i < max / 8; i++) {
		if (i * 8 >= plen)
			c->addr.a[i] = 0;
		else if (i * 8 + 8 > plen)
			c->addr.a[i] &= (uint8_t)(0xff << (8 - (plen - i * 8)));
	}
	return 0;
}

int
cidr_match(const struct cidr *c, const struct addr *a)
{
	int	 full = c->plen / 8, rest = c->plen % 8;
	uint8_t	 mask;

	if (c->addr.family != a->family)
		return 0;
	if (memcmp(c->addr.a, a->a, full) != 0)
		return 0;
	if (rest == 0)
		return 1;
	mask = (uint8_t)(0xff << (8 - rest));
	return (c->addr.a[full] & mask) == (a->a[full] & mask);
}

/*
 * An IPv4-mapped IPv6 address (::ffff:a.b.c.d, RFC 4291 2.5.5.2) as the
 * IPv4 address it names; any other address as it is.
 */
void
addr_unmap(const struct addr *in, struct addr *out)
{
	static const uint8_t prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	    0xff, 0xff };

	*out = *in;
	if (in->family != AF_INET6 || memcmp(in->a, prefix, 12) != 0)
		return;
	memset(out, 0, sizeof(*out));
	out->family = AF_INET;
	memcpy(out->a, in->a + 12, 4);
}

/* the same for a prefix within ::ffff:0:0/96 */
void
cidr_unmap(struct cidr *c)
{
	struct addr	 a;

	addr_unmap(&c->addr, &a);
	if (a.family == AF_INET && c->addr.family == AF_INET6 &&
	    c->plen >= 96) {
		c->addr = a;
		c->plen -= 96;
	}
}

/*
 * Addresses that never name one blockable host: unspecified,
 * loopback, multicast, limited broadcast, IPv4-mapped loopback.
 */
int
addr_special(const struct addr *a)
{
	static const uint8_t zero[16];
	const uint8_t	*p = a->a;

	if (a->family == AF_INET)
		return p[0] == 0 || p[0] == 127 || (p[0] & 0xf0) == 0xe0 ||
		    (p[0] == 255 && p[1] == 255 && p[2] == 255 && p[3] == 255);
	if (memcmp(p, zero, 15) == 0 && (p[15] == 0 || p[15] == 1))
		return 1;
	if (p[0] == 0xff)
		return 1;
	if (memcmp(p, zero, 10) == 0 && p[10] == 0xff && p[11] == 0xff)
		return p[12] == 0 || p[12] == 127 || (p[12] & 0xf0) == 0xe0 ||
		    (p[12] == 255 && p[13] == 255 && p[14] == 255 &&
		    p[15] == 255);
	return 0;
}
