// SPDX-License-Identifier: MIT
/*
 * socket_monitor under BPF_PROG_TEST_RUN: crafted DNS and DHCP frames go
 * through the socket filter; each test checks the counters that moved in
 * `stats` (and that no other did), the events that came out of the
 * `monitor_events` ring buffer (read through the collector), and the return
 * value.
 *
 * Return value: a socket filter's return is how many bytes of the packet the
 * socket it is attached to keeps; it cannot change the packet or what the
 * host's services receive. socket_monitor returns 0 for every packet (its
 * AF_PACKET socket keeps nothing: events carry what the daemon needs), and
 * the frame comes out of the run byte for byte as it went in.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "bpf/bpf_test.h"
#include "bpf/netns_lab.h"
#include "ebpf/collector.h"
#include "flywall/monitor.h"


static struct bpf_object *obj;
static int prog;
static struct fw_collector *collector;
static json_t *events;          /* what the collector delivered, in order */

static void on_event(const char *source, json_t *event, void *ctx)
{
	json_array_append(events, event);
}

/* Loads the object with flywall_services set (0: keep the object's default). */
static int load(uint32_t services)
{
	struct fw_error err = {};

	obj = bpf_test_open("socket_monitor");
	if (!obj)
		return -1;
	if (services && bpf_test_set_global(obj, "flywall_services", &services,
					    sizeof(services))) {
		fprintf(stderr, "# no global flywall_services\n");
		return -1;
	}
	if (bpf_object__load(obj))
		return -1;
	prog = bpf_test_prog_fd(obj, "socket_monitor");
	events = json_array();
	if (prog < 0 || fw_collector_new(on_event, NULL, &collector, &err) ||
	    fw_collector_add(collector, "monitor", bpf_test_map_fd(obj, "monitor_events"), -1,
			     &err)) {
		fprintf(stderr, "# %s\n", err.msg);
		return -1;
	}
	return 0;
}

static int setup(void **state)
{
	return load(0);
}

static int setup_dns_only(void **state)
{
	return load(FW_MON_SVC_DNS);
}

static int teardown(void **state)
{
	fw_collector_free(collector);
	bpf_object__close(obj);
	json_decref(events);
	return 0;
}

/* Zeroes every counter and forgets old events: each test starts clean. */
static int reset(void **state)
{
	int ncpu = libbpf_num_possible_cpus();
	uint64_t zeros[ncpu];
	int fd = bpf_test_map_fd(obj, "stats");

	memset(zeros, 0, sizeof(zeros));
	for (uint32_t i = 0; i < FW_MON_STATS_SIZE; i++)
		if (bpf_map_update_elem(fd, &i, zeros, 0))
			return -1;
	fw_collector_drain(collector);
	json_array_clear(events);
	return 0;
}

/* ---- crafting ----------------------------------------------------------- */

struct msg {
	uint8_t data[FRAME_MAX];
	size_t len;
};

static void put(struct msg *m, const void *bytes, size_t n)
{
	assert_true(m->len + n <= sizeof(m->data));
	memcpy(m->data + m->len, bytes, n);
	m->len += n;
}

static void put_u16(struct msg *m, uint16_t v)
{
	uint8_t b[2] = { v >> 8, v & 0xff };

	put(m, b, 2);
}

static void put_name(struct msg *m, const char *name)
{
	while (*name) {
		size_t n = strcspn(name, ".");
		uint8_t len = n;

		put(m, &len, 1);
		put(m, name, n);
		name += n + (name[n] == '.');
	}
	put(m, "", 1);
}

#define DNS_RESPONSE 0x8180     /* QR, RD, RA */
#define DNS_QUERY 0x0100        /* RD */

static struct msg dns_header(uint16_t id, uint16_t flags, uint16_t qd, uint16_t an)
{
	struct msg m = {};

	put_u16(&m, id);
	put_u16(&m, flags);
	put_u16(&m, qd);
	put_u16(&m, an);
	put_u16(&m, 0);
	put_u16(&m, 0);
	return m;
}

static struct msg dns_question(uint16_t id, uint16_t flags, const char *name, uint16_t qtype)
{
	struct msg m = dns_header(id, flags, 1, 0);

	put_name(&m, name);
	put_u16(&m, qtype);
	put_u16(&m, 1);
	return m;
}

