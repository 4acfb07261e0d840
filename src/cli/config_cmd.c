// SPDX-License-Identifier: MIT
/*
 * `flywall config check FILE [--json]`: validates a configuration offline.
 * Exit 0 and a summary of what would be loaded where; exit 1 and every error
 * (stderr) when the file is wrong; exit 2 for a usage error. With --json the
 * validated configuration, or the errors, are printed as JSON on stdout.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/command.h"
#include "config/ebpf_config.h"
#include "config/hcl.h"
#include "ebpf/compiler.h"
#include "ebpf/hook_ops.h"

static void print_arg(const struct fw_arg *a, bool first)
{
	printf("%s %s=", first ? "" : ",", a->name);
	switch (a->kind) {
	case FW_ARG_INT: printf("%lld", (long long)a->i); break;
	case FW_ARG_BOOL: printf("%s", a->b ? "true" : "false"); break;
	case FW_ARG_FLOAT: printf("%g", a->f); break;
	default: printf("\"%s\"", a->s); break;
	}
}

static void print_prog(const struct fw_prog_spec *s)
{
	char target[256];

	fw_hook_ops_of(s->hook)->describe(s, target, sizeof(target));
	printf("  %-13s %-16s %s\n  %-13s %-16s %s\n", fw_hook_name(s->hook), s->name, target,
	       "", "", s->object);
	if (fw_compile_is_source(s->object))
		printf("  %-30s compiles (cached in %s)\n", "", fw_compile_cache_dir(NULL));
	if (s->n_maps) {
		printf("  %-30s maps:", "");
		for (size_t i = 0; i < s->n_maps; i++) {
			const struct fw_map_override *m = &s->maps[i];

			printf("%s %s", i ? "," : "", m->name);
			if (m->type != FW_MAP_DEFAULT)
				printf(" %s", fw_map_type_name(m->type));
			if (m->size)
				printf("[%u]", m->size);
		}
		printf("\n");
	}
	if (s->n_args) {
		printf("  %-30s args:", "");
		for (size_t i = 0; i < s->n_args; i++)
			print_arg(&s->args[i], i == 0);
		printf("\n");
	}
}

static void print_summary(const struct fw_config *cfg)
{
	const struct fw_ebpf_config *e = &cfg->ebpf;

	printf("%s: OK\n", cfg->path);
	printf("ebpf: %s, program_dir %s, map_size %u, jit %s\n",
	       e->enabled ? "enabled" : "disabled", e->program_dir, e->map_size,
	       e->jit ? "on" : "off");
	for (size_t i = 0; i < e->n_progs; i++)
		print_prog(&e->progs[i]);
	printf("api: listen %s, token file %s\n", cfg->api.listen, cfg->api.token_file);
	if (e->enabled)
		printf("%zu program%s would be loaded.\n", e->n_progs, e->n_progs == 1 ? "" : "s");
	else
		printf("eBPF is disabled: %zu program%s defined, none would be loaded.\n",
		       e->n_progs, e->n_progs == 1 ? "" : "s");
}

static void print_json(json_t *json)
{
	char *text = json_dumps(json, JSON_INDENT(2) | JSON_PRESERVE_ORDER);

	if (text)
		puts(text);
	free(text);
	json_decref(json);
}

static json_t *errors_json(const char *path, const struct hcl_diags *d)
{
	json_t *list = json_array();

	for (size_t i = 0; i < d->count; i++)
		json_array_append_new(list, json_pack("{s:i, s:i, s:s}",
						      "line", (int)d->items[i].pos.line,
						      "col", (int)d->items[i].pos.col,
						      "message", d->items[i].message));
	return json_pack("{s:s, s:o}", "file", path, "errors", list);
}

/*
 * Programs named by their source must compile: each is compiled (or found in
 * the cache) as the daemon would. The first that does not is reported as an
 * error of the file, with clang's diagnostics. 0 or 1 (errors).
 */
