#!/bin/sh
# Least privilege: capturo after -Z, capturo with CAP_NET_RAW alone,
# detengo with CAP_NET_ADMIN and CAP_NET_RAW alone, and the modes of the
# files both make (never through a symbolic link).
# The file checks run without root; the rest needs root and runs in the
# namespaces cdflt-PID-srv and cdflt-PID-cli (a real SMTP session from
# swaks to aiosmtpd).
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
C=${CAPTURO:-$TOP/obj-san/bin/capturo}
D=${DETENGO:-$TOP/obj-san/bin/detengo}
T=$(mktemp -d /tmp/cdflt-$$.XXXXXX) || exit 1
chmod 755 "$T"

NS_PREFIX=cdflt-$$
. "$TOP/tests/netns.sh"
cleanup() {
	ns_cleanup
	[ -n "$PRIVS_KEEP" ] || rm -rf "$T"
}
trap cleanup EXIT
export XTABLES_LOCKFILE="$T/xtables.lock"

CHECK_NAME=privs
. "$TOP/tests/check.sh"
[ "$(id -u)" -eq 0 ] && xt_modules
for b in "$C" "$D"; do
	[ -x "$b" ] || { nok "$b missing (make tests)"; exit 1; }
done
# the programs as nobody runs them: copies it can reach wherever the
# checkout is
C=$(runcopy "$T/bin-c" "$C") && D=$(runcopy "$T/bin-d" "$D") || exit 1
mode() { stat -c %a "$1"; }
ev() {	# ev HOST: a mail event
	printf '2026-03-03T16:45:44.880222Z mail sid=0000abcd src=%s:40000 dst=203.0.113.25:25 from=w@example.org\n' "$1"
}

# ---------------------------------------------------------------------
# files: modes, symbolic links (no root needed)
# ---------------------------------------------------------------------
F=$T/files
mkdir "$F"
ev 198.51.100.9 >"$F/ev.log"
for u in 022 000; do
	(umask $u; $D -n --once --from-start -s "$F/st$u" "$F/ev.log") \
	    >/dev/null 2>>"$T/quiet.err"
	checkx "detengo state file 0600 under umask $u ($(mode "$F/st$u" 2>/dev/null))" \
	    '[ "$(mode "$F/st$u")" = 600 ]'
	checkx "detengo lock file 0600 under umask $u ($(mode "$F/st$u.lock" 2>/dev/null))" \
	    '[ "$(mode "$F/st$u.lock")" = 600 ]'
	rm -f "$F/cap$u.log"
	(umask $u; $C -r tests/data/rec-plain.pcap -w "$F/cap$u.log") \
	    2>>"$T/quiet.err"
	checkx "capturo log created 0640 under umask $u ($(mode "$F/cap$u.log" 2>/dev/null))" \
	    '[ "$(mode "$F/cap$u.log")" = 640 ]'
done

echo 'decoy' >"$F/decoy"
sum=$(sha256sum "$F/decoy")
ln -s "$F/decoy" "$F/st.link"
$D -n --once --from-start -s "$F/st.link" "$F/ev.log" >/dev/null 2>"$F/err"
rc=$?
checkx "state file a symbolic link: refused, exit 1 (exit $rc: $(head -n 1 "$F/err"))" \
    '[ $rc -eq 1 ] && grep -q "symbolic link" "$F/err"'
ln -s "$F/nowhere" "$F/st2.link"
$D -n --once --from-start -s "$F/st2.link" "$F/ev.log" >/dev/null 2>"$F/err"
rc=$?
checkx "state file a dangling symbolic link: refused, exit 1, nothing made (exit $rc)" \
    '[ $rc -eq 1 ] && [ ! -e "$F/nowhere" ] && [ -L "$F/st2.link" ]'
ln -s "$F/decoy" "$F/st3.lock"
$D -n --once --from-start -s "$F/st3" "$F/ev.log" >/dev/null 2>"$F/err"
rc=$?
checkx "lock file a symbolic link: refused, exit 1 (exit $rc: $(head -n 1 "$F/err"))" \
    '[ $rc -eq 1 ] && grep -q "st3.lock" "$F/err"'
checkx "lock file a symbolic link: says it is one" \
    'grep -qi "symbolic link" "$F/err"'
ln -s "$F/decoy" "$F/rep.link"
$D -n --once --from-start -w "$F/rep.link" "$F/ev.log" >/dev/null 2>"$F/err"
rc=$?
checkx "detengo -w a symbolic link: refused, exit 1 (exit $rc: $(head -n 1 "$F/err"))" \
    '[ $rc -eq 1 ] && grep -q "symbolic link" "$F/err"'
