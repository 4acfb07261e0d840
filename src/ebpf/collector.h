/* SPDX-License-Identifier: MIT */
/*
 * The event collector: reads the events programs send through ring buffers
 * and perf event arrays, decodes each (ebpf/events.h) and hands it to one
 * callback as JSON, with "program" (the source's name) added, and with the
 * kernel stack symbolized ("stack": ["tcp_v4_connect+0x1a4", ...]) when the
 * event carries a stack id and the source has a stack trace map.
 *
 * Sources come and go with programs (fw_collector_add / _remove); all of them
 * are polled from one thread through one epoll fd. Add, remove, poll and stats
 * may be called from different threads; the callback runs on the polling
 * thread and must not call back into the collector.
 */
#ifndef FLYWALL_EBPF_COLLECTOR_H
#define FLYWALL_EBPF_COLLECTOR_H

#include <stdint.h>

#include <jansson.h>

#include "common/error.h"

/* Per-CPU pages of a perf buffer the collector opens (256 KiB per CPU). */
#define FW_COLLECTOR_PERF_PAGES 64

/*
 * Events decoded per second, all sources together: the collector's CPU cost
 * is bounded whatever the programs send. Beyond it, ring buffers are left to
 * fill until the next second (what they cannot take, their programs count as
 * lost) and a perf buffer's records are read but not decoded (`dropped`).
 */
#define FW_COLLECTOR_MAX_PER_SECOND 10000

struct fw_collector;

/* One decoded event, borrowed: json_incref() it to keep it. */
typedef void (*fw_collector_event_fn)(const char *source, json_t *event, void *ctx);

struct fw_collector_stats {
	uint64_t events;        /* delivered to the callback */
	uint64_t lost;          /* perf buffers: samples the kernel could not write
				 * (ring buffers cannot tell; their programs count) */
	uint64_t raw;           /* of events, those no decoder knew ("type":"raw") */
	uint64_t dropped;       /* read over FW_COLLECTOR_MAX_PER_SECOND, not decoded */
};

int fw_collector_new(fw_collector_event_fn fn, void *ctx, struct fw_collector **out,
		     struct fw_error *err);
/* Removes every source and frees the collector. */
void fw_collector_free(struct fw_collector *c);

/*
 * Starts reading map_fd, a BPF_MAP_TYPE_RINGBUF or PERF_EVENT_ARRAY map, as
 * source (unique; the program's name). stack_map_fd, a STACK_TRACE map or -1,
 * is where the source's events' stack ids point. Both fds are duplicated: the
 * caller keeps its own. A perf event array has one reader: adding it here
 * takes it over from any other.
 */
int fw_collector_add(struct fw_collector *c, const char *source, int map_fd, int stack_map_fd,
		     struct fw_error *err);
/* Delivers what source still holds, then stops reading it; -ENOENT if unknown. */
int fw_collector_remove(struct fw_collector *c, const char *source);

/* Waits up to timeout_ms (-1: no limit) for events and delivers those ready,
 * up to the rate limit (then it waits for the next second instead, up to
 * timeout_ms); on a timeout it reads every source (for events written
 * without a wakeup: BPF_RB_NO_WAKEUP). Returns how many were delivered, or a
 * negative errno (-EINTR). */
int fw_collector_poll(struct fw_collector *c, int timeout_ms);
/* Delivers everything every source holds now, without waiting. */
int fw_collector_drain(struct fw_collector *c);
/* Readable when fw_collector_poll(c, 0) has something to deliver: for an
 * event loop that waits on more than the collector. */
int fw_collector_fd(const struct fw_collector *c);

int fw_collector_stats(struct fw_collector *c, const char *source,
		       struct fw_collector_stats *stats);

#endif
