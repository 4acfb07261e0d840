// SPDX-License-Identifier: MIT
/*
 * Every hook of the table (src/ebpf/hook_ops.h) attaches a shipped program
 * on this kernel through fw_hook_attach, on the lab's eth0 where it takes an
 * interface, and the kernel shows it there: the XDP program the interface
 * runs, the program behind a tcx link or a clsact filter (with tc's
 * companion on the other direction), the packet socket bound to the
 * interface, the perf-event link of a tracepoint; a kprobe block attaches
 * by one of its forms and says why when not the first. Then what can be
 * swapped in place is swapped (the kernel runs the new program) and what
 * is released is gone from the kernel.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>

#include <linux/if_packet.h>
#include <net/if.h>
#include <sys/socket.h>

#include "bpf_test.h"
#include "netns_lab.h"
#include "ebpf/hooks.h"
#include "ebpf/loader.h"
#include "ebpf/pins.h"

static struct lab lab;
static int ifindex, lock_fd = -1;
static char root[128];

static int setup(void **state)
{
	struct fw_error err = { 0 };

	if (lab_up(&lab, "hooks") || lab_enter(lab.fw))
		return -1;
	ifindex = if_nametoindex("eth0");
	/* a pin root of the test's own, for the links a swap goes through */
	snprintf(root, sizeof(root), "/sys/fs/bpf/flywall-test-hooks-%d", getpid());
	lock_fd = fw_pins_prepare(root, &err);
	if (lock_fd < 0)
		fprintf(stderr, "# %s\n", err.msg);
	return ifindex > 0 && lock_fd >= 0 ? 0 : -1;
}

static int teardown(void **state)
{
	static const char *const subdirs[] = { "progs", "links", "maps" };
	char path[256];

	for (size_t i = 0; i < sizeof(subdirs) / sizeof(*subdirs); i++) {
		snprintf(path, sizeof(path), "%s/%s", root, subdirs[i]);
		rmdir(path);
	}
	if (lock_fd >= 0)
		close(lock_fd);
	rmdir(root);
	lab_down(&lab);
	return 0;
}

/* A block of each hook, on a shipped object. */
struct hook_case {
	const char *object;
	const char *name;
	void (*fill)(struct fw_prog_spec *s);
};

static struct fw_map_override small_conntrack = { .name = "conntrack", .size = 1024 };

static void fill_tc(struct fw_prog_spec *s)
{
	s->maps = &small_conntrack; /* 1M preallocated entries otherwise */
	s->n_maps = 1;
}

static void fill_tracepoint(struct fw_prog_spec *s)
{
	snprintf(s->tracepoint, sizeof(s->tracepoint), "net:netif_receive_skb");
}

static void fill_kprobe(struct fw_prog_spec *s)
{
	snprintf(s->function, sizeof(s->function), "tcp_v4_connect");
}

static const struct hook_case cases[FW_HOOK__COUNT] = {
	[FW_HOOK_XDP] = { "xdp_pass", "xdp_pass", NULL },
	[FW_HOOK_TC] = { "ingress_filter", "ingress_filter", fill_tc },
	[FW_HOOK_SOCKET_FILTER] = { "socket_monitor", "socket_monitor", NULL },
	[FW_HOOK_TRACEPOINT] = { "net_trace", "net_trace", fill_tracepoint },
	[FW_HOOK_KPROBE] = { "tcp_trace", "tcp_trace", fill_kprobe },
};

static struct fw_prog_spec spec_for(enum fw_hook hook)
{
	const char *build = getenv("BUILD");
	struct fw_prog_spec s = { .hook = hook };

	snprintf(s.name, sizeof(s.name), "%s", cases[hook].name);
	snprintf(s.object, sizeof(s.object), "%s/bpf/%s.o", build && *build ? build : "build",
		 cases[hook].object);
	if (fw_hook_takes(hook, FW_FIELD_INTERFACE))
		snprintf(s.interface, sizeof(s.interface), "eth0");
	if (cases[hook].fill)
		cases[hook].fill(&s);
	return s;
}

static struct fw_object *load(const struct fw_prog_spec *s)
{
	struct fw_error err = { 0 };
	struct fw_object *o = NULL;

	if (fw_object_load(s, NULL, NULL, &o, &err))
		fail_msg("%s: %s", s->name, err.msg);
	return o;
}

