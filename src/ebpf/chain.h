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

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "ebpf/hook_ops.h"
#include "ebpf/pins.h"

#define FW_CHAIN_MAX 64

/* As bpf/lib/xdp_chain.h has them (the programs' side of the chain). */
#define FW_XDP_CHAIN_SLOTS 16
#define FW_XDP_CHAIN_HEAD FW_XDP_CHAIN_SLOTS
#define FW_XDP_CHAIN_END FW_XDP_CHAIN_SLOTS
#define FW_XDP_CHAIN_ROOT "xdp_chain"   /* the root program's name */

struct fw_attachment;

/* prepare (before the block's object loads): an xdp block with a priority
 * gets the interface's chain maps (pinned under <root>/chains/xdp-<ifindex>,
 * made on first use) pinned in its map directory, so its object's maps of
 * those names are the chain's; one without a priority loses such pins. */
int fw_chain_prepare(const char *root, const struct fw_prog_spec *spec, int ifindex,
		     const char *map_dir, struct fw_error *err);
/* attach: the chain's root on the interface (attached when missing; a
 * program of someone else's there is refused, named), and a->prog_fd in a
 * free slot, linked in after the members of lower or equal priority. */
int fw_chain_xdp_attach(const struct fw_prog_spec *spec, const struct fw_hook_opts *opts,
			struct fw_attachment *a, struct fw_error *err);
/* The member's slot runs new_prog_fd: one map write. */
int fw_chain_xdp_replace(const char *root, const struct fw_pin_record *old, int new_prog_fd,
			 struct fw_error *err);
/* Unlinks the member (one write), empties its slot; the root goes with the
 * last member. Found from the interface: needs no pin root. */
int fw_chain_xdp_detach(const struct fw_pin_record *rec, struct fw_error *err);
/* Takes out of every XDP chain under root the members recorded() does not
 * know (an apply that crashed between attaching and recording); the root
 * goes with the last. Returns how many went. */
int fw_chain_xdp_sweep(const char *root, bool (*recorded)(int ifindex, uint32_t slot,
							 uint32_t prog_id, void *ctx),
		       void *ctx);
/* Whether Flywall's chain root runs on the interface. */
bool fw_chain_xdp_root_on(int ifindex);
/* The refusal naming the XDP program someone else left on the interface. */
int fw_xdp_busy_error(const struct fw_prog_spec *spec, int ifindex, struct fw_error *err);

/* The ids of the programs at rec's hook point (interface, and direction for
 * tc), in the order they run, whoever attached them. Returns how many, or a
 * negative errno. */
int fw_chain_prog_ids(const char *root, const struct fw_pin_record *rec, uint32_t *ids,
		      size_t max);

#endif
