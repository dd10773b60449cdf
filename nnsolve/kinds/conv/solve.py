"""A 2-D convolution worked window by window (seed eq. 50–56), then bias, activation, pooling.

The arithmetic is the convolution layer of ``ops/conv.py`` (the one definition, which backprop's
CNN layers run too) on a batch of one: one vectorised pass over the kernel's cells, exact or
float64 alike; the per-window blocks are built only when the solution shows them.
"""

from __future__ import annotations

import numpy as np

from ...arrays import exact as is_exact
from ...expr import Add, Call, Mat, Mul, Num, Paren, Rel, Seq, Sym
from ...ops.activations import activation_op
from ...ops.conv import Conv, patch, slid_kernels, window_cells, window_sum
from ...solution import Equation, Grid, Note, Paragraph, Section, Solution
from ..shape.solve import coverage_note, size_equations, size_symbols
from .spec import ConvProblem

FULL_WINDOWS = 36        # default detail: every window while there are at most this many
SHOW_MATRIX = 400        # default detail: matrices larger than this are described, not printed
TERMS_WRITTEN = 12       # a window's sum is written as products x·w up to this many terms


def conv_op(p: ConvProblem) -> Conv:
    """The convolution layer that the problem describes."""
    return Conv(stride=p.stride, padding=p.padding, dilation=p.dilation, mode=p.mode)


# --- the solution -----------------------------------------------------------------------------

def _kernel_sym(p: ConvProblem, f: int, c: int | None = None) -> Sym:
    sup = None if p.single else f + 1
    sub = c + 1 if (c is not None and p.channels_given) else None
    return Sym("K", sup=sup, sub=sub)


def _input_sym(p: ConvProblem, c: int | None = None) -> Sym:
    return Sym("I", sub=c + 1 if (c is not None and p.channels_given) else None)


def _out_sym(p: ConvProblem, name: str, f: int, at=None) -> Sym:
    return Sym(name, sup=None if p.single else f + 1, sub=at)


def _shape_list(p: ConvProblem, F: int, hw: tuple) -> list:
    return list(hw) if p.single else [F] + list(hw)


def _given(p: ConvProblem, show) -> list:
    C = p.input.shape[0]
    F = p.kernels.shape[0]
    eqs = []
    pieces = []
    if show(p.input):
        pieces += [Rel(_input_sym(p, c), "=", Mat(p.input[c])) for c in range(C)]
    if show(p.kernels):
        pieces += [Rel(_kernel_sym(p, f, c), "=", Mat(p.kernels[f, c]))
                   for f in range(F) for c in range(C)]
    if pieces:
        per_line = 2 if C == 1 and F == 1 else max(C, 1)
        for k in range(0, len(pieces), per_line):
            eqs.append(Equation([Seq(tuple(pieces[k:k + per_line]), ",   ")]))
    blocks = [Paragraph("Given:")] if eqs else []
    blocks += eqs
    kh, kw = p.kernels.shape[2:]
    kernel = f"{C}×{kh}×{kw}" if p.channels_given else f"{kh}×{kw}"
    blocks.append(Paragraph(f"Input {'×'.join(map(str, p.input_shape))}, {F} "
                            f"filter{'s' if F != 1 else ''} of {kernel}; stride "
                            f"{_pair_words(p.stride)}, padding {_pad_words(p)}, dilation "
                            f"{_pair_words(p.dilation)}."))
    if p.bias is not None:
        if F == 1:
            blocks.append(Equation([Sym("b"), Num(p.bias[0])]))
        else:
            blocks.append(Equation([Seq(tuple(Rel(Sym("b", sup=f + 1), "=", Num(p.bias[f]))
                                              for f in range(F)), ",   ")]))
    return blocks


def _pair_words(pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]} (rows), {pair[1]} (columns)"


def _pad_words(p: ConvProblem) -> str:
    (pt, pb), (pl, pr) = p.padding
    if (pt, pb, pl, pr) == (0, 0, 0, 0):
        return '0 ("valid")' if p.padding_rule == "valid" else "0"
    if len({pt, pb, pl, pr}) == 1:
        text = str(pt)
    else:
        text = f"{pt} top, {pb} bottom, {pl} left, {pr} right"
    return text + (' ("same": output ⌈i/s⌉)' if p.padding_rule == "same" else "")


def _operation(p: ConvProblem, Kf, show) -> list:
    C, (kh, kw) = p.input.shape[0], p.kernels.shape[2:]
    window = f"{C}×{kh}×{kw}" if p.channels_given else f"{kh}×{kw}"
    moves = f"moves by {_pair_words(p.stride)} (the stride)"
    if p.dilation != (1, 1):
        moves += f" and its cells are {_pair_words(p.dilation)} apart (dilation)"
    if p.mode == "cross_correlation":
        blocks = [Paragraph(
            "We compute the cross-correlation, which is what a deep-learning convolution layer "
            "computes: the kernel is not flipped. Each output element is the sum of the "
            f"element-wise products of a {window} window of the input with the kernel; "
            f"the window {moves}.")]
    else:
        blocks = [Paragraph(
            "We compute the convolution: the kernel is first rotated by 180° (flipped up–down "
            "and left–right), then each output element is the sum of the element-wise products "
            f"of a {window} window of the input with the flipped kernel; the window {moves}.")]
        F = Kf.shape[0]
        if show(Kf):
            for f in range(F):
                for c in range(C):
                    blocks.append(Equation([Call("rot180", (_kernel_sym(p, f, c),)),
                                            Mat(Kf[f, c])]))
    return blocks


