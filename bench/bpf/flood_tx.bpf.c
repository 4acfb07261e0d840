// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * Benchmark helper, not shipped: the transmit side of bench/flood.sh. Run by
 * BPF_PROG_TEST_RUN in live-frames mode on one end of a veth pair, it sends
 * every frame out with XDP_TX, so the other end receives real frames through
 * its driver (native XDP). With n_sources set it first writes a random
 * source out of n_sources consecutive IPv4 addresses from first_source into
 * the frame and fixes the IPv4 header checksum, so that a receiver which
 * passes the frame to the stack sees a valid packet. With tcp set the TCP
 * checksum follows, and with random_port each frame also gets a random
 * source port (a SYN flood from many ports).
 */
#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

/* Set by flood_gen before the load (one struct: its layout is the ABI). */
const volatile struct {
	__u32 n_sources;        /* 0: the source as it is */
	__u32 first_source;     /* host order */
	__u32 tcp;              /* the frame is TCP */
	__u32 random_port;      /* a random TCP source port per frame */
} cfg = {};

/* RFC 1624 incremental update of a ones' complement sum for a 32-bit field. */
static __always_inline __u16 csum_replace4(__u16 check, __u32 from, __u32 to)
{
	__u32 sum = (__u16)~check;

	sum += (__u16)~(from >> 16) + (__u16)~(from & 0xffff);
	sum += (to >> 16) + (to & 0xffff);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	return ~sum;
}

SEC("xdp")
int flood_tx(struct xdp_md *ctx)
{
	void *data = (void *)(long)ctx->data, *end = (void *)(long)ctx->data_end;
	struct iphdr *ip = data + sizeof(struct ethhdr);
	struct tcphdr *th = (void *)(ip + 1);
	__u32 src, port;

	if (!cfg.n_sources && !cfg.random_port)
		return XDP_TX;
	if ((void *)(th + 1) > end)
		return XDP_ABORTED;
	if (cfg.n_sources) {
		src = bpf_htonl(cfg.first_source + bpf_get_prandom_u32() % cfg.n_sources);
		ip->check = csum_replace4(ip->check, ip->saddr, src);
		if (cfg.tcp)
			th->check = csum_replace4(th->check, ip->saddr, src);
		ip->saddr = src;
	}
	if (cfg.random_port) {
		/* source port and destination port as one 32-bit word */
		port = bpf_htons(1024 + bpf_get_prandom_u32() % 60000) | ((__u32)th->dest << 16);
		th->check = csum_replace4(th->check, *(__u32 *)th, port);
		*(__u32 *)th = port;
	}
	return XDP_TX;
}

char LICENSE[] SEC("license") = "GPL";
