#!/bin/sh
# Times detengo from a mail line appended to its log until its LOG and DROP rules are in the kernel.
#
# Run as root: sh bench/detengo.sh        (about 30 s; prints a table)
#
# One private network namespace, cdbd-PID-fw, with no link to anything:
# detengo follows a log there and bench/detengo-lat (built here from
# bench/detengo-lat.c) plays capturo.  For each host it takes the time,
# appends one mail line with one write(2), then spins on two things:
#   rules   the filter table's entry count (getsockopt IPT_SO_GET_INFO,
#           no libiptc, no copy of the table) is 2 more: LOG and DROP
#           came in one commit;
#   report  detengo's -w file holds the host's block line, which detengo
#           writes only after the commit succeeded (an upper bound).
# Measured, in this order, with one detengo:
#   v4 empty     HOSTS hosts from 198.51.100.0/24, FORWARD starts empty
#   v6 empty     HOSTS hosts from 2001:db8:b::/64
#   burst        BIG hosts from 2001:db8:c::/64 in ONE write of BIG lines:
#                the time until all 2 x BIG rules are in
#   v6 loaded    HOSTS more hosts with the BIG hosts already blocked,
#                in 10 rounds from 2001:db8:d:K::/64; after each round
#                bench/iptc-floor (built here) blocks FLOOR_N/10 hosts on
#                the same table with libiptc alone (and takes them away
#                again), and times the kernel's own read and replace of
#                that table: the floor any libiptc program meets, taken
#                in turns with detengo's figure so that both see the
#                same machine (a thread of iptc-floor polls the entry
#                count meanwhile, as detengo-lat does while it waits)
# and apart, detengo --once on a log of BIG lines (a fresh namespace).
# The large sets are IPv6 because the IPv4 documentation ranges hold
# only 768 addresses.  Every host's DROP rule is checked at the end by a
# walk of the table.  XTABLES_LOCKFILE is a private file.
# Targets: median < 1 ms empty, < 10 ms loaded, burst < 1 s.
#
# Then, for each set backend, -b nft and -b ipset (BACKENDS="iptc nft
# ipset" by default; "nft ipset" skips the part above), one fresh
# namespace and detengo per level: NFT_LOADS hosts from 198.18.0.0/15
# blocked first, in one write (the 100,000 one is the burst, timed until
# its last host is in the set, looked at every ms), then HOSTS hosts
# from 198.51.100.0/24 one at a time, each timed until it is in the set
# and until its block line.  In the set: for nft an element of hosts4
# (one GETSETELEM of its key, as `nft get element' asks; -k nft), for
# ipset a member of detengo4 (one IPSET_CMD_TEST, as `ipset test'
# sends; -k ipset); no dump, the same cost at any size.  And
# forwarding: a sender namespace replays SYNs to port 25 (then, apart,
# to port 443) from an unblocked host without end at top speed
# (tcpreplay) through the gateway to a receiver, while bench/fwd-toggle.py switches the
# gateway's firewall every FWD_MS ms between three states, in FWD_ROUNDS
# rounds, each state once a round in an order drawn at random:
#   none      no firewall of detengo's (nft: its table dormant, hooks
#             away; ipset: the filter table empty)
#   0 hosts   detengo's rules over an empty set (a copy of its table or
#             set made by this script)
#   full      detengo's rules and NFT_BIG hosts in its set
# and counts the packets the gateway sent in each; all of it first with
# no other firewall, then beside Debian 12's /etc/nftables.conf as
# shipped (an empty table inet filter: hooks, no rule).  Each round's ratios
# (full / 0 hosts, full / none); their medians.  A run of one state
# after the other instead would put the machine's drift between them:
# on this VM single runs of a minute land near 120,000 or near 170,000
# packets a second whatever the firewall.  The medians by hosts blocked
# go to docs/detengo-latency.svg, one line per backend.
# Targets for nft and ipset: median < 1 ms at 100,000 hosts, the burst
# < 1 s, forwarding with 100,000 hosts within 5 % of 0 hosts.
# FWD_ONLY=1 BACKENDS="nft ipset": the forwarding runs alone.
# It is not a test: it exits 0 whatever the figures.
# Needs: cc, iproute2, iptables (iptables-legacy), nftables, ipset, tcpreplay,
# python3, libnftnl and libmnl, detengo and obj/tests/t_fw built
# (make tests).

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
OUT=$HERE/out
DETENGO=${DETENGO:-$TOP/detengo/detengo}
HOSTS=${HOSTS:-200}
BIG=${BIG:-10000}
# a pause after each host, so that one host's commit is over before
# the next line comes
GAP_US=${GAP_US:-3000}
# microseconds between two polls; 0 spins (a CPU taken from detengo)
POLL_US=${POLL_US:-50}
FLOOR_N=${FLOOR_N:-100}
BACKENDS=${BACKENDS:-iptc nft ipset}
NFT_LOADS=${NFT_LOADS:-0 10000 100000}
NFT_BIG=${NFT_BIG:-100000}
# forwarding: rounds (odd: one median), a sample's length in ms, and
# the ports of the SYNs (mail, then traffic the rules do not look up)
FWD_ROUNDS=${FWD_ROUNDS:-41}
FWD_MS=${FWD_MS:-250}
FWD_PORTS=${FWD_PORTS:-25 443}
# and what else the gateway has: none, or Debian 12's empty nftables.conf
FWD_BASES=${FWD_BASES:-none debian}
# FWD_ONLY=1: for the set backends, the forwarding runs alone (no levels,
# no picture)
[ "${FWD_ONLY:-0}" = 1 ] && NFT_LOADS=

