#!/usr/bin/env bash
# The REST API and the `flywall ebpf` client end to end (issue 6): the daemon
# runs the spec's configuration in the lab's firewall namespace; the spec's
# curl lines work as written; 30+ bad requests get the right status and text
# and change nothing in the kernel; a blocklisted address stops pinging within
# a second and `bpftool map dump` agrees with the API; `flywall ebpf status`
# shows every program; 50 clients for 10 s cause no error and no growth.
. "$(dirname "$0")/lib.sh"

if "$FLYWALL" daemon --help 2>&1 | grep -q "not implemented"; then
	skip "api e2e" "flywall daemon is not implemented in this build yet"
	exit 0
fi

lab_up_or_bail
P=$T_TMP/programs
mkdir -p "$P"
cp "$BUILD"/bpf/*.o "$P/"
CONFIG=$T_TMP/flywall.hcl
sed -e "s#/etc/flywall/ebpf#$P#g" -e "s#/etc/flywall/api.token#$T_TMP/api.token#" \
	"$E2E_ROOT/examples/flywall.hcl" >"$CONFIG"

# A small program of our own, loaded through the API: a run-time arg (.data),
# a load-time arg (.rodata), and a map named like ingress_filter's "counters".
cat >"$P/pass.bpf.c" <<'C'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, __u32); __type(value, __u64);
	 __uint(max_entries, 8); } counters SEC(".maps");
const volatile __u32 verdict = 2;       /* XDP_PASS, fixed at load */
__u64 packets = 0;
SEC("xdp") int xdp_pass_count(struct xdp_md *ctx)
{
	__sync_fetch_and_add(&packets, 1);
	return verdict;
}
char LICENSE[] SEC("license") = "GPL";
C
# One the verifier rejects: it reads past the packet unchecked.
cat >"$P/bad.bpf.c" <<'C'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("xdp") int xdp_bad(struct xdp_md *ctx)
{
	unsigned char *data = (void *)(long)ctx->data;
	return data[100] == 1 ? XDP_DROP : XDP_PASS;
}
char LICENSE[] SEC("license") = "GPL";
C
for o in pass bad; do
	clang -O2 -g -target bpf -I"$BUILD" -c "$P/$o.bpf.c" -o "$P/$o.o" || not_ok "compile $o.bpf.c"
done
echo "not an ELF object" >"$P/notes.o"
ln -s /bin/true "$P/escape.o"

if daemon_start "$CONFIG" 2>"$T_TMP/start.err"; then
	ok "daemon starts on the spec's configuration"
else
	not_ok "daemon starts on the spec's configuration" "$(cat "$T_TMP/start.err")"
	# The API is still worth testing: without the kprobe block (the checks
	# that look for tcp_trace then fail and say so).
	python3 - "$CONFIG" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
t = re.sub(r'\n  # Kprobe for function tracing\n  kprobe "tcp_trace" \{.*?\n  \}\n', '\n', t, flags=re.S)
open(sys.argv[1], 'w').write(t)
PY
	: >"$DAEMON_LOG"
	daemon_start "$CONFIG" || { not_ok "daemon starts without the kprobe block"; exit 1; }
fi
TOKEN=$(api_token)
URL=http://localhost:8080
BLOCKLIST_PIN=$FW_PIN_ROOT/maps/ddos_filter/blocklist

# The addresses in the kernel's blocklist, one a line, read with bpftool
# from the pinned map (keys are 16 bytes, IPv4 as ::ffff:a.b.c.d).
kernel_blocklist() {
	bpftool -j map dump pinned "$BLOCKLIST_PIN" | python3 -c '
import ipaddress, json, sys
for e in json.load(sys.stdin):
    a = ipaddress.IPv6Address(bytes(int(b, 16) for b in e["key"]))
    print(a.ipv4_mapped or a)'
}

# status_of ARGS...: HTTP status of one request, its body in $T_TMP/body.
status_of() { api -o "$T_TMP/body" -w '%{http_code}' "$@"; }
body_field() { python3 -c "import json,sys; print(json.load(open('$T_TMP/body'))$1)" 2>/dev/null; }
auth=(-H "Authorization: Bearer $TOKEN")

# What a bad request must not change: the links and programs pinned, the
# blocklist in the kernel, and the args of the running programs.
kernel_state() {
	pinned_link_ids
	ls "$FW_PIN_ROOT/progs"
	bpftool -j map dump pinned "$BLOCKLIST_PIN"
	api "$URL/api/ebpf/programs/ddos_filter" | grep -A8 '"args"'
}

