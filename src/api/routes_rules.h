/* SPDX-License-Identifier: MIT */
/* The rule plane's endpoints (routes_rules.c), reached from routes.c's table:
 *   GET    /api/ebpf/programs/{program}/rules
 *   POST   /api/ebpf/programs/{program}/rules           add one rule
 *   PUT    /api/ebpf/programs/{program}/rules           replace the set
 *   DELETE /api/ebpf/programs/{program}/rules/{rule}
 *   GET    /api/ebpf/programs/{program}/feeds, POST .../feeds/reload
 *   GET    /api/ebpf/programs/{program}/top
 * routes.c has checked the token and parsed the body (an object) already;
 * the calls go through the backend it is given. */
#ifndef FLYWALL_API_ROUTES_RULES_H
#define FLYWALL_API_ROUTES_RULES_H

#include <jansson.h>

#include "api/backend.h"
#include "api/request.h"
#include "api/response.h"

void fw_api_rules_route(const struct fw_api_backend *be, const struct fw_api_request *req,
			json_t *body, struct fw_api_response *resp);

#endif
