/* driver of the firewall backends for tests/e2e_fw.sh; TAP self-test of the dry one */
#include <sys/socket.h>

#include <err.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "addr.h"
#include "bounds.h"
#include "log.h"
#include "fw/fw.h"
#include "hset.h"
#include "tap.h"

/* hosts one list can show: the self-test's largest set */
#define LIST_MAX	16384

static void
usage(void)
{
	fprintf(stderr, "usage: t_fw [-nI] [-b backend] [-c chain] [-p port,...] [-x secs] "
	    "[-w seconds] command [arg ...]\n"
	    "commands: add address ..., del address ..., list, flush, "
	    "shadowed,\n          bench count, selftest\n");
	exit(2);
}

static int
parse_ports(char *s, uint16_t *ports)
{
	char		*p, *end;
	long		 v;
	int		 n = 0;

	for (p = strtok(s, ","); p != NULL; p = strtok(NULL, ",")) {
		errno = 0;
		v = strtol(p, &end, 10);
		if (errno != 0 || *end != '\0' || v < 1 || v > 65535 ||
		    n == FW_PORTS_MAX)
			return -1;
		ports[n++] = (uint16_t)v;
	}
	return n;
}

static struct addr *
parse_hosts(int argc, char **argv)
{
	struct addr	*v;
	int		 i;

	if ((v = calloc(argc ? argc : 1, sizeof(*v))) == NULL)
		err(1, NULL);
	for (i = 0; i < argc; i++)
		if (addr_parse(argv[i], &v[i]) == -1)
			errx(1, "bad address: %s", argv[i]);
	return v;
}

static void
print_host(void *ctx, const struct addr *a, uint64_t pkts, uint64_t bytes,
    int64_t until, int64_t since)
{
	char	 s[ADDR_STRLEN];

	(void)ctx;
	(void)since;
	if (addr_fmt(a, s, sizeof(s)) == -1)
		strcpy(s, "?");
	printf("%s %llu %llu", s, (unsigned long long)pkts,
	    (unsigned long long)bytes);
	/* the seconds left, for backends that keep the time */
	if (until > 0)
		printf(" %lld", (long long)(until - time(NULL)));
	printf("\n");
}

/* what list reported, for the self-test */
struct seen {
	char	 s[LIST_MAX][ADDR_STRLEN];
	int	 n;
};

static void
collect(void *ctx, const struct addr *a, uint64_t pkts, uint64_t bytes,
    int64_t until, int64_t since)
{
	struct seen	*sn = ctx;

	(void)until;
	(void)since;
	if (sn->n < LIST_MAX && addr_fmt(a, sn->s[sn->n], ADDR_STRLEN) == 0 &&
	    pkts == 0 && bytes == 0)
		sn->n++;
}

static struct addr
mkaddr(const char *s)
{
	struct addr	 a;

	if (addr_parse(s, &a) == -1)
		errx(1, "bad address %s", s);
	return a;
}

/* the v6 host number i, 2001:db8:b::/64 (RFC 3849 documentation space) */
static struct addr
nth6(unsigned int i)
{
	struct addr	 a = mkaddr("2001:db8:b::");

	a.a[12] = (uint8_t)(i >> 24);
	a.a[13] = (uint8_t)(i >> 16);
	a.a[14] = (uint8_t)(i >> 8);
	a.a[15] = (uint8_t)i;
	return a;
}

