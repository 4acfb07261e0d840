// SPDX-License-Identifier: MIT
/*
 * Compaction of the cluster's stream (docs/cluster.md, "Snapshots").
 *
 * Every snapshot_every changes, one node writes the shared sets as they are
 * after sequence S (its apply thread does it, so its maps are exactly at S)
 * to the subject STREAM.snap, then records the snapshot as complete on
 * STREAM.snapdone:
 *   STREAM.snap      {"op":"snap_begin", "id":I, "node":N, "upto":S}
 *   STREAM.snap      {"op":"snap_add", "id":I, "program":P, "entries":[["A", exp], ...]}
 *   STREAM.snap      {"op":"snap_map", "id":I, "map":M, "entries":[{key, value}, ...]}
 *   STREAM.snapdone  {"op":"snap_done", "id":I, "upto":S, "begin":B, "chunks":K, "purged":P}
 * and purges the changes up to P, the previous snapshot's S (so a node a
 * little behind still replays changes instead of loading a snapshot), and
 * the older snapshots. Each message on STREAM.snap is published expecting
 * the subject's last sequence to be the one before it: when two nodes start
 * at once, one fails at its next message and gives up. A node that has not
 * applied P yet (its next changes are gone) loads the latest snapshot: it
 * applies its entries, deletes what it holds that the snapshot lacks, and
 * goes on from S + 1.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cluster/cluster_internal.h"
#include "common/log.h"

#define SNAP_PAGE 4096                  /* entries per snapshot message */

/* The latest complete snapshot (from STREAM.snapdone), and the last
 * sequence of STREAM.snap (where the next snapshot chains on). */
struct snap_tail {
	uint64_t seq;
	bool complete;
	char id[128];
	uint64_t begin, upto, purged, chunks;
};

static int last_on(const char *subject, natsMsg **msg)
{
	jsErrCode jerr = 0;
	natsStatus s = js_GetLastMsg(msg, C.js, C.cfg.stream, subject, NULL, &jerr);

	if (s == NATS_NOT_FOUND || jerr == JSNoMessageFoundErr) {
		*msg = NULL;
		return 0;
	}
	return s == NATS_OK ? 0 : -1;
}

static int snap_tail_read(struct snap_tail *t)
{
	natsMsg *msg = NULL;
	json_t *m;

	memset(t, 0, sizeof(*t));
	if (last_on(C.snap_subject, &msg))
		return -1;
	if (msg)
		t->seq = natsMsg_GetSequence(msg);
	natsMsg_Destroy(msg);
	if (last_on(C.done_subject, &msg))
		return -1;
	if (!msg)
		return 0;
	m = json_loadb(natsMsg_GetData(msg), natsMsg_GetDataLength(msg), 0, NULL);
	if (m) {
		t->complete = true;
		snprintf(t->id, sizeof(t->id), "%s", json_string_value(json_object_get(m, "id")) ?: "");
		t->begin = json_integer_value(json_object_get(m, "begin"));
		t->upto = json_integer_value(json_object_get(m, "upto"));
		t->purged = json_integer_value(json_object_get(m, "purged"));
		t->chunks = json_integer_value(json_object_get(m, "chunks"));
	}
	json_decref(m);
	natsMsg_Destroy(msg);
	return 0;
}

/* ---- taking one ------------------------------------------------------------- */

struct snap_writer {
	char id[128];
	uint64_t last;                  /* the subject's last sequence */
	size_t messages, entries;
};

