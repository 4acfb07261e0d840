// SPDX-License-Identifier: MIT
/*
 * syn_guard under BPF_PROG_TEST_RUN, in a network namespace of its own (the
 * conntrack lookups see that namespace's table): SYNs to a guarded port come
 * back as SYN-ACKs carrying a cookie, which is then checked by sending the
 * client's ACK; bad cookies are dropped; other traffic and flows conntrack
 * knows pass, and so does a SYN on a 4-tuple a real socket of the namespace
 * holds in TIME-WAIT. Every verdict is checked against the counter that moved.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sched.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "bpf/bpf_test.h"
#include "flywall/syn_guard.h"

#define GUARDED 8080
#define GUARDED_2 8443
#define CLIENT_PORT 40001
#define CLIENT_ISN 0x11223344u
#define CLIENT_TSVAL 0x01020304u
#define CLIENT_WSCALE 9

static struct bpf_object *obj;
static int prog;

/* The namespace's lo, up: the TIME-WAIT test makes a real connection on it,
 * and XDP test runs see the sockets of the namespace of lo. */
static int loopback_up(void)
{
	struct ifreq ifr = { .ifr_name = "lo" };
	int fd = socket(AF_INET, SOCK_DGRAM, 0), err;

	if (fd < 0)
		return -1;
	err = ioctl(fd, SIOCGIFFLAGS, &ifr);
	ifr.ifr_flags |= IFF_UP;
	err = err ? err : ioctl(fd, SIOCSIFFLAGS, &ifr);
	if (err)
		fprintf(stderr, "# lo up: %s\n", strerror(errno));
	close(fd);
	return err;
}

static int setup(void **state)
{
	uint16_t p1 = GUARDED, p2 = GUARDED_2;

	if (unshare(CLONE_NEWNET)) {
		fprintf(stderr, "# unshare(CLONE_NEWNET): %s\n", strerror(errno));
		return -1;
	}
	if (loopback_up())
		return -1;
	obj = bpf_test_open("syn_guard");
	if (!obj || bpf_test_set_global(obj, "port_1", &p1, 2) ||
	    bpf_test_set_global(obj, "port_2", &p2, 2) || bpf_object__load(obj))
		return -1;
	prog = bpf_test_prog_fd(obj, "syn_guard");
	return prog < 0 ? -1 : 0;
}

static int teardown(void **state)
{
	bpf_object__close(obj);
	return 0;
}

static uint64_t counter(enum fw_sg_counter c)
{
	return bpf_test_counter(obj, "syn_guard_counters", c);
}

/* ---- frames with real checksums --------------------------------------- */

static uint32_t sum16(const uint8_t *p, size_t len, uint32_t sum)
{
	for (size_t i = 0; i + 1 < len; i += 2)
		sum += (p[i] << 8) | p[i + 1];
	if (len & 1)
		sum += p[len - 1] << 8;
	return sum;
}

static uint16_t fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

/* The TCP checksum of the segment at ip + l3_len, with its pseudo-header;
 * 0 when the checksum field in it is right. */
static uint16_t tcp_sum(int family, const uint8_t *ip, size_t l3_len, size_t tcp_len)
{
	uint32_t sum = family == 4 ? sum16(ip + 12, 8, 0) : sum16(ip + 8, 32, 0);

	sum += 6 + tcp_len;
	return fold(sum16(ip + l3_len, tcp_len, sum));
}

struct seg {
	int family;
	const char *src, *dst;
	uint16_t sport, dport;
	uint8_t flags;
	uint32_t seq, ack;
	const uint8_t *opts;    /* TCP options, a multiple of 4 bytes */
	size_t opts_len;
};

/* A SYN's usual options: MSS 1460, SACK permitted, timestamps, window scale. */
static const uint8_t syn_opts[20] = {
	2, 4, 0x05, 0xb4,                       /* MSS 1460 */
	4, 2, 8, 10, 0x01, 0x02, 0x03, 0x04,     /* SACK perm, TS val */
	0, 0, 0, 0,                             /* TS ecr */
	1, 3, 3, CLIENT_WSCALE,                 /* NOP, window scale */
};

