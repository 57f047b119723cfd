#!/bin/sh
# The Debian packages under a real systemd, on a freshly booted Debian 12
# kernel: run by tests/vm/vm.sh -s as a oneshot unit, once the system is
# up.  The VM is the gateway: a LAN namespace (the PCs, 192.0.2.0/24 and
# 2001:db8:1::/64) and a server namespace (a real SMTP server,
# 198.51.100.25) hang off its root namespace, which forwards between
# them.  The packages from `make deb` are installed with dpkg and set up
# as the README's quick start says; then a worm PC's MAIL FROM is blocked
# under the packaged units with -b iptc, -b nft and -b ipset, through a
# restart, a reload of the allow list, `systemctl restart nftables`, a
# log rotation, and a purge.  Everything here happens inside the VM.

cd "$(dirname "$0")/../.." || exit 1
CHECK_NAME=systemd
. tests/check.sh
set -u

A=${DEBDIR:-build/deb}
L=cdsd-lan S=cdsd-srv
T=$(mktemp -d /var/tmp/cdsd.XXXXXX) || exit 1
inl() { ip netns exec $L "$@"; }
ins() { ip netns exec $S "$@"; }
# mail FROM-ADDRESS: one message from that LAN address to the server
mail() {
	inl swaks -S -li "$1" --server 198.51.100.25 --timeout 8 \
	    --from worm@example.org --to rcpt@example.com \
	    --header "Subject: from $1" >/dev/null 2>&1
}
refused() { ! mail "$1"; }
# journal UNIT [N]: its last lines, for a failed check
journal() {
	journalctl -u "$1" -o cat --no-pager 2>&1 | tail -n "${2:-15}" |
	    sed 's/^/#   /'
}
setopts() {	# setopts "DETENGO_OPTS": edit /etc/default/detengo
	sed -i "s|^DETENGO_OPTS=.*|DETENGO_OPTS=\"$1\"|" /etc/default/detengo
}

for c in dpkg systemctl journalctl swaks iptables-legacy nft ipset \
    logrotate python3; do
	command -v $c >/dev/null 2>&1 || { nok "$c missing"; exit 1; }
done
set -- "$A"/capturo_*.deb "$A"/detengo_*.deb
[ -f "$1" ] && [ -f "$2" ] ||
    { nok "no packages in $A (make deb)"; exit 1; }
note "systemd $(systemctl --version | sed -n '1s/^systemd \([0-9]*\).*/\1/p'), kernel $(uname -r)"

# --- the gateway ---
ip netns add $L && ip netns add $S || { nok "cannot make the namespaces"; exit 1; }
for n in $L $S; do
	ip netns exec $n sysctl -qw net.ipv6.conf.default.accept_dad=0 \
	    net.ipv6.conf.all.accept_dad=0
	ip -n $n link set lo up
done
sysctl -qw net.ipv6.conf.default.accept_dad=0 net.ipv4.ip_forward=1 \
    net.ipv6.conf.all.forwarding=1
ip link add lan0 type veth peer name eth0 netns $L
ip link add wan0 type veth peer name eth0 netns $S
ip addr add 192.0.2.1/24 dev lan0
ip addr add 2001:db8:1::1/64 dev lan0 nodad
ip addr add 198.51.100.1/24 dev wan0
ip addr add 2001:db8:2::1/64 dev wan0 nodad
ip link set lan0 up
ip link set wan0 up
for h in 10 11 12 13 14 15 20; do
	inl ip addr add 192.0.2.$h/24 dev eth0
done
inl ip addr add 2001:db8:1::10/64 dev eth0 nodad
inl ip link set eth0 up
inl ip route add default via 192.0.2.1
inl ip -6 route add default via 2001:db8:1::1
ins ip addr add 198.51.100.25/24 dev eth0
ins ip addr add 2001:db8:2::25/64 dev eth0 nodad
ins ip link set eth0 up
ins ip route add default via 198.51.100.1
ins ip -6 route add default via 2001:db8:2::1
ins python3 -m aiosmtpd -n -l 198.51.100.25:25 >"$T/smtpd.log" 2>&1 &
spid=$!
listening() { ins ss -ltn 2>/dev/null | grep -q '198.51.100.25:25 '; }
waitfor 300 listening || nok "the SMTP server does not listen"
check "the LAN reaches the server through the gateway" mail 192.0.2.20

