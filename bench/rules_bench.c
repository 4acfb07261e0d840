// SPDX-License-Identifier: MIT
/*
 * ns/packet of ddos_filter's rule plane with 10 and with 10,000 rules, side
 * by side in one run, under BPF_PROG_TEST_RUN (the same frame repeated in
 * the kernel: a relative comparison of the two rule sets, not a packet rate).
 * Also: how long the compiler takes to make each set live.
 *
 *   rules_bench [REPEAT]    (default 1,000,000 per round; ROUNDS rounds,
 *                            the sets alternate; the table gives medians)
 *
 * Rule i of a set of N: drop tcp src 100.(i/256).(i%256).0/24 dport 1000+i%5000,
 * then one last "count tcp" rule that every TCP packet reaches. Frames:
 *   port-shared  TCP to port 1000 from a source no rule names: the port key
 *                and the /0 source entry exist; the walk reaches the count rule
 *   hit-last     TCP from the last drop rule's /24 to its port: dropped
 *   hit-first    TCP from rule 0's /24 to its port: dropped
 *   udp          UDP to port 53: no key of the set (the early exit)
 * Needs $BUILD/bpf/ddos_filter.o.
 */
#include <stdlib.h>
#include <time.h>

#include "bpf/bpf_test.h"
#include "ebpf/rules.h"

#define ROUNDS 7

static int repeat = 1000000;

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static int cmp_u32(const void *a, const void *b)
{
	return (int)(*(const uint32_t *)a > *(const uint32_t *)b) -
	       (int)(*(const uint32_t *)a < *(const uint32_t *)b);
}

struct set {
	int n;
	struct bpf_object *obj;
	int prog;
	double compile_s;
};

static struct fw_rule_def make_rule(int i, int n)
{
	char name[32], src[32], port[16];
	struct fw_rule_fields f = { name, "drop", "tcp", src, NULL, port, NULL, -1 };
	struct fw_rule_def d;
	struct fw_error err = { 0 };
	char field[32];

	snprintf(name, sizeof(name), "r%d", i);
	snprintf(src, sizeof(src), "100.%d.%d.0/24", i / 256, i % 256);
	snprintf(port, sizeof(port), "%d", 1000 + i % 5000);
	if (getenv("RULES_BENCH_NO_SRC"))
		f.src = NULL;
	if (i == n) { /* the last: count every tcp packet */
		f.action = "count";
		f.src = f.dport = NULL;
	}
	if (fw_rule_from_fields(&f, &d, field, sizeof(field), &err)) {
		fprintf(stderr, "rule %d: %s\n", i, err.msg);
		exit(1);
	}
	return d;
}

static int set_up(struct set *s)
{
	struct fw_rule_def *defs = calloc(s->n + 1, sizeof(*defs));
	struct fw_error err = { 0 };
	struct fw_rules_maps m;
	double t;

	s->obj = bpf_test_load("ddos_filter");
	if (!s->obj || !defs)
		return -1;
	s->prog = bpf_test_prog_fd(s->obj, "ddos_filter");
	m = (struct fw_rules_maps){
		bpf_test_map_fd(s->obj, "rule_ctl"), bpf_test_map_fd(s->obj, "rule_ports"),
		bpf_test_map_fd(s->obj, "rule_addrs"),
		bpf_test_map_fd(s->obj, "rule_defs"), bpf_test_map_fd(s->obj, "rule_counters"),
		bpf_test_map_fd(s->obj, "rule_rate"),
	};
	for (int i = 0; i <= s->n; i++)
		defs[i] = make_rule(i, s->n);
	t = now_s();
	if (fw_rules_apply(&m, defs, s->n + 1, &err)) {
		fprintf(stderr, "apply %d rules: %s\n", s->n, err.msg);
		return -1;
	}
	s->compile_s = now_s() - t;
	free(defs);
	/* per-source bookkeeping off: this measures the rules */
	uint32_t zero = 0;
	uint64_t no_limit = 0;

	bpf_test_set_global(s->obj, "track_sources", &zero, sizeof(zero));
	bpf_test_set_global(s->obj, "max_pps", &no_limit, sizeof(no_limit));
	return 0;
}

