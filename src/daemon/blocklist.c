// SPDX-License-Identifier: MIT
/*
 * The ddos_filter blocklist resource: addresses and CIDRs added and removed
 * in bulk, all or nothing, with optional expiry. Exact addresses go to the
 * program's `blocklist` hash, prefixes to its `cidr_blocklist` trie; IPv4 is
 * stored IPv4-mapped (include/flywall/ddos.h). The program ignores expired
 * entries; the daemon's housekeeping thread deletes them.
 *
 * For each program the daemon keeps, beside the maps (rebuilt from them when
 * it first touches a program, or when the maps were replaced): the number of
 * entries of each map, so `blocklist_size` and the stats need no walk, and a
 * min-heap of the entries that expire, so expiry costs what expires. Writes
 * go in batches (BPF_NOEXIST first: a new address costs no lookup; one that
 * is there already is looked up, overwritten, and its old value kept to undo).
 * One mutex (the daemon's blocklist.lock) covers these states; it is held for one chunk of work
 * at a time (at most FW_MAP_BATCH entries), never while waiting for a client.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/backend.h"
#include "common/log.h"
#include "daemon/backend_internal.h"
#include "daemon/program_ext.h"
#include "ebpf/args.h"
#include "ebpf/maps.h"
#include "flywall/ddos.h"

struct bl_maps {
	int exact_fd;   /* blocklist */
	int cidr_fd;    /* cidr_blocklist */
};

struct bl_entry {
	bool cidr;
	struct fw_lpm_key key;  /* exact entries use key.addr only */
	struct fw_list_entry value;
};

static uint64_t monotonic_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int open_pinned(const struct fw_daemon *d, const char *program, const char *map)
{
	char path[FW_PATH_MAX];

	fw_pins_map_path(d->reg.root, program, map, path);
	return bpf_obj_get(path);
}

/*
 * Tells the program's per-CPU verdict cache that `blocklist` changed: a new
 * value in its `blocklist_generation` (include/flywall/ddos.h), after the
 * write. Any value never written before will do: the clock, or one past the
 * last when two writers read the same time; it stays ahead of an earlier
 * daemon's values too. An object without the map has no cache.
 */
static void blocklist_changed(struct fw_daemon *d, const char *program)
{
	_Atomic uint64_t *last = &d->blocklist.generation;
	uint64_t prev = atomic_load(last), next;
	int fd = open_pinned(d, program, "blocklist_generation");
	__u32 zero = 0;

	if (fd < 0)
		return;
	do {
		next = monotonic_ns();
		if (next <= prev)
			next = prev + 1;
	} while (!atomic_compare_exchange_weak(last, &prev, next));
	if (bpf_map_update_elem(fd, &zero, &next, BPF_ANY))
		fw_warn("blocklist of %s: could not announce a change: %s", program, strerror(errno));
	close(fd);
}

static int bl_open(struct fw_daemon *d, const char *program, struct bl_maps *m,
		   struct fw_error *err)
{
	if (!fw_registry_find(&d->reg, program))
		return fw_error_set(err, ENOENT, "no program named \"%s\"", program);
	m->exact_fd = open_pinned(d, program, "blocklist");
	m->cidr_fd = open_pinned(d, program, "cidr_blocklist");
	if (m->exact_fd < 0 || m->cidr_fd < 0) {
		if (m->exact_fd >= 0)
			close(m->exact_fd);
		if (m->cidr_fd >= 0)
			close(m->cidr_fd);
		return fw_error_set(err, EINVAL,
				    "program %s has no blocklist and cidr_blocklist maps (is it a ddos_filter?)",
				    program);
	}
	return 0;
}

static void bl_close(struct bl_maps *m)
{
	close(m->exact_fd);
	close(m->cidr_fd);
}

/* "a.b.c.d[/n]" or "v6[/n]" into an IPv4-mapped key; a full-length prefix
 * is an exact address. */
static int parse_address(const char *text, struct bl_entry *e, const char *what,
			 struct fw_error *err)
{
	char buf[64], *slash, *end;
	struct in_addr v4;
	long prefix = -1;
	int max;

	memset(e, 0, sizeof(*e));
	if (strlen(text) >= sizeof(buf))
		return fw_error_set(err, EINVAL, "%s: \"%.60s…\" is not an IP address or CIDR", what, text);
	strcpy(buf, text);
	slash = strchr(buf, '/');
	if (slash) {
		*slash = '\0';
		errno = 0;
		prefix = strtol(slash + 1, &end, 10);
		if (errno || *end || end == slash + 1 || prefix < 0)
			return fw_error_set(err, EINVAL, "%s: \"%s\" has a bad prefix length", what, text);
	}
	if (inet_pton(AF_INET, buf, &v4) == 1) {
		max = 32;
		e->key.addr[10] = e->key.addr[11] = 0xff;
		memcpy(&e->key.addr[12], &v4, 4);
	} else if (inet_pton(AF_INET6, buf, e->key.addr) == 1) {
		max = 128;
	} else {
		return fw_error_set(err, EINVAL, "%s: \"%s\" is not an IP address or CIDR", what, text);
	}
	if (prefix > max)
		return fw_error_set(err, EINVAL, "%s: \"%s\": prefix longer than %d", what, text, max);
	if (prefix < 0)
		prefix = max;
	e->cidr = prefix < max;
	e->key.prefixlen = prefix + (max == 32 ? 96 : 0);
	return 0;
}


static const void *bl_key(const struct bl_entry *e)
{
	return e->cidr ? (const void *)&e->key : (const void *)e->key.addr;
}

/* ---- what the daemon keeps per program ---------------------------------- */

/*
 * The keys in a map, as 64-bit fingerprints in an open-addressing table
 * (0 empty, 1 deleted): 16 bytes per key at most. It tells a new key from
 * one that is there without a syscall, so new keys go in kernel batches;
 * a key whose fingerprint is present is looked up in the map (a duplicate,
 * or a rare collision). A multiset: two keys that share a fingerprint hold
 * a slot each. Its size is the map's entry count.
 */
struct keyset {
	uint64_t *slots;
	size_t cap, used;               /* used counts deleted slots too */
	long live;
};

