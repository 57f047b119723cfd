#!/bin/sh
# detengo -e, end to end, as root in private network namespaces: the
# notices of blocks and lifts as mail through a real Postfix into a
# mailbox (examples/notify-mail) and as JSON to a web server
# (examples/notify-webhook), their arguments and environment, and what a
# notice must never do: hold a block back or slow it (a program that
# hangs, fails or is gone), run more than 4 at once, flood (a burst), or
# run when nothing was done (blocks restored at start, -n).
#
#   g  detengo -b nft, one run after another   w  203.0.113.80, a web server
#   b  a burst, watched for over a minute      t  the default time limit, 30 s
#   m  Postfix, a private instance: its own config_directory, queue and
#      mailboxes under $T, no listening socket; sendmail reaches it
#      through MAIL_CONFIG, set by the wrapper that detengo runs
#
# Only documentation addresses; every nft command runs in a namespace of
# this test.  Only the processes started here are stopped, by PID; the
# programs that hang let go when the test ends.
cd "$(dirname "$0")/.." || exit 1
CHECK_NAME=notify
. tests/check.sh

if [ "$(id -u)" -ne 0 ]; then
	skip "needs root (network namespaces, nftables)"
	exit 0
fi
for c in ip nft pgrep; do
	command -v $c >/dev/null 2>&1 ||
	    { nok "$c missing (sh tests/deps.sh)"; exit 1; }
done
TOP=$(pwd)
D=${DETENGO:-$TOP/obj-san/bin/detengo}
[ -x "$D" ] || { nok "$D missing (make tests)"; exit 1; }
"$D" -h 2>&1 | grep -q -- '-e program' || { nok "detengo has no -e"; exit 1; }
PY=/usr/bin/python3
[ -x $PY ] || { nok "$PY missing (sh tests/deps.sh)"; exit 1; }
MAIL=$TOP/examples/notify-mail
HOOK=$TOP/examples/notify-webhook

NS_PREFIX=cdnt-$$
. tests/netns.sh
T=$(mktemp -d "/tmp/cdnotify-$$.XXXXXX") || exit 1
# Postfix's local delivery writes the mailboxes as nobody
chmod 755 "$T"
SAMPLER=""
cleanup() {
	touch "$T/release" 2>/dev/null
	[ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
	ns_cleanup
	rm -rf "$T"
}
trap cleanup EXIT

ns_new g
ns_new b
ns_new t
ns_new w
ns_new m
ns_link g gw0 203.0.113.1/24 w ww0 203.0.113.80/24

# --- the programs detengo runs -------------------------------------------

# mkrec NAME: $T/NAME writes one file per notice in $T/NAME.d: its
# arguments, process group, standard input and environment; and says a
# line on its standard output
mkrec() {
	mkdir "$T/$1.d"
	cat >"$T/$1" <<-EOF
	#!/bin/sh
	f=$T/$1.d/\$(date +%s%N).\$\$
	{
		printf 'argv %s\n' "\$*"
		printf 'pgid %s pid %s\n' "\$(cut -d' ' -f5 /proc/\$\$/stat)" "\$\$"
		printf 'stdin %s\n' "\$(readlink /proc/\$\$/fd/0)"
		env | LC_ALL=C sort | sed 's/^/env /'
	} >"\$f.tmp" && mv "\$f.tmp" "\$f"
	echo "rec-stdout \$*"
	EOF
	chmod 755 "$T/$1"
}
# fail: exits 1, saying so on its standard error
cat >"$T/fail" <<'EOF'
#!/bin/sh
echo "fail-stderr $*" >&2
exit 1
EOF
# hang-a, hang-b: hang, deaf to SIGTERM, until the test ends
for h in hang-a hang-b; do
	cat >"$T/$h" <<-EOF
	#!/bin/sh
	trap '' TERM
	echo "\$* \${DETENGO_BLOCKS:-}" >>$T/$h.log
	while [ -d $T ] && [ ! -e $T/release ]; do sleep 0.2; done
	EOF
done
mkrec gone
chmod 755 "$T/fail" "$T/hang-a" "$T/hang-b"

# --- helpers -------------------------------------------------------------

# ev NAME HOST: a line in the format of examples/events.sample, with
# the MAC of HOST's PC (b8:27:eb:20: and its last two bytes)
n=0
ev() {
	n=$((n + 1))
	case $1 in
	mail) own="from=facturas@example.org" ;;
	starttls) own="reply=220" ;;
	*) own="" ;;
	esac
	[ -n "${3:-}" ] && own=$3
	_o3=${2%.*}
	printf '2026-03-03T16:45:%02d.%06dZ %s sid=%08x src=%s:4%04d dst=203.0.113.25:25 mac=b8:27:eb:20:%02x:%02x%s\n' \
	    $((n % 60)) "$n" "$1" $((0x7f3a0000 + n)) "$2" $((n % 10000)) \
	    "${_o3##*.}" "${2##*.}" "${own:+ $own}"
}
mac_of() { _o3=${1%.*}; printf 'b8:27:eb:20:%02x:%02x' "${_o3##*.}" "${1##*.}"; }

