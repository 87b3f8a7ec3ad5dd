#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xfrm_mobility demo ("make demo"): one handover of an established
# ESP-in-UDP tunnel, told step by step, in a QEMU VM.
#
# Usage: scripts/demo.sh [--kernel KREL] [--rtt MS] [--out DIR]
#                        [--timeout SEC] [--wait-vm SEC]
#
#   --kernel KREL   kernel to build for and boot (default: the newest 6.1
#                   that scripts/kernels.sh finds)
#   --rtt MS        round-trip time between X and Y (netem, default 100)
#   --out DIR       VM results (default build/demo-KREL; the run's raw data
#                   is in DIR/demo)
#   --timeout SEC   VM time limit (default 420)
#   --wait-vm SEC   how long to wait for another QEMU VM on this machine to
#                   finish before booting ours (default 900)
#
# On the host: installs missing packages (scripts/deps.sh), builds the
# module for the kernel (when its sources changed), mobctl and the prober,
# waits until no other QEMU VM runs, and boots the VM.  Inside the VM
# (--in-vm) it builds the topology of the selftests (tests/selftests/lib/
# netns.sh), installs the tunnel SAs (demo_sas: ip xfrm for now), adds the
# connections (X mobile, Y gateway), starts "mobctl -j monitor" on both
# sides and probers in both directions, moves X from the direct path to
# behind NAT B with netem RTT, triggers the handover and prints the story:
# the events relative to the move, Y's NAT verdict, "mobctl show" on both
# sides before and after, and the outage per direction.  The measurement is
# the one of bench/outage.sh (sourced; its header defines T0 and the
# outage).
#
# Exit status: 0 when the handover succeeded (X registered, Y moved its SAs
# to NAT B's address with a NAT verdict, probes flow both ways again),
# 1 when it failed, 2 for usage or setup errors, 4 if the module cannot be
# loaded.
# shellcheck source-path=SCRIPTDIR/..
# shellcheck disable=SC2317 # demo_sas is called through OB_TUNNEL_FN
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)

usage() {
	sed -n '/^# Usage:/,/^# On the host/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' >&2
	exit 2
}

# --- inside the VM -----------------------------------------------------------

# demo_sas: the tunnel's SAs and the connections.  ip xfrm for now; an IKE
# daemon (strongSwan) will replace this function.  Must leave an ESP-in-UDP
# SA pair with reqid 1 between X's direct-path address and Y, policies for
# 10.99.0.2/32 <-> 10.88.0.0/24, Y's route to X's inner address, and the
# connection "home" on both sides.
demo_sas() {
	mob_tunnel udp || return
	mobctl -n "$NS_X" conn add name "$OB_CONN" reqid 1 role mobile >/dev/null || return
	mobctl -n "$NS_Y" conn add name "$OB_CONN" reqid 1 role gateway >/dev/null
}

say() { printf '%s\n' "$*"; }
hdr() { printf '\n== %s ==\n' "$*"; }
indent() { sed 's/^/    /'; }

show_both() {
	say "  X (mobile):"
	mobctl -n "$NS_X" show 2>&1 | indent
	say "  Y (gateway):"
	mobctl -n "$NS_Y" show 2>&1 | indent
}

in_vm() {
	local rtt=100 out=${XM_OUT:-/tmp}/demo rc=0 seen port nat xstate
	while (($#)); do
		case $1 in
		--rtt) rtt=$2; shift 2 ;;
		*) echo "demo: unknown option $1" >&2; return 2 ;;
		esac
	done
	# shellcheck disable=SC2034 # read by bench/outage.sh
	OB_TUNNEL_FN=demo_sas
	# shellcheck source=bench/outage.sh
	. "$repo/bench/outage.sh"
	ob_begin "$(mktemp -d /tmp/demo-work.XXXXXX)" "$rtt" 2000 || return 2
	trap 'ob_cleanup' EXIT

	hdr "xfrm_mobility demo on $(uname -r)"
	say "Mobile host X and gateway Y share an ESP-in-UDP tunnel (tunnel mode,"
	say "AES-GCM, SPI X->Y $MOB_SPI_XY, Y->X $MOB_SPI_YX) between X's inner address"
	say "$X_INNER4 and Y's network 10.88.0.0/24.  X has two uplinks: a ($X_A4, via"
	say "router RA, no NAT) and b ($X_B4, behind NAT B, seen as $RB_WAN4); Y is $Y_WAN4."
	say "X starts on uplink a (direct path) and moves to uplink b."

	hdr "setup"
	ob_setup "$rtt" || return
	say "  topology up, SAs installed with ip xfrm (demo_sas), connections added:"
	say "  X: conn home reqid 1 role mobile;  Y: conn home reqid 1 role gateway"
	ob_verify_rtt | sed 's/^# /  /'
	ob_trace_init >/dev/null
	ob_monitors_start
	ob_probers_start 2000
	say "  mobctl monitor runs on X and Y; probes every 2 ms in both directions"
	say "  ($X_INNER4 -> $Y_INNER4:$OB_PORT_XY and $Y_INNER4 -> $X_INNER4:$OB_PORT_YX)"
	ns_sleep 2

	hdr "before the move: mobctl show"
	show_both

	hdr "the move"
	say "  X's default route switches from uplink a to uplink b (one ip -batch; T0 is"
	say "  the kernel's route change), then 'mobctl -n X handover name home' runs, as"
	say "  the mobctl daemon would on the route event.  X moves its own SAs and sends"
	say "  a registration request (RREQ) inside ESP; Y compares X's view of the outer"
	say "  header with what it received, moves its SAs and answers (RREP)."
	ob_move nat_b 1 direct-to-nat_b || rc=1
	# Let the probes of the new path arrive.
	ns_sleep "$(awk -v r="$rtt" 'BEGIN { printf "%.2f", 1 + 3 * r / 1000 }')"
	ob_stop_all

	hdr "after the move: mobctl show"
	show_both

	hdr "what happened"
	ob_analyze --story || rc=1

	hdr "verdict"
	seen=$(mob_field "$NS_Y" out 9)
	port=$(mob_field "$NS_Y" out 12)
	nat=$(mob_field "$NS_Y" out 14)
	xstate=$(mob_field "$NS_X" out 13)
	say "  X: registration $xstate, SAs at $(mob_field "$NS_X" out 8) -> $(mob_field "$NS_X" out 9)"
	say "  Y: sends to X at $seen:$port, NAT flags $nat ($(mobctl -n "$NS_Y" -j show 2>/dev/null |
		python3 -c 'import json,sys; print(",".join(json.load(sys.stdin)[0].get("nat", [])) or "none")' 2>/dev/null))"
	if ((rc == 0)) && [[ $xstate == registered && $seen == "$RB_WAN4" && $nat != 0x0 ]]; then
		say "  Y detected the NAT and follows X to $RB_WAN4:$port: handover OK"
	else
		say "  handover FAILED (see $out)"
		rc=1
	fi
	mkdir -p "$out" && cp -r "$OB_W"/. "$out"/
	say "  raw data: ${XM_DEMO_HOST_OUT:-$out}"
	return "$rc"
}

