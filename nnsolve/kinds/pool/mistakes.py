"""pool's likely mistakes: the padding averaged (or taken as 0 in a max), the padding forgotten
or counted on one side only, ⌈⌉ and ⌊⌋ swapped, the last window kept in ceil mode, the stride
taken as 1 (or as the size), max and mean swapped.

Each is the problem solved again with one setting or one rule of nnsolve/ops/pool.py swapped;
the windows are solved too, so that a claimed window can be named."""

from __future__ import annotations

from dataclasses import replace

from ...grading import Variant, define, field_name, rank_by_order, to_tree
from ...sizes import positions, reach

define("pool_padding_averaged", "padding averaged", "the padding counted in the mean (divided "
       "by every cell of the window, padding included, not only the input's cells)")
define("pool_zero_padding", "padding as 0", "the padding taken as 0 in the maximum (it is "
       "−∞: it never wins)")
define("floor_instead_of_ceil", "floor for ceil", "⌊…⌋ instead of ⌈…⌉ in the output size "
       "(ceil mode)")
define("ceil_last_window_kept", "last window kept", "the last window kept in ceil mode although "
       "it starts in the padding after the input (PyTorch drops it)")
define("stride_taken_as_1", "stride 1", "the window moved by 1 instead of by the stride")
define("stride_taken_as_size", "stride = size", "the window moved by its size instead of by "
       "the stride")
define("mean_for_max", "mean for max", "the mean of each window taken instead of its maximum")
define("max_for_mean", "max for mean", "the maximum of each window taken instead of its mean")


def _tree(problem, pool) -> dict | None:
    """The JSON tree (windows included) of the problem with another pooling, or None when that
    pooling does not fit the input."""
    from .solve import data_of
    if pool.misfit(*problem.input.shape[1:]) is not None:
        return None
    swapped = replace(problem, pool=pool)
    return to_tree(data_of(swapped, pool.forward(problem.input), windows=True))


def variants(problem, right: dict) -> list:
    pool = problem.pool
    padded = pool.padding != ((0, 0), (0, 0))
    swaps = []
    if pool.type == "avg" and padded:
        swaps.append(("pool_padding_averaged", replace(pool, mistake="padding_counted")))
    if pool.type == "max" and padded:
        swaps.append(("pool_zero_padding", replace(pool, mistake="zero_padding")))
    if padded:
        swaps.append(("padding_forgotten", replace(pool, padding=((0, 0), (0, 0)))))
    swaps.append(("floor_instead_of_ceil" if pool.ceil_mode else "ceil_instead_of_floor",
                  replace(pool, ceil_mode=not pool.ceil_mode)))
    if pool.stride != (1, 1):
        swaps.append(("stride_taken_as_1", replace(pool, stride=(1, 1))))
    if pool.stride != pool.size:
        swaps.append(("stride_taken_as_size", replace(pool, stride=pool.size)))
    swaps.append(("mean_for_max" if pool.type == "max" else "max_for_mean",
                  replace(pool, type="avg" if pool.type == "max" else "max")))
    out = []
    for name, swapped in swaps:
        t = _tree(problem, swapped)
        if t is not None:
            out.append(Variant((name,), t))
    (pt, pb), (pl, pr) = pool.padding
    one_side = replace(pool, padding=((pt, 0), (pl, 0)))
    if padded and (pb or pr) and one_side.misfit(*problem.input.shape[1:]) is None:
        t = _tree(problem, one_side)     # a size mistake: only the size it gives is named
        out.append(Variant(("padding_one_side",), {"output_shape": t["output_shape"]}))
    if pool.ceil_mode:      # ⌈…⌉ + 1 without PyTorch's rule: a size only, no such window exists
        C, H, W = problem.input.shape
        kept = [positions(reach(n, p, k), s, True)
                for n, p, k, s in zip((H, W), pool.padding, pool.size, pool.stride)]
        if tuple(kept) != pool.out_size(H, W):
            out.append(Variant(("ceil_last_window_kept",),
                               {"output_shape": _as_tree(([C] if problem.channels_given
                                                          else []) + kept)}))
    return out


def _as_tree(values):
    import numpy as np
    return np.asarray(values, dtype=object)


ORDER = ["type", "input_shape", "size", "stride", "padding", "output_shape", "windows", "output"]


def rank(path: tuple):
    """A sort key: the order in which the solution computes the field."""
    return rank_by_order(ORDER, path)


def stage(path: tuple) -> str:
    """The part of the solution a field belongs to, in words."""
    if path[0] == "windows" and len(path) > 1:
        return f"window {path[1]}"
    return "the output size" if path[0] == "output_shape" else field_name(path)
