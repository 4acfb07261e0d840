// SPDX-License-Identifier: MIT
/*
 * How long a 100,000-line feed takes to load: read and parse the file,
 * merge its prefixes, write them into a loaded ddos_filter's feed_cidrs and
 * switch generations (what the daemon does on a reload). Best and median
 * of 5 runs; then a packet from inside a listed CIDR is dropped, to show
 * the load took.
 *
 *   feeds_bench [LINES]     (default 100000; needs $BUILD/bpf/ddos_filter.o)
 */
#include <stdlib.h>
#include <time.h>

#include "bpf/bpf_test.h"
#include "ebpf/feeds.h"

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	return *(const double *)a < *(const double *)b ? -1 : *(const double *)a > *(const double *)b;
}

int main(int argc, char **argv)
{
	int lines = argc > 1 ? atoi(argv[1]) : 100000;
	char path[] = "/tmp/flywall-feed-bench.XXXXXX";
	int fd = mkstemp(path);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	struct bpf_object *obj = bpf_test_load("ddos_filter");
	struct fw_feed_maps m;
	double ms[5], read_ms = 0;
	struct fw_feed_list list = { 0 };
	struct frame_spec s = { .family = 4, .src = "100.1.2.3", .dst = "10.0.0.1",
				.proto = IPPROTO_UDP, .sport = 1, .dport = 53, .payload = 18 };
	uint8_t frame[FRAME_MAX];

	if (!f || !obj)
		return 1;
	srandom(1);
	fprintf(f, "# a FireHOL-like netset of %d lines\n", lines);
	for (int i = 1; i < lines; i++) {
		if (i % 3)
			fprintf(f, "%ld.%ld.%ld.0/24\n", 1 + random() % 223, random() % 256,
				random() % 256);
		else
			fprintf(f, "%ld.%ld.%ld.%ld\n", 1 + random() % 223, random() % 256,
				random() % 256, random() % 256);
	}
	fprintf(f, "100.1.2.0/24\n");
	fclose(f);
	m = (struct fw_feed_maps){ bpf_test_map_fd(obj, "feed_ctl"),
				   bpf_test_map_fd(obj, "feed_cidrs"),
				   bpf_test_map_fd(obj, "feed_hits") };
	for (int r = 0; r < 5; r++) {
		const struct fw_feed_list *lists[1] = { &list };
		struct fw_error err = { 0 };
		double t = now_ms(), t2;

		fw_feed_list_free(&list);
		if (fw_feed_read(path, &list, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		t2 = now_ms();
		if (fw_feeds_apply(&m, lists, 1, &err)) {
			fprintf(stderr, "%s\n", err.msg);
			return 1;
		}
		ms[r] = now_ms() - t;
		read_ms = t2 - t;
	}
	qsort(ms, 5, sizeof(ms[0]), cmp_double);
	printf("%d lines, %zu entries, %zu prefixes after merging\n", lines, list.entries, list.n);
	printf("read + parse + merge: %.1f ms (last run)\n", read_ms);
	printf("read + parse + merge + write + switch: best %.1f ms, median %.1f ms\n", ms[0], ms[2]);
	printf("a packet from 100.1.2.3 (listed): %s\n",
	       bpf_test_run_xdp(bpf_test_prog_fd(obj, "ddos_filter"), frame,
				build_frame(&s, frame)) == XDP_DROP ? "dropped" : "NOT dropped");
	unlink(path);
	fw_feed_list_free(&list);
	bpf_object__close(obj);
	return 0;
}
