"""Activation functions as operations: each one class with h = f(a) and f'(a) side by side
(micrograd-style), how f'(a) is written, and the mistake a student makes in it.

A new activation is one class here with ``@activation`` above it: every command that takes an
activation (``backprop`` layers, ``conv --activation``, ``shape`` stacks, ``check``, ``new``)
reads the names from the registry.
"""

from __future__ import annotations

import copy
from fractions import Fraction

import numpy as np

from ..arrays import as_float, exact, like
from ..expr import Call, Cases, Num, Paren, Pow, Rel, Seq, Sub, Text, mul
from .engine import Op
from .registry import activation


class Activation(Op):
    """An element-wise activation h = f(a): ``f`` beside ``fprime``, and how f′ is written.

    Subclasses set ``key`` (the name in problems), ``symbol`` (the name in formulas), and
    define ``f(a)``, ``fprime(a, h)`` and ``rule(a, h)`` (f′(a) written with the symbols a and
    h = f(a)); ``options`` are their settings with defaults (leaky ReLU's slope)."""

    kind = "activation"
    key = ""
    symbol = ""
    aliases: tuple = ()
    options: dict = {}
    output_only = False         # softmax: the output layer of a network only
    identity = False            # linear: h = a, nothing to show
    gated = False               # ReLU-like: f′(a) written as f′ at the number (ReLU′(3))
    rational = False            # exact on exact inputs (so `new` can make clean numbers)
    kinks: tuple = ()           # where f has a corner (f′ there is a convention, not a limit)

    def __init__(self, **options):
        for name, default in self.options.items():
            setattr(self, name, options.get(name, default))

    @property
    def name(self) -> str:
        """The name in formulas: ReLU, σ, tanh."""
        return self.symbol

    def f(self, a):
        raise NotImplementedError

    def fprime(self, a, h):
        raise NotImplementedError

    def rule(self, a, h):
        """f′(a) as a formula of the symbols (or numbers) a and h."""
        raise NotImplementedError

    def shown(self, a, h):
        """f′ at one unit, between ∂J/∂h · f′(a) and the number: ReLU′(3), or (1 − 0.5²)."""
        if self.gated:
            return Call(self.symbol, (a,), prime=True)
        return Paren(self.rule(a, h))

    # --- the op's two rules on whole arrays ------------------------------------------------
    def forward(self, x, p):
        h = self.f(x)
        return h, self.fprime(x, h)

    def backward(self, g, x, y, cache, p):
        return g * cache, {}

    def with_fprime(self, fprime):
        """This activation with another derivative rule (a student's mistake)."""
        op = copy.copy(self)
        op.fprime = fprime
        return op


def _ones(a):
    return like(a, np.ones(a.shape, dtype=int))


def _gate_ignored(op):
    """The ReLU gate ignored: f′(a) = 1 also where a ≤ 0."""
    return op.with_fprime(lambda a, h: _ones(a))


def _positive(a):
    return Seq((Text("if"), Rel(a, ">", Num(0))), sep=" ")


@activation
class Linear(Activation):
    """h = a."""

    key, symbol, aliases, identity, rational = "linear", "id", ("identity", "none"), True, True

    def f(self, a):
        return a.copy()

    def fprime(self, a, h):
        return _ones(a)

    def rule(self, a, h):
        return Num(1)

    def forward(self, x, p):        # the identity: ∂J/∂a = ∂J/∂h without a product
        return x.copy(), None

    def backward(self, g, x, y, cache, p):
        return g, {}


@activation
class ReLU(Activation):
    """h = max(0, a); f′(0) = 0 (the seed: "1 iff a > 0, 0 else")."""

    key, symbol, gated, rational, kinks = "relu", "ReLU", True, True, (0,)
    mistakes = {"relu_gate_ignored": _gate_ignored}

    def f(self, a):
        return np.where(a > 0, a, like(a, np.zeros(a.shape, dtype=int)))

    def fprime(self, a, h):
        return like(a, a > 0)

    def rule(self, a, h):
        return Cases(((Num(1), _positive(a)), (Num(0), Text("otherwise"))))


