"""Writing out the CNN layers of a backprop step (conv, pool, flatten) window by window, in the
manner of ``nnsolve conv``: each forward window's products and sum, each pooling window, then
backward the max-pool routing and avg-pool spreading, ∂J/∂a through the activation, every kernel
weight's gradient as a sum of products, ∂J/∂b, and ∂J/∂(the layer's input) cell by cell.

A formula that shows symbols and then numbers is written once, as a function of ``at(symbol,
value)`` (``both``), so the two lines cannot disagree.
"""

from __future__ import annotations

import numpy as np

from ...expr import Add, Call, Deriv, Frac, Mat, Mul, Num, Paren, Seq, Sym, Text, mul
from ...solution import Equation, Grid, Paragraph, Section
from ...ops.conv import slid_kernels, window_cells

J = Sym("J")
TERMS_WRITTEN = 12       # a sum is written term by term up to this many terms


def both(build):
    """(symbolic, numeric) forms of one formula ``build(at)``, at(symbol, value) a leaf."""
    return build(lambda s, v: s), build(lambda s, v: Num(v))


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

    def whole(self, name, l, c=None):
        """The map (of channel c, when there are several) or the vector."""
        shape = self.shapes[l]
        sub = c + 1 if (c is not None and len(shape) == 3 and shape[0] > 1) else None
        return Sym("x", sub=sub) if (name == "h" and l == 0) else Sym(name, sup=l, sub=sub)

    def kernel(self, l, K, f, c=None, u=None, v=None):
        """K⁽ˡ⁾ (of filter f, channel c), or one weight of it."""
        F, C = K.shape[:2]
        idx = ([f + 1] if F > 1 else []) + ([c + 1] if (C > 1 and c is not None) else [])
        if u is not None:
            idx += [u + 1, v + 1]
        sub = tuple(idx) if len(idx) > 1 else (idx[0] if idx else None)
        return Sym("K", sup=l, sub=sub)

    def bias(self, l, F, f):
        return Sym("b", sup=l, sub=f + 1 if F > 1 else None)


def layer_words(layer, in_shape, out_shape) -> str:
    """One line on what a CNN layer is."""
    if layer.type == "conv":
        op = layer.op
        F, C, kh, kw = layer.W.shape
        (pt, pb), (pl, pr) = op.padding
        pad = str(pt) if len({pt, pb, pl, pr}) == 1 else f"{pt} top, {pb} bottom, {pl} left, " \
                                                          f"{pr} right"
        what = "convolution (the kernel rotated by 180°)" if op.mode == "convolution" else \
            "cross-correlation (the kernel not flipped, as deep-learning layers compute)"
        return (f"{F} filter{'s' * (F != 1)} of {C}×{kh}×{kw}, stride {_words(op.stride)}, "
                f"padding {pad}" + (f" (\"{layer.padding_rule}\")" if layer.padding_rule else "")
                + f", dilation {_words(op.dilation)}; a {what}")
    if layer.type == "pool":
        pool = layer.op.pool
        extra = "" if pool.padding == ((0, 0), (0, 0)) else ", padding left out of each window"
        if pool.ceil_mode:
            extra += ", ceil mode"
        return (f"{'max' if pool.type == 'max' else 'average'} pooling over "
                f"{_times(pool.size)} windows, stride {_words(pool.stride)}{extra}")
    return "flatten: the maps as one vector in channel, row, column order"


# --- forward -----------------------------------------------------------------------------------

