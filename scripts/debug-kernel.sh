#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (once) a debug 6.1 kernel for "make check-debug": Debian's
# linux-source-6.1 with KASAN, lockdep (PROVE_LOCKING, PROVE_RCU),
# kmemleak, UBSAN and DEBUG_ATOMIC_SLEEP, configured as
#   make x86_64_defconfig kvm_guest.config
#   scripts/kconfig/merge_config.sh .config scripts/debug-kernel.config
#   make olddefconfig
# then built with "nice make -j$XM_DEBUG_JOBS bzImage modules".  Every line of
# the fragment must end up in .config as written, or the script fails before
# building.  KCSAN is not used: it excludes KASAN.
#
# Usage: scripts/debug-kernel.sh [--cached]
#   --cached  only report an existing build, exit 3 if there is none
#
# The build lives outside the repository, in
#   ${XM_CACHE:-$HOME/.cache/xfrm_mobility}/debug-6.1/<key>/
# where <key> is a hash of the source package version (plus the tarball's
# size and date) and of the config fragment, so the kernel is rebuilt only
# when either changes.  Older keys are removed after a successful build.
# The key directory holds:
#   linux/          the built tree (the KDIR for out-of-tree modules)
#   bzImage         the kernel image
#   modules/        "make modules_install" (lib/modules/<krel>/)
#   krel            the kernel release string
#   build.log       the build's output
#
# Output on success, one line on stdout:  KREL TREE BZIMAGE MODULES_ROOT
# Environment: XM_CACHE, XM_DEBUG_SRC (source tarball, default
# /usr/src/linux-source-6.1.tar.xz), XM_DEBUG_JOBS (default: nproc).
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
fragment=$repo/scripts/debug-kernel.config
src=${XM_DEBUG_SRC:-/usr/src/linux-source-6.1.tar.xz}
root=${XM_CACHE:-$HOME/.cache/xfrm_mobility}/debug-6.1
jobs=${XM_DEBUG_JOBS:-$(nproc)}
cached_only=0
case ${1:-} in
'') ;;
--cached) cached_only=1 ;;
*) sed -n '/^# Usage:/,/^#   --cached/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac

say() { echo "debug-kernel: $*" >&2; }
die() { say "$*"; exit 1; }

if [[ ! -r $src ]]; then
	((cached_only)) && exit 3
	say "$src missing, installing linux-source-6.1"
	apt-get install -y --no-install-recommends linux-source-6.1 >&2 ||
		die "cannot install linux-source-6.1"
fi
[[ -r $src ]] || die "no $src"

# The package version identifies Debian's patch level; size and date catch a
# tarball that is not the packaged one (XM_DEBUG_SRC).
pkgver=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null || echo unknown)
srcid="$pkgver $(stat -L -c '%s %Y' "$src")"
fraghash=$(sha256sum "$fragment" | cut -c1-16)
key=$(printf '%s\n' "$srcid" "$fraghash" | sha256sum | cut -c1-16)
dir=$root/$key

report() {
	local krel
	krel=$(cat "$dir/krel")
	echo "$krel $dir/linux $dir/bzImage $dir/modules"
}

if [[ -f $dir/done ]]; then
	report
	exit 0
fi
((cached_only)) && exit 3

mkdir -p "$root"
exec 9>"$root/.lock"
if ! flock -n 9; then
	say "another build holds $root/.lock, waiting"
	flock 9
fi
# Built by the lock holder meanwhile?
[[ -f $dir/done ]] && { report; exit 0; }

need=0
for t in flex bison bc make gcc; do
	command -v "$t" >/dev/null || need=1
done
[[ -r /usr/include/gelf.h && -r /usr/include/openssl/ssl.h ]] || need=1
if ((need)); then
	say "installing the kernel build dependencies"
	apt-get install -y --no-install-recommends flex bison bc libelf-dev libssl-dev make gcc >&2 ||
		die "cannot install the build dependencies"
fi

say "source $src ($srcid), fragment $fraghash -> $dir"
rm -rf "$dir"
mkdir -p "$dir"
log=$dir/build.log
t0=$EPOCHSECONDS

say "unpacking"
tar -xJf "$src" -C "$dir"
mv "$dir/linux-source-6.1" "$dir/linux"
tree=$dir/linux

say "configuring (log: $log)"
{
	make -C "$tree" x86_64_defconfig kvm_guest.config
	(cd "$tree" && scripts/kconfig/merge_config.sh -m .config "$fragment")
	make -C "$tree" olddefconfig
} >"$log" 2>&1 || { tail -n 30 "$log" >&2; die "configuration failed"; }

# Every option of the fragment must have its value.  Kconfig silently drops
# what it cannot satisfy (a missing dependency, KASAN vs. KCSAN...).
bad=0
while IFS= read -r line; do
	if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
		opt=${BASH_REMATCH[1]} want=${BASH_REMATCH[2]}
		[[ $want == n ]] && want=''
	elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
		opt=${BASH_REMATCH[1]} want=''
	else
		continue
	fi
	got=$(sed -n "s/^$opt=//p" "$tree/.config")
	if [[ $got != "$want" ]]; then
		say "config: $opt is '${got:-not set}', wanted '${want:-not set}'"
		bad=1
	fi
done <"$fragment"
((bad == 0)) || die "the configuration lacks options of $fragment (see above; dependencies?)"
for opt in KASAN PROVE_LOCKING PROVE_RCU DEBUG_KMEMLEAK UBSAN DEBUG_ATOMIC_SLEEP; do
	grep -qx "CONFIG_$opt=y" "$tree/.config" || die "CONFIG_$opt is not y"
done
grep -qx 'CONFIG_KCSAN=y' "$tree/.config" && die "CONFIG_KCSAN is set (excludes KASAN)"
say "config: KASAN PROVE_LOCKING PROVE_RCU DEBUG_KMEMLEAK UBSAN DEBUG_ATOMIC_SLEEP = y"

say "building bzImage and modules with -j$jobs (nice 10)"
nice -n 10 make -C "$tree" -j"$jobs" bzImage modules >>"$log" 2>&1 ||
	{ tail -n 40 "$log" >&2; die "kernel build failed (log: $log)"; }
make -C "$tree" -s INSTALL_MOD_PATH="$dir/modules" INSTALL_MOD_STRIP=1 modules_install >>"$log" 2>&1 ||
	{ tail -n 20 "$log" >&2; die "modules_install failed"; }
cp "$tree/arch/x86/boot/bzImage" "$dir/bzImage"
make -C "$tree" -s kernelrelease >"$dir/krel"
echo "$srcid fragment=$fraghash built=$(date -u +%FT%TZ) seconds=$((EPOCHSECONDS - t0))" >"$dir/done"
say "built $(cat "$dir/krel") in $((EPOCHSECONDS - t0)) s"

# Only the newest key is kept (a tree is several GB).
for old in "$root"/*/; do
	[[ ${old%/} == "$dir" ]] || rm -rf "${old%/}"
done
report
