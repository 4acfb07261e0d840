#!/usr/bin/env bash
# A legitimate client under a SYN flood, with and without syn_guard: how many
# of 1,000 HTTP requests (each a new TCP connection, 20 at a time, 2 s
# allowed each) it completes while bench/flood/flood_gen sends TCP SYNs from
# 100,000 random sources and random ports, paced to the same rate in every case.
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
#   SYNFLOOD_PPS="auto gen"  the flood rates (levels), each run for every case:
#                     a number (SYNs a second), auto (what the most expensive
#                     receiver, kernel+conntrack, took of an unpaced flood in a
#                     3 s calibration) or gen (what the generator sent unpaced then)
#   SYNFLOOD_WINDOW=4 the shortest window (s) rates, drops and CPU are taken over
#
# Why paced: the generator (BPF_PROG_TEST_RUN live frames) runs the receiver's
# NAPI on its own CPU, so unpaced a cheap receiver lets it send many times more
# than an expensive one and the cases would face different floods. Paced, each
# case is offered the same rate (the generator prints what it achieved; its
# batches are 10 ms of the rate each, so the flood comes in 10 ms bursts).
#
# Per case: the rate offered and the rate that reached the receiver's
# interface, requests completed and how the others failed, frames the
# receiver's single veth ring refused (the flood's, and all including the
# client's), the client's retransmissions (its packets lost on the way), who
# answered the SYNs (the server's stack: SyncookiesSent; syn_guard: its
# syn_answered counter), and softirq (all CPUs) and daemon CPU.
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
# 2-CPU machine with whatever else runs on it: the load average is written
# next to the results.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
BUILD=${BUILD:-build}
case "$BUILD" in /*) ;; *) BUILD="$ROOT/$BUILD" ;; esac
CLANG=${CLANG:-clang}
CC=${CC:-gcc}
ROUNDS=${SYNFLOOD_ROUNDS:-2}
REQUESTS=${SYNFLOOD_REQUESTS:-1000}
WINDOW=${SYNFLOOD_WINDOW:-4}   # s: the shortest window rates and CPU are taken over
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
		-lbpf -lelf -lz -lpthread || die "cannot build the generator"
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
tx_mib() { in_tx nstat -az "$@" | awk '!/^#/ { printf "%s ", $2 }'; }
# nstat's order. The server: cookie SYN-ACKs its stack sent, cookie ACKs it
# took and refused, accept queue overflows; the client: segments and SYNs it
# had to send again (its packets lost on the way, e.g. at the ring).
MIBS="TcpExtSyncookiesSent TcpExtSyncookiesRecv TcpExtSyncookiesFailed TcpExtListenOverflows"
TX_MIBS="TcpRetransSegs TcpExtTCPSynRetrans"

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
# time, each from a source port of its own, never used before in this run:
# as many different clients would. The server keeps the connections an
# earlier case closed in TIME-WAIT (60 s), and conntrack is flushed between
# cases: a new connection on such a 4-tuple goes through the stack's
# TIME-WAIT handling (syn_guard passes such a SYN, pass_time_wait; before it
# did, it answered with a cookie whose ACK the TIME-WAIT socket swallowed:
# 15 % of the requests of a case after two others hung). Distinct ports keep
# the cases apart all the same.
# Prints "completed seconds p50_ms p99_ms errors" (errors: the
# failures by kind, e.g. TimeoutError:3,ConnectionResetError:2, or -).
client() {
	in_tx python3 - "$RX_IP" "$PORT" "$REQUESTS" "$((CLIENT_PORT_BASE + MEASUREMENT * REQUESTS))" <<'PY'
import socket, sys, time
from concurrent.futures import ThreadPoolExecutor
host, port, n, first = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
def get(i):
    t = time.monotonic()
    try:
        with socket.create_connection((host, port), timeout=2,
                                      source_address=("", first + i)) as s:
            s.settimeout(2)
            s.sendall(b"GET /index.html HTTP/1.0\r\nHost: x\r\n\r\n")
            data = b""
            while True:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
        ok = data.startswith(b"HTTP/1.0 200")
        return ok, time.monotonic() - t, None if ok else "bad-reply"
    except OSError as e:
        return False, time.monotonic() - t, type(e).__name__
t0 = time.monotonic()
with ThreadPoolExecutor(20) as pool:
    results = list(pool.map(get, range(n)))
took = time.monotonic() - t0
lat = sorted(d for ok, d, _ in results if ok) or [0]
errors = {}
for _, _, e in results:
    if e:
        errors[e] = errors.get(e, 0) + 1
print(sum(ok for ok, _, _ in results), "%.1f" % took, "%.0f" % (lat[len(lat) // 2] * 1000),
      "%.0f" % (lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000),
      ",".join("%s:%d" % kv for kv in sorted(errors.items())) or "-")
PY
}

# A counter of `ethtool -S` of eth0 in namespace NS.
ethtool_stat() { nsenter --net="/var/run/netns/$1" ethtool -S eth0 | awk -v k="$2:" '$1 == k { print $2 }'; }

# Frames the server's end refused on the way back to the client's end (its
# ring full): syn_guard's XDP_TX SYN-ACKs, the stack's SYN-ACKs, the replies.
rx_tx_dropped() {
	ip -n "$RX" -s -j link show eth0 | grep -o '"tx":{[^}]*' | grep -o '"dropped":[0-9]*' |
		sed 's/.*://'
}
# The server's TIME-WAIT sockets (of earlier cases' connections).
rx_time_wait() { in_rx ss -Htn state time-wait | wc -l; }

# The flood's XDP frames the receiver's ring refused (the generator sends
# out of the client's end; tx_dropped above counts these and the client's own).
flood_refused() { ethtool_stat "$TX" tx_queue_0_xdp_xmit_errors; }

# Jiffies (USER_HZ) spent in softirq, all CPUs; and by process PID (user + system).
softirq_ticks() { awk '$1 == "cpu" { print $8 }' /proc/stat; }
proc_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat" 2>/dev/null || echo 0; }

# syn_guard's counter number N, summed over CPUs, from the daemon's API.
sg_counter() {
	API_PATH=/api/ebpf/programs/syn_guard/stats api | jq ".counters.syn_guard_counters[$1] // 0"
}

# flood RATE: starts the generator, unpaced (0) or paced to RATE frames a second.
flood_start() {
	nsenter --net="/var/run/netns/$TX" "$OUT/flood_gen" "$OUT/synflood_tx.o" eth0 "$RX_MAC" \
		"$FLOOD_FIRST" "$RX_IP" 600 "$FLOOD_SOURCES" syn "$1" >"$TMP/gen.out" 2>&1 &
	GEN_PID=$!
	sleep 1
	kill -0 "$GEN_PID" 2>/dev/null || { cat "$TMP/gen.out" >&2; die "the generator failed"; }
}

# Stops the generator; OFFERED: the rate it achieved, Mpps. (Not in $(...):
# the generator is this shell's child, only this shell can wait for it.)
flood_stop() {
	kill "$GEN_PID"
	wait "$GEN_PID" 2>/dev/null
	GEN_PID=
	OFFERED=$(sed -n 's/.*: \([0-9.]*\) Mpps.*/\1/p' "$TMP/gen.out")
}

