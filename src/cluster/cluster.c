// SPDX-License-Identifier: MIT
/*
 * Shared sets through NATS JetStream (docs/cluster.md has the model).
 *
 * One stream (cfg.stream, subject "<stream>.ops") is the log of every change
 * to a shared set, from every node. A change made through this node's API is
 * published there and the call waits until this node has applied it from the
 * stream (so "blocked when the call returns" still holds); the maps are
 * written by one thread only, the apply thread, which reads the stream in
 * order from the sequence after the last one it applied. That sequence is
 * kept in a small array map pinned in the pin root, beside the maps it
 * describes: it survives a restart of the daemon exactly as the maps do, and
 * goes with them when the pin root is cleaned (a full replay then).
 *
 * Messages are JSON, one change each (a bulk change is several messages of
 * at most CHUNK entries, each applied as a unit):
 *   {"v":1, "node":N, "ts":ms, "op":"add", "program":P, "entries":[["A", exp], ...]}
 *   {"v":1, "node":N, "ts":ms, "op":"del", "program":P, "addresses":["A", ...]}
 *   {"v":1, "node":N, "ts":ms, "op":"map_update", "map":M, "entries":[{key,value}...]}
 *   {"v":1, "node":N, "ts":ms, "op":"map_delete", "map":M, "keys":[...]}
 * exp is an absolute expiry (Unix seconds, 0 = never): an entry whose time
 * has passed is not written when the message is replayed.
 * Applying is idempotent: an add overwrites, a delete of what is not there
 * is no error.
 */
#include <bpf/bpf.h>
#include <errno.h>
#include <nats/nats.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cluster/cluster.h"
#include "cluster/cluster_internal.h"
#include "common/log.h"

struct cluster C = { .lock = PTHREAD_MUTEX_INITIALIZER, .applied_cond = PTHREAD_COND_INITIALIZER,
		     .seq_fd = -1 };

int64_t fw_cluster_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

void fw_cluster_note_error(const char *fmt, ...)
{
	va_list ap;

	pthread_mutex_lock(&C.lock);
	va_start(ap, fmt);
	vsnprintf(C.last_error, sizeof(C.last_error), fmt, ap);
	va_end(ap);
	C.last_error_ms = fw_cluster_now_ms();
	pthread_mutex_unlock(&C.lock);
	fw_warn("cluster: %s", C.last_error);
}

void fw_cluster_pause_ms(int ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	nanosleep(&ts, NULL);
}

bool fw_cluster_stopping(void)
{
	return __atomic_load_n(&C.stopping, __ATOMIC_ACQUIRE);
}

/* ---- the applied sequence, pinned ----------------------------------------- */

static int seq_open(const char *pin_root, struct fw_error *err)
{
	char path[FW_PATH_MAX];
	__u32 zero = 0;

	struct bpf_map_info info = { 0 };
	__u32 len = sizeof(info);

	snprintf(path, sizeof(path), "%s/%s%s", pin_root, SEQ_PIN_PREFIX, C.cfg.stream);
	C.seq_fd = bpf_obj_get(path);
	if (C.seq_fd >= 0 && (bpf_obj_get_info_by_fd(C.seq_fd, &info, &len) ||
			      info.value_size != sizeof(struct seq_record))) {
		/* another layout: start counting anew (a full replay) */
		close(C.seq_fd);
		unlink(path);
		C.seq_fd = -1;
	}
	if (C.seq_fd < 0) {
		C.seq_fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "fw_cluster_seq", sizeof(__u32),
					  sizeof(struct seq_record), 1, NULL);
		if (C.seq_fd < 0)
			return fw_error_set(err, errno, "cluster: cannot create the sequence map: %s",
					    strerror(errno));
		if (bpf_obj_pin(C.seq_fd, path))
			return fw_error_set(err, errno, "cluster: cannot pin %s: %s", path,
					    strerror(errno));
	}
	if (bpf_map_lookup_elem(C.seq_fd, &zero, &C.applied))
		return fw_error_set(err, errno, "cluster: cannot read %s: %s", path, strerror(errno));
	return 0;
}

void fw_cluster_seq_save(void)
{
	__u32 zero = 0;

	if (bpf_map_update_elem(C.seq_fd, &zero, &C.applied, BPF_ANY))
		fw_cluster_note_error("cannot record sequence %llu: %s", (unsigned long long)C.applied.seq,
			   strerror(errno));
}

/* ---- the connection --------------------------------------------------------- */

static void set_connected(bool up)
{
	pthread_mutex_lock(&C.lock);
	C.connected = up;
	if (!up)
		C.stream_ready = false;
	pthread_mutex_unlock(&C.lock);
}

static void on_connected(natsConnection *nc, void *closure)
{
	char url[256] = "";

	natsConnection_GetConnectedUrl(nc, url, sizeof(url));
	fw_info("cluster: connected to %s", url);
	set_connected(true);
}

static void on_disconnected(natsConnection *nc, void *closure)
{
	set_connected(false);
	fw_cluster_note_error("disconnected from NATS: shared sets are read-only here until it returns (filtering goes on)");
}

static void on_closed(natsConnection *nc, void *closure)
{
	set_connected(false);
}

static int nats_fail(struct fw_error *err, natsStatus s, const char *what)
{
	return fw_error_set(err, EIO, "cluster: %s: %s (%s)", what, natsStatus_GetText(s),
			    nats_GetLastError(NULL));
}

