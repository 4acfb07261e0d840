#!/usr/bin/env bash
# What a local user, a crafted object or a read request can do to the daemon,
# end to end: a pin root another user made (or can write) is refused; one
# process at a time works on a pin root, the second names the first's pid;
# the daemon mounts bpffs 0700; after start it keeps only the capabilities it
# needs, in every thread, and still reloads (with a per-CPU map migration)
# and loads through the API; a char-array global that is not UTF-8 and a
# 16-byte integer render; reads do not turn on run statistics; the events log
# is private, never written through a symlink, and rotated.
. "$(dirname "$0")/lib.sh"

lab_up_or_bail
P=$T_TMP/programs
mkdir -p "$P"

# A pass-everything XDP program that counts into a per-CPU hash whose values
# are 12 bytes (not a multiple of 8), emits a 32-byte event per packet, and
# has a char-array global that is not UTF-8 and a 16-byte integer global.
cat >"$P/hard.bpf.c" <<'C'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
struct odd { __u32 a, b, c; };
struct { __uint(type, BPF_MAP_TYPE_PERCPU_HASH); __type(key, __u32); __type(value, struct odd);
	 __uint(max_entries, 64); } seen SEC(".maps");
struct { __uint(type, BPF_MAP_TYPE_RINGBUF); __uint(max_entries, 4096); } events SEC(".maps");
char label[8] = "\xff\xfeok";
__int128 wide = 0;
SEC("xdp") int xdp_hard(struct xdp_md *ctx)
{
	__u32 k = 0;
	struct odd one = { 1, 2, 3 }, *v = bpf_map_lookup_elem(&seen, &k);
	char rec[32];

	if (v) v->a++; else bpf_map_update_elem(&seen, &k, &one, BPF_ANY);
	__builtin_memset(rec, 0xff, sizeof(rec));
	rec[1] = label[0] ^ (wide == 7);
	bpf_ringbuf_output(&events, rec, sizeof(rec), 0);
	return XDP_PASS;
}
SEC("socket") int sock_pass(struct __sk_buff *skb) { return skb->len; }
SEC("tracepoint/net/netif_receive_skb") int tp_count(void *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
C
check "compile the test object" clang -O2 -g -target bpf -I"$BUILD" -c "$P/hard.bpf.c" -o "$P/hard.o"

CFG=$T_TMP/hard.hcl
config() { # size of the map "seen", then extra blocks
	printf 'ebpf {\n  enabled = true\n  program_dir = "%s"\n  xdp "hard" {\n    program = "hard.o"\n    interface = "eth0"\n    maps = { "seen" = { size = %s } }\n  }\n%s\n}\napi {\n  token_file = "%s"\n}\n' \
		"$P" "$1" "${2:-}" "$T_TMP/api.token" >"$CFG"
}
config 64

# ---- a pin root someone else made, or can write, is refused ------------------------
mkdir -p "$FW_PIN_ROOT" && chown 65534 "$FW_PIN_ROOT"
out=$(daemon_oneshot "$CFG" 2>&1); rc=$?
check_eq "pin root owned by another user: refused" 1 "$rc"
check_contains "the message says whose it is and the fix" \
	"pin directory $FW_PIN_ROOT belongs to uid 65534, not to the daemon's user (uid 0): its owner could remove the daemon's pins; remove it (rm -r $FW_PIN_ROOT)" "$out"
check_fails "nothing was pinned there" test -e "$FW_PIN_ROOT/state"
chown 0 "$FW_PIN_ROOT" && chmod 0777 "$FW_PIN_ROOT"
out=$(daemon_oneshot "$CFG" 2>&1); rc=$?
check_eq "pin root writable by others: refused" 1 "$rc"
check_contains "the message gives the mode and the fix" \
	"pin directory $FW_PIN_ROOT is writable by its group or by others (mode 0777): they could remove the daemon's pins; chmod go-w $FW_PIN_ROOT" "$out"
chmod 0700 "$FW_PIN_ROOT" && mkdir -p "$FW_PIN_ROOT/maps/hard" && chown 65534 "$FW_PIN_ROOT/maps/hard"
out=$(daemon_oneshot "$CFG" 2>&1); rc=$?
check_eq "a program's map directory owned by another user: refused" 1 "$rc"
check_contains "the message names that directory" \
	"pin directory $FW_PIN_ROOT/maps/hard belongs to uid 65534" "$out"
rm -rf "$FW_PIN_ROOT"

# ---- the daemon mounts bpffs 0700 where it is missing -------------------------------
# In a mount namespace of its own, over an empty /sys/fs/bpf: nothing leaks out.
printf 'ebpf {\n  enabled = true\n}\n' >"$T_TMP/empty.hcl"
out=$(unshare -m sh -c "mount -t tmpfs none /sys/fs/bpf &&
	'$FLYWALL' daemon -c '$T_TMP/empty.hcl' --pin-root /sys/fs/bpf/flywall --oneshot &&
	stat -f -c %T /sys/fs/bpf && stat -c %a /sys/fs/bpf" 2>&1)
check_contains "bpffs mounted by the daemon" "bpf_fs" "$out"
check_eq "bpffs mounted with mode 0700 (bpffs adds the sticky bit)" 1700 "$(tail -n 1 <<<"$out")"

# ---- the events log is never written through a symlink ------------------------------
echo "precious" >"$T_TMP/target"
ln -s "$T_TMP/target" "$T_TMP/link.jsonl"
out=$(timeout 20 nsenter --net="/var/run/netns/$LAB_FW" "$FLYWALL" daemon -c "$CFG" \
	--pin-root "$FW_PIN_ROOT" --events-log "$T_TMP/link.jsonl" 2>&1); rc=$?
check_eq "events log that is a symlink: the daemon refuses to start" 1 "$rc"
check_contains "and says so" "events log $T_TMP/link.jsonl is a symbolic link" "$out"
check_eq "the link's target is untouched" "precious" "$(cat "$T_TMP/target")"
check_fails "nothing was attached" test -e "$FW_PIN_ROOT/links/hard"

# ---- start; the pin root is locked ---------------------------------------------------
check_daemon_starts "daemon starts" "$CFG" --events-log-max 2K
out=$(daemon_oneshot "$CFG" 2>&1); rc=$?
check_eq "a second daemon on the same pin root is refused" 1 "$rc"
check_contains "it names the first one's pid" \
	"pin root $FW_PIN_ROOT is in use by pid $DAEMON_PID" "$out"
out=$(flywall_fw ebpf clean --pin-root "$FW_PIN_ROOT" 2>&1); rc=$?
check_eq "ebpf clean while the daemon runs is refused" 1 "$rc"
check_contains "it names the daemon's pid" "in use by pid $DAEMON_PID" "$out"
check "the program is still attached" test -e "$FW_PIN_ROOT/links/hard"

# ---- least privilege -------------------------------------------------------------
# Kept: NET_ADMIN(12) NET_RAW(13) SYS_ADMIN(21) SYS_RESOURCE(24) SYSLOG(34)
# PERFMON(38) BPF(39), of those the test's shell has.
status_field() { sed -n "s/^$1:\t*//p" "/proc/$DAEMON_PID/status"; }
mine=$((16#$(sed -n 's/^CapEff:\t*//p' /proc/self/status)))
want=$(printf '%016x' $((mine & ((1 << 12) | (1 << 13) | (1 << 21) | (1 << 24) | (1 << 34) | (1 << 38) | (1 << 39)))))
check_eq "effective capabilities: only those kept" "$want" "$(status_field CapEff)"
check_eq "permitted: the same" "$want" "$(status_field CapPrm)"
check_eq "bounding set: the same (execve cannot regain others)" "$want" "$(status_field CapBnd)"
check_eq "no new privileges" 1 "$(status_field NoNewPrivs)"
threads=$(for t in /proc/"$DAEMON_PID"/task/*/status; do sed -n 's/^CapEff:\t*//p' "$t"; done | sort -u)
check_eq "every thread has the reduced set (API and collector threads)" "$want" "$threads"
check_eq "umask 077" 0077 "$(status_field Umask)"

# ---- reads render what a crafted object holds ---------------------------------------
TOKEN=$(cat "$T_TMP/api.token")
URL=http://127.0.0.1:8080
status_of() { api -o "$T_TMP/body" -w '%{http_code}' "$@"; }
body_field() { python3 -c "import json,sys; print(json.load(open('$T_TMP/body'))$1)" 2>/dev/null; }
check_eq "GET a program whose char global is not UTF-8: 200" 200 "$(status_of "$URL/api/ebpf/programs/hard")"
check_eq "the global is shown as hex" "0xfffe6f6b00000000" "$(body_field "['args']['label']")"
check_eq "a 16-byte arg written as -5: 200" 200 \
	"$(status_of -X PUT -H "Authorization: Bearer $TOKEN" -d '{"args": {"wide": -5}}' "$URL/api/ebpf/programs/hard")"
status_of "$URL/api/ebpf/programs/hard" >/dev/null
check_eq "it reads back sign-extended, nothing else in its high bytes" \
	"0xfbffffffffffffffffffffffffffffff" "$(body_field "['args']['wide']")"

# ---- reads do not turn on run statistics -----------------------------------------
stats_fds() { ls -l "/proc/$DAEMON_PID/fd" 2>/dev/null | grep -c 'bpf-stats'; }
status_of "$URL/api/ebpf/stats" >/dev/null
check_eq "GET /stats says run statistics are off" False "$(body_field "['stats_enabled']")"
status_of "$URL/api/ebpf/programs/hard/stats" >/dev/null
check_eq "GET /programs/NAME/stats: off" False "$(body_field "['stats_enabled']")"
check_eq "the daemon holds no run-statistics fd after those reads" 0 "$(stats_fds)"

# ---- the events log: private, bounded --------------------------------------------
ping_replies 30 -i 0.02 >/dev/null
for ((i = 0; i < 50; i++)); do [ -e "$EVENTS_LOG.1" ] && break; sleep 0.1; done
check_eq "events log mode 0600" 600 "$(stat -c %a "$EVENTS_LOG")"
check "past --events-log-max it was rotated to FILE.1" test -s "$EVENTS_LOG.1"
check_eq "FILE.1 is 0600 too" 600 "$(stat -c %a "$EVENTS_LOG.1" 2>&1)"
size=$(stat -c %s "$EVENTS_LOG"); size1=$(stat -c %s "$EVENTS_LOG.1")
if [ "$size" -le 2048 ] && [ "$size1" -le 2048 ]; then ok "neither file is over 2K ($size, $size1)"; else
	not_ok "neither file is over 2K" "$size, $size1"; fi
check_contains "the log holds the events" '"type":"raw"' "$(cat "$EVENTS_LOG.1")"

# ---- the reduced daemon still reloads, migrating a per-CPU map --------------------
# Each entry's per-CPU values of the field a (bytes 0-3 of the 12), as a list.
seen_values() {
	bpftool -j map dump pinned "$FW_PIN_ROOT/maps/hard/seen" | python3 -c '
import json, sys
print([[int.from_bytes(bytes(int(b, 16) for b in c["value"][:4]), "little") for c in e["values"]]
       for e in json.load(sys.stdin)])'
}
before=$(seen_values)
config 128 '  socket_filter "sock" {
    program = "hard.o"
    interface = "eth0"
  }
  tracepoint "tp" {
    program = "hard.o"
    tracepoint = "net:netif_receive_skb"
  }'
check "SIGHUP reload after the drop" daemon_reload
check_contains "it applied: a socket filter and a tracepoint attached, the XDP program replaced" \
	"2 attached, 1 replaced" "$(grep applied "$DAEMON_LOG" | tail -1)"
check_contains "the per-CPU map was resized" "max_entries 128" "$(bpftool map show pinned "$FW_PIN_ROOT/maps/hard/seen")"
after=$(seen_values)
# (a stray packet during the reload may add to them, never take away)
if [[ "$before" == "[["[0-9]* ]] && python3 -c "
b, a = $before, ${after:-None}
assert len(a) == len(b) and all(x >= y for ea, eb in zip(a, b) for x, y in zip(ea, eb))" 2>/dev/null
then ok "its per-CPU values were migrated ($before -> $after)"; else
	not_ok "its per-CPU values were migrated" "before $before, after $after"; fi

# ---- and loads and unloads through the API ------------------------------------------
check_eq "POST load after the drop: 201" 201 \
	"$(status_of -X POST -H "Authorization: Bearer $TOKEN" -d '{"name": "api_hard", "program": "hard.o",
	   "interface": "lo"}' "$URL/api/ebpf/programs/load")"
check_contains "it runs on lo" '"devname":"lo"' "$(in_fw bpftool -j net show dev lo)"
check_eq "DELETE after the drop: 200" 200 \
	"$(status_of -X DELETE -H "Authorization: Bearer $TOKEN" "$URL/api/ebpf/programs/api_hard")"
check_eq "the daemon is still running" 0 "$(kill -0 "$DAEMON_PID"; echo $?)"
daemon_stop

# ---- run statistics only when the operator asks --------------------------------------
# (and, as under systemd's Type=notify, it says READY=1 once it runs)
python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM); s.bind(sys.argv[1]); s.settimeout(30)
print(s.recv(256).decode(), flush=True)' "$T_TMP/notify.sock" >"$T_TMP/notify.out" 2>&1 &
notify_pid=$!
for ((i = 0; i < 50; i++)); do [ -S "$T_TMP/notify.sock" ] && break; sleep 0.1; done
NOTIFY_SOCKET=$T_TMP/notify.sock check_daemon_starts "daemon --run-stats on" "$CFG" --run-stats on
wait "$notify_pid"
check_eq "it notified systemd: READY=1" "READY=1" "$(cat "$T_TMP/notify.out")"
check_eq "it holds the run-statistics fd" 1 "$(stats_fds)"
status_of "$URL/api/ebpf/stats" >/dev/null
check_eq "GET /stats says they are on" True "$(body_field "['stats_enabled']")"
daemon_stop
check "ebpf clean" flywall_fw ebpf clean --pin-root "$FW_PIN_ROOT"
