// SPDX-License-Identifier: MIT
#include "ebpf/events.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ebpf/spec.h"
#include "flywall/conntrack.h"
#include "flywall/ddos.h"
#include "flywall/rules.h"
#include "flywall/events.h"
#include "flywall/monitor.h"
#include "flywall/trace.h"

_Static_assert(FW_MON_SVC_DNS == FW_SVC_DNS && FW_MON_SVC_DHCP == FW_SVC_DHCP,
	       "socket_monitor's service bits are the engine's");

#define RAW_DATA_MAX 256
#define PACKET_OUTGOING 4

struct event_decoder {
	const char *name;
	size_t size;            /* the smallest record of this type */
	void (*decode)(const void *record, json_t *out);
	int stack_id_offset;    /* of a __s32 stack id, or -1 */
};

/* ---- field helpers ------------------------------------------------------ */

/*
 * Keys are literals and values plain ASCII (kernel strings are escaped
 * first), so jansson's UTF-8 checks can be skipped: they are a good part of
 * the cost of decoding an event.
 */
static void set_str(json_t *out, const char *key, const char *value)
{
	json_object_set_new_nocheck(out, key, json_string_nocheck(value));
}

static void set_int(json_t *out, const char *key, json_int_t value)
{
	json_object_set_new_nocheck(out, key, json_integer(value));
}

static void set_ipv4(json_t *out, const char *key, uint32_t addr_be)
{
	char text[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &addr_be, text, sizeof(text));
	set_str(out, key, text);
}

static void set_ip(json_t *out, const char *key, int family, const uint8_t *addr)
{
	char text[INET6_ADDRSTRLEN];

	inet_ntop(family == 6 ? AF_INET6 : AF_INET, addr, text, sizeof(text));
	set_str(out, key, text);
}

/*
 * A string from the kernel: bytes up to max or the first NUL, printable
 * ASCII kept, anything else written as \xNN so the JSON is always valid.
 */
static void set_kernel_str(json_t *out, const char *key, const char *s, size_t max)
{
	char text[4 * FW_DNS_NAME_MAX + 1];
	size_t n = 0;

	for (size_t i = 0; i < max && s[i] && n + 5 < sizeof(text); i++) {
		unsigned char c = s[i];

		if (c >= 0x20 && c < 0x7f && c != '\\')
			text[n++] = c;
		else
			n += snprintf(text + n, sizeof(text) - n, "\\x%02x", c);
	}
	text[n] = '\0';
	set_str(out, key, text);
}

static void set_mac(json_t *out, const char *key, const uint8_t *mac, size_t len)
{
	char text[16 * 3];
	size_t n = 0;

	if (len > 16)
		len = 16;
	text[0] = '\0';
	for (size_t i = 0; i < len; i++)
		n += snprintf(text + n, sizeof(text) - n, i ? ":%02x" : "%02x", mac[i]);
	set_str(out, key, text);
}

static const char *name_or_null(const char *const *names, size_t n, unsigned int value)
{
	return value < n ? names[value] : NULL;
}

/* Sets key to the name when one is known, else to the number. */
static void set_named(json_t *out, const char *key, const char *name, json_int_t value)
{
	if (name)
		set_str(out, key, name);
	else
		set_int(out, key, value);
}

/* A 16-byte address holding IPv4 as ::ffff:a.b.c.d; null when family is 0. */
static void set_mapped_ip(json_t *out, const char *key, int family, const uint8_t addr[16])
{
	if (family == 4)
		set_ip(out, key, 4, addr + 12);
	else if (family == 6)
		set_ip(out, key, 6, addr);
	else
		json_object_set_new(out, key, json_null());
}

/* ---- ddos_filter, ingress_filter ---------------------------------------- */

