#!/usr/bin/env bash
# A fleet of three firewalls sharing the blocklist through a three-server
# NATS JetStream cluster (docs/cluster.md). Each node is a network namespace
# on a lab bridge, running one nats-server and one daemon (ddos_filter on its
# eth0); a fifth namespace is the attacker. Checks: an address blocked on one
# node drops pings at the others within a second; a node that was down
# catches up exactly; one server down: changes still flow, and it rejoins;
# every server down: every node still filters, says it is disconnected,
# refuses shared changes, and converges when they return.
set -u
E2E_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$E2E_ROOT/$BUILD" ;; esac
FLYWALL="$BUILD/flywall"

T_NUM=0
T_FAILED=0
ok() { T_NUM=$((T_NUM + 1)); echo "ok $T_NUM - $1"; }
not_ok() {
	T_NUM=$((T_NUM + 1)) T_FAILED=$((T_FAILED + 1))
	echo "not ok $T_NUM - $1"
	[ $# -gt 1 ] && printf '%s\n' "$2" | sed 's/^/# /'
	return 0
}
check_eq() {
	if [ "$2" == "$3" ]; then ok "$1"; else not_ok "$1" "expected: $2
actual:   $3"; fi
}
check_contains() {
	if [[ "$3" == *"$2"* ]]; then ok "$1"; else not_ok "$1" "missing: $2
in: $3"; fi
}

if ! command -v nats-server >/dev/null; then
	echo "1..0 # SKIP nats-server is not installed (scripts/install-deps.sh installs it)"
	exit 0
fi

ID=$$
TMP=$(mktemp -d /tmp/flywall-cluster.XXXXXX)
NODES=(1 2 3)
SW="fwc-$ID-sw"                 # the bridge's namespace
ATK="fwc-$ID-atk"               # the attacker
ATK_IP=10.88.0.100
STREAM=FWTEST
declare -A NATS_PID DAEMON_PID
ns() { echo "fwc-$ID-n$1"; }
ip_of() { echo "10.88.0.$1"; }
pin_root() { echo "/sys/fs/bpf/flywall-test-$ID-n$1"; }
in_ns() { local n=$1; shift; nsenter --net="/var/run/netns/$n" "$@"; }

# ---- teardown: everything this script made, also on failure ------------------
finish() {
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
	echo "1..$T_NUM"
}
trap finish EXIT
trap 'exit 130' INT TERM

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

nats_stop() { # node
	local n=$1
	[ -n "${NATS_PID[$n]:-}" ] || return 0
	kill -TERM "${NATS_PID[$n]}" 2>/dev/null
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
    args = { max_pps = 1000000 }
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
}
EOF
}

