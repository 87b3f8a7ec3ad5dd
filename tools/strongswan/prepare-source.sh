#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Fetch and configure the strongSwan source matching the installed charon,
# so that the xfrm-mobility plugin compiles against the same headers and
# the same config.h (struct layouts depend on configure options: Debian
# builds with mediation support, which adds methods to ike_sa_t).
#
# Usage: prepare-source.sh OUTDIR
#   Leaves OUTDIR/strongswan-<version>/ configured (config.h present) and
#   prints its path.  Debian's source package comes from a deb-src entry;
#   one for the configured Debian mirrors is added when none exists.
set -euo pipefail

out=${1:?usage: $0 OUTDIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)

full=$(dpkg-query -W -f='${Version}' strongswan-charon 2>/dev/null) || {
	echo "prepare-source: strongswan-charon is not installed" >&2
	exit 1
}
upstream=${full%%-*}
upstream=${upstream#*:}
src=$out/strongswan-$upstream

if [[ -f $src/config.h ]]; then
	echo "$src"
	exit 0
fi

tarball=$(ls "$out"/strongswan_"$upstream".orig.tar.* 2>/dev/null | head -n 1 || true)
if [[ -z $tarball ]]; then
	if ! apt-get indextargets --format '$(CREATED_BY)' 2>/dev/null | grep -qx Sources; then
		if ((EUID != 0)); then
			echo "prepare-source: no deb-src entry, and adding one needs root" >&2
			exit 1
		fi
		cat >/etc/apt/sources.list.d/xfrm-mobility-src.sources <<'SRC'
Types: deb-src
URIs: http://deb.debian.org/debian
Suites: bookworm bookworm-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SRC
		apt-get -q update >/dev/null
	fi
	# Any Debian revision of the same upstream version has the same
	# headers; the archive keeps only the newest.
	# Try each source version the archive lists (a security mirror may
	# list one it does not serve).
	for v in $(apt-cache showsrc strongswan 2>/dev/null | sed -n 's/^Version: //p'); do
		[[ ${v%%-*} == "$upstream" ]] || continue
		(cd "$out" && apt-get -q source --download-only "strongswan=$v" \
			>/dev/null 2>&1) && break
	done
	tarball=$(ls "$out"/strongswan_"$upstream".orig.tar.* 2>/dev/null | head -n 1 || true)
	[[ -n $tarball ]] || {
		echo "prepare-source: no strongswan_$upstream source in the archive" >&2
		exit 1
	}
fi
tar -xf "$tarball" -C "$out"
# Only config.h is needed: the options that change headers must match
# Debian's build (debian/rules: --enable-mediation among others).
(cd "$src" && ./configure -q --disable-defaults --enable-charon \
	--enable-ikev2 --enable-ikev1 --enable-mediation --enable-kernel-netlink \
	--enable-socket-default --enable-vici >/dev/null)
echo "$src"
