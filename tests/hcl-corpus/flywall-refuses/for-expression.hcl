# flywall: expressions are not supported in Flywall's HCL
a = [for x in [1, 2]: x]
