# flywall: expressions are not supported in Flywall's HCL
a = <<EOF
%{ if true }y%{ endif }
EOF
