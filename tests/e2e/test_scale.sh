#!/usr/bin/env bash
# The control plane at scale: listings that span many pages print every
# entry; a failed blocklist batch leaves what was blocked before as it was;
# thousands of entries expire while the daemon answers; a stop during a large
# import is prompt and undoes it; bulk text uploads and `blocklist import`.
. "$(dirname "$0")/lib.sh"

lab_up_or_bail
P=$T_TMP/programs
mkdir -p "$P"
cp "$BUILD"/bpf/ddos_filter.o "$P/"
CONFIG=$T_TMP/flywall.hcl
# A blocklist map of 60000 and no blocklist_size: the kernel's limit is
# the one that refuses (a failure in the middle of a batch).
write_config() { # blocklist map size
	cat >"$CONFIG" <<HCL
ebpf {
  enabled = true
  xdp "ddos_filter" {
    program = "$P/ddos_filter.o"
    interface = "eth0"
    maps = {
      "blocklist" = { type = "hash", size = $1 }
    }
    args = { max_pps = 1000000 }
  }
}
api {
  listen = "127.0.0.1:8080"
  token_file = "$T_TMP/api.token"
}
HCL
}
write_config 60000
check_daemon_starts "daemon starts with a 60000-entry blocklist" "$CONFIG"
URL=http://127.0.0.1:8080
B=$URL/api/ebpf/blocklist
TOKEN=$(api_token)
auth=(-H "Authorization: Bearer $TOKEN")
fw() { flywall_fw "$@" --api "$URL" --token-file "$T_TMP/api.token"; }

# addresses N [PREFIX]: N distinct IPv4 addresses, one per line.
addresses() { python3 -c "
import sys; n, b = int(sys.argv[1]), int(sys.argv[2])
print('\n'.join('10.%d.%d.%d' % ((i >> 16) & 255, (i >> 8) & 255, i & 255) for i in range(b, b + n)))" "$1" "${2:-0}"; }
count() { api "$B?format=ndjson" | wc -l; }
post_text() { # file [query] -> status, body in $T_TMP/body
	api -m 60 -o "$T_TMP/body" -w '%{http_code}' -X POST "${auth[@]}" \
		-H 'Content-Type: text/plain' --data-binary "@$1" "$B${2:-}"
}

# ---- bulk text upload and the streamed listing ------------------------------
addresses 25000 >"$T_TMP/25k.txt"
check_eq "25000 addresses as text/plain: 200" 200 "$(post_text "$T_TMP/25k.txt")"
check_contains "... all new" '"added": 25000' "$(cat "$T_TMP/body")"
check_eq "the streamed listing has 25000 entries" 25000 "$(count)"
out=$(api "$B" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["entries"]), d["count"])')
check_eq "the JSON listing parses, count agrees" "25000 25000" "$out"
check_eq "the kernel agrees (bpftool)" 25000 \
	"$(bpftool -j map dump pinned "$FW_PIN_ROOT/maps/ddos_filter/blocklist" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))')"

# ---- map dump: more than one page, every entry -------------------------------
out=$(fw ebpf map dump ddos_filter.blocklist --json)
check_eq "map dump --json prints every entry, total says so" "25000 25000" \
	"$(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(len(d["entries"]), d["total"])')"
check_eq "map dump (table) prints 25000 lines and says so" "25000 25000 entries" \
	"$(fw ebpf map dump ddos_filter.blocklist | awk '/^key:/ {n++} /entries$/ {last = $1 " " $2} END {print n, last}')"
check_eq "blocklist list prints every entry" 25001 "$(fw ebpf blocklist list | wc -l)"

