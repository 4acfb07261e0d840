// SPDX-License-Identifier: MIT
/*
 * `flywall ebpf status|programs|maps|map|stats|load|update|unload|blocklist|
 * events`: the CLI's commands that talk to the running daemon through the
 * REST API. Each prints a table by default and the API's JSON with --json
 * (errors too), and says in one line when the daemon is not running.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/routes.h"
#include "cli/client.h"
#include "cli/ebpf_client_cmds.h"

#define MAX_PATH_LEN 512

/* ---- helpers ----------------------------------------------------------- */

static const char *str_or(json_t *obj, const char *key, const char *fallback)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s && s[0] ? s : fallback;
}

/* A number field as text ("-" when absent), integers without decimals. */
static const char *num_text(json_t *obj, const char *key, char *buf, size_t size)
{
	json_t *v = json_object_get(obj, key);

	if (json_is_integer(v))
		snprintf(buf, size, "%lld", (long long)json_integer_value(v));
	else if (json_is_real(v))
		snprintf(buf, size, "%.0f", json_real_value(v));
	else
		snprintf(buf, size, "-");
	return buf;
}

/* Reals at 10 significant digits: an average of 4469.45 ns, not the double
 * nearest to it (4469.4499999999998). */
#define JSON_OUT_FLAGS (JSON_INDENT(2) | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(10))

static void print_json(json_t *value)
{
	json_dumpf(value, stdout, JSON_OUT_FLAGS);
	putchar('\n');
}

/* A name or value that cannot make a request path: a usage error. */
static int too_long(struct fw_client *cl, const char *what)
{
	return fw_client_fail(cl, FW_EXIT_USAGE, NULL, "%.64s...: too long for a request", what);
}

/* One GET; on an error answer prints it and returns the exit code. */
static int get(struct fw_client *cl, const char *path, json_t **out)
{
	long status = 0;
	int ret = fw_client_call(cl, "GET", path, NULL, false, &status, out);

	if (ret)
		return ret;
	if (status >= 400 || !*out) {
		fw_client_print_error(cl, status, *out);
		json_decref(*out);
		*out = NULL;
		return FW_EXIT_FAIL;
	}
	return 0;
}

/* A mutating call: prints the JSON answer with --json, or ok_text. */
static int change(struct fw_client *cl, const char *method, const char *path, json_t *body,
		  const char *ok_text)
{
	long status = 0;
	json_t *out = NULL;
	int ret = fw_client_call(cl, method, path, body, true, &status, &out);

	json_decref(body);
	if (ret)
		return ret;
	if (status >= 400) {
		fw_client_print_error(cl, status, out);
		ret = FW_EXIT_FAIL;
	} else if (cl->json) {
		print_json(out);
	} else {
		printf("%s\n", ok_text);
	}
	json_decref(out);
	return ret;
}


/* Sets up the client and checks the number of positional words. */
static int begin(struct fw_client *cl, int argc, char **argv, int *first,
		 int min_args, int max_args, const char *cmd, const char *args)
{
	int ret = fw_client_init(cl, argc, argv, first);
	int n;

	if (ret)
		return ret;
	n = 0;
	while (*first + n < argc && argv[*first + n])
		n++;
	if (max_args >= 0 && n > max_args)
		return fw_client_usage_word(cmd, args, "unexpected argument", argv[*first + max_args]);
	if (n < min_args)
		return fw_client_usage(cmd, args);
	return 0;
}

/* ---- status ------------------------------------------------------------ */

static json_t *find_by_name(json_t *list, const char *name)
{
	json_t *item;
	size_t i;

	json_array_foreach(list, i, item)
		if (!strcmp(str_or(item, "name", ""), name))
			return item;
	return NULL;
}

/* "chain: first(5) -> ddos_filter(10) -> #42 cil_from_netdev (not Flywall's)" */
static void print_chain(json_t *chain)
{
	json_t *m;
	size_t i;

	if (!json_is_array(chain))
		return;
	printf("  %-16s chain:", "");
	json_array_foreach(chain, i, m) {
		printf("%s", i ? " ->" : "");
		if (json_is_true(json_object_get(m, "foreign")))
			printf(" #%lld %s (not Flywall's)",
			       (long long)json_integer_value(json_object_get(m, "id")),
			       str_or(m, "program", "?"));
		else if (json_is_integer(json_object_get(m, "priority")))
			printf(" %s(%lld)", str_or(m, "name", "?"),
			       (long long)json_integer_value(json_object_get(m, "priority")));
		else
			printf(" %s", str_or(m, "name", "?"));
	}
	printf("\n");
}

