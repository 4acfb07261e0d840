// SPDX-License-Identifier: MIT
/*
 * Kernel feature probes, by trying (see features.h for why not libbpf's).
 *
 * Everything runs in one short-lived thread that first moves itself into a
 * new network namespace: the veth pair the packet hooks are tried on lives
 * and dies there, invisible to the host and to the rest of this process, and
 * disappears with the thread even if a step fails half-way.
 */
#include "ebpf/features.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <linux/magic.h>
#include <linux/rtnetlink.h>
#include <linux/veth.h>
#include <mntent.h>
#include <net/if.h>
#include <pthread.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>

#include "ebpf/hook_ops.h"
#include "ebpf/rtnl.h"
#include "feature_probes.skel.h"

#ifndef BPF_TCX_INGRESS
#define BPF_TCX_INGRESS 46 /* kernel >= 6.6; libbpf 1.1's headers predate it */
#endif

#define VETH_NAME "fwprobe0"
#define VETH_PEER "fwprobe1"

static const struct {
	const char *name;       /* shown to users */
	const char *prog;       /* function in bpf/feature_probes.bpf.c */
	enum bpf_prog_type type;
} prog_probes[FW_PROBE_PROG__COUNT] = {
	[FW_PROBE_PROG_XDP] = { "xdp", "probe_xdp", BPF_PROG_TYPE_XDP },
	[FW_PROBE_PROG_SCHED_CLS] = { "sched_cls", "probe_sched_cls", BPF_PROG_TYPE_SCHED_CLS },
	[FW_PROBE_PROG_SOCKET_FILTER] = { "socket_filter", "probe_socket_filter",
					  BPF_PROG_TYPE_SOCKET_FILTER },
	[FW_PROBE_PROG_TRACEPOINT] = { "tracepoint", "probe_tracepoint", BPF_PROG_TYPE_TRACEPOINT },
	[FW_PROBE_PROG_RAW_TRACEPOINT] = { "raw_tracepoint", "probe_raw_tracepoint",
					   BPF_PROG_TYPE_RAW_TRACEPOINT },
	[FW_PROBE_PROG_TP_BTF] = { "tp_btf", "probe_tp_btf", BPF_PROG_TYPE_TRACING },
	[FW_PROBE_PROG_KPROBE] = { "kprobe", "probe_kprobe", BPF_PROG_TYPE_KPROBE },
	[FW_PROBE_PROG_KPROBE_MULTI] = { "kprobe_multi", "probe_kprobe_multi", BPF_PROG_TYPE_KPROBE },
	[FW_PROBE_PROG_FENTRY] = { "fentry", "probe_fentry", BPF_PROG_TYPE_TRACING },
	[FW_PROBE_PROG_FEXIT] = { "fexit", "probe_fexit", BPF_PROG_TYPE_TRACING },
	[FW_PROBE_PROG_LSM] = { "lsm", "probe_lsm", BPF_PROG_TYPE_LSM },
	[FW_PROBE_PROG_CGROUP_SKB] = { "cgroup_skb", "probe_cgroup_skb", BPF_PROG_TYPE_CGROUP_SKB },
	[FW_PROBE_PROG_CGROUP_SOCK_ADDR] = { "cgroup_sock_addr", "probe_cgroup_connect4",
					     BPF_PROG_TYPE_CGROUP_SOCK_ADDR },
};

