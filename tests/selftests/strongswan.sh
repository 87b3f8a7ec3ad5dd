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
# shellcheck source=lib/mobility.sh
. "$dir/lib/mobility.sh"
# shellcheck source=lib/strongswan.sh
. "$dir/lib/strongswan.sh"

mob_test_init ip nft tc ping
ss_available || ktap_skip_all "charon/swanctl not installed"
[[ -n $(ss_plugin) ]] || ktap_skip_all "xfrm-mobility charon plugin not built (make -C tools/strongswan)"
mob_topo

examples=$MOB_REPO/Documentation/examples/strongswan
work=$(mktemp -d)
ns_cleanup_add "rm -rf $work"
# DPD every 3 s instead of 10 s so that the test can watch one.
for side in mobile gateway; do
	sed 's/dpd_delay = 10s/dpd_delay = 3s/' "$examples/$side/swanctl.conf" >"$work/$side.conf"
done

# Keep charon's logs with the VM's results (runs after ss_stop).
# shellcheck disable=SC2016 # expanded when the cleanup runs
[[ -n ${XM_OUT:-} && -d ${XM_OUT:-} ]] &&
	ns_cleanup_add 'for n in mob gw; do cp "$(ss_log $n)" "$XM_OUT/strongswan-charon-$n.log"; done'

SS_SWANCTL_CONF=$work/gateway.conf ss_start "$NS_Y" gw "$examples/gateway" ||
	{ ktap_fail "charon on Y starts"; ktap_finished; }
SS_SWANCTL_CONF=$work/mobile.conf ss_start "$NS_X" mob "$examples/mobile" ||
	{ ktap_fail "charon on X starts"; ktap_finished; }
ktap_pass "charon runs on X and Y"

ktap_check "IKE_SA and CHILD_SA up (X direct)" ss_initiate mob home

