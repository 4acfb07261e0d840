// SPDX-License-Identifier: MIT
/* Where `flywall ebpf` finds the API and its token: --api/--token-file, then
 * FLYWALL_API/FLYWALL_TOKEN, then the configuration's api {} block, then the
 * defaults; and what it says when nothing answers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api/server.h"
#include "cli/client.h"
#include "config/ebpf_config.h"
#include "api_fake_backend.h"
#include "api_netns.h"

static char config[128], token_file[128];

static int setup(void **state)
{
	FILE *f;

	unsetenv("FLYWALL_API");
	unsetenv("FLYWALL_TOKEN");
	snprintf(config, sizeof(config), "/tmp/flywall-client-test-%d.hcl", (int)getpid());
	snprintf(token_file, sizeof(token_file), "/tmp/flywall-client-test-%d.token", (int)getpid());
	f = fopen(config, "w");
	fprintf(f, "ebpf {\n  enabled = true\n}\napi {\n  listen = \"0.0.0.0:9090\"\n"
		"  token_file = \"%s\"\n}\n", token_file);
	fclose(f);
	f = fopen(token_file, "w");
	fputs("from-config-file\n", f);
	fclose(f);
	chmod(token_file, 0600);
	return 0;
}

static int teardown(void **state)
{
	unlink(config);
	unlink(token_file);
	return 0;
}

/* Runs fw_client_init on a command line; returns its result. */
static int init(struct fw_client *cl, int *first, const char *line)
{
	static char buf[512];
	char *argv[16], *save = NULL;
	int argc = 0;

	snprintf(buf, sizeof(buf), "%s", line);
	for (char *w = strtok_r(buf, " ", &save); w && argc < 15; w = strtok_r(NULL, " ", &save))
		argv[argc++] = w;
	argv[argc] = NULL;
	return fw_client_init(cl, argc, argv, first);
}

static void test_flags_win(void **state)
{
	struct fw_client cl;
	char cmd[512];
	int first;

	setenv("FLYWALL_API", "http://10.9.9.9:1", 1);
	snprintf(cmd, sizeof(cmd), "programs --api http://127.0.0.1:7000/ -c %s --token-file %s x",
		 config, token_file);
	assert_int_equal(init(&cl, &first, cmd), 0);
	assert_string_equal(cl.url, "http://127.0.0.1:7000");
	assert_string_equal(cl.token_file, token_file);
	assert_false(cl.json);
	assert_string_equal(cl.token, "");      /* read only when a call needs it */
}

static void test_environment_before_config(void **state)
{
	struct fw_client cl;
	char cmd[256];
	int first;

	setenv("FLYWALL_API", "127.0.0.1:7001", 1);
	setenv("FLYWALL_TOKEN", "from-env", 1);
	snprintf(cmd, sizeof(cmd), "status -c %s --json", config);
	assert_int_equal(init(&cl, &first, cmd), 0);
	assert_string_equal(cl.url, "http://127.0.0.1:7001");
	assert_string_equal(cl.token, "from-env");
	assert_true(cl.json);
}

static void test_config_file(void **state)
{
	struct fw_client cl;
	char cmd[256];
	int first;

	snprintf(cmd, sizeof(cmd), "map dump blocklist -c %s --json", config);
	assert_int_equal(init(&cl, &first, cmd), 0);
	/* A wildcard listen address is reached through loopback. */
	assert_string_equal(cl.url, "http://127.0.0.1:9090");
	assert_string_equal(cl.token_file, token_file);
	assert_true(cl.json);
}

static void test_positional_words_and_options_mix(void **state)
{
	struct fw_client cl;
	int first;
	char *argv[] = { "map", "dump", "--json", "blocklist", "--api", "[::1]:8080", NULL };

	assert_int_equal(fw_client_init(&cl, 6, argv, &first), 0);
	assert_true(cl.json);
	assert_string_equal(cl.url, "http://[::1]:8080");
	assert_string_equal(argv[first], "dump");
	assert_string_equal(argv[first + 1], "blocklist");
}

static void test_explicit_config_must_load(void **state)
{
	struct fw_client cl;
	int first;

	assert_int_equal(init(&cl, &first, "status -c /nonexistent/flywall.hcl"), FW_EXIT_USAGE);
	assert_int_equal(init(&cl, &first, "status --bogus"), FW_EXIT_USAGE);
}

