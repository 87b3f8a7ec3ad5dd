#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# NAT rebinding that the mobile host X cannot see, with "encap auto" (the
# default): behind a NAT the gateway Y sends ESP-in-UDP while its inbound
# SA stays plain ESP and takes ESP-in-UDP through the receive hook, so the
# kernel reports no mapping change; the module follows authenticated
# ESP-in-UDP from a new source itself (topology: lib/netns.sh, X behind
# NAT B):
# - the NAT maps X's flows to a new port: Y follows, no registration;
# - the NAT moves X's flows to a new public address: Y follows (the
#   registration found X's source address translated);
# - an IKE daemon re-installing Y's outbound SA from an older state (the
#   old port): X's next ESP-in-UDP brings Y back;
# - an authenticated packet older than the newest change (held back on the
#   way, then delivered from another port) moves nothing;
# - a registration after all this still moves both ends;
# - two tunnels to the same peer rebound at once: Y follows on both.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/mobility.sh
. "$dir/lib/mobility.sh"
inject=(python3 "$dir/xm_inject.py")

# A second public address of NAT B.
RB_WAN4_ALT=203.0.113.12

mob_test_init ip nft ping tcpdump python3
mob_setup
ktap_check "baseline X->Y" busywait 10000 mob_ping_x2y

# rb_snat ADDR: NAT B translates what it forwards from X to ADDR instead
# of its own address (its own packets keep theirs).
rb_snat() {
	ns_nat "$NS_RB" "iifname \"rb-in\" oifname \"rb-wan\" counter snat to $1"
}

# y_out_is ADDR PORT: Y's outbound SA goes to ADDR:PORT.
y_out_is() { mob_sa_is y out dst dport "$1 $2"; }

# register NAME MODE ADDR: X moves (ns_move_x MODE) and asks for a
# handover; Y must move to ADDR and X end registered.
register() {
	mob_handover "$2"
	ktap_check "$1: Y moved to $3, X registered" mob_registered_at "$3"
}

# y_in_plain: Y's inbound SA is plain ESP.
y_in_plain() { mob_sa_is y in encap none; }

register "behind NAT B" nat_b "$RB_WAN4"
y_udp_out_plain_in() {
	mob_sa_is y out encap espinudp && y_in_plain && return
	mob_show y
	return 1
}
ktap_check "behind NAT B: Y sends ESP-in-UDP, its inbound SA stays plain" y_udp_out_plain_in
ktap_check "behind NAT B: traffic Y->X" busywait 10000 mob_ping_y2x

# 1. New port, same address: nothing changes on X.
port=$(mob_sa y out dport)
moves=$(mob_stat "$NS_Y" moves)
rreqs=$(mob_stat "$NS_Y" rreq-rx)
ktap_run ns_nat_masq "$NS_RB" rb-wan random
ns_ct_flush "$NS_RB"
mob_ping_x2y
ktap_check "new port: Y follows" busywait 30000 mob_y_port_left "$port" ||
	ktap_diag "$(mob_y_port_diag "$port")"
# one_rebinding: one more move, one rebinding, no registration.
one_rebinding() {
	[[ $(mob_stat "$NS_Y" rebindings) == 1 && $(mob_stat "$NS_Y" rreq-rx) == "$rreqs" &&
	   $(mob_stat "$NS_Y" moves) == $((moves + 1)) ]] && return
	echo "rebindings $(mob_stat "$NS_Y" rebindings) rreq-rx $rreqs -> $(mob_stat "$NS_Y" rreq-rx) moves $moves -> $(mob_stat "$NS_Y" moves)"
	return 1
}
ktap_check "new port: one move, counted as a rebinding, no registration" one_rebinding
ktap_check "new port: traffic Y->X" busywait 10000 mob_ping_y2x
ktap_check "new port: Y's inbound SA still plain" y_in_plain

# 1b. An IKE daemon re-installs Y's SAs from an older state (the port
#     before the rebinding, both SAs ESP-in-UDP, at once as charon does):
#     Y's inbound SA goes plain again, and X's next ESP-in-UDP brings Y
#     back to the new port.
old=$port
read -r port oseq <<<"$(mob_sa y out dport oseq)"
oseq=$((oseq + 4096))
reinstall_y() {
	{
		mob_reinstall_cmds "$Y_WAN4" "$RB_WAN4" "$MOB_SPI_YX" "$MOB_KEY_YX" "udp 4500 $old" "$oseq"
		mob_reinstall_cmds "$RB_WAN4" "$Y_WAN4" "$MOB_SPI_XY" "$MOB_KEY_XY" "udp $old 4500"
	} | ns_ipb "$NS_Y"
}
ktap_run reinstall_y || ktap_fail "stale re-install: SAs replaced" "ip xfrm failed"
ktap_check "stale re-install: Y's outbound SA at the old port $old" y_out_is "$RB_WAN4" "$old"
# x_brings_y_to ADDR PORT: after a packet from X, Y sends to ADDR:PORT.
x_brings_y_to() { mob_ping_x2y; y_out_is "$1" "$2"; }
ktap_check "stale re-install: Y follows X back to port $port" \
	busywait 10000 x_brings_y_to "$RB_WAN4" "$port" || ktap_diag "$(mob_show y)"
