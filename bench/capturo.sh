#!/bin/sh
# Measures capturo against the floor, tshark and a tcpdump|grep pipeline on one capture, and live under tcpreplay.
#
# sh bench/capturo.sh FILE       read FILE with each tool, best of RUNS (3)
# sh bench/capturo.sh -l FILE    as root: replay FILE at top speed into a
#                                veth and compare capturo -i with tcpdump -i,
#                                offloads as the kernel sets them, then off
#
# Offline, the page cache is warmed first; wall time and user+sys are each
# the best of RUNS runs, peak RSS (KB, /usr/bin/time %M) the largest seen,
# of the biggest process for a pipeline.  The truth is FILE.truth (written
# by mkcapture.sh) or else a tshark count.  Prints a table and the targets,
# and keeps them in bench/out/offline.txt and bench/out/live.txt.
# It is not a test: it exits 0 whatever the figures.
# Needs: /usr/bin/time (package time), tshark, tcpdump, tcpreplay, iproute2,
# gawk, ethtool.

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$HERE/..
OUT=$HERE/out
RUNS=${RUNS:-3}
CAPTURO=${CAPTURO:-$TOP/capturo/capturo}
FLOOR=${FLOOR:-$TOP/bench/floor}
TIME=/usr/bin/time

usage()
{
	echo "usage: capturo.sh [-l] file" >&2
	exit 2
}

LIVE=0
case ${1:-} in
-l) LIVE=1; shift ;;
-*) usage ;;
esac
[ $# -eq 1 ] || usage
CAP=$1
[ -r "$CAP" ] || { echo "capturo.sh: cannot read $CAP" >&2; exit 1; }
mkdir -p "$OUT"
W=$(mktemp -d "$OUT/run.XXXXXX")

truth()
{
	if [ -s "$CAP.truth" ]; then
		cat "$CAP.truth"
	else
		tshark -r "$CAP" -Y smtp.req -T fields -e smtp.req.command \
		    2>/dev/null | tr ',' '\n' | grep -c '^MAIL$' || :
	fi
}

# measure NAME COMMAND: run COMMAND (sh -c) RUNS times, its stdout kept
# in $W/NAME.out; leaves "wall cpu rss" (best, best, largest) in $W/NAME.t
measure()
{
	_name=$1
	_cmd=$2
	_r=1
	: >"$W/$_name.runs"
	while [ "$_r" -le "$RUNS" ]; do
		_t0=$(date +%s%N)
		$TIME -f '%U %S %M' -o "$W/$_name.time" sh -c "$_cmd" \
		    >"$W/$_name.out" 2>"$W/$_name.err" || :
		_t1=$(date +%s%N)
		# the last line: time writes "Command exited..." above it on error
		echo "$_t0 $_t1 $(tail -n 1 "$W/$_name.time")" >>"$W/$_name.runs"
		_r=$((_r + 1))
	done
	awk '{ w = ($2 - $1) / 1e9; c = $3 + $4;
		if (NR == 1 || w < bw) bw = w; if (NR == 1 || c < bc) bc = c;
		if ($5 > rss) rss = $5 }
	    END { printf "%.3f %.2f %d\n", bw, bc, rss }' \
	    "$W/$_name.runs" >"$W/$_name.t"
	echo "bench: $_name $(cat "$W/$_name.t")" >&2
}

