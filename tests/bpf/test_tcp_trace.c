// SPDX-License-Identifier: MIT
/*
 * tcp_trace, each form loaded alone as the engine loads it (the others'
 * autoload off), attached for real: a TCP connect from a lab namespace to a
 * closed port must give one event with the destination, the comm and pid of
 * the process that connected, and a kernel stack that, symbolized through
 * /proc/kallsyms by the collector, contains tcp_v4_connect.
 *
 * On this kernel the kprobe form loads but cannot attach (no CONFIG_KPROBES:
 * ENOENT) and the fentry form cannot load (no trampolines); the tracepoint
 * stand-in is what runs. The kprobe test asserts that failure unless tracefs
 * shows kprobe_events (then it checks the kprobe's events instead).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include "bpf/bpf_test.h"
#include "bpf/netns_lab.h"
#include "ebpf/collector.h"
#include "flywall/trace.h"

#define CLOSED_PORT 9           /* discard: nothing listens in the lab */
#define SOURCE_PORT 45678
#define COMM "test_tcp_trace"

static const char *const forms[] = {
	"tcp_v4_connect_kprobe", "tcp_v4_connect_fentry", "tcp_v4_connect_tracepoint",
};

static struct lab lab;
static struct bpf_object *obj;
static struct bpf_link *probe_link;
static struct fw_collector *collector;
static json_t *events;

static void on_event(const char *source, json_t *event, void *ctx)
{
	json_array_append(events, event);
}

static int setup(void **state)
{
	events = json_array();
	return lab_up(&lab, "tcp");
}

static int teardown(void **state)
{
	json_decref(events);
	lab_down(&lab);
	return 0;
}

/* Detaches and unloads whatever the last test loaded. */
static int unload(void **state)
{
	fw_collector_free(collector);
	collector = NULL;
	bpf_link__destroy(probe_link);
	probe_link = NULL;
	bpf_object__close(obj);
	obj = NULL;
	json_array_clear(events);
	return 0;
}

/* Opens the object with only `form` to load; returns the load's result. */
static int load_form(const char *form)
{
	struct bpf_program *p;

	obj = bpf_test_open("tcp_trace");
	assert_non_null(obj);
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, strcmp(bpf_program__name(p), form) == 0);
	return bpf_object__load(obj);
}

static int attach_form(const char *form)
{
	probe_link = bpf_program__attach(bpf_object__find_program_by_name(obj, form));
	return probe_link ? 0 : -errno;
}

static void collect(void)
{
	struct fw_error err = {};

	assert_int_equal(fw_collector_new(on_event, NULL, &collector, &err), 0);
	if (fw_collector_add(collector, "tcp_trace", bpf_test_map_fd(obj, "tcp_events"),
			     bpf_test_map_fd(obj, "stack_traces"), &err))
		fail_msg("%s", err.msg);
}

/* From LAB_FW_IP:SOURCE_PORT to the peer's closed port; 0 when refused. */
static void *connect_refused(void *unused)
{
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_port = htons(CLOSED_PORT) };
	struct sockaddr_in from = { .sin_family = AF_INET, .sin_port = htons(SOURCE_PORT) };
	int fd = socket(AF_INET, SOCK_STREAM, 0), one = 1;

	inet_pton(AF_INET, LAB_PEER_IP, &to.sin_addr);
	inet_pton(AF_INET, LAB_FW_IP, &from.sin_addr);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) ||
	    bind(fd, (struct sockaddr *)&from, sizeof(from)))
		return (void *)2L;
	/* refused: the peer answers the SYN with a RST */
	return (void *)(long)(connect(fd, (struct sockaddr *)&to, sizeof(to)) == -1 &&
			      errno == ECONNREFUSED ? 0 : 1);
}

/* Connects from the lab's fw namespace to the peer's closed port, in a
 * second thread of a child process (setns moves only the caller): the event
 * must tell the process (pid) from the thread (tid). Returns the child's pid. */
