// SPDX-License-Identifier: MIT
#include "daemon/event_log.h"

#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/log.h"
#include "ebpf/collector.h"
#include "flywall/conntrack.h"
#include "flywall/ddos.h"

/*
 * Where a shipped program counts its events in the kernel: a per-CPU array
 * of __u64 (map) beside the event ring (events: both names must match), and
 * the indices of events written, suppressed by the program's event budget
 * and lost (ring full).
 */
static const struct kernel_event_counters {
	const char *map, *events;
	int emitted, suppressed, lost;
} kernel_counters[] = {
	{ "ddos_counters", "ddos_events", FW_DDOS_EVENT_SENT, FW_DDOS_EVENT_SUPPRESSED,
	  FW_DDOS_EVENT_LOST },
	{ "counters", "ct_events", FW_CT_EVENT_SENT, FW_CT_EVENT_SUPPRESSED, FW_CT_EVENT_LOST },
};
#define N_KERNEL_COUNTERS (sizeof(kernel_counters) / sizeof(kernel_counters[0]))

struct fw_event_log {
	pthread_mutex_t lock;
	/* Compact JSON text, not jansson trees: a decoded event tree costs a few
	 * KiB of small allocations, its text a few hundred bytes. */
	char *ring[FW_EVENT_LOG_CAPACITY];
	uint64_t next_seq;              /* seq of the next event */
	FILE *jsonl;
	char jsonl_path[FW_PATH_MAX];
	uint64_t jsonl_bytes;           /* size of the file now */
	uint64_t jsonl_max;             /* rotate to <path>.1 beyond this */
	struct fw_collector *collector;
	pthread_t thread;
	volatile bool stop;
	bool started;
	char sources[256][FW_NAME_MAX];
	int counter_fds[256];           /* the source's kernel_counters map, or -1 */
	const struct kernel_event_counters *counters[256];
	int n_sources;
};

struct fw_event_log *fw_event_log_new(void)
{
	struct fw_event_log *log = calloc(1, sizeof(*log));

	if (log)
		pthread_mutex_init(&log->lock, NULL);
	return log;
}

void fw_event_log_free(struct fw_event_log *log)
{
	if (!log)
		return;
	fw_event_log_stop(log);
	pthread_mutex_destroy(&log->lock);
	free(log);
}

/* Opens the events log for appending, 0600, never through a symlink (a user
 * who can write the directory must not point it at another file), and only a
 * regular file of ours: anyone else's could be read by its owner. */
static FILE *open_jsonl(const char *path, uint64_t *size, struct fw_error *err)
{
	int fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	struct stat st;
	FILE *f;

	if (fd < 0) {
		if (errno == ELOOP)
			fw_error_set(err, ELOOP, "events log %s is a symbolic link: give the real path (the log is never written through a link)",
				     path);
		else
			fw_error_set(err, errno, "events log %s: %s", path, strerror(errno));
		return NULL;
	}
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid()) {
		fw_error_set(err, EPERM, "events log %s: not a regular file owned by uid %u (remove it, or give another path)",
			     path, (unsigned)geteuid());
		close(fd);
		return NULL;
	}
	/* A log left by an older version, or created by hand, may be readable
	 * by others: events carry addresses, commands, DNS names. */
	if ((st.st_mode & 077) && fchmod(fd, 0600) < 0)
		fw_warn("events log %s: cannot make it private: %s", path, strerror(errno));
	f = fdopen(fd, "a");
	if (!f) {
		fw_error_set(err, errno, "events log %s: %s", path, strerror(errno));
		close(fd);
		return NULL;
	}
	*size = st.st_size;
	return f;
}

/* Bounded: past jsonl_max bytes the file becomes <path>.1 (replacing the
 * previous one) and a new file starts, so the log takes at most twice that. */
static void rotate_jsonl(struct fw_event_log *log)
{
	char old[FW_PATH_MAX + 2];
	struct fw_error err = {};
	FILE *f;

	snprintf(old, sizeof(old), "%s.1", log->jsonl_path);
	fclose(log->jsonl);
	log->jsonl = NULL;
	if (rename(log->jsonl_path, old) < 0)
		fw_warn("events log %s: cannot rotate to %s: %s", log->jsonl_path, old,
			strerror(errno));
	f = open_jsonl(log->jsonl_path, &log->jsonl_bytes, &err);
	if (!f)
		fw_warn("%s; events are no longer written to a file", err.msg);
	log->jsonl = f;
	fw_error_clear(&err);
}

static void append_line(struct fw_event_log *log, const char *text)
{
	size_t len = strlen(text) + 1;

	if (log->jsonl_max && log->jsonl_bytes &&
	    log->jsonl_bytes + len > log->jsonl_max) {
		rotate_jsonl(log);
		if (!log->jsonl)
			return;
	}
	fputs(text, log->jsonl);
	fputc('\n', log->jsonl);
	fflush(log->jsonl);
	log->jsonl_bytes += len;
}

