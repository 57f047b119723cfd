#!/bin/sh
# detengo -b ipset, end to end in private network namespaces, checked with
# ipset list and iptables-legacy: blocks as members of detengo4 and
# detengo6, one LOG and one DROP rule per port, --list, --unblock, --flush,
# -n, -c, expiry in the kernel, a refresh, ipset destroy and iptables -F,
# kill -9 and restart, the allow list at SIGHUP, thresholds and triggers,
# IPv4 and IPv6, a start against sets that hold hosts already, a
# distribution-like nftables ruleset beside ours, and the connection in
# progress.  The gateway and its peers: tests/gw.sh.
cd "$(dirname "$0")/.." || exit 1
. tests/check.sh
CHECK_NAME=e2e_ipset
_cn="e2e_ipset: "

if [ "$(id -u)" -ne 0 ]; then
	skip "needs root (network namespaces, ipset, iptables)"
	exit 0
fi
for c in ipset iptables-legacy ip6tables-legacy nft ip python3; do
	command -v $c >/dev/null 2>&1 || { nok "$c missing (sh tests/deps.sh)"; exit 1; }
done

P=i11ips$$
. tests/gw.sh

inset() {	# inset SET HOST: the host is a member
	inns ipset list "$1" 2>/dev/null | grep -q "^$2 "
}
outset() {	# outset SET HOST: the set was listed, HOST is not a member
	inns ipset list "$1" >"$T/set.now" 2>/dev/null &&
	    grep -q "^Name: $1\$" "$T/set.now" && ! grep -q "^$2 " "$T/set.now"
}
nelems() {	# nelems SET
	n_=$(inns ipset list -t "$1" 2>/dev/null | sed -n 's/^Number of entries: //p')
	echo "${n_:-0}"
}
rules() {	# rules CMD CHAIN: our rules as -S prints them
	inns "$1" -S "$2" 2>/dev/null | grep -c 'match-set detengo'
}

R4="-A FORWARD -p tcp -m tcp --dport 25 -m set --match-set detengo4 src"
R6="-A FORWARD -p tcp -m tcp --dport 25 -m set --match-set detengo6 src"

# --- blocks, sets, rules, reports ---
{ ev mail 192.0.2.10; ev mail 2001:db8:1::10; } >"$T/a.log"
inns $D -b ipset -s "$T/a.state" --once --from-start "$T/a.log" >"$T/a.out" 2>"$T/a.err"
rc=$?
checkx "a v4 and a v6 host blocked, exit 0" \
    '[ $rc -eq 0 ] && [ "$(grep -c " block " "$T/a.out")" -eq 2 ]'
check "the block line names the chain" \
    grep -q ' block .*host=192.0.2.10 chain=FORWARD ports=25' "$T/a.out"
check "192.0.2.10 is a member of detengo4" inset detengo4 192.0.2.10
check "2001:db8:1::10 is a member of detengo6" inset detengo6 2001:db8:1::10
inns ipset list -t >"$T/sets"
check "hash:ip sets with timeouts, counters, maxelem for 1,000,000" \
    sh -c "[ \$(grep -c '^Type: hash:ip' '$T/sets') -eq 2 ] && [ \$(grep -c 'maxelem 1048576 timeout 0 counters' '$T/sets') -eq 2 ] && grep -q 'family inet6' '$T/sets'"
inns iptables-legacy -S FORWARD >"$T/r4"
inns ip6tables-legacy -S FORWARD >"$T/r6"
check "one IPv4 LOG rule with the set match" \
    sh -c "[ \$(grep -cxF -- '$R4 ! --update-counters -j LOG --log-prefix \"detengo: \"' '$T/r4') -eq 1 ]"
check "one IPv4 DROP rule with the set match" \
    sh -c "[ \$(grep -cxF -- '$R4 -j DROP' '$T/r4') -eq 1 ] && [ \$(wc -l <'$T/r4') -eq 3 ]"
check "the IPv6 rules" \
    sh -c "grep -qxF -- '$R6 -j DROP' '$T/r6' && [ \$(wc -l <'$T/r6') -eq 3 ]"
