// SPDX-License-Identifier: MIT
/*
 * The daemon's side of the REST API (src/api/backend.h): JSON views of what
 * runs, read from the kernel at each call, and the changes the API may make.
 * Every call holds the daemon lock.
 */
#include "api/backend.h"

#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <pthread.h>
#include <errno.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/backend_internal.h"
#include "daemon/state.h"
#include "daemon/event_log.h"
#include "daemon/program_ext.h"
#include "daemon/reconcile.h"
#include "daemon/rules.h"
#include "ebpf/args.h"
#include "ebpf/btf_json.h"
#include "ebpf/chain.h"
#include "ebpf/counter_names.h"
#include "ebpf/features.h"
#include "ebpf/map_codec.h"
#include "ebpf/maps.h"

/* Run statistics are the daemon's to turn on (--run-stats), never a read's. */
static bool run_stats_on(const struct fw_daemon *d)
{
	return d->run_stats_fd >= 0;
}

/* ---- housekeeping: its own thread, off the signal path ------------------------ */

static void refresh_counts(struct fw_daemon *d);

bool fw_backend_stopping(const struct fw_daemon *d)
{
	return __atomic_load_n(&d->hk.stopping, __ATOMIC_ACQUIRE);
}

/* Once a second: the extensions' ticks (the blocklist's expiry, which
 * protects), then counts. Each step lets go of every lock between bounded
 * slices and gives up when the daemon stops. */
static void *housekeeping(void *ctx)
{
	struct fw_daemon *d = ctx;

	for (;;) {
		struct timespec until;

		fw_program_exts_tick(d);
		if (fw_backend_stopping(d))
			break;
		refresh_counts(d);
		/* A big answer or import frees many small blocks glibc keeps in its
		 * arenas: give the whole free pages back, so RSS follows what is
		 * in use (a millisecond or so). */
		malloc_trim(0);
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += 1;
		pthread_mutex_lock(&d->hk.lock);
		if (!fw_backend_stopping(d))
			pthread_cond_timedwait(&d->hk.wake, &d->hk.lock, &until);
		pthread_mutex_unlock(&d->hk.lock);
		if (fw_backend_stopping(d))
			break;
	}
	return NULL;
}

int fw_backend_start(struct fw_daemon *d, struct fw_error *err)
{
	int ret = pthread_create(&d->hk.thread, NULL, housekeeping, d);

	d->hk.running = ret == 0;
	if (ret)
		return fw_error_set(err, ret, "cannot start the housekeeping thread: %s",
				    strerror(ret));
	return 0;
}

void fw_backend_stop(struct fw_daemon *d)
{
	pthread_mutex_lock(&d->hk.lock);
	__atomic_store_n(&d->hk.stopping, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&d->hk.wake);
	pthread_mutex_unlock(&d->hk.lock);
}

void fw_backend_join(struct fw_daemon *d)
{
	fw_backend_stop(d);
	if (d->hk.running)
		pthread_join(d->hk.thread, NULL);
	d->hk.running = false;
}

/* ---- programs -------------------------------------------------------------- */

/* Both are read by API threads while a SIGHUP may be replacing the
 * configuration: a copy taken under the lock (one per thread). */
static const char *backend_program_dir(void *ctx)
{
	struct fw_daemon *d = ctx;
	static __thread char dir[FW_PATH_MAX];

	fw_daemon_lock(d);
	snprintf(dir, sizeof(dir), "%s", d->cfg.ebpf.program_dir[0]
						 ? d->cfg.ebpf.program_dir
						 : FW_DEFAULT_PROGRAM_DIR);
	fw_daemon_unlock(d);
	return dir;
}

static uint32_t default_map_size_locked(const struct fw_daemon *d)
{
	uint32_t size = d->cfg.ebpf.map_size;

	return size ? size : FW_MAP_SIZE_DEFAULT;
}

static uint32_t backend_default_map_size(void *ctx)
{
	struct fw_daemon *d = ctx;
	uint32_t size;

	fw_daemon_lock(d);
	size = default_map_size_locked(d);
	fw_daemon_unlock(d);
	return size;
}

static int prog_info(int prog_fd, struct bpf_prog_info *info)
{
	__u32 len = sizeof(*info);

	memset(info, 0, sizeof(*info));
	return bpf_obj_get_info_by_fd(prog_fd, info, &len) ? -errno : 0;
}

static void tag_hex(const __u8 tag[8], char out[17])
{
	for (int i = 0; i < 8; i++)
		sprintf(out + 2 * i, "%02x", tag[i]);
}

