#!/bin/sh
# detengo --why, and the start-up checks of -e and -M: what an operator
# asks and mistypes.  Runs without root (dry runs with a state file); as
# root the blocks are real, in a private network namespace.
cd "$(dirname "$0")/.." || exit 1
D=${DETENGO:-./obj-san/bin/detengo}
T=$(mktemp -d) || exit 1
NS=""
cleanup() {
	[ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
	rm -rf "$T"
}
trap cleanup EXIT INT TERM
export XTABLES_LOCKFILE="$T/xtables.lock"

. tests/check.sh
CHECK_NAME=why
_cn="why: "

# ev NAME HOST SECOND [KEYS]: a well-formed event line from HOST
n=0
ev() {
	n=$((n + 1))
	printf '2026-03-03T16:45:%02d.%06dZ %s sid=%08x src=%s:4%04d dst=203.0.113.25:25 mac=52:54:00:6a:19:%02x %s\n' \
	    "$3" "$n" "$1" "$n" "$2" "$n" "$n" "$4"
}

# --- mistakes refused at start, exit 2, naming what to fix ---
printf '#!/bin/sh\necho "$@" >>%s/ran\n' "$T" >"$T/prog"
chmod 755 "$T/prog"
cp "$T/prog" "$T/noexec"
chmod 644 "$T/noexec"
: >"$T/empty.log"
refused() {	# refused WHAT PATTERN ARGS...: exit 2 and a message
	_what=$1 _pat=$2
	shift 2
	$D -n --once -s "$T/st0" "$@" "$T/empty.log" >/dev/null 2>"$T/err"
	_rc=$?
	if [ $_rc -eq 2 ] && grep -q -- "$_pat" "$T/err"; then
		ok "$_what: exit 2, $(head -n 1 "$T/err")"
	else
		nok "$_what: exit $_rc, $(head -n 1 "$T/err")"
	fi
}
refused "-e relative" "absolute path" -e prog
refused "-e missing" "No such file" -e "$T/none"
refused "-e a directory" "not a regular file" -e "$T"
refused "-e not executable" "chmod" -e "$T/noexec"
refused "-M in a missing directory" "make the directory" -M "$T/none/d.prom"
refused "-M not .prom" "must end in .prom" -M "$T/d.txt"
refused "--exec-timeout 0" "exec-timeout" --exec-timeout 0 -e "$T/prog"
$D -s "$T/st0" --why no-such-host >"$T/out" 2>"$T/err"
checkx "--why of a name that is not an address: exit 2" \
    '[ $? -eq 2 ] && grep -q "not an address" "$T/err"'

# -M's directory gone once running: one warning, and the blocks go on
mkdir "$T/md"
: >"$T/m.log"
$D -n -s "$T/stm" -M "$T/md/d.prom" "$T/m.log" >"$T/mout" 2>"$T/merr" &
mp=$!
waitfor 100 test -s "$T/md/d.prom"
rm -rf "$T/md"
ev mail 192.0.2.90 30 from=a@example.org >>"$T/m.log"
ev mail 192.0.2.91 31 from=a@example.org >>"$T/m.log"
waitfor 100 grep -q "host=192.0.2.91 " "$T/mout"
kill $mp
wait $mp
mrc=$?
checkx "-M's directory removed while running: the blocks go on, exit $mrc" \
    '[ $mrc -eq 0 ] && grep -q "host=192.0.2.90 " "$T/mout" &&
     grep -q "host=192.0.2.91 " "$T/mout"'
checkx "and one warning that names the file" \
    '[ "$(grep -c "md/d.prom: cannot write the metrics" "$T/merr")" -eq 1 ]' ||
    sed 's/^/#   /' "$T/merr"

# --- a dry run with a state file: the evidence of each block ---
{
	ev mail 198.51.100.10 01 from=a@example.org
	ev rcpt 198.51.100.10 02 to=b@example.net
	ev mail 198.51.100.20 03 'from="x y"@example.org'
	ev rcpt 198.51.100.10 04 to=c@example.net
	ev rcpt 198.51.100.10 05 to=d@example.net
	ev rcpt 198.51.100.10 06 to=e@example.net
	ev mail 198.51.100.30 07 from=allowed@example.org
} >"$T/a.log"
printf '# the mail server\n\n198.51.100.30/32\n' >"$T/allow.txt"
$D -n --once --from-start -s "$T/st" -t 3/60 -T mail,rcpt -A "$T/allow.txt" \
    -e "$T/prog" -M "$T/d.prom" "$T/a.log" >"$T/aout" 2>"$T/aerr"
check "a dry run runs no notice" [ ! -e "$T/ran" ]
checkx "a dry run writes its metrics" \
    'grep -q "^detengo_lines_total 7$" "$T/d.prom" &&
     grep -q "^detengo_blocks_total{reason=\"rcpt\"} 1$" "$T/d.prom"'
mac4=$(sed -n 's/^2026-03-03T16:45:04\.[0-9]*Z rcpt .* mac=\([^ ]*\) .*/\1/p' "$T/a.log")
checkx "the block line names its trigger and the MAC of the line that decided" \
    '[ -n "$mac4" ] &&
     grep -q " block .* mac=$mac4 host=198.51.100.10 .* reason=rcpt$" "$T/aout"'
$D -s "$T/st" --why 198.51.100.10 >"$T/w1" 2>&1
checkx "--why of a blocked host: blocked, its trigger and threshold" \
    'grep -q "^198.51.100.10 is blocked$" "$T/w1" &&
     grep -q "^trigger: rcpt, 3 of them within 60 s$" "$T/w1"'
checkx "--why: the three lines that led to it, oldest first" \
    '[ "$(grep -c "^  2026-03-03T16:45:" "$T/w1")" -eq 3 ] &&
     grep "^  " "$T/w1" | head -n 1 | grep -q " mail .*from=a@example.org$" &&
     grep "^  " "$T/w1" | tail -n 1 | grep -q " rcpt .*to=c@example.net$" &&
     ! grep -q "198.51.100.20" "$T/w1"' || cat "$T/w1"
$D -s "$T/st" --why 198.51.100.20 >"$T/w2" 2>&1
checkx "--why of a host counted but not blocked: not blocked, not allowed" \
    'grep -q "^198.51.100.20 is not blocked$" "$T/w2" &&
     grep -q "not on the allow list" "$T/w2"'
$D -s "$T/st" -A "$T/allow.txt" --why 198.51.100.30 >"$T/w3" 2>&1
checkx "--why of an allowed host names the allow file's line" \
    'grep -q "never blocked: on the allow list: $T/allow.txt, line 3: 198.51.100.30/32" "$T/w3"' ||
    cat "$T/w3"
$D -s "$T/st" -a 198.51.100.0/24 --why 198.51.100.99 >"$T/w4" 2>&1
checkx "--why of a host under -a names the prefix" \
    'grep -q "never blocked: on the allow list: -a 198.51.100.0/24" "$T/w4"'
$D -s "$T/st" --why ::1 >"$T/w5" 2>&1
checkx "--why of a special address" 'grep -q "a special address" "$T/w5"'
$D -s "$T/st" --why ::ffff:198.51.100.10 >"$T/w6" 2>&1
checkx "--why takes the address as written in another form" \
    'grep -q "^198.51.100.10 is blocked$" "$T/w6"'

# a state file from before the evidence: it loads, and --why says so
printf 'detengo-state 1\nblock 192.0.2.50 1772556344 0\n' >"$T/old"
chmod 600 "$T/old"
$D -s "$T/old" --why 192.0.2.50 >"$T/w7" 2>&1
checkx "an old state file: blocked, no evidence kept" \
    'grep -q "^192.0.2.50 is blocked$" "$T/w7" &&
     grep -q "since 2026-03-03T16:45:44Z, until never" "$T/w7" &&
     grep -q "no evidence kept" "$T/w7"' || cat "$T/w7"

# the evidence file: the owner's alone, and a line that tries to forge a
# record stays one line of evidence
{
	ev mail 192.0.2.60 10 'from="a\nblock 192.0.2.61 1 0 mail 1/1"@example.org'
} >"$T/f.log"
$D -n --once --from-start -s "$T/sf" "$T/f.log" >/dev/null 2>&1
$D -s "$T/sf" --why 192.0.2.61 >"$T/w8" 2>&1
checkx "a forged record in an event line blocks and shows no one else" \
    'grep -q "^192.0.2.61 is not blocked$" "$T/w8" && ! grep -q "its last block" "$T/w8"'
checkx "the evidence file is mode 0600" \
    '[ "$(stat -c %a "$T/sf.why")" = 600 ]'

# long lines are kept whole: two of 1,600 bytes, the first from the
# lines kept in memory for -t
long=$(printf '%1500s' | tr ' ' a)
{
	ev mail 192.0.2.70 11 "from=$long@example.org"
	ev mail 192.0.2.70 12 "from=b$long@example.org"
} >"$T/l.log"
$D -n --once --from-start -s "$T/sl" -t 2/60 "$T/l.log" >/dev/null 2>&1
$D -s "$T/sl" --why 192.0.2.70 >"$T/w9" 2>&1
checkx "--why: two lines of 1,600 bytes, whole" \
    '[ "$(grep -c "^  2026-03-03T16:45:1[12]\..* from=b\{0,1\}$long@example.org$" "$T/w9")" -eq 2 ]'

# --- as root: real blocks, the lift on record ---
if [ "$(id -u)" -ne 0 ]; then
	skip "real blocks in a namespace: needs root"
	exit 0
fi
NS=cdwhy-$$
ip netns add "$NS" || { nok "ip netns add"; exit 1; }
inns() { ip netns exec "$NS" "$@"; }
xt_modules
ev mail 192.0.2.70 20 from=w@example.org >"$T/r.log"
inns $D --once --from-start -s "$T/sr" -e "$T/prog" "$T/r.log" >"$T/rout" 2>"$T/rerr"
checkx "a real block runs its notice: block HOST mail" \
    'grep -q "^block 192.0.2.70 mail$" "$T/ran"' || cat "$T/rerr"
inns $D -s "$T/sr" -e "$T/prog" --unblock 192.0.2.70 >/dev/null 2>&1
checkx "--unblock runs its notice: unblock HOST manual" \
    'grep -q "^unblock 192.0.2.70 manual$" "$T/ran"'
$D -s "$T/sr" --why 192.0.2.70 >"$T/w9" 2>&1
checkx "--why after a lift: not blocked, its last block, lifted by hand" \
    'grep -q "^192.0.2.70 is not blocked$" "$T/w9" &&
     grep -q "^its last block since" "$T/w9" &&
     grep -q "^lifted at .* (manual)$" "$T/w9"' || cat "$T/w9"
checkx "and no rule is left for it" \
    '! inns iptables-legacy -S FORWARD | grep -q 192.0.2.70'
exit $fail
