#!/usr/bin/env bash
# What an operator looks at, on the spec's whole configuration: /metrics as
# Prometheus reads it (promtool, counters named from the programs' BTF), the
# rates the dashboard charts, and the dashboard itself in a real browser
# (headless Chromium driven over the DevTools protocol by
# tests/browser/dashboard.py), inside the daemon's namespace.
. "$(dirname "$0")/lib.sh"

lab_up_or_bail
cfg=$T_TMP/flywall.hcl
sed -e "s|/etc/flywall/ebpf|$BUILD/bpf|g" -e "s|/etc/flywall/api.token|$T_TMP/api.token|" \
	"$E2E_ROOT/examples/flywall.hcl" >"$cfg"
check_daemon_starts "daemon starts on the spec's configuration" "$cfg"
API=http://127.0.0.1:8080
auth=(-H "Authorization: Bearer $(cat "$T_TMP/api.token")")

# ---- metrics -------------------------------------------------------------
# The peer's pings, blocklisted: ddos_filter drops them and counts the reason.
api -o /dev/null "${auth[@]}" -X POST -d "{\"addresses\": [\"$LAB_PEER_IP\"]}" "$API/api/ebpf/blocklist"
ping_replies 3 >/dev/null
api "$API/metrics" >"$T_TMP/metrics.txt"
if command -v promtool >/dev/null; then
	check "promtool check metrics: no problem on the spec's configuration" \
		promtool check metrics <"$T_TMP/metrics.txt"
else
	skip "promtool check metrics" "promtool is not installed (scripts/install-deps.sh installs it)"
fi
m=$(cat "$T_TMP/metrics.txt")
drops=$(sed -n 's/^flywall_program_packets_total{program="ddos_filter",map="ddos_counters",verdict="drop",reason="blocklisted"} \([0-9]*\)$/\1/p' <<<"$m")
check "the blocklisted drops are named from ddos_filter's BTF (${drops:-none} >= 3)" test "${drops:-0}" -ge 3
check_contains "ingress_filter's counters are named too" \
	'flywall_program_packets_total{program="ingress_filter",map="counters",verdict="drop",reason="port_not_allowed"}' "$m"
check_contains "plain counters carry a counter label" \
	'flywall_program_counts_total{program="ddos_filter",map="ddos_counters",counter="events_sent"}' "$m"
check_contains "socket_monitor's DNS totals are named" \
	'flywall_program_counts_total{program="monitor",map="stats",counter="dns_queries"}' "$m"
check "no sample is labelled by slot index for the shipped programs" \
	bash -c "! grep -E 'index=|slot=' '$T_TMP/metrics.txt'"
stats=$(flywall_fw ebpf stats ddos_filter -c "$cfg")
check_contains "ebpf stats names the counter as /metrics does" "drop/blocklisted" "$stats"
api -o /dev/null "${auth[@]}" -X DELETE -d "{\"addresses\": [\"$LAB_PEER_IP\"]}" "$API/api/ebpf/blocklist"
