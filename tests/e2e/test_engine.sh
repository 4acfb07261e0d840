#!/usr/bin/env bash
# The engine end to end (issue 3): user objects compiled here load, attach to
# XDP and TC ingress/egress on a veth and drop pings; detaching restores them;
# map overrides and args are visible in the kernel; the daemon survives kill -9
# without a gap and adopts what runs; a verifier rejection and bad input change
# nothing and say what is wrong.
. "$(dirname "$0")/lib.sh"

lab_up_or_bail
P=$T_TMP/programs
mkdir -p "$P"

# A drop program per hook, each with a map and an arg, a few lines of C.
cat >"$P/drop.bpf.c" <<'C'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
struct { __uint(type, BPF_MAP_TYPE_HASH); __type(key, __u32); __type(value, __u64);
	 __uint(max_entries, 8); } seen SEC(".maps");
const volatile __u32 verdict = 1;       /* XDP_DROP; TC_ACT_SHOT is 2 */
const volatile __s8 tweak = 0;          /* a signed arg, added to the verdict */
__u64 packets = 0;
static __always_inline int count(void)
{
	__u32 k = 0; __u64 one = 1, *v = bpf_map_lookup_elem(&seen, &k);
	if (v) __sync_fetch_and_add(v, 1); else bpf_map_update_elem(&seen, &k, &one, BPF_ANY);
	__sync_fetch_and_add(&packets, 1);
	return verdict + tweak;
}
SEC("xdp") int xdp_drop(struct xdp_md *ctx) { return count(); }
SEC("tc") int tc_drop(struct __sk_buff *skb) { return count(); }
char LICENSE[] SEC("license") = "GPL";
C
# A program the verifier must reject: it reads past the packet unchecked.
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
compile() { clang -O2 -g -target bpf -I"$BUILD" -c "$P/$1.bpf.c" -o "$P/$1.o"; }
check "compile the test objects" sh -c "$(declare -f compile); P=$P BUILD=$BUILD; compile drop && compile bad"
echo "not an ELF object" >"$P/text.o"

config() { # file, then the blocks
	local f=$1; shift
	printf 'ebpf {\n  enabled = true\n  program_dir = "%s"\n%s\n}\n' "$P" "$*" >"$f"
}
xdp_block='  xdp "dropper" {
    program = "drop.o"
    interface = "eth0"
    maps = { "seen" = { type = "lru_hash", size = 4096 } }
    args = { verdict = 1 }
  }'

# ---- XDP: drop, detach, restore ------------------------------------------------
check_eq "before: peer pings host (3/3)" 3 "$(ping_replies 3)"
config "$T_TMP/xdp.hcl" "$xdp_block"
check "daemon applies the xdp block" daemon_oneshot "$T_TMP/xdp.hcl"
check_eq "xdp drop: pings are dropped (0/3)" 0 "$(ping_replies 3)"
check_contains "bpftool sees an XDP program on eth0 in driver mode" '"mode":"driver"' "$(in_fw bpftool -j net show dev eth0)"
check_contains "the link is pinned" "xdp" "$(bpftool link show pinned "$FW_PIN_ROOT/links/dropper" 2>&1)"
map=$(bpftool map show pinned "$FW_PIN_ROOT/maps/dropper/seen" 2>&1)
check_contains "map override: type lru_hash" "lru_hash" "$map"
check_contains "map override: size 4096" "max_entries 4096" "$map"
count=$(bpftool -j map dump pinned "$FW_PIN_ROOT/maps/dropper/seen" | sed -n 's/.*"value":\([0-9]*\).*/\1/p' | head -1)
if [ "${count:-0}" -ge 3 ]; then ok "the dropped pings are counted in the map ($count)"; else not_ok "the dropped pings are counted in the map" "count=$count"; fi
prog_id=$(bpftool -j prog show pinned "$FW_PIN_ROOT/progs/dropper" | sed -n 's/.*"id":\([0-9]*\).*/\1/p' | head -1)
rodata=$(bpftool -j prog show id "$prog_id" | sed -n 's/.*"map_ids":\[\([0-9,]*\)\].*/\1/p' | tr ',' '\n' |
	while read -r id; do bpftool map show id "$id" | grep -q '\.rodata' && echo "$id"; done | head -1)
check_contains "arg verdict = 1 is in the object's .rodata" '"verdict": 1' "$(bpftool map dump id "${rodata:-0}" 2>&1)"

