// SPDX-License-Identifier: MIT
/*
 * Pins and maps against the kernel, in a bpffs of the test's own (a private
 * mount namespace: everything goes with the process):
 *   - the pin root: created 0700, locked (a second user is told our pid),
 *     refused when others can write it;
 *   - pin records written, read back through the pinned state map, deleted;
 *   - a pin replaced in one step, and what an unfinished apply left swept;
 *   - the migration rules as the loader applies them to ddos_filter's maps:
 *     same definition kept (same map, same entries), a new size or hash
 *     flavour recreated with the entries copied, an event map recreated
 *     empty, an unrelated type refused with nothing changed, and a map
 *     pinned by someone else adopted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>

#include "bpf_test.h"
#include "ebpf/loader.h"
#include "ebpf/maps.h"
#include "ebpf/pins.h"

static char mnt[64], root[128], object[4096];
static int lock_fd = -1;

static int setup(void **state)
{
	const char *build = getenv("BUILD");

	snprintf(object, sizeof(object), "%s/bpf/ddos_filter.o", build && *build ? build : "build");
	/* our own mount namespace: the bpffs below is invisible to the host
	 * and unmounted when the process ends, whatever happens */
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		fprintf(stderr, "# private mount namespace: %s\n", strerror(errno));
		return -1;
	}
	snprintf(mnt, sizeof(mnt), "/tmp/flywall-test-pins-%d", getpid());
	if (mkdir(mnt, 0700) || mount("bpf", mnt, "bpf", 0, "mode=0700")) {
		fprintf(stderr, "# bpffs on %s: %s\n", mnt, strerror(errno));
		rmdir(mnt);
		return -1;
	}
	snprintf(root, sizeof(root), "%s/flywall", mnt);
	return 0;
}

static int teardown(void **state)
{
	if (lock_fd >= 0)
		close(lock_fd);
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	return 0;
}

static bool is_dir_0700(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISDIR(st.st_mode) && (st.st_mode & 07777) == 0700;
}

static void test_root_prepared_and_locked(void **state)
{
	struct fw_error err = { 0 };
	char path[256], want[512];

	lock_fd = fw_pins_prepare(root, &err);
	if (lock_fd < 0)
		fail_msg("prepare %s: %s", root, err.msg);
	assert_true(is_dir_0700(root));
	snprintf(path, sizeof(path), "%s/progs", root);
	assert_true(is_dir_0700(path));
	snprintf(path, sizeof(path), "%s/links", root);
	assert_true(is_dir_0700(path));
	snprintf(path, sizeof(path), "%s/maps", root);
	assert_true(is_dir_0700(path));

	/* a second user while we hold it: told who holds it */
	assert_int_equal(fw_pins_prepare(root, &err), -EBUSY);
	snprintf(want, sizeof(want), "pin root %s is in use by pid %d (", root, getpid());
	if (strncmp(err.msg, want, strlen(want)))
		fail_msg("got '%s', want '%s...'", err.msg, want);
	fw_error_clear(&err);
}

static void test_root_others_can_write_is_refused(void **state)
{
	struct fw_error err = { 0 };
	char open_root[192], path[256], want[1024];

	snprintf(open_root, sizeof(open_root), "%s/open", mnt);
	assert_int_equal(mkdir(open_root, 0700), 0);
	assert_int_equal(chmod(open_root, 0777), 0);
	assert_true(fw_pins_prepare(open_root, &err) == -EPERM);
	snprintf(want, sizeof(want), "pin directory %s is writable by its group or by others "
		 "(mode 0777): they could remove the daemon's pins; chmod go-w %s, then start again",
		 open_root, open_root);
	assert_string_equal(err.msg, want);
	/* nothing made in it */
	snprintf(path, sizeof(path), "%s/progs", open_root);
	assert_int_equal(access(path, F_OK), -1);
	fw_error_clear(&err);
	rmdir(open_root);
}

static struct fw_pin_record record(const char *name, uint32_t hook, uint32_t attach)
{
	struct fw_pin_record r = { .spec_hash = 0x1234567890abcdefull, .hook = hook,
				   .attach = attach, .ifindex = 7, .tc_handle = 1,
				   .tc_priority = 49152, .origin = FW_ORIGIN_API };

	snprintf(r.name, sizeof(r.name), "%s", name);
	snprintf(r.interface, sizeof(r.interface), "eth0");
	snprintf(r.attach_note, sizeof(r.attach_note), "tcx link unavailable, used clsact");
	return r;
}