# det NS TAG OPTS...: detengo -b nft in NS, following $T/TAG.log with
# the state $T/TAG.state; DP is its PID.  A variable of the test's
# environment, NOTIFY_CANARY, must reach no notice.
det() {
	_ns=$1 _tag=$2
	shift 2
	: >>"$T/$_tag.log"
	ns_bg "$_ns" env NOTIFY_CANARY=leaked "$D" -b nft \
	    -s "$T/$_tag.state" "$@" "$T/$_tag.log" >"$T/$_tag.out" \
	    2>"$T/$_tag.err"
	DP=$NS_LASTPID
	following "$DP"
}
# stop PID: SIGTERM; its exit status in RC, the seconds it took in SECS
stop() {
	_s=$(date +%s)
	kill -TERM "$1" 2>/dev/null
	wait "$1" 2>/dev/null
	RC=$?
	SECS=$(($(date +%s) - _s))
	ns_forget "$1"
}
inset() {	# inset NS HOST
	ns_exec "$1" nft get element inet detengo hosts4 "{ $2 }" \
	    >/dev/null 2>&1
}
outset() {	# outset NS HOST: the set was read, HOST is not in it
	ns_exec "$1" nft list set inet detengo hosts4 >"$T/set.now" 2>&1 &&
	    grep -q 'set hosts4' "$T/set.now" &&
	    ! grep -q "[{ ,	]$2[ ,}]" "$T/set.now"
}
nelem() {	# nelem NS: the elements of hosts4
	ns_exec "$1" nft list set inet detengo hosts4 2>/dev/null |
	    grep -o '[0-9][0-9.]*[0-9]' | grep -c '^[0-9]*\.[0-9]*\.[0-9]*\.[0-9]*$'
}
wipe() { ns_exec "$1" nft flush ruleset; }
# nrec NAME: the notices NAME recorded; rec_of NAME ARGS: the record of
# the one run with these arguments
nrec() {
	_c=0
	for _f in "$T/$1.d"/*; do
		case $_f in *\* | *.tmp) ;; *) _c=$((_c + 1)) ;; esac
	done
	echo $_c
}
rec_of() { grep -lx -- "argv $2" "$T/$1.d"/* 2>/dev/null | head -n 1; }
# envkeys FILE: the names of a record's environment, sorted, on one line
envkeys() {
	sed -n 's/^env \([A-Za-z_][A-Za-z0-9_]*\)=.*/\1/p' "$1" |
	    grep -vx PWD | LC_ALL=C sort | tr '\n' ' '
}
envval() { sed -n "s/^env $2=//p" "$1"; }	# envval FILE NAME
isotime() { echo "$1" | grep -Eqx '[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z'; }
# median: of numbers on stdin, the lower middle; max: the largest
median() { sort -n | awk '{ v[NR] = $1 } END { print NR ? v[int((NR + 1) / 2)] : "" }'; }
max() { sort -n | tail -n 1; }
cnt() { grep -Ec -- "$1" "$2" 2>/dev/null; }	# cnt ERE FILE
show() { tail -n "${2:-15}" "$1" 2>/dev/null | sed 's/^/#   /'; }
# running PROGRAM: how many processes run this script of the test
running() { pgrep -c -f -- "^/bin/sh $1 "; }

# --- the default time limit and the burst, over the whole test -------------

# t: one notice that hangs, deaf to SIGTERM: ended at 30 s, SIGKILL at 32
det t tlim -e "$T/hang-b"
TLIM=$DP
ev mail 192.0.2.90 >>"$T/tlim.log"
TLIM_T0=$(date +%s)

# b: 50 blocks at once: 10 notices, then one summary at the minute's end
mkrec burst
det b burst -e "$T/burst" -M "$T/burst.prom"
BURST=$DP
i=1
while [ $i -le 50 ]; do
	ev mail 198.51.100.$i
	i=$((i + 1))
done >>"$T/burst.log"
BURST_T0=$(date +%s)
waitfor 100 eval '[ "$(nelem b)" -eq 50 ] && [ "$(nrec burst)" -ge 10 ]'
check "burst: 50 hosts blocked at once" eval '[ "$(nelem b)" -eq 50 ]'
sleep 0.5
checkx "burst: 10 notices, one by one ($(nrec burst))" '[ "$(nrec burst)" -eq 10 ]'
i=1 ok=0
while [ $i -le 10 ]; do
	[ -n "$(rec_of burst "block 198.51.100.$i mail")" ] && ok=$((ok + 1))
	i=$((i + 1))