static const char *ddos_reason_name(unsigned int reason)
{
	switch (reason) {
	case FW_DDOS_REASON_BLOCKLIST: return "blocklist";
	case FW_DDOS_REASON_CIDR: return "cidr_blocklist";
	case FW_DDOS_REASON_RATE: return "rate_limit";
	case FW_DDOS_REASON_MALFORMED: return "malformed";
	case FW_DDOS_REASON_FRAGMENT: return "fragment";
	case FW_RULES_REASON_RULE: return "rule";
	case FW_RULES_REASON_RULE_RATE: return "rule_rate_limit";
	case FW_RULES_REASON_UNDER_ATTACK: return "under_attack";
	case FW_RULES_REASON_FEED: return "feed";
	default: return NULL;
	}
}

static void decode_ddos_drop(const void *record, json_t *out)
{
	const struct fw_ddos_event *ev = record;

	set_named(out, "reason", ddos_reason_name(ev->reason), ev->reason);
	set_mapped_ip(out, "saddr", ev->family, ev->saddr);
	set_int(out, "ifindex", ev->ifindex);
	set_int(out, "len", ev->pkt_len);
	set_int(out, "vlan", ev->vlan_id);
}

static void decode_ddos_summary(const void *record, json_t *out)
{
	const struct fw_ddos_summary *ev = record;

	set_named(out, "reason", ddos_reason_name(ev->reason), ev->reason);
	set_mapped_ip(out, "saddr", ev->family, ev->saddr);
	set_int(out, "packets", (json_int_t)ev->packets);
	set_int(out, "first_ns", (json_int_t)ev->first_ns);
	set_int(out, "ifindex", ev->ifindex);
	set_int(out, "vlan", ev->vlan_id);
}

static const char *ct_reason_name(unsigned int reason)
{
	switch (reason) {
	case FW_CT_DROP_INVALID: return "invalid";
	case FW_CT_DROP_NOT_ALLOWED: return "not_allowed";
	case FW_CT_DROP_MALFORMED: return "malformed";
	case FW_CT_DROP_UNRELATED: return "unrelated";
	default: return NULL;
	}
}

static void decode_conntrack(const void *record, json_t *out)
{
	const struct fw_ct_event *ev = record;

	set_named(out, "reason", ct_reason_name(ev->reason), ev->reason);
	set_mapped_ip(out, "saddr", ev->family, ev->saddr);
	set_mapped_ip(out, "daddr", ev->family, ev->daddr);
	set_int(out, "sport", ev->sport);
	set_int(out, "dport", ev->dport);
	set_int(out, "proto", ev->proto);
	set_int(out, "tcp_flags", ev->tcp_flags);
	set_int(out, "ifindex", ev->ifindex);
}

/* ---- socket_monitor ----------------------------------------------------- */

static const char *dns_qtype_name(unsigned int qtype)
{
	static const struct { unsigned int type; const char *name; } names[] = {
		{ 1, "A" }, { 2, "NS" }, { 5, "CNAME" }, { 6, "SOA" }, { 12, "PTR" },
		{ 13, "HINFO" }, { 15, "MX" }, { 16, "TXT" }, { 28, "AAAA" }, { 33, "SRV" },
		{ 35, "NAPTR" }, { 41, "OPT" }, { 43, "DS" }, { 46, "RRSIG" }, { 47, "NSEC" },
		{ 48, "DNSKEY" }, { 64, "SVCB" }, { 65, "HTTPS" }, { 252, "AXFR" },
		{ 255, "ANY" }, { 257, "CAA" },
	};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (names[i].type == qtype)
			return names[i].name;
	return NULL;
}

static const char *const dns_rcode_names[] = {
	"NOERROR", "FORMERR", "SERVFAIL", "NXDOMAIN", "NOTIMP", "REFUSED",
	"YXDOMAIN", "YXRRSET", "NXRRSET", "NOTAUTH", "NOTZONE",
};

static const char *const packet_type_names[] = {
	"host", "broadcast", "multicast", "otherhost", "outgoing",
};

