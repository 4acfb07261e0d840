// SPDX-License-Identifier: MIT
#include "ebpf/maps.h"
#include "ebpf/pins.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The kernel's ENOTSUPP (524), which user space headers lack. */
#define ENOTSUPP_KERNEL 524

static enum bpf_map_type kernel_type(enum fw_map_type type)
{
	switch (type) {
	case FW_MAP_HASH: return BPF_MAP_TYPE_HASH;
	case FW_MAP_ARRAY: return BPF_MAP_TYPE_ARRAY;
	case FW_MAP_PERCPU_ARRAY:
	case FW_MAP_PERCPU_COUNTER: return BPF_MAP_TYPE_PERCPU_ARRAY;
	case FW_MAP_PERCPU_HASH: return BPF_MAP_TYPE_PERCPU_HASH;
	case FW_MAP_LRU_HASH: return BPF_MAP_TYPE_LRU_HASH;
	case FW_MAP_LRU_PERCPU_HASH: return BPF_MAP_TYPE_LRU_PERCPU_HASH;
	case FW_MAP_LPM_TRIE: return BPF_MAP_TYPE_LPM_TRIE;
	case FW_MAP_PERF_EVENT_ARRAY: return BPF_MAP_TYPE_PERF_EVENT_ARRAY;
	case FW_MAP_RINGBUF: return BPF_MAP_TYPE_RINGBUF;
	case FW_MAP_STACK_TRACE: return BPF_MAP_TYPE_STACK_TRACE;
	default: return BPF_MAP_TYPE_UNSPEC;
	}
}

const char *fw_map_kernel_type_name(enum bpf_map_type type)
{
	for (int t = FW_MAP_HASH; t < FW_MAP__COUNT; t++)
		if (t != FW_MAP_PERCPU_COUNTER && kernel_type(t) == type)
			return fw_map_type_name(t);
	return libbpf_bpf_map_type_str(type) ?: "unknown";
}

