#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Analysis of bench/handover.sh results.
#
# Usage: bench/lib/analyze.py DIR            moves.csv, summary.csv,
#                                            summary.md, chart.png in DIR
#        bench/lib/analyze.py --rst DIR      print Documentation/benchmarks.rst
#                                            from DIR/summary.csv and run.txt
#
# DIR holds run.txt and one directory per system (see bench/handover.sh).
# All times are CLOCK_BOOTTIME ns: probe times (CLOCK_MONOTONIC, shifted
# with the prober's recorded offset), the function tracer, xfrm_mobility's
# events; the packet captures' kernel timestamps (CLOCK_REALTIME) are
# converted with the prober's REALTIME-MONOTONIC offset, recorded when the
# probers started (the VM's clocks are not disciplined during a run).
#
# Per move and direction:
#   outage  T0 -> kernel receive time of the first probe sent at or after T0
#           that was delivered (packets to X's deleted address are dropped,
#           so for Y->X it came on the new path; X->Y probes need at least
#           one one-way delay).  Not recovered (empty) when no such probe
#           arrived before the next move.
#   lost    probes sent between T0 - 1 RTT and that first probe that never
#           arrived (netem's random loss included).
#   detect  T0 -> the first packet sent on the new path, the same for
#           every system, from tcpdump captures (capture-x.pcap,
#           capture-y.pcap): a move of X: the first packet X sends from
#           its new address (any protocol: IKE, ESP, ESP-in-UDP,
#           WireGuard); NAT rebinding (X's address does not change): the
#           first packet Y sends to X's new mapping (RA's address, a new
#           port), captured on Y's uplink behind netem and corrected by
#           the configured one-way delay.  The captures' timestamps are
#           the kernel's, converted from CLOCK_REALTIME to T0's clock with
#           the offset the prober recorded.  moves.csv names the packet.
# Summary per system x scenario x RTT x loss: median and p95 (nearest
# rank) in ms and in RTT units, median lost probes, median detection,
# moves without recovery.

import bisect
import csv
import math
import os
import re
import shutil
import statistics
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from probes import load_events, load_pair, load_pcap  # noqa: E402

SYS_ORDER = ["module", "mobike", "reauth", "reauth-mbb", "wireguard", "stock"]
SYS_NAME = {
    "module": "xfrm_mobility",
    "mobike": "strongSwan MOBIKE",
    "reauth": "strongSwan reauth (BBM)",
    "reauth-mbb": "strongSwan reauth (MBB)",
    "wireguard": "WireGuard",
    "stock": "stock XFRM + script",
}
SCEN_ORDER = ["d2n", "n2n", "n2d", "rebind"]
RA_WAN4 = "203.0.113.1"
SCEN_NAME = {
    "d2n": "direct -> NAT",
    "n2n": "NAT -> other NAT",
    "n2d": "NAT -> direct",
    "rebind": "NAT rebinding",
}
MS = 1e6
DETECT_TEXT = ("Detect = median time from T0 to the first packet sent on the new path, one definition "
               "for all systems, from packet captures (kernel timestamps, converted to T0's clock): "
               "for a move, the first packet X sends from its new address (any protocol: IKE, ESP, "
               "ESP-in-UDP, WireGuard); for NAT rebinding, the first packet Y sends to X's new mapping.")


def read_kv(path):
    d = {}
    if os.path.exists(path):
        for line in open(path):
            for part in line.split():
                k, _, v = part.partition("=")
                if _:
                    d[k] = v
    return d


def read_run(path):
    d = {}
    if os.path.exists(path):
        for line in open(path):
            k, _, v = line.rstrip("\n").partition("=")
            d[k] = v
    return d


def trace_all(path):
    """[(BOOTTIME ns, function)] of a saved ftrace buffer, in order."""
    out = []
    if not os.path.exists(path):
        return out
    re_ = re.compile(r"\s(\d+)\.(\d{6}):\s+(\w+)")
    for line in open(path):
        if line.startswith("#"):
            continue
        m = re_.search(line)
        if m:
            out.append((int(m.group(1)) * 10**9 + int(m.group(2)) * 1000, m.group(3)))
    out.sort()
    return out