static int connect_nats(struct fw_error *err)
{
	const char *servers[FW_CLUSTER_SERVERS_MAX];
	natsOptions *o = NULL;
	jsOptions jo;
	natsStatus s;

	for (size_t i = 0; i < C.cfg.n_servers; i++)
		servers[i] = C.cfg.servers[i];
	s = natsOptions_Create(&o);
	if (s == NATS_OK)
		s = natsOptions_SetServers(o, servers, (int)C.cfg.n_servers);
	if (s == NATS_OK)
		s = natsOptions_SetName(o, C.cfg.node);
	if (s == NATS_OK)
		s = natsOptions_SetMaxReconnect(o, -1);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectWait(o, 250);
	if (s == NATS_OK)
		s = natsOptions_SetTimeout(o, 1000);
	if (s == NATS_OK)
		s = natsOptions_SetPingInterval(o, 2000);
	if (s == NATS_OK)
		s = natsOptions_SetMaxPingsOut(o, 2);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectBufSize(o, 0);  /* fail at once, never replay late */
	if (s == NATS_OK)
		s = natsOptions_SetRetryOnFailedConnect(o, true, on_connected, NULL);
	if (s == NATS_OK)
		s = natsOptions_SetReconnectedCB(o, on_connected, NULL);
	if (s == NATS_OK)
		s = natsOptions_SetDisconnectedCB(o, on_disconnected, NULL);
	if (s == NATS_OK)
		s = natsOptions_SetClosedCB(o, on_closed, NULL);
	if (s == NATS_OK && C.cfg.credentials[0])
		s = natsOptions_SetUserCredentialsFromFiles(o, C.cfg.credentials, NULL);
	if (s == NATS_OK && C.cfg.tls_ca[0])
		s = natsOptions_LoadCATrustedCertificates(o, C.cfg.tls_ca);
	if (s == NATS_OK && C.cfg.tls_cert[0])
		s = natsOptions_LoadCertificatesChain(o, C.cfg.tls_cert, C.cfg.tls_key);
	if (s != NATS_OK) {
		natsOptions_Destroy(o);
		return nats_fail(err, s, "bad connection options");
	}
	s = natsConnection_Connect(&C.nc, o);
	natsOptions_Destroy(o);
	if (s == NATS_OK)
		on_connected(C.nc, NULL);
	else if (s != NATS_NOT_YET_CONNECTED)
		return nats_fail(err, s, "cannot connect");
	else
		fw_cluster_note_error("no NATS server answers yet: retrying in the background");
	jsOptions_Init(&jo);
	jo.Wait = 2000;
	s = natsConnection_JetStream(&C.js, C.nc, &jo);
	if (s != NATS_OK)
		return nats_fail(err, s, "no JetStream context");
	return 0;
}

static bool is_connected(void)
{
	return C.nc && natsConnection_Status(C.nc) == NATS_CONN_STATUS_CONNECTED;
}

/* Creates the stream when missing (a stream that is there is used as it is). */
static int ensure_stream(void)
{
	const char *subjects[] = { C.subject, C.snap_subject, C.done_subject };
	jsStreamInfo *si = NULL;
	jsStreamConfig sc;
	jsErrCode jerr = 0;
	natsStatus s;

	s = js_GetStreamInfo(&si, C.js, C.cfg.stream, NULL, &jerr);
	if (s == NATS_NOT_FOUND || jerr == JSStreamNotFoundErr) {
		jsStreamConfig_Init(&sc);
		sc.Name = C.cfg.stream;
		sc.Subjects = subjects;
		sc.SubjectsLen = 3;
		sc.Storage = js_FileStorage;
		sc.Replicas = C.cfg.replicas;
		sc.AllowDirect = true;
		s = js_AddStream(&si, C.js, &sc, NULL, &jerr);
		if (s == NATS_OK)
			fw_info("cluster: created stream %s (subject %s, %d replicas)", C.cfg.stream,
				C.subject, C.cfg.replicas);
	}
	if (s != NATS_OK) {
		fw_cluster_note_error("stream %s: %s (%s; JetStream error %d)", C.cfg.stream,
			   natsStatus_GetText(s), nats_GetLastError(NULL), (int)jerr);
		return -1;
	}
	if (si->Config->SubjectsLen < 3 || !si->Config->AllowDirect) {
		/* A stream made before snapshots and direct reads. */
		jsStreamInfo *updated = NULL;

		sc = *si->Config;
		sc.Subjects = subjects;
		sc.SubjectsLen = 3;
		sc.AllowDirect = true;
		if (js_UpdateStream(&updated, C.js, &sc, NULL, &jerr) != NATS_OK)
			fw_cluster_note_error("stream %s: cannot add the subject %s: %s", C.cfg.stream,
					      C.snap_subject, nats_GetLastError(NULL));
		jsStreamInfo_Destroy(updated);
	}
	pthread_mutex_lock(&C.lock);
	if (C.applied.stream_created != si->Created || C.applied.seq > si->State.LastSeq) {
		if (C.applied.seq)
			fw_warn("cluster: stream %s is not the one sequence %llu counted in: replaying it whole",
				C.cfg.stream, (unsigned long long)C.applied.seq);
		C.applied.seq = 0;
		C.applied.stream_created = si->Created;
		fw_cluster_seq_save();
	}
	C.stream_ready = true;
	pthread_mutex_unlock(&C.lock);
	fw_info("cluster: stream %s ready: sequences %llu to %llu, applied here up to %llu",
		C.cfg.stream, (unsigned long long)si->State.FirstSeq,
		(unsigned long long)si->State.LastSeq, (unsigned long long)C.applied.seq);
	jsStreamInfo_Destroy(si);
	if (fw_cluster_snapshot_catch_up()) {
		pthread_mutex_lock(&C.lock);
		C.stream_ready = false;         /* try again */
		pthread_mutex_unlock(&C.lock);
		return -1;
	}
	return 0;
}

/* ---- applying a message ----------------------------------------------------- */

