#!/bin/sh
# How long an event waits in capturo: from its packet's capture time (the
# kernel's timestamp, the line's first field) until the line reaches a
# reader of capturo's standard output.
#
# Run as root: sh bench/capturo-lat.sh [N]     (N sessions, default 100)
#
#   cl 198.51.100.10 --veth-- sv 198.51.100.25:25 (tests/smtpd_log.py)
#
# capturo -i eth0 runs in sv, its output piped into a Python reader that
# notes CLOCK_REALTIME as each line arrives.  Each of N swaks sessions
# from cl stops after MAIL FROM, one every GAP (0.1) seconds, so every
# packet comes alone: the worst case for a ring that hands over blocks.
# Offloads as the kernel sets them.  CAPTURO=BINARY measures another
# build.  Prints the median, p90 and max in ms of the mail lines; not a
# test, it exits 0 whatever the figures.
# Needs: iproute2, swaks, python3-aiosmtpd.

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
CAPTURO=${CAPTURO:-$TOP/capturo/capturo}
N=${1:-100}
GAP=${GAP:-0.1}
PY=/usr/bin/python3

[ "$(id -u)" -eq 0 ] || { echo "capturo-lat.sh: run as root" >&2; exit 1; }
[ -x "$CAPTURO" ] || { echo "capturo-lat.sh: $CAPTURO missing (make)" >&2; exit 1; }
W=$(mktemp -d /tmp/cdlat.XXXXXX)
NS_PREFIX=cdlat-$$
NS_OFFLOADS=kernel
. "$TOP/tests/netns.sh"
lat_exit()
{
	ns_cleanup
	rm -rf "$W"
}
trap lat_exit EXIT

ns_new cl
ns_new sv
ns_link cl eth0 198.51.100.10/24 sv eth0 198.51.100.25/24
ns_bg sv "$PY" "$TOP/tests/smtpd_log.py" -o "$W/facts" -l 198.51.100.25:25
ns_wait_port sv 198.51.100.25 25

# the reader: "arrival - packet time" in ms for every mail line
cat >"$W/reader.py" <<'PYEOF'
import calendar, sys, time
out = open(sys.argv[1], "w", buffering=1)
for line in sys.stdin.buffer:
    now = time.time()
    f = line.split(b" ", 2)
    if len(f) < 2 or f[1] != b"mail":
        continue
    ts = f[0].decode()
    t = calendar.timegm(time.strptime(ts[:19], "%Y-%m-%dT%H:%M:%S")) + \
        float("0" + ts[19:26])
    out.write("%.3f\n" % ((now - t) * 1000))
PYEOF
mkfifo "$W/fifo"
"$PY" "$W/reader.py" "$W/lat" <"$W/fifo" &
RPID=$!
ns_bg sv "$CAPTURO" -i eth0 >"$W/fifo" 2>"$W/capturo.err"
CPID=$NS_LASTPID
sleep 1
i=0
while [ "$i" -lt "$N" ]; do
	ns_exec cl swaks --server 198.51.100.25 --quit-after MAIL \
	    --from "lat-$i@example.org" --to x@example.net >/dev/null 2>&1 || :
	sleep "$GAP"
	i=$((i + 1))
done
sleep 1
ns_stop "$CPID" TERM
wait "$RPID" || :
sort -n "$W/lat" | awk -v c="$CAPTURO" -v n="$N" '{ a[NR] = $1 }
    END { if (NR == 0) { print "no mail lines"; exit }
	printf "%s: %d/%d mail lines, packet to reader: median %.3f ms, " \
	    "p90 %.3f ms, max %.3f ms\n", c, NR, n, a[int((NR + 1) / 2)],
	    a[int(NR * 0.9 + 0.999)], a[NR] }'
echo "load average $(cut -d ' ' -f 1-3 /proc/loadavg), kernel $(uname -r)"
