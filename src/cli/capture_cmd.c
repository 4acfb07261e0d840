// SPDX-License-Identifier: MIT
/*
 * `flywall ebpf capture PROGRAM -w FILE.pcap [count N] [reason R] [sample N]
 * [timeout S] [--pin-root DIR]`: switches ddos_filter's capture of dropped
 * frames on through the API (arg capture_sample), reads the records from the
 * program's pinned capture_ring (so it runs as root, beside the daemon) and
 * writes them as a pcap that tcpdump and Wireshark read; each packet's drop
 * reason goes to FILE.pcap.reasons ("N REASON", N counting from 1, as
 * tcpdump numbers packets). Capture is switched off again at the end.
 */
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <errno.h>
/* libbpf brings linux/bpf.h: pcap must not bring its own struct bpf_insn */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli/client.h"
#include "cli/rules_cmds.h"
#include "ebpf/pins.h"
#include "flywall/ddos.h"
#include "flywall/rules.h"

#define ARGS "PROGRAM -w FILE.pcap [count N] [reason R] [sample N] [timeout S] [--pin-root DIR]"

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static const char *reason_name(unsigned int r)
{
	switch (r) {
	case FW_DDOS_REASON_BLOCKLIST: return "blocklist";
	case FW_DDOS_REASON_CIDR: return "cidr_blocklist";
	case FW_DDOS_REASON_RATE: return "rate_limit";
	case FW_DDOS_REASON_MALFORMED: return "malformed";
	case FW_DDOS_REASON_FRAGMENT: return "fragment";
	case FW_RULES_REASON_RULE: return "rule";
	case FW_RULES_REASON_RULE_RATE: return "rule_rate_limit";
	case FW_RULES_REASON_UNDER_ATTACK: return "under_attack";
	case FW_RULES_REASON_FEED: return "feed";
	}
	return "unknown";
}

struct capture {
	pcap_dumper_t *dump;
	FILE *reasons;
	const char *reason;             /* only this one, or NULL */
	long count, written;
	double mono_to_real;            /* seconds to add to CLOCK_MONOTONIC */
};

static int on_record(void *ctx, void *data, size_t size)
{
	struct capture *c = ctx;
	const struct fw_capture_rec *rec = data;
	struct pcap_pkthdr h;
	double t;

	if (size < sizeof(*rec) || (c->count && c->written >= c->count))
		return 0;
	if (c->reason && strcmp(c->reason, reason_name(rec->reason)))
		return 0;
	t = rec->ts_ns / 1e9 + c->mono_to_real;
	h.ts.tv_sec = (time_t)t;
	h.ts.tv_usec = (suseconds_t)((t - (double)h.ts.tv_sec) * 1e6);
	h.caplen = rec->caplen > FW_CAPTURE_SNAP_MAX ? FW_CAPTURE_SNAP_MAX : rec->caplen;
	h.len = rec->len;
	pcap_dump((u_char *)c->dump, &h, rec->data);
	c->written++;
	fprintf(c->reasons, "%ld %s\n", c->written, reason_name(rec->reason));
	return 0;
}

static int set_sample(struct fw_client *cl, const char *program, long n)
{
	char path[512];
	long status = 0;
	json_t *out = NULL, *body = json_pack("{s:{s:I}}", "args", "capture_sample", (json_int_t)n);
	int ret;

	if (fw_client_path(path, sizeof(path), "/api/ebpf/programs/", program, "")) {
		json_decref(body);
		return fw_client_fail(cl, FW_EXIT_USAGE, NULL, "name too long for a request");
	}
	ret = fw_client_call(cl, "PUT", path, body, true, &status, &out);
	json_decref(body);
	if (!ret && status >= 400) {
		fw_client_print_error(cl, status, out);
		ret = FW_EXIT_FAIL;
	}
	json_decref(out);
	return ret;
}

static double mono_to_real(void)
{
	struct timespec m, r;

	clock_gettime(CLOCK_MONOTONIC, &m);
	clock_gettime(CLOCK_REALTIME, &r);
	return (r.tv_sec - m.tv_sec) + (r.tv_nsec - m.tv_nsec) / 1e9;
}

