/* SPDX-License-Identifier: MIT */
/*
 * The daemon's rule plane (rules.c, feeds.c, top.c), the `rules` program
 * extension (fw_ext_rules: objects that declare rule_defs, feed_cidrs and
 * talkers). The API calls take the daemon as ctx (struct fw_api_backend).
 */
#ifndef FLYWALL_DAEMON_RULES_H
#define FLYWALL_DAEMON_RULES_H

#include <jansson.h>
#include <stddef.h>

#include "common/error.h"
#include "daemon/state.h"

/* After a configuration was applied (no lock held): for each program with
 * `rule` blocks, makes its live rule set exactly those; loads the `feed`
 * blocks, which the extension's tick watches from now on. Failures are
 * logged. */
void fw_rule_plane_configure(struct fw_daemon *d);
/* Frees the kept state (at daemon exit, after the housekeeping thread). */
void fw_rule_plane_free(struct fw_daemon *d);

/* rules.c */
int fw_rules_list(void *ctx, const char *program, json_t **out, struct fw_error *err);
int fw_rules_add(void *ctx, const char *program, json_t *rule, json_t **out,
		 struct fw_error *err);
int fw_rules_delete(void *ctx, const char *program, const char *rule, struct fw_error *err);
int fw_rules_replace(void *ctx, const char *program, json_t *rules, json_t **out,
		     struct fw_error *err);
/* Opens a program's pinned map by name (the root read under the daemon lock):
 * -ENOENT when the daemon runs no such program, -EINVAL when it has no such
 * map. */
int fw_rule_plane_map_fd(struct fw_daemon *d, const char *program, const char *map,
			 struct fw_error *err);

/* feeds.c */
int fw_feeds_list(void *ctx, const char *program, json_t **out, struct fw_error *err);
int fw_feeds_reload(void *ctx, const char *program, json_t **out, struct fw_error *err);
void fw_feeds_configure(struct fw_daemon *d);
/* The extension's tick: reloads the feeds whose file changed or whose
 * refresh is due. */
void fw_feeds_tick(struct fw_daemon *d);
void fw_feeds_free(struct fw_daemon *d);

/* top.c */
int fw_top(void *ctx, const char *program, unsigned int interval_s, size_t limit,
	   json_t **out, struct fw_error *err);
/* The extension's tick: the auto_block_pps check. */
void fw_auto_block_tick(struct fw_daemon *d);
void fw_auto_block_free(struct fw_daemon *d);

#endif
