#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Convergence check of bench/handover.sh: an ICMP echo request from SRC to
# DST every 100 ms; on every reply the CLOCK_REALTIME in microseconds is
# written to FILE (replacing its content), so that the shell can poll it
# with "read" (no exec).  Runs until killed.
#
# Usage: bench/lib/pinger.py SRC DST FILE

import os
import select
import socket
import struct
import sys
import time


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff


def main():
    if len(sys.argv) != 4:
        sys.exit("usage: pinger.py SRC DST FILE")
    src, dst, path = sys.argv[1:]
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.bind((src, 0))
    ident = os.getpid() & 0xffff
    seq = 0
    while True:
        seq = (seq + 1) & 0xffff
        hdr = struct.pack("!BBHHH", 8, 0, 0, ident, seq)
        pkt = struct.pack("!BBHHH", 8, 0, csum(hdr + b"xm-bench"), ident, seq) + b"xm-bench"
        try:
            s.sendto(pkt, (dst, 0))
        except OSError:
            pass
        end = time.monotonic() + 0.1
        while True:
            left = end - time.monotonic()
            if left <= 0:
                break
            r, _, _ = select.select([s], [], [], left)
            if not r:
                continue
            data = s.recv(2048)
            ihl = (data[0] & 0xf) * 4
            if len(data) < ihl + 8:
                continue
            typ, _, _, rid, _ = struct.unpack("!BBHHH", data[ihl:ihl + 8])
            if typ == 0 and rid == ident:
                with open(path + ".tmp", "w") as f:
                    f.write("%d\n" % (time.time_ns() // 1000))
                os.replace(path + ".tmp", path)


if __name__ == "__main__":
    main()
