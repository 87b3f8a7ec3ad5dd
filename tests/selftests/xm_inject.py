#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Craft registration messages and replay captured packets (security.sh,
untrusted.sh).

  xm_inject.py msg KIND SRC DST PORT      send one crafted message over UDP
                                          from SRC:PORT to DST:PORT
  xm_inject.py replay PCAP SRC DST PORT   resend the UDP payload of the first
                                          packet of PCAP from another source
  xm_inject.py echo-serve ADDR PORT SECS  UDP echo service on ADDR:PORT for
                                          SECS seconds; prints "ready"
  xm_inject.py echo SRC SPORT DST PORT    send a datagram from SRC:SPORT (0:
                                          any port) to DST:PORT, up to 5
                                          times, until it comes back; prints
                                          "echo from ADDR:PORT after N" or
                                          "no echo" (exit status 1)
  xm_inject.py espseq PCAP SPI            print the ESP sequence numbers of SPI
                                          (ESP-in-UDP) in capture order
  xm_inject.py espseq-any PCAP SPI        same for plain and ESP-in-UDP: "seq
                                          encapsulation outer-source" lines
"""
import socket
import struct
import sys
import time

MAGIC, VERSION, RREQ, RREP = 0x584D, 1, 1, 2


def tlv(t, value):
    pad = (-len(value)) % 4
    return struct.pack('!HH', t, len(value)) + value + b'\0' * pad


def view(saddr, daddr, sport=4500, dport=4500):
    return struct.pack('!BBHHH', 4, 1, 0, sport, dport) + \
        socket.inet_aton(saddr) + socket.inet_aton(daddr)


def message(kind):
    version, mtype, seq, extra = VERSION, RREQ, 1, b''
    body = tlv(0x8001, view('192.0.2.66', '203.0.113.10')) + \
        tlv(0x8003, struct.pack('!I', 1))
    if kind == 'stale':
        seq = 1
    elif kind == 'version':
        version = 2
    elif kind == 'rrep':
        # A well-formed reply, which a gateway never expects.
        mtype = RREP
        body += tlv(0x8002, view('192.0.2.66', '203.0.113.10')) + \
            tlv(0x8004, struct.pack('!IB3x', 1, 1))
    elif kind == 'critical':
        extra = tlv(0x8555, b'\1\2\3\4')
    elif kind == 'oversized':
        extra = tlv(0x0555, b'\0' * 560)
    hdr_len = 20 + len(body) + len(extra)
    msg = struct.pack('!HBBHHIQ', MAGIC, version, mtype, hdr_len, 0, seq,
                      0x1122334455667788) + body + extra
    if kind == 'truncated':
        msg = msg[:10]
    return msg


def pcap_ip_payloads(path):
    with open(path, 'rb') as f:
        data = f.read()
    magic = struct.unpack('<I', data[:4])[0]
    endian = '<' if magic in (0xa1b2c3d4, 0xa1b23c4d) else '>'
    linktype = struct.unpack(endian + 'I', data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        _, _, incl, _ = struct.unpack(endian + 'IIII', data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        l2 = {1: 14, 113: 16, 276: 20}.get(linktype, 0)
        ip = pkt[l2:]
        if len(ip) < 20 or ip[0] >> 4 != 4:
            continue
        ihl = (ip[0] & 15) * 4
        yield ip[9], ip[ihl:], socket.inet_ntoa(ip[12:16])


def pcap_udp_payloads(path):
    for proto, payload, _ in pcap_ip_payloads(path):
        if proto == 17:
            yield payload[8:]


def echo_serve(addr, port, secs):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((addr, port))
    print('ready', flush=True)
    end = time.monotonic() + secs
    while time.monotonic() < end:
        s.settimeout(max(end - time.monotonic(), 0.01))
        try:
            data, peer = s.recvfrom(2048)
        except socket.timeout:
            break
        s.sendto(data, peer)


def echo(src, sport, dst, port):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, sport))
    s.settimeout(1)
    for i in range(1, 6):
        token = b'xm-echo %d' % i
        s.sendto(token, (dst, port))
        try:
            while True:
                data, peer = s.recvfrom(2048)
                if data == token:
                    print('echo from %s:%d after %d' % (peer + (i,)))
                    return 0
        except socket.timeout:
            pass
    print('no echo')
    return 1


def main():
    cmd = sys.argv[1]
    if cmd == 'echo-serve':
        echo_serve(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]))
        return 0
    if cmd == 'echo':
        return echo(sys.argv[2], int(sys.argv[3]), sys.argv[4],
                    int(sys.argv[5]))
    if cmd == 'espseq':
        spi = int(sys.argv[3], 0)
        for p in pcap_udp_payloads(sys.argv[2]):
            if len(p) >= 8 and struct.unpack('!I', p[:4])[0] == spi:
                print(struct.unpack('!I', p[4:8])[0])
        return
    if cmd == 'espseq-any':
        # Sequence numbers of SPI in plain and UDP-encapsulated ESP, each
        # line "seq plain|udp" in capture order.
        spi = int(sys.argv[3], 0)
        for proto, p, src in pcap_ip_payloads(sys.argv[2]):
            kind = 'plain'
            if proto == 17:
                p, kind = p[8:], 'udp'
            elif proto != 50:
                continue
            if len(p) >= 8 and struct.unpack('!I', p[:4])[0] == spi:
                print(struct.unpack('!I', p[4:8])[0], kind, src)
        return
    src, dst, port = sys.argv[3], sys.argv[4], int(sys.argv[5])
    if cmd == 'msg':
        payload = message(sys.argv[2])
    else:
        payload = next(pcap_udp_payloads(sys.argv[2]))
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, port))
    s.sendto(payload, (dst, port))
    return 0


if __name__ == '__main__':
    sys.exit(main())
