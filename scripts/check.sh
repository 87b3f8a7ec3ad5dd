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
#   unit      make unit (the codec's unit tests, KTAP on stdout)
#   replay    make -C tests/unit replay (every input of the fuzz corpus
#             tests/fuzz/corpus through the fuzz target's checks, built
#             with the sanitizers: one KTAP result per input)
#   mobctl-tests  make -C tools/mobctl check (mobctl's own tests)
#   vm        per kernel ONE QEMU boot running tests/selftests/run.sh (all
#             selftests) with the module built for exactly that kernel; the
#             kernels' VMs boot in parallel (one vCPU each on a 2-core
#             machine), each with its own log and results directory
# Every KTAP result line counts (nested subtests, not their parents), a test
# program without KTAP output counts by its "N passed, N failed" line, a
# build step counts as one test.  The last line of output is exactly
#   N passed, N failed, N skipped
# Exit status: non-zero if anything failed or nothing passed.
#
# What counts as a failure, so that nothing passes by accident: a make target
# that does not exist; a test program that exits non-zero, or prints no
# result; a VM in which no selftest passed, whose run.sh exited 4 (nothing
# but skips) or reported fewer tests than it planned, or that ended without
# a result (panic, timeout: the results before it still count, see
# tests/vm/run-vm.sh).  The selftests run with XM_NO_SKIP=1: every
# prerequisite is installed and built here, so a skipped selftest is a
# failure unless XM_SKIP_ALLOW allows it (tests/selftests/run.sh).
#
# Environment: XM_CHECK_SERIES, XM_VM_TIMEOUT (seconds per VM, default
# 3600: a bound on a hang, each selftest has its own), XM_VM_MEM (MB,
# default 1024), XM_VM_SMP (vCPUs per VM; default: the host's CPUs shared
# by the VMs running at once, at least 1),
# XM_VM_PARALLEL=0 (one VM after the other), XM_CHECK_SKIP_DEPS=1 (no apt),
# XM_CHECK_STAGES (subset, e.g. "module unit"), XM_NO_SKIP=0 (skips are not
# failures), XM_SKIP_ALLOW (skips that are expected, see run.sh),
# XM_CHECK_SELFTESTS (run only these selftests: for working on them; the
# summary says so).
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
stages=${XM_CHECK_STAGES:-"deps kernels module mobctl plugin regen unit replay mobctl-tests vm"}
vm_timeout=${XM_VM_TIMEOUT:-3600}
vm_mem=${XM_VM_MEM:-1024}
vm_parallel=${XM_VM_PARALLEL:-1}
export XM_NO_SKIP=${XM_NO_SKIP:-1}
read -r -a selftests <<<"${XM_CHECK_SELFTESTS:-}"
ncpu=$(nproc 2>/dev/null || echo 2)

t_start=$EPOCHREALTIME
total_p=0 total_f=0 total_s=0
summary=()

now() { echo "$EPOCHREALTIME"; }
elapsed() { awk -v a="$1" -v b="${2:-$EPOCHREALTIME}" 'BEGIN { printf "%.1f", b - a }'; }
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
		record "$stage" 0 1 0 "$(elapsed "$t0")" "no make target '$1'"
		return 1
	fi
	say "$stage: make $*"
	make -j"$ncpu" "$@" >"$log" 2>&1
	rc=$?
	if ((rc == 0)); then
		record "$stage" 1 0 0 "$(elapsed "$t0")"
	else
		show_tail "$log"
		record "$stage" 0 1 0 "$(elapsed "$t0")" "make $1 failed ($rc), see $log"
	fi
	return "$rc"
}

