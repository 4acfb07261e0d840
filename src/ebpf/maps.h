/* SPDX-License-Identifier: MIT */
/*
 * The map manager: sizes and retypes an object's maps as the configuration
 * says (before load), reuses the maps pinned by a previous run when they are
 * compatible so no entry is lost, migrates entries when only the size or the
 * flavour of a hash changed, and pins maps once a change commits.
 */
#ifndef FLYWALL_EBPF_MAPS_H
#define FLYWALL_EBPF_MAPS_H

#include <bpf/libbpf.h>
#include <jansson.h>

#include "common/error.h"
#include "ebpf/spec.h"

/* An opened object's map whose pinned predecessor must have its entries
 * copied into it once loaded (the size or hash flavour changed). */
struct fw_map_migration {
	struct bpf_map *map;
	int old_fd;
};

struct fw_map_plan {
	struct fw_map_migration migrations[16];
	int n_migrations;
	int reused;     /* maps taken over from pins, for the log */
};

/* Applies `maps = {...}` overrides to the opened object. */
int fw_maps_apply_overrides(struct bpf_object *obj, const struct fw_prog_spec *spec,
			    struct fw_error *err);

/* For every map of the opened object with a pin under pin_dir: reuse it when
 * compatible, plan a migration when only max_entries or the hash flavour
 * differs, and fail with a clear error otherwise. */
int fw_maps_plan_reuse(struct bpf_object *obj, const char *pin_dir,
		       struct fw_map_plan *plan, struct fw_error *err);
/* After load: copies the planned entries across. */
int fw_maps_migrate(struct fw_map_plan *plan, struct fw_error *err);
void fw_map_plan_release(struct fw_map_plan *plan);

/* Copies every entry of old_fd into new_fd (same key and value layout; the
 * sizes are new_fd's). A smaller new map keeps the entries that fit and says
 * how many it lost; an entry that cannot be read is an error. */
int fw_maps_copy_entries(int old_fd, int new_fd, const char *name, struct fw_error *err);

/* Bytes a lookup of one value writes: value_size, or for a per-CPU map one
 * 8-byte-aligned slot per possible CPU. 0 when the CPU count is unknown. */
size_t fw_map_value_buffer_size(enum bpf_map_type type, __u32 value_size);

/* Pins every non-internal map of the loaded object under pin_dir, replacing
 * older pins. */
int fw_maps_pin_all(struct bpf_object *obj, const char *pin_dir, struct fw_error *err);

/* Type name as the configuration spells it ("hash", "percpu_array", ...). */
const char *fw_map_kernel_type_name(enum bpf_map_type type);

/* {"name","type","key_size","value_size","max_entries","flags","id",
 *  "entries","utilization","memory"} of a map fd, with the entry count the
 * caller knows (entries < 0: null; see fw_map_count). */
json_t *fw_maps_stats_json(int map_fd, long entries);

/* A program's own counters: an array (plain or per-CPU) of 64-bit values
 * whose name says so ("counter", "count" or "stats") or, when named, whose
 * program names its slots (src/ebpf/counter_names.h). Returns the value of
 * each index summed over CPUs, or NULL when fd is not such a map. */
json_t *fw_maps_counters_json(int map_fd, bool named);

/* ---- bulk access -------------------------------------------------------
 * Batches of BPF_MAP_*_BATCH where the map type takes them, one call per
 * element where it does not (found out on the first call). Keys and values
 * lie contiguous in the caller's arrays; value_bytes is what one lookup
 * writes (value_size rounded up to 8 and times the CPUs for per-CPU maps). */

#define FW_MAP_BATCH 4096       /* elements per batch call */

/* Writes n entries with flags (BPF_ANY, BPF_NOEXIST, ...). 0 when all are
 * written; else -errno of the entry at index *done, the entries before it
 * written. */
int fw_map_update_many(int fd, const void *keys, const void *values, __u32 key_size,
		       size_t value_bytes, size_t n, __u64 flags, size_t *done);

/* Deletes n keys; a key already gone is skipped. 0, or -errno (*deleted
 * counts what went before it). */
int fw_map_delete_many(int fd, const void *keys, __u32 key_size, size_t n, size_t *deleted);

/* Calls fn with the map's entries, up to FW_MAP_BATCH at a time, until it
 * returns false or the map ends. *cursor is where to start ("" = the
 * beginning) and where the next call resumes: an opaque text of at most
 * FW_MAP_CURSOR_MAX bytes; "" once the map is done. 0 or -errno. */
#define FW_MAP_CURSOR_MAX 96
typedef bool (*fw_map_entries_fn)(const void *keys, const void *values, size_t n, void *ctx);
int fw_map_read_from(int fd, __u32 key_size, size_t value_bytes, size_t max_batch,
		     char cursor[FW_MAP_CURSOR_MAX], fw_map_entries_fn fn, void *ctx);

/* Bytes one lookup of fd's map writes (see above), from its info. */
size_t fw_map_value_bytes(const struct bpf_map_info *info);

/* Entries in the map now, counted with batched reads (no key walk for each
 * element); arrays report max_entries; -1 for maps without entries. */
long fw_map_count(int fd);

#endif
