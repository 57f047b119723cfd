# Sourced by the shell tests: the lines tests/run.sh counts.  CHECK_NAME,
# when set, prefixes every line; fail is 1 after any "not ok".
fail=0
_cn=${CHECK_NAME:+$CHECK_NAME: }
ok() { echo "ok - $_cn$*"; }
nok() { echo "not ok - $_cn$*"; fail=1; }
skip() { echo "skip - $_cn$*"; }
note() { echo "# $_cn$*"; }
check() {	# check WHAT COMMAND...
	what=$1
	shift
	if "$@"; then ok "$what"; else nok "$what"; fi
}
checkx() {	# checkx WHAT 'SHELL CODE'
	if eval "$2"; then ok "$1"; else nok "$1"; fi
}
