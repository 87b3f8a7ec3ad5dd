#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Encapsulation negotiation (encap auto, the default):
# - direct path: both ends end in plain ESP (checked in the SAs and on the
#   wire), traffic continuous;
# - behind a NAT: ESP-in-UDP; NAT -> direct switches to plain ESP;
# - every registration is sent twice at once, ESP-in-UDP and plain ESP
#   (consecutive ESP sequence numbers on the wire); the gateway moves once,
#   counts the second copy as a duplicate, and names plain ESP when the
#   plain copy came through untranslated;
# - a router that drops ESP-in-UDP from X: the plain copy alone registers;
# - a router that starts dropping ESP after the switch: the mobile host
#   falls back to ESP-in-UDP within a bounded time and traffic resumes;
# - a router that drops ESP but passes UDP: probes fail, the connection
#   stays in ESP-in-UDP and traffic flows;
# - an IKE daemon re-installing the inbound SAs with ESP-in-UDP (from an
#   older state) does not stop the peers' plain ESP;
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
# Outbound SAs send ENCAP; inbound SAs of "encap auto" are plain (they
# accept both encapsulations).
encaps_are() { [[ $(encaps) == "$1/none/$1/none" ]]; }
outs_are() { [[ $(mob_field "$NS_X" out 10)/$(mob_field "$NS_Y" out 10) == "$1/$1" ]]; }

# expect_traffic DESC: pings pass X->Y and Y->X.
expect_traffic() {
	ktap_check "$1: traffic X->Y" busywait 10000 mob_ping_x2y
	ktap_check "$1: traffic Y->X" busywait 10000 mob_ping_y2x
}

# expect_encap DESC ENCAP: both outbound SAs reach ENCAP, traffic both ways.
expect_encap() {
	if busywait 15000 encaps_are "$2"; then
		ktap_pass "$1: outbound SAs $2, inbound SAs plain"
	else
		ktap_fail "$1: outbound SAs $2, inbound SAs plain" "X out/in, Y out/in: $(encaps)"
	fi
	expect_traffic "$1"
}

# stats NS NAME...: several counters of the first connection, one line.
stats() {
	"$MOBCTL" -n "$1" -j show 2>/dev/null | python3 -c '
import json, sys
s = json.load(sys.stdin)[0].get("stats", {})
print(" ".join(str(s.get(n, 0)) for n in sys.argv[1:]))' "${@:2}"
}

# copies_on_wire PCAP SRC: an ESP-in-UDP and a plain ESP packet of X's SA
# from SRC with consecutive sequence numbers (the two copies of a request,
# nothing else is sent in between).
copies_on_wire() {
	$inject espseq-any "$1" "$MOB_SPI_XY" | awk -v src="$2" '
		$3 == src && $2 == "udp" { u[$1] = 1 }
		$3 == src && $2 == "plain" { p[$1] = 1 }
		END { for (s in p) if ((s - 1) in u) { print s - 1; exit 0 } exit 1 }'
}

handover() {
	ns_move_x "$1" >/dev/null 2>&1
	mobctl -n "$NS_X" handover name home >/dev/null
}

# 1. Direct path: plain ESP, seen as IP protocol 50 on the wire.
handover direct
expect_encap "direct" none
for ns in "$NS_Y" "$NS_X"; do
	ip netns exec "$ns" nft -f - <<'EOT'