@activation
class LeakyReLU(Activation):
    """h = a for a > 0, αa otherwise; f′(0) = α."""

    key, symbol, gated, rational, kinks = "leaky_relu", "LeakyReLU", True, True, (0,)
    options = {"alpha": Fraction(1, 100)}
    mistakes = {"relu_gate_ignored": _gate_ignored}

    def _alpha(self, a):
        return self.alpha if exact(a) else float(self.alpha)

    def f(self, a):
        return np.where(a > 0, a, a * self._alpha(a))

    def fprime(self, a, h):
        one = _ones(a)
        return np.where(a > 0, one, one * self._alpha(a))

    def rule(self, a, h):
        return Cases(((Num(1), _positive(a)), (Num(self.alpha), Text("otherwise"))))


@activation
class ReLU6(Activation):
    """h = min(max(0, a), 6); f′(a) = 1 for 0 < a < 6 and 0 elsewhere, also at the kinks 0 and 6
    (PyTorch's ReLU6 is hardtanh(a, 0, 6), whose gradient is 0 at min_val and max_val; JAX's
    relu6 documents ∇ = 0 at 0 and at 6)."""

    key, symbol, gated, rational, kinks = "relu6", "ReLU6", True, True, (0, 6)
    mistakes = {"relu_gate_ignored": _gate_ignored}

    def f(self, a):
        zero = like(a, np.zeros(a.shape, dtype=int))
        six = like(a, np.full(a.shape, 6, dtype=int))
        return np.where(a > 0, np.where(a < 6, a, six), zero)

    def fprime(self, a, h):
        return like(a, (a > 0) & (a < 6))

    def rule(self, a, h):
        inside = Rel(Rel(Num(0), "<", a), "<", Num(6))
        return Cases(((Num(1), Seq((Text("if"), inside), sep=" ")),
                      (Num(0), Text("otherwise"))))


def _sigma(x):
    """σ(x) for float arrays: e^−|x| never overflows, and σ of a large negative x is small
    (not 1 − a number close to 1)."""
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e))


@activation
class Sigmoid(Activation):
    """σ(a) = 1/(1 + e^−a); σ′(a) = h(1 − h), computed as σ(a)σ(−a)."""

    key, symbol = "sigmoid", "σ"

    def f(self, a):
        return _sigma(as_float(a))

    def fprime(self, a, h):
        # σ(a)·σ(−a) is h(1 − h), but 1 − h loses the digits of a saturated unit (σ′(30)
        # came out 1e-3 off, relatively)
        x = as_float(a)
        return _sigma(x) * _sigma(-x)

    def rule(self, a, h):
        return mul(h, Sub(Num(1), h))


@activation
class Tanh(Activation):
    """tanh(a); tanh′(a) = 1 − h², computed as sech²(a)."""

    key, symbol = "tanh", "tanh"

    def f(self, a):
        return np.tanh(as_float(a))

    def fprime(self, a, h):
        # sech²(a) = 4e^−2|a| / (1 + e^−2|a|)² is 1 − h², which came out 0 for a = 20 (where
        # it is 1.7e-17): h rounds to 1
        e = np.exp(-2 * np.abs(as_float(a)))
        return 4 * e / (1 + e) ** 2

    def rule(self, a, h):
        return Sub(Num(1), Pow(h, Num(2)))


@activation
class Softmax(Activation):
    """hₖ = e^aₖ / Σᵢ e^aᵢ over the units; its Jacobian diag(h) − h hᵀ is not diagonal, so the
    backward rule is the whole product: ∂J/∂aₖ = hₖ(∂J/∂hₖ − Σᵢ ∂J/∂hᵢ hᵢ)."""

    key, symbol, output_only = "softmax", "softmax", True

    def f(self, a):
        x = as_float(a)
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)

    def forward(self, x, p):
        return self.f(x), None

    def backward(self, g, x, y, cache, p):
        H, G = as_float(y), as_float(g)
        return H * (G - (G * H).sum(axis=-1, keepdims=True)), {}


def activation_op(act) -> Activation:
    """The operation of an activation named in a problem (a spec ``Activation``)."""
    from .registry import activation_class
    cls = activation_class(act.name)
    opts = {"alpha": act.alpha} if act.alpha is not None and "alpha" in cls.options else {}
    return cls(**opts)


def activation_math(act) -> Activation:
    """The same as ``activation_op`` (the name 0.1's solvers import)."""
    return activation_op(act)