static void note_node(const char *node, uint64_t seq, int64_t ts)
{
	size_t i;

	for (i = 0; i < C.n_nodes; i++)
		if (!strcmp(C.nodes[i].name, node))
			break;
	if (i == C.n_nodes) {
		if (C.n_nodes == NODES_MAX)
			return;
		snprintf(C.nodes[C.n_nodes++].name, FW_CLUSTER_NAME_MAX, "%s", node);
	}
	C.nodes[i].last_seq = seq;
	C.nodes[i].last_ts_ms = ts;
}

int fw_cluster_apply_add(const char *program, json_t *entries, struct fw_error *err)
{
	struct fw_blocklist_item items[256];
	struct fw_blocklist_batch *b;
	time_t now = time(NULL);
	size_t i, n = 0;
	json_t *e;
	int ret;

	ret = C.local->blocklist_begin(C.local->ctx, program, false, &b, err);
	if (ret)
		return ret;
	json_array_foreach(entries, i, e) {
		const char *address = json_string_value(json_array_get(e, 0));
		json_int_t exp = json_integer_value(json_array_get(e, 1));

		if (!address)
			continue;
		if (exp && exp <= now)
			continue;       /* expired while it waited in the stream */
		items[n++] = (struct fw_blocklist_item){ address,
			exp ? (uint32_t)(exp - now) : 0, i };
		if (n == sizeof(items) / sizeof(items[0])) {
			ret = C.local->blocklist_put(C.local->ctx, b, items, n, err);
			n = 0;
			if (ret)
				goto fail;
		}
	}
	if (n && (ret = C.local->blocklist_put(C.local->ctx, b, items, n, err)))
		goto fail;
	json_decref(C.local->blocklist_commit(C.local->ctx, b));
	return 0;
fail:
	C.local->blocklist_abort(C.local->ctx, b);
	return ret;
}

typedef int (*delete_fn)(void *ctx, const char *name, json_t *items, struct fw_error *err);

/* Deletes what is there of items from name: all at once, else (some are
 * gone already, -ENOENT) one by one, where an item already gone is no error. */
static int delete_present(delete_fn del, const char *name, json_t *items, struct fw_error *err)
{
	json_t *one, *item;
	size_t i;
	int ret;

	ret = del(C.local->ctx, name, items, err);
	if (ret != -ENOENT)
		return ret;
	fw_error_clear(err);
	one = json_array();
	json_array_foreach(items, i, item) {
		json_array_clear(one);
		json_array_append(one, item);
		ret = del(C.local->ctx, name, one, err);
		if (ret == -ENOENT) {
			fw_error_clear(err);
			ret = 0;
		}
		if (ret)
			break;
	}
	json_decref(one);
	return ret;
}

int fw_cluster_apply_del(const char *program, json_t *addresses, struct fw_error *err)
{
	return delete_present(C.local->blocklist_delete, program, addresses, err);
}

int fw_cluster_apply_map_delete(const char *map, json_t *keys, struct fw_error *err)
{
	return delete_present(C.local->map_delete, map, keys, err);
}

static int apply_json(json_t *m, struct fw_error *err)
{
	const char *op = json_string_value(json_object_get(m, "op"));
	const char *program = json_string_value(json_object_get(m, "program"));
	const char *map = json_string_value(json_object_get(m, "map"));

	if (!op)
		return fw_error_set(err, EINVAL, "a message without \"op\"");
	if (!strcmp(op, "add") && program)
		return fw_cluster_apply_add(program, json_object_get(m, "entries"), err);
	if (!strcmp(op, "del") && program)
		return fw_cluster_apply_del(program, json_object_get(m, "addresses"), err);
	if (!strcmp(op, "map_update") && map)
		return C.local->map_update(C.local->ctx, map, json_object_get(m, "entries"), err);
	if (!strcmp(op, "map_delete") && map)
		return fw_cluster_apply_map_delete(map, json_object_get(m, "keys"), err);
	return fw_error_set(err, EINVAL, "unknown operation \"%s\"", op);
}

static void apply_msg(natsMsg *msg, uint64_t seq)
{
	struct fw_error err = { 0 };
	json_error_t jerr;
	json_t *m;

	if (seq <= C.applied.seq)
		return;
	m = json_loadb(natsMsg_GetData(msg), natsMsg_GetDataLength(msg), 0, &jerr);
	if (!m)
		fw_error_set(&err, EINVAL, "not JSON: %s", jerr.text);
	else
		apply_json(m, &err);
	if (err.code && fw_cluster_stopping()) {
		/* interrupted by the daemon's stop: applied again at the next start */
		json_decref(m);
		fw_error_clear(&err);
		return;
	}
	if (err.code)
		fw_cluster_note_error("sequence %llu from %s: %s (skipped; every node skips it alike)",
			   (unsigned long long)seq,
			   m && json_string_value(json_object_get(m, "node")) ?
			   json_string_value(json_object_get(m, "node")) : "?", err.msg);
	pthread_mutex_lock(&C.lock);
	if (m && json_string_value(json_object_get(m, "node")))
		note_node(json_string_value(json_object_get(m, "node")), seq,
			  json_integer_value(json_object_get(m, "ts")));
	C.applied.seq = seq;
	if (C.stream_seq < seq)
		C.stream_seq = seq;
	C.applied_msgs++;
	if (err.code)
		C.apply_errors++;
	fw_cluster_seq_save();
	pthread_cond_broadcast(&C.applied_cond);
	pthread_mutex_unlock(&C.lock);
	json_decref(m);
	fw_error_clear(&err);
}

/*
 * The next change after the last one applied, read by sequence ("direct
 * get", answered by any replica of the stream: no consumer to keep, so
 * nothing to recreate when a server or the cluster's leader goes away).
 * A jump in sequences is snapshots' messages, or changes compacted away:
 * then the latest snapshot is loaded first when it is ahead of this node.
 * Returns how many changes were applied, -1 on an error.
 */
