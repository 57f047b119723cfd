#!/bin/bash
# Records the replay captures tests/data/rec-*.pcap and their facts rec-*.expect from real SMTP peers.
#
# Run as root, by hand (not from make check): tests/record.sh [NAME...]
# With no NAME every scenario is recorded, examples/worm.pcap included.
#
#   client 198.51.100.10, 2001:db8:1::10 --c0-- gw --s0-- server 203.0.113.25,
#   corp   192.0.2.25 ---------------------g0--/               2001:db8:2::25
#
# tcpdump runs in the forwarding namespace gw on s0, the server side.
# The servers are tests/smtpd_log.py (aiosmtpd) and, for BDAT and the
# refusals, a postfix smtpd in its own configuration directory.  A .expect file holds "#"
# lines saying how it was made, then the facts in the order the server
# took them: mail/rcpt/message/auth, tab-separated (see smtpd_log.py).
# Needs: iproute2, tcpdump, tshark, swaks, python3-aiosmtpd, postfix,
# nftables, openssl, ethtool.

set -eu

[ "$(id -u)" -eq 0 ] || { echo "record.sh: run as root" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd)
DATA=$HERE/data
EXAMPLES=$HERE/../examples
# aiosmtpd is a Debian package: use the system python3
PY=/usr/bin/python3
SRV=203.0.113.25
SRV6=2001:db8:2::25
CLI=198.51.100.10
CORP=192.0.2.25
PASS='S3cr3t-Passw0rd'

NS_PREFIX=cdrec-$$
. "$HERE/netns.sh"

TMP=$(mktemp -d /tmp/cdrec-$$.XXXXXX)
# postfix's daemons run as user postfix and must reach their directories
chmod 711 "$TMP"
PF_RUNNING=""

rec_exit()
{
	[ -z "$PF_RUNNING" ] || pf_stop
	ns_cleanup
	rm -rf "$TMP"
}
trap rec_exit EXIT

topology()
{
	ns_new cl
	ns_new corp
	ns_new gw
	ns_new sv
	ns_link cl eth0 "$CLI/24,2001:db8:1::10/64" \
	    gw c0 198.51.100.1/24,2001:db8:1::1/64
	ns_link corp eth0 "$CORP/24" gw g0 192.0.2.1/24
	ns_link gw s0 203.0.113.1/24,2001:db8:2::1/64 \
	    sv eth0 "$SRV/24,$SRV6/64"
	ns_forward gw
	ns_route cl default 198.51.100.1
	ns_route cl default 2001:db8:1::1
	ns_route corp default 192.0.2.1
	ns_route sv default 203.0.113.1
	ns_route sv default 2001:db8:2::1
}

tls_cert()
{
	openssl req -x509 -newkey rsa:2048 -nodes -days 30 \
	    -subj /CN=mx.example.net -keyout "$TMP/key.pem" \
	    -out "$TMP/cert.pem" >/dev/null 2>&1
}

# A fixed message for swaks: subject, mid, body lines.
msgfile()
{
	_f=$TMP/$2.eml
	{
		printf 'From: <%s>\r\nTo: <%s>\r\n' "$4" "$5"
		printf 'Subject: %s\r\n' "$1"
		printf 'Date: Mon, 02 Jun 2025 10:00:00 +0000\r\n'
		printf 'Message-ID: <%s@example.org>\r\n' "$2"
		printf 'MIME-Version: 1.0\r\n'
		printf 'Content-Type: text/plain; charset=UTF-8\r\n\r\n'
		printf '%s\r\n' "$3"
	} >"$_f"
	echo "$_f"
}

SRV_PID=""
CAP_PID=""

server_start()
{
	: >"$TMP/facts"
	ns_bg sv "$PY" "$HERE/smtpd_log.py" -o "$TMP/facts" \
	    -l "$SRV:25" -l "[$SRV6]:25" -l "$SRV:587" \
	    --cert "$TMP/cert.pem" --key "$TMP/key.pem"
	SRV_PID=$NS_LASTPID
	ns_wait_port sv "$SRV" 25
	ns_wait_port sv "$SRV6" 25
	ns_wait_port sv "$SRV" 587
}

