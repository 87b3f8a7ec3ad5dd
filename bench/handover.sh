#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Handover latency, side by side: xfrm_mobility, strongSwan MOBIKE,
# strongSwan reauthentication (make_before_break no/yes), WireGuard roaming
# and stock XFRM moved by a userspace script, in one VM boot, on the same
# topology, netem settings, probe streams and moves.  Runs INSIDE the test
# VM; "make bench" (bench/run.sh) builds, boots, collects and analyses:
#
#   tests/vm/run-vm.sh --kernel KREL --ko /tmp/me/xfrm_mobility.ko \
#       --env XM_SS_PLUGIN=/tmp/me/libstrongswan-xfrm-mobility.so \
#       --out /tmp/me/bench --timeout 1200 -- bench/handover.sh --quick
#
# Usage: bench/handover.sh [--quick | --full] [--cycles N]
#                          [--systems LIST] [--rtts LIST] [--losses LIST]
#                          [--settle S] [--dwell S] [--bound S]
#                          [--cell-budget S] [--interval-us US] [--out DIR]
#                          [--no-analyze] [--host]
#
#   --quick          1 cycle per netem setting, --bound 10 (default)
#   --full           10 cycles per netem setting, --bound 15,
#                    --cell-budget 180
#   --cycles N       cycles per netem setting; a cycle is 5 moves, one per
#                    scenario and two of NAT->other NAT (below)
#   --systems LIST   comma-separated, default
#                    module,mobike,reauth,reauth-mbb,wireguard,stock
#   --rtts LIST      netem round-trip times in ms, default 20,100
#   --losses LIST    netem loss in percent (each direction of Y's access
#                    link), default 0,5
#   --settle S       time from preparing a move (new address) to the move,
#                    default 1
#   --dwell S        time from a move's convergence to the next move's
#                    preparation, default 0.5
#   --bound S        longest wait for a move's convergence; a move without
#                    one counts as "no recovery"
#   --cell-budget S  no further cycle of a netem setting once its cycles
#                    took S seconds (at least one cycle; 0: no limit): a
#                    system that keeps hitting --bound cannot take the
#                    whole run; the tables show the moves per cell
#   --interval-us US probe interval in each direction, default 2000
#   --out DIR        results (default $XM_OUT/handover in the VM)
#   --no-analyze     leave the analysis to the caller (bench/run.sh runs
#                    bench/lib/analyze.py on the host, much faster than
#                    under TCG)
#   --host           allow running outside the test VM
#
# Setup, per system: the topology of tests/selftests/lib/netns.sh (fresh
# namespaces), IPv4 only (IPv6 off in X and Y so that no daemon can pick an
# IPv6 path), X with a single uplink address at a time: position a
# (direct, 10.0.1.2 on xa), n (10.0.1.3 on xa, which RA masquerades, with
# random ports) or b (10.0.2.2 on xb, behind NAT B).  The NAT rules stay
# fixed during the run.  Static neighbours across the delayed link as in
# bench/outage.sh, and the routers' entries for X's addresses.  Then the
# system's tunnel (bench/lib/systems.sh), its daemons, packet captures
# for the detection time, and one prober pair for the whole system run (a
# probe every --interval-us each way between X 10.99.0.2 and Y 10.88.0.1,
# kernel receive timestamps).  For each RTT x loss: netem on both
# directions of Y's access link (RTT/2 delay, loss), then the cycles.
# Setup costs stay out of the measured windows.
#
# A cycle, starting with X direct at a:
#   1 d2n     a -> b (NAT B)
#   2 n2n     b -> n (NAT A)
#   3 rebind  X stays at n; RA's conntrack table is flushed: X's flows get
#             new ports (a new mapping, same public address)
#   4 n2n     n -> b
#   5 n2d     b -> a (direct)
# A move of X is make-before-break, as when a new network comes up before
# the old one goes.  The router X joins first forgets its NAT state (a
# conntrack flush: X's earlier visits would otherwise leave entries of the
# same 5-tuples behind).  --settle seconds before the move, X gets its new
# address and a default route there with a higher metric (and its first
# hop's neighbour entry); the move itself deletes the address of the
# active position, and with the uplink's last address the kernel drops
# the routes through it.  Every system sees the same events:
# RTM_NEWADDR/RTM_NEWROUTE beforehand (the old path still works), then
# RTM_DELADDR.  The moves are made by long-running helpers ("ip -batch" in
# X, bench/lib/ctflush.py in RA and RB): under TCG every exec costs up to
# seconds.
#
# T0 = the kernel time of the move, from the function tracer
# (CLOCK_BOOTTIME; one trace per system): __inet_del_ifa (the
# RTM_DELADDR), for rebinding ctnetlink_del_conntrack (the conntrack
# flush).  Without ftrace: the shell's clock just before the trigger
# (t0_src "user").
#
# After a move the script waits until a ping X -> Y (one every 100 ms for
# the whole run, from X's inner address) gets a reply sent after the move,
# i.e. both directions work on the new path, at most --bound s; then
# --dwell s before the next move.  A move without a reply is reported, the
# cycle goes on.  The time spent per phase is in each system's
# timing.txt, the wall time per system and in total in run.txt.

