// SPDX-License-Identifier: MIT
/* Kernel symbol resolution from a kallsyms-format file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ebpf/ksyms.h"

static char path[64];

static void write_file(const char *text)
{
	FILE *f;
	int fd;

	strcpy(path, "/tmp/flywall-ksyms-XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(text, f);
	fclose(f);
}

static int remove_file(void **state)
{
	unlink(path);
	return 0;
}

static const char kallsyms[] =
	"ffffffff81000000 T _stext\n"
	"ffffffff81a00000 t tcp_v4_connect\n"
	"ffffffff81a00400 T tcp_connect\n"
	"ffffffff81a00400 T tcp_connect_alias\n"
	"ffffffff82000000 D some_data\n"                /* not text: ignored */
	"ffffffffc0001000 t bpf_prog_0123456789abcdef_net_trace\t[bpf]\n"
	"ffffffffc0200000 t veth_xmit\t[veth]\n"
	"garbage line\n"
	"ffffffff81900000 W weak_fn\n";

static void test_resolve_and_format(void **state)
{
	struct fw_error err = {};
	struct fw_ksyms *ks;
	char buf[128];

	write_file(kallsyms);
	assert_int_equal(fw_ksyms_load(path, &ks, &err), 0);
	assert_int_equal(fw_ksyms_count(ks), 7);

	fw_ksyms_format(ks, 0xffffffff81a0026f, buf, sizeof(buf));
	assert_string_equal(buf, "tcp_v4_connect+0x26f");
	fw_ksyms_format(ks, 0xffffffff81a00000, buf, sizeof(buf));
	assert_string_equal(buf, "tcp_v4_connect+0x0");
	/* aliases: the same (first by name) every time */
	fw_ksyms_format(ks, 0xffffffff81a00410, buf, sizeof(buf));
	assert_string_equal(buf, "tcp_connect+0x10");
	/* data symbols do not capture text addresses past them */
	fw_ksyms_format(ks, 0xffffffff82000010, buf, sizeof(buf));
	assert_string_equal(buf, "tcp_connect+0x5ffc10");
	fw_ksyms_format(ks, 0xffffffffc0200004, buf, sizeof(buf));
	assert_string_equal(buf, "veth_xmit+0x4 [veth]");
	fw_ksyms_format(ks, 0xffffffff81900001, buf, sizeof(buf));
	assert_string_equal(buf, "weak_fn+0x1");
	/* below every symbol: the bare address */
	fw_ksyms_format(ks, 0x1000, buf, sizeof(buf));
	assert_string_equal(buf, "0x1000");
	assert_null(fw_ksyms_resolve(ks, 0x1000));
	assert_int_equal(fw_ksyms_address(ks, "tcp_v4_connect"), 0xffffffff81a00000);
	assert_int_equal(fw_ksyms_address(ks, "nope"), 0);
	fw_ksyms_free(ks);
}

/* Aliases at the lowest address too: the first by name. */
static void test_aliases_at_the_first_address(void **state)
{
	struct fw_error err = {};
	struct fw_ksyms *ks;
	char buf[128];

	write_file("ffffffff81000000 T b_start\nffffffff81000000 T a_start\n"
		   "ffffffff81000100 T next_fn\n");
	assert_int_equal(fw_ksyms_load(path, &ks, &err), 0);
	fw_ksyms_format(ks, 0xffffffff81000010, buf, sizeof(buf));
	assert_string_equal(buf, "a_start+0x10");
	fw_ksyms_free(ks);
}

static void test_hidden_addresses(void **state)
{
	struct fw_error err = {};
	struct fw_ksyms *ks = NULL;

	write_file("0000000000000000 T _stext\n0000000000000000 t tcp_v4_connect\n");
	assert_int_equal(fw_ksyms_load(path, &ks, &err), -EPERM);
	assert_null(ks);
	assert_non_null(strstr(err.msg, "kptr_restrict"));
}

static void test_missing_file(void **state)
{
	struct fw_error err = {};
	struct fw_ksyms *ks = NULL;

	assert_int_equal(fw_ksyms_load("/nonexistent/kallsyms", &ks, &err), -ENOENT);
	assert_string_equal(err.msg, "cannot read kernel symbols from /nonexistent/kallsyms: "
				     "No such file or directory");
}

/* Without privileges the real file may hide addresses; with them, the
 * kernel's own tcp_v4_connect resolves to itself. */
static void test_proc_kallsyms(void **state)
{
	struct fw_error err = {};
	struct fw_ksyms *ks;
	uint64_t addr;
	char buf[128];

	if (fw_ksyms_load(NULL, &ks, &err)) {
		printf("# /proc/kallsyms unusable here: %s\n", err.msg);
		skip();
	}
	addr = fw_ksyms_address(ks, "tcp_v4_connect");
	assert_true(addr != 0);
	fw_ksyms_format(ks, addr + 5, buf, sizeof(buf));
	assert_string_equal(buf, "tcp_v4_connect+0x5");
	fw_ksyms_free(ks);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_resolve_and_format, remove_file),
		cmocka_unit_test_teardown(test_aliases_at_the_first_address, remove_file),
		cmocka_unit_test_teardown(test_hidden_addresses, remove_file),
		cmocka_unit_test(test_missing_file),
		cmocka_unit_test(test_proc_kallsyms),
	};

	return cmocka_run_group_tests_name("ksyms", tests, NULL, NULL);
}