static int
selftest(void)
{
	static struct seen	 sn;
	static const uint16_t	 two[] = { 25, 587 }, zero[] = { 0 },
				    dup[] = { 25, 25 };
	uint16_t		 many[FW_PORTS_MAX + 1];
	struct fw_conf		 conf;
	struct fw		*fw;
	struct addr		 h[4], *big, bad;
	struct hset		 set;
	struct hset_item		*hp;
	const char		*sh;
	char			 e[256];
	unsigned int		 i, okall;
	int			 r;

	memset(&conf, 0, sizeof(conf));
	conf.dry = 1;
	conf.ports = two;
	conf.nports = 2;
	fw = fw_open(&conf, e, sizeof(e));
	ok(fw != NULL, "dry backend opens");
	if (fw == NULL)
		return tap_done();

	h[0] = mkaddr("192.0.2.1");
	h[1] = mkaddr("198.51.100.2");
	h[2] = mkaddr("192.0.2.1");
	h[3] = mkaddr("2001:db8::25");
	r = fw_add(fw, h, NULL, 3);
	ok(r == 2, "add of 3 hosts, one twice, adds 2");
	r = fw_add(fw, h, NULL, 3);
	ok(r == 0, "adding them again adds nothing");
	sn.n = 0;
	r = fw_list(fw, collect, &sn);
	ok(r == 0 && sn.n == 2, "list shows 2 hosts");
	is_str(sn.s[0], "192.0.2.1", "list: first host in order");
	is_str(sn.s[1], "198.51.100.2", "list: second host in order");
	r = fw_add(fw, &h[3], NULL, 1);
	ok(r == 1, "IPv6 host added");
	memset(&bad, 0, sizeof(bad));
	bad.family = AF_UNIX;
	r = fw_add(fw, &bad, NULL, 1);
	ok(r == 0, "a host of no IP family is refused");
	r = fw_del(fw, &h[0], 1);
	ok(r == 1, "del removes a present host");
	r = fw_del(fw, &h[0], 1);
	ok(r == 0, "del of an absent host removes nothing");
	sn.n = 0;
	r = fw_list(fw, collect, &sn);
	ok(r == 0 && sn.n == 2, "list after del: 2 hosts");
	is_str(sn.s[0], "198.51.100.2", "list after del: the v4 host left");
	is_str(sn.s[1], "2001:db8::25", "list after del: the v6 host");
	sh = fw_shadowed(fw);
	ok(sh == NULL, "dry backend: nothing shadowed");
	r = fw_flush(fw);
	ok(r == 2, "flush removes 2 hosts");
	sn.n = 0;
	fw_list(fw, collect, &sn);
	ok(sn.n == 0, "list after flush: empty");

	/* 10,000 hosts, then half deleted, then all added again */
	if ((big = calloc(10000, sizeof(*big))) == NULL)
		err(1, NULL);
	for (i = 0; i < 10000; i++)
		big[i] = nth6(i);
	r = fw_add(fw, big, NULL, 10000);
	ok(r == 10000, "10000 hosts added");
	for (i = 0, okall = 1; i < 10000; i += 2)
		if (fw_del(fw, &big[i], 1) != 1)
			okall = 0;
	ok(okall, "every other host deleted one by one");
	r = fw_add(fw, big, NULL, 10000);
	ok(r == 5000, "adding all again adds the 5000 gone");
	sn.n = 0;
	fw_list(fw, collect, &sn);
	ok(sn.n == 10000, "list shows 10000 hosts");
	r = fw_flush(fw);
	ok(r == 10000, "flush of 10000");
	fw_close(fw);

	/* the set on its own: deletes, packing, lookups (more in t_hset) */
	r = hset_init(&set, 0);
	ok(r == 0, "set init");
	for (i = 0; i < 3000; i++)
		hset_put(&set, &big[i]);
	for (i = 0; i < 3000; i += 3)
		hset_del(&set, &big[i]);
	for (i = 3000; i < 6000; i++)
		hset_put(&set, &big[i]);
	for (i = 0, okall = 1; i < 6000; i++)
		if ((hset_get(&set, &big[i]) != NULL) != (i >= 3000 || i % 3))
			okall = 0;
	ok(okall, "set: 6000 inserts, 1000 deletes, every lookup right");
	ok(set.live == 5000, "set: 5000 live (got %zu)", set.live);
	hp = hset_put(&set, &bad);
	ok(hp == NULL, "set: refuses a non-IP key");
	hset_clear(&set);
	ok(set.live == 0 && hset_get(&set, &big[4000]) == NULL &&
	    hset_get(&set, &big[1]) == NULL, "set: cleared, nothing found");
	for (i = 0; i < 100; i++)
		hset_put(&set, &big[9000 + i]);
	ok(set.live == 100 && hset_get(&set, &big[9050]) != NULL &&
	    hset_get(&set, &big[50]) == NULL, "set: filled again after clear");
	hset_free(&set);
	free(big);

	/* configuration errors name what is wrong */
	conf.chain = "FORWARD";
	fw = fw_open(&conf, e, sizeof(e));
	ok(fw == NULL && strstr(e, "bad chain name") != NULL,
	    "chain FORWARD refused");
	conf.chain = "a-chain-name-of-29-characters";
	fw = fw_open(&conf, e, sizeof(e));
	ok(fw == NULL, "29-byte chain name refused");
	conf.chain = "DETENGO";
	conf.ports = zero;
	conf.nports = 1;
	fw = fw_open(&conf, e, sizeof(e));
	ok(fw == NULL && strstr(e, "port 0") != NULL, "port 0 refused");
	conf.ports = dup;
	conf.nports = 2;
	fw = fw_open(&conf, e, sizeof(e));
	ok(fw == NULL && strstr(e, "twice") != NULL,
	    "a port given twice refused");
	for (i = 0; i <= FW_PORTS_MAX; i++)
		many[i] = (uint16_t)(i + 1);
	conf.ports = many;
	conf.nports = FW_PORTS_MAX + 1;
	fw = fw_open(&conf, e, sizeof(e));
	ok(fw == NULL, "%d ports refused",
	    FW_PORTS_MAX + 1);
	conf.nports = FW_PORTS_MAX;
	fw = fw_open(&conf, e, sizeof(e));
	ok(fw != NULL, "%d ports accepted", FW_PORTS_MAX);
	fw_close(fw);

	/* the front door: backends by name, each with its own options */
	conf.nports = 1;
	conf.backend = "pf";
	fw = fw_open(&conf, e, sizeof(e));
	ok(fw == NULL && strstr(e, "iptc, ipset, nft") != NULL,
	    "an unknown backend refused, the known ones named");
	ok(!fw_backend_known("pf") && fw_backend_known("iptc") &&
	    fw_backend_known("nft") && fw_backend_known("ipset"),
	    "backends known by name");
	conf.backend = "nft";
	fw = fw_open(&conf, e, sizeof(e));
	ok(fw == NULL && strstr(e, "-c") != NULL,
	    "nft refuses a chain (-c): %s", e);
	conf.chain = NULL;
	conf.insert = 1;
	fw = fw_open(&conf, e, sizeof(e));
	ok(fw == NULL && strstr(e, "--insert") != NULL,
	    "nft refuses --insert: %s", e);
	conf.insert = 0;
	conf.chain = "DETENGO";
	conf.backend = NULL;
	fw = fw_open(&conf, e, sizeof(e));
	ok(fw != NULL && strcmp(fw_name(fw), "iptc") == 0 &&
	    strcmp(fw_where(fw), "DETENGO") == 0,
	    "iptc by default; blocks reported in its chain");
	ok(fw != NULL && (fw_caps(fw) & FW_CAN_EXPIRE) == 0,
	    "a dry run expires nothing in a kernel");
	fw_close(fw);
	/*
	 * A dry run standing for a backend that keeps a record and expires
	 * in the kernel has neither: detengo -n must save its state and
	 * list its table as for a backend without them
	 */
	conf.chain = NULL;
	for (i = 0; i < 2; i++) {
		conf.backend = i == 0 ? "nft" : "ipset";
		fw = fw_open(&conf, e, sizeof(e));
		ok(fw != NULL && strcmp(fw_name(fw), conf.backend) == 0 &&
		    (fw_caps(fw) & (FW_KEEPS | FW_CAN_EXPIRE)) == 0,
		    "-n -b %s: named %s, with the dry run's capabilities "
		    "(%#x)", conf.backend, conf.backend,
		    fw != NULL ? fw_caps(fw) : -1);
		fw_close(fw);
	}
	conf.chain = NULL;
	conf.backend = "iptc";
	fw = fw_open(&conf, e, sizeof(e));
	ok(fw != NULL && strcmp(fw_where(fw), "FORWARD") == 0,
	    "iptc without -c reports FORWARD");
	fw_close(fw);
	return tap_done();
}

