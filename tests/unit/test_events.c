// SPDX-License-Identifier: MIT
/* The event decoder: each record type Flywall's programs send becomes the
 * JSON docs/programs.md describes; anything else becomes a "raw" event. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/events.h"
#include "flywall/conntrack.h"
#include "flywall/ddos.h"
#include "flywall/monitor.h"
#include "flywall/trace.h"

static void hdr(struct fw_event_hdr *h, enum fw_event_type type, size_t len)
{
	h->type = type;
	h->len = len;
	h->cpu = 1;
	h->ts_ns = 123456789;
}

static const char *str(json_t *e, const char *key)
{
	const char *s = json_string_value(json_object_get(e, key));

	return s ? s : "(missing)";
}

static json_int_t num(json_t *e, const char *key)
{
	return json_integer_value(json_object_get(e, key));
}

static void test_dns(void **state)
{
	struct fw_dns_event ev = {};
	json_t *e;

	hdr(&ev.hdr, FW_EVENT_DNS, sizeof(ev));
	ev.family = 4;
	ev.flags = FW_EVENT_F_RESPONSE;
	ev.rcode = 3;
	ev.pkt_type = 4;
	inet_pton(AF_INET, "192.0.2.53", ev.saddr);
	inet_pton(AF_INET, "192.0.2.1", ev.daddr);
	ev.sport = 53;
	ev.dport = 40000;
	ev.id = 77;
	ev.qtype = 28;
	ev.qclass = 1;
	strcpy(ev.name, "www.example.com");
	ev.name_len = strlen(ev.name);
	e = fw_event_decode(&ev, sizeof(ev));
	assert_string_equal(str(e, "type"), "dns");
	assert_int_equal(num(e, "ts_ns"), 123456789);
	assert_int_equal(num(e, "cpu"), 1);
	assert_string_equal(str(e, "name"), "www.example.com");
	assert_string_equal(str(e, "qtype"), "AAAA");
	assert_string_equal(str(e, "rcode"), "NXDOMAIN");
	assert_string_equal(str(e, "saddr"), "192.0.2.53");
	assert_string_equal(str(e, "direction"), "outgoing");
	assert_true(json_is_true(json_object_get(e, "response")));
	json_decref(e);
}

/* A name is bytes: control characters and non-ASCII come out escaped, so the
 * JSON stays valid; name_len past the field is clamped. */
static void test_dns_name_escaped(void **state)
{
	struct fw_dns_event ev = {};
	json_t *e;

	hdr(&ev.hdr, FW_EVENT_DNS, sizeof(ev));
	ev.family = 6;
	memcpy(ev.name, "a\x01\xff.b\\", 7);
	ev.name_len = 60000;
	ev.qtype = 4242;
	e = fw_event_decode(&ev, sizeof(ev));
	assert_string_equal(str(e, "name"), "a\\x01\\xff.b\\x5c");
	assert_int_equal(num(e, "qtype"), 4242);
	assert_null(json_object_get(e, "rcode"));       /* a query has none */
	assert_string_equal(str(e, "saddr"), "::");
	json_decref(e);
}

static void test_dhcp(void **state)
{
	struct fw_dhcp_event ev = {};
	static const uint8_t mac[6] = { 0x02, 0x42, 0xac, 0x11, 0, 7 };
	json_t *e;

	hdr(&ev.hdr, FW_EVENT_DHCP, sizeof(ev));
	ev.msg_type = 2;
	ev.op = 2;
	ev.hlen = 6;
	ev.xid = 0xdeadbeef;
	memcpy(ev.chaddr, mac, 6);
	inet_pton(AF_INET, "10.0.0.9", &ev.yiaddr);
	e = fw_event_decode(&ev, sizeof(ev));
	assert_string_equal(str(e, "type"), "dhcp");
	assert_string_equal(str(e, "message"), "OFFER");
	assert_string_equal(str(e, "xid"), "0xdeadbeef");
	assert_string_equal(str(e, "client_mac"), "02:42:ac:11:00:07");
	assert_string_equal(str(e, "yiaddr"), "10.0.0.9");
	assert_string_equal(str(e, "op"), "reply");
	json_decref(e);
}

