# flywall: expressions are not supported in Flywall's HCL
a = [1, 2][0]
