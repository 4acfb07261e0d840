// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * The smallest program of each kind, for `flywall ebpf features`. Each one is
 * loaded alone (autoload off for the rest), because on some kernels a kind
 * fails to load (fentry: EPERM with an empty log) and libbpf aborts the whole
 * object at the first failure. They do nothing: they only have to pass the
 * verifier and attach. src/ebpf/features.c names them, keep the two in step.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

SEC("xdp")
int probe_xdp(struct xdp_md *ctx)
{
	return XDP_PASS;
}

SEC("tc")
int probe_sched_cls(struct __sk_buff *skb)
{
	return 0; /* TC_ACT_OK */
}

SEC("socket")
int probe_socket_filter(struct __sk_buff *skb)
{
	return skb->len; /* keep the whole packet */
}

SEC("tracepoint/net/netif_receive_skb")
int probe_tracepoint(void *ctx)
{
	return 0;
}

SEC("raw_tp/netif_receive_skb")
int probe_raw_tracepoint(void *ctx)
{
	return 0;
}

SEC("tp_btf/netif_receive_skb")
int probe_tp_btf(__u64 *ctx)
{
	return 0;
}

SEC("kprobe/tcp_v4_connect")
int probe_kprobe(struct pt_regs *ctx)
{
	return 0;
}

SEC("kprobe.multi/tcp_v4_connect")
int probe_kprobe_multi(struct pt_regs *ctx)
{
	return 0;
}

SEC("fentry/tcp_v4_connect")
int probe_fentry(__u64 *ctx)
{
	return 0;
}

SEC("fexit/tcp_v4_connect")
int probe_fexit(__u64 *ctx)
{
	return 0;
}

SEC("lsm/socket_connect")
int probe_lsm(__u64 *ctx)
{
	return 0;
}

SEC("cgroup_skb/ingress")
int probe_cgroup_skb(struct __sk_buff *skb)
{
	return 1; /* allow */
}

SEC("cgroup/connect4")
int probe_cgroup_connect4(struct bpf_sock_addr *ctx)
{
	return 1; /* allow */
}

char LICENSE[] SEC("license") = "GPL";
