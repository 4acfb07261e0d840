/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * An events-per-second budget shared by all CPUs: a GCRA bucket, one u64
 * (its theoretical arrival time) in a map value. Taking an event costs one
 * compare-and-swap; one over the budget only reads the bucket. An event that
 * loses the race to another CPU is refused like one over the budget.
 */
#ifndef FLYWALL_BPF_BUDGET_H
#define FLYWALL_BPF_BUDGET_H

#include "once.h"

/* interval_ns = 1 s / budget (0: no events at all); tolerance_ns: how far
 * ahead of now the bucket may run, i.e. the burst (a tenth of a second's
 * budget in the shipped programs). */
static __always_inline bool fw_budget_take(__u64 *tat_ns, __u64 interval_ns,
					   __u64 tolerance_ns, __u64 now)
{
	__u64 old = READ_ONCE(*tat_ns), tat = old > now ? old : now;

	if (!interval_ns || tat - now > tolerance_ns)
		return false;
	return __sync_val_compare_and_swap(tat_ns, old, tat + interval_ns) == old;
}

#endif