static void iso_time(uint64_t ns, char out[32])
{
	time_t secs = ns / 1000000000ull;
	struct tm tm;

	gmtime_r(&secs, &tm);
	strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* A program at p's hook point: Flywall's (its name and priority) or not
 * (its kernel name, "foreign": true). */
static json_t *chain_member(struct fw_daemon *d, uint32_t id)
{
	struct bpf_prog_info info;
	int fd;

	for (size_t i = 0; i < d->reg.n_progs; i++) {
		const struct fw_program *q = d->reg.progs[i];

		prog_info(q->prog_fd, &info);
		if (info.id != id)
			continue;
		return q->rec.has_priority
		       ? json_pack("{s:I, s:s, s:i}", "id", (json_int_t)id, "name", q->rec.name,
				   "priority", q->rec.priority)
		       : json_pack("{s:I, s:s}", "id", (json_int_t)id, "name", q->rec.name);
	}
	memset(&info, 0, sizeof(info));
	fd = bpf_prog_get_fd_by_id(id);
	if (fd >= 0) {
		prog_info(fd, &info);
		close(fd);
	}
	return json_pack("{s:I, s:s, s:b}", "id", (json_int_t)id, "program", info.name,
			 "foreign", true);
}

/* The programs at a prioritised program's hook point, in the order they run. */
static json_t *program_chain(struct fw_daemon *d, const struct fw_program *p)
{
	uint32_t ids[FW_CHAIN_MAX];
	json_t *list;
	int n = fw_chain_prog_ids(d->reg.root, &p->rec, ids, FW_CHAIN_MAX);

	if (n < 0)
		return json_null();
	list = json_array();
	for (int i = 0; i < n; i++)
		json_array_append_new(list, chain_member(d, ids[i]));
	return list;
}

static json_t *program_summary(struct fw_daemon *d, const struct fw_program *p)
{
	const struct fw_pin_record *r = &p->rec;
	struct bpf_prog_info info;
	json_t *out;

	prog_info(p->prog_fd, &info);
	out = json_pack("{s:s, s:s, s:s, s:s, s:I, s:s}", "name", r->name, "hook",
			fw_hook_name(r->hook), "attach", fw_attach_kind_name(r->attach), "origin",
			r->origin == FW_ORIGIN_API ? "api" : "config", "id", (json_int_t)info.id,
			"program", r->prog_name);
	json_object_set_new(out, "interface", r->interface[0] ? json_string(r->interface)
							      : json_null());
	if (fw_hook_takes(r->hook, FW_FIELD_DIRECTION))
		json_object_set_new(out, "direction", json_string(fw_tc_direction_name(r->tc_direction)));
	json_object_set_new(out, "fallback", r->attach_note[0] ? json_string(r->attach_note)
							       : json_null());
	if (r->has_priority) {
		json_object_set_new(out, "priority", json_integer(r->priority));
		json_object_set_new(out, "chain", program_chain(d, p));
	}
	return out;
}

struct maps_ctx {
	const char *program;
	json_t *list;
};

static void add_map_summary(const char *map, int fd, void *data)
{
	struct maps_ctx *ctx = data;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char qualified[FW_NAME_MAX * 2 + 1];

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	snprintf(qualified, sizeof(qualified), "%s.%s", ctx->program, map);
	json_array_append_new(ctx->list,
			      json_pack("{s:s, s:s, s:s, s:s, s:I, s:I, s:I, s:I}", "name", map,
					"qualified", qualified, "program", ctx->program, "type",
					fw_map_kernel_type_name(info.type), "id", (json_int_t)info.id,
					"key_size", (json_int_t)info.key_size, "value_size",
					(json_int_t)info.value_size, "max_entries",
					(json_int_t)info.max_entries));
}

static json_t *program_maps(struct fw_daemon *d, const char *name)
{
	struct maps_ctx ctx = { name, json_array() };

	fw_pins_for_each_map(d->reg.root, name, add_map_summary, &ctx);
	return ctx.list;
}

static json_t *program_detail(struct fw_daemon *d, const struct fw_program *p)
{
	const struct fw_pin_record *r = &p->rec;
	json_t *out = program_summary(d, p);
	struct bpf_prog_info info;
	char tag[17], when[32];

	prog_info(p->prog_fd, &info);
	tag_hex(info.tag, tag);
	iso_time(r->load_time_ns, when);
	json_object_update_new(out, json_pack("{s:s, s:s, s:b, s:s, s:s, s:o, s:o}",
					      "object", r->object, "tag", tag, "jited",
					      info.jited_prog_len > 0, "type",
					      libbpf_bpf_prog_type_str(info.type) ?: "unknown",
					      "load_time", when, "maps", program_maps(d, r->name),
					      "args", fw_args_read_running(p->prog_fd)));
	if (p->link_fd >= 0) {
		struct bpf_link_info li = {};
		__u32 len = sizeof(li);

		if (!bpf_obj_get_info_by_fd(p->link_fd, &li, &len))
			json_object_set_new(out, "link_id", json_integer(li.id));
	}
	return out;
}

static json_t *backend_programs(void *ctx)
{
	struct fw_daemon *d = ctx;
	json_t *list = json_array();

	fw_daemon_lock(d);
	for (size_t i = 0; i < d->reg.n_progs; i++)
		json_array_append_new(list, program_summary(d, d->reg.progs[i]));
	fw_daemon_unlock(d);
	return list;
}

static struct fw_program *find_program(struct fw_daemon *d, const char *name, struct fw_error *err)
{
	struct fw_program *p = fw_registry_find(&d->reg, name);

	if (!p)
		fw_error_set(err, ENOENT, "no program named \"%s\"", name);
	return p;
}

static int backend_program(void *ctx, const char *name, json_t **out, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct fw_program *p;

	fw_daemon_lock(d);
	p = find_program(d, name, err);
	if (p)
		*out = program_detail(d, p);
	fw_daemon_unlock(d);
	return p ? 0 : err->code;
}

/* ---- counters -------------------------------------------------------------- */

struct counters_out {
	json_t *counters, *names;
};

/* A counter map's values, and its slots' names when the program declares them
 * (src/ebpf/counter_names.h). */
static void add_counters(const char *map, int fd, void *data)
{
	struct counters_out *out = data;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	json_t *counters, *names;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return;
	/* A map whose program names its slots counts, whatever its name. */
	names = fw_counter_names_json(fd, map, info.max_entries);
	counters = fw_maps_counters_json(fd, names != NULL);
	if (!counters) {
		json_decref(names);
		return;
	}
	if (names)
		json_object_set_new(out->names, map, names);
	json_object_set_new(out->counters, map, counters);
}

static json_t *run_stats(const struct fw_program *p)
{
	struct bpf_prog_info info;

	prog_info(p->prog_fd, &info);
	return json_pack("{s:s, s:I, s:I, s:I, s:f}", "name", p->rec.name, "id",
			 (json_int_t)info.id, "run_cnt", (json_int_t)info.run_cnt, "run_time_ns",
			 (json_int_t)info.run_time_ns, "avg_ns",
			 info.run_cnt ? (double)info.run_time_ns / info.run_cnt : 0.0);
}

static int backend_program_stats(void *ctx, const char *name, json_t **out, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct counters_out out_c;
	struct fw_program *p;
	json_t *counters;

	fw_daemon_lock(d);
	p = find_program(d, name, err);
	if (p)
		*out = run_stats(p);
	fw_daemon_unlock(d);
	if (!p)
		return err->code;
	/* The counters come from the pins: read without the registry lock. */
	counters = json_object();
	out_c = (struct counters_out){ counters, json_object() };
	fw_pins_for_each_map(d->reg.root, name, add_counters, &out_c);
	json_object_set_new(*out, "counters", counters);
	json_object_set_new(*out, "counter_names", out_c.names);
	json_object_set_new(*out, "stats_enabled", json_boolean(run_stats_on(d)));
	return 0;
}

/* ---- load, update, unload ------------------------------------------------- */

static int backend_load(void *ctx, struct fw_prog_spec *spec, json_t **out, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct fw_reconcile_report rep;
	int ret;

	fw_daemon_lock(d);
	if (fw_registry_find(&d->reg, spec->name)) {
		ret = fw_error_set(err, EEXIST,
				   "a program named \"%s\" is already loaded (DELETE it first, or PUT to change its args)",
				   spec->name);
		goto out;
	}
	if (!spec->default_map_size)
		spec->default_map_size = default_map_size_locked(d);
	ret = fw_reconcile(&d->reg, spec, 1, FW_ORIGIN_API, false, &rep, err);
	if (!ret) {
		fw_event_log_sync(d->events, &d->reg);
		*out = program_detail(d, fw_registry_find(&d->reg, spec->name));
	}
out:
	fw_daemon_unlock(d);
	return ret;
}

static int backend_update_args(void *ctx, const char *name, const struct fw_arg *args,
			       size_t n_args, json_t **out, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct fw_program *p;
	int ret;

	fw_daemon_lock(d);
	p = find_program(d, name, err);
	ret = p ? fw_args_update_running(p->prog_fd, args, n_args, err) : err->code;
	if (!ret) {
		*out = program_detail(d, p);
		fw_info("updated %zu arg%s of %s", n_args, n_args == 1 ? "" : "s", name);
	}
	fw_daemon_unlock(d);
	return ret;
}

static int backend_unload(void *ctx, const char *name, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct fw_program *p;
	int ret;

	fw_daemon_lock(d);
	p = find_program(d, name, err);
	ret = p ? fw_program_destroy(&d->reg, p, err) : err->code;
	if (!ret)
		fw_event_log_sync(d->events, &d->reg);
	fw_daemon_unlock(d);
	return ret;
}

/* ---- maps ------------------------------------------------------------------ */

struct map_ref {
	char program[FW_NAME_MAX];
	char map[FW_NAME_MAX];
	int fd;
};

static int open_map(struct fw_daemon *d, const char *program, const char *map, struct map_ref *ref)
{
	char path[FW_PATH_MAX];

	fw_pins_map_path(d->reg.root, program, map, path);
	ref->fd = bpf_obj_get(path);
	snprintf(ref->program, sizeof(ref->program), "%s", program);
	snprintf(ref->map, sizeof(ref->map), "%s", map);
	return ref->fd;
}

/* "map" names the object's map when one program has it; "program.map" names
 * it exactly. An ambiguous bare name lists the qualified names. */
static int resolve_map(struct fw_daemon *d, const char *name, struct map_ref *ref,
		       struct fw_error *err)
{
	const char *dot = strchr(name, '.');
	char found[1024] = "";
	int hits = 0;

	if (dot) {
		char program[FW_NAME_MAX];

		snprintf(program, sizeof(program), "%.*s", (int)(dot - name), name);
		if (fw_registry_find(&d->reg, program) && open_map(d, program, dot + 1, ref) >= 0)
			return 0;
		return fw_error_set(err, ENOENT, "no map named \"%s\"", name);
	}
	for (size_t i = 0; i < d->reg.n_progs; i++) {
		struct map_ref r;

		if (open_map(d, d->reg.progs[i]->rec.name, name, &r) < 0)
			continue;
		snprintf(found + strlen(found), sizeof(found) - strlen(found), "%s%s.%s",
			 hits ? ", " : "", r.program, name);
		if (hits++)
			close(r.fd);
		else
			*ref = r;
	}
	if (hits == 1)
		return 0;
	if (hits > 1) {
		close(ref->fd);
		return fw_error_set(err, ENOTUNIQ, "map name \"%s\" is ambiguous: use one of %s",
				    name, found);
	}
	return fw_error_set(err, ENOENT, "no map named \"%s\"", name);
}

/* The names of the loaded programs, taken under the registry lock so that
 * the pins can be read without it (a program unloaded meanwhile just has
 * no pins left). The caller frees the array. */
static char (*program_names(struct fw_daemon *d, size_t *n))[FW_NAME_MAX]
{
	char (*names)[FW_NAME_MAX];

	fw_daemon_lock(d);
	*n = d->reg.n_progs;
	names = calloc(*n ? *n : 1, sizeof(*names));
	for (size_t i = 0; names && i < *n; i++)
		memcpy(names[i], d->reg.progs[i]->rec.name, FW_NAME_MAX);
	fw_daemon_unlock(d);
	if (!names)
		*n = 0;
	return names;
}

static json_t *backend_maps(void *ctx)
{
	struct fw_daemon *d = ctx;
	json_t *list = json_array();
	size_t n;
	char (*names)[FW_NAME_MAX] = program_names(d, &n);

	for (size_t i = 0; i < n; i++) {
		struct maps_ctx ctx = { names[i], list };

		fw_pins_for_each_map(d->reg.root, ctx.program, add_map_summary, &ctx);
	}
	free(names);
	return list;
}

static bool has_entries(enum bpf_map_type t)
{
	return t != BPF_MAP_TYPE_RINGBUF && t != BPF_MAP_TYPE_PERF_EVENT_ARRAY;
}

/* Resolves NAME under the registry lock; the work on the map is done
 * without it (the fd keeps the map alive even if its program goes). */
static int map_open(struct fw_daemon *d, const char *name, struct map_ref *ref,
		    struct fw_map_codec *c, struct fw_error *err)
{
	int ret;

	fw_daemon_lock(d);
	ret = resolve_map(d, name, ref, err);
	fw_daemon_unlock(d);
	if (ret)
		return ret;
	ret = fw_map_codec_open(ref->fd, c, err);
	if (!ret && !has_entries(c->info.type))
		ret = fw_error_set(err, EINVAL,
				   "map %s is a %s: it carries events, not entries (GET /api/ebpf/events)",
				   name, fw_map_kernel_type_name(c->info.type));
	if (ret) {
		fw_map_codec_close(c);
		close(ref->fd);
	}
	return ret;
}

static void map_close(struct map_ref *ref, struct fw_map_codec *c)
{
	fw_map_codec_close(c);
	close(ref->fd);
}

struct page_ctx {
	const struct fw_map_codec *c;
	json_t *entries;
	size_t skip;                    /* entries still to pass over (offset) */
};

static bool page_batch(const void *keys, const void *values, size_t n, void *data)
{
	struct page_ctx *p = data;
	size_t i = 0;

	if (p->skip) {
		i = p->skip < n ? p->skip : n;
		p->skip -= i;
	}
	/* All of the batch, even past the limit: the cursor is already beyond
	 * it (a hash bucket comes whole, so a page may hold a few more). */
	for (; i < n; i++)
		json_array_append_new(p->entries,
				      fw_map_codec_entry(p->c, (const char *)keys + i * p->c->info.key_size,
							 (const char *)values + i * p->c->value_bytes));
	return false;   /* one batch per call: the caller sizes the next */
}

/* Reads until the page is full or the map ends. An offset costs what it
 * skips (batched reads); the cursor resumes where the last page ended. */
static int read_page(int fd, const struct fw_map_codec *c, char *cursor, size_t offset,
		     size_t limit, json_t *entries)
{
	struct page_ctx p = { c, entries, offset };
	int ret = 0;

	do {
		size_t left = p.skip ? p.skip + (limit - json_array_size(entries))
				     : limit - json_array_size(entries);

		ret = fw_map_read_from(fd, c->info.key_size, c->value_bytes,
				       left < FW_MAP_BATCH ? left : FW_MAP_BATCH, cursor, page_batch, &p);
	} while (!ret && cursor[0] && json_array_size(entries) < limit);
	return ret;
}

static int backend_map_data(void *ctx, const char *name, const char *cursor_in, size_t offset,
			    size_t limit, json_t **out, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	char cursor[FW_MAP_CURSOR_MAX] = "";
	struct fw_map_codec c;
	struct map_ref ref;
	json_t *entries;
	int ret;

	if (cursor_in && strlen(cursor_in) >= sizeof(cursor))
		return fw_error_set(err, EINVAL, "invalid cursor (use the next_cursor of the previous page)");
	if (cursor_in)
		snprintf(cursor, sizeof(cursor), "%s", cursor_in);
	ret = map_open(d, name, &ref, &c, err);
	if (ret)
		return ret;
	entries = json_array();
	ret = read_page(ref.fd, &c, cursor, cursor_in && cursor_in[0] ? 0 : offset, limit, entries);
	if (ret) {
		json_decref(entries);
		ret = fw_error_set(err, ret == -EINVAL ? EINVAL : -ret, ret == -EINVAL
				   ? "invalid cursor '%.64s' (use the next_cursor of the previous page)"
				   : "reading map %s: %s", ret == -EINVAL ? cursor_in : name,
				   strerror(-ret));
		map_close(&ref, &c);
		return ret;
	}
	*out = json_object();
	json_object_set_new(*out, "map", json_sprintf("%s.%s", ref.program, ref.map));
	json_object_set_new(*out, "entries", entries);
	json_object_set_new(*out, "count", json_integer((json_int_t)json_array_size(entries)));
	json_object_set_new(*out, "limit", json_integer((json_int_t)limit));
	json_object_set_new(*out, "next_cursor", cursor[0] ? json_string(cursor) : json_null());
	if (!cursor_in || !cursor_in[0]) {
		json_object_set_new(*out, "offset", json_integer((json_int_t)offset));
		json_object_set_new(*out, "next_offset", cursor[0]
				    ? json_integer((json_int_t)(offset + json_array_size(entries)))
				    : json_null());
	}
	map_close(&ref, &c);
	return 0;
}

/* ---- a map's full listing, streamed ---------------------------------------- */

struct map_stream {
	struct map_ref ref;
	struct fw_map_codec c;
	char cursor[FW_MAP_CURSOR_MAX];
	bool ndjson;
	int stage;                      /* 0 header, 1 entries, 2 trailer, 3 end */
	size_t total;
	int error;                      /* of the last batch */
	char *buf;                      /* text not handed out yet */
	size_t len, off;
};

static bool stream_batch(const void *keys, const void *values, size_t n, void *data)
{
	struct map_stream *st = data;
	struct fw_text text = { 0 };
	int ret = 0;

	for (size_t i = 0; i < n && !ret; i++) {
		if (st->total++ && !st->ndjson)
			ret = fw_text_append(&text, ",\n", 2);
		if (!ret)
			ret = fw_map_codec_entry_text(&st->c,
						      (const char *)keys + i * st->c.info.key_size,
						      (const char *)values + i * st->c.value_bytes,
						      &text);
		if (!ret && st->ndjson)
			ret = fw_text_append(&text, "\n", 1);
	}
	free(st->buf);
	st->buf = text.s;
	st->len = ret ? 0 : text.len;
	st->off = 0;
	st->error = ret;
	return false;
}

static ssize_t map_stream_read(void *self, char *buf, size_t max)
{
	struct map_stream *st = self;
	size_t n;
	int ret;

	while (st->off == st->len) {
		free(st->buf);
		st->buf = NULL;
		st->len = st->off = 0;
		switch (st->stage) {
		case 0:
			st->stage = 1;
			if (!st->ndjson && asprintf(&st->buf, "{\"map\": \"%s.%s\", \"entries\": [\n",
						    st->ref.program, st->ref.map) > 0)
				st->len = strlen(st->buf);
			break;
		case 1:
			ret = fw_map_read_from(st->ref.fd, st->c.info.key_size, st->c.value_bytes,
					       FW_MAP_BATCH / 4, st->cursor, stream_batch, st);
			if (ret || st->error)
				return ret ? ret : st->error;
			if (!st->cursor[0])
				st->stage = 2;
			break;
		case 2:
			st->stage = 3;
			if (!st->ndjson && asprintf(&st->buf, "\n], \"total\": %zu}\n", st->total) > 0)
				st->len = strlen(st->buf);
			break;
		default:
			return 0;
		}
	}
	n = st->len - st->off < max ? st->len - st->off : max;
	memcpy(buf, st->buf + st->off, n);
	st->off += n;
	return n;
}

static void map_stream_close(void *self)
{
	struct map_stream *st = self;

	map_close(&st->ref, &st->c);
	free(st->buf);
	free(st);
}

static int backend_map_stream(void *ctx, const char *name, bool ndjson, struct fw_api_stream *out,
			      struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct map_stream *st = calloc(1, sizeof(*st));
	int ret;

	if (!st)
		return fw_error_set(err, ENOMEM, "out of memory");
	ret = map_open(d, name, &st->ref, &st->c, err);
	if (ret) {
		free(st);
		return ret;
	}
	st->ndjson = ndjson;
	*out = (struct fw_api_stream){ map_stream_read, map_stream_close, st };
	return 0;
}

/* ---- map writes --------------------------------------------------------------- */

/* An extension may keep counts of the map: a write here must recount them. */
static void note_write(struct fw_daemon *d, const struct map_ref *ref)
{
	fw_program_exts_map_written(d, ref->program, ref->map);
}

/* Restores entries [0, n) of a failed write: old values back, new keys out. */
static void restore(int fd, const struct fw_map_codec *c, const char *keys, const char *old,
		    const bool *existed, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const char *k = keys + i * c->info.key_size;

		if (existed[i])
			bpf_map_update_elem(fd, k, old + i * c->value_bytes, BPF_ANY);
		else
			bpf_map_delete_elem(fd, k);
	}
}

