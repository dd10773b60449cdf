"""Backpropagation: forward pass, loss, backward pass and gradient-descent update, step by step.

The network is a chain of operations of ``nnsolve/ops`` (dense, conv, pool, flatten, each
activation), run by the engine there: ``compute_step`` builds the chain for the current
parameters, runs it forward, starts the backward pass at the loss, and updates; a student's
mistake is one operation's rule swapped (``mistakes=``), then the same computation runs.
``solve`` runs the steps and has ``explain`` write each one out as a teaching assistant would.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ...arrays import as_float, exact
from ...errors import ProblemError
from ...ops import pnorm
from ...ops.engine import backward, forward
from ...ops.registry import losses
from .spec import BackpropProblem


@dataclass
class LayerStep:
    """One layer's numbers in one step (arrays with a leading sample axis).

    For a conv layer ``W`` holds the kernels K (F×C×kh×kw) and ``dJ_dW`` their gradient; a pool
    or flatten layer has only ``h`` and ``dJ_dh`` (and its input's gradient ``dJ_dx``)."""

    W: object
    b: object | None
    a: object
    h: object
    dJ_dh: object = None           # None at the output under the shortcut when beyond floats
    fprime: object = None          # f'(a), None for softmax (its Jacobian is not diagonal)
    dJ_da: object = None
    dJ_dW: object = None
    dJ_dW_data: object = None      # the part of dJ_dW from the loss (without the penalty)
    dJ_db: object = None
    W_new: object = None
    b_new: object = None
    type: str = "dense"
    x: object = None               # the layer's input (rows of samples)
    dJ_dx: object = None           # ∂J/∂(the layer's input)
    nodes: tuple = ()              # the engine's nodes of the layer (for the explanation)
    traces: dict = None            # the optimizer's rule per parameter ("W", "b"), if any


@dataclass
class Step:
    """Everything computed in one gradient step."""

    X: object
    Y: object
    layers: list
    sample_losses: object          # L_s per sample
    data_loss: object              # the reduced loss
    penalty: object                # α Σ|w|ᵖ, or None
    loss: object                   # J = data_loss (+ penalty)
    dJ_dyhat: object               # N × K
    scale: object                  # 1/N for mean, 1 for sum
    shortcut: bool = False         # softmax+cross-entropy or sigmoid+binary cross-entropy
    dJ_dx: object = None           # ∂J/∂x of the network's input (rows of samples)


def _swap(op, mistakes):
    """The op with every rule that one of ``mistakes`` gets wrong swapped in."""
    for m in mistakes:
        if m in op.mistakes:
            swapped = op.swapped(m)
            if swapped is not None:
                op = swapped
    return op


def network(problem: BackpropProblem, params, mistakes=()):
    """The engine's chain for the layers with parameters [(W or K, b), ...]: a list of nodes,
    and for each layer the slice of its nodes (a linear op and its activation, or one op)."""
    from .layers import of
    nodes, spans = [], []
    for layer, (w, b) in zip(problem.layers, params):
        start = len(nodes)
        nodes += of(layer).nodes(layer, w, b, lambda op: _swap(op, mistakes))
        spans.append((start, len(nodes)))
    return nodes, spans


def _scale(problem, N):
    ex = problem.exact
    if problem.reduction == "mean":
        return Fraction(1, N) if ex else 1.0 / N
    return Fraction(1) if ex else 1.0


def _loss(problem, mistakes):
    loss = losses()[problem.loss]
    if problem.loss == "hinge":
        loss = loss.with_margin(problem.margin)
    K = problem.Y.shape[1]
    for m in mistakes:
        if m in loss.mistakes_for(K):
            loss = loss.swapped(m, K)
    return loss


def loss_math(problem):
    """The problem's loss (the hinge loss with the problem's margin)."""
    return _loss(problem, ())


def learning_rate(problem, mistakes=()):
    """η, or the η that a learning-rate mistake applies."""
    from ...ops.update import lr_factor
    lr = problem.learning_rate * lr_factor(mistakes)
    return lr if problem.exact else float(lr)


def compute_step(problem: BackpropProblem, params, mistakes=(), update=None) -> Step:
    """One step: forward, loss, backward, update, for parameters [(W or K, b), ...].

    ``mistakes`` names student's mistakes to inject (``nnsolve check``): each operation that
    knows one swaps in the wrong rule (the loss's factor 2, the ReLU gate, the gradient's sign,
    η ×10, the kernel flip, the padding), and the step is computed as always. ``update(layer
    index, name, θ, g)`` → (new θ, trace) is an optimizer's rule (training.py); without it,
    plain gradient descent."""
    from .layers import of
    nodes, spans = network(problem, params, mistakes)
    X, Y = problem.X, problem.Y
    N = X.shape[0]
    ex = problem.exact
    scale = _scale(problem, N)
    yhat = forward(nodes, X)
    loss_math = _loss(problem, mistakes)
    logits, out_act = nodes[-1].x, getattr(nodes[-1].op, "key", None)   # the output's input
    try:
        sample_losses = np.array([loss_math.value_at(Y[s], yhat[s], logits[s], out_act)
                                  for s in range(N)],
                                 dtype=object if exact(yhat) and exact(Y) else float)
    except FloatingPointError as e:
        raise ProblemError(str(e), *problem.loss_where) from None
    data_loss = scale * sum(sample_losses.tolist(), Fraction(0) if ex else 0.0)
    weights = _penalized(problem, params)
    penalty = None
    if problem.regularization is not None:
        p, alpha = problem.regularization
        penalty = sum((pnorm.penalty(w, p, alpha) for w in weights), Fraction(0) if ex else 0.0)
    loss = data_loss + penalty if penalty is not None else data_loss

    with np.errstate(over="ignore"):     # −y/ŷ for ŷ below 1/1.8e308: see the shortcut
        dJ_dyhat = np.stack([loss_math.gradient_at(Y[s], yhat[s], logits[s], out_act)
                             for s in range(N)]) * scale
    last = nodes[-1].op
    shortcut = loss_math.shortcut is not None and getattr(last, "key", None) == loss_math.shortcut
    if shortcut:
        G_h = dJ_dyhat
        if not np.all(np.isfinite(as_float(dJ_dyhat))):
            # ∂J/∂ŷ beyond floating point (a tiny ŷ where y > 0) although J and ∂J/∂a = ŷ − y
            # are finite: the shortcut does not need it, so it is left out rather than refusing
            G_h = None
        dJ_dx = backward(nodes, loss_math.shortcut_gradient(Y, yhat) * scale,
                         start=len(nodes) - 2, upstream=G_h)
    else:
        dJ_dx = backward(nodes, dJ_dyhat)

    from ...ops.update import GradientDescent
    rule = GradientDescent(learning_rate(problem, mistakes))
    out = []
    for li, (layer, (w, b), (s0, s1)) in enumerate(zip(problem.layers, params, spans)):
        t = of(layer)
        mine = nodes[s0:s1]
        ls = LayerStep(W=w, b=b, type=t.key, x=mine[0].x, dJ_dx=mine[0].gx, nodes=tuple(mine),
                       **t.step_values(mine))
        if t.params:       # its parameters: gradients, then the optimizer's or η's step
            pw, pb = t.params
            ls.dJ_dW = ls.dJ_dW_data = mine[0].grads[pw]
            if t.penalized and problem.regularization is not None:
                ls.dJ_dW = ls.dJ_dW_data + pnorm.gradient(w, *problem.regularization)
            ls.dJ_db = mine[0].grads[pb]
            ls.traces = {} if update is not None else None
            if update is not None:
                ls.W_new, ls.traces[pw] = update(li, pw, w, ls.dJ_dW)
            else:
                ls.W_new = rule.step(w, ls.dJ_dW)
            if b is not None:
                if t.frozen_by_update_bias and not problem.update_bias:
                    ls.b_new = b.copy()
                elif update is not None:
                    ls.b_new, ls.traces[pb] = update(li, pb, b, ls.dJ_db)
                else:
                    ls.b_new = rule.step(b, ls.dJ_db)
        out.append(ls)
    return Step(X=X, Y=Y, layers=out, sample_losses=sample_losses, data_loss=data_loss,
                penalty=penalty, loss=loss, dJ_dyhat=dJ_dyhat, scale=scale, shortcut=shortcut,
                dJ_dx=dJ_dx)


def loss_at(problem: BackpropProblem, params) -> float:
    """J for given parameters, in float64 (for the finite-difference check)."""
    from dataclasses import replace
    fparams = [(None if w is None else as_float(w), None if b is None else as_float(b))
               for w, b in params]
    nodes, _ = network(replace(problem, exact=False), fparams)
    X, Y = as_float(problem.X), as_float(problem.Y)
    yhat = forward(nodes, X)
    lm = _loss(problem, ())
    logits, out_act = nodes[-1].x, getattr(nodes[-1].op, "key", None)
    total = sum(float(lm.value_at(Y[s], yhat[s], logits[s], out_act))
                for s in range(X.shape[0]))
    scale = 1.0 / X.shape[0] if problem.reduction == "mean" else 1.0
    J = scale * total
    if problem.regularization is not None:
        p, alpha = problem.regularization
        J += sum(float(pnorm.penalty(w, p, alpha)) for w in _penalized(problem, fparams))
    return J


def _penalized(problem, params) -> list:
    """The parameters that `regularization` covers: weights and kernels (not biases, not a
    batch norm's γ)."""
    from .layers import of
    return [w for (w, _), l in zip(params, problem.layers) if of(l).penalized]


def finite_differences(problem, params, max_checks: int = 400, eps: float = 1e-6):
    """Central differences (J(θ+ε) − J(θ−ε)) / 2ε for weights and biases.

    Returns rows (layer index, 'W' or 'b', index tuple, numeric value); for large networks a
    fixed pseudo-random subset of at most ``max_checks`` parameters."""
    base = [(None if W is None else as_float(W).copy(), None if b is None else as_float(b).copy())
            for W, b in params]
    slots = []
    for li, (W, b) in enumerate(base):
        if W is not None:
            slots += [(li, "W", idx) for idx in np.ndindex(W.shape)]
        if b is not None:
            slots += [(li, "b", idx) for idx in np.ndindex(b.shape)]
    if len(slots) > max_checks:
        rng = np.random.default_rng(0)
        chosen = sorted(rng.choice(len(slots), size=max_checks, replace=False))
        slots = [slots[i] for i in chosen]
    rows = []
    for li, which, idx in slots:
        arr = base[li][0] if which == "W" else base[li][1]
        old = arr[idx]
        arr[idx] = old + eps
        up = loss_at(problem, base)
        arr[idx] = old - eps
        down = loss_at(problem, base)
        arr[idx] = old
        rows.append((li, which, idx, (up - down) / (2 * eps)))
    return rows


def is_small(problem: BackpropProblem) -> bool:
    """Small enough for every weight and unit to be written out (about a screenful per part)."""
    n_params = sum((0 if l.W is None else l.W.size) + (0 if l.b is None else l.b.size)
                   for l in problem.layers)
    if problem.cnn:
        # every window of every layer written out: about a screenful of windows
        cells = sum(int(np.prod(s)) for s in problem.shapes[1:])
        return n_params <= 60 and cells <= 80 and problem.X.shape[0] <= 2
    widest = max([problem.X.shape[1]] + [l.W.shape[0] for l in problem.layers])
    return n_params <= 40 and widest <= 8 and problem.X.shape[0] <= 4


_TOO_LARGE = ("the numbers outgrow floating point (beyond ±1.8e308, or undefined) in step {k}: "
              "use smaller weights, inputs or learning rate")


def _finite(step: Step) -> bool:
    """Every number of a step is finite and fits a float (the JSON contract needs it).

    ∂J/∂ŷ is checked as the output layer's ∂J/∂h (the same array)."""
    arrays = [np.array([step.loss], dtype=object), step.dJ_dx]
    for l in step.layers:
        arrays += [a for a in (l.a, l.h, l.dJ_dh, l.dJ_da, l.dJ_dW, l.dJ_db, l.W_new, l.b_new)
                   if a is not None]
        if l.traces:
            from .training import state_arrays
            arrays += list(state_arrays(l.traces))
    try:
        return all(np.all(np.isfinite(as_float(np.asarray(a)))) for a in arrays)
    except OverflowError:     # a Fraction beyond the largest float
        return False


_MAX_BITS = 2048   # exact fractions this long grow without end over the steps: use floats


def _too_long(step: Step) -> bool:
    """The updated parameters' fractions have grown too long to go on exactly."""
    from .training import state_arrays
    for l in step.layers:
        for a in (l.W_new, l.b_new, *state_arrays(l.traces or {})):
            # an exact problem's parameters turn float once a float operation (σ, tanh,
            # softmax, logarithms) has touched their gradient: only Fractions can grow
            if a is not None and exact(a) and any(
                    isinstance(x, Fraction)
                    and x.numerator.bit_length() + x.denominator.bit_length() > _MAX_BITS
                    for x in a.ravel().tolist()):
                return True
    return False


def _in_float(problem: BackpropProblem) -> BackpropProblem:
    """The same problem computed in float64."""
    from dataclasses import replace
    layers = [replace(l, W=None if l.W is None else as_float(l.W),
                      b=None if l.b is None else as_float(l.b)) for l in problem.layers]
    return replace(problem, layers=layers, X=as_float(problem.X), Y=as_float(problem.Y),
                   exact=False)


def _checked(problem: BackpropProblem, params, k: int):
    """The finite differences of step k (for --verify)."""
    try:
        return finite_differences(problem, params)
    except FloatingPointError:     # J(θ ± ε) infinite although J(θ) is not
        raise ProblemError(f"--verify: the loss is infinite within ε of the parameters of step "
                           f"{k}, so there is no finite difference", *problem.loss_where) from None


def solve(problem: BackpropProblem, options):
    """The worked solution of every step."""
    from .explain import explain
    params = [(l.W, l.b) for l in problem.layers]
    steps = []
    checks = []
    training = None
    if problem.optimizer is not None:
        from .training import Training
        training = Training(problem.optimizer)
    for k in range(1, problem.steps + 1):
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                update = training.begin().update if training is not None else None
                step = compute_step(problem, params, update=update)
                if options.verify:
                    checks.append(_checked(problem, params, k))
        except (OverflowError, ZeroDivisionError):
            step = None
        if step is None or not _finite(step):
            raise ProblemError(_TOO_LARGE.format(k=k), *problem.where)
        if problem.exact and k < problem.steps and _too_long(step):
            from ...solution import Note
            solution = solve(_in_float(problem), options)
            solution.blocks.insert(0, Note(
                f"Exact fractions grew too long by step {k} of {problem.steps}, so every step "
                "is computed in floating point (values marked ≈ are rounded)."))
            return solution
        steps.append(step)
        if training is not None:
            training.finish()
        params = [(l.W_new, l.b_new) for l in step.layers]
    detail = options.detail or ("full" if is_small(problem) else "summary")
    solution = explain(problem, steps, checks, detail)
    if problem.float_reason:
        from ...solution import Note
        solution.blocks.insert(0, Note(problem.float_reason))
    return solution


def known_mistakes(problem: BackpropProblem):
    """The mistakes that some rule of this network's operations knows, in the order a student
    meets them going backward (the loss, then the layers' ops, the sign last), and the
    learning-rate mistakes of the update."""
    from ...ops.update import ETA_MISTAKES
    nodes, _ = network(problem, [(l.W, l.b) for l in problem.layers])
    K = problem.Y.shape[1]
    found = [m for m in _loss(problem, ()).mistakes_for(K) if m != "gradient_sign"]
    for n in nodes:
        for m, make in n.op.mistakes.items():
            if m not in found and make(n.op) is not None:
                found.append(m)
    found.append("gradient_sign")
    return found, list(ETA_MISTAKES)
