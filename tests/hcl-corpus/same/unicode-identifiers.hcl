été = 1
_private = 2
with-dash_and_1 = 3
блок "x" {
  λ = { ключ = "значение" }
}
日本 {}
