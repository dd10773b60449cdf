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
        # the backward rule swapped: ∂J/∂y given whole to every cell of the window (a max pool's
        # not routed to its maximum alone; an avg pool's not divided by the count), or a max
        # pool's spread equally over the window as an average's
        "max_pool_to_every_cell": lambda op: _backward_rule(op, "max", "gradient_copied"),
        "max_pool_spread": lambda op: _backward_rule(op, "max", "gradient_spread"),
        "avg_pool_not_divided": lambda op: _backward_rule(op, "avg", "gradient_copied"),
    }


def _backward_rule(op, type_: str, mistake: str):
    """The pooling with a student's backward rule, for a pool of ``type_`` (else None)."""
    return replace(op, pool=replace(op.pool, mistake=mistake)) if op.pool.type == type_ else None