check "start says where the blocks are" grep -q "ipset list detengo4" "$T/a.err"

inns $D -b ipset -s "$T/a.state" --once --from-start "$T/a.log" >"$T/a2.out" 2>/dev/null
checkx "a restart blocks nobody twice, adds no rule" \
    '[ "$(grep -c " block " "$T/a2.out")" -eq 0 ] && [ "$(nelems detengo4)" -eq 1 ] && [ "$(nelems detengo6)" -eq 1 ] && [ "$(rules iptables-legacy FORWARD)" -eq 2 ]'

inns $D -b ipset -p 25,587 -s "$T/a.state" --once "$T/a.log" >/dev/null 2>&1
check "-p 25,587: a LOG and a DROP per port" \
    sh -c "[ \$(ip netns exec ${P}g iptables-legacy -S FORWARD | grep -c 'dport 587 -m set --match-set detengo4') -eq 2 ]"
inns $D -b ipset -s "$T/a.state" --once "$T/a.log" >/dev/null 2>&1
check "and back to port 25 alone: the 587 rules go" \
    sh -c "[ \$(ip netns exec ${P}g iptables-legacy -S FORWARD | grep -c 'dport 587') -eq 0 ] && [ \$(ip netns exec ${P}g iptables-legacy -S FORWARD | grep -c 'dport 25 -m set') -eq 2 ]"

# --- traffic: a distribution-like nftables ruleset beside ours ---
distro_ruleset
check "an unblocked host reaches the server through table inet filter" \
    connects 192.0.2.11 203.0.113.25
check "an unblocked IPv6 host too" connects 2001:db8:1::11 2001:db8:2::25
check "the blocked v4 host does not, though inet filter accepts port 25" \
    dropped 192.0.2.10 203.0.113.25
check "the blocked v6 host does not" \
    dropped 2001:db8:1::10 2001:db8:2::25
inns $D -b ipset -s "$T/a.state" --list >"$T/list" 2>&1
check "--list: both hosts, packets and bytes from the set counters" \
    awk '$1 == "192.0.2.10" && $2 > 0 && $3 > 0 { a = 1 } $1 == "2001:db8:1::10" && $2 > 0 { b = 1 } END { exit !(a && b) }' "$T/list"
p_set=$(inns ipset list detengo4 | sed -n 's/^192\.0\.2\.10 .*packets \([0-9]*\) .*/\1/p')
p_drop=$(inns iptables-legacy -L FORWARD -nvx | awk '/DROP/ && /detengo4/ { print $1 }')
check "a packet counts once in the set ($p_set), as at the DROP rule ($p_drop)" \
    [ "$p_set" = "$p_drop" ]
echo_uncounted ipset

# --- the daemon: the connection in progress, reloads, SIGHUP ---
: >"$T/d.log"
: >"$T/allow"
ip netns exec "${P}g" $D -b ipset -s "$T/d.state" -A "$T/allow" "$T/d.log" >"$T/d.out" 2>"$T/d.err" &
dp=$!
pids="$pids $dp"
sleep 0.5
ip netns exec "${P}c" python3 "$T/hold.py" "$T/held" "$T/go" &
hp=$!
pids="$pids $hp"
waitfor 30 test -e "$T/held"
ev mail 192.0.2.12 >>"$T/d.log"
waitfor 20 inset detengo4 192.0.2.12
check "the daemon blocks 192.0.2.12 from the log" inset detengo4 192.0.2.12
touch "$T/go"
wait $hp
check "the connection in progress: its text before the block arrived" \
    grep -q '^192.0.2.12 HELO_before' "$T/srv.out"
check "and nothing after the block" sh -c "! grep -q MAIL_FROM_after '$T/srv.out'"

