"""The one table of operations: every activation, loss and layer type, by the name problems use.

Each operation registers itself where it is defined (``@activation`` above its class), so a new
activation is one definition: ``backprop``, ``conv --activation``, ``shape`` stacks, ``check``
and ``new`` read their names from here. The tables fill when the modules that define the
operations are imported; ``activations()``, ``losses()`` and ``layers()`` import them first.
"""

from __future__ import annotations

_ACTIVATIONS: dict = {}      # name -> Activation subclass
_ALIASES: dict = {}          # other name -> name
_LOSSES: dict = {}           # name -> Loss instance
_LAYERS: dict = {}           # name -> Op subclass (dense, conv, pool, flatten)


def activation(cls):
    """Class decorator: register an activation under ``cls.key`` (and its ``aliases``)."""
    _ACTIVATIONS[cls.key] = cls
    for a in cls.aliases:
        _ALIASES[a] = cls.key
    return cls


def loss(cls):
    """Class decorator: register a loss under ``cls.key``; the name then holds its instance."""
    obj = cls() if isinstance(cls, type) else cls
    _LOSSES[obj.key] = obj
    return obj


def layer(cls):
    """Class decorator: register a layer type under ``cls.kind``."""
    _LAYERS[cls.kind] = cls
    return cls


def activations() -> dict:
    """Every activation by name (the classes)."""
    from . import activations as _  # noqa: F401  (defines and registers them)
    return _ACTIVATIONS


def aliases() -> dict:
    """Other names of activations (``identity`` for ``linear``)."""
    activations()
    return _ALIASES


def activation_names(*, conv: bool = False, with_aliases: bool = False) -> list:
    """The names an activation may be given by; ``conv``: only those that work cell by cell
    (not softmax, which normalises a network's output layer)."""
    names = [k for k, c in activations().items() if not (conv and c.output_only)]
    if with_aliases:
        names += [a for a, k in _ALIASES.items() if k in names]
    return names


def activation_class(name: str):
    """The class of an activation named (or aliased) ``name``."""
    acts = activations()
    return acts[_ALIASES.get(name, name)]


def losses() -> dict:
    """Every loss by name."""
    from . import hinge, losses  # noqa: F401
    return _LOSSES


def layers() -> dict:
    """Every layer type by name."""
    from . import conv, dense, pooling  # noqa: F401
    return _LAYERS