ktap_check "stale re-install: traffic Y->X" busywait 10000 mob_ping_y2x
ktap_check "stale re-install: Y's inbound SA plain again" y_in_plain

# 2. New public address of the same NAT.
ktap_run ns_ip "$NS_RB" addr add "$RB_WAN4_ALT/24" dev rb-wan
ktap_run rb_snat "$RB_WAN4_ALT"
ns_ct_flush "$NS_RB"
mob_ping_x2y
# y_out_at ADDR: Y's outbound SA goes to ADDR; address and port are the note.
y_out_at() {
	mob_sa_is y out dst "$1" || return
	ktap_note " ($RB_WAN4 -> $1:$(mob_sa y out dport))"
}
ktap_check "new address: Y follows" busywait 10000 y_out_at "$RB_WAN4_ALT" ||
	ktap_diag "$(mob_show y)"
ktap_check "new address: traffic Y->X" busywait 10000 mob_ping_y2x
no_registration() { [[ $(mob_stat "$NS_Y" rreq-rx) == "$rreqs" ]]; }
ktap_check "new address: still no registration" no_registration

# 3. An old packet from another source: X's ESP-in-UDP is captured on NAT
# B's inside and dropped there (never delivered), newer packets go
# through, then the old one arrives from NAT B's first address (as if a
# mapping from before had delayed it; it is within the replay window and
# authentic).
pcap=$(mktemp --suffix=.pcap)
ns_cleanup_add "rm -f $pcap"
ktap_bg -o "$pcap.log" ip netns exec "$NS_RB" tcpdump -i rb-in -U -c 1 -w "$pcap" \
	"udp and src host $X_B4 and dst port 4500 and udp[8:4] != 0"
tcpd=$!
ns_cleanup_add "kill $tcpd 2>/dev/null; rm -f $pcap.log"
busywait 10000 grep -q "listening on" "$pcap.log"
ip netns exec "$NS_RB" nft -f - <<EOF
table ip xm_hold
delete table ip xm_hold
table ip xm_hold {
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "rb-in" udp dport 4500 counter drop
	}
}
EOF
mob_ping_x2y
captured() { [[ -s $pcap ]] && ! kill -0 "$tcpd" 2>/dev/null; }
ktap_check "old packet: captured and held back at NAT B" busywait 30000 captured
ip netns exec "$NS_RB" nft delete table ip xm_hold
ktap_check "old packet: newer traffic goes through" busywait 30000 mob_ping_x2y
read -r addr port <<<"$(mob_sa y out dst dport)"
rebinds=$(mob_stat "$NS_Y" rebindings)
# y_in_packets: packets Y's inbound SA accepted (authenticated, in the
# replay window).
y_in_packets() {
	ip -s -n "$NS_Y" xfrm state list proto esp spi "$MOB_SPI_XY" |
		awk '/lifetime current:/ { getline; sub(/.*, /, ""); sub(/\(packets\).*/, ""); print; exit }'
}
# y_in_above N: Y's inbound SA accepted more than N packets.
y_in_above() { local n; n=$(y_in_packets); [[ $n =~ ^[0-9]+$ ]] && ((n > $1)); }
in0=$(y_in_packets)
ktap_run ip netns exec "$NS_RB" "${inject[@]}" replay "$pcap" "$RB_WAN4" "$Y_WAN4" 4500 ||
	ktap_fail "old packet: replay sent" "xm_inject replay failed"
ktap_check "old packet: Y's inbound SA accepted it" busywait 10000 y_in_above "${in0:-0}" ||
	ktap_diag "packets of Y's inbound SA: ${in0:-?} -> $(y_in_packets)"
# What the packet could have caused is done in the module's work items:
# a moment for them (a negative check has no event to wait for).
ns_sleep 1
# y_stays ADDR PORT: Y still sends to ADDR:PORT (NAT B's second address and
# the port it maps X to), no rebinding counted.
y_stays() {
	[[ $1 == "$RB_WAN4_ALT" && $2 =~ ^[0-9]+$ && $2 == "$(mob_nat_port "$NS_RB" "$X_B4")" ]] &&
		y_out_is "$1" "$2" && [[ $(mob_stat "$NS_Y" rebindings) == "$rebinds" ]] && return
	echo "expected $RB_WAN4_ALT:$(mob_nat_port "$NS_RB" "$X_B4") (before the packet: $1:$2)"
	mob_show y
	return 1
}
ktap_check "old packet: Y stays at $addr:$port" y_stays "$addr" "$port"
ktap_check "old packet: traffic Y->X" busywait 10000 mob_ping_y2x

