/* fuzz detengo/state.c: state_load() on any file, and save/load round trips */

#include <sys/socket.h>
#include <sys/stat.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "bounds.h"
#include "state.h"
#include "fuzz.h"

/*
 * Input whose first byte is not 0: the contents of a state file.  It is
 * written to a file of our own with mode 0600 and loaded.  A file that
 * loads is saved and loaded again: the same position and the same
 * blocks in the same order must come back, and saving that copy must
 * write the very same bytes (the saved form is canonical).  A file that
 * does not load leaves the state empty and says why.
 *
 * Input whose first byte is 0: operations on the index of blocks
 * (state_add, state_del, state_find) checked against a plain list.
 * Each is one byte (bit 7: delete, else add) and an address byte: the
 * addresses come from a small set, so that the same hosts come back
 * and open-addressing chains collide and get cut.
 */

static char	 dir[64], path[128], path2[128];

static void
cleanup(void)
{
	char	 p[160];

	unlink(path);
	unlink(path2);
	snprintf(p, sizeof(p), "%s.tmp", path2);
	unlink(p);
	rmdir(dir);
}

/* a directory of our own, on tmpfs when there is one: state_save() fsyncs */
static void
setup(void)
{
	const char	*base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" :
			    getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";

	snprintf(dir, sizeof(dir), "%s/fz_state.XXXXXX", base);
	if (mkdtemp(dir) == NULL) {
		perror("mkdtemp");
		abort();
	}
	snprintf(path, sizeof(path), "%s/state", dir);
	snprintf(path2, sizeof(path2), "%s/saved", dir);
	atexit(cleanup);
}

static void
put_file(const char *p, const uint8_t *data, size_t size)
{
	int	 fd;

	unlink(p);
	if ((fd = open(p, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) ==
	    -1 || fchmod(fd, 0600) == -1 ||
	    (size > 0 && write(fd, data, size) != (ssize_t)size) ||
	    close(fd) == -1) {
		perror(p);
		abort();
	}
}

/* the whole file, malloc'd */
static uint8_t *
get_file(const char *p, size_t *len)
{
	FILE	*fp;
	uint8_t	*buf = NULL;
	size_t	 cap = 0, n = 0, got;

	if ((fp = fopen(p, "rb")) == NULL) {
		perror(p);
		abort();
	}
	do {
		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			if ((buf = realloc(buf, cap)) == NULL)
				abort();
		}
		got = fread(buf + n, 1, cap - n, fp);
		n += got;
	} while (got > 0);
	fclose(fp);
	*len = n;
	return buf;
}

static void
same(const struct state *a, const struct state *b)
{
	size_t	 i;

	FZ_CHECK(a->havepos == b->havepos, "pos %d, then %d", a->havepos,
	    b->havepos);
	if (a->havepos)
		FZ_CHECK(a->pos.dev == b->pos.dev && a->pos.ino == b->pos.ino &&
		    a->pos.off == b->pos.off && a->pos.sum == b->pos.sum &&
		    a->pos.sumlen == b->pos.sumlen, "pos changed");
	FZ_CHECK(a->nblocks == b->nblocks, "%zu blocks, then %zu", a->nblocks,
	    b->nblocks);
	for (i = 0; i < a->nblocks; i++) {
		FZ_CHECK(addr_eq(&a->blocks[i].host, &b->blocks[i].host) &&
		    a->blocks[i].since == b->blocks[i].since &&
		    a->blocks[i].until == b->blocks[i].until,
		    "block %zu changed", i);
		FZ_CHECK(state_find(b, &a->blocks[i].host) == &b->blocks[i],
		    "state_find() misses block %zu", i);
	}
}

