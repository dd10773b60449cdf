"""The array helpers, for the solvers that import them from here; they live in nnsolve/arrays.py."""

from ..arrays import as_exact, as_float, exact, like, zeros_like_mode

__all__ = ["as_exact", "as_float", "exact", "like", "zeros_like_mode"]
