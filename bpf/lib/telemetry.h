/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * What a program reports with, the same way in every shipped program:
 * counters (a per-CPU array of __u64, one index per counter, which user
 * space sums over the CPUs) and the header every event record starts with
 * (struct fw_event_hdr, include/flywall/events.h), by which the collector
 * decodes any record without knowing which program sent it.
 */
#ifndef FLYWALL_BPF_TELEMETRY_H
#define FLYWALL_BPF_TELEMETRY_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

#include "flywall/events.h"

/* Adds n to counter `index` of the per-CPU counter array `map`; returns its
 * new value on this CPU (0 when the index is past the map's end). A lookup
 * in a per-CPU array is inlined by the verifier: no call. */
static __always_inline __u64 fw_count_add(void *map, __u32 index, __u64 n)
{
	__u64 *value = bpf_map_lookup_elem(map, &index);

	if (!value)
		return 0;
	return *value += n;
}

/* One more of counter `index` (packets, events...); returns the new value. */
static __always_inline __u64 fw_count(void *map, __u32 index)
{
	return fw_count_add(map, index, 1);
}

/* Fills the header of an event record of `type`, `len` bytes long header
 * included, written on this CPU at ts_ns (bpf_ktime_get_ns() unless the
 * program's documentation names another clock). */
static __always_inline void fw_event_hdr_fill(struct fw_event_hdr *hdr, __u16 type, __u16 len,
					      __u64 ts_ns)
{
	hdr->type = type;
	hdr->len = len;
	hdr->cpu = bpf_get_smp_processor_id();
	hdr->ts_ns = ts_ns;
}

/* The header of *ev, a whole record: fw_event_start(ev, FW_EVENT_DNS, now). */
#define fw_event_start(ev, type, ts_ns) \
	fw_event_hdr_fill(&(ev)->hdr, (type), sizeof(*(ev)), (ts_ns))

#endif
