#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Negative and safety tests of the registration exchange:
# - unauthenticated (forged ESP), replayed (captured RREQ resent from
#   another address), stale, truncated, oversized, wrong-version,
#   wrong-type and unknown-critical messages are dropped and counted, and
#   no SA changes; the bad messages go to the connection's registration
#   endpoint (inner source and destination the selector's addresses, UDP
#   port 4501 on both sides), where the gateway takes messages;
# - a message from another inner source through the same SA is not acted
#   upon as the connection's message, and no SA changes;
# - a registration in one netns never touches another netns' SAs;
# - the outbound ESP sequence number never repeats across a move (wire
#   capture);
# - unloading the module during a handover under traffic: no oops, SAs
#   left consistent.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/mobility.sh
. "$dir/lib/mobility.sh"
inject=(python3 "$dir/xm_inject.py")
# Y's registration endpoint: the source address of its outbound selector
# (10.88.0.0/24); X's is its own inner address.
REG_DST=10.88.0.0

mob_test_init ip nft tc ping tcpdump python3
mob_topo udp
# A bystander namespace holding a copy of Y's SAs, SPIs and addresses.
NS_Z=''
ktap_run ns_create NS_Z xm-z
ktap_run mob_sa_pair "$NS_Z" "$Y_WAN4" "$X_A4" "$MOB_SPI_XY" "$MOB_SPI_YX" \
	"$MOB_KEY_XY" "$MOB_KEY_YX" 10.88.0.0/24 "$X_INNER4/32" udp

if ! ktap_run mobctl -n "$NS_X" conn add name home reqid 1 role mobile ||
   ! ktap_run mobctl -n "$NS_Y" conn add name home reqid 1 role gateway ||
   ! ktap_run mobctl -n "$NS_Z" conn add name home reqid 1 role gateway; then
	ktap_fail "conn add"
	ktap_finished
fi
busywait 10000 mob_ping_x2y || true

# One real handover, so that Y has accepted registration seq 1, captured on
# Y's side for the replay test below.
pcap=$(mktemp --suffix=.pcap)
ktap_bg -o "$pcap.log" ip netns exec "$NS_Y" tcpdump -i y-wan -U -c 1 -w "$pcap" \
	"udp dst port 4500 and src host $RB_WAN4"
tcpdump_pid=$!
ns_cleanup_add "rm -f $pcap.log"
busywait 10000 grep -q "listening on" "$pcap.log"
mob_handover nat_b
# registered_behind_nat_b: X registered within 15 s, Y at NAT B within 5 s.
registered_behind_nat_b() {
	busywait 15000 mob_sa_is x out reg-state registered &&
		busywait 5000 mob_sa_is y out dst "$RB_WAN4" && return
	mob_show y
	return 1
}
ktap_check "handover to NAT B registered" registered_behind_nat_b
wait "$tcpdump_pid" 2>/dev/null

y_rows() { mob_rows y "${MOB_SA_ROW[@]}"; }
y_before=$(y_rows)

# y_unchanged DESC: Y's SA endpoints are those after the real handover
# (Y's outbound SA to NAT B).
y_unchanged() { ktap_check "$1: Y's SAs unchanged" y_same; }
y_same() {
	local now
	now=$(y_rows)
	[[ $now == "$y_before" ]] && mob_sa_is y out dst "$RB_WAN4" && return
	printf 'before:\n%s\nnow:\n%s\n' "$y_before" "$now"
	return 1
}

# counted DESC COUNTER BEFORE: COUNTER of Y's connection grew by one.
counted() { ktap_check "$1: counted as $2" grew_by_one "$2" "$3"; }
counter_above() {
	local before=$2
	(($(mob_stat "$NS_Y" "$1") > before))
}
grew_by_one() {
	local name=$1 before=$2 now
	[[ $before =~ ^[0-9]+$ ]] || { echo "$name: no value before ('$before')"; return 1; }
	busywait 15000 counter_above "$name" "$before"
	now=$(mob_stat "$NS_Y" "$name")
	[[ $now =~ ^[0-9]+$ ]] && ((now == before + 1)) && return
	echo "$name: $before -> $now"
	return 1
}

# no_registration: Y's count of accepted registrations is still rreq_rx.
no_registration() {
	local now
	now=$(mob_stat "$NS_Y" rreq-rx)
	[[ $rreq_rx =~ ^[0-9]+$ && $now == "$rreq_rx" ]] && return
	echo "rreq-rx $rreq_rx -> $now"
	return 1
}

