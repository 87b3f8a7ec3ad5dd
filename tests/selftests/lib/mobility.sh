# SPDX-License-Identifier: GPL-2.0
#
# Helpers for xfrm_mobility selftests (source after ktap.sh and netns.sh):
# load the module, install a tunnel-mode ESP SA pair between X and Y with
# ip xfrm, manage connections with mobctl and read their state back.
#
# SA plan (reqid 1): X->Y SPI 0x1000, Y->X SPI 0x2000, AES-GCM-128,
# tunnel mode, policies between X's inner 10.99.0.2/32 and Y's inner
# 10.88.0.0/24.

MOB_REPO=${XM_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
MOBCTL=${MOBCTL:-$MOB_REPO/tools/mobctl/mobctl}
MOB_KEY_XY=0x0102030405060708090a0b0c0d0e0f1011121314
MOB_KEY_YX=0x2122232425262728292a2b2c2d2e2f3031323334
MOB_SPI_XY=0x00001000
MOB_SPI_YX=0x00002000

# mob_load: load the module under test unless it is loaded.
mob_load() {
	[[ -d /sys/module/xfrm_mobility ]] && return 0
	[[ -n ${XM_KO:-} ]] || return 4
	modprobe -a udp_tunnel ip6_udp_tunnel esp4 xfrm_user 2>/dev/null
	insmod "$XM_KO"
}

mob_unload() {
	[[ -d /sys/module/xfrm_mobility ]] || return 0
	rmmod xfrm_mobility
}

mobctl() { "$MOBCTL" "$@"; }

# ns_x_local_addr4: X's own address on the active uplink.
ns_x_local_addr4() {
	case $X_MODE in
	direct | nat_a) echo "$X_A4" ;;
	nat_b) echo "$X_B4" ;;
	esac
}

# mob_sa_pair NS LOCAL REMOTE IN_SPI OUT_SPI IN_KEY OUT_KEY LNET RNET ENCAP
# [REQID]: ENCAP is "udp" or "none"; REQID defaults to 1.
mob_sa_pair() {
	local ns=$1 l=$2 r=$3 ispi=$4 ospi=$5 ikey=$6 okey=$7 lnet=$8 rnet=$9
	local encap=${10} q=${11:-1} e=''
	[[ $encap == udp ]] && e="encap espinudp 4500 4500 0.0.0.0"
	ns_ipb "$ns" <<EOF
xfrm state add src $l dst $r proto esp spi $ospi reqid $q mode tunnel replay-window 32 aead rfc4106(gcm(aes)) $okey 128 $e
xfrm state add src $r dst $l proto esp spi $ispi reqid $q mode tunnel replay-window 32 aead rfc4106(gcm(aes)) $ikey 128 $e
xfrm policy add src $lnet dst $rnet dir out tmpl src $l dst $r proto esp reqid $q mode tunnel
xfrm policy add src $rnet dst $lnet dir in tmpl src $r dst $l proto esp reqid $q mode tunnel
xfrm policy add src $rnet dst $lnet dir fwd tmpl src $r dst $l proto esp reqid $q mode tunnel
EOF
}

# mob_reinstall_cmds SRC DST SPI KEY ENCAP [OSEQ]: ip -batch commands that
# replace one SA of reqid 1 by a copy with the same SPI and key, as an IKE
# daemon updating it does (delete, add): ENCAP is "none" or "udp SPORT
# DPORT"; an outbound SA continues at sequence number OSEQ.
mob_reinstall_cmds() {
	local src=$1 dst=$2 spi=$3 key=$4 encap=$5 oseq=${6:-} e='' r=''
	[[ $encap == udp\ * ]] && e="encap espinudp ${encap#udp } 0.0.0.0"
	[[ -n $oseq ]] && r="replay-oseq $oseq"
	echo "xfrm state delete src $src dst $dst proto esp spi $spi"
	echo "xfrm state add src $src dst $dst proto esp spi $spi reqid 1 mode tunnel replay-window 32 $r aead rfc4106(gcm(aes)) $key 128 $e"
}

# mob_reinstall NS SRC DST SPI KEY ENCAP [OSEQ]: the same, done in NS.
mob_reinstall() {
	mob_reinstall_cmds "${@:2}" | ns_ipb "$1"
}

# mob_tunnel [udp|none]: SA pairs on X (at its local address) and on Y (at
# the address it sees for X), and Y's route to X's inner address.
mob_tunnel() {
	local encap=${1:-udp}
	mob_sa_pair "$NS_X" "$(ns_x_local_addr4)" "$Y_WAN4" "$MOB_SPI_YX" "$MOB_SPI_XY" \
		"$MOB_KEY_YX" "$MOB_KEY_XY" "$X_INNER4/32" 10.88.0.0/24 "$encap" || return
	mob_sa_pair "$NS_Y" "$Y_WAN4" "$(ns_x_seen_addr4)" "$MOB_SPI_XY" "$MOB_SPI_YX" \
		"$MOB_KEY_XY" "$MOB_KEY_YX" 10.88.0.0/24 "$X_INNER4/32" "$encap" || return
	ns_ip "$NS_Y" route replace "$X_INNER4/32" dev y-wan
}

# mob_setup [CONN-ARGS...]: the topology, ESP-in-UDP SA pairs and the
# connection "home" on X (mobile) and Y (gateway), with CONN-ARGS for both;
# a failure ends the test.
mob_setup() {
	if ! ns_topo_mobility >/dev/null 2>&1 || ! mob_tunnel udp; then
		ktap_fail "topology and SAs"
		ktap_finished
	fi
	if ! mobctl -n "$NS_X" conn add name home reqid 1 role mobile "$@" >/dev/null ||
	   ! mobctl -n "$NS_Y" conn add name home reqid 1 role gateway "$@" >/dev/null; then
		ktap_fail "conn add"
		ktap_finished
	fi
}

# mob_field NS DIR COLUMN: one column of `mobctl show dump` for the SA row
# of direction DIR (in/out) of the first connection. Columns (mobctl.8):
# 1 id, 2 name, 3 reqid, 4 role, 5 state, 6 dir, 7 spi, 8 src, 9 dst,
# 10 encap, 11 sport, 12 dport, 13 reg-state, 14 nat, 15 moves, 16 oseq,
# 17 reg-seq.
mob_field() {
	"$MOBCTL" -n "$1" show dump 2>/dev/null |
		awk -F'\t' -v d="$2" -v c="$3" '$6 == d { print $c; exit }'
}

# mob_stat NS NAME: a counter (or top-level field) of the first connection.
mob_stat() {
	"$MOBCTL" -n "$1" -j show 2>/dev/null | python3 -c '
import json, sys
c = json.load(sys.stdin)[0]
print(c.get("stats", {}).get(sys.argv[1], c.get(sys.argv[1], "")))' "$2"
}

mob_field_is() { [[ $(mob_field "$1" "$2" "$3") == "$4" ]]; }

# mob_wait_field NS DIR COLUMN VALUE [TIMEOUT_MS]
mob_wait_field() {
	busywait "${5:-10000}" mob_field_is "$1" "$2" "$3" "$4"
}

# One inner ping across the tunnel.
mob_ping_x2y() {
	ip netns exec "$NS_X" ping -q -c 1 -W 2 -I "$X_INNER4" "$Y_INNER4" >/dev/null 2>&1
}
mob_ping_y2x() {
	ip netns exec "$NS_Y" ping -q -c 1 -W 2 -I "$Y_INNER4" "$X_INNER4" >/dev/null 2>&1
}
