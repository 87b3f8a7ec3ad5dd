# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Network-namespace helpers for the selftests (source this file).
#
# Generic helpers: namespaces with random suffixes and automatic cleanup,
# veth links, addresses/routes via "ip -batch", an nftables masquerade NAT,
# netem, conntrack, polling instead of fixed sleeps.  Process creation is the
# dominant cost under QEMU/TCG (0.1-0.8 s per exec), so the helpers batch
# commands and avoid external programs where bash can do the job.
#
#   ns_create VAR PREFIX, ns_create_many VAR=PREFIX...   namespaces (lo up)
#   ns_exec NS CMD..., ns_ip NS ARGS..., ns_ipb NS <BATCH run in a namespace
#   ns_veth NS1 IF1 NS2 IF2, ns_sysctl NS KEY=VALUE...
#   ns_nat_masq NS OIF [random], ns_nat_off NS           IPv4 masquerade NAT
#   ns_ct_flush NS, ns_ct_list NS, ns_conntrack_timeouts NS SECONDS
#   ns_netem NS IF ARGS..., ns_netem_clear NS IF
#   busywait TIMEOUT_MS CMD..., ns_sleep SECONDS
#   ns_ping NS DST [COUNT], ns_wait_ping NS DST [MS], ns_wait_link NS IF [MS]
#   ns_cleanup, ns_cleanup_add CMD
#   ns_topo_mobility, ns_move_x MODE [--down-old], ns_x_use_uplink a|b,
#   ns_x_seen_addr4
#
# The mobility topology (ns_topo_mobility) and its address plan:
#
#              uplink a: 10.0.1.0/24, fd00:1::/64
#   +-----------+ xa .2 ------ .1 ra-in +-------+ ra-wan .1 --+
#   |           |                       | NAT A |             |
#   |  mobile   |                       +-------+             |    wan: 203.0.113.0/24,
#   |     X     |                                        +----+---+     fd00:ff::/64
#   |           |                                        |  core  |  y-wan .10 +-----------+
#   |           |                                        |  (br0) +------------+ gateway Y |
#   | inner     |                       +-------+        +----+---+            | inner     |
#   | 10.99.0.2 | xb .2 ------ .1 rb-in | NAT B | rb-wan .2 --+                | 10.88.0.1 |
#   | fd00:99::2|                       +-------+                              | fd00:88::1|
#   +-----------+  uplink b: 10.0.2.0/24, fd00:2::/64                          +-----------+
#
#   - X has two uplinks (xa, xb); its default route picks the active one.
#   - RA and RB are routers that masquerade (nft) IPv4 leaving their wan side
#     when NAT is on.  RB's NAT is on by default, RA's is switched by the
#     move functions.  IPv6 is always routed, never translated.
#   - Y routes 10.0.1.0/24 via RA and 10.0.2.0/24 via RB, so with NAT off Y
#     sees X's own address ("direct path"); with NAT on it sees 203.0.113.1
#     (RA) or 203.0.113.2 (RB) and a translated port.
#   - Inner addresses live on "inner" dummy devices (X: /32, Y: /24) for
#     tunnels added by the tests; no route covers them until a test adds one.
#   - ns_move_x direct|nat_a|nat_b [--down-old] moves X:
#       direct : uplink a, RA NAT off   (Y sees 10.0.1.2)
#       nat_a  : uplink a, RA NAT on    (Y sees 203.0.113.1:port)
#       nat_b  : uplink b (RB NAT on)   (Y sees 203.0.113.2:port)
#     Default is make-before-break (the old uplink stays up, only routes
#     move); --down-old sets the old uplink down first (break-before-make).
#
# Namespace names are in NS_X NS_RA NS_RB NS_CORE NS_Y; addresses in the
# X_A4 X_B4 X_A6 X_B6 RA_IN4 RB_IN4 RA_WAN4 RB_WAN4 Y_WAN4 Y_WAN6 X_INNER4
# X_INNER6 Y_INNER4 Y_INNER6 variables below.
#
# Cleanup: the first ns_create installs "trap ns_cleanup EXIT" unless an EXIT
# trap already exists; a test with its own EXIT trap must call ns_cleanup
# from it.  ns_cleanup_add CMD registers extra commands run before the
# namespaces are removed (most recent first).

