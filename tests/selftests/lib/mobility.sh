# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# Helpers for xfrm_mobility selftests (sources ktap.sh and netns.sh unless
# they are loaded): load the module, install a tunnel-mode ESP SA pair
# between X and Y with ip xfrm, manage connections with mobctl and read
# their state back.
#
#   mob_test_init CMD...         KTAP header; skip the test unless it runs as
#                                root, CMDs exist and the module loads
#   mob_topo [ENCAP], mob_setup [CONN-ARGS...]   topology (and SAs, and
#                                connections); a failure ends the test
#   mob_sa SIDE DIR FIELD...     fields of an SA row of `mobctl show dump`,
#                                by name (MOB_DUMP_FIELDS)
#   mob_sa_is SIDE DIR FIELD... VALUE, mob_fields LINE FIELD...,
#   mob_rows SIDE FIELD..., mob_show SIDE..., mob_stat NS NAME
#   mob_handover MODE, mob_registered_at ADDR, mob_y_port_left PORT,
#   mob_check_verdict NAME NATTED NAT PORT, mob_y_in_from ADDR PORT, mob_ipb NS
#   mob_ping_x2y, mob_ping_y2x
#
# A SIDE is x (NS_X), y (NS_Y) or a namespace name, optionally followed by
# ":CONN", an extended regular expression the whole connection name must
# match (default: the first connection).
#
# SA plan (reqid 1): X->Y SPI 0x1000, Y->X SPI 0x2000, AES-GCM-128,
# tunnel mode, policies between X's inner 10.99.0.2/32 and Y's inner
# 10.88.0.0/24.

# shellcheck source-path=SCRIPTDIR
declare -F ktap_pass >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/ktap.sh"
declare -F ns_create >/dev/null || . "$(dirname "${BASH_SOURCE[0]}")/netns.sh"

MOB_REPO=${XM_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
MOBCTL=${MOBCTL:-$MOB_REPO/tools/mobctl/mobctl}
MOB_KEY_XY=0x0102030405060708090a0b0c0d0e0f1011121314
MOB_KEY_YX=0x2122232425262728292a2b2c2d2e2f3031323334
MOB_SPI_XY=0x00001000
MOB_SPI_YX=0x00002000

# mob_load: load the module under test unless it is loaded: status 4 if
# it is not loaded and XM_KO is unset, else insmod's status (and its
# messages on stderr).
mob_load() {
	[[ -d /sys/module/xfrm_mobility ]] && return 0
	[[ -n ${XM_KO:-} ]] || return 4
	modprobe -a udp_tunnel ip6_udp_tunnel esp4 xfrm_user 2>/dev/null
	insmod "$XM_KO"
}

mob_unload() {
	[[ -d /sys/module/xfrm_mobility ]] || return 0
	rmmod xfrm_mobility
}

mobctl() { "$MOBCTL" "$@"; }

# ns_x_local_addr4: X's own address on the active uplink.
ns_x_local_addr4() {
	case $X_MODE in
	direct | nat_a) echo "$X_A4" ;;
	nat_b) echo "$X_B4" ;;
	esac
}

# mob_sa_pair NS LOCAL REMOTE IN_SPI OUT_SPI IN_KEY OUT_KEY LNET RNET ENCAP
# [REQID]: ENCAP is "udp" or "none"; REQID defaults to 1.
mob_sa_pair() {
	local ns=$1 l=$2 r=$3 ispi=$4 ospi=$5 ikey=$6 okey=$7 lnet=$8 rnet=$9
	local encap=${10} q=${11:-1} e=''
	[[ $encap == udp ]] && e="encap espinudp 4500 4500 0.0.0.0"
	ns_ipb "$ns" <<EOF
xfrm state add src $l dst $r proto esp spi $ospi reqid $q mode tunnel replay-window 32 aead rfc4106(gcm(aes)) $okey 128 $e
xfrm state add src $r dst $l proto esp spi $ispi reqid $q mode tunnel replay-window 32 aead rfc4106(gcm(aes)) $ikey 128 $e
xfrm policy add src $lnet dst $rnet dir out tmpl src $l dst $r proto esp reqid $q mode tunnel
xfrm policy add src $rnet dst $lnet dir in tmpl src $r dst $l proto esp reqid $q mode tunnel
xfrm policy add src $rnet dst $lnet dir fwd tmpl src $r dst $l proto esp reqid $q mode tunnel
EOF
}

