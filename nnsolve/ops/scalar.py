"""The operations of a computational graph of scalars: forward beside local backward.

Each ``ScalarOp`` holds, side by side, its forward rule on numbers, its local derivatives (one
per argument), how the node and its local derivatives are written (formulas as data: called
once with symbols and once with numbers), the gate's name as it is taught (an add distributes,
a multiply swaps, a max routes) and the mistakes a student typically makes in it, each as the
op with one rule swapped (``op.swapped("mul_not_swapped")``), as ``nnsolve/ops/engine.py`` does
for the tensor operations.

Values are Fractions while every operation on the way is rational, floats otherwise. sigmoid,
tanh, relu and relu6 are the activations of ``nnsolve/ops/activations.py`` (the code backprop
runs), applied to one-element arrays: every activation of the registry that has no settings and
works on one number, read from the registry when a graph asks for it (so one registered later is
callable too).

    op = OPS["mul"]
    q = op.forward((x, y))
    dq_dx, dq_dy = op.local((x, y), q)
"""

from __future__ import annotations

import math
from fractions import Fraction
from collections.abc import Mapping
from typing import Callable

from ..expr import Abs, Call, Frac, Mul, Neg, Num, Pow, Sub
from ..numbers import MAX_EXACT_POWER

__all__ = ["ScalarOp", "OPS", "FUNCTIONS", "DomainError", "BINARY", "UNARY"]


class DomainError(ArithmeticError):
    """An operation applied outside its domain (log of a negative number, division by zero);
    ``arg`` is the 0-based argument at fault, or None for the operation as a whole."""

    def __init__(self, message: str, arg: int | None = None):
        super().__init__(message)
        self.message = message
        self.arg = arg


class ScalarOp:
    """One operation of a graph of scalars.

    ``forward(args)`` → value; ``local(args, out)`` → ∂out/∂arg for each argument;
    ``formula(args)`` → the node as a formula of its arguments (Exprs); ``rule(args, out, values)``
    → each local derivative as a formula (``values``: the arguments' numbers, for rules that
    depend on them, as max's); ``symbol``: the gate's label in a drawing; ``gate``: how the
    gate passes the gradient, in words, or None where no name is taught; ``kinks``: the values
    of a one-input op's argument where it has a corner (ReLU's 0)."""

    __slots__ = ("name", "arity", "symbol", "gate", "forward", "local", "formula", "rule",
                 "mistakes", "kinks")

    def __init__(self, name: str, arity: int, symbol: str, forward: Callable, local: Callable,
                 formula: Callable, rule: Callable, gate: str | None = None,
                 mistakes: dict | None = None, kinks: tuple = ()):
        self.name = name
        self.arity = arity
        self.symbol = symbol
        self.forward = forward
        self.local = local
        self.formula = formula
        self.rule = rule
        self.gate = gate
        self.mistakes = mistakes or {}
        self.kinks = kinks

    def swapped(self, mistake: str) -> "ScalarOp":
        """This op with the local rule that ``mistake`` gets wrong swapped in."""
        local, rule = self.mistakes[mistake]
        return ScalarOp(self.name, self.arity, self.symbol, self.forward, local, self.formula,
                        rule, self.gate, kinks=self.kinks)

    def __repr__(self) -> str:
        return f"ScalarOp({self.name!r})"


# --- numbers --------------------------------------------------------------------------------

def _exact(x) -> bool:
    return isinstance(x, Fraction)


def _float(x) -> float:
    f = float(x)
    if not math.isfinite(f):
        raise DomainError("the result is too large for a floating-point number")
    return f


def _checked(x):
    """A result, refused when it is not a finite number."""
    if isinstance(x, float) and not math.isfinite(x):
        raise DomainError("the result is too large for a floating-point number")
    return x


def _one(x):
    """1 in the mode of x."""
    return Fraction(1) if _exact(x) else 1.0


def _zero(x):
    return Fraction(0) if _exact(x) else 0.0


def _mode(value, *like):
    """``value`` as a float when any of ``like`` is one (so that a float graph stays float)."""
    if any(isinstance(v, float) for v in like) and isinstance(value, Fraction):
        return float(value)
    return value


def sqrt_value(x):
    """√x, exact when x is the square of a rational."""
    if _exact(x):
        n, d = x.numerator, x.denominator
        rn, rd = math.isqrt(n), math.isqrt(d)
        if rn * rn == n and rd * rd == d:
            return Fraction(rn, rd)
    return math.sqrt(float(x))


