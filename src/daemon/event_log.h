/* SPDX-License-Identifier: MIT */
/*
 * The daemon's event stream: a collector thread reads every program's ring
 * buffers and perf event arrays; each event gets a sequence number and is kept
 * in a bounded in-memory ring (what GET /api/ebpf/events streams) and, when
 * asked, appended to a JSON-lines file: created 0600, never opened through a
 * symlink or when another user owns it, rotated to FILE.1 past a size.
 */
#ifndef FLYWALL_DAEMON_EVENT_LOG_H
#define FLYWALL_DAEMON_EVENT_LOG_H

#include <jansson.h>
#include <stdint.h>

#include "common/error.h"
#include "daemon/registry.h"

#define FW_EVENT_LOG_CAPACITY 8192
#define FW_EVENT_LOG_FILE_MAX_DEFAULT (64ull << 20) /* bytes, before FILE -> FILE.1 */

/* One per daemon (struct fw_daemon's events). NULL when out of memory. */
struct fw_event_log;
struct fw_event_log *fw_event_log_new(void);
/* Stops it if it runs, frees it; NULL is fine. */
void fw_event_log_free(struct fw_event_log *log);

/* Also appends every event to jsonl_path; max_bytes 0 never rotates. Call
 * before fw_event_log_start. */
int fw_event_log_open_file(struct fw_event_log *log, const char *jsonl_path,
			   uint64_t max_bytes, struct fw_error *err);
/* Starts the collector thread. */
int fw_event_log_start(struct fw_event_log *log, struct fw_error *err);
void fw_event_log_stop(struct fw_event_log *log);

/* Makes the collector read exactly the event maps of the registry's
 * programs (call with the daemon lock held, after every change). */
void fw_event_log_sync(struct fw_event_log *log, struct fw_registry *reg);

/* An event the daemon itself makes (an automatic block, say), numbered and
 * kept like the programs' own: {"type", "program", ...}; event is borrowed. */
void fw_event_log_put(struct fw_event_log *log, json_t *event);

/* Events with seq >= since, at most max; *next is the seq to ask next. */
json_t *fw_event_log_since(struct fw_event_log *log, uint64_t since, size_t max,
			   uint64_t *next);

/* {"events": N, "lost": N, "buffered": N} */
json_t *fw_event_log_stats(struct fw_event_log *log);

#endif