/* All or nothing: every entry is encoded first and the old values read; a
 * failed write puts back the values the entries had before. */
static int update_entries(int fd, const struct fw_map_codec *c, json_t *entries,
			  struct fw_error *err)
{
	size_t n = json_array_size(entries), done = 0, i;
	size_t vsize = c->value_bytes;
	char *keys = calloc(n ? n : 1, c->info.key_size);
	char *values = calloc(n ? n : 1, vsize), *old = calloc(n ? n : 1, vsize);
	bool *existed = calloc(n ? n : 1, sizeof(bool));
	int ret = 0;

	if (!keys || !values || !old || !existed) {
		ret = fw_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n && !ret; i++) {
		char where[32];

		snprintf(where, sizeof(where), "entries[%zu]", i);
		ret = fw_map_codec_entry_from(c, json_array_get(entries, i),
					      keys + i * c->info.key_size, values + i * vsize, where,
					      err);
	}
	for (i = 0; i < n && !ret; i++)
		existed[i] = bpf_map_lookup_elem(fd, keys + i * c->info.key_size,
						 old + i * vsize) == 0;
	if (!ret) {
		ret = fw_map_update_many(fd, keys, values, c->info.key_size, vsize, n, BPF_ANY, &done);
		if (ret) {
			restore(fd, c, keys, old, existed, done);
			ret = fw_error_set(err, ret == -E2BIG ? E2BIG : -ret,
					   "entries[%zu]: the kernel refused it: %s", done,
					   strerror(-ret));
		}
	}
out:
	free(keys);
	free(values);
	free(old);
	free(existed);
	return ret;
}