static pid_t connect_from_lab(void)
{
	pid_t pid = fork();
	int status;

	assert_true(pid >= 0);
	if (pid == 0) {
		pthread_t thread;
		void *ret;

		if (lab_enter(lab.fw) || pthread_create(&thread, NULL, connect_refused, NULL) ||
		    pthread_join(thread, &ret))
			_exit(2);
		_exit((int)(long)ret);
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0);
	return pid;
}

/* The one event of pid; checks destination, comm, hook and the stack. */
static void expect_connect_event(pid_t pid, const char *hook)
{
	json_t *e, *mine = NULL, *frame;
	bool has_connect = false;
	size_t i;

	assert_true(fw_collector_drain(collector) >= 0);
	json_array_foreach(events, i, e) {
		if (json_integer_value(json_object_get(e, "pid")) != pid)
			continue;
		assert_null(mine);      /* one connect, one event */
		mine = e;
	}
	if (!mine)
		fail_msg("no tcp_connect event for pid %d among %zu events", pid,
			 json_array_size(events));
	assert_string_equal(json_string_value(json_object_get(mine, "type")), "tcp_connect");
	assert_string_equal(json_string_value(json_object_get(mine, "daddr")), LAB_PEER_IP);
	assert_int_equal(json_integer_value(json_object_get(mine, "dport")), CLOSED_PORT);
	assert_string_equal(json_string_value(json_object_get(mine, "saddr")), LAB_FW_IP);
	assert_int_equal(json_integer_value(json_object_get(mine, "sport")), SOURCE_PORT);
	/* the connecting thread is not the process's first */
	assert_true(json_integer_value(json_object_get(mine, "tid")) != pid);
	assert_string_equal(json_string_value(json_object_get(mine, "comm")), COMM);
	assert_string_equal(json_string_value(json_object_get(mine, "hook")), hook);
	json_array_foreach(json_object_get(mine, "stack"), i, frame) {
		printf("#   %s\n", json_string_value(frame));
		has_connect |= strncmp(json_string_value(frame), "tcp_v4_connect+0x", 17) == 0;
	}
	if (!has_connect)
		fail_msg("no tcp_v4_connect in the stack: %s",
			 json_dumps(json_object_get(mine, "stack"), JSON_COMPACT));
	assert_int_equal(bpf_test_counter(obj, "tcp_stats", FW_TCP_TRACE_EVENTS_LOST), 0);
}

/* The stand-in, which runs on this kernel. */
static void test_tracepoint_form(void **state)
{
	pid_t pid;

	assert_int_equal(load_form(forms[2]), 0);
	assert_int_equal(attach_form(forms[2]), 0);
	collect();
	pid = connect_from_lab();
	expect_connect_event(pid, "tracepoint");
	assert_true(bpf_test_counter(obj, "tcp_stats", FW_TCP_TRACE_CONNECTS) >= 1);
}

static bool kprobes_exist(void)
{
	return access("/sys/kernel/tracing/kprobe_events", F_OK) == 0 ||
	       access("/sys/kernel/debug/tracing/kprobe_events", F_OK) == 0;
}

static void test_kprobe_form(void **state)
{
	int ret;

	/* the form must load alone whatever the kernel; attaching is the probe */
	assert_int_equal(load_form(forms[0]), 0);
	ret = attach_form(forms[0]);
	if (!kprobes_exist()) {
		assert_int_equal(ret, -ENOENT);
		return;
	}
	assert_int_equal(ret, 0);
	collect();
	expect_connect_event(connect_from_lab(), "kprobe");
}

static void test_fentry_form(void **state)
{
	int ret = load_form(forms[1]);

	if (ret) {
		/* no BPF trampolines: the load itself is the kernel's answer */
		printf("# fentry form cannot load here (%s): no BPF trampolines\n",
		       strerror(-ret));
		skip();
	}
	assert_int_equal(attach_form(forms[1]), 0);
	collect();
	expect_connect_event(connect_from_lab(), "fentry");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_teardown(test_tracepoint_form, unload),
		cmocka_unit_test_teardown(test_kprobe_form, unload),
		cmocka_unit_test_teardown(test_fentry_form, unload),
	};

	return cmocka_run_group_tests_name("tcp_trace", tests, setup, teardown);
}
