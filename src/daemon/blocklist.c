// SPDX-License-Identifier: MIT
/*
 * The ddos_filter blocklist resource: addresses and CIDRs added and removed
 * in bulk, all or nothing, with optional expiry. Exact addresses go to the
 * program's `blocklist` hash, prefixes to its `cidr_blocklist` trie; IPv4 is
 * stored IPv4-mapped (include/flywall/ddos.h). The program ignores expired
 * entries; the daemon deletes them once a second.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "api/backend.h"
#include "common/log.h"
#include "daemon/backend_internal.h"
#include "ebpf/args.h"
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

static int open_pinned(const char *program, const char *map)
{
	char path[FW_PATH_MAX];

	fw_pins_map_path(REG->root, program, map, path);
	return bpf_obj_get(path);
}

static int bl_open(const char *program, struct bl_maps *m, struct fw_error *err)
{
	if (!fw_registry_find(REG, program))
		return fw_error_set(err, ENOENT, "no program named \"%s\"", program);
	m->exact_fd = open_pinned(program, "blocklist");
	m->cidr_fd = open_pinned(program, "cidr_blocklist");
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

static int parse_entry(json_t *j, size_t i, bool with_expiry, struct bl_entry *e,
		       struct fw_error *err)
{
	json_t *addr = json_is_string(j) ? j : json_object_get(j, "address");
	json_t *exp = json_is_object(j) ? json_object_get(j, "expires_in") : NULL;
	char what[32];
	int ret;

	snprintf(what, sizeof(what), "entries[%zu]", i);
	if (!json_is_string(addr))
		return fw_error_set(err, EINVAL, "%s: expected {\"address\": \"IP or CIDR\"}", what);
	ret = parse_address(json_string_value(addr), e, what, err);
	if (ret || !with_expiry || !exp || json_is_null(exp))
		return ret;
	if (!json_is_integer(exp) || json_integer_value(exp) <= 0)
		return fw_error_set(err, EINVAL, "%s: expires_in must be a positive number of seconds", what);
	e->value.expires_ns = monotonic_ns() + (uint64_t)json_integer_value(exp) * 1000000000ull;
	return 0;
}

static int bl_fd(const struct bl_maps *m, const struct bl_entry *e)
{
	return e->cidr ? m->cidr_fd : m->exact_fd;
}

static const void *bl_key(const struct bl_entry *e)
{
	return e->cidr ? (const void *)&e->key : (const void *)e->key.addr;
}

static struct bl_entry *parse_all(json_t *list, bool with_expiry, size_t *n, struct fw_error *err)
{
	struct bl_entry *entries;

	if (!json_is_array(list) || json_array_size(list) == 0) {
		fw_error_set(err, EINVAL, "expected a non-empty list of addresses");
		return NULL;
	}
	*n = json_array_size(list);
	entries = calloc(*n, sizeof(*entries));
	if (!entries) {
		fw_error_set(err, ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < *n; i++)
		if (parse_entry(json_array_get(list, i), i, with_expiry, &entries[i], err)) {
			free(entries);
			return NULL;
		}
	return entries;
}

/* The program's `blocklist_size` arg: how many exact entries user space may
 * keep in `blocklist` (docs/programs.md). 0 when the program has none. */
static json_int_t blocklist_limit(const char *program)
{
	struct fw_program *p = fw_registry_find(REG, program);
	json_t *args = p ? fw_args_read_running(p->prog_fd) : NULL;
	json_int_t limit = json_integer_value(json_object_get(args, "blocklist_size"));

	json_decref(args);
	return limit;
}

/* Refuses an addition that would take `blocklist` past blocklist_size:
 * counts what is there and the new addresses that are not. */
static int check_room(const char *program, const struct bl_maps *m,
		      const struct bl_entry *entries, size_t n, struct fw_error *err)
{
	json_int_t limit = blocklist_limit(program), used = 0, adding = 0;
	struct fw_addr key, next;
	struct fw_list_entry v;
	void *prev = NULL;

	if (limit <= 0)
		return 0;
	while (bpf_map_get_next_key(m->exact_fd, prev, &next) == 0) {
		key = next;
		prev = &key;
		used++;
	}
	for (size_t i = 0; i < n; i++)
		if (!entries[i].cidr &&
		    bpf_map_lookup_elem(m->exact_fd, entries[i].key.addr, &v) != 0)
			adding++;
	if (used + adding <= limit)
		return 0;
	return fw_error_set(err, E2BIG,
			    "the blocklist of %s is full: %lld addresses + %lld new > blocklist_size %lld; "
			    "remove some, or raise blocklist_size (and the blocklist map's size)",
			    program, (long long)used, (long long)adding, (long long)limit);
}

int fw_backend_blocklist_add(const char *program, json_t *list, struct fw_error *err)
{
	struct bl_maps m;
	struct bl_entry *entries;
	size_t n, i;
	int ret;

	entries = parse_all(list, true, &n, err);
	if (!entries)
		return err->code;
	LOCK();
	ret = bl_open(program, &m, err);
	if (ret)
		goto out;
	ret = check_room(program, &m, entries, n, err);
	for (i = 0; !ret && i < n; i++) {
		if (bpf_map_update_elem(bl_fd(&m, &entries[i]), bl_key(&entries[i]),
					&entries[i].value, BPF_ANY) == 0)
			continue;
		ret = fw_error_set(err, errno == E2BIG ? E2BIG : errno,
				   "entries[%zu]: the blocklist refused it: %s", i, strerror(errno));
		while (i-- > 0) /* all or nothing */
			bpf_map_delete_elem(bl_fd(&m, &entries[i]), bl_key(&entries[i]));
		break;
	}
	bl_close(&m);
	if (!ret)
		fw_info("blocklist of %s: added %zu entr%s", program, n, n == 1 ? "y" : "ies");
out:
	UNLOCK();
	free(entries);
	return ret;
}

