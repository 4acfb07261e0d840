// SPDX-License-Identifier: MIT
/*
 * fleet_probe NETNS TOKEN_FILE COUNT PIN_ROOT...: how long a blocklist
 * addition made through one node's API takes to reach the kernel maps of the
 * other nodes (bench/fleet.sh). From inside network namespace NETNS it adds
 * COUNT addresses (198.51.x.y) one at a time to the daemon at
 * 127.0.0.1:8080; a second thread polls each PIN_ROOT's ddos_filter
 * blocklist map for the address in flight. Prints one line per node:
 * "node PIN_ROOT p50_ms p99_ms max_ms", and one for the API call itself.
 */
#include <bpf/bpf.h>
#include <curl/curl.h>
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define NODES_MAX 8

static int n_nodes, map_fd[NODES_MAX];
static volatile int current = -1, stop;
static uint64_t t0, *seen[NODES_MAX];

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void key_of(int i, unsigned char key[16])
{
	memset(key, 0, 16);
	key[10] = key[11] = 0xff;
	key[12] = 198;
	key[13] = 51;
	key[14] = (i >> 8) & 255;
	key[15] = i & 255;
}

static void *poller(void *arg)
{
	unsigned char key[16], value[8];
	struct timespec nap = { 0, 50000 };

	while (!stop) {
		int i = current;

		if (i >= 0) {
			key_of(i, key);
			for (int n = 0; n < n_nodes; n++)
				if (!seen[n][i] && bpf_map_lookup_elem(map_fd[n], key, value) == 0)
					seen[n][i] = now_ns() - t0;
		}
		nanosleep(&nap, NULL);
	}
	return NULL;
}

static int cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t *v, int count)
{
	qsort(v, count, sizeof(*v), cmp);
	printf("%s p50_ms %.1f p99_ms %.1f max_ms %.1f\n", name, v[count / 2] / 1e6,
	       v[(count * 99) / 100 < count ? (count * 99) / 100 : count - 1] / 1e6,
	       v[count - 1] / 1e6);
}

static size_t discard(void *p, size_t s, size_t n, void *u)
{
	return s * n;
}

int main(int argc, char **argv)
{
	char path[512], token[512], header[600], body[128];
	struct curl_slist *hdrs = NULL;
	uint64_t *api;
	pthread_t th;
	int count, fd;
	FILE *f;
	CURL *c;

	if (argc < 5 || argc - 4 > NODES_MAX) {
		fprintf(stderr, "usage: fleet_probe NETNS TOKEN_FILE COUNT PIN_ROOT...\n");
		return 2;
	}
	count = atoi(argv[3]);
	n_nodes = argc - 4;
	for (int n = 0; n < n_nodes; n++) {
		snprintf(path, sizeof(path), "%s/maps/ddos_filter/blocklist", argv[4 + n]);
		map_fd[n] = bpf_obj_get(path);
		seen[n] = calloc(count, sizeof(uint64_t));
		if (map_fd[n] < 0) {
			perror(path);
			return 1;
		}
	}
	snprintf(path, sizeof(path), "/var/run/netns/%s", argv[1]);
	fd = open(path, O_RDONLY);
	if (fd < 0 || setns(fd, CLONE_NEWNET)) {
		perror(path);
		return 1;
	}
	f = fopen(argv[2], "r");
	if (!f || !fgets(token, sizeof(token), f)) {
		perror(argv[2]);
		return 1;
	}
	fclose(f);
	token[strcspn(token, "\r\n")] = '\0';
	snprintf(header, sizeof(header), "Authorization: Bearer %s", token);
	hdrs = curl_slist_append(hdrs, header);
	hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
	api = calloc(count, sizeof(uint64_t));
	c = curl_easy_init();
	curl_easy_setopt(c, CURLOPT_URL, "http://127.0.0.1:8080/api/ebpf/blocklist");
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	pthread_create(&th, NULL, poller, NULL);
	for (int i = 0; i < count; i++) {
		long status = 0;
		uint64_t start;

		snprintf(body, sizeof(body), "{\"addresses\": [\"198.51.%d.%d\"]}", (i >> 8) & 255,
			 i & 255);
		curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
		start = now_ns();
		t0 = start;
		__atomic_store_n(&current, i, __ATOMIC_RELEASE);
		if (curl_easy_perform(c) != CURLE_OK ||
		    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status) || status != 200) {
			fprintf(stderr, "add %d: HTTP %ld\n", i, status);
			return 1;
		}
		api[i] = now_ns() - start;
		/* the next address waits until every node has this one (5 s at most) */
		for (int n = 0; n < n_nodes; n++)
			while (!seen[n][i] && now_ns() - start < 5000000000ull)
				usleep(100);
		for (int n = 0; n < n_nodes; n++)
			if (!seen[n][i]) {
				fprintf(stderr, "add %d: not in %s within 5 s\n", i, argv[4 + n]);
				return 1;
			}
		usleep(20000);  /* one change at a time, as an operator makes them */
	}
	stop = 1;
	pthread_join(th, NULL);
	for (int i = 0; i < count; i++)
		if (api[i] > 500000000ull)
			printf("# add %d: the API call took %.0f ms\n", i, api[i] / 1e6);
	report("api_call", api, count);
	for (int n = 0; n < n_nodes; n++) {
		snprintf(path, sizeof(path), "node %s", argv[4 + n]);
		report(path, seen[n], count);
	}
	curl_easy_cleanup(c);
	curl_slist_free_all(hdrs);
	return 0;
}
