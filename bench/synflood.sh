#!/usr/bin/env bash
# A legitimate client under a SYN flood, with and without syn_guard: how many
# of 1,000 HTTP requests (each a new TCP connection, 20 at a time, 2 s
# allowed each) it completes while bench/flood/flood_gen sends TCP SYNs from
# 100,000 random sources and random ports at the highest rate it reaches.
# The cases run side by side in one run, round after round:
#   kernel            no program (xdp_pass only, so that veth takes the
#                     generator's frames), kernel SYN cookies as shipped
#                     (tcp_syncookies = 1), no conntrack
#   kernel+conntrack  the same with conntrack on (an nftables ct rule), as
#                     on any host with a stateful firewall
#   syn_guard         `flywall daemon` running syn_guard on port 9 (conntrack
#                     on, tcp_syncookies = 2, tcp_timestamps = 2)
#
#   BUILD=build bench/synflood.sh         (bench/run.sh runs it)
#   SYNFLOOD_ROUNDS=2 SYNFLOOD_REQUESTS=1000 SYNFLOOD_RESULTS=bench/RESULTS.md SYNFLOOD_NOTE=text
#
# The generator is flood_gen with bench/bpf/synflood_tx.bpf.c, which rebuilds
# each SYN whole (syn_guard's XDP_TX hands the frames back rewritten).
#
# The lab: two network namespaces made for this run, one veth pair. The
# server's (RX) runs a small HTTP server (python3 http.server, backlog 4096) on port 9,
# where flood_gen's SYNs go. The client's (TX) runs the generator and the
# client; its end carries client_sink (synflood_sink.bpf.c), an XDP program
# (veth needs one to take what syn_guard sends back with XDP_TX) that drops
# what the server sends to the flood's spoofed sources: on the internet that
# would scatter, not land on the client. Sender and receiver share the CPUs of a
# 2-CPU machine with whatever else runs on it: the rates are what the flood
# reached in this run, written next to the results.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
CLANG=${CLANG:-clang}
CC=${CC:-gcc}
ROUNDS=${SYNFLOOD_ROUNDS:-2}
REQUESTS=${SYNFLOOD_REQUESTS:-1000}
RESULTS=${SYNFLOOD_RESULTS:-$ROOT/bench/RESULTS.md}
FLYWALL=$BUILD/flywall
PORT=9                  # where flood_gen's SYNs go
RX_IP=10.98.0.1
TX_IP=10.98.0.2         # also in bench/bpf/synflood_sink.bpf.c
FLOOD_FIRST=10.1.0.0
FLOOD_SOURCES=100000

ID=$$
RX=synflood-$ID-rx
TX=synflood-$ID-tx
PIN=/sys/fs/bpf/flywall-synflood-$ID
TMP=$(mktemp -d /tmp/flywall-synflood.XXXXXX)
OUT=$BUILD/flood
DAEMON_PID=
GEN_PID=
HTTP_PID=
SAMPLES=$TMP/samples

die() { echo "synflood: $*" >&2; exit 1; }

cleanup() {
	[ -n "$GEN_PID" ] && kill "$GEN_PID" 2>/dev/null && wait "$GEN_PID" 2>/dev/null
	[ -n "$DAEMON_PID" ] && kill "$DAEMON_PID" 2>/dev/null && wait "$DAEMON_PID" 2>/dev/null
	[ -n "$HTTP_PID" ] && kill "$HTTP_PID" 2>/dev/null && wait "$HTTP_PID" 2>/dev/null
	ip netns del "$RX" 2>/dev/null
	ip netns del "$TX" 2>/dev/null
	rm -rf "$PIN" "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# nsenter, not `ip netns exec`, which remounts /sys and hides bpffs.
in_rx() { nsenter --net="/var/run/netns/$RX" "$@"; }
in_tx() { nsenter --net="/var/run/netns/$TX" "$@"; }

build_tools() {
	[ -x "$FLYWALL" ] && [ -f "$BUILD/bpf/syn_guard.o" ] && [ -f "$BUILD/bpf/xdp_pass.o" ] ||
		die "build first: make all"
	mkdir -p "$OUT"
	"$CLANG" -O2 -g -target bpf -D__TARGET_ARCH_x86 -Wall -I"$BUILD" \
		-c bench/bpf/synflood_tx.bpf.c -o "$OUT/synflood_tx.o" &&
	"$CLANG" -O2 -g -target bpf -D__TARGET_ARCH_x86 -Wall -I"$BUILD" \
		-c bench/bpf/synflood_sink.bpf.c -o "$OUT/synflood_sink.o" &&
	"$CC" -O2 -g -Wall -Wextra -std=gnu11 -o "$OUT/flood_gen" bench/flood/flood_gen.c \
		-lbpf -lelf -lz || die "cannot build the generator"
}

lab_up() {
	ip netns add "$RX" && ip netns add "$TX" &&
	ip -n "$RX" link add eth0 type veth peer name eth0 netns "$TX" &&
	ip -n "$RX" link set lo up && ip -n "$TX" link set lo up &&
	ip -n "$RX" addr add "$RX_IP/24" dev eth0 && ip -n "$TX" addr add "$TX_IP/24" dev eth0 &&
	ip -n "$RX" link set eth0 up && ip -n "$TX" link set eth0 up &&
	# the flood's sources are reachable, as they would be on the internet:
	# the kernel answers their SYNs (and so can stamp its listener, below)
	ip -n "$RX" route add default via "$TX_IP" &&
	# checksums in software on the client, as a NIC would deliver them
	in_tx ethtool -K eth0 tx off >/dev/null &&
	in_tx ip link set dev eth0 xdpdrv obj "$OUT/synflood_sink.o" sec xdp ||
		die "cannot build the lab"
	RX_MAC=$(ip -n "$RX" -j link show eth0 | grep -o '"address":"[^"]*"' | cut -d'"' -f4)
	mkdir -p "$TMP/www" && echo "ok" >"$TMP/www/index.html"
	# http.server's own listen backlog (5) would be the bottleneck of every
	# case; a server's usual one (4096) is not
	nsenter --net="/var/run/netns/$RX" python3 -c '
import functools, http.server, sys
class Server(http.server.ThreadingHTTPServer):
    request_queue_size = 4096
handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[3])
handler.log_message = lambda *a: None
Server((sys.argv[1], int(sys.argv[2])), handler).serve_forever()' "$RX_IP" "$PORT" "$TMP/www" \
		>"$TMP/http.log" 2>&1 &
	HTTP_PID=$!
	for ((i = 0; i < 100; i++)); do
		[ -n "$(in_rx ss -Htln "sport = :$PORT")" ] && return 0
		sleep 0.1
	done
	die "the HTTP server did not start"
}

