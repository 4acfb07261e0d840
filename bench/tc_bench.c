// SPDX-License-Identifier: MIT
/*
 * ns/packet of ingress_filter and egress_shaper under BPF_PROG_TEST_RUN,
 * beside a bare TC program that returns TC_ACT_OK, in the same run.
 *
 *   tc_bench [REPEAT]     (default $BENCH_REPEAT, else 1,000,000; best of 5)
 *
 * ingress_filter runs with `conntrack` holding 100,000 other flows.
 */
#include <stdlib.h>

#include "bpf/bpf_test.h"
#include "flywall/conntrack.h"
#include "flywall/shaper.h"

#define ROUNDS 5
#define N_FLOWS 100000

static int repeat = 1000000;

/* Best of ROUNDS (see ddos_bench.c); prints one row. */
static void measure(const char *name, int prog_fd, const struct frame_spec *s)
{
	uint8_t frame[FRAME_MAX];
	size_t len = build_frame(s, frame);
	uint32_t best = UINT32_MAX, retval = 0;

	for (int r = 0; r < ROUNDS; r++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len,
			    .repeat = repeat);

		if (prog_fd < 0 || bpf_prog_test_run_opts(prog_fd, &opts)) {
			printf("| %s | error: %s | |\n", name, strerror(errno));
			return;
		}
		if (opts.duration < best)
			best = opts.duration;
		retval = opts.retval;
	}
	printf("| %s | %s | %u |\n", name, retval == 0 ? "ok" : retval == 2 ? "shot" :
	       retval == (uint32_t)-1 ? "unspec (pass)" : "?", best);
	fflush(stdout);
}

static int bare_ok(void)
{
	struct bpf_insn insns[] = {
		{ .code = BPF_ALU64 | BPF_MOV | BPF_K, .dst_reg = BPF_REG_0, .imm = 0 },
		{ .code = BPF_JMP | BPF_EXIT },
	};

	return bpf_prog_load(BPF_PROG_TYPE_SCHED_CLS, "bare_ok", "GPL", insns, 2, NULL);
}

/* Fills conntrack with established UDP flows 172.16.x.y:1000 <-> 10.0.0.1:53. */
static void fill_conntrack(struct bpf_object *obj)
{
	struct fw_ct_entry e = { .state = FW_CT_ESTABLISHED, .last_seen_ns = UINT64_MAX / 2 };
	int fd = bpf_test_map_fd(obj, "conntrack");

	for (uint32_t i = 0; i < N_FLOWS; i++) {
		struct fw_ct_key k = { .proto = IPPROTO_UDP, .lo_port = 53, .hi_port = 1000 };
		uint32_t a = htonl(0xac100001 + i);

		addr_key("10.0.0.1", k.lo_addr);
		addr_key("0.0.0.0", k.hi_addr);
		memcpy(k.hi_addr + 12, &a, 4);
		bpf_map_update_elem(fd, &k, &e, 0);
	}
}

int main(int argc, char **argv)
{
	struct frame_spec syn = { .family = 4, .src = "192.0.2.1", .dst = "10.0.0.1",
				  .proto = IPPROTO_TCP, .sport = 50000, .dport = 22,
				  .tcp_flags = T_SYN, .payload = 64 - 54 };
	struct frame_spec ack = syn, closed = syn, bad = syn;
	struct fw_ct_port_key ssh = { .port = 22, .proto = IPPROTO_TCP };
	struct bpf_object *ct, *shaper;
	uint32_t one = 1, police = FW_SHAPER_MODE_POLICE;
	uint64_t rate = 100000000000ull;
	int ok_fd = bare_ok(), ct_fd, shaper_fd;
	uint8_t frame[FRAME_MAX];

	if (argc > 1)
		repeat = atoi(argv[1]);
	else if (getenv("BENCH_REPEAT"))
		repeat = atoi(getenv("BENCH_REPEAT"));
	ct = bpf_test_load("ingress_filter");
	shaper = bpf_test_load("egress_shaper");
	if (ok_fd < 0 || !ct || !shaper) {
		fprintf(stderr, "tc_bench: cannot load the programs (root? built?)\n");
		return 1;
	}
	ct_fd = bpf_test_prog_fd(ct, "ingress_filter");
	shaper_fd = bpf_test_prog_fd(shaper, "egress_shaper");
	fill_conntrack(ct);
	bpf_map_update_elem(bpf_test_map_fd(ct, "allowed_ports"), &ssh, &one, 0);
	/* open the measured flow: SYN in, then the ACK is established */
	bpf_test_run_tc(ct_fd, frame, build_frame(&syn, frame), NULL);
	ack.tcp_flags = T_ACK;
	closed.dport = 23;
	bad.tcp_flags = T_SYN | T_FIN;

	printf("64-byte TCP/IPv4 frame, BPF_PROG_TEST_RUN repeat %d, best of %d; "
	       "conntrack holding %d flows\n\n", repeat, ROUNDS, N_FLOWS);
	printf("| program, case | verdict | ns/packet |\n|---|---|---|\n");
	measure("bare TC_ACT_OK (2 instructions)", ok_fd, &ack);
	measure("ingress_filter, established flow", ct_fd, &ack);
	measure("ingress_filter, new flow to a closed port", ct_fd, &closed);
	measure("ingress_filter, invalid TCP flags", ct_fd, &bad);
	measure("egress_shaper, htb mode (steer)", shaper_fd, &ack);
	bpf_test_set_global(shaper, "mode", &police, sizeof(police));
	bpf_test_set_global(shaper, "rate_bps", &rate, sizeof(rate));
	measure("egress_shaper, police mode, under the rate", shaper_fd, &ack);
	return 0;
}
