/* SPDX-License-Identifier: MIT */
/*
 * A map's entries as JSON and back, through its BTF (btf_json.h): the key,
 * the value, and for per-CPU maps every CPU's value beside their sum.
 *   {"key": K, "value": V}                      plain maps
 *   {"key": K, "value": SUM, "values": [V, ...]} per-CPU maps
 * Writing takes the same form; a single "value" for a per-CPU map sets
 * every CPU's copy.
 */
#ifndef FLYWALL_EBPF_MAP_CODEC_H
#define FLYWALL_EBPF_MAP_CODEC_H

#include <bpf/bpf.h>
#include <bpf/btf.h>
#include <jansson.h>

#include "common/error.h"
#include "ebpf/btf_json.h"

struct fw_map_codec {
	struct bpf_map_info info;
	struct btf *btf;                /* owned; NULL: keys and values in hex */
	int ncpu;                       /* 1 unless per-CPU */
	size_t stride;                  /* bytes per CPU in a value buffer */
	size_t value_bytes;             /* bytes of one value buffer (all CPUs) */
};

/* From an open map: its info and BTF. */
int fw_map_codec_open(int map_fd, struct fw_map_codec *c, struct fw_error *err);
/* From an info and a BTF (taken over; may be NULL), with ncpu CPUs for a
 * per-CPU type: what fw_map_codec_open does without a map. */
void fw_map_codec_init(struct fw_map_codec *c, const struct bpf_map_info *info,
		       struct btf *btf, int ncpu);
void fw_map_codec_close(struct fw_map_codec *c);

/* {"key", "value"[, "values"]} of one entry. */
json_t *fw_map_codec_entry(const struct fw_map_codec *c, const void *key, const void *value);

/* The same entry as compact JSON text appended to out (no tree is built
 * for plain maps; per-CPU ones go through the tree for their sum).
 * 0 or -ENOMEM. */
int fw_map_codec_entry_text(const struct fw_map_codec *c, const void *key, const void *value,
			    struct fw_text *out);

/* A key in JSON into key_size bytes at out. where names it in messages. */
int fw_map_codec_key(const struct fw_map_codec *c, json_t *key, void *out, const char *where,
		     struct fw_error *err);
/* {"key", "value"|"values"} into a key and a value buffer (value_bytes).
 * where names the entry ("entries[3]"). */
int fw_map_codec_entry_from(const struct fw_map_codec *c, json_t *entry, void *key,
			    void *value, const char *where, struct fw_error *err);

#endif
