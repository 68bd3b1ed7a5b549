"""Reference data generated from maintained packages (GB/T 2260 divisions, traditional -> simplified map).

`python -m reference.build` writes the generated files; tests/reference checks they are in sync.
"""
