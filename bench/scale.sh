#!/usr/bin/env bash
# The control plane at scale: for each size (default 10000 100000 1000000),
# the daemon as a user runs it (in a lab namespace, a pin root of its own,
# ddos_filter with a 1,048,576-entry blocklist) takes N addresses through the
# API's bulk text form and through `flywall ebpf blocklist import`, lists,
# dumps, deletes them, lets 200,000 (or N if fewer) expire while wrk asks
# GET /api/ebpf/programs, and serves /metrics to wrk; the daemon's RSS after
# every step. Needs root, wrk and bpftool.
#   BUILD=build bench/scale.sh [N...]
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
FLYWALL=$BUILD/flywall
. "$ROOT/scripts/lab.sh"
SIZES=${*:-10000 100000 1000000}
command -v wrk >/dev/null || { echo "scale.sh: wrk is missing (scripts/install-deps.sh)" >&2; exit 1; }

TMP=$(mktemp -d /tmp/flywall-scale.XXXXXX)
PIN_ROOT=/sys/fs/bpf/flywall-scale-$$
DAEMON_PID=
cleanup() {
	[ -n "$DAEMON_PID" ] && kill -TERM "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	lab_down
	rm -rf "$TMP" "$PIN_ROOT"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
lab_up "scale-$$" || { echo "scale.sh: cannot set up the lab" >&2; exit 1; }
mkdir -p "$TMP/p"
cp "$BUILD/bpf/ddos_filter.o" "$TMP/p/"
cat >"$TMP/flywall.hcl" <<HCL
ebpf {
  enabled = true
  xdp "ddos_filter" {
    program = "$TMP/p/ddos_filter.o"
    interface = "eth0"
    maps = {
      "blocklist" = { type = "hash", size = 1048576 }
    }
    args = { max_pps = 1000000, blocklist_size = 1048576 }
  }
}
api {
  listen = "127.0.0.1:8080"
  token_file = "$TMP/api.token"
}
HCL
nsenter --net="/var/run/netns/$LAB_FW" "$FLYWALL" daemon -c "$TMP/flywall.hcl" \
	--pin-root "$PIN_ROOT" >"$TMP/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 1 300); do
	grep -q "running (pid" "$TMP/daemon.log" && break
	sleep 0.1
done
grep -q "running (pid" "$TMP/daemon.log" || { cat "$TMP/daemon.log"; exit 1; }
URL=http://127.0.0.1:8080
B=$URL/api/ebpf/blocklist
AUTH="Authorization: Bearer $(cat "$TMP/api.token")"

fw() { in_fw "$FLYWALL" "$@" --api "$URL" --token-file "$TMP/api.token"; }
rss_mib() { awk '/VmRSS/ {printf "%.1f", $2 / 1024}' "/proc/$DAEMON_PID/status"; }
# seconds CMD...: wall time of CMD (its output discarded).
seconds() {
	local t0 t1
	t0=$(date +%s.%N)
	"$@" >/dev/null 2>"$TMP/err" || { echo "FAILED: $*: $(head -c 300 "$TMP/err")" >&2; }
	t1=$(date +%s.%N)
	python3 -c "print('%.3f' % ($t1 - $t0))"
}
addresses() { python3 -c "
import sys; n, b = int(sys.argv[1]), int(sys.argv[2])
sys.stdout.write(''.join('%d.%d.%d.%d\n' % (10 + ((i >> 24) & 63), (i >> 16) & 255, (i >> 8) & 255, i & 255) for i in range(b, b + n)))" "$1" "$2"; }
post_text() { in_fw curl -sf -m 300 -o /dev/null -X POST -H "$AUTH" -H 'Content-Type: text/plain' --data-binary "@$1" "$B$2"; }
exact_count() { in_fw curl -s -m 60 "$URL/api/ebpf/maps/ddos_filter.blocklist/stats" |
	python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"])'; }
# Deletes every listed address, 10000 per request (the JSON form's limit).
delete_all() {
	python3 - "$1" "$TMP" <<'PY'
import json, sys
a = open(sys.argv[1]).read().split()
for i in range(0, len(a), 10000):
    json.dump({"addresses": a[i:i + 10000]}, open("%s/del-%06d.json" % (sys.argv[2], i // 10000), "w"))
PY
	for f in "$TMP"/del-*.json; do
		in_fw curl -sf -m 60 -o /dev/null -X DELETE -H "$AUTH" -H 'Content-Type: application/json' \
			--data-binary "@$f" "$B" || echo "FAILED: delete $f" >&2
	done
	rm -f "$TMP"/del-*.json
}
p99_ms() { # wrk output file
	awk '/^ +99%/ {v = $2; if (v ~ /us$/) {sub(/us/, "", v); v /= 1000} else if (v ~ /ms$/) sub(/ms/, "", v); else if (v ~ /s$/) {sub(/s/, "", v); v *= 1000}; print v}' "$1"
}
wrk_p99() { # seconds url -> p99 ms (and errors)
	in_fw wrk -t1 -c10 -d"$1"s --latency "$2" >"$TMP/wrk.txt" 2>&1
	echo "$(p99_ms "$TMP/wrk.txt") ms ($(awk '/Requests\/sec/ {print $2}' "$TMP/wrk.txt") req/s$(grep -q 'Non-2xx\|Socket errors' "$TMP/wrk.txt" && echo ', ERRORS'))"
}

echo "# bench/scale.sh, $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ); RSS at start $(rss_mib) MiB"
printf '| %-9s | %-40s | %-22s | %-9s |\n' N step result "RSS MiB"
printf '|%s|%s|%s|%s|\n' ----------- ------------------------------------------ ------------------------ -----------
row() { printf '| %-9s | %-40s | %-22s | %-9s |\n' "$1" "$2" "$3" "$(rss_mib)"; }

for n in $SIZES; do
	addresses "$n" 0 >"$TMP/a.txt"
	addresses "$n" 20000000 >"$TMP/b.txt"
	row "$n" "API bulk insert (text/plain)" "$(seconds post_text "$TMP/a.txt" "") s"
	[ "$(exact_count)" = "$n" ] || echo "WARNING: $(exact_count) entries, not $n" >&2
	row "$n" "GET /api/ebpf/blocklist (all)" "$(seconds in_fw curl -sf -m 300 "$B") s"
	row "$n" "CLI blocklist list" "$(seconds fw ebpf blocklist list) s"
	row "$n" "CLI map dump --json" "$(seconds fw ebpf map dump ddos_filter.blocklist --json) s"
	row "$n" "GET maps/…/data?all=true (all)" \
		"$(seconds in_fw curl -sf -m 300 "$URL/api/ebpf/maps/ddos_filter.blocklist/data?all=true") s"
	cursor=$(in_fw curl -s "$URL/api/ebpf/maps/ddos_filter.blocklist/data?limit=10000&offset=$((n / 2))" |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["next_cursor"] or "")')
	row "$n" "map data page at the middle, p99 (wrk 5s)" \
		"$(wrk_p99 5 "$URL/api/ebpf/maps/ddos_filter.blocklist/data?limit=100&cursor=$cursor")"
	row "$n" "/metrics p99 (wrk 5s, 10 conn)" "$(wrk_p99 5 "$URL/metrics")"
	row "$n" "API delete (JSON, 10000/request)" "$(seconds delete_all "$TMP/a.txt") s"
	row "$n" "CLI import (blocklist import FILE)" "$(seconds fw ebpf blocklist import "$TMP/b.txt") s"
	[ "$(exact_count)" = "$n" ] || echo "WARNING: $(exact_count) entries, not $n" >&2
	row "$n" "API delete (JSON, 10000/request)" "$(seconds delete_all "$TMP/b.txt") s"
	e=$((n < 200000 ? n : 200000))
	addresses "$e" 40000000 >"$TMP/e.txt"
	post_text "$TMP/e.txt" "?expires_in=3" || echo "FAILED: expiring insert" >&2
	due=$(python3 -c "print($(date +%s.%N) + 3)")
	sleep 2.5
	in_fw wrk -t1 -c10 -d6s --latency "$URL/api/ebpf/programs" >"$TMP/wrk-exp.txt" 2>&1 &
	wrk_pid=$!
	for _ in $(seq 1 600); do [ "$(exact_count)" = 0 ] && break; sleep 0.05; done
	t1=$(date +%s.%N)
	wait "$wrk_pid"
	row "$n" "$e expire: all gone, s after due" "$(python3 -c "print('%.2f' % ($t1 - $due))") s, $(exact_count) left"
	row "$n" "GET /programs p99 meanwhile (wrk 6s)" "$(p99_ms "$TMP/wrk-exp.txt") ms"
done
t0=$(date +%s.%N)
kill -TERM "$DAEMON_PID"; wait "$DAEMON_PID"
echo "# SIGTERM to exit: $(python3 -c "print('%.2f' % ($(date +%s.%N) - $t0))") s"
DAEMON_PID=
