#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Summary of bench/scale.sh: reads the raw data of each gateway size
# (DIR/n<N>/: params, memory snapshots, xmscale outputs, event logs) and
# DIR/params, writes DIR/scale.csv (one line per size) and DIR/summary.md,
# and prints the summary and the CSV.
#
# Usage: bench/lib/scale_report.py DIR

import glob
import os
import re
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import finish, kv, write_csv  # noqa: E402

COLS = ["n", "storm", "adopt", "total_slab_b", "total_avail_b", "xfrm_slab_b", "xfrm_avail_b",
        "mod_slab_b", "mod_avail_b", "total_nominal_b", "xfrm_nominal_b", "mod_nominal_b",
        "sa_install_s", "adopt_s", "adopt_ms_per_conn", "dump_s", "ho_n", "ho_reg_ms", "ho_gw_ms",
        "storm_tx_s", "storm_rreq_rx", "storm_moved", "storm_gw_s", "storm_total_s", "storm_rate",
        "storm_gw_ms_per_req", "storm_registered", "storm_retx", "storm_no_tuple"]


def meminfo(path):
    d = {}
    for line in open(path):
        k, v = line.split(":", 1)
        d[k] = int(v.split()[0])
    return d


def objsizes(path):
    """{cache: object size} from "/sys/kernel/slab/<cache>/object_size:<bytes>"
    lines; {} without the file."""
    d = {}
    try:
        for line in open(path):
            p, v = line.strip().rsplit(":", 1)
            d[p.split("/")[-2]] = int(v)
    except (OSError, ValueError):
        pass
    return d


def slab(path, nominal=None):
    """Bytes per cache: active objects times the object size, as padded by
    slub_debug (slabinfo's objsize), or without padding (nominal); a
    kmalloc-N object counts N bytes, as on a kernel without slub_debug."""
    d = {}
    try:
        for line in open(path):
            if line.startswith(("slabinfo", "#")):
                continue
            f = line.split()
            size = int(f[3])
            if nominal is not None:
                m = re.match(r"kmalloc-(?:rcl-|cg-)?(\d+)(k?)$", f[0])
                if m:
                    size = int(m.group(1)) * (1024 if m.group(2) else 1)
                else:
                    size = nominal.get(f[0], size)
            d[f[0]] = int(f[1]) * size
    except OSError:
        pass
    return d


def events(path):
    """(time_ns, type, conn id, seq) of an "xmscale watch" log."""
    ev = []
    try:
        for line in open(path):
            t, ty, cid, seq = line.split()
            ev.append((int(t), ty, int(cid), int(seq)))
    except OSError:
        pass
    return ev


def first(ev, ty, cid, seq):
    """Time of the first event of type ty for (cid, seq), or None."""
    for t_, ty_, c_, s_ in ev:
        if ty_ == ty and c_ == cid and s_ == seq:
            return t_
    return None


def med(v):
    return statistics.median(v) if v else None


def f(v, fmt="%.1f"):
    return "" if v is None else fmt % v


def memory(d, n, params, r, detail):
    """XFRM's share (snapshot base -> sa) and the module's (sa -> conn)."""
    nom = objsizes(os.path.join(d, "objsize.txt"))
    try:
        m0, m1, m2 = (meminfo(os.path.join(d, "meminfo-%s.txt" % s)) for s in ("base", "sa", "conn"))
        s0, s1, s2 = (slab(os.path.join(d, "slabinfo-%s.txt" % s)) for s in ("base", "sa", "conn"))
        n0, n1, n2 = (slab(os.path.join(d, "slabinfo-%s.txt" % s), nom) for s in ("base", "sa", "conn"))
    except OSError:
        return
    if not m0:
        return
    gw = n - 1                   # connections added to Y by bulk requests
    r["total_slab_b"] = (m2["Slab"] - m0["Slab"]) * 1024 / gw
    r["total_avail_b"] = (m0["MemAvailable"] - m2["MemAvailable"]) * 1024 / gw
    r["total_nominal_b"] = (sum(n2.values()) - sum(n0.values())) / gw
    if params.get("adopt") != "bulk":
        return
    r["xfrm_slab_b"] = (m1["Slab"] - m0["Slab"]) * 1024 / gw
    r["xfrm_avail_b"] = (m0["MemAvailable"] - m1["MemAvailable"]) * 1024 / gw
    r["mod_slab_b"] = (m2["Slab"] - m1["Slab"]) * 1024 / gw
    r["mod_avail_b"] = (m1["MemAvailable"] - m2["MemAvailable"]) * 1024 / gw
    # Without slub_debug's padding (what a production kernel allocates).
    r["xfrm_nominal_b"] = (sum(n1.values()) - sum(n0.values())) / gw
    r["mod_nominal_b"] = (sum(n2.values()) - sum(n1.values())) / gw
    for name, a, b, na, nb in (("xfrm", s0, s1, n0, n1), ("module", s1, s2, n1, n2)):
        delta = sorted(((b.get(k, 0) - a.get(k, 0), k) for k in set(a) | set(b)), reverse=True)
        detail.append("n=%d %s share, largest slab deltas per connection (slub_debug size / nominal): %s" % (
            n, name, ", ".join("%s %.0f B / %.0f B" % (k, v / gw, (nb.get(k, 0) - na.get(k, 0)) / gw)
                               for v, k in delta[:6] if v > 0)))