ev mail 2001:db8:1::12 >>"$T/d.log"
waitfor 20 inset detengo6 2001:db8:1::12
# the reload as one step, as iptables-restore and ipset restore would
# make it: detengo waits while it runs (where the commands are slow, it
# would put the rules back between them, and the sets stay in use)
stop_now $dp
inns sh -c 'iptables-legacy -F FORWARD; ip6tables-legacy -F FORWARD; ipset destroy detengo4; ipset destroy detengo6'
t0=$(date +%s.%N)
kill -CONT $dp
waitfor 30 sh -c "ip netns exec ${P}g ipset list detengo4 2>/dev/null | grep -q '^192.0.2.12 ' && [ \$(ip netns exec ${P}g ip6tables-legacy -S FORWARD | grep -c detengo6) -eq 2 ]"
t1=$(date +%s.%N)
ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
check "iptables -F and ipset destroy: sets, members and rules back within 1 s (${ms} ms)" \
    within "$ms" 1000
check "both hosts back in their sets" inset detengo6 2001:db8:1::12
check "the rules are back" sh -c "[ \$(ip netns exec ${P}g iptables-legacy -S FORWARD | grep -c detengo4) -eq 2 ]"
# 4: its own two and the two of the first runs, taken up at its start
if [ "$(grep -c 'the sets and rules were gone (a firewall reload?): put back, 4 hosts added again' "$T/d.err")" -eq 1 ]; then
	ok "said in one line"
else
	nok "said in one line"
	sed 's/^/#   /' "$T/d.err"
fi
t0=$(date +%s.%N)
inns iptables-legacy -F FORWARD
waitfor 30 sh -c "[ \$(ip netns exec ${P}g iptables-legacy -S FORWARD | grep -c detengo4) -eq 2 ]"
t1=$(date +%s.%N)
ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
check "iptables-legacy -F alone: the rules back within 1 s (${ms} ms), in one line" \
    sh -c "[ $ms -lt $((1000 * TIME_SCALE)) ] && [ \$(grep -c 'the rules were gone (a firewall reload?): put back, 0 hosts' '$T/d.err') -eq 1 ]"

echo 192.0.2.12 >"$T/allow"
kill -HUP $dp
waitfor 30 outset detengo4 192.0.2.12
check "SIGHUP: an allowed host's block lifted" outset detengo4 192.0.2.12
check "reported unblock reason=allowed" grep -q 'unblock host=192.0.2.12 reason=allowed' "$T/d.out"
# a reload after the unblock: what detengo puts back is what it holds
# blocked now, not the host it let go
stop_now $dp
inns sh -c 'iptables-legacy -F FORWARD; ip6tables-legacy -F FORWARD; ipset destroy detengo4; ipset destroy detengo6'
kill -CONT $dp
waitfor 30 inset detengo6 2001:db8:1::12
check "a reload after the SIGHUP: the blocked host put back" \
    inset detengo6 2001:db8:1::12
check "and the host the allow list let go is not" outset detengo4 192.0.2.12
# a lift is saved at once: killed just after it, and started again with
# the allow list emptied, detengo does not block the host again
ev mail 192.0.2.13 >>"$T/d.log"
waitfor 30 inset detengo4 192.0.2.13
echo 192.0.2.13 >>"$T/allow"
kill -HUP $dp
waitfor 30 grep -q 'unblock host=192.0.2.13 reason=allowed' "$T/d.out"
kill -9 $dp
wait $dp 2>/dev/null
: >"$T/allow"
ip netns exec "${P}g" $D -b ipset -s "$T/d.state" -A "$T/allow" "$T/d.log" \
    >>"$T/d.out" 2>>"$T/d.err" &
dp=$!
pids="$pids $dp"
sleep $((1 * TIME_SCALE))
check "killed just after a lift, the allow list emptied: the host stays unblocked" \
    outset detengo4 192.0.2.13
kill $dp
wait $dp
check "the daemon exits 0" [ $? -eq 0 ]

# --- thresholds and triggers ---
{ ev mail 192.0.2.20; ev connect 192.0.2.21; ev mail 192.0.2.20; } >"$T/t.log"
inns $D -b ipset -s "$T/t.state" -t 2/60 -T mail --once --from-start "$T/t.log" >"$T/t.out" 2>/dev/null
checkx "-t 2/60: the first mail counts, the second blocks" \
    'inset detengo4 192.0.2.20 && grep -q "skip .*host=192.0.2.20 reason=threshold" "$T/t.out"'
