/* SPDX-License-Identifier: MIT */
/*
 * What is running: one entry per program Flywall manages, rebuilt from the
 * pins on start (adoption) and kept current by reconcile. Everything in an
 * entry can be rebuilt from bpffs; the process-only parts are file
 * descriptors and, for programs this process loaded, the libbpf object.
 */
#ifndef FLYWALL_DAEMON_REGISTRY_H
#define FLYWALL_DAEMON_REGISTRY_H

#include <stdbool.h>

#include "common/error.h"
#include "ebpf/hooks.h"
#include "ebpf/loader.h"
#include "ebpf/pins.h"
#include "ebpf/spec.h"

struct fw_program {
	struct fw_pin_record rec;
	struct fw_prog_spec spec;       /* owned; name-only when adopted w/o config */
	bool has_spec;
	struct fw_object *obj;          /* NULL when an earlier run loaded it */
	struct fw_attachment att;       /* this process's handles */
	int prog_fd;                    /* the program that runs */
	int link_fd;                    /* the pinned link, or -1 */
};

struct fw_registry {
	char root[FW_PATH_MAX];
	int lock_fd;                    /* holds the pin root's lock */
	int state_fd;
	struct fw_program **progs;
	size_t n_progs;
	struct fw_hook_opts hook_opts;  /* how reconcile attaches */
};

/* Prepares and locks the pin root (fw_pins_prepare) and adopts every
 * program recorded there whose pins are still alive; records whose pins are
 * gone are dropped. The lock is held until fw_registry_close. */
int fw_registry_open(struct fw_registry *reg, const char *root, struct fw_error *err);
void fw_registry_close(struct fw_registry *reg);

struct fw_program *fw_registry_find(struct fw_registry *reg, const char *name);
/* Takes ownership of p. */
int fw_registry_add(struct fw_registry *reg, struct fw_program *p);
/* Removes p from the list (does not free it). */
void fw_registry_remove(struct fw_registry *reg, struct fw_program *p);

/* Frees an entry and its process handles; the kernel objects stay. */
void fw_program_free(struct fw_program *p);

/* Drops this process's handles on p's attachment (detaching what has no
 * link, such as a clsact filter or a socket) and removes its link pins, so
 * the links detach once no one else holds them. */
void fw_program_drop_links(const char *root, struct fw_program *p);

/* Detaches and unpins everything of p, deletes its record, frees it. */
int fw_program_destroy(struct fw_registry *reg, struct fw_program *p, struct fw_error *err);

/* Opens (or re-opens) the kernel objects an adopted record names. */
int fw_program_adopt(const char *root, const struct fw_pin_record *rec,
		     struct fw_program **out, struct fw_error *err);

#endif
