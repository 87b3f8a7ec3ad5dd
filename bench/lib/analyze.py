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
# events; wall-clock logs (the stock mover's and charon's) are converted
# with the prober's REALTIME-MONOTONIC offset.
#
# Per move and direction:
#   outage  T0 -> kernel receive time of the first probe sent at or after T0
#           that was delivered (packets to X's deleted address are dropped,
#           so for Y->X it came on the new path; X->Y probes need at least
#           one one-way delay).  Not recovered (empty) when no such probe
#           arrived before the next move.
#   lost    probes sent between T0 - 1 RTT and that first probe that never
#           arrived (netem's random loss included).
#   detect  T0 -> the system's own first action on the new path:
#           module     X's sa-moved event (the RREQ leaves), rebind: Y's
#           wireguard  the send time of the first X->Y probe delivered
#                      (WireGuard needs no signalling)
#           stock      X's mover installed the new SAs (rebind: Y's)
#           strongSwan X's charon sent its first IKE packet from the new
#                      address (rebind: Y's charon logged the NAT mapping)
# Summary per system x scenario x RTT x loss: median and p95 (nearest
# rank) in ms and in RTT units, median lost probes, median detection,
# moves without recovery.

import bisect
import csv
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

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
SCEN_NAME = {
    "d2n": "direct -> NAT",
    "n2n": "NAT -> other NAT",
    "n2d": "NAT -> direct",
    "rebind": "NAT rebinding",
}
MS = 1e6


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


def load_probes(path):
    rows, hdr = [], {}
    if not os.path.exists(path):
        return rows, hdr
    for line in open(path):
        if line.startswith("#"):
            m = re.match(r"# realtime-monotonic-ns start (-?\d+)", line)
            if m:
                hdr["rt"] = int(m.group(1))
            m = re.match(r"# boottime-monotonic-ns (-?\d+)", line)
            if m:
                hdr["boot"] = int(m.group(1))
            continue
        f = line.split()
        if len(f) == 3:
            rows.append((int(f[0]), int(f[1]), int(f[2])))
    rows.sort()
    return rows, hdr


def trace_times(path):
    """{function: first BOOTTIME ns} of a saved ftrace buffer."""
    out = {}
    if not os.path.exists(path):
        return out
    re_ = re.compile(r"\s(\d+)\.(\d{6}):\s+(\w+)")
    for line in open(path):
        if line.startswith("#"):
            continue
        m = re_.search(line)
        if m:
            fn = m.group(3)
            if fn not in out:
                out[fn] = int(m.group(1)) * 10**9 + int(m.group(2)) * 1000
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
        self.xy, h1 = load_probes(os.path.join(self.w, "probes-x2y.txt"))
        self.yx, h2 = load_probes(os.path.join(self.w, "probes-y2x.txt"))
        self.boff = h1.get("boot", h2.get("boot", 0))
        self.rtoff = h1.get("rt", h2.get("rt", 0))
        self.xy = [(s, a + self.boff, b + self.boff) for s, a, b in self.xy]
        self.yx = [(s, a + self.boff, b + self.boff) for s, a, b in self.yx]
        self.sends = {id(self.xy): [r[1] for r in self.xy], id(self.yx): [r[1] for r in self.yx]}
        self.evx = self.load_events("events-x.jsonl")
        self.evy = self.load_events("events-y.jsonl")
        self.mover = {r: self.load_mover("mover-%s.log" % r) for r in ("x", "y")}
        self.charon = {r: self.load_charon("ss/%s/charon.log" % r) for r in ("mob", "gw")}

    def rt2boot(self, rt_ns):
        return rt_ns - self.rtoff + self.boff

    def load_events(self, name):
        ev = []
        p = os.path.join(self.w, name)
        if os.path.exists(p):
            for line in open(p):
                try:
                    e = json.loads(line)
                except ValueError:
                    continue
                if "time-ns" in e:
                    ev.append(e)
        return ev

    def load_mover(self, name):
        out = []
        p = os.path.join(self.w, name)
        if os.path.exists(p):
            for line in open(p):
                f = line.split(None, 1)
                if len(f) == 2 and f[0].isdigit():
                    out.append((self.rt2boot(int(f[0]) * 1000), f[1].strip()))
        return out

    def load_charon(self, name):
        out = []
        p = os.path.join(self.w, name)
        if not os.path.exists(p):
            return out
        # "HH:MM:SS.mmm NN[XXX] text", local time of the run's day.
        ref = self.xy or self.yx
        if not ref:
            return out
        day = time.strftime("%Y-%m-%d", time.localtime((ref[0][1] - self.boff + self.rtoff) / 1e9))
        base = None
        for line in open(p):
            m = re.match(r"(\d\d):(\d\d):(\d\d)\.(\d{3}) (.*)", line)
            if not m:
                continue
            if base is None:
                base = time.mktime(time.strptime(day, "%Y-%m-%d"))
            t = base + int(m.group(1)) * 3600 + int(m.group(2)) * 60 + int(m.group(3))
            rt = int(t) * 10**9 + int(m.group(4)) * 10**6
            out.append((self.rt2boot(rt), m.group(5)))
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

    def detect(self, mv, t0, t_end, new_addr, first_xy):
        scen = mv["scen"]
        lo = t0 - 10 * 10**6
        if self.name == "module":
            evs = self.evy if scen == "rebind" else self.evx
            for e in evs:
                if e.get("type") == "sa-moved" and lo <= e["time-ns"] < t_end:
                    return e["time-ns"] - t0
            return None
        if self.name == "wireguard":
            return first_xy["send"] - t0 if first_xy else None
        if self.name == "stock":
            for t, text in self.mover["y" if scen == "rebind" else "x"]:
                if text.startswith("moved") and lo <= t < t_end:
                    return t - t0
            return None
        # strongSwan
        if scen == "rebind":
            for t, text in self.charon["gw"]:
                if "NAT mappings of" in text and lo <= t < t_end:
                    return t - t0
            return None
        for t, text in self.charon["mob"]:
            if lo <= t < t_end and ("sending packet: from %s[" % new_addr) in text:
                return t - t0
        return None


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
        for line in open(os.path.join(S.w, "moves.txt")):
            f = line.split()
            if len(f) < 8:
                continue
            mv = dict(idx=int(f[0]), cyc=int(f[1]), scen=f[2], rtt=int(f[3]), loss=f[4],
                      t0u=int(f[5]), rc=int(f[6]), conv=int(f[7]))
            tr = trace_times(os.path.join(S.w, "trace-%d.txt" % mv["idx"]))
            key = "ctnetlink_del_conntrack" if mv["scen"] == "rebind" else "__inet_del_ifa"
            if key in tr:
                mv["t0"], mv["src"] = tr[key], "ftrace"
            else:
                mv["t0"], mv["src"] = S.rt2boot(mv["t0u"]), "user"
            moves.append(mv)
        # X's address after each move (a cycle starts on uplink a).
        pos = "a"
        for i, mv in enumerate(moves):
            if mv["scen"] != "rebind":
                pos = "b" if pos == "a" else "a"
            mv["new_addr"] = "10.0.2.2" if pos == "b" else "10.0.1.2"
            t_end = moves[i + 1]["t0"] - 5 * 10**8 if i + 1 < len(moves) else end_boot
            rtt_ns = mv["rtt"] * 10**6
            a = S.direction(S.xy, mv["t0"], t_end, rtt_ns)
            b = S.direction(S.yx, mv["t0"], t_end, rtt_ns)
            d = S.detect(mv, mv["t0"], t_end, mv["new_addr"], a)
            rows.append(dict(system=name, rtt=mv["rtt"], loss=mv["loss"], scen=mv["scen"],
                             cyc=mv["cyc"], move=mv["idx"], src=mv["src"],
                             conv=mv["conv"], x2y=a, y2x=b, detect=d))
    return run, rows, skipped


