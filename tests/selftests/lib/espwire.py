#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""ESP packets in a pcap file: sequence-number checks and replays.

  espwire.py check PCAP --src ADDR[,ADDR...] [--spi SPI]
      One line per SPI of the ESP packets (plain, or ESP-in-UDP on port
      4500) whose outer source is one of ADDRs:
        spi 0x1000 packets N distinct N duplicates N missing N max-back N
        first N last N
      duplicates: packets whose (SPI, sequence number) came before;
      missing: numbers between the lowest and the highest seen that never
      appeared (a sender that skips numbers, or packets lost before the
      capture); max-back: the largest distance by which a sequence number
      lies below the highest one already on the wire (reordering).
      Exit status 0; 1 when the file cannot be read.

  espwire.py replay PCAP --src ADDR --to ADDR [--encap none|udp:SPORT:DPORT]
      Sends every captured ESP packet from ADDR again, as captured except
      for the outer header (which the ICV does not cover): the destination
      becomes --to and, with --encap, the encapsulation the receiving SA
      now has (plain ESP, or ESP-in-UDP between those ports), so that the
      packets reach the SA's replay check. Through a raw socket in the
      current network namespace, paced so that the receiver's backlog does
      not overflow. Prints "replayed N".
"""

import argparse
import socket
import struct
import sys
import time

ESP_PORT = 4500


def packets(path):
    """Yield the IPv4 packets of a pcap file (Ethernet or Linux cooked)."""
    with open(path, 'rb') as f:
        head = f.read(24)
        if len(head) < 24:
            return
        magic = struct.unpack('<I', head[:4])[0]
        if magic in (0xa1b2c3d4, 0xa1b23c4d):
            endian = '<'
        elif magic in (0xd4c3b2a1, 0x4d3cb2a1):
            endian = '>'
        else:
            raise ValueError('not a pcap file')
        linktype = struct.unpack(endian + 'I', head[20:24])[0]
        while True:
            rec = f.read(16)
            if len(rec) < 16:
                return
            incl = struct.unpack(endian + 'IIII', rec)[2]
            data = f.read(incl)
            if len(data) < incl:
                return
            if linktype == 1:          # Ethernet
                off, etype = 14, data[12:14]
            elif linktype == 113:      # Linux cooked (SLL)
                off, etype = 16, data[14:16]
            elif linktype == 276:      # Linux cooked v2 (SLL2)
                off, etype = 20, data[0:2]
            elif linktype in (101, 228):  # raw IP
                off, etype = 0, b'\x08\x00'
            else:
                raise ValueError('link type %d' % linktype)
            if etype == b'\x08\x00' and len(data) > off + 20:
                yield data[off:]


def esp_of(ip):
    """(spi, seq, header length up to ESP) of an ESP packet, else None."""
    ihl = (ip[0] & 0x0f) * 4
    proto = ip[9]
    if proto == 50 and len(ip) >= ihl + 8:
        spi, seq = struct.unpack('!II', ip[ihl:ihl + 8])
        return spi, seq, ihl
    if proto == 17 and len(ip) >= ihl + 16:
        dport = struct.unpack('!H', ip[ihl + 2:ihl + 4])[0]
        sport = struct.unpack('!H', ip[ihl:ihl + 2])[0]
        if ESP_PORT in (dport, sport):
            spi, seq = struct.unpack('!II', ip[ihl + 8:ihl + 16])
            if spi:                    # 0: an IKE packet (non-ESP marker)
                return spi, seq, ihl + 8
    return None


def check(args):
    srcs = {socket.inet_aton(a) for a in args.src.split(',')}
    want = int(args.spi, 0) if args.spi else None
    stats = {}
    for ip in packets(args.pcap):
        if ip[12:16] not in srcs:
            continue
        esp = esp_of(ip)
        if not esp or (want is not None and esp[0] != want):
            continue
        spi, seq, _ = esp
        s = stats.setdefault(spi, {'n': 0, 'seen': set(), 'dup': 0,
                                   'high': 0, 'back': 0, 'first': seq,
                                   'low': seq})
        s['n'] += 1
        if seq in s['seen']:
            s['dup'] += 1
        s['seen'].add(seq)
        if seq < s['high']:
            s['back'] = max(s['back'], s['high'] - seq)
        s['high'] = max(s['high'], seq)
        s['low'] = min(s['low'], seq)
        s['last'] = seq
    for spi, s in sorted(stats.items()):
        missing = s['high'] - s['low'] + 1 - len(s['seen'])
        print('spi 0x%x packets %d distinct %d duplicates %d missing %d '
              'max-back %d first %d last %d' %
              (spi, s['n'], len(s['seen']), s['dup'], missing, s['back'],
               s['first'], s['last']))
    return 0


def checksum(data):
    if len(data) % 2:
        data += b'\0'
    total = sum(struct.unpack('!%dH' % (len(data) // 2), data))
    while total >> 16:
        total = (total & 0xffff) + (total >> 16)
    return ~total & 0xffff


def outer(ip, esp_off, dst, encap='keep'):
    """@ip with destination @dst and encapsulation @encap (None: plain ESP,
    (SPORT, DPORT): ESP-in-UDP, 'keep': as captured), checksummed."""
    ihl = (ip[0] & 0x0f) * 4
    esp = ip[esp_off:]
    if encap == 'keep':
        encap = (None if ip[9] == 50 else
                 struct.unpack('!HH', ip[ihl:ihl + 4]))
    hdr = bytearray(ip[:ihl])
    if encap is None:
        hdr[9] = 50
        body = esp
    else:
        hdr[9] = 17
        body = struct.pack('!HHHH', encap[0], encap[1], 8 + len(esp), 0) + esp
    hdr[2:4] = struct.pack('!H', ihl + len(body))
    hdr[16:20] = dst
    hdr[10:12] = b'\0\0'
    hdr[10:12] = struct.pack('!H', checksum(bytes(hdr)))
    return bytes(hdr) + body


def replay(args):
    src = socket.inet_aton(args.src)
    dst = socket.inet_aton(args.to)
    encap = 'keep'
    if args.encap == 'none':
        encap = None
    elif args.encap:
        _, sport, dport = args.encap.split(':')
        encap = (int(sport), int(dport))
    sock = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
    n = 0
    for ip in packets(args.pcap):
        esp = esp_of(ip)
        if ip[12:16] != src or not esp:
            continue
        ip = ip[:struct.unpack('!H', ip[2:4])[0]]
        pkt = outer(ip, esp[2], dst, encap)
        sock.sendto(pkt, (args.to, 0))
        n += 1
        if n % 50 == 0:
            time.sleep(0.005)
    print('replayed %d' % n)
    return 0


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest='cmd', required=True)
    c = sub.add_parser('check')
    c.add_argument('pcap')
    c.add_argument('--src', required=True)
    c.add_argument('--spi')
    r = sub.add_parser('replay')
    r.add_argument('pcap')
    r.add_argument('--src', required=True)
    r.add_argument('--to', required=True)
    r.add_argument('--encap')
    args = p.parse_args()
    try:
        return check(args) if args.cmd == 'check' else replay(args)
    except (OSError, ValueError) as e:
        print('espwire: %s' % e, file=sys.stderr)
        return 1


if __name__ == '__main__':
    sys.exit(main())