# --- the packages, as the README's quick start says ---
# this machine's image forbids maintainer scripts to start or stop a
# service (Docker's policy-rc.d, exit 101); a gateway has none
rm -f /usr/sbin/policy-rc.d
check "a fresh boot: no ip_tables module yet" \
    sh -c '! grep -q "^ip_tables " /proc/modules'
timeout 900 dpkg -i "$A"/capturo_*.deb "$A"/detengo_*.deb >"$T/dpkg.log" 2>&1
rc=$?
check "dpkg -i capturo detengo (exit $rc)" [ $rc -eq 0 ] || sed 's/^/#   /' "$T/dpkg.log"
check "the legacy tables' modules are loaded (modules-load.d, postinst)" \
    sh -c 'grep -q "^ip_tables " /proc/modules && grep -q "^ip6_tables " /proc/modules'
check "the xtables lock exists (tmpfiles.d)" test -f /run/xtables.lock
sed -i 's|^CAPTURO_INTERFACE=.*|CAPTURO_INTERFACE="lan0"|' /etc/default/capturo
printf '# the company mail server\n192.0.2.20\n' >>/etc/detengo/allow.txt
setopts "-b iptc"
systemctl enable --now capturo detengo >"$T/enable.log" 2>&1
rc=$?
check "systemctl enable --now capturo detengo (exit $rc)" [ $rc -eq 0 ] ||
    sed 's/^/#   /' "$T/enable.log"
active() { [ "$(systemctl is-active "$1")" = active ]; }
waitfor 100 active capturo
check "capturo.service is active" active capturo || journal capturo
waitfor 100 active detengo
check "detengo.service is active" active detengo || journal detengo

# --- -b iptc ---
r4() { iptables-legacy -S FORWARD | grep -c -- "-s $1/32" ; }
blocked4() { [ "$(r4 "$1")" -eq 2 ]; }
mail 192.0.2.10
waitfor 300 blocked4 192.0.2.10
check "iptc: the worm's MAIL FROM: its LOG and DROP rules" blocked4 192.0.2.10 ||
    { journal detengo; journal capturo; tail -n 5 /var/log/capturo/events.log | sed 's/^/#   /'; }
check "iptc: the worm's next message does not get through" refused 192.0.2.10
check "iptc: the mail server on the allow list still sends" mail 192.0.2.20
check "iptc: the block line in the journal" \
    sh -c 'journalctl -u detengo -o cat | grep -q " block .*host=192.0.2.10 "'
systemctl restart detengo
waitfor 100 active detengo
sleep 2
checkx "iptc: systemctl restart detengo: no doubled rule" \
    '[ "$(r4 192.0.2.10)" -eq 2 ]'
iptables-legacy -F FORWARD
ms=$(ms_until 60 blocked4 192.0.2.10)
check "iptc: iptables -F FORWARD: the rules back within 1 s (${ms:-never} ms)" \
    within "$ms" 1000
echo 192.0.2.10 >>/etc/detengo/allow.txt
systemctl reload detengo
unblocked4() { [ "$(r4 "$1")" -eq 0 ]; }
waitfor 100 unblocked4 192.0.2.10
check "iptc: systemctl reload after an allow-list edit: the block lifted" \
    unblocked4 192.0.2.10
sed -i '/^192.0.2.10$/d' /etc/detengo/allow.txt
systemctl reload detengo

# --- -b nft, and Debian's nftables.service ---
systemctl stop detengo
/usr/sbin/detengo -b iptc --flush >/dev/null 2>&1
setopts "-b nft"
systemctl start detengo
waitfor 100 active detengo
inset() { nft list set inet detengo "$1" 2>/dev/null | grep -q "$2"; }
mail 192.0.2.11
waitfor 300 inset hosts4 192.0.2.11
check "nft: the worm's MAIL FROM: an element of hosts4" inset hosts4 192.0.2.11 ||
    journal detengo
