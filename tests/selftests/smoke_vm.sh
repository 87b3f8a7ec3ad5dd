#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# shellcheck source-path=SCRIPTDIR
#
# Harness smoke test: proves that the environment the real selftests rely on
# works — the module under test ($XM_KO) loads and unloads, namespaces and
# veths can be built, the mobility topology routes X to Y on the direct path
# and through both NAT routers (checked from Y's side: which source address
# arrives), IPv6 is routed, and netem delays traffic.
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=lib/ktap.sh
. "$dir/lib/ktap.sh"
# shellcheck source=lib/netns.sh
. "$dir/lib/netns.sh"

ktap_header
ktap_require_root
ktap_require_cmd ip nft tc ping modprobe

# --- module load/unload ------------------------------------------------------
if [[ -z ${XM_KO:-} ]]; then
	ktap_skip "module loads" "XM_KO not set"
	ktap_skip "module unloads" "XM_KO not set"
elif [[ ! -r $XM_KO ]]; then
	ktap_fail "module loads" "XM_KO=$XM_KO not readable"
	ktap_skip "module unloads" "not loaded"
else
	mod=$(modinfo -F name "$XM_KO" 2>/dev/null)
	mod=${mod:-$(basename "$XM_KO" .ko)}
	if [[ -d /sys/module/$mod ]]; then
		ktap_diag "$mod already loaded, unloading first"
		rmmod "$mod" 2>/dev/null
	fi
	module_in() { insmod "$XM_KO" && [[ -d /sys/module/$1 ]]; }
	module_out() { rmmod "$1" && [[ ! -d /sys/module/$1 ]]; }
	if ktap_check "module loads ($mod)" module_in "$mod"; then
		ktap_check "module unloads ($mod)" module_out "$mod"
	else
		ktap_skip "module unloads" "not loaded"
	fi
fi

# --- topology ---------------------------------------------------------------
ktap_check "mobility topology setup" ns_topo_mobility || ktap_finished

# Y counts arriving ICMP echo requests per source address, to see which path
# X's packets took and whether they were translated.
ns_exec "$NS_Y" nft -f - <<'EOF'
table inet obs {
	chain input {
		type filter hook input priority filter; policy accept;
		meta l4proto icmp ip saddr 10.0.1.2 counter comment "x_a"
		meta l4proto icmp ip saddr 10.0.2.2 counter comment "x_b"
		meta l4proto icmp ip saddr 203.0.113.1 counter comment "ra"
		meta l4proto icmp ip saddr 203.0.113.2 counter comment "rb"
		meta l4proto ipv6-icmp ip6 saddr fd00:1::2 counter comment "x_a6"
		meta l4proto ipv6-icmp ip6 saddr fd00:2::2 counter comment "x_b6"
	}
}
EOF

# obs_counts ARRAY: fill associative ARRAY with packets per counter name
# (one exec; parsing in bash because every exec is expensive under TCG).
obs_counts() {
	local -n res=$1
	local line re='counter packets ([0-9]+) bytes [0-9]+ comment "([a-z0-9_]+)"'
	res=()
	while IFS= read -r line; do
		# shellcheck disable=SC2034,SC2004 # res is a nameref to an associative array
		[[ $line =~ $re ]] && res[${BASH_REMATCH[2]}]=${BASH_REMATCH[1]}
	done < <(ns_exec "$NS_Y" nft list chain inet obs input)
}

# check_path DESC DST EXPECTED-COUNTER: one ping X -> DST must succeed and be
# seen by Y from exactly the expected source.
check_path() { ktap_check "$1" path_is "${@:2}"; }
path_is() {
	local dst=$1 want=$2 k
	local -A before after
	obs_counts before
	if ! ns_wait_ping "$NS_X" "$dst" 10000; then
		echo "no reply from $dst (mode $X_MODE)"
		return 1
	fi
	obs_counts after
	for k in x_a x_b ra rb x_a6 x_b6; do
		if [[ -z ${before[$k]:-} || -z ${after[$k]:-} ]]; then
			echo "counter $k missing on Y"
			return 1
		elif [[ $k == "$want" ]]; then
			((after[$k] > before[$k])) ||
				{ echo "Y saw nothing from $k (${before[$k]} -> ${after[$k]})"; return 1; }
		else
			((after[$k] == before[$k])) ||
				{ echo "Y saw unexpected source $k (${before[$k]} -> ${after[$k]})"; return 1; }
		fi
	done
}

check_path "direct path: Y sees X's own address" "$Y_WAN4" x_a
check_path "direct path IPv6" "$Y_WAN6" x_a6

ra_translates() {
	ns_ct_list "$NS_RA" | grep -q "src=$X_A4 dst=$Y_WAN4 .*src=$Y_WAN4 dst=$RA_WAN4"
}
if ns_move_x nat_a; then
	check_path "behind NAT A: Y sees 203.0.113.1" "$Y_WAN4" ra
	ktap_check "NAT A conntrack entry shows the translation" ra_translates ||
		ktap_diag "$(ns_ct_list "$NS_RA")"
else
	ktap_fail "behind NAT A: Y sees 203.0.113.1" "ns_move_x nat_a failed"
fi

if ns_move_x nat_b --down-old; then
	check_path "behind NAT B (old uplink down): Y sees 203.0.113.2" "$Y_WAN4" rb
	check_path "uplink b IPv6 (routed, not translated)" "$Y_WAN6" x_b6
else
	ktap_fail "behind NAT B (old uplink down): Y sees 203.0.113.2" "ns_move_x nat_b failed"
fi

if ns_move_x direct && ns_wait_link "$NS_X" xa; then
	check_path "back to the direct path" "$Y_WAN4" x_a
else
	ktap_fail "back to the direct path" "ns_move_x direct failed"
fi

# --- netem ------------------------------------------------------------------
# 100 ms each way on RA's wan side: the RTT must be at least 100 ms and the
# delay must go away again when the qdisc is removed.
# delayed: X's minimum RTT to Y is 100 ms or more (it is the check's note).
delayed() {
	local rtt
	rtt=$(ns_exec "$NS_X" ping -n -c 2 -i 0.2 -W 2 "$Y_WAN4" 2>/dev/null |
		sed -n 's|^rtt min/avg/max/mdev = \([0-9.]*\)/.*|\1|p')
	if [[ -n $rtt ]] && awk -v r="$rtt" 'BEGIN { exit !(r >= 100) }'; then
		ktap_note " (min rtt ${rtt} ms)"
		return 0
	fi
	echo "min rtt '${rtt:-none}'"
	return 1
}
if ns_netem "$NS_RA" ra-wan delay 100ms; then
	ktap_check "netem delay 100ms applies" delayed
	ns_netem_clear "$NS_RA" ra-wan
else
	ktap_fail "netem delay 100ms applies" "tc qdisc replace failed"
fi

# --- helpers ----------------------------------------------------------------
times_out() { ! busywait 300 false; }
ktap_check "busywait times out on a false condition" times_out

ours=("${NS_LIST[@]}")
ns_cleanup
# removed NS...: none of the namespaces is left.
removed() {
	local ns left=()
	for ns; do
		[[ ! -e /run/netns/$ns ]] || left+=("$ns")
	done
	((${#left[@]} == 0)) || { echo "left: ${left[*]}"; return 1; }
}
ktap_check "namespaces removed on cleanup" removed "${ours[@]}"

ktap_finished
