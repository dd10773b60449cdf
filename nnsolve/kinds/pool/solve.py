"""Max or average pooling worked window by window: each window marked in the input, its cells,
the max or the mean; then the output. The arithmetic is nnsolve/ops/pool.py's, on whole arrays;
the per-window blocks are built only when the solution shows them."""

from __future__ import annotations

import numpy as np

from ...expr import Mat, Num, Rel, Seq, Sym
from ...sizes import positions, reach
from ...solution import Equation, Grid, Note, Paragraph, Section, Solution
from ..shape.solve import size_equations, size_symbols
from .spec import PoolProblem

FULL_WINDOWS = 36        # default detail: every window while there are at most this many
SHOW_MATRIX = 400        # default detail: matrices larger than this are described, not printed


def _channel(p: PoolProblem, c: int):
    return c + 1 if p.channels_given else None


def _in_sym(p: PoolProblem, c: int) -> Sym:
    return Sym("I", sup=_channel(p, c))


def _out_sym(p: PoolProblem, c: int, at=None) -> Sym:
    return Sym("P", sup=_channel(p, c), sub=at)


def _pair_words(pair) -> str:
    return str(pair[0]) if pair[0] == pair[1] else f"{pair[0]} (rows), {pair[1]} (columns)"


def _pad_words(pads) -> str:
    (pt, pb), (pl, pr) = pads
    if len({pt, pb, pl, pr}) == 1:
        return str(pt)
    if pt == pb and pl == pr:
        return f"{pt} (rows), {pl} (columns)"
    return f"{pt} top, {pb} bottom, {pl} left, {pr} right"


def _span(r: range, what: str) -> str:
    """rows 1–2 / row 3 (1-based, as the subscripts)."""
    if len(r) == 1:
        return f"{what} {r.start + 1}"
    return f"{what}s {r.start + 1}–{r.stop}"


def _given(p: PoolProblem, show) -> list:
    pool = p.pool
    C = p.input.shape[0]
    blocks = []
    if show(p.input):
        blocks.append(Paragraph("Given:"))
        pieces = [Rel(_in_sym(p, c), "=", Mat(p.input[c])) for c in range(C)]
        per_line = 1 if C == 1 else 2
        for k in range(0, C, per_line):
            blocks.append(Equation([Seq(tuple(pieces[k:k + per_line]), ",   ")]))
    kh, kw = pool.size
    name = "max" if pool.type == "max" else "average"
    words = (f"Input {'×'.join(map(str, p.input_shape))}; {name} pooling over {kh}×{kw} "
             f"windows with stride {_pair_words(pool.stride)}, padding "
             f"{_pad_words(pool.padding)}" + (", ceil mode" if pool.ceil_mode else "") + ".")
    blocks.append(Paragraph(words))
    moves = f"the window moves by {_pair_words(pool.stride)} (the stride)"
    padded = pool.padding != ((0, 0), (0, 0))
    outside = "in the padding" if not pool.ceil_mode else \
        ("in the padding or past it (ceil mode)" if padded else "past the input (ceil mode)")
    if pool.type == "max":
        rule = (f"Each output element is the largest value in a {kh}×{kw} window of the input; "
                f"{moves}.")
        if padded or pool.ceil_mode:
            rule += f" Cells of a window {outside} count as −∞: they never win the maximum."
    else:
        rule = (f"Each output element is the mean of the input cells in a {kh}×{kw} window; "
                f"{moves}.")
        if padded or pool.ceil_mode:
            rule += (f" Cells of a window {outside} are left out of the mean: a window holding "
                     f"n input cells divides by n (not by {kh * kw}).")
    if C > 1:
        rule += " Each channel is pooled on its own, with the same windows."
    blocks.append(Paragraph(rule))
    return blocks


def _coverage(p: PoolProblem, H: int, W: int, Ho: int, Wo: int) -> list:
    """A note when the windows leave the last rows or columns of the input out."""
    pool = p.pool
    parts, cells = [], 0
    for n, o, k, s, (before, _), what in zip((H, W), (Ho, Wo), pool.size, pool.stride,
                                            pool.padding, ("row", "column")):
        last = (o - 1) * s + k - before      # one past the last input cell a window reaches
        if last < n:
            parts.append(_span(range(last, n), what))
            cells += n - last
    if not parts:
        return []
    verb = "falls" if cells == 1 else "fall"
    text = " and ".join(parts) + f" of the input {verb} in no window (the stride does not " \
        "tile the input)"
    text += "; ceil_mode: true would add a last window for them." if not pool.ceil_mode else "."
    return [Note(text[0].upper() + text[1:])]