# Cursor pages: every entry once, whatever the page size.
out=$(in_fw python3 - "$URL" <<'PY'
import json, sys, urllib.request
url, seen, cursor, pages = sys.argv[1], set(), None, 0
while True:
    q = "limit=7000" + ("&cursor=" + cursor if cursor else "")
    d = json.load(urllib.request.urlopen(url + "/api/ebpf/maps/ddos_filter.blocklist/data?" + q))
    pages += 1
    for e in d["entries"]:
        seen.add(json.dumps(e["key"], sort_keys=True))
    cursor = d["next_cursor"]
    if not cursor:
        break
print(len(seen), pages >= 4)
PY
)
check_eq "cursor pages of 7000 cover 25000 distinct keys" "25000 True" "$out"
out=$(in_fw python3 - "$URL" <<'PY'
import json, sys, urllib.request
url, seen, cursor = sys.argv[1], [], None
while True:
    d = json.load(urllib.request.urlopen(url + "/api/ebpf/blocklist?limit=10000" + ("&cursor=" + cursor if cursor else "")))
    seen += [e["address"] for e in d["entries"]]
    cursor = d["next_cursor"]
    if not cursor:
        break
print(len(seen), len(set(seen)))
PY
)
check_eq "blocklist pages cover every address once" "25000 25000" "$out"

# ---- a failed batch leaves earlier entries as they were ----------------------
check_eq "an earlier entry, expiring in 3000 s: 200" 200 "$(api -o /dev/null -w '%{http_code}' \
	-X POST "${auth[@]}" -d '{"addresses": ["192.0.2.77"], "expires_in": 3000}' "$B")"
