/* SPDX-License-Identifier: MIT */
/*
 * GET /api/ebpf/events as Server-Sent Events: each program event becomes
 * "id: SEQ\ndata: {json}\n\n", following fw_backend_events_since; a comment
 * line keeps an idle stream open.
 */
#ifndef FLYWALL_API_SSE_H
#define FLYWALL_API_SSE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "api/routes.h"

#define FW_SSE_KEEPALIVE_MS 15000
#define FW_SSE_POLL_MS 100
#define FW_SSE_BATCH 64

struct fw_sse_stream;

/* *stopping turns true when the server shuts down; the stream then ends.
 * *open (may be NULL), counted up by the caller, is counted down when the
 * stream is freed. */
struct fw_sse_stream *fw_sse_stream_new(const struct fw_api_backend *be, uint64_t since,
					const bool *stopping, unsigned int *open);
/* libmicrohttpd's content reader: blocks until there is something to send
 * (thread-per-connection), returns bytes, or END_OF_STREAM when stopping. */
ssize_t fw_sse_stream_read(void *stream, uint64_t pos, char *buf, size_t max);
void fw_sse_stream_free(void *stream);

/* Appends one event's frame to a malloc'd buffer (*buf, *len); the id is the
 * event's "seq" or else fallback_id. 0 or -ENOMEM. */
int fw_sse_append_event(char **buf, size_t *len, json_t *event, uint64_t fallback_id);

#endif
