# flywall: expressions are not supported in Flywall's HCL
a = "%{ if true }y%{ endif }"
