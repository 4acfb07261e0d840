// SPDX-License-Identifier: GPL-2.0
/*
 * The root of an XDP chain: what Flywall attaches on an interface whose xdp
 * blocks have priorities. It runs the first member; each member runs the
 * next through fw_xdp_chain_next() (lib/xdp_chain.h). An empty chain passes.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "xdp_chain.h"

SEC("xdp")
int xdp_chain(struct xdp_md *ctx)
{
	return fw_xdp_chain_run_after(ctx, FW_XDP_CHAIN_HEAD);
}

char LICENSE[] SEC("license") = "GPL";