def trace_times(path):
    """{function: first BOOTTIME ns} of a saved ftrace buffer."""
    out = {}
    for t, fn in trace_all(path):
        out.setdefault(fn, t)
    return out


def pct(vals, p):
    v = sorted(vals)
    if not v:
        return None
    k = max(0, math.ceil(p / 100 * len(v)) - 1)
    return v[k]


class System:
    def __init__(self, w, name):
        self.w = os.path.join(w, name)
        self.name = name
        self.params = read_run(os.path.join(self.w, "params"))
        pair = load_pair(self.w)
        self.xy, self.yx, self.boff, self.rtoff = pair.xy, pair.yx, pair.boff, pair.rtoff
        self.rt2boot = pair.rt2boot
        self.sends = {id(self.xy): [r[1] for r in self.xy], id(self.yx): [r[1] for r in self.yx]}
        self.evx = load_events(os.path.join(self.w, "events-x.jsonl"))
        self.evy = load_events(os.path.join(self.w, "events-y.jsonl"))
        self.cap = {"x": self.load_capture("capture-x.pcap")}
        self.cap_y = sorted((self.rt2boot(p[0]),) + p[1:]
                            for p in load_pcap(os.path.join(self.w, "capture-y.pcap")))

    def load_capture(self, name):
        """{source address: (sorted BOOTTIME ns, kinds)} of a capture."""
        out = {}
        for p in load_pcap(os.path.join(self.w, name)):
            t, k = self.rt2boot(p[0]), p[1]
            ts, kinds = out.setdefault(k, ([], []))
            ts.append(t)
            kinds.append(p[3])
        for ts, kinds in out.values():
            if any(b < a for a, b in zip(ts, ts[1:])):
                z = sorted(zip(ts, kinds))
                ts[:], kinds[:] = [a for a, _ in z], [b for _, b in z]
        return out

    def first_delivered(self, rows, t0, t_end):
        """First received probe with send time in [t0, t_end)."""
        sends = self.sends[id(rows)]
        i = bisect.bisect_left(sends, t0)
        if i < len(rows) and rows[i][1] < t_end:
            return rows[i], i
        return None, i

    def direction(self, rows, t0, t_end, rtt_ns):
        fn, i = self.first_delivered(rows, t0, t_end)
        if fn is None:
            return None
        sends = self.sends[id(rows)]
        t1 = t0 - rtt_ns
        j = bisect.bisect_left(sends, t1)
        # The sequence number sent at t1, interpolated between the
        # received probes around it (a lost one has no send time).
        if 0 < j < len(rows):
            (sa, ta, _), (sb, tb, _) = rows[j - 1], rows[j]
            lo = sa + (sb - sa) * (t1 - ta) / max(1, tb - ta)
        else:
            lo = fn[0]
        seqs = set(r[0] for r in rows[max(0, j - 1):i + 1])
        lost = sum(1 for s in range(math.ceil(lo), fn[0]) if s not in seqs)
        return dict(outage=fn[2] - t0, send=fn[1], recv=fn[2], lost=lost)

    def detect(self, mv, t0, t_end, new_addr):
        """(ns, kind): T0 to the first packet sent on the new path, from
        the captures.  A move of X: the first packet X sends from its new
        address (any protocol).  NAT rebinding (X keeps its address, RA
        maps its flows to new ports): the first packet Y sends to X's new
        mapping, the port of the first packet from RA after T0 that no
        packet from RA used in the 2 s before; Y's capture sees its own
        packets after netem's one-way delay, which is subtracted."""
        if mv["scen"] != "rebind":
            c = self.cap["x"]
            if new_addr not in c:
                return None, None
            ts, kinds = c[new_addr]
            i = bisect.bisect_left(ts, t0)
            if i < len(ts) and ts[i] < t_end:
                return ts[i] - t0, kinds[i]
            return None, None
        pk = self.cap_y
        shift = mv["rtt"] * 10**6 // 2
        lo = bisect.bisect_left(pk, (t0 - 2 * 10**9,))
        mid = bisect.bisect_left(pk, (t0,))
        old = set(p[4] for p in pk[lo:mid] if p[1] == RA_WAN4)
        new = None
        for p in pk[mid:]:
            if p[0] >= t_end:
                break
            if p[1] == RA_WAN4 and p[4] not in old:
                new = p[4]
                break
        if new is None:
            return None, None
        for p in pk[mid:]:
            if p[0] - shift >= t_end:
                break
            if p[2] == RA_WAN4 and p[5] == new and p[0] - shift >= t0:
                return p[0] - shift - t0, p[3]
        return None, None


