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
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/backend_internal.h"
#include "daemon/daemon.h"
#include "daemon/event_log.h"
#include "daemon/reconcile.h"
#include "ebpf/args.h"
#include "ebpf/btf_json.h"
#include "ebpf/features.h"
#include "ebpf/maps.h"

void fw_backend_tick(void)
{
	fw_blocklist_expire();
}

/* Run statistics are the daemon's to turn on (--run-stats), never a read's. */
static bool run_stats_on(void)
{
	return fw_daemon_current->run_stats_fd >= 0;
}

/* ---- programs -------------------------------------------------------------- */

/* Both are read by API threads while a SIGHUP may be replacing the
 * configuration: a copy taken under the lock (one per thread). */
const char *fw_backend_program_dir(void)
{
	static __thread char dir[FW_PATH_MAX];

	LOCK();
	snprintf(dir, sizeof(dir), "%s", fw_daemon_current->cfg.ebpf.program_dir[0]
						 ? fw_daemon_current->cfg.ebpf.program_dir
						 : FW_DEFAULT_PROGRAM_DIR);
	UNLOCK();
	return dir;
}

static uint32_t default_map_size_locked(void)
{
	uint32_t size = fw_daemon_current->cfg.ebpf.map_size;

	return size ? size : FW_MAP_SIZE_DEFAULT;
}

