/* SPDX-License-Identifier: MIT */
/*
 * What the REST API asks of the daemon. The API layer (src/api/) owns HTTP,
 * auth, routing, input validation and error rendering; the daemon
 * (src/daemon/backend.c) implements these calls against the engine and the
 * kernel. Every call is thread-safe (the daemon serialises them internally).
 *
 * Results are jansson values the caller owns (json_decref). Errors return a
 * negative errno and fill err (msg = what failed; detail = verifier log etc.).
 * The API maps errno to HTTP status:
 *   -EINVAL 400, -EPERM/-EACCES 403, -ENOENT 404, -EEXIST 409,
 *   -ENOTUNIQ 409 (ambiguous map name; err->msg lists the qualified names),
 *   -E2BIG 413, -EBADMSG 422 (verifier rejected; detail = log),
 *   -EOPNOTSUPP 422 (e.g. a load-time-only arg), anything else 500.
 */
#ifndef FLYWALL_API_BACKEND_H
#define FLYWALL_API_BACKEND_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "ebpf/spec.h"

/* Absolute program_dir: POST load's `program` must resolve inside it. */
const char *fw_backend_program_dir(void);
/* The configured default map size (the ebpf block's map_size). */
uint32_t fw_backend_default_map_size(void);

/* Array of program summaries (name, hook, interface, mode, id, ...). */
json_t *fw_backend_programs(void);
/* One program's details: type, hook, interface, attach mode and fallback
 * taken, object, id, tag, jited, maps, args, load time. */
int fw_backend_program(const char *name, json_t **out, struct fw_error *err);
/* run_cnt, run_time_ns, avg_ns, and the program's own counters. */
int fw_backend_program_stats(const char *name, json_t **out, struct fw_error *err);
/* Loads and attaches a new program (POST /programs/load). spec->object is
 * already resolved and checked to lie inside program_dir. */
int fw_backend_load(struct fw_prog_spec *spec, json_t **out, struct fw_error *err);
/* Changes run-time (.data/.bss) args without reloading. */
int fw_backend_update_args(const char *name, const struct fw_arg *args,
			   size_t n_args, json_t **out, struct fw_error *err);
int fw_backend_unload(const char *name, struct fw_error *err);

/* Maps: NAME is the object's map name or "program.map". */
json_t *fw_backend_maps(void);
/* {"entries": [{"key": ..., "value": ..., "values": [per-cpu...]}],
 *  "next_offset": N|null, "total": N} */
int fw_backend_map_data(const char *name, size_t offset, size_t limit,
			json_t **out, struct fw_error *err);
/* entries: array of {"key": ..., "value": ...} in the map's JSON form. */
int fw_backend_map_update(const char *name, json_t *entries, struct fw_error *err);
/* keys: array of keys in the map's JSON form. */
int fw_backend_map_delete(const char *name, json_t *keys, struct fw_error *err);
/* type, key_size, value_size, max_entries, entries, utilization, memory. */
int fw_backend_map_stats(const char *name, json_t **out, struct fw_error *err);

/* Daemon-wide figures: programs, maps, totals, kernel features. */
json_t *fw_backend_stats(void);

/* The ddos_filter blocklist: entries are {"address": "IP or CIDR",
 * "expires_in": seconds (optional)}; all-or-nothing. */
int fw_backend_blocklist_add(const char *program, json_t *entries, struct fw_error *err);
int fw_backend_blocklist_delete(const char *program, json_t *addresses, struct fw_error *err);
int fw_backend_blocklist_list(const char *program, json_t **out, struct fw_error *err);

/* Events: every program event gets a sequence number. Returns the events
 * with seq >= since (at most max), and sets *next to the seq to ask next. */
json_t *fw_backend_events_since(uint64_t since, size_t max, uint64_t *next);

#endif
