"""The update rule of a gradient step, θ ← θ − η·∂J/∂θ, and the mistakes made in it.

Plain gradient descent; the optimizers of 0.2 (momentum, Adam, ...) are rules of the same shape:
``step(θ, g)`` gives the new θ."""

from __future__ import annotations

from fractions import Fraction

# the learning-rate mistakes: the η actually used, as a multiple of the right one
ETA_MISTAKES = {"eta_x10": Fraction(10), "eta_div10": Fraction(1, 10),
                "update_added": Fraction(-1)}


def lr_factor(mistakes=()) -> Fraction:
    """The multiple of η that the named mistakes apply (1 for none)."""
    f = Fraction(1)
    for m in mistakes:
        f *= ETA_MISTAKES.get(m, 1)
    return f


class GradientDescent:
    """θ ← θ − η·g."""

    def __init__(self, lr):
        self.lr = lr

    def step(self, theta, g):
        return theta - self.lr * g

    @staticmethod
    def formula(theta, eta, g):
        """θ − η·g written from its leaves (symbols or numbers), for every kind that shows it."""
        from ..expr import Sub, mul
        return Sub(theta, mul(eta, g))
