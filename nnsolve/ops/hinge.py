"""The multiclass SVM (hinge) loss, value beside subgradient, and how to write both.

For scores s (the output layer's linear activations) and target class y:

    L = Σ_{j≠y} max(0, s_j − s_y + Δ)

summed over the classes as CS231n writes it (PyTorch's ``multi_margin_loss`` also divides by the
number of classes). Its subgradient: ∂L/∂s_j = 1 where the margin s_j − s_y + Δ is positive
(j ≠ y), 0 where it is not; ∂L/∂s_y = −(the number of positive margins). A margin of exactly 0 is
a kink of max(0, ·): the subgradient 0 is taken there (and the solution says so). Everything is
rational, so exact numbers stay exact.
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ..expr import Add, Call, Cases, Deriv, Expr, Neg, Num, Rel, Seq, Sub, Sum, Sym, Text

from .losses import Loss
from .registry import loss

S_J, S_Y, DELTA = Sym("s", sub="j"), Sym("s", sub="y"), Sym("Delta")

__all__ = ["Hinge", "hinge"]


@loss
class Hinge(Loss):
    """The hinge loss with margin Δ (``with_margin``; 1 by default), as the other losses:
    ``value`` and ``gradient`` of one sample's one-hot target y and scores ŷ = s."""

    key = "hinge"

    def __init__(self, margin=Fraction(1)):
        self.margin = margin

    def with_margin(self, margin):
        """This loss with margin Δ."""
        import copy
        out = copy.copy(self)
        out.margin = margin
        return out

    def target_class(self, y) -> int:
        """The class index of a one-hot target."""
        return int(np.argmax(np.asarray(y.tolist(), dtype=float)))

    def margins(self, y, s):
        """s_j − s_y + Δ for every class j (the entry of y itself is 0 and not counted)."""
        k = self.target_class(y)
        d = self.margin if s.dtype == object else float(self.margin)
        out = s - s[k] + d
        out[k] = out[k] * 0
        return out

    def value(self, y, s):
        k = self.target_class(y)
        m = self.margins(y, s)
        zero = m[k]
        return sum((x if x > 0 else zero for j, x in enumerate(m.tolist()) if j != k), zero)

    def _gradient(self, y, s):
        k = self.target_class(y)
        m = self.margins(y, s)
        one = Fraction(1) if s.dtype == object else 1.0
        g = np.array([one * (1 if (j != k and x > 0) else 0) for j, x in enumerate(m.tolist())],
                     dtype=s.dtype)
        g[k] = -g.sum()
        return g

    def at_kink(self, y, s) -> bool:
        """A margin of exactly 0 (where max(0, ·) has no derivative)."""
        k = self.target_class(y)
        return any(x == 0 for j, x in enumerate(self.margins(y, s).tolist()) if j != k)

    # --- written out ---------------------------------------------------------------------------
    @staticmethod
    def margin_formula(sj, sy, delta) -> Expr:
        """The margin s_j − s_y + Δ of a class, from its leaves (symbols or numbers)."""
        return Add((Sub(sj, sy), delta))

    def hinge_formula(self) -> Expr:
        """L = Σ_{j≠y} max(0, s_j − s_y + Δ)."""
        return Sum(Call("max", (Num(0), self.margin_formula(S_J, S_Y, DELTA))), "j≠y")

    def terms(self, y, s) -> Expr:
        """The sum with the numbers: max(0, 5.1 − 3.2 + 1) + max(0, −1.7 − 3.2 + 1)."""
        k = self.target_class(y)
        terms = tuple(Call("max", (Num(0), self.margin_formula(Num(s[j]), Num(s[k]),
                                                               Num(self.margin))))
                      for j in range(len(s)) if j != k)
        return Add(terms) if len(terms) > 1 else terms[0]

    def values(self, y, s) -> Expr:
        """The terms' values: 2.9 + 0."""
        k = self.target_class(y)
        m = self.margins(y, s)
        terms = tuple(Num(x if x > 0 else m[k]) for j, x in enumerate(m.tolist()) if j != k)
        return Add(terms) if len(terms) > 1 else terms[0]

    def gradient_rule(self) -> Expr:
        """∂L/∂s_j (j ≠ y): 1 if s_j − s_y + Δ > 0, else 0."""
        return Cases(((Num(1), Seq((Text("if"), Rel(self.margin_formula(S_J, S_Y, DELTA), ">",
                                                     Num(0))), sep=" ")),
                      (Num(0), Text("otherwise"))))

    def target_rule(self) -> Expr:
        """∂L/∂s_y = −Σ_{j≠y} 1[s_j − s_y + Δ > 0], the count of positive margins, negated."""
        return Neg(Sum(Deriv(Sym("L"), Sym("s", sub="j")), "j≠y"))


def hinge(margin):
    """The hinge loss with margin Δ (CS231n's default is 1). (``@loss`` made ``Hinge`` the
    registered instance.)"""
    return Hinge.with_margin(margin)
