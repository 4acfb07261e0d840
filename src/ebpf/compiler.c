// SPDX-License-Identifier: MIT
/* The BPF compiler and its cache; the layout is described in compiler.h. */
#include "ebpf/compiler.h"

#include <errno.h>
#include <fcntl.h>
#include <time.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include "common/file.h"
#include "common/sha256.h"

#define KERNEL_BTF "/sys/kernel/btf/vmlinux"
/* Leaves room in FW_PATH_MAX for what the cache keeps under it. */
#define CACHE_PATH_MAX 3800

extern char **environ;

/* ---- small helpers: a growable argv, files, directories ---- */

struct strv {
	char **v;       /* NULL-terminated */
	size_t n, cap;
};

static int strv_push(struct strv *s, const char *str)
{
	if (s->n + 2 > s->cap) {
		size_t cap = s->cap ? 2 * s->cap : 16;
		char **v = realloc(s->v, cap * sizeof(*v));

		if (!v)
			return -ENOMEM;
		s->v = v;
		s->cap = cap;
	}
	if (!(s->v[s->n] = strdup(str)))
		return -ENOMEM;
	s->v[++s->n] = NULL;
	return 0;
}

static int strv_pushf(struct strv *s, const char *fmt, const char *arg)
{
	char buf[FW_PATH_MAX + 16];

	snprintf(buf, sizeof(buf), fmt, arg);
	return strv_push(s, buf);
}

static void strv_free(struct strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	*s = (struct strv){};
}

/* Reads a whole file, NUL-terminated. 0 or a negative errno. */
static int read_file(const char *path, char **out, size_t *len)
{
	FILE *f = fopen(path, "re");
	char *buf = NULL;
	size_t cap = 0, n = 0, got;

	if (!f)
		return -errno;
	do {
		if (cap - n < 4096) {
			char *grown = realloc(buf, cap = cap ? 2 * cap : 16384);

			if (!grown) {
				free(buf);
				fclose(f);
				return -ENOMEM;
			}
			buf = grown;
		}
		got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
	} while (got);
	fclose(f);
	buf[n] = '\0';
	*out = buf;
	if (len)
		*len = n;
	return 0;
}

static int mkdir_p(const char *path)
{
	char buf[FW_PATH_MAX];

	snprintf(buf, sizeof(buf), "%s", path);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(buf, 0755) && errno != EEXIST)
			return -errno;
		*p = '/';
	}
	if (mkdir(buf, 0755) && errno != EEXIST)
		return -errno;
	return 0;
}

static bool is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static off_t file_size(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 ? st.st_size : 0;
}

static bool is_dir(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

/* A name in dir no other process uses, for write-then-rename. */
static void temp_path(char *buf, size_t size, const char *dir, const char *name)
{
	static unsigned int counter;

	snprintf(buf, size, "%.3900s/.%.32s.%d.%u.tmp", dir, name, getpid(), counter++);
}

/* ---- running tools: argv straight to execve, no shell, within limits ---- */

/* The program name is found in PATH, as a shell would, but here: the child
 * only calls what is safe between fork and exec in a threaded daemon. */
static int find_in_path(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH");

	if (strchr(name, '/')) {
		if ((size_t)snprintf(out, size, "%s", name) >= size)
			return -ENAMETOOLONG;
		return access(out, X_OK) ? -errno : 0;
	}
	if (!path || !path[0])
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; *p;) {
		size_t len = strcspn(p, ":");

		if (len && (size_t)snprintf(out, size, "%.*s/%s", (int)len, p, name) < size &&
		    access(out, X_OK) == 0)
			return 0;
		p += len + (p[len] == ':');
	}
	return -ENOENT;
}

/* In the child: stdio, the limits, the program. Only async-signal-safe calls. */
static void exec_child(const char *exe, char *const argv[], int in, int out, int err)
{
	struct rlimit as = { FW_COMPILE_MEMORY_LIMIT, FW_COMPILE_MEMORY_LIMIT };
	struct rlimit cpu = { FW_COMPILE_TIME_LIMIT_S, FW_COMPILE_TIME_LIMIT_S + 5 };

	if (dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(err, 2) < 0 ||
	    setrlimit(RLIMIT_AS, &as) || setrlimit(RLIMIT_CPU, &cpu))
		_exit(126);
	execve(exe, argv, environ);
	_exit(127);
}

