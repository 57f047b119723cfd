#!/bin/sh
# Run a command of this checkout on one of Debian 12's own kernels, in a
# qemu VM, and pass its TAP lines and exit status back.
#
# usage: sh tests/vm/vm.sh [-s] [-t SECONDS] KERNEL COMMAND [ARG ...]
#   KERNEL   6.1 (Debian 12) or 6.12 (Debian 12 backports): the newest
#            linux-image-VERSION-amd64-unsigned the package lists have
#   -s       boot systemd as PID 1 and run COMMAND as a oneshot unit once
#            the system is up; without -s COMMAND is the first process
#   -t       the whole run's limit, 1800 s by default
#
# The kernel package is fetched with apt-get download and unpacked into
# build/vm/, never installed.  The guest mounts this machine's / over 9p
# read-only under a tmpfs overlay: every package installed here and the
# checkout are there, and nothing the guest writes reaches this machine.
# COMMAND runs in the checkout's top directory; its standard output and
# error come back on the guest's second serial port.  A stage that fails
# (fetch, unpack, initramfs, boot, a guest that hangs) is one "not ok"
# naming the kernel and the stage; no qemu is left running.
# Needs qemu-system-x86, busybox-static, cpio and kmod (tests/deps.sh vm).

set -u
systemd=0 limit=1800
while getopts st: o; do
	case $o in
	s) systemd=1 ;;
	t) limit=$OPTARG ;;
	*) echo "usage: vm.sh [-s] [-t seconds] 6.1|6.12 command ..." >&2
	   exit 2 ;;
	esac
done
shift $((OPTIND - 1))
[ $# -ge 2 ] || { echo "usage: vm.sh [-s] [-t seconds] 6.1|6.12 command ..." >&2; exit 2; }
series=$1
shift
what=$*
top=$(cd "$(dirname "$0")/../.." && pwd) || exit 1
tag="vm $series"
[ $systemd -eq 1 ] && tag="vm $series systemd"

fail() {	# fail STAGE WHY: one not ok, exit 1
	echo "not ok - $tag: $1: $2"
	exit 1
}

for c in qemu-system-x86_64 apt-get dpkg-deb cpio depmod modprobe xz; do
	command -v "$c" >/dev/null 2>&1 ||
	    fail setup "$c missing (sh tests/deps.sh vm installs it)"
done
[ -x /bin/busybox ] && ! ldd /bin/busybox >/dev/null 2>&1 ||
    fail setup "a static /bin/busybox missing (busybox-static)"

cache=${VM_CACHE:-$top/build/vm}
mkdir -p "$cache" || fail setup "cannot make $cache"

# --- the kernel: the newest package of the series, unpacked once ---
case $series in
6.1) pat='^linux-image-6\.1\.0-[0-9]+-amd64-unsigned$' ;;
6.12) pat='^linux-image-6\.12\.[0-9]+\+deb12-amd64-unsigned$' ;;
*) fail setup "no such kernel series: $series (6.1 or 6.12)" ;;
esac
pkg=$(apt-cache search --names-only "$pat" 2>/dev/null | awk '{ print $1 }' |
    grep -E "$pat" | sort -V | tail -n 1)
if [ -z "$pkg" ]; then
	apt-get update -qq >/dev/null 2>&1
	pkg=$(apt-cache search --names-only "$pat" 2>/dev/null |
	    awk '{ print $1 }' | grep -E "$pat" | sort -V | tail -n 1)
fi
[ -n "$pkg" ] || fail fetch "no package matches $pat in the package lists"
kver=${pkg#linux-image-}
kver=${kver%-unsigned}
kdir=$cache/$kver
if [ ! -f "$kdir/.unpacked" ]; then
	rm -rf "$kdir" "$cache/dl"
	mkdir -p "$cache/dl" "$kdir" || fail fetch "cannot make $cache/dl"
	(cd "$cache/dl" && apt-get download -q "$pkg") >"$cache/dl.log" 2>&1 ||
	    fail fetch "apt-get download $pkg: $(tail -n 1 "$cache/dl.log")"
	dpkg-deb -x "$cache"/dl/*.deb "$kdir" 2>"$cache/dl.log" ||
	    fail unpack "dpkg-deb -x $pkg: $(tail -n 1 "$cache/dl.log")"
	rm -rf "$cache/dl"
	depmod -b "$kdir" "$kver" || fail unpack "depmod $kver"
	touch "$kdir/.unpacked"
fi
vmlinuz=$kdir/boot/vmlinuz-$kver
[ -f "$vmlinuz" ] || fail unpack "no $vmlinuz"

# --- the initramfs: busybox, the modules to reach the root, /init ---
initrd=$kdir/initrd.gz
if [ ! -f "$initrd" ] || [ "$top/tests/vm/init" -nt "$initrd" ] ||
    [ "$0" -nt "$initrd" ]; then
	ird=$(mktemp -d "$cache/initrd.XXXXXX") || fail initramfs "mktemp"
	mkdir -p "$ird/bin" "$ird/mod" "$ird/proc" "$ird/sys" "$ird/dev" &&
	    cp /bin/busybox "$ird/bin/busybox" &&
	    cp "$top/tests/vm/init" "$ird/init" && chmod 755 "$ird/init" ||
	    fail initramfs "cannot fill $ird"
	# in the order modprobe would load them; the built-in ones are absent
	i=0
	for m in $(modprobe -d "$kdir" -S "$kver" --show-depends -a 9p \
	    9pnet_virtio virtio_pci overlay 2>/dev/null |
	    awk '$1 == "insmod" { print $2 }' | awk '!seen[$0]++'); do
		i=$((i + 1))
		n=$(printf '%02d-%s' $i "$(basename "$m" | sed 's/\.ko.*//')")
		case $m in
		*.ko.xz) xz -dc "$m" >"$ird/mod/$n.ko" ;;
		*.ko) cp "$m" "$ird/mod/$n.ko" ;;
		*) false ;;
		esac || fail initramfs "cannot copy $m"
	done
	[ $i -gt 0 ] || fail initramfs "modprobe found no module for 9p in $kdir"
	(cd "$ird" && find . | cpio -o -H newc 2>/dev/null | gzip -1) \
	    >"$initrd.tmp" && mv "$initrd.tmp" "$initrd" ||
	    fail initramfs "cpio"
	rm -rf "$ird"
