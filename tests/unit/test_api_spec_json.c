// SPDX-License-Identifier: MIT
/* POST /api/ebpf/programs/load: which requests become which program spec,
 * and which are refused with what status and text, before the daemon is
 * called. Uses the shipped objects from $BUILD/bpf. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <unistd.h>

#include "api_fake_backend.h"

static char dir[128];

static void copy_file(const char *from, const char *to)
{
	FILE *in = fopen(from, "rb"), *out;
	char buf[8192];
	size_t n;

	if (!in)
		fail_msg("cannot open %s (build the BPF objects first: make test-build)", from);
	out = fopen(to, "wb");
	assert_non_null(out);
	while ((n = fread(buf, 1, sizeof(buf), in)) > 0)
		assert_int_equal(fwrite(buf, 1, n, out), n);
	fclose(in);
	fclose(out);
}

/* program_dir: the shipped objects, a non-object, a directory, a symlink
 * that leads out, and one that stays in. Beside it, a directory whose name
 * starts with program_dir's (".../flywall-api-test-PID-sibling") holds an
 * object too: it is not inside, and a symlink to it leads out. */
static int setup_dir(void **state)
{
	const char *build = getenv("BUILD") ? getenv("BUILD") : "build";
	static const char *const objects[] = { "ddos_filter", "net_trace", "tcp_trace",
					       "egress_shaper", "socket_monitor" };
	char from[512], to[512];
	FILE *f;

	snprintf(dir, sizeof(dir), "/tmp/flywall-api-test-%d", (int)getpid());
	assert_int_equal(mkdir(dir, 0700), 0);
	for (size_t i = 0; i < sizeof(objects) / sizeof(*objects); i++) {
		snprintf(from, sizeof(from), "%s/bpf/%s.o", build, objects[i]);
		snprintf(to, sizeof(to), "%s/%s.o", dir, objects[i]);
		copy_file(from, to);
	}
	snprintf(to, sizeof(to), "%s/notes.o", dir);
	f = fopen(to, "w");
	fputs("not an ELF file\n", f);
	fclose(f);
	snprintf(to, sizeof(to), "%s/sub.o", dir);
	mkdir(to, 0700);
	snprintf(to, sizeof(to), "%s/escape.o", dir);
	assert_int_equal(symlink("/etc/passwd", to), 0);
	snprintf(to, sizeof(to), "%s/alias.o", dir);
	assert_int_equal(symlink("ddos_filter.o", to), 0);
	snprintf(to, sizeof(to), "%s-sibling", dir);
	assert_int_equal(mkdir(to, 0700), 0);
	snprintf(from, sizeof(from), "%s/ddos_filter.o", dir);
	snprintf(to, sizeof(to), "%s-sibling/ddos_filter.o", dir);
	copy_file(from, to);
	snprintf(from, sizeof(from), "%s/sibling.o", dir);
	assert_int_equal(symlink(to, from), 0);
	return 0;
}

static int teardown_dir(void **state)
{
	char cmd[2 * sizeof(dir) + 32];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s-sibling'", dir, dir);
	return system(cmd);
}

static int setup(void **state)
{
	fake_reset();
	snprintf(fake.program_dir, sizeof(fake.program_dir), "%s", dir);
	return 0;
}

static int teardown(void **state) { fake_reset(); return 0; }

static struct fw_api_response load(const char *body)
{
	return call("POST", "/api/ebpf/programs/load", body, true);
}

static void assert_load_refused(const char *body, unsigned int status, const char *error_part)
{
	struct fw_api_response r = load(body);

	if (r.status != status || !strstr(error_of(&r), error_part))
		fail_msg("%s\n -> %u '%s', want %u '%s'", body, r.status, error_of(&r),
			 status, error_part);
	assert_int_equal(fake.calls, 0);
	fw_api_response_release(&r);
}

static void assert_loaded(const char *body)
{
	struct fw_api_response r = load(body);

	if (r.status != 201)
		fail_msg("%s\n -> %u '%s' (%s)", body, r.status, error_of(&r), detail_of(&r));
	assert_string_equal(fake.last_call, "load");
	fw_api_response_release(&r);
}

