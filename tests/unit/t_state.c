/* unit tests of the state file: round trip, strict parsing, refusals, atomic save, lock */
#include <sys/types.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "bounds.h"
#include "state.h"
#include "tap.h"

/* ok() of tap.h evaluates its condition more than once: evaluate it here */
#define check(cond, ...) do {						\
	int check_ = (cond);						\
	ok(check_, __VA_ARGS__);					\
	if (!check_)							\
		printf("#   failed: %s\n", #cond);			\
} while (0)

static char	 dir[] = "/tmp/t_state.XXXXXX";
static char	 path[256];

static void
put(const char *p, const char *data, size_t len)
{
	int	 fd;

	unlink(p);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_TRUNC, 0600)) == -1 ||
	    write(fd, data, len) != (ssize_t)len || close(fd) == -1) {
		perror(p);
		exit(2);
	}
}

static char *
slurp(const char *p)
{
	static char	 buf[8192];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(p, O_RDONLY)) == -1)
		return NULL;
	n = read(fd, buf, sizeof(buf) - 1);
	close(fd);
	if (n < 0)
		return NULL;
	buf[n] = '\0';
	return buf;
}

static struct addr
A(const char *s)
{
	struct addr	 a;

	if (addr_parse(s, &a) == -1) {
		fprintf(stderr, "bad test address %s\n", s);
		exit(2);
	}
	return a;
}

static void
test_roundtrip(void)
{
	struct state	 st, back;
	struct addr	 a;
	char		 err[256];
	const char	*want =
	    "detengo-state 1\n"
	    "pos 2049 123456789 18446 0badf00d 64\n"
	    "block 192.0.2.1 1700000000 1700003600\n"
	    "block 2001:db8::25 1700000001 0\n"
	    "block 198.51.100.7 0 9223372036854775807\n";

	memset(&st, 0, sizeof(st));
	st.havepos = 1;
	st.pos.dev = 2049;
	st.pos.ino = 123456789;
	st.pos.off = 18446;
	st.pos.sum = 0x0badf00d;
	st.pos.sumlen = 64;
	a = A("192.0.2.1");
	check(state_add(&st, &a, 1700000000, 1700003600) == 0, "add v4");
	a = A("2001:db8::25");
	check(state_add(&st, &a, 1700000001, 0) == 0, "add v6, never expires");
	a = A("198.51.100.7");
	check(state_add(&st, &a, 0, INT64_MAX) == 0, "add v4, extreme times");
	check(state_save(path, &st) == 0, "save");
	is_str(slurp(path), want, "the file, byte for byte");
	check(state_load(path, &back, err, sizeof(err)) == 0, "load: %s", err);
	check(back.havepos == 1 && back.pos.dev == 2049 &&
	    back.pos.ino == 123456789 && back.pos.off == 18446 &&
	    back.pos.sum == 0x0badf00d && back.pos.sumlen == 64,
	    "the position comes back");
	check(back.nblocks == 3, "3 blocks come back (%zu)", back.nblocks);
	a = A("2001:db8::25");
	check(state_find(&back, &a) != NULL &&
	    state_find(&back, &a)->since == 1700000001 &&
	    state_find(&back, &a)->until == 0, "the v6 block and its times");
	a = A("198.51.100.7");
	check(state_find(&back, &a) != NULL &&
	    state_find(&back, &a)->until == INT64_MAX, "INT64_MAX survives");
	a = A("192.0.2.2");
	check(state_find(&back, &a) == NULL, "an absent host is not found");
	check(state_save(path, &back) == 0 && strcmp(slurp(path), want) == 0,
	    "saving what was loaded writes the same bytes");
	state_free(&back);
	state_free(&st);

	/* no position, no blocks */
	memset(&st, 0, sizeof(st));
	check(state_save(path, &st) == 0, "save an empty state");
	is_str(slurp(path), "detengo-state 1\n", "only the header");
	check(state_load(path, &back, err, sizeof(err)) == 0 &&
	    back.havepos == 0 && back.nblocks == 0, "load it back: empty");
	state_free(&back);

	unlink(path);
	check(state_load(path, &back, err, sizeof(err)) == 0 &&
	    back.havepos == 0 && back.nblocks == 0,
	    "a missing file is an empty state");
}