[ "$(id -u)" -eq 0 ] || { echo "detengo.sh: run as root" >&2; exit 1; }
[ -x "$DETENGO" ] || { echo "detengo.sh: $DETENGO missing (make)" >&2; exit 1; }
[ "$HOSTS" -le 250 ] || { echo "detengo.sh: HOSTS at most 250" >&2; exit 2; }
[ "$HOSTS" -ge 10 ] && [ "$FLOOR_N" -ge 10 ] ||
    { echo "detengo.sh: HOSTS and FLOOR_N at least 10" >&2; exit 2; }
mkdir -p "$OUT"
LAT=$OUT/detengo-lat
if [ ! -x "$LAT" ] || [ "$HERE/detengo-lat.c" -nt "$LAT" ]; then
	${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
	    -o "$LAT" "$HERE/detengo-lat.c" -lnftnl -lmnl ||
	    { echo "detengo.sh: cannot build $LAT" >&2; exit 1; }
fi
FLOOR=$OUT/iptc-floor
if [ ! -x "$FLOOR" ] || [ "$HERE/iptc-floor.c" -nt "$FLOOR" ]; then
	${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
	    -o "$FLOOR" "$HERE/iptc-floor.c" -lip4tc -lip6tc ||
	    { echo "detengo.sh: cannot build $FLOOR" >&2; exit 1; }
fi

W=$(mktemp -d /tmp/cdbd.XXXXXX)
NS_PREFIX=cdbd-$$
. "$TOP/tests/netns.sh"
bench_exit()
{
	ns_cleanup
	rm -rf "$W"
}
trap bench_exit EXIT
export XTABLES_LOCKFILE="$W/xtables.lock"

# stats: nanoseconds on stdin -> "n median p99 max" in ms (-1 = timed out)
stats()
{
	sort -n | awk '$1 >= 0 { a[++n] = $1 } $1 < 0 { lost++ }
	    END { if (n == 0) { print "0 - - - " lost + 0; exit }
		p = int(n * 0.99); if (p < n * 0.99) p++
		printf "%d %.3f %.3f %.3f %d\n", n, a[int((n + 1) / 2)] / 1e6,
		    a[p] / 1e6, a[n] / 1e6, lost + 0 }'
}

load() { cut -d ' ' -f 1-3 /proc/loadavg; }

# median: numbers on stdin -> their median (the lower middle of an even count)
median()
{
	sort -g | awk '{ a[++n] = $1 } END { print n ? a[int((n + 1) / 2)] : 0 }'
}

# wait_block FILE HOST: detengo's report names HOST (5 s)
wait_block()
{
	_t=50
	while [ "$_t" -gt 0 ]; do
		grep -q " block .* host=$2 " "$1" 2>/dev/null && return 0
		sleep 0.1
		_t=$((_t - 1))
	done
	echo "detengo.sh: detengo did not block $2; its stderr:" >&2
	cat "$W/detengo.err" >&2
	exit 1
}

case " $BACKENDS " in
*" iptc "*)
ns_new fw
: >"$W/log"
ns_bg fw "$DETENGO" -s "$W/state" -w "$W/report" "$W/log" \
    2>"$W/detengo.err"
DPID=$NS_LASTPID
# detengo is ready once a first host is blocked (it starts at the end
# of the log): 192.0.2.1 stays in FORWARD, two rules
_t=50
while [ ! -e "$W/report" ] && [ "$_t" -gt 0 ]; do sleep 0.1; _t=$((_t - 1)); done
sleep 0.2
printf '%s mail sid=00000000 src=192.0.2.1:40000 dst=203.0.113.25:25 from=w@example.org\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)" >>"$W/log"
wait_block "$W/report" 192.0.2.1

load0=$(load)
echo "detengo.sh: v4 empty, $HOSTS hosts" >&2
ns_exec fw "$LAT" each -4 -a 198.51.100.1 -n "$HOSTS" -g "$GAP_US" -i "$POLL_US" \
    -l "$W/log" -r "$W/report" >"$W/v4"
echo "detengo.sh: v6 empty, $HOSTS hosts" >&2
ns_exec fw "$LAT" each -6 -a 2001:db8:b::1 -n "$HOSTS" -g "$GAP_US" -i "$POLL_US" \
    -l "$W/log" -r "$W/report" >"$W/v6"
echo "detengo.sh: $BIG hosts in one write" >&2
ns_exec fw "$LAT" burst -6 -a 2001:db8:c::1 -n "$BIG" -T 60000 \
    -l "$W/log" -r "$W/report" >"$W/burst"
sleep 0.5
echo "detengo.sh: v6 with $BIG hosts blocked, $HOSTS hosts, in turns" \
    "with libiptc alone ($FLOOR_N hosts)" >&2
: >"$W/v6big"
: >"$W/floor"
for k in 0 1 2 3 4 5 6 7 8 9; do
	ns_exec fw "$LAT" each -6 -a "2001:db8:d:$k::1" -n $((HOSTS / 10)) \
	    -g "$GAP_US" -i "$POLL_US" -l "$W/log" -r "$W/report" >>"$W/v6big"
	ns_exec fw "$FLOOR" -6 -a "2001:db8:f:$k::1" -n $((FLOOR_N / 10)) \
	    -i "$POLL_US" >>"$W/floor"
done
load1=$(load)

chk4=$(ns_exec fw "$LAT" count -4 -a 198.51.100.1 -n "$HOSTS")
chk6=$(ns_exec fw "$LAT" count -6 -a 2001:db8:b::1 -n "$HOSTS")
chkc=$(ns_exec fw "$LAT" count -6 -a 2001:db8:c::1 -n "$BIG")
chkd=0
for k in 0 1 2 3 4 5 6 7 8 9; do
	c=$(ns_exec fw "$LAT" count -6 -a "2001:db8:d:$k::1" -n $((HOSTS / 10)))
	c=${c#in_range=}
	chkd=$((chkd + ${c%% *}))
done
chkd="in_range=$chkd"
ns_stop "$DPID" TERM

# detengo --once over a log made in advance, in a namespace of its own
ns_new once
ns_exec once "$LAT" gen -6 -a 2001:db8:e::1 -n "$BIG" >"$W/once.log"
t0=$(date +%s%N)
ns_exec once "$DETENGO" --once --from-start -s "$W/once.state" \
    -w "$W/once.report" "$W/once.log" 2>"$W/once.err" || :
t1=$(date +%s%N)
chke=$(ns_exec once "$LAT" count -6 -a 2001:db8:e::1 -n "$BIG")

# the table
{
	echo "detengo: one mail line appended, time until its 2 rules are in the kernel"
	echo "machine: $(nproc) vCPU, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r)"
	echo "date: $(date -u +%Y-%m-%dT%H:%MZ), load average $load0 before, $load1 after"
	echo "rules = entry count of the filter table is 2 more; report = its block line in detengo -w; both polled every $POLL_US us"
	echo
	oifs=$IFS
	printf '%-40s %5s %9s %9s %9s %5s  %-14s %s\n' measure hosts \
	    median_ms p99_ms max_ms lost target result
	for r in "v4 (198.51.100/24), FORWARD empty|v4|2|1" \
	    "v4 the same, by the report line|v4|3|1" \
	    "v6 (2001:db8:b::/64), FORWARD empty|v6|2|1" \
	    "v6 the same, by the report line|v6|3|1" \
	    "v6 with $BIG hosts blocked|v6big|2|10" \
	    "v6 the same, by the report line|v6big|3|10"; do
		IFS='|'
		# shellcheck disable=SC2086
		set -- $r
		IFS=$oifs
		set -- "$1" $(awk -v c="$3" '{ print $c }' "$W/$2" | stats) "$4"
		awk -v l="$1" -v n="$2" -v med="$3" -v p99="$4" -v mx="$5" \
		    -v lost="$6" -v tg="$7" 'BEGIN {
			r = (med != "-" && med + 0 < tg && lost == 0) ? "pass" : "FAIL"
			printf "%-40s %5d %9s %9s %9s %5d  median < %2d ms %s\n",
			    l, n, med, p99, mx, lost, tg, r }'
	done
	# shellcheck disable=SC2046
	set -- $(tr ' ' '\n' <"$W/burst" | sed 's/^[a-z_]*=//')
	awk -v n="$1" -v first="$3" -v rules="$4" -v rep="$5" -v b="$6" \
	    -v a="$7" 'BEGIN {
		r = (rules >= 0 && rules < 1e9) ? "pass" : "FAIL"
		printf "%-40s %5d %9s %9s %9s %5s  %-14s %s\n",
		    "v6, " n " hosts in one write: all rules", n, "-", "-",
		    rules < 0 ? "timeout" : sprintf("%.3f", rules / 1e6), "-",
		    "< 1000 ms", r
		printf "    first rules in after %.3f ms, the last block line after %.3f ms; table entries %d -> %d\n",
		    first / 1e6, rep / 1e6, b, a }'
	awk -v n="$BIG" -v t0="$t0" -v t1="$t1" -v b="$(grep -c ' block ' "$W/once.report" || :)" 'BEGIN {
		printf "%-40s %5d %9s %9s %9.3f %5s  %-14s %s\n",
		    "detengo --once on a log of " n " lines", b, "-", "-",
		    (t1 - t0) / 1e6, "-", "(none)", "-" }'
	echo
	echo "the floor on the same table (about $((BIG + 2 * HOSTS)) IPv6 hosts), detengo idle, in turns with it ($((FLOOR_N / 10 * 10)) rounds):"
	for r in "libiptc alone: init, 2 appends, commit|1" \
	    "  of which iptc_init|2" "  of which iptc_commit|3" \
	    "kernel alone: read the table|4" \
	    "kernel alone: replace it, unchanged|5"; do
		awk -v c="${r##*|}" '{ print $c }' "$W/floor" | stats |
		    awk -v l="${r%|*}" '{ printf "    %-37s median %s ms, p99 %s ms, max %s ms\n",
			l, $2, $3, $4 }'
	done
	dm=$(awk '{ print $3 }' "$W/v6big" | stats | cut -d ' ' -f 2)
	fm=$(awk '{ print $1 }' "$W/floor" | stats | cut -d ' ' -f 2)
	km=$(awk '{ print $4 + $5 }' "$W/floor" | stats | cut -d ' ' -f 2)
	awk -v d="$dm" -v f="$fm" -v k="$km" 'BEGIN {
		printf "    detengo by the report line / libiptc alone: %.2f; kernel read + replace alone: %s ms\n",
		    (f > 0) ? d / f : 0, k }'
	echo
	echo "the two ways agree: report minus rules, per host (detengo writes the block line after the commit)"
	for f in v4 v6 v6big; do
		awk '$2 >= 0 && $3 >= 0 { print $3 - $2 }' "$W/$f" | sort -n |
		    awk -v f="$f" '{ s[++n] = $1; if ($1 == 0) same++ }
		    END { printf "    %-6s median %.3f ms, p99 %.3f ms, max %.3f ms; block line seen first: %d of %d\n",
			f, s[int((n + 1) / 2)] / 1e6, s[int(n * 0.99 + 0.999)] / 1e6,
			s[n] / 1e6, same + 0, n }'
	done
	echo "every DROP rule checked by a walk of the table:"
	echo "    v4 $chk4 (want $HOSTS of $HOSTS)"
	echo "    v6 empty $chk6, burst $chkc, loaded $chkd (want $HOSTS, $BIG, $((HOSTS / 10 * 10)))"
	echo "    --once $chke (want $BIG)"
	echo "detengo's own count: $(grep 'lines=' "$W/detengo.err" | tail -n 1)"
} | tee "$OUT/detengo.txt"
cp "$W/v4" "$OUT/detengo.v4"
cp "$W/v6" "$OUT/detengo.v6"
cp "$W/v6big" "$OUT/detengo.v6big"
# the medians for the picture: hosts blocked, median ms (by the rules)
{
	echo "0 $(awk '{ print $2 }' "$W/v6" | stats | cut -d ' ' -f 2)"
	echo "$BIG $(awk '{ print $2 }' "$W/v6big" | stats | cut -d ' ' -f 2)"
} >"$OUT/lat-iptc.dat"
;;
esac

