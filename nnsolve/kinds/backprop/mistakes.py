"""backprop's likely mistakes: the step re-computed with a rule swapped, and the order of its fields."""

from __future__ import annotations

from dataclasses import replace
from fractions import Fraction

import numpy as np

from ...grading import ETA_MISTAKES, Variant, define, set_path

define("loss_factor_2", "factor 2 dropped", "the factor 2 of the squared loss dropped "
       "(∂J/∂ŷ = −(y − ŷ))")
define("relu_gate_ignored", "ReLU gate ignored", "the ReLU gate ignored (f′(a) = 1 also where a ≤ 0)")


def variants(problem, right: dict) -> list:
    """The first step computed with each known mistake (by the solver's own ``compute_step``)."""
    from .solve import compute_step
    params = [(l.W, l.b) for l in problem.layers]

    def step_with(**mistake):
        with np.errstate(over="ignore", invalid="ignore"):
            return compute_step(problem, params, **mistake)

    def per_sample(x):
        return x if problem.batch else x[0]

    def tree_of(step, lr_factor, with_grads: bool) -> dict:
        lr = problem.learning_rate * lr_factor
        lr = lr if problem.exact else float(lr)
        t: dict = {}
        for i, ls in enumerate(step.layers, start=1):
            if with_grads:
                for k in ("dJ_dh", "dJ_da"):
                    set_path(t, ("layers", i, k), np.asarray(per_sample(getattr(ls, k)),
                                                         dtype=object))
                set_path(t, ("layers", i, "dJ_dW"), np.asarray(ls.dJ_dW, dtype=object))
                if ls.dJ_db is not None:
                    set_path(t, ("layers", i, "dJ_db"), np.asarray(ls.dJ_db, dtype=object))
            set_path(t, ("layers", i, "W_new"), np.asarray(ls.W - lr * ls.dJ_dW, dtype=object))
            if ls.b is not None and problem.update_bias:
                set_path(t, ("layers", i, "b_new"), np.asarray(ls.b - lr * ls.dJ_db, dtype=object))
        return t

    base = step_with()
    steps = []
    if problem.loss == "squared_error" or (problem.loss == "mse" and problem.Y.shape[1] == 1):
        steps.append(("loss_factor_2", step_with(loss_scale=Fraction(1, 2))))
    if any(l.activation.name in ("relu", "leaky_relu") for l in problem.layers):
        steps.append(("relu_gate_ignored", step_with(relu_gate=False)))
    flipped = replace(base, layers=[replace(ls, dJ_dh=-ls.dJ_dh, dJ_da=-ls.dJ_da,
                                            dJ_dW=-ls.dJ_dW,
                                            dJ_db=None if ls.dJ_db is None else -ls.dJ_db)
                                    for ls in base.layers])
    steps.append(("gradient_sign", flipped))
    variants = [Variant((name,), tree_of(base, f, False)) for name, f in ETA_MISTAKES]
    variants += [Variant((name,), tree_of(st, 1, True)) for name, st in steps]
    variants += [Variant((sname, ename), tree_of(st, f, False))
                 for sname, st in steps for ename, f in ETA_MISTAKES]
    return variants


_BACKWARD = {"dJ_dh": 0, "dJ_da": 1, "dJ_dW": 2, "dJ_db": 3}


def rank(path: tuple):
    """A sort key: the order in which the solution computes the field."""
    head = path[0]
    if head == "layers" and len(path) == 3:
        n, f = path[1], path[2]
        if f in ("W", "b"):
            return (0, n, f == "b")
        if f in ("a", "h"):
            return (1, n, f == "h")
        if f in _BACKWARD:
            return (4, -n, _BACKWARD[f])
        return (5, n, f == "b_new")
    return {"output": (2,), "loss": (3,)}.get(head, (6,))


def stage(path: tuple) -> str:
    """The part of the solution a field belongs to, in words."""
    if path[0] == "layers" and len(path) == 3:
        n, f = path[1], path[2]
        if f in ("W", "b"):
            return f"the parameters of layer {n}"
        if f in ("a", "h"):
            return f"forward pass, layer {n}"
        if f in _BACKWARD:
            return f"backward pass, layer {n}"
        return f"update, layer {n}"
    return {"loss": "the loss", "output": "forward pass, the output"}.get(path[0], path[0])