static int read_new(void)
{
	int n = 0;

	while (!fw_cluster_stopping()) {
		jsDirectGetMsgOptions o;
		natsMsg *msg = NULL;
		natsStatus s;
		uint64_t seq;

		jsDirectGetMsgOptions_Init(&o);
		o.Sequence = C.applied.seq + 1;
		o.NextBySubject = C.subject;
		s = js_DirectGetMsg(&msg, C.js, C.cfg.stream, NULL, &o);
		if (s == NATS_NOT_FOUND)
			return n;
		if (s != NATS_OK) {
			fw_cluster_note_error("reading stream %s at sequence %llu: %s (%s)", C.cfg.stream,
					      (unsigned long long)C.applied.seq + 1,
					      natsStatus_GetText(s), nats_GetLastError(NULL));
			return n ? n : -1;
		}
		seq = natsMsg_GetSequence(msg);
		if (seq > C.applied.seq + 1 && fw_cluster_snapshot_catch_up()) {
			natsMsg_Destroy(msg);
			return n ? n : -1;
		}
		apply_msg(msg, seq);
		natsMsg_Destroy(msg);
		n++;
	}
	return n;
}

/* Waits for a change to be published (a plain subscription to the subject
 * wakes the reader; its copy of the message is not used) or for ms; true
 * when one was. */
static bool wait_for_news(natsSubscription *wake, int ms)
{
	natsMsg *m = NULL;
	int msgs = 0;

	if (natsSubscription_NextMsg(&m, wake, ms) != NATS_OK)
		return false;
	natsMsg_Destroy(m);
	/* the burst it belongs to wakes the reader once */
	while (natsSubscription_GetPending(wake, &msgs, NULL) == NATS_OK && msgs > 0 &&
	       natsSubscription_NextMsg(&m, wake, 1) == NATS_OK)
		natsMsg_Destroy(m);
	return true;
}

/* Refreshes the stream's last sequence (the lag), at most 4 times a second. */
static void refresh_stream_seq(int64_t *last)
{
	natsMsg *msg = NULL;
	jsErrCode jerr = 0;
	natsStatus s;
	int64_t now = fw_cluster_now_ms();

	if (now - *last < 250)
		return;
	*last = now;
	s = js_GetLastMsg(&msg, C.js, C.cfg.stream, C.subject, NULL, &jerr);
	if (s != NATS_OK && s != NATS_NOT_FOUND && jerr != JSNoMessageFoundErr)
		return;
	pthread_mutex_lock(&C.lock);
	C.stream_seq = msg ? natsMsg_GetSequence(msg) : 0;
	pthread_mutex_unlock(&C.lock);
	natsMsg_Destroy(msg);
}

static bool shared(enum fw_cluster_set set);

/* A map the cluster writes: blocklist, cidr_blocklist or allowlist, as shared. */
static bool shared_map_name(const char *name)
{
	return (!strcmp(name, "blocklist") && shared(FW_SHARE_BLOCKLIST)) ||
	       (!strcmp(name, "cidr_blocklist") && shared(FW_SHARE_CIDR_BLOCKLIST)) ||
	       (!strcmp(name, "allowlist") && shared(FW_SHARE_ALLOWLIST));
}

/*
 * The shared maps now, against those the applied sequence describes. One
 * that is new (a program loaded anew, by the API or a reload, or its maps
 * made anew) holds none of the shared entries: the node reads the stream
 * again from its start (or the latest snapshot); what it applies twice
 * elsewhere changes nothing.
 */
static void check_maps(void)
{
	json_t *maps = C.local->maps(C.local->ctx), *m;
	uint32_t ids[SEQ_MAPS_MAX];
	bool fresh = false;
	size_t i, n = 0;

	json_array_foreach(maps, i, m) {
		const char *name = json_string_value(json_object_get(m, "name"));
		uint32_t id = (uint32_t)json_integer_value(json_object_get(m, "id"));
		bool known = false;

		if (!name || !shared_map_name(name) || n == SEQ_MAPS_MAX)
			continue;
		ids[n++] = id;
		for (uint32_t j = 0; j < C.applied.n_maps; j++)
			known |= C.applied.map_ids[j] == id;
		fresh |= !known;
	}
	json_decref(maps);
	if (!fresh && n == C.applied.n_maps)
		return;
	pthread_mutex_lock(&C.lock);
	if (fresh && C.applied.seq) {
		fw_info("cluster: a shared map is new here (a program loaded anew): reading the stream again from its start");
		C.applied.seq = 0;
	}
	C.applied.n_maps = (uint32_t)n;
	memcpy(C.applied.map_ids, ids, n * sizeof(ids[0]));
	fw_cluster_seq_save();
	pthread_mutex_unlock(&C.lock);
}

static void *apply_thread(void *arg)
{
	natsSubscription *wake = NULL;
	int64_t info_at = 0, maps_at = 0;
	int retries = 0;

	while (!fw_cluster_stopping()) {
		int n;

		if (!is_connected()) {
			if (wake)
				natsSubscription_Destroy(wake);
			wake = NULL;
			fw_cluster_pause_ms(100);
			continue;
		}
		if (!C.stream_ready && ensure_stream()) {
			fw_cluster_pause_ms(500);
			continue;
		}
		if (!wake && natsConnection_SubscribeSync(&wake, C.nc, C.subject) != NATS_OK) {
			fw_cluster_note_error("cannot subscribe to %s: %s", C.subject,
					      nats_GetLastError(NULL));
			fw_cluster_pause_ms(500);
			continue;
		}
		if (fw_cluster_now_ms() - maps_at >= 2000) {
			maps_at = fw_cluster_now_ms();
			check_maps();
		}
		n = read_new();
		if (n < 0) {
			fw_cluster_pause_ms(200);
			continue;
		}
		/* The subscription hears of a change as it is published, a
		 * moment before the replica that answers has stored it: after
		 * a wake-up, look again every 2 ms for up to 100 ms. */
		if (n > 0) {
			retries = 0;
			fw_cluster_snapshot_maybe_take();
		} else if (retries > 0) {
			retries--;
			fw_cluster_pause_ms(2);
		} else if (wait_for_news(wake, FETCH_WAIT_MS)) {
			retries = 50;
		}
		refresh_stream_seq(&info_at);
	}
	if (wake)
		natsSubscription_Destroy(wake);
	return NULL;
}

