#!/usr/bin/env bash
# The fleet (docs/cluster.md): three firewalls and a three-server NATS
# JetStream cluster in lab namespaces (tests/e2e/cluster_lib.sh).
#  1. propagation: COUNT single-address additions through node 1's API, one
#     at a time; for each, the time from the request to the address being in
#     the kernel map of nodes 2 and 3 (tests/e2e/fleet_probe polls the maps).
#  2. bootstrap: for each SIZE, node 1 uploads addresses (text/plain) until
#     the shared blocklist holds SIZE; then node 3 starts on an empty pin root
#     (a new node) and the time from its launch until it has applied the
#     whole stream (lag 0, its blocklist as large as node 1's) is measured.
#   BUILD=build bench/fleet.sh [COUNT] [SIZE...]   (default 200; 100000 1000000)
# FLEET_SNAPSHOT_EVERY=N sets the cluster block's snapshot_every (default
# 10000: these runs replay the stream; a small N makes node 3 load a snapshot).
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$PWD/$BUILD" ;; esac
FLYWALL="$BUILD/flywall"
COUNT=${1:-200}
shift || true
SIZES=("$@")
[ ${#SIZES[@]} -gt 0 ] || SIZES=(100000 1000000)
[ -x "$BUILD/tests/e2e/fleet_probe" ] || { echo "build first: make test-build" >&2; exit 1; }
command -v nats-server >/dev/null || { echo "nats-server is missing: scripts/install-deps.sh" >&2; exit 1; }

CLUSTER_MAPS='maps = { "blocklist" = { type = "hash", size = 1100000 } }'
CLUSTER_ARGS=', blocklist_size = 1100000'
CLUSTER_EXTRA="snapshot_every = ${FLEET_SNAPSHOT_EVERY:-10000}"
. tests/e2e/cluster_lib.sh
trap cluster_lab_down EXIT
trap 'exit 130' INT TERM

lab_up || { echo "lab did not come up" >&2; exit 1; }
mkdir -p "$TMP/programs"
cp "$BUILD/bpf/ddos_filter.o" "$TMP/programs/"
for n in "${NODES[@]}"; do
	nats_config "$n"
	nats_start "$n"
	daemon_config "$n"
done
for n in "${NODES[@]}"; do daemon_start "$n" || exit 1; done
for n in "${NODES[@]}"; do
	wait_for 30 is_connected "$n" True >/dev/null || { echo "node $n did not connect" >&2; exit 1; }
done

echo "# $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ), load average $(cut -d' ' -f1-3 /proc/loadavg), snapshot_every ${FLEET_SNAPSHOT_EVERY:-10000}"
echo
echo "## propagation: $COUNT additions on node 1, one at a time"
"$BUILD/tests/e2e/fleet_probe" "$(ns 1)" "$TMP/token1" "$COUNT" "$(pin_root 2)" "$(pin_root 3)" ||
	exit 1

kept() { # node: the blocklist's entry count as the daemon keeps it
	api "$1" http://127.0.0.1:8080/api/ebpf/maps/ddos_filter.blocklist/stats | field '["entries"]'
}
caught_up() { # node: lag 0 and as many entries as node 1
	local s
	s=$(status_of "$1") || return 1
	[ "$(printf '%s' "$s" | field '["lag"]')" = 0 ] &&
		[ "$(printf '%s' "$s" | field '["stream_seq"]')" -gt 0 ] &&
		[ "$(kept "$1")" = "$(kept 1)" ]
}

echo
echo "## bootstrap: a new node (empty pin root) catches up with the shared blocklist"
echo "| entries | last change's sequence | upload to node 1 (s) | node 3: launch to running (s) | launch to caught up (s) | how |"
echo "|---|---|---|---|---|---|"
have=$(kept 1)
for size in "${SIZES[@]}"; do
	daemon_stop 3
	rm -rf "$(pin_root 3)"
	if [ "$size" -gt "$have" ]; then
		python3 -c "
import sys
a, b = int(sys.argv[1]), int(sys.argv[2])
print('\n'.join('100.%d.%d.%d' % ((i >> 16) & 255, (i >> 8) & 255, i & 255) for i in range(a, b)))" \
			"$have" "$size" >"$TMP/upload.txt"
		start=$(date +%s%N)
		code=$(api 1 -m 300 -o "$TMP/body" -w '%{http_code}' -X POST -H "$(auth 1)" \
			-H 'Content-Type: text/plain' --data-binary "@$TMP/upload.txt" \
			http://127.0.0.1:8080/api/ebpf/blocklist)
		upload=$(( ($(date +%s%N) - start) / 1000000 ))
		[ "$code" = 200 ] || { echo "upload: HTTP $code $(cat "$TMP/body")" >&2; exit 1; }
		wait_for 120 caught_up 2 >/dev/null
	fi
	have=$(kept 1)
	seq=$(status_of 1 | field '["stream_seq"]')
	log="$TMP/fw3.log"
	: >"$log"
	start=$(date +%s%N)
	daemon_start 3 || exit 1
	running=$(( ($(date +%s%N) - start) / 1000000 ))
	t=$(wait_for 120 caught_up 3)
	[ "$t" = timeout ] && { echo "node 3 did not catch up: $(status_of 3)" >&2; exit 1; }
	total=$(( ($(date +%s%N) - start) / 1000000 ))
	how=replay
	grep -q "loaded the snapshot" "$log" && how=snapshot
	printf '| %s | %s | %s | %s | %s | %s |\n' "$have" "$seq" \
		"$(awk -v v="${upload:-0}" 'BEGIN {printf "%.2f", v / 1000}')" \
		"$(awk -v v="$running" 'BEGIN {printf "%.2f", v / 1000}')" \
		"$(awk -v v="$total" 'BEGIN {printf "%.2f", v / 1000}')" "$how"
	upload=
done