/* A program with the rule plane's run-time modes (shadow_mode, under_attack
 * args) says which are on: "  modes: shadow on, under-attack off". */
static void print_modes(struct fw_client *cl, const char *name)
{
	char path[MAX_PATH_LEN];
	json_t *detail = NULL, *args, *shadow, *attack;
	long status = 0;

	if (fw_client_path(path, sizeof(path), "/api/ebpf/programs/", name, "") ||
	    fw_client_call(cl, "GET", path, NULL, false, &status, &detail) || status >= 400) {
		json_decref(detail);
		return;
	}
	args = json_object_get(detail, "args");
	shadow = json_object_get(args, "shadow_mode");
	attack = json_object_get(args, "under_attack");
	if (json_is_integer(shadow) || json_is_integer(attack))
		printf("  %-16s modes: shadow %s, under-attack %s\n", "",
		       json_integer_value(shadow) ? "ON (drops only counted)" : "off",
		       json_integer_value(attack) ? "ON (allowlisted and established only)" : "off");
	json_decref(detail);
}

static void print_programs_table(struct fw_client *cl, json_t *programs, json_t *stats)
{
	char runs[32], avg[32], id[32];
	json_t *p;
	size_t i;

	printf("%-18s %-14s %-10s %-14s %6s %12s %8s\n", "PROGRAM", "HOOK", "INTERFACE",
	       "ATTACH", "ID", "RUNS", "AVG NS");
	json_array_foreach(programs, i, p) {
		json_t *s = find_by_name(json_object_get(stats, "programs"), str_or(p, "name", ""));

		printf("%-18s %-14s %-10s %-14s %6s %12s %8s\n", str_or(p, "name", "?"),
		       str_or(p, "hook", "-"), str_or(p, "interface", "-"),
		       str_or(p, "attach", "-"), num_text(p, "id", id, sizeof(id)),
		       num_text(s, "run_cnt", runs, sizeof(runs)),
		       num_text(s, "avg_ns", avg, sizeof(avg)));
		if (json_is_string(json_object_get(p, "fallback")))
			printf("  %-16s fallback: %s\n", "", str_or(p, "fallback", ""));
		print_chain(json_object_get(p, "chain"));
		if (cl)
			print_modes(cl, str_or(p, "name", ""));
	}
	if (json_array_size(programs) == 0)
		printf("(no programs loaded)\n");
}

/* Maps with their fill level: one stats call per map. */
static void print_maps_table(struct fw_client *cl, json_t *maps)
{
	char path[MAX_PATH_LEN], entries[32], max[32];
	json_t *m;
	size_t i;

	printf("%-32s %-16s %21s %7s\n", "MAP", "TYPE", "ENTRIES / MAX", "USED");
	json_array_foreach(maps, i, m) {
		const char *name = str_or(m, "qualified", str_or(m, "name", "?"));
		json_t *stats = NULL, *util;
		long status = 0;
		char fill[48], used[16] = "-";

		if (fw_client_path(path, sizeof(path), "/api/ebpf/maps/", name, "/stats") ||
		    fw_client_call(cl, "GET", path, NULL, false, &status, &stats) || status >= 400) {
			json_decref(stats);
			stats = NULL;
		}
		util = json_object_get(stats, "utilization");
		if (json_is_number(util))
			snprintf(used, sizeof(used), "%.1f%%", 100 * json_number_value(util));
		snprintf(fill, sizeof(fill), "%s / %s", num_text(stats, "entries", entries,
			 sizeof(entries)), num_text(m, "max_entries", max, sizeof(max)));
		printf("%-32s %-16s %21s %7s\n", name, str_or(m, "type", "-"), fill, used);
		json_decref(stats);
	}
	if (json_array_size(maps) == 0)
		printf("(no maps)\n");
}

static void print_features(json_t *features)
{
	json_t *attach = json_object_get(features, "attach_points"), *jit, *r;
	char works[512] = "", missing[512] = "";
	const char *name;

	jit = json_object_get(features, "jit");
	printf("kernel:   %s; JIT %s; BTF %s; run statistics %s\n",
	       str_or(features, "kernel", "?"),
	       /* what a loaded program shows, not the sysctl (unreadable in
		* some containers) */
	       json_is_true(json_object_get(json_object_get(jit, "jited"), "ok")) ? "on" : "off",
	       json_is_true(json_object_get(json_object_get(json_object_get(features, "btf"),
							    "vmlinux"), "ok")) ? "yes" : "no",
	       json_is_true(json_object_get(json_object_get(features, "stats"),
					    "bpf_stats_enabled")) ? "on" : "off (flywall daemon --run-stats turns them on)");
	json_object_foreach(attach, name, r) {
		char *list = json_is_true(json_object_get(r, "ok")) ? works : missing;
		size_t len = strlen(list);

		snprintf(list + len, 512 - len, "%s%s", len ? ", " : "", name);
	}
	if (works[0])
		printf("attach:   %s\n", works);
	if (missing[0])
		printf("missing:  %s\n", missing);
}