/* Wraps a UDP payload in Ethernet + IPv4/IPv6 + UDP; returns the frame length. */
static size_t udp_frame(uint8_t *buf, int family, uint16_t sport, uint16_t dport,
			const struct msg *payload)
{
	struct frame_spec s = {
		.family = family, .proto = IPPROTO_UDP, .sport = sport, .dport = dport,
		.src = family == 4 ? "10.77.0.2" : "fd77::2",
		.dst = family == 4 ? "10.77.0.1" : "fd77::1",
		.payload = payload->len,
	};
	size_t len = build_frame(&s, buf);

	memcpy(buf + len - payload->len, payload->data, payload->len);
	return len;
}

/* Runs a frame (cut to cut bytes when cut > 0): return 0, the frame out as it
 * went in, events delivered. */
static void run_frame(const uint8_t *frame, size_t len)
{
	uint8_t out[FRAME_MAX + 64];
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .data_out = out, .data_size_out = sizeof(out), .repeat = 1);

	assert_int_equal(bpf_prog_test_run_opts(prog, &opts), 0);
	assert_int_equal(opts.retval, 0);
	/* the run zeroes the link-layer header of a non-L2 program's output */
	assert_int_equal(opts.data_size_out, len);
	assert_memory_equal(out + ETH_HLEN, frame + ETH_HLEN, len - ETH_HLEN);
	assert_true(fw_collector_drain(collector) >= 0);
}

static void run_udp(int family, uint16_t sport, uint16_t dport, const struct msg *payload)
{
	uint8_t frame[FRAME_MAX];

	run_frame(frame, udp_frame(frame, family, sport, dport, payload));
}

/* ---- expectations ------------------------------------------------------- */

struct moved {
	uint32_t index;
	uint64_t value;
};

/* The listed counters hold these values; every other counter is zero. */
static void expect_counters(const struct moved *m, size_t n)
{
	for (uint32_t i = 0; i < FW_MON_STATS_SIZE; i++) {
		uint64_t want = 0, got = bpf_test_counter(obj, "stats", i);

		for (size_t k = 0; k < n; k++)
			if (m[k].index == i)
				want = m[k].value;
		if (got != want)
			fail_msg("stats[%u] = %llu, expected %llu", i, (unsigned long long)got,
				 (unsigned long long)want);
	}
}

#define EXPECT_COUNTERS(...) do { \
	const struct moved m_[] = { __VA_ARGS__ }; \
	expect_counters(m_, sizeof(m_) / sizeof(m_[0])); \
} while (0)

static json_t *event(size_t i)
{
	json_t *e = json_array_get(events, i);

	if (!e)
		fail_msg("expected at least %zu events, got %zu", i + 1, json_array_size(events));
	return e;
}

static void expect_str(json_t *e, const char *key, const char *want)
{
	const char *got = json_string_value(json_object_get(e, key));

	if (!got || strcmp(got, want))
		fail_msg("event %s = %s, expected %s", key, got ? got : "(none)", want);
}

static void expect_int(json_t *e, const char *key, json_int_t want)
{
	json_t *v = json_object_get(e, key);

	if (!json_is_integer(v) || json_integer_value(v) != want)
		fail_msg("event %s = %lld, expected %lld", key,
			 v ? (long long)json_integer_value(v) : -1LL, (long long)want);
}

static void expect_no_events(void)
{
	assert_int_equal(json_array_size(events), 0);
}

#define QUERY_SLOT(t) (FW_MON_DNS_QUERY_QTYPE_BASE + fw_dns_qtype_slot(t))
#define RESP_SLOT(t) (FW_MON_DNS_RESP_QTYPE_BASE + fw_dns_qtype_slot(t))
#define QTYPE_A 1
#define QTYPE_TXT 16
#define QTYPE_AAAA 28
#define QTYPE_HTTPS 65

/* ---- DNS ---------------------------------------------------------------- */

static void test_dns_a_query(void **state)
{
	struct msg q = dns_question(0x1234, DNS_QUERY, "www.example.com", QTYPE_A);
	json_t *e;

	run_udp(4, 40000, 53, &q);
	EXPECT_COUNTERS({ FW_MON_PACKETS, 1 }, { FW_MON_DNS_QUERIES, 1 },
			{ QUERY_SLOT(QTYPE_A), 1 });
	assert_int_equal(json_array_size(events), 1);
	e = event(0);
	expect_str(e, "type", "dns");
	expect_str(e, "program", "monitor");
	expect_str(e, "name", "www.example.com");
	expect_str(e, "qtype", "A");
	expect_int(e, "id", 0x1234);
	expect_str(e, "saddr", "10.77.0.2");
	expect_str(e, "daddr", "10.77.0.1");
	expect_int(e, "sport", 40000);
	expect_int(e, "dport", 53);
	assert_true(json_is_false(json_object_get(e, "response")));
}

