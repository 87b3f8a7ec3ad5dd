#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Raw generic netlink client for conn.sh: sends requests to the
# xfrm_mobility family that mobctl's argument parser would never let
# through (missing, out-of-range, oversized, unknown or wrongly sized
# attributes), and reports how the kernel answered.  Standard library only.
#
# Usage: conn_nl.py CASE...   (run inside the network namespace under test)
#
# Output, one line per CASE, tab-separated:
#   CASE  ERRNO  MISS  OFFS  WANT_OFFS  SAME  MSG
# ERRNO is the errno name of the NLMSG_ERROR reply (0 for an ACK); MISS the
# NLMSGERR_ATTR_MISS_TYPE attribute (- if absent); OFFS the
# NLMSGERR_ATTR_OFFS attribute (- if absent); WANT_OFFS the offset of the
# attribute the case made invalid (- if none); SAME is "same" when a dump of
# the connection table taken right after the request is identical to one
# taken right before it, "changed" otherwise; MSG the extack message (- if
# none).  Before the cases, a line "dump N" gives the number of connections
# the first dump returned (a sanity check of the client itself).
#
# Cases that need a reqid without any SA or policy use reqid 77: when the
# attribute validation wrongly lets such a request through, the kernel
# answers ENOENT and the table stays unchanged.

import errno
import os
import socket
import struct
import sys

NETLINK_GENERIC = 16
SOL_NETLINK = 270
NETLINK_CAP_ACK = 10
NETLINK_EXT_ACK = 11

NLMSG_ERROR = 2
NLMSG_DONE = 3
NLM_F_REQUEST = 0x1
NLM_F_ACK = 0x4
NLM_F_DUMP = 0x300
NLM_F_CAPPED = 0x100
NLM_F_ACK_TLVS = 0x200

NLMSGERR_ATTR_MSG = 1
NLMSGERR_ATTR_OFFS = 2
NLMSGERR_ATTR_MISS_TYPE = 5

GENL_ID_CTRL = 0x10
CTRL_CMD_GETFAMILY = 3
CTRL_ATTR_FAMILY_ID = 1
CTRL_ATTR_FAMILY_NAME = 2

NLHDR = struct.Struct('=IHHII')
GENLHDR = struct.Struct('=BBH')
HDRLEN = NLHDR.size + GENLHDR.size

# include/uapi/linux/xfrm_mobility.h
FAMILY = 'xfrm_mobility'
CMD_CONN_ADD, CMD_CONN_DEL, CMD_CONN_GET, CMD_HANDOVER = 1, 2, 3, 4
A_ID, A_NAME, A_REQID, A_MARK, A_MARK_MASK, A_IF_ID, A_ROLE, A_REG_PORT = range(1, 9)
A_STATE = 9
A_LOCAL_IPV4 = 16
NAME_MAX_LEN = 64  # including the terminating NUL
NOSA_REQID = 77


def nla(atype, data):
    n = 4 + len(data)
    return struct.pack('=HH', n, atype) + data + b'\0' * (-n % 4)


def u16(atype, v):
    return nla(atype, struct.pack('=H', v))


def u32(atype, v):
    return nla(atype, struct.pack('=I', v))


def strz(atype, s):
    return nla(atype, s.encode() + b'\0')


def parse_attrs(buf):
    attrs = {}
    while len(buf) >= 4:
        n, t = struct.unpack_from('=HH', buf)
        if n < 4 or n > len(buf):
            break
        attrs[t & 0x3fff] = buf[4:n]
        buf = buf[(n + 3) & ~3:]
    return attrs


class Genl:
    def __init__(self):
        self.sock = socket.socket(socket.AF_NETLINK, socket.SOCK_RAW,
                                  NETLINK_GENERIC)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_EXT_ACK, 1)
        self.sock.setsockopt(SOL_NETLINK, NETLINK_CAP_ACK, 1)
        self.sock.bind((0, 0))
        self.sock.settimeout(10)
        self.seq = 0
        err, _, msgs = self.request(GENL_ID_CTRL, CTRL_CMD_GETFAMILY,
                                    [strz(CTRL_ATTR_FAMILY_NAME, FAMILY)])
        if err:
            sys.exit('conn_nl: family %s: %s' % (FAMILY, os.strerror(err)))
        self.family = struct.unpack('=H',
                                    parse_attrs(msgs[0])[CTRL_ATTR_FAMILY_ID][:2])[0]

    def request(self, mtype, cmd, attrs, dump=False, trailer=b''):
        """Send one request; return (errno, extack dict, reply payloads)."""
        self.seq += 1
        payload = GENLHDR.pack(cmd, 1, 0) + b''.join(attrs) + trailer
        flags = NLM_F_REQUEST | (NLM_F_DUMP if dump else NLM_F_ACK)
        self.sock.send(NLHDR.pack(NLHDR.size + len(payload), mtype, flags,
                                  self.seq, 0) + payload)
        msgs = []
        while True:
            buf = self.sock.recv(65536)
            off = 0
            while off + NLHDR.size <= len(buf):
                n, t, fl, seq, _ = NLHDR.unpack_from(buf, off)
                if n < NLHDR.size:
                    raise RuntimeError('bad nlmsg_len %d' % n)
                body = buf[off + NLHDR.size:off + n]
                off += (n + 3) & ~3
                if seq != self.seq:
                    continue
                if t == NLMSG_ERROR:
                    return self.error(fl, body) + (msgs,)
                if t == NLMSG_DONE:
                    err = struct.unpack_from('=i', body)[0] if len(body) >= 4 else 0
                    ext = parse_attrs(body[4:]) if fl & NLM_F_ACK_TLVS else {}
                    return -err if err < 0 else 0, ext, msgs
                msgs.append(body[GENLHDR.size:])

    @staticmethod
    def error(flags, body):
        err = -struct.unpack_from('=i', body)[0]
        if flags & NLM_F_CAPPED:
            tlv = 4 + NLHDR.size
        else:
            tlv = 4 + struct.unpack_from('=I', body, 4)[0]
        ext = parse_attrs(body[tlv:]) if flags & NLM_F_ACK_TLVS else {}
        return err, ext

    def dump(self):
        err, ext, msgs = self.request(self.family, CMD_CONN_GET, [], dump=True)
        if err:
            raise RuntimeError('dump failed: %s' % os.strerror(err))
        return msgs