offline()
{
	[ -x "$TIME" ] || { echo "capturo.sh: $TIME missing (apt-get install time)" >&2; exit 1; }
	[ -x "$FLOOR" ] || { echo "capturo.sh: $FLOOR missing (make bench/floor)" >&2; exit 1; }
	[ -x "$CAPTURO" ] || { echo "capturo.sh: $CAPTURO missing (make)" >&2; exit 1; }
	want=$(truth)
	size=$(wc -c <"$CAP")
	pkts=$("$FLOOR" "$CAP" | sed 's/^packets=\([0-9]*\).*/\1/')
	# warm the page cache: every tool reads the file from memory
	cat "$CAP" >/dev/null

	measure floor "'$FLOOR' '$CAP'"
	measure floor_b "'$FLOOR' -b 256 '$CAP'"
	measure capturo "'$CAPTURO' -r '$CAP'"
	measure tshark "tshark -r '$CAP' -Y smtp.req -T fields -e ip.src \
	    -e smtp.req.command -e smtp.req.parameter"
	measure article "tcpdump -r '$CAP' -l -nn -A port 25 |
	    grep 'mail from' | grep SMTP:"
	measure article_i "tcpdump -r '$CAP' -l -nn -A port 25 |
	    grep -i 'mail from' | grep SMTP:"

	echo 0 >"$W/floor.n"
	echo 0 >"$W/floor_b.n"
	awk '$2 == "mail"' "$W/capturo.out" | wc -l >"$W/capturo.n"
	# a row per packet; several pipelined commands are comma-separated
	awk -F '\t' '{ n += split($2, c, ","); m = 0
		for (i in c) if (c[i] == "MAIL") m++; t += m } END { print t + 0 }' \
	    "$W/tshark.out" >"$W/tshark.n"
	wc -l <"$W/article.out" >"$W/article.n"
	wc -l <"$W/article_i.out" >"$W/article_i.n"

	{
		echo "capture: $CAP ($size bytes, $pkts packets, $want MAIL FROMs by tshark)"
		echo "machine: $(nproc) vCPU, $(sed -n 's/^model name[^:]*: //p' /proc/cpuinfo | head -n 1), kernel $(uname -r)"
		echo "date: $(date -u +%Y-%m-%dT%H:%MZ), best of $RUNS runs, warm page cache"
		echo
		printf '%-36s %8s %8s %8s %9s %10s %9s\n' tool wall_s cpu_s \
		    x_floor x_capturo mail_from peak_rss_kb
		for t in floor floor_b capturo tshark article article_i; do
			case $t in
			floor) label="bench/floor (libpcap, sum bytes)" ;;
			floor_b) label="bench/floor -b 256 (256 KiB reads)" ;;
			capturo) label="capturo -r" ;;
			tshark) label="tshark -Y smtp.req -T fields" ;;
			article) label="tcpdump -A | grep 'mail from'" ;;
			article_i) label="same with grep -i (not the article)" ;;
			esac
			# shellcheck disable=SC2046 # three numbers each
			set -- $(cat "$W/$t.t") $(cat "$W/floor.t") \
			    $(cat "$W/capturo.t")
			n=$(cat "$W/$t.n")
			case $t in floor*) n=- ;; esac
			awk -v l="$label" -v w="$1" -v c="$2" -v r="$3" \
			    -v fw="$4" -v cw="$7" -v n="$n" 'BEGIN {
				printf "%-36s %8.3f %8.2f %8.2f %9.2f %10s %9d\n",
				    l, w, c, w / fw, w / cw, n, r }'
		done
		echo
		# shellcheck disable=SC2046 # three numbers each
		set -- $(cat "$W/floor.t") $(cat "$W/capturo.t") \
		    $(cat "$W/tshark.t") $(cat "$W/floor_b.t")
		awk -v fw="$1" -v cw="$4" -v crss="$6" -v tw="$7" -v bw="${10}" \
		    -v got="$(cat "$W/capturo.n")" -v want="$want" 'BEGIN {
			pf = "FAIL"; if (cw <= 1.5 * fw) pf = "pass"
			printf "target: capturo within 1.5x the floor: %s (%.2fx; %.2fx the floor with 256 KiB reads)\n", pf, cw / fw, cw / bw
			pf = "FAIL"; if (tw >= 20 * cw) pf = "pass"
			printf "target: >= 20x faster than tshark:      %s (%.1fx)\n", pf, tw / cw
			pf = "FAIL"; if (got == want && want > 0) pf = "pass"
			printf "target: every MAIL FROM (%d):          %s (%d)\n", want, pf, got
			pf = "FAIL"; if (crss < 32768) pf = "pass"
			printf "target: peak RSS under 32 MB:           %s (%d KB)\n", pf, crss
		}'
		echo "capturo's stats: $(grep '^capturo: packets=' "$W/capturo.err" | tail -n 1)"
	} | tee "$OUT/offline.txt"
	cp "$W/capturo.out" "$OUT/capturo.events"
}

# frames the kernel dropped from its per-CPU input queues, all namespaces
softnet_drops()
{
	gawk '{ d += strtonum("0x" $2) } END { print d }' /proc/net/softnet_stat
}

# Live: tcpreplay sends FILE out of rp/eth0 at top speed; the peer
# cap/eth0 (no address, nothing but the sniffer) receives every frame.
# live_one TAG LABEL COMMAND...: one replay, one line of the table
live_one()
{
	_name=$1
	_label=$2
	shift 2
	# time(1) ignores SIGINT while it waits: the sniffer is its child
	ns_bg cap "$TIME" -f 'rss=%M' -o "$W/live.$_name.rss" "$@" \
	    >"$W/live.$_name.out" 2>"$W/live.$_name.err"
	_pid=$NS_LASTPID
	# let the sniffer open its socket before the first frame
	sleep 2
	_sn0=$(softnet_drops)
	ns_exec rp tcpreplay -q -t -i eth0 "$CAP" >"$W/live.$_name.replay" 2>&1 || :
	_sn1=$(softnet_drops)
	sleep 2
	# shellcheck disable=SC2013 # a list of PIDs
	for _c in $(cat "/proc/$_pid/task/$_pid/children" 2>/dev/null); do
		kill -INT "$_c" 2>/dev/null || :
	done
	wait "$_pid" 2>/dev/null || :
	ns_forget "$_pid"
	_sent=$(sed -n 's/^Actual: \([0-9]*\) packets.*/\1/p' "$W/live.$_name.replay")
	_rate=$(sed -n 's/^Rated: .*, \([0-9.]*\) Mbps, \([0-9.]*\) pps.*/\1 Mbps \2 pps/p' \
	    "$W/live.$_name.replay")
	_rss=$(sed -n 's/^rss=//p' "$W/live.$_name.rss")
	case $_name in
	capturo*)
		_st=$(grep '^capturo: packets=' "$W/live.$_name.err" | tail -n 1)
		_got=$(echo "$_st" | sed 's/.* packets=\([0-9]*\).*/\1/')
		_drop=$(echo "$_st" | sed 's/.* dropped=\([0-9-]*\).*/\1/')
		_mail=$(awk '$2 == "mail"' "$W/live.$_name.out" | wc -l)
		;;
	tcpdump*)
		_got=$(sed -n 's/^\([0-9]*\) packets captured.*/\1/p' "$W/live.$_name.err")
		_drop=$(sed -n 's/^\([0-9]*\) packets dropped by kernel.*/\1/p' "$W/live.$_name.err")
		_mail=-
		;;
	esac
	printf '%-32s %7s %7s %7s %7s %6s %7s  %s\n' "$_label" "${_sent:-?}" \
	    "${_got:-?}" "${_drop:-?}" "$((_sn1 - _sn0))" "$_mail" \
	    "${_rss:-?}" "$_rate"
}

