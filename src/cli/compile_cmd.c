// SPDX-License-Identifier: MIT
/*
 * `flywall ebpf compile FILE.bpf.c [-o OUT.o] [-I DIR]... [--cache-dir DIR]`:
 * compiles through the engine's cached compiler and copies the object out.
 * Without -o the object is FILE's name with .bpf.c (or .c) replaced by .o,
 * in the current directory, as cc -c does.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/ebpf_cmds.h"
#include "ebpf/compiler.h"

#define MAX_INCLUDES 64

static const char usage[] =
	"Usage: flywall ebpf compile FILE.bpf.c [-o OUT.o] [-I DIR]... [--cache-dir DIR]\n"
	"  Compiles with clang against the running kernel's vmlinux.h; an unchanged\n"
	"  program is taken from the cache (default " FW_DEFAULT_CACHE_DIR
	", or $FLYWALL_CACHE_DIR).\n"
	"  Flywall's headers (flywall/*.h, parse.h) are on the include path: found\n"
	"  beside the binary, or in $FLYWALL_INCLUDE_DIR (DIR[:DIR...]).\n";

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

/* Copies the cached object to path, replacing it in one rename. */
static int copy_out(const char *from, const char *path)
{
	char tmp[FW_PATH_MAX + 32], buf[65536];
	int in, out, ret = 0;
	ssize_t n;

	snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, getpid());
	in = open(from, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return -errno;
	out = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
	if (out < 0) {
		ret = -errno;
		close(in);
		return ret;
	}
	while ((n = read(in, buf, sizeof(buf))) > 0)
		if (write(out, buf, n) != n) {
			ret = -(errno ?: EIO);
			break;
		}
	if (n < 0)
		ret = -errno;
	close(in);
	if (close(out) && !ret)
		ret = -errno;
	if (!ret && rename(tmp, path))
		ret = -errno;
	if (ret)
		unlink(tmp);
	return ret;
}

int fw_cmd_ebpf_compile(int argc, char **argv)
{
	static const struct option long_opts[] = {
		{ "output", required_argument, NULL, 'o' },
		{ "include", required_argument, NULL, 'I' },
		{ "cache-dir", required_argument, NULL, 'C' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	const char *includes[MAX_INCLUDES];
	struct fw_compile_opts opts = { .include_dirs = includes };
	struct fw_compile_result res;
	struct fw_error err = {};
	char output[FW_PATH_MAX] = "";
	int c, ret;

	optind = 0;
	while ((c = getopt_long(argc, argv, "o:I:h", long_opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			snprintf(output, sizeof(output), "%s", optarg);
			break;
		case 'I':
			if (opts.n_include_dirs == MAX_INCLUDES) {
				fprintf(stderr, "flywall ebpf compile: more than %d -I\n",
					MAX_INCLUDES);
				return 2;
			}
			includes[opts.n_include_dirs++] = optarg;
			break;
		case 'C':
			opts.cache_dir = optarg;
			break;
		case 'h':
			fputs(usage, stdout);
			return 0;
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
	opts.source = argv[optind];
	if (!output[0])
		default_output(opts.source, output, sizeof(output));

	ret = fw_compile(&opts, &res, &err);
	if (ret) {
		if (err.detail)
			fputs(err.detail, stderr);
		fprintf(stderr, "flywall ebpf compile: %s\n", err.msg);
		fw_error_clear(&err);
		return 1;
	}
	if (res.diagnostics)
		fputs(res.diagnostics, stderr);
	ret = copy_out(res.object, output);
	if (ret)
		fprintf(stderr, "flywall ebpf compile: cannot write %s: %s\n", output,
			strerror(-ret));
	else
		printf("%s %s -> %s\n", res.cached ? "cached" : "compiled", opts.source, output);
	fw_compile_result_release(&res);
	return ret ? 1 : 0;
}
