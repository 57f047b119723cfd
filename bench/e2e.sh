#!/bin/sh
# End to end: from a LAN client's MAIL FROM until a DROP rule for it is in the gateway, for detengo and the alternatives.
#
# Run as root: sh bench/e2e.sh          (about 2 minutes; prints a table)
#              ONLY=detengo sh bench/e2e.sh   (phases a and a_pipe alone)
#
#   cl 198.51.100.100-149 --eth0-- lan0 [gw] wan0 --eth0-- sv 203.0.113.25:25
#                          198.51.100.1      203.0.113.1     tests/smtpd_log.py
#
# Namespaces cdbd-PID-{cl,gw,sv}.  Every phase starts from an empty filter
# table in gw, runs capturo -i lan0 -w EVENTS there (the packet time of
# each MAIL FROM is the first field of its mail line), starts one blocker,
# and then each of HOSTS client addresses sends one mail with swaks
# --local-interface ADDR --quit-after MAIL, one every GAP seconds.
# bench/detengo-lat watch, in gw, copies the filter table every 200 us
# and notes when a DROP rule for each source first shows up.  Latency =
# that time - the packet time of the host's MAIL FROM.
# The blockers, each fed as it is meant to be:
#   a  capturo -w EVENTS; detengo EVENTS (LOG+DROP in FORWARD, libiptc);
#      and capturo -i lan0 | detengo -
#   b  the article's two scripts (capturo_gusanos.sh: tcpdump -l -A | grep
#      | grep > gusanos.log; detengo_gusanos.sh: tail -f | awk, two
#      iptables calls per line), with iptables-legacy and grep -i: the
#      article's grep "mail from" never matches swaks' "MAIL FROM"
#   c  fail2ban (pyinotify backend) on EVENTS: a filter for capturo's mail
#      lines, maxretry 1, banaction iptables with iptables-legacy, chain
#      FORWARD, blocktype DROP; c' the same with the polling backend (what
#      fail2ban falls back to without python3-pyinotify)
#   d  sshguard: tail -F EVENTS | a one-line gawk parser | sshg-blocker
#      -a 10 | sshguard's own sshg-fw-iptables, its iptables being
#      iptables-legacy (a chain "sshguard" reached from FORWARD)
# and two short checks on 5 hosts: the article's exact grep blocks no one,
# and mawk (Debian's default awk) in the article's second script never
# acts (it waits to fill its input buffer).
# Every iptables command runs in gw with XTABLES_LOCKFILE in a private
# directory; fail2ban has its own socket, pid file and database there.
# It is not a test: it exits 0 whatever the figures.
# Needs: iproute2, iptables, swaks, python3-aiosmtpd, tcpdump, gawk, mawk,
# fail2ban, python3-pyinotify, sshguard, cc; capturo and detengo built.

set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/.." && pwd)
OUT=$HERE/out
CAPTURO=${CAPTURO:-$TOP/capturo/capturo}
DETENGO=${DETENGO:-$TOP/detengo/detengo}
HOSTS=${HOSTS:-50}
GAP=${GAP:-0.2}
# seconds to wait for the last rules after the last client
SETTLE=${SETTLE:-8}
PY=/usr/bin/python3
SSHG=/usr/libexec/sshguard
SRV=203.0.113.25

[ "$(id -u)" -eq 0 ] || { echo "e2e.sh: run as root" >&2; exit 1; }
for p in "$CAPTURO" "$DETENGO"; do
	[ -x "$p" ] || { echo "e2e.sh: $p missing (make)" >&2; exit 1; }
done
for c in swaks tcpdump gawk mawk fail2ban-client iptables-legacy; do
	command -v "$c" >/dev/null ||
	    { echo "e2e.sh: $c missing (make deps bench)" >&2; exit 1; }
done
[ -x "$SSHG/sshg-blocker" ] || { echo "e2e.sh: sshguard missing" >&2; exit 1; }
[ "$HOSTS" -ge 5 ] && [ "$HOSTS" -le 100 ] ||
    { echo "e2e.sh: HOSTS from 5 to 100" >&2; exit 2; }
