// SPDX-License-Identifier: MIT
/*
 * Top talkers of a ddos_filter (the backend's top call, ctx the daemon): the program counts every
 * source that reaches its rule stage in `talkers` (an LRU hash of at most
 * 65536 sources, so memory is bounded and the least recently seen go first);
 * the rate over an interval is the difference of two reads.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/backend_internal.h"
#include "daemon/event_log.h"
#include "daemon/rules.h"
#include "ebpf/args.h"
#include "flywall/rules.h"

struct talker {
	struct fw_talker_key key;
	struct fw_talker value;
	uint64_t d_packets, d_bytes;
};

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct fw_talker_key));
}

static int cmp_packets(const void *a, const void *b)
{
	const struct talker *x = a, *y = b;

	return x->d_packets < y->d_packets ? 1 : x->d_packets > y->d_packets ? -1 :
	       (x->d_bytes < y->d_bytes) - (x->d_bytes > y->d_bytes);
}

/* Every entry, sorted by address. */
static int snapshot(int fd, struct talker **out, size_t *n)
{
	size_t cap = 1024;
	struct talker *t = malloc(cap * sizeof(*t));
	struct fw_talker_key *prev = NULL;

	*n = 0;
	if (!t)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, &t[*n].key)) {
		if (bpf_map_lookup_elem(fd, &t[*n].key, &t[*n].value) == 0) {
			prev = &t[*n].key;
			(*n)++;
		}
		if (*n == cap) {
			struct talker *more = realloc(t, cap * 2 * sizeof(*t));

			if (!more)
				break;
			t = more;
			cap *= 2;
			prev = &t[*n - 1].key;
		}
		if (*n > FW_TALKERS_MAX * 2)
			break;
	}
	qsort(t, *n, sizeof(*t), cmp_key);
	*out = t;
	return 0;
}

static void format_addr(const uint8_t a[16], char *out, size_t size)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (!memcmp(a, mapped, 12))
		inet_ntop(AF_INET, a + 12, out, size);
	else
		inet_ntop(AF_INET6, a, out, size);
}

int fw_top(void *ctx, const char *program, unsigned int interval_s, size_t limit,
	   json_t **out, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct talker *before = NULL, *after = NULL;
	size_t n_before = 0, n_after = 0;
	json_t *list;
	int fd = fw_rule_plane_map_fd(d, program, "talkers", err);

	if (fd < 0)
		return fd;
	if (interval_s && snapshot(fd, &before, &n_before)) {
		close(fd);
		return fw_error_set(err, ENOMEM, "out of memory");
	}
	if (interval_s)
		sleep(interval_s);
	if (snapshot(fd, &after, &n_after)) {
		free(before);
		close(fd);
		return fw_error_set(err, ENOMEM, "out of memory");
	}
	close(fd);
	for (size_t i = 0; i < n_after; i++) {
		struct talker *was = interval_s ? bsearch(&after[i].key, before, n_before,
							  sizeof(*before), cmp_key) : NULL;

		after[i].d_packets = after[i].value.packets - (was ? was->value.packets : 0);
		after[i].d_bytes = after[i].value.bytes - (was ? was->value.bytes : 0);
	}
	qsort(after, n_after, sizeof(*after), cmp_packets);
	list = json_array();
	for (size_t i = 0; i < n_after && i < limit; i++) {
		char addr[INET6_ADDRSTRLEN];

		if (interval_s && !after[i].d_packets)
			break;
		format_addr(after[i].key.addr, addr, sizeof(addr));
		json_array_append_new(list, json_pack("{s:s, s:I, s:I, s:f, s:f}", "address", addr,
			"packets", (json_int_t)after[i].d_packets, "bytes", (json_int_t)after[i].d_bytes,
			"pps", interval_s ? (double)after[i].d_packets / interval_s : 0.0,
			"bps", interval_s ? 8.0 * after[i].d_bytes / interval_s : 0.0));
	}
	*out = json_pack("{s:s, s:I, s:I, s:o}", "program", program, "interval_s",
			 (json_int_t)interval_s, "sources", (json_int_t)n_after, "talkers", list);
	free(before);
	free(after);
	return 0;
}

/* ---- automatic blocking ----------------------------------------------------
 * With the args auto_block_pps = N (> 0) and auto_block_seconds = S, a source
 * the talkers table saw sending more than N packets/s over the last second
 * goes into the program's blocklist for S seconds (the blocklist's own
 * expiry removes it). The program never reads these two args: they live
 * with its other settings so that one PUT changes them. */

struct fw_auto_block {
	char program[FW_NAME_MAX];
	struct talker *prev;
	size_t n_prev;
	double at;
};