# ---- the spec's curl lines, exactly as written -------------------------------
out=$(in_fw curl -s "http://localhost:8080/api/ebpf/programs")
check_contains "spec: list eBPF programs" '"name": "ddos_filter"' "$out"
for name in ddos_filter ingress_filter egress_shaper monitor network_events tcp_trace; do
	check_contains "spec: the list has $name" "\"name\": \"$name\"" "$out"
done
out=$(in_fw curl -s "http://localhost:8080/api/ebpf/programs/ddos_filter")
check_contains "spec: program details (hook)" '"hook": "xdp"' "$out"
check_contains "spec: program details (interface)" '"interface": "eth0"' "$out"
check_contains "spec: program details (tag, jited)" '"jited": true' "$out"

out=$(in_fw curl -s -w ' HTTP %{http_code}' -X POST "http://localhost:8080/api/ebpf/programs/load" \
  -H "Content-Type: application/json" \
  -d '{
    "name": "new_filter",
    "program": "/path/to/program.o",
    "interface": "eth0"
  }')
check_contains "spec: load without a token is 401" \
	'"error": "this request changes state and needs the API token"' "$out"
check_contains "spec: load without a token is 401 (status)" "HTTP 401" "$out"
out=$(in_fw curl -s -w ' HTTP %{http_code}' -X POST "http://localhost:8080/api/ebpf/programs/load" \
  -H "Authorization: Bearer $TOKEN" \
  -H "Content-Type: application/json" \
  -d '{
    "name": "new_filter",
    "program": "/path/to/program.o",
    "interface": "eth0"
  }')
check_contains "spec: load of /path/to/program.o is refused (outside program_dir)" \
	"program '/path/to/program.o' is outside program_dir" "$out"
check_contains "spec: ... with 403" "HTTP 403" "$out"

out=$(in_fw curl -s -w ' HTTP %{http_code}' -X PUT "http://localhost:8080/api/ebpf/programs/ddos_filter" \
  -H "Content-Type: application/json" \
  -d '{
    "args": {"max_pps": 2000000}
  }')
check_contains "spec: update without a token is 401" "HTTP 401" "$out"
out=$(in_fw curl -s -w ' HTTP %{http_code}' -X PUT "http://localhost:8080/api/ebpf/programs/ddos_filter" \
  -H "Authorization: Bearer $TOKEN" \
  -H "Content-Type: application/json" \
  -d '{
    "args": {"max_pps": 2000000}
  }')
check_contains "spec: update with the token is 200" "HTTP 200" "$out"
check_contains "spec: max_pps reads back as 2000000" '"max_pps": 2000000' \
	"$(api "$URL/api/ebpf/programs/ddos_filter")"

out=$(in_fw curl -s "http://localhost:8080/api/ebpf/maps/blocklist/data")
check_contains "spec: get map data" '"entries": [' "$out"
check_contains "spec: map data names the map" '"map": "ddos_filter.blocklist"' "$out"
out=$(in_fw curl -s "http://localhost:8080/api/ebpf/stats")
check_contains "spec: eBPF statistics" '"program_count": 6' "$out"
out=$(in_fw curl -s "http://localhost:8080/api/ebpf/programs/ddos_filter/stats")
check_contains "spec: program counters" '"run_cnt":' "$out"
check_contains "spec: program counters (own counters)" '"ddos_counters": [' "$out"
out=$(in_fw curl -s "http://localhost:8080/api/ebpf/maps/counters/stats")
check_contains "spec: map statistics" '"max_entries": 64' "$out"
check_contains "spec: map statistics (utilization)" '"utilization":' "$out"

# ---- loading through the API -------------------------------------------------
check_eq "load pass.o on lo through the API: 201" 201 \
	"$(status_of -X POST "${auth[@]}" -d '{"name": "new_filter", "program": "pass.o",
	   "interface": "lo", "maps": {"counters": {"size": 16}}}' "$URL/api/ebpf/programs/load")"
check_eq "it is listed, hook from the object's section" xdp \
	"$(status_of "$URL/api/ebpf/programs/new_filter" >/dev/null; body_field "['hook']")"
check_eq "its map override is in the kernel" 16 \
	"$(status_of "$URL/api/ebpf/maps/new_filter.counters/stats" >/dev/null; body_field "['max_entries']")"
check_eq "a run-time arg changes without a reload: 200" 200 \
	"$(status_of -X PUT "${auth[@]}" -d '{"args": {"packets": 5}}' "$URL/api/ebpf/programs/new_filter")"