def adoption(d, n, params, r):
    """Time of Y's conn-adds, of its SA installs, and of one dump."""
    gw = n - 1
    t = 0.0
    ok = True
    for p in glob.glob(os.path.join(d, "conn-storm-y.txt")) + glob.glob(os.path.join(d, "conn-bg*.txt")):
        e = kv(p).get("elapsed_s")
        if e is None:
            ok = False
        else:
            t += float(e)
    r["adopt_s"] = t if ok else None
    r["adopt_ms_per_conn"] = t * 1000 / gw if ok and gw else None
    sat = 0.0
    for p in glob.glob(os.path.join(d, "sa-storm-y.txt")) + glob.glob(os.path.join(d, "sa-bg*.txt")):
        sat += float(kv(p).get("elapsed_s", "nan"))
    r["sa_install_s"] = sat
    if params.get("adopt") == "incremental":
        r["adopt_s_note"] = "incremental"
    dy = kv(os.path.join(d, "dump-y.txt"))
    r["dump_s"] = float(dy["elapsed_s"]) if "elapsed_s" in dy else None
    r["dump_conns"] = int(dy.get("conns", 0))


def handovers(d, r):
    """Single handovers of "home" (conn id 1 on both sides), by seq."""
    ex, ey = events(os.path.join(d, "events-x.txt")), events(os.path.join(d, "events-y.txt"))
    reg, gwt = [], []
    for t_, ty_, c_, s_ in ex:
        if ty_ == "sa-moved" and c_ == 1 and s_:
            done = first(ex, "rrep-received", 1, s_)
            if done:
                reg.append((done - t_) / 1e6)
    for t_, ty_, c_, s_ in ey:
        if ty_ == "rreq-received" and c_ == 1:
            sent = first(ey, "rrep-sent", 1, s_)
            if sent:
                gwt.append((sent - t_) / 1e6)
    r["ho_reg_ms"] = med(reg)
    r["ho_gw_ms"] = med(gwt)
    r["ho_n"] = len(reg)


def storm(d, n, r, detail):
    """The storm: X hands its storm connections over at once."""
    sx, sy = events(os.path.join(d, "storm-x.txt")), events(os.path.join(d, "storm-y.txt"))
    if not r["storm"] or not sy:
        return
    rs = [t_ for t_, ty_, _, _ in sx if ty_ == "rreq-sent"]
    rx = [t_ for t_, ty_, _, _ in sy if ty_ == "rreq-received"]
    mv = {}
    for t_, ty_, c_, _ in sy:
        if ty_ == "sa-moved":
            mv.setdefault(c_, t_)
    t0 = min(rs) if rs else min(rx)
    r["storm_tx_s"] = (max(rs) - min(rs)) / 1e9 if rs else None
    r["storm_moved"] = len(mv)
    r["storm_rreq_rx"] = len(rx)
    if mv and rx:
        span = (max(mv.values()) - min(rx)) / 1e9
        r["storm_gw_s"] = span
        r["storm_rate"] = len(mv) / span if span > 0 else None
        r["storm_total_s"] = (max(mv.values()) - t0) / 1e9
    # The gateway's time per request: rreq-received -> rrep-sent.
    per = {}
    for t_, ty_, c_, s_ in sy:
        if ty_ == "rreq-received":
            per.setdefault((c_, s_), [t_, None])
        elif ty_ == "rrep-sent" and (c_, s_) in per and per[(c_, s_)][1] is None:
            per[(c_, s_)][1] = t_
    pt = [(b - a) / 1e6 for a, b in per.values() if b]
    r["storm_gw_ms_per_req"] = med(pt)
    # Requests per second over time, 1 s bins from the first one.
    if rx:
        bins = {}
        for t_ in rx:
            k = int((t_ - min(rx)) / 1e9)
            bins[k] = bins.get(k, 0) + 1
        detail.append("n=%d storm: RREQs processed by Y per second from the first: %s" % (
            n, " ".join(str(bins.get(k, 0)) for k in range(max(bins) + 1))))
    ax = kv(os.path.join(d, "dump-x-after.txt"))
    ay = kv(os.path.join(d, "dump-y-after.txt"))
    r["storm_registered"] = ax.get("rrep_rx")
    r["storm_retx"] = ax.get("retransmits")
    r["storm_no_tuple"] = ay.get("drop_no_tuple")