def power_value(a, b):
    """aᵇ: exact for a rational a and a whole b up to MAX_EXACT_POWER (and roots that are
    rational); floating point otherwise. A negative base needs a whole exponent."""
    if a == 0 and b < 0:
        raise DomainError("division by zero: 0 to a negative power", 0)
    if _exact(b) and b.denominator == 1:
        if _exact(a) and abs(b) <= MAX_EXACT_POWER and \
                abs(b) * (a.numerator.bit_length() + a.denominator.bit_length()) <= 1 << 16:
            return a ** int(b)
        try:
            return _checked(float(a) ** int(b))
        except OverflowError:
            raise DomainError("the result is too large for a floating-point number") from None
    if a < 0:
        raise DomainError("a negative number to a power that is not a whole number is not a "
                          "real number", 0)
    if _exact(a) and _exact(b) and b.denominator == 2 and abs(b.numerator) <= MAX_EXACT_POWER:
        root = sqrt_value(a)
        if _exact(root):
            return power_value(root, Fraction(b.numerator))
    try:
        return _checked(float(a) ** float(b))
    except OverflowError:
        raise DomainError("the result is too large for a floating-point number") from None


def exp_value(x):
    """eˣ (exactly 1 at 0)."""
    if x == 0:
        return _one(x)
    try:
        return math.exp(float(x))
    except OverflowError:
        raise DomainError("the result is too large for a floating-point number") from None


def log_value(x):
    """ln x for x > 0 (exactly 0 at 1)."""
    if x <= 0:
        raise DomainError("log needs a positive number" if x < 0 else "log of 0 is −∞", 0)
    if x == 1:
        return _zero(x)
    return math.log(float(x)) if _exact(x) else math.log(x)


def sign_value(x):
    """−1, 0 or 1 in x's mode."""
    s = (x > 0) - (x < 0)
    return Fraction(s) if _exact(x) else float(s)


# --- the operations -------------------------------------------------------------------------

def _div(a, b):
    if b == 0:
        raise DomainError("division by zero", 1)
    return _checked(a / b)


def _juxt(*f):
    return Mul(tuple(f), "juxt")


def _dot(*f):
    return Mul(tuple(f), "dot")


def _pow_rule(args, out, values):
    a, b = args
    if isinstance(b, Num):              # a number exponent: n·aⁿ⁻¹, simplified
        n = b.value
        if n == 1:
            da = Num(1)
        elif n == 2:
            da = _juxt(Num(2), a) if not isinstance(a, Num) else _dot(Num(2), a)
        else:
            da = _dot(Num(n), Pow(a, Num(n - 1)))
    else:
        da = _dot(b, Pow(a, Sub(b, Num(1))))
    return (da, _dot(out, Call("log", (a,))))


def _pow_local(args, out, need=(True, True)):
    a, b = args
    da = db = None
    if need[0]:
        da = _mode(b * power_value(a, b - 1), a, b) if b != 0 else _zero(a)
    if need[1]:
        if a <= 0:
            raise DomainError("the derivative of aᵇ with respect to a variable exponent b needs "
                              "a positive base a (it is aᵇ·log a)", 0)
        da_b = out * log_value(a)
        db = _checked(da_b)
    return (da, db)


def _max_local(args, out, need=None):
    a, b = args
    one, zero = _one(_mode(a, b)), _zero(_mode(a, b))
    return (one, zero) if a >= b else (zero, one)     # a tie routes to the first


def _min_local(args, out, need=None):
    a, b = args
    one, zero = _one(_mode(a, b)), _zero(_mode(a, b))
    return (one, zero) if a <= b else (zero, one)


def _route_rule(first: bool):
    def rule(args, out, values):
        a, b = values
        pick = (a >= b) if first else (a <= b)
        return (Num(1), Num(0)) if pick else (Num(0), Num(1))
    return rule


def _sqrt_forward(args):
    (x,) = args
    if x < 0:
        raise DomainError("sqrt needs a number ≥ 0", 0)
    return sqrt_value(x)


def _sqrt_local(args, out, need=None):
    if out == 0:
        raise DomainError("sqrt has no derivative at 0 (its slope is infinite there)", 0)
    return (_checked(1 / (2 * out)),)


def _log_local(args, out, need=None):
    (x,) = args
    return (_div(_one(x), x),)


def _ignore_need(fn):
    """A local rule that computes every argument's derivative (cheap ones)."""
    def local(args, out, need=None):
        return fn(args, out)
    return local


_OPS: dict[str, ScalarOp] = {}     # the operations defined here (OPS adds the activations)


def _define(op: ScalarOp) -> ScalarOp:
    _OPS[op.name] = op
    return op


_define(ScalarOp(
    "id", 1, "=",
    forward=lambda a: a[0],
    local=_ignore_need(lambda a, out: (_one(a[0]),)),
    formula=lambda a: a[0],
    rule=lambda a, out, v: (Num(1),)))

