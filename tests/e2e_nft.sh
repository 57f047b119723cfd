#!/bin/sh
# detengo -b nft, end to end in private network namespaces, checked with
# nft list: blocks as set elements, --list, --unblock, --flush, -n,
# expiry in the kernel, a refresh, a firewall reload, kill -9 and
# restart, the allow list at SIGHUP, thresholds and triggers, IPv4 and
# IPv6, a start against a table that holds hosts already, a
# distribution-like ruleset beside ours, and the connection in progress.
#
#   c 192.0.2.10-13 --- g 192.0.2.1 | 203.0.113.1 --- s 203.0.113.25
#     2001:db8:1::10-13   2001:db8:1::1 | 2001:db8:2::1   2001:db8:2::25
#
# detengo runs in g; s runs a TCP server on port 25 that writes what
# each connection sent.  Offloads stay as the kernel sets them.
cd "$(dirname "$0")/.." || exit 1
. tests/check.sh
CHECK_NAME=e2e_nft
_cn="e2e_nft: "

if [ "$(id -u)" -ne 0 ]; then
	skip "needs root (network namespaces, nftables)"
	exit 0
fi
for c in nft ip python3; do
	command -v $c >/dev/null 2>&1 || { nok "$c missing (sh tests/deps.sh)"; exit 1; }
done

P=i11nft$$
. tests/gw.sh

inset() {	# inset SET HOST: the host is an element
	inns nft list set inet detengo "$1" 2>/dev/null |
	    grep -q "[{ ,]$2[ ,}]"
}
outset() {	# outset SET HOST: the set was listed, the host is not in it
	inns nft list set inet detengo "$1" >"$T/set.now" 2>/dev/null &&
	    grep -q "set $1 {" "$T/set.now" &&
	    ! grep -q "[{ ,	]$2[ ,}]" "$T/set.now"
}
notable() {	# notable TABLE: the tables were listed, TABLE is not one
	inns nft list tables >"$T/tables.now" 2>/dev/null &&
	    grep -q '^table ' "$T/tables.now" &&
	    ! grep -qx "table $1" "$T/tables.now"
}
nelems() {	# nelems SET
	inns nft -j list set inet detengo "$1" 2>/dev/null |
	    python3 -c 'import json,sys
d=json.load(sys.stdin)["nftables"]
print(sum(len(x["set"].get("elem", [])) for x in d if "set" in x))' 2>/dev/null || echo 0
}

# --- blocks, rules, reports ---
{ ev mail 192.0.2.10; ev mail 2001:db8:1::10; } >"$T/a.log"
inns $D -b nft -s "$T/a.state" --once --from-start "$T/a.log" >"$T/a.out" 2>"$T/a.err"
rc=$?
checkx "a v4 and a v6 host blocked, exit 0" \
    '[ $rc -eq 0 ] && [ "$(grep -c " block " "$T/a.out")" -eq 2 ]'
check "the block line names the table and chain" \
    grep -q ' block .*host=192.0.2.10 chain=inet/detengo/forward ports=25' "$T/a.out"
check "192.0.2.10 is an element of hosts4" inset hosts4 192.0.2.10
check "2001:db8:1::10 is an element of hosts6" inset hosts6 2001:db8:1::10
inns nft list table inet detengo >"$T/table"
check "sets with timeouts and per-element counters" \
    sh -c "[ \$(grep -c 'flags timeout' '$T/table') -eq 2 ] && [ \$(grep -c '^		counter\$' '$T/table') -eq 2 ]"
check "one base chain on forward at priority filter - 10" \
    grep -q 'type filter hook forward priority filter - 10; policy accept;' "$T/table"
check "the IPv4 rule: the port, then the set" \
    grep -q 'tcp dport 25 ip saddr @hosts4 log prefix "detengo: " drop' "$T/table"
check "the IPv6 rule" \
    grep -q 'tcp dport 25 ip6 saddr @hosts6 log prefix "detengo: " drop' "$T/table"
# the bytecode: IPv4 tests the port first, IPv6 its family first, so an
# IPv4 packet leaves the IPv6 rule at one compare
inns nft --debug=netlink list chain inet detengo forward 2>&1 |
    awk '/^inet detengo forward/ { getline; print }' >"$T/first"