ln -s "$F/decoy" "$F/cap.link"
$C -r tests/data/rec-plain.pcap -w "$F/cap.link" >/dev/null 2>"$F/err"
rc=$?
checkx "capturo -w a symbolic link: refused, exit 1 (exit $rc: $(head -n 1 "$F/err"))" \
    '[ $rc -eq 1 ] && grep -q "symbolic link, refused" "$F/err"'
mkfifo "$F/fifo"
$C -r tests/data/rec-plain.pcap -w "$F/fifo" >/dev/null 2>"$F/err"
rc=$?
checkx "capturo -w a FIFO: refused at once, exit 1 (exit $rc: $(head -n 1 "$F/err"))" \
    '[ $rc -eq 1 ] && grep -q "not a regular file" "$F/err"'
check "the decoy behind every link untouched" \
    [ "$(sha256sum "$F/decoy")" = "$sum" ]

if [ "$(id -u)" -ne 0 ]; then
	skip "the privilege checks need root (setpriv, namespaces)"
	exit $fail
fi
for c in setpriv swaks iptables-legacy; do
	if ! command -v $c >/dev/null 2>&1; then
		nok "$c missing (sh tests/deps.sh installs it)"
		exit $fail
	fi
done
if ! /usr/bin/python3 -c 'import aiosmtpd' 2>/dev/null; then
	nok "python3-aiosmtpd missing (sh tests/deps.sh installs it)"
	exit $fail
fi

# cli 203.0.113.10 -- srv 203.0.113.25, aiosmtpd on port 25
ns_new srv
ns_new cli
ns_link cli eth0 203.0.113.10/24 srv eth0 203.0.113.25/24
SRV=$(ns_name srv)
ns_bg srv /usr/bin/python3 -m aiosmtpd -n -l 203.0.113.25:25 >/dev/null 2>&1
ns_wait_port srv 203.0.113.25 25
session() {	# session FROM: one mail through the server
	ns_exec cli swaks --server 203.0.113.25 --from "$1" \
	    --to rcpt@example.net --h-Subject "privs" >/dev/null 2>&1
}
# status PID FIELD: the values of FIELD in /proc/PID/status
status() {
	sed -n "s/^$2:[[:space:]]*//p" "/proc/$1/status" | tr -s '\t ' ' ' |
	    sed 's/ $//'
}
mailed() {	# mailed LOG ADDR: within 5 s, the mail line from ADDR
	_t=50
	while [ $_t -gt 0 ]; do
		grep -q " mail .*from=$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		_t=$((_t - 1))
	done
	return 1
}
NB=65534

# --- capturo -Z nobody ---
mkdir "$T/z"
ns_bg srv $C -i eth0 -w "$T/z/log" -Z nobody 2>"$T/z/err"
p=$NS_LASTPID
sleep 1
check "-Z nobody: Uid real, effective, saved, fs all nobody ($(status $p Uid))" \
    [ "$(status $p Uid)" = "$NB $NB $NB $NB" ]
check "-Z nobody: Gid all nogroup ($(status $p Gid))" \
    [ "$(status $p Gid)" = "$NB $NB $NB $NB" ]
check "-Z nobody: supplementary groups only its own ($(status $p Groups))" \
    [ "$(status $p Groups)" = "$NB" ]
for cap in CapEff CapPrm CapInh CapAmb; do
	check "-Z nobody: $cap 0 ($(status $p $cap))" \
	    [ "$(status $p $cap)" = 0000000000000000 ]
done
echo "# privs: -Z nobody: CapBnd $(status $p CapBnd), NoNewPrivs $(status $p NoNewPrivs) (capturo.service bounds both)"
session zdrop@example.org
check "-Z nobody: still capturing: the session's mail line" \
    mailed "$T/z/log" zdrop@example.org
checkx "-Z nobody: the log is nobody's, mode 0640 ($(stat -c '%U %a' "$T/z/log"))" \
    '[ "$(stat -c "%U %a" "$T/z/log")" = "nobody 640" ]'
# no way back: every uid nobody's, no capability left, nothing to exec
checkx "-Z nobody: root cannot be regained (no id 0 anywhere, CapPrm 0)" \
    '! grep "^[UG]id:" /proc/$p/status | grep -qw 0 &&
    [ "$(status $p CapPrm)" = 0000000000000000 ]'
ns_stop $p
ns_exec srv $C -i eth0 -Z root >/dev/null 2>"$T/zr.err" </dev/null &
q=$!
sleep 1
kill $q 2>/dev/null
wait $q
rc=$?
checkx "-Z root: refused, exit 1 (exit $rc: $(head -n 2 "$T/zr.err" | tail -n 1))" \
    '[ $rc -eq 1 ] && grep -q "refusing to run as uid 0" "$T/zr.err"'