/* One line on the cluster, when the daemon runs one. */
static void print_cluster_line(json_t *c)
{
	if (!json_is_true(json_object_get(c, "enabled")))
		return;
	if (json_is_true(json_object_get(c, "connected")))
		printf("cluster:  node %s, connected to %s, sequence %lld, lag %lld\n",
		       str_or(c, "node", "?"), str_or(c, "server", "?"),
		       (long long)json_integer_value(json_object_get(c, "applied_seq")),
		       (long long)json_integer_value(json_object_get(c, "lag")));
	else
		printf("cluster:  node %s, DISCONNECTED: enforcing what it has, shared sets read-only (%s)\n",
		       str_or(c, "node", "?"), str_or(c, "last_error", "no server answers"));
}

int fw_cmd_ebpf_status(int argc, char **argv)
{
	json_t *stats = NULL, *programs = NULL, *maps = NULL, *cluster = NULL;
	long status = 0;
	struct fw_client cl;
	int first, ret;

	ret = begin(&cl, argc, argv, &first, 0, 0, "status", "");
	if (ret || (ret = get(&cl, "/api/ebpf/stats", &stats)) ||
	    (ret = get(&cl, "/api/ebpf/programs", &programs)) ||
	    (ret = get(&cl, "/api/ebpf/maps", &maps)))
		goto out;
	/* An older daemon has no cluster route: no cluster line then. */
	if (fw_client_call(&cl, "GET", "/api/ebpf/cluster", NULL, false, &status, &cluster) ||
	    status >= 400) {
		json_decref(cluster);
		cluster = NULL;
	}
	if (cl.json) {
		json_t *all = json_pack("{s:s, s:s, s:O, s:O, s:O}", "daemon", "running",
					"api", cl.url, "stats", stats, "programs", programs,
					"maps", maps);

		if (json_is_true(json_object_get(cluster, "enabled")))
			json_object_set(all, "cluster", cluster);
		print_json(all);
		json_decref(all);
		goto out;
	}
	printf("daemon:   running, API at %s, pins in %s\n", cl.url,
	       str_or(stats, "pin_root", "?"));
	print_cluster_line(cluster);
	print_features(json_object_get(stats, "features"));
	printf("\n");
	print_programs_table(&cl, programs, stats);
	printf("\n");
	print_maps_table(&cl, maps);
out:
	json_decref(stats);
	json_decref(programs);
	json_decref(maps);
	json_decref(cluster);
	return ret;
}

/* ---- programs, maps, map dump, stats ----------------------------------- */

/* key: value lines of an object, nested values as compact JSON. */
static void print_fields(json_t *obj)
{
	const char *key;
	json_t *v;

	json_object_foreach(obj, key, v) {
		char *text = json_is_string(v) ? strdup(json_string_value(v))
					       : json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY |
							    JSON_REAL_PRECISION(10));

		printf("%-14s %s\n", key, text ? text : "?");
		free(text);
	}
}

int fw_cmd_ebpf_programs(int argc, char **argv)
{
	char path[MAX_PATH_LEN];
	struct fw_client cl;
	json_t *out = NULL, *stats = NULL;
	int first, ret;

	ret = begin(&cl, argc, argv, &first, 0, 1, "programs", "[NAME]");
	if (ret)
		return ret;
	if (first < argc && argv[first]) {
		if (fw_client_path(path, sizeof(path), "/api/ebpf/programs/", argv[first], NULL))
			return too_long(&cl, argv[first]);
		ret = get(&cl, path, &out);
		if (!ret)
			cl.json ? print_json(out) : print_fields(out);
	} else if (!(ret = get(&cl, "/api/ebpf/programs", &out))) {
		if (cl.json)
			print_json(out);
		else if (!(ret = get(&cl, "/api/ebpf/stats", &stats)))
			print_programs_table(NULL, out, stats);
	}
	json_decref(out);
	json_decref(stats);
	return ret;
}

