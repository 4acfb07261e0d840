// SPDX-License-Identifier: MIT
/*
 * The apply transaction (src/daemon/reconcile.c) and the registry's adoption
 * (src/daemon/registry.c) against the kernel: real loads and XDP attaches on
 * the loopback and a veth pair of a private network namespace, pins in a
 * private bpffs mount (both die with the test). What is checked is what the
 * kernel shows afterwards: which program an interface runs, which link holds
 * it, which pins and records exist, whether a map's entries survived.
 *
 * A crash between two steps of an apply is a child process of this binary
 * (re-executed with --crash-at POINT) killed by FLYWALL_CRASH_AT; the parent
 * then opens the registry as the next daemon would.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <fcntl.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "bpf_test.h"
#include "common/log.h"
#include "daemon/backend_internal.h"
#include "daemon/event_log.h"
#include "daemon/program_ext.h"
#include "daemon/reconcile.h"
#include "ebpf/args.h"

static char mnt[] = "/tmp/flywall-reconcile-XXXXXX";
static char root[FW_PATH_MAX];
static char ddos_obj[FW_PATH_MAX], pass_obj[FW_PATH_MAX], monitor_obj[FW_PATH_MAX];
static int lo_index, veth_index;
static int root_serial;

/* ---- the lab: a private netns and bpffs ------------------------------------ */

static int run(const char *cmd)
{
	int status = system(cmd);

	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void object_path(const char *name, char *out)
{
	const char *build = getenv("BUILD");
	char rel[FW_PATH_MAX];

	snprintf(rel, sizeof(rel), "%s/bpf/%s.o", build && *build ? build : "build", name);
	if (!realpath(rel, out))
		snprintf(out, FW_PATH_MAX, "%s", rel);
}

/* Everything here is this process's own: the namespaces go with it. */
static int lab_setup(void **state)
{
	if (unshare(CLONE_NEWNET | CLONE_NEWNS) ||
	    mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL)) {
		fprintf(stderr, "# unshare: %s\n", strerror(errno));
		return -1;
	}
	if (!mkdtemp(mnt) || mount("bpf", mnt, "bpf", 0, "mode=0700")) {
		fprintf(stderr, "# bpffs on %s: %s\n", mnt, strerror(errno));
		return -1;
	}
	if (run("ip link set lo up") || run("ip link add fwr0 type veth peer name fwr1") ||
	    run("ip link set fwr0 up"))
		return -1;
	lo_index = if_nametoindex("lo");
	veth_index = if_nametoindex("fwr0");
	object_path("ddos_filter", ddos_obj);
	object_path("xdp_pass", pass_obj);
	object_path("socket_monitor", monitor_obj);
	fw_log_set_level(FW_LOG_WARN);
	return 0;
}

static int lab_teardown(void **state)
{
	umount2(mnt, MNT_DETACH);
	rmdir(mnt);
	return 0;
}

/* Each test its own pin root (the kernel objects go with the registry). */
static int fresh_root(void **state)
{
	snprintf(root, sizeof(root), "%s/root%d", mnt, ++root_serial);
	return 0;
}

/* ---- specs ---------------------------------------------------------------- */

static struct fw_prog_spec xdp_spec(const char *name, const char *object, const char *ifname,
				    long max_pps)
{
	struct fw_prog_spec s = { .hook = FW_HOOK_XDP, .xdp_mode = FW_XDP_AUTO };

	snprintf(s.name, sizeof(s.name), "%s", name);
	snprintf(s.object, sizeof(s.object), "%s", object);
	snprintf(s.interface, sizeof(s.interface), "%s", ifname);
	if (max_pps >= 0) {
		s.args = calloc(1, sizeof(*s.args));
		snprintf(s.args[0].name, sizeof(s.args[0].name), "max_pps");
		s.args[0].kind = FW_ARG_INT;
		s.args[0].i = max_pps;
		s.n_args = 1;
	}
	return s;
}

static void release(struct fw_prog_spec *specs, size_t n)
{
	for (size_t i = 0; i < n; i++)
		fw_prog_spec_release(&specs[i]);
}

/* ---- what the kernel shows -------------------------------------------------- */

