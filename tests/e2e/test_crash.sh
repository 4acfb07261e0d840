#!/usr/bin/env bash
# Crash consistency: the daemon is killed with SIGKILL at random moments of an
# apply — while starting, during a SIGHUP reload that migrates a map and
# replaces a program, during an API load or unload — and then exactly between
# each two steps of an apply (crash points), and started again. Each time the
# state must converge: one program per attachment (no duplicate or orphan
# program in the kernel), no pin that no record accounts for, no temporary
# pin, and the map keeps the entries put in it at the start.
. "$(dirname "$0")/lib.sh"

KILLS=${CRASH_KILLS:-24}

lab_up_or_bail
P=$T_TMP/programs
mkdir -p "$P"
cat >"$P/crash.bpf.c" <<'C'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, __u32); __type(value, __u64);
	 __uint(max_entries, 64); } seen SEC(".maps");
const volatile __u32 flavour = 0;       /* changed to force a replacement */
SEC("xdp") int crash_xdp(struct xdp_md *ctx)
{
	__u32 k = flavour; __u64 one = 1, *v = bpf_map_lookup_elem(&seen, &k);
	if (v) __sync_fetch_and_add(v, 1); else bpf_map_update_elem(&seen, &k, &one, BPF_ANY);
	return XDP_PASS;
}
SEC("tc") int crash_tc(struct __sk_buff *skb) { return flavour ? 0 : 0; }
char LICENSE[] SEC("license") = "GPL";
C
cat >"$P/api.bpf.c" <<'C'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("xdp") int crash_api(struct xdp_md *ctx) { return XDP_PASS; }
char LICENSE[] SEC("license") = "GPL";
C
check "compile the test objects" sh -c "clang -O2 -g -target bpf -I'$BUILD' -c '$P/crash.bpf.c' -o '$P/crash.o' &&
	clang -O2 -g -target bpf -I'$BUILD' -c '$P/api.bpf.c' -o '$P/api.o'"
CFG=$T_TMP/crash.hcl
config() { # map size, flavour
	cat >"$CFG" <<EOF
ebpf {
  enabled = true
  program_dir = "$P"
  xdp "cx" {
    program = "crash.o"
    interface = "eth0"
    maps = { "seen" = { size = $1 } }
    args = { flavour = $2 }
  }
  tc "ct" {
    program = "crash.o"
    interface = "eth0"
    direction = "ingress"
    args = { flavour = $2 }
  }
}
api {
  token_file = "$T_TMP/api.token"
}
EOF
}
config 64 0
check "first apply" daemon_oneshot "$CFG"
SEEN=$FW_PIN_ROOT/maps/cx/seen
for k in $(seq 100 119); do
	bpftool map update pinned "$SEEN" key $k 0 0 0 value $((k % 256)) 0 0 0 0 0 0 0 || not_ok "fill the map"
done
# "key value" lines of the entries put in above, as the kernel has them now.
entries() {
	bpftool -j map dump pinned "$SEEN" 2>/dev/null | python3 -c '
import json, sys
for e in json.load(sys.stdin):
    k = int(e["key"][0], 16); v = int(e["value"][0], 16)
    if 100 <= k < 120: print(k, v)' | sort -n | tr '\n' ' '
}
WANT_ENTRIES=$(entries)
check_eq "20 entries in the map" 20 "$(wc -w <<<"$WANT_ENTRIES" | awk '{print $1 / 2}')"

TOKEN=
URL=http://127.0.0.1:8080
api_status() { api -o "$T_TMP/body" -w '%{http_code}' "$@"; }

# Names of the programs of the kernel called NAME (all namespaces, all pins).
prog_count() { bpftool -j prog show | grep -o "\"name\":\"$1\"" | wc -l; }
# Program names the pins hold (links/ without @companion, progs/).
pin_names() { ls "$FW_PIN_ROOT/$1" 2>/dev/null | sed 's/@companion$//' | sort -u | tr '\n' ' '; }