SETS=""
for b in nft ipset; do
	case " $BACKENDS " in *" $b "*) SETS="$SETS $b" ;; esac
done
[ -n "$SETS" ] || exit 0
for b in $SETS tcpreplay; do
	command -v $b >/dev/null ||
	    { echo "detengo.sh: $b needed for the set backends' part" >&2; exit 1; }
done
TFW=$TOP/obj/tests/t_fw

# set_count B NS: the hosts in detengo's IPv4 set of backend B
set_count()
{
	case $1 in
	nft)	ns_exec "$2" nft -j list set inet detengo hosts4 |
		    python3 -c 'import json,sys
print(sum(len(x["set"].get("elem", [])) for x in json.load(sys.stdin)["nftables"] if "set" in x))' ;;
	ipset)	ns_exec "$2" ipset list -t detengo4 |
		    sed -n 's/^Number of entries: //p' ;;
	esac
}

# set_level B N: a fresh namespace, detengo -b B, N hosts from
# 198.18.0.0/15 in one write, then HOSTS hosts one at a time
set_level()
{
	_b=$1
	shift
	ns_new "$_b$1"
	: >"$W/$_b.log$1"
	ns_bg "$_b$1" "$DETENGO" -b "$_b" -s "$W/$_b.state$1" -w "$W/$_b.rep$1" \
	    "$W/$_b.log$1" 2>"$W/$_b.err$1"
	_pid=$NS_LASTPID
	_t=50
	while [ ! -e "$W/$_b.rep$1" ] && [ "$_t" -gt 0 ]; do sleep 0.1; _t=$((_t - 1)); done
	sleep 0.3
	printf '%s mail sid=00000000 src=192.0.2.1:40000 dst=203.0.113.25:25 from=w@example.org\n' \
	    "$(date -u +%Y-%m-%dT%H:%M:%S.000000Z)" >>"$W/$_b.log$1"
	wait_block "$W/$_b.rep$1" 192.0.2.1
	if [ "$1" -gt 0 ]; then
		echo "detengo.sh: $_b: $1 hosts in one write" >&2
		ns_exec "$_b$1" "$LAT" burst -4 -a 198.18.0.0 -n "$1" -k "$_b" \
		    -i 1000 -T 120000 -l "$W/$_b.log$1" -r "$W/$_b.rep$1" >"$W/$_b.burst$1"
		sleep 0.5
	fi
	echo "detengo.sh: $_b: $HOSTS hosts with $1 blocked" >&2
	ns_exec "$_b$1" "$LAT" each -4 -a 198.51.100.1 -n "$HOSTS" -k "$_b" \
	    -g "$GAP_US" -i "$POLL_US" -l "$W/$_b.log$1" -r "$W/$_b.rep$1" >"$W/$_b.each$1"
	_n=$(set_count "$_b" "$_b$1")
	echo "$_n" >"$W/$_b.count$1"
	ns_stop "$_pid" TERM
}


