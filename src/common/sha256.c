// SPDX-License-Identifier: MIT
#include "common/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>

void fw_sha256_init(struct fw_sha256 *ctx)
{
	sha256_init(&ctx->nettle);
}

void fw_sha256_update(struct fw_sha256 *ctx, const void *data, size_t len)
{
	sha256_update(&ctx->nettle, len, data);
}

void fw_sha256_final(struct fw_sha256 *ctx, uint8_t digest[FW_SHA256_LEN])
{
	sha256_digest(&ctx->nettle, FW_SHA256_LEN, digest);
}

void fw_sha256_final_hex(struct fw_sha256 *ctx, char hex[FW_SHA256_HEX_LEN])
{
	uint8_t digest[FW_SHA256_LEN];

	fw_sha256_final(ctx, digest);
	for (int i = 0; i < FW_SHA256_LEN; i++)
		snprintf(hex + 2 * i, 3, "%02x", digest[i]);
}

int fw_sha256_file_hex(const char *path, char hex[FW_SHA256_HEX_LEN])
{
	struct fw_sha256 ctx;
	char buf[65536];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	fw_sha256_init(&ctx);
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		fw_sha256_update(&ctx, buf, n);
	if (n < 0) {
		n = -errno;
		close(fd);
		return n;
	}
	close(fd);
	fw_sha256_final_hex(&ctx, hex);
	return 0;
}
