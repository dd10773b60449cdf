"""The layer types of a backprop network, one module each (dense, conv, pool, flatten,
batchnorm, activation, ...): a new layer type is one file here.

A module defines a subclass of ``LayerType`` (base.py) with ``@layer_type`` above it. The class
holds everything about the type side by side: how a problem's layer item is read and checked
(``read``), the operations of ``nnsolve/ops`` it runs (``nodes``), the values of a step it
names (``step_values``), how it explains itself in each part of the solution (forward and
backward, in full and in summary), its symbols and its JSON entry. The spec, the solver, the
explanation, ``check`` and the JSON walk the layers through these hooks and never ask for a
type by name; every module of this package is imported the first time the table is read, so
dropping a file here is all it takes.
"""

from __future__ import annotations

import importlib
import pkgutil

from .base import LayerType, Reading, layer_type, registered

__all__ = ["LayerType", "Reading", "layer_type", "types", "of", "recognize"]

_loaded = False


def types() -> dict:
    """Every layer type by its key, in the order they are tried (the fallback last)."""
    global _loaded
    if not _loaded:
        _loaded = True
        for m in pkgutil.iter_modules(__path__):
            if m.name not in ("base", "names"):
                importlib.import_module(f"{__name__}.{m.name}")
    table = registered()
    return dict(sorted(table.items(), key=lambda kv: (kv[1].fallback, kv[1].order)))


def of(layer) -> LayerType:
    """The type of a read layer."""
    return types()[layer.type]


def recognize(ld) -> LayerType:
    """The type of a layer item of a problem (a mapping, or a bare word such as `flatten`)."""
    table = types()
    for t in table.values():
        if t.matches(ld):
            return t
    from ....load.yamldoc import describe, suggest
    ordered = sorted(table.values(), key=lambda t: t.order)
    maps = [t.hint for t in ordered if t.hint]
    alone = [w for t in ordered for w in t.words_alone]
    word = ld.node.value if ld.is_scalar and isinstance(ld.node.value, str) else None
    near = suggest(word, alone) if word is not None else None
    hint = f" (did you mean `{near}`?)" if near else ""
    from ....ops.registry import activation_names
    if word in activation_names(with_aliases=True):
        hint = f" (an activation alone is `- activation: {word}`)"
    raise ld.error(f"expected a layer: a mapping with {_either(maps)}, or the word "
                   f"{_either([f'`{w}`' for w in alone])}; got {describe(ld.node)}{hint}")


def _either(items) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]
