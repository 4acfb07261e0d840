#!/usr/bin/env bash
# The lab itself: two namespaces joined by a veth pair reach each other, and
# nothing of it is left behind.
. "$(dirname "$0")/lib.sh"

lab_up_or_bail
check_eq "peer pings host over IPv4 (3/3)" 3 "$(ping_replies 3)"
check "peer pings host over IPv6" in_peer ping -6 -n -q -c 2 -i 0.1 -W 1 "$LAB_FW_IP6"
check "host pings peer" in_fw ping -n -q -c 2 -i 0.1 -W 1 "$LAB_PEER_IP"
check_fails "root namespace has no lab address" sh -c "ip -o addr | grep -q '10\.77\.0\.'"
fw=$LAB_FW
lab_down
check_fails "lab_down removes the namespaces" sh -c "ip netns list | grep -q '^$fw'"