int fw_backend_blocklist_delete(const char *program, json_t *list, struct fw_error *err)
{
	struct fw_list_entry value;
	struct bl_entry *entries;
	struct bl_maps m;
	size_t n, i;
	int ret;

	entries = parse_all(list, false, &n, err);
	if (!entries)
		return err->code;
	LOCK();
	ret = bl_open(program, &m, err);
	if (ret)
		goto out;
	for (i = 0; !ret && i < n; i++)
		if (bpf_map_lookup_elem(bl_fd(&m, &entries[i]), bl_key(&entries[i]), &value))
			ret = fw_error_set(err, ENOENT, "entries[%zu]: %s is not in the blocklist", i,
					   json_string_value(json_is_string(json_array_get(list, i))
							     ? json_array_get(list, i)
							     : json_object_get(json_array_get(list, i), "address")));
	for (i = 0; !ret && i < n; i++)
		bpf_map_delete_elem(bl_fd(&m, &entries[i]), bl_key(&entries[i]));
	bl_close(&m);
out:
	UNLOCK();
	free(entries);
	return ret;
}

static json_t *format_entry(const __u8 addr[16], __u32 prefixlen, bool cidr, __u64 expires_ns,
			    uint64_t now)
{
	static const __u8 mapped[12] = { [10] = 0xff, [11] = 0xff };
	char text[INET6_ADDRSTRLEN + 8];
	bool v4 = memcmp(addr, mapped, 12) == 0 && prefixlen >= 96;

	inet_ntop(v4 ? AF_INET : AF_INET6, v4 ? addr + 12 : addr, text, sizeof(text));
	if (cidr)
		snprintf(text + strlen(text), sizeof(text) - strlen(text), "/%u",
			 v4 ? prefixlen - 96 : prefixlen);
	return json_pack("{s:s, s:o}", "address", text, "expires_in",
			 expires_ns ? json_integer(expires_ns > now ? (expires_ns - now) / 1000000000ull : 0)
				    : json_null());
}

/* Calls fn for every entry of both maps; fn returns true to delete it. */
static void bl_walk(const struct bl_maps *m,
		    bool (*fn)(const __u8 *addr, __u32 prefixlen, bool cidr,
			       const struct fw_list_entry *v, void *ctx),
		    void *ctx)
{
	struct fw_lpm_key lkey, lnext;
	struct fw_addr akey, anext;
	struct fw_list_entry v;
	void *prev = NULL;

	while (bpf_map_get_next_key(m->exact_fd, prev, &anext) == 0) {
		akey = anext;
		prev = &akey;
		if (!bpf_map_lookup_elem(m->exact_fd, &akey, &v) &&
		    fn(akey.addr, 128, false, &v, ctx))
			bpf_map_delete_elem(m->exact_fd, &akey);
	}
	prev = NULL;
	while (bpf_map_get_next_key(m->cidr_fd, prev, &lnext) == 0) {
		lkey = lnext;
		prev = &lkey;
		if (!bpf_map_lookup_elem(m->cidr_fd, &lkey, &v) &&
		    fn(lkey.addr, lkey.prefixlen, true, &v, ctx))
			bpf_map_delete_elem(m->cidr_fd, &lkey);
	}
}

struct list_ctx {
	json_t *list;
	uint64_t now;
};

static bool list_one(const __u8 *addr, __u32 prefixlen, bool cidr,
		     const struct fw_list_entry *v, void *data)
{
	struct list_ctx *ctx = data;

	if (!v->expires_ns || v->expires_ns > ctx->now)
		json_array_append_new(ctx->list, format_entry(addr, prefixlen, cidr, v->expires_ns,
							      ctx->now));
	return false;
}

int fw_backend_blocklist_list(const char *program, json_t **out, struct fw_error *err)
{
	struct list_ctx ctx = { json_array(), monotonic_ns() };
	struct bl_maps m;
	int ret;

	LOCK();
	ret = bl_open(program, &m, err);
	if (!ret) {
		bl_walk(&m, list_one, &ctx);
		bl_close(&m);
		*out = json_pack("{s:s, s:O, s:I}", "program", program, "entries", ctx.list,
				 "count", (json_int_t)json_array_size(ctx.list));
	}
	UNLOCK();
	json_decref(ctx.list);
	return ret;
}

static bool expired(const __u8 *addr, __u32 prefixlen, bool cidr,
		    const struct fw_list_entry *v, void *data)
{
	return v->expires_ns && v->expires_ns <= *(uint64_t *)data;
}

void fw_blocklist_expire(void)
{
	uint64_t now = monotonic_ns();

	LOCK();
	for (size_t i = 0; i < REG->n_progs; i++) {
		struct bl_maps m;
		const char *name = REG->progs[i]->rec.name;

		m.exact_fd = open_pinned(name, "blocklist");
		m.cidr_fd = open_pinned(name, "cidr_blocklist");
		if (m.exact_fd >= 0 && m.cidr_fd >= 0)
			bl_walk(&m, expired, &now);
		if (m.exact_fd >= 0)
			close(m.exact_fd);
		if (m.cidr_fd >= 0)
			close(m.cidr_fd);
	}
	UNLOCK();
}
