// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Benchmark helper, not shipped: the sender of bench/synflood.sh, loaded by
 * bench/flood/flood_gen in place of flood_tx (same program name, same `cfg`).
 * It rewrites every header field of its 60-byte TCP SYN on each run, not
 * only the source: in live-frames mode a page comes back to the generator
 * with whatever the receiver left in it, and syn_guard turns each SYN into a
 * SYN-ACK in place (addresses, ports and MACs swapped). Each frame leaves as
 * a SYN from a random source of cfg's range and a random port, checksums
 * computed whole.
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

const volatile struct {
	__u32 n_sources;        /* random sources from first_source on */
	__u32 first_source;     /* host order */
	__u32 tcp;              /* unused: always TCP */
	__u32 random_port;      /* unused: always a random source port */
} cfg = {};

#define PAYLOAD 6               /* 60-byte frame: 14 + 20 + 20 + 6 */

static __always_inline __u16 fold(__u32 sum)
{
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int flood_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct ethhdr *eth = data;
	struct iphdr *ip = (void *)(eth + 1);
	struct tcphdr *th = (void *)(ip + 1);
	__u16 *w = (void *)th;
	__u8 mac[6];
	__u32 sum = 0;

	if ((void *)th + sizeof(*th) + PAYLOAD > end)
		return XDP_ABORTED;
	if (th->ack) {          /* came back as a SYN-ACK: turn it round */
		__builtin_memcpy(mac, eth->h_source, 6);
		__builtin_memcpy(eth->h_source, eth->h_dest, 6);
		__builtin_memcpy(eth->h_dest, mac, 6);
		ip->daddr = ip->saddr;
		th->dest = th->source;
	}
	*(__u16 *)ip = bpf_htons(0x4500);
	ip->tot_len = bpf_htons(sizeof(*ip) + sizeof(*th) + PAYLOAD);
	ip->id = 0;
	ip->frag_off = 0;
	ip->ttl = 64;
	ip->protocol = IPPROTO_TCP;
	ip->saddr = bpf_htonl(cfg.first_source + bpf_get_prandom_u32() % (cfg.n_sources ?: 1));
	ip->check = 0;
	for (int i = 0; i < 10; i++)
		sum += ((__u16 *)ip)[i];
	ip->check = fold(sum);

	th->source = bpf_htons(1024 + bpf_get_prandom_u32() % 60000);
	th->seq = bpf_get_prandom_u32();
	th->ack_seq = 0;
	((__u16 *)th)[6] = bpf_htons(0x5002);   /* data offset 5, SYN */
	th->window = bpf_htons(64240);
	th->check = 0;
	th->urg_ptr = 0;
	__builtin_memset((void *)(th + 1), 0, PAYLOAD);
	sum = (ip->saddr >> 16) + (ip->saddr & 0xffff) + (ip->daddr >> 16) + (ip->daddr & 0xffff) +
	      bpf_htons(IPPROTO_TCP) + bpf_htons(sizeof(*th) + PAYLOAD);
	for (int i = 0; i < (sizeof(*th) + PAYLOAD) / 2; i++)
		sum += w[i];
	th->check = fold(sum);
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
