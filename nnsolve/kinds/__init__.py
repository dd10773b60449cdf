"""The one table of kinds: each kind is a package nnsolve/kinds/<kind>/ (imported lazily).

A kind's package holds ``spec.py`` (``parse(doc)`` → the problem), ``solve.py`` (``solve(problem,
options)`` → a Solution), ``mistakes.py`` (``variants``, ``rank``, ``stage`` for ``check``) and,
where exercises can be made, ``generate.py`` (for ``nnsolve new``).
"""

from __future__ import annotations

from importlib import import_module

KINDS = ["backprop", "conv", "shape", "regularize", "pool", "graph"]

# kinds whose solver checks its gradients against central finite differences (--verify)
VERIFIES = ("backprop", "graph")

# Questions asked of another kind's spec, solved by their own solver module; no problem file
# declares them (`nnsolve backprop --cost` solves a backprop spec with kind "backprop_cost").
QUESTIONS = {
    "backprop_cost": "nnsolve.kinds.backprop.cost",
    "graph_cost": "nnsolve.kinds.graph.cost",
}


def _module(kind: str, part: str):
    return import_module(f"nnsolve.kinds.{kind}.{part}")


def spec_module(kind: str):
    """The module that parses problems of a kind."""
    return _module(kind, "spec")


def solver_module(kind: str):
    """The module that solves problems of a kind (or a question)."""
    return import_module(QUESTIONS[kind]) if kind in QUESTIONS else _module(kind, "solve")


def mistakes_module(kind: str):
    """The module that names a kind's likely mistakes for ``check``."""
    return _module(kind, "mistakes")


def generator_module(kind: str):
    """The module that makes new exercises of a kind (``nnsolve new``)."""
    return _module(kind, "generate")