static int snap_publish(struct snap_writer *w, json_t *m, struct fw_error *err)
{
	char *text = json_dumps(m, JSON_COMPACT);
	jsPubAck *pa = NULL;
	jsErrCode jerr = 0;
	jsPubOptions po;
	natsStatus s;

	json_decref(m);
	if (!text)
		return fw_error_set(err, ENOMEM, "out of memory");
	jsPubOptions_Init(&po);
	if (w->last)
		po.ExpectLastSubjectSeq = w->last;
	else
		po.ExpectNoMessage = true;
	s = js_Publish(&pa, C.js, C.snap_subject, text, (int)strlen(text), &po, &jerr);
	free(text);
	if (s != NATS_OK)
		return fw_error_set(err, jerr == JSStreamWrongLastSequenceErr ? EEXIST : EIO,
				    "%s (%s; JetStream error %d)", natsStatus_GetText(s),
				    nats_GetLastError(NULL), (int)jerr);
	w->last = pa->Sequence;
	w->messages++;
	jsPubAck_Destroy(pa);
	return 0;
}

/*
 * Publishes one page's entries as {"op", "id", key: name, "entries"} (takes
 * entries; an empty page publishes nothing), then moves *cursor to the page's
 * next one (NULL after the last) and frees the page.
 */
static int publish_page(struct snap_writer *w, const char *op, const char *key,
			const char *name, json_t *entries, json_t *page, char **cursor,
			struct fw_error *err)
{
	const char *next = json_string_value(json_object_get(page, "next_cursor"));
	int ret = 0;

	w->entries += json_array_size(entries);
	if (json_array_size(entries))
		ret = snap_publish(w, json_pack("{s:s, s:s, s:s, s:o}", "op", op, "id", w->id,
						key, name, "entries", entries), err);
	else
		json_decref(entries);
	free(*cursor);
	*cursor = next ? strdup(next) : NULL;
	json_decref(page);
	return ret;
}

/* One program's shared blocklist entries, in pages. A program that has no
 * blocklist (not a ddos_filter) has nothing to write. */
static int snap_blocklist(struct snap_writer *w, const char *program, struct fw_error *err)
{
	char *cursor = NULL;
	int64_t now = time(NULL);
	int ret = 0;

	do {
		struct fw_error e = { 0 };
		json_t *page = NULL, *entries, *item;
		size_t i;

		if (C.local->blocklist_page(C.local->ctx, program, cursor, SNAP_PAGE, &page, &e)) {
			fw_error_clear(&e);
			break;
		}
		entries = json_array();
		json_array_foreach(json_object_get(page, "entries"), i, item) {
			const char *a = json_string_value(json_object_get(item, "address"));
			json_t *left = json_object_get(item, "expires_in");

			if (a && fw_cluster_address_shared(a))
				json_array_append_new(entries, json_pack("[s, I]", a, (json_int_t)(
					json_is_integer(left) ? now + json_integer_value(left) : 0)));
		}
		ret = publish_page(w, "snap_add", "program", program, entries, page, &cursor, err);
	} while (cursor && !ret);
	free(cursor);
	return ret;
}

static int snap_allowlist(struct snap_writer *w, const char *program, struct fw_error *err)
{
	char map[FW_NAME_MAX * 2 + 16], *cursor = NULL;
	int ret = 0;

	snprintf(map, sizeof(map), "%s.allowlist", program);
	do {
		struct fw_error e = { 0 };
		json_t *page = NULL, *entries;

		if (C.local->map_data(C.local->ctx, map, cursor, 0, SNAP_PAGE, &page, &e)) {
			fw_error_clear(&e);
			break;
		}
		entries = json_incref(json_object_get(page, "entries"));
		ret = publish_page(w, "snap_map", "map", map, entries, page, &cursor, err);
	} while (cursor && !ret);
	free(cursor);
	return ret;
}

/* The record that makes a snapshot count. */
static int done_publish(json_t *m, struct fw_error *err)
{
	char *text = json_dumps(m, JSON_COMPACT);
	jsPubAck *pa = NULL;
	jsErrCode jerr = 0;
	natsStatus s;

	json_decref(m);
	if (!text)
		return fw_error_set(err, ENOMEM, "out of memory");
	s = js_Publish(&pa, C.js, C.done_subject, text, (int)strlen(text), NULL, &jerr);
	free(text);
	jsPubAck_Destroy(pa);
	if (s != NATS_OK)
		return fw_error_set(err, EIO, "%s (%s)", natsStatus_GetText(s),
				    nats_GetLastError(NULL));
	return 0;
}

