#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Style checks of the module sources: checkpatch.pl --strict (taken from
# Debian's linux-source-6.12 at run time) and kernel-doc (from the headers
# package). Exit status is non-zero on any finding.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
tarball=$(ls -1 /usr/src/linux-source-6.12*.tar.xz 2>/dev/null | sort -V | tail -n 1)
kdoc=$(ls -1d /usr/src/linux-headers-*-common/scripts/kernel-doc 2>/dev/null | sort -V | tail -n 1)
[ -n "$tarball" ] && [ -n "$kdoc" ] || { echo "style: run 'make deps' first" >&2; exit 1; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
base=$(basename "$tarball" .tar.xz)
tar -xJf "$tarball" -C "$work" "$base/scripts/checkpatch.pl" \
	"$base/scripts/spelling.txt" "$base/scripts/const_structs.checkpatch"

files=$(ls src/*.c src/*.h | grep -v netlink-gen)
rc=0
perl "$work/$base/scripts/checkpatch.pl" --no-tree --strict --terse \
	--ignore FILE_PATH_CHANGES -f $files || rc=1
n=$("$kdoc" -none -v $files 2>&1 | grep -c 'warning:' || true)
echo "style: kernel-doc warnings: $n"
[ "$n" -eq 0 ] || rc=1
exit $rc
