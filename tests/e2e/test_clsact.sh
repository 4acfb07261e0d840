#!/usr/bin/env bash
# The clsact path of the hook manager (the fallback where tcx is missing,
# forced here with --tc-attach clsact): attach, swap in place with
# BPF_TC_F_REPLACE, a companion on the other direction, adoption after
# kill -9, and removal of every filter.
. "$(dirname "$0")/lib.sh"

lab_up_or_bail
P=$T_TMP/programs
mkdir -p "$P"
cat >"$P/tcdrop.bpf.c" <<'C'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
const volatile int verdict = 2;         /* TC_ACT_SHOT; -1 passes on */
SEC("tc") int tcdrop(struct __sk_buff *skb) { return verdict; }
SEC("tc") int tcdrop_egress(struct __sk_buff *skb) { return -1; }
char LICENSE[] SEC("license") = "GPL";
C
check "compile the test object" clang -O2 -g -target bpf -I"$BUILD" -c "$P/tcdrop.bpf.c" -o "$P/tcdrop.o"

config() { # verdict
	cat >"$T_TMP/tc.hcl" <<H
ebpf {
  program_dir = "$P"
  tc "tcdrop" {
    program = "tcdrop.o"
    interface = "eth0"
    direction = "ingress"
    args = { verdict = $1 }
  }
}
H
}
filters() { in_fw tc filter show dev eth0 "$1" | grep -c " handle "; }

config 2
check "applies with --tc-attach clsact" daemon_oneshot "$T_TMP/tc.hcl" --tc-attach clsact
check_eq "ingress clsact filter drops pings (0/3)" 0 "$(ping_replies 3)"
check_eq "one bpf filter on ingress" 1 "$(filters ingress)"
check_eq "its companion: one bpf filter on egress" 1 "$(filters egress)"
check_fails "no link is pinned for a clsact attachment" test -e "$FW_PIN_ROOT/links/tcdrop"

config -1
check_daemon_starts "daemon adopts and swaps (verdict -1: pass)" "$T_TMP/tc.hcl" --tc-attach clsact --no-api
check_contains "swapped in place" "1 replaced" "$(grep applied "$DAEMON_LOG" | tail -1)"
check_eq "pings pass after the swap (3/3)" 3 "$(ping_replies_after_drop 3)"
check_eq "still one filter on ingress" 1 "$(filters ingress)"
check_eq "still one filter on egress" 1 "$(filters egress)"

kill -9 "$DAEMON_PID"; wait "$DAEMON_PID" 2>/dev/null; DAEMON_PID=
check_eq "after kill -9 the filters stay" "1 1" "$(filters ingress) $(filters egress)"
check "restart adopts them" daemon_oneshot "$T_TMP/tc.hcl" --tc-attach clsact
check_eq "nothing attached twice" "1 1" "$(filters ingress) $(filters egress)"

check "ebpf clean" flywall_fw ebpf clean --pin-root "$FW_PIN_ROOT"
check_eq "clean removed both filters" "0 0" "$(filters ingress) $(filters egress)"
check_fails "--tc-attach takes auto or clsact" flywall_fw daemon --tc-attach fast --oneshot