before=$(bpftool -j map lookup pinned "$FW_PIN_ROOT/maps/ddos_filter/blocklist" \
	key 0 0 0 0 0 0 0 0 0 0 255 255 192 0 2 77 | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"])')
# 35,000 more fill the map (60000) on the way: the kernel refuses one.
{ echo 192.0.2.77; addresses 36000 100000; } >"$T_TMP/over.txt"
code=$(post_text "$T_TMP/over.txt" "?expires_in=5")
check_eq "a batch past the map's size: 413" 413 "$code"
check_contains "... naming the line" "line " "$(cat "$T_TMP/body")"
after=$(bpftool -j map lookup pinned "$FW_PIN_ROOT/maps/ddos_filter/blocklist" \
	key 0 0 0 0 0 0 0 0 0 0 255 255 192 0 2 77 | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"])')
check_eq "the earlier entry is still there, its expiry unchanged" "$before" "$after"
check_eq "nothing of the batch stayed" 25001 "$(count)"
# The JSON form too: fill the map to its brim, then a batch that overflows.
addresses 34999 200000 >"$T_TMP/fill.txt"
check_eq "fill the map to 60000" 200 "$(post_text "$T_TMP/fill.txt")"
code=$(api -o "$T_TMP/body" -w '%{http_code}' -X POST "${auth[@]}" \
	-d '{"entries": [{"address": "192.0.2.77", "expires_in": 9}, {"address": "192.0.2.78"}]}' "$B")
check_eq "a JSON batch the full map refuses: 413" 413 "$code"
after=$(bpftool -j map lookup pinned "$FW_PIN_ROOT/maps/ddos_filter/blocklist" \
	key 0 0 0 0 0 0 0 0 0 0 255 255 192 0 2 77 | python3 -c 'import json,sys; print(json.load(sys.stdin)["value"])')
check_eq "... and 192.0.2.77 keeps its value and expiry" "$before" "$after"

# ---- expiry of many entries while the daemon answers -------------------------
for i in 1 2 3 4; do   # make room: the filler goes (the delete path, 10000 a time)
	python3 - "$T_TMP/fill.txt" "$T_TMP/del.json" "$i" <<'PY'
import json, sys
a = open(sys.argv[1]).read().split()
i = int(sys.argv[3]) - 1
print(json.dumps({"addresses": a[i*10000:(i+1)*10000]}), file=open(sys.argv[2], "w"))
PY
	api -o /dev/null -X DELETE "${auth[@]}" -H 'Content-Type: application/json' --data-binary "@$T_TMP/del.json" "$B"
done
check_eq "after deleting the filler: 25001 listed" 25001 "$(count)"
addresses 34999 300000 >"$T_TMP/exp.txt"
check_eq "34999 entries expiring in 2 s: 200" 200 "$(post_text "$T_TMP/exp.txt" "?expires_in=2")"
sleep 2
slowest=0
for i in $(seq 1 20); do
	t=$(api -o /dev/null -w '%{time_total}' "$URL/api/ebpf/programs")
	slowest=$(python3 -c "print(max($slowest, $t))")
	sleep 0.1
done
python3 -c "import sys; sys.exit(0 if $slowest < 0.5 else 1)" &&
	ok "GET /programs answers within 0.5 s while they expire (slowest ${slowest}s)" ||
	not_ok "GET /programs answers within 0.5 s while they expire" "slowest ${slowest}s"
for i in $(seq 1 50); do [ "$(count)" = 25001 ] && break; sleep 0.2; done
check_eq "every expired entry is gone within seconds" 25001 "$(count)"
out=$(api "$URL/api/ebpf/maps/ddos_filter.blocklist/stats")
check_contains "stats: the kept count" '"entries": 25001' "$out"
check_contains "stats: says where the count comes from" '"entries_source": "kept"' "$out"
check_contains "metrics: the kept count" 'flywall_map_entries{map="ddos_filter.blocklist"} 25001' \
	"$(api "$URL/metrics")"

# ---- blocklist import: plain, FireHOL, Spamhaus DROP -------------------------
cat >"$T_TMP/drop.txt" <<'TXT'
; Spamhaus DROP List 2026/11/29 - (c) 2026 The Spamhaus Project
; Last-Modified: Sun, 29 Nov 2026 06:00:00 GMT
1.10.16.0/20 ; SBL256894
1.19.0.0/16 ; SBL434604
TXT
cat >"$T_TMP/firehol.netset" <<'TXT'
#
# firehol_level1
#
198.51.100.0/24
203.0.113.9
not-an-address
192.0.2.77
10.0.0.1/8
TXT
out=$(fw ebpf blocklist import "$T_TMP/drop.txt" 2>&1)
check_contains "import a Spamhaus DROP list" "added 2, duplicates 0 (already blocked), refused 0" "$out"
out=$(fw ebpf blocklist import "$T_TMP/firehol.netset" 2>&1)
check_contains "import a FireHOL netset: counts" "added 2, duplicates 1 (already blocked), refused 2 (lines 6, 8)" "$out"
check_contains "... the refused lines named" "firehol.netset:8: refused '10.0.0.1/8': host bits are set after /8" "$out"
out=$(printf '203.0.113.10\n203.0.113.11\n' | fw ebpf blocklist import - expires 60 --json)
check_contains "import from stdin, with expiry" '"added": 2' "$out"
check_contains "... listed with their expiry" "203.0.113.10" "$(fw ebpf blocklist list | grep 'expires in 5[0-9]')"
out=$(printf '{"address": "203.0.113.12", "expires_in": 60}\n"203.0.113.13"\n' |
	api -X POST "${auth[@]}" -H 'Content-Type: application/x-ndjson' --data-binary @- "$B")
check_contains "NDJSON upload" '"added": 2' "$out"
code=$(printf '203.0.113.14\nnope\n' | api -o "$T_TMP/body" -w '%{http_code}' -X POST "${auth[@]}" \
	-H 'Content-Type: text/plain' --data-binary @- "$B")
check_eq "a bad line: 400" 400 "$code"
check_contains "... naming it" "line 2: invalid address or CIDR 'nope'" "$(cat "$T_TMP/body")"
check_eq "... and nothing of it stays" "" "$(api "$B?format=ndjson" | grep '203.0.113.14')"
code=$(printf '203.0.113.15\n' | api -o /dev/null -w '%{http_code}' -X POST \
	-H 'Content-Type: text/plain' --data-binary @- "$B")
check_eq "a text upload without the token: 401" 401 "$code"

# ---- map data as NDJSON --------------------------------------------------------
M=$URL/api/ebpf/maps/ddos_filter.blocklist/data
mapkey() { echo "{\"addr\": [0,0,0,0,0,0,0,0,0,0,255,255,198,18,$1,$2]}"; }
python3 - "$T_TMP/map.ndjson" <<'PY'
import json, sys
with open(sys.argv[1], "w") as f:
    for i in range(3000):
        key = {"addr": [0] * 10 + [255, 255, 198, 18, i >> 8, i & 255]}
        f.write(json.dumps({"key": key, "value": {"expires_ns": 0}}) + "\n")
PY
before=$(api "$URL/api/ebpf/maps/ddos_filter.blocklist/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"])')
code=$(api -o "$T_TMP/body" -w '%{http_code}' -X PUT "${auth[@]}" \
	-H 'Content-Type: application/x-ndjson' --data-binary "@$T_TMP/map.ndjson" "$M")
check_eq "3000 map entries as NDJSON: 200" 200 "$code"
check_contains "... all written" '"updated": 3000' "$(cat "$T_TMP/body")"
check_eq "... the kept count follows a write through map data" "$((before + 3000))" \
	"$(api "$URL/api/ebpf/maps/ddos_filter.blocklist/stats" | python3 -c 'import json,sys; print(json.load(sys.stdin)["entries"])')"
{ echo "{\"key\": $(mapkey 200 1), \"value\": {\"expires_ns\": 5}}"
  echo "{\"key\": $(mapkey 0 1), \"value\": {\"expires_ns\": 7}}"
  echo "{\"key\": {\"nope\": 1}, \"value\": 1}"; } >"$T_TMP/bad.ndjson"
code=$(api -o "$T_TMP/body" -w '%{http_code}' -X PUT "${auth[@]}" \
	-H 'Content-Type: application/x-ndjson' --data-binary "@$T_TMP/bad.ndjson" "$M")
check_eq "an NDJSON line the codec refuses: 400" 400 "$code"
check_contains "... naming the line" "line 3" "$(cat "$T_TMP/body")"
check_eq "... and 198.18.0.1 keeps its value" '"0x0000000000000000"' \
	"$(bpftool -j map lookup pinned "$FW_PIN_ROOT/maps/ddos_filter/blocklist" key 0 0 0 0 0 0 0 0 0 0 255 255 198 18 0 1 |
	   python3 -c 'import json,sys; v=json.load(sys.stdin)["value"]; print(chr(34) + "0x" + "".join(b[2:] for b in v) + chr(34))')"