def _padded(p: ConvProblem, Xp, show) -> list:
    (pt, pb), (pl, pr) = p.padding
    if (pt, pb, pl, pr) == (0, 0, 0, 0):
        return []
    blocks = [Paragraph(f"The input padded with zeros ({pt} row{'s' if pt != 1 else ''} on top, "
                        f"{pb} at the bottom, {pl} column{'s' if pl != 1 else ''} on the left, "
                        f"{pr} on the right):")]
    if show(Xp):
        for c in range(Xp.shape[0]):
            blocks.append(Equation([Call("pad", (_input_sym(p, c),)), Mat(Xp[c])]))
    else:
        blocks.append(Paragraph(f"pad(I) is {'×'.join(map(str, Xp.shape[1:]))} per channel "
                                "(too large to show)."))
    return blocks


def _window_blocks(p, Xp, Kf, Z, f, i, j, zname) -> tuple[list, dict]:
    C = Xp.shape[0]
    kh, kw = Kf.shape[2:]
    P = patch(Xp, i, j, (kh, kw), p.stride, p.dilation)
    products = P * Kf[f]
    total = products.sum()
    out = _out_sym(p, zname, f, (i + 1, j + 1))
    cells = frozenset(window_cells(i, j, (kh, kw), p.stride, p.dilation))
    what = "kernel rotated by 180°" if p.mode == "convolution" else "kernel"
    # the grid is named in the sentence, where the name is a formula like any other
    if p.padding != ((0, 0), (0, 0)):
        where, shown = "padded input ", Call("pad", (_input_sym(p, 0),))
    else:
        where, shown = "input ", _input_sym(p, 0)
    words = ["For ", out, f" we multiply element-wise the window of the {where}", shown]
    if C > 1:
        words.append(" (the same cells in every channel)")
    words.append(f" and the {what}, then add the products:")
    blocks = [Paragraph(*words), Grid(Xp[0], cells)]
    for c in range(C):
        blocks.append(Equation([Mul((Mat(P[c]), Mat(Kf[f, c])), "hadamard"),
                                Mat(products[c])]))
    xs, ws, vs = P.ravel(), Kf[f].ravel(), products.ravel()
    b = p.bias[f] if p.bias is not None else None
    tail = (Num(b),) if b is not None else ()
    terms = []
    if len(vs) <= TERMS_WRITTEN:
        terms.append(window_sum(xs, ws, b))
        terms.append(Add(tuple(Num(v) for v in vs) + tail))
    else:   # long sums: the products that are not 0 (seed eq. 53), channel by channel
        def nonzero(vals):
            kept = [Num(v) for v in vals.ravel() if v != 0]
            return Add(tuple(kept)) if len(kept) > 1 else (kept[0] if kept else Num(0))
        if C > 1:
            sums = [nonzero(products[c]) for c in range(C)]
            terms.append(Add(tuple(Paren(t) if isinstance(t, Add) else t for t in sums) + tail))
            if any(isinstance(t, Add) for t in sums):
                terms.append(Add(tuple(Num(products[c].sum()) for c in range(C)) + tail))
        else:
            terms.append(Add((nonzero(products[0]),) + tail) if tail else nonzero(products[0]))
    blocks.append(Equation([out] + terms + [Num(Z[f, i, j])]))     # the layer's value
    data = {"filter": f, "row": i, "col": j,
            "patch": P if p.channels_given else P[0],
            "products": products if p.channels_given else products[0],
            "sum": total}
    return blocks, data


