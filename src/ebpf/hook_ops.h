/* SPDX-License-Identifier: MIT */
/*
 * One table of hook operations: everything Flywall knows about a hook lives
 * in its own file (src/ebpf/hook_<name>.c) as one struct fw_hook_ops, and
 * every layer asks the table instead of switching on the hook:
 *   config and API   which fields a block takes and requires
 *   loader           which programs it takes, which one a section names
 *   hook manager     attach (with fallbacks), replace in place, detach
 *   pins             the names of its attach kinds
 *   CLI              how a block's target reads
 *   test runs        whether it runs frames, what its return codes mean
 *   features         the probes that say how it attaches on this kernel
 * Adding a hook: one new file and one line in ebpf/hook_list.h.
 */
#ifndef FLYWALL_EBPF_HOOK_OPS_H
#define FLYWALL_EBPF_HOOK_OPS_H

#include <bpf/libbpf.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"
#include "ebpf/features.h"
#include "ebpf/pins.h"
#include "ebpf/spec.h"

struct fw_object;
struct fw_attachment;

/* The fields of a block beyond those every hook takes (program, maps, args). */
enum fw_hook_field {
	FW_FIELD_INTERFACE = 1u << 0,
	FW_FIELD_DIRECTION = 1u << 1,
	FW_FIELD_MODE = 1u << 2,
	FW_FIELD_SHAPING = 1u << 3,
	FW_FIELD_SOCKETS = 1u << 4,
	FW_FIELD_TRACEPOINT = 1u << 5,
	FW_FIELD_FUNCTION = 1u << 6,
	FW_FIELD_PRIORITY = 1u << 7,
	FW_FIELD__ALL = (1u << 8) - 1,
};

/* How messages speak of a field: "interface", "an interface", "\"eth0\"". */
struct fw_hook_field_info {
	enum fw_hook_field field;
	const char *name;
	const char *noun;
	const char *example;
};

/* An attach kind this hook makes, its name in records and the API, and
 * whether a pinned bpf_link holds it (else: a clsact filter, a socket). */
struct fw_attach_kind_info {
	enum fw_attach_kind kind;
	const char *name;
	bool link;
};

#define FW_HOOK_MAX_PROG_TYPES 4
#define FW_HOOK_MAX_KINDS 4
#define FW_HOOK_MAX_PROBES 4

/* A program of Flywall's already at the hook point a block with a priority
 * attaches to (same hook, interface and direction): the new one takes its
 * place among them by priority. */
struct fw_hook_sibling {
	const char *name;
	int32_t priority;
	uint32_t link_id;       /* its bpf_link (tcx) */
	uint32_t prog_id;
	uint32_t chain_slot;    /* XDP chain members */
};

/* How the daemon asks blocks to be attached; zero is the default. */
struct fw_hook_opts {
	/* Attach tc blocks as clsact filters even where tcx links exist (for
	 * hosts whose other tc tooling does not know tcx). */
	bool tc_clsact_only;
	/* The pin root (where an XDP chain's root link is pinned). */
	const char *pin_root;
	/* The block's siblings at its hook point, in no particular order. */
	const struct fw_hook_sibling *siblings;
	size_t n_siblings;
};

struct fw_hook_ops {
	const char *name;               /* block type, "hook" in JSON */
	/* The program types whose programs belong to this hook (ends at 0,
	 * BPF_PROG_TYPE_UNSPEC); accepts() may refine (NULL: all of them). */
	enum bpf_prog_type prog_types[FW_HOOK_MAX_PROG_TYPES];
	bool (*accepts)(const struct bpf_program *p);
	unsigned int takes;             /* enum fw_hook_field bits */
	unsigned int requires;          /* a subset of takes */
	/* The kernel holds one program of this hook per interface (and mode):
	 * a reattach must detach the old program first. */
	bool one_per_interface;

	/* Section names (NULL: they name no target). target_from_section fills
	 * the spec's target from a section that names it whole, when the spec
	 * has none ("tracepoint/net/x" -> tracepoint "net:x"); section_matches
	 * says whether a section names the spec's target. */
	void (*target_from_section)(const char *sec, struct fw_prog_spec *spec);
	bool (*section_matches)(const struct fw_prog_spec *spec, const struct bpf_program *p);
	/* Other programs of the object the block needs loaded too (fallback
	 * forms, a companion); NULL: none. */
	void (*choose_forms)(struct bpf_object *obj, const struct fw_prog_spec *spec,
			     struct fw_object *o);