# The rate the most expensive receiver (kernel+conntrack) absorbs from an
# unpaced flood, in frames a second, rounded down to 10,000: what the
# generator can hold steadily against every case.
calibrate() {
	local c0 c1 t0 t1
	setup_case kernel+conntrack
	flood_start 0
	t0=$(date +%s%N) c0=$(rx_packets)
	sleep 3
	t1=$(date +%s%N) c1=$(rx_packets)
	flood_stop
	CAL_OFFERED=$OFFERED
	teardown_case kernel+conntrack
	CAL_RECEIVED=$(((c1 - c0) * 1000000000 / (t1 - t0)))
	echo "calibration: unpaced against kernel+conntrack, generator $CAL_OFFERED Mpps, receiver took $CAL_RECEIVED pps" >&2
	sleep 1
}

# measure CASE ROUND: the flood runs paced to PPS, the client makes its
# requests; records per case what the flood offered and what reached the
# receiver, the requests completed, who answered SYNs, drops and CPU.
measure() {
	local name=$1 round=$2 c0 c1 t0 t1 f0 f1 k0 k1 b0 b1 m0 m1 n0 n1 s0 s1 d0 d1 a0=0 a1=0 res
	MEASUREMENT=$((MEASUREMENT + 1))
	setup_case "$name"
	TW=$(rx_time_wait)
	flood_start "$PPS"
	[ "$name" = syn_guard ] && a0=$(sg_counter 2)
	t0=$(date +%s%N) c0=$(rx_packets) f0=$(flood_refused) k0=$(tx_dropped) b0=$(rx_tx_dropped)
	m0=$(rx_mib $MIBS) n0=$(tx_mib $TX_MIBS) s0=$(softirq_ticks) d0=$(proc_ticks "${DAEMON_PID:-0}")
	res=$(client)
	# rates and CPU over a window of WINDOW s at least, however fast the client was
	sleep "$(awk -v t=$(($(date +%s%N) - t0)) -v w="$WINDOW" 'BEGIN { r = w - t / 1e9; print (r > 0 ? r : 0) }')"
	t1=$(date +%s%N) c1=$(rx_packets) f1=$(flood_refused) k1=$(tx_dropped) b1=$(rx_tx_dropped)
	m1=$(rx_mib $MIBS) n1=$(tx_mib $TX_MIBS) s1=$(softirq_ticks) d1=$(proc_ticks "${DAEMON_PID:-0}")
	[ "$name" = syn_guard ] && a1=$(sg_counter 2)
	flood_stop
	teardown_case "$name"
	local hz secs
	hz=$(getconf CLK_TCK) secs=$(awk -v t=$((t1 - t0)) 'BEGIN { print t / 1e9 }')
	printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$round" "$name" "$res" "$OFFERED" \
		"$(awk -v p=$((c1 - c0)) -v t="$secs" 'BEGIN { printf "%.3f", p / t / 1e6 }')" \
		"$((f1 - f0))" "$((k1 - k0))" \
		"$(paste -d- <(tr ' ' '\n' <<<"$n1") <(tr ' ' '\n' <<<"$n0") | grep -v '^-$' | bc | tr '\n' ' ')" \
		"$(paste -d- <(tr ' ' '\n' <<<"$m1") <(tr ' ' '\n' <<<"$m0") | grep -v '^-$' | bc | tr '\n' ' ')" \
		"$((a1 - a0))" \
		"$(awk -v j=$((s1 - s0)) -v hz="$hz" -v t="$secs" 'BEGIN { printf "%.0f", j / hz / t * 100 }')" \
		"$(awk -v j=$((d1 - d0)) -v hz="$hz" -v t="$secs" 'BEGIN { printf "%.1f", j / hz / t * 100 }')" "$PPS" "$((b1 - b0))" "$TW" |
		tee -a "$SAMPLES" >&2
	sleep 1
}

