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

# run NAME CMD...: run one test program and count its lines.  It has
# LIMIT seconds (1200 unless set for it): a test that hangs is ended, and
# is one "not ok" that names the last thing it said, and the run goes on
run() {
	name=$1
	shift
	timeout -k 10 "${LIMIT:-1200}" "$@" >"$log" 2>&1
	rc=$?
	nf=0
	if [ $rc -eq 124 ] || [ $rc -eq 137 ]; then
		fail=$((fail + 1)) nf=1
		echo "not ok - $name: no end within ${LIMIT:-1200} s, ended;" \
		    "its last line: $(grep . "$log" | tail -n 1)"
	fi
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
# the firewall's front door and its dry backend: no root, no kernel
run "unit/fw selftest" ./obj/tests/t_fw selftest
run "unit/fw selftest (asan,ubsan)" ./obj-san/tests/t_fw selftest

# the manual pages
run "docs" sh tests/mandoc.sh

# shell tests: replays, corpus, tailer, end-to-end (these skip without root)
for s in install.sh deb.sh replay.sh corpus.sh peers.sh hostile.sh \
    hostile_dns_tls.sh \
    tail_rotate.sh detengo.sh why.sh shared.sh shared_lab.sh faults.sh \
    output.sh privs.sh offload.sh valgrind.sh e2e_fw.sh e2e_nft.sh \
    e2e_ipset.sh e2e_lab.sh e2e_smtp.sh rsyslog.sh notify.sh metrics.sh; do
	[ -f "tests/$s" ] && run "${s%.sh}" sh "tests/$s"
done

# the firewall record against a model: detengo driven through random
# steps and reloads, per backend (tests/fwmodel.py; FWMODEL_STEPS for a
# longer run, FWMODEL_SEED to replay one)
for b in iptc nft ipset; do
	run "fwmodel $b" python3 tests/fwmodel.py -b "$b" \
	    -n "${FWMODEL_STEPS:-200}" ${FWMODEL_SEED:+-s "$FWMODEL_SEED"}
done

# the fuzzers, 5 seconds each on the committed corpus
run "fuzz" sh tests/fuzz/fuzz.sh check 5

# Debian 12's own kernels in qemu (tests/vm/vm.sh): the tests that meet
# the kernel (capture, the three firewalls, faults) on each kernel of
# VM_KERNELS, and the packages under a real systemd on the first one.
# make check: 6.1; make check-kernels: 6.1 and 6.12.  VM_KERNELS=""
# leaves them out.
VM_TESTS="offload.sh e2e_fw.sh e2e_nft.sh e2e_ipset.sh detengo.sh faults.sh"
if [ "$(id -u)" -ne 0 ]; then
	echo "skip - vm: needs root (qemu's 9p export of /, namespaces in the guest)"
	skip=$((skip + 1))
else
	sd=1
	for k in ${VM_KERNELS-6.1}; do
		for s in $VM_TESTS; do
			LIMIT=1300 run "vm $k/${s%.sh}" sh tests/vm/vm.sh \
			    -t 1200 "$k" sh "tests/$s"
		done
		[ $sd -eq 1 ] || continue
		sd=0
		ls build/deb/detengo_*.deb >/dev/null 2>&1 ||
		    ${MAKE:-make} -s deb >/dev/null 2>&1
		LIMIT=1600 run "vm $k/systemd" sh tests/vm/vm.sh -s -t 1500 \
		    "$k" sh tests/vm/systemd.sh
	done
fi

echo "$pass passed, $fail failed, $skip skipped"
[ $fail -eq 0 ]
