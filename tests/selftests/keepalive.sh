#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# NAT keepalives: X behind NAT B, whose conntrack forgets UDP bindings
# after 2 s, stays reachable from Y through 10 s of silence when its
# connection sends keepalives every second. Control: with keepalives off,
# the same silence loses the binding and Y cannot reach X.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$dir/lib/ktap.sh"
. "$dir/lib/netns.sh"
. "$dir/lib/mobility.sh"

ktap_header
ktap_require_root
ktap_require_cmd ip nft ping

mob_load || ktap_skip_all "xfrm_mobility not loadable (XM_KO unset?)"

# run KEEPALIVE: returns whether Y reached X after the silence.
run() {
	local ka=$1 ok=1

	if ! ns_topo_mobility >/dev/null 2>&1 || ! mob_tunnel udp; then
		ktap_fail "keepalive $ka: setup"
		return 2
	fi
	ns_conntrack_timeouts "$NS_RB" 2 >/dev/null
	mobctl -n "$NS_X" conn add name home reqid 1 role mobile keepalive "$ka" >/dev/null &&
	mobctl -n "$NS_Y" conn add name home reqid 1 role gateway >/dev/null || return 2
	ns_move_x nat_b >/dev/null 2>&1
	mobctl -n "$NS_X" handover name home >/dev/null
	if ! mob_wait_field "$NS_X" out 13 registered 15000 || ! mob_ping_x2y; then
		ktap_fail "keepalive $ka: registered behind NAT B" "$(mobctl -n "$NS_X" show)"
		return 2
	fi
	# Silence: nothing is sent through the tunnel for 10 s.
	ns_sleep 10
	mob_ping_y2x && ok=0
	KA_SENT=$(mob_stat "$NS_X" keepalives)
	ns_cleanup >/dev/null 2>&1
	return $ok
}

run 1
rc=$?
if (( rc == 0 && KA_SENT >= 5 )); then
	ktap_pass "keepalives every 1 s: Y reaches X after 10 s idle ($KA_SENT sent)"
else
	ktap_fail "keepalives every 1 s: Y reaches X after 10 s idle" "rc=$rc, ${KA_SENT:-?} keepalives sent"
fi
run 0
rc=$?
if (( rc == 1 && KA_SENT == 0 )); then
	ktap_pass "control without keepalives: the NAT binding expires"
else
	ktap_fail "control without keepalives: the NAT binding expires" "rc=$rc, ${KA_SENT:-?} keepalives sent"
fi
ktap_finished