/* ---- publishing a change ---------------------------------------------------- */

#define FAILOVER_MS 10000            /* a change waits out a leader election (4-9 s in NATS) */

static bool ready_to_publish(void)
{
	bool ready;

	pthread_mutex_lock(&C.lock);
	ready = C.stream_ready;
	pthread_mutex_unlock(&C.lock);
	return ready && is_connected();
}

/* A change waits out a failover (the client moving to another server, the
 * stream electing a new leader) for FAILOVER_MS; not a full outage. */
static void wait_failover(void)
{
	int64_t until = fw_cluster_now_ms() + FAILOVER_MS;

	while (!ready_to_publish() && fw_cluster_now_ms() < until && !fw_cluster_stopping() &&
	       natsConnection_Status(C.nc) != NATS_CONN_STATUS_CLOSED)
		fw_cluster_pause_ms(20);
}

static int refuse_offline(const char *what, struct fw_error *err)
{
	bool ready;

	wait_failover();
	if (!is_connected())
		return fw_error_set(err, ENOTCONN,
				    "%s is shared through the cluster and no NATS server is reachable: the change is refused (filtering goes on with what is there; retry when `flywall ebpf cluster status` says connected)",
				    what);
	pthread_mutex_lock(&C.lock);
	ready = C.stream_ready;
	pthread_mutex_unlock(&C.lock);
	if (!ready)
		return fw_error_set(err, ENOTCONN,
				    "%s is shared through the cluster and its stream %s is not available yet (%s): the change is refused",
				    what, C.cfg.stream, C.last_error[0] ? C.last_error : "JetStream is starting");
	return 0;
}

/* Publishes one message; *seq gets its stream sequence. A publish that
 * fails during a failover is tried again (FAILOVER_MS at most) under the same
 * message id, so JetStream stores it once even if an ack was lost. */
static int publish(const char *text, size_t len, uint64_t *seq, struct fw_error *err)
{
	static uint64_t counter;
	int64_t until = fw_cluster_now_ms() + FAILOVER_MS;
	jsPubAck *pa = NULL;
	jsPubOptions po;
	jsErrCode jerr = 0;
	char id[128];
	natsStatus s;

	jsPubOptions_Init(&po);
	snprintf(id, sizeof(id), "%s-%d-%lld-%llu", C.cfg.node, (int)getpid(),
		 (long long)C.started_ms,
		 (unsigned long long)__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED));
	po.MsgId = id;
	for (;;) {
		jerr = 0;
		s = js_Publish(&pa, C.js, C.subject, text, (int)len, &po, &jerr);
		if (s == NATS_OK || jerr || fw_cluster_now_ms() >= until || fw_cluster_stopping())
			break;
		fw_cluster_pause_ms(100);
		wait_failover();
	}
	if (s != NATS_OK) {
		fw_error_set(err, ENOTCONN, "the cluster did not take the change: %s (%s)",
			     natsStatus_GetText(s), nats_GetLastError(NULL));
		fw_cluster_note_error("%s", err->msg);
		return err->code;
	}
	*seq = pa->Sequence;
	jsPubAck_Destroy(pa);
	pthread_mutex_lock(&C.lock);
	C.published++;
	pthread_mutex_unlock(&C.lock);
	return 0;
}

static int publish_json(json_t *m, uint64_t *seq, struct fw_error *err)
{
	char *text = json_dumps(m, JSON_COMPACT);
	int ret;

	if (!text)
		return fw_error_set(err, ENOMEM, "out of memory");
	ret = publish(text, strlen(text), seq, err);
	free(text);
	return ret;
}

/* The change published as seq is in this node's maps when this returns 0. */
static int wait_applied(uint64_t seq, struct fw_error *err)
{
	struct timespec until;
	int ret = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += C.cfg.apply_wait_ms / 1000;
	until.tv_nsec += (long)(C.cfg.apply_wait_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&C.lock);
	while (C.applied.seq < seq && !C.stopping && ret == 0)
		ret = pthread_cond_timedwait(&C.applied_cond, &C.lock, &until);
	pthread_mutex_unlock(&C.lock);
	if (C.applied.seq >= seq)
		return 0;
	return fw_error_set(err, ETIMEDOUT,
			    "the change is in the cluster's stream (sequence %llu) but this node has not applied it within %u ms; it will",
			    (unsigned long long)seq, C.cfg.apply_wait_ms);
}

static json_t *message(const char *op)
{
	return json_pack("{s:i, s:s, s:I, s:s}", "v", 1, "node", C.cfg.node,
			 "ts", (json_int_t)fw_cluster_now_ms(), "op", op);
}

/* ---- the backend table's shared calls --------------------------------------- */

/* The set an address or CIDR belongs to ("10.0.0.1/32" is an address). */
static enum fw_cluster_set set_of(const char *address)
{
	const char *slash = strchr(address, '/');
	int max = strchr(address, ':') ? 128 : 32;

	return slash && atoi(slash + 1) < max ? FW_SHARE_CIDR_BLOCKLIST : FW_SHARE_BLOCKLIST;
}

static bool shared(enum fw_cluster_set set)
{
	return C.cfg.shared & set;
}

bool fw_cluster_address_shared(const char *address)
{
	return shared(set_of(address));
}