# ---- bad requests: status, error text, and nothing changed -----------------
BAD=0
# bad DESC STATUS TEXT CURL-ARGS...: TEXT must be in the body.
bad() {
	local desc=$1 want=$2 text=$3 before after got; shift 3
	before=$(kernel_state)
	got=$(status_of "$@")
	after=$(kernel_state)
	BAD=$((BAD + 1))
	if [ "$got" != "$want" ]; then
		not_ok "bad request: $desc -> $want" "got $got: $(cat "$T_TMP/body")"
	elif ! grep -qF -- "$text" "$T_TMP/body"; then
		not_ok "bad request: $desc -> $want" "body lacks: $text
$(cat "$T_TMP/body")"
	elif [ "$before" != "$after" ]; then
		not_ok "bad request: $desc -> $want" "the kernel state changed:
$(diff <(echo "$before") <(echo "$after"))"
	else
		ok "bad request: $desc -> $want, state unchanged"
	fi
}
L=$URL/api/ebpf/programs/load
B=$URL/api/ebpf/blocklist
J=(-H "Content-Type: application/json")
bad "load, broken JSON" 400 "request body is not valid JSON" -X POST "${auth[@]}" -d '{"name": ' "$L"
bad "load, an array" 400 "request body must be a JSON object" -X POST "${auth[@]}" -d '[1]' "$L"
bad "load, empty body" 400 "request body is empty" -X POST "${auth[@]}" "$L"
bad "load, name of the wrong type" 400 "invalid load request" -X POST "${auth[@]}" \
	-d '{"name": 5, "program": "pass.o", "interface": "lo"}' "$L"
bad "load, no program" 400 "invalid load request" -X POST "${auth[@]}" -d '{"name": "x"}' "$L"
bad "load, unknown field" 400 "invalid load request" -X POST "${auth[@]}" \
	-d '{"name": "x", "program": "pass.o", "interface": "lo", "colour": "red"}' "$L"
bad "load, path traversal" 400 "contains '..'" -X POST "${auth[@]}" \
	-d '{"name": "x", "program": "../../../etc/passwd", "interface": "lo"}' "$L"
bad "load, absolute path outside program_dir" 403 "is outside program_dir" -X POST "${auth[@]}" \
	-d '{"name": "x", "program": "/etc/passwd", "interface": "lo"}' "$L"
bad "load, symlink out of program_dir" 403 "leads outside program_dir" -X POST "${auth[@]}" \
	-d '{"name": "x", "program": "escape.o", "interface": "lo"}' "$L"
bad "load, not an object" 400 "is not an eBPF object" -X POST "${auth[@]}" \
	-d '{"name": "x", "program": "notes.o", "interface": "lo"}' "$L"
bad "load, missing file" 400 "No such file or directory" -X POST "${auth[@]}" \
	-d '{"name": "x", "program": "missing.o", "interface": "lo"}' "$L"
bad "load, misspelt hook" 400 'did you mean \"xdp\"' -X POST "${auth[@]}" \
	-d '{"name": "x", "program": "pass.o", "hook": "xpd", "interface": "lo"}' "$L"
bad "load, bad interface name" 400 "interface: interface name" -X POST "${auth[@]}" \
	-d '{"name": "x", "program": "pass.o", "interface": "lo/x"}' "$L"
bad "load, map size 0" 400 "maps.counters: size must be" -X POST "${auth[@]}" \
	-d '{"name": "x", "program": "pass.o", "interface": "lo", "maps": {"counters": {"size": 0}}}' "$L"
bad "load, name taken" 409 "new_filter" -X POST "${auth[@]}" \
	-d '{"name": "new_filter", "program": "pass.o", "interface": "lo"}' "$L"
bad "load, verifier rejects" 422 "invalid access to packet" -X POST "${auth[@]}" \
	-d '{"name": "bad", "program": "bad.o", "interface": "lo"}' "$L"
head -c 2000000 /dev/zero | tr '\0' ' ' >"$T_TMP/huge.json"
bad "load, 2 MB body" 413 "request body too large" -X POST "${auth[@]}" \
	--data-binary @"$T_TMP/huge.json" "$L"
bad "load, no token" 401 "needs the API token" -X POST \
	-d '{"name": "x", "program": "pass.o", "interface": "lo"}' "$L"
bad "load, wrong token" 403 "wrong API token" -X POST -H "Authorization: Bearer ${TOKEN}x" \
	-d '{"name": "x", "program": "pass.o", "interface": "lo"}' "$L"
bad "update, arg of the wrong type" 400 "args.max_pps: unsupported value" -X PUT "${auth[@]}" \
	-d '{"args": {"max_pps": [1]}}' "$URL/api/ebpf/programs/ddos_filter"
