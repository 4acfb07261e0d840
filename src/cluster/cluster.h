/* SPDX-License-Identifier: MIT */
/*
 * A fleet of firewalls sharing lists through NATS JetStream (docs/cluster.md).
 *
 * The seam with the daemon is the API's backend table: fw_cluster_backend()
 * wraps the daemon's table so that a change to a shared set (the ddos_filter
 * blocklist, its CIDR blocklist, the allowlist) is published to the stream
 * instead of written to the maps; one thread reads the stream in order and
 * applies every change, this node's own included, through the daemon's own
 * table. Every other call passes through untouched.
 */
#ifndef FLYWALL_CLUSTER_CLUSTER_H
#define FLYWALL_CLUSTER_CLUSTER_H

#include <jansson.h>

#include "api/backend.h"
#include "common/error.h"
#include "config/cluster_config.h"

/* Starts the connection and the apply thread (it connects in the background:
 * a node starts, and keeps filtering, with every server down). pin_root holds
 * the last sequence applied, pinned beside the maps it describes. Nothing
 * happens when cfg->enabled is false. */
int fw_cluster_start(const struct fw_cluster_config *cfg, const char *pin_root,
		     const struct fw_api_backend *local, struct fw_error *err);
/* The table the API serves: local itself when no cluster runs. */
const struct fw_api_backend *fw_cluster_backend(const struct fw_api_backend *local);
/* Stops reading the stream (before the daemon stops writing maps: a change
 * is applied whole or at the next start), then, once the API has stopped,
 * closes the connection. */
void fw_cluster_stop(void);
void fw_cluster_close(void);
/* {"enabled", "node", "connected", "server", "stream", "applied_seq",
 *  "stream_seq", "lag", "nodes": [...], "last_error", ...}. */
json_t *fw_cluster_status(void);

#endif
