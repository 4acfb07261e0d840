/* SPDX-License-Identifier: MIT */
/*
 * L4 rules of ddos_filter: parsing a rule from its fields, compiling a rule
 * set into the program's maps (the inactive generation, then one flip), and
 * reading the live set back with its counters. Kernel side and map layout:
 * bpf/lib/rules.h, include/flywall/rules.h; design: docs/programs.md#rules.
 */
#ifndef FLYWALL_EBPF_RULES_H
#define FLYWALL_EBPF_RULES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "flywall/rules.h"

/* The maps of one program's rule plane (fds owned by the caller). */
struct fw_rules_maps {
	int ctl, ports, addrs, defs, counters, rate;
};

/* Opens the pinned maps of a program under the pin root;
 * fw_rules_maps_close() closes them. */
int fw_rules_maps_open(struct fw_rules_maps *m, const char *root, const char *program,
		       struct fw_error *err);
void fw_rules_maps_close(struct fw_rules_maps *m);

/*
 * A rule from its fields, as in HCL and JSON: action ("drop", "pass",
 * "count", "rate_limit"), proto ("tcp", "udp", "icmp", "icmpv6", "any"),
 * src / dst (IP or CIDR), dport ("23" or "1000-2000"), tcp_flags
 * ("syn,!ack": SYN set and ACK clear), rate_pps (rate_limit). NULL: absent.
 * On failure err names the field ("rule \"ssh\": dport: ...").
 */
struct fw_rule_fields {
	const char *name, *action, *proto, *src, *dst, *dport, *tcp_flags;
	long long rate_pps;             /* -1: absent */
};
int fw_rule_from_fields(const struct fw_rule_fields *f, struct fw_rule_def *out,
			char *field, size_t field_size, struct fw_error *err);

/* The rule set live in the kernel now (at most FW_RULES_MAX). */
int fw_rules_read(const struct fw_rules_maps *m, struct fw_rule_def **out, size_t *n,
		  struct fw_error *err);

/*
 * Makes rules[0..n) the live set, in this order (first match wins): written
 * into the inactive generation, then published by one store into rule_ctl,
 * so a packet sees the old set or the new one, never a mix. Rules keep their
 * counter slot when a rule of the same name was live; new ones get free
 * slots, zeroed. On failure the live set is unchanged.
 */
int fw_rules_apply(const struct fw_rules_maps *m, struct fw_rule_def *rules, size_t n,
		   struct fw_error *err);

/* One rule as JSON: its fields and counters (summed over CPUs). */
json_t *fw_rule_to_json(const struct fw_rules_maps *m, const struct fw_rule_def *def);
/* Text form of a rule ("drop tcp dport 23 src 10.0.0.0/8"), for listings. */
void fw_rule_format(const struct fw_rule_def *def, char *out, size_t size);

#endif
