"""LearnKit's code generator: bindings, registration glue and kernels, all from specs and Jinja templates."""
