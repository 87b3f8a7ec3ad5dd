#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Analysis of bench/outage.sh (and of the move scripts/demo.sh makes with
# its functions): reads the work directory (params, moves.txt, probe logs,
# send errors, events-{x,y}.jsonl, rtnl-x.txt; see bench/outage.sh for
# what is measured), writes DIR/outage.csv (one line per move), then
#   - without --story: prints the summary and the CSV and writes
#     DIR/summary.txt;
#   - with --story: prints the timeline and outage of the first move and
#     writes DIR/story.txt; exit status 3 when a direction had no probe
#     delivered after the move.
#
# Usage: bench/lib/outage_analysis.py DIR [--story]

import bisect
import os
import re
import statistics
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probes import load_events, load_pair  # noqa: E402
from report import kv  # noqa: E402

# Windows: a move's probes from T0 - 0.5 s to the next T0 - 0.5 s; events
# from T0 - 10 ms (the RREQ may leave before the trace's stamp).
PRE = 5 * 10**8
EV_PRE = 10**7


def load_rtnl(w, pair):
    """Userspace receive times of X's RTM_NEWROUTE ("ip -ts monitor route":
    local time, us), as BOOTTIME ns, with the route."""
    rtnl = []
    rpath = os.path.join(w, "rtnl-x.txt")
    if os.path.exists(rpath):
        for line in open(rpath):
            m = re.match(r"\[(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d)\.(\d{6})\] (default via \S+)", line)
            if m:
                sec = time.mktime(time.strptime(m.group(1), "%Y-%m-%dT%H:%M:%S"))
                rt_ns = int(sec) * 10**9 + int(m.group(2)) * 1000
                rtnl.append((pair.rt2boot(rt_ns), m.group(3)))
    return rtnl


def load_moves(w):
    """moves.txt of ob_move: "index rep label t0_ns t0_src rc" per move."""
    moves = []
    for line in open(os.path.join(w, "moves.txt")):
        f = line.split()
        if len(f) >= 6:
            moves.append(dict(idx=int(f[0]), rep=int(f[1]), label=f[2], t0=int(f[3]),
                              src=f[4], rc=int(f[5])))
    return moves


def first(evs, typ, seq=None, after=None, before=None):
    """The first event of type typ (and seq) in [after, before), or None."""
    for e in evs:
        if e.get("type") != typ:
            continue
        if seq is not None and e.get("seq") != seq:
            continue
        if after is not None and e["time-ns"] < after:
            continue
        if before is not None and e["time-ns"] >= before:
            continue
        return e
    return None


def ms(ns):
    return None if ns is None else ns / 1e6


def f3(v):
    return "" if v is None else "%.3f" % v


def resolve_t0(moves, rtnl, evx):
    """Moves without a trace timestamp (t0 0): the next route event in
    userspace, else X's next sa-moved event.  Done before any window is
    computed, as the windows end at the next move's T0."""
    for i, mv in enumerate(moves):
        prev = moves[i - 1]["t0"] if i else 0
        if mv["t0"] == 0:
            for t, _ in rtnl:
                if t > prev + 10**8 and t not in [m["t0"] for m in moves]:
                    mv["t0"], mv["src"] = t, "rtnl"
                    break
        if mv["t0"] == 0:
            e = first(evx, "sa-moved", after=prev + 10**8)
            if e:
                mv["t0"], mv["src"] = e["time-ns"], "sa-moved"


def load_senderr(w, name, boff):
    """(BOOTTIME ns, errno) of the prober's send errors."""
    out = []
    path = os.path.join(w, name)
    if os.path.exists(path):
        for line in open(path):
            f = line.split()
            if len(f) == 3:
                out.append((int(f[1]) + boff, int(f[2])))
    return out


