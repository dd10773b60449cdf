"""Losses summed over output units: each one object with L(y, ŷ) beside ∂L/∂ŷ, how both are
written, and the mistakes a student makes in its gradient (``swapped``)."""

from __future__ import annotations

import copy
from fractions import Fraction

import numpy as np

from ..arrays import as_float, exact
from ..expr import Add, Call, Frac, Neg, Num, Paren, Pow, Sub, Sum, mul
from .registry import loss


class Loss:
    """L(y, ŷ) for one sample and ∂L/∂ŷ, and how to write both.

    ``term(y, ŷ)`` is one output unit's term; ``outer(total, K)`` wraps the sum over units
    (a factor ½ or 1/K, a minus sign); ``grad(y, ŷ, K)`` writes ∂L/∂ŷₖ. ``shortcut`` names
    the output activation with which ∂J/∂a = ŷ − y (softmax for cross-entropy).
    ``factor`` scales the gradient: 1, except in a swapped mistake."""

    key = ""
    shortcut: str | None = None
    factor = 1

    def value(self, y, p):
        raise NotImplementedError

    def _gradient(self, y, p):
        raise NotImplementedError

    def gradient(self, y, p):
        """∂L/∂ŷ of one sample."""
        return self._factored(self._gradient(y, p))

    def _factored(self, g):
        """A gradient times ``factor`` (a swapped mistake's), exact when g is."""
        return g if self.factor == 1 else _scaled(g, g, self.factor)

    # The same loss and ∂L/∂ŷ from the output activation's input a (the logits), for the
    # ``shortcut`` activation: so computed, a saturated output (ŷ rounding to 0 or 1) keeps its
    # precision, as PyTorch's BCEWithLogitsLoss and cross_entropy do. None: from ŷ only.
    value_logits = None         # (y, a) 1-D -> scalar
    gradient_logits = None      # (y, a) 1-D -> vector ∂L/∂ŷ

    def from_logits(self, activation: str | None) -> bool:
        """True when the loss is computed from the logits under this output activation."""
        return self.value_logits is not None and activation == self.shortcut

    def value_at(self, y, p, a=None, activation: str | None = None):
        """L of one sample: from the logits a when the output activation allows it."""
        if a is not None and self.from_logits(activation):
            return self.value_logits(y, a)
        return self.value(y, p)

    def gradient_at(self, y, p, a=None, activation: str | None = None):
        """∂L/∂ŷ of one sample: from the logits a when the output activation allows it."""
        if a is None or not self.from_logits(activation):
            return self.gradient(y, p)
        return self._factored(self.gradient_logits(y, a))

    def shortcut_gradient(self, Y, P):
        """∂J/∂a at the output activation's input with the ``shortcut`` activation: ŷ − y."""
        return self._factored(P - Y)

    def term(self, y, p):
        raise NotImplementedError

    def outer(self, body, K):
        return body

    def grad(self, y, p, K):
        raise NotImplementedError

    def formula(self, pairs, K: int, symbolic: bool):
        """L written out: Σₖ of the term (symbolic) or the terms added up (numbers)."""
        if symbolic:
            y, p = pairs[0]
            body = Sum(self.term(y, p), "k") if K > 1 else self.term(y, p)
        else:
            terms = [self.term(y, p) for y, p in pairs]
            body = Add(tuple(terms)) if len(terms) > 1 else terms[0]
        return self.outer(body, K)

    # --- the mistakes a student makes in it --------------------------------------------------
    def mistakes_for(self, K: int) -> dict:
        """Mistake name -> factor of the gradient that it amounts to, for K output units."""
        return {"gradient_sign": -1}

    def swapped(self, mistake: str, K: int = 1) -> "Loss":
        """This loss with the gradient a mistake gives."""
        out = copy.copy(self)
        out.factor = self.factor * Fraction(self.mistakes_for(K)[mistake])
        return out

    @property
    def name(self) -> str:
        return self.key


def _sq(y, p):
    return Pow(Paren(Sub(y, p)), Num(2))


def _paren(body):
    return Paren(body) if isinstance(body, Add) else body


def _scaled(x, p, factor):
    return x * (factor if exact(p) else float(factor))