int fw_cmd_ebpf_maps(int argc, char **argv)
{
	struct fw_client cl;
	json_t *out = NULL;
	int first, ret;

	ret = begin(&cl, argc, argv, &first, 0, 0, "maps", "");
	if (ret || (ret = get(&cl, "/api/ebpf/maps", &out)))
		return ret;
	if (cl.json)
		print_json(out);
	else
		print_maps_table(&cl, out);
	json_decref(out);
	return 0;
}

static void print_entry(json_t *entry)
{
	char *key = json_dumps(json_object_get(entry, "key"), JSON_COMPACT | JSON_ENCODE_ANY);
	char *value = json_dumps(json_object_get(entry, "value"), JSON_COMPACT | JSON_ENCODE_ANY);
	json_t *cpus = json_object_get(entry, "values");

	printf("key: %s  value: %s", key ? key : "?", value ? value : "?");
	if (json_is_array(cpus)) {
		char *per = json_dumps(cpus, JSON_COMPACT);

		printf("  (per CPU: %s)", per ? per : "?");
		free(per);
	}
	putchar('\n');
	free(key);
	free(value);
}

/* A listing printed as it arrives (NDJSON from the daemon): an entry per
 * line, or with --json one JSON document whose total is what was printed. */
struct listing {
	bool json;
	size_t n;
	void (*print)(json_t *entry);
};

static bool print_listed(const char *line, void *ctx)
{
	struct listing *l = ctx;
	json_t *e;

	if (l->json) {
		printf("%s%s", l->n ? ",\n    " : "\n    ", line);
	} else {
		e = json_loads(line, 0, NULL);
		if (!e)
			return false;
		l->print(e);
		json_decref(e);
	}
	l->n++;
	return true;
}

/*
 * Prints a listing as it streams from path: with --json one document,
 * {"<what>": "<name>", "entries": [...], "<count_key>": N}, N being what was
 * printed; else a line per entry and the count. A listing that breaks off
 * fails (the exit code says the output is incomplete).
 */
static int print_listing(struct fw_client *cl, const char *path, void (*print)(json_t *),
			 const char *what, const char *name, const char *count_key)
{
	struct listing l = { cl->json, 0, print };
	int ret;

	if (cl->json)
		printf("{\n  \"%s\": \"%s\",\n  \"entries\": [", what, name);
	ret = fw_client_get_lines(cl, path, print_listed, &l);
	if (ret)
		return ret;
	if (cl->json)
		printf("%s],\n  \"%s\": %zu\n}\n", l.n ? "\n  " : "", count_key, l.n);
	else
		printf("%zu entries\n", l.n);
	fflush(stdout);
	return 0;
}

/* Every entry of a map, streamed: {"map", "entries": [...], "total": N}. */
static int map_dump(struct fw_client *cl, const char *name)
{
	char path[MAX_PATH_LEN];

	if (fw_client_path(path, sizeof(path), "/api/ebpf/maps/", name,
			   "/data?all=true&format=ndjson"))
		return too_long(cl, name);
	return print_listing(cl, path, print_entry, "map", name, "total");
}

int fw_cmd_ebpf_map_dump(int argc, char **argv)
{
	struct fw_client cl;
	int first, ret;

	ret = begin(&cl, argc, argv, &first, 1, 1, "map dump", "NAME");
	if (ret)
		return ret;
	return map_dump(&cl, argv[first]);
}

int fw_cmd_ebpf_stats(int argc, char **argv)
{
	char path[MAX_PATH_LEN], runs[32], total[32], avg[32];
	struct fw_client cl;
	json_t *out = NULL, *p;
	int first, ret;
	size_t i;

	ret = begin(&cl, argc, argv, &first, 0, 1, "stats", "[PROGRAM]");
	if (ret)
		return ret;
	if (first < argc && argv[first]) {
		if (fw_client_path(path, sizeof(path), "/api/ebpf/programs/", argv[first], "/stats"))
			return too_long(&cl, argv[first]);
	} else {
		snprintf(path, sizeof(path), "/api/ebpf/stats");
	}
	if ((ret = get(&cl, path, &out)))
		return ret;
	if (cl.json) {
		print_json(out);
	} else if (first < argc && argv[first]) {
		/* Counters by the names the program declares in its BTF (as
		 * /metrics labels them: verdict/reason or counter), else by slot;
		 * slots at 0 are left out. */
		json_t *counters = json_incref(json_object_get(out, "counters")), *names, *values, *v;
		json_t *all_names = json_incref(json_object_get(out, "counter_names"));
		const char *map;

		json_object_del(out, "counters");
		json_object_del(out, "counter_names");
		print_fields(out);
		json_object_foreach(counters, map, values) {
			names = json_object_get(all_names, map);
			json_array_foreach(values, i, v) {
				json_t *n = json_array_get(names, i);
				const char *verdict = json_string_value(json_object_get(n, "verdict"));
				char label[160];

				if (!json_integer_value(v) || (names && !json_is_object(n)))
					continue;
				if (verdict)
					snprintf(label, sizeof(label), "%s/%s", verdict,
						 json_string_value(json_object_get(n, "reason")));
				else if (names)
					snprintf(label, sizeof(label), "%s",
						 json_string_value(json_object_get(n, "counter")));
				else
					snprintf(label, sizeof(label), "[%zu]", i);
				printf("%-14s %-32s %lld\n", map, label,
				       (long long)json_integer_value(v));
			}
		}
		json_decref(counters);
		json_decref(all_names);
	} else {
		printf("%-18s %-14s %14s %16s %8s\n", "PROGRAM", "HOOK", "RUNS", "RUN TIME NS",
		       "AVG NS");
		json_array_foreach(json_object_get(out, "programs"), i, p)
			printf("%-18s %-14s %14s %16s %8s\n", str_or(p, "name", "?"),
			       str_or(p, "hook", "-"), num_text(p, "run_cnt", runs, sizeof(runs)),
			       num_text(p, "run_time_ns", total, sizeof(total)),
			       num_text(p, "avg_ns", avg, sizeof(avg)));
	}
	json_decref(out);
	return 0;
}