static const struct {
	const char *name;
	enum bpf_map_type type;
	__u32 key_size, value_size, max_entries, flags;
} map_probes[FW_PROBE_MAP__COUNT] = {
	[FW_PROBE_MAP_HASH] = { "hash", BPF_MAP_TYPE_HASH, 4, 8, 1 },
	[FW_PROBE_MAP_ARRAY] = { "array", BPF_MAP_TYPE_ARRAY, 4, 8, 1 },
	[FW_PROBE_MAP_PERCPU_ARRAY] = { "percpu_array", BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, 1 },
	[FW_PROBE_MAP_PERCPU_HASH] = { "percpu_hash", BPF_MAP_TYPE_PERCPU_HASH, 4, 8, 1 },
	[FW_PROBE_MAP_LRU_HASH] = { "lru_hash", BPF_MAP_TYPE_LRU_HASH, 4, 8, 16 },
	[FW_PROBE_MAP_LRU_PERCPU_HASH] = { "lru_percpu_hash", BPF_MAP_TYPE_LRU_PERCPU_HASH,
					   4, 8, 16 },
	/* key: struct bpf_lpm_trie_key with an IPv4 address; must not preallocate */
	[FW_PROBE_MAP_LPM_TRIE] = { "lpm_trie", BPF_MAP_TYPE_LPM_TRIE, 8, 8, 16,
				    BPF_F_NO_PREALLOC },
	[FW_PROBE_MAP_PERF_EVENT_ARRAY] = { "perf_event_array", BPF_MAP_TYPE_PERF_EVENT_ARRAY,
					    4, 4, 1 },
	[FW_PROBE_MAP_RINGBUF] = { "ringbuf", BPF_MAP_TYPE_RINGBUF, 0, 0, 0 /* a page */ },
	/* value: 127 return addresses (PERF_MAX_STACK_DEPTH) */
	[FW_PROBE_MAP_STACK_TRACE] = { "stack_trace", BPF_MAP_TYPE_STACK_TRACE, 4, 127 * 8, 1 },
	[FW_PROBE_MAP_BLOOM_FILTER] = { "bloom_filter", BPF_MAP_TYPE_BLOOM_FILTER, 0, 4, 16 },
	[FW_PROBE_MAP_ARRAY_OF_MAPS] = { "array_of_maps", BPF_MAP_TYPE_ARRAY_OF_MAPS, 4, 4, 1 },
	[FW_PROBE_MAP_HASH_OF_MAPS] = { "hash_of_maps", BPF_MAP_TYPE_HASH_OF_MAPS, 4, 4, 1 },
	[FW_PROBE_MAP_DEVMAP] = { "devmap", BPF_MAP_TYPE_DEVMAP, 4, 4, 1 },
	[FW_PROBE_MAP_CPUMAP] = { "cpumap", BPF_MAP_TYPE_CPUMAP, 4, 4, 1 },
};

struct probe_env;
typedef void (*attach_fn)(struct bpf_program *prog, const struct probe_env *env,
			  struct fw_probe_result *r);

static void attach_xdp_native(struct bpf_program *, const struct probe_env *,
			      struct fw_probe_result *);
static void attach_xdp_generic(struct bpf_program *, const struct probe_env *,
			       struct fw_probe_result *);
static void attach_tc_clsact(struct bpf_program *, const struct probe_env *,
			     struct fw_probe_result *);
static void attach_tcx(struct bpf_program *, const struct probe_env *,
		       struct fw_probe_result *);
static void attach_socket_filter(struct bpf_program *, const struct probe_env *,
				 struct fw_probe_result *);
static void attach_by_section(struct bpf_program *, const struct probe_env *,
			      struct fw_probe_result *);
static void attach_cgroup(struct bpf_program *, const struct probe_env *,
			  struct fw_probe_result *);