bad "update, unknown arg" 404 "arg no_such_arg: the program has no global variable" -X PUT "${auth[@]}" \
	-d '{"args": {"no_such_arg": 1}}' "$URL/api/ebpf/programs/ddos_filter"
bad "update, load-time arg" 422 "verdict" -X PUT "${auth[@]}" \
	-d '{"args": {"verdict": 1}}' "$URL/api/ebpf/programs/new_filter"
bad "update, unknown program" 404 "nope" -X PUT "${auth[@]}" \
	-d '{"args": {"max_pps": 1}}' "$URL/api/ebpf/programs/nope"
bad "update, no args" 400 "invalid update request" -X PUT "${auth[@]}" -d '{}' \
	"$URL/api/ebpf/programs/ddos_filter"
bad "unload, unknown program" 404 "nope" -X DELETE "${auth[@]}" "$URL/api/ebpf/programs/nope"
bad "get, unknown program" 404 "nope" "$URL/api/ebpf/programs/nope"
bad "get, '..' as a name" 400 "invalid name '..'" --path-as-is "$URL/api/ebpf/programs/.."
bad "map data, unknown map" 404 "nope" "$URL/api/ebpf/maps/nope/data"
bad "map data, bad offset" 400 "invalid offset 'abc'" "$URL/api/ebpf/maps/blocklist/data?offset=abc"
bad "map data, limit 0" 400 "invalid limit '0'" "$URL/api/ebpf/maps/blocklist/data?limit=0"
bad "map name in two programs" 409 "new_filter.counters" "$URL/api/ebpf/maps/counters/stats"
bad "map update, key of the wrong form" 400 "key" -X PUT "${auth[@]}" \
	-d '{"entries": [{"key": {"nope": 1}, "value": 1}]}' "$URL/api/ebpf/maps/ddos_filter.blocklist/data"
bad "map update, no entries" 400 "'entries' must be a non-empty array" -X PUT "${auth[@]}" \
	-d '{"entries": []}' "$URL/api/ebpf/maps/ddos_filter.blocklist/data"
bad "blocklist, prefix too long" 400 "invalid address or CIDR '10.0.0.0/33'" -X POST "${auth[@]}" \
	-d '{"addresses": ["10.0.0.0/33"]}' "$B"
bad "blocklist, host bits set" 400 "host bits are set after /8" -X POST "${auth[@]}" \
	-d '{"addresses": ["10.0.0.1/8"]}' "$B"
bad "blocklist, a host name" 400 "invalid address or CIDR 'example.com'" -X POST "${auth[@]}" \
	-d '{"addresses": ["192.0.2.1", "example.com"]}' "$B"
bad "blocklist, IPv6 prefix too long" 400 "invalid address or CIDR '2001:db8::/129'" -X POST \
	"${auth[@]}" -d '{"addresses": ["2001:db8::/129"]}' "$B"
bad "blocklist, negative expiry" 400 "invalid expires_in" -X POST "${auth[@]}" \
	-d '{"addresses": ["192.0.2.1"], "expires_in": -1}' "$B"
bad "blocklist, empty list" 400 "'addresses' must be a non-empty array" -X POST "${auth[@]}" \
	-d '{"addresses": []}' "$B"
bad "blocklist, unknown program" 404 "nope" -X POST "${auth[@]}" \
	-d '{"addresses": ["192.0.2.1"]}' "$B?program=nope"
bad "blocklist delete, bad address" 400 "addresses[0]: invalid address or CIDR" -X DELETE \
	"${auth[@]}" -d '{"addresses": ["300.1.1.1"]}' "$B"
bad "unknown endpoint" 404 "no such endpoint" "$URL/api/ebpf/nothing"
bad "method not allowed" 405 "method PATCH is not allowed" -X PATCH "$URL/api/ebpf/programs/ddos_filter"
# DNS rebinding: a page whose name now resolves to this address sends its name.
bad "a Host name the API does not answer to" 421 \
	'does not answer to the name \"rebind.example:8080\"' \
	-H 'Host: rebind.example:8080' "$URL/api/ebpf/blocklist"
bad "a write under a foreign Host name" 421 "allowed_hosts" -X POST "${auth[@]}" \
	-H 'Host: rebind.example:8080' -d '{"addresses": ["192.0.2.99"]}' "$B"
[ "$BAD" -ge 30 ] && ok "at least 30 bad requests ($BAD)" || not_ok "at least 30 bad requests ($BAD)"

check_eq "unload new_filter: 200" 200 "$(status_of -X DELETE "${auth[@]}" "$URL/api/ebpf/programs/new_filter")"
check_eq "then it is gone: 404" 404 "$(status_of "$URL/api/ebpf/programs/new_filter")"

