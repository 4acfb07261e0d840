/* SPDX-License-Identifier: MIT */
/*
 * The daemon's HTTP server (libmicrohttpd, a thread per connection): listens
 * on api { listen }, loads or creates the token of api { token_file }, and
 * answers every endpoint of routes.c.
 */
#ifndef FLYWALL_API_SERVER_H
#define FLYWALL_API_SERVER_H

#include <stdint.h>

#include "api/routes.h"
#include "common/error.h"
#include "config/ebpf_config.h"

#define FW_API_CONNECTION_LIMIT 256
#define FW_API_IDLE_TIMEOUT_S 30

struct fw_api_server;

/* Starts serving the daemon's backend. NULL with err filled on failure (the
 * address is in use, the token file cannot be made, ...). */
struct fw_api_server *fw_api_server_start(const struct fw_api_config *cfg,
					  struct fw_error *err);
/* The same with another backend (tests). */
struct fw_api_server *fw_api_server_start_with(const struct fw_api_config *cfg,
					       const struct fw_api_backend *be,
					       struct fw_error *err);
/* The port it listens on (useful with "host:0"). */
uint16_t fw_api_server_port(const struct fw_api_server *srv);
/* Ends open event streams, stops, frees. NULL is fine. */
void fw_api_server_stop(struct fw_api_server *srv);

/* Splits "host:port" or "[v6]:port"; 0 or -EINVAL with err filled. */
int fw_api_listen_parse(const char *listen, char *host, size_t host_size,
			uint16_t *port, struct fw_error *err);

#endif