static void test_net_rx(void **state)
{
	struct fw_net_rx_event ev = {};
	json_t *e;

	hdr(&ev.hdr, FW_EVENT_NET_RX, sizeof(ev));
	ev.netns_ino = 4026531840u;
	ev.ifindex = 2;
	ev.len = 84;
	ev.protocol = 0x0800;
	ev.ip_proto = 1;
	inet_pton(AF_INET, "10.77.0.2", ev.saddr);
	strcpy(ev.ifname, "eth0");
	e = fw_event_decode(&ev, sizeof(ev));
	assert_string_equal(str(e, "type"), "net_rx");
	assert_int_equal(num(e, "netns"), 4026531840u);
	assert_string_equal(str(e, "protocol"), "ipv4");
	assert_string_equal(str(e, "saddr"), "10.77.0.2");
	assert_string_equal(str(e, "ifname"), "eth0");
	json_decref(e);

	ev.protocol = 0x88cc;   /* LLDP: no addresses */
	e = fw_event_decode(&ev, sizeof(ev));
	assert_int_equal(num(e, "protocol"), 0x88cc);
	assert_null(json_object_get(e, "saddr"));
	json_decref(e);
}

static void test_tcp_connect_and_stack_id(void **state)
{
	struct fw_tcp_connect_event ev = {};
	int32_t id = -1;
	json_t *e;

	hdr(&ev.hdr, FW_EVENT_TCP_CONNECT, sizeof(ev));
	ev.pid = 42;
	ev.stack_id = 17;
	ev.dport = 443;
	ev.form = FW_TCP_FORM_TRACEPOINT;
	inet_pton(AF_INET, "10.77.0.2", &ev.daddr);
	strcpy(ev.comm, "curl");
	e = fw_event_decode(&ev, sizeof(ev));
	assert_string_equal(str(e, "type"), "tcp_connect");
	assert_string_equal(str(e, "daddr"), "10.77.0.2");
	assert_string_equal(str(e, "comm"), "curl");
	assert_string_equal(str(e, "hook"), "tracepoint");
	assert_int_equal(num(e, "dport"), 443);
	json_decref(e);
	assert_true(fw_event_stack_id(&ev, sizeof(ev), &id));
	assert_int_equal(id, 17);

	ev.stack_id = -14;      /* -EFAULT from bpf_get_stackid */
	assert_false(fw_event_stack_id(&ev, sizeof(ev), &id));
	assert_false(fw_event_stack_id(&ev, sizeof(ev) - 1, &id));
}

