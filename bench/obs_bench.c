// SPDX-License-Identifier: MIT
/*
 * Event rates the observability programs sustain without loss, through the
 * whole path the daemon uses: program -> ring/perf buffer -> collector (one
 * polling thread, decoding each event to JSON).
 *
 *   obs_bench [SECONDS [PROGRAM]]   (default 2 s per step, every program)
 *   obs_bench 0 cost                 socket_monitor's ns per packet only
 *
 * For each offered rate of a ladder, a producer offers events for SECONDS
 * while a thread polls the collector; a step passes when nothing was lost
 * (the program's lost counter, and the perf buffer's lost samples).
 *   socket_monitor  BPF_PROG_TEST_RUN of a DNS query, paced in 1 ms batches
 *   net_trace       UDP from the lab peer to the firewall (sample_every = 1)
 *   tcp_trace       connect() to a closed port in the lab, as fast as it goes
 * Needs root; makes its own lab namespaces and removes them.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>

#include "bpf/bpf_test.h"
#include "bpf/netns_lab.h"
#include "ebpf/collector.h"
#include "flywall/monitor.h"
#include "flywall/trace.h"

static double seconds = 2;
static struct lab lab;
static struct fw_collector *collector;
static atomic_ulong delivered;
static atomic_bool stop_polling;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void on_event(const char *source, json_t *event, void *ctx)
{
	atomic_fetch_add(&delivered, 1);
}

static void *poll_thread(void *arg)
{
	while (!atomic_load(&stop_polling))
		fw_collector_poll(collector, 50);
	return NULL;
}

/* Starts the collector on one map and its polling thread. */
static pthread_t start_collecting(int map_fd, int stack_fd)
{
	struct fw_error err = {};
	pthread_t t;

	if (fw_collector_new(on_event, NULL, &collector, &err) ||
	    fw_collector_add(collector, "bench", map_fd, stack_fd, &err)) {
		fprintf(stderr, "collector: %s\n", err.msg);
		exit(1);
	}
	atomic_store(&stop_polling, false);
	pthread_create(&t, NULL, poll_thread, NULL);
	return t;
}

static uint64_t stop_collecting(pthread_t t)
{
	struct fw_collector_stats st = {};

	usleep(200000);         /* let the poller catch up */
	atomic_store(&stop_polling, true);
	pthread_join(t, NULL);
	fw_collector_drain(collector);
	fw_collector_stats(collector, "bench", &st);
	fw_collector_free(collector);
	collector = NULL;
	return st.lost;
}

static void row(const char *prog, const char *offered, uint64_t events, uint64_t lost,
		double secs)
{
	printf("| %s | %s | %.0f | %llu | %s |\n", prog, offered, events / secs,
	       (unsigned long long)lost, lost ? "LOSS" : "ok");
	fflush(stdout);
}

/* ---- socket_monitor ----------------------------------------------------- */

static size_t dns_frame(uint8_t *buf)
{
	static const uint8_t query[] = {
		0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0,
		3, 'w', 'w', 'w', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 3, 'c', 'o', 'm', 0,
		0, 1, 0, 1,
	};
	struct frame_spec s = { .family = 4, .proto = IPPROTO_UDP, .sport = 40000, .dport = 53,
				.src = "10.77.0.2", .dst = "10.77.0.1",
				.payload = sizeof(query) };
	size_t len = build_frame(&s, buf);

	memcpy(buf + len - sizeof(query), query, sizeof(query));
	return len;
}

