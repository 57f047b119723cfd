#!/bin/sh
# detengo -m shared with 100,000 hosts followed: its memory, and the time
# from a line to the kernel, each against strict mode measured in the
# same run.
#
# Run as root: sh bench/shared.sh        (about a minute; prints a table)
#
# The log that fills the signatures: HOSTS_TRACKED hosts from
# 198.18.0.0/15 (RFC 2544's benchmark range: they stay entries, no packet
# goes anywhere), each with what a workstation does that shared mode
# counts and no signature fires on: an MX lookup, a connection to port
# 25, a TLS connection to 465 with its server name, a RCPT and its
# refusal.  Strict mode reads the same lines (none is its trigger, so it
# follows no host): the reference.
#   memory   detengo -n --once --from-start over that log, its peak RSS
#            (getrusage of the child), shared and strict
#   latency  in a private network namespace with no link, one detengo
#            per mode (-b iptc, -p 25,465,587 for both, so that the
#            firewall's work is the same), the log read first; then
#            bench/detengo-lat writes HOSTS lines one at a time, each the
#            line that blocks in that mode (strict: a MAIL FROM; shared:
#            a refusal naming a blocklist and the host, -S), and times
#            it until the filter table has its rules
# Targets: shared under 64 MiB RSS; its median within 10 % of strict's.
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
DETENGO=${DETENGO:-$TOP/detengo/detengo}
HOSTS_TRACKED=${HOSTS_TRACKED:-100000}
HOSTS=${HOSTS:-200}
OUT=$HERE/out
[ "$(id -u)" -eq 0 ] || { echo "shared.sh: run as root" >&2; exit 1; }
[ -x "$DETENGO" ] || { echo "shared.sh: $DETENGO missing (make)" >&2; exit 1; }
[ "$HOSTS_TRACKED" -le 131072 ] ||
    { echo "shared.sh: HOSTS_TRACKED at most 131072 (198.18.0.0/15)" >&2; exit 2; }
mkdir -p "$OUT"
LAT=$OUT/detengo-lat
if [ ! -x "$LAT" ] || [ "$HERE/detengo-lat.c" -nt "$LAT" ]; then
	${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
	    -o "$LAT" "$HERE/detengo-lat.c" -lnftnl -lmnl ||
	    { echo "shared.sh: cannot build $LAT" >&2; exit 1; }
fi
W=$(mktemp -d)
NS_PREFIX=cdbs-$$
. "$TOP/tests/netns.sh"
trap 'ns_cleanup; rm -rf "$W"' EXIT INT TERM
export XTABLES_LOCKFILE="$W/xtables.lock"

# the log of HOSTS_TRACKED hosts, an hour before now
python3 - "$HOSTS_TRACKED" >"$W/fill.log" <<'PY'
import sys, time
n = int(sys.argv[1])
t0 = time.time() - 3600
out = sys.stdout
for i in range(n):
    a = "198.%d.%d.%d" % (18 + (i >> 16), (i >> 8) & 255, i & 255)
    t = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(t0 + i * 0.03))
    us = i % 1000000
    s = i * 4
    out.write("%s.%06dZ mx sid=%08x src=%s:5353 dst=203.0.113.53:53 name=d%d.example\n" % (t, us, s, a, i % 97))
    out.write("%s.%06dZ connect sid=%08x src=%s:40000 dst=203.0.113.25:25\n" % (t, us, s + 1, a))
    out.write("%s.%06dZ rcpt sid=%08x src=%s:40000 dst=203.0.113.25:25 to=u@example.net\n" % (t, us, s + 1, a))
    out.write("%s.%06dZ refused sid=%08x src=%s:40000 dst=203.0.113.25:25 verb=RCPT to=u@example.net reply=550 esc=5.1.1\n" % (t, us, s + 1, a))
    out.write("%s.%06dZ tls sid=%08x src=%s:40001 dst=198.51.100.%d:465 sni=smtp.p%d.example\n" % (t, us, s + 2, a, i % 200, i % 16))
PY
lines=$(wc -l <"$W/fill.log")

