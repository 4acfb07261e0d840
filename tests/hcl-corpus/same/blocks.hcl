no_labels {
  a = 1
}
one "x" {
}
two "x" "y" {
  nested {
    deeper "z" {
      v = true
    }
  }
}
bare_label name {}
mixed_labels "q" bare {}
one_line { a = "foo" }
one_line_empty {}
one_line_space { }
one_line_object { o = {
  k = 1
} }
one_line_list { l = [
  1,
  2,
] }
repeated "a" {}
repeated "b" {}
label_escapes "a\nb" "$${x}" "\u00e9" {}
