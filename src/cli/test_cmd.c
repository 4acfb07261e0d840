// SPDX-License-Identifier: MIT
/*
 * `flywall ebpf test OBJECT PCAP [program NAME] [arg KEY=VALUE]...
 *  [map NAME:TYPE:SIZE]... [repeat N] [--json] [--verbose]`:
 * loads a program offline (nothing attached, nothing pinned), runs every
 * frame of a capture through it with BPF_PROG_TEST_RUN and reports what it
 * decided, how long the kernel took, and the object's counters afterwards.
 * Exit codes: 0 ran, 1 the object or the pcap failed, 2 usage.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "cli/ebpf_cmds.h"
#include "config/ebpf_config.h"
#include "daemon/program_ext.h"
#include "ebpf/compiler.h"
#include "ebpf/loader.h"
#include "ebpf/pcap_run.h"

/* For usage errors; --help is the command table's (ebpf_cmd.c). */
static const char usage_text[] =
	"Usage: flywall ebpf test OBJECT PCAP [program NAME] [arg KEY=VALUE]... "
	"[map NAME:TYPE:SIZE]... [repeat N] [--json] [--verbose]\n";

struct test_args {
	struct fw_prog_spec spec;
	const char *object;
	char compiled[FW_PATH_MAX];     /* the object compiled from a .bpf.c OBJECT */
	const char *pcap;
	const char *program;
	uint32_t repeat;
	bool json;
	bool verbose;
};

static int usage_error(const char *fmt, const char *what)
{
	fprintf(stderr, "flywall ebpf test: ");
	fprintf(stderr, fmt, what);
	fprintf(stderr, "\n%s", usage_text);
	return 2;
}

/* ---- arguments: `arg K=V` and `map NAME:TYPE:SIZE`, as `ebpf load` takes them */

/* "true"/"false" → bool, a whole number → int, a decimal → float, else text. */
static int arg_value(struct fw_arg *arg, const char *text)
{
	char *end;

	if (!strcmp(text, "true") || !strcmp(text, "false")) {
		arg->kind = FW_ARG_BOOL;
		arg->b = !strcmp(text, "true");
		return 0;
	}
	errno = 0;
	arg->i = strtoll(text, &end, 0);
	if (text[0] && !*end && !errno) {
		arg->kind = FW_ARG_INT;
		return 0;
	}
	arg->f = strtod(text, &end);
	if (text[0] && !*end) {
		arg->kind = FW_ARG_FLOAT;
		return 0;
	}
	arg->kind = FW_ARG_STRING;
	arg->s = strdup(text);
	return arg->s ? 0 : -ENOMEM;
}

static int add_arg(struct fw_prog_spec *spec, const char *word)
{
	const char *eq = strchr(word, '=');
	struct fw_error err = { 0 };
	struct fw_arg *args, *arg;

	if (!eq || (size_t)(eq - word) >= FW_NAME_MAX)
		return usage_error("arg '%s': expected KEY=VALUE", word);
	args = realloc(spec->args, (spec->n_args + 1) * sizeof(*args));
	if (!args)
		return usage_error("%s", "out of memory");
	spec->args = args;
	arg = memset(&args[spec->n_args], 0, sizeof(*arg));
	memcpy(arg->name, word, eq - word);
	if (fw_arg_name_valid(arg->name, &err))
		return usage_error("arg: %s", err.msg);
	if (arg_value(arg, eq + 1))
		return usage_error("%s", "out of memory");
	spec->n_args++;
	return 0;
}

/* "NAME:TYPE:SIZE"; TYPE or SIZE may be empty to keep the object's. */
static int add_map(struct fw_prog_spec *spec, const char *word)
{
	char buf[256], *type, *size, *end;
	struct fw_error err = { 0 };
	struct fw_map_override m = { 0 };
	struct fw_map_override *maps;
	long long n = 0;

	snprintf(buf, sizeof(buf), "%s", word);
	type = strchr(buf, ':');
	if (!type)
		return usage_error("map '%s': expected NAME:TYPE:SIZE (TYPE or SIZE may be "
				   "empty, e.g. blocklist::65536)", word);
	*type++ = '\0';
	size = strchr(type, ':');
	if (size)
		*size++ = '\0';
	if (fw_map_name_valid(buf, &err) || (type[0] && fw_map_type_parse(type, &m.type, &err)))
		return usage_error("map: %s", err.msg);
	if (size && size[0]) {
		n = strtoll(size, &end, 0);
		if (*end)
			return usage_error("map '%s': the size is not a number", word);
		if (fw_map_size_valid(n, &err))
			return usage_error("map: %s", err.msg);
	}
	m.size = (uint32_t)n;
	if (fw_map_override_valid(m.type, m.size, &err))
		return usage_error("map: %s", err.msg);
	memcpy(m.name, buf, strlen(buf) + 1);      /* valid names fit */
	maps = realloc(spec->maps, (spec->n_maps + 1) * sizeof(*maps));
	if (!maps)
		return usage_error("%s", "out of memory");
	spec->maps = maps;
	maps[spec->n_maps++] = m;
	return 0;
}

