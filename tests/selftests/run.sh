#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
#
# kselftest-style runner for tests/selftests (normally run inside the test VM
# by tests/vm/run-vm.sh, but works on any root shell with the tools).
#
# Usage: tests/selftests/run.sh [TEST...]
#   TEST: a test script name or path; default: every executable
#   tests/selftests/*.sh except run.sh, sorted.
#
# Output: "TAP version 13", "1..N", each test's own output prefixed with "# ",
# then "ok N selftests: NAME" / "not ok N ... # TIMEOUT|exit=RC" / "... # SKIP".
# Per-test timeout from the "settings" file (timeout=SECONDS, default 300;
# XM_SELFTEST_TIMEOUT overrides).  The last line counts the tests' own KTAP
# subtest results:
#   # selftests: N passed, N failed, N skipped
# (a test that fails without reporting a failed subtest counts as one
# failure; one that passes/skips without any subtest line counts as one).
# Exit: 1 if anything failed, 4 if nothing passed but something was skipped,
# else 0.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/ktap.sh
. "$dir/lib/ktap.sh"

timeout=300
if [[ -r $dir/settings ]]; then
	t=$(sed -n 's/^timeout=\([0-9]\+\).*/\1/p' "$dir/settings" | tail -n1)
	[[ -z $t ]] || timeout=$t
fi
timeout=${XM_SELFTEST_TIMEOUT:-$timeout}

tests=()
if (($#)); then
	for t in "$@"; do
		if [[ -e $t ]]; then
			tests+=("$(cd "$(dirname "$t")" && pwd)/$(basename "$t")")
		elif [[ -e $dir/$t ]]; then
			tests+=("$dir/$t")
		else
			tests+=("$dir/$t") # reported as missing below
		fi
	done
else
	while IFS= read -r t; do
		[[ $(basename "$t") == run.sh || ! -x $t ]] || tests+=("$t")
	done < <(find "$dir" -maxdepth 1 -name '*.sh' -type f | LC_ALL=C sort)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xm-selftests.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

echo "TAP version 13"
echo "1..${#tests[@]}"

passed=0 failed=0 skipped=0 n=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=$(basename "$t")
	log=$tmp/$n.log
	if [[ ! -x $t ]]; then
		echo "# $name: not found or not executable"
		echo "not ok $n selftests: $name # exit=127"
		failed=$((failed + 1))
		continue
	fi
	start=$EPOCHREALTIME
	# Output to a file, not a pipe: a daemon the test leaves behind cannot
	# block the runner by holding the pipe open.  timeout puts the test in
	# its own process group; leftovers in it are killed afterwards.
	(cd "$(dirname "$t")" && exec timeout --kill-after=10 "$timeout" "$t") \
		</dev/null >"$log" 2>&1 &
	pid=$!
	tail -n +1 -s 0.2 --pid="$pid" -f "$log" | sed -u 's/^/# /'
	wait "$pid"
	rc=$?
	# The timeout process was the subshell's exec, so its pid is $pid.
	kill -KILL -- "-$pid" 2>/dev/null
	secs=$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')

	read -r p f s < <(ktap_count <"$log")
	case $rc in
	0)
		if ((f > 0)); then
			echo "not ok $n selftests: $name # exit=0 but $f subtests failed"
		else
			echo "ok $n selftests: $name # ${secs}s"
		fi
		((p + f + s > 0)) || p=1
		;;
	4)
		echo "ok $n selftests: $name # SKIP"
		((p + f + s > 0)) || s=1
		;;
	124)
		echo "not ok $n selftests: $name # TIMEOUT $timeout seconds"
		((f > 0)) || f=1
		;;
	*)
		echo "not ok $n selftests: $name # exit=$rc"
		((f > 0)) || f=1
		;;
	esac
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done

echo "# selftests: $passed passed, $failed failed, $skipped skipped"
if ((failed > 0)); then
	exit 1
elif ((passed == 0 && skipped > 0)); then
	exit 4
fi
exit 0