# forwarding: snd 192.0.2.10 -> gw -> rcv 203.0.113.25, SYNs to port 25
ns_new snd
ns_new gw
ns_new rcv
ip link add "fs$$" netns "$(ns_name snd)" type veth peer name "fg$$" netns "$(ns_name gw)"
ip link add "fh$$" netns "$(ns_name gw)" type veth peer name "fr$$" netns "$(ns_name rcv)"
ns_exec snd ip addr add 192.0.2.10/24 dev "fs$$"
ns_exec gw ip addr add 192.0.2.1/24 dev "fg$$"
ns_exec gw ip addr add 203.0.113.1/24 dev "fh$$"
ns_exec rcv ip addr add 203.0.113.25/24 dev "fr$$"
for l in "snd fs$$" "gw fg$$" "gw fh$$" "rcv fr$$"; do
	set -- $l
	ns_exec "$1" ip link set "$2" up
done
ns_exec snd ip route add default via 192.0.2.1
ns_exec rcv ip route add default via 203.0.113.1
ns_exec gw sysctl -qw net.ipv4.ip_forward=1
ns_exec rcv sysctl -qw net.ipv4.tcp_syncookies=0
sleep 0.5
ns_exec snd ping -c 1 -W 2 203.0.113.25 >/dev/null 2>&1 || :
gwmac=$(ns_exec gw cat "/sys/class/net/fg$$/address")
sndmac=$(ns_exec snd cat "/sys/class/net/fs$$/address")
for port in $FWD_PORTS; do
python3 - "$W/syn$port.pcap" "$sndmac" "$gwmac" "$port" <<'PYEOF'
import struct, sys
out, src, dst, port = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
mac = lambda m: bytes(int(x, 16) for x in m.split(":"))
def csum(b):
    if len(b) % 2: b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16: s = (s & 0xffff) + (s >> 16)
    return (~s) & 0xffff