check_fails "... and 198.18.200.1 was not added" \
	bpftool map lookup pinned "$FW_PIN_ROOT/maps/ddos_filter/blocklist" key 0 0 0 0 0 0 0 0 0 0 255 255 198 18 200 1
python3 - "$T_TMP/map.ndjson" "$T_TMP/del.json" <<'PY'
import json, sys
keys = [json.loads(l)["key"] for l in open(sys.argv[1])]
json.dump({"keys": keys}, open(sys.argv[2], "w"))
PY
check_eq "and the JSON delete takes them out again" 200 "$(api -o /dev/null -w '%{http_code}' \
	-X DELETE "${auth[@]}" -H 'Content-Type: application/json' --data-binary "@$T_TMP/del.json" "$M")"

# ---- SIGTERM during a large import -------------------------------------------
exact_count() {
	bpftool -j map dump pinned "$FW_PIN_ROOT/maps/ddos_filter/blocklist" |
		python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'
}
n_before=$(exact_count)
# A client that sends 10000 lines, then waits: the import is in progress.
( addresses 10000 400000; sleep 30 ) | in_fw curl -s -m 40 -o /dev/null -X POST "${auth[@]}" \
	-H 'Content-Type: text/plain' -T - "$B" &
CURL_PID=$!
sleep 2
start=$(date +%s.%N)
kill -TERM "$DAEMON_PID"
wait "$DAEMON_PID"
took=$(python3 -c "import time; print(round(time.time() - $start, 2))")
DAEMON_PID=
python3 -c "import sys; sys.exit(0 if $took < 1.0 else 1)" &&
	ok "SIGTERM during an import: stopped in ${took}s" ||
	not_ok "SIGTERM during an import: stopped within 1 s" "took ${took}s"
kill "$CURL_PID" 2>/dev/null; wait "$CURL_PID" 2>/dev/null
check_contains "... the unfinished import was undone" "a batch that did not finish was undone" "$(cat "$DAEMON_LOG")"
check_eq "... the map holds what it held before" "$n_before" "$(exact_count)"