# ---- the blocklist stops pings --------------------------------------------------
# The spec's ingress_filter lets a new inbound flow in only to a port listed
# in its allowed_ports map: writing (ICMP, any) there through the API lets
# the peer's pings in.
check_eq "before: ingress_filter drops the peer's pings (0/2)" 0 "$(ping_replies 2)"
check_eq "allow ICMP in ingress_filter.allowed_ports through the API: 200" 200 \
	"$(status_of -X PUT "${auth[@]}" -d '{"entries": [{"key": {"port": 0, "proto": 1, "pad": 0},
	   "value": 1}]}' "$URL/api/ebpf/maps/ingress_filter.allowed_ports/data")"
check_eq "then the peer pings the host (3/3)" 3 "$(ping_replies 3)"
check_eq "blocklist the peer: 200" 200 \
	"$(status_of -X POST "${auth[@]}" -d "{\"addresses\": [\"$LAB_PEER_IP\"]}" "$B")"
# The first ping leaves right after the call returns: none may get through.
check_eq "its packets stop at once (0/5 replies, the first 0.1 s after the call)" 0 \
	"$(ping_replies 5)"
check_contains "GET blocklist lists it" "\"address\": \"$LAB_PEER_IP\"" "$(api "$B")"
check_eq "bpftool map dump holds it" "$LAB_PEER_IP" "$(kernel_blocklist | grep -x "$LAB_PEER_IP")"
api_keys=$(api "$URL/api/ebpf/maps/ddos_filter.blocklist/data" | python3 -c \
	'import json,sys; print(len(json.load(sys.stdin)["entries"]))')
kernel_keys=$(bpftool -j map dump pinned "$BLOCKLIST_PIN" | python3 -c \
	'import json,sys; print(len(json.load(sys.stdin)))')
check_eq "bpftool map dump and GET .../data hold the same number of entries" \
	"$kernel_keys" "$api_keys"
# Same entries, key by key: the API's BTF-decoded keys and values against
# bpftool's "formatted" view of the same pinned map.
api "$URL/api/ebpf/maps/ddos_filter.blocklist/data" >"$T_TMP/api-dump.json"
bpftool -j map dump pinned "$BLOCKLIST_PIN" >"$T_TMP/bpftool-dump.json"
out=$(python3 - "$T_TMP/api-dump.json" "$T_TMP/bpftool-dump.json" <<'PY'
import json, sys
api = json.load(open(sys.argv[1]))["entries"]
kernel = json.load(open(sys.argv[2]))
norm = lambda pairs: sorted(json.dumps(p, sort_keys=True) for p in pairs)
a = norm([e["key"], e["value"]] for e in api)
k = norm([e["formatted"]["key"], e["formatted"]["value"]] for e in kernel)
print("same" if a == k else "API:     %s\nbpftool: %s" % (a, k))
PY
)
check_eq "bpftool map dump and GET .../data show the same keys and values" same "$out"
check_eq "remove it: 200" 200 \
	"$(status_of -X DELETE "${auth[@]}" -d "{\"addresses\": [\"$LAB_PEER_IP\"]}" "$B")"
check_eq "... and bpftool map dump no longer holds it" "" "$(kernel_blocklist | grep -x "$LAB_PEER_IP")"
check_eq "pings come back (3/3)" 3 "$(ping_replies 3)"
check_eq "an entry with expiry: 200" 200 \
	"$(status_of -X POST "${auth[@]}" -d "{\"entries\": [{\"address\": \"$LAB_PEER_IP\", \"expires_in\": 2}]}" "$B")"
check_eq "blocked while it lasts" 0 "$(ping_replies 2)"
sleep 2.5
check_eq "and lets pings through once expired" 3 "$(ping_replies 3)"

# ---- events and metrics ------------------------------------------------------
# Events are made here, not hoped for: net_trace (the spec's network_events)
# samples every packet for a moment, and 3 pings of 100 bytes from the peer
# are 3 net_rx events whose every field is known. Other tests' namespaces may
# add events of their own: ours are picked by network namespace and address.
sample_every=$(api "$URL/api/ebpf/programs/network_events" | jq '.args.sample_every')
check_contains "events: net_trace samples every packet (ebpf update sample_every=1)" \
	"updated network_events" "$(flywall_fw ebpf update network_events sample_every=1 \
		--api "$URL" --token-file "$T_TMP/api.token" 2>&1)"