static int count_record(const struct fw_pin_record *rec, void *ctx)
{
	(*(int *)ctx)++;
	return 0;
}

static void test_records_written_and_read_back(void **state)
{
	struct fw_pin_record a = record("alpha", FW_HOOK_TC, FW_ATTACH_CLSACT);
	struct fw_pin_record b = record("beta", FW_HOOK_XDP, FW_ATTACH_XDP_NATIVE), got;
	struct fw_error err = { 0 };
	int fd = fw_pins_state_open(root, &err), n = 0;

	assert_true(fd >= 0);
	assert_int_equal(fw_pins_record_put(fd, &a), 0);
	assert_int_equal(fw_pins_record_put(fd, &b), 0);
	close(fd);

	/* a new process's view: the records come back from the pinned map */
	fd = fw_pins_state_open(root, &err);
	assert_true(fd >= 0);
	assert_int_equal(fw_pins_record_get(fd, "alpha", &got), 0);
	assert_memory_equal(&got, &a, sizeof(got));
	assert_int_equal(fw_pins_record_get(fd, "beta", &got), 0);
	assert_memory_equal(&got, &b, sizeof(got));
	assert_int_equal(fw_pins_record_foreach(fd, count_record, &n), 0);
	assert_int_equal(n, 2);

	assert_int_equal(fw_pins_record_delete(fd, "alpha"), 0);
	assert_int_equal(fw_pins_record_get(fd, "alpha", &got), -ENOENT);
	assert_int_equal(fw_pins_record_delete(fd, "alpha"), 0); /* gone already: fine */
	n = 0;
	fw_pins_record_foreach(fd, count_record, &n);
	assert_int_equal(n, 1);
	assert_int_equal(fw_pins_record_delete(fd, "beta"), 0);
	close(fd);
}

static __u32 map_id(int fd)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

static __u32 pinned_id(const char *path)
{
	int fd = bpf_obj_get(path);
	__u32 id;

	if (fd < 0)
		return 0;
	id = map_id(fd);
	close(fd);
	return id;
}

static int small_map(void)
{
	int fd = bpf_map_create(BPF_MAP_TYPE_ARRAY, "pin_test", 4, 4, 1, NULL);

	assert_true(fd >= 0);
	return fd;
}

static bool recorded_keep(const char *name, void *ctx)
{
	return strcmp(name, "keep") == 0;
}

static void test_replace_and_sweep(void **state)
{
	char keep[FW_PATH_MAX], tmp[FW_PATH_MAX + 8], stale[FW_PATH_MAX], companion[FW_PATH_MAX];
	int a = small_map(), b = small_map();

	fw_pins_link_path(root, "keep", keep);
	assert_int_equal(fw_pins_replace(a, keep), 0);
	assert_int_equal(pinned_id(keep), map_id(a));
	assert_int_equal(fw_pins_replace(b, keep), 0);
	assert_int_equal(pinned_id(keep), map_id(b));
	snprintf(tmp, sizeof(tmp), "%s" FW_PIN_TMP_SUFFIX, keep);
	assert_int_equal(access(tmp, F_OK), -1);

	/* what an apply that never committed leaves: a pin without a record, a
	 * companion of it, and a temporary pin of a recorded name */
	fw_pins_prog_path(root, "stale", stale);
	fw_pins_companion_path(root, "stale", companion);
	assert_int_equal(bpf_obj_pin(a, stale), 0);
	assert_int_equal(bpf_obj_pin(a, companion), 0);
	assert_int_equal(bpf_obj_pin(a, tmp), 0);
	assert_int_equal(fw_pins_sweep(root, recorded_keep, NULL), 3);
	assert_int_equal(access(stale, F_OK), -1);
	assert_int_equal(access(companion, F_OK), -1);
	assert_int_equal(access(tmp, F_OK), -1);
	assert_int_equal(pinned_id(keep), map_id(b));
	assert_int_equal(fw_pins_unlink(keep), 0);
	assert_int_equal(fw_pins_unlink(keep), 0); /* gone already: fine */
	close(a);
	close(b);
}

/* ---- migration rules, through the loader ----------------------------------- */

static struct fw_map_override override;