/* The XDP program an interface runs (generic or native), 0 when none. */
static __u32 xdp_prog_on(int ifindex)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	if (bpf_xdp_query(ifindex, 0, &q))
		return 0;
	return q.prog_id ? q.prog_id : q.skb_prog_id ? q.skb_prog_id : q.drv_prog_id;
}

/* The same, waiting up to 2 s for a released link to let go (the kernel
 * detaches from a workqueue once the last reference goes). */
static __u32 xdp_prog_settled(int ifindex, __u32 want)
{
	__u32 id = xdp_prog_on(ifindex);

	for (int i = 0; i < 200 && id != want; i++) {
		usleep(10000);
		id = xdp_prog_on(ifindex);
	}
	return id;
}

static bool pinned(const char *fmt, const char *name)
{
	char rel[256], path[FW_PATH_MAX + 256];
	struct stat st;

	snprintf(rel, sizeof(rel), fmt, name);
	snprintf(path, sizeof(path), "%s/%s", root, rel);
	return stat(path, &st) == 0;
}

/* id and prog_id of the pinned link of program name; 0s when none. */
static void link_of(const char *name, __u32 *id, __u32 *prog_id)
{
	char path[FW_PATH_MAX];
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);
	int fd;

	*id = *prog_id = 0;
	fw_pins_link_path(root, name, path);
	fd = bpf_obj_get(path);
	if (fd < 0)
		return;
	if (!bpf_obj_get_info_by_fd(fd, &info, &len)) {
		*id = info.id;
		*prog_id = info.prog_id;
	}
	close(fd);
}

static __u32 prog_id_of(int prog_fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(prog_fd, &info, &len) ? 0 : info.id;
}

static bool has_record(struct fw_registry *reg, const char *name)
{
	struct fw_pin_record rec;

	return fw_pins_record_get(reg->state_fd, name, &rec) == 0;
}

static void open_registry(struct fw_registry *reg)
{
	struct fw_error err = {};

	if (fw_registry_open(reg, root, &err))
		fail_msg("registry %s: %s", root, err.msg);
}

static void apply_ok(struct fw_registry *reg, const struct fw_prog_spec *specs, size_t n,
		     struct fw_reconcile_report *rep)
{
	struct fw_error err = {};

	if (fw_reconcile(reg, specs, n, FW_ORIGIN_CONFIG, true, rep, &err))
		fail_msg("apply failed: %s", err.msg);
}

static void close_all(struct fw_registry *reg)
{
	struct fw_error err = {};

	assert_int_equal(fw_reconcile_remove_all(reg, &err), 0);
	fw_registry_close(reg);
}

/* ---- attach, keep, swap, reattach, remove --------------------------------------- */

static void test_unchanged_is_kept_changed_is_swapped(void **state)
{
	struct fw_prog_spec a = xdp_spec("a", ddos_obj, "lo", 100);
	struct fw_prog_spec a2 = xdp_spec("a", ddos_obj, "lo", 200);
	struct fw_reconcile_report rep;
	struct fw_registry reg;
	__u32 link1, prog1, link2, prog2, key[4] = { 0, 0, htonl(0xffff), htonl(0x0a000001) };
	char path[FW_PATH_MAX];
	int map_fd;

	open_registry(&reg);
	apply_ok(&reg, &a, 1, &rep);
	assert_int_equal(rep.loaded, 1);
	link_of("a", &link1, &prog1);
	assert_true(link1 && prog1);
	assert_int_equal(xdp_prog_on(lo_index), prog1);
	assert_true(pinned("progs/%s", "a") && pinned("maps/%s/blocklist", "a"));
	assert_true(has_record(&reg, "a"));

	/* An entry in a pinned map, to see it survive the swap. */
	fw_pins_map_path(root, "a", "blocklist", path);
	map_fd = bpf_obj_get(path);
	assert_true(map_fd >= 0);
	{
		char value[256] = {};

		assert_int_equal(bpf_map_update_elem(map_fd, key, value, BPF_ANY), 0);
	}
	close(map_fd);

	apply_ok(&reg, &a, 1, &rep);
	assert_int_equal(rep.kept, 1);
	assert_int_equal(rep.loaded + rep.replaced + rep.removed, 0);
	link_of("a", &link2, &prog2);
	assert_int_equal(link2, link1);
	assert_int_equal(prog2, prog1);

	apply_ok(&reg, &a2, 1, &rep);
	assert_int_equal(rep.replaced, 1);
	link_of("a", &link2, &prog2);
	assert_int_equal(link2, link1);         /* swapped in the same link */
	assert_int_not_equal(prog2, prog1);
	assert_int_equal(xdp_prog_on(lo_index), prog2);
	assert_int_equal(prog_id_of(fw_registry_find(&reg, "a")->prog_fd), prog2);

	fw_pins_map_path(root, "a", "blocklist", path);
	map_fd = bpf_obj_get(path);
	{
		char value[256];

		assert_int_equal(bpf_map_lookup_elem(map_fd, key, value), 0);
	}
	close(map_fd);
	close_all(&reg);
	release(&a, 1);
	release(&a2, 1);
}

