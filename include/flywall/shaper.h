/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * egress_shaper (TC egress): modes, the HTB class it steers into, and the
 * indices of its per-CPU counters. Shared by bpf/egress_shaper.bpf.c and
 * src/ebpf/shaping.c. docs/programs.md#egress_shaper describes the design.
 */
#ifndef FLYWALL_SHAPER_H
#define FLYWALL_SHAPER_H

#ifdef __BPF__
/* vmlinux.h provides the __u types */
#else
#include <linux/types.h>
#endif

/*
 * The root HTB qdisc Flywall installs has handle F1F0: and one class F1F0:1
 * at the configured rate. Its default class is 0, so packets the program
 * does not steer bypass shaping: the program is what puts traffic under it.
 */
#define FW_SHAPER_QDISC_HANDLE 0xF1F00000u
#define FW_SHAPER_CLASSID 0xF1F00001u

enum fw_shaper_mode {
	FW_SHAPER_MODE_HTB = 0,         /* steer into the HTB class: queues */
	FW_SHAPER_MODE_POLICE = 1,      /* token bucket in the program: drops */
};

/* Indices of the per-CPU array `shaper_counters`. */
enum fw_shaper_counter {
	FW_SHAPER_STEERED_PKTS = 0,     /* htb: packets put into the class */
	FW_SHAPER_STEERED_BYTES = 1,
	FW_SHAPER_POLICE_PASS_PKTS = 2, /* police: within the rate */
	FW_SHAPER_POLICE_PASS_BYTES = 3,
	FW_SHAPER_POLICE_DROP_PKTS = 4, /* police: over the rate, dropped */
	FW_SHAPER_POLICE_DROP_BYTES = 5,
	FW_SHAPER_UNSHAPED_PKTS = 6,    /* police with rate 0: passed untouched */
	FW_SHAPER_COUNTER_MAX = 8,
};

#endif