# Frames the client's end dropped on the way out because the receiver's ring
# was full: the flood's (the generator sends out of this end) and the
# client's own alike, which share that ring.
tx_dropped() {
	ip -n "$TX" -s -j link show eth0 | grep -o '"tx":{[^}]*' | grep -o '"dropped":[0-9]*' |
		sed 's/.*://'
}

# The server's kernel counters NAME... (cumulative in its namespace), one line.
rx_mib() { in_rx nstat -az "$@" | awk '!/^#/ { printf "%s ", $2 }'; }
MIBS="TcpExtSyncookiesRecv TcpExtSyncookiesFailed TcpExtListenOverflows"   # nstat's order

rx_packets() {
	ip -n "$RX" -s -j link show eth0 | grep -o '"rx":{"bytes":[0-9]*,"packets":[0-9]*' |
		sed 's/.*://'
}

conntrack_on() {
	in_rx nft -f - <<'NFT'
table inet synflood {
	chain input {
		type filter hook input priority 0; policy accept;
		ct state established,related accept
	}
}
NFT
}
conntrack_off() { in_rx nft delete table inet synflood 2>/dev/null; in_rx conntrack -F 2>/dev/null; }

# The receiver as a case needs it: xdp_pass alone, or the daemon with syn_guard.
setup_case() {
	case "$1" in
	kernel | kernel+conntrack)
		in_rx sysctl -qw net.ipv4.tcp_syncookies=1 net.ipv4.tcp_timestamps=1
		in_rx ip link set dev eth0 xdpdrv obj "$BUILD/bpf/xdp_pass.o" sec xdp || die "xdp_pass"
		[ "$1" = kernel ] && conntrack_off || conntrack_on ;;
	syn_guard)
		in_rx sysctl -qw net.ipv4.tcp_syncookies=2 net.ipv4.tcp_timestamps=2
		conntrack_on
		daemon_start ;;
	esac
}

teardown_case() {
	case "$1" in
	syn_guard)
		API_PATH=/api/ebpf/programs/syn_guard/stats api >"$TMP/stats.json"
		kill "$DAEMON_PID"
		wait "$DAEMON_PID" 2>/dev/null
		DAEMON_PID=
		rm -rf "$PIN" ;;        # the daemon leaves its pinned link attached
	*) in_rx ip link set dev eth0 xdp off ;;
	esac
	conntrack_off
}

api() { in_rx curl -s -m 5 -H "Authorization: Bearer $(cat "$TMP/api.token")" "http://127.0.0.1:8080$API_PATH"; }