static uint64_t key_fp(const void *key, size_t size)
{
	const unsigned char *p = key;
	uint64_t h = 0x9e3779b97f4a7c15ull ^ size;

	for (size_t i = 0; i < size; i += 8) {
		uint64_t w = 0;

		memcpy(&w, p + i, size - i < 8 ? size - i : 8);
		h = (h ^ w) * 0xff51afd7ed558ccdull;
		h ^= h >> 32;
	}
	h = (h ^ (h >> 29)) * 0xc4ceb9fe1a85ec53ull;
	h ^= h >> 32;
	return h < 2 ? h + 2 : h;
}

static bool keyset_has(const struct keyset *s, uint64_t fp)
{
	for (size_t i = fp & (s->cap - 1); s->cap && s->slots[i]; i = (i + 1) & (s->cap - 1))
		if (s->slots[i] == fp)
			return true;
	return false;
}

static void keyset_put(struct keyset *s, uint64_t fp)
{
	size_t i = fp & (s->cap - 1);

	while (s->slots[i] > 1)
		i = (i + 1) & (s->cap - 1);
	if (!s->slots[i])
		s->used++;
	s->slots[i] = fp;
	s->live++;
}

static int keyset_add(struct keyset *s, uint64_t fp)
{
	/* At most 70 % full (deleted slots count), at most 50 % after a rehash. */
	if ((s->used + 1) * 10 > s->cap * 7) {
		struct keyset bigger = { 0 };
		size_t cap = 1024;

		while ((size_t)(s->live + 1) * 2 > cap)
			cap *= 2;
		bigger.slots = calloc(cap, sizeof(uint64_t));
		if (!bigger.slots)
			return -ENOMEM;
		bigger.cap = cap;
		for (size_t i = 0; i < s->cap; i++)
			if (s->slots[i] > 1)
				keyset_put(&bigger, s->slots[i]);
		free(s->slots);
		*s = bigger;
	}
	keyset_put(s, fp);
	return 0;
}

static void keyset_del(struct keyset *s, uint64_t fp)
{
	for (size_t i = fp & (s->cap - 1); s->cap && s->slots[i]; i = (i + 1) & (s->cap - 1))
		if (s->slots[i] == fp) {
			s->slots[i] = 1;
			s->live--;
			return;
		}
}

static void keyset_clear(struct keyset *s)
{
	free(s->slots);
	memset(s, 0, sizeof(*s));
}

struct expiring {
	__u64 at;                       /* the entry's expires_ns when pushed */
	struct fw_lpm_key key;
	bool cidr;
};

struct bl_state {
	char program[FW_NAME_MAX];
	__u32 exact_id, cidr_id;        /* the maps this state describes */
	struct keyset exact, cidr;      /* the keys of each map */
	struct expiring *heap;          /* min-heap by at; may hold stale items */
	size_t heap_n, heap_cap;
	struct bl_state *next;
};


static void heap_swap(struct expiring *h, size_t a, size_t b)
{
	struct expiring t = h[a];

	h[a] = h[b];
	h[b] = t;
}

static int heap_push(struct bl_state *s, const struct bl_entry *e)
{
	size_t i;

	if (s->heap_n == s->heap_cap) {
		size_t cap = s->heap_cap ? s->heap_cap * 2 : 1024;
		struct expiring *h = realloc(s->heap, cap * sizeof(*h));

		if (!h)
			return -ENOMEM;
		s->heap = h;
		s->heap_cap = cap;
	}
	i = s->heap_n++;
	s->heap[i] = (struct expiring){ e->value.expires_ns, e->key, e->cidr };
	while (i && s->heap[(i - 1) / 2].at > s->heap[i].at) {
		heap_swap(s->heap, i, (i - 1) / 2);
		i = (i - 1) / 2;
	}
	return 0;
}

static struct expiring heap_pop(struct bl_state *s)
{
	struct expiring top = s->heap[0];
	size_t i = 0;

	s->heap[0] = s->heap[--s->heap_n];
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, min = i;

		if (l < s->heap_n && s->heap[l].at < s->heap[min].at)
			min = l;
		if (r < s->heap_n && s->heap[r].at < s->heap[min].at)
			min = r;
		if (min == i)
			break;
		heap_swap(s->heap, i, min);
		i = min;
	}
	return top;
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(fd, &info, &len) ? 0 : info.id;
}

struct rebuild_ctx {
	struct bl_state *s;
	bool cidr;
	int error;
};

static bool rebuild_batch(const void *keys, const void *values, size_t n, void *data)
{
	struct rebuild_ctx *ctx = data;
	const struct fw_list_entry *v = values;
	size_t key_size = ctx->cidr ? sizeof(struct fw_lpm_key) : sizeof(struct fw_addr);

	for (size_t i = 0; i < n && !ctx->error; i++) {
		struct bl_entry e = { .cidr = ctx->cidr, .value = v[i] };
		const char *key = (const char *)keys + i * key_size;

		ctx->error = keyset_add(ctx->cidr ? &ctx->s->cidr : &ctx->s->exact,
					key_fp(key, key_size));
		if (ctx->error || !v[i].expires_ns)
			continue;
		if (ctx->cidr)
			memcpy(&e.key, key, sizeof(e.key));
		else
			memcpy(e.key.addr, key, 16);
		ctx->error = heap_push(ctx->s, &e);
	}
	return !ctx->error;
}

/* Counts both maps and indexes what expires: once per program and maps. */
static int state_rebuild(struct bl_state *s, const struct bl_maps *m)
{
	struct rebuild_ctx exact = { s, false }, cidr = { s, true };
	char cursor[FW_MAP_CURSOR_MAX] = "";
	int ret;

	s->heap_n = 0;
	keyset_clear(&s->exact);
	keyset_clear(&s->cidr);
	ret = fw_map_read_from(m->exact_fd, sizeof(struct fw_addr), sizeof(struct fw_list_entry),
			       FW_MAP_BATCH, cursor, rebuild_batch, &exact);
	cursor[0] = '\0';
	if (!ret && !exact.error)
		ret = fw_map_read_from(m->cidr_fd, sizeof(struct fw_lpm_key),
				       sizeof(struct fw_list_entry), FW_MAP_BATCH, cursor,
				       rebuild_batch, &cidr);
	if (ret || exact.error || cidr.error) {
		s->exact_id = s->cidr_id = 0;   /* rebuilt again next time */
		return ret ? ret : -ENOMEM;
	}
	s->exact_id = map_id(m->exact_fd);
	s->cidr_id = map_id(m->cidr_fd);
	fw_debug("blocklist of %s: %ld addresses, %ld CIDRs, %zu expiring", s->program,
		 s->exact.live, s->cidr.live, s->heap_n);
	return 0;
}