/* Purges subject's messages before sequence `before`, or all but `keep`. */
static void purge(const char *subject, uint64_t before, uint64_t keep)
{
	jsErrCode jerr = 0;
	jsOptions o;

	jsOptions_Init(&o);
	o.Stream.Purge.Subject = subject;
	o.Stream.Purge.Sequence = before;
	o.Stream.Purge.Keep = keep;
	if (js_PurgeStream(C.js, C.cfg.stream, &o, &jerr) != NATS_OK)
		fw_cluster_note_error("purging %s before sequence %llu: %s (JetStream error %d)",
				      subject, (unsigned long long)before, nats_GetLastError(NULL),
				      (int)jerr);
}

void fw_cluster_snapshot_maybe_take(void)
{
	struct fw_error err = { 0 };
	struct snap_writer w = { 0 };
	struct snap_tail tail;
	uint64_t upto = C.applied.seq, begin, purged;
	json_t *programs = NULL, *p;
	int64_t start = fw_cluster_now_ms();
	size_t i;

	if (!C.cfg.snapshot_every || upto < C.snap_upto + C.cfg.snapshot_every)
		return;
	if (snap_tail_read(&tail))
		return;
	if (tail.complete && tail.upto > C.snap_upto)
		C.snap_upto = tail.upto;        /* another node took one meanwhile */
	if (upto < C.snap_upto + C.cfg.snapshot_every)
		return;
	snprintf(w.id, sizeof(w.id), "%s-%llu-%lld", C.cfg.node, (unsigned long long)upto,
		 (long long)start);
	w.last = tail.seq;
	purged = tail.complete ? tail.upto : 0;
	if (snap_publish(&w, json_pack("{s:s, s:s, s:s, s:I}", "op", "snap_begin", "id", w.id,
				       "node", C.cfg.node, "upto", (json_int_t)upto), &err))
		goto out;
	begin = w.last;
	programs = C.local->programs(C.local->ctx);
	json_array_foreach(programs, i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));

		if (!name)
			continue;
		if ((C.cfg.shared & (FW_SHARE_BLOCKLIST | FW_SHARE_CIDR_BLOCKLIST)) &&
		    snap_blocklist(&w, name, &err))
			goto out;
		if ((C.cfg.shared & FW_SHARE_ALLOWLIST) && snap_allowlist(&w, name, &err))
			goto out;
	}
	if (done_publish(json_pack("{s:s, s:s, s:I, s:I, s:I, s:I}", "op", "snap_done",
				   "id", w.id, "upto", (json_int_t)upto, "begin", (json_int_t)begin,
				   "chunks", (json_int_t)(w.messages - 1),
				   "purged", (json_int_t)purged), &err))
		goto out;
	if (purged)
		purge(C.subject, purged + 1, 0);
	purge(C.snap_subject, begin, 0);
	purge(C.done_subject, 0, 1);
	C.snap_upto = upto;
	fw_info("cluster: snapshot of sequence %llu: %zu entries in %zu messages, %lld ms; the changes up to %llu are purged from the stream",
		(unsigned long long)upto, w.entries, w.messages,
		(long long)(fw_cluster_now_ms() - start), (unsigned long long)purged);
out:
	if (err.code == -EEXIST)
		fw_info("cluster: another node is taking a snapshot; this one gives way");
	else if (err.code)
		fw_cluster_note_error("snapshot of sequence %llu: %s", (unsigned long long)upto,
				      err.msg);
	if (err.code)
		C.snap_upto = upto;             /* try again snapshot_every changes later */
	json_decref(programs);
	fw_error_clear(&err);
}

/* ---- loading one ------------------------------------------------------------ */

/* What the snapshot holds, to delete what this node holds beyond it: a set of
 * "program\naddress" and "map\nkey JSON" strings (a jansson object). */
