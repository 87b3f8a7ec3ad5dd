#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Liveness of the path in use, whatever the applications send:
# - a direct path in plain ESP whose router starts dropping ESP both ways,
#   with sparse traffic (one ping every 2 s, the shape of a TCP backoff)
#   from X, then from Y: the connection returns to ESP-in-UDP and the
#   sparse flow gets answers again;
# - the same router dropping only X's plain ESP while Y keeps sending to X
#   (X hears Y, Y hears nothing): Y's ECHOs tell X, which falls back;
# - an idle connection sends about one ECHO per interval, and finds a dead
#   path by itself;
# - a registration that gave up during a 60 s blackout keeps being tried
#   (state and next try shown), and the connection recovers by itself.
# The time each recovery took is printed in the check's note; pass or fail
# does not depend on it (bounds only end a check that would never pass;
# XM_LIVENESS_BOUND_MS sets the sparse-traffic one, default 60 s; see
# also XM_LIVENESS_RUNS below).
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/mobility.sh
. "$dir/lib/mobility.sh"

mob_test_init ip nft ping python3

outs_are() { [[ $(mob_sa x out encap)/$(mob_sa y out encap) == "$1/$1" ]]; }
encaps() {
	echo "$(mob_sa x out encap)/$(mob_sa x in encap)/$(mob_sa y out encap)/$(mob_sa y in encap)"
}
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.0f", (b - a) * 1000 }'; }

# block RULE...: the router on X's direct path drops what each RULE
# matches; a rule that does not load ends the test.
block() {
	if ! block_rules "$@"; then
		ktap_fail "router rule: $*"
		ktap_finished
	fi
}
block_rules() {
	{
		echo "table inet xm_live {"
		echo "	chain xm_forward {"
		echo "		type filter hook forward priority 0; policy accept;"
		printf '\t\t%s\n' "$@"
		echo "	}"
		echo "}"
	} | ip netns exec "$NS_RA" nft -f -
}
unblock() { ip netns exec "$NS_RA" nft delete table inet xm_live 2>/dev/null; }

# plain_direct DESC: a fresh topology, X registered on the direct path, both
# outbound SAs in plain ESP; a failure ends the test.
plain_direct() {
	ktap_run ns_cleanup
	mob_setup
	mob_handover direct
	if ! busywait 20000 outs_are none || ! mob_ping_x2y || ! mob_ping_y2x; then
		ktap_fail "$1: setup in plain ESP on the direct path" "$(encaps); $(mob_show x y)"
		ktap_finished
	fi
}

# first_reply_after LOG T0: the first ping reply in LOG (ping -D) more
# than 0.5 s after T0, the moment the router's rule was in place (a reply
# in flight then does not count: no recovery is that fast); prints
# milliseconds since T0.
first_reply_after() {
	awk -v t0="$2" '/bytes from/ {
		t = substr($1, 2, length($1) - 2) + 0
		if (t > t0 + 0.5) { printf "%.0f\n", (t - t0) * 1000; found = 1; exit }
	} END { exit !found }' "$1"
}

# sparse FROM: one ping every 2 s from FROM (x or y) to the other inner
# address, started before the block; the flow must get an answer after the
# block again, and the connection must have left plain ESP.
sparse() {
	local from=$1 ns src dst log t0 ms
	plain_direct "sparse from $from"
	if [[ $from == x ]]; then
		ns=$NS_X src=$X_INNER4 dst=$Y_INNER4
	else
		ns=$NS_Y src=$Y_INNER4 dst=$X_INNER4
	fi
	log=$(mktemp)
	ip netns exec "$ns" ping -D -n -i 2 -W 1 -I "$src" "$dst" >"$log" 2>&1 &
	local ping_pid=$!
	ns_cleanup_add "kill $ping_pid 2>/dev/null"
	busywait 10000 grep -q 'bytes from' "$log"
	block "meta l4proto esp drop"
	t0=$EPOCHREALTIME
	# The sparse flow answered again after the block.
	replied() { first_reply_after "$log" "$t0" >/dev/null; }
	if busywait "${XM_LIVENESS_BOUND_MS:-60000}" replied; then
		ms=$(first_reply_after "$log" "$t0")
		ktap_pass "sparse pings from ${from^^} every 2 s, ESP dropped both ways: answered again (after ${ms} ms)"
		echo "# liveness: sparse-$from recovery_ms=$ms"
	else
		ktap_fail "sparse pings from ${from^^} every 2 s, ESP dropped both ways: answered again" \
			"$(encaps); $(mob_show x y); $(tail -n 3 "$log")"
	fi
	ktap_check "sparse from $from: both ends send ESP-in-UDP" outs_are espinudp ||
		ktap_diag "$(encaps)"
	ktap_check "sparse from $from: X found the path dead" \
		test "$(mob_stat "$NS_X" path-failures)" -ge 1
	kill "$ping_pid" 2>/dev/null
	wait "$ping_pid" 2>/dev/null
	rm -f "$log"
	unblock
}