_define(ScalarOp(
    "add", 2, "+",
    forward=lambda a: _checked(a[0] + a[1]),
    local=_ignore_need(lambda a, out: (_one(_mode(a[0], a[1])), _one(_mode(a[0], a[1])))),
    formula=lambda a: _Add(a[0], a[1]),
    rule=lambda a, out, v: (Num(1), Num(1)),
    gate="an add gate distributes the gradient: each input gets the upstream gradient unchanged"))

_define(ScalarOp(
    "sub", 2, "−",
    forward=lambda a: _checked(a[0] - a[1]),
    local=_ignore_need(lambda a, out: (_one(_mode(a[0], a[1])), -_one(_mode(a[0], a[1])))),
    formula=lambda a: Sub(a[0], a[1]),
    rule=lambda a, out, v: (Num(1), Num(-1)),
    gate="a subtract gate passes the upstream gradient to its first input and its negative to "
         "the second",
    mistakes={"sub_sign": (_ignore_need(lambda a, out: (_one(_mode(a[0], a[1])),
                                                         _one(_mode(a[0], a[1])))),
                           lambda a, out, v: (Num(1), Num(1)))}))

_define(ScalarOp(
    "mul", 2, "×",
    forward=lambda a: _checked(a[0] * a[1]),
    local=_ignore_need(lambda a, out: (_mode(a[1], a[0]), _mode(a[0], a[1]))),
    formula=lambda a: _dot(a[0], a[1]),
    rule=lambda a, out, v: (a[1], a[0]),
    gate="a multiply gate swaps its inputs: each input's local gradient is the other input",
    mistakes={"mul_not_swapped": (_ignore_need(lambda a, out: (_mode(a[0], a[1]),
                                                                _mode(a[1], a[0]))),
                                  lambda a, out, v: (a[0], a[1]))}))

_define(ScalarOp(
    "div", 2, "÷",
    forward=lambda a: _div(a[0], a[1]),
    local=_ignore_need(lambda a, out: (_div(_one(_mode(a[1], a[0])), a[1]),
                                       -_div(a[0], _mode(a[1] * a[1], a[0])))),
    formula=lambda a: Frac(a[0], a[1]),
    rule=lambda a, out, v: (Frac(Num(1), a[1]), Neg(Frac(a[0], Pow(a[1], Num(2))))),
    mistakes={"div_sign": (_ignore_need(lambda a, out: (_div(_one(_mode(a[1], a[0])), a[1]),
                                                         _div(a[0], _mode(a[1] * a[1], a[0])))),
                           lambda a, out, v: (Frac(Num(1), a[1]),
                                              Frac(a[0], Pow(a[1], Num(2))))),}))

_define(ScalarOp(
    "neg", 1, "−",
    forward=lambda a: -a[0],
    local=_ignore_need(lambda a, out: (-_one(a[0]),)),
    formula=lambda a: Neg(a[0]),
    rule=lambda a, out, v: (Num(-1),),
    gate="a negation passes the upstream gradient on with its sign flipped"))

_define(ScalarOp(
    "pow", 2, "^",
    forward=lambda a: power_value(a[0], a[1]),
    local=_pow_local,
    formula=lambda a: Pow(a[0], a[1]),
    rule=_pow_rule))

_define(ScalarOp(
    "exp", 1, "exp",
    forward=lambda a: exp_value(a[0]),
    local=_ignore_need(lambda a, out: (out,)),
    formula=lambda a: Call("exp", (a[0],)),
    rule=lambda a, out, v: (Call("exp", (a[0],)),)))

_define(ScalarOp(
    "log", 1, "log",
    forward=lambda a: log_value(a[0]),
    local=_log_local,
    formula=lambda a: Call("log", (a[0],)),
    rule=lambda a, out, v: (Frac(Num(1), a[0]),)))

_define(ScalarOp(
    "sqrt", 1, "√",
    forward=_sqrt_forward,
    local=_sqrt_local,
    formula=lambda a: Call("sqrt", (a[0],)),
    rule=lambda a, out, v: (Frac(Num(1), _juxt(Num(2), Call("sqrt", (a[0],)))),)))

_define(ScalarOp(
    "abs", 1, "|·|",
    forward=lambda a: abs(a[0]),
    local=_ignore_need(lambda a, out: (sign_value(a[0]),)),
    formula=lambda a: Abs(a[0]),
    rule=lambda a, out, v: (Call("sign", (a[0],)),),
    kinks=(0,)))

