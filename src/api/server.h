/* SPDX-License-Identifier: MIT */
/*
 * The daemon's HTTP server (libmicrohttpd, a thread per connection): listens
 * on api { listen } (TCP, or a UNIX socket for "unix:PATH"), loads or creates
 * the token of api { token_file }, and answers every endpoint of routes.c.
 * Before a request reaches the routes it passes, in the handler's first call
 * (headers only, no byte of a body read yet): the Host check (TCP), the
 * token when the route needs it (or every route with api { read_auth }) and
 * the body size. Connections are budgeted: see struct fw_api_limits.
 */
#ifndef FLYWALL_API_SERVER_H
#define FLYWALL_API_SERVER_H

#include <stdint.h>

#include "api/listen_address.h"
#include "api/routes.h"
#include "common/error.h"
#include "config/ebpf_config.h"

/* What one client can take of the server, so it cannot take all of it. */
struct fw_api_limits {
	unsigned int connections;       /* all clients together */
	unsigned int per_client;        /* from one IP address (TCP) */
	unsigned int event_streams;     /* open GET /api/ebpf/events; 503 beyond */
	/* Absolute deadlines, whatever the client's pace (a trickle of bytes
	 * does not extend them): */
	unsigned int header_ms;         /* a request's headers, from the connection's
					 * start or the end of the previous answer */
	unsigned int body_ms;           /* its body, from the end of the headers */
	unsigned int answer_ms;         /* sending the answer (event streams: none) */
	unsigned int idle_s;            /* no byte either way (libmicrohttpd's) */
};

#define FW_API_LIMITS_DEFAULT { .connections = 256, .per_client = 128, \
				.event_streams = 16, .header_ms = 10000, \
				.body_ms = 30000, .answer_ms = 60000, .idle_s = 30 }

struct fw_api_server;

/* Starts serving be (the daemon's, which must outlive the server). NULL
 * with err filled on failure (the address is in use, the token file cannot
 * be made or is not private, ...). */
struct fw_api_server *fw_api_server_start(const struct fw_api_config *cfg,
					  const struct fw_api_backend *be, struct fw_error *err);
/* The same with other limits (NULL: the defaults); tests. */
struct fw_api_server *fw_api_server_start_with(const struct fw_api_config *cfg,
					       const struct fw_api_backend *be,
					       const struct fw_api_limits *limits,
					       struct fw_error *err);
/* The port it listens on (useful with "host:0"); 0 for a UNIX socket. */
uint16_t fw_api_server_port(const struct fw_api_server *srv);
/* Ends open event streams, stops, removes its UNIX socket, frees. NULL is fine. */
void fw_api_server_stop(struct fw_api_server *srv);


#endif
