# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# The systems compared by bench/handover.sh (source after bench/outage.sh,
# which sources bench/lib/common.sh).  Each system NAME provides
#
#   sys_NAME_setup    the tunnel X <-> Y on the current topology, X at its
#                     direct address (inner addresses X_INNER4 <-> Y_INNER4
#                     reachable both ways when it returns)
#   sys_NAME_start    the long-running parts that react to moves (daemons,
#                     monitors), after the probers started
#
# and writes what it learns about its own timing into $HB_SW (the system's
# work directory): see bench/lib/analyze.py for the files it reads.
#
#   module      xfrm_mobility: strongSwan establishes the SAs (the
#               example configurations of Documentation/examples/strongswan,
#               MOBIKE off) and the xfrm-mobility charon plugin adopts the
#               CHILD_SA into the module on both ends; "mobctl daemon" on X
#               moves it, "mobctl -j monitor" on both ends
#   wireguard   Debian's wireguard.ko with wg(8), endpoint roaming
#   stock       plain XFRM, SAs re-created by bench/lib/xfrm-mover.sh
#   mobike      strongSwan MOBIKE, module not managing the SAs
#   reauth      strongSwan without MOBIKE, make_before_break=no
#   reauth-mbb  strongSwan without MOBIKE, make_before_break=yes

# shellcheck disable=SC2317 # functions called through "sys_${name}_..."

HB_SW=''
HB_PIDS=()

# hb_bg CMD...: run CMD in the background and stop it with the system.
hb_bg() {
	"$@" &
	HB_PIDS+=($!)
}

# --- xfrm_mobility ------------------------------------------------------------

# The module system's SAs come from strongSwan (hb_ss_module_setup in
# bench/lib/strongswan.sh): the plugin adds the CHILD_SA "home" to the
# module as connection home-<IKE_SA unique id> on each side.
sys_module_setup() {
	hb_ss_module_setup
}

sys_module_start() {
	hb_bg ip netns exec "$NS_X" "$MOBCTL" -j monitor >"$HB_SW/events-x.jsonl" 2>"$HB_SW/monitor-x.err"
	hb_bg ip netns exec "$NS_Y" "$MOBCTL" -j monitor >"$HB_SW/events-y.jsonl" 2>"$HB_SW/monitor-y.err"
	hb_bg "$MOBCTL" -n "$NS_X" daemon -v >"$HB_SW/daemon-x.log" 2>&1
	busywait 10000 grep -q 'daemon: watching' "$HB_SW/daemon-x.log"
}

# --- WireGuard ---------------------------------------------------------------

HB_WG_PORT_X=51821
HB_WG_PORT_Y=51820

sys_wireguard_setup() {
	local kx ky px py
	command -v wg >/dev/null || { echo "wg missing (wireguard-tools)" >&2; return 4; }
	modprobe wireguard 2>/dev/null
	kx=$HB_SW/wg-x.key ky=$HB_SW/wg-y.key
	(umask 077 && wg genkey >"$kx" && wg genkey >"$ky") || return
	px=$(wg pubkey <"$kx") && py=$(wg pubkey <"$ky") || return
	ns_ipb "$NS_X" <<EOF || return
link add wg0 type wireguard
link set wg0 up
route add $Y_INNER4/32 dev wg0 src $X_INNER4
EOF
	ns_ipb "$NS_Y" <<EOF || return
link add wg0 type wireguard
link set wg0 up
route replace $X_INNER4/32 dev wg0 src $Y_INNER4
EOF
	ip netns exec "$NS_X" wg set wg0 private-key "$kx" listen-port "$HB_WG_PORT_X" \
		peer "$py" allowed-ips 10.88.0.0/24 endpoint "$Y_WAN4:$HB_WG_PORT_Y" || return
	ip netns exec "$NS_Y" wg set wg0 private-key "$ky" listen-port "$HB_WG_PORT_Y" \
		peer "$px" allowed-ips "$X_INNER4/32" || return
	busywait 10000 mob_ping_x2y
}

sys_wireguard_start() { :; }

# --- stock XFRM, moved from userspace ------------------------------------------

# hb_encap_sock NS: hold a UDP_ENCAP_ESPINUDP socket on port 4500 (what an
# IKE daemon would hold) so that ESP-in-UDP is decapsulated.
hb_encap_sock() {
	hb_bg ip netns exec "$1" python3 "$BENCH_LIB/encap_sock.py"
}

sys_stock_setup() {
	hb_encap_sock "$NS_X"
	hb_encap_sock "$NS_Y"
	mob_tunnel udp || return
	busywait 10000 mob_ping_x2y
}

sys_stock_start() {
	hb_bg "$BENCH_LIB/xfrm-mover.sh" x "$NS_X" "$X_A4" "$Y_WAN4" "$MOB_SPI_YX" "$MOB_SPI_XY" \
		"$MOB_KEY_YX" "$MOB_KEY_XY" "$X_INNER4/32" 10.88.0.0/24 "$HB_SW/mover-x.log"
	hb_bg "$BENCH_LIB/xfrm-mover.sh" y "$NS_Y" "$Y_WAN4" "$X_A4" "$MOB_SPI_XY" "$MOB_SPI_YX" \
		"$MOB_KEY_XY" "$MOB_KEY_YX" 10.88.0.0/24 "$X_INNER4/32" "$HB_SW/mover-y.log"
	busywait 5000 grep -q 'start y' "$HB_SW/mover-y.log" &&
		busywait 5000 grep -q 'start x' "$HB_SW/mover-x.log"
}

# --- strongSwan ----------------------------------------------------------------

# shellcheck source=bench/lib/strongswan.sh
. "$BENCH_LIB/strongswan.sh"

sys_mobike_setup() { hb_ss_setup mobike; }
sys_mobike_start() { :; }
sys_reauth_setup() { hb_ss_setup reauth; }
sys_reauth_start() { :; }
sys_reauth_mbb_setup() { hb_ss_setup reauth-mbb; }
sys_reauth_mbb_start() { :; }
