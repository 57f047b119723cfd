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

D=${DETENGO:-$(pwd)/obj-san/bin/detengo}
TFW=$(pwd)/obj/tests/t_fw
T=$(mktemp -d) || exit 1
P=i11nft$$
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for n in c g s; do ip netns del "$P$n" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

inns() { ip netns exec "${P}g" "$@"; }
inc() { ip netns exec "${P}c" "$@"; }
ins() { ip netns exec "${P}s" "$@"; }

for n in c g s; do
	ip netns add "$P$n" && ip -n "$P$n" link set lo up || { nok "netns"; exit 1; }
done
ip link add "${P}ca" netns "${P}c" type veth peer name "${P}ga" netns "${P}g"
ip link add "${P}gb" netns "${P}g" type veth peer name "${P}sb" netns "${P}s"
for a in 10 11 12 13; do
	inc ip addr add 192.0.2.$a/24 dev "${P}ca"
	inc ip addr add 2001:db8:1::$a/64 dev "${P}ca" nodad
done
inns ip addr add 192.0.2.1/24 dev "${P}ga"
inns ip addr add 2001:db8:1::1/64 dev "${P}ga" nodad
inns ip addr add 203.0.113.1/24 dev "${P}gb"
inns ip addr add 2001:db8:2::1/64 dev "${P}gb" nodad
ins ip addr add 203.0.113.25/24 dev "${P}sb"
ins ip addr add 2001:db8:2::25/64 dev "${P}sb" nodad
inc ip link set "${P}ca" up
inns ip link set "${P}ga" up
inns ip link set "${P}gb" up
ins ip link set "${P}sb" up
inc ip route add default via 192.0.2.1
inc ip -6 route add default via 2001:db8:1::1
ins ip route add default via 203.0.113.1
ins ip -6 route add default via 2001:db8:2::1
inns sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1

# the server: one line per connection, "PEER BYTES-RECEIVED"
cat >"$T/srv.py" <<'EOF'
import socket, sys, threading
out = open(sys.argv[1], "a", buffering=1)
def serve(c, peer):
    c.settimeout(20)
    got = b""
    try:
        c.sendall(b"220 s\r\n")
        while True:
            d = c.recv(4096)
            if not d:
                break
            got += d
            out.write("%s %s\n" % (peer, d.decode(errors="replace").strip().replace(" ", "_")))
    except Exception:
        pass
    c.close()
def listen(fam, addr):
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((addr, 25))
    s.listen(64)
    while True:
        c, a = s.accept()
        threading.Thread(target=serve, args=(c, a[0]), daemon=True).start()
threading.Thread(target=listen, args=(socket.AF_INET6, "2001:db8:2::25"), daemon=True).start()
listen(socket.AF_INET, "203.0.113.25")
EOF
# the client: connect from SRC, say TEXT; exit 0 if connected in 2 s
cat >"$T/cli.py" <<'EOF'
import socket, sys
src, dst, text = sys.argv[1], sys.argv[2], sys.argv[3]
fam = socket.AF_INET6 if ":" in dst else socket.AF_INET
s = socket.socket(fam, socket.SOCK_STREAM)
s.settimeout(2)
s.bind((src, 0))
try:
    s.connect((dst, 25))
    s.recv(100)
    s.sendall(text.encode() + b"\r\n")
except Exception:
    sys.exit(1)
s.close()
EOF
ip netns exec "${P}s" python3 "$T/srv.py" "$T/srv.out" &
pids="$pids $!"
sleep 0.5