# peak RSS in KiB of a command, from getrusage
rss() {
	python3 -c '
import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)' "$@"
}
echo "shared.sh: memory, $HOSTS_TRACKED hosts, $lines lines" >&2
m_strict=$(rss "$DETENGO" -n --once --from-start -s "$W/s1" "$W/fill.log")
m_shared=$(rss "$DETENGO" -m shared -n --once --from-start -s "$W/s2" "$W/fill.log")

# one mode's latency: its own namespace and detengo, the log read first
lat() {	# lat NAME DETENGO-OPTIONS... -- LAT-OPTIONS...
	_n=$1
	shift
	ns_new "$_n"
	xt_modules 2>/dev/null || :
	: >"$W/$_n.log"
	cp "$W/fill.log" "$W/$_n.log"
	_o=""
	while [ "$1" != -- ]; do _o="$_o $1"; shift; done
	shift
	# shellcheck disable=SC2086
	ns_bg "$_n" "$DETENGO" $_o -b iptc -p 25,465,587 --from-start \
	    -s "$W/$_n.state" -w "$W/$_n.rep" "$W/$_n.log"
	_pid=$NS_LASTPID
	# until the fill is read: the state's place in the log at its end
	_i=0
	while [ $_i -lt 600 ]; do
		grep -q "^pos [0-9]* [0-9]* $(stat -c %s "$W/$_n.log") " \
		    "$W/$_n.state" 2>/dev/null && break
		sleep 0.1
		_i=$((_i + 1))
	done
	_rss=$(awk '/^VmRSS/ { print $2 }' /proc/$_pid/status)
	ns_exec "$_n" "$LAT" each -4 -a 192.0.2.1 -n "$HOSTS" -g 2000 -i 20 \
	    "$@" -l "$W/$_n.log" -r "$W/$_n.rep" >"$W/$_n.each"
	ns_stop "$_pid"
	echo "$_rss" >"$W/$_n.rss"
}
. "$TOP/tests/check.sh" >/dev/null
echo "shared.sh: latency, strict" >&2
lat strict -- 
echo "shared.sh: latency, shared" >&2
lat shared -m shared -- -S
med() { awk '$2 >= 0 { print $2 }' "$1" | sort -n |
    awk '{ v[NR] = $1 } END { if (NR) printf "%.3f", v[int((NR + 1) / 2)] / 1e6 }'; }
p95() { awk '$2 >= 0 { print $2 }' "$1" | sort -n |
    awk '{ v[NR] = $1 } END { if (NR) printf "%.3f", v[int(NR * 0.95)] / 1e6 }'; }
n_ok() { awk '$2 >= 0' "$1" | wc -l; }
ms=$(med "$W/strict.each") mh=$(med "$W/shared.each")
printf '%-34s %12s %12s %8s\n' "detengo, $HOSTS_TRACKED hosts in the log" strict shared ratio
printf '%-34s %12s %12s %8s\n' "peak RSS, --once (MiB)" \
    "$(echo "$m_strict" | awk '{ printf "%.1f", $1 / 1024 }')" \
    "$(echo "$m_shared" | awk '{ printf "%.1f", $1 / 1024 }')" \
    "$(awk -v a="$m_strict" -v b="$m_shared" 'BEGIN { printf "%.2f", b / a }')"
printf '%-34s %12s %12s %8s\n' "RSS following, hosts read (MiB)" \
    "$(awk '{ printf "%.1f", $1 / 1024 }' "$W/strict.rss")" \
    "$(awk '{ printf "%.1f", $1 / 1024 }' "$W/shared.rss")" \
    "$(awk -v a="$(cat "$W/strict.rss")" -v b="$(cat "$W/shared.rss")" 'BEGIN { printf "%.2f", b / a }')"
printf '%-34s %12s %12s %8s\n' "line to kernel, median (ms)" "$ms" "$mh" \
    "$(awk -v a="$ms" -v b="$mh" 'BEGIN { printf "%.2f", b / a }')"
printf '%-34s %12s %12s %8s\n' "line to kernel, 95th (ms)" \
    "$(p95 "$W/strict.each")" "$(p95 "$W/shared.each")" ""
printf '%-34s %12s %12s\n' "hosts blocked of $HOSTS" \
    "$(n_ok "$W/strict.each")" "$(n_ok "$W/shared.each")"