sip, dip = bytes([192, 0, 2, 10]), bytes([203, 0, 113, 25])
f = open(out, "wb")
f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
for i in range(10000):
    tcp = struct.pack("!HHIIBBHHH", 20000 + i % 40000, port, i, 0, 5 << 4, 2, 64240, 0, 0)
    ph = sip + dip + struct.pack("!BBH", 0, 6, len(tcp))
    tcp = tcp[:16] + struct.pack("!H", csum(ph + tcp)) + tcp[18:]
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(tcp), i & 0xffff, 0, 64, 6, 0, sip, dip)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    fr = mac(dst) + mac(src) + b"\x08\x00" + ip + tcp
    f.write(struct.pack("<IIII", 0, i, len(fr), len(fr)) + fr)
PYEOF
done

# set_bench B: the levels, then forwarding (NFT_BIG hosts put in the set
# by detengo --once over a log of their mail lines); the table of figures
set_bench()
{
_b=$1
case $_b in
nft)	what="an element of hosts4 (one GETSETELEM"
	where="hosts4" ;;
ipset)	what="a member of detengo4 (one IPSET_CMD_TEST"
	where="detengo4" ;;
esac
load2=$(load)
for L in $NFT_LOADS; do
	set_level "$_b" "$L"
done
ns_exec gw "$DETENGO" -b "$_b" -s "$W/fwd.state.$_b" --once --from-start \
    "$W/fwd.big" >/dev/null 2>"$W/fwd.err" ||
    { echo "detengo.sh: $_b: detengo --once failed:" >&2; cat "$W/fwd.err" >&2; exit 1; }
