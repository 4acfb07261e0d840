#!/usr/bin/env bash
# `flywall ebpf test OBJECT PCAP`: every frame of a capture through a program
# with BPF_PROG_TEST_RUN, offline. Checks the verdict tallies, the counters
# read back from the kernel afterwards, args and map overrides as the config
# applies them, and the errors a user meets (not a pcap, not Ethernet,
# truncated, a verifier rejection, frames the kernel cannot run).
. "$(dirname "$0")/lib.sh"

DDOS=$BUILD/bpf/ddos_filter.o
dir=$T_TMP

# ---- programs compiled here -------------------------------------------------

cat >"$dir/drop.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}
char LICENSE[] SEC("license") = "GPL";
EOF

# Three programs: which one runs is chosen with `program NAME`; the xdp one
# returns its arg so `arg verdict=N` shows in the verdicts.
cat >"$dir/multi.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

volatile const __u32 verdict = 2; /* XDP_PASS */

SEC("xdp")
int xdp_verdict(struct xdp_md *ctx)
{
	return verdict;
}

SEC("tc")
int tc_next(struct __sk_buff *skb)
{
	return -1; /* TC_ACT_UNSPEC */
}

SEC("socket")
int sock_head(struct __sk_buff *skb)
{
	return skb->len > 100 ? 0 : 32; /* keep 32 bytes of small frames, drop big ones */
}
char LICENSE[] SEC("license") = "GPL";
EOF

# Reads the packet without a bounds check: the verifier refuses it.
cat >"$dir/unsafe.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int xdp_unsafe(struct xdp_md *ctx)
{
	return *(__u8 *)(long)ctx->data;
}
char LICENSE[] SEC("license") = "GPL";
EOF

# A tracepoint program: no test run takes it.
cat >"$dir/tp.bpf.c" <<'EOF'
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("tracepoint/net/netif_receive_skb")
int on_receive(void *ctx)
{
	return 0;
}
char LICENSE[] SEC("license") = "GPL";
EOF

for prog in drop multi unsafe tp; do
	if ! out=$(clang -O2 -g -target bpf -D__TARGET_ARCH_x86 -I"$BUILD" \
		-c -o "$dir/$prog.o" "$dir/$prog.bpf.c" 2>&1); then
		not_ok "compile $prog.bpf.c" "$out"
		exit 1
	fi
done
ok "test programs compile"

# ---- pcaps written here (classic pcap: 24-byte header, 16 per record) --------

# mkpcap FILE LINKTYPE FRAME... where FRAME is udpN (N normal UDP/IPv4
# frames, each from its own source), trunc_ip (Ethernet + IPv4 type + 6 bytes),
# short (10 bytes), big (1000-byte UDP), jumbo (5000-byte UDP), cut (the last
# record's bytes are missing from the file: a truncated capture).
mkpcap() {
	python3 - "$@" <<'EOF'
import struct, sys

def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    return ~(s + (s >> 16)) & 0xffff

ETH = bytes.fromhex("020000000002" "020000000001" "0800")

def udp(i, payload_len=18):
    ln = 28 + payload_len
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, ln, i & 0xffff, 0, 64, 17, 0,
                     bytes([10, 1, (i >> 8) & 255, i & 255]), bytes([10, 0, 0, 1]))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return ETH + ip + struct.pack("!HHHH", 1024 + i % 1000, 53, 8 + payload_len, 0) + b"x" * payload_len

path, linktype, words = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
frames, cut = [], False
for w in words:
    if w.startswith("udp"):
        frames += [udp(len(frames) + i) for i in range(int(w[3:]))]
    elif w == "trunc_ip":
        frames.append(ETH + b"\x45\x00\x00\x54\x00\x00")
    elif w == "short":
        frames.append(b"\x02" * 10)
    elif w == "big":
        frames.append(udp(len(frames), 1000 - 42))
    elif w == "jumbo":
        frames.append(udp(len(frames), 5000 - 42))
    elif w == "cut":
        cut = True
