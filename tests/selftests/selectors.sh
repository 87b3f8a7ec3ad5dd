#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Registration with traffic selectors other than the host-to-subnet tunnel
# of the other tests (topology: lib/netns.sh):
#   0.0.0.0/0    a full tunnel, X's inner address to everything: the policy
#                of a road warrior with a virtual IP;
#   10.0.0.0/8   a wider subnet;
#   0.0.0.0/2    refused by conn add (no address to send to).
# For each, with "encap auto": direct -> NAT B -> direct, checked by SA
# state, registration state and inner pings in both directions, and no
# registration message that could not be sent; and a datagram of X's from
# the registration port to a service on the registration port behind Y is
# ordinary traffic, answered by the service.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/mobility.sh
. "$dir/lib/mobility.sh"

mob_test_init ip nft ping python3
inject=(python3 "$dir/xm_inject.py")

# moved NAME SEEN: after a handover request, Y's SAs are at SEEN, X is
# registered, and inner traffic passes both ways.
moved() {
	ktap_check "$1: Y moved its SAs to $2, X registered" mob_registered_at "$2"
	ktap_check "$1: traffic X->Y" busywait 30000 mob_ping_x2y
	ktap_check "$1: traffic Y->X" busywait 30000 mob_ping_y2x
}

# no_tx_errors NS: the connection of NS sent every message it built.
no_tx_errors() {
	local n
	n=$(mob_stat "$1" tx-errors)
	ktap_note " (tx-errors ${n:-?})"
	[[ $n == 0 ]]
}

# echo_4501 NET: X's datagram from port 4501 to the echo service on
# Y_INNER4:4501 comes back.
echo_4501() {
	local log out pid rc=0
	log=$(mktemp)
	ktap_bg -o "$log" ip netns exec "$NS_Y" "${inject[@]}" echo-serve "$Y_INNER4" 4501 30
	pid=$!
	if ! busywait 10000 grep -q '^ready' "$log"; then
		echo "echo service: $(cat "$log")"
		rc=1
	elif out=$(ip netns exec "$NS_X" "${inject[@]}" echo "$X_INNER4" 4501 "$Y_INNER4" 4501); then
		ktap_note " ($out)"
	else
		echo "$out"
		mob_show y
		rc=1
	fi
	kill "$pid" 2>/dev/null
	rm -f "$log"
	return "$rc"
}

for net in 0.0.0.0/0 10.0.0.0/8; do
	ktap_run ns_cleanup
	export MOB_Y_NET=$net
	mob_setup
	ktap_check "$net: baseline X->Y" busywait 10000 mob_ping_x2y
	ktap_check "$net: baseline Y->X" mob_ping_y2x
	ktap_check "$net: a service on port 4501 behind Y answers X's datagram from port 4501" \
		echo_4501
	mob_handover nat_b || ktap_fail "$net: direct->NAT B: handover request"
	moved "$net: direct->NAT B" "$RB_WAN4"
	mob_handover direct || ktap_fail "$net: NAT B->direct: handover request"
	moved "$net: NAT B->direct" "$X_A4"
	ktap_check "$net: X sent every registration message" no_tx_errors "$NS_X"
	ktap_check "$net: Y sent every reply" no_tx_errors "$NS_Y"
done

# 0.0.0.0/2 holds no address the inner packet could go to: conn add says
# so instead of a connection that never registers.
refused() {
	local out rc=0
	out=$(mobctl -n "$NS_X" conn add name home reqid 1 role mobile 2>&1) || rc=$?
	ktap_note " ($out)"
	((rc != 0)) && [[ $out == *"no address for registration messages"* ]] && return
	echo "conn add: exit $rc: $out"
	return 1
}
ktap_run ns_cleanup
export MOB_Y_NET=0.0.0.0/2
mob_topo udp
ktap_check "0.0.0.0/2: conn add refused with a reason" refused

ktap_finished