server_stop()
{
	ns_stop "$SRV_PID" TERM
	SRV_PID=""
}

# capture_start FILE FILTER
capture_start()
{
	rm -f "$TMP/cap.pcap" "$TMP/cap.err"
	ns_bg gw tcpdump -Z root --immediate-mode -U -i s0 -s 0 -w "$TMP/cap.pcap" "$2" \
	    2>"$TMP/cap.err"
	CAP_PID=$NS_LASTPID
	ns_wait_file "$TMP/cap.err" "listening on"
	CAP_OUT=$1
}

capture_stop()
{
	# let the last ACKs and FINs pass, then stop tcpdump so that it
	# flushes a complete file
	sleep 0.5
	ns_stop "$CAP_PID" INT
	CAP_PID=""
	if ! tshark -r "$TMP/cap.pcap" >/dev/null 2>&1; then
		echo "record.sh: $CAP_OUT is not a complete capture" >&2
		exit 1
	fi
	cp "$TMP/cap.pcap" "$CAP_OUT"
}

# write_expect NAME HOW [EXTRA-COMMENT-LINES] < facts
write_expect()
{
	{
		echo "# rec-$1: $2"
		echo "# captured with tcpdump -s 0 on the gateway's server-side veth"
		echo "# fields are tab-separated, as defined in tests/smtpd_log.py"
		[ -n "${3:-}" ] && printf '%s\n' "$3"
		cat
	} >"$DATA/rec-$1.expect"
}

# rec NAME HOW EXTRA FILTER CLIENT-NS CMD...: aiosmtpd as the server
rec()
{
	_name=$1 _how=$2 _extra=$3 _filter=$4 _ns=$5
	shift 5
	echo "recording rec-$_name"
	server_start
	capture_start "$DATA/rec-$_name.pcap" "$_filter"
	ns_exec "$_ns" "$@" >"$TMP/client.log" 2>&1 || {
		cat "$TMP/client.log" >&2
		echo "record.sh: client of rec-$_name failed" >&2
		exit 1
	}
	capture_stop
	server_stop
	write_expect "$_name" "$_how" "$_extra" <"$TMP/facts"
}

SW="swaks --helo client.example.org --hide-all"

sc_plain()
{
	rec plain "swaks, one message" "" "tcp port 25" cl \
	    $SW -s "$SRV" -f worm@example.org -t juan@example.net \
	    --data "$(msgfile 'Mensaje de prueba' plain-1 'Hola.' \
	    worm@example.org juan@example.net)"
}

sc_telnet()
{
	rec telnet "lower-case commands typed one line at a time" "" \
	    "tcp port 25" cl "$PY" "$HERE/rec_client.py" telnet "$SRV" 25
}

sc_pipeline()
{
	rec pipeline "swaks --pipeline, five recipients (RFC 2920)" "" \
	    "tcp port 25" cl $SW --pipeline -s "$SRV" -f lista@example.org \
	    -t a1@example.net,a2@example.net,a3@example.net,a4@example.net,a5@example.net \
	    --data "$(msgfile 'Cinco destinatarios' pipe-1 'Para todos.' \
	    lista@example.org a1@example.net)"
}

sc_rset()
{
	rec rset "smtplib: message, RSET, abandoned MAIL+RCPT, RSET, message" \
	    "# the second message has dot-stuffed lines (RFC 5321 4.5.2)" \
	    "tcp port 25" cl "$PY" "$HERE/rec_client.py" rset "$SRV" 25
}

sc_tls()
{
	rec tls "swaks --tls: STARTTLS (RFC 3207)" \
	    "# only EHLO and STARTTLS are readable: every fact below was sent inside TLS" \
	    "tcp port 25" cl $SW --tls -s "$SRV" -f secreto@example.org \
	    -t juan@example.net \
	    --data "$(msgfile 'Cifrado' tls-1 'No se ve.' \
	    secreto@example.org juan@example.net)"
}

# the password and every base64 form a client may send (RFC 4616, LOGIN)
secrets()
{
	echo "# secret: $PASS"
	printf '%s' "$PASS" | base64 | sed 's/^/# secret: /'
	printf '\0u\0%s' "$PASS" | base64 | sed 's/^/# secret: /'
	printf 'u\0u\0%s' "$PASS" | base64 | sed 's/^/# secret: /'
}

