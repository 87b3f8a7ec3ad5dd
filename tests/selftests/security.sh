#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Negative and safety tests of the registration exchange:
# - unauthenticated (forged ESP), replayed (captured RREQ resent from
#   another address), stale, truncated, oversized, wrong-version,
#   wrong-type, unknown-critical and wrong-connection messages are dropped
#   and counted, and no SA changes;
# - a registration in one netns never touches another netns' SAs;
# - the outbound ESP sequence number never repeats across a move (wire
#   capture);
# - unloading the module during a handover under traffic: no oops, SAs
#   left consistent.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$dir/lib/ktap.sh"
. "$dir/lib/netns.sh"
. "$dir/lib/mobility.sh"
inject="python3 $dir/xm_inject.py"

ktap_header
ktap_require_root
ktap_require_cmd ip nft tc ping tcpdump python3

mob_load || ktap_skip_all "xfrm_mobility not loadable (XM_KO unset?)"
if ! ns_topo_mobility >/dev/null 2>&1 || ! mob_tunnel udp; then
	ktap_fail "topology and SAs"
	ktap_finished
fi
# A bystander namespace holding a copy of Y's SAs, SPIs and addresses.
ns_create NS_Z xm-z >/dev/null
mob_sa_pair "$NS_Z" "$Y_WAN4" "$X_A4" "$MOB_SPI_XY" "$MOB_SPI_YX" \
	"$MOB_KEY_XY" "$MOB_KEY_YX" 10.88.0.0/24 "$X_INNER4/32" udp

mobctl -n "$NS_X" conn add name home reqid 1 role mobile >/dev/null &&
mobctl -n "$NS_Y" conn add name home reqid 1 role gateway >/dev/null &&
mobctl -n "$NS_Z" conn add name home reqid 1 role gateway >/dev/null ||
	{ ktap_fail "conn add"; ktap_finished; }
busywait 10000 mob_ping_x2y || true

# One real handover, so that Y has accepted registration seq 1, captured on
# Y's side for the replay test below.
pcap=$(mktemp --suffix=.pcap)
ip netns exec "$NS_Y" tcpdump -i y-wan -U -c 1 -w "$pcap" \
	"udp dst port 4500 and src host $RB_WAN4" >/dev/null 2>&1 &
tcpdump_pid=$!
ns_sleep 1
ns_move_x nat_b >/dev/null 2>&1
mobctl -n "$NS_X" handover name home >/dev/null
if mob_wait_field "$NS_X" out 13 registered 15000 &&
   mob_wait_field "$NS_Y" out 9 "$RB_WAN4" 5000; then
	ktap_pass "handover to NAT B registered"
else
	ktap_fail "handover to NAT B registered" "$(mobctl -n "$NS_Y" show)"
fi
wait "$tcpdump_pid" 2>/dev/null

y_before=$(mobctl -n "$NS_Y" show dump | cut -f1-12)

# y_unchanged DESC: Y's SA endpoints are those after the real handover.
y_unchanged() {
	local now
	now=$(mobctl -n "$NS_Y" show dump | cut -f1-12)
	if [[ $now == "$y_before" ]]; then
		ktap_pass "$1: Y's SAs unchanged"
	else
		ktap_fail "$1: Y's SAs unchanged" "before:
$y_before
now:
$now"
	fi
}

# counted DESC COUNTER: COUNTER of Y's connection grew by one.
counted() {
	local desc=$1 name=$2 before=$3 now
	busywait 5000 eval '(( $(mob_stat "$NS_Y" "$name") > before ))'
	now=$(mob_stat "$NS_Y" "$name")
	if (( now == before + 1 )); then
		ktap_pass "$desc: counted as $name"
	else
		ktap_fail "$desc: counted as $name" "$name: $before -> $now"
	fi
}

# 1. Forged ESP from a third party: right SPI, garbage instead of a valid
#    ICV. xfrm drops it before the module sees anything.
rreq_rx=$(mob_stat "$NS_Y" rreq-rx)
ip netns exec "$NS_RA" python3 -c '
import socket, struct, os
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("'"$RA_WAN4"'", 4500))
for seq in range(1000, 1010):
    s.sendto(struct.pack("!II", 0x1000, seq) + os.urandom(96), ("'"$Y_WAN4"'", 4500))'
ns_sleep 1
[[ $(mob_stat "$NS_Y" rreq-rx) == "$rreq_rx" ]] &&
	ktap_pass "forged ESP: no registration accepted" ||
	ktap_fail "forged ESP: no registration accepted"
y_unchanged "forged ESP"

# 2. Replay: the captured RREQ packet, resent from another address.
if [[ -s $pcap ]]; then
	ip netns exec "$NS_RA" $inject replay "$pcap" "$RA_WAN4" "$Y_WAN4" 4500
	ns_sleep 1
	[[ $(mob_stat "$NS_Y" rreq-rx) == "$rreq_rx" ]] &&
		ktap_pass "replayed RREQ: not accepted" ||
		ktap_fail "replayed RREQ: not accepted"
	y_unchanged "replayed RREQ"