done
check "burst: for the first 10 hosts" [ $ok -eq 10 ]

# --- c. a notice never holds a block back ----------------------------------

# lat.sh, run in g: for each "HOST LINE" of a file, append LINE to the
# log, poll the set until HOST is in it, print HOST and the microseconds;
# 0.1 s between hosts, so that the notices run meanwhile
cat >"$T/lat.sh" <<'EOF'
log=$1 lines=$2
while read -r host line; do
	t0=$(date +%s%N)
	printf '%s\n' "$line" >>"$log"
	k=0
	until nft get element inet detengo hosts4 "{ $host }" >/dev/null 2>&1; do
		k=$((k + 1))
		[ $k -lt 1000 ] || break
	done
	t1=$(date +%s%N)
	if [ $k -lt 1000 ]; then
		echo "$host $(((t1 - t0) / 1000))"
	else
		echo "$host -1"
	fi
	sleep 0.1
done <"$lines"
EOF
# measure TAG OPTS...: 20 hosts blocked by detengo with OPTS, one after
# another, in g; the milliseconds in $T/TAG.ms; detengo left running
HOSTS=100
measure() {
	_tag=$1
	shift
	_i=$HOSTS
	while [ $_i -lt $((HOSTS + 20)) ]; do
		printf '192.0.2.%d ' $_i
		ev mail 192.0.2.$_i
		_i=$((_i + 1))
	done >"$T/$_tag.lines"
	HOSTS=$((HOSTS + 20))
	det g "$_tag" "$@"
	[ -n "${AFTER_START:-}" ] && eval "$AFTER_START"
	ns_exec g sh "$T/lat.sh" "$T/$_tag.log" "$T/$_tag.lines" >"$T/$_tag.lat"
	awk '$2 >= 0 { print int($2 / 1000) }' "$T/$_tag.lat" >"$T/$_tag.ms"
}

measure none
stop "$DP"
wipe g
measure fail -e "$T/fail"
stop "$DP"
check "fail: detengo exits 0" [ "$RC" -eq 0 ]
wipe g
AFTER_START='rm -f "$T/gone"'
measure gone -e "$T/gone"
AFTER_START=""
stop "$DP"
check "gone: detengo exits 0" [ "$RC" -eq 0 ]
wipe g
# the ones that hang: at most 4 at once, counted every 50 ms
echo 0 >"$T/hang.max"
(
	m=0
	while :; do
		c=$(running "$T/hang-a")
		[ "$c" -gt "$m" ] && m=$c && echo "$m" >"$T/hang.max"
		sleep 0.05
	done
) &
SAMPLER=$!
measure hang -e "$T/hang-a" --exec-timeout 1 -M "$T/hang.prom"
HANG=$DP

for tag in none fail gone hang; do
	eval "n_$tag=\$(wc -l <\"\$T/\$tag.ms\")"
	eval "med_$tag=\$(median <\"\$T/\$tag.ms\")"
	eval "max_$tag=\$(max <\"\$T/\$tag.ms\")"
done
# shellcheck disable=SC2154
note "line to kernel, ms, median/max of 20 hosts: no -e $med_none/$max_none;" \
    "a program that exits 1 $med_fail/$max_fail; deleted $med_gone/$max_gone;" \
    "hangs $med_hang/$max_hang"
# shellcheck disable=SC2154
checkx "no -e: 20 hosts blocked, median under 100 ms ($med_none ms)" \
    '[ "$n_none" -eq 20 ] && within "$med_none" 100'
# a notice costs a fork after the commit: 20 ms is noise on 2 cores
for tag in fail gone hang; do
	eval "_n=\$n_$tag _m=\$med_$tag _x=\$max_$tag"
	checkx "$tag: 20 hosts blocked, median $_m ms, at most the no -e median ($med_none ms) + 20 ms" \
	    '[ "$_n" -eq 20 ] && within "$_m" $((med_none + 20))'
	check "$tag: no block waited a second (the slowest $_x ms)" \
	    within "$_x" 1000
done

checkx "fail: the failures logged with the exit status ($(cnt 'exited with status 1' "$T/fail.err"))" \
    '[ "$(cnt "notice block 192\.0\.2\.[0-9]+: .*fail exited with status 1" "$T/fail.err")" -eq 10 ]' ||
    show "$T/fail.err"
check "fail: its standard error in detengo's" \
    grep -q '^fail-stderr block 192\.0\.2\.[0-9]* mail$' "$T/fail.err"
checkx "gone: a deleted program: cannot run, logged ($(cnt 'cannot run' "$T/gone.err"))" \
    '[ "$(cnt "notice block 192\.0\.2\.[0-9]+: cannot run .*gone" "$T/gone.err")" -eq 10 ]' ||
    show "$T/gone.err"