class Stream:
    """One probe direction: rows (seq, send_ns, recv_ns) sorted by seq (and
    send time) and the sender's errors."""

    def __init__(self, rows, senderr):
        self.rows = rows
        self.sends = [r[1] for r in rows]
        self.senderr = senderr

    def outage(self, t0, t_end, t_new=None):
        """Outage of this direction for the move at t0.

        t_new: earliest send time of a probe that can take the new path
        (None: the first received probe sent after the last lost one, or
        after t0 without loss)."""
        rows, sends = self.rows, self.sends
        rec = rows[bisect.bisect_left(sends, t0 - PRE):bisect.bisect_left(sends, t_end)]
        if not rec:
            return None
        have = set(r[0] for r in rec)
        lost = [s for s in range(rec[0][0], rec[-1][0] + 1) if s not in have]
        if t_new is not None:
            after = [r for r in rec if r[1] >= t_new]
        elif lost:
            after = [r for r in rec if r[0] > lost[-1]]
        else:
            after = [r for r in rec if r[1] >= t0]
        if not after:
            return None
        fn = after[0]
        by_recv = sorted(r[2] for r in rec)
        gap = max((b - a for a, b in zip(by_recv, by_recv[1:])), default=0)
        serr = [e for t, e in self.senderr if t0 - PRE <= t < t_end]
        return dict(outage=fn[2] - t0, first=fn, lost=len(lost), gap=gap, senderr=len(serr),
                    senderr_codes=sorted(set(serr)),
                    lost_first=lost[0] if lost else None, lost_last=lost[-1] if lost else None)

    def quiet_gaps(self, moves):
        """Noise floor: (longest delivery gap, window length) of the quiet
        windows: no move within [T0-2.5 s, T0-0.5 s) and at least 1.5 s
        after the previous move."""
        out = []
        for i, mv in enumerate(moves):
            lo = mv["t0"] - 25 * 10**8
            if i:
                lo = max(lo, moves[i - 1]["t0"] + 15 * 10**8)
            hi = mv["t0"] - PRE
            if hi - lo < PRE:
                continue
            i, j = bisect.bisect_left(self.sends, lo), bisect.bisect_left(self.sends, hi)
            w = sorted(r[2] for r in self.rows[i:j])
            if len(w) > 1:
                out.append((max(b - a for a, b in zip(w, w[1:])), hi - lo))
        return out

    def baseline(self, first_t0):
        """Median one-way delay of the probes sent before the first move."""
        d = [r[2] - r[1] for r in self.rows if first_t0 is None or r[1] < first_t0 - PRE]
        return statistics.median(d) if d else None


def analyze_move(i, moves, evx, evy, rtnl, xy, yx):
    """The times of move i: its events (by registration seq) and both
    directions' outages."""
    mv = moves[i]
    t0 = mv["t0"]
    t_end = moves[i + 1]["t0"] - PRE if i + 1 < len(moves) else float("inf")
    r = dict(mv)
    rs = first(evx, "rreq-sent", after=t0 - EV_PRE, before=t_end)
    seq = rs.get("seq") if rs else None
    r["seq"] = seq
    r["rreq_sent"] = rs["time-ns"] - t0 if rs else None
    xsm = first(evx, "sa-moved", seq=seq, after=t0 - EV_PRE) if seq else None
    r["x_sa_moved"] = xsm["time-ns"] - t0 if xsm else None
    ysm_rx = first(evy, "rreq-received", seq=seq, after=t0 - EV_PRE) if seq else None
    ysm = first(evy, "sa-moved", seq=seq, after=t0 - EV_PRE) if seq else None
    yrs = first(evy, "rrep-sent", seq=seq, after=t0 - EV_PRE) if seq else None
    xrr = first(evx, "rrep-received", seq=seq, after=t0 - EV_PRE) if seq else None
    r["y_rreq_rx"] = ysm_rx["time-ns"] - t0 if ysm_rx else None
    r["y_sa_moved"] = ysm["time-ns"] - t0 if ysm else None
    r["y_rrep_sent"] = yrs["time-ns"] - t0 if yrs else None
    r["x_rrep_rx"] = xrr["time-ns"] - t0 if xrr else None
    r["retx"] = sum(1 for e in evx if e.get("type") == "retransmit" and e.get("seq") == seq
                    and t0 - EV_PRE <= e["time-ns"] < t_end)
    r["nat"] = "+".join((ysm_rx or {}).get("nat", [])) or "none"
    # X's packets take the new route from T0 on (Y accepts ESP for its
    # inbound SA from any outer source); Y's packets take the new path once
    # Y has moved its SAs, which cannot be before the request arrived.
    r["x2y"] = xy.outage(t0, t_end, t0)
    r["y2x"] = yx.outage(t0, t_end, ysm_rx["time-ns"] if ysm_rx else None)
    ru = [t for t, _ in rtnl if t0 - EV_PRE <= t < t_end]
    r["rtnl"] = ru[0] - t0 if ru and mv["src"] == "ftrace" else None
    r["events_x"] = [e for e in evx if t0 - EV_PRE <= e["time-ns"] < t_end]
    r["events_y"] = [e for e in evy if t0 - EV_PRE <= e["time-ns"] < t_end]
    return r


