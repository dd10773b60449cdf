"""Backpropagation: forward pass, loss, backward pass and gradient-descent update, step by step.

``compute_step`` is the maths (vectorised over samples, exact or float64); ``solve`` runs the
steps and has ``explain`` write each one out as a teaching assistant would.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ...errors import ProblemError
from .spec import BackpropProblem
from ...ops import pnorm
from ...ops.activations import activation_math
from ...arrays import as_float, exact, like
from ...ops.losses import LOSSES


@dataclass
class LayerStep:
    """One layer's numbers in one step (arrays with a leading sample axis)."""

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


def forward(layers, X):
    """a and h of every layer, for every sample (rows of X)."""
    out = []
    H = X
    for layer in layers:
        A = H @ layer.W.T
        if layer.b is not None:
            A = A + layer.b
        f = activation_math(layer.activation)
        Hn = f.forward(A)
        out.append((A, Hn))
        H = Hn
    return out


def compute_step(problem: BackpropProblem, params, *, loss_scale=1,
                 relu_gate: bool = True) -> Step:
    """One step: forward, loss, backward, update, for parameters [(W, b), ...].

    The keywords inject a student's mistake for ``nnsolve check`` (the defaults are the right
    maths): ``loss_scale`` multiplies the loss gradient (1/2: the factor 2 of the squared loss
    dropped), ``relu_gate=False`` takes (leaky) ReLU′ as 1 everywhere."""
    from .spec import Layer
    layers = [Layer(W, b, l.activation) for (W, b), l in zip(params, problem.layers)]
    X, Y = problem.X, problem.Y
    N = X.shape[0]
    ex = problem.exact
    scale = (Fraction(1, N) if ex else 1.0 / N) if problem.reduction == "mean" else \
        (Fraction(1) if ex else 1.0)
    fwd = forward(layers, X)
    yhat = fwd[-1][1]
    loss_math = LOSSES[problem.loss]
    try:
        sample_losses = np.array([loss_math.value(Y[s], yhat[s]) for s in range(N)],
                                 dtype=object if exact(yhat) and exact(Y) else float)
    except FloatingPointError as e:
        raise ProblemError(str(e), *problem.loss_where) from None
    data_loss = scale * sum(sample_losses.tolist(), Fraction(0) if ex else 0.0)
    penalty = None
    if problem.regularization is not None:
        p, alpha = problem.regularization
        penalty = sum((pnorm.penalty(l.W, p, alpha) for l in layers),
                      Fraction(0) if ex else 0.0)
    loss = data_loss + penalty if penalty is not None else data_loss

    scale_grad = scale * (Fraction(loss_scale) if ex else float(loss_scale))
    with np.errstate(over="ignore"):     # −y/ŷ for ŷ below 1/1.8e308: see the shortcut
        dJ_dyhat = np.stack([loss_math.gradient(Y[s], yhat[s]) for s in range(N)]) * scale_grad
    last = layers[-1].activation.name
    shortcut = (problem.loss, last) in (("cross_entropy", "softmax"),
                                        ("binary_cross_entropy", "sigmoid"))
    steps = []
    G_h = dJ_dyhat
    if shortcut and not np.all(np.isfinite(as_float(dJ_dyhat))):
        # ∂J/∂ŷ beyond floating point (a tiny ŷ where y > 0) although J and ∂J/∂a = ŷ − y are
        # finite: the shortcut does not need it, so it is left out rather than refusing the step
        G_h = None
    lr = problem.learning_rate if ex else float(problem.learning_rate)
    for i in range(len(layers) - 1, -1, -1):
        layer = layers[i]
        A, H = fwd[i]
        H_prev = X if i == 0 else fwd[i - 1][1]
        f = activation_math(layer.activation)
        fprime = None
        if i == len(layers) - 1 and shortcut:
            G_a = (H - Y) * scale_grad
        elif layer.activation.name == "softmax":
            Hf = as_float(H)
            G_a = Hf * (as_float(G_h) - (as_float(G_h) * Hf).sum(axis=1, keepdims=True))
        else:
            fprime = f.derivative(A, H)
            if not relu_gate and layer.activation.name in ("relu", "leaky_relu"):
                fprime = like(fprime, np.ones(fprime.shape, dtype=int))
            G_a = G_h * fprime
        dW_data = G_a.T @ H_prev
        dW = dW_data
        if problem.regularization is not None:
            p, alpha = problem.regularization
            dW = dW_data + pnorm.gradient(layer.W, p, alpha)
        db = G_a.sum(axis=0) if layer.b is not None else None
        W_new = layer.W - lr * dW
        b_new = None
        if layer.b is not None:
            b_new = layer.b - lr * db if problem.update_bias else layer.b.copy()
        steps.append(LayerStep(W=layer.W, b=layer.b, a=A, h=H, dJ_dh=G_h, fprime=fprime,
                               dJ_da=G_a, dJ_dW=dW, dJ_dW_data=dW_data, dJ_db=db, W_new=W_new,
                               b_new=b_new))
        if i > 0:     # ∂J/∂x of the input is never shown: skip that (large) product
            G_h = G_a @ layer.W
    steps.reverse()
    return Step(X=X, Y=Y, layers=steps, sample_losses=sample_losses, data_loss=data_loss,
                penalty=penalty, loss=loss, dJ_dyhat=dJ_dyhat, scale=scale, shortcut=shortcut)