checkx "hang: 4 ran at once, never more ($(cat "$T/hang.max"))" \
    '[ "$(cat "$T/hang.max")" -eq 4 ]'
stop "$HANG"
kill "$SAMPLER" 2>/dev/null
wait "$SAMPLER" 2>/dev/null
SAMPLER=""
note "hang: detengo took $SECS s to stop (notices to end: 1 s, then SIGKILL 2 s later)"
check "hang: detengo exits 0 once the notices running ended" [ "$RC" -eq 0 ]
check "hang: none left running" [ "$(running "$T/hang-a")" -eq 0 ]
# Stopped, detengo waits for the notices running and tells those still
# waiting in the summary: of the 10 told one by one (the burst's first),
# R ran, at least the 4 running at the stop, and the summary tells the
# 20 - R others, the burst's rest among them
R=$(cnt "^block 192\.0\.2\.[0-9]+ mail $" "$T/hang-a.log")
checkx "hang: $R notices ran, then one summary of the $((20 - R)) untold" \
    '[ "$R" -ge 4 ] && [ "$R" -le 10 ] &&
     [ "$(cnt "^summary $((20 - R)) burst $((20 - R))$" "$T/hang-a.log")" -eq 1 ] &&
     [ "$(wc -l <"$T/hang-a.log")" -eq $((R + 1)) ]' || show "$T/hang-a.log"
checkx "hang: each ended at its time and logged ($(cnt 'ran over 1 s|killed after 1 s' "$T/hang.err"))" \
    '[ "$(cnt "ran over 1 s|killed after 1 s" "$T/hang.err")" -eq $((R + 1)) ]' ||
    show "$T/hang.err"
checkx "hang: metrics: $((R + 1)) run, as many failed, $((20 - R)) untold, none dropped" \
    'grep -qx "detengo_notices_total{result=\"run\"} $((R + 1))" "$T/hang.prom" &&
     grep -qx "detengo_notices_total{result=\"failed\"} $((R + 1))" "$T/hang.prom" &&
     grep -qx "detengo_notices_total{result=\"untold\"} $((20 - R))" "$T/hang.prom" &&
     grep -qx "detengo_notices_total{result=\"dropped\"} 0" "$T/hang.prom"' ||
    grep notices "$T/hang.prom" | sed 's/^/#   /'
wipe g

# --- arguments, environment, the lifts ------------------------------------

# a block that expires: block and unblock, with everything around them
mkrec rx
det g rx -e "$T/rx" -x 2
ev mail 192.0.2.71 >>"$T/rx.log"
line71=$(tail -n 1 "$T/rx.log")
waitfor 100 eval '[ -n "$(rec_of rx "unblock 192.0.2.71 expired")" ]'
stop "$DP"
f=$(rec_of rx "block 192.0.2.71 mail")
check "block: PROGRAM block HOST REASON" [ -n "$f" ]
f=${f:-/dev/null}
keys="DETENGO_BACKEND DETENGO_EVENT DETENGO_HOST DETENGO_LIFT DETENGO_MAC DETENGO_REASON DETENGO_SID DETENGO_UNTIL LANG PATH "
checkx "block: its environment is its own, and whole" \
    '[ "$(envkeys "$f")" = "$keys" ]' || echo "#   got: $(envkeys "$f")"
check "block: no variable of detengo's environment" \
    eval '! grep -q "NOTIFY_CANARY" "$f"'
checkx "block: DETENGO_HOST, DETENGO_REASON, DETENGO_BACKEND" \
    '[ "$(envval "$f" DETENGO_HOST)" = 192.0.2.71 ] &&
     [ "$(envval "$f" DETENGO_REASON)" = mail ] &&
     [ "$(envval "$f" DETENGO_BACKEND)" = nft ]'
checkx "block: DETENGO_MAC, DETENGO_SID of the trigger event" \
    '[ "$(envval "$f" DETENGO_MAC)" = "$(mac_of 192.0.2.71)" ] &&
     [ "sid=$(envval "$f" DETENGO_SID)" = "$(echo "$line71" | cut -d" " -f3)" ]'
checkx "block: DETENGO_EVENT, the trigger line whole" \
    '[ "$(envval "$f" DETENGO_EVENT)" = "$line71" ]'
u=$(envval "$f" DETENGO_UNTIL)
checkx "block: DETENGO_UNTIL in ISO 8601 UTC, 2 s on ($u)" \
    'isotime "$u" && d=$(($(date -u -d "$u" +%s) - $(date +%s))) &&
     [ "$d" -ge -10 ] && [ "$d" -le 3 ]'
checkx "block: DETENGO_LIFT names the backend and the state" \
    '[ "$(envval "$f" DETENGO_LIFT)" = "detengo -b nft -s $T/rx.state --unblock 192.0.2.71" ]' ||
    echo "#   got: $(envval "$f" DETENGO_LIFT)"
