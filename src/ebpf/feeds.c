// SPDX-License-Identifier: MIT
/*
 * Feeds (feeds.h). Merging: each prefix becomes the range of 128-bit
 * addresses it covers; sorted ranges that overlap or touch are joined; each
 * joined range is cut back into the fewest prefixes. Covered prefixes vanish
 * and adjacent siblings become their parent, in O(n log n).
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/feeds.h"
#include "ebpf/pins.h"

typedef unsigned __int128 u128;

static u128 to_u128(const uint8_t a[16])
{
	u128 v = 0;

	for (int i = 0; i < 16; i++)
		v = v << 8 | a[i];
	return v;
}

static void from_u128(u128 v, uint8_t a[16])
{
	for (int i = 15; i >= 0; i--, v >>= 8)
		a[i] = (uint8_t)v;
}

static u128 host_mask(uint32_t prefixlen)
{
	return prefixlen >= 128 ? 0 : prefixlen == 0 ? ~(u128)0 : (~(u128)0) >> prefixlen;
}

/* One entry: "a.b.c.d", "a.b.c.d/N", "v6", "v6/N". Host bits cleared. */
static int parse_entry(char *text, struct fw_feed_prefix *p)
{
	char *slash = strchr(text, '/'), *end;
	struct in_addr v4;
	long len = -1;
	u128 v;

	if (slash) {
		*slash = '\0';
		len = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || len < 0)
			return -1;
	}
	memset(p->addr, 0, 16);
	if (inet_pton(AF_INET, text, &v4) == 1) {
		if (len > 32)
			return -1;
		p->addr[10] = p->addr[11] = 0xff;
		memcpy(p->addr + 12, &v4, 4);
		p->prefixlen = 96 + (len < 0 ? 32 : len);
	} else if (inet_pton(AF_INET6, text, p->addr) == 1) {
		if (len > 128)
			return -1;
		p->prefixlen = len < 0 ? 128 : len;
	} else {
		return -1;
	}
	v = to_u128(p->addr) & ~host_mask(p->prefixlen);
	from_u128(v, p->addr);
	return 0;
}

struct range {
	u128 lo, hi;
};