config "$T_TMP/off.hcl" ""
sed -i 's/enabled = true/enabled = false/' "$T_TMP/off.hcl"
check "enabled = false applies" daemon_oneshot "$T_TMP/off.hcl"
check_eq "detached: pings pass again (3/3)" 3 "$(ping_replies_after_drop 3)"
check_fails "the link pin is gone" test -e "$FW_PIN_ROOT/links/dropper"

# ---- XDP mode = "generic" is honoured and reported -------------------------------------
config "$T_TMP/generic.hcl" "${xdp_block/interface = \"eth0\"/interface = \"eth0\"
    mode = \"generic\"}"
check "xdp mode generic: applies" daemon_oneshot "$T_TMP/generic.hcl"
check_contains "xdp mode generic: the kernel runs it in SKB mode" '"mode":"generic"' "$(in_fw bpftool -j net show dev eth0)"
check_eq "xdp mode generic: drops pings (0/3)" 0 "$(ping_replies 3)"
check "xdp mode generic: removed" daemon_oneshot "$T_TMP/off.hcl"

# bpftool 7.1 predates tcx: it shows the link's type by number (BPF_LINK_TYPE_TCX = 11).
TCX_LINK_TYPE='"type":11'
bpftool help 2>&1 | grep -q tcx && TCX_LINK_TYPE='"type":"tcx"'

# ---- TC ingress and egress --------------------------------------------------------
for dir in ingress egress; do
	config "$T_TMP/tc.hcl" "  tc \"tc_$dir\" {
    program = \"drop.o\"
    interface = \"eth0\"
    direction = \"$dir\"
    args = { verdict = 2 }
  }"
	check "tc $dir: applies" daemon_oneshot "$T_TMP/tc.hcl"
	check_eq "tc $dir: pings are dropped (0/3)" 0 "$(ping_replies 3)"
	check_contains "tc $dir: attached as a pinned tcx link" "$TCX_LINK_TYPE" \
		"$(bpftool -j link show pinned "$FW_PIN_ROOT/links/tc_$dir" 2>&1)"
	check "tc $dir: ebpf clean removes it" flywall_fw ebpf clean --pin-root "$FW_PIN_ROOT"
	check_eq "tc $dir: pings pass again (3/3)" 3 "$(ping_replies_after_drop 3)"
done

# ---- kill -9: no gap, then adoption ---------------------------------------------
config "$T_TMP/xdp.hcl" "$xdp_block"
check_daemon_starts "daemon starts" "$T_TMP/xdp.hcl" --no-api
links_before=$(pinned_link_ids)
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
check_eq "after kill -9: still dropping (0/3)" 0 "$(ping_replies 3)"
check_daemon_starts "daemon restarts" "$T_TMP/xdp.hcl" --no-api
check_contains "restart adopts the running program" "adopted dropper" "$(cat "$DAEMON_LOG")"
check_contains "restart keeps it (nothing reloaded)" "0 attached, 0 replaced, 1 kept" "$(tail -n 3 "$DAEMON_LOG")"
check_eq "same link ids after restart" "$links_before" "$(pinned_link_ids)"
check_eq "one XDP program on eth0" 1 "$(in_fw bpftool -j net show dev eth0 | grep -o '"mode":' | wc -l)"

# ---- an atomic swap on SIGHUP keeps the link and the map's entries ----------------
# A marker entry the program never writes (it counts at key 0 only): if a
# reload re-created the map instead of keeping or copying it, the marker is gone.
SEEN=$FW_PIN_ROOT/maps/dropper/seen
marker() { bpftool -j map lookup pinned "$SEEN" key 7 0 0 0 2>&1 | jq -c '.formatted // .'; }
bpftool map update pinned "$SEEN" key 7 0 0 0 value 0x39 0x30 0 0 0 0 0 0
check_eq "a marker entry 7 -> 12345 is in the map" '{"key":7,"value":12345}' "$(marker)"
before=$(bpftool -j map lookup pinned "$SEEN" key 0 0 0 0 | jq .formatted.value)
sed -i 's/verdict = 1/verdict = 2/' "$T_TMP/xdp.hcl"   # XDP_PASS
check "SIGHUP reloads" daemon_reload
check_contains "the program was swapped in place" "1 replaced" "$(tail -n 2 "$DAEMON_LOG")"
check_eq "same link ids after the swap" "$links_before" "$(pinned_link_ids)"
check_eq "the new program passes pings (3/3)" 3 "$(ping_replies 3)"
check_eq "the marker entry survived the swap" '{"key":7,"value":12345}' "$(marker)"
after=$(bpftool -j map lookup pinned "$SEEN" key 0 0 0 0 | jq .formatted.value)
if [ "${after:-0}" -ge "$((before + 3))" ]; then ok "map entries survived the swap ($before -> $after)"; else not_ok "map entries survived the swap" "$before -> $after"; fi

