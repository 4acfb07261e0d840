// SPDX-License-Identifier: MIT
/*
 * Counter slot names from BTF: see counter_names.h for the convention.
 */
#include "ebpf/counter_names.h"

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <ctype.h>
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

json_t *fw_counter_names_json(int map_fd, const char *map, size_t slots)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);
	char type_name[128];
	const struct btf_type *t;
	const struct btf_enum *e;
	struct btf *btf;
	json_t *names = NULL;
	__s32 id;

	if (bpf_obj_get_info_by_fd(map_fd, &info, &len) || !info.btf_id)
		return NULL;
	btf = btf__load_from_kernel_by_id(info.btf_id);
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