def csv_lines(results):
    """outage.csv; sets each result's y2x_after (the Y->X outage counted
    from X's SA move)."""
    cols = ("rep,move,t0_src,t0_boot_ns,reg_seq,detect_ms,x_sa_moved_ms,y_rreq_rx_ms,y_sa_moved_ms,"
            "x_registered_ms,retransmits,nat,x2y_outage_ms,x2y_lost,x2y_gap_ms,"
            "y2x_outage_ms,y2x_outage_after_x_move_ms,y2x_lost,y2x_gap_ms,rtnl_user_ms,"
            "x2y_send_errors,y2x_send_errors")
    lines = [cols]
    for r in results:
        a, b = r["x2y"] or {}, r["y2x"] or {}
        after = (b["first"][2] - r["t0"] - r["x_sa_moved"]) if b and r["x_sa_moved"] is not None else None
        r["y2x_after"] = after
        lines.append(",".join(str(x) for x in (
            r["rep"], r["label"], r["src"], r["t0"], r["seq"] or "",
            f3(ms(r["rreq_sent"])), f3(ms(r["x_sa_moved"])), f3(ms(r["y_rreq_rx"])), f3(ms(r["y_sa_moved"])),
            f3(ms(r["x_rrep_rx"])), r["retx"], r["nat"],
            f3(ms(a.get("outage"))), a.get("lost", ""), f3(ms(a.get("gap"))),
            f3(ms(b.get("outage"))), f3(ms(after)), b.get("lost", ""), f3(ms(b.get("gap"))),
            f3(ms(r["rtnl"])), a.get("senderr", ""), b.get("senderr", ""))))
    return lines


def story(r, rtt, owd_xy, owd_yx, params):
    """Timeline and outage of one move (scripts/demo.sh): (lines, whether
    both directions recovered)."""
    out = []
    out.append("Timeline of move %d (%s), times relative to T0 (%s):" % (r["idx"], r["label"], r["src"]))
    out.append("  %+9.1f ms  X   route change (T0: fib_table_insert, default via new uplink)" % 0.0)
    if r["rtnl"] is not None:
        out.append("  %+9.1f ms  X   RTM_NEWROUTE received by a userspace listener (ip monitor)"
                   % (r["rtnl"] / 1e6))
    lines = []
    evs = [("X", e) for e in r["events_x"]] + [("Y", e) for e in r["events_y"]]
    for side, e in evs:
        extra = ""
        if e.get("nat"):
            extra = "  nat " + ",".join(e["nat"])
        if e.get("type") == "sa-moved" and e.get("sas"):
            for sa in e["sas"]:
                if sa.get("dir") == "out":
                    extra += "  out %s -> %s" % (sa.get("saddr"), sa.get("daddr"))
                    if sa.get("encap") == "espinudp":
                        extra += " udp %s -> %s" % (sa.get("encap-sport"), sa.get("encap-dport"))
        lines.append((e["time-ns"] - r["t0"],
                      "%s   %-14s seq %s%s" % (side, e.get("type"), e.get("seq", "-"), extra)))
    for name, key in (("X->Y", "x2y"), ("Y->X", "y2x")):
        d = r[key]
        if d:
            lines.append((d["outage"], "%s first probe on the new path delivered (seq %d, sent at %+.1f ms)"
                          % (name, d["first"][0], (d["first"][1] - r["t0"]) / 1e6)))
    for t, text in sorted(lines, key=lambda p: p[0]):
        out.append("  %+9.1f ms  %s" % (t / 1e6, text))
    out.append("")
    out.append("Outage per direction (T0 -> first probe delivered on the new path), netem RTT %.0f ms:" % rtt)
    a, b = r["x2y"], r["y2x"]
    if a:
        out.append("  X->Y %7.1f ms = %4.2f RTT, %d probes lost   "
                   "(physical limit: one one-way delay, %.0f ms = 0.5 RTT)"
                   % (a["outage"] / 1e6, a["outage"] / 1e6 / rtt, a["lost"], rtt / 2))
    else:
        out.append("  X->Y no probe delivered after the move")
    if b:
        out.append("  Y->X %7.1f ms = %4.2f RTT, %d probes lost   (physical limit: one RTT, %.0f ms)"
                   % (b["outage"] / 1e6, b["outage"] / 1e6 / rtt, b["lost"], rtt))
        if r["rreq_sent"] is not None and r["y2x_after"] is not None:
            out.append("       detection (T0 -> rreq-sent; here the exec of mobctl under TCG, a daemon"
                       " on RTM_NEWROUTE: ~%s ms): %.1f ms"
                       % ("%.0f" % (r["rtnl"] / 1e6) if r["rtnl"] is not None else "1", r["rreq_sent"] / 1e6))
            out.append("       from X's SA move (RREQ sent) on: %.1f ms = %4.2f RTT"
                       % (r["y2x_after"] / 1e6, r["y2x_after"] / 1e6 / rtt))
    else:
        out.append("  Y->X no probe delivered after the move")
    if owd_xy and owd_yx:
        out.append("  (one-way delays measured before the move: X->Y %.1f ms, Y->X %.1f ms; ping RTT %s ms)"
                   % (owd_xy / 1e6, owd_yx / 1e6, params.get("ping_inner_ms", "-")))
    return out, bool(a and b)


