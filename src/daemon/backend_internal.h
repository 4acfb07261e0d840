/* SPDX-License-Identifier: MIT */
/* Shared by the daemon's backend files (backend.c, blocklist.c) and the
 * daemon loop; not part of the API's view. */
#ifndef FLYWALL_DAEMON_BACKEND_INTERNAL_H
#define FLYWALL_DAEMON_BACKEND_INTERNAL_H

#include <linux/types.h>
#include <stdbool.h>

#include "daemon/state.h"

/* Fills d->backend with the daemon's calls and d as their context, and sets
 * up the state the backend keeps beside the registry. */
void fw_backend_init(struct fw_daemon *d);

/* The housekeeping thread (expiry, stats idle, entry counts): started once
 * the registry is open, stopped before the API server. fw_backend_stop also
 * makes long operations give up (an import in progress is undone). */
int fw_backend_start(struct fw_daemon *d, struct fw_error *err);
void fw_backend_stop(struct fw_daemon *d);
/* Stops and waits for the housekeeping thread. */
void fw_backend_join(struct fw_daemon *d);
bool fw_backend_stopping(const struct fw_daemon *d);

/* blocklist.c, the blocklist extension (fw_ext_blocklist): the blocklist
 * calls of struct fw_api_backend (ctx is the daemon), and the program they
 * act on when a request names none (docs/api.md). */
extern const char fw_blocklist_default_program[];
int fw_blocklist_add(void *ctx, const char *program, json_t *entries, struct fw_error *err);
int fw_blocklist_delete(void *ctx, const char *program, json_t *addresses,
			struct fw_error *err);
int fw_blocklist_page(void *ctx, const char *program, const char *cursor, size_t limit,
		      json_t **out, struct fw_error *err);
int fw_blocklist_stream(void *ctx, const char *program, bool ndjson,
			struct fw_api_stream *out, struct fw_error *err);
int fw_blocklist_begin(void *ctx, const char *program, bool lines,
		       struct fw_blocklist_batch **out, struct fw_error *err);
int fw_blocklist_put(void *ctx, struct fw_blocklist_batch *b,
		     const struct fw_blocklist_item *items, size_t n, struct fw_error *err);
json_t *fw_blocklist_commit(void *ctx, struct fw_blocklist_batch *b);
void fw_blocklist_abort(void *ctx, struct fw_blocklist_batch *b);


#endif