static int keyword(struct test_args *a, const char *key, const char *value)
{
	char *end;

	if (!strcmp(key, "program")) {
		a->program = value;
		return 0;
	}
	if (!strcmp(key, "arg"))
		return add_arg(&a->spec, value);
	if (!strcmp(key, "map"))
		return add_map(&a->spec, value);
	if (!strcmp(key, "repeat")) {
		unsigned long n = strtoul(value, &end, 10);

		if (*end || !value[0] || n == 0 || n > 100000000)
			return usage_error("repeat '%s': expected 1 .. 100000000", value);
		a->repeat = (uint32_t)n;
		return 0;
	}
	return usage_error("unknown argument '%s'", key);
}

/* 0 to run, or the usage exit code 2. */
static int parse_args(int argc, char **argv, struct test_args *a)
{
	const char *positional[2];
	int n_pos = 0, ret;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--json") || !strcmp(argv[i], "-j")) {
			a->json = true;
		} else if (!strcmp(argv[i], "--verbose") || !strcmp(argv[i], "-v")) {
			a->verbose = true;
		} else if (n_pos < 2) {
			positional[n_pos++] = argv[i];
		} else if (i + 1 < argc) {
			ret = keyword(a, argv[i], argv[i + 1]);
			if (ret)
				return ret;
			i++;
		} else {
			return usage_error("'%s' needs a value", argv[i]);
		}
	}
	if (n_pos < 2)
		return usage_error("%s", "OBJECT and PCAP are required");
	a->object = positional[0];
	a->pcap = positional[1];
	return 0;
}

/* ---- choosing the program and loading it ---------------------------------- */

static const char *program_names(struct bpf_object *obj, char *buf, size_t len)
{
	struct bpf_program *p;
	size_t used = 0;

	buf[0] = '\0';
	bpf_object__for_each_program(p, obj)
		if (used < len)
			used += snprintf(buf + used, len - used, "%s%s", used ? ", " : "",
					 bpf_program__name(p));
	return buf[0] ? buf : "none";
}

/* The program to run, into spec's name and hook: the one named, else the
 * object's first program that a test run can take. The loader prefers the
 * program named like the block, so it loads exactly this one. 0, -ENOENT /
 * -EOPNOTSUPP with a message, or 1 when the object cannot even be opened
 * (the loader then says why). */
static int choose_program(const struct test_args *a, struct fw_prog_spec *spec,
			  struct fw_error *err)
{
	struct bpf_object *obj = bpf_object__open_file(a->object, NULL);
	struct bpf_program *p, *chosen = NULL;
	char names[512];
	int ret;

	if (libbpf_get_error(obj))
		return 1;
	bpf_object__for_each_program(p, obj) {
		if (a->program ? !strcmp(bpf_program__name(p), a->program)
			       : fw_pcap_hook_of(bpf_program__type(p)) >= 0) {
			chosen = p;
			break;
		}
	}
	if (!chosen)
		ret = a->program ? fw_error_set(err, ENOENT, "object %s has no program named "
						"'%s' (its programs: %s)", a->object, a->program,
						program_names(obj, names, sizeof(names)))
				 : fw_error_set(err, EOPNOTSUPP, "object %s has no xdp, tc or "
						"socket_filter program: a test run needs one of "
						"these", a->object);
	else if ((ret = fw_pcap_hook_of(bpf_program__type(chosen))) < 0)
		ret = fw_error_set(err, EOPNOTSUPP, "object %s: program %s (SEC \"%s\") cannot "
				   "run frames: a test run takes xdp, tc or socket_filter programs",
				   a->object, bpf_program__name(chosen),
				   bpf_program__section_name(chosen));
	else {
		spec->hook = ret;
		snprintf(spec->name, sizeof(spec->name), "%s", bpf_program__name(chosen));
		ret = 0;
	}
	bpf_object__close(obj);
	return ret;
}

