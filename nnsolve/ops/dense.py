"""A fully connected layer: a = x Wᵀ + b for rows of samples, and its backward rule beside it."""

from __future__ import annotations

from .engine import Op


class Dense(Op):
    """a = W h + b per sample (rows: a = H Wᵀ + b); W is units × inputs, b optional."""

    kind = "dense"
    params = ("W", "b")

    def forward(self, x, p):
        a = x @ p["W"].T
        if p.get("b") is not None:
            a = a + p["b"]
        return a, None

    def backward(self, g, x, y, cache, p):
        # ∂J/∂W = Σₛ ∂J/∂aₛ hₛᵀ, ∂J/∂b = Σₛ ∂J/∂aₛ, ∂J/∂h = Wᵀ ∂J/∂a (rows: G W)
        grads = {"W": g.T @ x, "b": g.sum(axis=0) if p.get("b") is not None else None}
        return g @ p["W"], grads


class Flatten(Op):
    """C×H×W → a vector in C, H, W order (PyTorch's flatten); the gradient is reshaped back."""

    kind = "flatten"

    def forward(self, x, p):
        return x.reshape(x.shape[0], -1), None

    def backward(self, g, x, y, cache, p):
        return g.reshape(x.shape), {}

    def output_shape(self, shape):
        n = 1
        for s in shape:
            n *= s
        return (n,)
