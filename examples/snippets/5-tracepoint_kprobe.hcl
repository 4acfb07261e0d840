ebpf {
  enabled = true

  # Tracepoint for network events
  tracepoint "network_events" {
    program = "/etc/flywall/ebpf/net_trace.o"
    tracepoint = "net:netif_receive_skb"

    # Event buffer
    maps = {
      "events" = {
        type = "perf_event_array"
        size = 1024
      }
    }
  }

  # Kprobe for function tracing
  kprobe "tcp_trace" {
    program = "/etc/flywall/ebpf/tcp_trace.o"
    function = "tcp_v4_connect"

    maps = {
      "stack_traces" = {
        type = "stack_trace"
        size = 1024
      }
    }
  }
}
