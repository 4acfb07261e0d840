a = {
  b = 1
  for = 2
}