/* each malformed file must be refused, naming the line at fault */
static const struct {
	const char	*data;
	size_t		 len;		/* 0: strlen */
	const char	*want;		/* a part of the message */
} malformed[] = {
	{ "", 0, "empty" },
	{ "detengo-state 2\n", 0, ":1: unsupported version" },
	{ "detengo-state 1 \n", 0, ":1: unsupported version" },
	{ "Detengo-state 1\n", 0, ":1: not a state file" },
	{ "\ndetengo-state 1\n", 0, ":1: not a state file" },
	{ "detengo-state 1", 0, ":1: no newline" },
	{ "detengo-state 1\r\n", 0, ":1: byte 0x0d" },
	{ "detengo-state 1\n\n", 0, ":2: empty field" },
	{ "detengo-state 1\npos 1 2 3 0000abcd 3\npos 1 2 3 0000abcd 3\n", 0,
	    ":3: pos: a second one" },
	{ "detengo-state 1\npos 1 2 3 0000abcd\n", 0, ":2: pos: 4 values" },
	{ "detengo-state 1\npos 1 2 3 0000abcd 3 4\n", 0, ":2: pos: 6 values" },
	{ "detengo-state 1\npos 1 2 3 0000abcd 3 4 5 6\n", 0,
	    ":2: empty field or too many" },
	{ "detengo-state 1\npos 01 2 3 0000abcd 3\n", 0, ":2: pos: bad number" },
	{ "detengo-state 1\npos -1 2 3 0000abcd 3\n", 0, ":2: pos: bad number" },
	{ "detengo-state 1\npos +1 2 3 0000abcd 3\n", 0, ":2: pos: bad number" },
	{ "detengo-state 1\npos 18446744073709551616 2 3 0000abcd 3\n", 0,
	    ":2: pos: bad number" },
	{ "detengo-state 1\npos 1 2 9223372036854775808 0000abcd 3\n", 0,
	    ":2: pos: bad number" },
	{ "detengo-state 1\npos 1 2 3x 0000abcd 3\n", 0, ":2: pos: bad number" },
	{ "detengo-state 1\npos 1 2 3 0000ABCD 3\n", 0, ":2: pos: bad check" },
	{ "detengo-state 1\npos 1 2 3 000abcd 3\n", 0, ":2: pos: bad check" },
	{ "detengo-state 1\npos 1 2 3 0000abcd0 3\n", 0, ":2: pos: bad check" },
	{ "detengo-state 1\npos 1 2 300 0000abcd 65\n", 0,
	    ":2: pos: bad check length" },
	{ "detengo-state 1\npos 1 2 3 0000abcd 4\n", 0,
	    ":2: pos: bad check length" },
	{ "detengo-state 1\npos 1 2  3 0000abcd 3\n", 0, ":2: empty field" },
	{ "detengo-state 1\npos 1 2 3 0000abcd 3 \n", 0, ":2: empty field" },
	{ "detengo-state 1\n pos 1 2 3 0000abcd 3\n", 0, ":2: empty field" },
	{ "detengo-state 1\npos 1\t2 3 0000abcd 3\n", 0, ":2: byte 0x09" },
	{ "detengo-state 1\npos 1 2 3 0000abcd 3\0\n", 39, ":2: byte 0x00" },
	{ "detengo-state 1\nblock 192.0.2.1 1 2\nblock 192.0.2.\xe9 1 2\n", 0,
	    ":3: byte 0xe9" },
	{ "detengo-state 1\nblock 192.0.2.256 1 2\n", 0, ":2: block: bad address" },
	{ "detengo-state 1\nblock 192.0.2.0/24 1 2\n", 0,
	    ":2: block: bad address" },
	{ "detengo-state 1\nblock 2001:DB8::1 1 2\n", 0,
	    ":2: block: bad address" },
	{ "detengo-state 1\nblock 2001:db8:0::1 1 2\n", 0,
	    ":2: block: bad address" },
	{ "detengo-state 1\nblock example.org 1 2\n", 0,
	    ":2: block: bad address" },
	{ "detengo-state 1\nblock 192.0.2.1 1\n", 0, ":2: block: 2 values" },
	{ "detengo-state 1\nblock 192.0.2.1 -1 0\n", 0, ":2: block: bad time" },
	{ "detengo-state 1\nblock 192.0.2.1 1 9223372036854775808\n", 0,
	    ":2: block: bad time" },
	{ "detengo-state 1\nblock 192.0.2.1 10 9\n", 0,
	    ":2: block: expires before" },
	{ "detengo-state 1\nblock 192.0.2.1 1 2\nblock 2001:db8::1 1 0\n"
	    "block 192.0.2.1 5 0\n", 0, ":4: block: 192.0.2.1 listed twice" },
	{ "detengo-state 1\nblocks 192.0.2.1 1 2\n", 0, ":2: unknown record" },
	{ "detengo-state 1\n# comment\n", 0, ":2: unknown record" },
};

