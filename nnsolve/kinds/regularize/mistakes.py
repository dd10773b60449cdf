"""regularize's likely mistakes: the |w| of the p-norm lost, the factor p dropped, the sign, η."""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ...grading import rank_by_order, ETA_MISTAKES, Variant, define, field_name

define("pnorm_sign_lost", "|w| lost", "the absolute value of the p-norm lost: α·p·wᵢ^(p−1) "
       "(the derivative of α·Σᵢ wᵢᵖ) instead of α·p·|wᵢ|^(p−1)·sign(wᵢ)")
define("pnorm_factor_p", "factor p dropped", "the factor p of the derivative dropped")


def seed_pnorm_gradient(w, p, alpha):
    """The seed's α·p·wᵢ^(p−1), without |·| and sign (whole p only; None otherwise)."""
    p = Fraction(p)
    if p.denominator != 1 or p < 1:
        return None
    out = np.empty(w.shape, dtype=object)
    for idx, v in np.ndenumerate(w):
        out[idx] = alpha * p * Fraction(v) ** int(p - 1)
    return out


def variants(problem, right: dict) -> list:
    from ...ops import pnorm
    if problem.symbolic or not problem.exact:
        return []
    w, p, alpha = problem.weights, problem.p, problem.alpha
    lg, eta = problem.loss_gradient, problem.learning_rate
    out = []

    def tree(pen_grad, penalty=None, lr_factor=Fraction(1), with_grads=True) -> dict:
        t: dict = {}
        g = pen_grad if lg is None else lg + pen_grad
        if with_grads:
            t["penalty_gradient"] = pen_grad
            if lg is not None:
                t["gradient"] = g
            if penalty is not None:
                t["penalty"] = np.asarray(penalty, dtype=object)
        if eta is not None:
            t["weights_new"] = w - eta * lr_factor * g
        return t

    right_grad = pnorm.gradient(w, p, alpha)
    grads = []
    seed = seed_pnorm_gradient(w, p, alpha)
    if seed is not None:
        seed_pen = alpha * sum((Fraction(v) ** int(p) for v in w.ravel()), Fraction(0))
        grads.append(("pnorm_sign_lost", seed, seed_pen))
    if p != 1:
        grads.append(("pnorm_factor_p", right_grad / p, None))
    grads.append(("gradient_sign", -right_grad, None))
    if eta is not None:
        out += [Variant((n,), tree(right_grad, lr_factor=f, with_grads=False))
                for n, f in ETA_MISTAKES]
    out += [Variant((n,), tree(g, pen)) for n, g, pen in grads]
    if eta is not None:
        out += [Variant((gn, en), tree(g, lr_factor=f, with_grads=False))
                for gn, g, _pen in grads for en, f in ETA_MISTAKES]
    return out


ORDER = ["p", "alpha", "weights", "loss_gradient", "learning_rate", "penalty", "penalty_gradient",
         "gradient", "weights_new"]


def rank(path: tuple):
    """A sort key: the order in which the solution computes the field."""
    return rank_by_order(ORDER, path)


def stage(path: tuple) -> str:
    """The part of the solution a field belongs to, in words."""
    return field_name(path)
