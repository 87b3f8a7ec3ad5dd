#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR/..
#
# "make check-debug": every selftest in one VM booting a debug 6.1 kernel
# (KASAN, lockdep with PROVE_RCU, kmemleak, UBSAN, DEBUG_ATOMIC_SLEEP), then
# a kmemleak scan, and a verdict on every debug report in the kernel log.
#
# Usage: scripts/check-debug.sh [TEST...]   (TEST...: passed to run.sh)
#        scripts/check-debug.sh --report    (the reports of the last run
#                                            again, without booting)
#
# Steps:
#   kernel   scripts/debug-kernel.sh: built once, cached outside the tree
#            (${XM_CACHE:-$HOME/.cache/xfrm_mobility}/debug-6.1/<key>/)
#   module   make module-for against that tree into build/debug-6.1/ and,
#            with fault points, build/debug-6.1-fault/ (with -g, so that
#            traces through the module can be decoded to source lines)
#   tools    make mobctl, make tools, make strongswan-plugin
#   vm       tests/vm/run-vm.sh --vmlinuz <bzImage> running
#            scripts/check-debug-guest.sh: tests/selftests/run.sh, the soak
#            (XM_DEBUG_SOAK=1, if tests/soak/soak.sh exists), kmemleak scan
#   reports  the guest's kernel log and kmemleak report, by kind: KASAN,
#            UBSAN, lockdep (circular, RCU, inconsistent, other), sleeping
#            in atomic context, stalls, WARN, BUG, Oops, kmemleak; each one
#            attributed to the module (a frame in xfrm_mobility) or not
#
# Environment: XM_CHECK_SKIP_DEPS=1 (no scripts/deps.sh), XM_DEBUG_VM_TIMEOUT
# (seconds for the VM, default 7200), XM_DEBUG_VM_MEM (MB, default 2048),
# XM_SELFTEST_TIMEOUT (per test, default 1800 here), XM_NO_SKIP and
# XM_SKIP_ALLOW (as in "make check"), XM_DEBUG_SOAK=1, and those of
# scripts/debug-kernel.sh.
# Results: build/check-debug/ (vm/ from run-vm.sh, reports.txt).
# The last line is "N passed, N failed, N skipped" (selftest subtests, the
# VM health line and one line for the debug reports).  Exit status non-zero
# if a selftest failed, the VM did not finish, or any debug report appeared.
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/selftests/lib/ktap.sh
. tests/selftests/lib/ktap.sh

name=debug-6.1
logdir=build/check-debug
out=$logdir/vm
say() { echo "check-debug: $*"; }
die() { say "$*"; echo "0 passed, 1 failed, 0 skipped"; exit 1; }

report_only=0
[[ ${1:-} != --report ]] || report_only=1

if ((report_only)); then
	[[ -f $out/run-vm.txt ]] || die "no results of an earlier run in $out"
	kinfo=$(scripts/debug-kernel.sh --cached) || kinfo=''
	read -r krel tree bzimage modroot <<<"$kinfo"
	tree=${tree:-} ko=build/$name/xfrm_mobility.ko
	vmrc=$(sed -n 's/.* result=\([0-9]*\) .*/\1/p' "$out/run-vm.txt")
	vm_secs=$(sed -n 's/^host_total_s=\([0-9]*\).*/\1/p' "$out/timing.txt" 2>/dev/null)
