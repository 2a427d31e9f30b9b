print("ntpsep")
