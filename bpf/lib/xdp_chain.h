/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Several XDP programs on one interface without freplace (which this
 * kernel lacks): Flywall attaches its root program (bpf/xdp_chain.bpf.c) and
 * runs the chain's members through tail calls. A member continues the chain
 * by returning fw_xdp_chain_next(ctx) where it would return XDP_PASS; run
 * alone (no priority, or outside Flywall) the call is a plain XDP_PASS.
 *
 * The chain is a linked list over slots, so a member is inserted or removed
 * with one write and no packet ever finds a gap:
 *   fw_xdp_chain        slot -> program (a member keeps its slot while it
 *                       runs; replacing it is one update of that slot)
 *   fw_xdp_chain_links  slot -> the slot that runs after it; the entry
 *                       FW_XDP_CHAIN_HEAD leads to the first, a value of
 *                       FW_XDP_CHAIN_END (the same number) ends the chain
 *   fw_xdp_chain_pos    per CPU: the slot of the member running now (a packet
 *                       runs start to end on one CPU, tail calls included)
 * The daemon hands a member the chain's maps before load (the object's maps
 * of these names are replaced by the interface's); see docs/programs.md.
 */
#ifndef FLYWALL_BPF_XDP_CHAIN_H
#define FLYWALL_BPF_XDP_CHAIN_H

#include <bpf/bpf_helpers.h>

#define FW_XDP_CHAIN_SLOTS 16
#define FW_XDP_CHAIN_HEAD FW_XDP_CHAIN_SLOTS
#define FW_XDP_CHAIN_END FW_XDP_CHAIN_SLOTS /* out of fw_xdp_chain's range */

struct {
	__uint(type, BPF_MAP_TYPE_PROG_ARRAY);
	__uint(max_entries, FW_XDP_CHAIN_SLOTS);
	__type(key, __u32);
	__type(value, __u32);
} fw_xdp_chain SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, FW_XDP_CHAIN_SLOTS + 1);
	__type(key, __u32);
	__type(value, __u32);
} fw_xdp_chain_links SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} fw_xdp_chain_pos SEC(".maps");

/* Runs the member after the one at *pos (from: that slot, or the head). */
static __always_inline int fw_xdp_chain_run_after(struct xdp_md *ctx, __u32 from)
{
	__u32 zero = 0, *pos = bpf_map_lookup_elem(&fw_xdp_chain_pos, &zero);
	__u32 *next = bpf_map_lookup_elem(&fw_xdp_chain_links, &from);

	if (!pos || !next || *next >= FW_XDP_CHAIN_END)
		return XDP_PASS;
	*pos = *next;
	bpf_tail_call(ctx, &fw_xdp_chain, *next);
	return XDP_PASS; /* an empty slot: the chain ends here */
}

/* XDP_PASS for a member: the next member decides, or the stack when none. */
static __always_inline int fw_xdp_chain_next(struct xdp_md *ctx)
{
	__u32 zero = 0, *pos = bpf_map_lookup_elem(&fw_xdp_chain_pos, &zero);

	if (!pos)
		return XDP_PASS;
	return fw_xdp_chain_run_after(ctx, *pos);
}

#endif
