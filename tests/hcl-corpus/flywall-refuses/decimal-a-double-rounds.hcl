# flywall: more significant digits than a 64-bit floating-point number keeps
a = 0.30000000000000001
