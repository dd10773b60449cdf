"""backprop's likely mistakes: the step re-computed with a rule swapped, and the order of its fields."""

from __future__ import annotations

import numpy as np

from ...grading import Variant, define

define("loss_factor_2", "factor 2 dropped", "the factor 2 of the squared loss dropped "
       "(∂J/∂ŷ = −(y − ŷ))")
define("relu_gate_ignored", "ReLU gate ignored", "the ReLU gate ignored (f′(a) = 1 also where a ≤ 0)")
define("max_pool_to_every_cell", "max pool to every cell", "the max pool's gradient given to "
       "every cell of its window (it goes to the window's maximum alone)")
define("max_pool_spread", "max pool spread", "the max pool's gradient spread equally over its "
       "window, as an average's (it goes to the window's maximum alone)")
define("dx_kernel_not_flipped", "∂J/∂x kernel not flipped", "∂J/∂x computed with the kernel "
       "not flipped (a full cross-correlation of ∂J/∂a with K; it is the full convolution, "
       "the kernel rotated by 180°)")
define("avg_pool_not_divided", "avg pool not divided", "the avg pool's gradient given whole to "
       "every cell of its window (each cell gets ∂J/∂y divided by the window's count)")


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
                if problem.optimizer is not None or problem.steps > 1:
                    return _trained_tree(problem, mistakes, opt_mistake)
                return to_tree(step_data(problem, compute_step(problem, params, mistakes)))
        except (NnsolveError, ArithmeticError, ValueError):
            # a mistake that changes a shape (the padding forgotten) leaves the layers after it
            # unsolvable: it still explains the values before them
            return _forward_tree(problem, mistakes) if mistakes and not opt_mistake else None

    rules, etas = known_mistakes(problem)
    out = [Variant((e,), tree((e,))) for e in etas]
    out += [Variant((m,), tree((m,))) for m in rules]
    out += [Variant((m, e), tree((m, e))) for m in rules for e in etas]
    if problem.optimizer is not None:        # a rule of the optimizer swapped
        out += [Variant((m,), tree((), m)) for m in problem.optimizer.mistakes()]
    return [v for v in out if v.tree is not None]


def _forward_tree(problem, mistakes):
    """The forward values (a, h) of the layers computed with the mistakes before the first
    layer that the mistake makes unsolvable (a dense layer after a smaller conv output), or
    None when no layer's values differ in shape from the right ones."""
    from ...errors import NnsolveError
    from .layers import of
    from .solve import network
    nodes, spans = network(problem, [(l.W, l.b) for l in problem.layers], mistakes)
    H = problem.X
    layers = {}
    for n, (layer, (s0, s1)) in enumerate(zip(problem.layers, spans), start=1):
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                outs = []
                for node in nodes[s0:s1]:
                    H = node.op.forward(H, node.p)[0]
                    outs.append(H)
        except (NnsolveError, ArithmeticError, ValueError):
            break

        def one(x):
            return np.asarray(x if problem.batch else x[0], dtype=object)
        entry = {"h": one(outs[-1])}
        if of(layer).has_activation:
            entry["a"] = one(outs[0])
        layers[n] = entry
    return {"layers": layers} if layers else None


def _trained_tree(problem, mistakes, opt_mistake):
    """Every step (with an optimizer: its state carried), with the mistakes: the first step's
    tree, and every step under ``steps`` keyed by its number (1 too, as the right tree)."""
    from ...grading import to_tree
    from ...ops.optim import Optimizer
    from ...ops.update import lr_factor
    from .explain import step_data
    from .solve import compute_step
    from .training import Training
    opt = problem.optimizer
    training = None
    if opt is not None:
        f = lr_factor(mistakes)
        if f != 1:
            opt = Optimizer(opt.defn, {**opt.hyper, "lr": opt.lr * f})
        training = Training(opt, opt_mistake)
    params = [(l.W, l.b) for l in problem.layers]
    trees = {}
    for k in range(1, problem.steps + 1):
        if training is not None:
            step = compute_step(problem, params, mistakes, update=training.begin().update)
            training.finish()
        else:
            step = compute_step(problem, params, mistakes)
        trees[k] = to_tree(step_data(problem, step))
        params = [(l.W_new, l.b_new) for l in step.layers]
    first = dict(trees[1])
    if len(trees) > 1:
        first["steps"] = trees
    return first


_FORWARD = ("a", "mean", "var", "x_hat", "h")     # in the order they are computed


def _fields():
    """The parameters of every layer type (each type's first, then its second), with what
    else describes a layer, and the backward pass's fields in order: ∂J/∂h, ∂J/∂a, then the
    gradients of the first and of the second parameter."""
    from .layers import types
    first = [t.params[0] for t in types().values() if t.params]
    second = [t.params[1] for t in types().values() if t.params]
    params = {**{p: False for p in first + ["type", "activation", "alpha"]},
              **{p: True for p in second}}
    backward = {"dJ_dh": 0, "dJ_da": 1, **{f"dJ_d{p}": 2 for p in first},
                **{f"dJ_d{p}": 3 for p in second}}
    return params, backward


def rank(path: tuple):
    """A sort key: the order in which the solution computes the field."""
    head = path[0]
    _PARAMS, _BACKWARD = _fields()
    if head == "layers" and len(path) >= 3:       # (the optimizer's state: layers.n.state...)
        n, f = path[1], path[2]
        if f in _PARAMS:
            return (0, n, _PARAMS[f])
        if f in _FORWARD:
            return (1, n, _FORWARD.index(f))
        if f in _BACKWARD:
            return (4, -n, _BACKWARD[f])
        # m, v before θ; the second parameter's new value after the first's
        return (5, n, {"state": -1}.get(f, f.endswith("_new") and _PARAMS.get(f[:-4], False)))
    if head == "steps" and len(path) > 2:      # a later step: after the first, in its order
        return (7, path[1]) + rank(path[2:])
    return {"output": (2,), "loss": (3,), "dJ_dx": (4, 0, 0)}.get(head, (6,))


def stage(path: tuple) -> str:
    """The part of the solution a field belongs to, in words."""
    _PARAMS, _BACKWARD = _fields()
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
