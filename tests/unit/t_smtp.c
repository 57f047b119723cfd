/* unit tests of the SMTP dialogue parser: byte streams in, events out */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bounds.h"
#include "smtp.h"
#include "tap.h"

static char	 out[1 << 20];
static int	 show_text;	/* the refused events' reply text too */
static size_t	 outlen;

static void
put(const char *s, size_t n)
{
	if (outlen + n < sizeof(out) - 1) {
		memcpy(out + outlen, s, n);
		outlen += n;
		out[outlen] = '\0';
	}
}

/* events as "type key=value ...;" with raw values, for comparison */
static void
collect(void *ctx, const struct smtp_event *ev)
{
	static const char *names[] = { "helo", "auth", "starttls", "mail",
	    "rcpt", "message", "refused", "unheard" };
	char	 num[96];

	(void)ctx;
	put(names[ev->type], strlen(names[ev->type]));
	if (ev->verb) {
		put(" ", 1);
		put(ev->verb, strlen(ev->verb));
	}
	if (ev->arg) {
		put(" [", 2);
		put(ev->arg, ev->arglen);
		put("]", 1);
	}
	if (ev->arg2) {
		put(" <", 2);
		put(ev->arg2, ev->arg2len);
		put(">", 1);
	}
	if (ev->type == SMTP_EV_MESSAGE) {
		snprintf(num, sizeof(num), " size=%llu rcpts=%u",
		    (unsigned long long)ev->size, ev->rcpts);
		put(num, strlen(num));
	}
	if (ev->reply) {
		snprintf(num, sizeof(num), " reply=%d", ev->reply);
		put(num, strlen(num));
	}
	if (ev->pending) {
		snprintf(num, sizeof(num), " pending=%u", ev->pending);
		put(num, strlen(num));
	}
	if (ev->cut)
		put(" cut", 4);
	if (show_text && ev->text != NULL) {
		put(" text={", 7);
		put(ev->text, ev->textlen);
		put("}", 1);
	}
	put(";", 1);
}

static struct smtp_mem	 mem = { 0, 64 << 20 };

/*
 * A script: strings prefixed "C:" (client) or "S:" (server), "G:n"
 * (a client gap of n bytes), "H:n" (a server gap), "M:" (mid-stream
 * start), NULL-terminated.  step 0: each string as one segment;
 * step n: the client's bytes in pieces of n.
 */
static const char *
run(const char **script, size_t step)
{
	struct smtp	*s;
	const char	*p;
	size_t		 len, i, n;

	outlen = 0;
	out[0] = '\0';
	s = smtp_new(&mem, collect, NULL);
	/* a two-sided script: the server's SYN-ACK was seen */
	for (i = 0; script[i] != NULL; i++)
		if (script[i][0] == 'S')
			smtp_peer(s);
	for (; *script; script++) {
		smtp_packet(s);
		p = *script + 2;
		len = strlen(p);
		switch ((*script)[0]) {
		case 'S':
			smtp_data(s, SMTP_SERVER, (const uint8_t *)p, len);
			break;
		case 'C':
			for (i = 0; i < len; i += n) {
				n = step == 0 || len - i < step ? len - i : step;
				smtp_data(s, SMTP_CLIENT,
				    (const uint8_t *)p + i, n);
			}
			break;
		case 'G':
			smtp_gap(s, SMTP_CLIENT, (size_t)atoi(p));
			break;
		case 'H':
			smtp_gap(s, SMTP_SERVER, (size_t)atoi(p));
			break;
		case 'M':
			smtp_midstream(s);
			break;
		}
	}
	smtp_end(s);
	smtp_free(s);
	return out;
}

/* the same events whole, byte by byte and in 7-byte pieces */
static void
check(const char *what, const char **script, const char *want)
{
	static char	 whole[sizeof(out)];

	is_str(run(script, 0), want, "%s", what);
	snprintf(whole, sizeof(whole), "%s", out);
	is_str(run(script, 1), whole, "%s: byte by byte", what);
	is_str(run(script, 7), whole, "%s: in 7-byte pieces", what);
}

