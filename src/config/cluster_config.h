/* SPDX-License-Identifier: MIT */
/*
 * The `cluster {}` block: the NATS JetStream servers a fleet of firewalls
 * shares its lists through, this node's name, and which lists are shared.
 * Checked like every block (each error at file:line:col); read at start.
 */
#ifndef FLYWALL_CONFIG_CLUSTER_CONFIG_H
#define FLYWALL_CONFIG_CLUSTER_CONFIG_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "ebpf/spec.h"

#define FW_CLUSTER_SERVERS_MAX 16
#define FW_CLUSTER_URL_MAX 256
#define FW_CLUSTER_NAME_MAX 64
#define FW_CLUSTER_DEFAULT_STREAM "FLYWALL"
#define FW_CLUSTER_APPLY_WAIT_DEFAULT_MS 5000
#define FW_CLUSTER_SNAPSHOT_EVERY_DEFAULT 10000

/* The sets a cluster may share (bits of fw_cluster_config.shared). */
enum fw_cluster_set {
	FW_SHARE_BLOCKLIST = 1u << 0,       /* exact addresses (map blocklist) */
	FW_SHARE_CIDR_BLOCKLIST = 1u << 1,  /* prefixes (map cidr_blocklist) */
	FW_SHARE_ALLOWLIST = 1u << 2,       /* map allowlist, through map data */
};

struct fw_cluster_config {
	bool enabled;                       /* the block is there */
	char servers[FW_CLUSTER_SERVERS_MAX][FW_CLUSTER_URL_MAX];
	size_t n_servers;
	char node[FW_CLUSTER_NAME_MAX];     /* default: the host name */
	char stream[FW_CLUSTER_NAME_MAX];   /* JetStream stream; subject STREAM.ops */
	char credentials[FW_PATH_MAX];      /* NATS .creds file, or "" */
	char tls_ca[FW_PATH_MAX];           /* files, or "" */
	char tls_cert[FW_PATH_MAX];
	char tls_key[FW_PATH_MAX];
	unsigned shared;                    /* enum fw_cluster_set bits */
	int replicas;                       /* of the stream when it is created: 1..5 */
	uint32_t apply_wait_ms;             /* how long a change waits for its own apply */
	uint32_t snapshot_every;            /* changes between snapshots; 0: never */
};

struct hcl_diags;
struct hcl_block;

void fw_cluster_config_defaults(struct fw_cluster_config *cfg);
/* Checks the block into cfg; every error goes to diags with its position.
 * Relative file names resolve against config_dir. */
void fw_cluster_config_check(struct hcl_diags *diags, const char *config_dir,
			     const struct hcl_block *b, struct fw_cluster_config *cfg);
json_t *fw_cluster_config_to_json(const struct fw_cluster_config *cfg);
/* "blocklist", "cidr_blocklist", "allowlist" */
const char *fw_cluster_set_name(enum fw_cluster_set set);

#endif
