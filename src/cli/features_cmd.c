// SPDX-License-Identifier: MIT
/* `flywall ebpf features [--json]`: what this kernel supports, found by trying. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli/ebpf_cmds.h"
#include "ebpf/features.h"

static const char usage[] = "Usage: flywall ebpf features [--json]\n";

static void print_result(const char *name, const struct fw_probe_result *r, const char *note)
{
	if (r->ok)
		printf("  %-18s yes%s%s\n", name, note ? "   " : "", note ? note : "");
	else if (!r->tried)
		printf("  %-18s -      %s\n", name, r->detail);
	else
		printf("  %-18s NO     %s: %s%s%s\n", name, strerrorname_np(-r->err) ?: "?",
		       strerror(-r->err), note ? "   " : "", note ? note : "");
	if (r->tried && !r->ok && r->detail[0])
		printf("  %-18s        %s\n", "", r->detail);
}

/* libbpf's probe is shown only where it disagrees with what really happened. */
static const char *libbpf_note(const struct fw_features *f, int p)
{
	if (f->libbpf_says[p] < 0 || (f->libbpf_says[p] > 0) == f->prog[p].ok)
		return NULL;
	return f->libbpf_says[p] ? "(libbpf's probe wrongly says yes)"
				 : "(libbpf's probe wrongly says no)";
}

/* Where libbpf's probe says the program type works, yet attaching fails. */
static const char *attach_note(const struct fw_features *f, int a)
{
	enum fw_prog_probe p = fw_attach_probe_prog(a);

	if (f->attach[a].ok || !f->attach[a].tried || f->libbpf_says[p] <= 0)
		return NULL;
	return "(libbpf's probe says yes: it only loads a program)";
}

static void print_table(const struct fw_features *f)
{
	printf("Kernel %s, probed in %.0f ms (every line below was tried for real)\n",
	       f->kernel, f->probe_ms);
	if (geteuid() != 0)
		printf("Not running as root: most probes need CAP_BPF, CAP_NET_ADMIN and "
		       "CAP_SYS_ADMIN, so failures below may only mean missing privileges.\n");
	printf("\nProgram types (a tiny program of each, loaded alone)\n");
	for (int p = 0; p < FW_PROBE_PROG__COUNT; p++)
		print_result(fw_prog_probe_name(p), &f->prog[p], libbpf_note(f, p));
	printf("\nMap types (one of each, created)\n");
	for (int m = 0; m < FW_PROBE_MAP__COUNT; m++)
		print_result(fw_map_probe_name(m), &f->map[m], NULL);
	printf("\nAttach points (attached, then detached; packet hooks on a veth "
	       "in a throw-away network namespace)\n");
	for (int a = 0; a < FW_PROBE_ATTACH__COUNT; a++)
		print_result(fw_attach_probe_name(a), &f->attach[a], attach_note(f, a));
	printf("\nHooks (how a block of each type attaches here)\n");
	for (int h = 0; h < FW_HOOK__COUNT; h++) {
		enum fw_attach_probe a = fw_features_hook_attach(f, h);

		printf("  %-18s %s\n", fw_hook_name(h),
		       a < FW_PROBE_ATTACH__COUNT ? fw_attach_probe_name(a) : "NO: none of its attach points works");
	}
	printf("\nRuntime\n");
	printf("  %-18s %d\n", "bpf_jit_enable", f->jit_enable);
	print_result("jited", &f->jited, NULL);
	print_result("vmlinux BTF", &f->btf, NULL);
	if (f->btf.ok)
		printf("  %-18s %u\n", "BTF types", f->btf_types);
	printf("  %-18s %d\n", "bpf_stats_enabled", f->stats_enabled);
	print_result("enable_stats", &f->stats, NULL);
	printf("  %-18s %s\n", "bpffs", f->bpffs_mounted ? "mounted at /sys/fs/bpf" :
	       "not mounted (mount -t bpf bpf /sys/fs/bpf)");
	printf("  %-18s %s\n", "tracefs", f->tracefs_mounted ? "mounted at /sys/kernel/tracing" :
	       "not mounted (mount -t tracefs tracefs /sys/kernel/tracing)");
}

int fw_cmd_ebpf_features(int argc, char **argv)
{
	struct fw_features features;
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0) {
			json = true;
		} else {
			fprintf(stderr, "flywall ebpf features: unknown argument '%s'\n%s",
				argv[i], usage);
			return 2;
		}
	}
	fw_features_probe(&features);
	if (json) {
		json_t *root = fw_features_to_json(&features);

		json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(4));
		putchar('\n');
		json_decref(root);
	} else {
		print_table(&features);
	}
	return 0;
}