int fw_cmd_ebpf_capture(int argc, char **argv)
{
	const char *file = NULL, *pin_root = "/sys/fs/bpf/flywall", *program;
	struct capture c = { 0 };
	long sample = 1, timeout_s = 0;
	struct ring_buffer *rb = NULL;
	char path[FW_PATH_MAX], reasons_path[FW_PATH_MAX + 16];
	struct fw_client cl;
	int first, n = 0, ret, fd;
	pcap_t *dead;
	time_t start;

	for (int a = 0; a < argc; a++) {
		if ((!strcmp(argv[a], "-w") || !strcmp(argv[a], "--pin-root")) && a + 1 < argc) {
			*(!strcmp(argv[a], "-w") ? &file : &pin_root) = argv[a + 1];
			a++;
		} else {
			argv[n++] = argv[a];
		}
	}
	argv[n] = NULL;
	ret = fw_client_init(&cl, n, argv, &first);
	if (ret)
		return ret;
	argv += first;
	for (argc = 0; argv[argc]; argc++)
		;
	if (argc < 1 || !file) {
		fprintf(stderr, "Usage: flywall ebpf capture " ARGS " " FW_CLIENT_OPTIONS "\n");
		return FW_EXIT_USAGE;
	}
	program = argv[0];
	for (int a = 1; a < argc; a += 2) {
		char *end;
		long v = a + 1 < argc ? strtol(argv[a + 1], &end, 10) : 0;
		bool number = a + 1 < argc && *argv[a + 1] && !*end && v >= 0;

		if (!strcmp(argv[a], "reason") && a + 1 < argc) {
			c.reason = argv[a + 1];
		} else if (!strcmp(argv[a], "count") && number) {
			c.count = v;
		} else if (!strcmp(argv[a], "sample") && number && v > 0) {
			sample = v;
		} else if (!strcmp(argv[a], "timeout") && number) {
			timeout_s = v;
		} else {
			fprintf(stderr, "flywall ebpf capture: unexpected or incomplete '%s'\n", argv[a]);
			fprintf(stderr, "Usage: flywall ebpf capture " ARGS " " FW_CLIENT_OPTIONS "\n");
			return FW_EXIT_USAGE;
		}
	}
	fw_pins_map_path(pin_root, program, "capture_ring", path);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return fw_client_fail(&cl, FW_EXIT_FAIL, "run it as root beside the daemon; --pin-root names the daemon's pin root",
				      "cannot open %s: %s", path, strerror(errno));
	dead = pcap_open_dead(DLT_EN10MB, FW_CAPTURE_SNAP_MAX);
	c.dump = dead ? pcap_dump_open(dead, file) : NULL;
	snprintf(reasons_path, sizeof(reasons_path), "%s.reasons", file);
	c.reasons = fopen(reasons_path, "we");
	if (!c.dump || !c.reasons) {
		ret = fw_client_fail(&cl, FW_EXIT_FAIL, NULL, "cannot write %s: %s", file,
				     dead ? pcap_geterr(dead) : "out of memory");
		goto out;
	}
	c.mono_to_real = mono_to_real();
	rb = ring_buffer__new(fd, on_record, &c, NULL);
	if (!rb) {
		ret = fw_client_fail(&cl, FW_EXIT_FAIL, NULL, "cannot read %s", path);
		goto out;
	}
	ret = set_sample(&cl, program, sample);
	if (ret)
		goto out;
	signal(SIGINT, on_signal);
	signal(SIGTERM, on_signal);
	start = time(NULL);
	while (!stop && (!c.count || c.written < c.count) &&
	       (!timeout_s || time(NULL) - start < timeout_s))
		ring_buffer__poll(rb, 200);
	ret = set_sample(&cl, program, 0);
	ring_buffer__poll(rb, 0);
	if (cl.json)
		printf("{\"file\": \"%s\", \"reasons\": \"%s\", \"packets\": %ld}\n", file,
		       reasons_path, c.written);
	else
		printf("captured %ld dropped packet%s to %s (reasons in %s)\n", c.written,
		       c.written == 1 ? "" : "s", file, reasons_path);
out:
	ring_buffer__free(rb);
	if (c.dump)
		pcap_dump_close(c.dump);
	if (dead)
		pcap_close(dead);
	if (c.reasons)
		fclose(c.reasons);
	close(fd);
	return ret;
}
