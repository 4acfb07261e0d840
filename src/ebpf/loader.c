// SPDX-License-Identifier: MIT
#include "ebpf/loader.h"

#include <bpf/bpf.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/crash_point.h"
#include "common/log.h"
#include "ebpf/args.h"

/* ---- libbpf output: logged at debug level, captured while we load -------- */

/* libbpf prints a failed program's verifier log through its print callback
 * (retrying the load with a log buffer grown to fit). Capturing that output
 * while one load runs gives us the whole log without guessing a size. */
static __thread char *capture_buf;
static __thread size_t capture_len, capture_cap;
static __thread bool capturing;

static void capture_append(const char *text, size_t n)
{
	if (capture_len + n + 1 > capture_cap) {
		size_t cap = capture_cap ? capture_cap * 2 : 65536;
		char *buf;

		while (cap < capture_len + n + 1)
			cap *= 2;
		buf = realloc(capture_buf, cap);
		if (!buf)
			return;
		capture_buf = buf;
		capture_cap = cap;
	}
	memcpy(capture_buf + capture_len, text, n);
	capture_len += n;
	capture_buf[capture_len] = '\0';
}

static int libbpf_print(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	char line[4096];
	int n = vsnprintf(line, sizeof(line), fmt, ap);

	if (n < 0)
		return n;
	if (capturing) {
		capture_append(line, (size_t)n < sizeof(line) ? (size_t)n : sizeof(line) - 1);
		return n;
	}
	if (level != LIBBPF_DEBUG) {
		line[strcspn(line, "\n")] = '\0';
		fw_debug("libbpf: %s", line);
	}
	return n;
}

void fw_loader_init(void)
{
	libbpf_set_print(libbpf_print);
}

static void capture_start(void)
{
	capture_len = 0;
	if (capture_buf)
		capture_buf[0] = '\0';
	capturing = true;
}

static void capture_stop(void)
{
	capturing = false;
}

/* The tail of a verifier log (the part that says why), at most max bytes. */
#define LOG_TAIL_MAX (64 * 1024)

static char *verifier_log_tail(void)
{
	const char *begin, *end, *log = capture_buf ? capture_buf : "";
	size_t len;

	begin = strstr(log, "-- BEGIN PROG LOAD LOG --");
	end = strstr(log, "-- END PROG LOAD LOG --");
	if (begin && end && end > begin) {
		begin = strchr(begin, '\n');
		begin = begin ? begin + 1 : end;
	} else {
		begin = log;
		end = log + strlen(log);
	}
	len = end - begin;
	if (len > LOG_TAIL_MAX) {
		begin = end - LOG_TAIL_MAX;
		len = LOG_TAIL_MAX;
	}
	return strndup(begin, len);
}

/* The verifier's reason: the last line of the log that is not a statistic. */
static void verifier_reason(const char *log, char *out, size_t len)
{
	const char *end = log + strlen(log), *line_end, *line;

	out[0] = '\0';
	while (end > log) {
		while (end > log && end[-1] == '\n')
			end--;
		line_end = end;
		line = line_end;
		while (line > log && line[-1] != '\n')
			line--;
		end = line;
		if (line_end == line || strncmp(line, "processed ", 10) == 0 ||
		    strncmp(line, "verification time", 17) == 0 ||
		    strncmp(line, "stack depth", 11) == 0)
			continue;
		snprintf(out, len, "%.*s", (int)(line_end - line), line);
		return;
	}
}

/* The last libbpf message that is not part of a verifier log, for errors such
 * as a map the kernel refuses to create. */
static void libbpf_last_error(char *out, size_t len)
{
	const char *log = capture_buf ? capture_buf : "", *p = log, *best = NULL;

	out[0] = '\0';
	for (const char *nl; (nl = strchr(p, '\n')); p = nl + 1)
		if (strncmp(p, "libbpf: ", 8) == 0)
			best = p;
	if (best)
		snprintf(out, len, "%.*s", (int)strcspn(best + 8, "\n"), best + 8);
}

/* ---- choosing the program a block attaches ------------------------------- */