check "-T mail: a connect does not" sh -c "! grep -q 192.0.2.21 '$T/t.out'"

# --- sets that hold a host, no state file ---
inns ipset add detengo4 192.0.2.30
ev mail 192.0.2.30 >"$T/e.log"
inns $D -b ipset -s "$T/e.state" --once --from-start "$T/e.log" >"$T/e.out" 2>/dev/null
checkx "a host in the set at start: skip reason=already, no second block" \
    'grep -q "skip .*host=192.0.2.30 reason=already" "$T/e.out" && ! grep -q " block " "$T/e.out"'
check "and it is in the state now" grep -q 192.0.2.30 "$T/e.state"

# --- -n changes nothing; --unblock ---
inns $D -b ipset -n -s "$T/a.state" --unblock 192.0.2.10 >/dev/null 2>&1
check "-n --unblock leaves the member" inset detengo4 192.0.2.10
inns $D -b ipset -s "$T/a.state" --unblock 192.0.2.10 >"$T/u.out" 2>&1
check "--unblock removes the member" outset detengo4 192.0.2.10
check "--unblock reports reason=manual" grep -q 'unblock host=192.0.2.10 reason=manual' "$T/u.out"
check "--unblock drops it from the state" sh -c "! grep -q '192.0.2.10 ' '$T/a.state'"
inns $D -b ipset -s "$T/a.state" --unblock 192.0.2.10 >/dev/null 2>&1
check "--unblock of a host not blocked exits 1" [ $? -eq 1 ]

# --- expiry in the kernel, while detengo is stopped ---
ev mail 192.0.2.40 >"$T/x.log"
inns $D -b ipset -x 2 -s "$T/x.state" --once --from-start "$T/x.log" >"$T/x.out" 2>/dev/null
check "-x 2: the member carries its timeout" \
    sh -c "ip netns exec ${P}g ipset list detengo4 | grep -Eq '^192.0.2.40 timeout [12] packets 0 bytes 0'"
sleep 3
check "the kernel lifted it with detengo stopped" outset detengo4 192.0.2.40
inns $D -b ipset -x 2 -s "$T/x.state" --once "$T/x.log" >"$T/x2.out" 2>/dev/null
check "the next start reports unblock reason=expired" \
    grep -q 'unblock host=192.0.2.40 reason=expired' "$T/x2.out"

# --- a refresh: the new timeout ---
inns $TFW -b ipset -x 100 add 192.0.2.41 >/dev/null
inns $TFW -b ipset -x 1000 add 192.0.2.41 >"$T/r.out"
check "refresh: the new timeout" \
    sh -c "ip netns exec ${P}g ipset list detengo4 | grep -Eq '^192.0.2.41 timeout (1000|999) '"
check "refresh: not counted as a new block" grep -q 'added 0' "$T/r.out"
# a state whose end differs from the kernel's: at start the state's wins
ev mail 192.0.2.42 >"$T/y.log"
inns $D -b ipset -x 600 -s "$T/y.state" --once --from-start "$T/y.log" >/dev/null 2>&1
inns $TFW -b ipset -x 30 add 192.0.2.42 >/dev/null
inns $D -b ipset -x 600 -s "$T/y.state" --once "$T/y.log" >/dev/null 2>"$T/y.err"
check "at start the kernel gets the state's end of block again" \
    sh -c "ip netns exec ${P}g ipset list detengo4 | grep -Eq '^192.0.2.42 timeout (59[0-9]|600) '"