def loss_at(problem: BackpropProblem, params) -> float:
    """J for given parameters, in float64 (for the finite-difference check)."""
    from .spec import Layer
    layers = [Layer(as_float(W), None if b is None else as_float(b), l.activation)
              for (W, b), l in zip(params, problem.layers)]
    X, Y = as_float(problem.X), as_float(problem.Y)
    yhat = forward(layers, X)[-1][1]
    lm = LOSSES[problem.loss]
    total = sum(float(lm.value(Y[s], yhat[s])) for s in range(X.shape[0]))
    scale = 1.0 / X.shape[0] if problem.reduction == "mean" else 1.0
    J = scale * total
    if problem.regularization is not None:
        p, alpha = problem.regularization
        J += sum(float(pnorm.penalty(l.W, p, alpha)) for l in layers)
    return J


def finite_differences(problem, params, max_checks: int = 400, eps: float = 1e-6):
    """Central differences (J(θ+ε) − J(θ−ε)) / 2ε for weights and biases.

    Returns rows (layer index, 'W' or 'b', index tuple, numeric value); for large networks a
    fixed pseudo-random subset of at most ``max_checks`` parameters."""
    base = [(as_float(W).copy(), None if b is None else as_float(b).copy()) for W, b in params]
    slots = []
    for li, (W, b) in enumerate(base):
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
    n_params = sum(l.W.size + (0 if l.b is None else l.b.size) for l in problem.layers)
    widest = max([problem.X.shape[1]] + [l.W.shape[0] for l in problem.layers])
    return n_params <= 40 and widest <= 8 and problem.X.shape[0] <= 4


_TOO_LARGE = ("the numbers outgrow floating point (beyond ±1.8e308, or undefined) in step {k}: "
              "use smaller weights, inputs or learning rate")


def _finite(step: Step) -> bool:
    """Every number of a step is finite and fits a float (the JSON contract needs it).

    ∂J/∂ŷ is checked as the output layer's ∂J/∂h (the same array)."""
    arrays = [np.array([step.loss], dtype=object)]
    for l in step.layers:
        arrays += [a for a in (l.a, l.h, l.dJ_dh, l.dJ_da, l.dJ_dW, l.dJ_db, l.W_new, l.b_new)
                   if a is not None]
    try:
        return all(np.all(np.isfinite(as_float(np.asarray(a)))) for a in arrays)
    except OverflowError:     # a Fraction beyond the largest float
        return False


_MAX_BITS = 2048   # exact fractions this long grow without end over the steps: use floats


def _too_long(step: Step) -> bool:
    """The updated parameters' fractions have grown too long to go on exactly."""
    for l in step.layers:
        for a in (l.W_new, l.b_new):
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
    from .spec import Layer
    layers = [Layer(as_float(l.W), None if l.b is None else as_float(l.b), l.activation)
              for l in problem.layers]
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
    for k in range(1, problem.steps + 1):
        try:
            with np.errstate(over="ignore", invalid="ignore"):
                step = compute_step(problem, params)
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
        params = [(l.W_new, l.b_new) for l in step.layers]
    detail = options.detail or ("full" if is_small(problem) else "summary")
    return explain(problem, steps, checks, detail)