# What reaches Y from NAT A's address on port 4500 (nft counter), and
# why Y's xfrm dropped packets (/proc/net/xfrm_stat): the injections below
# must arrive and be dropped by ESP for the reason each one tests.
ip netns exec "$NS_Y" nft -f - <<EOT
table inet xm_obs {
	chain in {
		type filter hook input priority 0; policy accept;
		ip saddr $RA_WAN4 udp dport 4500 counter
	}
}
EOT
# from_ra: packets Y received from NAT A on port 4500.
from_ra() {
	ip netns exec "$NS_Y" nft list table inet xm_obs |
		awk '/counter/ { for (i = 1; i < NF; i++) if ($i == "packets") print $(i + 1) }'
}
# xfrm_stat NAME: a counter of Y's /proc/net/xfrm_stat.
# shellcheck disable=SC2016 # an awk program
xfrm_stat() {
	ip netns exec "$NS_Y" awk -v n="$1" '$1 == n { print $2 }' /proc/net/xfrm_stat
}
# dropped_by_esp N STAT RX0 STAT0: Y received N more packets from NAT A than
# RX0, and its xfrm counter STAT grew by N from STAT0 (silent, for
# busywait).
dropped_by_esp() {
	local rx st
	rx=$(from_ra) st=$(xfrm_stat "$2")
	[[ $rx =~ ^[0-9]+$ && $st =~ ^[0-9]+$ ]] && ((rx - $3 == $1 && st - $4 == $1))
}
# esp_drop_check DESC N STAT RX0 STAT0: the check of dropped_by_esp.
esp_drop_check() {
	ktap_check "$1: Y received $2 and ESP dropped them ($3 +$2)" \
		busywait 10000 dropped_by_esp "$2" "$3" "$4" "$5" ||
		ktap_diag "from NAT A: $4 -> $(from_ra), $3: $5 -> $(xfrm_stat "$3")"
}

# 1. Forged ESP from a third party: right SPI, garbage instead of a valid
#    ICV. xfrm drops it (authentication failed) before the module sees
#    anything.
forge() {
	ip netns exec "$NS_RA" python3 -c '
import socket, struct, os, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 4500))
for seq in range(1000, 1010):
    s.sendto(struct.pack("!II", 0x1000, seq) + os.urandom(96), (sys.argv[2], 4500))' "$RA_WAN4" "$Y_WAN4"
}
rreq_rx=$(mob_stat "$NS_Y" rreq-rx)
rx0=$(from_ra) st0=$(xfrm_stat XfrmInStateProtoError)
ktap_check "forged ESP: 10 packets sent from NAT A" forge
esp_drop_check "forged ESP" 10 XfrmInStateProtoError "$rx0" "$st0"
ktap_check "forged ESP: no registration accepted" no_registration
y_unchanged "forged ESP"

# 2. Replay: the captured RREQ packet (the one Y accepted above), resent
#    from another address: xfrm's anti-replay drops it.
if [[ -s $pcap ]]; then
	rx0=$(from_ra) st0=$(xfrm_stat XfrmInStateSeqError)
	ktap_check "replayed RREQ: resent from NAT A" \
		ip netns exec "$NS_RA" "${inject[@]}" replay "$pcap" "$RA_WAN4" "$Y_WAN4" 4500
	esp_drop_check "replayed RREQ" 1 XfrmInStateSeqError "$rx0" "$st0"
	ktap_check "replayed RREQ: not accepted" no_registration
	y_unchanged "replayed RREQ"
else
	ktap_fail "replayed RREQ: capture" "no packet captured"
fi
rm -f "$pcap"
ip netns exec "$NS_Y" nft delete table inet xm_obs

# 3. Authenticated but bad messages, sent by a process on X through the
#    tunnel (they pass ESP) from X's registration endpoint to Y's: each is
#    dropped, counted, and changes nothing.
for case in "stale drop-stale" "truncated drop-malformed" \
	    "version drop-malformed" "oversized drop-malformed" \
	    "critical drop-malformed" "rrep drop-unexpected"; do
	read -r msg counter <<<"$case"
	before=$(mob_stat "$NS_Y" "$counter")
	ktap_run ip netns exec "$NS_X" "${inject[@]}" msg "$msg" "$X_INNER4" "$REG_DST" 4501
	counted "$msg message" "$counter" "$before"
done
y_unchanged "bad messages"