/* Builds the frame into buf; returns its length. */
static size_t build_seg(const struct seg *s, uint8_t *buf)
{
	size_t l3 = s->family == 4 ? 20 : 40, tcp_len = 20 + s->opts_len;
	uint8_t *ip = buf + 14, *th = ip + l3;

	memset(buf, 0, FRAME_MAX);
	memcpy(buf, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	put16(buf + 12, s->family == 4 ? 0x0800 : 0x86dd);
	if (s->family == 4) {
		ip[0] = 0x45;
		put16(ip + 2, 20 + tcp_len);
		put16(ip + 6, 0x4000);
		ip[8] = 64;
		ip[9] = IPPROTO_TCP;
		inet_pton(AF_INET, s->src, ip + 12);
		inet_pton(AF_INET, s->dst, ip + 16);
		put16(ip + 10, fold(sum16(ip, 20, 0)));
	} else {
		ip[0] = 0x60;
		put16(ip + 4, tcp_len);
		ip[6] = IPPROTO_TCP;
		ip[7] = 64;
		inet_pton(AF_INET6, s->src, ip + 8);
		inet_pton(AF_INET6, s->dst, ip + 24);
	}
	put16(th, s->sport);
	put16(th + 2, s->dport);
	th[4] = s->seq >> 24, th[5] = s->seq >> 16, th[6] = s->seq >> 8, th[7] = s->seq;
	th[8] = s->ack >> 24, th[9] = s->ack >> 16, th[10] = s->ack >> 8, th[11] = s->ack;
	th[12] = (tcp_len / 4) << 4;
	th[13] = s->flags;
	put16(th + 14, 64240);
	memcpy(th + 20, s->opts, s->opts_len);
	put16(th + 16, tcp_sum(s->family, ip, l3, tcp_len));
	return 14 + l3 + tcp_len;
}

/* Runs a frame; the frame that comes out (XDP_TX) lands in out. */
static int run(const uint8_t *in, size_t len, uint8_t *out, uint32_t *out_len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = in, .data_size_in = len,
		    .data_out = out, .data_size_out = FRAME_MAX, .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(prog, &opts), 0);
	*out_len = opts.data_size_out;
	return opts.retval;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3];
}

static uint16_t get16(const uint8_t *p)
{
	return p[0] << 8 | p[1];
}

/* Finds option kind in the SYN-ACK's options; NULL if absent. */
static const uint8_t *find_option(const uint8_t *th, uint8_t kind)
{
	size_t len = (th[12] >> 4) * 4;

	for (size_t off = 20; off < len;) {
		if (th[off] == 1) {
			off++;
			continue;
		}
		if (th[off] == 0)
			break;
		if (th[off] == kind)
			return th + off;
		off += th[off + 1];
	}
	return NULL;
}

/* Sends the SYN s (expected to be answered) and checks the SYN-ACK field by
 * field; returns the cookie (the SYN-ACK's sequence number). */