X_A4=10.0.1.2 RA_IN4=10.0.1.1 X_B4=10.0.2.2 RB_IN4=10.0.2.1
RA_WAN4=203.0.113.1 RB_WAN4=203.0.113.2 Y_WAN4=203.0.113.10
X_A6=fd00:1::2 RA_IN6=fd00:1::1 X_B6=fd00:2::2 RB_IN6=fd00:2::1
RA_WAN6=fd00:ff::1 RB_WAN6=fd00:ff::2 Y_WAN6=fd00:ff::10
X_INNER4=10.99.0.2 Y_INNER4=10.88.0.1 X_INNER6=fd00:99::2 Y_INNER6=fd00:88::1
# Namespace names (set by ns_topo_mobility) and the current position of X
# (set by ns_move_x).
NS_X='' NS_RA='' NS_RB='' NS_CORE='' NS_Y=''
X_MODE=''

NS_LIST=()
NS_CLEANUP_CMDS=()

ns_log() { echo "# $*"; }

# Sleep without forking /bin/sleep: read with a timeout from a pipe that
# never delivers data.
ns_sleep() {
	if [[ -z ${NS_SLEEP_FD:-} ]]; then
		exec {NS_SLEEP_FD}<> <(:)
	fi
	read -r -t "$1" -u "$NS_SLEEP_FD" _ || true
}

# busywait TIMEOUT_MS CMD...: retry CMD every 100 ms until it succeeds
# (returns 0) or TIMEOUT_MS elapsed (returns CMD's last status).
# CMD sees the caller's variables: the locals here start with _bw_.
busywait() {
	local _bw_ms=$1 _bw_rc _bw_start _bw_now
	shift
	_bw_start=${EPOCHREALTIME/./}
	while :; do
		"$@" && return 0
		_bw_rc=$?
		_bw_now=${EPOCHREALTIME/./}
		(((_bw_now - _bw_start) / 1000 >= _bw_ms)) && return "$_bw_rc"
		ns_sleep 0.1
	done
}

# ns_create VAR PREFIX: create namespace PREFIX-<random>, loopback up, store
# its name in VAR.
ns_create() {
	local var=$1 name
	name="$2-$(printf '%04x%04x' "$RANDOM" "$RANDOM")"
	ip netns add "$name" || return
	NS_LIST+=("$name")
	ip -n "$name" link set lo up
	printf -v "$var" '%s' "$name"
	[[ -n $(trap -p EXIT) ]] || trap ns_cleanup EXIT
}

# ns_create_many VAR=PREFIX...: same as ns_create for several namespaces,
# created with a single "ip -batch".
ns_create_many() {
	local kv names=() batch='' n
	for kv in "$@"; do
		n="${kv#*=}-$(printf '%04x%04x' "$RANDOM" "$RANDOM")"
		names+=("$n")
		printf -v "${kv%%=*}" '%s' "$n"
		batch+="netns add $n"$'\n'
	done
	ip -b - <<<"$batch" || return
	NS_LIST+=("${names[@]}")
	for n in "${names[@]}"; do
		ip -n "$n" link set lo up || return
	done
	[[ -n $(trap -p EXIT) ]] || trap ns_cleanup EXIT
}

ns_cleanup_add() { NS_CLEANUP_CMDS+=("$1"); }

