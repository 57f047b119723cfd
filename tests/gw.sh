# A gateway in three network namespaces for the end-to-end tests of the
# set backends (e2e_nft.sh, e2e_ipset.sh); source it with P set to a
# name of the caller's own, ending in $$.
#
#   c 192.0.2.10-13 --- g 192.0.2.1 | 203.0.113.1 --- s 203.0.113.25
#     2001:db8:1::10-13   2001:db8:1::1 | 2001:db8:2::1   2001:db8:2::25
#
# detengo runs in g; s runs a TCP server on port 25 that writes what
# each connection sent to $T/srv.out.  Offloads stay as the kernel sets
# them.  Gives D, TFW, T, pids, the cleanup trap, inns/inc/ins, ev and
# connects; waitfor comes from tests/check.sh, sourced first.

D=${DETENGO:-$(pwd)/obj-san/bin/detengo}
TFW=$(pwd)/obj/tests/t_fw
T=$(mktemp -d) || exit 1
pids=""
cleanup() {
	for p in $pids; do kill "$p" 2>/dev/null; done
	for n in c g s; do ip netns del "$P$n" 2>/dev/null; done
	rm -rf "$T"
}
trap cleanup EXIT INT TERM

inns() { ip netns exec "${P}g" "$@"; }
xt_modules	# tests/check.sh
inc() { ip netns exec "${P}c" "$@"; }
ins() { ip netns exec "${P}s" "$@"; }

# no DAD: a link-local address stays tentative for 1 to 2 s after its
# link comes up, and meanwhile g sends no neighbour solicitation for a
# forwarded packet, so a first IPv6 connection could time out as if a
# DROP had stopped it
for n in c g s; do
	ip netns add "$P$n" && ip -n "$P$n" link set lo up &&
	    ip netns exec "$P$n" sysctl -qw net.ipv6.conf.default.accept_dad=0 ||
	    { nok "netns"; exit 1; }
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
except socket.timeout:
    sys.exit(3)	# no answer at all: what a DROP rule makes
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
connects() { inc python3 "$T/cli.py" "$1" "$2" "${3:-HELO x}"; }
# dropped SRC DST: the connection timed out (exit 3), as a DROP makes it;
# any other failure (refused, a script error) is not taken for a block
dropped() { inc python3 "$T/cli.py" "$1" "$2" x; [ $? -eq 3 ]; }

# echoes SRC DST: one ICMP echo from SRC answered by DST within 2 s (a
# raw socket: no ping on a fresh machine)
echoes() {
	inc python3 - "$1" "$2" <<'PYEOF'
import socket, struct, sys, time
src, dst = sys.argv[1], sys.argv[2]
def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xffff) + (s >> 16)
    return ~s & 0xffff
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
s.bind((src, 0))
s.settimeout(2)
m = struct.pack("!BBHHH", 8, 0, 0, 0x6474, 1) + b"detengo!"
m = m[:2] + struct.pack("!H", csum(m)) + m[4:]
s.sendto(m, (dst, 0))
end = time.time() + 2
while time.time() < end:
    d, a = s.recvfrom(2048)
    h = (d[0] & 15) * 4
    if a[0] == dst and d[h] == 0 and d[h + 4:h + 6] == b"\x64\x74":
        sys.exit(0)
sys.exit(1)
PYEOF
}

# echo_uncounted BACKEND: the block of 192.0.2.10 stops mail alone, and
# its counter counts only what it stopped: an ICMP echo passes, and
# detengo -b BACKEND --list shows the counts of $T/list again
echo_uncounted() {
	check "the blocked v4 host's ICMP echo still passes" \
	    echoes 192.0.2.10 203.0.113.25
	inns $D -b "$1" -s "$T/a.state" --list >"$T/list2" 2>&1
	check "--list: the echo is not in its counter" \
	    sh -c "[ \"\$(awk '\$1 == \"192.0.2.10\" { print \$2, \$3 }' '$T/list')\" = \"\$(awk '\$1 == \"192.0.2.10\" { print \$2, \$3 }' '$T/list2')\" ]"
}

# a distribution-like nftables ruleset: table inet filter, whose forward
# chain accepts established traffic and port 25 and drops the rest
distro_ruleset() {
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
}

# a connection from 192.0.2.12 opened before its block: HELO, touch $1,
# wait for $2, then MAIL_FROM_after
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
