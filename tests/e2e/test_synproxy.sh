#!/usr/bin/env bash
# The SYN proxy in XDP (syn_guard) under a running daemon: a real TCP client
# (curl, IPv4 and IPv6) completes its handshakes through the cookies and gets
# its page from a small HTTP server in the firewall namespace; a spoofed SYN
# flood is answered with cookies (the counter rises by the flood) and leaves
# no conntrack entry behind; flows conntrack knows pass untouched; a bad
# cookie is dropped and counted; a client reopening a tuple the server holds
# in TIME-WAIT, which conntrack has forgotten, is let through to the stack.
. "$(dirname "$0")/lib.sh"

PORT=8000   # the API has 8080
FLOOD=3000

for tool in python3 curl conntrack ethtool nft jq; do
	command -v "$tool" >/dev/null || { skip "synproxy" "$tool is not installed"; exit 0; }
done
lab_up_or_bail

# The server side: the kernel accepts cookie ACKs (syncookies = 2), cookie
# timestamps carry no per-flow offset (timestamps = 2), conntrack is on (a
# ct rule turns it on in a namespace). The client side: an XDP program of its
# own (xdp_pass), without which a veth drops the frames XDP_TX sends it (GRO
# alone is not enough here); checksums computed in software, as a NIC would
# (XDP sees a veth's offloaded checksums unfinished).
in_fw sysctl -qw net.ipv4.tcp_syncookies=2 net.ipv4.tcp_timestamps=2
in_fw nft -f - <<'NFT'
table inet sg_test {
	chain input {
		type filter hook input priority 0; policy accept;
		ct state established,related counter accept
	}
}
NFT
in_peer ethtool -K eth0 tx off >/dev/null
in_peer ip link set dev eth0 xdpdrv obj "$BUILD/bpf/xdp_pass.o" sec xdp
# the window scale the kernel gives its own connections (tcp_select_initial_window)
wscale=$(in_fw python3 -c '
import math
rmem = max(int(open("/proc/sys/net/ipv4/tcp_rmem").read().split()[2]),
           int(open("/proc/sys/net/core/rmem_max").read()))
print(min(14, max(0, int(math.log2(rmem)) - 15)))')

mkdir -p "$T_TMP/www"
echo "hello through the cookies" >"$T_TMP/www/index.html"
nsenter --net="/var/run/netns/$LAB_FW" python3 -m http.server "$PORT" --bind :: \
	--directory "$T_TMP/www" >"$T_TMP/http.log" 2>&1 &
HTTP_PID=$!
on_exit "kill $HTTP_PID; wait $HTTP_PID"
# listening before the first SYN reaches the kernel (see stack_syn_interval_s)
for ((i = 0; i < 100; i++)); do
	[ -n "$(in_fw ss -Htln "sport = :$PORT")" ] && break
	sleep 0.1
done

cat >"$T_TMP/sg.hcl" <<EOF
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
  token_file = "$T_TMP/api.token"
}
EOF
check_daemon_starts "daemon starts with syn_guard on eth0" "$T_TMP/sg.hcl"

# counter NAME: syn_guard's counter of that index, summed over CPUs
declare -A IDX=([pass]=0 [pass_established]=1 [syn_answered]=2 [cookie_valid]=3
	[cookie_invalid]=4 [syn_to_stack]=5 [drop_malformed]=6 [pass_time_wait]=10)
counter() {
	flywall_fw ebpf stats syn_guard --json | jq ".counters.syn_guard_counters[${IDX[$1]}]"
}
at_least() { # desc min actual
	if [ "${3:-0}" -ge "$2" ] 2>/dev/null; then ok "$1 ($3)"; else not_ok "$1" "expected >= $2, got '$3'"; fi
}
fetch() { in_peer curl -s -m 5 "$@"; }

# The first SYN of each family goes to the kernel (it keeps the listener
# accepting cookies), which answers it with a cookie of its own.
check_eq "IPv4: the first request gets its page (its SYN answered by the kernel)" \
	"hello through the cookies" "$(fetch "http://$LAB_FW_IP:$PORT/index.html")"
check_eq "IPv6: the first request gets its page (its SYN answered by the kernel)" \
	"hello through the cookies" "$(fetch "http://[$LAB_FW_IP6]:$PORT/index.html")"
check_eq "both SYNs went to the kernel" 2 "$(counter syn_to_stack)"

