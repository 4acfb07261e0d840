#!/usr/bin/env bash
# ddos_filter and ingress_filter on real traffic between two namespaces,
# loaded with bpftool and attached with ip/tc (no daemon): a blocklisted
# source cannot ping and the counter says why, the allowlist wins, a CIDR
# drops, a ping flood is cut to max_pps; conntrack lets this host's flows
# and allowed inbound ports through and drops unsolicited traffic.
. "$(dirname "$0")/lib.sh"

PIN=/sys/fs/bpf/flywall-test-$$-pkt
ARGS_TOOL="$BUILD/tests/e2e/prog_args"
V4_PEER="0 0 0 0 0 0 0 0 0 0 0xff 0xff 10 77 0 2"      # ::ffff:10.77.0.2
V6_PEER="0xfd 0x77 0 0 0 0 0 0 0 0 0 0 0 0 0 2"         # fd77::2
NEVER="0 0 0 0 0 0 0 0"                                 # expires_ns = 0

# Sum over CPUs of one slot of a pinned per-CPU array of __u64.
percpu_sum() { # pin index
	bpftool -j map lookup pinned "$1" key "$2" 0 0 0 2>/dev/null |
		grep -o '"formatted".*' | grep -o '"value":[0-9]*' |
		awk -F: '{ s += $2 } END { print s + 0 }'
}
ping6_replies() {
	in_peer ping -6 -n -q -c "$1" -i 0.1 -W 1 "$LAB_FW_IP6" 2>/dev/null |
		sed -n 's/.* \([0-9]*\) received.*/\1/p'
}
# Receiver's rate in bit/s of a 1 s iperf3 run from namespace $1 to address $2
# (0 if it could not connect); the server runs once in the other namespace.
tcp_rate() { # client-ns server-ns address
	in_ns "$2" iperf3 -s -1 -D --pidfile "$T_TMP/iperf-$2.pid" >/dev/null 2>&1
	sleep 0.3
	in_ns "$1" timeout 8 iperf3 -c "$3" -t 1 --connect-timeout 1500 -J 2>/dev/null |
		grep -A12 '"sum_received"' | grep -m1 bits_per_second |
		sed 's/[^0-9.]*\([0-9.]*\).*/\1/; s/\..*//'
	kill "$(cat "$T_TMP/iperf-$2.pid" 2>/dev/null)" 2>/dev/null
	rm -f "$T_TMP/iperf-$2.pid"
}

check "prog_args tool is built" test -x "$ARGS_TOOL"
lab_up_or_bail
mkdir -p "$PIN"
on_exit rm -rf "$PIN"

# ---- ddos_filter (XDP) ------------------------------------------------------
D=$PIN/ddos M=$PIN/ddos_maps
check "ddos_filter.o loads" bpftool prog loadall "$BUILD/bpf/ddos_filter.o" "$D" pinmaps "$M"
check "ddos_filter attaches as XDP on the firewall's eth0" \
	in_fw ip link set dev eth0 xdp pinned "$D/ddos_filter"
check_eq "peer pings through an empty blocklist" 3 "$(ping_replies 3)"
passed=$(percpu_sum "$M/ddos_counters" 0)
check "pass counter counted them" test "$passed" -ge 3

bpftool map update pinned "$M/blocklist" key $V4_PEER value $NEVER
before=$(percpu_sum "$M/ddos_counters" 3)
check_eq "blocklisted IPv4 source cannot ping" 0 "$(ping_replies 3)"
check "drop_blocklist moved by the 3 pings" test "$(percpu_sum "$M/ddos_counters" 3)" -ge $((before + 3))
check_eq "the same host over IPv6 still can" 3 "$(ping6_replies 3)"
bpftool map update pinned "$M/blocklist" key $V6_PEER value $NEVER
check_eq "blocklisted IPv6 source cannot ping" 0 "$(ping6_replies 3)"

bpftool map update pinned "$M/allowlist" key 128 0 0 0 $V4_PEER value $NEVER
before=$(percpu_sum "$M/ddos_counters" 2)
check_eq "allowlist wins over the blocklist" 3 "$(ping_replies 3)"
check "pass_allowlist moved" test "$(percpu_sum "$M/ddos_counters" 2)" -ge $((before + 3))
bpftool map delete pinned "$M/allowlist" key 128 0 0 0 $V4_PEER
bpftool map delete pinned "$M/blocklist" key $V4_PEER

