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

# Neighbours made static both ways (v4 and v6): no ARP or neighbour
# discovery crosses the link, so a counter moves by the packets sent, exactly.
quiet_link() {
	local fw_mac peer_mac
	fw_mac=$(in_fw ip -j link show eth0 | jq -r '.[0].address')
	peer_mac=$(in_peer ip -j link show eth0 | jq -r '.[0].address')
	in_fw ip neigh replace "$LAB_PEER_IP" lladdr "$peer_mac" dev eth0 nud permanent &&
	in_fw ip -6 neigh replace "$LAB_PEER_IP6" lladdr "$peer_mac" dev eth0 nud permanent &&
	in_peer ip neigh replace "$LAB_FW_IP" lladdr "$fw_mac" dev eth0 nud permanent &&
	in_peer ip -6 neigh replace "$LAB_FW_IP6" lladdr "$fw_mac" dev eth0 nud permanent
}
# moved_by DESC N PIN INDEX CMD...: runs CMD and checks that slot INDEX of
# the per-CPU counter array PIN moved by exactly N.
moved_by() {
	local desc=$1 n=$2 pin=$3 index=$4 before; shift 4
	before=$(percpu_sum "$pin" "$index")
	"$@" >/dev/null
	check_eq "$desc" "$n" $(($(percpu_sum "$pin" "$index") - before))
}
# The flows in conntrack, one a line, "proto lo hi" (ports but 5201 as *:
# they are ephemeral or echo ids), sorted; read from the raw keys (struct
# fw_ct_key: lo_addr[16], hi_addr[16], lo_port, hi_port, proto).
ct_flows() {
	bpftool -j map dump pinned "$CM/conntrack" | python3 -c '
import ipaddress, json, struct, sys
for e in json.load(sys.stdin):
    k = bytes(int(b, 16) for b in e["key"])
    lo, hi = (ipaddress.IPv6Address(k[i:i + 16]) for i in (0, 16))
    lo, hi = lo.ipv4_mapped or lo, hi.ipv4_mapped or hi
    lp, hp = struct.unpack("<HH", k[32:36])
    port = lambda p: ":5201" if p == 5201 else ":*"
    if k[36] == 6:
        print("tcp %s%s %s%s" % (lo, port(lp), hi, port(hp)))
    else:
        print("proto%d %s %s" % (k[36], lo, hi))' | sort
}

check "prog_args tool is built" test -x "$ARGS_TOOL"
lab_up_or_bail
quiet_link
mkdir -p "$PIN"
on_exit rm -rf "$PIN"

# ---- ddos_filter (XDP) ------------------------------------------------------
D=$PIN/ddos M=$PIN/ddos_maps
check "ddos_filter.o loads" bpftool prog loadall "$BUILD/bpf/ddos_filter.o" "$D" pinmaps "$M"
check "ddos_filter attaches as XDP on the firewall's eth0" \
	in_fw ip link set dev eth0 xdp pinned "$D/ddos_filter"
# A link just up still sends IPv6 router solicitations and MLD reports: no
# more solicitations, and wait (10 s at most) until the pass counter rests.
in_fw sysctl -qw net.ipv6.conf.eth0.router_solicitations=0
in_peer sysctl -qw net.ipv6.conf.eth0.router_solicitations=0
for ((i = 0; i < 10; i++)); do
	before=$(percpu_sum "$M/ddos_counters" 0)
	sleep 1
	[ "$(percpu_sum "$M/ddos_counters" 0)" = "$before" ] && break
done
moved_by "pass counter (0) moved by the 3 pings through an empty blocklist" 3 \
	"$M/ddos_counters" 0 ping_replies 3
check_eq "and they were answered" 3 "$(ping_replies 3)"

bpftool map update pinned "$M/blocklist" key $V4_PEER value $NEVER
before=$(percpu_sum "$M/ddos_counters" 3)
check_eq "blocklisted IPv4 source cannot ping" 0 "$(ping_replies 3)"
check_eq "drop_blocklist (3) moved by exactly the 3 pings" 3 $(($(percpu_sum "$M/ddos_counters" 3) - before))
check_eq "the same host over IPv6 still can" 3 "$(ping6_replies 3)"
bpftool map update pinned "$M/blocklist" key $V6_PEER value $NEVER
check_eq "blocklisted IPv6 source cannot ping" 0 "$(ping6_replies 3)"

bpftool map update pinned "$M/allowlist" key 128 0 0 0 $V4_PEER value $NEVER
before=$(percpu_sum "$M/ddos_counters" 2)
dropped=$(percpu_sum "$M/ddos_counters" 3)
check_eq "allowlist wins over the blocklist" 3 "$(ping_replies 3)"
check_eq "pass_allowlist (2) moved by exactly the 3 pings" 3 $(($(percpu_sum "$M/ddos_counters" 2) - before))
check_eq "and drop_blocklist did not move" 0 $(($(percpu_sum "$M/ddos_counters" 3) - dropped))
bpftool map delete pinned "$M/allowlist" key 128 0 0 0 $V4_PEER
bpftool map delete pinned "$M/blocklist" key $V4_PEER

