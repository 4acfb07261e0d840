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
# The Grafana dashboard (packaging/): each query is valid PromQL (promtool
# checks it as a recording rule, Grafana's variables given values) and names
# only metrics this daemon exports.
/usr/bin/python3 - "$E2E_ROOT/packaging/grafana-dashboard.json" "$T_TMP/metrics.txt" \
	"$T_TMP/grafana-rules.yml" >"$T_TMP/grafana.txt" 2>&1 <<'PY'
import json, re, sys
dash, metrics, rules = sys.argv[1:4]
exprs = [t["expr"] for p in json.load(open(dash))["panels"] for t in p.get("targets", [])]
exported = set(re.findall(r"^([a-z_]+)[{ ]", open(metrics).read(), re.M))
used = set(n for e in exprs for n in re.findall(r"\b(flywall_[a-z_]+)\b", e))
missing = sorted(used - exported)
with open(rules, "w") as f:
    f.write("groups:\n- name: grafana\n  rules:\n")
    for i, e in enumerate(exprs):
        e = e.replace("$__rate_interval", "1m").replace("$instance", ".*")
        f.write("  - record: grafana:query%d\n    expr: %s\n" % (i, json.dumps(e)))
print("%d queries, %d metrics used, missing: %s" % (len(exprs), len(used), missing))
PY
check_contains "the Grafana dashboard's queries use only exported metrics" "missing: []" "$(cat "$T_TMP/grafana.txt")"
if command -v promtool >/dev/null; then
	check "and each is valid PromQL (promtool check rules)" promtool check rules "$T_TMP/grafana-rules.yml"
fi
stats=$(flywall_fw ebpf stats ddos_filter -c "$cfg")
check_contains "ebpf stats names the counter as /metrics does" "drop/blocklisted" "$stats"
api -o /dev/null "${auth[@]}" -X DELETE -d "{\"addresses\": [\"$LAB_PEER_IP\"]}" "$API/api/ebpf/blocklist"

# ---- the page and the rates, over HTTP ----------------------------------------
hdrs=$(api -D - -o "$T_TMP/index.html" "$API/")
check_contains "GET / serves the dashboard page" "<title>Flywall eBPF</title>" "$(cat "$T_TMP/index.html")"
check_contains "as HTML" "Content-Type: text/html" "$hdrs"
check_contains "with a Content-Security-Policy that allows no inline script" \
	"Content-Security-Policy: default-src 'none'; script-src 'self';" "$hdrs"
check_contains "and nosniff" "X-Content-Type-Options: nosniff" "$hdrs"
check_eq "the page loads nothing from elsewhere (no http(s):// URL in it)" "" \
	"$(grep -o 'https\?://[^"]*' "$T_TMP/index.html")"
check_eq "its script is served from the binary" 200 "$(api -o /dev/null -w '%{http_code}' "$API/ui/app.js")"
check_eq "an unknown asset is 404" 404 "$(api -o /dev/null -w '%{http_code}' "$API/ui/nope.js")"
check_eq "the Host check covers the page (421)" 421 \
	"$(api -o /dev/null -w '%{http_code}' -H 'Host: rebind.example:8080' "$API/")"
api "$API/api/ebpf/rates" >/dev/null
sleep 1.1
rates=$(api "$API/api/ebpf/rates")
check_eq "rates: one per named counter, computed over about a second" "ok" "$(/usr/bin/python3 -c '
import json, sys
r = json.load(sys.stdin)
p = {x["name"]: x for x in r["programs"]}
d = [x for x in p["ddos_filter"]["rates"] if x["counter"] == "drop_blocklisted"]
print("ok" if 0.9 <= r["interval_s"] <= 5 and len(d) == 1 and d[0]["per_s"] is not None
      and d[0]["verdict"] == "drop" and len(p) == 6 else r)' <<<"$rates")"

# A program whose counter map names nothing: its slots by index, and said so.
api -o /dev/null "${auth[@]}" -X POST -d '{"name": "plain", "program": "xdp_pass.o", "hook": "xdp", "interface": "lo", "mode": "generic"}' \
	"$API/api/ebpf/programs/load"
api -o /dev/null "$API/api/ebpf/rates"
sleep 1
check_eq "a program without names is charted by slot" "ok" "$(api "$API/api/ebpf/rates" | /usr/bin/python3 -c '
import json, sys
p = [x for x in json.load(sys.stdin)["programs"] if x["name"] == "plain"]
print("ok" if p and p[0]["counters"] and [r["counter"] for r in p[0]["rates"]] == ["[0]"] else p)')"
check_contains "and in /metrics by slot" 'flywall_program_counts_total{program="plain",map="pass_count",slot="0"}' \
	"$(api "$API/metrics")"
