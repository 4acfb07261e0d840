# Flywall: every block of the eBPF integration guide (docs/configuration.md
# describes each field). `flywall config check examples/flywall.hcl` shows
# what the daemon would load, and where.

# Enable eBPF
ebpf {
  enabled = true

  # Program directory
  program_dir = "/etc/flywall/ebpf"

  # Map settings
  map_size = 1024

  # JIT compilation
  jit = true

  # XDP program for DDoS protection
  xdp "ddos_filter" {
    program = "/etc/flywall/ebpf/ddos_filter.o"
    interface = "eth0"

    # Map configuration
    maps = {
      "blocklist" = {
        type = "hash"
        size = 100000
      }
      "rate_limit" = {
        type = "percpu_array"
        size = 1024
      }
    }

    # Program arguments
    args = {
      max_pps = 1000000
      blocklist_size = 100000
    }
  }

  # TC ingress program
  tc "ingress_filter" {
    program = "/etc/flywall/ebpf/ingress_filter.o"
    interface = "eth0"
    direction = "ingress"

    # Maps
    maps = {
      "conntrack" = {
        type = "lru_hash"
        size = 1000000
      }
      "counters" = {
        type = "percpu_counter"
        size = 64
      }
    }
  }

  # TC egress program
  tc "egress_shaper" {
    program = "/etc/flywall/ebpf/egress_shaper.o"
    interface = "eth0"
    direction = "egress"

    # Traffic shaping
    shaping = {
      rate = "1gbit"
      burst = "100mbit"
    }
  }

  # Socket filter for monitoring
  socket_filter "monitor" {
    program = "/etc/flywall/ebpf/socket_monitor.o"

    # Attach to specific sockets
    sockets = ["dns", "dhcp"]

    # Monitoring maps
    maps = {
      "stats" = {
        type = "percpu_array"
        size = 256
      }
    }
  }

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

# The REST API of `flywall daemon` (defaults shown).
api {
  listen = "127.0.0.1:8080"
  token_file = "/etc/flywall/api.token"
}