/* The state of program's maps, rebuilt if they are not the ones it
 * describes. k->lock held. */
static struct bl_state *state_get(struct fw_blocklist_kept *k, const char *program,
				  const struct bl_maps *m, struct fw_error *err)
{
	struct bl_state *s;

	for (s = k->states; s; s = s->next)
		if (!strcmp(s->program, program))
			break;
	if (!s) {
		s = calloc(1, sizeof(*s));
		if (!s) {
			fw_error_set(err, ENOMEM, "out of memory");
			return NULL;
		}
		snprintf(s->program, sizeof(s->program), "%s", program);
		s->next = k->states;
		k->states = s;
	}
	if (s->exact_id && s->exact_id == map_id(m->exact_fd) && s->cidr_id == map_id(m->cidr_fd))
		return s;
	if (state_rebuild(s, m)) {
		fw_error_set(err, EIO, "reading the blocklist of %s: %s", program, strerror(errno));
		return NULL;
	}
	return s;
}

static void state_forget_others(struct fw_blocklist_kept *k, char (*keep)[FW_NAME_MAX],
				size_t n)
{
	for (struct bl_state **p = &k->states; *p;) {
		struct bl_state *s = *p;
		bool kept = false;

		for (size_t i = 0; i < n && !kept; i++)
			kept = !strcmp(keep[i], s->program);
		if (kept) {
			p = &s->next;
			continue;
		}
		*p = s->next;
		free(s->heap);
		keyset_clear(&s->exact);
		keyset_clear(&s->cidr);
		free(s);
	}
}

/* The maps were written behind the blocklist's back (map data): recounts
 * them before it returns. */
static void invalidate(struct fw_daemon *d, const char *program)
{
	struct bl_maps m = { open_pinned(d, program, "blocklist"),
			     open_pinned(d, program, "cidr_blocklist") };

	pthread_mutex_lock(&d->blocklist.lock);
	for (struct bl_state *s = d->blocklist.states; s; s = s->next)
		if (!strcmp(s->program, program))
			s->exact_id = s->cidr_id = 0;
	/* Recounted now, by the writer: a count read right after the write
	 * is exact (the rebuild costs ~0.3 s per million entries). */
	if (m.exact_fd >= 0 && m.cidr_fd >= 0)
		state_get(&d->blocklist, program, &m, NULL);
	pthread_mutex_unlock(&d->blocklist.lock);
	blocklist_changed(d, program);
	if (m.exact_fd >= 0)
		close(m.exact_fd);
	if (m.cidr_fd >= 0)
		close(m.cidr_fd);
}

/* The kept entry count of a program's blocklist or cidr_blocklist map with
 * this id; false when the daemon keeps none for it. */
static bool kept_count(struct fw_daemon *d, const char *program, const char *map, __u32 id,
		       long *n)
{
	bool known = false;

	pthread_mutex_lock(&d->blocklist.lock);
	for (struct bl_state *s = d->blocklist.states; s && !known; s = s->next) {
		if (strcmp(s->program, program))
			continue;
		if (!strcmp(map, "blocklist") && s->exact_id == id && id) {
			*n = s->exact.live;
			known = true;
		} else if (!strcmp(map, "cidr_blocklist") && s->cidr_id == id && id) {
			*n = s->cidr.live;
			known = true;
		}
	}
	pthread_mutex_unlock(&d->blocklist.lock);
	return known;
}

/* ---- adding: a batch in parts, undone as a whole ------------------------- */

/* What a batch changed, to undo it: the keys it created, and the old values
 * of those it overwrote. */
struct undo_log {
	struct fw_addr *created;        /* in blocklist */
	size_t n_created, cap_created;
	struct fw_lpm_key *created_cidr; /* in cidr_blocklist */
	size_t n_created_cidr, cap_created_cidr;
	struct bl_entry *overwritten;   /* key and the value before */
	size_t n_overwritten, cap_overwritten;
};

struct fw_blocklist_batch {
	char program[FW_NAME_MAX];
	struct bl_maps m;
	json_int_t limit;               /* blocklist_size, 0: none */
	bool lines;                     /* items are numbered by line */
	long added, duplicates;
	long exact_before;              /* addresses before the batch; -1 unknown */
	struct undo_log undo;
	bool failed;
};

static int grow(void **array, size_t *cap, size_t need, size_t size)
{
	void *p;
	size_t cap2;

	if (need <= *cap)
		return 0;
	cap2 = *cap ? *cap * 2 : 4096;
	while (cap2 < need)
		cap2 *= 2;
	p = realloc(*array, cap2 * size);
	if (!p)
		return -ENOMEM;
	*array = p;
	*cap = cap2;
	return 0;
}

static int log_created(struct undo_log *u, bool cidr, const void *keys, size_t n)
{
	if (!n)
		return 0;
	if (cidr) {
		if (grow((void **)&u->created_cidr, &u->cap_created_cidr, u->n_created_cidr + n,
			 sizeof(*u->created_cidr)))
			return -ENOMEM;
		memcpy(u->created_cidr + u->n_created_cidr, keys, n * sizeof(*u->created_cidr));
		u->n_created_cidr += n;
	} else {
		if (grow((void **)&u->created, &u->cap_created, u->n_created + n,
			 sizeof(*u->created)))
			return -ENOMEM;
		memcpy(u->created + u->n_created, keys, n * sizeof(*u->created));
		u->n_created += n;
	}
	return 0;
}

