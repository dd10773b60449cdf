"""Array helpers that work alike on exact arrays (object dtype of Fractions) and float64 arrays.

Shared by the problem specs (which choose a problem's mode) and the solvers (which compute in
it). numpy is imported when an array is made, so a problem without arrays never loads it.
"""

from __future__ import annotations

from fractions import Fraction


def exact(a) -> bool:
    """True for an object array of exact values."""
    return a.dtype == object


def as_float(a):
    """float64 copy of any array (the array itself when it already is float64)."""
    import numpy as np
    if a.dtype == object:
        return np.array(a.tolist(), dtype=np.float64).reshape(a.shape)
    return a.astype(np.float64, copy=False)


def as_exact(a):
    """The array as exact Fractions (object dtype); the array itself when it already is."""
    import numpy as np
    return a if a.dtype == object else np.vectorize(Fraction, otypes=[object])(a)


def like(a, values):
    """``values`` (numbers or bools) as an array of the same mode as ``a``."""
    import numpy as np
    v = np.asarray(values)
    if exact(a):
        if v.dtype == object:
            return v
        return np.array([Fraction(int(x)) if v.dtype == bool else Fraction(x)
                         for x in v.ravel().tolist()], dtype=object).reshape(v.shape)
    return v.astype(np.float64)


def zeros_like_mode(a, shape):
    """Zeros of a shape, exact if ``a`` is."""
    import numpy as np
    if exact(a):
        z = np.empty(shape, dtype=object)
        z[...] = Fraction(0)
        return z
    return np.zeros(shape)
