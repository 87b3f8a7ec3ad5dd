#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Stock XFRM moved from userspace: the baseline of bench/handover.sh.  No
# module, no IKE daemon: one long-running script per host rewrites the
# ESP-in-UDP SA pair with plain "ip xfrm" (delete + add, policies updated)
# when the path changes.  Runs in the namespace given with -n.
#
# Usage: bench/lib/xfrm-mover.sh x NS LOCAL PEER IN_SPI OUT_SPI IN_KEY OUT_KEY
#                                   LNET RNET LOG
#        bench/lib/xfrm-mover.sh y NS LOCAL PEER IN_SPI OUT_SPI IN_KEY OUT_KEY
#                                   LNET RNET LOG
#
#   x (mobile host)  follows "ip -o monitor address": it remembers the last
#                    IPv4 address added, and when its SAs' local address is
#                    deleted it re-creates both SAs at the remembered
#                    address (ESP-in-UDP 4500 -> 4500 to PEER).
#   y (gateway)      learns X's new address from the first ESP packet: the
#                    kernel reports an authenticated ESP-in-UDP packet
#                    from another address or port than the inbound SA's as
#                    an XFRM_MSG_MAPPING ("Mapping change" of "ip xfrm
#                    monitor");
#                    the script re-creates both SAs with the new address
#                    and port (which also ends the per-packet mapping
#                    reports).
#
# The outbound SA keeps its sequence numbers: its "oseq" is read first
# ("ip -s xfrm state get") and the new SA starts 64 above it (the peer's
# inbound SA has seen them; starting again at 1 would be replay drops).
# Inbound SAs are re-created with a fresh replay window.  All ip xfrm
# commands go to one long-running "ip -batch -" (no exec per move).
#
# LOG gets one line per event and per move, "<CLOCK_REALTIME us> what ...",
# for the benchmark's analysis: "event ..." when the trigger was read,
# "moved ..." once the new SAs are installed.

set -uo pipefail

role=$1 ns=$2 local=$3 peer=$4 ispi=$5 ospi=$6 ikey=$7 okey=$8 lnet=$9 rnet=${10}
log=${11}
lport=4500 pport=4500

say() { echo "${EPOCHREALTIME/./} $*" >>"$log"; }

# One "ip -s -force -batch -" for the whole run, fed line by line (its
# output line-buffered): no exec per move, which under TCG costs up to
# seconds.
coproc IPB { exec stdbuf -oL ip -n "$ns" -s -force -b - 2>&1; }

# out_oseq: OSEQ = oseq of the outbound SA (decimal), 0 if not found;
# also waits until ip has run everything written before.
out_oseq() {
	local line re='oseq 0x([0-9a-f]+)'
	OSEQ=0
	echo "xfrm state get src $local dst $peer proto esp spi $ospi" >&"${IPB[1]}"
	while IFS= read -r -t 5 line <&"${IPB[0]}"; do
		[[ $line =~ $re ]] && { OSEQ=$((16#${BASH_REMATCH[1]})); return 0; }
		[[ $line == *rror* || $line == *answers:* ]] && return 1
	done
	return 1
}

# install NEW_LOCAL NEW_LOCAL_PORT NEW_PEER NEW_PEER_PORT
install() {
	local nl=$1 nlp=$2 np=$3 npp=$4 oseq
	out_oseq
	oseq=$OSEQ
	cat >&"${IPB[1]}" <<EOF
xfrm state delete src $local dst $peer proto esp spi $ospi
xfrm state delete src $peer dst $local proto esp spi $ispi
xfrm state add src $nl dst $np proto esp spi $ospi reqid 1 mode tunnel replay-window 32 replay-oseq $((oseq + 64)) aead rfc4106(gcm(aes)) $okey 128 encap espinudp $nlp $npp 0.0.0.0
xfrm state add src $np dst $nl proto esp spi $ispi reqid 1 mode tunnel replay-window 32 aead rfc4106(gcm(aes)) $ikey 128 encap espinudp $npp $nlp 0.0.0.0
xfrm policy update src $lnet dst $rnet dir out tmpl src $nl dst $np proto esp reqid 1 mode tunnel
xfrm policy update src $rnet dst $lnet dir in tmpl src $np dst $nl proto esp reqid 1 mode tunnel
xfrm policy update src $rnet dst $lnet dir fwd tmpl src $np dst $nl proto esp reqid 1 mode tunnel
EOF
	local=$nl lport=$nlp peer=$np pport=$npp
	out_oseq
	say "moved local $local:$lport peer $peer:$pport oseq $oseq"
}

run_x() {
	local line cand='' re='inet ([0-9.]+)/'
	say "start x local $local peer $peer"
	while IFS= read -r line; do
		[[ $line =~ $re ]] || continue
		local a=${BASH_REMATCH[1]}
		if [[ $line == Deleted* ]]; then
			if [[ $a == "$local" && -n $cand && $cand != "$local" ]]; then
				say "event deladdr $a"
				install "$cand" "$lport" "$peer" "$pport"
			fi
		else
			cand=$a
		fi
	done < <(ip -n "$ns" -o monitor address)
}

run_y() {
	local line re='^Mapping change [0-9.]+:[0-9]+ -> ([0-9.]+):([0-9]+)'
	say "start y local $local peer $peer"
	# One report per packet until the SAs are rewritten (500 a second
	# with the benchmark's probes): grep and uniq collapse the flood
	# before it reaches this loop, which would fall behind under TCG;
	# reports that match what is installed are skipped.
	while IFS= read -r line; do
		[[ $line =~ $re ]] || continue
		local a=${BASH_REMATCH[1]} p=${BASH_REMATCH[2]}
		[[ $a == "$peer" && $p == "$pport" ]] && continue
		say "event mapping $a:$p"
		install "$local" "$lport" "$a" "$p"
	done < <(ip -n "$ns" xfrm monitor nokeys | grep --line-buffered '^Mapping change' | stdbuf -oL uniq)
}

case $role in
x) run_x ;;
y) run_y ;;
*) echo "usage: $0 x|y NS LOCAL PEER IN_SPI OUT_SPI IN_KEY OUT_KEY LNET RNET LOG" >&2; exit 2 ;;
esac