	/* Attaches o->prog (or a fallback form) for spec on a->ifindex. */
	int (*attach)(const struct fw_prog_spec *spec, struct fw_object *o,
		      const struct fw_hook_opts *opts, struct fw_attachment *a,
		      struct fw_error *err);
	/* Whether old's attachment can take spec's program in place (the hook
	 * and interface are known to be the same). */
	bool (*can_replace)(const struct fw_pin_record *old, const struct fw_prog_spec *spec);
	/* See fw_hook_replace(); fw_hook_link_replace for a plain link. */
	int (*replace)(const char *root, const struct fw_pin_record *old, int link_fd,
		       int new_prog_fd, int companion_prog_fd, struct fw_error *err);
	/* Undoes what a link pin does not hold; fw_hook_nothing_to_detach when
	 * the link pin is the whole attachment. */
	int (*detach)(const struct fw_pin_record *rec, struct fw_error *err);
	/* An adopted program whose attachment died with the daemon that made it
	 * (a socket filter's socket) is attached again; NULL: its pins hold it. */
	int (*revive)(const struct fw_pin_record *rec, int prog_fd, struct fw_attachment *a,
		      struct fw_error *err);
	/* Where a block attaches, in words ("eth0 egress", "net:x"). */
	void (*describe)(const struct fw_prog_spec *spec, char *out, size_t size);
	/* A test run's return code in words; NULL: the hook runs no frames. */
	const char *(*verdict_name)(uint32_t retval, char *buf, size_t len);

	/* The attach kinds it makes (up to the first without a name). */
	struct fw_attach_kind_info kinds[FW_HOOK_MAX_KINDS];
	/* The feature probes of its attach points, in its fallback order
	 * (none: `ebpf features` does not say how it attaches). */
	enum fw_attach_probe probes[FW_HOOK_MAX_PROBES];
	size_t n_probes;
};

/* The ops of a hook; NULL only for a number outside enum fw_hook. */
const struct fw_hook_ops *fw_hook_ops_of(enum fw_hook hook);
/* The hook whose prog_types hold type, or -1. */
int fw_hook_of_prog_type(enum bpf_prog_type type);
/* Whether p is a program this hook attaches (prog_types, then accepts). */
bool fw_hook_accepts(enum fw_hook hook, const struct bpf_program *p);
/* Whether the hook takes / requires a field. */
bool fw_hook_takes(enum fw_hook hook, enum fw_hook_field field);
bool fw_hook_requires(enum fw_hook hook, enum fw_hook_field field);
/* "tc", "xdp and tc", "xdp, tc and socket_filter": the hooks taking a field. */
void fw_hooks_taking(enum fw_hook_field field, char *out, size_t size);
/* "xdp, tc, socket_filter, tracepoint or kprobe". */
void fw_hook_names_joined(const char *last_sep, char *out, size_t size);
/* Whether a pinned bpf_link holds an attachment of this kind. */
bool fw_attach_kind_has_link(enum fw_attach_kind kind);
/* The field's words; NULL for a value that is not one field. */
const struct fw_hook_field_info *fw_hook_field_info(enum fw_hook_field field);

/* ---- for the hook files ------------------------------------------------- */

/* Adds to a->note, the account of the fallbacks taken ("; "-joined). */
void fw_hook_note(struct fw_attachment *a, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Takes a libbpf link (NULL or an error pointer: its negative errno). */
int fw_hook_take_link(struct fw_attachment *a, struct bpf_link *link, enum fw_attach_kind kind);
/* replace: bpf_link_update on the pinned link. */
int fw_hook_link_replace(const char *root, const struct fw_pin_record *old, int link_fd,
			 int new_prog_fd, int companion_prog_fd, struct fw_error *err);
/* detach: nothing beyond the link pin, which the caller removes. */
int fw_hook_nothing_to_detach(const struct fw_pin_record *rec, struct fw_error *err);
/* can_replace for hooks whose links cannot swap programs (perf events). */
bool fw_hook_never_replace(const struct fw_pin_record *old, const struct fw_prog_spec *spec);
/* "tracepoint/net/netif_receive_skb" -> "net/netif_receive_skb": what a
 * section names after its first '/', or NULL. */
const char *fw_section_target(const char *sec);

#endif
