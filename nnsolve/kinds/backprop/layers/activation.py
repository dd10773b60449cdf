"""An activation alone as a layer, h = f(x) value by value on the layer before's output (maps or
a vector): conv → batch norm → ReLU → pool can be written as courses do.

    - activation: relu         # any activation of the registry but softmax

It has no parameters; its JSON entry is {"type": "activation", "activation", "h", "dJ_dh",
"dJ_da"} with dJ_da the gradient at its input.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ....expr import Call, Mat, Mul
from ....ops.activations import activation_op
from ....ops.engine import Node
from ....solution import Equation, Paragraph
from ...common import Activation, parse_activation
from .base import J, LayerType, d, layer_type, val


@dataclass
class ActivationLayer:
    """An activation alone, h = f(x) elementwise on the layer before's output (units or
    C×H×W maps); no parameters."""

    activation: Activation
    W: object = None
    b: object = None
    type: str = "activation"


@layer_type
class ActivationType(LayerType):
    key = "activation"
    order = 4
    hint = "`activation:` alone"
    maps_or_vector = True

    def matches(self, ld):
        return ld.is_map and ld.has("activation") and not ld.has("weights") \
            and not ld.has("conv")

    def read(self, ld, at):
        from ....ops.registry import activation_names
        if at.i == 0:
            raise ld.error("an activation layer acts on the output of the layer before it: it "
                           "cannot be the first layer")
        ld.keys(["activation"], required=["activation"])
        ad = ld["activation"]
        name_doc = ad["name"] if ad.is_map and ad.get("name") is not None else ad
        if name_doc.is_scalar and name_doc.node.value in activation_names(with_aliases=True) \
                and name_doc.node.value not in activation_names(conv=True, with_aliases=True):
            raise name_doc.error(f"{name_doc.node.value} cannot be an activation layer: write "
                                 f"`activation: {name_doc.node.value}` on the output dense layer")
        return ActivationLayer(parse_activation(ad, allow_softmax=False)), at.shape

    def nodes(self, layer, w, b, swap):     # the op a dense layer's activation would be
        return [Node(swap(activation_op(layer.activation)))]

    def step_values(self, nodes):          # a = its input, h = f(a); ∂J/∂a: ∂J/∂(its input)
        n = nodes[0]
        return dict(a=n.x, h=n.y, dJ_dh=n.g, fprime=n.cache, dJ_da=n.gx)

    def loss_misfit(self, layer, loss, need, n):
        return (f"{loss} needs a {need} output layer: write `activation: {need}` on the last "
                f"dense layer, not an activation layer after it (layer {n})")

    def shown_activation(self, layer):
        return layer.activation

    def fed_words(self, l):
        return (f"Layer {l - 1} feeds the activation layer {l}, whose gradient at its input is "
                f"this layer's ∂J/∂h")

    def words(self, layer):
        return f"the activation {activation_op(layer.activation).name} alone, applied to each " \
               "value of its input"

    def vector_row(self, layer, l, n_in, n_out):
        return [f"{l}", str(n_in), str(n_out), layer.activation.name, "no"]

    def forward_one(self, ex, sec, l, s):
        """h⁽ˡ⁾ = f(h⁽ˡ⁻¹⁾), value by value (a conv layer's activation part, on its input)."""
        names, layer, ls = ex.maps, ex.layer(l), ex.ls(l)
        act = activation_op(layer.activation)
        for c in _channels(ls):
            h, x = names.whole("h", l, c, s), names.whole("h", l - 1, c, s)
            sec.add(Equation([h, x if act.identity else Call(act.name, (x,)),
                              _part(ls.h, s, c)]))

    def forward_summary(self, ex, sec, l):
        ls = ex.ls(l)
        if np.ndim(ls.h) == 2:        # a vector per sample: rows of samples, as dense layers
            act = activation_op(ex.layer(l).activation)
            h, x = ex.names.vec("h", l), ex.names.vec("h", l - 1)
            sec.add(Equation([h, x if act.identity else Call(act.name, (x,)),
                              val(ex.pick(ls.h))]))
            return
        for s in range(ex.N):
            self.forward_one(ex, sec, l, s)

    def backward_layer(self, ex, sec, l):
        sec.add(Paragraph(f"Layer {l} applies {activation_op(ex.layer(l).activation).name} to "
                          "each value, so each value's gradient is multiplied by the derivative "
                          "at its input:"))
        for s in range(ex.N):
            _backward(ex, sec, l, s, numbers=True)

    def backward_summary(self, ex, sec, l):
        ls = ex.ls(l)
        if np.ndim(ls.h) == 2:        # rows of samples, as dense layers
            act = activation_op(ex.layer(l).activation)
            h, x = ex.names.vec("h", l), ex.names.vec("h", l - 1)
            rhs = d(J, h) if act.identity else \
                Mul((d(J, h), Call(act.name, (x,), prime=True)), "hadamard")
            sec.add(Equation([d(J, x), rhs, val(ex.pick(ls.dJ_da))]))
            return
        for s in range(ex.N):
            _backward(ex, sec, l, s, numbers=False)

    def data(self, ex, ls, layer):
        one = ex.per_sample
        out = {"type": "activation", "activation": layer.activation.name, "h": one(ls.h),
               "dJ_dh": one(ls.dJ_dh), "dJ_da": one(ls.dJ_da)}
        if layer.activation.alpha is not None:
            out["alpha"] = layer.activation.alpha
        return out


def _channels(ls):
    """The channels of an activation layer's values (None once: a vector)."""
    return range(ls.h.shape[1]) if np.ndim(ls.h) == 4 else [None]


def _part(arr, s, c):
    return Mat(arr[s]) if c is None else Mat(arr[s, c])


def _backward(ex, sec, l, s, numbers: bool):
    """∂J/∂h⁽ˡ⁻¹⁾ = ∂J/∂h⁽ˡ⁾ ⊙ f′(h⁽ˡ⁻¹⁾) (as a conv layer's ∂J/∂a through its activation),
    the two factors written out as matrices when ``numbers``."""
    names, ls = ex.maps, ex.ls(l)
    act = activation_op(ex.layer(l).activation)
    for c in _channels(ls):
        h, x = names.whole("h", l, c, s), names.whole("h", l - 1, c, s)
        if act.identity:
            sec.add(Equation([d(J, x), d(J, h), _part(ls.dJ_da, s, c)]))
            continue
        parts = [d(J, x), Mul((d(J, h), Call(act.name, (x,), prime=True)), "hadamard")]
        if numbers:
            parts.append(Mul((_part(ls.dJ_dh, s, c), _part(ls.fprime, s, c)), "hadamard"))
        parts.append(_part(ls.dJ_da, s, c))
        sec.add(Equation(parts))
