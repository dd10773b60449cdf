"""Flatten: C×H×W maps → one vector in channel, row, column order (PyTorch's flatten).

    - flatten

Backward it only reorders: ∂J/∂(the maps) is ∂J/∂(the vector) put back as maps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ....expr import Call, Mat
from ....ops.dense import Flatten
from ....ops.engine import Node
from ....solution import Equation, Paragraph
from .base import J, LayerType, d, input_gradient_maps, layer_type


@dataclass
class FlattenLayer:
    """C×H×W → a vector in C, H, W order."""

    W: object = None
    b: object = None
    type: str = "flatten"


@layer_type
class FlattenType(LayerType):
    key = "flatten"
    order = 5
    words_alone = ("flatten",)
    on_maps = True

    def read(self, ld, at):
        if not ld.is_scalar:
            ld.keys(["flatten"])
        if len(at.shape) != 3:
            raise ld.error(f"flatten needs C×H×W maps, but the input of layer {at.i + 1} is "
                           f"already a vector")
        return FlattenLayer(), (int(np.prod(at.shape)),)

    def nodes(self, layer, w, b, swap):
        return [Node(Flatten())]

    def words(self, layer):
        return "flatten: the maps as one vector in channel, row, column order"

    def forward_one(self, ex, sec, l, s):
        names = ex.maps
        sec.add(Equation([names.whole("h", l, s=s),
                          Call("flatten", (names.whole("h", l - 1, s=s),)), Mat(ex.ls(l).h[s])]))

    def forward_summary(self, ex, sec, l):
        for s in range(ex.N):
            self.forward_one(ex, sec, l, s)

    def backward_layer(self, ex, sec, l):
        names = ex.maps
        sec.add(Paragraph("Flatten only reorders: ", d(J, names.whole("h", l - 1)),
                          " is ", d(J, names.whole("h", l)), " put back as maps:"))
        input_gradient_maps(ex, sec, l)

    def backward_summary(self, ex, sec, l):
        input_gradient_maps(ex, sec, l)
