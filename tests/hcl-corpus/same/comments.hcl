# hash comment
// slash comment
/* block
   comment */ a = 1 # trailing
b = /* inline */ 2 // trailing
c = [1, /* inside */ 2]
d { # after the brace
  e = 3 // after a value
  /* alone */
}
f = {
  # in an object
  g = 4
}
