#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boot one of the host's installed Debian kernels under QEMU (TCG, no KVM
# needed) with the host root shared read-only, run one command inside it and
# bring back its output, exit code and the guest's kernel log.
#
# Usage:
#   tests/vm/run-vm.sh --kernel KREL --out DIR [--ko MODULE.ko] [--timeout SEC]
#                      [--mem MB] [--smp N] [--rootfs auto|virtiofs|9p]
#                      [--env NAME=VALUE]... [--cwd DIR] [--vmlinuz PATH]
#                      [--cmd-timeout SEC] [--keep DIR]... -- CMD [ARGS...]
#
# --timeout bounds the whole VM (default 900 s); the guest stops the command
# itself earlier (--cmd-timeout, default: 45 s less) so that a hanging
# command still yields its output and kernel log.
#
# The guest sees the host's files read-only at the same paths, except that
# /tmp, /run, /var/tmp, /var/log and /var/cache are fresh tmpfs, and /etc,
# /var/lib and /root are writable overlays (tmpfs over the host's content).
# The repository, --cwd, the --ko directory and the command's directory are
# passed through automatically when they live below a tmpfs directory;
# --keep DIR does the same for another host directory.
#
# Guest environment: the command runs as root in DIR (--cwd, default: the
# repository root) with
#   XM_VM=1 XM_KREL=<krel> XM_REPO=<repo root> XM_KO=<--ko path, absolute>
#   XM_OUT=/run/xm-out (the host's --out DIR, writable)  XM_ROOTFS=virtiofs|9p
#   XM_TIMEOUT=<guest-side command timeout>  KSFT_MACHINE_SLOW=yes
# plus every --env NAME=VALUE and every XM_* / KSFT_* variable of the caller
# (the ones above win).  Host paths are identical inside the guest.
#
# Results in DIR: output.log (command stdout+stderr, written into DIR as
# the command prints it, so that a panic or a timeout keeps what came
# before; also streamed live to this terminal through the serial
# console), rc (command exit code),
# dmesg.txt (guest kernel log), health.txt (kernel warning/taint check, one
# KTAP line "ok - vm-health ..." / "not ok - vm-health ..."), console.log
# (whole serial console, incl. panics), timing.txt, run-vm.txt (summary).
#
# Exit status: the command's exit code if it failed (4 = skipped is passed
# through), 1 if it succeeded but the kernel logged a WARN/BUG/Oops or gained
# a taint other than O/E, 124 if the VM timed out, 125 if the VM ended
# without a result (panic, oops=panic, panic_on_warn, init failure), 2 for
# usage/setup errors.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)

krel='' ko='' out='' vmlinuz=''
tmo=900 mem=1024 smp=2 rootfs=auto cwd=$repo gtmo=''
envs=() keep_extra=()
usage() {
	sed -n '/^# Usage:/,/^# Guest environment/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}
while (($#)); do
	case $1 in
	--kernel) krel=$2; shift 2 ;;
	--ko) ko=$2; shift 2 ;;
	--out) out=$2; shift 2 ;;
	--timeout) tmo=$2; shift 2 ;;
	--mem) mem=$2; shift 2 ;;
	--smp) smp=$2; shift 2 ;;
	--rootfs) rootfs=$2; shift 2 ;;
	--env) envs+=("$2"); shift 2 ;;
	--cwd) cwd=$2; shift 2 ;;
	--vmlinuz) vmlinuz=$2; shift 2 ;;
	--cmd-timeout) gtmo=$2; shift 2 ;;
	--keep) keep_extra+=("$(cd "$2" && pwd)") || exit 2; shift 2 ;;
	--) shift; break ;;
	-h | --help) usage ;;
	*) echo "run-vm: unknown option $1" >&2; usage ;;
	esac
