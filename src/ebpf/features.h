/* SPDX-License-Identifier: MIT */
/*
 * What this kernel can do with eBPF, found by trying: each program type is a
 * tiny program really loaded, each map type a map really created, each attach
 * point a real attachment (on a veth pair in a throw-away network namespace
 * for the packet hooks). libbpf's own probes are not trusted: on some kernels
 * they say kprobes work when kprobes cannot attach, and that tracing programs
 * do not load when tp_btf does. They are shown beside the truth, for contrast.
 *
 * Probing takes a fraction of a second and needs root (CAP_BPF, CAP_NET_ADMIN,
 * CAP_SYS_ADMIN for tracing); it runs once per process and is then cached.
 */
#ifndef FLYWALL_EBPF_FEATURES_H
#define FLYWALL_EBPF_FEATURES_H

#include <jansson.h>
#include <stdbool.h>

#include "ebpf/spec.h"

#define FW_FEATURE_DETAIL_MAX 384

/* One thing tried: did it work, and if not, exactly why. */
struct fw_probe_result {
	bool tried;     /* false: skipped, detail says why (e.g. its load failed) */
	bool ok;
	int err;        /* negative errno when tried && !ok */
	/* libbpf's messages while trying, or what was needed and missing. */
	char detail[FW_FEATURE_DETAIL_MAX];
};

enum fw_prog_probe {
	FW_PROBE_PROG_XDP,
	FW_PROBE_PROG_SCHED_CLS,
	FW_PROBE_PROG_SOCKET_FILTER,
	FW_PROBE_PROG_TRACEPOINT,
	FW_PROBE_PROG_RAW_TRACEPOINT,
	FW_PROBE_PROG_TP_BTF,
	FW_PROBE_PROG_KPROBE,
	FW_PROBE_PROG_KPROBE_MULTI,
	FW_PROBE_PROG_FENTRY,
	FW_PROBE_PROG_FEXIT,
	FW_PROBE_PROG_LSM,
	FW_PROBE_PROG_CGROUP_SKB,
	FW_PROBE_PROG_CGROUP_SOCK_ADDR,
	FW_PROBE_PROG__COUNT,
};

enum fw_map_probe {
	FW_PROBE_MAP_HASH,
	FW_PROBE_MAP_ARRAY,
	FW_PROBE_MAP_PERCPU_ARRAY,
	FW_PROBE_MAP_PERCPU_HASH,
	FW_PROBE_MAP_LRU_HASH,
	FW_PROBE_MAP_LRU_PERCPU_HASH,
	FW_PROBE_MAP_LPM_TRIE,
	FW_PROBE_MAP_PERF_EVENT_ARRAY,
	FW_PROBE_MAP_RINGBUF,
	FW_PROBE_MAP_STACK_TRACE,
	FW_PROBE_MAP_BLOOM_FILTER,
	FW_PROBE_MAP_ARRAY_OF_MAPS,
	FW_PROBE_MAP_HASH_OF_MAPS,
	FW_PROBE_MAP_DEVMAP,
	FW_PROBE_MAP_CPUMAP,
	FW_PROBE_MAP__COUNT,
};

enum fw_attach_probe {
	FW_PROBE_ATTACH_XDP_NATIVE,     /* bpf_link, XDP_FLAGS_DRV_MODE, veth */
	FW_PROBE_ATTACH_XDP_GENERIC,    /* bpf_link, XDP_FLAGS_SKB_MODE, veth */
	FW_PROBE_ATTACH_TC_CLSACT,      /* bpf_tc_hook_create + bpf_tc_attach */
	FW_PROBE_ATTACH_TCX,            /* raw bpf_link_create(BPF_TCX_INGRESS) */
	FW_PROBE_ATTACH_SOCKET_FILTER,  /* SO_ATTACH_BPF on a UDP socket */
	FW_PROBE_ATTACH_TRACEPOINT,     /* net:netif_receive_skb */
	FW_PROBE_ATTACH_RAW_TRACEPOINT,
	FW_PROBE_ATTACH_TP_BTF,
	FW_PROBE_ATTACH_KPROBE,         /* tcp_v4_connect */
	FW_PROBE_ATTACH_KPROBE_MULTI,
	FW_PROBE_ATTACH_FENTRY,
	FW_PROBE_ATTACH_CGROUP_SKB,     /* on a throw-away child cgroup */
	FW_PROBE_ATTACH__COUNT,
};

struct fw_features {
	char kernel[128];               /* uname -r */
	struct fw_probe_result prog[FW_PROBE_PROG__COUNT];
	/* libbpf_probe_bpf_prog_type(): 1 yes, 0 no, < 0 error. Shown only to
	 * expose where libbpf's answer differs from what really happens. */
	int libbpf_says[FW_PROBE_PROG__COUNT];
	struct fw_probe_result map[FW_PROBE_MAP__COUNT];
	struct fw_probe_result attach[FW_PROBE_ATTACH__COUNT];
	int jit_enable;                 /* net.core.bpf_jit_enable, -1 unreadable */
	struct fw_probe_result jited;   /* ok: a loaded program has JIT code */
	struct fw_probe_result btf;     /* ok: /sys/kernel/btf/vmlinux parses */
	unsigned int btf_types;         /* types in the kernel's BTF */
	int stats_enabled;              /* kernel.bpf_stats_enabled, -1 unreadable */
	struct fw_probe_result stats;   /* ok: bpf_enable_stats(RUN_TIME) works */
	bool bpffs_mounted;             /* /sys/fs/bpf */
	bool tracefs_mounted;           /* /sys/kernel/tracing */
	double probe_ms;                /* how long the probing took */
};

/*
 * Fills out with what this kernel supports. The first call probes (it loads,
 * creates and attaches for real, then removes all of it); later calls return
 * the cached answer. Thread-safe. Returns 0: each result carries its own
 * failure, there is no failure of the probe as a whole.
 */
int fw_features_probe(struct fw_features *out);
/* The cached answer, probing first if needed. Never NULL. */
const struct fw_features *fw_features_get(void);

/* The hook manager's questions: "does tcx work here?" (probes once). */
bool fw_features_attach_works(enum fw_attach_probe which);
bool fw_features_prog_loads(enum fw_prog_probe which);
bool fw_features_map_works(enum fw_map_probe which);

/* How a hook attaches on this kernel: the first of its attach points (in its
 * fallback order, ebpf/hook_ops.h) that worked, or FW_PROBE_ATTACH__COUNT
 * when none did. */
enum fw_attach_probe fw_features_hook_attach(const struct fw_features *f, enum fw_hook hook);

/* Stable names used in the table and the JSON ("xdp_native", "lru_hash"). */
const char *fw_prog_probe_name(enum fw_prog_probe which);
const char *fw_map_probe_name(enum fw_map_probe which);
const char *fw_attach_probe_name(enum fw_attach_probe which);
/* The program type an attach point attaches. */
enum fw_prog_probe fw_attach_probe_prog(enum fw_attach_probe which);

/* New reference: {"kernel", "program_types", "map_types", "attach_points",
 * "hooks", "jit", "btf", "stats", "mounts", "probe_ms"}; "hooks" maps each
 * hook to fw_features_hook_attach's answer (null: none works). Each result is {"ok": bool}
 * plus, on failure, "errno" (positive), "error" (strerror) and "detail"
 * (libbpf's messages); a step not tried has "skipped": true and a "detail". */
json_t *fw_features_to_json(const struct fw_features *f);

#endif
