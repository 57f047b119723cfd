/* unit tests of the evidence file of --why (detengo/why.c) */
#include <sys/stat.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "addr.h"
#include "bounds.h"
#include "state.h"
#include "tap.h"
#include "why.h"

static char	 dir[] = "/tmp/t_why.XXXXXX";
static char	 sp[256], wp[300];

/* what why_show() prints for host, and its return, into out */
static int
show(const char *host, const struct state_block *b, char *out, size_t len)
{
	FILE	*f;
	size_t	 n;
	int	 r;

	if ((f = tmpfile()) == NULL)
		return -1;
	r = why_show(sp, host, b, f);
	rewind(f);
	n = fread(out, 1, len - 1, f);
	out[n] = '\0';
	fclose(f);
	return r;
}

static long
fsize(const char *path)
{
	struct stat	 sb;

	return stat(path, &sb) == 0 ? (long)sb.st_size : -1;
}

int
main(void)
{
	char			 out[16384], big[8192], cmd[300];
	struct state		 st;
	struct addr		 a;
	const struct state_block *b;
	FILE			*f;
	int			 i;

	if (mkdtemp(dir) == NULL) {
		printf("not ok 1 - mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	snprintf(sp, sizeof(sp), "%s/state", dir);
	snprintf(wp, sizeof(wp), "%s/state.why", dir);
	memset(&st, 0, sizeof(st));

	ok(show("192.0.2.7", NULL, out, sizeof(out)) == 0,
	    "no file: nothing to say");
	ok(why_open(sp) == 0, "open");
	why_block("192.0.2.7", 1000, 2000, "mail", "1/1",
	    "2026-03-03T16:40:02.208517Z mail sid=1 src=192.0.2.7:1 "
	    "dst=203.0.113.25:25 from=a@example.com");
	why_block("192.0.2.8", 1001, 0, "rcpt", "3/60",
	    "L1\nL2\nL3\nL4\nL5\nL6");
	ok(why_flush() == 0, "flush");
	addr_parse("192.0.2.7", &a);
	state_add(&st, &a, 1000, 2000);
	b = state_find(&st, &a);
	ok(show("192.0.2.7", b, out, sizeof(out)) == 1 &&
	    strstr(out, "its block since 1970-01-01T00:16:40Z, until "
	    "1970-01-01T00:33:20Z\n") != NULL &&
	    strstr(out, "trigger: mail\n") != NULL &&
	    strstr(out, "  2026-03-03T16:40:02.208517Z mail sid=1 ") != NULL,
	    "a block: its times, trigger and line");
	ok(show("192.0.2.8", NULL, out, sizeof(out)) == 1 &&
	    strstr(out, "trigger: rcpt, 3 of them within 60 s") != NULL &&
	    strstr(out, "  L4\n") != NULL && strstr(out, "L5") == NULL,
	    "at most %d lines a block", WHY_LINES_MAX);
	ok(show("192.0.2.70", NULL, out, sizeof(out)) == 0,
	    "a host is matched whole, not by its start");

	/* a lift, then a second block: the state's block is the one shown */
	why_lift("192.0.2.7", 1500, "manual");
	why_block("192.0.2.7", 3000, 0, "starttls", "1/1", "second");
	why_flush();
	ok(show("192.0.2.7", b, out, sizeof(out)) == 1 &&
	    strstr(out, "second") == NULL && strstr(out, "trigger: mail") &&
	    strstr(out, "lifted") == NULL, "the state's block, not a later "
	    "one");
	ok(show("192.0.2.7", NULL, out, sizeof(out)) == 1 &&
	    strstr(out, "trigger: starttls") && strstr(out, "  second\n"),
	    "not blocked: its last block");

	/* hostile and broken records are passed over */
	why_close();
	if ((f = fopen(wp, "a")) != NULL) {
		memset(big, 'A', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		fprintf(f, "block\nblock 192.0.2.9\nblock 192.0.2.9 x 0 mail "
		    "1/1\nline 192.0.2.9 99999999999999999999999 x\n%s\n"
		    "block 192.0.2.9 5 0 %s\nlift 192.0.2.9\n"
		    "block 192.0.2.9 6 7 mail", big, big);
		fclose(f);
	}
	ok(show("192.0.2.9", NULL, out, sizeof(out)) == 0,
	    "broken records say nothing, and crash nothing");
	ok(show("192.0.2.8", NULL, out, sizeof(out)) == 1,
	    "and the good ones around them still read");

	/* compaction keeps the blocks in force only */
	ok(why_open(sp) == 0, "open again");
	ok(why_compact(sp, &st) == 0, "compact");
	ok(show("192.0.2.7", b, out, sizeof(out)) == 1 &&
	    strstr(out, "trigger: mail"), "the block in force kept");
	ok(show("192.0.2.8", NULL, out, sizeof(out)) == 0,
	    "a block not in the state dropped");
	ok(fsize(wp) > 0 && fsize(wp) < 400, "the file is small again: %ld",
	    fsize(wp));
	why_block("192.0.2.10", 4000, 0, "mail", "1/1", "after");
	why_flush();
	ok(show("192.0.2.10", NULL, out, sizeof(out)) == 1,
	    "appends go on after a compaction");
	/* it grows past WHY_FILE_MAX: why_flush() asks for a compaction */
	for (i = 0; i < (int)(WHY_FILE_MAX / 1000) + 10; i++)
		why_block("192.0.2.11", 5000 + i, 0, "mail", "1/1", big + 7000);
	ok(why_flush() == 1, "past WHY_FILE_MAX a compaction is asked for");
	ok(why_compact(sp, &st) == 0 && why_flush() == 0 &&
	    fsize(wp) < 1000, "and done");
	{
		struct stat sb;

		ok(stat(wp, &sb) == 0 && (sb.st_mode & 077) == 0,
		    "the evidence file is the owner's alone: %04o",
		    (unsigned)(sb.st_mode & 0777));
	}
	why_close();
	state_free(&st);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	if (system(cmd) != 0)
		printf("# cannot remove %s\n", dir);
	printf("1..%d\n", tap_n);
	return tap_fail != 0;
}
