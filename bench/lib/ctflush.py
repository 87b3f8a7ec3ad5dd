#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Conntrack flush on demand for bench/handover.sh: reads lines from stdin
# and, for each, flushes the IPv4 conntrack table of its network namespace
# through ctnetlink (what "conntrack -F" does), without an exec per flush
# (under TCG an exec takes up to seconds).  Prints "flush ERRNO" per line.
#
# Usage: ip netns exec NS bench/lib/ctflush.py

import socket
import struct
import sys

NETLINK_NETFILTER = 12
NFNL_SUBSYS_CTNETLINK = 1
IPCTNL_MSG_CT_DELETE = 2
NLM_F_REQUEST, NLM_F_ACK = 1, 4


def main():
    s = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW, NETLINK_NETFILTER)
    s.bind((0, 0))
    seq = 0
    for _ in sys.stdin:
        seq += 1
        # nfgenmsg: family, version (NFNETLINK_V0), res_id; no attributes:
        # delete every entry of the family.
        body = struct.pack("!BBH", socket.AF_INET, 0, 0)
        hdr = struct.pack("=IHHII", 16 + len(body), NFNL_SUBSYS_CTNETLINK << 8 | IPCTNL_MSG_CT_DELETE,
                          NLM_F_REQUEST | NLM_F_ACK, seq, 0)
        s.send(hdr + body)
        r = s.recv(65536)
        err = struct.unpack_from("=i", r, 16)[0] if len(r) >= 20 else 0
        print("flush %d" % -err, flush=True)


if __name__ == "__main__":
    main()
