// SPDX-License-Identifier: MIT
/* Frames of a pcap through BPF_PROG_TEST_RUN, tallied (see pcap_run.h). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bpf/bpf.h>
#include <linux/if_ether.h>
/* pcap's classic-BPF header redefines struct bpf_insn from linux/bpf.h;
 * only the link types are needed from it. */
#define PCAP_DONT_INCLUDE_PCAP_BPF_H
#include <pcap/dlt.h>
#include <pcap/pcap.h>

#include "ebpf/loader.h"
#include "ebpf/maps.h"
#include "ebpf/pcap_run.h"

int fw_pcap_hook_of(enum bpf_prog_type type)
{
	int hook = fw_hook_of_prog_type(type);

	/* BPF_PROG_TEST_RUN takes packets for hooks that name their verdicts. */
	if (hook >= 0 && fw_hook_ops_of(hook)->verdict_name)
		return hook;
	return -EOPNOTSUPP;
}

const char *fw_pcap_verdict_name(enum fw_hook hook, uint32_t retval, char *buf, size_t len)
{
	const struct fw_hook_ops *ops = fw_hook_ops_of(hook);

	if (ops && ops->verdict_name)
		return ops->verdict_name(retval, buf, len);
	snprintf(buf, len, "%d", (int32_t)retval);
	return buf;
}

/* skb test runs take one page less headroom (NET_SKB_PAD) and the aligned
 * skb_shared_info tailroom: 3712 bytes with 4 KiB pages on x86-64. */
static long skb_frame_max(void)
{
	return sysconf(_SC_PAGESIZE) - 384;
}

static enum fw_pcap_frame_class frame_class(uint32_t len)
{
	if (len < ETH_HLEN)
		return FW_PCAP_FRAME_SHORT;
	if (len > skb_frame_max())
		return FW_PCAP_FRAME_LARGE;
	return FW_PCAP_FRAME_OTHER;
}

const char *fw_pcap_error_reason(const struct fw_pcap_error *e, char *buf, size_t len)
{
	const char *why;

	switch (e->frame) {
	case FW_PCAP_FRAME_SHORT:
		why = "shorter than an Ethernet header (14 bytes)";
		break;
	case FW_PCAP_FRAME_LARGE:
		why = "larger than the kernel's test-run limit for skb programs (one page "
		      "less head- and tailroom)";
		break;
	default:
		why = "refused by the kernel (tc and socket filter runs check the IPv4/IPv6 "
		      "header the EtherType announces: is it cut short?)";
		break;
	}
	snprintf(buf, len, "%s; first: packet %u, %u bytes: %s", why, e->first_index,
		 e->first_len, strerror(-e->code));
	return buf;
}

/* ---- tallies -------------------------------------------------------------- */

static void tally_verdict(struct fw_pcap_tally *t, uint32_t retval)
{
	for (int i = 0; i < t->n_verdicts; i++)
		if (t->verdicts[i].retval == retval) {
			t->verdicts[i].count++;
			return;
		}
	if (t->n_verdicts == FW_PCAP_TALLY_MAX) {
		t->other_verdicts++;
		return;
	}
	t->verdicts[t->n_verdicts++] = (struct fw_pcap_verdict){ .retval = retval, .count = 1 };
}

static void tally_error(struct fw_pcap_tally *t, int code, uint64_t index, uint32_t len)
{
	enum fw_pcap_frame_class frame = frame_class(len);

	for (int i = 0; i < t->n_errors; i++)
		if (t->errors[i].code == code && t->errors[i].frame == frame) {
			t->errors[i].count++;
			return;
		}
	if (t->n_errors == FW_PCAP_TALLY_MAX) {
		t->other_errors++;
		return;
	}
	t->errors[t->n_errors++] = (struct fw_pcap_error){
		.code = code, .frame = frame, .count = 1,
		.first_index = (uint32_t)index, .first_len = len,
	};
}

/* ---- the run -------------------------------------------------------------- */

static int open_pcap(const char *path, pcap_t **out, struct fw_error *err)
{
	char errbuf[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p = pcap_open_offline(path, errbuf);
	int dlt;

	if (!p) {
		/* libpcap names the file itself when it cannot open it */
		if (!strncmp(errbuf, path, strlen(path)))
			return fw_error_set(err, ENOENT, "pcap %s", errbuf);
		return fw_error_set(err, EINVAL, "pcap %s: %s", path, errbuf);
	}
	dlt = pcap_datalink(p);
	if (dlt != DLT_EN10MB) {
		const char *name = pcap_datalink_val_to_name(dlt);

		pcap_close(p);
		return fw_error_set(err, EPROTONOSUPPORT, "pcap %s: link type %s (%d) is not "
				    "Ethernet; only DLT_EN10MB captures can be run (capture "
				    "on an Ethernet interface, not 'any')", path,
				    name ? name : "unknown", dlt);
	}
	*out = p;
	return 0;
}

/* One frame through the program; the kernel's errno, or 0 with retval set. */
static int run_frame(int prog_fd, const uint8_t *data, uint32_t len, uint32_t repeat,
		     uint32_t *retval, uint32_t *duration)
{
	LIBBPF_OPTS(bpf_test_run_opts, run,
		.data_in = data,
		.data_size_in = len,
		.repeat = repeat,
	);
	int ret = bpf_prog_test_run_opts(prog_fd, &run);

	if (ret)
		return ret < 0 ? ret : -ret;
	*retval = run.retval;
	*duration = run.duration;
	return 0;
}

int fw_pcap_run(int prog_fd, const char *path,
		const struct fw_pcap_run_opts *opts, struct fw_pcap_tally *tally,
		struct fw_error *err)
{
	uint32_t repeat = opts && opts->repeat ? opts->repeat : 1;
	struct pcap_pkthdr *hdr;
	const u_char *data;
	pcap_t *p = NULL;
	int ret;

	memset(tally, 0, sizeof(*tally));
	ret = open_pcap(path, &p, err);
	if (ret)
		return ret;
	while ((ret = pcap_next_ex(p, &hdr, &data)) == 1) {
		uint32_t retval = 0, duration = 0;
		uint64_t index = tally->packets++;
		int code = run_frame(prog_fd, data, hdr->caplen, repeat, &retval, &duration);

		if (code) {
			tally_error(tally, code, index, hdr->caplen);
		} else {
			tally->ran++;
			tally->duration_ns += duration;
			tally_verdict(tally, retval);
		}
		if (opts && opts->on_packet)
			opts->on_packet(index, hdr->caplen, code, retval, duration, opts->ctx);
	}
	if (ret == PCAP_ERROR)
		ret = fw_error_set(err, EIO, "pcap %s: after packet %llu: %s", path,
				   (unsigned long long)tally->packets, pcap_geterr(p));
	else
		ret = 0;        /* PCAP_ERROR_BREAK: the end of the file */
	pcap_close(p);
	return ret;
}

/* ---- counters ------------------------------------------------------------- */

json_t *fw_pcap_counters(struct bpf_object *obj)
{
	json_t *out = json_object();
	struct bpf_map *map;

	bpf_object__for_each_map(map, obj) {
		json_t *counters = bpf_map__fd(map) >= 0 ? fw_maps_counters_json(bpf_map__fd(map), false)
							 : NULL;

		if (counters)
			json_object_set_new(out, bpf_map__name(map), counters);
	}
	return out;
}