int
main(void)
{
	static const char *basic[] = {
		"S:220 mx.example ESMTP\r\n",
		"C:EHLO pc.example\r\n",
		"S:250-mx.example\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
		"C:MAIL FROM:<worm@example.org>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<a@example.net>\r\n", "S:250 ok\r\n",
		"C:DATA\r\n", "S:354 go ahead\r\n",
		"C:Subject: Mensaje de prueba\r\nMessage-ID: <x@example.org>\r\n"
		    "\r\nhola\r\n.\r\n",
		"S:250 queued\r\n", "C:QUIT\r\n", "S:221 bye\r\n", NULL };
	static const char *lower[] = {
		"S:220 mx\r\n", "C:helo pc\r\n", "S:250 ok\r\n",
		"C:mail from:a@b.example\r\n", "S:250 ok\r\n",
		"C:MAIL FROM: <c@d.example> SIZE=10\r\n", "S:250 ok\r\n",
		"C:Mail From:<e@f.example>\n", "S:250 ok\r\n",
		"C:MAIL  FROM:<>\r\n", "S:250 ok\r\n",
		"C:rcpt to:<postmaster>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<@a.example,@b.example:u@c.example>\r\n",
		"S:250 ok\r\n",
		"C:MAIL FROM:<\"odd >local\"@g.example>\r\n", "S:250 ok\r\n",
		"C:MAILFROM:<no@space>\r\n", "S:500 what\r\n", NULL };
	static const char *pipelined[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 PIPELINING\r\n",
		"C:MAIL FROM:<w@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\n"
		    "RCPT TO:<c@x>\r\nDATA\r\n",
		"S:250 ok\r\n250 ok\r\n550 no such user\r\n250 ok\r\n354 go\r\n",
		"C:Subject: hi\r\n\r\nbody\r\n.\r\nMAIL FROM:<w2@x>\r\n"
		    "RCPT TO:<d@x>\r\nDATA\r\n",
		"S:250 queued\r\n250 ok\r\n250 ok\r\n354 go\r\n",
		"C:\r\nx\r\n.\r\nQUIT\r\n", "S:250 queued\r\n221 bye\r\n",
		NULL };
	static const char *hostile_body[] = {
		"S:220 mx\r\n", "C:HELO pc\r\n", "S:250 ok\r\n",
		"C:MAIL FROM:<w@x>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<a@x>\r\n", "S:250 ok\r\n", "C:DATA\r\n",
		"S:354 go\r\n",
		"C:Subject: x\r\n\r\nMAIL FROM:<evil@x>\r\nRCPT TO:<v@x>\r\n"
		    "2026-03-03T16:45:44.880222Z mail sid=1 src=192.0.2.25:1 "
		    "dst=203.0.113.25:25 from=x\r\n"
		    "..\r\n"
		    "smuggle 1\r\n.\nMAIL FROM:<s1@x>\r\n"
		    "smuggle 2\n.\r\nMAIL FROM:<s2@x>\r\n"
		    "smuggle 3\r.\r\nMAIL FROM:<s3@x>\r\n"
		    "smuggle 4\r\n.\rMAIL FROM:<s4@x>\r\n"
		    "STARTTLS\r\nAUTH PLAIN AHUAcA==\r\nBDAT 5 LAST\r\n"
		    ".\r\n",
		"S:250 queued\r\n", "C:QUIT\r\n", NULL };
	static const char *rejected_data[] = {
		"S:220 mx\r\n", "C:HELO pc\r\n", "S:250 ok\r\n",
		"C:MAIL FROM:<w@x>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<a@x>\r\n", "S:550 no\r\n", "C:DATA\r\n",
		"S:554 no valid recipients\r\n",
		"C:MAIL FROM:<again@x>\r\n", "S:250 ok\r\n", NULL };
	static const char *rejected_pipelined[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 ok\r\n",
		"C:MAIL FROM:<w@x>\r\nRCPT TO:<a@x>\r\nDATA\r\n"
		    "RCPT TO:<read-as-command@x>\r\n",
		"S:250 ok\r\n550 no\r\n554 no valid recipients\r\n",
		"S:250 ok\r\n", NULL };
	static const char *stuffing[] = {
		"S:220 mx\r\n", "C:HELO pc\r\n", "S:250 ok\r\n",
		"C:MAIL FROM:<w@x>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<a@x>\r\n", "S:250 ok\r\n", "C:DATA\r\n",
		"S:354 go\r\n", "C:..x\r\n.\r\n", "S:250 ok\r\n", NULL };
	static const char *bdat[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 CHUNKING\r\n",
		"C:MAIL FROM:<w@x>\r\nRCPT TO:<a@x>\r\nBDAT 32\r\n"
		    "Subject: c\r\n\r\nMAIL FROM:<",
		"C:no@x>\r\nBDAT 0 LAST\r\n",
		"S:250 ok\r\n250 ok\r\n250 27 octets\r\n250 queued\r\n",
		"C:MAIL FROM:<w2@x>\r\nRCPT TO:<b@x>\r\nBDAT 5 LAST\r\nab\r\n"
		    "\nQUIT\r\n",
		"S:250 ok\r\n250 ok\r\n250 queued\r\n221 bye\r\n", NULL };
	static const char *bdat_bad[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 CHUNKING\r\n",
		"C:BDAT -1\r\nMAIL FROM:<a@x>\r\n",
		"C:BDAT 99999999999999999999 LAST\r\nMAIL FROM:<b@x>\r\n",
		"C:BDAT 1x\r\nMAIL FROM:<c@x>\r\n",
		"C:BDAT 4294967296\r\nMAIL FROM:<hidden@x>\r\n", NULL };
	static const char *tls[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 STARTTLS\r\n",
		"C:STARTTLS\r\n", "S:220 ready\r\n",
		"C:\x16\x03\x01\x02\x00MAIL FROM:<in-tls@x>\r\n",
		"S:\x16\x03\x03 250 ok\r\n", "C:MAIL FROM:<in-tls2@x>\r\n",
		NULL };
	static const char *tls_refused[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 ok\r\n",
		"C:STARTTLS\r\n", "S:454 not now\r\n",
		"C:MAIL FROM:<clear@x>\r\n", "S:250 ok\r\n", NULL };
	static const char *tls_onesided[] = {
		"C:EHLO pc\r\nSTARTTLS\r\n",
		"C:\x16\x03\x01\x00\x10MAIL FROM:<x@x>\r\n", NULL };
	/* u / S3cr3t-Passw0rd */
	static const char *auth_plain[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 AUTH PLAIN LOGIN\r\n",
		"C:AUTH PLAIN AHUAUzNjcjN0LVBhc3N3MHJk\r\n",
		"S:235 ok\r\n", "C:MAIL FROM:<u@x>\r\n", "S:250 ok\r\n",
		"C:AUTH PLAIN\r\n", "S:334 \r\n",
		"C:AHVzZXIyAFMzY3IzdC1QYXNzdzByZA==\r\n", "S:535 no\r\n",
		NULL };
	static const char *auth_login[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 AUTH LOGIN\r\n",
		"C:AUTH LOGIN\r\n", "S:334 VXNlcm5hbWU6\r\n",
		"C:dQ==\r\n", "S:334 UGFzc3dvcmQ6\r\n",
		"C:UzNjcjN0LVBhc3N3MHJk\r\n", "S:235 ok\r\n",
		"C:AUTH LOGIN dQ==\r\n", "S:334 UGFzc3dvcmQ6\r\n",
		"C:TUFJTCBGUk9NOjxwd0B4Pg==\r\n", "S:235 ok\r\n",
		"C:AUTH CRAM-MD5\r\n", "S:334 PDEyMzQ1QGV4YW1wbGU+\r\n",
		"C:dXNlciA0MTVlODBhMmQxY2Y4NDZhNmZiYjQyNzk3YjQ0ZjYxMg==\r\n",
		"S:235 ok\r\n", NULL };
	static const char *auth_onesided[] = {
		"C:EHLO pc\r\nAUTH LOGIN\r\ndQ==\r\nTUFJTCBGUk9NOjxwd0B4Pg==\r\n"
		    "MAIL FROM:<after@x>\r\n", NULL };
	static const char *onesided[] = {
		"C:HELO pc\r\nMAIL FROM:<w@x>\r\nRCPT TO:<a@x>\r\nDATA\r\n"
		    "Subject: one\r\n\r\nMAIL FROM:<no@x>\r\n.\r\n"
		    "MAIL FROM:<w2@x>\r\nQUIT\r\n", NULL };
	static const char *before_banner[] = {
		"C:HELO pc\r\nMAIL FROM:<w@x>\r\nRCPT TO:<a@x>\r\nDATA\r\n"
		    "Subject: early\r\n\r\nMAIL FROM:<no@x>\r\n.\r\nQUIT\r\n",
		"S:220 mx\r\n250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n"
		    "250 queued\r\n221 bye\r\n", NULL };
	static const char *midstream_body[] = {
		"M:", "C:in the body\r\nMAIL FROM:<evil@x>\r\n",
		"C:RCPT TO:<evil@x>\r\n.\r\nMAIL FROM:<next@x>\r\n",
		"S:250 queued\r\n250 ok\r\n", NULL };
	static const char *midstream_cmd[] = {
		"M:", "C:MAIL FROM:<first@x>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<a@x>\r\n", "S:250 ok\r\n", NULL };
	static const char *gap_cmd[] = {
		"S:220 mx\r\n", "C:HELO pc\r\n", "S:250 ok\r\n",
		"C:MAIL FR", "G:10", "C:OM:<lost@x>\r\nRCPT TO:<a@x>\r\n", NULL };
	static const char *gap_dot[] = {
		"S:220 mx\r\n", "C:HELO pc\r\n", "S:250 ok\r\n",
		"C:MAIL FROM:<w@x>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<a@x>\r\n", "S:250 ok\r\n", "C:DATA\r\n",
		"S:354 go\r\n", "C:Subject: g\r\n\r\nbody\r\n", "G:5",
		"S:250 queued\r\n", "C:MAIL FROM:<w2@x>\r\n", NULL };
	static const char *ehlo_reset[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 ok\r\n",
		"C:MAIL FROM:<w@x>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<a@x>\r\n", "S:250 ok\r\n", "C:EHLO pc2\r\n",
		"S:250 ok\r\n", "C:MAIL FROM:<w@x>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<b@x>\r\n", "S:250 ok\r\n", "C:DATA\r\n",
		"S:354 go\r\n", "C:\r\n.\r\n", "S:250 ok\r\n", "C:RSET\r\n",
		"S:250 ok\r\n", "C:MAIL FROM:<w@x>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<c@x>\r\n", "S:250 ok\r\n", "C:DATA\r\n",
		"S:354 go\r\n", "C:Subject: =?ISO-8859-1?Q?=F1and=FA?=\r\n\r\n"
		    ".\r\n", "S:250 ok\r\n", NULL };
	static const char *lf_session[] = {
		"S:220 mx\r\n", "C:helo pc\n", "S:250 ok\r\n",
		"C:mail from:<w@x>\n", "S:250 ok\r\n", "C:rcpt to:<a@x>\n",
		"S:250 ok\r\n", "C:data\n", "S:354 go\r\n",
		"C:subject: lf\n\nhi\n.\n", "S:250 ok\r\n",
		"C:mail from:<w2@x>\n", NULL };
	static const char *never_answers[] = {
		"S:220 mx\r\n", "C:HELO pc\r\nMAIL FROM:<w@x>\r\nRCPT TO:<a@x>\r\n"
		    "DATA\r\n", NULL };
	/* Postfix splits commands at any white space and skips it in front */
	static const char *blanks[] = {
		"S:220 mx\r\n", "C:EHLO\tpc\r\n", "S:250 ok\r\n",
		"C:MAIL\tFROM:<w@x>\r\n", "S:250 ok\r\n",
		"C: RCPT TO:<a@x>\r\n", "S:250 ok\r\n",
		"C:\tRCPT\tTO:\t<b@x>\r\n", "S:250 ok\r\n",
		"C:DATA\r\n", "S:354 go\r\n", "C:\r\nx\r\n.\r\n",
		"S:250 queued\r\n", NULL };
	/* no CHUNKING offered: BDAT is an unknown command, the rest commands */
	static const char *bdat_unoffered[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n",
		"S:250-mx\r\n250-PIPELINING\r\n250 8BITMIME\r\n",
		"C:BDAT 4000\r\n", "S:500 5.5.1 Command unrecognized\r\n",
		"C:MAIL FROM:<w@x>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<a@x>\r\n", "S:250 ok\r\n",
		"C:DATA\r\n", "S:354 go\r\n", "C:\r\nx\r\n.\r\n",
		"S:250 queued\r\n", NULL };
	/* after HELO no extension is offered either */
	static const char *bdat_helo[] = {
		"S:220 mx\r\n", "C:HELO pc\r\n", "S:250 mx\r\n",
		"C:MAIL FROM:<w@x>\r\n", "S:250 ok\r\n",
		"C:BDAT 30 LAST\r\n", "S:502 5.5.1 not implemented\r\n",
		"C:RCPT TO:<a@x>\r\n", "S:250 ok\r\n", NULL };
	/* mid-stream in a BDAT chunk that holds command lines and a dot */
	static const char *midstream_bdat[] = {
		"M:", "C:text\r\nMAIL FROM:<ceo@bank>\r\n"
		    "RCPT TO:<victim@corp>\r\n",
		"C:.\r\nMAIL FROM:<ceo2@bank>\r\nRCPT TO:<v2@corp>\r\n",
		"S:250 2.0.0 queued\r\n",
		"C:MAIL FROM:<real@x>\r\n", "S:250 ok\r\n", NULL };
	/* mid-stream in a DATA body: LF "." LF is not its end */
	static const char *midstream_lf[] = {
		"M:", "C:body\n.\nMAIL FROM:<ceo@bank>\r\nRCPT TO:<v@corp>\r\n",
		"C:more\r\n.\r\n", "S:250 queued\r\n", "C:QUIT\r\n", NULL };
	/* mid-stream: the first line after an answer is not a command */
	static const char *midstream_notcmd[] = {
		"M:", "C:chunk one\r\n", "S:250 ok\r\n",
		"C:more chunk text\r\nMAIL FROM:<in-chunk@x>\r\n",
		"S:250 ok\r\n", "C:RCPT TO:<a@x>\r\n", NULL };
	/* a pipelined MAIL lost to the capture: its answer shifts the rest */
	static const char *gap_pipelined[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 PIPELINING\r\n",
		"G:30", "C:RCPT TO:<friend@y>\r\n", "C:DATA\r\n",
		"S:250 ok\r\n250 ok\r\n354 go\r\n",
		"C:Subject: s\r\n\r\nMAIL FROM:<ceo@bank>\r\n"
		    "RCPT TO:<innocent@z>\r\n.\r\n",
		"S:250 queued\r\n", NULL };
	/* the next transaction pipelined behind the end of a message */
	static const char *after_message[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 PIPELINING\r\n",
		"C:MAIL FROM:<w@x>\r\nRCPT TO:<a@x>\r\nDATA\r\n",
		"S:250 ok\r\n250 ok\r\n354 go\r\n",
		"C:Subject: spam\r\n\r\nx\r\n.\r\nMAIL FROM:<w2@x>\r\n"
		    "RCPT TO:<b@x>\r\nDATA\r\n",
		"S:554 rejected as spam\r\n250 ok\r\n250 ok\r\n354 go\r\n",
		"C:\r\ny\r\n.\r\n", "S:250 queued\r\n", NULL };
	static const char *after_bdat[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n",
		"S:250-PIPELINING\r\n250 CHUNKING\r\n",
		"C:MAIL FROM:<w@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\n"
		    "BDAT 6 LAST\r\n\r\nab\r\nMAIL FROM:<w2@x>\r\n"
		    "RCPT TO:<c@x>\r\nBDAT 3 LAST\r\n\r\nc",
		"S:250 ok\r\n250 ok\r\n250 ok\r\n250 queued\r\n"
		    "250 ok\r\n250 ok\r\n250 queued\r\n", NULL };
	/* a nested MAIL refused with 503, and a refused EHLO: no new transaction */
	static const char *nested_mail[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 ok\r\n",
		"C:MAIL FROM:<w@x>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<a@x>\r\n", "S:250 ok\r\n",
		"C:MAIL FROM:<z@x>\r\n", "S:503 5.5.1 nested MAIL command\r\n",
		"C:EHLO\r\n", "S:501 5.5.4 Syntax: EHLO hostname\r\n",
		"C:RCPT TO:<b@x>\r\n", "S:250 ok\r\n",
		"C:DATA\r\n", "S:354 go\r\n", "C:\r\nx\r\n.\r\n",
		"S:250 queued\r\n", NULL };
	/* refused MAIL (553) and a new one taken, in one pipeline */
	static const char *mail_553[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 PIPELINING\r\n",
		"C:MAIL FROM:<bad@x>\r\nRCPT TO:<a@x>\r\nDATA\r\n",
		"S:553 5.7.1 sender rejected\r\n503 5.5.1 need MAIL\r\n"
		    "503 5.5.1 need RCPT\r\n",
		"C:MAIL FROM:<good@x>\r\nRCPT TO:<a@x>\r\nDATA\r\n",
		"S:250 ok\r\n250 ok\r\n354 go\r\n", "C:\r\nx\r\n.\r\n",
		"S:250 queued\r\n", NULL };
	/* CHUNKING: the refusal comes before the message pipelined after it */
	static const char *bdat_refused[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n",
		"S:250-PIPELINING\r\n250 CHUNKING\r\n",
		"C:MAIL FROM:<w@x>\r\nRCPT TO:<no@x>\r\nRCPT TO:<yes@x>\r\n"
		    "BDAT 3 LAST\r\nhi\n",
		"S:250 ok\r\n550 5.1.1 no such user\r\n250 ok\r\n"
		    "250 queued\r\n", NULL };
	/* RSET after a refused recipient: a new transaction, answered */
	static const char *rset_refused[] = {
		"S:220 mx\r\n", "C:HELO pc\r\n", "S:250 ok\r\n",
		"C:MAIL FROM:<w@x>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<no@x>\r\n", "S:450 4.2.0 greylisted\r\n",
		"C:RSET\r\n", "S:250 ok\r\n",
		"C:MAIL FROM:<w2@x>\r\n", "S:250 ok\r\n", NULL };
	/* answers nobody asked for take no command's place */
	static const char *fake_replies[] = {
		"S:220 mx\r\n", "C:HELO pc\r\n",
		"S:250 ok\r\n550 fake\r\n503 fake\r\n",
		"C:MAIL FROM:<w@x>\r\n", "S:250 ok\r\n",
		"S:550 5.1.1 for nothing\r\n", "C:RCPT TO:<a@x>\r\n",
		"S:250 ok\r\n", NULL };
	/* the server's side lost while answers are awaited */
	static const char *answers_lost[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 PIPELINING\r\n",
		"C:MAIL FROM:<w@x>\r\nRCPT TO:<a@x>\r\nRCPT TO:<b@x>\r\n",
		"S:250 ok\r\n", "H:20", "S:250 ok\r\n",
		"C:MAIL FROM:<w2@x>\r\n", "S:550 no\r\n", NULL };
	/* a STARTTLS refused keeps the transaction; one taken ends it */
	static const char *tls_envelope[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 STARTTLS\r\n",
		"C:MAIL FROM:<w@x>\r\n", "S:550 no\r\n",
		"C:STARTTLS\r\n", "S:454 4.7.0 TLS not available\r\n",
		"C:MAIL FROM:<w2@x>\r\n", "S:250 ok\r\n",
		"C:STARTTLS\r\nMAIL FROM:<injected@x>\r\n", "S:220 go\r\n",
		"S:550 not for the injected MAIL\r\n", NULL };
	/* a client that does not wait for 354 and is refused */
	static const char *no_wait[] = {
		"S:220 mx\r\n", "C:HELO pc\r\n", "S:250 ok\r\n",
		"C:MAIL FROM:<w@x>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<gone@x>\r\n", "S:550 no such user\r\n",
		"C:DATA\r\n", "C:Subject: buy\r\n\r\nbody\r\n.\r\n",
		"S:554 5.5.1 no valid recipients\r\n",
		"S:500 5.5.2 unrecognized command\r\n",
		"S:500 5.5.2 unrecognized command\r\n",
		"S:500 5.5.2 unrecognized command\r\n",
		"S:500 5.5.2 unrecognized command\r\n",
		"C:MAIL FROM:<w2@x>\r\n", "S:250 ok\r\n",
		"C:RCPT TO:<b@x>\r\n", "S:250 ok\r\n",
		"C:DATA\r\n", "S:354 go\r\n", "C:\r\nz\r\n.\r\n",
		"S:250 queued\r\n", NULL };
	/* a failed AUTH, and a LOGIN prompt with a trailing space */
	static const char *auth_failed[] = {
		"S:220 mx\r\n", "C:EHLO pc\r\n", "S:250 AUTH LOGIN\r\n",
		"C:AUTH LOGIN\r\n", "S:334 VXNlcm5hbWU6 \r\n",
		"C:YWxpY2U=\r\n", "S:334 UGFzc3dvcmQ6\r\n",
		"C:d3Jvbmc=\r\n", "S:535 5.7.8 authentication failed\r\n",
		NULL };
	static char	 bigline[(1 << 20) + 64];
	static char	 rcpts[10000 * 20 + 64];
	const char	*script[16], *r, *s, *e;
	char		 want[128];
	size_t		 n;
	int		 i, k;

	check("basic session", basic,
	    "helo EHLO [pc.example];mail [worm@example.org];"
	    "rcpt [a@example.net];message [Mensaje de prueba] <<x@example.org>>"
	    " size=65 rcpts=1 reply=250;");
	check("path shapes and case", lower,
	    "helo HELO [pc];mail [a@b.example];mail [c@d.example];"
	    "mail [e@f.example];mail [];rcpt [postmaster];"
	    "rcpt [u@c.example];mail [\"odd >local\"@g.example];");
	check("pipelining", pipelined,
	    "helo EHLO [pc];mail [w@x];rcpt [a@x];rcpt [b@x];rcpt [c@x];"
	    "refused RCPT [b@x] reply=550;"
	    "message [hi] size=21 rcpts=2 reply=250;mail [w2@x];rcpt [d@x];"
	    "message size=5 rcpts=1 reply=250;");
	check("a body is never read as commands", hostile_body,
	    "helo HELO [pc];mail [w@x];rcpt [a@x];message [x] size=302 "
	    "rcpts=1 reply=250;");
	check("a refused DATA leaves data mode", rejected_data,
	    "helo HELO [pc];mail [w@x];rcpt [a@x];"
	    "refused RCPT [a@x] reply=550;mail [again@x];");
	check("after a refused pipelined DATA the server reads commands",
	    rejected_pipelined,
	    "helo EHLO [pc];mail [w@x];rcpt [a@x];"
	    "refused RCPT [a@x] reply=550;rcpt [read-as-command@x];");
	check("dot-unstuffing", stuffing,
	    "helo HELO [pc];mail [w@x];rcpt [a@x];message size=4 rcpts=1 "
	    "reply=250;");
	check("BDAT", bdat,
	    "helo EHLO [pc];mail [w@x];rcpt [a@x];message [c] size=32 "
	    "rcpts=1 reply=250;mail [w2@x];rcpt [b@x];message size=5 "
	    "rcpts=1 reply=250;");
	check("BDAT sizes a server refuses", bdat_bad,
	    "helo EHLO [pc];mail [a@x];mail [b@x];mail [c@x];"
	    "unheard pending=3;message size=22 rcpts=0 cut;");
	check("STARTTLS makes the rest opaque", tls,
	    "helo EHLO [pc];starttls reply=220;");
	check("a refused STARTTLS", tls_refused,
	    "helo EHLO [pc];starttls reply=454;mail [clear@x];");
	check("STARTTLS, client side only", tls_onesided,
	    "helo EHLO [pc];starttls;");
	check("AUTH PLAIN", auth_plain,
	    "helo EHLO [pc];auth PLAIN [u] reply=235;mail [u@x];"
	    "auth PLAIN [user2] reply=535;");
	check("AUTH LOGIN and CRAM-MD5", auth_login,
	    "helo EHLO [pc];auth LOGIN [u] reply=235;auth LOGIN [u] reply=235;"
	    "auth CRAM-MD5 [user] reply=235;");
	check("AUTH LOGIN, client side only", auth_onesided,
	    "helo EHLO [pc];auth LOGIN [u];unheard;mail [after@x];");
	r = run(auth_plain, 0);
	ok(strstr(r, "S3cr3t") == NULL && strstr(r, "UzNjcjN0") == NULL &&
	    strstr(r, "AHUAUzNj") == NULL, "no password in any event");
	check("client side only", onesided,
	    "helo HELO [pc];unheard;mail [w@x];rcpt [a@x];message [one] "
	    "size=34 rcpts=1;mail [w2@x];");
	check("commands before the banner", before_banner,
	    "helo HELO [pc];mail [w@x];rcpt [a@x];message [early] size=36 "
	    "rcpts=1 reply=250;");
	/* the answer ends a message or a chunk: what came before is dropped */
	check("mid-stream inside a body", midstream_body, "");
	check("mid-stream between commands", midstream_cmd,
	    "unheard;mail [first@x];rcpt [a@x];");
	check("a gap skips to the next command", gap_cmd,
	    "helo HELO [pc];unheard;rcpt [a@x];");
	check("a gap that swallowed CRLF.CRLF", gap_dot,
	    "helo HELO [pc];mail [w@x];rcpt [a@x];message [g] size=20 "
	    "rcpts=1 reply=250 cut;mail [w2@x];unheard pending=1;");
	check("EHLO and RSET reset the transaction", ehlo_reset,
	    "helo EHLO [pc];mail [w@x];rcpt [a@x];helo EHLO [pc2];"
	    "mail [w@x];rcpt [b@x];message size=2 rcpts=1 reply=250;"
	    "mail [w@x];rcpt [c@x];message [\xc3\xb1" "and\xc3\xba] size=39 "
	    "rcpts=1 reply=250;");
	check("a bare-LF session", lf_session,
	    "helo HELO [pc];mail [w@x];rcpt [a@x];message [lf] size=16 "
	    "rcpts=1 reply=250;mail [w2@x];unheard pending=1;");
	check("a server that never answers DATA", never_answers,
	    "helo HELO [pc];mail [w@x];rcpt [a@x];unheard pending=2;");
	check("tabs and white space in front", blanks,
	    "helo EHLO [pc];mail [w@x];rcpt [a@x];rcpt [b@x];"
	    "message size=5 rcpts=2 reply=250;");
	check("BDAT without CHUNKING offered", bdat_unoffered,
	    "helo EHLO [pc];mail [w@x];rcpt [a@x];"
	    "message size=5 rcpts=1 reply=250;");
	check("BDAT after HELO", bdat_helo,
	    "helo HELO [pc];mail [w@x];rcpt [a@x];");
	check("mid-stream in a BDAT chunk", midstream_bdat,
	    "unheard;mail [real@x];");
	check("mid-stream: LF . LF is no end", midstream_lf, "");
	check("mid-stream: a line that is no command", midstream_notcmd,
	    "unheard;rcpt [a@x];");
	check("a lost pipelined command", gap_pipelined,
	    "helo EHLO [pc];unheard;rcpt [friend@y];message [s] size=58 "
	    "rcpts=1;");
	check("a transaction pipelined behind a refused message",
	    after_message,
	    "helo EHLO [pc];mail [w@x];rcpt [a@x];message [spam] size=20 "
	    "rcpts=1 reply=554;mail [w2@x];rcpt [b@x];message size=5 rcpts=1 "
	    "reply=250;");
	check("a transaction pipelined behind BDAT LAST", after_bdat,
	    "helo EHLO [pc];mail [w@x];rcpt [a@x];rcpt [b@x];message size=6 "
	    "rcpts=2 reply=250;mail [w2@x];rcpt [c@x];message size=3 rcpts=1 "
	    "reply=250;");
	check("a refused nested MAIL or EHLO keeps the transaction",
	    nested_mail,
	    "helo EHLO [pc];mail [w@x];rcpt [a@x];mail [z@x];"
	    "refused MAIL [z@x] reply=503;helo EHLO [];"
	    "rcpt [b@x];message size=5 rcpts=2 reply=250;");
	check("a refused MAIL (553) and a new one taken", mail_553,
	    "helo EHLO [pc];mail [bad@x];rcpt [a@x];"
	    "refused MAIL [bad@x] reply=553;refused RCPT [a@x] reply=503;"
	    "mail [good@x];rcpt [a@x];message size=5 rcpts=1 reply=250;");
	check("BDAT: a refused recipient comes before the message",
	    bdat_refused,
	    "helo EHLO [pc];mail [w@x];rcpt [no@x];rcpt [yes@x];"
	    "refused RCPT [no@x] reply=550;message size=3 rcpts=1 "
	    "reply=250;");
	check("a recipient refused, RSET, a new MAIL", rset_refused,
	    "helo HELO [pc];mail [w@x];rcpt [no@x];"
	    "refused RCPT [no@x] reply=450;mail [w2@x];");
	check("answers for no command refuse nothing", fake_replies,
	    "helo HELO [pc];mail [w@x];rcpt [a@x];");
	check("answers lost: unheard, with the lines still unanswered",
	    answers_lost,
	    "helo EHLO [pc];mail [w@x];rcpt [a@x];rcpt [b@x];"
	    "unheard pending=2;mail [w2@x];");
	check("STARTTLS: refused keeps the place, taken ends the events",
	    tls_envelope,
	    "helo EHLO [pc];mail [w@x];refused MAIL [w@x] reply=550;"
	    "starttls reply=454;mail [w2@x];starttls reply=220;");
	check("a client that does not wait for 354, refused", no_wait,
	    "helo HELO [pc];mail [w@x];rcpt [gone@x];"
	    "refused RCPT [gone@x] reply=550;mail [w2@x];rcpt [b@x];"
	    "message size=5 rcpts=1 reply=250;");
	check("a failed AUTH says so", auth_failed,
	    "helo EHLO [pc];auth LOGIN [alice] reply=535;");

	/* a 1 MB command line: cut, its start still parsed */
	memcpy(bigline, "C:MAIL FROM:<", 13);
	memset(bigline + 13, 'a', 1 << 20);
	memcpy(bigline + 13 + (1 << 20), ">\r\nRCPT TO:<b@x>\r\n", 18);
	script[0] = "S:220 mx\r\n";
	script[1] = bigline;
	script[2] = NULL;
	r = run(script, 0);
	n = strlen(r);
	ok(strncmp(r, "mail [aaaa", 10) == 0 && n == SMTP_ADDR_MAX + 41 &&
	    strstr(r, "a] cut;rcpt [b@x];unheard pending=2;") != NULL,
	    "1 MB line: the path cut at SMTP_ADDR_MAX, the next command read");
	/*
	 * A folded subject of 1,800 bytes with a Message-ID after it:
	 * kept whole, not cut.  One of 6,000 is cut, and cut it says,
	 * though the Message-ID that follows was not.
	 */
	for (k = 0; k < 2; k++) {
		size_t	 words = k == 0 ? 200 : 600;

		n = (size_t)snprintf(bigline, sizeof(bigline),
		    "C:Subject: ");
		for (i = 0; i < (int)words; i++)
			n += (size_t)snprintf(bigline + n, sizeof(bigline) - n,
			    "%s%08d", i ? (i % 7 ? " " : "\r\n ") : "", i);
		snprintf(bigline + n, sizeof(bigline) - n,
		    "\r\nMessage-ID: <m@x>\r\n\r\nbody\r\n.\r\n");
		script[0] = "S:220 mx\r\n";
		script[1] = "C:HELO pc\r\nMAIL FROM:<w@x>\r\nRCPT TO:<a@x>\r\n"
		    "DATA\r\n";
		script[2] = "S:250 ok\r\n250 ok\r\n250 ok\r\n354 go\r\n";
		script[3] = bigline;
		script[4] = NULL;
		r = run(script, 0);
		s = strstr(r, "message [");
		e = s != NULL ? strstr(s, "] <<m@x>>") : NULL;
		if (k == 0)
			ok(e != NULL && (size_t)(e - s - 9) == words * 9 - 1 &&
			    strstr(e, " cut;") == NULL,
			    "a 1,800-byte folded subject kept whole, no cut");
		else
			ok(e != NULL && (size_t)(e - s - 9) < words * 9 - 1 &&
			    strstr(e, " cut;") != NULL,
			    "a 5,400-byte subject cut, and marked cut with a "
			    "Message-ID after it");
	}

	/* a HELO name longer than SMTP_NAME_MAX */
	memcpy(bigline, "C:EHLO ", 7);
	memset(bigline + 7, 'h', 300);
	memcpy(bigline + 307, "\r\n", 3);
	script[0] = "S:220 mx\r\n";
	script[1] = bigline;
	script[2] = NULL;
	r = run(script, 0);
	ok(strlen(r) == SMTP_NAME_MAX + 17 && strstr(r, "h] cut;") != NULL,
	    "a HELO name cut at SMTP_NAME_MAX");
	ok(mem.used == 0, "memory all given back");

	/* 10,000 recipients */
	n = (size_t)snprintf(rcpts, sizeof(rcpts), "C:MAIL FROM:<w@x>\r\n");
	for (i = 0; i < 10000; i++)
		n += (size_t)snprintf(rcpts + n, sizeof(rcpts) - n,
		    "RCPT TO:<%d@x>\r\n", i);
	snprintf(rcpts + n, sizeof(rcpts) - n, "DATA\r\n\r\n.\r\n");
	script[0] = rcpts;
	script[1] = NULL;
	r = run(script, 0);
	n = strlen(r);
	snprintf(want, sizeof(want), "rcpt [9999@x];message size=2 "
	    "rcpts=10000;");
	ok(n > strlen(want) && strcmp(r + n - strlen(want), want) == 0,
	    "10,000 recipients");

	/* 150 recipients pipelined, 50 refused: more than SMTP_PIPE_MAX */
	n = (size_t)snprintf(rcpts, sizeof(rcpts), "C:MAIL FROM:<w@x>\r\n");
	for (i = 0; i < 150; i++)
		n += (size_t)snprintf(rcpts + n, sizeof(rcpts) - n,
		    "RCPT TO:<%d@x>\r\n", i);
	snprintf(rcpts + n, sizeof(rcpts) - n, "DATA\r\n");
	n = (size_t)snprintf(bigline, sizeof(bigline), "S:250 ok\r\n");
	for (i = 0; i < 150; i++)
		n += (size_t)snprintf(bigline + n, sizeof(bigline) - n, "%s",
		    i < 100 ? "250 ok\r\n" : "452 4.5.3 too many recipients\r\n");
	snprintf(bigline + n, sizeof(bigline) - n, "354 go\r\n");
	script[0] = "S:220 mx\r\n";
	script[1] = rcpts;
	script[2] = bigline;
	script[3] = "C:\r\nx\r\n.\r\n";
	script[4] = "S:550 5.7.1 rejected\r\n";
	script[5] = NULL;
	r = run(script, 0);
	n = strlen(r);
	snprintf(want, sizeof(want), "rcpt [149@x];refused RCPT [100@x] "
	    "reply=452;");
	s = strstr(r, want);
	for (k = 0, e = r; (e = strstr(e, "refused RCPT")) != NULL; e++)
		k++;
	snprintf(want, sizeof(want), "refused RCPT [149@x] reply=452;"
	    "message size=5 rcpts=100 reply=550;");
	ok(s != NULL && k == 50 && n > strlen(want) &&
	    strcmp(r + n - strlen(want), want) == 0,
	    "150 pipelined recipients, 50 refused, answers still matched");

	/*
	 * 100 recipients of 100 bytes pipelined, all refused: the paths
	 * past SMTP_ENV_MAX are not kept, and their refusals say cut.
	 */
	n = (size_t)snprintf(rcpts, sizeof(rcpts), "C:MAIL FROM:<w@x>\r\n");
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(rcpts + n, sizeof(rcpts) - n,
		    "RCPT TO:<%096d@x>\r\n", i);
	n = (size_t)snprintf(bigline, sizeof(bigline), "S:250 ok\r\n");
	for (i = 0; i < 100; i++)
		n += (size_t)snprintf(bigline + n, sizeof(bigline) - n,
		    "550 no\r\n");
	script[0] = "S:220 mx\r\n";
	script[1] = rcpts;
	script[2] = bigline;
	script[3] = NULL;
	r = run(script, 0);
	for (k = 0, e = r; (e = strstr(e, "refused RCPT [")) != NULL; e++)
		k++;
	for (i = 0, e = r; (e = strstr(e, "refused RCPT reply=550 cut;")) !=
	    NULL; e++)
		i++;
	snprintf(want, sizeof(want), "refused RCPT [%096d@x] reply=550;", 0);
	ok(k == (SMTP_ENV_MAX - 6) / 101 && k + i == 100 &&
	    strstr(r, want) != NULL && mem.used == 0,
	    "a pipeline past SMTP_ENV_MAX: %d refusals named, %d cut", k,
	    (int)i);

	/*
	 * A refusal's text, for the blocklist: every line of the reply,
	 * joined by LF, CRs gone, a line split over segments whole, cut at
	 * SMTP_REPLY_TEXT_MAX; a reply that takes the command keeps none
	 */
	{
		static const char *rbl[] = {
			"S:220 mx.example.net ESMTP\r\n",
			"C:EHLO pc\r\n", "S:250 mx.example.net\r\n",
			"C:MAIL FROM:<a@x>\r\n", "S:250 2.1.0 Ok\r\n",
			"C:RCPT TO:<b@y>\r\n",
			"S:554 5.7.1 Service unavailable; Client host [192.0.2.50] ",
			"S:blocked using dnsbl.example\r\n",
			"C:RCPT TO:<c@y>\r\n",
			"S:550-5.7.1 [192.0.2.50] The IP you're using to send\r\n",
			"S:550-5.7.1 mail is not authorized.\r\n",
			"S:550 5.7.1 https://support.example/1 - gsmtp\r\n",
			"C:QUIT\r\n", "S:221 Bye\r\n", NULL };
		static char	 longr[SMTP_REPLY_TEXT_MAX * 3];
		static char	 wantl[SMTP_REPLY_TEXT_MAX * 3];
		const char	*cutscript[] = { "S:220 x\r\n", "C:EHLO pc\r\n",
			"S:250 x\r\n", "C:MAIL FROM:<a@x>\r\n", longr,
			"C:QUIT\r\n", "S:221 Bye\r\n", NULL };

		show_text = 1;
		is_str(run(rbl, 0), "helo EHLO [pc];mail [a@x];rcpt [b@y];"
		    "refused RCPT [b@y] reply=554 text={554 5.7.1 Service "
		    "unavailable; Client host [192.0.2.50] blocked using "
		    "dnsbl.example};rcpt [c@y];refused RCPT [c@y] reply=550 "
		    "text={550-5.7.1 [192.0.2.50] The IP you're using to send\n"
		    "550-5.7.1 mail is not authorized.\n550 5.7.1 "
		    "https://support.example/1 - gsmtp};",
		    "a refusal's text: its lines whole, joined, without CR");
		snprintf(longr, sizeof(longr), "S:553 %0*d\r\n",
		    SMTP_REPLY_TEXT_MAX * 2, 7);
		snprintf(wantl, sizeof(wantl), "helo EHLO [pc];mail [a@x];"
		    "refused MAIL [a@x] reply=553 text={553 %0*d};",
		    SMTP_REPLY_TEXT_MAX - 4, 0);
		is_str(run(cutscript, 0), wantl, "a text cut at "
		    "SMTP_REPLY_TEXT_MAX");
		ok(mem.used == 0, "and its memory given back");
		show_text = 0;
	}

	/* a bounded budget: parsers refuse to grow past it, no crash */
	mem.max = 4096;
	r = run(basic, 1);
	ok(mem.used == 0, "tight budget: nothing leaked");
	mem.max = 64 << 20;
	return tap_done();
}
