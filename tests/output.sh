#!/bin/sh
# capturo's output and command line: event lines through pipes and
# sockets cut short by signals, a non-blocking standard output, a reader
# that stops, events that could not be written at exit, SIGHUP on a log
# that was not rotated, signals while reading a pipe, link types that
# are not read, and the arguments refused.  No root, no network: the
# packets come from captures made here, through files, pipes and FIFOs.
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
C=${CAPTURO:-$TOP/obj-san/bin/capturo}
D=${DETENGO:-$TOP/obj-san/bin/detengo}
T=$(mktemp -d /tmp/cdout-$$.XXXXXX) || exit 1
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	[ -n "$OUTPUT_KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT

CHECK_NAME=output
. "$TOP/tests/check.sh"
[ -x "$C" ] || { nok "$C missing (make tests)"; exit 1; }

# the captures: tests/gensessions.py (its header says the arguments)
gen() { python3 "$TOP/tests/gensessions.py" "$@"; }

# drive.py MODE ERRFILE CAPTURO ARGS...: capturo's standard output as a
# reader sees it; prints "lines N bad N rc N secs N"
#   storm-pipe, storm-socket: a pipe, or a socket with small buffers,
#     read 3000 bytes every 2 ms while SIGUSR1 comes every 2 ms
#   nonblock: a pipe set O_NONBLOCK, read 4096 bytes every 10 ms
#   stopped, stopped-nb: a pipe (O_NONBLOCK) nobody reads; SIGTERM after
#     1 s; read once capturo has exited
#   slowstop: a pipe read 4096 bytes every 5 ms, SIGTERM after 0.5 s
# A line is bad if it is not whole: not JSON with -J, else not an event.
cat >"$T/drive.py" <<'EOF'
import json, os, re, signal, socket, subprocess, sys, time

mode, errf, args = sys.argv[1], sys.argv[2], sys.argv[3:]
if mode == 'storm-socket':
    a, b = socket.socketpair()
    b.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, 4096)
    a.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    r, w = a.detach(), b.detach()
else:
    r, w = os.pipe()
if mode in ('nonblock', 'stopped-nb'):
    os.set_blocking(w, False)
t0 = time.monotonic()
p = subprocess.Popen(args, stdout=w, stderr=open(errf, 'w'))
os.close(w)
data = b''
if mode.startswith('storm'):
    os.set_blocking(r, False)
    time.sleep(0.3)
    while True:
        time.sleep(0.002)
        if p.poll() is None:
            p.send_signal(signal.SIGUSR1)
        try:
            x = os.read(r, 3000)
        except BlockingIOError:
            continue
        if not x:
            break
        data += x
elif mode == 'nonblock':
    while True:
        time.sleep(0.01)
        x = os.read(r, 4096)
        if not x:
            break
        data += x
elif mode.startswith('stopped'):
    time.sleep(1)
    p.send_signal(signal.SIGTERM)
    t0 = time.monotonic()
    try:
        p.wait(timeout=20)
    except subprocess.TimeoutExpired:
        p.kill()
        p.wait()
    while True:
        x = os.read(r, 65536)
        if not x:
            break
        data += x
elif mode == 'slowstop':
    sent = False
    while True:
        time.sleep(0.005)
        if not sent and time.monotonic() - t0 > 0.5:
            p.send_signal(signal.SIGTERM)
            sent = True
        x = os.read(r, 4096)
        if not x:
            break
        data += x
p.wait()
secs = time.monotonic() - t0
lines = data.split(b'\n')
tail = lines.pop()
ev = re.compile(rb'^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z [a-z]+ sid=')
bad = 0
for ln in lines:
    if '-J' in args:
        try:
            json.loads(ln)
        except ValueError:
            bad += 1
    elif not ev.match(ln) or ln.count(b' sid=') != 1:
        bad += 1
print('lines %d bad %d rc %d secs %.1f tail %d' % (len(lines), bad,
      p.returncode, secs, len(tail)))
EOF
# drive MODE NAME ARGS...: run drive.py, its answer in $lines $bad $rc
# $secs $tail, capturo's standard error in $T/NAME.err
drive() {
	_m=$1 _n=$2
	shift 2
	# shellcheck disable=SC2046
	set -- $(python3 "$T/drive.py" "$_m" "$T/$_n.err" $C "$@")
	lines=$2 bad=$4 rc=$6 secs=$8 tail=${10}
}
# dstat FILE KEY: the last value of KEY= in a stats line of FILE
dstat() {
	sed -n "s/.* $2=\([0-9]*\).*/\1/p" "$1" | tail -n 1
}
lines_ge() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }

