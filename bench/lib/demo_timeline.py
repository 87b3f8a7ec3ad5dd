#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
#
# Timeline of scripts/demo.sh: the module's events ("mobctl -j monitor" on
# X and Y) and the lines of charon's logs on X and Y that tell the
# handover and the CHILD_SA rekey, merged by time and printed relative to
# the first one at or after SINCE (local time, HH:MM:SS.ffffff).  A file
# that cannot be read is left out.
#
# Usage: bench/lib/demo_timeline.py SINCE MONITOR_X MONITOR_Y CHARON_LOG_X CHARON_LOG_Y

import json
import re
import sys
import time

KEYS = re.compile(r"xfrm-mobility|rekeying CHILD_SA|CHILD_SA \S+ established|"
                  r"closing CHILD_SA|updating SAD entry|endpoint changed|"
                  r"(generating|parsed) CREATE_CHILD_SA|INFORMATIONAL \S+ \d+ \[ D \]|"
                  r"deleting SAD entry")
SOURCES = ["X module", "Y module", "X charon", "Y charon"]


def sec(t):
    """Seconds since midnight of HH:MM:SS.ffffff."""
    h, m, s = t.split(":")
    return int(h) * 3600 + int(m) * 60 + float(s)


def wall(ns, off):
    """Local seconds since midnight of a CLOCK_BOOTTIME time; off is
    CLOCK_REALTIME - CLOCK_BOOTTIME in seconds."""
    e = ns / 1e9 + off
    lt = time.localtime(e)
    return lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec + e % 1


def entry(line, off):
    """(time, text) of a monitor or log line, or None if it does not count."""
    if line.startswith("{"):
        try:
            e = json.loads(line)
        except ValueError:
            return None
        out = [a for a in e.get("sas", []) if a.get("dir") == "out"]
        text = "%s seq %s" % (e.get("type"), e.get("seq", "-"))
        if out:
            a = out[0]
            text += "  out %s %s -> %s %s" % (a.get("spi"), a.get("saddr"), a.get("daddr"), a.get("encap"))
        return wall(e["time-ns"], off), text
    m = re.match(r"(\d\d:\d\d:\d\d\.\d+) \d+\[\w+\] (.*)", line)
    if not m or not KEYS.search(m.group(2)):
        return None
    return sec(m.group(1)), m.group(2)


def main():
    if len(sys.argv) != 6:
        sys.exit("usage: demo_timeline.py SINCE MONITOR_X MONITOR_Y CHARON_LOG_X CHARON_LOG_Y")
    since = sec(sys.argv[1])
    # Module events carry CLOCK_BOOTTIME; charon logs local wall-clock time.
    off = time.clock_gettime(time.CLOCK_REALTIME) - time.clock_gettime(time.CLOCK_BOOTTIME)
    rows = []
    for path, who in zip(sys.argv[2:], SOURCES):
        try:
            lines = open(path).read().splitlines()
        except OSError:
            continue
        for line in lines:
            te = entry(line, off)
            if te and te[0] >= since:
                rows.append((te[0], who, te[1]))
    rows.sort()
    if rows:
        t0 = rows[0][0]
        for t, who, text in rows:
            print("  %+9.1f ms  %-9s %s" % ((t - t0) * 1000, who, text[:100]))


if __name__ == "__main__":
    main()
