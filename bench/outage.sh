#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Handover outage benchmark for xfrm_mobility.  Runs INSIDE the test VM:
#
#   make -s modules-all && make -C tools/mobctl && make -C tests/tools
#   tests/vm/run-vm.sh --kernel KREL --ko build/KREL/xfrm_mobility.ko \
#       --out /tmp/outage --timeout 900 -- bench/outage.sh --reps 10 --rtt 100
#
# Usage: bench/outage.sh [--reps N] [--rtt MS] [--interval-us US]
#                        [--settle S] [--out DIR] [--host]
#
#   --reps N         repetitions; each one moves X direct -> NAT B and back
#                    (two measured moves, labelled to-nat_b / to-direct);
#                    default 10
#   --rtt MS         round-trip time between X and Y set with netem (half of
#                    it on each direction of Y's access link, so both of X's
#                    paths have it); default 100
#   --interval-us US probe interval in each direction; default 2000
#   --settle S       time between a completed registration and the next
#                    move; default 2
#   --out DIR        where results go (default: $XM_OUT/outage-<rtt>ms in
#                    the VM, else a new directory in /tmp)
#   --host           allow running outside the test VM (creates network
#                    namespaces and loads the module on this machine)
#
# Setup: the selftest topology (tests/selftests/lib/netns.sh), the
# ESP-in-UDP tunnel X <-> Y on the direct path (mob_tunnel udp), a mobile
# connection on X and a gateway connection on Y, netem delay RTT/2 on
# y-wan (Y -> core) and on c-y (core -> Y), checked with ping (outer and
# inner).  The routers' and Y's neighbour entries across the delayed link
# are static (ARP would cross netem and hold first packets for one RTT),
# X's first hops are resolved once at setup.  Probers (tests/tools/prober.c) send one sequence-numbered probe
# every --interval-us in both directions between the inner addresses
# (X 10.99.0.2 -> Y 10.88.0.1:9001, Y -> X 10.99.0.2:9002); the receivers
# record kernel receive timestamps.
#
# A move is make-before-break, as ns_move_x: both uplinks stay up and X's
# default routes (IPv4 first, then IPv6) are replaced by one "ip -batch";
# the same subshell then execs "mobctl handover name home" (in a deployment
# the daemon would do this on the routing event).
#
# T0 (the time of the move) is a kernel timestamp: the entry of
# fib_table_insert() for the replacement of X's IPv4 default route, taken by
# the ftrace function tracer with trace_clock "boot" (CLOCK_BOOTTIME, the
# clock of the module's event time-ns; microsecond resolution).  It is the
# moment the kernel changes the route and emits the RTM_NEWROUTE that a
# daemon would react to.  Without ftrace, T0 falls back to the userspace
# receive time of that RTM_NEWROUTE ("ip -ts monitor route" in X, column
# t0_src = rtnl), then to X's sa-moved event (t0_src = sa-moved, detection
# 0).
#
# Per move and direction (probe times: sender's CLOCK_MONOTONIC, receiver's
# kernel stamp, same clock; shifted to BOOTTIME with the offset the prober
# records; the window of a move is [T0-0.5 s, next T0-0.5 s)):
#   outage    T0 -> kernel receive time of the first probe delivered on the
#             new path.  X->Y: the first received probe sent after T0 (X's
#             packets take the new route at once, and Y's kernel accepts
#             ESP for its inbound SA from any outer source).  Y->X: the
#             first received probe sent after Y's rreq-received event (Y's
#             packets can take the new path only once Y has moved its SAs;
#             without that event: the first received probe sent after the
#             last lost one).
#   lost      probes of the window never received (send errors included)
#   gap       longest time without any delivery in the window (includes
#             the sender's scheduling stalls)
# plus the handover's own times from the module events (matched by the
# registration seq): detection = T0 -> X's rreq-sent (here the exec of
# mobctl, 0.2-0.8 s under TCG), T0 -> X's sa-moved (the module moves X's
# SAs, emits sa-moved, then sends the RREQ and emits rreq-sent: under TCG
# the RREQ may leave up to ~30 ms before the rreq-sent stamp, so sa-moved
# is the request's time), T0 -> Y's sa-moved, T0 -> X's rrep-received
# (registered), the Y->X outage after X's SA move (first new-path probe -
# X's sa-moved, i.e. without the detection delay), and the projection
# "userspace route event + Y->X outage after X's SA move" for a daemon
# triggered by RTM_NEWROUTE.
#
# Noise floor: the longest delivery gap per direction in quiet windows
# (no move near); under TCG the probers stall for 30-60 ms now and then,
# which bounds the resolution of every number above.
#
# Physical limits with instant detection: X->Y one one-way delay (X's next
# packet uses the new path), Y->X one RTT (the request must reach Y, then
# Y's packets must reach X).  The script reports the nominal values and
# the measured ones (median one-way delays of the probes before the first
# move; under TCG they include the emulated crypto).
#
# Output: $OUT/outage.csv (one line per move, also printed), summary on
# stdout and in $OUT/summary.txt, raw data (probe logs, events, traces) in
# $OUT.  Exit status: 0 if every handover registered, 1 otherwise, 2 usage,
# 4 skipped (module not loadable).
#
# This file is also a library: scripts/demo.sh sources it (nothing runs
# when sourced) and uses the ob_* functions.

