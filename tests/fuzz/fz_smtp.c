/* fuzz capturo/smtp.c: scripts of client, server, gap, packet and mid-stream chunks */

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "smtp.h"
#include "fuzz.h"

/*
 * The input's first byte picks a mode.
 *
 * Even: a script.  Bits 1-2 pick the memory budget, then chunks follow
 * until the input ends: one operation byte, then its operands.
 *	op % 8	0  client bytes, a length byte and that many bytes
 *		1  server bytes, same shape
 *		2  client bytes, a 2-byte length (big-endian)
 *		3  a client gap, a 2-byte length
 *		4  a server gap, a length byte
 *		5  smtp_packet()
 *		6  smtp_midstream()
 *		7  smtp_packet(), then client bytes as in 0
 * Every event is checked as it comes out (check_event()).
 *
 * Odd: the same client bytes, no server, fed whole, byte by byte and
 * in random pieces: the events must be the same each time, since with
 * no server bytes nothing but the client's bytes decides.  A 4-byte
 * seed for the pieces, then the client bytes.
 */

/* memory budgets to run under: the real one, and tight ones that make allocations fail */
static const size_t	budgets[] = { SMTP_MEM_MAX, 4096, 24 * 1024,
			    48 * 1024 };

/* what one run saw */
struct run {
	struct smtp_mem	 mem;
	struct smtp	*s;
	int		 server;	/* server bytes were fed */
	int		 ended;		/* smtp_end() was called */
	unsigned	 rcpts_total;	/* rcpt events in the connection */
	unsigned	 rcpts_txn;	/* rcpt events since the last mail or helo */
	unsigned	 msgs;		/* message events */
	unsigned	 paths;		/* mail and rcpt events */
	unsigned	 refused;	/* refused events */
	int		 unheard;	/* the unheard event came */
	/* the events, written out to compare runs */
	uint8_t		*out;
	size_t		 outlen, outcap;
	int		 record;
};

static void
rec(struct run *r, const void *p, size_t n)
{
	uint8_t	*nb;
	size_t	 cap;

	if (!r->record || n == 0)
		return;
	if (n > r->outcap - r->outlen) {
		for (cap = r->outcap ? r->outcap : 4096; cap - r->outlen < n;
		    cap *= 2)
			;
		if ((nb = realloc(r->out, cap)) == NULL)
			abort();
		r->out = nb;
		r->outcap = cap;
	}
	memcpy(r->out + r->outlen, p, n);
	r->outlen += n;
}

/* a value with its length in front, so that two lists compare exactly */
static void
rec_val(struct run *r, const char *v, size_t n)
{
	uint64_t	 len = v == NULL ? UINT64_MAX : n;

	rec(r, &len, sizeof(len));
	if (v != NULL)
		rec(r, v, n);
}

/* read every byte of a value, so that ASan sees a value pointing nowhere */
static unsigned
touch(const char *v, size_t n)
{
	volatile unsigned sum = 0;
	size_t		 i;

	for (i = 0; i < n; i++)
		sum += (uint8_t)v[i];
	return sum;
}

