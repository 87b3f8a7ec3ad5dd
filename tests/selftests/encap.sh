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
# shellcheck source=lib/mobility.sh
. "$dir/lib/mobility.sh"
inject=(python3 "$dir/xm_inject.py")

mob_test_init ip nft ping tcpdump python3
mob_setup

# Everything X->Y (SPI 0x1000) on Y's wire, for the sequence check.
pcap=$(mktemp --suffix=.pcap)
ktap_bg ip netns exec "$NS_Y" tcpdump -i y-wan -U -w "$pcap" \
	"(ip proto 50 or udp port 4500) and dst host $Y_WAN4"
tcpdump_pid=$!
ns_cleanup_add "kill $tcpdump_pid"

encaps() {
	echo "$(mob_sa x out encap)/$(mob_sa x in encap)/$(mob_sa y out encap)/$(mob_sa y in encap)"
}
# Outbound SAs send ENCAP; inbound SAs of "encap auto" are plain (they
# accept both encapsulations).
encaps_are() { [[ $(encaps) == "$1/none/$1/none" ]]; }
outs_are() { [[ $(mob_sa x out encap)/$(mob_sa y out encap) == "$1/$1" ]]; }
# with_encaps CMD...: CMD succeeds; the encapsulations are the check's note
# (or, if it fails, its output).
with_encaps() {
	if "$@"; then
		ktap_note " ($(encaps))"
	else
		encaps
		return 1
	fi
}

# expect_traffic DESC: pings pass X->Y and Y->X.
expect_traffic() {
	ktap_check "$1: traffic X->Y" busywait 10000 mob_ping_x2y
	ktap_check "$1: traffic Y->X" busywait 10000 mob_ping_y2x
}