checkx "the rules' first tests: l4proto (IPv4), then nfproto (IPv6)" \
    '[ "$(sed -n 1p "$T/first")" = "  [ meta load l4proto => reg 1 ]" ] &&
     [ "$(sed -n 2p "$T/first")" = "  [ meta load nfproto => reg 1 ]" ] &&
     [ "$(wc -l <"$T/first")" -eq 2 ]'
check "start says where the blocks are" grep -q "nft list table inet detengo" "$T/a.err"

# again over the same log and state: nothing doubled
inns $D -b nft -s "$T/a.state" --once --from-start "$T/a.log" >"$T/a2.out" 2>/dev/null
checkx "a restart blocks nobody twice" \
    '[ "$(grep -c " block " "$T/a2.out")" -eq 0 ] && [ "$(nelems hosts4)" -eq 1 ] && [ "$(nelems hosts6)" -eq 1 ]'

# -p with two ports: an anonymous set in the rule
inns $D -b nft -p 25,587 -s "$T/a.state" --once "$T/a.log" >/dev/null 2>&1
check "-p 25,587: tcp dport { 25, 587 }" \
    sh -c "ip netns exec ${P}g nft list chain inet detengo forward | grep -q 'tcp dport { 25, 587 } ip saddr @hosts4 log'"
inns $D -b nft -s "$T/a.state" --once "$T/a.log" >/dev/null 2>&1
check "and back to port 25 alone, the rules made afresh" \
    sh -c "[ \$(ip netns exec ${P}g nft list chain inet detengo forward | grep -c 'tcp dport 25 ip6* saddr @hosts[46] log') -eq 2 ]"

# --- traffic: a distribution-like ruleset beside ours ---
distro_ruleset
check "an unblocked host reaches the server through table inet filter" \
    connects 192.0.2.11 203.0.113.25
check "an unblocked IPv6 host too" connects 2001:db8:1::11 2001:db8:2::25
check "the blocked v4 host does not, though inet filter accepts port 25" \
    dropped 192.0.2.10 203.0.113.25
check "the blocked v6 host does not" \
    dropped 2001:db8:1::10 2001:db8:2::25
inns $D -b nft -s "$T/a.state" --list >"$T/list" 2>&1
check "--list: both hosts, packets counted for the v4 one" \
    awk '$1 == "192.0.2.10" && $2 > 0 && $3 > 0 { a = 1 } $1 == "2001:db8:1::10" { b = 1 } END { exit !(a && b) }' "$T/list"
echo_uncounted nft

# --- the daemon: the connection in progress, a reload, SIGHUP ---
: >"$T/d.log"
: >"$T/allow"
ip netns exec "${P}g" $D -b nft -s "$T/d.state" -A "$T/allow" "$T/d.log" >"$T/d.out" 2>"$T/d.err" &
dp=$!
pids="$pids $dp"
sleep 0.5
# a connection from .12 opened before its block
ip netns exec "${P}c" python3 "$T/hold.py" "$T/held" "$T/go" &
hp=$!
pids="$pids $hp"
waitfor 30 test -e "$T/held"
ev mail 192.0.2.12 >>"$T/d.log"
waitfor 20 inset hosts4 192.0.2.12
check "the daemon blocks 192.0.2.12 from the log" inset hosts4 192.0.2.12
touch "$T/go"
wait $hp
check "the connection in progress: its text before the block arrived" \
    grep -q '^192.0.2.12 HELO_before' "$T/srv.out"
check "and nothing after the block" sh -c "! grep -q MAIL_FROM_after '$T/srv.out'"

ev mail 2001:db8:1::12 >>"$T/d.log"
waitfor 20 inset hosts6 2001:db8:1::12
t0=$(date +%s.%N)
inns nft flush ruleset
waitfor 30 inset hosts4 192.0.2.12
t1=$(date +%s.%N)
ms=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%d", (b - a) * 1000 }')
check "nft flush ruleset: table, sets and rules back within 1 s (${ms} ms)" \
    within "$ms" 1000
