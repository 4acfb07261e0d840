#!/usr/bin/env bash
# A fleet of three firewalls sharing the blocklist through a three-server
# NATS JetStream cluster (docs/cluster.md). Each node is a network namespace
# on a lab bridge, running one nats-server and one daemon (ddos_filter on its
# eth0); a fifth namespace is the attacker. Checks: an address blocked on one
# node drops pings at the others within a second; CIDRs and the allowlist
# are shared; a node that was down catches up exactly (through a snapshot:
# the stream is compacted every 4 changes here), deleting what was removed
# and not reviving what expired meanwhile; one server killed: changes still
# flow, and it rejoins; every server down: every node still filters, says it
# is disconnected, refuses shared changes, and converges when they return.
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

# A snapshot every 4 changes: node 3's catch-up below goes through one.
CLUSTER_EXTRA="snapshot_every = 4"
. "$(dirname "$0")/cluster_lib.sh"
# CLUSTER_KEEP_LOGS=DIR keeps the daemons' and servers' logs there.
trap '[ -n "${CLUSTER_KEEP_LOGS:-}" ] && cp "$TMP"/*.log "$CLUSTER_KEEP_LOGS"/; cluster_lab_down; echo "1..$T_NUM"' EXIT
trap 'exit 130' INT TERM

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
for n in "${NODES[@]}"; do
	t=$(wait_for 20 is_connected "$n" True)
	check_eq "... node $n connects and finds the stream" ok "$([ "$t" != timeout ] && echo ok || status_of "$n")"
done

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
t=$(wait_for 5 bash -c "nsenter --net=/var/run/netns/$(ns 3) curl -s http://127.0.0.1:8080/api/ebpf/cluster | grep -q '\"name\": \"n2\"'")
check_contains "status of node 3 lists the nodes seen" '"name": "n2"' "$(status_of 3)"
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
check_eq "block 198.19.9.9 on node 1 while node 3 is up" 200 "$(block 1 198.19.9.9)"
t=$(wait_for 5 converged 1 2 3)
check_eq "... every node has it" ok "$([ "$t" != timeout ] && echo ok || echo timeout)"
daemon_stop 3 KILL
check_eq "node 3 killed; 198.19.9.9 unblocked on node 2" 200 "$(unblock 2 198.19.9.9)"
code=$(api 1 -o "$TMP/body" -w '%{http_code}' -X POST -H "$(auth 1)" \
	-d '{"addresses": ["198.19.7.7"], "expires_in": 1}' http://127.0.0.1:8080/api/ebpf/blocklist)
check_eq "198.19.7.7 blocked on node 1 for 1 s" 200 "$code"
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
codes=
for i in 1 2 3 4; do codes+="$(block 1 198.19.8.$i) $(unblock 2 198.19.8.$i) "; done
check_eq "8 more changes (blocked on node 1, unblocked on node 2)" "200 200 200 200 200 200 200 200 " "$codes"
count_is() { [ "$(map_keys "$1" | wc -l)" = "$2" ]; }
wait_for 5 count_is 1 9001 >/dev/null   # once 198.19.7.7 has expired and gone
check_eq "nodes 1 and 2 hold 9,000 addresses and 1 CIDR" 9001 "$(map_keys 1 | wc -l)"
daemon_start 3 2>>"$TMP/start.err" && ok "node 3 restarts" || not_ok "node 3 restarts" "$(cat "$TMP/start.err")"
t=$(wait_for 20 converged 1 2 3)
check_eq "node 3 converges exactly (keys of both maps equal node 1's)" ok \
	"$([ "$t" != timeout ] && echo ok || echo "node 3: $(map_keys 3 | wc -l) keys")"
check_contains "... and logged where it resumed" "applied up to sequence" "$(grep 'cluster: node n3' "$TMP/fw3.log" | tail -1)"
check_eq "... the entry that expired while node 3 was down did not come back on it" "" \
	"$(map_keys 3 | grep -i '0xc6 0x13 0x07 0x07$')"
check_contains "the stream was compacted meanwhile (a snapshot, the changes before it purged)" \
	"cluster: snapshot of sequence" "$(cat "$TMP/fw1.log" "$TMP/fw2.log")"
check_contains "node 3 caught up from the snapshot" "cluster: loaded the snapshot of sequence" \
	"$(cat "$TMP/fw3.log")"
check_contains "... and deleted what the snapshot lacks (198.19.9.9)" "1 addresses and 0 allowlist entries were not in the snapshot" \
	"$(cat "$TMP/fw3.log")"

# ---- a program loaded anew (empty maps) reads the stream again --------------
code=$(api 2 -o "$TMP/body" -w '%{http_code}' -X DELETE -H "$(auth 2)" \
	http://127.0.0.1:8080/api/ebpf/programs/ddos_filter)
check_eq "ddos_filter unloaded on node 2" 200 "$code"
kill -HUP "${DAEMON_PID[2]}"
t=$(wait_for 20 converged 1 2 3)
check_eq "... loaded again by a reload (empty maps): node 2 converges from the stream" ok \
	"$([ "$t" != timeout ] && echo ok || echo "node 2: $(map_keys 2 | wc -l) keys")"
check_contains "... and says why" "a shared map is new here" "$(cat "$TMP/fw2.log")"

# ---- one server down: quorum holds, changes flow; then it rejoins ------------
nats_stop 2 KILL
check_eq "server 2 killed: a block on node 1 still succeeds" 200 "$(block 1 198.19.0.1)"
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