@loss
class SquaredError(Loss):
    """Σₖ(yₖ − ŷₖ)² (the seed's J); ∂L/∂ŷₖ = −2(yₖ − ŷₖ)."""

    key = "squared_error"

    def value(self, y, p):
        return ((y - p) ** 2).sum()

    def _gradient(self, y, p):
        return -2 * (y - p)

    term = staticmethod(_sq)

    def grad(self, y, p, K):
        return mul(Num(-2), Paren(Sub(y, p)), op="juxt")

    def mistakes_for(self, K):
        return {"loss_factor_2": Fraction(1, 2), "gradient_sign": -1}



@loss
class HalfSquaredError(Loss):
    """½Σₖ(yₖ − ŷₖ)²; ∂L/∂ŷₖ = −(yₖ − ŷₖ)."""

    key = "half_squared_error"

    def value(self, y, p):
        return _scaled(((y - p) ** 2).sum(), p, Fraction(1, 2))

    def _gradient(self, y, p):
        return -(y - p)

    term = staticmethod(_sq)

    def outer(self, body, K):
        return mul(Frac(Num(1), Num(2)), _paren(body), op="juxt")

    def grad(self, y, p, K):
        return Neg(Paren(Sub(y, p)))



@loss
class MSE(Loss):
    """(1/K)Σₖ(yₖ − ŷₖ)²; ∂L/∂ŷₖ = (−2/K)(yₖ − ŷₖ)."""

    key = "mse"

    def value(self, y, p):
        return _scaled(((y - p) ** 2).sum(), p, Fraction(1, len(p)))

    def _gradient(self, y, p):
        return _scaled(-2 * (y - p), p, Fraction(1, len(p)))

    term = staticmethod(_sq)

    def outer(self, body, K):
        return mul(Frac(Num(1), Num(K)), _paren(body), op="juxt") if K > 1 else body

    def grad(self, y, p, K):
        # (−2/K)(y − ŷ) bracketed: −2/K(y − ŷ) would read as −2/(K(y − ŷ))
        return mul(Paren(Frac(Num(-2), Num(K))) if K > 1 else Num(-2), Paren(Sub(y, p)),
                   op="juxt")

    def mistakes_for(self, K):
        # for one output the factor 2 is the only constant to drop (1/K is 1)
        return {"loss_factor_2": Fraction(1, 2), "gradient_sign": -1} if K == 1 else \
            {"gradient_sign": -1}


_AT_0 = "the prediction is 0 where the target needs it above 0: the loss is infinite"
_AT_1 = "the prediction is 1 where the target needs it below 1: the loss is infinite"


def _minus_y_over(y, p):
    """−y/ŷ element-wise, 0 where y = 0 (float64; ŷ = 0 there is not divided by)."""
    return np.where(y == 0, 0.0, -y / np.where(p == 0, 1.0, p))


def _log_where(weight, p, message: str = _AT_0):
    """log p where the weight is non-zero (0 · log 0 counts as 0); an infinite loss is an error."""
    out = np.zeros_like(p)
    nz = weight != 0
    if np.any(p[nz] <= 0):
        raise FloatingPointError(message)
    out[nz] = np.log(p[nz])
    return out


_INFINITE = "the loss is infinite (beyond floating point)"


def _finite_loss(value: float) -> float:
    if not np.isfinite(value):
        raise FloatingPointError(_INFINITE)
    return value


def _lse_minus(a):
    """LSE(a) − aₖ for every k, LSE(a) = log Σⱼ exp(aⱼ): (m − aₖ) + log1p(Σ_{j≠J} exp(aⱼ − m))
    with m = a_J the largest logit. No exp overflows, no probability is rounded to 0 before its
    log is taken, and where aₖ is the largest the result keeps its digits (log1p, no m − m)."""
    J = int(np.argmax(a))
    m = a[J]
    e = np.exp(a - m)
    e[J] = 0.0
    return (m - a) + np.log1p(e.sum())     # the other logits' terms (not 1 + them − 1)


def _ce_value_logits(y, a):
    """−Σ yₖ log softmax(a)ₖ = Σ yₖ (LSE(a) − aₖ) (terms with yₖ = 0 are 0)."""
    y, a = as_float(y), as_float(a)
    return _finite_loss(float(np.where(y == 0, 0.0, y * _lse_minus(a)).sum()))


