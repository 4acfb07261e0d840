#!/usr/bin/env bash
# A NATS JetStream fleet lab, shared by tests/e2e/test_cluster.sh and
# bench/fleet.sh: a bridge in a namespace of its own, NODES namespaces on it
# (10.88.0.N), each running one nats-server and one flywall daemon with
# ddos_filter on its eth0, and an attacker namespace (10.88.0.100). Every
# address lives inside these namespaces; the caller's EXIT trap calls
# cluster_lab_down, which stops what runs (pids kept in this shell) and
# removes the namespaces, pin roots and files.
# Set before sourcing: FLYWALL, BUILD; optional NODES (default 1 2 3),
# CLUSTER_MAPS / CLUSTER_ARGS (HCL for ddos_filter's maps and args),
# CLUSTER_EXTRA (more fields of the cluster block).
ID=$$
TMP=$(mktemp -d /tmp/flywall-cluster.XXXXXX)
[ -n "${NODES+x}" ] || NODES=(1 2 3)
SW="fwc-$ID-sw"                 # the bridge's namespace
ATK="fwc-$ID-atk"               # the attacker
ATK_IP=10.88.0.100
STREAM=FWTEST
declare -A NATS_PID DAEMON_PID
ns() { echo "fwc-$ID-n$1"; }
ip_of() { echo "10.88.0.$1"; }
pin_root() { echo "/sys/fs/bpf/flywall-test-$ID-n$1"; }
in_ns() { local n=$1; shift; nsenter --net="/var/run/netns/$n" "$@"; }

# ---- teardown: everything the lab made, also on failure ----------------------
cluster_lab_down() {
	local n
	for n in "${NODES[@]}"; do
		daemon_stop "$n"
		nats_stop "$n"
	done
	for n in "${NODES[@]}"; do
		ip netns del "$(ns "$n")" 2>/dev/null
		rm -rf "$(pin_root "$n")"
	done
	ip netns del "$ATK" 2>/dev/null
	ip netns del "$SW" 2>/dev/null
	rm -rf "$TMP"
}

# ---- the lab: a bridge in its own namespace, one veth per node ---------------
lab_up() {
	local n name
	ip netns add "$SW" || return 1
	ip -n "$SW" link add br0 type bridge || return 1
	ip -n "$SW" link set br0 up || return 1
	for n in "${NODES[@]}" atk; do
		if [ "$n" = atk ]; then name=$ATK; else name=$(ns "$n"); fi
		ip netns add "$name" || return 1
		ip -n "$SW" link add "p$n" type veth peer name eth0 netns "$name" || return 1
		ip -n "$SW" link set "p$n" master br0 up || return 1
		ip -n "$name" link set lo up || return 1
		ip -n "$name" addr add "$([ "$n" = atk ] && echo $ATK_IP || ip_of "$n")/24" dev eth0 || return 1
		ip -n "$name" link set eth0 up || return 1
	done
}

# ---- nats-server -------------------------------------------------------------
nats_config() { # node
	local n=$1 m routes=""
	for m in "${NODES[@]}"; do
		[ "$m" = "$n" ] || routes+="nats-route://$(ip_of "$m"):6222, "
	done
	mkdir -p "$TMP/nats$n"
	cat >"$TMP/nats$n.conf" <<EOF
server_name: n$n
listen: $(ip_of "$n"):4222
jetstream { store_dir: "$TMP/nats$n" }
cluster {
  name: fwc
  listen: $(ip_of "$n"):6222
  routes: [ ${routes%, } ]
}
EOF
}

nats_start() { # node
	local n=$1
	nsenter --net="/var/run/netns/$(ns "$n")" nats-server -c "$TMP/nats$n.conf" \
		>>"$TMP/nats$n.log" 2>&1 &
	NATS_PID[$n]=$!
}

nats_stop() { # node [signal]
	local n=$1
	[ -n "${NATS_PID[$n]:-}" ] || return 0
	kill "-${2:-TERM}" "${NATS_PID[$n]}" 2>/dev/null
	wait "${NATS_PID[$n]}" 2>/dev/null
	NATS_PID[$n]=
}

