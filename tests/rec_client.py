#!/usr/bin/python3
# SMTP clients for tests/record.sh: fixed messages, so that recordings repeat.
#
# Usage: rec_client.py SCENARIO HOST PORT [FACTS]
#   telnet    lower-case commands typed one line at a time, as in telnet
#   rset      smtplib: two transactions and an abandoned one, RSET between
#   rfc2047   smtplib: RFC 2047 B and Q subjects, ISO-8859-1 and UTF-8, folded
#   smtputf8  smtplib: MAIL FROM ... SMTPUTF8 (RFC 6531), raw UTF-8 subject
#   bdat      BDAT chunks (RFC 3030); writes the facts it saw accepted to
#             FACTS, since the server (postfix smtpd) does not log them so;
#             checks the size postfix reports against what it sent
#   refused   postfix smtpd refuses a nested MAIL (503), a recipient inside
#             a pipeline (550) and a sender (553, then another is taken);
#             writes the facts it saw accepted and refused to FACTS
#   lossy     smtplib: 4 sessions of 5 messages of about 4 KB
#   worm      three sessions typed like a worm: lower case, one recipient each
# Every step checks the reply code; any surprise exits non-zero.

import re
import smtplib
import socket
import sys
import time

DATE = "Mon, 02 Jun 2025 10:00:00 +0000"
HELO = "client.example.org"


def crlf(lines):
	return b"".join(l.encode("utf-8") + b"\r\n" for l in lines)


def message(frm, to, subject, body, mid):
	"""A message: subject is the raw Subject header, folds included."""
	head = ["From: <%s>" % frm, "To: <%s>" % to]
	head += subject.split("\n") if subject is not None else []
	head += ["Date: " + DATE, "Message-ID: <%s@example.org>" % mid,
	    "MIME-Version: 1.0", "Content-Type: text/plain; charset=UTF-8"]
	return crlf(head + [""] + body)


class Line:
	"""One SMTP connection read reply by reply (RFC 5321 4.2)."""

	def __init__(self, host, port):
		self.s = socket.create_connection((host, port), timeout=30)
		self.s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
		self.f = self.s.makefile("rb")

	def reply(self, want):
		lines = []
		while True:
			l = self.f.readline()
			if not l:
				sys.exit("connection closed, wanted %d" % want)
			lines.append(l)
			if len(l) < 4 or l[3:4] != b"-":
				break
		code = int(lines[-1][:3])
		if code != want:
			sys.exit("got %r, wanted %d" % (lines[-1], want))
		return b"".join(lines)

	def send(self, data):
		self.s.sendall(data)

	def cmd(self, text, want):
		self.send(text.encode("utf-8") + b"\r\n")
		return self.reply(want)

	def close(self):
		self.f.close()
		self.s.close()


def typed(host, port, helo, frm, to, subject, body):
	"""One session typed by hand: a line, then wait for the answer."""
	c = Line(host, port)
	c.reply(220)
	c.cmd("helo " + helo, 250)
	c.cmd("mail from:<%s>" % frm, 250)
	c.cmd("rcpt to:<%s>" % to, 250)
	c.cmd("data", 354)
	for l in ["subject: " + subject, ""] + body:
		time.sleep(0.1)
		c.send(l.encode("utf-8") + b"\r\n")
	c.cmd(".", 250)
	c.cmd("quit", 221)
	c.close()


def sc_telnet(host, port, facts):
	typed(host, port, "pc", "a@b.example", "c@d.example",
	    "hola desde telnet", ["hola", "adios"])


def sc_worm(host, port, facts):
	for i, to in enumerate(["ana@example.net", "luis@example.com",
	    "marta@example.org"]):
		typed(host, port, "pc", "worm@example.org", to,
		    "Re: su factura %d" % (i + 1),
		    ["Vea el adjunto.", "factura.zip"])


def smtp(host, port):
	s = smtplib.SMTP(host, port, local_hostname=HELO, timeout=30)
	return s


def sc_rset(host, port, facts):
	s = smtp(host, port)
	s.sendmail("uno@example.org", ["dos@example.net"],
	    message("uno@example.org", "dos@example.net",
	    "Subject: primero", ["Primer mensaje."], "rset-1"))
	code, _ = s.rset()
	assert code == 250
	# a transaction given up before DATA
	assert s.mail("tres@example.org")[0] == 250
	assert s.rcpt("cuatro@example.net")[0] == 250
	assert s.rset()[0] == 250
	s.sendmail("cinco@example.org", ["seis@example.net", "siete@example.net"],
	    message("cinco@example.org", "seis@example.net",
	    "Subject: segundo", ["Segundo mensaje.", ".punto al inicio", "."],
	    "rset-2"))
	s.quit()


