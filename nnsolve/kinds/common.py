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


def choose_exact(arrays) -> bool:
    """Exact arithmetic when every array was read exactly and the problem is homework-sized."""
    arrays = [a for a in arrays if a is not None]
    return all(is_exact(a) for a in arrays) and sum(a.size for a in arrays) <= EXACT_LIMIT
