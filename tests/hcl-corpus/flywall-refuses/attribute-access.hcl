# flywall: expressions are not supported in Flywall's HCL
a = { b = 1 }.b
