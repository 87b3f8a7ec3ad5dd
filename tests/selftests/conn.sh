#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Control plane of xfrm_mobility: the generic netlink family and the
# connection table, driven by mobctl and by a raw netlink client
# (conn_nl.py), against real tunnel-mode SAs installed with ip xfrm
# (topology: lib/netns.sh, SAs: lib/mobility.sh).  Every check reads state
# back (mobctl show dump, ip xfrm) or checks exit codes and error messages.
#
#   family: present in fresh namespaces and in ones older than the module;
#           "module not loaded" once unloaded
#   permissions: EPERM without CAP_NET_ADMIN (nobody, root without
#           cap_net_admin, root of a user namespace in its own netns)
#   conn add/del/show on ESP-in-UDP and on plain ESP SAs: SPIs, addresses,
#           encapsulation, roles; EEXIST for a managed reqid or a taken name;
#           ENOENT without policy / outbound SA / inbound SA; no such
#           connection; the SAs are never touched
#   malformed requests (conn_nl.py): missing, out-of-range, oversized,
#           unknown, wrongly sized and trailing attributes, mark outside the
#           mask, no selector; the table is unchanged after each
#   SAs and policies deleted underneath: sa-missing, policy-missing, ok
#           again once restored
#   module unload with connections in two namespaces: SAs stay, reload
#           starts empty and works
set -uo pipefail

dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
. "$dir/lib/ktap.sh"
. "$dir/lib/netns.sh"
. "$dir/lib/mobility.sh"

ktap_header
ktap_require_root
ktap_require_cmd ip python3 setpriv unshare rmmod insmod

mob_load || ktap_skip_all "xfrm_mobility not loadable (XM_KO unset?)"

TMPD=$(mktemp -d)
ns_cleanup_add "rm -rf $TMPD"

# xrun CMD...: run CMD; RC, OUT (stdout) and ERR (stderr) receive the result.
xrun() {
	OUT=$("$@" 2>"$TMPD/err") && RC=0 || RC=$?
	ERR=$(<"$TMPD/err")
}

run_diag() {
	printf 'command: %s\nexit %s\nstdout: %s\nstderr: %s' "$*" "$RC" "$OUT" "$ERR"
}

# expect_empty DESC CMD...: exit 0, no output at all.
expect_empty() {
	local desc=$1
	shift
	xrun "$@"
	if ((RC == 0)) && [[ -z $OUT && -z $ERR ]]; then
		ktap_pass "$desc"
	else
		ktap_fail "$desc" "$(run_diag "$@")"
	fi
}

# expect_fail DESC RC ERE CMD...: exit RC, stderr matching ERE (. matches
# newlines too), nothing on stdout.
expect_fail() {
	local desc=$1 rc=$2 re=$3
	shift 3
	xrun "$@"
	if ((RC == rc)) && [[ -z $OUT && $ERR =~ $re ]]; then
		ktap_pass "$desc"
	else
		ktap_fail "$desc" "want exit $rc, stderr =~ /$re/
$(run_diag "$@")"
	fi
}

