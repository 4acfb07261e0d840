// SPDX-License-Identifier: MIT
/*
 * The rule compiler (see rules.h): a rule list becomes, in the inactive
 * generation, one bitmap per (protocol, port key), per source prefix and per
 * destination prefix, each bitmap already holding every less specific rule
 * that a packet reaching that key may match; then rule_ctl flips.
 *
 * Work is linear in keys x bitmap size (2 KiB), not keys x rules: the
 * wildcard rules of a dimension are one bitmap OR-ed into each key, and a
 * prefix's covering prefixes are found by masking it to each prefix length
 * in use and a binary search.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/pins.h"
#include "ebpf/rules.h"

#define IPPROTO_TCP_ 6
#define IPPROTO_UDP_ 17
#define IPPROTO_ICMP_ 1
#define IPPROTO_ICMPV6_ 58
#define TCP_FLAG_NAMES "fin syn rst psh ack urg ece cwr"

static const char *const map_names[] = {
	"rule_ctl", "rule_ports", "rule_addrs", "rule_defs", "rule_counters", "rule_rate",
};

static int *map_slot(struct fw_rules_maps *m, size_t i)
{
	int *slots[] = { &m->ctl, &m->ports, &m->addrs, &m->defs, &m->counters, &m->rate };

	return slots[i];
}

int fw_rules_maps_open(struct fw_rules_maps *m, const char *root, const char *program,
		       struct fw_error *err)
{
	char path[FW_PATH_MAX];

	for (size_t i = 0; i < sizeof(map_names) / sizeof(map_names[0]); i++)
		*map_slot(m, i) = -1;
	for (size_t i = 0; i < sizeof(map_names) / sizeof(map_names[0]); i++) {
		fw_pins_map_path(root, program, map_names[i], path);
		*map_slot(m, i) = bpf_obj_get(path);
		if (*map_slot(m, i) < 0) {
			fw_rules_maps_close(m);
			return fw_error_set(err, EINVAL,
					    "program %s has no map %s (rules need a ddos_filter built with the rule plane)",
					    program, map_names[i]);
		}
	}
	return 0;
}

void fw_rules_maps_close(struct fw_rules_maps *m)
{
	for (size_t i = 0; i < sizeof(map_names) / sizeof(map_names[0]); i++) {
		if (*map_slot(m, i) >= 0)
			close(*map_slot(m, i));
		*map_slot(m, i) = -1;
	}
}

/* ---- parsing ------------------------------------------------------------ */

static int parse_cidr(const char *text, __u8 addr[16], __u32 *prefixlen, __u8 *family,
		      char *why, size_t why_size)
{
	char buf[INET6_ADDRSTRLEN + 8], *slash, *end;
	struct in_addr v4;
	long len = -1;

	if (strlen(text) >= sizeof(buf)) {
		snprintf(why, why_size, "\"%.60s\" is not an IP address or CIDR", text);
		return -1;
	}
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		len = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || len < 0) {
			snprintf(why, why_size, "\"%s\": bad prefix length", text);
			return -1;
		}
	}
	memset(addr, 0, 16);
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		if (len > 32) {
			snprintf(why, why_size, "\"%s\": an IPv4 prefix is at most /32", text);
			return -1;
		}
		addr[10] = addr[11] = 0xff;
		memcpy(addr + 12, &v4, 4);
		*prefixlen = 96 + (len < 0 ? 32 : len);
		*family = 4;
	} else if (inet_pton(AF_INET6, buf, addr) == 1) {
		if (len > 128) {
			snprintf(why, why_size, "\"%s\": an IPv6 prefix is at most /128", text);
			return -1;
		}
		*prefixlen = len < 0 ? 128 : len;
		*family = 6;
	} else {
		snprintf(why, why_size, "\"%.60s\" is not an IP address or CIDR", text);
		return -1;
	}
	for (__u32 bit = *prefixlen; bit < 128; bit++) {
		if (addr[bit / 8] & (0x80 >> (bit % 8))) {
			snprintf(why, why_size, "\"%s\" has host bits set", text);
			return -1;
		}
	}
	return 0;
}

static int parse_port(const char *text, long *out)
{
	char *end;
	long v = strtol(text, &end, 10);

	if (!*text || end == text || v < 1 || v > 65535)
		return -1;
	*out = v;
	return end - text;
}