static double
now(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int
main(int argc, char *argv[])
{
	static uint16_t	 ports[FW_PORTS_MAX];
	struct fw_conf	 conf;
	struct fw	*fw;
	struct addr	*hosts;
	const char	*cmd, *s;
	char		 e[256];
	double		 t0;
	long		 n, secs = 0;
	int64_t		*until = NULL;
	int		 ch, r;

	log_init("t_fw", 1);
	memset(&conf, 0, sizeof(conf));
	while ((ch = getopt(argc, argv, "b:c:Inp:w:x:")) != -1) {
		switch (ch) {
		case 'x':
			secs = atol(optarg);
			break;
		case 'b':
			conf.backend = optarg;
			break;
		case 'c':
			conf.chain = optarg;
			break;
		case 'I':
			conf.insert = 1;
			break;
		case 'n':
			conf.dry = 1;
			break;
		case 'p':
			if ((conf.nports = parse_ports(optarg, ports)) == -1)
				errx(2, "bad port list");
			conf.ports = ports;
			break;
		case 'w':
			conf.lockwait = atoi(optarg);
			break;
		default:
			usage();
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage();
	cmd = argv[0];
	argc--;
	argv++;
	if (strcmp(cmd, "selftest") == 0)
		return selftest();

	if ((fw = fw_open(&conf, e, sizeof(e))) == NULL)
		errx(1, "%s", e);
	r = 0;
	if (strcmp(cmd, "add") == 0 || strcmp(cmd, "del") == 0) {
		hosts = parse_hosts(argc, argv);
		if ((until = calloc(argc ? argc : 1, sizeof(*until))) == NULL)
			err(1, NULL);
		for (ch = 0; ch < argc; ch++)
			until[ch] = secs ? time(NULL) + secs : 0;
		if (cmd[0] == 'a')
			r = fw_add(fw, hosts, until, argc);
		else
			r = fw_del(fw, hosts, argc);
		if (r >= 0)
			printf("%s %d\n", cmd[0] == 'a' ? "added" : "deleted", r);
		free(hosts);
		free(until);
	} else if (strcmp(cmd, "list") == 0)
		r = fw_list(fw, print_host, NULL);
	else if (strcmp(cmd, "flush") == 0) {
		if ((r = fw_flush(fw)) >= 0)
			printf("flushed %d\n", r);
	} else if (strcmp(cmd, "shadowed") == 0)
		printf("%s\n", (s = fw_shadowed(fw)) ? s : "none");
	else if (strcmp(cmd, "bench") == 0 && argc == 1) {
		n = strtol(argv[0], NULL, 10);
		if (n < 1 || n > 1000000)
			errx(2, "bench: 1 to 1000000 hosts");
		if ((hosts = calloc(n, sizeof(*hosts))) == NULL)
			err(1, NULL);
		for (ch = 0; ch < n; ch++)
			hosts[ch] = nth6((unsigned int)ch + 1);
		t0 = now();
		r = fw_add(fw, hosts, NULL, n);
		printf("bench: %ld hosts in one add: %.3f s\n", n, now() - t0);
		if (r >= 0)
			printf("added %d\n", r);
		free(hosts);
	} else
		usage();
	fw_close(fw);
	return r < 0;
}
