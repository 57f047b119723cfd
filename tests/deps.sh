#!/bin/sh
# Install what the build and the tests need and is missing (Debian 12).
# As root: apt-get install exactly those packages.  Otherwise: print the
# line to run and fail.  Usage: deps.sh [check|demo|bench|deb|vm]
mode=${1:-check}
missing=""

need() {	# need PACKAGE TEST...
	pkg=$1
	shift
	"$@" >/dev/null 2>&1 && return 0
	case " $missing " in *" $pkg "*) ;; *) missing="$missing $pkg" ;; esac
}
have() { command -v "$1"; }
header() { printf '#include <%s>\n' "$1" | ${CC:-cc} -E -x c - -o /dev/null; }

need gcc have cc
need make have make
need pkg-config have pkg-config
need libpcap-dev header pcap/pcap.h
need libiptc-dev header libiptc/libiptc.h
need libiptc-dev header libiptc/libip6tc.h
need libinotifytools0-dev header inotifytools/inotifytools.h
need libnftnl-dev header libnftnl/set.h
need libmnl-dev header libmnl/libmnl.h
need libipset-dev header libipset/session.h
need iptables have iptables-legacy
need nftables have nft
need ipset have ipset
need iproute2 have ip
need swaks have swaks
need python3-aiosmtpd /usr/bin/python3 -c 'import aiosmtpd'
need util-linux have flock
need util-linux have setpriv
need util-linux have unshare
need python3 test -x /usr/bin/python3
# the Debian packages (make deb): debian/control's Build-Depends and the
# tools that build them
debdeps() {
	need dpkg-dev have dpkg-buildpackage
	need debhelper have dh_installsystemd
	need fakeroot have fakeroot
}
# tests/vm/: Debian 12's own kernels in qemu, the packages under systemd
vmdeps() {
	need qemu-system-x86 have qemu-system-x86_64
	# a static one: the initramfs has no C library
	need busybox-static sh -c 'test -x /bin/busybox && ! ldd /bin/busybox'
	need cpio have cpio
	need kmod have depmod
	need xz-utils have xz
	need systemd test -x /lib/systemd/systemd
}
case $mode in
deb)
	debdeps
	;;
vm)
	debdeps
	vmdeps
	;;
check)
	vmdeps
	# tests/deb.sh: the packages, lintian, systemd-analyze verify, and
	# adduser for their postinst in the throwaway root
	debdeps
	need lintian have lintian
	need systemd have systemd-analyze
	need adduser have adduser
	need mandoc have mandoc
	need logrotate have logrotate
	need tcpdump have tcpdump
	# tests/hostile.sh checks the crafted captures' checksums with it
	need tshark have tshark
	need libcap2-bin have capsh
	need valgrind have valgrind
	need tcpreplay have tcpreplay
	# tests/offload.sh reads and sets the veths' offloads with it
	need ethtool have ethtool
	# tests/rsyslog.sh: two rsyslogd of its own, and RELP between them
	need rsyslog have rsyslogd
	need rsyslog-relp sh -c 'ls /usr/lib/*/rsyslog/omrelp.so'
	# tests/notify.sh: a private Postfix instance for notify-mail (and
	# curl, below, for notify-webhook).  Another mail system that
	# provides sendmail is left in place, since postfix would replace
	# it: the test's mail part then skips
	[ -x /usr/sbin/sendmail ] && [ ! -x /usr/sbin/postfix ] ||
	    need postfix test -x /usr/sbin/postfix
	need clang have clang
	need libclang-rt-14-dev test -e /usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a
	# tests/metrics.sh: node_exporter serves the -M files, curl scrapes it
	need prometheus-node-exporter test -x /usr/bin/prometheus-node-exporter
	need curl have curl
	# tests/shared_lab.sh: the lab's DNS (dnsmasq-base, the program
	# without a service), the hosts' lookups, the providers'
	# certificate; its MX servers are the postfix above
	need dnsmasq-base have dnsmasq
	need bind9-dnsutils have dig
	need openssl have openssl
	;;
bench)
	need tcpdump have tcpdump
	need tshark have tshark
	need tcpreplay have tcpreplay
	need ethtool have ethtool
	need postfix have smtp-source
	need gawk have gawk
	need fail2ban have fail2ban-client
	need sshguard have sshguard
	need python3-pyinotify /usr/bin/python3 -c "import pyinotify"
	;;
esac

[ -z "$missing" ] && exit 0
if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
	echo "missing packages; as root run:" >&2
	echo "  apt-get install$missing" >&2
	exit 1
fi
echo "deps: installing$missing"
# packages that ship a service (sshguard, fail2ban) must not start it:
# it would touch this machine's own firewall
rcd=/usr/sbin/policy-rc.d
if [ ! -e $rcd ]; then
	printf '#!/bin/sh\nexit 101\n' >$rcd && chmod 755 $rcd
	trap 'rm -f $rcd' EXIT
fi
# postfix asks questions on install.  "No configuration": no main.cf, so
# no mail system starts on this machine, now (policy-rc.d) or at boot
# (postfix.service needs /etc/postfix/main.cf); the tests only lend its
# programs (bench) or run an instance of their own (tests/notify.sh)
echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections 2>/dev/null
# wireshark-common (tshark's) asks whether to install dumpcap setuid: no
echo "wireshark-common wireshark-common/install-setuid boolean false" |
    debconf-set-selections 2>/dev/null
export DEBIAN_FRONTEND=noninteractive
# shellcheck disable=SC2086
apt-get install -y -q --no-install-recommends $missing >/dev/null ||
    { apt-get update -q >/dev/null &&
    apt-get install -y -q --no-install-recommends $missing >/dev/null; } || {
	echo "deps: apt-get install$missing failed" >&2
	exit 1
}
# and none of the services installed for the tests starts at the next
# boot either: a node_exporter on :9100, a DNS server, a firewall banner
# belong to the tests' namespaces only
if [ -d /run/systemd/system ] || command -v systemctl >/dev/null 2>&1; then
	for p in $missing; do
		case $p in
		prometheus-node-exporter | dnsmasq | fail2ban | sshguard)
			systemctl disable --quiet "$p" >/dev/null 2>&1 ;;
		esac
	done
fi