def _window_blocks(p: PoolProblem, c: int, w, value) -> list:
    X = p.input[c]
    cells = X[w.rows.start:w.rows.stop, w.cols.start:w.cols.stop]
    sym = _out_sym(p, c, (w.row + 1, w.col + 1))
    words = ["For ", sym, f" the window covers {_span(w.rows, 'row')} and "
             f"{_span(w.cols, 'column')} of the input ", _in_sym(p, c)]
    if w.outside:
        lost = "left out of the mean" if p.pool.type == "avg" else "−∞, never the maximum"
        words.append(f"; its other {w.outside} cell{'s' if w.outside != 1 else ''} "
                     f"lie{'s' if w.outside == 1 else ''} outside the input ({lost})")
    words.append(":")
    return [Paragraph(*words), Grid(X, frozenset(w.cells)),
            Equation([sym, p.pool.value_expr(cells.ravel()), Num(value)])]


def window_records(p: PoolProblem, Y) -> list:
    """The JSON's ``windows``: channel by channel, row by row, each window's input cells and
    its value."""
    C, H, W = p.input.shape
    return [{"channel": c, "row": w.row, "col": w.col,
             "patch": p.input[c, w.rows.start:w.rows.stop, w.cols.start:w.cols.stop],
             "value": Y[c, w.row, w.col]}
            for c in range(C) for w in p.pool.windows(H, W)]


def data_of(p: PoolProblem, Y, windows: bool) -> dict:
    """The solution's JSON data (``windows`` when asked)."""
    pool = p.pool
    data = {
        "kind": "pool", "format_version": 1, "type": pool.type,
        "input_shape": list(p.input_shape), "size": list(pool.size),
        "stride": list(pool.stride),
        "padding": [list(pool.padding[0]), list(pool.padding[1])],
        "output_shape": list(Y.shape) if p.channels_given else list(Y.shape[1:]),
        "output": Y if p.channels_given else Y[0],
    }
    if windows:
        data["windows"] = window_records(p, Y)
    return data


def solve(p: PoolProblem, options) -> Solution:
    """Every window's cells and its max or mean, then the output."""
    pool = p.pool
    C, H, W = p.input.shape
    Y = pool.forward(p.input)
    Ho, Wo = Y.shape[1:]
    n_windows = C * Ho * Wo
    detail = options.detail or ("full" if n_windows <= FULL_WINDOWS else "summary")
    full = detail == "full"

    def show(a) -> bool:
        return options.detail == "full" or np.asarray(a).size <= SHOW_MATRIX

    blocks: list = []
    setup = Section("Problem")
    setup.add(*_given(p, show))
    blocks.append(setup)

    size = Section("Output size")
    eqs = size_equations(("H", "W"), (H, W), pool.padding, pool.size, pool.stride, (1, 1),
                         (Ho, Wo), pool=True, ceil_mode=pool.ceil_mode)
    size.add(eqs[0], size_symbols(pool=True), *eqs[1:])     # the letters, as conv and shape
    if pool.ceil_mode and (Ho, Wo) != tuple(
            positions(reach(n, pads, k), s, True)
            for n, pads, k, s in zip((H, W), pool.padding, pool.size, pool.stride)):
        size.add(Paragraph("(− 1: in ceil mode a last window that would start in the padding "
                           "after the input is dropped, as PyTorch does.)"))
    shape_words = f"{Ho} × {Wo}" if not p.channels_given else f"{C} × {Ho} × {Wo}"
    size.add(Paragraph(f"The output is {shape_words}" +
                       (f" (one {Ho} × {Wo} map per channel)." if p.channels_given else ".")))
    size.add(*_coverage(p, H, W, Ho, Wo))
    blocks.append(size)

    if full:
        win = Section("Window by window")
        for c in range(C):
            target = win
            if C > 1:
                target = Section(f"Channel {c + 1}")
                win.add(target)
            for w in pool.windows(H, W):
                target.add(*_window_blocks(p, c, w, Y[c, w.row, w.col]))
        blocks.append(win)
    else:
        s = Section("Windows")
        what = "maximum" if pool.type == "max" else "mean"
        s.add(Paragraph(f"{n_windows:,} windows, each the {what} of up to "
                        f"{pool.size[0] * pool.size[1]} cells; --detail full shows every one."))
        blocks.append(s)

    result = Section("Output")
    for c in range(C):
        if show(Y[c]):
            result.add(Equation([_out_sym(p, c), Mat(Y[c])]))
    if not show(Y[0]):
        result.add(Paragraph(f"The output is {shape_words}, too large to show here "
                             "(--format json or -o FILE.json gives every value); its values "
                             "range from ", Num(Y.min()), " to ", Num(Y.max()), "."))
    blocks.append(result)

    data = data_of(p, Y, windows=full)
    title = p.title or ("Max pooling" if pool.type == "max" else "Average pooling")
    return Solution("pool", title, blocks, data)