static void test_minimal_request_takes_hook_from_object(void **state)
{
	char want[256];

	assert_loaded("{\"name\": \"new_filter\", \"program\": \"ddos_filter.o\", "
		      "\"interface\": \"eth0\"}");
	assert_string_equal(fake.last_spec.name, "new_filter");
	assert_int_equal(fake.last_spec.hook, FW_HOOK_XDP);
	assert_string_equal(fake.last_spec.interface, "eth0");
	snprintf(want, sizeof(want), "%s/ddos_filter.o", dir);
	assert_string_equal(fake.last_spec.object, want);
	assert_int_equal(fake.last_spec.default_map_size, 1024);
	assert_int_equal(fake.last_spec.xdp_mode, FW_XDP_AUTO);
}

static void test_absolute_path_and_symlink_inside(void **state)
{
	char body[512], want[256];

	snprintf(body, sizeof(body), "{\"name\": \"a\", \"program\": \"%s/alias.o\", "
		 "\"interface\": \"eth0\"}", dir);
	assert_loaded(body);
	snprintf(want, sizeof(want), "%s/ddos_filter.o", dir);
	assert_string_equal(fake.last_spec.object, want);
}

static void test_every_field(void **state)
{
	assert_loaded("{\"name\": \"ddos_filter\", \"program\": \"ddos_filter.o\", "
		      "\"hook\": \"xdp\", \"interface\": \"eth0\", \"mode\": \"generic\", "
		      "\"maps\": {\"blocklist\": {\"type\": \"hash\", \"size\": 100000}, "
		      "\"rate_limit\": {\"type\": \"percpu_array\", \"size\": 1024}}, "
		      "\"args\": {\"max_pps\": 1000000, \"blocklist_size\": 100000}, "
		      "\"priority\": 10}");
	assert_int_equal(fake.last_spec.xdp_mode, FW_XDP_GENERIC);
	assert_true(fake.last_spec.has_priority);
	assert_int_equal(fake.last_spec.priority, 10);
	assert_int_equal(fake.last_spec.n_maps, 2);
	assert_string_equal(fake.last_spec.maps[0].name, "blocklist");
	assert_int_equal(fake.last_spec.maps[0].type, FW_MAP_HASH);
	assert_int_equal(fake.last_spec.maps[0].size, 100000);
	assert_int_equal(fake.last_spec.maps[1].type, FW_MAP_PERCPU_ARRAY);
	assert_int_equal(fake.last_spec.n_args, 2);
	assert_int_equal(fake.last_spec.args[0].i, 1000000);
	fake_reset();
	snprintf(fake.program_dir, sizeof(fake.program_dir), "%s", dir);

	assert_loaded("{\"name\": \"egress_shaper\", \"program\": \"egress_shaper.o\", "
		      "\"interface\": \"eth0\", \"direction\": \"egress\", "
		      "\"shaping\": {\"rate\": \"1gbit\", \"burst\": \"100mbit\"}}");
	assert_int_equal(fake.last_spec.hook, FW_HOOK_TC);
	assert_int_equal(fake.last_spec.direction, FW_TC_EGRESS);
	assert_true(fake.last_spec.shaping.set);
	assert_int_equal(fake.last_spec.shaping.rate_bps, 1000000000ull);
	assert_int_equal(fake.last_spec.shaping.burst_bits, 100000000ull);
}

static void test_targets_from_sections(void **state)
{
	assert_loaded("{\"name\": \"network_events\", \"program\": \"net_trace.o\"}");
	assert_int_equal(fake.last_spec.hook, FW_HOOK_TRACEPOINT);
	assert_string_equal(fake.last_spec.tracepoint, "net:netif_receive_skb");
	assert_loaded("{\"name\": \"tcp_trace\", \"program\": \"tcp_trace.o\"}");
	assert_int_equal(fake.last_spec.hook, FW_HOOK_KPROBE);
	assert_string_equal(fake.last_spec.function, "tcp_v4_connect");
	assert_loaded("{\"name\": \"monitor\", \"program\": \"socket_monitor.o\", "
		      "\"sockets\": [\"dns\", \"dhcp\"]}");
	assert_int_equal(fake.last_spec.hook, FW_HOOK_SOCKET_FILTER);
	assert_int_equal(fake.last_spec.services, FW_SVC_DNS | FW_SVC_DHCP);
}

/* JSON has no integer notation of its own: 1e6 and 2.0 are whole numbers, and
 * an integer global takes them, as in a configuration file. */