def analyze(w):
    run = read_run(os.path.join(w, "run.txt"))
    systems = [s for s in run.get("systems", ",".join(SYS_ORDER)).split(",")
               if os.path.isdir(os.path.join(w, s))]
    rows = []
    skipped = {}
    for name in systems:
        S = System(w, name)
        if "setup_failed" in S.params:
            skipped[name] = "setup failed"
            continue
        end_ns = S.params.get("end_ns")
        end_boot = S.rt2boot(int(end_ns)) if end_ns else float("inf")
        moves = []
        # One trace for the whole system run (trace.txt), or one per move.
        whole = trace_all(os.path.join(S.w, "trace.txt"))
        pos = "a"
        for line in open(os.path.join(S.w, "moves.txt")):
            f = line.split()
            if len(f) < 8:
                continue
            mv = dict(idx=int(f[0]), cyc=int(f[1]), scen=f[2], rtt=int(f[3]), loss=f[4],
                      t0u=int(f[5]), rc=int(f[6]), conv=int(f[7]))
            key = "ctnetlink_del_conntrack" if mv["scen"] == "rebind" else "__inet_del_ifa"
            tu = S.rt2boot(mv["t0u"])
            t0 = None
            if whole:
                # The first call after the script read its clock just
                # before the trigger (2 ms for the clock conversion).
                for t, fn in whole[bisect.bisect_left(whole, (tu - 2 * 10**6, "")):]:
                    if t > tu + 5 * 10**9:
                        break
                    if fn == key:
                        t0 = t
                        break
            else:
                t0 = trace_times(os.path.join(S.w, "trace-%d.txt" % mv["idx"])).get(key)
            if t0 is not None:
                mv["t0"], mv["src"] = t0, "ftrace"
            else:
                mv["t0"], mv["src"] = tu, "user"
            # X's address after the move: recorded, or (older results,
            # a cycle starting direct on uplink a) derived.
            if mv["scen"] != "rebind":
                pos = "b" if pos == "a" else "a"
            mv["new_addr"] = f[8] if len(f) > 8 else ("10.0.2.2" if pos == "b" else "10.0.1.2")
            moves.append(mv)
        for i, mv in enumerate(moves):
            t_end = moves[i + 1]["t0"] - 5 * 10**8 if i + 1 < len(moves) else end_boot
            rtt_ns = mv["rtt"] * 10**6
            a = S.direction(S.xy, mv["t0"], t_end, rtt_ns)
            b = S.direction(S.yx, mv["t0"], t_end, rtt_ns)
            d, kind = S.detect(mv, mv["t0"], t_end, mv["new_addr"])
            rows.append(dict(system=name, rtt=mv["rtt"], loss=mv["loss"], scen=mv["scen"],
                             cyc=mv["cyc"], move=mv["idx"], src=mv["src"],
                             conv=mv["conv"], x2y=a, y2x=b, detect=d, detect_kind=kind))
    return run, rows, skipped


def f3(v):
    return "" if v is None else "%.3f" % v


