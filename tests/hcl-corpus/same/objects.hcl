commas   = { a = 1, b = 2, c = 3 }
newlines = {
  a = 1
  b = 2

  c = 3
}
colons   = { a: 1, "b": 2 }
trailing = { a = 1, }
mixed    = {
  a = 1,
  b = 2
}
quoted   = { "with space" = 1, "dots.in.key" = 2, "esc\tkey" = 3 }
keywords = { null = 1, true = 2, false = 3 }
nested   = { outer = { inner = { x = [] } } }
empty    = {}
spaced   = {   }
