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
# Instances are started with ss_start/ss_swanctl/ss_stop from
# tests/selftests/lib/strongswan.sh when that file exists, else by the
# fallback below (private /run via unshare -m, VICI socket in the
# instance's directory).  Logs: $HB_SW/ss/{mob,gw}/charon.log (times with
# ms; bench/lib/analyze.py reads the first IKE packet sent from X's new
# address and Y's NAT mapping updates from them).

HB_SS_LIB=$HB_REPO/tests/selftests/lib/strongswan.sh
HB_SS_NAMES=()

if [[ -r $HB_SS_LIB ]]; then
	# shellcheck source=/dev/null
	. "$HB_SS_LIB"
fi

# hb_ss_conf DIR NAME VARIANT ROLE: strongswan.conf and swanctl.conf.
hb_ss_conf() {
	local d=$1 name=$2 variant=$3 role=$4 mobike=no mbb=no
	[[ $variant == mobike ]] && mobike=yes
	[[ $variant == reauth-mbb ]] && mbb=yes
	mkdir -p "$d"/{x509,x509ca,x509aa,x509ocsp,x509crl,x509ac,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12} || return
	cat >"$d/strongswan.conf" <<EOF
charon {
	load_modular = no
	load = random nonce aes sha1 sha2 hmac kdf gmp pem pkcs1 x509 pubkey kernel-netlink socket-default vici
	install_routes = no
	install_virtual_ip = no
	make_before_break = $mbb
	interfaces_ignore = inner, lo
	plugins {
		vici {
			socket = unix://$d/charon.vici
		}
		kernel-netlink {
			roam_events = yes
		}
	}
	filelog {
		$name {
			path = $d/charon.log
			time_format = %T
			time_add_ms = yes
			flush_line = yes
			default = 1
			ike = 2
			knl = 2
		}
	}
}
swanctl {
	load = random nonce aes sha1 sha2 hmac pem pkcs1 x509 pubkey
	socket = unix://$d/charon.vici
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

# Fallback start/stop (used when tests/selftests/lib/strongswan.sh is absent).
hb_ss_start_fallback() {
	local ns=$1 name=$2 d=$3
	ip netns exec "$ns" unshare -m sh -c \
		"mount -t tmpfs none /run && exec env STRONGSWAN_CONF=$d/strongswan.conf /usr/lib/ipsec/charon" \
		>"$d/charon.out" 2>&1 &
	HB_PIDS+=($!)
	busywait 20000 test -S "$d/charon.vici"
}

hb_ss_swanctl_fallback() {
	local d=$1 ns=$2
	shift 2
	STRONGSWAN_CONF=$d/strongswan.conf ip netns exec "$ns" swanctl "$@"
}

# hb_ss_setup VARIANT: both charons, load, initiate from X.
hb_ss_setup() {
	local variant=$1 dx=$HB_SW/ss/mob dy=$HB_SW/ss/gw
	[[ -x /usr/lib/ipsec/charon ]] && command -v swanctl >/dev/null ||
		{ echo "strongSwan (charon, swanctl) missing" >&2; return 4; }
	hb_ss_conf "$dx" mob "$variant" mobile && hb_ss_conf "$dy" gw "$variant" gateway || return
	ns_ip "$NS_Y" route replace "$X_INNER4/32" dev y-wan || return
	if declare -F ss_start >/dev/null; then
		ss_start "$NS_Y" "gw-$$" "$dy" && ss_start "$NS_X" "mob-$$" "$dx" || return
		HB_SS_NAMES+=("gw-$$" "mob-$$")
		ss_swanctl "gw-$$" --load-all --file "$dy/swanctl.conf" >"$dy/load.log" 2>&1 &&
			ss_swanctl "mob-$$" --load-all --file "$dx/swanctl.conf" >"$dx/load.log" 2>&1 &&
			ss_swanctl "mob-$$" --initiate --child home >"$dx/initiate.log" 2>&1 || return
	else
		hb_ss_start_fallback "$NS_Y" gw "$dy" && hb_ss_start_fallback "$NS_X" mob "$dx" || return
		hb_ss_swanctl_fallback "$dy" "$NS_Y" --load-all --file "$dy/swanctl.conf" >"$dy/load.log" 2>&1 &&
			hb_ss_swanctl_fallback "$dx" "$NS_X" --load-all --file "$dx/swanctl.conf" >"$dx/load.log" 2>&1 &&
			hb_ss_swanctl_fallback "$dx" "$NS_X" --initiate --child home >"$dx/initiate.log" 2>&1 || return
	fi
	busywait 10000 mob_ping_x2y
}

# hb_ss_stop: stop instances started through lib/strongswan.sh (fallback
# instances are in HB_PIDS and in the namespaces, stopped with them).
hb_ss_stop() {
	local n
	declare -F ss_stop >/dev/null || { HB_SS_NAMES=(); return 0; }
	for n in "${HB_SS_NAMES[@]}"; do
		ss_stop "$n" 2>/dev/null
	done
	HB_SS_NAMES=()
}