static bool section_matches(const struct fw_prog_spec *spec, const struct bpf_program *p)
{
	const struct fw_hook_ops *ops = fw_hook_ops_of(spec->hook);

	return ops && ops->section_matches && ops->section_matches(spec, p);
}

static void list_programs(struct bpf_object *obj, char *buf, size_t len)
{
	struct bpf_program *p;

	buf[0] = '\0';
	bpf_object__for_each_program(p, obj) {
		size_t used = strlen(buf);

		snprintf(buf + used, len - used, "%s%s (SEC \"%s\")", used ? ", " : "",
			 bpf_program__name(p), bpf_program__section_name(p));
	}
	if (!buf[0])
		snprintf(buf, len, "none");
}

/* Picks the block's program: the only one of the hook's type; else the one
 * named like the block; else the one whose section names the target. */
static struct bpf_program *choose_program(struct bpf_object *obj,
					  const struct fw_prog_spec *spec,
					  struct fw_error *err)
{
	struct bpf_program *p, *only = NULL, *by_name = NULL, *by_section = NULL;
	int candidates = 0, section_hits = 0;
	char names[1024];

	bpf_object__for_each_program(p, obj) {
		if (!fw_hook_accepts(spec->hook, p))
			continue;
		candidates++;
		only = p;
		if (strcmp(bpf_program__name(p), spec->name) == 0)
			by_name = p;
		if (section_matches(spec, p)) {
			by_section = p;
			section_hits++;
		}
	}
	if (by_name)
		return by_name;
	if (section_hits == 1)
		return by_section;
	if (candidates == 1)
		return only;
	list_programs(obj, names, sizeof(names));
	if (!candidates)
		fw_error_set(err, ENOENT, "object %s has no %s program (its programs: %s)",
			     spec->object, fw_hook_name(spec->hook), names);
	else
		fw_error_set(err, ENOTUNIQ,
			     "object %s has %d %s programs and none is named \"%s\" or matches the block's target; "
			     "name one after the block (its programs: %s)",
			     spec->object, candidates, fw_hook_name(spec->hook), spec->name, names);
	return NULL;
}

/* Loads only the chosen programs: the others of a multi-form object may not
 * even load on this kernel (a fentry load fails with EPERM here, and would
 * abort the whole object). */
static void set_autoload(struct bpf_object *obj, const struct bpf_program *a,
			 const struct bpf_program *b, const struct bpf_program *c)
{
	struct bpf_program *p;

	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, p == a || (b && p == b) || (c && p == c));
}

static int open_object(const char *path, struct bpf_object **obj, struct fw_error *err)
{
	char magic[4] = {};
	int fd, n, ret;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return fw_error_set(err, errno, "object %s: %s", path, strerror(errno));
	n = read(fd, magic, sizeof(magic));
	close(fd);
	if (n != 4 || memcmp(magic, "\177ELF", 4) != 0)
		return fw_error_set(err, ENOEXEC, "object %s: not an ELF file (compile it with "
				    "clang -O2 -g -target bpf)", path);
	capture_start();
	*obj = bpf_object__open_file(path, NULL);
	capture_stop();
	ret = libbpf_get_error(*obj);
	if (ret) {
		char why[512];

		*obj = NULL;
		libbpf_last_error(why, sizeof(why));
		return fw_error_set(err, ret, "object %s: cannot open as an eBPF object: %s",
				    path, why[0] ? why : strerror(-ret));
	}
	return 0;
}

/* Loads the object and turns a failure into a message with the verifier's
 * reason, the log's tail as detail. Verifier rejections become -EBADMSG. */
static int load_object(struct fw_object *o, const struct fw_prog_spec *spec,
		       struct fw_error *err)
{
	const char *prog_name = bpf_program__name(o->prog);
	char reason[512], why[512];
	int ret;