static void attach_opts(const struct fw_prog_spec *s, struct fw_object *o,
			const struct fw_hook_opts *opts, struct fw_attachment *a)
{
	struct fw_error err = { 0 };
	int ix = fw_hook_takes(s->hook, FW_FIELD_INTERFACE) ? ifindex : 0;

	if (fw_hook_attach(s, o, ix, opts, a, &err))
		fail_msg("%s: %s", s->name, err.msg);
	assert_int_equal(a->hook, s->hook);
}

static void attach(const struct fw_prog_spec *s, struct fw_object *o, struct fw_attachment *a)
{
	attach_opts(s, o, NULL, a);
}

static __u32 prog_id(int fd)
{
	struct bpf_prog_info info = {};
	__u32 len = sizeof(info);

	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info.id;
}

static struct bpf_link_info link_info(int fd)
{
	struct bpf_link_info info = {};
	__u32 len = sizeof(info);

	assert_int_equal(bpf_obj_get_info_by_fd(fd, &info, &len), 0);
	return info;
}

static __u32 xdp_prog_on_eth0(void)
{
	LIBBPF_OPTS(bpf_xdp_query_opts, q);

	assert_int_equal(bpf_xdp_query(ifindex, 0, &q), 0);
	return q.prog_id;
}

/* The program a clsact filter of the given direction, handle and priority
 * runs; 0 when there is none. */
static __u32 clsact_prog(enum bpf_tc_attach_point where, __u32 handle, __u32 priority)
{
	LIBBPF_OPTS(bpf_tc_hook, hook, .ifindex = ifindex, .attach_point = where);
	LIBBPF_OPTS(bpf_tc_opts, opts, .handle = handle, .priority = priority);

	return bpf_tc_query(&hook, &opts) ? 0 : opts.prog_id;
}

static bool kind_of_hook(enum fw_hook hook, enum fw_attach_kind kind)
{
	const struct fw_hook_ops *ops = fw_hook_ops_of(hook);

	for (int i = 0; i < FW_HOOK_MAX_KINDS && ops->kinds[i].name; i++)
		if (ops->kinds[i].kind == kind)
			return true;
	return false;
}

static struct fw_pin_record record_of(const struct fw_prog_spec *s, const struct fw_attachment *a)
{
	struct fw_pin_record rec = { 0 };

	snprintf(rec.name, sizeof(rec.name), "%s", s->name);
	fw_attachment_to_record(a, &rec);
	return rec;
}

/* A new hook gets a case here, or this fails. */
static void test_every_hook_has_a_case(void **state)
{
	for (int h = 0; h < FW_HOOK__COUNT; h++)
		if (!cases[h].object)
			fail_msg("hook %s has no attach case in tests/bpf/test_hooks.c", fw_hook_name(h));
}

/* Each hook attaches, by one of its own kinds, and the record of it reads
 * back the same. */
static void test_every_hook_attaches(void **state)
{
	for (int h = 0; h < FW_HOOK__COUNT; h++) {
		struct fw_prog_spec s = spec_for(h);
		struct fw_object *o = load(&s);
		struct fw_attachment a, back;
		struct fw_pin_record rec;

		attach(&s, o, &a);
		if (!kind_of_hook(h, a.kind))
			fail_msg("%s attached as %s, not one of its kinds", fw_hook_name(h),
				 fw_attach_kind_name(a.kind));
		rec = record_of(&s, &a);
		fw_attachment_init(&back);
		fw_attachment_from_record(&back, &rec);
		assert_int_equal(back.hook, a.hook);
		assert_int_equal(back.kind, a.kind);
		assert_int_equal(back.ifindex, a.ifindex);
		assert_int_equal(back.companion_kind, a.companion_kind);
		assert_string_equal(back.note, a.note);
		fw_attachment_release(&a, true);
		fw_object_close(o);
	}
}

static void test_xdp_swaps_in_place_and_detaches(void **state)
{
	struct fw_prog_spec s = spec_for(FW_HOOK_XDP);
	struct fw_object *o = load(&s), *o2 = load(&s);
	struct fw_error err = { 0 };
	struct fw_pin_record rec;
	struct fw_attachment a;

	attach(&s, o, &a);
	assert_int_equal(a.kind, FW_ATTACH_XDP_NATIVE); /* veth has native XDP */
	assert_int_equal(xdp_prog_on_eth0(), prog_id(bpf_program__fd(o->prog)));
	rec = record_of(&s, &a);
	assert_true(fw_hook_can_replace(&rec, &s, ifindex));
	assert_false(fw_hook_can_replace(&rec, &s, ifindex + 1));
	assert_int_equal(fw_hook_replace("/nonexistent", &rec, a.link_fd,
					 bpf_program__fd(o2->prog), -1, &err), 0);
	assert_int_equal(xdp_prog_on_eth0(), prog_id(bpf_program__fd(o2->prog)));
	/* a link in native mode cannot become generic */
	s.xdp_mode = FW_XDP_GENERIC;
	assert_false(fw_hook_can_replace(&rec, &s, ifindex));
	fw_attachment_release(&a, true);
	assert_int_equal(xdp_prog_on_eth0(), 0);
	fw_object_close(o);
	fw_object_close(o2);
}