static void
check_event(void *ctx, const struct smtp_event *ev)
{
	struct run	*r = ctx;
	uint64_t	 num[4];
	size_t		 i;

	FZ_CHECK(!r->ended, "an event after smtp_end()");
	FZ_CHECK(r->mem.used <= r->mem.max, "budget passed: %zu > %zu",
	    r->mem.used, r->mem.max);
	FZ_CHECK(ev->type >= SMTP_EV_HELO && ev->type <= SMTP_EV_UNHEARD,
	    "event type %d", (int)ev->type);
	FZ_CHECK(ev->arg != NULL || ev->arglen == 0,
	    "NULL arg with length %zu", ev->arglen);
	FZ_CHECK(ev->arg2 != NULL || ev->arg2len == 0,
	    "NULL arg2 with length %zu", ev->arg2len);
	FZ_CHECK(ev->cut == 0 || ev->cut == 1, "cut=%d", ev->cut);
	FZ_CHECK(ev->reply == 0 || (ev->reply >= 200 && ev->reply <= 599),
	    "reply %d", ev->reply);
	if (ev->arg != NULL)
		(void)touch(ev->arg, ev->arglen);
	if (ev->arg2 != NULL)
		(void)touch(ev->arg2, ev->arg2len);

	switch (ev->type) {
	case SMTP_EV_HELO:
		FZ_CHECK(ev->verb != NULL && (strcmp(ev->verb, "HELO") == 0 ||
		    strcmp(ev->verb, "EHLO") == 0 ||
		    strcmp(ev->verb, "LHLO") == 0), "helo verb");
		FZ_CHECK(ev->arg != NULL, "helo without a name");
		/* capturo(8), LIMITS: a HELO name is cut at SMTP_NAME_MAX */
		FZ_CHECK(ev->arglen <= SMTP_NAME_MAX, "helo name %zu bytes",
		    ev->arglen);
		r->rcpts_txn = 0;
		break;
	case SMTP_EV_AUTH:
		FZ_CHECK(ev->verb != NULL && ev->verb[0] != '\0' &&
		    strlen(ev->verb) < 32, "auth mechanism");
		for (i = 0; ev->verb[i] != '\0'; i++)
			FZ_CHECK((ev->verb[i] >= 'A' && ev->verb[i] <= 'Z') ||
			    (ev->verb[i] >= '0' && ev->verb[i] <= '9') ||
			    ev->verb[i] == '-' || ev->verb[i] == '_' ||
			    ev->verb[i] == '?', "auth mechanism byte 0x%02x",
			    (uint8_t)ev->verb[i]);
		FZ_CHECK(ev->arg == NULL || (ev->arglen > 0 &&
		    ev->arglen <= SMTP_NAME_MAX), "auth user %zu bytes",
		    ev->arglen);
		FZ_CHECK(ev->arg == NULL ||
		    memchr(ev->arg, '\0', ev->arglen) == NULL,
		    "a NUL in the auth user");
		break;
	case SMTP_EV_STARTTLS:
		FZ_CHECK(ev->arg == NULL && ev->arg2 == NULL, "starttls args");
		break;
	case SMTP_EV_MAIL:
		FZ_CHECK(ev->arg != NULL, "mail without a path");
		/* capturo(8), LIMITS: a path is cut at SMTP_ADDR_MAX */
		FZ_CHECK(ev->arglen <= SMTP_ADDR_MAX, "mail path %zu bytes",
		    ev->arglen);
		r->rcpts_txn = 0;
		r->paths++;
		break;
	case SMTP_EV_RCPT:
		FZ_CHECK(ev->arg != NULL, "rcpt without a path");
		/* capturo(8), LIMITS: a path is cut at SMTP_ADDR_MAX */
		FZ_CHECK(ev->arglen <= SMTP_ADDR_MAX, "rcpt path %zu bytes",
		    ev->arglen);
		r->rcpts_total++;
		r->rcpts_txn++;
		r->paths++;
		break;
	case SMTP_EV_REFUSED:
		/* an answer of the server, to a MAIL or RCPT reported before */
		FZ_CHECK(r->server, "refused without a server");
		FZ_CHECK(!r->unheard, "refused after unheard");
		FZ_CHECK(ev->verb != NULL && (strcmp(ev->verb, "MAIL") == 0 ||
		    strcmp(ev->verb, "RCPT") == 0), "refused verb");
		FZ_CHECK(ev->reply >= 300, "refused with reply %d", ev->reply);
		FZ_CHECK(ev->arg != NULL || ev->cut, "a path not kept, not cut");
		FZ_CHECK(ev->arglen <= SMTP_ADDR_MAX, "refused path %zu bytes",
		    ev->arglen);
		FZ_CHECK(++r->refused <= r->paths, "%u refused, %u paths",
		    r->refused, r->paths);
		break;
	case SMTP_EV_UNHEARD:
		FZ_CHECK(!r->unheard, "unheard twice");
		FZ_CHECK(ev->verb == NULL && ev->arg == NULL, "unheard args");
		FZ_CHECK(ev->pending <= r->paths, "pending=%u, %u paths",
		    ev->pending, r->paths);
		r->unheard = 1;
		break;
	case SMTP_EV_MESSAGE:
		/* mime_subject() and mime_msgid() keep one byte for the NUL */
		FZ_CHECK(ev->arglen < SMTP_SUBJECT_MAX, "subject %zu bytes",
		    ev->arglen);
		FZ_CHECK(ev->arg2len < SMTP_ADDR_MAX, "msgid %zu bytes",
		    ev->arg2len);
		FZ_CHECK(ev->rcpts <= r->rcpts_total,
		    "message rcpts=%u, %u rcpt events in all", ev->rcpts,
		    r->rcpts_total);
		/*
		 * One-sided, the count is of the RCPT commands of this
		 * transaction, and each of them was reported.
		 */
		FZ_CHECK(r->server || ev->rcpts <= r->rcpts_txn,
		    "message rcpts=%u, %u rcpt events since mail",
		    ev->rcpts, r->rcpts_txn);
		r->msgs++;
		break;
	}

	num[0] = (uint64_t)ev->type;
	num[1] = ev->size;
	num[2] = (uint64_t)ev->rcpts << 32 | (uint32_t)ev->reply;
	num[3] = (uint64_t)ev->cut;
	rec(r, num, sizeof(num));
	rec_val(r, ev->verb, ev->verb ? strlen(ev->verb) : 0);
	rec_val(r, ev->arg, ev->arglen);
	rec_val(r, ev->arg2, ev->arg2len);
}