# Output in DIR: per system a directory with the raw data (probes, events,
# logs, trace.txt, capture-{x,y}.pcap, moves.txt, timing.txt), and from
# bench/lib/analyze.py: moves.csv (one line per move), summary.csv,
# summary.md (tables, ratios), chart.png.
# Exit status: 0, 2 usage, 4 skipped (module not loadable or not root).

# shellcheck source-path=SCRIPTDIR/..
# shellcheck disable=SC2317 # functions called indirectly

# shellcheck source=bench/outage.sh
. "$(dirname "${BASH_SOURCE[0]}")/outage.sh"
# shellcheck source=bench/lib/systems.sh
. "$BENCH_LIB/systems.sh"

X_AN4=10.0.1.3    # X's address on uplink a when RA translates it
HB_ALL_SYSTEMS=module,mobike,reauth,reauth-mbb,wireguard,stock
HB_W=''           # results directory
HB_POS=a          # X's position: a (direct), n (a behind RA's NAT), b
HB_MOVES=0
HB_TRACE_OK=0
HB_TRACE_ARMED=0
HB_DWELL_END=0
declare -A HB_WALL=()

hb_log() { echo "# $*"; }

# hb_us SECONDS: microseconds of a decimal number of seconds.
hb_us() {
	local i=${1%%.*} f=000000
	[[ $1 == *.* ]] && f=${1#*.}000000
	echo $((10#$i * 1000000 + 10#${f:0:6}))
}
# hb_lap NAME: append "NAME ms-since-last-lap" to HB_LAPS.
hb_lap() {
	local t=${EPOCHREALTIME/./}
	HB_LAPS+=" $1=$(((t - HB_LAP0) / 1000))"
	HB_LAP0=$t
}
hb_err() { echo "handover: $*" >&2; }

# --- topology ---------------------------------------------------------------

hb_topo() {
	ns_topo_mobility >"$HB_SW/setup.log" 2>&1 || return
	ns_sysctl "$NS_X" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || return
	ns_sysctl "$NS_Y" net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1 || return
	ns_ip "$NS_X" addr del "$X_B4/24" dev xb || return
	# RA translates X's second address only, to random ports: no ruleset
	# change during the run.
	ip netns exec "$NS_RA" nft -f - <<EOF || return
table ip xm_nat
delete table ip xm_nat
table ip xm_nat {
	chain postrouting {
		type nat hook postrouting priority srcnat; policy accept;
		ip saddr $X_AN4 oifname "ra-wan" counter masquerade random
	}
}
EOF
	HB_POS=a
	ob_static_neigh || return
	HB_MAC_A=$(ob_mac "$NS_RA" ra-in) && HB_MAC_B=$(ob_mac "$NS_RB" rb-in) || return
	HB_MAC_XA=$(ob_mac "$NS_X" xa) && HB_MAC_XB=$(ob_mac "$NS_X" xb) || return
	# The routers know X's addresses (X's own first hops are set when a
	# move is prepared): no ARP round in a measured window.
	ns_ipb "$NS_RA" <<EOF || return
neigh replace $X_A4 lladdr $HB_MAC_XA dev ra-in nud permanent
neigh replace $X_AN4 lladdr $HB_MAC_XA dev ra-in nud permanent
EOF
	ns_ip "$NS_RB" neigh replace "$X_B4" lladdr "$HB_MAC_XB" dev rb-in nud permanent || return
	HB_METRIC=1000
}

# hb_helpers_start: long-running helpers that make the moves without an
# exec each (under TCG an exec takes up to seconds): "ip -batch" in X's
# namespace reading from fd HB_IPX, bench/lib/ctflush.py in RA's and RB's
# from fds HB_CTF and HB_CTFB.
hb_helpers_start() {
	exec {HB_IPX}> >(exec ip -n "$NS_X" -force -batch - >>"$HB_SW/ip-x.log" 2>&1)
	HB_PIDS+=($!)
	exec {HB_CTF}> >(exec ip netns exec "$NS_RA" python3 "$BENCH_LIB/ctflush.py" >>"$HB_SW/ctflush-a.log" 2>&1)
	HB_PIDS+=($!)
	exec {HB_CTFB}> >(exec ip netns exec "$NS_RB" python3 "$BENCH_LIB/ctflush.py" >>"$HB_SW/ctflush-b.log" 2>&1)
	HB_PIDS+=($!)
}

hb_helpers_stop() {
	[[ -n ${HB_IPX:-} ]] && exec {HB_IPX}>&-
	[[ -n ${HB_CTF:-} ]] && exec {HB_CTF}>&-
	[[ -n ${HB_CTFB:-} ]] && exec {HB_CTFB}>&-
	HB_IPX='' HB_CTF='' HB_CTFB=''
}

# hb_pinger_start: a ping from X's inner address to Y's every 100 ms for
# the whole system run (bench/lib/pinger.py); it keeps the CLOCK_REALTIME
# (us) of the latest reply in $HB_REPLY (on the VM's tmpfs, not in the
# results directory: a read there is a round trip to the host), which the
# shell polls with
# "read" (no exec: under TCG an exec takes up to seconds).
hb_pinger_start() {
	HB_REPLY=$(mktemp /tmp/hb-lastreply.XXXXXX)
	hb_bg ip netns exec "$NS_X" python3 "$BENCH_LIB/pinger.py" "$X_INNER4" "$Y_INNER4" "$HB_REPLY"
}

# hb_netem RTT_MS LOSS_PCT: delay RTT/2 and loss on both directions of
# Y's access link.
hb_netem() {
	local half=$(($1 * 500)) lossarg=()
	[[ $2 != 0 ]] && lossarg=(loss "$2%")
	ns_netem "$NS_Y" y-wan delay "${half}us" "${lossarg[@]}" limit 100000 &&
		ns_netem "$NS_CORE" c-y delay "${half}us" "${lossarg[@]}" limit 100000
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
	ob_trace_init || return
	# Room for a whole system run (a few entries per move).
	echo 2048 >"$OB_TRACE/buffer_size_kb" 2>/dev/null
	HB_TRACE_OK=1
}

# --- moves --------------------------------------------------------------------

# hb_replied_since US: the pinger saw a reply after CLOCK_REALTIME US.
hb_replied_since() {
	local t=0
	read -r t <"$HB_REPLY" 2>/dev/null
	((${t:-0} > $1))
}

# hb_wait T0_US RTT_MS: until a ping reply arrives that was sent after T0
# (reply time > T0 + RTT + 100 ms: both directions work on the new path),
# at most HB_BOUND s.  Sets HB_CONV (ms after T0, -1 if none) and
# HB_DWELL_END (when the next move may start: HB_DWELL s after the
# convergence, or at once after a timeout).
hb_wait() {
	local t0=$1 rtt=$2 since now bound=$((HB_BOUND * 1000000))
	since=$((t0 + rtt * 1000 + 100000))
	while :; do
		if hb_replied_since "$since"; then
			now=${EPOCHREALTIME/./}
			HB_CONV=$(((now - t0) / 1000))
			HB_DWELL_END=$((now + HB_DWELL_US))
			return 0
		fi
		now=${EPOCHREALTIME/./}
		((now - t0 > bound)) && { HB_CONV=-1; HB_DWELL_END=$now; return 1; }
		ns_sleep 0.02
	done
}

# hb_sleep_until US: sleep until CLOCK_REALTIME US (no exec).
hb_sleep_until() {
	local now=${EPOCHREALTIME/./} d
	(($1 > now)) || return 0
	d=$(($1 - now))
	ns_sleep "$((d / 1000000)).$(printf '%06d' $((d % 1000000)))"
}

# hb_pos_addr POS: X's address at position a (direct), n (behind RA's
# NAT, uplink a) or b (behind NAT B).
hb_pos_addr() {
	case $1 in
	a) echo "$X_A4" ;;
	n) echo "$X_AN4" ;;
	b) echo "$X_B4" ;;
	esac
}