sc_auth()
{
	_m=$1
	_l=$(echo "$_m" | tr 'A-Z' 'a-z')
	rec "auth-$_l" "swaks --auth $_m, user u, no TLS (RFC 4954)" \
	    "$(secrets)" "tcp port 25" cl \
	    $SW --auth "$_m" --auth-user u --auth-password "$PASS" \
	    -s "$SRV" -f u@example.org -t juan@example.net \
	    --data "$(msgfile "Con AUTH $_m" "auth-$_l-1" 'Autenticado.' \
	    u@example.org juan@example.net)"
}

sc_rfc2047()
{
	rec rfc2047 "smtplib: RFC 2047 B and Q subjects, ISO-8859-1 and UTF-8, folded" \
	    "# subjects are decoded to UTF-8 and unfolded" \
	    "tcp port 25" cl "$PY" "$HERE/rec_client.py" rfc2047 "$SRV" 25
}

sc_smtputf8()
{
	rec smtputf8 "smtplib: MAIL FROM ... SMTPUTF8 (RFC 6531), UTF-8 subject" \
	    "" "tcp port 25" cl "$PY" "$HERE/rec_client.py" smtputf8 "$SRV" 25
}

sc_ipv6()
{
	rec ipv6 "swaks over IPv6" "" "tcp port 25" cl \
	    $SW -6 -s "$SRV6" -f seis@example.org -t juan@example.net \
	    --data "$(msgfile 'Por IPv6' ipv6-1 'Hola.' \
	    seis@example.org juan@example.net)"
}

sc_587()
{
	rec submission "swaks to port 587 (RFC 6409)" "" \
	    "tcp port 25 or tcp port 587" cl \
	    $SW -s "$SRV" -p 587 -f envio@example.org -t juan@example.net \
	    --data "$(msgfile 'Por el puerto 587' sub-1 'Hola.' \
	    envio@example.org juan@example.net)"
}

postfix_conf()
{
	_d=$TMP/pf
	rm -rf "$_d"
	mkdir -p "$_d/etc" "$_d/queue" "$_d/data"
	chown postfix "$_d/data"
	cat >"$_d/etc/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $_d/queue
	data_directory = $_d/data
	maillog_file = $_d/maillog
	maillog_file_prefixes = $_d
	mail_owner = postfix
	myhostname = mx.example.net
	mydomain = example.net
	inet_interfaces = $SRV
	inet_protocols = ipv4
	mynetworks = 198.51.100.0/24, 192.0.2.0/24
	mydestination =
	alias_maps =
	alias_database =
	smtpd_relay_restrictions = permit_mynetworks, reject
	smtpd_peername_lookup = no
	smtpd_banner = \$myhostname ESMTP
	default_transport = discard:recorded
	local_transport = discard:recorded
	relay_transport = discard:recorded
	EOF
	# more main.cf lines for the scenario
	[ -z "${1:-}" ] || printf '%s\n' "$1" >>"$_d/etc/main.cf"
	cat >"$_d/etc/master.cf" <<-EOF
	smtp      inet  n       -       n       -       -       smtpd
	cleanup   unix  n       -       n       -       0       cleanup
	qmgr      unix  n       -       n       300     1       qmgr
	rewrite   unix  -       -       n       -       -       trivial-rewrite
	bounce    unix  -       -       n       -       0       bounce
	defer     unix  -       -       n       -       0       bounce
	trace     unix  -       -       n       -       0       bounce
	verify    unix  -       -       n       -       1       verify
	flush     unix  n       -       n       1000?   0       flush
	proxymap  unix  -       -       n       -       -       proxymap
	discard   unix  -       -       n       -       -       discard
	anvil     unix  -       -       n       -       1       anvil
	scache    unix  -       -       n       -       1       scache
	postlog   unix-dgram n  -       n       -       1       postlogd
	EOF
}

# "postfix stop" signals the master; start-fg returns once it is gone.
pf_stop()
{
	ns_exec sv postfix -c "$TMP/pf/etc" stop >/dev/null 2>&1 || :
	_t=100
	while kill -0 "$PF_RUNNING" 2>/dev/null && [ $_t -gt 0 ]; do
		sleep 0.1
		_t=$((_t - 1))
	done
	ns_stop "$PF_RUNNING" TERM
	PF_RUNNING=""
}