static void test_dns_aaaa_response_ipv6(void **state)
{
	struct msg r = dns_question(7, DNS_RESPONSE, "ipv6.example.org", QTYPE_AAAA);
	static const uint8_t answer[] = {
		0xc0, 0x0c, 0, 28, 0, 1, 0, 0, 0x0e, 0x10, 0, 16,
		0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1,
	};
	json_t *e;

	r.data[7] = 1;          /* ANCOUNT */
	put(&r, answer, sizeof(answer));
	run_udp(6, 53, 5353, &r);
	EXPECT_COUNTERS({ FW_MON_PACKETS, 1 }, { FW_MON_DNS_RESPONSES, 1 },
			{ FW_MON_DNS_RCODE_BASE + 0, 1 }, { RESP_SLOT(QTYPE_AAAA), 1 });
	e = event(0);
	expect_str(e, "name", "ipv6.example.org");
	expect_str(e, "qtype", "AAAA");
	expect_str(e, "rcode", "NOERROR");
	expect_str(e, "saddr", "fd77::2");
	expect_str(e, "daddr", "fd77::1");
	assert_true(json_is_true(json_object_get(e, "response")));
}

static void test_dns_txt_nxdomain(void **state)
{
	struct msg r = dns_question(9, DNS_RESPONSE | 3, "nope.example.net", QTYPE_TXT);

	run_udp(4, 53, 40001, &r);
	EXPECT_COUNTERS({ FW_MON_PACKETS, 1 }, { FW_MON_DNS_RESPONSES, 1 },
			{ FW_MON_DNS_RCODE_BASE + 3, 1 }, { RESP_SLOT(QTYPE_TXT), 1 });
	expect_str(event(0), "rcode", "NXDOMAIN");
	expect_str(event(0), "qtype", "TXT");
}

static void test_dns_https_and_root(void **state)
{
	struct msg https = dns_question(1, DNS_QUERY, "svc.example", QTYPE_HTTPS);
	struct msg root = dns_question(2, DNS_QUERY, "", 2 /* NS */);

	run_udp(4, 40002, 53, &https);
	run_udp(4, 40002, 53, &root);
	EXPECT_COUNTERS({ FW_MON_PACKETS, 2 }, { FW_MON_DNS_QUERIES, 2 },
			{ FW_MON_DNS_QUERY_QTYPE_BASE + FW_DNS_QTYPE_SLOT_HTTPS, 1 },
			{ QUERY_SLOT(2), 1 });
	expect_str(event(0), "qtype", "HTTPS");
	expect_str(event(1), "name", "");
}

/* Answers compressed against the question: the question's name still reads. */
static void test_dns_compressed_answers(void **state)
{
	struct msg r = dns_question(3, DNS_RESPONSE, "mail.example.com", 15 /* MX */);
	static const uint8_t answers[] = {
		/* mail.example.com MX 10 mx1.example.com (mx1 + pointer to example.com) */
		0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 1, 0, 0, 8, 0, 10, 3, 'm', 'x', '1', 0xc0, 0x11,
		/* a second answer pointing into the first */
		0xc0, 0x0c, 0, 15, 0, 1, 0, 0, 1, 0, 0, 4, 0, 20, 0xc0, 0x2a,
	};

	r.data[7] = 2;
	put(&r, answers, sizeof(answers));
	run_udp(4, 53, 40003, &r);
	EXPECT_COUNTERS({ FW_MON_PACKETS, 1 }, { FW_MON_DNS_RESPONSES, 1 },
			{ FW_MON_DNS_RCODE_BASE + 0, 1 }, { RESP_SLOT(15), 1 });
	expect_str(event(0), "name", "mail.example.com");
	expect_str(event(0), "qtype", "MX");
}

/*
 * The first question starts right after the header, so a pointer in its name
 * can only go forward (invalid) or back into the name itself (a loop): both
 * are malformed, and the loop ends at the jump limit, not the step budget.
 */