static int load(struct test_args *a, struct fw_object **o, struct fw_error *err)
{
	int ret;

	if (strlen(a->object) >= sizeof(a->spec.object))
		return fw_error_set(err, ENAMETOOLONG, "object %.64s...: path too long", a->object);
	/* A source is compiled (cached) as a configuration's would be. */
	if (fw_compile_is_source(a->object)) {
		ret = fw_compile_program(a->object, a->object, a->compiled, sizeof(a->compiled), err);
		if (ret)
			return ret;
		a->object = a->compiled;
	}
	ret = choose_program(a, &a->spec, err);
	if (ret < 0)
		return ret;
	snprintf(a->spec.object, sizeof(a->spec.object), "%s", a->object);
	/* NULL pin dir: nothing is reused from, or left in, bpffs; the
	 * object is set up as the daemon would (program extensions) */
	return fw_object_load(&a->spec, NULL, &fw_program_ext_load_hook, o, err);
}

/* ---- output --------------------------------------------------------------- */

struct per_packet {
	enum fw_hook hook;
	json_t *list;           /* --json: one object per packet; else printed */
};

static void on_packet(uint64_t index, uint32_t len, int code, uint32_t retval,
		      uint32_t duration_ns, void *ctx)
{
	struct per_packet *pp = ctx;
	char name[64];

	if (code)
		snprintf(name, sizeof(name), "error: %s", strerror(-code));
	else
		fw_pcap_verdict_name(pp->hook, retval, name, sizeof(name));
	if (!pp->list && index == 0)
		printf("   index  bytes  verdict\n");
	if (pp->list)
		json_array_append_new(pp->list, json_pack("{s:I, s:i, s:s, s:i}", "index",
							  (json_int_t)index, "length", len,
							  "verdict", name, "ns", duration_ns));
	else
		printf("  %6llu  %5u  %s\n", (unsigned long long)index, len, name);
}

static double percent(uint64_t n, uint64_t of)
{
	return of ? 100.0 * (double)n / (double)of : 0.0;
}

static double ns_per_packet(const struct fw_pcap_tally *t)
{
	return t->ran ? (double)t->duration_ns / (double)t->ran : 0.0;
}

static json_t *tally_json(enum fw_hook hook, const struct fw_pcap_tally *t)
{
	json_t *verdicts = json_object(), *errors = json_array();
	char name[64], reason[256];

	for (int i = 0; i < t->n_verdicts; i++)
		json_object_set_new(verdicts, fw_pcap_verdict_name(hook, t->verdicts[i].retval,
								   name, sizeof(name)),
				    json_pack("{s:i, s:I, s:f}", "retval",
					      (int32_t)t->verdicts[i].retval, "count",
					      (json_int_t)t->verdicts[i].count, "percent",
					      percent(t->verdicts[i].count, t->packets)));
	if (t->other_verdicts)
		json_object_set_new(verdicts, "other", json_pack("{s:I}", "count",
								 (json_int_t)t->other_verdicts));
	for (int i = 0; i < t->n_errors; i++)
		json_array_append_new(errors, json_pack("{s:s, s:i, s:I, s:f}", "reason",
							fw_pcap_error_reason(&t->errors[i], reason,
									     sizeof(reason)),
							"errno", -t->errors[i].code, "count",
							(json_int_t)t->errors[i].count, "percent",
							percent(t->errors[i].count, t->packets)));
	return json_pack("{s:I, s:I, s:o, s:o, s:f}", "packets", (json_int_t)t->packets, "ran",
			 (json_int_t)t->ran, "verdicts", verdicts, "errors", errors,
			 "ns_per_packet", ns_per_packet(t));
}

static void print_counters(json_t *counters)
{
	const char *map;
	json_t *list, *v;
	size_t i;

	if (json_object_size(counters) == 0)
		return;
	printf("counters (summed over CPUs, non-zero indices):\n");
	json_object_foreach(counters, map, list) {
		bool any = false;

		printf("  %s:", map);
		json_array_foreach(list, i, v)
			if (json_integer_value(v)) {
				printf(" [%zu]=%lld", i, (long long)json_integer_value(v));
				any = true;
			}
		printf("%s\n", any ? "" : " all zero");
	}
}