static void keep_entries(json_t *keep, const char *where, json_t *entries, bool addresses)
{
	char buf[4096];
	json_t *e;
	size_t i;

	json_array_foreach(entries, i, e) {
		char *key = addresses ? NULL : json_dumps(json_object_get(e, "key"),
							  JSON_COMPACT | JSON_SORT_KEYS);
		const char *k = addresses ? json_string_value(json_array_get(e, 0)) : key;

		if (k) {
			snprintf(buf, sizeof(buf), "%s\n%s", where, k);
			json_object_set_new(keep, buf, json_true());
		}
		free(key);
	}
}

/* Deletes the shared entries of this node's blocklists and allowlists that
 * the snapshot does not hold. */
static int prune(json_t *keep, struct fw_error *err)
{
	json_t *programs = C.local->programs(C.local->ctx), *p;
	char buf[4096];
	size_t i;
	int ret = 0;

	json_array_foreach(programs, i, p) {
		const char *name = json_string_value(json_object_get(p, "name"));
		json_t *gone = json_array(), *gone_keys = json_array();
		char map[FW_NAME_MAX * 2 + 16], *cursor = NULL;

		if (!name)
			goto next;
		do {    /* the blocklist */
			struct fw_error e = { 0 };
			json_t *page = NULL, *item;
			const char *next;
			size_t j;

			if (C.local->blocklist_page(C.local->ctx, name, cursor, SNAP_PAGE, &page, &e)) {
				fw_error_clear(&e);
				break;
			}
			json_array_foreach(json_object_get(page, "entries"), j, item) {
				const char *a = json_string_value(json_object_get(item, "address"));

				snprintf(buf, sizeof(buf), "%s\n%s", name, a ?: "");
				if (a && fw_cluster_address_shared(a) && !json_object_get(keep, buf))
					json_array_append_new(gone, json_string(a));
			}
			next = json_string_value(json_object_get(page, "next_cursor"));
			free(cursor);
			cursor = next ? strdup(next) : NULL;
			json_decref(page);
		} while (cursor);
		free(cursor);
		cursor = NULL;
		snprintf(map, sizeof(map), "%s.allowlist", name);
		while (C.cfg.shared & FW_SHARE_ALLOWLIST) {
			struct fw_error e = { 0 };
			json_t *page = NULL, *item;
			const char *next;
			size_t j;

			if (C.local->map_data(C.local->ctx, map, cursor, 0, SNAP_PAGE, &page, &e)) {
				fw_error_clear(&e);
				break;
			}
			json_array_foreach(json_object_get(page, "entries"), j, item) {
				char *k = json_dumps(json_object_get(item, "key"),
						     JSON_COMPACT | JSON_SORT_KEYS);

				snprintf(buf, sizeof(buf), "%s\n%s", map, k ?: "");
				if (k && !json_object_get(keep, buf))
					json_array_append(gone_keys, json_object_get(item, "key"));
				free(k);
			}
			next = json_string_value(json_object_get(page, "next_cursor"));
			free(cursor);
			cursor = next ? strdup(next) : NULL;
			json_decref(page);
			if (!cursor)
				break;
		}
		free(cursor);
		if (json_array_size(gone) && (ret = fw_cluster_apply_del(name, gone, err)))
			goto next;
		if (json_array_size(gone_keys))
			ret = fw_cluster_apply_map_delete(map, gone_keys, err);
		if (json_array_size(gone) || json_array_size(gone_keys))
			fw_info("cluster: %s: %zu addresses and %zu allowlist entries were not in the snapshot: deleted",
				name, json_array_size(gone), json_array_size(gone_keys));
next:
		json_decref(gone);
		json_decref(gone_keys);
		if (ret)
			break;
	}
	json_decref(programs);
	return ret;
}

