# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# What bench/dataplane.sh and bench/scale.sh share: the checks before a
# benchmark that runs inside the test VM, its work and result directories,
# and the end of its summary.  Source after tests/selftests/lib/netns.sh
# and mobility.sh.
#
#   vb_start NAME HOST OUT    checks (VM unless HOST is 1, root, mobctl,
#                             the module loads), then sets VB_W (a new
#                             work directory) and VB_OUT (OUT, else
#                             $XM_OUT/NAME, else a new directory in /tmp);
#                             returns 2 (usage) or 4 (skip) on failure
#   vb_params KEY=VALUE...    write $VB_W/params: kernel, date, and these
#   vb_finish                 copy $VB_W to $VB_OUT
#
# bench/lib/report.py does the same for the Python summaries.

VB_W=''
VB_OUT=''
VB_NAME=bench

vb_err() { echo "$VB_NAME: $*" >&2; }

vb_start() {
	local host=$2 out=$3
	VB_NAME=$1
	if [[ -z ${XM_VM:-} ]] && ((!host)); then
		vb_err "runs inside the test VM (tests/vm/run-vm.sh ... -- bench/$VB_NAME.sh); --host to run here"
		return 2
	fi
	((EUID == 0)) || { vb_err "must run as root"; return 4; }
	[[ -x $MOBCTL ]] || { vb_err "no mobctl at $MOBCTL (make -C tools/mobctl)"; return 2; }
	mob_load || { vb_err "cannot load the module (XM_KO=${XM_KO:-unset})"; return 4; }
	if [[ -n $out ]]; then
		VB_OUT=$out
	elif [[ -n ${XM_OUT:-} ]]; then
		VB_OUT=$XM_OUT/$VB_NAME
	else
		VB_OUT=$(mktemp -d "/tmp/$VB_NAME.XXXXXX") || return 1
	fi
	VB_W=$(mktemp -d "/tmp/$VB_NAME-work.XXXXXX") || return 1
}

vb_params() {
	{
		printf 'kernel=%s\ndate=%s\n' "$(uname -r)" "$(date -u +%FT%TZ)"
		printf '%s\n' "$@"
	} >"$VB_W/params"
}

vb_finish() {
	mkdir -p "$VB_OUT" && cp -r "$VB_W"/. "$VB_OUT"/ && echo "# results in $VB_OUT"
}
