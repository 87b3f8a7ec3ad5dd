#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Outage of each encapsulation switch of xfrm_mobility ("encap auto").
# Runs INSIDE the test VM:
#
#   make -s modules-all && make -C tools/mobctl && make -C tests/tools
#   tests/vm/run-vm.sh --kernel KREL --ko build/KREL/xfrm_mobility.ko \
#       --out /tmp/sw --timeout 900 -- bench/switch-outage.sh --reps 3 --rtt 100
#
# Usage: bench/switch-outage.sh [--reps N] [--rtt MS] [--interval-us US]
#                               [--settle S] [--out DIR] [--host]
#
#   --reps N         repetitions of the cycle below; default 3
#   --rtt MS         netem round-trip time between X and Y; default 100
#   --interval-us US probe interval in each direction; default 2000
#   --settle S       quiet time after each switch completed; default 2
#   --out DIR        results (default: $XM_OUT/switch-outage-<rtt>ms in the
#                    VM, else a new directory in /tmp)
#   --host           allow running outside the test VM
#
# Setup: that of bench/outage.sh (its ob_* functions are reused): the
# selftest topology, the ESP-in-UDP SA pair, a mobile and a gateway
# connection with the default "encap auto", netem RTT/2 on each direction
# of Y's access link, probers both ways between the inner addresses.
# First X registers at its direct address without moving ("first": the
# direct path goes from ESP-in-UDP to plain ESP after a registration),
# then each repetition runs
#
#   nat->direct   move from NAT B to the direct path: ESP-in-UDP -> plain
#   direct->nat   move into NAT B: plain ESP -> ESP-in-UDP
#   nat->direct   again (plain ESP again)
#   fallback      router A starts dropping ESP (nft): the mobile host falls
#                 back to ESP-in-UDP (3 s without input) and re-registers;
#                 then ESP passes again
#   reset         move into NAT B (ESP-in-UDP -> ESP-in-UDP, not measured)
#
# Moves are made as bench/outage.sh makes them (route change, then
# "mobctl handover"; T0 = the kernel's route change, from ftrace when
# available). The fallback's T0 is the moment the drop rule is in place.
#
# Per switch and direction, over [T0 - 0.3 s, next T0 - 0.3 s):
#   gap       longest time without any probe delivered (the outage; it
#             includes the sender's scheduling stalls, see the noise floor)
#   lost      probes never delivered
# and, for moves that end in plain ESP, the same around the moment each
# sender switched its outbound SA to plain ESP (X: plain copy confirmed,
# Y: probe acknowledged; encap-changed events), window [-0.3 s, +1 s):
# whether the encapsulation switch itself costs anything.
# Times are in ms and in units of the netem RTT.
#
# Output: $OUT/switch.csv (one line per switch and direction), summary on
# stdout and in $OUT/summary.txt, raw data in $OUT. Exit status: 0 when
# every switch completed, 1 otherwise, 2 usage, 4 skipped.

# shellcheck source-path=SCRIPTDIR/..
# shellcheck source=bench/outage.sh
. "$(dirname "${BASH_SOURCE[0]}")/outage.sh"

SW_FAILED=0

sw_err() { echo "switch-outage: $*" >&2; }

# sw_realtime_ns: CLOCK_REALTIME in ns (the analysis maps it to BOOTTIME
# with the offsets the probers record).
sw_realtime_ns() { echo "${EPOCHREALTIME/./}000"; }

# sw_mark LABEL: an event whose T0 is now (userspace realtime).
sw_mark() {
	echo "$1 $(sw_realtime_ns)" >>"$OB_W/marks.txt"
}

# sw_move MODE LABEL: a move as bench/outage.sh makes it.
sw_move() {
	ob_move "$1" "$SW_REP" "$2" || SW_FAILED=$((SW_FAILED + 1))
	ns_sleep "$SW_SETTLE"
}

