ebpf {
  enabled = true

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
}