static int log_overwritten(struct undo_log *u, const struct bl_entry *e,
			   const struct fw_list_entry *old)
{
	if (grow((void **)&u->overwritten, &u->cap_overwritten, u->n_overwritten + 1,
		 sizeof(*u->overwritten)))
		return -ENOMEM;
	u->overwritten[u->n_overwritten] = *e;
	u->overwritten[u->n_overwritten++].value = *old;
	return 0;
}

static void undo_free(struct undo_log *u)
{
	free(u->created);
	free(u->created_cidr);
	free(u->overwritten);
	memset(u, 0, sizeof(*u));
}

/* Puts back what the batch changed: old values first (in reverse, so an
 * address given twice gets its first old value), then the new keys go. */
static void undo_apply(struct fw_blocklist_batch *b, struct bl_state *s)
{
	struct undo_log *u = &b->undo;

	for (size_t i = u->n_overwritten; i-- > 0;) {
		struct bl_entry *e = &u->overwritten[i];

		if (bpf_map_update_elem(e->cidr ? b->m.cidr_fd : b->m.exact_fd, bl_key(e), &e->value,
					BPF_ANY))
			fw_warn("blocklist of %s: could not restore an entry: %s", b->program,
				strerror(errno));
		else if (e->value.expires_ns && s)
			heap_push(s, e);
	}
	for (int cidr = 0; cidr < 2; cidr++) {
		size_t key_size = cidr ? sizeof(struct fw_lpm_key) : sizeof(struct fw_addr);
		const char *keys = cidr ? (const char *)u->created_cidr : (const char *)u->created;
		size_t n = cidr ? u->n_created_cidr : u->n_created, deleted = 0;

		fw_map_delete_many(cidr ? b->m.cidr_fd : b->m.exact_fd, keys, key_size, n, &deleted);
		for (size_t i = 0; s && i < n; i++)
			keyset_del(cidr ? &s->cidr : &s->exact, key_fp(keys + i * key_size, key_size));
	}
	undo_free(u);
}

/* The program's `blocklist_size` arg: how many exact entries user space may
 * keep in `blocklist` (docs/programs.md). 0 when the program has none.
 * Registry lock held. */
static json_int_t blocklist_limit(struct fw_daemon *d, const char *program)
{
	struct fw_program *p = fw_registry_find(&d->reg, program);
	json_t *args = p ? fw_args_read_running(p->prog_fd) : NULL;
	json_int_t limit = json_integer_value(json_object_get(args, "blocklist_size"));

	json_decref(args);
	return limit;
}

int fw_blocklist_begin(void *ctx, const char *program, bool lines, struct fw_blocklist_batch **out,
		       struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct fw_blocklist_batch *b = calloc(1, sizeof(*b));
	int ret;

	if (!b)
		return fw_error_set(err, ENOMEM, "out of memory");
	snprintf(b->program, sizeof(b->program), "%s", program);
	b->lines = lines;
	b->exact_before = -1;
	fw_daemon_lock(d);
	ret = bl_open(d, program, &b->m, err);
	if (!ret)
		b->limit = blocklist_limit(d, program);
	fw_daemon_unlock(d);
	if (ret) {
		free(b);
		return ret;
	}
	*out = b;
	return 0;
}

static const char *item_where(const struct fw_blocklist_batch *b, size_t index, char *buf,
			      size_t size)
{
	snprintf(buf, size, b->lines ? "line %zu" : "entries[%zu]", index);
	return buf;
}

/* Entries of one map waiting for a batch write. */
struct pending {
	char *keys;
	struct fw_list_entry *values;
	size_t *at;                     /* index into the chunk */
	size_t n;
};

/* Writes the pending entries in kernel batches and logs them as created.
 * On a refusal, the ones not written leave the key set again. */
static int flush_new(struct fw_blocklist_batch *b, struct keyset *set, bool cidr,
		     struct pending *p, const size_t *index, size_t *failed_at)
{
	size_t key_size = cidr ? sizeof(struct fw_lpm_key) : sizeof(struct fw_addr), done = 0;
	int ret = fw_map_update_many(cidr ? b->m.cidr_fd : b->m.exact_fd, p->keys, p->values,
				     key_size, sizeof(*p->values), p->n, BPF_ANY, &done);

	if (log_created(&b->undo, cidr, p->keys, done)) {
		ret = -ENOMEM;
	} else {
		b->added += done;
	}
	if (ret) {
		for (size_t i = done; i < p->n; i++)
			keyset_del(set, key_fp(p->keys + i * key_size, key_size));
		*failed_at = index[p->at[done < p->n ? done : 0]];
	}
	p->n = 0;
	return ret;
}

/*
 * Writes entries of one map (all exact or all CIDR). A key the key set does
 * not know is new: it waits for a batch write. A known one is looked up (the
 * pending batch written first, so an address given twice is seen): when it
 * is there, its old value is logged and it is overwritten on its own.
 */
static int write_entries(struct fw_blocklist_batch *b, struct bl_state *s, bool cidr,
			 struct bl_entry *e, const size_t *index, size_t n, struct fw_error *err)
{
	size_t key_size = cidr ? sizeof(struct fw_lpm_key) : sizeof(struct fw_addr);
	int fd = cidr ? b->m.cidr_fd : b->m.exact_fd;
	struct keyset *set = cidr ? &s->cidr : &s->exact;
	struct pending p = { malloc((n ? n : 1) * key_size), malloc((n ? n : 1) * sizeof(*p.values)),
			     malloc((n ? n : 1) * sizeof(size_t)), 0 };
	size_t failed_at = 0;
	char where[48];
	int ret = 0;

