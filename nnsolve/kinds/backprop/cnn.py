"""Writing out the CNN layers of a backprop step (conv, pool, flatten) window by window, in the
manner of ``nnsolve conv``: each forward window's products and sum, each pooling window, then
backward the max-pool routing and avg-pool spreading, ∂J/∂a through the activation, every kernel
weight's gradient as a sum of products, ∂J/∂b, and ∂J/∂(the layer's input) cell by cell.

A formula that shows symbols and then numbers is written once, as a function of ``at(symbol,
value)`` (``expr.both``), so the two lines cannot disagree.
"""

from __future__ import annotations

import numpy as np

from ...expr import Add, Call, Deriv, Mat, Mul, Norm, Num, Paren, Rel, Seq, Sym, Text, both, \
    mul
from ...solution import Equation, Grid, Paragraph, Section, Table
from ...ops import pnorm
from ...ops.conv import patch, slid_kernels, window_cells, window_sum
from ...ops.update import GradientDescent

J = Sym("J")
SYMBOLS_WRITTEN = 3      # a sum of products is written with its symbols up to this many terms
TERMS_WRITTEN = 12       # and with its numbers up to this many


def d(f, x):
    return Deriv(f, x)


def _sum(terms):
    return Add(tuple(terms)) if len(terms) > 1 else (terms[0] if terms else Num(0))


def _words(pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]} (rows), {pair[1]} (columns)"


def _times(shape) -> str:
    return "×".join(str(n) for n in shape)


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


def layer_words(layer) -> str:
    """One line on what a CNN layer is."""
    if layer.type == "conv":
        op = layer.op
        F, C, kh, kw = layer.W.shape
        (pt, pb), (pl, pr) = op.padding
        pad = str(pt) if len({pt, pb, pl, pr}) == 1 else f"{pt} top, {pb} bottom, {pl} left, " \
                                                          f"{pr} right"
        what = "a convolution, the kernel rotated by 180°" if op.mode == "convolution" else \
            "a cross-correlation, the kernel not flipped (as deep-learning layers compute)"
        return (f"convolution with {F} filter{'s' * (F != 1)} of {C}×{kh}×{kw}, stride "
                f"{_words(op.stride)}, padding {pad}"
                + (f" (\"{layer.padding_rule}\")" if layer.padding_rule else "")
                + f", dilation {_words(op.dilation)}; {what}")
    if layer.type == "pool":
        pool = layer.op.pool
        extra = "" if pool.padding == ((0, 0), (0, 0)) else ", padding left out of each window"
        if pool.ceil_mode:
            extra += ", ceil mode"
        return (f"{'max' if pool.type == 'max' else 'average'} pooling over "
                f"{_times(pool.size)} windows, stride {_words(pool.stride)}{extra}")
    if layer.type == "activation":
        return f"the activation {_act(layer).name} alone, applied to each value of its input"
    return "flatten: the maps as one vector in channel, row, column order"


def _act(layer):
    from ...ops.activations import activation_op
    return activation_op(layer.activation)


# --- forward -----------------------------------------------------------------------------------

def forward_layer(sec, names, l, layer, ls, s, full_windows: bool = True):
    """Layer l of a CNN for sample s, window by window."""
    sec.add(Paragraph(f"Layer {l}, {layer_words(layer)}:"))
    sample_forward(sec, names, l, layer, ls, s, full_windows)


def sample_forward(sec, names, l, layer, ls, s, full_windows: bool):
    """What a conv, pool, activation or flatten layer computes for sample s."""
    if layer.type == "conv":
        conv_forward(sec, names, l, layer, ls, s, full_windows)
    elif layer.type == "pool":
        pool_forward(sec, names, l, layer, ls, s, full_windows)
    elif layer.type == "activation":
        activation_layer_forward(sec, names, l, layer, ls, s)
    else:
        sec.add(Equation([names.whole("h", l, s=s),
                          Call("flatten", (names.whole("h", l - 1, s=s),)), Mat(ls.h[s])]))


def input_maps(sec, names, X):
    """The input maps of every sample (x, or x[s] in a batch; a subscript is the channel)."""
    for s in range(X.shape[0]):
        for c in range(X.shape[1]):
            sec.add(Equation([names.whole("h", 0, c, s), Mat(X[s, c])]))