def conv_forward(sec, names, l, layer, ls, s, act, full_windows: bool):
    """a⁽ˡ⁾ window by window (patch, products, sum), then h⁽ˡ⁾ = f(a⁽ˡ⁾)."""
    op, K = layer.op, ls.W
    F, C, kh, kw = K.shape
    x = ls.x[s]
    Xp = ls.nodes[0].cache[s]          # the padded input, as the op slid over it
    Kf = slid_kernels(K, op.mode)
    if op.mode == "convolution":
        for f in range(F):
            for c in range(C):
                sec.add(Equation([Call("rot180", (names.kernel(l, K, f, c),)), Mat(Kf[f, c])]))
    if op.padding != ((0, 0), (0, 0)):
        for c in range(C):
            sec.add(Equation([Call("pad", (names.whole("h", l - 1, c),)), Mat(Xp[c])]))
    Ho, Wo = ls.a.shape[2:]
    b = ls.b
    for f in range(F):
        if full_windows:
            for i in range(Ho):
                for j in range(Wo):
                    cells = frozenset(window_cells(i, j, (kh, kw), op.stride, op.dilation))
                    sec.add(Grid(Xp[0], cells))
                    patch = Xp[:, [r for r, _ in sorted(cells)], :] if False else None
                    xs, ws = [], []
                    for c in range(C):
                        for u in range(kh):
                            for v in range(kw):
                                r, q = i * op.stride[0] + u * op.dilation[0], \
                                    j * op.stride[1] + v * op.dilation[1]
                                xs.append(Xp[c, r, q])
                                ws.append(Kf[f, c, u, v])
                    tail = (Num(b[f]),) if b is not None else ()
                    parts = [names.cell("a", l, (f, i, j), s)]
                    if len(xs) <= TERMS_WRITTEN:
                        parts.append(Add(tuple(mul(Num(xv), Num(wv)) for xv, wv in zip(xs, ws))
                                         + tail))
                    else:
                        kept = [Num(xv * wv) for xv, wv in zip(xs, ws) if xv * wv != 0]
                        parts.append(Add(tuple(kept) + tail) if kept or tail else Num(0))
                    parts.append(Num(ls.a[s, f, i, j]))
                    sec.add(Equation(parts))
        sec.add(Equation([names.whole("a", l, f) if F > 1 else names.whole("a", l),
                          Mat(ls.a[s, f])]))
    _activation_forward(sec, names, l, ls, s, act)


def _activation_forward(sec, names, l, ls, s, act):
    F = ls.h.shape[1]
    for f in range(F):
        h, a = names.whole("h", l, f), names.whole("a", l, f)
        if act.identity:
            sec.add(Equation([h, a, Mat(ls.h[s, f])]))
        else:
            sec.add(Equation([h, Call(act.name, (a,)), Mat(ls.h[s, f])]))


def pool_forward(sec, names, l, layer, ls, s, full_windows: bool):
    """Each window's max or mean (padding left out), then the pooled maps."""
    pool = layer.op.pool
    x = ls.x[s]
    C, H, W = x.shape
    for c in range(C):
        if full_windows:
            for w in pool.windows(H, W):
                vals = [x[c, r, q] for r, q in w.cells]
                if pool.type == "max":
                    rhs = Call("max", (Seq(tuple(Num(v) for v in vals)),))
                else:
                    rhs = Frac(_sum([Num(v) for v in vals]), Num(len(vals)))
                sec.add(Equation([names.cell("h", l, (c, w.row, w.col), s), rhs,
                                  Num(ls.h[s, c, w.row, w.col])]))
        sec.add(Equation([names.whole("h", l, c), Mat(ls.h[s, c])]))


def flatten_forward(sec, names, l, ls, s):
    sec.add(Equation([names.whole("h", l), Call("flatten", (names.whole("h", l - 1),)),
                      Mat(ls.h[s])]))


# --- backward ----------------------------------------------------------------------------------