# shellcheck source-path=SCRIPTDIR/..
# shellcheck disable=SC2317 # functions called indirectly (traps, OB_TUNNEL_FN)

# shellcheck source=bench/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh" vm

PROBER=${PROBER:-$BENCH_REPO/build/tools/prober}
OB_PORT_XY=9001
OB_PORT_YX=9002
OB_CONN=home
# Function that installs the SA pair of the tunnel (swap for IKE later).
OB_TUNNEL_FN=${OB_TUNNEL_FN:-ob_tunnel_ipxfrm}

OB_W=''            # work directory (results)
OB_RTT=100
OB_INTERVAL=2000
OB_PIDS=()         # background processes to stop at the end
OB_PROBER_PIDS=()  # senders first, then receivers
OB_TRACE=''        # tracefs directory when the function tracer works
OB_MOVES=0
OB_FAILED=0

ob_log() { echo "# $*"; }
ob_err() { echo "outage: $*" >&2; }

# ob_tunnel_ipxfrm: the ESP-in-UDP SA pairs with ip xfrm, X on the direct
# path, and the connections on both sides.
ob_tunnel_ipxfrm() {
	mob_tunnel udp || return
	mobctl -n "$NS_X" conn add name "$OB_CONN" reqid 1 role mobile >/dev/null || return
	mobctl -n "$NS_Y" conn add name "$OB_CONN" reqid 1 role gateway >/dev/null
}

# ob_setup RTT_MS: module, topology, tunnel, connections, netem.
ob_setup() {
	OB_RTT=$1
	mob_load
	case $? in
	0) ;;
	4) ob_err "module not loaded and XM_KO unset"; return 4 ;;
	*) ob_err "cannot load $XM_KO"; return 4 ;;
	esac
	[[ -x $PROBER ]] || { ob_err "no prober at $PROBER (make -C tests/tools)"; return 2; }
	[[ -x $MOBCTL ]] || { ob_err "no mobctl at $MOBCTL (make -C tools/mobctl)"; return 2; }
	ns_topo_mobility >"$OB_W/setup.log" 2>&1 || { ob_err "topology failed"; cat "$OB_W/setup.log" >&2; return 1; }
	"$OB_TUNNEL_FN" >>"$OB_W/setup.log" 2>&1 || { ob_err "tunnel setup failed"; cat "$OB_W/setup.log" >&2; return 1; }
	ob_static_neigh || { ob_err "static neighbours failed"; return 1; }
	ob_netem "$OB_RTT" || { ob_err "netem failed"; return 1; }
	busywait 10000 mob_ping_x2y || { ob_err "no traffic through the tunnel"; return 1; }
	# X's first hops on both uplinks resolved, as on configured uplinks:
	# the first move would otherwise wait for ARP on the new one.
	ns_ping "$NS_X" "$RA_IN4"
	ns_ping "$NS_X" "$RB_IN4"
	return 0
}