check "both hosts back in their sets" inset hosts6 2001:db8:1::12
# 4: its own two and the two of the first runs, taken up at its start
if [ "$(grep -c 'was gone (a firewall reload?): made again with 4 blocked hosts' "$T/d.err")" -eq 1 ]; then
	ok "said in one line"
else
	nok "said in one line"
	sed 's/^/#   /' "$T/d.err"
fi
check "the rules are back" \
    sh -c "ip netns exec ${P}g nft list chain inet detengo forward | grep -q 'tcp dport 25 ip saddr @hosts4 log prefix'"

echo 192.0.2.12 >"$T/allow"
kill -HUP $dp
waitfor 30 outset hosts4 192.0.2.12
check "SIGHUP: an allowed host's block lifted" outset hosts4 192.0.2.12
check "reported unblock reason=allowed" grep -q 'unblock host=192.0.2.12 reason=allowed' "$T/d.out"
kill $dp
wait $dp
check "the daemon exits 0" [ $? -eq 0 ]

# --- reloads at their worst moments ---
# a block that comes after the table was taken and before detengo's next
# look at it; blocks that end (-x) put back; a saved ruleset that holds
# detengo's own table with older elements, restored with nft -f
: >"$T/w.log"
ev mail 192.0.2.50 >>"$T/w.log"
ip netns exec "${P}g" $D -b nft -x 3600 -s "$T/w.state" --from-start "$T/w.log" \
    >"$T/w.out" 2>"$T/w.err" &
wp=$!
pids="$pids $wp"
waitfor 30 inset hosts4 192.0.2.50
stop_now $wp
inns nft flush ruleset
ev mail 192.0.2.51 >>"$T/w.log"
kill -CONT $wp
waitfor 30 inset hosts4 192.0.2.51
sleep 1
checkx "a block between nft flush ruleset and detengo's check: the earlier block back with it" \
    'inset hosts4 192.0.2.50 && inset hosts4 192.0.2.51'
inns nft list set inet detengo hosts4 >"$T/w.set"
checkx "-x: the block put back keeps its timeout" \
    'grep -Eq "192\.0\.2\.50 [^,}]*timeout (1h|59m[0-9]+s)" "$T/w.set"' ||
    sed 's/^/#   /' "$T/w.set"
inns nft list table inet detengo >"$T/w.saved"
ev mail 192.0.2.52 >>"$T/w.log"
waitfor 30 inset hosts4 192.0.2.52
{ echo "delete table inet detengo"; cat "$T/w.saved"; } >"$T/w.nft"
t0=$(date +%s%N)
inns nft -f "$T/w.nft"
waitfor 30 inset hosts4 192.0.2.52
ms=$((($(date +%s%N) - t0) / 1000000))
checkx "nft -f of a saved table inet detengo without the newest block: it is back within 1 s (${ms} ms)" \
    'inset hosts4 192.0.2.52 && within "$ms" 1000'
kill $wp
wait $wp

# --- thresholds and triggers ---
{ ev mail 192.0.2.20; ev connect 192.0.2.21; ev mail 192.0.2.20; } >"$T/t.log"
inns $D -b nft -s "$T/t.state" -t 2/60 -T mail --once --from-start "$T/t.log" >"$T/t.out" 2>/dev/null
checkx "-t 2/60: the first mail counts, the second blocks" \
    'inset hosts4 192.0.2.20 && grep -q "skip .*host=192.0.2.20 reason=threshold" "$T/t.out"'
check "-T mail: a connect does not" sh -c "! grep -q 192.0.2.21 '$T/t.out'"

# --- a table that holds a host, no state file ---
inns nft add element inet detengo hosts4 '{ 192.0.2.30 }'
ev mail 192.0.2.30 >"$T/e.log"
inns $D -b nft -s "$T/e.state" --once --from-start "$T/e.log" >"$T/e.out" 2>/dev/null
checkx "a host in the set at start: skip reason=already, no second block" \
    'grep -q "skip .*host=192.0.2.30 reason=already" "$T/e.out" && ! grep -q " block " "$T/e.out"'
check "and it is in the state now" grep -q 192.0.2.30 "$T/e.state"

