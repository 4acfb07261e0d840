/* SPDX-License-Identifier: MIT */
/* The daemon's rule plane (rules.c): what the configuration asks of it. */
#ifndef FLYWALL_DAEMON_RULES_H
#define FLYWALL_DAEMON_RULES_H

#include <stddef.h>

#include "ebpf/spec.h"

/* For each program with `rule` blocks: makes its live rule set exactly
 * those (after the configuration was applied); failures are logged. */
void fw_daemon_rules_apply(const struct fw_prog_spec *progs, size_t n);
/* feeds.c: the programs' `feed` blocks, loaded now and watched from now on. */
void fw_daemon_feeds_configure(const struct fw_prog_spec *progs, size_t n);
/* Starts the feeds watcher (with the other threads, after the capability
 * drop: a thread keeps the capabilities of the one that made it). */
int fw_daemon_feeds_start(void);
/* Stops and joins the feeds watcher (at daemon exit, before the registry goes). */
void fw_daemon_feeds_stop(void);
/* top.c: the auto_block_pps check, once a second (from the feeds watcher). */
void fw_daemon_auto_block_tick(void);

#endif
