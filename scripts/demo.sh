#!/usr/bin/env bash
# The demo: the spec's whole configuration running for real, in a throw-away
# lab of two network namespaces joined by a veth pair (nothing touches the
# root namespace; everything is removed at exit, also on failure).
set -uo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
FLYWALL="$BUILD/flywall"
. scripts/lab.sh

TMP=$(mktemp -d /tmp/flywall-demo.XXXXXX)
PIN_ROOT=/sys/fs/bpf/flywall-demo-$$
DAEMON_PID=
finish() {
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	[ -n "${LAB_FW:-}" ] && in_fw "$FLYWALL" ebpf clean --pin-root "$PIN_ROOT" >/dev/null 2>&1
	lab_down
	rm -rf "$TMP" "$PIN_ROOT"
}
trap finish EXIT
trap 'exit 130' INT TERM

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; }
fw() { show "flywall $*"; in_fw "$FLYWALL" "$@" -c "$CONFIG"; }
pings() { # from, to, count: "received/sent"
	local from=$1 to=$2 n=$3
	in_ns "$from" ping -n -q -c "$n" -i 0.1 -W 1 "$to" 2>/dev/null |
		sed -n "s/.* \([0-9]*\) received.*/\1\/$n/p"
}

step "What this kernel can do (flywall ebpf features, abridged)"
"$FLYWALL" ebpf features | sed -n '1,200p' | grep -E -i 'kprobe|fentry|tcx|xdp|jit' | head -12

step "The spec's configuration, checked (examples/flywall.hcl)"
"$FLYWALL" config check examples/flywall.hcl

step "A lab: namespace 'host' runs Flywall on its eth0; namespace 'peer' sends traffic"
lab_up || exit 1
echo "host $LAB_FW ($LAB_FW_IP)  <-- veth -->  peer $LAB_PEER ($LAB_PEER_IP)"
CONFIG=$TMP/flywall.hcl
sed -e "s|/etc/flywall/ebpf|$BUILD/bpf|g" -e "s|/etc/flywall/api.token|$TMP/api.token|" \
	examples/flywall.hcl >"$CONFIG"

step "flywall daemon: six programs, every hook of the spec"
# --run-stats: the kernel's run counts for `ebpf stats` (off by default: ~35 ns a run).
nsenter --net="/var/run/netns/$LAB_FW" "$FLYWALL" daemon -c "$CONFIG" --pin-root "$PIN_ROOT" \
	--events-log "$TMP/events.jsonl" --run-stats on >"$TMP/daemon.log" 2>&1 &
DAEMON_PID=$!
for _ in $(seq 300); do grep -q "running (pid" "$TMP/daemon.log" && break; sleep 0.1; done
cat "$TMP/daemon.log"
fw ebpf status

step "Conntrack (ingress_filter): the host's own flows get replies, unsolicited pings do not"
echo "host -> peer ping: $(pings "$LAB_FW" "$LAB_PEER_IP" 3) replies"
echo "peer -> host ping: $(pings "$LAB_PEER" "$LAB_FW_IP" 3) replies (no rule allows new ICMP in)"
show "allow inbound ICMP echo: write {port 0, proto 1} into ingress_filter's allowed_ports map"
in_fw curl -s -X PUT -H "Authorization: Bearer $(cat "$TMP/api.token")" \
	-d '{"entries": [{"key": {"port": 0, "proto": 1, "pad": 0}, "value": 1}]}' \
	http://127.0.0.1:8080/api/ebpf/maps/allowed_ports/data; echo
echo "peer -> host ping: $(pings "$LAB_PEER" "$LAB_FW_IP" 3) replies"

step "DDoS filter (XDP): blocklist the peer through the API, then lift it"
fw ebpf blocklist add "$LAB_PEER_IP" expires 300
echo "peer -> host ping: $(pings "$LAB_PEER" "$LAB_FW_IP" 3) replies (dropped in XDP)"
fw ebpf blocklist list
fw ebpf blocklist del "$LAB_PEER_IP"
echo "peer -> host ping: $(pings "$LAB_PEER" "$LAB_FW_IP" 3) replies"
fw ebpf stats ddos_filter