# --- -n changes nothing; --unblock ---
inns $D -b nft -n -s "$T/a.state" --unblock 192.0.2.10 >/dev/null 2>&1
check "-n --unblock leaves the element" inset hosts4 192.0.2.10
inns $D -b nft -s "$T/a.state" --unblock 192.0.2.10 >"$T/u.out" 2>&1
check "--unblock removes the element" outset hosts4 192.0.2.10
check "--unblock reports reason=manual" grep -q 'unblock host=192.0.2.10 reason=manual' "$T/u.out"
check "--unblock drops it from the state" sh -c "! grep -q '192.0.2.10 ' '$T/a.state'"

# --- an old copy of the ruleset restored while detengo is stopped ---
# each element carries the time of its block: one made before the state
# was last saved, and missing from it, was lifted meanwhile and goes;
# an element without that comment (added by hand) is taken up
{ ev mail 192.0.2.60; ev mail 192.0.2.61; } >"$T/o.log"
inns $D -b nft -s "$T/o.state" --once --from-start "$T/o.log" >/dev/null 2>&1
inns nft list table inet detengo >"$T/o.saved"
check "each element carries the time of its block as its comment" \
    grep -Eq '192\.0\.2\.60 [^,}]*comment "blocked 20[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z"' "$T/o.saved"