# ::ffff:10.77.0.0/120 is 10.77.0.0/24
bpftool map update pinned "$M/cidr_blocklist" key 120 0 0 0 $V4_PEER value $NEVER
before=$(percpu_sum "$M/ddos_counters" 4)
check_eq "a source in a blocklisted CIDR cannot ping" 0 "$(ping_replies 3)"
check_eq "drop_cidr (4) moved by exactly the 3 pings" 3 $(($(percpu_sum "$M/ddos_counters" 4) - before))
bpftool map delete pinned "$M/cidr_blocklist" key 120 0 0 0 $V4_PEER

# max_pps = 20, burst 2: a flood of 500 pings gets about 20 per second of the
# flood through (ping's own "time" says how long it lasted), plus the burst
check "max_pps changed at run time" "$ARGS_TOOL" "$D/ddos_filter" max_pps=20 rate_burst=2
sleep 0.2
before=$(percpu_sum "$M/ddos_counters" 5)
out=$(in_peer ping -n -q -c 500 -i 0.002 -W 1 "$LAB_FW_IP" 2>/dev/null)
replies=$(sed -n 's/.* \([0-9]*\) received.*/\1/p' <<<"$out")
sent=$(sed -n 's/^\([0-9]*\) packets transmitted.*/\1/p' <<<"$out")
ms=$(sed -n 's/.* time \([0-9]*\)ms.*/\1/p' <<<"$out")
expected=$(( ${ms:-0} * 20 / 1000 + 3 ))
echo "# flood of 500 pings over ${ms:-?} ms at max_pps 20: ${replies:-?} answered, ~$expected expected"
check "flood cut to max_pps (within 25 % of $expected)" \
	test "${replies:-0}" -ge $((expected * 3 / 4)) -a "${replies:-0}" -le $((expected * 5 / 4 + 1))
check_eq "drop_rate (5) counted the rest, exactly ($sent sent, $replies answered)" \
	$((${sent:-0} - ${replies:-0})) $(($(percpu_sum "$M/ddos_counters" 5) - before))
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

# IPv6 off from here (its tests are done): the kernel's own MLD reports would
# cross the egress companion.
in_fw sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
in_peer sysctl -qw net.ipv6.conf.eth0.disable_ipv6=1
established=$(percpu_sum "$CM/counters" 0)
seen=$(percpu_sum "$CM/counters" 12)
opened=$(percpu_sum "$CM/counters" 13)
check_eq "this host pings out; replies come back" 3 \
	"$(in_fw ping -n -q -c 3 -i 0.1 -W 1 "$LAB_PEER_IP" | sed -n 's/.* \([0-9]*\) received.*/\1/p')"
check_eq "egress_seen (12) moved by the 3 echo requests" 3 $(($(percpu_sum "$CM/counters" 12) - seen))
check_eq "egress_new (13) moved by 1: one flow opened" 1 $(($(percpu_sum "$CM/counters" 13) - opened))
check_eq "established (0) moved by the 3 replies" 3 $(($(percpu_sum "$CM/counters" 0) - established))
before=$(percpu_sum "$CM/counters" 7)
check_eq "unsolicited inbound pings are dropped" 0 "$(ping_replies 3)"
check_eq "drop_not_allowed (7) moved by exactly the 3 pings" 3 $(($(percpu_sum "$CM/counters" 7) - before))
rate=$(tcp_rate "$LAB_FW" "$LAB_PEER" "$LAB_PEER_IP")
check "outbound TCP works (${rate:-0} bit/s)" test "${rate:-0}" -gt 0
rate=$(tcp_rate "$LAB_PEER" "$LAB_FW" "$LAB_FW_IP")
check_eq "inbound TCP to a port not allowed cannot connect" "" "$rate"

# allowed_ports: {port 5201 (host order), IPPROTO_TCP} and {0, IPPROTO_ICMP}
bpftool map update pinned "$CM/allowed_ports" key 0x51 0x14 6 0 value 1 0 0 0
bpftool map update pinned "$CM/allowed_ports" key 0 0 1 0 value 1 0 0 0
rate=$(tcp_rate "$LAB_PEER" "$LAB_FW" "$LAB_FW_IP")
check "inbound TCP to an allowed port works (${rate:-0} bit/s)" test "${rate:-0}" -gt 0
established=$(percpu_sum "$CM/counters" 0)
new=$(percpu_sum "$CM/counters" 1)
check_eq "inbound pings pass once ICMP echo is allowed" 3 "$(ping_replies 3)"
check_eq "pass_new (1) moved by 1: the first ping opened the flow" 1 $(($(percpu_sum "$CM/counters" 1) - new))
check_eq "established (0) moved by the 2 pings after it" 2 $(($(percpu_sum "$CM/counters" 0) - established))
# Two ICMP flows (one ping run each way), two TCP connections (iperf3's
# control and data) each way to port 5201; nothing of what was dropped.
check_eq "conntrack holds exactly the flows that passed" "proto1 $LAB_FW_IP $LAB_PEER_IP
proto1 $LAB_FW_IP $LAB_PEER_IP
tcp $LAB_FW_IP:* $LAB_PEER_IP:5201
tcp $LAB_FW_IP:* $LAB_PEER_IP:5201
tcp $LAB_FW_IP:5201 $LAB_PEER_IP:*
tcp $LAB_FW_IP:5201 $LAB_PEER_IP:*" "$(ct_flows)"