# expect_encap DESC ENCAP: both outbound SAs reach ENCAP, traffic both ways.
expect_encap() {
	ktap_check "$1: outbound SAs $2, inbound SAs plain" busywait 15000 encaps_are "$2" ||
		ktap_diag "X out/in, Y out/in: $(encaps)"
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
# nothing else is sent in between); their numbers are the check's note.
copies_on_wire() {
	local seq
	if ! seq=$("${inject[@]}" espseq-any "$1" "$MOB_SPI_XY" | awk -v src="$2" '
		$3 == src && $2 == "udp" { u[$1] = 1 }
		$3 == src && $2 == "plain" { p[$1] = 1 }
		END { for (s in p) if ((s - 1) in u) { print s - 1; exit 0 } exit 1 }'); then
		"${inject[@]}" espseq-any "$1" "$MOB_SPI_XY" | head -20
		return 1
	fi
	ktap_note " (ESP-in-UDP seq $seq, plain ESP seq $((seq + 1)))"
}

# 1. Direct path: plain ESP, seen as IP protocol 50 on the wire.
mob_handover direct
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
ktap_run ip netns exec "$NS_X" ping -q -c 20 -i 0.05 -I "$X_INNER4" "$Y_INNER4"
nft_counts() {
	ip netns exec "$1" nft list table inet xm_count | awk '/counter/ { for (i = 1; i <= NF; i++) if ($i == "packets") print $(i + 1) }' | tr '\n' ' '
}
# plain_arrived ESP UDP: the 20 pings arrived as plain ESP, no UDP.
plain_arrived() {
	local esp=$1 udp=$2
	((esp >= 20 && udp == 0)) || { echo "ESP $esp, UDP $udp"; return 1; }
}
# plain_on_wire DIR NS: the 20 pings arrived in NS as plain ESP, no UDP.
plain_on_wire() {
	local esp udp

	read -r esp udp <<<"$(nft_counts "$2")"
	ktap_check "direct: $1 plain ESP on the wire ($esp ESP, $udp UDP packets)" \
		plain_arrived "$esp" "$udp"
}
plain_on_wire "X->Y" "$NS_Y"
plain_on_wire "Y->X" "$NS_X"
ip netns exec "$NS_Y" nft delete table inet xm_count
ip netns exec "$NS_X" nft delete table inet xm_count

# 1b. An IKE daemon re-installs both inbound SAs from an older state
#     (ESP-in-UDP, as before the switch): each module makes its inbound SA
#     plain again, or the peer's plain ESP would be dropped.
if ! ktap_run mob_reinstall "$NS_Y" "$X_A4" "$Y_WAN4" "$MOB_SPI_XY" "$MOB_KEY_XY" "udp 4500 4500" ||
   ! ktap_run mob_reinstall "$NS_X" "$Y_WAN4" "$X_A4" "$MOB_SPI_YX" "$MOB_KEY_YX" "udp 4500 4500"; then
	ktap_fail "stale re-install: SAs replaced" "ip xfrm failed"
fi
ktap_check "stale re-install: inbound SAs plain again" busywait 5000 encaps_are none ||
	ktap_diag "X out/in, Y out/in: $(encaps)"
expect_traffic "stale re-install"

# 2. NAT path: ESP-in-UDP. NAT -> direct: plain again, from two copies of
#    one request sent at once: Y moves once and counts one duplicate.
read -r y_rx <<<"$(stats "$NS_Y" rreq-rx)"
read -r x_tx <<<"$(stats "$NS_X" rreq-tx)"
mob_handover nat_b
expect_encap "direct->NAT B" espinudp
# all_in: every copy of a request X sent since the counts x_tx and y_rx
# arrived at Y (so that none of them comes late into the counts below).
all_in() {
	local rx tx
	read -r rx <<<"$(stats "$NS_Y" rreq-rx)"
	read -r tx <<<"$(stats "$NS_X" rreq-tx)"
	((rx - y_rx == tx - x_tx))
}
busywait 10000 all_in || ktap_diag "not every copy arrived: $(stats "$NS_X" rreq-tx) sent, $(stats "$NS_Y" rreq-rx) received"
read -r y_rx y_dup y_moves <<<"$(stats "$NS_Y" rreq-rx duplicates moves)"
read -r x_tx x_retx <<<"$(stats "$NS_X" rreq-tx retransmits)"
cpcap=$(mktemp --suffix=.pcap)
ktap_bg -o "$cpcap.log" ip netns exec "$NS_Y" tcpdump -i y-wan -U -w "$cpcap" \
	"(ip proto 50 or udp port 4500) and src host $X_A4"
ctcpdump_pid=$!
ns_cleanup_add "kill $ctcpdump_pid; rm -f $cpcap.log"
busywait 10000 grep -q "listening on" "$cpcap.log"
mob_handover direct
expect_encap "NAT B->direct" none
# Both copies have arrived at Y (a bound on a failure: 30 s).
two_in() { local rx; read -r rx <<<"$(stats "$NS_Y" rreq-rx)"; ((rx - y_rx >= 2)); }
busywait 30000 two_in
kill "$ctcpdump_pid"; wait "$ctcpdump_pid" 2>/dev/null
read -r y_rx2 y_dup2 y_moves2 <<<"$(stats "$NS_Y" rreq-rx duplicates moves)"
read -r x_tx2 x_retx2 <<<"$(stats "$NS_X" rreq-tx retransmits)"
ktap_check "NAT B->direct: both copies on the wire" copies_on_wire "$cpcap" "$X_A4"
rm -f "$cpcap"
# two_copies: X sent two copies of the request (no retransmission), Y got both.
two_copies() {
	((x_retx2 == x_retx && x_tx2 - x_tx == 2 && y_rx2 - y_rx == 2)) && return
	echo "X rreq-tx $x_tx->$x_tx2 retransmits $x_retx->$x_retx2, Y rreq-rx $y_rx->$y_rx2"
	return 1
}
ktap_check "NAT B->direct: X sent 2 copies, Y received 2" two_copies
# moved_once: Y moved once and counted every further copy as a duplicate.
moved_once() {
	((y_moves2 - y_moves == 1 && y_dup2 - y_dup == x_tx2 - x_tx - 1)) && return
	echo "moves $y_moves->$y_moves2, duplicates $y_dup->$y_dup2"
	return 1
}
ktap_check "NAT B->direct: Y moved once, counted $((y_dup2 - y_dup)) duplicate" moved_once

# 3. The router starts dropping ESP after the switch: fallback.
ip netns exec "$NS_RA" nft -f - <<'EOT'
table inet xm_fw {
	chain xm_forward {
		type filter hook forward priority 0; policy accept;
		ip protocol esp drop
	}
}
EOT
# fell_back T0: both ends send ESP-in-UDP again, and Y reaches X (within
# 45 s and 30 s more: bounds on a failure); the time since T0 is the
# check's note.
fell_back() {
	if busywait 45000 outs_are espinudp && busywait 30000 mob_ping_y2x; then
		ktap_note ", traffic resumed after $(awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')s"
		return
	fi
	echo "$(encaps); $(mob_show x)"
	return 1
}
t0=$EPOCHREALTIME
ktap_bg ip netns exec "$NS_X" ping -q -i 0.1 -w 20 -I "$X_INNER4" "$Y_INNER4"
ping_pid=$!
ktap_check "ESP blocked after the switch: fell back to ESP-in-UDP" fell_back "$t0"
kill "$ping_pid" 2>/dev/null
fallbacks_are() { [[ $(mob_stat "$NS_X" fallbacks) == "$1" ]]; }
ktap_check "fallback counted once" fallbacks_are 1 ||
	ktap_diag "fallbacks=$(mob_stat "$NS_X" fallbacks)"

# 4. ESP dropped, UDP passes, on a new registration: the ESP-in-UDP copy
#    registers, the plain copies never arrive, the connection stays in
#    ESP-in-UDP, traffic flows all along.
# The end of the plain-ESP attempt is an event: a "failure" with
# EHOSTUNREACH (113) on either end, when the mobile host gives up resending
# plain copies of its request or the gateway its probes.  The monitors are
# listening once they print the events of the next handover.
events=$(mktemp)
ns_cleanup_add "rm -f $events"
ktap_bg -o "$events" "$MOBCTL" -n "$NS_X" monitor
mon_x=$!
ktap_bg -o "$events.y" "$MOBCTL" -n "$NS_Y" monitor
mon_y=$!
ns_cleanup_add "kill $mon_x $mon_y 2>/dev/null; rm -f $events.y"
mob_handover nat_b
busywait 15000 encaps_are espinudp
monitors_ready() { grep -q ' rrep-received ' "$events" && grep -q ' rreq-received ' "$events.y"; }
busywait 30000 monitors_ready || ktap_diag "monitors: X: $(cat "$events"); Y: $(cat "$events.y")"
read -r y_rx y_dup <<<"$(stats "$NS_Y" rreq-rx duplicates)"
read -r x_tx <<<"$(stats "$NS_X" rreq-tx)"
gave_up_n() { cat "$events" "$events.y" | grep -c ' failure conn .* error 113 '; }
gave_up_above() { (($(gave_up_n) > $1)); }
gave_up0=$(gave_up_n)
mob_handover direct
ktap_check "ESP blocked, UDP passes: plain ESP given up (failure, EHOSTUNREACH)" \
	busywait 60000 gave_up_above "$gave_up0" || ktap_diag "X: $(cat "$events"); Y: $(cat "$events.y")"
kill "$mon_x" "$mon_y" 2>/dev/null
ktap_check "ESP blocked, UDP passes: both ends keep sending ESP-in-UDP" with_encaps outs_are espinudp
read -r y_rx2 y_dup2 <<<"$(stats "$NS_Y" rreq-rx duplicates)"
read -r x_tx2 <<<"$(stats "$NS_X" rreq-tx)"
# udp_copy_registered: Y took one new request (more received are
# duplicates: retransmissions of the ESP-in-UDP copy on a slow machine);
# X sent two or more (plain copies, which the router drops).
udp_copy_registered() {
	(((y_rx2 - y_rx) - (y_dup2 - y_dup) == 1 && x_tx2 - x_tx >= 2)) && return
	echo "X rreq-tx $x_tx->$x_tx2, Y rreq-rx $y_rx->$y_rx2 duplicates $y_dup->$y_dup2"
	return 1
}
ktap_check "ESP blocked: registered by the ESP-in-UDP copy ($((x_tx2 - x_tx)) copies sent, $((y_rx2 - y_rx)) received, 1 new)" \
	udp_copy_registered
expect_traffic "ESP blocked"
ip netns exec "$NS_RA" nft delete table inet xm_fw

# 5. A router that drops ESP-in-UDP from X (ESP passes): the plain copy
#    registers alone; X->Y goes plain at once, Y->X once Y's probes passed.
mob_handover nat_b
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
mob_handover direct
ktap_check "ESP-in-UDP blocked from X: registered by the plain copy, all plain" \
	with_encaps busywait 15000 encaps_are none || ktap_diag "$(mob_show y)"
expect_traffic "ESP-in-UDP blocked"
read -r y_moves2 y_dup2 <<<"$(stats "$NS_Y" moves duplicates)"
y_moved_once() {
	((y_moves2 - y_moves == 1)) && return
	echo "moves $y_moves->$y_moves2, duplicates $y_dup->$y_dup2"
	return 1
}
ktap_check "ESP-in-UDP blocked: Y moved once" y_moved_once
ip netns exec "$NS_RA" nft delete table inet xm_fw

# 6. Sequence numbers of X's outbound SA across every switch.
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null
rows=$("${inject[@]}" espseq-any "$pcap" "$MOB_SPI_XY")
plain=$(awk '$2 == "plain"' <<<"$rows" | grep -c .)
udp=$(awk '$2 == "udp"' <<<"$rows" | grep -c .)
dups=$(awk '{ print $1 }' <<<"$rows" | sort -n | uniq -d | wc -l)
no_repeats() {
	((plain >= 10 && udp >= 10 && dups == 0)) && return
	echo "$plain plain and $udp UDP packets captured, $dups repeated"
	return 1
}
ktap_check "no ESP sequence number repeated across the switches ($plain plain, $udp UDP packets)" \
	no_repeats
rm -f "$pcap"
ktap_finished
