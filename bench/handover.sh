#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Handover latency, side by side: xfrm_mobility, strongSwan MOBIKE,
# strongSwan reauthentication (make_before_break no/yes), WireGuard roaming
# and stock XFRM moved by a userspace script, in one VM boot, on the same
# topology, netem settings, probe streams and moves.  Runs INSIDE the test
# VM; "make bench" (bench/run.sh) builds, boots and collects:
#
#   tests/vm/run-vm.sh --kernel KREL --ko /tmp/me/xfrm_mobility.ko \
#       --out /tmp/me/bench --timeout 1800 -- bench/handover.sh --quick
#
# Usage: bench/handover.sh [--quick | --full] [--cycles N]
#                          [--systems LIST] [--rtts LIST] [--losses LIST]
#                          [--settle S] [--interval-us US] [--out DIR]
#                          [--host]
#
#   --quick          1 cycle per netem setting (default)
#   --full           10 cycles per netem setting
#   --cycles N       cycles per netem setting; a cycle is 5 moves, one per
#                    scenario and two of NAT->other NAT (below)
#   --systems LIST   comma-separated, default
#                    module,mobike,reauth,reauth-mbb,wireguard,stock
#   --rtts LIST      netem round-trip times in ms, default 20,100
#   --losses LIST    netem loss in percent (each direction of Y's access
#                    link), default 0,5
#   --settle S       time from preparing a move (new address) to the move,
#                    default 1 (2
#                    with --full)
#   --interval-us US probe interval in each direction, default 2000
#   --out DIR        results (default $XM_OUT/handover in the VM)
#   --host           allow running outside the test VM
#
# Setup, per system: the topology of tests/selftests/lib/netns.sh (fresh
# namespaces), IPv4 only (IPv6 off in X and Y so that no daemon can pick an
# IPv6 path), X on uplink a, with a single address at a time: 10.0.1.2 on
# xa or 10.0.2.2 on xb.  RA gets a second WAN address 203.0.113.11 for NAT
# rebinding.  Static neighbours across the delayed link as in
# bench/outage.sh.  Then the system's tunnel (bench/lib/systems.sh), its
# daemons, and one prober pair for the whole system run (a probe every
# --interval-us each way between X 10.99.0.2 and Y 10.88.0.1, kernel
# receive timestamps).  For each RTT x loss: netem on both directions of
# Y's access link (RTT/2 delay, loss), then the cycles.  Setup costs stay
# out of the measured windows.
#
# A cycle, starting with X direct on uplink a (RA without NAT):
#   1 d2n     a -> b (NAT B)
#             (RA's NAT switched on while X is away: masquerade to .1)
#   2 n2n     b -> a (NAT A)
#   3 rebind  X stays; RA's NAT switches to SNAT 203.0.113.11 and its
#             conntrack table is flushed: a new mapping for X's flows
#   4 n2n     a -> b
#             (RA's NAT switched off while X is away)
#   5 n2d     b -> a (direct)
# A move of X is make-before-break, as when a new network comes up before
# the old one goes: --settle seconds before the move, X gets its address
# on the other uplink and a default route there with a higher metric (and
# its first hop's neighbour entry); the move itself deletes the address on
# the active uplink, and the kernel drops the routes through it.  Every
# system sees the same events: RTM_NEWADDR/RTM_NEWROUTE beforehand (the
# old path still works), then RTM_DELADDR.
#
# T0 = the kernel time of the move, from the function tracer
# (CLOCK_BOOTTIME): __inet_del_ifa (the RTM_DELADDR), for rebinding
# ctnetlink_del_conntrack (the conntrack flush).  Without ftrace: the
# shell's clock just before the command (t0_src "user").
#
# After a move the script waits until a ping X -> Y (one every 100 ms for
# the whole run, from X's inner address) gets a reply sent after the move,
# at most 20 s; a move without one is reported, the cycle goes on.

# Output in DIR: per system a directory with the raw data (probes, events,
# logs, traces, moves.txt), and from bench/lib/analyze.py: moves.csv (one
# line per move), summary.csv, summary.md (tables, ratios), chart.png.
# Exit status: 0, 2 usage, 4 skipped (module not loadable or not root).

# shellcheck source-path=SCRIPTDIR/..
# shellcheck disable=SC2317 # functions called indirectly

HB_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
HB_REPO=$(cd "$HB_DIR/.." && pwd)
# shellcheck source=bench/outage.sh
. "$HB_DIR/outage.sh"
# shellcheck source=bench/lib/systems.sh
. "$HB_DIR/lib/systems.sh"

