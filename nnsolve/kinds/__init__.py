"""The kinds of problem: for each, where its spec parser and its solver live (imported lazily)."""

from __future__ import annotations

from importlib import import_module

# kind -> (spec module with parse(doc), solver module with solve(problem, options))
KINDS = {
    "backprop": ("nnsolve.kinds.backprop.spec", "nnsolve.kinds.backprop.solve"),
    "conv": ("nnsolve.kinds.conv.spec", "nnsolve.kinds.conv.solve"),
    "shape": ("nnsolve.kinds.shape.spec", "nnsolve.kinds.shape.solve"),
    "regularize": ("nnsolve.kinds.regularize.spec", "nnsolve.kinds.regularize.solve"),
    "graph": ("nnsolve.kinds.graph.spec", "nnsolve.kinds.graph.solve"),
}

# Questions asked of another kind's spec, solved by their own solver module; no problem file
# declares them (`nnsolve backprop --cost` solves a backprop spec with kind "backprop_cost").
QUESTIONS = {
    "backprop_cost": "nnsolve.kinds.backprop.cost",
    "graph_cost": "nnsolve.kinds.graph.cost",
}


def spec_module(kind: str):
    """The module that parses problems of a kind."""
    return import_module(KINDS[kind][0])


def solver_module(kind: str):
    """The module that solves problems of a kind (or a question)."""
    return import_module(KINDS[kind][1] if kind in KINDS else QUESTIONS[kind])
