#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Regenerate the netlink uapi header and kernel policy/ops tables from
# Documentation/netlink/specs/xfrm_mobility.yaml with the kernel's own YNL
# generator, taken from Debian's linux-source-6.12 at run time.
#
# Usage: scripts/ynl-regen.sh [--check]
#   --check  regenerate into a scratch directory and fail if the committed
#            files differ.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
spec=Documentation/netlink/specs/xfrm_mobility.yaml
tarball=${LINUX_SOURCE_TARBALL:-$(ls -1 /usr/src/linux-source-6.12*.tar.xz 2>/dev/null | sort -V | tail -n 1)}
check=0
[ "${1:-}" = "--check" ] && check=1

if [ -z "$tarball" ] || [ ! -f "$tarball" ]; then
	echo "ynl-regen: linux-source-6.12 not installed (run 'make deps')" >&2
	exit 1
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The generator wants the schemas next to the spec directory and walks up
# to a directory holding MAINTAINERS to find the "kernel root": give it a
# small tree of its own.
base=$(basename "$tarball" .tar.xz)
tar -xJf "$tarball" -C "$work" \
	"$base/tools/net/ynl" "$base/Documentation/netlink/genetlink.yaml"
gen="$work/$base/tools/net/ynl/ynl-gen-c.py"
tree="$work/tree"
mkdir -p "$tree/Documentation/netlink/specs"
cp "$work/$base/Documentation/netlink/genetlink.yaml" "$tree/Documentation/netlink/"
cp "$top/$spec" "$tree/$spec"
: > "$tree/MAINTAINERS"
out="$work/out"
mkdir -p "$out/include/uapi/linux" "$out/src"

run_gen() {
	python3 "$gen" --spec "$tree/$spec" "$@"
}

run_gen --mode uapi --header -o "$out/include/uapi/linux/xfrm_mobility.h"
run_gen --mode kernel --header -o "$out/src/netlink-gen.h"
run_gen --mode kernel --source -o "$out/src/netlink-gen.c"

# The generator accepts "flags: [ admin-perm ]" on multicast groups but
# does not render it; add GENL_MCAST_CAP_NET_ADMIN so that only
# CAP_NET_ADMIN holders can listen to events (they carry SPIs and
# addresses).
if
   python3 - "$tree/$spec" <<'PY'
import sys, yaml
spec = yaml.safe_load(open(sys.argv[1]))
grps = spec.get('mcast-groups', {}).get('list', [])
sys.exit(0 if any('admin-perm' in g.get('flags', []) for g in grps) else 1)
PY
then
	sed -i -E 's/^(\t\[XFRM_MOBILITY_NLGRP_[A-Z_]+\] = \{ "[a-z-]+", )\},/\1.flags = GENL_MCAST_CAP_NET_ADMIN, },/' \
		"$out/src/netlink-gen.c"
	grep -q GENL_MCAST_CAP_NET_ADMIN "$out/src/netlink-gen.c" || {
		echo "ynl-regen: could not add multicast group flags" >&2
		exit 1
	}
fi

files="include/uapi/linux/xfrm_mobility.h src/netlink-gen.h src/netlink-gen.c"
if [ $check -eq 1 ]; then
	rc=0
	for f in $files; do
		if ! diff -u "$top/$f" "$out/$f"; then
			echo "ynl-regen: $f is out of date, run 'make regen'" >&2
			rc=1
		fi
	done
	[ $rc -eq 0 ] && echo "ynl-regen: generated files are up to date"
	exit $rc
fi
for f in $files; do
	cp "$out/$f" "$top/$f"
done
echo "ynl-regen: regenerated $files"