static int backend_map_update(void *ctx, const char *name, json_t *entries, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct fw_map_codec c;
	struct map_ref ref;
	int ret;

	if (!json_is_array(entries))
		return fw_error_set(err, EINVAL, "entries: expected a list");
	ret = map_open(d, name, &ref, &c, err);
	if (ret)
		return ret;
	ret = update_entries(ref.fd, &c, entries, err);
	note_write(d, &ref);
	map_close(&ref, &c);
	return ret;
}

/* ---- map writes in parts -------------------------------------------------------- */

struct fw_map_batch {
	struct fw_daemon *d;
	struct map_ref ref;
	struct fw_map_codec c;
	size_t updated;
	/* the undo log: each key written, whether it existed, its old value */
	char *keys, *old;
	bool *existed;
	size_t n, cap;
	bool failed;
};

static int backend_map_begin(void *ctx, const char *name, struct fw_map_batch **out,
			     struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct fw_map_batch *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return fw_error_set(err, ENOMEM, "out of memory");
	b->d = d;
	ret = map_open(d, name, &b->ref, &b->c, err);
	if (ret) {
		free(b);
		return ret;
	}
	*out = b;
	return 0;
}

static int batch_log_room(struct fw_map_batch *b, size_t more)
{
	size_t cap = b->cap ? b->cap : 1024;
	char *k, *o;
	bool *e;

	if (b->n + more <= b->cap)
		return 0;
	while (cap < b->n + more)
		cap *= 2;
	k = realloc(b->keys, cap * b->c.info.key_size);
	if (k)
		b->keys = k;
	o = k ? realloc(b->old, cap * b->c.value_bytes) : NULL;
	if (o)
		b->old = o;
	e = o ? realloc(b->existed, cap * sizeof(bool)) : NULL;
	if (!e)
		return -ENOMEM;
	b->existed = e;
	b->cap = cap;
	return 0;
}

