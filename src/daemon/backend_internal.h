/* SPDX-License-Identifier: MIT */
/* Shared by the daemon's backend files (backend.c, blocklist.c) and the
 * daemon loop; not part of the API's view. */
#ifndef FLYWALL_DAEMON_BACKEND_INTERNAL_H
#define FLYWALL_DAEMON_BACKEND_INTERNAL_H

#include "daemon/daemon.h"

#define LOCK() pthread_mutex_lock(&fw_daemon_current->lock)
#define UNLOCK() pthread_mutex_unlock(&fw_daemon_current->lock)
#define REG (&fw_daemon_current->reg)

/* Housekeeping, once a second from the daemon loop (lock not held). */
void fw_backend_tick(void);
void fw_blocklist_expire(void);

#endif