static const struct {
	const char *name;
	enum fw_prog_probe prog;    /* the program it attaches */
	attach_fn attach;
} attach_probes[FW_PROBE_ATTACH__COUNT] = {
	[FW_PROBE_ATTACH_XDP_NATIVE] = { "xdp_native", FW_PROBE_PROG_XDP, attach_xdp_native },
	[FW_PROBE_ATTACH_XDP_GENERIC] = { "xdp_generic", FW_PROBE_PROG_XDP, attach_xdp_generic },
	[FW_PROBE_ATTACH_TC_CLSACT] = { "tc_clsact", FW_PROBE_PROG_SCHED_CLS, attach_tc_clsact },
	[FW_PROBE_ATTACH_TCX] = { "tcx", FW_PROBE_PROG_SCHED_CLS, attach_tcx },
	[FW_PROBE_ATTACH_SOCKET_FILTER] = { "socket_filter", FW_PROBE_PROG_SOCKET_FILTER,
					    attach_socket_filter },
	[FW_PROBE_ATTACH_TRACEPOINT] = { "tracepoint", FW_PROBE_PROG_TRACEPOINT,
					 attach_by_section },
	[FW_PROBE_ATTACH_RAW_TRACEPOINT] = { "raw_tracepoint", FW_PROBE_PROG_RAW_TRACEPOINT,
					     attach_by_section },
	[FW_PROBE_ATTACH_TP_BTF] = { "tp_btf", FW_PROBE_PROG_TP_BTF, attach_by_section },
	[FW_PROBE_ATTACH_KPROBE] = { "kprobe", FW_PROBE_PROG_KPROBE, attach_by_section },
	[FW_PROBE_ATTACH_KPROBE_MULTI] = { "kprobe_multi", FW_PROBE_PROG_KPROBE_MULTI,
					   attach_by_section },
	[FW_PROBE_ATTACH_FENTRY] = { "fentry", FW_PROBE_PROG_FENTRY, attach_by_section },
	[FW_PROBE_ATTACH_CGROUP_SKB] = { "cgroup_skb", FW_PROBE_PROG_CGROUP_SKB, attach_cgroup },
};

/* "?" also for an entry missing from a table (tests/unit/test_hook_table.c
 * checks that none is). */
const char *fw_prog_probe_name(enum fw_prog_probe which)
{
	return which < FW_PROBE_PROG__COUNT && prog_probes[which].name ?
	       prog_probes[which].name : "?";
}

const char *fw_map_probe_name(enum fw_map_probe which)
{
	return which < FW_PROBE_MAP__COUNT && map_probes[which].name ?
	       map_probes[which].name : "?";
}

const char *fw_attach_probe_name(enum fw_attach_probe which)
{
	return which < FW_PROBE_ATTACH__COUNT && attach_probes[which].name ?
	       attach_probes[which].name : "?";
}

enum fw_prog_probe fw_attach_probe_prog(enum fw_attach_probe which)
{
	return which < FW_PROBE_ATTACH__COUNT ? attach_probes[which].prog : FW_PROBE_PROG__COUNT;
}

/*
 * libbpf's own words for each failure. It reports through one global print
 * callback; while the probe thread runs, its warnings are collected here
 * (libbpf calls made by other threads in that window would land here too).
 */
static struct {
	char text[FW_FEATURE_DETAIL_MAX];
	size_t len;
} captured;

static int capture_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[FW_FEATURE_DETAIL_MAX];
	size_t n;

	if (level != LIBBPF_WARN)
		return 0;
	vsnprintf(line, sizeof(line), fmt, ap);
	for (char *c = line; *c; c++)
		if (*c == '\n' || *c == '\t')
			*c = ' ';
	n = strlen(line);
	while (n && line[n - 1] == ' ')
		line[--n] = '\0';
	if (!n || captured.len + 3 >= sizeof(captured.text))
		return 0;
	captured.len += snprintf(captured.text + captured.len,
				 sizeof(captured.text) - captured.len, "%s%s",
				 captured.len ? "; " : "", line);
	if (captured.len >= sizeof(captured.text))
		captured.len = sizeof(captured.text) - 1;
	return 0;
}

static void capture_reset(void)
{
	captured.len = 0;
	captured.text[0] = '\0';
}

static void result_ok(struct fw_probe_result *r)
{
	*r = (struct fw_probe_result){ .tried = true, .ok = true };
	capture_reset();
}

