#!/bin/sh
# detengo -m shared on a labelled mixed network of real clients and
# servers from Debian's packages: which hosts it blocks, and when.
#
#   lan                          gw                              inet
#   eth0 192.0.2.x ------- lan0 192.0.2.1                       eth0 203.0.113.2
#   (every host an         wan0 203.0.113.1 ---------------- (every server an address)
#    address of eth0)      forwards; capturo -i lan0,
#                          tcpdump -i lan0, detengo -m shared
#
#   inet's servers:
#   198.51.100.53     dnsmasq: the MX of d00.example .. d49.example, the
#                     servers' names, the zone dnsbl.example
#   203.0.113.11-14   one Postfix: mx1.example.net .. mx4.example.net
#   198.51.100.10-25  tests/submit_srv.py: smtp.p0.example .. smtp.p15.example,
#                     587 (STARTTLS, AUTH) and 465 (TLS, AUTH)
#
# The hosts, and what each counts as:
#   192.0.2.25     the company's mail server: relays to 30 domains  allowed (-a)
#   192.0.2.31-33  three laptops: 3 mails each to one provider, 587 legitimate
#   192.0.2.40     a user with two providers, on 587 and 465        legitimate
#   192.0.2.45     a developer: one MX lookup (TCP), one mail       legitimate in shared mode
#   192.0.2.66     a direct-to-MX bot on dnsbl.example: 10 domains  bot
#   192.0.2.77     a stolen-account bot: 16 providers, 587 and 465  bot
#   192.0.2.88     a slow bot: one direct mail every few minutes    bot
# A host that sends direct looks up its recipient's MX with dig -b at the
# lab's dnsmasq, then the MX's address, then sends with swaks
# --local-interface; a host that submits looks up its provider's address
# and sends with STARTTLS (587) or implicit TLS (465), its SNI and AUTH
# LOGIN.  Postfix refuses the listed bot at RCPT with its own text
# (reject_rbl_client, smtpd_delay_reject); mx4 does not look at the list,
# as some small sites do not, so the bot's mail is mostly, not all,
# refused.  The bot's first domain, d30.example, has mx3, which looks:
# its first refusal comes with its first message.
#
# The live run is capturo and detengo -m shared in the gateway; tcpdump
# records the same packets.  The slow bot cannot take its minutes in
# `make check`: live it sends every 2 s, and it is judged on the
# recording with its packets stretched 90 times apart (2 s become 3 min,
# tests/pcap_stretch.py), read by capturo -r and decided by detengo
# --once --from-start.  That is how detengo(8) says a log is to be
# judged: its windows count in the events' own times, so a replay decides
# what the live run would have at that pace.  Live, at 2 s, the slow bot
# is blocked too, and that is not what is checked.  The fast bots'
# decisions in the replay must be the live ones.  Strict mode on the
# same live log must block the developer and both direct bots at their
# first MAIL FROM, as it always has.
#
# Needs root.  Every namespace is named cdshl-PID-*; every firewall rule
# goes into the gateway's namespace, with XTABLES_LOCKFILE in the test's
# directory.  The lab's resolver is given to Postfix alone, by a private
# mount namespace (unshare -m) in which its resolv.conf is bind-mounted
# over /etc/resolv.conf: the machine's own is never touched.  Only the
# processes started here are stopped, by PID; no packet leaves the
# namespaces (every address is a documentation one, IPv4 only).
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
C=${CAPTURO:-$TOP/obj-san/bin/capturo}
D=${DETENGO:-$TOP/obj-san/bin/detengo}
PY=/usr/bin/python3
CHECK_NAME=shared_lab
. "$TOP/tests/check.sh"

if [ "$(id -u)" -ne 0 ]; then
	skip "needs root (network namespaces, a live capture, the firewall)"
	exit 0
fi
for p in "$C" "$D"; do
	[ -x "$p" ] || { nok "$p missing (make tests)"; exit 1; }
done
# tests/deps.sh leaves out postfix where another mail system provides
# sendmail: then this test cannot run
if [ ! -x /usr/sbin/postfix ] || ! command -v postconf >/dev/null 2>&1; then
	skip "postfix missing (sh tests/deps.sh installs it unless another mail system is there)"
	exit 0
