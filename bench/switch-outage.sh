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
SW_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=bench/outage.sh
. "$SW_DIR/outage.sh"

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

sw_analyze() {
	OB_LIB=$SW_DIR/lib python3 - "$OB_W" <<'PYEOF'
import bisect, json, os, re, statistics, sys, time

W = sys.argv[1]
P = dict(l.strip().split("=", 1) for l in open(os.path.join(W, "params")) if "=" in l)
rtt = float(P["rtt_ms"])

sys.path.insert(0, os.environ["OB_LIB"])
from probes import load_events, load_pair

# Everything in CLOCK_BOOTTIME.
pair = load_pair(W)
xy, yx, boff, rtoff = pair.xy, pair.yx, pair.boff, pair.rtoff
evx = load_events(os.path.join(W, "events-x.jsonl"))
evy = load_events(os.path.join(W, "events-y.jsonl"))

sw = []
for line in open(os.path.join(W, "moves.txt")):
    f = line.split()
    if len(f) >= 6 and int(f[3]):
        sw.append(dict(label=f[2], t0=int(f[3]), src=f[4], kind="move"))
    elif len(f) >= 6:
        # No ftrace: X's sa-moved event after the previous switch.
        prev = max([s["t0"] for s in sw], default=0)
        e = next((e for e in evx if e.get("type") == "sa-moved" and e["time-ns"] > prev + 10**8), None)
        if e:
            sw.append(dict(label=f[2], t0=e["time-ns"], src="sa-moved", kind="move"))
mpath = os.path.join(W, "marks.txt")
if os.path.exists(mpath):
    for line in open(mpath):
        label, rt = line.split()
        sw.append(dict(label=label, t0=int(rt) - rtoff + boff, src="user", kind="mark"))
sw.sort(key=lambda s: s["t0"])

def window(rows, lo, hi):
    sends = [r[1] for r in rows]
    # From the last probe delivered before the window: an outage that
    # begins just before it is counted whole.
    rec = rows[max(bisect.bisect_left(sends, lo) - 1, 0):bisect.bisect_left(sends, hi)]
    if len(rec) < 2:
        return None
    have = set(r[0] for r in rec)
    lost = sum(1 for s in range(rec[0][0], rec[-1][0] + 1) if s not in have)
    recv = sorted(r[2] for r in rec)
    gaps = [(b - a, a) for a, b in zip(recv, recv[1:])]
    g, at = max(gaps)
    return dict(gap=g / 1e6, at=(at - lo) / 1e6, lost=lost)

def encap_events(evs, lo, hi):
    return [e["time-ns"] for e in evs if e.get("type") == "encap-changed" and lo <= e["time-ns"] < hi]

res = []
for i, s in enumerate(sw):
    if s["label"] in ("unblock", "reset"):
        continue
    lo = s["t0"] - 3 * 10**8
    hi = sw[i + 1]["t0"] - 3 * 10**8 if i + 1 < len(sw) else float("inf")
    for d, rows, evs in (("x2y", xy, evx), ("y2x", yx, evy)):
        w = window(rows, lo, hi)
        if w:
            res.append(dict(label=s["label"], dir=d, t0src=s["src"], **w))
        # The sender's own switch to plain ESP within the window.
        for t in encap_events(evs, s["t0"], hi)[-1:]:
            w = window(rows, t - 3 * 10**8, t + 10**9)
            if w:
                res.append(dict(label=s["label"] + "/encap-switch", dir=d,
                                t0src="encap-changed", at_ms=(t - s["t0"]) / 1e6, **w))

# Noise floor: longest gap per 1 s in the quietest stretches (before the
# first switch, after setup).
def floor(rows):
    if not sw:
        return None
    t = sw[0]["t0"] - 3 * 10**8
    w = window(rows, t - 10**9, t)
    return w["gap"] if w else None

lines = ["switch,dir,t0_src,gap_ms,gap_rtt,lost,encap_switch_after_t0_ms"]
for r in res:
    lines.append("%s,%s,%s,%.1f,%.2f,%d,%s" % (r["label"], r["dir"], r["t0src"], r["gap"],
                 r["gap"] / rtt, r["lost"], "%.1f" % r["at_ms"] if "at_ms" in r else ""))
open(os.path.join(W, "switch.csv"), "w").write("\n".join(lines) + "\n")

out = ["Switch outages (longest delivery gap), netem RTT %.0f ms (ping inner %s ms), probes every %s us, kernel %s"
       % (rtt, P.get("ping_inner_ms", "-"), P.get("interval_us"), P.get("kernel"))]
for d in ("x2y", "y2x"):
    f = floor(xy if d == "x2y" else yx)
    if f is not None:
        out.append("  noise floor %s (longest gap in 1 s before the first switch): %.1f ms" % (d, f))
labels = []
for r in res:
    if r["label"] not in labels:
        labels.append(r["label"])
for l in labels:
    for d in ("x2y", "y2x"):
        v = [r for r in res if r["label"] == l and r["dir"] == d]
        if not v:
            continue
        g = [r["gap"] for r in v]
        lost = [r["lost"] for r in v]
        out.append("  %-26s %s  gap median %7.1f ms (%5.2f RTT)  max %7.1f ms (%5.2f RTT)  lost median %4d max %4d  n=%d"
                   % (l, d.replace("2", "->").upper(), statistics.median(g), statistics.median(g) / rtt,
                      max(g), max(g) / rtt, statistics.median(lost), max(lost), len(v)))
text = "\n".join(out)
print(text)
open(os.path.join(W, "summary.txt"), "w").write(text + "\n")
print("\nCSV (switch.csv):")
print("\n".join(lines))
PYEOF
}

sw_main() {
	local reps=3 rtt=100 interval=2000 out='' host=0
	SW_SETTLE=2
	while (($#)); do
		case $1 in
		--reps) reps=$2; shift 2 ;;
		--rtt) rtt=$2; shift 2 ;;
		--interval-us) interval=$2; shift 2 ;;
		--settle) SW_SETTLE=$2; shift 2 ;;
		--out) out=$2; shift 2 ;;
		--host) host=1; shift ;;
		-h | --help) sed -n '/^# Usage:/,/^# Setup:/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; return 0 ;;
		*) sw_err "unknown option $1"; return 2 ;;
		esac
	done
	[[ $reps =~ ^[0-9]+$ && $rtt =~ ^[0-9]+$ && $interval =~ ^[0-9]+$ && $SW_SETTLE =~ ^[0-9.]+$ ]] ||
		{ sw_err "numeric arguments expected"; return 2; }
	((rtt >= 2)) || { sw_err "--rtt must be at least 2 ms"; return 2; }
	if [[ -z ${XM_VM:-} ]] && ((!host)); then
		sw_err "runs inside the test VM (tests/vm/run-vm.sh ... -- bench/switch-outage.sh); --host to run here"
		return 2
	fi
	((EUID == 0)) || { sw_err "must run as root"; return 4; }
	if [[ -z $out ]]; then
		if [[ -n ${XM_OUT:-} ]]; then
			out=$XM_OUT/switch-outage-${rtt}ms
		else
			out=$(mktemp -d /tmp/switch-outage.XXXXXX)
		fi
	fi
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
	mkdir -p "$out" && cp -r "$OB_W"/. "$out"/ && ob_log "results in $out"
	((SW_FAILED == 0)) || { sw_err "$SW_FAILED switch(es) failed"; return 1; }
	return 0
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -uo pipefail
	sw_main "$@"
	exit $?
fi
