"""The p-norm penalty α‖w‖ₚᵖ = α Σ|wᵢ|ᵖ and its gradient α·p·|wᵢ|^(p−1)·sign(wᵢ).

Shared by `regularize` and by backprop's `regularization:`. Exact for whole p on exact weights;
at wᵢ = 0 with p ≤ 1 the subgradient 0 is used.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from .arrays import as_float, exact


def _whole(p) -> bool:
    return Fraction(p).denominator == 1


def penalty(w, p, alpha):
    """α Σ|wᵢ|ᵖ."""
    if exact(w) and _whole(p):
        return alpha * sum((abs(v) ** int(p) for v in w.ravel()), Fraction(0))
    return float(alpha) * float(np.sum(np.abs(as_float(w)) ** float(p)))


def gradient(w, p, alpha):
    """α·p·|wᵢ|^(p−1)·sign(wᵢ), element-wise (0 at wᵢ = 0)."""
    if exact(w) and _whole(p):
        k = int(p) - 1
        out = np.empty(w.shape, dtype=object)
        for idx, v in np.ndenumerate(w):
            out[idx] = Fraction(0) if v == 0 else alpha * p * abs(v) ** k * (1 if v > 0 else -1)
        return out
    x = as_float(w)
    ax = np.abs(x)
    with np.errstate(divide="ignore", invalid="ignore"):
        g = float(alpha) * float(p) * np.where(ax > 0, ax ** (float(p) - 1), 0.0) * np.sign(x)
    return g