static int parse_ports(const char *text, __u16 *lo, __u16 *hi, char *why, size_t why_size)
{
	long a, b;
	int n = parse_port(text, &a);

	if (n > 0 && !text[n]) {
		*lo = *hi = a;
		return 0;
	}
	if (n > 0 && text[n] == '-' && parse_port(text + n + 1, &b) > 0 &&
	    !text[n + 1 + parse_port(text + n + 1, &b)] && b >= a) {
		*lo = a;
		*hi = b;
		return 0;
	}
	snprintf(why, why_size, "\"%.40s\": give a port 1-65535 or a range LO-HI", text);
	return -1;
}

static int flag_bit(const char *name, size_t len)
{
	static const char *const names[] = { "fin", "syn", "rst", "psh", "ack", "urg",
					     "ece", "cwr" };

	for (int i = 0; i < 8; i++)
		if (strlen(names[i]) == len && !strncasecmp(names[i], name, len))
			return 1 << i;
	return 0;
}

static int parse_flags(const char *text, __u8 *mask, __u8 *value, char *why, size_t why_size)
{
	const char *p = text;

	*mask = *value = 0;
	while (*p) {
		bool clear = *p == '!';
		size_t len;
		int bit;

		p += clear;
		len = strcspn(p, ",");
		bit = flag_bit(p, len);
		if (!bit || (*mask & bit)) {
			snprintf(why, why_size,
				 "\"%.40s\": a comma-separated list of flags (" TCP_FLAG_NAMES
				 "), each once, '!' for clear", text);
			return -1;
		}
		*mask |= bit;
		if (!clear)
			*value |= bit;
		p += len;
		p += *p == ',';
	}
	if (!*mask) {
		snprintf(why, why_size, "empty flag list");
		return -1;
	}
	return 0;
}

static int field_error(struct fw_error *err, char *field, size_t field_size,
		       const char *rule, const char *name, const char *why)
{
	snprintf(field, field_size, "%s", name);
	return fw_error_set(err, EINVAL, "rule \"%s\": %s: %s", rule, name, why);
}

