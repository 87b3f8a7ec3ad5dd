#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Holds a UDP_ENCAP_ESPINUDP socket on port 4500 until killed, as an IKE
# daemon does: without one nothing decapsulates ESP-in-UDP on a host whose
# module is idle or not loaded (the module's own socket stands in only
# while it manages a connection and the port is free).  Run in the
# namespace that needs it (bench/dataplane.sh, the "stock" system of
# bench/handover.sh).
#
# Usage: ip netns exec NS bench/lib/encap_sock.py

import signal
import socket

UDP_ENCAP = 100
UDP_ENCAP_ESPINUDP = 2


def main():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("0.0.0.0", 4500))
    s.setsockopt(socket.IPPROTO_UDP, UDP_ENCAP, UDP_ENCAP_ESPINUDP)
    signal.pause()


if __name__ == "__main__":
    main()
