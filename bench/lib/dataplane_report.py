#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Summary of bench/dataplane.sh: reads the iperf3 JSON of each run
# (DIR/raw/r<rep>-<config>-<proto>.json) and DIR/params, writes
# DIR/dataplane.csv (one line per run) and DIR/summary.md, and prints the
# summary and the CSV.
#
# Usage: bench/lib/dataplane_report.py DIR

import glob
import json
import os
import statistics
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from report import finish, kv  # noqa: E402

CONFIGS = ("managed", "idle", "unloaded")


def load_runs(w):
    """Sorted (rep, config, proto, value, sent_pps, extra) per run: value
    Mbit/s received (tcp) or packets/s received (udp); extra the TCP
    retransmissions or the UDP loss in percent.  A run without a result
    (no JSON, an iperf3 error) has None in the last three."""
    rows = []
    for path in sorted(glob.glob(os.path.join(w, "raw", "r*.json"))):
        name = os.path.basename(path)[:-5]          # r<rep>-<config>-<proto>
        rep, config, proto = name.split("-")
        try:
            j = json.load(open(path))
        except ValueError:
            rows.append((int(rep[1:]), config, proto, None, None, None))
            continue
        end = j.get("end", {})
        if "error" in j or not end:
            rows.append((int(rep[1:]), config, proto, None, None, None))
            continue
        if proto == "tcp":
            r = end["sum_received"]
            rows.append((int(rep[1:]), config, proto, r["bits_per_second"] / 1e6,
                         None, end.get("sum_sent", {}).get("retransmits")))
        else:
            s = end["sum"]
            pkts, lost, secs = s["packets"], s["lost_packets"], s["seconds"]
            rows.append((int(rep[1:]), config, proto, (pkts - lost) / secs,
                         pkts / secs, s["lost_percent"]))
    rows.sort()
    return rows


def write_runs(w, rows):
    with open(os.path.join(w, "dataplane.csv"), "w") as f:
        f.write("rep,config,test,value,unit,sent_pps,loss_pct_or_tcp_retransmits\n")
        for rep, config, proto, v, sent, extra in rows:
            unit = "mbit_s" if proto == "tcp" else "pps_received"
            f.write("%d,%s,%s,%s,%s,%s,%s\n" % (
                rep, config, proto, "" if v is None else "%.1f" % v, unit,
                "" if sent is None else "%.1f" % sent, "" if extra is None else extra))


def summary(rows, params):
    """The lines of summary.md."""
    out = []
    out.append("Data plane through one ESP tunnel (%s), kernel %s, %s reps x %s s per run, interleaved"
               % ("ESP-in-UDP" if params.get("encap") == "udp" else "plain ESP", params.get("kernel"),
                  params.get("reps"), params.get("time")))
    out.append("")
    out.append("| test | configuration | median | min | max | n | ratio to unloaded (median) |")
    out.append("| --- | --- | ---: | ---: | ---: | ---: | ---: |")
    for proto, label, unit in (("tcp", "TCP X->Y", "Mbit/s"),
                               ("udp", "UDP X->Y %s B" % params.get("udp_len"), "pkt/s")):
        base = [v for _, c, p, v, _, _ in rows if p == proto and c == "unloaded" and v is not None]
        bmed = statistics.median(base) if base else None
        for c in CONFIGS:
            vals = [v for _, cc, p, v, _, _ in rows if p == proto and cc == c and v is not None]
            if not vals:
                out.append("| %s | %s | n/a | | | 0 | |" % (label, c))
                continue
            med = statistics.median(vals)
            out.append("| %s | %s | %.1f %s | %.1f | %.1f | %d | %s |"
                       % (label, c, med, unit, min(vals), max(vals), len(vals),
                          "%.3f" % (med / bmed) if bmed else "n/a"))
    # Paired ratios: each rep's managed/idle value over the same rep's
    # unloaded one, so that slow drift of the VM's speed cancels.
    out.append("")
    out.append("Per-rep ratios (same rep, so slow drift cancels): median [min, max]")
    for proto in ("tcp", "udp"):
        by = {}
        for rep, c, p, v, _, _ in rows:
            if p == proto and v is not None:
                by.setdefault(rep, {})[c] = v
        for c in ("managed", "idle"):
            r = [d[c] / d["unloaded"] for d in by.values() if c in d and d.get("unloaded")]
            if r:
                out.append("  %s %-8s / unloaded: %.3f [%.3f, %.3f] n=%d"
                           % (proto, c, statistics.median(r), min(r), max(r), len(r)))
    udp_loss = [(c, x) for _, c, p, v, _, x in rows if p == "udp" and x is not None]
    if udp_loss:
        out.append("")
        out.append("UDP loss (median %): " + ", ".join(
            "%s %.1f" % (c, statistics.median([x for cc, x in udp_loss if cc == c]))
            for c in CONFIGS if any(cc == c for cc, _ in udp_loss)))
    return out


def main():
    if len(sys.argv) != 2:
        sys.exit("usage: dataplane_report.py DIR")
    w = sys.argv[1]
    rows = load_runs(w)
    write_runs(w, rows)
    finish(w, summary(rows, kv(os.path.join(w, "params"))), "dataplane.csv")


if __name__ == "__main__":
    main()
