/* SPDX-License-Identifier: MIT */
/*
 * Applying a set of programs is a transaction (DESIGN.md):
 *   1. prepare: resolve interfaces, load and verify every new or changed
 *      program (nothing visible changes; any failure stops here);
 *   2. switch: swap programs in place (bpf_link_update) or attach anew,
 *      rolling back what was switched if a later step fails;
 *   3. commit: pin programs, maps and links, write state records, and remove
 *      what is no longer wanted.
 * Unchanged programs (same spec, same object bytes) are adopted as they run.
 */
#ifndef FLYWALL_DAEMON_RECONCILE_H
#define FLYWALL_DAEMON_RECONCILE_H

#include <stdbool.h>

#include "common/error.h"
#include "daemon/registry.h"
#include "ebpf/spec.h"

struct fw_reconcile_report {
	int kept, loaded, replaced, removed;
};

/* Makes the kernel run specs[0..n). With remove_missing, programs of the
 * same origin that are not in specs are removed. */
int fw_reconcile(struct fw_registry *reg, const struct fw_prog_spec *specs, size_t n,
		 enum fw_origin origin, bool remove_missing,
		 struct fw_reconcile_report *report, struct fw_error *err);

/* Removes every program of the registry (enabled = false). */
int fw_reconcile_remove_all(struct fw_registry *reg, struct fw_error *err);

#endif