static void test_other_interface_is_reattached(void **state)
{
	struct fw_prog_spec a = xdp_spec("a", pass_obj, "lo", -1);
	struct fw_prog_spec moved = xdp_spec("a", pass_obj, "fwr0", -1);
	struct fw_reconcile_report rep;
	struct fw_registry reg;
	__u32 link1, prog1, link2, prog2;

	open_registry(&reg);
	apply_ok(&reg, &a, 1, &rep);
	link_of("a", &link1, &prog1);
	apply_ok(&reg, &moved, 1, &rep);
	assert_int_equal(rep.replaced, 1);
	link_of("a", &link2, &prog2);
	assert_int_not_equal(link2, link1);     /* a new link on the new interface */
	assert_int_equal(xdp_prog_on(veth_index), prog2);
	assert_int_equal(xdp_prog_settled(lo_index, 0), 0);
	assert_int_equal(fw_registry_find(&reg, "a")->rec.ifindex, (__u32)veth_index);
	close_all(&reg);
	release(&a, 1);
	release(&moved, 1);
}

static void test_missing_program_is_removed(void **state)
{
	struct fw_prog_spec specs[2] = { xdp_spec("a", pass_obj, "lo", -1),
					 xdp_spec("b", pass_obj, "fwr0", -1) };
	struct fw_reconcile_report rep;
	struct fw_registry reg;
	__u32 link, prog;

	open_registry(&reg);
	apply_ok(&reg, specs, 2, &rep);
	assert_int_equal(rep.loaded, 2);
	apply_ok(&reg, specs, 1, &rep);         /* b is no longer configured */
	assert_int_equal(rep.kept, 1);
	assert_int_equal(rep.removed, 1);
	assert_null(fw_registry_find(&reg, "b"));
	assert_false(has_record(&reg, "b"));
	assert_false(pinned("progs/%s", "b"));
	assert_false(pinned("links/%s", "b"));
	assert_false(pinned("maps/%s", "b"));
	assert_int_equal(xdp_prog_settled(veth_index, 0), 0);
	link_of("a", &link, &prog);
	assert_int_equal(xdp_prog_on(lo_index), prog);
	close_all(&reg);
	assert_int_equal(xdp_prog_settled(lo_index, 0), 0);
	release(specs, 2);
}

/* ---- failures: nothing that ran changes ----------------------------------------- */

static void test_failed_prepare_changes_nothing(void **state)
{
	struct fw_prog_spec a = xdp_spec("a", ddos_obj, "lo", 100);
	struct fw_prog_spec next[2] = { xdp_spec("a", ddos_obj, "lo", 300),
					xdp_spec("c", pass_obj, "fwr-none", -1) };
	struct fw_reconcile_report rep;
	struct fw_registry reg;
	struct fw_error err = {};
	__u32 link1, prog1, link2, prog2;

	open_registry(&reg);
	apply_ok(&reg, &a, 1, &rep);
	link_of("a", &link1, &prog1);
	assert_int_not_equal(fw_reconcile(&reg, next, 2, FW_ORIGIN_CONFIG, true, &rep, &err), 0);
	assert_non_null(strstr(err.msg, "fwr-none"));
	link_of("a", &link2, &prog2);
	assert_int_equal(link2, link1);
	assert_int_equal(prog2, prog1);
	assert_int_equal(xdp_prog_on(lo_index), prog1);
	assert_false(pinned("progs/%s", "c"));
	assert_false(has_record(&reg, "c"));
	fw_error_clear(&err);
	close_all(&reg);
	release(&a, 1);
	release(next, 2);
}

