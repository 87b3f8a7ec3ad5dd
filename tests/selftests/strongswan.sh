#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
#
# strongSwan sets up the connection, xfrm_mobility moves it, and IKE keeps
# working.  Real charon + swanctl in X and Y (configs from
# Documentation/examples/strongswan, PSK, tunnel mode, NAT-T as detected),
# with the xfrm-mobility charon plugin on both sides: it adopts the
# CHILD_SA into the module and, after every registration, moves the IKE_SA
# to the endpoints the module chose.
#
#   adoption: the plugin adds the CHILD_SA's reqid to the module
#   handovers direct -> NAT B -> direct, each followed by
#     - the IKE_SA's endpoints (swanctl --list-sas) on both sides
#     - the number of SAs charon re-installs (counted in its log), and
#       none at all in a quiet period afterwards (no flapping)
#   CHILD_SA rekey from X and from Y: new SAs at the current endpoints,
#     adopted by the module (same connection) in both directions at once
#     (while charon still keeps the old inbound SA), traffic continues,
#     and a handover after the rekey moves the new SAs
#   IKE_SA rekey, DPD: succeed, nothing torn down
#   virtual IP: a second connection with a VIP, moved the same way
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$dir/lib/ktap.sh"
. "$dir/lib/netns.sh"
. "$dir/lib/mobility.sh"
. "$dir/lib/strongswan.sh"

ktap_header
ktap_require_root
ktap_require_cmd ip nft tc ping
ss_available || ktap_skip_all "charon/swanctl not installed"
[[ -n $(ss_plugin) ]] || ktap_skip_all "xfrm-mobility charon plugin not built (make -C tools/strongswan)"
mob_load || ktap_skip_all "xfrm_mobility not loadable (XM_KO unset?)"

if ! ns_topo_mobility >/dev/null 2>&1; then
	ktap_fail "topology" "ns_topo_mobility failed"
	ktap_finished
fi

examples=$MOB_REPO/Documentation/examples/strongswan
work=$(mktemp -d)
ns_cleanup_add "rm -rf $work"
# DPD every 3 s instead of 10 s so that the test can watch one.
for side in mobile gateway; do
	sed 's/dpd_delay = 10s/dpd_delay = 3s/' "$examples/$side/swanctl.conf" >"$work/$side.conf"
done

# Keep charon's logs with the VM's results (runs after ss_stop).
[[ -n ${XM_OUT:-} && -d ${XM_OUT:-} ]] &&
	ns_cleanup_add 'for n in mob gw; do cp "$(ss_log $n)" "$XM_OUT/strongswan-charon-$n.log"; done'

SS_SWANCTL_CONF=$work/gateway.conf ss_start "$NS_Y" gw "$examples/gateway" ||
	{ ktap_fail "charon on Y starts"; ktap_finished; }
SS_SWANCTL_CONF=$work/mobile.conf ss_start "$NS_X" mob "$examples/mobile" ||
	{ ktap_fail "charon on X starts"; ktap_finished; }
ktap_pass "charon runs on X and Y"

ktap_check "IKE_SA and CHILD_SA up (X direct)" ss_initiate mob home

