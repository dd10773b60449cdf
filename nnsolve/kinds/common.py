"""What several kinds of problem share: numeric mode, activation names."""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ..arrays import as_exact, as_float, exact as is_exact

EXACT_LIMIT = 5_000   # problems with more numbers than this are computed in float64

LEAKY_RELU_ALPHA = Fraction(1, 100)   # leaky ReLU's slope when none is given (ops/activations.py)


@dataclass(frozen=True)
class Activation:
    """An activation function by name; ``alpha`` is leaky ReLU's slope."""

    name: str
    alpha: Fraction | None = None


def parse_activation(doc, allow_softmax: bool = True) -> Activation:
    """`relu`, or `{name: leaky_relu, alpha: 0.1}`; the names are the registry's."""
    from ..ops.registry import activation_class, activation_names, aliases
    names = activation_names(conv=not allow_softmax)
    alpha = None
    if doc.is_map:
        doc.keys(["name", "alpha"], required=["name"])
        name_doc = doc["name"]
        if doc.get("alpha") is not None:
            alpha = doc["alpha"].number(nonnegative=True, what="a slope")
    else:
        name_doc = doc
    if not allow_softmax and name_doc.is_scalar and name_doc.node.value in \
            activation_names(with_aliases=True) and name_doc.node.value not in \
            activation_names(conv=True, with_aliases=True):
        raise name_doc.error(f"{name_doc.node.value} normalises a network's output layer; after "
                             "a convolution use one of: " + ", ".join(names))
    al = aliases()
    name = name_doc.text(names + [a for a, k in al.items() if k in names], what="activation")
    name = al.get(name, name)
    if alpha is not None and "alpha" not in activation_class(name).options:
        raise doc["alpha"].error(f"only leaky_relu takes a slope alpha, not {name}")
    return activation_named(name, alpha)


def activation_named(name: str, alpha: Fraction | None = None) -> Activation:
    """An Activation by name; leaky ReLU's slope defaults to LEAKY_RELU_ALPHA."""
    if alpha is None:
        from ..ops.registry import activation_class
        alpha = activation_class(name).options.get("alpha")
    return Activation(name, alpha)


def to_mode(a, exact: bool):
    """The array as exact Fractions (object) or float64."""
    return as_exact(a) if exact else as_float(a)


# Exact arithmetic must stay homework-fast (about a second): beyond these, float64, with a note.
EXACT_WORK = 200_000    # multiply-adds (a Fraction's costs about a microsecond, more when long)
EXACT_DIGITS = 1_000    # the digits the fractions could grow to (see ``exact_digits``)


def exact_digits(arrays, growth: int = 1, stop: int = EXACT_DIGITS) -> int:
    """About how many digits (numerator and denominator) exact results could reach.

    A sum of products with a value of an array has a denominator dividing D, the least common
    multiple of the array's denominators, and a size of at most n times its largest value
    N/1; so each array can add about 2·digits(D) + digits(N) + digits(n) digits to a result
    (D to the denominator, and D·N to the numerator). Summed over the arrays, times ``growth``
    (2 for a forward and a backward pass, which uses each weight twice). Stops past ``stop``."""
    import math
    total = 0.0
    for a in arrays:
        den, num = 1, 0
        values = a.ravel().tolist()
        extra = math.log10(len(values) + 1)
        for x in values:
            den = math.lcm(den, x.denominator)
            num = max(num, abs(x.numerator).bit_length())
            if (2 * den.bit_length() + num) * 0.30103 * growth + total > stop:
                return stop + 1
        total += ((2 * den.bit_length() + num) * 0.30103 + extra + 1) * growth
    return int(total)


def float_reason(arrays, work: int = 0, growth: int = 1) -> str | None:
    """Why a problem whose numbers were all read exactly is computed in float64 after all (its
    exact arithmetic would take too long), as a note for the solution; None when it is exact, or
    when float64 is chosen for the usual reasons (a .npy array, more than EXACT_LIMIT numbers)."""
    arrays = [a for a in arrays if a is not None]
    if not all(is_exact(a) for a in arrays) or sum(a.size for a in arrays) > EXACT_LIMIT:
        return None
    if work > EXACT_WORK:
        return (f"Exact fractions would take {work:,} multiply-adds here (more than "
                f"{EXACT_WORK:,}), so this problem is computed in floating point; values marked "
                f"≈ are rounded.")
    if exact_digits(arrays, growth) > EXACT_DIGITS:
        return (f"The exact fractions of this problem would grow to more than {EXACT_DIGITS:,} "
                f"digits (its numbers have long, different denominators), so it is computed in "
                f"floating point; values marked ≈ are rounded.")
    return None


def choose_exact(arrays, work: int = 0, growth: int = 1) -> bool:
    """Exact arithmetic when every array was read exactly and the problem is homework-sized:
    at most EXACT_LIMIT numbers, EXACT_WORK multiply-adds and EXACT_DIGITS digits of growth."""
    arrays = [a for a in arrays if a is not None]
    return all(is_exact(a) for a in arrays) and sum(a.size for a in arrays) <= EXACT_LIMIT \
        and float_reason(arrays, work, growth) is None