netns=$(stat -L -c %i "/var/run/netns/$LAB_FW")
ifindex=$(in_fw ip -j link show eth0 | jq '.[0].ifindex')
mine="select(.type == \"net_rx\" and .netns == $netns and .saddr == \"$LAB_PEER_IP\" and .ip_proto == 1)"
log_lines=$(wc -l <"$EVENTS_LOG" 2>/dev/null || echo 0)
events_lost() { api "$URL/api/ebpf/stats" | jq '.events.lost'; }
lost=$(events_lost)
# The SSE stream, listening while the pings go (other tests' events may push
# older ones out of the daemon's backlog).
in_fw curl -s -N -m 4 "$URL/api/ebpf/events" >"$T_TMP/sse.txt" 2>&1 &
sse_pid=$!
sleep 0.5
check_eq "events: 3 pings of 100 bytes from the peer are answered" 3 "$(ping_replies 3 -s 100)"
for ((i = 0; i < 50; i++)); do
	[ "$(tail -n +$((log_lines + 1)) "$EVENTS_LOG" | jq -c "$mine" | wc -l)" -ge 3 ] && break
	sleep 0.1
done
# Every field but those that differ from event to event (seq, ts_ns, cpu:
# checked on their own), keys sorted.
fields() { jq -cS "$mine | del(.seq, .ts_ns, .cpu)" | sort -u; }
expected=$(jq -cnS --argjson ns "$netns" --argjson i "$ifindex" --arg s "$LAB_PEER_IP" --arg d "$LAB_FW_IP" \
	'{type: "net_rx", program: "network_events", netns: $ns, ifindex: $i, ifname: "eth0",
	  len: 128, protocol: "ipv4", ip_proto: 1, saddr: $s, daddr: $d}')
# Every packet of the host is an event now: a flood elsewhere (other tests)
# may overflow the perf buffer. Then fewer may arrive, and the daemon says so.
lost=$(($(events_lost) - lost))
n=$(tail -n +$((log_lines + 1)) "$EVENTS_LOG" | jq -c "$mine" | wc -l)
if [ "$n" -lt 3 ] && [ "$lost" -gt 0 ]; then
	skip "events: the log holds 3 net_rx events for them" \
		"$lost events lost to other traffic on the host; $n of ours arrived"
else
	check_eq "events: the log holds 3 net_rx events for them" 3 "$n"
fi
wait "$sse_pid"
out=$(cat "$T_TMP/sse.txt")
check_contains "events: an SSE stream" "retry: 2000" "$out"
if [ "$n" -eq 0 ] && [ "$lost" -gt 0 ]; then
	# nothing of ours to look at: skipped, and said
	for c in "every field of them (log)" "ts_ns and cpu" "the stream carries them"; do
		skip "events: $c" "none of ours arrived ($lost lost to other traffic)"
	done
else
	check_eq "events: every field of them (log)" "$expected" \
		"$(tail -n +$((log_lines + 1)) "$EVENTS_LOG" | fields)"
	# ts_ns: the kernel's monotonic clock (uptime), in order; cpu: one of ours.
	uptime_ns=$(awk '{ printf "%.0f", $1 * 1e9 }' /proc/uptime)
	check_eq "events: ts_ns rising, within the last 30 s; cpu below $(nproc)" true \
		"$(tail -n +$((log_lines + 1)) "$EVENTS_LOG" | jq -s --argjson now "$uptime_ns" --argjson cpus "$(nproc)" \
			"[.[] | $mine] | (map(.ts_ns) | . == sort and .[0] > \$now - 30e9 and .[-1] <= \$now)
			 and all(.cpu >= 0 and .cpu < \$cpus)")"
	# (the stream replays older events too: ours are those after the log's last)
	before_seq=$(head -n "$log_lines" "$EVENTS_LOG" | tail -n 1 | jq '.seq // -1')
	check_eq "events: the stream carries them, every field as in the log" "$expected" \
		"$(printf '%s\n' "$out" | sed -n 's/^data: //p' | jq -c "select(.seq > ${before_seq:--1})" | fields)"
fi
out=$(in_fw timeout 5 "$FLYWALL" ebpf events count 2 --json --api "$URL" 2>&1)
check_eq "ebpf events count 2 --json: two JSON events with a seq" 2 \
	"$(printf '%s\n' "$out" | jq -c 'select(.seq | type == "number")' | wc -l)"
flywall_fw ebpf update network_events "sample_every=$sample_every" --api "$URL" \
	--token-file "$T_TMP/api.token" >/dev/null
out=$(api "$URL/metrics")
check_contains "metrics: Prometheus text" 'flywall_program_runs_total{program="ddos_filter"}' "$out"
check_contains "metrics: map fill" 'flywall_map_max_entries{map="ddos_filter.blocklist"} 100000' "$out"