def write_moves(w, rows):
    with open(os.path.join(w, "moves.csv"), "w", newline="") as f:
        c = csv.writer(f)
        c.writerow(["system", "rtt_ms", "loss_pct", "scenario", "cycle", "move", "t0_src",
                    "converged_ms", "x2y_outage_ms", "x2y_lost",
                    "y2x_outage_ms", "y2x_lost", "detect_ms", "detect_packet"])
        for r in rows:
            a, b = r["x2y"] or {}, r["y2x"] or {}
            c.writerow([r["system"], r["rtt"], r["loss"], r["scen"], r["cyc"], r["move"], r["src"],
                        r["conv"],
                        f3(a["outage"] / MS if a else None), a.get("lost", ""),
                        f3(b["outage"] / MS if b else None), b.get("lost", ""),
                        f3(r["detect"] / MS if r["detect"] is not None else None),
                        r["detect_kind"] or ""])


SUM_COLS = ["system", "scenario", "rtt_ms", "loss_pct", "moves", "not_recovered",
            "x2y_med_ms", "x2y_p95_ms", "x2y_med_rtt", "x2y_p95_rtt",
            "y2x_med_ms", "y2x_p95_ms", "y2x_med_rtt", "y2x_p95_rtt",
            "x2y_lost_med", "y2x_lost_med", "detect_med_ms", "detect_p95_ms"]


def summarize(rows):
    cells = {}
    for r in rows:
        cells.setdefault((r["system"], r["scen"], r["rtt"], r["loss"]), []).append(r)
    out = []
    for (sysn, scen, rtt, loss), rs in cells.items():
        xo = [r["x2y"]["outage"] / MS for r in rs if r["x2y"]]
        yo = [r["y2x"]["outage"] / MS for r in rs if r["y2x"]]
        xl = [r["x2y"]["lost"] for r in rs if r["x2y"]]
        yl = [r["y2x"]["lost"] for r in rs if r["y2x"]]
        de = [r["detect"] / MS for r in rs if r["detect"] is not None]
        nr = sum(1 for r in rs if not r["x2y"] or not r["y2x"])

        def med(v):
            return statistics.median(v) if v else None

        d = dict(system=sysn, scenario=scen, rtt_ms=rtt, loss_pct=loss, moves=len(rs),
                 not_recovered=nr, x2y_med_ms=med(xo), x2y_p95_ms=pct(xo, 95),
                 y2x_med_ms=med(yo), y2x_p95_ms=pct(yo, 95),
                 x2y_lost_med=med(xl), y2x_lost_med=med(yl),
                 detect_med_ms=med(de), detect_p95_ms=pct(de, 95))
        for k in ("x2y_med", "x2y_p95", "y2x_med", "y2x_p95"):
            v = d[k + "_ms"]
            d[k + "_rtt"] = v / rtt if v is not None else None
        out.append(d)

    def key(d):
        return (int(d["rtt_ms"]), float(d["loss_pct"]), SCEN_ORDER.index(d["scenario"])
                if d["scenario"] in SCEN_ORDER else 9,
                SYS_ORDER.index(d["system"]) if d["system"] in SYS_ORDER else 9)
    out.sort(key=key)
    return out


def write_summary_csv(w, summ):
    with open(os.path.join(w, "summary.csv"), "w", newline="") as f:
        c = csv.writer(f)
        c.writerow(SUM_COLS)
        for d in summ:
            c.writerow(["%.3f" % d[k] if isinstance(d[k], float) else ("" if d[k] is None else d[k])
                        for k in SUM_COLS])


def read_summary_csv(path):
    out = []
    for d in csv.DictReader(open(path)):
        for k in SUM_COLS[4:]:
            d[k] = float(d[k]) if d[k] != "" else None
        d["rtt_ms"] = int(d["rtt_ms"])
        out.append(d)
    return out


def fmt(v, nd=1):
    return "-" if v is None else "%.*f" % (nd, v)


