/* SPDX-License-Identifier: MIT */
/*
 * Names for the slots of a program's counter map, read from the program's own
 * BTF, so that metrics, the CLI and the dashboard say `reason="blocklisted"`
 * rather than `index="3"` for any program, shipped or a user's, with no
 * daemon code for it.
 *
 * The convention (docs/programs.md, "Naming counters"): for a counter map M,
 * the object declares
 *
 *     enum flywall_counters__M { M__drop__blocklisted = 3, M__events_sent = 9, ... };
 *
 * and puts it in its BTF (bpf/lib/counter_names.h: FLYWALL_COUNTER_NAMES(M)).
 * Each enumerator names the slot of its value. Its name is split on "__":
 * the first part is free (C needs unique names; the map's name by custom);
 * then either NAME (a counter) or VERDICT__REASON (a packet counter by
 * verdict and reason, e.g. drop, blocklisted).
 */
#ifndef FLYWALL_EBPF_COUNTER_NAMES_H
#define FLYWALL_EBPF_COUNTER_NAMES_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define FW_COUNTER_NAMES_PREFIX "flywall_counters__"

/* A JSON array of `slots` elements, one per slot of the counter map `map`
 * (its pin name) whose fd is map_fd: null where the enum names no slot, else
 * {"counter": "drop_blocklisted", "verdict": "drop", "reason": "blocklisted"}
 * (verdict and reason only for the VERDICT__REASON form) or
 * {"counter": "events_sent"}. NULL when the program declares no such enum. */
json_t *fw_counter_names_json(int map_fd, const char *map, size_t slots);

/* One enumerator's name → its labels, lower-cased, into the buffers (each
 * FW_COUNTER_LABEL_MAX bytes); verdict and reason are "" for the NAME form.
 * False when the name holds nothing after its prefix. Exposed for tests. */
#define FW_COUNTER_LABEL_MAX 64
bool fw_counter_name_parse(const char *enumerator, char *counter, char *verdict,
			   char *reason);

#endif
