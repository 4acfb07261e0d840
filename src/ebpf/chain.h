/* SPDX-License-Identifier: MIT */
/*
 * Several programs at one hook point, ordered by their blocks' priorities
 * (lower runs first):
 *   tc   tcx links in the kernel's own multi-program list (bpf_mprog); each
 *        link is placed before or after a sibling's (hook_tc.c);
 *   xdp  Flywall's root program (bpf/xdp_chain.bpf.c) on the interface and
 *        the members in slots of its program array, linked in order
 *        (bpf/lib/xdp_chain.h); this module keeps that chain.
 * See docs/programs.md, "Several programs on one interface".
 */
#ifndef FLYWALL_EBPF_CHAIN_H
#define FLYWALL_EBPF_CHAIN_H

#include <stddef.h>
#include <stdint.h>

#include "ebpf/pins.h"

#define FW_CHAIN_MAX 64

/* The ids of the programs at rec's hook point (interface, and direction for
 * tc), in the order they run, whoever attached them. Returns how many, or a
 * negative errno. */
int fw_chain_prog_ids(const char *root, const struct fw_pin_record *rec, uint32_t *ids,
		      size_t max);

#endif
