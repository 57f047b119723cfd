#!/bin/sh
# capturo on an interface with segmentation offloads on, as on a real
# gateway's NIC: the ring it asks for holds thousands of full-size frames
# (a layout fact, read back from the kernel with -v), and a message of
# several hundred KB, carried in frames far larger than the MTU, is read
# whole and its size reported right.
#
#   cl 198.51.100.10 --veth-- sv 198.51.100.25:25 (tests/smtpd_log.py)
#
# TSO and GSO stay as the kernel sets them on a veth (on); GRO, off on a
# veth, is turned on at both ends as a physical NIC has it.  capturo and
# tcpdump listen on sv's end.  Needs root; namespaces cdoff-PID-*.
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
C=${CAPTURO:-$TOP/obj-san/bin/capturo}
PY=/usr/bin/python3
CHECK_NAME=offload
. "$TOP/tests/check.sh"

if [ "$(id -u)" -ne 0 ]; then
	skip "needs root (network namespaces)"
	exit 0
fi
[ -x "$C" ] || { nok "$C missing (make tests)"; exit 1; }
for t in ethtool swaks tcpdump; do
	command -v $t >/dev/null 2>&1 ||
	    { nok "$t missing (sh tests/deps.sh)"; exit 1; }
done

T=$(mktemp -d /tmp/cdoff-$$.XXXXXX) || exit 1
NS_PREFIX=cdoff-$$
NS_OFFLOADS=kernel
. "$TOP/tests/netns.sh"
cleanup() {
	ns_cleanup
	[ -n "${OFFLOAD_KEEP:-}" ] || rm -rf "$T"
}
trap cleanup EXIT

ns_new cl
ns_new sv
ns_link cl eth0 198.51.100.10/24 sv eth0 198.51.100.25/24
ns_exec cl ethtool -K eth0 gro on >/dev/null 2>&1
ns_exec sv ethtool -K eth0 gro on >/dev/null 2>&1

# offload NS FEATURE: "on" or "off" as ethtool -k shows it
offload() {
	ns_exec "$1" ethtool -k eth0 |
	    sed -n "s/^$2: \([a-z]*\).*/\1/p"
}
for ns in cl sv; do
	for f in tcp-segmentation-offload generic-segmentation-offload \
	    generic-receive-offload; do
		check "$ns: $f on" test "$(offload $ns $f)" = on
	done
done

# ---------------------------------------------------------------------
# the ring: TPACKET_V2 slots of a full frame, at least 8,000 of them by
# default; longer frames whole through the socket's queue
# ---------------------------------------------------------------------
ns_bg sv "$C" -v -i eth0 -w "$T/events" 2>"$T/capturo.err"
CAP=$NS_LASTPID
ns_wait_file "$T/capturo.err" "listening on"
ring=$(sed -n 's/^capturo: eth0: \(ring: .*\)/\1/p' "$T/capturo.err")
note "$ring"
frames=$(echo "$ring" | sed -n 's/.* holds \([0-9]*\) frames of 1514 bytes.*/\1/p')
check "the ring is TPACKET_V2 (each frame handed over at once)" \
    test "${ring#ring: TPACKET_V2,}" != "$ring"
check "the ring holds at least 8000 frames of 1514 bytes (${frames:-?})" \
    test "${frames:-0}" -ge 8000
whole=$(echo "$ring" | sed -n 's/.* frames up to \([0-9]*\) bytes whole.*/\1/p')
check "a slot holds a full Ethernet frame (${whole:-?})" \
    test "${whole:-0}" -ge 1514
longer=$(sed -n 's/^capturo: eth0: longer frames: //p' "$T/capturo.err")
note "longer frames: $longer"
check "longer frames come whole through the socket's queue" \
    test "${longer#whole through the socket}" != "$longer"

# ---------------------------------------------------------------------
# a message of several hundred KB in frames larger than the MTU
# ---------------------------------------------------------------------
ns_bg sv tcpdump -i eth0 -s 0 -w "$T/frames.pcap" tcp port 25 \
    2>"$T/tcpdump.err"
DUMP=$NS_LASTPID
ns_bg sv "$PY" tests/smtpd_log.py -o "$T/facts" -l 198.51.100.25:25
ns_wait_port sv 198.51.100.25 25
ns_wait_file "$T/tcpdump.err" "listening on"
# 6,000 lines of 80 bytes: about 480 KB
awk 'BEGIN { for (i = 0; i < 6000; i++)
	printf "line %06d of a long message that crosses many segments %16s\n",
	    i, "xxxxxxxxxxxxxxxx" }' >"$T/body"
