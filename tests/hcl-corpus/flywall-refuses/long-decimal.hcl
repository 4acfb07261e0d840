# flywall: more significant digits than a 64-bit floating-point number keeps
a = 1.00000000000000000001