else
	ktap_fail "replayed RREQ: capture" "no packet captured"
fi
rm -f "$pcap"

# 3. Authenticated but bad messages, sent by a process on X through the
#    tunnel (they pass ESP): each is dropped, counted, and changes nothing.
for case in "stale drop-stale" "truncated drop-malformed" \
	    "version drop-malformed" "oversized drop-malformed" \
	    "critical drop-malformed" "rrep drop-unexpected"; do
	set -- $case
	before=$(mob_stat "$NS_Y" "$2")
	ip netns exec "$NS_X" $inject msg "$1" "$X_INNER4" "$Y_INNER4" 4501
	counted "$1 message" "$2" "$before"
done
y_unchanged "bad messages"

# 4. Wrong connection: a message whose inner source is outside the
#    connection's selectors, carried by the same SA.
ns_ipb "$NS_X" <<EOT
addr add 10.99.0.3/32 dev inner
xfrm policy add src 10.99.0.3/32 dst 10.88.0.0/24 dir out tmpl src $X_B4 dst $Y_WAN4 proto esp reqid 1 mode tunnel
EOT
before=$(mob_stat "$NS_Y" drop-wrong-conn)
ip netns exec "$NS_X" $inject msg stale 10.99.0.3 "$Y_INNER4" 4501
counted "wrong-connection message" drop-wrong-conn "$before"
y_unchanged "wrong-connection message"

# 5. The bystander namespace saw nothing.
z=$(mobctl -n "$NS_Z" show dump | awk -F'\t' '$6 == "out" { print $9, $12, $15 }')
[[ $z == "$X_A4 4500 0" && $(mob_stat "$NS_Z" rreq-rx) == 0 ]] &&
	ktap_pass "other netns' SAs untouched" ||
	ktap_fail "other netns' SAs untouched" "$z"

# 6. Sequence numbers across a move under traffic, on the wire: none is
#    used twice, and every number the moved SA sends (new source address)
#    is above every number the old SA sent. Capture order itself may differ
#    slightly from numbering order (two CPUs send).
pcap=$(mktemp --suffix=.pcap)
ip netns exec "$NS_X" tcpdump -i any -U -w "$pcap" udp dst port 4500 >/dev/null 2>&1 &
tcpdump_pid=$!
ns_sleep 1
ip netns exec "$NS_X" ping -q -i 0.01 -c 800 -I "$X_INNER4" "$Y_INNER4" >/dev/null 2>&1 &
ping_pid=$!
ns_sleep 1
ns_move_x nat_a >/dev/null 2>&1
mobctl -n "$NS_X" handover name home >/dev/null
wait "$ping_pid"
kill "$tcpdump_pid"; wait "$tcpdump_pid" 2>/dev/null
rows=$($inject espseq-any "$pcap" "$MOB_SPI_XY")
n=$(grep -c . <<<"$rows")
dups=$(awk '{ print $1 }' <<<"$rows" | sort -n | uniq -d | wc -l)
old_max=$(awk -v a="$X_B4" '$3 == a { if ($1 > m) m = $1 } END { print m + 0 }' <<<"$rows")
new_min=$(awk -v a="$X_A4" '$3 == a && (m == "" || $1 < m) { m = $1 } END { print m + 0 }' <<<"$rows")
if (( n > 100 && dups == 0 && new_min > old_max )); then
	ktap_pass "ESP sequence never repeats and increases across the move ($n packets, old <= $old_max < $new_min)"
else
	ktap_fail "ESP sequence never repeats and increases across the move" \
		"$n packets, $dups repeated, old SA max $old_max, moved SA min $new_min"
fi
rm -f "$pcap"

# 7. Unload during a handover, under traffic in both directions.
ip netns exec "$NS_X" ping -q -f -w 3 -I "$X_INNER4" "$Y_INNER4" >/dev/null 2>&1 &
p1=$!
ip netns exec "$NS_Y" ping -q -f -w 3 -I "$Y_INNER4" "$X_INNER4" >/dev/null 2>&1 &
p2=$!
ns_move_x nat_b >/dev/null 2>&1
mobctl -n "$NS_X" handover name home >/dev/null
if rmmod xfrm_mobility; then
	ktap_pass "rmmod during handover under traffic"
else
	ktap_fail "rmmod during handover under traffic"
fi
wait "$p1" "$p2"
nx=$(ip -n "$NS_X" xfrm state count | awk '{ print $NF }')
ny=$(ip -n "$NS_Y" xfrm state count | awk '{ print $NF }')
[[ $nx == 2 && $ny == 2 ]] &&
	ktap_pass "SAs consistent after unload (one pair each side)" ||
	ktap_fail "SAs consistent after unload" "X: $nx, Y: $ny"
mob_load && [[ -z $(mobctl show dump) ]] &&
	ktap_pass "reload after unload" || ktap_fail "reload after unload"

ktap_finished
