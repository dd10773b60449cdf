"""A computational graph of scalars: the forward pass node by node, the backward pass from
∂f/∂f = 1 (upstream × local, summed where a value feeds several nodes), and gradient steps on
the parameters.

Every operation's forward and local rule is the one in ``nnsolve/ops/scalar.py``; ``check``
re-runs ``forward``/``backward`` with an op's rule swapped (``ops``) or a sum over paths
dropped (``paths``).
"""

from __future__ import annotations

import math
import sys
from dataclasses import dataclass, field
from fractions import Fraction

from ...errors import ProblemError
from ...ops.scalar import FUNCTIONS, OPS, DomainError

FULL_DETAIL_LIMIT = 40       # nodes written out one by one (default detail) up to this many
MAX_BITS = 2048              # exact fractions this long grow without end over steps: use floats


@dataclass
class NodeResult:
    """One node after both passes: its value, its local derivatives (per input name, summed
    over the argument slots it fills) and its gradient ∂f/∂node."""

    node: object                  # the spec's GraphNode
    value: object
    local: dict = field(default_factory=dict)      # input name → ∂node/∂input
    slot_local: tuple = ()                          # per argument slot (None: a constant)
    gradient: object = 0


@dataclass
class Edge:
    """What flows back along one edge: from ``consumer`` to its input ``name``."""

    consumer: str
    name: str
    upstream: object              # ∂f/∂consumer
    local: object                 # ∂consumer/∂name
    gradient: object              # upstream × local


@dataclass
class Pass:
    """Both passes over the graph at one point."""

    values: dict                  # every input and node → its value
    gradients: dict               # every input and node → ∂f/∂it
    nodes: list                   # NodeResult, in order
    edges: list                   # Edge, in the order the backward pass computes them
    feeds: set                    # the names the output depends on (and the output)


def _zero():
    return Fraction(0)


def _domain_error(node, e: DomainError, args, values) -> ProblemError:
    """A node's domain error, with its numbers (``log(-2)``), at the operation in the file."""
    from .spec import node_text
    shown = []
    for a in node.args:
        t = _num(values[a]) if isinstance(a, str) else _num(a)
        shown.append(f"({t})" if t.startswith("-") and node.op not in ("id",)
                     and not (node.op in FUNCTIONS) else t)
    return ProblemError(f"{e.message}: {node_text(node.op, tuple(shown))}", *node.where)


def _num(x) -> str:
    from ...numbers import format_number
    if isinstance(x, Fraction) and abs(x) >= 10 ** 15:
        x = float(x)                 # 1e200, not two hundred digits
    return format_number(x, 6, exact=True).text


def _op(node, ops):
    return (ops or {}).get(node.op) or OPS[node.op]


def forward(problem, inputs: dict, ops: dict | None = None) -> dict:
    """Every input's and node's value, node by node; ``ops`` overrides operations by name."""
    values = dict(inputs)
    for n in problem.nodes:
        args = tuple(values[a] if isinstance(a, str) else a for a in n.args)
        try:
            v = _op(n, ops).forward(args)
        except DomainError as e:
            raise _domain_error(n, e, args, values) from None
        except OverflowError:
            raise _domain_error(n, DomainError("the result is too large for a floating-point "
                                               "number"), args, values) from None
        v = _bounded(v)
        if _too_large(v):
            raise _domain_error(n, DomainError(TOO_LARGE), args, values)
        values[n.name] = v
    return values


TOO_LARGE = "the result is beyond floating point (larger than 1.8e308)"
_MAX = Fraction(sys.float_info.max)


def _bounded(x):
    """An exact value whose fraction has grown past MAX_BITS, in floating point (x·x repeated
    doubles its digits at every node); inf when it is beyond a float."""
    if isinstance(x, Fraction) and \
            x.numerator.bit_length() + x.denominator.bit_length() > MAX_BITS:
        try:
            return float(x)
        except OverflowError:
            return math.inf
    return x


def _too_large(x) -> bool:
    """A value that JSON (and every float) cannot hold."""
    if isinstance(x, Fraction):
        return abs(x) > _MAX
    return not math.isfinite(x)


