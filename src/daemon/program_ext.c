// SPDX-License-Identifier: MIT
/* The table of program extensions (program_ext.h) and its walks. */
#include "daemon/program_ext.h"

#include <string.h>

/* Adding an extension: its ext_NAME.c and one line here. */
static const struct fw_program_ext *const exts[] = {
	&fw_ext_services,
	&fw_ext_shaper,
	&fw_ext_blocklist,
	&fw_ext_rules,
};

#define N_EXTS (sizeof(exts) / sizeof(*exts))

static int before_load(struct bpf_object *obj, const struct fw_prog_spec *spec,
		       struct fw_error *err)
{
	for (size_t i = 0; i < N_EXTS; i++) {
		int ret;

		if (!exts[i]->before_load || !exts[i]->matches(obj))
			continue;
		ret = exts[i]->before_load(obj, spec, err);
		if (ret)
			return ret;
	}
	return 0;
}

const struct fw_load_hook fw_program_ext_load_hook = { .before_load = before_load };

static void rollback_first(struct fw_ext_step *s, size_t n)
{
	while (n-- > 0)
		if (exts[n]->rollback && exts[n]->matches(s->obj->obj))
			exts[n]->rollback(s);
}

int fw_program_exts_apply(struct fw_ext_step *s, struct fw_error *err)
{
	for (size_t i = 0; i < N_EXTS; i++) {
		int ret;

		if (!exts[i]->apply || !exts[i]->matches(s->obj->obj))
			continue;
		ret = exts[i]->apply(s, err);
		if (ret) {
			rollback_first(s, i);
			return ret;
		}
	}
	return 0;
}

void fw_program_exts_rollback(struct fw_ext_step *s)
{
	rollback_first(s, N_EXTS);
}

static const struct fw_program_ext *keeper_of(const char *map)
{
	for (size_t i = 0; i < N_EXTS; i++)
		for (const char *const *m = exts[i]->maps; m && *m; m++)
			if (!strcmp(*m, map))
				return exts[i];
	return NULL;
}

void fw_program_exts_map_written(struct fw_daemon *d, const char *program,
				 const char *map)
{
	const struct fw_program_ext *e = keeper_of(map);

	if (e && e->map_written)
		e->map_written(d, program);
}

bool fw_program_exts_map_count(struct fw_daemon *d, const char *program, const char *map,
				__u32 id, long *n)
{
	const struct fw_program_ext *e = keeper_of(map);

	return e && e->map_count && e->map_count(d, program, map, id, n);
}

void fw_program_exts_tick(struct fw_daemon *d)
{
	for (size_t i = 0; i < N_EXTS; i++)
		if (exts[i]->tick)
			exts[i]->tick(d);
}