# mob_ipb NS: ns_ipb with each command logged as "# + ip -n NS COMMAND"
# and the output as "# " lines (see ktap_run).
mob_ipb() {
	local b l rc
	IFS= read -r -d '' b || true
	b=${b%$'\n'}
	while IFS= read -r l; do
		[[ -z $l ]] || ktap_diag "+ ip -n $1 $l"
	done <<<"$b"
	ktap_capture ns_ipb "$1" <<<"$b" && rc=0 || rc=$?
	[[ -z $KTAP_OUT ]] || ktap_diag "$KTAP_OUT"
	return "$rc"
}

# mob_reinstall_cmds SRC DST SPI KEY ENCAP [OSEQ]: ip -batch commands that
# replace one SA of reqid 1 by a copy with the same SPI and key, as an IKE
# daemon updating it does (delete, add): ENCAP is "none" or "udp SPORT
# DPORT"; an outbound SA continues at sequence number OSEQ.
mob_reinstall_cmds() {
	local src=$1 dst=$2 spi=$3 key=$4 encap=$5 oseq=${6:-} e='' r=''
	[[ $encap == udp\ * ]] && e="encap espinudp ${encap#udp } 0.0.0.0"
	[[ -n $oseq ]] && r="replay-oseq $oseq"
	echo "xfrm state delete src $src dst $dst proto esp spi $spi"
	echo "xfrm state add src $src dst $dst proto esp spi $spi reqid 1 mode tunnel replay-window 32 $r aead rfc4106(gcm(aes)) $key 128 $e"
}

# mob_reinstall NS SRC DST SPI KEY ENCAP [OSEQ]: the same, done in NS.
mob_reinstall() {
	mob_reinstall_cmds "${@:2}" | ns_ipb "$1"
}

# mob_tunnel [udp|none]: SA pairs on X (at its local address) and on Y (at
# the address it sees for X), and Y's route to X's inner address.  The
# policies are between X's inner address and MOB_Y_NET (default
# 10.88.0.0/24; 0.0.0.0/0 for a full tunnel).
mob_tunnel() {
	local encap=${1:-udp} ynet=${MOB_Y_NET:-10.88.0.0/24}
	mob_sa_pair "$NS_X" "$(ns_x_local_addr4)" "$Y_WAN4" "$MOB_SPI_YX" "$MOB_SPI_XY" \
		"$MOB_KEY_YX" "$MOB_KEY_XY" "$X_INNER4/32" "$ynet" "$encap" || return
	mob_sa_pair "$NS_Y" "$Y_WAN4" "$(ns_x_seen_addr4)" "$MOB_SPI_XY" "$MOB_SPI_YX" \
		"$MOB_KEY_XY" "$MOB_KEY_YX" "$ynet" "$X_INNER4/32" "$encap" || return
	ns_ip "$NS_Y" route replace "$X_INNER4/32" dev y-wan
}

# mob_test_init CMD...: the start of every mobility selftest.  Without
# the module and without XM_KO the test skips; a module given in XM_KO that
# does not load is a failure, reported with insmod's messages.
mob_test_init() {
	local rc
	ktap_header
	ktap_require_root
	ktap_require_cmd "$@"
	ktap_capture mob_load && rc=0 || rc=$?
	case $rc in
	0) ;;
	4) ktap_skip_all "xfrm_mobility not loaded and XM_KO not set" ;;
	*)
		ktap_fail "module loads (insmod ${XM_KO:-})" "insmod failed ($rc): $KTAP_OUT"
		ktap_finished
		;;
	esac
}