def forward_layer_batch(sec, names, l, layer, ls):
    """Layer l of a CNN for every sample of the batch in turn (a network written layer by
    layer, as one with a batch norm is), window by window."""
    words = layer_words(layer)
    sec.add(Paragraph(f"{words[0].upper()}{words[1:]}:"))
    for s in range(ls.h.shape[0]):
        sample_forward(sec, names, l, layer, ls, s, True)


def forward_summary(sec, names, l, layer, ls, batch: bool):
    """Layer l of a CNN, its maps only (each sample of a batch)."""
    for s in range(ls.h.shape[0]):
        if layer.type == "conv":
            for f in range(ls.a.shape[1]):
                sec.add(Equation([names.whole("a", l, f, s), Mat(ls.a[s, f])]))
            _activation_forward(sec, names, l, ls, s, _act(layer))
        elif layer.type == "pool":
            for c in range(ls.h.shape[1]):
                sec.add(Equation([names.whole("h", l, c, s), Mat(ls.h[s, c])]))
        elif layer.type == "activation":
            activation_layer_forward(sec, names, l, layer, ls, s)
        else:
            sec.add(Equation([names.whole("h", l, s=s),
                              Call("flatten", (names.whole("h", l - 1, s=s),)), Mat(ls.h[s])]))


def conv_forward(sec, names, l, layer, ls, s, full_windows: bool):
    """a⁽ˡ⁾ window by window (the products and their sum), then h⁽ˡ⁾ = f(a⁽ˡ⁾)."""
    op, K = layer.op, ls.W
    F, C, kh, kw = K.shape
    Xp = ls.nodes[0].cache[s]          # the padded input, as the op slid over it
    Kf = slid_kernels(K, op.mode)
    if op.mode == "convolution":
        for f in range(F):
            for c in range(C):
                sec.add(Equation([Call("rot180", (MapNames.kernel(l, K, f, c),)),
                                  Mat(Kf[f, c])]))
    if op.padding != ((0, 0), (0, 0)):
        for c in range(C):
            sec.add(Equation([Call("pad", (names.whole("h", l - 1, c, s),)), Mat(Xp[c])]))
    Ho, Wo = ls.a.shape[2:]
    b = ls.b
    for f in range(F):
        if full_windows:
            for i in range(Ho):
                for j in range(Wo):
                    cells = window_cells(i, j, (kh, kw), op.stride, op.dilation)
                    sec.add(Grid(Xp[0], frozenset(cells)))
                    xs = patch(Xp, i, j, (kh, kw), op.stride, op.dilation).ravel()
                    ws = Kf[f].ravel()
                    tail = (Num(b[f]),) if b is not None else ()
                    parts = [names.cell("a", l, (f, i, j), s)]
                    if len(xs) <= TERMS_WRITTEN:
                        parts.append(window_sum(xs, ws, b[f] if b is not None else None))
                    else:      # long sums: the products that are not 0 (seed eq. 53)
                        kept = [Num(xv * wv) for xv, wv in zip(xs, ws) if xv * wv != 0]
                        parts.append(_sum(kept + list(tail)))
                    parts.append(Num(ls.a[s, f, i, j]))
                    sec.add(Equation(parts))
        sec.add(Equation([names.whole("a", l, f, s), Mat(ls.a[s, f])]))
    _activation_forward(sec, names, l, ls, s, _act(layer))


def _activation_forward(sec, names, l, ls, s, act):
    for f in range(ls.h.shape[1]):
        h, a = names.whole("h", l, f, s), names.whole("a", l, f, s)
        if act.identity:
            sec.add(Equation([h, a, Mat(ls.h[s, f])]))
        else:
            sec.add(Equation([h, Call(act.name, (a,)), Mat(ls.h[s, f])]))


def _channels(ls):
    """The channels of an activation layer's values (None once: a vector)."""
    return range(ls.h.shape[1]) if np.ndim(ls.h) == 4 else [None]


def _part(arr, s, c):
    return Mat(arr[s]) if c is None else Mat(arr[s, c])