fi
for c in dnsmasq:dnsmasq-base dig:bind9-dnsutils swaks:swaks \
    tcpdump:tcpdump openssl:openssl ip:iproute2 ss:iproute2 \
    unshare:util-linux iptables-legacy:iptables; do
	command -v "${c%%:*}" >/dev/null 2>&1 ||
	    { nok "${c%%:*} missing (sh tests/deps.sh installs ${c#*:})"; exit 1; }
done
$PY -c 'import aiosmtpd' 2>/dev/null ||
    { nok "python3-aiosmtpd missing (sh tests/deps.sh installs it)"; exit 1; }

T=$(mktemp -d /tmp/cdshl-$$.XXXXXX) || exit 1
chmod 755 "$T"
PF=$T/pf
NS_PREFIX=cdshl-$$
. "$TOP/tests/netns.sh"
# Postfix: its master is stopped by ns_cleanup (its PID from ns_bg); then
# by the PID in its pid file, if that one still works in its queue
# directory, as its daemons do; then whatever is left there, by PID
pf_left() {	# the PIDs working in $PF/q; none: exit 1
	for _p in /proc/[0-9]*; do
		case $(readlink "$_p/cwd" 2>/dev/null) in
		"$PF/q" | "$PF/q/"*) echo "${_p#/proc/}" ;;
		esac
	done | grep .
}
pf_stop() {
	_m=$(sed -n '1s/ //gp' "$PF/q/pid/master.pid" 2>/dev/null)
	[ -n "$_m" ] && pf_left | grep -qx "$_m" && kill -TERM "$_m"
	_i=0
	while [ $_i -lt 20 ] && pf_left >/dev/null; do
		sleep 0.1
		_i=$((_i + 1))
	done
	for _p in $(pf_left); do
		kill -KILL "$_p" 2>/dev/null
	done
	:
}
cleanup() {
	ns_cleanup
	pf_stop
	[ -n "${SHARED_LAB_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT
export XTABLES_LOCKFILE="$T/xtables.lock"
xt_modules

t_start=$(date +%s)
ms() { echo $((($(date +%s%N) - $1) / 1000000)); }
show() { sed 's/^/#   /' "$@" | tail -n 30; }

# --- the network --------------------------------------------------------------

COMPANY=192.0.2.25
LAPTOPS="192.0.2.31 192.0.2.32 192.0.2.33"
TWOPROV=192.0.2.40
DEV=192.0.2.45
DBOT=192.0.2.66
SBOT=192.0.2.77
SLOW=192.0.2.88
LEGIT="$COMPANY $LAPTOPS $TWOPROV $DEV"
RESOLVER=198.51.100.53
# mx1..mx4.example.net; mx4 does not look at the list
MX_ADDRS="203.0.113.11 203.0.113.12 203.0.113.13 203.0.113.14"
# smtp.p0.example .. smtp.p15.example
PROV_ADDRS=""
i=0
while [ $i -lt 16 ]; do
	PROV_ADDRS="$PROV_ADDRS 198.51.100.$((10 + i))"
	i=$((i + 1))
done
SUB_USER=carmen@example.org
PASS='Lab-Submission-1'
SLOW_PAUSE=2
STRETCH=90

lan_addrs=""
for a in $COMPANY $LAPTOPS $TWOPROV $DEV $DBOT $SBOT $SLOW; do
	lan_addrs="$lan_addrs,$a/24"
done
inet_addrs="203.0.113.2/24,$RESOLVER/24"
for a in $MX_ADDRS $PROV_ADDRS; do
	inet_addrs="$inet_addrs,$a/24"
done
ns_new lan
ns_new gw
ns_new inet
ns_link lan eth0 "${lan_addrs#,}" gw lan0 192.0.2.1/24
ns_link gw wan0 203.0.113.1/24 inet eth0 "$inet_addrs"
ns_forward gw
ns_route lan default 192.0.2.1
ns_route inet 192.0.2.0/24 203.0.113.1
ns_route gw 198.51.100.0/24 203.0.113.2

# --- DNS: 50 domains' MX, the servers' names, the blocklist -------------------

# dNN.example's MX is mx((NN mod 4) + 1).example.net
set -- --no-resolv --no-hosts --conf-file=/dev/null -k \
    --pid-file="$T/dnsmasq.pid" --listen-address=$RESOLVER --bind-interfaces \
    --log-facility="$T/dnsmasq.log" --log-queries \
    --local=/example/ --local=/example.net/ --local=/example.org/ \
    --local=/2.0.192.in-addr.arpa/
i=0
while [ $i -lt 50 ]; do
	set -- "$@" --mx-host=d$(printf %02d $i).example,mx$((i % 4 + 1)).example.net,10
	i=$((i + 1))
done
i=1
for a in $MX_ADDRS; do
	set -- "$@" --host-record=mx$i.example.net,$a
	i=$((i + 1))
done
i=0
for a in $PROV_ADDRS; do
	set -- "$@" --host-record=smtp.p$i.example,$a
	i=$((i + 1))
done
# the listed bot, as a DNSBL zone holds it: its address reversed
set -- "$@" --host-record=66.2.0.192.dnsbl.example,127.0.0.2
ns_bg inet dnsmasq "$@" 2>"$T/dnsmasq.err"
DNSMASQ=$NS_LASTPID

# --- the MX servers: one Postfix on mx1..mx4 ----------------------------------

mkdir -p "$PF/etc" "$PF/q" "$PF/data"
domains=$(i=0; while [ $i -lt 50 ]; do printf 'd%02d.example ' $i;
    i=$((i + 1)); done)
cat >"$PF/etc/main.cf" <<EOF
compatibility_level = 3.6
queue_directory = $PF/q
data_directory = $PF/data
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = all
inet_protocols = ipv4
myhostname = mx.example.net
mydomain = example.net
mydestination =
mynetworks = 127.0.0.0/8
local_recipient_maps =
alias_maps =
alias_database =
# the 50 domains, any recipient, taken and dropped; a listed client is
# refused at RCPT (smtpd_delay_reject, said aloud) with Postfix's own
# default_rbl_reply, "554 5.7.1 Service unavailable; Client host [ADDR]
# blocked using dnsbl.example"
relay_domains = $domains
relay_recipient_maps =
relay_transport = discard:taken by the lab
smtpd_relay_restrictions = reject_unauth_destination
smtpd_client_restrictions = reject_rbl_client dnsbl.example
smtpd_delay_reject = yes
maillog_file = $PF/maillog
maillog_file_prefixes = $PF
smtputf8_enable = no
EOF
{
	for a in $MX_ADDRS; do
		case $a in
		*.14) echo "$a:smtp inet n - n - - smtpd -o smtpd_client_restrictions=" ;;
		*) echo "$a:smtp inet n - n - - smtpd" ;;
		esac
	done
	cat <<'EOF'
pickup    unix  n  -  n  60   1  pickup
cleanup   unix  n  -  n  -    0  cleanup
qmgr      unix  n  -  n  300  1  qmgr
rewrite   unix  -  -  n  -    -  trivial-rewrite
bounce    unix  -  -  n  -    0  bounce
defer     unix  -  -  n  -    0  bounce
trace     unix  -  -  n  -    0  bounce
verify    unix  -  -  n  -    1  verify
flush     unix  n  -  n  1000? 0 flush
proxymap  unix  -  -  n  -    -  proxymap
showq     unix  n  -  n  -    -  showq
error     unix  -  -  n  -    -  error
retry     unix  -  -  n  -    -  error
discard   unix  -  -  n  -    -  discard
anvil     unix  -  -  n  -    1  anvil
scache    unix  -  -  n  -    1  scache
postlog   unix-dgram n - n - 1   postlogd
EOF
} >"$PF/etc/master.cf"
chown postfix "$PF/data"
echo "nameserver $RESOLVER" >"$T/resolv.conf"
MAIL_CONFIG=$PF/etc postfix check >"$T/pf.check" 2>&1
rc=$?
# master -s stays in the foreground, where `postfix start` would have it
# go to the background: ns_bg's PID is the master's (ip netns exec,
# unshare and sh each exec the next).  Its resolver, for the DNSBL, is
# the lab's, in a mount namespace of its own.
ns_bg inet unshare -m sh -c 'mount --bind "$1" /etc/resolv.conf && exec "$2" -c "$3" -s' \
    sh "$T/resolv.conf" "$(postconf -c "$PF/etc" -h daemon_directory)/master" \
    "$PF/etc" 2>"$T/master.err"