fwdn=$(set_count "$_b" gw)
# the three states, each a file for nft -f or iptables-legacy-restore
# in gw; the copy with 0 hosts is made here, beside detengo's
case $_b in
nft)	ns_exec gw nft -t list table inet detengo |
	    sed 's/^table inet detengo /table inet detzero /' >"$W/fwd.copy"
	ns_exec gw nft -f "$W/fwd.copy"
	printf 'add table inet %s { flags dormant; }\n' detengo detzero >"$W/fwd.none"
	printf 'add table inet detengo { flags dormant; }\nadd table inet detzero\n' \
	    >"$W/fwd.zero"
	printf 'add table inet detzero { flags dormant; }\nadd table inet detengo\n' \
	    >"$W/fwd.full"
	cmd="nft -f" ;;
ipset)	ns_exec gw ipset save detengo4 |
	    sed -n '1s/^create detengo4 /create detzero4 /p' >"$W/fwd.copy"
	ns_exec gw ipset restore <"$W/fwd.copy"
	ns_exec gw iptables-legacy-save -t filter | grep -v '^#' >"$W/fwd.full"
	sed 's/--match-set detengo4 /--match-set detzero4 /' "$W/fwd.full" \
	    >"$W/fwd.zero"
	printf '*filter\n:INPUT ACCEPT [0:0]\n:FORWARD ACCEPT [0:0]\n:OUTPUT ACCEPT [0:0]\nCOMMIT\n' \
	    >"$W/fwd.none"
	cmd=iptables-legacy-restore ;;
