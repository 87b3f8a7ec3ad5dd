#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mobctl daemon: the mobile host X follows its own routing changes without
# anyone calling "mobctl handover" (topology: lib/netns.sh). Each move is
# checked by state (SA endpoints on both sides, registration), by traffic
# (inner pings in both directions) and by the daemon's log: exactly one
# handover line per move, to the right address (no flapping).
#
#   direct -> NAT B              make-before-break (default route to uplink b)
#   NAT B  -> direct             back to uplink a, NAT gone
#   direct -> NAT B --down-old   break-before-make (uplink a down first)
#   NAT B  -> direct --down-old  uplink b down, uplink a up again
#   an unrelated route           a pass, but no handover
#   an unannounced rule          found by a recheck pass (1 s after a change)
#   SIGTERM                      exit status 0
#
# The reaction time (last rtnetlink batch before a handover line to that
# line, both from the daemon's timestamps) is printed as a diagnostic.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$dir/lib/ktap.sh"
. "$dir/lib/netns.sh"
. "$dir/lib/mobility.sh"

ktap_header
ktap_require_root
ktap_require_cmd ip nft ping awk

mob_load || ktap_skip_all "xfrm_mobility not loadable (XM_KO unset?)"

if ! ns_topo_mobility >/dev/null 2>&1; then
	ktap_fail "topology" "ns_topo_mobility failed"
	ktap_finished
fi
mob_tunnel udp || { ktap_fail "ip xfrm setup"; ktap_finished; }

# "encap always": the checks below expect ESP-in-UDP on every path, as in
# handover.sh (encap.sh covers the switch to plain ESP).
ktap_check "conn add on X (mobile)" \
	mobctl -n "$NS_X" conn add name home reqid 1 role mobile encap always
ktap_check "conn add on Y (gateway)" \
	mobctl -n "$NS_Y" conn add name home reqid 1 role gateway encap always
ktap_check "baseline X->Y" busywait 10000 mob_ping_x2y
ktap_check "baseline Y->X" mob_ping_y2x

log=$(mktemp)
ns_cleanup_add "rm -f $log"
"$MOBCTL" -n "$NS_X" daemon -v >"$log" 2>&1 &
dpid=$!
ns_cleanup_add "kill $dpid 2>/dev/null"

# Lines of the daemon's log (it flushes each line as it is written).
handover_lines() { grep -c ', handover ' "$log"; }
trigger_lines() { grep -c '] rtnetlink: ' "$log"; }
triggers_above() { (($(trigger_lines) > $1)); }

# "watching" is printed once subscribed, before the first pass; the first
# pass must find X in place.
if busywait 10000 grep -q 'daemon: watching' "$log"; then
	ktap_pass "daemon started"
else
	ktap_fail "daemon started" "$(cat "$log")"
	ktap_finished
fi
ns_sleep 0.5
[[ $(handover_lines) == 0 ]] && ktap_pass "no handover at start (X in place)" ||
	ktap_fail "no handover at start (X in place)" "$(cat "$log")"

# Seconds since midnight of a "[YYYY-MM-DDTHH:MM:SS.UUUUUU+ZZZZ]" stamp:
# reaction time from the last rtnetlink batch to each handover request.
reaction_times() {
	awk '
	function secs(line,  t) {
		t = substr(line, index(line, "T") + 1, 15)
		return substr(t, 1, 2) * 3600 + substr(t, 4, 2) * 60 + substr(t, 7)
	}
	/] rtnetlink: / { trig = secs($0) }
	/, handover / && trig != "" {
		printf "%s%.2f ms", sep, (secs($0) - trig) * 1000; sep = ", "
	}' "$log"
}

# expect_registered NAME SEEN: Y's SAs reach SEEN, X's registration ends.
expect_registered() {
	if mob_wait_field "$NS_Y" out 9 "$2" 15000 &&
	   mob_wait_field "$NS_X" out 13 registered 15000; then
		ktap_pass "$1: Y moved its SAs to $2, X registered"
	else
		ktap_fail "$1: Y moved its SAs to $2, X registered" \
			"$(mobctl -n "$NS_Y" show; mobctl -n "$NS_X" show)"
	fi
}

# move_and_check NAME MODE DOWN_OLD(yes|no) SEEN_ADDR NAT_EXPECT(yes|no)
move_and_check() {
	local name=$1 mode=$2 down=$3 seen=$4 natted=$5 old xl before port nat h
	local down_arg=()

	[[ $down == yes ]] && down_arg=(--down-old)
	old=$(mob_field "$NS_X" out 8)
	before=$(handover_lines)
	if ! ns_move_x "$mode" "${down_arg[@]}" >/dev/null 2>&1; then
		ktap_fail "$name: ns_move_x $mode ${down_arg[*]}"
		return
	fi
	xl=$(ns_x_local_addr4)

	# Nobody calls handover: the daemon must.
	if mob_wait_field "$NS_X" out 8 "$xl" 10000 && mob_field_is "$NS_X" in 9 "$xl"; then
		ktap_pass "$name: X moved its SAs to $xl by itself"
	else
		ktap_fail "$name: X moved its SAs to $xl by itself" \
			"$(mobctl -n "$NS_X" show; cat "$log")"
	fi
	expect_registered "$name" "$seen"
	port=$(mob_field "$NS_Y" out 12)
	nat=$(mob_field "$NS_Y" out 14)
	if [[ $natted == yes ]]; then
		[[ $nat != 0x0 && $((nat & 1)) == 1 ]] &&
			ktap_pass "$name: Y's verdict: source translated ($nat, port $port)" ||
			ktap_fail "$name: Y's verdict: source translated" "nat=$nat port=$port"
	else
		[[ $nat == 0x0 && $port == 4500 ]] &&
			ktap_pass "$name: Y's verdict: no translation" ||
			ktap_fail "$name: Y's verdict: no translation" "nat=$nat port=$port"
	fi
	[[ $(mob_field "$NS_Y" in 8) == "$seen" && $(mob_field "$NS_Y" in 11) == "$port" ]] &&
		ktap_pass "$name: Y's inbound SA follows ($seen:$port)" ||
		ktap_fail "$name: Y's inbound SA follows" "$(mobctl -n "$NS_Y" show)"
	ktap_check "$name: traffic X->Y" busywait 10000 mob_ping_x2y
	ktap_check "$name: traffic Y->X" busywait 10000 mob_ping_y2x

	# Anything the move still had queued has been handled by now.
	ns_sleep 0.5
	h=$(grep ', handover ' "$log" | tail -n +$((before + 1)))
	if [[ $(handover_lines) == $((before + 1)) &&
	      $h == *"local $old -> $xl, handover requested" ]]; then
		ktap_pass "$name: one handover line ($old -> $xl)"
	else
		ktap_fail "$name: one handover line ($old -> $xl)" "$(cat "$log")"
	fi
}

