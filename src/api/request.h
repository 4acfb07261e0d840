/* SPDX-License-Identifier: MIT */
/* A request as the routes see it, and the checks of what a URL or a body
 * names (program and map names, addresses), shared by every route file. */
#ifndef FLYWALL_API_REQUEST_H
#define FLYWALL_API_REQUEST_H

#include <stdbool.h>
#include <stddef.h>

struct fw_api_request {
	const char *method;
	const char *path;               /* decoded, without the query */
	const char *authorization;      /* header value or NULL */
	const char *last_event_id;      /* header value or NULL (SSE resume) */
	const char *body;               /* may be NULL */
	size_t body_len;
	/* Value of a query argument, or NULL. */
	const char *(*query)(void *ctx, const char *key);
	void *query_ctx;
};

/* Names in URLs: [A-Za-z0-9_][A-Za-z0-9_.-]*, shorter than FW_NAME_MAX. */
bool fw_api_name_valid(const char *name);

/* An IPv4/IPv6 address or CIDR with no host bits set; why says what is
 * wrong otherwise. */
bool fw_api_address_valid(const char *text, char *why, size_t why_size);

#endif
