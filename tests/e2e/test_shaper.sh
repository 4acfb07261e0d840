#!/usr/bin/env bash
# egress_shaper holds `shaping = { rate, burst }`: with the HTB class that
# fw_shaping_apply() installs and the program steering into it, iperf3 (TCP)
# from the firewall namespace to the peer gets within 10 % of the rate, at
# 100mbit and at 1gbit. A foreign root qdisc is left alone and the program
# polices instead (it may then fall short of the rate, never exceed it).
# SHAPER_SECONDS sets the iperf3 run length (default 5).
. "$(dirname "$0")/lib.sh"

TOOL="$BUILD/tests/e2e/shaper_tool"
SECONDS_PER_RUN=${SHAPER_SECONDS:-5}
PIN_DIR=/sys/fs/bpf/flywall-test-$$-shaper

if ! command -v iperf3 >/dev/null; then
	skip "shaper rate" "iperf3 is not installed"
	exit 0
fi
check "shaper_tool is built" test -x "$TOOL"
lab_up_or_bail
mkdir -p "$PIN_DIR"
on_exit rm -rf "$PIN_DIR"
on_exit kill '$(cat '"$T_TMP"'/iperf.pid 2>/dev/null)'

shaper() { in_fw env BUILD="$BUILD" "$TOOL" "$@"; }

# Achieved TCP rate in bit/s, as the receiver counted it.
iperf_rate() {
	in_peer iperf3 -s -1 -D --pidfile "$T_TMP/iperf.pid" >/dev/null 2>&1
	sleep 0.3
	in_fw iperf3 -c "$LAB_PEER_IP" -t "$SECONDS_PER_RUN" -J 2>/dev/null |
		grep -A12 '"sum_received"' | grep -m1 bits_per_second |
		sed 's/[^0-9.]*\([0-9.]*\).*/\1/; s/\..*//'
}

# within LO HI VALUE
within() { [ -n "$3" ] && [ "$3" -ge "$1" ] && [ "$3" -le "$2" ]; }

shaped_run() { # rate_bps burst_bits label
	local rate=$1 mode measured steered
	mode=$(shaper attach eth0 "$rate" "$2" "$PIN_DIR" 2>&1)
	check_eq "$3: fw_shaping_apply runs in htb mode" "htb" "$mode"
	check_contains "$3: HTB class f1f0:1 at the rate" "class htb f1f0:1" \
		"$(in_fw tc class show dev eth0)"
	measured=$(iperf_rate)
	echo "# $3: measured ${measured:-?} bit/s for $rate bit/s"
	if within $((rate * 9 / 10)) $((rate * 11 / 10)) "$measured"; then
		ok "$3: iperf3 TCP ${SECONDS_PER_RUN}s within 10 % ($measured bit/s)"
	else
		not_ok "$3: iperf3 TCP ${SECONDS_PER_RUN}s within 10 %" \
			"measured ${measured:-nothing} bit/s, configured $rate bit/s"
	fi
	steered=$(shaper counter "$PIN_DIR" 0)
	check "$3: the program steered packets into the class" test "${steered:-0}" -gt 0
}

out=$(shaper attach eth0 4 0 "$PIN_DIR" 2>&1)
check_contains "a rate below 8 bit/s is refused, naming the interface" \
	"shaping on eth0: rate must be at least 8bit, got 4 bit/s" "$out"
check "removing shaping that is not there succeeds" shaper detach eth0

unshaped=$(iperf_rate)
echo "# unshaped: ${unshaped:-?} bit/s"

shaped_run 100000000 10000000 "100mbit burst 10mbit"
# re-applying with another rate updates the same qdisc and class
shaped_run 1000000000 100000000 "1gbit burst 100mbit (the spec's block)"

check "detach removes Flywall's qdisc" shaper detach eth0
check_fails "no f1f0: qdisc remains" grep -q f1f0: <<<"$(in_fw tc qdisc show dev eth0)"

# A qdisc Flywall did not install is never replaced: police mode instead.
in_fw tc qdisc add dev eth0 root handle 1: tbf rate 10gbit burst 1mb latency 10ms
mode=$(shaper attach eth0 100000000 10000000 "$PIN_DIR" 2>/dev/null)
check_eq "foreign root qdisc: mode is police" "police" "$mode"
measured=$(iperf_rate)
echo "# police 100mbit: measured ${measured:-?} bit/s"
if within 1 110000000 "$measured"; then
	ok "police: rate held under 100mbit + 10 % ($measured bit/s)"
else
	not_ok "police: rate held under 100mbit + 10 %" "measured ${measured:-nothing} bit/s"
fi
drops=$(shaper counter "$PIN_DIR" 4)
check "police: over-rate packets were dropped and counted" test "${drops:-0}" -gt 0
check "detach in police mode" shaper detach eth0
check_contains "the foreign qdisc is still there" "qdisc tbf 1: root" \
	"$(in_fw tc qdisc show dev eth0)"
