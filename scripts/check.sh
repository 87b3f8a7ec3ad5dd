#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR/..
#
# "make check": everything that can be verified on this machine, in order:
#   deps      scripts/deps.sh (installs what is missing)
#   kernels   scripts/kernels.sh: every series in XM_CHECK_SERIES
#             (default "6.1 6.12") must have a bootable kernel + headers
#   module    make module-for KREL=<krel> KDIR=<kdir> per kernel (W=1 C=1,
#             and again with XM_FAULT_INJECTION=1 into build/<krel>-fault/,
#             warnings are errors) -> build/<krel>/xfrm_mobility.ko
#   mobctl    make mobctl, make tools (tests/tools: the selftests' flooder)
#   plugin    make strongswan-plugin (the charon plugin; fetches the
#             strongSwan source of the installed version once)
#   regen     make regen-check
#   unit      make unit (KTAP on stdout)
#   vm        per kernel ONE QEMU boot running tests/selftests/run.sh (all
#             selftests) with the module built for exactly that kernel
# A make target that does not exist is reported as a skipped stage.  Every
# KTAP result line counts (nested subtests, not their parents); a build step
# counts as one test.  The last line of output is exactly
#   N passed, N failed, N skipped
# Exit status: non-zero if anything failed or nothing passed.
#
# Environment: XM_CHECK_SERIES, XM_VM_TIMEOUT (seconds per VM, default
# 1800), XM_VM_MEM (MB, default 1024), XM_CHECK_SKIP_DEPS=1 (no apt),
# XM_CHECK_STAGES (subset, e.g. "module unit").
# Logs: build/check/*.log, VM results in build/check/vm-<krel>/ (see
# tests/vm/run-vm.sh).
set -uo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo" || exit 1
# shellcheck source=tests/selftests/lib/ktap.sh
. tests/selftests/lib/ktap.sh

logdir=build/check
rm -rf "$logdir"
mkdir -p "$logdir"

series=${XM_CHECK_SERIES:-"6.1 6.12"}
stages=${XM_CHECK_STAGES:-"deps kernels module mobctl plugin regen unit vm"}
vm_timeout=${XM_VM_TIMEOUT:-1800}
vm_mem=${XM_VM_MEM:-1024}

t_start=$EPOCHREALTIME
total_p=0 total_f=0 total_s=0
summary=()

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
want_stage() { [[ " $stages " == *" $1 "* ]]; }
say() { echo "check: $*"; }

# record NAME P F S SECONDS [NOTE]
record() {
	total_p=$((total_p + $2)) total_f=$((total_f + $3)) total_s=$((total_s + $4))
	summary+=("$(printf '%-36s %4d passed %4d failed %4d skipped %8ss  %s' "$1" "$2" "$3" "$4" "$5" "${6:-}")")
	echo "check: [$1] $2 passed, $3 failed, $4 skipped (${5}s)${6:+ - $6}"
}

# has_target TARGET: 0 if the top-level Makefile defines TARGET.  Read from
# make's database rather than with "make -n TARGET", because -n still runs
# recipe lines that invoke $(MAKE) (e.g. a Kbuild build).
make_targets=''
has_target() {
	[[ -f Makefile ]] || return 1
	if [[ -z $make_targets ]]; then
		make_targets=" $(make -pRrq -- .xm-no-such-target 2>/dev/null |
			awk -F: '/^[A-Za-z0-9_.%\/-]+:/ && prev !~ /^# Not a target/ { print $1 }
				{ prev = $0 }' | sort -u | tr '\n' ' ') "
	fi
	[[ $make_targets == *" $1 "* ]]
}

show_tail() {
	echo "check: --- last lines of $1 ---"
	tail -n "${2:-30}" "$1" | sed 's/^/  | /'
}

# run_make STAGE LOG TARGET [ARGS...]: one test for a build-type target.
run_make() {
	local stage=$1 log=$2 t0 rc
	shift 2
	t0=$(now)
	if ! has_target "$1"; then
		record "$stage" 0 0 1 "$(elapsed "$t0")" "no make target '$1'"
		return 4
	fi
	say "$stage: make $*"
	make "$@" >"$log" 2>&1
	rc=$?
	if ((rc == 0)); then
		record "$stage" 1 0 0 "$(elapsed "$t0")"
	else
		show_tail "$log"
		record "$stage" 0 1 0 "$(elapsed "$t0")" "make $1 failed ($rc), see $log"
	fi
	return "$rc"
}

# --- deps --------------------------------------------------------------------
if want_stage deps && [[ ${XM_CHECK_SKIP_DEPS:-0} != 1 ]]; then
	t0=$(now)
	if scripts/deps.sh >"$logdir/deps.log" 2>&1; then
		say "deps: $(tail -n1 "$logdir/deps.log") ($(elapsed "$t0")s)"
	else
		show_tail "$logdir/deps.log"
		record deps 0 1 0 "$(elapsed "$t0")" "scripts/deps.sh failed"
	fi
