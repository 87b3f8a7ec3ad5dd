# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# strongSwan systems of bench/handover.sh (sourced by bench/lib/systems.sh):
# one charon in X's namespace (initiator, mobile) and one in Y's (responder),
# PSK IKEv2, tunnel mode, X 10.99.0.2/32 <-> Y 10.88.0.0/24, as in
# Documentation/examples/strongswan/, with the variant's settings:
#
#   mobike      mobike = yes on both, roam events on (X handles its moves
#               with MOBIKE; Y follows NAT mappings of ESP-in-UDP)
#   reauth      mobike = no, make_before_break = no: X reauthenticates
#               (break-before-make) after its address went away
#   reauth-mbb  mobike = no, make_before_break = yes
#
# charon's defaults otherwise (retransmission 4 s x 1.8^n, 5 tries), no
# DPD, no rekeying within the run, install_routes = no (X's default route
# and a host route on Y carry the inner traffic to the policies).
#
# Instances are started with tests/selftests/lib/strongswan.sh (ss_start,
# ss_initiate; instance directories copied to $HB_SW/ss, its xfrm-mobility
# plugin not loaded: these systems run without the module managing the
# SAs).  Logs: $HB_SW/ss/{mob,gw}/charon.log (times with ms;
# bench/lib/analyze.py reads the first IKE packet X sent from its new
# address and Y's NAT mapping updates from them).

# shellcheck source=tests/selftests/lib/strongswan.sh
. "$BENCH_REPO/tests/selftests/lib/strongswan.sh"

# hb_ss_conf DIR NAME VARIANT ROLE: strongswan.conf and swanctl.conf.
hb_ss_conf() {
	local d=$1 name=$2 variant=$3 role=$4 mobike=no mbb=no
	[[ $variant == mobike ]] && mobike=yes
	[[ $variant == reauth-mbb ]] && mbb=yes
	mkdir -p "$d" || return
	cat >"$d/strongswan.conf" <<EOF
charon {
	install_routes = no
	install_virtual_ip = no
	make_before_break = $mbb
	interfaces_ignore = inner, lo
	plugins {
		kernel-netlink {
			roam_events = yes
		}
	}
}
EOF
	local la ra lts rts lid rid
	if [[ $role == mobile ]]; then
		la=%any ra=$Y_WAN4 lts=$X_INNER4/32 rts=10.88.0.0/24
		lid=mobile@example.org rid=gateway@example.org
	else
		la=$Y_WAN4 ra=%any lts=10.88.0.0/24 rts=$X_INNER4/32
		lid=gateway@example.org rid=mobile@example.org
	fi
	cat >"$d/swanctl.conf" <<EOF
connections {
	home {
		version = 2
		local_addrs = $la
		remote_addrs = $ra
		mobike = $mobike
		proposals = aes128-sha256-modp2048
		dpd_delay = 0s
		rekey_time = 0s
		reauth_time = 0s
		local {
			auth = psk
			id = $lid
		}
		remote {
			auth = psk
			id = $rid
		}
		children {
			home {
				local_ts = $lts
				remote_ts = $rts
				mode = tunnel
				esp_proposals = aes128gcm128
				rekey_time = 0s
				life_time = 0s
				start_action = none
			}
		}
	}
}
secrets {
	ike-home {
		id-1 = mobile@example.org
		id-2 = gateway@example.org
		secret = "benchmark-psk-0123456789abcdef"
	}
}
EOF
}

# hb_ss_setup VARIANT: both charons, initiate from X.
hb_ss_setup() {
	# charon runs with a private /run, where the results directory of the
	# VM ($XM_OUT) lives: its files go to /tmp, the logs are copied to
	# $HB_SW/ss when the system stops (hb_ss_collect).
	local variant=$1 base=/tmp/hb-ss-$1 dx dy
	rm -rf "$base"
	dx=$base/conf/mob dy=$base/conf/gw
	ss_available || { echo "strongSwan (charon, swanctl) missing" >&2; return 4; }
	hb_ss_conf "$dx" mob "$variant" mobile && hb_ss_conf "$dy" gw "$variant" gateway || return
	ns_ip "$NS_Y" route replace "$X_INNER4/32" dev y-wan || return
	SS_RUN=$base/run SS_PLUGIN=none
	HB_SS_BASE=$base
	ss_start "$NS_Y" gw "$dy" && ss_start "$NS_X" mob "$dx" && ss_initiate mob home || return
	busywait 10000 mob_ping_x2y
}

# hb_ss_adopted NS: the module manages a connection named home-<id> in NS
# (the plugin adopted the CHILD_SA).
hb_ss_adopted() {
	"$MOBCTL" -n "$1" show dump 2>/dev/null | awk -F'\t' '$2 ~ /^home-[0-9]+$/ { f = 1 } END { exit !f }'
}

# hb_ss_module_setup: the module system.  charon on both sides with the
# example configurations of Documentation/examples/strongswan/{mobile,
# gateway} (MOBIKE off, roam events off on X, the xfrm-mobility plugin
# adopting CHILD_SA "home" as a mobile / gateway connection), X initiates.
# The plugin: XM_SS_PLUGIN (bench/run.sh builds and passes it), else the
# repository's build/strongswan.
hb_ss_module_setup() {
	local base=/tmp/hb-ss-module ex=$BENCH_REPO/Documentation/examples/strongswan
	rm -rf "$base"
	ss_available || { echo "strongSwan (charon, swanctl) missing" >&2; return 4; }
	SS_PLUGIN=${XM_SS_PLUGIN:-$BENCH_REPO/build/strongswan/libstrongswan-xfrm-mobility.so}
	[[ -r $SS_PLUGIN ]] || { echo "no xfrm-mobility charon plugin at $SS_PLUGIN (make strongswan-plugin)" >&2; return 4; }
	ns_ip "$NS_Y" route replace "$X_INNER4/32" dev y-wan || return
	SS_RUN=$base/run
	HB_SS_BASE=$base
	ss_start "$NS_Y" gw "$ex/gateway" && ss_start "$NS_X" mob "$ex/mobile" && ss_initiate mob home || return
	if ! busywait 10000 hb_ss_adopted "$NS_X" || ! busywait 10000 hb_ss_adopted "$NS_Y"; then
		echo "the xfrm-mobility plugin did not adopt CHILD_SA home" >&2
		"$MOBCTL" -n "$NS_X" show >&2
		"$MOBCTL" -n "$NS_Y" show >&2
		return 1
	fi
	busywait 10000 mob_ping_x2y
}

# hb_ss_collect: instance directories (logs, configurations) into $HB_SW/ss.
hb_ss_collect() {
	[[ -n ${HB_SS_BASE:-} && -d $HB_SS_BASE/run ]] || return 0
	# Not the plugin directory copies, nor the VICI sockets (a charon
	# killed late leaves its socket; the results directory cannot hold
	# one).
	rm -rf "$HB_SS_BASE"/run/*/plugins "$HB_SS_BASE"/run/*/charon.vici
	mkdir -p "$HB_SW/ss" && cp -r "$HB_SS_BASE"/run/. "$HB_SW/ss/"
	[[ -d $HB_SS_BASE/conf ]] && cp -r "$HB_SS_BASE/conf" "$HB_SW/ss/conf"
	rm -rf "$HB_SS_BASE"
	HB_SS_BASE=''
}