static void run_question_name(const void *name, size_t len)
{
	struct msg q = dns_header(4, DNS_QUERY, 1, 0);

	put(&q, name, len);
	put_u16(&q, QTYPE_A);
	put_u16(&q, 1);
	run_udp(4, 40004, 53, &q);
}

static void test_dns_compressed_question(void **state)
{
	run_question_name("\x02xy\xc0\x10", 5);             /* forward, to 16 */
	run_question_name("\x01x\xc0\x0c", 4);              /* back to itself */
	run_question_name("\x01" "a" "\x01" "b" "\xc0\x0e", 6); /* back to "b": b.b.b... */
	run_question_name("\xc0\x05", 2);                    /* into the header */
	EXPECT_COUNTERS({ FW_MON_PACKETS, 4 }, { FW_MON_DNS_MALFORMED, 4 });
	expect_no_events();
}

static void test_dns_truncated_packet(void **state)
{
	struct msg q = dns_question(8, DNS_QUERY, "cut.example.com", QTYPE_A);
	uint8_t frame[FRAME_MAX];
	size_t len = udp_frame(frame, 4, 40005, 53, &q);

	/* the capture ends inside the name; UDP still claims the whole message */
	run_frame(frame, len - 12);
	EXPECT_COUNTERS({ FW_MON_PACKETS, 1 }, { FW_MON_DNS_MALFORMED, 1 });
	expect_no_events();

	/* cut inside the header */
	reset(state);
	run_frame(frame, len - q.len + 6);
	EXPECT_COUNTERS({ FW_MON_PACKETS, 1 }, { FW_MON_DNS_MALFORMED, 1 });
	expect_no_events();
}

static void test_dns_tc_bit(void **state)
{
	struct msg r = dns_question(10, DNS_RESPONSE | 0x0200, "big.example.com", QTYPE_TXT);

	run_udp(4, 53, 40006, &r);
	EXPECT_COUNTERS({ FW_MON_PACKETS, 1 }, { FW_MON_DNS_RESPONSES, 1 },
			{ FW_MON_DNS_RCODE_BASE + 0, 1 }, { RESP_SLOT(QTYPE_TXT), 1 },
			{ FW_MON_DNS_TRUNCATED, 1 });
	assert_true(json_is_true(json_object_get(event(0), "truncated")));

	/* and a whole response is not */
	reset(state);
	r = dns_question(10, DNS_RESPONSE, "big.example.com", QTYPE_TXT);
	run_udp(4, 53, 40006, &r);
	EXPECT_COUNTERS({ FW_MON_PACKETS, 1 }, { FW_MON_DNS_RESPONSES, 1 },
			{ FW_MON_DNS_RCODE_BASE + 0, 1 }, { RESP_SLOT(QTYPE_TXT), 1 });
	assert_true(json_is_false(json_object_get(event(0), "truncated")));
}

static void test_dns_malformed(void **state)
{
	struct msg no_question = dns_header(11, DNS_QUERY, 0, 0);
	struct msg bad_label = dns_header(12, DNS_QUERY, 1, 0);
	struct msg long_name = dns_header(13, DNS_QUERY, 1, 0);
	struct msg short_hdr = { .data = { 0, 1, 0, 0 }, .len = 4 };

	put(&bad_label, "\x41" "abc\0\0\1\0\1", 9);    /* 0x40 label type */
	for (int i = 0; i < 5; i++)                     /* 5 x 63 bytes > 255 */
		put(&long_name, "\x3f" "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", 64);
	put(&long_name, "\0\0\1\0\1", 5);
	run_udp(4, 40007, 53, &no_question);
	run_udp(4, 40007, 53, &bad_label);
	run_udp(4, 40007, 53, &long_name);
	run_udp(4, 40007, 53, &short_hdr);
	EXPECT_COUNTERS({ FW_MON_PACKETS, 4 }, { FW_MON_DNS_MALFORMED, 4 });
	expect_no_events();
}

/* The longest legal name (253 characters) comes out whole. */
static void test_dns_longest_name(void **state)
{
	char name[254];
	struct msg q;

	/* 3 x (63 + dot) + 61 = 253 */
	memset(name, 'b', 253);
	name[253] = '\0';
	name[63] = name[127] = name[191] = '.';
	q = dns_question(14, DNS_QUERY, name, QTYPE_A);
	run_udp(4, 40008, 53, &q);
	EXPECT_COUNTERS({ FW_MON_PACKETS, 1 }, { FW_MON_DNS_QUERIES, 1 },
			{ QUERY_SLOT(QTYPE_A), 1 });
	expect_str(event(0), "name", name);
}