/* Applies one message of the snapshot; true at its end. */
static bool load_one(json_t *m, const struct snap_tail *tail, json_t *keep, uint64_t *messages,
		     struct fw_error *err)
{
	const char *op = json_string_value(json_object_get(m, "op"));
	const char *id = json_string_value(json_object_get(m, "id"));
	const char *program = json_string_value(json_object_get(m, "program"));
	const char *map = json_string_value(json_object_get(m, "map"));
	json_t *entries = json_object_get(m, "entries");

	if (!op || !id || strcmp(id, tail->id))
		return false;                   /* an abandoned snapshot's message */
	if (!strcmp(op, "snap_add") || !strcmp(op, "snap_map"))
		++*messages;
	if (!strcmp(op, "snap_add") && program) {
		fw_cluster_apply_add(program, entries, err);
		if (keep)
			keep_entries(keep, program, entries, true);
	} else if (!strcmp(op, "snap_map") && map) {
		C.local->map_update(C.local->ctx, map, entries, err);
		if (keep)
			keep_entries(keep, map, entries, false);
	}
	return *messages == tail->chunks;
}

/* Applies the snapshot whose snap_end is tail, read by sequence from its
 * snap_begin. A node that had applied changes before (its maps hold
 * something) also deletes what the snapshot lacks. */
static int load(const struct snap_tail *tail)
{
	struct fw_error err = { 0 };
	int64_t start = fw_cluster_now_ms();
	json_t *keep = C.applied.seq ? json_object() : NULL;
	uint64_t next = tail->begin, messages = 0;
	bool done = tail->chunks == 0;

	while (!done && !err.code && !fw_cluster_stopping()) {
		jsDirectGetMsgOptions o;
		natsMsg *msg = NULL;
		natsStatus s;
		json_t *m;

		jsDirectGetMsgOptions_Init(&o);
		o.Sequence = next;
		o.NextBySubject = C.snap_subject;
		s = js_DirectGetMsg(&msg, C.js, C.cfg.stream, NULL, &o);
		if (s != NATS_OK) {
			fw_error_set(&err, EIO, "reading it at sequence %llu: %s (%s)",
				     (unsigned long long)next, natsStatus_GetText(s),
				     nats_GetLastError(NULL));
			break;
		}
		next = natsMsg_GetSequence(msg) + 1;
		m = json_loadb(natsMsg_GetData(msg), natsMsg_GetDataLength(msg), 0, NULL);
		done = m && load_one(m, tail, keep, &messages, &err);
		json_decref(m);
		natsMsg_Destroy(msg);
	}
	if (done && !err.code && keep)
		prune(keep, &err);
	json_decref(keep);
	if (!done || err.code) {
		fw_cluster_note_error("loading the snapshot of sequence %llu: %s",
				      (unsigned long long)tail->upto,
				      err.code ? err.msg : "it ended early");
		fw_error_clear(&err);
		return -1;
	}
	pthread_mutex_lock(&C.lock);
	C.applied.seq = tail->upto;
	fw_cluster_seq_save();
	pthread_cond_broadcast(&C.applied_cond);
	pthread_mutex_unlock(&C.lock);
	C.snap_upto = tail->upto;
	fw_info("cluster: loaded the snapshot of sequence %llu (%llu messages) in %lld ms",
		(unsigned long long)tail->upto, (unsigned long long)messages,
		(long long)(fw_cluster_now_ms() - start));
	return 0;
}

int fw_cluster_snapshot_catch_up(void)
{
	struct snap_tail tail;

	if (snap_tail_read(&tail))
		return -1;
	if (tail.complete && tail.upto > C.snap_upto)
		C.snap_upto = tail.upto;
	if (!tail.complete || C.applied.seq >= tail.purged)
		return 0;                       /* the changes after ours are all there */
	fw_info("cluster: the changes after sequence %llu were compacted (up to %llu): loading the snapshot of sequence %llu",
		(unsigned long long)C.applied.seq, (unsigned long long)tail.purged,
		(unsigned long long)tail.upto);
	return load(&tail);
}