static void batch_undo(struct fw_map_batch *b)
{
	/* In reverse: a key written twice gets the value it had before both. */
	for (size_t i = b->n; i-- > 0;) {
		const char *k = b->keys + i * b->c.info.key_size;

		if (b->existed[i])
			bpf_map_update_elem(b->ref.fd, k, b->old + i * b->c.value_bytes, BPF_ANY);
		else
			bpf_map_delete_elem(b->ref.fd, k);
	}
	b->n = 0;
}

static int backend_map_put(void *ctx, struct fw_map_batch *b, json_t *const *entries,
			   const size_t *lines, size_t n, struct fw_error *err)
{
	size_t ks = b->c.info.key_size, vs = b->c.value_bytes, done = 0, first = b->n;
	char *values = malloc((n ? n : 1) * vs);
	char where[48];
	int ret = 0;

	if (b->failed)
		ret = fw_error_set(err, ECANCELED, "the batch has failed already");
	else if (!values || batch_log_room(b, n))
		ret = fw_error_set(err, ENOMEM, "out of memory");
	else if (fw_backend_stopping(b->d))
		ret = fw_error_set(err, ECANCELED, "the daemon is stopping: nothing was changed");
	for (size_t i = 0; i < n && !ret; i++) {
		snprintf(where, sizeof(where), "line %zu", lines[i]);
		ret = fw_map_codec_entry_from(&b->c, entries[i], b->keys + (first + i) * ks,
					      values + i * vs, where, err);
	}
	for (size_t i = 0; i < n && !ret; i++)
		b->existed[first + i] = bpf_map_lookup_elem(b->ref.fd, b->keys + (first + i) * ks,
							    b->old + (first + i) * vs) == 0;
	if (!ret) {
		ret = fw_map_update_many(b->ref.fd, b->keys + first * ks, values, ks, vs, n, BPF_ANY,
					 &done);
		b->n = first + done;
		if (ret)
			ret = fw_error_set(err, ret == -E2BIG ? E2BIG : -ret,
					   "line %zu: the kernel refused it: %s", lines[done],
					   strerror(-ret));
		else
			b->updated += n;
	}
	if (ret) {
		batch_undo(b);
		b->failed = true;
	}
	free(values);
	return ret;
}

