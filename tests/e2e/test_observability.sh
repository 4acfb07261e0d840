#!/usr/bin/env bash
# The observability programs end to end (issue 5), with the spec's blocks:
# the daemon in the lab's firewall namespace runs socket_monitor, net_trace and
# tcp_trace; DNS (dig against a small server), a DHCP exchange, pings and a TCP
# connect made in the lab show in their counters and in the event log with the
# right names, and the daemon says which form of tcp_trace runs.
. "$(dirname "$0")/lib.sh"

lab_up_or_bail

# The spec's blocks as written, with the objects of this build, plus one arg:
# net_trace samples every packet (default: one in 64), so each ping is an event.
config=$T_TMP/obs.hcl
{
	echo 'ebpf {'
	echo '  enabled = true'
	for f in 4-socket_filter 5-tracepoint_kprobe; do
		sed -e '1,2d' -e '$d' "$E2E_ROOT/examples/snippets/$f.hcl"
	done
	echo '}'
	printf 'api {\n  token_file = "%s"\n}\n' "$T_TMP/api.token"
} | sed -e "s|/etc/flywall/ebpf/|$BUILD/bpf/|" \
	-e 's|^\( *\)tracepoint = "net:netif_receive_skb"|&\n\1args = { sample_every = 1 }|' >"$config"
check_daemon_starts "daemon starts with socket_filter, tracepoint and kprobe blocks" "$config"

events() { cat "$EVENTS_LOG" 2>/dev/null; }
# wait_event JQ_FILTER: waits (5 s at most) until an event matches.
wait_event() {
	local i
	for ((i = 0; i < 50; i++)); do
		[ -n "$(events | jq -c "select($1)" 2>/dev/null | head -1)" ] && return 0
		sleep 0.1
	done
	return 1
}
event() { events | jq -c "select($1)" | head -1; }
# fields JQ_FILTER: the first matching event with every field but those that
# differ from run to run (ts_ns, cpu, seq), keys sorted.
fields() { events | jq -cS "select($1) | del(.ts_ns, .cpu, .seq)" | head -1; }
# counter INDEX: socket_monitor's stats[INDEX], summed over CPUs, as the CLI shows it.
counter() { flywall_fw ebpf stats monitor --json | jq ".counters.stats[$1]"; }

# ---- tcp_trace: the form that runs --------------------------------------------
programs=$(flywall_fw ebpf programs tcp_trace --json 2>&1)
echo "# tcp_trace: $(echo "$programs" | jq -c '{hook, attach, fallback}' 2>/dev/null)"
if [ -e /sys/kernel/tracing/kprobe_events ]; then
	check_eq "the daemon reports tcp_trace running as a kprobe" kprobe \
		"$(echo "$programs" | jq -r .attach)"
else
	check_eq "the daemon reports tcp_trace running its stand-in (no kprobes here)" \
		tracepoint-standin "$(echo "$programs" | jq -r .attach)"
	check_contains "and why: the kprobe cannot attach" "kprobe failed (No such file or directory)" \
		"$(echo "$programs" | jq -r .fallback)"
fi

# ---- socket_monitor: DNS ------------------------------------------------------
# A small DNS server in the firewall namespace: answers every A query with
# 10.77.0.53 and anything else with NXDOMAIN.
cat >"$T_TMP/dns.py" <<'PY'
import socket, struct
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("10.77.0.1", 53))
while True:
    q, peer = s.recvfrom(512)
    end = q.index(b"\0", 12) + 5
    qtype = struct.unpack("!H", q[end - 4:end - 2])[0]
    if qtype == 1:
        r = q[:2] + b"\x81\x80\x00\x01\x00\x01\x00\x00\x00\x00" + q[12:end]
        r += b"\xc0\x0c\x00\x01\x00\x01\x00\x00\x00\x3c\x00\x04" + socket.inet_aton("10.77.0.53")
    else:
        r = q[:2] + b"\x81\x83\x00\x01\x00\x00\x00\x00\x00\x00" + q[12:end]
    s.sendto(r, peer)
