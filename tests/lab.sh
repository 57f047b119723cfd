#!/bin/sh
# The lab: a worm on a LAN PC is seen by capturo and stopped by detengo at the gateway.
#
# Usage: sh tests/lab.sh demo|test       (`make demo' runs the first)
#   demo  tells each step and shows the event lines as they are written
#   test  prints one line per check, "ok - lab: ..." or "not ok - lab: ...",
#         and exits 1 if any failed (tests/e2e_lab.sh runs it)
#
#   PC  198.51.100.10 --+
#                       sw --- lan0 [gw] wan0 ----- eth0 [out] 203.0.113.25
#   MX  198.51.100.25 --+   198.51.100.1  203.0.113.1    tests/smtpd_log.py
#
# sw is the LAN's switch (a bridge); gw routes, runs capturo on lan0 and
# detengo.  MX, the company's mail server, is never blocked (-a).  Round
# 1 is the article's pair of background jobs over a log file, round 2 the
# pipeline capturo | detengo.  In each round the PC sends three mails
# (swaks, a session typed by hand in lower case, swaks --pipeline); the
# fourth mail within a minute (-t 4/60) gets it blocked, like the
# article's telnet session that hangs after "mail from"; its next attempt
# times out; MX still delivers.  Without root, only the offline part
# runs: examples/worm.pcap through capturo -r and detengo --dry-run.
#
# Every namespace is named cdlab-PID-*; every iptables command runs in the
# gateway's namespace with XTABLES_LOCKFILE in a private directory, so the
# machine's firewall and its xtables lock are never touched.  Only the
# processes started here are stopped, by PID; the namespaces go at exit.

set -u

MODE=${1:-}
case $MODE in
demo | test) ;;
*) echo "usage: sh tests/lab.sh demo|test" >&2; exit 2 ;;
esac

cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
CAPTURO=${CAPTURO:-$TOP/capturo/capturo}
DETENGO=${DETENGO:-$TOP/detengo/detengo}
# aiosmtpd is a Debian package: the system python3, not one on PATH
PY=/usr/bin/python3

PC=198.51.100.10
MX=198.51.100.25
GW_LAN=198.51.100.1
GW_WAN=203.0.113.1
SRV=203.0.113.25
# the recording's company server (tests/record.sh, scenario worm)
REC_MX=192.0.2.25
# the PC's timeouts: long enough for a delivery, short for the demo
SW_TIMEOUT=2
# the worm's fourth mail within this window gets it blocked
THRESHOLD=4/60

NCHECK=0
NFAIL=0
FAILED=""
WATCH_TAIL=""
WATCH_SED=""

# --- output -----------------------------------------------------------

say()
{
	if [ "$MODE" = demo ]; then
		printf '\n==> %s\n' "$*"
	fi
}

tell()
{
	if [ "$MODE" = demo ]; then
		printf '    %s\n' "$@"
	fi
}

# show FILE: a file's lines in the demo, indented
show()
{
	if [ "$MODE" = demo ]; then
		sed 's/^/    /' "$1"
	fi
}

# result WHAT STATUS [DETAIL-FILE]
result()
{
	NCHECK=$((NCHECK + 1))
	if [ "$2" -eq 0 ]; then
		if [ "$MODE" = test ]; then
			echo "ok - lab: $1"
		else
			echo "    [ok] $1"
		fi
		return 0
	fi
	NFAIL=$((NFAIL + 1))
	FAILED="$FAILED
    $1"
	if [ "$MODE" = test ]; then
		echo "not ok - lab: $1"
	else
		echo "    [FAILED] $1"
	fi
	if [ -n "${3:-}" ] && [ -s "$3" ]; then
		sed 's/^/#   /' "$3" | tail -n 30
	fi
	return 1
}

# check WHAT CMD...: CMD's exit status decides
check()
{
	_what=$1
	shift
	"$@"
	result "$_what" $?
}

# has FILE ERE: a line of FILE matches
has()
{
	grep -Eq -- "$2" "$1" 2>/dev/null
}

# count FILE ERE: how many lines of FILE match
count()
{
	grep -Ec -- "$2" "$1" 2>/dev/null
}