static uint32_t expect_synack(const struct seg *s)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t l3 = s->family == 4 ? 20 : 40, len = build_seg(s, in);
	uint64_t answered = counter(FW_SG_SYN_ANSWERED);
	const uint8_t *ip = out + 14, *th = ip + l3, *opt;
	uint32_t out_len, tcp_len;

	assert_int_equal(run(in, len, out, &out_len), XDP_TX);
	assert_int_equal(counter(FW_SG_SYN_ANSWERED), answered + 1);

	/* Ethernet and IP: back to where it came from */
	assert_memory_equal(out, in + 6, 6);
	assert_memory_equal(out + 6, in, 6);
	tcp_len = (th[12] >> 4) * 4;
	assert_int_equal(out_len, 14 + l3 + tcp_len);
	if (s->family == 4) {
		assert_memory_equal(ip + 12, in + 14 + 16, 4);
		assert_memory_equal(ip + 16, in + 14 + 12, 4);
		assert_int_equal(get16(ip + 2), 20 + tcp_len);
		assert_int_equal(fold(sum16(ip, 20, 0)), 0);    /* IPv4 checksum */
		assert_int_equal(ip[8], 64);
	} else {
		assert_memory_equal(ip + 8, in + 14 + 24, 16);
		assert_memory_equal(ip + 24, in + 14 + 8, 16);
		assert_int_equal(get16(ip + 4), tcp_len);
		assert_int_equal(ip[7], 64);
	}
	assert_int_equal(tcp_sum(s->family, ip, l3, tcp_len), 0);   /* TCP checksum */

	/* TCP: ports swapped, SYN|ACK only, our sequence answers theirs */
	assert_int_equal(get16(th), s->dport);
	assert_int_equal(get16(th + 2), s->sport);
	assert_int_equal(th[13], T_SYN | T_ACK);
	assert_int_equal(get32(th + 8), s->seq + 1);
	assert_true(get16(th + 14) > 0);
	opt = find_option(th, 2);
	assert_non_null(opt);
	assert_int_equal(get16(opt + 2), s->family == 4 ? 1460 : 1440);
	return get32(th + 4);
}

/* Sends the client's ACK for cookie; checks verdict and counter. */
static void expect_ack(struct seg s, uint32_t cookie, int verdict, enum fw_sg_counter c)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	uint64_t before = counter(c);
	uint32_t out_len;
	size_t len;

	s.flags = T_ACK;
	s.seq = s.seq + 1;
	s.ack = cookie + 1;
	s.opts = NULL;
	s.opts_len = 0;
	len = build_seg(&s, in);
	assert_int_equal(run(in, len, out, &out_len), verdict);
	assert_int_equal(counter(c), before + 1);
}

static void expect_verdict(const struct seg *s, int verdict, enum fw_sg_counter c)
{
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	uint64_t before = counter(c);
	uint32_t out_len;

	assert_int_equal(run(in, build_seg(s, in), out, &out_len), verdict);
	assert_int_equal(counter(c), before + 1);
}

#define SYN4(from) { .family = 4, .src = "192.0.2.10", .dst = "192.0.2.1", .sport = (from), \
		      .dport = GUARDED, .flags = T_SYN, .seq = CLIENT_ISN, \
		      .opts = syn_opts, .opts_len = sizeof(syn_opts) }
#define SYN6(from) { .family = 6, .src = "2001:db8::10", .dst = "2001:db8::1", \
		      .sport = (from), .dport = GUARDED, .flags = T_SYN, .seq = CLIENT_ISN, \
		      .opts = syn_opts, .opts_len = sizeof(syn_opts) }

/* The first SYN to each port and family goes to the kernel, so that its
 * listener accepts cookie ACKs (it must have sent a cookie itself lately). */
static void test_first_syn_per_port_goes_to_the_stack(void **state)
{
	struct seg s = SYN4(CLIENT_PORT), s6 = SYN6(CLIENT_PORT);

	expect_verdict(&s, XDP_PASS, FW_SG_SYN_TO_STACK);
	expect_verdict(&s6, XDP_PASS, FW_SG_SYN_TO_STACK);
	s.dport = GUARDED_2;
	expect_verdict(&s, XDP_PASS, FW_SG_SYN_TO_STACK);
	/* within the interval the next ones are answered here */
	s.dport = GUARDED;
	expect_synack(&s);
	expect_synack(&s6);
	/* once the interval is over, one goes to the kernel again */
	uint32_t zero = 0, ten = 10;
	assert_int_equal(bpf_test_set_global(obj, "stack_syn_interval_s", &zero, 4), 0);
	expect_verdict(&s, XDP_PASS, FW_SG_SYN_TO_STACK);
	assert_int_equal(bpf_test_set_global(obj, "stack_syn_interval_s", &ten, 4), 0);
	expect_synack(&s);
}