# ::ffff:10.77.0.0/120 is 10.77.0.0/24
bpftool map update pinned "$M/cidr_blocklist" key 120 0 0 0 $V4_PEER value $NEVER
before=$(percpu_sum "$M/ddos_counters" 4)
check_eq "a source in a blocklisted CIDR cannot ping" 0 "$(ping_replies 3)"
check "drop_cidr moved" test "$(percpu_sum "$M/ddos_counters" 4)" -ge $((before + 3))
bpftool map delete pinned "$M/cidr_blocklist" key 120 0 0 0 $V4_PEER

# max_pps = 20, burst 2: a flood of 500 pings gets about 20 per second of the
# flood through (ping's own "time" says how long it lasted), plus the burst
check "max_pps changed at run time" "$ARGS_TOOL" "$D/ddos_filter" max_pps=20 rate_burst=2
sleep 0.2
before=$(percpu_sum "$M/ddos_counters" 5)
out=$(in_peer ping -n -q -c 500 -i 0.002 -W 1 "$LAB_FW_IP" 2>/dev/null)
replies=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
ms=$(sed -n 's/.* time \([0-9]*\)ms.*/\1/p' <<<"$out")
expected=$(( ${ms:-0} * 20 / 1000 + 3 ))
echo "# flood of 500 pings over ${ms:-?} ms at max_pps 20: ${replies:-?} answered, ~$expected expected"
check "flood cut to max_pps (within 25 % of $expected)" \
	test "${replies:-0}" -ge $((expected * 3 / 4)) -a "${replies:-0}" -le $((expected * 5 / 4 + 1))
check "drop_rate counted the rest" \
	test "$(percpu_sum "$M/ddos_counters" 5)" -ge $((before + 500 - ${replies:-0} - 5))
check "max_pps restored" "$ARGS_TOOL" "$D/ddos_filter" max_pps=1000000 rate_burst=0
check "XDP detaches" in_fw ip link set dev eth0 xdp off

# ---- ingress_filter (TC ingress + egress companion) --------------------------
I=$PIN/ct CM=$PIN/ct_maps
check "ingress_filter.o loads (both programs)" \
	bpftool prog loadall "$BUILD/bpf/ingress_filter.o" "$I" pinmaps "$CM"
in_fw tc qdisc add dev eth0 clsact
check "ingress_filter on tc ingress" \
	in_fw tc filter add dev eth0 ingress bpf da object-pinned "$I/ingress_filter"
check "ingress_filter_egress on tc egress" \
	in_fw tc filter add dev eth0 egress bpf da object-pinned "$I/ingress_filter_egress"

check_eq "this host pings out; replies come back" 3 \
	"$(in_fw ping -n -q -c 3 -i 0.1 -W 1 "$LAB_PEER_IP" | sed -n 's/.* \([0-9]*\) received.*/\1/p')"
before=$(percpu_sum "$CM/counters" 7)
check_eq "unsolicited inbound pings are dropped" 0 "$(ping_replies 3)"
check "drop_not_allowed moved" test "$(percpu_sum "$CM/counters" 7)" -ge $((before + 3))
rate=$(tcp_rate "$LAB_FW" "$LAB_PEER" "$LAB_PEER_IP")
check "outbound TCP works (${rate:-0} bit/s)" test "${rate:-0}" -gt 0
rate=$(tcp_rate "$LAB_PEER" "$LAB_FW" "$LAB_FW_IP")
check_eq "inbound TCP to a port not allowed cannot connect" "" "$rate"

# allowed_ports: {port 5201 (host order), IPPROTO_TCP} and {0, IPPROTO_ICMP}
bpftool map update pinned "$CM/allowed_ports" key 0x51 0x14 6 0 value 1 0 0 0
bpftool map update pinned "$CM/allowed_ports" key 0 0 1 0 value 1 0 0 0
rate=$(tcp_rate "$LAB_PEER" "$LAB_FW" "$LAB_FW_IP")
check "inbound TCP to an allowed port works (${rate:-0} bit/s)" test "${rate:-0}" -gt 0
check_eq "inbound pings pass once ICMP echo is allowed" 3 "$(ping_replies 3)"
flows=$(bpftool -j map dump pinned "$CM/conntrack" | grep -o '"key"' | wc -l)
check "conntrack holds the flows ($flows)" test "$flows" -ge 3
check "established counter moved" test "$(percpu_sum "$CM/counters" 0)" -gt 0
check "egress companion counted packets" test "$(percpu_sum "$CM/counters" 12)" -gt 0