done
(($# > 0)) || { echo "run-vm: no command given" >&2; usage; }
[[ -n $krel && -n $out ]] || usage
[[ $tmo =~ ^[0-9]+$ && $mem =~ ^[0-9]+$ && $smp =~ ^[0-9]+$ ]] || usage
# A kernel given by --vmlinuz may have no module tree if everything the VM
# needs is built in (the debug kernel of "make check-debug").
[[ -n $vmlinuz || -d /lib/modules/$krel/kernel ]] || { echo "run-vm: no /lib/modules/$krel/kernel" >&2; exit 2; }
vmlinuz=${vmlinuz:-/boot/vmlinuz-$krel}
[[ -r $vmlinuz ]] || { echo "run-vm: no kernel image $vmlinuz" >&2; exit 2; }
command -v qemu-system-x86_64 >/dev/null || { echo "run-vm: qemu-system-x86_64 missing (scripts/deps.sh)" >&2; exit 2; }
cwd=$(cd "$cwd" && pwd)

if [[ -n $ko ]]; then
	[[ -f $ko ]] || { echo "run-vm: no such module $ko" >&2; exit 2; }
	ko=$(readlink -f "$ko")
	vm=$(modinfo -F vermagic "$ko" 2>/dev/null | cut -d' ' -f1 || true)
	[[ $vm == "$krel" ]] ||
		echo "run-vm: warning: $ko has vermagic '$vm', booting $krel" >&2
fi

mkdir -p "$out"
out=$(cd "$out" && pwd)
vmdir=$out/.vm
rm -rf "$vmdir"
rm -f "$out"/{output.log,rc,dmesg.txt,health.txt,console.log,timing.txt,run-vm.txt}
mkdir -p "$vmdir"

cache=${XM_VM_CACHE:-$repo/build/vm}
initrd=$cache/initramfs-$krel.cpio.gz
"$here/mkinitramfs.sh" "$krel" "$initrd"

# Decompressing the bzImage takes ~4 s under TCG at every boot.  QEMU can
# boot the uncompressed ELF vmlinux directly through its PVH entry point
# (CONFIG_PVH=y in Debian's kernels), so extract it once and cache it.
extract_vmlinux() {
	local src=$1 dst=$2 magic tool off
	local -A tools=([xz]='\xfd7zXZ\x00' [zstd]='\x28\xb5\x2f\xfd' [gzip]='\x1f\x8b\x08')
	for tool in xz zstd gzip; do
		magic=${tools[$tool]}
		while read -r off; do
			tail -c +$((off + 1)) "$src" | "$tool" -dc 2>/dev/null >"$dst.tmp.$$"
			if [[ $(head -c 4 "$dst.tmp.$$" | od -An -tx1 | tr -d ' ') == 7f454c46 ]] &&
				grep -qa 'Xen' "$dst.tmp.$$"; then
				mv "$dst.tmp.$$" "$dst"
				return 0
			fi
		done < <(LC_ALL=C grep -obUaP "$magic" "$src" | cut -d: -f1 | head -n 4)
	done
	rm -f "$dst.tmp.$$"
	return 1
}
kernel=$vmlinuz
if [[ ${XM_VM_PVH:-1} == 1 ]]; then
	elf=$cache/vmlinux-$krel
	stamp=$(stat -L -c '%s %Y' "$vmlinuz")
	if [[ -s $elf && $(cat "$elf.key" 2>/dev/null) == "$stamp" ]] ||
		{ extract_vmlinux "$vmlinuz" "$elf" && echo "$stamp" >"$elf.key.$$" &&
			mv "$elf.key.$$" "$elf.key"; }; then
		kernel=$elf
	else
		echo "run-vm: cannot extract vmlinux from $vmlinuz, booting the bzImage" >&2
	fi
fi

# The guest kills the command a bit before the whole VM times out, so that a
# hanging test still yields its output, dmesg and a clean "timed out" result.
[[ -n $gtmo ]] || gtmo=$((tmo > 120 ? tmo - 45 : tmo * 2 / 3))
[[ $gtmo =~ ^[0-9]+$ ]] || usage

# Environment and command for the guest go through the results share rather
# than the kernel command line (2 KiB limit, no quoting).
{
	echo "# generated by run-vm.sh"
	while IFS='=' read -r name _; do
		[[ $name =~ ^(XM|KSFT)_[A-Za-z0-9_]*$ ]] || continue
		# Set by the guest itself; a host value would point to host paths.
		[[ $name =~ ^XM_(OUT|VM|ROOTFS|CMD)$ ]] && continue
		printf 'export %s=%q\n' "$name" "${!name}"
	done < <(env)
	for kv in "${envs[@]}"; do
		[[ $kv == *=* && ${kv%%=*} =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] ||
			{ echo "run-vm: bad --env '$kv'" >&2; exit 2; }
		printf 'export %s=%q\n' "${kv%%=*}" "${kv#*=}"
	done
	printf 'export XM_KREL=%q XM_REPO=%q XM_KO=%q XM_CWD=%q XM_TIMEOUT=%q\n' \
		"$krel" "$repo" "$ko" "$cwd" "$gtmo"
	echo "export KSFT_MACHINE_SLOW=yes XM_TCG=1"
	printf 'XM_CMD=('
	printf ' %q' "$@"
	printf ' )\n'
} >"$vmdir/env.sh"

# Directories that the guest covers with tmpfs (see mkinitramfs.sh) but that
# hold things the run needs must be passed through explicitly.
keep=()
cmd_dir=''
[[ $1 != */* || ! -e $1 ]] || cmd_dir=$(cd "$(dirname "$1")" && pwd)
for p in "$repo" "$cwd" ${ko:+"$(dirname "$ko")"} ${cmd_dir:+"$cmd_dir"} "${keep_extra[@]}"; do
	case $p in
	/tmp | /run | /var/tmp | /var/log | /var/cache)
		echo "run-vm: $p itself cannot be passed to the guest; use a subdirectory" >&2
		exit 2 ;;
	/tmp/* | /run/* | /var/tmp/* | /var/log/* | /var/cache/*) keep+=("$p") ;;
	esac
done
keep_arg=$(IFS=,; echo "${keep[*]}")
[[ $keep_arg != *' '* ]] || { echo "run-vm: paths with spaces are not supported: $keep_arg" >&2; exit 2; }

virtiofsd_pid=''
# shellcheck disable=SC2317 # called from the EXIT trap
cleanup() {
	local qpid
	# Interrupted (INT/TERM): QEMU must not outlive us.
	qpid=$(cat "$vmdir/qemu.pid" 2>/dev/null) || qpid=''
	[[ -z $qpid ]] || kill "$qpid" 2>/dev/null || true
	if [[ -n $virtiofsd_pid ]]; then
		kill "$virtiofsd_pid" 2>/dev/null || true
		wait "$virtiofsd_pid" 2>/dev/null || true
	fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# virtiofs makes every exec in the guest ~2x cheaper than 9p; the C daemon
# shipped in qemu-system-common needs root.  Any problem: fall back to 9p.
qemu_fs=()
fs=9p
vfsd=/usr/lib/qemu/virtiofsd
if [[ $rootfs != 9p && -x $vfsd && $EUID -eq 0 ]]; then
	sock=$vmdir/virtiofsd.sock
	"$vfsd" -f --socket-path="$sock" -o source=/ -o cache=always -o sandbox=chroot \
		-o no_posix_lock -o announce_submounts >"$vmdir/virtiofsd.log" 2>&1 &
	virtiofsd_pid=$!
	for _ in $(seq 50); do
		[[ -S $sock ]] && break
		kill -0 "$virtiofsd_pid" 2>/dev/null || break
		sleep 0.1
	done
	if [[ -S $sock ]]; then
		fs=virtiofs
		qemu_fs=(-object "memory-backend-memfd,id=mem,size=${mem}M,share=on" -numa "node,memdev=mem"
			-chardev "socket,id=vfs0,path=$sock"
			-device "vhost-user-fs-pci,queue-size=1024,chardev=vfs0,tag=xmrootfs")
	else
		echo "run-vm: virtiofsd did not start, using 9p (see $vmdir/virtiofsd.log)" >&2
		kill "$virtiofsd_pid" 2>/dev/null || true
		virtiofsd_pid=
	fi
fi
[[ $rootfs != virtiofs || $fs == virtiofs ]] || { echo "run-vm: --rootfs virtiofs unavailable" >&2; exit 2; }

# panic_on_warn/oops=panic + panic=-1 + -no-reboot: any WARN or oops ends the
# VM at once, which the host detects as "no result".  loglevel=5 keeps info
# noise off the console but shows warnings and everything a panic prints.
append="console=ttyS0,115200 loglevel=5 log_buf_len=4M panic_on_warn=1 oops=panic"
append+=" slub_debug=FZPU panic=-1 mitigations=off xm.rootfs=$fs"
append+=" xm.init=$here/guest-init.sh"
[[ -z $keep_arg ]] || append+=" xm.keep=$keep_arg"

qemu=(qemu-system-x86_64 -machine "q35,accel=tcg" -cpu max -smp "$smp" -m "$mem"
	-display none -nodefaults -no-reboot -monitor none
	-chardev "stdio,id=con0,signal=off,logfile=$out/console.log" -serial chardev:con0
	-kernel "$kernel" -initrd "$initrd" -append "$append"
	-device virtio-rng-pci -pidfile "$vmdir/qemu.pid"
	-virtfs "local,path=/,mount_tag=xmroot,security_model=none,readonly=on,multidevs=remap"
	-virtfs "local,path=$out,mount_tag=xmout,security_model=none,multidevs=remap"
	"${qemu_fs[@]}")
printf '%q ' "${qemu[@]}" >"$vmdir/qemu.cmd"
echo >>"$vmdir/qemu.cmd"

echo "run-vm: booting $krel (root over $fs, ${mem} MB, ${smp} CPUs, timeout ${tmo}s)" >&2
t0=$EPOCHREALTIME
set +e
# Stream the console live and note when guest-init announces itself, which
# is the boot time (QEMU start to the test environment being up).  Run in
# the background and "wait": a trapped INT/TERM interrupts "wait" at once,
# but not a foreground pipeline.
{
	timeout --kill-after=10 "$tmo" "${qemu[@]}" </dev/null
	echo $? >"$vmdir/qemu.rc"
} | {
	booted=''
	while IFS= read -r line || [[ -n $line ]]; do
		printf '%s\n' "${line%$'\r'}"
		if [[ -z $booted && $line == *"xm-guest: init"* ]]; then
			booted=1
			echo "$EPOCHREALTIME" >"$vmdir/booted"
		fi
	done
} &
wait $!
set -e
t1=$EPOCHREALTIME
qrc=$(cat "$vmdir/qemu.rc" 2>/dev/null) || qrc=125
rm -f "$vmdir/qemu.pid"

secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
total=$(secs "$t0" "$t1")
boot=
[[ -f $vmdir/booted ]] && boot=$(secs "$t0" "$(cat "$vmdir/booted")")
{
	echo "host_total_s=$total"
	echo "host_boot_s=${boot:-}"
	[[ -f $vmdir/guest-timing ]] && cat "$vmdir/guest-timing"
} >"$out/timing.txt"

rc=
[[ -f $out/rc ]] && rc=$(cat "$out/rc")
health=$(head -n1 "$out/health.txt" 2>/dev/null || true)
verdict=
vmfail=1
if ((qrc == 124 || qrc == 137)); then
	verdict="VM timed out after ${tmo}s"
	final=124
elif [[ ! $rc =~ ^[0-9]+$ ]]; then
	if grep -q 'Kernel panic' "$out/console.log" 2>/dev/null; then
		verdict="kernel panic (see console.log)"
	else
		verdict="VM ended without a result (qemu rc=$qrc, see console.log)"
	fi
	final=125
else
	vmfail=0
	if [[ $health != ok* ]]; then
		verdict="kernel health check failed: ${health:-no health result}"
		final=$((rc != 0 && rc != 4 ? rc : 1))
	else
		verdict="command exit code $rc"
		final=$rc
	fi
fi
if ((vmfail)); then
	# Make the failure visible to KTAP consumers too.
	{
		echo "not ok - vm-run $krel # $verdict"
		grep -n -E 'Kernel panic|WARNING:|\bBUG[: ]|Oops|general protection|Call Trace|RIP:' \
			"$out/console.log" 2>/dev/null | head -n 40 | sed 's/^/# /' || true
		echo "# last console lines:"
		tail -n 15 "$out/console.log" 2>/dev/null | sed 's/^/#   /' || true
	} | tee "$out/health.txt"
fi
summary="run-vm: $krel root=$fs boot=${boot:-?}s total=${total}s result=$final ($verdict)"
echo "$summary" | tee "$out/run-vm.txt" >&2
exit "$final"
