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

# X's routing changes the test makes while the daemon runs go through one
# long-running "ip -batch" (no exec between an event seen in the log and
# the change); "ip -ts monitor rule" stamps when a rule takes effect.
# Routes through the dummy device "sent0" are changes the daemon hears of
# that leave every source address alone: sentinels (see settled).
ktap_run ns_ip "$NS_X" link add sent0 type dummy
ktap_run ns_ip "$NS_X" link set sent0 up
rules=$(mktemp)
ns_cleanup_add "rm -f $rules"
ktap_bg -o "$rules" ip -n "$NS_X" -ts monitor rule
exec {ipb}> >(exec ip -n "$NS_X" -force -batch - 2>&1 | sed -u 's/^/# /')
# x_batch LINE: one command for the long-running "ip -batch" in X.
x_batch() {
	ktap_diag "+ ip -n $NS_X -batch: $1"
	echo "$1" >&"$ipb"
}

ktap_bg -o "$log" "$MOBCTL" -n "$NS_X" daemon -v
dpid=$!
ns_cleanup_add "kill $dpid 2>/dev/null"

# The daemon's log (it flushes each line as it is written), read without
# an exec: the rechecks come 50, 250 and 1000 ms after a change, and an
# exec costs a good part of that under TCG.
# log_count ERE [FILE]: LOG_N is the number of lines matching ERE, LOG_LAST
# the last of them.
log_count() {
	local l
	LOG_N=0 LOG_LAST=''
	while IFS= read -r l; do
		[[ $l =~ $1 ]] || continue
		LOG_N=$((LOG_N + 1)) LOG_LAST=$l
	done <"${2:-$log}"
}
# log_above ERE N [FILE]: more than N lines match ERE.
log_above() { log_count "$1" "${3:-}"; ((LOG_N > $2)); }
# log_wait ERE N [FILE]: wait until more than N lines match ERE (polled
# every 20 ms; 30 s bound a failure).
log_wait() {
	local t0=${EPOCHREALTIME/./}
	until log_above "$@"; do
		((${EPOCHREALTIME/./} - t0 < 30000000)) || return 1
		ns_sleep 0.02
	done
}
RE_HANDOVER=', handover '
RE_TRIGGER='] rtnetlink: '
handover_lines() { log_count "$RE_HANDOVER"; echo "$LOG_N"; }
trigger_lines() { log_count "$RE_TRIGGER"; echo "$LOG_N"; }
handovers_are() { log_count "$RE_HANDOVER"; ((LOG_N == $1)); }
show_log() { cat "$log"; }

# settled: the daemon has made every pass due so far.  The series of
# rechecks after the last change is complete (its "recheck 1000 ms" line
# comes after the last rtnetlink line), and the daemon has read the next
# change, a sentinel route: it does so only after the pass before.
sentinel=0
series_done() {
	local l last=''
	while IFS= read -r l; do
		[[ $l == *"$RE_TRIGGER"* ]] && last=trigger
		[[ $l == *'] recheck 1000 ms'* ]] && last=complete
	done <"$log"
	[[ $last == complete ]]
}
# sentinel_read: a sentinel route is added and the daemon has read it.
sentinel_read() {
	local n
	log_count "$RE_TRIGGER"
	n=$LOG_N
	sentinel=$((sentinel + 1))
	x_batch "route add 198.51.100.$sentinel/32 dev sent0"
	log_wait "$RE_TRIGGER" "$n"
}
settled() { busywait 30000 series_done && sentinel_read; }

# "watching" is printed once subscribed, before the first pass; the first
# pass must find X in place (it is over once a sentinel has been read).
if ! ktap_check "daemon started" log_wait 'daemon: watching' 0; then
	ktap_diag "$(show_log)"
	ktap_finished
fi
ktap_run sentinel_read || ktap_diag "no sentinel seen: $(show_log)"
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

# x_moved_to ADDR [MS]: within MS (default 30 s, a bound on a failure) X's
# outbound SA leaves from ADDR, and its inbound SA comes to ADDR; otherwise
# X and the log are shown.
x_moved_to() {
	busywait "${2:-30000}" mob_sa_is x out src "$1" && mob_sa_is x in dst "$1" && return
	mob_show x
	show_log
	return 1
}

# one_handover_line BEFORE OLD NEW: exactly one handover line since BEFORE,
# for OLD -> NEW.
one_handover_line() {
	log_count "$RE_HANDOVER"
	((LOG_N == $1 + 1)) && [[ $LOG_LAST == *"local $2 -> $3, handover requested" ]] && return
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
	ktap_check "$name: traffic X->Y" busywait 30000 mob_ping_x2y
	ktap_check "$name: traffic Y->X" busywait 30000 mob_ping_y2x

	# Every pass the move caused is over: no further handover line.
	ktap_run settled || ktap_diag "the daemon did not settle: $(show_log)"
	ktap_check "$name: one handover line ($old -> $xl)" one_handover_line "$before" "$old" "$xl"
}

