"""Where parentheses go, for every printer: one precedence table and one rule.

As sympy's ``sympy/printing/precedence.py``: each formula node has a precedence, and a printer
writes a part inside a larger formula as ``parenthesize(part, level)``, which wraps it when
``precedence(part) < level`` (``<=`` with ``strict``). The text printer (``unicode.py``) and the
LaTeX printer (``latex_math.py``, also Markdown's) decide every parenthesis here, so they cannot
put them in different places.

A part whose printed form starts with a minus sign of its own (a negative number, −a, and in
the text's inline a/b a fraction of those) counts as a sum (``Add``) except where it comes
first (the first term of a sum, the first factor of a product, a formula of its own), as sympy
counts a negative number: ``a − (−b)``, ``2 · (−3)``, ``(−3)²``, but ``−3 · 2``. A product or a
difference that is not first passes that on to its own first part: ``a + (−6) · 1``.

Σ takes what follows it: at the end of a product it binds as a function does
(``e^(aₖ)/Σⱼ e^(aⱼ)``), with factors after it it counts as a sum (``(Σᵢ xᵢ) · c``).
"""

from __future__ import annotations

from ..expr import (Add, Call, Count, Deriv, Frac, Mul, Neg, Norm, Num, Pow, Rel, Sqrt, Sub,
                    Sum, Sym)

PRECEDENCE = {"Lambda": 1, "Xor": 10, "Or": 20, "And": 30, "Relational": 35, "Add": 40,
              "Mul": 50, "Pow": 60, "Func": 70, "Not": 100, "Atom": 1000}

ADD, MUL, POW, FUNC, ATOM = (PRECEDENCE[k] for k in ("Add", "Mul", "Pow", "Func", "Atom"))

_BY_CLASS = {Add: ADD, Sub: ADD, Mul: MUL, Frac: MUL, Deriv: MUL,
             Pow: POW, Sqrt: POW, Call: FUNC, Rel: PRECEDENCE["Relational"]}


def _default_text(x) -> str:
    from ..numbers import format_number
    return format_number(x).text


def signed(e, number_text=_default_text, inline_fractions: bool = True) -> bool:
    """True when the printed part starts with a minus sign of its own: a negative number, −a,
    or (where fractions are written inline, a/b) a fraction whose numerator is one of those."""
    if isinstance(e, Num):
        return not isinstance(e, Count) and _text(e, number_text).startswith("-")
    if isinstance(e, Neg):
        return True
    if inline_fractions and isinstance(e, Frac):
        return signed(e.num, number_text, inline_fractions)
    return False


def _text(e: Num, number_text) -> str:
    try:
        return number_text(e.value)
    except TypeError:
        return ""


def precedence(e, first: bool = False, last: bool = True, number_text=_default_text,
               inline_fractions: bool = True) -> int:
    """The precedence of a formula part (PRECEDENCE's values); ``first`` when it comes first
    where it stands, so that its own leading minus sign reads as a sign, not as an operation;
    ``last`` when no factor follows it."""
    if signed(e, number_text, inline_fractions) and not first:
        return ADD
    cls = type(e)
    if isinstance(e, Sum):
        return FUNC if last else ADD
    if cls is Neg:       # first: −x binds as x does, but never looser than a product (−a · b)
        return max(MUL, precedence(e.arg, False, last, number_text, inline_fractions))
    if cls is Num:
        t = _text(e, number_text)
        # 2/3 (exact) and 1.5e-09 are a quotient and a product: (2/3)², (1.5 · 10⁻⁹)²
        return MUL if "/" in t or ("e" in t and t.lstrip("-") not in ("inf", "nan")) else ATOM
    if cls in (Sym, Norm):
        return POW if e.power is not None else ATOM
    p = _BY_CLASS.get(cls)
    if p is None:
        for base in cls.__mro__[1:]:
            if base in _BY_CLASS:
                return _BY_CLASS[base]
        return ATOM
    return p


def needs_parens(e, level: int, strict: bool = False, first: bool = False, last: bool = True,
                 number_text=_default_text, inline_fractions: bool = True) -> bool:
    """True when ``e`` is written in parentheses where a part of ``level`` stands."""
    p = precedence(e, first, last, number_text, inline_fractions)
    return p < level or (strict and p == level)


def starts_with_digit(e, number_text=_default_text) -> bool:
    """True when the printed part starts with a digit (so that written right after another
    factor, with no sign between, it would run into it: 2 3 reads 23, 2 ½ a mixed number)."""
    while True:
        if isinstance(e, Count):
            return True
        if isinstance(e, Num):
            t = _text(e, number_text)
            return t[:1].isdigit()
        if isinstance(e, Mul) and e.factors:
            e = e.factors[0]
        elif isinstance(e, Add) and e.terms:
            e = e.terms[0]
        elif isinstance(e, Sub):
            e = e.left
        elif isinstance(e, Pow):
            e = e.base
        elif isinstance(e, Frac):
            e = e.num
        else:
            return False