# pf_start [MAIN.CF-LINES]: a postfix smtpd on $SRV:25
pf_start()
{
	postfix_conf "${1:-}"
	ns_exec sv postfix -c "$TMP/pf/etc" check
	# "postfix stop" signals the master's whole process group: give it
	# its own session; postfix-script then reports "Terminated"
	ns_bg sv setsid postfix -c "$TMP/pf/etc" start-fg \
	    2>"$TMP/pf/stderr"
	PF_RUNNING=$NS_LASTPID
	ns_wait_port sv "$SRV" 25 100
}

# pf_wait_sent N: postfix logs every delivery; wait for N discards
pf_wait_sent()
{
	_t=50
	while [ "$(grep -c 'status=sent' "$TMP/pf/maillog")" -lt "$1" ] &&
	    [ $_t -gt 0 ]; do
		sleep 0.1
		_t=$((_t - 1))
	done
}

# the recipients postfix delivered must be those the client saw taken
pf_check_delivered()
{
	_want=$(awk -F'\t' '$1 == "rcpt" { print "<" $3 ">" }' "$TMP/facts" |
	    sort)
	_got=$(sed -n 's/.* to=\(<[^>]*>\).*status=sent.*/\1/p' \
	    "$TMP/pf/maillog" | sort)
	if [ "$_want" != "$_got" ]; then
		echo "record.sh: postfix delivered other recipients:" >&2
		cat "$TMP/pf/maillog" >&2
		exit 1
	fi
}

sc_bdat()
{
	echo "recording rec-bdat"
	pf_start
	capture_start "$DATA/rec-bdat.pcap" "tcp port 25"
	ns_exec cl "$PY" "$HERE/rec_client.py" bdat "$SRV" 25 "$TMP/facts"
	capture_stop
	pf_wait_sent 3
	pf_stop
	# cross-check the client's facts against what postfix delivered
	pf_check_delivered
	write_expect bdat "BDAT chunks (RFC 3030) to postfix smtpd $(postconf -dh mail_version 2>/dev/null)" \
	    "# facts from the client (tests/rec_client.py bdat), each written after the server's 250;
# postfix's log confirmed the recipients and its last reply the size, the sum of the BDAT chunk sizes" \
	    <"$TMP/facts"
}

# Postfix refuses: a nested MAIL (503, its own check), a recipient of
# an access map (550) inside a pipeline, a sender of another (553, at
# MAIL since smtpd_delay_reject is off).
sc_refused()
{
	echo "recording rec-refused"
	pf_start "smtpd_delay_reject = no
smtpd_sender_restrictions = check_sender_access inline:{ {spam@example.org = 553 5.7.1 sender not allowed} }
smtpd_recipient_restrictions = check_recipient_access inline:{ {nadie@example.net = 550 5.1.1 no such user} }, permit_mynetworks, reject"
	capture_start "$DATA/rec-refused.pcap" "tcp port 25"
	ns_exec cl "$PY" "$HERE/rec_client.py" refused "$SRV" 25 "$TMP/facts"
	capture_stop
	pf_wait_sent 4
	pf_stop
	pf_check_delivered
	write_expect refused "refusals of postfix smtpd $(postconf -dh mail_version 2>/dev/null): nested MAIL, a recipient in a pipeline, a sender" \
	    "# facts from the client (tests/rec_client.py refused), each written after the server's answer;
# refused lines: refused, client, verb, path, reply code; postfix's log confirmed the recipients" \
	    <"$TMP/facts"
}

