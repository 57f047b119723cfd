/* follow an SMTP dialogue from both directions of the wire and report its events */
#include <stdlib.h>
#include <string.h>

#include "ascii.h"
#include "bounds.h"
#include "mime.h"
#include "smtp.h"

/*
 * The client's bytes are read the way the server reads them.  Commands
 * are lines (RFC 5321 2.3.8; a bare LF is taken as a line end, as most
 * servers do).  Three commands change how the bytes after them are
 * read, and only the server's answer tells how: DATA (354 starts the
 * message, RFC 5321 4.1.1.4), STARTTLS (220 makes the rest opaque, RFC
 * 3207 4) and AUTH (334 asks for one more line, RFC 4954 4).  After
 * them the client's bytes are held until the answer is seen, so that a
 * body the server refused is read as the commands the server read, and
 * a message the server accepted is never read as commands.  BDAT (RFC
 * 3030 2) says its own length and needs no answer.  When no byte of
 * the server has been seen (a one-sided capture) the server is taken to
 * say yes.
 */

/*
 * The states, as they are read from struct smtp.
 *
 * The client reader, cmode:
 *   C_CMD	command lines
 *   C_DATA	a DATA message, up to CRLF.CRLF (LF.LF when lfmode)
 *   C_BDAT	a BDAT chunk, chunk bytes still to come
 *   C_AUTH	AUTH lines; one-sided, alines of them are left
 *   C_TLS	opaque to the end, the server's bytes as well
 *   C_TLSPROBE	one-sided STARTTLS, opaque too: the next client byte
 *		tells (0x16, a TLS record: C_TLS; any other: C_CMD)
 * Over any of them the client's bytes are held (hold()) while
 *   wait	names the command whose answer is awaited (P_DATA,
 *		P_STARTTLS, P_AUTH, P_DOT, P_BDAT_LAST; pause_for()), and
 *		is P_NONE otherwise, or while
 *   SY_UNSYNCED	(sync, below) the capture began mid-stream and the
 *		place is unknown.
 *
 * The client's line reader, lread, in C_CMD and C_AUTH:
 *   L_LINE	lines
 *   L_SKIP	bytes dropped up to a LF, then L_LINE
 *   L_GAP	the first line after a gap counts only if it starts with
 *		a verb (else it is the rest of a lost one), then L_LINE
 *   L_SKIPGAP	bytes dropped up to a LF, then L_GAP
 * L_LINE -> L_SKIP (lread_skip()): a gap within a line, a gap in a
 * BDAT chunk, a gap while held (the held bytes dropped), the hold
 * overflowing unsynced, no memory for the line, or sync_answer()
 * dropping held bytes that end within a line.  L_LINE -> L_GAP: a gap
 * at a line start.  Each of these from L_GAP (or, for a gap at a line
 * start, from L_SKIP) gives L_SKIPGAP.  The LF ends a skip, and so do
 * sync_held() and sync_answer() when the bytes dropped end with a LF;
 * the next whole line ends L_GAP.
 * The server's line reader, sread: S_LINE; S_SKIP after a gap in its
 * bytes, up to the next LF.
 *
 * The sync with the server, sync (banner: its greeting was seen):
 *   SY_ONESIDED	no byte of it yet; taken to say yes
 *   SY_LIVE		its answers are matched to pend[], in order
 *   SY_BLIND		answers can no longer be matched; read as one-sided
 *   SY_UNSYNCED	mid-stream (smtp_midstream()): waiting for a place
 *   SY_RESYNC		blind, after a mid-stream answer: the next command
 *			line must start with a verb
 * server_seen is set by any byte of the server, even when blind or
 * unsynced.
 *
 * Sync transitions:
 *   ONESIDED -> LIVE	smtp_peer() or a server byte
 *   ONESIDED -> BLIND	a MAIL or RCPT read with no server heard (path_event())
 *   either -> BLIND	go_blind(): more runs pending than SMTP_PIPE_MAX; an
 *			answer no command takes (354, 334, 2xx to DATA);
 *			a gap in the server's bytes with answers awaited; a
 *			gap in the client's commands or BDAT chunk; an
 *			answer awaited that will not come (resume_assumed())
 *   UNSYNCED -> RESYNC	an answer not 354 or 334 (sync_answer()), the held
 *			bytes dropped
 *   UNSYNCED -> BLIND	the same, when the bytes held are one command line:
 *			it is read; one-sided, a CRLF.CRLF held and a later
 *			client packet, or the end (sync_held())
 *   RESYNC -> BLIND	a command line that starts with a verb (it is read)
 *   RESYNC -> UNSYNCED	a line that does not (midfails counts it)
 *   BLIND, RESYNC	go_blind() leaves them as they are
 *
 * Client transitions (live: through wait, the answer decides, as the
 * table above answered() says; not live: at once, as if the answer
 * were yes; the commands and what reading each does: commands[]):
 *   C_CMD  --DATA-->      live: wait; 354 -> C_DATA, else C_CMD.
 *			   not live: C_DATA
 *   C_DATA --CRLF.CRLF--> C_CMD (msg_end()); live: M_OWED, wait
 *			   for its answer, which the message event carries
 *   C_DATA --answer-->    M_DATA354, an answer to no DATA: the end
 *			   was lost, C_CMD, the message cut
 *   C_CMD  --BDAT n-->    C_BDAT when n > 0 (M_BDAT until LAST); at the
 *			   end of the chunk C_CMD, msg_end() after LAST
 *   C_CMD  --STARTTLS-->  live: wait; 220 -> C_TLS (held bytes
 *			   dropped), else C_CMD.  not live: C_TLSPROBE
 *   C_CMD  --AUTH-->      live: wait; 334 -> C_AUTH, else C_CMD and the
 *			   auth event.  not live: C_AUTH for alines lines
 *   C_AUTH --line-->      live: wait again for its answer.  not live:
 *			   C_CMD after the last line, and the auth event
 *   wait   --lost-->      resume_assumed(): blind, the answer taken as
 *			   yes (DATA: C_DATA, STARTTLS: C_TLSPROBE, AUTH: C_AUTH)
 *   any    --end-->       C_CMD (smtp_end())
 *
 * The message, msg, beside cmode:
 *   M_NONE	none, or its event written (emit_message())
 *   M_DATA	C_DATA with no 354 seen: one-sided or blind (cmd_data(),
 *		resume_assumed())
 *   M_DATA354	C_DATA after the server's 354; a 354 to a DATA read
 *		within it keeps it, another answer to that DATA makes it
 *		M_DATA
 *   M_BDAT	BDAT chunks read, up to the one with LAST; over C_BDAT
 *		and the C_CMD between chunks.  RSET, MAIL or HELO ->
 *		M_NONE (transaction_reset()).  A DATA message begun
 *		within it replaces it.
 *   M_OWED	whole (msg_end(), live): the event waits for its answer.
 *		A client event due meanwhile writes the message event
 *		first (emit()), and so does any command but QUIT and
 *		NOOP (commands[]); the answer to CRLF.CRLF or BDAT LAST
 *		writes it with its code.  A 354 read then (a DATA read
 *		one-sided before the server spoke) begins a message over
 *		it: M_DATA354.
 * msg_end() not live writes the event at once: M_NONE.
 */

/* what the client is sending now */
enum cmode {
	C_CMD,		/* command lines */
	C_DATA,		/* a DATA message, up to CRLF.CRLF */
	C_BDAT,		/* a BDAT chunk of a known length */
	C_AUTH,		/* one line of an AUTH exchange */
	C_TLS,		/* after STARTTLS: opaque */
	C_TLSPROBE	/* one-sided STARTTLS: the next byte tells */
};

/* commands whose answer the parser waits for or counts */
enum pcmd {
	P_NONE,		/* none: as wait, the client is read on */
	P_OTHER, P_HELO, P_MAIL, P_RCPT, P_RSET, P_DATA, P_DOT, P_BDAT,
	P_BDAT_LAST, P_STARTTLS, P_AUTH
};

/* what the server's answer to HELO or EHLO said it offers (RFC 5321 4.1.1.1) */
#define CAP_SEEN	0x01	/* an answer was seen: the rest is known */
#define CAP_CHUNKING	0x02	/* BDAT (RFC 3030 2) */

/* how the server's answers are read: the top comment's sync states */
enum sync {
	SY_ONESIDED,	/* no byte of it yet: taken to say yes */
	SY_LIVE,	/* answers matched to the commands, in order */
	SY_BLIND,	/* answers can no longer be matched: one-sided */
	SY_UNSYNCED,	/* mid-stream, the place not known yet */
	SY_RESYNC	/* blind, and the next line must be a command */
};