def cell_text(d, k):
    if d[k + "_med_ms"] is None:
        return "no recovery"
    return "%s / %s (%s / %s)" % (fmt(d[k + "_med_ms"], 0), fmt(d[k + "_p95_ms"], 0),
                                  fmt(d[k + "_med_rtt"], 2), fmt(d[k + "_p95_rtt"], 2))


def table_rows(summ):
    """Per netem setting: (title, header, rows)."""
    groups = {}
    for d in summ:
        groups.setdefault((d["rtt_ms"], d["loss_pct"]), []).append(d)
    hdr = ["scenario", "system", "X->Y ms med / p95 (RTT)", "Y->X ms med / p95 (RTT)",
           "lost X->Y / Y->X", "detect ms", "moves"]
    out = []
    for (rtt, loss), ds in sorted(groups.items(), key=lambda kv: (kv[0][0], float(kv[0][1]))):
        rows = []
        for scen in SCEN_ORDER:
            sd = [d for d in ds if d["scenario"] == scen]
            if not sd:
                continue
            for d in sd:
                nr = int(d["not_recovered"] or 0)
                rows.append([SCEN_NAME.get(scen, scen), SYS_NAME.get(d["system"], d["system"]),
                             cell_text(d, "x2y"), cell_text(d, "y2x"),
                             "%s / %s" % (fmt(d["x2y_lost_med"], 0), fmt(d["y2x_lost_med"], 0)),
                             fmt(d["detect_med_ms"], 0),
                             "%d%s" % (int(d["moves"]), " (%d no recovery)" % nr if nr else "")])
        rows.append(["physical limit", "", "%d (0.50)" % (rtt / 2), "%d (1.00)" % rtt, "", "", ""])
        out.append(("RTT %d ms, loss %s %%" % (rtt, loss), hdr, rows))
    return out


def ratio_rows(summ):
    idx = {(d["system"], d["scenario"], d["rtt_ms"], d["loss_pct"]): d for d in summ}
    hdr = ["RTT, loss", "scenario", "module / MOBIKE X->Y", "module / MOBIKE Y->X",
           "module / WireGuard X->Y", "module / WireGuard Y->X"]
    rows = []
    for d in summ:
        if d["system"] != "module":
            continue
        k = (d["scenario"], d["rtt_ms"], d["loss_pct"])
        r = ["%d ms, %s %%" % (d["rtt_ms"], d["loss_pct"]), SCEN_NAME.get(d["scenario"], d["scenario"])]
        for other in ("mobike", "wireguard"):
            o = idx.get((other,) + k)
            for dirn in ("x2y", "y2x"):
                a = d[dirn + "_med_ms"]
                b = o[dirn + "_med_ms"] if o else None
                if a is None:
                    r.append("module: no recovery")
                elif b is None:
                    r.append("-" if o is None else "other: no recovery")
                else:
                    r.append("%.2f" % (a / b))
        rows.append(r)
    return hdr, rows


def md_table(hdr, rows):
    out = ["| " + " | ".join(hdr) + " |", "|" + "---|" * len(hdr)]
    for r in rows:
        out.append("| " + " | ".join(str(x) for x in r) + " |")
    return "\n".join(out)


def machine_line(run):
    return "%s, %s vCPU%s%s" % (run.get("cpu", "?"), run.get("ncpu", "?"),
                               ", QEMU TCG (no KVM)" if run.get("vm") else "",
                               ", module at commit %s" % run["commit"] if run.get("commit") else "")


def wall_line(run):
    """Wall time per system and in total, as run.txt has it."""
    parts = ["%s %s s" % (SYS_NAME.get(k[7:], k[7:]), v) for k, v in run.items()
             if k.startswith("wall_s_") and k != "wall_s_total" and v]
    if not parts:
        return None
    return "Wall time in the VM: %s; total %s s." % (", ".join(parts), run.get("wall_s_total", "?"))