check "nft: the worm's next message does not get through" refused 192.0.2.11
systemctl restart nftables
ms=$(ms_until 60 inset hosts4 192.0.2.11)
check "nft: systemctl restart nftables: the block back within 1 s (${ms:-never} ms)" \
    within "$ms" 1000
check "nft: nftables.service's own table is there too" \
    sh -c 'nft list tables | grep -q "table inet filter"'

# --- the log rotated by the package's logrotate file ---
logrotate -f /etc/logrotate.d/capturo >"$T/lr.log" 2>&1
rc=$?
check "logrotate -f /etc/logrotate.d/capturo (exit $rc)" [ $rc -eq 0 ] ||
    sed 's/^/#   /' "$T/lr.log"
# nocreate: capturo makes the new file at its SIGHUP, as its own
waitfor 50 test -f /var/log/capturo/events.log
check "a new events.log after the rotation, made by capturo: capturo adm 640" \
    sh -c '[ "$(stat -c "%U %G %a" /var/log/capturo/events.log)" = "capturo adm 640" ]' ||
    ls -l /var/log/capturo
mail 192.0.2.12
waitfor 300 inset hosts4 192.0.2.12
check "nft: after the rotation detengo goes on acting" inset hosts4 192.0.2.12 ||
    { journal detengo; journal capturo; }

# --- -b ipset ---
systemctl stop detengo
/usr/sbin/detengo -b nft --flush >/dev/null 2>&1
# the report lines in a file this time, as detengo.default shows
R=/var/log/detengo/report.log
setopts "-b ipset -w $R"
systemctl start detengo
waitfor 100 active detengo
member() { ipset list detengo4 2>/dev/null | grep -q "^$1 "; }
mail 192.0.2.13
waitfor 300 member 192.0.2.13
check "ipset: the worm's MAIL FROM: a member of detengo4" member 192.0.2.13 ||
    journal detengo
check "ipset: the worm's next message does not get through" refused 192.0.2.13
check "ipset: the block line in $R" grep -q " block .*host=192.0.2.13 " $R
logrotate -f /etc/logrotate.d/detengo >"$T/lr.log" 2>&1
rc=$?
check "logrotate -f /etc/logrotate.d/detengo (exit $rc)" [ $rc -eq 0 ] ||
    sed 's/^/#   /' "$T/lr.log"
mail 192.0.2.14
waitfor 300 member 192.0.2.14
checkx "ipset: after its rotation, the next block line in the new $R" \
    'grep -q " block .*host=192.0.2.14 " $R && ! grep -q "host=192.0.2.13 " $R &&
    grep -q "host=192.0.2.13 " $R.1'
systemctl restart detengo
waitfor 100 active detengo
sleep 2
checkx "ipset: systemctl restart detengo: one LOG and one DROP rule" \
    '[ "$(iptables-legacy -S FORWARD | grep -c detengo4)" -eq 2 ]'

# --- a notice at each block, and the metrics, under the packaged units ---
# Postfix delivers the notice to a mailbox on this machine; the drop-in
# the package ships lets its sendmail queue from detengo's sandbox.
# prometheus-node-exporter's own unit serves both programs' -M files.
if [ -x /usr/sbin/postfix ] && [ -x /usr/bin/prometheus-node-exporter ]; then
	useradd -m admin >/dev/null 2>&1
	[ -f /etc/postfix/master.cf ] ||
	    cp /usr/share/postfix/master.cf.dist /etc/postfix/master.cf
	cat >/etc/postfix/main.cf <<'CF'