/* where the client's line reader is, in C_CMD and C_AUTH */
enum lread {
	L_LINE,		/* lines */
	L_SKIP,		/* drop bytes up to a LF, then L_LINE */
	L_GAP,		/* after a gap: the next line only if it has a verb */
	L_SKIPGAP	/* drop bytes up to a LF, then L_GAP */
};

/* where the server's line reader is */
enum sread {
	S_LINE,		/* reply lines */
	S_SKIP		/* after a gap: drop bytes up to a LF */
};

/*
 * The message, beside cmode: what the server said of it, and whether
 * it spans commands (the top comment's message states).
 */
enum msg {
	M_NONE,		/* none, or its event written */
	M_DATA,		/* a DATA message, its 354 not seen: one-sided, blind */
	M_DATA354,	/* a DATA message the server answered 354 */
	M_BDAT,		/* BDAT chunks, up to the one with LAST */
	M_OWED		/* whole: its event waits for its answer */
};

/* where the DATA scanner is within a line */
enum dstate { D_BOL, D_MID, D_DOT, D_DOTCR };

/* an AUTH mechanism and what its lines may tell of the user */
enum amech { A_OTHER, A_PLAIN, A_LOGIN, A_CRAM, A_XOAUTH2 };

struct smtp {
	smtp_emit_fn	*emit;
	void		*ctx;
	struct smtp_mem	*mem;

	enum cmode	 cmode;
	enum sync	 sync;		/* with the server */
	enum pcmd	 wait;		/* the answer the client is held for */
	enum lread	 lread;
	enum sread	 sread;
	/* facts, not states: what was seen, whatever the state */
	int		 server_seen;	/* a byte of the server, even blind */
	int		 banner;	/* the greeting was seen */
	int		 lfmode;	/* the DATA line ended in a bare LF */
	int		 midfails;	/* SY_RESYNC lines that had no verb */
	uint64_t	 packet;	/* packets seen (smtp_packet()) */
	uint64_t	 waitpacket;	/* the packet that began the wait */
	uint64_t	 dotpacket;	/* unsynced: the packet that held CRLF.CRLF */

	/* the client's partial command line */
	uint8_t		*line;
	size_t		 linelen;
	int		 linecut;	/* fact: this line passed SMTP_LINE_MAX */

	/* client bytes held while an answer is awaited */
	uint8_t		*hold;
	size_t		 holdlen;

	/* the server's current line: its first bytes are enough */
	uint8_t		 sline[64];
	size_t		 slinelen;
	/*
	 * The text of a 4xx or 5xx reply, its lines joined by "\n" and
	 * cut at SMTP_REPLY_TEXT_MAX, for the refused event's blocklist
	 * (rbl.c): held from its first line to its last only
	 */
	char		*rtext;
	size_t		 rtextlen;
	int		 inreply;	/* fact: lines of this reply seen before */
	int		 caps;		/* CAP_*, of the last HELO/EHLO answer */
	int		 newcaps;	/* being read from the answer */

	/*
	 * Commands awaiting an answer, in order (RFC 2920 3): runs of
	 * one kind, so a client that pipelines a thousand RCPTs takes
	 * one slot.
	 */
	uint8_t		 pend[SMTP_PIPE_MAX];
	uint16_t	 pendn[SMTP_PIPE_MAX];
	unsigned	 phead, pcount;

	/*
	 * The paths of the MAIL and RCPT commands among them, in the
	 * same order: entries of a 2-byte length, a cut flag and the
	 * path.  envlost counts the newest ones that found no room.
	 */
	uint8_t		*env;
	size_t		 envhead, envlen;
	unsigned	 envn, envlost;
	int		 unheard;	/* fact: the unheard event was written */

	/* the transaction */
	unsigned	 rcpt_sent, rcpt_ok;
	unsigned	 msgs;

	/* the message being received */
	enum dstate	 dstate;
	int		 lastcr;	/* fact: the last byte read was a CR */
	uint64_t	 size;
	uint64_t	 chunk;		/* BDAT bytes still to come */
	int		 chunklast;	/* fact: the chunk's BDAT said LAST */
	int		 inhdr;		/* fact: no empty line yet (RFC 5322) */
	int		 msgcut;	/* fact: some of the message was lost */
	uint8_t		*hdr;
	size_t		 hdrlen, hdrend;
	enum msg	 msg;		/* beside cmode: the top comment */

	/* AUTH */
	enum amech	 amech;
	char		 amechname[32];
	char		*auser;		/* decoded user name */
	size_t		 auserlen;
	int		 ausercut;	/* fact: the name passed SMTP_NAME_MAX */
	int		 auserask;	/* fact: LOGIN's prompt asked for the user */
	int		 alines;	/* AUTH lines left, one-sided */
	int		 areply;	/* the server's last answer to it */
};

static void	client_feed(struct smtp *, const uint8_t *, size_t);

void *
smtp_mem_get(struct smtp_mem *mem, size_t n)
{
	void	*p;

	if (mem != NULL && mem->used + n > mem->max)
		return NULL;
	if ((p = malloc(n)) == NULL)
		return NULL;
	if (mem != NULL)
		mem->used += n;
	return p;
}

void
smtp_mem_put(struct smtp_mem *mem, void *p, size_t n)
{
	if (p == NULL)
		return;
	free(p);
	if (mem != NULL)
		mem->used -= n;
}

/* a buffer of n bytes within the shared budget, or NULL */
static void *
mem_get(struct smtp *s, size_t n)
{
	return smtp_mem_get(s->mem, n);
}

static void
mem_put(struct smtp *s, void *p, size_t n)
{
	smtp_mem_put(s->mem, p, n);
}

struct smtp *
smtp_new(struct smtp_mem *mem, smtp_emit_fn *emit, void *ctx)
{
	struct smtp	*s;

	if ((s = smtp_mem_get(mem, sizeof(*s))) == NULL)
		return NULL;
	memset(s, 0, sizeof(*s));
	s->mem = mem;
	s->emit = emit;
	s->ctx = ctx;
	return s;
}

static void
hdr_free(struct smtp *s)
{
	mem_put(s, s->hdr, SMTP_HDR_MAX);
	s->hdr = NULL;
	s->hdrlen = s->hdrend = 0;
}

static void
auth_clear(struct smtp *s)
{
	if (s->auser != NULL) {
		mem_put(s, s->auser, SMTP_NAME_MAX);
		s->auser = NULL;
	}
	s->auserlen = 0;
	s->ausercut = 0;
	s->auserask = 0;
	s->areply = 0;
	s->amechname[0] = '\0';
}

void
smtp_free(struct smtp *s)
{
	if (s == NULL)
		return;
	mem_put(s, s->line, SMTP_LINE_MAX);
	mem_put(s, s->hold, SMTP_HOLD_MAX);
	mem_put(s, s->env, SMTP_ENV_MAX);
	mem_put(s, s->rtext, SMTP_REPLY_TEXT_MAX);
	hdr_free(s);
	auth_clear(s);
	smtp_mem_put(s->mem, s, sizeof(*s));
}

unsigned
smtp_msgs(const struct smtp *s)
{
	return s->msgs;
}

int
smtp_tls(const struct smtp *s)
{
	return s->cmode == C_TLS || s->cmode == C_TLSPROBE;
}

/* --- reporting --- */

static void
emit_message(struct smtp *s, int reply)
{
	struct smtp_event ev;
	const uint8_t	*v;
	size_t		 vlen;
	char		 subj[SMTP_SUBJECT_MAX], mid[SMTP_ADDR_MAX];
	int		 cut = 0, c;

	memset(&ev, 0, sizeof(ev));
	ev.type = SMTP_EV_MESSAGE;
	/* either value shortened marks the event: one must not clear it */
	if (s->hdr != NULL) {
		if (mime_header(s->hdr, s->hdrend, "subject", &v, &vlen) == 0) {
			ev.arglen = mime_subject(v, vlen, subj, sizeof(subj),
			    &c);
			ev.arg = subj;
			cut |= c;
		}
		if (mime_header(s->hdr, s->hdrend, "message-id", &v,
		    &vlen) == 0) {
			ev.arg2len = mime_msgid(v, vlen, mid, sizeof(mid),
			    &c);
			ev.arg2 = mid;
			cut |= c;
		}
	}
	ev.size = s->size;
	/* recipients the server took; those sent when it is not heard */
	ev.rcpts = s->sync == SY_LIVE ? s->rcpt_ok : s->rcpt_sent;
	ev.reply = reply;
	ev.cut = cut || s->msgcut;
	s->msg = M_NONE;
	s->msgs++;
	hdr_free(s);
	s->emit(s->ctx, &ev);
}

/* a client event is due: a message still waiting for its answer goes first */
static void
emit(struct smtp *s, struct smtp_event *ev)
{
	if (s->msg == M_OWED)
		emit_message(s, 0);
	s->emit(s->ctx, ev);
}