/* The program must exist here and be a ddos_filter before its change goes
 * to the whole fleet. */
static int check_program(const char *program, struct fw_error *err)
{
	json_t *page = NULL;
	int ret = C.local->blocklist_page(C.local->ctx, program, NULL, 1, &page, err);

	json_decref(page);
	return ret;
}

static int c_blocklist_add(void *ctx, const char *program, json_t *entries, struct fw_error *err)
{
	json_t *local = json_array(), *m = NULL, *list = NULL, *e;
	int64_t now = time(NULL);
	uint64_t seq = 0;
	size_t i;
	int ret = 0;

	json_array_foreach(entries, i, e) {
		const char *address = json_string_value(json_object_get(e, "address"));
		json_int_t in = json_integer_value(json_object_get(e, "expires_in"));

		if (!address || !shared(set_of(address))) {
			json_array_append(local, e);
			continue;
		}
		if (!m) {
			if ((ret = refuse_offline("the blocklist", err)) ||
			    (ret = check_program(program, err)))
				goto out;
			m = message("add");
			list = json_array();
			json_object_set_new(m, "program", json_string(program));
			json_object_set(m, "entries", list);
		}
		json_array_append_new(list, json_pack("[s, I]", address,
						      (json_int_t)(in ? now + in : 0)));
		if (json_array_size(list) == CHUNK) {
			if ((ret = publish_json(m, &seq, err)))
				goto out;
			json_array_clear(list);
		}
	}
	if (list && json_array_size(list) && (ret = publish_json(m, &seq, err)))
		goto out;
	if (json_array_size(local))
		ret = C.local->blocklist_add(C.local->ctx, program, local, err);
	if (!ret && seq)
		ret = wait_applied(seq, err);
out:
	json_decref(list);
	json_decref(m);
	json_decref(local);
	return ret;
}

static int c_blocklist_delete(void *ctx, const char *program, json_t *addresses, struct fw_error *err)
{
	json_t *local = json_array(), *list = json_array(), *a, *m;
	uint64_t seq = 0;
	size_t i;
	int ret = 0;

	json_array_foreach(addresses, i, a)
		json_array_append(shared(set_of(json_string_value(a))) ? list : local, a);
	if (json_array_size(list)) {
		if ((ret = refuse_offline("the blocklist", err)) || (ret = check_program(program, err)))
			goto out;
		for (i = 0; i < json_array_size(list) && !ret; i += CHUNK) {
			json_t *part = json_array();

			for (size_t j = i; j < i + CHUNK && j < json_array_size(list); j++)
				json_array_append(part, json_array_get(list, j));
			m = message("del");
			json_object_set_new(m, "program", json_string(program));
			json_object_set_new(m, "addresses", part);
			ret = publish_json(m, &seq, err);
			json_decref(m);
		}
	}
	if (!ret && json_array_size(local))
		ret = C.local->blocklist_delete(C.local->ctx, program, local, err);
	if (!ret && seq)
		ret = wait_applied(seq, err);
out:
	json_decref(list);
	json_decref(local);
	return ret;
}

/*
 * A streamed upload: the shared addresses are gathered as message texts and
 * published when the upload ends well (so a bad line anywhere publishes
 * nothing); the others go to a local batch as they come.
 */
struct cluster_batch {
	char program[FW_NAME_MAX];
	bool lines;
	struct fw_blocklist_batch *local;
	char **texts;                   /* finished messages */
	size_t n_texts, cap_texts;
	char *cur;                      /* the message being filled */
	size_t cur_len, cur_cap, cur_entries;
	size_t shared_total;
	int64_t now;
};

static int text_append(struct cluster_batch *b, const char *s, size_t n)
{
	if (b->cur_len + n + 1 > b->cur_cap) {
		size_t cap = b->cur_cap ? b->cur_cap * 2 : 65536;
		char *p;

		while (cap < b->cur_len + n + 1)
			cap *= 2;
		p = realloc(b->cur, cap);
		if (!p)
			return -ENOMEM;
		b->cur = p;
		b->cur_cap = cap;
	}
	memcpy(b->cur + b->cur_len, s, n);
	b->cur_len += n;
	b->cur[b->cur_len] = '\0';
	return 0;
}

static int text_finish(struct cluster_batch *b)
{
	if (!b->cur_entries)
		return 0;
	if (text_append(b, "]}", 2))
		return -ENOMEM;
	if (b->n_texts == b->cap_texts) {
		size_t cap = b->cap_texts ? b->cap_texts * 2 : 16;
		char **p = realloc(b->texts, cap * sizeof(*p));

		if (!p)
			return -ENOMEM;
		b->texts = p;
		b->cap_texts = cap;
	}
	b->texts[b->n_texts++] = b->cur;
	b->cur = NULL;
	b->cur_len = b->cur_cap = b->cur_entries = 0;
	return 0;
}

static int batch_add(struct cluster_batch *b, const char *address, uint32_t expires_in)
{
	char entry[128];
	int n;

	if (!b->cur_entries) {
		char head[256];

		n = snprintf(head, sizeof(head),
			     "{\"v\":1,\"node\":\"%s\",\"ts\":%lld,\"op\":\"add\",\"program\":\"%s\",\"entries\":[",
			     C.cfg.node, (long long)fw_cluster_now_ms(), b->program);
		if (text_append(b, head, n))
			return -ENOMEM;
	}
	/* Addresses are checked IP/CIDR text: nothing to escape. */
	n = snprintf(entry, sizeof(entry), "%s[\"%s\",%lld]", b->cur_entries ? "," : "", address,
		     expires_in ? (long long)(b->now + expires_in) : 0LL);
	if (text_append(b, entry, n))
		return -ENOMEM;
	b->shared_total++;
	if (++b->cur_entries == CHUNK)
		return text_finish(b);
	return 0;
}

