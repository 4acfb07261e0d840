/* SPDX-License-Identifier: MIT */
/*
 * Program arguments: `args = { max_pps = 1000000 }` sets the object's global
 * variable of that name, found through BTF and checked against its type and
 * size. Globals live in the object's data sections: .rodata (const volatile)
 * can only be set before load; .data and .bss can also be changed while the
 * program runs, through the section's array map.
 */
#ifndef FLYWALL_EBPF_ARGS_H
#define FLYWALL_EBPF_ARGS_H

#include <bpf/btf.h>
#include <bpf/libbpf.h>
#include <jansson.h>
#include <stdbool.h>

#include "common/error.h"
#include "ebpf/spec.h"

/* Sets every arg in the opened (not yet loaded) object. An unknown name is an
 * error listing the names the object has. */
int fw_args_apply(struct bpf_object *obj, const struct fw_arg *args, size_t n_args,
		  struct fw_error *err);

/* Whether the opened object declares a global called name. */
bool fw_args_has_global(struct bpf_object *obj, const char *name);

/* Changes .data/.bss globals of a loaded program (by its fd) at run time,
 * all or nothing: every arg is checked before any is written. A .rodata
 * global fails with -EOPNOTSUPP. */
int fw_args_update_running(int prog_fd, const struct fw_arg *args, size_t n_args,
			   struct fw_error *err);

/* The current values of a loaded program's globals: {"name": value, ...}. */
json_t *fw_args_read_running(int prog_fd);

#endif