mkdir -p "$OUT"
LAT=$OUT/detengo-lat
if [ ! -x "$LAT" ] || [ "$HERE/detengo-lat.c" -nt "$LAT" ]; then
	${CC:-cc} -std=gnu11 -O2 -Wall -Wextra -Werror -D_GNU_SOURCE \
	    -o "$LAT" "$HERE/detengo-lat.c" -lnftnl -lmnl ||
	    { echo "e2e.sh: cannot build $LAT" >&2; exit 1; }
fi

W=$(mktemp -d /tmp/cdbd.XXXXXX)
chmod 755 "$W"
NS_PREFIX=cdbd-$$
. "$TOP/tests/netns.sh"
# pipelines run in process groups of their own (setsid): their ids
GROUPS_STARTED=""
bench_exit()
{
	for _g in $GROUPS_STARTED; do
		kill -TERM "-$_g" 2>/dev/null || :
	done
	ns_cleanup
	# KEEP=1 keeps the logs of every phase
	if [ "${KEEP:-0}" = 1 ]; then
		echo "e2e.sh: kept $W" >&2
	else
		rm -rf "$W"
	fi
}
trap bench_exit EXIT
export XTABLES_LOCKFILE="$W/xtables.lock"

say() { echo "e2e.sh: $*" >&2; }

# grp_bg NS CMD: a shell command line in a process group of its own
grp_bg()
{
	_n=$1
	shift
	ns_bg "$_n" setsid sh -c "$*"
	GROUPS_STARTED="$GROUPS_STARTED $NS_LASTPID"
}

grp_stop()
{
	kill -TERM "-$1" 2>/dev/null || :
	_t=30
	while kill -0 "-$1" 2>/dev/null && [ "$_t" -gt 0 ]; do
		sleep 0.1
		_t=$((_t - 1))
	done
	kill -KILL "-$1" 2>/dev/null || :
	wait "$1" 2>/dev/null || :
	ns_forget "$1"
	_keep=""
	for _g in $GROUPS_STARTED; do
		[ "$_g" = "$1" ] || _keep="$_keep $_g"
	done
	GROUPS_STARTED=$_keep
}

gw() { ns_exec gw "$@"; }

# --- the lab ----------------------------------------------------------

addrs=""
i=0
while [ "$i" -lt "$HOSTS" ]; do
	addrs="$addrs${addrs:+,}198.51.100.$((100 + i))/24"
	i=$((i + 1))
done
ns_new cl
ns_new gw
ns_new sv
ns_link cl eth0 "$addrs" gw lan0 198.51.100.1/24
ns_link gw wan0 203.0.113.1/24 sv eth0 $SRV/24
ns_forward gw
ns_route cl default 198.51.100.1
ns_route sv default 203.0.113.1
ns_bg sv "$PY" "$TOP/tests/smtpd_log.py" -o "$W/smtpd.log" -l "$SRV:25" \
    2>"$W/smtpd.err"
ns_wait_port sv "$SRV" 25

# fail2ban: the Debian configuration, its own paths, one jail
mkdir -p "$W/f2b"
cp -r /etc/fail2ban "$W/f2b/conf"
rm -f "$W/f2b/conf/jail.d/"*.conf
cat >"$W/f2b/conf/fail2ban.local" <<EOF
[Definition]
loglevel = INFO
logtarget = $W/f2b/fail2ban.log
socket = $W/f2b/fail2ban.sock
pidfile = $W/f2b/fail2ban.pid
dbfile = $W/f2b/fail2ban.sqlite3
EOF
cat >"$W/f2b/conf/filter.d/capturo.conf" <<'EOF'
# capturo's mail event; fail2ban cuts the leading RFC 3339 time itself
[Definition]
failregex = ^\s*mail sid=\S+ src=<HOST>:\d+ 
EOF
cat >"$W/f2b/conf/action.d/iptables.local" <<'EOF'
[Init]
iptables = iptables-legacy <lockingopt>
blocktype = DROP
EOF
# f2b_conf BACKEND
f2b_conf()
{
	cat >"$W/f2b/conf/jail.local" <<EOF
[DEFAULT]
bantime = 3600
findtime = 3600
maxretry = 1
[capturo]
enabled = true
backend = $1
filter = capturo
logpath = $W/events
port = 25
protocol = tcp
chain = FORWARD
banaction = iptables
action = iptables[actionstart_on_demand=false]
EOF
}