# ---- a resized map is migrated: entries copied into the new map -------------------
entries_before=$(bpftool -j map dump pinned "$FW_PIN_ROOT/maps/dropper/seen" | grep -o '"key"' | wc -l)
sed -i 's/size = 4096/size = 8192/' "$T_TMP/xdp.hcl"
check "resize: SIGHUP reloads" daemon_reload
check_contains "resize: the map now has 8192 entries" "max_entries 8192" \
	"$(bpftool map show pinned "$FW_PIN_ROOT/maps/dropper/seen" 2>&1)"
check_eq "resize: its entries were copied across (as many keys)" "$entries_before" \
	"$(bpftool -j map dump pinned "$FW_PIN_ROOT/maps/dropper/seen" | grep -o '"key"' | wc -l)"
check_eq "resize: the marker entry was copied with its value" '{"key":7,"value":12345}' "$(marker)"
sed -i 's/type = "lru_hash", size = 8192/type = "array", size = 8192/' "$T_TMP/xdp.hcl"
out=$(daemon_reload 2>&1); rc=$?
check_eq "retype to an incompatible layout: the reload fails (daemon_reload says 1)" 1 "$rc"
check_contains "retype: refused with both layouts named" \
	"cannot be converted to array" "$(tail -n 3 "$DAEMON_LOG")"
check_contains "retype: the previous configuration stays in force" "reload failed" "$out"
sed -i 's/type = "array", size = 8192/type = "lru_hash", size = 8192/' "$T_TMP/xdp.hcl"

# ---- an interface deleted and re-created under its name gets the program back ------
in_fw ip link del eth0
ip -n "$LAB_FW" link add eth0 type veth peer name eth0 netns "$LAB_PEER" &&
	lab_configure_end "$LAB_FW" "$LAB_FW_IP" "$LAB_FW_IP6" &&
	lab_configure_end "$LAB_PEER" "$LAB_PEER_IP" "$LAB_PEER_IP6"
sleep 0.5
check_eq "re-created eth0 starts without a program" "" "$(in_fw bpftool -j net show dev eth0 | grep -o '"mode":"driver"')"
check "SIGHUP after the interface came back" daemon_reload
check_contains "the unchanged block is attached anew, not kept" "1 replaced, 0 kept" "$(grep applied "$DAEMON_LOG" | tail -1)"
check_contains "the new eth0 runs it" '"mode":"driver"' "$(in_fw bpftool -j net show dev eth0)"
links_before=$(pinned_link_ids)

# ---- a verifier rejection changes nothing -------------------------------------------
sed -i 's/verdict = 2/verdict = 1/' "$T_TMP/xdp.hcl"
check "back to dropping" daemon_reload
# The one-shot runs below need the pin root, which the daemon holds locked.
daemon_stop
config "$T_TMP/bad.hcl" '  xdp "dropper" {
    program = "bad.o"
    interface = "eth0"
  }'
out=$(daemon_oneshot "$T_TMP/bad.hcl" 2>&1); rc=$?
check_eq "verifier rejection: non-zero exit" 1 "$rc"
check_contains "the message names object, program and the verifier's reason (not its statistics)" \
	"bad.o: program xdp_bad: the verifier rejected it: R1 offset is outside of the packet" "$out"
check_contains "the message carries the verifier's reason" "invalid access to packet" "$out"
check_eq "what ran before still runs (0/3)" 0 "$(ping_replies 3)"
check_eq "and keeps its link" "$links_before" "$(pinned_link_ids)"

# ---- bad input: a clear error naming the thing, nothing changed ----------------------
bad_case() { # description, expected text, blocks
	config "$T_TMP/case.hcl" "$3"
	out=$(daemon_oneshot "$T_TMP/case.hcl" 2>&1); rc=$?
	if [ "$rc" -ne 0 ] && [[ "$out" == *"$2"* ]]; then ok "$1"; else not_ok "$1" "rc=$rc, expected '$2' in: $out"; fi
}
bad_case "missing object file" "$P/nope.o: No such file or directory" \
	'  xdp "dropper" {
    program = "nope.o"
    interface = "eth0"
  }'