	if (!p.keys || !p.values || !p.at) {
		ret = -ENOMEM;
		goto out;
	}
	for (size_t j = 0; j < n && !ret; j++) {
		const void *key = bl_key(&e[j]);
		uint64_t fp = key_fp(key, key_size);
		struct fw_list_entry old;

		if (keyset_has(set, fp)) {
			if (p.n && (ret = flush_new(b, set, cidr, &p, index, &failed_at)))
				break;
			if (bpf_map_lookup_elem(fd, key, &old) == 0) {
				if (bpf_map_update_elem(fd, key, &e[j].value, BPF_EXIST)) {
					ret = -errno;
					failed_at = index[j];
					break;
				}
				if (log_overwritten(&b->undo, &e[j], &old)) {
					ret = -ENOMEM;
					break;
				}
				b->duplicates++;
				continue;
			}
		}
		memcpy(p.keys + p.n * key_size, key, key_size);
		p.values[p.n] = e[j].value;
		p.at[p.n++] = j;
		ret = keyset_add(set, fp);
	}
	if (!ret && p.n)
		ret = flush_new(b, set, cidr, &p, index, &failed_at);
	for (size_t j = 0; j < n && !ret; j++)
		if (e[j].value.expires_ns)
			ret = heap_push(s, &e[j]);
out:
	if (ret == -ENOMEM)
		ret = fw_error_set(err, ENOMEM, "out of memory");
	else if (ret == -E2BIG)
		fw_error_set_detail(err, strdup("the map holds max_entries at most: raise its size in "
						"the program's maps block"));
	if (ret && ret != -ENOMEM)
		ret = fw_error_set(err, ret == -E2BIG ? E2BIG : -ret,
				   "%s: the blocklist refused it: %s%s",
				   item_where(b, failed_at, where, sizeof(where)), strerror(-ret),
				   ret == -E2BIG ? " (the map is full: raise its size)" : "");
	free(p.keys);
	free(p.values);
	free(p.at);
	return ret;
}

