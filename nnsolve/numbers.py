"""Numbers: read exactly from their text, computed exactly where the maths allows, shown as a person writes them.

A value is either a ``Fraction`` (exact) or a ``float`` (computed in floating point). The type
carries the exactness: a float is shown with ≈ when its short form needs more digits than the
precision. ``format_number`` is the one place where numbers become text.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from decimal import Decimal, localcontext
from fractions import Fraction
from numbers import Integral, Rational, Real

__all__ = ["parse_number", "parse_float", "format_number", "Formatted", "is_exact", "to_json_number",
           "exact_power"]

_REFUSED = {".nan", ".inf", "-.inf", "+.inf", "nan", "inf", "-inf", "+inf", "infinity",
            "-infinity", "+infinity"}


_MAX_TEXT = 400                     # characters of one number's text
_MAX_ABS = Fraction(sys.float_info.max)
# A decimal number as people write it, in ASCII digits only: Fraction() also takes `1_0` (as
# 10), `١٢` (Arabic-Indic digits) and, after a split at the first `/`, `3/4` (so `1/3/4`).
_DECIMAL = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?(\d+))?", re.ASCII)
_RANGE = "expected a size between 1e-400 and 1.8e308 (or 0), got {}"


def _shown(s: str) -> str:
    """The text quoted in a message, shortened when it is long."""
    return repr(s if len(s) <= 40 else s[:37] + "...")


def _decimal(part: str, whole: str) -> str:
    """One decimal of a number's text, checked (ValueError naming the whole text otherwise)."""
    m = _DECIMAL.fullmatch(part)
    if m is None:
        raise ValueError(f"expected a number, got {_shown(whole)}")
    # Refuse an exponent like 1e999999999 before Fraction computes 10**999999999 (minutes).
    exponent = m.group(1)
    if exponent is not None and (len(exponent.lstrip("0")) > 3 or int(exponent) > 400):
        raise ValueError(_RANGE.format(_shown(whole)))
    return part


def _checked_text(text: str) -> str:
    s = text.strip()
    if s.lower() in _REFUSED:
        raise ValueError(f"expected a finite number, got {s!r}")
    if len(s) > _MAX_TEXT:
        raise ValueError(f"expected a number, got a text of {len(s):,} characters "
                         f"({_shown(s)})")
    return s


def parse_number(text: str) -> Fraction:
    """Read a number exactly from its text: ``0.1``, ``1e-3``, ``-2``, ``1/3``; ValueError if it is
    not one (or beyond what a float can hold)."""
    s = _checked_text(text)
    if "/" in s:
        num, _, den = s.partition("/")
        n = Fraction(_decimal(num.strip(), s))
        d = Fraction(_decimal(den.strip(), s))
        if d == 0:
            raise ValueError(f"division by zero in {s!r}")
        x = n / d
    else:
        x = Fraction(_decimal(s, s))
    if abs(x) > _MAX_ABS:   # beyond a float: the solution could not be computed or written
        raise ValueError(_RANGE.format(_shown(s)))
    return x


def parse_float(text: str) -> float:
    """The same numbers as ``parse_number`` by the same rules, read as float64 (for large matrix
    files): a decimal by float(), a fraction through its exact value."""
    s = _checked_text(text)
    if "/" in s:
        return float(parse_number(s))
    x = float(_decimal(s, s))
    if x != x or abs(x) > sys.float_info.max:
        raise ValueError(_RANGE.format(_shown(s)))
    return x


# Whole powers above this are computed in float64: an exact xᵖ of a decimal x has about p times
# its digits, and p = 10⁹ would never finish.
MAX_EXACT_POWER = 256


def exact_power(p) -> bool:
    """True when powers xᵖ are computed exactly: p whole, 0 < p ≤ MAX_EXACT_POWER."""
    p = Fraction(p)
    return p.denominator == 1 and 0 < p <= MAX_EXACT_POWER


def is_exact(x) -> bool:
    """True for exact values (integers and fractions), False for floating point ones."""
    return isinstance(x, Rational)


@dataclass(frozen=True)
class Formatted:
    """A number as text, and whether that text is a rounded (approximate) value."""

    text: str
    approx: bool = False


_MAX_FULL_DIGITS = 15   # a terminating decimal longer than this is rounded, like any other


def _terminating(d: int) -> bool:
    for p in (2, 5):
        while d % p == 0:
            d //= p
    return d == 1


def _decimal_text(d: Decimal) -> str:
    """Positional text of a Decimal with no trailing zeros, and no exponent for ordinary sizes."""
    if d == 0:
        return "0"
    adjusted = d.adjusted()
    if -7 <= adjusted < 16:
        s = format(d, "f")
        if "." in s:
            s = s.rstrip("0").rstrip(".")
    else:
        mant = d.scaleb(-adjusted)
        m = format(mant.normalize(), "f")
        s = f"{m}e{adjusted}"
    return "0" if s in ("-0", "") else s


def _round_sig(x: Fraction | float, precision: int) -> Decimal:
    with localcontext() as ctx:
        ctx.prec = max(precision, 1)
        if isinstance(x, Fraction):
            return Decimal(x.numerator) / Decimal(x.denominator)
        return +Decimal(x)


def _sig_digits(s: str) -> int:
    digits = s.lstrip("-").split("e")[0].replace(".", "").lstrip("0")
    return len(digits.rstrip("0")) if digits else 0


def format_number(x, precision: int = 6, exact: bool = False) -> Formatted:
    """Text of one number: ``3``, ``-18``, ``1.18``, ``0.333333`` (≈), ``1/3`` with exact=True."""
    if isinstance(x, bool):
        x = int(x)
    if isinstance(x, Integral):
        return Formatted(str(int(x)))
    if isinstance(x, Rational):
        x = Fraction(x)
        if x.denominator == 1:
            return Formatted(str(x.numerator))
        if _terminating(x.denominator):
            with localcontext() as ctx:
                ctx.prec = 60
                d = Decimal(x.numerator) / Decimal(x.denominator)
            text = _decimal_text(d)
            if _sig_digits(text) <= max(_MAX_FULL_DIGITS, precision):
                return Formatted(text)
        if exact:   # only values a decimal cannot write exactly become fractions
            return Formatted(f"{x.numerator}/{x.denominator}")
        return Formatted(_decimal_text(_round_sig(x, precision)), approx=True)
    if isinstance(x, Real):
        f = float(x)
        if not math.isfinite(f):
            return Formatted(repr(f), approx=False)
        if f == 0:
            return Formatted("0")
        if f.is_integer() and abs(f) < 1e15:
            return Formatted(str(int(f)))
        short = repr(f)
        if _sig_digits(short) <= precision:
            return Formatted(_decimal_text(Decimal(short)))
        return Formatted(_decimal_text(_round_sig(f, precision).normalize()), approx=True)
    raise TypeError(f"not a number: {x!r}")


def to_json_number(x):
    """A plain JSON number: int when integral, else float."""
    if isinstance(x, bool):
        return int(x)
    if isinstance(x, Integral):
        return int(x)
    if isinstance(x, Rational):
        x = Fraction(x)
        if x.denominator == 1:
            return x.numerator
        return float(x)
    f = float(x)
    if not math.isfinite(f):
        raise ValueError(f"non-finite value {f!r} cannot be written as JSON")
    if f.is_integer() and abs(f) < 2 ** 53:
        return int(f)
    return f