/* A swap switched, then the next block fails to attach: the swap is undone. */
static void test_failed_switch_rolls_back(void **state)
{
	struct fw_prog_spec a = xdp_spec("a", ddos_obj, "lo", 100);
	struct fw_prog_spec next[2] = { xdp_spec("a", ddos_obj, "lo", 300),
					xdp_spec("d", pass_obj, "lo", -1) };
	struct fw_reconcile_report rep;
	struct fw_registry reg;
	struct fw_error err = {};
	__u32 link1, prog1, link2, prog2;
	uint64_t hash;

	next[1].xdp_mode = FW_XDP_NATIVE;       /* the loopback has no native XDP */
	open_registry(&reg);
	apply_ok(&reg, &a, 1, &rep);
	link_of("a", &link1, &prog1);
	hash = fw_registry_find(&reg, "a")->rec.spec_hash;
	assert_int_not_equal(fw_reconcile(&reg, next, 2, FW_ORIGIN_CONFIG, true, &rep, &err), 0);
	if (!strstr(err.msg, "program d") && !strstr(err.msg, "native"))
		fail_msg("the error does not name the block that failed: %s", err.msg);
	link_of("a", &link2, &prog2);
	assert_int_equal(link2, link1);
	assert_int_equal(prog2, prog1);         /* swapped back */
	assert_int_equal(xdp_prog_on(lo_index), prog1);
	assert_int_equal(fw_registry_find(&reg, "a")->rec.spec_hash, hash);
	assert_false(pinned("progs/%s", "d"));
	assert_false(pinned("links/%s", "d"));
	assert_false(has_record(&reg, "d"));
	fw_error_clear(&err);
	close_all(&reg);
	release(&a, 1);
	release(next, 2);
}

/* ---- adoption ------------------------------------------------------------------- */

static void test_adoption_keeps_what_runs(void **state)
{
	struct fw_prog_spec a = xdp_spec("a", ddos_obj, "lo", 100);
	struct fw_reconcile_report rep;
	struct fw_registry reg;
	struct fw_program *p;
	__u32 link1, prog1, link2, prog2;

	open_registry(&reg);
	apply_ok(&reg, &a, 1, &rep);
	link_of("a", &link1, &prog1);
	fw_registry_close(&reg);                /* the daemon stops: programs stay */
	assert_int_equal(xdp_prog_on(lo_index), prog1);

	open_registry(&reg);
	p = fw_registry_find(&reg, "a");
	assert_non_null(p);
	assert_null(p->obj);                    /* loaded by an earlier run */
	assert_int_equal(prog_id_of(p->prog_fd), prog1);
	assert_string_equal(p->rec.interface, "lo");
	apply_ok(&reg, &a, 1, &rep);
	assert_int_equal(rep.kept, 1);          /* nothing reloaded */
	link_of("a", &link2, &prog2);
	assert_int_equal(link2, link1);
	assert_int_equal(prog2, prog1);
	close_all(&reg);
	release(&a, 1);
}

static void test_record_without_pins_is_dropped(void **state)
{
	struct fw_prog_spec a = xdp_spec("a", pass_obj, "lo", -1);
	struct fw_reconcile_report rep;
	struct fw_registry reg;
	char path[FW_PATH_MAX];

	open_registry(&reg);
	apply_ok(&reg, &a, 1, &rep);
	fw_registry_close(&reg);
	fw_pins_prog_path(root, "a", path);
	assert_int_equal(unlink(path), 0);      /* someone removed the program's pin */

	open_registry(&reg);
	assert_null(fw_registry_find(&reg, "a"));
	assert_false(has_record(&reg, "a"));
	assert_false(pinned("links/%s", "a"));
	assert_int_equal(xdp_prog_settled(lo_index, 0), 0);
	apply_ok(&reg, &a, 1, &rep);
	assert_int_equal(rep.loaded, 1);        /* attached afresh */
	close_all(&reg);
	release(&a, 1);
}

