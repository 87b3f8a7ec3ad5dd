#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Untrusted input: what a packet carries before its SA authenticated it
# costs the gateway nothing and moves nothing; an authenticated peer
# cannot aim the gateway's traffic at a third party; a mobile host that
# lost its registration state registers again at once; the registration
# port captures no user traffic.
#
# Topology: lib/netns.sh, plus a third host T on the WAN (203.0.113.66),
# a second address of X on uplink a (10.0.1.3) and a second local address
# of the gateway Y (203.0.113.11). Y holds 1000 idle gateway connections
# (XM_UT_CONNS) besides X's connection "home", added before it, and an
# ESP-in-UDP socket on port 4500 opened before the module's, as an IKE
# daemon opens it (with UDP_GRO where the kernel has ESP-in-UDP GRO, until
# the flood, which needs plain ESP: with that socket the module keeps
# inbound SAs encapsulated). Both ends use encap auto.
#
#  1. Registration port: a UDP echo service on port 4501 of Y's inner
#     address answers X through the tunnel, from an ephemeral port of X and
#     from port 4501.
#  2. Restart: after at least two accepted handovers, X's connection is
#     deleted and added again while Y keeps its own: X's next handover
#     registers within 5 s. (A module reload cannot be tested here: X and
#     Y share one kernel, so a reload restarts both ends.)
#  3. Redirection, with a stream from Y's inner address to X's running:
#     a) X hands over to NAT B; the path drops X's packets and captures
#        its first registration copy; T re-sends it to Y:4500 from its
#        own address; the path opens. Y sends T at most 3x the bytes it
#        received from T, and ends at NAT B with traffic both ways.
#     b) X's registration reaches Y with its outer source rewritten to T's
#        address (T answers nothing): Y sends T at most 3x the bytes it
#        received from T, ends where it was before, and counts a path
#        challenge and a revert.
#  4. Spray with GRO: esp4_offload loaded, GRO on Y's WAN device; T sprays
#     packets with Y's managed SPI and sequence numbers ahead of the SA's,
#     most of them to Y's second address (where no SA has that SPI), while
#     X hands over four times on its direct path and then to NAT B: each
#     time Y ends at X's address, never at T's, and sends T nothing;
#     traffic passes behind NAT B.
#  5. Probe and spoof flood, on the direct path with Y's inbound SA plain:
#     T sends Y 100k plain-ESP packets with the SPI 1 carrying PROBE
#     messages, and 100k with Y's managed inbound SPI, random payload and
#     sequence numbers ahead of the SA's, half plain ESP, half ESP-in-UDP
#     to port 4500 (XM_UT_FLOOD), all from X's address: Y sends nothing
#     to X's address meanwhile, and its unreclaimable slab grows by at
#     most 8 MiB. In a second flood X hands over to its second address and
#     registers while the flood goes on.
#
# The numbers (packets answered, slab growth, bytes to and from T, time to
# register) are in the checks' notes.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/mobility.sh
. "$dir/lib/mobility.sh"
inject=(python3 "$dir/xm_inject.py")

mob_test_init ip nft ping tcpdump python3

SPRAY=$MOB_REPO/build/tools/xmspray
FLOOD=$MOB_REPO/build/tools/xmflood
SCALE=$MOB_REPO/build/tools/xmscale
N_CONNS=${XM_UT_CONNS:-1000}
FLOOD_N=${XM_UT_FLOOD:-100000}
# Bounds of the checks. Slab: the kernel's own per-packet state of a
# 100k-packet flood (6 MiB seen on 6.1, none on 6.12) stays well under
# 16 MiB; a per-packet allocation that outlives its packet grows by
# hundreds of MiB.
SLAB_MAX_KB=$((16 * 1024))
AMPLIFICATION=3
RESTART_MS=5000

T4=203.0.113.66
Y_WAN4_ALT=203.0.113.11
X_A4B=10.0.1.3
SPI_IN_Y=$MOB_SPI_XY

WORK=$(mktemp -d "${TMPDIR:-/tmp}/xm-untrusted.XXXXXX")
ns_cleanup_add "rm -rf $WORK"
# esp4_offload, when this test loads it, goes again once the namespaces
# are gone and their SAs no longer hold it.
OFFLOAD_LOADED=0
unload_offload() { modprobe -r -q esp4_offload 2>/dev/null; }
ut_cleanup() {
	ns_cleanup
	((OFFLOAD_LOADED)) && busywait 5000 unload_offload
	return 0
}
trap ut_cleanup EXIT