checkx "block: LANG=C, and a PATH of system directories" \
    '[ "$(envval "$f" LANG)" = C ] && envval "$f" PATH | grep -q "^\(.*:\)\{0,1\}/usr/sbin:/usr/bin:/sbin:/bin$"'
note "PATH given: $(envval "$f" PATH)"
checkx "block: its own process group, standard input /dev/null" \
    'grep -Eq "^pgid ([0-9]+) pid \\1$" "$f" && grep -qx "stdin /dev/null" "$f"'
check "block: its standard output in detengo's standard error" \
    grep -qx "rec-stdout block 192.0.2.71 mail" "$T/rx.err"
check "block: and not among the report lines" \
    eval '! grep -q rec-stdout "$T/rx.out"'
f=$(rec_of rx "unblock 192.0.2.71 expired")
# the kernel's timeout runs from the block's instant, the state's end
# from its second: the kernel may lift it up to a second after the notice
waitfor 15 outset g 192.0.2.71
checkx "expiry: PROGRAM unblock HOST expired, the kernel lifts it" \
    '[ -n "$f" ] && [ "$(envval "$f" DETENGO_HOST)" = 192.0.2.71 ] &&
     [ "$(envval "$f" DETENGO_REASON)" = expired ] && outset g 192.0.2.71' ||
    { show "${f:-/dev/null}"; show "$T/set.now"; show "$T/rx.out"; }
check "rx: detengo exits 0" [ "$RC" -eq 0 ]
wipe g

# a starttls block, lifted by the allow list, and one lifted by hand
mkrec ra
: >"$T/ra.allow"
det g ra -e "$T/ra" -A "$T/ra.allow"
ev starttls 192.0.2.72 >>"$T/ra.log"
ev mail 192.0.2.73 >>"$T/ra.log"
waitfor 50 eval '[ "$(nrec ra)" -ge 2 ]'
f=$(rec_of ra "block 192.0.2.72 starttls")
checkx "starttls: REASON starttls, DETENGO_UNTIL empty when the block never ends" \
    '[ -n "$f" ] && grep -qx "env DETENGO_UNTIL=" "$f"'
echo 192.0.2.72 >"$T/ra.allow"
kill -HUP "$DP"
waitfor 50 eval '[ -n "$(rec_of ra "unblock 192.0.2.72 allowed")" ]'
check "allow list: PROGRAM unblock HOST allowed, at SIGHUP" \
    [ -n "$(rec_of ra "unblock 192.0.2.72 allowed")" ]
stop "$DP"
ns_exec g "$D" -b nft -s "$T/ra.state" -e "$T/ra" --unblock 192.0.2.73 \
    >"$T/ra-x.out" 2>"$T/ra-x.err"
rc=$?
f=$(rec_of ra "unblock 192.0.2.73 manual")
checkx "--unblock: PROGRAM unblock HOST manual, run before it exits" \
    '[ $rc -eq 0 ] && [ -n "$f" ] && outset g 192.0.2.73'
wipe g

# --- d. nothing done, nothing told -------------------------------------------

mkrec rr
det g rr -e "$T/rr"
ev mail 192.0.2.61 >>"$T/rr.log"
ev mail 192.0.2.62 >>"$T/rr.log"
waitfor 50 eval '[ "$(nrec rr)" -eq 2 ]'
stop "$DP"
check "restore: 2 blocks, 2 notices" [ "$(nrec rr)" -eq 2 ]
wipe g
det g rr -e "$T/rr"
waitfor 30 inset g 192.0.2.62
check "restore: the blocks are back at start" inset g 192.0.2.61
wipe g
waitfor 30 inset g 192.0.2.62
check "restore: and after nft flush ruleset" inset g 192.0.2.61
sleep 0.5
stop "$DP"
checkx "restore: blocks restored at start or after a reload tell no one ($(nrec rr))" \
    '[ "$(nrec rr)" -eq 2 ]'
wipe g
ev mail 192.0.2.63 >>"$T/rr.log"
ns_exec g "$D" -n -e "$T/rr" --once --from-start "$T/rr.log" \
    >"$T/dry.out" 2>"$T/dry.err"
rc=$?
checkx "-n: blocks decided, nothing run" \
    '[ $rc -eq 0 ] && [ "$(cnt " block " "$T/dry.out")" -eq 3 ] &&
     [ "$(nrec rr)" -eq 2 ]' || show "$T/dry.err"
touch "$T/noexec"
for p in rr "$T/nothere" "$T/noexec" "$T/rr.d"; do
	(cd "$T" && ns_exec g "$D" -n -e "$p" --once "$T/rr.log") \
	    >/dev/null 2>"$T/bad.err"
	rc=$?
	checkx "-e ${p#"$T/"}: refused at start, exit 2 ($rc: $(head -n 1 "$T/bad.err"))" \
	    '[ $rc -eq 2 ] && grep -q -- "-e" "$T/bad.err"'
