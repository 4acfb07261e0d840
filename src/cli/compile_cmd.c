// SPDX-License-Identifier: MIT
/*
 * `flywall ebpf compile FILE.bpf.c [-o OUT.o] [-I DIR]... [--cache-dir DIR] [--json]`:
 * compiles through the engine's cached compiler and copies the object out.
 * Without -o the object is FILE's name with .bpf.c (or .c) replaced by .o,
 * in the current directory, as cc -c does.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <jansson.h>
#include <libgen.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/ebpf_cmds.h"
#include "common/file.h"
#include "ebpf/compiler.h"

#define MAX_INCLUDES 64

/* For usage errors; --help is the command table's (ebpf_cmd.c). */
static const char usage[] =
	"Usage: flywall ebpf compile FILE.bpf.c [-o OUT.o] [-I DIR]... [--cache-dir DIR] [--json]\n";

static void default_output(const char *source, char *out, size_t size)
{
	char copy[FW_PATH_MAX], *base, *ext;

	snprintf(copy, sizeof(copy), "%s", source);
	base = basename(copy);
	ext = strstr(base, ".bpf.c");
	if (!ext || ext[6])
		ext = strrchr(base, '.');
	if (ext && ext != base)
		*ext = '\0';
	snprintf(out, size, "%s.o", base);
}

struct compile_args {
	struct fw_compile_opts opts;
	const char *includes[MAX_INCLUDES];
	char output[FW_PATH_MAX];
	bool json;
};

/* 0 to go on, else the exit code of a usage error (2). */
static int parse_args(int argc, char **argv, struct compile_args *a)
{
	static const struct option long_opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "include", required_argument, NULL, 'I' },
		{ "cache-dir", required_argument, NULL, 'C' },
		{ "json", no_argument, NULL, 'j' },
		{ 0 },
	};
	int c;

	a->opts.include_dirs = a->includes;
	optind = 0;
	while ((c = getopt_long(argc, argv, "o:I:j", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			snprintf(a->output, sizeof(a->output), "%s", optarg);
			break;
		case 'I':
			if (a->opts.n_include_dirs == MAX_INCLUDES) {
				fprintf(stderr, "flywall ebpf compile: more than %d -I\n",
					MAX_INCLUDES);
				return 2;
			}
			a->includes[a->opts.n_include_dirs++] = optarg;
			break;
		case 'C':
			a->opts.cache_dir = optarg;
			break;
		case 'j':
			a->json = true;
			break;
		default:
			fputs(usage, stderr);
			return 2;
		}
	}
	if (optind != argc - 1) {
		fprintf(stderr, "flywall ebpf compile: %s\n%s",
			optind == argc ? "which file? (one .bpf.c)" : "one source file at a time",
			usage);
		return 2;
	}
	a->opts.source = argv[optind];
	if (!a->output[0])
		default_output(a->opts.source, a->output, sizeof(a->output));
	return 0;
}

static void print_json(json_t *root)
{
	json_dumpf(root, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
	json_decref(root);
}

/* Failure: clang's diagnostics as it printed them, then one summary line. */
static int report_failure(const struct compile_args *a, const char *msg, const char *detail)
{
	if (a->json) {
		print_json(json_pack("{s:s, s:s, s:s?}", "source", a->opts.source, "error", msg,
				     "diagnostics", detail));
	} else {
		if (detail)
			fputs(detail, stderr);
		fprintf(stderr, "flywall ebpf compile: %s\n", msg);
	}
	return 1;
}

static void report_success(const struct compile_args *a, const struct fw_compile_result *res)
{
	if (a->json) {
		print_json(json_pack("{s:s, s:s, s:s, s:b, s:s?}", "source", a->opts.source,
				     "output", a->output, "object", res->object,
				     "cached", res->cached, "diagnostics", res->diagnostics));
		return;
	}
	if (res->diagnostics)
		fputs(res->diagnostics, stderr);
	printf("%s %s -> %s\n", res->cached ? "cached" : "compiled", a->opts.source, a->output);
}

int fw_cmd_ebpf_compile(int argc, char **argv)
{
	struct compile_args args = {};
	struct fw_compile_result res;
	struct fw_error err = {};
	char msg[FW_PATH_MAX + 128];
	int ret;

	ret = parse_args(argc, argv, &args);
	if (ret)
		return ret;
	ret = fw_compile(&args.opts, &res, &err);
	if (ret) {
		ret = report_failure(&args, err.msg, err.detail);
		fw_error_clear(&err);
		return ret;
	}
	ret = fw_file_replace_copy(args.output, res.object);
	if (ret) {
		snprintf(msg, sizeof(msg), "cannot write %s: %s", args.output, strerror(-ret));
		ret = report_failure(&args, msg, NULL);
	} else {
		report_success(&args, &res);
	}
	fw_compile_result_release(&res);
	return ret;
}
