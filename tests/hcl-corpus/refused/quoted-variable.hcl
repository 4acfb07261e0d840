a = "${name}"