static uint32_t run(const struct set *s, const struct frame_spec *f, uint32_t *retval)
{
	uint8_t frame[FRAME_MAX];
	size_t len = build_frame(f, frame);
	LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
		    .repeat = repeat);

	if (bpf_prog_test_run_opts(s->prog, &opts)) {
		fprintf(stderr, "test run: %s\n", strerror(errno));
		exit(1);
	}
	*retval = opts.retval;
	return opts.duration;
}

int main(int argc, char **argv)
{
	struct set sets[] = { { .n = 10 }, { .n = 10000 } };
	char src_last[2][32], src0[] = "100.0.0.9";
	struct {
		const char *name;
		struct frame_spec f[2];
	} kinds[] = {
		{ "port-shared", { { .family = 4, .src = "192.0.2.1", .dst = "10.0.0.1",
				     .proto = IPPROTO_TCP, .sport = 4000, .dport = 1000,
				     .tcp_flags = T_SYN } } },
		{ "hit-last", { { 0 } } },
		{ "hit-first", { { .family = 4, .src = src0, .dst = "10.0.0.1",
				   .proto = IPPROTO_TCP, .sport = 4000, .dport = 1000,
				   .tcp_flags = T_SYN } } },
		{ "udp", { { .family = 4, .src = "192.0.2.1", .dst = "10.0.0.1",
			     .proto = IPPROTO_UDP, .sport = 4000, .dport = 53, .payload = 18 } } },
	};
	uint32_t ns[4][2][ROUNDS], verdict[4][2];

	if (argc > 1)
		repeat = atoi(argv[1]);
	for (int s = 0; s < 2; s++) {
		int last = sets[s].n - 1;

		if (set_up(&sets[s]))
			return 1;
		snprintf(src_last[s], sizeof(src_last[s]), "100.%d.%d.9", last / 256, last % 256);
		kinds[1].f[s] = (struct frame_spec){ .family = 4, .src = src_last[s],
			.dst = "10.0.0.1", .proto = IPPROTO_TCP, .sport = 4000,
			.dport = 1000 + last % 5000, .tcp_flags = T_SYN };
		if (s) {
			kinds[0].f[1] = kinds[0].f[0];
			kinds[2].f[1] = kinds[2].f[0];
			kinds[3].f[1] = kinds[3].f[0];
		}
	}
	for (int r = 0; r < ROUNDS; r++)
		for (int k = 0; k < 4; k++)
			for (int s = 0; s < 2; s++)
				ns[k][s][r] = run(&sets[s], &kinds[k].f[s], &verdict[k][s]);
	printf("| frame | verdict | 10 rules ns/pkt | 10,000 rules ns/pkt | ratio |\n");
	printf("|---|---|---|---|---|\n");
	for (int k = 0; k < 4; k++) {
		for (int s = 0; s < 2; s++)
			qsort(ns[k][s], ROUNDS, sizeof(uint32_t), cmp_u32);
		printf("| %s | %s | %u | %u | %.2f |\n", kinds[k].name,
		       verdict[k][1] == XDP_DROP ? "drop" : "pass", ns[k][0][ROUNDS / 2],
		       ns[k][1][ROUNDS / 2], (double)ns[k][1][ROUNDS / 2] / ns[k][0][ROUNDS / 2]);
	}
	printf("\ncompile + generation switch: 10 rules %.1f ms, 10,000 rules %.1f ms\n",
	       sets[0].compile_s * 1e3, sets[1].compile_s * 1e3);
	for (int s = 0; s < 2; s++)
		bpf_object__close(sets[s].obj);
	return 0;
}