static bool name_valid(const char *name)
{
	size_t len = strlen(name);

	if (!len || len >= FW_RULE_NAME_MAX)
		return false;
	for (const char *p = name; *p; p++)
		if (!(*p == '_' || *p == '-' || *p == '.' || (*p >= '0' && *p <= '9') ||
		      (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z')))
			return false;
	return true;
}

int fw_rule_from_fields(const struct fw_rule_fields *f, struct fw_rule_def *out,
			char *field, size_t field_size, struct fw_error *err)
{
	static const struct { const char *name; __u8 proto; } protos[] = {
		{ "any", 0 }, { "tcp", IPPROTO_TCP_ }, { "udp", IPPROTO_UDP_ },
		{ "icmp", IPPROTO_ICMP_ }, { "icmpv6", IPPROTO_ICMPV6_ },
	};
	static const struct { const char *name; __u8 action; } actions[] = {
		{ "drop", FW_RULE_DROP }, { "pass", FW_RULE_PASS },
		{ "rate_limit", FW_RULE_RATE_LIMIT }, { "count", FW_RULE_COUNT },
	};
	const char *rule = f->name ? f->name : "";
	char why[256];
	size_t i;

	memset(out, 0, sizeof(*out));
	field[0] = '\0';
	if (!f->name || !name_valid(f->name))
		return field_error(err, field, field_size, rule, "name",
				   "1-47 letters, digits, '_', '-' or '.'");
	strcpy(out->name, f->name);
	for (i = 0; f->action && i < sizeof(actions) / sizeof(actions[0]); i++)
		if (!strcmp(f->action, actions[i].name))
			out->action = actions[i].action;
	if (!out->action)
		return field_error(err, field, field_size, rule, "action",
				   "one of drop, pass, rate_limit, count");
	out->proto = 0xff;
	for (i = 0; i < sizeof(protos) / sizeof(protos[0]); i++)
		if (!strcmp(f->proto ? f->proto : "any", protos[i].name))
			out->proto = protos[i].proto;
	if (out->proto == 0xff)
		return field_error(err, field, field_size, rule, "proto",
				   "one of tcp, udp, icmp, icmpv6, any");
	if (f->src && parse_cidr(f->src, out->src, &out->src_prefixlen, &out->family, why,
				 sizeof(why)))
		return field_error(err, field, field_size, rule, "src", why);
	out->has_src = f->src != NULL;
	if (f->dst) {
		__u8 family;

		if (parse_cidr(f->dst, out->dst, &out->dst_prefixlen, &family, why, sizeof(why)))
			return field_error(err, field, field_size, rule, "dst", why);
		if (out->family && family != out->family)
			return field_error(err, field, field_size, rule, "dst",
					   "src and dst are of different IP families");
		out->family = family;
		out->has_dst = 1;
	}
	if ((out->proto == IPPROTO_ICMP_ && out->family == 6) ||
	    (out->proto == IPPROTO_ICMPV6_ && out->family == 4))
		return field_error(err, field, field_size, rule, "proto",
				   "icmp is IPv4's, icmpv6 IPv6's: the addresses are of the other family");
	if (f->dport) {
		if (out->proto != 0 && out->proto != IPPROTO_TCP_ && out->proto != IPPROTO_UDP_)
			return field_error(err, field, field_size, rule, "dport",
					   "ports exist for tcp and udp only");
		if (parse_ports(f->dport, &out->dport_lo, &out->dport_hi, why, sizeof(why)))
			return field_error(err, field, field_size, rule, "dport", why);
	}
	if (f->tcp_flags) {
		if (out->proto != IPPROTO_TCP_)
			return field_error(err, field, field_size, rule, "tcp_flags",
					   "needs proto = \"tcp\"");
		if (parse_flags(f->tcp_flags, &out->tcp_flags_mask, &out->tcp_flags_value, why,
				sizeof(why)))
			return field_error(err, field, field_size, rule, "tcp_flags", why);
	}
	if (out->action == FW_RULE_RATE_LIMIT) {
		if (f->rate_pps < 1 || f->rate_pps > 1000000000)
			return field_error(err, field, field_size, rule, "rate_pps",
					   "rate_limit needs rate_pps, 1 to 1000000000");
		out->rate_pps = f->rate_pps;
	} else if (f->rate_pps >= 0) {
		return field_error(err, field, field_size, rule, "rate_pps",
				   "only a rate_limit rule takes a rate");
	}
	return 0;
}

/* ---- text and JSON ------------------------------------------------------ */

static const char *proto_name(__u8 proto)
{
	switch (proto) {
	case 0: return "any";
	case IPPROTO_TCP_: return "tcp";
	case IPPROTO_UDP_: return "udp";
	case IPPROTO_ICMP_: return "icmp";
	case IPPROTO_ICMPV6_: return "icmpv6";
	}
	return "?";
}

static const char *action_name(__u8 action)
{
	switch (action) {
	case FW_RULE_DROP: return "drop";
	case FW_RULE_PASS: return "pass";
	case FW_RULE_RATE_LIMIT: return "rate_limit";
	case FW_RULE_COUNT: return "count";
	}
	return "?";
}

static void format_cidr(const __u8 addr[16], __u32 prefixlen, char *out, size_t size)
{
	static const __u8 mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	char text[INET6_ADDRSTRLEN];

	if (prefixlen >= 96 && !memcmp(addr, mapped, 12)) {
		inet_ntop(AF_INET, addr + 12, text, sizeof(text));
		snprintf(out, size, "%s/%u", text, prefixlen - 96);
	} else {
		inet_ntop(AF_INET6, addr, text, sizeof(text));
		snprintf(out, size, "%s/%u", text, prefixlen);
	}
}

static void format_flags(const struct fw_rule_def *d, char *out, size_t size)
{
	static const char *const names[] = { "fin", "syn", "rst", "psh", "ack", "urg",
					     "ece", "cwr" };
	size_t used = 0;

	out[0] = '\0';
	for (int i = 0; i < 8; i++)
		if (d->tcp_flags_mask & (1 << i))
			used += snprintf(out + used, used < size ? size - used : 0, "%s%s%s",
					 used ? "," : "", d->tcp_flags_value & (1 << i) ? "" : "!",
					 names[i]);
}

void fw_rule_format(const struct fw_rule_def *d, char *out, size_t size)
{
	char src[64] = "", dst[64] = "", flags[64] = "";
	size_t used;

	used = snprintf(out, size, "%s", action_name(d->action));
	if (d->action == FW_RULE_RATE_LIMIT)
		used += snprintf(out + used, used < size ? size - used : 0, " %llu pps",
				 (unsigned long long)d->rate_pps);
	used += snprintf(out + used, used < size ? size - used : 0, " %s", proto_name(d->proto));
	if (d->has_src) {
		format_cidr(d->src, d->src_prefixlen, src, sizeof(src));
		used += snprintf(out + used, used < size ? size - used : 0, " src %s", src);
	}
	if (d->has_dst) {
		format_cidr(d->dst, d->dst_prefixlen, dst, sizeof(dst));
		used += snprintf(out + used, used < size ? size - used : 0, " dst %s", dst);
	}
	if (d->dport_hi == d->dport_lo && d->dport_hi)
		used += snprintf(out + used, used < size ? size - used : 0, " dport %u", d->dport_lo);
	else if (d->dport_hi)
		used += snprintf(out + used, used < size ? size - used : 0, " dport %u-%u",
				 d->dport_lo, d->dport_hi);
	if (d->tcp_flags_mask) {
		format_flags(d, flags, sizeof(flags));
		snprintf(out + used, used < size ? size - used : 0, " flags %s", flags);
	}
}

static int ncpus(void)
{
	static int n;

	if (!n)
		n = libbpf_num_possible_cpus();
	return n;
}

static void counter_sum(const struct fw_rules_maps *m, __u32 slot, struct fw_rule_counter *sum)
{
	int n = ncpus();
	struct fw_rule_counter *per = calloc(n > 0 ? n : 1, sizeof(*per));

	memset(sum, 0, sizeof(*sum));
	if (per && n > 0 && !bpf_map_lookup_elem(m->counters, &slot, per)) {
		for (int i = 0; i < n; i++) {
			sum->packets += per[i].packets;
			sum->bytes += per[i].bytes;
			sum->would_drop += per[i].would_drop;
		}
	}
	free(per);
}

json_t *fw_rule_to_json(const struct fw_rules_maps *m, const struct fw_rule_def *d)
{
	struct fw_rule_counter c;
	char text[256], buf[64];
	json_t *j;

	fw_rule_format(d, text, sizeof(text));
	j = json_pack("{s:s, s:s, s:s, s:s}", "name", d->name, "action", action_name(d->action),
		      "proto", proto_name(d->proto), "rule", text);
	if (d->has_src) {
		format_cidr(d->src, d->src_prefixlen, buf, sizeof(buf));
		json_object_set_new(j, "src", json_string(buf));
	}
	if (d->has_dst) {
		format_cidr(d->dst, d->dst_prefixlen, buf, sizeof(buf));
		json_object_set_new(j, "dst", json_string(buf));
	}
	if (d->dport_hi) {
		if (d->dport_lo == d->dport_hi)
			snprintf(buf, sizeof(buf), "%u", d->dport_lo);
		else
			snprintf(buf, sizeof(buf), "%u-%u", d->dport_lo, d->dport_hi);
		json_object_set_new(j, "dport", json_string(buf));
	}
	if (d->tcp_flags_mask) {
		format_flags(d, buf, sizeof(buf));
		json_object_set_new(j, "tcp_flags", json_string(buf));
	}
	if (d->action == FW_RULE_RATE_LIMIT)
		json_object_set_new(j, "rate_pps", json_integer(d->rate_pps));
	if (m) {
		counter_sum(m, d->slot, &c);
		json_object_set_new(j, "packets", json_integer(c.packets));
		json_object_set_new(j, "bytes", json_integer(c.bytes));
		json_object_set_new(j, "would_drop", json_integer(c.would_drop));
	}
	return j;
}

/* ---- reading the live set ----------------------------------------------- */

/* The live generation and its rule count. */
static int read_ctl(const struct fw_rules_maps *m, struct fw_rule_ctl *ctl, struct fw_error *err)
{
	struct fw_rule_ctl info;
	__u32 zero = 0, index;

	if (bpf_map_lookup_elem(m->ctl, &zero, ctl))
		return fw_error_set(err, errno, "cannot read rule_ctl: %s", strerror(errno));
	ctl->gen &= 1;
	index = 1 + ctl->gen;
	if (bpf_map_lookup_elem(m->ctl, &index, &info))
		return fw_error_set(err, errno, "cannot read rule_ctl: %s", strerror(errno));
	ctl->count = info.count > FW_RULES_MAX ? 0 : info.count;
	return 0;
}

int fw_rules_read(const struct fw_rules_maps *m, struct fw_rule_def **out, size_t *n,
		  struct fw_error *err)
{
	struct fw_rule_ctl ctl;
	struct fw_rule_def *defs;
	int ret = read_ctl(m, &ctl, err);

	*out = NULL;
	*n = 0;
	if (ret)
		return ret;
	defs = calloc(ctl.count ? ctl.count : 1, sizeof(*defs));
	if (!defs)
		return fw_error_set(err, ENOMEM, "out of memory");
	for (__u32 i = 0; i < ctl.count; i++) {
		__u32 index = ctl.gen * FW_RULES_MAX + i;

		if (bpf_map_lookup_elem(m->defs, &index, &defs[i])) {
			free(defs);
			return fw_error_set(err, errno, "cannot read rule_defs[%u]: %s", index,
					    strerror(errno));
		}
	}
	*out = defs;
	*n = ctl.count;
	return 0;
}

/* ---- compiling ---------------------------------------------------------- */

static void bm_set(struct fw_rule_bitmap *b, __u32 i)
{
	b->words[i / 64] |= 1ull << (i % 64);
}

static void bm_or(struct fw_rule_bitmap *to, const struct fw_rule_bitmap *from)
{
	for (int i = 0; i < FW_RULES_WORDS; i++)
		to->words[i] |= from->words[i];
}

static bool bm_finish(struct fw_rule_bitmap *b)
{
	bool any = false;

	memset(b->summary, 0, sizeof(b->summary));
	for (int i = 0; i < FW_RULES_WORDS; i++) {
		if (b->words[i]) {
			b->summary[i / 64] |= 1ull << (i % 64);
			any = true;
		}
	}
	return any;
}

/* A growing list of (key, bitmap) to write into one map. */
struct entries {
	void *keys;
	struct fw_rule_bitmap *values;
	size_t n, cap, key_size;
};

static int entries_add(struct entries *e, const void *key, const struct fw_rule_bitmap *v)
{
	if (e->n == e->cap) {
		size_t cap = e->cap ? e->cap * 2 : 64;
		void *keys = realloc(e->keys, cap * e->key_size);
		struct fw_rule_bitmap *values;

		if (!keys)
			return -ENOMEM;
		e->keys = keys;
		values = realloc(e->values, cap * sizeof(*values));
		if (!values)
			return -ENOMEM;
		e->values = values;
		e->cap = cap;
	}
	memcpy((char *)e->keys + e->n * e->key_size, key, e->key_size);
	e->values[e->n++] = *v;
	return 0;
}

static void entries_free(struct entries *e)
{
	free(e->keys);
	free(e->values);
}

/* Which protocols a rule's port applies to (proto any + port: tcp and udp). */
static int port_protos(const struct fw_rule_def *d, __u8 out[2])
{
	if (d->proto)
		return out[0] = d->proto, 1;
	out[0] = IPPROTO_TCP_;
	out[1] = IPPROTO_UDP_;
	return 2;
}

/* Per protocol (index by protocol number): its port-less rules, and its
 * range rules by 256-port bucket. */
struct proto_sets {
	struct fw_rule_bitmap any;              /* proto any, no port */
	struct fw_rule_bitmap *noport[256];     /* proto p, no port */
	struct fw_rule_bitmap *buckets[256];    /* [p] -> 256 bitmaps, ranges */
};

static struct fw_rule_bitmap *lazy(struct fw_rule_bitmap **slot, size_t n)
{
	if (!*slot)
		*slot = calloc(n, sizeof(**slot));
	return *slot;
}

static int cmp_port_rule(const void *a, const void *b)
{
	const __u32 *x = a, *y = b;

	return x[0] != y[0] ? (x[0] < y[0] ? -1 : 1) : (x[1] < y[1] ? -1 : x[1] > y[1]);
}

static int build_ports(const struct fw_rule_def *rules, size_t n, __u8 gen, struct entries *out)
{
	struct proto_sets *ps = calloc(1, sizeof(*ps));
	__u32 (*exact)[2] = calloc(2 * n + 1, sizeof(*exact)); /* (proto << 16 | port, rule) */
	size_t n_exact = 0;
	struct fw_rule_bitmap v;
	bool proto_used[256] = { false };
	int ret = -ENOMEM;

	if (!ps || !exact)
		goto out;
	for (size_t i = 0; i < n; i++) {
		const struct fw_rule_def *d = &rules[i];
		__u8 protos[2];
		int np;

		if (!d->dport_hi) {
			if (!d->proto) {
				bm_set(&ps->any, i);
			} else {
				if (!lazy(&ps->noport[d->proto], 1))
					goto out;
				bm_set(ps->noport[d->proto], i);
				proto_used[d->proto] = true;
			}
			continue;
		}
		np = port_protos(d, protos);
		for (int k = 0; k < np; k++) {
			proto_used[protos[k]] = true;
			if (d->dport_lo == d->dport_hi) {
				exact[n_exact][0] = (__u32)protos[k] << 16 | d->dport_lo;
				exact[n_exact++][1] = i;
				continue;
			}
			if (!lazy(&ps->buckets[protos[k]], 256))
				goto out;
			for (int b = d->dport_lo >> 8; b <= d->dport_hi >> 8; b++)
				bm_set(&ps->buckets[protos[k]][b], i);
		}
	}
	qsort(exact, n_exact, sizeof(*exact), cmp_port_rule);
	/* base of a protocol: its port-less rules and the any-protocol ones */
	for (int p = 0; p < 256; p++) {
		struct fw_rule_port_key key = { .gen = gen, .proto = p };
		struct fw_rule_bitmap base = ps->any;

		if (!proto_used[p])
			continue;
		if (ps->noport[p])
			bm_or(&base, ps->noport[p]);
		v = base;
		key.kind = FW_RULE_PORT_PROTO;
		if (bm_finish(&v) && entries_add(out, &key, &v))
			goto out;
		for (int b = 0; ps->buckets[p] && b < 256; b++) {
			if (!bm_finish(&ps->buckets[p][b]))
				continue;
			v = base;
			bm_or(&v, &ps->buckets[p][b]);
			bm_finish(&v);
			key.kind = FW_RULE_PORT_BUCKET;
			key.port = b;
			if (entries_add(out, &key, &v))
				goto out;
		}
		for (size_t i = 0; i < n_exact; i++) {
			__u16 port = exact[i][0] & 0xffff;

			if (exact[i][0] >> 16 != (__u32)p)
				continue;
			if (i == 0 || exact[i - 1][0] != exact[i][0]) {
				v = base;
				if (ps->buckets[p])
					bm_or(&v, &ps->buckets[p][port >> 8]);
			}
			bm_set(&v, exact[i][1]);
			if (i + 1 < n_exact && exact[i + 1][0] == exact[i][0])
				continue;
			bm_finish(&v);
			key.kind = FW_RULE_PORT_EXACT;
			key.port = port;
			if (entries_add(out, &key, &v))
				goto out;
		}
	}
	v = ps->any;
	if (bm_finish(&v)) {
		struct fw_rule_port_key key = { .gen = gen, .kind = FW_RULE_PORT_ANY };

		if (entries_add(out, &key, &v))
			goto out;
	}
	ret = 0;
out:
	if (ps) {
		for (int p = 0; p < 256; p++) {
			free(ps->noport[p]);
			free(ps->buckets[p]);
		}
	}
	free(ps);
	free(exact);
	return ret;
}

/* A distinct prefix of one dimension and the rules that name it. */
struct prefix {
	__u32 len;
	__u8 addr[16];
	struct fw_rule_bitmap *rules;
};

static int cmp_prefix(const void *a, const void *b)
{
	const struct prefix *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? -1 : 1;
	return memcmp(x->addr, y->addr, 16);
}

static void mask_to(__u8 addr[16], __u32 len)
{
	for (__u32 bit = len; bit < 128; bit++)
		addr[bit / 8] &= ~(0x80 >> (bit % 8));
}

static int build_addrs(const struct fw_rule_def *rules, size_t n, bool dst, __u8 gen,
		       struct entries *out, struct fw_rule_ctl *info, struct fw_error *err)
{
	struct prefix *ps = calloc(n + 1, sizeof(*ps));
	struct fw_rule_bitmap none = { 0 }, v;
	bool len_used[129] = { false };
	size_t np = 0, k;
	int ret = -ENOMEM;

	if (!ps)
		return fw_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		const struct fw_rule_def *d = &rules[i];

		if (!(dst ? d->has_dst : d->has_src)) {
			bm_set(&none, i);
			continue;
		}
		ps[np].len = dst ? d->dst_prefixlen : d->src_prefixlen;
		memcpy(ps[np].addr, dst ? d->dst : d->src, 16);
		ps[np].rules = (struct fw_rule_bitmap *)(uintptr_t)i; /* rule index for now */
		np++;
	}
	qsort(ps, np, sizeof(*ps), cmp_prefix);
	/* merge equal prefixes: one bitmap per distinct prefix */
	for (size_t i = 0, j; i < np; i = j) {
		struct fw_rule_bitmap *b = calloc(1, sizeof(*b));

		if (!b) {
			for (k = i; k < np; k++)
				ps[k].rules = NULL; /* still rule indices, not bitmaps */
			np = i;
			goto out;
		}
		for (j = i; j < np && !cmp_prefix(&ps[i], &ps[j]); j++)
			bm_set(b, (size_t)(uintptr_t)ps[j].rules);
		for (k = i; k < j; k++)
			ps[k].rules = k == i ? b : NULL;
		len_used[ps[i].len] = true;
	}
	k = 0;
	for (size_t i = 0; i < np; i++)
		if (ps[i].rules)
			ps[k++] = ps[i];
	np = k;
	/* the lengths in use, longest first; /0 also for the field-less rules */
	if (bm_finish(&none))
		len_used[0] = true;
	for (int len = 128; len >= 0; len--) {
		if (!len_used[len])
			continue;
		if (info->n_lens[dst] == FW_RULES_LENS) {
			ret = fw_error_set(err, E2BIG,
					   "the rules use more than %d %s prefix lengths",
					   FW_RULES_LENS, dst ? "destination" : "source");
			goto out;
		}
		info->lens[dst][info->n_lens[dst]++] = len;
	}
	/* each distinct prefix: its own rules, the covering ones, the field-less ones */
	for (size_t i = 0; i < np; i++) {
		struct fw_rule_addr_key key = { .gen = gen, .dim = dst, .prefixlen = ps[i].len };

		v = none;
		for (__u32 len = 0; len <= ps[i].len; len++) {
			struct prefix probe = { .len = len }, *hit;

			if (!len_used[len])
				continue;
			memcpy(probe.addr, ps[i].addr, 16);
			mask_to(probe.addr, len);
			hit = bsearch(&probe, ps, np, sizeof(*ps), cmp_prefix);
			if (hit)
				bm_or(&v, hit->rules);
		}
		bm_finish(&v);
		memcpy(key.addr, ps[i].addr, 16);
		if (entries_add(out, &key, &v))
			goto out;
	}
	v = none;
	if (bm_finish(&v) && !(np && ps[0].len == 0)) { /* a rule's ::/0 has it already */
		struct fw_rule_addr_key key = { .gen = gen, .dim = dst };

		if (entries_add(out, &key, &v))
			goto out;
	}
	ret = 0;
out:
	for (size_t i = 0; i < np; i++)
		free(ps[i].rules);
	free(ps);
	return ret;
}

/* Deletes every key of generation gen from a map (hash or LPM trie): all
 * keys are listed first, as deleting while walking would restart a hash walk. */
static int clear_gen(int fd, size_t key_size, size_t gen_offset, __u8 gen)
{
	size_t cap = 256, n = 0;
	char *keys = malloc(cap * key_size);
	int ret = 0;

	if (!keys)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, n ? keys + (n - 1) * key_size : NULL,
				     keys + n * key_size)) {
		if (++n == cap) {
			char *more = realloc(keys, cap * 2 * key_size);

			if (!more) {
				free(keys);
				return -ENOMEM;
			}
			keys = more;
			cap *= 2;
		}
	}
	for (size_t i = 0; i < n; i++) {
		char *key = keys + i * key_size;

		if ((__u8)key[gen_offset] == gen && bpf_map_delete_elem(fd, key) &&
		    errno != ENOENT)
			ret = -errno;
	}
	free(keys);
	return ret;
}