PY
# (nsenter execs python: $! is the server itself)
nsenter --net="/var/run/netns/$LAB_FW" python3 "$T_TMP/dns.py" >"$T_TMP/dns.log" 2>&1 &
DNS_PID=$!
on_exit "kill $DNS_PID"
for ((i = 0; i < 50; i++)); do
	in_fw ss -lun | grep -q "$LAB_FW_IP:53 " && break
	sleep 0.1
done

answer=$(in_peer dig +short +tries=1 +time=2 @"$LAB_FW_IP" www.flywall.test A)
check_eq "dig gets the small server's answer" "10.77.0.53" "$answer"
in_peer dig +short +tries=1 +time=2 @"$LAB_FW_IP" nope.flywall.test TXT >/dev/null
check "the DNS query shows as an event with its name" \
	wait_event '.type == "dns" and .response == false and .name == "www.flywall.test" and .qtype == "A"'
check "the DNS answer shows as an event with its rcode" \
	wait_event '.type == "dns" and .response == true and .name == "www.flywall.test" and .rcode == "NOERROR"'
check "the NXDOMAIN answer shows with its rcode and qtype" \
	wait_event '.type == "dns" and .response == true and .name == "nope.flywall.test" and .rcode == "NXDOMAIN" and .qtype == "TXT"'

# One query whose every field is known: id 0x1234 from port 40000, AAAA
# (the server answers NXDOMAIN).
cat >"$T_TMP/query.py" <<'PY'
import socket, struct, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 40000))
s.settimeout(2)
q = struct.pack("!HHHHHH", 0x1234, 0x0100, 1, 0, 0, 0)
q += b"".join(bytes([len(l)]) + l.encode() for l in "fields.flywall.test".split(".")) + b"\0"
q += struct.pack("!HH", 28, 1)
s.sendto(q, (sys.argv[2], 53))
print(len(s.recv(512)))
PY
check "a crafted AAAA query (id 0x1234, port 40000) is answered" \
	in_peer python3 "$T_TMP/query.py" "$LAB_PEER_IP" "$LAB_FW_IP"
wait_event '.type == "dns" and .name == "fields.flywall.test" and .response == true'
fw_ifindex=$(in_fw ip -j link show eth0 | jq '.[0].ifindex')
dns_event() { # response direction saddr sport daddr dport [rcode]
	jq -cnS --argjson r "$1" --arg dir "$2" --arg s "$3" --argjson sp "$4" --arg d "$5" \
		--argjson dp "$6" --argjson i "$fw_ifindex" --arg rc "${7:-}" \
		'{type: "dns", program: "monitor", ifindex: $i, direction: $dir, saddr: $s, daddr: $d,
		  sport: $sp, dport: $dp, id: 4660, response: $r, truncated: false, qtype: "AAAA",
		  qclass: 1, name: "fields.flywall.test"} + (if $rc == "" then {} else {rcode: $rc} end)'
}
check_eq "the query's event, every field" \
	"$(dns_event false host "$LAB_PEER_IP" 40000 "$LAB_FW_IP" 53)" \
	"$(fields '.type == "dns" and .name == "fields.flywall.test" and .response == false')"
check_eq "the answer's event, every field" \
	"$(dns_event true outgoing "$LAB_FW_IP" 53 "$LAB_PEER_IP" 40000 NXDOMAIN)" \
	"$(fields '.type == "dns" and .name == "fields.flywall.test" and .response == true')"
check_eq "stats[1]: 3 DNS queries" 3 "$(counter 1)"
check_eq "stats[2]: 3 DNS responses" 3 "$(counter 2)"
check_eq "stats[65]: 1 query of QTYPE A" 1 "$(counter 65)"
check_eq "stats[35]: 2 NXDOMAIN responses" 2 "$(counter 35)"