static void
emit_auth(struct smtp *s)
{
	struct smtp_event ev;

	if (s->amechname[0] == '\0')
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = SMTP_EV_AUTH;
	ev.verb = s->amechname;
	ev.reply = s->areply;
	if (s->auserlen > 0) {
		ev.arg = s->auser;
		ev.arglen = s->auserlen;
		ev.cut = s->ausercut;
	}
	emit(s, &ev);
	auth_clear(s);
}

/* --- the answers awaited --- */

/* the paths of MAIL and RCPT awaiting their answers are forgotten */
static void
env_clear(struct smtp *s)
{
	mem_put(s, s->env, SMTP_ENV_MAX);
	s->env = NULL;
	s->envhead = s->envlen = 0;
	s->envn = s->envlost = 0;
}

/* keep the path of a MAIL or RCPT until its answer */
static void
env_push(struct smtp *s, const char *a, size_t alen, int cut)
{
	size_t	 need = 3 + alen;

	if (s->envlost == 0 && s->env == NULL &&
	    (s->env = mem_get(s, SMTP_ENV_MAX)) == NULL) {
		s->envlost++;
		return;
	}
	if (s->envlost == 0 && s->envlen + need > SMTP_ENV_MAX &&
	    s->envhead > 0) {
		memmove(s->env, s->env + s->envhead, s->envlen - s->envhead);
		s->envlen -= s->envhead;
		s->envhead = 0;
	}
	/* the order is kept: once one found no room, so do the later ones */
	if (s->envlost > 0 || s->envlen + need > SMTP_ENV_MAX) {
		s->envlost++;
		return;
	}
	s->env[s->envlen] = (uint8_t)(alen >> 8);
	s->env[s->envlen + 1] = (uint8_t)alen;
	s->env[s->envlen + 2] = (uint8_t)(cut != 0);
	memcpy(s->env + s->envlen + 3, a, alen);
	s->envlen += need;
	s->envn++;
}

/*
 * The path of the oldest MAIL or RCPT awaiting its answer, taken off;
 * *a is NULL when it was not kept.  It stays valid until the next
 * env_push().
 */
static void
env_pop(struct smtp *s, const char **a, size_t *alen, int *cut)
{
	const uint8_t	*e;

	*a = NULL;
	*alen = 0;
	*cut = 1;
	if (s->envn == 0) {
		if (s->envlost > 0)
			s->envlost--;
		return;
	}
	e = s->env + s->envhead;
	*alen = (size_t)e[0] << 8 | e[1];
	*cut = e[2];
	*a = (const char *)e + 3;
	s->envhead += 3 + *alen;
	if (--s->envn == 0 && s->envlost == 0)
		s->envhead = s->envlen = 0;
}

/* the server refused a MAIL or RCPT: the refused event names it */
static void
emit_refused(struct smtp *s, enum pcmd c, int code)
{
	struct smtp_event ev;
	const char	*a;
	size_t		 alen;
	int		 cut;

	env_pop(s, &a, &alen, &cut);
	if (code >= 200 && code < 300)
		return;
	memset(&ev, 0, sizeof(ev));
	ev.type = SMTP_EV_REFUSED;
	ev.verb = c == P_MAIL ? "MAIL" : "RCPT";
	ev.arg = a;
	ev.arglen = alen;
	ev.reply = code;
	ev.cut = cut;
	ev.text = s->rtext;
	ev.textlen = s->rtext != NULL ? s->rtextlen : 0;
	/* a message pipelined after it (BDAT) still waits for its answer */
	s->emit(s->ctx, &ev);
}

/* MAIL and RCPT commands awaiting their answers */
static unsigned
env_pending(const struct smtp *s)
{
	unsigned	 i, n = 0, k;

	for (i = 0; i < s->pcount; i++) {
		k = (s->phead + i) % SMTP_PIPE_MAX;
		if (s->pend[k] == P_MAIL || s->pend[k] == P_RCPT)
			n += s->pendn[k];
	}
	return n;
}

/*
 * From here on the answers to MAIL and RCPT will not be seen: said
 * once, before the first mail or rcpt line it concerns, or at once
 * with the number of those already written and still unanswered.
 */
static void
emit_unheard(struct smtp *s, unsigned pending)
{
	struct smtp_event ev;

	if (s->unheard)
		return;
	s->unheard = 1;
	memset(&ev, 0, sizeof(ev));
	ev.type = SMTP_EV_UNHEARD;
	ev.pending = pending;
	s->emit(s->ctx, &ev);
}

/* the answers awaited will not be matched: forget them, and say so */
static void
pend_clear(struct smtp *s)
{
	unsigned	 n = env_pending(s);

	if (n > 0)
		emit_unheard(s, n);
	s->pcount = 0;
	env_clear(s);
}

/* answers can no longer be matched to commands: go on as one-sided */
static void
go_blind(struct smtp *s)
{
	if (s->sync != SY_RESYNC)	/* blind already, its line awaited */
		s->sync = SY_BLIND;
	pend_clear(s);
}

static void	resume_assumed(struct smtp *);

/* an answer was lost or out of step: go blind, and stop waiting for it */
static void
answers_lost(struct smtp *s)
{
	go_blind(s);
	if (s->wait != P_NONE)
		resume_assumed(s);
}

/* 0 when the command now awaits its answer */
static int
pend_push(struct smtp *s, enum pcmd c)
{
	unsigned	 last;

	if (s->sync == SY_BLIND || s->sync == SY_RESYNC)
		return -1;
	if (s->pcount > 0) {
		last = (s->phead + s->pcount - 1) % SMTP_PIPE_MAX;
		if (s->pend[last] == (uint8_t)c && s->pendn[last] < UINT16_MAX) {
			s->pendn[last]++;
			return 0;
		}
	}
	if (s->pcount == SMTP_PIPE_MAX) {
		/*
		 * More runs of commands unanswered than any real client
		 * sends: the answers can no longer be matched.  Forgetting
		 * the oldest would give a DATA the answer of a NOOP.
		 */
		go_blind(s);
		return -1;
	}
	last = (s->phead + s->pcount) % SMTP_PIPE_MAX;
	s->pend[last] = (uint8_t)c;
	s->pendn[last] = 1;
	s->pcount++;
	return 0;
}

/* the command the next answer is for, or -1 */
static int
pend_peek(const struct smtp *s)
{
	return s->pcount == 0 ? -1 : s->pend[s->phead];
}

static int
pend_pop(struct smtp *s)
{
	int	 c;

	if (s->pcount == 0)
		return -1;
	c = s->pend[s->phead];
	if (--s->pendn[s->phead] == 0) {
		s->phead = (s->phead + 1) % SMTP_PIPE_MAX;
		s->pcount--;
	}
	return c;
}

/* wait for the answer to the command just read */
static void
pause_for(struct smtp *s, enum pcmd c)
{
	s->wait = c;
	s->waitpacket = s->packet;
}

/* the client's bytes are dropped up to a LF */
static int
lread_skipping(const struct smtp *s)
{
	return s->lread == L_SKIP || s->lread == L_SKIPGAP;
}

/* drop the client's bytes up to a LF (on), or not; a gap's check stays */
static void
lread_skip(struct smtp *s, int on)
{
	int	 gap = s->lread == L_GAP || s->lread == L_SKIPGAP;

	if (on)
		s->lread = gap ? L_SKIPGAP : L_SKIP;
	else
		s->lread = gap ? L_GAP : L_LINE;
}

/* hand the held bytes back to the client reader */
static void
resume(struct smtp *s)
{
	uint8_t	*h = s->hold;
	size_t	 n = s->holdlen;

	s->wait = P_NONE;
	if (h == NULL)
		return;
	s->hold = NULL;
	s->holdlen = 0;
	client_feed(s, h, n);
	mem_put(s, h, SMTP_HOLD_MAX);
}

static void	msg_begin(struct smtp *);

/*
 * One-sided and mid-stream: the end of the last CRLF "." CRLF among
 * the bytes held, or 0.  A DATA message cannot hold that sequence
 * (its dots are stuffed, RFC 5321 4.5.2), so what follows it is
 * commands.  A BDAT chunk can: this is used only when the server is
 * never heard, which leaves nothing better to go by.
 */
static size_t
held_dot(const struct smtp *s)
{
	size_t	 i, start = 0;

	for (i = 2; s->hold != NULL && i + 3 <= s->holdlen; i++)
		if (memcmp(s->hold + i - 2, "\r\n.\r\n", 5) == 0)
			start = i + 3;
	return start;
}

/* one-sided: read on from the last CRLF.CRLF held, answers unmatched */
static void
sync_held(struct smtp *s)
{
	size_t	 start = held_dot(s);

	go_blind(s);
	memmove(s->hold, s->hold + start, s->holdlen - start);
	s->holdlen -= start;
	lread_skip(s, 0);
	resume(s);
}