MASTER=$NS_LASTPID

# --- the submission providers -------------------------------------------------

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes \
    -days 2 -subj /CN=smtp.example -keyout "$T/key.pem" -out "$T/cert.pem" \
    >"$T/openssl.err" 2>&1
set --
for a in $PROV_ADDRS; do
	set -- "$@" -l "$a"
done
ns_bg inet $PY tests/submit_srv.py -o "$T/prov.facts" --cert "$T/cert.pem" \
    --key "$T/key.pem" --user "$SUB_USER" --password "$PASS" "$@" \
    >"$T/prov.out" 2>&1

ns_poll_file "$PF/maillog" "daemon started" 100
ns_poll_file "$T/prov.out" "listening" 100
ns_wait_port inet 203.0.113.14 25 50
ns_wait_port inet 198.51.100.25 465 50
ns_wait_port inet $RESOLVER 53 50
checkx "the lab's servers run: dnsmasq, Postfix on 4 MX, 16 providers" \
    '[ $rc -eq 0 ] && kill -0 $DNSMASQ && kill -0 $MASTER &&
     grep -q "daemon started" "$PF/maillog" && [ -s "$T/cert.pem" ]' ||
    { show "$T/pf.check" "$T/master.err" "$T/dnsmasq.err" "$T/prov.out" \
    "$T/openssl.err"; exit 1; }
