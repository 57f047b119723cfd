# Network namespaces for tests: sourced by tests/record.sh and the lab and end-to-end tests.
#
# Every namespace is named "$NS_PREFIX-NAME"; only those created here are
# deleted and only the processes started with ns_bg are killed, by PID,
# when the sourcing shell exits (ns_cleanup runs from the EXIT trap).
# Addresses must come from 192.0.2.0/24, 198.51.100.0/24, 203.0.113.0/24
# or 2001:db8::/32 (RFC 5737, RFC 3849): ns_link refuses others.
#
#   ns_new NAME                  create a namespace, lo up
#   ns_exec NAME CMD...          run CMD in it
#   ns_link NS1 IF1 ADDRS1 NS2 IF2 ADDRS2
#                                veth pair; ADDRS is "a/len[,a/len...]" or "-";
#                                offloads off so captures hold real segments,
#                                unless NS_OFFLOADS=kernel: as the kernel sets them
#   ns_forward NAME              turn on IPv4 and IPv6 forwarding
#   ns_route NAME DEST VIA       add a route (DEST may be "default")
#   ns_bg NAME CMD...            start CMD in the background; its PID is in
#                                NS_LASTPID and is killed at cleanup
#   ns_stop PID [SIG]            send SIG (TERM) to a PID from ns_bg, wait for it
#   ns_wait_port NAME ADDR PORT [TENTHS]
#                                wait until a TCP socket listens (default 5 s)
#   ns_wait_file FILE TEXT [TENTHS]
#                                wait until FILE holds TEXT (default 5 s);
#                                the script ends if it does not
#   ns_poll_file FILE TEXT [TENTHS]
#                                the same, but returns 1 instead
#   ns_cleanup                   kill the started PIDs, delete the namespaces

NS_PREFIX=${NS_PREFIX:-cdns-$$}
NS_CREATED=""
NS_PIDS=""
NS_LASTPID=""

ns_die()
{
	echo "netns: $*" >&2
	exit 1
}

ns_name()
{
	echo "$NS_PREFIX-$1"
}

ns_exec()
{
	_n=$1
	shift
	ip netns exec "$NS_PREFIX-$_n" "$@"
}

ns_new()
{
	ip netns add "$NS_PREFIX-$1" || ns_die "cannot create $NS_PREFIX-$1"
	NS_CREATED="$NS_CREATED $NS_PREFIX-$1"
	ip -n "$NS_PREFIX-$1" link set lo up
	# no DAD on the links made here: a tentative link-local address
	# holds back neighbour solicitations for forwarded packets for 1 to
	# 2 s (none to set where IPv6 is off)
	ip netns exec "$NS_PREFIX-$1" sysctl -qw \
	    net.ipv6.conf.default.accept_dad=0 >/dev/null 2>&1 || :
}

