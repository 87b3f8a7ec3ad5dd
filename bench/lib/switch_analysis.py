#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Analysis of bench/switch-outage.sh: reads the work directory (params,
# moves.txt, marks.txt, probe logs, events-{x,y}.jsonl; see
# bench/switch-outage.sh for what is measured), writes DIR/switch.csv (one
# line per switch and direction) and DIR/summary.txt, and prints the
# summary and the CSV.
#
# Usage: bench/lib/switch_analysis.py DIR

import bisect
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from outage_analysis import load_moves  # noqa: E402
from probes import load_events, load_pair  # noqa: E402
from report import kv  # noqa: E402

# A switch's window: [T0 - 0.3 s, next T0 - 0.3 s).
PRE = 3 * 10**8


def load_switches(w, pair, evx):
    """The moves (moves.txt) and marks (marks.txt: label and userspace
    CLOCK_REALTIME ns) in order of their T0, in CLOCK_BOOTTIME."""
    sw = []
    for mv in load_moves(w):
        if mv["t0"]:
            sw.append(dict(label=mv["label"], t0=mv["t0"], src=mv["src"], kind="move"))
            continue
        # No ftrace: X's sa-moved event after the previous switch.
        prev = max([s["t0"] for s in sw], default=0)
        e = next((e for e in evx if e.get("type") == "sa-moved" and e["time-ns"] > prev + 10**8), None)
        if e:
            sw.append(dict(label=mv["label"], t0=e["time-ns"], src="sa-moved", kind="move"))
    mpath = os.path.join(w, "marks.txt")
    if os.path.exists(mpath):
        for line in open(mpath):
            label, rt = line.split()
            sw.append(dict(label=label, t0=pair.rt2boot(int(rt)), src="user", kind="mark"))
    sw.sort(key=lambda s: s["t0"])
    return sw


def window(rows, lo, hi):
    """Longest delivery gap (ms, and its start from lo) and lost probes of
    the probes sent in [lo, hi)."""
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


def switch_windows(sw, xy, yx, evx, evy):
    """One result per switch and direction, and one per sender's own switch
    to plain ESP within a switch's window."""
    res = []
    for i, s in enumerate(sw):
        if s["label"] in ("unblock", "reset"):
            continue
        lo = s["t0"] - PRE
        hi = sw[i + 1]["t0"] - PRE if i + 1 < len(sw) else float("inf")
        for d, rows, evs in (("x2y", xy, evx), ("y2x", yx, evy)):
            w = window(rows, lo, hi)
            if w:
                res.append(dict(label=s["label"], dir=d, t0src=s["src"], **w))
            for t in encap_events(evs, s["t0"], hi)[-1:]:
                w = window(rows, t - PRE, t + 10**9)
                if w:
                    res.append(dict(label=s["label"] + "/encap-switch", dir=d,
                                    t0src="encap-changed", at_ms=(t - s["t0"]) / 1e6, **w))
    return res


def floor(sw, rows):
    """Noise floor: the longest gap in the second before the first switch
    (after setup, the quietest stretch)."""
    if not sw:
        return None
    t = sw[0]["t0"] - PRE
    w = window(rows, t - 10**9, t)
    return w["gap"] if w else None


def csv_lines(res, rtt):
    lines = ["switch,dir,t0_src,gap_ms,gap_rtt,lost,encap_switch_after_t0_ms"]
    for r in res:
        lines.append("%s,%s,%s,%.1f,%.2f,%d,%s" % (r["label"], r["dir"], r["t0src"], r["gap"],
                     r["gap"] / rtt, r["lost"], "%.1f" % r["at_ms"] if "at_ms" in r else ""))
    return lines


def summary(res, sw, xy, yx, rtt, params):
    """The lines of summary.txt."""
    out = ["Switch outages (longest delivery gap), netem RTT %.0f ms (ping inner %s ms), "
           "probes every %s us, kernel %s"
           % (rtt, params.get("ping_inner_ms", "-"), params.get("interval_us"), params.get("kernel"))]
    for d in ("x2y", "y2x"):
        f = floor(sw, xy if d == "x2y" else yx)
        if f is not None:
            out.append("  noise floor %s (longest gap in 1 s before the first switch): %.1f ms" % (d, f))
    labels = []
    for r in res:
        if r["label"] not in labels:
            labels.append(r["label"])
    for lab in labels:
        for d in ("x2y", "y2x"):
            v = [r for r in res if r["label"] == lab and r["dir"] == d]
            if not v:
                continue
            g = [r["gap"] for r in v]
            lost = [r["lost"] for r in v]
            out.append("  %-26s %s  gap median %7.1f ms (%5.2f RTT)  max %7.1f ms (%5.2f RTT)  "
                       "lost median %4d max %4d  n=%d"
                       % (lab, d.replace("2", "->").upper(), statistics.median(g), statistics.median(g) / rtt,
                          max(g), max(g) / rtt, statistics.median(lost), max(lost), len(v)))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: switch_analysis.py DIR")
    w = sys.argv[1]
    params = kv(os.path.join(w, "params"))
    rtt = float(params["rtt_ms"])

    # Everything in CLOCK_BOOTTIME.
    pair = load_pair(w)
    xy, yx = pair.xy, pair.yx
    evx = load_events(os.path.join(w, "events-x.jsonl"))
    evy = load_events(os.path.join(w, "events-y.jsonl"))
    sw = load_switches(w, pair, evx)
    res = switch_windows(sw, xy, yx, evx, evy)

    lines = csv_lines(res, rtt)
    with open(os.path.join(w, "switch.csv"), "w") as f:
        f.write("\n".join(lines) + "\n")
    text = "\n".join(summary(res, sw, xy, yx, rtt, params))
    print(text)
    with open(os.path.join(w, "summary.txt"), "w") as f:
        f.write(text + "\n")
    print("\nCSV (switch.csv):")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