	capture_start();
	ret = bpf_object__load(o->obj);
	capture_stop();
	if (!ret)
		return 0;
	if (capture_buf && strstr(capture_buf, "-- BEGIN PROG LOAD LOG --")) {
		char *log = verifier_log_tail();

		verifier_reason(log ? log : "", reason, sizeof(reason));
		fw_error_set(err, EBADMSG, "object %s: program %s: the verifier rejected it: %s",
			     spec->object, prog_name, reason[0] ? reason : strerror(-ret));
		fw_error_set_detail(err, log);
		return err->code;
	}
	libbpf_last_error(why, sizeof(why));
	return fw_error_set(err, ret, "object %s: program %s: load failed: %s", spec->object,
			    prog_name, why[0] ? why : strerror(-ret));
}

static int configure(struct fw_object *o, const struct fw_prog_spec *spec,
		     const char *map_pin_dir, const struct fw_load_hook *hook,
		     struct fw_error *err)
{
	int ret;

	ret = fw_maps_apply_overrides(o->obj, spec, err);
	if (!ret)
		ret = fw_args_apply(o->obj, spec->args, spec->n_args, err);
	if (!ret && hook && hook->before_load)
		ret = hook->before_load(o->obj, spec, err);
	if (!ret && map_pin_dir)
		ret = fw_maps_plan_reuse(o->obj, map_pin_dir, &o->maps, err);
	/* Maps and args name themselves, never the object: say which it is. */
	if (ret)
		fw_error_wrap(err, "object %s", spec->object);
	return ret;
}

static struct fw_object *object_new(const struct fw_prog_spec *spec, struct fw_error *err)
{
	struct fw_object *o = calloc(1, sizeof(*o));

	if (!o) {
		fw_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	if (open_object(spec->object, &o->obj, err)) {
		free(o);
		return NULL;
	}
	return o;
}

int fw_object_load(const struct fw_prog_spec *spec, const char *map_pin_dir,
		   const struct fw_load_hook *hook, struct fw_object **out,
		   struct fw_error *err)
{
	struct fw_object *o = object_new(spec, err);
	int ret;

	if (!o)
		return err->code;
	o->prog = choose_program(o->obj, spec, err);
	if (!o->prog) {
		ret = err->code;
		goto fail;
	}
	if (fw_hook_ops_of(spec->hook)->choose_forms)
		fw_hook_ops_of(spec->hook)->choose_forms(o->obj, spec, o);
	set_autoload(o->obj, o->prog, o->standin, o->companion);
	ret = configure(o, spec, map_pin_dir, hook, err);
	if (!ret)
		ret = load_object(o, spec, err);
	if (!ret)
		ret = fw_maps_migrate(&o->maps, err);
	fw_crash_point("migrated");
	if (ret)
		goto fail;
	*out = o;
	return 0;
fail:
	fw_object_close(o);
	return ret;
}

int fw_object_load_alone(const struct fw_prog_spec *spec, const struct fw_object *base,
			 const char *prog_name, struct fw_object **out, struct fw_error *err)
{
	struct fw_object *o = object_new(spec, err);
	struct bpf_map *map;
	int ret;

	if (!o)
		return err->code;
	o->prog = bpf_object__find_program_by_name(o->obj, prog_name);
	if (!o->prog) {
		ret = fw_error_set(err, ENOENT, "object %s has no program %s", spec->object,
				   prog_name);
		goto fail;
	}
	set_autoload(o->obj, o->prog, NULL, NULL);
	ret = configure(o, spec, NULL, NULL, err);
	/* Share every map (data sections included) with the loaded base. */
	bpf_object__for_each_map(map, o->obj) {
		struct bpf_map *twin = bpf_object__find_map_by_name(base->obj, bpf_map__name(map));

		if (!ret && twin && bpf_map__fd(twin) >= 0)
			ret = bpf_map__reuse_fd(map, bpf_map__fd(twin));
	}
	if (!ret)
		ret = load_object(o, spec, err);
	if (ret)
		goto fail;
	*out = o;
	return 0;
fail:
	fw_object_close(o);
	return ret;
}

void fw_object_close(struct fw_object *o)
{
	if (!o)
		return;
	fw_map_plan_release(&o->maps);
	bpf_object__close(o->obj);
	free(o);
}
