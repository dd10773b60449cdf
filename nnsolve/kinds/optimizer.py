"""`optimizer:` in a problem (backprop, graph): which torch.optim rule, its hyper-parameters.

    optimizer: adam                                   # PyTorch's defaults
    optimizer: {name: sgd, momentum: 0.9, nesterov: true, learning_rate: 0.1}

Every hyper-parameter takes PyTorch's name (as SPEC spells it) and PyTorch's default; η is the
optimizer's ``learning_rate`` if it has one, else the problem's.
"""

from __future__ import annotations

from ..ops.optim import OPTIMIZERS, Optimizer, make

# the keys each optimizer takes besides `name` and `learning_rate`, in SPEC's order (PyTorch's
# names; ``eps`` is `epsilon`, ``betas`` are `beta1` and `beta2`)
KEYS = {"sgd": ["momentum", "dampening", "nesterov", "weight_decay", "maximize"],
        "adagrad": ["lr_decay", "weight_decay", "initial_accumulator_value", "epsilon",
                    "maximize"],
        "rmsprop": ["alpha", "epsilon", "momentum", "weight_decay", "centered", "maximize"],
        "adam": ["beta1", "beta2", "epsilon", "weight_decay", "amsgrad", "maximize"],
        "adamw": ["beta1", "beta2", "epsilon", "weight_decay", "amsgrad", "maximize"]}
BOOLEANS = {"nesterov", "centered", "amsgrad", "maximize"}

_WHAT = {"momentum": "a momentum", "dampening": "a dampening", "weight_decay": "a weight decay",
         "epsilon": "an epsilon", "alpha": "a smoothing constant", "beta1": "a β₁",
         "beta2": "a β₂", "lr_decay": "a learning-rate decay",
         "initial_accumulator_value": "an initial accumulator value"}


def _foreign_key(doc, name: str) -> None:
    """An option of another optimizer (``centered`` given to adam): one line naming it, whose
    option it is, and the options this optimizer takes."""
    for knode, _v in doc._pairs():
        key = getattr(knode, "value", None)
        if key in KEYS[name] or key in ("name", "learning_rate"):
            continue
        owners = [n for n, ks in KEYS.items() if key in ks]
        if owners:
            takes = ", ".join(["learning_rate"] + KEYS[name])
            raise doc.child_key(key).error(
                f"{name} has no option `{key}` (an option of {_listed(owners)}); {name} takes: "
                f"{takes}")


def _listed(names) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def parse_optimizer(doc, learning_rate=None) -> Optimizer:
    """The optimizer of an `optimizer:` field; ``learning_rate`` is the problem's η (None when
    the problem has none: then the optimizer must give one)."""
    names = list(OPTIMIZERS)
    if doc.is_map:
        doc.keys(["name", "learning_rate"] + sorted({k for ks in KEYS.values() for k in ks}),
                 required=["name"])
        name = doc["name"].text(names, what="optimizer")
        _foreign_key(doc, name)
        doc.keys(["name", "learning_rate"] + KEYS[name])
    else:
        name = doc.text(names, what="optimizer")
    hyper = {}
    if doc.is_map:
        for key in KEYS[name]:
            d = doc.get(key)
            if d is None:
                continue
            hyper[key] = d.boolean() if key in BOOLEANS else \
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