static void test_whole_number_args_are_integers(void **state)
{
	const struct fw_arg *a;

	assert_loaded("{\"name\": \"d\", \"program\": \"ddos_filter.o\", "
		      "\"interface\": \"eth0\", \"args\": {\"max_pps\": 1e6, "
		      "\"burst\": 2.0, \"ratio\": 0.25, \"low\": -3E2}}");
	a = fake.last_spec.args;
	assert_int_equal(fake.last_spec.n_args, 4);
	assert_string_equal(a[0].name, "max_pps");
	assert_int_equal(a[0].kind, FW_ARG_INT);
	assert_true(a[0].i == 1000000);
	assert_int_equal(a[1].kind, FW_ARG_INT);
	assert_true(a[1].i == 2);
	assert_int_equal(a[2].kind, FW_ARG_FLOAT);
	assert_true(a[2].f == 0.25);
	assert_int_equal(a[3].kind, FW_ARG_INT);
	assert_true(a[3].i == -300);
	fake_reset();
	snprintf(fake.program_dir, sizeof(fake.program_dir), "%s", dir);
	assert_load_refused("{\"name\": \"d\", \"program\": \"ddos_filter.o\", "
			    "\"interface\": \"eth0\", \"args\": {\"max_pps\": 1e30}}", 400,
			    "args.max_pps: 1e+30 does not fit in a 64-bit integer");
	assert_load_refused("{\"name\": \"d\", \"program\": \"ddos_filter.o\", "
			    "\"interface\": \"eth0\", \"args\": {\"max_pps\": 9223372036854775808.0}}",
			    400, "does not fit in a 64-bit integer");
}

static void test_paths_outside_program_dir(void **state)
{
	char body[512];

	assert_load_refused("{\"name\": \"new_filter\", \"program\": \"/path/to/program.o\", "
			    "\"interface\": \"eth0\"}", 403,
			    "program '/path/to/program.o' is outside program_dir");
	assert_load_refused("{\"name\": \"x\", \"program\": \"../ddos_filter.o\", "
			    "\"interface\": \"eth0\"}", 400, "contains '..'");
	assert_load_refused("{\"name\": \"x\", \"program\": \"sub/../ddos_filter.o\", "
			    "\"interface\": \"eth0\"}", 400, "contains '..'");
	assert_load_refused("{\"name\": \"x\", \"program\": \"escape.o\", "
			    "\"interface\": \"eth0\"}", 403, "leads outside program_dir");
	assert_load_refused("{\"name\": \"x\", \"program\": \"/etc/passwd\"}", 403,
			    "is outside program_dir");
	/* a sibling directory that shares program_dir's name as a prefix */
	snprintf(body, sizeof(body), "{\"name\": \"x\", \"program\": \"%s-sibling/ddos_filter.o\", "
		 "\"interface\": \"eth0\"}", dir);
	assert_load_refused(body, 403, "is outside program_dir");
	assert_load_refused("{\"name\": \"x\", \"program\": \"sibling.o\", "
			    "\"interface\": \"eth0\"}", 403, "leads outside program_dir");
	assert_load_refused("{\"name\": \"x\", \"program\": \"missing.o\"}", 400,
			    "No such file or directory");
	assert_load_refused("{\"name\": \"x\", \"program\": \"sub.o\"}", 400,
			    "is not a regular file");
	assert_load_refused("{\"name\": \"x\", \"program\": \"notes.o\"}", 400,
			    "is not an eBPF object");
	assert_load_refused("{\"name\": \"x\", \"program\": \"\"}", 400, "program is empty");
}

