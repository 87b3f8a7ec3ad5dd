#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The command that "make check-debug" (scripts/check-debug.sh) runs inside
# the VM booting the debug kernel: the selftests, optionally the soak, then a
# kmemleak scan.  Not meant to be run by hand.
#
# Usage (in the VM): scripts/check-debug-guest.sh [TEST...]
#   TEST...  passed to tests/selftests/run.sh (default: all)
#
# Environment (from run-vm.sh):
#   XM_DEBUG_MODULES  modules_install root of the debug kernel; bind-mounted
#                     over /lib/modules so that modprobe finds its few
#                     modules (esp4_offload, esp6_offload)
#   XM_DEBUG_BUILD    module build name (build/<name>/, build/<name>-fault/);
#                     becomes XM_KREL for the tests, which look up the test
#                     build of the module as build/$XM_KREL-fault/
#   XM_DEBUG_SOAK=1   also run tests/soak/soak.sh, if it exists
#   XM_OUT            results directory: kmemleak.txt is written there
#
# Output: run.sh's KTAP, the soak's output, then "# kmemleak: N unreferenced
# objects" and the kmemleak report as "# " lines.  Exit: 1 if the selftests
# or the soak failed, else run.sh's exit status.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
kml=/sys/kernel/debug/kmemleak
say() { echo "# check-debug: $*"; }
kmsg() { echo "xm-check-debug: $*" >/dev/kmsg 2>/dev/null || true; }

# Every report should be collected, not just the first: a WARN must not
# panic the guest (an Oops still does, oops=panic).  KASAN and UBSAN also
# honour panic_on_warn.
echo 0 >/proc/sys/kernel/panic_on_warn 2>/dev/null
say "panic_on_warn=$(cat /proc/sys/kernel/panic_on_warn 2>/dev/null || echo ?)"

if [[ -n ${XM_DEBUG_MODULES:-} && -d $XM_DEBUG_MODULES/lib/modules/$(uname -r) ]]; then
	mount --bind "$XM_DEBUG_MODULES/lib/modules" /lib/modules ||
		say "cannot bind-mount $XM_DEBUG_MODULES/lib/modules"
fi
[[ -z ${XM_DEBUG_BUILD:-} ]] || export XM_KREL=$XM_DEBUG_BUILD

# Leak suspects from the boot and the VM's setup are not the suite's: scan
# once and forget them before the first test.
if [[ -w $kml ]]; then
	t0=$EPOCHREALTIME
	echo scan >"$kml"
	echo clear >"$kml"
	say "kmemleak baseline scan and clear in $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s"
else
	say "no $kml (debugfs not mounted or kmemleak off)"
fi

kmsg "selftests start"
tests/selftests/run.sh "$@"
rc=$?
kmsg "selftests end (exit $rc)"

soak=tests/soak/soak.sh
if [[ ${XM_DEBUG_SOAK:-0} == 1 ]]; then
	if [[ -f $soak ]]; then
		kmsg "soak start"
		say "running $soak"
		bash "$soak"
		src=$?
		kmsg "soak end (exit $src)"
		case $src in
		0) echo "ok - soak" ;;
		4) echo "ok - soak # SKIP" ;;
		*) echo "not ok - soak # exit=$src"; rc=1 ;;
		esac
	else
		say "XM_DEBUG_SOAK=1 but no $soak: soak not run"
	fi
fi

# Two scans with a pause: an object must be seen unreferenced by two scans
# (and be older than 5 s) to be reported.
if [[ -w $kml ]]; then
	t0=$EPOCHREALTIME
	echo scan >"$kml"
	sleep 20
	echo scan >"$kml"
	cat "$kml" >"${XM_OUT:-/tmp}/kmemleak.txt" 2>/dev/null
	n=$(grep -c '^unreferenced object' "${XM_OUT:-/tmp}/kmemleak.txt" 2>/dev/null)
	say "kmemleak: ${n:-0} unreferenced objects (scans took $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s)"
	sed 's/^/#   /' "${XM_OUT:-/tmp}/kmemleak.txt" | head -n 400
fi
((rc == 0 || rc == 4)) || rc=1
exit "$rc"