for t in "$SPRAY" "$FLOOD" "$SCALE"; do
	if [[ ! -x $t ]]; then
		ktap_fail "test tools built" "$t missing: make tools"
		ktap_finished
	fi
done

# --- helpers -------------------------------------------------------------

# home_sa NS DIR FIELD...: the FIELDs of the SA row DIR (in, out) of the
# connection "home" in NS, separated by blanks.
home_sa() {
	local ns=$1 dir=$2 line
	shift 2
	while IFS= read -r line; do
		[[ $(mob_fields "$line" dir) == "$dir" ]] || continue
		mob_fields "$line" "$@"
		return
	done < <("$MOBCTL" -n "$ns" show name home dump 2>/dev/null)
	return 1
}

# home_stat NS NAME: a counter of the connection "home" in NS (empty if
# the module does not report it).
home_stat() {
	local json re="\"$2\":([0-9]+)"
	json=$("$MOBCTL" -n "$1" -j show name home 2>/dev/null)
	json=${json#*\"stats\":\{}
	[[ $json =~ $re ]] && echo "${BASH_REMATCH[1]}"
}

# show_home: both ends of "home", for diagnostics.
show_home() {
	"$MOBCTL" -n "$NS_Y" show name home
	"$MOBCTL" -n "$NS_X" show name home
}

y_at() { [[ $(home_sa "$NS_Y" out dst) == "$1" ]]; }
x_registered() { [[ $(home_sa "$NS_X" out reg-state) == registered ]]; }
x_pending() { [[ $(home_sa "$NS_X" out reg-state) == pending ]]; }

# registered_at ADDR [MS]: within MS (default 15000) each, Y's outbound SA
# of "home" goes to ADDR and X's registration is done.
registered_at() {
	busywait "${2:-15000}" y_at "$1" && busywait "${2:-15000}" x_registered && return
	show_home
	return 1
}

# x_handover_to ADDR: X hands over to its local address ADDR.
x_handover_to() {
	ktap_run mobctl -n "$NS_X" handover name home local "$1"
}

# home_encaps: the encapsulation of X's outbound and inbound SA and of
# Y's; all_plain: all four are plain ESP.
home_encaps() {
	echo "$(home_sa "$NS_X" out encap)/$(home_sa "$NS_X" in encap)/$(home_sa "$NS_Y" out encap)/$(home_sa "$NS_Y" in encap)"
}
all_plain() { [[ $(home_encaps) == none/none/none/none ]]; }

# Counters: on the wire (the WAN bridge): what T sent Y (t_to_y), what Y
# sent T (y_to_t) and X's first address (y_to_x), what X itself sent Y from
# there (x_to_y, through X's router; T forges that address); at Y's input: plain ESP
# (in_esp) and ESP-in-UDP (in_udp) received. Read as "packets bytes", the
# bytes of the IP packets.
counters_setup() {
	ip netns exec "$NS_CORE" nft -f - <<EOF &&
table bridge xm_wire {
	counter t_to_y {}
	counter y_to_t {}
	counter y_to_x {}
	counter x_to_y {}
	chain wire {
		type filter hook forward priority 0; policy accept;
		ip saddr $T4 ip daddr { $Y_WAN4, $Y_WAN4_ALT } counter name "t_to_y"
		ip saddr { $Y_WAN4, $Y_WAN4_ALT } ip daddr $T4 counter name "y_to_t"
		ip saddr { $Y_WAN4, $Y_WAN4_ALT } ip daddr $X_A4 counter name "y_to_x"
		iifname "c-ra" ip saddr $X_A4 ip daddr { $Y_WAN4, $Y_WAN4_ALT } counter name "x_to_y"
	}
}
EOF
	ip netns exec "$NS_Y" nft -f - <<EOF
table inet xm_ut {
	counter in_esp {}
	counter in_udp {}
	chain in {
		type filter hook input priority 0; policy accept;
		ip protocol esp counter name "in_esp"
		udp dport 4500 counter name "in_udp"
	}
}
EOF
}
# counter NAME: "packets bytes" of the counter NAME.
counter() {
	local out
	case $1 in
	in_*) out=$(ip netns exec "$NS_Y" nft list counter inet xm_ut "$1" 2>/dev/null) ;;
	*) out=$(ip netns exec "$NS_CORE" nft list counter bridge xm_wire "$1" 2>/dev/null) ;;
	esac
	[[ $out =~ packets\ ([0-9]+)\ bytes\ ([0-9]+) ]] || { echo "0 0"; return 1; }
	echo "${BASH_REMATCH[1]} ${BASH_REMATCH[2]}"
}