# The state a converged daemon shows, one line; "" when it matches.
divergence() {
	local api_names xdp_on_lo
	[ "$(prog_count crash_xdp)" = 1 ] || echo "crash_xdp programs: $(prog_count crash_xdp)"
	[ "$(prog_count crash_tc)" = 1 ] || echo "crash_tc programs: $(prog_count crash_tc)"
	xdp_on_lo=$(in_fw bpftool -j net show dev lo | grep -c '"devname":"lo"')
	[ "$(prog_count crash_api)" = "$xdp_on_lo" ] ||
		echo "crash_api programs: $(prog_count crash_api), attached on lo: $xdp_on_lo"
	[ "$(in_fw bpftool -j net show dev eth0 | grep -o '"mode":' | wc -l)" = 1 ] ||
		echo "XDP programs on eth0: $(in_fw bpftool -j net show dev eth0)"
	api_names=$(api "$URL/api/ebpf/programs" | python3 -c '
import json, sys
print(" ".join(sorted(p["name"] for p in json.load(sys.stdin))) + " ")' 2>/dev/null)
	[ "$(pin_names progs)" = "$api_names" ] || echo "pins in progs/: $(pin_names progs), daemon: $api_names"
	[ "$(pin_names links)" = "$api_names" ] || echo "pins in links/: $(pin_names links), daemon: $api_names"
	[ -z "$(find "$FW_PIN_ROOT" -name '*@new')" ] || echo "temporary pins: $(find "$FW_PIN_ROOT" -name '*@new')"
	[ "$(entries)" = "$WANT_ENTRIES" ] || echo "map entries: $(entries)"
}

# Waits (the kernel frees a dead process's programs a moment later) until the
# state converges; prints what still differs after 5 s.
converges() {
	local i d
	for ((i = 0; i < 25; i++)); do
		d=$(divergence)
		[ -z "$d" ] && return 0
		sleep 0.2
	done
	echo "$d"
	return 1
}

kill_daemon() {
	kill -9 "$DAEMON_PID" 2>/dev/null
	wait "$DAEMON_PID" 2>/dev/null
	DAEMON_PID=
}

# A random pause of 0 to $1 ms.
pause() { sleep "$(printf '0.%03d' $((RANDOM % $1)))"; }

size=64 flavour=0
for ((i = 1; i <= KILLS; i++)); do
	case $((i % 3)) in
	1) # killed while starting (adoption, sweep, reconcile of a changed config)
		size=$((size == 64 ? 128 : 64)) flavour=$((1 - flavour))
		config "$size" "$flavour"
		nsenter --net="/var/run/netns/$LAB_FW" "$FLYWALL" daemon -c "$CFG" \
			--pin-root "$FW_PIN_ROOT" >>"$DAEMON_LOG" 2>&1 &
		DAEMON_PID=$!
		pause 400
		what="start"
		;;
	2) # killed during a SIGHUP reload that migrates the map and swaps programs
		daemon_start "$CFG" || { not_ok "kill $i: daemon starts"; continue; }
		size=$((size == 64 ? 128 : 64)) flavour=$((1 - flavour))
		config "$size" "$flavour"
		kill -HUP "$DAEMON_PID"
		pause 150
		what="reload"
		;;
	0) # killed during an API load or unload
		daemon_start "$CFG" || { not_ok "kill $i: daemon starts"; continue; }
		TOKEN=$(cat "$T_TMP/api.token")
		if [ "$(api_status "$URL/api/ebpf/programs/ca")" = 200 ]; then
			api -X DELETE -H "Authorization: Bearer $TOKEN" "$URL/api/ebpf/programs/ca" >/dev/null &
			what="API unload"
		else
			api -X POST -H "Authorization: Bearer $TOKEN" -d '{"name": "ca", "program": "api.o",
				"interface": "lo"}' "$URL/api/ebpf/programs/load" >/dev/null &
			what="API load"
		fi
		pause 120
		;;
	esac
	kill_daemon
	wait 2>/dev/null # the API client, if any
	if ! daemon_start "$CFG" 2>"$T_TMP/start.err"; then
		not_ok "kill $i ($what): the daemon starts again" "$(cat "$T_TMP/start.err")"
		continue
	fi
	if d=$(converges); then ok "kill $i ($what): converged"; else
		not_ok "kill $i ($what): converged" "$d
$(tail -n 15 "$DAEMON_LOG")"; fi
	daemon_stop
done