# ob_mac NS DEV: the MAC address of DEV.
ob_mac() {
	local line f
	line=$(ip -n "$1" -br link show dev "$2") || return
	for f in $line; do
		[[ $f =~ ^([0-9a-f]{2}:){5}[0-9a-f]{2}$ ]] && { echo "$f"; return 0; }
	done
	return 1
}

# ob_static_neigh: permanent neighbour entries between the routers and Y.
# The netem delay sits on Y's access link, which ARP would cross too: a
# router resolving Y (or Y resolving a router it has not talked to) would
# hold the first packets for one RTT, an artefact of the emulation (a real
# WAN delay lies beyond the first hop's layer 2).  X's own first hops stay
# dynamic (no netem there; ob_setup resolves them once).
ob_static_neigh() {
	local ra rb y
	ra=$(ob_mac "$NS_RA" ra-wan) && rb=$(ob_mac "$NS_RB" rb-wan) && y=$(ob_mac "$NS_Y" y-wan) || return
	ns_ipb "$NS_Y" <<EOF || return
neigh replace $RA_WAN4 lladdr $ra dev y-wan nud permanent
neigh replace $RB_WAN4 lladdr $rb dev y-wan nud permanent
EOF
	ip -n "$NS_RA" neigh replace "$Y_WAN4" lladdr "$y" dev ra-wan nud permanent &&
		ip -n "$NS_RB" neigh replace "$Y_WAN4" lladdr "$y" dev rb-wan nud permanent
}

# ob_netem RTT_MS: RTT/2 on both directions of Y's access link.
ob_netem() {
	local half=$(($1 * 500))
	ns_netem "$NS_Y" y-wan delay "${half}us" limit 100000 &&
		ns_netem "$NS_CORE" c-y delay "${half}us" limit 100000
}

# ob_ping NS SRC DST: "avg" RTT in ms of 5 pings (0.2 s apart), or "-".
ob_ping() {
	local out re='= [0-9.]+/([0-9.]+)/'
	out=$(ip netns exec "$1" ping -n -q -c 5 -i 0.2 -W 2 -I "$2" "$3" 2>&1)
	[[ $out =~ $re ]] && echo "${BASH_REMATCH[1]}" || echo -
}

# ob_verify_rtt: ping the outer and the inner path, log and store.
ob_verify_rtt() {
	local outer inner
	outer=$(ob_ping "$NS_X" "$X_A4" "$Y_WAN4")
	inner=$(ob_ping "$NS_X" "$X_INNER4" "$Y_INNER4")
	echo "ping_outer_ms=$outer" >>"$OB_W/params"
	echo "ping_inner_ms=$inner" >>"$OB_W/params"
	ob_log "RTT check (ping, 5 probes): outer X->Y ${outer} ms, inner (ESP) ${inner} ms, netem ${OB_RTT} ms"
}

# ob_monitors_start: mobctl -j monitor on X and Y, ip monitor route on X.
ob_monitors_start() {
	ip netns exec "$NS_X" "$MOBCTL" -j monitor >"$OB_W/events-x.jsonl" 2>"$OB_W/monitor-x.err" &
	OB_PIDS+=($!)
	ip netns exec "$NS_Y" "$MOBCTL" -j monitor >"$OB_W/events-y.jsonl" 2>"$OB_W/monitor-y.err" &
	OB_PIDS+=($!)
	ip -n "$NS_X" -ts monitor route >"$OB_W/rtnl-x.txt" 2>&1 &
	OB_PIDS+=($!)
}

