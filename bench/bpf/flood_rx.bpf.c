// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Benchmark helper, not shipped: the bare receivers of bench/flood.sh, the
 * floor any XDP filter is measured against. They count nothing themselves:
 * the benchmark reads the receiving interface's own counters for every
 * receiver alike.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int bare_drop(struct xdp_md *ctx)
{
	return XDP_DROP;
}

SEC("xdp")
int bare_pass(struct xdp_md *ctx)
{
	return XDP_PASS;
}

char LICENSE[] SEC("license") = "GPL";
