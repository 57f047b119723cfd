#!/bin/sh
# Metrics (-M): the files capturo and detengo write for the textfile
# collector of node_exporter, read back through Debian's own
# prometheus-node-exporter, whose values must be the run's: the lines in
# the log, the statistics line.  Without root only the files of capturo
# -r are checked; as root, capturo captures live in the namespace
# cdmet-PID-cap, node_exporter serves the collector's directory there on
# 192.0.2.1:9100, and curl scrapes it from cdmet-PID-mon (192.0.2.2).
#
# The collector's directory is root's with mode 0755, as Debian makes
# /var/lib/prometheus/node-exporter: capturo -Z nobody writes into a
# directory of its user's and a symbolic link publishes the file, as
# capturo(8) says to do with the package; detengo writes in the
# collector's directory itself.
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
C=${CAPTURO:-$TOP/obj-san/bin/capturo}
D=${DETENGO:-$TOP/obj-san/bin/detengo}
NE=${NODE_EXPORTER:-/usr/bin/prometheus-node-exporter}
T=$(mktemp -d /tmp/cdmet-$$.XXXXXX) || exit 1
chmod 755 "$T"

NS_PREFIX=cdmet-$$
. "$TOP/tests/netns.sh"
cleanup() {
	ns_cleanup
	[ -n "$METRICS_KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT

CHECK_NAME=metrics
. "$TOP/tests/check.sh"
for b in "$C" "$D"; do
	[ -x "$b" ] || { nok "$b missing (make tests)"; exit 1; }
done
# the programs as nobody runs them: copies it can reach wherever the
# checkout is
C=$(runcopy "$T/bin-c" "$C") && D=$(runcopy "$T/bin-d" "$D") || exit 1

# val FILE SERIES: the value of one series (name and labels, as written)
# in a text exposition, as an integer; node_exporter writes 1e+06 for
# a million
val() {
	awk -v s="$2" '$1 == s { printf "%.0f\n", $2; f = 1 } END { exit !f }' \
	    "$1"
}
# sumof FILE NAME: the sum of every series of NAME
sumof() {
	awk -v n="$1" 'BEGIN { t = 0 } index($1, n "{") == 1 || $1 == n \
	    { t += $2 } END { printf "%.0f\n", t }' "$2"
}
# dstat FILE KEY: the last value of KEY= in a statistics line of FILE
dstat() {
	sed -n "s/.* $2=\([0-9-]*\).*/\1/p" "$1" | tail -n 1
}
# evc LOG NAME: the lines of event NAME in an event log
evc() { awk -v e="$2" '$2 == e { n++ } END { print n + 0 }' "$1"; }
EVENTS="connect helo auth starttls tls mx mail rcpt message close refused unheard"
# evmatch METRICS LOG: each event's series equals its lines in LOG;
# prints what differs
evmatch() {
	_bad=""
	for _e in $EVENTS; do
		_m=$(val "$1" "capturo_events_total{event=\"$_e\"}")
		_l=$(evc "$2" "$_e")
		[ "$_m" = "$_l" ] || _bad="$_bad $_e=$_m/$_l"
	done
	echo "$_bad"
	[ -z "$_bad" ]
}
nosan() { ! grep -q 'ERROR: AddressSanitizer\|runtime error:' "$@"; }

# ---------------------------------------------------------------------
# 1. capturo -r: the file at exit, from the project's recorded captures
# ---------------------------------------------------------------------
A=$T/a
mkdir "$A"
n=0 bad=""
for p in tests/data/rec-*.pcap; do
	b=${p##*/}
	b=${b%.pcap}
	rm -f "$A/capturo.prom"
	$C -r "$p" -M "$A/capturo.prom" >"$A/$b.log" 2>"$A/$b.err"
	rc=$?
	m=$A/capturo.prom
	why=""
	[ $rc -eq 0 ] || why="exit $rc"
	[ -z "$why" ] && [ ! -f "$m" ] && why="no file"
	[ -z "$why" ] && { d=$(evmatch "$m" "$A/$b.log") || why="events:$d"; }
	[ -z "$why" ] &&
	    [ "$(val "$m" capturo_packets_total)" != "$(dstat "$A/$b.err" packets)" ] &&
	    why="packets $(val "$m" capturo_packets_total), stats line $(dstat "$A/$b.err" packets)"
	[ -z "$why" ] &&
	    [ "$(sumof capturo_events_total "$m")" != "$(dstat "$A/$b.err" events)" ] &&
	    why="events $(sumof capturo_events_total "$m"), stats line $(dstat "$A/$b.err" events)"
	for k in flows:capturo_flows_total gapbytes:capturo_gap_bytes_total \
	    evicted:capturo_flows_evicted_total lost:capturo_lines_lost_total \
	    malformed:capturo_malformed_packets_total; do
		[ -z "$why" ] &&
		    [ "$(val "$m" "${k#*:}")" != "$(dstat "$A/$b.err" "${k%%:*}")" ] &&
		    why="${k#*:} $(val "$m" "${k#*:}"), stats line ${k%%:*}=$(dstat "$A/$b.err" "${k%%:*}")"
	done
	[ -z "$why" ] && [ "$(val "$m" capturo_flows_active)" != 0 ] &&
	    why="flows active at the end of the file"
	[ -n "$why" ] && bad="$bad $b ($why)"
	n=$((n + 1))
done
check "-r, $n recorded captures: every series equals the log and the statistics line${bad:+:$bad}" \
    [ -z "$bad" ]
M1=$A/capturo.prom
checkx "-r: the file is 0644 under umask 077, nothing left under a temporary name" \
    '(umask 077; $C -r tests/data/rec-refused.pcap -M "$A/u.prom" >/dev/null 2>&1) &&
    [ "$(stat -c %a "$A/u.prom")" = 644 ] && [ -z "$(ls "$A" | grep tmp)" ]'
checkx "-r: no kernel counters (no kernel in a file)" \
    '! grep -q "capturo_kernel_drops_total\|capturo_interface_drops_total\|capturo_copies_total" "$M1"'
# Prometheus' rules: one prefix, a HELP and a TYPE per name, counters in
# _total and nothing else in _total, base units, no label but event
checkx "names: each has HELP and TYPE, counters and only counters end in _total" \
    'awk '\''
	/^# HELP / { h[$3] = 1; next }
	/^# TYPE / { t[$3] = $4; next }
	{ n = $1; sub(/\{.*/, "", n); seen[n] = 1 }
	END {
		for (n in seen) {
			if (!(n in h) || !(n in t)) exit 1
			if (n !~ /^capturo_[a-z_]+$/) exit 1
			if ((t[n] == "counter") != (n ~ /_total$/)) exit 1
		}
	}'\'' "$M1"'
checkx "labels: event only, its values the schema's event names" \
    '[ -z "$(grep "{" "$M1" | grep -v "^capturo_events_total{event=\"[a-z]*\"} [0-9]*$")" ]'

# bad paths: exit 2 and a message that names the fix, nothing captured
$C -r tests/data/rec-plain.pcap -M "$T/none/capturo.prom" >"$T/bad.out" 2>"$T/bad.err"
rc=$?
checkx "-M in a missing directory: exit 2, says so, no event written (exit $rc: $(head -n 1 "$T/bad.err"))" \
    '[ $rc -eq 2 ] && grep -q "No such file or directory" "$T/bad.err" &&
    [ ! -s "$T/bad.out" ]'
$C -r tests/data/rec-plain.pcap --metrics "$A/capturo.txt" >"$T/bad.out" 2>"$T/bad.err"
rc=$?
checkx "--metrics not ending in .prom: exit 2, says so (exit $rc: $(head -n 1 "$T/bad.err"))" \
    '[ $rc -eq 2 ] && grep -q "must end in .prom" "$T/bad.err" &&
    [ ! -s "$T/bad.out" ] && [ ! -e "$A/capturo.txt" ]'
mkdir "$A/ro"
chmod 555 "$A/ro"
if [ "$(id -u)" -eq 0 ]; then
	# the check is made as the user who writes: nobody after -Z
	$C -r tests/data/rec-plain.pcap -Z nobody -M "$A/ro/capturo.prom" \
	    >"$T/bad.out" 2>"$T/bad.err"
	rc=$?
	checkx "-Z nobody, -M in a directory only root writes: exit 2, names the user (exit $rc: $(head -n 1 "$T/bad.err"))" \
	    '[ $rc -eq 2 ] && grep -q "as the user nobody" "$T/bad.err" &&
	    grep -q "Permission denied" "$T/bad.err" && [ ! -s "$T/bad.out" ]'
else
	$C -r tests/data/rec-plain.pcap -M "$A/ro/capturo.prom" \
	    >"$T/bad.out" 2>"$T/bad.err"
	rc=$?
	checkx "-M in a directory not writable: exit 2 (exit $rc: $(head -n 1 "$T/bad.err"))" \
	    '[ $rc -eq 2 ] && grep -q "Permission denied" "$T/bad.err"'
fi
check "no sanitizer report" nosan "$A"/*.err "$T/bad.err"

if [ "$(id -u)" -ne 0 ]; then
	skip "node_exporter and the live capture need root (namespaces)"
	exit $fail
fi
for c in "$NE" tcpreplay curl setpriv ip; do
	if ! command -v "$c" >/dev/null 2>&1; then
		nok "$c missing (sh tests/deps.sh installs it)"
		exit $fail
	fi
done

# ---------------------------------------------------------------------
# 2. node_exporter in a namespace, with the textfile collector alone
# ---------------------------------------------------------------------
ns_new cap
ns_new mon
ns_link cap va - cap vb -
ns_link mon m0 192.0.2.2/24 cap m1 192.0.2.1/24
COL=$T/col
mkdir -m 0755 "$COL"
# as the package's unit runs it: the prometheus user
neuser=prometheus
id -u prometheus >/dev/null 2>&1 || neuser=nobody
ns_bg cap setpriv --reuid="$neuser" --regid="$(id -g "$neuser")" \
    --clear-groups "$NE" --collector.disable-defaults --collector.textfile \
    --collector.textfile.directory="$COL" \
    --web.listen-address=192.0.2.1:9100 2>"$T/ne.err"
NEPID=$NS_LASTPID
ns_wait_port cap 192.0.2.1 9100
S=$T/scrape
scrape() {
	ns_exec mon curl -sf --max-time 5 http://192.0.2.1:9100/metrics >"$S"
}
# sv SERIES: its value in a fresh scrape
sv() { scrape && val "$S" "$1"; }

# the file of capturo -r, as the collector serves it
$C -r tests/data/rec-pipeline.pcap -M "$COL/capturo.prom" >"$T/r.log" \
    2>"$T/r.err"
scrape
checkx "-r's file through node_exporter as $neuser: read without error" \
    '[ "$(val "$S" node_textfile_scrape_error)" = 0 ]'
d=$(evmatch "$S" "$T/r.log")
check "-r's file through node_exporter: each capturo_events_total is the log's lines of its event${d:+:$d}" \
    [ -z "$d" ]
checkx "-r's file through node_exporter: capturo_packets_total $(val "$S" capturo_packets_total) = packets= $(dstat "$T/r.err" packets) > 0" \
    '[ "$(val "$S" capturo_packets_total)" = "$(dstat "$T/r.err" packets)" ] &&
    [ "$(dstat "$T/r.err" packets)" -gt 0 ]'
rm -f "$COL/capturo.prom"

# ---------------------------------------------------------------------
# 3. capturo live, -Z nobody: every 15 s, SIGUSR1, a directory removed
# ---------------------------------------------------------------------
gen() { python3 "$TOP/tests/gensessions.py" "$@"; }
send() {	# send FIRST N: N sessions on the wire, from session FIRST
	gen "$T/s$1.pcap" "$1" "$2" &&
	    ns_exec cap tcpreplay -q -i vb --pps=2000 "$T/s$1.pcap" >/dev/null 2>&1
}
lines_ge() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }
L=$T/live/events.log
LIB=$T/lib
mkdir -m 0755 "$T/live" "$LIB"
chown nobody "$T/live" "$LIB"
ln -s "$LIB/capturo.prom" "$COL/capturo.prom"
ns_bg cap $C -i va -w "$L" -M "$LIB/capturo.prom" -Z nobody 2>"$T/live.err"
CP=$NS_LASTPID
waitfor 50 test -s "$LIB/capturo.prom"
checkx "live: the file written at start, by nobody, 0644 ($(stat -c '%U %a' "$LIB/capturo.prom" 2>&1))" \
    '[ "$(stat -c "%U %a" "$LIB/capturo.prom")" = "nobody 644" ]'
scrape
checkx "live: through the link, read without error, 0 packets, every event at 0" \
    '[ "$(val "$S" node_textfile_scrape_error)" = 0 ] &&
    [ "$(val "$S" capturo_packets_total)" = 0 ] &&
    [ "$(sumof capturo_events_total "$S")" = 0 ] &&
    [ "$(grep -c "^capturo_events_total{" "$S")" = 12 ]'
checkx "live: the kernel's counters are there: drops, interface drops, copies" \
    'val "$S" capturo_kernel_drops_total >/dev/null &&
    val "$S" capturo_interface_drops_total >/dev/null &&
    val "$S" capturo_copies_total >/dev/null'
start=$(val "$S" capturo_start_time_seconds)
now=$(date +%s)
checkx "live: capturo_start_time_seconds is now ($start, $now)" \
    '[ $((now - start)) -ge 0 ] && [ $((now - start)) -le 10 ]'
send 0 20
waitfor 100 lines_ge "$L" 120
check "live: 20 sessions logged ($(wc -l <"$L") lines)" [ "$(wc -l <"$L")" -eq 120 ]
# no signal: the next write of the timer, at most 15 s after the first
mailed() { [ "$(sv 'capturo_events_total{event="mail"}')" = 20 ]; }
# (15 s after the start, within the poll's second, in whole seconds, and
# a second of slack)
waitfor 250 mailed
el=$(($(date +%s) - start))
checkx "live: with no signal, the timer's write shows the 20 mail lines, ${el} s after the start (at most 18)" \
    'mailed && [ $el -le $((18 * TIME_SCALE)) ]'
kill -USR1 $CP
waitfor 30 grep -q packets= "$T/live.err"
sleep 0.2
scrape
d=$(evmatch "$S" "$L")
check "live, SIGUSR1: each capturo_events_total is the log's lines of its event${d:+:$d}" \
    [ -z "$d" ]
for k in packets:capturo_packets_total dropped:capturo_kernel_drops_total \
    ifdropped:capturo_interface_drops_total copied:capturo_copies_total \
    flows:capturo_flows_total active:capturo_flows_active \
    events:capturo_events_total; do
	s=$(dstat "$T/live.err" "${k%%:*}")
	if [ "${k#*:}" = capturo_events_total ]; then
		v=$(sumof capturo_events_total "$S")
	else
		v=$(val "$S" "${k#*:}")
	fi
	checkx "live, SIGUSR1: ${k#*:} $v = the statistics line's ${k%%:*}=$s" \
	    '[ -n "$s" ] && [ "$v" = "$s" ]'
done
check "live: capturo_packets_total > 0 ($(val "$S" capturo_packets_total))" \
    [ "$(val "$S" capturo_packets_total)" -gt 0 ]

# the directory removed: one warning, the capture goes on, then the file
# comes back once the directory does
rm -rf "$LIB"
kill -USR1 $CP
sleep 0.3
kill -USR1 $CP
sleep 0.3
send 20 5
waitfor 100 lines_ge "$L" 150
kill -USR1 $CP
sleep 0.3
check "directory removed: capturo goes on capturing (150 lines, $(wc -l <"$L"))" \
    [ "$(wc -l <"$L")" -eq 150 ]
check "directory removed: capturo still running" kill -0 $CP
nw=$(grep -c 'cannot be written' "$T/live.err")
check "directory removed: one warning for three writes ($nw: $(grep 'cannot be written' "$T/live.err" | head -n 1))" \
    [ "$nw" -eq 1 ]
scrape
check "directory removed: the link leads nowhere, the collector says so (node_textfile_scrape_error 1)" \
    [ "$(val "$S" node_textfile_scrape_error)" = 1 ]
mkdir -m 0755 "$LIB"
chown nobody "$LIB"
kill -USR1 $CP
waitfor 30 grep -q 'metrics written again' "$T/live.err"
check "directory back: written again, said once ($(grep -c 'metrics written again' "$T/live.err"))" \
    [ "$(grep -c 'metrics written again' "$T/live.err")" -eq 1 ]
scrape
checkx "directory back: read without error, 25 mail lines" \
    '[ "$(val "$S" node_textfile_scrape_error)" = 0 ] &&
    [ "$(val "$S" "capturo_events_total{event=\"mail\"}")" = 25 ]'
kill -TERM $CP
wait $CP
rc=$?
ns_forget $CP
checkx "SIGTERM: capturo exits 0 (exit $rc), the warnings no more than those two" \
    '[ $rc -eq 0 ] &&
    [ "$(grep -c "cannot be written\|written again" "$T/live.err")" -eq 2 ]'
scrape
d=$(evmatch "$S" "$L")
check "at exit: each capturo_events_total is the log's lines of its event${d:+:$d}" \
    [ -z "$d" ]
checkx "at exit: capturo_packets_total = the last statistics line's packets= ($(val "$S" capturo_packets_total), $(dstat "$T/live.err" packets)), no flow active" \
    '[ "$(val "$S" capturo_packets_total)" = "$(dstat "$T/live.err" packets)" ] &&
    [ "$(val "$S" capturo_flows_active)" = 0 ]'
check "live: no sanitizer report" nosan "$T/live.err"

# ---------------------------------------------------------------------
# 4. detengo on capturo's log, its file in the collector's directory
# ---------------------------------------------------------------------
mkdir "$T/det"
$D -n --once --from-start -M "$COL/detengo.prom" -s "$T/det/state" "$L" \
    >"$T/det/out" 2>"$T/det/err"
rc=$?
check "detengo -n --once -M: exit 0 (exit $rc)" [ $rc -eq 0 ] ||
    sed 's/^/#   /' "$T/det/err"
scrape
nl=$(wc -l <"$L")
nb=$(grep -c ' block ' "$T/det/out")
check "detengo: both files read without error" \
    [ "$(val "$S" node_textfile_scrape_error)" = 0 ]
check "detengo_lines_total = the log's lines ($(val "$S" detengo_lines_total), $nl)" \
    [ "$(val "$S" detengo_lines_total)" = "$nl" ]
checkx "detengo_blocks_total{reason} add up to the block lines ($(sumof detengo_blocks_total "$S"), $nb)" \
    '[ "$(sumof detengo_blocks_total "$S")" = "$nb" ] && [ "$nb" -gt 0 ]'
check "detengo: no sanitizer report" nosan "$T/det/err"
ns_stop $NEPID
check "node_exporter stopped: nothing listens on 9100 here" \
    sh -c "! ss -Hltn 'sport = :9100' | grep -q ."
exit $fail