checkx "the machine's own /etc/resolv.conf is not the lab's" \
    '! grep -q "$RESOLVER" /etc/resolv.conf'

# --- the gateway: tcpdump, capturo, detengo -m shared -------------------------

ns_bg gw tcpdump -i lan0 -n -U -s 0 -Z root -w "$T/lab.pcap" \
    2>"$T/tcpdump.err"
TCPDUMP=$NS_LASTPID
ns_bg gw "$C" -i lan0 -w "$T/live.log" 2>"$T/capturo.err"
CAPT=$NS_LASTPID
ns_wait_file "$T/tcpdump.err" "listening on"
ns_wait_file "$T/capturo.err" "listening on"
ns_bg gw "$D" -m shared -a $COMPANY -b iptc -s "$T/state" -w "$T/report" \
    --from-start "$T/live.log" 2>"$T/detengo.err"
DET=$NS_LASTPID
following $DET

# --- the hosts ----------------------------------------------------------------

# sh hosts.sh ROLE ADDR: one host's mail; each attempt is a line of
# ROLE.att, "N STATUS", STATUS swaks's exit status (0: delivered)
cat >"$T/hosts.sh" <<'EOF'
set -u
role=$1 me=$2
child=
trap '[ -n "$child" ] && kill $child 2>/dev/null; exit 143' TERM INT
run() { "$@" & child=$!; wait $child; _rc=$?; child=; return $_rc; }
q() { dig -b "$me" @"$RESOLVER" +time=2 +tries=1 +short "$@"; }
send() {	# send N SWAKS-ARGS...
	_n=$1
	shift
	run timeout 20 swaks --local-interface "$me" --timeout 2 \
	    --helo "$role.example.org" --h-Subject "$role $_n" "$@" \
	    >>"$T/$role.swaks" 2>&1
	echo "$_n $?" >>"$T/$role.att"
}
direct() {	# direct N DOMAIN FROM [+tcp]: the MX, its address, the mail
	_mx=$(q ${4:-} MX "$2" | sort -n | awk 'NR == 1 { print $2 }')
	_a=$(q A "${_mx:-none.example}" | head -n 1)
	send "$1" --server "${_a:-192.0.2.254}" --from "$3" --to "u$1@$2"
}
submit() {	# submit N PROVIDER PORT: to smtp.pPROVIDER.example
	_name=smtp.p$2.example
	_a=$(q A "$_name" | head -n 1)
	case $3 in
	465) _tls=--tlsc ;;
	*) _tls=--tls ;;
	esac
	send "$1" --server "${_a:-192.0.2.254}" --port "$3" $_tls \
	    --tls-sni "$_name" --auth LOGIN --auth-user "$SUB_USER" \
	    --auth-password "$PASS" --from "$SUB_USER" --to "friend$1@example.net"
}
# each host sends one mail after the other; a bot goes on after a
# failure, as bots do, each attempt bounded by swaks --timeout
case $role in
company)
	i=0
	while [ $i -lt 30 ]; do
		d=d$(printf %02d $i).example
		direct $((i + 1)) $d news@example.org
		i=$((i + 1))
	done ;;
