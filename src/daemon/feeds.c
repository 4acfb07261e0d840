// SPDX-License-Identifier: MIT
/*
 * The daemon's feeds: each xdp program's `feed` blocks, re-read when their
 * file changes (checked every second), when their refresh interval is over,
 * or on request (POST .../feeds/reload). A program's feeds are swapped into
 * its feed_cidrs together (src/ebpf/feeds.c); a feed that fails to read or
 * parse keeps its previous version, and says why. The same thread runs the
 * automatic blocking check (top.c) once a second; it stops with the
 * backend (fw_daemon_feeds_stop joins it).
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "api/backend_rules.h"
#include "common/log.h"
#include "daemon/backend_internal.h"
#include "daemon/rules.h"
#include "ebpf/feeds.h"

struct feed_state {
	char program[FW_NAME_MAX];
	struct fw_feed_spec spec;
	int index;                      /* in its program's feed_cidrs */
	struct fw_feed_list list;       /* the version loaded */
	bool loaded;
	struct timespec mtime;          /* of the file that was read */
	time_t loaded_at;               /* wall clock */
	uint64_t next_refresh;          /* monotonic seconds */
	double load_ms;
	char last_error[1024];
};

static pthread_mutex_t feeds_lock = PTHREAD_MUTEX_INITIALIZER;
static struct feed_state *feeds;
static size_t n_feeds;
static pthread_t watcher;
static bool watcher_started;

static uint64_t mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec;
}

static double mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Writes every loaded feed of a program into its maps (lock held). */
static int push_program(const char *program, struct fw_error *err)
{
	const struct fw_feed_list *lists[FW_FEEDS_MAX] = { 0 };
	char root[sizeof(REG->root)];
	struct fw_feed_maps m;
	size_t n = 0;
	int ret;

	for (size_t i = 0; i < n_feeds; i++) {
		if (strcmp(feeds[i].program, program))
			continue;
		if (feeds[i].loaded)
			lists[feeds[i].index] = &feeds[i].list;
		if ((size_t)feeds[i].index + 1 > n)
			n = feeds[i].index + 1;
	}
	LOCK();
	memcpy(root, REG->root, sizeof(root));
	UNLOCK();
	ret = fw_feed_maps_open(&m, root, program, err);
	if (ret)
		return ret;
	ret = fw_feeds_apply(&m, lists, n, err);
	fw_feed_maps_close(&m);
	return ret;
}

/* Re-reads one feed (lock held); true when its version changed. */
static bool reload_one(struct feed_state *f)
{
	struct fw_error err = { 0 };
	struct fw_feed_list fresh;
	struct stat st;
	double start = mono_ms();

	f->next_refresh = f->spec.refresh_s ? mono_s() + f->spec.refresh_s : 0;
	if (fw_feed_read(f->spec.file, &fresh, &err)) {
		snprintf(f->last_error, sizeof(f->last_error), "%s", err.msg);
		fw_err_log("feed %s of %s: %s", f->spec.name, f->program, err.msg);
		fw_error_clear(&err);
		if (!stat(f->spec.file, &st))
			f->mtime = st.st_mtim; /* do not retry until it changes again */
		return false;
	}
	if (!stat(f->spec.file, &st))
		f->mtime = st.st_mtim;
	fw_feed_list_free(&f->list);
	f->list = fresh;
	f->loaded = true;
	f->loaded_at = time(NULL);
	f->load_ms = mono_ms() - start;
	f->last_error[0] = '\0';
	fw_info("feed %s of %s: %zu prefixes from %zu entries (%zu bad lines) in %.1f ms",
		f->spec.name, f->program, f->list.n, f->list.entries, f->list.bad, f->load_ms);
	return true;
}

static bool file_changed(const struct feed_state *f)
{
	struct stat st;

	if (stat(f->spec.file, &st))
		return false;
	return st.st_mtim.tv_sec != f->mtime.tv_sec || st.st_mtim.tv_nsec != f->mtime.tv_nsec;
}

/* Reloads the feeds of program (all, or those due) and pushes them. */
static void reload_program(const char *program, bool all)
{
	struct fw_error err = { 0 };
	bool changed = false;
	uint64_t now = mono_s();

	for (size_t i = 0; i < n_feeds; i++) {
		struct feed_state *f = &feeds[i];

		if (strcmp(f->program, program))
			continue;
		if (all || file_changed(f) || (f->next_refresh && now >= f->next_refresh))
			changed |= reload_one(f);
	}
	if (changed && push_program(program, &err)) {
		fw_err_log("feeds of %s: %s", program, err.msg);
		fw_error_clear(&err);
	}
}

static void *watch(void *arg)
{
	(void)arg;
	while (!fw_backend_stopping()) {
		for (int i = 0; i < 10 && !fw_backend_stopping(); i++)
			usleep(100 * 1000);
		if (fw_backend_stopping())
			break;
		pthread_mutex_lock(&feeds_lock);
		for (size_t i = 0; i < n_feeds; i++)
			if (i == 0 || strcmp(feeds[i].program, feeds[i - 1].program))
				reload_program(feeds[i].program, false);
		pthread_mutex_unlock(&feeds_lock);
		fw_daemon_auto_block_tick();
	}
	return NULL;
}