def _ce_grad_logits(y, a):
    """−yₖ/ŷₖ with ŷₖ = softmax(a)ₖ = exp(aₖ − LSE(a)), so −yₖ·exp(LSE(a) − aₖ) (0 where yₖ = 0;
    beyond floating point where ŷₖ underflows, which the backward pass then leaves out)."""
    y, a = as_float(y), as_float(a)
    with np.errstate(over="ignore", invalid="ignore"):    # the yₖ = 0 cells are not used
        return np.where(y == 0, 0.0, -y * np.exp(_lse_minus(a)))


def _bce_value_logits(y, a):
    """−Σ[y log σ(a) + (1 − y) log σ(−a)] = Σ[(1 − y)·a + log(1 + e⁻ᵃ)], written as
    Σ[max(a, 0) − y·a + log1p(e^−|a|)] (log σ(a) = −log(1 + e⁻ᵃ)): exact to the last digit
    where σ(a) rounds to 1 (a = 37) or to 0 (a = −800)."""
    y, a = as_float(y), as_float(a)
    return _finite_loss(float((np.maximum(a, 0) - y * a + np.log1p(np.exp(-np.abs(a)))).sum()))


def _bce_grad_logits(y, a):
    """−y/ŷ + (1 − y)/(1 − ŷ) with ŷ = σ(a) and 1 − ŷ = σ(−a): −y(1 + e⁻ᵃ) + (1 − y)(1 + eᵃ),
    each term 0 where its weight is (1 − ŷ is never computed as a difference)."""
    y, a = as_float(y), as_float(a)
    pos = np.where(y == 0, 0.0, -y * (1 + np.exp(-a)))
    neg = np.where(y == 1, 0.0, (1 - y) * (1 + np.exp(a)))
    return pos + neg


@loss
class CrossEntropy(Loss):
    """−Σₖ yₖ log ŷₖ with a softmax output; ∂J/∂a = ŷ − y."""

    key = "cross_entropy"
    shortcut = "softmax"
    value_logits = staticmethod(_ce_value_logits)
    gradient_logits = staticmethod(_ce_grad_logits)

    def value(self, y, p):
        y, p = as_float(y), as_float(p)
        return -(y * _log_where(y, p)).sum()

    def _gradient(self, y, p):
        return _minus_y_over(as_float(y), as_float(p))

    def term(self, y, p):
        return mul(y, Call("log", (p,)), op="juxt")

    def outer(self, body, K):
        return Neg(_paren(body))

    def grad(self, y, p, K):
        return Neg(Frac(y, p))



@loss
class BinaryCrossEntropy(Loss):
    """−Σₖ[yₖ log ŷₖ + (1 − yₖ) log(1 − ŷₖ)] with a sigmoid output; ∂J/∂a = ŷ − y."""

    key = "binary_cross_entropy"
    shortcut = "sigmoid"
    value_logits = staticmethod(_bce_value_logits)
    gradient_logits = staticmethod(_bce_grad_logits)

    def value(self, y, p):
        y, p = as_float(y), as_float(p)
        return -(y * _log_where(y, p) + (1 - y) * _log_where(1 - y, 1 - p, _AT_1)).sum()

    def _gradient(self, y, p):
        """(ŷ − y) / (ŷ(1 − ŷ)); where ŷ saturates at 0 or 1 (0/0 as written), −y/ŷ + (1 − y)/(1 − ŷ)
        with a term whose weight (y or 1 − y) is 0 counted as 0. (Where that weight is not 0 the
        loss is infinite, which the loss value reports.)"""
        y, p = as_float(y), as_float(p)
        den = p * (1 - p)
        saturated = den == 0
        pos = _minus_y_over(y, p)
        neg = np.where(y == 1, 0.0, (1 - y) / np.where(p == 1, 1.0, 1 - p))
        return np.where(saturated, pos + neg, (p - y) / np.where(saturated, 1.0, den))

    def term(self, y, p):
        return Add((mul(y, Call("log", (p,)), op="juxt"),
                    mul(Paren(Sub(Num(1), y)), Call("log", (Sub(Num(1), p),)), op="juxt")))

    def outer(self, body, K):
        return Neg(Paren(body))

    def grad(self, y, p, K):
        return Frac(Sub(p, y), mul(p, Paren(Sub(Num(1), p)), op="juxt"))



def __getattr__(name):
    if name == "LOSSES":      # the 0.1 name: the registry's table
        from .registry import losses
        return losses()
    raise AttributeError(name)
