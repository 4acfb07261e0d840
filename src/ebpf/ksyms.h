/* SPDX-License-Identifier: MIT */
/*
 * Kernel symbols from /proc/kallsyms, loaded once, to turn the addresses of a
 * kernel stack trace into "function+0xoffset". kallsyms has no symbol sizes:
 * an address resolves to the nearest text symbol at or below it.
 */
#ifndef FLYWALL_EBPF_KSYMS_H
#define FLYWALL_EBPF_KSYMS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define FW_KALLSYMS "/proc/kallsyms"

struct fw_ksyms;

struct fw_ksym {
	uint64_t addr;
	const char *name;       /* "tcp_v4_connect"; owned by the table */
	const char *module;     /* NULL for the kernel image */
};

/* Reads a kallsyms-format file (path NULL: /proc/kallsyms). Fails with
 * -EPERM when every address reads as zero (kptr_restrict hides them). */
int fw_ksyms_load(const char *path, struct fw_ksyms **out, struct fw_error *err);
void fw_ksyms_free(struct fw_ksyms *ksyms);

size_t fw_ksyms_count(const struct fw_ksyms *ksyms);

/* The symbol containing addr, or NULL when addr is below every symbol. */
const struct fw_ksym *fw_ksyms_resolve(const struct fw_ksyms *ksyms, uint64_t addr);
/* The symbol's address by exact name, 0 when unknown (a linear search). */
uint64_t fw_ksyms_address(const struct fw_ksyms *ksyms, const char *name);

/* Writes "name+0xoff", "name+0xoff [module]" or, unresolved, "0xaddr";
 * returns what snprintf returns. */
int fw_ksyms_format(const struct fw_ksyms *ksyms, uint64_t addr, char *buf, size_t len);

#endif
