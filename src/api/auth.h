/* SPDX-License-Identifier: MIT */
/*
 * The API's bearer token: read from api { token_file }, or generated there
 * (0600, 256 random bits as hex) at first start. Mutating requests must send
 * "Authorization: Bearer <token>".
 */
#ifndef FLYWALL_API_AUTH_H
#define FLYWALL_API_AUTH_H

#include <stddef.h>

#include "common/error.h"

#define FW_TOKEN_MAX 256        /* longest token accepted, incl. NUL */

enum fw_auth_result {
	FW_AUTH_OK,
	FW_AUTH_MISSING,        /* no Authorization header, or not "Bearer" → 401 */
	FW_AUTH_WRONG,          /* a Bearer token that is not ours → 403 */
};

/* The daemon's side: reads the token from path, creating the file with a
 * fresh token when it does not exist. The file must be owned by the
 * effective user and closed to group and others (-EPERM otherwise, the fix
 * in the message). 0 or a negative errno with err filled. */
int fw_api_token_load(const char *path, char *token, size_t size, struct fw_error *err);
/* Reads an existing token file (the CLI's side); never creates one. */
int fw_api_token_read(const char *path, char *token, size_t size, struct fw_error *err);
/* Checks an Authorization header value (may be NULL) against the token, in
 * time that does not depend on where they differ. */
enum fw_auth_result fw_api_auth_check(const char *expected, const char *authorization);

#endif
