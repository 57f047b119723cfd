#!/bin/sh
# The benchmark behind `make bench`: make or reuse the capture, then measure capturo offline and live.
#
# sh bench/run.sh [FILE]   (default bench/out/smtp-5000.pcap; run as root)
# Without root and with an existing FILE only the offline part runs.
# The tables are kept in bench/out/offline.txt and bench/out/live.txt;
# docs/performance.md explains them.  RUNS=N (default 3) runs of each.

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
CAP=${1:-$HERE/out/smtp-5000.pcap}

for f in "$HERE/../capturo/capturo" "$HERE/floor"; do
	[ -x "$f" ] || { echo "bench: $f missing: make all bench/floor" >&2; exit 1; }
done
if [ "$(id -u)" -ne 0 ]; then
	[ -s "$CAP" ] || { echo "bench: no $CAP: run as root to make it" >&2; exit 1; }
	echo "bench: not root: offline part only" >&2
	sh "$HERE/capturo.sh" "$CAP"
	exit 0
fi

echo "bench: the capture" >&2
sh "$HERE/mkcapture.sh" "$CAP" >/dev/null
echo "bench: offline" >&2
sh "$HERE/capturo.sh" "$CAP"
echo
echo "bench: live" >&2
sh "$HERE/capturo.sh" -l "$CAP"
echo
echo "bench: detengo" >&2
sh "$HERE/detengo.sh"
echo
echo "bench: detengo -m shared" >&2
sh "$HERE/shared.sh"
echo
echo "bench: end to end" >&2
sh "$HERE/e2e.sh"