/* err: negative errno. The detail is what libbpf said while it failed. */
static void result_fail(struct fw_probe_result *r, int err)
{
	*r = (struct fw_probe_result){ .tried = true, .err = err < 0 ? err : -err };
	snprintf(r->detail, sizeof(r->detail), "%s", captured.text);
	capture_reset();
}

static void result_fail_msg(struct fw_probe_result *r, int err, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void result_fail_msg(struct fw_probe_result *r, int err, const char *fmt, ...)
{
	va_list ap;

	*r = (struct fw_probe_result){ .tried = true, .err = err < 0 ? err : -err };
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	capture_reset();
}

static void result_skip(struct fw_probe_result *r, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void result_skip(struct fw_probe_result *r, const char *fmt, ...)
{
	va_list ap;

	*r = (struct fw_probe_result){ .tried = false };
	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
}

/* What the attach probes need from the throw-away environment. */
struct probe_env {
	int ifindex;                            /* veth in our netns, 0: none */
	char no_ifindex_why[160];
	char cgroup2[256];                      /* cgroup2 mount, "" if none */
};

/* ---- a veth pair, made over rtnetlink (libbpf does not export its own) ---- */

static int veth_create(const char *name, const char *peer)
{
	char buf[FW_RTNL_BUF_SIZE] __attribute__((aligned(NLMSG_ALIGNTO))), why[256];
	struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
	struct nlattr *linkinfo, *data, *peer_info;
	struct ifinfomsg *ifi;

	nlh->nlmsg_type = RTM_NEWLINK;
	nlh->nlmsg_flags = NLM_F_CREATE | NLM_F_EXCL;
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, name);
	linkinfo = mnl_attr_nest_start(nlh, IFLA_LINKINFO);
	mnl_attr_put_strz(nlh, IFLA_INFO_KIND, "veth");
	data = mnl_attr_nest_start(nlh, IFLA_INFO_DATA);
	/* the peer: an ifinfomsg, then its own attributes */
	peer_info = mnl_attr_nest_start(nlh, VETH_INFO_PEER);
	ifi = mnl_nlmsg_put_extra_header(nlh, sizeof(*ifi));
	ifi->ifi_family = AF_UNSPEC;
	mnl_attr_put_strz(nlh, IFLA_IFNAME, peer);
	mnl_attr_nest_end(nlh, peer_info);
	mnl_attr_nest_end(nlh, data);
	mnl_attr_nest_end(nlh, linkinfo);
	return fw_rtnl_talk(nlh, NULL, NULL, why, sizeof(why));
}

/* A private network namespace for this thread, with a veth pair in it. */
static void env_make_netns(struct probe_env *env)
{
	int err;

	if (unshare(CLONE_NEWNET)) {
		snprintf(env->no_ifindex_why, sizeof(env->no_ifindex_why),
			 "not tried: cannot make a network namespace to try it in: %s",
			 strerror(errno));
		return;
	}
	err = veth_create(VETH_NAME, VETH_PEER);
	if (err) {
		snprintf(env->no_ifindex_why, sizeof(env->no_ifindex_why),
			 "not tried: cannot create a veth pair to try it on: %s",
			 strerror(-err));
		return;
	}
	env->ifindex = if_nametoindex(VETH_NAME);
}

static void env_find_cgroup2(struct probe_env *env)
{
	FILE *mounts = setmntent("/proc/self/mounts", "r");
	struct mntent *m;

	if (!mounts)
		return;
	while ((m = getmntent(mounts)))
		if (strcmp(m->mnt_type, "cgroup2") == 0) {
			snprintf(env->cgroup2, sizeof(env->cgroup2), "%s", m->mnt_dir);
			break;
		}
	endmntent(mounts);
}

/* ---- attach probes: each attaches for real, then detaches ---- */

static bool need_ifindex(const struct probe_env *env, struct fw_probe_result *r)
{
	if (env->ifindex > 0)
		return true;
	result_skip(r, "%s", env->no_ifindex_why);
	return false;
}

/* A bpf_link from the raw syscall: the hook manager attaches this way too. */
static void attach_link(int prog_fd, int target, enum bpf_attach_type type, __u32 flags,
			struct fw_probe_result *r)
{
	LIBBPF_OPTS(bpf_link_create_opts, opts, .flags = flags);
	int fd = bpf_link_create(prog_fd, target, type, &opts);

	if (fd < 0) {
		result_fail(r, fd);
		return;
	}
	close(fd);
	result_ok(r);
}

static void attach_xdp_native(struct bpf_program *prog, const struct probe_env *env,
			      struct fw_probe_result *r)
{
	if (need_ifindex(env, r))
		attach_link(bpf_program__fd(prog), env->ifindex, BPF_XDP, XDP_FLAGS_DRV_MODE, r);
}

static void attach_xdp_generic(struct bpf_program *prog, const struct probe_env *env,
			       struct fw_probe_result *r)
{
	if (need_ifindex(env, r))
		attach_link(bpf_program__fd(prog), env->ifindex, BPF_XDP, XDP_FLAGS_SKB_MODE, r);
}

static void attach_tcx(struct bpf_program *prog, const struct probe_env *env,
		       struct fw_probe_result *r)
{
	if (need_ifindex(env, r))
		attach_link(bpf_program__fd(prog), env->ifindex, BPF_TCX_INGRESS, 0, r);
}

static void attach_tc_clsact(struct bpf_program *prog, const struct probe_env *env,
			     struct fw_probe_result *r)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS);
	LIBBPF_OPTS(bpf_tc_opts, opts, .prog_fd = bpf_program__fd(prog));
	int err;

	if (!need_ifindex(env, r))
		return;
	hook.ifindex = env->ifindex;
	err = bpf_tc_hook_create(&hook);
	if (err && err != -EEXIST) {
		result_fail(r, err);
		return;
	}
	err = bpf_tc_attach(&hook, &opts);
	if (err) {
		result_fail(r, err);
	} else {
		result_ok(r);
		opts.prog_fd = opts.prog_id = opts.flags = 0;
		bpf_tc_detach(&hook, &opts);
	}
	hook.attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS; /* removes clsact */
	bpf_tc_hook_destroy(&hook);
}