laptop*)
	p=${role#laptop}
	for n in 1 2 3; do submit $n $p 587; done ;;
twoprov)
	submit 1 3 587; submit 2 4 465; submit 3 3 587; submit 4 4 465 ;;
developer)
	direct 1 d49.example dev@example.org +tcp ;;
dbot)
	i=30
	while [ $i -lt 40 ]; do
		direct $((i - 29)) d$i.example "offer$i@example.com"
		i=$((i + 1))
	done ;;
sbot)
	i=0
	while [ $i -lt 16 ]; do
		submit $((i + 1)) $i $((i % 2 ? 465 : 587))
		i=$((i + 1))
	done ;;
slow)
	i=40
	while [ $i -lt 48 ]; do
		[ $i -gt 40 ] && sleep "$SLOW_PAUSE"
		direct $((i - 39)) d$i.example "news$i@example.com"
		i=$((i + 1))
	done ;;
esac
EOF
export T RESOLVER SUB_USER PASS SLOW_PAUSE
t_run=$(date +%s%N)
hosts=""
set -- company:$COMPANY laptop0:192.0.2.31 laptop1:192.0.2.32 \
    laptop2:192.0.2.33 twoprov:$TWOPROV developer:$DEV dbot:$DBOT \
    sbot:$SBOT slow:$SLOW
for h in "$@"; do
	ns_bg lan sh "$T/hosts.sh" "${h%%:*}" "${h#*:}"
	hosts="$hosts $NS_LASTPID"
done
for p in $hosts; do
	wait "$p"
	ns_forget "$p"
done
run_ms=$(ms "$t_run")
# the last packets through capturo and the last lines through detengo
sleep 1
ns_stop $TCPDUMP
ns_stop $CAPT
sleep 0.5
ns_exec gw iptables-legacy -S FORWARD >"$T/rules" 2>"$T/rules.err"
rules_rc=$?
ns_stop $DET
ns_stop $MASTER
pf_stop
checkx "Postfix stopped, none of its processes left" '! pf_left >/dev/null'

# --- what capturo saw ---------------------------------------------------------

L=$T/live.log
R=$T/report
# evs NAME HOST [FILE]: the events NAME of HOST
evs() { awk -v n="$1" -v h="src=$2:" '$2 == n && index($4, h) == 1' "${3:-$L}"; }
att() { cat "$T/$1.att" 2>/dev/null; }
# ok_att ROLE: every attempt of ROLE delivered
ok_att() { [ -s "$T/$1.att" ] && ! awk '$2 != 0 { f = 1 } END { exit !f }' "$T/$1.att"; }

GOOD="company laptop0 laptop1 laptop2 twoprov developer"
all_ok() {
	for _r in $GOOD; do
		ok_att $_r || return 1
	done
}
check "the company's mail server, the laptops, the user and the developer delivered every mail" \
    all_ok ||
    for r in $GOOD; do
	    ok_att $r || { note "$r: $(att $r | tr "\n" " ")"; show "$T/$r.swaks"; }
    done
checkx "the providers took them: 9 from the laptops, 4 from the user" \
    '[ "$(grep -c "^message	192\.0\.2\.3[123]	" "$T/prov.facts")" -eq 9 ] &&
     [ "$(grep -c "^message	$TWOPROV	198\.51\.100\.1[34]:" "$T/prov.facts")" -eq 4 ]' ||
    show "$T/prov.facts"
