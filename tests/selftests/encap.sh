#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Encapsulation negotiation (encap auto, the default):
# - direct path: both ends end in plain ESP (checked in the SAs and on the
#   wire), traffic continuous;
# - behind a NAT: ESP-in-UDP; NAT -> direct switches to plain ESP;
# - a router that starts dropping ESP after the switch: the mobile host
#   falls back to ESP-in-UDP within a bounded time and traffic resumes;
# - a router that drops ESP but passes UDP: probes fail, the connection
#   stays in ESP-in-UDP and traffic flows;
# - sequence numbers never repeat across the switches (wire capture).
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$dir/lib/ktap.sh"
. "$dir/lib/netns.sh"
. "$dir/lib/mobility.sh"
inject="python3 $dir/xm_inject.py"

ktap_header
ktap_require_root
ktap_require_cmd ip nft ping tcpdump python3

mob_load || ktap_skip_all "xfrm_mobility not loadable (XM_KO unset?)"
if ! ns_topo_mobility >/dev/null 2>&1 || ! mob_tunnel udp; then
	ktap_fail "topology and SAs"
	ktap_finished
fi
mobctl -n "$NS_X" conn add name home reqid 1 role mobile >/dev/null &&
mobctl -n "$NS_Y" conn add name home reqid 1 role gateway >/dev/null ||
	{ ktap_fail "conn add"; ktap_finished; }

# Everything X->Y (SPI 0x1000) on Y's wire, for the sequence check.
pcap=$(mktemp --suffix=.pcap)
ip netns exec "$NS_Y" tcpdump -i y-wan -U -w "$pcap" \
	"(ip proto 50 or udp port 4500) and dst host $Y_WAN4" >/dev/null 2>&1 &
tcpdump_pid=$!
ns_cleanup_add "kill $tcpdump_pid"

encaps() {
	echo "$(mob_field "$NS_X" out 10)/$(mob_field "$NS_X" in 10)/$(mob_field "$NS_Y" out 10)/$(mob_field "$NS_Y" in 10)"
}
encaps_are() { [[ $(encaps) == "$1/$1/$1/$1" ]]; }

# expect_encap DESC ENCAP: all four SAs reach ENCAP, traffic both ways.
expect_encap() {
	if busywait 15000 encaps_are "$2"; then
		ktap_pass "$1: all SAs $2"
	else
		ktap_fail "$1: all SAs $2" "X out/in, Y out/in: $(encaps)"
	fi
	ktap_check "$1: traffic X->Y" busywait 10000 mob_ping_x2y
	ktap_check "$1: traffic Y->X" busywait 10000 mob_ping_y2x
}

handover() {
	ns_move_x "$1" >/dev/null 2>&1
	mobctl -n "$NS_X" handover name home >/dev/null
}

# 1. Direct path: plain ESP, seen as IP protocol 50 on the wire.
handover direct
expect_encap "direct" none
before=$(ip netns exec "$NS_Y" nft list ruleset 2>/dev/null | wc -l)
ip netns exec "$NS_Y" nft -f - <<'EOT'
table inet xm_count {
	chain in {
		type filter hook input priority 0; policy accept;
		ip protocol esp counter
		udp dport 4500 counter
	}
}
EOT
ip netns exec "$NS_X" ping -q -c 20 -i 0.05 -I "$X_INNER4" "$Y_INNER4" >/dev/null 2>&1
counts=$(ip netns exec "$NS_Y" nft list table inet xm_count | awk '/counter/ { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }' | tr '\n' ' ')
read -r esp udp <<<"$counts"
if (( esp >= 20 && udp == 0 )); then
	ktap_pass "direct: plain ESP on the wire ($esp ESP, $udp UDP packets)"
else
	ktap_fail "direct: plain ESP on the wire" "ESP $esp, UDP $udp"
fi
ip netns exec "$NS_Y" nft delete table inet xm_count

# 2. NAT path: ESP-in-UDP. NAT -> direct: plain again.
handover nat_b
expect_encap "direct->NAT B" espinudp
handover direct
expect_encap "NAT B->direct" none

# 3. The router starts dropping ESP after the switch: fallback.
ip netns exec "$NS_RA" nft -f - <<'EOT'
table inet xm_fw {
	chain xm_forward {
		type filter hook forward priority 0; policy accept;
		ip protocol esp drop
	}
}
EOT
t0=$EPOCHREALTIME
ip netns exec "$NS_X" ping -q -i 0.1 -w 20 -I "$X_INNER4" "$Y_INNER4" >/dev/null 2>&1 &
ping_pid=$!
if busywait 20000 encaps_are espinudp && busywait 10000 mob_ping_y2x; then
	t=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	ktap_pass "ESP blocked after the switch: fell back to ESP-in-UDP, traffic resumed after ${t}s"
else
	ktap_fail "ESP blocked after the switch: fallback" "$(encaps); $(mobctl -n "$NS_X" show)"
fi
kill "$ping_pid" 2>/dev/null
[[ $(mob_stat "$NS_X" fallbacks) == 1 ]] && ktap_pass "fallback counted once" ||
	ktap_fail "fallback counted once" "fallbacks=$(mob_stat "$NS_X" fallbacks)"

# 4. ESP dropped, UDP passes, on a new registration: probes fail, the
#    connection stays in ESP-in-UDP, traffic flows all along.
handover nat_b
busywait 15000 encaps_are espinudp
handover direct
ns_sleep 6
if [[ $(mob_field "$NS_X" out 10) == espinudp && $(mob_field "$NS_Y" out 10) == espinudp ]]; then
	ktap_pass "ESP blocked, UDP passes: both ends keep sending ESP-in-UDP ($(encaps))"
else
	ktap_fail "ESP blocked, UDP passes: both ends keep sending ESP-in-UDP" "$(encaps)"
fi
ktap_check "ESP blocked: traffic X->Y" busywait 10000 mob_ping_x2y
ktap_check "ESP blocked: traffic Y->X" busywait 10000 mob_ping_y2x
(( $(mob_stat "$NS_X" probes) > 0 )) && ktap_pass "probes were sent" ||
	ktap_fail "probes were sent"
ip netns exec "$NS_RA" nft delete table inet xm_fw

# 5. Sequence numbers of X's outbound SA across every switch.
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null
rows=$($inject espseq-any "$pcap" "$MOB_SPI_XY")
plain=$(awk '$2 == "plain"' <<<"$rows" | grep -c .)
udp=$(awk '$2 == "udp"' <<<"$rows" | grep -c .)
dups=$(awk '{ print $1 }' <<<"$rows" | sort -n | uniq -d | wc -l)
if (( plain >= 10 && udp >= 10 && dups == 0 )); then
	ktap_pass "no ESP sequence number repeated across the switches ($plain plain, $udp UDP packets)"
else
	ktap_fail "no ESP sequence number repeated across the switches" \
		"$plain plain and $udp UDP packets captured, $dups repeated"
fi
rm -f "$pcap"
ktap_finished
