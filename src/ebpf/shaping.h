/* SPDX-License-Identifier: MIT */
/*
 * Queuing for egress_shaper: `shaping = { rate, burst }` on a tc egress
 * block. fw_shaping_apply() installs a root HTB qdisc (handle F1F0:) with one
 * class F1F0:1 at the rate, over rtnetlink; the program then steers packets
 * into that class. If HTB cannot be installed (missing from the kernel, or
 * the interface already has a root qdisc that is not Flywall's, which we do
 * not replace), it reports mode "police": the program must then drop what is
 * over the rate itself. fw_shaping_program_args() gives the program's args
 * for the mode. See docs/programs.md#egress_shaper.
 */
#ifndef FLYWALL_EBPF_SHAPING_H
#define FLYWALL_EBPF_SHAPING_H

#include <stddef.h>

#include "common/error.h"
#include "ebpf/spec.h"

#define FW_SHAPING_MODE_HTB "htb"
#define FW_SHAPING_MODE_POLICE "police"
#define FW_SHAPING_N_ARGS 4

/*
 * Installs (or updates, when already Flywall's) the HTB qdisc and class on
 * ifindex. Writes the mode it runs in ("htb" or "police") to mode. Returns 0
 * in either mode; a negative errno only when neither can be set up (bad
 * rate, no such interface, netlink failure), with err saying why.
 */
int fw_shaping_apply(int ifindex, const struct fw_shaping *s, char *mode, size_t mode_len,
		     struct fw_error *err);

/* Removes Flywall's root HTB qdisc from ifindex; 0 if it was not there. A
 * root qdisc that is not Flywall's is left alone. */
int fw_shaping_remove(int ifindex, struct fw_error *err);

/* Fills args[FW_SHAPING_N_ARGS] with egress_shaper's globals for the mode
 * (mode, classid, rate_bps, burst_bytes). */
void fw_shaping_program_args(const struct fw_shaping *s, const char *mode,
			     struct fw_arg args[FW_SHAPING_N_ARGS]);

/* The burst in bytes the class gets: the configured burst, raised to at
 * least two 64 KiB GSO packets so a TSO/GSO device can reach the rate, and
 * 10 ms of the rate when none is configured. */
unsigned long long fw_shaping_burst_bytes(const struct fw_shaping *s);

#endif