static void test_other_traffic_ignored(void **state)
{
	struct msg q = dns_question(15, DNS_QUERY, "x.example", QTYPE_A);
	struct frame_spec tcp = { .family = 4, .proto = IPPROTO_TCP, .sport = 40009,
				  .dport = 53, .src = "10.77.0.2", .dst = "10.77.0.1" };
	uint8_t frame[FRAME_MAX];

	run_udp(4, 40009, 5300, &q);    /* not port 53 */
	run_frame(frame, build_frame(&tcp, frame));
	EXPECT_COUNTERS({ FW_MON_PACKETS, 0 });
	expect_no_events();
}

/* ---- DHCP --------------------------------------------------------------- */

static const uint8_t client_mac[6] = { 0x02, 0x42, 0xac, 0x11, 0x00, 0x07 };

/* A BOOTP message with the magic cookie; options appended by the caller. */
static struct msg dhcp_message(uint8_t op, uint32_t xid, const char *yiaddr)
{
	struct msg m = {};
	uint8_t fixed[236] = { op, 1, 6, 0 };

	fixed[4] = xid >> 24;
	fixed[5] = xid >> 16;
	fixed[6] = xid >> 8;
	fixed[7] = xid;
	if (yiaddr)
		inet_pton(AF_INET, yiaddr, fixed + 16);
	memcpy(fixed + 28, client_mac, 6);
	put(&m, fixed, sizeof(fixed));
	put(&m, "\x63\x82\x53\x63", 4);
	return m;
}

static struct msg dhcp_typed(uint8_t op, uint32_t xid, uint8_t type, const char *yiaddr)
{
	struct msg m = dhcp_message(op, xid, yiaddr);
	uint8_t type_opt[3] = { 53, 1, type };

	put(&m, "\0", 1);                               /* a pad */
	put(&m, "\x3d\x07\x01\x02\x42\xac\x11\x00\x07", 9);   /* client id */
	put(&m, type_opt, 3);
	put(&m, "\x37\x03\x01\x03\x06", 5);             /* parameter request list */
	put(&m, "\xff", 1);
	return m;
}

static void test_dhcp_exchange(void **state)
{
	static const char *const names[] = { "DISCOVER", "OFFER", "REQUEST", "ACK" };
	static const uint8_t types[] = { 1, 2, 3, 5 };
	const uint32_t xid = 0x3903f326;

	for (int i = 0; i < 4; i++) {
		bool reply = types[i] == 2 || types[i] == 5;
		struct msg m = dhcp_typed(reply ? 2 : 1, xid, types[i],
					  reply ? "10.77.0.50" : NULL);

		run_udp(4, reply ? 67 : 68, reply ? 68 : 67, &m);
	}
	EXPECT_COUNTERS({ FW_MON_PACKETS, 4 }, { FW_MON_DHCP_MESSAGES, 4 },
			{ FW_MON_DHCP_TYPE_BASE + 1, 1 }, { FW_MON_DHCP_TYPE_BASE + 2, 1 },
			{ FW_MON_DHCP_TYPE_BASE + 3, 1 }, { FW_MON_DHCP_TYPE_BASE + 5, 1 });
	assert_int_equal(json_array_size(events), 4);
	for (int i = 0; i < 4; i++) {
		json_t *e = event(i);

		expect_str(e, "type", "dhcp");
		expect_str(e, "message", names[i]);
		expect_str(e, "xid", "0x3903f326");
		expect_str(e, "client_mac", "02:42:ac:11:00:07");
	}
	expect_str(event(1), "yiaddr", "10.77.0.50");
	expect_str(event(1), "op", "reply");
	expect_str(event(0), "op", "request");
}

static void test_dhcp_bad_options(void **state)
{
	struct msg overrun = dhcp_message(1, 1, NULL);
	struct msg no_type = dhcp_message(1, 2, NULL);
	struct msg bad_type_len = dhcp_message(1, 3, NULL);
	struct msg no_cookie = dhcp_typed(1, 4, 1, NULL);
	struct msg short_msg = { .data = { 1, 1, 6 }, .len = 100 };

	put(&overrun, "\x35\x01\x01\x0c\x20" "host", 9);   /* hostname says 32 bytes */
	put(&no_type, "\x0c\x04" "host\xff", 7);
	put(&bad_type_len, "\x35\x02\x01\x01\xff", 5);
	no_cookie.data[236] = 0;
	run_udp(4, 68, 67, &overrun);
	run_udp(4, 68, 67, &no_type);
	run_udp(4, 68, 67, &bad_type_len);
	run_udp(4, 68, 67, &no_cookie);
	run_udp(4, 68, 67, &short_msg);
	EXPECT_COUNTERS({ FW_MON_PACKETS, 5 }, { FW_MON_DHCP_MALFORMED, 5 });
	expect_no_events();
}