RFC2047 = [
	# UTF-8, B: "Atención: ñandú"
	"Subject: =?UTF-8?B?QXRlbmNpw7NuOiDDsWFuZMO6?=",
	# ISO-8859-1, Q: "Café con leche"
	"Subject: =?ISO-8859-1?Q?Caf=E9_con_leche?=",
	# ISO-8859-1, B, lower case: "Niño"
	"Subject: =?iso-8859-1?b?Tmnxbw==?=",
	# UTF-8, Q, two adjacent words: "Señor Muñoz"
	"Subject: =?UTF-8?Q?Se=C3=B1or?= =?UTF-8?Q?_Mu=C3=B1oz?=",
	# text around a word: "Re: Información urgente"
	"Subject: Re: =?ISO-8859-1?Q?Informaci=F3n?= urgente",
	# folded plain text (RFC 5322 2.2.3)
	"Subject: Informe mensual de\n ventas del\n segundo trimestre",
	# folded between two B words: "Informe de la reunión del martes"
	"Subject: =?UTF-8?B?SW5mb3JtZSBkZSBsYSByZXVuacOzbiBkZWwg?=\n"
	" =?UTF-8?B?bWFydGVz?=",
	# lower-case header name, no encoding
	"subject: sin acentos",
]


def sc_rfc2047(host, port, facts):
	s = smtp(host, port)
	for i, subj in enumerate(RFC2047):
		s.sendmail("mime@example.org", ["lector@example.net"],
		    message("mime@example.org", "lector@example.net", subj,
		    ["Mensaje %d." % (i + 1)], "rfc2047-%d" % (i + 1)))
	s.quit()


def sc_smtputf8(host, port, facts):
	s = smtp(host, port)
	s.ehlo()
	assert s.has_extn("smtputf8")
	frm, to = "josé@ejemplo.example", "zoë@ejemplo.example"
	s.sendmail(frm, [to], message(frm, to, "Subject: Año nuevo ☃",
	    ["Feliz año."], "utf8-1"), mail_options=["SMTPUTF8"])
	s.quit()


def sc_lossy(host, port, facts):
	# about 4 KB a message: several segments in flight at once
	body = ["Linea %03d de un mensaje largo para la prueba con perdidas."
	    % i for i in range(64)]
	n = 0
	for sess in range(4):
		s = smtp(host, port)
		for m in range(5):
			n += 1
			to = "dest%02d@example.net" % n
			s.sendmail("lossy@example.org", [to],
			    message("lossy@example.org", to,
			    "Subject: mensaje %02d" % n, body, "lossy-%d" % n))
		s.quit()


def sized(reply, want):
	"""Postfix ends a BDAT ... LAST with "250 2.0.0 Ok: N bytes queued"."""
	m = re.search(rb"Ok: (\d+) bytes", reply)
	if m is None or int(m.group(1)) != want:
		sys.exit("server took %r, client sent %d bytes" % (reply, want))


def sc_bdat(host, port, facts):
	import smtpd_log

	out = open(facts, "w", encoding="utf-8")
	ip = "198.51.100.10"

	def fact(*f):
		out.write("\t".join(str(x) for x in f) + "\n")

	c = Line(host, port)
	c.reply(220)
	ehlo = c.cmd("EHLO " + HELO, 250)
	if b"CHUNKING" not in ehlo:
		sys.exit("server does not offer CHUNKING")

	# message 1: three chunks, a line cut between chunks, BDAT 0 LAST
	frm = "chunks@example.org"
	c.cmd("MAIL FROM:<%s>" % frm, 250)
	fact("mail", ip, frm)
	for to in ("uno@example.net", "dos@example.net"):
		c.cmd("RCPT TO:<%s>" % to, 250)
		fact("rcpt", ip, to)
	msg = message(frm, "uno@example.net", "Subject: en trozos",
	    ["Primera linea.", ".", ".linea con punto, sin transparencia",
	    "Ultima linea."], "bdat-1")
	cuts = [0, 100, 157, len(msg)]
	for a, b in zip(cuts, cuts[1:]):
		c.send(b"BDAT %d\r\n" % (b - a) + msg[a:b])
		c.reply(250)
	sized(c.cmd("BDAT 0 LAST", 250), len(msg))
	fact("message", ip, smtpd_log.subject_of(msg), len(msg))

	# message 2: both chunks pipelined in one write, the second LAST
	frm = "chunks2@example.org"
	c.cmd("MAIL FROM:<%s>" % frm, 250)
	fact("mail", ip, frm)
	c.cmd("RCPT TO:<tres@example.net>", 250)
	fact("rcpt", ip, "tres@example.net")
	msg = message(frm, "tres@example.net",
	    "Subject: =?UTF-8?Q?segundo_env=C3=ADo?=",
	    ["Dos trozos seguidos."], "bdat-2")
	half = len(msg) // 2
	c.send(b"BDAT %d\r\n" % half + msg[:half] +
	    b"BDAT %d LAST\r\n" % (len(msg) - half) + msg[half:])
	c.reply(250)
	sized(c.reply(250), len(msg))
	fact("message", ip, smtpd_log.subject_of(msg), len(msg))
	c.cmd("QUIT", 221)
	c.close()
	out.close()


