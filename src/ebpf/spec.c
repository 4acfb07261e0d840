// SPDX-License-Identifier: MIT
#include "ebpf/spec.h"

#include <stdlib.h>

static const char *const hook_names[FW_HOOK__COUNT] = {
	[FW_HOOK_XDP] = "xdp",
	[FW_HOOK_TC] = "tc",
	[FW_HOOK_SOCKET_FILTER] = "socket_filter",
	[FW_HOOK_TRACEPOINT] = "tracepoint",
	[FW_HOOK_KPROBE] = "kprobe",
};

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
	return hook < FW_HOOK__COUNT ? hook_names[hook] : "?";
}

const char *fw_map_type_name(enum fw_map_type type)
{
	return type < FW_MAP__COUNT ? map_type_names[type] : "?";
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
	spec->args = NULL;
	spec->maps = NULL;
	spec->n_args = spec->n_maps = 0;
}
