"""conv's likely mistakes: the kernel flipped or not, the padding forgotten or put on one side
only, ⌈⌉ for ⌊⌋."""

from __future__ import annotations

from dataclasses import replace

from ...grading import rank_by_order, Variant, define, field_name, solved_tree

define("kernel_flipped", "kernel flipped", "the kernel flipped (a convolution computed; "
       "the problem asks for a cross-correlation)")
define("kernel_not_flipped", "kernel not flipped", "the kernel not flipped (a "
       "cross-correlation computed; the problem asks for a convolution)")


def variants(problem, right: dict) -> list:
    out = []
    other = "convolution" if problem.mode == "cross_correlation" else "cross_correlation"
    t = solved_tree(replace(problem, mode=other))
    if t is not None:
        out.append(Variant(("kernel_flipped" if other == "convolution" else
                            "kernel_not_flipped",), t))
    if problem.padding != ((0, 0), (0, 0)):
        t = solved_tree(replace(problem, padding=((0, 0), (0, 0)), padding_rule=None))
        if t is not None:
            out.append(Variant(("padding_forgotten",), t))
    (pt, pb), (pl, pr) = problem.padding
    if (pb or pr) and (pt or pl):
        # the padding put on one side only (shape's padding_one_side): the output computed with
        # its rows and columns of zeros before the input only, or after it only
        for one_side in (((pt, 0), (pl, 0)), ((0, pb), (0, pr))):
            t = solved_tree(replace(problem, padding=one_side, padding_rule=None))
            if t is not None:
                out.append(Variant(("padding_one_side",), t))
    if problem.stride != (1, 1):
        # ⌈x/s⌉ = ⌊(x + s − 1)/s⌋: the ceiling is the floor with s − 1 more rows at the end
        (pt, pb), (pl, pr) = problem.padding
        sh, sw = problem.stride
        t = solved_tree(replace(problem, padding=((pt, pb + sh - 1), (pl, pr + sw - 1))))
        if t is not None:
            out.append(Variant(("ceil_instead_of_floor",), {"output_shape": t["output_shape"]}))
    return out


ORDER = ["input_shape", "kernel_shape", "mode", "stride", "padding", "dilation", "output_shape",
         "output", "pool"]


def rank(path: tuple):
    """A sort key: the order in which the solution computes the field."""
    return rank_by_order(ORDER, path)


def stage(path: tuple) -> str:
    """The part of the solution a field belongs to, in words."""
    return "pooling" if path[0] == "pool" else field_name(path)
