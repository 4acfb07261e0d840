// SPDX-License-Identifier: MIT
/*
 * Counter slot names from BTF: see counter_names.h for the convention.
 */
#include "ebpf/counter_names.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

/* Copies at most len bytes of src, lower-cased, into dst (FW_COUNTER_LABEL_MAX). */
static void lower_copy(char *dst, const char *src, size_t len)
{
	size_t i;

	if (len >= FW_COUNTER_LABEL_MAX)
		len = FW_COUNTER_LABEL_MAX - 1;
	for (i = 0; i < len; i++)
		dst[i] = (char)tolower((unsigned char)src[i]);
	dst[i] = '\0';
}

bool fw_counter_name_parse(const char *enumerator, char *counter, char *verdict, char *reason)
{
	const char *rest = strstr(enumerator, "__"), *split;

	rest = rest ? rest + 2 : enumerator;
	verdict[0] = reason[0] = '\0';
	if (!*rest)
		return false;
	split = strstr(rest, "__");
	if (split && split > rest && split[2]) {
		lower_copy(verdict, rest, (size_t)(split - rest));
		lower_copy(reason, split + 2, strlen(split + 2));
		snprintf(counter, FW_COUNTER_LABEL_MAX, "%s_%s", verdict, reason);
	} else {
		lower_copy(counter, rest, strlen(rest));
	}
	return true;
}

static json_t *slot_labels(const char *enumerator)
{
	char counter[FW_COUNTER_LABEL_MAX], verdict[FW_COUNTER_LABEL_MAX],
	     reason[FW_COUNTER_LABEL_MAX];

	if (!fw_counter_name_parse(enumerator, counter, verdict, reason))
		return json_null();
	if (!verdict[0])
		return json_pack("{s:s}", "counter", counter);
	return json_pack("{s:s, s:s, s:s}", "counter", counter, "verdict", verdict,
			 "reason", reason);
}

/*
 * The names of a map never change (its BTF is fixed when the map is made), and
 * reading them loads the program's whole BTF from the kernel: they are kept
 * by map id, so that a dashboard's once-a-second rates and every scrape cost
 * one lookup. A map id is not reused while the map exists; a stale entry of a
 * freed map whose id came back could only be a newer map under the same name
 * with another BTF, so the entry also keeps the BTF id.
 */
#define CACHE_SIZE 64

static struct {
	__u32 map_id, btf_id;
	size_t slots;
	json_t *names;          /* json_null() for "no names" */
} cache[CACHE_SIZE];
static unsigned int cache_next;
static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;

static json_t *cache_get(const struct bpf_map_info *info, size_t slots, bool *hit)
{
	json_t *names = NULL;

	*hit = false;
	pthread_mutex_lock(&cache_lock);
	for (unsigned int i = 0; i < CACHE_SIZE; i++)
		if (cache[i].names && cache[i].map_id == info->id &&
		    cache[i].btf_id == info->btf_id && cache[i].slots == slots) {
			*hit = true;
			names = json_is_null(cache[i].names) ? NULL : json_deep_copy(cache[i].names);
			break;
		}
	pthread_mutex_unlock(&cache_lock);
	return names;
}

static void cache_put(const struct bpf_map_info *info, size_t slots, json_t *names)
{
	unsigned int i;

	pthread_mutex_lock(&cache_lock);
	i = cache_next++ % CACHE_SIZE;
	json_decref(cache[i].names);
	cache[i].map_id = info->id;
	cache[i].btf_id = info->btf_id;
	cache[i].slots = slots;
	cache[i].names = names ? json_deep_copy(names) : json_null();
	pthread_mutex_unlock(&cache_lock);
}

static json_t *names_from_btf(const struct bpf_map_info *info, const char *map, size_t slots);

json_t *fw_counter_names_json(int map_fd, const char *map, size_t slots)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	json_t *names;
	bool hit;

	if (bpf_obj_get_info_by_fd(map_fd, &info, &len) || !info.btf_id)
		return NULL;
	names = cache_get(&info, slots, &hit);
	if (hit)
		return names;
	names = names_from_btf(&info, map, slots);
	cache_put(&info, slots, names);
	return names;
}

static json_t *names_from_btf(const struct bpf_map_info *info, const char *map, size_t slots)
{
	char type_name[128];
	const struct btf_type *t;
	const struct btf_enum *e;
	struct btf *btf;
	json_t *names = NULL;
	__s32 id;

	btf = btf__load_from_kernel_by_id(info->btf_id);
	if (!btf)
		return NULL;
	snprintf(type_name, sizeof(type_name), FW_COUNTER_NAMES_PREFIX "%s", map);
	id = btf__find_by_name_kind(btf, type_name, BTF_KIND_ENUM);
	if (id <= 0)
		goto out;
	t = btf__type_by_id(btf, id);
	names = json_array();
	for (size_t i = 0; i < slots; i++)
		json_array_append_new(names, json_null());
	e = btf_enum(t);
	for (__u16 i = 0; i < btf_vlen(t); i++, e++) {
		if (e->val < 0 || (size_t)e->val >= slots)
			continue;       /* a size marker (…_MAX) names no slot */
		json_array_set_new(names, (size_t)e->val,
				   slot_labels(btf__name_by_offset(btf, e->name_off)));
	}
out:
	btf__free(btf);
	return names;
}