def merged_line(run):
    """Systems whose directory comes from another run (run.txt:
    from_<system>=<results directory> <commit>), or None."""
    parts = ["%s from %s" % (SYS_NAME.get(k[5:], k[5:]), v) for k, v in run.items()
             if k.startswith("from_") and v]
    if not parts:
        return None
    return "Systems measured in another VM boot: %s." % "; ".join(parts)


def params_line(run):
    return ("settle %s s, dwell %s s, bound %s s%s" %
            (run.get("settle", "?"), run.get("dwell", "?"), run.get("bound", "?"),
             ", time budget per netem setting %s%s" % (run["cell_budget"],
                                                       " s" if run["cell_budget"].isdigit() else "")
             if run.get("cell_budget", "0") not in ("", "0") else ""))


def not_ahead(summ):
    """Cells and directions where the module's median outage is not below
    MOBIKE's or WireGuard's, or where the module did not recover: lines of
    text, one per other system when it is ahead everywhere."""
    idx = {(d["system"], d["scenario"], d["rtt_ms"], d["loss_pct"]): d for d in summ}
    out, behind, total = [], {"mobike": [], "wireguard": []}, 0
    for d in summ:
        if d["system"] != "module":
            continue
        k = (d["scenario"], d["rtt_ms"], d["loss_pct"])
        where = "%s, RTT %d ms, loss %s %%" % (SCEN_NAME.get(d["scenario"], d["scenario"]),
                                              d["rtt_ms"], d["loss_pct"])
        for dirn, dn in (("x2y", "X->Y"), ("y2x", "Y->X")):
            total += 1
            a = d[dirn + "_med_ms"]
            if a is None:
                out.append("%s, %s: the module did not recover within the bound" % (where, dn))
                continue
            for other in behind:
                o = idx.get((other,) + k)
                b = o[dirn + "_med_ms"] if o else None
                if b is not None and a >= b:
                    behind[other].append(("%s, %s: %s %.0f ms, module %.0f ms" %
                                          (where, dn, SYS_NAME[other], b, a), a / b))
    for other, items in behind.items():
        if items and len(items) == total:
            r = [x for _, x in items]
            out.append("%s: every scenario, RTT, loss and direction (module / %s median "
                       "%.2f to %.2f)" % (SYS_NAME[other], SYS_NAME[other], min(r), max(r)))
        else:
            out += [t for t, _ in items]
    return out


def time_rows(w, run):
    """Per system, seconds spent per phase (timing.txt of bench/handover.sh)."""
    phases = ["topology", "setup", "capture", "start", "netem", "dwell", "settle", "wait", "stop"]
    rows = []
    for name in run.get("systems", "").split(","):
        p = os.path.join(w, name, "timing.txt")
        if not os.path.exists(p):
            continue
        tot = dict.fromkeys(phases, 0)
        moves = 0
        for line in open(p):
            f = line.split()
            if f and f[0] == "move":
                moves += 1
            for kv in f:
                k, _, v = kv.partition("=")
                if k in tot and v.isdigit():
                    tot[k] += int(v)
        rows.append([SYS_NAME.get(name, name), str(moves)] + ["%.0f" % (tot[k] / 1000) for k in phases]
                    + [run.get("wall_s_" + name, "")])
    return ["system", "moves"] + phases + ["wall"], rows