/* Child: applies block "a" with FLYWALL_CRASH_AT set, and is killed. */
static int crash_child(const char *point, const char *at_root)
{
	struct fw_prog_spec a = xdp_spec("a", pass_obj, "lo", -1);
	struct fw_reconcile_report rep;
	struct fw_registry reg;
	struct fw_error err = {};

	setenv("FLYWALL_CRASH_AT", point, 1);
	snprintf(root, sizeof(root), "%s", at_root);
	object_path("xdp_pass", pass_obj);
	snprintf(a.object, sizeof(a.object), "%s", pass_obj);
	if (fw_registry_open(&reg, root, &err) ||
	    fw_reconcile(&reg, &a, 1, FW_ORIGIN_CONFIG, true, &rep, &err))
		fprintf(stderr, "# child: %s\n", err.msg);
	return 3;       /* not killed: the crash point was not reached */
}

static void crash_at(const char *point)
{
	char self[FW_PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	pid_t pid;
	int status;

	assert_true(n > 0);
	self[n] = '\0';
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		execl(self, self, "--crash-at", point, root, (char *)NULL);
		_exit(127);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != SIGKILL)
		fail_msg("the child was not killed at %s (status %#x)", point, status);
}

/* Pinned, not recorded: the apply never committed, its pins are swept and
 * the link released. */
static void test_crash_before_record_leaves_nothing(void **state)
{
	struct fw_registry reg;

	crash_at("link-pinned");
	assert_true(pinned("links/%s", "a"));   /* what the crash left */
	open_registry(&reg);
	assert_int_equal(reg.n_progs, 0);
	assert_false(pinned("links/%s", "a"));
	assert_false(pinned("progs/%s", "a"));
	assert_false(pinned("maps/%s", "a"));
	assert_int_equal(xdp_prog_settled(lo_index, 0), 0);
	fw_registry_close(&reg);
}

/* Recorded: the change committed, and the next daemon adopts it. */
static void test_crash_after_record_is_adopted(void **state)
{
	struct fw_prog_spec a = xdp_spec("a", pass_obj, "lo", -1);
	struct fw_reconcile_report rep;
	struct fw_registry reg;
	__u32 link, prog;

	crash_at("recorded");
	open_registry(&reg);
	assert_int_equal(reg.n_progs, 1);
	link_of("a", &link, &prog);
	assert_true(link != 0);
	assert_int_equal(prog_id_of(fw_registry_find(&reg, "a")->prog_fd), prog);
	assert_int_equal(xdp_prog_on(lo_index), prog);
	apply_ok(&reg, &a, 1, &rep);
	assert_int_equal(rep.kept, 1);
	close_all(&reg);
	release(&a, 1);
}

/* ---- program extensions: by what the object declares ------------------------------ */

static void test_extensions_match_what_objects_declare(void **state)
{
	static const struct { const char *object; bool services, shaper, blocklist; } cases[] = {
		{ "ddos_filter", false, false, true },
		{ "xdp_pass", false, false, false },
		{ "socket_monitor", true, false, false },
		{ "egress_shaper", false, true, false },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(*cases); i++) {
		struct bpf_object *obj = bpf_test_open(cases[i].object);

		assert_non_null(obj);
		assert_int_equal(fw_ext_services.matches(obj), cases[i].services);
		assert_int_equal(fw_ext_shaper.matches(obj), cases[i].shaper);
		assert_int_equal(fw_ext_blocklist.matches(obj), cases[i].blocklist);
		bpf_object__close(obj);
	}
}