static void decode_dns(const void *record, json_t *out)
{
	const struct fw_dns_event *ev = record;
	size_t name_len = ev->name_len < FW_DNS_NAME_MAX ? ev->name_len : FW_DNS_NAME_MAX;

	set_int(out, "ifindex", ev->ifindex);
	set_named(out, "direction",
		  name_or_null(packet_type_names, 5, ev->pkt_type), ev->pkt_type);
	set_ip(out, "saddr", ev->family, ev->saddr);
	set_ip(out, "daddr", ev->family, ev->daddr);
	set_int(out, "sport", ev->sport);
	set_int(out, "dport", ev->dport);
	set_int(out, "id", ev->id);
	json_object_set_new_nocheck(out, "response", json_boolean(ev->flags & FW_EVENT_F_RESPONSE));
	json_object_set_new_nocheck(out, "truncated",
				    json_boolean(ev->flags & FW_EVENT_F_TRUNCATED));
	if (ev->flags & FW_EVENT_F_RESPONSE)
		set_named(out, "rcode", name_or_null(dns_rcode_names, 11, ev->rcode), ev->rcode);
	set_named(out, "qtype", dns_qtype_name(ev->qtype), ev->qtype);
	set_int(out, "qclass", ev->qclass);
	set_kernel_str(out, "name", ev->name, name_len);
}

static const char *const dhcp_type_names[] = {
	NULL, "DISCOVER", "OFFER", "REQUEST", "DECLINE", "ACK", "NAK", "RELEASE",
	"INFORM",
};

static void decode_dhcp(const void *record, json_t *out)
{
	const struct fw_dhcp_event *ev = record;
	char xid[11];

	set_int(out, "ifindex", ev->ifindex);
	set_named(out, "message", name_or_null(dhcp_type_names, 9, ev->msg_type), ev->msg_type);
	snprintf(xid, sizeof(xid), "0x%08x", ev->xid);
	set_str(out, "xid", xid);
	set_str(out, "op", ev->op == 1 ? "request" : ev->op == 2 ? "reply" : "invalid");
	set_mac(out, "client_mac", ev->chaddr, ev->hlen);
	set_ipv4(out, "ciaddr", ev->ciaddr);
	set_ipv4(out, "yiaddr", ev->yiaddr);
	set_ipv4(out, "saddr", ev->saddr);
	set_ipv4(out, "daddr", ev->daddr);
}

/* ---- net_trace, tcp_trace ----------------------------------------------- */

static void decode_net_rx(const void *record, json_t *out)
{
	const struct fw_net_rx_event *ev = record;
	const char *proto = ev->protocol == 0x0800 ? "ipv4" :
			    ev->protocol == 0x86dd ? "ipv6" :
			    ev->protocol == 0x0806 ? "arp" : NULL;

	set_int(out, "netns", ev->netns_ino);
	set_int(out, "ifindex", ev->ifindex);
	set_kernel_str(out, "ifname", ev->ifname, sizeof(ev->ifname));
	set_int(out, "len", ev->len);
	set_named(out, "protocol", proto, ev->protocol);
	if (ev->protocol == 0x0800 || ev->protocol == 0x86dd) {
		set_int(out, "ip_proto", ev->ip_proto);
		set_ip(out, "saddr", ev->protocol == 0x0800 ? 4 : 6, ev->saddr);
		set_ip(out, "daddr", ev->protocol == 0x0800 ? 4 : 6, ev->daddr);
	}
}

static const char *const tcp_form_names[] = {
	NULL, "kprobe", "fentry", "tracepoint",
};

static void decode_tcp_connect(const void *record, json_t *out)
{
	const struct fw_tcp_connect_event *ev = record;

	set_int(out, "pid", ev->pid);
	set_int(out, "tid", ev->tid);
	set_int(out, "uid", ev->uid);
	set_kernel_str(out, "comm", ev->comm, sizeof(ev->comm));
	set_ipv4(out, "saddr", ev->saddr);
	set_ipv4(out, "daddr", ev->daddr);
	set_int(out, "sport", ev->sport);
	set_int(out, "dport", ev->dport);
	set_int(out, "stack_id", ev->stack_id);
	set_named(out, "hook", name_or_null(tcp_form_names, 4, ev->form), ev->form);
}