static void map_batch_free(struct fw_map_batch *b)
{
	note_write(b->d, &b->ref);
	map_close(&b->ref, &b->c);
	free(b->keys);
	free(b->old);
	free(b->existed);
	free(b);
}

static json_t *backend_map_commit(void *ctx, struct fw_map_batch *b)
{
	json_t *out = json_pack("{s:o, s:I}", "map",
				json_sprintf("%s.%s", b->ref.program, b->ref.map), "updated",
				(json_int_t)b->updated);

	map_batch_free(b);
	return out;
}

static void backend_map_abort(void *ctx, struct fw_map_batch *b)
{
	if (!b)
		return;
	if (b->n)
		fw_info("map %s.%s: a batch that did not finish was undone", b->ref.program,
			b->ref.map);
	batch_undo(b);
	map_batch_free(b);
}

static int delete_keys(int fd, const struct fw_map_codec *c, json_t *keys, struct fw_error *err)
{
	size_t n = json_array_size(keys), deleted;
	char *buf = calloc(n ? n : 1, c->info.key_size), *value = calloc(1, c->value_bytes + 8);
	int ret = 0;

	if (!buf || !value)
		ret = fw_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n && !ret; i++) {
		char what[32];

		snprintf(what, sizeof(what), "keys[%zu]", i);
		ret = fw_map_codec_key(c, json_array_get(keys, i), buf + i * c->info.key_size, what,
				       err);
		if (!ret && bpf_map_lookup_elem(fd, buf + i * c->info.key_size, value))
			ret = fw_error_set(err, ENOENT, "keys[%zu]: no such entry", i);
	}
	if (!ret) {
		ret = fw_map_delete_many(fd, buf, c->info.key_size, n, &deleted);
		if (ret)
			ret = fw_error_set(err, -ret, "keys[%zu]: %s", deleted, strerror(-ret));
	}
	free(buf);
	free(value);
	return ret;
}

