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
# shellcheck source=lib/mobility.sh
. "$dir/lib/mobility.sh"

mob_test_init ip nft ping awk
mob_topo udp

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
ktap_bg -o "$log" "$MOBCTL" -n "$NS_X" daemon -v
dpid=$!
ns_cleanup_add "kill $dpid 2>/dev/null"

# Lines of the daemon's log (it flushes each line as it is written).
handover_lines() { grep -c ', handover ' "$log"; }
trigger_lines() { grep -c '] rtnetlink: ' "$log"; }
triggers_above() { (($(trigger_lines) > $1)); }
handovers_are() { [[ $(handover_lines) == "$1" ]]; }
show_log() { cat "$log"; }

# "watching" is printed once subscribed, before the first pass; the first
# pass must find X in place.
if ! ktap_check "daemon started" busywait 10000 grep -q 'daemon: watching' "$log"; then
	ktap_diag "$(show_log)"
	ktap_finished
fi
ns_sleep 0.5
ktap_check "no handover at start (X in place)" handovers_are 0 || ktap_diag "$(show_log)"

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

# x_moved_to ADDR [MS]: within MS (default 10 s) X's outbound SA leaves from
# ADDR, and its inbound SA comes to ADDR; otherwise X and the log are shown.
x_moved_to() {
	busywait "${2:-10000}" mob_sa_is x out src "$1" && mob_sa_is x in dst "$1" && return
	mob_show x
	show_log
	return 1
}

# one_handover_line BEFORE OLD NEW: exactly one handover line since BEFORE,
# for OLD -> NEW.
one_handover_line() {
	local h
	h=$(grep ', handover ' "$log" | tail -n +$(($1 + 1)))
	[[ $(handover_lines) == $(($1 + 1)) && $h == *"local $2 -> $3, handover requested" ]] && return
	show_log
	return 1
}

# move_and_check NAME MODE DOWN_OLD(yes|no) SEEN_ADDR NAT_EXPECT(yes|no)
move_and_check() {
	local name=$1 mode=$2 down=$3 seen=$4 natted=$5 old xl before port nat
	local down_arg=()

	[[ $down == yes ]] && down_arg=(--down-old)
	old=$(mob_sa x out src)
	before=$(handover_lines)
	if ! ktap_run ns_move_x "$mode" "${down_arg[@]}"; then
		ktap_fail "$name: ns_move_x $mode ${down_arg[*]}"
		return
	fi
	xl=$(ns_x_local_addr4)

	# Nobody calls handover: the daemon must.
	ktap_check "$name: X moved its SAs to $xl by itself" x_moved_to "$xl"
	ktap_check "$name: Y moved its SAs to $seen, X registered" mob_registered_at "$seen"
	read -r port nat <<<"$(mob_sa y out dport nat)"
	mob_check_verdict "$name" "$natted" "$nat" "$port"
	ktap_check "$name: Y's inbound SA follows ($seen:$port)" mob_y_in_from "$seen" "$port"
	ktap_check "$name: traffic X->Y" busywait 10000 mob_ping_x2y
	ktap_check "$name: traffic Y->X" busywait 10000 mob_ping_y2x

	# Anything the move still had queued has been handled by now.
	ns_sleep 0.5
	ktap_check "$name: one handover line ($old -> $xl)" one_handover_line "$before" "$old" "$xl"
}

move_and_check "direct->NAT B" nat_b no "$RB_WAN4" yes
move_and_check "NAT B->direct" direct no "$X_A4" no
move_and_check "direct->NAT B, break-before-make" nat_b yes "$RB_WAN4" yes
move_and_check "NAT B->direct, break-before-make" direct yes "$X_A4" no

# A change that leaves the source alone: a pass, and nothing to do.
# unrelated_route_checked BEFORE TBEFORE: an rtnetlink line after TBEFORE,
# and still BEFORE handover lines half a second later.
unrelated_route_checked() {
	if ! busywait 5000 triggers_above "$2"; then
		echo "no rtnetlink line: $(show_log)"
		return 1
	fi
	ns_sleep 0.5
	handovers_are "$1" && return
	show_log
	return 1
}
before=$(handover_lines)
tbefore=$(trigger_lines)
ktap_run ns_ip "$NS_X" route add 192.0.2.0/24 via "$RA_IN4"
ktap_check "unrelated route: checked, no handover" unrelated_route_checked "$before" "$tbefore"

# A change nobody announces: the daemon does not subscribe to rules, and
# the kernel also drops routes through a device that lost its last address
# without a notification (it announces the address first). The rule comes
# after the 250 ms recheck of an announced, unrelated route: only the 1 s
# recheck can see it. Both go through one long-running "ip -batch" (no
# exec between the wait and the rule).
ktap_run ns_ip "$NS_X" link set xb up
# (after link up the connected route, the nexthop's, may take a moment)
ktap_run busywait 3000 ns_ip "$NS_X" route replace default via "$RB_IN4" dev xb table 100
ns_sleep 3	# IPv6 DAD on xb ends: no batch of its own in the way
exec {ipb}> >(exec ip -n "$NS_X" -force -batch - 2>&1 | sed -u 's/^/# /')
# x_batch LINE: one command for the long-running "ip -batch" in X.
x_batch() {
	ktap_diag "+ ip -n $NS_X -batch: $1"
	echo "$1" >&"$ipb"
}
recheck250_lines() { grep -c '] recheck 250 ms' "$log"; }
recheck250_above() { (($(recheck250_lines) > $1)); }
before=$(handover_lines)
rbefore=$(recheck250_lines)
x_batch "route add 192.0.2.128/25 via $RA_IN4"
if busywait 5000 recheck250_above "$rbefore"; then
	x_batch "rule add to $Y_WAN4 lookup 100 pref 100"
	ktap_check "unannounced rule: X moved its SAs to $X_B4 (recheck)" \
		x_moved_to "$X_B4" 5000
	ktap_check "unannounced rule: Y moved its SAs to $RB_WAN4, X registered" \
		mob_registered_at "$RB_WAN4"
	ktap_check "unannounced rule: traffic Y->X" busywait 10000 mob_ping_y2x
	ktap_check "unannounced rule: one handover line" handovers_are $((before + 1)) ||
		ktap_diag "$(show_log)"
else
	ktap_fail "unannounced rule: 250 ms recheck after a route change" "$(show_log)"
fi
# Back: the rule goes silently, the table's route with a notification.
x_batch "rule del pref 100"
x_batch "route del default table 100"
exec {ipb}>&-
ktap_check "rule removed: X back on $X_A4" busywait 5000 mob_sa_is x out src "$X_A4" ||
	ktap_diag "$(mob_show x; show_log)"

for ev in sa-moved rreq-sent rrep-received; do
	ktap_check "event $ev printed" grep -q "] $ev conn " "$log" || ktap_diag "$(show_log)"
done
no_errors_logged() { ! grep -q -e '^mobctl:' -e '^Error:' -e 'handover failed' "$log"; }
ktap_check "no errors in the daemon's log" no_errors_logged || ktap_diag "$(show_log)"

kill -TERM "$dpid" 2>/dev/null
ktap_check "daemon exits 0 on SIGTERM" wait "$dpid"

ktap_diag "reaction (rtnetlink batch -> handover request): $(reaction_times)"
ktap_diag "daemon log:"
ktap_diag "$(show_log)"

ktap_finished
