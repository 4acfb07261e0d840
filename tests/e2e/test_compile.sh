#!/usr/bin/env bash
# `flywall ebpf compile`: compiles against the running kernel's vmlinux.h and

# recompiles when the source or an included header changes, shows clang's
# errors with a summary naming the file, and the object loads in the kernel.
. "$(dirname "$0")/lib.sh"

cache=$T_TMP/cache
src=$T_TMP/src
mkdir -p "$src/inc"
export FLYWALL_CACHE_DIR=$cache

cat >"$src/counter.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include "flywall/events.h"
#include "parse.h"
#include "verdict.h"

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, 1);
} seen SEC(".maps");

SEC("xdp")
int count_and_pass(struct xdp_md *ctx)
{
	__u32 key = 0;
	__u64 *n = bpf_map_lookup_elem(&seen, &key);

	if (n)
		__sync_fetch_and_add(n, sizeof(struct fw_event_hdr) / 16);
	return VERDICT;
}

char LICENSE[] SEC("license") = "GPL";
EOF
echo '#define VERDICT XDP_PASS' >"$src/inc/verdict.h"

compile() { "$FLYWALL" ebpf compile "$src/counter.bpf.c" -I "$src/inc" -o "$T_TMP/counter.o"; }

out=$(compile 2>&1)
check_eq "first compile exits 0" 0 "$?"
check_contains "first compile says compiled" "compiled $src/counter.bpf.c -> $T_TMP/counter.o" "$out"
check "the object is written" test -s "$T_TMP/counter.o"
vmlinux=$(find "$cache/vmlinux" -name vmlinux.h)
check_eq "vmlinux.h is made once, in the cache dir" 1 "$(printf '%s\n' "$vmlinux" | grep -c .)"
check_contains "vmlinux.h comes from the kernel's BTF" "struct xdp_md {" "$(cat "$vmlinux")"
cp "$T_TMP/counter.o" "$T_TMP/first.o"

start=$(date +%s%N)
out=$(compile 2>&1)
elapsed_ms=$((($(date +%s%N) - start) / 1000000))
check_contains "unchanged: says cached (${elapsed_ms} ms)" "cached $src/counter.bpf.c" "$out"
check "unchanged: same object" cmp "$T_TMP/first.o" "$T_TMP/counter.o"

echo '#define VERDICT XDP_DROP' >"$src/inc/verdict.h"
out=$(compile 2>&1)
check_contains "an included header changed: recompiled" "compiled $src/counter.bpf.c" "$out"
check_fails "the new object differs" cmp -s "$T_TMP/first.o" "$T_TMP/counter.o"

echo '#define VERDICT XDP_PASS' >"$src/inc/verdict.h"
out=$(compile 2>&1)
check_contains "header changed back: the first object is reused" "cached" "$out"
check "and it is the first object" cmp "$T_TMP/first.o" "$T_TMP/counter.o"

echo '/* a comment changes the source bytes */' >>"$src/counter.bpf.c"
out=$(compile 2>&1)
check_contains "source changed: recompiled" "compiled" "$out"

out=$("$FLYWALL" ebpf compile "$src/counter.bpf.c" -I "$src/inc" -I "$src" -o "$T_TMP/counter.o" 2>&1)
check_contains "other flags: recompiled" "compiled" "$out"

out=$("$FLYWALL" ebpf compile "$src/counter.bpf.c" -I "$src/inc" -I "$src" -o "$T_TMP/counter.o" \
	--json 2>&1)
check_eq "--json: cached, with the output and the cached object" \
	"True $T_TMP/counter.o $cache/objects" \
	"$(python3 -c 'import json, os, sys; d = json.loads(sys.argv[1]);
print(d["cached"], d["output"], os.path.dirname(d["object"]))' "$out" 2>&1)"

# The object is a real, loadable eBPF program.
pin=/sys/fs/bpf/flywall-test-$$-compile
on_exit rm -f "$pin"
check "bpftool prog load accepts the object" bpftool prog load "$T_TMP/counter.o" "$pin"
check_contains "bpftool shows the program" "count_and_pass" "$(bpftool prog show pinned "$pin" 2>&1)"
rm -f "$pin"

# Without -o: NAME.o in the current directory, as cc -c does.
rm -f "$T_TMP/counter.o"
out=$(cd "$T_TMP" && "$FLYWALL" ebpf compile "$src/counter.bpf.c" -I "$src/inc" 2>&1)
check_contains "default output is counter.o" "-> counter.o" "$out"
check "counter.o is in the current directory" test -s "$T_TMP/counter.o"

# --cache-dir wins over FLYWALL_CACHE_DIR.
out=$("$FLYWALL" ebpf compile "$src/counter.bpf.c" -I "$src/inc" -o "$T_TMP/c2.o" \
	--cache-dir "$T_TMP/cache2" 2>&1)
check_contains "a new cache dir compiles afresh" "compiled" "$out"
check "and gets its own vmlinux.h" test -s "$(find "$T_TMP/cache2/vmlinux" -name vmlinux.h)"

# Errors: clang's diagnostics as it prints them, one summary, exit 1.
cat >"$src/broken.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int broken(struct xdp_md *ctx)
{
	return undeclared_thing;
}
EOF
out=$("$FLYWALL" ebpf compile "$src/broken.bpf.c" -o "$T_TMP/broken.o" 2>&1)
check_eq "a broken source exits 1" 1 "$?"
check_contains "clang's error names file:line" \
	"$src/broken.bpf.c:7:9: error: use of undeclared identifier 'undeclared_thing'" "$out"
check_contains "the summary names the file" \
	"flywall ebpf compile: $src/broken.bpf.c: compilation failed" "$out"
check_fails "no object is written" test -e "$T_TMP/broken.o"
out=$("$FLYWALL" ebpf compile "$src/broken.bpf.c" -o "$T_TMP/broken.o" --json 2>/dev/null)
check_contains "--json carries the diagnostics" "broken.bpf.c:7:9: error" "$out"

out=$("$FLYWALL" ebpf compile "$src/missing.bpf.c" 2>&1)
check_eq "a missing file exits 1" 1 "$?"
check_contains "and is named" "$src/missing.bpf.c: No such file or directory" "$out"
out=$("$FLYWALL" ebpf compile "$src/counter.bpf.c" -I "$src/nope" 2>&1)
check_contains "a missing include dir is named" "include directory $src/nope" "$out"
"$FLYWALL" ebpf compile >/dev/null 2>&1
check_eq "no file is a usage error (exit 2)" 2 "$?"

leftovers=$(find "$cache" -name '.*.tmp')
check_eq "no temporary file is left in the cache" "" "$leftovers"
