#!/bin/sh
# The Debian packages: `make deb` builds them, lintian finds no error and
# no warning, and they install, run, upgrade, remove and purge cleanly in
# a throwaway root.  That root is an overlay over / whose upper layer is a
# tmpfs, in a private mount namespace with its own network namespace, and
# chroot'ed into: the machine's own files, users, packages and firewall are
# never changed, and the end checks that they were not.
cd "$(dirname "$0")/.." || exit 1
TOP=$(pwd)
CHECK_NAME=deb
. "$TOP/tests/check.sh"
V=$(sed -n 's/^VERSION=[[:space:]]*//p' Makefile)
V2=$V+t1
DEBDIR=$TOP/build/deb

# what the packages made, or left: paths in the root (the same list is
# checked on the machine itself after the test)
MADE="/usr/sbin/capturo /usr/sbin/detengo /etc/default/capturo
/etc/default/detengo /etc/detengo /etc/logrotate.d/capturo
/etc/logrotate.d/detengo /lib/systemd/system/capturo.service
/lib/systemd/system/detengo.service /var/log/capturo /var/lib/detengo
/var/log/detengo /usr/share/doc/capturo /usr/share/doc/detengo
/usr/share/man/man8/capturo.8.gz /usr/share/man/man8/detengo.8.gz
/usr/share/man/man5/capturo-events.5.gz"

