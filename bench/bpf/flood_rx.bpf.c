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

/* The TC floor: drops every packet at the clsact ingress hook. */
SEC("tc")
int bare_tc_drop(struct __sk_buff *skb)
{
	return 2; /* TC_ACT_SHOT */
}

char LICENSE[] SEC("license") = "GPL";