/* ---- load, update, unload ---------------------------------------------- */

/* "2000000" → integer, "0.5" → real, "true"/"false" → boolean, else text. */
static json_t *typed_value(const char *text)
{
	char *end;
	long long i;
	double d;

	if (!strcmp(text, "true") || !strcmp(text, "false"))
		return json_boolean(!strcmp(text, "true"));
	errno = 0;
	i = strtoll(text, &end, 0);
	if (text[0] && !*end && !errno)
		return json_integer(i);
	d = strtod(text, &end);
	if (text[0] && !*end)
		return json_real(d);
	return json_string(text);
}

/* "K=V" into obj[K]; false if there is no '='. */
static bool put_assignment(json_t *obj, const char *word)
{
	const char *eq = strchr(word, '=');
	char key[FW_NAME_MAX];

	if (!eq || eq == word || (size_t)(eq - word) >= sizeof(key))
		return false;
	memcpy(key, word, eq - word);
	key[eq - word] = '\0';
	json_object_set_new(obj, key, typed_value(eq + 1));
	return true;
}

/* "NAME:TYPE:SIZE" (TYPE or SIZE may be empty) into maps[NAME]. */
static bool put_map(json_t *maps, const char *word)
{
	char buf[256], *type, *size;
	json_t *m = json_object();

	snprintf(buf, sizeof(buf), "%s", word);
	type = strchr(buf, ':');
	if (!type)
		return json_decref(m), false;
	*type++ = '\0';
	size = strchr(type, ':');
	if (size)
		*size++ = '\0';
	if (type[0])
		json_object_set_new(m, "type", json_string(type));
	if (size && size[0])
		json_object_set_new(m, "size", typed_value(size));
	json_object_set_new(maps, buf, m);
	return true;
}

static const char load_args[] =
	"NAME OBJECT [interface IF] [hook H] [direction D] [mode M] [tracepoint CAT:NAME] "
	"[function F] [sockets dns,dhcp] [rate R] [burst B] [map NAME:TYPE:SIZE]... [arg K=V]...";

static bool load_keyword(json_t *body, const char *key, const char *value)
{
	static const char *const plain[] = { "interface", "hook", "direction", "mode",
					     "tracepoint", "function" };

	for (size_t i = 0; i < sizeof(plain) / sizeof(*plain); i++)
		if (!strcmp(key, plain[i])) {
			json_object_set_new(body, key, json_string(value));
			return true;
		}
	if (!strcmp(key, "rate") || !strcmp(key, "burst")) {
		json_t *shaping = json_object_get(body, "shaping");

		if (!shaping)
			json_object_set_new(body, "shaping", shaping = json_object());
		json_object_set_new(shaping, key, json_string(value));
		return true;
	}
	if (!strcmp(key, "sockets")) {
		json_t *list = json_array();
		char buf[256], *save = NULL;

		snprintf(buf, sizeof(buf), "%s", value);
		for (char *s = strtok_r(buf, ",", &save); s; s = strtok_r(NULL, ",", &save))
			json_array_append_new(list, json_string(s));
		json_object_set_new(body, "sockets", list);
		return true;
	}
	if (!strcmp(key, "arg")) {
		json_t *args = json_object_get(body, "args");

		if (!args)
			json_object_set_new(body, "args", args = json_object());
		return put_assignment(args, value);
	}
	if (!strcmp(key, "map")) {
		json_t *maps = json_object_get(body, "maps");

		if (!maps)
			json_object_set_new(body, "maps", maps = json_object());
		return put_map(maps, value);
	}
	return false;
}

