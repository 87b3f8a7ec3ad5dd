#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# PID 1 of the test VM, started by the initramfs (tests/vm/mkinitramfs.sh)
# in the host's root filesystem.  Prepares a usable system, preloads the
# XFRM/crypto/netfilter modules, records a kernel-log/taint baseline, runs
# the command that tests/vm/run-vm.sh put into $XM_OUT/.vm/env.sh, checks
# the kernel log for new warnings, writes the results and powers off.
#
# Knobs (from run-vm.sh --env or the caller's XM_* variables):
#   XM_PRELOAD        replaces the default module preload list
#   XM_PRELOAD_EXTRA  more modules to preload
#   XM_WARM_CRYPTO=0  skip the one-time rfc4106(gcm(aes)) warm-up
#
# No "set -e": PID 1 must never exit early (that would panic the guest
# without telling the host why); every step reports and carries on.
set -uo pipefail

export PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin
export HOME=/root TERM=${TERM:-dumb} LANG=C.UTF-8
XM_OUT=${XM_OUT:-/run/xm-out}

uptime_s() { cut -d' ' -f1 /proc/uptime; }
log() { echo "xm-guest: $*"; }
kmsg() { echo "xm-guest: $*" >/dev/kmsg 2>/dev/null || true; }

poweroff_now() {
	sync
	umount "$XM_OUT" 2>/dev/null || sync
	# reboot(2) with POWER_OFF; -no-reboot makes a panic/reboot end QEMU too.
	busybox poweroff -f 2>/dev/null
	echo o >/proc/sysrq-trigger
	sleep 60
}

t_init=$(uptime_s)
log "init (uptime ${t_init}s, root over ${XM_ROOTFS:-?})"

# Basic device and pseudo filesystems that bash, ip netns, nft, charon and
# python expect and that only a full init would normally provide.
mkdir -p /dev/pts /dev/shm /dev/mqueue
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts 2>/dev/null
mount -t tmpfs -o mode=1777 tmpfs /dev/shm 2>/dev/null
mount -t mqueue mqueue /dev/mqueue 2>/dev/null
[[ -e /dev/ptmx ]] || ln -sf pts/ptmx /dev/ptmx
ln -sfn /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
mount -t debugfs debugfs /sys/kernel/debug 2>/dev/null
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mount -t cgroup2 cgroup2 /sys/fs/cgroup 2>/dev/null
mount -t bpf bpf /sys/fs/bpf 2>/dev/null
hostname xm-vm 2>/dev/null || echo xm-vm >/proc/sys/kernel/hostname
ip link set lo up 2>/dev/null
mkdir -p /run/netns /var/run 2>/dev/null

if [[ ! -r $XM_OUT/.vm/env.sh ]]; then
	log "FATAL: no $XM_OUT/.vm/env.sh (results share missing?)"
	poweroff_now
fi
XM_CMD=()
# shellcheck source=/dev/null
. "$XM_OUT/.vm/env.sh"
vmdir=$XM_OUT/.vm

# --- module preload --------------------------------------------------------
# The drbg self-test WARNs on 6.1 under TCG (no jitterentropy): that happens
# here, before anything of ours runs, so panic_on_warn is suspended for the
# preload and the baseline below is taken afterwards.
default_preload="veth dummy bridge jitterentropy_rng drbg xfrm_user xfrm_interface
	authenc echainiv seqiv gcm ghash_generic ghash_clmulni_intel aes_generic aesni_intel
	esp4 esp6 xfrm4_tunnel xfrm6_tunnel tunnel4 tunnel6 udp_tunnel ip6_udp_tunnel
	sch_netem nf_conntrack nf_nat nf_tables nft_chain_nat nft_masq nft_nat nft_ct
	nf_conntrack_netlink wireguard"
pow=$(cat /proc/sys/kernel/panic_on_warn 2>/dev/null || echo 0)
echo 0 >/proc/sys/kernel/panic_on_warn 2>/dev/null
t0=$(uptime_s)
# Few execs (each costs ~0.2-0.5 s under TCG): one "modprobe -a" for the
# crypto modules, whose self-tests take most of the time, and one in
# parallel for the rest, so both vCPUs work.  What did not load is found
# afterwards without further execs.
# shellcheck disable=SC2206 # word lists
want=(${XM_PRELOAD:-$default_preload} ${XM_PRELOAD_EXTRA:-})
slow=() rest=()
for m in "${want[@]}"; do
	case $m in
	jitterentropy* | drbg | ghash* | aes* | gcm | authenc | echainiv | seqiv | *sha*) slow+=("$m") ;;
	*) rest+=("$m") ;;
	esac
