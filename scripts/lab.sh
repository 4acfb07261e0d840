#!/usr/bin/env bash
# The lab: two network namespaces joined by one veth pair, for tests, the
# benchmarks and the demo. Source it, then call lab_up; lab_down removes all of
# it and is safe to call twice. Nothing is ever given an address in the root
# namespace, and nothing is routed out.
#
#   LAB_FW    namespace of the firewall host (where the daemon runs); its end of
#             the pair is called eth0, as in the spec's examples
#   LAB_PEER  namespace of the traffic peer; its end is also eth0
#   addresses: fw 10.77.0.1/24 fd77::1/64, peer 10.77.0.2/24 fd77::2/64

LAB_FW_IP=10.77.0.1
LAB_PEER_IP=10.77.0.2
LAB_FW_IP6=fd77::1
LAB_PEER_IP6=fd77::2

lab_up() {
	local id=${1:-$$-$RANDOM}
	LAB_FW="fw-$id-host"
	LAB_PEER="fw-$id-peer"
	ip netns add "$LAB_FW" || return 1
	ip netns add "$LAB_PEER" || { ip netns del "$LAB_FW"; return 1; }
	ip -n "$LAB_FW" link add eth0 type veth peer name eth0 netns "$LAB_PEER" &&
	lab_configure_end "$LAB_FW" "$LAB_FW_IP" "$LAB_FW_IP6" &&
	lab_configure_end "$LAB_PEER" "$LAB_PEER_IP" "$LAB_PEER_IP6" || {
		lab_down
		return 1
	}
}

lab_configure_end() { # netns ipv4 ipv6
	ip -n "$1" link set lo up &&
	ip -n "$1" addr add "$2/24" dev eth0 &&
	ip -n "$1" addr add "$3/64" dev eth0 nodad &&
	ip -n "$1" link set eth0 up
}

lab_down() {
	local ns
	for ns in ${LAB_FW:-} ${LAB_PEER:-}; do
		ip netns del "$ns" 2>/dev/null
	done
	return 0
}

# Run a command in a lab namespace. nsenter, not `ip netns exec`: the latter
# remounts /sys and hides bpffs from the command.
in_ns() { local ns=$1; shift; nsenter --net="/var/run/netns/$ns" "$@"; }
in_fw() { in_ns "$LAB_FW" "$@"; }
in_peer() { in_ns "$LAB_PEER" "$@"; }
