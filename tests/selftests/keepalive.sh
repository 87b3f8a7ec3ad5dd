#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# NAT keepalives: X behind NAT B, whose conntrack forgets UDP bindings
# after 2 s, stays reachable from Y through 10 s of silence when its
# connection sends keepalives every second. Control: with keepalives off,
# the same silence loses the binding and Y cannot reach X.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/mobility.sh
. "$dir/lib/mobility.sh"

mob_test_init ip nft ping

# run KEEPALIVE: returns whether Y reached X after the silence.
run() {
	local ka=$1 ok=1

	if ! ktap_run ns_topo_mobility || ! ktap_run mob_tunnel udp; then
		ktap_fail "keepalive $ka: setup"
		return 2
	fi
	ktap_run ns_conntrack_timeouts "$NS_RB" 2
	ktap_run mobctl -n "$NS_X" conn add name home reqid 1 role mobile keepalive "$ka" &&
	ktap_run mobctl -n "$NS_Y" conn add name home reqid 1 role gateway || return 2
	mob_handover nat_b
	if ! busywait 15000 mob_sa_is x out reg-state registered || ! mob_ping_x2y; then
		ktap_fail "keepalive $ka: registered behind NAT B" "$(mob_show x)"
		return 2
	fi
	# Silence: nothing is sent through the tunnel for 10 s.
	ns_sleep 10
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
ktap_check "keepalives every 1 s: Y reaches X after 10 s idle (${KA_SENT:-?} sent)" reached
run 0
rc=$?
ktap_check "control without keepalives: the NAT binding expires" expired
ktap_finished