/* tcx where the kernel has it: the link and the companion's run the
 * programs; swapped together. */
static void test_tc_link_with_companion(void **state)
{
	struct fw_prog_spec s = spec_for(FW_HOOK_TC);
	struct fw_object *o = load(&s), *o2 = load(&s);
	struct fw_error err = { 0 };
	struct bpf_link_info info;
	struct fw_pin_record rec;
	struct fw_attachment a;
	char path[FW_PATH_MAX];

	assert_non_null(o->companion);
	attach(&s, o, &a);
	if (a.kind != FW_ATTACH_TCX) {
		fw_attachment_release(&a, true);
		fw_object_close(o);
		fw_object_close(o2);
		skip(); /* before 6.6: the clsact test below covers tc */
	}
	assert_int_equal(a.companion_kind, FW_ATTACH_TCX);
	assert_non_null(strstr(a.note, "companion ingress_filter_egress on egress"));
	info = link_info(a.link_fd);
	assert_int_equal(info.prog_id, prog_id(bpf_program__fd(o->prog)));
	info = link_info(a.companion_link_fd);
	assert_int_equal(info.prog_id, prog_id(bpf_program__fd(o->companion)));

	/* a swap updates the companion through its pin */
	rec = record_of(&s, &a);
	assert_true(fw_hook_can_replace(&rec, &s, ifindex));
	assert_int_equal(fw_hook_pin(&a, root, s.name, &err), 0);
	assert_int_equal(fw_hook_replace(root, &rec, a.link_fd, bpf_program__fd(o2->prog),
					 bpf_program__fd(o2->companion), &err), 0);
	fw_pins_link_path(root, s.name, path);
	assert_int_equal(fw_pins_unlink(path), 0);
	fw_pins_companion_path(root, s.name, path);
	assert_int_equal(fw_pins_unlink(path), 0);
	assert_int_equal(link_info(a.link_fd).prog_id, prog_id(bpf_program__fd(o2->prog)));
	assert_int_equal(link_info(a.companion_link_fd).prog_id,
			 prog_id(bpf_program__fd(o2->companion)));
	s.direction = FW_TC_EGRESS;
	assert_false(fw_hook_can_replace(&rec, &s, ifindex));
	fw_attachment_release(&a, true);
	fw_object_close(o);
	fw_object_close(o2);
}

/* --tc-attach clsact: filters in both directions, swapped with
 * BPF_TC_F_REPLACE, removed on release. */
static void test_tc_clsact(void **state)
{
	struct fw_prog_spec s = spec_for(FW_HOOK_TC);
	struct fw_object *o = load(&s), *o2 = load(&s);
	struct fw_error err = { 0 };
	struct fw_pin_record rec;
	struct fw_attachment a;

	attach_opts(&s, o, &(struct fw_hook_opts){ .tc_clsact_only = true }, &a);
	assert_int_equal(a.kind, FW_ATTACH_CLSACT);
	assert_int_equal(a.companion_kind, FW_ATTACH_CLSACT);
	assert_int_equal(clsact_prog(BPF_TC_INGRESS, a.tc_handle, a.tc_priority),
			 prog_id(bpf_program__fd(o->prog)));
	assert_int_equal(clsact_prog(BPF_TC_EGRESS, a.companion_tc_handle,
				     a.companion_tc_priority),
			 prog_id(bpf_program__fd(o->companion)));
	rec = record_of(&s, &a);
	assert_int_equal(fw_hook_replace("/nonexistent", &rec, -1, bpf_program__fd(o2->prog),
					 bpf_program__fd(o2->companion), &err), 0);
	assert_int_equal(clsact_prog(BPF_TC_INGRESS, a.tc_handle, a.tc_priority),
			 prog_id(bpf_program__fd(o2->prog)));
	assert_int_equal(clsact_prog(BPF_TC_EGRESS, a.companion_tc_handle,
				     a.companion_tc_priority),
			 prog_id(bpf_program__fd(o2->companion)));
	fw_attachment_release(&a, true);
	assert_int_equal(clsact_prog(BPF_TC_INGRESS, rec.tc_handle, rec.tc_priority), 0);
	assert_int_equal(clsact_prog(BPF_TC_EGRESS, rec.companion_tc_handle,
				     rec.companion_tc_priority), 0);
	fw_object_close(o);
	fw_object_close(o2);
}

