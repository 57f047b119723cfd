#!/usr/bin/python3
# Mail submission providers for tests/shared_lab.sh: 587 with STARTTLS and AUTH, 465 with implicit TLS.
#
# Lines, tab-separated, one per fact taken (client_ip as the socket saw
# it, server as ADDR:PORT of the listening socket the client reached):
#   auth	client_ip	server	user
#   message	client_ip	server	from	rcpts	size
#
# Usage: submit_srv.py -o LOG --cert FILE --key FILE --user U --password P
#            -l ADDR [-l ADDR ...]
# Listens on port 587 and 465 of each ADDR until SIGTERM or SIGINT.  On
# 587 a client must start TLS (RFC 3207) before MAIL or AUTH; on 465 the
# connection is TLS from its first byte (RFC 8314 3.3).  Both demand
# AUTH (RFC 4954) with the one user and password given, as a provider's
# submission service does (RFC 6409 4.3); mail is taken and dropped.

import argparse
import asyncio
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
	return str(peer)


def server_of(server):
	# after STARTTLS the transport is TLS's, which passes the socket's
	# own address through
	name = server.transport.get_extra_info("sockname")
	return "%s:%d" % (name[0], name[1]) if name else "?"


def to_text(b):
	if isinstance(b, bytes):
		return b.decode("utf-8", errors="backslashreplace")
	return str(b)


class Handler:
	def __init__(self, log):
		self.log = log

	async def handle_DATA(self, server, session, envelope):
		self.log.write("message", peer_ip(session), server_of(server),
		    envelope.mail_from, len(envelope.rcpt_tos),
		    len(envelope.original_content or b""))
		return "250 2.0.0 Ok: queued"


class Authenticator:
	def __init__(self, log, user, password):
		self.log = log
		self.user = user
		self.password = password

	def __call__(self, server, session, envelope, mechanism, auth_data):
		if not isinstance(auth_data, LoginPassword):
			return AuthResult(success=False, handled=False)
		user = to_text(auth_data.login)
		ok = user == self.user and to_text(auth_data.password) == \
		    self.password
		if ok:
			self.log.write("auth", peer_ip(session), server_of(server),
			    user)
		return AuthResult(success=ok, auth_data=auth_data)


async def serve(args):
	log = FactLog(args.o)
	handler = Handler(log)
	auth = Authenticator(log, args.user, args.password)
	ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
	ctx.load_cert_chain(args.cert, args.key)
	loop = asyncio.get_running_loop()

	def on587():
		return SMTP(handler, hostname=args.hostname, ident="ESMTP",
		    tls_context=ctx, require_starttls=True,
		    auth_required=True, authenticator=auth, loop=loop)

	def on465():
		# aiosmtpd counts only STARTTLS as TLS, so that its
		# auth_require_tls would refuse AUTH here, on a connection
		# that is TLS from its first byte
		return SMTP(handler, hostname=args.hostname, ident="ESMTP",
		    auth_required=True, auth_require_tls=False,
		    authenticator=auth, loop=loop)

	servers = []
	for host in args.l:
		servers.append(await loop.create_server(on587, host, 587))
		servers.append(await loop.create_server(on465, host, 465,
		    ssl=ctx))
	print("listening", flush=True)
	stop = asyncio.Event()
	for sig in (signal.SIGTERM, signal.SIGINT):
		loop.add_signal_handler(sig, stop.set)
	await stop.wait()
	for s in servers:
		s.close()
		await s.wait_closed()


def main():
	# aiosmtpd 1.4 logs a warning about its own use of Session.login_data,
	# and asyncio a traceback for each TLS connection a dropped client
	# leaves half open
	logging.getLogger("mail.log").setLevel(logging.ERROR)
	logging.getLogger("asyncio").setLevel(logging.CRITICAL)
	ap = argparse.ArgumentParser(description="submission providers")
	ap.add_argument("-o", required=True, help="fact log to append to")
	ap.add_argument("-l", action="append", required=True,
	    help="an address to listen on, ports 587 and 465")
	ap.add_argument("--cert", required=True)
	ap.add_argument("--key", required=True)
	ap.add_argument("--user", required=True)
	ap.add_argument("--password", required=True)
	ap.add_argument("--hostname", default="smtp.example")
	args = ap.parse_args()
	asyncio.run(serve(args))
	return 0


if __name__ == "__main__":
	sys.exit(main())