# ob_probers_start INTERVAL_US: receivers, then senders, both directions.
ob_probers_start() {
	OB_INTERVAL=$1
	ip netns exec "$NS_Y" "$PROBER" recv --bind "$Y_INNER4:$OB_PORT_XY" --duration 0 \
		--out "$OB_W/probes-x2y.txt" 2>"$OB_W/prober-recv-y.log" &
	local r1=$!
	ip netns exec "$NS_X" "$PROBER" recv --bind "$X_INNER4:$OB_PORT_YX" --duration 0 \
		--out "$OB_W/probes-y2x.txt" 2>"$OB_W/prober-recv-x.log" &
	local r2=$!
	ip netns exec "$NS_X" "$PROBER" send --src "$X_INNER4" --dst "$Y_INNER4:$OB_PORT_XY" \
		--interval-us "$OB_INTERVAL" --duration 0 --out "$OB_W/senderr-x2y.txt" \
		2>"$OB_W/prober-send-x.log" &
	local s1=$!
	ip netns exec "$NS_Y" "$PROBER" send --src "$Y_INNER4" --dst "$X_INNER4:$OB_PORT_YX" \
		--interval-us "$OB_INTERVAL" --duration 0 --out "$OB_W/senderr-y2x.txt" \
		2>"$OB_W/prober-send-y.log" &
	local s2=$!
	OB_PROBER_PIDS=("$s1" "$s2" "$r1" "$r2")
}