static void attach_socket_filter(struct bpf_program *prog, const struct probe_env *env,
				 struct fw_probe_result *r)
{
	int prog_fd = bpf_program__fd(prog);
	int sock = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (sock < 0) {
		result_fail_msg(r, -errno, "cannot open a UDP socket to attach to");
		return;
	}
	if (setsockopt(sock, SOL_SOCKET, SO_ATTACH_BPF, &prog_fd, sizeof(prog_fd)))
		result_fail_msg(r, -errno, "setsockopt(SO_ATTACH_BPF) failed");
	else
		result_ok(r);
	close(sock);
}

/* Tracing hooks: libbpf attaches by the program's section name. */
static void attach_by_section(struct bpf_program *prog, const struct probe_env *env,
			      struct fw_probe_result *r)
{
	struct bpf_link *link = bpf_program__attach(prog);

	if (!link) {
		result_fail(r, -errno);
		return;
	}
	bpf_link__destroy(link);
	result_ok(r);
}

/* On a child cgroup made for the purpose, so no real traffic passes it. */
static void attach_cgroup(struct bpf_program *prog, const struct probe_env *env,
			  struct fw_probe_result *r)
{
	struct bpf_link *link;
	char dir[512];
	int fd;

	if (!env->cgroup2[0]) {
		result_skip(r, "not tried: no cgroup2 file system is mounted");
		return;
	}
	snprintf(dir, sizeof(dir), "%s/flywall-probe-%d", env->cgroup2, getpid());
	if (mkdir(dir, 0700) && errno != EEXIST) {
		result_fail_msg(r, -errno, "cannot create cgroup %s to attach to", dir);
		return;
	}
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0) {
		result_fail_msg(r, -errno, "cannot open cgroup %s", dir);
	} else {
		link = bpf_program__attach_cgroup(prog, fd);
		if (link) {
			bpf_link__destroy(link);
			result_ok(r);
		} else {
			result_fail(r, -errno);
		}
		close(fd);
	}
	rmdir(dir);
}

