// SPDX-License-Identifier: MIT
#include "ebpf/collector.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "ebpf/events.h"
#include "ebpf/ksyms.h"
#include "ebpf/spec.h"

#define STACK_FRAME_TEXT 160

struct source {
	struct fw_collector *owner;
	struct source *next;
	uint64_t id;            /* what epoll reports: a pointer could be stale */
	char name[FW_NAME_MAX];
	int map_fd;
	int stack_fd;           /* -1: none */
	uint32_t stack_depth;   /* frames per stack_fd value */
	struct ring_buffer *rb;
	struct perf_buffer *pb;
	struct fw_collector_stats stats;
};

struct fw_collector {
	pthread_mutex_t lock;   /* guards sources, stats, ksyms */
	int epfd;
	struct source *sources;
	uint64_t next_id;
	fw_collector_event_fn fn;
	void *ctx;
	uint64_t delivered;
	uint64_t second;        /* CLOCK_MONOTONIC second the rate counts in */
	uint32_t this_second;   /* events decoded in it */
	struct fw_ksyms *ksyms; /* loaded on the first stack */
	bool ksyms_failed;
};

/* ---- stacks ------------------------------------------------------------- */

static struct fw_ksyms *collector_ksyms(struct fw_collector *c)
{
	struct fw_error err = {};

	if (c->ksyms || c->ksyms_failed)
		return c->ksyms;
	if (fw_ksyms_load(NULL, &c->ksyms, &err)) {
		fw_warn("kernel stacks will show bare addresses: %s", err.msg);
		c->ksyms_failed = true;
		fw_error_clear(&err);
	}
	return c->ksyms;
}

/* The frames of one stack, innermost first, as "function+0xoff" strings. */
static json_t *symbolize_stack(struct source *s, int32_t stack_id)
{
	uint64_t *ips = calloc(s->stack_depth, sizeof(*ips));
	struct fw_ksyms *ksyms = collector_ksyms(s->owner);
	char frame[STACK_FRAME_TEXT];
	json_t *stack = NULL;

	if (!ips)
		return NULL;
	if (bpf_map_lookup_elem(s->stack_fd, &stack_id, ips) == 0) {
		stack = json_array();
		for (uint32_t i = 0; stack && i < s->stack_depth && ips[i]; i++) {
			fw_ksyms_format(ksyms, ips[i], frame, sizeof(frame));
			json_array_append_new(stack, json_string(frame));
		}
	}
	free(ips);
	return stack;
}

/* ---- delivery ----------------------------------------------------------- */

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

/* Whether this second's rate has room for one more event (and takes it). */
static bool rate_allows(struct fw_collector *c)
{
	uint64_t second = monotonic_ns() / 1000000000ull;

	if (second != c->second) {
		c->second = second;
		c->this_second = 0;
	}
	if (c->this_second >= FW_COLLECTOR_MAX_PER_SECOND)
		return false;
	c->this_second++;
	return true;
}

/* Decodes and hands on one record; false (record counted as dropped) when
 * this second's rate is spent. */
static bool deliver(struct source *s, const void *data, size_t size)
{
	json_t *event;
	int32_t stack_id;

	if (!rate_allows(s->owner)) {
		s->stats.dropped++;
		return false;
	}
	event = fw_event_decode(data, size);
	if (!event)
		return true;
	if (s->stack_fd >= 0 && fw_event_stack_id(data, size, &stack_id)) {
		json_t *stack = symbolize_stack(s, stack_id);

		if (stack)
			json_object_set_new(event, "stack", stack);
	}
	if (strcmp(json_string_value(json_object_get(event, "type")), "raw") == 0)
		s->stats.raw++;
	json_object_set_new(event, "program", json_string(s->name));
	s->stats.events++;
	s->owner->delivered++;
	s->owner->fn(s->name, event, s->owner->ctx);
	json_decref(event);
	return true;
}

/* Stops the ring's reading when the rate is spent: what follows stays in
 * the ring for the next second (libbpf has consumed this one record). */
#define RATE_SPENT (-E2BIG)

static int on_ring_sample(void *ctx, void *data, size_t size)
{
	return deliver(ctx, data, size) ? 0 : RATE_SPENT;
}

static void on_perf_sample(void *ctx, int cpu, void *data, __u32 size)
{
	deliver(ctx, data, size);  /* a perf buffer cannot stop: over the rate, dropped */
}

static void on_perf_lost(void *ctx, int cpu, __u64 count)
{
	struct source *s = ctx;

	s->stats.lost += count;
}

/* ---- sources ------------------------------------------------------------ */

