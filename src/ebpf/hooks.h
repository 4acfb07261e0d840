/* SPDX-License-Identifier: MIT */
/*
 * The hook manager: attaches a loaded program where its block says, as a
 * bpf_link wherever the kernel allows (so it outlives the daemon once
 * pinned), with fallbacks that are tried in order and reported:
 *   xdp:     native -> generic (mode = "auto"); or exactly the mode asked
 *   tc:      tcx link -> clsact filter
 *   kprobe:  kprobe -> fentry -> the object's tracepoint stand-in
 * A socket filter has no link: the daemon's packet socket holds it.
 * Each hook's part lives in its own src/ebpf/hook_<name>.c (hook_ops.h);
 * this is what they share and the entry points that dispatch to them.
 */
#ifndef FLYWALL_EBPF_HOOKS_H
#define FLYWALL_EBPF_HOOKS_H

#include <bpf/libbpf.h>

#include "common/error.h"
#include "ebpf/hook_ops.h"
#include "ebpf/loader.h"
#include "ebpf/pins.h"
#include "ebpf/spec.h"

struct fw_attachment {
	enum fw_hook hook;
	enum fw_attach_kind kind;
	int link_fd;               /* -1 when the hook has no link */
	struct bpf_link *link;     /* libbpf's, for perf-event hooks (owns link_fd) */
	int sock_fd;               /* socket filter: the packet socket, else -1 */
	int prog_fd;               /* the program that runs (not owned) */
	struct fw_object *extra;   /* a separately loaded form (fentry), owned */
	__u32 ifindex;
	enum fw_tc_direction tc_direction;
	__u32 tc_handle, tc_priority;
	char note[256];            /* which fallbacks were taken, and why */
	/* a tc block's companion on the other direction (see loader.h) */
	enum fw_attach_kind companion_kind;
	int companion_link_fd;
	__u32 companion_tc_handle, companion_tc_priority;
	__u32 chain_slot;           /* an XDP chain member's slot */
};

void fw_attachment_init(struct fw_attachment *a);

/* The one copy between an attachment and its pin record: what is attached
 * and how (hook, kind, interface, tc handles, companion, note), both ways.
 * from_record does not take links: the caller opens or dups those. */
void fw_attachment_to_record(const struct fw_attachment *a, struct fw_pin_record *rec);
void fw_attachment_from_record(struct fw_attachment *a, const struct fw_pin_record *rec);


/* Whether a record was attached with the priority (or lack of one) spec asks. */
bool fw_record_same_priority(const struct fw_pin_record *rec, const struct fw_prog_spec *spec);

/* Checks that the block's interface exists; returns its ifindex (0 when the
 * block has none) or a negative errno with a message naming it. */
int fw_hook_resolve_interface(const struct fw_prog_spec *spec, struct fw_error *err);

/* Attaches o->prog (or a fallback form) for spec; opts NULL: the defaults. */
int fw_hook_attach(const struct fw_prog_spec *spec, struct fw_object *o, int ifindex,
		   const struct fw_hook_opts *opts, struct fw_attachment *out,
		   struct fw_error *err);

/* Whether an attachment can take a new program atomically, in place. */
bool fw_hook_can_replace(const struct fw_pin_record *old, const struct fw_prog_spec *spec,
			 int ifindex);
/* Swaps the programs behind an existing attachment (bpf_link_update, or
 * BPF_TC_F_REPLACE for clsact): the main one, and a tc block's companion
 * when companion_prog_fd >= 0. link_fd is the pinned link, or -1. */
int fw_hook_replace(const char *root, const struct fw_pin_record *old, int link_fd,
		    int new_prog_fd, int companion_prog_fd, struct fw_error *err);

/* Pins the attachment's links (no-op for hooks without links). */
int fw_hook_pin(const struct fw_attachment *a, const char *root, const char *name,
		struct fw_error *err);

/* Undoes an attachment made by this process (closing link fds; clsact
 * filters are removed too). Pinned links stay until their pin goes. */
void fw_attachment_release(struct fw_attachment *a, bool detach);

/* Detaches what a record describes and that a link pin alone does not hold:
 * a clsact filter. Link pins are removed by the caller. */
int fw_hook_detach_record(const struct fw_pin_record *rec, struct fw_error *err);

/* Attaches again what died with the daemon that adopted rec's program made
 * it (ops->revive; 0 when the pins hold everything). */
int fw_hook_revive(const struct fw_pin_record *rec, int prog_fd, struct fw_attachment *a,
		   struct fw_error *err);

/* A packet socket (bound to ifindex, 0: all) running prog_fd; its fd. */
int fw_hook_socket_attach(int prog_fd, int ifindex, struct fw_error *err);

#endif
