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
# - an authenticated packet older than the newest change (held back on the
#   way, then delivered from another port) moves nothing;
# - a registration after all this still moves both ends.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$dir/lib/ktap.sh"
. "$dir/lib/netns.sh"
. "$dir/lib/mobility.sh"
inject="python3 $dir/xm_inject.py"

# A second public address of NAT B.
RB_WAN4_ALT=203.0.113.12

ktap_header
ktap_require_root
ktap_require_cmd ip nft ping tcpdump python3

mob_load || ktap_skip_all "xfrm_mobility not loadable (XM_KO unset?)"
mob_setup
ktap_check "baseline X->Y" busywait 10000 mob_ping_x2y

# rb_snat ADDR: NAT B translates what it forwards from X to ADDR instead
# of its own address (its own packets keep theirs).
rb_snat() {
	ns_nat "$NS_RB" "iifname \"rb-in\" oifname \"rb-wan\" counter snat to $1"
}

# y_out_is ADDR PORT: Y's outbound SA goes to ADDR:PORT.
y_out_is() {
	mob_field_is "$NS_Y" out 9 "$1" && mob_field_is "$NS_Y" out 12 "$2"
}

# register NAME MODE ADDR: X moves (ns_move_x MODE) and asks for a
# handover; Y must move to ADDR and X end registered.
register() {
	ns_move_x "$2" >/dev/null 2>&1
	mobctl -n "$NS_X" handover name home >/dev/null 2>&1
	if mob_wait_field "$NS_Y" out 9 "$3" 15000 &&
	   mob_wait_field "$NS_X" out 13 registered 15000; then
		ktap_pass "$1: Y moved to $3, X registered"
	else
		ktap_fail "$1: Y moved to $3, X registered" \
			"$(mobctl -n "$NS_Y" show; mobctl -n "$NS_X" show)"
	fi
}

register "behind NAT B" nat_b "$RB_WAN4"
if mob_field_is "$NS_Y" out 10 espinudp && mob_field_is "$NS_Y" in 10 none; then
	ktap_pass "behind NAT B: Y sends ESP-in-UDP, its inbound SA stays plain"
else
	ktap_fail "behind NAT B: Y sends ESP-in-UDP, its inbound SA stays plain" \
		"$(mobctl -n "$NS_Y" show)"
fi
ktap_check "behind NAT B: traffic Y->X" busywait 10000 mob_ping_y2x

# 1. New port, same address: nothing changes on X.
port=$(mob_field "$NS_Y" out 12)
moves=$(mob_stat "$NS_Y" moves)
rreqs=$(mob_stat "$NS_Y" rreq-rx)
ns_nat_masq "$NS_RB" rb-wan random >/dev/null 2>&1
ns_ct_flush "$NS_RB"
mob_ping_x2y
if busywait 10000 eval '! mob_field_is "$NS_Y" out 12 "$port"'; then
	ktap_pass "new port: Y follows ($port -> $(mob_field "$NS_Y" out 12))"
else
	ktap_fail "new port: Y follows" "still $port; $(ns_ct_list "$NS_RB")"
fi
[[ $(mob_stat "$NS_Y" rebindings) == 1 && $(mob_stat "$NS_Y" rreq-rx) == "$rreqs" &&
   $(mob_stat "$NS_Y" moves) == $((moves + 1)) ]] &&
	ktap_pass "new port: one move, counted as a rebinding, no registration" ||
	ktap_fail "new port: one move, counted as a rebinding, no registration" \
		"rebindings $(mob_stat "$NS_Y" rebindings) rreq-rx $rreqs -> $(mob_stat "$NS_Y" rreq-rx) moves $moves -> $(mob_stat "$NS_Y" moves)"
ktap_check "new port: traffic Y->X" busywait 10000 mob_ping_y2x
ktap_check "new port: Y's inbound SA still plain" mob_field_is "$NS_Y" in 10 none

# 2. New public address of the same NAT.
ns_ip "$NS_RB" addr add "$RB_WAN4_ALT/24" dev rb-wan
rb_snat "$RB_WAN4_ALT" >/dev/null 2>&1
ns_ct_flush "$NS_RB"
mob_ping_x2y
if mob_wait_field "$NS_Y" out 9 "$RB_WAN4_ALT" 10000; then
	ktap_pass "new address: Y follows ($RB_WAN4 -> $RB_WAN4_ALT:$(mob_field "$NS_Y" out 12))"
else
	ktap_fail "new address: Y follows" "$(mobctl -n "$NS_Y" show)"
fi
ktap_check "new address: traffic Y->X" busywait 10000 mob_ping_y2x
ktap_check "new address: still no registration" eval '[[ $(mob_stat "$NS_Y" rreq-rx) == "$rreqs" ]]'

# 3. An old packet from another source: X's ESP-in-UDP is captured on NAT
# B's inside and dropped there (never delivered), newer packets go
# through, then the old one arrives from NAT B's first address (as if a
# mapping from before had delayed it; it is within the replay window and
# authentic).
pcap=$(mktemp --suffix=.pcap)
ns_cleanup_add "rm -f $pcap"
ip netns exec "$NS_RB" tcpdump -i rb-in -U -c 1 -w "$pcap" \
	"udp and src host $X_B4 and dst port 4500 and udp[8:4] != 0" >/dev/null 2>&1 &
tcpd=$!
ns_cleanup_add "kill $tcpd 2>/dev/null"
sleep 1
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
busywait 5000 eval '[[ -s $pcap ]] && ! kill -0 $tcpd 2>/dev/null'
ip netns exec "$NS_RB" nft delete table ip xm_hold
ktap_check "old packet: newer traffic goes through" busywait 10000 mob_ping_x2y
addr=$(mob_field "$NS_Y" out 9)
port=$(mob_field "$NS_Y" out 12)
rebinds=$(mob_stat "$NS_Y" rebindings)
ip netns exec "$NS_RB" $inject replay "$pcap" "$RB_WAN4" "$Y_WAN4" 4500 >/dev/null 2>&1 ||
	ktap_fail "old packet: replay sent" "xm_inject replay failed"
sleep 2
if y_out_is "$addr" "$port" && [[ $(mob_stat "$NS_Y" rebindings) == "$rebinds" ]]; then
	ktap_pass "old packet: Y stays at $addr:$port"
else
	ktap_fail "old packet: Y stays at $addr:$port" "$(mobctl -n "$NS_Y" show)"
fi
ktap_check "old packet: traffic Y->X" busywait 10000 mob_ping_y2x

# 4. A registration still moves both ends (NAT B -> direct).
register "registration" direct "$X_A4"
ktap_check "registration: traffic X->Y" busywait 10000 mob_ping_x2y
ktap_check "registration: traffic Y->X" busywait 10000 mob_ping_y2x

ktap_finished
