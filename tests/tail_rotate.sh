#!/bin/sh
# The log follower against a real logrotate -f ("create" and "copytruncate")
# while a writer appends: every line must come out exactly once, in order.
# Also a restart: the follower stops, the log is rotated, it resumes from
# its state file.  Needs no root.  Usage: sh tests/tail_rotate.sh [t_tail]

cd "$(dirname "$0")/.." || exit 1
T=${1:-./obj/tests/t_tail}
N=${TAIL_ROTATE_LINES:-10000}

if [ ! -x "$T" ]; then
	echo "skip - tail: $T is not built (make $T)"
	exit 0
fi
if ! command -v logrotate >/dev/null 2>&1; then
	echo "skip - tail: logrotate is not installed"
	exit 0
fi

dir=$(mktemp -d) || exit 1
pids=""
cleanup() {
	for p in $pids; do
		kill "$p" 2>/dev/null
	done
	rm -rf "$dir"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail=0
seq 1 "$N" | sed 's/^/line /' >"$dir/expected"

# conf MODE LOG WRITERPID: a logrotate configuration for one log
conf() {
	if [ "$1" = create ]; then
		how="create 0600"
		post="postrotate
		kill -HUP $3
	endscript"
	else
		how=copytruncate
		post=""
	fi
	cat <<EOF
$2 {
	rotate 100
	$how
	nocompress
	missingok
	$post
}
EOF
}

# verdict NAME OUT DIR: compare a follower's output with the expected lines
verdict() {
	if cmp -s "$dir/expected" "$2"; then
		echo "ok - tail: $1: $N lines, each once, in order"
		return
	fi
	fail=1
	echo "not ok - tail: $1: lines lost, repeated or out of order"
	sort "$dir/expected" >"$dir/e.sorted"
	sort "$2" >"$dir/o.sorted"
	echo "#   got $(wc -l <"$2") lines," \
	    "$(uniq -d "$dir/o.sorted" | wc -l) repeated," \
	    "$(comm -23 "$dir/e.sorted" "$dir/o.sorted" | wc -l) missing"
	diff "$dir/expected" "$2" | head -n 10 | sed 's/^/#   /'
	sed 's/^/#   stderr: /' "$3/err" | head -n 10
}

# verdict_copy NAME OUT DIR: copytruncate loses the lines written between
# its copy and its truncation (logrotate(8) says so) unless the follower
# read them in between; every line some file still holds must come out,
# once, in order
verdict_copy() {
	sort "$dir/expected" >"$dir/e.sorted"
	sort "$2" >"$dir/o.sorted"
	cat "$3"/events.log* | sort >"$dir/f.sorted"
	rep=$(uniq -d "$dir/o.sorted" | wc -l)
	lost=$(comm -23 "$dir/f.sorted" "$dir/o.sorted" | wc -l)
	race=$(comm -23 "$dir/e.sorted" "$dir/f.sorted" | wc -l)
	saved=$(comm -12 "$dir/o.sorted" "$dir/e.sorted" |
	    comm -23 - "$dir/f.sorted" | wc -l)
	order=0
	sed 's/^line //' "$2" | sort -n -c 2>/dev/null || order=1
	echo "# copytruncate: $race lines written between logrotate's copy" \
	    "and its truncation are in no file; the follower had read $saved" \
	    "of them"
	if [ "$rep" -eq 0 ] && [ "$lost" -eq 0 ] && [ "$order" -eq 0 ]; then
		echo "ok - tail: $1: every line of the files once, in order" \
		    "($(wc -l <"$2") of $N)"
		return
	fi
	fail=1
	echo "not ok - tail: $1: $rep repeated, $lost of the files' lines" \
	    "missing, out of order: $order"
	diff "$dir/expected" "$2" | head -n 10 | sed 's/^/#   /'
	sed 's/^/#   stderr: /' "$3/err" | head -n 10
}

# rotations N CONF DIR: run logrotate -f N times, 0.15 s apart
rotations() {
	i=0
	while [ $i -lt "$1" ]; do
		sleep 0.15
		if ! logrotate -f -s "$3/lr.state" "$2" 2>>"$3/lr.err"; then
			echo "# logrotate failed:"
			sed 's/^/#   /' "$3/lr.err"
		fi
		i=$((i + 1))
	done
}

for mode in create copytruncate; do
	d=$dir/$mode
	mkdir "$d"
	log=$d/events.log
	: >"$log"
	"$T" -f -n "$N" -i 5000 -s "$d/state" "$log" >"$d/out" 2>"$d/err" &
	fpid=$!
	pids="$pids $fpid"
	sleep 0.1
	"$T" -w "$log" "$N" 50 &
	wpid=$!
	pids="$pids $wpid"
	conf "$mode" "$log" "$wpid" >"$d/logrotate.conf"
	rotations 5 "$d/logrotate.conf" "$d"
	wait "$wpid"
	wait "$fpid"
	n=$(ls "$d"/events.log.* 2>/dev/null | wc -l)
	if [ "$n" -ge 5 ]; then
		echo "ok - tail: $mode: logrotate made $n rotated files"
	else
		fail=1
		echo "not ok - tail: $mode: logrotate made $n rotated files"
	fi
	if [ "$mode" = create ]; then
		verdict "$mode" "$d/out" "$d"
	else
		verdict_copy "$mode" "$d/out" "$d"
	fi
done

# a restart: stop after half the lines, rotate once while stopped (only
# PATH.1 is looked for), resume from the state file
d=$dir/restart
mkdir "$d"
log=$d/events.log
: >"$log"
"$T" -f -n $((N / 2)) -i 5000 -s "$d/state" "$log" >"$d/out1" 2>"$d/err" &
fpid=$!
pids="$pids $fpid"
sleep 0.1
"$T" -w "$log" "$N" 50 &
wpid=$!
pids="$pids $wpid"
conf create "$log" "$wpid" >"$d/logrotate.conf"
wait "$fpid"
rotations 1 "$d/logrotate.conf" "$d"
got=$(wc -l <"$d/out1")
"$T" -n $((N - got)) -i 5000 -s "$d/state" "$log" >"$d/out2" 2>>"$d/err" &
fpid=$!
pids="$pids $fpid"
rotations 2 "$d/logrotate.conf" "$d"
wait "$wpid"
wait "$fpid"
cat "$d/out1" "$d/out2" >"$d/out"
if [ "$got" -ge $((N / 2)) ] && [ "$got" -lt "$N" ]; then
	echo "ok - tail: restart: stopped after $got lines"
else
	fail=1
	echo "not ok - tail: restart: stopped after $got lines"
fi
verdict "restart, rotated while stopped" "$d/out" "$d"

exit $fail