daemon_start() { # node
	local n=$1 i log="$TMP/fw$n.log"
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

# ---- up ---------------------------------------------------------------------
if lab_up; then ok "lab: bridge, three nodes and an attacker"; else
	not_ok "lab comes up"
	exit 1
fi
mkdir -p "$TMP/programs"
cp "$BUILD/bpf/ddos_filter.o" "$TMP/programs/"
for n in "${NODES[@]}"; do
	nats_config "$n"
	nats_start "$n"
	daemon_config "$n"
done
started=0
for n in "${NODES[@]}"; do daemon_start "$n" 2>>"$TMP/start.err" && started=$((started + 1)); done
check_eq "three daemons start with a cluster block" 3 "$started"
[ "$started" = 3 ] || { cat "$TMP/start.err"; exit 1; }
t=$(wait_for 20 is_connected 3 True)
check_eq "... and connect (node 3 says connected)" ok "$([ "$t" != timeout ] && echo ok || status_of 3)"

for n in "${NODES[@]}"; do
	check_eq "node $n answers pings before any block" 3 "$(pings "$n" 3)"
done

# ---- one address blocked on node 1: dropped everywhere within a second -------
check_eq "block $ATK_IP on node 1: 200" 200 "$(block 1 "$ATK_IP")"
check_eq "... node 1 drops at once (the call returned after its own apply)" 0 "$(pings 1 2)"
for n in 2 3; do
	t=$(wait_for 5 has_key "$n" "$ATK_KEY")
	if [ "$t" != timeout ] && ((t < 1000)); then ok "... node $n holds it in its kernel map within 1 s ($t ms after the call returned)"; else
		not_ok "... node $n holds it in its kernel map within 1 s" "took: $t ms"
	fi
	check_eq "... and drops the attacker's pings" 0 "$(pings "$n" 2)"
done
check_eq "unblock on node 2: 200" 200 "$(unblock 2 "$ATK_IP")"
t=$(wait_for 5 bash -c "[ \"\$(nsenter --net=/var/run/netns/$ATK ping -n -q -c 1 -W 1 $(ip_of 1) | sed -n 's/.* \([0-9]*\) received.*/\1/p')\" = 1 ]")
check_eq "... node 1 answers again" ok "$([ "$t" != timeout ] && echo ok || echo "$t")"
st=$(status_of 3)
check_contains "status of node 3 lists the nodes seen" '"name": "n2"' "$st"
out=$(in_ns "$(ns 3)" "$FLYWALL" ebpf cluster status)
check_contains "flywall ebpf cluster status: connected" "connected:  nats://" "$out"
check_contains "... names the nodes seen" "n1 " "$out"
check_contains "flywall ebpf status has a cluster line" "cluster:  node n3, connected" \
	"$(in_ns "$(ns 3)" "$FLYWALL" ebpf status)"

# ---- a CIDR and the allowlist are shared too ----------------------------------
check_eq "block 198.20.0.0/16 on node 2: 200" 200 "$(block 2 198.20.0.0/16)"
t=$(wait_for 5 converged 1 2 3)
check_eq "... every node's cidr_blocklist holds it" ok "$([ "$t" != timeout ] && echo ok || echo timeout)"
check_eq "block the attacker on node 1 again" 200 "$(block 1 "$ATK_IP")"
ALLOW='{"entries": [{"key": {"prefixlen": 128, "addr": [0,0,0,0,0,0,0,0,0,0,255,255,10,88,0,100]}, "value": {"expires_ns": 0}}]}'
code=$(api 2 -o "$TMP/body" -w '%{http_code}' -X PUT -H "$(auth 2)" -d "$ALLOW" \
	http://127.0.0.1:8080/api/ebpf/maps/ddos_filter.allowlist/data)
check_eq "allowlist the attacker on node 2: 200" 200 "$code"
t=$(wait_for 5 bash -c "bpftool map lookup pinned $(pin_root 3)/maps/ddos_filter/allowlist key 128 0 0 0 $ATK_KEY")
check_eq "... node 3's allowlist has it" ok "$([ "$t" != timeout ] && echo ok || echo timeout)"
check_eq "... and node 3 answers the attacker again (the allowlist wins)" 2 "$(pings 3 2)"
code=$(api 2 -o "$TMP/body" -w '%{http_code}' -X PUT -H "$(auth 2)" \
	-d '{"entries": [{"key": {"prefixlen": 128, "addr": [0,0,0,0,0,0,0,0,0,0,255,255,10,88,0,100]}, "value": {"expires_ns": 5}}]}' \
	http://127.0.0.1:8080/api/ebpf/maps/ddos_filter.allowlist/data)
check_eq "a shared allowlist entry with an expiry: 400" 400 "$code"
code=$(api 3 -o "$TMP/body" -w '%{http_code}' -X DELETE -H "$(auth 3)" \
	-d '{"keys": [{"prefixlen": 128, "addr": [0,0,0,0,0,0,0,0,0,0,255,255,10,88,0,100]}]}' \
	http://127.0.0.1:8080/api/ebpf/maps/ddos_filter.allowlist/data)
check_eq "remove it from the allowlist on node 3: 200" 200 "$code"
t=$(wait_for 5 bash -c "! bpftool map lookup pinned $(pin_root 1)/maps/ddos_filter/allowlist key 128 0 0 0 $ATK_KEY")
check_eq "... node 1 no longer has it" ok "$([ "$t" != timeout ] && echo ok || echo timeout)"
check_eq "... and drops the attacker" 0 "$(pings 1 2)"
check_eq "unblock the attacker on node 1" 200 "$(unblock 1 "$ATK_IP")"

# ---- node 3 down while 10,000 are added and 1,000 removed; it catches up ----
daemon_stop 3 KILL
python3 -c "
for i in range(10000): print('198.18.%d.%d' % (i >> 8, i & 255))" >"$TMP/10k.txt"
code=$(api 1 -o "$TMP/body" -w '%{http_code}' -X POST -H "$(auth 1)" -H 'Content-Type: text/plain' \
	--data-binary "@$TMP/10k.txt" "http://127.0.0.1:8080/api/ebpf/blocklist?expires_in=3600")
check_eq "10,000 addresses uploaded to node 1 while node 3 is down: 200" 200 "$code"
python3 -c "
import json; print(json.dumps({'addresses': ['198.18.%d.%d' % (i >> 8, i & 255) for i in range(0, 2000, 2)]}))" >"$TMP/del.json"
code=$(api 2 -o "$TMP/body" -w '%{http_code}' -X DELETE -H "$(auth 2)" --data-binary "@$TMP/del.json" \
	http://127.0.0.1:8080/api/ebpf/blocklist)
check_eq "1,000 removed on node 2: 200" 200 "$code"
check_eq "nodes 1 and 2 hold 9,000 addresses and 1 CIDR" 9001 "$(map_keys 1 | wc -l)"
daemon_start 3 2>>"$TMP/start.err" && ok "node 3 restarts" || not_ok "node 3 restarts" "$(cat "$TMP/start.err")"
t=$(wait_for 20 converged 1 2 3)
check_eq "node 3 converges exactly (keys of both maps equal node 1's)" ok \
	"$([ "$t" != timeout ] && echo ok || echo "node 3: $(map_keys 3 | wc -l) keys")"
check_contains "... and logged where it resumed" "applied up to sequence" "$(grep 'cluster: node n3' "$TMP/fw3.log" | tail -1)"

# ---- one server down: quorum holds, changes flow; then it rejoins ------------
nats_stop 2
check_eq "server 2 down: a block on node 1 still succeeds" 200 "$(block 1 198.19.0.1)"
t=$(wait_for 10 converged 1 2 3)
check_eq "... and reaches nodes 2 and 3" ok "$([ "$t" != timeout ] && echo ok || echo timeout)"
nats_start 2
t=$(wait_for 20 bash -c "grep -q 'JetStream cluster' $TMP/nats2.log")
check_eq "block on node 2 after server 2 rejoins" 200 "$(block 2 198.19.0.2)"
t=$(wait_for 10 converged 1 2 3)
check_eq "... reaches every node" ok "$([ "$t" != timeout ] && echo ok || echo timeout)"

# ---- every server down: fail-static -----------------------------------------
check_eq "block the attacker again on node 3" 200 "$(block 3 "$ATK_IP")"
wait_for 5 converged 1 2 3 >/dev/null
for n in "${NODES[@]}"; do nats_stop "$n"; done
for n in "${NODES[@]}"; do
	t=$(wait_for 10 is_connected "$n" False)
	check_eq "servers down: node $n reports itself disconnected" ok "$([ "$t" != timeout ] && echo ok || echo timeout)"
	check_eq "... and still drops the attacker" 0 "$(pings "$n" 2)"
done
check_contains "flywall ebpf cluster status says so" "connected:  NO" "$(in_ns "$(ns 2)" "$FLYWALL" ebpf cluster status)"
check_eq "... a shared change is refused with 503" 503 "$(block 1 198.19.0.3)"
check_contains "... saying why" "no NATS server is reachable" "$(cat "$TMP/body")"
check_contains "... /metrics says so" "flywall_cluster_connected 0" "$(api 1 http://127.0.0.1:8080/metrics)"
for n in "${NODES[@]}"; do nats_start "$n"; done
t=$(wait_for 30 is_connected 1 True)
check_eq "servers back: node 1 reconnects" ok "$([ "$t" != timeout ] && echo ok || echo timeout)"
t=$(wait_for 30 bash -c "[ \"\$(nsenter --net=/var/run/netns/$(ns 1) curl -s -o /dev/null -w '%{http_code}' -X POST -H '$(auth 1)' -d '{\"addresses\": [\"198.19.0.4\"]}' http://127.0.0.1:8080/api/ebpf/blocklist)\" = 200 ]")
check_eq "... takes shared changes again" ok "$([ "$t" != timeout ] && echo ok || echo "timeout: $(cat "$TMP/body")")"
t=$(wait_for 20 converged 1 2 3)
check_eq "... and every node converges" ok "$([ "$t" != timeout ] && echo ok || echo timeout)"
check_eq "... holding 9,004 addresses and 1 CIDR" 9005 "$(map_keys 2 | wc -l)"
check_contains "/metrics: connected again, lag" "flywall_cluster_lag" "$(api 2 http://127.0.0.1:8080/metrics)"

exit $((T_FAILED > 0))