int fw_cmd_ebpf_load(int argc, char **argv)
{
	struct fw_client cl;
	char done[128];
	json_t *body;
	int first, ret;

	ret = begin(&cl, argc, argv, &first, 2, -1, "load", load_args);
	if (ret)
		return ret;
	body = json_pack("{s:s, s:s}", "name", argv[first], "program", argv[first + 1]);
	for (int i = first + 2; i < argc; i += 2) {
		if (i + 1 >= argc || !load_keyword(body, argv[i], argv[i + 1])) {
			json_decref(body);
			return fw_client_usage_word("load", load_args, i + 1 >= argc ? "no value after" :
					  "unknown keyword or bad value at", argv[i]);
		}
	}
	snprintf(done, sizeof(done), "loaded %s", argv[first]);
	return change(&cl, "POST", "/api/ebpf/programs/load", body, done);
}

int fw_cmd_ebpf_update(int argc, char **argv)
{
	char path[MAX_PATH_LEN], done[128];
	struct fw_client cl;
	json_t *args;
	int first, ret;

	ret = begin(&cl, argc, argv, &first, 2, -1, "update", "NAME KEY=VALUE...");
	if (ret)
		return ret;
	args = json_object();
	for (int i = first + 1; i < argc; i++)
		if (!put_assignment(args, argv[i])) {
			json_decref(args);
			return fw_client_usage_word("update", "NAME KEY=VALUE...", "expected KEY=VALUE, not",
					  argv[i]);
		}
	if (fw_client_path(path, sizeof(path), "/api/ebpf/programs/", argv[first], NULL)) {
		json_decref(args);
		return too_long(&cl, argv[first]);
	}
	snprintf(done, sizeof(done), "updated %s", argv[first]);
	return change(&cl, "PUT", path, json_pack("{s:o}", "args", args), done);
}

int fw_cmd_ebpf_unload(int argc, char **argv)
{
	char path[MAX_PATH_LEN], done[128];
	struct fw_client cl;
	int first, ret;

	ret = begin(&cl, argc, argv, &first, 1, 1, "unload", "NAME");
	if (ret)
		return ret;
	if (fw_client_path(path, sizeof(path), "/api/ebpf/programs/", argv[first], NULL))
		return too_long(&cl, argv[first]);
	snprintf(done, sizeof(done), "unloaded %s", argv[first]);
	return change(&cl, "DELETE", path, NULL, done);
}

/* ---- blocklist --------------------------------------------------------- */

static void print_blocked(json_t *e)
{
	char left[32];

	printf("%-40s expires in %s\n", str_or(e, "address", "?"),
	       json_is_integer(json_object_get(e, "expires_in")) ?
	       num_text(e, "expires_in", left, sizeof(left)) : "never");
}

/*
 * The words of a blocklist command: the client options, the keywords
 * "program P" (and "expires S" where allowed), and the other words (the
 * addresses, or the file of an import), of which there must be min to max.
 */
struct blocklist_cmd {
	struct fw_client cl;
	const char *program, *expires;
	json_t *words;
	char path[MAX_PATH_LEN];        /* /api/ebpf/blocklist?program=P */
};

static int blocklist_begin(struct blocklist_cmd *b, int argc, char **argv, const char *cmd,
			   const char *args, bool takes_expires, size_t min, size_t max)
{
	int first, ret = begin(&b->cl, argc, argv, &first, 0, -1, cmd, args);

	b->words = NULL;
	if (ret)
		return ret;
	b->words = json_array();
	for (int a = first; a < argc; a++) {
		bool is_program = !strcmp(argv[a], "program");

		if (is_program || !strcmp(argv[a], "expires")) {
			if (!is_program && !takes_expires)
				return fw_client_usage_word(cmd, args, "does not take", argv[a]);
			if (a + 1 >= argc)
				return fw_client_usage_word(cmd, args, "no value after", argv[a]);
			*(is_program ? &b->program : &b->expires) = argv[++a];
		} else {
			json_array_append_new(b->words, json_string(argv[a]));
		}
	}
	if (json_array_size(b->words) > max)
		return fw_client_usage_word(cmd, args, "unexpected argument",
				  json_string_value(json_array_get(b->words, max)));
	if (json_array_size(b->words) < min)
		return fw_client_usage(cmd, args);
	snprintf(b->path, sizeof(b->path), "/api/ebpf/blocklist");
	if (fw_client_add_query(b->path, sizeof(b->path), "program", b->program))
		return too_long(&b->cl, b->program);
	return 0;
}