# ob_probers_stop: senders, then (after the last probes arrived) receivers.
ob_probers_stop() {
	((${#OB_PROBER_PIDS[@]})) || return 0
	kill -TERM "${OB_PROBER_PIDS[0]}" "${OB_PROBER_PIDS[1]}" 2>/dev/null
	wait "${OB_PROBER_PIDS[0]}" "${OB_PROBER_PIDS[1]}" 2>/dev/null
	ns_sleep "$(awk -v r="$OB_RTT" 'BEGIN { printf "%.2f", r / 1000 + 0.3 }')"
	kill -TERM "${OB_PROBER_PIDS[2]}" "${OB_PROBER_PIDS[3]}" 2>/dev/null
	wait "${OB_PROBER_PIDS[2]}" "${OB_PROBER_PIDS[3]}" 2>/dev/null
	OB_PROBER_PIDS=()
}

# ob_stop_pids PID...: SIGTERM to each, then reap them.
ob_stop_pids() {
	local p
	for p; do
		kill -TERM "$p" 2>/dev/null
	done
	for p; do
		wait "$p" 2>/dev/null
	done
}

ob_stop_all() {
	ob_probers_stop
	ob_stop_pids "${OB_PIDS[@]}"
	OB_PIDS=()
	ob_trace_fini
	# XfrmOutStateInvalid etc.: packets the kernel dropped around the moves.
	if [[ -n $OB_W && -n ${NS_X:-} && ! -e $OB_W/xfrm_stat-x.txt ]]; then
		ip netns exec "$NS_X" cat /proc/net/xfrm_stat >"$OB_W/xfrm_stat-x.txt" 2>&1
		ip netns exec "$NS_Y" cat /proc/net/xfrm_stat >"$OB_W/xfrm_stat-y.txt" 2>&1
	fi
}

# --- T0 from ftrace ---------------------------------------------------------

# ob_trace_init: the function tracer on OB_TRACE_FUNCS (default
# fib_table_insert; a space-separated list of traceable functions).
ob_trace_init() {
	local t
	for t in /sys/kernel/tracing /sys/kernel/debug/tracing; do
		[[ -w $t/set_ftrace_filter && -w $t/trace_clock ]] && break
		t=
	done
	[[ -n $t ]] || { ob_log "no tracefs: T0 from the userspace route event"; return 1; }
	{
		echo 0 >"$t/tracing_on" &&
			echo boot >"$t/trace_clock" &&
			echo "${OB_TRACE_FUNCS:-fib_table_insert}" >"$t/set_ftrace_filter" &&
			echo 256 >"$t/buffer_size_kb" &&
			echo function >"$t/current_tracer" &&
			: >"$t/trace"
	} 2>/dev/null || {
		ob_log "function tracer unusable: T0 from the userspace route event"
		echo nop >"$t/current_tracer" 2>/dev/null
		return 1
	}
	OB_TRACE=$t
}

ob_trace_arm() {
	[[ -n $OB_TRACE ]] || return 0
	: >"$OB_TRACE/trace"
	echo 1 >"$OB_TRACE/tracing_on"
}

# ob_trace_t0 FILE: stop tracing, save the trace to FILE and print the
# BOOTTIME ns of the first fib_table_insert, or nothing.
ob_trace_t0() {
	local line re='[[:space:]]([0-9]+)\.([0-9]{6}):[[:space:]]+fib_table_insert'
	[[ -n $OB_TRACE ]] || return 0
	echo 0 >"$OB_TRACE/tracing_on"
	cp "$OB_TRACE/trace" "$1" 2>/dev/null || return 0
	while IFS= read -r line; do
		if [[ $line =~ $re ]]; then
			echo "${BASH_REMATCH[1]}${BASH_REMATCH[2]}000"
			return 0
		fi
	done <"$1"
}

ob_trace_fini() {
	[[ -n $OB_TRACE ]] || return 0
	echo 0 >"$OB_TRACE/tracing_on"
	echo nop >"$OB_TRACE/current_tracer"
	: >"$OB_TRACE/set_ftrace_filter"
	echo local >"$OB_TRACE/trace_clock"
	OB_TRACE=
}

# --- moves -------------------------------------------------------------------

# ob_count FILE TYPE: sets OB_N to the number of events of TYPE in FILE.
ob_count() {
	local line
	OB_N=0
	[[ -r $1 ]] || return 0
	while IFS= read -r line; do
		[[ $line == *"\"type\":\"$2\""* ]] && OB_N=$((OB_N + 1))
	done <"$1"
}

# ob_wait_event FILE TYPE COUNT TIMEOUT_MS: until FILE has more than COUNT
# events of TYPE; fails early on a new failure event.
ob_wait_event() {
	local f=$1 type=$2 n0=$3 tmo=$4 fails0 start=${EPOCHREALTIME/./}
	ob_count "$f" failure
	fails0=$OB_N
	while :; do
		ob_count "$f" "$type"
		((OB_N > n0)) && return 0
		ob_count "$f" failure
		((OB_N > fails0)) && return 1
		(((${EPOCHREALTIME/./} - start) / 1000 >= tmo)) && return 1
		ns_sleep 0.02
	done
}

# ob_move MODE REP LABEL: move X (direct|nat_b) and trigger the handover;
# appends "index rep label t0_ns t0_src rc" to moves.txt and waits until
# X is registered (or 15 s).  Returns 0 when registered.
ob_move() {
	local mode=$1 rep=$2 label=$3 gw4 gw6 dev n0 t0 src=ftrace rc
	case $mode in
	direct) gw4=$RA_IN4 gw6=$RA_IN6 dev=xa ;;
	nat_b) gw4=$RB_IN4 gw6=$RB_IN6 dev=xb ;;
	*) ob_err "ob_move: direct or nat_b"; return 2 ;;
	esac
	OB_MOVES=$((OB_MOVES + 1))
	printf 'route replace default via %s dev %s\nroute replace default via %s dev %s\n' \
		"$gw4" "$dev" "$gw6" "$dev" >"$OB_W/move.batch"
	ob_count "$OB_W/events-x.jsonl" rrep-received
	n0=$OB_N
	ob_trace_arm
	# One subshell (forked before T0): the route change, then exec mobctl.
	(ip -n "$NS_X" -b "$OB_W/move.batch" && exec "$MOBCTL" -n "$NS_X" handover name "$OB_CONN") \
		>"$OB_W/move-$OB_MOVES.out" 2>&1
	rc=$?
	t0=$(ob_trace_t0 "$OB_W/trace-$OB_MOVES.txt")
	[[ -n $t0 ]] || { t0=0 src=rtnl; }
	# shellcheck disable=SC2034 # netns.sh's record of X's position
	X_MODE=$mode
	if ((rc == 0)) && ob_wait_event "$OB_W/events-x.jsonl" rrep-received "$n0" 15000; then
		rc=0
	else
		((rc)) || rc=1
		OB_FAILED=$((OB_FAILED + 1))
		ob_err "move $OB_MOVES ($label): handover did not complete: $(cat "$OB_W/move-$OB_MOVES.out")"
	fi
	echo "$OB_MOVES $rep $label $t0 $src $rc" >>"$OB_W/moves.txt"
	return "$rc"
}