static int cmp_range(const void *a, const void *b)
{
	const struct range *x = a, *y = b;

	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Cuts [lo, hi] into the fewest prefixes; appends them to out. */
static int emit_range(u128 lo, u128 hi, struct fw_feed_prefix **out, size_t *n, size_t *cap)
{
	for (;;) {
		uint32_t len = 128;

		/* the largest aligned block starting at lo that ends within hi */
		while (len > 0) {
			u128 m = host_mask(len - 1);

			if ((lo & m) || (lo | m) > hi)
				break;
			len--;
		}
		if (*n == *cap) {
			size_t c = *cap ? *cap * 2 : 1024;
			struct fw_feed_prefix *more = realloc(*out, c * sizeof(*more));

			if (!more)
				return -ENOMEM;
			*out = more;
			*cap = c;
		}
		from_u128(lo, (*out)[*n].addr);
		(*out)[(*n)++].prefixlen = len;
		if ((lo | host_mask(len)) >= hi)
			return 0;
		lo = (lo | host_mask(len)) + 1;
	}
}

static int merge(struct fw_feed_prefix *in, size_t n, struct fw_feed_list *out)
{
	struct range *r = malloc((n ? n : 1) * sizeof(*r));
	size_t cap = 0, k = 0;
	int ret = 0;

	if (!r)
		return -ENOMEM;
	for (size_t i = 0; i < n; i++) {
		r[i].lo = to_u128(in[i].addr);
		r[i].hi = r[i].lo | host_mask(in[i].prefixlen);
	}
	qsort(r, n, sizeof(*r), cmp_range);
	for (size_t i = 0; i < n; i++) {
		if (k && (r[k - 1].hi == ~(u128)0 || r[i].lo <= r[k - 1].hi + 1)) {
			if (r[i].hi > r[k - 1].hi)
				r[k - 1].hi = r[i].hi;
		} else {
			r[k++] = r[i];
		}
	}
	out->prefixes = NULL;
	out->n = 0;
	for (size_t i = 0; i < k && !ret; i++)
		ret = emit_range(r[i].lo, r[i].hi, &out->prefixes, &out->n, &cap);
	free(r);
	return ret;
}

int fw_feed_read(const char *path, struct fw_feed_list *out, struct fw_error *err)
{
	FILE *f = fopen(path, "re");
	struct fw_feed_prefix *entries = NULL;
	size_t cap = 0, line_cap = 0;
	char *line = NULL;
	ssize_t len;
	int ret;

	memset(out, 0, sizeof(*out));
	if (!f)
		return fw_error_set(err, errno, "cannot read feed %s: %s", path, strerror(errno));
	while ((len = getline(&line, &line_cap, f)) >= 0) {
		char *p = line, *end;

		out->lines++;
		p[strcspn(p, "#;\r\n")] = '\0';
		while (isspace((unsigned char)*p))
			p++;
		end = p + strlen(p);
		while (end > p && isspace((unsigned char)end[-1]))
			*--end = '\0';
		if (!*p)
			continue;
		if (out->entries == cap) {
			struct fw_feed_prefix *more;

			cap = cap ? cap * 2 : 4096;
			more = realloc(entries, cap * sizeof(*more));
			if (!more) {
				ret = fw_error_set(err, ENOMEM, "out of memory reading %s", path);
				goto fail;
			}
			entries = more;
		}
		if (parse_entry(p, &entries[out->entries]) == 0) {
			out->entries++;
			continue;
		}
		if (out->bad < FW_FEED_ERRORS_KEPT) {
			out->errors[out->bad].line = out->lines;
			snprintf(out->errors[out->bad].text, sizeof(out->errors[0].text),
				 "not an address or CIDR: \"%.60s\"", line);
		}
		out->bad++;
	}
	if (ferror(f)) {
		ret = fw_error_set(err, EIO, "cannot read feed %s", path);
		goto fail;
	}
	if (out->bad > out->entries) {
		ret = fw_error_set(err, EINVAL,
				   "feed %s: %zu of %zu entry lines are not addresses or CIDRs (line %zu: %s); kept the previous version",
				   path, out->bad, out->bad + out->entries, out->errors[0].line,
				   out->errors[0].text);
		goto fail;
	}
	ret = merge(entries, out->entries, out);
	if (ret)
		fw_error_set(err, ENOMEM, "out of memory merging %s", path);
fail:
	free(line);
	free(entries);
	fclose(f);
	if (ret) {
		free(out->prefixes);
		out->prefixes = NULL;
		out->n = 0;
	}
	return ret;
}

void fw_feed_list_free(struct fw_feed_list *l)
{
	free(l->prefixes);
	l->prefixes = NULL;
	l->n = 0;
}

int fw_feed_maps_open(struct fw_feed_maps *m, const char *root, const char *program,
		      struct fw_error *err)
{
	const char *names[] = { "feed_ctl", "feed_cidrs", "feed_hits" };
	int *fds[] = { &m->ctl, &m->cidrs, &m->hits };
	char path[FW_PATH_MAX];

	m->ctl = m->cidrs = m->hits = -1;
	for (int i = 0; i < 3; i++) {
		fw_pins_map_path(root, program, names[i], path);
		*fds[i] = bpf_obj_get(path);
		if (*fds[i] < 0) {
			fw_feed_maps_close(m);
			return fw_error_set(err, EINVAL, "program %s has no map %s (feeds need a ddos_filter with the rule plane)",
					    program, names[i]);
		}
	}
	return 0;
}

void fw_feed_maps_close(struct fw_feed_maps *m)
{
	int *fds[] = { &m->ctl, &m->cidrs, &m->hits };

	for (int i = 0; i < 3; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Deletes the keys of one generation (all keys listed first). */
static void clear_gen(int fd, uint8_t gen)
{
	size_t cap = 4096, n = 0;
	struct fw_feed_key *keys = malloc(cap * sizeof(*keys));

	if (!keys)
		return;
	while (!bpf_map_get_next_key(fd, n ? &keys[n - 1] : NULL, &keys[n])) {
		if (++n == cap) {
			struct fw_feed_key *more = realloc(keys, cap * 2 * sizeof(*keys));

			if (!more)
				break;
			keys = more;
			cap *= 2;
		}
	}
	for (size_t i = 0; i < n; i++)
		if (keys[i].gen == gen)
			bpf_map_delete_elem(fd, &keys[i]);
	free(keys);
}

int fw_feeds_apply(const struct fw_feed_maps *m, const struct fw_feed_list *const *lists,
		   size_t n, struct fw_error *err)
{
	uint32_t zero = 0, gen = 0, next;

	if (n > FW_FEEDS_MAX)
		return fw_error_set(err, E2BIG, "%zu feeds: at most %d per program", n, FW_FEEDS_MAX);
	bpf_map_lookup_elem(m->ctl, &zero, &gen);
	next = !(gen & 1);
	clear_gen(m->cidrs, next);
	for (size_t f = 0; f < n; f++) {
		for (size_t i = 0; lists[f] && i < lists[f]->n; i++) {
			struct fw_feed_key key = { .prefixlen = 8 + lists[f]->prefixes[i].prefixlen,
						   .gen = next };
			uint32_t index = f;

			memcpy(key.addr, lists[f]->prefixes[i].addr, 16);
			if (bpf_map_update_elem(m->cidrs, &key, &index, 0)) {
				int ret = fw_error_set(err, errno, "cannot write feed_cidrs: %s",
						       strerror(errno));

				clear_gen(m->cidrs, next);
				return ret;
			}
		}
	}
	if (bpf_map_update_elem(m->ctl, &zero, &next, 0))
		return fw_error_set(err, errno, "cannot switch feed generation: %s", strerror(errno));
	clear_gen(m->cidrs, !next);
	return 0;
}

uint64_t fw_feed_hits(const struct fw_feed_maps *m, uint32_t index)
{
	int n = libbpf_num_possible_cpus();
	uint64_t *v = calloc(n > 0 ? n : 1, sizeof(*v)), sum = 0;

	if (v && n > 0 && !bpf_map_lookup_elem(m->hits, &index, v))
		for (int i = 0; i < n; i++)
			sum += v[i];
	free(v);
	return sum;
}
