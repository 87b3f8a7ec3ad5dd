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
#   ktap_check DESC CMD...       the assertion: run CMD, report by its exit
#                                status (its output, the command and its
#                                status are the diagnostics of a failure)
#   ktap_note SUFFIX             (called by CMD) add SUFFIX to the description
#                                when the check passes, e.g. values CMD found
#   ktap_run CMD...              a step that is not a check: print "# + CMD"
#                                and CMD's output as "# " lines, return its
#                                exit status
#   ktap_bg [-o FILE] CMD...     start CMD in the background (output to FILE,
#                                default none), print "# + CMD &"; $! is its
#                                pid
#   ktap_diag MSG...             "# MSG"
#   ktap_flush                   for the EXIT trap: what a command run by
#                                ktap_check/ktap_run printed before the
#                                shell exited
#   ktap_skip_all REASON         "1..0 # SKIP REASON" and exit 4
#   ktap_require_root / ktap_require_cmd CMD...   skip the whole test if unmet
#   ktap_finished                totals line, exit 0 (all passed), 1 (any
#                                failure) or 4 (nothing passed, all skipped)
#   ktap_count < OUTPUT          print "PASSED FAILED SKIPPED" counted from
#                                KTAP result lines (used by the runners)
#
# Every check of a test is a ktap_check of a command or function (a
# predicate that prints what it found when it fails); ktap_fail alone
# reports a setup step that failed and is no check of its own.
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

# CMD runs in this shell (so that it can set variables, e.g. with
# ktap_note) with stdout and stderr going to a scratch file; errexit in the
# caller does not fire because the status is consumed here.  CMD sees the
# caller's variables: the helpers' own locals start with _ktap_.
ktap_check() {
	local _ktap_desc=$1 _ktap_rc
	shift
	KTAP_NOTE=''
	ktap_capture "$@" && _ktap_rc=0 || _ktap_rc=$?
	if ((_ktap_rc == 0)); then
		ktap_pass "$_ktap_desc$KTAP_NOTE"
	else
		ktap_fail "$_ktap_desc" "command failed ($_ktap_rc): $(ktap_cmdline "$@")${KTAP_OUT:+
$KTAP_OUT}"
	fi
	return "$_ktap_rc"
}

ktap_note() { KTAP_NOTE=$1; }

ktap_run() {
	local _ktap_rc
	ktap_diag "+ $(ktap_cmdline "$@")"
	ktap_capture "$@" && _ktap_rc=0 || _ktap_rc=$?
	[[ -z $KTAP_OUT ]] || ktap_diag "$KTAP_OUT"
	return "$_ktap_rc"
}

ktap_bg() {
	local _ktap_out=/dev/null _ktap_to=''
	if [[ $1 == -o ]]; then
		_ktap_out=$2 _ktap_to=" >$2"
		shift 2
	fi
	ktap_diag "+ $(ktap_cmdline "$@")$_ktap_to &"
	"$@" >"$_ktap_out" 2>&1 &
}

# ktap_cmdline CMD...: CMD as one line, arguments quoted only where needed.
ktap_cmdline() {
	local _ktap_a _ktap_line=''
	for _ktap_a in "$@"; do
		if [[ -n $_ktap_a && $_ktap_a != *[!A-Za-z0-9_./:=,@%+-]* ]]; then
			_ktap_line+=" $_ktap_a"
		else
			_ktap_line+=" ${_ktap_a@Q}"
		fi
	done
	echo "${_ktap_line# }"
}

# ktap_capture CMD...: run CMD in this shell, its stdout and stderr in
# KTAP_OUT (without the last newline).  The scratch file is opened once,
# for writing and for reading, and unlinked at once: what CMD appends is
# read from where the previous command's output ended, no fork needed.
# Nested in another capture, CMD's output stays in the outer one.
KTAP_CAP_W='' KTAP_CAP_R='' KTAP_CAP_STDOUT='' KTAP_CAP_DEPTH=0 KTAP_CAP_CMD=''
KTAP_OUT='' KTAP_NOTE=''
ktap_capture() {
	local _ktap_f _ktap_rc
	KTAP_OUT=''
	if ((KTAP_CAP_DEPTH > 0)); then
		"$@"
		return
	fi
	if [[ -z $KTAP_CAP_W ]]; then
		_ktap_f=$(mktemp "${TMPDIR:-/tmp}/ktap.XXXXXX") || return
		# shellcheck disable=SC2094 # one file, written and read back
		exec {KTAP_CAP_W}>"$_ktap_f" {KTAP_CAP_R}<"$_ktap_f"
		rm -f "$_ktap_f"
	fi
	# The real stdout stays at hand for ktap_flush.
	exec {KTAP_CAP_STDOUT}>&1
	KTAP_CAP_DEPTH=1 KTAP_CAP_CMD=$*
	"$@" >&"$KTAP_CAP_W" 2>&1 && _ktap_rc=0 || _ktap_rc=$?
	KTAP_CAP_DEPTH=0
	exec {KTAP_CAP_STDOUT}>&-
	IFS= read -r -d '' -u "$KTAP_CAP_R" KTAP_OUT || true
	KTAP_OUT=${KTAP_OUT%$'\n'}
	return "$_ktap_rc"
}

# ktap_flush: for the EXIT trap (ns_cleanup calls it).  When the shell
# exits in the middle of a captured command (an unbound variable under
# set -u, an exit), print the command and what it wrote, which would be
# lost otherwise.
ktap_flush() {
	local _ktap_out
	((KTAP_CAP_DEPTH > 0)) || return 0
	# Called from within the command: it has not ended the shell.
	[[ " ${FUNCNAME[*]} " != *" ktap_capture "* ]] || return 0
	KTAP_CAP_DEPTH=0
	IFS= read -r -d '' -u "$KTAP_CAP_R" _ktap_out || true
	ktap_diag "the test ended during: $KTAP_CAP_CMD
${_ktap_out%$'\n'}" >&"$KTAP_CAP_STDOUT"
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
