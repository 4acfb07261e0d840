/* SPDX-License-Identifier: MIT */
/*
 * The daemon's event stream: a collector thread reads every program's ring
 * buffers and perf event arrays; each event gets a sequence number and is kept
 * in a bounded in-memory ring (what GET /api/ebpf/events streams) and, when
 * asked, appended to a JSON-lines file.
 */
#ifndef FLYWALL_DAEMON_EVENT_LOG_H
#define FLYWALL_DAEMON_EVENT_LOG_H

#include <jansson.h>
#include <stdint.h>

#include "common/error.h"
#include "daemon/registry.h"

#define FW_EVENT_LOG_CAPACITY 8192

int fw_event_log_start(const char *jsonl_path, struct fw_error *err);
void fw_event_log_stop(void);

/* Makes the collector read exactly the event maps of the registry's
 * programs (call with the daemon lock held, after every change). */
void fw_event_log_sync(struct fw_registry *reg);

/* Events with seq >= since, at most max; *next is the seq to ask next. */
json_t *fw_event_log_since(uint64_t since, size_t max, uint64_t *next);

/* {"events": N, "lost": N, "buffered": N} */
json_t *fw_event_log_stats(void);

#endif
