empty    = []
trailing = [1, 2,]
lines    = [
  "a",
  "b"
]
nested   = [[1, [2, [3]]], [], [{}]]
split    = [
  1
  ,
  2
]