# =====================================================================
# inside the namespaces (deb.sh --inside TMPDIR): the throwaway root
# =====================================================================
if [ "$1" = --inside ]; then
	T=$2
	O=$T/ovl
	A=$(dpkg --print-architecture)
	mount --make-rprivate / || { nok "mount --make-rprivate /"; exit 1; }
	mkdir -p "$O" && mount -t tmpfs -o mode=0755 deb-root "$O" &&
	    mkdir "$O/upper" "$O/work" "$O/root" &&
	    mount -t overlay overlay \
	    -o "lowerdir=/,upperdir=$O/upper,workdir=$O/work" "$O/root" || {
		nok "an overlay over / on a tmpfs"
		exit 1
	}
	M=$O/root
	# the root gets its own /dev with the few nodes it needs, never the
	# machine's /dev: nothing done in the root can remove a device node
	mount -t proc proc "$M/proc" && mount -t sysfs sysfs "$M/sys" &&
	    mount -t tmpfs -o mode=0755 dev "$M/dev" &&
	    mount -t tmpfs tmpfs "$M/run" && mount -t tmpfs tmpfs "$M/tmp" &&
	    mknod -m 0666 "$M/dev/null" c 1 3 &&
	    mknod -m 0666 "$M/dev/zero" c 1 5 &&
	    mknod -m 0666 "$M/dev/random" c 1 8 &&
	    mknod -m 0666 "$M/dev/urandom" c 1 9 &&
	    ln -s /proc/self/fd "$M/dev/fd" && mkdir "$M/dev/pts" &&
	    mount -t devpts -o newinstance,ptmxmode=0666 devpts "$M/dev/pts" &&
	    ln -s pts/ptmx "$M/dev/ptmx" || {
		nok "/proc /sys /dev /run /tmp in the root"
		exit 1
	}
	# the packages where the root sees them: its /tmp is a tmpfs of its
	# own, which hides a checkout under the machine's /tmp (mktemp -d)
	cp "$DEBDIR/capturo_${V}_$A.deb" "$DEBDIR/detengo_${V}_$A.deb" \
	    "$M/tmp/" || { nok "the packages copied into the root's /tmp"; exit 1; }
	ip link set lo up
	pids=""
	trap 'for p in $pids; do kill "$p" 2>/dev/null; done' EXIT
	R() {	# R CMD...: run in the root, with a clean environment
		chroot "$M" /usr/bin/env -i \
		    PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
		    DEBIAN_FRONTEND=noninteractive "$@"
	}
	upper() { (cd "$O/upper" && find . | sort); }
	upper >"$O/upper.before"

	# --- install, as the README says: apt install ./capturo_*.deb ... ---
	# (this network namespace has no route out: apt cannot download)
	R apt-get install -y -q "/tmp/capturo_${V}_$A.deb" \
	    "/tmp/detengo_${V}_$A.deb" </dev/null >"$O/apt.log" 2>&1
	rc=$?
	checkx "apt-get install ./capturo_${V}_$A.deb ./detengo_${V}_$A.deb (exit $rc)" \
	    '[ $rc -eq 0 ] && [ "$(R dpkg-query -W -f "\${Status} " capturo detengo)" = "install ok installed install ok installed " ]' ||
	    { sed 's/^/#   /' "$O/apt.log" | tail -n 20; exit 1; }

	# --- the files ---
	for f in $MADE; do
		case $f in /var/lib/detengo | /var/log/detengo) continue ;; esac
		[ -e "$M$f" ] && ok "installed: $f" || nok "installed: $f missing"
	done
	checkx "capturo --version in the root: capturo $V" \
	    '[ "$(R /usr/sbin/capturo --version)" = "capturo $V" ]'
	checkx "detengo --version in the root: detengo $V" \
	    '[ "$(R /usr/sbin/detengo --version)" = "detengo $V" ]'
	cf=$(R dpkg-query -W -f '${Conffiles}\n' capturo detengo |
	    awk 'NF { print $1 }' | sort | tr '\n' ' ')
	checkx "conffiles: $cf" '[ "$cf" = "/etc/default/capturo /etc/default/detengo /etc/detengo/allow.txt /etc/logrotate.d/capturo /etc/logrotate.d/detengo " ]'
	checkx "the allow list ships with no live entry (only comments)" \
	    '! grep -q "^[^#[:space:]]" "$M/etc/detengo/allow.txt"'

	# --- the user and the log directory ---
	pw=$(R getent passwd capturo)
	uid=$(echo "$pw" | cut -d: -f3)
	checkx "the capturo user: system uid, no login, no home ($pw)" \
	    '[ -n "$uid" ] && [ "$uid" -lt 1000 ] &&
	    [ "$(echo "$pw" | cut -d: -f6-)" = "/nonexistent:/usr/sbin/nologin" ] &&
	    [ ! -e "$M/nonexistent" ]'
	st=$(R stat -c '%U:%G %a' /var/log/capturo)
	check "/var/log/capturo: capturo:adm 2750 ($st)" [ "$st" = "capturo:adm 2750" ]

	# --- the units: valid, installed, not enabled ---
	# (the pages of Documentation= are looked up with man -w below: man
	# itself would leave formatted pages in man-db's cache)
	out=$(R systemd-analyze verify --man=no \
	    /lib/systemd/system/capturo.service \
	    /lib/systemd/system/detengo.service 2>&1)
	rc=$?
	checkx "systemd-analyze verify capturo.service detengo.service (exit $rc)" \
	    '[ $rc -eq 0 ] && [ -z "$out" ]' || echo "$out" | sed 's/^/#   /'
	docs=$(sed -n 's/^Documentation=//p' "$M/lib/systemd/system/capturo.service" \
	    "$M/lib/systemd/system/detengo.service" | tr ' ' '\n' | sort -u)
	for d in $docs; do
		p=${d#man:}
		checkx "Documentation=$d: the page is installed" \
		    'R man -w "${p%(*}.$(echo "$p" | tr -dc 0-9)" >/dev/null'
	done
	for u in capturo detengo; do
		st=$(R systemctl is-enabled $u.service 2>&1)
		check "$u.service is installed, not enabled ($st)" [ "$st" = disabled ]
		check "$u.service reads /etc/default/$u" \
		    grep -q "^EnvironmentFile=-/etc/default/$u\$" "$M/lib/systemd/system/$u.service"
		check "$u.service runs /usr/sbin/$u" \
		    grep -q "^ExecStart=/usr/sbin/$u " "$M/lib/systemd/system/$u.service"
	done

	# --- run what the units run, with the administrator's settings ---
	# the unit's command lines: continuation lines joined, the prefixes
	# (+ -) dropped, ${VAR} one word, $VAR split, as systemd does
	unitcmd() {	# unitcmd UNIT KEY
		awk -v k="$2" '
		    /\\$/ { sub(/\\$/, ""); l = l $0; next }
		    { l = l $0; if (index(l, k "=") == 1) {
			l = substr(l, length(k) + 2); sub(/^[-+]+/, "", l)
			gsub(/\$\{[A-Z_]+\}/, "\"&\"", l); print l }
		      l = "" }' "$M/lib/systemd/system/$1.service"
	}
	unitenv() {	# unitenv UNIT: the unit's UMask= and /etc/default file
		echo "umask $(sed -n 's/^UMask=//p' "$M/lib/systemd/system/$1.service")"
		echo "set -a; . /etc/default/$1; set +a"
	}
	runas() {	# runas UNIT CMD: the command as the unit runs it
		R sh -c "$(unitenv "$1"); $2"
	}
	# runbg UNIT CMD: the same in the background, $! its PID (chroot,
	# env and sh each exec the next)
	runbg() {
		chroot "$M" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
		    LC_ALL=C sh -c "$(unitenv "$1"); exec $2" &
	}
	sed -i 's/^CAPTURO_INTERFACE=.*/CAPTURO_INTERFACE="lo"/' "$M/etc/default/capturo"
	echo "192.0.2.25		# added by the administrator" >>"$M/etc/detengo/allow.txt"
	unitcmd capturo ExecStartPre >"$O/pre"
	while read -r c; do runas capturo "$c"; done <"$O/pre"
	runbg capturo "$(unitcmd capturo ExecStart)" 2>"$O/capturo.err"
	cpid=$! pids="$pids $cpid"
	i=0
	while [ $i -lt 50 ] && ! awk -v u="$uid" '$1 == "Uid:" && $2 == u { f = 1 } END { exit !f }' \
	    "/proc/$cpid/status" 2>/dev/null; do
		sleep 0.1
		i=$((i + 1))
	done
	checkx "capturo as capturo.service runs it: capture on lo, then the capturo user" \
	    'awk -v u="$uid" "\$1 == \"Uid:\" && \$2 == u && \$3 == u { f = 1 } END { exit !f }" "/proc/$cpid/status"'
	st=$(R stat -c '%U:%G %a' /var/log/capturo/events.log 2>&1)
	check "its log: /var/log/capturo/events.log, capturo:adm 0640 ($st)" \
	    [ "$st" = "capturo:adm 640" ]
	kill -TERM "$cpid"
	wait "$cpid"
	rc=$?
	check "capturo stops on SIGTERM, exit 0 (exit $rc)" [ $rc -eq 0 ] ||
	    sed 's/^/#   /' "$O/capturo.err"

	# detengo as detengo.service runs it; systemd would make these two
	mkdir -p -m 0700 "$M/var/lib/detengo"
	mkdir -p -m 0755 "$M/var/log/detengo"
	unitcmd detengo ExecStartPre >"$O/pre"
	while read -r c; do runas detengo "$c"; done <"$O/pre"
	runbg detengo "$(unitcmd detengo ExecStart)" >"$O/detengo.out" 2>&1
	dpid=$! pids="$pids $dpid"
	rules() { R iptables-legacy -w -S FORWARD 2>/dev/null | grep -c -- "-s $1/32 .*-j DROP"; }
	ev() {	# ev HOST: a mail event from HOST
		printf '2026-03-03T16:45:44.880222Z mail sid=0000abcd src=%s:40000 dst=203.0.113.25:25 from=w@example.org\n' "$1"
	}
	sleep 1
	ev 192.0.2.25 >>"$M/var/log/capturo/events.log"
	ev 198.51.100.10 >>"$M/var/log/capturo/events.log"
	i=0
	while [ $i -lt 50 ] && [ "$(rules 198.51.100.10)" -eq 0 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	check "detengo as detengo.service runs it: a mail line blocks 198.51.100.10" \
	    [ "$(rules 198.51.100.10)" -eq 1 ] || sed 's/^/#   /' "$O/detengo.out"
	check "the host added to allow.txt is not blocked" \
	    [ "$(rules 192.0.2.25)" -eq 0 ]
	kill -TERM "$dpid"
	wait "$dpid"
	rc=$?
	check "detengo stops on SIGTERM, exit 0, its rule stays (exit $rc)" \
	    [ $rc -eq 0 ] && [ "$(rules 198.51.100.10)" -eq 1 ]
	pids=""

	# --- an upgrade keeps the edited conffiles and the rules ---
	for p in capturo detengo; do
		rm -rf "$O/x" && dpkg-deb -R "$DEBDIR/${p}_${V}_$A.deb" "$O/x" &&
		    sed -i "s/^Version: .*/Version: $V2/" "$O/x/DEBIAN/control" &&
		    dpkg-deb -b "$O/x" "$M/tmp/${p}_${V2}_$A.deb" >/dev/null
	done
	R dpkg -i "/tmp/capturo_${V2}_$A.deb" "/tmp/detengo_${V2}_$A.deb" \
	    </dev/null >"$O/up.log" 2>&1
	rc=$?
	checkx "upgrade to $V2 (exit $rc)" \
	    '[ $rc -eq 0 ] && [ "$(R dpkg-query -W -f "\${Version} " capturo detengo)" = "$V2 $V2 " ]' ||
	    sed 's/^/#   /' "$O/up.log"
	check "upgrade: /etc/default/capturo keeps CAPTURO_INTERFACE=\"lo\"" \
	    grep -q '^CAPTURO_INTERFACE="lo"$' "$M/etc/default/capturo"
	check "upgrade: /etc/detengo/allow.txt keeps the added host" \
	    grep -q '^192\.0\.2\.25' "$M/etc/detengo/allow.txt"
	check "upgrade: no conffile question, no .dpkg-new or .dpkg-dist" \
	    sh -c "! ls '$M'/etc/default/*.dpkg-* '$M'/etc/detengo/*.dpkg-* 2>/dev/null | grep -q ."
	check "upgrade: the same capturo user ($(R id -u capturo))" \
	    [ "$(R id -u capturo)" = "$uid" ]
	check "upgrade: the rules stay (no flush on upgrade)" \
	    [ "$(rules 198.51.100.10)" -eq 1 ]
	checkx "upgrade: the log stays" '[ -s "$M/var/log/capturo/events.log" ]'
	rm -f "$M/tmp/capturo_${V2}_$A.deb" "$M/tmp/detengo_${V2}_$A.deb"

	# --- remove: detengo takes its rules out; conffiles stay ---
	R dpkg -r detengo </dev/null >"$O/rm.log" 2>&1
	rc=$?
	checkx "dpkg -r detengo (exit $rc): \"$(grep 'removed the rules' "$O/rm.log")\"" \
	    '[ $rc -eq 0 ] && grep -q "^removed the rules of 1 host$" "$O/rm.log"' ||
	    sed 's/^/#   /' "$O/rm.log"
	check "remove: detengo's rules are gone" [ "$(rules 198.51.100.10)" -eq 0 ]
	check "remove: the conffiles stay until purge" \
	    [ -f "$M/etc/default/detengo" ] && [ -f "$M/etc/detengo/allow.txt" ]

	# --- purge: nothing is left ---
	R apt-get purge -y -q capturo detengo </dev/null >"$O/purge.log" 2>&1
	rc=$?
	check "apt-get purge capturo detengo (exit $rc)" [ $rc -eq 0 ] ||
	    sed 's/^/#   /' "$O/purge.log"
	checkx "purge: dpkg knows neither package" \
	    '! R dpkg-query -W -f "\${Status}\n" capturo detengo 2>/dev/null | grep -q installed'
	checkx "purge: no capturo user or group" \
	    '! R getent passwd capturo >/dev/null && ! R getent group capturo >/dev/null'
	for f in passwd group shadow gshadow; do
		check "purge: /etc/$f as before the install" cmp -s "$M/etc/$f" "/etc/$f"
	done
	left=""
	for f in $MADE; do
		[ -e "$M$f" ] && left="$left $f"
	done
	check "purge: none of the package's paths left${left:+:$left}" [ -z "$left" ]
	upper | comm -13 "$O/upper.before" - >"$O/upper.new"
	new=$(grep -i 'capturo\|detengo' "$O/upper.new" | tr '\n' ' ')
	check "purge: no file named capturo or detengo made in the root${new:+: $new}" \
	    [ -z "$new" ]

	# --- a capturo user made by hand before is the administrator's ---
	R useradd --system --no-create-home --shell /usr/sbin/nologin capturo &&
	    R dpkg -i "/tmp/capturo_${V}_$A.deb" </dev/null >"$O/own.log" 2>&1 &&
	    R dpkg --purge capturo </dev/null >>"$O/own.log" 2>&1
	rc=$?
	checkx "a capturo user made by hand: used, and kept on purge (exit $rc)" \
	    '[ $rc -eq 0 ] && R getent passwd capturo >/dev/null' ||
	    sed 's/^/#   /' "$O/own.log"
	exit $fail
fi

# =====================================================================
# on the machine: build, lintian, then the root in its namespaces
# =====================================================================
if [ "$(id -u)" -ne 0 ]; then
	skip "needs root: a mount and a network namespace for the throwaway root"
	exit 0
fi
for t in dpkg-buildpackage dh lintian systemd-analyze unshare chroot; do
	command -v $t >/dev/null ||
	    { nok "$t missing (make deps installs it)"; exit 1; }
done
T=$(mktemp -d /tmp/deb-$$.XXXXXX) || exit 1
# the root's mounts live only in its mount namespace, gone when it ends:
# here $T holds no mount point, and --one-file-system makes sure
trap 'rm -rf --one-file-system "$T"' EXIT

# what the machine has before, to compare after
host() {
	for f in $MADE; do [ -e "$f" ] && echo "$f"; done
	getent passwd capturo
	getent group capturo
	dpkg-query -W -f '${Package} ${Status}\n' capturo detengo 2>/dev/null
}
host >"$T/host.before"

check "debian/changelog's version is the Makefile's ($V)" \
    [ "$(dpkg-parsechangelog -S Version)" = "$V" ]
make -s deb >"$T/build.log" 2>&1
rc=$?
A=$(dpkg --print-architecture)
checkx "make deb (exit $rc): build/deb/capturo_${V}_$A.deb build/deb/detengo_${V}_$A.deb" \
    '[ $rc -eq 0 ] && [ -f "$DEBDIR/capturo_${V}_$A.deb" ] && [ -f "$DEBDIR/detengo_${V}_$A.deb" ]' ||
    { sed 's/^/#   /' "$T/build.log" | tail -n 30; exit 1; }
checkx "the build warns of nothing (dpkg-shlibdeps, dh_missing)" \
    '! grep -i "warning" "$T/build.log" | grep -v "running with root privileges"' ||
    grep -i warning "$T/build.log" | sed 's/^/#   /'

lintian --fail-on error,warning "$DEBDIR/capturo_${V}_$A.deb" \
    "$DEBDIR/detengo_${V}_$A.deb" >"$T/lintian.log" 2>&1
rc=$?
grep -v '^running with root privileges' "$T/lintian.log" | sed 's/^/# lintian: /'
checkx "lintian: no error, no warning (exit $rc)" \
    '[ $rc -eq 0 ] && ! grep -q "^[EW]: " "$T/lintian.log"'

if ! grep -qw overlay /proc/filesystems && ! modprobe overlay 2>/dev/null; then
	skip "the throwaway root: this kernel has no overlayfs"
	exit $fail
fi
unshare --mount --net sh "$TOP/tests/deb.sh" --inside "$T" || fail=1

host >"$T/host.after"
checkx "the machine is as before: no capturo user, no /var/log/capturo, no /etc/default/capturo, dpkg knows neither package" \
    'cmp -s "$T/host.before" "$T/host.after"' ||
    diff "$T/host.before" "$T/host.after" | sed 's/^/#   /'
[ -s "$T/host.before" ] && note "before the test the machine already had: $(tr '\n' ' ' <"$T/host.before")"
exit $fail