_define(ScalarOp(
    "max", 2, "max",
    forward=lambda a: _mode(a[0] if a[0] >= a[1] else a[1], a[0], a[1]),
    local=_max_local,
    formula=lambda a: Call("max", (a[0], a[1])),
    rule=_route_rule(True),
    gate="a max gate routes the gradient: the larger input gets all of it (the first at a "
         "tie), the other 0"))

_define(ScalarOp(
    "min", 2, "min",
    forward=lambda a: _mode(a[0] if a[0] <= a[1] else a[1], a[0], a[1]),
    local=_min_local,
    formula=lambda a: Call("min", (a[0], a[1])),
    rule=_route_rule(False),
    gate="a min gate routes the gradient: the smaller input gets all of it (the first at a "
         "tie), the other 0"))


def _Add(a, b):
    from ..expr import Add
    return Add((a, b))


# --- the activations of nnsolve/ops/activations.py, on one number ---------------------------

def _activation(name: str) -> ScalarOp:
    """The activation that backprop uses, applied to a one-element array."""
    import numpy as np
    from ..kinds.common import activation_named
    from .activations import activation_math
    act = activation_math(activation_named(name))

    def array(x):
        a = np.empty(1, dtype=object if _exact(x) else np.float64)
        a[0] = x
        return a

    def number(a):
        v = a.ravel()[0]
        return v if isinstance(v, Fraction) else _float(v)

    # the activation's f and f′ (``forward``/``derivative`` in the registry's first form)
    f = getattr(act, "f", None) or act.forward
    fprime = getattr(act, "fprime", None) or act.derivative

    def forward(args):
        return number(f(array(args[0])))

    def local(args, out, need=None):
        return (number(fprime(array(args[0]), array(out))),)

    def rule(args, out, values):
        return (act.rule(args[0], out),)

    gate, mistakes = None, {}
    if name == "relu":
        gate = ("a ReLU gate passes the upstream gradient where its input is positive and "
                "blocks it (0) elsewhere, ReLU′(0) = 0")
    elif name == "relu6":
        gate = ("a ReLU6 gate passes the upstream gradient where its input is between 0 and 6 "
                "and blocks it (0) elsewhere, ReLU6′(0) = ReLU6′(6) = 0")
    if "relu_gate_ignored" in getattr(act, "mistakes", {}):
        mistakes = {"relu_gate_ignored": (lambda args, out, need=None: (_one(args[0]),),
                                          lambda args, out, values: (Num(1),))}
    return ScalarOp(name, 1, act.name, forward, local,
                    lambda a: Call(act.name, (a[0],)), rule, gate, mistakes, tuple(act.kinks))


def graph_activations() -> tuple:
    """The registry's activations a graph may call, as registered now: one number in, one out,
    no settings (not softmax over a layer, not the identity, not leaky ReLU's slope)."""
    from .registry import activations
    return tuple(k for k, c in activations().items()
                 if not c.output_only and not c.identity and not c.options)


class _Ops(Mapping):
    """Every ScalarOp by name: the ones defined above, then the registry's graph activations,
    read when asked for (an activation registered after this module was imported is one too);
    each is built once for the class registered under its name."""

    def __init__(self, fixed: dict):
        self._fixed = fixed
        self._built: dict = {}          # activation name -> (its class, its ScalarOp)

    def __getitem__(self, name: str) -> ScalarOp:
        if name in self._fixed:
            return self._fixed[name]
        if name not in graph_activations():
            raise KeyError(name)
        from .registry import activation_class
        cls = activation_class(name)
        built = self._built.get(name)
        if built is None or built[0] is not cls:
            built = self._built[name] = (cls, _activation(name))
        return built[1]

    def __iter__(self):
        yield from self._fixed
        yield from (a for a in graph_activations() if a not in self._fixed)

    def __len__(self) -> int:
        return sum(1 for _ in self)


class _Functions(Mapping):
    """The names an expression may call, with their arity, in the order messages list them; the
    activations are the registry's at the time of asking."""

    def _table(self) -> dict:
        return {"exp": 1, "log": 1, "sqrt": 1, **{a: 1 for a in graph_activations()}, "abs": 1,
                "max": 2, "min": 2}

    def __getitem__(self, name: str) -> int:
        return self._table()[name]

    def __contains__(self, name) -> bool:
        return name in self._table()

    def __iter__(self):
        return iter(self._table())

    def __len__(self) -> int:
        return len(self._table())


OPS: Mapping = _Ops(_OPS)

# the names an expression may call, and the operators it may use
FUNCTIONS: Mapping = _Functions()
BINARY = {"+": "add", "-": "sub", "*": "mul", "/": "div", "**": "pow"}
UNARY = {"-": "neg"}
