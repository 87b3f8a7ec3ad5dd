# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The preamble of the entry scripts of bench/: sourced first, as
#
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh" vm    (in the test VM)
#   . "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh" host  (bench/run.sh)
#
# "vm" also sources the selftest libraries (tests/selftests/lib/netns.sh,
# mobility.sh).  Sourcing it again (bench/outage.sh from another script)
# only defines the same again.  The VM runs the scripts from the host's
# tree (its root is the host's over 9p): paths are taken from this file's.
#
#   BENCH_DIR, BENCH_LIB, BENCH_REPO   bench/, bench/lib/, the repository
#   bench_usage FILE END         the "# Usage:" comment of FILE up to the
#                                line matching END
#   bench_init NAME FILE END     before a main's option loop: NAME for the
#                                messages (and the default directories),
#                                FILE and END for --help; clears
#                                BENCH_OUT and BENCH_HOST
#   bench_opt ARGS...            the "*)" branch of that loop: --out DIR
#                                (BENCH_OUT), --host (BENCH_HOST=1), -h and
#                                --help (print the usage and exit 0);
#                                BENCH_SHIFT arguments used, or returns 2
#                                on an unknown option
#   bench_vm_check [HOW]         in the test VM (or --host) and root, else
#                                returns 2 (usage; HOW: how to run it
#                                there) or 4 (skip)
#   bench_out SUBDIR             BENCH_OUT: --out, else $XM_OUT/SUBDIR (the
#                                VM's results directory), else a new
#                                directory in /tmp
#   bench_finish WORK            copy the work directory WORK to BENCH_OUT
#
# bench/dataplane.sh and bench/scale.sh, which share more:
#
#   vb_start                     bench_vm_check, mobctl, the module loads,
#                                bench_out NAME; sets VB_W (a new work
#                                directory); returns 2 (usage) or 4 (skip)
#                                on failure
#   vb_params KEY=VALUE...       write $VB_W/params: kernel, date, and these
#
# bench/lib/report.py does the same for their Python summaries.

# shellcheck source-path=SCRIPTDIR/../..

BENCH_LIB=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BENCH_DIR=${BENCH_LIB%/*}
BENCH_REPO=${BENCH_DIR%/*}

if [[ ${1:-} == vm ]]; then
	# shellcheck source=tests/selftests/lib/netns.sh
	. "$BENCH_REPO/tests/selftests/lib/netns.sh"
	# shellcheck source=tests/selftests/lib/mobility.sh
	. "$BENCH_REPO/tests/selftests/lib/mobility.sh"
fi

bench_usage() {
	sed -n "/^# Usage:/,/$2/p" "$1" | sed '$d; s/^# \{0,1\}//'
}

bench_err() { echo "${BENCH_NAME:-bench}: $*" >&2; }

bench_init() {
	BENCH_NAME=$1 BENCH_FILE=$2 BENCH_USAGE_END=$3
	BENCH_OUT='' BENCH_HOST=0 BENCH_SHIFT=1
}

# shellcheck disable=SC2034 # BENCH_SHIFT is read by the caller
bench_opt() {
	case $1 in
	--out) BENCH_OUT=$2 BENCH_SHIFT=2 ;;
	--host) BENCH_HOST=1 BENCH_SHIFT=1 ;;
	-h | --help) bench_usage "$BENCH_FILE" "$BENCH_USAGE_END"; exit 0 ;;
	*) bench_err "unknown option $1"; return 2 ;;
	esac
}

# shellcheck disable=SC2120 # HOW only where the usual way does not fit
bench_vm_check() {
	if [[ -z ${XM_VM:-} ]] && ((!BENCH_HOST)); then
		bench_err "runs inside the test VM (${1:-tests/vm/run-vm.sh ... -- bench/$BENCH_NAME.sh}); --host to run here"
		return 2
	fi
	((EUID == 0)) || { bench_err "must run as root"; return 4; }
}

bench_out() {
	[[ -z $BENCH_OUT ]] || return 0
	if [[ -n ${XM_OUT:-} ]]; then
		BENCH_OUT=$XM_OUT/$1
	else
		BENCH_OUT=$(mktemp -d "/tmp/$BENCH_NAME.XXXXXX")
	fi
}

bench_finish() {
	mkdir -p "$BENCH_OUT" && cp -r "$1"/. "$BENCH_OUT"/ && echo "# results in $BENCH_OUT"
}

VB_W=''

vb_start() {
	bench_vm_check || return
	[[ -x $MOBCTL ]] || { bench_err "no mobctl at $MOBCTL (make -C tools/mobctl)"; return 2; }
	mob_load || { bench_err "cannot load the module (XM_KO=${XM_KO:-unset})"; return 4; }
	bench_out "$BENCH_NAME" || return 1
	VB_W=$(mktemp -d "/tmp/$BENCH_NAME-work.XXXXXX") || return 1
}

vb_params() {
	{
		printf 'kernel=%s\ndate=%s\n' "$(uname -r)" "$(date -u +%FT%TZ)"
		printf '%s\n' "$@"
	} >"$VB_W/params"
}
