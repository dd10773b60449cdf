"""The p-norm penalty α‖w‖ₚᵖ = α Σ|wᵢ|ᵖ and its gradient α·p·|wᵢ|^(p−1)·sign(wᵢ).

Shared by `regularize` and by backprop's `regularization:`. Exact for whole p on exact weights;
at wᵢ = 0 with p ≤ 1 the subgradient 0 is used.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..arrays import as_float, exact
from ..numbers import MAX_EXACT_POWER
from ..numbers import exact_power as exact_p     # the p of α‖w‖ₚᵖ allows exact powers


def abs_power(w, q):
    """|wᵢ|^q element-wise (exact for whole q ≥ 0 on exact weights; 0^q taken as 0 for q ≤ 0)."""
    q = Fraction(q)
    if exact(w) and q.denominator == 1 and 0 <= q <= MAX_EXACT_POWER:
        out = np.empty(w.shape, dtype=object)
        for idx, v in np.ndenumerate(w):
            out[idx] = Fraction(0) if (v == 0 and q == 0) else abs(Fraction(v)) ** int(q)
        return out
    ax = np.abs(as_float(w))
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        return np.where(ax > 0, ax ** float(q), 0.0)


def sign(w):
    """sign(wᵢ) element-wise: 1, −1, or 0 at wᵢ = 0 (the subgradient convention)."""
    if exact(w):
        out = np.empty(w.shape, dtype=object)
        for idx, v in np.ndenumerate(w):
            out[idx] = Fraction((v > 0) - (v < 0))
        return out
    return np.sign(as_float(w))


def penalty(w, p, alpha):
    """α Σ|wᵢ|ᵖ."""
    if exact(w) and exact_p(p):
        return alpha * sum((abs(v) ** int(p) for v in w.ravel()), Fraction(0))
    with np.errstate(over="ignore"):
        return float(alpha) * float(np.sum(np.abs(as_float(w)) ** float(p)))


def gradient(w, p, alpha):
    """α·p·|wᵢ|^(p−1)·sign(wᵢ), element-wise (0 at wᵢ = 0)."""
    if exact(w) and exact_p(p):
        k = int(p) - 1
        out = np.empty(w.shape, dtype=object)
        for idx, v in np.ndenumerate(w):
            out[idx] = Fraction(0) if v == 0 else alpha * p * abs(v) ** k * (1 if v > 0 else -1)
        return out
    x = as_float(w)
    ax = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        g = float(alpha) * float(p) * np.where(ax > 0, ax ** (float(p) - 1), 0.0) * np.sign(x)
    return g
