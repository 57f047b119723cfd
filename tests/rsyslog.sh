#!/bin/sh
# The event log shipped by rsyslog and RELP with examples/rsyslog/: two
# rsyslogd, a gateway's and a central's, each in its network namespace
# (namespaces cdrsl-PID-*), run the example files themselves with only
# their paths changed.  A writer appends event lines the way capturo
# does (one write per line, the file reopened on SIGHUP) while the
# central's rsyslogd is restarted, then the gateway's, then while the
# log is rotated; every line must reach the central's file exactly once,
# unchanged, and that file must be a log detengo reads without a
# malformed line.  Needs root, rsyslog, rsyslog-relp and logrotate.
#
#   gw 192.0.2.1 (imfile, omrelp) --- central 192.0.2.10 (imrelp, port 2514)
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
D=${DETENGO:-$TOP/detengo/detengo}
CHECK_NAME=rsyslog
. "$TOP/tests/check.sh"

if [ "$(id -u)" -ne 0 ]; then
	skip "needs root (network namespaces)"
	exit 0
fi
if ! command -v rsyslogd >/dev/null 2>&1; then
	skip "rsyslogd missing (apt-get install rsyslog rsyslog-relp)"
	exit 0
fi
if ! ls /usr/lib/*/rsyslog/omrelp.so /usr/lib/rsyslog/omrelp.so \
    2>/dev/null | grep -q .; then
	skip "rsyslog's omrelp.so missing (apt-get install rsyslog-relp)"
	exit 0
fi
[ -x "$D" ] || { nok "$D missing (make)"; exit 1; }
for c in ss logrotate; do
	command -v $c >/dev/null 2>&1 ||
	    { nok "$c missing (sh tests/deps.sh installs it)"; exit 1; }
done

T=$(mktemp -d /tmp/cdrsl-$$.XXXXXX) || exit 1
NS_PREFIX=cdrsl-$$
. "$TOP/tests/netns.sh"
wpid=""
cleanup() {
	if [ -n "$wpid" ]; then
		kill "$wpid" 2>/dev/null
		wait "$wpid" 2>/dev/null
	fi
	ns_cleanup
	[ -n "$RSYSLOG_KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT

GW=192.0.2.1
CENTRAL=192.0.2.10
LOG=$T/gw/log/events.log
OUT=$T/central/log/$GW.log
mkdir -p "$T/gw/work" "$T/gw/log" "$T/central/work" || exit 1

# The drop-ins are the examples, with the paths of this test and the
# central's address; each rsyslogd gets a top file in place of Debian's
# /etc/rsyslog.conf: a work directory, its own logs in a file (a stand-in
# for /var/log/syslog), rsyslogd's own messages to that file rather than
# to the system's log socket, and none of imuxsock or imklog: nothing
# touches the machine's /dev/log or kernel log.
sed -e "s|/var/log/capturo/events.log|$LOG|" \
    -e "s|target=\"192.0.2.10\"|target=\"$CENTRAL\"|" \
    examples/rsyslog/gateway.conf >"$T/gw/capturo-gateway.conf"
sed -e "s|/var/log/capturo-central/|$T/central/log/|" \
    examples/rsyslog/central.conf >"$T/central/capturo-central.conf"
for s in gw central; do
	cat >"$T/$s/rsyslog.conf" <<EOF
global(workDirectory="$T/$s/work" net.enableDNS="off"
    processInternalMessages="on")
*.* action(type="omfile" file="$T/$s/syslog")
include(file="$T/$s/capturo-$([ $s = gw ] && echo gateway || echo central).conf")
EOF
done
checkx "the examples' paths and address are replaced in the test's copies" \
    "grep -q 'file=\"$LOG\"' '$T/gw/capturo-gateway.conf' &&
    grep -q 'target=\"$CENTRAL\"' '$T/gw/capturo-gateway.conf' &&
    grep -q '\"$T/central/log/%fromhost-ip%.log\"' \
	'$T/central/capturo-central.conf' &&
    ! grep -v '^[[:space:]]*#' '$T/gw/capturo-gateway.conf' \
	'$T/central/capturo-central.conf' | grep -q /var/log"
for s in gw central; do
	check "rsyslogd -N1 accepts the $s's configuration" \
	    sh -c "rsyslogd -N1 -f '$T/$s/rsyslog.conf' >'$T/$s/n1.out' 2>&1" ||
	    sed 's/^/# /' "$T/$s/n1.out"
done

ns_new gw
ns_new central
ns_link gw eth0 $GW/24 central eth0 $CENTRAL/24

# rsyslogd NS: start that side's rsyslogd in the foreground of its
# namespace; its PID is NS_LASTPID
rsyslogd_start() {
	ns_bg "$1" rsyslogd -n -f "$T/$1/rsyslog.conf" -i "$T/$1/pid" \
	    >>"$T/$1/stderr" 2>&1
}
: >"$LOG"
rsyslogd_start central
cpid=$NS_LASTPID
ns_wait_port central $CENTRAL 2514
rsyslogd_start gw
gpid=$NS_LASTPID

# line N: the Nth event line, unique by its time; sessions of six
# events (connect, helo, mail, rcpt, message, close) from 30 hosts in
# turn (198.51.100.25 is the mail server, on the allow list), quoted
# UTF-8 subjects, and
# one line of 4096 bytes with its newline, capturo's bound
line() {
	_h=$(($1 / 6 % 30 + 1))
	_c=$(printf '2026-03-03T10:00:%02d.%06dZ %%s sid=%08x src=198.51.100.%d:%d dst=203.0.113.25:25 mac=52:54:00:00:00:%02x' \
	    $(($1 / 1000)) $(($1 % 1000 * 1000 + 17)) $(($1 / 6)) $_h \
	    $((40000 + $1 / 6)) $_h)
	case $(($1 % 6)) in
	0) printf "$_c\n" connect ;;
	1) printf "$_c verb=EHLO name=pc%d.example.org\n" helo $_h ;;
	2) printf "$_c from=u%d@example.com\n" mail $1 ;;
	3) printf "$_c to=u%d@example.net\n" rcpt $1 ;;
	4) if [ "$1" -eq 1000 ]; then
		printf "$_c subject=\"%s\" size=%d rcpts=1 reply=250\n" \
		    message "$LONGSUBJ" $1
	   else
		printf "$_c subject=\"Presupuesto – marzo, n.º %d\" msgid=<%d@example.com> size=%d rcpts=1 reply=250\n" \
		    message $1 $1 $((1000 + $1))
	   fi ;;
	5) printf "$_c how=fin msgs=1\n" close ;;
	esac
}
LONGSUBJ=
LONGSUBJ=$(head -c $((4096 - $(line 1000 | wc -c))) /dev/zero | tr '\0' x)

# writer FIRST LAST: append lines FIRST to LAST to the log, 10 every
# 20 ms (about 400 a second), one write(2) per line, on a descriptor
# kept open as capturo keeps its own; a SIGHUP sets a flag, and the
# loop opens the log again by its name before the next line, creating
# it if it is gone (capturo's evout_reopen)
writer() {
	exec 3>>"$LOG"
	_hup=0
	trap '_hup=1' HUP
	_i=$1
	while [ "$_i" -le "$2" ]; do
		if [ $_hup -eq 1 ]; then
			exec 3>>"$LOG"
			_hup=0
		fi
		line "$_i" >&3
		[ $((_i % 10)) -eq 0 ] && sleep 0.02
		_i=$((_i + 1))
	done
}
# lines N: the central's file holds N lines
lines() { [ "$(cat "$OUT" 2>/dev/null | wc -l)" -eq "$1" ]; }
# exactly WHAT N: the central's file holds the N lines the gateway's
# log holds (events.log, after a rotation events.log.1 too), each once,
# byte for byte
exactly() {
	cat "$LOG.1" "$LOG" 2>/dev/null | sort >"$T/want"
	sort "$OUT" >"$T/got"
	_d=$(uniq -d "$T/got" | wc -l)
	_n=$(wc -l <"$T/got")
	if [ "$(wc -l <"$T/want")" -ne "$2" ] ||
	    [ "$(uniq -d "$T/want" | wc -l)" -ne 0 ]; then
		nok "$1: the writer wrote $(wc -l <"$T/want") lines, not $2 different ones"
	elif [ "$_d" -eq 0 ] && cmp -s "$T/want" "$T/got"; then
		ok "$1: $2 lines, each once, unchanged"
	else
		nok "$1: $_n lines of $2, $_d twice or more"
		diff "$T/want" "$T/got" | cut -c 1-150 | head -n 10 |
		    sed 's/^/# /'
	fi
}

# a. the central's rsyslogd stopped and started again while lines flow
writer 1 2000 &
wpid=$!
sleep 1
check "the writer still writes when the central stops" kill -0 "$wpid"
ns_stop "$cpid"
check "the central's rsyslogd stopped" sh -c "! kill -0 $cpid 2>/dev/null"
sleep 1
rsyslogd_start central
cpid=$NS_LASTPID
ns_wait_port central $CENTRAL 2514
wait "$wpid"
wpid=""
waitfor 300 lines 2000
exactly "through a restart of the central" 2000

# b. the gateway's rsyslogd stopped and started again while lines flow:
# it goes on from its place in the log (imfile's state file)
writer 2001 3000 &
wpid=$!
sleep 1
ns_stop "$gpid"
check "the gateway's rsyslogd stopped while the writer writes" \
    sh -c "! kill -0 $gpid 2>/dev/null && kill -0 $wpid"
rsyslogd_start gw
gpid=$NS_LASTPID
wait "$wpid"
wpid=""
waitfor 300 lines 3000
exactly "through a restart of the gateway's rsyslogd" 3000

# c. the log rotated while lines flow, by logrotate and
# examples/capturo.logrotate as shipped ("nocreate", as gateway.conf
# asks): the log renamed, the writer goes on in the old file for 300 ms,
# then at its SIGHUP creates a new one under the name
writer 3001 5000 &
wpid=$!
sed -e "s|/var/log/capturo/events.log|$LOG|" \
    -e '/^[[:space:]]*postrotate$/,/^[[:space:]]*endscript$/{
	/postrotate\|endscript/!d
	/postrotate/a\
		sleep 0.3; kill -HUP '"$wpid"'
    }' examples/capturo.logrotate >"$T/logrotate.conf"
checkx "examples/capturo.logrotate says nocreate; here with the writer's SIGHUP" \
    "grep -q '^[[:space:]]*nocreate\$' '$T/logrotate.conf' &&
    ! grep -q '^[[:space:]]*create' '$T/logrotate.conf' &&
    grep -q 'sleep 0.3; kill -HUP $wpid\$' '$T/logrotate.conf' &&
    [ \$(grep -c 'kill\|systemctl' '$T/logrotate.conf') -eq 1 ]" ||
    sed 's/^/# /' "$T/logrotate.conf"
sleep 2
check "logrotate -f rotates the log" \
    logrotate -f -s "$T/logrotate.state" "$T/logrotate.conf"
wait "$wpid"
wpid=""
checkx "the rotation put lines in both files" \
    "grep -q ' from=u2@' '$LOG.1' && grep -q ' from=u4994@' '$LOG' &&
    ! grep -q ' from=u2@' '$LOG'"
waitfor 300 lines 5000
exactly "through a rotation of the log" 5000
n=$(cat "$LOG.1" "$LOG" | grep -c ' subject="Presupuesto – marzo, n\.º ')
checkx "the line of 4096 bytes and the $n UTF-8 subjects arrive whole" \
    "[ \$(LC_ALL=C awk 'length(\$0) == 4095' '$OUT' | wc -l) -eq 1 ] &&
    [ $n -gt 0 ] && [ \$(grep -c ' subject=\"Presupuesto – marzo, n\.º ' \
    '$OUT') -eq $n ]"

# the events stay out of the gateway's own log, whose own lines (rsyslogd's
# start) stay out of the central's file
checkx "the gateway's own log has rsyslogd's lines and no event" \
    "grep -q rsyslogd '$T/gw/syslog' && ! grep -q ' sid=' '$T/gw/syslog'"
checkx "the central's file holds event lines only" \
    "! grep -v '^2026-03-03T[0-9:.]*Z [a-z]* sid=' '$OUT' | grep -q ."
checkx "no event line in the central's own log" \
    "[ -f '$T/central/syslog' ] && ! grep -q ' sid=' '$T/central/syslog'"

# d. the central's file read by detengo, dry (no firewall): every line
# parsed, and the hosts blocked are those the lines say, the hosts with
# a mail event but the allowed mail server
ns_exec central "$D" -d -n --once --from-start -s "$T/detengo.state" \
    -a 198.51.100.25 "$OUT" >"$T/detengo.out" 2>"$T/detengo.err"
rc=$?
check "detengo -n --once reads the central's file (exit $rc)" [ $rc -eq 0 ]
checkx "detengo: lines=5000 malformed=0 unknown=0" \
    "grep -q 'lines=5000 malformed=0 unknown=0 ' '$T/detengo.err'" ||
    grep 'lines=' "$T/detengo.err" | sed 's/^/# /'
awk '$2 == "mail" { h = substr($4, 5); sub(/:[0-9]+$/, "", h);
    if (h != "198.51.100.25") print h }' "$LOG.1" "$LOG" |
    sort -u >"$T/hosts.want"
sed -n 's/.* block .* host=\([^ ]*\) .*/\1/p' "$T/detengo.out" |
    sort >"$T/hosts.got"