int fw_blocklist_put(void *ctx, struct fw_blocklist_batch *b,
		     const struct fw_blocklist_item *items, size_t n, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct bl_entry *exact = calloc(n ? n : 1, sizeof(*exact));
	struct bl_entry *cidr = calloc(n ? n : 1, sizeof(*cidr));
	size_t *exact_at = calloc(n ? n : 1, sizeof(size_t)), *cidr_at = calloc(n ? n : 1, sizeof(size_t));
	size_t n_exact = 0, n_cidr = 0;
	uint64_t now = monotonic_ns();
	struct bl_state *s = NULL;
	long before;
	char where[48];
	int ret = 0;

	if (b->failed)
		return fw_error_set(err, ECANCELED, "the batch has failed already");
	if (!exact || !cidr || !exact_at || !cidr_at) {
		ret = fw_error_set(err, ENOMEM, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		struct bl_entry e;

		ret = parse_address(items[i].address, &e,
				    item_where(b, items[i].index, where, sizeof(where)), err);
		if (ret)
			break;  /* e is not filled in: stop at the bad line */
		if (items[i].expires_in)
			e.value.expires_ns = now + (uint64_t)items[i].expires_in * 1000000000ull;
		if (e.cidr) {
			cidr_at[n_cidr] = items[i].index;
			cidr[n_cidr++] = e;
		} else {
			exact_at[n_exact] = items[i].index;
			exact[n_exact++] = e;
		}
	}
	if (ret)
		goto fail_unlocked;
	if (fw_backend_stopping(d)) {
		ret = fw_error_set(err, ECANCELED, "the daemon is stopping: nothing was changed");
		goto fail_unlocked;
	}
	pthread_mutex_lock(&d->blocklist.lock);
	s = state_get(&d->blocklist, b->program, &b->m, err);
	if (!s) {
		ret = err->code;
		goto fail;
	}
	if (b->exact_before < 0)
		b->exact_before = s->exact.live;
	before = b->exact_before;
	ret = write_entries(b, s, false, exact, exact_at, n_exact, err);
	if (!ret)
		ret = write_entries(b, s, true, cidr, cidr_at, n_cidr, err);
	if (!ret && b->limit > 0 && s->exact.live > b->limit) {
		fw_error_set_detail(err, strdup("blocklist_size bounds the exact addresses; CIDRs do not count"));
		ret = fw_error_set(err, E2BIG,
				   "the blocklist of %s is full: %ld addresses + %ld new > blocklist_size %lld; "
				   "remove some, or raise blocklist_size (and the blocklist map's size)",
				   b->program, before, s->exact.live - before,
				   (long long)b->limit);
	}
	if (!ret) {
		pthread_mutex_unlock(&d->blocklist.lock);
		goto out;
	}
fail:
	undo_apply(b, s);
	pthread_mutex_unlock(&d->blocklist.lock);
	b->failed = true;
	goto out;
fail_unlocked:
	pthread_mutex_lock(&d->blocklist.lock);
	s = state_get(&d->blocklist, b->program, &b->m, NULL);
	undo_apply(b, s);
	pthread_mutex_unlock(&d->blocklist.lock);
	b->failed = true;
out:
	blocklist_changed(d, b->program);
	free(exact);
	free(cidr);
	free(exact_at);
	free(cidr_at);
	return ret;
}

json_t *fw_blocklist_commit(void *ctx, struct fw_blocklist_batch *b)
{
	json_t *out = json_pack("{s:s, s:I, s:I}", "program", b->program, "added",
				(json_int_t)b->added, "duplicates", (json_int_t)b->duplicates);

	if (b->added || b->duplicates)
		fw_info("blocklist of %s: added %ld, updated %ld already there", b->program,
			b->added, b->duplicates);
	undo_free(&b->undo);
	bl_close(&b->m);
	free(b);
	return out;
}

void fw_blocklist_abort(void *ctx, struct fw_blocklist_batch *b)
{
	struct fw_daemon *d = ctx;

	if (!b)
		return;
	if (b->undo.n_created || b->undo.n_created_cidr || b->undo.n_overwritten) {
		struct fw_error err = { 0 };

		pthread_mutex_lock(&d->blocklist.lock);
		undo_apply(b, state_get(&d->blocklist, b->program, &b->m, &err));
		pthread_mutex_unlock(&d->blocklist.lock);
		fw_error_clear(&err);
		blocklist_changed(d, b->program);
		fw_info("blocklist of %s: a batch that did not finish was undone", b->program);
	}
	bl_close(&b->m);
	free(b);
}

/* The JSON form: [{"address", "expires_in"?}, ...] as one batch. */
static struct fw_blocklist_item *items_from_json(json_t *list, size_t *n, struct fw_error *err)
{
	struct fw_blocklist_item *items;

	if (!json_is_array(list) || json_array_size(list) == 0) {
		fw_error_set(err, EINVAL, "expected a non-empty list of addresses");
		return NULL;
	}
	*n = json_array_size(list);
	items = calloc(*n, sizeof(*items));
	if (!items) {
		fw_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < *n; i++) {
		json_t *j = json_array_get(list, i);
		json_t *addr = json_is_string(j) ? j : json_object_get(j, "address");
		json_t *exp = json_is_object(j) ? json_object_get(j, "expires_in") : NULL;

		items[i].index = i;
		items[i].address = json_string_value(addr);
		if (!items[i].address) {
			fw_error_set(err, EINVAL, "entries[%zu]: expected {\"address\": \"IP or CIDR\"}", i);
			free(items);
			return NULL;
		}
		if (exp && !json_is_null(exp)) {
			if (!json_is_integer(exp) || json_integer_value(exp) <= 0 ||
			    json_integer_value(exp) > UINT32_MAX) {
				fw_error_set(err, EINVAL, "entries[%zu]: expires_in must be a positive number of seconds", i);
				free(items);
				return NULL;
			}
			items[i].expires_in = json_integer_value(exp);
		}
	}
	return items;
}

int fw_blocklist_add(void *ctx, const char *program, json_t *list, struct fw_error *err)
{
	struct fw_blocklist_item *items;
	struct fw_blocklist_batch *b;
	size_t n;
	int ret;

	items = items_from_json(list, &n, err);
	if (!items)
		return err->code;
	ret = fw_blocklist_begin(ctx, program, false, &b, err);
	if (!ret) {
		ret = fw_blocklist_put(ctx, b, items, n, err);
		if (ret)
			fw_blocklist_abort(ctx, b);
		else
			json_decref(fw_blocklist_commit(ctx, b));
	}
	free(items);
	return ret;
}

/* ---- deleting ------------------------------------------------------------ */

int fw_blocklist_delete(void *ctx, const char *program, json_t *list, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct fw_blocklist_item *items;
	struct fw_list_entry value;
	struct bl_state *s;
	struct bl_maps m;
	char *keys[2] = { NULL, NULL };
	size_t n, count[2] = { 0, 0 }, deleted;
	int ret;

	items = items_from_json(list, &n, err);
	if (!items)
		return err->code;
	fw_daemon_lock(d);
	ret = bl_open(d, program, &m, err);
	fw_daemon_unlock(d);
	if (ret)
		goto out;
	keys[0] = malloc(n * sizeof(struct fw_addr));
	keys[1] = malloc(n * sizeof(struct fw_lpm_key));
	if (!keys[0] || !keys[1]) {
		ret = fw_error_set(err, ENOMEM, "out of memory");
		goto close;
	}
	pthread_mutex_lock(&d->blocklist.lock);
	s = state_get(&d->blocklist, program, &m, err);
	ret = s ? 0 : err->code;
	for (size_t i = 0; i < n && !ret; i++) {
		struct bl_entry e;
		char where[48];

		snprintf(where, sizeof(where), "entries[%zu]", i);
		ret = parse_address(items[i].address, &e, where, err);
		if (!ret && bpf_map_lookup_elem(e.cidr ? m.cidr_fd : m.exact_fd, bl_key(&e), &value))
			ret = fw_error_set(err, ENOENT, "entries[%zu]: %s is not in the blocklist", i,
					   items[i].address);
		if (!ret) {
			size_t ks = e.cidr ? sizeof(struct fw_lpm_key) : sizeof(struct fw_addr);

			memcpy(keys[e.cidr] + count[e.cidr]++ * ks, bl_key(&e), ks);
		}
	}
	if (!ret) {
		ret = fw_map_delete_many(m.exact_fd, keys[0], sizeof(struct fw_addr), count[0], &deleted);
		if (!ret)
			ret = fw_map_delete_many(m.cidr_fd, keys[1], sizeof(struct fw_lpm_key), count[1],
						 &deleted);
		/* Checked to be there under the lock: every one of them went. */
		for (size_t i = 0; i < count[0]; i++)
			keyset_del(&s->exact, key_fp(keys[0] + i * sizeof(struct fw_addr),
						     sizeof(struct fw_addr)));
		for (size_t i = 0; i < count[1]; i++)
			keyset_del(&s->cidr, key_fp(keys[1] + i * sizeof(struct fw_lpm_key),
						    sizeof(struct fw_lpm_key)));
		if (ret)
			ret = fw_error_set(err, -ret, "deleting from the blocklist: %s", strerror(-ret));
	}
	pthread_mutex_unlock(&d->blocklist.lock);
	blocklist_changed(d, program);
close:
	bl_close(&m);
out:
	free(keys[0]);
	free(keys[1]);
	free(items);
	return ret;
}

/* ---- listing ------------------------------------------------------------- */

/* One entry as JSON text: {"address": "A", "expires_in": N|null}. */
static int format_entry(char *out, size_t size, const __u8 addr[16], __u32 prefixlen,
			bool cidr, __u64 expires_ns, uint64_t now)
{
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };
	char text[INET6_ADDRSTRLEN + 8], left[32] = "null";
	bool v4 = memcmp(addr, mapped, 12) == 0 && prefixlen >= 96;

	inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? addr + 12 : addr, text, sizeof(text));
	if (cidr)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "/%u",
			 v4 ? prefixlen - 96 : prefixlen);
	if (expires_ns)
		snprintf(left, sizeof(left), "%llu", (unsigned long long)
			 (expires_ns > now ? (expires_ns - now) / 1000000000ull : 0));
	return snprintf(out, size, "{\"address\": \"%s\", \"expires_in\": %s}", text, left);
}

/* A reading of the blocklist, resumable: the exact addresses, then the
 * CIDRs. The cursor is "a<map cursor>" or "c<map cursor>". */
struct fw_blocklist_reader {
	struct bl_maps m;
	bool cidr;                      /* reading cidr_blocklist now */
	bool done;
	char cursor[FW_MAP_CURSOR_MAX];
	uint64_t now;
	/* what fill() appends to */
	char *buf;
	size_t len, cap;
	size_t entries;                 /* formatted so far */
	size_t want;                    /* reader_fill stops at this many */
	const char *sep;                /* between entries */
	bool first;
};