# 4. Wrong connection: a message to Y's registration endpoint whose inner
#    source is outside the connection's selectors, carried by the same SA.
#    It is no message of the connection: not parsed as one (it would count
#    as stale), no registration, nothing changes.
ktap_run ns_ipb "$NS_X" <<EOT
addr add 10.99.0.3/32 dev inner
xfrm policy add src 10.99.0.3/32 dst 10.88.0.0/24 dir out tmpl src $X_B4 dst $Y_WAN4 proto esp reqid 1 mode tunnel
EOT
rreq_rx=$(mob_stat "$NS_Y" rreq-rx)
stale=$(mob_stat "$NS_Y" drop-stale)
ktap_run ip netns exec "$NS_X" "${inject[@]}" msg stale 10.99.0.3 "$REG_DST" 4501
# Then the same message from the connection's endpoint, through the same
# SA and Y's queue of messages: counted as stale once Y handled both.  The
# first one, had it been taken as the connection's, would count too.
ktap_run ip netns exec "$NS_X" "${inject[@]}" msg stale "$X_INNER4" "$REG_DST" 4501
counted "wrong-connection message, then the same from the connection's endpoint" drop-stale "$stale"
ktap_check "wrong-connection message: not taken as the connection's message" no_registration
y_unchanged "wrong-connection message"

# 5. The bystander namespace saw nothing.
z_untouched() {
	local z
	z=$(mob_sa "$NS_Z" out dst dport moves)
	[[ $z == "$X_A4 4500 0" && $(mob_stat "$NS_Z" rreq-rx) == 0 ]] && return
	echo "$z"
	return 1
}
ktap_check "other netns' SAs untouched" z_untouched

# 6. Sequence numbers across a move under traffic, on the wire: none is
#    used twice, and every number the moved SA sends (new source address)
#    is above every number the old SA sent. Capture order itself may differ
#    slightly from numbering order (two CPUs send).
pcap=$(mktemp --suffix=.pcap)
ktap_bg -o "$pcap.log" ip netns exec "$NS_X" tcpdump -i any -U -w "$pcap" udp dst port 4500
tcpdump_pid=$!
ns_cleanup_add "rm -f $pcap.log"
busywait 10000 grep -q "listening on" "$pcap.log"
# oseq_above N: X's outbound SA has sent more than N packets.
oseq_above() { local o; o=$(mob_sa x out oseq); [[ $o =~ ^[0-9]+$ ]] && ((o > $1)); }
oseq0=$(mob_sa x out oseq)
ktap_bg ip netns exec "$NS_X" ping -q -i 0.01 -c 800 -I "$X_INNER4" "$Y_INNER4"
ping_pid=$!
# The move comes while the stream flows on the old SA.
busywait 30000 oseq_above $((${oseq0:-0} + 50)) ||
	ktap_diag "X's outbound SA: oseq ${oseq0:-?} -> $(mob_sa x out oseq)"
mob_handover nat_a
wait "$ping_pid"
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null
rows=$("${inject[@]}" espseq-any "$pcap" "$MOB_SPI_XY")
n=$(grep -c . <<<"$rows")
dups=$(awk '{ print $1 }' <<<"$rows" | sort -n | uniq -d | wc -l)
old_n=$(awk -v a="$X_B4" '$3 == a' <<<"$rows" | grep -c .)
new_n=$(awk -v a="$X_A4" '$3 == a' <<<"$rows" | grep -c .)
old_max=$(awk -v a="$X_B4" '$3 == a { if ($1 > m) m = $1 } END { print m + 0 }' <<<"$rows")
new_min=$(awk -v a="$X_A4" '$3 == a && (m == "" || $1 < m) { m = $1 } END { print m + 0 }' <<<"$rows")
# seq_increases: packets from both addresses, none twice, the moved SA's
# numbers above the old ones.
seq_increases() {
	((n > 100 && old_n > 0 && new_n > 0 && dups == 0 && new_min > old_max)) && return
	echo "$n packets ($old_n from $X_B4, $new_n from $X_A4), $dups repeated, old SA max $old_max, moved SA min $new_min"
	return 1
}
ktap_check "ESP sequence never repeats and increases across the move ($n packets, old <= $old_max < $new_min)" \
	seq_increases
rm -f "$pcap"

# 7. Unload during a handover, under traffic in both directions.
ktap_bg ip netns exec "$NS_X" ping -q -f -w 3 -I "$X_INNER4" "$Y_INNER4"
p1=$!
ktap_bg ip netns exec "$NS_Y" ping -q -f -w 3 -I "$Y_INNER4" "$X_INNER4"
p2=$!
mob_handover nat_b
ktap_check "rmmod during handover under traffic" rmmod xfrm_mobility
wait "$p1" "$p2"
nx=$(ip -n "$NS_X" xfrm state count | awk '{ print $NF }')
ny=$(ip -n "$NS_Y" xfrm state count | awk '{ print $NF }')
one_pair_each() { [[ $nx == 2 && $ny == 2 ]] || { echo "X: $nx, Y: $ny"; return 1; }; }
ktap_check "SAs consistent after unload (one pair each side)" one_pair_each
reloaded_empty() { mob_load && [[ -z $(mobctl show dump) ]]; }
ktap_check "reload after unload" reloaded_empty

ktap_finished
