/* SPDX-License-Identifier: MIT */
/*
 * The CLI's side of the REST API (libcurl). The API address and token come
 * from, in order: --api URL / --token-file F, the environment (FLYWALL_API,
 * FLYWALL_TOKEN), then the configuration file (-c FILE, default
 * /etc/flywall/flywall.hcl: its api { listen, token_file }). An address
 * "unix:PATH" is the daemon's UNIX socket.
 */
#ifndef FLYWALL_CLI_CLIENT_H
#define FLYWALL_CLI_CLIENT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "api/auth.h"
#include "config/ebpf_config.h"
#include "ebpf/spec.h"

/* Exit codes of the client commands. */
#define FW_EXIT_FAIL 1          /* the daemon answered with an error */
#define FW_EXIT_USAGE 2
#define FW_EXIT_NO_DAEMON 3     /* nothing answers at the API address */

struct fw_client {
	char url[256];                  /* "http://127.0.0.1:8080", no trailing / */
	char unix_path[FW_API_UNIX_PATH_MAX]; /* --api unix:PATH: the socket ("" for TCP) */
	char token[FW_TOKEN_MAX];       /* "" until needed */
	char token_file[FW_PATH_MAX];
	bool json;                      /* --json: print the API's JSON */
};

/*
 * Parses the common options (--api, --token-file, -c/--config, --json/-j)
 * out of argv (argv[0] is the command's name) and works out the address.
 * *first is the index of the first positional argument. 0, or an exit code
 * after printing why.
 */
int fw_client_init(struct fw_client *cl, int argc, char **argv, int *first);

/* The usage line of the common options, for command help. */
#define FW_CLIENT_OPTIONS "[--json] [--api URL|unix:PATH] [--token-file F] [-c FILE]"

/* Prints "Usage: flywall ebpf CMD ARGS [options]" to stderr; FW_EXIT_USAGE.
 * cmd: the words after "flywall ebpf" ("blocklist add"). */
int fw_client_usage(const char *cmd, const char *args);
/* A usage error that names the word at fault, then the usage. */
int fw_client_usage_word(const char *cmd, const char *args, const char *why, const char *word);

/*
 * One request. body may be NULL; needs_token adds the Authorization header.
 * On an answer: 0, *status and *out (the parsed JSON, or NULL if the body is
 * not JSON). When nothing answers or the token cannot be read: prints that in
 * one line (JSON with --json) and returns an exit code.
 */
int fw_client_call(struct fw_client *cl, const char *method, const char *path,
		   json_t *body, bool needs_token, long *status, json_t **out);

/* The same with a body of any type (text/plain uploads, ...). */
int fw_client_send(struct fw_client *cl, const char *method, const char *path,
		   const char *content_type, const char *body, size_t body_len,
		   bool needs_token, long *status, json_t **out);

/* A mutating request whose body is read (read() fills buf with up to max
 * bytes, 0 at the end, (size_t)-1 to give up) and sent as it is produced,
 * chunked. Needs the token. Exit code like fw_client_call; a read() that
 * gave up returns 0 with no answer. */
int fw_client_upload(struct fw_client *cl, const char *method, const char *path,
		     const char *content_type,
		     size_t (*read)(char *buf, size_t max, void *ctx), void *ctx,
		     long *status, json_t **out);

/* A GET whose answer is read line by line as it arrives (NDJSON listings):
 * on_line gets each line until it returns false. An error answer is printed;
 * a transfer that breaks off is an error (what was passed on is incomplete).
 * Exit code like fw_client_call. */
int fw_client_get_lines(struct fw_client *cl, const char *path,
			bool (*on_line)(const char *line, void *ctx), void *ctx);

/*
 * Request paths with values put in escaped (RFC 3986, by libcurl): a path
 * segment ("/api/ebpf/programs/" + escaped name) and query parameters
 * appended one at a time ("?key=value", then "&key=value"; a NULL value adds
 * nothing). A path that does not fit is cut short and fails the call later
 * with an error answer, never sent half-escaped: both return -ENAMETOOLONG.
 */
int fw_client_escape(const char *text, char *out, size_t size);
int fw_client_path(char *path, size_t size, const char *base, const char *segment,
		   const char *suffix);
int fw_client_add_query(char *path, size_t size, const char *key, const char *value);

/* Prints an error answer: "flywall: ERROR (DETAIL)" or the JSON body. */
void fw_client_print_error(const struct fw_client *cl, long status, json_t *body);

/* Prints a client-side error the same way: one line, or {"error","detail"}. */
int fw_client_fail(const struct fw_client *cl, int exit_code, const char *detail,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Follows an SSE stream; on_event gets each event's id and data (a JSON
 * text) until it returns false or the stream ends. Exit code like call. */
int fw_client_stream(struct fw_client *cl, const char *path,
		     bool (*on_event)(const char *id, const char *data, void *ctx), void *ctx);

#endif