def activation_layer_forward(sec, names, l, layer, ls, s):
    """h⁽ˡ⁾ = f(h⁽ˡ⁻¹⁾), value by value (a conv layer's activation part, on its input)."""
    act = _act(layer)
    for c in _channels(ls):
        h, x = names.whole("h", l, c, s), names.whole("h", l - 1, c, s)
        sec.add(Equation([h, x if act.identity else Call(act.name, (x,)), _part(ls.h, s, c)]))


def activation_layer_backward(sec, names, l, layer, ls, s, numbers: bool = True):
    """∂J/∂h⁽ˡ⁻¹⁾ = ∂J/∂h⁽ˡ⁾ ⊙ f′(h⁽ˡ⁻¹⁾) (as a conv layer's ∂J/∂a through its activation),
    the two factors written out as matrices when ``numbers``."""
    act = _act(layer)
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


def pool_forward(sec, names, l, layer, ls, s, full_windows: bool):
    """Each window's max or mean (padding left out), then the pooled maps."""
    pool = layer.op.pool
    x = ls.x[s]
    C, H, W = x.shape
    for c in range(C):
        if full_windows:
            for w in pool.windows(H, W):
                sec.add(Equation([names.cell("h", l, (c, w.row, w.col), s),
                                  pool.value_expr([x[c, r, q] for r, q in w.cells]),
                                  Num(ls.h[s, c, w.row, w.col])]))
        sec.add(Equation([names.whole("h", l, c, s), Mat(ls.h[s, c])]))


# --- backward ----------------------------------------------------------------------------------

def backward_layer(sec, names, l, layer, ls, reg):
    """The backward pass through layer l of a CNN, every sample."""
    N = ls.h.shape[0]
    if layer.type == "flatten":
        sec.add(Paragraph("Flatten only reorders: ", d(J, names.whole("h", l - 1)),
                          " is ", d(J, names.whole("h", l)), " put back as maps:"))
        for s in range(N):
            for c in range(ls.dJ_dx.shape[1]):
                sec.add(Equation([d(J, names.whole("h", l - 1, c, s)), Mat(ls.dJ_dx[s, c])]))
    elif layer.type == "pool":
        for s in range(N):
            pool_backward(sec, names, l, layer, ls, s, s == 0)
    elif layer.type == "activation":
        sec.add(Paragraph(f"Layer {l} applies {_act(layer).name} to each value, so each value's "
                          "gradient is multiplied by the derivative at its input:"))
        for s in range(N):
            activation_layer_backward(sec, names, l, layer, ls, s)
    else:
        conv_backward(sec, names, l, layer, ls, reg)
        for s in range(N):
            conv_input_gradient(sec, names, l, layer, ls, s, s == 0)


def backward_summary(sec, names, l, layer, ls, reg):
    """The backward pass through layer l of a CNN, as maps only."""
    N = ls.h.shape[0]
    if layer.type == "activation":
        for s in range(N):
            activation_layer_backward(sec, names, l, layer, ls, s, numbers=False)
        return
    if layer.type == "conv":
        act = _act(layer)
        for s in range(N):
            for f in range(ls.a.shape[1]):
                a, h = names.whole("a", l, f, s), names.whole("h", l, f, s)
                rhs = d(J, h) if act.identity else \
                    Mul((d(J, h), Call(act.name, (a,), prime=True)), "hadamard")
                sec.add(Equation([d(J, a), rhs, Mat(ls.dJ_da[s, f])]))
        K = ls.W
        for f in range(K.shape[0]):
            for c in range(K.shape[1]):
                sec.add(Equation([d(J, MapNames.kernel(l, K, f, c)), Mat(ls.dJ_dW[f, c])]))
        if ls.b is not None:
            sec.add(Equation([d(J, Sym("b", sup=l)), val(ls.dJ_db)]))
    for s in range(N):
        for c in range(ls.dJ_dx.shape[1]):
            sec.add(Equation([d(J, names.whole("h", l - 1, c, s)), Mat(ls.dJ_dx[s, c])]))


def val(arr):
    a = np.asarray(arr)
    return Num(a.ravel()[0]) if a.size == 1 else Mat(a)