def write_md(w, run, summ, skipped, rows):
    out = ["# Handover latency, side by side", "",
           "Date %s, kernel %s, %s; %s mode (%s cycles per netem setting), probe every %s us each way."
           % (run.get("date", "?"), run.get("kernel", "?"), machine_line(run),
              run.get("mode", "?"), run.get("cycles", "?"), run.get("interval_us", "?")),
           "", params_line(run) + ". " + (wall_line(run) or "") + " " + (merged_line(run) or ""),
           "", "Outage = T0 (the address event, kernel timestamp) to the first probe delivered on the new "
           "path; median / p95 in ms, in brackets in RTT units. Lost = median lost probes. "
           + DETECT_TEXT, ""]
    if skipped:
        out += ["Skipped: " + ", ".join("%s (%s)" % kv for kv in skipped.items()), ""]
    for title, hdr, rws in table_rows(summ):
        out += ["## " + title, "", md_table(hdr, rws), ""]
    hdr, rws = ratio_rows(summ)
    out += ["## Ratios of median outages", "", "Below 1: the module is faster.", "", md_table(hdr, rws), ""]
    th, tr = time_rows(w, run)
    if tr:
        out += ["## Where the time went (s)", "", "Per system: setup phases, netem changes, and per move "
                "the dwell after the previous move, the settle time and the wait for convergence.", "",
                md_table(th, tr), ""]
    na = not_ahead(summ)
    out += ["## Where the module is not ahead", ""] + (["* " + t for t in na] or ["(nowhere)"]) + [""]
    with open(os.path.join(w, "summary.md"), "w") as f:
        f.write("\n".join(out))
    print("\n".join(out))


def chart(w, summ):
    if not shutil.which("gnuplot"):
        print("# gnuplot missing: no chart", file=sys.stderr)
        return
    systems = [s for s in SYS_ORDER if any(d["system"] == s for d in summ)]
    groups = sorted(set((d["rtt_ms"], d["loss_pct"], d["scenario"]) for d in summ),
                    key=lambda g: (g[0], float(g[1]), SCEN_ORDER.index(g[2]) if g[2] in SCEN_ORDER else 9))
    idx = {(d["system"], d["scenario"], d["rtt_ms"], d["loss_pct"]): d for d in summ}
    dat = os.path.join(w, "chart.dat")
    with open(dat, "w") as f:
        f.write("cell " + " ".join('"%s"' % SYS_NAME[s] for s in systems) + " "
                + " ".join('"%s"' % SYS_NAME[s] for s in systems) + "\n")
        for rtt, loss, scen in groups:
            vals = []
            for k in ("x2y", "y2x"):
                for s in systems:
                    d = idx.get((s, scen, rtt, loss))
                    v = d[k + "_med_rtt"] if d else None
                    vals.append("%.3f" % v if v else "NaN")
            f.write('"%s %dms %s%%" %s\n' % (scen, rtt, loss, " ".join(vals)))
    n = len(systems)
    gp = os.path.join(w, "chart.gp")
    with open(gp, "w") as f:
        f.write("""set terminal pngcairo size 1600,1000 font ",10" noenhanced
set output "%s"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set yrange [0.1:*]
set grid ytics
set xtics rotate by -35
set key outside right top
set ylabel "median outage (RTT units, log)"
set multiplot layout 2,1
set title "X->Y outage (physical limit 0.5 RTT)"
plot for [i=2:%d] "%s" using i:xtic(1) title columnheader(i)
set title "Y->X outage (physical limit 1 RTT)"
plot for [i=%d:%d] "%s" using i:xtic(1) title columnheader(i)
unset multiplot
""" % (os.path.join(w, "chart.png"), n + 1, dat, n + 2, 2 * n + 1, dat))
    r = subprocess.run(["gnuplot", gp], capture_output=True, text=True)
    if r.returncode:
        print("# gnuplot failed: " + r.stderr.strip(), file=sys.stderr)


