/* SPDX-License-Identifier: MIT */
/*
 * The daemon's state, shared by its parts (daemon.c runs it; backend.c,
 * blocklist.c, the rule plane and the extensions serve the API from it): the
 * configuration in force, the registry of what runs, the API server, the
 * events. One lock serialises every change and every API call.
 */
#ifndef FLYWALL_DAEMON_STATE_H
#define FLYWALL_DAEMON_STATE_H

#include <linux/types.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#include "api/backend.h"
#include "config/ebpf_config.h"
#include "daemon/registry.h"

struct fw_api_server;
struct fw_event_log;
struct bl_state;
struct fw_feed_state;
struct fw_auto_block;

/* The backend's housekeeping thread (backend.c). */
struct fw_housekeeping {
	pthread_t thread;
	bool running;
	bool stopping;                  /* read without the lock, atomically */
	pthread_mutex_t lock;
	pthread_cond_t wake;
};

/* Entry counts the housekeeping thread took, by map id (backend.c). */
struct fw_count_cache {
	pthread_mutex_t lock;
	struct { __u32 id; long n; uint64_t at_ns; } entries[256];
};

/* The blocklist's kept state, per program (blocklist.c). */
struct fw_blocklist_kept {
	pthread_mutex_t lock;           /* one chunk of work at a time */
	struct bl_state *states;
	_Atomic uint64_t generation;    /* the last announced to verdict caches */
};

/* The rule plane's kept state (rules.c, feeds.c, top.c; the rules
 * extension). The rule sets themselves live in the programs' pinned maps. */
struct fw_rule_plane {
	pthread_mutex_t lock;           /* orders rule set changes */
	pthread_mutex_t feeds_lock;     /* the feeds and their loaded versions */
	struct fw_feed_state *feeds;    /* every program's `feed` blocks */
	size_t n_feeds;
	struct fw_auto_block *autos;    /* automatic blocking's last readings (top.c) */
};

struct fw_daemon {
	pthread_mutex_t lock;
	char config_path[FW_PATH_MAX];
	struct fw_config cfg;           /* the configuration in force */
	struct fw_registry reg;
	struct fw_api_backend backend;  /* the API's calls, with this daemon as ctx */
	struct fw_api_server *api;
	struct fw_event_log *events;    /* the collector and the events ring */
	int run_stats_fd;               /* bpf_enable_stats, or -1 */
	time_t run_stats_until;         /* 0: while the daemon runs */
	struct fw_housekeeping hk;
	struct fw_count_cache counts;
	struct fw_blocklist_kept blocklist;
	struct fw_rule_plane rules;
};

/* The one lock of the daemon (see above). */
static inline void fw_daemon_lock(struct fw_daemon *d)
{
	pthread_mutex_lock(&d->lock);
}

static inline void fw_daemon_unlock(struct fw_daemon *d)
{
	pthread_mutex_unlock(&d->lock);
}

#endif
