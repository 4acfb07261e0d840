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

#include <jansson.h>
#include <stddef.h>

#include "common/error.h"
#include "config/cluster_config.h"
#include "ebpf/spec.h"

#define FW_DEFAULT_CONFIG "/etc/flywall/flywall.hcl"
#define FW_DEFAULT_PROGRAM_DIR "/etc/flywall/ebpf"
#define FW_DEFAULT_API_LISTEN "127.0.0.1:8080"
#define FW_DEFAULT_TOKEN_FILE "/etc/flywall/api.token"

#define FW_API_UNIX_PREFIX "unix:"
#define FW_API_UNIX_PATH_MAX 108        /* sizeof(sockaddr_un.sun_path) */
#define FW_API_ALLOWED_HOSTS_MAX 16
#define FW_API_HOST_MAX 254             /* a DNS name (253) and its NUL */

struct fw_api_config {
	char listen[128];               /* "host:port", "[v6]:port" or "unix:/abs/path" */
	char token_file[FW_PATH_MAX];
	/* Host header names answered besides IP addresses, localhost and the
	 * listen host (DNS rebinding defence). */
	char allowed_hosts[FW_API_ALLOWED_HOSTS_MAX][FW_API_HOST_MAX];
	size_t n_allowed_hosts;
	bool read_auth;                 /* GETs need the token too */
	char socket_group[64];          /* unix listen: the socket's group ("" = ours) */
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
	struct fw_cluster_config cluster;   /* the cluster block (docs/cluster.md) */
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

/* ---- additions: positioned errors, JSON, shared field parsers ---------- */

struct hcl_diags;

/* Largest configuration file read (a sanity limit, not a format limit). */
#define FW_CONFIG_FILE_MAX (16u << 20)
/* Most programs in one configuration, maps and args in one program. */
#define FW_CONFIG_MAX_PROGS 1024
#define FW_CONFIG_MAX_MAPS 256
#define FW_CONFIG_MAX_ARGS 256

/*
 * As fw_config_load_string, but the errors go to diags (see config/hcl.h),
 * which keeps each one's line, column and message apart; diags must be
 * initialised with the same name and text. Returns the number of errors.
 */
int fw_config_load_diags(const char *name, const char *text, size_t len,
			 struct fw_config *cfg, struct hcl_diags *diags);
/* Reads a whole file (at most FW_CONFIG_FILE_MAX bytes) into a malloc'd,
 * NUL-terminated buffer. 0 or a negative errno with err->msg set. */
int fw_config_read_file(const char *path, char **text, size_t *len, struct fw_error *err);

/* The validated configuration as `flywall config check --json` prints it. */
json_t *fw_config_to_json(const struct fw_config *cfg);
json_t *fw_prog_spec_to_json(const struct fw_prog_spec *spec);

/*
 * Field parsers, shared with the REST API (which builds a fw_prog_spec from
 * JSON): each returns 0, or -EINVAL with a message in err->msg that says what
 * is wrong and what is expected, with a "did you mean" where one is close.
 */
int fw_hook_parse(const char *text, enum fw_hook *hook, struct fw_error *err);
int fw_map_type_parse(const char *text, enum fw_map_type *type, struct fw_error *err);
int fw_tc_direction_parse(const char *text, enum fw_tc_direction *dir, struct fw_error *err);
int fw_xdp_mode_parse(const char *text, enum fw_xdp_mode *mode, struct fw_error *err);
/* "dns" -> FW_SVC_DNS, "dhcp" -> FW_SVC_DHCP. */
int fw_service_parse(const char *text, enum fw_service *svc, struct fw_error *err);
const char *fw_service_name(enum fw_service svc);
/* "1gbit", "512kbit", "10gbps" (bytes/s), "1000000" (bit/s) -> bit/s, > 0.
 * SI prefixes (k = 1000); kibit, mibit, gibit, tibit (and ...ibps) are 1024-based. */
int fw_rate_parse(const char *text, uint64_t *bits_per_sec, struct fw_error *err);
/* A burst: the rate units without "per second" ("100mbit" = 10^8 bits). */
int fw_burst_parse(const char *text, uint64_t *bits, struct fw_error *err);
/* Names: program [A-Za-z0-9_-]{1,63}; map and arg: a C identifier of at
 * most 63 characters; interface: a Linux interface name (1-15 characters). */
int fw_prog_name_valid(const char *name, struct fw_error *err);
int fw_map_name_valid(const char *name, struct fw_error *err);
int fw_arg_name_valid(const char *name, struct fw_error *err);
int fw_ifname_valid(const char *name, struct fw_error *err);
/* "category:name", each part [A-Za-z0-9_]+, at most 127 characters. */
int fw_tracepoint_valid(const char *text, struct fw_error *err);
/* A kernel symbol: [A-Za-z_][A-Za-z0-9_.]*, at most 127 characters. */
int fw_function_valid(const char *text, struct fw_error *err);
/* 1 .. FW_MAP_SIZE_MAX. */
int fw_map_size_valid(int64_t size, struct fw_error *err);
/* A block's priority among those sharing its hook point (lower runs first). */
#define FW_PRIORITY_MIN 0
#define FW_PRIORITY_MAX 65535
int fw_priority_valid(int64_t priority, struct fw_error *err);
/* What a type needs of its size (a ringbuf: a power of two >= 4096 bytes). */
int fw_map_override_valid(enum fw_map_type type, uint32_t size, struct fw_error *err);
/* Joins path to base_dir when relative and normalises "." and ".." without
 * touching the file system; out gets an absolute path. */
int fw_path_resolve(const char *base_dir, const char *path, char *out, size_t size,
		    struct fw_error *err);
/* The choice closest to word (edit distance, small typos only), or NULL. */
const char *fw_suggest(const char *word, const char *const *choices, size_t n);

#endif