int fw_cmd_ebpf_blocklist_list(int argc, char **argv)
{
	struct blocklist_cmd b = { 0 };
	int ret = blocklist_begin(&b, argc, argv, "blocklist list", "[program P]", false, 0, 0);

	if (!ret && fw_client_add_query(b.path, sizeof(b.path), "format", "ndjson"))
		ret = too_long(&b.cl, b.path);
	if (!ret)
		ret = print_listing(&b.cl, b.path, print_blocked, "program",
				    b.program ? b.program : "ddos_filter", "count");
	json_decref(b.words);
	return ret;
}

/* What an import read: the addresses to send (one per line), and what it
 * refused, by line number. */
struct import {
	FILE *in;
	const char *name;               /* for messages: the file, or "stdin" */
	char *line;
	size_t line_cap;
	bool eof, failed;
	char *text;                     /* lines read, not handed to the upload yet */
	size_t len, cap, off;
	size_t lines, accepted, refused;
	char refused_lines[512];        /* "3, 17, ..." (the first ones) */
};

static int import_append(struct import *im, const char *address)
{
	size_t need = im->len + strlen(address) + 2;

	if (need > im->cap) {
		char *grown = realloc(im->text, im->cap = need * 2 + 4096);

		if (!grown)
			return -1;
		im->text = grown;
	}
	im->len += sprintf(im->text + im->len, "%s\n", address);
	return 0;
}

/*
 * One line of a plain list, a FireHOL netset or Spamhaus DROP: the address
 * or CIDR is the first word; '#' and ';' start comments (a whole line, or
 * after the address: "1.10.16.0/20 ; SBL256894").
 */
static int import_line(struct import *im, char *line, const char *file)
{
	char *start = line, why[96];

	im->lines++;
	while (*start == ' ' || *start == '\t')
		start++;
	start[strcspn(start, " \t;#\r\n")] = '\0';
	if (!*start)
		return 0;
	if (!fw_api_address_valid(start, why, sizeof(why))) {
		size_t used = strlen(im->refused_lines);

		fprintf(stderr, "flywall: %s:%zu: refused '%.64s': %s\n", file, im->lines, start, why);
		if (used < sizeof(im->refused_lines) - 24)
			snprintf(im->refused_lines + used, sizeof(im->refused_lines) - used, "%s%zu",
				 used ? ", " : "", im->lines);
		im->refused++;
		return 0;
	}
	im->accepted++;
	return import_append(im, start);
}

/* The upload's body, read as curl asks for it: the file is read, checked
 * and sent line by line, so the daemon applies it while it is being read. */
static size_t import_read(char *dst, size_t max, void *ctx)
{
	struct import *im = ctx;
	size_t n;

	while (im->off == im->len && !im->eof && !im->failed) {
		im->len = im->off = 0;
		while (im->len < 65536 && !im->eof && !im->failed) {
			if (getline(&im->line, &im->line_cap, im->in) < 0)
				im->eof = true;
			else if (import_line(im, im->line, im->name))
				im->failed = true;
		}
	}
	if (im->failed)
		return (size_t)-1;      /* out of memory: the upload is abandoned (undone) */
	n = im->len - im->off < max ? im->len - im->off : max;
	memcpy(dst, im->text + im->off, n);
	im->off += n;
	return n;
}

static int blocklist_import(struct fw_client *cl, const char *file, const char *program,
			    const char *expires)
{
	struct import im = { .in = strcmp(file, "-") ? fopen(file, "r") : stdin,
			     .name = strcmp(file, "-") ? file : "stdin" };
	char path[MAX_PATH_LEN] = "/api/ebpf/blocklist";
	json_t *out = NULL;
	long status = 0;
	int ret;

	if (!im.in)
		return fw_client_fail(cl, FW_EXIT_USAGE, strerror(errno), "cannot read %s", file);
	if (fw_client_add_query(path, sizeof(path), "program", program) ||
	    fw_client_add_query(path, sizeof(path), "expires_in", expires)) {
		if (im.in != stdin)
			fclose(im.in);
		return too_long(cl, path);
	}
	ret = fw_client_upload(cl, "POST", path, "text/plain", import_read, &im, &status, &out);
	if (ret)
		goto out;
	if (im.failed) {
		ret = fw_client_fail(cl, FW_EXIT_FAIL, "nothing was imported", "out of memory");
	} else if (status >= 400) {
		fw_client_print_error(cl, status, out);
		ret = FW_EXIT_FAIL;
	} else {
		json_object_set_new(out, "refused", json_integer((json_int_t)im.refused));
		if (im.refused)
			json_object_set_new(out, "refused_lines", json_string(im.refused_lines));
		if (cl->json)
			print_json(out);
		else
			printf("imported %s: added %lld, duplicates %lld (already blocked), "
			       "refused %zu%s%s%s\n", file,
			       (long long)json_integer_value(json_object_get(out, "added")),
			       (long long)json_integer_value(json_object_get(out, "duplicates")),
			       im.refused, im.refused ? " (lines " : "", im.refused_lines,
			       im.refused ? ")" : "");
	}
out:
	json_decref(out);
	free(im.line);
	free(im.text);
	if (im.in != stdin)
		fclose(im.in);
	return ret;
}

