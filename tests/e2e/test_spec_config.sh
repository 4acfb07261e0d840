#!/usr/bin/env bash
# The spec's whole configuration (examples/flywall.hcl, every block as the
# guide writes it) on a real interface: all six programs attach, the daemon
# reports which hook form each runs in, and each one observably runs.
. "$(dirname "$0")/lib.sh"

lab_up_or_bail
cfg=$T_TMP/flywall.hcl
# The spec's file, with its programs taken from this build and a token of the test's.
sed -e "s|/etc/flywall/ebpf|$BUILD/bpf|g" -e "s|/etc/flywall/api.token|$T_TMP/api.token|" \
	"$E2E_ROOT/examples/flywall.hcl" >"$cfg"

check_daemon_starts "daemon starts on the spec's configuration" "$cfg"
applied=$(grep -o 'applied .* in [0-9.]* ms: [^(]*' "$DAEMON_LOG" | head -1)
check_contains "all six programs attached at start" "6 attached" "$applied"
echo "# $applied"

programs=$(api http://127.0.0.1:8080/api/ebpf/programs)
for p in ddos_filter ingress_filter egress_shaper monitor network_events tcp_trace; do
	check_contains "API lists $p" "\"name\": \"$p\"" "$programs"
done
detail() { api "http://127.0.0.1:8080/api/ebpf/programs/$1"; }
check_contains "ddos_filter runs as native XDP" '"attach": "xdp-native"' "$(detail ddos_filter)"
check_contains "ingress_filter runs as a tcx link" '"attach": "tcx"' "$(detail ingress_filter)"
check_contains "ingress_filter's egress companion is attached" 'companion ingress_filter_egress on egress' "$(detail ingress_filter)"
check_contains "egress_shaper shapes through HTB" 'shaping: htb' "$(detail egress_shaper)"
check_contains "monitor holds a packet socket" '"attach": "packet-socket"' "$(detail monitor)"
check_contains "network_events is on its tracepoint" '"attach": "tracepoint"' "$(detail network_events)"
tcp=$(detail tcp_trace)
if [ -e /sys/bus/event_source/devices/kprobe ]; then
	check_contains "tcp_trace runs as a kprobe" '"attach": "kprobe"' "$tcp"
else
	check_contains "tcp_trace falls back to its tracepoint stand-in (no kprobes here)" \
		'"attach": "tracepoint-standin"' "$tcp"
	check_contains "and says why kprobe and fentry were not used" 'kprobe failed' "$tcp"
fi
check_contains "map override applied: blocklist hash of 100000" '"max_entries": 100000' \
	"$(api http://127.0.0.1:8080/api/ebpf/maps/blocklist/stats)"
check_contains "map override applied: counters are per-CPU (percpu_counter)" '"type": "percpu_array"' \
	"$(api http://127.0.0.1:8080/api/ebpf/maps/counters/stats)"

# blocklist_size bounds what the API adds to the blocklist (docs/programs.md).
auth=(-H "Authorization: Bearer $(cat "$T_TMP/api.token")")
check "ebpf update ddos_filter blocklist_size=2" flywall_fw ebpf update ddos_filter blocklist_size=2 -c "$cfg"
code=$(api -o "$T_TMP/full.json" -w '%{http_code}' "${auth[@]}" -X POST \
	-d '{"addresses": ["192.0.2.1", "192.0.2.2", "192.0.2.3"]}' http://127.0.0.1:8080/api/ebpf/blocklist)
check_eq "three addresses over blocklist_size 2: 413" 413 "$code"
check_contains "the error says the blocklist is full" "is full: 0 addresses + 3 new > blocklist_size 2" "$(cat "$T_TMP/full.json")"
check_eq "and nothing was added" 0 "$(api http://127.0.0.1:8080/api/ebpf/blocklist | python3 -c 'import json,sys; print(json.load(sys.stdin)["count"])')"
code=$(api -o /dev/null -w '%{http_code}' "${auth[@]}" -X POST \
	-d '{"addresses": ["192.0.2.1", "192.0.2.0/24"]}' http://127.0.0.1:8080/api/ebpf/blocklist)
check_eq "one address and a CIDR fit: 200" 200 "$code"
api -o /dev/null "${auth[@]}" -X DELETE -d '{"addresses": ["192.0.2.1", "192.0.2.0/24"]}' \
	http://127.0.0.1:8080/api/ebpf/blocklist

# Traffic: pings from the peer, a DNS query and a TCP connect from the host.
counter_sum() { # qualified map, index: the per-CPU sum at index
	api "http://127.0.0.1:8080/api/ebpf/maps/$1/data?limit=1000" |
		python3 -c "import json,sys; e=json.load(sys.stdin)['entries']; print(sum(x['value'] for x in e if x['key']==$2))"
}
ddos_before=$(counter_sum ddos_filter.ddos_counters 0)
check_eq "ingress_filter drops unsolicited pings from the peer (0/5)" 0 "$(ping_replies 5)"
ddos_after=$(counter_sum ddos_filter.ddos_counters 0)
if [ "$ddos_after" -ge "$((ddos_before + 5))" ]; then ok "ddos_filter passed them first (+$((ddos_after - ddos_before)))"
else not_ok "ddos_filter passed them first" "$ddos_before -> $ddos_after"; fi
check "the host's own pings get their replies through conntrack" \
	in_fw ping -n -q -c 3 -i 0.1 -W 1 "$LAB_PEER_IP"
rx=$(api "http://127.0.0.1:8080/api/ebpf/maps/network_events.if_stats/data" | python3 -c "
import json,sys; print(sum(e['value']['packets'] for e in json.load(sys.stdin)['entries']))" 2>&1)
if [ "${rx:-0}" -ge 5 ] 2>/dev/null; then ok "net_trace counted received packets ($rx)"; else not_ok "net_trace counted received packets" "$rx"; fi
# Let pings in (ICMP echo into ingress_filter's allowed_ports, through the
# API), then flood them past ddos_filter's max_pps, set at run time.
code=$(api -o /dev/null -w '%{http_code}' "${auth[@]}" -X PUT \
	-d '{"entries": [{"key": {"port": 0, "proto": 1, "pad": 0}, "value": 1}]}' \
	http://127.0.0.1:8080/api/ebpf/maps/allowed_ports/data)
check_eq "allow ICMP echo in through the map API: 200" 200 "$code"
check_eq "now the peer's pings are answered (3/3)" 3 "$(ping_replies 3)"
check "ebpf update ddos_filter max_pps=20 rate_burst=2" \
	flywall_fw ebpf update ddos_filter max_pps=20 rate_burst=2 -c "$cfg"
sleep 0.2
out=$(in_peer ping -n -q -c 500 -i 0.002 -W 1 "$LAB_FW_IP" 2>/dev/null)
replies=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
ms=$(sed -n 's/.* time \([0-9]*\)ms.*/\1/p' <<<"$out")
expected=$(( ${ms:-0} * 20 / 1000 + 3 ))
echo "# flood of 500 pings over ${ms:-?} ms at max_pps 20: ${replies:-?} answered, ~$expected expected"
check "a flood is cut to max_pps (within 25 % of $expected)" \
	test "${replies:-0}" -ge $((expected * 3 / 4)) -a "${replies:-0}" -le $((expected * 5 / 4 + 1))
check "max_pps back to the spec's 1000000" \
	flywall_fw ebpf update ddos_filter max_pps=1000000 rate_burst=0 -c "$cfg"

in_fw dig +tries=1 +timeout=1 @"$LAB_PEER_IP" flywall.example A >/dev/null 2>&1
sleep 0.5
dns=$(counter_sum monitor.stats 0 2>&1)
if [ "${dns:-0}" -ge 1 ] 2>/dev/null; then ok "socket monitor counted the DNS query"; else not_ok "socket monitor counted the DNS query" "$dns"; fi
in_fw bash -c "exec 3<>/dev/tcp/$LAB_PEER_IP/9" 2>/dev/null
for _ in 1 2 3 4 5 6 7 8 9 10; do grep -q '"tcp_v4_connect' "$EVENTS_LOG" 2>/dev/null && break; sleep 0.2; done
event=$(grep '"tcp_trace"' "$EVENTS_LOG" | grep "$LAB_PEER_IP" | head -1)
check_contains "tcp_trace reports the connect with its destination" "\"$LAB_PEER_IP\"" "$event"
check_contains "and a symbolized stack through tcp_v4_connect" "tcp_v4_connect+0x" "$event"

# Every tc program on eth0's egress runs: ingress_filter's companion passes
# packets on (TC_ACT_UNSPEC) to egress_shaper, which holds the spec's 1gbit.
# Were the shaper skipped, iperf3 would run at the veth's ~2-20 Gbit/s. (How
# close to the rate it gets is test_shaper.sh's business.)
in_peer iperf3 -s -1 -D -B "$LAB_PEER_IP" >/dev/null 2>&1
sleep 0.3
mbps=$(in_fw iperf3 -c "$LAB_PEER_IP" -t 3 -J 2>/dev/null |
	python3 -c "import json,sys; print(int(json.load(sys.stdin)['end']['sum_received']['bits_per_second']/1e6))" 2>&1)
echo "# iperf3 through all six programs: $mbps Mbit/s (shaper: 1gbit)"
if [ "${mbps:-0}" -gt 0 ] 2>/dev/null && [ "$mbps" -le 1100 ]; then ok "egress is held to the shaper's 1gbit ($mbps Mbit/s)"
else not_ok "egress is held to the shaper's 1gbit" "measured: $mbps Mbit/s"; fi

daemon_stop
check "ebpf clean removes all six" flywall_fw ebpf clean --pin-root "$FW_PIN_ROOT"
check_eq "nothing left on eth0" "" "$(in_fw bpftool -j net show dev eth0 | grep -o '"id":[0-9]*')"