static void on_event(const char *source, json_t *event, void *ctx)
{
	struct fw_event_log *log = ctx;
	json_t *numbered = json_copy(event); /* shallow: the event is borrowed */
	uint64_t seq;
	char *text;

	pthread_mutex_lock(&log->lock);
	seq = log->next_seq++;
	json_object_set_new(numbered, "seq", json_integer((json_int_t)seq));
	text = json_dumps(numbered, JSON_COMPACT);
	json_decref(numbered);
	free(log->ring[seq % FW_EVENT_LOG_CAPACITY]);
	log->ring[seq % FW_EVENT_LOG_CAPACITY] = text;
	if (log->jsonl && text)
		append_line(log, text);
	pthread_mutex_unlock(&log->lock);
}

void fw_event_log_put(struct fw_event_log *log, json_t *event)
{
	if (log && event)
		on_event("daemon", event, log);
}

static void *collector_thread(void *arg)
{
	struct fw_event_log *log = arg;

	while (!log->stop) {
		int ret = fw_collector_poll(log->collector, 200);

		if (ret < 0 && ret != -EINTR)
			fw_warn("event collector: %s", strerror(-ret));
	}
	return NULL;
}

int fw_event_log_open_file(struct fw_event_log *log, const char *jsonl_path,
			   uint64_t max_bytes, struct fw_error *err)
{
	if (strlen(jsonl_path) >= sizeof(log->jsonl_path))
		return fw_error_set(err, ENAMETOOLONG, "events log %s: path too long", jsonl_path);
	snprintf(log->jsonl_path, sizeof(log->jsonl_path), "%s", jsonl_path);
	log->jsonl_max = max_bytes;
	log->jsonl = open_jsonl(jsonl_path, &log->jsonl_bytes, err);
	return log->jsonl ? 0 : err->code;
}

int fw_event_log_start(struct fw_event_log *log, struct fw_error *err)
{
	int ret;

	ret = fw_collector_new(on_event, log, &log->collector, err);
	if (ret)
		return ret;
	log->stop = false;
	ret = pthread_create(&log->thread, NULL, collector_thread, log);
	if (ret)
		return fw_error_set(err, ret, "starting the collector: %s", strerror(ret));
	log->started = true;
	return 0;
}

static void forget_sources(struct fw_event_log *log)
{
	for (int i = 0; i < log->n_sources; i++) {
		if (log->collector)
			fw_collector_remove(log->collector, log->sources[i]);
		if (log->counter_fds[i] >= 0)
			close(log->counter_fds[i]);
	}
	log->n_sources = 0;
}

void fw_event_log_stop(struct fw_event_log *log)
{
	if (log->started) {
		log->stop = true;
		pthread_join(log->thread, NULL);
		log->started = false;
	}
	forget_sources(log);
	fw_collector_free(log->collector);
	log->collector = NULL;
	if (log->jsonl)
		fclose(log->jsonl);
	log->jsonl = NULL;
	for (size_t i = 0; i < FW_EVENT_LOG_CAPACITY; i++) {
		free(log->ring[i]);
		log->ring[i] = NULL;
	}
}

struct event_maps {
	int event_fd;   /* ring buffer or perf event array */
	int stack_fd;   /* stack trace map */
	int counter_fd; /* map of kernel_counters */
	const struct kernel_event_counters *counters;
	char event_map[BPF_OBJ_NAME_LEN];
};

static void pick_event_map(const char *map, int fd, void *data)
{
	struct bpf_map_info info = {};
	struct event_maps *m = data;
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	if (m->event_fd < 0 && (info.type == BPF_MAP_TYPE_RINGBUF ||
				info.type == BPF_MAP_TYPE_PERF_EVENT_ARRAY)) {
		m->event_fd = dup(fd);
		snprintf(m->event_map, sizeof(m->event_map), "%s", map);
	}
	else if (m->stack_fd < 0 && info.type == BPF_MAP_TYPE_STACK_TRACE)
		m->stack_fd = dup(fd);
	for (size_t i = 0; m->counter_fd < 0 && i < N_KERNEL_COUNTERS; i++) {
		if (strcmp(map, kernel_counters[i].map) == 0 &&
		    info.type == BPF_MAP_TYPE_PERCPU_ARRAY && info.value_size == sizeof(__u64)) {
			m->counter_fd = dup(fd);
			m->counters = &kernel_counters[i];
		}
	}
}


