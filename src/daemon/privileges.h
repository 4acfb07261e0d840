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
 * plus, only where the configuration needs them (the API starts after the
 * drop, its threads must not hold the rest): CAP_NET_BIND_SERVICE when the API
 * listens on a port below 1024, CAP_CHOWN when its UNIX socket is given a
 * socket_group (root is not a member of it).
 */
#ifndef FLYWALL_DAEMON_PRIVILEGES_H
#define FLYWALL_DAEMON_PRIVILEGES_H

#include <stdbool.h>

#include "common/error.h"

enum fw_privileges_extra {
	FW_KEEP_BIND_SERVICE = 1 << 0,
	FW_KEEP_CHOWN = 1 << 1,
};

/* Drops every capability but those above and the extra ones asked for
 * (enum fw_privileges_extra). Logs what is kept. */
int fw_privileges_drop(unsigned int extra, struct fw_error *err);

#endif