RA_WAN4_ALT=203.0.113.11
HB_ALL_SYSTEMS=module,mobike,reauth,reauth-mbb,wireguard,stock
HB_W=''           # results directory
HB_POS=a          # X's uplink
HB_RA_NAT=off     # off | masq | snat
HB_MOVES=0
HB_TRACE_OK=0

hb_log() { echo "# $*"; }
hb_err() { echo "handover: $*" >&2; }

# --- topology ---------------------------------------------------------------

hb_topo() {
	local ra
	ns_topo_mobility >"$HB_SW/setup.log" 2>&1 || return
	ns_sysctl "$NS_X" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || return
	ns_sysctl "$NS_Y" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || return
	ns_ip "$NS_X" addr del "$X_B4/24" dev xb || return
	ns_ip "$NS_RA" addr add "$RA_WAN4_ALT/24" dev ra-wan || return
	HB_POS=a HB_RA_NAT=off
	ob_static_neigh || return
	ra=$(ob_mac "$NS_RA" ra-wan) || return
	HB_MAC_A=$(ob_mac "$NS_RA" ra-in) && HB_MAC_B=$(ob_mac "$NS_RB" rb-in) || return
	HB_METRIC=1000
	ns_ip "$NS_Y" neigh replace "$RA_WAN4_ALT" lladdr "$ra" dev y-wan nud permanent
}

# hb_pinger_start: a ping from X's inner address to Y's every 100 ms for
# the whole system run (bench/lib/pinger.py); it keeps the CLOCK_REALTIME
# (us) of the latest reply in $HB_SW/lastreply, which the shell polls with
# "read" (no exec: under TCG an exec takes up to seconds).
hb_pinger_start() {
	: >"$HB_SW/lastreply"
	hb_bg ip netns exec "$NS_X" python3 "$HB_DIR/lib/pinger.py" "$X_INNER4" "$Y_INNER4" "$HB_SW/lastreply"
}

# hb_ra_nat off|masq|snat: RA's NAT; conntrack flushed.
hb_ra_nat() {
	case $1 in
	off) ns_nat_off "$NS_RA" ;;
	masq) ns_nat_masq "$NS_RA" ra-wan ;;
	snat)
		ip netns exec "$NS_RA" nft -f - <<EOF
table ip xm_nat
delete table ip xm_nat
table ip xm_nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		oifname "ra-wan" counter snat to $RA_WAN4_ALT
	}
}
EOF
		;;
	esac || return
	ns_ct_flush "$NS_RA"
	HB_RA_NAT=$1
}

# hb_netem RTT_MS LOSS_PCT: delay RTT/2 and loss on both directions of
# Y's access link.
hb_netem() {
	local half=$(($1 * 500)) loss=()
	[[ $2 != 0 ]] && loss=(loss "$2%")
	ns_netem "$NS_Y" y-wan delay "${half}us" "${loss[@]}" limit 100000 &&
		ns_netem "$NS_CORE" c-y delay "${half}us" "${loss[@]}" limit 100000
}

# --- tracing ------------------------------------------------------------------

