"""A pooling layer of a network: ``ops.pool.Pool``'s forward and backward (the one definition of
max and average pooling) as an operation of the engine, on batches of C×H×W maps."""

from __future__ import annotations

from dataclasses import dataclass, replace

from .engine import Op


@dataclass(frozen=True)
class Pooling(Op):
    """Max or average pooling: y = pool(x); max routes ∂J/∂y to each window's first maximum,
    avg spreads it equally over the window's input cells."""

    pool: object            # ops.pool.Pool

    kind = "pool"

    def forward(self, x, p):
        return self.pool.forward(x), None

    def backward(self, g, x, y, cache, p):
        return self.pool.backward(x, g), {}

    mistakes = {
        "padding_forgotten": lambda op: replace(op, pool=replace(op.pool, padding=((0, 0), (0, 0))))
        if op.pool.padding != ((0, 0), (0, 0)) else None,
    }
