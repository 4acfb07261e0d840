/* SPDX-License-Identifier: MIT */
/*
 * The typed, validated configuration: the `ebpf {}` block of the spec and the
 * daemon's `api {}` block. Built from the HCL tree; every error in a file is
 * reported at once, each with file:line:col.
 */
#ifndef FLYWALL_CONFIG_EBPF_CONFIG_H
#define FLYWALL_CONFIG_EBPF_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "ebpf/spec.h"

#define FW_DEFAULT_CONFIG "/etc/flywall/flywall.hcl"
#define FW_DEFAULT_PROGRAM_DIR "/etc/flywall/ebpf"
#define FW_DEFAULT_API_LISTEN "127.0.0.1:8080"
#define FW_DEFAULT_TOKEN_FILE "/etc/flywall/api.token"

struct fw_api_config {
	char listen[128];               /* "host:port" */
	char token_file[FW_PATH_MAX];
};

struct fw_ebpf_config {
	bool enabled;
	char program_dir[FW_PATH_MAX];
	uint32_t map_size;
	bool jit;
	struct fw_prog_spec *progs;     /* owned, in file order */
	size_t n_progs;
};

struct fw_config {
	char path[FW_PATH_MAX];
	struct fw_ebpf_config ebpf;
	struct fw_api_config api;
};

/*
 * Parses and validates. On success returns 0 and fills cfg. On failure returns
 * the number of errors (> 0) and sets *errors to a malloc'd text with every
 * error, each "file:line:col: error: message", the offending line and a caret.
 * A file that cannot be read is one such error.
 */
int fw_config_load_file(const char *path, struct fw_config *cfg, char **errors);
int fw_config_load_string(const char *name, const char *text, size_t len,
			  struct fw_config *cfg, char **errors);
void fw_config_release(struct fw_config *cfg);

#endif