void fw_daemon_feeds_configure(const struct fw_prog_spec *progs, size_t n)
{
	pthread_mutex_lock(&feeds_lock);
	for (size_t i = 0; i < n_feeds; i++)
		fw_feed_list_free(&feeds[i].list);
	free(feeds);
	feeds = NULL;
	n_feeds = 0;
	for (size_t p = 0; p < n; p++) {
		struct feed_state *more;

		if (!progs[p].n_feeds)
			continue;
		more = realloc(feeds, (n_feeds + progs[p].n_feeds) * sizeof(*more));
		if (!more)
			break;
		feeds = more;
		for (size_t i = 0; i < progs[p].n_feeds; i++) {
			struct feed_state *f = &feeds[n_feeds++];

			memset(f, 0, sizeof(*f));
			snprintf(f->program, sizeof(f->program), "%s", progs[p].name);
			f->spec = progs[p].feeds[i];
			f->index = i;
		}
		reload_program(progs[p].name, true);
	}
	pthread_mutex_unlock(&feeds_lock);
}

static bool program_has_feeds(const char *program)
{
	for (size_t i = 0; i < n_feeds; i++)
		if (!strcmp(feeds[i].program, program))
			return true;
	return false;
}

static json_t *feed_json(const struct feed_state *f, const struct fw_feed_maps *m)
{
	json_t *errors = json_array();
	char when[32] = "";
	struct tm tm;

	for (size_t i = 0; i < f->list.bad && i < FW_FEED_ERRORS_KEPT; i++)
		json_array_append_new(errors, json_pack("{s:I, s:s}", "line",
							(json_int_t)f->list.errors[i].line,
							"error", f->list.errors[i].text));
	if (f->loaded && gmtime_r(&f->loaded_at, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	return json_pack("{s:s, s:s, s:I, s:b, s:I, s:I, s:I, s:I, s:o, s:s?, s:f, s:I, s:s?}",
			 "name", f->spec.name, "file", f->spec.file,
			 "refresh_s", (json_int_t)f->spec.refresh_s, "loaded", f->loaded,
			 "prefixes", (json_int_t)f->list.n, "entries", (json_int_t)f->list.entries,
			 "lines", (json_int_t)f->list.lines, "bad_lines", (json_int_t)f->list.bad,
			 "errors", errors, "loaded_at", f->loaded ? when : NULL,
			 "load_ms", f->load_ms,
			 "hits", (json_int_t)(m ? fw_feed_hits(m, f->index) : 0),
			 "last_error", f->last_error[0] ? f->last_error : NULL);
}

int fw_backend_feeds_list(const char *program, json_t **out, struct fw_error *err)
{
	char root[sizeof(REG->root)];
	struct fw_feed_maps m;
	bool have_maps;
	json_t *list = json_array();

	LOCK();
	if (!fw_registry_find(REG, program)) {
		UNLOCK();
		json_decref(list);
		return fw_error_set(err, ENOENT, "no program named \"%s\"", program);
	}
	memcpy(root, REG->root, sizeof(root));
	UNLOCK();
	have_maps = fw_feed_maps_open(&m, root, program, err) == 0;
	fw_error_clear(err);
	pthread_mutex_lock(&feeds_lock);
	for (size_t i = 0; i < n_feeds; i++)
		if (!strcmp(feeds[i].program, program))
			json_array_append_new(list, feed_json(&feeds[i], have_maps ? &m : NULL));
	pthread_mutex_unlock(&feeds_lock);
	if (have_maps)
		fw_feed_maps_close(&m);
	*out = json_pack("{s:s, s:I, s:o}", "program", program,
			 "count", (json_int_t)json_array_size(list), "feeds", list);
	return 0;
}

int fw_backend_feeds_reload(const char *program, json_t **out, struct fw_error *err)
{
	bool has;

	pthread_mutex_lock(&feeds_lock);
	has = program_has_feeds(program);
	if (has)
		reload_program(program, true);
	pthread_mutex_unlock(&feeds_lock);
	if (!has)
		return fw_error_set(err, ENOENT, "program %s has no feeds (feed blocks in its xdp block)",
				    program);
	return fw_backend_feeds_list(program, out, err);
}

int fw_daemon_feeds_start(void)
{
	if (watcher_started)
		return 0;
	if (pthread_create(&watcher, NULL, watch, NULL))
		return -EAGAIN;
	watcher_started = true;
	return 0;
}

void fw_daemon_feeds_stop(void)
{
	if (!watcher_started)
		return;
	fw_backend_stop(); /* the watcher ends when the backend stops */
	pthread_join(watcher, NULL);
	watcher_started = false;
}