# wait_for FILE ERE [TENTHS]: until a line matches (default 5 s)
wait_for()
{
	_t=${3:-50}
	while [ "$_t" -gt 0 ]; do
		has "$1" "$2" && return 0
		sleep 0.1
		_t=$((_t - 1))
	done
	return 1
}

now()
{
	date +%s.%N
}

# ms FROM TO: milliseconds between two `date +%s.%N' times
ms()
{
	awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", (b - a) * 1000 }'
}

# under LIMIT MS...: every time given is a number below LIMIT
under()
{
	_lim=$1
	shift
	for _x; do
		awk -v x="$_x" -v l="$_lim" \
		    'BEGIN { exit !(x ~ /^[0-9.]+$/ && x + 0 < l + 0) }' ||
		    return 1
	done
}

# --- the offline part ---------------------------------------------------

# capturo -r examples/worm.pcap | detengo --dry-run --once -
# The recording's company server is 192.0.2.25 (see tests/record.sh).
offline()
{
	say "offline: capturo -r examples/worm.pcap | detengo --dry-run --once -a $MX -a $REC_MX -"
	{
		"$CAPTURO" -r examples/worm.pcap 2>"$TMP/off-capturo.err"
		echo $? >"$TMP/off-capturo.rc"
	} | tee -p "$TMP/off-events" |
	    "$DETENGO" --dry-run --once -a "$MX" -a "$REC_MX" - \
	    >"$TMP/off-report" 2>"$TMP/off-detengo.err"
	_rc=$?
	tell "events written by capturo:"
	show "$TMP/off-events"
	tell "" "decisions of detengo (dry run: no rule changed):"
	show "$TMP/off-report"
	check "offline: capturo -r examples/worm.pcap exits 0" \
	    [ "$(cat "$TMP/off-capturo.rc")" = 0 ]
	result "offline: detengo --dry-run --once exits 0" "$_rc" \
	    "$TMP/off-detengo.err"
	check "offline: capturo wrote the worm's three mail events" \
	    [ "$(count "$TMP/off-events" "^[^ ]+ mail .* src=$PC:")" = 3 ]
	[ "$(count "$TMP/off-report" "^[^ ]+ block .* host=$PC( |\$)")" = 1 ]
	result "offline: detengo blocked $PC once" $? "$TMP/off-detengo.err"
	check "offline: detengo blocked nobody else" \
	    [ "$(count "$TMP/off-report" "^[^ ]+ block ")" = 1 ]
	check "offline: the company's server $REC_MX was skipped as allowed" \
	    has "$TMP/off-report" \
	    "^[^ ]+ skip .* host=$REC_MX reason=allowed( |\$)"
	check "offline: $MX not blocked" \
	    [ "$(count "$TMP/off-report" " block .* host=$MX( |\$)")" = 0 ]
}

# --- the lab ---------------------------------------------------------------

ipt()
{
	ns_exec gw env XTABLES_LOCKFILE="$LOCK" iptables-legacy "$@"
}

# a one-shot detengo command in the gateway, bounded in time
det()
{
	ns_exec gw timeout 30 env XTABLES_LOCKFILE="$LOCK" "$DETENGO" "$@"
}

# the DROP rule's packet counter for the PC, 0 without one
drop_pkts()
{
	ipt -L FORWARD -nvx 2>/dev/null | awk -v h="$PC" '
	    $3 == "DROP" && $8 == h { n = $1 } END { print n + 0 }'
}

rules_are()	# rules_are FILE-WANTED
{
	ipt -S FORWARD >"$TMP/rules.got" 2>&1
	if cmp -s "$TMP/rules.got" "$1"; then
		return 0
	fi
	diff -u "$1" "$TMP/rules.got" >"$TMP/rules.diff"
	return 1
}

fw_show()
{
	if [ "$MODE" = demo ]; then
		echo "    # iptables-legacy -L FORWARD -nv    (in the gateway)"
		ipt -L FORWARD -nv | sed 's/^/    /'
	fi
}

