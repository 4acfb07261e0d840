b <<EOF
x
EOF
{}