fi

# --- the run ---
# KVM where the processor offers it (a /dev/kvm without vmx or svm hangs
# the guest), TCG elsewhere; VM_ACCEL=tcg|kvm chooses.  -smp 2: TCG runs
# one thread per CPU
accel=tcg
[ -w /dev/kvm ] && grep -qw -e vmx -e svm /proc/cpuinfo && accel=kvm
accel=${VM_ACCEL:-$accel}
run=$(mktemp -d "$cache/run.XXXXXX") || fail setup "mktemp"
qpid=""
cleanup() {
	[ -n "$qpid" ] && kill "$qpid" 2>/dev/null && wait "$qpid" 2>/dev/null
	[ -n "${VM_KEEP:-}" ] && echo "# vm: kept $run" >&2 || rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP
{
	echo "cd '$top' || exit 1"
	# the tests' time limits, as tests/check.sh reads them: a guest in
	# TCG runs 5 to 20 times slower than this machine
	[ "$accel" = tcg ] && echo "export TIME_SCALE=\${TIME_SCALE:-10}"
	printf 'exec'
	for a in "$@"; do
		printf " '%s'" "$(printf '%s' "$a" | sed "s/'/'\\\\''/g")"
	done
	echo
} >"$run/cmd"
: >"$run/out"
mode=shell
[ $systemd -eq 1 ] && mode=systemd
append="console=ttyS0 panic=-1 loglevel=${VM_LOGLEVEL:-3} cdvm.mode=$mode"
[ $systemd -eq 1 ] && append="$append systemd.unit=multi-user.target systemd.show_status=false"
append="$append cdvm.guest=$top/tests/vm/guest.sh cdvm.cmd=$run/cmd"
qemu-system-x86_64 -machine q35,accel=$accel -m 2048 -smp 2 \
    -display none -monitor none -no-reboot \
    -serial "file:$run/console" -serial "file:$run/out" \
    -kernel "$vmlinuz" -initrd "$initrd" -append "$append" \
    -fsdev local,id=r,path=/,security_model=none,readonly=on,multidevs=remap \
    -device virtio-9p-pci,fsdev=r,mount_tag=hostroot \
    -fsdev "local,id=m,path=$kdir/lib/modules,security_model=none,readonly=on" \
    -device virtio-9p-pci,fsdev=m,mount_tag=mods \
    -nic none >"$run/qemu.err" 2>&1 &
qpid=$!
t0=$(date +%s)
shown=0
# show FIRST LAST: the guest's lines, without the serial port's CRs and
# the runner's own markers
show() {
	sed -n "$1,$2p" "$run/out" | sed 's/\r$//' |
	    grep -v '^vm-rc=\|^vm-started$' | tee -a "$run/tap"
}
# result STATUS: one line of $cache/results.tsv, for tests/vm/table.sh:
# kernel, mode, the command, checks passed and failed, the exit status
result() {
	_p=$(grep -c '^ok' "$run/tap" 2>/dev/null)
	_f=$(grep -c '^not ok' "$run/tap" 2>/dev/null)
	_sd=""
	[ $systemd -eq 1 ] && _sd="systemd $(sed -n 's/^# systemd: systemd \([0-9]*\),.*/\1/p' "$run/tap" | head -n 1)"
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
	    "$kver" "${_sd:-shell}" "$what" "${_p:-0}" "${_f:-0}" "$1" "$accel" \
	    >>"$cache/results.tsv"
}
# pass the guest's lines on as they come, until qemu ends or time is up
while :; do
	n=$(wc -l <"$run/out")
	if [ "$n" -gt "$shown" ]; then
		show $((shown + 1)) "$n"
		shown=$n
	fi
	kill -0 "$qpid" 2>/dev/null || break
	if [ $(($(date +%s) - t0)) -ge "$limit" ]; then
		kill "$qpid" 2>/dev/null
		wait "$qpid" 2>/dev/null
		qpid=""
		stage=run
		grep -q '^vm-started' "$run/out" || stage=boot
		echo "not ok - $tag: $stage: no end within $limit s (kernel $kver)"
		tail -n 20 "$run/console" | sed 's/^/#   /'
		result "timeout $stage"
		exit 1
	fi
	sleep 1
done
wait "$qpid"
qrc=$?
qpid=""
n=$(wc -l <"$run/out")
[ "$n" -gt "$shown" ] && show $((shown + 1)) "$n"
rc=$(sed -n 's/^vm-rc=\([0-9]*\).*/\1/p' "$run/out" | tail -n 1)
if [ -z "$rc" ]; then
	stage=run
	grep -q '^vm-started' "$run/out" || stage=boot
	echo "not ok - $tag: $stage: the guest ended without a status (kernel $kver, qemu exit $qrc)"
	{ cat "$run/qemu.err"; tail -n 30 "$run/console"; } | sed 's/^/#   /'
	result "no status $stage"
	exit 1
fi
echo "# $tag: kernel $kver, $(($(date +%s) - t0)) s, $accel"
result "$rc"
exit "$rc"
