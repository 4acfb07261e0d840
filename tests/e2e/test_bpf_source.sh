#!/usr/bin/env bash
# Programs given as their source: a program in the kernel samples' style (UAPI
# headers, tests/programs/uapi_udp_drop.bpf.c) compiles and runs; a
# configuration naming a .bpf.c compiles it (cached) and attaches it, and so
# does POST /programs/load (confined to program_dir); a source that does not
# compile fails `config check`, a reload and the API with the program's block
# and clang's FILE:LINE:COL.
. "$(dirname "$0")/lib.sh"

export FLYWALL_CACHE_DIR=$T_TMP/cache
progs=$T_TMP/progs
mkdir -p "$progs"
cp "$E2E_ROOT/tests/programs/uapi_udp_drop.bpf.c" "$progs/"
cat >"$progs/bad.bpf.c" <<'EOF'
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bad(struct xdp_md *ctx)
{
	return no_such_verdict;
}
EOF

# run CMD...: sets RC, OUT (stdout) and ERR (stderr).
run() {
	"$@" >"$T_TMP/out" 2>"$T_TMP/err"
	RC=$?
	OUT=$(cat "$T_TMP/out")
	ERR=$(cat "$T_TMP/err")
}

# ---- a UAPI-style program compiles and runs -----------------------------------
run "$FLYWALL" ebpf compile "$progs/uapi_udp_drop.bpf.c" -o "$T_TMP/uapi.o"
check_eq "a program on the kernel's UAPI headers compiles (exit 0)" "0 " "$RC $ERR"
check_contains "... says so" "compiled $progs/uapi_udp_drop.bpf.c -> $T_TMP/uapi.o" "$OUT"

# 3 UDP frames, an ICMP one, an ARP one.
python3 - "$T_TMP/frames.pcap" <<'EOF'
import struct, sys
def frame(proto):
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 46, 1, 0, 64, proto, 0,
                     bytes([10, 1, 0, 1]), bytes([10, 0, 0, 1]))
    return bytes.fromhex("020000000002" "020000000001" "0800") + ip + b"x" * 26
frames = [frame(17)] * 3 + [frame(1), bytes.fromhex("ffffffffffff" "020000000001" "0806") + b"\0" * 28]
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, fr in enumerate(frames):
        f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)) + fr)
EOF
run "$FLYWALL" ebpf test "$T_TMP/uapi.o" "$T_TMP/frames.pcap"
check_eq "it loads into the kernel and runs (ebpf test, exit 0)" 0 "$RC"
check_contains "UDP is dropped" "XDP_DROP                  3" "$OUT"
check_contains "the rest passes" "XDP_PASS                  2" "$OUT"
check_contains "and its map counted the drops" "counters: [0]=3" "$OUT"
run "$FLYWALL" ebpf test "$progs/uapi_udp_drop.bpf.c" "$T_TMP/frames.pcap"
check_contains "ebpf test takes the source too (exit $RC)" "XDP_DROP                  3" "$OUT"
run "$FLYWALL" ebpf test "$progs/bad.bpf.c" "$T_TMP/frames.pcap"
check_contains "... and names a compile error's position (exit $RC)" \
	"program $progs/bad.bpf.c does not compile: $progs/bad.bpf.c:7:9: error" "$ERR"

# clang runs by execve, not through a shell, with its limits set.
odd="$T_TMP/odd name;\$(touch pwned).bpf.c"
cp "$progs/uapi_udp_drop.bpf.c" "$odd"
cd "$T_TMP" && run "$FLYWALL" ebpf compile "$odd" -o "$T_TMP/odd.o" && cd "$E2E_ROOT"
check_eq "a path with shell syntax compiles as a plain name" "0 " "$RC $ERR"
check_fails "... and nothing ran it" test -e "$T_TMP/pwned"
cat >"$T_TMP/fakeclang" <<'EOF'
#!/bin/sh
case "$1" in --version) echo "fake clang 1"; exit 0 ;; -print-multiarch) exit 1 ;; esac
echo "limits: address space $(ulimit -v) KiB, CPU $(ulimit -t) s" >&2
exit 1
EOF
chmod +x "$T_TMP/fakeclang"
run env CLANG="$T_TMP/fakeclang" "$FLYWALL" ebpf compile "$progs/uapi_udp_drop.bpf.c" -o "$T_TMP/x.o"
check_contains "clang runs within the memory and time limits" \
	"limits: address space 2097152 KiB, CPU 120 s" "$ERR"

# ---- config check --------------------------------------------------------------------
config() { # file program-block-body...
	local file=$1; shift
	{
		printf 'ebpf {\n  enabled = true\n  program_dir = "%s"\n' "$progs"
		printf '%s\n' "$@"
		printf '}\napi {\n  listen = "127.0.0.1:8080"\n  token_file = "%s"\n}\n' "$T_TMP/api.token"
	} >"$file"
}
good=$T_TMP/good.hcl
bad=$T_TMP/bad.hcl
config "$good" '  xdp "udp_drop" {' '    program = "uapi_udp_drop.bpf.c"' '    interface = "eth0"' '  }'
config "$bad" '  xdp "broken" {' '    program = "bad.bpf.c"' '    interface = "eth0"' '  }'

