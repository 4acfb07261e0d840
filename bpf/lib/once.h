/* SPDX-License-Identifier: GPL-2.0 OR MIT */
/*
 * One read of a value other CPUs write at the same time (a map value, a
 * kernel struct field): the compiler may neither repeat nor drop it, so a
 * check and the use after it see the same value.
 */
#ifndef FLYWALL_BPF_ONCE_H
#define FLYWALL_BPF_ONCE_H

#define READ_ONCE(x) (*(volatile typeof(x) *)&(x))

#endif