def sc_refused(host, port, facts):
	"""Postfix refuses a nested MAIL, a recipient in a pipeline, a sender."""
	import smtpd_log

	out = open(facts, "w", encoding="utf-8")
	ip = "198.51.100.10"

	def fact(*f):
		out.write("\t".join(str(x) for x in f) + "\n")

	def send_message(c, frm, to, subject, mid):
		msg = message(frm, to, "Subject: " + subject, ["Hola."], mid)
		c.send(msg + b".\r\n")
		c.reply(250)
		fact("message", ip, smtpd_log.subject_of(msg), len(msg))

	# 1: a nested MAIL FROM, refused; the message is the first sender's
	c = Line(host, port)
	c.reply(220)
	c.cmd("EHLO " + HELO, 250)
	c.cmd("MAIL FROM:<alice@example.com>", 250)
	fact("mail", ip, "alice@example.com")
	r = c.cmd("MAIL FROM:<bob@example.com>", 503)
	if b"nested MAIL" not in r:
		sys.exit("not the nested MAIL refusal: %r" % r)
	fact("refused", ip, "MAIL", "bob@example.com", 503)
	c.cmd("RCPT TO:<carol@example.net>", 250)
	fact("rcpt", ip, "carol@example.net")
	c.cmd("DATA", 354)
	send_message(c, "alice@example.com", "carol@example.net", "anidado",
	    "refused-1")
	c.cmd("QUIT", 221)
	c.close()

	# 2: one write of MAIL, three RCPT and DATA; the middle one refused
	c = Line(host, port)
	c.reply(220)
	if b"PIPELINING" not in c.cmd("EHLO " + HELO, 250):
		sys.exit("server does not offer PIPELINING")
	c.send(b"MAIL FROM:<lista@example.org>\r\n"
	    b"RCPT TO:<uno@example.net>\r\n"
	    b"RCPT TO:<nadie@example.net>\r\n"
	    b"RCPT TO:<dos@example.net>\r\n"
	    b"DATA\r\n")
	c.reply(250)
	fact("mail", ip, "lista@example.org")
	c.reply(250)
	fact("rcpt", ip, "uno@example.net")
	c.reply(550)
	fact("refused", ip, "RCPT", "nadie@example.net", 550)
	c.reply(250)
	fact("rcpt", ip, "dos@example.net")
	c.reply(354)
	send_message(c, "lista@example.org", "uno@example.net", "en tuberia",
	    "refused-2")
	c.cmd("QUIT", 221)
	c.close()

	# 3: a sender refused with 553, then another one taken
	c = Line(host, port)
	c.reply(220)
	c.cmd("EHLO " + HELO, 250)
	c.cmd("MAIL FROM:<spam@example.org>", 553)
	fact("refused", ip, "MAIL", "spam@example.org", 553)
	c.cmd("MAIL FROM:<bueno@example.org>", 250)
	fact("mail", ip, "bueno@example.org")
	c.cmd("RCPT TO:<juan@example.net>", 250)
	fact("rcpt", ip, "juan@example.net")
	c.cmd("DATA", 354)
	send_message(c, "bueno@example.org", "juan@example.net", "otro remitente",
	    "refused-3")
	c.cmd("QUIT", 221)
	c.close()
	out.close()


SCENARIOS = {
	"telnet": sc_telnet, "worm": sc_worm, "rset": sc_rset,
	"rfc2047": sc_rfc2047, "smtputf8": sc_smtputf8, "lossy": sc_lossy,
	"bdat": sc_bdat, "refused": sc_refused,
}


def main():
	if len(sys.argv) < 4 or sys.argv[1] not in SCENARIOS:
		sys.exit("usage: rec_client.py %s HOST PORT [FACTS]" %
		    "|".join(sorted(SCENARIOS)))
	facts = sys.argv[4] if len(sys.argv) > 4 else None
	SCENARIOS[sys.argv[1]](sys.argv[2], int(sys.argv[3]), facts)
	return 0


if __name__ == "__main__":
	sys.exit(main())