static void batch_free(struct cluster_batch *b)
{
	for (size_t i = 0; i < b->n_texts; i++)
		free(b->texts[i]);
	free(b->texts);
	free(b->cur);
	free(b);
}

static int c_blocklist_begin(void *ctx, const char *program, bool lines, struct fw_blocklist_batch **out,
			     struct fw_error *err)
{
	struct cluster_batch *b;
	int ret = check_program(program, err);

	if (ret)
		return ret;
	b = calloc(1, sizeof(*b));
	if (!b)
		return fw_error_set(err, ENOMEM, "out of memory");
	snprintf(b->program, sizeof(b->program), "%s", program);
	b->lines = lines;
	b->now = time(NULL);
	*out = (struct fw_blocklist_batch *)b;
	return 0;
}

static int c_blocklist_put(void *ctx, struct fw_blocklist_batch *fb, const struct fw_blocklist_item *items,
			   size_t n, struct fw_error *err)
{
	struct cluster_batch *b = (struct cluster_batch *)fb;
	struct fw_blocklist_item local[256];
	size_t n_local = 0;
	int ret = 0;

	bool checked = false;

	for (size_t i = 0; i < n && !ret; i++) {
		if (shared(set_of(items[i].address))) {
			if (!checked && (ret = refuse_offline("the blocklist", err)))
				break;
			checked = true;
			if (batch_add(b, items[i].address, items[i].expires_in))
				ret = fw_error_set(err, ENOMEM, "out of memory");
			continue;
		}
		if (!b->local && (ret = C.local->blocklist_begin(C.local->ctx, b->program, b->lines, &b->local, err)))
			break;
		local[n_local++] = items[i];
		if (n_local == sizeof(local) / sizeof(local[0])) {
			ret = C.local->blocklist_put(C.local->ctx, b->local, local, n_local, err);
			n_local = 0;
		}
	}
	if (!ret && n_local)
		ret = C.local->blocklist_put(C.local->ctx, b->local, local, n_local, err);
	return ret;
}

static json_t *c_blocklist_commit(void *ctx, struct fw_blocklist_batch *fb)
{
	struct cluster_batch *b = (struct cluster_batch *)fb;
	struct fw_error err = { 0 };
	json_t *out = NULL;
	uint64_t seq = 0;
	size_t sent = 0;

	if (text_finish(b))
		fw_error_set(&err, ENOMEM, "out of memory");
	for (size_t i = 0; i < b->n_texts && !err.code; i++, sent++)
		publish(b->texts[i], strlen(b->texts[i]), &seq, &err);
	if (!err.code && seq)
		wait_applied(seq, &err);
	if (b->local)
		out = C.local->blocklist_commit(C.local->ctx, b->local);
	if (!out)
		out = json_pack("{s:s, s:i, s:i}", "program", b->program, "added", 0,
				"duplicates", 0);
	/* Shared addresses are counted once published: whether each was new
	 * is known only where it is applied. */
	json_object_set_new(out, "added", json_integer(
		json_integer_value(json_object_get(out, "added")) + (json_int_t)b->shared_total));
	json_object_set_new(out, "published", json_integer((json_int_t)b->shared_total));
	if (err.code) {
		fw_err_log("cluster: a bulk upload to %s: %zu of %zu messages published: %s",
			   b->program, sent, b->n_texts, err.msg);
		json_object_set_new(out, "cluster_error", json_string(err.msg));
	}
	fw_error_clear(&err);
	batch_free(b);
	return out;
}

static void c_blocklist_abort(void *ctx, struct fw_blocklist_batch *fb)
{
	struct cluster_batch *b = (struct cluster_batch *)fb;

	if (b->local)
		C.local->blocklist_abort(C.local->ctx, b->local);
	batch_free(b);
}

/* "allowlist" or "PROGRAM.allowlist". */
static bool shared_map(const char *name)
{
	const char *dot = strrchr(name, '.');

	return shared(FW_SHARE_ALLOWLIST) && !strcmp(dot ? dot + 1 : name, "allowlist");
}

/* An allowlist value's expires_ns is a time on this host's monotonic clock:
 * it means nothing on another host, so a shared entry has none. */
static int check_no_expiry(json_t *entries, struct fw_error *err)
{
	json_t *e;
	size_t i;

	json_array_foreach(entries, i, e) {
		json_t *v = json_object_get(e, "value");
		json_t *ns = json_is_object(v) ? json_object_get(v, "expires_ns") : NULL;

		if (ns && !(json_is_integer(ns) && json_integer_value(ns) == 0))
			return fw_error_set(err, EINVAL,
					    "entries[%zu]: the allowlist is shared through the cluster: its entries cannot expire (expires_ns must be 0)",
					    i);
	}
	return 0;
}

static int c_map_update(void *ctx, const char *name, json_t *entries, struct fw_error *err)
{
	json_t *m;
	uint64_t seq = 0;
	int ret;

	if (!shared_map(name))
		return C.local->map_update(C.local->ctx, name, entries, err);
	if ((ret = refuse_offline("the allowlist", err)) || (ret = check_no_expiry(entries, err)))
		return ret;
	m = message("map_update");
	json_object_set_new(m, "map", json_string(name));
	json_object_set(m, "entries", entries);
	ret = publish_json(m, &seq, err);
	json_decref(m);
	return ret ? ret : wait_applied(seq, err);
}

static int c_map_delete(void *ctx, const char *name, json_t *keys, struct fw_error *err)
{
	json_t *m;
	uint64_t seq = 0;
	int ret;

	if (!shared_map(name))
		return C.local->map_delete(C.local->ctx, name, keys, err);
	if ((ret = refuse_offline("the allowlist", err)))
		return ret;
	m = message("map_delete");
	json_object_set_new(m, "map", json_string(name));
	json_object_set(m, "keys", keys);
	ret = publish_json(m, &seq, err);
	json_decref(m);
	return ret ? ret : wait_applied(seq, err);
}

