#!/bin/sh
# The guest side of tests/vm/vm.sh, copied to /cdvm/guest.sh by the
# initramfs.  shell: run as PID 1, mount what a system has, run
# /cdvm/cmd and power off.  prepare NEWROOT: in the initramfs, before
# systemd starts, add the unit that runs /cdvm/cmd once the system is up
# and then powers off, and mask what a test has no use for.
# The command's output goes to the second serial port, /dev/ttyS1, and
# its status last, as "vm-rc=N".

run() {
	echo vm-started >/dev/ttyS1
	sh /cdvm/cmd >/dev/ttyS1 2>&1 </dev/null
	echo "vm-rc=$?" >/dev/ttyS1
}

case $1 in
shell)
	export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
	export HOME=/root LANG=C.UTF-8
	mount -t tmpfs -o mode=0755 run /run
	mkdir -p /dev/pts /dev/shm
	mount -t devpts devpts /dev/pts
	mount -t tmpfs -o mode=1777 shm /dev/shm
	mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
	# /tmp on a tmpfs, as a file system of its own, not this machine's
	# over 9p under an overlay (whose locks /proc/locks names by other
	# numbers than stat does); a checkout made there with mktemp -d is
	# bound back at its place
	top=$(sed -n "s/^cd '\(.*\)' .*/\1/p" /cdvm/cmd)
	mkdir -p /run/cdvm/hosttmp
	mount --bind /tmp /run/cdvm/hosttmp
	mount -t tmpfs -o mode=1777 tmp /tmp
	case $top in
	/tmp/*)	mkdir -p "$top"
		mount --bind "/run/cdvm/hosttmp${top#/tmp}" "$top" ;;
	esac
	hostname cdvm
	ip link set lo up
	run
	sync
	echo o >/proc/sysrq-trigger
	sleep 30
	;;
prepare)
	r=$2
	u=$r/etc/systemd/system
	mkdir -p "$u/multi-user.target.wants"
	cat >"$u/cdvm.service" <<'UNIT'
[Unit]
Description=the test command of tests/vm/vm.sh
After=multi-user.target
[Service]
Type=oneshot
Environment=PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8
ExecStart=/bin/sh /cdvm/guest.sh unit
ExecStopPost=/bin/systemctl poweroff --no-block
TimeoutStartSec=infinity
UNIT
	ln -sf ../cdvm.service "$u/multi-user.target.wants/cdvm.service"
	# /tmp as it is: Debian's tmp.conf empties it at boot (D), which here
	# would walk this machine's /tmp over 9p and hide a checkout made
	# there with mktemp -d
	mkdir -p "$r/etc/tmpfiles.d"
	echo "d /tmp 1777 root root -" >"$r/etc/tmpfiles.d/tmp.conf"
	# nothing a test needs, and slow without KVM; and the services this
	# machine's image enables (a database server, say), which a gateway
	# has not: the test starts what it needs itself
	for m in tmp.mount getty@tty1.service serial-getty@ttyS0.service \
	    apt-daily.timer apt-daily-upgrade.timer man-db.timer \
	    dpkg-db-backup.timer e2scrub_all.timer e2scrub_reap.service \
	    fstrim.timer logrotate.timer systemd-timesyncd.service \
	    systemd-networkd-wait-online.service \
	    $(cd "$u/multi-user.target.wants" 2>/dev/null &&
	    ls -d -- *.service 2>/dev/null | grep -v '^nftables\.service$\|^cdvm\.service$'); do
		ln -sf /dev/null "$u/$m"
	done
	;;
unit)
	run
	;;
esac
