ebpf {
  enabled = true

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
}
