/* SPDX-License-Identifier: MIT */
/*
 * Program extensions: what the daemon does for a program because of what its
 * object declares (a map, a global), never because of its file or block
 * name, so a user's own program that declares the same gets the same.
 * One file per extension (ext_*.c), one table (program_ext.c):
 *   services  (ext_services.c)  a socket filter's `flywall_services` global
 *   shaper    (ext_shaper.c)    the shaper's mode/classid/rate_bps/burst_bytes
 *                               globals, written once the queuing is set up
 *   blocklist (ext_blocklist.c) the blocklist and cidr_blocklist maps: the
 *                               /api/ebpf/blocklist resource (blocklist.c)
 *   rules     (rules.c)         the rule plane's maps (rule_defs, feed_cidrs,
 *                               talkers): feeds' refresh and automatic
 *                               blocking in its tick
 * Every hook is optional. Reconcile calls them for each block it loads:
 * before_load in prepare (object opened, not loaded), apply in switch (the
 * program loaded, not attached yet), rollback when a later step fails.
 * Programs adopted from an earlier run have no object: hooks that serve
 * them (map writes and counts) go by map name.
 */
#ifndef FLYWALL_DAEMON_PROGRAM_EXT_H
#define FLYWALL_DAEMON_PROGRAM_EXT_H

#include <bpf/libbpf.h>
#include <linux/types.h>
#include <stdbool.h>

#include "common/error.h"
#include "ebpf/loader.h"
#include "ebpf/spec.h"

struct fw_daemon;

/* One block in reconcile's switch. */
struct fw_ext_step {
	const struct fw_prog_spec *spec;
	struct fw_object *obj;          /* loaded, not attached yet */
	int ifindex;
	const char *shaping_mode;       /* "htb"/"police" once queuing is set up, else "" */
	bool shaping_taken;             /* out: an extension passed the mode on */
};

struct fw_program_ext {
	const char *name;
	/* Whether the object declares what the extension works with. */
	bool (*matches)(struct bpf_object *obj);
	/* prepare: the object is opened, not loaded (load-time globals). */
	int (*before_load)(struct bpf_object *obj, const struct fw_prog_spec *spec,
			   struct fw_error *err);
	/* switch: the program is loaded, not yet attached. */
	int (*apply)(struct fw_ext_step *s, struct fw_error *err);
	/* A later step failed: undo what apply did outside the new program. */
	void (*rollback)(struct fw_ext_step *s);
	/* The maps the extension keeps state of (by name: adopted programs
	 * have no object), NULL-terminated. */
	const char *const *maps;
	/* One of those maps of program was written behind the extension's back
	 * (map data): recount before returning. */
	void (*map_written)(struct fw_daemon *d, const char *program);
	/* The entry count the extension keeps of a map with this id. */
	bool (*map_count)(struct fw_daemon *d, const char *program, const char *map, __u32 id,
			  long *n);
	/* Once a second on the housekeeping thread, no lock held (bounded
	 * slices; gives up when fw_backend_stopping(d)). */
	void (*tick)(struct fw_daemon *d);
};

extern const struct fw_program_ext fw_ext_services, fw_ext_shaper, fw_ext_blocklist,
	fw_ext_rules;

/* The loader's hook: every matching extension's before_load. */
extern const struct fw_load_hook fw_program_ext_load_hook;

/* Every matching extension's apply, in table order; on failure those
 * applied are rolled back. */
int fw_program_exts_apply(struct fw_ext_step *s, struct fw_error *err);
void fw_program_exts_rollback(struct fw_ext_step *s);
/* program's map was written through the API: tells the extension keeping it. */
void fw_program_exts_map_written(struct fw_daemon *d, const char *program,
				 const char *map);
/* Every extension's tick. */
void fw_program_exts_tick(struct fw_daemon *d);
/* The count an extension keeps of program's map, if one does. */
bool fw_program_exts_map_count(struct fw_daemon *d, const char *program, const char *map,
				__u32 id, long *n);

#endif