static void test_syn_v4_answered_with_valid_cookie(void **state)
{
	struct seg s = SYN4(CLIENT_PORT + 1);
	uint32_t cookie = expect_synack(&s);

	expect_ack(s, cookie, XDP_PASS, FW_SG_COOKIE_VALID);
}

static void test_syn_v6_answered_with_valid_cookie(void **state)
{
	struct seg s = SYN6(CLIENT_PORT + 2);
	uint32_t cookie = expect_synack(&s);

	expect_ack(s, cookie, XDP_PASS, FW_SG_COOKIE_VALID);
}

/* Timestamps carry what the cookie cannot: the client's window scale and
 * SACK in the low 6 bits of our tsval (the kernel decodes them from the
 * echo), its tsval echoed; our window scale is announced. */
static void test_options_encoded_as_the_kernel_decodes_them(void **state)
{
	struct seg s = SYN4(CLIENT_PORT + 3);
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	const uint8_t *th = out + 14 + 20, *ts, *ws;
	uint32_t out_len, tsval, now_ms = monotonic_ns() / 1000000;

	run(in, build_seg(&s, in), out, &out_len);
	ts = find_option(th, 8);
	assert_non_null(ts);
	tsval = get32(ts + 2);
	assert_int_equal(tsval & 0x0f, CLIENT_WSCALE);
	assert_int_equal(tsval & 0x10, 0x10);                   /* SACK */
	assert_int_equal(tsval & 0x20, 0);                      /* no ECN */
	assert_true(tsval <= now_ms + 1 && tsval + 128 > now_ms); /* now, never ahead */
	assert_int_equal(get32(ts + 6), CLIENT_TSVAL);
	assert_non_null(find_option(th, 4));                    /* SACK permitted */
	ws = find_option(th, 3);
	assert_non_null(ws);
	assert_int_equal(ws[2], 7);

	/* no timestamps from the client: nowhere to keep SACK and window scale */
	static const uint8_t mss_only[4] = { 2, 4, 0x05, 0xb4 };
	s.opts = mss_only;
	s.opts_len = sizeof(mss_only);
	s.sport++;
	assert_int_equal(run(in, build_seg(&s, in), out, &out_len), XDP_TX);
	assert_null(find_option(th, 8));
	assert_null(find_option(th, 3));
	assert_null(find_option(th, 4));
	assert_int_equal(out_len, 14 + 20 + 24);
}

static void test_bad_cookie_dropped_and_counted(void **state)
{
	struct seg s = SYN4(CLIENT_PORT + 4), s6 = SYN6(CLIENT_PORT + 4);
	uint32_t cookie = expect_synack(&s);

	expect_ack(s, cookie ^ 0x5a5a, XDP_DROP, FW_SG_COOKIE_INVALID);
	expect_ack(s6, 0x12345678, XDP_DROP, FW_SG_COOKIE_INVALID);
	/* a cookie belongs to its flow: another source port cannot use it */
	s.sport++;
	expect_ack(s, cookie, XDP_DROP, FW_SG_COOKIE_INVALID);
}

static void test_other_traffic_passes(void **state)
{
	struct seg other = SYN4(CLIENT_PORT + 5);
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	struct frame_spec udp = { .family = 4, .src = "192.0.2.10", .dst = "192.0.2.1",
				  .proto = IPPROTO_UDP, .sport = 1, .dport = GUARDED };
	struct frame_spec a = { .family = 0, .ethertype = 0x0806 };
	uint64_t before = counter(FW_SG_PASS);
	uint32_t out_len;

	other.dport = 22;
	expect_verdict(&other, XDP_PASS, FW_SG_PASS);
	assert_int_equal(run(in, build_frame(&udp, in), out, &out_len), XDP_PASS);
	assert_int_equal(run(in, build_frame(&a, in), out, &out_len), XDP_PASS);
	assert_int_equal(counter(FW_SG_PASS), before + 3);
}