#define AUTO_BLOCK_PROGRAMS 16

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static json_int_t arg_int(json_t *args, const char *name)
{
	return json_integer_value(json_object_get(args, name));
}

/* Only the housekeeping thread reads and writes d->rules.autos. */
/* The block as an event, beside the programs' own in GET /api/ebpf/events. */
static void auto_block_event(struct fw_daemon *d, const char *program, const char *addr,
			     json_int_t seconds, double rate, json_int_t pps)
{
	struct timespec now;
	json_t *ev;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ev = json_pack("{s:s, s:I, s:s, s:s, s:I, s:f, s:I}", "type", "auto_block", "ts_ns",
		       (json_int_t)now.tv_sec * 1000000000 + now.tv_nsec, "program", program,
		       "address", addr, "expires_in", seconds, "pps", rate,
		       "auto_block_pps", pps);
	fw_event_log_put(d->events, ev);
	json_decref(ev);
}

static void auto_block(struct fw_daemon *d, const char *program, int fd, json_int_t pps,
		       json_int_t seconds)
{
	struct fw_auto_block *st = NULL, *autos;
	struct talker *cur;
	size_t n;
	double t = now_s();

	if (!d->rules.autos)
		d->rules.autos = calloc(AUTO_BLOCK_PROGRAMS, sizeof(*d->rules.autos));
	autos = d->rules.autos;
	for (size_t i = 0; autos && i < AUTO_BLOCK_PROGRAMS && !st; i++)
		if (!strcmp(autos[i].program, program) || !autos[i].program[0])
			st = &autos[i];
	if (!st || snapshot(fd, &cur, &n))
		return;
	if (!st->program[0])
		snprintf(st->program, sizeof(st->program), "%.*s", (int)sizeof(st->program) - 1, program);
	for (size_t i = 0; st->prev && i < n; i++) {
		struct talker *was = bsearch(&cur[i].key, st->prev, st->n_prev, sizeof(*cur), cmp_key);
		double rate = was ? (cur[i].value.packets - was->value.packets) / (t - st->at) : 0;
		struct fw_error err = { 0 };
		char addr[INET6_ADDRSTRLEN];
		json_t *entry;

		if (rate <= pps)
			continue;
		format_addr(cur[i].key.addr, addr, sizeof(addr));
		entry = json_pack("[{s:s, s:I}]", "address", addr, "expires_in", seconds);
		if (fw_blocklist_add(d, program, entry, &err) == 0) {
			fw_info("%s: auto-blocked %s for %lld s: %.0f packets/s over auto_block_pps %lld",
				program, addr, (long long)seconds, rate, (long long)pps);
			auto_block_event(d, program, addr, seconds, rate, pps);
		} else
			fw_err_log("%s: cannot auto-block %s: %s", program, addr, err.msg);
		fw_error_clear(&err);
		json_decref(entry);
	}
	free(st->prev);
	st->prev = cur;
	st->n_prev = n;
	st->at = t;
}

void fw_auto_block_tick(struct fw_daemon *d)
{
	struct { char name[FW_NAME_MAX]; json_int_t pps, seconds; } todo[AUTO_BLOCK_PROGRAMS];
	size_t n = 0;

	fw_daemon_lock(d);
	for (size_t i = 0; i < d->reg.n_progs && n < AUTO_BLOCK_PROGRAMS; i++) {
		struct fw_program *p = d->reg.progs[i];
		json_t *args;

		if (p->prog_fd < 0 || !(args = fw_args_read_running(p->prog_fd)))
			continue;
		if (arg_int(args, "auto_block_pps") > 0) {
			snprintf(todo[n].name, sizeof(todo[n].name), "%s", p->rec.name);
			todo[n].pps = arg_int(args, "auto_block_pps");
			todo[n].seconds = arg_int(args, "auto_block_seconds") ?: 300;
			n++;
		}
		json_decref(args);
	}
	fw_daemon_unlock(d);
	for (size_t i = 0; i < n && !fw_backend_stopping(d); i++) {
		struct fw_error err = { 0 };
		int fd = fw_rule_plane_map_fd(d, todo[i].name, "talkers", &err);

		fw_error_clear(&err);
		if (fd < 0)
			continue;
		auto_block(d, todo[i].name, fd, todo[i].pps, todo[i].seconds);
		close(fd);
	}
}

void fw_auto_block_free(struct fw_daemon *d)
{
	for (size_t i = 0; d->rules.autos && i < AUTO_BLOCK_PROGRAMS; i++)
		free(d->rules.autos[i].prev);
	free(d->rules.autos);
	d->rules.autos = NULL;
}