uint32_t fw_backend_default_map_size(void)
{
	uint32_t size;

	LOCK();
	size = default_map_size_locked();
	UNLOCK();
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

static json_t *program_summary(const struct fw_program *p)
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
	if (r->hook == FW_HOOK_TC)
		json_object_set_new(out, "direction", json_string(fw_tc_direction_name(r->tc_direction)));
	json_object_set_new(out, "fallback", r->attach_note[0] ? json_string(r->attach_note)
							       : json_null());
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

static json_t *program_maps(const char *name)
{
	struct maps_ctx ctx = { name, json_array() };

	fw_pins_for_each_map(REG->root, name, add_map_summary, &ctx);
	return ctx.list;
}

static json_t *program_detail(const struct fw_program *p)
{
	const struct fw_pin_record *r = &p->rec;
	json_t *out = program_summary(p);
	struct bpf_prog_info info;
	char tag[17], when[32];

	prog_info(p->prog_fd, &info);
	tag_hex(info.tag, tag);
	iso_time(r->load_time_ns, when);
	json_object_update_new(out, json_pack("{s:s, s:s, s:b, s:s, s:s, s:o, s:o}",
					      "object", r->object, "tag", tag, "jited",
					      info.jited_prog_len > 0, "type",
					      libbpf_bpf_prog_type_str(info.type) ?: "unknown",
					      "load_time", when, "maps", program_maps(r->name),
					      "args", fw_args_read_running(p->prog_fd)));
	if (p->link_fd >= 0) {
		struct bpf_link_info li = {};
		__u32 len = sizeof(li);

		if (!bpf_obj_get_info_by_fd(p->link_fd, &li, &len))
			json_object_set_new(out, "link_id", json_integer(li.id));
	}
	return out;
}

json_t *fw_backend_programs(void)
{
	json_t *list = json_array();

	LOCK();
	for (size_t i = 0; i < REG->n_progs; i++)
		json_array_append_new(list, program_summary(REG->progs[i]));
	UNLOCK();
	return list;
}

static struct fw_program *find_program(const char *name, struct fw_error *err)
{
	struct fw_program *p = fw_registry_find(REG, name);

	if (!p)
		fw_error_set(err, ENOENT, "no program named \"%s\"", name);
	return p;
}

int fw_backend_program(const char *name, json_t **out, struct fw_error *err)
{
	struct fw_program *p;

	LOCK();
	p = find_program(name, err);
	if (p)
		*out = program_detail(p);
	UNLOCK();
	return p ? 0 : err->code;
}

/* ---- counters -------------------------------------------------------------- */

static void add_counters(const char *map, int fd, void *data)
{
	json_t *counters = fw_maps_counters_json(fd);

	if (counters)
		json_object_set_new(data, map, counters);
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

int fw_backend_program_stats(const char *name, json_t **out, struct fw_error *err)
{
	struct fw_program *p;

	LOCK();
	p = find_program(name, err);
	if (p) {
		json_t *counters = json_object();

		*out = run_stats(p);
		fw_pins_for_each_map(REG->root, name, add_counters, counters);
		json_object_set_new(*out, "counters", counters);
		json_object_set_new(*out, "stats_enabled", json_boolean(run_stats_on()));
	}
	UNLOCK();
	return p ? 0 : err->code;
}

/* ---- load, update, unload ------------------------------------------------- */

int fw_backend_load(struct fw_prog_spec *spec, json_t **out, struct fw_error *err)
{
	struct fw_reconcile_report rep;
	int ret;

	LOCK();
	if (fw_registry_find(REG, spec->name)) {
		ret = fw_error_set(err, EEXIST,
				   "a program named \"%s\" is already loaded (DELETE it first, or PUT to change its args)",
				   spec->name);
		goto out;
	}
	if (!spec->default_map_size)
		spec->default_map_size = default_map_size_locked();
	ret = fw_reconcile(REG, spec, 1, FW_ORIGIN_API, false, &rep, err);
	if (!ret) {
		fw_event_log_sync(REG);
		*out = program_detail(fw_registry_find(REG, spec->name));
	}
out:
	UNLOCK();
	return ret;
}

int fw_backend_update_args(const char *name, const struct fw_arg *args, size_t n_args,
			   json_t **out, struct fw_error *err)
{
	struct fw_program *p;
	int ret;

	LOCK();
	p = find_program(name, err);
	ret = p ? fw_args_update_running(p->prog_fd, args, n_args, err) : err->code;
	if (!ret) {
		*out = program_detail(p);
		fw_info("updated %zu arg%s of %s", n_args, n_args == 1 ? "" : "s", name);
	}
	UNLOCK();
	return ret;
}

int fw_backend_unload(const char *name, struct fw_error *err)
{
	struct fw_program *p;
	int ret;

	LOCK();
	p = find_program(name, err);
	ret = p ? fw_program_destroy(REG, p, err) : err->code;
	if (!ret)
		fw_event_log_sync(REG);
	UNLOCK();
	return ret;
}

/* ---- maps ------------------------------------------------------------------ */

struct map_ref {
	char program[FW_NAME_MAX];
	char map[FW_NAME_MAX];
	int fd;
};

static int open_map(const char *program, const char *map, struct map_ref *ref)
{
	char path[FW_PATH_MAX];

	fw_pins_map_path(REG->root, program, map, path);
	ref->fd = bpf_obj_get(path);
	snprintf(ref->program, sizeof(ref->program), "%s", program);
	snprintf(ref->map, sizeof(ref->map), "%s", map);
	return ref->fd;
}

/* "map" names the object's map when one program has it; "program.map" names
 * it exactly. An ambiguous bare name lists the qualified names. */
static int resolve_map(const char *name, struct map_ref *ref, struct fw_error *err)
{
	const char *dot = strchr(name, '.');
	char found[1024] = "";
	int hits = 0;

	if (dot) {
		char program[FW_NAME_MAX];

		snprintf(program, sizeof(program), "%.*s", (int)(dot - name), name);
		if (fw_registry_find(REG, program) && open_map(program, dot + 1, ref) >= 0)
			return 0;
		return fw_error_set(err, ENOENT, "no map named \"%s\"", name);
	}
	for (size_t i = 0; i < REG->n_progs; i++) {
		struct map_ref r;

		if (open_map(REG->progs[i]->rec.name, name, &r) < 0)
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

json_t *fw_backend_maps(void)
{
	json_t *list = json_array();

	LOCK();
	for (size_t i = 0; i < REG->n_progs; i++) {
		struct maps_ctx ctx = { REG->progs[i]->rec.name, list };

		fw_pins_for_each_map(REG->root, ctx.program, add_map_summary, &ctx);
	}
	UNLOCK();
	return list;
}

static bool is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

/* How a map's keys and values look in JSON. */
struct map_codec {
	struct bpf_map_info info;
	struct btf *btf;
	int ncpu;               /* 1 unless per-CPU */
	size_t stride;          /* bytes per CPU in a lookup buffer */
};

static int codec_open(int fd, struct map_codec *c, struct fw_error *err)
{
	__u32 len = sizeof(c->info);

	memset(c, 0, sizeof(*c));
	if (bpf_obj_get_info_by_fd(fd, &c->info, &len))
		return fw_error_set(err, errno, "reading the map: %s", strerror(errno));
	c->btf = c->info.btf_id ? btf__load_from_kernel_by_id(c->info.btf_id) : NULL;
	c->ncpu = is_percpu(c->info.type) ? libbpf_num_possible_cpus() : 1;
	/* A per-CPU slot is 8-byte aligned even with one CPU (maps.h). */
	c->stride = is_percpu(c->info.type) ? (c->info.value_size + 7) / 8 * 8 : c->info.value_size;
	return 0;
}

static void codec_close(struct map_codec *c)
{
	btf__free(c->btf);
}

static json_t *value_json(const struct map_codec *c, const char *value)
{
	json_t *out = json_object(), *sum = NULL, *cpus;

	if (c->ncpu == 1) {
		json_object_set_new(out, "value", fw_btf_to_json(c->btf, c->info.btf_value_type_id,
								 value, c->info.value_size));
		return out;
	}
	cpus = json_array();
	for (int cpu = 0; cpu < c->ncpu; cpu++) {
		json_t *v = fw_btf_to_json(c->btf, c->info.btf_value_type_id,
					   value + cpu * c->stride, c->info.value_size);
		json_t *next = sum ? fw_json_sum(sum, v) : json_incref(v);

		json_decref(sum);
		sum = next;
		json_array_append_new(cpus, v);
	}
	json_object_set_new(out, "value", sum);
	json_object_set_new(out, "values", cpus);
	return out;
}

static bool has_entries(enum bpf_map_type t)
{
	return t != BPF_MAP_TYPE_RINGBUF && t != BPF_MAP_TYPE_PERF_EVENT_ARRAY;
}

static int dump_map(int fd, size_t offset, size_t limit, json_t **out, struct fw_error *err)
{
	struct map_codec c;
	char *key, *next, *value;
	json_t *entries = json_array();
	size_t index = 0;
	void *prev = NULL;
	int ret = codec_open(fd, &c, err);

	if (ret) {
		json_decref(entries);
		return ret;
	}
	key = calloc(1, c.info.key_size + 1);
	next = calloc(1, c.info.key_size + 1);
	value = calloc(c.ncpu, c.stride + 8);
	while (key && next && value && bpf_map_get_next_key(fd, prev, next) == 0) {
		memcpy(key, next, c.info.key_size);
		prev = key;
		if (index++ < offset || json_array_size(entries) >= limit)
			continue;
		if (bpf_map_lookup_elem(fd, key, value))
			continue;
		json_t *e = json_pack("{s:o}", "key", fw_btf_to_json(c.btf, c.info.btf_key_type_id,
									key, c.info.key_size));

		json_object_update_new(e, value_json(&c, value));
		json_array_append_new(entries, e);
	}
	*out = json_pack("{s:o, s:I, s:I, s:I}", "entries", entries, "total", (json_int_t)index,
			 "offset", (json_int_t)offset, "limit", (json_int_t)limit);
	json_object_set_new(*out, "next_offset", offset + limit < index
				   ? json_integer((json_int_t)(offset + limit)) : json_null());
	free(key);
	free(next);
	free(value);
	codec_close(&c);
	return 0;
}

int fw_backend_map_data(const char *name, size_t offset, size_t limit, json_t **out,
			struct fw_error *err)
{
	struct map_ref ref;
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	int ret;

	LOCK();
	ret = resolve_map(name, &ref, err);
	if (!ret) {
		bpf_obj_get_info_by_fd(ref.fd, &info, &len);
		if (!has_entries(info.type))
			ret = fw_error_set(err, EINVAL,
					   "map %s is a %s: it carries events, not entries (GET /api/ebpf/events)",
					   name, fw_map_kernel_type_name(info.type));
		else
			ret = dump_map(ref.fd, offset, limit, out, err);
		if (!ret)
			json_object_set_new(*out, "map", json_sprintf("%s.%s", ref.program, ref.map));
		close(ref.fd);
	}
	UNLOCK();
	return ret;
}

/* Encodes {"key", "value"|"values"} into buffers sized by the codec. */
static int encode_entry(const struct map_codec *c, json_t *entry, char *key, char *value,
			size_t i, struct fw_error *err)
{
	json_t *k = json_object_get(entry, "key"), *v = json_object_get(entry, "value");
	json_t *vs = json_object_get(entry, "values");
	char what[48];
	int ret;

	snprintf(what, sizeof(what), "entries[%zu].key", i);
	if (!json_is_object(entry) || !k)
		return fw_error_set(err, EINVAL, "entries[%zu]: expected {\"key\": ..., \"value\": ...}", i);
	ret = fw_btf_from_json(c->btf, c->info.btf_key_type_id, k, key, c->info.key_size, what, err);
	if (ret)
		return ret;
	if (!v && !vs)
		return fw_error_set(err, EINVAL, "entries[%zu]: missing \"value\"", i);
	if (vs && (!json_is_array(vs) || json_array_size(vs) != (size_t)c->ncpu))
		return fw_error_set(err, EINVAL, "entries[%zu].values: expected a list of %d per-CPU values",
				    i, c->ncpu);
	for (int cpu = 0; cpu < c->ncpu; cpu++) {
		snprintf(what, sizeof(what), "entries[%zu].value", i);
		/* One "value" for a per-CPU map sets every CPU's copy. */
		ret = fw_btf_from_json(c->btf, c->info.btf_value_type_id,
				       vs ? json_array_get(vs, cpu) : v, value + cpu * c->stride,
				       c->info.value_size, what, err);
		if (ret)
			return ret;
	}
	return 0;
}

/* All or nothing: every entry is encoded first; a failed write restores the
 * entries written before it. */
static int update_entries(int fd, json_t *entries, struct fw_error *err)
{
	size_t n = json_array_size(entries);
	struct map_codec c;
	char *keys, *values, *old;
	bool *existed;
	size_t i, vsize;
	int ret = codec_open(fd, &c, err);

	if (ret)
		return ret;
	vsize = c.stride * c.ncpu;
	keys = calloc(n ? n : 1, c.info.key_size);
	values = calloc(n ? n : 1, vsize);
	old = calloc(n ? n : 1, vsize);
	existed = calloc(n ? n : 1, sizeof(bool));
	if (!keys || !values || !old || !existed) {
		ret = fw_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n && !ret; i++)
		ret = encode_entry(&c, json_array_get(entries, i), keys + i * c.info.key_size,
				   values + i * vsize, i, err);
	for (i = 0; i < n && !ret; i++) {
		char *k = keys + i * c.info.key_size;

		existed[i] = bpf_map_lookup_elem(fd, k, old + i * vsize) == 0;
		if (bpf_map_update_elem(fd, k, values + i * vsize, BPF_ANY)) {
			ret = fw_error_set(err, errno == E2BIG ? E2BIG : errno,
					   "entries[%zu]: the kernel refused it: %s", i, strerror(errno));
			while (i-- > 0) {
				k = keys + i * c.info.key_size;
				if (existed[i])
					bpf_map_update_elem(fd, k, old + i * vsize, BPF_ANY);
				else
					bpf_map_delete_elem(fd, k);
			}
			break;
		}
	}
out:
	free(keys);
	free(values);
	free(old);
	free(existed);
	codec_close(&c);
	return ret;
}

int fw_backend_map_update(const char *name, json_t *entries, struct fw_error *err)
{
	struct map_ref ref;
	int ret;

	if (!json_is_array(entries))
		return fw_error_set(err, EINVAL, "entries: expected a list");
	LOCK();
	ret = resolve_map(name, &ref, err);
	if (!ret) {
		ret = update_entries(ref.fd, entries, err);
		close(ref.fd);
	}
	UNLOCK();
	return ret;
}

static int delete_keys(int fd, json_t *keys, struct fw_error *err)
{
	size_t n = json_array_size(keys);
	struct map_codec c;
	char *buf, *value;
	int ret = codec_open(fd, &c, err);

	if (ret)
		return ret;
	buf = calloc(n ? n : 1, c.info.key_size);
	value = calloc(c.ncpu, c.stride + 8);
	if (!buf || !value)
		ret = fw_error_set(err, ENOMEM, "out of memory");
	for (size_t i = 0; i < n && !ret; i++) {
		char what[32];

		snprintf(what, sizeof(what), "keys[%zu]", i);
		ret = fw_btf_from_json(c.btf, c.info.btf_key_type_id, json_array_get(keys, i),
				       buf + i * c.info.key_size, c.info.key_size, what, err);
		if (!ret && bpf_map_lookup_elem(fd, buf + i * c.info.key_size, value))
			ret = fw_error_set(err, ENOENT, "keys[%zu]: no such entry", i);
	}
	for (size_t i = 0; i < n && !ret; i++)
		if (bpf_map_delete_elem(fd, buf + i * c.info.key_size) && errno != ENOENT)
			ret = fw_error_set(err, errno, "keys[%zu]: %s", i, strerror(errno));
	free(buf);
	free(value);
	codec_close(&c);
	return ret;
}

int fw_backend_map_delete(const char *name, json_t *keys, struct fw_error *err)
{
	struct map_ref ref;
	int ret;

	if (!json_is_array(keys))
		return fw_error_set(err, EINVAL, "keys: expected a list");
	LOCK();
	ret = resolve_map(name, &ref, err);
	if (!ret) {
		ret = delete_keys(ref.fd, keys, err);
		close(ref.fd);
	}
	UNLOCK();
	return ret;
}

int fw_backend_map_stats(const char *name, json_t **out, struct fw_error *err)
{
	struct map_ref ref;
	int ret;

	LOCK();
	ret = resolve_map(name, &ref, err);
	if (!ret) {
		*out = fw_maps_stats_json(ref.fd);
		if (*out) {
			json_object_set_new(*out, "name", json_string(ref.map));
			json_object_set_new(*out, "program", json_string(ref.program));
		} else {
			ret = fw_error_set(err, errno, "reading map %s: %s", name, strerror(errno));
		}
		close(ref.fd);
	}
	UNLOCK();
	return ret;
}

/* ---- daemon-wide ------------------------------------------------------------- */

static void count_map(const char *map, int fd, void *n)
{
	(*(size_t *)n)++;
}

json_t *fw_backend_stats(void)
{
	json_t *progs = json_array(), *out;
	size_t n_maps = 0;

	LOCK();
	for (size_t i = 0; i < REG->n_progs; i++) {
		json_t *s = run_stats(REG->progs[i]);

		fw_pins_for_each_map(REG->root, REG->progs[i]->rec.name, count_map, &n_maps);
		json_object_set_new(s, "hook", json_string(fw_hook_name(REG->progs[i]->rec.hook)));
		json_object_set_new(s, "attach",
				    json_string(fw_attach_kind_name(REG->progs[i]->rec.attach)));
		json_array_append_new(progs, s);
	}
	out = json_pack("{s:o, s:I, s:I, s:b, s:s, s:o}", "programs", progs, "program_count",
			(json_int_t)REG->n_progs, "map_count", (json_int_t)n_maps,
			"stats_enabled", run_stats_on(), "pin_root", REG->root, "events",
			fw_event_log_stats());
	/* Under the lock: the probe borrows libbpf's print callback, which a
	 * concurrent load also uses. */
	json_object_set_new(out, "features", fw_features_to_json(fw_features_get()));
	UNLOCK();
	return out;
}

json_t *fw_backend_events_since(uint64_t since, size_t max, uint64_t *next)
{
	return fw_event_log_since(since, max, next);
}