gen "$T/long.pcap" 0 100 long
gen "$T/plain.pcap" 0 300
$C -J -r "$T/long.pcap" >"$T/long.json" 2>>"$T/quiet.err"
$C -r "$T/long.pcap" >"$T/long.ev" 2>>"$T/quiet.err"
$C -r "$T/plain.pcap" >"$T/plain.ev" 2>>"$T/quiet.err"
nlong=$(wc -l <"$T/long.json")
nplain=$(wc -l <"$T/plain.ev")
maxjson=$(awk '{ if (length($0) > m) m = length($0) } END { print m + 1 }' \
    "$T/long.json")
checkx "the captures: $nlong JSON lines up to $maxjson bytes, $nplain events" \
    '[ "$nlong" -eq 600 ] && [ "$maxjson" -gt 4096 ] && [ "$nplain" -eq 1800 ]' 

# ---------------------------------------------------------------------
# 1. a line begun on a pipe or a socket is finished, never written again
# ---------------------------------------------------------------------
drive storm-pipe storm1 -J -r "$T/long.pcap"
checkx "pipe, JSON lines over PIPE_BUF, SIGUSR1 every 2 ms: $lines lines, $bad not whole, exit $rc" \
    '[ "$lines" -eq "$nlong" ] && [ "$bad" -eq 0 ] && [ "$rc" -eq 0 ]'
drive storm-socket storm2 -J -r "$T/long.pcap"
checkx "socket, 4 KiB buffers, SIGUSR1 every 2 ms: $lines lines, $bad not whole, exit $rc" \
    '[ "$lines" -eq "$nlong" ] && [ "$bad" -eq 0 ] && [ "$rc" -eq 0 ]'

# a short write to a regular file is taken back; standard output opened
# without O_APPEND must not then leave a hole of zero bytes.  The disk
# filling up is put in by a shim, which needs a build without the
# sanitizer runtime.
CPLAIN=${CAPTURO_PLAIN:-$TOP/capturo/capturo}
cat >"$T/short.c" <<'EOF'
/* SHORT_AFTER=N: write(2) to a regular file works N times, then writes
 * half of one line, then fails with ENOSPC SHORT_FAILS - 1 times */
#define _GNU_SOURCE
#include <sys/stat.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

ssize_t
write(int fd, const void *b, size_t n)
{
	static ssize_t (*real)(int, const void *, size_t);
	static long good, bad;
	struct stat st;

	if (real == NULL)
		real = (ssize_t (*)(int, const void *, size_t))
		    dlsym(RTLD_NEXT, "write");
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && n > 1 &&
	    good++ >= atol(getenv("SHORT_AFTER")) &&
	    bad < atol(getenv("SHORT_FAILS"))) {
		if (bad++ == 0)
			return real(fd, b, n / 2);
		errno = ENOSPC;
		return -1;
	}
	return real(fd, b, n);
}
EOF
if [ -x "$CPLAIN" ] && cc -shared -fPIC -o "$T/short.so" "$T/short.c" -ldl \
    2>"$T/cc.err"; then
	# the lines of a capture file read into a file go out 64 KiB at a
	# time: the second write is the one cut short
	SHORT_AFTER=1 SHORT_FAILS=3 LD_PRELOAD="$T/short.so" $CPLAIN \
	    -r "$T/plain.pcap" >"$T/short.out" 2>"$T/short.err"
	rc=$?
	nul=$(tr -cd '\000' <"$T/short.out" | wc -c)
	checkx "stdout a file, the disk full for a moment: exit $rc, no zero byte ($nul), every event once, in order" \
	    '[ $rc -eq 0 ] && [ "$nul" -eq 0 ] && cmp -s "$T/short.out" "$T/plain.ev"'
	# the disk stays full: what waits at the end is lost, and said
	SHORT_AFTER=1 SHORT_FAILS=1000000 LD_PRELOAD="$T/short.so" $CPLAIN \
	    -r "$T/plain.pcap" -w "$T/full.log" 2>"$T/full.err"
	rc=$?
	have=$(wc -l <"$T/full.log")
	lost=$(dstat "$T/full.err" lost)
	# the first batch went out whole, every line after it is lost
	checkx "-w file, the disk full for good: $have written + lost=${lost:-?} = $nplain, exit $rc" \
	    '[ "$have" -gt 0 ] && [ "$have" -lt "$nplain" ] &&
	    [ $((have + ${lost:-0})) -eq "$nplain" ] && [ $rc -eq 1 ] &&
	    head -n "$have" "$T/plain.ev" | cmp -s - "$T/full.log"'
	checkx "-w file, the disk full for good: said in lines, before the statistics" \
	    'grep -q "full.log: ${lost:-x} event lines could not be written" "$T/full.err" &&
	    tail -n 1 "$T/full.err" | grep -q "lost=${lost:-x}\$"'