static void list_user_maps(struct bpf_object *obj, char *buf, size_t len)
{
	struct bpf_map *m;

	buf[0] = '\0';
	bpf_object__for_each_map(m, obj) {
		size_t used = strlen(buf);

		if (!bpf_map__is_internal(m))
			snprintf(buf + used, len - used, "%s%s", used ? ", " : "", bpf_map__name(m));
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

/* Flags a type requires or forbids: an LPM trie must not preallocate, an
 * LRU map must. Anything else keeps the object's flags. */
static __u32 flags_for_type(enum bpf_map_type type, __u32 flags)
{
	if (type == BPF_MAP_TYPE_LPM_TRIE)
		return flags | BPF_F_NO_PREALLOC;
	if (type == BPF_MAP_TYPE_LRU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	    type == BPF_MAP_TYPE_ARRAY || type == BPF_MAP_TYPE_PERCPU_ARRAY ||
	    type == BPF_MAP_TYPE_PERF_EVENT_ARRAY || type == BPF_MAP_TYPE_RINGBUF)
		return flags & ~BPF_F_NO_PREALLOC;
	return flags;
}

static bool is_power_of_two(__u32 v)
{
	return v && !(v & (v - 1));
}

static int apply_override(struct bpf_object *obj, struct bpf_map *map,
			  const struct fw_map_override *ov, __u32 default_size,
			  struct fw_error *err)
{
	enum bpf_map_type type = bpf_map__type(map);
	__u32 size = ov->size ? ov->size : default_size;

	if (ov->type != FW_MAP_DEFAULT) {
		type = kernel_type(ov->type);
		bpf_map__set_type(map, type);
		bpf_map__set_map_flags(map, flags_for_type(type, bpf_map__map_flags(map)));
	}
	if (!size)
		return 0;
	if (size > FW_MAP_SIZE_MAX)
		return fw_error_set(err, E2BIG, "map %s: size %u is over the limit of %u entries",
				    ov->name, size, FW_MAP_SIZE_MAX);
	/* A ring buffer's size is bytes, a power of two of whole pages. */
	if (type == BPF_MAP_TYPE_RINGBUF &&
	    (!is_power_of_two(size) || size % (__u32)getpagesize()))
		return fw_error_set(err, EINVAL,
				    "map %s: a ringbuf's size is in bytes and must be a power of two of at least %d (got %u)",
				    ov->name, getpagesize(), size);
	bpf_map__set_max_entries(map, size);
	return 0;
}

int fw_maps_apply_overrides(struct bpf_object *obj, const struct fw_prog_spec *spec,
			    struct fw_error *err)
{
	for (size_t i = 0; i < spec->n_maps; i++) {
		const struct fw_map_override *ov = &spec->maps[i];
		struct bpf_map *map = bpf_object__find_map_by_name(obj, ov->name);
		int ret;

		if (!map || bpf_map__is_internal(map)) {
			char names[1024];

			list_user_maps(obj, names, sizeof(names));
			return fw_error_set(err, ENOENT,
					    "map %s: the object has no map of that name (it has: %s)",
					    ov->name, names);
		}
		ret = apply_override(obj, map, ov, spec->default_map_size, err);
		if (ret)
			return ret;
	}
	return 0;
}

static bool same_family(enum bpf_map_type a, enum bpf_map_type b)
{
	/* Entries copy between these: the kernel value layout is the same. */
	static const enum bpf_map_type hashes[] = { BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH };
	static const enum bpf_map_type pcpu[] = { BPF_MAP_TYPE_PERCPU_HASH,
						  BPF_MAP_TYPE_LRU_PERCPU_HASH };
	bool a_h = a == hashes[0] || a == hashes[1], b_h = b == hashes[0] || b == hashes[1];
	bool a_p = a == pcpu[0] || a == pcpu[1], b_p = b == pcpu[0] || b == pcpu[1];

	return a == b || (a_h && b_h) || (a_p && b_p);
}

/* Maps whose contents are tied to the kernel objects that filled them, or
 * that only carry events in flight: never worth copying. */
static bool copyable(enum bpf_map_type type)
{
	return type != BPF_MAP_TYPE_PERF_EVENT_ARRAY && type != BPF_MAP_TYPE_RINGBUF &&
	       type != BPF_MAP_TYPE_STACK_TRACE && type != BPF_MAP_TYPE_PROG_ARRAY &&
	       type != BPF_MAP_TYPE_ARRAY_OF_MAPS && type != BPF_MAP_TYPE_HASH_OF_MAPS;
}

static int plan_one(struct bpf_map *map, const char *path, struct fw_map_plan *plan,
		    struct fw_error *err)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	enum bpf_map_type type = bpf_map__type(map);
	int fd = bpf_obj_get(path);

	if (fd < 0)
		return errno == ENOENT ? 0 : fw_error_set(err, errno, "opening pinned map %s: %s",
							  path, strerror(errno));
	if (bpf_obj_get_info_by_fd(fd, &info, &len)) {
		close(fd);
		return fw_error_set(err, errno, "reading pinned map %s: %s", path, strerror(errno));
	}
	if (info.type == type && info.key_size == bpf_map__key_size(map) &&
	    info.value_size == bpf_map__value_size(map) &&
	    info.max_entries == bpf_map__max_entries(map) &&
	    info.map_flags == bpf_map__map_flags(map)) {
		int ret = bpf_map__reuse_fd(map, fd);

		close(fd);
		if (ret)
			return fw_error_set(err, ret, "reusing pinned map %s: %s", path, strerror(-ret));
		plan->reused++;
		return 0;
	}
	if (!copyable(type) || !copyable(info.type)) {
		close(fd); /* nothing worth keeping: the new map replaces it */
		return 0;
	}
	if (!same_family(info.type, type) || info.key_size != bpf_map__key_size(map) ||
	    info.value_size != bpf_map__value_size(map)) {
		close(fd);
		return fw_error_set(err, EEXIST,
				    "map %s: the pinned map %s (%s, key %u B, value %u B) cannot be converted to %s with key %u B, value %u B; "
				    "remove it (`flywall ebpf clean`) to start empty",
				    bpf_map__name(map), path, fw_map_kernel_type_name(info.type),
				    info.key_size, info.value_size, fw_map_kernel_type_name(type),
				    bpf_map__key_size(map), bpf_map__value_size(map));
	}
	if (plan->n_migrations == (int)(sizeof(plan->migrations) / sizeof(plan->migrations[0]))) {
		close(fd);
		return fw_error_set(err, E2BIG, "too many maps to migrate in one object");
	}
	plan->migrations[plan->n_migrations++] = (struct fw_map_migration){ map, fd };
	return 0;
}

int fw_maps_plan_reuse(struct bpf_object *obj, const char *pin_dir,
		       struct fw_map_plan *plan, struct fw_error *err)
{
	char path[FW_PATH_MAX * 2];
	struct bpf_map *map;
	int ret;

	memset(plan, 0, sizeof(*plan));
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, bpf_map__name(map));
		ret = plan_one(map, path, plan, err);
		if (ret) {
			fw_map_plan_release(plan);
			return ret;
		}
	}
	return 0;
}

