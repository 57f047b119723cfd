#!/bin/sh
# Run the libFuzzer targets of tests/fuzz/: one TAP-like line per target.
#
#   fuzz.sh check SECONDS TARGET...  each target SECONDS on the committed
#                                    corpus; nothing is written to it
#   fuzz.sh run SECONDS TARGET...    each target SECONDS; new inputs go to
#                                    obj-fuzz/corpus/TARGET, crashes to
#                                    tests/fuzz/crashes/
#   fuzz.sh merge 0 TARGET...        add to tests/fuzz/corpus/TARGET the
#                                    inputs of obj-fuzz/corpus/TARGET that
#                                    reach new coverage (libFuzzer -merge=1)
#
# Prints "ok - fuzz: TARGET N execs, no crash" or "not ok - fuzz: ...",
# and "skip - fuzz: ..." when clang cannot build libFuzzer programs.
# Exit 1 on any "not ok".

cd "$(dirname "$0")/../.." || exit 1
mode=${1:-check}
secs=${2:-5}
shift 2 2>/dev/null
# the Makefile's list: every tests/fuzz/fz_NAME.c
targets=${*:-$(${MAKE:-make} -s --no-print-directory fuzz-targets)}
FZ=obj-fuzz
fail=0

tmp=$(mktemp -d) || exit 1
trap 'rm -rf "$tmp"' EXIT

# clang with libFuzzer and the sanitizers' runtimes (libclang-rt-14-dev)
if ! printf 'int LLVMFuzzerTestOneInput(const char *p, long n);\nint LLVMFuzzerTestOneInput(const char *p, long n) { (void)p; (void)n; return 0; }\n' \
    >"$tmp/probe.c" ||
    ! ${FUZZ_CC:-clang} -fsanitize=fuzzer,address,undefined -o "$tmp/probe" \
    "$tmp/probe.c" >/dev/null 2>&1; then
	echo "skip - fuzz: ${FUZZ_CC:-clang} cannot build libFuzzer programs"
	exit 0
fi
if ! ${MAKE:-make} -s --no-print-directory fuzz-build >"$tmp/build" 2>&1; then
	echo "not ok - fuzz: the targets do not build"
	sed 's/^/#   /' "$tmp/build" | tail -n 30
	exit 1
fi

for t in $targets; do
	bin=$FZ/fz_$t
	seeds=tests/fuzz/corpus/$t
	mkdir -p "$seeds"
	case $mode in
	check)
		# new inputs go to a scratch directory, the corpus is only read
		mkdir -p "$tmp/$t" "$FZ/crashes"
		set -- "$tmp/$t" "$seeds"
		art=$FZ/crashes/$t-
		;;
	run)
		mkdir -p "$FZ/corpus/$t" tests/fuzz/crashes
		set -- "$FZ/corpus/$t" "$seeds"
		art=tests/fuzz/crashes/$t-
		;;
	merge)
		mkdir -p "$FZ/corpus/$t"
		before=$(ls "$seeds" | wc -l)
		if "$bin" -merge=1 "$seeds" "$FZ/corpus/$t" >"$tmp/log" 2>&1
		then
			echo "ok - fuzz: $t corpus $before -> $(ls "$seeds" | wc -l) files, $(du -sk "$seeds" | cut -f1) KiB"
		else
			echo "not ok - fuzz: $t merge failed"
			tail -n 20 "$tmp/log" | sed 's/^/#   /'
			fail=1
		fi
		continue
		;;
	*)
		echo "usage: fuzz.sh check|run|merge SECONDS [target ...]" >&2
		exit 2
		;;
	esac
	"$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
	    -print_final_stats=1 -artifact_prefix="$art" "$@" \
	    >"$tmp/log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$tmp/log")
	cov=$(grep -E '^#[0-9]+' "$tmp/log" | tail -n 1 |
	    sed -n 's/.*\(cov: [0-9]* ft: [0-9]*\).*/\1/p')
	if [ $rc -eq 0 ] && ! grep -q '^==[0-9]*==ERROR\|^SUMMARY: \|runtime error' "$tmp/log"
	then
		echo "ok - fuzz: $t ${execs:-?} execs, no crash ($cov, corpus $(ls "$seeds" | wc -l) files)"
	else
		crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$tmp/log" |
		    tail -n 1)
		echo "not ok - fuzz: $t failed after ${execs:-?} execs (exit $rc)${crash:+, input saved as $crash}"
		grep -v '^#[0-9]\|^INFO:\|^MERGE\|^Loading\|^Loaded' "$tmp/log" |
		    head -n 24 | sed 's/^/#   /'
		fail=1
	fi
done
exit $fail
