// SPDX-License-Identifier: MIT
/*
 * Running out of memory while reading a configuration is an error the user
 * reads, not an abort(). AddressSanitizer is told to fail (return NULL) any
 * allocation above 1 MiB, and a string of 2 MiB makes the parser ask for one.
 */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "config/ebpf_config.h"
#include "config/hcl.h"

const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "allocator_may_return_null=1:max_allocation_size_mb=1";
}

#define BIG (2u << 20)

/* x = "aaa…a" with BIG a's. Mapped, not allocated: the allocator refuses
 * anything this big. */
static char *make_text(size_t *len)
{
	static const char head[] = "x = \"";
	char *text;

	*len = sizeof(head) - 1 + BIG + 2;
	text = mmap(NULL, *len + 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (text == MAP_FAILED)
		return NULL;
	memcpy(text, head, sizeof(head) - 1);
	memset(text + sizeof(head) - 1, 'a', BIG);
	memcpy(text + sizeof(head) - 1 + BIG, "\"\n", 3);
	return text;
}

static void test_parse_out_of_memory_is_enomem(void **state)
{
	struct hcl_diags diags;
	struct hcl_doc doc;
	size_t len;
	char *text = make_text(&len);

	assert_non_null(text);
	hcl_diags_init(&diags, "big.hcl", text, len);
	assert_int_equal(hcl_parse(text, len, &doc, &diags), -ENOMEM);
	assert_true(diags.out_of_memory);
	hcl_doc_release(&doc);
	hcl_diags_release(&diags);
	munmap(text, len + 1);
}

static void test_configuration_says_out_of_memory(void **state)
{
	struct fw_config cfg = {};
	char *errors = NULL;
	size_t len;
	char *text = make_text(&len);

	assert_non_null(text);
	assert_int_equal(fw_config_load_string("big.hcl", text, len, &cfg, &errors), 1);
	assert_non_null(errors);
	assert_string_equal(errors, "big.hcl: error: out of memory (errors may be missing)\n");
	free(errors);
	munmap(text, len + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_out_of_memory_is_enomem),
		cmocka_unit_test(test_configuration_says_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