static void test_socket_filter_on_a_packet_socket(void **state)
{
	struct fw_prog_spec s = spec_for(FW_HOOK_SOCKET_FILTER);
	struct fw_object *o = load(&s);
	struct sockaddr_ll sll = { 0 };
	socklen_t len = sizeof(sll);
	struct fw_pin_record rec;
	struct fw_attachment a;

	attach(&s, o, &a);
	assert_int_equal(a.kind, FW_ATTACH_SOCKET);
	assert_int_equal(getsockname(a.sock_fd, (struct sockaddr *)&sll, &len), 0);
	assert_int_equal(sll.sll_family, AF_PACKET);
	assert_int_equal(sll.sll_ifindex, ifindex);
	rec = record_of(&s, &a);
	assert_false(fw_hook_can_replace(&rec, &s, ifindex));
	fw_attachment_release(&a, true);

	/* a daemon that adopts the program opens a packet socket of its own */
	fw_attachment_init(&a);
	assert_int_equal(fw_hook_revive(&rec, bpf_program__fd(o->prog), &a, NULL), 0);
	assert_true(a.sock_fd >= 0);
	len = sizeof(sll);
	assert_int_equal(getsockname(a.sock_fd, (struct sockaddr *)&sll, &len), 0);
	assert_int_equal(sll.sll_ifindex, ifindex);
	fw_attachment_release(&a, false);
	fw_object_close(o);
}

static void test_tracepoint_link(void **state)
{
	struct fw_prog_spec s = spec_for(FW_HOOK_TRACEPOINT);
	struct fw_object *o = load(&s);
	struct bpf_link_info info;
	struct fw_pin_record rec;
	struct fw_attachment a;

	attach(&s, o, &a);
	assert_int_equal(a.kind, FW_ATTACH_TRACEPOINT);
	info = link_info(a.link_fd);
	assert_int_equal(info.type, BPF_LINK_TYPE_PERF_EVENT);
	assert_int_equal(info.prog_id, prog_id(bpf_program__fd(o->prog)));
	rec = record_of(&s, &a);
	assert_false(fw_hook_can_replace(&rec, &s, 0)); /* perf-event links keep their program */
	fw_attachment_release(&a, true);
	fw_object_close(o);
}

/* kprobe -> fentry -> stand-in: whichever form runs, the note says what was
 * tried before it. */
static void test_kprobe_forms(void **state)
{
	struct fw_prog_spec s = spec_for(FW_HOOK_KPROBE);
	struct fw_object *o = load(&s);
	struct fw_attachment a;

	assert_non_null(o->fentry);
	assert_non_null(o->standin);
	attach(&s, o, &a);
	assert_true(a.link_fd >= 0);
	assert_int_equal(link_info(a.link_fd).prog_id, prog_id(a.prog_fd));
	if (a.kind == FW_ATTACH_KPROBE)
		assert_string_equal(a.note, "");
	else if (a.kind == FW_ATTACH_FENTRY)
		assert_non_null(strstr(a.note, "kprobe failed ("));
	else {
		assert_int_equal(a.kind, FW_ATTACH_STANDIN);
		assert_non_null(strstr(a.note, "kprobe failed ("));
		assert_non_null(strstr(a.note, "fentry failed ("));
		assert_non_null(strstr(a.note, "running stand-in tracepoint/sock/inet_sock_set_state"));
		assert_int_equal(a.prog_fd, bpf_program__fd(o->standin));
	}
	fw_attachment_release(&a, true);
	fw_object_close(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_hook_has_a_case),
		cmocka_unit_test(test_every_hook_attaches),
		cmocka_unit_test(test_xdp_swaps_in_place_and_detaches),
		cmocka_unit_test(test_tc_link_with_companion),
		cmocka_unit_test(test_tc_clsact),
		cmocka_unit_test(test_socket_filter_on_a_packet_socket),
		cmocka_unit_test(test_tracepoint_link),
		cmocka_unit_test(test_kprobe_forms),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