# xfrm_snap NS: every SA and policy of NS and the counts (for "untouched"),
# one line per entry, sorted: a dump lists entries deleted and added again
# in another order.
xfrm_snap() {
	local l rec='' recs=() i j t
	while IFS= read -r l; do
		if [[ $l == src\ * || $l == *SAD\ count* || $l == *SPD\ * ]]; then
			[[ -z $rec ]] || recs+=("$rec")
			rec=$l
		else
			rec+=" | $l"
		fi
	done < <(ns_ipb "$1" 2>&1 <<EOF
xfrm state count
xfrm state list
xfrm policy count
xfrm policy list
EOF
	)
	[[ -z $rec ]] || recs+=("$rec")
	for ((i = 1; i < ${#recs[@]}; i++)); do
		t=${recs[i]}
		for ((j = i - 1; j >= 0; j--)); do
			[[ ${recs[j]} > $t ]] || break
			recs[j + 1]=${recs[j]}
		done
		recs[j + 1]=$t
	done
	printf '%s\n' "${recs[@]}"
}
sad_count() { [[ $1 =~ SAD\ count\ ([0-9]+) ]] && echo "${BASH_REMATCH[1]}"; }

# check_snap DESC NS SNAPSHOT: the SAs and policies of NS are still SNAPSHOT.
check_snap() {
	local now
	now=$(xfrm_snap "$2")
	if [[ $now == "$3" && -n $(sad_count "$now") ]]; then
		ktap_pass "$1 (SAD count $(sad_count "$now"))"
	else
		ktap_fail "$1" "before:
$3
now:
$now"
	fi
}

# dump_rows NS: ROWS gets columns 1-12 of each `mobctl show dump` line,
# blank-separated; RC/OUT/ERR as xrun.
dump_rows() {
	local l f
	ROWS=()
	xrun mobctl -n "$1" show dump
	[[ -n $OUT ]] || return 0
	while IFS= read -r l; do
		IFS=$'\t' read -r -a f <<<"$l"
		ROWS+=("${f[*]:0:12}")
	done <<<"$OUT"
}

# check_rows DESC NS ROW...: `mobctl show dump` exits 0 and gives exactly
# these rows (columns 1-12).
check_rows() {
	local desc=$1 ns=$2
	shift 2
	dump_rows "$ns"
	if ((RC == 0)) && [[ -z $ERR && "${ROWS[*]/%/|}" == "${*/%/|}" ]]; then
		ktap_pass "$desc"
	else
		ktap_fail "$desc" "want rows:
$(printf '%s\n' "$@")
$(run_diag mobctl -n "$ns" show dump)"
	fi
}

# check_state DESC NS STATE [DIR...]: column 5 of every dump line is STATE
# and exactly the SA rows DIR... are listed (no DIR: only "-", no SA).
check_state() {
	local desc=$1 ns=$2 want=$3 l f states='' dirs=''
	shift 3
	xrun mobctl -n "$ns" show dump
	while IFS= read -r l; do
		[[ -n $l ]] || continue
		IFS=$'\t' read -r -a f <<<"$l"
		states+="${f[4]} "
		dirs+="${f[5]} "
	done <<<"$OUT"
	local wdirs="${*:--} " wstates=''
	for l in $wdirs; do wstates+="$want "; done
	if ((RC == 0)) && [[ -z $ERR && $states == "$wstates" && $dirs == "$wdirs" ]]; then
		ktap_pass "$desc"
	else
		ktap_fail "$desc" "want state $want, rows for: $wdirs
$(run_diag mobctl -n "$ns" show dump)"
	fi
}

# conn_add DESC NS ARGS...: conn add must print "id N"; CONN_ID gets N.
conn_add() {
	local desc=$1 ns=$2
	shift 2
	CONN_ID=
	xrun mobctl -n "$ns" conn add "$@"
	if ((RC == 0)) && [[ -z $ERR && $OUT =~ ^id\ ([1-9][0-9]*)$ ]]; then
		CONN_ID=${BASH_REMATCH[1]}
		ktap_pass "$desc: id $CONN_ID"
	else
		ktap_fail "$desc" "$(run_diag mobctl -n "$ns" conn add "$@")"
		return 1
	fi
}

MOD_GONE="xfrm_mobility module not loaded"
# Without all capabilities (and as nobody), or as root minus cap_net_admin.
NOBODY=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=-all
	--bounding-set=-all --)
NO_NET_ADMIN=(setpriv --inh-caps=-net_admin --bounding-set=-net_admin --)
EPERM_RE="Operation not permitted"
# NL_SET_ERR_MSG_MOD prefixes the module name.
MODP="xfrm_mobility: "

# --- 1. the family in every netns; module unload and reload ----------------

if ! ns_create_many NS_F1=xm-f1 NS_F2=xm-f2 >/dev/null 2>&1; then
	ktap_fail "namespaces" "ns_create_many failed"
	ktap_finished
fi
expect_empty "family: show in a fresh netns ($NS_F1): empty" mobctl -n "$NS_F1" show
expect_empty "family: show in a fresh netns ($NS_F2): empty" mobctl -n "$NS_F2" show

xrun rmmod xfrm_mobility
if ((RC == 0)) && [[ ! -d /sys/module/xfrm_mobility ]]; then
	ktap_pass "unload: rmmod without connections"
else
	ktap_fail "unload: rmmod without connections" "$(run_diag rmmod xfrm_mobility)"
fi
expect_fail "unload: show fails with 'module not loaded'" 1 "$MOD_GONE" mobctl show
expect_fail "unload: conn add in a netns fails with 'module not loaded'" 1 "$MOD_GONE" \
	mobctl -n "$NS_F1" conn add reqid 1
xrun mob_load
if ((RC == 0)) && [[ -d /sys/module/xfrm_mobility ]]; then
	ktap_pass "reload: insmod"
else
	ktap_fail "reload: insmod" "$(run_diag insmod "${XM_KO:-}")"
	ktap_finished
fi
expect_empty "reload: show in a netns older than the module: empty" mobctl -n "$NS_F2" show

# --- topology and SAs (ESP in UDP) --------------------------------------------

if ! ns_topo_mobility >/dev/null 2>&1; then
	ktap_fail "topology" "ns_topo_mobility failed"
	ktap_finished
fi
if ! mob_tunnel udp >"$TMPD/log" 2>&1; then
	ktap_fail "ip xfrm setup (udp)" "$(<"$TMPD/log")"
	ktap_finished
fi
X=$NS_X Y=$NS_Y
XL=$X_A4 YL=$Y_WAN4
SPI_O=$MOB_SPI_XY SPI_I=$MOB_SPI_YX
snap_x=$(xfrm_snap "$X")
snap_y=$(xfrm_snap "$Y")

# --- 2. permissions -----------------------------------------------------------

expect_fail "perm: show as nobody without capabilities: EPERM" 1 \
	"conn show: $EPERM_RE" ip netns exec "$X" "${NOBODY[@]}" "$MOBCTL" show
expect_fail "perm: conn add as nobody without capabilities: EPERM" 1 \
	"conn add: $EPERM_RE" ip netns exec "$X" "${NOBODY[@]}" "$MOBCTL" conn add name c1 reqid 1
expect_fail "perm: conn add as root without cap_net_admin: EPERM" 1 \
	"conn add: $EPERM_RE" ip netns exec "$X" "${NO_NET_ADMIN[@]}" "$MOBCTL" conn add name c1 reqid 1
# admin-perm (GENL_ADMIN_PERM) wants CAP_NET_ADMIN in the initial user
# namespace: root of a user namespace is refused even in its own netns.
expect_fail "perm: show as root of a user namespace in its own netns: EPERM" 1 \
	"conn show: $EPERM_RE" unshare -U -r -n -- "$MOBCTL" show
expect_empty "perm: the refused conn add added nothing" mobctl -n "$X" show

# --- 3. conn add/del/show on ESP-in-UDP SAs -----------------------------------

conn_add "udp: conn add on X (mobile)" "$X" name c1 reqid 1 role mobile
idx=$CONN_ID
check_rows "udp: show dump on X lists both SAs" "$X" \
	"$idx c1 1 mobile ok in $SPI_I $YL $XL espinudp 4500 4500" \
	"$idx c1 1 mobile ok out $SPI_O $XL $YL espinudp 4500 4500"
xrun mobctl -n "$X" show
re1="^conn $idx name c1 reqid 1 role mobile state ok reg idle port 4501 keepalive 20 encap auto"$'\n'
re2=$'\n'"    out spi $SPI_O $XL -> $YL encap espinudp 4500 -> 4500 oseq "
re3=$'\n'"    in  spi $SPI_I $YL -> $XL encap espinudp 4500 -> 4500"$'\n'
if ((RC == 0)) && [[ $OUT =~ $re1 && $OUT =~ $re2 && $OUT =~ $re3 ]]; then
	ktap_pass "udp: pretty show on X"
else
	ktap_fail "udp: pretty show on X" "want =~ /$re1/, /$re2/, /$re3/
$(run_diag mobctl -n "$X" show)"
fi
conn_add "udp: conn add on Y (gateway)" "$Y" name gw reqid 1 role gateway
idy=$CONN_ID
check_rows "udp: show dump on Y lists both SAs" "$Y" \
	"$idy gw 1 gateway ok in $SPI_O $XL $YL espinudp 4500 4500" \
	"$idy gw 1 gateway ok out $SPI_I $YL $XL espinudp 4500 4500"

expect_fail "udp: same reqid again: EEXIST with extack" 1 \
	"^Error: ($MODP)?these SAs are already managed by another connection.*conn add: File exists" \
	mobctl -n "$X" conn add name c2 reqid 1
expect_fail "udp: name taken: EEXIST with extack" 1 \
	"^Error: ($MODP)?a connection with this name exists.*conn add: File exists" \
	mobctl -n "$X" conn add name c1 reqid 2
expect_fail "udp: reqid without policy: ENOENT with extack" 1 \
	"^Error: ($MODP)?no outbound tunnel-mode ESP policy template with this reqid.*conn add: No such file or directory" \
	mobctl -n "$X" conn add reqid 77
expect_fail "udp: conn del id 99: no such connection" 1 \
	"^Error: ($MODP)?no such connection.*conn del: No such file or directory" \
	mobctl -n "$X" conn del id 99
expect_fail "udp: show id 99: ENOENT" 1 "conn show: No such file or directory" \
	mobctl -n "$X" show id 99
expect_fail "perm: conn del as nobody without capabilities: EPERM" 1 \
	"conn del: $EPERM_RE" ip netns exec "$X" "${NOBODY[@]}" "$MOBCTL" conn del id "$idx"
check_rows "udp: failed requests left the table alone" "$X" \
	"$idx c1 1 mobile ok in $SPI_I $YL $XL espinudp 4500 4500" \
	"$idx c1 1 mobile ok out $SPI_O $XL $YL espinudp 4500 4500"

# A policy without SAs (reqid 5), a policy with only its outbound SA
# (reqid 6), in a namespace of their own.
ns_ipb "$NS_F1" >"$TMPD/log" 2>&1 <<EOF
xfrm policy add src 10.99.5.0/24 dst 10.88.5.0/24 dir out tmpl src 192.0.2.1 dst 192.0.2.5 proto esp reqid 5 mode tunnel
xfrm policy add src 10.99.6.0/24 dst 10.88.6.0/24 dir out tmpl src 192.0.2.1 dst 192.0.2.6 proto esp reqid 6 mode tunnel
xfrm state add src 192.0.2.1 dst 192.0.2.6 proto esp spi 0x6001 reqid 6 mode tunnel replay-window 32 aead rfc4106(gcm(aes)) $MOB_KEY_XY 128
EOF
[[ -s $TMPD/log ]] && ktap_diag "$(<"$TMPD/log")"
expect_fail "policy without SA: ENOENT with extack" 1 \
	"^Error: ($MODP)?no outbound ESP tunnel SA matching the policy template.*No such file or directory" \
	mobctl -n "$NS_F1" conn add reqid 5
expect_fail "policy with only an outbound SA: ENOENT with extack" 1 \
	"^Error: ($MODP)?no inbound ESP tunnel SA matching the policy template.*No such file or directory" \
	mobctl -n "$NS_F1" conn add reqid 6
expect_empty "refused adds left that netns' table empty" mobctl -n "$NS_F1" show

expect_empty "udp: conn del id $idx" mobctl -n "$X" conn del id "$idx"
expect_empty "udp: show on X empty after del" mobctl -n "$X" show
check_snap "udp: X's SAs and policies untouched" "$X" "$snap_x"
expect_empty "udp: conn del name gw on Y" mobctl -n "$Y" conn del name gw
expect_empty "udp: show on Y empty after del" mobctl -n "$Y" show
check_snap "udp: Y's SAs and policies untouched" "$Y" "$snap_y"

# --- 4. malformed requests (raw netlink) -----------------------------------------

conn_add "nl: conn add on X for the table" "$X" name c1 reqid 1
idx=$CONN_ID
xrun mobctl -n "$X" show dump
before=$OUT
nl_cases=(add-no-attrs add-no-reqid add-reqid-0 add-reqid-u16 add-reqid-u64
	add-name-100 add-name-64 add-name-63 add-name-no-nul add-unknown-200
	add-unknown-state add-mark-outside add-mark-no-mask add-role-2
	add-port-0 add-trailing del-no-sel del-id-0 handover-no-sel
	handover-local-no-sel get-unknown-200)
xrun ip netns exec "$X" python3 "$dir/conn_nl.py" "${nl_cases[@]}"
declare -A NL=()
if ((RC == 0)) && [[ $OUT == "dump 1"$'\n'* ]]; then
	ktap_pass "nl: raw client dumps the table (1 connection)"
	while IFS= read -r l; do
		NL[${l%%$'\t'*}]=$l
	done <<<"${OUT#*$'\n'}"
else
	ktap_fail "nl: raw client dumps the table" "$(run_diag conn_nl.py)"
fi

# nl_expect CASE DESC ERRNO_ERE MSG_ERE [MISS]: the reply's errno matches
# ERRNO_ERE, its extack message MSG_ERE (empty: not checked), the offset
# points at the invalid attribute if the case has one, the missing
# attribute is MISS if given, and the table did not change.
nl_expect() {
	local case=$1 desc=$2 ere=$3 mre=$4 miss=${5:-} f bad=''
	IFS=$'\t' read -r -a f <<<"${NL[$case]:-}"
	if ((${#f[@]} < 7)); then
		ktap_fail "nl: $desc" "no result for $case"
		return
	fi
	[[ ${f[1]} =~ ^($ere)$ ]] || bad+=" errno ${f[1]} !~ $ere;"
	[[ -z $mre || ${f[6]} =~ $mre ]] || bad+=" extack '${f[6]}' !~ /$mre/;"
	[[ ${f[4]} == - || ${f[3]} == "${f[4]}" ]] || bad+=" offset ${f[3]}, want ${f[4]};"
	[[ -z $miss || ${f[2]} == "$miss" ]] || bad+=" missing attr ${f[2]}, want $miss;"
	[[ ${f[5]} == same ]] || bad+=" the connection table changed;"
	if [[ -z $bad ]]; then
		ktap_pass "nl: $desc"
	else
		ktap_fail "nl: $desc" "${bad# } (reply: ${NL[$case]})"
	fi
}

nl_expect add-no-attrs "conn-add without attributes: EINVAL, reqid missing" \
	EINVAL "" 3
nl_expect add-no-reqid "conn-add without reqid: EINVAL, reqid missing" \
	EINVAL "" 3
nl_expect add-reqid-0 "conn-add reqid 0: out of range" "EINVAL|ERANGE" "range"
nl_expect add-reqid-u16 "conn-add reqid of 2 bytes: EINVAL" EINVAL "length"
nl_expect add-reqid-u64 "conn-add reqid of 8 bytes: EINVAL" EINVAL "length"
nl_expect add-name-100 "conn-add name of 100 bytes: rejected" "EINVAL|ERANGE" "."
# NAME_MAX_LEN (64) counts the NUL: 63 bytes is the longest name (mobctl.8).
nl_expect add-name-64 "conn-add name of 64 bytes (+NUL > name-max-len): rejected" \
	"EINVAL|ERANGE|E2BIG" "."
nl_expect add-name-63 "conn-add name of 63 bytes passes validation (ENOENT: no SA)" \
	ENOENT "no outbound tunnel-mode ESP policy template"
nl_expect add-name-no-nul "conn-add name without NUL: EINVAL" EINVAL "."
nl_expect add-unknown-200 "conn-add with unknown attribute 200: EINVAL" EINVAL "[Uu]nknown attribute"
nl_expect add-unknown-state "conn-add with attribute 9 (state, not in the request policy): EINVAL" \
	EINVAL "[Uu]nknown attribute|[Uu]nsupported attribute"
nl_expect add-mark-outside "conn-add mark 0x10/0xf: EINVAL" EINVAL \
	"^mark has bits outside the mark mask$"
nl_expect add-mark-no-mask "conn-add mark 1 without mask: EINVAL" EINVAL \
	"^mark has bits outside the mark mask$"
nl_expect add-role-2 "conn-add role 2: out of range" "EINVAL|ERANGE" "range"
nl_expect add-port-0 "conn-add reg-port 0: out of range" "EINVAL|ERANGE" "range"
nl_expect add-trailing "conn-add with 3 trailing bytes: EINVAL" EINVAL "leftover"
nl_expect del-no-sel "conn-del without id or name: EINVAL" EINVAL \
	"connection id or name is required"
nl_expect del-id-0 "conn-del id 0: out of range" "EINVAL|ERANGE" "range"
nl_expect handover-no-sel "handover without id or name: EINVAL" EINVAL \
	"connection id or name is required"
nl_expect handover-local-no-sel "handover with local-ipv4 but no id or name: EINVAL" EINVAL \
	"connection id or name is required"
nl_expect get-unknown-200 "conn-get dump with unknown attribute 200: EINVAL" EINVAL \
	"[Uu]nknown attribute"

xrun mobctl -n "$X" show dump
if ((RC == 0)) && [[ -n $before && $OUT == "$before" ]]; then
	ktap_pass "nl: show dump identical before and after the malformed requests"
else
	ktap_fail "nl: show dump identical before and after the malformed requests" \
		"before:
$before
$(run_diag mobctl -n "$X" show dump)"
fi
expect_empty "nl: conn del name c1" mobctl -n "$X" conn del name c1

# --- 3b. the same on plain ESP SAs --------------------------------------------

for ns in "$X" "$Y"; do
	ns_ipb "$ns" <<<$'xfrm state flush\nxfrm policy flush'
done
if ! mob_tunnel none >"$TMPD/log" 2>&1; then
	ktap_fail "ip xfrm setup (none)" "$(<"$TMPD/log")"
	ktap_finished
fi
snap_x=$(xfrm_snap "$X")
snap_y=$(xfrm_snap "$Y")

conn_add "esp: conn add on X (mobile)" "$X" name esp reqid 1
idx=$CONN_ID
check_rows "esp: show dump on X lists both SAs, encap none" "$X" \
	"$idx esp 1 mobile ok in $SPI_I $YL $XL none 0 0" \
	"$idx esp 1 mobile ok out $SPI_O $XL $YL none 0 0"
expect_fail "esp: same reqid again: EEXIST with extack" 1 \
	"^Error: ($MODP)?these SAs are already managed by another connection.*conn add: File exists" \
	mobctl -n "$X" conn add reqid 1 role gateway
expect_empty "esp: conn del id $idx" mobctl -n "$X" conn del id "$idx"
expect_empty "esp: show on X empty after del" mobctl -n "$X" show
check_snap "esp: X's SAs and policies untouched" "$X" "$snap_x"
conn_add "esp: conn add on Y (gateway)" "$Y" name gw reqid 1 role gateway
idy=$CONN_ID
check_rows "esp: show dump on Y lists both SAs, encap none" "$Y" \
	"$idy gw 1 gateway ok in $SPI_O $XL $YL none 0 0" \
	"$idy gw 1 gateway ok out $SPI_I $YL $XL none 0 0"

# --- 5. SAs and policies deleted underneath --------------------------------------

conn_add "sa: conn add on X" "$X" name esp reqid 1
idx=$CONN_ID
sa_out="src $XL dst $YL proto esp spi $SPI_O"
sa_in="src $YL dst $XL proto esp spi $SPI_I"
aead="reqid 1 mode tunnel replay-window 32 aead rfc4106(gcm(aes))"
pol_out="src $X_INNER4/32 dst 10.88.0.0/24 dir out"
pol_in="src 10.88.0.0/24 dst $X_INNER4/32"
tmpl_out="tmpl src $XL dst $YL proto esp reqid 1 mode tunnel"
tmpl_in="tmpl src $YL dst $XL proto esp reqid 1 mode tunnel"

ns_ipb "$X" <<<"xfrm state delete $sa_out"
check_state "sa: outbound SA deleted: sa-missing, inbound row only" "$X" sa-missing in
ns_ipb "$X" <<EOF
xfrm policy delete $pol_out
xfrm policy delete $pol_in dir in
xfrm policy delete $pol_in dir fwd
EOF
check_state "sa: policies deleted too: policy-missing" "$X" policy-missing in
ns_ipb "$X" <<EOF
xfrm state add $sa_out $aead $MOB_KEY_XY 128
xfrm policy add $pol_out $tmpl_out
xfrm policy add $pol_in dir in $tmpl_in
xfrm policy add $pol_in dir fwd $tmpl_in
EOF
check_rows "sa: SA and policies restored: ok, both SAs" "$X" \
	"$idx esp 1 mobile ok in $SPI_I $YL $XL none 0 0" \
	"$idx esp 1 mobile ok out $SPI_O $XL $YL none 0 0"
ns_ipb "$X" <<<"xfrm state delete $sa_in"
check_state "sa: inbound SA deleted: sa-missing, outbound row only" "$X" sa-missing out
ns_ipb "$X" <<<"xfrm state delete $sa_out"
check_state "sa: both SAs deleted: sa-missing, one row without SA" "$X" sa-missing
ns_ipb "$X" <<EOF
xfrm state add $sa_in $aead $MOB_KEY_YX 128
xfrm state add $sa_out $aead $MOB_KEY_XY 128
EOF
check_state "sa: both SAs restored: ok" "$X" ok in out
# The spec: ok means "both SAs and the outbound policy exist".
ns_ipb "$X" <<<"xfrm policy delete $pol_out"
check_state "sa: outbound policy deleted, SAs present: policy-missing" "$X" policy-missing in out
ns_ipb "$X" <<<"xfrm policy add $pol_out $tmpl_out"
check_state "sa: outbound policy restored: ok" "$X" ok in out
check_snap "sa: X's SAs and policies as originally installed" "$X" "$snap_x"

# --- 6. module unload with connections in two namespaces ----------------------

check_rows "unload: connection present on Y" "$Y" \
	"$idy gw 1 gateway ok in $SPI_O $XL $YL none 0 0" \
	"$idy gw 1 gateway ok out $SPI_I $YL $XL none 0 0"
xrun rmmod xfrm_mobility
if ((RC == 0)) && [[ ! -d /sys/module/xfrm_mobility ]]; then
	ktap_pass "unload: rmmod with connections in X and Y"
else
	ktap_fail "unload: rmmod with connections in X and Y" "$(run_diag rmmod xfrm_mobility)"
fi
check_snap "unload: X's SAs and policies remain" "$X" "$snap_x"
check_snap "unload: Y's SAs and policies remain" "$Y" "$snap_y"
xrun mob_load
if ((RC == 0)) && [[ -d /sys/module/xfrm_mobility ]]; then
	ktap_pass "unload: reload"
else
	ktap_fail "unload: reload" "$(run_diag insmod "${XM_KO:-}")"
	ktap_finished
fi
expect_empty "unload: show on X empty after reload" mobctl -n "$X" show
expect_empty "unload: show on Y empty after reload" mobctl -n "$Y" show
conn_add "unload: conn add on X works after reload" "$X" name esp reqid 1
check_rows "unload: the new connection is ok" "$X" \
	"$CONN_ID esp 1 mobile ok in $SPI_I $YL $XL none 0 0" \
	"$CONN_ID esp 1 mobile ok out $SPI_O $XL $YL none 0 0"

ktap_finished
