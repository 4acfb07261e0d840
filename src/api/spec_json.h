/* SPDX-License-Identifier: MIT */
/* The JSON forms of a program load request and of run-time args. */
#ifndef FLYWALL_API_SPEC_JSON_H
#define FLYWALL_API_SPEC_JSON_H

#include <jansson.h>

#include "api/backend.h"
#include "api/response.h"
#include "ebpf/spec.h"

/* JSON load request → program spec. 0, or a negative errno with resp
 * filled (fw_api_refuse); spec is released on failure. */
int fw_api_spec_from_json(const struct fw_api_backend *be, json_t *body,
			  struct fw_prog_spec *spec, struct fw_api_response *resp);
/* {"args": {...}} → args array. Same contract. */
int fw_api_args_from_json(json_t *args, struct fw_arg **out, size_t *n,
			  struct fw_api_response *resp);
void fw_api_args_free(struct fw_arg *args, size_t n);

#endif
