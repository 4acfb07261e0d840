/* SPDX-License-Identifier: MIT */
/*
 * What the REST API asks of the daemon: a table of calls and the context
 * they were registered with. The API layer (src/api/) owns HTTP, auth,
 * routing, input validation and error rendering; the daemon
 * (src/daemon/backend.c) fills the table with calls against the engine and
 * the kernel and ctx with itself; the API's unit tests fill it with a fake.
 * Every call gets ctx first and is thread-safe (the daemon serialises them
 * internally).
 *
 * Results are jansson values the caller owns (json_decref). Errors return a
 * negative errno and fill err (msg = what failed; detail = verifier log etc.);
 * src/api/http_error.c alone turns the errno into the HTTP status (see
 * docs/architecture.md, "Errors"):
 *   -EINVAL 400, -EPERM/-EACCES 403, -ENOENT 404, -EEXIST 409,
 *   -ENOTUNIQ 409 (ambiguous map name; err->msg lists the qualified names),
 *   -E2BIG 413, -EBADMSG 422 (verifier rejected; detail = log),
 *   -EOPNOTSUPP 422 (e.g. a load-time-only arg), anything else 500.
 */
#ifndef FLYWALL_API_BACKEND_H
#define FLYWALL_API_BACKEND_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/error.h"
#include "ebpf/spec.h"

/* A response body produced while it is sent (a full listing): read() puts
 * the next bytes in buf and returns how many, 0 at the end, a negative errno
 * on failure (the connection is then cut, so a client sees a broken
 * transfer, never a short listing); close() frees self. */
struct fw_api_stream {
	ssize_t (*read)(void *self, char *buf, size_t max);
	void (*close)(void *self);
	void *self;
};

/* Batches: a change in parts (a streamed upload), all or nothing across
 * them. See map_begin and blocklist_begin. */
struct fw_map_batch;
struct fw_blocklist_batch;
struct fw_blocklist_item {
	const char *address;            /* IP or CIDR */
	uint32_t expires_in;            /* seconds; 0: never */
	size_t index;                   /* line number or array index */
};

struct fw_api_backend {
	void *ctx;                      /* passed to every call */

	/* Absolute program_dir: POST load's `program` must resolve inside it. */
	const char *(*program_dir)(void *ctx);
	/* The configured default map size (the ebpf block's map_size). */
	uint32_t (*default_map_size)(void *ctx);

	/* ---- programs ---- */
	/* Array of program summaries (name, hook, interface, mode, id, ...). */
	json_t *(*programs)(void *ctx);
	/* One program's details: type, hook, interface, attach mode and
	 * fallback taken, object, id, tag, jited, maps, args, load time. */
	int (*program)(void *ctx, const char *name, json_t **out, struct fw_error *err);
	/* run_cnt, run_time_ns, avg_ns, and the program's own counters. */
	int (*program_stats)(void *ctx, const char *name, json_t **out, struct fw_error *err);
	/* Loads and attaches a new program (POST /programs/load). spec->object
	 * is already resolved and checked to lie inside program_dir. */
	int (*load)(void *ctx, struct fw_prog_spec *spec, json_t **out, struct fw_error *err);
	/* Changes run-time (.data/.bss) args without reloading. */
	int (*update_args)(void *ctx, const char *name, const struct fw_arg *args,
			   size_t n_args, json_t **out, struct fw_error *err);
	int (*unload)(void *ctx, const char *name, struct fw_error *err);

	/* ---- maps: NAME is the object's map name or "program.map" ---- */
	json_t *(*maps)(void *ctx);
	/* A page: {"map", "entries": [{"key": ..., "value": ..., "values":
	 * [per-cpu...]}], "count": N, "limit": N, "next_cursor": "..."|null}.
	 * cursor NULL or "": from the start, else the next_cursor of the
	 * previous page; with an offset instead (older clients) also "offset"
	 * and "next_offset". */
	int (*map_data)(void *ctx, const char *name, const char *cursor, size_t offset,
			size_t limit, json_t **out, struct fw_error *err);
	/* Every entry, streamed: {"map", "entries": [...], "total": N} or, with
	 * ndjson, one entry per line. */
	int (*map_stream)(void *ctx, const char *name, bool ndjson, struct fw_api_stream *out,
			  struct fw_error *err);
	/* entries: array of {"key": ..., "value": ...} in the map's JSON form. */
	int (*map_update)(void *ctx, const char *name, json_t *entries, struct fw_error *err);
	/* The same in parts (a streamed NDJSON upload), all or nothing across
	 * them: begin, put each part (entries[i] is numbered lines[i] in
	 * messages: "line N"), then commit ({"map", "updated": N}; frees b) or
	 * abort (undoes; frees b). A put that fails has undone the whole batch
	 * already. */
	int (*map_begin)(void *ctx, const char *name, struct fw_map_batch **out,
			 struct fw_error *err);
	int (*map_put)(void *ctx, struct fw_map_batch *b, json_t *const *entries,
		       const size_t *lines, size_t n, struct fw_error *err);
	json_t *(*map_commit)(void *ctx, struct fw_map_batch *b);
	void (*map_abort)(void *ctx, struct fw_map_batch *b);
	/* keys: array of keys in the map's JSON form. */
	int (*map_delete)(void *ctx, const char *name, json_t *keys, struct fw_error *err);
	/* type, key_size, value_size, max_entries, entries, utilization, memory. */
	int (*map_stats)(void *ctx, const char *name, json_t **out, struct fw_error *err);

