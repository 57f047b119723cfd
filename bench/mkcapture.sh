#!/bin/sh
# Makes the benchmark capture: 5,000 SMTP messages from 20 clients, ~100 MB, taken on a gateway.
#
# Run as root: sh bench/mkcapture.sh [FILE]   (default bench/out/smtp-5000.pcap)
# An existing FILE is kept; its MAIL FROMs are counted again with tshark.
#
#   cl1..cl20 198.51.100.11-30 --c1..c20 (bridge br0, 198.51.100.1)-- gw
#   gw 203.0.113.1 --s0-- sv 203.0.113.25:25 (smtp-sink)
#
# Each client runs postfix's smtp-source for MSGS messages of SIZE body
# bytes, SESS sessions at a time, one message per connection, with
# MAIL FROM:<sender-N@example.org> and RCPT TO:<rcpt@example.net>.
# tcpdump -s 0 writes every frame that crosses s0, the server side.
# Prints "mailfrom=N" (tshark's count, the truth) last; also written
# to FILE.truth.
# Needs: iproute2, ethtool, tcpdump, tshark, postfix (smtp-source, smtp-sink).

set -eu

[ "$(id -u)" -eq 0 ] || { echo "mkcapture.sh: run as root" >&2; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd)
OUT=$HERE/out
CAP=${1:-$OUT/smtp-5000.pcap}
CLIENTS=${CLIENTS:-20}
MSGS=${MSGS:-250}
SESS=${SESS:-5}
SIZE=${SIZE:-18000}
SRV=203.0.113.25

mkdir -p "$(dirname "$CAP")"

count_mail()
{
	# one smtp.req.command per request; a packet may carry several
	tshark -r "$1" -Y smtp.req -T fields -e smtp.req.command \
	    2>/dev/null | tr ',' '\n' | grep -c '^MAIL$' || :
}

if [ -s "$CAP" ]; then
	echo "mkcapture: reusing $CAP" >&2
	n=$(count_mail "$CAP")
	echo "$n" >"$CAP.truth"
	echo "mailfrom=$n"
	exit 0
fi

NS_PREFIX=${NS_PREFIX:-cdbench-$$}
. "$HERE/../tests/netns.sh"
TMPCAP=$CAP.tmp.$$

mk_exit()
{
	ns_cleanup
	rm -f "$TMPCAP"
}
trap mk_exit EXIT

ns_new gw
ns_new sv
ip -n "$(ns_name gw)" link add br0 type bridge
ip -n "$(ns_name gw)" addr add 198.51.100.1/24 dev br0
ip -n "$(ns_name gw)" link set br0 up
i=1
while [ "$i" -le "$CLIENTS" ]; do
	ns_new "cl$i"
	ns_link "cl$i" eth0 "198.51.100.$((10 + i))/24" gw "c$i" -
	ip -n "$(ns_name gw)" link set "c$i" master br0
	ns_route "cl$i" default 198.51.100.1
	i=$((i + 1))
done
ns_link gw s0 203.0.113.1/24 sv eth0 "$SRV/24"
ns_forward gw
ns_route sv default 203.0.113.1

# smtp-sink drops root for postfix after binding; the backlog covers
# every session the clients open at once
ns_bg sv smtp-sink -u postfix "$SRV:25" 1024
SINK=$NS_LASTPID
ns_wait_port sv "$SRV" 25

# a big kernel buffer, so that tcpdump itself drops nothing
ns_bg gw tcpdump -Z root -B 65536 -i s0 -s 0 -w "$TMPCAP" \
    2>"$OUT/mkcapture.tcpdump.err"
DUMP=$NS_LASTPID
sleep 1

echo "mkcapture: $CLIENTS clients x $MSGS messages of $SIZE bytes" >&2
t0=$(date +%s)
pids=""
i=1
while [ "$i" -le "$CLIENTS" ]; do
	ns_bg "cl$i" smtp-source -s "$SESS" -m "$MSGS" -l "$SIZE" \
	    -f "sender-$i@example.org" -t rcpt@example.net "$SRV:25"
	pids="$pids $NS_LASTPID"
	i=$((i + 1))
done
fail=0
for p in $pids; do
	wait "$p" || fail=$((fail + 1))
	ns_forget "$p"
done
echo "mkcapture: clients done in $(($(date +%s) - t0)) s, $fail failed" >&2

# the last ACKs and FINs, then tcpdump flushes its file on SIGTERM
sleep 1
ns_stop "$DUMP"
ns_stop "$SINK"
cat "$OUT/mkcapture.tcpdump.err" >&2
mv "$TMPCAP" "$CAP"
ls -l "$CAP" >&2

n=$(count_mail "$CAP")
echo "$n" >"$CAP.truth"
echo "mailfrom=$n"
