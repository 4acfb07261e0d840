// SPDX-License-Identifier: MIT
/*
 * The feature probe as the daemon and the hook manager use it: probed once
 * per process, then cached; the caller's network namespace untouched; nothing
 * left loaded; every failure carries its reason; the JSON matches the struct.
 * (What each answer should be on a given kernel is tests/e2e/test_features.sh.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <bpf/bpf.h>

#include "ebpf/features.h"

static ino_t netns_inode(void)
{
	struct stat st;

	assert_int_equal(stat("/proc/thread-self/ns/net", &st), 0);
	return st.st_ino;
}

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

/* Programs still loaded whose name starts with "probe_" (the probe's own). */
static int probe_programs_loaded(void)
{
	__u32 id = 0;
	int n = 0;

	while (bpf_prog_get_next_id(id, &id) == 0) {
		struct bpf_prog_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_prog_get_fd_by_id(id);

		if (fd < 0)
			continue;
		if (bpf_obj_get_info_by_fd(fd, &info, &len) == 0 &&
		    strncmp(info.name, "probe_", 6) == 0)
			n++;
		close(fd);
	}
	return n;
}

static void test_probes_once_and_caches(void **state)
{
	ino_t netns = netns_inode();
	int loaded_before = probe_programs_loaded();
	const struct fw_features *first, *second;
	struct fw_features copy;
	double start;

	first = fw_features_get();
	assert_true(first->probe_ms > 0);
	assert_int_equal(netns_inode(), netns);
	assert_int_equal(probe_programs_loaded(), loaded_before);

	start = now_ms();
	second = fw_features_get();
	assert_ptr_equal(first, second);
	assert_int_equal(fw_features_probe(&copy), 0);
	assert_true(now_ms() - start < first->probe_ms);
	assert_memory_equal(&copy, first, sizeof(copy));
	assert_int_equal(probe_programs_loaded(), loaded_before);
}

static void assert_explained(const char *what, const struct fw_probe_result *r)
{
	if (r->ok) {
		assert_true(r->tried);
		assert_int_equal(r->err, 0);
		return;
	}
	if (!r->tried) {
		if (!r->detail[0])
			fail_msg("%s: skipped without saying why", what);
		return;
	}
	if (r->err >= 0)
		fail_msg("%s: failed without an errno", what);
}

static void test_every_failure_has_a_reason(void **state)
{
	const struct fw_features *f = fw_features_get();

	for (int p = 0; p < FW_PROBE_PROG__COUNT; p++) {
		assert_explained(fw_prog_probe_name(p), &f->prog[p]);
		/* a failed load always has libbpf's words for it */
		if (f->prog[p].tried && !f->prog[p].ok && !strstr(f->prog[p].detail, "libbpf"))
			fail_msg("%s: no libbpf message: '%s'", fw_prog_probe_name(p),
				 f->prog[p].detail);
	}
	for (int m = 0; m < FW_PROBE_MAP__COUNT; m++)
		assert_explained(fw_map_probe_name(m), &f->map[m]);
	for (int a = 0; a < FW_PROBE_ATTACH__COUNT; a++)
		assert_explained(fw_attach_probe_name(a), &f->attach[a]);
	assert_explained("jited", &f->jited);
	assert_explained("btf", &f->btf);
	assert_explained("stats", &f->stats);
}

/* An attach point is tried exactly when its program loaded. */
static void test_attach_follows_load(void **state)
{
	const struct fw_features *f = fw_features_get();

	assert_int_equal(f->attach[FW_PROBE_ATTACH_FENTRY].tried,
			 f->prog[FW_PROBE_PROG_FENTRY].ok);
	assert_int_equal(f->attach[FW_PROBE_ATTACH_KPROBE].tried,
			 f->prog[FW_PROBE_PROG_KPROBE].ok);
	assert_int_equal(f->attach[FW_PROBE_ATTACH_TCX].tried,
			 f->prog[FW_PROBE_PROG_SCHED_CLS].ok);
	assert_int_equal(fw_features_attach_works(FW_PROBE_ATTACH_TCX),
			 f->attach[FW_PROBE_ATTACH_TCX].ok);
	assert_int_equal(fw_features_prog_loads(FW_PROBE_PROG_XDP), f->prog[FW_PROBE_PROG_XDP].ok);
	assert_int_equal(fw_features_map_works(FW_PROBE_MAP_RINGBUF),
			 f->map[FW_PROBE_MAP_RINGBUF].ok);
	assert_false(fw_features_attach_works(FW_PROBE_ATTACH__COUNT));
}

static void assert_json_result(json_t *group, const char *name, const struct fw_probe_result *r)
{
	json_t *j = json_object_get(group, name);

	if (!j)
		fail_msg("no '%s' in the JSON", name);
	assert_int_equal(json_is_true(json_object_get(j, "ok")), r->ok);
	if (r->tried && !r->ok) {
		assert_int_equal(json_integer_value(json_object_get(j, "errno")), -r->err);
		assert_string_equal(json_string_value(json_object_get(j, "error")),
				    strerror(-r->err));
	}
	assert_int_equal(json_is_true(json_object_get(j, "skipped")), !r->tried);
}

static void test_json_matches(void **state)
{
	const struct fw_features *f = fw_features_get();
	json_t *root = fw_features_to_json(f);

	assert_non_null(root);
	assert_string_equal(json_string_value(json_object_get(root, "kernel")), f->kernel);
	for (int p = 0; p < FW_PROBE_PROG__COUNT; p++)
		assert_json_result(json_object_get(root, "program_types"), fw_prog_probe_name(p),
				   &f->prog[p]);
	for (int m = 0; m < FW_PROBE_MAP__COUNT; m++)
		assert_json_result(json_object_get(root, "map_types"), fw_map_probe_name(m),
				   &f->map[m]);
	for (int a = 0; a < FW_PROBE_ATTACH__COUNT; a++)
		assert_json_result(json_object_get(root, "attach_points"),
				   fw_attach_probe_name(a), &f->attach[a]);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(root, "jit"),
							    "bpf_jit_enable")),
			 f->jit_enable);
	json_decref(root);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probes_once_and_caches),
		cmocka_unit_test(test_every_failure_has_a_reason),
		cmocka_unit_test(test_attach_follows_load),
		cmocka_unit_test(test_json_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
