/* SPDX-License-Identifier: MIT */
/*
 * Least privilege for the daemon: once the configuration is applied, and
 * before any thread starts (capabilities are per thread; threads inherit the
 * creator's), keep only the capabilities later reloads and API calls use,
 * drop the rest from the bounding set too, and set PR_SET_NO_NEW_PRIVS.
 *
 * Kept, when the process has them (each found necessary on Linux 6.18 by
 * running the daemon without it):
 *   CAP_BPF          loading programs, creating maps, BTF
 *   CAP_PERFMON      tracepoint/kprobe/uprobe attach (perf events)
 *   CAP_NET_ADMIN    XDP, tc/tcx, netfilter links, HTB qdiscs (netlink)
 *   CAP_NET_RAW      the packet sockets of socket-filter blocks
 *   CAP_SYS_ADMIN    BPF_*_GET_FD_BY_ID (what is attached to an interface,
 *                    a program's data sections, a map's BTF), run statistics,
 *                    net.core.bpf_jit_enable
 *   CAP_SYS_RESOURCE memlock limits on kernels that still charge them
 *   CAP_SYSLOG       /proc/kallsyms gives addresses only to it: stack traces
 *                    in events are symbolized from it, re-read as programs
 *                    load
 * plus CAP_NET_BIND_SERVICE when the API listens on a port below 1024.
 */
#ifndef FLYWALL_DAEMON_PRIVILEGES_H
#define FLYWALL_DAEMON_PRIVILEGES_H

#include <stdbool.h>

#include "common/error.h"

/* Drops every capability but those above; keep_bind adds
 * CAP_NET_BIND_SERVICE. Logs what is kept. */
int fw_privileges_drop(bool keep_bind, struct fw_error *err);

#endif