else
	rm -rf "$logdir"
	mkdir -p "$logdir"

	# --- deps -------------------------------------------------------------
	if [[ ${XM_CHECK_SKIP_DEPS:-0} != 1 ]]; then
		scripts/deps.sh >"$logdir/deps.log" 2>&1 ||
			{ tail -n 20 "$logdir/deps.log"; die "scripts/deps.sh failed"; }
	fi

	# --- kernel -----------------------------------------------------------
	t0=$EPOCHSECONDS
	kinfo=$(scripts/debug-kernel.sh) || die "debug kernel build failed"
	read -r krel tree bzimage modroot <<<"$kinfo"
	say "kernel $krel ($bzimage, $((EPOCHSECONDS - t0)) s)"

	# --- module -----------------------------------------------------------
	# -g: traces through the module decode to source lines.  KASAN's stack
	# redzones make frames ~1.5x larger, so the frame limit of this build
	# only is 3072 bytes (the builds for Debian's kernels keep 2048).
	for variant in '' -fault; do
		log=$logdir/module$variant.log
		if ! KCFLAGS="-g -Wframe-larger-than=3072" make --no-print-directory module-for KREL="$name" KDIR="$tree" \
			XM_FAULT_INJECTION=${variant:+1} >"$log" 2>&1; then
			cat "$log"
			die "module build against $tree failed"
		fi
		say "module build/$name$variant/xfrm_mobility.ko"
	done
	ko=build/$name/xfrm_mobility.ko

	# --- userspace --------------------------------------------------------
	for t in mobctl tools strongswan-plugin; do
		make --no-print-directory "$t" >"$logdir/$t.log" 2>&1 ||
			say "make $t failed (see $logdir/$t.log); the tests that need it will say so"
	done

	# --- vm ---------------------------------------------------------------
	export XM_SELFTEST_TIMEOUT=${XM_SELFTEST_TIMEOUT:-1800}
	# As in "make check": everything is installed and built, a skip is a
	# failure unless XM_SKIP_ALLOW allows it.
	export XM_NO_SKIP=${XM_NO_SKIP:-1}
	# The debug kernel has neither HIST_TRIGGERS nor USER_NS (not in the
	# fragment): the GRO histogram of untrusted.sh and the user namespace
	# check of conn.sh are expected to skip.
	export XM_SKIP_ALLOW=${XM_SKIP_ALLOW-untrusted.sh:GRO:*received*through*GRO conn.sh:perm:*user*namespace*}
	say "booting $krel: selftests${XM_DEBUG_SOAK:+, soak=$XM_DEBUG_SOAK}" \
		"(per-test timeout ${XM_SELFTEST_TIMEOUT}s)"
	t0=$EPOCHSECONDS
	# The bzImage, not its vmlinux through the PVH entry: the KASAN kernel
	# started that way ends at once, without a line on the console.
	XM_VM_PVH=0 tests/vm/run-vm.sh --kernel "$krel" --vmlinuz "$bzimage" --ko "$ko" --out "$out" \
		--timeout "${XM_DEBUG_VM_TIMEOUT:-7200}" --mem "${XM_DEBUG_VM_MEM:-2048}" \
		--env XM_DEBUG_MODULES="$modroot" --env XM_DEBUG_BUILD="$name" \
		--env XM_DEBUG_SOAK="${XM_DEBUG_SOAK:-0}" \
		-- scripts/check-debug-guest.sh "$@" 2>&1 | tee "$logdir/vm.log"
	vmrc=${PIPESTATUS[0]}
	vm_secs=$((EPOCHSECONDS - t0))
fi

