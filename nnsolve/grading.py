"""What every kind's mistakes and `check` share: tolerance, the tree of claimable values, variants.

A kind's ``mistakes.py`` (nnsolve/kinds/<kind>/mistakes.py) re-solves its problem with a known
mistake and returns ``Variant``s; it names its mistakes with ``define``; ``check`` compares a
claimed value with the right one and with each variant's.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from .errors import NnsolveError

# JSON keys that are not answers: bookkeeping
NOT_ANSWERS = {"kind", "format_version", "compare_dense"}
# lists of records keyed by their 0-based index (conv's and pool's windows), not 1-based
ZERO_BASED = {"windows"}
MISSING = object()


@dataclass(frozen=True)
class Tolerance:
    """A claimed value c is right when |c − r| ≤ abs or |c − r| ≤ rel·|r|."""

    abs: Fraction = Fraction(1, 1000)
    rel: Fraction = Fraction(1, 1000)


DEFAULT_TOLERANCE = Tolerance()


@dataclass(frozen=True)
class Mistake:
    """A known mistake: its name in JSON and what it is, in words."""

    name: str
    short: str      # for tables
    text: str


MISTAKES: dict = {}   # name -> Mistake, filled by ``define`` (here and in each kind's mistakes.py)


def define(name: str, short: str, text: str) -> None:
    """Name a known mistake: its key in JSON, its words in tables and in sentences."""
    MISTAKES[name] = Mistake(name, short, text)


def describe(name: str) -> Mistake:
    """A mistake by its name (loading every kind's mistakes, where it may be defined)."""
    if name not in MISTAKES:
        from .kinds import KINDS, mistakes_module
        for kind in KINDS:
            mistakes_module(kind)
    return MISTAKES[name]


for _m in [
    Mistake("eta_x10", "η ×10", "η applied ten times too large"),
    Mistake("eta_div10", "η ÷10", "η applied ten times too small"),
    Mistake("update_added", "step added", "the step added instead of subtracted "
                                          "(w + η·∂J/∂w)"),
    Mistake("loss_factor_2", "factor 2 dropped", "the factor 2 of the squared loss dropped "
                                                 "(∂J/∂ŷ = −(y − ŷ))"),
    Mistake("relu_gate_ignored", "ReLU gate ignored", "the ReLU gate ignored (f′(a) = 1 also "
                                                      "where a ≤ 0)"),
    Mistake("gradient_sign", "sign flipped", "the sign of the gradient flipped"),
    Mistake("kernel_flipped", "kernel flipped", "the kernel flipped (a convolution computed; "
                                                "the problem asks for a cross-correlation)"),
    Mistake("kernel_not_flipped", "kernel not flipped", "the kernel not flipped (a "
            "cross-correlation computed; the problem asks for a convolution)"),
    Mistake("padding_forgotten", "padding forgotten", "the padding forgotten"),
    Mistake("ceil_instead_of_floor", "ceil for floor", "⌈…⌉ instead of ⌊…⌋ in the output "
                                                       "size"),
    Mistake("floor_instead_of_ceil", "floor for ceil", "⌊…⌋ instead of ⌈…⌉ in the output size "
                                                       "(ceil mode)"),
    Mistake("bias_not_counted", "biases not counted", "the biases not counted as parameters"),
    Mistake("pnorm_sign_lost", "|w| lost", "the absolute value of the p-norm lost: α·p·wᵢ^(p−1) "
            "(the derivative of α·Σᵢ wᵢᵖ) instead of α·p·|wᵢ|^(p−1)·sign(wᵢ)"),
    Mistake("pnorm_factor_p", "factor p dropped", "the factor p of the derivative dropped"),
]:
    define(_m.name, _m.short, _m.text)

# the learning-rate mistakes: the η actually used, as a multiple of the right one
from .ops.update import ETA_MISTAKES as _ETA     # the update rule's swaps (one definition)
ETA_MISTAKES = tuple(_ETA.items())


def field_name(path: tuple) -> str:
    """A claim's path as the answers file writes it: ``layers.3.dJ_dW``."""
    return ".".join(str(p) for p in path)


class Indexed(dict):
    """A list of records in a tree, keyed by its 0-based index (``windows``)."""


def to_tree(x):
    """A solution's data as a tree: dicts; lists of dicts keyed 1..n (``windows`` 0..n−1);
    numbers as arrays."""
    if isinstance(x, dict):
        return {k: Indexed((i, to_tree(v)) for i, v in enumerate(x[k])) if k in ZERO_BASED
                else to_tree(v) for k, v in x.items() if k not in NOT_ANSWERS}
    if isinstance(x, (list, tuple)) and x and all(isinstance(i, dict) for i in x):
        return {i + 1: to_tree(v) for i, v in enumerate(x)}
    if x is None or isinstance(x, (str, bool)):
        return x
    a = np.asarray(x if not isinstance(x, (list, tuple)) else list(x), dtype=object)
    return a


def right_tree(solution) -> dict:
    """The values an answers file may claim: the JSON as a tree; backprop's first step at the
    top, and with several steps every step under ``steps`` keyed 1..n (as graph's)."""
    data = solution.data
    if data.get("kind") == "backprop":
        tree = to_tree(data["steps"][0])
        if len(data["steps"]) > 1:
            tree["steps"] = {k: to_tree(s) for k, s in enumerate(data["steps"], start=1)}
        return tree
    return to_tree(data)


def close(c, r, tol: Tolerance) -> bool:
    if isinstance(c, float) or isinstance(r, float):
        c, r = float(c), float(r)
        d = abs(c - r)
        return d <= float(tol.abs) or d <= float(tol.rel) * abs(r)
    d = abs(Fraction(c) - Fraction(r))
    return d <= tol.abs or d <= tol.rel * abs(Fraction(r))


def fit(claimed, right):
    """The claimed array in the right one's shape (a 2×1 matrix may be written [1, -1]), or None."""
    c = np.asarray(claimed, dtype=object)
    r = np.asarray(right, dtype=object)
    if c.shape == r.shape:
        return c
    if c.size == r.size and tuple(d for d in c.shape if d != 1) == \
            tuple(d for d in r.shape if d != 1):
        return c.reshape(r.shape)
    return None


def agrees(claimed, right, tol: Tolerance) -> bool:
    """True when a claimed value (number, array, name or None) is the right one within tol."""
    if right is None or claimed is None:
        return right is None and claimed is None
    if isinstance(right, str) or isinstance(claimed, str):
        return claimed == right
    c = fit(claimed, right)
    if c is None:
        return False
    r = np.asarray(right, dtype=object)
    return all(close(a, b, tol) for a, b in zip(c.ravel().tolist(), r.ravel().tolist()))


def get_path(tree, path: tuple):
    """The value at a path of keys, or MISSING."""
    for key in path:
        if not isinstance(tree, dict) or key not in tree:
            return MISSING
        tree = tree[key]
    return tree


@dataclass
class Variant:
    """The values a mistake (or two together) gives, as a partial tree like the right one."""

    mistakes: tuple
    tree: dict


def set_path(tree: dict, path: tuple, value) -> None:
    for key in path[:-1]:
        tree = tree.setdefault(key, {})
    tree[path[-1]] = value


def solved_tree(problem) -> dict | None:
    """The JSON tree of a (modified) problem, or None when the mistake makes it unsolvable."""
    from .solve import SolveOptions, solve
    try:
        return right_tree(solve(problem, SolveOptions(detail="summary")))
    except (NnsolveError, ArithmeticError):    # ArithmeticError: also FloatingPointError
        return None     # a mistake that makes the problem unsolvable explains no value


def rank_by_order(order: list, path: tuple):
    """A sort key for a field: its top-level key's place in ``order``, then the keys below it."""
    head = path[0]
    first = order.index(head) if head in order else len(order)
    inner = ["output_shape", "output", "parameters"]
    rest = tuple((0, x) if isinstance(x, int) else (1, inner.index(x) if x in inner else 9)
                 for x in path[1:])
    return (first,) + rest
