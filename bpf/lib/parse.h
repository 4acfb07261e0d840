/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Packet parsing for XDP and TC programs: Ethernet with up to two VLAN tags,
 * IPv4 and IPv6 (with a bounded walk over extension headers), then the L4
 * header. Every read is bounds-checked against data_end; a frame that is too
 * short or inconsistent is reported as malformed, never read past its end.
 *
 * Addresses come out as 16 bytes, IPv4 as ::ffff:a.b.c.d, the form every
 * Flywall map uses (include/flywall/ddos.h).
 */
#ifndef FLYWALL_BPF_PARSE_H
#define FLYWALL_BPF_PARSE_H

#include "vmlinux.h"
#include <bpf/bpf_endian.h>
#include <bpf/bpf_helpers.h>

#define FW_ETH_P_IP 0x0800
#define FW_ETH_P_IPV6 0x86DD
#define FW_ETH_P_8021Q 0x8100
#define FW_ETH_P_8021AD 0x88A8

#define FW_IP_MF 0x2000
#define FW_IP_OFFSET 0x1FFF

#define FW_IPPROTO_HOPOPTS 0
#define FW_IPPROTO_ICMP 1
#define FW_IPPROTO_TCP 6
#define FW_IPPROTO_UDP 17
#define FW_IPPROTO_ROUTING 43
#define FW_IPPROTO_FRAGMENT 44
#define FW_IPPROTO_AH 51
#define FW_IPPROTO_ICMPV6 58
#define FW_IPPROTO_DSTOPTS 60

#define FW_MAX_VLAN_TAGS 2
#define FW_MAX_IPV6_EXT 6

enum fw_parse_status {
	FW_PARSE_OK = 0,
	FW_PARSE_NOT_IP,        /* a valid frame that is not IPv4/IPv6 */
	FW_PARSE_MALFORMED,     /* truncated or invalid header */
};

/* What the L2/L3 parse found. Addresses are in network order. */
struct fw_pkt {
	void *l4;               /* L4 header; NULL for non-first fragments */
	__u32 saddr[4];         /* IPv4 as ::ffff:a.b.c.d */
	__u32 daddr[4];
	__u16 vlan_id;          /* outer VLAN id, 0 if untagged */
	__u8 family;            /* 4 or 6 */
	__u8 l4proto;           /* IPPROTO_* after extension headers */
	__u8 fragment;          /* part of a fragmented datagram */
	__u8 later_fragment;    /* a fragment other than the first: no L4 header */
};

struct fw_vlan_hdr {
	__be16 tci;
	__be16 proto;
};

static __always_inline void fw_addr_from_v4(__u32 out[4], __be32 v4)
{
	out[0] = 0;
	out[1] = 0;
	out[2] = bpf_htonl(0x0000ffff);
	out[3] = v4;
}

/* Skips Ethernet and VLAN tags; returns the inner ethertype (network order). */
static __always_inline int fw_parse_l2(void **pos, void *end, struct fw_pkt *pkt,
				       __be16 *proto)
{
	struct ethhdr *eth = *pos;
	struct fw_vlan_hdr *vlan;
	int i;

	if ((void *)(eth + 1) > end)
		return FW_PARSE_MALFORMED;
	*proto = eth->h_proto;
	*pos = eth + 1;
#pragma unroll
	for (i = 0; i < FW_MAX_VLAN_TAGS; i++) {
		if (*proto != bpf_htons(FW_ETH_P_8021Q) &&
		    *proto != bpf_htons(FW_ETH_P_8021AD))
			return FW_PARSE_OK;
		vlan = *pos;
		if ((void *)(vlan + 1) > end)
			return FW_PARSE_MALFORMED;
		if (i == 0)
			pkt->vlan_id = bpf_ntohs(vlan->tci) & 0x0fff;
		*proto = vlan->proto;
		*pos = vlan + 1;
	}
	/* A third tag: we cannot see the IP header behind it. */
	if (*proto == bpf_htons(FW_ETH_P_8021Q) || *proto == bpf_htons(FW_ETH_P_8021AD))
		return FW_PARSE_MALFORMED;
	return FW_PARSE_OK;
}

/*
 * `wire` is how many bytes the frame has from pos on: in XDP the same as
 * end - pos, but in TC only the skb's linear part lies before end while
 * skb->len counts it all (a GRO packet is mostly in fragments). The IP
 * length is checked against the wire; headers are read below end.
 * A quoted header (the packet an ICMP error is about) is cut short by the
 * sender: its length is not checked against anything (wire = 0).
 */
