// SPDX-License-Identifier: MIT
#include "ebpf/spec.h"
#include "flywall/rules.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/hook_ops.h"

static const char *const map_type_names[FW_MAP__COUNT] = {
	[FW_MAP_DEFAULT] = "default",
	[FW_MAP_HASH] = "hash",
	[FW_MAP_ARRAY] = "array",
	[FW_MAP_PERCPU_ARRAY] = "percpu_array",
	[FW_MAP_PERCPU_HASH] = "percpu_hash",
	[FW_MAP_LRU_HASH] = "lru_hash",
	[FW_MAP_LRU_PERCPU_HASH] = "lru_percpu_hash",
	[FW_MAP_LPM_TRIE] = "lpm_trie",
	[FW_MAP_PERF_EVENT_ARRAY] = "perf_event_array",
	[FW_MAP_RINGBUF] = "ringbuf",
	[FW_MAP_STACK_TRACE] = "stack_trace",
	[FW_MAP_PERCPU_COUNTER] = "percpu_counter",
};

const char *fw_hook_name(enum fw_hook hook)
{
	const struct fw_hook_ops *ops = fw_hook_ops_of(hook);

	return ops ? ops->name : "?";
}

const char *fw_map_type_name(enum fw_map_type type)
{
	return type < FW_MAP__COUNT && map_type_names[type] ? map_type_names[type] : "?";
}

const char *fw_tc_direction_name(enum fw_tc_direction dir)
{
	return dir == FW_TC_EGRESS ? "egress" : "ingress";
}

const char *fw_xdp_mode_name(enum fw_xdp_mode mode)
{
	switch (mode) {
	case FW_XDP_NATIVE: return "native";
	case FW_XDP_GENERIC: return "generic";
	default: return "auto";
	}
}

void fw_prog_spec_release(struct fw_prog_spec *spec)
{
	for (size_t i = 0; i < spec->n_args; i++)
		if (spec->args[i].kind == FW_ARG_STRING)
			free(spec->args[i].s);
	free(spec->args);
	free(spec->maps);
	free(spec->rules);
	spec->rules = NULL;
	spec->n_rules = 0;
	free(spec->feeds);
	spec->feeds = NULL;
	spec->n_feeds = 0;
	spec->args = NULL;
	spec->maps = NULL;
	spec->n_args = spec->n_maps = 0;
}

int fw_prog_spec_copy(struct fw_prog_spec *dst, const struct fw_prog_spec *src)
{
	*dst = *src;
	dst->maps = NULL;
	dst->args = NULL;
	dst->rules = NULL;
	dst->feeds = NULL;
	dst->n_maps = dst->n_args = dst->n_rules = dst->n_feeds = 0;
	if (src->n_feeds) {
		dst->feeds = malloc(src->n_feeds * sizeof(*src->feeds));
		if (!dst->feeds)
			return -ENOMEM;
		memcpy(dst->feeds, src->feeds, src->n_feeds * sizeof(*src->feeds));
		dst->n_feeds = src->n_feeds;
	}
	if (src->n_rules) {
		dst->rules = malloc(src->n_rules * sizeof(*src->rules));
		if (!dst->rules)
			return -ENOMEM;
		memcpy(dst->rules, src->rules, src->n_rules * sizeof(*src->rules));
		dst->n_rules = src->n_rules;
	}
	if (src->n_maps) {
		dst->maps = malloc(src->n_maps * sizeof(*src->maps));
		if (!dst->maps)
			return -ENOMEM;
		memcpy(dst->maps, src->maps, src->n_maps * sizeof(*src->maps));
		dst->n_maps = src->n_maps;
	}
	if (src->n_args) {
		dst->args = calloc(src->n_args, sizeof(*src->args));
		if (!dst->args)
			goto nomem;
		for (size_t i = 0; i < src->n_args; i++) {
			dst->args[i] = src->args[i];
			if (src->args[i].kind == FW_ARG_STRING &&
			    !(dst->args[i].s = strdup(src->args[i].s))) {
				dst->n_args = i;
				goto nomem;
			}
		}
		dst->n_args = src->n_args;
	}
	return 0;
nomem:
	fw_prog_spec_release(dst);
	return -ENOMEM;
}

/* FNV-1a: small, stable across runs, good enough to notice any change. */
static uint64_t fnv1a(uint64_t h, const void *data, size_t len)
{
	const unsigned char *p = data;

	for (size_t i = 0; i < len; i++)
		h = (h ^ p[i]) * 0x100000001b3ULL;
	return h;
}

static uint64_t hash_str(uint64_t h, const char *s)
{
	return fnv1a(h, s, strlen(s) + 1);
}

static uint64_t hash_fields(const struct fw_prog_spec *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	uint32_t words[] = { s->hook, s->direction, s->xdp_mode, s->services,
			     s->default_map_size, s->shaping.set, s->has_priority,
			     (uint32_t)s->priority };

	h = hash_str(h, s->name);
	h = hash_str(h, s->object);
	h = hash_str(h, s->interface);
	h = hash_str(h, s->tracepoint);
	h = hash_str(h, s->function);
	h = fnv1a(h, words, sizeof(words));
	h = fnv1a(h, &s->shaping.rate_bps, sizeof(s->shaping.rate_bps));
	h = fnv1a(h, &s->shaping.burst_bits, sizeof(s->shaping.burst_bits));
	for (size_t i = 0; i < s->n_maps; i++) {
		h = hash_str(h, s->maps[i].name);
		h = fnv1a(h, &s->maps[i].type, sizeof(s->maps[i].type));
		h = fnv1a(h, &s->maps[i].size, sizeof(s->maps[i].size));
	}
	for (size_t i = 0; i < s->n_args; i++) {
		const struct fw_arg *a = &s->args[i];

		h = hash_str(h, a->name);
		h = fnv1a(h, &a->kind, sizeof(a->kind));
		if (a->kind == FW_ARG_STRING)
			h = hash_str(h, a->s);
		else if (a->kind == FW_ARG_INT)
			h = fnv1a(h, &a->i, sizeof(a->i));
		else if (a->kind == FW_ARG_FLOAT)
			h = fnv1a(h, &a->f, sizeof(a->f));
		else
			h = fnv1a(h, &a->b, sizeof(a->b));
	}
	return h;
}

int fw_prog_spec_hash(const struct fw_prog_spec *spec, uint64_t *out)
{
	uint64_t h = hash_fields(spec);
	char buf[65536];
	ssize_t n;
	int fd = open(spec->object, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		h = fnv1a(h, buf, n);
	close(fd);
	if (n < 0)
		return -errno;
	*out = h;
	return 0;
}
