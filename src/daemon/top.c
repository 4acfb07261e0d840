// SPDX-License-Identifier: MIT
/*
 * Top talkers of a ddos_filter (fw_backend_top): the program counts every
 * source that reaches its rule stage in `talkers` (an LRU hash of at most
 * 65536 sources, so memory is bounded and the least recently seen go first);
 * the rate over an interval is the difference of two reads.
 */
#include <arpa/inet.h>
#include <bpf/bpf.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "api/backend_rules.h"
#include "daemon/backend_internal.h"
#include "flywall/rules.h"

struct talker {
	struct fw_talker_key key;
	struct fw_talker value;
	uint64_t d_packets, d_bytes;
};

static int cmp_key(const void *a, const void *b)
{
	return memcmp(a, b, sizeof(struct fw_talker_key));
}

static int cmp_packets(const void *a, const void *b)
{
	const struct talker *x = a, *y = b;

	return x->d_packets < y->d_packets ? 1 : x->d_packets > y->d_packets ? -1 :
	       (x->d_bytes < y->d_bytes) - (x->d_bytes > y->d_bytes);
}

/* Every entry, sorted by address. */
static int snapshot(int fd, struct talker **out, size_t *n)
{
	size_t cap = 1024;
	struct talker *t = malloc(cap * sizeof(*t));
	struct fw_talker_key *prev = NULL;

	*n = 0;
	if (!t)
		return -ENOMEM;
	while (!bpf_map_get_next_key(fd, prev, &t[*n].key)) {
		if (bpf_map_lookup_elem(fd, &t[*n].key, &t[*n].value) == 0) {
			prev = &t[*n].key;
			(*n)++;
		}
		if (*n == cap) {
			struct talker *more = realloc(t, cap * 2 * sizeof(*t));

			if (!more)
				break;
			t = more;
			cap *= 2;
			prev = &t[*n - 1].key;
		}
		if (*n > FW_TALKERS_MAX * 2)
			break;
	}
	qsort(t, *n, sizeof(*t), cmp_key);
	*out = t;
	return 0;
}

static void format_addr(const uint8_t a[16], char *out, size_t size)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };

	if (!memcmp(a, mapped, 12))
		inet_ntop(AF_INET, a + 12, out, size);
	else
		inet_ntop(AF_INET6, a, out, size);
}

int fw_backend_top(const char *program, unsigned int interval_s, size_t limit, json_t **out,
		   struct fw_error *err)
{
	struct talker *before = NULL, *after = NULL;
	size_t n_before = 0, n_after = 0;
	char path[FW_PATH_MAX];
	json_t *list;
	int fd;

	LOCK();
	if (!fw_registry_find(REG, program)) {
		UNLOCK();
		return fw_error_set(err, ENOENT, "no program named \"%s\"", program);
	}
	fw_pins_map_path(REG->root, program, "talkers", path);
	UNLOCK();
	fd = bpf_obj_get(path);
	if (fd < 0)
		return fw_error_set(err, EINVAL, "program %s has no talkers map (is it a ddos_filter?)",
				    program);
	if (interval_s && snapshot(fd, &before, &n_before)) {
		close(fd);
		return fw_error_set(err, ENOMEM, "out of memory");
	}
	if (interval_s)
		sleep(interval_s);
	if (snapshot(fd, &after, &n_after)) {
		free(before);
		close(fd);
		return fw_error_set(err, ENOMEM, "out of memory");
	}
	close(fd);
	for (size_t i = 0; i < n_after; i++) {
		struct talker *was = interval_s ? bsearch(&after[i].key, before, n_before,
							  sizeof(*before), cmp_key) : NULL;

		after[i].d_packets = after[i].value.packets - (was ? was->value.packets : 0);
		after[i].d_bytes = after[i].value.bytes - (was ? was->value.bytes : 0);
	}
	qsort(after, n_after, sizeof(*after), cmp_packets);
	list = json_array();
	for (size_t i = 0; i < n_after && i < limit; i++) {
		char addr[INET6_ADDRSTRLEN];

		if (interval_s && !after[i].d_packets)
			break;
		format_addr(after[i].key.addr, addr, sizeof(addr));
		json_array_append_new(list, json_pack("{s:s, s:I, s:I, s:f, s:f}", "address", addr,
			"packets", (json_int_t)after[i].d_packets, "bytes", (json_int_t)after[i].d_bytes,
			"pps", interval_s ? (double)after[i].d_packets / interval_s : 0.0,
			"bps", interval_s ? 8.0 * after[i].d_bytes / interval_s : 0.0));
	}
	*out = json_pack("{s:s, s:I, s:I, s:o}", "program", program, "interval_s",
			 (json_int_t)interval_s, "sources", (json_int_t)n_after, "talkers", list);
	free(before);
	free(after);
	return 0;
}
