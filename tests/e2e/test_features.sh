#!/usr/bin/env bash
# `flywall ebpf features`: what it reports must match what the kernel really
# does. Each expectation comes from an independent look at this kernel (its
# version, sysfs, tracefs, a load with bpftool), never from a hard-coded list,
# so the test holds on kernels with other feature sets.
. "$(dirname "$0")/lib.sh"

json=$T_TMP/features.json
progs_before=$(bpftool prog show 2>/dev/null | grep -c ' name probe_')

# The JSON report flattened once (python3 starts slowly): "path<TAB>value".
flatten() {
	python3 - "$json" >"$json.flat" <<'EOF'
import json, sys
def walk(prefix, v):
    if isinstance(v, dict):
        for k, sub in v.items():
            walk(prefix + [k], sub)
    else:
        print(".".join(prefix) + "\t" + json.dumps(v))
walk([], json.load(open(sys.argv[1])))
EOF
}
# jget PATH: a value from the report, as JSON ("true", "1", "\"text\""),
# "null" when absent.
jget() {
	local v
	v=$(awk -F'\t' -v k="$1" '$1 == k { print $2; exit }' "$json.flat")
	echo "${v:-null}"
}
# kernel_at_least MAJOR MINOR
kernel_at_least() {
	local major minor
	IFS=. read -r major minor _ <<<"$(uname -r)"
	((major > $1 || (major == $1 && minor >= $2)))
}
expect() { # desc path expected-json
	check_eq "$1" "$3" "$(jget "$2")"
}

check "features --json exits 0" sh -c "'$FLYWALL' ebpf features --json > '$json'"
check "features --json is valid JSON" flatten
check_eq "reports this kernel" "\"$(uname -r)\"" "$(jget kernel)"

# Program types that every kernel Flywall supports can load.
for p in xdp sched_cls socket_filter tracepoint raw_tracepoint cgroup_skb; do
	expect "program type $p loads" "program_types.$p.ok" true
done

# Attach points of the packet path, on a veth in the probe's own namespace.
if kernel_at_least 4 19; then
	expect "XDP native attaches on veth (kernel >= 4.19)" attach_points.xdp_native.ok true
fi
expect "XDP generic attaches" attach_points.xdp_generic.ok true
expect "tc clsact attaches" attach_points.tc_clsact.ok true
expect "socket filter attaches" attach_points.socket_filter.ok true
if kernel_at_least 6 6; then
	expect "tcx attaches (kernel >= 6.6)" attach_points.tcx.ok true
else
	expect "tcx does not attach (kernel < 6.6)" attach_points.tcx.ok false
fi

# Tracepoints need tracefs and the event; the probe uses net:netif_receive_skb.
if [ -d /sys/kernel/tracing/events/net/netif_receive_skb ]; then
	expect "tracepoint attaches (tracefs has net:netif_receive_skb)" \
		attach_points.tracepoint.ok true
else
	expect "tracepoint does not attach (no net:netif_receive_skb in tracefs)" \
		attach_points.tracepoint.ok false
fi

# kprobes: the kernel has them when it has the kprobe PMU or kprobe_events.
if [ -e /sys/bus/event_source/devices/kprobe ] || [ -e /sys/kernel/tracing/kprobe_events ]; then
	expect "kprobe on tcp_v4_connect attaches (kprobe PMU present)" \
		attach_points.kprobe.ok true
else
	expect "kprobe attach fails (no kprobe PMU, no kprobe_events)" attach_points.kprobe.ok false
	expect "kprobe failure is ENOENT" attach_points.kprobe.errno 2
	check_contains "kprobe failure carries libbpf's message" \
		"failed to create kprobe 'tcp_v4_connect+0x0'" "$(jget attach_points.kprobe.detail)"
fi
# libbpf's probe says kprobe programs load, and they do; only attaching tells.
expect "kprobe programs load" program_types.kprobe.ok true

# fentry: an independent load of a tiny fentry program with bpftool decides.
cat >"$T_TMP/fentry.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
SEC("fentry/tcp_v4_connect")
int fentry_probe(__u64 *ctx) { return 0; }
char LICENSE[] SEC("license") = "GPL";
EOF
pin=/sys/fs/bpf/flywall-test-$$-fentry
on_exit rm -f "$pin"
if clang -O2 -g -target bpf -I"$BUILD" -c "$T_TMP/fentry.bpf.c" -o "$T_TMP/fentry.o" 2>"$T_TMP/cc.err"; then
	if bpftool prog load "$T_TMP/fentry.o" "$pin" >"$T_TMP/bpftool.out" 2>&1; then
		expect "fentry loads, as bpftool's load does" program_types.fentry.ok true
		expect "fentry attaches" attach_points.fentry.ok true
	else
		expect "fentry fails to load, as bpftool's load does" program_types.fentry.ok false
		error=$(jget program_types.fentry.error | tr -d '"')
		check_contains "the reason is the one bpftool got ($error)" "$error" \
			"$(cat "$T_TMP/bpftool.out")"
		expect "fentry attach is not tried" attach_points.fentry.skipped true
	fi
	rm -f "$pin"
else
	not_ok "compile the fentry cross-check" "$(cat "$T_TMP/cc.err")"
fi

# Maps: all of these exist since 5.16 (bloom_filter is the newest).
if kernel_at_least 5 16; then
	for m in hash array percpu_array percpu_hash lru_hash lru_percpu_hash lpm_trie \
		perf_event_array ringbuf stack_trace bloom_filter array_of_maps hash_of_maps; do
		expect "map type $m is created" "map_types.$m.ok" true
	done
fi

# JIT, BTF and statistics match what /proc and /sys say.
jit=$(cat /proc/sys/net/core/bpf_jit_enable)
expect "bpf_jit_enable matches /proc" jit.bpf_jit_enable "$jit"
[ "$jit" != 0 ] && expect "a loaded program is JITed (JIT on)" jit.jited.ok true
if [ -r /sys/kernel/btf/vmlinux ]; then
	expect "vmlinux BTF is available" btf.vmlinux.ok true
	types=$(jget btf.types)
	check "vmlinux BTF has many types ($types)" test "$types" -gt 1000
else
	expect "vmlinux BTF is reported missing" btf.vmlinux.ok false
fi
expect "bpf_stats_enabled matches /proc" stats.bpf_stats_enabled \
	"$(cat /proc/sys/kernel/bpf_stats_enabled)"

# Nothing is left behind: programs, devices, cgroups.
progs_after=$(bpftool prog show 2>/dev/null | grep -c ' name probe_')
check_eq "no probe program stays loaded" "$progs_before" "$progs_after"
check_fails "no probe device in this namespace" ip link show fwprobe0
check_eq "no probe cgroup stays" "" \
	"$(find /sys/fs/cgroup -maxdepth 2 -name 'flywall-probe-*' 2>/dev/null)"

# The human table says the same things.
table=$("$FLYWALL" ebpf features 2>&1)
check_contains "table lists tcx" "tcx" "$table"
if [ "$(jget attach_points.kprobe.ok)" = false ]; then
	check_contains "table shows the kprobe failure with its errno" \
		"$(printf '  %-18s NO     %s' kprobe ENOENT)" "$table"
fi
out=$("$FLYWALL" ebpf features --bogus 2>&1)
check_eq "an unknown argument exits 2" 2 "$?"
check_contains "and says which" "unknown argument '--bogus'" "$out"