ns_cleanup() {
	local i ns pid batch=''
	# Output of a check the test ended in (lib/ktap.sh), if loaded.
	! declare -F ktap_flush >/dev/null || ktap_flush
	for ((i = ${#NS_CLEANUP_CMDS[@]} - 1; i >= 0; i--)); do
		eval "${NS_CLEANUP_CMDS[i]}" 2>/dev/null || true
	done
	NS_CLEANUP_CMDS=()
	((${#NS_LIST[@]})) || return 0
	# Kill what still runs inside our namespaces (daemons, pings); found by
	# comparing namespace inodes, without an exec per namespace.
	for pid in /proc/[0-9]*; do
		for ns in "${NS_LIST[@]}"; do
			if [[ $pid/ns/net -ef /run/netns/$ns ]]; then
				kill -9 "${pid#/proc/}" 2>/dev/null
				break
			fi
		done
	done
	for ns in "${NS_LIST[@]}"; do
		batch+="netns del $ns"$'\n'
	done
	ip -b - <<<"$batch" 2>/dev/null || true
	NS_LIST=()
}

# Run a command inside a namespace: ns_exec NS CMD...
ns_exec() {
	local ns=$1
	shift
	ip netns exec "$ns" "$@"
}

# ip inside a namespace: ns_ip NS ARGS...; ns_ipb NS < batch
ns_ip() {
	local ns=$1
	shift
	ip -n "$ns" "$@"
}
ns_ipb() { ip -n "$1" -b -; }

# ns_veth NS1 IF1 NS2 IF2: veth pair between two namespaces, both ends up.
ns_veth() {
	ip link add "$2" netns "$1" type veth peer name "$4" netns "$3" || return
	ip -n "$1" link set "$2" up && ip -n "$3" link set "$4" up
}

# ns_sysctl NS KEY=VALUE...
ns_sysctl() {
	local ns=$1
	shift
	ip netns exec "$ns" sysctl -q -w "$@" >/dev/null
}

# ns_nat NS RULE: the namespace's IPv4 NAT is RULE in a postrouting chain,
# e.g. 'oifname "rb-wan" counter masquerade'.  Replaces an earlier NAT
# table.  nft 1.0.6 needs the multi-line syntax; "table; delete table;
# table {...}" makes it idempotent.
ns_nat() {
	ip netns exec "$1" nft -f - <<EOF
table ip xm_nat
delete table ip xm_nat
table ip xm_nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		$2
	}
}
EOF
}

# ns_nat_masq NS OIF [random]: masquerade IPv4 leaving OIF (with a packet
# counter).
ns_nat_masq() {
	ns_nat "$1" "oifname \"$2\" counter masquerade ${3:-}"
}

# ns_nat_off NS: remove the NAT table (routing only).
ns_nat_off() {
	ip netns exec "$1" nft -f - <<'EOF'
table ip xm_nat
delete table ip xm_nat
EOF
}

# ns_ct_flush NS: drop all conntrack entries, e.g. so that the next packet
# gets a fresh NAT binding (new port).
ns_ct_flush() {
	ip netns exec "$1" conntrack -F >/dev/null 2>&1
}

# ns_ct_list NS: the namespace's conntrack table (/proc/net/nf_conntrack).
ns_ct_list() {
	ip netns exec "$1" cat /proc/net/nf_conntrack 2>/dev/null
}

# ns_conntrack_timeouts NS SECONDS: short UDP timeouts, to test NAT
# bindings expiring.
ns_conntrack_timeouts() {
	ns_sysctl "$1" net.netfilter.nf_conntrack_udp_timeout="$2" \
		net.netfilter.nf_conntrack_udp_timeout_stream="$2"
}

# ns_netem NS IF NETEM-ARGS...: set (replace) a netem qdisc, e.g.
#   ns_netem "$NS_RA" ra-wan delay 20ms 5ms loss 1%
ns_netem() {
	local ns=$1 dev=$2
	shift 2
	tc -n "$ns" qdisc replace dev "$dev" root netem "$@"
}
ns_netem_clear() { tc -n "$1" qdisc del dev "$2" root 2>/dev/null || true; }

# ns_ping NS DST [COUNT]: quick reachability check (1 s per probe).
ns_ping() {
	ip netns exec "$1" ping -q -n -c "${3:-1}" -W 1 "$2" >/dev/null 2>&1
}

# ns_wait_ping NS DST [TIMEOUT_MS]: poll until DST answers.
ns_wait_ping() {
	busywait "${3:-10000}" ns_ping "$1" "$2"
}

# ns_wait_link NS DEV [TIMEOUT_MS]: poll until DEV is operationally up.
ns_wait_link() {
	busywait "${3:-5000}" ns_link_is_up "$1" "$2"
}
ns_link_is_up() {
	[[ $(ip netns exec "$1" cat "/sys/class/net/$2/operstate" 2>/dev/null) == up ]]
}

# --- mobility topology -----------------------------------------------------

ns_topo_mobility() {
	ns_create_many NS_X=xm-x NS_RA=xm-ra NS_RB=xm-rb NS_CORE=xm-core NS_Y=xm-y || return

	ip -b - <<EOF || return
link add xa netns $NS_X type veth peer name ra-in netns $NS_RA
link add xb netns $NS_X type veth peer name rb-in netns $NS_RB
link add ra-wan netns $NS_RA type veth peer name c-ra netns $NS_CORE
link add rb-wan netns $NS_RB type veth peer name c-rb netns $NS_CORE
link add y-wan netns $NS_Y type veth peer name c-y netns $NS_CORE
EOF
	ns_ipb "$NS_CORE" <<EOF || return
link add br0 type bridge
link set br0 up
link set c-ra master br0
link set c-rb master br0
link set c-y master br0
link set c-ra up
link set c-rb up
link set c-y up
EOF
	ns_ipb "$NS_X" <<EOF || return
link add inner type dummy
link set inner up
addr add $X_INNER4/32 dev inner
addr add $X_INNER6/128 dev inner nodad
addr add $X_A4/24 dev xa
addr add $X_A6/64 dev xa nodad
addr add $X_B4/24 dev xb
addr add $X_B6/64 dev xb nodad
link set xa up
link set xb up
EOF
	ns_ipb "$NS_RA" <<EOF || return
addr add $RA_IN4/24 dev ra-in
addr add $RA_IN6/64 dev ra-in nodad
addr add $RA_WAN4/24 dev ra-wan
addr add $RA_WAN6/64 dev ra-wan nodad
link set ra-in up
link set ra-wan up
EOF
	ns_ipb "$NS_RB" <<EOF || return
addr add $RB_IN4/24 dev rb-in
addr add $RB_IN6/64 dev rb-in nodad
addr add $RB_WAN4/24 dev rb-wan
addr add $RB_WAN6/64 dev rb-wan nodad
link set rb-in up
link set rb-wan up
EOF
	ns_ipb "$NS_Y" <<EOF || return
link add inner type dummy
link set inner up
addr add $Y_INNER4/24 dev inner
addr add $Y_INNER6/64 dev inner nodad
addr add $Y_WAN4/24 dev y-wan
addr add $Y_WAN6/64 dev y-wan nodad
link set y-wan up
route add 10.0.1.0/24 via $RA_WAN4
route add 10.0.2.0/24 via $RB_WAN4
route add fd00:1::/64 via $RA_WAN6
route add fd00:2::/64 via $RB_WAN6
EOF
	# rp_filter off: X is multihomed and replies may arrive on either uplink.
	local r
	for r in "$NS_RA" "$NS_RB"; do
		ns_sysctl "$r" net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
			net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 || return
	done
	# keep_addr_on_down: IPv6 addresses must survive an uplink going down
	# and up again (break-before-make moves), as IPv4 ones do.
	ns_sysctl "$NS_X" net.ipv4.conf.all.rp_filter=0 net.ipv4.conf.default.rp_filter=0 \
		net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.default.keep_addr_on_down=1 || return
	ns_nat_masq "$NS_RB" rb-wan || return
	ns_move_x direct
}

# ns_x_use_uplink a|b: point X's default routes at that uplink.
ns_x_use_uplink() {
	local gw4 gw6 dev
	case $1 in
	a) gw4=$RA_IN4 gw6=$RA_IN6 dev=xa ;;
	b) gw4=$RB_IN4 gw6=$RB_IN6 dev=xb ;;
	*) echo "ns_x_use_uplink: a or b" >&2; return 2 ;;
	esac
	ns_ip "$NS_X" link set "$dev" up || return
	# After a down/up the connected routes may take a moment to return.
	busywait 3000 ns_x_default_routes "$gw4" "$gw6" "$dev"
}
ns_x_default_routes() {
	ns_ipb "$NS_X" 2>/dev/null <<EOF
route replace default via $1 dev $3
route replace default via $2 dev $3
EOF
}

# ns_move_x direct|nat_a|nat_b [--down-old]
ns_move_x() {
	local mode=$1 down=${2:-} old_dev='' new
	case $mode in
	direct | nat_a) new=a ;;
	nat_b) new=b ;;
	*) echo "ns_move_x: direct, nat_a or nat_b" >&2; return 2 ;;
	esac
	case $X_MODE in
	direct | nat_a) [[ $new == a ]] || old_dev=xa ;;
	nat_b) [[ $new == b ]] || old_dev=xb ;;
	esac
	if [[ $down == --down-old && -n $old_dev ]]; then
		ns_ip "$NS_X" link set "$old_dev" down || return
	fi
	case $mode in
	direct)
		ns_nat_off "$NS_RA" || return
		ns_ct_flush "$NS_RA"
		;;
	nat_a)
		ns_nat_masq "$NS_RA" ra-wan || return
		# Flows that began without NAT keep their (null) binding otherwise.
		ns_ct_flush "$NS_RA"
		;;
	esac
	ns_x_use_uplink "$new" || return
	X_MODE=$mode
}

# ns_x_seen_addr4: the IPv4 address Y sees for X in the current position.
ns_x_seen_addr4() {
	case $X_MODE in
	direct) echo "$X_A4" ;;
	nat_a) echo "$RA_WAN4" ;;
	nat_b) echo "$RB_WAN4" ;;
	esac
}