# send_big SUBJECT OUT EVENTS: the body from cl, swaks' dialogue in OUT;
# then wait up to 10 s for capturo's close line in EVENTS (ns_poll_file,
# which does not end the script: the checks after it say what is
# missing)
send_big()
{
	ns_exec cl swaks --server 198.51.100.25 --timeout 20 \
	    --from big@example.org --to x@example.net \
	    --header "Subject: $1" --body "@$T/body" >"$2" 2>&1
	check "swaks sent the message ($1)" grep -q '^<-  250 ' "$2"
	ns_poll_file "$3" " close " 100 || :
}
send_big offload "$T/swaks.out" "$T/events"
sleep 0.5
ns_stop "$DUMP" INT
ns_stop "$CAP" TERM

want=$(awk -F '\t' '$1 == "message" { print $4 }' "$T/facts")
got=$(sed -n 's/.* message .*subject=offload.* size=\([0-9]*\) .*/\1/p' \
    "$T/events")
note "size by the server: ${want:-?}, by capturo: ${got:-?}"
check "the server took a message of more than 400 KB" \
    test "${want:-0}" -gt 400000
check "capturo's message event has the server's size" \
    test -n "$got" -a "${got:-x}" = "${want:-y}"
check "the message event is whole (no cut=, no gap)" \
    sh -c "grep ' message .*subject=offload' '$T/events' | grep -vq 'cut=\|gap='"
# the frames capturo saw were super-frames, not MTU-sized segments
big=$(tcpdump -r "$T/frames.pcap" -nn 'greater 1515' 2>/dev/null | wc -l)
max=$(tcpdump -r "$T/frames.pcap" -nn -e 2>/dev/null |
    sed -n 's/.*, length \([0-9]*\): .*/\1/p' | sort -n | tail -n 1)
note "frames longer than 1514 bytes: $big, the longest $max bytes"
check "the message crossed in frames larger than the MTU" test "$big" -gt 0
st=$(grep '^capturo: packets=' "$T/capturo.err" | tail -n 1)
note "$st"
check "capturo dropped nothing" sh -c "echo '$st' | grep -q ' dropped=0 '"
copied=$(echo "$st" | sed -n 's/.* copied=\([0-9]*\) .*/\1/p')
cut=$(echo "$st" | sed -n 's/.* cut=\([0-9]*\) .*/\1/p')
check "the super-frames came whole through their copies (copied=${copied:-?})" \
    test "${copied:-0}" -gt 0
check "no frame was left cut (cut=${cut:-?})" test "${cut:-x}" = 0

# ---------------------------------------------------------------------
# no copy (CAPTURO_COPY_KIB=0): the long frames stay cut, their flow
# has a gap, and nothing is made up
# ---------------------------------------------------------------------
ns_bg sv env CAPTURO_COPY_KIB=0 "$C" -v -i eth0 -w "$T/events.cut" \
    2>"$T/capturo.cut.err"
CAP=$NS_LASTPID
ns_wait_file "$T/capturo.cut.err" "listening on"
check "without a queue, -v says longer frames are cut" \
    grep -q '^capturo: eth0: longer frames: cut' "$T/capturo.cut.err"
send_big offload-cut "$T/swaks.cut" "$T/events.cut"
sleep 0.5
kill -TERM "$CAP" 2>/dev/null
wait "$CAP"
rc=$?
ns_forget "$CAP"
check "capturo ended well without the copies (exit $rc)" test "$rc" -eq 0
st=$(grep '^capturo: packets=' "$T/capturo.cut.err" | tail -n 1)
note "$st"
check "the long frames were cut, none copied" \
    sh -c "echo '$st' | grep -q ' copied=0 cut=[1-9]'"
check "the flow saw the gap" \
    sh -c "echo '$st' | grep -q ' gapbytes=[1-9]'"
note "$(grep ' message \| close ' "$T/events.cut" | cut -c 1-200)"
check "the mail before the cut is reported" \
    grep -q ' mail .*from=big@example.org' "$T/events.cut"
check "no message event claims the whole size" \
    sh -c "! grep ' message .* size=$want ' '$T/events.cut' | grep -vq 'gap='"

[ "$fail" -eq 0 ]