api -o /dev/null "${auth[@]}" -X DELETE "$API/api/ebpf/programs/plain"

# ---- read_auth: the page loads, its data needs the token ------------------------------
# A second daemon, API only, on 8081 in the same namespace, with its own pin root.
cat >"$T_TMP/read_auth.hcl" <<HCL
api {
  listen     = "127.0.0.1:8081"
  token_file = "$T_TMP/read_auth.token"
  read_auth  = true
}
HCL
nsenter --net="/var/run/netns/$LAB_FW" "$FLYWALL" daemon -c "$T_TMP/read_auth.hcl" \
	--pin-root "$FW_PIN_ROOT-ra" >"$T_TMP/read_auth.log" 2>&1 &
RA_PID=$!
on_exit "kill $RA_PID; wait $RA_PID; rm -rf $FW_PIN_ROOT-ra"
for _ in $(seq 100); do grep -q "running (pid" "$T_TMP/read_auth.log" && break; sleep 0.1; done
RA=http://127.0.0.1:8081
check_eq "read_auth: the page loads without the token (it holds no data)" "200 200" \
	"$(api -o /dev/null -w '%{http_code}' "$RA/") $(api -o /dev/null -w '%{http_code}' "$RA/ui/app.js")"
check_eq "read_auth: the rates need it" 401 "$(api -o /dev/null -w '%{http_code}' "$RA/api/ebpf/rates")"
check_eq "read_auth: with the token, 200" 200 "$(api -o /dev/null -w '%{http_code}' \
	-H "Authorization: Bearer $(cat "$T_TMP/read_auth.token")" "$RA/api/ebpf/rates?events_since=0")"
check_eq "read_auth: an unknown file is not public (401)" 401 "$(api -o /dev/null -w '%{http_code}' "$RA/ui/nope.js")"
kill "$RA_PID"; wait "$RA_PID" 2>/dev/null

# ---- the dashboard in a browser ----------------------------------------------------
if ! command -v chromium >/dev/null || ! /usr/bin/python3 -c 'import websocket' 2>/dev/null; then
	skip "the dashboard in a browser" "chromium or python3-websocket is not installed and could not be (scripts/install-deps.sh installs them)"
	exit 0
fi
# Pings in (ICMP echo into ingress_filter's allowed_ports), so that blocking shows.
api -o /dev/null "${auth[@]}" -X PUT \
	-d '{"entries": [{"key": {"port": 0, "proto": 1, "pad": 0}, "value": 1}]}' \
	"$API/api/ebpf/maps/allowed_ports/data"
check_eq "the peer's pings are answered before the page blocks it (3/3)" 3 "$(ping_replies 3)"
# net_trace samples every interface of the host (the tracepoint is not per
# namespace): other traffic on a shared machine can send it thousands of
# events a second, past the daemon's decode budget, which then drops
# ddos_filter's summaries with the rest. Its samples off, the events the page
# must show are the lab's own.
check "network_events' samples off for the browser checks" \
	flywall_fw ebpf update network_events sample_every=0 -c "$cfg"
shots=$BUILD/screenshots
mkdir -p "$shots"
# Chromium and its driver run in the daemon's namespace: the page is
# http://127.0.0.1:8080/ there, and nothing is reachable from the root namespace.
while IFS= read -r line; do
	case "$line" in
	"ok "*) ok "${line#ok }" ;;
	"not ok "*) desc=${line#not ok }; not_ok "${desc%%: *}" "${desc#*: }" ;;
	*) echo "# $line" ;;
	esac
done < <(in_fw /usr/bin/python3 "$E2E_ROOT/tests/browser/dashboard.py" "$API/" "$(cat "$T_TMP/api.token")" \
	"$LAB_PEER" "$LAB_PEER_IP" "$LAB_FW_IP" "$shots" 2>&1)
check "screenshots saved under $shots" test -s "$shots/dashboard-flood.png"
echo "# events: $(api "$API/api/ebpf/stats" | /usr/bin/python3 -c 'import json,sys; e=json.load(sys.stdin)["events"]; print({k: e[k] for k in ("events", "dropped", "lost")}, "ddos_filter", e["programs"]["ddos_filter"])')"