else
	skip "short write to a file: needs cc and $CPLAIN for an LD_PRELOAD shim"
fi

# ---------------------------------------------------------------------
# 2. a non-blocking standard output is waited for, not taken for a full
#    disk; a reader that stops holds capturo, but not past a SIGTERM
# ---------------------------------------------------------------------
drive nonblock nb -r "$T/plain.pcap"
checkx "O_NONBLOCK pipe, slow reader: $lines of $nplain lines, exit $rc" \
    '[ "$lines" -eq "$nplain" ] && [ "$bad" -eq 0 ] && [ "$rc" -eq 0 ]'
check "O_NONBLOCK pipe, slow reader: nothing said but the statistics" \
    [ "$(grep -vc 'packets=' "$T/nb.err")" -eq 0 ]
drive slowstop slow -J -r "$T/long.pcap"
ev=$(dstat "$T/slow.err" events)
checkx "slow reader, SIGTERM: every event made reaches it ($lines of ${ev:-?}, $bad not whole), exit $rc" \
    '[ "$lines" -eq "${ev:--1}" ] && [ "$bad" -eq 0 ] && [ "$tail" -eq 0 ] &&
    [ "$rc" -eq 0 ]'
for m in stopped stopped-nb; do
	drive $m $m -r "$T/plain.pcap"
	ev=$(dstat "$T/$m.err" events)
	lost=$(dstat "$T/$m.err" lost)
	checkx "$m reader, SIGTERM: capturo ends ${secs} s after it (at most 5 s of waiting)" \
	    'python3 -c "import sys; sys.exit(not $secs < 8)"'
	checkx "$m reader, SIGTERM: $lines whole lines + lost=${lost:-?} = events=${ev:-?}, exit $rc" \
	    '[ "$bad" -eq 0 ] && [ -n "$lost" ] && [ $((lines + lost)) -eq "${ev:--1}" ] &&
	    [ "$rc" -eq 1 ]'
	check "$m reader, SIGTERM: the loss said ($(grep -m 1 'nothing read' "$T/$m.err"))" \
	    grep -q 'nothing read for 5 s' "$T/$m.err"
done

# the signal to stop just before the wait for the reader of a full
# non-blocking pipe (a shim sends it from that poll, and makes the wait
# 30 s): the wait ends at once, and the 5 s of a stop then count
if [ -x "$CPLAIN" ] && cc -shared -fPIC -o "$T/sigat.so" "$TOP/tests/sigat.c" \
    -ldl 2>"$T/cc.err"; then
	rm -f "$T/sigat"
	rc=$(python3 - "$T" "$CPLAIN" <<'EOF'
import fcntl, os, subprocess, sys
t, c = sys.argv[1], sys.argv[2]
r, w = os.pipe()
fcntl.fcntl(w, fcntl.F_SETFL, fcntl.fcntl(w, fcntl.F_GETFL) | os.O_NONBLOCK)
env = dict(os.environ, LD_PRELOAD=t + "/sigat.so", SIGAT_FILE=t + "/sigat",
           SIGAT_MS="-1")
with open(t + "/nbsig.err", "w") as e:
    p = subprocess.Popen([c, "-r", t + "/plain.pcap"], stdout=w, stderr=e,
                         env=env)
    os.close(w)
    try:
        print(p.wait(60))
    except subprocess.TimeoutExpired:
        p.kill()
        print("killed after 60 s")
EOF
)
	took=$(sigat_took "$T/sigat")
	checkx "SIGTERM just before the wait for a stopped reader: that wait ends at once (the wait $took s), exit 1 ($rc)" \
	    '[ "$rc" = 1 ] && awk -v t="$took" "BEGIN { exit !(t != \"none\" && t < 5) }"'
	check "SIGTERM just before the wait for a stopped reader: the 5 s of a stop, the loss said" \
	    grep -q 'nothing read for 5 s' "$T/nbsig.err"