# hb_prepare TO: before a move of X to position TO, the address there,
# its first hop's neighbour entry and a default route there with a higher
# metric than the active one: the new network is up before the old one
# goes (make-before-break), and the move itself is one event.
hb_prepare() {
	local gw=$RA_IN4 dev=xa mac=$HB_MAC_A
	[[ $1 == b ]] && gw=$RB_IN4 dev=xb mac=$HB_MAC_B
	HB_METRIC=$((HB_METRIC + 1))
	printf '%s\n' "addr add $(hb_pos_addr "$1")/24 dev $dev" \
		"neigh replace $gw lladdr $mac dev $dev nud permanent" \
		"route add default via $gw dev $dev metric $HB_METRIC" >&"$HB_IPX"
}

# hb_move SCEN RTT LOSS CYCLE: one measured move.  First the end of the
# previous move's dwell, then: d2n (a -> b), n2n (b -> n or n -> b), n2d
# (b -> a): the conntrack table of the router X joins flushed, the new
# position prepared, HB_SETTLE s later X's address on
# the active uplink deleted (RTM_DELADDR; the kernel drops the routes
# through that uplink, the prepared default route takes over); rebind
# (X stays at n): HB_SETTLE s later RA's conntrack table is flushed, X's
# flows get new ports.  Then the wait for convergence (hb_wait).  Appends
# a line to moves.txt and the time spent per phase (ms) to timing.txt.
hb_move() {
	local scen=$1 rtt=$2 loss=$3 cyc=$4 t0u old dev=xa ready to
	HB_MOVES=$((HB_MOVES + 1))
	HB_LAPS='' HB_LAP0=${EPOCHREALTIME/./}
	hb_sleep_until "$HB_DWELL_END"
	hb_lap dwell
	ready=$((${EPOCHREALTIME/./} + HB_SETTLE_US))
	case $scen in
	d2n) to=b ;;
	n2n) [[ $HB_POS == b ]] && to=n || to=b ;;
	n2d) to=a ;;
	rebind) to=$HB_POS ;;
	esac
	if [[ $scen != rebind ]]; then
		# The network X joins keeps no NAT state from X's earlier visits
		# (same 5-tuples, e.g. WireGuard's fixed ports): a new network.
		if [[ $to == b ]]; then
			echo flush >&"$HB_CTFB"
		else
			echo flush >&"$HB_CTF"
		fi
		hb_prepare "$to"
	fi
	old=$(hb_pos_addr "$HB_POS")
	[[ $HB_POS == b ]] && dev=xb
	hb_sleep_until "$ready"
	hb_lap settle
	t0u=${EPOCHREALTIME/./}
	if [[ $scen == rebind ]]; then
		echo flush >&"$HB_CTF"
	else
		echo "addr del $old/24 dev $dev" >&"$HB_IPX"
	fi
	HB_POS=$to
	hb_wait "$t0u" "$rtt"
	hb_lap wait
	echo "$HB_MOVES $cyc $scen $rtt $loss ${t0u}000 0 $HB_CONV $(hb_pos_addr "$to")" >>"$HB_SW/moves.txt"
	echo "move $HB_MOVES $scen$HB_LAPS" >>"$HB_SW/timing.txt"
	if ((HB_CONV >= 0)); then
		echo "#   move $HB_MOVES $scen: converged after $HB_CONV ms;$HB_LAPS"
	else
		hb_err "$HB_SYS move $HB_MOVES ($scen, RTT $rtt ms, loss $loss%): no reply $HB_BOUND s later"
	fi
}