/* Options may end with the datagram; an unknown type counts in slot 0. */
static void test_dhcp_no_end_option_unknown_type(void **state)
{
	struct msg m = dhcp_message(1, 5, NULL);

	put(&m, "\x35\x01\x63", 3);     /* type 99, no END */
	run_udp(4, 68, 67, &m);
	EXPECT_COUNTERS({ FW_MON_PACKETS, 1 }, { FW_MON_DHCP_MESSAGES, 1 },
			{ FW_MON_DHCP_TYPE_BASE + 0, 1 });
	expect_int(event(0), "message", 99);
}

/* ---- `sockets = ["dns"]` ------------------------------------------------ */

static void test_services_dns_only(void **state)
{
	struct msg q = dns_question(16, DNS_QUERY, "only.dns", QTYPE_A);
	struct msg d = dhcp_typed(1, 6, 1, NULL);

	run_udp(4, 68, 67, &d);
	run_udp(4, 40010, 53, &q);
	EXPECT_COUNTERS({ FW_MON_PACKETS, 1 }, { FW_MON_DNS_QUERIES, 1 },
			{ QUERY_SLOT(QTYPE_A), 1 });
	assert_int_equal(json_array_size(events), 1);
	expect_str(event(0), "type", "dns");
}

/* ---- live: attached to an AF_PACKET socket, as the engine does ---------- */

static struct lab lab;
static int packet_fd = -1;

/* Opens an AF_PACKET socket on dev in namespace ns and attaches the program,
 * as the engine does for a socket_filter block. */
static int attach_packet_socket(const char *ns, const char *dev)
{
	int self = open("/proc/self/ns/net", O_RDONLY | O_CLOEXEC);
	struct sockaddr_ll sll = { .sll_family = AF_PACKET, .sll_protocol = htons(ETH_P_ALL) };
	int fd = -1;

	if (self < 0 || lab_enter(ns))
		goto out;
	sll.sll_ifindex = if_nametoindex(dev);
	fd = socket(AF_PACKET, SOCK_RAW | SOCK_CLOEXEC, htons(ETH_P_ALL));
	if (fd >= 0 && (bind(fd, (struct sockaddr *)&sll, sizeof(sll)) ||
			setsockopt(fd, SOL_SOCKET, SO_ATTACH_BPF, &prog, sizeof(prog)))) {
		close(fd);
		fd = -1;
	}
	if (setns(self, CLONE_NEWNET))
		abort();        /* the rest of the tests would run in the lab */
out:
	if (self >= 0)
		close(self);
	return fd;
}

static int setup_live(void **state)
{
	if (load(0) || lab_up(&lab, "mon"))
		return -1;
	return 0;
}

static int teardown_live(void **state)
{
	lab_down(&lab);
	return teardown(state);
}

static int detach_live(void **state)
{
	if (packet_fd >= 0)
		close(packet_fd);
	packet_fd = -1;
	return 0;
}

/* Sends one UDP datagram from namespace ns, in a child (setns moves only the
 * caller). */
