rate = 10gbit
