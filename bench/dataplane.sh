#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Data-plane cost of xfrm_mobility: throughput and packet rate through the
# same ESP tunnel with the module managing it, loaded but idle, and not
# loaded.  Runs INSIDE the test VM:
#
#   make -s modules-all && make -C tools/mobctl
#   tests/vm/run-vm.sh --kernel KREL --ko build/KREL/xfrm_mobility.ko \
#       --out /tmp/dataplane --timeout 1500 -- bench/dataplane.sh --reps 5
#
# Usage: bench/dataplane.sh [--reps N] [--time S] [--encap udp|none]
#                           [--udp-len BYTES] [--out DIR] [--host]
#
#   --reps N         repetitions of the three configurations, interleaved
#                    (managed, idle, unloaded, managed, ...); default 5
#   --time S         length of each iperf3 run; default 5
#   --encap E        udp: ESP-in-UDP SAs (default), none: plain ESP
#   --udp-len BYTES  UDP payload of the packet-rate test; default 64
#   --out DIR        where results go (default: $XM_OUT/dataplane in the
#                    VM, else a new directory in /tmp)
#   --host           allow running outside the test VM
#
# Setup: the selftest topology (tests/selftests/lib/netns.sh) and ESP
# tunnel X <-> Y on the direct path (mob_tunnel, reqid 1), no netem, and
# with ESP-in-UDP a socket holding port 4500 on X and Y (as an IKE daemon's
# would) so that decapsulation does not depend on the module.  One
# iperf3 server on Y's inner address; the client on X's inner address, so
# every packet is encrypted by X and decrypted by Y (and the TCP ACKs the
# other way).
#
# Configurations (one "rep" runs each once, in this order):
#   managed   module loaded, a mobile connection on X and a gateway
#             connection on Y managing the tunnel's SAs
#   idle      module loaded, no connection (its ESP receive hook runs but
#             finds no managed SA)
#   unloaded  module not loaded (stock XFRM)
# Each configuration runs two tests: TCP X->Y (bulk throughput, Mbit/s
# received) and UDP X->Y with --udp-len byte payloads sent as fast as the
# sender can (packets per second received by Y, and the loss).  A warm-up
# run precedes the first rep (crypto modules, neighbour entries).
#
# Output: $OUT/dataplane.csv (one line per run), $OUT/summary.md (median
# per configuration and the ratio to "unloaded", with min/max), raw iperf3
# JSON in $OUT/raw/.  Numbers under QEMU/TCG are far below native ones and
# noisy; compare the configurations of one run, which share the noise.
# Exit status: 0, or 1 if a run failed, 2 usage, 4 skipped.

# shellcheck source-path=SCRIPTDIR/..
# shellcheck source=bench/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh" vm

DP_W=''
DP_PORT=5201
DP_FAILED=0

dp_log() { echo "# $*"; }
dp_err() { echo "dataplane: $*" >&2; }

# dp_encap_sock NS: hold a UDP_ENCAP_ESPINUDP socket on port 4500, as an
# IKE daemon does.  Without it nothing decapsulates ESP-in-UDP once the
# module (whose own socket stands in only while it manages a connection
# and the port is free) is idle or gone; with it the module uses none of
# its own, in every configuration alike.
dp_encap_sock() {
	ip netns exec "$1" python3 "$BENCH_LIB/encap_sock.py" &
	ns_cleanup_add "kill $!"
}

# dp_config managed|idle|unloaded: bring the module into that state.
dp_config() {
	case $1 in
	managed)
		mob_load || return
		mobctl -n "$NS_X" conn del name dp 2>/dev/null
		mobctl -n "$NS_Y" conn del name dp 2>/dev/null
		mobctl -n "$NS_X" conn add name dp reqid 1 role mobile >/dev/null &&
			mobctl -n "$NS_Y" conn add name dp reqid 1 role gateway >/dev/null
		;;
	idle)
		mob_load || return
		mobctl -n "$NS_X" conn del name dp 2>/dev/null
		mobctl -n "$NS_Y" conn del name dp 2>/dev/null
		[[ -z $(mobctl -n "$NS_Y" show dump 2>/dev/null) ]]
		;;
	unloaded)
		mob_unload && [[ ! -d /sys/module/xfrm_mobility ]]
		;;
	esac
}