static int	known_verb(const uint8_t *, size_t);

/*
 * Mid-stream, an answer of the server: the client was between
 * commands when it was sent.  What the client sent before it is of
 * unknown kind (the tail of a message, a BDAT chunk that may hold
 * anything, commands), and is dropped so that nothing in a message is
 * ever read as a command; all but one command line alone, which the
 * answer was to (the capture began between two commands).  The first
 * line after it must be a command, or the wait goes on to the next
 * answer.
 */
static void
sync_answer(struct smtp *s)
{
	const uint8_t	*nl = NULL;

	if (s->holdlen > 0)
		nl = memchr(s->hold, '\n', s->holdlen);
	/* kept: one command line, and what is held is nothing else */
	if (nl == NULL || nl != s->hold + s->holdlen - 1 || lread_skipping(s) ||
	    s->midfails != 0 || !known_verb(s->hold, s->holdlen)) {
		if (s->holdlen > 0)
			lread_skip(s, s->hold[s->holdlen - 1] != '\n');
		s->holdlen = 0;
	}
	go_blind(s);
	if (s->holdlen == 0) {
		s->sync = SY_RESYNC;
		mem_put(s, s->hold, SMTP_HOLD_MAX);
		s->hold = NULL;
	} else
		resume(s);
}

/*
 * The answer will not be seen (lost, or never sent while the client
 * went on): take it as yes, the way a one-sided capture is read.
 */
static void
resume_assumed(struct smtp *s)
{
	go_blind(s);
	switch (s->wait) {
	case P_DATA:
		msg_begin(s);
		s->cmode = C_DATA;
		s->msg = M_DATA;
		break;
	case P_STARTTLS:
		s->cmode = C_TLSPROBE;
		s->alines = 0;
		break;
	case P_AUTH:
		if (s->cmode != C_AUTH)
			s->cmode = C_AUTH;
		if (s->alines <= 0)
			s->alines = 1;
		break;
	default:
		break;
	}
	resume(s);
}

static void
hold(struct smtp *s, const uint8_t *p, size_t len)
{
	size_t	 room;

	if (s->hold == NULL && (s->hold = mem_get(s, SMTP_HOLD_MAX)) == NULL)
		room = 0;
	else
		room = SMTP_HOLD_MAX - s->holdlen;
	if (len > room) {
		/*
		 * The client sends much more without the answer it
		 * needs: it was not waiting, so take the answer as yes.
		 */
		if (s->wait != P_NONE) {
			resume_assumed(s);
			client_feed(s, p, len);
			return;
		}
		/*
		 * Unsynced: keep the newest bytes, from a line start on;
		 * the end of a message is what tells where we are.
		 */
		s->holdlen = 0;
		if (len > SMTP_HOLD_MAX) {
			p += len - SMTP_HOLD_MAX;
			len = SMTP_HOLD_MAX;
		}
		if (s->hold == NULL)
			return;
		lread_skip(s, 1);
	}
	memcpy(s->hold + s->holdlen, p, len);
	s->holdlen += len;
	/*
	 * One-sided and mid-stream: the end of a message is a place too,
	 * once a later packet of the client shows the server was not heard
	 * in between (it would have answered it).
	 */
	if (s->sync == SY_UNSYNCED && s->wait == P_NONE && !s->server_seen) {
		if (s->dotpacket != 0 && s->packet > s->dotpacket) {
			sync_held(s);
		} else if (s->dotpacket == 0 && held_dot(s) > 0)
			s->dotpacket = s->packet;
	}
}

/* --- the message --- */

static void
msg_begin(struct smtp *s)
{
	s->size = 0;
	s->inhdr = 1;
	s->msgcut = 0;
	s->dstate = D_BOL;
	s->lastcr = 0;
	hdr_free(s);
}

/*
 * The message is whole; its answer decides when it is reported.  The
 * answer to CRLF.CRLF is awaited as one more command; BDAT LAST was
 * queued when it was read.
 */
static void
msg_end(struct smtp *s, int dot)
{
	s->cmode = C_CMD;
	if (s->sync == SY_LIVE) {
		s->msg = M_OWED;
		/*
		 * What the client pipelines after it waits for the
		 * answer: the recipients still unanswered belong to this
		 * message, and its reply code to its event.  A CRLF.CRLF
		 * that finds no room among the answers awaited has made
		 * the reader blind (pend_push()): nothing is awaited then.
		 */
		if (!dot || pend_push(s, P_DOT) == 0)
			pause_for(s, dot ? P_DOT : P_BDAT_LAST);
	} else
		emit_message(s, 0);
}

/* message bytes after dot-unstuffing: counted, and the header kept */
static void
content(struct smtp *s, const uint8_t *p, size_t n)
{
	size_t	 take, i;

	s->size += n;
	if (!s->inhdr || n == 0)
		return;
	if (s->hdr == NULL && (s->hdr = mem_get(s, SMTP_HDR_MAX)) == NULL) {
		s->inhdr = 0;
		s->msgcut = 1;
		return;
	}
	take = n < SMTP_HDR_MAX - s->hdrlen ? n : SMTP_HDR_MAX - s->hdrlen;
	memcpy(s->hdr + s->hdrlen, p, take);
	/* the header ends at the first empty line (RFC 5322 2.1) */
	for (i = s->hdrlen; i < s->hdrlen + take; i++) {
		if (s->hdr[i] != '\n')
			continue;
		if (i == 0 || (i == 1 && s->hdr[0] == '\r')) {
			s->hdrend = 0;
			s->inhdr = 0;
			break;
		}
		if ((i >= 1 && s->hdr[i - 1] == '\n') ||
		    (i >= 2 && s->hdr[i - 1] == '\r' && s->hdr[i - 2] == '\n')) {
			s->hdrend = i + 1;
			s->inhdr = 0;
			break;
		}
	}
	if (s->inhdr) {
		s->hdrlen += take;
		s->hdrend = s->hdrlen;
		if (s->hdrlen == SMTP_HDR_MAX) {
			s->inhdr = 0;	/* a header this long is cut */
			s->msgcut = 1;
		}
	} else
		s->hdrlen = s->hdrend;
}

/*
 * DATA: the message ends at a line holding only "." (RFC 5321
 * 4.1.1.4), that is at CRLF "." CRLF.  A "." between bare LFs, or
 * between CR and LF in any other mix, does not end it: that is what a
 * server hardened against SMTP smuggling does, and so a body cannot
 * end its message early and be read as more commands.  A client that
 * wrote its DATA command with a bare LF is followed in its own
 * convention: LF "." LF ends its message.  A leading dot is removed
 * (4.5.2).  Returns the bytes consumed.
 */
static size_t
data_scan(struct smtp *s, const uint8_t *p, size_t len)
{
	size_t		 i = 0;
	const uint8_t	*nl;
	size_t		 n;

	while (i < len) {
		switch (s->dstate) {
		case D_BOL:
			if (p[i] == '.') {
				s->dstate = D_DOT;
				i++;
				continue;
			}
			s->dstate = D_MID;
			s->lastcr = 0;
			continue;
		case D_DOT:
			if (p[i] == '\r') {
				s->dstate = D_DOTCR;
				i++;
				continue;
			}
			if (p[i] == '\n' && s->lfmode) {
				msg_end(s, 1);
				return i + 1;
			}
			s->dstate = D_MID;	/* a stuffed dot, dropped */
			s->lastcr = 0;
			continue;
		case D_DOTCR:
			if (p[i] == '\n') {
				msg_end(s, 1);
				return i + 1;
			}
			content(s, (const uint8_t *)"\r", 1);
			s->lastcr = 1;
			s->dstate = D_MID;
			continue;
		case D_MID:
			nl = memchr(p + i, '\n', len - i);
			n = nl == NULL ? len - i : (size_t)(nl - (p + i)) + 1;
			content(s, p + i, n);
			if (nl == NULL) {
				s->lastcr = p[len - 1] == '\r';
				return len;
			}
			if ((n >= 2 && p[i + n - 2] == '\r') ||
			    (n == 1 && s->lastcr) || s->lfmode)
				s->dstate = D_BOL;
			s->lastcr = 0;
			i += n;
			continue;
		}
	}
	return len;
}

/* --- commands --- */

/* p begins with word, in either case */
static int
ciprefix(const uint8_t *p, size_t len, const char *word)
{
	size_t	 n = strlen(word);

	return len >= n && ascii_caseeqn(p, word, n);
}

static int
isblank_(uint8_t c)
{
	return c == ' ' || c == '\t';
}

struct cmdline;

/* a command a server knows: commands[] */
struct command {
	const char	*verb;
	size_t		 len;		/* of verb */
	enum pcmd	 pcmd;		/* its answer is awaited as */
	int		 owed;		/* a message owed its answer stays owed */
	void		(*proceed)(struct smtp *, const struct cmdline *);
};

