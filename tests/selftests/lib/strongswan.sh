# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=bash
#
# strongSwan helpers for the selftests, the demo and the benchmarks (source
# after netns.sh): run one charon per network namespace and drive it with
# swanctl.
#
#   ss_available                 charon and swanctl are installed
#   ss_start NS NAME CONFDIR     start charon NAME in NS with
#                                CONFDIR/strongswan.conf, load
#                                CONFDIR/swanctl.conf (SS_SWANCTL_CONF
#                                overrides the swanctl file)
#   ss_swanctl NAME ARGS...      swanctl against instance NAME
#   ss_initiate NAME CHILD       bring CHILD up (blocks until done)
#   ss_log NAME                  path of the instance's charon log
#   ss_stop NAME                 stop one instance (ns_cleanup stops all)
#
# Each instance gets its own directory $SS_RUN/NAME with a strongswan.conf
# that includes CONFDIR/strongswan.conf and adds what must differ per
# instance: the VICI socket, a log file and the plugin list.  charon's PID
# file is hard-wired to /run/charon.pid, so each charon runs in its own
# mount namespace with a private /run.
#
# The xfrm-mobility charon plugin (tools/strongswan) is loaded when
# SS_PLUGIN names its .so (default: the repository's build, if present;
# SS_PLUGIN=none disables it).  charon only loads plugins from its compiled
# in directory, so the instance's mount namespace gets a copy of that
# directory with the plugin added, mounted over it.
#
# Settings (environment): SS_RUN (default /tmp/xm-strongswan), SS_PLUGIN,
# SS_SWANCTL_CONF, SS_EXTRA_CONF (text appended to the instance's
# strongswan.conf, e.g. a make_before_break setting), SS_TIMEOUT_MS (start
# timeout, default 30000).

SS_RUN=${SS_RUN:-/tmp/xm-strongswan}
SS_PLUGINDIR=/usr/lib/ipsec/plugins
SS_LOAD="random nonce aes sha1 sha2 hmac kdf gmp pem pkcs1 x509 pubkey kernel-netlink socket-default vici updown"
SS_REPO=${XM_REPO:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)}
declare -A SS_NS=()

ss_available() {
	[[ -x /usr/lib/ipsec/charon ]] && command -v swanctl >/dev/null
}

# ss_plugin: path of the xfrm-mobility plugin to load, empty for none.
ss_plugin() {
	local p=${SS_PLUGIN:-$SS_REPO/build/strongswan/libstrongswan-xfrm-mobility.so}
	[[ $p != none && -r $p ]] && echo "$p"
}

ss_conf() { echo "$SS_RUN/$1/strongswan.conf"; }
ss_log() { echo "$SS_RUN/$1/charon.log"; }

ss_swanctl() {
	local name=$1
	shift
	STRONGSWAN_CONF=$(ss_conf "$name") ip netns exec "${SS_NS[$name]}" swanctl "$@"
}

# ss_write_conf NAME CONFDIR PLUGIN
ss_write_conf() {
	local name=$1 confdir=$2 plugin=$3 dir=$SS_RUN/$1 load=$SS_LOAD
	[[ -n $plugin ]] && load+=" xfrm-mobility"
	mkdir -p "$dir"/{x509,x509ca,x509aa,x509ocsp,x509crl,x509ac,pubkey,private,rsa,ecdsa,bliss,pkcs8,pkcs12}
	cat >"$dir/strongswan.conf" <<EOF
include $confdir/strongswan.conf
charon {
	load_modular = no
	load = $load
	plugins {
		vici {
			socket = unix://$dir/charon.vici
		}
	}
	filelog {
		$name {
			path = $dir/charon.log
			time_format = %T
			time_add_ms = yes
			flush_line = yes
			default = 1
			ike = 2
			knl = 2
			cfg = 2
		}
	}
}
swanctl {
	load = random nonce aes sha1 sha2 hmac pem pkcs1 x509 pubkey
	socket = unix://$dir/charon.vici
}
${SS_EXTRA_CONF:-}
EOF
}

ss_start() {
	local ns=$1 name=$2 confdir=$3 dir=$SS_RUN/$2 plugin mnt=''
	local swanctl_conf=${SS_SWANCTL_CONF:-$3/swanctl.conf}

	plugin=$(ss_plugin)
	rm -rf "$dir"
	ss_write_conf "$name" "$confdir" "$plugin" || return
	cp "$swanctl_conf" "$dir/swanctl.conf" || return
	if [[ -n $plugin ]]; then
		mkdir -p "$dir/plugins"
		cp -a "$SS_PLUGINDIR/." "$dir/plugins/" &&
			cp "$plugin" "$dir/plugins/libstrongswan-xfrm-mobility.so" || return
		mnt="mount --bind $dir/plugins $SS_PLUGINDIR &&"
	fi
	SS_NS[$name]=$ns
	ip netns exec "$ns" unshare -m sh -c "mount -t tmpfs none /run && $mnt
		exec env STRONGSWAN_CONF=$dir/strongswan.conf /usr/lib/ipsec/charon" \
		>"$dir/charon.out" 2>&1 &
	echo $! >"$dir/pid"
	ns_cleanup_add "ss_stop $name"
	if ! busywait "${SS_TIMEOUT_MS:-30000}" test -S "$dir/charon.vici"; then
		echo "# charon $name did not start:" >&2
		sed 's/^/#   /' "$dir/charon.out" "$dir/charon.log" >&2 2>/dev/null
		return 1
	fi
	ss_swanctl "$name" --load-all --file "$dir/swanctl.conf" >"$dir/load.out" 2>&1 || {
		sed 's/^/#   /' "$dir/load.out" >&2
		return 1
	}
}

ss_initiate() {
	ss_swanctl "$1" --initiate --child "$2" >"$SS_RUN/$1/initiate.out" 2>&1 || {
		tail -n 20 "$SS_RUN/$1/initiate.out" | sed 's/^/#   /' >&2
		return 1
	}
}

ss_stop() {
	local name=$1 pid
	pid=$(cat "$SS_RUN/$name/pid" 2>/dev/null) || return 0
	kill "$pid" 2>/dev/null && busywait 5000 ss_gone "$pid"
	kill -9 "$pid" 2>/dev/null
	rm -f "$SS_RUN/$name/pid"
	return 0
}

ss_gone() { ! kill -0 "$1" 2>/dev/null; }
