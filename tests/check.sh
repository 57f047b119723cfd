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
# TIME_SCALE: how much slower this machine runs than the one the time
# limits were set on.  tests/vm/vm.sh sets 10 under qemu's TCG, where a
# guest runs 5 to 20 times slower; the limits hold as written elsewhere.
# within MS LIMIT: MS is set and below LIMIT milliseconds, scaled
TIME_SCALE=${TIME_SCALE:-1}
within() { [ -n "$1" ] && [ "$1" -lt $(($2 * TIME_SCALE)) ]; }
# waitfor TENTHS CMD...: until CMD succeeds, at most TENTHS tenths of a
# second; ms_until N CMD...: the milliseconds until CMD succeeds, tried
# at most N times 50 ms apart (both scaled by TIME_SCALE), or fail
waitfor() {
	_t=$(($1 * TIME_SCALE))
	shift
	while [ "$_t" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		_t=$((_t - 1))
	done
	return 1
}
ms_until() {
	_t0=$(date +%s%N) _n=$(($1 * TIME_SCALE))
	shift
	while ! "$@"; do
		_n=$((_n - 1))
		[ $_n -gt 0 ] || return 1
		sleep 0.05
	done
	echo $((($(date +%s%N) - _t0) / 1000000))
}
# following PID: detengo has started and follows its log (its inotify
# descriptor is open), so its start's table reads are done
following() {
	_i=0
	while ! ls -l /proc/$1/fd 2>/dev/null | grep -q 'anon_inode:inotify' &&
	    [ $_i -lt $((100 * TIME_SCALE)) ]; do
		sleep 0.05
		_i=$((_i + 1))
	done
}
# xt_modules: load the legacy tables' modules, as the detengo package does
# at boot (/usr/lib/modules-load.d/detengo.conf): libiptc cannot, and a
# freshly booted kernel (tests/vm/) has them not.  Where modprobe cannot
# (a container), the kernel keeps what it has.
xt_modules() { modprobe -q -a ip_tables ip6_tables 2>/dev/null; :; }
# runcopy DIR PROGRAM: the path of a copy of PROGRAM made in DIR (mode
# 0755), for tests that run it as another user: the checkout may lie in
# a directory only root can enter (root's home, mktemp -d).  DIR's parent
# must be one the user can reach; the caller removes it.
runcopy() {
	mkdir -p "$1" && chmod 755 "$1" && cp "$2" "$1/" &&
	    chmod 755 "$1/${2##*/}" && echo "$1/${2##*/}"
}
# AWK_SECS: an awk function, secs(TIME), the seconds of an event line's
# UTC time (2026-03-03T16:45:44.880222Z) from a fixed day, so that the
# time between two lines is right across midnight and month ends
AWK_SECS='function secs(s,   a, d, t, y, m, n) {
	split(s, a, "T"); split(a[1], d, "-"); split(a[2], t, ":")
	sub(/Z$/, "", t[3]); y = d[1] + 0; m = d[2] + 0
	if (m <= 2) { y--; m += 12 }
	n = 365 * y + int(y / 4) - int(y / 100) + int(y / 400)
	n += int((153 * (m - 3) + 2) / 5) + d[3]
	return n * 86400 + t[1] * 3600 + t[2] * 60 + t[3]
}'
# sigat_took FILE: the seconds the wait after the signal of tests/sigat.c
# (the poll() shim that sends SIGTERM) lasted, or "none"
sigat_took() {
	_t=$(cat "$1" 2>/dev/null)
	echo "${_t:-none}"
}
# stop_now PID: SIGSTOP, then wait until the kernel has stopped it (state
# T): kill(1) returns before a process that runs on another CPU stops,
# and a reload "while it is stopped" could otherwise meet it half way
stop_now() {
	kill -STOP "$1" || return 1
	waitfor 50 sh -c "[ \"\$(sed 's/.*) \(.\).*/\1/' /proc/$1/stat 2>/dev/null)\" = T ]"
}