static void bench_socket_monitor(void)
{
	static const double ladder[] = { 100e3, 200e3, 400e3, 800e3, 1.6e6, 0 };
	struct bpf_object *obj = bpf_test_load("socket_monitor");
	uint8_t frame[FRAME_MAX];
	size_t len = dns_frame(frame);
	int prog;

	if (!obj)
		return;
	prog = bpf_test_prog_fd(obj, "socket_monitor");
	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++) {
		uint64_t lost0 = bpf_test_counter(obj, "stats", FW_MON_EVENTS_LOST), sent = 0;
		double start = now(), t;
		pthread_t poller;
		char offered[32];

		atomic_store(&delivered, 0);
		poller = start_collecting(bpf_test_map_fd(obj, "monitor_events"), -1);
		while ((t = now() - start) < seconds) {
			/* 1 ms batches: the batch the rate owes by now */
			uint64_t due = ladder[i] ? (uint64_t)(ladder[i] * t) : sent + 1000;
			LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = frame, .data_size_in = len);

			if (due > sent) {
				opts.repeat = due - sent;
				bpf_prog_test_run_opts(prog, &opts);
				sent = due;
			}
			if (ladder[i])
				usleep(1000);
		}
		t = now() - start;
		stop_collecting(poller);
		snprintf(offered, sizeof(offered), ladder[i] ? "%.0f/s" : "max (%.0f/s)",
			 ladder[i] ? ladder[i] : sent / t);
		row("socket_monitor", offered, atomic_load(&delivered),
		    bpf_test_counter(obj, "stats", FW_MON_EVENTS_LOST) - lost0, t);
	}
	bpf_object__close(obj);
}

/* ns per packet of socket_monitor (it sees every packet of its interface):
 * a UDP packet it ignores, and a DNS query it counts and sends as an event. */
static void cost_socket_monitor(void)
{
	struct bpf_object *obj = bpf_test_load("socket_monitor");
	uint8_t dns[FRAME_MAX], other[FRAME_MAX], tcp[FRAME_MAX];
	struct frame_spec tcp_spec = { .family = 4, .proto = IPPROTO_TCP, .sport = 40000,
				       .dport = 443, .src = "10.77.0.2", .dst = "10.77.0.1",
				       .payload = 64 };
	size_t dns_len = dns_frame(dns), other_len = dns_len;
	size_t tcp_len = build_frame(&tcp_spec, tcp);
	const struct { const char *what; uint8_t *frame; size_t len; } runs[] = {
		{ "TCP (ignored)", tcp, tcp_len },
		{ "UDP, not DNS/DHCP (ignored)", other, other_len },
		{ "DNS query (counted, event)", dns, dns_len },
	};

	if (!obj)
		return;
	memcpy(other, dns, dns_len);
	other[14 + 20 + 3] = 80;        /* destination port 80 */
	for (size_t i = 0; i < sizeof(runs) / sizeof(runs[0]); i++) {
		LIBBPF_OPTS(bpf_test_run_opts, opts, .data_in = runs[i].frame,
			    .data_size_in = runs[i].len, .repeat = 200000);
		pthread_t poller = start_collecting(bpf_test_map_fd(obj, "monitor_events"), -1);

		bpf_prog_test_run_opts(bpf_test_prog_fd(obj, "socket_monitor"), &opts);
		stop_collecting(poller);
		printf("socket_monitor, %s: %u ns/packet\n", runs[i].what, opts.duration);
	}
	bpf_object__close(obj);
}

/* ---- net_trace ---------------------------------------------------------- */

/* Sends UDP from the peer to the firewall at rate per second (0: flat out)
 * for `seconds`, in a child; returns its pid. */
static pid_t udp_sender(double rate)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(9) };
		char payload[18] = "flywall obs bench";
		double start = now(), t;
		uint64_t sent = 0;
		int fd;

		inet_pton(AF_INET, LAB_FW_IP, &dst.sin_addr);
		if (lab_enter(lab.peer) || (fd = socket(AF_INET, SOCK_DGRAM, 0)) < 0)
			_exit(1);
		while ((t = now() - start) < seconds) {
			uint64_t due = rate ? (uint64_t)(rate * t) : sent + 64;

			for (; sent < due; sent++)
				sendto(fd, payload, sizeof(payload), 0, (struct sockaddr *)&dst,
				       sizeof(dst));
			if (rate)
				usleep(1000);
		}
		_exit(0);
	}
	return pid;
}

