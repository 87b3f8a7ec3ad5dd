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

# 1b. An IKE daemon re-installs Y's SAs from an older state (the port
#     before the rebinding, both SAs ESP-in-UDP, at once as charon does):
#     Y's inbound SA goes plain again, and X's next ESP-in-UDP brings Y
#     back to the new port.
old=$port
port=$(mob_field "$NS_Y" out 12)
oseq=$(( $(mob_field "$NS_Y" out 16) + 4096 ))
{
	mob_reinstall_cmds "$Y_WAN4" "$RB_WAN4" "$MOB_SPI_YX" "$MOB_KEY_YX" "udp 4500 $old" "$oseq"
	mob_reinstall_cmds "$RB_WAN4" "$Y_WAN4" "$MOB_SPI_XY" "$MOB_KEY_XY" "udp $old 4500"
} | ns_ipb "$NS_Y" || ktap_fail "stale re-install: SAs replaced" "ip xfrm failed"
ktap_check "stale re-install: Y's outbound SA at the old port $old" y_out_is "$RB_WAN4" "$old"
if busywait 10000 eval 'mob_ping_x2y; y_out_is "$RB_WAN4" "$port"'; then
	ktap_pass "stale re-install: Y follows X back to port $port"
else
	ktap_fail "stale re-install: Y follows X back to port $port" "$(mobctl -n "$NS_Y" show)"
fi
ktap_check "stale re-install: traffic Y->X" busywait 10000 mob_ping_y2x
ktap_check "stale re-install: Y's inbound SA plain again" mob_field_is "$NS_Y" in 10 none

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

# 5. Two tunnels to the same peer (one NAT mapping: both send ESP-in-UDP
#    from port 4500) rebound at once: Y follows on both, each connection's
#    report is kept.
X2_INNER4=10.99.1.2 Y2_INNER4=10.88.1.1
K2_XY=0x4142434445464748494a4b4c4d4e4f5051525354
K2_YX=0x6162636465666768696a6b6c6d6e6f7071727374
# y_conn_out NAME COLUMN: a column of Y's outbound SA row of connection NAME.
y_conn_out() {
	"$MOBCTL" -n "$NS_Y" show dump 2>/dev/null |
		awk -F'\t' -v n="$1" -v c="$2" '$2 == n && $6 == "out" { print $c; exit }'
}
ping2_x2y() {
	ip netns exec "$NS_X" ping -q -c 1 -W 2 -I "$X2_INNER4" "$Y2_INNER4" >/dev/null 2>&1
}
ping2_y2x() {
	ip netns exec "$NS_Y" ping -q -c 1 -W 2 -I "$Y2_INNER4" "$X2_INNER4" >/dev/null 2>&1
}
if ns_ip "$NS_X" addr add "$X2_INNER4/32" dev inner &&
   ns_ip "$NS_Y" addr add "$Y2_INNER4/24" dev inner &&
   mob_sa_pair "$NS_X" "$X_A4" "$Y_WAN4" 0x2001 0x1001 "$K2_YX" "$K2_XY" \
	"$X2_INNER4/32" 10.88.1.0/24 udp 2 &&
   mob_sa_pair "$NS_Y" "$Y_WAN4" "$X_A4" 0x1001 0x2001 "$K2_XY" "$K2_YX" \
	10.88.1.0/24 "$X2_INNER4/32" udp 2 &&
   ns_ip "$NS_Y" route replace "$X2_INNER4/32" dev y-wan &&
   mobctl -n "$NS_X" conn add name two reqid 2 role mobile >/dev/null &&
   mobctl -n "$NS_Y" conn add name two reqid 2 role gateway >/dev/null; then
	ktap_pass "two tunnels: second connection added"
else
	ktap_fail "two tunnels: second connection added"
fi
ns_ip "$NS_RB" addr del "$RB_WAN4_ALT/24" dev rb-wan
ns_nat_masq "$NS_RB" rb-wan random >/dev/null 2>&1
ns_ct_flush "$NS_RB"
ns_move_x nat_b >/dev/null 2>&1
mobctl -n "$NS_X" handover name home >/dev/null 2>&1
mobctl -n "$NS_X" handover name two >/dev/null 2>&1
if busywait 15000 eval '[[ $(y_conn_out home 9) == "$RB_WAN4" && $(y_conn_out two 9) == "$RB_WAN4" ]]'; then
	ktap_pass "two tunnels: both registered behind NAT B"
else
	ktap_fail "two tunnels: both registered behind NAT B" "$(mobctl -n "$NS_Y" show)"
fi
ktap_check "two tunnels: traffic on the second tunnel" busywait 10000 ping2_x2y
p1=$(y_conn_out home 12) p2=$(y_conn_out two 12)
ns_ct_flush "$NS_RB"
# both_x2y: one packet per tunnel at once, from the new mapping.
both_x2y() {
	local p

	mob_ping_x2y &
	p=$!
	ping2_x2y
	wait "$p"
}
both_x2y
if busywait 10000 eval 'both_x2y; np=$(y_conn_out home 12)
	[[ $np != "$p1" && $(y_conn_out two 12) == "$np" ]]'; then
	ktap_pass "two tunnels: Y follows on both ($p1/$p2 -> $(y_conn_out home 12)/$(y_conn_out two 12))"
else
	ktap_fail "two tunnels: Y follows on both" "$p1/$p2 -> $(y_conn_out home 12)/$(y_conn_out two 12)"
fi
ktap_check "two tunnels: traffic Y->X, first tunnel" busywait 10000 mob_ping_y2x
ktap_check "two tunnels: traffic Y->X, second tunnel" busywait 10000 ping2_y2x

ktap_finished
