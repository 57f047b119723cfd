# Sourced by the shell tests: the lines tests/run.sh counts.  CHECK_NAME,
# when set, prefixes every line; fail is 1 after any "not ok".  check and
# checkx return 1 when they print "not ok", so that `check ... || show a
# log` shows it.
fail=0
_cn=${CHECK_NAME:+$CHECK_NAME: }
ok() { echo "ok - $_cn$*"; }
nok() { echo "not ok - $_cn$*"; fail=1; }
skip() { echo "skip - $_cn$*"; }
note() { echo "# $_cn$*"; }
check() {	# check WHAT COMMAND...
	what=$1
	shift
	if "$@"; then ok "$what"; else nok "$what"; return 1; fi
}
checkx() {	# checkx WHAT 'SHELL CODE'
	if eval "$2"; then ok "$1"; else nok "$1"; return 1; fi
}
# runcopy DIR PROGRAM: the path of a copy of PROGRAM made in DIR (mode
# 0755), for tests that run it as another user: the checkout may lie in
# a directory only root can enter (root's home, mktemp -d).  DIR's parent
# must be one the user can reach; the caller removes it.
runcopy() {
	mkdir -p "$1" && chmod 755 "$1" && cp "$2" "$1/" &&
	    chmod 755 "$1/${2##*/}" && echo "$1/${2##*/}"
}
