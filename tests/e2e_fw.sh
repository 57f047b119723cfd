#!/bin/bash
# end-to-end checks of detengo's libiptc backend against iptables-legacy
#
# Every iptables command runs through `ip netns exec', so the host's own
# firewall is never touched.  The xtables lock file is machine-wide.
# T_FW and T_FW_SAN name the two builds of the driver.

set -u

if [ "$(id -u)" != 0 ]; then
	echo "skip - e2e_fw: needs root"
	exit 0
fi
for c in ip iptables-legacy ip6tables-legacy iptables-legacy-save \
    ip6tables-legacy-save iptables-legacy-restore flock; do
	if ! command -v "$c" >/dev/null 2>&1; then
		echo "not ok - e2e_fw: $c missing (sh tests/deps.sh installs it)"
		exit 1
	fi
done

cd "$(dirname "$0")/.." || exit 1
T_FW=${T_FW:-obj/tests/t_fw}
T_FW_SAN=${T_FW_SAN:-obj-san/tests/t_fw}
for b in "$T_FW" "$T_FW_SAN"; do
	if [ ! -x "$b" ]; then
		echo "not ok - e2e_fw: $b missing (make $b)"
		exit 1
	fi
done
LOCKFILE=${XTABLES_LOCKFILE:-/run/xtables.lock}

NS=cdfw-$$
TMP=$(mktemp -d /tmp/cdfw-$$.XXXXXX) || exit 1
PIDS=""
FAIL=0