/* a command line as the function of its verb gets it */
struct cmdline {
	const struct command *cmd;
	const uint8_t	*arg;		/* the bytes after the verb */
	const uint8_t	*end;		/* the end of the line */
	int		 cut;		/* the line was cut at SMTP_LINE_MAX */
};

static const uint8_t *
skipsp(const uint8_t *p, const uint8_t *end)
{
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

/*
 * The path of MAIL FROM: or RCPT TO: (RFC 5321 4.1.2), with the
 * common deviations real clients send: no angle brackets, spaces
 * after the colon.  Sets *a and *alen to the address without its
 * brackets and without a source route; "" for <>.
 */
static void
parse_path(const uint8_t *p, const uint8_t *end, const uint8_t **a,
    size_t *alen)
{
	const uint8_t	*q, *r;
	int		 quoted = 0;

	p = skipsp(p, end);
	if (p < end && *p == '<') {
		p++;
		for (q = p; q < end; q++) {
			if (quoted && *q == '\\' && q + 1 < end) {
				q++;
				continue;
			}
			if (*q == '"')
				quoted = !quoted;
			else if (!quoted && *q == '>')
				break;
		}
	} else
		for (q = p; q < end && !isblank_(*q); q++)
			;
	/* an obsolete source route: @a,@b:user@host */
	if (p < q && *p == '@') {
		for (r = p; r < q && *r != ':'; r++)
			;
		if (r < q)
			p = r + 1;
	}
	*a = p;
	*alen = (size_t)(q - p);
}

static void
auth_setuser(struct smtp *s, const uint8_t *u, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)		/* a user name holds no NUL */
		if (u[i] == '\0')
			n = i;
	if (n == 0)
		return;
	if (s->auser == NULL && (s->auser = mem_get(s, SMTP_NAME_MAX)) == NULL)
		return;
	if (n > SMTP_NAME_MAX) {
		n = SMTP_NAME_MAX;
		s->ausercut = 1;
	}
	memcpy(s->auser, u, n);
	s->auserlen = n;
}

/*
 * One client line of an AUTH exchange (RFC 4954 4), base64.  Only the
 * user name is kept; the rest, a password or a digest, is wiped.
 *   PLAIN (RFC 4616): authzid NUL authcid NUL passwd
 *   LOGIN: the answer to a "Username:" prompt
 *   CRAM-MD5 (RFC 2195): user SP digest
 *   XOAUTH2: "user=" user ^A "auth=Bearer " token ^A ^A
 */
static void
auth_line(struct smtp *s, const uint8_t *p, size_t len)
{
	uint8_t		 buf[SMTP_LINE_MAX];
	size_t		 n = 0, i, j;
	long		 r;

	if (len == 1 && p[0] == '*')		/* cancelled */
		return;
	if ((r = mime_b64(p, len, buf, sizeof(buf))) == -1)
		return;
	n = (size_t)r;
	switch (s->amech) {
	case A_PLAIN:
		for (i = 0; i < n && buf[i] != '\0'; i++)
			;
		for (j = i + 1; j < n && buf[j] != '\0'; j++)
			;
		if (i < n && j < n)
			auth_setuser(s, buf + i + 1, j - i - 1);
		break;
	case A_LOGIN:
		if (s->auserask)
			auth_setuser(s, buf, n);
		s->auserask = 0;
		break;
	case A_CRAM:
		for (i = 0; i < n && buf[i] != ' '; i++)
			;
		if (i < n)
			auth_setuser(s, buf, i);
		break;
	case A_XOAUTH2:
		if (n > 5 && memcmp(buf, "user=", 5) == 0) {
			for (i = 5; i < n && buf[i] != 1; i++)
				;
			auth_setuser(s, buf + 5, i - 5);
		}
		break;
	case A_OTHER:
		break;
	}
	explicit_bzero(buf, sizeof(buf));
}