# hb_cycle RTT LOSS CYCLE: the five moves, X direct on a before and after.
hb_cycle() {
	hb_move d2n "$@"
	hb_move n2n "$@"
	hb_move rebind "$@"
	hb_move n2n "$@"
	hb_move n2d "$@"
}

# hb_capture_start: packet captures for the detection time
# (bench/lib/analyze.py): every IPv4 packet X sends from its uplink
# addresses, and every packet between Y and RA's WAN address (X's
# mappings for NAT rebinding).  Kernel timestamps (CLOCK_REALTIME, ns),
# headers only.
hb_capture_start() {
	command -v tcpdump >/dev/null || { hb_log "tcpdump missing: no detection times"; return 0; }
	hb_bg ip netns exec "$NS_X" tcpdump -i any -n -s 64 -Z root --time-stamp-precision=nano \
		-w "$HB_SW/capture-x.pcap" "ip and (src host $X_A4 or src host $X_AN4 or src host $X_B4)" \
		2>"$HB_SW/tcpdump-x.log"
	hb_bg ip netns exec "$NS_Y" tcpdump -i y-wan -n -s 48 -Z root --time-stamp-precision=nano \
		-w "$HB_SW/capture-y.pcap" "ip and host $RA_WAN4" 2>"$HB_SW/tcpdump-y.log"
}