else
	skip "a signal just before the wait for a reader: needs cc and $CPLAIN for an LD_PRELOAD shim"
fi

# ---------------------------------------------------------------------
# 3. events never written are lost: counted in lost= and exit 1
# ---------------------------------------------------------------------
gen "$T/big.pcap" 1000 3000
for f in plain big; do
	$C -r "$T/$f.pcap" >/dev/full 2>"$T/dfull-$f.err"
	rc=$?
	ev=$(dstat "$T/dfull-$f.err" events)
	lost=$(dstat "$T/dfull-$f.err" lost)
	checkx "stdout /dev/full, $f: lost=${lost:-?} of events=${ev:-?}, exit $rc" \
	    '[ -n "$ev" ] && [ "$ev" -gt 0 ] && [ "$lost" = "$ev" ] && [ $rc -eq 1 ]'
	check "stdout /dev/full, $f: the statistics line comes last" \
	    sh -c "tail -n 1 '$T/dfull-$f.err' | grep -q '^capturo: packets='"
done

# ---------------------------------------------------------------------
# 4. SIGHUP while the path still names the log keeps it and its flock;
#    logrotate's create mode gives no false warning
# ---------------------------------------------------------------------
# packets through a FIFO, so that one capturo -w runs as long as needed;
# a signal is acted on at the next packet
gen "$T/h0.pcap" 2000 3
for k in 1 2 3 4; do
	gen "$T/h$k.rec" $((2000 + 100 * k)) 3 nohdr
	{ head -c 24 "$T/h0.pcap"; cat "$T/h$k.rec"; } >"$T/h$k.pcap"
done
gen "$T/nudge.rec" 0 1 nohdr nudge
mkfifo "$T/in"
$C -r "$T/in" -w "$T/H" 2>"$T/hup.err" &
cp=$!
pids="$pids $cp"
exec 3>"$T/in"
cat "$T/h0.pcap" >&3
waitfor 50 lines_ge "$T/H" 18
for n in 1 2; do
	kill -HUP $cp
	sleep 0.2
	cat "$T/nudge.rec" >&3
	sleep 0.3
	check "SIGHUP $n, the log not rotated: its flock still held" \
	    sh -c "! flock -n '$T/H' true"
	$C -r "$T/h0.pcap" -w "$T/H" 2>"$T/hup2.err"
	rc=$?
	checkx "SIGHUP $n, the log not rotated: a second capturo -w refused (exit $rc)" \
	    '[ $rc -eq 1 ] && grep -q "held by another writer" "$T/hup2.err"'
	cat "$T/h$n.rec" >&3
	waitfor 50 lines_ge "$T/H" $((18 + 18 * n))
done
# logrotate's create mode: renamed, made again, the SIGHUP of postrotate
# after the look at the path once a second has followed the new file
mv "$T/H" "$T/H.1"
install -m 640 /dev/null "$T/H"
sleep 1.2
cat "$T/h3.rec" >&3
waitfor 50 lines_ge "$T/H" 18
kill -HUP $cp
sleep 0.2
cat "$T/nudge.rec" >&3
sleep 0.3
check "rotated, SIGHUP after the switch: the new file's flock held" \
    sh -c "! flock -n '$T/H' true"
cat "$T/h4.rec" >&3
waitfor 50 lines_ge "$T/H" 36
exec 3>&-
wait $cp
rc=$?
check "SIGHUP: capturo exits 0 at the end of the FIFO (exit $rc)" [ $rc -eq 0 ]
check "SIGHUP: nothing said but the statistics ($(grep -v 'packets=' "$T/hup.err" | head -n 1))" \
    [ "$(grep -vc 'packets=' "$T/hup.err")" -eq 0 ]
for k in 0 1 2 3 4; do
	$C -r "$T/h$k.pcap" >"$T/h$k.ev" 2>>"$T/quiet.err"