cleanup() {
	for p in $PIDS; do
		kill "$p" 2>/dev/null
	done
	wait 2>/dev/null
	ip netns del "$NS" 2>/dev/null
	rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

if ! ip netns add "$NS"; then
	echo "not ok - e2e_fw: ip netns add $NS"
	exit 1
fi
# the legacy tables' modules, as the detengo package loads them at boot
# (a freshly booted kernel has them not; libiptc cannot load them)
modprobe -q -a ip_tables ip6_tables 2>/dev/null

X() {
	ip netns exec "$NS" "$@"
}

result() {	# result WHAT STATUS
	if [ "$2" = 0 ]; then
		echo "ok - e2e_fw: $1"
	else
		echo "not ok - e2e_fw: $1"
		FAIL=1
	fi
}

# compare two files, show the difference on failure; GOT must hold a
# table as read (iptables-save's *filter, or -S's policy line): two
# failed reads compare equal and prove nothing
same() {	# same WHAT GOT WANT
	if grep -q '^\*filter$\|^-P ' "$2" && cmp -s "$2" "$3"; then
		result "$1" 0
	else
		result "$1" 1
		diff -u "$3" "$2" | sed 's/^/#   /'
	fi
}

reset() {
	local f

	for f in "" 6; do
		X ip${f}tables-legacy -w 30 -F
		X ip${f}tables-legacy -w 30 -X
		X ip${f}tables-legacy -w 30 -Z
	done
}

# the table without comment and counter lines (":CHAIN POLICY [p:b]")
save() {	# save ""|6
	X ip${1}tables-legacy-save -t filter | grep -v -e '^#' -e '^:'
}

# what `iptables -A' makes for detengo's rules: ipt4/6 CHAIN HOST PORT...
ipt_host() {
	local v=$1 chain=$2 host=$3 p
	shift 3
	for p in "$@"; do
		X ip${v}tables-legacy -w 30 -A "$chain" -s "$host" -p tcp \
		    --dport "$p" -j LOG --log-prefix "detengo: " || return 1
		X ip${v}tables-legacy -w 30 -A "$chain" -s "$host" -p tcp \
		    --dport "$p" -j DROP || return 1
	done
}

# run the driver, keep its output in $OUT; status in $RC
drv() {
	OUT=$(X "$T" "$@" 2>"$TMP/err")
	RC=$?
	if [ -s "$TMP/err" ]; then
		sed 's/^/#   stderr: /' "$TMP/err"
	fi
}

functional() {	# functional TAG: the checks either build must pass
	local tag=$1 v h h1 h2 h3 pl fam

	for v in "" 6; do
		if [ -z "$v" ]; then
			h1=192.0.2.10; h2=198.51.100.7; h3=203.0.113.9; pl=32
		else
			h1=2001:db8::a; h2=2001:db8:1::7; h3=2001:db8:2::9; pl=128
		fi
		fam=IPv${v:-4}

		# the same rules made both ways save byte for byte the same
		reset
		drv -p 25,587 add "$h1" "$h2"
		save "$v" >"$TMP/ours"
		reset
		ipt_host "$v" FORWARD "$h1/$pl" 25 587 &&
		    ipt_host "$v" FORWARD "$h2/$pl" 25 587
		save "$v" >"$TMP/theirs"
		[ "$RC" = 0 ] && [ "$OUT" = "added 2" ] && grep -q detengo "$TMP/ours"
		result "$tag $fam: t_fw add reports added 2" $?
		same "$tag $fam: rules equal iptables -A's in iptables-save" \
		    "$TMP/ours" "$TMP/theirs"

		# and iptables can find and delete them (IP6T_F_PROTO set)
		reset
		drv add "$h1"
		X ip${v}tables-legacy -w 30 -D FORWARD -s "$h1/$pl" -p tcp \
		    --dport 25 -j LOG --log-prefix "detengo: " &&
		X ip${v}tables-legacy -w 30 -D FORWARD -s "$h1/$pl" -p tcp \
		    --dport 25 -j DROP
		result "$tag $fam: iptables -D deletes t_fw's rules" $?

		# a chain of our own, one jump per port
		reset
		drv -c DETENGO -p 25,587 add "$h1"
		drv -c DETENGO -p 25,587 add "$h2" "$h1"
		save "$v" >"$TMP/ours"
		reset
		X ip${v}tables-legacy -w 30 -N DETENGO
		X ip${v}tables-legacy -w 30 -A FORWARD -p tcp --dport 25 -j DETENGO
		X ip${v}tables-legacy -w 30 -A FORWARD -p tcp --dport 587 -j DETENGO
		ipt_host "$v" DETENGO "$h1/$pl" 25 587 &&
		    ipt_host "$v" DETENGO "$h2/$pl" 25 587
		save "$v" >"$TMP/theirs"
		[ "$OUT" = "added 1" ]
		result "$tag $fam: -c DETENGO second add adds only the new host" $?
		same "$tag $fam: -c DETENGO: chain, one jump per port, rules" \
		    "$TMP/ours" "$TMP/theirs"

		# flush with a chain: rules, jumps and chain go, the admin's rule stays
		X ip${v}tables-legacy -w 30 -I FORWARD -s "$h3" -j ACCEPT
		drv -c DETENGO flush
		save "$v" >"$TMP/ours"
		printf '*filter\n-A FORWARD -s %s/%s -j ACCEPT\nCOMMIT\n' \
		    "$h3" "$pl" >"$TMP/want"
		[ "$OUT" = "flushed 2" ]
		result "$tag $fam: -c DETENGO flush reports 2 hosts" $?
		same "$tag $fam: -c DETENGO flush leaves only the admin rule" \
		    "$TMP/ours" "$TMP/want"

		# --insert puts ours on top, in the order append would have
		reset
		X ip${v}tables-legacy -w 30 -A FORWARD -p tcp --dport 25 -j ACCEPT
		drv shadowed
		case $OUT in
		"$fam FORWARD rule 1: -p tcp -m tcp --dport 25 -j ACCEPT")
			result "$tag $fam: shadowed names the ACCEPT ahead" 0 ;;
		*)	result "$tag $fam: shadowed names the ACCEPT ahead" 1
			echo "#   got: $OUT" ;;
		esac
		drv -I add "$h1" "$h2"
		X ip${v}tables-legacy -S FORWARD >"$TMP/ours"
		{
			echo "-P FORWARD ACCEPT"
			for h in "$h1" "$h2"; do
				echo "-A FORWARD -s $h/$pl -p tcp -m tcp --dport 25 -j LOG --log-prefix \"detengo: \""
				echo "-A FORWARD -s $h/$pl -p tcp -m tcp --dport 25 -j DROP"
			done
			echo "-A FORWARD -p tcp -m tcp --dport 25 -j ACCEPT"
		} >"$TMP/want"
		same "$tag $fam: -I places the rules at the top" "$TMP/ours" \
		    "$TMP/want"
		drv shadowed
		[ "$OUT" = none ]
		result "$tag $fam: nothing shadowed once ours are on top" $?

		# the same host twice adds nothing
		save "$v" >"$TMP/before"
		drv add "$h1"
		save "$v" >"$TMP/after"
		[ "$OUT" = "added 0" ] && cmp -s "$TMP/before" "$TMP/after"
		result "$tag $fam: adding a present host adds nothing" $?

		# del and flush remove ours only, near-misses included
		reset
		X ip${v}tables-legacy -w 30 -A FORWARD -s "$h1" -p tcp --dport 25 \
		    -j LOG --log-prefix "admin: "
		X ip${v}tables-legacy -w 30 -A FORWARD -s "$h1" -p tcp --dport 25 \
		    -j ACCEPT
		if [ -z "$v" ]; then
			X iptables-legacy -w 30 -A FORWARD -s 192.0.2.0/24 -p tcp \
			    --dport 25 -j DROP
		else
			X ip6tables-legacy -w 30 -A FORWARD -s 2001:db8::/64 -p tcp \
			    --dport 25 -j DROP
		fi
		X ip${v}tables-legacy -w 30 -A FORWARD -s "$h1" -p tcp --dport 25 \
		    -i lo -j DROP
		save "$v" >"$TMP/admin"
		drv add "$h1" "$h2"
		drv del "$h1" "$h3"
		save "$v" >"$TMP/ours"
		{
			grep -v COMMIT "$TMP/admin"
			echo "-A FORWARD -s $h2/$pl -p tcp -m tcp --dport 25 -j LOG --log-prefix \"detengo: \""
			echo "-A FORWARD -s $h2/$pl -p tcp -m tcp --dport 25 -j DROP"
			echo COMMIT
		} >"$TMP/want"
		[ "$OUT" = "deleted 1" ]
		result "$tag $fam: del of one present, one absent host deletes 1" $?
		same "$tag $fam: del leaves the admin's rules and the other host" \
		    "$TMP/ours" "$TMP/want"
		drv flush
		save "$v" >"$TMP/ours"
		[ "$OUT" = "flushed 1" ]
		result "$tag $fam: flush reports 1 host" $?
		same "$tag $fam: flush leaves exactly the admin's rules" \
		    "$TMP/ours" "$TMP/admin"
	done

	# list sums the DROP counters per host, across ports and families
	reset
	X iptables-legacy-restore -c <<-'EOF'
	*filter
	[5:300] -A FORWARD -s 192.0.2.20/32 -p tcp -m tcp --dport 25 -j LOG --log-prefix "detengo: "
	[7:420] -A FORWARD -s 192.0.2.20/32 -p tcp -m tcp --dport 25 -j DROP
	[2:120] -A FORWARD -s 192.0.2.20/32 -p tcp -m tcp --dport 587 -j DROP
	[9:999] -A FORWARD -s 192.0.2.21/32 -p tcp -m tcp --dport 25 -j ACCEPT
	COMMIT
	EOF
	X ip6tables-legacy-restore -c <<-'EOF'
	*filter
	[3:240] -A FORWARD -s 2001:db8::20/128 -p tcp -m tcp --dport 25 -j DROP
	COMMIT
	EOF
	drv list
	[ "$RC" = 0 ] && [ "$OUT" = "192.0.2.20 9 540
2001:db8::20 3 240" ]
	result "$tag list: hosts with summed DROP counters" $?
	[ "$RC" = 0 ] || echo "#   got: $OUT"
	reset
}

