/* unit tests of numeric addresses, host:port and prefixes */
#include <sys/socket.h>
#include <arpa/inet.h>

#include <errno.h>

#include "addr.h"
#include "tap.h"

static int
hp(const char *s, const char *want_host, unsigned want_port)
{
	struct addr	 a;
	uint16_t	 port;
	char		 buf[HOSTPORT_STRLEN], h[ADDR_STRLEN];

	if (addr_parse_hostport(s, strlen(s), &a, &port) == -1)
		return want_host == NULL;
	if (want_host == NULL)
		return 0;
	addr_fmt(&a, h, sizeof(h));
	addr_fmt_hostport(&a, port, buf, sizeof(buf));
	return strcmp(h, want_host) == 0 && port == want_port &&
	    strcmp(buf, s) == 0;
}

static int
in(const char *cidr, const char *host)
{
	struct cidr	 c;
	struct addr	 a;

	if (cidr_parse(cidr, &c) == -1 || addr_parse(host, &a) == -1)
		return -1;
	return cidr_match(&c, &a);
}

/*
 * addr_fmt against inet_ntop(3): every value of each octet, random
 * addresses, and every buffer length from 0 to the one needed.
 */
static int
fmt_v4(void)
{
	unsigned long long	 rng = 0x9e3779b97f4a7c15ULL;
	struct addr		 a;
	char			 got[ADDR_STRLEN], want[ADDR_STRLEN];
	size_t			 l, need;
	int			 i, k;

	memset(&a, 0, sizeof(a));
	a.family = AF_INET;
	for (i = 0; i < 256 * 4 + 100000; i++) {
		if (i < 256 * 4) {
			memset(a.a, 0, 4);
			a.a[i / 256] = (uint8_t)i;
		} else
			for (k = 0; k < 4; k++)
				a.a[k] = (uint8_t)tap_rnd(&rng, 256);
		if (inet_ntop(AF_INET, a.a, want, sizeof(want)) == NULL ||
		    addr_fmt(&a, got, sizeof(got)) == -1 ||
		    strcmp(got, want) != 0) {
			printf("# %s: got %s\n", want, got);
			return 0;
		}
		need = strlen(want) + 1;
		for (l = 0; l <= need; l++) {
			memset(got, 'x', sizeof(got));
			errno = 0;
			if ((addr_fmt(&a, got, l) == 0) != (l == need) ||
			    (l < need && (got[0] != 'x' || errno != ENOSPC))) {
				printf("# %s: length %zu\n", want, l);
				return 0;
			}
		}
	}
	return 1;
}

static int
special(const char *s)
{
	struct addr	 a;

	return addr_parse(s, &a) == 0 && addr_special(&a);
}

int
main(void)
{
	struct addr	 a;
	struct cidr	 c;

	ok(hp("198.51.100.10:43712", "198.51.100.10", 43712), "v4 host:port");
	ok(hp("[2001:db8:1::10]:40000", "2001:db8:1::10", 40000),
	    "v6 [host]:port");
	ok(hp("1.2.3.4:65536", NULL, 0), "port over 65535");
	ok(hp("1.2.3.4:", NULL, 0), "no port");
	ok(hp("1.2.3.4:+5", NULL, 0), "signed port");
	ok(hp("1.2.3.4", NULL, 0), "no colon");
	ok(hp("2001:db8::1:25", NULL, 0), "v6 without brackets");
	ok(hp("[1.2.3.4]:25", NULL, 0), "v4 in brackets");
	ok(hp("example.org:25", NULL, 0), "a name is never looked up");
	ok(hp("1.2.3.4 :25", NULL, 0), "space");
	ok(hp("01.2.3.4:25", NULL, 0), "leading zero octet");
	ok(addr_parse_hostport("1.2.3.4:25\0x", 12, &a, NULL) == -1,
	    "NUL inside");
	ok(hp("[1111:2222:3333:4444:5555:6666:7777:8888:99999999]:1", NULL, 0),
	    "brackets holding more than an address refused, no overflow");
	ok(addr_parse("192.0.2.300", &a) == -1, "octet over 255");
	ok(addr_parse("2001:db8::1", &a) == 0 && a.family == AF_INET6,
	    "v6 parse");

	ok(in("192.0.2.0/24", "192.0.2.77") == 1, "in /24");
	ok(in("192.0.2.0/24", "192.0.3.1") == 0, "out of /24");
	ok(in("192.0.2.1/24", "192.0.2.200") == 1, "host bits ignored");
	ok(in("198.51.100.10", "198.51.100.10") == 1, "bare host");
	ok(in("198.51.100.10", "198.51.100.11") == 0, "bare host, other");
	ok(in("2001:db8::/32", "2001:db8:1::10") == 1, "in v6 /32");
	ok(in("2001:db8::/33", "2001:db8:8000::1") == 0, "out of v6 /33");
	ok(in("0.0.0.0/0", "203.0.113.1") == 1, "/0 matches all v4");
	ok(in("0.0.0.0/0", "2001:db8::1") == 0, "families never mix");
	ok(in("192.0.2.0/25", "192.0.2.128") == 0, "odd prefix");
	ok(cidr_parse("192.0.2.0/33", &c) == -1, "v4 prefix over 32");
	ok(cidr_parse("192.0.2.0/", &c) == -1, "empty prefix");
	ok(cidr_parse("192.0.2.0/2a", &c) == -1, "junk prefix");
	ok(cidr_parse("2001:db8::/129", &c) == -1, "v6 prefix over 128");

	ok(special("127.0.0.1") && special("0.0.0.0") &&
	    special("255.255.255.255") && special("224.0.0.1") &&
	    special("::1") && special("::") && special("ff02::1") &&
	    special("::ffff:127.0.0.1"), "never-block addresses");
	ok(!special("198.51.100.10") && !special("2001:db8::1") &&
	    !special("::ffff:198.51.100.10"), "ordinary hosts");
	ok(fmt_v4(), "IPv4 formatted as inet_ntop does, short buffers refused");
	return tap_done();
}
