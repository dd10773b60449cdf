"""Solvers: pure maths from a problem spec to a Solution. They never print or format."""