static void
run_begin(struct run *r, size_t budget, int record)
{
	memset(r, 0, sizeof(*r));
	r->mem.max = budget;
	r->record = record;
	r->s = smtp_new(&r->mem, check_event, r);
}

/* end the connection, take the parser's counters, free it, check the budget */
static void
run_end(struct run *r)
{
	uint32_t	 tail[2];

	if (r->s == NULL)
		return;
	smtp_end(r->s);
	r->ended = 1;
	FZ_CHECK(smtp_msgs(r->s) == r->msgs, "smtp_msgs() %u, %u events",
	    smtp_msgs(r->s), r->msgs);
	tail[0] = smtp_msgs(r->s);
	tail[1] = (uint32_t)smtp_tls(r->s);
	rec(r, tail, sizeof(tail));
	smtp_free(r->s);
	r->s = NULL;
	FZ_CHECK(r->mem.used == 0, "%zu bytes of the budget not given back",
	    r->mem.used);
}

static void
script(const uint8_t *data, size_t size)
{
	struct fz_in	 in = { data + 1, size - 1 };
	struct run	 r;
	const uint8_t	*p;
	size_t		 n;
	uint8_t		 op;

	run_begin(&r, budgets[(data[0] >> 1) & 3], 0);
	if (r.s == NULL)
		return;		/* the budget holds not even the parser */
	while (fz_left(&in)) {
		op = fz_u8(&in);
		switch (op % 8) {
		case 7:
			smtp_packet(r.s);
			/* FALLTHROUGH */
		case 0:
			p = fz_bytes(&in, fz_u8(&in), &n);
			smtp_data(r.s, SMTP_CLIENT, p, n);
			break;
		case 1:
			p = fz_bytes(&in, fz_u8(&in), &n);
			if (n > 0)
				r.server = 1;
			smtp_data(r.s, SMTP_SERVER, p, n);
			break;
		case 2:
			p = fz_bytes(&in, fz_u16(&in), &n);
			smtp_data(r.s, SMTP_CLIENT, p, n);
			break;
		case 3:
			smtp_gap(r.s, SMTP_CLIENT, fz_u16(&in));
			break;
		case 4:
			smtp_gap(r.s, SMTP_SERVER, fz_u8(&in));
			break;
		case 5:
			smtp_packet(r.s);
			break;
		case 6:
			smtp_midstream(r.s);
			break;
		}
		FZ_CHECK(r.mem.used <= r.mem.max, "budget passed: %zu > %zu",
		    r.mem.used, r.mem.max);
	}
	run_end(&r);
}

/* xorshift32: the piece lengths, from the seed in the input */
static uint32_t
rnd(uint32_t *x)
{
	*x ^= *x << 13;
	*x ^= *x >> 17;
	*x ^= *x << 5;
	return *x;
}

/* feed p in pieces: whole (how 0), byte by byte (1), random (2) */
static void
feed(struct run *r, const uint8_t *p, size_t len, int how, uint32_t seed)
{
	size_t	 i, n, max;

	/* pieces of up to 2^k bytes, k from the seed: short and long ones */
	max = (size_t)1 << (seed % 12);
	seed |= 1;
	for (i = 0; i < len; i += n) {
		if (how == 0)
			n = len;
		else if (how == 1)
			n = 1;
		else
			n = 1 + rnd(&seed) % max;
		if (n > len - i)
			n = len - i;
		smtp_packet(r->s);
		smtp_data(r->s, SMTP_CLIENT, p + i, n);
	}
}

static void
split(const uint8_t *data, size_t size)
{
	struct fz_in	 in = { data + 1, size - 1 };
	struct run	 whole, part;
	const uint8_t	*p;
	size_t		 n;
	uint32_t	 seed;
	int		 how;

	seed = fz_u32(&in);
	p = fz_bytes(&in, in.len, &n);
	run_begin(&whole, SMTP_MEM_MAX, 1);
	if (whole.s == NULL)
		abort();
	feed(&whole, p, n, 0, 0);
	run_end(&whole);
	for (how = 1; how <= 2; how++) {
		if (how == 1 && n > 4096)
			continue;	/* slow, and the random pieces cover it */
		run_begin(&part, SMTP_MEM_MAX, 1);
		if (part.s == NULL)
			abort();
		feed(&part, p, n, how, seed);
		run_end(&part);
		FZ_CHECK(part.outlen == whole.outlen &&
		    memcmp(part.out, whole.out, whole.outlen) == 0,
		    "the events differ when the client bytes come %s "
		    "(seed %u)", how == 1 ? "byte by byte" : "in pieces",
		    seed);
		free(part.out);
	}
	free(whole.out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	if (data[0] & 1)
		split(data, size);
	else
		script(data, size);
	return 0;
}