/* ---- program loads ---- */

/* Opens the embedded probes with only `which` set to load, and loads it. */
static struct bpf_object *load_alone(enum fw_prog_probe which, struct fw_probe_result *r)
{
	LIBBPF_OPTS(bpf_object_open_opts, opts, .object_name = "feature_probes");
	const void *elf;
	struct bpf_object *obj;
	struct bpf_program *prog;
	size_t size;
	int err;

	elf = feature_probes__elf_bytes(&size);
	obj = bpf_object__open_mem(elf, size, &opts);
	if (!obj) {
		result_fail(r, -errno);
		return NULL;
	}
	bpf_object__for_each_program(prog, obj)
		bpf_program__set_autoload(prog, strcmp(bpf_program__name(prog),
						       prog_probes[which].prog) == 0);
	err = bpf_object__load(obj);
	if (err) {
		result_fail(r, err);
		bpf_object__close(obj);
		return NULL;
	}
	result_ok(r);
	return obj;
}

static void probe_jited(struct bpf_program *prog, struct fw_probe_result *r)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);
	int err = bpf_obj_get_info_by_fd(bpf_program__fd(prog), &info, &len);

	if (err)
		result_fail_msg(r, err, "cannot read the program's info");
	else if (info.jited_prog_len == 0)
		result_fail_msg(r, -ENOTSUP, "the loaded program runs in the interpreter");
	else
		result_ok(r);
}

/* Loads each program kind alone, then tries the attach points that use it. */
static void probe_programs(struct fw_features *f, const struct probe_env *env)
{
	for (int p = 0; p < FW_PROBE_PROG__COUNT; p++) {
		struct bpf_object *obj = load_alone(p, &f->prog[p]);
		struct bpf_program *prog = obj ?
			bpf_object__find_program_by_name(obj, prog_probes[p].prog) : NULL;

		f->libbpf_says[p] = libbpf_probe_bpf_prog_type(prog_probes[p].type, NULL);
		if (p == FW_PROBE_PROG_XDP) {
			if (prog)
				probe_jited(prog, &f->jited);
			else
				result_skip(&f->jited, "not tried: no program loaded");
		}
		for (int a = 0; a < FW_PROBE_ATTACH__COUNT; a++) {
			if (attach_probes[a].prog != (enum fw_prog_probe)p)
				continue;
			capture_reset();
			if (prog)
				attach_probes[a].attach(prog, env, &f->attach[a]);
			else
				result_skip(&f->attach[a], "not tried: the %s program did not load",
					    prog_probes[p].name);
		}
		bpf_object__close(obj);
	}
}

/* ---- maps ---- */

static int map_create(enum fw_map_probe which)
{
	LIBBPF_OPTS(bpf_map_create_opts, opts, .map_flags = map_probes[which].flags);
	__u32 max_entries = map_probes[which].max_entries;
	int inner = -1, fd;

	if (which == FW_PROBE_MAP_RINGBUF)
		max_entries = getpagesize();
	if (which == FW_PROBE_MAP_ARRAY_OF_MAPS || which == FW_PROBE_MAP_HASH_OF_MAPS) {
		inner = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fw_probe_inner", 4, 4, 1, NULL);
		if (inner < 0)
			return inner;
		opts.inner_map_fd = inner;
	}
	fd = bpf_map_create(map_probes[which].type, "fw_probe", map_probes[which].key_size,
			    map_probes[which].value_size, max_entries, &opts);
	if (inner >= 0)
		close(inner);
	return fd;
}

