/* SPDX-License-Identifier: MIT */
/*
 * The engine's plain description of one program: what to load, where to
 * attach it, how to size its maps and what to set its globals to. The config
 * module builds it from HCL, the API from JSON, the CLI from flags; the engine
 * never sees where it came from.
 */
#ifndef FLYWALL_EBPF_SPEC_H
#define FLYWALL_EBPF_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define FW_NAME_MAX 64      /* program, map and arg names, incl. NUL */
#define FW_IFNAME_MAX 16    /* IFNAMSIZ */
#define FW_PATH_MAX 4096

/* Largest max_entries Flywall will create for one map (documented limit). */
#define FW_MAP_SIZE_MAX (16u * 1024 * 1024)
#define FW_MAP_SIZE_DEFAULT 1024

/* FW_HOOK_XDP, FW_HOOK_TC, ...: one per line of ebpf/hook_list.h, whose
 * operations (ebpf/hook_ops.h) say everything the hook means. */
enum fw_hook {
#define FW_HOOK_ENTRY(id, ops) FW_HOOK_##id,
#include "ebpf/hook_list.h"
#undef FW_HOOK_ENTRY
	FW_HOOK__COUNT,
};

enum fw_tc_direction { FW_TC_INGRESS, FW_TC_EGRESS };

enum fw_xdp_mode { FW_XDP_AUTO, FW_XDP_NATIVE, FW_XDP_GENERIC };

/* Map types a configuration may name; FW_MAP_DEFAULT keeps the object's. */
enum fw_map_type {
	FW_MAP_DEFAULT,
	FW_MAP_HASH,
	FW_MAP_ARRAY,
	FW_MAP_PERCPU_ARRAY,
	FW_MAP_PERCPU_HASH,
	FW_MAP_LRU_HASH,
	FW_MAP_LRU_PERCPU_HASH,
	FW_MAP_LPM_TRIE,
	FW_MAP_PERF_EVENT_ARRAY,
	FW_MAP_RINGBUF,
	FW_MAP_STACK_TRACE,
	FW_MAP_PERCPU_COUNTER, /* the spec's name for a per-CPU array */
	FW_MAP__COUNT,
};

/* Services a socket filter may watch (`sockets = [...]`), as a bit set. */
enum fw_service { FW_SVC_DNS = 1u << 0, FW_SVC_DHCP = 1u << 1 };

struct fw_map_override {
	char name[FW_NAME_MAX];
	enum fw_map_type type;  /* FW_MAP_DEFAULT: keep the object's type */
	uint32_t size;          /* 0: keep the object's max_entries */
};

enum fw_arg_kind { FW_ARG_INT, FW_ARG_BOOL, FW_ARG_FLOAT, FW_ARG_STRING };

struct fw_arg {
	char name[FW_NAME_MAX];
	enum fw_arg_kind kind;
	union {
		int64_t i;
		bool b;
		double f;
		char *s;        /* owned */
	};
};

struct fw_shaping {
	bool set;
	uint64_t rate_bps;      /* bits per second */
	uint64_t burst_bits;    /* bits, as the spec writes burst as a rate-like size */
};

struct fw_prog_spec {
	char name[FW_NAME_MAX];
	enum fw_hook hook;
	char object[FW_PATH_MAX];       /* resolved absolute path of the .o */
	char interface[FW_IFNAME_MAX];  /* xdp, tc; optional for socket_filter */
	enum fw_tc_direction direction;
	enum fw_xdp_mode xdp_mode;
	char tracepoint[128];           /* "category:name" */
	char function[128];             /* kprobe target */
	uint32_t services;              /* enum fw_service bits */
	struct fw_shaping shaping;
	/* xdp, tc: this block's place among the blocks sharing its hook point
	 * (lower runs first); without it the block has the hook point alone. */
	bool has_priority;
	int32_t priority;
	uint32_t default_map_size;      /* the ebpf block's map_size, 0: object's */
	struct fw_map_override *maps;   /* owned */
	size_t n_maps;
	struct fw_arg *args;            /* owned */
	size_t n_args;
	/* xdp: `rule` blocks (ddos_filter's rule plane, src/ebpf/rules.h); when
	 * has_rules, each apply makes the program's rule set exactly these */
	struct fw_rule_def *rules;      /* owned */
	size_t n_rules;
	bool has_rules;
	/* xdp: `feed` blocks (lists loaded into ddos_filter's feed_cidrs) */
	struct fw_feed_spec *feeds;     /* owned */
	size_t n_feeds;
};

struct fw_feed_spec {
	char name[48];
	char file[FW_PATH_MAX];         /* absolute */
	uint32_t refresh_s;             /* re-read this often; 0: only when it changes */
};

const char *fw_hook_name(enum fw_hook hook);
const char *fw_map_type_name(enum fw_map_type type);
const char *fw_tc_direction_name(enum fw_tc_direction dir);
const char *fw_xdp_mode_name(enum fw_xdp_mode mode);

/* Deep copy into dst (which owns its copies). 0 or -ENOMEM. */
int fw_prog_spec_copy(struct fw_prog_spec *dst, const struct fw_prog_spec *src);
/* A 64-bit digest of everything that defines the running program: the spec's
 * fields and the object file's bytes. -errno when the object is unreadable. */
int fw_prog_spec_hash(const struct fw_prog_spec *spec, uint64_t *out);

/* Frees what the spec owns (maps, args, strings); not the spec itself. */
void fw_prog_spec_release(struct fw_prog_spec *spec);

#endif