def f3(v):
    return "" if v is None else "%.3f" % v


def write_moves(w, rows):
    with open(os.path.join(w, "moves.csv"), "w", newline="") as f:
        c = csv.writer(f)
        c.writerow(["system", "rtt_ms", "loss_pct", "scenario", "cycle", "move", "t0_src",
                    "converged_ms", "x2y_outage_ms", "x2y_lost",
                    "y2x_outage_ms", "y2x_lost", "detect_ms"])
        for r in rows:
            a, b = r["x2y"] or {}, r["y2x"] or {}
            c.writerow([r["system"], r["rtt"], r["loss"], r["scen"], r["cyc"], r["move"], r["src"],
                        r["conv"],
                        f3(a["outage"] / MS if a else None), a.get("lost", ""),
                        f3(b["outage"] / MS if b else None), b.get("lost", ""),
                        f3(r["detect"] / MS if r["detect"] is not None else None)])


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


def write_md(w, run, summ, skipped, rows):
    out = ["# Handover latency, side by side", "",
           "Date %s, kernel %s, %s; %s mode (%s cycles per netem setting), probe every %s us each way."
           % (run.get("date", "?"), run.get("kernel", "?"), machine_line(run),
              run.get("mode", "?"), run.get("cycles", "?"), run.get("interval_us", "?")),
           "", "Outage = T0 (the address event, kernel timestamp) to the first probe delivered on the new "
           "path; median / p95 in ms, in brackets in RTT units. Lost = median lost probes. "
           "Detect = median T0 to the system's first action on the new path (see bench/lib/analyze.py).", ""]
    if skipped:
        out += ["Skipped: " + ", ".join("%s (%s)" % kv for kv in skipped.items()), ""]
    for title, hdr, rws in table_rows(summ):
        out += ["## " + title, "", md_table(hdr, rws), ""]
    hdr, rws = ratio_rows(summ)
    out += ["## Ratios of median outages", "", "Below 1: the module is faster.", "", md_table(hdr, rws), ""]
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
           "moves for every system, in one VM boot: xfrm_mobility (``mobctl daemon`` on X), strongSwan "
           "MOBIKE, strongSwan reauthentication without MOBIKE (make_before_break no and yes), "
           "WireGuard roaming, and stock XFRM moved by a userspace script "
           "(``bench/lib/xfrm-mover.sh``). Method and definitions: ``bench/handover.sh`` and "
           "``bench/lib/analyze.py``." % run.get("interval_us", "2000"), "",
           "* Date: %s" % run.get("date", "?"),
           "* Kernel: %s" % run.get("kernel", "?"),
           "* Machine: %s" % machine_line(run),
           "* Mode: %s, %s cycles of 5 moves per netem setting" % (run.get("mode", "?"),
                                                                  run.get("cycles", "?")), "",
           "Outage: from T0 (the address event's kernel timestamp; for NAT rebinding the conntrack "
           "flush) to the first probe delivered on the new path, median / p95 in ms and, in brackets, "
           "in RTT units. Lost: median probes lost. Detect: median time from T0 to the system's "
           "first action on the new path. Under TCG every number carries emulation noise (tens of ms); "
           "compare within a table.", ""]

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