# --- kill -9 at random points while events keep coming ---
rm -f "$T/k.state"
: >"$T/k.log"
(
	i=1
	while [ $i -le 150 ]; do
		if [ $i -le 100 ]; then ev mail 198.51.100.$i; else ev mail 2001:db8:3::$i; fi >>"$T/k.log"
		[ $((i % 10)) -eq 0 ] && sleep 0.2
		i=$((i + 1))
	done
) &
w=$!
pids="$pids $w"
kills=0
while kill -0 $w 2>/dev/null || [ $kills -eq 0 ]; do
	ip netns exec "${P}g" $D -b ipset -s "$T/k.state" --from-start "$T/k.log" >>"$T/k.out" 2>/dev/null &
	p=$!
	# a start of the sanitized build takes about 0.3 s: kills before,
	# during and after the first blocks
	sleep 0.$(( $(od -An -N1 -tu1 /dev/urandom) % 6 + 1 ))
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
	kills=$((kills + 1))
done
inns $D -b ipset -s "$T/k.state" --once --from-start "$T/k.log" >>"$T/k.out" 2>/dev/null
k4=$(inns ipset list detengo4 | grep -c '^198\.51\.100\.')
k6=$(inns ipset list detengo6 | grep -c '^2001:db8:3::')
checkx "kill -9 $kills times: 150 hosts in the sets ($k4 + $k6)" '[ "$k4" -eq 100 ] && [ "$k6" -eq 50 ]'
check "kill -9: no host blocked twice" \
    sh -c "[ -z \"\$(grep ' block ' '$T/k.out' | sed 's/.* host=\([^ ]*\).*/\1/' | sort | uniq -d)\" ]"
check "kill -9: every host in the state" \
    [ "$(grep -c '^block \(198\.51\.100\.\|2001:db8:3::\)' "$T/k.state")" -eq 150 ]
check "kill -9: still one LOG and one DROP rule" [ "$(rules iptables-legacy FORWARD)" -eq 2 ]

# --- --flush removes only what detengo made ---
inns ipset create other hash:ip
inns iptables-legacy -A FORWARD -p tcp --dport 25 -m set --match-set other src -j DROP
inns $D -b ipset -s "$T/a.state" --flush >"$T/f.out" 2>&1
inns iptables-legacy -S FORWARD >"$T/f.rules"
checkx "--flush: our rules gone, the other one stays" \
    'grep -q "match-set other src -j DROP" "$T/f.rules" &&
    ! grep -q detengo "$T/f.rules"'
checkx "--flush: detengo4 and detengo6 gone, the other set stays" \
    'inns ipset list -n >"$T/f.sets" && grep -qx other "$T/f.sets" &&
    ! grep -q detengo "$T/f.sets"'

check "--flush says how many hosts" grep -q '^removed the rules of [1-9][0-9]* hosts' "$T/f.out"

# --- -c CHAIN: rules in their chain, FORWARD jumps to it ---
ev mail 192.0.2.50 >"$T/c.log"
inns $D -b ipset -c DETENGO -s "$T/c.state" --once --from-start "$T/c.log" >/dev/null 2>&1
check "-c DETENGO: the LOG and DROP in the chain" \
    sh -c "[ \$(ip netns exec ${P}g iptables-legacy -S DETENGO | grep -c 'match-set detengo4 src') -eq 2 ]"
check "-c DETENGO: FORWARD jumps to it for port 25" \
    sh -c "ip netns exec ${P}g iptables-legacy -S FORWARD | grep -qx -- '-A FORWARD -p tcp -m tcp --dport 25 -j DETENGO'"
check "-c DETENGO: an unblocked host still passes" connects 192.0.2.13 203.0.113.25
check "-c DETENGO: 192.0.2.50 in the set" inset detengo4 192.0.2.50
inns $D -b ipset -c DETENGO -s "$T/c.state" --flush >/dev/null 2>&1
checkx "--flush -c DETENGO: chain, jumps and sets gone" \
    'inns iptables-legacy -S >"$T/f.rules" &&
    grep -q "^-P FORWARD " "$T/f.rules" && ! grep -q DETENGO "$T/f.rules" &&
    inns ipset list -n >"$T/f.sets" && grep -qx other "$T/f.sets" &&
    ! grep -q detengo "$T/f.sets"'

[ $fail -eq 0 ]
