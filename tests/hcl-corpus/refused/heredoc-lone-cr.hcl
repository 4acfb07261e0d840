a = <<EOF
xy
EOF
