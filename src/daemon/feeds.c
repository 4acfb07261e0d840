// SPDX-License-Identifier: MIT
/*
 * The daemon's feeds: each xdp program's `feed` blocks, re-read when their
 * file changes (checked every second), when their refresh interval is over,
 * or on request (POST .../feeds/reload). A program's feeds are swapped into
 * its feed_cidrs together (src/ebpf/feeds.c); a feed that fails to read or
 * parse keeps its previous version, and says why. The checks run in the
 * rules extension's tick (rules.c), on the housekeeping thread. The state
 * is the daemon's (d->rules); d->rules.feeds_lock guards it, and a file is
 * read under it only, never under the daemon lock.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "common/log.h"
#include "daemon/backend_internal.h"
#include "daemon/rules.h"
#include "ebpf/feeds.h"

struct fw_feed_state {
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

/* The pin root, copied under the daemon lock before feeds_lock is taken
 * (the daemon lock first; neither is held while waiting for the other). */
static void pin_root(struct fw_daemon *d, char root[FW_PATH_MAX])
{
	fw_daemon_lock(d);
	snprintf(root, FW_PATH_MAX, "%s", d->reg.root);
	fw_daemon_unlock(d);
}

/* Writes every loaded feed of a program into its maps (feeds_lock held). */
static int push_program(struct fw_daemon *d, const char *root, const char *program,
			struct fw_error *err)
{
	const struct fw_feed_list *lists[FW_FEEDS_MAX] = { 0 };
	const struct fw_feed_state *feeds = d->rules.feeds;
	struct fw_feed_maps m;
	size_t n = 0;
	int ret;

	for (size_t i = 0; i < d->rules.n_feeds; i++) {
		if (strcmp(feeds[i].program, program))
			continue;
		if (feeds[i].loaded)
			lists[feeds[i].index] = &feeds[i].list;
		if ((size_t)feeds[i].index + 1 > n)
			n = feeds[i].index + 1;
	}
	ret = fw_feed_maps_open(&m, root, program, err);
	if (ret)
		return ret;
	ret = fw_feeds_apply(&m, lists, n, err);
	fw_feed_maps_close(&m);
	return ret;
}

/* Re-reads one feed (lock held); true when its version changed. */
static bool reload_one(struct fw_feed_state *f)
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

static bool file_changed(const struct fw_feed_state *f)
{
	struct stat st;

	if (stat(f->spec.file, &st))
		return false;
	return st.st_mtim.tv_sec != f->mtime.tv_sec || st.st_mtim.tv_nsec != f->mtime.tv_nsec;
}

/* Reloads the feeds of program (all, or those due) and pushes them. */
static void reload_program(struct fw_daemon *d, const char *root, const char *program,
			   bool all)
{
	struct fw_error err = { 0 };
	bool changed = false;
	uint64_t now = mono_s();

	for (size_t i = 0; i < d->rules.n_feeds; i++) {
		struct fw_feed_state *f = &d->rules.feeds[i];

		if (strcmp(f->program, program))
			continue;
		if (all || file_changed(f) || (f->next_refresh && now >= f->next_refresh))
			changed |= reload_one(f);
	}
	if (changed && push_program(d, root, program, &err)) {
		fw_err_log("feeds of %s: %s", program, err.msg);
		fw_error_clear(&err);
	}
}

void fw_feeds_tick(struct fw_daemon *d)
{
	const struct fw_feed_state *feeds;
	char root[FW_PATH_MAX];

	pin_root(d, root);
	pthread_mutex_lock(&d->rules.feeds_lock);
	feeds = d->rules.feeds;
	for (size_t i = 0; i < d->rules.n_feeds && !fw_backend_stopping(d); i++)
		if (i == 0 || strcmp(feeds[i].program, feeds[i - 1].program))
			reload_program(d, root, feeds[i].program, false);
	pthread_mutex_unlock(&d->rules.feeds_lock);
}