run "$FLYWALL" config check "$good"
check_eq "config check: a configuration naming a .bpf.c checks clean" 0 "$RC"
check_contains "... and says it compiles" "compiles (cached in $FLYWALL_CACHE_DIR)" "$OUT"
check "... the object is in the cache" test -n "$(find "$FLYWALL_CACHE_DIR/objects" -name '*.o')"

run "$FLYWALL" config check "$bad"
check_eq "config check: a source that does not compile fails (exit 1)" 1 "$RC"
check_contains "... naming the block and clang's file:line:col" \
	"$bad: xdp \"broken\": program $progs/bad.bpf.c does not compile: $progs/bad.bpf.c:7:9: error: use of undeclared identifier 'no_such_verdict'" \
	"$ERR"
check_contains "... with clang's diagnostics" "return no_such_verdict;" "$ERR"
check_contains "... and a count" "$bad: 1 error" "$ERR"
run "$FLYWALL" config check "$bad" --json
check_contains "config check --json: the error" "bad.bpf.c:7:9: error" "$OUT"
config "$T_TMP/missing.hcl" '  xdp "gone" {' '    program = "gone.bpf.c"' '    interface = "eth0"' '  }'
run "$FLYWALL" config check "$T_TMP/missing.hcl"
check_contains "config check: a missing source is named (exit $RC)" \
	"xdp \"gone\": $progs/gone.bpf.c: No such file or directory" "$ERR"

# ---- the daemon: a .bpf.c in the configuration attaches ------------------------
lab_up_or_bail
check_daemon_starts "the daemon starts on a configuration naming a .bpf.c" "$good"
detail=$(api http://127.0.0.1:8080/api/ebpf/programs/udp_drop)
check_contains "udp_drop is attached as XDP" '"hook": "xdp"' "$detail"
check_contains "... from the compiled object in the cache" "\"object\": \"$FLYWALL_CACHE_DIR/objects/" "$detail"
check_eq "ping passes" 3 "$(ping_replies_after_drop 3)"
in_peer bash -c "for i in 1 2 3 4 5; do echo x >/dev/udp/$LAB_FW_IP/9; done"
dropped=$(api "http://127.0.0.1:8080/api/ebpf/maps/udp_drop.counters/data" |
	python3 -c 'import json,sys; print(sum(e["value"] for e in json.load(sys.stdin)["entries"]))')
check_eq "UDP from the peer is dropped by the compiled program (its map, read back)" 5 "$dropped"

# ---- POST /programs/load with a source ----------------------------------------------
auth=(-H "Authorization: Bearer $(api_token)" -H "Content-Type: application/json")
load() { # body: sets CODE and BODY
	CODE=$(api -o "$T_TMP/load.json" -w '%{http_code}' "${auth[@]}" -X POST -d "$1" \
		http://127.0.0.1:8080/api/ebpf/programs/load)
	BODY=$(cat "$T_TMP/load.json")
}
load '{"name": "udp_lo", "program": "uapi_udp_drop.bpf.c", "interface": "lo"}'
check_eq "API: a .bpf.c in program_dir loads (201)" "201" "$CODE"
check_contains "... compiled" "$FLYWALL_CACHE_DIR/objects/" "$BODY"
api -o /dev/null "${auth[@]}" -X DELETE http://127.0.0.1:8080/api/ebpf/programs/udp_lo
load '{"name": "broken", "program": "bad.bpf.c", "interface": "lo"}'
check_eq "API: a source that does not compile: 422" "422" "$CODE"
check_contains "... naming clang's file:line:col" "bad.bpf.c:7:9: error: use of undeclared identifier" "$BODY"
cp "$progs/uapi_udp_drop.bpf.c" "$T_TMP/outside.bpf.c"
load "{\"name\": \"outside\", \"program\": \"$T_TMP/outside.bpf.c\", \"interface\": \"lo\"}"
check_eq "API: a source outside program_dir is refused (403)" "403" "$CODE"
load '{"name": "up", "program": "../outside.bpf.c", "interface": "lo"}'
check_eq "API: '..' is refused (400)" "400" "$CODE"
load '{"name": "flags", "program": "uapi_udp_drop.bpf.c -DX", "interface": "lo"}'
check_eq "API: no flags ride along with the path (400: no such file)" "400" "$CODE"

# ---- a reload onto a source that does not compile keeps what runs ---------------------
cp "$bad" "$good.bad" && sed -i 's/"broken"/"udp_drop"/' "$good.bad"
cp "$good" "$good.orig" && cp "$good.bad" "$good"
daemon_reload >/dev/null 2>"$T_TMP/reload.err"
check_eq "reload onto a broken source fails" 1 "$?"
check_contains "... the log names the block and clang's file:line:col" \
	"xdp \"udp_drop\": program $progs/bad.bpf.c does not compile: $progs/bad.bpf.c:7:9: error" \
	"$(cat "$T_TMP/reload.err")"
check_contains "... and the compiled program still runs" '"hook": "xdp"' \
	"$(api http://127.0.0.1:8080/api/ebpf/programs/udp_drop)"
