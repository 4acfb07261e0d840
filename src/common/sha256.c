// SPDX-License-Identifier: MIT
#include "common/sha256.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static const uint32_t round_constants[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4, 0xab1c5ed5,
	0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe, 0x9bdc06a7, 0xc19bf174,
	0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f, 0x4a7484aa, 0x5cb0a9dc, 0x76f988da,
	0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7, 0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967,
	0x27b70a85, 0x2e1b2138, 0x4d2c6dfc, 0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85,
	0xa2bfe8a1, 0xa81a664b, 0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070,
	0x19a4c116, 0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7, 0xc67178f2,
};

static uint32_t ror(uint32_t x, int n)
{
	return (x >> n) | (x << (32 - n));
}

static void compress(uint32_t state[8], const uint8_t block[64])
{
	uint32_t w[64], s[8];

	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)block[4 * i] << 24 | (uint32_t)block[4 * i + 1] << 16 |
		       (uint32_t)block[4 * i + 2] << 8 | block[4 * i + 3];
	for (int i = 16; i < 64; i++) {
		uint32_t s0 = ror(w[i - 15], 7) ^ ror(w[i - 15], 18) ^ (w[i - 15] >> 3);
		uint32_t s1 = ror(w[i - 2], 17) ^ ror(w[i - 2], 19) ^ (w[i - 2] >> 10);

		w[i] = w[i - 16] + s0 + w[i - 7] + s1;
	}
	memcpy(s, state, sizeof(s));
	for (int i = 0; i < 64; i++) {
		uint32_t a = s[0], b = s[1], c = s[2], d = s[3];
		uint32_t e = s[4], f = s[5], g = s[6], h = s[7];
		uint32_t t1 = h + (ror(e, 6) ^ ror(e, 11) ^ ror(e, 25)) + ((e & f) ^ (~e & g)) +
			      round_constants[i] + w[i];
		uint32_t t2 = (ror(a, 2) ^ ror(a, 13) ^ ror(a, 22)) + ((a & b) ^ (a & c) ^ (b & c));

		s[7] = g;
		s[6] = f;
		s[5] = e;
		s[4] = d + t1;
		s[3] = c;
		s[2] = b;
		s[1] = a;
		s[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		state[i] += s[i];
}

void fw_sha256_init(struct fw_sha256 *ctx)
{
	static const uint32_t initial[8] = {
		0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
		0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19,
	};

	memcpy(ctx->state, initial, sizeof(initial));
	ctx->length = 0;
	ctx->used = 0;
}

void fw_sha256_update(struct fw_sha256 *ctx, const void *data, size_t len)
{
	const uint8_t *p = data;

	ctx->length += len;
	while (len) {
		size_t n = sizeof(ctx->block) - ctx->used;

		if (n > len)
			n = len;
		memcpy(ctx->block + ctx->used, p, n);
		ctx->used += n;
		p += n;
		len -= n;
		if (ctx->used == sizeof(ctx->block)) {
			compress(ctx->state, ctx->block);
			ctx->used = 0;
		}
	}
}

void fw_sha256_final(struct fw_sha256 *ctx, uint8_t digest[FW_SHA256_LEN])
{
	uint64_t bits = ctx->length * 8;
	uint8_t pad = 0x80, length_be[8];

	/* 0x80, zeros up to 56 mod 64, then the length in bits, big-endian */
	fw_sha256_update(ctx, &pad, 1);
	pad = 0;
	while (ctx->used != 56)
		fw_sha256_update(ctx, &pad, 1);
	for (int i = 0; i < 8; i++)
		length_be[i] = bits >> (56 - 8 * i);
	fw_sha256_update(ctx, length_be, 8);
	for (int i = 0; i < 8; i++)
		for (int b = 0; b < 4; b++)
			digest[4 * i + b] = ctx->state[i] >> (24 - 8 * b);
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
