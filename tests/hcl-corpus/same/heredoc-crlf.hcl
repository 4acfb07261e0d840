a = "x"
flush = <<-EOF
    x
  
      y
    EOF
plain = <<EOF
line
EOF
b {
  c = 1
}