esac
grep -q detzero "$W/fwd.zero" ||
    { echo "detengo.sh: $_b: no copy with 0 hosts made" >&2; exit 1; }
for base in $FWD_BASES; do
	# debian: the gateway also has Debian 12's /etc/nftables.conf as
	# shipped (without its flush ruleset): an empty firewall, in all
	# three states
	ns_exec gw nft delete table inet filter 2>/dev/null || :
	[ "$base" = debian ] && ns_exec gw nft -f - <<'NFTEOF'
table inet filter {
	chain input {
		type filter hook input priority filter;
	}
	chain forward {
		type filter hook forward priority filter;
	}
	chain output {
		type filter hook output priority filter;
	}
}
NFTEOF
	for port in $FWD_PORTS; do
		ns_bg snd tcpreplay -q -t -l 0 -i "fs$$" "$W/syn$port.pcap" \
		    >/dev/null 2>&1
		_rp=$NS_LASTPID
		sleep 1
		echo "detengo.sh: $_b: forwarding to port $port beside $base, $FWD_ROUNDS rounds of 3 states" >&2
		ns_exec gw python3 "$HERE/fwd-toggle.py" "fh$$" "$FWD_ROUNDS" \
		    "$FWD_MS" "$cmd $W/fwd.full" "$cmd $W/fwd.zero" \
		    "$cmd $W/fwd.none" >"$W/fwd.rounds.$base.$port"
		ns_stop "$_rp" INT
	done
done
ns_exec gw nft delete table inet filter 2>/dev/null || :
case $_b in
nft)	ns_exec gw nft delete table inet detzero ;;
ipset)	ns_exec gw ipset destroy detzero4 ;;
esac
load3=$(load)

