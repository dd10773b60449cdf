"""shape's likely mistakes: padding forgotten or counted on one side only, ⌈⌉ and ⌊⌋ swapped,
biases not counted."""

from __future__ import annotations

from dataclasses import replace

from ...grading import rank_by_order, Variant, define, field_name, solved_tree

define("floor_instead_of_ceil", "floor for ceil", "⌊…⌋ instead of ⌈…⌉ in the output size "
       "(ceil mode)")
define("padding_one_side", "padding on one side", "the padding counted on one side only: "
       "(i − k + p)/s + 1 instead of (i − k + 2p)/s + 1")
define("bias_not_counted", "biases not counted", "the biases not counted as parameters")


define("batchnorm_buffers_counted", "buffers counted",
       "batch norm's running mean and variance counted as parameters (4C instead of 2C)")
define("groups_ignored", "groups ignored", "a grouped (depthwise) convolution counted as a full "
       "one: every filter given all C input channels")
define("jump_ignored", "jump ignored", "the receptive field grown by (k − 1)·d without the "
       "jump j (the strides before the layer)")
define("flops_for_macs", "FLOPs for MACs", "floating-point operations (2 per "
       "multiply-accumulate) given as multiply-accumulates")


def _only(tree, keys: set):
    """The part of a solution's tree under ``keys``, through blocks' layers and shortcuts."""
    out = {}
    for k, v in tree.items():
        if k in keys:
            out[k] = v
        elif isinstance(v, dict) and (k in ("layers", "shortcut") or isinstance(k, int)):
            inner = _only(v, keys)
            if inner:
                out[k] = inner
    return out


def _scaled(tree, key: str, factor: int):
    """Every ``key`` of the tree times ``factor`` (FLOPs: two per multiply-accumulate)."""
    out = {}
    for k, v in tree.items():
        if k == key or k == "total_" + key:
            out[k] = v * factor
        elif isinstance(v, dict):
            inner = _scaled(v, key, factor)
            if inner:
                out[k] = inner
    return out


def variants(problem, right: dict) -> list:
    from .solve import leaves, rebuild, walk
    out = []
    results = walk(problem)
    every = list(leaves(results))

    def with_layers(fn, **changes):
        return solved_tree(replace(problem, layers=rebuild(problem.layers, results, fn),
                                   strict=False, **changes))

    def unpadded(layer, r):
        if layer.type in ("conv", "pool") and r.pads != ((0, 0), (0, 0)):
            return replace(layer, padding=((0, 0), (0, 0)))
        return layer
    if any(r.layer.type in ("conv", "pool") and r.pads != ((0, 0), (0, 0)) for r in every):
        t = with_layers(unpadded)
        if t is not None:
            out.append(Variant(("padding_forgotten",), t))

    def one_side(layer, r):
        (pt, pb), (pl, pr) = r.pads
        if layer.type in ("conv", "pool") and (pt, pb, pl, pr) != (0, 0, 0, 0):
            return replace(layer, padding=((max(pt, pb), 0), (max(pl, pr), 0)))
        return layer
    if any(r.layer.type in ("conv", "pool") and any(max(p) > 0 for p in r.pads)
           for r in results):
        t = with_layers(one_side)
        if t is not None:
            out.append(Variant(("padding_one_side",), t))

    def ceiled(layer, r):
        if layer.type == "conv" and layer.stride != (1, 1):
            (pt, pb), (pl, pr) = r.pads
            return replace(layer, padding=((pt, pb + layer.stride[0] - 1),
                                           (pl, pr + layer.stride[1] - 1)))
        if layer.type == "pool" and not layer.ceil_mode:
            return replace(layer, ceil_mode=True)
        return layer
    if any((r.layer.type == "conv" and r.layer.stride != (1, 1)) or
           (r.layer.type == "pool" and not r.layer.ceil_mode) for r in every):
        t = with_layers(ceiled)
        if t is not None:
            out.append(Variant(("ceil_instead_of_floor",), t))
    if any(r.layer.type == "pool" and r.layer.ceil_mode for r in every):
        t = with_layers(lambda l, r: replace(l, ceil_mode=False) if l.type == "pool" else l)
        if t is not None:
            out.append(Variant(("floor_instead_of_ceil",), t))
    counts = {"parameters", "total_parameters"}
    if any(r.layer.type in ("conv", "conv_transpose", "dense") and r.layer.bias
           for r in every):
        t = with_layers(lambda l, r: replace(l, bias=False)
                        if l.type in ("conv", "conv_transpose", "dense") else l)
        if t is not None:
            out.append(Variant(("bias_not_counted",), _only(t, counts)))
    if any(r.layer.type == "batchnorm" for r in every):
        t = with_layers(lambda l, r: replace(l, per_channel=4) if l.type == "batchnorm" else l)
        if t is not None:
            out.append(Variant(("batchnorm_buffers_counted",), _only(t, counts)))
    if any(r.layer.type == "conv" and r.layer.groups != 1 for r in every):
        t = with_layers(lambda l, r: replace(l, groups=1) if l.type == "conv" else l)
        if t is not None:
            out.append(Variant(("groups_ignored",),
                               _only(t, counts | {"macs", "total_macs"})))
    if any(r.jump_in is not None and r.jump_in != (1, 1) and r.rf != r.rf_in for r in every):
        t = with_layers(lambda l, r: l, rf_rule="no_jump")
        if t is not None:
            out.append(Variant(("jump_ignored",), _only(t, {"receptive_field"})))
    if right.get("total_macs"):
        out.append(Variant(("flops_for_macs",), _scaled(right, "macs", 2)))
    return out


PAIRS = ("receptive_field", "jump")


def claimed(path: tuple, value, right):
    """A receptive field or jump claimed as one number (7) is 7 × 7, as students write it."""
    if path and path[-1] in PAIRS and right is not None and not isinstance(value, (list, str)) \
            and getattr(value, "ndim", 0) == 0:
        import numpy as np
        v = value.item() if hasattr(value, "item") else value
        return np.array([v, v], dtype=object)
    return value


ORDER = ["input_shape", "layers", "output_shape", "total_parameters", "total_macs"]


def rank(path: tuple):
    """A sort key: the order in which the solution computes the field."""
    return rank_by_order(ORDER, path)


def stage(path: tuple) -> str:
    """The part of the solution a field belongs to, in words."""
    return f"layer {path[1]}" if path[0] == "layers" and len(path) > 1 else field_name(path)
