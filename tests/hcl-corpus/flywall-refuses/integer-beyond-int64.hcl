# flywall: does not fit in a 64-bit integer
a = 18446744073709551616