def solve(p: ConvProblem, options) -> Solution:
    """Every window's patch, products and sum, then the output; bias, activation and pooling."""
    F, C, kh, kw = p.kernels.shape
    # the one convolution (ops/conv.py, as a CNN layer of backprop computes it), on a batch of one
    Z, Xp = conv_op(p).forward(p.input[None], {"K": p.kernels, "b": p.bias})
    Z, Xp = Z[0], Xp[0]
    Kf = slid_kernels(p.kernels, p.mode)
    Ho, Wo = Z.shape[1:]
    n_windows = F * Ho * Wo
    detail = options.detail or ("full" if n_windows <= FULL_WINDOWS else "summary")
    full = detail == "full"

    def show(a) -> bool:
        return options.detail == "full" or np.asarray(a).size <= SHOW_MATRIX

    act = activation_op(p.activation) if p.activation is not None \
        and p.activation.name != "linear" else None
    O = act.f(Z) if act is not None else Z
    zname = "Z" if act is not None else "O"

    blocks: list = []
    setup = Section("Problem")
    setup.add(*_given(p, show))
    setup.add(*_operation(p, Kf, show))
    blocks.append(setup)

    size = Section("Output size")
    eqs = size_equations(("H", "W"), p.input.shape[1:], p.padding, (kh, kw), p.stride,
                         p.dilation, (Ho, Wo))
    size.add(eqs[0], size_symbols(), *eqs[1:])
    uncovered = coverage_note(("H", "W"), p.input.shape[1:], p.padding, (kh, kw), p.stride,
                              p.dilation)
    if uncovered is not None:
        size.add(uncovered)
    shape_words = f"{Ho} × {Wo}" if p.single else f"{F} × {Ho} × {Wo}"
    size.add(Paragraph(f"The output is {shape_words}" +
                       (f" (one {Ho} × {Wo} map per filter)." if not p.single else ".")))
    blocks.append(size)

    windows_data = []
    if full:
        pad_blocks = _padded(p, Xp, show)
        win = Section("Window by window")
        win.add(*pad_blocks)
        for f in range(F):
            target = win
            if F > 1:
                target = Section(f"Filter {f + 1}")
                win.add(target)
            for i in range(Ho):
                for j in range(Wo):
                    wb, wd = _window_blocks(p, Xp, Kf, Z, f, i, j, zname)
                    target.add(*wb)
                    windows_data.append(wd)
        blocks.append(win)
    else:
        s = Section("Windows")
        s.add(Paragraph(f"{n_windows} windows, each the sum of {C * kh * kw} products; "
                        "--detail full shows every one."))
        blocks.append(s)

    result = Section("Output")
    for f in range(F):
        if show(Z[f]):
            result.add(Equation([_out_sym(p, zname, f), Mat(Z[f])]))
    if act is not None:
        for f in range(F):
            parts = [_out_sym(p, "O", f), Call(act.name, (_out_sym(p, "Z", f),))]
            if show(O[f]):
                parts.append(Mat(O[f]))
            result.add(Equation(parts))
    if not show(O[0]):
        lo, hi = O.min(), O.max()
        result.add(Paragraph(f"The output is {shape_words}, too large to show here "
                             "(--format json or -o FILE.json gives every value); its values "
                             "range from ", Num(lo), " to ", Num(hi), "."))
    blocks.append(result)

    pool_data = None
    if p.pool is not None:
        pool_section, pool_data = _pool(p, O, options)
        blocks.append(pool_section)

    if p.float_reason:
        blocks.append(Note(p.float_reason))
    if not is_exact(O) and p.exact:
        blocks.append(Note(f"{p.activation.name} is computed in floating point; values "
                           "marked ≈ are rounded."))

    data = {
        "kind": "conv", "format_version": 1, "mode": p.mode,
        "input_shape": list(p.input_shape), "kernel_shape": list(p.kernel_shape),
        "stride": list(p.stride), "padding": [list(p.padding[0]), list(p.padding[1])],
        "dilation": list(p.dilation),
        "output_shape": _shape_list(p, F, (Ho, Wo)),
        "output": O[0] if p.single else O,
        "pool": pool_data,
    }
    if full:
        data["windows"] = windows_data
    title = p.title or ("Convolution" if p.mode == "convolution" else "Cross-correlation")
    return Solution("conv", title, blocks, data)


def _pool(p: ConvProblem, O, options):
    pool = p.pool
    F = O.shape[0]
    P = pool.forward(O)
    Po, Qo = P.shape[1:]
    name = f"{'Max' if pool.type == 'max' else 'Average'} pooling"
    s = Section(name)
    s.add(Paragraph(f"{name} over {pool.size[0]}×{pool.size[1]} windows with stride "
                    f"{_pair_words(pool.stride)}"
                    + ("" if pool.padding == ((0, 0), (0, 0)) else
                       ", padding left out of each window") + ":"))
    s.add(*size_equations(("H", "W"), O.shape[1:], pool.padding, pool.size, pool.stride,
                          (1, 1), (Po, Qo), pool=True))
    n = F * Po * Qo
    detail = options.detail or ("full" if n <= FULL_WINDOWS else "summary")
    if detail == "full":
        for f in range(F):
            for i in range(Po):
                for j in range(Qo):
                    w = pool.window(i, j, *O.shape[1:])
                    vals = O[f, w.rows.start:w.rows.stop, w.cols.start:w.cols.stop].ravel()
                    sym = _out_sym(p, "P", f, (i + 1, j + 1))
                    s.add(Equation([sym, pool.value_expr(vals), Num(P[f, i, j])]))
    for f in range(F):
        if options.detail == "full" or P[f].size <= SHOW_MATRIX:
            s.add(Equation([_out_sym(p, "P", f), Mat(P[f])]))
    data = {"type": pool.type, "size": list(pool.size), "stride": list(pool.stride),
            "output_shape": _shape_list(p, F, (Po, Qo)),
            "output": P[0] if p.single else P}
    return s, data