hb_trace_init() {
	local t f have=() want=(__inet_insert_ifa __inet_del_ifa fib_table_insert ctnetlink_del_conntrack)
	for t in /sys/kernel/tracing /sys/kernel/debug/tracing; do
		[[ -r $t/available_filter_functions ]] && break
	done
	for f in "${want[@]}"; do
		grep -qx -m1 "$f\( \[.*\]\)\?" "$t/available_filter_functions" 2>/dev/null && have+=("$f")
	done
	hb_log "traceable T0 functions: ${have[*]:-none}"
	((${#have[@]})) || return 1
	OB_TRACE_FUNCS="${have[*]}"
	ob_trace_init && HB_TRACE_OK=1
}

# --- moves --------------------------------------------------------------------

# hb_replied_since US: the pinger saw a reply after CLOCK_REALTIME US.
hb_replied_since() {
	local t=0
	read -r t <"$HB_SW/lastreply" 2>/dev/null
	((${t:-0} > $1))
}

# hb_wait T0_US RTT_MS: until a ping reply arrives that was sent after T0
# (reply time > T0 + RTT + 100 ms), at most 20 s.  Sets HB_CONV (ms after
# T0, -1 if none).
hb_wait() {
	local t0=$1 rtt=$2 since now
	since=$((t0 + rtt * 1000 + 100000))
	while :; do
		now=${EPOCHREALTIME/./}
		if hb_replied_since "$since"; then
			HB_CONV=$(((now - t0) / 1000))
			return 0
		fi
		((now - t0 > 20000000)) && { HB_CONV=-1; return 1; }
		ns_sleep 0.05
	done
}

# hb_prepare: before a move of X, the address on the other uplink, its
# first hop's neighbour entry and a default route there with a higher
# metric than the active one: the new network is up before the old one
# goes (make-before-break), and the move itself is one event.
hb_prepare() {
	local new gw dev mac
	if [[ $HB_POS == a ]]; then
		new=$X_B4 gw=$RB_IN4 dev=xb mac=$HB_MAC_B
	else
		new=$X_A4 gw=$RA_IN4 dev=xa mac=$HB_MAC_A
	fi
	HB_METRIC=$((HB_METRIC + 1))
	ns_ipb "$NS_X" <<EOF
addr add $new/24 dev $dev
neigh replace $gw lladdr $mac dev $dev nud permanent
route add default via $gw dev $dev metric $HB_METRIC
EOF
}

# hb_move SCEN RTT LOSS CYCLE: one measured move.  d2n, n2n, n2d: X's
# address on the active uplink is deleted (RTM_DELADDR; the kernel drops
# the routes through that uplink, the prepared default route takes over);
# rebind: RA's NAT to the other address and its conntrack table flushed.
hb_move() {
	local scen=$1 rtt=$2 loss=$3 cyc=$4 t0u rc old dev
	HB_MOVES=$((HB_MOVES + 1))
	if [[ $scen == rebind ]]; then
		local to=snat
		[[ $HB_RA_NAT == snat ]] && to=masq
		ns_sleep "$HB_SETTLE"
		ob_trace_arm
		t0u=${EPOCHREALTIME/./}
		hb_ra_nat "$to"
		rc=$?
	else
		hb_prepare || hb_err "prepare failed"
		ns_sleep "$HB_SETTLE"
		if [[ $HB_POS == a ]]; then
			old=$X_A4 dev=xa
		else
			old=$X_B4 dev=xb
		fi
		ob_trace_arm
		t0u=${EPOCHREALTIME/./}
		ns_ip "$NS_X" addr del "$old/24" dev "$dev"
		rc=$?
		[[ $HB_POS == a ]] && HB_POS=b || HB_POS=a
	fi
	hb_wait "$t0u" "$rtt"
	if ((HB_TRACE_OK)); then
		ob_trace_t0 "$HB_SW/trace-$HB_MOVES.txt" >/dev/null
	fi
	echo "$HB_MOVES $cyc $scen $rtt $loss ${t0u}000 $rc $HB_CONV" >>"$HB_SW/moves.txt"
	if ((HB_CONV >= 0)); then
		echo "#   move $HB_MOVES $scen: converged after $HB_CONV ms"
	else
		hb_err "$HB_SYS move $HB_MOVES ($scen, RTT $rtt ms, loss $loss%): no reply 20 s later"
	fi
}

# hb_cycle RTT LOSS CYCLE: the five moves, X direct on a before and after.
hb_cycle() {
	hb_move d2n "$@"
	hb_ra_nat masq
	hb_move n2n "$@"
	hb_move rebind "$@"
	hb_move n2n "$@"
	hb_ra_nat off
	hb_move n2d "$@"
}

hb_system_stop() {
	local p
	ob_probers_stop
	for p in "${HB_PIDS[@]}"; do
		kill -TERM "$p" 2>/dev/null
	done
	for p in "${HB_PIDS[@]}"; do
		wait "$p" 2>/dev/null
	done
	HB_PIDS=()
	ns_cleanup
	hb_ss_collect
}

# hb_system NAME: one system through every netem setting.
hb_system() {
	local name=$1 fn=${1//-/_} rtt loss c rc
	HB_SYS=$name
	HB_SW=$HB_W/$name
	rm -rf "$HB_SW" && mkdir -p "$HB_SW" || return 1
	printf 'system=%s\nkernel=%s\ninterval_us=%s\n' "$name" "$(uname -r)" "$HB_INTERVAL" >"$HB_SW/params"
	: >"$HB_SW/moves.txt"
	hb_log "=== $name: setup"
	hb_topo || { hb_err "$name: topology failed"; hb_system_stop; return 1; }
	"sys_${fn}_setup" >>"$HB_SW/setup.log" 2>&1
	rc=$?
	if ((rc)); then
		hb_err "$name: setup failed ($rc), skipped; $HB_SW/setup.log:"
		tail -n 20 "$HB_SW/setup.log" >&2
		echo "setup_failed=$rc" >>"$HB_SW/params"
		hb_system_stop
		return 1
	fi
	# ob_probers_* keep their files in OB_W and wait OB_RTT at the end.
	OB_W=$HB_SW OB_RTT=200
	ob_probers_start "$HB_INTERVAL"
	"sys_${fn}_start" >>"$HB_SW/setup.log" 2>&1 || hb_err "$name: start reported an error"
	hb_pinger_start
	ns_sleep 1.5
	for rtt in "${HB_RTTS[@]}"; do
		for loss in "${HB_LOSSES[@]}"; do
			hb_netem "$rtt" "$loss" || { hb_err "netem failed"; break 2; }
			hb_log "$name: RTT $rtt ms, loss $loss %"
			ns_sleep 1
			for ((c = 1; c <= HB_CYCLES; c++)); do
				hb_cycle "$rtt" "$loss" "$c"
			done
		done
	done
	echo "end_ns=${EPOCHREALTIME/./}000" >>"$HB_SW/params"
	hb_system_stop
	return 0
}

hb_main() {
	local systems=$HB_ALL_SYSTEMS rtts=20,100 losses=0,5 out='' host=0 mode=quick s
	HB_CYCLES='' HB_SETTLE='' HB_INTERVAL=2000
	while (($#)); do
		case $1 in
		--quick) mode=quick; shift ;;
		--full) mode=full; shift ;;
		--cycles) HB_CYCLES=$2; shift 2 ;;
		--systems) systems=$2; shift 2 ;;
		--rtts) rtts=$2; shift 2 ;;
		--losses) losses=$2; shift 2 ;;
		--settle) HB_SETTLE=$2; shift 2 ;;
		--interval-us) HB_INTERVAL=$2; shift 2 ;;
		--out) out=$2; shift 2 ;;
		--host) host=1; shift ;;
		-h | --help) sed -n '/^# Usage:/,/^# Setup,/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; return 0 ;;
		*) hb_err "unknown option $1"; return 2 ;;
		esac
	done
	[[ -n $HB_CYCLES ]] || { [[ $mode == full ]] && HB_CYCLES=10 || HB_CYCLES=1; }
	[[ -n $HB_SETTLE ]] || { [[ $mode == full ]] && HB_SETTLE=2 || HB_SETTLE=1; }
	IFS=, read -r -a HB_SYSTEMS <<<"$systems"
	IFS=, read -r -a HB_RTTS <<<"$rtts"
	IFS=, read -r -a HB_LOSSES <<<"$losses"
	[[ $HB_CYCLES =~ ^[0-9]+$ && $HB_SETTLE =~ ^[0-9.]+$ && $HB_INTERVAL =~ ^[0-9]+$ ]] ||
		{ hb_err "numeric arguments expected"; return 2; }
	for s in "${HB_SYSTEMS[@]}"; do
		declare -F "sys_${s//-/_}_setup" >/dev/null || { hb_err "unknown system $s"; return 2; }
	done
	if [[ -z ${XM_VM:-} ]] && ((!host)); then
		hb_err "runs inside the test VM (make bench, or tests/vm/run-vm.sh ... -- bench/handover.sh); --host to run here"
		return 2
	fi
	((EUID == 0)) || { hb_err "must run as root"; return 4; }
	if [[ -z $out ]]; then
		[[ -n ${XM_OUT:-} ]] && out=$XM_OUT/handover || out=$(mktemp -d /tmp/handover.XXXXXX)
	fi
	HB_W=$out
	mkdir -p "$HB_W" || return 1
	mob_load
	case $? in
	0) ;;
	*) hb_err "xfrm_mobility not loadable (XM_KO unset?)"; return 4 ;;
	esac
	[[ -x $PROBER ]] || { hb_err "no prober at $PROBER (make -C tests/tools)"; return 2; }
	[[ -x $MOBCTL ]] || { hb_err "no mobctl at $MOBCTL (make -C tools/mobctl)"; return 2; }
	trap 'hb_system_stop; ob_trace_fini' EXIT
	{
		echo "kernel=$(uname -r)"
		echo "date=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
		echo "mode=$mode"
		echo "cycles=$HB_CYCLES"
		echo "settle=$HB_SETTLE"
		echo "interval_us=$HB_INTERVAL"
		echo "systems=$systems"
		echo "rtts=$rtts"
		echo "losses=$losses"
		echo "cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
		echo "ncpu=$(grep -c ^processor /proc/cpuinfo)"
		echo "vm=${XM_VM:+qemu-tcg}"
		echo "rootfs=${XM_ROOTFS:-}"
	} >"$HB_W/run.txt"
	hb_trace_init || hb_log "no function tracer: T0 from the shell's clock"
	hb_log "handover benchmark on $(uname -r): $systems; RTT $rtts ms; loss $losses %; $HB_CYCLES cycles"
	for s in "${HB_SYSTEMS[@]}"; do
		hb_system "$s"
	done
	ob_trace_fini
	trap - EXIT
	python3 "$HB_DIR/lib/analyze.py" "$HB_W"
	return 0
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -uo pipefail
	hb_main "$@"
	exit $?
fi