def size_row(d, detail):
    """The CSV row of one size's directory d; detail lines appended."""
    params = kv(os.path.join(d, "params"))
    n = int(params["n"])
    r = {"n": n, "storm": int(params["storm"]), "adopt": params.get("adopt")}
    memory(d, n, params, r, detail)
    adoption(d, n, params, r)
    handovers(d, r)
    storm(d, n, r, detail)
    return r


def summary(rows, detail, params):
    """The lines of summary.md."""
    o = []
    o.append("Scale, kernel %s, %s, adoption %s"
             % (params.get("kernel"), params.get("date"), params.get("adopt")))
    o.append("")
    o.append("Memory per connection: slab bytes without slub_debug's padding (nominal), "
             "and as allocated in the VM (slub_debug).")
    o.append("")
    o.append("| gateway connections N | XFRM slab / conn (nominal) | module slab / conn (nominal) "
             "| XFRM / module slab / conn (slub_debug) | module MemAvailable / conn | SA+policy install "
             "| adopt (conn-add N) | per conn-add | conn-get dump of N |")
    o.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        o.append("| %d | %s B | %s B | %s B / %s B | %s B | %s s | %s s | %s ms | %s s |" % (
            r["n"], f(r.get("xfrm_nominal_b"), "%.0f"), f(r.get("mod_nominal_b"), "%.0f"),
            f(r.get("xfrm_slab_b"), "%.0f"), f(r.get("mod_slab_b"), "%.0f"),
            f(r.get("mod_avail_b"), "%.0f"), f(r.get("sa_install_s"), "%.1f"), f(r.get("adopt_s"), "%.2f"),
            f(r.get("adopt_ms_per_conn"), "%.3f"), f(r.get("dump_s"), "%.2f")))
    o.append("")
    o.append("| N | handovers | registration (X sa-moved -> rrep-received), median "
             "| gateway work per RREQ, median | storm size | RREQs leaving X "
             "| Y: first RREQ -> last SA moved | RREQs/s at Y | Y per RREQ in storm, median "
             "| registered on X | retransmits | no-tuple drops |")
    o.append("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for r in rows:
        o.append("| %d | %d | %s ms | %s ms | %d | %s s | %s s | %s | %s ms | %s | %s | %s |" % (
            r["n"], r.get("ho_n", 0), f(r.get("ho_reg_ms")), f(r.get("ho_gw_ms"), "%.2f"), r["storm"],
            f(r.get("storm_tx_s"), "%.2f"), f(r.get("storm_gw_s"), "%.2f"), f(r.get("storm_rate"), "%.0f"),
            f(r.get("storm_gw_ms_per_req"), "%.2f"), r.get("storm_registered", ""), r.get("storm_retx", ""),
            r.get("storm_no_tuple", "")))
    if len(rows) > 1:
        b = rows[0]
        o.append("")
        o.append("Growth relative to N = %d (x N grows by %s):"
                 % (b["n"], ", ".join("%.0f" % (r["n"] / b["n"]) for r in rows[1:])))
        for key, label in (("adopt_ms_per_conn", "time per conn-add"), ("dump_s", "conn-get dump"),
                           ("ho_gw_ms", "gateway work per handover"),
                           ("ho_reg_ms", "registration round trip"),
                           ("storm_gw_ms_per_req", "gateway work per RREQ in the storm"),
                           ("mod_nominal_b", "module memory per connection")):
            if b.get(key):
                o.append("  %-38s %s" % (label, ", ".join(
                    "x%.2f" % (r[key] / b[key]) if r.get(key) else "n/a" for r in rows[1:])))
    o.append("")
    o.extend(detail)
    return o


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: scale_report.py DIR")
    w = sys.argv[1]
    rows, detail = [], []
    for d in sorted(glob.glob(os.path.join(w, "n*")), key=lambda p: int(os.path.basename(p)[1:])):
        rows.append(size_row(d, detail))
    write_csv(w, "scale.csv", COLS, rows)
    finish(w, summary(rows, detail, kv(os.path.join(w, "params"))), "scale.csv")


if __name__ == "__main__":
    main()
