a = <<EOF
x
　EOF 	
b = <<-E
  y
 E 
c = "after"