def pool_backward(sec, names, l, layer, ls, s, first: bool):
    """∂J/∂(input) of a pool: max routes each window's gradient to its first maximum, avg
    spreads it over the window's cells; a cell in several windows adds what each gives it."""
    pool = layer.op.pool
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
                    Equation_inline([names.cell("h", l - 1, (c, r, q), s), Num(best)]),
                    (f", shared by {vals.count(best)} cells: the first in row-major order "
                     "takes") if tie else ", which takes", " ",
                    Equation_inline([src, Num(gv)]), "."))
            else:
                n = w.count
                share = gv / n
                sec.add(Paragraph(
                    "Window of ", names.cell("h", l, (c, w.row, w.col), s), f": each of its {n} "
                    "cells takes ", Equation_inline([Mul((Frac1(n), src), "juxt"),
                                                     Mul((Frac1(n), Num(gv)), "juxt"),
                                                     Num(share)]), "."))
    for c in range(C):
        sec.add(Equation([d(J, names.whole("h", l - 1, c, s)), Mat(ls.dJ_dx[s, c])]))


def Frac1(n):
    from ...expr import Frac
    return Frac(Num(1), Num(n))


def Equation_inline(parts):
    """A short chain a = b = c for running text."""
    return Seq(tuple(p for i, x in enumerate(parts) for p in ((Text(" = "), x) if i else (x,))),
               sep="")


def conv_backward(sec, names, l, layer, ls, reg):
    """∂J/∂a through the activation, ∂J/∂K per weight as a sum of products, ∂J/∂b."""
    op, K = layer.op, ls.W
    F, C, kh, kw = K.shape
    N = ls.a.shape[0]
    act = _act(layer)
    (sh, sw), (dh, dw) = op.stride, op.dilation
    Ho, Wo = ls.a.shape[2:]
    for s in range(N):
        for f in range(F):
            a, h = names.whole("a", l, f, s), names.whole("h", l, f, s)
            if act.identity:
                sec.add(Equation([d(J, a), d(J, h), Mat(ls.dJ_da[s, f])]))
            else:
                sec.add(Equation([d(J, a),
                                  Mul((d(J, h), Call(act.name, (a,), prime=True)), "hadamard"),
                                  Mul((Mat(ls.dJ_dh[s, f]), Mat(ls.fprime[s, f])), "hadamard"),
                                  Mat(ls.dJ_da[s, f])]))
    Xp = ls.nodes[0].cache
    flip = op.mode == "convolution"
    padded = op.padding != ((0, 0), (0, 0))
    sec.add(Paragraph(
        "Each kernel weight meets one input cell in every window, so its gradient sums ∂J/∂a "
        "times that cell over the windows" + (" and the samples" if N > 1 else "") +
        " where ∂J/∂a is not 0" +
        " (the cross-correlation of the " + ("padded " if padded else "") + "input with ∂J/∂a)"
        + ("; the kernel was slid rotated by 180°, so the gradient of the kernel as written "
           "pairs each weight with the cells of its rotated position" if flip else "") + ":"))
    for f in range(F):
        for c in range(C):
            for u in range(kh):
                for v in range(kw):
                    uu, vv = (kh - 1 - u, kw - 1 - v) if flip else (u, v)   # in the slid kernel
                    # the windows where ∂J/∂a is 0 add nothing: they are left out
                    leaves = [(s, i, j, i * sh + uu * dh, j * sw + vv * dw)
                              for s in range(N) for i in range(Ho) for j in range(Wo)
                              if ls.dJ_da[s, f, i, j] != 0]

                    def build(at):
                        return _sum([mul(at(d(J, names.cell("a", l, (f, i, j), s)),
                                            ls.dJ_da[s, f, i, j]),
                                         at(_padded_cell(names, l - 1, c, r, q, op, s),
                                            Xp[s, c, r, q]))
                                     for s, i, j, r, q in leaves])
                    w = MapNames.kernel(l, K, f, c, u, v)
                    if len(leaves) <= SYMBOLS_WRITTEN:
                        sym, num = both(build)
                    elif len(leaves) <= TERMS_WRITTEN:
                        sym, num = None, both(build)[1]
                    else:
                        sym = None
                        num = _sum([Num(ls.dJ_da[s, f, i, j] * Xp[s, c, r, q])
                                    for s, i, j, r, q in leaves
                                    if ls.dJ_da[s, f, i, j] * Xp[s, c, r, q] != 0])
                    if reg is not None:
                        ps, pn = pnorm.gradient_forms(w, K[f, c, u, v], *reg)
                        sym = Add((sym, ps)) if sym is not None else None
                        num = Add((num, pn))
                    parts = [d(J, w)] + ([sym] if sym is not None else []) + \
                        [num, Num(ls.dJ_dW[f, c, u, v])]
                    sec.add(Equation(parts))
    for f in range(F):
        for c in range(C):
            sec.add(Equation([d(J, MapNames.kernel(l, K, f, c)), Mat(ls.dJ_dW[f, c])]))
    if ls.b is not None:
        sec.add(Paragraph("Each bias is added in every window of its map, so ",
                          d(J, Sym("b")), " sums ∂J/∂a over them:"))
        for f in range(F):
            leaves = [(s, i, j) for s in range(N) for i in range(Ho) for j in range(Wo)
                      if ls.dJ_da[s, f, i, j] != 0]

            def build_b(at):
                return _sum([at(d(J, names.cell("a", l, (f, i, j), s)), ls.dJ_da[s, f, i, j])
                             for s, i, j in leaves])
            parts = [d(J, MapNames.bias(l, F, f))]
            if 1 < len(leaves) <= SYMBOLS_WRITTEN:
                parts += list(both(build_b))
            elif 1 < len(leaves) <= TERMS_WRITTEN:
                parts.append(both(build_b)[1])
            parts.append(Num(ls.dJ_db[f]))
            sec.add(Equation(parts))


