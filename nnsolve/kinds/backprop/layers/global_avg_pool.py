"""Global average pooling: each C×H×W map becomes its mean, C×1×1 (PyTorch's
AdaptiveAvgPool2d(1), the head of ResNet and network-in-network); `flatten` then makes it a
vector of C.

    - global_avg_pool

It is the average pool whose one window is the whole map (the op of ``ops/pooling.py``, so
`check` knows its mistake, the gradient not divided by the count). Backward, each of a map's
H·W cells takes 1/(H·W) of its mean's gradient.
"""

from __future__ import annotations

from dataclasses import dataclass

from ....expr import Mat, Mul, Num
from ....ops.engine import Node
from ....ops.pool import Pool
from ....ops.pooling import Pooling
from ....solution import Equation, Paragraph
from .base import J, LayerType, d, input_gradient_maps, layer_type, one_over


@dataclass
class GlobalAvgPoolLayer:
    """The mean of each map (no parameters)."""

    op: object                     # ops.pooling.Pooling: avg over one window, the whole map
    W: object = None
    b: object = None
    type: str = "global_avg_pool"


@layer_type
class GlobalAvgPoolType(LayerType):
    key = "global_avg_pool"
    order = 6
    words_alone = ("global_avg_pool",)
    on_maps = True

    def read(self, ld, at):
        at.need_maps(ld, "global_avg_pool")
        if not ld.is_scalar:
            ld.keys(["global_avg_pool"])
        C, H, W = at.shape
        return GlobalAvgPoolLayer(Pooling(Pool("avg", (H, W), (H, W)))), (C, 1, 1)

    def nodes(self, layer, w, b, swap):
        return [Node(swap(layer.op))]

    def words(self, layer):
        kh, kw = layer.op.pool.size
        return (f"global average pooling: each {kh}×{kw} map becomes the mean of its "
                f"{kh * kw} cells")

    def forward_one(self, ex, sec, l, s):
        names, ls = ex.maps, ex.ls(l)
        pool = ex.layer(l).op.pool
        for c in range(ls.h.shape[1]):
            sec.add(Equation([names.whole("h", l, c, s),
                              pool.value_expr(ls.x[s, c].ravel().tolist()),
                              Num(ls.h[s, c, 0, 0])]))

    def forward_summary(self, ex, sec, l):
        for s in range(ex.N):
            ls = ex.ls(l)
            for c in range(ls.h.shape[1]):
                sec.add(Equation([ex.maps.whole("h", l, c, s), Num(ls.h[s, c, 0, 0])]))

    def backward_layer(self, ex, sec, l):
        names, ls = ex.maps, ex.ls(l)
        n = ls.x.shape[2] * ls.x.shape[3]
        sec.add(Paragraph(f"Each of a map's {n} cells counts 1/{n} in its mean, so each takes "
                          f"1/{n} of the mean's gradient:"))
        for s in range(ex.N):
            for c in range(ls.h.shape[1]):
                g = ls.dJ_dh[s, c, 0, 0]
                sec.add(Equation([d(J, names.whole("h", l - 1, c, s)),
                                  Mul((one_over(n), d(J, names.whole("h", l, c, s))), "juxt"),
                                  Mul((one_over(n), Num(g)), "juxt"),
                                  Mat(ls.dJ_dx[s, c])]))

    def backward_summary(self, ex, sec, l):
        input_gradient_maps(ex, sec, l)