# mob_topo [ENCAP]: the topology (ns_topo_mobility) and, with ENCAP (udp or
# none), the SA pairs (mob_tunnel); a failure is reported and ends the test.
mob_topo() {
	if ! ktap_run ns_topo_mobility; then
		ktap_fail "topology" "ns_topo_mobility failed"
		ktap_finished
	fi
	if [[ -n ${1:-} ]] && ! ktap_run mob_tunnel "$1"; then
		ktap_fail "ip xfrm setup ($1)"
		ktap_finished
	fi
}

# mob_setup [CONN-ARGS...]: the topology, ESP-in-UDP SA pairs and the
# connection "home" on X (mobile) and Y (gateway), with CONN-ARGS for both;
# a failure ends the test.
# shellcheck disable=SC2120 # CONN-ARGS are optional
mob_setup() {
	mob_topo udp
	if ! ktap_run mobctl -n "$NS_X" conn add name home reqid 1 role mobile "$@" ||
	   ! ktap_run mobctl -n "$NS_Y" conn add name home reqid 1 role gateway "$@"; then
		ktap_fail "conn add"
		ktap_finished
	fi
}

# --- `mobctl show dump` by field name ---------------------------------------

# The fields of a `mobctl show dump` line in their order (mobctl.8, "Dump"):
# the one place that knows their numbers.  The format only ever gains
# fields at the end.
MOB_DUMP_FIELDS=(id name reqid role state dir spi src dst encap sport dport
	reg-state nat moves oseq reg-seq mark mark-mask if-id reg-port keepalive)
# Field name -> index in a line split at tabs (0 for id).
declare -gA MOB_DUMP_IDX=()
for MOB_I in "${!MOB_DUMP_FIELDS[@]}"; do
	MOB_DUMP_IDX[${MOB_DUMP_FIELDS[MOB_I]}]=$MOB_I
done
unset MOB_I
# What identifies an SA row and its endpoints: the connection (id .. state)
# and the SA (dir .. dport), without registration state and counters.
# shellcheck disable=SC2034 # used by the tests
MOB_SA_ROW=(id name reqid role state dir spi src dst encap sport dport)

# mob_known_fields FIELD...: every FIELD is a dump field (else status 2).
mob_known_fields() {
	local n
	for n; do
		[[ -n ${MOB_DUMP_IDX[$n]:-} ]] ||
			{ echo "no field '$n' in mobctl show dump" >&2; return 2; }
	done
}

# mob_fields LINE FIELD...: the named fields of one dump line, separated by
# a blank.
mob_fields() {
	local -a f v=()
	local n
	mob_known_fields "${@:2}" || return
	IFS=$'\t' read -r -a f <<<"$1"
	for n in "${@:2}"; do
		v+=("${f[MOB_DUMP_IDX[$n]]:-}")
	done
	echo "${v[*]}"
}

# mob_side SIDE: MOB_SIDE_NS and MOB_SIDE_CONN of SIDE (see the top).
mob_side() {
	MOB_SIDE_CONN=''
	[[ $1 != *:* ]] || MOB_SIDE_CONN=${1#*:}
	case ${1%%:*} in
	x) MOB_SIDE_NS=$NS_X ;;
	y) MOB_SIDE_NS=$NS_Y ;;
	*) MOB_SIDE_NS=${1%%:*} ;;
	esac
}

