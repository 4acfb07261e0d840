/* SPDX-License-Identifier: MIT */
/*
 * Shared by the BPF_PROG_TEST_RUN tests: open and load a shipped object from
 * $BUILD/bpf, set its globals, run a frame through a program, read per-CPU
 * counters back from the kernel, and craft Ethernet/VLAN/IPv4/IPv6/L4 frames.
 * Header-only so each test stays one file.
 */
#ifndef FLYWALL_TESTS_BPF_TEST_H
#define FLYWALL_TESTS_BPF_TEST_H

#include <arpa/inet.h>
#include <errno.h>
#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <linux/bpf.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* Opens $BUILD/bpf/<name>.o (BUILD defaults to "build"). NULL on failure. */
static inline struct bpf_object *bpf_test_open(const char *name)
{
	const char *build = getenv("BUILD");
	char path[4096];
	struct bpf_object *obj;

	snprintf(path, sizeof(path), "%s/bpf/%s.o", build && *build ? build : "build", name);
	obj = bpf_object__open_file(path, NULL);
	if (!obj) {
		fprintf(stderr, "# cannot open %s: %s\n", path, strerror(errno));
		return NULL;
	}
	return obj;
}

/* Opens and loads; NULL on failure (libbpf prints the verifier log). */
static inline struct bpf_object *bpf_test_load(const char *name)
{
	struct bpf_object *obj = bpf_test_open(name);

	if (obj && bpf_object__load(obj)) {
		fprintf(stderr, "# cannot load %s\n", name);
		bpf_object__close(obj);
		return NULL;
	}
	return obj;
}

/* Read-modify-write of a loaded data section (libbpf 1.1 re-maps sections
 * into the kernel map only for skeletons). */
static inline int bpf_test_write_loaded(struct bpf_map *map, size_t offset,
					const void *value, size_t size)
{
	size_t len = bpf_map__value_size(map);
	char *buf = malloc(len);
	uint32_t zero = 0;
	int ret = -1;

	if (buf && offset + size <= len &&
	    !bpf_map_lookup_elem(bpf_map__fd(map), &zero, buf)) {
		memcpy(buf + offset, value, size);
		ret = bpf_map_update_elem(bpf_map__fd(map), &zero, buf, 0) ? -1 : 0;
	}
	free(buf);
	return ret;
}

/*
 * Writes a global variable of the object: before load into the initial
 * image, after load into the .data/.bss map. Returns 0, or -1 when no global of that name and size exists.
 */
static inline int bpf_test_set_global(struct bpf_object *obj, const char *name,
				      const void *value, size_t size)
{
	struct btf *btf = bpf_object__btf(obj);
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		const char *sec = strrchr(bpf_map__name(map), '.');
		const struct btf_var_secinfo *vsi;
		const struct btf_type *t;
		size_t image_size;
		char *image;
		int id;

		if (!bpf_map__is_internal(map) || !sec)
			continue;
		id = btf__find_by_name_kind(btf, sec, BTF_KIND_DATASEC);
		if (id < 0)
			continue;
		t = btf__type_by_id(btf, id);
		vsi = btf_var_secinfos(t);
		for (int i = 0; i < btf_vlen(t); i++, vsi++) {
			const struct btf_type *var = btf__type_by_id(btf, vsi->type);

			if (strcmp(btf__name_by_offset(btf, var->name_off), name) ||
			    vsi->size != size)
				continue;
			if (bpf_map__fd(map) >= 0)
				return bpf_test_write_loaded(map, vsi->offset, value, size);
			/* libbpf 1.1 declares the initial image const, yet it is
			 * the writable image the map is created from */
			image = (char *)bpf_map__initial_value(map, &image_size);
			if (!image || vsi->offset + size > image_size)
				return -1;
			memcpy(image + vsi->offset, value, size);
			return 0;
		}
	}
	return -1;
}

/* libbpf loads a program without its BTF when the kernel rejects the BTF,
 * silently; args and formatted map dumps then stop working. */
static inline bool bpf_test_btf_loaded(struct bpf_object *obj)
{
	return bpf_object__btf_fd(obj) >= 0;
}

static inline int bpf_test_prog_fd(struct bpf_object *obj, const char *prog)
{
	struct bpf_program *p = bpf_object__find_program_by_name(obj, prog);

	return p ? bpf_program__fd(p) : -1;
}

static inline int bpf_test_map_fd(struct bpf_object *obj, const char *map)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, map);

	return m ? bpf_map__fd(m) : -1;
}

/* Runs one frame through an XDP program; returns its verdict, or -1. */
static inline int bpf_test_run_xdp(int prog_fd, const void *frame, size_t len)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts)) {
		fprintf(stderr, "# test run of %zu bytes: %s\n", len, strerror(errno));
		return -1;
	}
	return opts.retval;
}

/* Runs one frame through a TC program; ctx (may be NULL) goes in and comes
 * back out (priority, mark...). Returns the verdict, or -1000 on error. */
static inline int bpf_test_run_tc(int prog_fd, const void *frame, size_t len,
				  struct __sk_buff *ctx)
{
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .ctx_in = ctx, .ctx_size_in = ctx ? sizeof(*ctx) : 0,
		    .ctx_out = ctx, .ctx_size_out = ctx ? sizeof(*ctx) : 0, .repeat = 1);

	if (bpf_prog_test_run_opts(prog_fd, &opts)) {
		fprintf(stderr, "# test run of %zu bytes: %s\n", len, strerror(errno));
		return -1000;
	}
	return (int)opts.retval;
}

/* Sum over CPUs of one __u64 slot of a per-CPU array (or the plain value of
 * an array). Returns UINT64_MAX when the map or index is missing. */