# SLAB_KB: unreclaimable slab (kB) now.
slab_kb() {
	local k v _
	SLAB_KB=0
	while read -r k v _; do
		[[ $k == SUnreclaim: ]] && { SLAB_KB=$v; return; }
	done </proc/meminfo
}
# slab_sampler FILE: until killed, the highest SLAB_KB seen (every 0.2 s)
# in FILE.
slab_sampler() {
	local max=0
	while :; do
		slab_kb
		if ((SLAB_KB > max)); then
			max=$SLAB_KB
			echo "$max" >"$1"
		fi
		ns_sleep 0.2
	done
}

# stream_start NAME SECONDS: a stream of numbered datagrams from Y's inner
# address to X's (100 a second, 200 bytes) for SECONDS at most, and X's
# receiver; stream_stop NAME ends both and shows what they counted.
stream_start() {
	ktap_bg -o "$WORK/recv-$1" ip netns exec "$NS_X" "$FLOOD" recv --bind "$X_INNER4:9100" \
		--duration "$2"
	STREAM_RECV=$!
	ktap_bg -o "$WORK/stream-$1" ip netns exec "$NS_Y" "$FLOOD" send --src "$Y_INNER4" \
		--dst "$X_INNER4:9100" --pps 100 --size 200 --duration "$2"
	STREAM_PID=$!
}
stream_stop() {
	kill "$STREAM_PID" "$STREAM_RECV" 2>/dev/null
	wait "$STREAM_PID" "$STREAM_RECV" 2>/dev/null
	ktap_diag "stream: $(cat "$WORK/stream-$1" 2>/dev/null); X: $(cat "$WORK/recv-$1" 2>/dev/null)"
}

