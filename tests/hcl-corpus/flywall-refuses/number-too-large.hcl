# flywall: too large for a 64-bit floating-point number
a = 1e400