static struct fw_prog_spec ddos_spec(const char *map, enum fw_map_type type, uint32_t size)
{
	struct fw_prog_spec s = { .hook = FW_HOOK_XDP };

	snprintf(s.name, sizeof(s.name), "ddos_filter");
	snprintf(s.object, sizeof(s.object), "%s", object);
	if (map) {
		override = (struct fw_map_override){ .type = type, .size = size };
		snprintf(override.name, sizeof(override.name), "%s", map);
		s.maps = &override;
		s.n_maps = 1;
	}
	return s;
}

/* Loads the block with its maps planned against pin_dir, and pins them as a
 * committed apply does. */
static struct fw_object *load(const struct fw_prog_spec *spec, const char *pin_dir)
{
	struct fw_error err = { 0 };
	struct fw_object *o = NULL;

	if (fw_object_load(spec, pin_dir, NULL, &o, &err))
		fail_msg("load: %s", err.msg);
	if (fw_maps_pin_all(o->obj, pin_dir, &err))
		fail_msg("pin: %s", err.msg);
	return o;
}

static int obj_map_fd(struct fw_object *o, const char *name)
{
	return bpf_map__fd(bpf_object__find_map_by_name(o->obj, name));
}

/* One blocklist entry, its key and value bytes derived from seed. */
static void entry(struct fw_object *o, unsigned char seed, void *key, void *value)
{
	struct bpf_map *m = bpf_object__find_map_by_name(o->obj, "blocklist");

	memset(key, seed, bpf_map__key_size(m));
	memset(value, seed + 1, bpf_map__value_size(m));
}

static bool has_entry(int fd, struct fw_object *o, unsigned char seed)
{
	unsigned char key[256], value[256], got[256];

	entry(o, seed, key, value);
	return bpf_map_lookup_elem(fd, key, got) == 0 &&
	       memcmp(got, value, bpf_map__value_size(bpf_object__find_map_by_name(o->obj,
										 "blocklist"))) == 0;
}

static void put_entry(int fd, struct fw_object *o, unsigned char seed)
{
	unsigned char key[256], value[256];

	entry(o, seed, key, value);
	assert_int_equal(bpf_map_update_elem(fd, key, value, BPF_ANY), 0);
}