static int write_entries(int fd, const struct entries *e, const char *map, struct fw_error *err)
{
	for (size_t i = 0; i < e->n; i++)
		if (bpf_map_update_elem(fd, (char *)e->keys + i * e->key_size, &e->values[i], 0))
			return fw_error_set(err, errno, "cannot write %s (%zu entries): %s", map,
					    e->n, strerror(errno));
	return 0;
}

/* Keeps the counter slot of a live rule of the same name; others get a free
 * slot, zeroed. */
static int assign_slots(const struct fw_rules_maps *m, struct fw_rule_def *rules, size_t n,
			const struct fw_rule_def *live, size_t n_live, struct fw_error *err)
{
	bool *used = calloc(FW_RULES_MAX, sizeof(*used));
	int cpus = ncpus();
	struct fw_rule_counter *zero = calloc(cpus > 0 ? cpus : 1, sizeof(*zero));
	struct fw_rule_rate rate0 = { 0 };
	__u32 next = 0;
	int ret = 0;

	if (!used || !zero) {
		ret = fw_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		rules[i].slot = FW_RULES_MAX;
		for (size_t j = 0; j < n_live; j++) {
			if (!strcmp(rules[i].name, live[j].name) && live[j].slot < FW_RULES_MAX &&
			    !used[live[j].slot]) {
				rules[i].slot = live[j].slot;
				used[live[j].slot] = true;
				break;
			}
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (rules[i].slot < FW_RULES_MAX)
			continue;
		while (next < FW_RULES_MAX && used[next])
			next++;
		rules[i].slot = next;
		used[next] = true;
		if (bpf_map_update_elem(m->counters, &next, zero, 0) ||
		    bpf_map_update_elem(m->rate, &next, &rate0, 0)) {
			ret = fw_error_set(err, errno, "cannot reset rule counters: %s",
					   strerror(errno));
			goto out;
		}
	}
out:
	free(used);
	free(zero);
	return ret;
}

static int cmp_name(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int check_names(const struct fw_rule_def *rules, size_t n, struct fw_error *err)
{
	/* n is at most FW_RULES_MAX: sort a copy of the names */
	const char **names = malloc((n ? n : 1) * sizeof(*names));
	int ret = 0;

	if (!names)
		return fw_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++)
		names[i] = rules[i].name;
	qsort(names, n, sizeof(*names), cmp_name);
	for (size_t i = 1; i < n; i++)
		if (!strcmp(names[i - 1], names[i])) {
			ret = fw_error_set(err, EEXIST, "two rules are named \"%s\"", names[i]);
			break;
		}
	free(names);
	return ret;
}

int fw_rules_apply(const struct fw_rules_maps *m, struct fw_rule_def *rules, size_t n,
		   struct fw_error *err)
{
	struct entries ports = { .key_size = sizeof(struct fw_rule_port_key) };
	struct entries addrs = { .key_size = sizeof(struct fw_rule_addr_key) };
	struct fw_rule_def *live = NULL, unused = { 0 };
	struct fw_rule_ctl ctl, info = { 0 }, flip = { 0 };
	size_t n_live = 0;
	__u32 zero = 0, index;
	__u8 gen;
	int ret;

	if (n > FW_RULES_MAX)
		return fw_error_set(err, E2BIG, "%zu rules: at most %d", n, FW_RULES_MAX);
	ret = check_names(rules, n, err);
	if (!ret)
		ret = fw_rules_read(m, &live, &n_live, err);
	if (ret)
		return ret;
	ctl.gen = 0;
	read_ctl(m, &ctl, err);
	gen = !ctl.gen;
	ret = assign_slots(m, rules, n, live, n_live, err);
	if (ret)
		goto out;
	if (build_ports(rules, n, gen, &ports)) {
		ret = fw_error_set(err, ENOMEM, "out of memory compiling %zu rules", n);
		goto out;
	}
	ret = build_addrs(rules, n, false, gen, &addrs, &info, err);
	if (!ret)
		ret = build_addrs(rules, n, true, gen, &addrs, &info, err);
	if (ret)
		goto out;
	/* the inactive half: clear what an older set left there, then write */
	if (clear_gen(m->ports, ports.key_size, 0, gen) ||
	    clear_gen(m->addrs, addrs.key_size, 0, gen)) {
		ret = fw_error_set(err, EIO, "cannot clear the inactive rule generation");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		__u32 index = gen * FW_RULES_MAX + i;

		if (bpf_map_update_elem(m->defs, &index, &rules[i], 0)) {
			ret = fw_error_set(err, errno, "cannot write rule_defs: %s", strerror(errno));
			goto out;
		}
	}
	ret = write_entries(m->ports, &ports, "rule_ports", err);
	if (!ret)
		ret = write_entries(m->addrs, &addrs, "rule_addrs", err);
	info.count = n;
	index = 1 + gen;
	if (!ret && bpf_map_update_elem(m->ctl, &index, &info, 0))
		ret = fw_error_set(err, errno, "cannot write rule_ctl: %s", strerror(errno));
	if (ret) {
		clear_gen(m->ports, ports.key_size, 0, gen);
		clear_gen(m->addrs, addrs.key_size, 0, gen);
		goto out;
	}
	/* the switch: entry 0 names the new generation */
	flip.gen = gen;
	if (bpf_map_update_elem(m->ctl, &zero, &flip, 0)) {
		ret = fw_error_set(err, errno, "cannot switch rule generation: %s", strerror(errno));
		goto out;
	}
	/* the old half is unreachable now: free its memory (readers in flight
	 * hold their values until an RCU grace period ends) */
	clear_gen(m->ports, ports.key_size, 0, !gen);
	clear_gen(m->addrs, addrs.key_size, 0, !gen);
	for (size_t i = 0; i < n_live; i++) {
		__u32 index = !gen * FW_RULES_MAX + i;

		bpf_map_update_elem(m->defs, &index, &unused, 0);
	}
out:
	free(live);
	entries_free(&ports);
	entries_free(&addrs);
	return ret;
}
