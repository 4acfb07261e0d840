# flywall: too small for a 64-bit floating-point number
a = 1e-400