static int backend_map_delete(void *ctx, const char *name, json_t *keys, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct fw_map_codec c;
	struct map_ref ref;
	int ret;

	if (!json_is_array(keys))
		return fw_error_set(err, EINVAL, "keys: expected a list");
	ret = map_open(d, name, &ref, &c, err);
	if (ret)
		return ret;
	ret = delete_keys(ref.fd, &c, keys, err);
	note_write(d, &ref);
	map_close(&ref, &c);
	return ret;
}

/* ---- entry counts without walking per request --------------------------------
 * Arrays hold max_entries; the blocklist's maps have counts the daemon keeps;
 * other maps are counted by the housekeeping thread (batched reads), each at
 * most every FW_COUNT_REFRESH_S seconds, or on request when small. Stats show
 * where a count comes from and how old it is. */
#define FW_COUNT_REFRESH_S 10
#define FW_COUNT_INLINE_MAX 16384       /* maps this small are counted on request */


static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

#define N_COUNTS (sizeof(((struct fw_count_cache *)0)->entries) / \
		  sizeof(((struct fw_count_cache *)0)->entries[0]))

static bool count_cached(struct fw_count_cache *cache, __u32 id, long *n, uint64_t *at)
{
	bool found = false;

	pthread_mutex_lock(&cache->lock);
	for (size_t i = 0; i < N_COUNTS && !found; i++)
		if (cache->entries[i].id == id) {
			*n = cache->entries[i].n;
			*at = cache->entries[i].at_ns;
			found = true;
		}
	pthread_mutex_unlock(&cache->lock);
	return found;
}

static void count_store(struct fw_count_cache *cache, __u32 id, long n)
{
	size_t slot = 0;

	pthread_mutex_lock(&cache->lock);
	for (size_t i = 0; i < N_COUNTS; i++) {
		if (cache->entries[i].id == id) {
			slot = i;
			break;
		}
		if (cache->entries[i].at_ns < cache->entries[slot].at_ns)
			slot = i;       /* the oldest (or an empty one) makes room */
	}
	cache->entries[slot].id = id;
	cache->entries[slot].n = n;
	cache->entries[slot].at_ns = now_ns();
	pthread_mutex_unlock(&cache->lock);
}

static bool countable(const struct bpf_map_info *info)
{
	return has_entries(info->type) && info->type != BPF_MAP_TYPE_BLOOM_FILTER &&
	       info->type != BPF_MAP_TYPE_QUEUE && info->type != BPF_MAP_TYPE_STACK;
}

/* The count of ref's map as stats show it: *source is "capacity", "kept",
 * "counted" or NULL (not known yet); *age in seconds. */
static long map_entries(struct fw_daemon *d, const struct map_ref *ref,
			const struct bpf_map_info *info, const char **source, double *age)
{
	uint64_t at = 0;
	long n;

	*age = 0;
	*source = NULL;
	if (info->type == BPF_MAP_TYPE_ARRAY || info->type == BPF_MAP_TYPE_PERCPU_ARRAY) {
		*source = "capacity";
		return info->max_entries;
	}
	if (!countable(info))
		return -1;
	if (fw_program_exts_map_count(d, ref->program, ref->map, info->id, &n)) {
		*source = "kept";
		return n;
	}
	if (!count_cached(&d->counts, info->id, &n, &at) ||
	    (info->max_entries <= FW_COUNT_INLINE_MAX && now_ns() - at > 1000000000ull)) {
		if (info->max_entries > FW_COUNT_INLINE_MAX)
			return -1;      /* the housekeeping thread counts it soon */
		n = fw_map_count(ref->fd);
		count_store(&d->counts, info->id, n);
		at = now_ns();
	}
	*source = "counted";
	*age = (now_ns() - at) / 1e9;
	return n;
}

static int backend_map_stats(void *ctx, const char *name, json_t **out, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	struct map_ref ref;
	const char *source;
	double age;
	long n;
	int ret;

	fw_daemon_lock(d);
	ret = resolve_map(d, name, &ref, err);
	fw_daemon_unlock(d);
	if (ret)
		return ret;
	if (bpf_obj_get_info_by_fd(ref.fd, &info, &len)) {
		ret = fw_error_set(err, errno, "reading map %s: %s", name, strerror(errno));
		close(ref.fd);
		return ret;
	}
	n = map_entries(d, &ref, &info, &source, &age);
	*out = fw_maps_stats_json(ref.fd, n);
	if (*out) {
		json_object_set_new(*out, "name", json_string(ref.map));
		json_object_set_new(*out, "program", json_string(ref.program));
		json_object_set_new(*out, "entries_source", source ? json_string(source) : json_null());
		json_object_set_new(*out, "entries_age_seconds", source ? json_real(age) : json_null());
	} else {
		ret = fw_error_set(err, errno, "reading map %s: %s", name, strerror(errno));
	}
	close(ref.fd);
	return ret;
}

struct collect_ctx {
	struct map_ref **refs;
	size_t *n, *cap;
	const char *program;
};