static struct source *find_by_name(struct fw_collector *c, const char *name)
{
	for (struct source *s = c->sources; s; s = s->next)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

static struct source *find_by_id(struct fw_collector *c, uint64_t id)
{
	for (struct source *s = c->sources; s; s = s->next)
		if (s->id == id)
			return s;
	return NULL;
}

static void source_free(struct source *s)
{
	ring_buffer__free(s->rb);
	perf_buffer__free(s->pb);
	if (s->map_fd >= 0)
		close(s->map_fd);
	if (s->stack_fd >= 0)
		close(s->stack_fd);
	free(s);
}

static int consume(struct source *s)
{
	int n = s->rb ? ring_buffer__consume(s->rb) : perf_buffer__consume(s->pb);

	return n < 0 && n != RATE_SPENT ? n : 0;
}

/* Nanoseconds left in this second when its rate is spent, else 0. */
static uint64_t rate_pause_ns(struct fw_collector *c)
{
	uint64_t now = monotonic_ns();

	if (now / 1000000000ull != c->second || c->this_second < FW_COLLECTOR_MAX_PER_SECOND)
		return 0;
	return 1000000000ull - now % 1000000000ull;
}

static int map_info(int fd, struct bpf_map_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(fd, info, &len) ? -errno : 0;
}

static int open_stack_map(struct source *s, int stack_map_fd, struct fw_error *err)
{
	struct bpf_map_info info;

	if (stack_map_fd < 0)
		return 0;
	if (map_info(stack_map_fd, &info) || info.type != BPF_MAP_TYPE_STACK_TRACE)
		return fw_error_set(err, EINVAL, "event source %s: the stack map (fd %d) is not "
				    "a stack_trace map", s->name, stack_map_fd);
	s->stack_depth = info.value_size / sizeof(uint64_t);
	/* now, not on the first event: reading kallsyms takes long enough
	 * (~0.1 s) for a busy buffer to overflow meanwhile */
	collector_ksyms(s->owner);
	s->stack_fd = fcntl(stack_map_fd, F_DUPFD_CLOEXEC, 0);
	if (s->stack_fd < 0)
		return fw_error_set(err, errno, "event source %s: %s", s->name, strerror(errno));
	return 0;
}

/* Opens the libbpf reader that fits the map's type. */
static int open_reader(struct source *s, struct fw_error *err)
{
	struct bpf_map_info info;
	int ret;

	if (map_info(s->map_fd, &info))
		return fw_error_set(err, errno, "event source %s: cannot inspect map fd: %s",
				    s->name, strerror(errno));
	if (info.type == BPF_MAP_TYPE_RINGBUF) {
		s->rb = ring_buffer__new(s->map_fd, on_ring_sample, s, NULL);
		ret = s->rb ? 0 : -errno;
	} else if (info.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY) {
		s->pb = perf_buffer__new(s->map_fd, FW_COLLECTOR_PERF_PAGES, on_perf_sample,
					 on_perf_lost, s, NULL);
		ret = s->pb ? 0 : -errno;
	} else {
		return fw_error_set(err, EINVAL, "event source %s: map %s is neither a ringbuf nor "
				    "a perf_event_array map", s->name, info.name);
	}
	if (ret)
		return fw_error_set(err, ret, "event source %s: cannot read map %s: %s", s->name,
				    info.name, strerror(-ret));
	return 0;
}

static int watch(struct fw_collector *c, struct source *s, struct fw_error *err)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.u64 = s->id };
	int fd = s->rb ? ring_buffer__epoll_fd(s->rb) : perf_buffer__epoll_fd(s->pb);

	if (epoll_ctl(c->epfd, EPOLL_CTL_ADD, fd, &ev))
		return fw_error_set(err, errno, "event source %s: epoll: %s", s->name,
				    strerror(errno));
	return 0;
}

int fw_collector_add(struct fw_collector *c, const char *name, int map_fd, int stack_map_fd,
		     struct fw_error *err)
{
	struct source *s = calloc(1, sizeof(*s));
	int ret;

	if (!s)
		return fw_error_set(err, ENOMEM, "event source %s: out of memory", name);
	s->owner = c;
	s->stack_fd = -1;
	snprintf(s->name, sizeof(s->name), "%s", name);
	s->map_fd = fcntl(map_fd, F_DUPFD_CLOEXEC, 0);
	if (s->map_fd < 0) {
		ret = fw_error_set(err, errno, "event source %s: map fd %d: %s", name, map_fd,
				   strerror(errno));
		source_free(s);
		return ret;
	}
	pthread_mutex_lock(&c->lock);
	s->id = ++c->next_id;
	if (find_by_name(c, name))
		ret = fw_error_set(err, EEXIST, "event source %s is already collected", name);
	else
		ret = open_stack_map(s, stack_map_fd, err);
	if (!ret)
		ret = open_reader(s, err);
	if (!ret)
		ret = watch(c, s, err);
	if (ret) {
		pthread_mutex_unlock(&c->lock);
		source_free(s);
		return ret;
	}
	s->next = c->sources;
	c->sources = s;
	pthread_mutex_unlock(&c->lock);
	return 0;
}

