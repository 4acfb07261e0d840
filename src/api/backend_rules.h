/* SPDX-License-Identifier: MIT */
/*
 * What the rule routes (routes_rules.c) ask of the daemon (src/daemon/rules.c):
 * a ddos_filter's L4 rule set, read and changed as a whole (every change is
 * one generation switch in the kernel), and its top talkers. Same contract
 * as backend.h: negative errno and err filled on failure.
 */
#ifndef FLYWALL_API_BACKEND_RULES_H
#define FLYWALL_API_BACKEND_RULES_H

#include <jansson.h>

#include "common/error.h"

/* {"program", "count", "shadow_mode", "under_attack", "rules": [...]}:
 * each rule's fields, its text form and its packets/bytes/would_drop. */
int fw_backend_rules_list(const char *program, json_t **out, struct fw_error *err);
/* rule: {"name", "action", "proto"?, "src"?, "dst"?, "dport"?, "tcp_flags"?,
 * "rate_pps"?, "position"?} (position: 0-based, default last). -EEXIST when
 * the name is taken. *out: the rule as listed. */
int fw_backend_rules_add(const char *program, json_t *rule, json_t **out, struct fw_error *err);
/* -ENOENT when there is no such rule. */
int fw_backend_rules_delete(const char *program, const char *rule, struct fw_error *err);
/* The whole set at once, in order: {"rules": [...]}. */
int fw_backend_rules_replace(const char *program, json_t *rules, json_t **out,
			     struct fw_error *err);

/* A program's feeds: {"program", "count", "feeds": [{"name", "file",
 * "refresh_s", "loaded", "prefixes" (merged), "entries", "lines",
 * "bad_lines", "errors": [{"line", "error"}], "loaded_at", "load_ms",
 * "hits", "last_error"?}]}. */
int fw_backend_feeds_list(const char *program, json_t **out, struct fw_error *err);
/* Re-reads every feed of the program now; then the listing. */
int fw_backend_feeds_reload(const char *program, json_t **out, struct fw_error *err);

/* Top talkers: {"program", "interval_s", "sources" (in the table),
 * "talkers": [{"address", "packets", "bytes", "pps", "bps"}]}, most packets
 * first, at most limit. interval_s > 0: counts over that many seconds (the
 * call sleeps); 0: totals since each source entered the table. */
int fw_backend_top(const char *program, unsigned int interval_s, size_t limit, json_t **out,
		   struct fw_error *err);

#endif