# mob_rows SIDE [FIELD...]: the FIELDs (default: all) of each dump line of
# SIDE (of connection CONN, if SIDE names one), one line each.
mob_rows() {
	local -a f v
	local line n
	mob_side "$1"
	shift
	(($#)) || set -- "${MOB_DUMP_FIELDS[@]}"
	mob_known_fields "$@" || return
	while IFS= read -r line; do
		[[ -n $line ]] || continue
		IFS=$'\t' read -r -a f <<<"$line"
		[[ -z $MOB_SIDE_CONN || ${f[MOB_DUMP_IDX[name]]} =~ ^($MOB_SIDE_CONN)$ ]] ||
			continue
		v=()
		for n; do
			v+=("${f[MOB_DUMP_IDX[$n]]:-}")
		done
		echo "${v[*]}"
	done < <("$MOBCTL" -n "$MOB_SIDE_NS" show dump 2>/dev/null)
}

# mob_sa SIDE DIR FIELD...: the FIELDs of the first dump line of SIDE with
# dir DIR (in, out; "*": any line, also that of a connection without SAs).
mob_sa() {
	local side=$1 dir=$2 d row
	shift 2
	mob_known_fields "$@" || return
	while read -r d row; do
		# shellcheck disable=SC2053 # DIR is a pattern
		if [[ $d == $dir ]]; then
			echo "$row"
			return
		fi
	done < <(mob_rows "$side" dir "$@")
}

# mob_sa_is SIDE DIR FIELD... VALUE: mob_sa gives VALUE (several fields:
# separated by one blank).
mob_sa_is() {
	[[ $(mob_sa "${@:1:$#-1}") == "${!#}" ]]
}

# mob_show SIDE...: `mobctl show` of each side, for diagnostics.
mob_show() {
	local s
	for s; do
		mob_side "$s"
		"$MOBCTL" -n "$MOB_SIDE_NS" show
	done
}

# mob_field NS DIR COLUMN: one column of `mobctl show dump` by number, for
# the SA row of direction DIR of the first connection (kept for
# scripts/demo.sh and bench/; the selftests use mob_sa).
mob_field() {
	"$MOBCTL" -n "$1" show dump 2>/dev/null |
		awk -F'\t' -v d="$2" -v c="$3" '$6 == d { print $c; exit }'
}

# mob_stat NS NAME: a counter (or top-level field) of the first connection.
mob_stat() {
	"$MOBCTL" -n "$1" -j show 2>/dev/null | python3 -c '
import json, sys
c = json.load(sys.stdin)[0]
print(c.get("stats", {}).get(sys.argv[1], c.get(sys.argv[1], "")))' "$2"
}

mob_field_is() { [[ $(mob_field "$1" "$2" "$3") == "$4" ]]; }

# mob_wait_field NS DIR COLUMN VALUE [TIMEOUT_MS]
mob_wait_field() {
	busywait "${5:-10000}" mob_field_is "$1" "$2" "$3" "$4"
}

# --- steps and checks shared by the handover tests -------------------------

# mob_handover MODE: X moves (ns_move_x MODE) and asks for a handover of
# its connection "home"; returns the status of the request.
mob_handover() {
	ktap_run ns_move_x "$1"
	ktap_run mobctl -n "$NS_X" handover name home
}

# mob_nat_port NS SRC: the source port NAT router NS maps X's ESP-in-UDP
# flow SRC:4500 -> Y:4500 to, from its conntrack entry (nothing if there
# is none).
mob_nat_port() {
	ns_ct_list "$1" | awk -v src="src=$2" -v dst="dst=$Y_WAN4" '
		$3 != "udp" { next }
		{
			n = 0; ok = 0
			for (i = 4; i <= NF; i++) {
				if ($i ~ /^src=/) n++
				if (n == 1 && ($i == src || $i == dst || $i == "sport=4500" || $i == "dport=4500")) ok++
				if (n == 2 && ok == 4 && $i ~ /^dport=/) { print substr($i, 7); exit }
			}
		}'
}

# mob_x_nat: "NS SRC" of the NAT in front of X in its current position
# (nothing on the direct path).
mob_x_nat() {
	case $X_MODE in
	nat_a) echo "$NS_RA $X_A4" ;;
	nat_b) echo "$NS_RB $X_B4" ;;
	esac
}

# mob_y_port_left PORT [MOVES]: Y's outbound SA no longer goes to PORT but
# to the port the NAT in front of X now maps X's flow to; the new port (and
# Y's move counter since MOVES) is the check's note.  Silent: for busywait.
mob_y_port_left() {
	local now nat
	now=$(mob_sa y out dport)
	# shellcheck disable=SC2046 # NS SRC
	nat=$(mob_nat_port $(mob_x_nat))
	[[ $now =~ ^[0-9]+$ && $now != "$1" && $now == "$nat" ]] || return
	ktap_note " ($1 -> $now, the NAT's mapping${2:+, moves $2 -> $(mob_stat "$NS_Y" moves)})"
}