int fw_collector_remove(struct fw_collector *c, const char *name)
{
	struct source **link, *s = NULL;

	pthread_mutex_lock(&c->lock);
	for (link = &c->sources; *link; link = &(*link)->next) {
		if (strcmp((*link)->name, name) == 0) {
			s = *link;
			*link = s->next;
			break;
		}
	}
	if (s)
		consume(s);
	pthread_mutex_unlock(&c->lock);
	if (!s)
		return -ENOENT;
	/* closing the reader's fds takes them out of the epoll set */
	source_free(s);
	return 0;
}

/* ---- polling ------------------------------------------------------------ */

int fw_collector_poll(struct fw_collector *c, int timeout_ms)
{
	struct epoll_event ready[16];
	uint64_t before, pause_ns;
	int n, ret = 0;

	pthread_mutex_lock(&c->lock);
	pause_ns = rate_pause_ns(c);
	pthread_mutex_unlock(&c->lock);
	if (pause_ns) {
		/* the buffers are not read until the next second: sleep, or
		 * epoll would report them ready at once, again and again */
		if (timeout_ms >= 0 && pause_ns > (uint64_t)timeout_ms * 1000000ull)
			pause_ns = (uint64_t)timeout_ms * 1000000ull;
		nanosleep(&(struct timespec){ .tv_sec = (time_t)(pause_ns / 1000000000ull),
					      .tv_nsec = (long)(pause_ns % 1000000000ull) }, NULL);
		return 0;
	}
	n = epoll_wait(c->epfd, ready, 16, timeout_ms);
	if (n < 0)
		return -errno;
	pthread_mutex_lock(&c->lock);
	before = c->delivered;
	for (int i = 0; i < n && !ret; i++) {
		struct source *s = find_by_id(c, ready[i].data.u64);

		if (s)          /* gone meanwhile: nothing to do */
			ret = consume(s);
	}
	/* On a timeout, read every source anyway: a program may write without
	 * waking us (BPF_RB_NO_WAKEUP) and leave its events to be read in one
	 * batch per poll, rather than wake this thread for each. */
	for (struct source *s = c->sources; n == 0 && s && !ret; s = s->next)
		ret = consume(s);
	n = (int)(c->delivered - before);
	pthread_mutex_unlock(&c->lock);
	return ret ? ret : n;
}

int fw_collector_drain(struct fw_collector *c)
{
	uint64_t before;
	int n, ret = 0;

	pthread_mutex_lock(&c->lock);
	before = c->delivered;
	for (struct source *s = c->sources; s && !ret; s = s->next)
		ret = consume(s);
	n = (int)(c->delivered - before);
	pthread_mutex_unlock(&c->lock);
	return ret ? ret : n;
}

int fw_collector_fd(const struct fw_collector *c)
{
	return c->epfd;
}

int fw_collector_stats(struct fw_collector *c, const char *name,
		       struct fw_collector_stats *stats)
{
	struct source *s;

	pthread_mutex_lock(&c->lock);
	s = find_by_name(c, name);
	if (s)
		*stats = s->stats;
	pthread_mutex_unlock(&c->lock);
	return s ? 0 : -ENOENT;
}

/* ---- lifetime ----------------------------------------------------------- */

int fw_collector_new(fw_collector_event_fn fn, void *ctx, struct fw_collector **out,
		     struct fw_error *err)
{
	struct fw_collector *c = calloc(1, sizeof(*c));

	if (!c)
		return fw_error_set(err, ENOMEM, "event collector: out of memory");
	c->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (c->epfd < 0) {
		int ret = fw_error_set(err, errno, "event collector: epoll: %s", strerror(errno));

		free(c);
		return ret;
	}
	pthread_mutex_init(&c->lock, NULL);
	c->fn = fn;
	c->ctx = ctx;
	*out = c;
	return 0;
}

void fw_collector_free(struct fw_collector *c)
{
	struct source *s, *next;

	if (!c)
		return;
	for (s = c->sources; s; s = next) {
		next = s->next;
		source_free(s);
	}
	fw_ksyms_free(c->ksyms);
	close(c->epfd);
	pthread_mutex_destroy(&c->lock);
	free(c);
}
