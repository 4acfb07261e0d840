a = <<EOF
hello ${name}
EOF
