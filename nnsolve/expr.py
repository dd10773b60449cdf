"""Formulas as data: symbols, numbers and operations, printed by each renderer in its own notation.

``Deriv(Sym("J"), Sym("w", sup=3, sub=(1, 2)))`` is ∂J/∂w⁽³⁾₁,₂ on a terminal and
``\\frac{\\partial J}{\\partial w^{(3)}_{1,2}}`` in LaTeX. Numbers stay numbers (``Num``) until a
renderer formats them with ``format_number``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


class Expr:
    """A formula node."""

    def __mul__(self, other: "Expr") -> "Mul":
        return Mul((self, other))


@dataclass(frozen=True, eq=False)
class Sym(Expr):
    """A symbol: ``name`` with an optional layer superscript ``(sup)`` and index subscript.

    ``name`` is a plain letter (``w``, ``J``) or a Greek name (``eta``, ``alpha``, ``sigma``,
    ``delta``); ``hat`` puts a hat on it (ŷ); ``sup`` is shown in parentheses, as a layer number;
    ``power`` is a plain superscript (for ‖w‖ₚᵖ).
    """

    name: str
    sup: Any = None
    sub: Any = None
    hat: bool = False
    bold: bool = False
    power: Any = None


@dataclass(frozen=True, eq=False)
class Num(Expr):
    """A number (Fraction, int or float), formatted by the renderer."""

    value: Any


@dataclass(frozen=True, eq=False)
class Mat(Expr):
    """A matrix (2-D) or column vector (1-D) of numbers."""

    values: Any   # numpy array (object of Fractions, or float64)


@dataclass(frozen=True, eq=False)
class Text(Expr):
    """Upright words inside a formula (``if``, ``else``, ``otherwise``)."""

    text: str


@dataclass(frozen=True, eq=False)
class Mul(Expr):
    """A product; ``op`` is ``dot`` (a · b), ``times`` (a × b), ``hadamard`` (a ⊙ b) or ``juxt`` (ab)."""

    factors: tuple
    op: str = "dot"


@dataclass(frozen=True, eq=False)
class Add(Expr):
    """A sum of terms; a term that is a negative number is shown in parentheses."""

    terms: tuple


@dataclass(frozen=True, eq=False)
class Sub(Expr):
    """a − b."""

    left: Expr
    right: Expr


@dataclass(frozen=True, eq=False)
class Neg(Expr):
    """−a."""

    arg: Expr


@dataclass(frozen=True, eq=False)
class Frac(Expr):
    """A fraction a / b."""

    num: Expr
    den: Expr


@dataclass(frozen=True, eq=False)
class Deriv(Expr):
    """∂f/∂x (``f`` None for the operator ∂/∂x applied to what follows)."""

    f: Expr | None
    x: Expr


@dataclass(frozen=True, eq=False)
class Pow(Expr):
    """base^exp."""

    base: Expr
    exp: Expr


@dataclass(frozen=True, eq=False)
class Call(Expr):
    """A named function applied to arguments: ReLU(a), σ(a), tanh(a), exp(a), log(a), sign(w).

    ``prime`` marks the derivative (ReLU′(a))."""

    name: str
    args: tuple
    prime: bool = False


@dataclass(frozen=True, eq=False)
class Abs(Expr):
    """|a|."""

    arg: Expr


@dataclass(frozen=True, eq=False)
class Norm(Expr):
    """‖a‖ with optional subscript p and power."""

    arg: Expr
    sub: Any = None
    power: Any = None


@dataclass(frozen=True, eq=False)
class Paren(Expr):
    """(a)."""

    arg: Expr


@dataclass(frozen=True, eq=False)
class Sum(Expr):
    """Σ over ``index`` (optionally ``index``=lower..upper) of body."""

    body: Expr
    index: Any = None
    lower: Any = None
    upper: Any = None


@dataclass(frozen=True, eq=False)
class Cases(Expr):
    """A piecewise definition: rows of (value, condition)."""

    rows: tuple


@dataclass(frozen=True, eq=False)
class Rel(Expr):
    """left op right inside a formula, e.g. a > 0 in a condition."""

    left: Expr
    op: str
    right: Expr


@dataclass(frozen=True, eq=False)
class Seq(Expr):
    """Items written one after the other with a separator (``, `` by default)."""

    items: tuple
    sep: str = ", "


def num(x) -> Num:
    """A number node."""
    return Num(x)


def mul(*factors, op: str = "dot") -> Mul:
    """A product of several factors."""
    return Mul(tuple(factors), op)


def add(*terms) -> Add:
    """A sum of several terms."""
    return Add(tuple(terms))


def call(name: str, *args, prime: bool = False) -> Call:
    """A function applied to its arguments."""
    return Call(name, tuple(args), prime)
