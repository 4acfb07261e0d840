/* SPDX-License-Identifier: MIT */
/*
 * The compiler: .bpf.c → .o with clang, against a vmlinux.h made from the
 * running kernel's BTF, cached by hash so an unchanged program is never
 * compiled twice.
 *
 * Cache layout (one directory, default /var/cache/flywall, or
 * $FLYWALL_CACHE_DIR):
 *   vmlinux/<btf-hash>/vmlinux.h   made once per kernel BTF (bpftool btf dump)
 *   objects/<key>.deps             the files the last compile of a source read
 *   objects/<result>.o, .log       an object and clang's warnings for it
 * <key> hashes the source bytes, the clang command line, clang's version and
 * the kernel BTF; <result> hashes <key> with the contents of every file the
 * compile included (from clang -MD), so a changed header recompiles too.
 * Every file is written under a temporary name and renamed into place, so
 * concurrent compiles never see half an object. Nothing is ever pruned: old
 * objects stay until someone removes the directory (it is only a cache).
 */
#ifndef FLYWALL_EBPF_COMPILER_H
#define FLYWALL_EBPF_COMPILER_H

#include <stdbool.h>
#include <stddef.h>

#include "common/error.h"
#include "ebpf/spec.h"

#define FW_DEFAULT_CACHE_DIR "/var/cache/flywall"

/* clang (and bpftool) run within these: a program that takes longer is
 * killed, one that needs more address space fails. Fixed here, never from a
 * request. A BPF program compiles in under a second and 150 MB. */
#define FW_COMPILE_TIME_LIMIT_S 120
#define FW_COMPILE_MEMORY_LIMIT (2048ul << 20)

struct fw_compile_opts {
	const char *source;             /* the .bpf.c file */
	const char *cache_dir;          /* NULL: $FLYWALL_CACHE_DIR, else the default */
	const char *const *include_dirs; /* user -I directories, searched first */
	size_t n_include_dirs;
	const char *clang;              /* NULL: $CLANG, else "clang" from PATH */
};

struct fw_compile_result {
	char object[FW_PATH_MAX];       /* the object, inside the cache */
	bool cached;                    /* reused: clang did not run */
	char *diagnostics;              /* clang's warnings (owned), NULL if none */
};

/*
 * Compiles opts->source, or finds it in the cache. Returns 0, or a negative
 * errno with err set: -EBADMSG when clang rejected the source (err->msg names
 * the file, err->detail holds clang's diagnostics as it printed them), other
 * errors for a missing file, an unusable cache directory or a missing tool.
 */
int fw_compile(const struct fw_compile_opts *opts, struct fw_compile_result *res,
	       struct fw_error *err);
void fw_compile_result_release(struct fw_compile_result *res);

/* Whether path names a source to compile (it ends in ".bpf.c"). */
bool fw_compile_is_source(const char *path);

/*
 * The one place a program's path becomes the object to load, for the
 * configuration (config check, the daemon) and POST /programs/load alike: a
 * .o is itself; a .bpf.c is compiled (cached by content hash, in the default
 * cache directory or $FLYWALL_CACHE_DIR) and the object in the cache is the
 * answer. With no flags but Flywall's own: nothing from a request reaches
 * clang's command line. Errors start with block, how the program is named to
 * the user ("xdp \"filter\""); a compile error carries clang's first error
 * at FILE:LINE:COL in err->msg, every diagnostic in err->detail: -EBADMSG.
 */
int fw_compile_program(const char *block, const char *path, char *object, size_t size,
		       struct fw_error *err);

/* fw_compile_program for each spec, its object replaced by what it resolves to. */
int fw_compile_program_sources(struct fw_prog_spec *specs, size_t n, struct fw_error *err);

/* The cache directory opts would use (for messages). */
const char *fw_compile_cache_dir(const struct fw_compile_opts *opts);

#endif
