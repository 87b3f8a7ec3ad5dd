# SPDX-License-Identifier: GPL-2.0
#
# Loaders shared by the benchmark analyses (bench/lib/analyze.py,
# outage_analysis.py and switch_analysis.py).
#
#   load_probes(path)           received probes of tests/tools/prober.c:
#                               sorted (seq, send_ns, recv_ns), CLOCK_MONOTONIC,
#                               and the header's clock offsets
#   load_pair(dir)              both directions (probes-x2y.txt,
#                               probes-y2x.txt) shifted to CLOCK_BOOTTIME,
#                               with the offsets: the clock of ftrace and of
#                               xfrm_mobility's events
#   load_events(path)           "mobctl -j monitor" lines with a time-ns
#   load_pcap(path)             IPv4 packets of a pcap file (tcpdump -w,
#                               ns or us timestamps): (realtime_ns, src, dst,
#                               kind, sport, dport), kind as pkt_kind()

import json
import os
import re
import struct


def load_probes(path):
    """(rows, hdr): rows (seq, send_ns, recv_ns) sorted; hdr "rt"
    (CLOCK_REALTIME - CLOCK_MONOTONIC at start) and "boot"
    (CLOCK_BOOTTIME - CLOCK_MONOTONIC), when the file has them."""
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


class Pair:
    """Both probe directions of a work directory in CLOCK_BOOTTIME.

    xy, yx: (seq, send_ns, recv_ns); boff: BOOTTIME - MONOTONIC;
    rtoff: REALTIME - MONOTONIC (rt2boot() converts wall-clock times)."""

    def __init__(self, w):
        xy, h1 = load_probes(os.path.join(w, "probes-x2y.txt"))
        yx, h2 = load_probes(os.path.join(w, "probes-y2x.txt"))
        self.boff = h1.get("boot", h2.get("boot", 0))
        self.rtoff = h1.get("rt", h2.get("rt", 0))
        self.xy = [(s, a + self.boff, b + self.boff) for s, a, b in xy]
        self.yx = [(s, a + self.boff, b + self.boff) for s, a, b in yx]

    def rt2boot(self, rt_ns):
        return rt_ns - self.rtoff + self.boff


def load_pair(w):
    return Pair(w)


def load_events(path):
    ev = []
    if os.path.exists(path):
        for line in open(path):
            try:
                e = json.loads(line)
            except ValueError:
                continue
            if "time-ns" in e:
                ev.append(e)
    return ev


# pcap link types: offset of the IPv4 header, offset of the EtherType
LINKTYPES = {1: (14, 12), 113: (16, 14), 276: (20, 0), 101: (0, None), 228: (0, None)}


def load_pcap(path):
    """IPv4 packets of a pcap file: (realtime_ns, src, dst, kind, sport,
    dport); ports 0 but for UDP and TCP."""
    out = []
    if not os.path.exists(path):
        return out
    with open(path, "rb") as f:
        data = f.read()
    if len(data) < 24:
        return out
    for endian in ("<", ">"):
        magic, = struct.unpack(endian + "I", data[:4])
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            break
    else:
        return out
    nano = magic == 0xa1b23c4d
    linktype = struct.unpack(endian + "I", data[20:24])[0] & 0xfffffff
    if linktype not in LINKTYPES:
        return out
    l3, etype = LINKTYPES[linktype]
    rec = struct.Struct(endian + "IIII")
    i = 24
    while i + 16 <= len(data):
        sec, frac, incl, _ = rec.unpack_from(data, i)
        pkt = data[i + 16:i + 16 + incl]
        i += 16 + incl
        if etype is not None and (len(pkt) < etype + 2 or pkt[etype:etype + 2] != b"\x08\x00"):
            continue
        ip = pkt[l3:]
        if len(ip) < 20 or ip[0] >> 4 != 4:
            continue
        ihl = (ip[0] & 15) * 4
        t = sec * 10**9 + (frac if nano else frac * 1000)
        sport = dport = 0
        if ip[9] in (6, 17) and len(ip) >= ihl + 4:
            sport, dport = struct.unpack_from("!HH", ip, ihl)
        out.append((t, "%d.%d.%d.%d" % tuple(ip[12:16]), "%d.%d.%d.%d" % tuple(ip[16:20]),
                    pkt_kind(ip[9], ip[ihl:]), sport, dport))
    return out


def pkt_kind(proto, l4):
    """Short name of a packet: esp, ike, esp-in-udp, nat-keepalive,
    udp/PORT (WireGuard, probes), icmp, proto N."""
    if proto == 50:
        return "esp"
    if proto == 1:
        return "icmp"
    if proto != 17 or len(l4) < 4:
        return "proto %d" % proto
    sport, dport = struct.unpack_from("!HH", l4)
    if 500 in (sport, dport):
        return "ike"
    if 4500 in (sport, dport):
        pl = l4[8:12]
        if pl[:1] == b"\xff" and len(pl) == 1:
            return "nat-keepalive"
        if pl == b"\0\0\0\0":
            return "ike"
        return "esp-in-udp"
    return "udp/%d" % dport