# ---- the CLI -----------------------------------------------------------------
out=$(flywall_fw ebpf status -c "$CONFIG" 2>&1)
for name in ddos_filter ingress_filter egress_shaper monitor network_events tcp_trace; do
	check_contains "ebpf status shows $name" "$name" "$out"
done
check_contains "ebpf status shows map fill" "ddos_filter.blocklist" "$out"
st=$(flywall_fw ebpf status -c "$CONFIG" --json)
# (kprobes need tracefs: without it tcp_trace runs its tracepoint stand-in)
tcp_trace_attach=tracepoint-standin
[ -e /sys/kernel/tracing/kprobe_events ] && tcp_trace_attach=kprobe
check_eq "ebpf status --json: daemon running, its API, its pin root" \
	"[\"running\",\"http://127.0.0.1:8080\",\"$FW_PIN_ROOT\"]" "$(jq -c '[.daemon, .api, .stats.pin_root]' <<<"$st")"
check_eq "ebpf status --json: each program with its hook, attach and interface" \
	"ddos_filter xdp xdp-native eth0
egress_shaper tc tcx eth0
ingress_filter tc tcx eth0
monitor socket_filter packet-socket -
network_events tracepoint tracepoint -
tcp_trace kprobe $tcp_trace_attach -" \
	"$(jq -r '.programs[] | "\(.name) \(.hook) \(.attach) \(.interface // "-")"' <<<"$st" | sort)"
check_eq "ebpf status --json: program_count matches the list" "$(jq '.programs | length' <<<"$st")" \
	"$(jq '.stats.program_count' <<<"$st")"
check_eq "ebpf status --json: the blocklist map with its size" "hash 100000" \
	"$(jq -r '.maps[] | select(.qualified == "ddos_filter.blocklist") | "\(.type) \(.max_entries)"' <<<"$st")"

check_contains "ebpf load through the CLI" "loaded cli_filter" \
	"$(flywall_fw ebpf load cli_filter pass.o interface lo map counters::32 -c "$CONFIG" 2>&1)"
check_contains "ebpf programs NAME --json" '"origin": "api"' \
	"$(flywall_fw ebpf programs cli_filter --json -c "$CONFIG")"
check_contains "ebpf stats NAME" "run_cnt" "$(flywall_fw ebpf stats cli_filter -c "$CONFIG")"
check_contains "ebpf maps lists the CLI's map override" "cli_filter.counters" \
	"$(flywall_fw ebpf maps -c "$CONFIG")"
check_contains "ebpf unload through the CLI" "unloaded cli_filter" \
	"$(flywall_fw ebpf unload cli_filter -c "$CONFIG" 2>&1)"
out=$(flywall_fw ebpf unload cli_filter -c "$CONFIG" 2>&1); rc=$?
check_eq "unloading it again: exit 1" 1 "$rc"
check_contains "... saying why, in one line" "flywall: " "$out"
check "ebpf blocklist add (token from the config's token_file)" \
	flywall_fw ebpf blocklist add 192.0.2.9 expires 60 -c "$CONFIG"
check_contains "ebpf blocklist list shows it" "192.0.2.9" "$(flywall_fw ebpf blocklist list -c "$CONFIG")"
check_eq "... and bpftool map dump holds it" 192.0.2.9 "$(kernel_blocklist | grep -x 192.0.2.9)"
check "ebpf blocklist del" flywall_fw ebpf blocklist del 192.0.2.9 -c "$CONFIG"
check_eq "... and bpftool map dump no longer holds it" "" "$(kernel_blocklist | grep -x 192.0.2.9)"
check_eq "... nor does ebpf blocklist list" "" \
	"$(flywall_fw ebpf blocklist list -c "$CONFIG" | grep -F 192.0.2.9)"
check_contains "ebpf map dump --json" '"total":' "$(FLYWALL_API=$URL flywall_fw ebpf map dump ddos_filter.blocklist --json)"
check_contains "ebpf update via FLYWALL_API/FLYWALL_TOKEN" "updated ddos_filter" \
	"$(FLYWALL_API=$URL FLYWALL_TOKEN=$TOKEN flywall_fw ebpf update ddos_filter max_pps=1000000)"
