#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Handover of an ESP-in-UDP tunnel between mobile host X and gateway Y
# (topology: lib/netns.sh). X's SAs are moved in place by xfrm_mobility
# after a registration exchange inside ESP; every step is checked by state
# (SA endpoints and encapsulation ports on both sides, NAT verdict,
# registration state) and by traffic (inner pings in both directions).
#
#   direct -> NAT B (new address, behind NAT)
#   NAT B  -> NAT A (another NAT)
#   NAT A  -> direct (same address, NAT gone)
#   NAT rebinding (same address, the NAT's mapping changes)
#   delay 100 ms and 20 % loss on the new path
#
# XM_TUNNEL_ENCAP=none starts from plain ESP SAs (handover_plain.sh): the
# first registration then arrives UDP-encapsulated on SAs without
# encapsulation, and both ends must switch to ESP-in-UDP.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$dir/lib/ktap.sh"
. "$dir/lib/netns.sh"
. "$dir/lib/mobility.sh"

ktap_header
ktap_require_root
ktap_require_cmd ip nft tc ping

mob_load || ktap_skip_all "xfrm_mobility not loadable (XM_KO unset?)"

if ! ns_topo_mobility >/dev/null 2>&1; then
	ktap_fail "topology" "ns_topo_mobility failed"
	ktap_finished
fi
encap=${XM_TUNNEL_ENCAP:-udp}
mob_tunnel "$encap" || { ktap_fail "ip xfrm setup ($encap)"; ktap_finished; }

# With no IKE daemon, the module opens the ESP-in-UDP socket on 4500.
# "encap always" keeps ESP-in-UDP on every path (encap.sh covers "auto").
ktap_check "conn add on X (mobile)" mobctl -n "$NS_X" conn add name home reqid 1 role mobile encap always
ktap_check "conn add on Y (gateway)" mobctl -n "$NS_Y" conn add name home reqid 1 role gateway encap always

ktap_check "baseline X->Y" busywait 10000 mob_ping_x2y
ktap_check "baseline Y->X" mob_ping_y2x

# A monitor on Y records the event stream of the whole test.
events=$(mktemp)
ip netns exec "$NS_Y" "$MOBCTL" monitor >"$events" 2>&1 &
mon_pid=$!
ns_cleanup_add "kill $mon_pid 2>/dev/null"

# move_and_check NAME MODE SEEN_ADDR NAT_EXPECT(yes|no)
move_and_check() {
	local name=$1 mode=$2 seen=$3 natted=$4 xl port nat

	ns_move_x "$mode" >/dev/null 2>&1
	xl=$(ns_x_local_addr4)
	if ! out=$(mobctl -n "$NS_X" handover name home 2>&1); then
		ktap_fail "$name: handover request" "$out"
		return
	fi
	# X's own SAs move at once.
	if mob_field_is "$NS_X" out 8 "$xl" && mob_field_is "$NS_X" in 9 "$xl"; then
		ktap_pass "$name: X moved its SAs to $xl"
	else
		ktap_fail "$name: X moved its SAs to $xl" "$(mobctl -n "$NS_X" show)"
	fi
	if mob_wait_field "$NS_Y" out 9 "$seen" 15000 &&
	   mob_wait_field "$NS_X" out 13 registered 15000; then
		ktap_pass "$name: Y moved its SAs to $seen, X registered"
	else
		ktap_fail "$name: Y moved its SAs to $seen, X registered" \
			"$(mobctl -n "$NS_Y" show; mobctl -n "$NS_X" show)"
	fi
	port=$(mob_field "$NS_Y" out 12)
	nat=$(mob_field "$NS_Y" out 14)
	if [[ $natted == yes ]]; then
		[[ $nat != 0x0 && $(( nat & 1 )) == 1 ]] &&
			ktap_pass "$name: Y's verdict: source translated ($nat, port $port)" ||
			ktap_fail "$name: Y's verdict: source translated" "nat=$nat port=$port"
	else
		[[ $nat == 0x0 && $port == 4500 ]] &&
			ktap_pass "$name: Y's verdict: no translation" ||
			ktap_fail "$name: Y's verdict: no translation" "nat=$nat port=$port"
	fi
	[[ $(mob_field "$NS_Y" out 10) == espinudp && $(mob_field "$NS_X" out 10) == espinudp ]] &&
		ktap_pass "$name: both ends use ESP-in-UDP" ||
		ktap_fail "$name: both ends use ESP-in-UDP" "$(mobctl -n "$NS_Y" show; mobctl -n "$NS_X" show)"
	[[ $(mob_field "$NS_Y" in 8) == "$seen" && $(mob_field "$NS_Y" in 11) == "$port" ]] &&
		ktap_pass "$name: Y's inbound SA follows ($seen:$port)" ||
		ktap_fail "$name: Y's inbound SA follows" "$(mobctl -n "$NS_Y" show)"
	ktap_check "$name: traffic X->Y" busywait 10000 mob_ping_x2y
	ktap_check "$name: traffic Y->X" busywait 10000 mob_ping_y2x
}