void fw_event_log_sync(struct fw_event_log *log, struct fw_registry *reg)
{
	if (!log->collector)
		return;
	/* Re-reading every source after a change is simple and cheap: removing a
	 * source delivers what it still holds first. */
	forget_sources(log);
	for (size_t i = 0; i < reg->n_progs && log->n_sources < 256; i++) {
		const char *name = reg->progs[i]->rec.name;
		struct event_maps m = { -1, -1, -1, NULL, "" };
		struct fw_error err = {};
		int n = log->n_sources;

		fw_pins_for_each_map(reg->root, name, pick_event_map, &m);
		if (m.counters && strcmp(m.counters->events, m.event_map) != 0) {
			close(m.counter_fd);    /* a "counters" map of another program */
			m.counter_fd = -1;
			m.counters = NULL;
		}
		if (m.event_fd >= 0) {
			if (fw_collector_add(log->collector, name, m.event_fd, m.stack_fd, &err)) {
				fw_warn("events of %s: %s", name, err.msg);
			} else {
				snprintf(log->sources[n], FW_NAME_MAX, "%s", name);
				log->counter_fds[n] = m.counter_fd;
				log->counters[n] = m.counters;
				m.counter_fd = -1;
				log->n_sources++;
			}
			close(m.event_fd);
		}
		if (m.counter_fd >= 0)
			close(m.counter_fd);
		if (m.stack_fd >= 0)
			close(m.stack_fd);
		fw_error_clear(&err);
	}
}

json_t *fw_event_log_since(struct fw_event_log *log, uint64_t since, size_t max, uint64_t *next)
{
	json_t *out = json_array();
	uint64_t seq, oldest;

	pthread_mutex_lock(&log->lock);
	oldest = log->next_seq > FW_EVENT_LOG_CAPACITY
			 ? log->next_seq - FW_EVENT_LOG_CAPACITY : 0;
	seq = since < oldest ? oldest : since;
	for (; seq < log->next_seq && json_array_size(out) < max; seq++) {
		const char *text = log->ring[seq % FW_EVENT_LOG_CAPACITY];
		json_t *event = text ? json_loads(text, 0, NULL) : NULL;

		if (event)
			json_array_append_new(out, event);
	}
	*next = seq;
	pthread_mutex_unlock(&log->lock);
	return out;
}

/* Sum over CPUs of one slot of a per-CPU array of __u64; 0 when unreadable. */
static uint64_t percpu_sum(int fd, int index)
{
	int ncpus = libbpf_num_possible_cpus();
	uint64_t sum = 0;
	__u32 key = (__u32)index;

	if (fd < 0 || index < 0 || ncpus <= 0)
		return 0;
	uint64_t values[ncpus];
	if (bpf_map_lookup_elem(fd, &key, values))
		return 0;
	for (int i = 0; i < ncpus; i++)
		sum += values[i];
	return sum;
}

/*
 * {"events": decoded, "lost", "buffered", "emitted", "suppressed", "dropped",
 *  "programs": {NAME: {...}}}: emitted, suppressed (by the program's event
 * budget) and lost (ring full, or perf samples the kernel could not write)
 * as the kernel counts them, dropped by the collector's own rate limit.
 */
json_t *fw_event_log_stats(struct fw_event_log *log)
{
	uint64_t total, lost = 0, emitted = 0, suppressed = 0, dropped = 0;
	json_t *programs = json_object();

	for (int i = 0; log->collector && i < log->n_sources; i++) {
		const struct kernel_event_counters *k = log->counters[i];
		int fd = log->counter_fds[i];
		struct fw_collector_stats st = {};
		uint64_t e, sup, l;

		if (fw_collector_stats(log->collector, log->sources[i], &st))
			continue;
		e = k ? percpu_sum(fd, k->emitted) : st.events;
		sup = k ? percpu_sum(fd, k->suppressed) : 0;
		l = st.lost + (k ? percpu_sum(fd, k->lost) : 0);
		emitted += e;
		suppressed += sup;
		lost += l;
		dropped += st.dropped;
		json_object_set_new(programs, log->sources[i],
				    json_pack("{s:I, s:I, s:I, s:I, s:I}", "emitted", (json_int_t)e,
					      "suppressed", (json_int_t)sup, "lost", (json_int_t)l,
					      "delivered", (json_int_t)st.events, "dropped",
					      (json_int_t)st.dropped));
	}
	pthread_mutex_lock(&log->lock);
	total = log->next_seq;
	pthread_mutex_unlock(&log->lock);
	return json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:o}", "events", (json_int_t)total,
			 "lost", (json_int_t)lost, "buffered",
			 (json_int_t)(total < FW_EVENT_LOG_CAPACITY ? total : FW_EVENT_LOG_CAPACITY),
			 "emitted", (json_int_t)emitted, "suppressed", (json_int_t)suppressed,
			 "dropped", (json_int_t)dropped, "programs", programs);
}