inns $D -b nft -s "$T/o.state" --unblock 192.0.2.60 >/dev/null 2>&1
{ echo "delete table inet detengo"; cat "$T/o.saved"; } >"$T/o.nft"
inns nft -f "$T/o.nft"
inns nft add element inet detengo hosts4 '{ 192.0.2.62 }'
inns nft add element inet detengo hosts4 '{ 192.0.2.63 comment "blocked 2026-13-45T99:00:00.000Z" }'
# the times are cut to the millisecond: a block of the state's own
# millisecond may have come after the save, one a millisecond before not
stampat() {	# stampat FILE MS: FILE's mtime plus MS, as an element's comment
	python3 -c 'import os, sys, time
m = os.stat(sys.argv[1]).st_mtime_ns // 1000000 + int(sys.argv[2])
print("blocked %s.%03dZ" % (time.strftime("%Y-%m-%dT%H:%M:%S",
    time.gmtime(m // 1000)), m % 1000))' "$1" "$2"
}
inns nft add element inet detengo hosts4 "{ 192.0.2.64 comment \"$(stampat "$T/o.state" 0)\" }"
inns nft add element inet detengo hosts4 "{ 192.0.2.65 comment \"$(stampat "$T/o.state" -1)\" }"
check "the old copy restored: 192.0.2.60 is an element again" inset hosts4 192.0.2.60
inns $D -b nft -s "$T/o.state" --once "$T/o.log" >"$T/o.out" 2>"$T/o.err"
check "at start the block lifted before is lifted again" outset hosts4 192.0.2.60
check "and one made a millisecond before the state was saved" outset hosts4 192.0.2.65
check "the start says so in one line" grep -q '^detengo: 2 hosts of the table were lifted before the state was saved' "$T/o.err"
checkx "the block in force stays; the elements added by hand, one with a comment not a time, are taken up" \
    'inset hosts4 192.0.2.61 && inset hosts4 192.0.2.62 && inset hosts4 192.0.2.63 &&
    grep -q "^block 192.0.2.62 " "$T/o.state" && grep -q "^block 192.0.2.63 " "$T/o.state"'
checkx "one made in the millisecond of the save is taken up" \
    'inset hosts4 192.0.2.64 && grep -q "^block 192.0.2.64 " "$T/o.state"'

# --- expiry in the kernel, while detengo is stopped ---
ev mail 192.0.2.40 >"$T/x.log"
inns $D -b nft -x 2 -s "$T/x.state" --once --from-start "$T/x.log" >"$T/x.out" 2>/dev/null
check "-x 2: the element carries its timeout" \
    sh -c "ip netns exec ${P}g nft list set inet detengo hosts4 | grep -q '192.0.2.40 counter packets 0 bytes 0 timeout 2s'"
sleep 3
check "the kernel lifted it with detengo stopped" outset hosts4 192.0.2.40
inns $D -b nft -x 2 -s "$T/x.state" --once "$T/x.log" >"$T/x2.out" 2>/dev/null
check "the next start reports unblock reason=expired" \
    grep -q 'unblock host=192.0.2.40 reason=expired' "$T/x2.out"

# --- a refresh is delete and add (kernel 6.1 keeps the old timeout) ---
inns $TFW -b nft -x 100 add 192.0.2.41 >/dev/null
inns $TFW -b nft -x 1000 add 192.0.2.41 >"$T/r.out"
inns nft list set inet detengo hosts4 >"$T/r.set"
check "refresh: the new timeout" grep -q '192.0.2.41 counter packets 0 bytes 0 timeout 16m40s' "$T/r.set"
check "refresh: not counted as a new block" grep -q 'added 0' "$T/r.out"
# a state whose end differs from the kernel's: at start the state's wins
ev mail 192.0.2.42 >"$T/y.log"
inns $D -b nft -x 600 -s "$T/y.state" --once --from-start "$T/y.log" >/dev/null 2>&1
inns $TFW -b nft -x 30 add 192.0.2.42 >/dev/null
inns $D -b nft -x 600 -s "$T/y.state" --once "$T/y.log" >/dev/null 2>"$T/y.err"
check "at start the kernel gets the state's end of block again" \
    sh -c "ip netns exec ${P}g nft list set inet detengo hosts4 | grep -Eq '192.0.2.42 counter packets 0 bytes 0 timeout (9m[0-9]+s|10m)'"

# --- kill -9 at random points while events keep coming ---
rm -f "$T/k.state"
: >"$T/k.log"
(
	i=1
	while [ $i -le 150 ]; do
		if [ $i -le 100 ]; then ev mail 198.51.100.$i; else ev mail 2001:db8:3::$i; fi >>"$T/k.log"
		[ $((i % 10)) -eq 0 ] && sleep 0.02
		i=$((i + 1))
	done
) &
w=$!
pids="$pids $w"
kills=0
while kill -0 $w 2>/dev/null || [ $kills -eq 0 ]; do
	ip netns exec "${P}g" $D -b nft -s "$T/k.state" --from-start "$T/k.log" >>"$T/k.out" 2>/dev/null &
	p=$!
	sleep 0.0$(( $(od -An -N1 -tu1 /dev/urandom) % 9 + 1 ))
	kill -9 $p 2>/dev/null
	wait $p 2>/dev/null
	kills=$((kills + 1))
done
inns $D -b nft -s "$T/k.state" --once --from-start "$T/k.log" >>"$T/k.out" 2>/dev/null
k4=$(inns nft list set inet detengo hosts4 | grep -o '198\.51\.100\.[0-9]*' | sort -u | wc -l)
k6=$(inns nft list set inet detengo hosts6 | grep -o '2001:db8:3::[0-9a-f]*' | sort -u | wc -l)
checkx "kill -9 $kills times: 150 hosts in the sets ($k4 + $k6)" '[ "$k4" -eq 100 ] && [ "$k6" -eq 50 ]'
check "kill -9: no host blocked twice" \
    sh -c "[ -z \"\$(grep ' block ' '$T/k.out' | sed 's/.* host=\([^ ]*\).*/\1/' | sort | uniq -d)\" ]"
check "kill -9: every host in the state" \
    [ "$(grep -c '^block \(198\.51\.100\.\|2001:db8:3::\)' "$T/k.state")" -eq 150 ]

# --- big batches: element lists split at 64 KiB ---
inns $TFW -b nft bench 20000 >"$T/b.out"
check "20,000 hosts in one transaction" grep -q 'added 20000' "$T/b.out"
check "all 20,000 in hosts6" [ "$(nelems hosts6)" -ge 20000 ]

# --- --flush removes only what detengo made ---
inns nft add table inet filter
inns $D -b nft -s "$T/a.state" --flush >"$T/f.out" 2>&1
check "--flush: table inet detengo gone" notable "inet detengo"
check "--flush: table inet filter stays" sh -c "ip netns exec ${P}g nft list table inet filter >/dev/null"
check "--flush says how many hosts" grep -q '^removed the rules of [0-9]* hosts' "$T/f.out"
[ $fail -eq 0 ]