static void
cmd_auth(struct smtp *s, const struct cmdline *l)
{
	const uint8_t	*end = l->end, *m, *ir;
	size_t		 n, i;

	auth_clear(s);
	m = skipsp(l->arg, end);
	for (ir = m; ir < end && !isblank_(*ir); ir++)
		;
	n = (size_t)(ir - m);
	if (n == 0)
		return;
	if (n >= sizeof(s->amechname))
		n = sizeof(s->amechname) - 1;
	for (i = 0; i < n; i++) {
		char c = (char)m[i];

		if (c >= 'a' && c <= 'z')
			c -= 32;
		/* RFC 4422 3.1: upper-case letters, digits, '-', '_' */
		if (!((c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '_'))
			c = '?';
		s->amechname[i] = c;
	}
	s->amechname[n] = '\0';
	if (strcmp(s->amechname, "PLAIN") == 0) {
		s->amech = A_PLAIN;
		s->alines = 1;
	} else if (strcmp(s->amechname, "LOGIN") == 0) {
		s->amech = A_LOGIN;
		s->alines = 2;
	} else if (strcmp(s->amechname, "CRAM-MD5") == 0) {
		s->amech = A_CRAM;
		s->alines = 1;
	} else if (strcmp(s->amechname, "XOAUTH2") == 0) {
		s->amech = A_XOAUTH2;
		s->alines = 1;
	} else {
		s->amech = A_OTHER;
		s->alines = 1;
	}
	ir = skipsp(ir, end);
	if (ir < end) {
		/* an initial response (RFC 4954 4); "=" is empty */
		if (s->amech == A_LOGIN)
			s->auserask = 1;
		if (!(end - ir == 1 && *ir == '='))
			auth_line(s, ir, (size_t)(end - ir));
		s->alines--;
		if (s->amech != A_LOGIN)
			s->alines = 0;
	} else if (s->amech == A_LOGIN)
		s->auserask = 1;	/* one-sided: the first line is the user */
	pend_push(s, l->cmd->pcmd);
	if (s->sync == SY_LIVE)
		pause_for(s, P_AUTH);
	else if (s->alines > 0)
		s->cmode = C_AUTH;
	else
		emit_auth(s);
}

/*
 * MAIL, RSET or a new HELO/EHLO: a new transaction.  When the server
 * is heard its answer decides (in reply()): a MAIL refused with 503
 * within a transaction, or a refused EHLO, leaves it as it was (RFC
 * 5321 4.1.1.1, 4.1.4).
 */
static void
transaction_reset(struct smtp *s)
{
	s->rcpt_sent = 0;
	if (s->sync != SY_LIVE)
		s->rcpt_ok = 0;
	if (s->msg == M_BDAT) {
		/* RFC 3030 2: RSET discards the chunks sent so far */
		s->msg = M_NONE;
		hdr_free(s);
	}
}

/*
 * BDAT chunk-size [LAST] (RFC 3030 2).  A size that is not a number
 * of at most 18 digits is a syntax error to the server, which then
 * reads no chunk (Postfix: 501 5.5.4).
 */
static void
cmd_bdat(struct smtp *s, const struct cmdline *l)
{
	const uint8_t	*p, *q, *end = l->end;
	uint64_t	 n = 0;
	int		 last = 0;

	p = skipsp(l->arg, end);
	for (q = p; q < end && *q >= '0' && *q <= '9'; q++)
		n = n * 10 + (uint64_t)(*q - '0');
	if (q == p || q - p > 18 || (q < end && !isblank_(*q))) {
		pend_push(s, P_OTHER);	/* refused: its 501 is awaited */
		return;
	}
	/*
	 * A server that did not offer CHUNKING to EHLO (or was greeted
	 * with HELO) does not know BDAT: it answers 500 or 502 and reads
	 * what follows as commands, as Postfix does with CHUNKING off.
	 */
	if (s->sync == SY_LIVE && (s->caps & CAP_SEEN) &&
	    !(s->caps & CAP_CHUNKING)) {
		pend_push(s, P_OTHER);
		return;
	}
	q = skipsp(q, end);
	if (q < end) {
		if (end - q == 4 && ciprefix(q, 4, "LAST"))
			last = 1;
		else {
			pend_push(s, P_OTHER);
			return;
		}
	}
	if (s->msg != M_BDAT) {
		msg_begin(s);
		s->msg = M_BDAT;
	}
	s->chunk = n;
	s->chunklast = last;
	pend_push(s, last ? P_BDAT_LAST : P_BDAT);
	if (n > 0)
		s->cmode = C_BDAT;
	else if (last)
		msg_end(s, 0);
}

/*
 * "MAIL FROM:" and "RCPT TO:", verbs with a space in them (smtpd's
 * commands[]); spaces between the two words are tolerated, as real
 * servers do.  The bytes after the keyword, or NULL.
 */
static const uint8_t *
keyword(const struct cmdline *l, const char *kw)
{
	const uint8_t	*q;

	q = skipsp(l->arg, l->end);
	if (!ciprefix(q, (size_t)(l->end - q), kw))
		return NULL;
	return q + strlen(kw);
}

/*
 * The mail or rcpt event of the path in p..end; the command then
 * awaits its answer, with its path to name it if it is refused.
 */
static void
path_event(struct smtp *s, enum pcmd c, const uint8_t *p, const uint8_t *end,
    int cut)
{
	struct smtp_event ev;
	const uint8_t	*a;
	size_t		 alen;

	parse_path(p, end, &a, &alen);
	memset(&ev, 0, sizeof(ev));
	ev.type = c == P_MAIL ? SMTP_EV_MAIL : SMTP_EV_RCPT;
	ev.arg = (const char *)a;
	ev.arglen = alen;
	ev.cut = cut;
	/* RFC 5321 4.5.3.1.3: a path is at most 256 octets; keep twice that */
	if (alen > SMTP_ADDR_MAX) {
		ev.arglen = SMTP_ADDR_MAX;
		ev.cut = 1;
	}
	/*
	 * The server was never heard (a one-sided capture), or its
	 * answers can no longer be matched: said once, before the line.
	 * The server is not listened to from there on, so that no
	 * refused line can follow.
	 */
	if (s->sync != SY_LIVE) {
		if (s->sync != SY_BLIND)
			go_blind(s);
		if (s->msg == M_OWED)
			emit_message(s, 0);
		emit_unheard(s, 0);
	}
	emit(s, &ev);
	if (pend_push(s, c) == 0)
		env_push(s, ev.arg, ev.arglen, ev.cut);
}

static void
cmd_helo(struct smtp *s, const struct cmdline *l)
{
	struct smtp_event ev;
	const uint8_t	*a, *q;

	/* RFC 5321 4.1.4: a new EHLO ends the transaction */
	transaction_reset(s);
	memset(&ev, 0, sizeof(ev));
	ev.type = SMTP_EV_HELO;
	ev.verb = l->cmd->verb;
	ev.cut = l->cut;
	a = skipsp(l->arg, l->end);
	for (q = a; q < l->end && !isblank_(*q); q++)
		;
	ev.arg = (const char *)a;
	ev.arglen = (size_t)(q - a);
	if (ev.arglen > SMTP_NAME_MAX) {
		ev.arglen = SMTP_NAME_MAX;
		ev.cut = 1;
	}
	pend_push(s, l->cmd->pcmd);
	emit(s, &ev);
}

/* MAIL FROM:path; MAIL without FROM: is refused, and only awaited */
static void
cmd_mail(struct smtp *s, const struct cmdline *l)
{
	const uint8_t	*q;

	if ((q = keyword(l, "FROM:")) == NULL) {
		pend_push(s, P_OTHER);
		return;
	}
	transaction_reset(s);
	path_event(s, l->cmd->pcmd, q, l->end, l->cut);
}

static void
cmd_rcpt(struct smtp *s, const struct cmdline *l)
{
	const uint8_t	*q;

	if ((q = keyword(l, "TO:")) == NULL) {
		pend_push(s, P_OTHER);
		return;
	}
	s->rcpt_sent++;
	path_event(s, l->cmd->pcmd, q, l->end, l->cut);
}

/* DATA: the message begins once the server says 354, or at once unheard */
static void
cmd_data(struct smtp *s, const struct cmdline *l)
{
	pend_push(s, l->cmd->pcmd);
	if (s->sync == SY_LIVE)
		pause_for(s, P_DATA);
	else {
		msg_begin(s);
		s->cmode = C_DATA;
		s->msg = M_DATA;
	}
}

/* STARTTLS: opaque once the server says 220; unheard, the next byte tells */
static void
cmd_starttls(struct smtp *s, const struct cmdline *l)
{
	struct smtp_event ev;

	pend_push(s, l->cmd->pcmd);
	if (s->sync == SY_LIVE)
		pause_for(s, P_STARTTLS);
	else {
		memset(&ev, 0, sizeof(ev));
		ev.type = SMTP_EV_STARTTLS;
		ev.cut = l->cut;
		emit(s, &ev);
		s->cmode = C_TLSPROBE;
		s->alines = 0;
	}
}

static void
cmd_rset(struct smtp *s, const struct cmdline *l)
{
	transaction_reset(s);
	pend_push(s, l->cmd->pcmd);
}

#define CMD(verb, pcmd, owed, fn)	{ verb, sizeof(verb) - 1, pcmd, owed, fn }

/*
 * The commands a server knows (RFC 5321 4.1, 3030, 3207, 4954, 1985),
 * as smtpd's commands[]: the verb, how its answer is awaited, whether
 * a message owed its answer stays owed across it (QUIT and NOOP are
 * pipelined after the end of a message; any other command reports the
 * message first), and what reading it does; a command with no function
 * is only awaited.  A line whose verb is not here is awaited as
 * P_OTHER too (a server answers it, 500).  known_verb() asks the same
 * table.
 */
static const struct command commands[] = {
	CMD("HELO",	P_HELO,		0, cmd_helo),
	CMD("EHLO",	P_HELO,		0, cmd_helo),
	CMD("LHLO",	P_HELO,		0, cmd_helo),
	CMD("MAIL",	P_MAIL,		0, cmd_mail),
	CMD("RCPT",	P_RCPT,		0, cmd_rcpt),
	CMD("DATA",	P_DATA,		0, cmd_data),
	CMD("BDAT",	P_BDAT,		0, cmd_bdat),
	CMD("RSET",	P_RSET,		0, cmd_rset),
	CMD("NOOP",	P_OTHER,	1, NULL),
	CMD("QUIT",	P_OTHER,	1, NULL),
	CMD("VRFY",	P_OTHER,	0, NULL),
	CMD("EXPN",	P_OTHER,	0, NULL),
	CMD("HELP",	P_OTHER,	0, NULL),
	CMD("AUTH",	P_AUTH,		0, cmd_auth),
	CMD("STARTTLS",	P_STARTTLS,	0, cmd_starttls),
	CMD("ETRN",	P_OTHER,	0, NULL),
	CMD("XCLIENT",	P_OTHER,	0, NULL),
	CMD("XFORWARD",	P_OTHER,	0, NULL)
};

/*
 * The command the line starts with, or NULL: its verb, followed by the
 * end of the line or white space (Postfix splits a command at any white
 * space, a tab as well).
 */
static const struct command *
command_find(const uint8_t *p, size_t len)
{
	size_t	 i, n;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		n = commands[i].len;
		if (len >= n && ascii_caseeqn(p, commands[i].verb, n) &&
		    (len == n || isblank_(p[n])))
			return &commands[i];
	}
	return NULL;
}

/* a line that starts with a verb some server knows */
static int
known_verb(const uint8_t *p, size_t len)
{
	return command_find(p, len) != NULL;
}

/* one command line, its line end removed; c: command_find()'s for it */
static void
command(struct smtp *s, const struct command *c, const uint8_t *p,
    size_t len, int cut)
{
	struct cmdline	 l;

	/* a message still owed its answer is reported before the next command */
	if (s->msg == M_OWED && (c == NULL || !c->owed))
		emit_message(s, 0);
	if (c == NULL) {
		pend_push(s, P_OTHER);
		return;
	}
	if (c->proceed == NULL) {
		pend_push(s, c->pcmd);
		return;
	}
	l.cmd = c;
	l.arg = p + c->len;
	l.end = p + len;
	l.cut = cut;
	c->proceed(s, &l);
}

/* after a gap: drop the n bytes up to nl, and nl itself; 1 when nl ends the skip */
static int
skip_line(const uint8_t **p, size_t *len, size_t n, const uint8_t *nl)
{
	*p += n + (nl != NULL);
	*len -= n + (nl != NULL);
	return nl != NULL;
}

/* what client_bytes() did with the client's bytes */
enum cbytes {
	CB_USED,	/* *used of them read in the mode (0: the mode changed) */
	CB_LINES,	/* the mode reads lines: commands or AUTH */
	CB_STOP		/* the rest is not read (TLS) */
};

/* the client's bytes in a mode not read by lines: TLS, DATA, a BDAT chunk */
static enum cbytes
client_bytes(struct smtp *s, const uint8_t *p, size_t len, size_t *used)
{
	size_t	 take;

	*used = 0;
	switch (s->cmode) {
	case C_TLSPROBE:
		/*
		 * One-sided STARTTLS: a TLS record (RFC 8446 5.1,
		 * handshake type 22) says the server agreed.
		 */
		if (p[0] != 0x16) {
			s->cmode = C_CMD;
			return CB_USED;
		}
		s->cmode = C_TLS;
		return CB_STOP;
	case C_TLS:
		return CB_STOP;
	case C_DATA:
		*used = data_scan(s, p, len);
		return CB_USED;
	case C_BDAT:
		take = len < s->chunk ? len : (size_t)s->chunk;
		content(s, p, take);
		s->chunk -= take;
		*used = take;
		if (s->chunk == 0) {
			s->cmode = C_CMD;
			if (s->chunklast)
				msg_end(s, 0);
		}
		return CB_USED;
	case C_CMD:
	case C_AUTH:
		break;
	}
	return CB_LINES;
}

