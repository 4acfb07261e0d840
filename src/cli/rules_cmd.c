// SPDX-License-Identifier: MIT
/*
 * `flywall ebpf rules list|add|del` and `flywall ebpf mode`: ddos_filter's
 * L4 rules and its shadow / under-attack modes, through the REST API
 * (docs/api.md#rules). Tables by default, the API's JSON with --json.
 */
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api/routes.h"
#include "cli/client.h"
#include "cli/rules_cmds.h"

#define PATH_LEN 512


/* One call; prints an error answer and returns its exit code. */
static int call(struct fw_client *cl, const char *method, const char *path, json_t *body,
		json_t **out)
{
	long status = 0;
	int ret = fw_client_call(cl, method, path, body, strcmp(method, "GET") != 0, &status,
				 out);

	json_decref(body);
	if (ret)
		return ret;
	if (status >= 400) {
		fw_client_print_error(cl, status, *out);
		json_decref(*out);
		*out = NULL;
		return FW_EXIT_FAIL;
	}
	return 0;
}

static void print_json(json_t *v)
{
	json_dumpf(v, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	putchar('\n');
}

/* The program the rule plane's commands act on when none is named: the one
 * the daemon's blocklist defaults to (docs/api.md). */
#define RULES_DEFAULT_PROGRAM "ddos_filter"

/* Takes "program P" out of the words; the others stay in order. */
static int take_program(int *argc, char **argv, const char **program, const char *cmd,
			const char *args)
{
	int n = 0;

	*program = RULES_DEFAULT_PROGRAM;
	for (int i = 0; i < *argc; i++) {
		if (!strcmp(argv[i], "program")) {
			if (i + 1 >= *argc)
				return fw_client_usage_word(cmd, args, "no value after", argv[i]);
			*program = argv[++i];
			continue;
		}
		argv[n++] = argv[i];
	}
	*argc = n;
	return 0;
}

/* The common options (fw_client_init), then the command's own words: *argv
 * moves to them (NULL-ended), *argc counts them, "program P" taken out. */
static int begin(struct fw_client *cl, int *argc, char ***argv, const char **program,
		 const char *cmd, const char *args)
{
	int first, ret = fw_client_init(cl, *argc, *argv, &first);

	if (ret)
		return ret;
	*argv += first;
	for (*argc = 0; (*argv)[*argc]; (*argc)++)
		;
	return take_program(argc, *argv, program, cmd, args);
}

static int rules_path(struct fw_client *cl, char *path, const char *program, const char *rule)
{
	char escaped[PATH_LEN];
	size_t len;

	if (fw_client_path(path, PATH_LEN, "/api/ebpf/programs/", program, "/rules"))
		return fw_client_fail(cl, FW_EXIT_USAGE, NULL, "name too long for a request");
	if (!rule)
		return 0;
	len = strlen(path);
	if (fw_client_escape(rule, escaped, sizeof(escaped)) ||
	    snprintf(path + len, PATH_LEN - len, "/%s", escaped) >= (int)(PATH_LEN - len))
		return fw_client_fail(cl, FW_EXIT_USAGE, NULL, "name too long for a request");
	return 0;
}

static void print_counter(json_t *r, const char *key)
{
	printf(" %12lld", (long long)json_integer_value(json_object_get(r, key)));
}

int fw_cmd_ebpf_rules_list(int argc, char **argv)
{
	const char *args = "[program P]", *program;
	struct fw_client cl;
	char path[PATH_LEN];
	json_t *out = NULL, *r;
	int ret;
	size_t i;

	ret = begin(&cl, &argc, &argv, &program, "rules list", args);
	if (!ret && argc)
		ret = fw_client_usage_word("rules list", args, "unexpected argument", argv[0]);
	if (!ret)
		ret = rules_path(&cl, path, program, NULL);
	if (!ret)
		ret = call(&cl, "GET", path, NULL, &out);
	if (ret)
		return ret;
	if (cl.json) {
		print_json(out);
	} else {
		printf("%-4s %-20s %-50s %12s %12s %12s\n", "#", "NAME", "RULE", "PACKETS", "BYTES",
		       "WOULD DROP");
		json_array_foreach(json_object_get(out, "rules"), i, r) {
			printf("%-4zu %-20s %-50s", i, json_string_value(json_object_get(r, "name")),
			       json_string_value(json_object_get(r, "rule")));
			print_counter(r, "packets");
			print_counter(r, "bytes");
			print_counter(r, "would_drop");
			putchar('\n');
		}
	}
	json_decref(out);
	return 0;
}

/* Keywords of `rules add` that take a value, and their JSON fields. */
static const struct { const char *word, *field; } add_keywords[] = {
	{ "src", "src" }, { "dst", "dst" }, { "dport", "dport" }, { "flags", "tcp_flags" },
	{ "pps", "rate_pps" }, { "position", "position" },
};

static bool is_proto(const char *w)
{
	return !strcmp(w, "tcp") || !strcmp(w, "udp") || !strcmp(w, "icmp") ||
	       !strcmp(w, "icmpv6") || !strcmp(w, "any");
}

int fw_cmd_ebpf_rules_add(int argc, char **argv)
{
	const char *args = "NAME ACTION [PROTO] [src CIDR] [dst CIDR] [dport P|LO-HI] "
			   "[flags F] [pps N] [position N] [program P]", *program;
	struct fw_client cl;
	char path[PATH_LEN];
	json_t *body, *out = NULL;
	int ret;

	ret = begin(&cl, &argc, &argv, &program, "rules add", args);
	if (ret)
		return ret;
	if (argc < 2)
		return fw_client_usage("rules add", args);
	body = json_pack("{s:s, s:s}", "name", argv[0], "action", argv[1]);
	for (int i = 2; i < argc; i++) {
		size_t k;

		if (i == 2 && is_proto(argv[i])) {
			json_object_set_new(body, "proto", json_string(argv[i]));
			continue;
		}
		for (k = 0; k < sizeof(add_keywords) / sizeof(add_keywords[0]); k++)
			if (!strcmp(argv[i], add_keywords[k].word))
				break;
		if (k == sizeof(add_keywords) / sizeof(add_keywords[0])) {
			json_decref(body);
			return fw_client_usage_word("rules add", args, "unknown word", argv[i]);
		}
		if (i + 1 >= argc) {
			json_decref(body);
			return fw_client_usage_word("rules add", args, "no value after", argv[i]);
		}
		i++;
		if (!strcmp(add_keywords[k].field, "rate_pps") ||
		    !strcmp(add_keywords[k].field, "position")) {
			char *end;
			long long v = strtoll(argv[i], &end, 10);

			if (!*argv[i] || *end) {
				json_decref(body);
				return fw_client_usage_word("rules add", args, "not a number", argv[i]);
			}
			json_object_set_new(body, add_keywords[k].field, json_integer(v));
		} else {
			json_object_set_new(body, add_keywords[k].field, json_string(argv[i]));
		}
	}
	ret = rules_path(&cl, path, program, NULL);
	if (ret) {
		json_decref(body);
		return ret;
	}
	ret = call(&cl, "POST", path, body, &out);
	if (ret)
		return ret;
	if (cl.json)
		print_json(out);
	else
		printf("added rule %s: %s\n", json_string_value(json_object_get(out, "name")),
		       json_string_value(json_object_get(out, "rule")));
	json_decref(out);
	return 0;
}

int fw_cmd_ebpf_rules_del(int argc, char **argv)
{
	const char *args = "NAME [program P]", *program;
	struct fw_client cl;
	char path[PATH_LEN];
	json_t *out = NULL;
	int ret;

	ret = begin(&cl, &argc, &argv, &program, "rules del", args);
	if (ret)
		return ret;
	if (argc != 1)
		return argc ? fw_client_usage_word("rules del", args, "unexpected argument", argv[1]) :
			      fw_client_usage("rules del", args);
	ret = rules_path(&cl, path, program, argv[0]);
	if (!ret)
		ret = call(&cl, "DELETE", path, NULL, &out);
	if (ret)
		return ret;
	if (cl.json)
		print_json(out);
	else
		printf("deleted rule %s\n", argv[0]);
	json_decref(out);
	return 0;
}

/* `mode [shadow|under-attack on|off] [program P]`: one PUT of the program's
 * args, or with no words the current modes. */
int fw_cmd_ebpf_mode(int argc, char **argv)
{
	const char *args = "[shadow|under-attack on|off] [program P]", *program, *arg;
	struct fw_client cl;
	char path[PATH_LEN];
	json_t *out = NULL, *a;
	int ret;

	ret = begin(&cl, &argc, &argv, &program, "mode", args);
	if (ret)
		return ret;
	if (fw_client_path(path, sizeof(path), "/api/ebpf/programs/", program, ""))
		return fw_client_fail(&cl, FW_EXIT_USAGE, NULL, "name too long for a request");
	if (argc == 0) {
		ret = call(&cl, "GET", path, NULL, &out);
		if (ret)
			return ret;
		a = json_object_get(out, "args");
		if (cl.json) {
			json_t *m = json_pack("{s:s, s:O?, s:O?}", "program", program,
					      "shadow_mode", json_object_get(a, "shadow_mode"),
					      "under_attack", json_object_get(a, "under_attack"));
			print_json(m);
			json_decref(m);
		} else {
			printf("%s: shadow %s, under-attack %s\n", program,
			       json_integer_value(json_object_get(a, "shadow_mode")) ? "on" : "off",
			       json_integer_value(json_object_get(a, "under_attack")) ? "on" : "off");
		}
		json_decref(out);
		return 0;
	}
	if (argc != 2 || (strcmp(argv[1], "on") && strcmp(argv[1], "off")))
		return fw_client_usage("mode", args);
	if (!strcmp(argv[0], "shadow"))
		arg = "shadow_mode";
	else if (!strcmp(argv[0], "under-attack"))
		arg = "under_attack";
	else
		return fw_client_usage_word("mode", args, "unknown mode", argv[0]);
	ret = call(&cl, "PUT", path,
		   json_pack("{s:{s:i}}", "args", arg, !strcmp(argv[1], "on")), &out);
	if (ret)
		return ret;
	if (cl.json)
		print_json(out);
	else
		printf("%s: %s %s\n", program, argv[0], argv[1]);
	json_decref(out);
	return 0;
}

/* `feeds list|reload [program P]`. */
static int feeds_cmd(int argc, char **argv, bool reload)
{
	const char *cmd = reload ? "feeds reload" : "feeds list", *args = "[program P]", *program;
	struct fw_client cl;
	char path[PATH_LEN];
	json_t *out = NULL, *f, *e;
	int ret;
	size_t i, j;

	ret = begin(&cl, &argc, &argv, &program, cmd, args);
	if (!ret && argc)
		ret = fw_client_usage_word(cmd, args, "unexpected argument", argv[0]);
	if (ret)
		return ret;
	if (fw_client_path(path, sizeof(path), "/api/ebpf/programs/", program,
			   reload ? "/feeds/reload" : "/feeds"))
		return fw_client_fail(&cl, FW_EXIT_USAGE, NULL, "name too long for a request");
	ret = call(&cl, reload ? "POST" : "GET", path, NULL, &out);
	if (ret)
		return ret;
	if (cl.json) {
		print_json(out);
		json_decref(out);
		return 0;
	}
	printf("%-16s %9s %9s %6s %10s %-20s %s\n", "FEED", "PREFIXES", "ENTRIES", "BAD", "HITS",
	       "LOADED", "FILE");
	json_array_foreach(json_object_get(out, "feeds"), i, f) {
		printf("%-16s %9lld %9lld %6lld %10lld %-20s %s\n",
		       json_string_value(json_object_get(f, "name")),
		       (long long)json_integer_value(json_object_get(f, "prefixes")),
		       (long long)json_integer_value(json_object_get(f, "entries")),
		       (long long)json_integer_value(json_object_get(f, "bad_lines")),
		       (long long)json_integer_value(json_object_get(f, "hits")),
		       json_string_value(json_object_get(f, "loaded_at")) ?: "never",
		       json_string_value(json_object_get(f, "file")));
		json_array_foreach(json_object_get(f, "errors"), j, e)
			printf("  line %lld: %s\n", (long long)json_integer_value(json_object_get(e, "line")),
			       json_string_value(json_object_get(e, "error")));
		if (json_string_value(json_object_get(f, "last_error")))
			printf("  last reload failed: %s\n",
			       json_string_value(json_object_get(f, "last_error")));
	}
	json_decref(out);
	return 0;
}

int fw_cmd_ebpf_feeds_list(int argc, char **argv)
{
	return feeds_cmd(argc, argv, false);
}

int fw_cmd_ebpf_feeds_reload(int argc, char **argv)
{
	return feeds_cmd(argc, argv, true);
}

/* `top [program P] [--interval S] [limit N]`: the sources sending the most,
 * over S seconds (default 1). --interval is taken out before the client's
 * own options are parsed. */
int fw_cmd_ebpf_top(int argc, char **argv)
{
	const char *args = "[program P] [--interval S] [limit N]", *program, *interval = "1",
		   *limit = "10";
	struct fw_client cl;
	char path[PATH_LEN];
	json_t *out = NULL, *t;
	int n = 0, ret;
	size_t i;

	for (int a = 0; a < argc; a++) {
		if (!strcmp(argv[a], "--interval") && a + 1 < argc)
			interval = argv[++a];
		else if (!strncmp(argv[a], "--interval=", 11))
			interval = argv[a] + 11;
		else
			argv[n++] = argv[a];
	}
	argv[n] = NULL;
	argc = n;
	ret = begin(&cl, &argc, &argv, &program, "top", args);
	if (ret)
		return ret;
	if (argc == 2 && !strcmp(argv[0], "limit"))
		limit = argv[1];
	else if (argc)
		return fw_client_usage_word("top", args, "unexpected argument", argv[0]);
	if (fw_client_path(path, sizeof(path), "/api/ebpf/programs/", program, "/top") ||
	    fw_client_add_query(path, sizeof(path), "interval", interval) ||
	    fw_client_add_query(path, sizeof(path), "limit", limit))
		return fw_client_fail(&cl, FW_EXIT_USAGE, NULL, "too long for a request");
	ret = call(&cl, "GET", path, NULL, &out);
	if (ret)
		return ret;
	if (cl.json) {
		print_json(out);
		json_decref(out);
		return 0;
	}
	printf("%-40s %12s %14s %12s %14s\n", "SOURCE", "PACKETS", "BYTES", "PPS", "BIT/S");
	json_array_foreach(json_object_get(out, "talkers"), i, t)
		printf("%-40s %12lld %14lld %12.0f %14.0f\n",
		       json_string_value(json_object_get(t, "address")),
		       (long long)json_integer_value(json_object_get(t, "packets")),
		       (long long)json_integer_value(json_object_get(t, "bytes")),
		       json_real_value(json_object_get(t, "pps")),
		       json_real_value(json_object_get(t, "bps")));
	json_decref(out);
	return 0;
}