static void
test_malformed(void)
{
	struct state	 st;
	char		 err[256], data[1024];
	size_t		 i, len;
	int		 rv;

	for (i = 0; i < sizeof(malformed) / sizeof(malformed[0]); i++) {
		len = malformed[i].len ? malformed[i].len : strlen(malformed[i].data);
		put(path, malformed[i].data, len);
		memset(&st, 0xa5, sizeof(st));
		err[0] = '\0';
		rv = state_load(path, &st, err, sizeof(err));
		check(rv == -1 && strstr(err, malformed[i].want) != NULL &&
		    strncmp(err, path, strlen(path)) == 0 && st.nblocks == 0 &&
		    st.blocks == NULL && st.havepos == 0,
		    "malformed %zu refused: %s", i, err);
		if (strstr(err, malformed[i].want) == NULL)
			printf("#   want [%s]\n", malformed[i].want);
	}

	/* CONF_LINE_MAX bytes and a newline are too long */
	len = (size_t)snprintf(data, sizeof(data), "detengo-state 1\nblock ");
	memset(data + len, '1', CONF_LINE_MAX - 6);
	len += CONF_LINE_MAX - 6;
	data[len++] = '\n';
	put(path, data, len);
	check(state_load(path, &st, err, sizeof(err)) == -1 &&
	    strstr(err, ":2: line longer than 512") != NULL,
	    "an overlong line: %s", err);
	/* one byte fewer fits, and fails on its content */
	len = (size_t)snprintf(data, sizeof(data), "detengo-state 1\nblock ");
	memset(data + len, '1', CONF_LINE_MAX - 7);
	len += CONF_LINE_MAX - 7;
	data[len++] = '\n';
	put(path, data, len);
	check(state_load(path, &st, err, sizeof(err)) == -1 &&
	    strstr(err, ":2: block: 1 values") != NULL,
	    "a line of CONF_LINE_MAX - 1 bytes is read: %s", err);
}

static void
test_refusals(void)
{
	struct state	 st;
	char		 err[256], link[300], victim[300], tmp[300];
	const char	*good = "detengo-state 1\nblock 192.0.2.9 1 2\n";
	struct stat	 sb;

	put(path, good, strlen(good));
	check(state_load(path, &st, err, sizeof(err)) == 0 && st.nblocks == 1,
	    "a good file loads: %s", err);
	state_free(&st);

	snprintf(link, sizeof(link), "%s/link", dir);
	unlink(link);
	check(symlink(path, link) == 0, "make a symbolic link");
	check(state_load(link, &st, err, sizeof(err)) == -1 &&
	    strstr(err, "symbolic link") != NULL, "a symlink is refused: %s",
	    err);

	chmod(path, 0620);
	check(state_load(path, &st, err, sizeof(err)) == -1 &&
	    strstr(err, "writable by group or others (mode 0620)") != NULL,
	    "a group-writable file is refused: %s", err);
	chmod(path, 0602);
	check(state_load(path, &st, err, sizeof(err)) == -1 &&
	    strstr(err, "writable by group or others") != NULL,
	    "a world-writable file is refused: %s", err);
	chmod(path, 0644);
	check(state_load(path, &st, err, sizeof(err)) == 0,
	    "mode 0644 is fine: %s", err);
	state_free(&st);

	if (geteuid() == 0) {
		check(chown(path, 12345, 12345) == 0, "give the file away");
		check(state_load(path, &st, err, sizeof(err)) == -1 &&
		    strstr(err, "owned by uid 12345") != NULL,
		    "a file of another user is refused: %s", err);
		check(chown(path, 0, 0) == 0, "take it back");
	} else
		printf("ok %d # skip a file of another user: the owner "
		    "check needs root\n", ++tap_n);

	check(state_load(dir, &st, err, sizeof(err)) == -1 &&
	    strstr(err, "not a regular file") != NULL,
	    "a directory is refused: %s", err);

	/* a planted PATH.tmp symlink is removed, not followed */
	snprintf(victim, sizeof(victim), "%s/victim", dir);
	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	put(victim, "precious\n", 9);
	unlink(tmp);
	check(symlink(victim, tmp) == 0, "plant PATH.tmp -> victim");
	memset(&st, 0, sizeof(st));
	check(state_save(path, &st) == 0, "save over the planted link");
	is_str(slurp(victim), "precious\n", "the victim is untouched");
	check(lstat(path, &sb) == 0 && S_ISREG(sb.st_mode) &&
	    (sb.st_mode & 07777) == 0600, "the state is a regular file, 0600");
	check(lstat(tmp, &sb) == -1 && errno == ENOENT, "no PATH.tmp is left");

	/* saving through a symlink replaces the link, not its target */
	unlink(link);
	check(symlink(victim, link) == 0, "link -> victim");
	check(state_save(link, &st) == 0 && lstat(link, &sb) == 0 &&
	    S_ISREG(sb.st_mode), "save replaces the link itself");
	is_str(slurp(victim), "precious\n", "the victim is still untouched");
}