/* Waits for pid up to the time limit, then kills it. 0 with its status, or
 * -ETIMEDOUT when it had to be killed. */
static int wait_limited(pid_t pid, int *wstatus)
{
	const struct timespec tick = { 0, 10 * 1000 * 1000 };
	long ticks = FW_COMPILE_TIME_LIMIT_S * 100L;
	pid_t got;

	while ((got = waitpid(pid, wstatus, WNOHANG)) == 0 && ticks-- > 0)
		nanosleep(&tick, NULL);
	if (got == pid)
		return 0;
	if (got < 0 && errno != EINTR)
		return -errno;
	kill(pid, SIGKILL);
	while (waitpid(pid, wstatus, 0) < 0 && errno == EINTR)
		;
	return got < 0 ? -EINTR : -ETIMEDOUT;
}

/*
 * Runs argv[0] (searched in PATH) with stdout and stderr sent to the given
 * files (NULL: /dev/null), never through a shell, its address space and CPU
 * time limited and killed past the time limit. Sets *status to its exit
 * status. Returns 0 when it ran, -ETIMEDOUT when it was killed for taking too
 * long, or a negative errno when it could not be started.
 */
static int run_tool(char *const argv[], const char *out_path, const char *err_path,
		    int *status)
{
	int flags = O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, fds[3], wstatus, ret;
	char exe[PATH_MAX];
	pid_t pid;

	ret = find_in_path(argv[0], exe, sizeof(exe));
	if (ret)
		return ret;
	fds[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
	fds[1] = open(out_path ?: "/dev/null", flags, 0644);
	fds[2] = open(err_path ?: "/dev/null", flags, 0644);
	if (fds[0] < 0 || fds[1] < 0 || fds[2] < 0) {
		ret = -errno;
	} else {
		pid = fork();
		if (pid == 0)
			exec_child(exe, argv, fds[0], fds[1], fds[2]);
		ret = pid < 0 ? -errno : wait_limited(pid, &wstatus);
	}
	for (int i = 0; i < 3; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	if (ret)
		return ret;
	if (WIFSIGNALED(wstatus) && WTERMSIG(wstatus) == SIGXCPU)
		return -ETIMEDOUT;
	*status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus) : 128 + WTERMSIG(wstatus);
	return 0;
}

/* ---- the pieces of a compile ---- */

struct compile {
	const struct fw_compile_opts *opts;
	char source[FW_PATH_MAX];       /* absolute */
	char cache[FW_PATH_MAX];        /* absolute */
	char objects[FW_PATH_MAX];      /* cache/objects */
	char btf_hash[FW_SHA256_HEX_LEN];
	char vmlinux_dir[FW_PATH_MAX];
	const char *clang;
	struct strv argv;               /* clang and its flags, output excluded */
	char key[FW_SHA256_HEX_LEN];
};

const char *fw_compile_cache_dir(const struct fw_compile_opts *opts)
{
	const char *env = getenv("FLYWALL_CACHE_DIR");

	if (opts && opts->cache_dir && opts->cache_dir[0])
		return opts->cache_dir;
	return env && env[0] ? env : FW_DEFAULT_CACHE_DIR;
}

static int open_cache(struct compile *c, struct fw_error *err)
{
	const char *dir = fw_compile_cache_dir(c->opts);
	int ret;

	ret = mkdir_p(dir);
	if (!ret && !realpath(dir, c->cache))
		ret = -errno;
	if (!ret && strlen(c->cache) > CACHE_PATH_MAX)
		ret = -ENAMETOOLONG;
	if (!ret) {
		snprintf(c->objects, sizeof(c->objects), "%.3900s/objects", c->cache);
		ret = mkdir_p(c->objects);
	}
	if (ret)
		return fw_error_set(err, ret, "cache directory %s: %s (choose another with "
				    "--cache-dir or FLYWALL_CACHE_DIR)", dir, strerror(-ret));
	return 0;
}

/* vmlinux.h for the running kernel, made once per kernel BTF. */
static int ensure_vmlinux_h(struct compile *c, struct fw_error *err)
{
	char header[FW_PATH_MAX], tmp[FW_PATH_MAX], errors[FW_PATH_MAX];
	char *argv[] = { "bpftool", "btf", "dump", "file", KERNEL_BTF, "format", "c", NULL };
	int ret, status;

	ret = fw_sha256_file_hex(KERNEL_BTF, c->btf_hash);
	if (ret)
		return fw_error_set(err, ret, "%s: %s (the kernel needs CONFIG_DEBUG_INFO_BTF=y "
				    "to compile against it)", KERNEL_BTF, strerror(-ret));
	snprintf(c->vmlinux_dir, sizeof(c->vmlinux_dir), "%.3900s/vmlinux/%.16s", c->cache,
		 c->btf_hash);
	snprintf(header, sizeof(header), "%.4000s/vmlinux.h", c->vmlinux_dir);
	if (is_file(header))
		return 0;
	ret = mkdir_p(c->vmlinux_dir);
	if (ret)
		return fw_error_set(err, ret, "%s: %s", c->vmlinux_dir, strerror(-ret));
	temp_path(tmp, sizeof(tmp), c->vmlinux_dir, "vmlinux.h");
	temp_path(errors, sizeof(errors), c->vmlinux_dir, "bpftool.err");
	ret = run_tool(argv, tmp, errors, &status);
	if (ret) {
		fw_error_set(err, ret, "cannot run bpftool to make vmlinux.h: %s "
			     "(install bpftool)", strerror(-ret));
	} else if (status) {
		char *text = NULL;

		read_file(errors, &text, NULL);
		fw_error_set(err, EIO, "bpftool btf dump %s failed (exit status %d): %s",
			     KERNEL_BTF, status, text ? text : "");
		free(text);
		ret = -EIO;
	} else if (!is_file(tmp) || !file_size(tmp)) {
		ret = fw_error_set(err, EIO, "bpftool btf dump %s wrote nothing", KERNEL_BTF);
	} else if (rename(tmp, header)) {
		ret = fw_error_set(err, errno, "%s: %s", header, strerror(errno));
	}
	unlink(tmp);
	unlink(errors);
	return ret;
}

/* "x86" for -D__TARGET_ARCH_x86, as libbpf's bpf_tracing.h expects. */
static const char *target_arch(void)
{
	static const struct { const char *machine, *arch; } arches[] = {
		{ "x86_64", "x86" }, { "aarch64", "arm64" }, { "s390x", "s390" },
		{ "ppc64le", "powerpc" }, { "riscv64", "riscv" }, { "loongarch64", "loongarch" },
	};
	struct utsname uts;

	if (uname(&uts) == 0)
		for (size_t i = 0; i < sizeof(arches) / sizeof(arches[0]); i++)
			if (strcmp(uts.machine, arches[i].machine) == 0)
				return arches[i].arch;
	return "x86";
}

/* Adds -IDIR when dir exists, by its real path. */
static int push_include_if_dir(struct strv *argv, const char *dir)
{
	char real[PATH_MAX];

	if (!is_dir(dir) || !realpath(dir, real))
		return 0;
	return strv_pushf(argv, "-I%s", real);
}

/*
 * Flywall's own headers (include/flywall/, bpf/lib/): from
 * $FLYWALL_INCLUDE_DIR (colon-separated) when set, else beside the binary:
 * <prefix>/include and <prefix>/include/flywall/bpf for an installed flywall
 * (make install puts them there), the source tree's include/ and bpf/lib/
 * for one run from its build directory.
 */
static int push_flywall_includes(struct strv *argv)
{
	const char *env = getenv("FLYWALL_INCLUDE_DIR");
	char exe[PATH_MAX], dir[PATH_MAX + 32];
	ssize_t n;
	int ret = 0;

	if (env && env[0]) {
		char *copy = strdup(env), *save = NULL;

		if (!copy)
			return -ENOMEM;
		for (char *d = strtok_r(copy, ":", &save); d && !ret; d = strtok_r(NULL, ":", &save))
			ret = push_include_if_dir(argv, d);
		free(copy);
		return ret;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n <= 0)
		return 0;
	exe[n] = '\0';
	*strrchr(exe, '/') = '\0';
	snprintf(dir, sizeof(dir), "%s/../include/flywall", exe);
	if (is_dir(dir)) {
		snprintf(dir, sizeof(dir), "%s/../include", exe);
		ret = push_include_if_dir(argv, dir);
	}
	snprintf(dir, sizeof(dir), "%s/../include/flywall/bpf", exe);
	ret = ret ?: push_include_if_dir(argv, dir);
	snprintf(dir, sizeof(dir), "%s/../bpf/lib", exe);
	return ret ?: push_include_if_dir(argv, dir);
}

/* The first line a tool prints for argv ("" when it fails). */
static void tool_line(const struct compile *c, char *const argv[], char *line, size_t size)
{
	char out[FW_PATH_MAX], *text = NULL;
	int status = -1;

	line[0] = '\0';
	temp_path(out, sizeof(out), c->objects, "tool-out");
	if (run_tool(argv, out, NULL, &status) == 0 && status == 0 &&
	    read_file(out, &text, NULL) == 0)
		snprintf(line, size, "%.*s", (int)strcspn(text, "\r\n"), text);
	free(text);
	unlink(out);
}

/*
 * glibc's headers (<stdint.h>, ...) see a 32-bit target in -target bpf (no
 * __x86_64__) and ask for gnu/stubs-32.h, which only a multilib install has.
 * It lists the functions 32-bit glibc lacks, which a BPF program cannot call
 * anyway: an empty one in the cache stands in when the system has none.
 */
static int push_stubs_shim(const struct compile *c, struct strv *argv, const char *multiarch)
{
	static const char stub[] = "/* stands in for glibc's gnu/stubs-32.h "
				   "under -target bpf (written by flywall) */\n";
	char path[FW_PATH_MAX], dir[FW_PATH_MAX];
	int ret;

	snprintf(path, sizeof(path), "%.200s/gnu/stubs-32.h", multiarch);
	if (is_file(path))
		return 0;
	snprintf(dir, sizeof(dir), "%.3900s/include/gnu", c->cache);
	snprintf(path, sizeof(path), "%.3900s/stubs-32.h", dir);
	if (!is_file(path)) {
		ret = mkdir_p(dir);
		ret = ret ?: fw_file_replace_data(path, stub, strlen(stub));
		if (ret)
			return 0;       /* a compile that needs it says what is missing */
	}
	snprintf(dir, sizeof(dir), "%.3900s/include", c->cache);
	return strv_push(argv, "-idirafter") ?: strv_push(argv, dir);
}

/*
 * The distribution's multiarch include directory (/usr/include/x86_64-linux-gnu
 * on Debian and Ubuntu), where the kernel's UAPI headers find <asm/types.h>:
 * clang -target bpf does not search it. The clang that compiles says which it
 * is (-print-multiarch), else gcc does. Searched after every other directory
 * (-idirafter), as the kernel's samples do, so it shadows nothing.
 */
static int push_multiarch_include(const struct compile *c, struct strv *argv)
{
	char *clang_argv[] = { (char *)c->clang, "-print-multiarch", NULL };
	char *gcc_argv[] = { "gcc", "-print-multiarch", NULL };
	char triple[128], dir[256];

	tool_line(c, clang_argv, triple, sizeof(triple));
	if (!triple[0])
		tool_line(c, gcc_argv, triple, sizeof(triple));
	if (!triple[0] || strchr(triple, '/'))
		return 0;
	snprintf(dir, sizeof(dir), "/usr/include/%s", triple);
	if (!is_dir(dir))
		return 0;
	return strv_push(argv, "-idirafter") ?: strv_push(argv, dir) ?:
	       push_stubs_shim(c, argv, dir);
}

/* clang -O2 -g -target bpf -D__TARGET_ARCH_<arch> -I... -c SOURCE */
static int build_argv(struct compile *c, struct fw_error *err)
{
	struct strv *argv = &c->argv;
	const char *env = getenv("CLANG");
	char real[PATH_MAX];
	int ret;

	c->clang = c->opts->clang ?: (env && env[0] ? env : "clang");
	ret = strv_push(argv, c->clang);
	ret = ret ?: strv_push(argv, "-O2");
	ret = ret ?: strv_push(argv, "-g");
	ret = ret ?: strv_push(argv, "-target");
	ret = ret ?: strv_push(argv, "bpf");
	ret = ret ?: strv_pushf(argv, "-D__TARGET_ARCH_%s", target_arch());
	for (size_t i = 0; i < c->opts->n_include_dirs && !ret; i++) {
		const char *dir = c->opts->include_dirs[i];

		if (!realpath(dir, real))
			return fw_error_set(err, errno, "include directory %s: %s", dir,
					    strerror(errno));
		if (!is_dir(real))
			return fw_error_set(err, ENOTDIR, "include directory %s: not a directory",
					    dir);
		ret = strv_pushf(argv, "-I%s", real);
	}
	ret = ret ?: push_flywall_includes(argv);
	ret = ret ?: strv_pushf(argv, "-I%s", c->vmlinux_dir);
	ret = ret ?: push_multiarch_include(c, argv);
	ret = ret ?: strv_push(argv, "-c");
	ret = ret ?: strv_push(argv, c->source);
	if (ret)
		return fw_error_set(err, ret, "out of memory");
	return 0;
}

static int clang_version(struct compile *c, char **version, struct fw_error *err)
{
	char *argv[] = { (char *)c->clang, "--version", NULL };
	char out[FW_PATH_MAX];
	int ret, status;

	temp_path(out, sizeof(out), c->objects, "clang-version");
	ret = run_tool(argv, out, NULL, &status);
	if (!ret && status)
		ret = -EIO;
	if (!ret)
		ret = read_file(out, version, NULL);
	unlink(out);
	if (ret)
		return fw_error_set(err, ret, "cannot run '%s --version': %s (install clang, "
				    "or name it with CLANG=...)", c->clang, strerror(-ret));
	return 0;
}

/* The key of everything known before compiling: clang, flags, BTF, source. */
static int compute_key(struct compile *c, struct fw_error *err)
{
	struct fw_sha256 h;
	char *version = NULL, *text = NULL;
	size_t len;
	int ret;

	ret = read_file(c->source, &text, &len);
	if (ret)
		return fw_error_set(err, ret, "%s: %s", c->source, strerror(-ret));
	ret = clang_version(c, &version, err);
	if (ret) {
		free(text);
		return ret;
	}
	fw_sha256_init(&h);
	fw_sha256_update(&h, "flywall-compile-1", 18);
	fw_sha256_update(&h, version, strlen(version) + 1);
	fw_sha256_update(&h, c->btf_hash, sizeof(c->btf_hash));
	for (size_t i = 0; i < c->argv.n; i++)
		fw_sha256_update(&h, c->argv.v[i], strlen(c->argv.v[i]) + 1);
	fw_sha256_update(&h, text, len);
	fw_sha256_final_hex(&h, c->key);
	free(version);
	free(text);
	return 0;
}

/*
 * The result hash: the key plus each file the compile read, by content.
 * deps is one path per line. -ENOENT when one of them is gone.
 */
static int result_hash(const struct compile *c, const char *deps, char out[FW_SHA256_HEX_LEN])
{
	struct fw_sha256 h;
	char path[FW_PATH_MAX], file_hash[FW_SHA256_HEX_LEN];

	fw_sha256_init(&h);
	fw_sha256_update(&h, c->key, sizeof(c->key));
	for (const char *p = deps; *p;) {
		size_t len = strcspn(p, "\n");
		int ret;

		snprintf(path, sizeof(path), "%.*s", (int)len, p);
		p += len + (p[len] == '\n');
		if (!path[0])
			continue;
		ret = fw_sha256_file_hex(path, file_hash);
		if (ret)
			return ret;
		fw_sha256_update(&h, path, strlen(path) + 1);
		fw_sha256_update(&h, file_hash, sizeof(file_hash));
	}
	fw_sha256_final_hex(&h, out);
	return 0;
}

static void object_path(const struct compile *c, const char *hash, const char *ext,
			char *buf, size_t size)
{
	snprintf(buf, size, "%.3920s/%.64s%.8s", c->objects, hash, ext);
}

/* Reads clang's saved warnings for an object; none is fine. */
static char *read_diagnostics(const char *path)
{
	char *text = NULL;

	if (read_file(path, &text, NULL) == 0 && !text[0]) {
		free(text);
		text = NULL;
	}
	return text;
}

/* A hit: the manifest of this key lists files whose contents hash to an object we have. */
static bool find_cached(const struct compile *c, struct fw_compile_result *res)
{
	char manifest[FW_PATH_MAX], hash[FW_SHA256_HEX_LEN], log[FW_PATH_MAX];
	char *deps = NULL;
	bool hit = false;

	object_path(c, c->key, ".deps", manifest, sizeof(manifest));
	if (read_file(manifest, &deps, NULL))
		return false;
	if (result_hash(c, deps, hash) == 0) {
		object_path(c, hash, ".o", res->object, sizeof(res->object));
		object_path(c, hash, ".log", log, sizeof(log));
		hit = is_file(res->object);
		if (hit)
			res->diagnostics = read_diagnostics(log);
	}
	free(deps);
	return hit;
}

/*
 * clang -MD output ("target: dep dep \<newline> dep") as one path per line.
 * Backslash escapes a space in a name; "$$" is a dollar.
 */
static char *parse_depfile(const char *text)
{
	const char *p = strstr(text, ": ");
	char *out = malloc(strlen(text) + 2), *o = out;
	bool in_word = false;

	if (!out)
		return NULL;
	for (p = p ? p + 2 : text; *p; p++) {
		if (p[0] == '\\' && p[1] == '\n') {
			p++;
			continue;
		}
		if (p[0] == '\\' && p[1] == ' ') {
			*o++ = ' ';
			p++;
			in_word = true;
		} else if (p[0] == '$' && p[1] == '$') {
			*o++ = '$';
			p++;
			in_word = true;
		} else if (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r') {
			if (in_word)
				*o++ = '\n';
			in_word = false;
		} else {
			*o++ = *p;
			in_word = true;
		}
	}
	if (in_word)
		*o++ = '\n';
	*o = '\0';
	return out;
}

/* Files of one clang run, all temporary until the object is renamed into place. */
struct compile_run {
	char obj[FW_PATH_MAX], dep[FW_PATH_MAX], log[FW_PATH_MAX];
};

static int store_result(const struct compile *c, const struct compile_run *run,
			struct fw_compile_result *res, struct fw_error *err)
{
	char manifest[FW_PATH_MAX], hash[FW_SHA256_HEX_LEN], log[FW_PATH_MAX];
	char *text = NULL, *deps = NULL;
	int ret;

	ret = read_file(run->dep, &text, NULL);
	if (!ret && !(deps = parse_depfile(text)))
		ret = -ENOMEM;
	if (!ret)
		ret = result_hash(c, deps, hash);
	if (!ret) {
		object_path(c, c->key, ".deps", manifest, sizeof(manifest));
		object_path(c, hash, ".o", res->object, sizeof(res->object));
		object_path(c, hash, ".log", log, sizeof(log));
		ret = fw_file_replace_data(manifest, deps, strlen(deps));
	}
	if (!ret && (rename(run->log, log) || rename(run->obj, res->object)))
		ret = -errno;
	free(text);
	free(deps);
	if (ret)
		return fw_error_set(err, ret, "storing the object in %s: %s", c->objects,
				    strerror(-ret));
	res->diagnostics = read_diagnostics(log);
	return 0;
}

static int run_clang(struct compile *c, struct fw_compile_result *res, struct fw_error *err)
{
	struct compile_run run;
	struct strv argv = {};
	int ret, status = 0;

	temp_path(run.obj, sizeof(run.obj), c->objects, "out.o");
	temp_path(run.dep, sizeof(run.dep), c->objects, "out.d");
	temp_path(run.log, sizeof(run.log), c->objects, "out.log");
	ret = 0;
	for (size_t i = 0; i < c->argv.n && !ret; i++)
		ret = strv_push(&argv, c->argv.v[i]);
	ret = ret ?: strv_push(&argv, "-MD");
	ret = ret ?: strv_push(&argv, "-MF");
	ret = ret ?: strv_push(&argv, run.dep);
	ret = ret ?: strv_push(&argv, "-o");
	ret = ret ?: strv_push(&argv, run.obj);
	ret = ret ?: run_tool(argv.v, NULL, run.log, &status);
	if (ret == -ETIMEDOUT) {
		fw_error_set(err, ETIMEDOUT, "%s: compilation took longer than %d s and was stopped",
			     c->opts->source, FW_COMPILE_TIME_LIMIT_S);
	} else if (ret) {
		fw_error_set(err, ret, "cannot run %s: %s", c->clang, strerror(-ret));
	} else if (status) {
		fw_error_set(err, EBADMSG, "%s: compilation failed (%s exited with status %d)",
			     c->opts->source, c->clang, status);
		fw_error_set_detail(err, read_diagnostics(run.log));
		ret = -EBADMSG;
	} else {
		ret = store_result(c, &run, res, err);
	}
	strv_free(&argv);
	unlink(run.obj);
	unlink(run.dep);
	unlink(run.log);
	return ret;
}

int fw_compile(const struct fw_compile_opts *opts, struct fw_compile_result *res,
	       struct fw_error *err)
{
	struct compile c = { .opts = opts };
	int ret;

	*res = (struct fw_compile_result){};
	if (!realpath(opts->source, c.source))
		return fw_error_set(err, errno, "%s: %s", opts->source, strerror(errno));
	if (!is_file(c.source))
		return fw_error_set(err, EINVAL, "%s: not a regular file", opts->source);
	ret = open_cache(&c, err);
	ret = ret ?: ensure_vmlinux_h(&c, err);
	ret = ret ?: build_argv(&c, err);
	ret = ret ?: compute_key(&c, err);
	if (!ret) {
		res->cached = find_cached(&c, res);
		if (!res->cached)
			ret = run_clang(&c, res, err);
	}
	strv_free(&c.argv);
	return ret;
}

void fw_compile_result_release(struct fw_compile_result *res)
{
	free(res->diagnostics);
	res->diagnostics = NULL;
}

/* ---- programs named by their source ---- */

bool fw_compile_is_source(const char *path)
{
	size_t len = strlen(path);

	return len > 6 && strcmp(path + len - 6, ".bpf.c") == 0;
}

/* clang's first "FILE:LINE:COL: error: ..." line, or its first line. */
static void first_error(const char *diagnostics, char *out, size_t size)
{
	const char *line = diagnostics ? strstr(diagnostics, ": error: ") : NULL;

	if (!diagnostics) {
		snprintf(out, size, "clang printed nothing");
		return;
	}
	if (line)
		while (line > diagnostics && line[-1] != '\n')
			line--;
	else
		line = diagnostics;
	snprintf(out, size, "%.*s", (int)strcspn(line, "\n"), line);
}

int fw_compile_program(const char *block, const char *path, char *object, size_t size,
		       struct fw_error *err)
{
	struct fw_compile_opts opts = { .source = path };
	struct fw_compile_result res;
	char first[512];
	int ret;

	if (!fw_compile_is_source(path)) {
		if ((size_t)snprintf(object, size, "%s", path) >= size)
			return fw_error_set(err, ENAMETOOLONG, "%s: program path too long", block);
		return 0;
	}
	ret = fw_compile(&opts, &res, err);
	if (ret == -EBADMSG) {
		first_error(err->detail, first, sizeof(first));
		return fw_error_set(err, EBADMSG, "%s: program %s does not compile: %s", block,
				    path, first);
	}
	if (ret)
		return fw_error_wrap(err, "%s", block);
	ret = (size_t)snprintf(object, size, "%s", res.object) >= size ? -ENAMETOOLONG : 0;
	fw_compile_result_release(&res);
	if (ret)
		return fw_error_set(err, ret, "%s: the cache's path is too long", block);
	return 0;
}

int fw_compile_program_sources(struct fw_prog_spec *specs, size_t n, struct fw_error *err)
{
	char object[FW_PATH_MAX], block[FW_NAME_MAX + 32];

	for (size_t i = 0; i < n; i++) {
		int ret;

		snprintf(block, sizeof(block), "%s \"%s\"", fw_hook_name(specs[i].hook),
			 specs[i].name);
		ret = fw_compile_program(block, specs[i].object, object, sizeof(object), err);
		if (ret)
			return ret;
		memcpy(specs[i].object, object, sizeof(specs[i].object));
	}
	return 0;
}
