#!/bin/sh
# The test driver of `make check`: runs every test, one line per test,
# and ends with "N passed, N failed, N skipped".  Exit 1 on any failure.
#
# A test program or script prints TAP-like lines: "ok ...", "not ok ...",
# "skip ..." (anything else is shown only when the test fails).  A program
# that exits non-zero without a "not ok" line counts as one failure.

cd "$(dirname "$0")/.." || exit 1
pass=0 fail=0 skip=0
log=$(mktemp) || exit 1
trap 'rm -f "$log"' EXIT

# run NAME CMD...: run one test program and count its lines
run() {
	name=$1
	shift
	"$@" >"$log" 2>&1
	rc=$?
	nf=0
	# "ok 12 - what", "ok - what" and "ok what" all print as "ok - NAME: what";
	# an "ok" with TAP's SKIP directive ("ok 12 # skip why", "ok 12 -
	# what # SKIP why") is a skip, not a pass
	tab=$(printf '\t')
	sed -n 's/^\(not ok\|ok\|skip\)[ 0-9]*\(- \)\{0,1\}\(.*\)$/\1\t\3/p' \
	    "$log" | sed 's/^ok\t\(\(.* \)\{0,1\}# *[Ss][Kk][Ii][Pp]\([ \t:].*\)\{0,1\}\)$/skip\t\1/' \
	    >"$log.ok"
	while IFS="$tab" read -r verdict what; do
		what=${what#"$name: "}
		case $verdict in
		"not ok") fail=$((fail + 1)) nf=$((nf + 1)) ;;
		ok)	pass=$((pass + 1)) ;;
		skip)	skip=$((skip + 1)) ;;
		esac
		echo "$verdict - $name: $what"
	done <"$log.ok"
	rm -f "$log.ok"
	if [ $rc -ne 0 ] || [ $nf -ne 0 ]; then
		[ $nf -eq 0 ] && { fail=$((fail + 1));
		    echo "not ok - $name: exited with status $rc"; }
		sed 's/^/#   /' "$log" | tail -n 40
	fi
}

# unit tests, plain and under ASan+UBSan: the Makefile's list, the only one
units=$(${MAKE:-make} -s --no-print-directory units) || units=
[ -n "$units" ] || { echo "not ok - unit: make units gave no list"; fail=$((fail + 1)); }
for t in $units; do
	run "unit/$t" ./obj/tests/t_$t
	run "unit/$t (asan,ubsan)" ./obj-san/tests/t_$t
done
tdir=$(mktemp -d) && run "unit/tail (asan,ubsan)" ./obj-san/tests/t_tail -t "$tdir"
rm -rf "$tdir"

# the manual pages
run "docs" sh tests/mandoc.sh

# shell tests: replays, corpus, tailer, end-to-end (these skip without root)
for s in install.sh deb.sh replay.sh corpus.sh peers.sh hostile.sh \
    tail_rotate.sh detengo.sh faults.sh output.sh privs.sh offload.sh \
    valgrind.sh e2e_fw.sh e2e_nft.sh e2e_ipset.sh e2e_lab.sh e2e_smtp.sh; do
	[ -f "tests/$s" ] && run "${s%.sh}" sh "tests/$s"
done

# the fuzzers, 5 seconds each on the committed corpus
run "fuzz" sh tests/fuzz/fuzz.sh check 5

echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