static void test_not_running_is_exit_3(void **state)
{
	struct fw_client cl;
	json_t *out = NULL;
	long status = 0;
	int first;

	/* Port 1 on loopback: nothing listens there (connection refused). */
	assert_int_equal(init(&cl, &first, "programs --api http://127.0.0.1:1"), 0);
	assert_int_equal(fw_client_call(&cl, "GET", "/api/ebpf/programs", NULL, false, &status,
					&out), FW_EXIT_NO_DAEMON);
	assert_null(out);
}

static void test_token_read_only_when_needed(void **state)
{
	struct fw_client cl;
	json_t *out = NULL;
	long status = 0;
	char cmd[256];
	int first;

	snprintf(cmd, sizeof(cmd), "unload x --api http://127.0.0.1:1 --token-file %s.missing",
		 token_file);
	assert_int_equal(init(&cl, &first, cmd), 0);
	/* A mutating call cannot proceed without its token, and says so. */
	assert_int_equal(fw_client_call(&cl, "DELETE", "/api/ebpf/programs/x", NULL, true,
					&status, &out), FW_EXIT_FAIL);
	snprintf(cmd, sizeof(cmd), "unload x --api http://127.0.0.1:1 --token-file %s", token_file);
	assert_int_equal(init(&cl, &first, cmd), 0);
	assert_int_equal(fw_client_call(&cl, "DELETE", "/api/ebpf/programs/x", NULL, true,
					&status, &out), FW_EXIT_NO_DAEMON);
	assert_string_equal(cl.token, "from-config-file");
}

/* --api unix:PATH: the CLI reaches a daemon on its UNIX socket; with
 * api { read_auth } its reads carry the token it can read. */
static void test_unix_socket_and_read_auth(void **state)
{
	struct fw_api_config api = { .read_auth = true };
	struct fw_api_server *srv;
	struct fw_error err = { 0 };
	char sock[96], cmd[512];
	struct fw_client cl;
	json_t *out = NULL;
	long status = 0;
	FILE *f;
	int first;

	f = fopen(token_file, "w");
	fputs(FAKE_TOKEN "\n", f);
	fclose(f);
	snprintf(sock, sizeof(sock), "/tmp/flywall-client-test-%d.sock", (int)getpid());
	snprintf(api.listen, sizeof(api.listen), "unix:%s", sock);
	snprintf(api.token_file, sizeof(api.token_file), "%s", token_file);
	fake_reset();
	srv = fw_api_server_start_with(&api, &fake_backend, NULL, &err);
	if (!srv)
		fail_msg("server did not start: %s", err.msg);

	snprintf(cmd, sizeof(cmd), "programs --api unix:%s --token-file %s", sock, token_file);
	assert_int_equal(init(&cl, &first, cmd), 0);
	assert_string_equal(cl.unix_path, sock);
	assert_int_equal(fw_client_call(&cl, "GET", "/api/ebpf/programs", NULL, false, &status,
					&out), 0);
	assert_int_equal(status, 200);
	assert_true(json_is_array(out));
	json_decref(out);

	/* A user who cannot read the token gets the daemon's 401, not a crash. */
	snprintf(cmd, sizeof(cmd), "programs --api unix:%s --token-file %s.missing", sock,
		 token_file);
	assert_int_equal(init(&cl, &first, cmd), 0);
	assert_int_equal(fw_client_call(&cl, "GET", "/api/ebpf/programs", NULL, false, &status,
					&out), 0);
	assert_int_equal(status, 401);
	json_decref(out);
	fw_api_server_stop(srv);
	fake_reset();

	/* Nothing there: exit 3, naming the socket. */
	assert_int_equal(init(&cl, &first, cmd), 0);
	assert_int_equal(fw_client_call(&cl, "GET", "/api/ebpf/programs", NULL, false, &status,
					&out), FW_EXIT_NO_DAEMON);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_flags_win, setup, teardown),
		cmocka_unit_test_setup_teardown(test_environment_before_config, setup, teardown),
		cmocka_unit_test_setup_teardown(test_config_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_positional_words_and_options_mix, setup, teardown),
		cmocka_unit_test_setup_teardown(test_explicit_config_must_load, setup, teardown),
		cmocka_unit_test_setup_teardown(test_not_running_is_exit_3, setup, teardown),
		cmocka_unit_test_setup_teardown(test_token_read_only_when_needed, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unix_socket_and_read_auth, setup, teardown),
	};

	if (private_loopback()) {
		printf("1..1\nnot ok 1 - cannot make a private network namespace\n");
		return 1;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
