// SPDX-License-Identifier: MIT
/* SHA-256 (nettle behind fw_sha256_*) against the FIPS 180-4 examples and a file read in pieces. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "common/sha256.h"

static void hex_of(const char *text, size_t repeat, char hex[FW_SHA256_HEX_LEN])
{
	struct fw_sha256 ctx;

	fw_sha256_init(&ctx);
	for (size_t i = 0; i < repeat; i++)
		fw_sha256_update(&ctx, text, strlen(text));
	fw_sha256_final_hex(&ctx, hex);
}

static void test_empty(void **state)
{
	char hex[FW_SHA256_HEX_LEN];

	hex_of("", 1, hex);
	assert_string_equal(hex, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
}

static void test_abc(void **state)
{
	char hex[FW_SHA256_HEX_LEN];

	hex_of("abc", 1, hex);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

/* 56 bytes: the padding needs a second block. */
static void test_two_blocks(void **state)
{
	char hex[FW_SHA256_HEX_LEN];

	hex_of("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 1, hex);
	assert_string_equal(hex, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

/* A million 'a', fed a piece at a time. */
static void test_million_a(void **state)
{
	char hex[FW_SHA256_HEX_LEN];

	hex_of("aaaaaaaaaa", 100000, hex);
	assert_string_equal(hex, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
}

static void test_file(void **state)
{
	char path[] = "/tmp/flywall-sha256-XXXXXX", hex[FW_SHA256_HEX_LEN];
	int fd = mkstemp(path);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, "abc", 3), 3);
	close(fd);
	assert_int_equal(fw_sha256_file_hex(path, hex), 0);
	unlink(path);
	assert_string_equal(hex, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	assert_int_equal(fw_sha256_file_hex(path, hex), -2 /* ENOENT */);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty),
		cmocka_unit_test(test_abc),
		cmocka_unit_test(test_two_blocks),
		cmocka_unit_test(test_million_a),
		cmocka_unit_test(test_file),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
