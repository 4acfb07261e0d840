a = <<EOF
x
EOF
