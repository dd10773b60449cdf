"""Activation functions, each with its derivative beside it (micrograd-style)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

import numpy as np

from ..expr import Cases, Num, Rel, Seq, Sub, Text, mul
from ..kinds.common import Activation
from ..arrays import as_float, exact, like


@dataclass(frozen=True)
class ActivationMath:
    """f(a) and f'(a), and how to write them."""

    name: str                           # shown name: ReLU, σ, tanh, ...
    forward: Callable                   # a -> h
    derivative: Callable | None         # (a, h) -> f'(a), element-wise (None: softmax)
    rule: Callable | None = None        # (a_sym, h_sym) -> Expr defining f'(a)


def _relu(act):
    def forward(a):
        return np.where(a > 0, a, like(a, np.zeros(a.shape, dtype=int)))

    def derivative(a, h):
        return like(a, a > 0)

    def rule(a, h):
        return Cases(((Num(1), Seq((Text("if"), Rel(a, ">", Num(0))), sep=" ")), (Num(0), Text("otherwise"))))
    return ActivationMath("ReLU", forward, derivative, rule)


def _leaky(act):
    alpha = act.alpha

    def forward(a):
        al = alpha if exact(a) else float(alpha)
        return np.where(a > 0, a, a * al)

    def derivative(a, h):
        al = alpha if exact(a) else float(alpha)
        one = like(a, np.ones(a.shape, dtype=int))
        return np.where(a > 0, one, one * al)

    def rule(a, h):
        return Cases(((Num(1), Seq((Text("if"), Rel(a, ">", Num(0))), sep=" ")), (Num(alpha), Text("otherwise"))))
    return ActivationMath("LeakyReLU", forward, derivative, rule)


def _linear(act):
    return ActivationMath("id", lambda a: a.copy(), lambda a, h: like(a, np.ones(a.shape, int)),
                          lambda a, h: Num(1))


def _sigmoid(act):
    def forward(a):
        x = as_float(a)
        return np.where(x >= 0, 1 / (1 + np.exp(-np.abs(x))),
                        np.exp(-np.abs(x)) / (1 + np.exp(-np.abs(x))))

    def derivative(a, h):
        h = as_float(h)
        return h * (1 - h)
    return ActivationMath("σ", forward, derivative,
                          lambda a, h: mul(h, Sub(Num(1), h)))


def _tanh(act):
    def derivative(a, h):
        h = as_float(h)
        return 1 - h * h

    from ..expr import Pow
    return ActivationMath("tanh", lambda a: np.tanh(as_float(a)), derivative,
                          lambda a, h: Sub(Num(1), Pow(h, Num(2))))


def _softmax(act):
    def forward(a):
        x = as_float(a)
        e = np.exp(x - x.max(axis=-1, keepdims=True))
        return e / e.sum(axis=-1, keepdims=True)
    # no element-wise derivative: backprop applies softmax's whole Jacobian
    return ActivationMath("softmax", forward, None, None)


_BUILDERS = {"relu": _relu, "leaky_relu": _leaky, "linear": _linear, "sigmoid": _sigmoid,
             "tanh": _tanh, "softmax": _softmax}


def activation_math(act: Activation) -> ActivationMath:
    """The maths of an activation named in a problem."""
    return _BUILDERS[act.name](act)