static void send_udp_from(const char *ns, const char *from, uint16_t sport, const char *to,
			  uint16_t dport, const struct msg *payload)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		struct sockaddr_in src = { .sin_family = AF_INET, .sin_port = htons(sport) };
		struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(dport) };
		int fd;

		inet_pton(AF_INET, from, &src.sin_addr);
		inet_pton(AF_INET, to, &dst.sin_addr);
		if (lab_enter(ns) || (fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0 ||
		    bind(fd, (struct sockaddr *)&src, sizeof(src)) ||
		    sendto(fd, payload->data, payload->len, 0, (struct sockaddr *)&dst,
			   sizeof(dst)) != (ssize_t)payload->len)
			_exit(1);
		_exit(0);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

/* Received packets are processed in softirq: wait (up to a second) until n
 * events have arrived. */
static void wait_for_events(size_t n)
{
	for (int i = 0; i < 100 && json_array_size(events) < n; i++)
		fw_collector_poll(collector, 10);
}

static void test_live_dns_and_dhcp_on_eth0(void **state)
{
	struct msg q = dns_question(0x4242, DNS_QUERY, "live.example.com", QTYPE_AAAA);
	struct msg d = dhcp_typed(1, 0x11223344, 3 /* REQUEST */, NULL);
	json_t *e;

	packet_fd = attach_packet_socket(lab.fw, "eth0");
	assert_true(packet_fd >= 0);
	send_udp_from(lab.peer, LAB_PEER_IP, 40053, LAB_FW_IP, 53, &q);
	send_udp_from(lab.peer, LAB_PEER_IP, 68, LAB_FW_IP, 67, &d);
	wait_for_events(2);
	/* nothing listens on 53 or 67: the host answers with ICMP, not counted */
	EXPECT_COUNTERS({ FW_MON_PACKETS, 2 }, { FW_MON_DNS_QUERIES, 1 },
			{ QUERY_SLOT(QTYPE_AAAA), 1 }, { FW_MON_DHCP_MESSAGES, 1 },
			{ FW_MON_DHCP_TYPE_BASE + 3, 1 });
	assert_int_equal(json_array_size(events), 2);
	e = event(0);
	expect_str(e, "name", "live.example.com");
	expect_str(e, "direction", "host");
	expect_str(e, "saddr", LAB_PEER_IP);
	expect_int(e, "ifindex", lab_ifindex(lab.fw, "eth0"));
	e = event(1);
	expect_str(e, "message", "REQUEST");
	expect_str(e, "xid", "0x11223344");
	expect_str(e, "client_mac", "02:42:ac:11:00:07");
}

/* Loopback shows a packet leaving and arriving: it counts once. */
static void test_live_loopback_counts_once(void **state)
{
	struct msg q = dns_question(0x5353, DNS_QUERY, "lo.example", QTYPE_A);

	packet_fd = attach_packet_socket(lab.fw, "lo");
	assert_true(packet_fd >= 0);
	send_udp_from(lab.fw, "127.0.0.1", 40054, "127.0.0.1", 53, &q);
	wait_for_events(1);
	EXPECT_COUNTERS({ FW_MON_PACKETS, 1 }, { FW_MON_DNS_QUERIES, 1 },
			{ QUERY_SLOT(QTYPE_A), 1 });
	assert_int_equal(json_array_size(events), 1);
	expect_str(event(0), "name", "lo.example");
}

int main(void)
{
	const struct CMUnitTest both[] = {
		cmocka_unit_test_setup(test_dns_a_query, reset),
		cmocka_unit_test_setup(test_dns_aaaa_response_ipv6, reset),
		cmocka_unit_test_setup(test_dns_txt_nxdomain, reset),
		cmocka_unit_test_setup(test_dns_https_and_root, reset),
		cmocka_unit_test_setup(test_dns_compressed_answers, reset),
		cmocka_unit_test_setup(test_dns_compressed_question, reset),
		cmocka_unit_test_setup(test_dns_truncated_packet, reset),
		cmocka_unit_test_setup(test_dns_tc_bit, reset),
		cmocka_unit_test_setup(test_dns_malformed, reset),
		cmocka_unit_test_setup(test_dns_longest_name, reset),
		cmocka_unit_test_setup(test_other_traffic_ignored, reset),
		cmocka_unit_test_setup(test_dhcp_exchange, reset),
		cmocka_unit_test_setup(test_dhcp_bad_options, reset),
		cmocka_unit_test_setup(test_dhcp_no_end_option_unknown_type, reset),
	};
	const struct CMUnitTest dns_only[] = {
		cmocka_unit_test_setup(test_services_dns_only, reset),
	};
	const struct CMUnitTest live[] = {
		cmocka_unit_test_setup_teardown(test_live_dns_and_dhcp_on_eth0, reset, detach_live),
		cmocka_unit_test_setup_teardown(test_live_loopback_counts_once, reset, detach_live),
	};
	int failed = cmocka_run_group_tests_name("socket_monitor", both, setup, teardown);

	failed += cmocka_run_group_tests_name("socket_monitor dns only", dns_only,
					      setup_dns_only, teardown);
	return failed + cmocka_run_group_tests_name("socket_monitor on an AF_PACKET socket", live,
						    setup_live, teardown_live);
}
