// SPDX-License-Identifier: MIT
/* The table of hook operations (see hook_ops.h), built from hook_list.h. */
#include "ebpf/hook_ops.h"

#include <stdio.h>
#include <string.h>

#define FW_HOOK_ENTRY(id, ops) extern const struct fw_hook_ops ops;
#include "ebpf/hook_list.h"
#undef FW_HOOK_ENTRY

/* Built from the same list as enum fw_hook, so no hook can lack its ops. */
static const struct fw_hook_ops *const hook_table[] = {
#define FW_HOOK_ENTRY(id, ops) [FW_HOOK_##id] = &ops,
#include "ebpf/hook_list.h"
#undef FW_HOOK_ENTRY
};

_Static_assert(sizeof(hook_table) / sizeof(hook_table[0]) == FW_HOOK__COUNT,
	       "every hook of enum fw_hook has ops in hook_table");

static const struct fw_hook_field_info field_infos[] = {
	{ FW_FIELD_INTERFACE, "interface", "an interface", "\"eth0\"" },
	{ FW_FIELD_DIRECTION, "direction", "a direction", "\"ingress\"" },
	{ FW_FIELD_MODE, "mode", "a mode", "\"auto\"" },
	{ FW_FIELD_SHAPING, "shaping", "shaping", "{\"rate\": \"1gbit\"}" },
	{ FW_FIELD_SOCKETS, "sockets", "sockets", "[\"dns\"]" },
	{ FW_FIELD_TRACEPOINT, "tracepoint", "a tracepoint", "\"category:name\"" },
	{ FW_FIELD_FUNCTION, "function", "a function", "\"tcp_v4_connect\"" },
	{ FW_FIELD_PRIORITY, "priority", "a priority", "10" },
};

_Static_assert(sizeof(field_infos) / sizeof(field_infos[0]) ==
	       __builtin_popcount(FW_FIELD__ALL), "every field has its words");

const struct fw_hook_ops *fw_hook_ops_of(enum fw_hook hook)
{
	return (unsigned int)hook < FW_HOOK__COUNT ? hook_table[hook] : NULL;
}

const struct fw_hook_field_info *fw_hook_field_info(enum fw_hook_field field)
{
	for (size_t i = 0; i < sizeof(field_infos) / sizeof(field_infos[0]); i++)
		if (field_infos[i].field == field)
			return &field_infos[i];
	return NULL;
}

static bool has_prog_type(const struct fw_hook_ops *ops, enum bpf_prog_type type)
{
	for (int i = 0; i < FW_HOOK_MAX_PROG_TYPES && ops->prog_types[i]; i++)
		if (ops->prog_types[i] == type)
			return true;
	return false;
}

int fw_hook_of_prog_type(enum bpf_prog_type type)
{
	for (int h = 0; h < FW_HOOK__COUNT; h++)
		if (type && has_prog_type(hook_table[h], type))
			return h;
	return -1;
}

bool fw_hook_accepts(enum fw_hook hook, const struct bpf_program *p)
{
	const struct fw_hook_ops *ops = fw_hook_ops_of(hook);

	return ops && has_prog_type(ops, bpf_program__type(p)) &&
	       (!ops->accepts || ops->accepts(p));
}

bool fw_hook_takes(enum fw_hook hook, enum fw_hook_field field)
{
	const struct fw_hook_ops *ops = fw_hook_ops_of(hook);

	return ops && (ops->takes & field);
}

bool fw_hook_requires(enum fw_hook hook, enum fw_hook_field field)
{
	const struct fw_hook_ops *ops = fw_hook_ops_of(hook);

	return ops && (ops->requires & field);
}

/* Joins the names of the hooks whose bit is in mask: "a, b and c". */
static void join_hooks(unsigned int mask, const char *last_sep, char *out, size_t size)
{
	size_t used = 0;
	int n = __builtin_popcount(mask), k = 0;

	out[0] = '\0';
	for (int h = 0; h < FW_HOOK__COUNT && used < size; h++) {
		if (!(mask & (1u << h)))
			continue;
		used += snprintf(out + used, size - used, "%s%s",
				 k == 0 ? "" : k == n - 1 ? last_sep : ", ", hook_table[h]->name);
		k++;
	}
}

void fw_hooks_taking(enum fw_hook_field field, char *out, size_t size)
{
	unsigned int mask = 0;

	for (int h = 0; h < FW_HOOK__COUNT; h++)
		if (hook_table[h]->takes & field)
			mask |= 1u << h;
	join_hooks(mask, " and ", out, size);
}

void fw_hook_names_joined(const char *last_sep, char *out, size_t size)
{
	join_hooks((1u << FW_HOOK__COUNT) - 1, last_sep, out, size);
}

const char *fw_section_target(const char *sec)
{
	const char *slash = sec ? strchr(sec, '/') : NULL;

	return slash && slash[1] ? slash + 1 : NULL;
}

bool fw_attach_kind_has_link(enum fw_attach_kind kind)
{
	for (int h = 0; h < FW_HOOK__COUNT; h++)
		for (int k = 0; k < FW_HOOK_MAX_KINDS && hook_table[h]->kinds[k].name; k++)
			if (hook_table[h]->kinds[k].kind == kind)
				return hook_table[h]->kinds[k].link;
	return false;
}
