/* SPDX-License-Identifier: MIT */
/*
 * Runs every frame of a pcap file through a loaded program with
 * BPF_PROG_TEST_RUN and tallies what the program decided, so a filter can be
 * checked against a capture before it is attached (`flywall ebpf test`).
 * Nothing here prints: results come back as tallies and, per packet, through
 * an optional callback.
 */
#ifndef FLYWALL_EBPF_PCAP_RUN_H
#define FLYWALL_EBPF_PCAP_RUN_H

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "common/error.h"
#include "ebpf/spec.h"

/* Distinct return values (and error reasons) tallied one by one; more than
 * this many fall into one "other" row. */
#define FW_PCAP_TALLY_MAX 32

struct fw_pcap_verdict {
	uint32_t retval;        /* the program's return value */
	uint64_t count;
};

/* What a refused frame looked like, which says why the kernel refused it. */
enum fw_pcap_frame_class {
	FW_PCAP_FRAME_SHORT,    /* shorter than an Ethernet header */
	FW_PCAP_FRAME_LARGE,    /* over one page less head- and tailroom (skb runs;
				 * XDP runs such frames as multi-buffer) */
	FW_PCAP_FRAME_OTHER,    /* e.g. skb runs: the L3 header its EtherType
				 * announces is cut short */
};

/* Frames the kernel refused to run, by why. */
struct fw_pcap_error {
	int code;               /* negative errno of the test run */
	enum fw_pcap_frame_class frame;
	uint64_t count;
	uint32_t first_index;   /* the first packet (0-based) that failed so */
	uint32_t first_len;
};

struct fw_pcap_tally {
	uint64_t packets;       /* frames read from the pcap */
	uint64_t ran;           /* of those, run by the kernel */
	uint64_t duration_ns;   /* sum of the kernel's per-run durations */
	struct fw_pcap_verdict verdicts[FW_PCAP_TALLY_MAX];
	int n_verdicts;
	uint64_t other_verdicts;
	struct fw_pcap_error errors[FW_PCAP_TALLY_MAX];
	int n_errors;
	uint64_t other_errors;
};

/* Called once per frame: retval is valid when code is 0, else code is the
 * test run's negative errno. */
typedef void (*fw_pcap_packet_fn)(uint64_t index, uint32_t len, int code, uint32_t retval,
				  uint32_t duration_ns, void *ctx);

struct fw_pcap_run_opts {
	uint32_t repeat;        /* runs per frame (the kernel averages); 0 = 1 */
	fw_pcap_packet_fn on_packet;  /* may be NULL */
	void *ctx;
};

/* The hook a test run of this program type stands for: xdp, tc or
 * socket_filter; -EOPNOTSUPP for types BPF_PROG_TEST_RUN cannot run on frames. */
int fw_pcap_hook_of(enum bpf_prog_type type);

/*
 * Runs each frame of the pcap at path through prog_fd (an xdp, tc or
 * socket_filter program) and fills tally. Errors (-errno, err->msg names the file and why): a
 * missing or unreadable file, not a pcap, a link type other than Ethernet
 * (named), a pcap truncated mid-record (tally holds what ran before it).
 * Frames the kernel refuses to run are not errors of the call: they are
 * tallied in tally->errors.
 */
int fw_pcap_run(int prog_fd, const char *path,
		const struct fw_pcap_run_opts *opts, struct fw_pcap_tally *tally,
		struct fw_error *err);

/* A return value by name for a hook: "XDP_DROP", "TC_ACT_SHOT",
 * "pass (next)" for TC_ACT_UNSPEC, "accept all" / "accept 64 bytes" / "drop"
 * for a socket filter, else the number. Writes into buf, returns it. */
const char *fw_pcap_verdict_name(enum fw_hook hook, uint32_t retval, char *buf, size_t len);
/* Why frames failed to run, for a user ("shorter than an Ethernet header",
 * "larger than the kernel's test-run limit: Invalid argument"). */
const char *fw_pcap_error_reason(const struct fw_pcap_error *e, char *buf, size_t len);

/* The object's counter maps (arrays of __u64 whose name contains "counter"
 * or "stats"), each index summed over CPUs: {"MAP": [N, ...], ...}. */
json_t *fw_pcap_counters(struct bpf_object *obj);

#endif
