// SPDX-License-Identifier: MIT
/* The API token: generated once with 0600, read back unchanged, and checked
 * exactly (scheme, length, every byte). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/auth.h"

static char path[128];

static int setup(void **state)
{
	snprintf(path, sizeof(path), "/tmp/flywall-token-test-%d", (int)getpid());
	unlink(path);
	return 0;
}

static int teardown(void **state)
{
	unlink(path);
	return 0;
}

static void test_first_start_generates_a_private_token(void **state)
{
	char token[FW_TOKEN_MAX], again[FW_TOKEN_MAX];
	struct fw_error err = { 0 };
	struct stat st;

	assert_int_equal(fw_api_token_load(path, token, sizeof(token), &err), 0);
	assert_int_equal(strlen(token), 64);
	for (const char *p = token; *p; p++)
		assert_true(isxdigit((unsigned char)*p));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	assert_int_equal(fw_api_token_load(path, again, sizeof(again), &err), 0);
	assert_string_equal(token, again);
	assert_int_equal(fw_api_token_read(path, again, sizeof(again), &err), 0);
	assert_string_equal(token, again);
}

static void test_existing_token_is_read_trimmed(void **state)
{
	char token[FW_TOKEN_MAX];
	struct fw_error err = { 0 };
	FILE *f = fopen(path, "w");

	fputs("  s3cret-token\n\n", f);
	fclose(f);
	chmod(path, 0600);
	assert_int_equal(fw_api_token_load(path, token, sizeof(token), &err), 0);
	assert_string_equal(token, "s3cret-token");
}

static void test_bad_token_files(void **state)
{
	char token[FW_TOKEN_MAX];
	struct fw_error err = { 0 };
	FILE *f = fopen(path, "w");

	fputs("two words\n", f);
	fclose(f);
	chmod(path, 0600);
	assert_int_equal(fw_api_token_load(path, token, sizeof(token), &err), -EINVAL);
	assert_non_null(strstr(err.msg, "must hold one token on one line"));
	fw_error_clear(&err);
	unlink(path);
	assert_int_equal(fw_api_token_read(path, token, sizeof(token), &err), -ENOENT);
	assert_non_null(strstr(err.msg, "cannot read the API token file"));
	fw_error_clear(&err);
	assert_int_equal(fw_api_token_load("/nonexistent-dir/token", token, sizeof(token), &err),
			 -ENOENT);
	assert_non_null(strstr(err.msg, "cannot create the API token file /nonexistent-dir/token"));
	fw_error_clear(&err);
}

static void write_token(const char *text, mode_t mode)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
	chmod(path, mode);
}

/* Whoever else can read the daemon's token can do what it allows: the
 * daemon refuses such a file, and says how to fix it. */
static void test_daemon_refuses_a_token_others_can_read(void **state)
{
	static const mode_t open_modes[] = { 0640, 0604, 0660, 0620, 0644 };
	char token[FW_TOKEN_MAX], msg[512];
	struct fw_error err = { 0 };

	for (size_t i = 0; i < sizeof(open_modes) / sizeof(open_modes[0]); i++) {
		write_token("s3cret\n", open_modes[i]);
		assert_int_equal(fw_api_token_load(path, token, sizeof(token), &err), -EPERM);
		snprintf(msg, sizeof(msg), "API token file %s is open to other users (mode %04o); "
			 "fix it with 'chmod 600 %s'", path, (unsigned int)open_modes[i], path);
		assert_string_equal(err.msg, msg);
		fw_error_clear(&err);
	}
	/* The CLI reads what it can: the check is the daemon's. */
	assert_int_equal(fw_api_token_read(path, token, sizeof(token), &err), 0);
	assert_string_equal(token, "s3cret");
	write_token("s3cret\n", 0400);
	assert_int_equal(fw_api_token_load(path, token, sizeof(token), &err), 0);
}

static void test_daemon_refuses_a_token_owned_by_another_user(void **state)
{
	char token[FW_TOKEN_MAX], msg[512];
	struct fw_error err = { 0 };

	write_token("s3cret\n", 0600);
	if (chown(path, geteuid() + 1, (gid_t)-1)) {
		skip();         /* not root: cannot give the file away */
		return;
	}
	assert_int_equal(fw_api_token_load(path, token, sizeof(token), &err), -EPERM);
	snprintf(msg, sizeof(msg), "API token file %s is owned by uid %u, not by the daemon's "
		 "user (uid %u); fix it with 'chown %u %s' (or delete it to have a new one "
		 "generated)", path, geteuid() + 1, geteuid(), geteuid(), path);
	assert_string_equal(err.msg, msg);
	fw_error_clear(&err);
}

static void test_check(void **state)
{
	const char *t = "abc123";

	assert_int_equal(fw_api_auth_check(t, "Bearer abc123"), FW_AUTH_OK);
	assert_int_equal(fw_api_auth_check(t, "bearer abc123"), FW_AUTH_OK);
	assert_int_equal(fw_api_auth_check(t, "Bearer  abc123 "), FW_AUTH_OK);
	assert_int_equal(fw_api_auth_check(t, NULL), FW_AUTH_MISSING);
	assert_int_equal(fw_api_auth_check(t, ""), FW_AUTH_MISSING);
	assert_int_equal(fw_api_auth_check(t, "Bearer "), FW_AUTH_MISSING);
	assert_int_equal(fw_api_auth_check(t, "Basic YWJjOjEyMw=="), FW_AUTH_MISSING);
	assert_int_equal(fw_api_auth_check(t, "abc123"), FW_AUTH_MISSING);
	assert_int_equal(fw_api_auth_check(t, "Bearer abc12"), FW_AUTH_WRONG);
	assert_int_equal(fw_api_auth_check(t, "Bearer abc1234"), FW_AUTH_WRONG);
	assert_int_equal(fw_api_auth_check(t, "Bearer ABC123"), FW_AUTH_WRONG);
	assert_int_equal(fw_api_auth_check(t, "Bearer xbc123"), FW_AUTH_WRONG);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_first_start_generates_a_private_token, setup, teardown),
		cmocka_unit_test_setup_teardown(test_existing_token_is_read_trimmed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_token_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_daemon_refuses_a_token_others_can_read, setup, teardown),
		cmocka_unit_test_setup_teardown(test_daemon_refuses_a_token_owned_by_another_user, setup, teardown),
		cmocka_unit_test(test_check),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
