"""shape's likely mistakes: padding forgotten, ⌈⌉ and ⌊⌋ swapped, biases not counted."""

from __future__ import annotations

from dataclasses import replace

from ...grading import rank_by_order, Variant, define, field_name, solved_tree

define("floor_instead_of_ceil", "floor for ceil", "⌊…⌋ instead of ⌈…⌉ in the output size "
       "(ceil mode)")
define("bias_not_counted", "biases not counted", "the biases not counted as parameters")


def variants(problem, right: dict) -> list:
    from .solve import walk
    out = []
    results = walk(problem)

    def with_layers(fn):
        layers = [fn(r.layer, r) for r in results]
        return solved_tree(replace(problem, layers=layers))

    def unpadded(layer, r):
        if layer.type in ("conv", "pool") and r.pads != ((0, 0), (0, 0)):
            return replace(layer, padding=((0, 0), (0, 0)))
        return layer
    if any(r.layer.type in ("conv", "pool") and r.pads != ((0, 0), (0, 0)) for r in results):
        t = with_layers(unpadded)
        if t is not None:
            out.append(Variant(("padding_forgotten",), t))

    def ceiled(layer, r):
        if layer.type == "conv" and layer.stride != (1, 1):
            (pt, pb), (pl, pr) = r.pads
            return replace(layer, padding=((pt, pb + layer.stride[0] - 1),
                                           (pl, pr + layer.stride[1] - 1)))
        if layer.type == "pool" and not layer.ceil_mode:
            return replace(layer, ceil_mode=True)
        return layer
    if any((r.layer.type == "conv" and r.layer.stride != (1, 1)) or
           (r.layer.type == "pool" and not r.layer.ceil_mode) for r in results):
        t = with_layers(ceiled)
        if t is not None:
            out.append(Variant(("ceil_instead_of_floor",), t))
    if any(r.layer.type == "pool" and r.layer.ceil_mode for r in results):
        t = with_layers(lambda l, r: replace(l, ceil_mode=False) if l.type == "pool" else l)
        if t is not None:
            out.append(Variant(("floor_instead_of_ceil",), t))
    if any(r.layer.type in ("conv", "conv_transpose", "dense") and r.layer.bias
           for r in results):
        t = with_layers(lambda l, r: replace(l, bias=False)
                        if l.type in ("conv", "conv_transpose", "dense") else l)
        if t is not None:
            out.append(Variant(("bias_not_counted",),
                               {"total_parameters": t["total_parameters"],
                                "layers": {k: {"parameters": v["parameters"]}
                                           for k, v in t["layers"].items()}}))
    return out


ORDER = ["input_shape", "layers", "output_shape", "total_parameters"]


def rank(path: tuple):
    """A sort key: the order in which the solution computes the field."""
    return rank_by_order(ORDER, path)


def stage(path: tuple) -> str:
    """The part of the solution a field belongs to, in words."""
    return f"layer {path[1]}" if path[0] == "layers" and len(path) > 1 else field_name(path)
