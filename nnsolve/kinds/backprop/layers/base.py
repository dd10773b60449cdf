"""What every layer type of a backprop network defines, and the table that names them.

A layer type is one subclass of ``LayerType`` with ``@layer_type`` above it, in one module of
this package. The hooks, in the order a problem meets them:

- reading: ``matches(item)`` says whether a layer item of a problem is of this type;
  ``read(item, at)`` checks it and returns (the layer, its output shape for one sample);
- solving: ``nodes(layer, params, swap)`` the operations of ``nnsolve/ops`` it runs, each with
  a student's mistakes swapped in by ``swap``; ``step_values(nodes)`` the values a step names
  (a, h, f′(a) and their gradients);
- explaining: ``words``, ``forward_one``, ``forward_summary``, ``backward_layer``,
  ``backward_summary``, ``symbol``, ``network_params``, ``new_params`` write its part of the
  solution with ``nnsolve/expr`` formulas (never printed here: renderers do that);
- JSON: ``data`` is its entry of a step's ``layers``.

A layer read from a problem is a small dataclass with ``type`` (the key), ``W`` and ``b`` (its
two parameters, or None) and ``activation`` (a ``kinds.common.Activation``, linear if it has
none).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ....expr import Deriv, Frac, Mat, Num, Seq, Sym, Text
from ....solution import Equation, Paragraph, Section

_TABLE: dict = {}

J = Sym("J")


def layer_type(cls):
    """Class decorator: register a layer type under ``cls.key``."""
    _TABLE[cls.key] = cls()
    return cls


def registered() -> dict:
    return _TABLE


@dataclass
class Reading:
    """Where a layer item is read: its index i (0-based), the shape of one sample's input
    (C×H×W maps or a vector; None for the first layer of a network of dense layers, whose
    input is read after it), whether it is the last layer, and the layers read before it."""

    i: int
    shape: tuple | None
    last: bool
    before: list

    def input_words(self) -> str:
        """"the input of layer 3 is 2×4×4" (for errors)."""
        return f"the input of layer {self.i + 1} is {times(self.shape)}"

    def need_maps(self, ld, what: str) -> None:
        """Refuse a layer that slides windows over maps where its input is a vector."""
        if len(self.shape) != 3:
            raise ld.error(f"a {what} layer needs C×H×W maps, but the input of layer "
                           f"{self.i + 1} is a vector of {self.shape[0]}; conv and pool layers "
                           f"come before flatten")


class LayerType:
    """The defaults: a layer of one operation, no parameters, no activation of its own."""

    key = ""                   # the item's key in a problem and "type" in the JSON
    order = 50                 # where it is listed among the types (errors, README)
    hint = ""                  # how "expected a layer" names its mapping (`conv:`)
    words_alone: tuple = ()    # bare words an item may be (`- flatten`)
    fallback = False           # an item that matches no other type is of this one (dense)
    params: tuple = ()         # its two parameters' names (JSON and optimizer state): W, b
    penalized = False          # `regularization` covers its first parameter (weights, kernels)
    frozen_by_update_bias = True   # `update_bias: false` keeps its second parameter
    update_bias_note: str | None = None   # what `update_bias: false` still updates, said
    on_maps = False            # it needs C×H×W maps: a network with it starts on an image
    maps_or_vector = False     # it works on both alike (the next layers tell the input's kind)
    fully_connected = False    # a network of such layers only is drawn unit by unit
    batchwise = False          # it computes over the whole batch (the sheet goes layer by layer)
    sums_inputs = False        # its ∂J/∂(input) is written in the layer below's section
    has_activation = False     # a linear part a, then h = f(a) (dense, conv)

    # --- reading ---------------------------------------------------------------------------
    def matches(self, ld) -> bool:
        if ld.is_scalar and not ld.is_null:
            return ld.node.value in self.words_alone
        return ld.is_map and ld.has(self.key)

    def read(self, ld, at: Reading):
        """(the layer, the shape of one sample's output)."""
        raise NotImplementedError

    def inferred_input(self, layer) -> tuple | None:
        """The first layer of a network of vectors: the input's shape it implies (None: it
        cannot come first)."""
        return None

    def check_samples(self, ld, layer, shape, N: int) -> None:
        """Refuse a batch of N samples the layer cannot compute on (its input ``shape``)."""

    # --- solving ---------------------------------------------------------------------------
    def nodes(self, layer, w, b, swap) -> list:
        """The engine's nodes of the layer, with parameters w and b; ``swap(op)`` is the op
        with the student's mistakes being checked swapped in."""
        raise NotImplementedError

    def step_values(self, nodes) -> dict:
        """The values a step keeps of the layer (``solve.LayerStep``'s fields)."""
        first, last = nodes[0], nodes[-1]
        if self.has_activation:       # a linear op, then its activation
            return dict(a=first.y, h=last.y, dJ_dh=last.g, fprime=last.cache, dJ_da=first.g)
        return dict(a=None, h=first.y, dJ_dh=first.g)

    def output_activation(self, layer) -> str:
        """The activation the loss sees when this layer is the output."""
        return layer.activation.name if self.has_activation else "linear"

    def output_words(self, layer) -> str:
        """What the output layer is, for the loss's error ("layer 3 is relu")."""
        return self.output_activation(layer)

    def loss_misfit(self, layer, loss: str, need: str, n: int) -> str | None:
        """Why this layer cannot be the output of ``loss``, which needs a ``need`` output
        layer (None: it is checked by its output activation)."""
        return None

    def work(self, layer, out_shape) -> int:
        """Multiply-adds of one sample's forward pass (for the size check)."""
        return 0

    def parameter_count(self, layer) -> int:
        return sum(0 if p is None else p.size for p in (layer.W, layer.b))

    # --- explaining ------------------------------------------------------------------------
    def words(self, layer) -> str | None:
        """What the layer is, in one line ("max pooling over 2×2 windows, stride 2")."""
        return None

    def shown_activation(self, layer):
        """The activation shown in the network's table (None: the cell stays empty)."""
        return layer.activation if self.has_activation else None

    def symbol(self, layer, l: int, which: str, idx=None):
        """A parameter of layer l (``W``: the first, ``b``: the second), one element or all."""
        return Sym(which, sup=l)

    def forward_one(self, ex, sec, l: int, s: int) -> None:
        """Layer l's forward pass for sample s, in full."""
        raise NotImplementedError

    def forward_sample(self, ex, sec, l: int, s: int) -> None:
        """Layer l for sample s in a sheet written sample by sample."""
        w = self.words(ex.layer(l))
        sec.add(Paragraph(f"Layer {l}:" if w is None else f"Layer {l}, {w}:"))
        self.forward_one(ex, sec, l, s)

    def forward_batch(self, ex, sec, l: int) -> None:
        """Layer l for every sample, in a sheet written layer by layer."""
        lsec = Section(f"Layer {l}")
        sec.add(lsec)
        w = self.words(ex.layer(l))
        if w is not None:
            lsec.add(Paragraph(f"{w[0].upper()}{w[1:]}:"))
        for s in range(ex.N):
            self.forward_one(ex, lsec, l, s)

    def forward_summary(self, ex, sec, l: int) -> None:
        raise NotImplementedError

    def backward_full(self, ex, sec, l: int) -> None:
        """Layer l's backward pass in full, in a section of its own."""
        lsec = Section(f"Layer {l}")
        sec.add(lsec)
        if l < ex.L and ex.type(l + 1).sums_inputs:
            ex.type(l + 1).gradient_below(ex, lsec, l)
        self.backward_layer(ex, lsec, l)

    def backward_layer(self, ex, sec, l: int) -> None:
        raise NotImplementedError

    def backward_summary(self, ex, sec, l: int) -> None:
        raise NotImplementedError

    def gradient_below(self, ex, sec, l: int) -> None:
        """(A type with ``sums_inputs``) ∂J/∂h of layer l, the one below it, written there."""
        raise NotImplementedError

    def fed_words(self, l: int) -> str:
        """How a dense layer below says it feeds this one, layer l (whose backward pass has
        given its input's gradient)."""
        return f"Layer {l - 1} feeds layer {l}, whose gradient at its input is this layer's ∂J/∂h"

    def network_params(self, ex, sec, l: int) -> None:
        """The layer's parameters as given, in the section on the network."""
        layer = ex.layer(l)
        for which, p in (("W", layer.W), ("b", layer.b)):
            if p is not None:
                sec.add(Equation([self.symbol(layer, l, which), val(p)]))

    def vector_row(self, layer, l: int, n_in: int, n_out: int) -> list:
        """The row of the table of a fully connected network: layer, inputs, units,
        activation, bias."""
        return [f"{l}", str(n_in), str(n_out), self.key, "no"]

    def new_params(self, ex, sec, l: int, full: bool, descent) -> None:
        """The updated parameters at the end of a step of plain gradient descent;
        ``descent(θ)`` is θ − η ∂J/∂θ written with symbols."""
        ls, layer = ex.ls(l), ex.layer(l)
        for which, new in (("W", ls.W_new), ("b", ls.b_new)):
            if new is None:
                continue
            p = self.symbol(layer, l, which)
            frozen = which == "b" and self.frozen_by_update_bias and \
                not ex.problem.update_bias
            if full or frozen:
                sec.add(Equation([p, val(new)]))
            else:
                sec.add(Equation([p, descent(p), val(new)], rels=["←", "="]))

    def data(self, ex, ls, layer) -> dict:
        """The layer's entry in a step's JSON ``layers`` (without the optimizer's state)."""
        return {"type": self.key, "h": ex.per_sample(ls.h), "dJ_dh": ex.per_sample(ls.dJ_dh)}


# --- small pieces the layer types share -------------------------------------------------------

def d(f, x) -> Deriv:
    return Deriv(f, x)


def val(arr):
    """A number for a single value, else a matrix (column vector for 1-D)."""
    a = np.asarray(arr)
    return Num(a.ravel()[0]) if a.size == 1 else Mat(a)


def times(shape) -> str:
    return "×".join(str(n) for n in shape)


def plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("s" if n != 1 else "")


def one_over(n) -> Frac:
    """1/n, written as a fraction."""
    return Frac(Num(1), Num(n))


def inline(parts):
    """A short chain a = b = c for running text."""
    return Seq(tuple(p for i, x in enumerate(parts) for p in ((Text(" = "), x) if i else (x,))),
               sep="")


SYMBOLS_WRITTEN = 3      # a sum of products is written with its symbols up to this many terms
TERMS_WRITTEN = 12       # and with its numbers up to this many


def add_all(terms):
    """a + b + c, the one term alone, or 0 for none."""
    from ....expr import Add
    return Add(tuple(terms)) if len(terms) > 1 else (terms[0] if terms else Num(0))


def pair_words(pair) -> str:
    """"2", or "2 (rows), 1 (columns)"."""
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]} (rows), {pair[1]} (columns)"


def input_gradient_maps(ex, sec, l: int) -> None:
    """∂J/∂(the input of layer l), map by map (channel by channel), for every sample."""
    ls = ex.ls(l)
    for s in range(ex.N):
        for c in range(ls.dJ_dx.shape[1]):
            sec.add(Equation([d(J, ex.maps.whole("h", l - 1, c, s)), Mat(ls.dJ_dx[s, c])]))