bad_case "non-ELF object" "$P/text.o: not an ELF file" \
	'  xdp "dropper" {
    program = "text.o"
    interface = "eth0"
  }'
bad_case "missing interface" "program dropper: interface eth9 does not exist" \
	'  xdp "dropper" {
    program = "drop.o"
    interface = "eth9"
  }'
bad_case "unknown map name" 'map nosuch: the object has no map of that name (it has: seen)' \
	'  xdp "dropper" {
    program = "drop.o"
    interface = "eth0"
    maps = { "nosuch" = { type = "hash", size = 10 } }
  }'
bad_case "unknown arg name" 'arg nosuch: the object has no global variable of that name (it has: verdict, tweak, packets)' \
	'  xdp "dropper" {
    program = "drop.o"
    interface = "eth0"
    args = { nosuch = 1 }
  }'
bad_case "a signed arg one past its maximum" 'arg tweak: 128 does not fit its type (signed 8-bit integer)' \
	'  xdp "dropper" {
    program = "drop.o"
    interface = "eth0"
    args = { tweak = 128 }
  }'
bad_case "a signed arg one past its minimum" 'arg tweak: -129 does not fit its type (signed 8-bit integer)' \
	'  xdp "dropper" {
    program = "drop.o"
    interface = "eth0"
    args = { tweak = -129 }
  }'
bad_case "arg of the wrong type" 'arg verdict: a string does not fit' \
	'  xdp "dropper" {
    program = "drop.o"
    interface = "eth0"
    args = { verdict = "drop" }
  }'
bad_case "no program for the hook" 'has no socket_filter program' \
	'  socket_filter "sf" { program = "drop.o" }'
check_eq "after all that, still dropping (0/3)" 0 "$(ping_replies 3)"
check_eq "and still the same link" "$links_before" "$(pinned_link_ids)"

# ---- killed, and the interface re-created meanwhile: the dead link is not adopted --
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
in_fw ip link del eth0
ip -n "$LAB_FW" link add eth0 type veth peer name eth0 netns "$LAB_PEER" &&
	lab_configure_end "$LAB_FW" "$LAB_FW_IP" "$LAB_FW_IP6" &&
	lab_configure_end "$LAB_PEER" "$LAB_PEER_IP" "$LAB_PEER_IP6"
sleep 0.5
check_daemon_starts "daemon restarts after its interface was re-created" "$T_TMP/xdp.hcl" --no-api
check_contains "the new eth0 runs the program again" '"mode":"driver"' "$(in_fw bpftool -j net show dev eth0)"
check_eq "and drops (0/3)" 0 "$(ping_replies 3)"

# ---- killed, and its link detached meanwhile: the detached link is not adopted -----
kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
check "someone detaches the pinned link (bpftool link detach)" \
	bpftool link detach pinned "$FW_PIN_ROOT/links/dropper"
check_eq "nothing runs on eth0 then" "" "$(in_fw bpftool -j net show dev eth0 | grep -o '"mode":"driver"')"
check_daemon_starts "daemon restarts" "$T_TMP/xdp.hcl" --no-api
check_contains "it attaches the program again" '"mode":"driver"' "$(in_fw bpftool -j net show dev eth0)"
check_eq "which drops (0/3)" 0 "$(ping_replies 3)"

# ---- native to generic mode on SIGHUP: attached anew, not swapped in place ----------
sed -i 's/interface = "eth0"/interface = "eth0"\n    mode = "generic"/' "$T_TMP/xdp.hcl"
out=$(daemon_reload 2>&1); rc=$?
check_eq "generic mode: SIGHUP reloads (daemon_reload says 0)" 0 "$rc"
[ "$rc" -eq 0 ] || echo "$out" | sed 's/^/# /'
check_contains "generic mode: the kernel runs it in SKB mode" '"mode":"generic"' "$(in_fw bpftool -j net show dev eth0)"
daemon_stop
check "ebpf clean" flywall_fw ebpf clean --pin-root "$FW_PIN_ROOT"
check_eq "clean restores pings (3/3)" 3 "$(ping_replies_after_drop 3)"
check_fails "clean removed the pin root" test -e "$FW_PIN_ROOT"
