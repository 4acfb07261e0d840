// SPDX-License-Identifier: GPL-2.0 OR MIT
/*
 * tcp_trace: one event per outgoing IPv4 TCP connect (pid, comm, destination)
 * with the kernel stack that made it, kept in `stack_traces` and symbolized
 * in user space. Layouts in include/flywall/trace.h.
 *
 * The object carries three forms of the same probe, sharing maps and event
 * layout; the engine loads one (the others' autoload off) and tries them in
 * this order:
 *   kprobe/tcp_v4_connect      needs CONFIG_KPROBES
 *   fentry/tcp_v4_connect      needs BPF trampolines
 *   tracepoint/sock/inet_sock_set_state, the stand-in: tcp_v4_connect moves
 *       the socket to SYN_SENT once the destination is set, so the stack
 *       taken there still shows tcp_v4_connect.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include <bpf/bpf_endian.h>
#include "flywall/trace.h"
#include "telemetry.h"
#include "counter_names.h"

#define AF_INET 2
#define PERF_MAX_STACK_DEPTH 127

struct {
	__uint(type, BPF_MAP_TYPE_STACK_TRACE);
	__uint(key_size, sizeof(__u32));
	__uint(value_size, PERF_MAX_STACK_DEPTH * sizeof(__u64));
	__uint(max_entries, 1024);
} stack_traces SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_RINGBUF);
	__uint(max_entries, 256 * 1024);
} tcp_events SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_PERCPU_ARRAY);
	__type(key, __u32);
	__type(value, __u64);
	__uint(max_entries, FW_TCP_TRACE__COUNT);
} tcp_stats SEC(".maps");

/* The slots' names for metrics and the dashboard (bpf/lib/counter_names.h). */
enum flywall_counters__tcp_stats {
	tcp_stats__connects = FW_TCP_TRACE_CONNECTS,
	tcp_stats__events_lost = FW_TCP_TRACE_EVENTS_LOST,
	tcp_stats__stack_errors = FW_TCP_TRACE_STACK_ERRORS,
};
FLYWALL_COUNTER_NAMES(tcp_stats);

/* Sends the event; daddr in network order, dport and sport in host order. */
static __always_inline void report_connect(void *ctx, enum fw_tcp_trace_form form,
					   __u32 saddr, __u32 daddr, __u16 sport, __u16 dport)
{
	struct fw_tcp_connect_event *ev;
	__u64 pid_tgid = bpf_get_current_pid_tgid();

	fw_count(&tcp_stats, FW_TCP_TRACE_CONNECTS);
	ev = bpf_ringbuf_reserve(&tcp_events, sizeof(*ev), 0);
	if (!ev) {
		fw_count(&tcp_stats, FW_TCP_TRACE_EVENTS_LOST);
		return;
	}
	fw_event_start(ev, FW_EVENT_TCP_CONNECT, bpf_ktime_get_ns());
	ev->pid = pid_tgid >> 32;
	ev->tid = (__u32)pid_tgid;
	ev->uid = (__u32)bpf_get_current_uid_gid();
	ev->stack_id = bpf_get_stackid(ctx, &stack_traces, 0);
	if (ev->stack_id < 0)
		fw_count(&tcp_stats, FW_TCP_TRACE_STACK_ERRORS);
	ev->saddr = saddr;
	ev->daddr = daddr;
	ev->sport = sport;
	ev->dport = dport;
	ev->form = form;
	ev->_pad[0] = ev->_pad[1] = ev->_pad[2] = 0;
	bpf_get_current_comm(ev->comm, sizeof(ev->comm));
	bpf_ringbuf_submit(ev, 0);
}

/* The destination the caller asked for, as tcp_v4_connect receives it. */
static __always_inline int read_sockaddr_in(const struct sockaddr *uaddr, __u32 *daddr,
					    __u16 *dport)
{
	struct sockaddr_in sin;

	if (bpf_probe_read_kernel(&sin, sizeof(sin), uaddr) || sin.sin_family != AF_INET)
		return -1;
	*daddr = sin.sin_addr.s_addr;
	*dport = bpf_ntohs(sin.sin_port);
	return 0;
}

SEC("kprobe/tcp_v4_connect")
int BPF_KPROBE(tcp_v4_connect_kprobe, struct sock *sk, struct sockaddr *uaddr)
{
	__u32 daddr;
	__u16 dport;

	if (read_sockaddr_in(uaddr, &daddr, &dport) == 0)
		report_connect(ctx, FW_TCP_FORM_KPROBE, 0, daddr, 0, dport);
	return 0;
}

SEC("fentry/tcp_v4_connect")
int BPF_PROG(tcp_v4_connect_fentry, struct sock *sk, struct sockaddr *uaddr, int addr_len)
{
	__u32 daddr;
	__u16 dport;

	if (read_sockaddr_in(uaddr, &daddr, &dport) == 0)
		report_connect(ctx, FW_TCP_FORM_FENTRY, 0, daddr, 0, dport);
	return 0;
}

SEC("tracepoint/sock/inet_sock_set_state")
int tcp_v4_connect_tracepoint(struct trace_event_raw_inet_sock_set_state *ctx)
{
	__u32 saddr, daddr;

	if (ctx->newstate != TCP_SYN_SENT || ctx->family != AF_INET ||
	    ctx->protocol != IPPROTO_TCP)
		return 0;
	__builtin_memcpy(&saddr, ctx->saddr, 4);
	__builtin_memcpy(&daddr, ctx->daddr, 4);
	/* the tracepoint already gives ports in host order */
	report_connect(ctx, FW_TCP_FORM_TRACEPOINT, saddr, daddr, ctx->sport, ctx->dport);
	return 0;
}

char LICENSE[] SEC("license") = "GPL";
