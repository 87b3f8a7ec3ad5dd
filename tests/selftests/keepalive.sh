#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# NAT keepalives: X behind NAT B, whose conntrack forgets UDP bindings
# after 2 s, stays reachable from Y through a silence of 5 keepalives (5 s
# and more) when its connection sends them every second. Control: with
# keepalives off, a silence until the NAT has dropped the binding, and Y
# cannot reach X.  The silence ends on these events, not after a time.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/mobility.sh
. "$dir/lib/mobility.sh"

mob_test_init ip nft ping

# keepalives_sent N: X has sent N keepalives or more.
keepalives_sent() {
	local n
	n=$(mob_stat "$NS_X" keepalives)
	[[ $n =~ ^[0-9]+$ ]] && ((n >= $1))
}
# binding_gone: NAT B has no binding of X's ESP-in-UDP flow any more.
binding_gone() { [[ -z $(mob_nat_port "$NS_RB" "$X_B4") ]]; }

# run KEEPALIVE: returns whether Y reached X after the silence.
run() {
	local ka=$1 ok=1 ka0

	if ! ktap_run ns_topo_mobility || ! ktap_run mob_tunnel udp; then
		ktap_fail "keepalive $ka: setup"
		return 2
	fi
	ktap_run ns_conntrack_timeouts "$NS_RB" 2
	ktap_run mobctl -n "$NS_X" conn add name home reqid 1 role mobile keepalive "$ka" &&
	ktap_run mobctl -n "$NS_Y" conn add name home reqid 1 role gateway || return 2
	mob_handover nat_b
	if ! busywait 30000 mob_sa_is x out reg-state registered || ! mob_ping_x2y; then
		ktap_fail "keepalive $ka: registered behind NAT B" "$(mob_show x)"
		return 2
	fi
	# Silence: nothing is sent through the tunnel until X has sent 5 more
	# keepalives, or without keepalives until NAT B has dropped X's
	# binding (60 s: a bound on a failure).
	if ((ka > 0)); then
		ka0=$(mob_stat "$NS_X" keepalives)
		busywait 60000 keepalives_sent $((${ka0:-0} + 5)) ||
			ktap_diag "keepalives sent: $(mob_stat "$NS_X" keepalives)"
	else
		busywait 60000 binding_gone || ktap_diag "NAT B: $(ns_ct_list "$NS_RB")"
	fi
	mob_ping_y2x && ok=0
	KA_SENT=$(mob_stat "$NS_X" keepalives)
	ktap_run ns_cleanup
	return $ok
}

# The outcome of a run: status rc, KA_SENT keepalives sent.
outcome() { echo "rc=$rc, ${KA_SENT:-?} keepalives sent"; }
reached() { ((rc == 0 && KA_SENT >= 5)) || { outcome; return 1; }; }
expired() { ((rc == 1 && KA_SENT == 0)) || { outcome; return 1; }; }

run 1
rc=$?
ktap_check "keepalives every 1 s: Y reaches X after ${KA_SENT:-?} keepalives of silence" reached
run 0
rc=$?
ktap_check "control without keepalives: the NAT binding expires" expired
ktap_finished