static void
test_atomic(void)
{
	struct state	 st;
	struct addr	 a;
	char		 tmp[300], err[256], other[300];
	const char	*old = "detengo-state 1\nblock 192.0.2.9 1 2\n";
	struct stat	 sb;

	snprintf(tmp, sizeof(tmp), "%s.tmp", path);
	/* a stale PATH.tmp from a crash is replaced */
	put(tmp, "half a st", 9);
	memset(&st, 0, sizeof(st));
	a = A("203.0.113.5");
	state_add(&st, &a, 7, 8);
	check(state_save(path, &st) == 0, "save with a stale PATH.tmp");
	is_str(slurp(path), "detengo-state 1\nblock 203.0.113.5 7 8\n",
	    "the new content");
	check(lstat(tmp, &sb) == -1, "no PATH.tmp is left");

	/* a failed save leaves the old file whole */
	put(path, old, strlen(old));
	check(mkdir(tmp, 0700) == 0, "make PATH.tmp a directory");
	check(state_save(path, &st) == -1 && errno == EISDIR,
	    "the save fails (%s)", strerror(errno));
	is_str(slurp(path), old, "the old file is intact");
	rmdir(tmp);

	snprintf(other, sizeof(other), "%s/no/such/dir/state", dir);
	check(state_save(other, &st) == -1 && errno == ENOENT,
	    "no directory: -1, ENOENT");

	/* a bad address in memory fails the save, leaving the old file */
	st.blocks[0].host.family = 12345;
	check(state_save(path, &st) == -1, "a block with a bad family fails");
	is_str(slurp(path), old, "the old file is still intact");
	check(lstat(tmp, &sb) == -1, "no PATH.tmp is left");
	state_free(&st);
	check(state_load(path, &st, err, sizeof(err)) == 0, "it loads");
	state_free(&st);
}

