// SPDX-License-Identifier: MIT
/*
 * The digest the daemon compares to decide whether a block is unchanged
 * (kept as it runs) or must be reloaded: every field of the block and every
 * byte of the object count; the same block and object give the same digest.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/spec.h"

static char object[64];

static void write_object(const char *bytes, size_t len)
{
	FILE *f = fopen(object, "w");

	assert_non_null(f);
	assert_int_equal(fwrite(bytes, 1, len, f), len);
	fclose(f);
}

static int setup(void **state)
{
	snprintf(object, sizeof(object), "/tmp/flywall-spec-test-%d.o", (int)getpid());
	write_object("\177ELF first build", 16);
	return 0;
}

static int teardown(void **state)
{
	unlink(object);
	return 0;
}

static struct fw_map_override maps[1];
static struct fw_arg args[1];

/* An xdp block with one map override and one integer arg. */
static struct fw_prog_spec block(void)
{
	struct fw_prog_spec s = { .hook = FW_HOOK_XDP, .maps = maps, .n_maps = 1,
				  .args = args, .n_args = 1 };

	snprintf(s.name, sizeof(s.name), "dropper");
	snprintf(s.object, sizeof(s.object), "%s", object);
	snprintf(s.interface, sizeof(s.interface), "eth0");
	maps[0] = (struct fw_map_override){ .name = "seen", .type = FW_MAP_DEFAULT, .size = 4096 };
	args[0] = (struct fw_arg){ .name = "verdict", .kind = FW_ARG_INT, .i = 1 };
	return s;
}

static uint64_t digest(const struct fw_prog_spec *s)
{
	uint64_t h = 0;

	assert_int_equal(fw_prog_spec_hash(s, &h), 0);
	return h;
}

static void test_same_block_same_digest(void **state)
{
	struct fw_prog_spec a = block(), b = block();

	assert_true(digest(&a) == digest(&b));
}

static void test_rebuilt_object_changes_it(void **state)
{
	struct fw_prog_spec s = block();
	uint64_t before = digest(&s);

	/* same length, one byte different, past the first bytes */
	write_object("\177ELF first builD", 16);
	assert_true(digest(&s) != before);
	/* and a large object whose change lies beyond the first read */
	{
		static char big[200000];

		memset(big, 'x', sizeof(big));
		write_object(big, sizeof(big));
		before = digest(&s);
		big[sizeof(big) - 1] = 'y';
		write_object(big, sizeof(big));
		assert_true(digest(&s) != before);
	}
}

static void test_every_field_changes_it(void **state)
{
	struct fw_prog_spec s = block();
	uint64_t base = digest(&s);

	s = block();
	snprintf(s.interface, sizeof(s.interface), "eth1");
	assert_true(digest(&s) != base);
	s = block();
	snprintf(s.name, sizeof(s.name), "dropper2");
	assert_true(digest(&s) != base);
	s = block();
	s.xdp_mode = FW_XDP_GENERIC;
	assert_true(digest(&s) != base);
	s = block();
	maps[0].size = 8192;
	assert_true(digest(&s) != base);
	s = block();
	maps[0].type = FW_MAP_LRU_HASH;
	assert_true(digest(&s) != base);
	s = block();
	/* differs only above the lowest byte */
	args[0].i = 257;
	assert_true(digest(&s) != base);
	s = block();
	args[0].kind = FW_ARG_BOOL;
	args[0].b = true;
	assert_true(digest(&s) != base);
	s = block();
	s.default_map_size = 1024;
	assert_true(digest(&s) != base);
}

static void test_unreadable_object(void **state)
{
	struct fw_prog_spec s = block();
	uint64_t h = 42;

	snprintf(s.object, sizeof(s.object), "/nonexistent/flywall.o");
	assert_int_equal(fw_prog_spec_hash(&s, &h), -ENOENT);
	assert_true(h == 42);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_same_block_same_digest, setup, teardown),
		cmocka_unit_test_setup_teardown(test_rebuilt_object_changes_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_field_changes_it, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable_object, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
