// SPDX-License-Identifier: MIT
/*
 * Test helper for tests/e2e/test_shaper.sh: sets up egress shaping on an
 * interface the way the engine does (fw_shaping_apply + egress_shaper on tc
 * egress), and tears it down. Run inside the namespace of the interface.
 *
 *   shaper_tool attach IFNAME RATE_BPS BURST_BITS PIN_DIR   prints the mode
 *   shaper_tool detach IFNAME
 *   shaper_tool counter PIN_DIR INDEX                        prints the sum
 */
#include <net/if.h>

#include "bpf/bpf_test.h"
#include "ebpf/loader.h"
#include "ebpf/shaping.h"

static int attach(const char *ifname, const struct fw_shaping *s, const char *pin_dir)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_EGRESS);
	LIBBPF_OPTS(bpf_tc_opts, tc, .handle = 1, .priority = 1);
	struct fw_arg args[FW_SHAPING_N_ARGS];
	struct fw_error err = { 0 };
	struct bpf_object *obj;
	char mode[16], pin[4096];
	int ifindex = if_nametoindex(ifname), ret;

	if (!ifindex || fw_shaping_apply(ifindex, s, mode, sizeof(mode), &err)) {
		fprintf(stderr, "shaper_tool: %s\n", ifindex ? err.msg : "no such interface");
		return 1;
	}
	fw_shaping_program_args(s, mode, args);
	obj = bpf_test_open("egress_shaper");
	if (!obj)
		return 1;
	for (int i = 0; i < FW_SHAPING_N_ARGS; i++) {
		uint32_t v32 = args[i].i;
		uint64_t v64 = args[i].i;

		if (bpf_test_set_global(obj, args[i].name, &v32, sizeof(v32)) &&
		    bpf_test_set_global(obj, args[i].name, &v64, sizeof(v64))) {
			fprintf(stderr, "shaper_tool: no global %s\n", args[i].name);
			return 1;
		}
	}
	if (bpf_object__load(obj))
		return 1;
	hook.ifindex = ifindex;
	/* clsact may be there from an earlier attach: quiet libbpf's report */
	libbpf_print_fn_t print = libbpf_set_print(NULL);
	ret = bpf_tc_hook_create(&hook);
	libbpf_set_print(print);
	if (ret && ret != -EEXIST)
		return 1;
	tc.prog_fd = bpf_test_prog_fd(obj, "egress_shaper");
	tc.flags = BPF_TC_F_REPLACE;
	if (bpf_tc_attach(&hook, &tc))
		return 1;
	snprintf(pin, sizeof(pin), "%s/shaper_counters", pin_dir);
	unlink(pin);
	if (bpf_map__pin(bpf_object__find_map_by_name(obj, "shaper_counters"), pin))
		return 1;
	printf("%s\n", mode);
	return 0;
}

static int detach(const char *ifname)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .attach_point = BPF_TC_INGRESS | BPF_TC_EGRESS);
	struct fw_error err = { 0 };
	int ifindex = if_nametoindex(ifname);

	hook.ifindex = ifindex;
	bpf_tc_hook_destroy(&hook);
	if (fw_shaping_remove(ifindex, &err)) {
		fprintf(stderr, "shaper_tool: %s\n", err.msg);
		return 1;
	}
	return 0;
}

static int counter(const char *pin_dir, uint32_t index)
{
	int ncpu = libbpf_num_possible_cpus(), fd;
	uint64_t values[ncpu], sum = 0;
	char pin[4096];

	snprintf(pin, sizeof(pin), "%s/shaper_counters", pin_dir);
	fd = bpf_obj_get(pin);
	if (fd < 0 || bpf_map_lookup_elem(fd, &index, values))
		return 1;
	for (int i = 0; i < ncpu; i++)
		sum += values[i];
	printf("%llu\n", (unsigned long long)sum);
	return 0;
}

int main(int argc, char **argv)
{
	fw_loader_init();       /* libbpf's notes go to the debug log, as in the daemon */
	if (argc == 6 && !strcmp(argv[1], "attach")) {
		struct fw_shaping s = { .set = true, .rate_bps = strtoull(argv[3], NULL, 10),
					.burst_bits = strtoull(argv[4], NULL, 10) };

		return attach(argv[2], &s, argv[5]);
	}
	if (argc == 3 && !strcmp(argv[1], "detach"))
		return detach(argv[2]);
	if (argc == 4 && !strcmp(argv[1], "counter"))
		return counter(argv[2], strtoul(argv[3], NULL, 10));
	fprintf(stderr, "usage: shaper_tool attach IFNAME RATE_BPS BURST_BITS PIN_DIR | "
		"detach IFNAME | counter PIN_DIR INDEX\n");
	return 2;
}