checkx "capturo: an mx event for each of the company's 30 domains" \
    '[ "$(evs mx $COMPANY | grep -o " name=d[0-2][0-9]\.example$" | sort -u | wc -l)" -eq 30 ]' ||
    evs mx $COMPANY | show
tcpdump -r "$T/lab.pcap" -n "src host $DEV and tcp dst port 53" \
    2>/dev/null >"$T/dev53"
checkx "capturo: the developer's MX lookup over TCP, name=d49.example" \
    '[ -s "$T/dev53" ] &&
     evs mx $DEV | grep -q " dst=$RESOLVER:53 .*name=d49\.example$"' ||
    evs mx $DEV | show
checkx "capturo: the direct bot's MX lookups, one per domain" \
    '[ "$(evs mx $DBOT | grep -c " name=d3[0-9]\.example$")" -eq 10 ]' ||
    evs mx $DBOT | show
# 587: starttls, then the tls event of the same sid with the provider's name
tls587() {	# tls587 HOST PROVIDER: how many 587 sessions show both
	evs starttls "$1" | awk '$5 ~ /:587$/ { print $3 }' | while read -r s; do
		evs tls "$1" | grep -q "^[^ ]* tls $s .*:587 .* sni=smtp\.p$2\.example$" &&
		    echo "$s"
	done | wc -l
}
checkx "capturo: 587 after STARTTLS: the tls event with sni= (laptops, 3 each)" \
    '[ "$(tls587 192.0.2.31 0)" -eq 3 ] && [ "$(tls587 192.0.2.32 1)" -eq 3 ] &&
     [ "$(tls587 192.0.2.33 2)" -eq 3 ] && [ "$(tls587 $TWOPROV 3)" -eq 2 ]' ||
    { evs starttls 192.0.2.31 | show; evs tls 192.0.2.31 | show; }
checkx "capturo: 465: the tls event with sni=smtp.p4.example (the user, 2)" \
    '[ "$(evs tls $TWOPROV | grep -c ":465 .* sni=smtp\.p4\.example$")" -eq 2 ]' ||
    evs tls $TWOPROV | show
grep "Client host \[$DBOT\] blocked using dnsbl.example" "$PF/maillog" |
    sed -n 's/.*: \(554 5\.7\.1 Service unavailable; [^;]*blocked using dnsbl\.example\);.*/\1/p' |
    head -n 1 >"$T/pf.text"
checkx "Postfix refused the listed bot with its own text ($(cat "$T/pf.text"))" \
    '[ -s "$T/pf.text" ]' || show "$PF/maillog"
checkx "capturo: the refusal: refused verb=RCPT reply=554 esc=5.7.1 listed=dnsbl.example named=$DBOT" \
    'evs refused $DBOT | grep -q " verb=RCPT to=[^ ]* reply=554 esc=5\.7\.1 listed=dnsbl\.example named=$DBOT$"' ||
    evs refused $DBOT | show

# --- detengo -m shared, live --------------------------------------------------

blk() { grep " block .*host=$1 " "${2:-$R}"; }
why() { blk "$@" | sed -n 's/.* reason=\([^ ]*\).*/\1/p'; }
bsid() { blk "$@" | sed -n 's/.* block sid=\([0-9a-f]*\) .*/\1/p'; }
# conn_at HOST SID [FILE]: the position of the connection SID among
# HOST's connections to a mail port, 1 for its first
conn_at() {
	evs connect "$1" "${3:-$L}" | awk -v s="sid=$2" '
	    $5 ~ /:(25|465|587)$/ { n++; if ($3 == s) { print n; exit } }'
}
# rule HOST: DROP on 25, 465 and 587 in the gateway
rule() {
	for p in 25 465 587; do
		grep -q -- "-s $1/32 -p tcp -m tcp --dport $p -j DROP" "$T/rules" ||
		    return 1
	done
}
checkx "the gateway's FORWARD chain read" '[ $rules_rc -eq 0 ] && [ -s "$T/rules" ]' ||
    show "$T/rules.err"