static int c_map_begin(void *ctx, const char *name, struct fw_map_batch **out, struct fw_error *err)
{
	if (shared_map(name))
		return fw_error_set(err, EOPNOTSUPP,
				    "the allowlist is shared through the cluster: send its entries as JSON (POST /api/ebpf/maps/%s/data with {\"entries\": [...]}), not as a streamed upload",
				    name);
	return C.local->map_begin(C.local->ctx, name, out, err);
}

/* ---- status ----------------------------------------------------------------- */

json_t *fw_cluster_status(void)
{
	json_t *o, *nodes, *servers, *cfg, *sets;
	char url[256] = "";
	uint64_t lag;

	if (!C.running)
		return json_pack("{s:b}", "enabled", false);
	if (is_connected())
		natsConnection_GetConnectedUrl(C.nc, url, sizeof(url));
	pthread_mutex_lock(&C.lock);
	nodes = json_array();
	for (size_t i = 0; i < C.n_nodes; i++)
		json_array_append_new(nodes, json_pack("{s:s, s:I, s:I}", "name", C.nodes[i].name,
			"last_seq", (json_int_t)C.nodes[i].last_seq,
			"last_change_ms", (json_int_t)C.nodes[i].last_ts_ms));
	servers = json_array();
	for (size_t i = 0; i < C.cfg.n_servers; i++)
		json_array_append_new(servers, json_string(C.cfg.servers[i]));
	cfg = fw_cluster_config_to_json(&C.cfg);
	sets = json_incref(json_object_get(cfg, "shared"));
	json_decref(cfg);
	lag = C.stream_seq > C.applied.seq ? C.stream_seq - C.applied.seq : 0;
	o = json_pack("{s:b, s:s, s:b, s:s?, s:o, s:s, s:s, s:o, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:I, s:s?, s:I}",
		      "enabled", true, "node", C.cfg.node, "connected", is_connected() && C.stream_ready,
		      "server", url[0] ? url : NULL, "servers", servers,
		      "stream", C.cfg.stream, "subject", C.subject,
		      "shared", sets,
		      "applied_seq", (json_int_t)C.applied.seq,
		      "stream_seq", (json_int_t)C.stream_seq, "lag", (json_int_t)lag,
		      "published", (json_int_t)C.published,
		      "applied", (json_int_t)C.applied_msgs,
		      "apply_errors", (json_int_t)C.apply_errors, "nodes", nodes,
		      "snapshot_seq", (json_int_t)C.snap_upto,
		      "last_error", C.last_error[0] ? C.last_error : NULL,
		      "last_error_ms", (json_int_t)C.last_error_ms);
	pthread_mutex_unlock(&C.lock);
	return o;
}

/* The API's view of it: the backend's ctx stays the daemon's (the calls
 * this table does not wrap go straight to it); the cluster is one per process. */
static json_t *cluster_status(void *ctx)
{
	return fw_cluster_status();
}

/* ---- start and stop --------------------------------------------------------- */

const struct fw_api_backend *fw_cluster_backend(const struct fw_api_backend *local)
{
	return C.running ? &C.table : local;
}

int fw_cluster_start(const struct fw_cluster_config *cfg, const char *pin_root,
		     const struct fw_api_backend *local, struct fw_error *err)
{
	int ret;

	if (!cfg->enabled)
		return 0;
	C.cfg = *cfg;
	C.local = local;
	C.started_ms = fw_cluster_now_ms();
	snprintf(C.subject, sizeof(C.subject), "%s.ops", cfg->stream);
	snprintf(C.snap_subject, sizeof(C.snap_subject), "%s.snap", cfg->stream);
	snprintf(C.done_subject, sizeof(C.done_subject), "%s.snapdone", cfg->stream);
	C.table = *local;
	C.table.blocklist_add = c_blocklist_add;
	C.table.blocklist_delete = c_blocklist_delete;
	C.table.blocklist_begin = c_blocklist_begin;
	C.table.blocklist_put = c_blocklist_put;
	C.table.blocklist_commit = c_blocklist_commit;
	C.table.blocklist_abort = c_blocklist_abort;
	C.table.map_update = c_map_update;
	C.table.map_delete = c_map_delete;
	C.table.map_begin = c_map_begin;
	C.table.cluster = cluster_status;
	if ((ret = seq_open(pin_root, err)) || (ret = connect_nats(err)))
		goto fail;
	fw_info("cluster: node %s, stream %s, applied up to sequence %llu", cfg->node, cfg->stream,
		(unsigned long long)C.applied.seq);
	if ((ret = pthread_create(&C.thread, NULL, apply_thread, NULL))) {
		ret = fw_error_set(err, ret, "cluster: cannot start its thread");
		goto fail;
	}
	C.running = true;
	return 0;
fail:
	fw_cluster_close();
	return ret;
}

void fw_cluster_stop(void)
{
	pthread_mutex_lock(&C.lock);
	__atomic_store_n(&C.stopping, true, __ATOMIC_RELEASE);
	pthread_cond_broadcast(&C.applied_cond);
	pthread_mutex_unlock(&C.lock);
	if (C.running)
		pthread_join(C.thread, NULL);
	C.running = false;
}

void fw_cluster_close(void)
{
	fw_cluster_stop();
	jsCtx_Destroy(C.js);
	C.js = NULL;
	if (C.nc) {
		natsConnection_Close(C.nc);
		natsConnection_Destroy(C.nc);
		C.nc = NULL;
	}
	if (C.seq_fd >= 0)
		close(C.seq_fd);
	C.seq_fd = -1;
}
