// SPDX-License-Identifier: MIT
/*
 * ns/packet of ddos_filter under BPF_PROG_TEST_RUN, beside a bare XDP_DROP
 * and xdp-filter (xdp-tools' IP program for policy "allow", i.e. listed
 * sources are dropped) measured in the same run,
 * with the same 100,000-entry table of IPv4 sources.
 *
 *   ddos_bench [REPEAT]     (default $BENCH_REPEAT, else 1,000,000; best of 5)
 *
 * "same key": the one frame repeated. "random keys": bench/bpf/rand_src.bpf.c
 * writes a random source from 100,000 into each frame and tail-calls the
 * program; its own cost (tail-calling the bare drop) is listed, to subtract.
 * Needs $BUILD/bpf/ddos_filter.o and $BUILD/bench/rand_src.o (bench/run.sh).
 */
#include <stdlib.h>

#include "bpf/bpf_test.h"
#include "flywall/ddos.h"

#define N_KEYS 100000
#define ROUNDS 5
#define XDPFILT "/usr/lib/x86_64-linux-gnu/bpf/xdpfilt_alw_ip.o"

static int repeat = 1000000;
static uint8_t frame[FRAME_MAX];
static size_t frame_len;

static int cmp_u32(const void *a, const void *b)
{
	return (int)(*(const uint32_t *)a > *(const uint32_t *)b) -
	       (int)(*(const uint32_t *)a < *(const uint32_t *)b);
}

/* Best of ROUNDS of the kernel's per-repeat time; prints one row. The
 * best, not the median: the timer counts time other tasks take the CPU
 * from the loop, and this VM is shared. */
static void measure(const char *name, int prog_fd, uint32_t src_be)
{
	uint32_t ns[ROUNDS], retval = 0;

	memcpy(frame + 14 + 12, &src_be, 4);
	for (int r = 0; r < ROUNDS; r++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame,
			    .data_size_in = frame_len, .repeat = repeat);

		if (prog_fd < 0 || bpf_prog_test_run_opts(prog_fd, &opts)) {
			printf("| %s | error: %s | |\n", name, strerror(errno));
			return;
		}
		ns[r] = opts.duration;
		retval = opts.retval;
	}
	qsort(ns, ROUNDS, sizeof(ns[0]), cmp_u32);
	printf("| %s | %s | %u |\n", name,
	       retval == XDP_DROP ? "drop" : retval == XDP_PASS ? "pass" :
	       retval == XDP_ABORTED ? "aborted" : "?", ns[0]);
	fflush(stdout);
}

static int bare_drop(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = XDP_DROP },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	LIBBPF_OPTS(bpf_prog_load_opts, opts, .expected_attach_type = BPF_XDP);

	/* attach type XDP, as libbpf gives SEC("xdp"): tail calls need it */
	return bpf_prog_load(BPF_PROG_TYPE_XDP, "bare_drop", "GPL", insns, 2, &opts);
}

static uint32_t listed_addr(uint32_t i) { return htonl(0x0a000001 + i); }   /* 10.0.0.1+ */
static uint32_t unlisted_addr(uint32_t i) { return htonl(0xac100001 + i); } /* 172.16.0.1+ */

static struct bpf_object *load_ddos_filter(void)
{
	struct bpf_object *obj = bpf_test_open("ddos_filter");
	/* 1e9 pps: the bucket is still computed per packet, but a 1e9-pps
	 * loop from one source is not over it */
	uint64_t pps = 1000000000ull;
	struct fw_list_entry forever = { 0 };
	struct fw_addr key;
	int fd;

	if (!obj || bpf_test_set_global(obj, "max_pps", &pps, sizeof(pps)) ||
	    bpf_object__load(obj))
		return NULL;
	fd = bpf_test_map_fd(obj, "blocklist");
	for (uint32_t i = 0; i < N_KEYS; i++) {
		uint32_t a = listed_addr(i);

		memset(&key, 0, sizeof(key));
		key.addr[10] = key.addr[11] = 0xff;
		memcpy(key.addr + 12, &a, 4);
		if (bpf_map_update_elem(fd, &key, &forever, 0))
			return NULL;
	}
	return obj;
}

/* xdp-tools' xdp-filter deny program, its IPv4 table grown to N_KEYS and
 * filled with the same sources (flag 1 = match source address). */
static struct bpf_object *load_xdp_filter(void)
{
	int ncpu = libbpf_num_possible_cpus(), fd;
	struct bpf_object *obj;
	struct bpf_map *map;
	uint64_t *flags;

	if (access(XDPFILT, R_OK))
		return NULL;
	obj = bpf_object__open_file(XDPFILT, NULL);
	if (!obj)
		return NULL;
	bpf_object__for_each_map(map, obj)
		bpf_map__set_pin_path(map, NULL); /* it pins by name otherwise */
	bpf_map__set_max_entries(bpf_object__find_map_by_name(obj, "filter_ipv4"), N_KEYS);
	if (bpf_object__load(obj))
		return NULL;
	fd = bpf_test_map_fd(obj, "filter_ipv4");
	flags = calloc(ncpu, sizeof(*flags));
	for (int c = 0; c < ncpu; c++)
		flags[c] = 1;
	for (uint32_t i = 0; i < N_KEYS; i++) {
		uint32_t a = listed_addr(i);

		bpf_map_update_elem(fd, &a, flags, 0);
	}
	free(flags);
	return obj;
}