def rst(w):
    run = read_run(os.path.join(w, "run.txt"))
    summ = read_summary_csv(os.path.join(w, "summary.csv"))
    out = [".. SPDX-License-Identifier: GPL-2.0", "",
           "==========================", "Handover latency benchmark", "==========================", "",
           "Generated by ``make bench-doc`` from the latest ``make bench`` results "
           "(``bench/results/latest/``); do not edit by hand.", "",
           "The same topology (``tests/selftests/lib/netns.sh``), netem settings, probe streams "
           "(``tests/tools/prober.c``, a probe every %s us each way, kernel receive timestamps) and "
           "moves for every system, in one VM boot: xfrm_mobility (strongSwan sets up the SA with the "
           "configurations of ``Documentation/examples/strongswan/``, MOBIKE off; the xfrm-mobility "
           "charon plugin hands the CHILD_SA to the module; ``mobctl daemon`` on X moves it), "
           "strongSwan MOBIKE, strongSwan reauthentication without MOBIKE (make_before_break no and "
           "yes), WireGuard roaming, and stock XFRM moved by a userspace script "
           "(``bench/lib/xfrm-mover.sh``). Method and definitions: ``bench/handover.sh`` and "
           "``bench/lib/analyze.py``." % run.get("interval_us", "2000"), "",
           "Scenarios: X moves make-before-break (the new address and route appear 1 s before the old "
           "address is deleted) between a direct uplink, one behind NAT A and one behind NAT B; NAT "
           "rebinding flushes NAT A's conntrack table while X stays, so that X's flows continue from "
           "new ports. One cycle: direct -> NAT B -> NAT A -> rebinding -> NAT B -> direct.", "",
           "Physical limit: X->Y one one-way delay (0.5 RTT), Y->X one round trip (Y learns of the "
           "move from X's first packet on the new path).", "",
           "* Date: %s" % run.get("date", "?"),
           "* Kernel: %s" % run.get("kernel", "?"),
           "* Machine: %s" % machine_line(run),
           "* Mode: %s, up to %s cycles of 5 moves per netem setting (%s)" % (
               run.get("mode", "?"), run.get("cycles", "?"), params_line(run)),
           ]
    out += ["* " + x for x in (wall_line(run), merged_line(run)) if x]
    out += ["",
           "Outage: from T0 (the address event's kernel timestamp; for NAT rebinding the conntrack "
           "flush) to the first probe delivered on the new path, median / p95 in ms and, in brackets, "
           "in RTT units. Lost: median probes lost. " + DETECT_TEXT + " No recovery: no probe got "
           "through in that direction before the next move (the script waits at most the bound for "
           "both directions). Under TCG every number carries emulation noise (tens of ms); compare "
           "within a table.", ""]

    def grid(hdr, rows):
        widths = [max(len(str(x)) for x in col) for col in zip(hdr, *rows)]
        sep = "+" + "+".join("-" * (n + 2) for n in widths) + "+"
        hsep = sep.replace("-", "=")

        def line(r):
            return "| " + " | ".join(str(x).ljust(n) for x, n in zip(r, widths)) + " |"
        o = [sep, line(hdr), hsep]
        for r in rows:
            o += [line(r), sep]
        return o

    for title, hdr, rows in table_rows(summ):
        out += [title, "=" * len(title) if False else "-" * len(title), ""] + grid(hdr, rows) + [""]
    hdr, rows = ratio_rows(summ)
    t = "Ratios of median outages (below 1: the module is faster)"
    out += [t, "-" * len(t), ""] + (grid(hdr, rows) if rows else ["(no module results)"]) + [""]
    t = "Where the module is not ahead, and why"
    out += [t, "-" * len(t), "", "Cells where the module's median outage is not below strongSwan "
            "MOBIKE's or WireGuard's, or where it did not recover:", ""]
    out += ["* " + x for x in not_ahead(summ)] or ["* (none)"]
    out += [""]
    notes = os.path.join(w, "notes.rst")
    if os.path.exists(notes):
        out += [open(notes).read().rstrip("\n"), ""]
    sys.stdout.write("\n".join(out))


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--rst":
        rst(sys.argv[2])
        return
    if len(sys.argv) != 2:
        sys.exit("usage: analyze.py DIR | --rst DIR")
    w = sys.argv[1]
    run, rows, skipped = analyze(w)
    write_moves(w, rows)
    summ = summarize(rows)
    write_summary_csv(w, summ)
    write_md(w, run, summ, skipped, rows)
    chart(w, summ)


if __name__ == "__main__":
    main()
