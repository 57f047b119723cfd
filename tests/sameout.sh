#!/bin/sh
# sameout.sh OLD NEW: do two capturo binaries write the same bytes?
#
# A tool for refactors and speed work, run by hand, not by `make check`
# (comparing the built binary with itself would prove nothing).  Keep a
# copy of the binary before the change, build, then compare:
#
#	cp capturo/capturo /tmp/capturo.old
#	... change, make ...
#	sh tests/sameout.sh /tmp/capturo.old capturo/capturo
#
# Both binaries read every capture (*.pcap, *.pcapng) in tests/data,
# examples and ../shared/pcaps (skipped with a message when it is
# missing) with each set of options, and their standard output, standard
# error, exit status and, for a set that writes with -w, the log file are
# compared byte for byte.  The sets are "", "-J" and "-w %w" (%w is a
# file of the run's own); SAMEOUT_OPTS replaces them, sets separated by
# "|", e.g. SAMEOUT_OPTS='-p 25,587,2525|-J -s 128'.
#
# Prints each difference (the first lines of a diff), then the count of
# runs compared; exits 0 only when every run was identical, 1 on any
# difference, 2 on bad use.

set -u

usage()
{
	echo "usage: sameout.sh OLD NEW (two capturo binaries)" >&2
	exit 2
}

[ $# -eq 2 ] || usage
OLD=$1
NEW=$2
for b in "$OLD" "$NEW"; do
	{ [ -x "$b" ] && [ -f "$b" ]; } || { echo "sameout.sh: $b is not an executable file" >&2; exit 2; }
done

TOP=$(cd "$(dirname "$0")/.." && pwd)
SHARED=$TOP/../shared/pcaps
SETS=${SAMEOUT_OPTS:-"|-J|-w %w"}
W=$(mktemp -d) || exit 2
trap 'rm -rf "$W"' EXIT

dirs="$TOP/tests/data $TOP/examples"
if [ -d "$SHARED" ]; then
	dirs="$dirs $SHARED"
else
	echo "sameout.sh: $SHARED missing: its captures are not compared"
fi

# one BIN TAG CAPTURE OPTS: run BIN on CAPTURE into $W/TAG.{out,err,rc,w}
one()
{
	# the same name for both binaries: it may show in their messages
	_w=$W/run.w
	rm -f "$_w"
	# shellcheck disable=SC2046 # OPTS are words
	"$1" $(echo "$4" | sed "s|%w|$_w|g") -r "$3" >"$W/$2.out" \
	    2>"$W/$2.err" </dev/null
	echo $? >"$W/$2.rc"
	if [ -f "$_w" ]; then mv "$_w" "$W/$2.w"; else : >"$W/$2.w"; fi
}

# differ CAPTURE OPTS WHAT: report one difference
differ()
{
	echo "DIFFER: ${1#"$TOP/"} [${2:-no options}] $3:"
	diff "$W/old.$3" "$W/new.$3" | head -n 10 | sed 's/^/    /'
}

n=0 bad=0
for d in $dirs; do
	for f in "$d"/*.pcap "$d"/*.pcapng; do
		[ -f "$f" ] || continue
		rest=$SETS
		while :; do
			opts=${rest%%|*}
			one "$OLD" old "$f" "$opts"
			one "$NEW" new "$f" "$opts"
			n=$((n + 1))
			same=1
			for what in rc out err w; do
				if ! cmp -s "$W/old.$what" "$W/new.$what"; then
					differ "$f" "$opts" "$what"
					same=0
				fi
			done
			[ $same -eq 1 ] || bad=$((bad + 1))
			[ "$rest" = "$opts" ] && break
			rest=${rest#*|}
		done
	done
done

if [ $n -eq 0 ]; then
	echo "sameout.sh: no capture found" >&2
	exit 2
fi
echo "$n runs compared ($(echo "$SETS" | tr '|' '\n' | wc -l) option sets), $bad differ"
[ $bad -eq 0 ]
