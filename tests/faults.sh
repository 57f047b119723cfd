#!/bin/sh
# Faults: capturo and detengo when the world goes wrong around them.
# capturo killed with SIGKILL while it writes (detengo following), the log's
# disk full, the log removed, the log replaced by a symbolic link to
# /etc/shadow, the xtables lock held by another process, no root, no
# CAP_NET_ADMIN, no ip_tables (simulated), the interface removed, a
# signal just before capturo's wait.
# Without root only the SIGKILL and the not-root checks run.
# Every firewall change happens in a namespace named cdflt-PID-*; the
# xtables lock is a file of our own (XTABLES_LOCKFILE).
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
C=${CAPTURO:-$TOP/obj-san/bin/capturo}
D=${DETENGO:-$TOP/obj-san/bin/detengo}
# LD_PRELOAD needs a build without the sanitizer runtime
DPLAIN=${DETENGO_PLAIN:-$TOP/detengo/detengo}
CPLAIN=${CAPTURO_PLAIN:-$TOP/capturo/capturo}
T=$(mktemp -d /tmp/cdflt-$$.XXXXXX) || exit 1
# nobody must reach its own directory below
chmod 755 "$T"
MNT=""
pids=""

NS_PREFIX=cdflt-$$
. "$TOP/tests/netns.sh"
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for p in $pids; do wait "$p" 2>/dev/null; done
	ns_cleanup
	for m in $MNT; do umount -l "$m" 2>/dev/null; done
	[ -n "$FAULTS_KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT
export XTABLES_LOCKFILE="$T/xtables.lock"

CHECK_NAME=faults
. "$TOP/tests/check.sh"
[ "$(id -u)" -eq 0 ] && xt_modules
for b in "$C" "$D"; do
	[ -x "$b" ] || { nok "$b missing (make tests)"; exit 1; }
done
# the programs as nobody runs them: copies it can reach wherever the
# checkout is
C=$(runcopy "$T/bin-c" "$C") && D=$(runcopy "$T/bin-d" "$D") || exit 1
[ -x "$DPLAIN" ] && { DPLAIN=$(runcopy "$T/bin-p" "$DPLAIN") || exit 1; }

# a capture of N whole SMTP sessions, each: connect helo mail rcpt message
# close; session K comes from 198.51.100.(K%250+1) or 192.0.2.(K%250+1)
gen() { python3 "$TOP/tests/gensessions.py" "$@" twonets; }

# dstat FILE KEY: the last value of KEY= in a stats line of FILE
dstat() {
	sed -n "s/.* $2=\([0-9]*\).*/\1/p" "$1" | tail -n 1
}
rnd() {	# rnd N: 0..N-1
	echo $(( $(od -An -N2 -tu2 /dev/urandom) % $1 ))
}
lines_ge() { [ -f "$1" ] && [ "$(wc -l <"$1")" -ge "$2" ]; }

# ---------------------------------------------------------------------
# 1. capturo killed with SIGKILL while writing, detengo following
# ---------------------------------------------------------------------
gen "$T/k.pcap" 0 2000
$C -r "$T/k.pcap" >"$T/k.ref" 2>>"$T/quiet.err"
: >"$T/k.log"
$D -n --from-start -w "$T/k.out" "$T/k.log" 2>"$T/k.derr" &
dp=$!
pids="$pids $dp"
rounds=30 inj=0 i=0
while [ $i -lt $rounds ]; do
	$C -r "$T/k.pcap" -w "$T/k.log" 2>>"$T/quiet.err" &
	p=$!
	sleep "0.$(printf %03d $((5 + $(rnd 200))))"
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
	# every third round, a writer of another make dies mid-line: a
	# piece of a real line without its newline, which the next capturo
	# must end before it writes (only when the log ends with a newline,
	# else two half lines would be glued by the test itself)
	if [ $((i % 3)) -eq 1 ] && [ "$(tail -c 1 "$T/k.log" | od -An -c |
	    tr -d ' ')" = '\n' ]; then
		l=$(sed -n "$((1 + $(rnd 12000)))p" "$T/k.ref")
		printf '%s' "$l" | head -c $((10 + $(rnd $((${#l} - 10))))) \
		    >>"$T/k.log"
		inj=$((inj + 1))
	fi
	i=$((i + 1))
done
# the last run ends the capture
$C -r "$T/k.pcap" -w "$T/k.log" 2>>"$T/quiet.err"
total=$(wc -l <"$T/k.log")
caught() {
	kill -USR1 $dp
	sleep 0.2
	[ "$(dstat "$T/k.derr" lines)" = "$total" ]
}
waitfor 300 caught
kill $dp
wait $dp
check "SIGKILL: detengo following exits 0 on SIGTERM" [ $? -eq 0 ]
python3 - "$T/k.ref" "$T/k.log" "$T/k.half" >"$T/k.py" <<'EOF'
import bisect, sys
ref = sorted(set(open(sys.argv[1], 'rb').read().splitlines()))
data = open(sys.argv[2], 'rb').read()
whole = half = glued = 0
with open(sys.argv[3], 'wb') as h:
    for ln in data.splitlines():
        i = bisect.bisect_left(ref, ln)
        if i < len(ref) and ref[i] == ln:
            whole += 1
        elif i < len(ref) and ref[i].startswith(ln):
            half += 1
            h.write(ln + b'\n')
        else:
            glued += 1
print(whole, half, glued, 1 if data.endswith(b'\n') else 0)
EOF
read -r whole half glued nl <"$T/k.py"
note "SIGKILL: $rounds kills, $inj half lines put in, log $total lines:" \
    "$whole whole, $half half, $glued neither"
checkx "SIGKILL: every line of the log is a whole event or a piece of one, the last ended" \
    '[ "$glued" -eq 0 ] && [ "$nl" -eq 1 ]'
check "SIGKILL: each half line was ended by the next capturo's open ($half >= $inj)" \
    [ "$half" -ge "$inj" ]
check "SIGKILL: detengo read every line once ($(dstat "$T/k.derr" lines) = $total)" \
    [ "$(dstat "$T/k.derr" lines)" = "$total" ]
$D -n --once --from-start "$T/k.half" >/dev/null 2>"$T/k.herr"
$D -n --once --from-start "$T/k.log" >"$T/k.once" 2>"$T/k.oerr"
hm=$(dstat "$T/k.herr" malformed)
check "SIGKILL: malformed lines ($(dstat "$T/k.derr" malformed)) are the half lines that do not parse ($hm)" \
    [ "$(dstat "$T/k.derr" malformed)" = "$hm" ]
check "SIGKILL: following gave the decisions of one read of the final log" \
    [ "$(cut -d' ' -f2- "$T/k.out" | sort | md5sum)" = \
    "$(cut -d' ' -f2- "$T/k.once" | sort | md5sum)" ]
sed -n 's/.* src=\([0-9.]*\):.*/\1/p' "$T/k.ref" | sort -u >"$T/k.hosts"
sed -n 's/.* host=\([^ ]*\).*/\1/p' "$T/k.out" | sort -u >"$T/k.named"
checkx "SIGKILL: every host detengo names is in the capture ($(wc -l <"$T/k.named") hosts)" \
    '[ -s "$T/k.named" ] && [ -z "$(comm -13 "$T/k.hosts" "$T/k.named")" ]'
# the machine's own addresses are never blocked (a test range may be one)
ip -o addr show 2>/dev/null | awk '{ sub("/.*", "", $4); print $4 }' |
    sort -u >"$T/k.own"
nb=$(comm -23 "$T/k.hosts" "$T/k.own" | wc -l)
checkx "SIGKILL: each of the capture's hosts blocked exactly once ($nb, the machine's own skipped)" \
    '[ "$(grep -c " block " "$T/k.out")" -eq $nb ] &&
    [ "$(sed -n "s/.* block .* host=\([^ ]*\).*/\1/p" "$T/k.out" |
    sort -u | wc -l)" -eq $nb ]'

# ---------------------------------------------------------------------
# 2. not root: setpriv to nobody (or the caller himself without root)
# ---------------------------------------------------------------------
NB=$T/nobody
mkdir "$NB"
gen "$NB/one.pcap" 7 1
$C -r "$NB/one.pcap" >"$NB/ev.log" 2>>"$T/quiet.err"
if [ "$(id -u)" -eq 0 ]; then
	chown nobody:nogroup "$NB"
	asnobody() { setpriv --reuid nobody --regid nogroup --clear-groups "$@"; }
	IF=lo
else
	asnobody() { "$@"; }
	IF=lo
fi
asnobody $C -i $IF -w "$NB/cap.log" >/dev/null 2>"$NB/cerr"
rc=$?
check "not root: capturo -i exits 1 (exit $rc)" [ $rc -eq 1 ]
check "not root: capturo names CAP_NET_RAW ($(head -n 1 "$NB/cerr"))" \
    grep -q 'CAP_NET_RAW' "$NB/cerr"
asnobody env XTABLES_LOCKFILE="$NB/xt.lock" $D --once --from-start \
    -s "$NB/state" "$NB/ev.log" >/dev/null 2>"$NB/derr"
rc=$?
check "not root: detengo exits 4 (exit $rc)" [ $rc -eq 4 ]
check "not root: detengo names root and CAP_NET_ADMIN ($(head -n 1 "$NB/derr"))" \
    grep -q 'root.*CAP_NET_ADMIN' "$NB/derr"
# the machine's lock is root's, mode 0600: that is where it stops first
if [ -e /run/xtables.lock ] && [ "$(id -u)" -eq 0 ]; then
	asnobody env -u XTABLES_LOCKFILE $D --once --from-start \
	    -s "$NB/state" "$NB/ev.log" >/dev/null 2>"$NB/derr2"
	rc=$?
	checkx "not root, machine lock: exit 4 naming root ($(head -n 1 "$NB/derr2"))" \
	    '[ $rc -eq 4 ] && grep -q "xtables.lock.*root" "$NB/derr2"'
fi

if [ "$(id -u)" -ne 0 ]; then
	skip "the rest needs root (namespaces, tmpfs, iptables)"
	exit $fail
fi
for c in tcpreplay iptables-legacy setpriv flock unshare; do
	if ! command -v $c >/dev/null 2>&1; then
		nok "$c missing (sh tests/deps.sh installs it): the root tests do not run"
		exit $fail
	fi
done

# one namespace: capturo on va sees what tcpreplay sends on vb
ns_new cap
ns_link cap va - cap vb -
NS=$(ns_name cap)
inns() { ip netns exec "$NS" "$@"; }
# replay FIRST N [PPS]: N sessions from session FIRST on the wire
replay() {
	gen "$T/r$1.pcap" "$1" "$2"
	send "$@"
}
# send FIRST N [PPS]: replay a capture gen made already
send() {
	inns tcpreplay -q -i vb --pps="${3:-2000}" "$T/r$1.pcap" \
	    >/dev/null 2>&1
}
# norm: an event line without its time and sid, which come from the
# capture's clock
norm() { cut -d' ' -f2- | sed 's/ sid=[0-9a-f]*//'; }
# ref FIRST N: what capturo reports of those sessions, normalized
ref() {
	gen "$T/r$1.pcap" "$1" "$2"
	$C -r "$T/r$1.pcap" 2>>"$T/quiet.err" | norm
}
# cnt FILE TEXT
cnt() { grep -c -- "$2" "$1" 2>/dev/null || :; }
parses() {	# every line of FILE is a well-formed event
	$D -n --once --from-start "$1" >/dev/null 2>"$T/parse.err"
	[ "$(dstat "$T/parse.err" malformed)" = 0 ] &&
	    [ "$(dstat "$T/parse.err" lines)" = "$(wc -l <"$1")" ]
}
endsnl() { [ ! -s "$1" ] || [ "$(tail -c 1 "$1" | od -An -tx1 | tr -d ' ')" = 0a ]; }

# ---------------------------------------------------------------------
# 3. the interface removed under capturo
# ---------------------------------------------------------------------
ns_link cap vc - cap vd -
ns_bg cap $C -i vc -w "$T/if.log" 2>"$T/if.err"
p=$NS_LASTPID
sleep 0.5
ip -n "$NS" link del vd
t0=$(date +%s%N)
waitfor 30 sh -c "! kill -0 $p 2>/dev/null"
wait $p
rc=$?
ns_forget $p
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
check "interface removed: capturo exits 1 after ${ms} ms (exit $rc)" [ $rc -eq 1 ]
check "interface removed: reported ($(grep -v 'listening\|packets=' "$T/if.err" | head -n 1))" \
    grep -q 'vc: ' "$T/if.err"

# ---------------------------------------------------------------------
# 4. the log's disk full
# ---------------------------------------------------------------------
F=$T/full
mkdir "$F"
if mount -t tmpfs -o size=64k,mode=0755 tmpfs "$F"; then
	MNT="$MNT $F"
	# 56 KiB of filler leave 8 KiB: 60 sessions make 48 KiB of events
	dd if=/dev/zero of="$F/filler" bs=4096 count=14 2>/dev/null
	ns_bg cap $C -i va -w "$F/log" 2>"$T/full.err"
	p=$NS_LASTPID
	sleep 0.5
	replay 1000 60
	sleep 0.5
	kill -USR1 $p
	sleep 0.3
	check "disk full: capturo keeps running" kill -0 $p
	check "disk full: the failure reported once ($(cnt "$T/full.err" 'No space left'))" \
	    [ "$(cnt "$T/full.err" 'No space left')" -eq 1 ]
	checkx "disk full: counted (delayed=$(dstat "$T/full.err" delayed) lost=$(dstat "$T/full.err" lost))" \
	    '[ "$(dstat "$T/full.err" delayed)" -gt 0 ] &&
	    [ "$(dstat "$T/full.err" lost)" -eq 0 ]'
	checkx "disk full: no half line: every line parses, the file ends with a newline ($(wc -c <"$F/log") bytes)" \
	    'parses "$F/log" && endsnl "$F/log"'
	rm "$F/filler"
	waitfor 30 lines_ge "$F/log" 360
	ref 1000 60 >"$T/full.want"
	norm <"$F/log" >"$T/full.got"
	check "disk full: space freed: the delayed events written within a second, all 360 in order" \
	    cmp -s "$T/full.want" "$T/full.got"
	check "disk full: says so ($(grep 'writable again' "$T/full.err"))" \
	    grep -q 'writable again: [1-9][0-9]* lines were delayed, 0 lost' \
	    "$T/full.err"
	check "disk full: the file parses after the backlog" parses "$F/log"
	ns_stop $p
else
	skip "disk full: cannot mount a tmpfs"
fi
# more than the backlog (1 MiB) waits: the excess is lost and counted
F2=$T/full2
mkdir "$F2"
if mount -t tmpfs -o size=2m,mode=0755 tmpfs "$F2"; then
	MNT="$MNT $F2"
	dd if=/dev/zero of="$F2/filler" bs=4096 count=510 2>/dev/null
	ns_bg cap $C -B 65536 -i va -w "$F2/log" 2>"$T/full2.err"
	p=$NS_LASTPID
	sleep 0.5
	# 9,600 events of about 137 bytes: 1.3 MB
	replay 3000 1600 20000
	# the stats line, until it counts a loss that no longer grows (a
	# slow machine reads the replay later)
	i=0 prev=-1
	while :; do
		sleep 0.3
		kill -USR1 $p
		sleep 0.2
		lostnow=$(dstat "$T/full2.err" lost)
		{ [ "${lostnow:-0}" -gt 0 ] && [ "$lostnow" = "$prev" ]; } ||
		    [ $i -ge $((10 * TIME_SCALE)) ] && break
		prev=${lostnow:-0}
		i=$((i + 1))
	done
	check "disk full, backlog over 1 MiB: lost counted while full (lost=$lostnow)" \
	    [ "${lostnow:-0}" -gt 0 ]
	rm "$F2/filler"
	sleep 1.5
	ns_stop $p
	have=$(wc -l <"$F2/log")
	check "disk full, backlog over 1 MiB: written + lost = 9600 events ($have + $lostnow)" \
	    [ $((have + lostnow)) -eq 9600 ]
	check "disk full, backlog over 1 MiB: the file parses" parses "$F2/log"
	check "disk full, backlog over 1 MiB: the exit stats line still counts the lost events (lost=$(dstat "$T/full2.err" lost))" \
	    [ "$(dstat "$T/full2.err" lost)" = "$lostnow" ]
else
	skip "disk full over the backlog: cannot mount a tmpfs"
fi

# ---------------------------------------------------------------------
# 5. the log removed, then replaced by a symbolic link
# ---------------------------------------------------------------------
L=$T/live/log
mkdir "$T/live"
ns_bg cap $C -i va -w "$L" 2>"$T/live.err"
p=$NS_LASTPID
sleep 0.5
replay 5000 5
waitfor 20 lines_ge "$L" 30
check "removed: 5 sessions logged before" [ "$(wc -l <"$L")" -eq 30 ]
# made before the clock starts: under load making them takes seconds
k=5100
while [ $k -lt 5112 ]; do
	gen "$T/r$k.pcap" $k 1
	k=$((k + 1))
done
rm "$L"
t0=$(date +%s.%N)
# one session every 0.2 s for 2.4 s
k=5100 rp=""
while [ $k -lt 5112 ]; do
	send $k 1 &
	rp="$rp $!"
	sleep 0.2
	k=$((k + 1))
done
for q in $rp; do wait $q; done
sleep 0.3
check "removed: capturo keeps running" kill -0 $p
checkx "removed: the file made again" '[ -f "$L" ] && [ ! -L "$L" ]'
first=$(head -n 1 "$L" 2>/dev/null | cut -d' ' -f1)
delay=$(python3 -c 'import sys, datetime
t = datetime.datetime.strptime(sys.argv[1], "%Y-%m-%dT%H:%M:%S.%fZ")
t = t.replace(tzinfo=datetime.timezone.utc).timestamp()
print("%.2f" % (t - float(sys.argv[2])))' "$first" "$t0" 2>/dev/null)
check "removed: noticed within about a second (first event in the new file ${delay:-?} s after)" \
    python3 -c "import sys; sys.exit(not float('${delay:-9}') <= 1.3)"
n=$(cnt "$L" ' close ')
note "removed: $n of 12 sessions reached the new file; the others, sent" \
    "before capturo looked, went to the removed file, uncounted"
# sessions sent 1.4 s and more after the removal: all in the new file
norm <"$L" >"$T/del.got"
late=0
for k in 5107 5108 5109 5110 5111; do
	ref $k 1 >"$T/del.want"
	grep -qxF -f "$T/del.want" "$T/del.got" &&
	    [ "$(grep -cxF -f "$T/del.want" "$T/del.got")" -eq 6 ] &&
	    late=$((late + 1))
done
check "removed: every event from 1.4 s after the removal on lands in the new file ($late of 5 sessions)" \
    [ $late -eq 5 ]
check "removed: the new file parses" parses "$L"

# the same, a link planted in its place: first to a decoy, then to /etc/shadow
for target in "$T/decoy" /etc/shadow; do
	[ "$target" = "$T/decoy" ] && echo 'decoy' >"$T/decoy"
	[ "$target" = /etc/shadow ] && [ "$(cat "$T/decoy")" != decoy ] && {
		nok "symlink: the decoy was written: /etc/shadow not tried"
		break
	}
	sum=$(sha256sum "$target" | cut -d' ' -f1)
	before=$(cnt "$T/live.err" 'symbolic link')
	rm -f "$L"
	ln -s "$target" "$L"
	sleep 1.1
	replay 6000 3
	sleep 1.2
	replay 6010 3
	sleep 0.5
	check "symlink to $target: refused and reported once" \
	    [ $(($(cnt "$T/live.err" 'symbolic link') - before)) -eq 1 ]
	check "symlink to $target: capturo keeps capturing" kill -0 $p
	check "symlink to $target: untouched (sha256)" \
	    [ "$(sha256sum "$target" | cut -d' ' -f1)" = "$sum" ]
	checkx "symlink to $target: the link left as it was" \
	    '[ -L "$L" ] && [ "$(readlink "$L")" = "$target" ]'
	rm "$L"
	sleep 1.1
	replay 6020 1
	waitfor 30 lines_ge "$L" 42
	checkx "symlink to $target removed: a new regular file" \
	    '[ -f "$L" ] && [ ! -L "$L" ]'
	{ ref 6000 3; ref 6010 3; ref 6020 1; } >"$T/sym.want"
	check "symlink to $target removed: the 36 events held and the new ones written, in order" \
	    [ "$(norm <"$L")" = "$(cat "$T/sym.want")" ]
	check "symlink to $target removed: 'open again' said" \
	    [ "$(cnt "$T/live.err" 'open again')" -ge 1 ]
done
ns_stop $p

# ---------------------------------------------------------------------
# 6. the xtables lock held by another process for 10 s
# ---------------------------------------------------------------------
ns_new fw
FW=$(ns_name fw)
infw() { ip netns exec "$FW" "$@"; }
# iptables-legacy with a lock of its own, so that it never waits for ours
ipt() { infw env XTABLES_LOCKFILE="$T/other.lock" iptables-legacy "$@"; }
ev() {	# ev HOST: a mail event
	printf '2026-03-03T16:45:44.880222Z mail sid=0000abcd src=%s:40000 dst=203.0.113.25:25 from=w@example.org\n' "$1"
}
hold() {	# hold SECONDS: flock XTABLES_LOCKFILE, holder's PID in $holder
	flock -x "$XTABLES_LOCKFILE" sleep "$1" &
	holder=$!
	pids="$pids $holder"
	# until it is held: a slow machine takes longer to start flock
	_i=0
	while flock -n "$XTABLES_LOCKFILE" true && [ $_i -lt 200 ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
}
blocked() { ipt -S FORWARD | grep -q -- "-s $1/32 .*-j DROP"; }
# unblocked HOST: FORWARD was read (iptables-legacy -S exit 0, the chain's
# policy line) and no rule names HOST; a failing command is no evidence
unblocked() {
	ipt -S FORWARD >"$T/fw.now" && grep -q '^-P FORWARD ' "$T/fw.now" &&
	    ! grep -q -- "-s $1/32 " "$T/fw.now"
}

ev 198.51.100.60 >"$T/lk.log"
hold 4
infw $D -W 2 --once --from-start -s "$T/lk.state" "$T/lk.log" \
    >/dev/null 2>"$T/lk.err"
rc=$?
checkx "xtables lock held at start, -W 2: exit 4 naming the holder ($(head -n 1 "$T/lk.err"))" \
    '[ $rc -eq 4 ] && grep -q "lock held by pid $holder" "$T/lk.err"'
wait $holder

for w in "" 3; do
	h=198.51.100.6${w:-1}
	: >"$T/lk$w.log"
	# not through a function: $! must be detengo itself
	ip netns exec "$FW" $D ${w:+-W $w} -s "$T/lk$w.state" "$T/lk$w.log" \
	    >"$T/lk$w.out" 2>"$T/lk$w.err" &
	dp=$!
	pids="$pids $dp"
	following $dp
	hold 10
	t0=$(date +%s%N)
	ev $h >>"$T/lk$w.log"
	sleep 5
	checkx "xtables lock held 10 s (-W ${w:-10}): no rule while it is held" \
	    'unblocked $h'
	wait $holder
	rel=$(date +%s%N)
	waitfor 50 blocked $h
	t1=$(date +%s%N)
	checkx "xtables lock held 10 s (-W ${w:-10}): blocked $(( (t1 - rel) / 1000000 )) ms after the release, $(( (t1 - t0) / 1000000 )) ms after the event" \
	    'blocked $h && within $(( (t1 - rel) / 1000000 )) 2500'
	check "xtables lock held 10 s (-W ${w:-10}): the block reported" \
	    waitfor 10 grep -q " block .*host=$h " "$T/lk$w.out"
	if [ -n "$w" ]; then
		check "xtables lock held 10 s (-W $w): the wait reported, holder named ($(grep -m 1 'lock held' "$T/lk$w.err"))" \
		    grep -q "lock held by pid $holder" "$T/lk$w.err"
	fi
	kill $dp
	wait $dp
	check "xtables lock held 10 s (-W ${w:-10}): detengo exits 0 on SIGTERM after" [ $? -eq 0 ]
done
# the machine-wide default, in a private /run so that the real lock is
# never held
ev 198.51.100.63 >"$T/lk4.log"
infw env -u XTABLES_LOCKFILE unshare -m sh -c "mount -t tmpfs tmpfs /run &&
    { flock -x /run/xtables.lock sleep 3 & sleep 0.3;
    $D -W 1 --once --from-start -s $T/lk4.state $T/lk4.log; }" \
    >/dev/null 2>"$T/lk4.err"
rc=$?
checkx "no XTABLES_LOCKFILE: /run/xtables.lock is the lock (exit $rc, $(head -n 1 "$T/lk4.err"))" \
    '[ $rc -eq 4 ] && grep -q /run/xtables.lock "$T/lk4.err"'

# ---------------------------------------------------------------------
# 7. root without CAP_NET_ADMIN
# ---------------------------------------------------------------------
ev 198.51.100.70 >"$T/cap.log"
infw setpriv --inh-caps=-net_admin --bounding-set=-net_admin \
    $D --once --from-start -s "$T/cap.state" "$T/cap.log" \
    >/dev/null 2>"$T/cap.err"
rc=$?
check "no CAP_NET_ADMIN: exit 4 (exit $rc)" [ $rc -eq 4 ]
check "no CAP_NET_ADMIN: says what to fix ($(head -n 1 "$T/cap.err"))" \
    grep -q 'CAP_NET_ADMIN' "$T/cap.err"
checkx "no CAP_NET_ADMIN: no rule" 'unblocked 198.51.100.70'

# ---------------------------------------------------------------------
# 8. no ip_tables: the kernel's answer (ENOPROTOOPT) put in by a shim
# ---------------------------------------------------------------------
if command -v cc >/dev/null 2>&1 && [ -x "$DPLAIN" ]; then
	cat >"$T/noipt.c" <<'EOF'
/* getsockopt(IPT_SO_GET_INFO) as a kernel without ip_tables answers it */
#define _GNU_SOURCE
#include <sys/socket.h>
#include <netinet/in.h>
#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>

int
getsockopt(int fd, int level, int name, void *val, socklen_t *len)
{
	static int (*real)(int, int, int, void *, socklen_t *);
	const char *f = getenv("NOIPT");

	if (name == 64 && f != NULL && ((level == IPPROTO_IP && *f == '4') ||
	    (level == IPPROTO_IPV6 && *f == '6'))) {
		errno = ENOPROTOOPT;
		return -1;
	}
	if (real == NULL)
		real = (int (*)(int, int, int, void *, socklen_t *))
		    dlsym(RTLD_NEXT, "getsockopt");
	return real(fd, level, name, val, len);
}
EOF
	if cc -shared -fPIC -o "$T/noipt.so" "$T/noipt.c" -ldl 2>"$T/cc.err"; then
		ev 198.51.100.80 >"$T/ni.log"
		infw env LD_PRELOAD="$T/noipt.so" NOIPT=4 $DPLAIN --once \
		    --from-start -s "$T/ni.state" "$T/ni.log" >/dev/null \
		    2>"$T/ni.err"
		rc=$?
		check "no ip_tables (simulated): exit 4 (exit $rc)" [ $rc -eq 4 ]
		check "no ip_tables (simulated): names the modules ($(head -n 1 "$T/ni.err"))" \
		    grep -q 'load the ip_tables and iptable_filter' "$T/ni.err"
		infw env LD_PRELOAD="$T/noipt.so" NOIPT=6 $DPLAIN --once \
		    --from-start -s "$T/ni6.state" "$T/ni.log" >/dev/null \
		    2>"$T/ni6.err"
		rc=$?
		checkx "no ip6_tables (simulated): IPv4 still blocked, exit 0 (exit $rc)" \
		    '[ $rc -eq 0 ] && blocked 198.51.100.80'
		check "no ip6_tables (simulated): says IPv6 hosts will not be blocked" \
		    grep -q 'ip6_tables.*IPv6 hosts will not be blocked' "$T/ni6.err"
	else
		skip "no ip_tables: the getsockopt shim does not build ($(head -n 1 "$T/cc.err"))"
	fi
else
	skip "no ip_tables: needs cc and $DPLAIN for an LD_PRELOAD shim (a module cannot be unloaded in a test)"
fi
# ---------------------------------------------------------------------
# 9. a signal just before the wait: capturo's loop had looked at its
#    flags, then polls for a second; the self-pipe ends that wait at once
# ---------------------------------------------------------------------
if [ "$(id -u)" -ne 0 ]; then
	skip "capturo: a signal just before the wait: needs root (a capture in a namespace)"
elif ! command -v cc >/dev/null 2>&1 || [ ! -x "$CPLAIN" ]; then
	nok "capturo: a signal just before the wait: needs cc and $CPLAIN (make all) for an LD_PRELOAD shim"
elif ! cc -shared -fPIC -o "$T/sigat.so" "$TOP/tests/sigat.c" -ldl 2>"$T/cc.err"; then
	nok "capturo: the poll shim does not build ($(head -n 1 "$T/cc.err"))"
else
	rm -f "$T/sigat"
	ns_exec cap timeout 60 env LD_PRELOAD="$T/sigat.so" \
	    SIGAT_FILE="$T/sigat" $CPLAIN -i lo -w "$T/sigat.log" 2>"$T/sigat.err"
	rc=$?
	took=$(sigat_took "$T/sigat")
	checkx "capturo: SIGTERM just before a wait of 30 s: the wait ends at once, exit 0 (exit $rc, the wait $took s)" \
	    '[ $rc -eq 0 ] && awk -v t="$took" "BEGIN { exit !(t != \"none\" && t < 5) }"'
fi
# the sanitizer builds stop with a report on any memory error: every
# run of them sends its standard error to a file named *err* (those
# the test does not read go to quiet.err)
check "no sanitizer report in any run ($(find "$T" -name '*err*' -type f | wc -l) files)" \
    sh -c "! grep -rlq 'Sanitizer\|runtime error' '$T' --include='*err*'"
exit $fail
