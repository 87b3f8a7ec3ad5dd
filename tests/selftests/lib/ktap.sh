# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# KTAP/TAP output helpers for shell selftests (source this file).
#
#   ktap_header                  "TAP version 13"
#   ktap_plan N                  "1..N" (optional; printed at the end if omitted)
#   ktap_pass DESC               "ok N DESC"
#   ktap_fail DESC [DIAG]        "not ok N DESC" (+ "# DIAG")
#   ktap_skip DESC REASON        "ok N DESC # SKIP REASON"
#   ktap_result RC DESC          pass for 0, skip for 4, fail otherwise
#   ktap_check DESC CMD...       run CMD, report by its exit status (output is
#                                shown as diagnostics when it fails)
#   ktap_diag MSG...             "# MSG"
#   ktap_skip_all REASON         "1..0 # SKIP REASON" and exit 4
#   ktap_require_root / ktap_require_cmd CMD...   skip the whole test if unmet
#   ktap_finished                totals line, exit 0 (all passed), 1 (any
#                                failure) or 4 (nothing passed, all skipped)
#   ktap_count < OUTPUT          print "PASSED FAILED SKIPPED" counted from
#                                KTAP result lines (used by the runners)
#
# Exit codes follow kselftest: 0 pass, 1 fail, 4 skip.

KSFT_PASS=0
KSFT_FAIL=1
KSFT_SKIP=4
export KSFT_PASS KSFT_FAIL KSFT_SKIP

KTAP_CNT_PASS=0
KTAP_CNT_FAIL=0
KTAP_CNT_SKIP=0
KTAP_NUM=0
KTAP_PLANNED=

ktap_header() { echo "TAP version 13"; }

ktap_plan() {
	KTAP_PLANNED=$1
	echo "1..$1"
}

ktap_diag() {
	local line
	while IFS= read -r line; do
		echo "# $line"
	done <<<"$*"
}

ktap_pass() {
	KTAP_NUM=$((KTAP_NUM + 1))
	KTAP_CNT_PASS=$((KTAP_CNT_PASS + 1))
	echo "ok $KTAP_NUM $1"
}

ktap_fail() {
	KTAP_NUM=$((KTAP_NUM + 1))
	KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + 1))
	echo "not ok $KTAP_NUM $1"
	[[ -z ${2:-} ]] || ktap_diag "$2"
}

ktap_skip() {
	KTAP_NUM=$((KTAP_NUM + 1))
	KTAP_CNT_SKIP=$((KTAP_CNT_SKIP + 1))
	echo "ok $KTAP_NUM $1 # SKIP ${2:-}"
}

ktap_result() {
	case $1 in
	0) ktap_pass "$2" ;;
	4) ktap_skip "$2" "${3:-}" ;;
	*) ktap_fail "$2" "${3:-exit status $1}" ;;
	esac
}

# Runs CMD with its output captured; errexit in the caller does not fire
# because the status is consumed here.
ktap_check() {
	local desc=$1 out rc
	shift
	out=$("$@" 2>&1) && rc=0 || rc=$?
	if ((rc == 0)); then
		ktap_pass "$desc"
	else
		ktap_fail "$desc" "command failed ($rc): $*${out:+
$out}"
	fi
	return "$rc"
}

ktap_skip_all() {
	echo "1..0 # SKIP $*"
	exit "$KSFT_SKIP"
}

ktap_require_root() {
	((EUID == 0)) || ktap_skip_all "must run as root"
}

ktap_require_cmd() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 || ktap_skip_all "$c not installed"
	done
}

# Counts result lines at any nesting (indentation or "# " prefixes), except
# parent results that only summarise nested subtests counted already (a
# result line following deeper-nested results); a failed parent whose
# subtests all passed still counts as one failure.  "# SKIP" and "# TODO"
# directives count as skipped, everything else by ok / not ok.
ktap_count() {
	awk '
	{
		line = $0; depth = 0
		while (match(line, /^([ \t]+|# )/)) { line = substr(line, RLENGTH + 1); depth++ }
		if (line !~ /^(not ok|ok)([ \t]|$)/) next
		skip = (line ~ /#[ \t]*(SKIP|TODO)/)
		bad = (line ~ /^not ok/ && !skip)
		if (lastdepth != "" && lastdepth > depth) {
			# parent: f - base[depth] failures were reported by its subtests
			if (bad && f == base[depth] + 0) f++
		} else if (skip) s++
		else if (bad) f++
		else p++
		lastdepth = depth
		for (k = depth; k <= 16; k++) base[k] = f
	}
	END { printf "%d %d %d\n", p, f, s }'
}

ktap_finished() {
	[[ -n $KTAP_PLANNED ]] || echo "1..$KTAP_NUM"
	if [[ -n $KTAP_PLANNED ]] && ((KTAP_PLANNED != KTAP_NUM)); then
		ktap_diag "planned $KTAP_PLANNED tests but ran $KTAP_NUM"
		KTAP_CNT_FAIL=$((KTAP_CNT_FAIL + 1))
	fi
	echo "# Totals: pass:$KTAP_CNT_PASS fail:$KTAP_CNT_FAIL xfail:0 xpass:0 skip:$KTAP_CNT_SKIP error:0"
	if ((KTAP_CNT_FAIL > 0)); then
		exit "$KSFT_FAIL"
	elif ((KTAP_CNT_PASS == 0 && KTAP_CNT_SKIP > 0)); then
		exit "$KSFT_SKIP"
	fi
	exit "$KSFT_PASS"
}