fi

# --- kernels -------------------------------------------------------------------
kernels=()
if want_stage kernels || want_stage module || want_stage vm; then
	t0=$(now)
	mapfile -t kernels < <(scripts/kernels.sh 2>"$logdir/kernels.log")
	printf '%s\n' "${kernels[@]}" >>"$logdir/kernels.log"
	missing=()
	for s in $series; do
		found=0
		for k in "${kernels[@]}"; do
			[[ ${k%% *} == "$s" ]] && found=1
		done
		((found)) || missing+=("$s")
	done
	for k in "${kernels[@]}"; do say "kernel: $k"; done
	if ((${#missing[@]})); then
		record kernels 0 "${#missing[@]}" 0 "$(elapsed "$t0")" \
			"no kernel image+headers for series: ${missing[*]}"
	fi
fi

# --- module builds -----------------------------------------------------------
declare -A ko_for=() build_ok=()
if want_stage module; then
	for k in "${kernels[@]}"; do
		read -r ser krel kdir _ <<<"$k"
		log=$logdir/module-$krel.log
		run_make "module $ser ($krel)" "$log" module-for "KREL=$krel" "KDIR=$kdir"
		rc=$?
		ko=build/$krel/xfrm_mobility.ko
		if ((rc == 0)) && [[ ! -f $ko ]]; then
			record "module $ser: $ko exists" 0 1 0 0 "make module-for did not produce it"
			rc=1
		fi
		build_ok[$krel]=$rc
		((rc == 0)) && ko_for[$krel]=$ko
		# The test build with fault points (src/fault.h), loaded by the
		# tests of the move's error paths only.
		run_make "module $ser test build ($krel)" "$logdir/module-$krel-fault.log" \
			module-for "KREL=$krel" "KDIR=$kdir" XM_FAULT_INJECTION=1
	done
fi

# --- userspace ---------------------------------------------------------------
want_stage mobctl && run_make mobctl "$logdir/mobctl.log" mobctl
# The selftests' flooder (handover_atomic.sh) and the benchmarks' tools.
want_stage mobctl && run_make "test tools" "$logdir/tools.log" tools
want_stage plugin && run_make "strongswan plugin" "$logdir/plugin.log" strongswan-plugin
want_stage regen && run_make regen-check "$logdir/regen-check.log" regen-check

if want_stage unit; then
	t0=$(now)
	if ! has_target unit; then
		record unit 0 0 1 "$(elapsed "$t0")" "no make target 'unit'"
	else
		say "unit: make unit"
		make unit >"$logdir/unit.log" 2>"$logdir/unit.stderr.log"
		rc=$?
		read -r p f s < <(ktap_count <"$logdir/unit.log")
		note=''
		if ((rc != 0 && f == 0)); then
			f=1 note="make unit failed ($rc) without a failed KTAP result"
		elif ((p + f + s == 0)); then
			f=1 note="make unit printed no KTAP results"
		fi
		((f == 0)) || { show_tail "$logdir/unit.log"; show_tail "$logdir/unit.stderr.log" 15; }
		record unit "$p" "$f" "$s" "$(elapsed "$t0")" "$note"
	fi
fi

# --- VM selftests ------------------------------------------------------------
if want_stage vm; then
	for k in "${kernels[@]}"; do
		read -r ser krel kdir _ <<<"$k"
		t0=$(now)
		ko=${ko_for[$krel]:-}
		if [[ -z $ko && -n ${build_ok[$krel]:-} && ${build_ok[$krel]} != 4 ]]; then
			record "vm $ser ($krel)" 0 0 1 0 "module build failed, VM not booted"
			continue
		fi
		out=$logdir/vm-$krel
		say "vm $ser: booting $krel${ko:+ with $ko}"
		tests/vm/run-vm.sh --kernel "$krel" ${ko:+--ko "$ko"} --out "$out" \
			--timeout "$vm_timeout" --mem "$vm_mem" -- tests/selftests/run.sh \
			2>&1 | tee "$logdir/vm-$krel.log"
		rc=${PIPESTATUS[0]}
		# Subtests from the command's output plus the guest's kernel-health
		# line (or the host's "VM timed out/crashed" line).
		read -r p f s < <(cat "$out/output.log" "$out/health.txt" 2>/dev/null | ktap_count)
		note=$(cat "$out/run-vm.txt" 2>/dev/null)
		note=${note#"run-vm: $krel "}
		((rc == 0 || rc == 4 || f > 0)) || f=1
		record "vm $ser ($krel)" "$p" "$f" "$s" "$(elapsed "$t0")" "$note"
	done
fi

echo
echo "check: summary (logs in $logdir/)"
for l in "${summary[@]}"; do echo "  $l"; done
echo "check: wall time $(elapsed "$t_start")s"
if ((total_p == 0)); then
	echo "check: nothing passed - treating as failure"
fi
echo "$total_p passed, $total_f failed, $total_s skipped"
((total_f == 0 && total_p > 0))
