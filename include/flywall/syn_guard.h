/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * syn_guard (XDP): counter indices. Shared by bpf/syn_guard.bpf.c and user
 * space. docs/programs.md#syn_guard describes the policy.
 */
#ifndef FLYWALL_SYN_GUARD_H
#define FLYWALL_SYN_GUARD_H

/* How many ports the args name (port_1 .. port_4). */
#define FW_SG_PORTS 4

/* Indices of the per-CPU array `syn_guard_counters`; each counts packets.
 * Every packet lands in exactly one of them. */
enum fw_sg_counter {
	FW_SG_PASS = 0,                 /* not TCP to a guarded port: untouched */
	FW_SG_PASS_ESTABLISHED = 1,     /* conntrack knows the flow: untouched */
	FW_SG_SYN_ANSWERED = 2,         /* SYN answered with a cookie SYN-ACK (XDP_TX) */
	FW_SG_COOKIE_VALID = 3,         /* ACK carrying a valid cookie: to the stack */
	FW_SG_COOKIE_INVALID = 4,       /* ACK of no flow, bad cookie: dropped */
	FW_SG_SYN_TO_STACK = 5,         /* SYN left to the kernel (see the docs) */
	FW_SG_DROP_MALFORMED = 6,       /* truncated header or bad checksum */
	FW_SG_PASS_OTHER_FLAGS = 7,     /* no flow; neither a SYN nor an ACK to check */
	FW_SG_ERROR = 8,                /* a helper failed: passed to the stack */
	FW_SG_DROP_SYN_UNANSWERABLE = 9, /* SYN with IPv4 options or IPv6 extension headers */
	FW_SG_PASS_TIME_WAIT = 10,      /* SYN on a 4-tuple the stack holds in TIME-WAIT */
	FW_SG_COUNTER_MAX = 16,         /* size of `syn_guard_counters` */
};

#endif