step "The dashboard (http://127.0.0.1:8080/ in the host namespace): a blocklisted peer floods"
# ping -f from the blocklisted peer for 5 s; the dashboard charts ddos_filter's
# drops by reason from its kernel counters. DEMO_SCREENSHOT=1 saves what a
# browser shows meanwhile (headless Chromium, in the host namespace).
fw ebpf blocklist add "$LAB_PEER_IP" expires 60
shot=
if [ "${DEMO_SCREENSHOT:-0}" = 1 ]; then
	if command -v chromium >/dev/null && /usr/bin/python3 -c 'import websocket' 2>/dev/null; then
		shot=$BUILD/demo-dashboard.png
		in_fw /usr/bin/python3 tests/browser/screenshot.py http://127.0.0.1:8080/ "$shot" 4.5 &
		SHOT_PID=$!
	else
		echo "DEMO_SCREENSHOT=1: no screenshot (chromium or python3-websocket missing)"
	fi
fi
show "ping -f -w 5 $LAB_FW_IP   (from the peer)"
in_peer ping -n -q -f -w 5 "$LAB_FW_IP" 2>/dev/null | grep -E 'transmitted'
fw ebpf stats ddos_filter | grep -E 'drop/|pass/'
if [ -n "$shot" ]; then
	wait "$SHOT_PID" && echo "dashboard during the flood: $shot"
fi
fw ebpf blocklist del "$LAB_PEER_IP"

step "Shaping (egress_shaper, HTB at the spec's 1gbit): iperf3 host -> peer, 3 s"
in_peer iperf3 -s -1 -D -B "$LAB_PEER_IP" >/dev/null 2>&1
sleep 0.3
in_fw iperf3 -c "$LAB_PEER_IP" -t 3 -f m 2>/dev/null | grep -E 'sender|receiver'

step "Observability: net_trace counts, tcp_trace (kprobe fallback) sees a connect with its stack"
in_fw bash -c "exec 3<>/dev/tcp/$LAB_PEER_IP/9" 2>/dev/null
in_fw dig +tries=1 +timeout=1 @"$LAB_PEER_IP" flywall.example A >/dev/null 2>&1
sleep 0.5
fw ebpf programs tcp_trace | grep -E 'attach|fallback'
show "the host's connect to $LAB_PEER_IP:9, as tcp_trace saw it"
grep '"tcp_trace"' "$TMP/events.jsonl" | grep "\"$LAB_PEER_IP\"" | tail -1 | python3 -m json.tool
show "the last socket_monitor (DNS) event"
grep '"monitor"' "$TMP/events.jsonl" | tail -1

step "kill -9 the daemon: filtering goes on; a new daemon adopts the same links"
fw ebpf blocklist add "$LAB_PEER_IP"
links_before=$(ls "$PIN_ROOT/links" | xargs -I{} bpftool -j link show pinned "$PIN_ROOT/links/{}" | grep -o '"id":[0-9]*' | tr '\n' ' ')
show "kill -9 $DAEMON_PID"
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
echo "peer -> host ping, no daemon running: $(pings "$LAB_PEER" "$LAB_FW_IP" 3) replies (still blocked)"
nsenter --net="/var/run/netns/$LAB_FW" "$FLYWALL" daemon -c "$CONFIG" --pin-root "$PIN_ROOT" \
	--oneshot 2>&1 | grep -E "adopted|applied"
links_after=$(ls "$PIN_ROOT/links" | xargs -I{} bpftool -j link show pinned "$PIN_ROOT/links/{}" | grep -o '"id":[0-9]*' | tr '\n' ' ')
echo "link ids before: $links_before"
echo "link ids after:  $links_after"

step "flywall ebpf clean: everything detached and unpinned"
in_fw "$FLYWALL" ebpf clean --pin-root "$PIN_ROOT"
echo "peer -> host ping: $(pings "$LAB_PEER" "$LAB_FW_IP" 3) replies"
echo
echo "Demo done. The lab is removed on exit."
echo "The dashboard: http://127.0.0.1:8080/ wherever flywall daemon runs with the default api { listen }"
echo "(in this demo it was served inside the lab's host namespace; docs/dashboard.md)."