answered0=$(counter syn_answered) valid0=$(counter cookie_valid)
got=0
for ((i = 0; i < 10; i++)); do
	[ "$(fetch "http://$LAB_FW_IP:$PORT/index.html")" = "hello through the cookies" ] && got=$((got + 1))
done
check_eq "IPv4: 10 of 10 requests get their page through the cookies" 10 "$got"
check_eq "IPv4: 10 SYNs answered from XDP" $((answered0 + 10)) "$(counter syn_answered)"
check_eq "IPv4: 10 cookie ACKs valid, handed to the stack" $((valid0 + 10)) "$(counter cookie_valid)"

answered0=$(counter syn_answered)
check_eq "IPv6: the page through the cookies" "hello through the cookies" \
	"$(fetch "http://[$LAB_FW_IP6]:$PORT/index.html")"
check_eq "IPv6: the SYN was answered from XDP" $((answered0 + 1)) "$(counter syn_answered)"
check_contains "the kernel built the connections from cookies (TcpExtSyncookiesRecv)" \
	"TcpExtSyncookiesRecv" "$(in_fw nstat -az TcpExtSyncookiesRecv)"

# A long flow: established, it passes untouched (conntrack knows it).
est0=$(counter pass_established)
size=$((4 * 1024 * 1024))
head -c "$size" /dev/zero >"$T_TMP/www/big"
check_eq "a 4 MiB download through the cookies arrives whole" "$size" \
	"$(fetch -o /dev/null -w '%{size_download}' "http://$LAB_FW_IP:$PORT/big")"
at_least "its packets passed as established" 10 $(($(counter pass_established) - est0))

# The flood: spoofed sources, none of which will ever answer.
mac=$(in_fw ip -br link show eth0 | awk '{ print $3 }')
answered0=$(counter syn_answered)
in_peer python3 "$E2E_ROOT/tests/e2e/syn_flood.py" eth0 "$mac" "$LAB_FW_IP" "$PORT" \
	10.1.0.0/16 "$FLOOD" >/dev/null &
flood_pid=$!
during=$(fetch "http://$LAB_FW_IP:$PORT/index.html")
wait $flood_pid
in_peer python3 "$E2E_ROOT/tests/e2e/syn_flood.py" eth0 "$mac" "$LAB_FW_IP6" "$PORT" \
	fd99::/64 500 >/dev/null
sleep 0.5
check_eq "a request during the flood gets its page" "hello through the cookies" "$during"
# +1: the request made during the flood
check_eq "every flood SYN was answered with a cookie" $((answered0 + FLOOD + 500 + 1)) \
	"$(counter syn_answered)"
ct=$(in_fw conntrack -L 2>/dev/null)
check_eq "the flood left no conntrack entry (IPv4 sources)" 0 "$(grep -c 'src=10\.1\.' <<<"$ct")"
check_eq "the flood left no conntrack entry (IPv6 sources)" 0 "$(grep -c 'src=fd99:' <<<"$ct")"
check_eq "and no half-open socket on the server" 0 \
	"$(in_fw ss -Htn state syn-recv | wc -l)"

# An ACK of no flow with a made-up cookie is dropped and counted.
invalid0=$(counter cookie_invalid)
in_peer python3 - "$mac" "$LAB_FW_IP" "$PORT" <<'PY'
import socket, struct, sys
sys.path.insert(0, sys.argv[0].rsplit("/", 1)[0])
mac, dst, port = bytes.fromhex(sys.argv[1].replace(":", "")), sys.argv[2], int(sys.argv[3])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_TCP)
src = socket.inet_aton("10.77.0.2")
hdr = struct.pack("!HHIIBBHHH", 45678, port, 1000, 0x5a5a5a5a, 5 << 4, 0x10, 1000, 0, 0)
pseudo = src + socket.inet_aton(dst) + struct.pack("!BBH", 0, 6, len(hdr))
data = pseudo + hdr
c = sum(struct.unpack("!%dH" % (len(data) // 2), data))
while c >> 16:
    c = (c & 0xFFFF) + (c >> 16)
hdr = hdr[:16] + struct.pack("!H", ~c & 0xFFFF) + hdr[18:]
s.sendto(hdr, (dst, 0))
PY
sleep 0.2
check_eq "an ACK with a bad cookie is dropped and counted" $((invalid0 + 1)) "$(counter cookie_invalid)"
check_eq "and never reached the server's stack (no RST sent for it)" "" \
	"$(in_fw conntrack -L -s "$LAB_PEER_IP" -p tcp --sport 45678 2>/dev/null)"

# A tuple the server holds in TIME-WAIT (HTTP/1.0: the server closes first),
# which conntrack has forgotten (flushed here; also expired, a full table, or
# conntrack turned on later): the client's next SYN from the same port must
# reach the stack, which reopens the tuple through TIME-WAIT. Answered with a
# cookie, its ACK would land on the TIME-WAIT socket and the request hang.
TW_PORT=45100
# GET from source port TW_PORT, read to the server's FIN, then close: the
# server (HTTP/1.0) closes first and keeps the tuple in TIME-WAIT (curl may
# close first once it has Content-Length bytes, and then the client holds it)
get_from_tw_port() {
	in_peer python3 - "$LAB_FW_IP" "$PORT" "$TW_PORT" <<'PY'
import socket, sys
host, port, sport = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.settimeout(5)
s.bind(("", sport))
try:
    s.connect((host, port))
    s.sendall(b"GET /index.html HTTP/1.0\r\n\r\n")
    data = b""
    while chunk := s.recv(4096):
        data += chunk
    print(data.split(b"\r\n\r\n", 1)[-1].decode().strip())
except OSError as e:
    print(type(e).__name__)
s.close()
PY
}
server_time_wait() { in_fw ss -Htan state time-wait "( sport = :$PORT and dport = :$TW_PORT )" | wc -l; }
tw0=$(counter pass_time_wait)
check_eq "a request from source port $TW_PORT gets its page" "hello through the cookies" \
	"$(get_from_tw_port)"
for ((i = 0; i < 20; i++)); do
	[ "$(server_time_wait)" = 1 ] && break
	sleep 0.1
done
check_eq "the server holds that tuple in TIME-WAIT" 1 "$(server_time_wait)"
in_fw conntrack -F >/dev/null 2>&1
check_eq "conntrack has forgotten the flow" "" \
	"$(in_fw conntrack -L -p tcp --sport "$TW_PORT" 2>/dev/null)"
check_eq "the same source port again, within TIME-WAIT: the page" "hello through the cookies" \
	"$(get_from_tw_port)"
check_eq "its SYN went to the stack as one on a TIME-WAIT tuple (pass_time_wait)" \
	$((tw0 + 1)) "$(counter pass_time_wait)"
