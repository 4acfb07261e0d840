#!/usr/bin/env bash
# Runs the benchmarks (`make bench` builds them first) and prints their
# tables; bench/RESULTS.md holds the latest figures and how they were taken.
#   BUILD=build bench/run.sh [REPEAT]
# REPEAT (BENCH_REPEAT for the benchmarks, default 1,000,000) is how many
# times BPF_PROG_TEST_RUN repeats a frame; each benchmark keeps its own
# command line defaults. SCALE_SIZES (default "10000 100000 1000000") are the
# blocklist sizes bench/scale.sh runs.
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
CLANG=${CLANG:-clang}
export BUILD BENCH_REPEAT=${1:-1000000}

if [ "$(sysctl -n kernel.bpf_stats_enabled 2>/dev/null || echo 0)" != 0 ]; then
	echo "warning: kernel.bpf_stats_enabled=1 adds ~35 ns to every run; figures are inflated" >&2
fi
# Not shipped, so not in the Makefile's bpf/ rule: the random-key wrapper.
mkdir -p "$BUILD/bench"
"$CLANG" -O2 -g -target bpf -D__TARGET_ARCH_x86 -Wall -I"$BUILD" -Iinclude -Ibpf/lib \
	-c bench/bpf/rand_src.bpf.c -o "$BUILD/bench/rand_src.o"

echo "# $(uname -r), $(nproc) CPUs, $(date -u +%Y-%m-%dT%H:%MZ)"
for bench in "$BUILD"/bench/*; do
	[ -f "$bench" ] && [ -x "$bench" ] || continue
	echo
	echo "## ${bench##*/}"
	"$bench"
done

# The control plane at scale: the daemon in a lab namespace, 10k to 1M
# blocklist entries (bench/scale.sh; needs root and wrk).
echo
echo "## scale (bench/scale.sh)"
bench/scale.sh ${SCALE_SIZES:-}

# Real frames through a veth pair, with the daemon running (a few minutes;
# appends its table to bench/RESULTS.md).
echo
echo "## flood"
bench/flood.sh

# A legitimate client under a SYN flood, with and without syn_guard (a few
# minutes; appends its table to bench/RESULTS.md).
echo
echo "## synflood"
bench/synflood.sh