move_and_check "direct->NAT B" nat_b no "$RB_WAN4" yes
move_and_check "NAT B->direct" direct no "$X_A4" no
move_and_check "direct->NAT B, break-before-make" nat_b yes "$RB_WAN4" yes
move_and_check "NAT B->direct, break-before-make" direct yes "$X_A4" no

# A change that leaves the source alone: a pass, and nothing to do.
before=$(handover_lines)
tbefore=$(trigger_lines)
ns_ip "$NS_X" route add 192.0.2.0/24 via "$RA_IN4" >/dev/null 2>&1
if busywait 5000 triggers_above "$tbefore"; then
	ns_sleep 0.5
	[[ $(handover_lines) == "$before" ]] &&
		ktap_pass "unrelated route: checked, no handover" ||
		ktap_fail "unrelated route: checked, no handover" "$(cat "$log")"
else
	ktap_fail "unrelated route: checked, no handover" "no rtnetlink line: $(cat "$log")"
fi

# A change nobody announces: the daemon does not subscribe to rules, and
# the kernel also drops routes through a device that lost its last address
# without a notification (it announces the address first). The rule comes
# after the 250 ms recheck of an announced, unrelated route: only the 1 s
# recheck can see it. Both go through one long-running "ip -batch" (no
# exec between the wait and the rule).
ns_ip "$NS_X" link set xb up >/dev/null 2>&1
# (after link up the connected route, the nexthop's, may take a moment)
busywait 3000 ns_ip "$NS_X" route replace default via "$RB_IN4" dev xb \
	table 100 >/dev/null 2>&1
ns_sleep 3	# IPv6 DAD on xb ends: no batch of its own in the way
exec {ipb}> >(exec ip -n "$NS_X" -force -batch - >/dev/null 2>&1)
recheck250_lines() { grep -c '] recheck 250 ms' "$log"; }
recheck250_above() { (($(recheck250_lines) > $1)); }
before=$(handover_lines)
rbefore=$(recheck250_lines)
echo "route add 192.0.2.128/25 via $RA_IN4" >&"$ipb"
if busywait 5000 recheck250_above "$rbefore"; then
	echo "rule add to $Y_WAN4 lookup 100 pref 100" >&"$ipb"
	if mob_wait_field "$NS_X" out 8 "$X_B4" 5000; then
		ktap_pass "unannounced rule: X moved its SAs to $X_B4 (recheck)"
	else
		ktap_fail "unannounced rule: X moved its SAs to $X_B4 (recheck)" \
			"$(mobctl -n "$NS_X" show; cat "$log")"
	fi
	expect_registered "unannounced rule" "$RB_WAN4"
	ktap_check "unannounced rule: traffic Y->X" busywait 10000 mob_ping_y2x
	[[ $(handover_lines) == $((before + 1)) ]] &&
		ktap_pass "unannounced rule: one handover line" ||
		ktap_fail "unannounced rule: one handover line" "$(cat "$log")"
else
	ktap_fail "unannounced rule: 250 ms recheck after a route change" "$(cat "$log")"
fi
# Back: the rule goes silently, the table's route with a notification.
echo "rule del pref 100" >&"$ipb"
echo "route del default table 100" >&"$ipb"
exec {ipb}>&-
mob_wait_field "$NS_X" out 8 "$X_A4" 5000 &&
	ktap_pass "rule removed: X back on $X_A4" ||
	ktap_fail "rule removed: X back on $X_A4" "$(mobctl -n "$NS_X" show; cat "$log")"

for ev in sa-moved rreq-sent rrep-received; do
	grep -q "] $ev conn " "$log" && ktap_pass "event $ev printed" ||
		ktap_fail "event $ev printed" "$(cat "$log")"
done
! grep -q -e '^mobctl:' -e '^Error:' -e 'handover failed' "$log" &&
	ktap_pass "no errors in the daemon's log" ||
	ktap_fail "no errors in the daemon's log" "$(cat "$log")"

kill -TERM "$dpid" 2>/dev/null
wait "$dpid"
rc=$?
((rc == 0)) && ktap_pass "daemon exits 0 on SIGTERM" ||
	ktap_fail "daemon exits 0 on SIGTERM" "exit status $rc"

ktap_diag "reaction (rtnetlink batch -> handover request): $(reaction_times)"
ktap_diag "daemon log:"
ktap_diag "$(cat "$log")"

ktap_finished