static void bench_net_trace(void)
{
	static const double ladder[] = { 25e3, 50e3, 100e3, 200e3, 0 };
	struct bpf_object *obj = bpf_test_open("net_trace");
	uint32_t every = 1;

	if (!obj)
		return;
	bpf_test_set_global(obj, "sample_every", &every, sizeof(every));
	if (bpf_object__load(obj) ||
	    !bpf_program__attach(bpf_object__find_program_by_name(obj, "net_trace"))) {
		fprintf(stderr, "net_trace: cannot load or attach\n");
		return;
	}
	for (size_t i = 0; i < sizeof(ladder) / sizeof(ladder[0]); i++) {
		uint64_t lost0 = bpf_test_counter(obj, "trace_stats", FW_NET_TRACE_EVENTS_LOST);
		uint64_t perf_lost;
		double start = now(), t;
		pthread_t poller;
		char offered[32];
		int status;

		atomic_store(&delivered, 0);
		poller = start_collecting(bpf_test_map_fd(obj, "events"), -1);
		waitpid(udp_sender(ladder[i]), &status, 0);
		t = now() - start;
		perf_lost = stop_collecting(poller);
		snprintf(offered, sizeof(offered), ladder[i] ? "%.0f pkt/s" : "max (%.0f pkt/s)",
			 ladder[i] ? ladder[i] : atomic_load(&delivered) / t);
		/* every packet on the host makes an event: delivered counts them all */
		row("net_trace", offered, atomic_load(&delivered),
		    perf_lost + bpf_test_counter(obj, "trace_stats", FW_NET_TRACE_EVENTS_LOST) -
		    lost0, t);
	}
	bpf_object__close(obj);     /* the link goes with the process */
}

/* ---- tcp_trace ---------------------------------------------------------- */

static pid_t connector(void)
{
	pid_t pid = fork();

	if (pid == 0) {
		struct sockaddr_in dst = { .sin_family = AF_INET, .sin_port = htons(9) };
		double start = now();

		inet_pton(AF_INET, LAB_PEER_IP, &dst.sin_addr);
		if (lab_enter(lab.fw))
			_exit(1);
		while (now() - start < seconds) {
			int fd = socket(AF_INET, SOCK_STREAM, 0);

			connect(fd, (struct sockaddr *)&dst, sizeof(dst));
			close(fd);
		}
		_exit(0);
	}
	return pid;
}

static void bench_tcp_trace(void)
{
	struct bpf_object *obj = bpf_test_open("tcp_trace");
	struct bpf_program *p;
	double start, t;
	pthread_t poller;
	int status;

	if (!obj)
		return;
	bpf_object__for_each_program(p, obj)
		bpf_program__set_autoload(p, strcmp(bpf_program__name(p),
						    "tcp_v4_connect_tracepoint") == 0);
	if (bpf_object__load(obj) || !bpf_program__attach(bpf_object__find_program_by_name(
					     obj, "tcp_v4_connect_tracepoint"))) {
		fprintf(stderr, "tcp_trace: cannot load or attach\n");
		return;
	}
	atomic_store(&delivered, 0);
	poller = start_collecting(bpf_test_map_fd(obj, "tcp_events"),
				  bpf_test_map_fd(obj, "stack_traces"));
	start = now();
	waitpid(connector(), &status, 0);
	t = now() - start;
	stop_collecting(poller);
	row("tcp_trace", "max (connect loop)", atomic_load(&delivered),
	    bpf_test_counter(obj, "tcp_stats", FW_TCP_TRACE_EVENTS_LOST), t);
	bpf_object__close(obj);
}

int main(int argc, char **argv)
{
	const char *only = argc > 2 ? argv[2] : "";

	if (argc > 1)
		seconds = atof(argv[1]);
	if (strcmp(only, "cost") == 0) {
		cost_socket_monitor();
		return 0;
	}
	if (lab_up(&lab, "obsb"))
		return 1;
	printf("| program | offered | events/s delivered | lost | |\n|---|---|---|---|---|\n");
	if (strstr("socket_monitor", only))
		bench_socket_monitor();
	if (strstr("net_trace", only))
		bench_net_trace();
	if (strstr("tcp_trace", only))
		bench_tcp_trace();
	if (strstr("socket_monitor", only))
		cost_socket_monitor();
	lab_down(&lab);
	return 0;
}