def feeding(problem) -> set:
    """The names the output depends on, the output among them."""
    by_name = {n.name: n for n in problem.nodes}
    out = set()
    stack = [problem.output]
    while stack:
        name = stack.pop()
        if name in out:
            continue
        out.add(name)
        node = by_name.get(name)
        if node is not None:
            stack.extend(a for a in node.args if isinstance(a, str))
    return out


def backward(problem, values: dict, ops: dict | None = None, paths: str = "sum") -> Pass:
    """∂f/∂v for every input and node v, from ∂f/∂f = 1, in reverse order.

    ``paths``: "sum" adds what every edge brings (the chain rule); "first" and "last" keep
    only one path where a value feeds several nodes (a student's missing sum)."""
    feeds = feeding(problem)
    grads = {name: _zero() for name in values}
    grads[problem.output] = Fraction(1)
    got = set()
    results = {n.name: NodeResult(n, values[n.name]) for n in problem.nodes}
    edges = []
    for n in reversed(problem.nodes):
        if n.name not in feeds:
            continue
        r = results[n.name]
        r.gradient = grads[n.name]
        args = tuple(values[a] if isinstance(a, str) else a for a in n.args)
        need = tuple(isinstance(a, str) for a in n.args)
        try:
            slots = _op(n, ops).local(args, values[n.name], need)
        except DomainError as e:
            raise _domain_error(n, e, args, values) from None
        except (OverflowError, ZeroDivisionError):
            raise _domain_error(n, DomainError("the local derivative is too large for a "
                                               "floating-point number"), args, values) from None
        r.slot_local = tuple(s if isinstance(a, str) else None for a, s in zip(n.args, slots))
        for a, s in zip(n.args, slots):
            if isinstance(a, str):
                r.local[a] = s if a not in r.local else r.local[a] + s
        for a, loc in r.local.items():
            g = _bounded(r.gradient * loc)
            _finite(g, n, args, values)
            edges.append(Edge(n.name, a, r.gradient, loc, g))
            if paths == "sum" or a not in got:
                grads[a] = _bounded(grads[a] + g)
            elif paths == "last":
                grads[a] = g
            got.add(a)
    for r in results.values():
        r.gradient = grads[r.node.name]
    return Pass(values, grads, [results[n.name] for n in problem.nodes], edges, feeds)


def _finite(g, node, args, values):
    if _too_large(g):
        raise _domain_error(node, DomainError("the gradient is too large for a floating-point "
                                              "number"), args, values)


def run(problem, inputs: dict, ops: dict | None = None, paths: str = "sum") -> Pass:
    """The forward and the backward pass at these input values."""
    return backward(problem, forward(problem, inputs, ops), ops, paths)


# --- the update (gradient descent; an optimizer plugs in here) -------------------------------

@dataclass
class Update:
    """One step's update: each parameter's new value, and what the explanation shows."""

    new: dict                     # parameter → new value
    rows: list                    # (name, old, gradient, step, new) per parameter
    state: dict | None = None     # an optimizer's state after the step (None: plain descent)


def gradient_descent(problem, values: dict, gradients: dict, state=None, t: int = 1) -> Update:
    """θ ← θ − η·∂f/∂θ for every parameter."""
    eta = problem.learning_rate
    new, rows = {}, []
    for p in problem.parameters:
        old, g = values[p], gradients[p]
        lr = eta if isinstance(old, Fraction) and isinstance(g, Fraction) else float(eta)
        step = lr * g
        new[p] = old - step
        if _too_large(new[p]) or _too_large(step):
            raise ProblemError(f"the update of {p} in step {t} is too large for a "
                               f"floating-point number: use a smaller learning rate",
                               *problem.learning_rate_where)
        rows.append((p, old, g, step, new[p]))
    return Update(new, rows)


