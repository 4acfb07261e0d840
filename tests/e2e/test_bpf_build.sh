#!/usr/bin/env bash
# The BPF build path: a shipped object loads with bpftool and shows in
# `bpftool prog show`.
. "$(dirname "$0")/lib.sh"

pin=/sys/fs/bpf/flywall-test-$$-xdp_pass
on_exit rm -f "$pin"
check "build/bpf/xdp_pass.o exists" test -s "$BUILD/bpf/xdp_pass.o"
check "bpftool prog load xdp_pass.o" bpftool prog load "$BUILD/bpf/xdp_pass.o" "$pin"
id=$(bpftool -j prog show pinned "$pin" 2>/dev/null | sed -n 's/.*"id":\([0-9]*\).*/\1/p')
check_contains "bpftool prog show lists it" "name xdp_pass" "$(bpftool prog show id "${id:-0}" 2>&1)"