# The plugin adopts a CHILD_SA as connection CHILD-<number>: "x:CHILD-[0-9]+"
# is X's connection of CHILD for mob_sa.
conn_reqid() { "$MOBCTL" -n "$1" -j show 2>/dev/null | python3 -c '
import json, re, sys
for c in json.load(sys.stdin):
    if re.fullmatch(re.escape(sys.argv[1]) + r"-[0-9]+", c["name"]):
        print(c["reqid"]); break' "$2"; }
conn_name() { mob_sa "$1:$2-[0-9]+" '*' name; }
# adopted CHILD: the plugin adopted CHILD on X and Y; the reqids are the
# check's note.
adopted() {
	[[ -n $(conn_reqid "$NS_X" "$1") && -n $(conn_reqid "$NS_Y" "$1") ]] || return
	ktap_note " on X (reqid $(conn_reqid "$NS_X" "$1")) and Y (reqid $(conn_reqid "$NS_Y" "$1"))"
}
adopted_on_x() { [[ -n $(conn_reqid "$NS_X" "$1") ]]; }
# conn_names NS: the names of the module's connections in NS, sorted, on
# one line with the children's numbers replaced by N ("home-N
# home-vip-N"); nothing and status 1 if mobctl gives no list.
conn_names() {
	"$MOBCTL" -n "$1" -j show 2>/dev/null | python3 -c '
import json, re, sys
print(" ".join(sorted(re.sub(r"-[0-9]+$", "-N", c["name"]) for c in json.load(sys.stdin))))'
}
# gone CHILD KEPT: on X and Y, the connections of CHILD are gone and those
# of KEPT are still there (exactly one each).
gone() {
	[[ $(conn_names "$NS_X") == "$2-N" && $(conn_names "$NS_Y") == "$2-N" ]]
}

ktap_check "plugin adopted CHILD_SA home" busywait 10000 adopted home ||
	ktap_diag "$(mob_show x y; grep xfrm-mobility "$(ss_log mob)" "$(ss_log gw)")"

ping_x2y() { ip netns exec "$NS_X" ping -q -c 1 -W 2 -I "$1" "$Y_INNER4" >/dev/null 2>&1; }
ping_y2x() { ip netns exec "$NS_Y" ping -q -c 1 -W 2 -I "$Y_INNER4" "$1" >/dev/null 2>&1; }
ktap_check "baseline X->Y" busywait 10000 ping_x2y "$X_INNER4"
ktap_check "baseline Y->X" busywait 10000 ping_y2x "$X_INNER4"

# updates NAME CHILD: SA re-installations by charon NAME of the SAs of
# CHILD (their SPIs as the module on X has them): kernel-netlink logs one
# "updating SAD entry" per SA it replaces (GETSA, DELSA, NEWSA).  Another
# tunnel's re-installations (its traffic may go another way after X moved)
# do not count.
updates() {
	local spis
	spis=$(mob_rows "x:$2-[0-9]+" spi | sed 's/^0x//' | paste -sd '|')
	[[ -n $spis ]] || { echo "no SAs of $2 on X" >&2; return 1; }
	grep -c -E "updating SAD entry with SPI ($spis) " "$(ss_log "$1")"
}

# IKE endpoints as swanctl lists them ("local  '...' @ ADDR[PORT]").
ike_ep() { # NAME CONN local|remote
	ss_swanctl "$1" --list-sas --ike "$2" 2>/dev/null |
		awk -v w="$3" '$1 == w { for (i = 2; i < NF; i++) if ($i == "@") { print $(i + 1); exit } }'
}
ike_ep_at() { [[ $(ike_ep "$1" "$2" "$3") == "$4"\[* ]]; } # NAME CONN local|remote ADDR

# settled CHILD ENCAP UX UY: both outbound SAs of the module use ENCAP
# and charon re-installed since the counts UX (X) and UY (Y).
settled() {
	mob_sa_is "x:$1-[0-9]+" out encap "$2" && mob_sa_is "y:$1-[0-9]+" out encap "$2" &&
		(($(updates mob "$1") > $3 && $(updates gw "$1") > $4))
}
# child_mode_is NAME CONN MODE: charon's CHILD_SA is installed in MODE.
child_mode_is() { ss_swanctl "$1" --list-sas --ike "$2" 2>/dev/null | grep -q "INSTALLED, $3,"; }

# moved CHILD SEEN: Y's SA of CHILD goes to SEEN and X's registration is done.
moved() {
	busywait 15000 mob_sa_is "y:$1-[0-9]+" out dst "$2" &&
		busywait 15000 mob_sa_is "x:$1-[0-9]+" out reg-state registered && return
	mob_show x y
	return 1
}

# ike_follows CONN XL SEEN PORT: the IKE_SA's endpoints follow, X's local
# address to XL, Y's peer address to SEEN; they are the check's note.
ike_follows() {
	if busywait 10000 ike_ep_at mob "$1" local "$2" &&
	   busywait 10000 ike_ep_at gw "$1" remote "$3"; then
		ktap_note " (X: $(ike_ep mob "$1" local) Y: peer $(ike_ep gw "$1" remote))"
		return
	fi
	echo "X local $(ike_ep mob "$1" local) want $2; Y remote $(ike_ep gw "$1" remote) want $3:$4"
	return 1
}

# one_reinstall_each CHILD ENCAP UX UY ENC0: once the module's outbound SAs
# of CHILD use ENCAP and charon re-installed on both sides since the
# counts UX and UY (within 60 s: a bound on a failure; plain ESP on the
# direct path needs a probe round first), charon re-installed exactly one
# SA on each side; the change of encapsulation (from ENC0) is the check's
# note.
one_reinstall_each() {
	local child=$1 want=$2 ux uy enc
	busywait 60000 settled "$child" "$want" "$3" "$4" ||
		echo "not settled within 60 s (module's outbound SAs $want, charon re-installed on both sides)"
	ux=$(($(updates mob "$child") - $3)) uy=$(($(updates gw "$child") - $4))
	enc=$(mob_sa "x:$child-[0-9]+" out encap)
	if ((ux == 1 && uy == 1)) && [[ $enc == "$want" ]]; then
		ktap_note " ($5 -> $enc)"
		return
	fi
	echo "X $ux Y $uy ($5 -> $enc, want $want); module: $(mob_show x y)"
	echo "NAT B conntrack: $(ns_ct_list "$NS_RB")"
	grep -h "updating SAD\|xfrm-mobility" "$(ss_log mob)" | tail -n $((ux + 4))
	grep -h "updating SAD\|xfrm-mobility" "$(ss_log gw)" | tail -n $((uy + 4))
	return 1
}

# child_modes_are CONN MODE: charon's CHILD_SAs on both sides are in MODE.
child_modes_are() {
	busywait 10000 child_mode_is mob "$1" "$2" && busywait 10000 child_mode_is gw "$1" "$2" && return
	ss_swanctl mob --list-sas --ike "$1"
	ss_swanctl gw --list-sas --ike "$1"
	return 1
}

# no_reinstall_since CHILD UX UY: charon's counts for CHILD are still UX
# and UY.
no_reinstall_since() {
	(($(updates mob "$1") == $2 && $(updates gw "$1") == $3)) && return
	echo "X +$(($(updates mob "$1") - $2)) Y +$(($(updates gw "$1") - $3))"
	return 1
}

# handover NAME MODE CHILD CONN ADDR_X: move X, ask the module for a
# handover, check the registration, the IKE endpoints and charon's
# re-installations on both sides.
handover() {
	local name=$1 mode=$2 child=$3 conn=$4 inner=$5 xl seen ux uy port enc0 want
	ux=$(updates mob "$child") uy=$(updates gw "$child")
	enc0=$(mob_sa "x:$child-[0-9]+" out encap)
	ktap_run ns_move_x "$mode"
	xl=$(ns_x_local_addr4)
	seen=$(ns_x_seen_addr4)
	if ! ktap_run mobctl -n "$NS_X" handover name "$(conn_name x "$child")"; then
		ktap_fail "$name: handover request"
		return
	fi
	ktap_check "$name: module moved X to $xl and Y to $seen" moved "$child" "$seen" || return
	port=$(mob_sa "y:$child-[0-9]+" out dport)
	ktap_check "$name: traffic X->Y" busywait 10000 ping_x2y "$inner"
	ktap_check "$name: traffic Y->X" busywait 10000 ping_y2x "$inner"
	ktap_check "$name: IKE_SA follows" ike_follows "$conn" "$xl" "$seen" "$port"
	# Wait until the encapsulation has settled (plain ESP on the direct
	# path needs a probe round, under load that takes seconds) and charon
	# re-installed on both sides, then count and demand silence.
	want=espinudp
	[[ $mode == direct ]] && want=none
	# Expected: once the module's SAs are settled (after the registration,
	# or after a switch to plain ESP once both directions are plain),
	# charon re-installs the one SA whose destination did not change (the
	# other is no longer found at its old address): exactly one per side.
	ktap_check "$name: charon re-installed 1 SA on each side" \
		one_reinstall_each "$child" "$want" "$ux" "$uy" "$enc0"
	# From here on nothing may be re-installed.
	ux=$(updates mob "$child") uy=$(updates gw "$child")
	# charon's CHILD_SA has the module's encapsulation.
	local ikemode=TUNNEL
	mob_sa_is "x:$child-[0-9]+" out encap espinudp && ikemode=TUNNEL-in-UDP
	ktap_check "$name: charon's CHILD_SA matches the module ($ikemode)" \
		child_modes_are "$conn" "$ikemode"
	# An absence has no event to wait for: a quiet period (it can only
	# fail if something happens in it).
	ns_sleep 3
	ktap_check "$name: no further re-installation (no flapping)" no_reinstall_since "$child" "$ux" "$uy"
}

handover "direct->NAT B" nat_b home home "$X_INNER4"
handover "NAT B->direct" direct home home "$X_INNER4"
handover "direct->NAT B again" nat_b home home "$X_INNER4"

# --- CHILD_SA rekeys --------------------------------------------------------
spi_of() { mob_sa "$1:home-[0-9]+" "$2" spi; } # SIDE DIR
# outs_left OLD_X OLD_Y: both outbound SPIs changed; X's change is the note.
outs_left() {
	[[ $(spi_of x out) != "$1" && $(spi_of y out) != "$2" ]] || return
	ktap_note " (X out $1 -> $(spi_of x out))"
}
esp_spis() { ip -n "$1" xfrm state | grep -o 'proto esp spi 0x[0-9a-f]*' | tr '\n' ' '; }
# new_inbound OLD_XI NEW_XI OLD_YI NEW_YI: both inbound SPIs changed.
new_inbound() {
	[[ $2 != "$1" && $4 != "$3" ]] && return
	echo "X: $(esp_spis "$NS_X")Y: $(esp_spis "$NS_Y")"
	return 1
}
# at_current_endpoints: X's outbound SA leaves from X's address, Y's goes
# to the address Y sees for X.
at_current_endpoints() {
	mob_sa_is "x:home-[0-9]+" out src "$(ns_x_local_addr4)" &&
		mob_sa_is "y:home-[0-9]+" out dst "$(ns_x_seen_addr4)" && return
	ip -n "$NS_X" xfrm state
	ip -n "$NS_Y" xfrm state
	return 1
}
sa_pairs_is() { [[ $(ip -n "$1" xfrm state | grep -c '^src') == "$2" ]]; }
rekey_child() { # NAME INSTANCE
	local name=$1 inst=$2 old_x old_y old_xi old_yi new_xi new_yi
	old_x=$(spi_of x out) old_y=$(spi_of y out)
	old_xi=$(spi_of x in) old_yi=$(spi_of y in)
	if ! ktap_run ss_swanctl "$inst" --rekey --child home; then
		ktap_fail "$name: swanctl --rekey --child"
		return
	fi
	ktap_check "$name: module uses the new SAs" busywait 15000 outs_left "$old_x" "$old_y" ||
		ktap_diag "$(mob_show x y)"
	new_xi=$(spi_of x in) new_yi=$(spi_of y in)
	# charon keeps the replaced inbound SA for delete_rekeyed_delay (5 s)
	# and installs the new inbound SA before the new outbound one: once the
	# module uses the new outbound SA it must use the new inbound SA too
	# (registrations arrive on it, a mobile's plain-ESP liveness counts its
	# packets), not the old one that no longer receives anything.
	ktap_check "$name: module uses the new inbound SAs (X in $old_xi -> $new_xi, Y in $old_yi -> $new_yi)" \
		new_inbound "$old_xi" "$new_xi" "$old_yi" "$new_yi"
	# The new SAs were installed at the current endpoints.
	ktap_check "$name: new SAs at the current endpoints" at_current_endpoints
	ktap_check "$name: traffic X->Y" busywait 10000 ping_x2y "$X_INNER4"
	ktap_check "$name: traffic Y->X" busywait 10000 ping_y2x "$X_INNER4"
	# The old SAs are gone (charon deleted them at the right address);
	# charon keeps the old inbound SA for delete_rekeyed_delay (5 s) to
	# catch packets still in flight.
	ktap_check "$name: X holds one SA pair" busywait 15000 sa_pairs_is "$NS_X" 2 ||
		ktap_diag "$(ip -n "$NS_X" xfrm state)"
	ktap_check "$name: Y holds one SA pair" busywait 15000 sa_pairs_is "$NS_Y" 2 ||
		ktap_diag "$(ip -n "$NS_Y" xfrm state)"
}
rekey_child "CHILD rekey from X (behind NAT B)" mob
handover "NAT B->direct after rekey" direct home home "$X_INNER4"
rekey_child "CHILD rekey from Y (direct)" gw
handover "direct->NAT B after rekey" nat_b home home "$X_INNER4"

# --- IKE_SA rekey and DPD -----------------------------------------------------
ike_id() { ss_swanctl "$1" --list-sas --ike home 2>/dev/null | awk -F'[#,]' '/^home:/ { print $2; exit }'; }
ike_id_left() { [[ -n $(ike_id mob) && $(ike_id mob) != "$1" ]]; }
# ike_rekeyed OLD: X rekeys its IKE_SA, whose id changes from OLD (the new
# id is the check's note).
ike_rekeyed() {
	ss_swanctl mob --rekey --ike home && busywait 15000 ike_id_left "$1" || return
	ktap_note " ($1 -> $(ike_id mob))"
}
ktap_check "IKE_SA rekey" ike_rekeyed "$(ike_id mob)"
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
dpd_answered() { ((dpd_x + dpd_y > 0)) || { tail -n 30 "$(ss_log mob)"; return 1; }; }
ktap_check "DPD answered ($dpd_x from X, $dpd_y from Y)" dpd_answered
# intact: both IKE_SAs exist, neither side gave up, X's connection is there.
intact() {
	[[ -n $(ike_id mob) && -n $(ike_id gw) ]] && ! grep -q "giving up after" "$(ss_log mob)" "$(ss_log gw)" &&
		[[ -n $(conn_reqid "$NS_X" home) ]] && return
	grep -h "deleting\|giving up" "$(ss_log mob)" "$(ss_log gw)"
	return 1
}
ktap_check "DPD: nothing torn down" intact
ktap_check "after DPD: traffic X->Y" busywait 10000 ping_x2y "$X_INNER4"

# --- virtual IP -----------------------------------------------------------
vip=''
# vip_up: the connection with a virtual IP comes up; the VIP is the note.
vip_up() {
	ss_initiate mob home-vip || return
	vip=$(ip -n "$NS_X" -4 -o addr show dev inner | awk '$4 ~ /^10\.99\.1\./ { sub("/.*", "", $4); print $4; exit }')
	ktap_note " (VIP ${vip:-none})"
}
vip_adopted() { [[ -n $vip ]] && busywait 10000 adopted_on_x home-vip; }
if ktap_check "VIP connection up" vip_up; then
	if ktap_check "plugin adopted CHILD_SA home-vip" vip_adopted; then
		ktap_check "VIP: baseline X->Y" busywait 10000 ping_x2y "$vip"
		handover "VIP: direct->NAT B" nat_b home-vip home-vip "$vip"
	else
		ktap_diag "$(mob_show x)"
	fi
fi

# --- teardown: the plugin removes the module's connections ----------------
# (the VIP connection: the one that was moved last, so both ends hear the
# delete)
ktap_run ss_swanctl mob --terminate --ike home-vip
ktap_check "terminate: home-vip's connections removed from the module on both sides, home's kept" \
	busywait 30000 gone home-vip home ||
	ktap_diag "X: $(conn_names "$NS_X"); Y: $(conn_names "$NS_Y")
$(mob_show x y)"

ktap_finished