# The plugin adopted the CHILD_SA on both sides.
conn_reqid() { "$MOBCTL" -n "$1" -j show 2>/dev/null | python3 -c '
import json, re, sys
for c in json.load(sys.stdin):
    if re.fullmatch(re.escape(sys.argv[1]) + r"-[0-9]+", c["name"]):
        print(c["reqid"]); break' "$2"; }
conn_field() { # NS CHILD DIR COLUMN
	"$MOBCTL" -n "$1" show dump 2>/dev/null |
		awk -F'\t' -v n="^$2-[0-9]+$" -v d="$3" -v c="$4" \
			'$2 ~ n && $6 == d { print $c; exit }'
}
conn_field_is() { [[ $(conn_field "$1" "$2" "$3" "$4") == "$5" ]]; }

if busywait 10000 eval '[[ -n $(conn_reqid "$NS_X" home) && -n $(conn_reqid "$NS_Y" home) ]]'; then
	ktap_pass "plugin adopted CHILD_SA home on X (reqid $(conn_reqid "$NS_X" home)) and Y (reqid $(conn_reqid "$NS_Y" home))"
else
	ktap_fail "plugin adopted CHILD_SA home on X and Y" \
		"$(mobctl -n "$NS_X" show; mobctl -n "$NS_Y" show; grep xfrm-mobility "$(ss_log mob)" "$(ss_log gw)")"
fi

ping_x2y() { ip netns exec "$NS_X" ping -q -c 1 -W 2 -I "$1" "$Y_INNER4" >/dev/null 2>&1; }
ping_y2x() { ip netns exec "$NS_Y" ping -q -c 1 -W 2 -I "$Y_INNER4" "$1" >/dev/null 2>&1; }
ktap_check "baseline X->Y" busywait 10000 ping_x2y "$X_INNER4"
ktap_check "baseline Y->X" busywait 10000 ping_y2x "$X_INNER4"

# SA re-installations by charon: kernel-netlink logs one "updating SAD
# entry" per SA it replaces (GETSA, DELSA, NEWSA).
updates() { grep -c "updating SAD entry with SPI" "$(ss_log "$1")"; }

# IKE endpoints as swanctl lists them ("local  '...' @ ADDR[PORT]").
ike_ep() { # NAME CONN local|remote
	ss_swanctl "$1" --list-sas --ike "$2" 2>/dev/null |
		awk -v w="$3" '$1 == w { for (i = 2; i < NF; i++) if ($i == "@") { print $(i + 1); exit } }'
}
ike_ep_is() { [[ $(ike_ep "$1" "$2" "$3") == "$4" ]]; }

# settled CHILD ENCAP UX UY: both outbound SAs of the module use ENCAP
# and charon re-installed since the counts UX (X) and UY (Y).
settled() {
	conn_field_is "$NS_X" "$1" out 10 "$2" && conn_field_is "$NS_Y" "$1" out 10 "$2" &&
		(($(updates mob) > $3 && $(updates gw) > $4))
}
# child_mode_is NAME CONN MODE: charon's CHILD_SA is installed in MODE.
child_mode_is() { ss_swanctl "$1" --list-sas --ike "$2" 2>/dev/null | grep -q "INSTALLED, $3,"; }

# handover NAME MODE CHILD CONN ADDR_X: move X, ask the module for a
# handover, check the registration, the IKE endpoints and charon's
# re-installations on both sides.
handover() {
	local name=$1 mode=$2 child=$3 conn=$4 inner=$5 xl seen ux uy port enc0 want
	ux=$(updates mob) uy=$(updates gw)
	enc0=$(conn_field "$NS_X" "$child" out 10)
	ns_move_x "$mode" >/dev/null 2>&1
	xl=$(ns_x_local_addr4)
	seen=$(ns_x_seen_addr4)
	if ! out=$(mobctl -n "$NS_X" handover name "$(conn_name "$NS_X" "$child")" 2>&1); then
		ktap_fail "$name: handover request" "$out"
		return
	fi
	if busywait 15000 conn_field_is "$NS_Y" "$child" out 9 "$seen" &&
	   busywait 15000 conn_field_is "$NS_X" "$child" out 13 registered; then
		ktap_pass "$name: module moved X to $xl and Y to $seen"
	else
		ktap_fail "$name: module moved X and Y" "$(mobctl -n "$NS_X" show; mobctl -n "$NS_Y" show)"
		return
	fi
	port=$(conn_field "$NS_Y" "$child" out 12)
	ktap_check "$name: traffic X->Y" busywait 10000 ping_x2y "$inner"
	ktap_check "$name: traffic Y->X" busywait 10000 ping_y2x "$inner"
	if busywait 10000 eval '[[ $(ike_ep mob "$conn" local) == "$xl"\[* ]]' &&
	   busywait 10000 eval '[[ $(ike_ep gw "$conn" remote) == "$seen"\[* ]]'; then
		ktap_pass "$name: IKE_SA follows (X: $(ike_ep mob "$conn" local) Y: peer $(ike_ep gw "$conn" remote))"
	else
		ktap_fail "$name: IKE_SA follows" \
			"X local $(ike_ep mob "$conn" local) want $xl; Y remote $(ike_ep gw "$conn" remote) want $seen:$port"
	fi
	# Wait until the encapsulation has settled (plain ESP on the direct
	# path needs a probe round, under load that takes seconds) and charon
	# re-installed on both sides, then count and demand silence.
	want=espinudp
	[[ $mode == direct ]] && want=none
	busywait 20000 settled "$child" "$want" "$ux" "$uy"
	# Expected: once the module's SAs are settled (after the registration,
	# or after a switch to plain ESP once both directions are plain),
	# charon re-installs the one SA whose destination did not change (the
	# other is no longer found at its old address): exactly one per side.
	ux=$(( $(updates mob) - ux )) uy=$(( $(updates gw) - uy ))
	if ((ux == 1 && uy == 1)); then
		ktap_pass "$name: charon re-installed 1 SA on each side ($enc0 -> $(conn_field "$NS_X" "$child" out 10))"
	else
		ktap_fail "$name: charon re-installed 1 SA on each side" \
			"X $ux Y $uy ($enc0 -> $(conn_field "$NS_X" "$child" out 10)); module: $(mobctl -n "$NS_X" show; mobctl -n "$NS_Y" show)
NAT B conntrack: $(ns_ct_list "$NS_RB")"
		grep -h "updating SAD\|xfrm-mobility" "$(ss_log mob)" | tail -n $((ux + 4))
		grep -h "updating SAD\|xfrm-mobility" "$(ss_log gw)" | tail -n $((uy + 4))
	fi
	# From here on nothing may be re-installed.
	ux=$(updates mob) uy=$(updates gw)
	# charon's CHILD_SA has the module's encapsulation.
	local ikemode=TUNNEL
	[[ $(conn_field "$NS_X" "$child" out 10) == espinudp ]] && ikemode=TUNNEL-in-UDP
	if busywait 10000 child_mode_is mob "$conn" "$ikemode" &&
	   busywait 10000 child_mode_is gw "$conn" "$ikemode"; then
		ktap_pass "$name: charon's CHILD_SA matches the module ($ikemode)"
	else
		ktap_fail "$name: charon's CHILD_SA matches the module ($ikemode)" \
			"$(ss_swanctl mob --list-sas --ike "$conn"; ss_swanctl gw --list-sas --ike "$conn")"
	fi
	ns_sleep 3
	if (( $(updates mob) == ux && $(updates gw) == uy )); then
		ktap_pass "$name: no further re-installation (no flapping)"
	else
		ktap_fail "$name: no further re-installation (no flapping)" \
			"X +$(( $(updates mob) - ux )) Y +$(( $(updates gw) - uy ))"
	fi
}

conn_name() { "$MOBCTL" -n "$1" show dump 2>/dev/null |
	awk -F'\t' -v n="^$2-[0-9]+$" '$2 ~ n { print $2; exit }'; }

handover "direct->NAT B" nat_b home home "$X_INNER4"
handover "NAT B->direct" direct home home "$X_INNER4"
handover "direct->NAT B again" nat_b home home "$X_INNER4"

# --- CHILD_SA rekeys --------------------------------------------------------
spi_of() { conn_field "$1" "$2" "$3" 7; }
rekey_child() { # NAME INSTANCE
	local name=$1 inst=$2 old_x old_y old_xi old_yi new_xi new_yi
	old_x=$(spi_of "$NS_X" home out) old_y=$(spi_of "$NS_Y" home out)
	old_xi=$(spi_of "$NS_X" home in) old_yi=$(spi_of "$NS_Y" home in)
	if ! out=$(ss_swanctl "$inst" --rekey --child home 2>&1); then
		ktap_fail "$name: swanctl --rekey --child" "$out"
		return
	fi
	if busywait 15000 eval '[[ $(spi_of "$NS_X" home out) != "$old_x" && $(spi_of "$NS_Y" home out) != "$old_y" ]]'; then
		new_xi=$(spi_of "$NS_X" home in) new_yi=$(spi_of "$NS_Y" home in)
		ktap_pass "$name: module uses the new SAs (X out $old_x -> $(spi_of "$NS_X" home out))"
	else
		new_xi=$(spi_of "$NS_X" home in) new_yi=$(spi_of "$NS_Y" home in)
		ktap_fail "$name: module uses the new SAs" "$(mobctl -n "$NS_X" show; mobctl -n "$NS_Y" show)"
	fi
	# charon keeps the replaced inbound SA for delete_rekeyed_delay (5 s)
	# and installs the new inbound SA before the new outbound one: once the
	# module uses the new outbound SA it must use the new inbound SA too
	# (registrations arrive on it, a mobile's plain-ESP liveness counts its
	# packets), not the old one that no longer receives anything.
	if [[ $new_xi != "$old_xi" && $new_yi != "$old_yi" ]]; then
		ktap_pass "$name: module uses the new inbound SAs (X in $old_xi -> $new_xi, Y in $old_yi -> $new_yi)"
	else
		ktap_fail "$name: module uses the new inbound SAs" \
			"X in $old_xi -> $new_xi, Y in $old_yi -> $new_yi; X: $(ip -n "$NS_X" xfrm state | grep -o 'proto esp spi 0x[0-9a-f]*' | tr '\n' ' ')Y: $(ip -n "$NS_Y" xfrm state | grep -o 'proto esp spi 0x[0-9a-f]*' | tr '\n' ' ')"
	fi
	# The new SAs were installed at the current endpoints.
	if [[ $(conn_field "$NS_X" home out 8) == "$(ns_x_local_addr4)" &&
	      $(conn_field "$NS_Y" home out 9) == "$(ns_x_seen_addr4)" ]]; then
		ktap_pass "$name: new SAs at the current endpoints"
	else
		ktap_fail "$name: new SAs at the current endpoints" \
			"$(ip -n "$NS_X" xfrm state; ip -n "$NS_Y" xfrm state)"
	fi
	ktap_check "$name: traffic X->Y" busywait 10000 ping_x2y "$X_INNER4"
	ktap_check "$name: traffic Y->X" busywait 10000 ping_y2x "$X_INNER4"
	# The old SAs are gone (charon deleted them at the right address);
	# charon keeps the old inbound SA for delete_rekeyed_delay (5 s) to
	# catch packets still in flight.
	busywait 15000 sa_pairs_is "$NS_X" 2 && ktap_pass "$name: X holds one SA pair" ||
		ktap_fail "$name: X holds one SA pair" "$(ip -n "$NS_X" xfrm state)"
	busywait 15000 sa_pairs_is "$NS_Y" 2 && ktap_pass "$name: Y holds one SA pair" ||
		ktap_fail "$name: Y holds one SA pair" "$(ip -n "$NS_Y" xfrm state)"
}
sa_pairs_is() { [[ $(ip -n "$1" xfrm state | grep -c '^src') == "$2" ]]; }
rekey_child "CHILD rekey from X (behind NAT B)" mob
handover "NAT B->direct after rekey" direct home home "$X_INNER4"
rekey_child "CHILD rekey from Y (direct)" gw
handover "direct->NAT B after rekey" nat_b home home "$X_INNER4"

# --- IKE_SA rekey and DPD -----------------------------------------------------
ike_spi() { ss_swanctl "$1" --list-sas --ike home 2>/dev/null | awk '/^home:/ { print $NF; exit }'; }
ike_id() { ss_swanctl "$1" --list-sas --ike home 2>/dev/null | awk -F'[#,]' '/^home:/ { print $2; exit }'; }
old_ike=$(ike_id mob)
if out=$(ss_swanctl mob --rekey --ike home 2>&1) &&
   busywait 15000 eval '[[ -n $(ike_id mob) && $(ike_id mob) != "$old_ike" ]]'; then
	ktap_pass "IKE_SA rekey ($old_ike -> $(ike_id mob))"
else
	ktap_fail "IKE_SA rekey" "$out"
fi
ktap_check "after IKE rekey: traffic X->Y" busywait 10000 ping_x2y "$X_INNER4"
ktap_check "after IKE rekey: traffic Y->X" busywait 10000 ping_y2x "$X_INNER4"
handover "NAT B->direct after IKE rekey" direct home home "$X_INNER4"

# DPD: with no traffic for dpd_delay (3 s) a side sends a DPD, which must
# be answered on the current path.  Whichever side's timer fires first
# sends it (an inbound DPD request resets the other side's timer); wait up
# to 20 s (a few dpd_delay periods and a retransmission) for one.
dpd_resp() { grep -c "parsed INFORMATIONAL response" "$(ss_log "$1")"; }
dpd_x=$(dpd_resp mob) dpd_y=$(dpd_resp gw)
dpd_seen() { (($(dpd_resp mob) + $(dpd_resp gw) > dpd_x + dpd_y)); }
busywait 20000 dpd_seen
dpd_x=$(( $(dpd_resp mob) - dpd_x )) dpd_y=$(( $(dpd_resp gw) - dpd_y ))
if ((dpd_x + dpd_y > 0)); then
	ktap_pass "DPD answered ($dpd_x from X, $dpd_y from Y)"
else
	ktap_fail "DPD answered" "$(tail -n 30 "$(ss_log mob)")"
fi
if [[ -n $(ike_id mob) && -n $(ike_id gw) ]] && ! grep -q "giving up after" "$(ss_log mob)" "$(ss_log gw)" &&
   [[ -n $(conn_reqid "$NS_X" home) ]]; then
	ktap_pass "DPD: nothing torn down"
else
	ktap_fail "DPD: nothing torn down" "$(grep -h "deleting\|giving up" "$(ss_log mob)" "$(ss_log gw)")"
fi
ktap_check "after DPD: traffic X->Y" busywait 10000 ping_x2y "$X_INNER4"

# --- virtual IP -----------------------------------------------------------
if ss_initiate mob home-vip; then
	vip=$(ip -n "$NS_X" -4 -o addr show dev inner | awk '$4 ~ /^10\.99\.1\./ { sub("/.*", "", $4); print $4; exit }')
	ktap_pass "VIP connection up (VIP ${vip:-none})"
	if [[ -n $vip ]] && busywait 10000 eval '[[ -n $(conn_reqid "$NS_X" home-vip) ]]'; then
		ktap_pass "plugin adopted CHILD_SA home-vip"
		ktap_check "VIP: baseline X->Y" busywait 10000 ping_x2y "$vip"
		handover "VIP: direct->NAT B" nat_b home-vip home-vip "$vip"
	else
		ktap_fail "plugin adopted CHILD_SA home-vip" "$(mobctl -n "$NS_X" show)"
	fi
else
	ktap_fail "VIP connection up"
fi

# --- teardown: the plugin removes the module's connections ----------------
# (the VIP connection: the one that was moved last, so both ends hear the
# delete)
ss_swanctl mob --terminate --ike home-vip >/dev/null 2>&1
if busywait 10000 eval '[[ -z $(conn_reqid "$NS_X" home-vip) && -z $(conn_reqid "$NS_Y" home-vip) ]]'; then
	ktap_pass "terminate: connections removed from the module on both sides"
else
	ktap_fail "terminate: connections removed from the module on both sides" "$(mobctl -n "$NS_X" show; mobctl -n "$NS_Y" show)"
fi

ktap_finished