/* A SYN-ACK or RST of no flow is the stack's business, not a cookie's. */
static void test_other_flags_pass(void **state)
{
	struct seg s = SYN4(CLIENT_PORT + 6);

	s.flags = T_RST;
	expect_verdict(&s, XDP_PASS, FW_SG_PASS_OTHER_FLAGS);
	s.flags = T_SYN | T_ACK;
	expect_verdict(&s, XDP_PASS, FW_SG_PASS_OTHER_FLAGS);
}

static void test_bad_checksum_syn_dropped(void **state)
{
	struct seg s = SYN4(CLIENT_PORT + 7);
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	uint64_t before = counter(FW_SG_DROP_MALFORMED);
	uint32_t out_len;
	size_t len = build_seg(&s, in);

	in[14 + 20 + 16] ^= 0xff;       /* TCP checksum */
	assert_int_equal(run(in, len, out, &out_len), XDP_DROP);
	assert_int_equal(counter(FW_SG_DROP_MALFORMED), before + 1);
}

/* A flow conntrack knows passes untouched, even an ACK with no cookie. */
static void test_established_flow_passes(void **state)
{
	struct seg s = SYN4(CLIENT_PORT + 8);

	if (system("conntrack -I -p tcp -s 192.0.2.10 -d 192.0.2.1 --sport 40009 --dport 8080 "
		   "--state ESTABLISHED -t 120 -u ASSURED >/dev/null 2>&1")) {
		skip();
	}
	s.flags = T_ACK;
	s.ack = 12345;
	expect_verdict(&s, XDP_PASS, FW_SG_PASS_ESTABLISHED);
	s.flags = T_SYN;
	s.ack = 0;
	expect_verdict(&s, XDP_PASS, FW_SG_PASS_ESTABLISHED);
	/* the same ACK from another port is no flow's and carries no cookie */
	s.flags = T_ACK;
	s.sport++;
	expect_verdict(&s, XDP_DROP, FW_SG_COOKIE_INVALID);
}

static void test_truncated_tcp_dropped(void **state)
{
	struct seg s = SYN4(CLIENT_PORT + 9);
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	uint64_t before = counter(FW_SG_DROP_MALFORMED);
	uint32_t out_len;

	build_seg(&s, in);
	assert_int_equal(run(in, 14 + 20 + 10, out, &out_len), XDP_DROP);
	assert_int_equal(counter(FW_SG_DROP_MALFORMED), before + 1);
}

/* A SYN carrying data (a generator's padding, or TCP Fast Open) is answered
 * as the kernel's cookies answer it: the SYN alone is acknowledged. */
static void test_syn_with_data_answered(void **state)
{
	struct seg s = SYN4(CLIENT_PORT + 10);
	uint8_t in[FRAME_MAX], out[FRAME_MAX];
	size_t len = build_seg(&s, in);
	uint64_t answered = counter(FW_SG_SYN_ANSWERED);
	uint32_t out_len;

	memset(in + len, 0, 6);
	put16(in + 14 + 2, get16(in + 14 + 2) + 6);
	put16(in + 14 + 10, 0);
	put16(in + 14 + 10, fold(sum16(in + 14, 20, 0)));
	assert_int_equal(run(in, len + 6, out, &out_len), XDP_TX);
	assert_int_equal(counter(FW_SG_SYN_ANSWERED), answered + 1);
	assert_int_equal(get32(out + 14 + 20 + 8), CLIENT_ISN + 1);
	assert_int_equal(out_len, len);         /* the data is gone */
	assert_int_equal(tcp_sum(4, out + 14, 20, out_len - 34), 0);
}