def optimizer_update(problem, values: dict, gradients: dict, state=None, t: int = 1) -> Update:
    """Each parameter by the optimizer's rule (torch.optim's), its state carried in ``state``;
    ``rows`` then hold (name, old, gradient, the rule's trace, new)."""
    import numpy as np
    opt = problem.optimizer
    new, rows, states = {}, [], {}
    for p in problem.parameters:
        old, g = values[p], gradients[p]
        exact = isinstance(old, Fraction) and isinstance(g, Fraction)
        theta = np.array([old], dtype=object if exact else float)
        grad = np.array([g], dtype=object if exact else float)
        before = (state or {}).get(p) or opt.init_state(theta)
        trace = opt.step(theta, grad, before, t)
        value = trace.theta_new[0]
        new[p] = float(value) if isinstance(value, np.floating) else value
        if _too_large(new[p]) or any(_too_large(float(v[0])) for v in trace.state.values()):
            raise ProblemError(f"the update of {p} in step {t} is too large for a "
                               f"floating-point number: use a smaller learning rate",
                               *problem.learning_rate_where)
        states[p] = trace.state
        rows.append((p, old, g, trace, new[p]))
    return Update(new, rows, states)


def _too_long(values: dict) -> bool:
    return any(isinstance(x, Fraction) and
               x.numerator.bit_length() + x.denominator.bit_length() > MAX_BITS
               for x in values.values())


@dataclass
class StepResult:
    """One step: both passes, and the update (None without parameters)."""

    run: Pass
    update: Update | None = None


def compute(problem, ops: dict | None = None, paths: str = "sum",
            update=None) -> list:
    """Every step (one without parameters): both passes, then the update (gradient descent, or
    the problem's optimizer)."""
    if update is None:
        update = optimizer_update if problem.optimizer is not None else gradient_descent
    inputs = dict(problem.inputs)
    out = []
    state = None
    for t in range(1, problem.steps + 1):
        try:
            p = run(problem, inputs, ops, paths)
        except ProblemError as e:
            if t > 1:
                e.message = f"in step {t}: {e.message}"
            raise
        if not problem.parameters:
            out.append(StepResult(p))
            break
        u = update(problem, p.values, p.gradients, state, t)
        state = u.state
        out.append(StepResult(p, u))
        inputs = dict(inputs, **u.new)
        if t < problem.steps and _too_long(inputs):
            inputs = {k: float(v) for k, v in inputs.items()}
    return out


def central_differences(problem, inputs: dict, h: float = 1e-6) -> dict:
    """(f(v + ε) − f(v − ε)) / 2ε for every input v, in floating point (ε = h·max(1, |v|))."""
    base = {k: float(v) for k, v in inputs.items()}
    out = {}
    for name in problem.inputs:
        eps = h * max(1.0, abs(base[name]))
        hi = forward(problem, dict(base, **{name: base[name] + eps}))[problem.output]
        lo = forward(problem, dict(base, **{name: base[name] - eps}))[problem.output]
        out[name] = (float(hi) - float(lo)) / (2 * eps)
    return out


def kinks(problem, values: dict) -> list:
    """Nodes evaluated where their operation has a corner (ReLU or |·| at 0, ReLU6 at 0 and 6, a
    max or min at a tie): a central difference there need not match the gradient."""
    out = []
    for n in problem.nodes:
        args = [values[a] if isinstance(a, str) else a for a in n.args]
        if OPS[n.op].arity == 1 and args[0] in OPS[n.op].kinks:
            out.append(n.name)
        elif n.op in ("max", "min") and args[0] == args[1]:
            out.append(n.name)
    return out


def solve(problem, options):
    """The worked solution (kind "graph")."""
    from .explain import explain
    steps = compute(problem)
    checks = None
    if options.verify:
        checks = []
        for s in steps:
            inputs = {k: s.run.values[k] for k in problem.inputs}
            try:
                checks.append(central_differences(problem, inputs))
            except ProblemError as e:
                raise ProblemError(f"--verify: within ε of the inputs, {e.message}", e.path,
                                   e.line, e.col, e.field) from None
    detail = options.detail or ("full" if len(problem.nodes) <= FULL_DETAIL_LIMIT else "summary")
    return explain(problem, steps, checks, detail)