done

# --- a, b. mail through Postfix ----------------------------------------------

if [ ! -x /usr/sbin/postfix ] || [ ! -x /usr/sbin/sendmail ] ||
    [ ! -x /usr/sbin/postalias ]; then
	skip "mail: postfix missing (sh tests/deps.sh installs it)"
else
	PF=$T/pf
	mkdir -p "$PF/etc" "$PF/q" "$PF/data" "$PF/mbox"
	cat >"$PF/etc/main.cf" <<-EOF
	compatibility_level = 3.6
	queue_directory = $PF/q
	data_directory = $PF/data
	mail_owner = postfix
	setgid_group = postdrop
	inet_interfaces = loopback-only
	inet_protocols = ipv4
	myhostname = gw.example.org
	mydomain = example.org
	myorigin = \$myhostname
	mydestination = \$myhostname, localhost
	relayhost =
	default_transport = error:no mail leaves this test
	alias_maps = hash:$PF/etc/aliases
	alias_database = hash:$PF/etc/aliases
	maillog_file = $PF/maillog
	maillog_file_prefixes = $PF
	smtputf8_enable = no
	EOF
	# no smtpd, no listening socket: sendmail, pickup, local delivery
	cat >"$PF/etc/master.cf" <<-'EOF'
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
	local     unix  -  n  n  -    -  local
	postlog   unix-dgram n - n - 1   postlogd
	EOF
	printf 'root: %s\nsecops: %s\n' "$PF/mbox/root" "$PF/mbox/secops" \
	    >"$PF/etc/aliases"
	chown postfix "$PF/data"
	chown nobody "$PF/mbox"
	# NOTIFY_TO from notify.conf: two recipients
	echo 'NOTIFY_TO="root secops"' >"$T/notify.conf"
	cat >"$T/mailwrap" <<-EOF
	#!/bin/sh
	MAIL_CONFIG=$PF/etc NOTIFY_CONF=$T/notify.conf
	export MAIL_CONFIG NOTIFY_CONF
	exec $MAIL "\$@"
	EOF
	chmod 755 "$T/mailwrap"
	MAIL_CONFIG=$PF/etc postalias "$PF/etc/aliases" &&
	    MAIL_CONFIG=$PF/etc postfix check >"$T/pf.check" 2>&1
	rc=$?
	ns_bg m "$(postconf -c "$PF/etc" -h daemon_directory)/master" \
	    -c "$PF/etc" -s 2>"$T/master.err"
	MASTER=$NS_LASTPID
	ns_poll_file "$PF/maillog" "daemon started" 100
	checkx "mail: a private Postfix runs" \
	    '[ $rc -eq 0 ] && kill -0 $MASTER && grep -q "daemon started" "$PF/maillog"' ||
	    { show "$T/pf.check"; show "$PF/maillog"; }
	check "mail: it listens nowhere" \
	    eval '[ -z "$(ns_exec m ss -Hltn)" ]'

	det g mail -e "$T/mailwrap" -x 1h
	ev mail 192.0.2.10 >>"$T/mail.log"
	line10=$(tail -n 1 "$T/mail.log")
	ns_poll_file "$PF/mbox/root" "blocked 192.0.2.10" 200
	ns_poll_file "$PF/mbox/secops" "blocked 192.0.2.10" 50
	check "mail: the block is in the kernel" inset g 192.0.2.10
	check "mail: a mail in root's mailbox" \
	    grep -Eq "^Subject: detengo on [^ ]+: blocked 192\.0\.2\.10 \($(mac_of 192.0.2.10)\), mail$" \
	    "$PF/mbox/root" || { show "$PF/maillog"; show "$T/mail.err"; }
	check "mail: and in secops's (NOTIFY_TO from notify.conf)" \
	    grep -q "blocked 192\.0\.2\.10 " "$PF/mbox/secops"
	checkx "mail: the host, the MAC, the reason" \
	    'grep -qx "Host: *192.0.2.10" "$PF/mbox/root" &&
	     grep -qx "MAC: *$(mac_of 192.0.2.10)" "$PF/mbox/root" &&
	     grep -qx "Reason: *mail" "$PF/mbox/root"'
	check "mail: the trigger line, whole" grep -qxF -- "$line10" "$PF/mbox/root"
	u=$(sed -n 's/^Until: *//p' "$PF/mbox/root" | head -n 1)
	checkx "mail: the end of the block, an hour on ($u)" \
	    'isotime "$u" && d=$(($(date -u -d "$u" +%s) - $(date +%s))) &&
	     [ "$d" -ge 3500 ] && [ "$d" -le 3600 ]'
	lift=$(sed -n 's/^    \(detengo .* --unblock 192\.0\.2\.10\)$/\1/p' "$PF/mbox/root" | head -n 1)
	check "mail: the command that lifts it ($lift)" \
	    [ "$lift" = "detengo -b nft -s $T/mail.state --unblock 192.0.2.10" ]
	stop "$DP"
	# the mail's command, run as it says (with -e, to be told)
	if [ "$lift" = "detengo -b nft -s $T/mail.state --unblock 192.0.2.10" ]; then
		set -f
		# shellcheck disable=SC2086
		set -- ${lift#detengo }
		set +f
		ns_exec g "$D" -e "$T/mailwrap" "$@" >"$T/lift.out" 2>"$T/lift.err"
		rc=$?
		ns_poll_file "$PF/mbox/root" "lifted the block of 192.0.2.10" 200
		checkx "mail: that command lifts it" '[ $rc -eq 0 ] && outset g 192.0.2.10'
		check "mail: the lift, mailed" \
		    grep -Eq "^Subject: detengo on [^ ]+: lifted the block of 192\.0\.2\.10, manual$" \
		    "$PF/mbox/root"
	fi
	wipe g

	# hostile values: nothing of them makes a header or a recipient
	env -i PATH=/usr/bin:/bin DETENGO_MAC="$(printf 'aa\r\nBcc: evil@example.org')" \
	    DETENGO_SID="$(printf '1\nX-Evil: sid')" \
	    DETENGO_UNTIL="$(printf '2026\r\nX-Evil: until')" \
	    DETENGO_LIFT="$(printf 'detengo\nX-Evil: lift')" \
	    DETENGO_EVENT="$(printf 'x\r\nSubject: forged\n\nbody')" \
	    "$T/mailwrap" block 192.0.2.99 "$(printf 'mail\nX-Evil: reason')" \
	    >"$T/evil.out" 2>&1
	rc=$?
	ns_poll_file "$PF/mbox/root" "blocked 192.0.2.99" 200
	# the message's header: from its From_ line to the first empty line
	awk -v h="blocked 192.0.2.99" '
	    /^From / { inh = 1; hdr = "" }
	    inh && /^$/ { inh = 0; if (index(hdr, h)) print hdr }
	    inh { hdr = hdr $0 "\n" }' "$PF/mbox/root" >"$T/evil.hdr"
	checkx "mail: hostile values: queued, one Subject, no header of theirs" \
	    '[ $rc -eq 0 ] && [ "$(cnt "^Subject:" "$T/evil.hdr")" -eq 1 ] &&
	     ! grep -Eiq "^(Bcc|X-Evil):" "$T/evil.hdr"' ||
	    { show "$T/evil.out"; show "$T/evil.hdr"; }
	checkx "mail: hostile values: to root and secops alone" \
	    '! grep -q "evil@example.org" "$PF/maillog" &&
	     [ "$(grep -c "to=<secops@gw.example.org>" "$PF/maillog")" -eq \
	       "$(grep -c "to=<root@gw.example.org>" "$PF/maillog")" ]'
	NOTIFY_CONF=/dev/null SENDMAIL=/bin/false "$MAIL" block 192.0.2.98 mail \
	    >/dev/null 2>&1
	check "mail: sendmail fails, notify-mail fails" [ $? -ne 0 ]
	NOTIFY_CONF=/dev/null SENDMAIL=/bin/true "$MAIL" block \
	    "$(printf '192.0.2.97\nBcc: evil@example.org')" mail >/dev/null 2>&1
	check "mail: a host that is not an address: exit 2" [ $? -eq 2 ]
	check "mail: nothing bounced or deferred" \
	    eval '! grep -Eq "status=(bounced|deferred)" "$PF/maillog"'
	stop "$MASTER"
	sleep 0.5
	# its daemons work in its queue directory
	checkx "mail: Postfix stopped, none of its processes left" \
	    '[ "$(for p in /proc/[0-9]*; do readlink "$p/cwd"; done 2>/dev/null |
	      grep -c "^$PF/q")" -eq 0 ]'