/* IPv4 options or IPv6 extension headers cannot be answered in place, and
 * must not open a way around the guard: such SYNs are dropped. */
static void test_syn_with_ip_options_dropped(void **state)
{
	struct seg s = SYN4(CLIENT_PORT + 11), s6 = SYN6(CLIENT_PORT + 11);
	uint8_t in[FRAME_MAX], opt[FRAME_MAX], out[FRAME_MAX];
	size_t len = build_seg(&s, in);
	uint64_t before = counter(FW_SG_DROP_SYN_UNANSWERABLE);
	uint32_t out_len;

	/* IPv4: a 4-byte option (NOPs) behind the header */
	memcpy(opt, in, 34);
	memset(opt + 34, 1, 4);
	memcpy(opt + 38, in + 34, len - 34);
	opt[14] = 0x46;
	put16(opt + 14 + 2, get16(in + 14 + 2) + 4);
	put16(opt + 14 + 10, 0);
	put16(opt + 14 + 10, fold(sum16(opt + 14, 24, 0)));
	assert_int_equal(run(opt, len + 4, out, &out_len), XDP_DROP);

	/* IPv6: a destination options header (8 bytes of padding) before TCP */
	len = build_seg(&s6, in);
	memcpy(opt, in, 54);
	opt[14 + 6] = 60;
	memset(opt + 54, 0, 8);
	opt[54] = IPPROTO_TCP;
	opt[56] = 1, opt[57] = 4;               /* PadN, 4 bytes */
	memcpy(opt + 62, in + 54, len - 54);
	put16(opt + 14 + 4, get16(in + 14 + 4) + 8);
	assert_int_equal(run(opt, len + 8, out, &out_len), XDP_DROP);
	assert_int_equal(counter(FW_SG_DROP_SYN_UNANSWERABLE), before + 2);

	/* an ACK behind the same header still has its cookie checked */
	before = counter(FW_SG_COOKIE_INVALID);
	opt[62 + 13] = T_ACK;
	assert_int_equal(run(opt, len + 8, out, &out_len), XDP_DROP);
	assert_int_equal(counter(FW_SG_COOKIE_INVALID), before + 1);
}

/* ---- a SYN on a tuple in TIME-WAIT ------------------------------------ */

/* A socket address on lo (127.0.0.1 or ::1) and port. */
static socklen_t loopback_addr(int family, uint16_t port, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof(*ss));
	if (family == 4) {
		struct sockaddr_in *a = (struct sockaddr_in *)ss;

		a->sin_family = AF_INET;
		a->sin_port = htons(port);
		a->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
		return sizeof(*a);
	}
	struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;

	a->sin6_family = AF_INET6;
	a->sin6_port = htons(port);
	a->sin6_addr = in6addr_loopback;
	return sizeof(*a);
}

/* Whether /proc/net/tcp{,6} lists local port `local`, remote port `remote`
 * in TIME-WAIT (state 06). */
static bool listed_in_time_wait(int family, uint16_t local, uint16_t remote)
{
	FILE *f = fopen(family == 4 ? "/proc/net/tcp" : "/proc/net/tcp6", "r");
	char line[512], want_local[8], want_remote[8];
	bool found = false;

	assert_non_null(f);
	snprintf(want_local, sizeof(want_local), ":%04X ", local);
	snprintf(want_remote, sizeof(want_remote), ":%04X ", remote);
	while (!found && fgets(line, sizeof(line), f)) {
		char *l = strstr(line, want_local), *r = l ? strstr(l + 6, want_remote) : NULL;

		found = r && strncmp(r + 6, "06 ", 3) == 0;
	}
	fclose(f);
	return found;
}

/* A listener on port; a client from client_port connects, the server closes
 * first (as an HTTP/1.0 server does), then the client: the server's side of
 * the tuple is left in TIME-WAIT. Returns the listener (still listening). */