# Only documentation ranges ever reach a test interface.
ns_addr_ok()
{
	case $1 in
	192.0.2.*/* | 198.51.100.*/* | 203.0.113.*/*) return 0 ;;
	2001:db8:* | 2001:DB8:*) return 0 ;;
	esac
	return 1
}

# ns_addrs NS IF "a/len,b/len"
ns_addrs()
{
	[ "$3" = "-" ] && return 0
	_old_ifs=$IFS
	IFS=,
	for _a in $3; do
		IFS=$_old_ifs
		ns_addr_ok "$_a" || ns_die "address $_a not in a test range"
		# nodad: a v6 address is usable at once
		case $_a in
		*:*) ip -n "$NS_PREFIX-$1" addr add "$_a" dev "$2" nodad ;;
		*) ip -n "$NS_PREFIX-$1" addr add "$_a" dev "$2" ;;
		esac || ns_die "cannot add $_a to $1/$2"
	done
	IFS=$_old_ifs
}

# A capture should see the segments TCP really sent, with real checksums:
# no TSO/GSO/GRO coalescing, no checksum offload.
ns_nooffload()
{
	[ "${NS_OFFLOADS:-off}" = kernel ] && return 0
	if command -v ethtool >/dev/null 2>&1; then
		ns_exec "$1" ethtool -K "$2" tx off rx off tso off gso off \
		    gro off >/dev/null 2>&1 || true
	else
		ip -n "$NS_PREFIX-$1" link set "$2" gso_max_size 1500 \
		    gro_max_size 1500 2>/dev/null || true
	fi
}

ns_link()
{
	[ $# -eq 6 ] || ns_die "usage: ns_link NS1 IF1 ADDRS1 NS2 IF2 ADDRS2"
	ip link add "$2" netns "$NS_PREFIX-$1" type veth \
	    peer name "$5" netns "$NS_PREFIX-$4" ||
	    ns_die "cannot link $1/$2 to $4/$5"
	ns_addrs "$1" "$2" "$3"
	ns_addrs "$4" "$5" "$6"
	ns_nooffload "$1" "$2"
	ns_nooffload "$4" "$5"
	ip -n "$NS_PREFIX-$1" link set "$2" up
	ip -n "$NS_PREFIX-$4" link set "$5" up
}

ns_forward()
{
	ns_exec "$1" sysctl -qw net.ipv4.ip_forward=1 \
	    net.ipv6.conf.all.forwarding=1 >/dev/null
}

ns_route()
{
	case $2 in
	*:*) ip -n "$NS_PREFIX-$1" -6 route add "$2" via "$3" ;;
	default) case $3 in
		*:*) ip -n "$NS_PREFIX-$1" -6 route add default via "$3" ;;
		*) ip -n "$NS_PREFIX-$1" route add default via "$3" ;;
		esac ;;
	*) ip -n "$NS_PREFIX-$1" route add "$2" via "$3" ;;
	esac || ns_die "cannot route $2 via $3 in $1"
}

# `ip netns exec` execs the command, so $! is the command itself.
ns_bg()
{
	_n=$1
	shift
	ip netns exec "$NS_PREFIX-$_n" "$@" &
	NS_LASTPID=$!
	NS_PIDS="$NS_PIDS $NS_LASTPID"
}

ns_forget()
{
	_keep=""
	for _p in $NS_PIDS; do
		[ "$_p" = "$1" ] || _keep="$_keep $_p"
	done
	NS_PIDS=$_keep
}

ns_stop()
{
	kill -"${2:-TERM}" "$1" 2>/dev/null || :
	wait "$1" 2>/dev/null || :
	ns_forget "$1"
}

ns_wait_port()
{
	_t=${4:-50}
	while [ "$_t" -gt 0 ]; do
		# the local address column: ADDR:PORT, [ADDR]:PORT or a wildcard
		if ns_exec "$1" ss -Hltn "sport = :$3" 2>/dev/null |
		    awk -v a="$2" -v p="$3" '
			$4 == a ":" p || $4 == "[" a "]:" p ||
			$4 == "0.0.0.0:" p || $4 == "*:" p || $4 == "[::]:" p \
			    { f = 1 }
			END { exit !f }'; then
			return 0
		fi
		sleep 0.1
		_t=$((_t - 1))
	done
	ns_die "nothing listens on $2 port $3 in $1"
}

ns_poll_file()
{
	_t=${3:-50}
	while [ "$_t" -gt 0 ]; do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
		_t=$((_t - 1))
	done
	return 1
}
ns_wait_file()
{
	ns_poll_file "$@" || ns_die "no \"$2\" in $1"
}

ns_cleanup()
{
	# runs from the EXIT trap, maybe under set -e: nothing here may fail
	for _p in $NS_PIDS; do
		kill -TERM "$_p" 2>/dev/null || :
	done
	for _p in $NS_PIDS; do
		_t=20
		while kill -0 "$_p" 2>/dev/null && [ "$_t" -gt 0 ]; do
			sleep 0.1
			_t=$((_t - 1))
		done
		kill -KILL "$_p" 2>/dev/null || :
		wait "$_p" 2>/dev/null || :
	done
	NS_PIDS=""
	for _n in $NS_CREATED; do
		ip netns del "$_n" 2>/dev/null || :
	done
	NS_CREATED=""
}

trap ns_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
