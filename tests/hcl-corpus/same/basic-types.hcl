# Every literal type, at top level and nested.
name    = "flywall"
count   = 42
ratio   = 0.5
enabled = true
off     = false
nothing = null
ports   = [53, 67, 68]
mixed   = ["dns", 2, true, null, [], {}]
nested  = { a = { b = [1, { c = "d" }] } }
empty_s = ""