# XM_LIVENESS_RUNS=N repeats the sparse-traffic cases (for measurements;
# default once); XM_LIVENESS_ONLY=sparse stops after them.
for ((run = 0; run < ${XM_LIVENESS_RUNS:-1}; run++)); do
	sparse x
	sparse y
done
[[ ${XM_LIVENESS_ONLY:-} != sparse ]] || ktap_finished

# Only X's plain ESP is dropped; Y pings X (X's answers are lost): X keeps
# hearing Y, so only Y's ECHOs can tell X.
plain_direct "one way"
log=$(mktemp)
ip netns exec "$NS_Y" ping -D -n -i 0.5 -W 1 -I "$Y_INNER4" "$X_INNER4" >"$log" 2>&1 &
ping_pid=$!
ns_cleanup_add "kill $ping_pid 2>/dev/null"
busywait 10000 grep -q 'bytes from' "$log"
block "ip saddr $X_A4 meta l4proto esp drop"
t0=$EPOCHREALTIME
replied() { first_reply_after "$log" "$t0" >/dev/null; }
if busywait 60000 replied; then
	ktap_pass "X's ESP dropped, X hears Y: Y reaches X again (after $(first_reply_after "$log" "$t0") ms)"
else
	ktap_fail "X's ESP dropped, X hears Y: Y reaches X again" "$(encaps); $(mob_show x y)"
fi
ktap_check "one way: X sends ESP-in-UDP" mob_sa_is x out encap espinudp ||
	ktap_diag "$(encaps)"
ktap_check "one way: Y's ECHOs were sent" test "$(mob_stat "$NS_Y" echoes)" -ge 1
kill "$ping_pid" 2>/dev/null
wait "$ping_pid" 2>/dev/null
rm -f "$log"
unblock

# Idle: keepalive 15 s (the shortest idle ECHO interval). No traffic for
# 32 s: one or two ECHOs, no more. Then the path dies while idle: found
# without any application packet.
ktap_run ns_cleanup
mob_setup keepalive 15
mob_handover direct
if ! busywait 20000 outs_are none; then
	ktap_fail "idle: setup in plain ESP" "$(encaps)"
	ktap_finished
fi
e0=$(mob_stat "$NS_X" echoes)
ns_sleep 32
e1=$(mob_stat "$NS_X" echoes)
idle_cost() { (((e1 - e0) >= 1 && (e1 - e0) <= 3)) || { echo "echoes $e0 -> $e1"; return 1; }; }
ktap_check "idle 32 s: $((e1 - e0)) ECHOs sent (one per 15 s)" idle_cost
ktap_check "idle: no path found dead" test "$(mob_stat "$NS_X" path-failures)" -eq 0
block "meta l4proto esp drop"
t0=$EPOCHREALTIME
if busywait 40000 outs_are espinudp; then
	ktap_pass "idle, ESP dropped: back to ESP-in-UDP without traffic (after $(since "$t0") ms)"
else
	ktap_fail "idle, ESP dropped: back to ESP-in-UDP without traffic" "$(encaps); $(mob_show x)"
fi
ktap_check "idle: traffic X->Y afterwards" busywait 10000 mob_ping_x2y
ktap_check "idle: traffic Y->X afterwards" busywait 10000 mob_ping_y2x
unblock

# Blackout: everything between X's direct path and Y is dropped for 60 s;
# a registration made in it fails, is still tried, and completes by itself.
ktap_run ns_cleanup
mob_setup
mob_handover nat_b
if ! busywait 20000 mob_sa_is x out reg-state registered; then
	ktap_fail "blackout: setup behind NAT B" "$(mob_show x)"
	ktap_finished
fi
block "ip saddr $X_A4 drop" "ip daddr $X_A4 drop"
t0=$EPOCHREALTIME
mob_handover direct
ktap_check "blackout: the registration is reported failed" \
	busywait 45000 mob_sa_is x out reg-state failed ||
	ktap_diag "$(mob_show x)"
next_try() { mob_stat "$NS_X" next-try-ms; }
has_next_try() { [[ $(next_try) =~ ^[0-9]+$ ]] && (($(next_try) <= 10000)); }
ktap_check "blackout: mobctl shows the next try ($(next_try) ms)" has_next_try ||
	ktap_diag "$("$MOBCTL" -n "$NS_X" -j show)"
# The blackout lasts 60 s from its start.
left=$(awk -v a="$t0" -v b="$EPOCHREALTIME" 'BEGIN { d = 60 - (b - a); print (d > 0 ? d : 0) }')
ns_sleep "$left"
unblock
t1=$EPOCHREALTIME
if busywait 30000 mob_sa_is x out reg-state registered; then
	ktap_pass "blackout of 60 s: registered again by itself (after $(since "$t1") ms)"
else
	ktap_fail "blackout of 60 s: registered again by itself" "$(mob_show x y)"
fi
ktap_check "blackout: Y sends to X's direct address" mob_sa_is y out dst "$X_A4"
ktap_check "blackout: traffic X->Y" busywait 10000 mob_ping_x2y
ktap_check "blackout: traffic Y->X" busywait 10000 mob_ping_y2x

ktap_finished
