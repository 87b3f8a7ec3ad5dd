#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# List the kernels the module is built and tested against, one line each:
#   <series> <krel> <kdir> <vmlinuz>
# For every series (default "6.1 6.12", override with XM_KERNEL_SERIES) the
# newest installed release is chosen that has BOTH a headers tree and the
# matching image with its modules: the VM must boot exactly the kernel the
# module was built for, and Debian may carry several ABIs of one series side
# by side (e.g. 6.12.x+deb12 from bookworm-security), so nothing is pinned.
#
# Usage: scripts/kernels.sh [SERIES]
# Exit status: 0 if at least one kernel was printed, 1 otherwise.
set -euo pipefail

series_list=${XM_KERNEL_SERIES:-"6.1 6.12"}
[[ $# -ge 1 ]] && series_list=$1
# Only the generic flavour: -rt and -cloud images lack drivers or change
# scheduling behaviour the tests are not written for.
flavour_re=${XM_KERNEL_FLAVOUR_RE:-'^[0-9][^-]*(-[0-9]+)?(\+deb[0-9]+)?-amd64$'}

headers_dir() {
	local krel=$1 d
	for d in "/usr/src/linux-headers-$krel" "/lib/modules/$krel/build"; do
		if [[ -f $d/Makefile && -f $d/Module.symvers ]]; then
			readlink -f "$d"
			return 0
		fi
	done
	return 1
}

found=0
for series in $series_list; do
	best=
	while read -r krel; do
		[[ $krel =~ $flavour_re ]] || continue
		# "6.1.0-56-amd64" -> 6.1, "6.12.117+deb12-amd64" -> 6.12
		[[ $krel =~ ^([0-9]+\.[0-9]+)[.+-] ]] || continue
		[[ ${BASH_REMATCH[1]} == "$series" ]] || continue
		[[ -r /boot/vmlinuz-$krel && -d /lib/modules/$krel/kernel ]] || continue
		[[ -f /lib/modules/$krel/modules.dep ]] || continue
		headers_dir "$krel" >/dev/null || continue
		best=$krel
	done < <(find /lib/modules -mindepth 1 -maxdepth 1 -printf '%f\n' 2>/dev/null | sort -V)
	[[ -n $best ]] || continue
	printf '%s %s %s %s\n' "$series" "$best" "$(headers_dir "$best")" "/boot/vmlinuz-$best"
	found=$((found + 1))
done
((found > 0))