# sshguard's firewall script calls "iptables": make that the legacy one
mkdir -p "$W/shim"
printf '#!/bin/sh\nexec iptables-legacy "$@"\n' >"$W/shim/iptables"
printf '#!/bin/sh\nexec ip6tables-legacy "$@"\n' >"$W/shim/ip6tables"
chmod 755 "$W/shim/iptables" "$W/shim/ip6tables"

# the article's two scripts, with iptables-legacy and the interface
# named; GREP and AWK are set per phase
cat >"$W/capturo_gusanos.sh" <<EOF
#!/bin/bash
> $W/gusanos.log; tcpdump -i lan0 -l -nn -s0 -A port 25 | grep --line-buffered \$GREPOPT "mail from" | grep --line-buffered "SMTP:" > $W/gusanos.log
EOF
cat >"$W/detengo_gusanos.sh" <<EOF
#!/bin/bash
tail -f $W/gusanos.log | \$AWK '{ split(\$3,ip,"."); system("iptables-legacy -A FORWARD -p tcp --dport 25 -s "ip[1]"."ip[2]"."ip[3]"."ip[4]" -j LOG"); system("iptables-legacy -A FORWARD -p tcp --dport 25 -s "ip[1]"."ip[2]"."ip[3]"."ip[4]" -j DROP") }'
EOF

# --- one phase ----------------------------------------------------------

# clients N: N hosts send one mail each, GAP seconds apart
clients()
{
	_i=0
	_pids=""
	while [ "$_i" -lt "$1" ]; do
		ns_exec cl swaks --server $SRV --port 25 \
		    --local-interface "198.51.100.$((100 + _i))" \
		    --from "w$_i@example.org" --to v@example.net \
		    --quit-after MAIL --timeout 2 >/dev/null 2>&1 &
		_pids="$_pids $!"
		sleep "$GAP"
		_i=$((_i + 1))
	done
	for _p in $_pids; do
		wait "$_p" 2>/dev/null || :
	done
}

# wait_rules FILE N SECONDS: FILE has N lines, or the time is over
wait_rules()
{
	_t=$(($3 * 10))
	while [ "$_t" -gt 0 ]; do
		[ "$(wc -l <"$1")" -ge "$2" ] && return 0
		sleep 0.1
		_t=$((_t - 1))
	done
	return 0
}

# start_phase NAME: empty table, capturo and the watcher running
start_phase()
{
	say "phase $1"
	gw iptables-legacy -w -F
	gw iptables-legacy -w -X
	rm -f "$W/events"
	ns_bg gw "$CAPTURO" -i lan0 -w "$W/events" 2>"$W/$1.capturo.err"
	CPID=$NS_LASTPID
	_t=50
	while [ ! -e "$W/events" ] && [ "$_t" -gt 0 ]; do
		sleep 0.1
		_t=$((_t - 1))
	done
	sleep 0.5
}

# run_phase NAME N: clients, then the rules; keeps NAME.events NAME.rules
run_phase()
{
	ns_bg gw "$LAT" watch -4 -i 200 >"$W/$1.rules"
	WPID=$NS_LASTPID
	clients "$2"
	wait_rules "$W/$1.rules" "$2" "$SETTLE"
	ns_stop "$WPID" TERM
}

end_phase()
{
	ns_stop "$CPID" INT
	cp "$W/events" "$W/$1.events"
}