static void collect_map(const char *map, int fd, void *data)
{
	struct collect_ctx *ctx = data;
	struct map_ref *r = *ctx->refs;

	if (*ctx->n == *ctx->cap) {
		*ctx->cap = *ctx->cap ? *ctx->cap * 2 : 16;
		r = realloc(r, *ctx->cap * sizeof(*r));
		if (!r)
			return;
		*ctx->refs = r;
	}
	snprintf(r[*ctx->n].program, sizeof(r->program), "%s", ctx->program);
	snprintf(r[*ctx->n].map, sizeof(r->map), "%s", map);
	(*ctx->n)++;
}

/* The housekeeping thread's share: counts the maps whose count is due,
 * one map at a time, without any lock held while counting. */
static void refresh_counts(struct fw_daemon *d)
{
	struct map_ref *refs = NULL;
	size_t n = 0, cap = 0;

	struct collect_ctx ctx = { &refs, &n, &cap, NULL };

	fw_daemon_lock(d);
	for (size_t i = 0; i < d->reg.n_progs; i++) {
		ctx.program = d->reg.progs[i]->rec.name;
		fw_pins_for_each_map(d->reg.root, ctx.program, collect_map, &ctx);
	}
	fw_daemon_unlock(d);
	for (size_t i = 0; i < n && !fw_backend_stopping(d); i++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);
		uint64_t at;
		long count;
		int fd = open_map(d, refs[i].program, refs[i].map, &refs[i]);

		if (fd < 0)
			continue;
		if (!bpf_obj_get_info_by_fd(fd, &info, &len) && countable(&info) &&
		    info.type != BPF_MAP_TYPE_ARRAY && info.type != BPF_MAP_TYPE_PERCPU_ARRAY &&
		    !fw_program_exts_map_count(d, refs[i].program, refs[i].map, info.id, &count) &&
		    (!count_cached(&d->counts, info.id, &count, &at) ||
		     now_ns() - at >= FW_COUNT_REFRESH_S * 1000000000ull))
			count_store(&d->counts, info.id, fw_map_count(fd));
		close(fd);
	}
	free(refs);
}

/* ---- daemon-wide ------------------------------------------------------------- */

static void count_map(const char *map, int fd, void *n)
{
	(*(size_t *)n)++;
}

static json_t *backend_stats(void *ctx)
{
	struct fw_daemon *d = ctx;
	json_t *progs = json_array(), *out;
	size_t n_maps = 0;

	fw_daemon_lock(d);
	for (size_t i = 0; i < d->reg.n_progs; i++) {
		json_t *s = run_stats(d->reg.progs[i]);

		fw_pins_for_each_map(d->reg.root, d->reg.progs[i]->rec.name, count_map, &n_maps);
		json_object_set_new(s, "hook", json_string(fw_hook_name(d->reg.progs[i]->rec.hook)));
		json_object_set_new(s, "attach",
				    json_string(fw_attach_kind_name(d->reg.progs[i]->rec.attach)));
		json_array_append_new(progs, s);
	}
	out = json_pack("{s:o, s:I, s:I, s:b, s:s, s:o}", "programs", progs, "program_count",
			(json_int_t)d->reg.n_progs, "map_count", (json_int_t)n_maps,
			"stats_enabled", run_stats_on(d), "pin_root", d->reg.root, "events",
			fw_event_log_stats(d->events));
	/* Under the lock: the probe borrows libbpf's print callback, which a
	 * concurrent load also uses. */
	json_object_set_new(out, "features", fw_features_to_json(fw_features_get()));
	fw_daemon_unlock(d);
	return out;
}

static json_t *backend_events_since(void *ctx, uint64_t since, size_t max, uint64_t *next)
{
	struct fw_daemon *d = ctx;

	return fw_event_log_since(d->events, since, max, next);
}

void fw_backend_init(struct fw_daemon *d)
{
	pthread_mutex_init(&d->hk.lock, NULL);
	pthread_cond_init(&d->hk.wake, NULL);
	pthread_mutex_init(&d->counts.lock, NULL);
	pthread_mutex_init(&d->blocklist.lock, NULL);
	pthread_mutex_init(&d->rules.lock, NULL);
	pthread_mutex_init(&d->rules.feeds_lock, NULL);
	d->backend = (struct fw_api_backend){
		.ctx = d,
		.program_dir = backend_program_dir,
		.default_map_size = backend_default_map_size,
		.programs = backend_programs,
		.program = backend_program,
		.program_stats = backend_program_stats,
		.load = backend_load,
		.update_args = backend_update_args,
		.unload = backend_unload,
		.maps = backend_maps,
		.map_data = backend_map_data,
		.map_stream = backend_map_stream,
		.map_update = backend_map_update,
		.map_begin = backend_map_begin,
		.map_put = backend_map_put,
		.map_commit = backend_map_commit,
		.map_abort = backend_map_abort,
		.map_delete = backend_map_delete,
		.map_stats = backend_map_stats,
		.stats = backend_stats,
		.blocklist_add = fw_blocklist_add,
		.blocklist_delete = fw_blocklist_delete,
		.blocklist_page = fw_blocklist_page,
		.blocklist_stream = fw_blocklist_stream,
		.blocklist_begin = fw_blocklist_begin,
		.blocklist_put = fw_blocklist_put,
		.blocklist_commit = fw_blocklist_commit,
		.blocklist_abort = fw_blocklist_abort,
		.blocklist_default = fw_blocklist_default_program,
		.events_since = backend_events_since,
		.rules_list = fw_rules_list,
		.rules_add = fw_rules_add,
		.rules_delete = fw_rules_delete,
		.rules_replace = fw_rules_replace,
		.feeds_list = fw_feeds_list,
		.feeds_reload = fw_feeds_reload,
		.top = fw_top,
	};
}