static bool is_per_cpu(enum bpf_map_type type)
{
	return type == BPF_MAP_TYPE_PERCPU_HASH || type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
	       type == BPF_MAP_TYPE_PERCPU_ARRAY || type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

size_t fw_map_value_buffer_size(enum bpf_map_type type, __u32 value_size)
{
	int ncpu;

	if (!is_per_cpu(type))
		return value_size;
	/* The kernel hands out one slot per possible CPU, each rounded up to
	 * 8 bytes (bpf_percpu_hash_copy), whatever value_size says. */
	ncpu = libbpf_num_possible_cpus();
	return ncpu > 0 ? (size_t)((value_size + 7) & ~7u) * ncpu : 0;
}

int fw_maps_copy_entries(int old_fd, int new_fd, const char *name, struct fw_error *err)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	unsigned long copied = 0, lost = 0;
	char *key = NULL, *next = NULL, *value = NULL;
	void *prev = NULL;
	size_t vsize;
	int ret = 0;

	if (bpf_obj_get_info_by_fd(new_fd, &info, &len))
		return fw_error_set(err, errno, "migrating map %s: %s", name, strerror(errno));
	vsize = fw_map_value_buffer_size(info.type, info.value_size);
	key = calloc(1, info.key_size ?: 1);
	next = calloc(1, info.key_size ?: 1);
	value = vsize ? calloc(1, vsize) : NULL;
	if (!key || !next || !value) {
		ret = fw_error_set(err, ENOMEM, "migrating map %s: out of memory", name);
		goto out;
	}
	while (bpf_map_get_next_key(old_fd, prev, next) == 0) {
		memcpy(key, next, info.key_size);
		prev = key;
		if (bpf_map_lookup_elem(old_fd, key, value)) {
			if (errno == ENOENT)
				continue; /* deleted meanwhile */
			ret = fw_error_set(err, errno, "migrating map %s: reading an entry: %s", name,
					   strerror(errno));
			goto out;
		}
		if (bpf_map_update_elem(new_fd, key, value, BPF_ANY))
			lost++;
		else
			copied++;
	}
	if (lost)
		fprintf(stderr, "flywall: map %s: migrated %lu entries, %lu did not fit\n",
			name, copied, lost);
out:
	free(key);
	free(next);
	free(value);
	return ret;
}

int fw_maps_migrate(struct fw_map_plan *plan, struct fw_error *err)
{
	for (int i = 0; i < plan->n_migrations; i++) {
		struct fw_map_migration *m = &plan->migrations[i];
		int ret = fw_maps_copy_entries(m->old_fd, bpf_map__fd(m->map),
					       bpf_map__name(m->map), err);

		if (ret)
			return ret;
	}
	return 0;
}

void fw_map_plan_release(struct fw_map_plan *plan)
{
	for (int i = 0; i < plan->n_migrations; i++)
		close(plan->migrations[i].old_fd);
	plan->n_migrations = 0;
}

int fw_maps_pin_all(struct bpf_object *obj, const char *pin_dir, struct fw_error *err)
{
	char path[FW_PATH_MAX * 2];
	struct bpf_map *map;
	int ret;

	if (mkdir(pin_dir, 0700) < 0 && errno != EEXIST)
		return fw_error_set(err, errno, "creating %s: %s", pin_dir, strerror(errno));
	bpf_object__for_each_map(map, obj) {
		if (bpf_map__is_internal(map))
			continue;
		snprintf(path, sizeof(path), "%s/%s", pin_dir, bpf_map__name(map));
		/* A reused map is already pinned there; a new one replaces the pin
		 * in one step (a crash must not leave the entries unreachable). */
		ret = fw_pins_replace(bpf_map__fd(map), path);
		if (ret)
			return fw_error_set(err, ret, "pinning map %s at %s: %s",
					    bpf_map__name(map), path, strerror(-ret));
	}
	return 0;
}