static void probe_maps(struct fw_features *f)
{
	for (int m = 0; m < FW_PROBE_MAP__COUNT; m++) {
		int fd;

		capture_reset();
		fd = map_create(m);
		if (fd < 0) {
			result_fail(&f->map[m], fd);
		} else {
			close(fd);
			result_ok(&f->map[m]);
		}
	}
}

/* ---- JIT, BTF, statistics, mounts ---- */

/* An integer sysctl, or -1 when it cannot be read. */
static int read_sysctl(const char *path)
{
	FILE *file = fopen(path, "re");
	int value = -1;

	if (file) {
		if (fscanf(file, "%d", &value) != 1)
			value = -1;
		fclose(file);
	}
	return value;
}

static void probe_btf(struct fw_features *f)
{
	struct btf *btf;

	capture_reset();
	if (access("/sys/kernel/btf/vmlinux", R_OK)) {
		result_fail_msg(&f->btf, -errno, "/sys/kernel/btf/vmlinux: %s "
				"(the kernel needs CONFIG_DEBUG_INFO_BTF=y)", strerror(errno));
		return;
	}
	btf = btf__load_vmlinux_btf();
	if (!btf) {
		result_fail(&f->btf, -errno);
		return;
	}
	f->btf_types = btf__type_cnt(btf) - 1;
	btf__free(btf);
	result_ok(&f->btf);
}

static void probe_stats(struct fw_features *f)
{
	int fd;

	f->stats_enabled = read_sysctl("/proc/sys/kernel/bpf_stats_enabled");
	capture_reset();
	fd = bpf_enable_stats(BPF_STATS_RUN_TIME);
	if (fd < 0) {
		result_fail(&f->stats, fd);
		return;
	}
	close(fd); /* turns them off again unless someone else holds them */
	result_ok(&f->stats);
}