hb_capture_wait() {
	command -v tcpdump >/dev/null || return 0
	if ! busywait 15000 grep -q 'listening on' "$HB_SW/tcpdump-x.log" ||
	   ! busywait 15000 grep -q 'listening on' "$HB_SW/tcpdump-y.log"; then
		hb_err "$HB_SYS: tcpdump did not start"
	fi
}

hb_system_stop() {
	local p pid
	ob_probers_stop
	ob_stop_pids "${HB_PIDS[@]}"
	HB_PIDS=()
	hb_helpers_stop
	# The function tracer ran for the whole system: its buffer holds every
	# move's T0 (bench/lib/analyze.py).
	if ((HB_TRACE_ARMED)); then
		echo 0 >"$OB_TRACE/tracing_on"
		cp "$OB_TRACE/trace" "$HB_SW/trace.txt"
		HB_TRACE_ARMED=0
	fi
	# charon instances shut down in parallel (ns_cleanup waits for each).
	for p in "${SS_RUN:-/nonexistent}"/*/pid; do
		[[ -r $p ]] && read -r pid <"$p" && kill -TERM "$pid" 2>/dev/null
	done
	ns_cleanup
	hb_ss_collect
}

# hb_system NAME: one system through every netem setting.  Wall time per
# phase in timing.txt, the total in HB_WALL[NAME].
hb_system() {
	local name=$1 fn=${1//-/_} rtt loss c rc t0=${EPOCHREALTIME/./} cell_end
	HB_SYS=$name
	HB_SW=$HB_W/$name
	HB_DWELL_END=0
	rm -rf "$HB_SW" && mkdir -p "$HB_SW" || return 1
	printf 'system=%s\nkernel=%s\ninterval_us=%s\n' "$name" "$(uname -r)" "$HB_INTERVAL" >"$HB_SW/params"
	: >"$HB_SW/moves.txt"
	: >"$HB_SW/timing.txt"
	hb_log "=== $name: setup"
	HB_LAPS='' HB_LAP0=$t0
	hb_topo || { hb_err "$name: topology failed"; hb_system_stop; return 1; }
	hb_lap topology
	# Captures and helpers start while the system is set up.
	hb_capture_start
	hb_helpers_start
	"sys_${fn}_setup" >>"$HB_SW/setup.log" 2>&1
	rc=$?
	hb_lap setup
	if ((rc)); then
		hb_err "$name: setup failed ($rc), skipped; $HB_SW/setup.log:"
		tail -n 20 "$HB_SW/setup.log" >&2
		echo "setup_failed=$rc" >>"$HB_SW/params"
		hb_system_stop
		HB_WALL[$name]=$(((${EPOCHREALTIME/./} - t0) / 1000000))
		return 1
	fi
	hb_capture_wait
	hb_lap capture
	# ob_probers_* keep their files in OB_W and wait OB_RTT at the end.
	OB_W=$HB_SW OB_RTT=200
	ob_probers_start "$HB_INTERVAL"
	"sys_${fn}_start" >>"$HB_SW/setup.log" 2>&1 || hb_err "$name: start reported an error"
	hb_pinger_start
	((HB_TRACE_OK)) && ob_trace_arm && HB_TRACE_ARMED=1
	ns_sleep 1
	hb_lap start
	echo "system $name$HB_LAPS" >>"$HB_SW/timing.txt"
	hb_log "$name: ready after $(((${EPOCHREALTIME/./} - t0) / 1000)) ms;$HB_LAPS"
	for rtt in "${HB_RTTS[@]}"; do
		for loss in "${HB_LOSSES[@]}"; do
			HB_LAPS='' HB_LAP0=${EPOCHREALTIME/./}
			hb_netem "$rtt" "$loss" || { hb_err "netem failed"; break 2; }
			ns_sleep 0.5
			hb_lap netem
			echo "cell $rtt $loss$HB_LAPS" >>"$HB_SW/timing.txt"
			hb_log "$name: RTT $rtt ms, loss $loss %;$HB_LAPS"
			cell_end=$((${EPOCHREALTIME/./} + HB_CELL_BUDGET * 1000000))
			for ((c = 1; c <= HB_CYCLES; c++)); do
				hb_cycle "$rtt" "$loss" "$c"
				if ((HB_CELL_BUDGET && c < HB_CYCLES && ${EPOCHREALTIME/./} > cell_end)); then
					hb_log "$name: RTT $rtt ms, loss $loss %: time budget used after $c cycles"
					echo "cell $rtt $loss budget_used_after_cycles=$c" >>"$HB_SW/timing.txt"
					break
				fi
			done
		done
	done
	echo "end_ns=${EPOCHREALTIME/./}000" >>"$HB_SW/params"
	HB_LAPS='' HB_LAP0=${EPOCHREALTIME/./}
	hb_system_stop
	hb_lap stop
	echo "system $name$HB_LAPS" >>"$HB_SW/timing.txt"
	HB_WALL[$name]=$(((${EPOCHREALTIME/./} - t0) / 1000000))
	hb_log "=== $name: $((HB_WALL[$name] / 60)) min $((HB_WALL[$name] % 60)) s"
	return 0
}

hb_main() {
	local systems=$HB_ALL_SYSTEMS rtts=20,100 losses=0,5 mode=quick s analyze=1
	local t0=${EPOCHREALTIME/./} total
	HB_CYCLES='' HB_SETTLE='' HB_DWELL='' HB_BOUND='' HB_INTERVAL=2000 HB_CELL_BUDGET=
	bench_init handover "${BASH_SOURCE[0]}" '^# Setup,'
	while (($#)); do
		case $1 in
		--quick) mode=quick; shift ;;
		--full) mode=full; shift ;;
		--cycles) HB_CYCLES=$2; shift 2 ;;
		--systems) systems=$2; shift 2 ;;
		--rtts) rtts=$2; shift 2 ;;
		--losses) losses=$2; shift 2 ;;
		--settle) HB_SETTLE=$2; shift 2 ;;
		--dwell) HB_DWELL=$2; shift 2 ;;
		--bound) HB_BOUND=$2; shift 2 ;;
		--cell-budget) HB_CELL_BUDGET=$2; shift 2 ;;
		--no-analyze) analyze=0; shift ;;
		--interval-us) HB_INTERVAL=$2; shift 2 ;;
		*) bench_opt "$@" || return; shift "$BENCH_SHIFT" ;;
		esac
	done
	[[ -n $HB_CYCLES ]] || { [[ $mode == full ]] && HB_CYCLES=10 || HB_CYCLES=1; }
	[[ -n $HB_SETTLE ]] || HB_SETTLE=1
	[[ -n $HB_DWELL ]] || HB_DWELL=0.5
	[[ -n $HB_BOUND ]] || { [[ $mode == full ]] && HB_BOUND=15 || HB_BOUND=10; }
	[[ -n $HB_CELL_BUDGET ]] || { [[ $mode == full ]] && HB_CELL_BUDGET=180 || HB_CELL_BUDGET=0; }
	IFS=, read -r -a HB_SYSTEMS <<<"$systems"
	IFS=, read -r -a HB_RTTS <<<"$rtts"
	IFS=, read -r -a HB_LOSSES <<<"$losses"
	[[ $HB_CYCLES =~ ^[0-9]+$ && $HB_SETTLE =~ ^[0-9]+(\.[0-9]{1,6})?$ &&
	   $HB_DWELL =~ ^[0-9]+(\.[0-9]{1,6})?$ && $HB_BOUND =~ ^[0-9]+$ && $HB_INTERVAL =~ ^[0-9]+$ &&
	   $HB_CELL_BUDGET =~ ^[0-9]+$ ]] ||
		{ hb_err "numeric arguments expected"; return 2; }
	HB_SETTLE_US=$(hb_us "$HB_SETTLE") HB_DWELL_US=$(hb_us "$HB_DWELL")
	for s in "${HB_SYSTEMS[@]}"; do
		declare -F "sys_${s//-/_}_setup" >/dev/null || { hb_err "unknown system $s"; return 2; }
	done
	bench_vm_check "make bench, or tests/vm/run-vm.sh ... -- bench/handover.sh" || return
	bench_out handover || return 1
	HB_W=$BENCH_OUT
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
		echo "dwell=$HB_DWELL"
		echo "bound=$HB_BOUND"
		echo "cell_budget=$HB_CELL_BUDGET"
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
	total=$(((${EPOCHREALTIME/./} - t0) / 1000000))
	{
		for s in "${HB_SYSTEMS[@]}"; do
			echo "wall_s_$s=${HB_WALL[$s]:-}"
		done
		echo "wall_s_total=$total"
	} >>"$HB_W/run.txt"
	hb_log "wall time per system (s):$(for s in "${HB_SYSTEMS[@]}"; do printf ' %s %s' "$s" "${HB_WALL[$s]:-}"; done); total $total s"
	((analyze)) && python3 "$BENCH_LIB/analyze.py" "$HB_W"
	return 0
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -uo pipefail
	hb_main "$@"
	exit $?
fi