done
checkx "SIGHUP: every event once, in order: 9 sessions in the old file, 6 in the new" \
    '[ "$(cat "$T/h0.ev" "$T/h1.ev" "$T/h2.ev")" = "$(cat "$T/H.1")" ] &&
    [ "$(cat "$T/h3.ev" "$T/h4.ev")" = "$(cat "$T/H")" ]'

# detengo -w writes through the same code: its report log rotated
if [ -x "$D" ]; then
	ev() {	# ev HOST: a mail event
		printf '2026-03-03T16:45:44.880222Z mail sid=0000abcd src=%s:40000 dst=203.0.113.25:25 from=w@example.org\n' "$1"
	}
	ev 198.51.100.61 >"$T/d.log"
	$D -n --from-start -w "$T/R" "$T/d.log" >/dev/null 2>"$T/d.err" &
	dp=$!
	pids="$pids $dp"
	waitfor 50 lines_ge "$T/R" 1
	mv "$T/R" "$T/R.1"
	install -m 640 /dev/null "$T/R"
	sleep 1.2
	ev 198.51.100.62 >>"$T/d.log"
	waitfor 50 lines_ge "$T/R" 1
	check "detengo -w, rotated: the new report file's flock held" \
	    sh -c "! flock -n '$T/R' true"
	kill $dp
	wait $dp
	rc=$?
	checkx "detengo -w, rotated: one block in each file, exit $rc" \
	    'grep -q "block .*host=198.51.100.61 " "$T/R.1" &&
	    grep -q "block .*host=198.51.100.62 " "$T/R" && [ $rc -eq 0 ]'
fi

# ---------------------------------------------------------------------
# 5. SIGUSR1 and SIGHUP do not end a read of a pipe; SIGTERM ends it as
#    a stop, not as a failure
# ---------------------------------------------------------------------
{ head -c 100000 "$T/plain.pcap"; sleep 1.5; tail -c +100001 "$T/plain.pcap"; } |
    $C -r - >"$T/sig.out" 2>"$T/sig.err" &
cp=$!
pids="$pids $cp"
sleep 0.7
kill -USR1 $cp
sleep 0.2
kill -HUP $cp
wait $cp
rc=$?
check "-r -, SIGUSR1 and SIGHUP while it waits for more: exit $rc" [ $rc -eq 0 ]
check "-r -, SIGUSR1 and SIGHUP: every event ($(wc -l <"$T/sig.out") of $nplain)" \
    cmp -s "$T/sig.out" "$T/plain.ev"
checkx "-r -, SIGUSR1: a statistics line, then the last one, nothing else" \
    '[ "$(grep -c "packets=" "$T/sig.err")" -eq 2 ] &&
    [ "$(wc -l <"$T/sig.err")" -eq 2 ]'
mkfifo "$T/in2"
$C -r "$T/in2" >"$T/term.out" 2>"$T/term.err" &
cp=$!
pids="$pids $cp"
exec 4>"$T/in2"
head -c 100000 "$T/plain.pcap" >&4
sleep 0.7
kill -TERM $cp
wait $cp
rc=$?
exec 4>&-
checkx "FIFO, SIGTERM while it waits for more: exit $rc, no error ($(grep -v 'packets=' "$T/term.err" | head -n 1))" \
    '[ $rc -eq 0 ] && [ "$(grep -vc "packets=" "$T/term.err")" -eq 0 ]'
checkx "FIFO, SIGTERM: every event made written ($(wc -l <"$T/term.out") of $(dstat "$T/term.err" events))" \
    '[ "$(wc -l <"$T/term.out")" -eq "$(dstat "$T/term.err" events)" ] &&
    [ "$(wc -l <"$T/term.out")" -gt 0 ]'

# ---------------------------------------------------------------------
# 6. a link type capturo does not read is refused, by its name
# ---------------------------------------------------------------------
for lt in 1 101 228 0 108 113 276; do
	gen "$T/lt$lt.pcap" 3000 3 $lt
	$C -r "$T/lt$lt.pcap" >"$T/lt$lt.out" 2>"$T/lt$lt.err"
	rc=$?
	checkx "link type $lt: read, $(wc -l <"$T/lt$lt.out") of 18 events, exit $rc" \
	    '[ $rc -eq 0 ] && [ "$(wc -l <"$T/lt$lt.out")" -eq 18 ]'
