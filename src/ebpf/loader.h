/* SPDX-License-Identifier: MIT */
/*
 * The program loader: opens any eBPF ELF object with libbpf, picks the
 * program a block asks for, applies map overrides and args, reuses pinned
 * maps, and loads. A verifier rejection names the object and the program and
 * carries the verifier's log (its tail, which says why) as the detail.
 */
#ifndef FLYWALL_EBPF_LOADER_H
#define FLYWALL_EBPF_LOADER_H

#include <bpf/libbpf.h>

#include "common/error.h"
#include "ebpf/hook_ops.h"
#include "ebpf/maps.h"
#include "ebpf/spec.h"

struct fw_object {
	struct bpf_object *obj;
	struct bpf_program *prog;     /* the program the block attaches */
	/* kprobe blocks: the other forms the hook manager may fall back to */
	struct bpf_program *fentry;   /* not loaded with the object (see loader.c) */
	struct bpf_program *standin;  /* a tracepoint form, loaded with the object */
	/* tc blocks: "<prog>_egress" for an ingress program (or "<prog>_ingress"
	 * for an egress one), attached on the other direction of the same
	 * interface; e.g. ingress_filter's flow tracking of outbound traffic. */
	struct bpf_program *companion;
	struct fw_map_plan maps;
};

/* What a caller sets in an object beyond its spec (the daemon's program
 * extensions, src/daemon/program_ext.h): called once the object is opened
 * and configured, before it loads. */
struct fw_load_hook {
	int (*before_load)(struct bpf_object *obj, const struct fw_prog_spec *spec,
			   struct fw_error *err);
};

/* Opens, configures and loads spec->object. map_pin_dir is where this
 * block's maps are pinned (reused when compatible); hook may be NULL. */
int fw_object_load(const struct fw_prog_spec *spec, const char *map_pin_dir,
		   const struct fw_load_hook *hook, struct fw_object **out,
		   struct fw_error *err);

/* Loads one more form of the same block alone (a kprobe block's fentry form),
 * sharing the maps of an object loaded already. */
int fw_object_load_alone(const struct fw_prog_spec *spec, const struct fw_object *base,
			 const char *prog_name, struct fw_object **out, struct fw_error *err);

void fw_object_close(struct fw_object *o);

/* Routes libbpf's messages into our log (debug level) and captures verifier
 * logs for error reports. Call once at start. */
void fw_loader_init(void);

#endif