# latencies NAME: "host ms" per host that got a DROP rule, from the
# packet time of its first MAIL FROM
latencies()
{
	TZ=UTC gawk '
	FNR == NR {
		if ($2 != "mail" || !match($0, / src=([0-9.]+):/, m))
			next
		if (m[1] in t)
			next
		s = mktime(substr($1, 1, 4) " " substr($1, 6, 2) " " \
		    substr($1, 9, 2) " " substr($1, 12, 2) " " \
		    substr($1, 15, 2) " " substr($1, 18, 2), 1)
		t[m[1]] = (s - base) + ("0" substr($1, 20, 7))
		next
	}
	{
		split($1, e, ".")
		if ($2 in t)
			printf "%s %.3f\n", $2, ((e[1] - base) + ("0." e[2]) - t[$2]) * 1000
	}' base=1700000000 "$W/$1.events" "$W/$1.rules"
}

# --- a: capturo + detengo ---------------------------------------------------

start_phase a
ns_bg gw "$DETENGO" -s "$W/detengo.state" -w "$W/detengo.report" \
    "$W/events" 2>"$W/a.detengo.err"
TPID=$NS_LASTPID
sleep 0.5
run_phase a "$HOSTS"
ns_stop "$TPID" TERM
end_phase a

# the same through a pipe: capturo -i lan0 | detengo - (the phase's
# capturo -w is then only the clock)
start_phase a_pipe
grp_bg gw "$CAPTURO -i lan0 2>$W/a_pipe.capturo2.err |
    $DETENGO -s $W/detengo2.state -w $W/detengo2.report - 2>$W/a_pipe.detengo.err"
G1=$NS_LASTPID
sleep 1
run_phase a_pipe "$HOSTS"
grp_stop "$G1"
end_phase a_pipe

# ONLY=detengo: phases a and a_pipe alone (about 30 s), for capturo's
# and detengo's own latency; the others need a few minutes more
if [ "${ONLY:-}" = detengo ]; then
	PHASES="a a_pipe"
else
PHASES="a a_pipe b c c_poll d"

# --- b: the article's pair, grep -i, gawk -------------------------------------

# article_phase NAME N GREPOPT AWK
article_phase()
{
	start_phase "$1"
	grp_bg gw "GREPOPT=$3 bash $W/capturo_gusanos.sh 2>$W/$1.tcpdump.err"
	G1=$NS_LASTPID
	sleep 0.5
	grp_bg gw "AWK=$4 bash $W/detengo_gusanos.sh 2>$W/$1.awk.err"
	G2=$NS_LASTPID
	sleep 1
	run_phase "$1" "$2"
	grp_stop "$G2"
	grp_stop "$G1"
	end_phase "$1"
	cp "$W/gusanos.log" "$W/$1.gusanos.log"
}
article_phase b "$HOSTS" -i gawk
# the article exactly: grep "mail from"; and grep -i but mawk
SAVE_SETTLE=$SETTLE
SETTLE=3
article_phase b_exact 5 "" gawk
article_phase b_mawk 5 -i mawk
SETTLE=$SAVE_SETTLE

# --- c: fail2ban ----------------------------------------------------------------

# f2b_phase NAME BACKEND
f2b_phase()
{
	start_phase "$1"
	f2b_conf "$2"
	rm -f "$W/f2b/fail2ban.sqlite3" "$W/f2b/fail2ban.sock"
	grp_bg gw "fail2ban-client -c $W/f2b/conf -s $W/f2b/fail2ban.sock \
	    -p $W/f2b/fail2ban.pid -f -x start >$W/$1.f2b.out 2>&1"
	G1=$NS_LASTPID
	# ready: the jail is up and its chain is in FORWARD
	_t=150
	until gw iptables-legacy -w -S f2b-capturo >/dev/null 2>&1 ||
	    [ "$_t" -eq 0 ]; do
		sleep 0.1
		_t=$((_t - 1))
	done
	[ "$_t" -gt 0 ] || say "fail2ban did not start; see $W/f2b/fail2ban.log"
	sleep 0.5
	run_phase "$1" "$HOSTS"
	gw fail2ban-client -s "$W/f2b/fail2ban.sock" stop >/dev/null 2>&1 || :
	grp_stop "$G1"
	end_phase "$1"
}
f2b_phase c pyinotify
f2b_phase c_poll polling

