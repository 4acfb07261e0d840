# Enable eBPF
ebpf {
  enabled = true

  # Program directory
  program_dir = "/etc/flywall/ebpf"

  # Map settings
  map_size = 1024

  # JIT compilation
  jit = true
}