def stat_row(out, name, vals, rtt, unit_ms=True):
    """One summary line: median, max, min and count of vals (ns, or plain
    counts with unit_ms False)."""
    v = [x for x in vals if x is not None]
    if not v:
        out.append("  %-34s n/a" % name)
        return
    med, mx, mn, n = statistics.median(v), max(v), min(v), len(v)
    if unit_ms:
        out.append("  %-34s median %8.1f ms (%5.2f RTT)   max %8.1f ms (%5.2f RTT)   min %7.1f ms  n=%d"
                   % (name, med / 1e6, med / 1e6 / rtt, mx / 1e6, mx / 1e6 / rtt, mn / 1e6, n))
    else:
        out.append("  %-34s median %8.1f      max %8.1f      min %7.1f  n=%d" % (name, med, mx, mn, n))


def summary(results, moves, xy, yx, rtt, interval, owd_xy, owd_yx, params):
    """The lines of summary.txt (interval: the probes', ns)."""
    out = []
    out.append("Handover outage, netem RTT %.0f ms (ping: outer %s ms, inner %s ms), "
               "probes every %d us, %d moves"
               % (rtt, params.get("ping_outer_ms", "-"), params.get("ping_inner_ms", "-"), interval // 1000,
                  len(results)))
    srcs = sorted(set(r["src"] for r in results))
    out.append("T0 = route change of X's default route, from: %s" % ", ".join(
        {"ftrace": "kernel timestamp (ftrace, fib_table_insert)",
         "rtnl": "RTM_NEWROUTE received in userspace (no ftrace)",
         "sa-moved": "X's sa-moved event (no route event found)"}.get(x, x) for x in srcs))
    if owd_xy and owd_yx:
        out.append("Measured one-way delays before the moves: X->Y %.1f ms, Y->X %.1f ms"
                   % (owd_xy / 1e6, owd_yx / 1e6))
    groups = [("all moves", results)]
    labels = sorted(set(r["label"] for r in results))
    if len(labels) > 1:
        groups += [(lab, [r for r in results if r["label"] == lab]) for lab in labels]

    def row(name, vals, unit_ms=True):
        stat_row(out, name, vals, rtt, unit_ms)

    for gname, rs in groups:
        out.append("")
        out.append("%s (%d):" % (gname, len(rs)))
        row("X->Y outage", [r["x2y"]["outage"] if r["x2y"] else None for r in rs])
        row("Y->X outage", [r["y2x"]["outage"] if r["y2x"] else None for r in rs])
        row("detection (T0 -> rreq-sent)", [r["rreq_sent"] for r in rs])
        row("T0 -> X sa-moved (RREQ leaves)", [r["x_sa_moved"] for r in rs])
        row("Y->X outage after X's SA move", [r["y2x_after"] for r in rs])
        row("Y sa-moved (from T0)", [r["y_sa_moved"] for r in rs])
        row("X registered (from T0)", [r["x_rrep_rx"] for r in rs])
        row("X->Y longest gap", [r["x2y"]["gap"] if r["x2y"] else None for r in rs])
        row("Y->X longest gap", [r["y2x"]["gap"] if r["y2x"] else None for r in rs])
        row("X->Y lost probes", [r["x2y"]["lost"] if r["x2y"] else None for r in rs], False)
        row("Y->X lost probes", [r["y2x"]["lost"] if r["y2x"] else None for r in rs], False)
        row("X->Y send errors (in lost)", [r["x2y"]["senderr"] if r["x2y"] else None for r in rs], False)
        row("Y->X send errors (in lost)", [r["y2x"]["senderr"] if r["y2x"] else None for r in rs], False)
        row("retransmitted RREQs", [r["retx"] for r in rs], False)
        if any(r["rtnl"] is not None for r in rs):
            row("T0 -> RTM_NEWROUTE in userspace", [r["rtnl"] for r in rs])
            row("Y->X projected, event-driven",
                [r["rtnl"] + r["y2x_after"] if r["rtnl"] is not None and r["y2x_after"] is not None else None
                 for r in rs])
    out.append("")
    for name, stream in (("X->Y", xy), ("Y->X", yx)):
        q = stream.quiet_gaps(moves)
        if q:
            g = [x for x, _ in q]
            out.append("Noise floor %s: longest delivery gap without a move, per %.1f s window: "
                       "median %.1f ms, max %.1f ms"
                       % (name, statistics.median(d for _, d in q) / 1e9, statistics.median(g) / 1e6,
                          max(g) / 1e6))
    out.append("Physical limits (instant detection): X->Y one one-way delay = %.1f ms (0.50 RTT)%s;"
               % (rtt / 2, " [measured %.1f ms]" % (owd_xy / 1e6) if owd_xy else ""))
    out.append("  Y->X one RTT = %.1f ms (1.00 RTT)%s: compare 'Y->X outage after X\'s SA move'."
               % (rtt, " [measured one-way sum %.1f ms]" % ((owd_xy + owd_yx) / 1e6)
                  if owd_xy and owd_yx else ""))
    out.append("Y's NAT verdicts: " + ", ".join(
        "%s: %s" % (lab, "/".join(sorted(set(r["nat"] for r in results if r["label"] == lab))))
        for lab in labels))
    return out