def name_case(length, terminated=True, bad=0):
    name = ('n' * length).encode() + (b'\0' if terminated else b'')
    return (CMD_CONN_ADD, [nla(A_NAME, name), u32(A_REQID, NOSA_REQID)], bad)


# CASE: (cmd, attributes, index of the invalid attribute or None[, trailer])
CASES = {
    'add-no-attrs': (CMD_CONN_ADD, [], None),
    'add-no-reqid': (CMD_CONN_ADD, [strz(A_NAME, 'nl-x'), u32(A_ROLE, 0)], None),
    'add-reqid-0': (CMD_CONN_ADD, [u32(A_REQID, 0)], 0),
    'add-reqid-u16': (CMD_CONN_ADD, [u16(A_REQID, 1)], 0),
    'add-reqid-u64': (CMD_CONN_ADD, [nla(A_REQID, struct.pack('=Q', 1))], 0),
    'add-name-100': name_case(100),
    'add-name-64': name_case(NAME_MAX_LEN),
    'add-name-63': name_case(NAME_MAX_LEN - 1, bad=None),
    'add-name-no-nul': name_case(8, terminated=False),
    'add-unknown-200': (CMD_CONN_ADD, [u32(A_REQID, NOSA_REQID), u32(200, 1)], 1),
    'add-unknown-state': (CMD_CONN_ADD, [u32(A_REQID, NOSA_REQID), u32(A_STATE, 0)], 1),
    'add-mark-outside': (CMD_CONN_ADD, [u32(A_REQID, NOSA_REQID), u32(A_MARK, 0x10),
                                        u32(A_MARK_MASK, 0x0f)], 1),
    'add-mark-no-mask': (CMD_CONN_ADD, [u32(A_REQID, NOSA_REQID), u32(A_MARK, 1)], 1),
    'add-role-2': (CMD_CONN_ADD, [u32(A_REQID, NOSA_REQID), u32(A_ROLE, 2)], 1),
    'add-port-0': (CMD_CONN_ADD, [u32(A_REQID, NOSA_REQID), u16(A_REG_PORT, 0)], 1),
    'add-trailing': (CMD_CONN_ADD, [u32(A_REQID, NOSA_REQID)], None, b'\x01\x02\x03'),
    'del-no-sel': (CMD_CONN_DEL, [], None),
    'del-id-0': (CMD_CONN_DEL, [u32(A_ID, 0)], 0),
    'handover-no-sel': (CMD_HANDOVER, [], None),
    'handover-local-no-sel': (CMD_HANDOVER,
                              [nla(A_LOCAL_IPV4, socket.inet_aton('10.0.1.2'))], None),
    'get-unknown-200': (CMD_CONN_GET, [u32(200, 1)], 0),
}


def main():
    g = Genl()
    print('dump %d' % len(g.dump()))
    for case in sys.argv[1:]:
        spec = CASES[case]
        cmd, attrs, bad = spec[:3]
        trailer = spec[3] if len(spec) > 3 else b''
        want = '-'
        if bad is not None:
            want = str(HDRLEN + sum(len(a) for a in attrs[:bad]))
        before = g.dump()
        err, ext, _ = g.request(g.family, cmd, attrs, dump=cmd == CMD_CONN_GET,
                                trailer=trailer)
        after = g.dump()
        name = errno.errorcode.get(err, str(err)) if err else '0'
        miss = ext.get(NLMSGERR_ATTR_MISS_TYPE)
        offs = ext.get(NLMSGERR_ATTR_OFFS)
        msg = ext.get(NLMSGERR_ATTR_MSG, b'-').rstrip(b'\0').decode(errors='replace')
        print('\t'.join([case, name,
                         str(struct.unpack('=I', miss)[0]) if miss else '-',
                         str(struct.unpack('=I', offs)[0]) if offs else '-',
                         want, 'same' if before == after else 'changed',
                         msg.replace('\t', ' ')]))


if __name__ == '__main__':
    main()
