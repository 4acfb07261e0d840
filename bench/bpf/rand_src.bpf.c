// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Benchmark helper, not shipped: BPF_PROG_TEST_RUN repeats one frame, so to
 * measure lookups with a different key per packet this program writes a
 * random address from `addrs` into the IPv4 source of the frame, then
 * tail-calls the program under test (slot 0 of `next`). Its own cost is
 * measured by tail-calling a bare XDP_DROP.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

__u32 n_addrs = 1;

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__type(key, __u32);
	__type(value, __u32);   /* an IPv4 address, network order */
	__uint(max_entries, 100000);
} addrs SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__type(key, __u32);
	__type(value, __u32);
	__uint(max_entries, 1);
} next SEC(".maps");

SEC("xdp")
int rand_src(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	__u32 index = n_addrs ? bpf_get_prandom_u32() % n_addrs : 0;
	__u32 *addr;

	if ((void *)(ip + 1) > end)
		return XDP_ABORTED;
	addr = bpf_map_lookup_elem(&addrs, &index);
	if (addr)
		ip->saddr = *addr;
	bpf_tail_call(ctx, &next, 0);
	return XDP_ABORTED;
}

char LICENSE[] SEC("license") = "GPL";
