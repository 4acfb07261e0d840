/* SPDX-License-Identifier: MIT */
/* Shared by cluster.c (connection, publishing, applying) and snapshot.c
 * (compaction of the stream); not part of the module's interface. */
#ifndef FLYWALL_CLUSTER_INTERNAL_H
#define FLYWALL_CLUSTER_INTERNAL_H

#include <nats/nats.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "api/backend.h"
#include "config/cluster_config.h"

#define CHUNK 4096                      /* entries per message */
#define FETCH_WAIT_MS 250
#define NODES_MAX 64
#define SEQ_PIN_PREFIX "cluster_seq_"

struct node_seen {
	char name[FW_CLUSTER_NAME_MAX];
	uint64_t last_seq;
	int64_t last_ts_ms;             /* when its last change was made */
};

/* What the pinned map holds: the last sequence applied, and the creation
 * time of the stream it counts in (a stream deleted and made anew restarts
 * at 1: the node then replays it whole). */
#define SEQ_MAPS_MAX 16
struct seq_record {
	uint64_t seq;
	int64_t stream_created;
	/* The ids of the shared maps the sequence describes: a map that is
	 * not among them (a program loaded anew) makes the node read the
	 * stream again from its start. */
	uint32_t n_maps;
	uint32_t map_ids[SEQ_MAPS_MAX];
	uint32_t pad;
};

struct cluster {
	bool running;
	struct fw_cluster_config cfg;
	const struct fw_api_backend *local;
	struct fw_api_backend table;
	char subject[FW_CLUSTER_NAME_MAX + 8];      /* STREAM.ops: the changes */
	char snap_subject[FW_CLUSTER_NAME_MAX + 8]; /* STREAM.snap: snapshots */
	char done_subject[FW_CLUSTER_NAME_MAX + 12]; /* STREAM.snapdone: complete ones */
	uint64_t snap_upto;             /* the latest snapshot known (apply thread) */
	natsConnection *nc;
	jsCtx *js;
	pthread_t thread;
	int seq_fd;

	pthread_mutex_t lock;           /* everything below */
	pthread_cond_t applied_cond;
	bool stopping;
	bool connected;
	bool stream_ready;
	struct seq_record applied;
	uint64_t stream_seq;            /* last sequence the stream holds, as last seen */
	int64_t started_ms;             /* makes message ids unique across restarts */
	uint64_t published, applied_msgs, apply_errors;
	char last_error[512];
	int64_t last_error_ms;
	struct node_seen nodes[NODES_MAX];
	size_t n_nodes;
};
extern struct cluster C;

/* cluster.c */
int64_t fw_cluster_now_ms(void);
void fw_cluster_pause_ms(int ms);
bool fw_cluster_stopping(void);
void fw_cluster_note_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Whether an address or CIDR belongs to a shared set. */
bool fw_cluster_address_shared(const char *address);
/* Idempotent applies through the daemon's table (the apply thread only). */
int fw_cluster_apply_add(const char *program, json_t *entries, struct fw_error *err);
int fw_cluster_apply_del(const char *program, json_t *addresses, struct fw_error *err);
int fw_cluster_apply_map_delete(const char *map, json_t *keys, struct fw_error *err);
/* Records C.applied in the pinned map (C.lock held). */
void fw_cluster_seq_save(void);

/* snapshot.c: run by the apply thread. Loads the latest snapshot when the
 * changes after the last one applied here were purged (0, or -1 to retry
 * later: it reads the stream); takes a snapshot and purges the stream when snapshot_every
 * changes have gone by since the last one. */
int fw_cluster_snapshot_catch_up(void);
void fw_cluster_snapshot_maybe_take(void);

#endif
