#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Scale benchmark for xfrm_mobility: a gateway with N managed connections.
# Runs INSIDE the test VM (more memory for large N):
#
#   make -s modules-all && make -C tools/mobctl && make -C tests/tools
#   tests/vm/run-vm.sh --kernel KREL --ko build/KREL/xfrm_mobility.ko \
#       --mem 6144 --out /tmp/scale --timeout 3600 -- \
#       bench/scale.sh --sizes "1000 10000 100000"
#
# Usage: bench/scale.sh [--sizes "N..."] [--storm M] [--handovers H]
#                       [--adopt bulk|incremental] [--chunk C] [--out DIR]
#                       [--host]
#
#   --sizes "N..."   gateway sizes (managed connections on Y), each run on a
#                    fresh module and topology; default "1000 10000"
#   --storm M        connections of the mobile host that move at once;
#                    default 1000 (at most N - 1)
#   --handovers H    single handovers timed at each size; default 6 (even:
#                    the mobile host ends where it started)
#   --adopt MODE     bulk (default): every SA and policy first, then every
#                    conn-add (a module adopting an existing gateway);
#                    incremental: SAs, policies and conn-adds chunk by chunk
#                    (connections arriving one after another, as from an
#                    IKE daemon)
#   --chunk C        connections per chunk with --adopt incremental;
#                    default 1000
#   --out DIR        where results go (default: $XM_OUT/scale, else a new
#                    directory in /tmp)
#   --host           allow running outside the test VM
#
# Setup per size: the selftest topology (tests/selftests/lib/netns.sh) and
# ESP-in-UDP tunnel X <-> Y (mob_tunnel, reqid 1, connection "home" on both
# sides), then, with tests/tools/xmscale (bulk netlink, one process):
#   - on X: M more tunnels to Y (reqids 1000..., X inner 10.100.0.0 + i,
#     Y inner 10.88.0.0/24) and M mobile connections;
#   - on Y: the peers of those M tunnels, and N - M - 1 idle tunnels to
#     distinct peers 198.18.0.1 + i (inner 10.128.0.0 + i, reqids
#     1000000...), then N - 1 gateway conn-adds (adoption).
# Each tunnel is an AES-GCM SA pair (replay window 32, ESP-in-UDP) and
# out/in/fwd policies, as mob_sa_pair installs.  Connections keep the
# module's defaults (keepalive 20 s, encap auto).
#
# Measured per size N:
#   memory     /proc/meminfo and /proc/slabinfo before Y's SAs, after them
#              and after Y's conn-adds: XFRM's share (SAs + policies) and
#              the module's share (conn-adds) per connection, largest slab
#              caches of each (--adopt incremental: only the sum); slab
#              bytes both as allocated in the VM (slub_debug pads each
#              object, a kmalloc-2k object takes 6 KB) and nominal (the
#              cache's object size, what a kernel without slub_debug uses)
#   adoption   time of Y's conn-adds (xmscale conn-add, batches of 200),
#              and of one conn-get dump of all N connections
#   handover   H single handovers of "home" (X moves between the direct
#              uplink and NAT B, then "mobctl handover"), from the module's
#              events: X sa-moved -> X rrep-received (registration round
#              trip) and Y rreq-received -> Y rrep-sent (the gateway's work:
#              authentication done, SA move, reply)
#   storm      X moves to NAT B and hands over its M connections at once
#              (one xmscale process, batches of 200): RREQs leaving X
#              (rreq-sent, first to last), RREQs processed by Y
#              (rreq-received / sa-moved events over time), Y's time per
#              request, the request rate Y sustains, retransmissions and
#              registrations completed on X
# Output: $OUT/scale.csv (one line per size), $OUT/summary.md (tables and
# growth with N), raw data per size in $OUT/n<N>/.  Not pass/fail; exit
# status 1 if a step failed, 2 usage, 4 skipped.

# shellcheck source-path=SCRIPTDIR/..
# shellcheck source=bench/lib/common.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib/common.sh" vm