/*
 * The next client line from *p, *len, which are moved past what is
 * used: 1 with the line, its line end but the LF included, in *line
 * and *l (in place, or collected in s->line when it came in pieces;
 * what passes SMTP_LINE_MAX is cut); 0 when the bytes used made no
 * whole line (a piece kept, a line skipped after a gap).
 */
static int
client_take_line(struct smtp *s, const uint8_t **p, size_t *len,
    const uint8_t **line, size_t *l)
{
	const uint8_t	*nl;
	size_t		 n, take;

	nl = memchr(*p, '\n', *len);
	n = nl == NULL ? *len : (size_t)(nl - *p);
	if (lread_skipping(s)) {
		if (skip_line(p, len, n, nl))
			lread_skip(s, 0);
		return 0;
	}
	if (nl == NULL || s->linelen > 0) {
		if (s->line == NULL &&
		    (s->line = mem_get(s, SMTP_LINE_MAX)) == NULL) {
			lread_skip(s, 1);
			return 0;
		}
		take = n < SMTP_LINE_MAX - s->linelen ? n :
		    SMTP_LINE_MAX - s->linelen;
		memcpy(s->line + s->linelen, *p, take);
		s->linelen += take;
		if (take < n)
			s->linecut = 1;
		*p += n;
		*len -= n;
		if (nl == NULL)
			return 0;
		(*p)++;
		(*len)--;
		*line = s->line;
		*l = s->linelen;
	} else {
		*line = *p;
		*l = n < SMTP_LINE_MAX ? n : SMTP_LINE_MAX;
		s->linecut = n > SMTP_LINE_MAX;
		*p += n + 1;
		*len -= n + 1;
	}
	return 1;
}

/* one whole client line, l bytes with its CR if any: a command or AUTH */
static void
client_line(struct smtp *s, const uint8_t *line, size_t l)
{
	const struct command *c;
	size_t	 w;
	int	 bare;

	bare = !(l > 0 && line[l - 1] == '\r');
	if (!bare)
		l--;
	/* leading white space is skipped, as Postfix does */
	for (w = 0; w < l && isblank_(line[w]); w++)
		;
	c = command_find(line + w, l - w);
	if (s->lread == L_GAP) {
		/*
		 * Segments lost in command mode mostly end at a line
		 * end: the first line after them counts if it starts
		 * with a verb, and is the rest of a lost one if not.
		 */
		s->lread = L_LINE;
		if (c == NULL)
			return;
	}
	if (s->cmode == C_AUTH) {
		auth_line(s, line, l);
		if (s->sync == SY_LIVE) {
			pend_push(s, P_AUTH);
			pause_for(s, P_AUTH);
		} else if (--s->alines <= 0) {
			s->cmode = C_CMD;
			emit_auth(s);
		}
		return;
	}
	if (s->sync == SY_RESYNC && c == NULL) {
		/* not a command: wait for the next answer */
		s->sync = SY_UNSYNCED;
		s->midfails++;
		return;
	}
	if (s->sync == SY_RESYNC)
		s->sync = SY_BLIND;
	if (c != NULL && c->pcmd == P_DATA)
		s->lfmode = bare;
	command(s, c, line + w, l - w, s->linecut);
}

/*
 * The client's bytes, read as the server reads them: held while an
 * answer is awaited or the dialogue is not in step, read in the mode
 * (cmode) they come in, and cut into lines where the mode reads lines.
 */
static void
client_feed(struct smtp *s, const uint8_t *p, size_t len)
{
	const uint8_t	*line;
	size_t		 used, l;

	while (len > 0) {
		if (s->wait != P_NONE || s->sync == SY_UNSYNCED) {
			hold(s, p, len);
			return;
		}
		switch (client_bytes(s, p, len, &used)) {
		case CB_STOP:
			return;
		case CB_USED:
			p += used;
			len -= used;
			continue;
		case CB_LINES:
			break;
		}
		if (!client_take_line(s, &p, &len, &line, &l))
			continue;
		client_line(s, line, l);
		s->linelen = 0;
		s->linecut = 0;
	}
}

/* --- the server --- */

/* DATA answered: 354 begins the message (if not begun one-sided) */
static enum cmode
answer_data(struct smtp *s, int code)
{
	if (code != 354) {
		if (s->msg == M_DATA354)
			s->msg = M_DATA;	/* a second DATA refused */
		return s->cmode;
	}
	if (s->cmode != C_DATA)
		msg_begin(s);
	s->msg = M_DATA354;
	return C_DATA;
}

/* STARTTLS answered: its event; 220 makes the rest opaque */
static enum cmode
answer_starttls(struct smtp *s, int code)
{
	struct smtp_event ev;

	memset(&ev, 0, sizeof(ev));
	ev.type = SMTP_EV_STARTTLS;
	ev.reply = code;
	emit(s, &ev);
	if (code != 220)
		return s->cmode;
	/* what the client sent meanwhile is TLS: never read */
	s->alines = 0;
	s->wait = P_NONE;
	mem_put(s, s->hold, SMTP_HOLD_MAX);
	s->hold = NULL;
	s->holdlen = 0;
	return C_TLS;
}

/* AUTH or an AUTH line answered: 334 asks for a line, else it is over */
static enum cmode
answer_auth(struct smtp *s, int code, const uint8_t *text, size_t tlen)
{
	uint8_t		 prompt[64];
	long		 plen;

	if (code != 334) {
		s->areply = code;
		emit_auth(s);
		return C_CMD;
	}
	/* LOGIN asks "Username:" in base64 (VXNlcm5hbWU6) */
	while (tlen > 0 && isblank_(text[tlen - 1]))
		tlen--;
	if (s->amech == A_LOGIN) {
		plen = mime_b64(text, tlen, prompt, sizeof(prompt));
		s->auserask = plen >= 4 &&
		    ciprefix(prompt, (size_t)plen, "USER");
	}
	return C_AUTH;
}

/*
 * What the answer to each command awaited does, and the client's mode
 * after it:
 *   command		answer	then
 *   HELO, RSET		2xx	the recipients taken are forgotten
 *   MAIL		2xx	the same; other: the refused event
 *   RCPT		2xx	one more recipient taken; other: refused
 *   DATA		354	C_DATA, M_DATA354 (answer_data())
 *			other	as it was
 *   CRLF.CRLF,		any	the owed message's event, with the code
 *   BDAT LAST
 *   STARTTLS		any	the starttls event; 220: C_TLS, the bytes
 *				held dropped (answer_starttls())
 *   AUTH, its lines	334	C_AUTH (answer_auth())
 *			other	C_CMD, the auth event
 *   BDAT, others	any	nothing
 * ends_wait() says which of them end the wait (pause_for()).
 */
static enum cmode
answered(struct smtp *s, int c, int code, const uint8_t *text, size_t tlen)
{
	switch (c) {
	case P_MAIL:
		emit_refused(s, P_MAIL, code);
		/* FALLTHROUGH */
	case P_HELO:
	case P_RSET:
		if (code >= 200 && code < 300)
			s->rcpt_ok = 0;
		return s->cmode;
	case P_RCPT:
		emit_refused(s, P_RCPT, code);
		if (code >= 200 && code < 300)
			s->rcpt_ok++;
		return s->cmode;
	case P_DATA:
		return answer_data(s, code);
	case P_DOT:
	case P_BDAT_LAST:
		if (s->msg == M_OWED)
			emit_message(s, code);
		return s->cmode;
	case P_STARTTLS:
		return answer_starttls(s, code);
	case P_AUTH:
		return answer_auth(s, code, text, tlen);
	default:
		return s->cmode;
	}
}

/* the answer to c ends a wait for it: what was held is read on (resume()) */
static int
ends_wait(int c)
{
	return c == P_DATA || c == P_DOT || c == P_BDAT_LAST ||
	    c == P_STARTTLS || c == P_AUTH;
}