n=0
ev() {	# ev NAME HOST: an event line from HOST
	n=$((n + 1))
	case $2 in
	*:*) src="[$2]:4$(printf %04d $n)" dst="[2001:db8:2::25]:25" ;;
	*) src="$2:4$(printf %04d $n)" dst="203.0.113.25:25" ;;
	esac
	case $1 in
	mail) own=" from=w@example.org" ;;
	*) own="" ;;
	esac
	printf '2026-03-03T16:45:%02d.%06dZ %s sid=%08x src=%s dst=%s%s\n' \
	    $((n % 60)) "$n" "$1" "$n" "$src" "$dst" "$own"
}
inset() {	# inset SET HOST: the host is an element
	inns nft list set inet detengo "$1" 2>/dev/null |
	    grep -q "[{ ,]$2[ ,}]"
}
nelems() {	# nelems SET
	inns nft -j list set inet detengo "$1" 2>/dev/null |
	    python3 -c 'import json,sys
d=json.load(sys.stdin)["nftables"]
print(sum(len(x["set"].get("elem", [])) for x in d if "set" in x))' 2>/dev/null || echo 0
}
waitfor() {	# waitfor TENTHS CMD...: until CMD succeeds
	t=$1
	shift
	while [ "$t" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		t=$((t - 1))
	done
	return 1
}
connects() { inc python3 "$T/cli.py" "$1" "$2" "${3:-HELO x}"; }

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
check "the IPv4 rule as the issue spells it" \
    grep -q 'ip saddr @hosts4 tcp dport 25 log prefix "detengo: " drop' "$T/table"
check "the IPv6 rule" \
    grep -q 'ip6 saddr @hosts6 tcp dport 25 log prefix "detengo: " drop' "$T/table"
check "start says where the blocks are" grep -q "nft list table inet detengo" "$T/a.err"

# again over the same log and state: nothing doubled
inns $D -b nft -s "$T/a.state" --once --from-start "$T/a.log" >"$T/a2.out" 2>/dev/null
checkx "a restart blocks nobody twice" \
    '[ "$(grep -c " block " "$T/a2.out")" -eq 0 ] && [ "$(nelems hosts4)" -eq 1 ] && [ "$(nelems hosts6)" -eq 1 ]'

# -p with two ports: an anonymous set in the rule
inns $D -b nft -p 25,587 -s "$T/a.state" --once "$T/a.log" >/dev/null 2>&1
check "-p 25,587: tcp dport { 25, 587 }" \
    sh -c "ip netns exec ${P}g nft list chain inet detengo forward | grep -q 'tcp dport { 25, 587 } log'"
inns $D -b nft -s "$T/a.state" --once "$T/a.log" >/dev/null 2>&1
check "and back to port 25 alone, the rules made afresh" \
    sh -c "[ \$(ip netns exec ${P}g nft list chain inet detengo forward | grep -c 'tcp dport 25 log') -eq 2 ]"

# --- traffic: a distribution-like ruleset beside ours ---
inns nft -f - <<'EOF'
table inet filter {
	chain forward {
		type filter hook forward priority filter; policy drop;
		ct state established,related accept
		tcp dport 25 accept
		icmp type echo-request accept
		icmpv6 type { echo-request, nd-neighbor-solicit, nd-neighbor-advert } accept
	}
}
EOF
check "an unblocked host reaches the server through table inet filter" \
    connects 192.0.2.11 203.0.113.25
check "an unblocked IPv6 host too" connects 2001:db8:1::11 2001:db8:2::25
check "the blocked v4 host does not, though inet filter accepts port 25" \
    sh -c "! ip netns exec ${P}c python3 '$T/cli.py' 192.0.2.10 203.0.113.25 x"
check "the blocked v6 host does not" \
    sh -c "! ip netns exec ${P}c python3 '$T/cli.py' 2001:db8:1::10 2001:db8:2::25 x"
inns $D -b nft -s "$T/a.state" --list >"$T/list" 2>&1
check "--list: both hosts, packets counted for the v4 one" \
    awk '$1 == "192.0.2.10" && $2 > 0 && $3 > 0 { a = 1 } $1 == "2001:db8:1::10" { b = 1 } END { exit !(a && b) }' "$T/list"

# --- the daemon: the connection in progress, a reload, SIGHUP ---
: >"$T/d.log"
: >"$T/allow"
ip netns exec "${P}g" $D -b nft -s "$T/d.state" -A "$T/allow" "$T/d.log" >"$T/d.out" 2>"$T/d.err" &
dp=$!
pids="$pids $dp"
sleep 0.5
# a connection from .12 opened before its block
cat >"$T/hold.py" <<'EOF'
import socket, sys, time
s = socket.create_connection(("203.0.113.25", 25), 2, ("192.0.2.12", 0))
s.recv(100)
s.sendall(b"HELO before\r\n")
open(sys.argv[1], "w").close()
while not __import__("os").path.exists(sys.argv[2]):
    time.sleep(0.05)
s.sendall(b"MAIL_FROM_after\r\n")
time.sleep(1.5)
EOF
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
    [ "$ms" -lt 1000 ]
check "both hosts back in their sets" inset hosts6 2001:db8:1::12
# 4: its own two and the two of the first runs, taken up at its start
if [ "$(grep -c 'was gone (a firewall reload?): made again with 4 blocked hosts' "$T/d.err")" -eq 1 ]; then
	ok "said in one line"
else
	nok "said in one line"
	sed 's/^/#   /' "$T/d.err"
fi
check "the rules are back" \
    sh -c "ip netns exec ${P}g nft list chain inet detengo forward | grep -q 'ip saddr @hosts4 tcp dport 25 log prefix'"

echo 192.0.2.12 >"$T/allow"
kill -HUP $dp
waitfor 30 sh -c "! ip netns exec ${P}g nft list set inet detengo hosts4 | grep -q 192.0.2.12"
check "SIGHUP: an allowed host's block lifted" sh -c "! ip netns exec ${P}g nft list set inet detengo hosts4 | grep -q 192.0.2.12"
check "reported unblock reason=allowed" grep -q 'unblock host=192.0.2.12 reason=allowed' "$T/d.out"
kill $dp
wait $dp
check "the daemon exits 0" [ $? -eq 0 ]

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
check "--unblock removes the element" sh -c "! ip netns exec ${P}g nft list set inet detengo hosts4 | grep -q '192.0.2.10[ ,}]'"
check "--unblock reports reason=manual" grep -q 'unblock host=192.0.2.10 reason=manual' "$T/u.out"
check "--unblock drops it from the state" sh -c "! grep -q '192.0.2.10 ' '$T/a.state'"

# --- expiry in the kernel, while detengo is stopped ---
ev mail 192.0.2.40 >"$T/x.log"
inns $D -b nft -x 2 -s "$T/x.state" --once --from-start "$T/x.log" >"$T/x.out" 2>/dev/null
check "-x 2: the element carries its timeout" \
    sh -c "ip netns exec ${P}g nft list set inet detengo hosts4 | grep -q '192.0.2.40 counter packets 0 bytes 0 timeout 2s'"
sleep 3
check "the kernel lifted it with detengo stopped" sh -c "! ip netns exec ${P}g nft list set inet detengo hosts4 | grep -q 192.0.2.40"
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
    sh -c "ip netns exec ${P}g nft list set inet detengo hosts4 | grep -q '192.0.2.42 counter packets 0 bytes 0 timeout 10m'"

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
inns $D -b nft -s "$T/k.state" --once "$T/k.log" >>"$T/k.out" 2>/dev/null
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
check "--flush: table inet detengo gone" sh -c "! ip netns exec ${P}g nft list table inet detengo >/dev/null 2>&1"
check "--flush: table inet filter stays" sh -c "ip netns exec ${P}g nft list table inet filter >/dev/null"
check "--flush says how many hosts" grep -q '^removed the rules of [0-9]* hosts' "$T/f.out"
[ $fail -eq 0 ]
