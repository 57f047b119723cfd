#!/usr/bin/python3
# An SMTP server for the recordings: writes one tab-separated line per fact it accepted.
#
# Lines (client_ip as the socket saw it, no port):
#   mail	client_ip	from
#   rcpt	client_ip	to
#   message	client_ip	subject	size
#   auth	client_ip	mech	user
# The subject is the RFC 2047 decoded, unfolded Subject header (RFC 5322
# 2.2.3) in UTF-8, empty when there is none; the size counts the message
# bytes after dot-unstuffing (RFC 5321 4.5.2), CRLF line ends kept, the
# final "." line not counted.  TAB, CR and LF inside a value become one
# space so that a line always has its fixed number of fields.
#
# Usage: smtpd_log.py -o LOG -l ADDR:PORT [-l ADDR:PORT ...]
#            [--cert FILE --key FILE] [--hostname NAME]
# Listens until SIGTERM or SIGINT.  Speaks EHLO with PIPELINING, SIZE,
# 8BITMIME, SMTPUTF8, STARTTLS (when given a certificate) and AUTH PLAIN
# and LOGIN, allowed without TLS so that tests can see AUTH on the wire.
# Any user name and password are accepted.

import argparse
import asyncio
import email.parser
import email.policy
import logging
import signal
import ssl
import sys

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


def clean(s):
	"""Keep a value on one line and in one field."""
	for c in "\t\r\n":
		s = s.replace(c, " ")
	return s


def subject_of(content):
	"""The decoded, unfolded Subject of a message, or ''."""
	# 8-bit header bytes (RFC 6532) are read as UTF-8; others become U+FFFD
	text = content.decode("utf-8", errors="replace")
	parser = email.parser.Parser(policy=email.policy.default)
	try:
		msg = parser.parsestr(text, headersonly=True)
		subj = msg.get("subject")
	except Exception:	# a broken header is logged as no subject
		return ""
	return "" if subj is None else str(subj)


class FactLog:
	def __init__(self, path):
		self.f = open(path, "a", encoding="utf-8", newline="\n")

	def write(self, *fields):
		self.f.write("\t".join(clean(str(x)) for x in fields) + "\n")
		self.f.flush()


def peer_ip(session):
	peer = session.peer
	if isinstance(peer, tuple):
		peer = peer[0]
	peer = str(peer)
	if peer.startswith("::ffff:"):
		peer = peer[7:]
	return peer


def to_text(b):
	if isinstance(b, bytes):
		return b.decode("utf-8", errors="backslashreplace")
	return str(b)


class Handler:
	def __init__(self, log):
		self.log = log

	async def handle_EHLO(self, server, session, envelope, hostname, responses):
		# aiosmtpd reads one command at a time from a stream, so it can
		# take pipelined commands (RFC 2920); it just does not say so.
		session.host_name = hostname
		return responses[:1] + ["250-PIPELINING"] + responses[1:]

	async def handle_MAIL(self, server, session, envelope, address, options):
		envelope.mail_from = address
		envelope.mail_options.extend(options)
		self.log.write("mail", peer_ip(session), address)
		return "250 OK"

	async def handle_RCPT(self, server, session, envelope, address, options):
		envelope.rcpt_tos.append(address)
		envelope.rcpt_options.extend(options)
		self.log.write("rcpt", peer_ip(session), address)
		return "250 OK"

	async def handle_DATA(self, server, session, envelope):
		content = envelope.original_content or b""
		self.log.write("message", peer_ip(session), subject_of(content),
		    len(content))
		return "250 Message accepted for delivery"


class Authenticator:
	def __init__(self, log):
		self.log = log

	def __call__(self, server, session, envelope, mechanism, auth_data):
		user = ""
		if isinstance(auth_data, LoginPassword):
			user = to_text(auth_data.login)
		self.log.write("auth", peer_ip(session), mechanism, user)
		return AuthResult(success=True, auth_data=auth_data)


def split_listen(s):
	host, _, port = s.rpartition(":")
	if host.startswith("[") and host.endswith("]"):
		host = host[1:-1]
	return host, int(port)


async def serve(args):
	log = FactLog(args.o)
	handler = Handler(log)
	auth = Authenticator(log)
	ctx = None
	if args.cert:
		ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
		ctx.load_cert_chain(args.cert, args.key)
	loop = asyncio.get_running_loop()

	def factory():
		return SMTP(handler, hostname=args.hostname, ident="ESMTP",
		    enable_SMTPUTF8=True, tls_context=ctx,
		    auth_require_tls=False, authenticator=auth, loop=loop)

	servers = []
	for spec in args.l:
		host, port = split_listen(spec)
		servers.append(await loop.create_server(factory, host, port))
	stop = asyncio.Event()
	for sig in (signal.SIGTERM, signal.SIGINT):
		loop.add_signal_handler(sig, stop.set)
	await stop.wait()
	for s in servers:
		s.close()
		await s.wait_closed()


def main():
	# aiosmtpd 1.4 logs a warning about its own use of Session.login_data
	logging.getLogger("mail.log").setLevel(logging.ERROR)
	ap = argparse.ArgumentParser(description="SMTP server logging facts")
	ap.add_argument("-o", required=True, help="fact log to append to")
	ap.add_argument("-l", action="append", required=True,
	    help="ADDR:PORT to listen on, IPv6 as [ADDR]:PORT")
	ap.add_argument("--cert")
	ap.add_argument("--key")
	ap.add_argument("--hostname", default="mx.example.net")
	args = ap.parse_args()
	asyncio.run(serve(args))
	return 0


if __name__ == "__main__":
	sys.exit(main())