static int first_prog_fd(struct bpf_object *obj)
{
	struct bpf_program *p = obj ? bpf_object__next_program(obj, NULL) : NULL;

	return p ? bpf_program__fd(p) : -1;
}

/* Points the wrapper at target, with a random source from `addr(0..N)`. */
static void random_keys(struct bpf_object *wrap, int target_fd, uint32_t (*addr)(uint32_t))
{
	uint32_t zero = 0, n = N_KEYS;
	int fd = bpf_test_map_fd(wrap, "addrs");

	for (uint32_t i = 0; i < N_KEYS; i++) {
		uint32_t a = addr(i);

		bpf_map_update_elem(fd, &i, &a, 0);
	}
	bpf_test_set_global(wrap, "n_addrs", &n, sizeof(n));
	if (bpf_map_update_elem(bpf_test_map_fd(wrap, "next"), &zero, &target_fd, 0))
		fprintf(stderr, "ddos_bench: cannot tail-call program fd %d: %s\n",
			target_fd, strerror(errno));
}

int main(int argc, char **argv)
{
	struct frame_spec udp = { .family = 4, .src = "10.0.0.1", .dst = "192.0.2.1",
				  .proto = IPPROTO_UDP, .sport = 1234, .dport = 80,
				  .payload = 64 - 42 };
	struct bpf_object *ddos, *xfilt, *wrap;
	const char *build = getenv("BUILD");
	char path[4096];
	int drop_fd, ddos_fd, xfilt_fd, wrap_fd;

	if (argc > 1)
		repeat = atoi(argv[1]);
	else if (getenv("BENCH_REPEAT"))
		repeat = atoi(getenv("BENCH_REPEAT"));
	frame_len = build_frame(&udp, frame);
	drop_fd = bare_drop();
	ddos = load_ddos_filter();
	xfilt = load_xdp_filter();
	snprintf(path, sizeof(path), "%s/bench/rand_src.o", build && *build ? build : "build");
	wrap = bpf_object__open_file(path, NULL);
	if (wrap && bpf_object__load(wrap))
		wrap = NULL;
	if (drop_fd < 0 || !ddos || !wrap) {
		fprintf(stderr, "ddos_bench: cannot load the programs (root? %s built?)\n", path);
		return 1;
	}
	ddos_fd = bpf_test_prog_fd(ddos, "ddos_filter");
	xfilt_fd = first_prog_fd(xfilt);
	wrap_fd = bpf_test_prog_fd(wrap, "rand_src");

	printf("64-byte UDP/IPv4 frame, BPF_PROG_TEST_RUN repeat %d, best of %d; "
	       "tables of %d IPv4 sources\n\n", repeat, ROUNDS, N_KEYS);
	printf("| program, case | verdict | ns/packet |\n|---|---|---|\n");
	measure("bare XDP_DROP (2 instructions)", drop_fd, listed_addr(0));
	measure("ddos_filter, same key, blocklisted", ddos_fd, listed_addr(500));
	measure("ddos_filter, same key, not listed (full pass path)", ddos_fd,
		unlisted_addr(0));
	{
		uint64_t off = 0, on = 1000000000ull;

		bpf_test_set_global(ddos, "max_pps", &off, sizeof(off));
		measure("ddos_filter, same key, not listed, max_pps = 0 (no limiter)", ddos_fd,
			unlisted_addr(0));
		bpf_test_set_global(ddos, "max_pps", &on, sizeof(on));
	}
	if (xfilt) {
		measure("xdp-filter (ip, policy allow), same key, listed", xfilt_fd, listed_addr(500));
		measure("xdp-filter (ip, policy allow), same key, not listed", xfilt_fd, unlisted_addr(0));
	}
	random_keys(wrap, drop_fd, listed_addr);
	measure("random-key wrapper + bare XDP_DROP (overhead)", wrap_fd, 0);
	random_keys(wrap, ddos_fd, listed_addr);
	measure("wrapper + ddos_filter, random keys, blocklisted", wrap_fd, 0);
	random_keys(wrap, ddos_fd, unlisted_addr);
	measure("wrapper + ddos_filter, random keys, not listed", wrap_fd, 0);
	if (xfilt) {
		random_keys(wrap, xfilt_fd, listed_addr);
		measure("wrapper + xdp-filter, random keys, listed", wrap_fd, 0);
		random_keys(wrap, xfilt_fd, unlisted_addr);
		measure("wrapper + xdp-filter, random keys, not listed", wrap_fd, 0);
	} else {
		printf("\n(xdp-filter not measured: %s not found)\n", XDPFILT);
	}
	return 0;
}