# mob_y_port_diag PORT: why mob_y_port_left PORT fails.
mob_y_port_diag() {
	# shellcheck disable=SC2046 # NS SRC
	echo "Y's outbound port ${1:-?} -> $(mob_sa y out dport), the NAT maps X to port $(mob_nat_port $(mob_x_nat))"
	# shellcheck disable=SC2046 # NS SRC
	set -- $(mob_x_nat)
	echo "conntrack of the NAT: $(ns_ct_list "$1" 2>&1)"
}

# mob_registered_at ADDR: Y's outbound SA goes to ADDR and X's registration
# is done (within 30 s each: a bound on a failure, under load and loss);
# otherwise both connections are shown.
mob_registered_at() {
	busywait 30000 mob_sa_is y out dst "$1" &&
		busywait 30000 mob_sa_is x out reg-state registered && return
	mob_show y x
	return 1
}

# mob_y_in_from ADDR PORT: Y's inbound SA comes from ADDR:PORT (else Y is
# shown).
mob_y_in_from() {
	mob_sa_is y in src sport "$1 $2" && return
	mob_show y
	return 1
}

# mob_nat_translated NAT PORT: the NAT flags name a translated source address.
mob_nat_translated() {
	local nat=$1
	[[ $nat != 0x0 && $((nat & 1)) == 1 ]] || { echo "nat=$1 port=$2"; return 1; }
}
# mob_nat_none NAT PORT: no translation, ESP-in-UDP on port 4500.
mob_nat_none() {
	[[ $1 == 0x0 && $2 == 4500 ]] || { echo "nat=$1 port=$2"; return 1; }
}

# mob_check_verdict NAME NATTED(yes|no) NAT PORT: one check of Y's verdict
# on the last registration, from the nat and dport fields of its outbound SA.
mob_check_verdict() {
	if [[ $2 == yes ]]; then
		ktap_check "$1: Y's verdict: source translated ($3, port $4)" mob_nat_translated "$3" "$4"
	else
		ktap_check "$1: Y's verdict: no translation" mob_nat_none "$3" "$4"
	fi
}

# One inner ping across the tunnel.
mob_ping_x2y() {
	ip netns exec "$NS_X" ping -q -c 1 -W 2 -I "$X_INNER4" "$Y_INNER4" >/dev/null 2>&1
}
mob_ping_y2x() {
	ip netns exec "$NS_Y" ping -q -c 1 -W 2 -I "$Y_INNER4" "$X_INNER4" >/dev/null 2>&1
}

# --- ESP on the wire (lib/espwire.py) -----------------------------------------

MOB_ESPWIRE=$MOB_REPO/tests/selftests/lib/espwire.py

# mob_capture VAR NS IF PCAP FILTER [SNAPLEN]: tcpdump in NS on IF into
# PCAP (its messages in PCAP.log), listening before this returns; its pid
# in VAR.
mob_capture() {
	ktap_bg -o "$4.log" ip netns exec "$2" tcpdump -n -i "$3" -B 16384 -s "${6:-64}" \
		-w "$4" "$5"
	printf -v "$1" %s "$!"
	busywait 5000 grep -q "listening on" "$4.log"
}

# mob_esp_check PCAP SRC SPI [MAX_MISSING]: espwire.py's line for SPI of
# the ESP from SRC (addresses, comma-separated) in PCAP, as the check's
# note; packets seen, none twice and, with MAX_MISSING, at most that many
# numbers skipped.
mob_esp_check() {
	local line
	line=$(python3 "$MOB_ESPWIRE" check "$1" --src "$2" --spi "$3") || return
	echo "$line"
	ktap_note " ($line)"
	[[ $line =~ packets\ ([0-9]+).*duplicates\ ([0-9]+)\ missing\ ([0-9]+) ]] || return
	((BASH_REMATCH[1] > 0 && BASH_REMATCH[2] == 0)) || return
	[[ -z ${4:-} ]] || ((BASH_REMATCH[3] <= $4))
}