static void test_bad_fields(void **state)
{
	static const struct { const char *body; const char *error; } cases[] = {
		{ "{\"program\": \"ddos_filter.o\"}", "invalid load request" },
		{ "{\"name\": 5, \"program\": \"ddos_filter.o\"}", "invalid load request" },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\", \"interface\": \"eth0\", "
		  "\"colour\": \"red\"}", "invalid load request" },
		{ "{\"name\": \"load\", \"program\": \"ddos_filter.o\"}", "\"load\" is reserved" },
		{ "{\"name\": \"bad name\", \"program\": \"ddos_filter.o\"}", "name: program name" },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\", \"hook\": \"xpd\"}",
		  "hook: unknown hook \"xpd\"; did you mean \"xdp\"?" },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\"}", "xdp programs need an interface" },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\", \"interface\": \"eth0/1\"}",
		  "interface: interface name" },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\", \"interface\": \"averyveryverylongname\"}",
		  "interface: interface name" },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\", \"interface\": \"eth0\", "
		  "\"direction\": \"egress\"}", "\"direction\" applies to tc programs, not xdp" },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\", \"interface\": \"eth0\", "
		  "\"mode\": \"turbo\"}", "mode: " },
		{ "{\"name\": \"x\", \"program\": \"egress_shaper.o\", \"interface\": \"eth0\", "
		  "\"direction\": \"sideways\"}", "direction: " },
		{ "{\"name\": \"x\", \"program\": \"egress_shaper.o\", \"interface\": \"eth0\", "
		  "\"shaping\": {\"rate\": \"fast\"}}", "shaping.rate: " },
		{ "{\"name\": \"x\", \"program\": \"egress_shaper.o\", \"interface\": \"eth0\", "
		  "\"shaping\": {\"burst\": \"1mbit\"}}", "invalid shaping" },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\", \"interface\": \"eth0\", "
		  "\"maps\": {\"blocklist\": {\"type\": \"hsah\"}}}", "maps.blocklist: " },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\", \"interface\": \"eth0\", "
		  "\"maps\": {\"blocklist\": {\"size\": 0}}}", "maps.blocklist: size must be" },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\", \"interface\": \"eth0\", "
		  "\"maps\": {\"blocklist\": {\"size\": \"big\"}}}", "maps.blocklist: " },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\", \"interface\": \"eth0\", "
		  "\"maps\": {\"block-list\": {}}}", "maps: map name" },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\", \"interface\": \"eth0\", "
		  "\"maps\": []}", "maps must be an object" },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\", \"interface\": \"eth0\", "
		  "\"args\": {\"max_pps\": {}}}", "args.max_pps: unsupported value" },
		{ "{\"name\": \"x\", \"program\": \"net_trace.o\", \"tracepoint\": \"net\"}",
		  "tracepoint: " },
		{ "{\"name\": \"x\", \"program\": \"net_trace.o\", \"interface\": \"eth0\"}",
		  "tracepoint programs take no interface" },
		{ "{\"name\": \"x\", \"program\": \"tcp_trace.o\", \"function\": \"1bad\"}",
		  "function: " },
		{ "{\"name\": \"x\", \"program\": \"socket_monitor.o\", \"sockets\": [\"ftp\"]}",
		  "sockets[0]: " },
		{ "{\"name\": \"x\", \"program\": \"socket_monitor.o\", \"sockets\": []}",
		  "sockets must be a non-empty array" },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\", \"interface\": \"eth0\", "
		  "\"sockets\": [\"dns\"]}", "\"sockets\" applies to socket_filter programs" },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\", \"interface\": \"eth0\", "
		  "\"priority\": -1}", "priority: priority must be between 0 and 65535; found -1" },
		{ "{\"name\": \"x\", \"program\": \"ddos_filter.o\", \"interface\": \"eth0\", "
		  "\"priority\": \"1\"}", "priority must be an integer" },
		{ "{\"name\": \"x\", \"program\": \"socket_monitor.o\", \"sockets\": [\"dns\"], "
		  "\"priority\": 1}", "\"priority\" applies to xdp and tc programs, not socket_filter" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++)
		assert_load_refused(cases[i].body, 400, cases[i].error);
}

static void test_backend_conflict_passes_through(void **state)
{
	struct fw_api_response r;

	fake.fail = -EEXIST;
	r = load("{\"name\": \"ddos_filter\", \"program\": \"ddos_filter.o\", \"interface\": \"eth0\"}");
	assert_int_equal(r.status, 409);
	assert_string_equal(error_of(&r), "fake load failed for 'ddos_filter'");
	fw_api_response_release(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_minimal_request_takes_hook_from_object, setup, teardown),
		cmocka_unit_test_setup_teardown(test_absolute_path_and_symlink_inside, setup, teardown),
		cmocka_unit_test_setup_teardown(test_every_field, setup, teardown),
		cmocka_unit_test_setup_teardown(test_targets_from_sections, setup, teardown),
		cmocka_unit_test_setup_teardown(test_whole_number_args_are_integers, setup, teardown),
		cmocka_unit_test_setup_teardown(test_paths_outside_program_dir, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_fields, setup, teardown),
		cmocka_unit_test_setup_teardown(test_backend_conflict_passes_through, setup, teardown),
	};

	return cmocka_run_group_tests(tests, setup_dir, teardown_dir);
}