int fw_cmd_ebpf_blocklist_import(int argc, char **argv)
{
	struct blocklist_cmd b = { 0 };
	int ret = blocklist_begin(&b, argc, argv, "blocklist import",
				  "FILE|- [expires SECONDS] [program P]", true, 1, 1);

	if (!ret)
		ret = blocklist_import(&b.cl, json_string_value(json_array_get(b.words, 0)),
				       b.program, b.expires);
	json_decref(b.words);
	return ret;
}

static int blocklist_change(struct blocklist_cmd *b, bool add)
{
	size_t n = json_array_size(b->words);
	json_t *body = json_pack("{s:o}", "addresses", b->words);
	char done[128];

	b->words = NULL;
	snprintf(done, sizeof(done), "%s %zu address%s", add ? "blocked" : "removed", n,
		 n == 1 ? "" : "es");
	if (add && b->expires)
		json_object_set_new(body, "expires_in", typed_value(b->expires));
	return change(&b->cl, add ? "POST" : "DELETE", b->path, body, done);
}

int fw_cmd_ebpf_blocklist_add(int argc, char **argv)
{
	struct blocklist_cmd b = { 0 };
	int ret = blocklist_begin(&b, argc, argv, "blocklist add",
				  "ADDRESS... [expires SECONDS] [program P]", true, 1, SIZE_MAX);

	if (!ret)
		ret = blocklist_change(&b, true);
	json_decref(b.words);
	return ret;
}

int fw_cmd_ebpf_blocklist_del(int argc, char **argv)
{
	struct blocklist_cmd b = { 0 };
	int ret = blocklist_begin(&b, argc, argv, "blocklist del", "ADDRESS... [program P]",
				  false, 1, SIZE_MAX);

	if (!ret)
		ret = blocklist_change(&b, false);
	json_decref(b.words);
	return ret;
}

/* ---- events ------------------------------------------------------------ */

struct follow {
	bool json;
	long remaining;         /* stop after this many; < 0: never */
};

static bool print_event(const char *id, const char *data, void *ctx)
{
	struct follow *f = ctx;

	if (f->json) {
		printf("%s\n", data);
	} else {
		json_t *ev = json_loads(data, 0, NULL);

		printf("%-8s %-14s %s\n", id, str_or(ev, "type", "event"), data);
		json_decref(ev);
	}
	return f->remaining < 0 || --f->remaining > 0;
}

static const char events_args[] = "[since SEQ] [count N]";

int fw_cmd_ebpf_events(int argc, char **argv)
{
	char path[MAX_PATH_LEN] = "/api/ebpf/events";
	struct follow f = { .remaining = -1 };
	struct fw_client cl;
	int first, ret;

	ret = begin(&cl, argc, argv, &first, 0, 4, "events", events_args);
	if (ret)
		return ret;
	f.json = cl.json;
	for (int i = first; i < argc; i += 2) {
		if (i + 1 >= argc)
			return fw_client_usage_word("events", events_args, "no value after", argv[i]);
		if (!strcmp(argv[i], "since")) {
			if (fw_client_add_query(path, sizeof(path), "since", argv[i + 1]))
				return too_long(&cl, argv[i + 1]);
		} else if (!strcmp(argv[i], "count")) {
			char *end;

			f.remaining = strtol(argv[i + 1], &end, 10);
			if (*end || f.remaining <= 0)
				return fw_client_usage_word("events", events_args,
						  "count takes a positive number, not", argv[i + 1]);
		} else {
			return fw_client_usage_word("events", events_args, "unknown keyword", argv[i]);
		}
	}
	return fw_client_stream(&cl, path, print_event, &f);
}