fi

# --- the webhook --------------------------------------------------------------

if ! command -v curl >/dev/null 2>&1; then
	skip "webhook: curl missing (sh tests/deps.sh installs it)"
else
	cat >"$T/hook.py" <<-'EOF'
	import http.server, sys
	class H(http.server.BaseHTTPRequestHandler):
	    def do_POST(self):
	        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
	        with open(sys.argv[1], "ab") as f:
	            f.write(self.headers.get("Content-Type", "").encode() + b"\t" +
	                    body.rstrip(b"\n") + b"\n")
	        self.send_response(500 if self.path == "/fail" else 204)
	        self.end_headers()
	    def log_message(self, *a):
	        pass
	http.server.HTTPServer(("203.0.113.80", 8080), H).serve_forever()
	EOF
	ns_bg w $PY "$T/hook.py" "$T/hook.got"
	ns_wait_port w 203.0.113.80 8080
	cat >"$T/hookwrap" <<-EOF
	#!/bin/sh
	NOTIFY_URL=http://203.0.113.80:8080/hook NOTIFY_CONF=/dev/null
	export NOTIFY_URL NOTIFY_CONF
	exec $HOOK "\$@"
	EOF
	chmod 755 "$T/hookwrap"
	det g hook -e "$T/hookwrap"
	# a sender with quotes, a backslash, UTF-8, a control byte and a
	# bidi override, escaped as capturo escapes them
	ev mail 192.0.2.20 'from="\"x\\y\" é\x01\u{202E}@example.org"' >>"$T/hook.log"
	line20=$(tail -n 1 "$T/hook.log")
	waitfor 100 test -s "$T/hook.got"
	check "webhook: the block posted" inset g 192.0.2.20
	LINE=$line20 MAC=$(mac_of 192.0.2.20) $PY - "$T/hook.got" <<-'EOF' >"$T/hook.chk" 2>&1
	import json, os, sys
	ct, body = open(sys.argv[1], "rb").readline().rstrip(b"\n").split(b"\t", 1)
	o = json.loads(body.decode("utf-8"))
	want = {"action": "block", "host": "192.0.2.20", "reason": "mail",
	        "mac": os.environ["MAC"], "backend": "nft", "until": "",
	        "event": os.environ["LINE"]}
	bad = [k for k in want if o.get(k) != want[k]]
	if ct != b"application/json" or bad or o.get("sid") != want["event"].split()[2][4:]:
	    print("content type %r, differ: %s" % (ct, bad), o)
	    sys.exit(1)
	EOF
	check "webhook: JSON with every field, the trigger line whole" \
	    [ $? -eq 0 ] || show "$T/hook.chk"
	stop "$DP"
	wipe g
	for u in 8080/fail:22 8081/hook:7; do
		ns_exec g env -i NOTIFY_CONF=/dev/null \
		    NOTIFY_URL="http://203.0.113.80:${u%:*}" "$HOOK" block \
		    192.0.2.21 mail >/dev/null 2>&1
		rc=$?
		check "webhook: http://203.0.113.80:${u%:*} fails, curl's status ${u##*:} ($rc)" \
		    [ "$rc" -eq "${u##*:}" ]
	done
	env -i NOTIFY_CONF=/dev/null "$HOOK" block 192.0.2.21 mail \
	    >/dev/null 2>&1
	check "webhook: without NOTIFY_URL, exit 2" [ $? -eq 2 ]
