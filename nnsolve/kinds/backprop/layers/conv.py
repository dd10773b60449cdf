"""A convolution layer: a = K ⋆ h + b on C×H×W maps (every option of `nnsolve conv`), h = f(a).

    - conv: {kernels: [[[1, 0], [0, -1]]], bias: [0], stride: 1, padding: 0}   # or kernel:
      activation: relu

Forward window by window as `nnsolve conv` shows it; backward ∂J/∂a through the activation,
each kernel weight's gradient as a sum of products (the cross-correlation of the input with
∂J/∂a), ∂J/∂b, and ∂J/∂(the layer's input) cell by cell (the full convolution of ∂J/∂a with the
flipped kernel). A formula that shows symbols and then numbers is written once, as a function of
``at(symbol, value)`` (``expr.both``), so the two lines cannot disagree.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ....expr import Add, Call, Mat, Mul, Num, Seq, Sym, both, mul
from ....ops import pnorm
from ....ops.activations import activation_op
from ....ops.engine import Node
from ....solution import Equation, Grid, Paragraph
from ...common import Activation, parse_activation
from .base import (J, SYMBOLS_WRITTEN, TERMS_WRITTEN, LayerType, add_all, d,
                   input_gradient_maps, layer_type, pair_words, times, val)
from .names import MapNames


@dataclass
class ConvLayer:
    """Kernels K (F×C×kh×kw, as written; held in ``W``), optional bias (one per filter), the op
    (stride, padding, dilation, mode) and an activation."""

    W: object
    b: object | None
    activation: Activation
    op: object                     # ops.conv.Conv
    padding_rule: str | None = None
    type: str = "conv"

    @property
    def K(self):
        return self.W


@layer_type
class ConvType(LayerType):
    key = "conv"
    order = 1
    hint = "`conv:`"
    params = ("K", "b")
    penalized = True
    has_activation = True
    on_maps = True

    def read(self, ld, at):
        from ....ops.conv import Conv
        from ....sizes import conv_out, effective_kernel, window_fits
        from ...conv.spec import MODES, padding_from_doc, pair_from_doc, resolve_padding
        at.need_maps(ld, "conv")
        i = at.i
        ld.keys(["conv", "activation"], required=["conv"])
        cd = ld["conv"]
        cd.keys(["kernel", "kernels", "bias", "stride", "padding", "dilation", "mode"])
        if cd.get("kernel") is None and cd.get("kernels") is None:
            raise cd.error("missing field `kernel` (one filter) or `kernels` (a list of filters)")
        if cd.get("kernel") is not None and cd.get("kernels") is not None:
            raise cd["kernels"].error("give either `kernel` (one filter) or `kernels`, not both")
        C, H, W = at.shape
        if cd.get("kernel") is not None:
            docs = [cd["kernel"]]
            kernels = [cd["kernel"].array(ndims=(2, 3), what="a kernel (kh×kw or C×kh×kw)")]
        else:
            kd = cd["kernels"]
            if not kd.is_seq:
                arr = kd.array(ndims=(4,), what="a list of kernels, or an F×C×kh×kw .npy file")
                kernels, docs = list(arr), [kd] * arr.shape[0]
            else:
                docs = kd.items()
                kernels = [it.array(ndims=(2, 3), what="a kernel (kh×kw or C×kh×kw)")
                           for it in docs]
            if not kernels:
                raise kd.error("expected at least one kernel")
        Ks = []
        for k, kdoc in zip(kernels, docs):
            Kc = k if k.ndim == 3 else k.reshape((1,) + k.shape)
            if Kc.shape[0] != C:
                raise kdoc.error(f"expected {C} channel{'s' * (C != 1)} (the input of layer "
                                 f"{i + 1} is {C}×{H}×{W}), got a kernel of shape "
                                 f"{times(k.shape)}")
            if Ks and Kc.shape != Ks[0].shape:
                raise kdoc.error(f"this filter is {times(Kc.shape)}, the first is "
                                 f"{times(Ks[0].shape)}; all filters of a layer have one size")
            Ks.append(Kc)
        K = np.stack(Ks)
        F_, _, kh, kw = K.shape
        stride = pair_from_doc(cd["stride"], "a stride") if cd.get("stride") is not None \
            else (1, 1)
        dilation = pair_from_doc(cd["dilation"], "a dilation") \
            if cd.get("dilation") is not None else (1, 1)
        padding = padding_from_doc(cd["padding"]) if cd.get("padding") is not None \
            else ((0, 0), (0, 0))
        rule = padding if isinstance(padding, str) else None
        pads = resolve_padding(padding, (H, W), (kh, kw), stride, dilation)
        mode = cd["mode"].text(MODES, what="mode") if cd.get("mode") is not None \
            else "cross_correlation"
        if not all(window_fits(n, p, k, dl) for n, p, k, dl in
                   zip((H, W), pads, (kh, kw), dilation)):
            (pt, pb), (pl, pr) = pads
            eh, ew = effective_kernel(kh, dilation[0]), effective_kernel(kw, dilation[1])
            raise docs[0].error(f"the kernel ({eh}×{ew}"
                                + (" with dilation" if dilation != (1, 1) else "")
                                + f") is larger than the input of layer {i + 1} "
                                f"({H + pt + pb}×{W + pl + pr}"
                                + (" after padding" if (pt, pb, pl, pr) != (0, 0, 0, 0) else "")
                                + "); no window fits")
        b = None
        if cd.get("bias") is not None:
            b = cd["bias"].array(ndims=(0, 1), what="a bias (one per filter)").reshape(-1)
            if b.shape[0] != F_:
                raise cd["bias"].error(f"expected {F_} value{'s' * (F_ != 1)} (one per "
                                       f"filter), got {b.shape[0]}")
        act = parse_activation(ld["activation"], allow_softmax=False) \
            if ld.get("activation") is not None else Activation("linear")
        op = Conv(stride=stride, padding=pads, dilation=dilation, mode=mode)
        out = (F_,) + tuple(conv_out(n, p, k, s, dl) for n, p, k, s, dl in
                            zip((H, W), pads, (kh, kw), stride, dilation))
        return ConvLayer(K, b, act, op, rule), out

    def nodes(self, layer, w, b, swap):
        return [Node(swap(layer.op), {"K": w, "b": b}),
                Node(swap(activation_op(layer.activation)))]

    def work(self, layer, out_shape) -> int:
        return int(np.prod(out_shape)) * int(np.prod(layer.W.shape[1:]))

    # --- explaining ------------------------------------------------------------------------
    def words(self, layer):
        op = layer.op
        F, C, kh, kw = layer.W.shape
        (pt, pb), (pl, pr) = op.padding
        pad = str(pt) if len({pt, pb, pl, pr}) == 1 else f"{pt} top, {pb} bottom, {pl} left, " \
                                                          f"{pr} right"
        what = "a convolution, the kernel rotated by 180°" if op.mode == "convolution" else \
            "a cross-correlation, the kernel not flipped (as deep-learning layers compute)"
        return (f"convolution with {F} filter{'s' * (F != 1)} of {C}×{kh}×{kw}, stride "
                f"{pair_words(op.stride)}, padding {pad}"
                + (f" (\"{layer.padding_rule}\")" if layer.padding_rule else "")
                + f", dilation {pair_words(op.dilation)}; {what}")

    def symbol(self, layer, l, which, idx=None):
        K = layer.W
        if idx is None:
            return Sym("K" if which == "W" else "b", sup=l)
        return MapNames.kernel(l, K, *idx) if which == "W" else \
            MapNames.bias(l, K.shape[0], idx[0])

    def forward_one(self, ex, sec, l, s):
        """a⁽ˡ⁾ window by window (the products and their sum), then h⁽ˡ⁾ = f(a⁽ˡ⁾)."""
        from ....ops.conv import patch, slid_kernels, window_cells, window_sum
        names, layer, ls = ex.maps, ex.layer(l), ex.ls(l)
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
        if C > 1 and s == 0:
            sec.add(Paragraph(f"Each window is shaded on channel 1 of the "
                              f"{'padded ' if op.padding != ((0, 0), (0, 0)) else ''}input; "
                              f"it takes the same cells in all {C} channels, and the sum runs "
                              f"over them all."))
        for f in range(F):
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
                        parts.append(add_all(kept + list(tail)))
                    parts.append(Num(ls.a[s, f, i, j]))
                    sec.add(Equation(parts))
            sec.add(Equation([names.whole("a", l, f, s), Mat(ls.a[s, f])]))
        _activation_forward(sec, names, l, ls, s, activation_op(layer.activation))

    def forward_summary(self, ex, sec, l):
        names, layer, ls = ex.maps, ex.layer(l), ex.ls(l)
        for s in range(ex.N):
            for f in range(ls.a.shape[1]):
                sec.add(Equation([names.whole("a", l, f, s), Mat(ls.a[s, f])]))
            _activation_forward(sec, names, l, ls, s, activation_op(layer.activation))

    def backward_layer(self, ex, sec, l):
        _kernel_gradients(ex, sec, l)
        for s in range(ex.N):
            _input_gradient(ex, sec, l, s, s == 0)

    def backward_summary(self, ex, sec, l):
        names, layer, ls = ex.maps, ex.layer(l), ex.ls(l)
        act = activation_op(layer.activation)
        for s in range(ex.N):
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
        input_gradient_maps(ex, sec, l)

    def network_params(self, ex, sec, l):
        layer = ex.layer(l)
        K = layer.W
        for f in range(K.shape[0]):
            for c in range(K.shape[1]):
                sec.add(Equation([MapNames.kernel(l, K, f, c), Mat(K[f, c])]))
        if layer.b is not None:
            sec.add(Equation([Sym("b", sup=l), val(layer.b)]))

    def new_params(self, ex, sec, l, full, descent):
        ls = ex.ls(l)
        K = ls.W
        for f in range(K.shape[0]):
            for c in range(K.shape[1]):
                k = MapNames.kernel(l, K, f, c)
                if full:
                    sec.add(Equation([k, Mat(ls.W_new[f, c])]))
                else:
                    sec.add(Equation([k, descent(k), Mat(ls.W_new[f, c])], rels=["←", "="]))
        if ls.b is not None:
            sec.add(Equation([Sym("b", sup=l), val(ls.b_new)]))

    def data(self, ex, ls, layer):
        one = ex.per_sample
        return {"type": "conv", "K": ls.W, "b": ls.b, "a": one(ls.a), "h": one(ls.h),
                "dJ_dh": one(ls.dJ_dh), "dJ_da": one(ls.dJ_da), "dJ_dK": ls.dJ_dW,
                "dJ_db": ls.dJ_db, "K_new": ls.W_new, "b_new": ls.b_new}


def _activation_forward(sec, names, l, ls, s, act):
    for f in range(ls.h.shape[1]):
        h, a = names.whole("h", l, f, s), names.whole("a", l, f, s)
        if act.identity:
            sec.add(Equation([h, a, Mat(ls.h[s, f])]))
        else:
            sec.add(Equation([h, Call(act.name, (a,)), Mat(ls.h[s, f])]))


def _kernel_gradients(ex, sec, l):
    """∂J/∂a through the activation, ∂J/∂K per weight as a sum of products, ∂J/∂b."""
    names, layer, ls = ex.maps, ex.layer(l), ex.ls(l)
    reg = ex.problem.regularization
    op, K = layer.op, ls.W
    F, C, kh, kw = K.shape
    N = ls.a.shape[0]
    act = activation_op(layer.activation)
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
                        return add_all([mul(at(d(J, names.cell("a", l, (f, i, j), s)),
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
                        num = add_all([Num(ls.dJ_da[s, f, i, j] * Xp[s, c, r, q])
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
                return add_all([at(d(J, names.cell("a", l, (f, i, j), s)), ls.dJ_da[s, f, i, j])
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


def _input_gradient(ex, sec, l, s, first: bool):
    """∂J/∂(the layer's input), each cell the sum over the windows that contain it (the full
    convolution of ∂J/∂a with the flipped kernel)."""
    from ....ops.conv import slid_kernels
    names, layer, ls = ex.maps, ex.layer(l), ex.ls(l)
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
                    return add_all([mul(at(d(J, names.cell("a", l, (f, i, j), s)),
                                           ls.dJ_da[s, f, i, j]),
                                        at(_slid_weight(l, K, f, c, u, v, op.mode),
                                           Kf[f, c, u, v]))
                                    for f, i, j, u, v in leaves])
                parts = [d(J, names.cell("h", l - 1, (c, r, q), s))]
                if leaves and len(leaves) <= SYMBOLS_WRITTEN:
                    parts += list(both(build))
                elif leaves and len(leaves) <= TERMS_WRITTEN:
                    parts.append(both(build)[1])
                elif leaves:
                    parts.append(add_all([Num(ls.dJ_da[s, f, i, j] * Kf[f, c, u, v])
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
