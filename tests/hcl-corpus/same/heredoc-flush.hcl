simple = <<-EOF
    one
      two
    three
    EOF
whitespace_only_lines_left_alone = <<-EOF
    x
  

      y
EOF
only_blank_lines = <<-EOF
  

EOF
tabs = <<-EOF
		x
	y
EOF
tab_and_space_count_once_each = <<-EOF
	 x
 	y
EOF
unicode_spaces = <<-EOF
　　x
　y
EOF
nbsp = <<-EOF
   x
   y
EOF
unicode_blank_line = <<-EOF
 x
　
EOF
escapes_at_line_start = <<-EOF
    $${x}
  %%{y}
  EOF
