plain = <<EOF
  keeps its indentation
	and tabs, "quotes", \n backslashes as written
EOF
escapes = <<EOT
$${literal} and %%{literal}, a lone $ and % and $$ and %%
EOT
indented_marker = <<EOF
text
    EOF
trailing_blanks_after_marker = <<EOF
text
EOF  	
empty = <<EOF
EOF
blank_lines = <<EOF

middle

EOF
after = "the attribute after a heredoc"
