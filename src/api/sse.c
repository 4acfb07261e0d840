// SPDX-License-Identifier: MIT
#include "api/sse.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct fw_sse_stream {
	const struct fw_api_backend *be;
	const bool *stopping;
	unsigned int *open;     /* the server's count of open streams, or NULL */
	uint64_t next;          /* sequence number to ask the backend for next */
	char *pending;          /* framed text not yet handed to the server */
	size_t len, sent;
	unsigned int idle_ms;
};

static int append(char **buf, size_t *len, const char *text, size_t n)
{
	char *grown = realloc(*buf, *len + n + 1);

	if (!grown)
		return -ENOMEM;
	memcpy(grown + *len, text, n);
	*len += n;
	grown[*len] = '\0';
	*buf = grown;
	return 0;
}

int fw_sse_append_event(char **buf, size_t *len, json_t *event, uint64_t fallback_id)
{
	json_t *seq = json_object_get(event, "seq");
	uint64_t id = json_is_integer(seq) ? (uint64_t)json_integer_value(seq) : fallback_id;
	char head[48];
	char *data;
	int ret;

	/* Compact JSON has no raw newline, so one data: line holds the event. */
	data = json_dumps(event, JSON_COMPACT | JSON_SORT_KEYS);
	if (!data)
		return -ENOMEM;
	snprintf(head, sizeof(head), "id: %llu\ndata: ", (unsigned long long)id);
	ret = append(buf, len, head, strlen(head));
	if (!ret)
		ret = append(buf, len, data, strlen(data));
	if (!ret)
		ret = append(buf, len, "\n\n", 2);
	free(data);
	return ret;
}

struct fw_sse_stream *fw_sse_stream_new(const struct fw_api_backend *be, uint64_t since,
					const bool *stopping, unsigned int *open)
{
	struct fw_sse_stream *s = calloc(1, sizeof(*s));
	char hello[96];

	if (!s)
		return NULL;
	s->be = be;
	s->stopping = stopping;
	s->open = open;
	s->next = since;
	/* Sent at once so the client sees the stream is open, and told how long
	 * to wait before reconnecting. */
	snprintf(hello, sizeof(hello), "retry: 2000\n: flywall events from seq %llu\n\n",
		 (unsigned long long)since);
	if (append(&s->pending, &s->len, hello, strlen(hello))) {
		free(s);
		return NULL;
	}
	return s;
}

static void pending_reset(struct fw_sse_stream *s)
{
	free(s->pending);
	s->pending = NULL;
	s->len = s->sent = 0;
}

/* Fetches the next batch into pending; false when there is nothing new. */
static bool fetch(struct fw_sse_stream *s)
{
	uint64_t first = s->next, next = s->next;
	json_t *events = s->be->events_since(s->be->ctx, first, FW_SSE_BATCH, &next), *ev;
	size_t i;

	json_array_foreach(events, i, ev)
		if (fw_sse_append_event(&s->pending, &s->len, ev, first + i))
			break;
	json_decref(events);
	if (next > s->next)
		s->next = next;
	return s->len > 0;
}

static void sleep_ms(unsigned int ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

ssize_t fw_sse_stream_read(void *stream, uint64_t pos, char *buf, size_t max)
{
	struct fw_sse_stream *s = stream;
	size_t n;

	while (s->sent == s->len) {
		pending_reset(s);
		if (__atomic_load_n(s->stopping, __ATOMIC_ACQUIRE))
			return MHD_CONTENT_READER_END_OF_STREAM;
		if (fetch(s)) {
			s->idle_ms = 0;
			break;
		}
		sleep_ms(FW_SSE_POLL_MS);
		s->idle_ms += FW_SSE_POLL_MS;
		/* A comment line: keeps proxies from closing the stream, and lets
		 * the server notice a client that went away. */
		if (s->idle_ms >= FW_SSE_KEEPALIVE_MS) {
			s->idle_ms = 0;
			if (append(&s->pending, &s->len, ": keepalive\n\n", 13))
				return MHD_CONTENT_READER_END_WITH_ERROR;
		}
	}
	n = s->len - s->sent < max ? s->len - s->sent : max;
	memcpy(buf, s->pending + s->sent, n);
	s->sent += n;
	return (ssize_t)n;
}

void fw_sse_stream_free(void *stream)
{
	struct fw_sse_stream *s = stream;

	if (!s)
		return;
	if (s->open)
		__atomic_sub_fetch(s->open, 1, __ATOMIC_RELEASE);
	free(s->pending);
	free(s);
}