checkx "detengo blocks the $(wc -l <"$T/hosts.want") hosts that sent a MAIL FROM" \
    "[ -s '$T/hosts.want' ] && cmp -s '$T/hosts.want' '$T/hosts.got'"
checkx "and skips the allowed mail server" \
    "grep -q ' skip .* host=198.51.100.25 reason=allowed' '$T/detengo.out'"
n=$(cat "$LOG.1" "$LOG" | grep -c ' mail ')
checkx "grep ' mail ' finds the $n MAIL FROMs" \
    "[ $n -gt 0 ] && [ \$(grep -c ' mail ' '$OUT') -eq $n ]"

ns_stop "$gpid"
ns_stop "$cpid"
# rsyslogd's own lines: the gateway's says the central went (2291, 2007,
# 2353) and came back (2359), and nothing else but starts and stops;
# the central's only starts and stops
checkx "the gateway's rsyslogd suspended its action and resumed it" \
    "grep -q 'rsyslogd-2007: .* suspended' '$T/gw/syslog' &&
    grep -q 'rsyslogd-2359: .* resumed' '$T/gw/syslog'"
for s in gw central; do
	checkx "no other message from the $s's rsyslogd" \
	    "! grep -v -e '\] start\$' -e '\] exiting on signal 15\.\$' \
	    -e ' rsyslogd-2291: librelp error 10008 ' \
	    -e ' rsyslogd-2007: action .* suspended ' \
	    -e ' rsyslogd-2353: omrelp.*error opening connection ' \
	    -e ' rsyslogd-2359: action .* resumed ' '$T/$s/syslog' | grep -q ." ||
	    sed 's/^/# /' "$T/$s/syslog" "$T/$s/stderr"
done
exit $fail