static void print_tally(const struct test_args *a, const struct fw_object *o,
			const struct fw_pcap_tally *t, json_t *counters)
{
	char name[64], reason[256];

	printf("%s: program %s (%s), %llu packets from %s\n", a->object,
	       bpf_program__name(o->prog), fw_hook_name(a->spec.hook),
	       (unsigned long long)t->packets, a->pcap);
	for (int i = 0; i < t->n_verdicts; i++)
		printf("  %-16s %10llu  %5.1f%%\n",
		       fw_pcap_verdict_name(a->spec.hook, t->verdicts[i].retval, name, sizeof(name)),
		       (unsigned long long)t->verdicts[i].count,
		       percent(t->verdicts[i].count, t->packets));
	if (t->other_verdicts)
		printf("  %-16s %10llu  %5.1f%%\n", "other", (unsigned long long)t->other_verdicts,
		       percent(t->other_verdicts, t->packets));
	for (int i = 0; i < t->n_errors; i++)
		printf("  %-16s %10llu  %5.1f%%  %s\n", "error",
		       (unsigned long long)t->errors[i].count,
		       percent(t->errors[i].count, t->packets),
		       fw_pcap_error_reason(&t->errors[i], reason, sizeof(reason)));
	if (t->other_errors)
		printf("  %-16s %10llu  (other reasons)\n", "error",
		       (unsigned long long)t->other_errors);
	printf("ns/packet: %.1f (the kernel's test-run duration, %u run%s per frame)\n",
	       ns_per_packet(t), a->repeat, a->repeat == 1 ? "" : "s");
	print_counters(counters);
}

static int fail(const struct test_args *a, const struct fw_error *err)
{
	fprintf(stderr, "flywall ebpf test: %s\n", err->msg);
	if (a->verbose && err->detail)
		fprintf(stderr, "%s\n", err->detail);
	if (a->json) {
		json_t *out = json_pack("{s:s, s:s?}", "error", err->msg, "detail", err->detail);

		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
		putchar('\n');
		json_decref(out);
	}
	return 1;
}

/* ---- the command ---------------------------------------------------------- */

static int run(struct test_args *a)
{
	struct per_packet pp = { 0 };
	struct fw_pcap_run_opts opts = { .repeat = a->repeat, .ctx = &pp };
	struct fw_error err = { 0 };
	struct fw_pcap_tally tally;
	struct fw_object *o = NULL;
	json_t *counters;
	int ret;

	ret = load(a, &o, &err);
	if (ret)
		return fail(a, &err);
	pp.hook = a->spec.hook;
	if (a->verbose) {
		opts.on_packet = on_packet;
		if (a->json)
			pp.list = json_array();
	}
	ret = fw_pcap_run(bpf_program__fd(o->prog), a->pcap, &opts, &tally, &err);
	if (ret) {
		json_decref(pp.list);
		fw_object_close(o);
		return fail(a, &err);
	}
	counters = fw_pcap_counters(o->obj);
	if (a->json) {
		json_t *out = json_pack("{s:s, s:s, s:s, s:s, s:i}", "object", a->object,
					"program", bpf_program__name(o->prog), "hook",
					fw_hook_name(a->spec.hook), "pcap", a->pcap, "repeat",
					a->repeat);

		json_object_update_new(out, tally_json(a->spec.hook, &tally));
		json_object_set_new(out, "counters", counters);
		if (pp.list)
			json_object_set_new(out, "per_packet", pp.list);
		json_dumpf(out, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER |
			   JSON_REAL_PRECISION(6));
		putchar('\n');
		json_decref(out);
	} else {
		print_tally(a, o, &tally, counters);
		json_decref(counters);
	}
	fw_object_close(o);
	return 0;
}

int fw_cmd_ebpf_test(int argc, char **argv)
{
	struct test_args a = { .repeat = 1 };
	int ret;

	fw_loader_init();
	ret = parse_args(argc, argv, &a);
	if (!ret)
		ret = run(&a);
	fw_prog_spec_release(&a.spec);
	return ret;
}