/* a complete reply: code, the text of its last line */
static void
reply(struct smtp *s, int code, const uint8_t *text, size_t tlen)
{
	int		 c;

	/*
	 * The first answer is the greeting (RFC 5321 4.3.1), even when
	 * the client spoke first: a server answers commands only after it.
	 */
	if (!s->banner) {
		s->banner = 1;
		return;
	}
	if (s->sync == SY_UNSYNCED) {
		/* a message or an AUTH line comes next: wait on */
		if (code == 354 || code == 334)
			return;
		sync_answer(s);
		return;
	}
	if (s->sync != SY_LIVE)
		return;
	c = pend_peek(s);
	if (s->msg == M_DATA354 && c != P_DATA) {
		/*
		 * The server speaks while the client is within a DATA
		 * message: the end of it was lost in a gap, since a
		 * server is silent until CRLF.CRLF.
		 */
		s->msgcut = 1;
		s->cmode = C_CMD;
		pend_clear(s);
		emit_message(s, code);
		return;
	}
	if ((code == 354 && c != P_DATA) || (code == 334 && c != P_AUTH) ||
	    (c == P_DATA && code != 354 && code < 400)) {
		/*
		 * No command takes this answer: commands were lost to
		 * the capture, and the answers are out of step.
		 */
		answers_lost(s);
		return;
	}
	pend_pop(s);
	s->cmode = answered(s, c, code, text, tlen);
	if (s->wait != P_NONE && ends_wait(c))
		resume(s);
}

/*
 * The bytes of a server line as they come: a reply whose first line
 * begins with 4 or 5 is kept whole, up to SMTP_REPLY_TEXT_MAX, its
 * lines joined by "\n", without their CR
 */
static void
rtext_add(struct smtp *s, const uint8_t *p, size_t n)
{
	size_t	 take;

	if (s->slinelen == 0) {
		if (!s->inreply) {
			mem_put(s, s->rtext, SMTP_REPLY_TEXT_MAX);
			s->rtext = NULL;
			if (n > 0 && (p[0] == '4' || p[0] == '5') &&
			    (s->rtext = mem_get(s, SMTP_REPLY_TEXT_MAX)) !=
			    NULL)
				s->rtextlen = 0;
		} else if (s->rtext != NULL &&
		    s->rtextlen < SMTP_REPLY_TEXT_MAX)
			s->rtext[s->rtextlen++] = '\n';
	}
	if (s->rtext == NULL)
		return;
	take = SMTP_REPLY_TEXT_MAX - s->rtextlen;
	if (take > n)
		take = n;
	memcpy(s->rtext + s->rtextlen, p, take);
	s->rtextlen += take;
	/* the CR of a CRLF, when it ends this piece */
	if (take > 0 && take == n && s->rtext[s->rtextlen - 1] == '\r')
		s->rtextlen--;
}

/* the server's bytes: reply lines "NNN-text" and "NNN text" (RFC 5321 4.2) */
static void
server_feed(struct smtp *s, const uint8_t *p, size_t len)
{
	const uint8_t	*nl;
	size_t		 n, take, l;
	int		 code, helo;

	smtp_peer(s);
	while (len > 0 && !smtp_tls(s)) {
		nl = memchr(p, '\n', len);
		n = nl == NULL ? len : (size_t)(nl - p);
		if (s->sread == S_SKIP) {
			if (skip_line(&p, &len, n, nl))
				s->sread = S_LINE;
			continue;
		}
		take = n < sizeof(s->sline) - s->slinelen ? n :
		    sizeof(s->sline) - s->slinelen;
		rtext_add(s, p, n);
		memcpy(s->sline + s->slinelen, p, take);
		s->slinelen += take;
		p += n;
		len -= n;
		if (nl == NULL)
			return;
		p++;
		len--;
		l = s->slinelen;
		s->slinelen = 0;
		if (l > 0 && s->sline[l - 1] == '\r')
			l--;
		if (l < 3 || s->sline[0] < '2' || s->sline[0] > '5' ||
		    s->sline[1] < '0' || s->sline[1] > '9' ||
		    s->sline[2] < '0' || s->sline[2] > '9' ||
		    (l > 3 && s->sline[3] != ' ' && s->sline[3] != '-'))
			continue;	/* not a reply line */
		code = (s->sline[0] - '0') * 100 + (s->sline[1] - '0') * 10 +
		    (s->sline[2] - '0');
		helo = s->banner && s->sync == SY_LIVE && pend_peek(s) == P_HELO;
		if (!s->inreply)
			s->newcaps = 0;
		s->inreply = 1;
		/* an EHLO keyword line (RFC 5321 4.1.1.1) */
		if (helo && l >= 12 && ciprefix(s->sline + 4, l - 4, "CHUNKING") &&
		    (l == 12 || isblank_(s->sline[12])))
			s->newcaps |= CAP_CHUNKING;
		if (l > 3 && s->sline[3] == '-')
			continue;	/* more lines follow */
		s->inreply = 0;
		if (helo && code >= 200 && code < 300)
			s->caps = s->newcaps | CAP_SEEN;
		reply(s, code, s->sline + (l > 4 ? 4 : l), l > 4 ? l - 4 : 0);
		mem_put(s, s->rtext, SMTP_REPLY_TEXT_MAX);
		s->rtext = NULL;
	}
}

void
smtp_data(struct smtp *s, enum smtp_dir dir, const uint8_t *p, size_t len)
{
	if (len == 0)
		return;
	if (dir == SMTP_SERVER) {
		server_feed(s, p, len);
		return;
	}
	/*
	 * A client sends nothing after DATA, STARTTLS or an AUTH line
	 * until it has the answer (RFC 2920 3.1, RFC 3207 4, RFC 4954
	 * 4).  When the server was never heard (its SYN-ACK at most),
	 * more bytes in a later packet mean the answer was yes.  Once it
	 * has spoken its answer decides: a client that does not wait
	 * (spam software) may be told no, and then its "message" is
	 * read as the commands the server reads.
	 */
	if (s->wait != P_NONE && !s->banner && s->packet > s->waitpacket)
		resume_assumed(s);
	client_feed(s, p, len);
}

/*
 * The server's side of the connection was seen (its SYN-ACK, or any
 * packet): it will answer, even if the client speaks first.
 */
void
smtp_peer(struct smtp *s)
{
	s->server_seen = 1;
	if (s->sync == SY_ONESIDED)
		s->sync = SY_LIVE;
}

/* a new packet begins: bytes of one packet may come in several calls */
void
smtp_packet(struct smtp *s)
{
	s->packet++;
}

/*
 * Bytes lost to the capture.  The reader skips to the next line and
 * carries on; a BDAT chunk still counts them.  Lost answers leave the
 * pipeline unknown: from there on the server is taken to say yes.
 */
void
smtp_gap(struct smtp *s, enum smtp_dir dir, size_t len)
{
	if (dir == SMTP_SERVER) {
		s->sread = S_SKIP;
		s->slinelen = 0;
		if (s->wait != P_NONE || s->pcount > 0)
			answers_lost(s);
		return;
	}
	if (s->wait != P_NONE || s->sync == SY_UNSYNCED) {
		/* the held bytes lose their place: start again after the gap */
		s->holdlen = 0;
		lread_skip(s, 1);
		if (s->wait != P_NONE) {
			/* commands may be lost, and with them their answers' place */
			resume_assumed(s);
			if (s->cmode == C_DATA)
				s->msgcut = 1;
		}
		return;
	}
	switch (s->cmode) {
	case C_BDAT:
		s->msgcut = 1;
		if (len < s->chunk) {
			s->chunk -= len;
			s->size += len;
			return;
		}
		s->size += s->chunk;
		s->chunk = 0;
		s->cmode = C_CMD;
		/* commands may be lost: their answers can no longer be matched */
		go_blind(s);
		if (s->chunklast)
			msg_end(s, 0);
		lread_skip(s, 1);
		break;
	case C_DATA:
		s->msgcut = 1;
		s->inhdr = 0;
		s->dstate = D_MID;
		break;
	default:
		/* commands may be lost: their answers can no longer be matched */
		if (s->linelen > 0)
			lread_skip(s, 1);
		else
			s->lread = lread_skipping(s) ? L_SKIPGAP : L_GAP;
		s->linelen = 0;
		go_blind(s);
		break;
	}
}

/* the capture began after the connection: neither side's place is known */
void
smtp_midstream(struct smtp *s)
{
	s->sync = SY_UNSYNCED;
	s->banner = 1;
}

/* the connection is over: report what is still owed */
void
smtp_end(struct smtp *s)
{
	/* an answer that never came: read what was held as a yes */
	if (s->wait != P_NONE && s->holdlen > 0)
		resume_assumed(s);
	/* MAIL and RCPT whose answers did not come before the end */
	if (s->sync == SY_LIVE)
		pend_clear(s);
	/* one-sided, mid-stream: the last packet held the end of a message */
	if (s->sync == SY_UNSYNCED && !s->server_seen && held_dot(s) > 0) {
		sync_held(s);
	}
	if (s->msg == M_OWED)
		emit_message(s, 0);
	else if (s->cmode == C_DATA || (s->cmode == C_BDAT && s->size > 0)) {
		s->msgcut = 1;
		emit_message(s, 0);
	}
	if (s->amechname[0] != '\0')
		emit_auth(s);
	s->cmode = C_CMD;
}