static void test_migration_rules(void **state)
{
	struct fw_prog_spec spec = ddos_spec(NULL, FW_MAP_DEFAULT, 0);
	char dir[FW_PATH_MAX], bl[FW_PATH_MAX + 16], ev[FW_PATH_MAX + 16];
	struct bpf_map_info info = {};
	__u32 len = sizeof(info), first_id, events_id;
	struct fw_object *o, *o2;
	struct fw_error err = { 0 };

	fw_pins_map_dir(root, "ddos_filter", dir);
	snprintf(bl, sizeof(bl), "%s/blocklist", dir);
	snprintf(ev, sizeof(ev), "%s/ddos_events", dir);

	/* first load: every map new and pinned */
	o = load(&spec, dir);
	assert_int_equal(o->maps.reused, 0);
	first_id = map_id(obj_map_fd(o, "blocklist"));
	events_id = map_id(obj_map_fd(o, "ddos_events"));
	assert_int_equal(pinned_id(bl), first_id);
	put_entry(obj_map_fd(o, "blocklist"), o, 1);
	put_entry(obj_map_fd(o, "blocklist"), o, 2);
	fw_object_close(o);

	/* the same definition: the very maps are kept, entries and all */
	o = load(&spec, dir);
	assert_true(o->maps.reused >= 8);
	assert_int_equal(o->maps.n_migrations, 0);
	assert_int_equal(map_id(obj_map_fd(o, "blocklist")), first_id);
	assert_true(has_entry(obj_map_fd(o, "blocklist"), o, 1));
	fw_object_close(o);

	/* an event map of a new size: recreated, nothing to copy (the rest kept) */
	spec = ddos_spec("ddos_events", FW_MAP_DEFAULT, 512 * 1024);
	o = load(&spec, dir);
	assert_int_equal(o->maps.n_migrations, 0);
	assert_int_equal(map_id(obj_map_fd(o, "blocklist")), first_id);
	assert_int_not_equal(map_id(obj_map_fd(o, "ddos_events")), events_id);
	assert_int_equal(pinned_id(ev), map_id(obj_map_fd(o, "ddos_events")));
	fw_object_close(o);

	/* a new size: a new map, the entries copied into it, the pin moved */
	spec = ddos_spec("blocklist", FW_MAP_DEFAULT, 2048);
	o = load(&spec, dir);
	assert_int_equal(o->maps.n_migrations, 1);
	assert_int_not_equal(map_id(obj_map_fd(o, "blocklist")), first_id);
	assert_int_equal(bpf_obj_get_info_by_fd(obj_map_fd(o, "blocklist"), &info, &len), 0);
	assert_int_equal(info.max_entries, 2048);
	assert_true(has_entry(obj_map_fd(o, "blocklist"), o, 1));
	assert_true(has_entry(obj_map_fd(o, "blocklist"), o, 2));
	assert_int_equal(pinned_id(bl), info.id);
	fw_object_close(o);

	/* another hash flavour: recreated as an LRU hash, entries copied */
	spec = ddos_spec("blocklist", FW_MAP_LRU_HASH, 2048);
	o = load(&spec, dir);
	assert_int_equal(o->maps.n_migrations, 1);
	memset(&info, 0, sizeof(info));
	len = sizeof(info);
	assert_int_equal(bpf_obj_get_info_by_fd(obj_map_fd(o, "blocklist"), &info, &len), 0);
	assert_int_equal(info.type, BPF_MAP_TYPE_LRU_HASH);
	assert_true(has_entry(obj_map_fd(o, "blocklist"), o, 2));
	fw_object_close(o);

	/* an unrelated type: refused, naming both layouts; the pin untouched */
	first_id = pinned_id(bl);
	spec = ddos_spec("blocklist", FW_MAP_PERCPU_HASH, 2048);
	assert_int_equal(fw_object_load(&spec, dir, NULL, &o2, &err), -EEXIST);
	if (!strstr(err.msg, "map blocklist: the pinned map ") ||
	    !strstr(err.msg, "(lru_hash, key ") ||
	    !strstr(err.msg, "cannot be converted to percpu_hash with key ") ||
	    strncmp(err.msg, "object ", 7))
		fail_msg("unexpected: %s", err.msg);
	fw_error_clear(&err);
	assert_int_equal(pinned_id(bl), first_id);
	spec = ddos_spec("blocklist", FW_MAP_LRU_HASH, 2048);
	o = load(&spec, dir);
	assert_int_equal(map_id(obj_map_fd(o, "blocklist")), first_id);
	assert_true(has_entry(obj_map_fd(o, "blocklist"), o, 1));
	fw_object_close(o);
	fw_pins_remove_maps(root, "ddos_filter");
}

/* A map pinned by someone else where the block's maps live, with the
 * definition the object asks for, is the map the program gets. */
static void test_existing_pin_adopted(void **state)
{
	struct fw_prog_spec spec = ddos_spec(NULL, FW_MAP_DEFAULT, 0);
	struct bpf_object *probe = bpf_object__open_file(object, NULL);
	struct bpf_map *m = bpf_object__find_map_by_name(probe, "blocklist");
	char dir[FW_PATH_MAX], bl[FW_PATH_MAX + 16];
	struct fw_object *o;
	int fd;

	assert_non_null(m);
	fd = bpf_map_create(bpf_map__type(m), "blocklist", bpf_map__key_size(m),
			    bpf_map__value_size(m), bpf_map__max_entries(m), NULL);
	assert_true(fd >= 0);
	fw_pins_map_dir(root, "adopted", dir);
	snprintf(bl, sizeof(bl), "%s/blocklist", dir);
	assert_int_equal(mkdir(dir, 0700), 0);
	assert_int_equal(bpf_obj_pin(fd, bl), 0);

	snprintf(spec.name, sizeof(spec.name), "adopted");
	o = load(&spec, dir);
	assert_int_equal(map_id(obj_map_fd(o, "blocklist")), map_id(fd));
	/* what one side writes, the other reads */
	put_entry(fd, o, 9);
	assert_true(has_entry(obj_map_fd(o, "blocklist"), o, 9));
	fw_object_close(o);
	bpf_object__close(probe);
	close(fd);
	fw_pins_remove_maps(root, "adopted");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_root_prepared_and_locked),
		cmocka_unit_test(test_root_others_can_write_is_refused),
		cmocka_unit_test(test_records_written_and_read_back),
		cmocka_unit_test(test_replace_and_sweep),
		cmocka_unit_test(test_migration_rules),
		cmocka_unit_test(test_existing_pin_adopted),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