# --- on the host ---------------------------------------------------------------

# kernel_line KREL|"": "series krel kdir vmlinuz" of the kernel to use.
kernel_line() {
	local want=$1 d
	if [[ -z $want ]]; then
		"$repo/scripts/kernels.sh" 6.1 2>/dev/null | head -n1
		return
	fi
	"$repo/scripts/kernels.sh" 2>/dev/null | awk -v k="$want" '$2 == k' | grep . && return
	for d in "/usr/src/linux-headers-$want" "/lib/modules/$want/build"; do
		if [[ -f $d/Makefile && -f $d/Module.symvers && -r /boot/vmlinuz-$want ]]; then
			echo "- $want $(readlink -f "$d") /boot/vmlinuz-$want"
			return
		fi
	done
}

# ko_stale KREL: does build/KREL/xfrm_mobility.ko need a rebuild?
ko_stale() {
	local ko=$repo/build/$1/xfrm_mobility.ko f
	[[ -f $ko ]] || return 0
	for f in "$repo"/Kbuild "$repo"/src/*.[ch] "$repo"/include/uapi/linux/*.h; do
		[[ $f -nt $ko ]] && return 0
	done
	return 1
}

on_host() {
	local krel='' rtt=100 out='' tmo=420 waitvm=900 line kdir start rc
	while (($#)); do
		case $1 in
		--kernel) krel=$2; shift 2 ;;
		--rtt) rtt=$2; shift 2 ;;
		--out) out=$2; shift 2 ;;
		--timeout) tmo=$2; shift 2 ;;
		--wait-vm) waitvm=$2; shift 2 ;;
		-h | --help) usage ;;
		*) echo "demo: unknown option $1" >&2; usage ;;
		esac
	done
	[[ $rtt =~ ^[0-9]+$ && $tmo =~ ^[0-9]+$ && $waitvm =~ ^[0-9]+$ ]] || usage
	start=$SECONDS

	"$repo/scripts/deps.sh" || { echo "demo: missing dependencies (run as root: make deps)" >&2; return 2; }
	line=$(kernel_line "$krel")
	[[ -n $line ]] || { echo "demo: no usable kernel ${krel:-6.1} (image, modules and headers)" >&2; return 2; }
	read -r _ krel kdir _ <<<"$line"
	out=${out:-$repo/build/demo-$krel}

	if ko_stale "$krel"; then
		make -s -C "$repo" --no-print-directory module-for KREL="$krel" KDIR="$kdir" || return 2
	else
		echo "  OK      build/$krel/xfrm_mobility.ko is up to date"
	fi
	make -s -C "$repo/tools/mobctl" >/dev/null || return 2
	make -s -C "$repo/tests/tools" >/dev/null || return 2

	# Never two VMs at once on this machine.
	if pgrep -f qemu-system >/dev/null; then
		echo "demo: another QEMU VM is running, waiting for it (up to ${waitvm}s)..."
		local t=$SECONDS
		while pgrep -f qemu-system >/dev/null; do
			((SECONDS - t < waitvm)) || { echo "demo: still busy, giving up" >&2; return 2; }
			sleep 5
		done
	fi

	# The VM's console, without the boot and kernel messages.
	echo "demo: booting $krel (takes a minute under TCG)..."
	tests/vm/run-vm.sh --kernel "$krel" --ko "$repo/build/$krel/xfrm_mobility.ko" \
		--out "$out" --timeout "$tmo" --env XM_DEMO_HOST_OUT="$out/demo" \
		-- scripts/demo.sh --in-vm --rtt "$rtt" 2>&1 |
		grep --line-buffered -v -E '^xm-guest: |^\[ *[0-9]+\.[0-9]+\] |^run-vm: booting' | sed -u 's/\r$//'
	rc=${PIPESTATUS[0]}
	echo "demo: done in $((SECONDS - start))s, exit status $rc (VM results: $out)"
	return "$rc"
}

cd "$repo" || exit 2
if [[ ${1:-} == --in-vm ]]; then
	shift
	in_vm "$@"
	exit $?
fi
on_host "$@"
exit $?
