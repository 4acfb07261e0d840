a { b = "foo"
}
