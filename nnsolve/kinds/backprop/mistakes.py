"""backprop's likely mistakes: the step re-computed with a rule swapped, and the order of its fields."""

from __future__ import annotations

import numpy as np

from ...grading import Variant, define

define("loss_factor_2", "factor 2 dropped", "the factor 2 of the squared loss dropped "
       "(∂J/∂ŷ = −(y − ŷ))")
define("relu_gate_ignored", "ReLU gate ignored", "the ReLU gate ignored (f′(a) = 1 also where a ≤ 0)")


def _define_op_mistakes():
    from ...ops import batchnorm, optim
    for table in (optim.MISTAKE_TEXT, batchnorm.MISTAKE_TEXT):
        for name, (short, text) in table.items():
            define(name, short, text)


_define_op_mistakes()


def variants(problem, right: dict) -> list:
    """The first step computed with each known mistake: one operation's rule swapped (the
    loss's factor 2, the ReLU gate, the gradient's sign, η, the kernel flip, the padding), then
    the solver's own ``compute_step`` and the JSON of a step (no copy of the maths here)."""
    from ...grading import to_tree
    from ...errors import NnsolveError
    from .explain import step_data
    from .solve import compute_step, known_mistakes
    params = [(l.W, l.b) for l in problem.layers]

    def tree(mistakes, opt_mistake=None):
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                if problem.optimizer is not None:
                    return _trained_tree(problem, mistakes, opt_mistake)
                return to_tree(step_data(problem, compute_step(problem, params, mistakes)))
        except (NnsolveError, ArithmeticError, ValueError):
            return None     # a mistake that makes the problem unsolvable explains no value

    rules, etas = known_mistakes(problem)
    out = [Variant((e,), tree((e,))) for e in etas]
    out += [Variant((m,), tree((m,))) for m in rules]
    out += [Variant((m, e), tree((m, e))) for m in rules for e in etas]
    if problem.optimizer is not None:        # a rule of the optimizer swapped
        out += [Variant((m,), tree((), m)) for m in problem.optimizer.mistakes()]
    return [v for v in out if v.tree is not None]


def _trained_tree(problem, mistakes, opt_mistake):
    """Every step with an optimizer (its state carried), with the mistakes: the first step's
    tree, later steps under ``steps`` keyed by their number."""
    from ...grading import to_tree
    from ...ops.optim import Optimizer
    from ...ops.update import lr_factor
    from .explain import step_data
    from .solve import compute_step
    from .training import Training
    opt = problem.optimizer
    f = lr_factor(mistakes)
    if f != 1:
        opt = Optimizer(opt.defn, {**opt.hyper, "lr": opt.lr * f})
    training = Training(opt, opt_mistake)
    params = [(l.W, l.b) for l in problem.layers]
    first, later = None, {}
    for k in range(1, problem.steps + 1):
        step = compute_step(problem, params, mistakes, update=training.begin().update)
        training.finish()
        t = to_tree(step_data(problem, step))
        if k == 1:
            first = t
        else:
            later[k] = t
        params = [(l.W_new, l.b_new) for l in step.layers]
    if later:
        first["steps"] = later
    return first


_BACKWARD = {"dJ_dh": 0, "dJ_da": 1, "dJ_dW": 2, "dJ_dK": 2, "dJ_db": 3, "dJ_dgamma": 2,
             "dJ_dbeta": 3}
_PARAMS = ("W", "K", "b", "type", "gamma", "beta")
_FORWARD = ("a", "mean", "var", "x_hat", "h")     # in the order they are computed


def rank(path: tuple):
    """A sort key: the order in which the solution computes the field."""
    head = path[0]
    if head == "layers" and len(path) >= 3:       # (the optimizer's state: layers.n.state...)
        n, f = path[1], path[2]
        if f in _PARAMS:
            return (0, n, f in ("b", "beta"))
        if f in _FORWARD:
            return (1, n, _FORWARD.index(f))
        if f in _BACKWARD:
            return (4, -n, _BACKWARD[f])
        return (5, n, {"state": -1}.get(f, f in ("b_new", "beta_new")))   # m, v before θ
    if head == "steps" and len(path) > 2:      # a later step: after the first, in its order
        return (7, path[1]) + rank(path[2:])
    return {"output": (2,), "loss": (3,), "dJ_dx": (4, 0, 0)}.get(head, (6,))


def stage(path: tuple) -> str:
    """The part of the solution a field belongs to, in words."""
    if path[0] == "layers" and len(path) >= 3:
        n, f = path[1], path[2]
        if f in _PARAMS:
            return f"the parameters of layer {n}"
        if f in _FORWARD:
            return f"forward pass, layer {n}"
        if f == "state":
            return f"update, the optimizer's state of layer {n}"
        if f in _BACKWARD:
            return f"backward pass, layer {n}"
        return f"update, layer {n}"
    if path[0] == "steps" and len(path) > 2:
        return f"step {path[1]}, " + stage(path[2:])
    return {"loss": "the loss", "output": "forward pass, the output",
            "dJ_dx": "backward pass, the input"}.get(path[0], path[0])