# --- reports ------------------------------------------------------------------
# One report per header line.  A sanitizer report runs to its closing "===="
# line, any other to the end of its (last) stack trace, at most 200 lines.
# It is the module's if it has a frame in xfrm_mobility or names a source
# file of the module.  Phase: before the selftests (boot, VM setup), during
# them, or after them (soak, kmemleak scans).
classify() {
	awk '
	function flush() {
		if (kind == "") return
		n++
		printf "=== report %d: %s, %s, %s\n", n, kind, ours ? "IN xfrm_mobility" : "not in xfrm_mobility", ph
		printf "%s", block
		kind = ""; block = ""; ours = 0; len = 0
	}
	BEGIN { phase = "before the selftests"; n = 0; oopses = 0 }
	{
		line = $0
		sub(/^\[ *[0-9]+\.[0-9]+\] /, "", line)
		if (index(line, "xm-check-debug: selftests start")) phase = "during the selftests"
		else if (index(line, "xm-check-debug: selftests end")) phase = "after the selftests"
		k = ""
		if (line ~ /BUG: KASAN:/) k = "kasan"
		else if (line ~ /UBSAN:/) k = "ubsan"
		else if (line ~ /possible circular locking dependency/) k = "lockdep-circular"
		else if (line ~ /suspicious RCU usage/) k = "lockdep-rcu"
		else if (line ~ /inconsistent lock state/) k = "lockdep-inconsistent"
		else if (line ~ /WARNING: (possible recursive locking|bad unlock balance|held lock freed|lock held when returning|possible irq lock inversion|.*lock order detected|Nested lock was not taken)/ ||
			line ~ /BUG: (MAX_LOCKDEP|MAX_STACK_TRACE|looking up invalid subclass)|DEBUG_LOCKS_WARN_ON/) k = "lockdep-other"
		else if (line ~ /BUG: (sleeping function called from invalid context|scheduling while atomic|using smp_processor_id|workqueue leaked lock)/) k = "sleep-in-atomic"
		else if (line ~ /soft lockup|hard LOCKUP|rcu: INFO: .*detected stall|detected stalls on CPUs|blocked for more than [0-9]+ seconds/) k = "stall"
		else if (line ~ /Kernel panic/) k = oopses ? "" : "oops"
		else if (line ~ /Oops|general protection fault|kernel BUG at|BUG: unable to handle/) k = "oops"
		else if (line ~ /WARNING: CPU: [0-9]+ PID: |WARNING: at /) k = "warn"
		else if (line ~ /BUG: /) k = "bug"
		if (k != "") {
			# The WARN that a lockdep check prints is part of its report.
			if (kind != "" && k == "warn" && kind != "warn") k = ""
			else { flush(); kind = k; ph = phase; len = 0; if (k == "oops") oopses++ }
		}
		if (kind == "") next
		block = block "    " line "\n"
		len++
		if (line ~ /\[xfrm_mobility\]|\/build\/[^ ]*\/src\/[a-z_-]+\.[ch]/) ours = 1
		if (kind ~ /^(kasan|ubsan)$/ && line ~ /^=+$/ && len > 2 || kind !~ /^(kasan|ubsan)$/ && line ~ /<\/TASK>|---\[ end trace/ || len >= 200) flush()
	}
	END { flush() }
	'
}
reports=$logdir/reports.txt
: >"$reports"
[[ -f $out/dmesg.txt ]] && classify <"$out/dmesg.txt" >>"$reports"
# kmemleak: one report per unreferenced object.
if [[ -f $out/kmemleak.txt ]]; then
	awk '
	function flush() {
		if (block == "") return
		printf "=== kmemleak: kmemleak, %s, found by the final scan\n%s", ours ? "IN xfrm_mobility" : "not in xfrm_mobility", block
		block = ""; ours = 0
	}
	/^unreferenced object/ { flush() }
	{ block = block "    " $0 "\n"; if ($0 ~ /\[xfrm_mobility\]/) ours = 1 }
	END { flush() }' "$out/kmemleak.txt" >>"$reports"
fi

# Source lines of the module's frames (the module is built with -g).
decode() {
	local f2l=$tree/scripts/faddr2line
	[[ -x $f2l ]] || return 0
	grep -oE '[A-Za-z0-9_.]+\+0x[0-9a-f]+/0x[0-9a-f]+ \[xfrm_mobility\]' "$reports" |
		sort -u | while read -r sym _; do
		printf '    %s -> %s\n' "$sym" "$("$f2l" "$ko" "$sym" 2>/dev/null | tail -n 1)"
	done
}

kinds="kasan ubsan lockdep-circular lockdep-rcu lockdep-inconsistent lockdep-other sleep-in-atomic stall warn bug oops kmemleak"
total=0 total_ours=0
summary=()
for k in $kinds; do
	c=$(grep -cE "^=== (report [0-9]+|kmemleak): $k," "$reports")
	o=$(grep -cE "^=== (report [0-9]+|kmemleak): $k, IN xfrm_mobility" "$reports")
	total=$((total + c)) total_ours=$((total_ours + o))
	summary+=("$(printf '%-22s %3d  (in xfrm_mobility: %d)' "$k" "$c" "$o")")
done
decoded=$(decode)
[[ -z $decoded ]] || printf '=== module frames decoded\n%s\n' "$decoded" >>"$reports"

# --- verdict ----------------------------------------------------------------------
echo
say "VM: $(cat "$out/run-vm.txt" 2>/dev/null || echo "no result") (${vm_secs}s)"
say "debug reports (details in $reports):"
for l in "${summary[@]}"; do echo "  $l"; done
if ((total > 0)); then
	echo
	# The header and the first lines of each report.
	awk '/^=== (report|kmemleak)/ { print; left = 12; next } /^=== module frames/ { print; left = 1000; next }
		left > 0 { print; left-- }' "$reports"
fi
{
	cat "$out/output.log" "$out/health.txt" 2>/dev/null
	if ((total == 0)); then
		echo "ok - debug-reports none"
	else
		echo "not ok - debug-reports $total (in xfrm_mobility: $total_ours)"
	fi
} >"$logdir/results.ktap"
read -r p f s < <(ktap_count <"$logdir/results.ktap")
((vmrc == 0 || vmrc == 4 || f > 0)) || f=$((f + 1))
((p > 0)) || f=$((f + 1))
say "wall time: vm ${vm_secs}s"
echo "$p passed, $f failed, $s skipped"
((f == 0))
