"""The p-norm penalty α‖w‖ₚᵖ = α Σ|wᵢ|ᵖ and its gradient α·p·|wᵢ|^(p−1)·sign(wᵢ).

Shared by `regularize` and by backprop's `regularization:`. Exact for whole p on exact weights;
at wᵢ = 0 with p ≤ 1 the subgradient 0 is used. The gradient's formula is written here once
(``gradient_formula``), for every kind that shows it.

numpy is imported by the functions that compute: `regularize`'s derivation alone, which writes
the formula, never loads it.
"""

from __future__ import annotations

from fractions import Fraction

from ..arrays import as_float, exact
from ..expr import Abs, Call, Num, Pow, Sub, Sym, both, mul
from ..numbers import MAX_EXACT_POWER
from ..numbers import exact_power as exact_p     # the p of α‖w‖ₚᵖ allows exact powers

ALPHA, P = Sym("alpha"), Sym("p")


def gradient_formula(alpha, p, w, sign=None):
    """α·p·|w|^(p−1)·sign(w) from its leaves as formulas (symbols or numbers): the exponent is
    p − 1 for a symbol p, one number for a number p; ``sign`` stands for sign(w) when given (its
    value, say)."""
    pm1 = Num(p.value - 1) if isinstance(p, Num) else Sub(p, Num(1))
    return mul(alpha, p, Pow(Abs(w), pm1), Call("sign", (w,)) if sign is None else sign)


def gradient_forms(w, value, p, alpha):
    """(α·p·|w|^(p−1)·sign(w), the same with the numbers) for the weight symbol ``w`` of this
    value; at w = 0 with p ≤ 1, where |w|ᵖ has no derivative, the numbers are the subgradient 0."""
    sym, num = both(lambda at: gradient_formula(at(ALPHA, alpha), at(P, p), at(w, value)))
    return (sym, Num(0)) if value == 0 and p <= 1 else (sym, num)


def abs_power(w, q):
    """|wᵢ|^q element-wise (exact for whole q ≥ 0 on exact weights; 0^q taken as 0 for q ≤ 0)."""
    import numpy as np
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
    import numpy as np
    if exact(w):
        out = np.empty(w.shape, dtype=object)
        for idx, v in np.ndenumerate(w):
            out[idx] = Fraction((v > 0) - (v < 0))
        return out
    return np.sign(as_float(w))


def penalty(w, p, alpha):
    """α Σ|wᵢ|ᵖ."""
    import numpy as np
    if exact(w) and exact_p(p):
        return alpha * sum((abs(v) ** int(p) for v in w.ravel()), Fraction(0))
    with np.errstate(over="ignore"):
        return float(alpha) * float(np.sum(np.abs(as_float(w)) ** float(p)))


def gradient(w, p, alpha):
    """α·p·|wᵢ|^(p−1)·sign(wᵢ), element-wise (0 at wᵢ = 0)."""
    import numpy as np
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
