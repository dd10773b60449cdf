"""Formulas as data: symbols, numbers and operations, printed by each renderer in its own notation.

``Deriv(Sym("J"), Sym("w", sup=3, sub=(1, 2)))`` is ∂J/∂w⁽³⁾₁,₂ on a terminal and
``\\frac{\\partial J}{\\partial w^{(3)}_{1,2}}`` in LaTeX. Numbers stay numbers (``Num``) until a
renderer formats them with ``format_number``.
"""

from __future__ import annotations


class Expr:
    """A formula node: its fields are named in ``_fields``, optional ones in ``_defaults``.

    Plain slotted classes rather than dataclasses: creating nineteen dataclasses took about
    10 ms at import, a noticeable part of a homework problem's run."""

    __slots__ = ()
    _fields: tuple = ()
    _defaults: dict = {}

    def __init__(self, *args, **kwargs):
        fields = self._fields
        if len(args) > len(fields):
            raise TypeError(f"{type(self).__name__} takes at most {len(fields)} arguments")
        for name, value in zip(fields, args):
            setattr(self, name, value)
        for name in fields[len(args):]:
            if name in kwargs:
                setattr(self, name, kwargs.pop(name))
            elif name in self._defaults:
                setattr(self, name, self._defaults[name])
            else:
                raise TypeError(f"{type(self).__name__} needs `{name}`")
        if kwargs:
            raise TypeError(f"{type(self).__name__} has no field {', '.join(kwargs)}")

    def __repr__(self) -> str:
        args = ", ".join(f"{n}={getattr(self, n)!r}" for n in self._fields)
        return f"{type(self).__name__}({args})"


class Sym(Expr):
    """A symbol: ``name`` with an optional layer superscript ``(sup)`` and index subscript.

    ``name`` is a plain letter (``w``, ``J``) or a Greek name (``eta``, ``alpha``, ``sigma``,
    ``delta``); ``hat`` puts a hat on it (ŷ), ``tilde`` a tilde (J̃, the regularised loss);
    ``sup`` is shown in parentheses, as a layer number; ``power`` is a plain superscript (for
    ‖w‖ₚᵖ).
    """

    __slots__ = _fields = ('name', 'sup', 'sub', 'hat', 'bold', 'power', 'tilde')
    _defaults = {'sup': None, 'sub': None, 'hat': False, 'bold': False, 'power': None,
                 'tilde': False}


class Num(Expr):
    """A number (Fraction, int or float), formatted by the renderer."""

    __slots__ = _fields = ('value',)


class Count(Num):
    """A whole count (parameters, multiply-accumulates), shown with thousands separators:
    138,357,544 (JSON keeps the plain number)."""

    __slots__ = ()


class Mat(Expr):
    """A matrix (2-D) or column vector (1-D) of numbers."""

    __slots__ = _fields = ('values',)


class Text(Expr):
    """Upright words inside a formula (``if``, ``else``, ``otherwise``)."""

    __slots__ = _fields = ('text',)


class Mul(Expr):
    """A product; ``op`` is ``dot`` (a · b), ``times`` (a × b), ``hadamard`` (a ⊙ b) or ``juxt`` (ab)."""

    __slots__ = _fields = ('factors', 'op')
    _defaults = {'op': "dot"}


class Add(Expr):
    """A sum of terms; a term that is a negative number is shown in parentheses."""

    __slots__ = _fields = ('terms',)


class Sub(Expr):
    """a − b."""

    __slots__ = _fields = ('left', 'right')


class Neg(Expr):
    """−a."""

    __slots__ = _fields = ('arg',)


class Frac(Expr):
    """A fraction a / b."""

    __slots__ = _fields = ('num', 'den')


class Deriv(Expr):
    """∂f/∂x (``f`` None for the operator ∂/∂x applied to what follows)."""

    __slots__ = _fields = ('f', 'x')


class Pow(Expr):
    """base^exp."""

    __slots__ = _fields = ('base', 'exp')


class Call(Expr):
    """A named function applied to arguments: ReLU(a), σ(a), tanh(a), exp(a), log(a), sign(w).

    ``prime`` marks the derivative (ReLU′(a))."""

    __slots__ = _fields = ('name', 'args', 'prime')
    _defaults = {'prime': False}


class Abs(Expr):
    """|a|."""

    __slots__ = _fields = ('arg',)


class Sqrt(Expr):
    """√a."""

    __slots__ = _fields = ('arg',)


class Norm(Expr):
    """‖a‖ with optional subscript p and power."""

    __slots__ = _fields = ('arg', 'sub', 'power')
    _defaults = {'sub': None, 'power': None}


class Paren(Expr):
    """(a)."""

    __slots__ = _fields = ('arg',)


class Sum(Expr):
    """Σ over ``index`` (optionally ``index``=lower..upper) of body."""

    __slots__ = _fields = ('body', 'index', 'lower', 'upper')
    _defaults = {'index': None, 'lower': None, 'upper': None}


class Cases(Expr):
    """A piecewise definition: rows of (value, condition)."""

    __slots__ = _fields = ('rows',)


class Rel(Expr):
    """left op right inside a formula, e.g. a > 0 in a condition."""

    __slots__ = _fields = ('left', 'op', 'right')


class Seq(Expr):
    """Items written one after the other with a separator (``, `` by default)."""

    __slots__ = _fields = ('items', 'sep')
    _defaults = {'sep': ", "}


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


# --- one formula, two forms -------------------------------------------------------------------
# A formula that a solution shows with its symbols and then with its numbers is written once, as
# a function ``build(at)`` whose every leaf is ``at(symbol, value)``; ``both`` builds it twice, so
# the two forms cannot disagree.

def symbols(sym, value):
    """``at`` of the symbolic form: the leaf's symbol."""
    return sym


def numbers(sym, value):
    """``at`` of the numeric form: the leaf's value (a number, or a formula of numbers already)."""
    return value if isinstance(value, Expr) else Num(value)


def both(build):
    """(symbolic, numeric) forms of one formula ``build(at)``, ``at(symbol, value)`` a leaf."""
    return build(symbols), build(numbers)
