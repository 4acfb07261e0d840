/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * Names for the slots of a counter map, for metrics, `flywall ebpf stats` and
 * the dashboard (docs/programs.md, "Naming counters"). Declare
 *
 *     enum flywall_counters__MAP {
 *             MAP__pass__checked = 0,         // verdict "pass", reason "checked"
 *             MAP__drop__blocklisted = 3,     // verdict "drop", reason "blocklisted"
 *             MAP__events_sent = 9,           // a plain counter, "events_sent"
 *     };
 *     FLYWALL_COUNTER_NAMES(MAP);
 *
 * The macro puts the enum in the object's BTF (clang emits only the types that
 * something uses) through a variable in a section libbpf does not load: it
 * costs no instruction and no map.
 */
#ifndef FLYWALL_BPF_COUNTER_NAMES_H
#define FLYWALL_BPF_COUNTER_NAMES_H

#define FLYWALL_COUNTER_NAMES(map)                                                \
	enum flywall_counters__##map flywall_counters__##map##__btf                \
		__attribute__((section(".flywall.names"), used))

#endif