static int compile_sources(const char *path, const struct fw_config *cfg, bool json)
{
	const struct fw_ebpf_config *e = &cfg->ebpf;
	struct fw_error err = { 0 };
	char object[FW_PATH_MAX], block[FW_NAME_MAX + 32];

	for (size_t i = 0; i < e->n_progs; i++) {
		const struct fw_prog_spec *p = &e->progs[i];

		snprintf(block, sizeof(block), "%s \"%s\"", fw_hook_name(p->hook), p->name);
		if (!fw_compile_is_source(p->object) ||
		    !fw_compile_program(block, p->object, object, sizeof(object), &err))
			continue;
		fprintf(stderr, "%s: %s\n", path, err.msg);
		if (err.detail)
			fputs(err.detail, stderr);
		fprintf(stderr, "%s: 1 error\n", path);
		if (json)
			print_json(json_pack("{s:s, s:[{s:i, s:i, s:s, s:s?}]}", "file", path,
					     "errors", "line", 0, "col", 0, "message", err.msg,
					     "detail", err.detail));
		fw_error_clear(&err);
		return 1;
	}
	return 0;
}

static int check_file(const char *path, bool json)
{
	struct fw_error err = { 0 };
	struct fw_config cfg;
	struct hcl_diags diags;
	char *text = NULL, *rendered;
	size_t len = 0;
	int count;

	if (fw_config_read_file(path, &text, &len, &err)) {
		hcl_diags_init(&diags, path, "", 0);
		hcl_diag_add(&diags, (struct hcl_pos){ 0 }, "%s", err.msg);
		count = 1;
	} else {
		hcl_diags_init(&diags, path, text, len);
		count = fw_config_load_diags(path, text, len, &cfg, &diags);
	}

	if (count == 0 && compile_sources(path, &cfg, json)) {
		fw_config_release(&cfg);
		count = -1;     /* reported */
	} else if (count == 0) {
		if (json)
			print_json(fw_config_to_json(&cfg));
		else
			print_summary(&cfg);
		fw_config_release(&cfg);
	} else if (count > 0) {
		rendered = hcl_diags_render(&diags);
		fputs(rendered ? rendered : "out of memory\n", stderr);
		fprintf(stderr, "%s: %d error%s\n", path, count, count == 1 ? "" : "s");
		free(rendered);
		if (json)
			print_json(errors_json(path, &diags));
	}
	hcl_diags_release(&diags);
	free(text);
	return count ? 1 : 0;
}

static int cmd_check(int argc, char **argv)
{
	const char *path = NULL;
	bool json = false;

	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--json") == 0 || strcmp(argv[i], "-j") == 0) {
			json = true;
		} else if (argv[i][0] == '-' && argv[i][1]) {
			fprintf(stderr, "config check: unknown option '%s'\n"
				"Usage: flywall config check FILE [--json]\n", argv[i]);
			return 2;
		} else if (path) {
			fprintf(stderr, "config check: one FILE only ('%s' and '%s')\n"
				"Usage: flywall config check FILE [--json]\n", path, argv[i]);
			return 2;
		} else {
			path = argv[i];
		}
	}
	if (!path) {
		fprintf(stderr, "Usage: flywall config check FILE [--json]\n");
		return 2;
	}
	return check_file(path, json);
}

static const struct fw_command_word check_words[] = {
	{ "--json", FW_VALUE_NONE, NULL, "print the validated configuration, or the errors, as JSON" },
	{ 0 },
};

const struct fw_command fw_config_commands[] = {
	{ "check", cmd_check, NULL, "FILE [--json]",
	  "validate FILE; print what would be loaded where", { check_words },
	  "Exit 0 and a summary when the file is right; exit 1 and every error, at\n"
	  "FILE:LINE:COL with the line shown, when it is wrong; exit 2 for a usage error.\n"
	  "Programs given as .bpf.c sources are compiled (cached) and their errors shown\n"
	  "at the source's FILE:LINE:COL.\n", 1 },
	{ 0 },
};