def _padded_cell(names, l, c, r, q, op, s):
    """The symbol of padded-input cell (r, q): the input cell, or 0 in the padding."""
    (pt, _), (pl, _) = op.padding
    H, W = names.shapes[l][1:]
    if 0 <= r - pt < H and 0 <= q - pl < W:
        return names.cell("h", l, (c, r - pt, q - pl), s)
    return Num(0)


def conv_input_gradient(sec, names, l, layer, ls, s, first: bool):
    """∂J/∂(the layer's input), each cell the sum over the windows that contain it (the full
    convolution of ∂J/∂a with the flipped kernel)."""
    op, K = layer.op, ls.W
    F, C, kh, kw = K.shape
    Kf = slid_kernels(K, op.mode)
    (sh, sw), (dh, dw) = op.stride, op.dilation
    (pt, _), (pl, _) = op.padding
    Ho, Wo = ls.a.shape[2:]
    H, W = ls.x.shape[2:]
    if first:
        sec.add(Paragraph(
            "Each input cell meets a kernel weight in every window that contains it; its "
            "gradient sums ∂J/∂a times that weight (the full convolution of ∂J/∂a with the "
            "flipped kernel; where ∂J/∂a is 0 the term is left out):"))
    zero = []
    for c in range(C):
        for r in range(H):
            for q in range(W):
                leaves = []
                for f in range(F):
                    for u in range(kh):
                        for v in range(kw):
                            ri, qi = r + pt - u * dh, q + pl - v * dw
                            if ri % sh or qi % sw:
                                continue
                            i, j = ri // sh, qi // sw
                            if 0 <= i < Ho and 0 <= j < Wo and ls.dJ_da[s, f, i, j] != 0:
                                leaves.append((f, i, j, u, v))

                def build(at):
                    return _sum([mul(at(d(J, names.cell("a", l, (f, i, j), s)),
                                        ls.dJ_da[s, f, i, j]),
                                     at(_slid_weight(l, K, f, c, u, v, op.mode), Kf[f, c, u, v]))
                                 for f, i, j, u, v in leaves])
                parts = [d(J, names.cell("h", l - 1, (c, r, q), s))]
                if leaves and len(leaves) <= SYMBOLS_WRITTEN:
                    parts += list(both(build))
                elif leaves and len(leaves) <= TERMS_WRITTEN:
                    parts.append(both(build)[1])
                elif leaves:
                    parts.append(_sum([Num(ls.dJ_da[s, f, i, j] * Kf[f, c, u, v])
                                       for f, i, j, u, v in leaves
                                       if ls.dJ_da[s, f, i, j] * Kf[f, c, u, v] != 0]))
                parts.append(Num(ls.dJ_dx[s, c, r, q]))
                if leaves:
                    sec.add(Equation(parts))
                else:
                    zero.append(parts[0])
    if zero:
        sec.add(Paragraph("The other cells are in no window whose ∂J/∂a is not 0: ",
                          Seq(tuple(zero)), " are 0."))
    for c in range(C):
        sec.add(Equation([d(J, names.whole("h", l - 1, c, s)), Mat(ls.dJ_dx[s, c])]))