daemon_start() {
	local i wscale
	# the window scale the kernel gives its own connections (docs/programs.md)
	wscale=$(in_rx python3 -c '
import math
r = max(int(open("/proc/sys/net/ipv4/tcp_rmem").read().split()[2]), int(open("/proc/sys/net/core/rmem_max").read()))
print(min(14, max(0, int(math.log2(r)) - 15)))')
	cat >"$TMP/sg.hcl" <<EOF
ebpf {
  enabled = true
  program_dir = "$BUILD/bpf"
  xdp "syn_guard" {
    program = "syn_guard.o"
    interface = "eth0"
    args = { port_1 = $PORT, wscale = $wscale }
  }
}
api {
  token_file = "$TMP/api.token"
}
EOF
	: >"$TMP/daemon.log"
	nsenter --net="/var/run/netns/$RX" "$FLYWALL" daemon -c "$TMP/sg.hcl" \
		--pin-root "$PIN" >>"$TMP/daemon.log" 2>&1 &
	DAEMON_PID=$!
	for ((i = 0; i < 300; i++)); do
		grep -q "running (pid $DAEMON_PID)" "$TMP/daemon.log" && return 0
		kill -0 "$DAEMON_PID" 2>/dev/null || break
		sleep 0.1
	done
	cat "$TMP/daemon.log" >&2
	die "the daemon did not start"
}

# The legitimate client: REQUESTS GETs, each on a new connection, 20 at a
# time; prints "completed seconds p50_ms p99_ms".
client() {
	in_tx python3 - "$RX_IP" "$PORT" "$REQUESTS" <<'PY'
import socket, sys, time
from concurrent.futures import ThreadPoolExecutor
host, port, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def get(_):
    t = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=2) as s:
            s.settimeout(2)
            s.sendall(b"GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        return data.startswith(b"HTTP/1.0 200"), time.monotonic() - t
    except OSError:
        return False, time.monotonic() - t
t0 = time.monotonic()
with ThreadPoolExecutor(20) as pool:
    results = list(pool.map(get, range(n)))
took = time.monotonic() - t0
lat = sorted(d for ok, d in results if ok) or [0]
print(sum(ok for ok, _ in results), "%.1f" % took, "%.0f" % (lat[len(lat) // 2] * 1000),
      "%.0f" % (lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000))
PY
}

# measure CASE: the flood runs, the client makes its requests; records the
# completed requests and the rate the flood reached the receiver at.
measure() {
	local name=$1 round=$2 c0 c1 t0 t1 d0 d1 m0 m1 res
	setup_case "$name"
	nsenter --net="/var/run/netns/$TX" "$OUT/flood_gen" "$OUT/synflood_tx.o" eth0 "$RX_MAC" \
		"$FLOOD_FIRST" "$RX_IP" 600 "$FLOOD_SOURCES" syn >"$TMP/gen.out" 2>&1 &
	GEN_PID=$!
	sleep 1
	kill -0 "$GEN_PID" 2>/dev/null || { cat "$TMP/gen.out" >&2; die "the generator failed"; }
	t0=$(date +%s%N) c0=$(rx_packets) d0=$(tx_dropped) m0=$(rx_mib $MIBS)
	res=$(client)
	t1=$(date +%s%N) c1=$(rx_packets) d1=$(tx_dropped) m1=$(rx_mib $MIBS)
	kill "$GEN_PID"
	wait "$GEN_PID" 2>/dev/null
	GEN_PID=
	teardown_case "$name"
	echo "$round	$name	$res	$(awk -v p=$((c1 - c0)) -v t=$((t1 - t0)) 'BEGIN { printf "%.2f", p / t * 1000 }')	$((d1 - d0))	$(paste -d- <(tr ' ' '\n' <<<"$m1") <(tr ' ' '\n' <<<"$m0") | grep -v '^-$' | bc | tr '\n' ' ')" |
		tee -a "$SAMPLES" >&2
	sleep 1
}

build_tools
lab_up
: >"$SAMPLES"
echo "round	case	completed	seconds	p50_ms	p99_ms	flood_Mpps	ring_full_drops	cookies_recv cookies_failed listen_overflows" >&2
for ((r = 1; r <= ROUNDS; r++)); do
	for c in kernel kernel+conntrack syn_guard; do
		measure "$c" "$r"
	done
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo
	echo "### SYN flood: a legitimate client's HTTP requests ($(date -u +%Y-%m-%d))"
	echo
	echo "\`BUILD=build bench/synflood.sh\`, $(uname -r), $(nproc) CPUs, $ROUNDS rounds," \
		"$REQUESTS requests per case (new connection each, 20 at a time, 2 s timeout)," \
		"load average at the end $load. The machine is shared with other engineers' builds" \
		"and tests${SYNFLOOD_NOTE:+; $SYNFLOOD_NOTE}."
	echo
	echo "| case | round | completed | of | seconds | p50 ms | p99 ms | flood at the receiver, Mpps | frames refused, receiver's ring full (flood and client) | server: SyncookiesRecv, SyncookiesFailed, ListenOverflows |"
	echo "|---|---|---|---|---|---|---|---|---|---|"
	awk -F'\t' -v n="$REQUESTS" '{ split($3, a, " ");
		printf "| %s | %s | %s | %d | %s | %s | %s | %s | %s | %s |\n", $2, $1, a[1], n, a[2], a[3], a[4], $4, $5, $6 }' \
		"$SAMPLES" | sort -t'|' -k2,2 -s
	echo
	echo "syn_guard counters after its last round: \`$(jq -c .counters "$TMP/stats.json" 2>/dev/null)\`"
} | tee -a "$RESULTS"