compatibility_level = 3.6
myhostname = gw.example.org
mydestination = gw.example.org, localhost
inet_interfaces = loopback-only
inet_protocols = ipv4
alias_maps =
alias_database =
home_mailbox = Maildir/
CF
	# the guest masks the services this machine's image enables
	systemctl unmask postfix prometheus-node-exporter >/dev/null 2>&1
	systemctl daemon-reload
	systemctl start postfix >"$T/pf.log" 2>&1
	rc=$?
	check "postfix.service starts (exit $rc)" [ $rc -eq 0 ] ||
	    { sed 's/^/#   /' "$T/pf.log"; journal postfix; }
	install -d /etc/systemd/system/detengo.service.d
	install -m 644 /usr/share/detengo/notify-mail.conf \
	    /etc/systemd/system/detengo.service.d/notify-mail.conf
	echo 'NOTIFY_TO=admin' >/etc/detengo/notify.conf
	ln -sf /var/lib/capturo/capturo.prom /var/lib/prometheus/node-exporter/
	sed -i 's|^CAPTURO_OPTS=.*|CAPTURO_OPTS="-M /var/lib/capturo/capturo.prom"|' \
	    /etc/default/capturo
	setopts "-b ipset -e /usr/share/detengo/notify-mail -M /var/lib/prometheus/node-exporter/detengo.prom"
	systemctl daemon-reload
	systemctl restart capturo detengo
	waitfor 100 active detengo
	check "detengo.service with -e and -M is active" active detengo ||
	    journal detengo
	mac=$(inl cat /sys/class/net/eth0/address)
	mail 192.0.2.15
	waitfor 300 member 192.0.2.15
	check "notice: 192.0.2.15 blocked" member 192.0.2.15 || journal detengo
	mailed() { grep -rls "192.0.2.15" /home/admin/Maildir/new/ 2>/dev/null | head -n 1; }
	waitfor 300 test -n "$(mailed)"
	m=$(mailed)
	checkx "notice: the mail reached admin's mailbox through Postfix" \
	    '[ -n "$m" ]' || { journal detengo 20; journal postfix 20; }
	checkx "notice: the mail names the host, its MAC and the reason" \
	    '[ -n "$m" ] && grep -q "$mac" "$m" &&
	    grep -qi "reason.*mail" "$m" && grep -q -- "--unblock 192.0.2.15" "$m"' ||
	    { [ -n "$m" ] && sed 's/^/#   /' "$m" | head -n 30; }
	check "notice: no failure in detengo's journal" \
	    sh -c '! journalctl -u detengo -o cat | grep -q "notice.*\(exited with\|cannot run\|ran over\|killed\)"' ||
	    journal detengo
	systemctl start prometheus-node-exporter >"$T/ne.log" 2>&1
	up() { curl -s -m 2 http://127.0.0.1:9100/metrics >"$T/metrics" 2>/dev/null &&
	    grep -q '^detengo_blocks_total' "$T/metrics"; }
	waitfor 300 up
	checkx "metrics: node_exporter's unit serves detengo's -M file" \
	    'grep -q "^detengo_blocks_total{reason=\"mail\"} [1-9]" "$T/metrics" &&
	    grep -q "^detengo_notices_total{result=\"run\"} [1-9]" "$T/metrics"' ||
	    { journal prometheus-node-exporter; grep detengo "$T/metrics" | head | sed 's/^/#   /'; }
	checkx "metrics: and capturo's, through the link the default file shows" \
	    'grep -q "^capturo_events_total{event=\"mail\"} [1-9]" "$T/metrics" &&
	    grep -q "^node_textfile_scrape_error 0" "$T/metrics"' ||
	    { journal capturo; grep -i "capturo\|textfile" "$T/metrics" | head | sed 's/^/#   /'; }
	systemctl stop prometheus-node-exporter postfix >/dev/null 2>&1
	rm -f /etc/systemd/system/detengo.service.d/notify-mail.conf
	systemctl daemon-reload
else
	skip "notices and metrics: postfix or prometheus-node-exporter not installed"
fi

# --- apt purge: the rules go with the package ---
dpkg --purge detengo >"$T/purge.log" 2>&1
rc=$?
check "dpkg --purge detengo (exit $rc)" [ $rc -eq 0 ] || sed 's/^/#   /' "$T/purge.log"
checkx "ipset: purged: no rule of detengo's in FORWARD, no set" \
    'iptables-legacy -S FORWARD >"$T/fwd" && ! grep -q detengo "$T/fwd" &&
    ! ipset list detengo4 >/dev/null 2>&1'
check "purged: no state left" test ! -e /var/lib/detengo

kill $spid 2>/dev/null
exit $fail