static int reader_put(struct fw_blocklist_reader *r, const char *text, size_t len)
{
	if (grow((void **)&r->buf, &r->cap, r->len + len + 1, 1))
		return -ENOMEM;
	memcpy(r->buf + r->len, text, len);
	r->len += len;
	r->buf[r->len] = '\0';
	return 0;
}

static bool reader_batch(const void *keys, const void *values, size_t n, void *data)
{
	struct fw_blocklist_reader *r = data;
	const struct fw_list_entry *v = values;
	char line[160];

	for (size_t i = 0; i < n; i++) {
		const __u8 *addr;
		__u32 prefixlen = 128;
		int len;

		if (v[i].expires_ns && v[i].expires_ns <= r->now)
			continue;       /* expired: the housekeeping will delete it */
		if (r->cidr) {
			const struct fw_lpm_key *k = (const struct fw_lpm_key *)keys + i;

			addr = k->addr;
			prefixlen = k->prefixlen;
		} else {
			addr = ((const struct fw_addr *)keys + i)->addr;
		}
		len = snprintf(line, sizeof(line), "%s", r->first ? "" : r->sep);
		len += format_entry(line + len, sizeof(line) - len, addr, prefixlen, r->cidr,
				    v[i].expires_ns, r->now);
		if (reader_put(r, line, len))
			return false;
		r->first = false;
		r->entries++;
	}
	return false;   /* one batch per call: reader_fill decides what comes next */
}

int fw_blocklist_reader_open(struct fw_daemon *d, const char *program, const char *cursor,
			     struct fw_blocklist_reader **out, struct fw_error *err)
{
	struct fw_blocklist_reader *r = calloc(1, sizeof(*r));
	int ret;

	if (!r)
		return fw_error_set(err, ENOMEM, "out of memory");
	if (cursor && cursor[0] && ((cursor[0] != 'a' && cursor[0] != 'c') ||
				    strlen(cursor) >= sizeof(r->cursor))) {
		free(r);
		return fw_error_set(err, EINVAL, "invalid cursor '%.64s' (use the next_cursor of the previous page)",
				    cursor);
	}
	fw_daemon_lock(d);
	ret = bl_open(d, program, &r->m, err);
	fw_daemon_unlock(d);
	if (ret) {
		free(r);
		return ret;
	}
	if (cursor && cursor[0]) {
		r->cidr = cursor[0] == 'c';
		snprintf(r->cursor, sizeof(r->cursor), "%s", cursor + 1);
	}
	r->now = monotonic_ns();
	r->first = true;
	r->sep = ",\n";
	*out = r;
	return 0;
}

/* Appends up to about want entries to the reader's buffer. 0, or -errno. */
static int reader_fill(struct fw_blocklist_reader *r, size_t want)
{
	int ret;

	r->want = r->entries + want;
	while (!r->done && r->entries < r->want) {
		size_t left = r->want - r->entries;

		ret = fw_map_read_from(r->cidr ? r->m.cidr_fd : r->m.exact_fd,
				       r->cidr ? sizeof(struct fw_lpm_key) : sizeof(struct fw_addr),
				       sizeof(struct fw_list_entry),
				       left < FW_MAP_BATCH ? left : FW_MAP_BATCH, r->cursor,
				       reader_batch, r);
		if (ret)
			return ret;
		if (r->cursor[0])
			continue;
		if (r->cidr)
			r->done = true;
		else
			r->cidr = true;
	}
	return 0;
}

void fw_blocklist_reader_close(struct fw_blocklist_reader *r)
{
	if (!r)
		return;
	bl_close(&r->m);
	free(r->buf);
	free(r);
}

/* ---- the API's views ---------------------------------------------------- */

int fw_blocklist_page(void *ctx, const char *program, const char *cursor, size_t limit,
		      json_t **out, struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct fw_blocklist_reader *r;
	json_t *entries;
	json_error_t jerr;
	char *text;
	int ret = fw_blocklist_reader_open(d, program, cursor, &r, err);

	if (ret)
		return ret;
	ret = reader_fill(r, limit);
	if (ret) {
		fw_blocklist_reader_close(r);
		return fw_error_set(err, -ret, "reading the blocklist of %s: %s", program,
				    strerror(-ret));
	}
	if (asprintf(&text, "[%s]", r->buf ? r->buf : "") < 0)
		text = NULL;
	entries = text ? json_loads(text, 0, &jerr) : NULL;
	free(text);
	*out = json_pack("{s:s, s:o, s:I}", "program", program, "entries",
			 entries ? entries : json_array(), "count", (json_int_t)r->entries);
	if (r->done) {
		json_object_set_new(*out, "next_cursor", json_null());
	} else {
		char next[FW_MAP_CURSOR_MAX + 2];

		snprintf(next, sizeof(next), "%c%s", r->cidr ? 'c' : 'a', r->cursor);
		json_object_set_new(*out, "next_cursor", json_string(next));
	}
	fw_blocklist_reader_close(r);
	return 0;
}

/* ---- expiry -------------------------------------------------------------- */

/* Deletes up to FW_MAP_BATCH entries of s that are due. d->blocklist.lock held.
 * Returns true while more are due. */