static void free_feeds(struct fw_daemon *d)
{
	for (size_t i = 0; i < d->rules.n_feeds; i++)
		fw_feed_list_free(&d->rules.feeds[i].list);
	free(d->rules.feeds);
	d->rules.feeds = NULL;
	d->rules.n_feeds = 0;
}

void fw_feeds_free(struct fw_daemon *d)
{
	pthread_mutex_lock(&d->rules.feeds_lock);
	free_feeds(d);
	pthread_mutex_unlock(&d->rules.feeds_lock);
}

/* The configuration in force's feed blocks (d->cfg: only the main thread,
 * which calls this, replaces it). */
void fw_feeds_configure(struct fw_daemon *d)
{
	const struct fw_prog_spec *progs = d->cfg.ebpf.progs;
	size_t n = d->cfg.ebpf.n_progs;
	char root[FW_PATH_MAX];

	pin_root(d, root);
	pthread_mutex_lock(&d->rules.feeds_lock);
	free_feeds(d);
	for (size_t p = 0; p < n; p++) {
		struct fw_feed_state *more;

		if (!progs[p].n_feeds)
			continue;
		more = realloc(d->rules.feeds,
			       (d->rules.n_feeds + progs[p].n_feeds) * sizeof(*more));
		if (!more)
			break;
		d->rules.feeds = more;
		for (size_t i = 0; i < progs[p].n_feeds; i++) {
			struct fw_feed_state *f = &d->rules.feeds[d->rules.n_feeds++];

			memset(f, 0, sizeof(*f));
			snprintf(f->program, sizeof(f->program), "%s", progs[p].name);
			f->spec = progs[p].feeds[i];
			f->index = i;
		}
		reload_program(d, root, progs[p].name, true);
	}
	pthread_mutex_unlock(&d->rules.feeds_lock);
}

static bool program_has_feeds(const struct fw_daemon *d, const char *program)
{
	for (size_t i = 0; i < d->rules.n_feeds; i++)
		if (!strcmp(d->rules.feeds[i].program, program))
			return true;
	return false;
}

static json_t *feed_json(const struct fw_feed_state *f, const struct fw_feed_maps *m)
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

int fw_feeds_list(void *ctx, const char *program, json_t **out, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	char root[sizeof(d->reg.root)];
	struct fw_feed_maps m;
	bool have_maps;
	json_t *list = json_array();

	fw_daemon_lock(d);
	if (!fw_registry_find(&d->reg, program)) {
		fw_daemon_unlock(d);
		json_decref(list);
		return fw_error_set(err, ENOENT, "no program named \"%s\"", program);
	}
	memcpy(root, d->reg.root, sizeof(root));
	fw_daemon_unlock(d);
	have_maps = fw_feed_maps_open(&m, root, program, err) == 0;
	fw_error_clear(err);
	pthread_mutex_lock(&d->rules.feeds_lock);
	for (size_t i = 0; i < d->rules.n_feeds; i++)
		if (!strcmp(d->rules.feeds[i].program, program))
			json_array_append_new(list, feed_json(&d->rules.feeds[i],
							      have_maps ? &m : NULL));
	pthread_mutex_unlock(&d->rules.feeds_lock);
	if (have_maps)
		fw_feed_maps_close(&m);
	*out = json_pack("{s:s, s:I, s:o}", "program", program,
			 "count", (json_int_t)json_array_size(list), "feeds", list);
	return 0;
}

int fw_feeds_reload(void *ctx, const char *program, json_t **out, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	char root[FW_PATH_MAX];
	bool has;

	pin_root(d, root);
	pthread_mutex_lock(&d->rules.feeds_lock);
	has = program_has_feeds(d, program);
	if (has)
		reload_program(d, root, program, true);
	pthread_mutex_unlock(&d->rules.feeds_lock);
	if (!has)
		return fw_error_set(err, ENOENT, "program %s has no feeds (feed blocks in its xdp block)",
				    program);
	return fw_feeds_list(d, program, out, err);
}
