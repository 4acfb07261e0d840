a = -x