# amplification FROM_BEFORE TO_BEFORE: bytes Y sent to T since TO_BEFORE
# at most AMPLIFICATION times the bytes it received from T since
# FROM_BEFORE, and T's packets did reach Y; the numbers are the note.
amplification() {
	local fp fb tp tb
	read -r fp fb < <(counter t_to_y)
	read -r tp tb < <(counter y_to_t)
	fp=$((fp - ${1% *})) fb=$((fb - ${1#* })) tp=$((tp - ${2% *})) tb=$((tb - ${2#* }))
	ktap_note " (Y received $fb bytes in $fp packets from T, sent $tb bytes in $tp packets to T)"
	if ((fp == 0)); then
		echo "nothing from T reached Y"
		return 1
	fi
	((tb <= AMPLIFICATION * fb)) && return
	echo "Y received $fb bytes in $fp packets from T, sent $tb bytes in $tp packets to T"
	show_home
	return 1
}

# stat_at_least NAME MIN: Y's counter NAME of "home" is at least MIN.
stat_at_least() {
	local v
	v=$(home_stat "$NS_Y" "$1")
	ktap_note " ($1 ${v:-not reported})"
	[[ -n $v ]] && ((v >= $2)) && return
	echo "$1: ${v:-not reported by the module}"
	return 1
}

# --- setup ---------------------------------------------------------------

mob_topo udp
ktap_run ns_create NS_T xm-t
# mute_t: T answers nothing it receives (no ICMP errors either); it only
# sends what the tests make it send.
mute_t() {
	ip netns exec "$NS_T" nft -f - <<'EOT'
table inet xm_mute {
	chain in {
		type filter hook input priority 0; policy drop;
	}
}
EOT
}
t_setup() {
	ip link add t-wan netns "$NS_T" type veth peer name c-t netns "$NS_CORE" &&
	ns_ipb "$NS_CORE" <<EOF &&
link set c-t master br0
link set c-t up
EOF
	ns_ipb "$NS_T" <<EOF &&
addr add $T4/24 dev t-wan
link set t-wan up
EOF
	mute_t &&
	ns_ip "$NS_Y" addr add "$Y_WAN4_ALT/24" dev y-wan &&
	ns_ip "$NS_X" addr add "$X_A4B/24" dev xa
}
if ! ktap_run t_setup; then
	ktap_fail "third host T, second addresses of X and Y"
	ktap_finished
fi

# The ESP-in-UDP socket on Y's port 4500, before any connection: the module
# then uses it rather than binding its own.
gro_opt=()
grep -qw xfrm4_gro_udp_encap_rcv /proc/kallsyms && gro_opt=(--gro)
# encap_sock [--gro]: (re)open Y's ESP-in-UDP socket on port 4500.
encap_sock_pid=''
encap_sock() {
	if [[ -n $encap_sock_pid ]]; then
		kill "$encap_sock_pid" 2>/dev/null
		wait "$encap_sock_pid" 2>/dev/null
	fi
	rm -f "$WORK/encap-sock"
	ktap_bg -o "$WORK/encap-sock" ip netns exec "$NS_Y" "$SPRAY" encap-sock --port 4500 "$@"
	encap_sock_pid=$!
	busywait 5000 grep -q '^ready' "$WORK/encap-sock"
}
if ! encap_sock "${gro_opt[@]}"; then
	ktap_fail "ESP-in-UDP socket on Y's port 4500" "$(cat "$WORK/encap-sock")"
	ktap_finished
fi
ktap_diag "$(cat "$WORK/encap-sock")"

# Y's other connections, idle: SA pairs with peers 198.18.0.1 and up
# (inner 10.128.0.0 and up), reqids 1000 and up, added in bulk before
# "home", so that "home" comes after them in Y's table.
extra_conns() {
	ip netns exec "$NS_Y" "$SCALE" sa --count "$N_CONNS" --reqid 1000 --local "$Y_WAN4" \
		--remote 198.18.0.1 --remote-step 1 --lnet 10.88.0.0/24 --lnet-step 0 \
		--rnet 10.128.0.0/32 --rnet-step 1 --spi-out 0x30000000 --spi-in 0x40000000 &&
	ip netns exec "$NS_Y" "$SCALE" conn-add --count "$N_CONNS" --reqid 1000 --role gateway
}
if ! ktap_run extra_conns ||
   ! ktap_run mobctl -n "$NS_X" conn add name home reqid 1 role mobile ||
   ! ktap_run mobctl -n "$NS_Y" conn add name home reqid 1 role gateway; then
	ktap_fail "conn add ($N_CONNS other connections on Y, then home)"
	ktap_finished
fi
ktap_run counters_setup || ktap_fail "nft counters"

# --- 1. registration port ------------------------------------------------------

mob_handover direct
ktap_check "port 4501: registered on the direct path" registered_at "$X_A4"
ktap_bg -o "$WORK/echo" ip netns exec "$NS_Y" "${inject[@]}" echo-serve "$Y_INNER4" 4501 120
echo_pid=$!
ns_cleanup_add "kill $echo_pid"
busywait 10000 grep -q '^ready' "$WORK/echo" || ktap_diag "echo service: $(cat "$WORK/echo")"
# echo_from SPORT: X's datagram from SPORT to the service comes back.
echo_from() {
	local out
	out=$(ip netns exec "$NS_X" "${inject[@]}" echo "$X_INNER4" "$1" "$Y_INNER4" 4501) && {
		ktap_note " ($out)"
		return
	}
	echo "$out"
	# shellcheck disable=SC2016 # awk's own fields
	ip netns exec "$NS_Y" awk '$2 != 0' /proc/net/xfrm_stat
	show_home
	return 1
}
ktap_check "port 4501: a service behind Y answers X's datagram from an ephemeral port" echo_from 0
ktap_check "port 4501: a service behind Y answers X's datagram from port 4501" echo_from 4501
kill "$echo_pid" 2>/dev/null

# --- 2. restart ----------------------------------------------------------------

mob_handover nat_b
ktap_check "restart: registered behind NAT B" registered_at "$RB_WAN4"
reg_seq=$(home_sa "$NS_Y" out reg-seq)
two_accepted() {
	ktap_note " (Y's registration sequence $reg_seq)"
	[[ $reg_seq =~ ^[0-9]+$ ]] && ((reg_seq > 1))
}
ktap_check "restart: Y accepted more than one registration" two_accepted
if ! ktap_run mobctl -n "$NS_X" conn del name home ||
   ! ktap_run mobctl -n "$NS_X" conn add name home reqid 1 role mobile; then
	ktap_fail "restart: X's connection deleted and added again"
fi
ktap_run ns_move_x direct
t0=$EPOCHREALTIME
ktap_run mobctl -n "$NS_X" handover name home
y_at_x_registered() { y_at "$X_A4" && x_registered; }
# restarted: X registered at its new address within RESTART_MS of the
# handover; the time is the note.
restarted() {
	local ok=0
	busywait "$RESTART_MS" y_at_x_registered && ok=1
	ktap_note " (after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s)"
	((ok)) && return
	echo "not registered after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s"
	show_home
	return 1
}
ktap_check "restart: X registers within $((RESTART_MS / 1000)) s after its connection was added again" restarted
if ! x_registered; then
	# X is locked out: Y's connection is added again too, so that the
	# tests below start from a registered connection.
	ktap_run mobctl -n "$NS_Y" conn del name home
	ktap_run mobctl -n "$NS_Y" conn add name home reqid 1 role gateway
	ktap_run mobctl -n "$NS_X" handover name home
	registered_at "$X_A4" >/dev/null
fi

# --- 3. redirection --------------------------------------------------------------

# a) A registration copy withheld on the new path and re-sent from T.
hold_path() {
	ip netns exec "$NS_RB" nft -f - <<EOT
table ip xm_hold
delete table ip xm_hold
table ip xm_hold {
	chain forward {
		type filter hook forward priority filter; policy accept;
		iifname "rb-in" counter drop
	}
}
EOT
}
release_path() { ip netns exec "$NS_RB" nft delete table ip xm_hold; }

ktap_check "withheld copy: registered on the direct path first" busywait 15000 y_at_x_registered
pcap=$WORK/withheld.pcap
ktap_bg -o "$pcap.log" ip netns exec "$NS_RB" tcpdump -n -i rb-in -U -c 1 -w "$pcap" \
	"udp and src host $X_B4 and dst port 4500 and udp[8:4] != 0"
tcpd=$!
ns_cleanup_add "kill $tcpd"
busywait 5000 grep -q "listening on" "$pcap.log"
ktap_run hold_path
from0=$(counter t_to_y) to0=$(counter y_to_t)
stream_start a 90
ns_sleep 1
mob_handover nat_b
captured() { [[ -s $pcap ]] && ! kill -0 "$tcpd" 2>/dev/null; }
if busywait 5000 captured; then
	ktap_run ip netns exec "$NS_T" "${inject[@]}" replay "$pcap" "$T4" "$Y_WAN4" 4500
else
	ktap_fail "withheld copy: X's registration captured on the path" "$(cat "$pcap.log")"
fi
ns_sleep 3
ktap_run release_path
ktap_check "withheld copy: Y ends at NAT B, X registered" registered_at "$RB_WAN4" 20000
ktap_check "withheld copy: traffic X->Y" busywait 10000 mob_ping_x2y
ktap_check "withheld copy: traffic Y->X" busywait 10000 mob_ping_y2x
stream_stop a
ktap_check "withheld copy: Y sent T at most ${AMPLIFICATION}x the bytes it received from T" \
	amplification "$from0" "$to0"

# b) X's registration arrives with T's address as its outer source.
before=$(home_sa "$NS_Y" out dst dport)
from0=$(counter t_to_y) to0=$(counter y_to_t)
stream_start b 120
ns_sleep 1
ktap_run ns_nat "$NS_RB" "iifname \"rb-in\" oifname \"rb-wan\" counter snat to $T4"
ns_ct_flush "$NS_RB"
ktap_run mobctl -n "$NS_X" handover name home
# X's registration ends (answered or given up), then Y is back where it was.
x_done() { ! x_pending; }
busywait 60000 x_done || ktap_diag "X's registration still pending"
y_back() { [[ $(home_sa "$NS_Y" out dst dport) == "$before" ]]; }
# back_where_before: within 15 s Y is back where it was before.
back_where_before() {
	busywait 15000 y_back && return
	echo "Y's outbound SA at $(home_sa "$NS_Y" out dst dport), before at $before"
	show_home
	return 1
}
ktap_check "forged source: Y ends where it was before ($before)" back_where_before
stream_stop b
ktap_check "forged source: Y sent T at most ${AMPLIFICATION}x the bytes it received from T" \
	amplification "$from0" "$to0"
ktap_check "forged source: path challenge counted" stat_at_least challenges 1
ktap_check "forged source: revert counted" stat_at_least reverts 1
ktap_run ns_nat_masq "$NS_RB" rb-wan
ns_ct_flush "$NS_RB"

# --- 4. spray with GRO ---------------------------------------------------------

mob_handover direct
ktap_check "GRO: registered on the direct path" registered_at "$X_A4"
busywait 20000 all_plain || ktap_diag "X out/in, Y out/in: $(home_encaps)"

if [[ ! -d /sys/module/esp4_offload ]]; then
	ktap_run modprobe esp4_offload && OFFLOAD_LOADED=1
fi
# GRO on Y's WAN device; veth hands its peer's packets to GRO only when
# the sending device does no TSO.
gro_on() {
	ip netns exec "$NS_CORE" "$SPRAY" features c-y tso off &&
	ip netns exec "$NS_Y" "$SPRAY" features y-wan gro on
}
gro_off() {
	ip netns exec "$NS_Y" "$SPRAY" features y-wan gro off &&
	ip netns exec "$NS_CORE" "$SPRAY" features c-y tso on
}
if ! [[ -d /sys/module/esp4_offload ]] || ! ktap_run gro_on; then
	ktap_fail "GRO: esp4_offload loaded, GRO on Y's WAN device"
fi
# Packets entering GRO on Y's WAN device, counted by a histogram trigger.
GRO_EV=/sys/kernel/tracing/events/net/napi_gro_receive_entry
gro_hist=0
if echo 'hist:keys=name:vals=hitcount' >"$GRO_EV/trigger" 2>/dev/null; then
	gro_hist=1
	ns_cleanup_add "echo '!hist:keys=name:vals=hitcount' >$GRO_EV/trigger"
fi

ktap_bg -o "$WORK/xfrm-monitor" ip -n "$NS_Y" xfrm monitor SA
monitor=$!
ns_cleanup_add "kill $monitor"
to0=$(counter y_to_t)
spray() {
	ktap_bg -o "$WORK/spray-$1" ip netns exec "$NS_T" "$SPRAY" send --from "$T4" \
		--spi "$SPI_IN_Y" --duration 600 "${@:2}"
	sprays+=("$!")
}
sprays=()
spray alt-esp --to "$Y_WAN4_ALT" --kind esp --seq 5000000 --pps 2000
spray alt-udp --to "$Y_WAN4_ALT" --kind udp --seq 6000000 --pps 2000
spray y-udp --to "$Y_WAN4" --kind udp --seq 7000000 --pps 200
ns_cleanup_add "kill ${sprays[*]}"
ns_sleep 2
moves_ok=0
for addr in "$X_A4B" "$X_A4" "$X_A4B" "$X_A4"; do
	x_handover_to "$addr"
	registered_at "$addr" 15000 >/dev/null && moves_ok=$((moves_ok + 1))
	ktap_diag "Y: $(home_sa "$NS_Y" out dst dport encap)"
done
all_direct() {
	ktap_note " ($moves_ok of 4)"
	((moves_ok == 4))
}
ktap_check "GRO: every handover during the spray registered at X's address" all_direct
mob_handover nat_b
ktap_check "GRO: behind NAT B during the spray, Y at NAT B, X registered" registered_at "$RB_WAN4"
ktap_check "GRO: traffic X->Y behind NAT B" busywait 10000 mob_ping_x2y
ktap_check "GRO: traffic Y->X behind NAT B" busywait 10000 mob_ping_y2x
kill "${sprays[@]}" 2>/dev/null
wait "${sprays[@]}" 2>/dev/null
kill "$monitor" 2>/dev/null
wait "$monitor" 2>/dev/null
for f in alt-esp alt-udp y-udp; do
	ktap_diag "spray $f: $(cat "$WORK/spray-$f")"
done
# shellcheck disable=SC2016 # awk's own fields
ktap_diag "Y's XFRM errors: $(ip netns exec "$NS_Y" awk '$2 != 0 { printf "%s %s ", $1, $2 }' /proc/net/xfrm_stat)"
# never_at_t: no SA of Y went to T, and Y sent T nothing.
never_at_t() {
	local lines tp
	lines=$(grep -c -F "$T4" "$WORK/xfrm-monitor")
	read -r tp _ < <(counter y_to_t)
	tp=$((tp - ${to0% *}))
	ktap_note " (SA events with T's address $lines, packets to T $tp)"
	((lines == 0 && tp == 0)) && return
	echo "SA events with T's address: $lines, packets Y sent to T: $tp"
	grep -F "$T4" "$WORK/xfrm-monitor" | head -6
	return 1
}
ktap_check "GRO: Y never moved to T's address" never_at_t
# gro_used: Y's WAN device received packets through GRO.
gro_used() {
	local n
	n=$(awk '/name: *y-wan/ { for (i = 1; i <= NF; i++) if ($i == "hitcount:") print $(i + 1) }' \
		"$GRO_EV/hist")
	ktap_note " (${n:-0} packets)"
	((${n:-0} > 0))
}
if ((gro_hist)); then
	ktap_check "GRO: Y's WAN device received through GRO" gro_used
else
	ktap_skip "GRO: Y's WAN device received through GRO" "no napi_gro_receive_entry histogram"
fi
ktap_run gro_off
# Plain ESP needs the receive hook for ESP-in-UDP to a plain inbound SA,
# which an ESP-in-UDP socket with UDP GRO bypasses (the module keeps the
# inbound SA encapsulated then): the flood runs with a socket without GRO.
if ((${#gro_opt[@]})) && ! encap_sock; then
	ktap_fail "ESP-in-UDP socket on Y's port 4500 without GRO" "$(cat "$WORK/encap-sock")"
	ktap_finished
fi

# --- 5. probe and spoof flood ----------------------------------------------------

mob_handover direct
ktap_check "flood: registered on the direct path" registered_at "$X_A4"
# plain_soon: within 20 s both ends send plain ESP, and their inbound SAs
# are plain.
plain_soon() {
	busywait 20000 all_plain && return
	echo "X out/in, Y out/in: $(home_encaps)"
	return 1
}
ktap_check "flood: both ends in plain ESP, Y's inbound SA plain" plain_soon
ns_sleep 1

# flood_run SUFFIX ARGS...: T sends probes, and packets with Y's managed
# SPI as plain ESP and as ESP-in-UDP, all from X's address, the three
# kinds at once (ARGS: how many, e.g. --count N or --duration S; with
# --count N, N probes and N/2 of each other kind); the xmspray lines in
# $WORK/flood-SUFFIX.
flood_run() {
	local out=$WORK/flood-$1 half=("${@:2}") pids=()
	[[ $2 != --count ]] || half=(--count $(($3 / 2)))
	ip netns exec "$NS_T" "$SPRAY" send --to "$Y_WAN4" --from "$X_A4" --kind probe \
		"${@:2}" >"$out.probe" 2>&1 &
	pids+=("$!")
	ip netns exec "$NS_T" "$SPRAY" send --to "$Y_WAN4" --from "$X_A4" --kind esp \
		--spi "$SPI_IN_Y" --seq 1000000 "${half[@]}" >"$out.esp" 2>&1 &
	pids+=("$!")
	ip netns exec "$NS_T" "$SPRAY" send --to "$Y_WAN4" --from "$X_A4" --kind udp \
		--spi "$SPI_IN_Y" --seq 2000000 "${half[@]}" >"$out.udp" 2>&1 &
	pids+=("$!")
	wait "${pids[@]}"
	cat "$out.probe" "$out.esp" "$out.udp" >"$out"
}

read -r x0 _ < <(counter y_to_x)
read -r xy0 _ < <(counter x_to_y)
read -r esp0 _ < <(counter in_esp)
read -r udp0 _ < <(counter in_udp)
slab_kb
slab0=$SLAB_KB
echo "$slab0" >"$WORK/slab-1"
slab_sampler "$WORK/slab-1" &
sampler=$!
ns_cleanup_add "kill $sampler"
t0=$EPOCHREALTIME
ktap_run flood_run 1 --count "$FLOOD_N"
ns_sleep 1
flood_secs=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }')
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
read -r x1 _ < <(counter y_to_x)
read -r xy1 _ < <(counter x_to_y)
read -r esp1 _ < <(counter in_esp)
read -r udp1 _ < <(counter in_udp)
slab_peak=$(cat "$WORK/slab-1")
ktap_diag "flood ($flood_secs s): $(tr '\n' ';' <"$WORK/flood-1")"

# flood_arrived: at least a fifth of each part of the flood reached Y
# (plain ESP: probes and managed SPI; ESP-in-UDP).  The rest may be lost
# in veth backlogs of a guest with one vCPU; a fifth is still a flood, and
# the checks below are about what Y did with it.
flood_arrived() {
	local esp=$((esp1 - esp0)) udp=$((udp1 - udp0))
	ktap_note " ($esp plain ESP, $udp ESP-in-UDP packets in $flood_secs s)"
	((esp * 10 >= FLOOD_N * 3 && udp * 10 >= FLOOD_N)) && return
	echo "Y received $esp plain ESP and $udp ESP-in-UDP packets of $((FLOOD_N * 3 / 2)) and $((FLOOD_N / 2)) sent"
	return 1
}
ktap_check "flood: T's packets reached Y" flood_arrived
# no_answers: Y sent X's address no more than X itself sent Y meanwhile
# (X's liveness checks get their answers; T's flood gets none).
no_answers() {
	ktap_note " ($((x1 - x0)) packets, X sent $((xy1 - xy0)))"
	((x1 - x0 <= xy1 - xy0)) && return
	echo "Y sent $((x1 - x0)) packets to X's address $X_A4 during the flood, X sent $((xy1 - xy0))"
	return 1
}
ktap_check "flood: Y sent nothing to X's address in answer" no_answers
# slab_bounded PEAK BASE: growth at most SLAB_MAX_KB; the growth is the note.
slab_bounded() {
	local grew=$(($1 - $2))
	ktap_note " (+$((grew / 1024)) MiB: $2 -> $1 kB)"
	((grew <= SLAB_MAX_KB)) && return
	echo "unreclaimable slab grew by $grew kB ($2 -> $1 kB)"
	return 1
}
ktap_check "flood: Y's unreclaimable slab grew by at most $((SLAB_MAX_KB / 1024)) MiB" \
	slab_bounded "$slab_peak" "$slab0"

# Second flood: X hands over to its second address 3 s into it; the flood
# goes on until X is registered there (or the check gave up), at most
# 120 s, so that the registration is done under the flood however slow
# the machine is.
slab_kb
slab0=$SLAB_KB
echo "$slab0" >"$WORK/slab-2"
slab_sampler "$WORK/slab-2" &
sampler=$!
ns_cleanup_add "kill $sampler"
ktap_bg flood_run 2 --duration 120
flood_pid=$!
ns_sleep 3
t0=$EPOCHREALTIME
x_handover_to "$X_A4B"
# during_flood: registered at X's second address while T still floods.
during_flood() {
	local ok=0
	registered_at "$X_A4B" 60000 && ok=1
	ktap_note " (after $(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }') s)"
	((ok)) || return
	kill -0 "$flood_pid" 2>/dev/null && return
	echo "the flood ended before the registration"
	return 1
}
ktap_check "flood: X's handover during the flood registered" during_flood
# The senders end with their counts on SIGINT.
ip netns pids "$NS_T" | xargs -r kill -INT 2>/dev/null
wait "$flood_pid"
ns_sleep 1
kill "$sampler" 2>/dev/null
wait "$sampler" 2>/dev/null
ktap_diag "second flood: $(tr '\n' ';' <"$WORK/flood-2")"
ktap_check "flood with handover: Y's unreclaimable slab grew by at most $((SLAB_MAX_KB / 1024)) MiB" \
	slab_bounded "$(cat "$WORK/slab-2")" "$slab0"

ktap_finished