static int server_closes_first(int family, uint16_t port, uint16_t client_port)
{
	struct sockaddr_storage srv, cli;
	socklen_t len = loopback_addr(family, port, &srv);
	int af = family == 4 ? AF_INET : AF_INET6, one = 1, lfd, cfd, sfd;
	char byte;

	loopback_addr(family, client_port, &cli);
	lfd = socket(af, SOCK_STREAM, 0);
	cfd = socket(af, SOCK_STREAM, 0);
	assert_true(lfd >= 0 && cfd >= 0);
	assert_int_equal(setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)), 0);
	assert_int_equal(bind(lfd, (struct sockaddr *)&srv, len), 0);
	assert_int_equal(listen(lfd, 4), 0);
	assert_int_equal(bind(cfd, (struct sockaddr *)&cli, len), 0);
	assert_int_equal(connect(cfd, (struct sockaddr *)&srv, len), 0);
	sfd = accept(lfd, NULL, NULL);
	assert_true(sfd >= 0);
	close(sfd);
	assert_int_equal(read(cfd, &byte, 1), 0);       /* the server's FIN */
	close(cfd);
	for (int i = 0; i < 100 && !listed_in_time_wait(family, port, client_port); i++)
		usleep(10000);
	assert_true(listed_in_time_wait(family, port, client_port));
	return lfd;
}

/* The client opens the same tuple again within TIME-WAIT, and conntrack
 * does not know the flow: the SYN goes to the stack, which reopens the
 * tuple through the TIME-WAIT socket. A cookie answer would hang: its ACK
 * would land on the TIME-WAIT socket, not on the listener. Another tuple to
 * the same listener is still answered here. */
static void syn_on_time_wait_passes(int family)
{
	uint16_t client = CLIENT_PORT + 20 + family;
	struct seg s = { .family = family, .src = family == 4 ? "127.0.0.1" : "::1",
			 .dst = family == 4 ? "127.0.0.1" : "::1", .sport = client,
			 .dport = GUARDED, .flags = T_SYN, .seq = CLIENT_ISN,
			 .opts = syn_opts, .opts_len = sizeof(syn_opts) };
	int lfd = server_closes_first(family, GUARDED, client);

	/* conntrack forgets whatever it made of the connection on lo (without
	 * the tool: a fresh namespace with no ct rule tracks nothing) */
	int flushed = system("conntrack -F >/dev/null 2>&1");

	(void)flushed;
	expect_verdict(&s, XDP_PASS, FW_SG_PASS_TIME_WAIT);
	/* a fresh tuple to the same listener (the lookup finds the listener) is
	 * still answered here */
	s.sport = client + 100;
	expect_synack(&s);
	close(lfd);
}

static void test_syn_on_time_wait_v4_passes(void **state)
{
	syn_on_time_wait_passes(4);
}

static void test_syn_on_time_wait_v6_passes(void **state)
{
	syn_on_time_wait_passes(6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_first_syn_per_port_goes_to_the_stack),
		cmocka_unit_test(test_syn_v4_answered_with_valid_cookie),
		cmocka_unit_test(test_syn_v6_answered_with_valid_cookie),
		cmocka_unit_test(test_options_encoded_as_the_kernel_decodes_them),
		cmocka_unit_test(test_bad_cookie_dropped_and_counted),
		cmocka_unit_test(test_other_traffic_passes),
		cmocka_unit_test(test_other_flags_pass),
		cmocka_unit_test(test_bad_checksum_syn_dropped),
		cmocka_unit_test(test_established_flow_passes),
		cmocka_unit_test(test_truncated_tcp_dropped),
		cmocka_unit_test(test_syn_with_data_answered),
		cmocka_unit_test(test_syn_with_ip_options_dropped),
		cmocka_unit_test(test_syn_on_time_wait_v4_passes),
		cmocka_unit_test(test_syn_on_time_wait_v6_passes),
	};

	return cmocka_run_group_tests_name("syn_guard", tests, setup, teardown);
}
