/* SPDX-License-Identifier: MIT */
/*
 * Where Flywall keeps things in bpffs, and the state record of each program.
 *
 *   <root>/progs/<name>         the program attached for block <name>
 *   <root>/links/<name>         its bpf_link (XDP, tcx, tracepoint, kprobe)
 *   <root>/links/<name>@companion  a tc block's link for the other direction
 *   <root>/maps/<name>/<map>    every (non-internal) map of its object
 *   <root>/state                hash map: <name> -> struct fw_pin_record
 *
 * The kernel is the source of truth: these pins and the state map are all a
 * restarted daemon needs to adopt what is attached (DESIGN.md).
 */
#ifndef FLYWALL_EBPF_PINS_H
#define FLYWALL_EBPF_PINS_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "ebpf/spec.h"

#define FW_PIN_ROOT_DEFAULT "/sys/fs/bpf/flywall"

/* How a program is attached; stored in its record, reported by the API. */
enum fw_attach_kind {
	FW_ATTACH_NONE,
	FW_ATTACH_XDP_NATIVE,
	FW_ATTACH_XDP_GENERIC,
	FW_ATTACH_TCX,
	FW_ATTACH_CLSACT,
	FW_ATTACH_SOCKET,       /* SO_ATTACH_BPF on the daemon's packet socket */
	FW_ATTACH_TRACEPOINT,
	FW_ATTACH_KPROBE,
	FW_ATTACH_FENTRY,
	FW_ATTACH_STANDIN,      /* a kprobe block's tracepoint stand-in */
	FW_ATTACH_XDP_CHAIN,    /* a member of the interface's XDP chain (ebpf/chain.h) */
	FW_ATTACH__COUNT,
};

/* Who asked for a program: a configuration reload removes only its own. */
enum fw_origin { FW_ORIGIN_CONFIG, FW_ORIGIN_API };

/* One program's state as kept in <root>/state (fixed layout: a map value). */
struct fw_pin_record {
	char name[FW_NAME_MAX];
	uint64_t spec_hash;             /* of the spec and the object's bytes */
	uint64_t load_time_ns;          /* CLOCK_REALTIME, ns */
	uint32_t hook;                  /* enum fw_hook */
	uint32_t attach;                /* enum fw_attach_kind */
	uint32_t ifindex;
	uint32_t tc_handle;             /* clsact only */
	uint32_t tc_priority;           /* clsact only */
	uint32_t tc_direction;          /* enum fw_tc_direction */
	uint32_t services;
	uint32_t shaping;               /* 1 when queuing was set up on ifindex */
	uint32_t origin;                /* enum fw_origin */
	uint32_t companion_attach;      /* tc companion: enum fw_attach_kind, or NONE */
	uint32_t companion_tc_handle;   /* clsact only */
	uint32_t companion_tc_priority;
	char interface[FW_IFNAME_MAX];
	char prog_name[FW_NAME_MAX];    /* the program chosen in the object */
	char object[256];               /* tail of the object path */
	char attach_note[244];          /* why fallbacks were taken */
	/* Appended in the note's last bytes, so the record keeps its size (and
	 * an older state map its value size): the block's priority, and an XDP
	 * chain member's slot (ebpf/chain.h). */
	uint32_t has_priority;
	int32_t priority;
	uint32_t chain_slot;
};

const char *fw_attach_kind_name(enum fw_attach_kind kind);

/* Paths; buffers of FW_PATH_MAX. */
void fw_pins_prog_path(const char *root, const char *name, char *out);
void fw_pins_link_path(const char *root, const char *name, char *out);
/* A tc block's companion link: <root>/links/<name>@companion ('@' is never
 * in a program name; bpffs refuses '.' in names). */
void fw_pins_companion_path(const char *root, const char *name, char *out);
void fw_pins_map_dir(const char *root, const char *name, char *out);
void fw_pins_map_path(const char *root, const char *name, const char *map, char *out);

/* Mounts bpffs when missing (mode=0700), creates <root>/{progs,links,maps},
 * takes the root's advisory lock (flock: one daemon or `ebpf clean` at a
 * time; the second is told the holder's pid) and checks that the root and
 * every directory below it belong to this user and are writable by no one
 * else. Returns the fd holding the lock (keep it open while working on the
 * pins) or a negative errno. */
int fw_pins_prepare(const char *root, struct fw_error *err);

/* The state map, created on first use. Returns an fd or a negative errno. */
int fw_pins_state_open(const char *root, struct fw_error *err);
int fw_pins_record_get(int state_fd, const char *name, struct fw_pin_record *rec);
int fw_pins_record_put(int state_fd, const struct fw_pin_record *rec);
int fw_pins_record_delete(int state_fd, const char *name);
/* Calls fn for every record; stops on a non-zero return and returns it. */
int fw_pins_record_foreach(int state_fd,
			   int (*fn)(const struct fw_pin_record *rec, void *ctx),
			   void *ctx);

/* Pins fd at path, replacing what is there in one step: pinned first at
 * path@new, then renamed over path, so a crash never leaves path missing. */
#define FW_PIN_TMP_SUFFIX "@new"
int fw_pins_replace(int fd, const char *path);

/* Removes what an apply that never committed left behind: pins under links/,
 * progs/ and maps/ of names recorded() says have no record (the record is
 * written last), and every temporary @new pin. Returns how many went. */
int fw_pins_sweep(const char *root, bool (*recorded)(const char *name, void *ctx), void *ctx);

/* Removes a pin if present (ENOENT is success). */
int fw_pins_unlink(const char *path);
/* Calls fn with the name and an fd of every map pinned for program name; the
 * fd is closed when fn returns (dup it to keep it). */
void fw_pins_for_each_map(const char *root, const char *name,
			  void (*fn)(const char *map, int fd, void *ctx), void *ctx);

/* Removes <root>/maps/<name>/ and everything in it. */
int fw_pins_remove_maps(const char *root, const char *name);

#endif
