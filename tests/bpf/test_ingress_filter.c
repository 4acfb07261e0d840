// SPDX-License-Identifier: MIT
/*
 * ingress_filter and its egress companion under BPF_PROG_TEST_RUN: each test
 * sends crafted frames and checks the verdict, the per-CPU counter that moved
 * in `counters`, and where it matters the conntrack entry in the kernel map.
 */
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <time.h>
#include <unistd.h>

#include "bpf/bpf_test.h"
#include "flywall/conntrack.h"

#define TC_ACT_UNSPEC (-1) /* pass: the next program on the hook decides */
#define TC_ACT_SHOT 2
#define LOCAL "10.0.0.1"
#define LOCAL6 "fd00::1"

static struct bpf_object *obj;
static int in_prog, out_prog;

static void allow(uint8_t proto, uint16_t port)
{
	struct fw_ct_port_key key = { .port = port, .proto = proto };
	uint32_t one = 1;

	assert_int_equal(bpf_map_update_elem(bpf_test_map_fd(obj, "allowed_ports"),
					     &key, &one, 0), 0);
}

static int setup(void **state)
{
	obj = bpf_test_load("ingress_filter");
	if (!obj)
		return -1;
	in_prog = bpf_test_prog_fd(obj, "ingress_filter");
	out_prog = bpf_test_prog_fd(obj, "ingress_filter_egress");
	return in_prog < 0 || out_prog < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	bpf_object__close(obj);
	return 0;
}

static uint64_t counter(enum fw_ct_counter c)
{
	return bpf_test_counter(obj, "counters", c);
}

static void send_cut(int prog, const struct frame_spec *s, size_t len, int verdict,
		     enum fw_ct_counter c)
{
	uint8_t buf[FRAME_MAX];
	size_t full = build_frame(s, buf);
	uint64_t before = counter(c);

	assert_int_equal(bpf_test_run_tc(prog, buf, len ? len : full, NULL), verdict);
	assert_int_equal(counter(c), before + 1);
}

/* A frame arriving on ingress. */
static void in(const struct frame_spec *s, int verdict, enum fw_ct_counter c)
{
	send_cut(in_prog, s, 0, verdict, c);
}

/* A frame this host sends: the companion passes it and tracks it. */
static void out(const struct frame_spec *s, enum fw_ct_counter c)
{
	send_cut(out_prog, s, 0, TC_ACT_UNSPEC, c);
}

/* The state of the flow of frame s, or -1 when it is not tracked. */
/* The conntrack key of a frame's flow, as the program builds it. */
static void ct_key(const struct frame_spec *s, struct fw_ct_key *key)
{
	uint8_t a[16], b[16];
	uint16_t pa = s->sport, pb = s->dport;
	int c;

	memset(key, 0, sizeof(*key));
	key->proto = s->proto;
	addr_key(s->src, a);
	addr_key(s->dst, b);
	if (s->proto == IPPROTO_ICMP || s->proto == IPPROTO_ICMPV6)
		pb = pa;
	c = memcmp(a, b, 16);
	if (c < 0 || (c == 0 && pa <= pb)) {
		memcpy(key->lo_addr, a, 16), memcpy(key->hi_addr, b, 16);
		key->lo_port = pa, key->hi_port = pb;
	} else {
		memcpy(key->lo_addr, b, 16), memcpy(key->hi_addr, a, 16);
		key->lo_port = pb, key->hi_port = pa;
	}
}

static int ct_state(const struct frame_spec *s)
{
	struct fw_ct_key key;
	struct fw_ct_entry e;

	ct_key(s, &key);
	if (bpf_map_lookup_elem(bpf_test_map_fd(obj, "conntrack"), &key, &e))
		return -1;
	return e.state;
}

static struct frame_spec tcp4(const char *src, uint16_t sport, const char *dst,
			      uint16_t dport, uint8_t flags)
{
	return (struct frame_spec){ .family = 4, .src = src, .dst = dst,
		.proto = IPPROTO_TCP, .sport = sport, .dport = dport, .tcp_flags = flags };
}

static struct frame_spec udp(int family, const char *src, uint16_t sport,
			     const char *dst, uint16_t dport)
{
	return (struct frame_spec){ .family = family, .src = src, .dst = dst,
		.proto = IPPROTO_UDP, .sport = sport, .dport = dport, .payload = 8 };
}