with open(path, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xa1b2c3d4, 2, 4, 0, 0, 65535, linktype))
    for i, fr in enumerate(frames):
        f.write(struct.pack("<IIII", i, 0, len(fr), len(fr)))
        f.write(fr[: len(fr) // 2] if cut and i == len(frames) - 1 else fr)
EOF
}

# json_get FILE PYTHON-EXPR-ON-d
json_get() { python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print($2)" "$1"; }

mkpcap "$dir/udp50.pcap" 1 udp50
mkpcap "$dir/mixed.pcap" 1 udp3 trunc_ip short big
mkpcap "$dir/jumbo.pcap" 1 udp1 jumbo
mkpcap "$dir/raw.pcap" 101 udp2
mkpcap "$dir/cut.pcap" 1 udp5 cut
echo "not a capture at all" >"$dir/notes.pcap"

# ---- verdicts -----------------------------------------------------------------

out=$("$FLYWALL" ebpf test "$dir/drop.o" "$dir/udp50.pcap" 2>&1)
check_eq "xdp_drop: exit 0" 0 $?
check_contains "xdp_drop: 50 packets, all XDP_DROP" "XDP_DROP                 50  100.0%" "$out"

"$FLYWALL" ebpf test "$DDOS" "$dir/udp50.pcap" --json >"$dir/ddos.json" 2>"$dir/ddos.err"
check_eq "ddos_filter --json: exit 0" 0 $?
check "ddos_filter --json parses" python3 -m json.tool "$dir/ddos.json"
check_eq "ddos_filter: 50 packets" 50 "$(json_get "$dir/ddos.json" 'd["packets"]')"
check_eq "ddos_filter: every normal UDP frame XDP_PASS" "50 100.0" \
	"$(json_get "$dir/ddos.json" 'd["verdicts"]["XDP_PASS"]["count"], d["verdicts"]["XDP_PASS"]["percent"]')"
check_eq "ddos_filter: no other verdict, no error" "1 0" \
	"$(json_get "$dir/ddos.json" 'len(d["verdicts"]), len(d["errors"])')"
# index 0 is "pass" (include/flywall/ddos.h), read back from the kernel's per-CPU map
check_eq "ddos_counters[pass] equals the packet count" 50 \
	"$(json_get "$dir/ddos.json" 'd["counters"]["ddos_counters"][0]')"
check "ns_per_packet is the kernel's (> 0)" \
	python3 -c "import json,sys; assert json.load(open(sys.argv[1]))['ns_per_packet'] > 0" "$dir/ddos.json"

# truncated Ethernet/IPv4 → malformed; 10 bytes → an error with why
"$FLYWALL" ebpf test "$DDOS" "$dir/mixed.pcap" --json >"$dir/mixed.json" 2>&1
check_eq "mixed pcap: exit 0 (frames the kernel refuses are tallied)" 0 $?
check_eq "mixed: 6 packets, 5 ran" "6 5" "$(json_get "$dir/mixed.json" 'd["packets"], d["ran"]')"
check_eq "truncated IPv4 frame counted as malformed (ddos_counters[6])" 1 \
	"$(json_get "$dir/mixed.json" 'd["counters"]["ddos_counters"][6]')"
check_eq "truncated frame dropped, the 4 UDP frames passed" "1 4" \
	"$(json_get "$dir/mixed.json" 'd["verdicts"]["XDP_DROP"]["count"], d["verdicts"]["XDP_PASS"]["count"]')"
reasons=$(json_get "$dir/mixed.json" '"\n".join(e["reason"] for e in d["errors"])')
check_eq "a 10-byte frame: an error, shorter than an Ethernet header, naming the packet" \
	"shorter than an Ethernet header (14 bytes); first: packet 4, 10 bytes: Invalid argument" \
	"$reasons"

out=$("$FLYWALL" ebpf test "$DDOS" "$dir/mixed.pcap" --verbose 2>&1)
check_eq "--verbose: one line per packet" 6 "$(grep -cE '^ +[0-9]+ +[0-9]+  ' <<<"$out")"
check_contains "--verbose: packet 3 (the truncated frame), 20 bytes, dropped" \
	"       3     20  XDP_DROP" "$out"

# ---- program choice, args, map overrides ----------------------------------------

out=$("$FLYWALL" ebpf test "$dir/multi.o" "$dir/udp50.pcap" 2>&1)
check_contains "multi.o: the first runnable program (xdp), its default arg: XDP_PASS" \
	"program xdp_verdict (xdp), 50 packets" "$out"
check_contains "multi.o: 50 XDP_PASS" "XDP_PASS                 50  100.0%" "$out"
out=$("$FLYWALL" ebpf test "$dir/multi.o" "$dir/udp50.pcap" arg verdict=1 2>&1)
check_contains "arg verdict=1 sets the global: XDP_DROP" "XDP_DROP                 50  100.0%" "$out"
out=$("$FLYWALL" ebpf test "$dir/multi.o" "$dir/udp50.pcap" program tc_next 2>&1)
check_contains "program tc_next: TC_ACT_UNSPEC shown as pass (next)" \
	"pass (next)              50  100.0%" "$out"
out=$("$FLYWALL" ebpf test "$dir/multi.o" "$dir/mixed.pcap" program sock_head 2>&1)
check_contains "program sock_head: small frames, accept 32 bytes" \
	"accept 32 bytes           3" "$out"
check_contains "program sock_head: big frames dropped" "drop                      1" "$out"
check_contains "program sock_head: a truncated IPv4 header is refused by the kernel (skb run)" \
	"refused by the kernel (tc and socket filter runs check the IPv4/IPv6 header the EtherType announces: is it cut short?); first: packet 3, 20 bytes" "$out"
out=$("$FLYWALL" ebpf test "$dir/multi.o" "$dir/jumbo.pcap" program sock_head 2>&1)
check_contains "socket filter: a 5000-byte frame is an error with why" \
	"larger than the kernel's test-run limit for skb programs (one page less head- and tailroom); first: packet 1, 5000 bytes" "$out"
out=$("$FLYWALL" ebpf test "$dir/drop.o" "$dir/jumbo.pcap" 2>&1)
check_contains "xdp: the kernel runs a 5000-byte frame (multi-buffer)" \
	"XDP_DROP                  2  100.0%" "$out"
out=$("$FLYWALL" ebpf test "$dir/multi.o" "$dir/udp50.pcap" program nope 2>&1)
check_eq "program nope: exit 1" 1 $?
check_contains "program nope: names the programs there" \
	"has no program named 'nope' (its programs: xdp_verdict, tc_next, sock_head)" "$out"

"$FLYWALL" ebpf test "$DDOS" "$dir/udp50.pcap" map ddos_counters::32 --json >"$dir/map.json" 2>&1
check_eq "map ddos_counters::32 resizes the counters (32 read back)" 32 \
	"$(json_get "$dir/map.json" 'len(d["counters"]["ddos_counters"])')"

# ---- errors --------------------------------------------------------------------

out=$("$FLYWALL" ebpf test "$DDOS" "$dir/notes.pcap" 2>&1)
check_eq "not a pcap: exit 1" 1 $?
check_contains "not a pcap: names the file and why" "pcap $dir/notes.pcap: unknown file format" "$out"
out=$("$FLYWALL" ebpf test "$DDOS" "$dir/raw.pcap" 2>&1)
check_eq "link type RAW: exit 1" 1 $?
check_contains "link type RAW: named" "pcap $dir/raw.pcap: link type RAW (" "$out"
out=$("$FLYWALL" ebpf test "$DDOS" "$dir/cut.pcap" 2>&1)
check_eq "truncated pcap: exit 1" 1 $?
check_contains "truncated pcap: after which packet, and why" \
	"pcap $dir/cut.pcap: after packet 4: truncated dump file" "$out"
out=$("$FLYWALL" ebpf test "$DDOS" "$dir/missing.pcap" 2>&1)
check_eq "missing pcap: exit 1" 1 $?
check_contains "missing pcap: named" "$dir/missing.pcap: No such file or directory" "$out"
out=$("$FLYWALL" ebpf test "$dir/missing.o" "$dir/udp50.pcap" 2>&1)
check_eq "missing object: exit 1" 1 $?
check_contains "missing object: named" "object $dir/missing.o: No such file or directory" "$out"
out=$("$FLYWALL" ebpf test "$dir/notes.pcap" "$dir/udp50.pcap" 2>&1)
check_eq "object not ELF: exit 1" 1 $?
check_contains "object not ELF: says so" "not an ELF file" "$out"
out=$("$FLYWALL" ebpf test "$dir/unsafe.o" "$dir/udp50.pcap" 2>&1)
check_eq "verifier rejection: exit 1" 1 $?
check_contains "verifier rejection: the program and the verifier's reason" \
	"program xdp_unsafe: the verifier rejected it: R1 offset is outside of the packet" "$out"
out=$("$FLYWALL" ebpf test "$dir/tp.o" "$dir/udp50.pcap" 2>&1)
check_eq "tracepoint-only object: exit 1" 1 $?
check_contains "tracepoint-only object: says which hooks a test run takes" \
	"object $dir/tp.o has no xdp, tc or socket_filter program" "$out"
out=$("$FLYWALL" ebpf test "$dir/tp.o" "$dir/udp50.pcap" program on_receive 2>&1)
check_contains "program on_receive (a tracepoint): cannot run frames, says why" \
	"program on_receive (SEC \"tracepoint/net/netif_receive_skb\") cannot run frames" "$out"
out=$("$FLYWALL" ebpf test "$DDOS" "$dir/notes.pcap" --json 2>/dev/null)
check "an error with --json is JSON too" python3 -c "import json,sys; assert 'error' in json.loads(sys.argv[1])" "$out"

out=$("$FLYWALL" ebpf test "$DDOS" 2>&1)
check_eq "no PCAP: usage, exit 2" 2 $?
out=$("$FLYWALL" ebpf test "$DDOS" "$dir/udp50.pcap" map ddos_counters:hsah:8 2>&1)
check_eq "bad map type: exit 2" 2 $?
check_contains "bad map type: suggests the right one" "hash" "$out"
out=$("$FLYWALL" ebpf test "$DDOS" "$dir/udp50.pcap" arg =3 2>&1)
check_eq "arg without a name: exit 2" 2 $?