# offloads NS: "tso gso gro" as ethtool -k shows them on NS's eth0
offloads()
{
	ns_exec "$1" ethtool -k eth0 | awk -F ': ' '
	    $1 == "tcp-segmentation-offload" { t = $2 }
	    $1 == "generic-segmentation-offload" { g = $2 }
	    $1 == "generic-receive-offload" { r = $2 }
	    END { printf "tso %s, gso %s, gro %s", t, g, r }'
}

# live_table SETTING: RUNS rounds, each listener once a round, in turns
live_table()
{
	echo
	echo "offloads $1: replay end $(offloads rp); listener end $(offloads cap)"
	printf '%-32s %7s %7s %7s %7s %6s %7s  %s\n' listener sent \
	    rcvd dropped backlog mail rss "replay rate"
	_r=1
	while [ "$_r" -le "$RUNS" ]; do
		for l in $LISTENERS; do
			case $l in
			capturo) live_one $l "capturo -i (16 MB default)" \
			    "$CAPTURO" -i eth0 ;;
			capturo_B4) live_one $l "capturo -i -B 4096" \
			    "$CAPTURO" -B 4096 -i eth0 ;;
			capturo_old) live_one $l "$CAPTURO_OLD_LABEL" \
			    "$CAPTURO_OLD" -i eth0 ;;
			tcpdump) live_one $l "tcpdump -w /dev/null" \
			    tcpdump -i eth0 -w /dev/null ;;
			tcpdump_imm) live_one $l \
			    "tcpdump --immediate-mode -w" \
			    tcpdump --immediate-mode -i eth0 -w /dev/null ;;
			esac
		done
		_r=$((_r + 1))
	done
}

# Two tables: the veths' offloads as the kernel sets them (TSO and GSO
# on), then off at both ends (ethtool -K tso off gso off gro off).
# CAPTURO_OLD=BINARY adds another capturo to compare, labelled
# CAPTURO_OLD_LABEL.
live()
{
	[ "$(id -u)" -eq 0 ] || { echo "capturo.sh -l: run as root" >&2; exit 1; }
	[ -x "$TIME" ] || { echo "capturo.sh: $TIME missing (apt-get install time)" >&2; exit 1; }
	command -v ethtool >/dev/null || { echo "capturo.sh -l: ethtool missing (apt-get install ethtool)" >&2; exit 1; }
	NS_PREFIX=${NS_PREFIX:-cdbench-$$}
	NS_OFFLOADS=kernel
	. "$TOP/tests/netns.sh"
	NS_SOURCED=1
	trap bench_exit EXIT
	ns_new rp
	ns_new cap
	ns_link rp eth0 - cap eth0 -
	want=$(truth)
	LISTENERS="capturo capturo_B4 tcpdump tcpdump_imm"
	if [ -n "${CAPTURO_OLD:-}" ]; then
		LISTENERS="capturo capturo_old capturo_B4 tcpdump tcpdump_imm"
		CAPTURO_OLD_LABEL=${CAPTURO_OLD_LABEL:-capturo -i (other build)}
	fi
	{
		echo "live: tcpreplay -t (top speed) of $CAP out of a veth, the"
		echo "listener on its peer in another namespace; $want MAIL FROMs"
		echo "in the file; capturo's filter passes only TCP frames."
		echo "dropped = the listener's kernel drops (pcap_stats ps_drop);"
		echo "backlog = host-wide softnet drops during the replay; rss in KB."
		echo "$RUNS rounds, each listener once a round: the figures vary"
		echo "from run to run.  Kernel $(uname -r), $(nproc) vCPU."
		live_table "as the kernel sets them"
		for n in rp cap; do
			ns_exec $n ethtool -K eth0 tso off gso off gro off \
			    >/dev/null 2>&1 || :
		done
		live_table "off (ethtool -K tso off gso off gro off, both ends)"
	} | tee "$OUT/live.txt"
}

bench_exit()
{
	[ -z "${NS_SOURCED:-}" ] || ns_cleanup
	rm -rf "$W"
}
trap bench_exit EXIT

if [ "$LIVE" -eq 1 ]; then
	live
else
	offline
fi