	/* Daemon-wide figures: programs, maps, totals, kernel features. */
	json_t *(*stats)(void *ctx);

	/* ---- the blocklist of a program with blocklist and cidr_blocklist
	 * maps: entries are {"address": "IP or CIDR", "expires_in": seconds
	 * (optional)}; all-or-nothing ---- */
	/* The program they act on when a request names none. */
	const char *blocklist_default;
	int (*blocklist_add)(void *ctx, const char *program, json_t *entries,
			     struct fw_error *err);
	int (*blocklist_delete)(void *ctx, const char *program, json_t *addresses,
				struct fw_error *err);
	/* A page: {"program", "entries", "count", "next_cursor": "..."|null}. */
	int (*blocklist_page)(void *ctx, const char *program, const char *cursor, size_t limit,
			      json_t **out, struct fw_error *err);
	/* Every entry, streamed: {"program", "entries": [...], "count": N}, or
	 * with ndjson one {"address", "expires_in"} per line. */
	int (*blocklist_stream)(void *ctx, const char *program, bool ndjson,
				struct fw_api_stream *out, struct fw_error *err);
	/* An addition in parts (a streamed upload), all or nothing across them:
	 * begin, put each part, then commit (keep) or abort (undo). A put that
	 * fails has undone the whole batch already; abort it then. Items name
	 * their place for messages: "line N" when lines, else "entries[N]".
	 * commit answers {"program", "added": new addresses, "duplicates":
	 * already there (their expiry set anew)}; commit and abort free b. */
	int (*blocklist_begin)(void *ctx, const char *program, bool lines,
			       struct fw_blocklist_batch **out, struct fw_error *err);
	int (*blocklist_put)(void *ctx, struct fw_blocklist_batch *b,
			     const struct fw_blocklist_item *items, size_t n,
			     struct fw_error *err);
	json_t *(*blocklist_commit)(void *ctx, struct fw_blocklist_batch *b);
	void (*blocklist_abort)(void *ctx, struct fw_blocklist_batch *b);

	/* Events: every program event gets a sequence number. Returns the
	 * events with seq >= since (at most max), and sets *next to the seq to
	 * ask next. */
	json_t *(*events_since)(void *ctx, uint64_t since, size_t max, uint64_t *next);

	/* ---- the rule plane of a program whose object has it (ddos_filter:
	 * rule_defs, feed_cidrs, talkers; docs/programs.md). Optional: the
	 * routes answer -ENOSYS when a member is NULL ---- */
	/* {"program", "count", "shadow_mode", "under_attack", "rules": [...]}:
	 * each rule's fields, its text form and its packets/bytes/would_drop. */
	int (*rules_list)(void *ctx, const char *program, json_t **out, struct fw_error *err);
	/* rule: {"name", "action", "proto"?, "src"?, "dst"?, "dport"?,
	 * "tcp_flags"?, "rate_pps"?, "position"?} (position: 0-based, default
	 * last). -EEXIST when the name is taken. *out: the rule as listed. */
	int (*rules_add)(void *ctx, const char *program, json_t *rule, json_t **out,
			 struct fw_error *err);
	/* -ENOENT when there is no such rule. */
	int (*rules_delete)(void *ctx, const char *program, const char *rule,
			    struct fw_error *err);
	/* The whole set at once, in order (rules: an array); *out: the listing.
	 * Every change is one generation switch in the kernel. */
	int (*rules_replace)(void *ctx, const char *program, json_t *rules, json_t **out,
			     struct fw_error *err);
	/* A program's feeds: {"program", "count", "feeds": [{"name", "file",
	 * "refresh_s", "loaded", "prefixes" (merged), "entries", "lines",
	 * "bad_lines", "errors": [{"line", "error"}], "loaded_at", "load_ms",
	 * "hits", "last_error"?}]}. */
	int (*feeds_list)(void *ctx, const char *program, json_t **out, struct fw_error *err);
	/* Re-reads every feed of the program now; then the listing. */
	int (*feeds_reload)(void *ctx, const char *program, json_t **out, struct fw_error *err);
	/* Top talkers: {"program", "interval_s", "sources" (in the table),
	 * "talkers": [{"address", "packets", "bytes", "pps", "bps"}]}, most
	 * packets first, at most limit. interval_s > 0: counts over that many
	 * seconds (the call sleeps); 0: totals since each source entered the
	 * table. */
	int (*top)(void *ctx, const char *program, unsigned int interval_s, size_t limit,
		   json_t **out, struct fw_error *err);

	/* Optional: the cluster's status (src/cluster/); NULL when none runs. */
	json_t *(*cluster)(void *ctx);
};

#endif