# Drop 5 % of port-25 packets each way and send 20 % of the client's
# packets through a slow HTB class (netem is not available everywhere):
# a packet that finds that class busy waits behind it while later ones
# pass.  An MSS clamped to 536 makes a 4 KB message eight segments in
# flight, so the capture behind the gateway holds real retransmissions
# and segments out of order.
lossy_on()
{
	ns_exec gw nft -f - <<-EOF
	table inet cdrec {
		chain lossy {
			type filter hook forward priority 0; policy accept;
			tcp flags syn tcp option maxseg size set 536
			tcp dport 25 numgen random mod 100 < 5 drop
			tcp sport 25 numgen random mod 100 < 5 drop
			tcp dport 25 numgen random mod 100 < 20 meta priority set 1:20
		}
	}
	EOF
	ns_exec gw tc qdisc add dev s0 root handle 1: htb default 10 r2q 1
	ns_exec gw tc class add dev s0 parent 1: classid 1:10 htb \
	    rate 1gbit quantum 1514
	ns_exec gw tc class add dev s0 parent 1: classid 1:20 htb \
	    rate 2mbit ceil 2mbit burst 100 cburst 100 quantum 1514
}

lossy_off()
{
	ns_exec gw nft delete table inet cdrec
	ns_exec gw tc qdisc del dev s0 root
}

count()
{
	tshark -r "$1" -Y "$2" 2>/dev/null | wc -l
}

sc_lossy()
{
	lossy_on
	_try=1
	while :; do
		rec lossy "smtplib, 4 sessions of 5 messages through a lossy gateway" \
		    "# gw: nft drops 5 % of port-25 packets each way; 20 % of the client's wait in a 2 Mbit/s HTB class; MSS 536" \
		    "tcp port 25" cl "$PY" "$HERE/rec_client.py" lossy "$SRV" 25
		_re=$(count "$DATA/rec-lossy.pcap" tcp.analysis.retransmission)
		_oo=$(count "$DATA/rec-lossy.pcap" tcp.analysis.out_of_order)
		_ls=$(count "$DATA/rec-lossy.pcap" tcp.analysis.lost_segment)
		echo "rec-lossy: $_re retransmissions, $_oo out of order," \
		    "$_ls gaps (tshark)"
		[ "$_re" -gt 0 ] && [ "$_oo" -gt 0 ] && break
		if [ $_try -ge 5 ]; then
			echo "record.sh: no retransmission or reordering seen" >&2
			exit 1
		fi
		_try=$((_try + 1))
	done
	lossy_off
}

sc_worm()
{
	echo "recording examples/worm.pcap"
	server_start
	capture_start "$EXAMPLES/worm.pcap" "tcp port 25"
	ns_exec cl "$PY" "$HERE/rec_client.py" worm "$SRV" 25
	ns_exec corp $SW -s "$SRV" --helo mail.example.com \
	    -f alicia@example.com -t pedro@example.net \
	    --data "$(msgfile 'Pedido 4711' corp-1 'Adjunto el pedido.' \
	    alicia@example.com pedro@example.net)"
	capture_stop
	server_stop
	{
		echo "# worm: $CLI types three lower-case sessions (tests/rec_client.py worm);"
		echo "# $CORP, the company's mail server, sends one message with swaks"
		echo "# captured with tcpdump -s 0 on the gateway's server-side veth"
		echo "# fields are tab-separated, as defined in tests/smtpd_log.py"
		cat "$TMP/facts"
	} >"$DATA/worm.expect"
}

ALL="plain telnet pipeline rset tls auth-plain auth-login bdat refused
    rfc2047 smtputf8 ipv6 submission lossy worm"

run()
{
	case $1 in
	plain) sc_plain ;;
	telnet) sc_telnet ;;
	pipeline) sc_pipeline ;;
	rset) sc_rset ;;
	tls) sc_tls ;;
	auth-plain) sc_auth PLAIN ;;
	auth-login) sc_auth LOGIN ;;
	bdat) sc_bdat ;;
	refused) sc_refused ;;
	rfc2047) sc_rfc2047 ;;
	smtputf8) sc_smtputf8 ;;
	ipv6) sc_ipv6 ;;
	submission) sc_587 ;;
	lossy) sc_lossy ;;
	worm) sc_worm ;;
	*) echo "record.sh: no scenario $1 (have: $(echo $ALL))" >&2
	    exit 1 ;;
	esac
}

mkdir -p "$DATA" "$EXAMPLES"
topology
tls_cert
for n in ${*:-$ALL}; do
	run "$n"
done
ls -l "$DATA"/rec-*.pcap "$EXAMPLES/worm.pcap" 2>/dev/null || true
