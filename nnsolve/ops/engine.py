"""The graph of tensor operations that every network is built from (micrograd's idea, on arrays).

An ``Op`` holds, side by side, its forward rule and its local backward rule on whole batch-first
arrays (exact object arrays of Fractions and float64 alike), its parameters by name, and the
mistakes a student typically makes in it, each as the op with one rule swapped
(``op.swapped("relu_gate_ignored")``). A network is a chain of ``Node``s, one op applied each;
``forward`` fills every node's input and output, ``backward`` every node's upstream gradient
``g`` (∂J/∂output), ``gx`` (∂J/∂input) and ``grads`` (∂J/∂parameter), from a gradient given at
any node (the loss's, or at an activation's input for softmax + cross-entropy).

The explanation walks the same nodes: each op module writes its own formulas (see
``nnsolve/kinds/backprop/explain.py``), and the JSON is the named values of the nodes.

    nodes = [Node(Dense(), {"W": W, "b": b}), Node(activation_op(relu)), ...]
    forward(nodes, X)
    backward(nodes, dJ_dyhat)
    nodes[0].grads["W"], nodes[0].gx
"""

from __future__ import annotations


class Op:
    """One operation of a network: forward beside its local backward rule, on whole arrays.

    ``forward(x, p)`` returns (y, cache); ``backward(g, x, y, cache, p)`` returns
    (∂J/∂x, {parameter name: ∂J/∂parameter}) from g = ∂J/∂y. ``mistakes`` maps a mistake's
    name to a function of the op giving the op with that rule swapped."""

    kind = "op"                # the registry's name of the operation
    params: tuple = ()         # names of its parameters in p
    mistakes: dict = {}

    def forward(self, x, p):
        raise NotImplementedError

    def backward(self, g, x, y, cache, p):
        raise NotImplementedError

    def swapped(self, mistake: str) -> "Op":
        """This op with the rule that ``mistake`` gets wrong swapped in."""
        return self.mistakes[mistake](self)

    def output_shape(self, shape: tuple) -> tuple:
        """The shape of one sample's output from one sample's input shape (no batch axis)."""
        return shape


class Node:
    """One op applied in a network: its parameters and, once run, its values and gradients."""

    __slots__ = ("op", "p", "x", "y", "cache", "g", "gx", "grads")

    def __init__(self, op: Op, p: dict | None = None):
        self.op = op
        self.p = p or {}
        self.x = self.y = self.cache = None
        self.g = self.gx = None
        self.grads: dict = {}


def forward(nodes, X):
    """Run the chain on X (batch first); every node keeps its input and output. Returns ŷ."""
    H = X
    for n in nodes:
        n.x = H
        n.y, n.cache = n.op.forward(H, n.p)
        H = n.y
    return H


def backward(nodes, G, start: int | None = None, upstream=None):
    """Pass ∂J/∂(output of node ``start``) = G down to the input; returns ∂J/∂X.

    ``start`` defaults to the last node. Nodes above ``start`` (an output activation whose
    gradient the loss skips: softmax + cross-entropy) get ``upstream`` as their g, if given."""
    if start is None:
        start = len(nodes) - 1
    for n in nodes[start + 1:]:
        n.g, n.gx, n.grads = upstream, G, {}
    for n in reversed(nodes[:start + 1]):
        n.g = G
        G, n.grads = n.op.backward(G, n.x, n.y, n.cache, n.p)
        n.gx = G
    return G