move_and_check "direct->NAT B" nat_b "$RB_WAN4" yes
move_and_check "NAT B->NAT A" nat_a "$RA_WAN4" yes
move_and_check "NAT A->direct" direct "$X_A4" no

# NAT rebinding: same local address, the NAT forgets the binding and maps
# the next packet to another port.
move_and_check "direct->NAT B again" nat_b "$RB_WAN4" yes
old_port=$(mob_field "$NS_Y" out 12)
ns_nat_masq "$NS_RB" rb-wan random >/dev/null 2>&1
ns_ct_flush "$NS_RB"
mobctl -n "$NS_X" handover name home >/dev/null 2>&1
if busywait 15000 eval '[[ $(mob_field "$NS_Y" out 12) != "$old_port" ]]'; then
	ktap_pass "rebinding: Y follows the new NAT port ($old_port -> $(mob_field "$NS_Y" out 12))"
else
	ktap_fail "rebinding: Y follows the new NAT port" "still $old_port; conntrack: $(ns_ct_list "$NS_RB" 2>&1)"
fi
ktap_check "rebinding: traffic Y->X" busywait 10000 mob_ping_y2x

# A rebinding X does not notice (nothing changed on X, no handover
# request): Y follows the new port of authenticated ESP-in-UDP by itself.
old_port=$(mob_field "$NS_Y" out 12)
old_moves=$(mob_stat "$NS_Y" moves)
ns_nat_masq "$NS_RB" rb-wan random >/dev/null 2>&1
ns_ct_flush "$NS_RB"
mob_ping_x2y
if busywait 15000 eval '[[ $(mob_field "$NS_Y" out 12) != "$old_port" ]]'; then
	ktap_pass "silent rebinding: Y follows the new NAT port on its own ($old_port -> $(mob_field "$NS_Y" out 12), moves $old_moves -> $(mob_stat "$NS_Y" moves))"
else
	ktap_fail "silent rebinding: Y follows the new NAT port on its own" "still $old_port"
fi
ktap_check "silent rebinding: traffic Y->X" busywait 10000 mob_ping_y2x

# Delay and loss on the new path: the request is retransmitted until it
# gets through.
ns_netem "$NS_RA" ra-wan delay 50ms loss 20% >/dev/null 2>&1
ns_netem "$NS_RA" ra-in delay 50ms loss 20% >/dev/null 2>&1
move_and_check "lossy NAT A" nat_a "$RA_WAN4" yes
ns_netem_clear "$NS_RA" ra-wan
ns_netem_clear "$NS_RA" ra-in

# Same SPIs all along.
[[ $(mob_field "$NS_X" out 7) == "$MOB_SPI_XY" && $(mob_field "$NS_Y" out 7) == "$MOB_SPI_YX" ]] &&
	ktap_pass "SPIs unchanged" || ktap_fail "SPIs unchanged"

kill "$mon_pid" 2>/dev/null
wait "$mon_pid" 2>/dev/null
for ev in rreq-received sa-moved rrep-sent; do
	grep -q "$ev" "$events" && ktap_pass "event $ev seen on Y" ||
		ktap_fail "event $ev seen on Y" "$(cat "$events")"
done
rm -f "$events"

ktap_finished
