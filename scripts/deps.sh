#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install (or with --check: only report) the Debian packages needed to build
# the module for both test kernels, run the unit tests, boot the QEMU test
# VMs, and run the demo/benchmarks.  Idempotent and fast when everything is
# already present: dpkg-query decides, apt is only called for what is missing.
#
# Usage: scripts/deps.sh [--check] [--list]
#   --check  print missing packages, exit 1 if any (no installation)
#   --list   print the package list and exit
set -euo pipefail

# Kernel images and headers come in matched pairs (meta packages): the VM
# boots exactly the kernel whose headers the module was built against.
PKGS=(
	# build
	gcc make bc pkg-config libmnl-dev sparse clang libclang-rt-14-dev
	codespell python3-yaml python3-jsonschema
	linux-image-amd64 linux-headers-amd64
	linux-image-6.12-amd64 linux-headers-6.12-amd64 linux-source-6.12
	# VM harness
	qemu-system-x86 busybox-static kmod xz-utils zstd cpio procps
	# tests, demo, benchmarks (these run inside the VM from the host root)
	iproute2 nftables conntrack iperf3 tcpdump iputils-ping
	strongswan-charon strongswan-swanctl wireguard-tools gnuplot-nox
)

# Meta packages that must move together so image and headers stay on the
# same ABI: if either of a pair is missing, (re)install both.
PAIRS=(
	"linux-image-amd64 linux-headers-amd64"
	"linux-image-6.12-amd64 linux-headers-6.12-amd64"
)

mode=install
case "${1:-}" in
--check) mode=check ;;
--list) printf '%s\n' "${PKGS[@]}"; exit 0 ;;
"") ;;
*) echo "usage: $0 [--check|--list]" >&2; exit 2 ;;
esac

# One dpkg-query for all packages (it still prints the known ones when some
# are unknown, hence "|| true").
missing_pkgs() {
	local -A ok=()
	local name st p
	while read -r name st; do
		[[ $st == ii* ]] && ok[$name]=1
	done < <(dpkg-query -W -f='${Package} ${db:Status-Abbrev}\n' "${PKGS[@]}" 2>/dev/null || true)
	for p in "${PKGS[@]}"; do
		[[ -n ${ok[$p]:-} ]] || echo "$p"
	done
}

mapfile -t missing < <(missing_pkgs)

if ((${#missing[@]} == 0)); then
	echo "deps: all ${#PKGS[@]} packages present"
	exit 0
fi

if [[ $mode == check ]]; then
	echo "deps: missing: ${missing[*]}"
	exit 1
fi

for pair in "${PAIRS[@]}"; do
	read -r a b <<<"$pair"
	if [[ " ${missing[*]} " == *" $a "* || " ${missing[*]} " == *" $b "* ]]; then
		for p in $a $b; do
			[[ " ${missing[*]} " == *" $p "* ]] || missing+=("$p")
		done
	fi
done

if ((EUID != 0)); then
	echo "deps: missing: ${missing[*]} (need root to install)" >&2
	exit 1
fi

echo "deps: installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
# Another apt/dpkg (e.g. a provisioning job) may hold the lock: wait for it
# instead of failing.
APT=(apt-get -q -y -o DPkg::Lock::Timeout=900 --no-install-recommends)

# Refresh the package lists once per run, and only when something must be
# installed: needed on fresh machines and when the lists are older than the
# archive (e.g. a kernel ABI that has since been superseded).
"${APT[@]}" update
"${APT[@]}" install "${missing[@]}"

mapfile -t still < <(missing_pkgs)
if ((${#still[@]})); then
	echo "deps: still missing after install: ${still[*]}" >&2
	exit 1
fi
echo "deps: all ${#PKGS[@]} packages present"