done
for x in 9:PPP 104:C_HDLC 105:IEEE802_11 189:USB_LINUX 147:147; do
	lt=${x%%:*} name=${x#*:}
	gen "$T/lt$lt.pcap" 3000 3 $lt
	$C -r "$T/lt$lt.pcap" >"$T/lt$lt.out" 2>"$T/lt$lt.err"
	rc=$?
	checkx "link type $lt: refused, exit $rc ($(head -n 1 "$T/lt$lt.err"))" \
	    '[ $rc -eq 1 ] && [ ! -s "$T/lt$lt.out" ] &&
	    grep -q "link type $name (.*) is not read" "$T/lt$lt.err" &&
	    ! grep -q "filter" "$T/lt$lt.err"'
done

# ---------------------------------------------------------------------
# 7. the arguments: a bad filter expression is a usage error (2); -p
#    and the numbers take digits only; a missing file is named once
# ---------------------------------------------------------------------
$C -r "$T/plain.pcap" 'tcp and and' >"$T/a.out" 2>"$T/a.err"
rc=$?
checkx "bad filter expression: exit $rc, said ($(head -n 1 "$T/a.err"))" \
    '[ $rc -eq 2 ] && grep -q "^capturo: bad filter expression: " "$T/a.err" &&
    [ ! -s "$T/a.out" ]'
$C -r "$T/plain.pcap" not host 198.51.100.7 >"$T/a.out" 2>>"$T/quiet.err"
rc=$?
checkx "a good filter expression: exit $rc, $(wc -l <"$T/a.out") events" \
    '[ $rc -eq 0 ] && [ "$(wc -l <"$T/a.out")" -eq $((nplain - 12)) ]'
for p in ",25," "25,,587" "+25" " 25" "25 " "25," ",25" "" "0" "65536" "-25" "25,25"; do
	$C -p "$p" -r "$T/plain.pcap" >"$T/a.out" 2>"$T/a.err"
	rc=$?
	checkx "-p '$p' refused (exit $rc)" \
	    '[ $rc -eq 2 ] && grep -q "^capturo: -p takes up to 64 ports from 1 to 65535, each once, separated by commas: " "$T/a.err" &&
	    [ ! -s "$T/a.out" ]'
done
for p in 25 25,587 025,587,2525; do
	$C -p "$p" -r "$T/plain.pcap" >"$T/a.out" 2>>"$T/quiet.err"
	rc=$?
	checkx "-p $p taken (exit $rc)" \
	    '[ $rc -eq 0 ] && cmp -s "$T/a.out" "$T/plain.ev"'
done
for o in "-T: 5" "-T:+5" "-T:5 " "-F:+100" "-s: 0" "-B:+1"; do
	$C "${o%%:*}" "${o#*:}" -r "$T/plain.pcap" >"$T/a.out" 2>"$T/a.err"
	rc=$?
	checkx "${o%%:*} '${o#*:}' refused (exit $rc)" \
	    '[ $rc -eq 2 ] && grep -q "must be a number" "$T/a.err"'
done
# an empty -i, as a unit whose variable is unset passes it: a usage error
$C -i "" >"$T/a.out" 2>"$T/a.err"
rc=$?
checkx "-i '' refused (exit $rc)" \
    '[ $rc -eq 2 ] && grep -q "^capturo: -i needs an interface name" "$T/a.err"'
$C -r "$T/nonexistent.pcap" >/dev/null 2>"$T/a.err"
rc=$?
checkx "a missing file: exit $rc, its name said once ($(head -n 1 "$T/a.err"))" \
    '[ $rc -eq 1 ] && [ "$(grep -o nonexistent.pcap "$T/a.err" | wc -l)" -eq 1 ]'
printf 'not a capture' >"$T/junk.pcap"
$C -r "$T/junk.pcap" >/dev/null 2>"$T/a.err"
rc=$?
checkx "not a capture: exit $rc, its name said once ($(head -n 1 "$T/a.err"))" \
    '[ $rc -eq 1 ] && [ "$(grep -o junk.pcap "$T/a.err" | wc -l)" -eq 1 ]'

# the sanitizer builds stop with a report on any memory error: every
# run of them sends its standard error to a file named *.err (those the
# test does not read go to quiet.err)
check "no sanitizer report in any run ($(find "$T" -name '*.err' -type f | wc -l) files)" \
    sh -c "! grep -rlq 'Sanitizer\|runtime error' '$T' --include='*.err'"
exit $fail
