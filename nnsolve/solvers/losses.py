"""Losses summed over output units, each with its gradient with respect to ŷ beside it."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import Callable

import numpy as np

from ..expr import (Add, Call, Frac, Mul, Neg, Num, Paren, Pow, Sub, Sum, Sym, mul)
from .arrays import as_float, exact


@dataclass(frozen=True)
class LossMath:
    """L(y, ŷ) for one sample and ∂L/∂ŷ, and how to write both."""

    name: str
    value: Callable          # (y, yhat) 1-D -> scalar
    gradient: Callable       # (y, yhat) 1-D -> vector dL/dŷ
    formula: Callable        # (y Expr, ŷ Expr, K) -> Expr of L (summed over k when K > 1)
    gradient_formula: Callable   # (y Expr, ŷ Expr, K) -> Expr of ∂L/∂ŷ_k


def _sum(body, K):
    return Sum(body, "k") if K > 1 else body


def _sq(y, yh, K):
    return _sum(Pow(Paren(Sub(y, yh)), Num(2)), K)


def _log(x):
    if np.any(x <= 0):
        raise FloatingPointError("log of 0")
    return np.log(x)


SQUARED = LossMath(
    "squared_error",
    lambda y, p: ((y - p) ** 2).sum(),
    lambda y, p: -2 * (y - p),
    _sq,
    lambda y, p, K: mul(Num(-2), Paren(Sub(y, p))))

HALF = LossMath(
    "half_squared_error",
    lambda y, p: ((y - p) ** 2).sum() * (Fraction(1, 2) if exact(p) else 0.5),
    lambda y, p: -(y - p),
    lambda y, p, K: mul(Frac(Num(1), Num(2)), _sq(y, p, K)),
    lambda y, p, K: Neg(Paren(Sub(y, p))))

MSE = LossMath(
    "mse",
    lambda y, p: ((y - p) ** 2).sum() * (Fraction(1, len(p)) if exact(p) else 1 / len(p)),
    lambda y, p: -2 * (y - p) * (Fraction(1, len(p)) if exact(p) else 1 / len(p)),
    lambda y, p, K: mul(Frac(Num(1), Num(K)), _sq(y, p, K)),
    lambda y, p, K: mul(Frac(Num(-2), Num(K)), Paren(Sub(y, p))))

CROSS_ENTROPY = LossMath(
    "cross_entropy",
    lambda y, p: -(as_float(y) * _log_where(as_float(y), as_float(p))).sum(),
    lambda y, p: np.where(as_float(y) == 0, 0.0, -as_float(y) / np.where(as_float(p) == 0, 1,
                                                                           as_float(p))),
    lambda y, p, K: Neg(_sum(mul(y, Call("log", (p,)), op="juxt"), K)),
    lambda y, p, K: Neg(Frac(y, p)))

BINARY_CROSS_ENTROPY = LossMath(
    "binary_cross_entropy",
    lambda y, p: -(as_float(y) * _log_where(as_float(y), as_float(p))
                   + (1 - as_float(y)) * _log_where(1 - as_float(y), 1 - as_float(p))).sum(),
    lambda y, p: (as_float(p) - as_float(y)) / (as_float(p) * (1 - as_float(p))),
    lambda y, p, K: Neg(_sum(Add((mul(y, Call("log", (p,)), op="juxt"),
                                  mul(Paren(Sub(Num(1), y)), Call("log", (Sub(Num(1), p),)),
                                      op="juxt"))), K)),
    lambda y, p, K: Frac(Sub(p, y), mul(p, Paren(Sub(Num(1), p)), op="juxt")))


def _log_where(weight, p):
    """log p where the weight is non-zero (0 · log 0 counts as 0); an infinite loss is an error."""
    out = np.zeros_like(p)
    nz = weight != 0
    if np.any(p[nz] <= 0):
        raise FloatingPointError("the prediction is 0 where the target needs it: the loss is "
                                 "infinite")
    out[nz] = np.log(p[nz])
    return out


LOSSES = {l.name: l for l in (SQUARED, HALF, MSE, CROSS_ENTROPY, BINARY_CROSS_ENTROPY)}
