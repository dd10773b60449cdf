"""The symbols of a network's values: units of vectors (x, a⁽ˡ⁾ⱼ, h⁽ˡ⁾ⱼ, w⁽ˡ⁾ⱼ,ₖ, ŷₖ) and cells
of maps (h⁽ˡ⁾ at channel, row, column; K⁽ˡ⁾), with [s] for a sample of a batch."""

from __future__ import annotations

import numpy as np

from ....expr import Seq, Sym, Text


class Names:
    """Symbols of the network: x, a⁽ˡ⁾ⱼ, h⁽ˡ⁾ⱼ, w⁽ˡ⁾ⱼ,ₖ, b⁽ˡ⁾ⱼ, ŷₖ, yₖ (with [s] for a sample)."""

    def __init__(self, problem):
        self.sizes = [int(np.prod(s)) for s in problem.shapes]    # a map's: its cells
        self.L = len(problem.layers)
        self.batch = problem.batch and problem.X.shape[0] > 1
        self.layers = problem.layers
        self.defined: set = set()      # σ and softmax, defined where first used

    def _ix(self, size, j):
        return None if size == 1 or j is None else j + 1

    def tag(self, sym, s):
        if s is None or not self.batch:
            return sym
        return Seq((sym, Text(f"[{s + 1}]")), sep="")

    def unit(self, name, l, j=None, s=None):
        """a or h of layer l (h of layer 0 is the input x)."""
        if name == "h" and l == 0:
            return self.tag(Sym("x", sub=self._ix(self.sizes[0], j)), s)
        return self.tag(Sym(name, sup=l, sub=self._ix(self.sizes[l], j)), s)

    def vec(self, name, l):
        """The whole vector: x, a⁽ˡ⁾, h⁽ˡ⁾."""
        return Sym("x") if (name == "h" and l == 0) else Sym(name, sup=l)

    def out(self, name, k=None, s=None):
        """ŷₖ or yₖ."""
        return self.tag(Sym("y", hat=(name == "yhat"), sub=self._ix(self.sizes[-1], k)), s)

    def w(self, l, j, k):
        return Sym("w", sup=l, sub=(j + 1, k + 1))

    def b(self, l, j):
        return Sym("b", sup=l, sub=self._ix(self.sizes[l], j))

    def param(self, l, which, idx=None):
        """A parameter of layer l (``W``: the first, ``b``: the second: a batch norm's γ and
        β, a conv layer's K and b), one element or the whole."""
        from . import of
        layer = self.layers[l - 1]
        return of(layer).symbol(layer, l, which, idx)


class MapNames:
    """Symbols of map cells: h⁽ˡ⁾ (x for l = 0), a⁽ˡ⁾, K⁽ˡ⁾, b⁽ˡ⁾, indices 1-based; a channel
    index only where there are several channels; [s] for a sample of a batch."""

    def __init__(self, shapes, batch: bool):
        self.shapes = shapes          # per layer l (0: the input): output shape, no sample axis
        self.batch = batch

    def tag(self, sym, s):
        if s is None or not self.batch:
            return sym
        return Seq((sym, Text(f"[{s + 1}]")), sep="")

    def _sub(self, shape, idx):
        if len(shape) == 3 and shape[0] == 1:
            idx = idx[1:]
        elif len(shape) == 1 and shape[0] == 1:
            return None
        ix = tuple(i + 1 for i in idx)
        return ix if len(ix) > 1 else ix[0]

    def cell(self, name, l, idx, s=None):
        """h or a of layer l at idx (channel, row, col) or (unit,)."""
        sub = self._sub(self.shapes[l], idx)
        sym = Sym("x", sub=sub) if (name == "h" and l == 0) else Sym(name, sup=l, sub=sub)
        return self.tag(sym, s)

    def whole(self, name, l, c=None, s=None):
        """The map (of channel c, when there are several) or the vector."""
        shape = self.shapes[l]
        sub = c + 1 if (c is not None and len(shape) == 3 and shape[0] > 1) else None
        sym = Sym("x", sub=sub) if (name == "h" and l == 0) else Sym(name, sup=l, sub=sub)
        return self.tag(sym, s)

    @staticmethod
    def kernel(l, K, f, c=None, u=None, v=None):
        """K⁽ˡ⁾ (of filter f, channel c), or one weight of it."""
        F, C = K.shape[:2]
        idx = ([f + 1] if F > 1 else []) + ([c + 1] if (C > 1 and c is not None) else [])
        if u is not None:
            idx += [u + 1, v + 1]
        sub = tuple(idx) if len(idx) > 1 else (idx[0] if idx else None)
        return Sym("K", sup=l, sub=sub)

    @staticmethod
    def bias(l, F, f):
        return Sym("b", sup=l, sub=f + 1 if F > 1 else None)


class Writing:
    """What a layer type's explanation reads: the problem, the step, the symbols."""

    def __init__(self, problem, step, names: Names | None = None, maps: MapNames | None = None):
        from . import of
        self.problem, self.step, self.names, self.maps = problem, step, names, maps
        self.L = len(problem.layers)
        self.N = step.X.shape[0]
        self.batch = problem.batch and self.N > 1
        self._of = of
        self._noted = False      # the note on the subgradient at w = 0, once a step

    def pick(self, x):
        """Every sample's rows in a batch, else the one sample's."""
        return x if self.batch else x[0]

    def zero_weight_note(self, sec, W) -> None:
        """Once a step: a weight exactly 0 where |w|ᵖ (p ≤ 1) has no derivative takes the
        subgradient 0."""
        reg = self.problem.regularization
        if self._noted or reg is None or reg[0] > 1 or not np.any(np.asarray(W) == 0):
            return
        from ...regularize.solve import _zero_note
        sec.add(_zero_note(reg[0], Sym("w")))
        self._noted = True

    def layer(self, l: int):
        return self.problem.layers[l - 1]

    def ls(self, l: int):
        return self.step.layers[l - 1]

    def type(self, l: int):
        return self._of(self.problem.layers[l - 1])

    def per_sample(self, x):
        """A value of every sample, or (a single `input`) of the one sample."""
        return x if self.problem.batch or x is None else x[0]

    def h_before(self, l: int):
        """The input of layer l, rows of samples (the network's input for l = 1)."""
        return self.step.X if l == 1 else self.step.layers[l - 2].h
