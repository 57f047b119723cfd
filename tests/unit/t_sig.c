/* unit tests of the signatures of -m shared (detengo/sig.c) */
#include <sys/socket.h>

#include <stdio.h>
#include <string.h>

#include "addr.h"
#include "bounds.h"
#include "sig.h"
#include "tap.h"

/* host n: 198.18.0.0/15 (RFC 2544) holds 131,072; past it 2001:db8::/32 */
static struct addr
host(unsigned n)
{
	struct addr	 a;

	memset(&a, 0, sizeof(a));
	if (n < 131072) {
		a.family = AF_INET;
		a.a[0] = 198;
		a.a[1] = 18 + (n >> 16 & 1);
		a.a[2] = n >> 8 & 0xff;
		a.a[3] = n & 0xff;
	} else {
		a.family = AF_INET6;
		a.a[0] = 0x20;
		a.a[1] = 0x01;
		a.a[2] = 0x0d;
		a.a[3] = 0xb8;
		a.a[12] = n >> 24 & 0xff;
		a.a[13] = n >> 16 & 0xff;
		a.a[14] = n >> 8 & 0xff;
		a.a[15] = n & 0xff;
	}
	return a;
}

static int
obs(struct sig *s, unsigned h, enum sig_obs_kind k, int64_t sec, uint32_t sid,
    const char *key, struct sig_hit *hit)
{
	struct sig_obs	 o = { k, sec, sid, key, key ? strlen(key) : 0 };
	struct addr	 a = host(h);

	return sig_observe(s, &a, &o, hit);
}