def pool_backward(sec, names, l, layer, ls, s, g_in, full_windows: bool):
    """∂J/∂(input) of a pool: max routes each window's gradient to its first maximum, avg
    spreads it over the window's cells; a cell in several windows adds what each gives it."""
    pool = layer.op.pool
    x = ls.x[s]
    g = ls.dJ_dh[s]
    C, H, W = x.shape
    if pool.type == "max":
        sec.add(Paragraph("Max pooling passes each window's gradient to the cell that holds its "
                          "maximum (at a tie, the first in row-major order); the other cells get "
                          "0:"))
    else:
        sec.add(Paragraph("Average pooling spreads each window's gradient equally over the "
                          "window's cells (padding left out):"))
    ties = []
    if full_windows:
        for c in range(C):
            for w in pool.windows(H, W):
                gv = g[c, w.row, w.col]
                src = d(J, names.cell("h", l, (c, w.row, w.col), s))
                if pool.type == "max":
                    vals = [x[c, r, q] for r, q in w.cells]
                    best = max(vals)
                    k = vals.index(best)            # the first maximum in row-major order
                    r, q = w.cells[k]
                    if vals.count(best) > 1:
                        ties.append((c, w, r, q))
                    sec.add(Paragraph(
                        "window ", Seq((Num(w.row + 1), Num(w.col + 1))), ": the maximum is ",
                        Equation_inline([names.cell("h", l - 1, (c, r, q), s), Num(best)]),
                        ", so it gets ", Equation_inline([src, Num(gv)]),
                        " (a tie: the first in row-major order)" if vals.count(best) > 1 else ""))
                else:
                    n = w.count
                    sec.add(Paragraph(
                        "window ", Seq((Num(w.row + 1), Num(w.col + 1))), f": each of its {n} "
                        "cells gets ", Equation_inline([Frac(src, Num(n)), Frac(Num(gv), Num(n)),
                                                        Num(gv / n if not isinstance(gv, float)
                                                            else gv / n)])))
    for c in range(C):
        sec.add(Equation([d(J, names.whole("h", l - 1, c)), Mat(g_in[c])]))


def Equation_inline(parts):
    """A short chain a = b = c for running text."""
    return Seq(tuple(p for i, x in enumerate(parts) for p in ((Text(" = "), x) if i else (x,))),
               sep="")


def conv_backward(sec, names, l, layer, ls, s_all, act, reg, full: bool):
    """∂J/∂a through the activation, ∂J/∂K per weight, ∂J/∂b, ∂J/∂(input) per cell."""
    op, K = layer.op, ls.W
    F, C, kh, kw = K.shape
    N = ls.a.shape[0]
    samples = range(N)
    Kf = slid_kernels(K, op.mode)
    (sh, sw), (dh, dw) = op.stride, op.dilation
    Ho, Wo = ls.a.shape[2:]
    # ∂J/∂a = ∂J/∂h ⊙ f′(a)
    for s in samples:
        for f in range(F):
            a, h = names.whole("a", l, f), names.whole("h", l, f)
            tag = (lambda e: names.tag(e, s))
            if act.identity:
                sec.add(Equation([d(J, tag(a)), d(J, tag(h)), Mat(ls.dJ_da[s, f])]))
            else:
                sec.add(Equation([d(J, tag(a)),
                                  Mul((d(J, tag(h)), Call(act.name, (tag(a),), prime=True)),
                                      "hadamard"),
                                  Mul((Mat(ls.dJ_dh[s, f]), Mat(ls.fprime[s, f])), "hadamard"),
                                  Mat(ls.dJ_da[s, f])]))
    Xp = ls.nodes[0].cache
    flip = op.mode == "convolution"
    sec.add(Paragraph(
        "Each kernel weight multiplies one input cell in every window, so its gradient sums "
        "∂J/∂a times that cell over the windows (the cross-correlation of the "
        + ("padded " if op.padding != ((0, 0), (0, 0)) else "") + "input with ∂J/∂a)"
        + ("; the kernel was slid rotated by 180°, so the weight K[u, v] meets the cells of "
           "the rotated position" if flip else "") + ":"))
    for f in range(F):
        for c in range(C):
            for u in range(kh):
                for v in range(kw):
                    uu, vv = (kh - 1 - u, kw - 1 - v) if flip else (u, v)   # in K̃
                    leaves = [(s, i, j, i * sh + uu * dh, j * sw + vv * dw)
                              for s in samples for i in range(Ho) for j in range(Wo)]

                    def build(at):
                        return _sum([mul(at(d(J, names.cell("a", l, (f, i, j), s)),
                                            ls.dJ_da[s, f, i, j]),
                                         at(_padded_cell(names, l - 1, c, r, q, op, s),
                                            Xp[s, c, r, q]))
                                     for s, i, j, r, q in leaves])
                    parts = [d(J, names.kernel(l, K, f, c, u, v))]
                    if full and len(leaves) <= TERMS_WRITTEN:
                        parts += list(both(build))
                    elif full:
                        kept = [Num(ls.dJ_da[s, f, i, j] * Xp[s, c, r, q])
                                for s, i, j, r, q in leaves
                                if ls.dJ_da[s, f, i, j] * Xp[s, c, r, q] != 0]
                        parts.append(_sum(kept))
                    if reg is not None:
                        parts = [parts[0]] + ([Add((parts[1], Text("(penalty)")))]
                                              if False else parts[1:])
                    parts.append(Num(ls.dJ_dW[f, c, u, v]))
                    sec.add(Equation(parts))
    if reg is not None:
        sec.add(Paragraph("The penalty's gradient ", Equation_inline([
            d(Sym("R"), Sym("K")), mul(Sym("alpha"), Sym("p"), Call("sign", (Sym("K"),)),
                                       op="juxt")]),
            "·|K|^(p−1) is included in these values."))
    for f in range(F):
        for c in range(C):
            sec.add(Equation([d(J, names.kernel(l, K, f, c)), Mat(ls.dJ_dW[f, c])]))
    if ls.b is not None:
        for f in range(F):
            leaves = [(s, i, j) for s in samples for i in range(Ho) for j in range(Wo)]

            def build_b(at):
                return _sum([at(d(J, names.cell("a", l, (f, i, j), s)), ls.dJ_da[s, f, i, j])
                             for s, i, j in leaves])
            parts = [d(J, names.bias(l, F, f))]
            if len(leaves) <= TERMS_WRITTEN:
                parts += list(both(build_b))
            parts.append(Num(ls.dJ_db[f]))
            sec.add(Equation(parts))