static bool has_keys_to_walk(enum bpf_map_type type)
{
	return type != BPF_MAP_TYPE_RINGBUF && type != BPF_MAP_TYPE_PERF_EVENT_ARRAY &&
	       type != BPF_MAP_TYPE_BLOOM_FILTER && type != BPF_MAP_TYPE_QUEUE &&
	       type != BPF_MAP_TYPE_STACK;
}

static long count_entries(int fd, __u32 key_size)
{
	char *key = calloc(2, key_size ? key_size : 1);
	void *prev = NULL;
	long n = 0;

	if (!key)
		return -1;
	while (bpf_map_get_next_key(fd, prev, key + key_size) == 0) {
		memcpy(key, key + key_size, key_size);
		prev = key;
		n++;
	}
	free(key);
	return n;
}

/* What the kernel charges for the map, from /proc/self/fdinfo. */
static long memlock_bytes(int fd)
{
	char path[64], line[256];
	long bytes = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/self/fdinfo/%d", fd);
	f = fopen(path, "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f))
		if (sscanf(line, "memlock: %ld", &bytes) == 1)
			break;
	fclose(f);
	return bytes;
}

json_t *fw_maps_stats_json(int fd, long n)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	long memory;
	json_t *out;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return NULL;
	out = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I}",
			"name", info.name, "type", fw_map_kernel_type_name(info.type),
			"id", (json_int_t)info.id, "key_size", (json_int_t)info.key_size,
			"value_size", (json_int_t)info.value_size,
			"max_entries", (json_int_t)info.max_entries,
			"flags", (json_int_t)info.map_flags);
	json_object_set_new(out, "entries", n >= 0 ? json_integer(n) : json_null());
	json_object_set_new(out, "utilization",
			    n >= 0 && info.max_entries ? json_real((double)n / info.max_entries)
						       : json_null());
	memory = memlock_bytes(fd);
	json_object_set_new(out, "memory", memory >= 0 ? json_integer(memory) : json_null());
	return out;
}

static bool is_counter_map(const struct bpf_map_info *info, bool named)
{
	return (info->type == BPF_MAP_TYPE_PERCPU_ARRAY || info->type == BPF_MAP_TYPE_ARRAY) &&
	       info->key_size == 4 && info->value_size == 8 &&
	       (named || strstr(info->name, "counter") || strstr(info->name, "stats") ||
		strstr(info->name, "count"));
}

struct counters_ctx {
	json_t *list;
	int ncpu;
};

static bool sum_counters(const void *keys, const void *values, size_t n, void *data)
{
	struct counters_ctx *ctx = data;
	const __u64 *v = values;

	for (size_t i = 0; i < n; i++) {
		__u64 sum = 0;

		for (int c = 0; c < ctx->ncpu; c++)
			sum += v[i * ctx->ncpu + c];
		json_array_append_new(ctx->list, json_integer((json_int_t)sum));
	}
	return true;
}

json_t *fw_maps_counters_json(int fd, bool named)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char cursor[FW_MAP_CURSOR_MAX] = "";
	struct counters_ctx ctx;

	if (bpf_obj_get_info_by_fd(fd, &info, &len) || !is_counter_map(&info, named))
		return NULL;
	/* Arrays read in index order, in one batch (a scrape reads them all). */
	ctx.ncpu = info.type == BPF_MAP_TYPE_PERCPU_ARRAY ? libbpf_num_possible_cpus() : 1;
	ctx.list = json_array();
	if (fw_map_read_from(fd, info.key_size, fw_map_value_bytes(&info), FW_MAP_BATCH, cursor,
			     sum_counters, &ctx)) {
		json_decref(ctx.list);
		return NULL;
	}
	return ctx.list;
}

/* ---- bulk access ------------------------------------------------------- */

/* What a kernel without batch support for this map type answers. */
static bool batch_refused(int error)
{
	return error == EOPNOTSUPP || error == ENOTSUPP_KERNEL || error == EINVAL;
}

