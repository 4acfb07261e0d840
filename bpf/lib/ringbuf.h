/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Ring buffer writes that do not wake the reader for every record. A wakeup
 * costs the reader a context switch per event; under a flood that is the
 * price of telemetry. Flywall's collector reads every ring whenever its poll
 * times out (every 200 ms in the daemon), so a program can leave records
 * unannounced and wake the reader only when the ring starts to fill.
 */
#ifndef FLYWALL_BPF_RINGBUF_H
#define FLYWALL_BPF_RINGBUF_H

#include "vmlinux.h"
#include <bpf/bpf_helpers.h>

/* The flags for bpf_ringbuf_submit(): wake the reader once `ring` holds an
 * eighth of its size (whatever size the configuration gave it), else not. */
static __always_inline __u64 fw_ringbuf_wakeup(void *ring)
{
	return bpf_ringbuf_query(ring, BPF_RB_AVAIL_DATA) >=
	       bpf_ringbuf_query(ring, BPF_RB_RING_SIZE) / 8 ? BPF_RB_FORCE_WAKEUP
							      : BPF_RB_NO_WAKEUP;
}

#endif
