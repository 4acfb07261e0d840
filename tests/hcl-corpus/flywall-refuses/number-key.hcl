# flywall: expected a key (a name or a quoted string)
a = { 1 = 2 }
