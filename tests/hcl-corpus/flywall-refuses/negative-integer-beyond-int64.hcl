# flywall: does not fit in a 64-bit integer
a = -9223372036854775809
