// SPDX-License-Identifier: MIT
#include "ebpf/map_codec.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <bpf/libbpf.h>

#include "ebpf/btf_json.h"

static bool is_percpu(enum bpf_map_type t)
{
	return t == BPF_MAP_TYPE_PERCPU_ARRAY || t == BPF_MAP_TYPE_PERCPU_HASH ||
	       t == BPF_MAP_TYPE_LRU_PERCPU_HASH || t == BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE;
}

void fw_map_codec_init(struct fw_map_codec *c, const struct bpf_map_info *info,
		       struct btf *btf, int ncpu)
{
	memset(c, 0, sizeof(*c));
	c->info = *info;
	c->btf = btf;
	c->ncpu = is_percpu(info->type) && ncpu > 1 ? ncpu : 1;
	/* The kernel lays per-CPU values out 8-byte aligned. */
	c->stride = is_percpu(info->type) ? (info->value_size + 7) / 8 * 8 : info->value_size;
	c->value_bytes = c->stride * c->ncpu;
}

int fw_map_codec_open(int fd, struct fw_map_codec *c, struct fw_error *err)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	memset(c, 0, sizeof(*c));
	if (bpf_obj_get_info_by_fd(fd, &info, &len))
		return fw_error_set(err, errno, "reading the map: %s", strerror(errno));
	fw_map_codec_init(c, &info, info.btf_id ? btf__load_from_kernel_by_id(info.btf_id) : NULL,
			  libbpf_num_possible_cpus());
	return 0;
}

void fw_map_codec_close(struct fw_map_codec *c)
{
	btf__free(c->btf);
	c->btf = NULL;
}

json_t *fw_map_codec_entry(const struct fw_map_codec *c, const void *key, const void *value)
{
	json_t *out = json_pack("{s:o}", "key", fw_btf_to_json(c->btf, c->info.btf_key_type_id,
							       key, c->info.key_size));
	json_t *sum = NULL, *cpus;

	if (c->ncpu == 1) {
		json_object_set_new(out, "value", fw_btf_to_json(c->btf, c->info.btf_value_type_id,
								 value, c->info.value_size));
		return out;
	}
	cpus = json_array();
	for (int cpu = 0; cpu < c->ncpu; cpu++) {
		json_t *v = fw_btf_to_json(c->btf, c->info.btf_value_type_id,
					   (const char *)value + cpu * c->stride, c->info.value_size);
		json_t *next = sum ? fw_json_sum(sum, v) : json_incref(v);

		json_decref(sum);
		sum = next;
		json_array_append_new(cpus, v);
	}
	json_object_set_new(out, "value", sum);
	json_object_set_new(out, "values", cpus);
	return out;
}

int fw_map_codec_key(const struct fw_map_codec *c, json_t *key, void *out, const char *where,
		     struct fw_error *err)
{
	return fw_btf_from_json(c->btf, c->info.btf_key_type_id, key, out, c->info.key_size,
				where, err);
}

int fw_map_codec_entry_from(const struct fw_map_codec *c, json_t *entry, void *key,
			    void *value, const char *where, struct fw_error *err)
{
	json_t *k = json_object_get(entry, "key"), *v = json_object_get(entry, "value");
	json_t *vs = json_object_get(entry, "values");
	char what[64];
	int ret;

	if (!json_is_object(entry) || !k)
		return fw_error_set(err, EINVAL, "%s: expected {\"key\": ..., \"value\": ...}", where);
	snprintf(what, sizeof(what), "%s.key", where);
	ret = fw_map_codec_key(c, k, key, what, err);
	if (ret)
		return ret;
	if (!v && !vs)
		return fw_error_set(err, EINVAL, "%s: missing \"value\"", where);
	if (vs && (!json_is_array(vs) || json_array_size(vs) != (size_t)c->ncpu))
		return fw_error_set(err, EINVAL, "%s.values: expected a list of %d per-CPU values",
				    where, c->ncpu);
	memset(value, 0, c->value_bytes);
	snprintf(what, sizeof(what), "%s.value", where);
	for (int cpu = 0; cpu < c->ncpu; cpu++) {
		/* One "value" for a per-CPU map sets every CPU's copy. */
		ret = fw_btf_from_json(c->btf, c->info.btf_value_type_id,
				       vs ? json_array_get(vs, cpu) : v,
				       (char *)value + cpu * c->stride, c->info.value_size, what, err);
		if (ret)
			return ret;
	}
	return 0;
}

int fw_map_codec_entry_text(const struct fw_map_codec *c, const void *key, const void *value,
			    struct fw_text *out)
{
	int ret;

	if (c->ncpu > 1) {
		json_t *e = fw_map_codec_entry(c, key, value);
		char *text = json_dumps(e, JSON_COMPACT | JSON_ENCODE_ANY);

		json_decref(e);
		ret = text ? fw_text_append(out, text, strlen(text)) : -ENOMEM;
		free(text);
		return ret;
	}
	ret = fw_text_append(out, "{\"key\":", 7);
	if (!ret)
		ret = fw_btf_append_json(out, c->btf, c->info.btf_key_type_id, key, c->info.key_size);
	if (!ret)
		ret = fw_text_append(out, ",\"value\":", 9);
	if (!ret)
		ret = fw_btf_append_json(out, c->btf, c->info.btf_value_type_id, value,
					 c->info.value_size);
	return ret ? ret : fw_text_append(out, "}", 1);
}
