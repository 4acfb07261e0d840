#!/usr/bin/env bash
# Where ddos_filter's time goes under a flood: attaches an object (built
# ddos_filter.o by default) in native XDP in a lab of its own (two namespaces,
# one veth pair, as bench/flood.sh), floods it from one source with
# bench/flood/flood_gen, samples every CPU with perf for 4 s, and prints, of
# the flood's samples (the generator and the ksoftirqd threads, whose
# contexts run the receiver), the program's own share and its helper calls'
# (hash lookup internals, clock reads...), then the program's hottest
# instructions (the JITed image, disassembled with objdump).
#
#   BUILD=build bench/flood/profile.sh [blocklisted|rate-limited] [OBJ]
#
# blocklisted: the source is in `blocklist` (and the verdict cache is on,
# as the daemon turns it on); rate-limited: it is not, and max_pps = 5000.
# Run bench/flood.sh once first: it builds flood_gen and flood_tx.o.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
CASE=${1:-blocklisted}
OBJ=${2:-$BUILD/bpf/ddos_filter.o}
OUT=$BUILD/flood
RX=fprof-$$-rx TX=fprof-$$-tx PIN=/sys/fs/bpf/flywall-fprof-$$
TMP=$(mktemp -d /tmp/flywall-fprof.XXXXXX)
GEN=

die() { echo "profile: $*" >&2; exit 1; }
cleanup() {
	[ -n "$GEN" ] && kill "$GEN" 2>/dev/null && wait "$GEN" 2>/dev/null
	ip netns del "$RX" 2>/dev/null
	ip netns del "$TX" 2>/dev/null
	rm -rf "$PIN" "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

[ "$(id -u)" = 0 ] || die "needs root"
command -v perf >/dev/null || die "needs perf"
[ -x "$OUT/flood_gen" ] && [ -f "$OUT/flood_tx.o" ] || die "run bench/flood.sh first (builds flood_gen)"
[ -x "$BUILD/tests/e2e/prog_args" ] || die "make test-build first (prog_args)"
${CC:-gcc} -O2 -Wall -o "$OUT/jit_image" bench/flood/jit_image.c -lbpf || die "cannot build jit_image"
case $CASE in
blocklisted) SRC=10.66.0.1 ;;
rate-limited) SRC=10.66.0.2 ;;
*) die "unknown case $CASE" ;;
esac

ip netns add "$RX" && ip netns add "$TX" &&
ip -n "$RX" link add eth0 type veth peer name eth0 netns "$TX" &&
ip -n "$RX" addr add 10.99.0.1/24 dev eth0 && ip -n "$TX" addr add 10.99.0.2/24 dev eth0 &&
ip -n "$RX" link set eth0 up && ip -n "$TX" link set eth0 up || die "cannot build the lab"
MAC=$(ip -n "$RX" -j link show eth0 | grep -o '"address":"[^"]*"' | cut -d'"' -f4)
mkdir -p "$PIN/maps"
bpftool prog loadall "$OBJ" "$PIN/prog" pinmaps "$PIN/maps" type xdp || die "cannot load $OBJ"
# ::ffff:10.66.0.1, never expires; the cache on, as the daemon's first write turns it
bpftool map update pinned "$PIN/maps/blocklist" key 0 0 0 0 0 0 0 0 0 0 255 255 10 66 0 1 \
	value 0 0 0 0 0 0 0 0 || die "cannot fill the blocklist"
[ -e "$PIN/maps/blocklist_generation" ] &&
	bpftool map update pinned "$PIN/maps/blocklist_generation" key 0 0 0 0 value 1 0 0 0 0 0 0 0
[ "$CASE" = rate-limited ] && { "$BUILD/tests/e2e/prog_args" "$PIN/prog/ddos_filter" max_pps=5000 ||
	die "cannot set max_pps"; }
nsenter --net="/var/run/netns/$RX" ip link set dev eth0 xdpdrv pinned "$PIN/prog/ddos_filter" ||
	die "cannot attach"
ID=$(bpftool -j prog show pinned "$PIN/prog/ddos_filter" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
START=$("$OUT/jit_image" "$ID" "$TMP/jited.bin") || die "cannot read the JITed image"

nsenter --net="/var/run/netns/$TX" "$OUT/flood_gen" "$OUT/flood_tx.o" eth0 "$MAC" "$SRC" 10.99.0.1 \
	12 >/dev/null 2>&1 &
GEN=$!
sleep 1
perf record -q -a -F 4999 -o "$TMP/perf.data" -- sleep 4 >/dev/null 2>&1 || die "perf record failed"
kill "$GEN"
wait "$GEN" 2>/dev/null
GEN=

echo "# ddos_filter, $CASE flood, $OBJ; load average $(cut -d' ' -f1-3 /proc/loadavg)"
perf report -i "$TMP/perf.data" --comm flood_gen,ksoftirqd/0,ksoftirqd/1 --percentage relative \
	--sort sym --stdio 2>/dev/null | python3 -c '
import re, sys
own = helpers = 0.0
calls = []
for line in sys.stdin:
    m = re.match(r"\s+([0-9.]+)%\s+\[.\]\s+(\S+)", line)
    if not m:
        continue
    share, sym = float(m.group(1)), m.group(2)
    if "_ddos_filter" in sym:
        own += share
    elif re.search(r"htab|lookup_nulls|memcmp|ktime_get|trie_lookup|percpu_elem|bpf_map_lookup"
                   r"|ringbuf|srso|return_thunk", sym):
        helpers += share
        calls.append("%s %.2f" % (sym, share))
print("of the flood'"'"'s CPU samples: the program %.1f %%, its helper calls %.1f %%%s" % (
    own, helpers, " (" + ", ".join(calls) + ")" if calls else ""))'
perf script -i "$TMP/perf.data" -F ip,sym 2>/dev/null | awk '/_ddos_filter/ { print $1 }' |
	sort | uniq -c >"$TMP/ips"
objdump -b binary -m i386:x86-64 -D "$TMP/jited.bin" | python3 -c '
import os, re, sys
start, size, ips = int(sys.argv[1], 16), os.path.getsize(sys.argv[3]), {}
for line in open(sys.argv[2]):
    n, ip = line.split()
    off = int(ip, 16) - start
    if 0 <= off < size:      # this program, not another ddos_filter loaded meanwhile
        ips[off] = int(n)
total = sum(ips.values()) or 1
insns = [(int(m.group(1), 16), m.group(2).strip()) for m in
         (re.match(r"\s+([0-9a-f]+):\s+(?:[0-9a-f]{2} )+\s*(.*)", l) for l in sys.stdin) if m]
print("the program'"'"'s hottest instructions (%d samples; offset, share, instruction, the one before):" % total)
for i, (off, text) in sorted(enumerate(insns), key=lambda x: -ips.get(x[1][0], 0))[:12]:
    print("  %5x %5.1f %%  %-40s (%s)" % (off, 100 * ips.get(off, 0) / total, text,
                                        insns[i - 1][1] if i else ""))' "$START" "$TMP/ips" "$TMP/jited.bin"
