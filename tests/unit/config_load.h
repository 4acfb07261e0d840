/* SPDX-License-Identifier: MIT */
/* Loading a configuration text in unit tests: the typed config and every
 * diagnostic, as `flywall config check` would get them. */
#ifndef FLYWALL_TESTS_CONFIG_LOAD_H
#define FLYWALL_TESTS_CONFIG_LOAD_H

#include <stdlib.h>
#include <string.h>

#include "config/ebpf_config.h"
#include "config/hcl.h"

/* Configurations are named as if they lived in /etc/flywall. */
#define CONFIG_NAME "/etc/flywall/t.hcl"

struct loaded {
	struct fw_config cfg;
	struct hcl_diags diags;
	int count;              /* errors */
};

static inline struct loaded *load(const char *text)
{
	struct loaded *l = calloc(1, sizeof(*l));

	hcl_diags_init(&l->diags, CONFIG_NAME, text, strlen(text));
	l->count = fw_config_load_diags(CONFIG_NAME, text, strlen(text), &l->cfg, &l->diags);
	return l;
}

static inline void unload(struct loaded *l)
{
	if (l->count == 0)
		fw_config_release(&l->cfg);
	hcl_diags_release(&l->diags);
	free(l);
}

#endif
