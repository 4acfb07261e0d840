/* SPDX-License-Identifier: MIT */
/*
 * Map keys and values as JSON, through the map's BTF, in the manner of
 * bpftool's formatted dump: integers as numbers, enums by name, structs as
 * objects, char arrays as strings, other arrays as lists. Without BTF, bytes
 * are a hex string ("0x0a000001"). The reverse direction takes the same JSON
 * back to bytes for map writes.
 */
#ifndef FLYWALL_EBPF_BTF_JSON_H
#define FLYWALL_EBPF_BTF_JSON_H

#include <bpf/btf.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* btf may be NULL or type_id 0: hex string. */
json_t *fw_btf_to_json(const struct btf *btf, __u32 type_id, const void *data, size_t size);

/* Text that grows (malloc'd s, NUL-terminated). */
struct fw_text {
	char *s;
	size_t len, cap;
};
int fw_text_append(struct fw_text *t, const char *data, size_t len);

/* The JSON fw_btf_to_json gives, as compact text (what json_dumps prints with
 * JSON_COMPACT), appended to out without building a tree: for listings of
 * many entries. 0 or -ENOMEM. */
int fw_btf_append_json(struct fw_text *out, const struct btf *btf, __u32 type_id,
		       const void *data, size_t size);

/* Fills size bytes at out from json; what is not given stays zero.
 * what names the thing for messages ("key", "value"). */
int fw_btf_from_json(const struct btf *btf, __u32 type_id, json_t *json, void *out,
		     size_t size, const char *what, struct fw_error *err);

/* Stores v little-endian in size bytes (any width, 16 included): the bytes
 * past the 64 bits of v are its sign (is_signed) or zero. */
void fw_int_store(void *dst, size_t size, int64_t v, bool is_signed);

/* Adds b into a (numbers add, objects by member, lists by index): the sum of
 * per-CPU values. Takes a reference to neither. */
json_t *fw_json_sum(json_t *a, json_t *b);

#endif
