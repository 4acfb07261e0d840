# flywall: cannot contain a NUL
a = "x\u0000y"
