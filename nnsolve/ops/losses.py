"""Losses summed over output units, each with its gradient with respect to ŷ beside it."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import numpy as np

from ..expr import Add, Call, Frac, Neg, Num, Paren, Pow, Sub, Sum, mul
from ..arrays import as_float, exact


@dataclass(frozen=True)
class LossMath:
    """L(y, ŷ) for one sample and ∂L/∂ŷ, and how to write both.

    ``term(y, ŷ)`` is one output unit's term; ``outer(total, K)`` wraps the sum over units
    (a factor ½ or 1/K, a minus sign); ``grad(y, ŷ, K)`` writes ∂L/∂ŷₖ."""

    name: str
    value: Callable          # (y, yhat) 1-D -> scalar
    gradient: Callable       # (y, yhat) 1-D -> vector dL/dŷ
    term: Callable
    outer: Callable
    grad: Callable

    def formula(self, pairs, K: int, symbolic: bool):
        """L written out: Σₖ of the term (symbolic) or the terms added up (numbers)."""
        if symbolic:
            y, p = pairs[0]
            body = Sum(self.term(y, p), "k") if K > 1 else self.term(y, p)
        else:
            terms = [self.term(y, p) for y, p in pairs]
            body = Add(tuple(terms)) if len(terms) > 1 else terms[0]
        return self.outer(body, K)


def _sq(y, p):
    return Pow(Paren(Sub(y, p)), Num(2))


def _same(body, K):
    return body


def _paren(body):
    return Paren(body) if isinstance(body, Add) else body


def _scaled(x, p, factor):
    return x * (factor if exact(p) else float(factor))


SQUARED = LossMath(
    "squared_error",
    lambda y, p: ((y - p) ** 2).sum(),
    lambda y, p: -2 * (y - p),
    _sq, _same,
    lambda y, p, K: mul(Num(-2), Paren(Sub(y, p)), op="juxt"))

HALF = LossMath(
    "half_squared_error",
    lambda y, p: _scaled(((y - p) ** 2).sum(), p, Fraction(1, 2)),
    lambda y, p: -(y - p),
    _sq, lambda body, K: mul(Frac(Num(1), Num(2)), _paren(body), op="juxt"),
    lambda y, p, K: Neg(Paren(Sub(y, p))))

MSE = LossMath(
    "mse",
    lambda y, p: _scaled(((y - p) ** 2).sum(), p, Fraction(1, len(p))),
    lambda y, p: _scaled(-2 * (y - p), p, Fraction(1, len(p))),
    _sq, lambda body, K: mul(Frac(Num(1), Num(K)), _paren(body), op="juxt") if K > 1 else body,
    # (−2/K)(y − ŷ) bracketed: −2/K(y − ŷ) would read as −2/(K(y − ŷ))
    lambda y, p, K: mul(Paren(Frac(Num(-2), Num(K))) if K > 1 else Num(-2), Paren(Sub(y, p)),
                        op="juxt"))


_AT_0 = "the prediction is 0 where the target needs it above 0: the loss is infinite"
_AT_1 = "the prediction is 1 where the target needs it below 1: the loss is infinite"


def _log_where(weight, p, message: str = _AT_0):
    """log p where the weight is non-zero (0 · log 0 counts as 0); an infinite loss is an error."""
    out = np.zeros_like(p)
    nz = weight != 0
    if np.any(p[nz] <= 0):
        raise FloatingPointError(message)
    out[nz] = np.log(p[nz])
    return out


def _ce_value(y, p):
    y, p = as_float(y), as_float(p)
    return -(y * _log_where(y, p)).sum()


def _ce_grad(y, p):
    y, p = as_float(y), as_float(p)
    return np.where(y == 0, 0.0, -y / np.where(p == 0, 1.0, p))


def _bce_value(y, p):
    y, p = as_float(y), as_float(p)
    return -(y * _log_where(y, p) + (1 - y) * _log_where(1 - y, 1 - p, _AT_1)).sum()


def _bce_grad(y, p):
    """(ŷ − y) / (ŷ(1 − ŷ)); where ŷ saturates at 0 or 1 (0/0 as written), −y/ŷ + (1 − y)/(1 − ŷ)
    with a term whose weight (y or 1 − y) is 0 counted as 0. (Where that weight is not 0 the loss
    is infinite, which the loss value reports.)"""
    y, p = as_float(y), as_float(p)
    den = p * (1 - p)
    saturated = den == 0
    pos = np.where(y == 0, 0.0, -y / np.where(p == 0, 1.0, p))
    neg = np.where(y == 1, 0.0, (1 - y) / np.where(p == 1, 1.0, 1 - p))
    return np.where(saturated, pos + neg, (p - y) / np.where(saturated, 1.0, den))


CROSS_ENTROPY = LossMath(
    "cross_entropy", _ce_value, _ce_grad,
    lambda y, p: mul(y, Call("log", (p,)), op="juxt"),
    lambda body, K: Neg(_paren(body)),
    lambda y, p, K: Neg(Frac(y, p)))

BINARY_CROSS_ENTROPY = LossMath(
    "binary_cross_entropy", _bce_value, _bce_grad,
    lambda y, p: Add((mul(y, Call("log", (p,)), op="juxt"),
                      mul(Paren(Sub(Num(1), y)), Call("log", (Sub(Num(1), p),)), op="juxt"))),
    lambda body, K: Neg(Paren(body)),
    lambda y, p, K: Frac(Sub(p, y), mul(p, Paren(Sub(Num(1), p)), op="juxt")))

LOSSES = {l.name: l for l in (SQUARED, HALF, MSE, CROSS_ENTROPY, BINARY_CROSS_ENTROPY)}