{
	echo
	echo "detengo -b $_b: one mail line appended, time until its host is $what, polled every $POLL_US us)"
	echo "machine: $(nproc) vCPU, kernel $(uname -r), libnftnl $(pkg-config --modversion libnftnl 2>/dev/null), libipset $(pkg-config --modversion libipset 2>/dev/null); load average $load2 before, $load3 after"
	echo
	[ -z "$NFT_LOADS" ] ||
	printf '%-44s %6s %9s %9s %9s %5s  %-16s %s\n' measure hosts \
	    median_ms p99_ms max_ms lost target result
	[ -z "$NFT_LOADS" ] || : >"$OUT/lat-$_b.dat"
	for L in $NFT_LOADS; do
		set -- $(awk '{ print $2 }' "$W/$_b.each$L" | stats)
		echo "$L $2" >>"$OUT/lat-$_b.dat"
		awk -v l="v4 with $L hosts blocked, in the set" -v n="$1" \
		    -v med="$2" -v p99="$3" -v mx="$4" -v lost="$5" 'BEGIN {
			r = (med != "-" && med + 0 < 1 && lost == 0) ? "pass" : "FAIL"
			printf "%-44s %6d %9s %9s %9s %5d  median < 1 ms   %s\n",
			    l, n, med, p99, mx, lost, r }'
		set -- $(awk '{ print $3 }' "$W/$_b.each$L" | stats)
		printf '%-44s %6d %9s %9s %9s %5d\n' "  the same, by the report line" \
		    "$1" "$2" "$3" "$4" "$5"
	done
	for L in $NFT_LOADS; do
		[ -f "$W/$_b.burst$L" ] || continue
		set -- $(tr ' ' '\n' <"$W/$_b.burst$L" | sed 's/^[a-z_]*=//')
		awk -v n="$1" -v first="$3" -v rules="$4" -v rep="$5" \
		    -v got="$(cat "$W/$_b.count$L")" 'BEGIN {
			r = (rules >= 0 && rules < 1e9) ? "pass" : "FAIL"
			printf "%-44s %6d %9s %9s %9s %5s  %-16s %s\n",
			    "v4, " n " hosts in one write: last one in", n, "-",
			    "-", rules < 0 ? "timeout" : sprintf("%.3f",
			    rules / 1e6), "-", "< 1000 ms", r
			printf "    first in after %.3f ms, the last block line after %.3f ms; in the set at the end: %d\n",
			    first / 1e6, rep / 1e6, got }'
	done
	echo
	for base in $FWD_BASES; do
	for port in $FWD_PORTS; do
	r=$W/fwd.rounds.$base.$port
	case $base in
	debian)	bs="Debian's empty nftables ruleset (table inet filter) there in every state" ;;
	*)	bs="no other firewall" ;;
	esac
	echo "forwarding: tcpreplay -t of 10,000 SYNs to port $port from 192.0.2.10 (not blocked), looped without end, through the gateway, $bs; detengo's firewall switched every $FWD_MS ms, $FWD_ROUNDS rounds, each state once a round in an order drawn at random; pps the gateway sent"
	echo "    medians: $fwdn hosts in $where $(awk '{ print $1 }' "$r" | median) pps, 0 hosts $(awk '{ print $2 }' "$r" | median) pps, no firewall of detengo's $(awk '{ print $3 }' "$r" | median) pps"
	fz=$(awk '$2 > 0 { printf "%.4f\n", $1 / $2 }' "$r" | median)
	fn=$(awk '$3 > 0 { printf "%.4f\n", $1 / $3 }' "$r" | median)
	zn=$(awk '$3 > 0 { printf "%.4f\n", $2 / $3 }' "$r" | median)
	awk -v n="$(wc -l <"$r")" -v fz="$fz" -v fn="$fn" -v zn="$zn" \
	    -v big="$fwdn" 'BEGIN {
		d = (fz - 1) * 100
		printf "    %d hosts / 0 hosts, median of %d rounds: %.3f (%+.1f %%)  target within 5 %%: %s\n",
		    big, n, fz, d, (n > 0 && d > -5 && d < 5) ? "pass" : "FAIL"
		printf "    %d hosts / no firewall of detengo'"'"'s: %.3f (%+.1f %%); 0 hosts / none: %.3f (%+.1f %%)\n",
		    big, fn, (fn - 1) * 100, zn, (zn - 1) * 100 }'
	done
	done
} | tee "$OUT/detengo-$_b.txt"
ns_exec gw "$DETENGO" -b "$_b" -s "$W/fwd.state.$_b" --flush >/dev/null 2>&1 || :
}
ns_exec gw "$LAT" gen -4 -a 198.18.0.0 -n "$NFT_BIG" >"$W/fwd.big"
for b in $SETS; do
	set_bench "$b"
done

# the picture: latency by hosts blocked, one line per backend
[ -n "$NFT_LOADS" ] || exit 0
sh "$HERE/latency-svg.sh" "$OUT" >"$TOP/docs/detengo-latency.svg"
echo "detengo.sh: docs/detengo-latency.svg drawn" >&2