int
main(void)
{
	struct sig_conf	 c;
	struct sig	*s;
	struct sig_hit	 hit;
	char		 err[512], d[256], k[64];
	unsigned	 i, fired;
	int		 r;

	sig_defaults(&c);
	sig_describe(&c, d, sizeof(d));
	is_str(d, "mx=5/3600 servers=8/3600 listed=1/86400 ratio=70%/10/600",
	    "the defaults");
	ok(sig_parse("mx=3/60", &c, err, sizeof(err)) == 0 &&
	    c.r[SIG_MX].count == 3 && c.r[SIG_MX].window == 60, "mx=3/60");
	ok(sig_parse("ratio=50%/4/120", &c, err, sizeof(err)) == 0 &&
	    c.r[SIG_RATIO].pct == 50 && c.r[SIG_RATIO].count == 4, "ratio");
	ok(sig_parse("servers=off", &c, err, sizeof(err)) == 0 &&
	    !c.r[SIG_SERVERS].on, "servers=off");
	{
		static const char *bad[] = { "mx", "mx=", "mx=0/60", "mx=5",
		    "mx=5/0", "mx=17/60", "mx=5/86401", "mx=5/60x", "foo=1/1",
		    "ratio=70/10/600", "ratio=101%/10/600", "ratio=70%/17/60",
		    "listed=5/60", "mx=-1/60", "=1/1", "mxx=1/1", "m=1/1" };

		for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
			ok(sig_parse(bad[i], &c, err, sizeof(err)) == -1 &&
			    strstr(err, bad[i]) != NULL, "refused: %s", bad[i]);
	}

	sig_defaults(&c);
	s = sig_new(&c);
	/* MX fan-out: the same name again counts once; the 5th name fires */
	for (i = 0; i < 10; i++)
		r = obs(s, 1, SIG_OBS_MX, 1000 + i, 0x100 + i, "example.com",
		    &hit);
	ok(r == 0 && hit.count == 1, "one name ten times: one");
	for (i = 0, fired = 0; i < 4; i++) {
		snprintf(k, sizeof(k), "d%u.example", i);
		fired += obs(s, 1, SIG_OBS_MX, 1100 + i, 0x200 + i, k, &hit);
	}
	ok(fired == 1 && hit.kind == SIG_MX && hit.count == 5 &&
	    hit.window == 3600, "the 5th distinct name fires: count %u",
	    hit.count);
	ok(hit.nsids == 5 && hit.sids[0] == 0x203, "its evidence: 5 sids, "
	    "the newest first (%u, %08x)", hit.nsids, hit.sids[0]);
	/* spread over more than the window: never */
	for (i = 0, fired = 0; i < 20; i++) {
		snprintf(k, sizeof(k), "slow%u.example", i);
		fired += obs(s, 2, SIG_OBS_MX, 10000 + i * 1000, i, k, &hit);
	}
	ok(fired == 0 && hit.count == 4, "a name every 1000 s: at most 4 "
	    "within an hour (%u)", hit.count);
	/* the slow bot of the lab: one every 3 minutes */
	for (i = 0, fired = 0; i < 5; i++) {
		snprintf(k, sizeof(k), "s%u.example", i);
		fired += obs(s, 3, SIG_OBS_MX, 50000 + i * 180, i, k, &hit);
	}
	ok(fired == 1, "one every 3 minutes: the 5th fires");
	/* hosts apart */
	for (i = 0, fired = 0; i < 40; i++) {
		snprintf(k, sizeof(k), "h%u.example", i);
		fired += obs(s, 100 + i, SIG_OBS_MX, 60000, i, k, &hit);
	}
	ok(fired == 0, "40 hosts one name each: nothing");

	/* servers: 8 distinct, SNI names and addresses */
	for (i = 0, fired = 0; i < 7; i++) {
		snprintf(k, sizeof(k), "n:smtp.provider%u.example", i);
		fired += obs(s, 4, SIG_OBS_SERVER, 1000 + i, i, k, &hit);
	}
	ok(fired == 0 && hit.count == 7, "7 servers: not yet");
	ok(obs(s, 4, SIG_OBS_SERVER, 1010, 9, "a:203.0.113.25", &hit) == 1 &&
	    hit.kind == SIG_SERVERS && hit.count == 8, "the 8th fires");
	/* a user with two providers, all day */
	for (i = 0, fired = 0; i < 200; i++)
		fired += obs(s, 5, SIG_OBS_SERVER, 1000 + i * 60, i,
		    i % 2 ? "n:smtp.a.example" : "n:smtp.b.example", &hit);
	ok(fired == 0 && hit.count == 2, "two providers all day: 2");

	/* blocklisted: one is enough */
	ok(obs(s, 6, SIG_OBS_LISTED, 1000, 0x77, NULL, &hit) == 1 &&
	    hit.kind == SIG_LISTED && hit.count == 1 && hit.sids[0] == 0x77,
	    "one blocklist refusal fires");

	/* the refusal ratio: 70 % of at least 10 */
	for (i = 0, fired = 0; i < 9; i++) {
		fired += obs(s, 7, SIG_OBS_ATTEMPT, 1000 + i, i, NULL, &hit);
		fired += obs(s, 7, SIG_OBS_REFUSED, 1000 + i, i, NULL, &hit);
	}
	ok(fired == 0, "9 refused of 9: fewer than 10 sent");
	fired = obs(s, 7, SIG_OBS_ATTEMPT, 1010, 10, NULL, &hit);
	ok(fired == 1 && hit.kind == SIG_RATIO && hit.total == 10 &&
	    hit.count == 9, "9 refused of 10: fires (%u of %u)", hit.count,
	    hit.total);
	/* 6 of 10: not */
	for (i = 0, fired = 0; i < 10; i++) {
		fired += obs(s, 8, SIG_OBS_ATTEMPT, 1000 + i, i, NULL, &hit);
		if (i < 6)
			fired += obs(s, 8, SIG_OBS_REFUSED, 1000 + i, i, NULL,
			    &hit);
	}
	ok(fired == 0 && hit.count == 6 && hit.total == 10,
	    "6 refused of 10: not (%u of %u)", hit.count, hit.total);
	/* a mostly refused host whose attempts are spread past the window */
	for (i = 0, fired = 0; i < 30; i++) {
		fired += obs(s, 9, SIG_OBS_ATTEMPT, 1000 + i * 120, i, NULL,
		    &hit);
		fired += obs(s, 9, SIG_OBS_REFUSED, 1000 + i * 120, i, NULL,
		    &hit);
	}
	ok(fired == 0, "one refused every 2 minutes: 5 within 10 minutes");

	/* off: never */
	sig_free(s);
	sig_parse("listed=off", &c, err, sizeof(err));
	s = sig_new(&c);
	ok(obs(s, 6, SIG_OBS_LISTED, 1000, 1, NULL, &hit) == 0,
	    "listed=off: never");
	sig_free(s);

	/* memory: 100,000 bot-like hosts, every part in use */
	sig_defaults(&c);
	s = sig_new(&c);
	for (i = 0; i < 100000; i++) {
		obs(s, i, SIG_OBS_MX, 1000, i, "a.example", &hit);
		obs(s, i, SIG_OBS_SERVER, 1000, i, "a:192.0.2.1", &hit);
		obs(s, i, SIG_OBS_ATTEMPT, 1000, i, NULL, &hit);
	}
	ok(sig_hosts(s) == 100000, "100,000 hosts followed");
	ok(sig_bytes(s) < 64u * 1024 * 1024, "in %zu bytes (%zu a host)",
	    sig_bytes(s), sig_bytes(s) / 100000);
	sig_free(s);

	/* bounded: past SIG_HOSTS_MAX the stalest go */
	s = sig_new(&c);
	for (i = 0; i < SIG_HOSTS_MAX + 1000; i++)
		obs(s, i, SIG_OBS_MX, 1000 + i / 1000, i, "a.example", &hit);
	ok(sig_hosts(s) <= SIG_HOSTS_MAX && sig_hosts(s) > SIG_HOSTS_MAX -
	    2000, "at most SIG_HOSTS_MAX, the stalest gone: %zu",
	    sig_hosts(s));
	{
		struct addr	 a = host(0), b = host(SIG_HOSTS_MAX + 999);
		struct sig_obs	 o = { SIG_OBS_MX, 1300, 1, "b.example", 9 };

		/* the first host's entry went: a new one starts at 1 */
		sig_observe(s, &a, &o, &hit);
		ok(hit.count == 1, "the stalest host was forgotten");
		sig_observe(s, &b, &o, &hit);
		ok(hit.count == 2, "the newest was kept");
	}
	sig_forget(s, &(struct addr){ 0 });
	{
		struct addr	 a = host(SIG_HOSTS_MAX + 999);

		sig_forget(s, &a);
		ok(sig_hosts(s) <= SIG_HOSTS_MAX - 1, "forget");
	}
	sig_free(s);
	printf("1..%d\n", tap_n);
	return tap_fail != 0;
}