# 4. A registration still moves both ends (NAT B -> direct).
register "registration" direct "$X_A4"
ktap_check "registration: traffic X->Y" busywait 10000 mob_ping_x2y
ktap_check "registration: traffic Y->X" busywait 10000 mob_ping_y2x

# 5. Two tunnels to the same peer (one NAT mapping: both send ESP-in-UDP
#    from port 4500) rebound at once: Y follows on both, each connection's
#    report is kept.
X2_INNER4=10.99.1.2 Y2_INNER4=10.88.1.1
K2_XY=0x4142434445464748494a4b4c4d4e4f5051525354
K2_YX=0x6162636465666768696a6b6c6d6e6f7071727374
ping2_x2y() {
	ip netns exec "$NS_X" ping -q -c 1 -W 2 -I "$X2_INNER4" "$Y2_INNER4" >/dev/null 2>&1
}
ping2_y2x() {
	ip netns exec "$NS_Y" ping -q -c 1 -W 2 -I "$Y2_INNER4" "$X2_INNER4" >/dev/null 2>&1
}
# second_tunnel: inner addresses, SA pairs (reqid 2) and connection "two".
second_tunnel() {
	ns_ip "$NS_X" addr add "$X2_INNER4/32" dev inner &&
	ns_ip "$NS_Y" addr add "$Y2_INNER4/24" dev inner &&
	mob_sa_pair "$NS_X" "$X_A4" "$Y_WAN4" 0x2001 0x1001 "$K2_YX" "$K2_XY" \
		"$X2_INNER4/32" 10.88.1.0/24 udp 2 &&
	mob_sa_pair "$NS_Y" "$Y_WAN4" "$X_A4" 0x1001 0x2001 "$K2_XY" "$K2_YX" \
		10.88.1.0/24 "$X2_INNER4/32" udp 2 &&
	ns_ip "$NS_Y" route replace "$X2_INNER4/32" dev y-wan &&
	mobctl -n "$NS_X" conn add name two reqid 2 role mobile &&
	mobctl -n "$NS_Y" conn add name two reqid 2 role gateway
}
ktap_check "two tunnels: second connection added" second_tunnel
ktap_run ns_ip "$NS_RB" addr del "$RB_WAN4_ALT/24" dev rb-wan
ktap_run ns_nat_masq "$NS_RB" rb-wan random
ns_ct_flush "$NS_RB"
ktap_run ns_move_x nat_b
ktap_run mobctl -n "$NS_X" handover name home
ktap_run mobctl -n "$NS_X" handover name two
both_at() { mob_sa_is y:home out dst "$1" && mob_sa_is y:two out dst "$1"; }
ktap_check "two tunnels: both registered behind NAT B" busywait 15000 both_at "$RB_WAN4" ||
	ktap_diag "$(mob_show y)"
ktap_check "two tunnels: traffic on the second tunnel" busywait 10000 ping2_x2y
p1=$(mob_sa y:home out dport) p2=$(mob_sa y:two out dport)
ns_ct_flush "$NS_RB"
# both_x2y: one packet per tunnel at once, from the new mapping.
both_x2y() {
	local p

	mob_ping_x2y &
	p=$!
	ping2_x2y
	wait "$p"
}
# ports_now: Y's outbound ports of both tunnels.
ports_now() { echo "$(mob_sa y:home out dport)/$(mob_sa y:two out dport)"; }
# both_rebound: after a packet on each tunnel, both outbound SAs of Y left
# port p1 for the port NAT B now maps X's flow to; the ports are the
# check's note.
both_rebound() {
	local np
	both_x2y
	np=$(mob_sa y:home out dport)
	[[ $np =~ ^[0-9]+$ && $np != "$p1" && $(mob_sa y:two out dport) == "$np" &&
	   $np == "$(mob_nat_port "$NS_RB" "$X_B4")" ]] || return
	ktap_note " ($p1/$p2 -> $(ports_now), NAT B's mapping)"
}
both_x2y
ktap_check "two tunnels: Y follows on both" busywait 10000 both_rebound ||
	ktap_diag "$p1/$p2 -> $(ports_now)"
ktap_check "two tunnels: traffic Y->X, first tunnel" busywait 10000 mob_ping_y2x
ktap_check "two tunnels: traffic Y->X, second tunnel" busywait 10000 ping2_y2x

ktap_finished
