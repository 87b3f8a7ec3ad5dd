#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# xfrm_mobility demo ("make demo"): one handover of a strongSwan-established
# IPsec tunnel, then a CHILD_SA rekey, told step by step, in a QEMU VM.
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
# netns.sh), starts charon on X and Y (demo_sas; the xfrm-mobility plugin
# adopts the CHILD_SA into the module on both sides), starts "mobctl -j monitor" on both
# sides and probers in both directions, moves X from the direct path to
# behind NAT B with netem RTT, triggers the handover and prints the story:
# the events relative to the move, Y's NAT verdict, "mobctl show" on both
# sides before and after, and the outage per direction.  The measurement is
# the one of bench/outage.sh (sourced; its header defines T0 and the
# outage).  Then it shows charon's view (swanctl --list-sas), rekeys the
# CHILD_SA from X and prints one timeline of module events and charon's
# log for the handover and the rekey.
#
# Exit status: 0 when the handover succeeded (X registered, Y moved its SAs
# to NAT B's address with a NAT verdict, probes flow both ways again) and
# the rekey installed new SAs that the module adopted,
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

# demo_sas: strongSwan sets up the tunnel and the xfrm-mobility charon
# plugin hands its CHILD_SA to the module on both sides (configs:
# Documentation/examples/strongswan).  Leaves an IKE_SA and a CHILD_SA
# "home" between X's direct-path address and Y (10.99.0.2/32 <->
# 10.88.0.0/24), adopted by the module as connection OB_CONN on X and Y.
demo_sas() {
	local ex=$repo/Documentation/examples/strongswan
	ss_start "$NS_Y" gw "$ex/gateway" && ss_start "$NS_X" mob "$ex/mobile" &&
		ss_initiate mob home || return
	# shellcheck disable=SC2016 # expanded by eval, on each try
	busywait 10000 eval '[[ -n $(demo_conn "$NS_X") && -n $(demo_conn "$NS_Y") ]]' || return
	OB_CONN=$(demo_conn "$NS_X")
}

# demo_conn NS: name of the module connection of CHILD_SA "home".
demo_conn() {
	mobctl -n "$1" show dump 2>/dev/null | awk -F'\t' '$2 ~ /^home-[0-9]+$/ { print $2; exit }'
}

# demo_timeline SINCE: module events (mobctl monitor) and charon's log on
# both sides, merged by time, relative to the first line after SINCE
# (HH:MM:SS.ffffff).
demo_timeline() {
	python3 "$repo/bench/lib/demo_timeline.py" "$1" "$DEMO_W/mon-x.jsonl" "$DEMO_W/mon-y.jsonl" \
		"$(ss_log mob)" "$(ss_log gw)"
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
	# shellcheck source=tests/selftests/lib/strongswan.sh
	. "$repo/tests/selftests/lib/strongswan.sh"
	ob_begin "$(mktemp -d /tmp/demo-work.XXXXXX)" "$rtt" 2000 || return 2
	trap 'ob_cleanup' EXIT

	hdr "xfrm_mobility demo on $(uname -r)"
	say "Mobile host X and gateway Y run strongSwan (charon, IKEv2, PSK); X's"
	say "inner address $X_INNER4 reaches Y's network 10.88.0.0/24 through an ESP"
	say "tunnel.  The xfrm-mobility charon plugin hands the CHILD_SA to the module"
	say "on both sides.  X has two uplinks: a ($X_A4, via router RA, no NAT) and"
	say "b ($X_B4, behind NAT B, seen as $RB_WAN4); Y is $Y_WAN4.  X starts on"
	say "uplink a (direct path) and moves to uplink b; then X rekeys the CHILD_SA."

	hdr "setup"
	ob_setup "$rtt" || return
	say "  topology up; charon on X and Y, IKE_SA and CHILD_SA 'home' initiated by X;"
	say "  the plugin added module connection $OB_CONN on X (mobile) and $(demo_conn "$NS_Y") on Y (gateway)"
	ss_swanctl mob --list-sas 2>/dev/null | indent
	DEMO_W=$OB_W/demo
	mkdir -p "$DEMO_W"
	ip netns exec "$NS_X" "$MOBCTL" -j monitor >"$DEMO_W/mon-x.jsonl" 2>&1 &
	DEMO_PIDS=($!)
	ip netns exec "$NS_Y" "$MOBCTL" -j monitor >"$DEMO_W/mon-y.jsonl" 2>&1 &
	DEMO_PIDS+=($!)
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
	say "  the kernel's route change), then 'mobctl -n X handover name $OB_CONN' runs, as"
	say "  the mobctl daemon would on the route event.  X moves its own SAs and sends"
	say "  a registration request (RREQ) inside ESP; Y compares X's view of the outer"
	say "  header with what it received, moves its SAs and answers (RREP)."
	DEMO_T0=$(date +%H:%M:%S.%N)
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
	hdr "charon follows"
	say "  After the registration the plugin moved each IKE_SA to the module's"
	say "  endpoints (swanctl --list-sas):"
	say "  X:"
	ss_swanctl mob --list-sas 2>/dev/null | indent
	say "  Y:"
	ss_swanctl gw --list-sas 2>/dev/null | indent

	hdr "CHILD_SA rekey after the move"
	local old_spi since
	old_spi=$(mob_field "$NS_X" out 7)
	since=$(date +%H:%M:%S.%N)
	say "  swanctl --rekey --child home on X: charon negotiates new SAs from X's"
	say "  current address and installs them there; the module adopts them."
	# shellcheck disable=SC2016 # expanded by eval, on each try
	if ss_swanctl mob --rekey --child home >/dev/null 2>&1 &&
	   busywait 15000 eval '[[ $(mob_field "$NS_X" out 7) != "$old_spi" ]]' &&
	   busywait 10000 mob_ping_x2y && busywait 10000 mob_ping_y2x; then
		say "  X's outbound SPI $old_spi -> $(mob_field "$NS_X" out 7), SAs at $(mob_field "$NS_X" out 8) -> $(mob_field "$NS_X" out 9); traffic flows"
	else
		say "  rekey FAILED"
		rc=1
	fi
	ns_sleep 1
	kill "${DEMO_PIDS[@]}" 2>/dev/null
	wait "${DEMO_PIDS[@]}" 2>/dev/null

	hdr "timeline: handover, then CHILD_SA rekey (module events and charon)"
	demo_timeline "$DEMO_T0"
	say "  (CHILD_SA rekey started at $since)"

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
	make -s -C "$repo/tools/strongswan" >/dev/null || return 2
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
