"""`optimizer:` in a problem (backprop, graph): which torch.optim rule, its hyper-parameters.

    optimizer: adam                                   # PyTorch's defaults
    optimizer: {name: sgd, momentum: 0.9, nesterov: true, learning_rate: 0.1}

Every hyper-parameter takes PyTorch's name (as SPEC spells it) and PyTorch's default; η is the
optimizer's ``learning_rate`` if it has one, else the problem's.
"""

from __future__ import annotations

from ..ops.optim import OPTIMIZERS, Optimizer, make

# the keys each optimizer takes besides `name` and `learning_rate`, in SPEC's order
KEYS = {"sgd": ["momentum", "dampening", "nesterov", "weight_decay"],
        "adagrad": ["epsilon", "weight_decay"],
        "rmsprop": ["alpha", "epsilon", "momentum", "weight_decay"],
        "adam": ["beta1", "beta2", "epsilon", "weight_decay"],
        "adamw": ["beta1", "beta2", "epsilon", "weight_decay"]}

_WHAT = {"momentum": "a momentum", "dampening": "a dampening", "weight_decay": "a weight decay",
         "epsilon": "an epsilon", "alpha": "a smoothing constant", "beta1": "a β₁",
         "beta2": "a β₂"}


def parse_optimizer(doc, learning_rate=None) -> Optimizer:
    """The optimizer of an `optimizer:` field; ``learning_rate`` is the problem's η (None when
    the problem has none: then the optimizer must give one)."""
    names = list(OPTIMIZERS)
    if doc.is_map:
        doc.keys(["name", "learning_rate"] + sorted({k for ks in KEYS.values() for k in ks}),
                 required=["name"])
        name = doc["name"].text(names, what="optimizer")
        doc.keys(["name", "learning_rate"] + KEYS[name])
    else:
        name = doc.text(names, what="optimizer")
    hyper = {}
    if doc.is_map:
        for key in KEYS[name]:
            d = doc.get(key)
            if d is None:
                continue
            hyper[key] = d.boolean() if key == "nesterov" else \
                d.number(nonnegative=True, what=_WHAT[key])
        if doc.get("learning_rate") is not None:
            learning_rate = doc["learning_rate"].number(positive=True, what="a learning rate")
    if learning_rate is None:
        raise doc.error("missing field `learning_rate` (in the optimizer, or in the problem)")
    hyper["lr"] = learning_rate
    opt = make(name, hyper)
    bad = opt.defn.check(opt.hyper)
    if bad is not None:
        key, message = bad
        raise (doc[key] if doc.is_map and doc.get(key) is not None else doc).error(message)
    return opt