int fw_map_update_many(int fd, const void *keys, const void *values, __u32 key_size,
		       size_t value_bytes, size_t n, __u64 flags, size_t *done)
{
	LIBBPF_OPTS(bpf_map_batch_opts, opts, .elem_flags = flags);
	const char *k = keys, *v = values;
	/* Batched writes take no flag but BPF_F_LOCK (the kernel's
	 * generic_map_update_batch): BPF_NOEXIST and BPF_EXIST go one by one. */
	bool batches = (flags & ~(__u64)BPF_F_LOCK) == 0;

	*done = 0;
	while (*done < n) {
		__u32 want = n - *done > FW_MAP_BATCH ? FW_MAP_BATCH : n - *done, count = want;

		if (batches) {
			if (bpf_map_update_batch(fd, k + *done * key_size, v + *done * value_bytes,
						 &count, &opts) == 0) {
				*done += count;
				continue;
			}
			/* A call refused before its first element leaves count as
			 * it was: nothing was written. */
			if (count == want)
				count = 0;
			if (count == 0 && *done == 0 && batch_refused(errno)) {
				batches = false;        /* this map type writes one by one */
				continue;
			}
			*done += count;
			return -errno;
		}
		if (bpf_map_update_elem(fd, k + *done * key_size, v + *done * value_bytes, flags))
			return -errno;
		(*done)++;
	}
	return 0;
}

int fw_map_delete_many(int fd, const void *keys, __u32 key_size, size_t n, size_t *deleted)
{
	const char *k = keys;
	bool batches = true;
	size_t i = 0;

	*deleted = 0;
	while (i < n) {
		__u32 want = n - i > FW_MAP_BATCH ? FW_MAP_BATCH : n - i, count = want;

		if (batches) {
			if (bpf_map_delete_batch(fd, k + i * key_size, &count, NULL) == 0) {
				i += count;
				*deleted += count;
				continue;
			}
			if (count == want)
				count = 0;      /* refused before the first element */
			if (count == 0 && i == 0 && batch_refused(errno)) {
				batches = false;
				continue;
			}
			i += count;
			*deleted += count;
			if (errno != ENOENT)
				return -errno;
			i++;                    /* that one was gone already */
			continue;
		}
		if (bpf_map_delete_elem(fd, k + i * key_size) == 0)
			(*deleted)++;
		else if (errno != ENOENT)
			return -errno;
		i++;
	}
	return 0;
}

size_t fw_map_value_bytes(const struct bpf_map_info *info)
{
	bool percpu = info->type == BPF_MAP_TYPE_PERCPU_ARRAY ||
		      info->type == BPF_MAP_TYPE_PERCPU_HASH ||
		      info->type == BPF_MAP_TYPE_LRU_PERCPU_HASH ||
		      info->type == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;

	if (!percpu)
		return info->value_size;
	return (size_t)(info->value_size + 7) / 8 * 8 * libbpf_num_possible_cpus();
}

/* The hash maps' batch position is a bucket number; the others' is a key. */
static size_t batch_token_size(int fd, __u32 key_size)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return key_size;
	switch (info.type) {
	case BPF_MAP_TYPE_HASH:
	case BPF_MAP_TYPE_PERCPU_HASH:
	case BPF_MAP_TYPE_LRU_HASH:
	case BPF_MAP_TYPE_LRU_PERCPU_HASH:
		return sizeof(__u32);
	default:
		return key_size;
	}
}

static void hex_encode(const unsigned char *bytes, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", bytes[i]);
}

static bool hex_decode(const char *text, unsigned char *out, size_t n)
{
	if (strlen(text) != 2 * n)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned int byte;

		if (sscanf(text + 2 * i, "%2x", &byte) != 1)
			return false;
		out[i] = byte;
	}
	return true;
}

/* Hash maps: a bucket at a time, resumable even when the last key read is
 * deleted meanwhile. */