static void
test_table(void)
{
	struct state		 st;
	struct addr		 a;
	struct state_block	*b;
	size_t			 i, bad;
	int			 rv;

	memset(&st, 0, sizeof(st));
	a = A("192.0.2.1");
	check(state_del(&st, &a) == -1 && errno == ENOENT,
	    "delete from an empty state: ENOENT");
	check(state_find(&st, &a) == NULL, "find in an empty state");
	/* 20000 hosts, half v4 and half v6 */
	for (i = 0, bad = 0; i < 20000; i++) {
		memset(&a, 0, sizeof(a));
		if (i % 2) {
			a.family = AF_INET;
			a.a[0] = 10;
			a.a[2] = (uint8_t)(i >> 8);
			a.a[3] = (uint8_t)i;
		} else {
			a.family = AF_INET6;
			a.a[0] = 0x20;
			a.a[1] = 0x01;
			a.a[14] = (uint8_t)(i >> 8);
			a.a[15] = (uint8_t)i;
		}
		if (state_add(&st, &a, (int64_t)i, 0) == -1)
			bad++;
	}
	check(bad == 0 && st.nblocks == 20000, "20000 hosts added");
	/* junk past the 4 bytes of a v4 address does not matter */
	a = A("10.0.0.3");
	memset(a.a + 4, 0xee, 12);
	check((b = state_find(&st, &a)) != NULL && b->since == 3,
	    "find a v4 host whose unused bytes are junk");
	check(state_add(&st, &a, 99, 100) == 0 && st.nblocks == 20000 &&
	    state_find(&st, &a)->since == 99 &&
	    state_find(&st, &a)->until == 100,
	    "adding a host again updates its times");
	/* delete every third, then check all */
	for (i = 0, bad = 0; i < 20000; i += 3) {
		memset(&a, 0, sizeof(a));
		if (i % 2) {
			a.family = AF_INET;
			a.a[0] = 10;
			a.a[2] = (uint8_t)(i >> 8);
			a.a[3] = (uint8_t)i;
		} else {
			a.family = AF_INET6;
			a.a[0] = 0x20;
			a.a[1] = 0x01;
			a.a[14] = (uint8_t)(i >> 8);
			a.a[15] = (uint8_t)i;
		}
		if (state_del(&st, &a) == -1)
			bad++;
	}
	check(bad == 0 && st.nblocks == 20000 - 6667, "every third deleted (%zu)",
	    st.nblocks);
	for (i = 0, bad = 0; i < 20000; i++) {
		memset(&a, 0, sizeof(a));
		if (i % 2) {
			a.family = AF_INET;
			a.a[0] = 10;
			a.a[2] = (uint8_t)(i >> 8);
			a.a[3] = (uint8_t)i;
		} else {
			a.family = AF_INET6;
			a.a[0] = 0x20;
			a.a[1] = 0x01;
			a.a[14] = (uint8_t)(i >> 8);
			a.a[15] = (uint8_t)i;
		}
		b = state_find(&st, &a);
		if (i % 3 == 0 ? b != NULL : (b == NULL ||
		    (i != 3 && b->since != (int64_t)i)))
			bad++;
	}
	check(bad == 0, "the rest are all found, the deleted none (%zu wrong)",
	    bad);
	state_free(&st);

	/* the bound */
	memset(&st, 0, sizeof(st));
	for (i = 0, rv = 0; i < POLICY_HOSTS_MAX && rv == 0; i++) {
		memset(&a, 0, sizeof(a));
		a.family = AF_INET6;
		memcpy(a.a + 8, &i, sizeof(i));
		rv = state_add(&st, &a, 1, 0);
	}
	check(rv == 0 && st.nblocks == POLICY_HOSTS_MAX,
	    "POLICY_HOSTS_MAX hosts fit");
	a = A("192.0.2.77");
	check(state_add(&st, &a, 1, 0) == -1 && errno == ENOSPC,
	    "one more: ENOSPC");
	a.family = 0;
	check(state_add(&st, &a, 1, 0) == -1 && errno == EINVAL,
	    "a bad family: EINVAL");
	state_free(&st);
}

/* the host of model slot k: v4 and v6 alike, many in one /24 */
static struct addr
model_host(unsigned k)
{
	struct addr	 a;

	memset(&a, 0, sizeof(a));
	if (k % 2) {
		a.family = AF_INET;
		a.a[0] = 198;
		a.a[1] = 18;
		a.a[2] = (uint8_t)(k >> 8);
		a.a[3] = (uint8_t)k;
	} else {
		a.family = AF_INET6;
		a.a[0] = 0x20;
		a.a[1] = 0x01;
		a.a[2] = 0x0d;
		a.a[3] = 0xb8;
		a.a[14] = (uint8_t)(k >> 8);
		a.a[15] = (uint8_t)k;
	}
	return a;
}

#define MODEL_N		3000

/* how many hosts of the model the state gets wrong */
static size_t
model_diff(const struct state *st, const int *in, const int64_t *since,
    const int64_t *until, size_t *live)
{
	struct state_block	*b;
	struct addr		 a;
	size_t			 k, bad = 0;

	for (k = 0, *live = 0; k < MODEL_N; k++) {
		a = model_host((unsigned)k);
		b = state_find(st, &a);
		if (in[k]) {
			(*live)++;
			if (b == NULL || b->since != since[k] ||
			    b->until != until[k])
				bad++;
		} else if (b != NULL)
			bad++;
	}
	return bad;
}