fi

# --- the burst's minute, the default time limit ------------------------------

left=$((BURST_T0 + 61 - $(date +%s)))
[ $left -gt 0 ] && sleep $left
waitfor 50 eval '[ -n "$(rec_of burst "summary 40 burst")" ]'
f=$(rec_of burst "summary 40 burst")
checkx "burst: at the minute's end, one summary: 40 blocks untold" \
    '[ -n "$f" ] && grep -qx "env DETENGO_BLOCKS=40" "$f" &&
     grep -qx "env DETENGO_UNBLOCKS=0" "$f" && kill -0 $BURST'
ev mail 198.51.100.51 >>"$T/burst.log"
ev mail 198.51.100.52 >>"$T/burst.log"
waitfor 50 eval '[ -n "$(rec_of burst "block 198.51.100.52 mail")" ]'
check "burst: a new minute, notices one by one again" \
    [ -n "$(rec_of burst "block 198.51.100.51 mail")" ]
stop "$BURST"
checkx "burst: 13 notices in all, none dropped ($(nrec burst))" \
    '[ $RC -eq 0 ] && [ "$(nrec burst)" -eq 13 ] &&
     grep -qx "detengo_notices_total{result=\"untold\"} 40" "$T/burst.prom" &&
     grep -qx "detengo_notices_total{result=\"dropped\"} 0" "$T/burst.prom"'

left=$((TLIM_T0 + 32 - $(date +%s)))
[ $left -gt 0 ] && sleep $left
waitfor 50 grep -Eq "notice block 192\.0\.2\.90: .*(ran over|killed after) 30 s" "$T/tlim.err"
checkx "default time limit: a notice ended after 30 s, logged" \
    'grep -Eq "notice block 192\.0\.2\.90: .*(ran over 30 s|killed after 30 s)" "$T/tlim.err" &&
     [ "$(running "$T/hang-b")" -eq 0 ]' || show "$T/tlim.err"
stop "$TLIM"
check "default time limit: detengo exits 0" [ "$RC" -eq 0 ]

checkx "no sanitizer report" \
    '! grep -l "AddressSanitizer\|runtime error:\|LeakSanitizer" "$T"/*.err'
note "$(($(date +%s) - TLIM_T0)) s"
exit $fail
