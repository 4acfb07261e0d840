/* SPDX-License-Identifier: MIT */
/*
 * The Host header check that keeps web pages out through DNS rebinding: a
 * page on rebind.example whose name is made to point at 127.0.0.1 can send
 * requests to the API, but its browser still says "Host: rebind.example".
 * Answered are IP addresses (a page can only carry one as its Host when it
 * was served from that very address and port), localhost, the host of
 * api { listen } and the names of api { allowed_hosts }; any port.
 */
#ifndef FLYWALL_API_HOST_CHECK_H
#define FLYWALL_API_HOST_CHECK_H

#include <stdbool.h>

#include "config/ebpf_config.h"

/* host: the header's value, NULL when absent (HTTP/1.0 clients; browsers
 * always send one). */
bool fw_api_host_allowed(const struct fw_api_config *cfg, const char *host);

#endif