static void test_non_ip_passes(void **state)
{
	struct frame_spec arp = { .family = 0, .ethertype = 0x0806 };

	in(&arp, TC_ACT_UNSPEC, FW_CT_PASS_NON_IP);
}

static void test_inbound_tcp_to_allowed_port(void **state)
{
	struct frame_spec syn = tcp4("192.0.2.1", 50000, LOCAL, 22, T_SYN);
	struct frame_spec ack = tcp4("192.0.2.1", 50000, LOCAL, 22, T_ACK);
	struct frame_spec fin = tcp4("192.0.2.1", 50000, LOCAL, 22, T_FIN | T_ACK);

	allow(IPPROTO_TCP, 22);
	in(&syn, TC_ACT_UNSPEC, FW_CT_PASS_NEW);
	assert_int_equal(ct_state(&syn), FW_CT_SYN_SENT);
	in(&ack, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
	assert_int_equal(ct_state(&syn), FW_CT_ESTABLISHED);
	in(&fin, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
	assert_int_equal(ct_state(&syn), FW_CT_CLOSING);
}

static void test_new_flow_to_other_port_dropped(void **state)
{
	struct frame_spec syn = tcp4("192.0.2.2", 50000, LOCAL, 23, T_SYN);
	struct frame_spec dns = udp(4, "192.0.2.2", 5353, LOCAL, 5353);

	in(&syn, TC_ACT_SHOT, FW_CT_DROP_NOT_ALLOWED);
	in(&dns, TC_ACT_SHOT, FW_CT_DROP_NOT_ALLOWED);
	assert_int_equal(ct_state(&syn), -1);
}

static void test_invalid_tcp_dropped(void **state)
{
	struct frame_spec ack = tcp4("192.0.2.3", 50000, LOCAL, 22, T_ACK);
	struct frame_spec synfin = tcp4("192.0.2.3", 50001, LOCAL, 22, T_SYN | T_FIN);
	struct frame_spec null = tcp4("192.0.2.3", 50002, LOCAL, 22, 0);
	struct frame_spec syn = tcp4("192.0.2.3", 50003, LOCAL, 22, T_SYN);
	struct frame_spec synack = tcp4("192.0.2.3", 50003, LOCAL, 22, T_SYN | T_ACK);

	allow(IPPROTO_TCP, 22);
	in(&ack, TC_ACT_SHOT, FW_CT_DROP_INVALID);     /* no connection */
	in(&synfin, TC_ACT_SHOT, FW_CT_DROP_INVALID);
	in(&null, TC_ACT_SHOT, FW_CT_DROP_INVALID);
	in(&syn, TC_ACT_UNSPEC, FW_CT_PASS_NEW);
	in(&synack, TC_ACT_SHOT, FW_CT_DROP_INVALID);  /* SYN-ACK from the initiator */
	assert_int_equal(ct_state(&syn), FW_CT_SYN_SENT);
}

static void test_outbound_tcp_replies_established(void **state)
{
	struct frame_spec syn = tcp4(LOCAL, 40000, "198.51.100.1", 443, T_SYN);
	struct frame_spec synack = tcp4("198.51.100.1", 443, LOCAL, 40000, T_SYN | T_ACK);
	struct frame_spec ack = tcp4(LOCAL, 40000, "198.51.100.1", 443, T_ACK);
	struct frame_spec data = tcp4("198.51.100.1", 443, LOCAL, 40000, T_ACK | T_PSH);
	struct frame_spec rst = tcp4("198.51.100.1", 443, LOCAL, 40000, T_RST);
	struct frame_spec after = tcp4("198.51.100.1", 443, LOCAL, 40000, T_ACK);

	/* without the companion's record the reply is unsolicited */
	in(&synack, TC_ACT_SHOT, FW_CT_DROP_INVALID);
	out(&syn, FW_CT_EGRESS_NEW);
	in(&synack, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
	assert_int_equal(ct_state(&syn), FW_CT_SYN_RECV);
	out(&ack, FW_CT_EGRESS_SEEN);
	assert_int_equal(ct_state(&syn), FW_CT_ESTABLISHED);
	in(&data, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
	in(&rst, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
	assert_int_equal(ct_state(&syn), FW_CT_CLOSED);
	in(&after, TC_ACT_SHOT, FW_CT_DROP_INVALID);
}

/* After an outbound connection closes, the peer may connect back from the
 * same port pair: its SYN starts a new flow (to an allowed port). */
static void test_closed_flow_reopened_the_other_way(void **state)
{
	struct frame_spec syn = tcp4(LOCAL, 2222, "198.51.100.3", 2223, T_SYN);
	struct frame_spec synack = tcp4("198.51.100.3", 2223, LOCAL, 2222, T_SYN | T_ACK);
	struct frame_spec rst = tcp4(LOCAL, 2222, "198.51.100.3", 2223, T_RST);
	struct frame_spec back = tcp4("198.51.100.3", 2223, LOCAL, 2222, T_SYN);

	allow(IPPROTO_TCP, 2222);
	out(&syn, FW_CT_EGRESS_NEW);
	in(&synack, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
	/* a SYN from the responder of a live connection is invalid */
	in(&back, TC_ACT_SHOT, FW_CT_DROP_INVALID);
	out(&rst, FW_CT_EGRESS_SEEN);
	assert_int_equal(ct_state(&syn), FW_CT_CLOSED);
	in(&back, TC_ACT_UNSPEC, FW_CT_PASS_NEW);
	assert_int_equal(ct_state(&syn), FW_CT_SYN_SENT);
}

static void test_egress_never_drops(void **state)
{
	struct frame_spec synfin = tcp4(LOCAL, 40001, "198.51.100.1", 443, T_SYN | T_FIN);
	struct frame_spec ack = tcp4(LOCAL, 40002, "198.51.100.1", 443, T_ACK);

	out(&synfin, FW_CT_EGRESS_SEEN);
	out(&ack, FW_CT_EGRESS_SEEN);
	assert_int_equal(ct_state(&ack), -1);
}

static void test_udp_flows(void **state)
{
	struct frame_spec query = udp(4, LOCAL, 33333, "192.0.2.53", 53);
	struct frame_spec reply = udp(4, "192.0.2.53", 53, LOCAL, 33333);
	struct frame_spec inbound = udp(6, "2001:db8::9", 40000, LOCAL6, 123);
	struct frame_spec answer = udp(6, LOCAL6, 123, "2001:db8::9", 40000);

	in(&reply, TC_ACT_SHOT, FW_CT_DROP_NOT_ALLOWED);  /* unsolicited */
	out(&query, FW_CT_EGRESS_NEW);
	assert_int_equal(ct_state(&query), FW_CT_UNREPLIED);
	in(&reply, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
	assert_int_equal(ct_state(&query), FW_CT_ESTABLISHED);

	allow(IPPROTO_UDP, 123);
	in(&inbound, TC_ACT_UNSPEC, FW_CT_PASS_NEW);
	out(&answer, FW_CT_EGRESS_SEEN);
	in(&inbound, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
	assert_int_equal(ct_state(&inbound), FW_CT_ESTABLISHED);
}

static void test_icmp_echo(void **state)
{
	struct frame_spec req = { .family = 4, .src = "192.0.2.7", .dst = LOCAL,
				  .proto = IPPROTO_ICMP, .icmp_type = 8, .sport = 77 };
	struct frame_spec stray = { .family = 4, .src = "192.0.2.7", .dst = LOCAL,
				    .proto = IPPROTO_ICMP, .icmp_type = 0, .sport = 78 };
	struct frame_spec ping6 = { .family = 6, .src = LOCAL6, .dst = "2001:db8::7",
				    .proto = IPPROTO_ICMPV6, .icmp_type = 128, .sport = 79 };
	struct frame_spec pong6 = { .family = 6, .src = "2001:db8::7", .dst = LOCAL6,
				    .proto = IPPROTO_ICMPV6, .icmp_type = 129, .sport = 79 };

	in(&req, TC_ACT_SHOT, FW_CT_DROP_NOT_ALLOWED);
	allow(IPPROTO_ICMP, 0);
	in(&req, TC_ACT_UNSPEC, FW_CT_PASS_NEW);
	in(&stray, TC_ACT_SHOT, FW_CT_DROP_UNRELATED);  /* a reply nobody asked for */
	in(&pong6, TC_ACT_SHOT, FW_CT_DROP_UNRELATED);
	out(&ping6, FW_CT_EGRESS_NEW);
	in(&pong6, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
}

/* An ICMPv4 port unreachable from 192.0.2.99 quoting `quoted`. */
static size_t icmp_unreachable(const struct frame_spec *quoted, uint8_t *buf)
{
	struct frame_spec outer = { .family = 4, .src = "192.0.2.99", .dst = LOCAL,
				    .proto = IPPROTO_ICMP, .icmp_type = 3, .icmp_code = 3,
				    .payload = 28 };
	uint8_t inner[FRAME_MAX];
	size_t len = build_frame(&outer, buf);

	build_frame(quoted, inner);
	memcpy(buf + 14 + 20 + 8, inner + 14, 28); /* IP header + 8 bytes of L4 */
	return len;
}

static void test_icmp_error_related(void **state)
{
	struct frame_spec tracked = udp(4, LOCAL, 34000, "192.0.2.99", 9999);
	struct frame_spec untracked = udp(4, LOCAL, 34001, "192.0.2.99", 9999);
	uint8_t buf[FRAME_MAX];
	size_t len;
	uint64_t before;

	out(&tracked, FW_CT_EGRESS_NEW);
	len = icmp_unreachable(&tracked, buf);
	before = counter(FW_CT_PASS_RELATED);
	assert_int_equal(bpf_test_run_tc(in_prog, buf, len, NULL), TC_ACT_UNSPEC);
	assert_int_equal(counter(FW_CT_PASS_RELATED), before + 1);

	len = icmp_unreachable(&untracked, buf);
	before = counter(FW_CT_DROP_UNRELATED);
	assert_int_equal(bpf_test_run_tc(in_prog, buf, len, NULL), TC_ACT_SHOT);
	assert_int_equal(counter(FW_CT_DROP_UNRELATED), before + 1);
}

static void test_neighbour_discovery_passes(void **state)
{
	struct frame_spec ns = { .family = 6, .src = "fe80::2", .dst = "ff02::1:ff00:1",
				 .proto = IPPROTO_ICMPV6, .icmp_type = 135, .payload = 16 };

	in(&ns, TC_ACT_UNSPEC, FW_CT_PASS_ND);
}

static void test_vlan_and_ipv6_tcp_tracked(void **state)
{
	struct frame_spec syn = { .family = 6, .src = "2001:db8::5", .dst = LOCAL6,
				  .proto = IPPROTO_TCP, .sport = 50000, .dport = 22,
				  .tcp_flags = T_SYN, .n_vlan = 2, .vlan = { 5, 6 } };
	struct frame_spec ack = syn;

	ack.tcp_flags = T_ACK;
	allow(IPPROTO_TCP, 22);
	in(&syn, TC_ACT_UNSPEC, FW_CT_PASS_NEW);
	in(&ack, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
	assert_int_equal(ct_state(&syn), FW_CT_ESTABLISHED);
}

static void test_fragments_pass(void **state)
{
	struct frame_spec later = udp(4, "192.0.2.8", 1, LOCAL, 2);
	struct frame_spec later6 = udp(6, "2001:db8::8", 1, LOCAL6, 2);
	struct frame_spec first = udp(4, "192.0.2.8", 1, LOCAL, 2);

	later.frag_offset = 100;
	later6.ipv6_frag_hdr = true, later6.frag_offset = 100;
	first.more_frags = true;
	in(&later, TC_ACT_UNSPEC, FW_CT_PASS_FRAGMENT);
	in(&later6, TC_ACT_UNSPEC, FW_CT_PASS_FRAGMENT);
	/* the first fragment carries the ports and is filtered as usual */
	in(&first, TC_ACT_SHOT, FW_CT_DROP_NOT_ALLOWED);
}

static void test_truncated_headers_dropped(void **state)
{
	struct frame_spec tcp = tcp4("192.0.2.9", 1, LOCAL, 22, T_SYN);
	struct frame_spec u = udp(6, "2001:db8::9", 1, LOCAL6, 2);
	struct frame_spec icmp = { .family = 4, .src = "192.0.2.9", .dst = LOCAL,
				   .proto = IPPROTO_ICMP, .icmp_type = 8 };
	struct frame_spec vlan = tcp, vlan6 = u;
	uint8_t buf[FRAME_MAX];
	size_t len;
	uint64_t before;

	vlan.n_vlan = 1;
	vlan6.n_vlan = 1;
	/* The kernel's test run refuses an untagged frame whose IP header is
	 * cut; behind a VLAN tag it passes it on, as a wire could. */
	send_cut(in_prog, &vlan, 16, TC_ACT_SHOT, FW_CT_DROP_MALFORMED);
	send_cut(in_prog, &vlan, 18 + 12, TC_ACT_SHOT, FW_CT_DROP_MALFORMED);
	send_cut(in_prog, &vlan6, 18 + 30, TC_ACT_SHOT, FW_CT_DROP_MALFORMED);
	/* IP total length beyond the frame */
	send_cut(in_prog, &tcp, 14 + 20 + 4, TC_ACT_SHOT, FW_CT_DROP_MALFORMED);
	send_cut(in_prog, &u, 14 + 40 + 4, TC_ACT_SHOT, FW_CT_DROP_MALFORMED);

	/* L4 cut: IP lengths rewritten so only the L4 header is short */
	len = build_frame(&tcp, buf) - 10;
	buf[14 + 3] -= 10;
	before = counter(FW_CT_DROP_MALFORMED);
	assert_int_equal(bpf_test_run_tc(in_prog, buf, len, NULL), TC_ACT_SHOT);
	len = build_frame(&u, buf) - 12;
	buf[14 + 5] -= 12;
	assert_int_equal(bpf_test_run_tc(in_prog, buf, len, NULL), TC_ACT_SHOT);
	len = build_frame(&icmp, buf) - 4;
	buf[14 + 3] -= 4;
	assert_int_equal(bpf_test_run_tc(in_prog, buf, len, NULL), TC_ACT_SHOT);
	/* a TCP data offset below 5 words */
	len = build_frame(&tcp, buf);
	buf[14 + 20 + 12] = 4 << 4;
	assert_int_equal(bpf_test_run_tc(in_prog, buf, len, NULL), TC_ACT_SHOT);
	assert_int_equal(counter(FW_CT_DROP_MALFORMED), before + 4);
}

static void set_u32(const char *name, uint32_t v)
{
	assert_int_equal(bpf_test_set_global(obj, name, &v, sizeof(v)), 0);
}

static void test_expired_entry_not_used(void **state)
{
	struct frame_spec syn = tcp4("192.0.2.10", 50000, LOCAL, 22, T_SYN);
	struct frame_spec ack = tcp4("192.0.2.10", 50000, LOCAL, 22, T_ACK);
	uint64_t expired = counter(FW_CT_ENTRY_EXPIRED);

	allow(IPPROTO_TCP, 22);
	in(&syn, TC_ACT_UNSPEC, FW_CT_PASS_NEW);
	set_u32("tcp_syn_timeout", 0);
	in(&ack, TC_ACT_SHOT, FW_CT_DROP_INVALID);
	set_u32("tcp_syn_timeout", 60);
	assert_int_equal(counter(FW_CT_ENTRY_EXPIRED), expired + 1);
	assert_int_equal(ct_state(&syn), -1);
}

/* Another CPU may stamp an entry with a coarse time a tick newer than this
 * CPU's clock: the entry is fresh, not expired (an unsigned "now - seen"
 * once made it 2^64 ns old and cut live flows under load). */
static void test_entry_stamped_ahead_is_fresh(void **state)
{
	struct frame_spec syn = tcp4("192.0.2.14", 50014, LOCAL, 22, T_SYN);
	struct frame_spec ack = tcp4("192.0.2.14", 50014, LOCAL, 22, T_ACK);
	int fd = bpf_test_map_fd(obj, "conntrack");
	uint64_t expired = counter(FW_CT_ENTRY_EXPIRED);
	struct fw_ct_key key;
	struct fw_ct_entry e;
	struct timespec now;

	allow(IPPROTO_TCP, 22);
	in(&syn, TC_ACT_UNSPEC, FW_CT_PASS_NEW);
	ct_key(&syn, &key);
	assert_int_equal(bpf_map_lookup_elem(fd, &key, &e), 0);
	clock_gettime(CLOCK_MONOTONIC_COARSE, &now);
	e.last_seen_ns = (uint64_t)now.tv_sec * 1000000000ull + now.tv_nsec + 50000000ull;
	assert_int_equal(bpf_map_update_elem(fd, &key, &e, BPF_EXIST), 0);
	in(&ack, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
	assert_int_equal(counter(FW_CT_ENTRY_EXPIRED), expired);
	assert_int_not_equal(ct_state(&syn), -1);
}

/* Flag combinations no endpoint sends are invalid on a tracked connection
 * too: dropped, and the connection's state does not move (an RST with SYN
 * must not close it). */
static void test_invalid_flags_on_established_flow(void **state)
{
	struct frame_spec syn = tcp4("192.0.2.20", 50000, LOCAL, 22, T_SYN);
	struct frame_spec ack = tcp4("192.0.2.20", 50000, LOCAL, 22, T_ACK);
	static const uint8_t bad[] = { 0, T_SYN | T_RST, T_SYN | T_FIN, T_FIN, T_SYN | T_RST | T_ACK };

	allow(IPPROTO_TCP, 22);
	in(&syn, TC_ACT_UNSPEC, FW_CT_PASS_NEW);
	in(&ack, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
	for (size_t i = 0; i < sizeof(bad); i++) {
		struct frame_spec f = tcp4("192.0.2.20", 50000, LOCAL, 22, bad[i]);

		in(&f, TC_ACT_SHOT, FW_CT_DROP_INVALID);
		assert_int_equal(ct_state(&syn), FW_CT_ESTABLISHED);
	}
	in(&ack, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
}

/* The responder's SYN-ACK sent again (our ACK was lost) passes. */
static void test_retransmitted_synack_passes(void **state)
{
	struct frame_spec syn = tcp4(LOCAL, 40100, "198.51.100.2", 443, T_SYN);
	struct frame_spec synack = tcp4("198.51.100.2", 443, LOCAL, 40100, T_SYN | T_ACK);
	struct frame_spec ack = tcp4(LOCAL, 40100, "198.51.100.2", 443, T_ACK);

	out(&syn, FW_CT_EGRESS_NEW);
	in(&synack, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
	out(&ack, FW_CT_EGRESS_SEEN);
	assert_int_equal(ct_state(&syn), FW_CT_ESTABLISHED);
	in(&synack, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
	assert_int_equal(ct_state(&syn), FW_CT_ESTABLISHED);
}

/* An unreplied UDP flow lives udp_timeout, not icmp_timeout: after 2 s,
 * with udp_timeout 1, its late reply is unsolicited; with udp_timeout 3600
 * (and icmp_timeout 1) it still passes. */
static void test_unreplied_udp_expires_after_udp_timeout(void **state)
{
	struct frame_spec q1 = udp(4, LOCAL, 5301, "198.51.100.9", 53);
	struct frame_spec r1 = udp(4, "198.51.100.9", 53, LOCAL, 5301);
	struct frame_spec q2 = udp(4, LOCAL, 5302, "198.51.100.9", 53);
	struct frame_spec r2 = udp(4, "198.51.100.9", 53, LOCAL, 5302);
	uint64_t expired = counter(FW_CT_ENTRY_EXPIRED);

	out(&q1, FW_CT_EGRESS_NEW);
	out(&q2, FW_CT_EGRESS_NEW);
	usleep(2100000);
	set_u32("udp_timeout", 1);
	set_u32("icmp_timeout", 3600);
	in(&r1, TC_ACT_SHOT, FW_CT_DROP_NOT_ALLOWED);
	assert_int_equal(counter(FW_CT_ENTRY_EXPIRED), expired + 1);
	set_u32("udp_timeout", 3600);
	set_u32("icmp_timeout", 1);
	in(&r2, TC_ACT_UNSPEC, FW_CT_PASS_ESTABLISHED);
	set_u32("udp_timeout", 30);
	set_u32("icmp_timeout", 30);
}

/* An IPv6 packet with an authentication header (12 bytes: its length
 * field counts 4-byte units minus 2) before TCP: the ports are found. */
static void test_ipv6_ah_header_walked(void **state)
{
	struct frame_spec syn = { .family = 6, .src = "2001:db8::7", .dst = LOCAL6,
				  .proto = IPPROTO_TCP, .sport = 50007, .dport = 22,
				  .tcp_flags = T_SYN };
	static const uint8_t ah[12] = { IPPROTO_TCP, 1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 1 };
	uint8_t buf[FRAME_MAX], with_ah[FRAME_MAX];
	size_t len = build_frame(&syn, buf), l3 = 14, l4 = l3 + 40;
	uint64_t before = counter(FW_CT_PASS_NEW);

	memcpy(with_ah, buf, l4);
	memcpy(with_ah + l4, ah, sizeof(ah));
	memcpy(with_ah + l4 + sizeof(ah), buf + l4, len - l4);
	with_ah[l3 + 6] = 51;                                   /* next header: AH */
	put16(with_ah + l3 + 4, (uint16_t)(len - l4 + sizeof(ah))); /* payload length */
	allow(IPPROTO_TCP, 22);
	assert_int_equal(bpf_test_run_tc(in_prog, with_ah, len + sizeof(ah), NULL), TC_ACT_UNSPEC);
	assert_int_equal(counter(FW_CT_PASS_NEW), before + 1);
	assert_int_equal(ct_state(&syn), FW_CT_SYN_SENT);
}

static int on_event(void *ctx, void *data, size_t size)
{
	*(struct fw_ct_event *)ctx = *(struct fw_ct_event *)data;
	return 0;
}

static void test_drop_event_sent(void **state)
{
	struct frame_spec syn = tcp4("192.0.2.11", 50000, LOCAL, 2323, T_SYN);
	struct fw_ct_event ev = { 0 };
	struct ring_buffer *rb;

	rb = ring_buffer__new(bpf_test_map_fd(obj, "ct_events"), on_event, &ev, NULL);
	assert_non_null(rb);
	ring_buffer__consume(rb);
	set_u32("event_sample", 1);
	in(&syn, TC_ACT_SHOT, FW_CT_DROP_NOT_ALLOWED);
	assert_int_equal(ring_buffer__consume(rb), 1);
	assert_int_equal(ev.hdr.type, FW_EVENT_CONNTRACK);
	assert_int_equal(ev.reason, FW_CT_DROP_NOT_ALLOWED);
	assert_int_equal(ev.dport, 2323);
	assert_int_equal(ev.proto, IPPROTO_TCP);
	set_u32("event_sample", 64);
	ring_buffer__free(rb);
}

static int count_events(void *ctx, void *data, size_t size)
{
	(*(uint64_t *)ctx)++;
	return 0;
}

/*
 * A SYN flood to a closed port, every drop sampled (event_sample 1), at well
 * over 100,000 drops/s: no more events come out than event_budget per second
 * (plus a tenth of a second's burst), counted in the kernel and read from the
 * ring; every sampled drop is written, suppressed or lost.
 */
static void test_event_budget_holds(void **state)
{
	const uint32_t budget = 1000;
	struct frame_spec syn = tcp4("192.0.2.12", 50000, LOCAL, 2324, T_SYN);
	uint64_t drops0, sent0, suppressed0, lost0, drops, sent, suppressed, lost;
	uint64_t read = 0, start, elapsed_ns;
	uint8_t buf[FRAME_MAX];
	struct ring_buffer *rb;
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = buf,
		    .data_size_in = build_frame(&syn, buf), .repeat = 50000);

	rb = ring_buffer__new(bpf_test_map_fd(obj, "ct_events"), count_events, &read, NULL);
	assert_non_null(rb);
	set_u32("event_sample", 1);
	set_u32("event_budget", budget);
	sleep(1);               /* a full bucket: the burst is part of the bound */
	ring_buffer__consume(rb);
	read = 0;
	drops0 = counter(FW_CT_DROP_NOT_ALLOWED);
	sent0 = counter(FW_CT_EVENT_SENT);
	suppressed0 = counter(FW_CT_EVENT_SUPPRESSED);
	lost0 = counter(FW_CT_EVENT_LOST);
	start = monotonic_ns();
	do {
		assert_int_equal(bpf_prog_test_run_opts(in_prog, &opts), 0);
		assert_int_equal(opts.retval, TC_ACT_SHOT);
		ring_buffer__consume(rb);
		elapsed_ns = monotonic_ns() - start;
	} while (elapsed_ns < 1500000000ull);
	drops = counter(FW_CT_DROP_NOT_ALLOWED) - drops0;
	sent = counter(FW_CT_EVENT_SENT) - sent0;
	suppressed = counter(FW_CT_EVENT_SUPPRESSED) - suppressed0;
	lost = counter(FW_CT_EVENT_LOST) - lost0;
	print_message("# %lu drops in %.2f s (%.0f/s): %lu events, %lu suppressed, %lu lost\n",
		      (unsigned long)drops, elapsed_ns / 1e9, drops * 1e9 / elapsed_ns,
		      (unsigned long)sent, (unsigned long)suppressed, (unsigned long)lost);
	assert_true(drops * 1000000000ull / elapsed_ns >= 100000);
	/* coarse clock: the program's time may lag ours by a tick (10 ms) */
	assert_true(sent <= budget * elapsed_ns / 1000000000ull + budget / 10 + 1 + 10);
	assert_true(sent >= budget * elapsed_ns / 1000000000ull / 2);
	assert_int_equal(read, sent);
	assert_int_equal(lost, 0);
	assert_int_equal(sent + suppressed + lost, drops);

	/* event_budget = 0: none at all */
	set_u32("event_budget", 0);
	sent0 = counter(FW_CT_EVENT_SENT);
	in(&syn, TC_ACT_SHOT, FW_CT_EVENT_SUPPRESSED);
	assert_int_equal(counter(FW_CT_EVENT_SENT), sent0);
	set_u32("event_budget", budget);
	set_u32("event_sample", 64);
	ring_buffer__free(rb);
}

/* Appends the source port of each event to a string: "50001 50005 ". */
static int note_event_port(void *ctx, void *data, size_t size)
{
	char *ports = ctx;

	snprintf(ports + strlen(ports), 64 - strlen(ports), "%u ",
		 ((struct fw_ct_event *)data)->sport);
	return 0;
}

/* This CPU's value of one counter (the program numbers drops per CPU). */
static uint64_t counter_on_cpu(enum fw_ct_counter c, int cpu)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t values[ncpu];
	uint32_t key = c;

	assert_int_equal(bpf_map_lookup_elem(bpf_test_map_fd(obj, "counters"), &key, values), 0);
	return values[cpu];
}

/* event_sample = 4: the 1st, 5th, 9th... drop of a CPU is sent. */
static void test_drop_events_sampled_from_the_first(void **state)
{
	char sent[64] = "", expected[64] = "";
	cpu_set_t one, saved;
	struct ring_buffer *rb;
	uint64_t nth;

	assert_int_equal(sched_getaffinity(0, sizeof(saved), &saved), 0);
	CPU_ZERO(&one);
	CPU_SET(0, &one);
	assert_int_equal(sched_setaffinity(0, sizeof(one), &one), 0);
	rb = ring_buffer__new(bpf_test_map_fd(obj, "ct_events"), note_event_port, sent, NULL);
	assert_non_null(rb);
	ring_buffer__consume(rb);
	sent[0] = '\0';
	set_u32("event_sample", 4);
	nth = counter_on_cpu(FW_CT_DROP_NOT_ALLOWED, 0);
	for (uint16_t port = 50001; port <= 50005; port++) {
		struct frame_spec syn = tcp4("192.0.2.12", port, LOCAL, 2324, T_SYN);

		in(&syn, TC_ACT_SHOT, FW_CT_DROP_NOT_ALLOWED);
		if ((++nth - 1) % 4 == 0)
			snprintf(expected + strlen(expected), 64 - strlen(expected), "%u ", port);
	}
	ring_buffer__consume(rb);
	assert_string_equal(sent, expected);
	set_u32("event_sample", 64);
	ring_buffer__free(rb);
	assert_int_equal(sched_setaffinity(0, sizeof(saved), &saved), 0);
}

static void test_btf_loads_into_the_kernel(void **state)
{
	assert_true(bpf_test_btf_loaded(obj));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_btf_loads_into_the_kernel),
		cmocka_unit_test(test_non_ip_passes),
		cmocka_unit_test(test_inbound_tcp_to_allowed_port),
		cmocka_unit_test(test_new_flow_to_other_port_dropped),
		cmocka_unit_test(test_invalid_tcp_dropped),
		cmocka_unit_test(test_outbound_tcp_replies_established),
		cmocka_unit_test(test_closed_flow_reopened_the_other_way),
		cmocka_unit_test(test_egress_never_drops),
		cmocka_unit_test(test_udp_flows),
		cmocka_unit_test(test_icmp_echo),
		cmocka_unit_test(test_icmp_error_related),
		cmocka_unit_test(test_neighbour_discovery_passes),
		cmocka_unit_test(test_vlan_and_ipv6_tcp_tracked),
		cmocka_unit_test(test_fragments_pass),
		cmocka_unit_test(test_truncated_headers_dropped),
		cmocka_unit_test(test_expired_entry_not_used),
		cmocka_unit_test(test_drop_event_sent),
		cmocka_unit_test(test_event_budget_holds),
		cmocka_unit_test(test_invalid_flags_on_established_flow),
		cmocka_unit_test(test_retransmitted_synack_passes),
		cmocka_unit_test(test_unreplied_udp_expires_after_udp_timeout),
		cmocka_unit_test(test_ipv6_ah_header_walked),
		cmocka_unit_test(test_entry_stamped_ahead_is_fresh),
		cmocka_unit_test(test_drop_events_sampled_from_the_first),
	};

	return cmocka_run_group_tests_name("ingress_filter", tests, setup, teardown);
}
