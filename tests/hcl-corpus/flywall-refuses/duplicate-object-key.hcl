# flywall: duplicate "a"
a = { a = 1, a = 2 }
