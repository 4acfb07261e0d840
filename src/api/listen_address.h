/* SPDX-License-Identifier: MIT */
/* api { listen }: "HOST:PORT", "[V6]:PORT" or "unix:PATH", read by the
 * server, its Host check and the CLI alike. */
#ifndef FLYWALL_API_LISTEN_ADDRESS_H
#define FLYWALL_API_LISTEN_ADDRESS_H

#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

/* Splits "host:port" or "[v6]:port"; 0 or -EINVAL with err filled. */
int fw_api_listen_parse(const char *listen, char *host, size_t host_size,
			uint16_t *port, struct fw_error *err);
/* The socket path of "unix:PATH", or NULL for a TCP address. */
const char *fw_api_listen_unix_path(const char *listen);

#endif
