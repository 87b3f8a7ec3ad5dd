#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host side of the handover benchmark ("make bench", "make bench-doc"):
# builds the module (in a private directory, for one test kernel), the
# xfrm-mobility charon plugin, mobctl and the prober, boots one VM running
# bench/handover.sh, analyses the raw data here (bench/lib/analyze.py),
# keeps the results in bench/results/<date>-<kernel>-<mode>/ and copies the
# summary to bench/results/latest/ (tracked by git; the dated directories
# are not, see bench/results/.gitignore).
#
# Usage: bench/run.sh [--full] [--kernel KREL] [--timeout S] [--doc]
#                     [-- HANDOVER-OPTIONS...]
#        bench/run.sh --doc-only
#
#   --full        10 cycles per netem setting instead of 1 (make bench FULL=1)
#   --kernel KREL test kernel (default: the 6.12 one of scripts/kernels.sh)
#   --timeout S   VM timeout (default 1200 s quick, 7200 s full)
#   --doc         also regenerate Documentation/benchmarks.rst
#   --doc-only    only regenerate Documentation/benchmarks.rst from
#                 bench/results/latest/ (make bench-doc)
#   options after -- go to bench/handover.sh (e.g. --systems wireguard,stock)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR/..
# shellcheck source=bench/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh" host
here=$BENCH_DIR
repo=$BENCH_REPO
results=$here/results
mode=--quick krel='' tmo='' doc=0 extra=()

doc() {
	[[ -r $results/latest/summary.csv ]] || { echo "bench: no $results/latest/summary.csv (make bench first)" >&2; exit 1; }
	python3 "$here/lib/analyze.py" --rst "$results/latest" >"$repo/Documentation/benchmarks.rst"
	echo "bench: Documentation/benchmarks.rst regenerated from $results/latest"
}

while (($#)); do
	case $1 in
	--full) mode=--full; shift ;;
	--kernel) krel=$2; shift 2 ;;
	--timeout) tmo=$2; shift 2 ;;
	--doc) doc=1; shift ;;
	--doc-only) doc; exit 0 ;;
	--) shift; extra=("$@"); break ;;
	-h | --help) bench_usage "${BASH_SOURCE[0]}" '^set -e'; exit 0 ;;
	*) echo "bench: unknown option $1" >&2; exit 2 ;;
	esac
done
[[ -n $tmo ]] || { [[ $mode == --full ]] && tmo=7200 || tmo=1200; }
t_start=$(date +%s)

"$repo/scripts/deps.sh"
kline=$("$repo/scripts/kernels.sh" | awk -v k="$krel" '(k == "" && $1 == "6.12") || $2 == k { print; exit }')
[[ -n $kline ]] || { echo "bench: kernel ${krel:-6.12} not found (scripts/kernels.sh)" >&2; exit 2; }
read -r _ krel kdir _ <<<"$kline"

# The module in a private copy of the committed sources (HEAD): "make
# modules-all" elsewhere deletes and rebuilds build/<krel> at any time, and
# the benchmark should measure a commit.
work=$(mktemp -d /tmp/xm-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
git -C "$repo" archive HEAD Kbuild src include | tar -x -C "$work"
echo "commit=$(git -C "$repo" rev-parse --short HEAD)" >"$work/commit"
echo "bench: building xfrm_mobility.ko for $krel"
make -s -C "$kdir" M="$work" modules >"$work/build.log" 2>&1 || { cat "$work/build.log" >&2; exit 1; }
make -s -C "$repo/tools/mobctl"
make -s -C "$repo/tests/tools"
# The charon plugin of the module system, copied next to the module (the
# VM sees that directory).
make -s -C "$repo" strongswan-plugin >"$work/plugin.log" 2>&1 || { cat "$work/plugin.log" >&2; exit 1; }
cp "$repo/build/strongswan/libstrongswan-xfrm-mobility.so" "$work/"

stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=$results/$stamp-$krel-${mode#--}
mkdir -p "$out"
rc=0
"$repo/tests/vm/run-vm.sh" --kernel "$krel" --ko "$work/xfrm_mobility.ko" --out "$out/vm" \
	--env XM_SS_PLUGIN="$work/libstrongswan-xfrm-mobility.so" \
	--timeout "$tmo" -- bench/handover.sh "$mode" --no-analyze "${extra[@]}" || rc=$?
if [[ ! -r $out/vm/handover/run.txt ]]; then
	echo "bench: no results (VM exit $rc); see $out/vm/output.log" >&2
	exit 1
fi
mv "$out/vm/handover"/* "$out/"
cat "$work/commit" >>"$out/run.txt"
t_vm=$(date +%s)
python3 "$here/lib/analyze.py" "$out" >/dev/null
echo "bench: wall time $((t_vm - t_start)) s to the end of the VM, analysis $(($(date +%s) - t_vm)) s"
mkdir -p "$results/latest"
cp "$out"/{summary.md,summary.csv,run.txt} "$results/latest/"
[[ -r $out/chart.png ]] && cp "$out/chart.png" "$results/latest/"
echo "bench: results in $out (summary: $results/latest/summary.md)"
((doc == 0)) || doc
exit "$rc"