# events and reports on the terminal as they are written (demo only)
watch_start()
{
	[ "$MODE" = demo ] || return 0
	rm -f "$TMP/show"
	mkfifo "$TMP/show"
	sed -u 's/^/    | /' <"$TMP/show" &
	WATCH_SED=$!
	tail -q -n +1 -f "$@" >"$TMP/show" &
	WATCH_TAIL=$!
}

# stop tail; sed ends at the end of its input
watch_stop()
{
	[ -n "$WATCH_TAIL" ] || return 0
	sleep 0.1
	kill "$WATCH_TAIL" 2>/dev/null
	wait "$WATCH_TAIL" 2>/dev/null
	wait "$WATCH_SED" 2>/dev/null
	WATCH_TAIL=""
	WATCH_SED=""
}

topology()
{
	ns_new pc
	ns_new mx
	ns_new sw
	ns_new gw
	ns_new out
	ns_link pc eth0 "$PC/24" sw p0 -
	ns_link mx eth0 "$MX/24" sw p1 -
	ns_link gw lan0 "$GW_LAN/24" sw p2 -
	ns_link gw wan0 "$GW_WAN/24" out eth0 "$SRV/24"
	ip -n "$(ns_name sw)" link add br0 type bridge ||
	    ns_die "cannot make the LAN's bridge"
	for _p in p0 p1 p2; do
		ip -n "$(ns_name sw)" link set "$_p" master br0
	done
	ip -n "$(ns_name sw)" link set br0 up
	ns_forward gw
	ns_route pc default "$GW_LAN"
	ns_route mx default "$GW_LAN"
	ns_route out default "$GW_WAN"
}

# routes: the outside server is reached only through the gateway
routes_ok()
{
	ns_exec "$1" ip route get "$SRV" | grep -q " via $GW_LAN dev eth0 "
}

# pc_swaks NAME [SWAKS-ARGS...]: the PC sends a mail; status of swaks
pc_swaks()
{
	_o=$TMP/$1.out
	shift
	ns_exec pc swaks --server "$SRV" --timeout "$SW_TIMEOUT" \
	    --to x@example.net --from worm@example.org "$@" >"$_o" 2>&1
}

