# HCL normalises string values and object keys to NFC; names and labels stay as written.
decomposed = "é"
escaped    = "\u0065\u0301"
composed   = "é"
heredoc    = <<EOF
é ä Å
EOF
keys       = { "é" = 1, kéy = 2 }
namé = "attribute names are not normalised"
block "é" {
}