/* The services extension sets the socket filter's global from the block. */
static void test_socket_filter_learns_its_services(void **state)
{
	struct fw_prog_spec m = { .hook = FW_HOOK_SOCKET_FILTER, .services = FW_SVC_DHCP };
	struct fw_reconcile_report rep;
	struct fw_registry reg;
	json_t *args;

	snprintf(m.name, sizeof(m.name), "monitor");
	snprintf(m.object, sizeof(m.object), "%s", monitor_obj);
	snprintf(m.interface, sizeof(m.interface), "lo");
	open_registry(&reg);
	apply_ok(&reg, &m, 1, &rep);
	args = fw_args_read_running(fw_registry_find(&reg, "monitor")->prog_fd);
	assert_int_equal(json_integer_value(json_object_get(args, "flywall_services")),
			 FW_SVC_DHCP);
	json_decref(args);
	close_all(&reg);
}

/* The backend as the API calls it, on a daemon of the test's own (the
 * context it was registered with, no process global): the blocklist serves
 * any program whose object declares its maps, whatever the block's name. */
static void test_backend_on_a_daemon_of_its_own(void **state)
{
	static struct fw_daemon d = { .lock = PTHREAD_MUTEX_INITIALIZER, .run_stats_fd = -1 };
	struct fw_prog_spec specs[2] = { xdp_spec("guard", ddos_obj, "lo", 100),
					 xdp_spec("plain", pass_obj, "fwr0", -1) };
	const struct fw_api_backend *be = &d.backend;
	struct fw_reconcile_report rep;
	struct fw_error err = {};
	__u8 key[16] = { [10] = 0xff, [11] = 0xff, [12] = 10, [13] = 1, [14] = 2, [15] = 3 };
	__u8 value[8];
	char path[FW_PATH_MAX];
	json_t *entries, *stats = NULL;
	int fd;

	fw_backend_init(&d);
	d.events = fw_event_log_new();
	open_registry(&d.reg);
	apply_ok(&d.reg, specs, 2, &rep);

	entries = json_pack("[{s:s}]", "address", "10.1.2.3");
	assert_int_equal(be->blocklist_add(be->ctx, "guard", entries, &err), 0);
	fw_pins_map_path(root, "guard", "blocklist", path);
	fd = bpf_obj_get(path);
	assert_true(fd >= 0);
	assert_int_equal(bpf_map_lookup_elem(fd, key, value), 0);      /* in the kernel */
	close(fd);
	assert_int_equal(be->map_stats(be->ctx, "guard.blocklist", &stats, &err), 0);
	assert_int_equal(json_integer_value(json_object_get(stats, "entries")), 1);
	assert_string_equal(json_string_value(json_object_get(stats, "entries_source")), "kept");
	json_decref(stats);

	assert_int_equal(be->blocklist_add(be->ctx, "plain", entries, &err), -EINVAL);
	assert_string_equal(err.msg, "program plain has no blocklist and cidr_blocklist maps "
			    "(is it a ddos_filter?)");
	fw_error_clear(&err);
	json_decref(entries);
	assert_string_equal(be->blocklist_default, "ddos_filter");

	fw_backend_join(&d);
	fw_event_log_free(d.events);
	close_all(&d.reg);
	release(specs, 2);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_unchanged_is_kept_changed_is_swapped, fresh_root),
		cmocka_unit_test_setup(test_other_interface_is_reattached, fresh_root),
		cmocka_unit_test_setup(test_missing_program_is_removed, fresh_root),
		cmocka_unit_test_setup(test_failed_prepare_changes_nothing, fresh_root),
		cmocka_unit_test_setup(test_failed_switch_rolls_back, fresh_root),
		cmocka_unit_test_setup(test_adoption_keeps_what_runs, fresh_root),
		cmocka_unit_test_setup(test_record_without_pins_is_dropped, fresh_root),
		cmocka_unit_test_setup(test_crash_before_record_leaves_nothing, fresh_root),
		cmocka_unit_test_setup(test_crash_after_record_is_adopted, fresh_root),
		cmocka_unit_test_setup(test_extensions_match_what_objects_declare, fresh_root),
		cmocka_unit_test_setup(test_socket_filter_learns_its_services, fresh_root),
		cmocka_unit_test_setup(test_backend_on_a_daemon_of_its_own, fresh_root),
	};

	if (argc == 4 && !strcmp(argv[1], "--crash-at"))
		return crash_child(argv[2], argv[3]);
	return cmocka_run_group_tests(tests, lab_setup, lab_teardown);
}