static const struct event_decoder decoders[] = {
	[FW_EVENT_DDOS_DROP] = { "ddos_drop", sizeof(struct fw_ddos_event), decode_ddos_drop, -1 },
	[FW_EVENT_CONNTRACK] = { "conntrack", sizeof(struct fw_ct_event), decode_conntrack, -1 },
	[FW_EVENT_DNS] = { "dns", sizeof(struct fw_dns_event), decode_dns, -1 },
	[FW_EVENT_DHCP] = { "dhcp", sizeof(struct fw_dhcp_event), decode_dhcp, -1 },
	[FW_EVENT_NET_RX] = { "net_rx", sizeof(struct fw_net_rx_event), decode_net_rx, -1 },
	[FW_EVENT_TCP_CONNECT] = { "tcp_connect", sizeof(struct fw_tcp_connect_event),
				   decode_tcp_connect,
				   offsetof(struct fw_tcp_connect_event, stack_id) },
	[FW_EVENT_DDOS_SUMMARY] = { "ddos_drop_summary", sizeof(struct fw_ddos_summary),
				    decode_ddos_summary, -1 },
};

#define N_DECODERS (sizeof(decoders) / sizeof(decoders[0]))

/* ---- entry points ------------------------------------------------------- */

static const struct event_decoder *decoder_for(const void *data, size_t size)
{
	const struct fw_event_hdr *hdr = data;
	const struct event_decoder *d;

	if (size < sizeof(*hdr) || hdr->type >= N_DECODERS)
		return NULL;
	d = &decoders[hdr->type];
	return d->decode && size >= d->size ? d : NULL;
}

static json_t *decode_raw(const void *data, size_t size)
{
	const struct fw_event_hdr *hdr = data;
	size_t shown = size < RAW_DATA_MAX ? size : RAW_DATA_MAX;
	char hex[2 * RAW_DATA_MAX + 1];
	json_t *out = json_object();

	if (!out)
		return NULL;
	for (size_t i = 0; i < shown; i++)
		sprintf(hex + 2 * i, "%02x", ((const uint8_t *)data)[i]);
	hex[2 * shown] = '\0';
	set_str(out, "type", "raw");
	if (size >= sizeof(*hdr))
		set_int(out, "type_id", hdr->type);
	set_int(out, "size", size);
	set_str(out, "data", hex);
	return out;
}

/* Perf buffer records start 4 bytes into an 8-byte slot: the decoders read
 * records as their structs, so each is first copied to aligned storage. */
#define ALIGNED_COPY_MAX 1024

json_t *fw_event_decode(const void *data, size_t size)
{
	union { uint64_t align; char bytes[ALIGNED_COPY_MAX]; } local;
	const struct event_decoder *d = decoder_for(data, size);
	const struct fw_event_hdr *hdr;
	void *copy = size <= sizeof(local) ? local.bytes : malloc(size);
	json_t *out = NULL;

	if (!copy)
		return NULL;
	memcpy(copy, data, size);
	hdr = copy;
	if (!d) {
		out = decode_raw(copy, size);
		goto done;
	}
	out = json_object();
	if (!out)
		goto done;
	set_str(out, "type", d->name);
	set_int(out, "ts_ns", (json_int_t)hdr->ts_ns);
	set_int(out, "cpu", hdr->cpu);
	d->decode(copy, out);
done:
	if (copy != local.bytes)
		free(copy);
	return out;
}

bool fw_event_stack_id(const void *data, size_t size, int32_t *stack_id)
{
	const struct event_decoder *d = decoder_for(data, size);

	if (!d || d->stack_id_offset < 0)
		return false;
	memcpy(stack_id, (const char *)data + d->stack_id_offset, sizeof(*stack_id));
	return *stack_id >= 0;
}

const char *fw_event_type_name(unsigned int type)
{
	return type < N_DECODERS ? decoders[type].name : NULL;
}