# the dry backend's own TAP self-test, both builds
for b in "$T_FW" "$T_FW_SAN"; do
	out=$("$b" selftest 2>/dev/null)
	st=$?
	[ "$st" = 0 ] && ! echo "$out" | grep -q '^not ok' &&
	    echo "$out" | grep -q '^1\.\.[1-9]'
	result "$b selftest (dry backend) passes" $?
done

T=$T_FW functional obj
T=$T_FW_SAN functional obj-san
T=$T_FW

# concurrency: iptables -w beside t_fw, nothing of either lost
reset
X bash -c '
	fails=0
	for i in $(seq 1 300); do
		iptables-legacy -w 60 -A FORWARD -p udp --dport $((10000 + i)) -j ACCEPT || fails=$((fails + 1))
		iptables-legacy -w 60 -A FORWARD -p udp --dport $((20000 + i)) -j ACCEPT || fails=$((fails + 1))
		iptables-legacy -w 60 -D FORWARD -p udp --dport $((20000 + i)) -j ACCEPT || fails=$((fails + 1))
	done
	echo "$fails" >'"$TMP/ipt.fails"'
' &
P1=$!
X bash -c '
	fails=0
	for i in $(seq 0 299); do
		if [ $i -lt 256 ]; then h=198.51.100.$i; else h=203.0.113.$((i - 256)); fi
		'"$T"' -w 60 add $h >/dev/null || fails=$((fails + 1))
	done
	echo "$fails" >'"$TMP/fw.fails"'