static inline uint64_t bpf_test_counter(struct bpf_object *obj, const char *map,
					uint32_t index)
{
	struct bpf_map *m = bpf_object__find_map_by_name(obj, map);
	int ncpu = libbpf_num_possible_cpus();
	uint64_t sum = 0, values[ncpu > 0 ? ncpu : 1];
	bool percpu;

	if (!m || ncpu <= 0)
		return UINT64_MAX;
	percpu = bpf_map__type(m) == BPF_MAP_TYPE_PERCPU_ARRAY;
	if (bpf_map_lookup_elem(bpf_map__fd(m), &index, values))
		return UINT64_MAX;
	for (int i = 0; i < (percpu ? ncpu : 1); i++)
		sum += values[i];
	return sum;
}

/* ---- frames ---------------------------------------------------------- */

#define FRAME_MAX 1600

struct frame_spec {
	int family;             /* 4 or 6; 0: ethertype below, no IP header */
	uint16_t ethertype;     /* only when family == 0 */
	const char *src, *dst;  /* textual addresses of the family */
	uint16_t vlan[3];       /* VLAN ids, outermost first */
	int n_vlan;
	uint8_t proto;          /* IPPROTO_* (TCP, UDP, ICMP, ICMPV6) */
	uint16_t sport, dport;  /* TCP/UDP ports, or ICMP echo id in sport */
	uint8_t tcp_flags;      /* TH_SYN... */
	uint8_t icmp_type, icmp_code;
	uint16_t frag_offset;   /* in 8-byte units; with more_frags makes a fragment */
	bool more_frags;
	bool ipv6_frag_hdr;     /* IPv6: add a fragment header (uses the two above) */
	size_t payload;         /* bytes after the L4 header */
};

#define T_FIN 0x01
#define T_SYN 0x02
#define T_RST 0x04
#define T_PSH 0x08
#define T_ACK 0x10

static inline void put16(uint8_t *p, uint16_t v) { p[0] = v >> 8; p[1] = v; }

static inline size_t l4_header_len(const struct frame_spec *s)
{
	switch (s->proto) {
	case IPPROTO_TCP: return 20;
	case IPPROTO_UDP: case IPPROTO_ICMP: case IPPROTO_ICMPV6: return 8;
	default: return 0;
	}
}

/* Writes the L4 header at p (checksums are left zero: nothing checks them). */
static inline void build_l4(const struct frame_spec *s, uint8_t *p, size_t l4_len)
{
	switch (s->proto) {
	case IPPROTO_TCP:
		put16(p, s->sport);
		put16(p + 2, s->dport);
		p[12] = 5 << 4;
		p[13] = s->tcp_flags;
		put16(p + 14, 65535);
		break;
	case IPPROTO_UDP:
		put16(p, s->sport);
		put16(p + 2, s->dport);
		put16(p + 4, l4_len);
		break;
	case IPPROTO_ICMP: case IPPROTO_ICMPV6:
		p[0] = s->icmp_type;
		p[1] = s->icmp_code;
		put16(p + 4, s->sport);
		break;
	}
}

/* Builds the frame into buf (FRAME_MAX bytes); returns its length. */
static inline size_t build_frame(const struct frame_spec *s, uint8_t *buf)
{
	size_t off = 12, l4_len = l4_header_len(s) + s->payload, ip_len;
	uint16_t frag = s->frag_offset | (s->more_frags ? 0x2000 : 0);
	uint8_t *ip;

	memset(buf, 0, FRAME_MAX);
	memcpy(buf, "\x02\0\0\0\0\x01\x02\0\0\0\0\x02", 12);
	for (int i = 0; i < s->n_vlan; i++, off += 4) {
		put16(buf + off, 0x8100);
		put16(buf + off + 2, s->vlan[i]);
	}
	put16(buf + off, s->family == 4 ? 0x0800 : s->family == 6 ? 0x86dd : s->ethertype);
	ip = buf + off + 2;
	if (s->family == 4) {
		ip_len = 20 + l4_len;
		ip[0] = 0x45;
		put16(ip + 2, ip_len);
		put16(ip + 6, frag);
		ip[8] = 64;
		ip[9] = s->proto;
		inet_pton(AF_INET, s->src, ip + 12);
		inet_pton(AF_INET, s->dst, ip + 16);
		if (!s->frag_offset)
			build_l4(s, ip + 20, l4_len);
	} else if (s->family == 6) {
		size_t ext = s->ipv6_frag_hdr ? 8 : 0;

		ip_len = 40 + ext + l4_len;
		ip[0] = 0x60;
		put16(ip + 4, ext + l4_len);
		ip[6] = ext ? 44 : s->proto;
		ip[7] = 64;
		inet_pton(AF_INET6, s->src, ip + 8);
		inet_pton(AF_INET6, s->dst, ip + 24);
		if (ext) {
			ip[40] = s->proto;
			put16(ip + 42, (s->frag_offset << 3) | (s->more_frags ? 1 : 0));
		}
		if (!s->frag_offset)
			build_l4(s, ip + 40 + ext, l4_len);
	} else {
		ip_len = 46;
	}
	return off + 2 + ip_len;
}

/* The 16-byte key Flywall's maps use for an address (IPv4 as ::ffff:a.b.c.d). */
static inline void addr_key(const char *text, uint8_t out[16])
{
	memset(out, 0, 16);
	if (inet_pton(AF_INET6, text, out) == 1)
		return;
	out[10] = out[11] = 0xff;
	inet_pton(AF_INET, text, out + 12);
}

/* CLOCK_MONOTONIC in ns: the clock bpf_ktime_get_ns() reads (expiries, budgets). */
static inline uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

#endif