# ---- crashes placed exactly between two steps of an apply --------------------------
# FLYWALL_CRASH_AT=POINT[:N]: SIGKILL the Nth time the daemon passes POINT.
crash_case() { # description, then the command that must die at the point
	local desc=$1 rc; shift
	"$@" >>"$DAEMON_LOG" 2>&1; rc=$?
	if [ "$rc" -ne 137 ]; then
		not_ok "$desc: killed at the point" "exit status $rc, expected 137 (SIGKILL)
$(tail -n 5 "$DAEMON_LOG")"
		return
	fi
	if ! daemon_start "$CFG" 2>"$T_TMP/start.err"; then
		not_ok "$desc: the daemon starts again" "$(cat "$T_TMP/start.err")"
		return
	fi
	if d=$(converges); then ok "$desc: converged"; else
		not_ok "$desc: converged" "$d
$(tail -n 15 "$DAEMON_LOG")"; fi
	daemon_stop
}

# An apply that migrates cx's map and swaps both programs: every point in order.
for point in migrated switched:1 switched:2 pin-replace:1 pin-replace:2 pin-replace:3 \
	prog-pinned:1 link-pinned:1 recorded:1 prog-pinned:2 link-pinned:2 recorded:2; do
	size=$((size == 64 ? 128 : 64)) flavour=$((1 - flavour))
	config "$size" "$flavour"
	crash_case "apply crashed at $point" env FLYWALL_CRASH_AT="$point" \
		nsenter --net="/var/run/netns/$LAB_FW" "$FLYWALL" daemon -c "$CFG" --pin-root "$FW_PIN_ROOT" --oneshot
done

# A daemon whose API load (or unload) of a new program crashes at a point;
# starting it passes "switched" once per configured block.
api_crash() { # point, "load" or "unload"
	local rc i
	FLYWALL_CRASH_AT=$1 daemon_start "$CFG" || return 1
	TOKEN=$(cat "$T_TMP/api.token")
	if [ "$2" = load ]; then
		api -X POST -H "Authorization: Bearer $TOKEN" -d '{"name": "ca", "program": "api.o",
			"interface": "lo"}' "$URL/api/ebpf/programs/load" >/dev/null
	else
		api -X DELETE -H "Authorization: Bearer $TOKEN" "$URL/api/ebpf/programs/ca" >/dev/null
	fi
	# The request reaches the point at once; a daemon still alive after 10 s
	# never got there (and would hang the test).
	for ((i = 0; i < 100; i++)); do kill -0 "$DAEMON_PID" 2>/dev/null || break; sleep 0.1; done
	kill -9 "$DAEMON_PID" 2>/dev/null && echo "the daemon never reached the crash point $1"
	wait "$DAEMON_PID"; rc=$?
	DAEMON_PID=
	return "$rc"
}
for point in switched:3 pin-replace:1 prog-pinned:1 link-pinned:1 recorded:1; do
	if daemon_start "$CFG" && [ "$(api_status "$URL/api/ebpf/programs/ca")" = 200 ]; then
		api -X DELETE -H "Authorization: Bearer $(cat "$T_TMP/api.token")" "$URL/api/ebpf/programs/ca" >/dev/null
	fi
	daemon_stop
	crash_case "API load crashed at $point" api_crash "$point" load
done
daemon_start "$CFG" && api -X POST -H "Authorization: Bearer $(cat "$T_TMP/api.token")" \
	-d '{"name": "ca", "program": "api.o", "interface": "lo"}' "$URL/api/ebpf/programs/load" >/dev/null
daemon_stop
crash_case "API unload crashed at destroy-unlinked" api_crash destroy-unlinked:1 unload

check_contains "the last configuration is in force (map size)" "max_entries $size" \
	"$(bpftool map show pinned "$SEEN")"
check "ebpf clean" flywall_fw ebpf clean --pin-root "$FW_PIN_ROOT"
# (the kernel frees programs a moment after their last reference goes)
for name in crash_xdp crash_tc crash_api; do
	for ((i = 0; i < 25; i++)); do [ "$(prog_count $name)" = 0 ] && break; sleep 0.2; done
	check_eq "no $name program left in the kernel" 0 "$(prog_count $name)"
done