# session_logged EVENTS SUBJECT FROM TO: mail, rcpt, message, one sid
session_logged()
{
	_sid=$(awk -v s="subject=\"$2\"" -v h="src=$PC:" '
	    $2 == "message" && index($0, s) && index($0, h) {
		print $3; exit }' "$1")
	[ -n "$_sid" ] || return 1
	has "$1" "^[^ ]+ mail $_sid .* from=$3\$" &&
	    has "$1" "^[^ ]+ rcpt $_sid .* to=$4\$" &&
	    has "$1" "^[^ ]+ message $_sid .* rcpts=1 reply=250"
}

one_block()	# one_block REPORT: one block line, for the PC
{
	[ "$(count "$1" "^[^ ]+ block ")" = 1 ] &&
	    has "$1" "^[^ ]+ block .* host=$PC chain=FORWARD ports=25( |\$)"
}

delivered()	# delivered IP SUBJECT: the server's log has the message
{
	awk -F'\t' -v h="$1" -v s="$2" '
	    $1 == "message" && $2 == h && $3 == s { f = 1 }
	    END { exit !f }' "$TMP/facts"
}

ndelivered()	# ndelivered IP SUBJECT
{
	awk -F'\t' -v h="$1" -v s="$2" '
	    $1 == "message" && $2 == h && $3 == s { n++ }
	    END { print n + 0 }' "$TMP/facts"
}

# start_round N: capturo and detengo in the gateway; EV and REP name
# the event lines and detengo's reports
start_round()
{
	STATE=$TMP/state$1
	REP=$TMP/detengo$1.out
	DOPTS="-a $MX -t $THRESHOLD -s $STATE"
	if [ "$1" = 1 ]; then
		EV=$TMP/eventos.log
		say "1. in the gateway, as the article's two scripts:" \
		    "capturo -i lan0 -w eventos.log &" \
		    "detengo $DOPTS --from-start eventos.log &"
		ns_bg gw "$CAPTURO" -i lan0 -w "$EV" 2>"$TMP/capturo1.err"
		CAP_PID=$NS_LASTPID
		wait_for "$TMP/capturo1.err" "listening on"
		result "1: capturo listens on lan0" $? "$TMP/capturo1.err"
		# the log is new: --from-start reads it whole, so no mail
		# written before detengo watches it can be missed
		ns_bg gw env XTABLES_LOCKFILE="$LOCK" "$DETENGO" $DOPTS \
		    --from-start "$EV" >"$REP" 2>"$TMP/detengo1.err"
		DET_PID=$NS_LASTPID
	else
		EV=$TMP/events2
		say "$1. the same as one pipeline:" \
		    "capturo -i lan0 | detengo $DOPTS -"
		# sh -c records capturo's PID and, once it ends, its status
		ip netns exec "$(ns_name gw)" sh -c \
		    '"$@" & echo $! >"$0.pid"; wait $!; echo $? >"$0.rc"' \
		    "$TMP/capturo2" "$CAPTURO" -i lan0 2>"$TMP/capturo2.err" |
		    tee "$EV" |
		    ip netns exec "$(ns_name gw)" env XTABLES_LOCKFILE="$LOCK" \
		    "$DETENGO" $DOPTS - >"$REP" 2>"$TMP/detengo2.err" &
		DET_PID=$!
		wait_for "$TMP/capturo2.pid" . 50
		CAP_PID=$(cat "$TMP/capturo2.pid" 2>/dev/null)
		NS_PIDS="$NS_PIDS $DET_PID $CAP_PID"
		wait_for "$TMP/capturo2.err" "listening on"
		result "$1: capturo listens on lan0" $? "$TMP/capturo2.err"
	fi
	sleep 0.2
	check "$1: detengo is running" kill -0 "$DET_PID"
	[ -s "$TMP/detengo$1.err" ] && show "$TMP/detengo$1.err"
	watch_start "$EV" "$REP"
}

# stop_round N: stop capturo, then detengo; both must exit 0
stop_round()
{
	watch_stop
	kill -TERM "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	_crc=$?
	ns_forget "$CAP_PID"
	if [ "$1" = 2 ]; then
		wait_for "$TMP/capturo2.rc" . 30
		_crc=$(cat "$TMP/capturo2.rc" 2>/dev/null || echo 1)
		# the pipe's end: detengo finishes its input and exits
		_t=20
		while kill -0 "$DET_PID" 2>/dev/null && [ $_t -gt 0 ]; do
			sleep 0.1
			_t=$((_t - 1))
		done
		check "$1: detengo ends with its input" \
		    eval '! kill -0 "$DET_PID" 2>/dev/null'
	fi
	kill -TERM "$DET_PID" 2>/dev/null
	wait "$DET_PID" 2>/dev/null
	_drc=$?
	ns_forget "$DET_PID"
	tell "capturo's last words: $(tail -n 1 "$TMP/capturo$1.err")"
	result "$1: capturo exits 0" "$_crc" "$TMP/capturo$1.err"
	check "$1: capturo lost no packet and no event" \
	    has "$TMP/capturo$1.err" \
	    "^capturo: packets=[0-9]+ dropped=0 ifdropped=0 .* lost=0\$"
	result "$1: detengo exits 0" "$_drc" "$TMP/detengo$1.err"
}

round()
{
	RN=$1
	: >"$TMP/facts"
	start_round "$RN"
	fw_show

	say "$RN.1 the infected PC sends mail with swaks"
	pc_swaks "sw$RN-1" --header "Subject: Mensaje de prueba"
	result "$RN: swaks from the PC delivers" $? "$TMP/sw$RN-1.out"
	wait_for "$EV" "message .* subject=\"Mensaje de prueba\""
	check "$RN: the log holds its mail, rcpt and message lines" \
	    session_logged "$EV" "Mensaje de prueba" worm@example.org \
	    x@example.net

	say "$RN.2 the PC types a session by hand, in lower case (telnet style)"
	ns_exec pc timeout 20 "$PY" tests/rec_client.py telnet "$SRV" 25 \
	    >"$TMP/tn$RN-1.out" 2>&1
	result "$RN: the typed session delivers" $? "$TMP/tn$RN-1.out"
	wait_for "$EV" "message .* subject=\"hola desde telnet\""
	check "$RN: the log holds its mail, rcpt and message lines" \
	    session_logged "$EV" "hola desde telnet" a@b.example \
	    c@d.example

	say "$RN.3 the PC sends with swaks --pipeline (RFC 2920)"
	pc_swaks "sw$RN-2" --pipeline --header "Subject: En cadena"
	result "$RN: swaks --pipeline delivers" $? "$TMP/sw$RN-2.out"
	wait_for "$EV" "message .* subject=\"En cadena\""
	check "$RN: the log holds its mail, rcpt and message lines" \
	    session_logged "$EV" "En cadena" worm@example.org \
	    x@example.net
	check "$RN: the server took the three messages" \
	    [ "$(awk -F'\t' -v h="$PC" '$1 == "message" && $2 == h' \
	    "$TMP/facts" | wc -l)" = 3 ]
	check "$RN: no rule yet: three mails, the threshold is $THRESHOLD" \
	    rules_are "$TMP/rules.none"

	say "$RN.4 the worm types a fourth mail: detengo blocks the PC"
	ns_bg pc "$PY" tests/rec_client.py telnet "$SRV" 25 \
	    >"$TMP/tn$RN-2.out" 2>&1
	_tn=$NS_LASTPID
	# poll the table (bounded) for the moment the DROP rule lands
	_t=100
	while [ $_t -gt 0 ] && ! ipt -S FORWARD 2>/dev/null |
	    grep -q -- "^-A FORWARD -s $PC/32 .* -j DROP\$"; do
		sleep 0.05
		_t=$((_t - 1))
	done
	_seen=$(now)
	# the fourth mail event's packet time, the block line's wall time
	_mail=$(awk -v h="src=$PC:" '$2 == "mail" && index($0, h) { t = $1 }
	    END { print t }' "$EV")
	wait_for "$REP" "^[^ ]+ block " 10
	_blk=$(awk '$2 == "block" { print $1; exit }' "$REP")
	_lat=none
	_rep=none
	if [ -n "$_mail" ]; then
		_mail=$(date -d "$_mail" +%s.%N)
		ipt -S FORWARD | grep -q -- "^-A FORWARD -s $PC/32 .* -j DROP\$" &&
		    _lat=$(ms "$_mail" "$_seen")
		[ -n "$_blk" ] && _rep=$(ms "$_mail" "$(date -d "$_blk" +%s.%N)")
	fi
	check "$RN: LOG and DROP for $PC, and only those" \
	    rules_are "$TMP/rules.pc"
	[ -f "$TMP/rules.diff" ] && show "$TMP/rules.diff"
	rm -f "$TMP/rules.diff"
	tell "detengo's block line: ${_rep} ms after the fourth mail event;" \
	    "the rule seen in the table ${_lat} ms after it (polled every 50 ms)"
	check "$RN: blocked within 1 s of the mail event (${_rep} ms; seen at ${_lat} ms)" \
	    under 1000 "$_rep" "$_lat"
	check "$RN: detengo reported one block, for $PC" one_block "$REP"
	# the typed text follows in 0.1 s steps: none of it gets through
	sleep 0.8
	check "$RN: the typed session hangs after \"mail from\", as in the article" \
	    kill -0 "$_tn"
	check "$RN: its message never reaches the server" \
	    [ "$(ndelivered "$PC" "hola desde telnet")" = 1 ]
	ns_stop "$_tn"
	# the kernel goes on resending the killed client's text and would
	# deliver it once the rule is gone, and the server waits for it:
	# destroy both ends (SOCK_DESTROY) so that nothing leaks into the
	# next round
	ns_exec pc ss -K dst "$SRV" >/dev/null 2>&1
	ns_exec out ss -K dst "$PC" >/dev/null 2>&1
	check "$RN: the killed session leaves no socket behind" \
	    [ -z "$(ns_exec pc ss -Htn dst "$SRV"; ns_exec out ss -Htn dst "$PC")" ]
	fw_show

	say "$RN.5 the PC tries again: swaks --timeout $SW_TIMEOUT"
	check "$RN: the PC still routes through the gateway" routes_ok pc
	_before=$(drop_pkts)
	_t0=$(now)
	pc_swaks "sw$RN-3" --header "Subject: Otra vez"
	_rc=$?
	_t1=$(now)
	_after=$(drop_pkts)
	grep -E '^\*\*\*' "$TMP/sw$RN-3.out" | sed 's/^/    swaks: /' |
	    if [ "$MODE" = demo ]; then cat; else cat >/dev/null; fi
	check "$RN: the PC's next attempt fails ($(ms "$_t0" "$_t1") ms)" \
	    [ "$_rc" -ne 0 ]
	check "$RN: it timed out connecting" \
	    has "$TMP/sw$RN-3.out" "connect: timeout"
	check "$RN: the DROP rule's counter rose ($_before -> $_after packets)" \
	    [ "$_after" -gt "$_before" ]
	check "$RN: nothing from that attempt reached the server" \
	    [ "$(ndelivered "$PC" "Otra vez")" = 0 ]
	fw_show

	say "$RN.6 the company's mail server $MX still delivers"
	check "$RN: $MX routes through the gateway" routes_ok mx
	ns_exec mx swaks --server "$SRV" --timeout 5 \
	    --helo mail.example.com --from alicia@example.com \
	    --to pedro@example.net --header "Subject: Pedido 4711" \
	    >"$TMP/mx$RN.out" 2>&1
	result "$RN: swaks from $MX delivers" $? "$TMP/mx$RN.out"
	check "$RN: the server's log has its message" \
	    delivered "$MX" "Pedido 4711"
	wait_for "$REP" " host=$MX " 20
	check "$RN: detengo skipped $MX as allowed" \
	    has "$REP" "^[^ ]+ skip .* host=$MX reason=allowed( |\$)"
	check "$RN: the rules are still those two" rules_are "$TMP/rules.pc"

	stop_round "$RN"
}

# nft_in: the PC is an element of detengo's set in the gateway
nft_in()
{
	ns_exec gw nft list set inet detengo hosts4 2>/dev/null |
	    grep -q "[{ ,]$PC[ ,}]"
}

# the set was listed and the PC is not in it
nft_out()
{
	ns_exec gw nft list set inet detengo hosts4 >"$TMP/hosts4" 2>/dev/null &&
	    grep -q "set hosts4 {" "$TMP/hosts4" &&
	    ! grep -q "[{ ,	]$PC[ ,}]" "$TMP/hosts4"
}

nft_show()
{
	if [ "$MODE" = demo ]; then
		echo "    # nft list table inet detengo    (in the gateway)"
		ns_exec gw nft list table inet detengo 2>&1 | sed 's/^/    /'
	fi
}

# the act with -b nft: the worm blocked as an element of a set, the set
# wiped by a firewall reload, the block back within a second
nft_round()
{
	: >"$TMP/facts"
	EV=$TMP/events3
	REP=$TMP/detengo3.out
	DOPTS="-b nft -a $MX -t $THRESHOLD -s $TMP/state3"
	say "3. detengo -b nft: the blocks are elements of table inet detengo" \
	    "capturo -i lan0 -w events3 &" \
	    "detengo $DOPTS --from-start events3 &"
	ns_bg gw "$CAPTURO" -i lan0 -w "$EV" 2>"$TMP/capturo3.err"
	CAP_PID=$NS_LASTPID
	wait_for "$TMP/capturo3.err" "listening on"
	result "3: capturo listens on lan0" $? "$TMP/capturo3.err"
	ns_bg gw "$DETENGO" $DOPTS --from-start "$EV" >"$REP" \
	    2>"$TMP/detengo3.err"
	DET_PID=$NS_LASTPID
	sleep 0.3
	check "3: detengo -b nft is running" kill -0 "$DET_PID"
	show "$TMP/detengo3.err"
	watch_start "$EV" "$REP"
	nft_show

	say "3.1 the PC sends three mails (swaks, swaks --pipeline, swaks)"
	pc_swaks sw3-1 --header "Subject: Tercera ronda"
	result "3: swaks from the PC delivers" $? "$TMP/sw3-1.out"
	pc_swaks sw3-2 --pipeline --header "Subject: Tercera ronda"
	result "3: swaks --pipeline delivers" $? "$TMP/sw3-2.out"
	pc_swaks sw3-3 --header "Subject: Tercera ronda"
	result "3: a third swaks delivers" $? "$TMP/sw3-3.out"
	check "3: not blocked after three mails (threshold $THRESHOLD)" \
	    nft_out

	say "3.2 the worm types a fourth mail: detengo adds the PC to hosts4"
	ns_bg pc "$PY" tests/rec_client.py telnet "$SRV" 25 \
	    >"$TMP/tn3.out" 2>&1
	_tn=$NS_LASTPID
	_t=100
	while [ $_t -gt 0 ] && ! nft_in; do
		sleep 0.05
		_t=$((_t - 1))
	done
	check "3: the PC is an element of hosts4" nft_in
	wait_for "$REP" "^[^ ]+ block " 10
	check "3: one block line, in inet/detengo/forward" \
	    has "$REP" "^[^ ]+ block .* host=$PC chain=inet/detengo/forward ports=25( |\$)"
	nft_show
	sleep 0.8
	check "3: the connection in progress hangs after \"mail from\"" \
	    kill -0 "$_tn"
	check "3: its message never reaches the server" \
	    [ "$(ndelivered "$PC" "hola desde telnet")" = 0 ]
	ns_stop "$_tn"
	ns_exec pc ss -K dst "$SRV" >/dev/null 2>&1
	ns_exec out ss -K dst "$PC" >/dev/null 2>&1

	say "3.3 a firewall reload: nft flush ruleset (as /etc/nftables.conf begins)"
	_t0=$(now)
	ns_exec gw nft flush ruleset
	tell "# nft flush ruleset; nft list ruleset:"
	if [ "$MODE" = demo ]; then
		ns_exec gw nft list ruleset | sed 's/^/    /'
	fi
	_t=40
	while [ $_t -gt 0 ] && ! nft_in; do
		sleep 0.05
		_t=$((_t - 1))
	done
	_t1=$(now)
	check "3: the block is back within 1 s ($(ms "$_t0" "$_t1") ms)" \
	    under 1000 "$(ms "$_t0" "$_t1")"
	check "3: detengo said so in one line" \
	    [ "$(count "$TMP/detengo3.err" "was gone \(a firewall reload\?\): made again with 1 blocked hosts")" = 1 ]
	show "$TMP/detengo3.err"
	nft_show

	say "3.4 the PC tries again: swaks --timeout $SW_TIMEOUT"
	pc_swaks sw3-4 --header "Subject: Otra vez mas"
	check "3: the PC's next attempt fails" [ $? -ne 0 ]
	check "3: nothing of it reached the server" \
	    [ "$(ndelivered "$PC" "Otra vez mas")" = 0 ]
	check "3: the element's counter counts its packets" \
	    eval 'ns_exec gw nft list set inet detengo hosts4 | grep -Eq "$PC counter packets [1-9]"'

	watch_stop
	kill -TERM "$CAP_PID" 2>/dev/null
	wait "$CAP_PID" 2>/dev/null
	ns_forget "$CAP_PID"
	kill -TERM "$DET_PID" 2>/dev/null
	wait "$DET_PID" 2>/dev/null
	result "3: detengo -b nft exits 0" $? "$TMP/detengo3.err"
	ns_forget "$DET_PID"
}

lab_exit()
{
	_rc=$?
	trap - EXIT
	watch_stop
	ns_cleanup
	if [ -n "${LAB_ROOT:-}" ]; then
		_left=$(ip netns list 2>/dev/null | grep -c "^$NS_PREFIX-")
		check "no namespace left ($NS_PREFIX-*)" [ "$_left" = 0 ]
	fi
	rm -rf "$TMP"
	if [ "$NFAIL" -gt 0 ]; then
		if [ "$MODE" = demo ]; then
			echo "lab: $NFAIL of $NCHECK checks failed:$FAILED" >&2
		fi
		exit 1
	fi
	if [ "$_rc" -ne 0 ]; then
		echo "lab: stopped early (status $_rc)" >&2
		[ "$MODE" = test ] && echo "not ok - lab: stopped early"
		exit "$_rc"
	fi
	[ "$MODE" = demo ] && echo "lab: all $NCHECK checks passed"
	exit 0
}

# --- main ------------------------------------------------------------------

for _b in "$CAPTURO" "$DETENGO"; do
	if [ ! -x "$_b" ]; then
		echo "lab: $_b missing: make all" >&2
		[ "$MODE" = test ] && echo "not ok - lab: ${_b#$TOP/} missing"
		exit 1
	fi
done

NS_PREFIX=cdlab-$$
TMP=$(mktemp -d "/tmp/cdlab-$$.XXXXXX") || exit 1
LOCK=$TMP/xtables.lock

if [ "$(id -u)" -ne 0 ]; then
	trap 'rm -rf "$TMP"' EXIT
	echo "lab: not root: the lab needs network namespaces and iptables," \
	    "which need root; running only the offline part"
	offline
	if [ "$NFAIL" -gt 0 ]; then
		[ "$MODE" = demo ] &&
		    echo "lab: $NFAIL of $NCHECK checks failed:$FAILED" >&2
		exit 1
	fi
	[ "$MODE" = demo ] && echo "lab: all $NCHECK checks passed"
	exit 0
fi

for _c in ip iptables-legacy swaks ss tail mkfifo; do
	if ! command -v "$_c" >/dev/null 2>&1; then
		echo "lab: $_c missing (sh tests/deps.sh installs it)" >&2
		[ "$MODE" = test ] && echo "not ok - lab: $_c missing"
		rm -rf "$TMP"
		exit 1
	fi
done
if ! "$PY" -c 'import aiosmtpd' 2>/dev/null; then
	echo "lab: $PY lacks aiosmtpd (apt-get install python3-aiosmtpd)" >&2
	[ "$MODE" = test ] && echo "not ok - lab: python3-aiosmtpd missing"
	rm -rf "$TMP"
	exit 1
fi

. "$TOP/tests/netns.sh"
LAB_ROOT=1
trap lab_exit EXIT
# the legacy tables' modules, as the detengo package loads them at boot:
# a freshly booted Debian 12 whose firewall is nftables has them not,
# and libiptc cannot load them
modprobe -q -a ip_tables ip6_tables 2>/dev/null

T0=$(now)
[ "$MODE" = test ] && offline

say "0. the network: PC $PC and MX $MX on the LAN, gateway $GW_LAN/$GW_WAN, outside server $SRV"
topology
ns_bg out "$PY" tests/smtpd_log.py -o "$TMP/facts" -l "$SRV:25"
ns_wait_port out "$SRV" 25
check "0: the PC routes to $SRV through the gateway" routes_ok pc
echo "-P FORWARD ACCEPT" >"$TMP/rules.none"
{
	echo "-P FORWARD ACCEPT"
	echo "-A FORWARD -s $PC/32 -p tcp -m tcp --dport 25 -j LOG --log-prefix \"detengo: \""
	echo "-A FORWARD -s $PC/32 -p tcp -m tcp --dport 25 -j DROP"
} >"$TMP/rules.pc"
check "0: the gateway's FORWARD chain is empty" rules_are "$TMP/rules.none"

round 1

say "detengo --flush: the rules go; round 2 starts with a fresh state"
det --flush -s "$TMP/state1" >"$TMP/flush.out" 2>&1
result "detengo --flush exits 0" $? "$TMP/flush.out"
show "$TMP/flush.out"
check "the FORWARD chain is empty again" rules_are "$TMP/rules.none"

round 2

say "detengo --flush: round 2's rules go before the nft act"
det --flush -s "$TMP/state2" >"$TMP/flush2.out" 2>&1
result "detengo --flush exits 0" $? "$TMP/flush2.out"
check "the FORWARD chain is empty again" rules_are "$TMP/rules.none"

if command -v nft >/dev/null 2>&1; then
	nft_round
else
	echo "lab: nft missing (sh tests/deps.sh installs nftables)" >&2
	[ "$MODE" = test ] && echo "not ok - lab: nft missing"
fi

T1=$(now)
tell "" "the lab took $(awk -v a="$T0" -v b="$T1" \
    'BEGIN { printf "%.1f", b - a }') s"