def _slid_weight(l, K, f, c, u, v, mode):
    """The kernel weight at position (u, v) of the slid kernel, named as written."""
    kh, kw = K.shape[2:]
    if mode == "convolution":
        return MapNames.kernel(l, K, f, c, kh - 1 - u, kw - 1 - v)
    return MapNames.kernel(l, K, f, c, u, v)


# --- update and the network ---------------------------------------------------------------------

def kernels_new(sec, l, ls, full: bool, eta):
    """The new kernels (and biases) of a conv layer."""
    K = ls.W
    for f in range(K.shape[0]):
        for c in range(K.shape[1]):
            k = MapNames.kernel(l, K, f, c)
            if full:
                sec.add(Equation([k, Mat(ls.W_new[f, c])]))
            else:
                sec.add(Equation([k, GradientDescent.formula(k, eta, d(J, k)),
                                  Mat(ls.W_new[f, c])],
                                 rels=["←", "="]))
    if ls.b is not None:
        sec.add(Equation([Sym("b", sup=l), val(ls.b_new)]))


def network_section(problem, names) -> Section:
    """The layers (type, output shape, activation, parameters) and their parameters."""
    sec = Section("The network")
    rows = []
    shapes = problem.shapes
    rows.append(["input", "", _times(problem.input_shape), "", ""])
    for l, layer in enumerate(problem.layers, start=1):
        act = ""
        if layer.type in ("conv", "dense", "activation"):
            a = layer.activation
            act = Seq((Text(a.name), Paren(Rel(Sym("alpha"), "=", Num(a.alpha)))), sep=" ") \
                if a.alpha is not None else a.name
        n = (0 if layer.W is None else layer.W.size) + (0 if layer.b is None else layer.b.size)
        rows.append([f"{l}", layer.type, _times(shapes[l]), act, str(n)])
    sec.add(Table(["layer", "type", "output", "activation", "parameters"], rows))
    for l, layer in enumerate(problem.layers, start=1):
        if layer.type == "conv":
            K = layer.W
            for f in range(K.shape[0]):
                for c in range(K.shape[1]):
                    sec.add(Equation([MapNames.kernel(l, K, f, c), Mat(K[f, c])]))
        elif layer.type == "dense":
            sec.add(Equation([Sym("W", sup=l), val(layer.W)]))
        elif layer.type == "batchnorm":      # one γ and β per channel (or unit)
            sec.add(Equation([Sym("gamma", sup=l), val(layer.W)]))
            sec.add(Equation([Sym("beta", sup=l), val(layer.b)]))
            continue
        if layer.b is not None:
            sec.add(Equation([Sym("b", sup=l), val(layer.b)]))
    parts = [f"Loss: {problem.loss.replace('_', ' ')}"
             + (f", {problem.reduction} over {problem.X.shape[0]} samples" if names.batch else "")]
    if problem.regularization:
        p, alpha = problem.regularization
        parts += ["; penalty ", mul(Sym("alpha"), Norm(Sym("w", bold=True), "p", "p"), op="juxt"),
                  " over every weight and kernel weight (not biases) with ",
                  Equation_inline([Sym("p"), Num(p)]), ", ",
                  Equation_inline([Sym("alpha"), Num(alpha)])]
    sec.add(Paragraph(*parts, "."))
    return sec
