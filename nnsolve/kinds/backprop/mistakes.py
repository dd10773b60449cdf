"""backprop's likely mistakes: the step re-computed with a rule swapped, and the order of its fields."""

from __future__ import annotations

import numpy as np

from ...grading import Variant, define

define("loss_factor_2", "factor 2 dropped", "the factor 2 of the squared loss dropped "
       "(∂J/∂ŷ = −(y − ŷ))")
define("relu_gate_ignored", "ReLU gate ignored", "the ReLU gate ignored (f′(a) = 1 also where a ≤ 0)")


def variants(problem, right: dict) -> list:
    """The first step computed with each known mistake: one operation's rule swapped (the
    loss's factor 2, the ReLU gate, the gradient's sign, η, the kernel flip, the padding), then
    the solver's own ``compute_step`` and the JSON of a step (no copy of the maths here)."""
    from ...grading import to_tree
    from ...errors import NnsolveError
    from .explain import step_data
    from .solve import compute_step, known_mistakes
    params = [(l.W, l.b) for l in problem.layers]

    def tree(mistakes):
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                return to_tree(step_data(problem, compute_step(problem, params, mistakes)))
        except (NnsolveError, ArithmeticError, ValueError):
            return None     # a mistake that makes the problem unsolvable explains no value

    rules, etas = known_mistakes(problem)
    out = [Variant((e,), tree((e,))) for e in etas]
    out += [Variant((m,), tree((m,))) for m in rules]
    out += [Variant((m, e), tree((m, e))) for m in rules for e in etas]
    return [v for v in out if v.tree is not None]


_BACKWARD = {"dJ_dh": 0, "dJ_da": 1, "dJ_dW": 2, "dJ_dK": 2, "dJ_db": 3}


def rank(path: tuple):
    """A sort key: the order in which the solution computes the field."""
    head = path[0]
    if head == "layers" and len(path) == 3:
        n, f = path[1], path[2]
        if f in ("W", "K", "b", "type"):
            return (0, n, f == "b")
        if f in ("a", "h"):
            return (1, n, f == "h")
        if f in _BACKWARD:
            return (4, -n, _BACKWARD[f])
        return (5, n, f == "b_new")
    if head == "steps" and len(path) > 2:      # a later step: after the first, in its order
        return (7, path[1]) + rank(path[2:])
    return {"output": (2,), "loss": (3,), "dJ_dx": (4, 0, 0)}.get(head, (6,))


def stage(path: tuple) -> str:
    """The part of the solution a field belongs to, in words."""
    if path[0] == "layers" and len(path) == 3:
        n, f = path[1], path[2]
        if f in ("W", "K", "b", "type"):
            return f"the parameters of layer {n}"
        if f in ("a", "h"):
            return f"forward pass, layer {n}"
        if f in _BACKWARD:
            return f"backward pass, layer {n}"
        return f"update, layer {n}"
    if path[0] == "steps" and len(path) > 2:
        return f"step {path[1]}, " + stage(path[2:])
    return {"loss": "the loss", "output": "forward pass, the output",
            "dJ_dx": "backward pass, the input"}.get(path[0], path[0])