done
((${#slow[@]})) && modprobe -a -q "${slow[@]}" 2>/dev/null &
((${#rest[@]})) && modprobe -a -q "${rest[@]}" 2>/dev/null
wait
builtin_list=$(cat "/lib/modules/$(uname -r)/modules.builtin" 2>/dev/null)
missing=()
for m in "${want[@]}"; do
	m=${m//-/_}
	[[ -d /sys/module/$m ]] && continue
	[[ $builtin_list == *"/$m.ko"* || $builtin_list == *"/${m//_/-}.ko"* ]] && continue
	missing+=("$m")
done
t1=$(uptime_s)
log "preloaded modules in $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')s${missing:+; not available: ${missing[*]}}"

# The first AEAD SA of a boot pays for crypto module loading and self-tests
# (seconds under TCG); pay it once here, in a throwaway netns.
t2=$t1
if [[ ${XM_WARM_CRYPTO:-1} != 0 ]]; then
	key=0x$(printf '%040d' 0)
	if ! unshare -n ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x100 \
		mode tunnel aead 'rfc4106(gcm(aes))' "$key" 128 2>/dev/null; then
		log "crypto warm-up failed (rfc4106(gcm(aes)) unavailable?)"
	fi
	t2=$(uptime_s)
	log "crypto warm-up $(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.1f", b-a}')s"
fi

# --- static keys ----------------------------------------------------------
# With several vCPUs under TCG, live code patching (a static key flipped by
# the first timestamping socket, the first netfilter hook of a kind, the
# first ESP-in-UDP socket...) can race with another vCPU running the code
# being patched and end in an "Oops: int3". Tests flip these keys all the
# time (every ping, every netns with nft or an encap socket); holding one
# user of each in the initial netns for the whole run keeps them enabled.
python3 - <<'PY' &
import os, signal, socket
# Python 3.11 has no socket.SO_TIMESTAMPNS: 35 is SO_TIMESTAMPNS_OLD, what
# SO_TIMESTAMPNS means on x86-64 (asm-generic/socket.h).
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)
keep = []
for fam in (socket.AF_INET, socket.AF_INET6):
    s = socket.socket(fam, socket.SOCK_DGRAM)
    s.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
    try:
        s.setsockopt(socket.IPPROTO_UDP, 100, 2)  # UDP_ENCAP_ESPINUDP
    except OSError:
        pass
    keep.append(s)
signal.pause()
PY
nft -f - >/dev/null 2>&1 <<'NFT' || log "static key pinning: nft failed"
table inet xm_pin {
	chain c_pre { type filter hook prerouting priority 0; policy accept; }
	chain c_in { type filter hook input priority 0; policy accept; }
	chain c_fw { type filter hook forward priority 0; policy accept; }
	chain c_out { type filter hook output priority 0; policy accept; }
	chain c_post { type filter hook postrouting priority 0; policy accept; }
}
table ip xm_pin_nat {
	chain n_pre { type nat hook prerouting priority dstnat; policy accept; }
	chain n_post { type nat hook postrouting priority srcnat; policy accept; }
}
NFT
# Let the deferred static key work run before the baseline.
sleep 1

# --- baseline --------------------------------------------------------------
marker="xm-guest: baseline $RANDOM$RANDOM"
echo "$marker" >/dev/kmsg
taint0=$(cat /proc/sys/kernel/tainted)
dmesg >"$vmdir/dmesg-baseline.txt" 2>/dev/null
echo "$pow" >/proc/sys/kernel/panic_on_warn 2>/dev/null

# --- the command -----------------------------------------------------------
cd "${XM_CWD:-/}" || log "cannot cd to ${XM_CWD:-/}"
log "running: ${XM_CMD[*]} (timeout ${XM_TIMEOUT:-?}s)"
kmsg "running: ${XM_CMD[*]}"
t3=$(uptime_s)
# The output goes straight to the results share (9p without caching: each
# write reaches the host's file at once), so that what the command printed
# before a kernel panic or a VM timeout is kept and counted.
outlog=$XM_OUT/output.log
if ! : >"$outlog"; then
	log "cannot write $outlog, keeping the output in /dev/shm"
	outlog=/dev/shm/xm-output.log
	: >"$outlog"
fi
# Own session so leftovers (daemons a test forgot) can be killed as a group;
# output goes to a file rather than a pipe, so a leftover holding stdout
# cannot block us; tail streams it live to the serial console.
if ((${#XM_CMD[@]})); then
	setsid timeout --kill-after=10 "${XM_TIMEOUT:-600}" "${XM_CMD[@]}" \
		</dev/null >"$outlog" 2>&1 &
	cmdpid=$!
	tail -n +1 -s 0.2 --pid="$cmdpid" -f "$outlog" &
	tailpid=$!
	wait "$cmdpid"
	rc=$?
	wait "$tailpid" 2>/dev/null
	kill -TERM -- "-$cmdpid" 2>/dev/null && sleep 1 && kill -KILL -- "-$cmdpid" 2>/dev/null
else
	log "no command"
	rc=2
fi
t4=$(uptime_s)
((rc == 124)) && log "command timed out after ${XM_TIMEOUT}s"
log "command exit code $rc after $(awk -v a="$t3" -v b="$t4" 'BEGIN{printf "%.1f", b-a}')s"
[[ $outlog == "$XM_OUT/output.log" ]] || cp "$outlog" "$XM_OUT/output.log"

# --- kernel health ---------------------------------------------------------
dmesg >"$XM_OUT/dmesg.txt" 2>/dev/null
taint1=$(cat /proc/sys/kernel/tainted)
# Only what was logged after the baseline counts; if the marker has been
# overwritten (ring buffer wrapped) the whole log is checked.
new=$(awk -v m="$marker" 'found { print } index($0, m) { found = 1 }' "$XM_OUT/dmesg.txt")
grep -qF "$marker" "$XM_OUT/dmesg.txt" || new=$(cat "$XM_OUT/dmesg.txt")
pattern='WARNING:|\bBUG[: ]|Oops|general protection|KASAN|UBSAN|KFENCE|list_(add|del) corruption'
pattern+='|Kernel panic|kernel BUG|RIP:|Call Trace:|soft lockup|hard LOCKUP|rcu_sched detected stall'
pattern+='|rcu: INFO|blocked for more than|refcount_t:|Poison overwritten|Redzone|Object padding'
pattern+='|unreferenced object|double free|use-after-free|stack-protector|stack guard page'
findings=$(grep -E "$pattern" <<<"$new" | head -n 60)
# Taint bits other than O (4096, out-of-tree module) and E (8192, unsigned
# module) that appeared during the run.
gained=$(((taint1 & ~taint0) & ~(4096 | 8192)))
letters=PFSRMBUDAWCIOELKXT
taint_str() {
	local t=$1 i s=''
	for ((i = 0; i < ${#letters}; i++)); do
		((t & (1 << i))) && s+=${letters:i:1}
	done
	echo "${s:--}"
}
{
	if [[ -z $findings ]] && ((gained == 0)); then
		echo "ok - vm-health ${XM_KREL:-} no new kernel warnings, taint $(taint_str "$taint0") -> $(taint_str "$taint1")"
	else
		echo "not ok - vm-health ${XM_KREL:-} kernel log/taint changed during the run (taint $(taint_str "$taint0") -> $(taint_str "$taint1"), new: $(taint_str "$gained"))"
		[[ -z $findings ]] || {
			echo "# new kernel messages matching warning patterns:"
			while IFS= read -r l; do echo "#   $l"; done <<<"$findings"
			echo "# context:"
			grep -E -B2 -A25 "$pattern" <<<"$new" | head -n 120 | sed 's/^/#   /'
		}
	fi
} >"$XM_OUT/health.txt"
cat "$XM_OUT/health.txt"

{
	echo "guest_init_uptime_s=$t_init"
	echo "guest_preload_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f", b-a}')"
	echo "guest_warmup_s=$(awk -v a="$t1" -v b="$t2" 'BEGIN{printf "%.1f", b-a}')"
	echo "guest_cmd_s=$(awk -v a="$t3" -v b="$t4" 'BEGIN{printf "%.1f", b-a}')"
	echo "guest_missing_modules=${missing[*]}"
	echo "guest_taint=$taint0 $taint1"
} >"$vmdir/guest-timing"
echo "$rc" >"$XM_OUT/rc"
log "done"
poweroff_now
