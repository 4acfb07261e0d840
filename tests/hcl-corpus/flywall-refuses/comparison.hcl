# flywall: expressions are not supported in Flywall's HCL
a = "a" == "b"
