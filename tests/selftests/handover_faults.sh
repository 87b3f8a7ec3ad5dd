#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Every failure of a move leaves the original SA pair unchanged and usable,
# with no sequence number used twice (Documentation/xfrm_mobility.rst,
# "Moving SAs"). Runs the test build of the module (build/<krel>-fault/,
# src/fault.h) and, while X floods Y, makes X's handovers fail:
#
#  - at each allocation of the copies, one after the other (-ENOMEM), until
#    a handover has no allocation left to fail;
#  - at the outbound switch (after the original stopped: it must resume),
#    and at the inbound switch after the outbound one succeeded (the
#    outbound copy must hand its counter back);
#  - at the switch to plain ESP after a registration.
#
# After each failure X's SAs are the ones it had, and traffic passes both
# ways; at the end a handover succeeds, and Y's capture of X's ESP shows no
# (SPI, sequence number) twice.
set -u
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib/mobility.sh"

FAULT_KO=$MOB_REPO/build/${XM_KREL:-$(uname -r)}-fault/xfrm_mobility.ko
FAULT_DIR=/sys/kernel/debug/xfrm_mobility
FLOOD=$MOB_REPO/build/tools/xmflood

ktap_header
ktap_require_root
ktap_require_cmd tcpdump python3
ktap_plan 9

# The test build instead of the module under test; the next test loads
# that one again (mob_load). A fault point counts only the hits in the
# namespace that armed it: X's, not the gateway's.
fault_load() {
	mob_unload || return
	modprobe -a udp_tunnel ip6_udp_tunnel esp4 xfrm_user 2>/dev/null
	insmod "$FAULT_KO" || return
	mountpoint -q /sys/kernel/debug || mount -t debugfs none /sys/kernel/debug
	[[ -w $FAULT_DIR/fail_alloc && -w $FAULT_DIR/fail_switch ]]
}
if [[ ! -f $FAULT_KO || ! -x $FLOOD ]] || ! ktap_run fault_load; then
	ktap_fail "test build loaded" "$FAULT_KO or $FLOOD missing, or not loadable"
	ktap_finished
fi
ns_cleanup_add mob_unload
WORK=$(mktemp -d "${TMPDIR:-/tmp}/xm-faults.XXXXXX")
ns_cleanup_add "rm -rf $WORK"

mob_setup
X_A4B=10.0.1.3
ktap_run ns_ip "$NS_X" addr add "$X_A4B/24" dev xa
ktap_run mobctl -n "$NS_X" handover name home local "$X_A4"
mob_registered_at "$X_A4" || ktap_diag "first registration failed"

mob_capture DUMP "$NS_Y" y-wan "$WORK/xy.pcap" "src net 10.0.1.0/24 and (esp or udp port 4500)"
ktap_bg -o "$WORK/recv" ip netns exec "$NS_Y" "$FLOOD" recv --bind "$Y_INNER4:9000" --duration 300
RECV=$!
ktap_bg -o "$WORK/flood" ip netns exec "$NS_X" "$FLOOD" send --src "$X_INNER4" \
	--dst "$Y_INNER4:9000" --pps 2000 --duration 300
FLOOD_PID=$!
ns_cleanup_add "kill $FLOOD_PID $RECV $DUMP"

# x_sas: X's SA pair (SPIs, endpoints, encapsulation).
x_sas() { mob_rows x dir spi src dst encap sport dport; }

# x_arm POINT N: the Nth hit of POINT in X's namespace fails.
x_arm() {
	# nsenter, not ip netns exec: that one mounts a fresh /sys without debugfs.
	nsenter --net="/run/netns/$NS_X" sh -c "echo $2 >$FAULT_DIR/$1"
}

# failed_move POINT N: with the Nth hit of POINT armed, a handover to the
# other address fails, leaves X's SAs as they were, and traffic passes
# both ways. Status 3: the handover succeeded (fewer than N hits).
failed_move() {
	local before after to=$X_A4B rc=0
	before=$(x_sas)
	[[ $(mob_sa x out src) == "$X_A4B" ]] && to=$X_A4
	x_arm "$1" "$2"
	if mobctl -n "$NS_X" handover name home local "$to"; then
		x_arm "$1" 0
		mob_registered_at "$to" || return
		return 3
	fi
	x_arm "$1" 0
	after=$(x_sas)
	if [[ $after != "$before" ]]; then
		echo "SAs changed: $before -> $after"
		rc=1
	fi
	busywait 5000 mob_ping_x2y || { echo "no traffic X->Y"; rc=1; }
	busywait 5000 mob_ping_y2x || { echo "no traffic Y->X"; rc=1; }
	return "$rc"
}

# Each allocation of a move, until one handover has none left to fail.
alloc_failures() {
	local n rc
	for ((n = 1; n <= 32; n++)); do
		failed_move fail_alloc "$n" && rc=0 || rc=$?
		((rc == 3)) && break
		((rc == 0)) || { echo "allocation $n: see above"; return 1; }
	done
	ktap_note " ($((n - 1)) allocations failed one by one, then the handover succeeded)"
	((n > 2 && n <= 32))
}
ktap_check "each allocation of a move fails cleanly" alloc_failures
ktap_check "the outbound switch fails, the original resumes" failed_move fail_switch 1
ktap_check "the inbound switch fails, the outbound copy is handed back" failed_move fail_switch 2
# x_other: the address of X's uplink a that its SAs do not use.
x_other() {
	if [[ $(mob_sa x out src) == "$X_A4B" ]]; then echo "$X_A4"; else echo "$X_A4B"; fi
}

# After a registration on this direct path X switches its outbound SA to
# plain ESP: the third switch of a handover. When it fails, X keeps
# ESP-in-UDP, registered, and traffic passes.
plain_switch_fails() {
	local to
	to=$(x_other)
	x_arm fail_switch 3
	mobctl -n "$NS_X" handover name home local "$to" || return
	mob_registered_at "$to" || return
	busywait 5000 grep -qx 0 "$FAULT_DIR/fail_switch" || { echo "switch 3 not reached"; return 1; }
	ns_sleep 1
	mob_sa_is x out encap espinudp || return
	busywait 5000 mob_ping_x2y && busywait 5000 mob_ping_y2x
}
ktap_check "the switch to plain ESP after a registration fails, X stays in ESP-in-UDP" \
	plain_switch_fails
x_arm fail_switch 0

handover_ok() {
	local to
	to=$(x_other)
	mobctl -n "$NS_X" handover name home local "$to" && mob_registered_at "$to"
}
ktap_check "then a handover succeeds" handover_ok
ktap_check "traffic X->Y" busywait 5000 mob_ping_x2y
ktap_check "traffic Y->X" busywait 5000 mob_ping_y2x

kill "$FLOOD_PID" 2>/dev/null
wait "$FLOOD_PID" 2>/dev/null
ns_sleep 1
kill "$DUMP" "$RECV" 2>/dev/null
wait "$DUMP" "$RECV" 2>/dev/null
ktap_diag "$(cat "$WORK/flood" "$WORK/recv" "$WORK/xy.pcap.log")"

ktap_check "X->Y SPI $MOB_SPI_XY: no sequence number twice" \
	mob_esp_check "$WORK/xy.pcap" "$X_A4,$X_A4B" "$MOB_SPI_XY"
recv_ok() {
	local line
	line=$(cat "$WORK/recv")
	ktap_note " ($line)"
	[[ $line =~ received\ ([0-9]+)\ duplicates\ 0 ]] && ((BASH_REMATCH[1] > 0))
}
ktap_check "Y received X's datagrams, none twice" recv_ok

ktap_finished