static bool expire_slice(struct bl_state *s, const struct bl_maps *m, uint64_t now)
{
	struct fw_addr exact[FW_MAP_BATCH];
	struct fw_lpm_key cidr[FW_MAP_BATCH];
	size_t n_exact = 0, n_cidr = 0, deleted;

	while (s->heap_n && s->heap[0].at <= now && n_exact + n_cidr < FW_MAP_BATCH) {
		struct expiring e = heap_pop(s);
		struct fw_list_entry v;
		const void *key = e.cidr ? (const void *)&e.key : (const void *)e.key.addr;

		/* Stale when the entry was deleted or written again since. */
		if (bpf_map_lookup_elem(e.cidr ? m->cidr_fd : m->exact_fd, key, &v) ||
		    v.expires_ns != e.at)
			continue;
		if (e.cidr)
			cidr[n_cidr++] = e.key;
		else
			memcpy(exact[n_exact++].addr, e.key.addr, 16);
	}
	if (n_exact)
		fw_map_delete_many(m->exact_fd, exact, sizeof(*exact), n_exact, &deleted);
	if (n_cidr)
		fw_map_delete_many(m->cidr_fd, cidr, sizeof(*cidr), n_cidr, &deleted);
	for (size_t i = 0; i < n_exact; i++)
		keyset_del(&s->exact, key_fp(&exact[i], sizeof(*exact)));
	for (size_t i = 0; i < n_cidr; i++)
		keyset_del(&s->cidr, key_fp(&cidr[i], sizeof(*cidr)));
	if (n_exact + n_cidr)
		fw_debug("blocklist of %s: %zu entries expired", s->program, n_exact + n_cidr);
	/* Rewritten entries leave stale items behind: start afresh when they
	 * outnumber the live ones. */
	if (s->heap_n > 65536 && s->heap_n > 2 * (size_t)(s->exact.live + s->cidr.live))
		s->exact_id = 0;
	return s->heap_n && s->heap[0].at <= now;
}

/* Deletes what expired, in bounded slices (lock not held). */
static void expire(struct fw_daemon *d)
{
	char (*names)[FW_NAME_MAX] = NULL;
	size_t n = 0;

	fw_daemon_lock(d);
	names = calloc(d->reg.n_progs + 1, sizeof(*names));
	for (size_t i = 0; names && i < d->reg.n_progs; i++)
		snprintf(names[n++], FW_NAME_MAX, "%s", d->reg.progs[i]->rec.name);
	fw_daemon_unlock(d);
	if (!names)
		return;
	for (size_t i = 0; i < n && !fw_backend_stopping(d); i++) {
		struct bl_maps m = { open_pinned(d, names[i], "blocklist"),
				     open_pinned(d, names[i], "cidr_blocklist") };
		bool more = m.exact_fd >= 0 && m.cidr_fd >= 0;

		/* Bounded slices: the lock is let go between them, so API calls
		 * and a stop get their turn. */
		while (more && !fw_backend_stopping(d)) {
			struct bl_state *s;

			pthread_mutex_lock(&d->blocklist.lock);
			s = state_get(&d->blocklist, names[i], &m, NULL);
			more = s && expire_slice(s, &m, monotonic_ns());
			pthread_mutex_unlock(&d->blocklist.lock);
		}
		if (m.exact_fd >= 0)
			close(m.exact_fd);
		if (m.cidr_fd >= 0)
			close(m.cidr_fd);
	}
	pthread_mutex_lock(&d->blocklist.lock);
	state_forget_others(&d->blocklist, names, n);
	pthread_mutex_unlock(&d->blocklist.lock);
	free(names);
}

/* ---- the full listing, streamed ----------------------------------------- */

struct bl_stream {
	struct fw_blocklist_reader *r;
	bool ndjson;
	int stage;                      /* 0 header, 1 entries, 2 trailer, 3 end */
	size_t off;                     /* bytes of r->buf handed out */
	char program[FW_NAME_MAX];
};

/* Hands out what is buffered; refills a batch at a time. */
static ssize_t bl_stream_read(void *self, char *buf, size_t max)
{
	struct bl_stream *st = self;
	struct fw_blocklist_reader *r = st->r;
	size_t n;

	while (st->off == r->len) {
		r->len = st->off = 0;
		switch (st->stage) {
		case 0:
			st->stage = 1;
			if (!st->ndjson) {
				char head[FW_NAME_MAX + 64];
				int len = snprintf(head, sizeof(head),
						   "{\"program\": \"%s\", \"entries\": [\n", st->program);

				if (reader_put(r, head, len))
					return -ENOMEM;
			}
			break;
		case 1: {
			int ret = reader_fill(r, FW_MAP_BATCH);

			if (ret)
				return ret;
			if (r->done)
				st->stage = 2;
			break;
		}
		case 2: {
			char tail[64];
			int len = st->ndjson ? snprintf(tail, sizeof(tail), "%s", r->entries ? "\n" : "")
					     : snprintf(tail, sizeof(tail), "\n], \"count\": %zu}\n",
							r->entries);

			st->stage = 3;
			if (len && reader_put(r, tail, len))
				return -ENOMEM;
			break;
		}
		default:
			return 0;
		}
	}
	n = r->len - st->off < max ? r->len - st->off : max;
	memcpy(buf, r->buf + st->off, n);
	st->off += n;
	return n;
}

static void bl_stream_close(void *self)
{
	struct bl_stream *st = self;

	fw_blocklist_reader_close(st->r);
	free(st);
}

int fw_blocklist_stream(void *ctx, const char *program, bool ndjson, struct fw_api_stream *out,
			struct fw_error *err)
{
	struct fw_daemon *d = ctx;
	struct bl_stream *st = calloc(1, sizeof(*st));
	int ret;

	if (!st)
		return fw_error_set(err, ENOMEM, "out of memory");
	ret = fw_blocklist_reader_open(d, program, NULL, &st->r, err);
	if (ret) {
		free(st);
		return ret;
	}
	st->ndjson = ndjson;
	st->r->sep = ndjson ? "\n" : ",\n";
	snprintf(st->program, sizeof(st->program), "%s", program);
	*out = (struct fw_api_stream){ bl_stream_read, bl_stream_close, st };
	return 0;
}

/* ---- the extension ---------------------------------------------------------- */

const char fw_blocklist_default_program[] = "ddos_filter";

static const char *const bl_map_names[] = { "blocklist", "cidr_blocklist", NULL };

static bool declares_maps(struct bpf_object *obj)
{
	return bpf_object__find_map_by_name(obj, bl_map_names[0]) &&
	       bpf_object__find_map_by_name(obj, bl_map_names[1]);
}

const struct fw_program_ext fw_ext_blocklist = {
	.name = "blocklist",
	.matches = declares_maps,
	.maps = bl_map_names,
	.map_written = invalidate,
	.map_count = kept_count,
	.tick = expire,
};