# ---- socket_monitor: DHCP -------------------------------------------------------
# Crafted DHCP: DISCOVER and REQUEST from the peer's port 68 to the firewall's
# 67, OFFER and ACK back from 67 to 68.
cat >"$T_TMP/dhcp.py" <<'PY'
import socket, struct, sys
kind, src, dst = int(sys.argv[1]), sys.argv[2], sys.argv[3]
sport, dport = (67, 68) if kind in (2, 5) else (68, 67)
msg = struct.pack("!BBBBIHH4s4s4s4s16s64s128s", 2 if sport == 67 else 1, 1, 6, 0,
                  0xf1a3a11, 0, 0, b"\0" * 4, socket.inet_aton("10.77.0.2") if sport == 67 else b"\0" * 4,
                  b"\0" * 4, b"\0" * 4, bytes.fromhex("027700000002") + b"\0" * 10, b"", b"")
msg += b"\x63\x82\x53\x63" + bytes([53, 1, kind, 255])
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((src, sport))
s.sendto(msg, (dst, dport))
PY
dhcp() { python3 "$T_TMP/dhcp.py" "$@"; }
in_peer python3 "$T_TMP/dhcp.py" 1 "$LAB_PEER_IP" "$LAB_FW_IP"
in_fw python3 "$T_TMP/dhcp.py" 2 "$LAB_FW_IP" "$LAB_PEER_IP"
in_peer python3 "$T_TMP/dhcp.py" 3 "$LAB_PEER_IP" "$LAB_FW_IP"
in_fw python3 "$T_TMP/dhcp.py" 5 "$LAB_FW_IP" "$LAB_PEER_IP"
for m in DISCOVER OFFER REQUEST ACK; do
	check "DHCP $m shows as an event with the client's MAC and xid" \
		wait_event ".type == \"dhcp\" and .message == \"$m\" and .client_mac == \"02:77:00:00:00:02\" and .xid == \"0x0f1a3a11\""
done
dhcp_event() { # message op saddr daddr yiaddr
	jq -cnS --arg m "$1" --arg op "$2" --arg s "$3" --arg d "$4" --arg y "$5" --argjson i "$fw_ifindex" \
		'{type: "dhcp", program: "monitor", ifindex: $i, message: $m, xid: "0x0f1a3a11", op: $op,
		  client_mac: "02:77:00:00:00:02", ciaddr: "0.0.0.0", yiaddr: $y, saddr: $s, daddr: $d}'
}
check_eq "DHCP DISCOVER's event, every field" \
	"$(dhcp_event DISCOVER request "$LAB_PEER_IP" "$LAB_FW_IP" 0.0.0.0)" \
	"$(fields '.type == "dhcp" and .message == "DISCOVER"')"
check_eq "DHCP ACK's event, every field" \
	"$(dhcp_event ACK reply "$LAB_FW_IP" "$LAB_PEER_IP" 10.77.0.2)" \
	"$(fields '.type == "dhcp" and .message == "ACK"')"
check_eq "stats[4]: 4 DHCP messages" 4 "$(counter 4)"
check_eq "stats[17]: 1 DISCOVER" 1 "$(counter 17)"
check_eq "stats[21]: 1 ACK" 1 "$(counter 21)"
check_eq "stats[5]: no malformed DHCP" 0 "$(counter 5)"

