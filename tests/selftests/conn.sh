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
# shellcheck source=lib/mobility.sh
. "$dir/lib/mobility.sh"

mob_test_init ip python3 setpriv unshare rmmod insmod

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

# The predicates below are the checks of this test (ktap_check DESC
# PREDICATE ARGS...); each prints what it found when it fails.

# quiet CMD...: exit 0, no output at all.
quiet() {
	xrun "$@"
	if ((RC == 0)) && [[ -z $OUT && -z $ERR ]]; then
		return 0
	fi
	run_diag "$@"
	return 1
}

# fails RC ERE CMD...: exit RC, stderr matching ERE (. matches newlines
# too), nothing on stdout.
fails() {
	local rc=$1 re=$2
	shift 2
	xrun "$@"
	if ((RC == rc)) && [[ -z $OUT && $ERR =~ $re ]]; then
		return 0
	fi
	echo "want exit $rc, stderr =~ /$re/"
	run_diag "$@"
	return 1
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

# snap_is NS SNAPSHOT: the SAs and policies of NS are still SNAPSHOT; the
# SAD count is the check's note.
snap_is() {
	local now
	now=$(xfrm_snap "$1")
	if [[ $now == "$2" && -n $(sad_count "$now") ]]; then
		ktap_note " (SAD count $(sad_count "$now"))"
		return 0
	fi
	printf 'before:\n%s\nnow:\n%s\n' "$2" "$now"
	return 1
}

# dump_rows NS: ROWS gets the fields MOB_SA_ROW of each `mobctl show dump`
# line; RC/OUT/ERR as xrun.
dump_rows() {
	local l
	ROWS=()
	xrun mobctl -n "$1" show dump
	[[ -n $OUT ]] || return 0
	while IFS= read -r l; do
		ROWS+=("$(mob_fields "$l" "${MOB_SA_ROW[@]}")")
	done <<<"$OUT"
}

# rows_are NS ROW...: `mobctl show dump` exits 0 and gives exactly these
# rows (fields MOB_SA_ROW).
rows_are() {
	local ns=$1
	shift
	dump_rows "$ns"
	if ((RC == 0)) && [[ -z $ERR && "${ROWS[*]/%/|}" == "${*/%/|}" ]]; then
		return 0
	fi
	printf 'want rows:\n'
	printf '%s\n' "$@"
	run_diag mobctl -n "$ns" show dump
	return 1
}

# states_are NS STATE [DIR...]: the state of every dump line is STATE and
# exactly the SA rows DIR... are listed (no DIR: only "-", no SA).
states_are() {
	local ns=$1 want=$2 l s d states='' dirs=''
	shift 2
	xrun mobctl -n "$ns" show dump
	while IFS= read -r l; do
		[[ -n $l ]] || continue
		read -r s d <<<"$(mob_fields "$l" state dir)"
		states+="$s "
		dirs+="$d "
	done <<<"$OUT"
	local wdirs="${*:--} " wstates=''
	for l in $wdirs; do wstates+="$want "; done
	if ((RC == 0)) && [[ -z $ERR && $states == "$wstates" && $dirs == "$wdirs" ]]; then
		return 0
	fi
	echo "want state $want, rows for: $wdirs"
	run_diag mobctl -n "$ns" show dump
	return 1
}

# conn_added NS ARGS...: conn add prints "id N"; CONN_ID gets N, ": id N"
# is the check's note.
conn_added() {
	local ns=$1
	shift
	CONN_ID=
	xrun mobctl -n "$ns" conn add "$@"
	if ((RC == 0)) && [[ -z $ERR && $OUT =~ ^id\ ([1-9][0-9]*)$ ]]; then
		CONN_ID=${BASH_REMATCH[1]}
		ktap_note ": id $CONN_ID"
		return 0
	fi
	run_diag mobctl -n "$ns" conn add "$@"
	return 1
}

# unloaded: rmmod succeeds and the module is gone.
unloaded() {
	xrun rmmod xfrm_mobility
	if ((RC == 0)) && [[ ! -d /sys/module/xfrm_mobility ]]; then
		return 0
	fi
	run_diag rmmod xfrm_mobility
	return 1
}

# shows NS ERE...: `mobctl show` in NS exits 0 and matches every ERE.
shows() {
	local ns=$1 re ok=1 want=''
	shift
	xrun mobctl -n "$ns" show
	((RC == 0)) || ok=0
	for re; do
		[[ $OUT =~ $re ]] || ok=0
		want+=", /$re/"
	done
	((ok)) && return 0
	echo "want =~ ${want#, }"
	run_diag mobctl -n "$ns" show
	return 1
}

# dump_is NS DUMP: `mobctl show dump` in NS exits 0 and prints DUMP (not
# empty).
dump_is() {
	xrun mobctl -n "$1" show dump
	if ((RC == 0)) && [[ -n $2 && $OUT == "$2" ]]; then
		return 0
	fi
	printf 'before:\n%s\n' "$2"
	run_diag mobctl -n "$1" show dump
	return 1
}

# reloaded: mob_load succeeds and the module is there.
reloaded() {
	xrun mob_load
	if ((RC == 0)) && [[ -d /sys/module/xfrm_mobility ]]; then
		return 0
	fi
	run_diag insmod "${XM_KO:-}"
	return 1
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

if ! ktap_run ns_create_many NS_F1=xm-f1 NS_F2=xm-f2; then
	ktap_fail "namespaces" "ns_create_many failed"
	ktap_finished
fi
ktap_check "family: show in a fresh netns ($NS_F1): empty" quiet mobctl -n "$NS_F1" show
ktap_check "family: show in a fresh netns ($NS_F2): empty" quiet mobctl -n "$NS_F2" show

ktap_check "unload: rmmod without connections" unloaded
ktap_check "unload: show fails with 'module not loaded'" fails 1 "$MOD_GONE" mobctl show
ktap_check "unload: conn add in a netns fails with 'module not loaded'" fails 1 "$MOD_GONE" \
	mobctl -n "$NS_F1" conn add reqid 1
ktap_check "reload: insmod" reloaded || ktap_finished
ktap_check "reload: show in a netns older than the module: empty" quiet mobctl -n "$NS_F2" show

# --- topology and SAs (ESP in UDP) --------------------------------------------

mob_topo udp
X=$NS_X Y=$NS_Y
XL=$X_A4 YL=$Y_WAN4
SPI_O=$MOB_SPI_XY SPI_I=$MOB_SPI_YX
snap_x=$(xfrm_snap "$X")
snap_y=$(xfrm_snap "$Y")

# --- 2. permissions -----------------------------------------------------------

ktap_check "perm: show as nobody without capabilities: EPERM" fails 1 \
	"conn show: $EPERM_RE" ip netns exec "$X" "${NOBODY[@]}" "$MOBCTL" show
ktap_check "perm: conn add as nobody without capabilities: EPERM" fails 1 \
	"conn add: $EPERM_RE" ip netns exec "$X" "${NOBODY[@]}" "$MOBCTL" conn add name c1 reqid 1
ktap_check "perm: conn add as root without cap_net_admin: EPERM" fails 1 \
	"conn add: $EPERM_RE" ip netns exec "$X" "${NO_NET_ADMIN[@]}" "$MOBCTL" conn add name c1 reqid 1
# admin-perm (GENL_ADMIN_PERM) wants CAP_NET_ADMIN in the initial user
# namespace: root of a user namespace is refused even in its own netns.
# A kernel without user namespaces (CONFIG_USER_NS=n) cannot test it.
if [[ ! -e /proc/self/ns/user ]]; then
	ktap_skip "perm: show as root of a user namespace in its own netns: EPERM" \
		"kernel without user namespaces"
else
	ktap_check "perm: show as root of a user namespace in its own netns: EPERM" fails 1 \
		"conn show: $EPERM_RE" unshare -U -r -n -- "$MOBCTL" show
fi
ktap_check "perm: the refused conn add added nothing" quiet mobctl -n "$X" show

# --- 3. conn add/del/show on ESP-in-UDP SAs -----------------------------------

ktap_check "udp: conn add on X (mobile)" conn_added "$X" name c1 reqid 1 role mobile
idx=$CONN_ID
ktap_check "udp: show dump on X lists both SAs" rows_are "$X" \
	"$idx c1 1 mobile ok in $SPI_I $YL $XL espinudp 4500 4500" \
	"$idx c1 1 mobile ok out $SPI_O $XL $YL espinudp 4500 4500"
re1="^conn $idx name c1 reqid 1 role mobile state ok reg idle port 4501 keepalive 20 encap auto"$'\n'
re2=$'\n'"    out spi $SPI_O $XL -> $YL encap espinudp 4500 -> 4500 oseq "
re3=$'\n'"    in  spi $SPI_I $YL -> $XL encap espinudp 4500 -> 4500"$'\n'
ktap_check "udp: pretty show on X" shows "$X" "$re1" "$re2" "$re3"
ktap_check "udp: conn add on Y (gateway)" conn_added "$Y" name gw reqid 1 role gateway
idy=$CONN_ID
ktap_check "udp: show dump on Y lists both SAs" rows_are "$Y" \
	"$idy gw 1 gateway ok in $SPI_O $XL $YL espinudp 4500 4500" \
	"$idy gw 1 gateway ok out $SPI_I $YL $XL espinudp 4500 4500"

ktap_check "udp: same reqid again: EEXIST with extack" fails 1 \
	"^Error: ($MODP)?these SAs are already managed by another connection.*conn add: File exists" \
	mobctl -n "$X" conn add name c2 reqid 1
ktap_check "udp: name taken: EEXIST with extack" fails 1 \
	"^Error: ($MODP)?a connection with this name exists.*conn add: File exists" \
	mobctl -n "$X" conn add name c1 reqid 2
ktap_check "udp: reqid without policy: ENOENT with extack" fails 1 \
	"^Error: ($MODP)?no outbound tunnel-mode ESP policy template with this reqid.*conn add: No such file or directory" \
	mobctl -n "$X" conn add reqid 77
ktap_check "udp: conn del id 99: no such connection" fails 1 \
	"^Error: ($MODP)?no such connection.*conn del: No such file or directory" \
	mobctl -n "$X" conn del id 99
ktap_check "udp: show id 99: ENOENT" fails 1 "conn show: No such file or directory" \
	mobctl -n "$X" show id 99
ktap_check "perm: conn del as nobody without capabilities: EPERM" fails 1 \
	"conn del: $EPERM_RE" ip netns exec "$X" "${NOBODY[@]}" "$MOBCTL" conn del id "$idx"
ktap_check "udp: failed requests left the table alone" rows_are "$X" \
	"$idx c1 1 mobile ok in $SPI_I $YL $XL espinudp 4500 4500" \
	"$idx c1 1 mobile ok out $SPI_O $XL $YL espinudp 4500 4500"

# A policy without SAs (reqid 5), a policy with only its outbound SA
# (reqid 6), in a namespace of their own.
mob_ipb "$NS_F1" <<EOF
xfrm policy add src 10.99.5.0/24 dst 10.88.5.0/24 dir out tmpl src 192.0.2.1 dst 192.0.2.5 proto esp reqid 5 mode tunnel
xfrm policy add src 10.99.6.0/24 dst 10.88.6.0/24 dir out tmpl src 192.0.2.1 dst 192.0.2.6 proto esp reqid 6 mode tunnel
xfrm state add src 192.0.2.1 dst 192.0.2.6 proto esp spi 0x6001 reqid 6 mode tunnel replay-window 32 aead rfc4106(gcm(aes)) $MOB_KEY_XY 128
EOF
ktap_check "policy without SA: ENOENT with extack" fails 1 \
	"^Error: ($MODP)?no outbound ESP tunnel SA matching the policy template.*No such file or directory" \
	mobctl -n "$NS_F1" conn add reqid 5
ktap_check "policy with only an outbound SA: ENOENT with extack" fails 1 \
	"^Error: ($MODP)?no inbound ESP tunnel SA matching the policy template.*No such file or directory" \
	mobctl -n "$NS_F1" conn add reqid 6
ktap_check "refused adds left that netns' table empty" quiet mobctl -n "$NS_F1" show

ktap_check "udp: conn del id $idx" quiet mobctl -n "$X" conn del id "$idx"
ktap_check "udp: show on X empty after del" quiet mobctl -n "$X" show
ktap_check "udp: X's SAs and policies untouched" snap_is "$X" "$snap_x"
ktap_check "udp: conn del name gw on Y" quiet mobctl -n "$Y" conn del name gw
ktap_check "udp: show on Y empty after del" quiet mobctl -n "$Y" show
ktap_check "udp: Y's SAs and policies untouched" snap_is "$Y" "$snap_y"

# --- 4. malformed requests (raw netlink) -----------------------------------------

ktap_check "nl: conn add on X for the table" conn_added "$X" name c1 reqid 1
idx=$CONN_ID
xrun mobctl -n "$X" show dump
before=$OUT
nl_cases=(add-no-attrs add-no-reqid add-reqid-0 add-reqid-u16 add-reqid-u64
	add-name-100 add-name-64 add-name-63 add-name-no-nul add-unknown-200
	add-unknown-state add-mark-outside add-mark-no-mask add-role-2
	add-port-0 add-trailing del-no-sel del-id-0 handover-no-sel
	handover-local-no-sel get-unknown-200)
declare -A NL=()
# nl_dumped CASE...: conn_nl.py runs the cases in X and first dumps the
# table (one connection, the note); NL gets its reply line per case.
nl_dumped() {
	local l
	xrun ip netns exec "$X" python3 "$dir/conn_nl.py" "$@"
	if ((RC != 0)) || [[ $OUT != "dump 1"$'\n'* ]]; then
		run_diag conn_nl.py
		return 1
	fi
	ktap_note " (1 connection)"
	while IFS= read -r l; do
		NL[${l%%$'\t'*}]=$l
	done <<<"${OUT#*$'\n'}"
}
ktap_check "nl: raw client dumps the table" nl_dumped "${nl_cases[@]}"

# nl_reply CASE ERRNO_ERE MSG_ERE [MISS]: the reply's errno matches
# ERRNO_ERE, its extack message MSG_ERE (empty: not checked), the offset
# points at the invalid attribute if the case has one, the missing
# attribute is MISS if given, and the table did not change.
nl_reply() {
	local case=$1 ere=$2 mre=$3 miss=${4:-} f bad=''
	IFS=$'\t' read -r -a f <<<"${NL[$case]:-}"
	if ((${#f[@]} < 7)); then
		echo "no result for $case"
		return 1
	fi
	[[ ${f[1]} =~ ^($ere)$ ]] || bad+=" errno ${f[1]} !~ $ere;"
	[[ -z $mre || ${f[6]} =~ $mre ]] || bad+=" extack '${f[6]}' !~ /$mre/;"
	[[ ${f[4]} == - || ${f[3]} == "${f[4]}" ]] || bad+=" offset ${f[3]}, want ${f[4]};"
	[[ -z $miss || ${f[2]} == "$miss" ]] || bad+=" missing attr ${f[2]}, want $miss;"
	[[ ${f[5]} == same ]] || bad+=" the connection table changed;"
	[[ -z $bad ]] && return
	echo "${bad# } (reply: ${NL[$case]})"
	return 1
}

ktap_check "nl: conn-add without attributes: EINVAL, reqid missing" nl_reply add-no-attrs \
	EINVAL "" 3
ktap_check "nl: conn-add without reqid: EINVAL, reqid missing" nl_reply add-no-reqid \
	EINVAL "" 3
ktap_check "nl: conn-add reqid 0: out of range" nl_reply add-reqid-0 "EINVAL|ERANGE" "range"
ktap_check "nl: conn-add reqid of 2 bytes: EINVAL" nl_reply add-reqid-u16 EINVAL "length"
ktap_check "nl: conn-add reqid of 8 bytes: EINVAL" nl_reply add-reqid-u64 EINVAL "length"
ktap_check "nl: conn-add name of 100 bytes: rejected" nl_reply add-name-100 "EINVAL|ERANGE" "."
# NAME_MAX_LEN (64) counts the NUL: 63 bytes is the longest name (mobctl.8).
ktap_check "nl: conn-add name of 64 bytes (+NUL > name-max-len): rejected" nl_reply add-name-64 \
	"EINVAL|ERANGE|E2BIG" "."
ktap_check "nl: conn-add name of 63 bytes passes validation (ENOENT: no SA)" nl_reply add-name-63 \
	ENOENT "no outbound tunnel-mode ESP policy template"
ktap_check "nl: conn-add name without NUL: EINVAL" nl_reply add-name-no-nul EINVAL "."
ktap_check "nl: conn-add with unknown attribute 200: EINVAL" nl_reply add-unknown-200 EINVAL "[Uu]nknown attribute"
ktap_check "nl: conn-add with attribute 9 (state, not in the request policy): EINVAL" nl_reply add-unknown-state \
	EINVAL "[Uu]nknown attribute|[Uu]nsupported attribute"
ktap_check "nl: conn-add mark 0x10/0xf: EINVAL" nl_reply add-mark-outside EINVAL \
	"^mark has bits outside the mark mask$"
ktap_check "nl: conn-add mark 1 without mask: EINVAL" nl_reply add-mark-no-mask EINVAL \
	"^mark has bits outside the mark mask$"
ktap_check "nl: conn-add role 2: out of range" nl_reply add-role-2 "EINVAL|ERANGE" "range"
ktap_check "nl: conn-add reg-port 0: out of range" nl_reply add-port-0 "EINVAL|ERANGE" "range"
ktap_check "nl: conn-add with 3 trailing bytes: EINVAL" nl_reply add-trailing EINVAL "leftover"
ktap_check "nl: conn-del without id or name: EINVAL" nl_reply del-no-sel EINVAL \
	"connection id or name is required"
ktap_check "nl: conn-del id 0: out of range" nl_reply del-id-0 "EINVAL|ERANGE" "range"
ktap_check "nl: handover without id or name: EINVAL" nl_reply handover-no-sel EINVAL \
	"connection id or name is required"
ktap_check "nl: handover with local-ipv4 but no id or name: EINVAL" nl_reply handover-local-no-sel EINVAL \
	"connection id or name is required"
ktap_check "nl: conn-get dump with unknown attribute 200: EINVAL" nl_reply get-unknown-200 EINVAL \
	"[Uu]nknown attribute"

ktap_check "nl: show dump identical before and after the malformed requests" \
	dump_is "$X" "$before"
ktap_check "nl: conn del name c1" quiet mobctl -n "$X" conn del name c1

# --- 3b. the same on plain ESP SAs --------------------------------------------

for ns in "$X" "$Y"; do
	mob_ipb "$ns" <<<$'xfrm state flush\nxfrm policy flush'
done
if ! ktap_run mob_tunnel none; then
	ktap_fail "ip xfrm setup (none)"
	ktap_finished
fi
snap_x=$(xfrm_snap "$X")
snap_y=$(xfrm_snap "$Y")

ktap_check "esp: conn add on X (mobile)" conn_added "$X" name esp reqid 1
idx=$CONN_ID
ktap_check "esp: show dump on X lists both SAs, encap none" rows_are "$X" \
	"$idx esp 1 mobile ok in $SPI_I $YL $XL none 0 0" \
	"$idx esp 1 mobile ok out $SPI_O $XL $YL none 0 0"
ktap_check "esp: same reqid again: EEXIST with extack" fails 1 \
	"^Error: ($MODP)?these SAs are already managed by another connection.*conn add: File exists" \
	mobctl -n "$X" conn add reqid 1 role gateway
ktap_check "esp: conn del id $idx" quiet mobctl -n "$X" conn del id "$idx"
ktap_check "esp: show on X empty after del" quiet mobctl -n "$X" show
ktap_check "esp: X's SAs and policies untouched" snap_is "$X" "$snap_x"
ktap_check "esp: conn add on Y (gateway)" conn_added "$Y" name gw reqid 1 role gateway
idy=$CONN_ID
ktap_check "esp: show dump on Y lists both SAs, encap none" rows_are "$Y" \
	"$idy gw 1 gateway ok in $SPI_O $XL $YL none 0 0" \
	"$idy gw 1 gateway ok out $SPI_I $YL $XL none 0 0"

# --- 5. SAs and policies deleted underneath --------------------------------------

ktap_check "sa: conn add on X" conn_added "$X" name esp reqid 1
idx=$CONN_ID
sa_out="src $XL dst $YL proto esp spi $SPI_O"
sa_in="src $YL dst $XL proto esp spi $SPI_I"
aead="reqid 1 mode tunnel replay-window 32 aead rfc4106(gcm(aes))"
pol_out="src $X_INNER4/32 dst 10.88.0.0/24 dir out"
pol_in="src 10.88.0.0/24 dst $X_INNER4/32"
tmpl_out="tmpl src $XL dst $YL proto esp reqid 1 mode tunnel"
tmpl_in="tmpl src $YL dst $XL proto esp reqid 1 mode tunnel"

mob_ipb "$X" <<<"xfrm state delete $sa_out"
ktap_check "sa: outbound SA deleted: sa-missing, inbound row only" states_are "$X" sa-missing in
mob_ipb "$X" <<EOF
xfrm policy delete $pol_out
xfrm policy delete $pol_in dir in
xfrm policy delete $pol_in dir fwd
EOF
ktap_check "sa: policies deleted too: policy-missing" states_are "$X" policy-missing in
mob_ipb "$X" <<EOF
xfrm state add $sa_out $aead $MOB_KEY_XY 128
xfrm policy add $pol_out $tmpl_out
xfrm policy add $pol_in dir in $tmpl_in
xfrm policy add $pol_in dir fwd $tmpl_in
EOF
ktap_check "sa: SA and policies restored: ok, both SAs" rows_are "$X" \
	"$idx esp 1 mobile ok in $SPI_I $YL $XL none 0 0" \
	"$idx esp 1 mobile ok out $SPI_O $XL $YL none 0 0"
mob_ipb "$X" <<<"xfrm state delete $sa_in"
ktap_check "sa: inbound SA deleted: sa-missing, outbound row only" states_are "$X" sa-missing out
mob_ipb "$X" <<<"xfrm state delete $sa_out"
ktap_check "sa: both SAs deleted: sa-missing, one row without SA" states_are "$X" sa-missing
mob_ipb "$X" <<EOF
xfrm state add $sa_in $aead $MOB_KEY_YX 128
xfrm state add $sa_out $aead $MOB_KEY_XY 128
EOF
ktap_check "sa: both SAs restored: ok" states_are "$X" ok in out
# The spec: ok means "both SAs and the outbound policy exist".
mob_ipb "$X" <<<"xfrm policy delete $pol_out"
ktap_check "sa: outbound policy deleted, SAs present: policy-missing" states_are "$X" policy-missing in out
mob_ipb "$X" <<<"xfrm policy add $pol_out $tmpl_out"
ktap_check "sa: outbound policy restored: ok" states_are "$X" ok in out
ktap_check "sa: X's SAs and policies as originally installed" snap_is "$X" "$snap_x"

# --- 6. module unload with connections in two namespaces ----------------------

ktap_check "unload: connection present on Y" rows_are "$Y" \
	"$idy gw 1 gateway ok in $SPI_O $XL $YL none 0 0" \
	"$idy gw 1 gateway ok out $SPI_I $YL $XL none 0 0"
ktap_check "unload: rmmod with connections in X and Y" unloaded
ktap_check "unload: X's SAs and policies remain" snap_is "$X" "$snap_x"
ktap_check "unload: Y's SAs and policies remain" snap_is "$Y" "$snap_y"
ktap_check "unload: reload" reloaded || ktap_finished
ktap_check "unload: show on X empty after reload" quiet mobctl -n "$X" show
ktap_check "unload: show on Y empty after reload" quiet mobctl -n "$Y" show
ktap_check "unload: conn add on X works after reload" conn_added "$X" name esp reqid 1
ktap_check "unload: the new connection is ok" rows_are "$X" \
	"$CONN_ID esp 1 mobile ok in $SPI_I $YL $XL none 0 0" \
	"$CONN_ID esp 1 mobile ok out $SPI_O $XL $YL none 0 0"

ktap_finished