table inet xm_count {
	chain in {
		type filter hook input priority 0; policy accept;
		ip protocol esp counter
		udp dport 4500 counter
	}
}
EOT
done
ip netns exec "$NS_X" ping -q -c 20 -i 0.05 -I "$X_INNER4" "$Y_INNER4" >/dev/null 2>&1
nft_counts() {
	ip netns exec "$1" nft list table inet xm_count | awk '/counter/ { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }' | tr '\n' ' '
}
# plain_on_wire DIR NS: the 20 pings arrived in NS as plain ESP, no UDP.
plain_on_wire() {
	local esp udp

	read -r esp udp <<<"$(nft_counts "$2")"
	if (( esp >= 20 && udp == 0 )); then
		ktap_pass "direct: $1 plain ESP on the wire ($esp ESP, $udp UDP packets)"
	else
		ktap_fail "direct: $1 plain ESP on the wire" "ESP $esp, UDP $udp"
	fi
}
plain_on_wire "X->Y" "$NS_Y"
plain_on_wire "Y->X" "$NS_X"
ip netns exec "$NS_Y" nft delete table inet xm_count
ip netns exec "$NS_X" nft delete table inet xm_count

# 1b. An IKE daemon re-installs both inbound SAs from an older state
#     (ESP-in-UDP, as before the switch): each module makes its inbound SA
#     plain again, or the peer's plain ESP would be dropped.
mob_reinstall "$NS_Y" "$X_A4" "$Y_WAN4" "$MOB_SPI_XY" "$MOB_KEY_XY" "udp 4500 4500" &&
mob_reinstall "$NS_X" "$Y_WAN4" "$X_A4" "$MOB_SPI_YX" "$MOB_KEY_YX" "udp 4500 4500" ||
	ktap_fail "stale re-install: SAs replaced" "ip xfrm failed"
if busywait 5000 encaps_are none; then
	ktap_pass "stale re-install: inbound SAs plain again"
else
	ktap_fail "stale re-install: inbound SAs plain again" "X out/in, Y out/in: $(encaps)"
fi
expect_traffic "stale re-install"

# 2. NAT path: ESP-in-UDP. NAT -> direct: plain again, from two copies of
#    one request sent at once: Y moves once and counts one duplicate.
handover nat_b
expect_encap "direct->NAT B" espinudp
ns_sleep 1
read -r y_rx y_dup y_moves <<<"$(stats "$NS_Y" rreq-rx duplicates moves)"
read -r x_tx x_retx <<<"$(stats "$NS_X" rreq-tx retransmits)"
cpcap=$(mktemp --suffix=.pcap)
ip netns exec "$NS_Y" tcpdump -i y-wan -U -w "$cpcap" \
	"(ip proto 50 or udp port 4500) and src host $X_A4" >/dev/null 2>&1 &
ctcpdump_pid=$!
ns_cleanup_add "kill $ctcpdump_pid"
ns_sleep 1
handover direct
expect_encap "NAT B->direct" none
kill "$ctcpdump_pid"; wait "$ctcpdump_pid" 2>/dev/null
read -r y_rx2 y_dup2 y_moves2 <<<"$(stats "$NS_Y" rreq-rx duplicates moves)"
read -r x_tx2 x_retx2 <<<"$(stats "$NS_X" rreq-tx retransmits)"
if seq=$(copies_on_wire "$cpcap" "$X_A4"); then
	ktap_pass "NAT B->direct: both copies on the wire (ESP-in-UDP seq $seq, plain ESP seq $((seq + 1)))"
else
	ktap_fail "NAT B->direct: both copies on the wire" "$($inject espseq-any "$cpcap" "$MOB_SPI_XY" | head -20)"
fi
rm -f "$cpcap"
if (( x_retx2 == x_retx && x_tx2 - x_tx == 2 && y_rx2 - y_rx == 2 )); then
	ktap_pass "NAT B->direct: X sent 2 copies, Y received 2"
else
	ktap_fail "NAT B->direct: X sent 2 copies, Y received 2" \
		"X rreq-tx $x_tx->$x_tx2 retransmits $x_retx->$x_retx2, Y rreq-rx $y_rx->$y_rx2"
fi
if (( y_moves2 - y_moves == 1 && y_dup2 - y_dup == x_tx2 - x_tx - 1 )); then
	ktap_pass "NAT B->direct: Y moved once, counted $((y_dup2 - y_dup)) duplicate"
