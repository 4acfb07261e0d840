/* SPDX-License-Identifier: MIT */
/*
 * SHA-256 for content-addressed caches (the BPF compiler's): nettle's, behind
 * the few calls the callers use. A plain struct on the stack, nothing to free,
 * so an early return between init and final leaks nothing.
 */
#ifndef FLYWALL_COMMON_SHA256_H
#define FLYWALL_COMMON_SHA256_H

#include <nettle/sha2.h>
#include <stddef.h>
#include <stdint.h>

#define FW_SHA256_LEN SHA256_DIGEST_SIZE
#define FW_SHA256_HEX_LEN (2 * FW_SHA256_LEN + 1) /* with the NUL */

struct fw_sha256 {
	struct sha256_ctx nettle;
};

void fw_sha256_init(struct fw_sha256 *ctx);
void fw_sha256_update(struct fw_sha256 *ctx, const void *data, size_t len);
void fw_sha256_final(struct fw_sha256 *ctx, uint8_t digest[FW_SHA256_LEN]);
/* Finishes and writes the digest as lower-case hex. */
void fw_sha256_final_hex(struct fw_sha256 *ctx, char hex[FW_SHA256_HEX_LEN]);
/* Hashes a whole file into hex. 0 or a negative errno. */
int fw_sha256_file_hex(const char *path, char hex[FW_SHA256_HEX_LEN]);

#endif