# ob_analyze [--story]: outage.csv, and the summary (or with --story the
# first move's timeline) from the work directory.
# shellcheck disable=SC2120 # --story is passed by scripts/demo.sh
ob_analyze() {
	python3 "$BENCH_LIB/outage_analysis.py" "$OB_W" "$@"
}

# ob_begin DIR RTT INTERVAL: work directory and parameters.
ob_begin() {
	OB_W=$1
	mkdir -p "$OB_W" || return
	rm -f "$OB_W"/{moves.txt,params,outage.csv,summary.txt,story.txt} "$OB_W"/trace-*.txt "$OB_W"/move-*.out
	: >"$OB_W/moves.txt"
	printf 'rtt_ms=%s\ninterval_us=%s\nkernel=%s\n' "$2" "$3" "$(uname -r)" >"$OB_W/params"
	OB_RTT=$2
	OB_INTERVAL=$3
}

ob_cleanup() {
	ob_stop_all
	ns_cleanup
}

ob_main() {
	local reps=10 rtt=100 interval=2000 settle=2 rep rc
	bench_init outage "${BASH_SOURCE[0]}" '^# Setup:'
	while (($#)); do
		case $1 in
		--reps) reps=$2; shift 2 ;;
		--rtt) rtt=$2; shift 2 ;;
		--interval-us) interval=$2; shift 2 ;;
		--settle) settle=$2; shift 2 ;;
		*) bench_opt "$@" || return; shift "$BENCH_SHIFT" ;;
		esac
	done
	[[ $reps =~ ^[0-9]+$ && $rtt =~ ^[0-9]+$ && $interval =~ ^[0-9]+$ && $settle =~ ^[0-9.]+$ ]] ||
		{ ob_err "numeric arguments expected"; return 2; }
	((rtt >= 2)) || { ob_err "--rtt must be at least 2 ms"; return 2; }
	bench_vm_check || return
	bench_out "outage-${rtt}ms" || return 1
	ob_begin "$(mktemp -d /tmp/outage-work.XXXXXX)" "$rtt" "$interval" || return 1
	trap 'ob_cleanup' EXIT

	ob_log "outage benchmark on $(uname -r): $reps reps, RTT $rtt ms, probe every $interval us"
	ob_setup "$rtt" || return
	ob_verify_rtt
	ob_trace_init
	ob_monitors_start
	ob_probers_start "$interval"
	# Both directions must flow before the first move.
	ns_sleep 1.5
	ns_sleep "$settle"

	rc=0
	for ((rep = 1; rep <= reps; rep++)); do
		ob_move nat_b "$rep" to-nat_b || rc=1
		ns_sleep "$settle"
		ob_move direct "$rep" to-direct || rc=1
		ns_sleep "$settle"
		ob_log "rep $rep/$reps done"
	done
	ob_stop_all
	# shellcheck disable=SC2119
	ob_analyze
	bench_finish "$OB_W"
	((OB_FAILED == 0)) || { ob_err "$OB_FAILED handover(s) failed"; rc=1; }
	return "$rc"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -uo pipefail
	ob_main "$@"
	exit $?
fi