static int read_batches(int fd, __u32 key_size, size_t value_bytes, size_t max_batch,
			char *cursor, fw_map_entries_fn fn, void *ctx, bool *refused)
{
	size_t token_size = batch_token_size(fd, key_size);
	unsigned char in[FW_MAP_CURSOR_MAX / 2], out[FW_MAP_CURSOR_MAX / 2];
	size_t cap = max_batch;
	char *keys = malloc(cap * key_size), *values = malloc(cap * value_bytes);
	bool start = !cursor[0], more = true;
	int ret = 0;

	*refused = false;
	if (token_size * 2 + 2 > FW_MAP_CURSOR_MAX || !keys || !values) {
		ret = -ENOMEM;
		goto out;
	}
	if (!start && (cursor[0] != 'b' || !hex_decode(cursor + 1, in, token_size))) {
		ret = -EINVAL;
		goto out;
	}
	while (more) {
		__u32 count = cap;
		int r = bpf_map_lookup_batch(fd, start ? NULL : in, out, keys, values, &count, NULL);
		int error = r ? errno : 0;

		if (r && error == ENOSPC) {     /* a bucket larger than cap: count says how large */
			size_t cap2 = count > cap ? count : cap * 2;
			char *k = realloc(keys, cap2 * key_size);
			char *v = k ? realloc(values, cap2 * value_bytes) : NULL;

			if (k)
				keys = k;
			if (!v) {
				ret = -ENOMEM;
				break;
			}
			values = v;
			cap = cap2;
			continue;
		}
		if (r && error != ENOENT) {
			/* Refused before reading anything (count is left as it was). */
			*refused = start && batch_refused(error);
			ret = -error;
			break;
		}
		start = false;
		memcpy(in, out, token_size);
		if (error == ENOENT)
			cursor[0] = '\0';
		else {
			cursor[0] = 'b';
			hex_encode(out, token_size, cursor + 1);
		}
		more = error != ENOENT && (count == 0 || fn(keys, values, count, ctx));
		if (error == ENOENT && count)
			fn(keys, values, count, ctx);
	}
out:
	free(keys);
	free(values);
	return ret;
}

/* Other maps: key after key; the cursor is the last key read. */
static int read_keys(int fd, __u32 key_size, size_t value_bytes, size_t max_batch,
		     char *cursor, fw_map_entries_fn fn, void *ctx)
{
	char *keys = malloc(max_batch * key_size), *values = malloc(max_batch * value_bytes);
	char *prev = malloc(key_size);
	bool have_prev = cursor[0] != '\0', more = true;
	int ret = 0;

	if (!keys || !values || !prev || key_size * 2 + 2 > FW_MAP_CURSOR_MAX) {
		ret = -ENOMEM;
		goto out;
	}
	if (have_prev && (cursor[0] != 'k' ||
			  !hex_decode(cursor + 1, (unsigned char *)prev, key_size))) {
		ret = -EINVAL;
		goto out;
	}
	while (more) {
		size_t n = 0;
		bool end = false;

		while (n < max_batch) {
			char *k = keys + n * key_size;

			if (bpf_map_get_next_key(fd, have_prev ? prev : NULL, k)) {
				end = true;
				break;
			}
			memcpy(prev, k, key_size);
			have_prev = true;
			if (bpf_map_lookup_elem(fd, k, values + n * value_bytes) == 0)
				n++;
		}
		if (end)
			cursor[0] = '\0';
		else {
			cursor[0] = 'k';
			hex_encode((unsigned char *)prev, key_size, cursor + 1);
		}
		more = !end && fn(keys, values, n, ctx);
		if (end && n)
			fn(keys, values, n, ctx);
	}
out:
	free(keys);
	free(values);
	free(prev);
	return ret;
}

int fw_map_read_from(int fd, __u32 key_size, size_t value_bytes, size_t max_batch,
		     char cursor[FW_MAP_CURSOR_MAX], fw_map_entries_fn fn, void *ctx)
{
	bool refused = false;
	int ret;

	if (max_batch == 0)
		max_batch = 1;
	if (cursor[0] != 'k') {
		ret = read_batches(fd, key_size, value_bytes, max_batch, cursor, fn, ctx, &refused);
		if (!refused)
			return ret;
	}
	return read_keys(fd, key_size, value_bytes, max_batch, cursor, fn, ctx);
}

static bool count_batch(const void *keys, const void *values, size_t n, void *ctx)
{
	*(long *)ctx += n;
	return true;
}

long fw_map_count(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char cursor[FW_MAP_CURSOR_MAX] = "";
	long n = 0;

	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return -1;
	if (info.type == BPF_MAP_TYPE_ARRAY || info.type == BPF_MAP_TYPE_PERCPU_ARRAY)
		return info.max_entries;
	if (!has_keys_to_walk(info.type))
		return -1;
	if (fw_map_read_from(fd, info.key_size, fw_map_value_bytes(&info), FW_MAP_BATCH, cursor,
			     count_batch, &n))
		return count_entries(fd, info.key_size);
	return n;
}