' &
P2=$!
PIDS="$P1 $P2"
wait "$P1" "$P2"
PIDS=""
X iptables-legacy -S FORWARD >"$TMP/rules"
kept=$(grep -c -- '--dport 10[0-9][0-9][0-9] -j ACCEPT' "$TMP/rules")
temp=$(grep -c -- '--dport 20[0-9][0-9][0-9] -j ACCEPT' "$TMP/rules")
ours=$(X "$T" list | wc -l)
drops=$(grep -c -- '-j DROP' "$TMP/rules")
echo "# concurrency: iptables kept $kept of 300, stray $temp, failures $(cat "$TMP/ipt.fails"); t_fw hosts $ours of 300, DROP rules $drops, failures $(cat "$TMP/fw.fails")"
[ "$kept" = 300 ] && [ "$temp" = 0 ] && [ "$(cat "$TMP/ipt.fails")" = 0 ]
result "300 iptables -A/-D pairs beside t_fw: none of theirs lost" $?
[ "$ours" = 300 ] && [ "$drops" = 300 ] && [ "$(cat "$TMP/fw.fails")" = 0 ]
result "300 t_fw adds beside iptables: none of ours lost" $?

# the lock held by another process: wait, then succeed; or give up
# naming it.  The holder lets go when told, not after a time, so that a
# slow machine (a VM without KVM) sees the same order of events
reset
rm -f "$TMP/unlock"
flock "$LOCKFILE" sh -c "until [ -e '$TMP/unlock' ]; do sleep 0.1; done" &
LP=$!
PIDS=$LP
i=0
while flock -n "$LOCKFILE" true && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
drv -w 1 add 192.0.2.30
[ "$RC" != 0 ] && grep -q "xtables lock held by pid $LP" "$TMP/err"
result "lock held: -w 1 gives up naming pid $LP" $?
(sleep 1.5; touch "$TMP/unlock") &
t0=$(date +%s.%N)
drv -w 10 add 192.0.2.30
t1=$(date +%s.%N)
wait "$LP"
waited=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
echo "# waited $waited s for the lock"
[ "$RC" = 0 ] && [ "$OUT" = "added 1" ] && awk -v w="$waited" 'BEGIN { exit !(w > 1) }'
result "lock held: -w 10 waits for it, then adds" $?
wait "$LP"
PIDS=""

# 10,000 hosts in one add
reset
drv bench 10000
echo "# $(echo "$OUT" | head -1)"
secs=$(echo "$OUT" | sed -n 's/.*: \([0-9.]*\) s$/\1/p')
n6=$(X ip6tables-legacy -S FORWARD | grep -c detengo)
[ "$RC" = 0 ] && [ -n "$secs" ] && awk -v s="$secs" -v k="${TIME_SCALE:-1}" 'BEGIN { exit !(s < 2 * k) }' &&
    echo "$OUT" | grep -qx "added 10000" && [ "$n6" = 10000 ]
result "10000 hosts in one add under 2 s (${secs:-?} s, $n6 LOG rules)" $?
t0=$(date +%s.%N)
drv flush
t1=$(date +%s.%N)
[ "$OUT" = "flushed 10000" ] && [ "$(X ip6tables-legacy -S FORWARD | wc -l)" = 1 ]
st=$?
result "flush of 10000 hosts ($(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }') s)" $st

exit $FAIL
