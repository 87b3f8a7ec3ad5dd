#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# A move numbers no two ESP packets alike under one key and lets no packet
# be accepted by both the old and the new SA, whatever the packet rate
# (Documentation/xfrm_mobility.rst, "Moving SAs"):
#
#  1. Line rate: X floods Y through its outbound SA while the pair moves
#     again and again: address moves, and moves of the encapsulation only
#     (to plain ESP after each registration, back to ESP-in-UDP by a
#     handover to the same address). Y's capture of X's ESP must show
#     every (SPI, sequence number) once, and no number skipped: the copy
#     continues at exactly the next number, so an old SA that went on
#     sending under a copy started further on would show as a gap.
#  2. Replay into the copies: Y floods X while X moves its inbound SA;
#     afterwards every ESP packet captured during the moves is replayed to
#     X's new address. X's receiver must get no datagram twice.
#  3. ip xfrm monitor on X reports each move of X's SAs as an SA deleted
#     and one added.
#
# The highest packet rate reached is in the note of the first check.
set -u
# shellcheck source-path=SCRIPTDIR
. "$(dirname "${BASH_SOURCE[0]}")/lib/mobility.sh"

mob_test_init tcpdump python3 timeout
ktap_plan 9

FLOOD=$MOB_REPO/build/tools/xmflood
# Sequence numbers that may be missing from a capture although sent: the
# capture reports its own drops, and none are expected.
MAX_MISSING=16
WORK=$(mktemp -d "${TMPDIR:-/tmp}/xm-atomic.XXXXXX")
ns_cleanup_add "rm -rf $WORK"

if [[ ! -x $FLOOD ]]; then
	ktap_fail "xmflood built" "$FLOOD missing: make -C tests/tools"
	ktap_finished
fi

mob_setup
X_A4B=10.0.1.3
ktap_run ns_ip "$NS_X" addr add "$X_A4B/24" dev xa

# x_handover ADDR: X hands over to ADDR; registered within 15 s.
x_handover() {
	ktap_run mobctl -n "$NS_X" handover name home local "$1" || return
	mob_registered_at "$1"
}

# --- 1. line rate ------------------------------------------------------------

x_handover "$X_A4"
ktap_bg -o "$WORK/monitor" ip -n "$NS_X" xfrm monitor SA
MON=$!
mob_capture DUMP "$NS_Y" y-wan "$WORK/xy.pcap" "src net 10.0.1.0/24 and (esp or udp port 4500)"
ktap_bg -o "$WORK/recv-y" ip netns exec "$NS_Y" "$FLOOD" recv --bind "$Y_INNER4:9000" --duration 30
RECV=$!
ktap_bg -o "$WORK/flood-xy" ip netns exec "$NS_X" "$FLOOD" send --src "$X_INNER4" \
	--dst "$Y_INNER4:9000" --threads 2 --duration 12
FLOOD_PID=$!

# Address moves, and encapsulation-only moves: plain ESP after each
# registration on this direct path, ESP-in-UDP again on a handover to the
# same address.
moves_ok=0 moves=0
for addr in "$X_A4B" "$X_A4B" "$X_A4" "$X_A4" "$X_A4B" "$X_A4"; do
	moves=$((moves + 1))
	x_handover "$addr" && moves_ok=$((moves_ok + 1))
	ns_sleep 0.5
done
wait "$FLOOD_PID"
ns_sleep 1
kill "$DUMP" 2>/dev/null
wait "$DUMP" 2>/dev/null
ktap_diag "$(cat "$WORK/flood-xy" "$WORK/xy.pcap.log")"

pps=$(sed -n 's/.* pps \([0-9]*\).*/\1/p' "$WORK/flood-xy")
all_moves() {
	ktap_note " ($moves_ok of $moves handovers, X sent ${pps:-?} packets/s)"
	((moves_ok == moves))
}
ktap_check "line rate: every handover during the flood registered" all_moves
ktap_check "line rate: X->Y SPI $MOB_SPI_XY, no sequence number twice or skipped" \
	mob_esp_check "$WORK/xy.pcap" "$X_A4,$X_A4B" "$MOB_SPI_XY" "$MAX_MISSING"
ktap_check "line rate: traffic X->Y after the moves" busywait 5000 mob_ping_x2y

# --- 2. replay into the copies ------------------------------------------------

mob_capture DUMP "$NS_X" xa "$WORK/yx.pcap" "src host $Y_WAN4 and (esp or udp port 4500)" 0
ktap_bg -o "$WORK/recv-x" ip netns exec "$NS_X" "$FLOOD" recv --bind "$X_INNER4:9001" --duration 90
RECV_X=$!
# A rate that the replay below can send again in a few seconds. The flood
# goes on during the replay: X, in plain ESP, would otherwise see output
# (its answers to Y's probes) without input and fall back to ESP-in-UDP
# in the middle of it.
ktap_bg -o "$WORK/flood-yx" ip netns exec "$NS_Y" "$FLOOD" send --src "$Y_INNER4" \
	--dst "$X_INNER4:9001" --pps 4000 --duration 60