build_tools
lab_up
: >"$SAMPLES"
LEVELS=${SYNFLOOD_PPS:-auto gen}
MEASUREMENT=0
CLIENT_PORT_BASE=2000   # the client's source ports: REQUESTS a measurement from here on
[ $(($(wc -w <<<"$LEVELS") * ROUNDS * 3 * REQUESTS + CLIENT_PORT_BASE)) -lt 65536 ] ||
	die "too many requests for distinct client ports: fewer rounds, levels or requests"
calibrate
load0=$(cut -d' ' -f1-3 /proc/loadavg)
echo "load average $load0" >&2
echo "round	case	completed seconds p50_ms p99_ms failures	offered_Mpps	at_receiver_Mpps	flood_refused	ring_refused_all	client_retrans client_syn_retrans	server: cookies_sent cookies_recv cookies_failed listen_overflows	syn_guard_answered	softirq_%	daemon_%	paced_to	return_refused	server_time_wait_at_start" >&2
for level in $LEVELS; do
	case "$level" in
	auto) PPS=$((CAL_RECEIVED / 10000 * 10000)) ;;
	gen) PPS=$(awk -v m="$CAL_OFFERED" 'BEGIN { printf "%d", int(m * 100) * 10000 }') ;;
	*[!0-9]* | "") die "SYNFLOOD_PPS: '$level' is not a rate (frames a second), auto or gen" ;;
	*) PPS=$level ;;
	esac
	[ "$PPS" -gt 0 ] || die "the calibration measured no flood ($level)"
	echo "flood paced to $PPS SYNs/s in every case ($level)" >&2
	for ((r = 1; r <= ROUNDS; r++)); do
		for c in kernel kernel+conntrack syn_guard; do
			measure "$c" "$r"
		done
	done
done

load=$(cut -d' ' -f1-3 /proc/loadavg)
{
	echo
	echo "### SYN flood at an equal offered rate: a legitimate client's HTTP requests ($(date -u +%Y-%m-%d))"
	echo
	echo "\`BUILD=build ${SYNFLOOD_PPS:+SYNFLOOD_PPS=\"$SYNFLOOD_PPS\" }bench/synflood.sh\`, $(uname -r), $(nproc) CPUs, $ROUNDS rounds," \
		"$REQUESTS requests per case (new connection each, 20 at a time, 2 s timeout)," \
		"load average at the start $load0, at the end $load. The machine is shared with other engineers' builds" \
		"and tests${SYNFLOOD_NOTE:+; $SYNFLOOD_NOTE}."
	echo "Calibration: unpaced for 3 s, the generator sent $CAL_OFFERED Mpps and the most expensive" \
		"receiver (kernel+conntrack) took $CAL_RECEIVED SYNs/s. Every case of a level faced the" \
		"flood paced to the same rate (levels: $LEVELS; auto = what kernel+conntrack took, gen = what" \
		"the generator sent unpaced). Rates, drops and CPU over $WINDOW s or the client's time if longer."
	echo
	echo "| paced to, SYNs/s | case | round | completed of $REQUESTS | failures | seconds | p50 ms | p99 ms | offered, Mpps | at the receiver, Mpps | flood frames refused (ring full) | all frames refused (ring full, flood and client) | client: retransmitted segments, SYNs | server stack: cookie SYN-ACKs sent, cookies recv, failed, listen overflows | syn_guard SYN-ACKs (XDP_TX) | softirq, % of a CPU | daemon, % of a CPU | refused on the way back to the client's end (its ring full) | server TIME-WAIT sockets at the start |"
	echo "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"
	awk -F'\t' '{ split($3, a, " ");
		printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n",
			$13, $2, $1, a[1], a[5], a[2], a[3], a[4], $4, $5, $6, $7, $8, $9, $10, $11, ($2 == "syn_guard" ? $12 : ""), $14, $15 }' \
		"$SAMPLES" | sort -t'|' -k2,2n -k3,3 -s
	echo
	echo "syn_guard counters after its last round: \`$(jq -c .counters "$TMP/stats.json" 2>/dev/null)\`"
} | tee -a "$RESULTS"
