ebpf {
  enabled = true

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
}