# --- d: sshguard --------------------------------------------------------------

start_phase d
gw iptables-legacy -w -N sshguard
gw iptables-legacy -w -A FORWARD -p tcp --dport 25 -j sshguard
# the parser: capturo's mail line -> sshguard's attack line
# "service address family danger"; danger 10 at threshold 10 blocks at once
grp_bg gw "$SSHG/sshg-logtail $W/events |
    gawk '\$2 == \"mail\" && match(\$0, / src=([0-9.]+):/, m) {
	print 110, m[1], 4, 10; fflush() }' |
    $SSHG/sshg-blocker -a 10 -p 3600 -s 3600 |
    PATH=$W/shim:\$PATH $SSHG/sshg-fw-iptables >$W/d.fw.out 2>$W/d.fw.err"
G1=$NS_LASTPID
sleep 1
run_phase d "$HOSTS"
grp_stop "$G1"
end_phase d
fi

# --- the table ------------------------------------------------------------------

for p in $PHASES; do
	latencies "$p" | sort -k 2 -n >"$W/$p.lat"
done
{
	echo "end to end: MAIL FROM packet (capturo's time on the gateway's LAN side) until a DROP rule for the host is in the gateway"
	echo "machine: $(nproc) vCPU, kernel $(uname -r); $HOSTS hosts, one every $GAP s; load average $(cut -d ' ' -f 1-3 /proc/loadavg)"
	echo
	printf '%-50s %7s %10s %10s %10s %9s %9s\n' blocker blocked \
	    median_ms p90_ms max_ms x_median x_max
	set -- $(awk '{ a[NR] = $2 } END { print a[int((NR + 1) / 2)], a[NR] }' "$W/a.lat")
	amed=${1:-0}
	amax=${2:-0}
	for p in $PHASES; do
		case $p in
		a) l="a capturo -w FILE; detengo FILE" ;;
		a_pipe) l="a capturo | detengo -" ;;
		b) l="b article: tcpdump|grep -i; tail -f|gawk" ;;
		c) l="c fail2ban 1.0.2 (pyinotify)" ;;
		c_poll) l="c' fail2ban 1.0.2 (polling)" ;;
		d) l="d sshguard 2.4.2 (gawk parser, sshg-fw-iptables)" ;;
		esac
		awk -v l="$l" -v want="$HOSTS" -v am="$amed" -v ax="$amax" '
		    { a[NR] = $2 }
		    END { n = NR
			if (n == 0) { printf "%-50s %3d/%-3d\n", l, 0, want; exit }
			med = a[int((n + 1) / 2)]; p90 = a[int(n * 0.9 + 0.999)]
			printf "%-50s %3d/%-3d %10.2f %10.2f %10.2f %9.1f %9.1f\n",
			    l, n, want, med, p90, a[n],
			    (am > 0 ? med / am : 0), (ax > 0 ? a[n] / ax : 0) }' \
		    "$W/$p.lat"
	done
	[ "$PHASES" = "a a_pipe" ] || {
	echo
	echo "the article's pair as written (5 hosts, 3 s to act after the last):"
	echo "  grep \"mail from\" (exact):  $(wc -l <"$W/b_exact.gusanos.log") lines in gusanos.log, $(wc -l <"$W/b_exact.rules") hosts blocked"
	echo "  grep -i, awk = mawk:       $(wc -l <"$W/b_mawk.gusanos.log") lines in gusanos.log, $(wc -l <"$W/b_mawk.rules") hosts blocked"
	}
	echo "MAIL FROMs seen by capturo per phase: $(for p in $PHASES; do printf '%s=%s ' "$p" "$(grep -c ' mail ' "$W/$p.events" || :)"; done)"
	echo "detengo: $(grep 'lines=' "$W/a.detengo.err" | tail -n 1)"
} | tee "$OUT/e2e.txt"
for p in $PHASES; do
	cp "$W/$p.lat" "$OUT/e2e.$p.lat"
done