XMSCALE=${XMSCALE:-$BENCH_REPO/build/tools/xmscale}
SC_W=''
SC_FAILED=0
# Address and SPI plan of the bulk tunnels (see the header).
SC_STORM_REQID=1000
SC_STORM_XNET=10.100.0.0
SC_BG_REQID=1000000
SC_BG_PEER=198.18.0.1
SC_BG_NET=10.128.0.0

sc_log() { echo "# $(date -u +%T) $*"; }
sc_err() { echo "scale: $*" >&2; }

# sc_x NS OUTFILE ARGS...: xmscale in a namespace, key=value output kept.
sc_x() {
	local ns=$1 out=$2
	shift 2
	ip netns exec "$ns" "$XMSCALE" "$@" >"$out" 2>"$out.err"
	local rc=$?
	((rc == 0)) || { sc_err "xmscale $1 failed (rc $rc): $(head -3 "$out.err")"; SC_FAILED=$((SC_FAILED + 1)); }
	return "$rc"
}

# sc_snap DIR NAME: memory counters; the first snapshot also records each
# slab cache's object size without debugging metadata (the test VM boots
# with slub_debug, which pads every object: /proc/slabinfo shows the padded
# size).
sc_snap() {
	cat /proc/meminfo >"$1/meminfo-$2.txt"
	cat /proc/slabinfo >"$1/slabinfo-$2.txt" 2>/dev/null
	[[ -e $1/objsize.txt ]] || grep -s . /sys/kernel/slab/*/object_size >"$1/objsize.txt"
}

# sc_watch NS FILE ARGS...: start an event watcher, wait until it listens.
sc_watch() {
	local ns=$1 file=$2
	shift 2
	ip netns exec "$ns" "$XMSCALE" watch --out "$file" "$@" >"$file.out" 2>&1 &
	SC_WATCH_PID=$!
	busywait 10000 grep -q '^ready' "$file.out"
}

# sc_wait_home_reg FILE N: X's events FILE holds N rrep-received for "home".
sc_home_regs() {
	local n=0 ty id rest
	while read -r _ ty id rest; do
		[[ $ty == rrep-received && $id == 1 ]] && n=$((n + 1))
	done <"$1"
	echo "$n"
}
sc_home_reg_done() { (($(sc_home_regs "$1") >= $2)); }

# sc_storm_done FILE N: FILE holds N rrep-received events.
sc_storm_done() {
	local n=0 ty rest
	while read -r _ ty rest; do
		[[ $ty == rrep-received ]] && n=$((n + 1))
	done <"$1"
	((n >= $2))
}

# sc_sas NS OUT COUNT REQID LOCAL REMOTE RSTEP LNET LSTEP RNET RSTEP SPI_OUT SPI_IN
sc_sas() {
	sc_x "$1" "$2" sa --count "$3" --reqid "$4" --local "$5" --remote "$6" --remote-step "$7" \
		--lnet "$8" --lnet-step "$9" --rnet "${10}" --rnet-step "${11}" \
		--spi-out "${12}" --spi-in "${13}"
}

# sc_gw_bulk D COUNT STORM MODE CHUNK: Y's idle tunnels, and the conn-adds
# of those and of the STORM tunnels (installed already): bulk (all SAs,
# then all conn-adds) or incremental (chunk by chunk).
sc_gw_bulk() {
	local d=$1 count=$2 storm=$3 mode=$4 chunk=$5 off n i=0
	if [[ $mode == bulk ]]; then
		if ((count > 0)); then
			sc_sas "$NS_Y" "$d/sa-bg.txt" "$count" "$SC_BG_REQID" "$Y_WAN4" "$SC_BG_PEER" 1 \
				10.88.0.0/24 0 "$SC_BG_NET/32" 1 0x30000000 0x40000000 || return
		fi
		sc_snap "$d" sa
		if ((storm > 0)); then
			sc_x "$NS_Y" "$d/conn-storm-y.txt" conn-add --count "$storm" \
				--reqid "$SC_STORM_REQID" --role gateway || return
		fi
		((count == 0)) ||
			sc_x "$NS_Y" "$d/conn-bg.txt" conn-add --count "$count" --reqid "$SC_BG_REQID" --role gateway
		return
	fi
	if ((storm > 0)); then
		sc_x "$NS_Y" "$d/conn-storm-y.txt" conn-add --count "$storm" --reqid "$SC_STORM_REQID" \
			--role gateway || return
	fi
	# Incremental: the addresses and SPIs of chunk k continue those of
	# chunk k-1 (xmscale adds i to each base).
	for ((off = 0; off < count; off += chunk)); do
		n=$((count - off < chunk ? count - off : chunk))
		sc_sas "$NS_Y" "$d/sa-bg-$i.txt" "$n" $((SC_BG_REQID + off)) "$Y_WAN4" \
			"$(sc_addr_add "$SC_BG_PEER" "$off")" 1 10.88.0.0/24 0 \
			"$(sc_addr_add "$SC_BG_NET" "$off")/32" 1 $((0x30000000 + off)) $((0x40000000 + off)) || return
		sc_x "$NS_Y" "$d/conn-bg-$i.txt" conn-add --count "$n" --reqid $((SC_BG_REQID + off)) \
			--role gateway || return
		i=$((i + 1))
	done
	sc_snap "$d" sa
}

# sc_addr_add A K: IPv4 address A plus K.
sc_addr_add() {
	local a b c d v
	IFS=. read -r a b c d <<<"$1"
	v=$(((a << 24 | b << 16 | c << 8 | d) + $2))
	echo "$((v >> 24 & 255)).$((v >> 16 & 255)).$((v >> 8 & 255)).$((v & 255))"
}

# sc_size N STORM HANDOVERS MODE CHUNK: one gateway size.
sc_size() {
	local n=$1 storm=$2 hos=$3 mode=$4 chunk=$5 d=$SC_W/n$1 bg h
	mkdir -p "$d"
	((storm <= n - 1)) || storm=$((n - 1))
	bg=$((n - 1 - storm))
	printf 'n=%s\nstorm=%s\nbackground=%s\nhandovers=%s\nadopt=%s\nchunk=%s\n' \
		"$n" "$storm" "$bg" "$hos" "$mode" "$chunk" >"$d/params"
	sc_log "size $n: $storm storm + $bg idle + 1 connections on the gateway ($mode adoption)"

	# A fresh module: no state left from the previous size.
	if ! mob_unload || ! mob_load; then
		sc_err "cannot reload the module"
		return 1
	fi
	ns_topo_mobility >"$d/setup.log" 2>&1 || { sc_err "topology failed"; return 1; }
	if ! mob_tunnel udp >>"$d/setup.log" 2>&1 ||
		! mobctl -n "$NS_X" conn add name home reqid 1 role mobile >/dev/null ||
		! mobctl -n "$NS_Y" conn add name home reqid 1 role gateway >/dev/null; then
		sc_err "tunnel setup failed"
		return 1
	fi
	ip -n "$NS_Y" route add "$SC_STORM_XNET/16" dev y-wan || return
	busywait 10000 mob_ping_x2y || { sc_err "no traffic through the tunnel"; return 1; }
	ns_ping "$NS_X" "$RB_IN4"

	# X's side first, so that the memory deltas below are Y's alone.
	sc_sas "$NS_X" "$d/sa-storm-x.txt" "$storm" "$SC_STORM_REQID" "$X_A4" "$Y_WAN4" 0 \
		"$SC_STORM_XNET/32" 1 10.88.0.0/24 0 0x10000000 0x20000000 || return
	sc_x "$NS_X" "$d/conn-storm-x.txt" conn-add --count "$storm" --reqid "$SC_STORM_REQID" \
		--role mobile || return

	sc_snap "$d" base
	sc_sas "$NS_Y" "$d/sa-storm-y.txt" "$storm" "$SC_STORM_REQID" "$Y_WAN4" "$X_A4" 0 \
		10.88.0.0/24 0 "$SC_STORM_XNET/32" 1 0x20000000 0x10000000 || return
	sc_gw_bulk "$d" "$bg" "$storm" "$mode" "$chunk" || return
	sc_snap "$d" conn
	sc_x "$NS_Y" "$d/dump-y.txt" dump

	# Single handovers of "home".
	sc_watch "$NS_X" "$d/events-x.txt" || return
	local wx=$SC_WATCH_PID
	sc_watch "$NS_Y" "$d/events-y.txt" || return
	local wy=$SC_WATCH_PID
	for ((h = 1; h <= hos; h++)); do
		if ((h % 2)); then ns_move_x nat_b; else ns_move_x direct; fi
		mobctl -n "$NS_X" handover name home >/dev/null ||
			{ sc_err "handover $h failed"; SC_FAILED=$((SC_FAILED + 1)); continue; }
		busywait 30000 sc_home_reg_done "$d/events-x.txt" "$h" ||
			{ sc_err "handover $h did not register"; SC_FAILED=$((SC_FAILED + 1)); }
		ns_sleep 0.5
	done
	kill "$wx" "$wy" 2>/dev/null
	wait "$wx" "$wy" 2>/dev/null

	# The storm: X moves (its storm connections are on the direct uplink),
	# then hands all of them over in one go.
	if ((storm > 0)); then
		[[ $X_MODE == direct ]] || ns_move_x direct
		sc_watch "$NS_Y" "$d/storm-y.txt" --timeout 900 --until "sa-moved:$storm" || return
		wy=$SC_WATCH_PID
		sc_watch "$NS_X" "$d/storm-x.txt" --timeout 900 --until "rrep-received:$storm" || return
		wx=$SC_WATCH_PID
		ns_move_x nat_b
		sc_log "storm: $storm handovers"
		sc_x "$NS_X" "$d/storm-handover.txt" handover --count "$storm" --reqid "$SC_STORM_REQID"
		wait "$wy"
		# Requests X gave up on get no rrep-received: do not wait for them.
		busywait 30000 sc_storm_done "$d/storm-x.txt" "$storm"
		kill "$wx" 2>/dev/null
		wait "$wx"
		sc_x "$NS_X" "$d/dump-x-after.txt" dump
		sc_x "$NS_Y" "$d/dump-y-after.txt" dump
	fi
	sc_log "size $n done"
	ns_cleanup
}

# sc_analyze: scale.csv and summary.md from the raw data of each size.
sc_analyze() {
	python3 "$BENCH_LIB/scale_report.py" "$SC_W"
}

sc_main() {
	local sizes="1000 10000" storm=1000 hos=6 mode=bulk chunk=1000 n
	bench_init scale "${BASH_SOURCE[0]}" '^# Setup per size:'
	while (($#)); do
		case $1 in
		--sizes) sizes=$2; shift 2 ;;
		--storm) storm=$2; shift 2 ;;
		--handovers) hos=$2; shift 2 ;;
		--adopt) mode=$2; shift 2 ;;
		--chunk) chunk=$2; shift 2 ;;
		*) bench_opt "$@" || return; shift "$BENCH_SHIFT" ;;
		esac
	done
	for n in $sizes; do
		if [[ ! $n =~ ^[0-9]+$ ]] || ((n < 2)); then
			sc_err "sizes: numbers >= 2"
			return 2
		fi
	done
	if [[ ! $storm =~ ^[0-9]+$ || ! $hos =~ ^[0-9]+$ || ! $chunk =~ ^[0-9]+$ ]] || ((chunk == 0)); then
		sc_err "numeric arguments expected"
		return 2
	fi
	[[ $mode == bulk || $mode == incremental ]] || { sc_err "--adopt bulk or incremental"; return 2; }
	[[ -x $XMSCALE ]] || { sc_err "no xmscale at $XMSCALE (make -C tests/tools)"; return 2; }
	vb_start || return
	SC_W=$VB_W
	vb_params "sizes=$sizes" "storm=$storm" "adopt=$mode" \
		"mem_total_kb=$(awk '/^MemTotal:/ { print $2 }' /proc/meminfo)"
	trap ns_cleanup EXIT
	for n in $sizes; do
		sc_size "$n" "$storm" "$hos" "$mode" "$chunk" || { sc_err "size $n failed"; SC_FAILED=$((SC_FAILED + 1)); ns_cleanup; }
	done
	sc_analyze
	bench_finish "$SC_W"
	((SC_FAILED == 0))
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	set -uo pipefail
	sc_main "$@"
	exit $?
fi