# --- capturo with CAP_NET_RAW alone, never root ---
mkdir "$T/r"
chown nobody:nogroup "$T/r"
ns_bg srv setpriv --reuid nobody --regid nogroup --clear-groups \
    --inh-caps +net_raw --ambient-caps +net_raw $C -i eth0 -w "$T/r/log" \
    2>"$T/r.err"
p=$NS_LASTPID
sleep 1
check "CAP_NET_RAW alone: running as nobody ($(status $p Uid))" \
    [ "$(status $p Uid)" = "$NB $NB $NB $NB" ]
check "CAP_NET_RAW alone: CapEff is CAP_NET_RAW only ($(status $p CapEff))" \
    [ "$(status $p CapEff)" = 0000000000002000 ]
session rawonly@example.org
check "CAP_NET_RAW alone: it captures (the session's mail line)" \
    mailed "$T/r/log" rawonly@example.org
ns_stop $p

# --- detengo with CAP_NET_ADMIN and CAP_NET_RAW, never root ---
mkdir "$T/d"
chown nobody:nogroup "$T/d"
cp "$T/r/log" "$T/d/ev.log"
chmod 644 "$T/d/ev.log"
asd() {	# asd CAPS ARGS...: detengo as nobody with CAPS in the namespace
	_caps=$1
	shift
	ns_exec srv setpriv --reuid nobody --regid nogroup --clear-groups \
	    --inh-caps "$_caps" --ambient-caps "$_caps" \
	    env XTABLES_LOCKFILE="$T/d/xt.lock" $D "$@"
}
ipt() { ns_exec srv env XTABLES_LOCKFILE="$T/other.lock" iptables-legacy "$@"; }
asd +net_admin --once --from-start -s "$T/d/s1" "$T/d/ev.log" \
    >/dev/null 2>"$T/d/e1.err"
rc=$?
check "CAP_NET_ADMIN alone: exit 4 (exit $rc)" [ $rc -eq 4 ]
check "CAP_NET_ADMIN alone: says CAP_NET_RAW is needed ($(head -n 1 "$T/d/e1.err"))" \
    grep -q 'CAP_NET_RAW' "$T/d/e1.err"
asd +net_raw --once --from-start -s "$T/d/s2" "$T/d/ev.log" \
    >/dev/null 2>"$T/d/e2.err"
rc=$?
checkx "CAP_NET_RAW alone: exit 4 naming CAP_NET_ADMIN (exit $rc)" \
    '[ $rc -eq 4 ] && grep -q CAP_NET_ADMIN "$T/d/e2.err"'
# no rule names HOST, in a FORWARD that was read (exit 0, its policy line)
norule() {
	ipt -S FORWARD >"$T/fw.now" && grep -q '^-P FORWARD ' "$T/fw.now" &&
	    ! grep -q -- "$1" "$T/fw.now"
}
check "neither left a rule" norule 203.0.113.10
asd +net_admin,+net_raw --once --from-start -s "$T/d/s3" "$T/d/ev.log" \
    >"$T/d/o3" 2>"$T/d/e3.err"
rc=$?
check "CAP_NET_ADMIN and CAP_NET_RAW as nobody: exit 0 (exit $rc $(head -n 1 "$T/d/e3.err"))" \
    [ $rc -eq 0 ]
check "CAP_NET_ADMIN and CAP_NET_RAW as nobody: the captured client blocked" \
    sh -c "$(command -v ip) netns exec $SRV env XTABLES_LOCKFILE=$T/other.lock iptables-legacy -S FORWARD | grep -q -- '-s 203.0.113.10/32 .*-j DROP'"
checkx "CAP_NET_ADMIN and CAP_NET_RAW as nobody: state and lock nobody's, 0600 ($(stat -c '%U %a' "$T/d/s3" "$T/d/s3.lock" | tr '\n' ' '))" \
    '[ "$(stat -c "%U %a" "$T/d/s3" "$T/d/s3.lock" | tr "\n" " ")" = "nobody 600 nobody 600 " ]'
# the sanitizer builds stop with a report on any memory error: every
# run of them sends its standard error to a file named *err* (those
# the test does not read go to quiet.err)
check "no sanitizer report in any run ($(find "$T" -name '*err*' -type f | wc -l) files)" \
    sh -c "! grep -rlq 'Sanitizer\|runtime error' '$T' --include='*err*'"
exit $fail
