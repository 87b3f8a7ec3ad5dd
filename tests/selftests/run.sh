#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
#
# kselftest-style runner for tests/selftests (normally run inside the test VM
# by tests/vm/run-vm.sh, but works on any root shell with the tools).
#
# Usage: tests/selftests/run.sh [TEST...]
#   TEST: a test script name or path; default: every tests/selftests/*.sh
#   except run.sh, sorted.  A test that is not executable is reported as a
#   failed test, never left out.
#
# Output: "TAP version 13", "1..N", each test's own output prefixed with "# ",
# then "ok N selftests: NAME" / "not ok N ... # TIMEOUT|exit=RC" / "... # SKIP".
# Per-test timeout from the "settings" file (timeout=SECONDS, default 300;
# XM_SELFTEST_TIMEOUT overrides).  The last line counts the tests' own KTAP
# subtest results:
#   # selftests: N passed, N failed, N skipped
# (a test that fails without reporting a failed subtest counts as one
# failure; one that passes/skips without any subtest line counts as one).
#
# XM_NO_SKIP=1 (set by "make check", where every prerequisite is installed
# and built): a skip is a failure.  A test that skips as a whole (exit 4)
# or reports a skipped subtest ("ok N DESC # SKIP ...") is reported as
# "not ok", with the skips it made, unless XM_SKIP_ALLOW allows them:
#   XM_SKIP_ALLOW="NAME.sh NAME.sh:PATTERN ..."
#   NAME.sh          the test may skip as a whole and any of its subtests
#   NAME.sh:PATTERN  its subtests whose description matches the shell
#                    pattern PATTERN may skip (no blanks in an entry: write
#                    them as "?" or "*")
#
# Exit: 1 if anything failed (or there was no test to run), 4 if nothing
# passed but something was skipped, else 0.
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
no_skip=${XM_NO_SKIP:-0}
read -r -a skip_allow <<<"${XM_SKIP_ALLOW:-}"

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
		[[ $(basename "$t") == run.sh ]] || tests+=("$t")
	done < <(find "$dir" -maxdepth 1 -name '*.sh' -type f | LC_ALL=C sort)
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/xm-selftests.XXXXXX")
trap 'rm -rf "$tmp"' EXIT

# skip_allowed NAME [DESC]: XM_SKIP_ALLOW allows test NAME to skip as a
# whole (no DESC) or its subtest DESC to skip.
skip_allowed() {
	local e
	for e in "${skip_allow[@]}"; do
		[[ $e == "$1" ]] && return 0
		# shellcheck disable=SC2053 # the entry's pattern
		[[ -n ${2:-} && $e == "$1":* && $2 == ${e#*:} ]] && return 0
	done
	return 1
}

# bad_skips NAME LOG RC: with XM_NO_SKIP=1, the skips of test NAME (its
# output in LOG, its exit status RC) that XM_SKIP_ALLOW does not allow, one
# line each.
bad_skips() {
	local name=$1 log=$2 rc=$3 line desc
	((no_skip)) || return 0
	if ((rc == 4)) && ! skip_allowed "$name"; then
		line=$(grep -m1 -E '^1\.\.0 *# *SKIP' "$log")
		echo "the whole test skipped: ${line:-exit status 4}"
	fi
	while IFS= read -r line; do
		[[ $line =~ ^ok\ [0-9]+\ (.*[^\ ])\ *#\ *SKIP ]] || continue
		desc=${BASH_REMATCH[1]}
		skip_allowed "$name" "$desc" || echo "subtest skipped: ${line#ok }"
	done < <(grep -E '^ok [0-9]+ .*# *SKIP' "$log")
}

echo "TAP version 13"
echo "1..${#tests[@]}"

passed=0 failed=0 skipped=0 n=0
for t in "${tests[@]}"; do
	n=$((n + 1))
	name=$(basename "$t")
	log=$tmp/$n.log
	if [[ ! -e $t ]]; then
		echo "# $name: not found"
		echo "not ok $n selftests: $name # exit=127 not found"
		failed=$((failed + 1))
		continue
	elif [[ ! -x $t ]]; then
		echo "# $name: not executable (chmod +x $t, or move it out of the test directory)"
		echo "not ok $n selftests: $name # exit=126 not executable"
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
	bad=$(bad_skips "$name" "$log" "$rc")
	if [[ -n $bad ]]; then
		# Reported without the SKIP directive: it is a failure.
		while IFS= read -r l; do echo "# $name: XM_NO_SKIP=1: $l"; done <<<"$bad"
		why="exit=$rc"
		((rc != 124)) || why="TIMEOUT $timeout seconds"
		((f == 0)) || why+=", $f subtests failed"
		echo "not ok $n selftests: $name # $why, skipped what XM_NO_SKIP=1 does not allow (see XM_SKIP_ALLOW)"
		((p + f + s > 0)) || s=1
		f=$((f + 1))
	else
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
			if ((f > 0)); then
				echo "not ok $n selftests: $name # exit=4 but $f subtests failed"
			else
				echo "ok $n selftests: $name # SKIP"
			fi
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
	fi
	passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
done

echo "# selftests: $passed passed, $failed failed, $skipped skipped"
if ((failed > 0)); then
	exit 1
elif ((${#tests[@]} == 0)); then
	echo "# no test to run in $dir"
	exit 1
elif ((passed == 0 && skipped > 0)); then
	exit 4
fi
exit 0