# ---- the daemons -------------------------------------------------------------
daemon_config() { # node
	local n=$1 m servers=""
	for m in "${NODES[@]}"; do servers+="\"nats://$(ip_of "$m"):4222\", "; done
	cat >"$TMP/fw$n.hcl" <<EOF
ebpf {
  xdp "ddos_filter" {
    program = "$TMP/programs/ddos_filter.o"
    interface = "eth0"
    args = { max_pps = 1000000 ${CLUSTER_ARGS:-} }
    ${CLUSTER_MAPS:-}
  }
}
api {
  listen = "127.0.0.1:8080"
  token_file = "$TMP/token$n"
}
cluster {
  servers = [ ${servers%, } ]
  node = "n$n"
  stream = "$STREAM"
  replicas = 3
  shared = ["blocklist", "cidr_blocklist", "allowlist"]
  ${CLUSTER_EXTRA:-}
}
EOF
}

daemon_start() { # node
	local n=$1 i
	local log="$TMP/fw$n.log"
	nsenter --net="/var/run/netns/$(ns "$n")" "$FLYWALL" daemon -c "$TMP/fw$n.hcl" \
		--pin-root "$(pin_root "$n")" >>"$log" 2>&1 &
	DAEMON_PID[$n]=$!
	for ((i = 0; i < 300; i++)); do
		grep -q "running (pid ${DAEMON_PID[$n]})" "$log" 2>/dev/null && return 0
		kill -0 "${DAEMON_PID[$n]}" 2>/dev/null || break
		sleep 0.1
	done
	echo "daemon n$n did not start:" >&2
	cat "$log" >&2
	return 1
}

daemon_stop() { # node [signal]
	local n=$1
	[ -n "${DAEMON_PID[$n]:-}" ] || return 0
	kill "-${2:-TERM}" "${DAEMON_PID[$n]}" 2>/dev/null
	wait "${DAEMON_PID[$n]}" 2>/dev/null
	DAEMON_PID[$n]=
}

api() { # node curl-args...
	local n=$1; shift
	in_ns "$(ns "$n")" curl -s -m 30 "$@"
}
auth() { echo "Authorization: Bearer $(cat "$TMP/token$1")"; }
block() { # node address... -> http status
	local n=$1; shift
	local list
	list=$(printf '"%s",' "$@")
	api "$n" -o "$TMP/body" -w '%{http_code}' -X POST -H "$(auth "$n")" \
		-d "{\"addresses\": [${list%,}]}" http://127.0.0.1:8080/api/ebpf/blocklist
}
unblock() { # node address...
	local n=$1; shift
	local list
	list=$(printf '"%s",' "$@")
	api "$n" -o "$TMP/body" -w '%{http_code}' -X DELETE -H "$(auth "$n")" \
		-d "{\"addresses\": [${list%,}]}" http://127.0.0.1:8080/api/ebpf/blocklist
}
status_of() { api "$1" http://127.0.0.1:8080/api/ebpf/cluster; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

# The sorted keys of a node's blocklist and cidr_blocklist, read from the kernel.
map_keys() { # node
	local m
	for m in blocklist cidr_blocklist; do
		bpftool -j map dump pinned "$(pin_root "$1")/maps/ddos_filter/$m" |
			python3 -c 'import json,sys; [print(" ".join(e["key"])) for e in json.load(sys.stdin)]'
	done | sort
}

# Pings from the attacker to a node: the number of replies.
pings() { # node count
	in_ns "$ATK" ping -n -q -c "$2" -i 0.1 -W 1 "$(ip_of "$1")" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}

# Waits up to SECONDS for COMMAND to succeed; prints how long it took (ms).
wait_for() { # seconds command...
	local limit=$1 start now; shift
	start=$(date +%s%N)
	while :; do
		"$@" >/dev/null 2>&1 && break
		now=$(date +%s%N)
		(((now - start) / 1000000 > limit * 1000)) && { echo timeout; return 1; }
		sleep 0.02
	done
	echo $((($(date +%s%N) - start) / 1000000))
}
converged() { # node node...: every node's keys equal the first's
	local first m
	first=$(map_keys "$1")
	for m in "${@:2}"; do [ "$(map_keys "$m")" == "$first" ] || return 1; done
}
lag_zero() { [ "$(status_of "$1" | field '["lag"]')" = 0 ]; }
is_connected() { [ "$(status_of "$1" | field '["connected"]')" = "$2" ]; }
# The attacker's key in the blocklist map (IPv4-mapped, as bpftool prints it).
ATK_KEY="0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0x00 0xff 0xff 0x0a 0x58 0x00 0x64"
has_key() { # node key
	bpftool map lookup pinned "$(pin_root "$1")/maps/ddos_filter/blocklist" key $2 >/dev/null 2>&1
}