static bool is_mounted(const char *path, unsigned long magic)
{
	struct statfs st;

	return statfs(path, &st) == 0 && (unsigned long)st.f_type == magic;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Probes from the calling thread; in_own_thread: it may move to a new netns. */
static void probe_all(struct fw_features *f, bool in_own_thread)
{
	struct probe_env env = {};
	libbpf_print_fn_t old_print;

	if (in_own_thread)
		env_make_netns(&env);
	else
		snprintf(env.no_ifindex_why, sizeof(env.no_ifindex_why),
			 "not tried: no thread to make a private network namespace in");
	env_find_cgroup2(&env);
	old_print = libbpf_set_print(capture_print);
	probe_programs(f, &env);
	probe_maps(f);
	probe_btf(f);
	probe_stats(f);
	libbpf_set_print(old_print);
}

/* The probe thread: its network namespace goes away when it returns. */
static void *probe_thread(void *arg)
{
	probe_all(arg, true);
	return NULL;
}

static void probe_now(struct fw_features *f)
{
	struct utsname uts;
	double start = now_ms();
	pthread_t thread;

	memset(f, 0, sizeof(*f));
	if (uname(&uts) == 0)
		snprintf(f->kernel, sizeof(f->kernel), "%s", uts.release);
	f->jit_enable = read_sysctl("/proc/sys/net/core/bpf_jit_enable");
	f->bpffs_mounted = is_mounted("/sys/fs/bpf", BPF_FS_MAGIC);
	f->tracefs_mounted = is_mounted("/sys/kernel/tracing", TRACEFS_MAGIC);
	if (pthread_create(&thread, NULL, probe_thread, f) == 0)
		pthread_join(thread, NULL);
	else
		probe_all(f, false); /* never move the caller to another netns */
	f->probe_ms = now_ms() - start;
}

static struct fw_features cached;
static pthread_once_t cached_once = PTHREAD_ONCE_INIT;

static void probe_into_cache(void)
{
	probe_now(&cached);
}

const struct fw_features *fw_features_get(void)
{
	pthread_once(&cached_once, probe_into_cache);
	return &cached;
}

int fw_features_probe(struct fw_features *out)
{
	*out = *fw_features_get();
	return 0;
}

bool fw_features_attach_works(enum fw_attach_probe which)
{
	return which < FW_PROBE_ATTACH__COUNT && fw_features_get()->attach[which].ok;
}

bool fw_features_prog_loads(enum fw_prog_probe which)
{
	return which < FW_PROBE_PROG__COUNT && fw_features_get()->prog[which].ok;
}

bool fw_features_map_works(enum fw_map_probe which)
{
	return which < FW_PROBE_MAP__COUNT && fw_features_get()->map[which].ok;
}

enum fw_attach_probe fw_features_hook_attach(const struct fw_features *f, enum fw_hook hook)
{
	const struct fw_hook_ops *ops = fw_hook_ops_of(hook);

	for (size_t i = 0; ops && i < ops->n_probes; i++)
		if (f->attach[ops->probes[i]].ok)
			return ops->probes[i];
	return FW_PROBE_ATTACH__COUNT;
}

/* ---- JSON ---- */

static json_t *hooks_to_json(const struct fw_features *f)
{
	json_t *hooks = json_object();

	for (int h = 0; h < FW_HOOK__COUNT; h++) {
		enum fw_attach_probe a = fw_features_hook_attach(f, h);

		json_object_set_new(hooks, fw_hook_name(h), a < FW_PROBE_ATTACH__COUNT ?
				    json_string(fw_attach_probe_name(a)) : json_null());
	}
	return hooks;
}

static json_t *result_to_json(const struct fw_probe_result *r)
{
	json_t *j = json_pack("{s:b}", "ok", r->ok);

	if (!r->tried)
		json_object_set_new(j, "skipped", json_true());
	if (r->tried && !r->ok) {
		json_object_set_new(j, "errno", json_integer(-r->err));
		json_object_set_new(j, "error", json_string(strerror(-r->err)));
	}
	if (r->detail[0])
		json_object_set_new(j, "detail", json_string(r->detail));
	return j;
}

json_t *fw_features_to_json(const struct fw_features *f)
{
	json_t *progs = json_object(), *maps = json_object(), *attach = json_object();

	for (int p = 0; p < FW_PROBE_PROG__COUNT; p++) {
		json_t *r = result_to_json(&f->prog[p]);

		if (f->libbpf_says[p] >= 0)
			json_object_set_new(r, "libbpf_probe", json_boolean(f->libbpf_says[p] > 0));
		json_object_set_new(progs, fw_prog_probe_name(p), r);
	}
	for (int m = 0; m < FW_PROBE_MAP__COUNT; m++)
		json_object_set_new(maps, fw_map_probe_name(m), result_to_json(&f->map[m]));
	for (int a = 0; a < FW_PROBE_ATTACH__COUNT; a++)
		json_object_set_new(attach, fw_attach_probe_name(a), result_to_json(&f->attach[a]));

	return json_pack("{s:s, s:o, s:o, s:o, s:o, s:{s:i, s:o}, s:{s:o, s:I}, s:{s:i, s:o},"
			 " s:{s:b, s:b}, s:f}",
			 "kernel", f->kernel,
			 "program_types", progs,
			 "map_types", maps,
			 "attach_points", attach,
			 "hooks", hooks_to_json(f),
			 "jit", "bpf_jit_enable", f->jit_enable, "jited", result_to_json(&f->jited),
			 "btf", "vmlinux", result_to_json(&f->btf), "types",
			 (json_int_t)f->btf_types,
			 "stats", "bpf_stats_enabled", f->stats_enabled,
			 "enable_stats", result_to_json(&f->stats),
			 "mounts", "bpffs", f->bpffs_mounted, "tracefs", f->tracefs_mounted,
			 "probe_ms", f->probe_ms);
}