FLOOD_PID=$!
replay_moves=0
for addr in "$X_A4B" "$X_A4B" "$X_A4" "$X_A4"; do
	x_handover "$addr" && replay_moves=$((replay_moves + 1))
	ns_sleep 0.5
done
ns_sleep 1
kill "$DUMP" 2>/dev/null
wait "$DUMP" 2>/dev/null
ktap_diag "$(cat "$WORK/yx.pcap.log")"

seq_errors() {
	# shellcheck disable=SC2016 # awk's own variables
	ip netns exec "$NS_X" awk '$1 == "XfrmInStateSeqError" { print $2 }' /proc/net/xfrm_stat
}
before=$(seq_errors)
# In the encapsulation X's inbound SA has now, so that every packet
# reaches its replay check.
read -r in_dst in_encap in_sport in_dport < <(mob_sa x in dst encap sport dport)
encap=none
[[ $in_encap == espinudp ]] && encap=udp:$in_sport:$in_dport
ktap_run ip netns exec "$NS_RA" python3 "$MOB_ESPWIRE" replay "$WORK/yx.pcap" --src "$Y_WAN4" \
	--to "$in_dst" --encap "$encap"
replayed=$(sed -n 's/^replayed \([0-9]*\)$/\1/p' <<<"$KTAP_OUT")
in_after=$(mob_sa x in dst encap sport dport)
ns_sleep 2
after=$(seq_errors)
ktap_diag "$(ip netns exec "$NS_X" grep -v ' 0$' /proc/net/xfrm_stat)"
kill "$FLOOD_PID" 2>/dev/null
wait "$FLOOD_PID" 2>/dev/null
ns_sleep 1
kill "$RECV_X" 2>/dev/null
wait "$RECV_X" 2>/dev/null
ktap_diag "$(cat "$WORK/flood-yx" "$WORK/recv-x")"

replay_dups() {
	local line
	line=$(cat "$WORK/recv-x")
	ktap_note " ($replay_moves handovers, replayed ${replayed:-0} packets, replay drops $((after - before)); $line)"
	[[ $line =~ received\ ([0-9]+)\ duplicates\ ([0-9]+) ]] || return
	((replay_moves == 4 && ${replayed:-0} > 0 && BASH_REMATCH[1] > 0 && BASH_REMATCH[2] == 0))
}
ktap_check "replay: no datagram delivered twice after replaying every packet" replay_dups
# Nearly all: the packets the old SAs admitted before a switch and finished
# after it were delivered by neither SA, and are accepted once now.
replay_dropped() {
	ktap_note " ($((after - before)) of ${replayed:-0})"
	if [[ $in_after != "$in_dst $in_encap $in_sport $in_dport" ]]; then
		echo "X's inbound SA changed during the replay: $in_dst $in_encap -> $in_after"
		return 1
	fi
	((${replayed:-0} > 0 && after - before >= replayed * 9 / 10))
}
ktap_check "replay: the replayed packets were dropped as replays" replay_dropped
ktap_check "replay: Y->X SPI $MOB_SPI_YX, no sequence number twice or skipped" \
	mob_esp_check "$WORK/yx.pcap" "$Y_WAN4" "$MOB_SPI_YX" "$MAX_MISSING"

# --- 3. ip xfrm monitor ---------------------------------------------------------

kill "$MON" "$RECV" 2>/dev/null
wait "$MON" "$RECV" 2>/dev/null
# monitor_moves SPI: as many SAs with SPI added as deleted (an SA is printed
# as "[Deleted ]src A dst B" and then "<tab>proto esp spi SPI ..."), at
# least one per handover of this test.
monitor_moves() {
	local del add
	read -r del add < <(awk -v spi="$1" '
		/^(Deleted |Updated )?src / { kind = $1; next }
		$1 == "proto" && $3 == "spi" && $4 == spi {
			if (kind == "Deleted") d++; else if (kind == "src") a++
		}
		END { print d + 0, a + 0 }' "$WORK/monitor")
	echo "deleted $del, added $add, handovers $((moves + replay_moves))"
	ktap_note " (deleted $del, added $add)"
	((del >= moves + replay_moves && del == add))
}
ktap_check "ip xfrm monitor: every move of X's outbound SA" monitor_moves "$MOB_SPI_XY"
ktap_check "ip xfrm monitor: every move of X's inbound SA" monitor_moves "$MOB_SPI_YX"
ktap_check "after all moves: traffic Y->X" busywait 5000 mob_ping_y2x

ktap_finished