# ---- net_trace: N pings are N packets on the interface --------------------------
netns=$(stat -L -c %i "/var/run/netns/$LAB_FW")
# (ip, not /sys: nsenter keeps the root namespace's sysfs)
link_of() { "$@" ip -j link show eth0 | jq -r '.[0]'; }
ifindex=$(link_of in_fw | jq .ifindex)
if_packets() {
	flywall_fw ebpf map dump network_events.if_stats --json |
		jq --argjson ns "$netns" --argjson i "$ifindex" \
			'[.entries[] | select(.key.netns_ino == $ns and .key.ifindex == $i) | .value.packets] | add // 0'
}
# Quiet the link first: neighbours static, so only the pings cross it.
in_fw ip neigh replace "$LAB_PEER_IP" lladdr "$(link_of in_peer | jq -r .address)" dev eth0 nud permanent
in_peer ip neigh replace "$LAB_FW_IP" lladdr "$(link_of in_fw | jq -r .address)" dev eth0 nud permanent
in_fw sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
in_peer sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
sleep 0.5
before=$(if_packets)
log_lines=$(events | wc -l)
events_lost() { api -H "Authorization: Bearer $(api_token)" http://127.0.0.1:8080/api/ebpf/stats | jq '.events.lost'; }
lost=$(events_lost)
check_eq "10 pings from the peer are answered" 10 "$(ping_replies 10)"
after=$(if_packets)
check_eq "net_trace counts the 10 pings as 10 packets on the firewall's eth0" 10 $((after - before))
pings=".type == \"net_rx\" and .netns == $netns and .ifindex == $ifindex and .ip_proto == 1 and .saddr == \"$LAB_PEER_IP\""
ping_events() { events | tail -n +$((log_lines + 1)) | jq -c "select($pings)" | wc -l; }
for ((i = 0; i < 50; i++)); do [ "$(ping_events)" -ge 10 ] && break; sleep 0.1; done
# (every packet of the host is an event: a flood elsewhere may overflow the
# perf buffer, and the daemon counts what was lost)
lost=$(($(events_lost) - lost))
if [ "$(ping_events)" -lt 10 ] && [ "$lost" -gt 0 ]; then
	skip "net_trace (sample_every = 1) sends one event per ping" \
		"$lost events lost to other traffic on the host; $(ping_events) of 10 arrived"
else
	check_eq "net_trace (sample_every = 1) sends one event per ping" 10 "$(ping_events)"
fi

# ---- the event log keeps the newest events: read from 0 after it wrapped ----------
# A ping flood (every packet an event) wraps the daemon's ring of kept
# events; a reader asking from seq 0 gets the oldest kept one on, in order
# (with gaps where the host's other events overwrote slots meanwhile).
capacity=$(sed -n 's/^#define FW_EVENT_LOG_CAPACITY \([0-9]*\).*/\1/p' "$E2E_ROOT/src/daemon/event_log.h")
in_peer ping -f -q -c $((capacity + 1000)) "$LAB_FW_IP" >/dev/null 2>&1
total=$(api -H "Authorization: Bearer $(api_token)" http://127.0.0.1:8080/api/ebpf/stats | jq '.events.events')
if [ "${total:-0}" -le "$capacity" ]; then
	skip "events from seq 0 after the log wrapped" "only $total events so far (the flood's were lost)"
else
	seqs=$(api -N -m 3 "http://127.0.0.1:8080/api/ebpf/events?since=0" | sed -n 's/^data: //p' |
		jq -s -c '[.[].seq]')
	check_eq "events from seq 0 after the log wrapped ($total events): the oldest kept on, in order" true \
		"$(jq --argjson t "$total" --argjson c "$capacity" \
			'length > 0 and .[0] >= $t - $c and ([range(1; length) as $i | .[$i] > .[$i - 1]] | all)' \
			<<<"$seqs")"
fi

# sample_every is a run-time arg: 0 stops the events, the counters go on.
check_contains "ebpf update sets net_trace's sample_every to 0" "updated network_events" \
	"$(flywall_fw ebpf update network_events sample_every=0 --token-file "$T_TMP/api.token")"
before=$(if_packets)
log_lines=$(events | wc -l)
check_eq "3 more pings are answered" 3 "$(ping_replies 3)"
check_eq "net_trace still counts them" 3 $(($(if_packets) - before))
sleep 0.5
check_eq "but sends no event for them" 0 "$(ping_events)"

# ---- tcp_trace: a connect with its stack ----------------------------------------
in_fw bash -c "exec 3<>/dev/tcp/$LAB_PEER_IP/9" 2>/dev/null
check "a TCP connect shows as an event with its destination and comm" \
	wait_event ".type == \"tcp_connect\" and .daddr == \"$LAB_PEER_IP\" and .dport == 9 and .comm == \"bash\""
ev=$(event ".type == \"tcp_connect\" and .daddr == \"$LAB_PEER_IP\"")
check_contains "its symbolized stack contains tcp_v4_connect" '"tcp_v4_connect+0x' "$ev"
check_contains "its hook is the tracepoint stand-in" '"hook":"tracepoint"' "$ev"

