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
#   delay 100 ms and 20 % loss on the new path (all lost until X has
#   retransmitted its request)
#
# XM_TUNNEL_ENCAP=none starts from plain ESP SAs (handover_plain.sh): the
# first registration then arrives UDP-encapsulated on SAs without
# encapsulation, and both ends must switch to ESP-in-UDP.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/mobility.sh
. "$dir/lib/mobility.sh"

mob_test_init ip nft tc ping
encap=${XM_TUNNEL_ENCAP:-udp}
mob_topo "$encap"

# With no IKE daemon, the module opens the ESP-in-UDP socket on 4500.
# "encap always" keeps ESP-in-UDP on every path (encap.sh covers "auto").
ktap_check "conn add on X (mobile)" mobctl -n "$NS_X" conn add name home reqid 1 role mobile encap always
ktap_check "conn add on Y (gateway)" mobctl -n "$NS_Y" conn add name home reqid 1 role gateway encap always

ktap_check "baseline X->Y" busywait 10000 mob_ping_x2y
ktap_check "baseline Y->X" mob_ping_y2x

# A monitor on Y records the event stream of the whole test.
events=$(mktemp)
ktap_bg -o "$events" ip netns exec "$NS_Y" "$MOBCTL" monitor
mon_pid=$!
ns_cleanup_add "kill $mon_pid 2>/dev/null"

# x_at ADDR: X's SAs (outbound source, inbound destination) are at ADDR.
x_at() {
	mob_sa_is x out src "$1" && mob_sa_is x in dst "$1" && return
	mob_show x
	return 1
}

# both_espinudp: both outbound SAs use ESP-in-UDP.
both_espinudp() {
	[[ $(mob_sa y out encap) == espinudp && $(mob_sa x out encap) == espinudp ]] && return
	mob_show y x
	return 1
}

# move_and_check NAME MODE SEEN_ADDR NAT_EXPECT(yes|no)
move_and_check() {
	if ! mob_handover "$2"; then
		ktap_fail "$1: handover request"
		return
	fi
	check_moved "$@"
}

# check_moved NAME MODE SEEN_ADDR NAT_EXPECT(yes|no): the checks after a
# handover (to MODE) was requested.
check_moved() {
	local name=$1 seen=$3 natted=$4 xl port nat

	xl=$(ns_x_local_addr4)
	# X's own SAs move at once.
	ktap_check "$name: X moved its SAs to $xl" x_at "$xl"
	ktap_check "$name: Y moved its SAs to $seen, X registered" mob_registered_at "$seen"
	read -r port nat <<<"$(mob_sa y out dport nat)"
	mob_check_verdict "$name" "$natted" "$nat" "$port"
	ktap_check "$name: both ends use ESP-in-UDP" both_espinudp
	ktap_check "$name: Y's inbound SA follows ($seen:$port)" mob_y_in_from "$seen" "$port"
	ktap_check "$name: traffic X->Y" busywait 30000 mob_ping_x2y
	ktap_check "$name: traffic Y->X" busywait 30000 mob_ping_y2x
}

move_and_check "direct->NAT B" nat_b "$RB_WAN4" yes
move_and_check "NAT B->NAT A" nat_a "$RA_WAN4" yes
move_and_check "NAT A->direct" direct "$X_A4" no

# NAT rebinding: same local address, the NAT forgets the binding and maps
# the next packet to another port.
move_and_check "direct->NAT B again" nat_b "$RB_WAN4" yes
old_port=$(mob_sa y out dport)
ktap_run ns_nat_masq "$NS_RB" rb-wan random
ns_ct_flush "$NS_RB"
ktap_run mobctl -n "$NS_X" handover name home
ktap_check "rebinding: Y follows the new NAT port" busywait 30000 mob_y_port_left "$old_port" ||
	ktap_diag "$(mob_y_port_diag "$old_port")"
ktap_check "rebinding: traffic Y->X" busywait 30000 mob_ping_y2x

# A rebinding X does not notice (nothing changed on X, no handover
# request): Y follows the new port of authenticated ESP-in-UDP by itself.
old_port=$(mob_sa y out dport)
old_moves=$(mob_stat "$NS_Y" moves)
ktap_run ns_nat_masq "$NS_RB" rb-wan random
ns_ct_flush "$NS_RB"
mob_ping_x2y
ktap_check "silent rebinding: Y follows the new NAT port on its own" \
	busywait 30000 mob_y_port_left "$old_port" "$old_moves" || ktap_diag "$(mob_y_port_diag "$old_port")"
ktap_check "silent rebinding: traffic Y->X" busywait 30000 mob_ping_y2x

# Delay and loss on the new path: the request is retransmitted until it
# gets through.  Everything is lost at first, until X has retransmitted its
# request (so that a retransmission is certain to happen), then 20 % of
# what passes NAT A in either direction.
# lossy LOSS: netem on both of NAT A's sides with delay 50 ms and LOSS, and
# tc shows it there.
lossy() {
	local dev
	for dev in ra-wan ra-in; do
		ns_netem "$NS_RA" "$dev" delay 50ms loss "$1" || return
		tc -n "$NS_RA" qdisc show dev "$dev" | grep -q "netem .*delay 50ms loss $1" || {
			tc -n "$NS_RA" qdisc show dev "$dev"
			return 1
		}
	done
}
# retransmitted_since N: X's retransmission counter is above N; the count is
# the check's note.
retransmitted_since() {
	local now
	now=$(mob_stat "$NS_X" retransmits)
	[[ $now =~ ^[0-9]+$ ]] && ((now > $1)) || return
	ktap_note " (retransmissions $1 -> $now)"
}
retx=$(mob_stat "$NS_X" retransmits)
if ktap_check "lossy NAT A: netem on NAT A, all lost" lossy 100% &&
   [[ $retx =~ ^[0-9]+$ ]] && mob_handover nat_a; then
	ktap_check "lossy NAT A: X retransmits its request" busywait 30000 retransmitted_since "$retx" ||
		ktap_diag "$(mob_show x)"
	ktap_check "lossy NAT A: netem on NAT A, delay 50 ms, 20 % lost" lossy 20%
	check_moved "lossy NAT A" nat_a "$RA_WAN4" yes
else
	ktap_fail "lossy NAT A: handover request" "retransmits counter '$retx'"
fi
ns_netem_clear "$NS_RA" ra-wan
ns_netem_clear "$NS_RA" ra-in

# Same SPIs all along.
spis_unchanged() { mob_sa_is x out spi "$MOB_SPI_XY" && mob_sa_is y out spi "$MOB_SPI_YX"; }
ktap_check "SPIs unchanged" spis_unchanged

kill "$mon_pid" 2>/dev/null
wait "$mon_pid" 2>/dev/null
for ev in rreq-received sa-moved rrep-sent; do
	ktap_check "event $ev seen on Y" grep -q "$ev" "$events" || ktap_diag "$(cat "$events")"
done
rm -f "$events"

ktap_finished