# dp_iperf NAME ARGS...: one client run from X into $DP_W/raw/NAME.json.
dp_iperf() {
	local name=$1
	shift
	ip netns exec "$NS_X" iperf3 -c "$Y_INNER4" -B "$X_INNER4" -p "$DP_PORT" -J "$@" \
		>"$DP_W/raw/$name.json" 2>"$DP_W/raw/$name.err"
}

# dp_analyze: dataplane.csv and summary.md from the raw iperf3 results.
dp_analyze() {
	python3 "$BENCH_LIB/dataplane_report.py" "$DP_W"
}

dp_cleanup() {
	ns_cleanup
}

dp_main() {
	local reps=5 time=5 encap=udp udp_len=64 rep c
	bench_init dataplane "${BASH_SOURCE[0]}" '^# Setup:'
	while (($#)); do
		case $1 in
		--reps) reps=$2; shift 2 ;;
		--time) time=$2; shift 2 ;;
		--encap) encap=$2; shift 2 ;;
		--udp-len) udp_len=$2; shift 2 ;;
		*) bench_opt "$@" || return; shift "$BENCH_SHIFT" ;;
		esac
	done
	[[ $reps =~ ^[0-9]+$ && $time =~ ^[0-9]+$ && $udp_len =~ ^[0-9]+$ ]] ||
		{ dp_err "numeric arguments expected"; return 2; }
	[[ $encap == udp || $encap == none ]] || { dp_err "--encap udp or none"; return 2; }
	command -v iperf3 >/dev/null || { dp_err "iperf3 missing (scripts/deps.sh)"; return 4; }
	vb_start || return
	DP_W=$VB_W
	mkdir -p "$DP_W/raw"
	vb_params "reps=$reps" "time=$time" "encap=$encap" "udp_len=$udp_len"
	trap dp_cleanup EXIT
	ns_topo_mobility >"$DP_W/setup.log" 2>&1 || { dp_err "topology failed"; cat "$DP_W/setup.log" >&2; return 1; }
	if [[ $encap == udp ]]; then
		dp_encap_sock "$NS_X"
		dp_encap_sock "$NS_Y"
	fi
	mob_tunnel "$encap" >>"$DP_W/setup.log" 2>&1 || { dp_err "tunnel failed"; cat "$DP_W/setup.log" >&2; return 1; }
	busywait 10000 mob_ping_x2y || { dp_err "no traffic through the tunnel"; return 1; }
	ip netns exec "$NS_Y" iperf3 -s -B "$Y_INNER4" -p "$DP_PORT" >"$DP_W/server.log" 2>&1 &
	ns_cleanup_add "kill $!"
	ns_sleep 1

	dp_log "data plane on $(uname -r): $reps reps x 3 configurations x (TCP, UDP ${udp_len} B), ${time} s each, encap $encap"
	dp_config managed || { dp_err "cannot set up the connections"; return 1; }
	dp_iperf warmup-tcp -t 1 || dp_err "warm-up run failed"
	dp_iperf warmup-udp -t 1 -u -b 0 -l "$udp_len" || true
	for ((rep = 1; rep <= reps; rep++)); do
		for c in managed idle unloaded; do
			dp_config "$c" || { dp_err "cannot switch to $c"; DP_FAILED=$((DP_FAILED + 1)); continue; }
			dp_iperf "r$rep-$c-tcp" -t "$time" || { dp_err "rep $rep $c tcp failed"; DP_FAILED=$((DP_FAILED + 1)); }
			dp_iperf "r$rep-$c-udp" -t "$time" -u -b 0 -l "$udp_len" ||
				{ dp_err "rep $rep $c udp failed"; DP_FAILED=$((DP_FAILED + 1)); }
		done
		dp_log "rep $rep/$reps done"
	done
	dp_analyze
	bench_finish "$DP_W"
	((DP_FAILED == 0))
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -uo pipefail
	dp_main "$@"
	exit $?
fi