move_and_check "direct->NAT B" nat_b no "$RB_WAN4" yes
move_and_check "NAT B->direct" direct no "$X_A4" no
move_and_check "direct->NAT B, break-before-make" nat_b yes "$RB_WAN4" yes
move_and_check "NAT B->direct, break-before-make" direct yes "$X_A4" no

# A change that leaves the source alone: a pass, and nothing to do.
# unrelated_route_checked BEFORE TBEFORE: an rtnetlink line after TBEFORE,
# and once the daemon has settled still BEFORE handover lines.
unrelated_route_checked() {
	if ! log_wait "$RE_TRIGGER" "$2"; then
		echo "no rtnetlink line: $(show_log)"
		return 1
	fi
	settled || { echo "the daemon did not settle: $(show_log)"; return 1; }
	handovers_are "$1" && return
	show_log
	return 1
}
before=$(handover_lines)
tbefore=$(trigger_lines)
x_batch "route add 192.0.2.0/24 via $RA_IN4"
ktap_check "unrelated route: checked, no handover" unrelated_route_checked "$before" "$tbefore"

# A change nobody announces: the daemon does not subscribe to rules, and
# the kernel also drops routes through a device that lost its last address
# without a notification (it announces the address first). The rule comes
# after the 250 ms recheck of an announced, unrelated route: only the 1 s
# recheck can see it. Whether it came in time is read from the order of
# events (the rule's stamp from "ip monitor" before the daemon's stamp of
# its 1 s recheck), not from a clock; if it came later, the attempt does
# not count and is made again.
ktap_run ns_ip "$NS_X" link set xb up
# (after link up the connected route, the nexthop's, may take a moment)
ktap_run busywait 3000 ns_ip "$NS_X" route replace default via "$RB_IN4" dev xb table 100
# IPv6 DAD on xb ends (no change of its own in the way of the attempt).
no_tentative() { [[ -z $(ip -n "$NS_X" -6 addr show dev xb tentative) ]]; }
busywait 30000 no_tentative || ktap_diag "xb: $(ip -n "$NS_X" -6 addr show dev xb)"
ktap_run settled
# stamp LINE: the "[YYYY-MM-DDTHH:MM:SS.UUUUUU" of a log line, comparable
# as a string (the daemon adds a zone, ip monitor does not).
stamp() { local l=${1#[}; echo "${l:0:26}"; }
# rule_attempt N: one attempt; status 0 if the rule came between the two
# rechecks (the checks then decide), 2 if too late (another attempt).
rule_attempt() {
	local n=$1 r250 r1000 t_rule t_1000
	log_count '] recheck 250 ms'; r250=$LOG_N
	log_count '] recheck 1000 ms'; r1000=$LOG_N
	log_count "$RE_HANDOVER"; before=$LOG_N
	log_count '] 100:.*lookup 100' "$rules"; rule_n=$LOG_N
	x_batch "route add 192.0.2.$((128 + n))/32 via $RA_IN4"
	log_wait '] recheck 250 ms' "$r250" || { echo "no 250 ms recheck"; return 1; }
	x_batch "rule add to $Y_WAN4 lookup 100 pref 100"
	log_wait '] 100:.*lookup 100' "$rule_n" "$rules" || { echo "the rule did not take effect"; return 1; }
	t_rule=$(stamp "$LOG_LAST")
	log_wait '] recheck 1000 ms' "$r1000" || { echo "no 1 s recheck"; return 1; }
	t_1000=$(stamp "$LOG_LAST")
	echo "rule in effect at $t_rule, 1 s recheck at $t_1000"
	[[ $t_rule < "$t_1000" ]] && return 0
	# Too late: the rule goes (silently) and X returns to uplink a if the
	# recheck did see it after all.
	x_batch "rule del pref 100"
	log_wait ' Deleted 100:' "$((n - 1))" "$rules"
	settled
	busywait 30000 mob_sa_is x out src "$X_A4" && mob_registered_at "$X_A4" >/dev/null
	return 2
}
rule_in_time=1
for attempt in 1 2 3; do
	ktap_run rule_attempt "$attempt" && rule_in_time=0 rc=0 || rc=$?
	((rc == 2)) || break
done
if ((rule_in_time == 0)); then
	ktap_check "unannounced rule: X moved its SAs to $X_B4 (recheck)" x_moved_to "$X_B4"
	ktap_check "unannounced rule: Y moved its SAs to $RB_WAN4, X registered" \
		mob_registered_at "$RB_WAN4"
	ktap_check "unannounced rule: traffic Y->X" busywait 30000 mob_ping_y2x
	ktap_run settled
	ktap_check "unannounced rule: one handover line" handovers_are $((before + 1)) ||
		ktap_diag "$(show_log)"
else
	ktap_fail "unannounced rule: the rule between the 250 ms and the 1 s recheck" \
		"$attempt attempts; $(show_log)"
fi
# Back: the rule goes silently, the table's route with a notification.
x_batch "rule del pref 100"
x_batch "route del default table 100"
ktap_check "rule removed: X back on $X_A4" busywait 30000 mob_sa_is x out src "$X_A4" ||
	ktap_diag "$(mob_show x; show_log)"
exec {ipb}>&-

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