for b in dbot:$DBOT:blocklisted sbot:$SBOT:server-fanout; do
	r=${b%%:*} h=${b#*:} h=${h%%:*} want=${b##*:}
	checkx "$r $h: blocked by $want" '[ "$(why $h)" = "$want" ]' ||
	    { show "$R"; evs refused $h | show; }
	checkx "$r $h: DROP on 25, 465 and 587 in the gateway" 'rule $h' ||
	    show "$T/rules"
	k=$(conn_at $h "$(bsid $h)")
	checkx "$r $h: blocked within its first 10 messages (at message ${k:-?})" \
	    '[ -n "$k" ] && [ "$k" -le 10 ]'
	eval "at_$r=\${k:-0}"
	checkx "$r $h: its next attempt fails, and every one after" \
	    '[ -n "$k" ] && [ "$(att $r | wc -l)" -gt "$k" ] &&
	     att $r | awk -v k="$k" "\$1 > k && \$2 == 0 { f = 1 } END { exit f }"' ||
	    note "$r attempts: $(att $r | tr "\n" " ")"
done
checkx "the providers took no mail of the stolen-account bot after its block" \
    '[ "$(grep -c "^message	$SBOT	" "$T/prov.facts")" -lt "$at_sbot" ]'
checkx "Postfix took no mail of the direct bot from its first refusal on" \
    '! grep -q "client=[^ ]*\[$DBOT\]" "$PF/maillog"'
for h in $LEGIT; do
	checkx "$h (legitimate): not blocked, no rule" \
	    '[ -z "$(blk $h)" ] && ! grep -q -- "-s $h/32 " "$T/rules"' ||
	    blk $h | show
done
checkx "no block but of the bots" \
    '! grep " block " "$R" | grep -vq "host=\($DBOT\|$SBOT\|$SLOW\) "' ||
    show "$R"

# --- the same traffic at a slow bot's pace: the stretched recording -----------

$PY tests/pcap_stretch.py -H $SLOW -f $STRETCH "$T/lab.pcap" "$T/slow.pcap" \
    2>"$T/stretch.err"
rc=$?
$C -r "$T/slow.pcap" -w "$T/replay.log" 2>"$T/replay-c.err"
rc2=$?
$D -m shared -a $COMPANY -n --once --from-start "$T/replay.log" \
    >"$T/replay.out" 2>"$T/replay-d.err"
rc3=$?
checkx "the recording stretched, read by capturo -r, decided by detengo --once" \
    '[ $rc -eq 0 ] && [ $rc2 -eq 0 ] && [ $rc3 -eq 0 ] && [ -s "$T/replay.log" ]' ||
    show "$T/stretch.err" "$T/replay-c.err" "$T/replay-d.err"
# the slow bot's mails now minutes apart
gap=$(evs connect $SLOW "$T/replay.log" | awk "$AWK_SECS"'$5 ~ /:25$/ {
    t = secs($1)
    if (n++ && (g == "" || t - p < g)) g = t - p; p = t } END { printf "%d", g }')
checkx "replay: the slow bot sends a mail every ${gap:-?} s or more" \
    '[ -n "$gap" ] && [ "$gap" -ge 120 ]'
RP=$T/replay.out
w=$(why $SLOW "$RP")
checkx "replay: the slow bot blocked (reason=${w:-none})" \
    '[ "$w" = mx-fanout ] || [ "$w" = server-fanout ]' || show "$RP"
# its mails before the trigger event, and the event time from its first
# lookup to that event
tsid=$(bsid $SLOW "$RP")
k=-1 span=0
if [ -n "$tsid" ] && tline=$(grep -n " sid=$tsid " "$T/replay.log" | head -n 1) &&
    [ -n "$tline" ]; then
	k=$(head -n "${tline%%:*}" "$T/replay.log" | evs mail $SLOW /dev/stdin | wc -l)
	secs() { date -u -d "$(echo "$1" | sed 's/T/ /; s/Z$//')" +%s; }
	t1=$(echo "${tline#*:}" | cut -d' ' -f1)
	t0=$(evs mx $SLOW "$T/replay.log" | head -n 1 | cut -d' ' -f1)
	span=$(($(secs "$t1") - $(secs "$t0")))
fi
checkx "replay: the slow bot blocked at its 5th to 8th mail (at mail $((k + 1))), $span s after its first lookup" \
    '[ $k -ge 4 ] && [ $k -le 7 ] && [ $span -ge 480 ] && [ $span -le 3600 ]'
for h in $LEGIT; do
	check "replay: $h (legitimate) not blocked" [ -z "$(blk $h "$RP")" ] ||
	    blk $h "$RP" | show
done
# host, reason, evidence and sids of a block line
dec() { sed -n "s/.* block .*host=\($1\) .*reason=\([^ ]*\) evidence=\([^ ]*\) sids=\(.*\)/\1 \2 \3 \4/p" "$2"; }
# The sids differ: a sid hashes its connection with the time of its first
# packet, and capturo's socket and tcpdump's stamp a packet some
# microseconds apart.  So the events counted are compared by what they
# are, the src and dst of each sid's event in its own log.
same() {	# same HOST: the live block of HOST and the replayed one
	for _f in "$L:$R" "$T/replay.log:$RP"; do
		dec $1 "${_f#*:}" | cut -d' ' -f1-3
		dec $1 "${_f#*:}" | cut -d' ' -f4 | tr , '\n' |
		    while read -r _s; do
			awk -v s="sid=$_s" '$3 == s { print $4, $5; exit }' "${_f%%:*}"
		    done
	done >"$T/same.$1"
	_n=$(($(wc -l <"$T/same.$1") / 2))
	[ $_n -ge 2 ] && [ "$(head -n $_n "$T/same.$1")" = "$(tail -n $_n "$T/same.$1")" ]
}
for h in $DBOT $SBOT; do
	checkx "replay: $h decided as live: $(dec $h "$R" | cut -d' ' -f2,3), the same events" \
	    'same $h' || show "$T/same.$h"
done
$D -m shared -a $COMPANY -n --once --from-start "$L" >"$T/again.out" 2>&1
checkx "the live log replayed with --from-start: the live decisions" \
    '[ -n "$(dec "[0-9.]*" "$R")" ] &&
     [ "$(dec "[0-9.]*" "$R")" = "$(dec "[0-9.]*" "$T/again.out")" ]' ||
    { show "$R"; show "$T/again.out"; }

# --- strict mode on the same live log -----------------------------------------

$D -a $COMPANY -n --once --from-start "$L" >"$T/strict.out" 2>"$T/strict.err"
for h in $DEV $DBOT $SLOW; do
	first=$(evs mail $h | head -n 1 | cut -d' ' -f3)
	checkx "strict: $h blocked at its first MAIL FROM ($first)" \
	    '[ -n "$first" ] && blk $h "$T/strict.out" | grep -q " block $first .*reason=mail$"' ||
	    blk $h "$T/strict.out" | show
done
checkx "strict: the company's mail server allowed, the submitting hosts not blocked" \
    'grep -q " skip .*host=$COMPANY reason=allowed$" "$T/strict.out" &&
     ! grep " block " "$T/strict.out" | grep -q "host=\(192\.0\.2\.3[123]\|$TWOPROV\|$SBOT\|$COMPANY\) "' ||
    show "$T/strict.out"

check "no sanitizer report in any run" \
    sh -c "! grep -l 'Sanitizer\\|runtime error' '$T/capturo.err' '$T/detengo.err' \
    '$T/replay-c.err' '$T/replay-d.err' '$T/strict.err'"
n() { awk -v n="$1" '$2 == n' "$L" | wc -l; }
note "events: $(wc -l <"$L") ($(n mx) mx, $(n connect) connect, $(n tls) tls," \
    "$(n mail) mail, $(n refused) refused); attempts: $(cat "$T"/*.att | wc -l);" \
    "live blocks: $(grep -c " block " "$R"); replay blocks:" \
    "$(grep -c " block " "$RP"); hosts ran $((run_ms / 1000)) s, all $(($(date +%s) - t_start)) s"
exit $fail
