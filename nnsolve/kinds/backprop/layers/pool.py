"""A pooling layer: max or average over windows of each map (no parameters).

    - pool: {type: max, size: 2, stride: 2}    # avg too; padding, ceil_mode (PyTorch's rule)

Backward, a max pool routes each window's gradient to its maximum (at a tie, the first in
row-major order, and the sheet says so); an avg pool spreads it equally over the window's cells
that are not padding.
"""

from __future__ import annotations

from dataclasses import dataclass

from ....expr import Mat, Mul, Num
from ....ops.engine import Node
from ....ops.pooling import Pooling
from ....solution import Equation, Paragraph
from .base import J, LayerType, d, inline, input_gradient_maps, layer_type, one_over, \
    pair_words, times


@dataclass
class PoolLayer:
    """Max or average pooling (no parameters)."""

    op: object                     # ops.pooling.Pooling wrapping ops.pool.Pool
    W: object = None
    b: object = None
    type: str = "pool"


@layer_type
class PoolType(LayerType):
    key = "pool"
    order = 2
    hint = "`pool:`"
    on_maps = True

    def read(self, ld, at):
        from ...conv.spec import read_pool
        at.need_maps(ld, "pool")
        ld.keys(["pool"], required=["pool"])
        pd = ld["pool"]
        pd.keys(["type", "size", "stride", "padding", "ceil_mode"], required=["type", "size"])
        pool = read_pool(pd, ceil_mode=True)
        C, H, W = at.shape
        wrong = pool.misfit(H, W)
        if wrong is not None:
            raise (pd["padding"] if "padding" in wrong.split()[0] and pd.get("padding") is not None
                   else pd["size"]).error(f"layer {at.i + 1}: {wrong}")
        return PoolLayer(Pooling(pool)), (C,) + tuple(pool.out_size(H, W))

    def nodes(self, layer, w, b, swap):
        return [Node(swap(layer.op))]

    def words(self, layer):
        pool = layer.op.pool
        extra = "" if pool.padding == ((0, 0), (0, 0)) else ", padding left out of each window"
        if pool.ceil_mode:
            extra += ", ceil mode"
        return (f"{'max' if pool.type == 'max' else 'average'} pooling over "
                f"{times(pool.size)} windows, stride {pair_words(pool.stride)}{extra}")

    def forward_one(self, ex, sec, l, s):
        """Each window's max or mean (padding left out), then the pooled maps."""
        names, ls = ex.maps, ex.ls(l)
        pool = ex.layer(l).op.pool
        x = ls.x[s]
        C, H, W = x.shape
        for c in range(C):
            for w in pool.windows(H, W):
                sec.add(Equation([names.cell("h", l, (c, w.row, w.col), s),
                                  pool.value_expr([x[c, r, q] for r, q in w.cells]),
                                  Num(ls.h[s, c, w.row, w.col])]))
            sec.add(Equation([names.whole("h", l, c, s), Mat(ls.h[s, c])]))

    def forward_summary(self, ex, sec, l):
        names, ls = ex.maps, ex.ls(l)
        for s in range(ex.N):
            for c in range(ls.h.shape[1]):
                sec.add(Equation([names.whole("h", l, c, s), Mat(ls.h[s, c])]))

    def backward_layer(self, ex, sec, l):
        for s in range(ex.N):
            _backward(ex, sec, l, s, s == 0)

    def backward_summary(self, ex, sec, l):
        input_gradient_maps(ex, sec, l)


def _backward(ex, sec, l, s, first: bool):
    """∂J/∂(input) of a pool: max routes each window's gradient to its first maximum, avg
    spreads it over the window's cells; a cell in several windows adds what each gives it."""
    names, ls = ex.maps, ex.ls(l)
    pool = ex.layer(l).op.pool
    x, g = ls.x[s], ls.dJ_dh[s]
    C, H, W = x.shape
    if first and pool.type == "max":
        sec.add(Paragraph("Max pooling passes each window's gradient to the cell that holds its "
                          "maximum (at a tie, to the first in row-major order); the other cells "
                          "get 0, and a cell in several windows adds what each gives it:"))
    elif first:
        sec.add(Paragraph("Average pooling spreads each window's gradient equally over the "
                          "window's cells (padding left out); a cell in several windows adds "
                          "what each gives it:"))
    for c in range(C):
        for w in pool.windows(H, W):
            gv = g[c, w.row, w.col]
            src = d(J, names.cell("h", l, (c, w.row, w.col), s))
            if pool.type == "max":
                vals = [x[c, r, q] for r, q in w.cells]
                best = max(vals)
                r, q = w.cells[vals.index(best)]        # the first maximum in row-major order
                tie = vals.count(best) > 1
                sec.add(Paragraph(
                    "Window of ", names.cell("h", l, (c, w.row, w.col), s), ": its maximum is ",
                    inline([names.cell("h", l - 1, (c, r, q), s), Num(best)]),
                    (f", shared by {vals.count(best)} cells: the first in row-major order "
                     "takes") if tie else ", which takes", " ",
                    inline([src, Num(gv)]), "."))
            else:
                n = w.count
                share = gv / n
                sec.add(Paragraph(
                    "Window of ", names.cell("h", l, (c, w.row, w.col), s), f": each of its {n} "
                    "cells takes ", inline([Mul((one_over(n), src), "juxt"),
                                            Mul((one_over(n), Num(gv)), "juxt"),
                                            Num(share)]), "."))
    for c in range(C):
        sec.add(Equation([d(J, names.whole("h", l - 1, c, s)), Mat(ls.dJ_dx[s, c])]))