def main():
    if len(sys.argv) < 2:
        sys.exit("usage: outage_analysis.py DIR [--story]")
    w = sys.argv[1]
    want_story = "--story" in sys.argv[2:]
    params = kv(os.path.join(w, "params"))
    rtt = float(params["rtt_ms"])
    interval = int(params["interval_us"]) * 1000

    # Probe times are CLOCK_MONOTONIC: shifted to BOOTTIME (T0, events).
    pair = load_pair(w)
    xy = Stream(pair.xy, load_senderr(w, "senderr-x2y.txt", pair.boff))
    yx = Stream(pair.yx, load_senderr(w, "senderr-y2x.txt", pair.boff))
    evx = load_events(os.path.join(w, "events-x.jsonl"))
    evy = load_events(os.path.join(w, "events-y.jsonl"))
    rtnl = load_rtnl(w, pair)
    moves = load_moves(w)
    resolve_t0(moves, rtnl, evx)

    first_t0 = moves[0]["t0"] if moves else None
    owd_xy, owd_yx = xy.baseline(first_t0), yx.baseline(first_t0)
    results = [analyze_move(i, moves, evx, evy, rtnl, xy, yx) for i in range(len(moves))]
    lines = csv_lines(results)
    with open(os.path.join(w, "outage.csv"), "w") as f:
        f.write("\n".join(lines) + "\n")

    if want_story and results:
        out, ok = story(results[0], rtt, owd_xy, owd_yx, params)
        text = "\n".join(out)
        print(text)
        with open(os.path.join(w, "story.txt"), "w") as f:
            f.write(text + "\n")
        sys.exit(0 if ok else 3)

    text = "\n".join(summary(results, moves, xy, yx, rtt, interval, owd_xy, owd_yx, params))
    print(text)
    with open(os.path.join(w, "summary.txt"), "w") as f:
        f.write(text + "\n")
    print()
    print("CSV (outage.csv):")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