else
	ktap_fail "NAT B->direct: Y moved once, counted the duplicate" \
		"moves $y_moves->$y_moves2, duplicates $y_dup->$y_dup2"
fi

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
if busywait 20000 outs_are espinudp && busywait 10000 mob_ping_y2x; then
	t=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
	ktap_pass "ESP blocked after the switch: fell back to ESP-in-UDP, traffic resumed after ${t}s"
else
	ktap_fail "ESP blocked after the switch: fallback" "$(encaps); $(mobctl -n "$NS_X" show)"
fi
kill "$ping_pid" 2>/dev/null
[[ $(mob_stat "$NS_X" fallbacks) == 1 ]] && ktap_pass "fallback counted once" ||
	ktap_fail "fallback counted once" "fallbacks=$(mob_stat "$NS_X" fallbacks)"

# 4. ESP dropped, UDP passes, on a new registration: the ESP-in-UDP copy
#    registers, the plain copies never arrive, the connection stays in
#    ESP-in-UDP, traffic flows all along.
handover nat_b
busywait 15000 encaps_are espinudp
read -r y_rx y_dup <<<"$(stats "$NS_Y" rreq-rx duplicates)"
read -r x_tx <<<"$(stats "$NS_X" rreq-tx)"
handover direct
ns_sleep 6
if outs_are espinudp; then
	ktap_pass "ESP blocked, UDP passes: both ends keep sending ESP-in-UDP ($(encaps))"
else
	ktap_fail "ESP blocked, UDP passes: both ends keep sending ESP-in-UDP" "$(encaps)"
fi
read -r y_rx2 y_dup2 <<<"$(stats "$NS_Y" rreq-rx duplicates)"
read -r x_tx2 <<<"$(stats "$NS_X" rreq-tx)"
if (( y_rx2 - y_rx == 1 && y_dup2 == y_dup && x_tx2 - x_tx >= 2 )); then
	ktap_pass "ESP blocked: registered by the ESP-in-UDP copy ($((x_tx2 - x_tx)) copies sent, 1 received)"
else
	ktap_fail "ESP blocked: registered by the ESP-in-UDP copy" \
		"X rreq-tx $x_tx->$x_tx2, Y rreq-rx $y_rx->$y_rx2 duplicates $y_dup->$y_dup2"
fi
expect_traffic "ESP blocked"
ip netns exec "$NS_RA" nft delete table inet xm_fw

# 5. A router that drops ESP-in-UDP from X (ESP passes): the plain copy
#    registers alone; X->Y goes plain at once, Y->X once Y's probes passed.
handover nat_b
busywait 15000 encaps_are espinudp
ip netns exec "$NS_RA" nft -f - <<'EOT'
table inet xm_fw {
	chain xm_forward {
		type filter hook forward priority 0; policy accept;
		iifname "ra-in" udp dport 4500 drop
	}
}
EOT
read -r y_moves y_dup <<<"$(stats "$NS_Y" moves duplicates)"
handover direct
if busywait 15000 encaps_are none; then
	ktap_pass "ESP-in-UDP blocked from X: registered by the plain copy, all plain ($(encaps))"
else
	ktap_fail "ESP-in-UDP blocked from X: registered by the plain copy" "$(encaps); $(mobctl -n "$NS_Y" show)"
fi
expect_traffic "ESP-in-UDP blocked"
read -r y_moves2 y_dup2 <<<"$(stats "$NS_Y" moves duplicates)"
(( y_moves2 - y_moves == 1 )) && ktap_pass "ESP-in-UDP blocked: Y moved once" ||
	ktap_fail "ESP-in-UDP blocked: Y moved once" "moves $y_moves->$y_moves2, duplicates $y_dup->$y_dup2"
ip netns exec "$NS_RA" nft delete table inet xm_fw

# 6. Sequence numbers of X's outbound SA across every switch.
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
