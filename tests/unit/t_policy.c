/* unit tests of detengo's decisions: triggers, thresholds, allow lists */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "bounds.h"
#include "policy.h"
#include "tap.h"

static struct addr
A(const char *s)
{
	struct addr	 a;

	if (addr_parse(s, &a) == -1)
		abort();
	return a;
}

static enum policy_verdict
decide(struct policy *p, const char *ev, const char *host, int64_t t, int b)
{
	struct addr	 a = A(host);

	return policy_decide(p, ev, &a, t, b);
}

int
main(void)
{
	struct policy_conf c = { 1, 1, 0 };
	struct policy	*p;
	struct cidr	 cidr;
	unsigned	 n, w, mask;
	char		 path[] = "/tmp/t_policy.XXXXXX", err[256];
	FILE		*f;
	int		 fd, i, blocked;

	ok(policy_parse_triggers("mail", &mask) == 0 &&
	    mask == policy_trigger("mail"), "trigger list: mail");
	ok(policy_parse_triggers("mail,rcpt,starttls,connect", &mask) == 0 &&
	    mask == (policy_trigger("mail") | policy_trigger("rcpt") |
	    policy_trigger("starttls") | policy_trigger("connect")),
	    "trigger list of four");
	ok(policy_parse_triggers("mail,,", &mask) == 0, "empty items skipped");
	ok(policy_parse_triggers("mail,block", &mask) == -1,
	    "block is no trigger");
	ok(policy_parse_triggers("", &mask) == -1, "empty list refused");
	ok(policy_parse_threshold("3/60", &n, &w) == 0 && n == 3 && w == 60,
	    "threshold 3/60");
	ok(policy_parse_threshold("0/60", &n, &w) == -1, "threshold 0 refused");
	ok(policy_parse_threshold("65/60", &n, &w) == -1,
	    "threshold over POLICY_COUNT_MAX refused");
	ok(policy_parse_threshold("3/0", &n, &w) == -1, "window 0 refused");
	ok(policy_parse_threshold("3/60x", &n, &w) == -1, "junk refused");
	ok(policy_parse_threshold("-3/60", &n, &w) == -1, "sign refused");
	ok(policy_parse_threshold("3", &n, &w) == -1, "no window refused");

	/* the default: the first mail blocks */
	policy_parse_triggers("mail", &c.triggers);
	p = policy_new(&c);
	ok(decide(p, "mail", "198.51.100.10", 100, 0) == POLICY_BLOCK,
	    "first mail blocks");
	ok(decide(p, "rcpt", "198.51.100.11", 100, 0) == POLICY_IGNORE,
	    "rcpt is not a trigger by default");
	ok(decide(p, "connect", "198.51.100.11", 100, 0) == POLICY_IGNORE,
	    "connect is not a trigger by default");
	ok(decide(p, "mail", "198.51.100.10", 101, 1) == POLICY_ALREADY,
	    "a blocked host: already");
	ok(decide(p, "mail", "127.0.0.1", 100, 0) == POLICY_ALLOWED &&
	    decide(p, "mail", "0.0.0.0", 100, 0) == POLICY_ALLOWED &&
	    decide(p, "mail", "255.255.255.255", 100, 0) == POLICY_ALLOWED &&
	    decide(p, "mail", "224.0.0.251", 100, 0) == POLICY_ALLOWED &&
	    decide(p, "mail", "::1", 100, 0) == POLICY_ALLOWED &&
	    decide(p, "mail", "ff02::1", 100, 0) == POLICY_ALLOWED,
	    "loopback, unspecified, broadcast, multicast never blocked");
	cidr_parse("198.51.100.25", &cidr);
	policy_allow(p, &cidr, 1);
	cidr_parse("2001:db8:25::/48", &cidr);
	policy_allow(p, &cidr, 1);
	ok(decide(p, "mail", "198.51.100.25", 100, 0) == POLICY_ALLOWED,
	    "-a host allowed");
	ok(decide(p, "mail", "198.51.100.26", 100, 0) == POLICY_BLOCK,
	    "its neighbour is not");
	ok(decide(p, "mail", "2001:db8:25:1::9", 100, 0) == POLICY_ALLOWED,
	    "-a v6 prefix allowed");
	ok(decide(p, "mail", "2001:db8:26::9", 100, 0) == POLICY_BLOCK,
	    "v6 outside the prefix blocked");

	/* the allow file */
	fd = mkstemp(path);
	f = fdopen(fd, "w");
	fprintf(f, "# the company's mail server\n  192.0.2.25  # smtp\n\n"
	    "192.0.2.128/25\n\t2001:db8:99::/64\r\n");
	fclose(f);
	ok(policy_allow_file(p, path, err, sizeof(err)) == 0,
	    "allow file read (%s)", err);
	ok(decide(p, "mail", "192.0.2.25", 100, 0) == POLICY_ALLOWED &&
	    decide(p, "mail", "192.0.2.200", 100, 0) == POLICY_ALLOWED &&
	    decide(p, "mail", "2001:db8:99::1", 100, 0) == POLICY_ALLOWED,
	    "allow file entries");
	ok(decide(p, "mail", "192.0.2.26", 100, 0) == POLICY_BLOCK,
	    "outside the allow file");
	policy_allow_reset(p);
	ok(decide(p, "mail", "192.0.2.25", 100, 0) == POLICY_BLOCK &&
	    decide(p, "mail", "198.51.100.25", 100, 0) == POLICY_ALLOWED,
	    "reset forgets the file, keeps -a");
	f = fopen(path, "w");
	fprintf(f, "192.0.2.25\n192.0.2.300\n");
	fclose(f);
	err[0] = '\0';
	ok(policy_allow_file(p, path, err, sizeof(err)) == -1 &&
	    strstr(err, ":2:") != NULL, "a bad line named: %s", err);
	ok(decide(p, "mail", "192.0.2.25", 100, 0) == POLICY_BLOCK,
	    "a bad file keeps nothing of it");
	f = fopen(path, "w");
	fprintf(f, "192.0.2.25\n");
	fclose(f);
	policy_allow_file(p, path, err, sizeof(err));
	ok(policy_allow(p, &cidr, 1) == -1,
	    "no fixed prefix after the file's entries");
	unlink(path);
	ok(policy_allow_file(p, path, err, sizeof(err)) == -1,
	    "a missing allow file is an error: %s", err);
	policy_free(p);

	/* thresholds: 3 mails within 60 s */
	c.count = 3;
	c.window = 60;
	policy_parse_triggers("mail,rcpt", &c.triggers);
	p = policy_new(&c);
	ok(decide(p, "mail", "198.51.100.10", 1000, 0) == POLICY_THRESHOLD,
	    "3/60: first counts");
	ok(decide(p, "rcpt", "198.51.100.10", 1010, 0) == POLICY_THRESHOLD,
	    "3/60: second counts");
	ok(decide(p, "mail", "198.51.100.11", 1010, 0) == POLICY_THRESHOLD,
	    "3/60: another host counts apart");
	ok(decide(p, "message", "198.51.100.10", 1011, 0) == POLICY_IGNORE,
	    "3/60: message is not a trigger here");
	ok(decide(p, "mail", "198.51.100.10", 1059, 0) == POLICY_BLOCK,
	    "3/60: third within 60 s blocks");
	ok(decide(p, "mail", "198.51.100.11", 1080, 0) == POLICY_THRESHOLD &&
	    decide(p, "mail", "198.51.100.11", 1100, 0) == POLICY_THRESHOLD,
	    "3/60: events spread wider than the window never block");
	ok(decide(p, "mail", "198.51.100.11", 1101, 0) == POLICY_BLOCK,
	    "3/60: until three fall within it");
	ok(decide(p, "mail", "198.51.100.11", 1102, 1) == POLICY_ALREADY,
	    "3/60: blocked: already");
	/* the block ends early (--unblock, -x): the events that made it are spent */
	ok(decide(p, "mail", "198.51.100.11", 1103, 0) == POLICY_THRESHOLD &&
	    decide(p, "mail", "198.51.100.11", 1104, 0) == POLICY_THRESHOLD,
	    "after a block ends, one or two events within the window do not block again");
	ok(decide(p, "mail", "198.51.100.11", 1105, 0) == POLICY_BLOCK,
	    "a third does");
	ok(decide(p, "mail", "198.51.100.10", 1200, 0) == POLICY_THRESHOLD,
	    "after a block, counting starts again");
	/* thousands of hosts: bounded, and a real sender still blocks */
	for (i = 0; i < 70000; i++) {
		struct addr a = A("10.0.0.0");

		a.a[1] = (uint8_t)(i >> 16);
		a.a[2] = (uint8_t)(i >> 8);
		a.a[3] = (uint8_t)i;
		policy_decide(p, "mail", &a, 5000 + i / 1000, 0);
	}
	for (i = 0, blocked = 0; i < 3; i++)
		blocked = decide(p, "mail", "203.0.113.99", 5070, 0) ==
		    POLICY_BLOCK;
	ok(blocked, "70,000 counted hosts: a sender still blocks");
	policy_free(p);

	/*
	 * The table of counted hosts full: the host whose newest event is
	 * oldest goes, not the one counted first (a worm that keeps
	 * sending stays counted).
	 */
	c.count = 3;
	c.window = 1000;
	p = policy_new(&c);
	decide(p, "mail", "198.51.100.7", 0, 0);
	decide(p, "mail", "198.51.100.7", 500, 0);
	for (i = 0; i < POLICY_TRACK_MAX - 1; i++) {
		struct addr a = A("10.0.0.0");

		a.a[1] = (uint8_t)(i >> 16);
		a.a[2] = (uint8_t)(i >> 8);
		a.a[3] = (uint8_t)i;
		policy_decide(p, "mail", &a, 100, 0);
	}
	decide(p, "mail", "203.0.113.1", 600, 0);
	ok(decide(p, "mail", "198.51.100.7", 601, 0) == POLICY_BLOCK,
	    "a full table forgets the host with the oldest newest event");
	/* events out of order within the window count */
	ok(decide(p, "mail", "198.51.100.8", 909, 0) == POLICY_THRESHOLD &&
	    decide(p, "mail", "198.51.100.8", 900, 0) == POLICY_THRESHOLD &&
	    decide(p, "mail", "198.51.100.8", 905, 0) == POLICY_BLOCK,
	    "events out of order within the window count");
	policy_free(p);

	/* ::ffff:a.b.c.d is a.b.c.d, in the allow list and in events */
	c.count = 1;
	p = policy_new(&c);
	cidr_parse("::ffff:198.51.100.25", &cidr);
	policy_allow(p, &cidr, 1);
	cidr_parse("198.51.100.64/26", &cidr);
	policy_allow(p, &cidr, 1);
	cidr_parse("::ffff:192.0.2.0/120", &cidr);
	policy_allow(p, &cidr, 1);
	ok(decide(p, "mail", "198.51.100.25", 1, 0) == POLICY_ALLOWED &&
	    decide(p, "mail", "::ffff:198.51.100.25", 1, 0) == POLICY_ALLOWED,
	    "-a ::ffff:198.51.100.25 allows the IPv4 host in both forms");
	ok(decide(p, "mail", "::ffff:198.51.100.70", 1, 0) == POLICY_ALLOWED,
	    "-a 198.51.100.64/26 allows ::ffff:198.51.100.70");
	ok(decide(p, "mail", "192.0.2.7", 1, 0) == POLICY_ALLOWED,
	    "-a ::ffff:192.0.2.0/120 allows 192.0.2.7");
	ok(decide(p, "mail", "198.51.100.26", 1, 0) == POLICY_BLOCK &&
	    decide(p, "mail", "::ffff:198.51.100.27", 1, 0) == POLICY_BLOCK,
	    "their neighbours are not");
	policy_free(p);

	/* a NUL byte in the allow file is named as such */
	snprintf(path, sizeof(path), "/tmp/t_policy.XXXXXX");
	if ((fd = mkstemp(path)) == -1 ||
	    write(fd, "192.0.2.1\n198.51.100.1\0\n", 24) != 24)
		abort();
	close(fd);
	p = policy_new(&c);
	err[0] = '\0';
	ok(policy_allow_file(p, path, err, sizeof(err)) == -1 &&
	    strstr(err, ":2: a NUL byte") != NULL, "NUL byte named: %s", err);
	unlink(path);
	policy_free(p);
	return tap_done();
}