static __always_inline int fw_parse_ipv4_hdr(void *pos, void *end, struct fw_pkt *pkt,
					     __u32 wire)
{
	struct iphdr *ip = pos;
	__u32 hdr_len, tot_len;
	__u16 frag;

	if ((void *)(ip + 1) > end)
		return FW_PARSE_MALFORMED;
	hdr_len = ip->ihl * 4;
	tot_len = bpf_ntohs(ip->tot_len);
	if (ip->version != 4 || hdr_len < sizeof(*ip))
		return FW_PARSE_MALFORMED;
	/* tot_len 0 is a BIG TCP GSO packet (over 64 KiB); else it must hold
	 * the header and fit in the frame */
	if (wire && !(tot_len == 0 && wire > 0xffff) &&
	    (tot_len < hdr_len || tot_len > wire))
		return FW_PARSE_MALFORMED;
	pkt->family = 4;
	pkt->l4proto = ip->protocol;
	fw_addr_from_v4(pkt->saddr, ip->saddr);
	fw_addr_from_v4(pkt->daddr, ip->daddr);
	frag = bpf_ntohs(ip->frag_off);
	pkt->fragment = (frag & (FW_IP_MF | FW_IP_OFFSET)) != 0;
	pkt->later_fragment = (frag & FW_IP_OFFSET) != 0;
	pkt->l4 = pkt->later_fragment ? NULL : pos + hdr_len;
	return FW_PARSE_OK;
}

/* Walks at most FW_MAX_IPV6_EXT extension headers to the L4 protocol. */
static __always_inline int fw_parse_ipv6_ext(void *pos, void *end, struct fw_pkt *pkt)
{
	struct ipv6_opt_hdr *opt;
	struct frag_hdr *frag;
	int i;

#pragma unroll
	for (i = 0; i < FW_MAX_IPV6_EXT; i++) {
		switch (pkt->l4proto) {
		case FW_IPPROTO_HOPOPTS:
		case FW_IPPROTO_ROUTING:
		case FW_IPPROTO_DSTOPTS:
			opt = pos;
			if ((void *)(opt + 1) > end)
				return FW_PARSE_MALFORMED;
			pkt->l4proto = opt->nexthdr;
			pos += (opt->hdrlen + 1) * 8;
			break;
		case FW_IPPROTO_AH:
			opt = pos;
			if ((void *)(opt + 1) > end)
				return FW_PARSE_MALFORMED;
			pkt->l4proto = opt->nexthdr;
			pos += (opt->hdrlen + 2) * 4;
			break;
		case FW_IPPROTO_FRAGMENT:
			frag = pos;
			if ((void *)(frag + 1) > end)
				return FW_PARSE_MALFORMED;
			pkt->l4proto = frag->nexthdr;
			pkt->fragment = 1;
			if (bpf_ntohs(frag->frag_off) & ~0x7)
				pkt->later_fragment = 1;
			pos = frag + 1;
			break;
		default:
			pkt->l4 = pkt->later_fragment ? NULL : pos;
			return FW_PARSE_OK;
		}
	}
	/* More extension headers than we walk: treat as unparseable. */
	return FW_PARSE_MALFORMED;
}

/* As fw_parse_ipv4_hdr(); payload_len 0 over 64 KiB is BIG TCP / jumbo. */
static __always_inline int fw_parse_ipv6_hdr(void *pos, void *end, struct fw_pkt *pkt,
					     __u32 wire)
{
	struct ipv6hdr *ip6 = pos;

	if ((void *)(ip6 + 1) > end)
		return FW_PARSE_MALFORMED;
	if (ip6->version != 6)
		return FW_PARSE_MALFORMED;
	if (wire && !(ip6->payload_len == 0 && wire > 0xffff + sizeof(*ip6)) &&
	    sizeof(*ip6) + bpf_ntohs(ip6->payload_len) > wire)
		return FW_PARSE_MALFORMED;
	pkt->family = 6;
	pkt->l4proto = ip6->nexthdr;
	__builtin_memcpy(pkt->saddr, &ip6->saddr, 16);
	__builtin_memcpy(pkt->daddr, &ip6->daddr, 16);
	return fw_parse_ipv6_ext(ip6 + 1, end, pkt);
}

/* The IP header quoted in an ICMP error, at pos. */
static __always_inline int fw_parse_ipv4_quoted(void *pos, void *end, struct fw_pkt *pkt)
{
	return fw_parse_ipv4_hdr(pos, end, pkt, 0);
}

static __always_inline int fw_parse_ipv6_quoted(void *pos, void *end, struct fw_pkt *pkt)
{
	return fw_parse_ipv6_hdr(pos, end, pkt, 0);
}

/*
 * Parses L2 and L3 of a frame whose readable bytes are [data, end) and
 * whose whole length is frame_len (XDP: end - data; TC: skb->len).
 */
static __always_inline int fw_parse_packet(void *data, void *end, __u32 frame_len,
					   struct fw_pkt *pkt)
{
	void *pos = data;
	__be16 proto;
	__u32 wire;
	int ret;

	ret = fw_parse_l2(&pos, end, pkt, &proto);
	if (ret != FW_PARSE_OK)
		return ret;
	wire = frame_len - (__u32)(pos - data);
	if (wire == 0 || wire > frame_len)
		return FW_PARSE_MALFORMED;
	if (proto == bpf_htons(FW_ETH_P_IP))
		return fw_parse_ipv4_hdr(pos, end, pkt, wire);
	if (proto == bpf_htons(FW_ETH_P_IPV6))
		return fw_parse_ipv6_hdr(pos, end, pkt, wire);
	return FW_PARSE_NOT_IP;
}

#endif