static void
load_mode(const uint8_t *data, size_t size)
{
	struct state	 st, st2;
	char		 err[256];
	uint8_t		*f1, *f2;
	size_t		 l1, l2, i;

	put_file(path, data, size);
	memset(err, 'x', sizeof(err));
	if (state_load(path, &st, err, sizeof(err)) == -1) {
		FZ_CHECK(memchr(err, '\0', sizeof(err)) != NULL && err[0] != '\0',
		    "refused without a message");
		FZ_CHECK(st.nblocks == 0 && st.blocks == NULL && !st.havepos &&
		    st.ix.slot == NULL, "a refused file left a state");
		return;
	}
	FZ_CHECK(st.nblocks <= POLICY_HOSTS_MAX, "%zu blocks", st.nblocks);
	FZ_CHECK(!st.havepos || (st.pos.sumlen <= TAIL_SUM_MAX &&
	    st.pos.sumlen <= st.pos.off && st.pos.off <= INT64_MAX),
	    "pos out of range");
	for (i = 0; i < st.nblocks; i++) {
		FZ_CHECK(st.blocks[i].since >= 0 && st.blocks[i].until >= 0 &&
		    (st.blocks[i].until == 0 ||
		    st.blocks[i].until >= st.blocks[i].since),
		    "block %zu: times %lld %lld", i,
		    (long long)st.blocks[i].since,
		    (long long)st.blocks[i].until);
		FZ_CHECK(state_find(&st, &st.blocks[i].host) == &st.blocks[i],
		    "state_find() misses block %zu", i);
	}
	FZ_CHECK(state_save(path2, &st) == 0, "state_save(): %s",
	    strerror(errno));
	f1 = get_file(path2, &l1);
	FZ_CHECK(state_load(path2, &st2, err, sizeof(err)) == 0,
	    "a saved state does not load: %s", err);
	same(&st, &st2);
	FZ_CHECK(state_save(path2, &st2) == 0, "state_save(): %s",
	    strerror(errno));
	f2 = get_file(path2, &l2);
	FZ_CHECK(l1 == l2 && memcmp(f1, f2, l1) == 0,
	    "saving the loaded copy wrote other bytes");
	free(f1);
	free(f2);
	state_free(&st);
	state_free(&st2);
}

/* the hosts of the operations: 32 IPv4 and 32 IPv6 addresses */
static void
host(uint8_t b, struct addr *a)
{
	memset(a, 0, sizeof(*a));
	if (b & 32) {
		a->family = AF_INET6;
		a->a[0] = 0x20;
		a->a[1] = 0x01;
		a->a[2] = 0x0d;
		a->a[3] = 0xb8;
		a->a[15] = b & 31;
	} else {
		a->family = AF_INET;
		a->a[0] = 192;
		a->a[2] = 2;
		a->a[3] = b & 31;
	}
}

static void
ops_mode(const uint8_t *data, size_t size)
{
	struct fz_in	 in = { data, size };
	struct state	 st;
	struct addr	 a;
	struct state_block *b;
	int64_t		 since[64];
	uint8_t		 op, h, in_list[64];
	size_t		 n, i;
	int		 rc;

	memset(&st, 0, sizeof(st));
	memset(in_list, 0, sizeof(in_list));
	while (fz_left(&in)) {
		op = fz_u8(&in);
		h = fz_u8(&in) & 63;
		host(h, &a);
		if (op & 0x80) {
			rc = state_del(&st, &a);
			FZ_CHECK(rc == (in_list[h] ? 0 : -1),
			    "state_del() %d for a host %s", rc,
			    in_list[h] ? "listed" : "not listed");
			in_list[h] = 0;
		} else {
			rc = state_add(&st, &a, op, 0);
			FZ_CHECK(rc == 0, "state_add() failed");
			in_list[h] = 1;
			since[h] = op;
		}
		/* every host listed is found with its times, no other is */
		for (n = 0, i = 0; i < 64; i++) {
			host((uint8_t)i, &a);
			b = state_find(&st, &a);
			FZ_CHECK((b != NULL) == in_list[i],
			    "host %zu %s", i, in_list[i] ? "lost" : "found");
			if (b != NULL) {
				FZ_CHECK(b->since == since[i] &&
				    addr_eq(&b->host, &a), "host %zu: wrong "
				    "block", i);
				n++;
			}
		}
		FZ_CHECK(n == st.nblocks, "%zu found, %zu blocks", n,
		    st.nblocks);
	}
	state_free(&st);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int	 init;

	if (!init) {
		setup();
		init = 1;
	}
	if (size > 0 && data[0] == 0)
		ops_mode(data + 1, size - 1);
	else
		load_mode(data, size);
	return 0;
}