/*
 * Random adds and deletes against a model, seeded: a delete moves the
 * last block into the hole, and later deletes take blocks that were
 * moved, often more than once.  After every step the state holds what
 * the model does; then it is saved, loaded, and compared again.
 */
static void
test_model(void)
{
	static int		 in[MODEL_N];
	static int64_t		 since[MODEL_N], until[MODEL_N];
	struct state		 st, back;
	struct addr		 a;
	unsigned long long	 rng = 0x9e3779b97f4a7c15ULL;
	char			 err[256];
	size_t			 live, bad = 0, wrongn = 0, step, badstep = 0;
	unsigned		 k;
	int			 r;

	err[0] = '\0';
	memset(&st, 0, sizeof(st));
	for (step = 0; step < 40000; step++) {
		k = tap_rnd(&rng, step < 4000 ? MODEL_N : MODEL_N / 8);
		a = model_host(k);
		if (tap_rnd(&rng, 100) < (step < 4000 ? 80u : 45u)) {
			since[k] = (int64_t)step;
			until[k] = tap_rnd(&rng, 2) ? (int64_t)step + 3600 : 0;
			r = state_add(&st, &a, since[k], until[k]);
			if (r == 0)
				in[k] = 1;
		} else {
			r = state_del(&st, &a);
			if ((r == 0) != in[k] || (r == -1 && errno != ENOENT))
				bad++;
			in[k] = 0;
		}
		if (r == -1 && in[k])
			bad++;
		/* the whole model now and then; the count every step */
		if (step % 97 == 0 || step > 39000) {
			if (model_diff(&st, in, since, until, &live) != 0 &&
			    badstep == 0)
				badstep = step + 1;
			if (live != st.nblocks)
				wrongn++;
		}
	}
	check(bad == 0, "40000 random adds and deletes: each as the model says");
	check(badstep == 0, "after each, every host found with its times, "
	    "none deleted found (first wrong after step %zu, 0: none)",
	    badstep);
	check(wrongn == 0 && model_diff(&st, in, since, until, &live) == 0 &&
	    live == st.nblocks, "the state ends as the model (%zu blocks)",
	    st.nblocks);
	check(state_save(path, &st) == 0, "saved");
	memset(&back, 0, sizeof(back));
	check(state_load(path, &back, err, sizeof(err)) == 0 &&
	    model_diff(&back, in, since, until, &live) == 0 &&
	    live == back.nblocks, "and loaded: the model again (%zu blocks) %s",
	    back.nblocks, err);
	state_free(&back);
	state_free(&st);
}

static void
test_lock(void)
{
	char		 lk[300];
	int		 fd, fd2;

	fd = state_lock(path);
	check(fd >= 0, "take the lock");
	fd2 = state_lock(path);
	check(fd2 == -1 && errno == EWOULDBLOCK, "a second taker: EWOULDBLOCK");
	check(state_lock_holder(path) == (long)getpid(),
	    "the holder's PID is in the lock file");
	close(fd);
	fd2 = state_lock(path);
	check(fd2 >= 0, "free once closed");
	close(fd2);

	snprintf(lk, sizeof(lk), "%s/ln.lock", dir);
	unlink(lk);
	check(symlink(path, lk) == 0, "make PATH.lock a symlink");
	snprintf(lk, sizeof(lk), "%s/ln", dir);
	check(state_lock(lk) == -1 && errno == ELOOP, "a symlinked lock: ELOOP");
	check(state_lock_holder(lk) == -1, "no holder through a symlink");
}

int
main(void)
{
	char	 cmd[300];

	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		return 2;
	}
	snprintf(path, sizeof(path), "%s/state", dir);

	check(state_sum("", 0) == 0x811c9dc5u, "FNV-1a of nothing");
	check(state_sum("a", 1) == 0xe40c292cu, "FNV-1a of \"a\"");
	check(state_sum("foobar", 6) == 0xbf9cf968u, "FNV-1a of \"foobar\"");
	test_roundtrip();
	test_malformed();
	test_refusals();
	test_atomic();
	test_table();
	test_model();
	test_lock();

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