def _padded_cell(names, l, c, r, q, op, s):
    """The symbol of padded-input cell (r, q): the input cell, or pad(…) in the padding."""
    (pt, _), (pl, _) = op.padding
    shape = names.shapes[l]
    H, W = shape[1:]
    if 0 <= r - pt < H and 0 <= q - pl < W:
        return names.cell("h", l, (c, r - pt, q - pl), s)
    return Num(0)


def conv_input_gradient(sec, names, l, layer, ls, s, full: bool):
    """∂J/∂(the layer's input), each cell the sum over the windows that contain it (the full
    convolution of ∂J/∂a with the flipped kernel)."""
    op, K = layer.op, ls.W
    F, C, kh, kw = K.shape
    Kf = slid_kernels(K, op.mode)
    (sh, sw), (dh, dw) = op.stride, op.dilation
    (pt, _), (pl, _) = op.padding
    Ho, Wo = ls.a.shape[2:]
    x = ls.x[s]
    H, W = x.shape[1:]
    sec.add(Paragraph(
        "Each input cell meets the kernel in every window that contains it; its gradient sums "
        "∂J/∂a times the kernel weight it met (the full convolution of ∂J/∂a with the "
        "flipped kernel):"))
    if full:
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
                                if 0 <= i < Ho and 0 <= j < Wo:
                                    leaves.append((f, i, j, u, v))

                    def build(at):
                        return _sum([mul(at(d(J, names.cell("a", l, (f, i, j), s)),
                                            ls.dJ_da[s, f, i, j]),
                                         at(_slid_weight(names, l, K, f, c, u, v, op.mode),
                                            Kf[f, c, u, v]))
                                     for f, i, j, u, v in leaves])
                    parts = [d(J, names.cell("h", l - 1, (c, r, q), s))]
                    if leaves and len(leaves) <= TERMS_WRITTEN:
                        parts += list(both(build))
                    elif not leaves:
                        parts.append(Paragraph if False else Num(0))
                    parts.append(Num(ls.dJ_dx[s, c, r, q]))
                    if len(parts) == 3 and not leaves:
                        parts = parts[:1] + parts[2:]
                    sec.add(Equation(parts))
    for c in range(C):
        sec.add(Equation([d(J, names.whole("h", l - 1, c)), Mat(ls.dJ_dx[s, c])]))


def _slid_weight(names, l, K, f, c, u, v, mode):
    """The kernel weight at position (u, v) of the slid kernel, named as written."""
    kh, kw = K.shape[2:]
    if mode == "convolution":
        return names.kernel(l, K, f, c, kh - 1 - u, kw - 1 - v)
    return names.kernel(l, K, f, c, u, v)
