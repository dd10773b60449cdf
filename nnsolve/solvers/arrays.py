"""Array helpers that work alike on exact (object arrays of Fractions) and float64 arrays."""

from __future__ import annotations

from fractions import Fraction

import numpy as np


def exact(a) -> bool:
    """True for an object array of exact values."""
    return a.dtype == object


def like(a, values):
    """``values`` (numbers or bools) as an array of the same mode as ``a``."""
    v = np.asarray(values)
    if exact(a):
        if v.dtype == object:
            return v
        return np.array([Fraction(int(x)) if v.dtype == bool else Fraction(x)
                         for x in v.ravel().tolist()], dtype=object).reshape(v.shape)
    return v.astype(np.float64)


def as_float(a):
    """float64 copy of any array."""
    if a.dtype == object:
        return np.array(a.tolist(), dtype=np.float64).reshape(a.shape)
    return a.astype(np.float64, copy=False)


def zeros_like_mode(a, shape):
    """Zeros of a shape, exact if ``a`` is."""
    if exact(a):
        z = np.empty(shape, dtype=object)
        z[...] = Fraction(0)
        return z
    return np.zeros(shape)