static void test_packet_program_events(void **state)
{
	struct fw_ddos_event d = {};
	struct fw_ddos_summary sum = {};
	struct fw_ct_event c = {};
	json_t *e;

	hdr(&d.hdr, FW_EVENT_DDOS_DROP, sizeof(d));
	d.family = 4;
	d.reason = FW_DDOS_REASON_RATE;
	d.saddr[10] = d.saddr[11] = 0xff;
	inet_pton(AF_INET, "198.51.100.7", d.saddr + 12);
	e = fw_event_decode(&d, sizeof(d));
	assert_string_equal(str(e, "type"), "ddos_drop");
	assert_string_equal(str(e, "reason"), "rate_limit");
	assert_string_equal(str(e, "saddr"), "198.51.100.7");
	json_decref(e);

	hdr(&sum.hdr, FW_EVENT_DDOS_SUMMARY, sizeof(sum));
	sum.family = 6;
	sum.reason = FW_DDOS_REASON_BLOCKLIST;
	sum.packets = 5000000000ull;
	sum.first_ns = 123;
	sum.vlan_id = 7;
	inet_pton(AF_INET6, "2001:db8::9", sum.saddr);
	e = fw_event_decode(&sum, sizeof(sum));
	assert_string_equal(str(e, "type"), "ddos_drop_summary");
	assert_string_equal(str(e, "reason"), "blocklist");
	assert_string_equal(str(e, "saddr"), "2001:db8::9");
	assert_true(num(e, "packets") == 5000000000ll);
	assert_int_equal(num(e, "first_ns"), 123);
	assert_int_equal(num(e, "vlan"), 7);
	json_decref(e);
	e = fw_event_decode(&sum, sizeof(sum) - 1);
	assert_string_equal(str(e, "type"), "raw");
	json_decref(e);

	hdr(&c.hdr, FW_EVENT_CONNTRACK, sizeof(c));
	c.family = 6;
	c.reason = FW_CT_DROP_NOT_ALLOWED;
	c.dport = 22;
	inet_pton(AF_INET6, "2001:db8::1", c.daddr);
	e = fw_event_decode(&c, sizeof(c));
	assert_string_equal(str(e, "type"), "conntrack");
	assert_string_equal(str(e, "reason"), "not_allowed");
	assert_string_equal(str(e, "daddr"), "2001:db8::1");
	assert_int_equal(num(e, "dport"), 22);
	json_decref(e);
}

/* Unknown types and records too short for their type still come through. */
static void test_raw(void **state)
{
	struct fw_dns_event dns = {};
	uint8_t blob[300] = { 99, 0 };
	json_t *e;

	e = fw_event_decode(blob, sizeof(blob));
	assert_string_equal(str(e, "type"), "raw");
	assert_int_equal(num(e, "type_id"), 99);
	assert_int_equal(num(e, "size"), 300);
	assert_int_equal(strlen(str(e, "data")), 512);  /* first 256 bytes, hex */
	json_decref(e);

	hdr(&dns.hdr, FW_EVENT_DNS, sizeof(dns));
	e = fw_event_decode(&dns, 40);
	assert_string_equal(str(e, "type"), "raw");
	json_decref(e);

	e = fw_event_decode(blob, 3);
	assert_string_equal(str(e, "type"), "raw");
	assert_null(json_object_get(e, "type_id"));
	assert_string_equal(str(e, "data"), "630000");
	json_decref(e);

	assert_string_equal(fw_event_type_name(FW_EVENT_TCP_CONNECT), "tcp_connect");
	assert_null(fw_event_type_name(1000));
}

/* Any bytes of any length, whatever type they claim: a valid JSON object,
 * never a read past the record (ASan watches). */
static void test_random_records(void **state)
{
	unsigned int seed = 12345;

	for (int round = 0; round < 5000; round++) {
		size_t size = rand_r(&seed) % 400;
		uint8_t *rec = malloc(size ? size : 1);
		json_t *e;
		char *text;
		int32_t id;

		for (size_t i = 0; i < size; i++)
			rec[i] = rand_r(&seed);
		if (size >= 2) {
			rec[0] = rand_r(&seed) % 9;     /* mostly known types */
			rec[1] = 0;
		}
		e = fw_event_decode(rec, size);
		assert_non_null(e);
		assert_non_null(json_object_get(e, "type"));
		text = json_dumps(e, JSON_COMPACT);
		assert_non_null(text);          /* serializable: valid UTF-8 everywhere */
		free(text);
		json_decref(e);
		fw_event_stack_id(rec, size, &id);
		free(rec);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dns),
		cmocka_unit_test(test_dns_name_escaped),
		cmocka_unit_test(test_dhcp),
		cmocka_unit_test(test_net_rx),
		cmocka_unit_test(test_tcp_connect_and_stack_id),
		cmocka_unit_test(test_packet_program_events),
		cmocka_unit_test(test_raw),
		cmocka_unit_test(test_random_records),
	};

	return cmocka_run_group_tests_name("events", tests, NULL, NULL);
}