# sw_x_out_is ENCAP: X's outbound SA encapsulation.
sw_x_out_is() { mob_field_is "$NS_X" out 10 "$1"; }
sw_y_out_is() { mob_field_is "$NS_Y" out 10 "$1"; }
sw_outs_are() { sw_x_out_is "$1" && sw_y_out_is "$1"; }

# sw_fallback: block ESP at router A until X fell back and registered.
sw_fallback() {
	local n0
	ob_count "$OB_W/events-x.jsonl" rrep-received
	n0=$OB_N
	ip netns exec "$NS_RA" nft -f - <<'EOT'
table inet xm_sw {
	chain xm_forward {
		type filter hook forward priority 0; policy accept;
		ip protocol esp drop
	}
}
EOT
	sw_mark "fallback"
	if ! ob_wait_event "$OB_W/events-x.jsonl" rrep-received "$n0" 20000 ||
	   ! busywait 10000 sw_outs_are espinudp; then
		SW_FAILED=$((SW_FAILED + 1))
		sw_err "fallback did not complete: $(mobctl -n "$NS_X" show)"
	fi
	ns_sleep "$SW_SETTLE"
	ip netns exec "$NS_RA" nft delete table inet xm_sw
	sw_mark "unblock"
}

# sw_analyze: switch.csv and the summary from the work directory.
sw_analyze() {
	python3 "$BENCH_LIB/switch_analysis.py" "$OB_W"
}

sw_main() {
	local reps=3 rtt=100 interval=2000
	SW_SETTLE=2
	bench_init switch-outage "${BASH_SOURCE[0]}" '^# Setup:'
	while (($#)); do
		case $1 in
		--reps) reps=$2; shift 2 ;;
		--rtt) rtt=$2; shift 2 ;;
		--interval-us) interval=$2; shift 2 ;;
		--settle) SW_SETTLE=$2; shift 2 ;;
		*) bench_opt "$@" || return; shift "$BENCH_SHIFT" ;;
		esac
	done
	[[ $reps =~ ^[0-9]+$ && $rtt =~ ^[0-9]+$ && $interval =~ ^[0-9]+$ && $SW_SETTLE =~ ^[0-9.]+$ ]] ||
		{ sw_err "numeric arguments expected"; return 2; }
	((rtt >= 2)) || { sw_err "--rtt must be at least 2 ms"; return 2; }
	bench_vm_check || return
	bench_out "switch-outage-${rtt}ms" || return 1
	ob_begin "$(mktemp -d /tmp/switch-work.XXXXXX)" "$rtt" "$interval" || return 1
	: >"$OB_W/marks.txt"
	trap 'ob_cleanup' EXIT

	ob_log "switch outage benchmark on $(uname -r): $reps reps, RTT $rtt ms, probe every $interval us"
	ob_setup "$rtt" || return
	ob_verify_rtt
	ob_trace_init
	ob_monitors_start
	ob_probers_start "$interval"
	ns_sleep 2

	SW_REP=0
	# The direct path, ESP-in-UDP -> plain ESP after a registration.
	sw_move direct first
	busywait 10000 sw_outs_are none || { SW_FAILED=$((SW_FAILED + 1)); sw_err "first: not plain"; }
	sw_move nat_b reset
	for ((SW_REP = 1; SW_REP <= reps; SW_REP++)); do
		sw_move direct nat-to-direct
		busywait 10000 sw_outs_are none || { SW_FAILED=$((SW_FAILED + 1)); sw_err "nat-to-direct: not plain"; }
		sw_move nat_b direct-to-nat
		sw_move direct nat-to-direct
		busywait 10000 sw_outs_are none || { SW_FAILED=$((SW_FAILED + 1)); sw_err "nat-to-direct: not plain"; }
		sw_fallback
		sw_move nat_b reset
		ob_log "rep $SW_REP/$reps done"
	done
	ob_stop_all
	sw_analyze
	bench_finish "$OB_W"
	((SW_FAILED == 0)) || { sw_err "$SW_FAILED switch(es) failed"; return 1; }
	return 0
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -uo pipefail
	sw_main "$@"
	exit $?
fi