# run_tests STAGE LOG CMD...: a test program; its KTAP result lines on
# stdout count, or else its last "N passed, N failed" line.  A non-zero
# exit without a failed result, or no result at all, is one failure.
run_tests() {
	local stage=$1 log=$2 t0 rc p f s note=''
	shift 2
	t0=$(now)
	say "$stage: $*"
	"$@" >"$log" 2>"${log%.log}.stderr.log"
	rc=$?
	read -r p f s < <(ktap_count <"$log")
	if ((p + f + s == 0)); then
		read -r p f < <(sed -n -E 's/^([0-9]+) passed, ([0-9]+) failed.*/\1 \2/p' "$log" |
			tail -n 1)
		p=${p:-0} f=${f:-0}
	fi
	if ((rc != 0 && f == 0)); then
		f=1 note="'$*' failed ($rc) without a failed result"
	elif ((p + f + s == 0)); then
		f=1 note="'$*' printed no test results"
	fi
	((f == 0)) || { show_tail "$log"; show_tail "${log%.log}.stderr.log" 15; }
	record "$stage" "$p" "$f" "$s" "$(elapsed "$t0")" "$note"
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
declare -A ko_for=()
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
	if has_target unit; then
		run_tests unit "$logdir/unit.log" make -s unit
	else
		record unit 0 1 0 0 "no make target 'unit'"
	fi
fi
want_stage replay && run_tests "fuzz corpus replay" "$logdir/replay.log" make -s -C tests/unit replay
want_stage mobctl-tests && run_tests "mobctl tests" "$logdir/mobctl-tests.log" make -s -C tools/mobctl check

# --- VM selftests ------------------------------------------------------------
# vm_count OUT RC: "PASSED FAILED SKIPPED NOTE" of one VM run (results in
# OUT, run-vm.sh's exit status RC): the selftests' results in output.log,
# as far as they got, and the guest's health line (or the host's "not ok -
# vm-run" line of a VM that ended without a result) in health.txt.
vm_count() {
	local out=$1 rc=$2 p=0 f=0 s=0 hp=0 hf=0 hs=0 planned='' ran=0 note=''
	if [[ -f $out/output.log ]]; then
		read -r p f s < <(ktap_count <"$out/output.log")
		planned=$(sed -n -E 's/^1\.\.([0-9]+)$/\1/p' "$out/output.log" | head -n 1)
		ran=$(grep -c -E '^(not )?ok [0-9]+ selftests: ' "$out/output.log")
	fi
	[[ ! -f $out/health.txt ]] || read -r hp hf hs < <(ktap_count <"$out/health.txt")
	if ((hp + hf + hs == 0)); then
		hf=1 note="no health result"
	fi
	if ((rc == 4)); then
		f=$((f + 1)) note+="${note:+; }run.sh exited 4: nothing passed, only skips"
	elif ((p == 0)); then
		f=$((f + 1)) note+="${note:+; }no selftest passed"
	elif [[ -z $planned ]] || ((ran != planned)); then
		f=$((f + 1)) note+="${note:+; }run.sh planned ${planned:-no} tests, reported $ran"
	elif ((rc != 0 && f + hf == 0)); then
		f=$((f + 1)) note+="${note:+; }exit status $rc without a failed result"
	fi
	echo "$((p + hp)) $((f + hf)) $((s + hs)) $note"
}

if want_stage vm; then
	vm_runs=() # krel of each VM started, in order
	declare -A vm_ser=() vm_t0=()
	nvm=${#kernels[@]}
	((vm_parallel)) || nvm=1
	vm_smp=${XM_VM_SMP:-$((nvm > 0 && ncpu / nvm > 1 ? ncpu / nvm : 1))}
	run_args=("${selftests[@]}")
	for k in "${kernels[@]}"; do
		read -r ser krel kdir _ <<<"$k"
		if want_stage module; then
			ko=${ko_for[$krel]:-}
		else
			ko=build/$krel/xfrm_mobility.ko
			[[ -f $ko ]] || ko=''
		fi
		if [[ -z $ko ]]; then
			record "vm $ser ($krel)" 0 1 0 0 "no module for $krel (build failed or not built), VM not booted"
			continue
		fi
		out=$logdir/vm-$krel
		log=$logdir/vm-$krel.log
		say "vm $ser: booting $krel with $ko ($vm_smp vCPU, log $log)"
		vm_runs+=("$krel")
		vm_ser[$krel]=$ser
		vm_t0[$krel]=$(now)
		(
			tests/vm/run-vm.sh --kernel "$krel" --ko "$ko" --out "$out" \
				--timeout "$vm_timeout" --mem "$vm_mem" --smp "$vm_smp" \
				-- tests/selftests/run.sh "${run_args[@]}" >"$log" 2>&1
			echo "$? $EPOCHREALTIME" >"$out.done"
		) &
		pid=$!
		# Progress: each selftest's result line as the guest prints it.
		tail -n +1 -s 1 --pid="$pid" -F "$log" 2>/dev/null |
			grep --line-buffered -E '^(not )?ok [0-9]+ selftests: ' |
			sed -u "s/^/check: vm $ser: /" &
		((vm_parallel)) || wait
	done
	wait
	for krel in "${vm_runs[@]}"; do
		out=$logdir/vm-$krel
		rc=125 t1=$EPOCHREALTIME
		[[ ! -f $out.done ]] || read -r rc t1 <"$out.done"
		read -r p f s note < <(vm_count "$out" "$rc")
		vmnote=$(cat "$out/run-vm.txt" 2>/dev/null)
		vmnote=${vmnote#"run-vm: $krel "}
		note=${note:+$note; }$vmnote
		((${#selftests[@]} == 0)) || note="ONLY ${selftests[*]}; $note"
		# What failed: each "not ok" line (at any depth) and its first
		# diagnostics.
		((f == 0)) || cat "$out/output.log" "$out/health.txt" 2>/dev/null |
			grep -E -A2 '^(# )*not ok|XM_NO_SKIP=1:' | head -n 60 | sed 's/^/  | /'
		record "vm ${vm_ser[$krel]} ($krel)" "$p" "$f" "$s" "$(elapsed "${vm_t0[$krel]}" "$t1")" "$note"
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
