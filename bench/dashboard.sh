#!/usr/bin/env bash
# What open dashboards cost the daemon at idle: the daemon on the spec's whole
# configuration (examples/flywall.hcl, as a user runs it, run statistics off)
# in a lab namespace of this script's own; its CPU time (utime + stime from
# /proc) over WINDOW seconds with no dashboard open, then with N dashboards
# open in headless Chromium tabs (each polling /api/ebpf/rates every second,
# following the event stream, refreshing the blocklist every 5 s), ROUNDS
# times, side by side.
#   bench/dashboard.sh [N] [WINDOW] [ROUNDS]      (root; chromium, python3-websocket)
# Prints the daemon's CPU in % of one CPU for each phase. Leaves nothing behind.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
N=${1:-10} WINDOW=${2:-30} ROUNDS=${3:-2}
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
. scripts/lab.sh
T=$(mktemp -d /tmp/flywall-bench-ui.XXXXXX)
PINS=/sys/fs/bpf/flywall-test-benchui-$$
DAEMON=
cleanup() {
	[ -n "$DAEMON" ] && kill "$DAEMON" 2>/dev/null && wait "$DAEMON" 2>/dev/null
	[ -n "${LAB_FW:-}" ] && in_fw "$BUILD/flywall" ebpf clean --pin-root "$PINS" >/dev/null 2>&1
	lab_down
	rm -rf "$T" "$PINS"
}
trap cleanup EXIT
lab_up >/dev/null || exit 1
sed -e "s|/etc/flywall/ebpf|$BUILD/bpf|g" -e "s|/etc/flywall/api.token|$T/api.token|" \
	examples/flywall.hcl >"$T/flywall.hcl"
nsenter --net="/var/run/netns/$LAB_FW" "$BUILD/flywall" daemon -c "$T/flywall.hcl" \
	--pin-root "$PINS" >"$T/daemon.log" 2>&1 &
DAEMON=$!
for _ in $(seq 300); do grep -q "running (pid" "$T/daemon.log" && break; sleep 0.1; done
ticks() { awk '{ print $14 + $15 }' "/proc/$DAEMON/stat"; }
hz=$(getconf CLK_TCK)
# cpu_over SECONDS: the daemon's CPU over the next SECONDS, in % of one CPU.
cpu_over() {
	local a b t0 t1
	a=$(ticks) t0=$(date +%s.%N)
	sleep "$1"
	b=$(ticks) t1=$(date +%s.%N)
	awk -v a="$a" -v b="$b" -v t0="$t0" -v t1="$t1" -v hz="$hz" \
		'BEGIN { printf "%.2f", 100 * (b - a) / hz / (t1 - t0) }'
}
threads() { awk '/^Threads:/ { print $2 }' "/proc/$DAEMON/status"; }
sleep 3
echo "daemon pid $DAEMON on the spec's configuration; $(nproc) CPUs; load $(cut -d' ' -f1-3 /proc/loadavg)"
echo "round  dashboards  daemon-cpu-%  daemon-threads"
for r in $(seq "$ROUNDS"); do
	echo "$r      0           $(cpu_over "$WINDOW")          $(threads)"
	in_fw /usr/bin/python3 bench/dashboard_tabs.py http://127.0.0.1:8080/ "$N" $((WINDOW + 8)) \
		>"$T/tabs.txt" 2>&1 &
	tabs=$!
	sleep 6         # the pages load, their streams open
	echo "$r      $N          $(cpu_over "$WINDOW")          $(threads)"
	wait "$tabs"
	sed -n 's/^tab: /#   a tab says: /p' "$T/tabs.txt" | sort | uniq -c | sed 's/^ */#   /'
	sleep 3
done