out=$(flywall_fw ebpf update ddos_filter max_pps=x --api "$URL" --token-file "$T_TMP/api.token" --json)
check_contains "a refused CLI call prints the API's JSON error" '"error":' "$out"
out=$(flywall_fw ebpf programs --api http://127.0.0.1:1 2>&1); rc=$?
check_eq "daemon not running: exit 3" 3 "$rc"
check_eq "daemon not running: one line" 1 "$(printf '%s\n' "$out" | wc -l)"
check_contains "daemon not running: says so" "the daemon is not running" "$out"

# ---- 50 clients, 10 s ----------------------------------------------------------
# The daemon's own pid (DAEMON_PID may be the shell that started it).
FLYWALL_PID=$(sed -n 's/.*running (pid \([0-9]*\)).*/\1/p' "$DAEMON_LOG" | tail -1)
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$FLYWALL_PID/status"; }
cat >"$T_TMP/post.lua" <<LUA
wrk.method = "POST"
wrk.body = '{"addresses": ["198.51.100.7"], "expires_in": 600}'
wrk.headers["Authorization"] = "Bearer $TOKEN"
wrk.headers["Content-Type"] = "application/json"
LUA
cat >"$T_TMP/reads.lua" <<'LUA'
local paths = { "/api/ebpf/programs", "/api/ebpf/programs/ddos_filter", "/api/ebpf/maps",
		"/api/ebpf/stats", "/api/ebpf/maps/ddos_filter.blocklist/data?limit=100",
		"/api/ebpf/programs/ddos_filter/stats", "/api/ebpf/blocklist", "/metrics" }
local i = 0
request = function()
	i = i + 1
	return wrk.format(nil, paths[i % #paths + 1])
end
LUA
# wrk's --latency table: "50%  1.23ms"; prints the value in ms.
pct_ms() { # file percent
	awk -v p="$2%" '$1 == p { v = $2; u = v; gsub(/[0-9.]/, "", u); gsub(/[a-z]/, "", v);
		if (u == "us") v /= 1000; else if (u == "s") v *= 1000; print v }' "$1"
}
errors_of() { grep -E "Non-2xx|Socket errors" "$1" || true; }
rss0=$(rss_kb)
in_fw wrk -t2 -c50 -d10s --latency "$URL/api/ebpf/programs" >"$T_TMP/wrk-programs.txt" 2>&1 &
wrk_reads=$!
in_fw wrk -t1 -c2 -d10s --latency -s "$T_TMP/post.lua" "$B" >"$T_TMP/wrk-blocklist.txt" 2>&1
wait $wrk_reads
rss1=$(rss_kb)
# Each connection is a thread: glibc keeps the stacks and arenas of ended
# threads for reuse, so RSS climbs during the first runs and then stays. The
# last of three runs must add (almost) nothing.
in_fw wrk -t2 -c50 -d10s --latency -s "$T_TMP/reads.lua" "$URL" >"$T_TMP/wrk-reads.txt" 2>&1
rss2=$(rss_kb)
in_fw wrk -t2 -c50 -d10s --latency -s "$T_TMP/reads.lua" "$URL" >"$T_TMP/wrk-reads2.txt" 2>&1
rss3=$(rss_kb)
for f in programs blocklist reads reads2; do
	check_eq "load ($f): no errors" "" "$(errors_of "$T_TMP/wrk-$f.txt")"
	grep -q "Requests/sec" "$T_TMP/wrk-$f.txt" || not_ok "wrk ran ($f)" "$(cat "$T_TMP/wrk-$f.txt")"
done
check "daemon alive after the load" kill -0 "$FLYWALL_PID"
check "memory flat: the third 10 s run added under 2 MiB (RSS ${rss0}k → ${rss1}k → ${rss2}k → ${rss3}k)" \
	test $((rss3 - rss2)) -lt 2048
echo "# GET /api/ebpf/programs, 50 clients: p50 $(pct_ms "$T_TMP/wrk-programs.txt" 50) ms," \
	"p99 $(pct_ms "$T_TMP/wrk-programs.txt" 99) ms, $(awk '/Requests\/sec/ {print $2}' "$T_TMP/wrk-programs.txt") req/s"
echo "# POST /api/ebpf/blocklist under that load: p50 $(pct_ms "$T_TMP/wrk-blocklist.txt" 50) ms," \
	"p99 $(pct_ms "$T_TMP/wrk-blocklist.txt" 99) ms, $(awk '/Requests\/sec/ {print $2}' "$T_TMP/wrk-blocklist.txt") req/s"
echo "# all read endpoints, 50 clients: p50 $(pct_ms "$T_TMP/wrk-reads.txt" 50) ms," \
	"p99 $(pct_ms "$T_TMP/wrk-reads.txt" 99) ms, $(awk '/Requests\/sec/ {print $2}' "$T_TMP/wrk-reads.txt") req/s"
