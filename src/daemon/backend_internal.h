/* SPDX-License-Identifier: MIT */
/* Shared by the daemon's backend files (backend.c, blocklist.c) and the
 * daemon loop; not part of the API's view. */
#ifndef FLYWALL_DAEMON_BACKEND_INTERNAL_H
#define FLYWALL_DAEMON_BACKEND_INTERNAL_H

#include <linux/types.h>
#include <stdbool.h>

#include "daemon/daemon.h"

#define LOCK() pthread_mutex_lock(&fw_daemon_current->lock)
#define UNLOCK() pthread_mutex_unlock(&fw_daemon_current->lock)
#define REG (&fw_daemon_current->reg)

/* The housekeeping thread (expiry, stats idle, entry counts): started once
 * the registry is open, stopped before the API server. fw_backend_stop also
 * makes long operations give up (an import in progress is undone). */
int fw_backend_start(void);
void fw_backend_stop(void);
/* Stops and waits for the housekeeping thread. */
void fw_backend_join(void);
bool fw_backend_stopping(void);

/* blocklist.c: deletes what expired, in bounded slices (lock not held). */
void fw_blocklist_expire(void);
/* The kept entry count of a program's blocklist or cidr_blocklist map with
 * this id; false when the daemon keeps none for it. */
bool fw_blocklist_kept_count(const char *program, const char *map, __u32 id, long *n);
/* The maps were written behind the blocklist's back (map data): recounts
 * them before it returns. */
void fw_blocklist_invalidate(const char *program);

#endif
