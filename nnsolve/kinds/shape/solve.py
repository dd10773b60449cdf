"""Output sizes, parameter counts, receptive fields and multiply-accumulates of a stack of
layers, each with its formula and numbers."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from fractions import Fraction

from ...expr import Add, Call, Count, Frac, Mul, Num, Paren, Rel, Seq, Sub, Sym, Text
from ...sizes import positions, reach
from ...solution import Equation, Note, Paragraph, Section, Solution, Table
from .spec import Residual, channels_first_hint, count_layers, layer_shapes, \
    looks_channels_last

STRIDED_TRANSPOSED = (
    "A transposed convolution with stride s > 1 has s output cells for each input cell, so "
    "the jump j/s is only an average: neighbouring output cells are different numbers of "
    "input cells apart, and may see different numbers of input cells. The receptive field "
    "and jump are then not one number each; the table gives their smallest and largest value "
    "over the cells (away from the edges, padding counted as cells), worked out cell by cell, "
    "until a later stride lines the cells up again.")
STRIDED_TRANSPOSED_CELL = (
    "the output has s cells for each input cell, so the jump j/s is only an average: "
    "neighbouring output cells are different numbers of input cells apart")
FULL_LAYERS = 10     # default detail: every layer's working while the stack is this short
WEIGHTED = ("conv", "conv_transpose", "dense")
WINDOWED = ("conv", "pool", "global_avg_pool")     # what moves the receptive field


# --- the arithmetic ---------------------------------------------------------------------------

@dataclass
class LayerResult:
    """A layer's shapes, resolved padding, parameters, multiply-accumulates, and the receptive
    field and jump of its output cells on the input (None where they are not a window: after
    flatten or a transposed convolution); ``rf_in``/``jump_in`` are its input's. A residual
    block holds the results of its layers, its shortcut (None: identity) and its activation."""

    layer: object
    in_shape: tuple
    out_shape: tuple
    params: int
    pads: tuple = ((0, 0), (0, 0))
    label: str = ""
    macs: int = 0
    rf: tuple | None = (1, 1)
    jump: tuple | None = (1, 1)
    rf_in: tuple | None = (1, 1)
    jump_in: tuple | None = (1, 1)
    whole: bool = False               # after flatten or dense: each output sees all the input
    main: list = field(default_factory=list)
    shortcut: list | None = None
    activation: "LayerResult | None" = None
    spans: tuple | None = None      # per axis the exact Spans of its cells (None: not known)


def parameters(layer, in_shape: tuple) -> int:
    """Weights and biases: F·(C/G)·kh·kw (+ F) for a convolution, n·units (+ units) for dense,
    2C for batch norm (γ and β)."""
    if layer.type in ("conv", "conv_transpose"):
        return layer.filters * (in_shape[0] // layer.groups) * layer.kernel[0] * \
            layer.kernel[1] + (layer.filters if layer.bias else 0)
    if layer.type == "dense":
        return in_shape[0] * layer.units + (layer.units if layer.bias else 0)
    if layer.type == "batchnorm":
        return layer.per_channel * in_shape[0]
    return 0


def macs(layer, in_shape: tuple, out_shape: tuple) -> int:
    """Multiply-accumulates of the weights: each output of a convolution takes (C/G)·kh·kw of
    them, each input of a transposed one scatters F·kh·kw, each dense unit takes n."""
    if layer.type == "conv":
        F, Ho, Wo = out_shape
        return F * Ho * Wo * (in_shape[0] // layer.groups) * layer.kernel[0] * layer.kernel[1]
    if layer.type == "conv_transpose":
        C, H, W = in_shape
        return C * H * W * layer.filters * layer.kernel[0] * layer.kernel[1]
    if layer.type == "dense":
        return in_shape[0] * layer.units
    return 0


def window(layer, in_shape: tuple) -> tuple:
    """Per axis (k, d, s) of what moves the receptive field; a global pool is one window of the
    whole map."""
    if layer.type == "global_avg_pool":
        return tuple((n, 1, n) for n in in_shape[1:])
    d = layer.dilation if layer.type in ("conv", "conv_transpose") else (1, 1)
    return tuple(zip(layer.kernel, d, layer.stride))


def receptive(layer, in_shape, rf, jump, rule: str = "jump") -> tuple:
    """r ← r + (k − 1)·d·j, j ← j·s on each axis; None once the cells are no window of the
    input (flatten, dense, a transposed convolution)."""
    if rf is None or layer.type in ("flatten", "dense", "conv_transpose"):
        return None, None
    if layer.type not in WINDOWED:
        return rf, jump
    w = window(layer, in_shape)
    step = (1, 1) if rule == "no_jump" else jump    # the slip: the strides before forgotten
    return (tuple(r + (k - 1) * d * j for r, j, (k, d, _s) in zip(rf, step, w)),
            tuple(j * s for j, (_k, _d, s) in zip(jump, w)))


# --- receptive fields exactly, cell by cell (what a transposed convolution needs) -------------

MAX_PERIOD_WORK = 2_000_000      # window positions looked at for one layer's periodic spans


@dataclass(frozen=True)
class Spans:
    """On one axis, the input cells [lo(o), hi(o)] that output cell o depends on, away from the
    edges (padding counted as cells, as the r ← r + (k − 1)·d·j rule does), for every o:
    lo(o + period) = lo(o) + shift. An entry None: that cell depends on no input cell (a
    transposed convolution whose stride skips it: bias only). A stack of convolutions and pools
    keeps period 1 (then the jump is ``shift``); a transposed convolution with stride s makes
    s output cells per input cell, a period of s."""

    period: int
    shift: int
    lo: tuple
    hi: tuple

    def at(self, o: int):
        q, r = divmod(o, self.period)
        if self.lo[r] is None:
            return None
        return self.lo[r] + q * self.shift, self.hi[r] + q * self.shift

    def sizes(self) -> set:
        """The receptive fields of the cells of one period (0 for a cell that sees none)."""
        return {0 if a is None else b - a + 1 for a, b in zip(self.lo, self.hi)}

    def uniform(self) -> bool:
        """One receptive field and one jump for every cell: period 1, and it sees something."""
        return self.period == 1 and self.lo[0] is not None

    def reduced(self) -> "Spans":
        """The same spans with their shortest period (a strided layer after a transposed one
        can line the cells up again)."""
        P = self.period
        for q in range(1, P):
            if P % q or (self.shift * q) % P:
                continue
            step = self.shift * q // P

            def same(a, b):
                return a is b is None or (a is not None and b is not None and a + step == b)
            if all(same(self.lo[r], self.lo[r + q]) and same(self.hi[r], self.hi[r + q])
                   for r in range(P - q)):
                return Spans(q, step, self.lo[:q], self.hi[:q])
        return self


INPUT_SPANS = Spans(1, 1, (0,), (0,))


def _window_spans(sp: Spans, k: int, d: int, s: int, p: int) -> Spans | None:
    """After a window of k cells, dilation d, stride s and leading padding p: output cell u
    covers the input's cells u·s − p + t·d, t = 0 … k − 1."""
    if sp.uniform():         # the r ← r + (k − 1)·d·j, j ← j·s rule, at its alignment
        lo, hi = sp.at(-p)[0], sp.at(-p + (k - 1) * d)[1]
        return Spans(1, sp.shift * s, (lo,), (hi,))
    P = sp.period // math.gcd(sp.period, s)
    if P * k > MAX_PERIOD_WORK:
        return None
    los, his = [], []
    for u in range(P):
        seen = [x for x in (sp.at(u * s - p + t * d) for t in range(k)) if x is not None]
        los.append(min(a for a, _ in seen) if seen else None)
        his.append(max(b for _, b in seen) if seen else None)
    return Spans(P, sp.shift * P * s // sp.period, tuple(los), tuple(his)).reduced()


def _transposed_spans(sp: Spans, k: int, d: int, s: int, p: int) -> Spans | None:
    """After a transposed convolution: input cell i adds into output cells i·s − p + t·d, so
    output cell o gets the input cells (o + p − t·d)/s that are whole numbers."""
    P = sp.period * s
    if P * k > MAX_PERIOD_WORK:
        return None
    los, his = [], []
    for o in range(P):
        seen = [sp.at((o + p - t * d) // s) for t in range(k) if (o + p - t * d) % s == 0]
        seen = [x for x in seen if x is not None]
        los.append(min(a for a, _ in seen) if seen else None)
        his.append(max(b for _, b in seen) if seen else None)
    return Spans(P, sp.shift, tuple(los), tuple(his)).reduced()


def layer_spans(layer, in_shape, pads, spans):
    """Per axis the Spans of a layer's output cells from its input's; None for each axis once
    they are no window (flatten, dense) or too long a period to work out."""
    if spans is None or layer.type in ("flatten", "dense"):
        return None
    if layer.type == "global_avg_pool":
        return tuple(None if sp is None else _window_spans(sp, n, 1, n, 0)
                     for sp, n in zip(spans, in_shape[1:]))
    if layer.type in ("conv", "pool"):
        return tuple(None if sp is None else _window_spans(sp, k, d, st, pb)
                     for sp, (k, d, st), (pb, _pa) in zip(spans, window(layer, in_shape), pads))
    if layer.type == "conv_transpose":
        return tuple(None if sp is None else _transposed_spans(sp, k, d, st, pb)
                     for sp, k, d, st, (pb, _pa) in zip(spans, layer.kernel, layer.dilation,
                                                        layer.stride, pads))
    return spans


def _results(layers, shapes, rf, jump, whole=False, rule="jump", spans=(INPUT_SPANS,) * 2) \
        -> list[LayerResult]:
    out = []
    for layer, s in zip(layers, shapes):
        if isinstance(layer, Residual):
            main = _results(layer.layers, s.main, rf, jump, whole, rule, spans)
            short = None if layer.shortcut is None else \
                _results(layer.shortcut, s.shortcut, rf, jump, whole, rule, spans)
            end = main[-1]
            act = None
            if layer.activation is not None:
                act = LayerResult(layer.activation, s.out_shape, s.out_shape, 0,
                                  label=s.activation.label, rf=end.rf, jump=end.jump,
                                  rf_in=end.rf, jump_in=end.jump, whole=end.whole,
                                  spans=end.spans)
            parts = main + (short or [])
            out.append(LayerResult(layer, s.in_shape, s.out_shape,
                                   sum(r.params for r in parts), label=s.label,
                                   macs=sum(r.macs for r in parts), rf=end.rf, jump=end.jump,
                                   rf_in=rf, jump_in=jump, whole=end.whole, main=main,
                                   shortcut=short, activation=act, spans=end.spans))
            rf, jump, whole, spans = end.rf, end.jump, end.whole, end.spans
            continue
        sp_out = layer_spans(layer, s.in_shape, s.pads, spans)
        if rf is not None and layer.type != "conv_transpose":
            r_out, j_out = receptive(layer, s.in_shape, rf, jump, rule)
        elif sp_out is not None and all(x is not None and x.uniform() for x in sp_out):
            # a transposed convolution with stride 1, or a stack that lines its cells up again
            r_out = tuple(x.hi[0] - x.lo[0] + 1 for x in sp_out)
            j_out = tuple(x.shift for x in sp_out)
        else:
            r_out, j_out = None, None
        whole = whole or layer.type in ("flatten", "dense")
        out.append(LayerResult(layer, s.in_shape, s.out_shape, parameters(layer, s.in_shape),
                               s.pads, s.label, macs(layer, s.in_shape, s.out_shape), r_out,
                               j_out, rf, jump, whole, spans=sp_out))
        rf, jump, spans = r_out, j_out, sp_out
    return out


def walk(problem) -> list[LayerResult]:
    """Every layer's shapes, parameters, MACs and receptive field; a layer that does not fit is
    a ProblemError. Blocks hold their own layers' results."""
    return _results(problem.layers, layer_shapes(problem), (1, 1), (1, 1),
                    rule=getattr(problem, "rf_rule", "jump"))


def _all(results):
    """Every result, blocks and their layers."""
    for r in results:
        yield r
        if isinstance(r.layer, Residual):
            yield from _all(r.main)
            yield from _all(r.shortcut or [])


def leaves(results):
    """Every layer's result in table order, a block's layers, shortcut and activation included
    (not the block itself)."""
    for r in results:
        if isinstance(r.layer, Residual):
            yield from leaves(r.main)
            yield from leaves(r.shortcut or [])
            if r.activation is not None:
                yield r.activation
        else:
            yield r


def rebuild(layers, results, fn) -> list:
    """The stack with each layer replaced by ``fn(layer, result)``, inside blocks too (for the
    variants that `check` re-solves)."""
    from dataclasses import replace
    out = []
    for layer, r in zip(layers, results):
        if isinstance(layer, Residual):
            out.append(replace(layer, layers=rebuild(layer.layers, r.main, fn),
                               shortcut=None if layer.shortcut is None else
                               rebuild(layer.shortcut, r.shortcut, fn)))
        else:
            out.append(fn(layer, r))
    return out


# --- formulas as data -------------------------------------------------------------------------

def _size_general(pool: bool, transposed: bool, ceil_mode: bool = False) -> Equation:
    o, i, k, s, d = Sym("o"), Sym("i"), Sym("k"), Sym("s"), Sym("d")
    pb, pa = Sym("p", sub="before"), Sym("p", sub="after")
    if transposed:
        rhs = Add((Sub(Sub(Mul((Paren(Sub(i, Num(1))), s), "juxt"), pb), pa),
                   Mul((d, Paren(Sub(k, Num(1)))), "juxt"), Sym("p", sub="out"), Num(1)))
        return Equation([o, rhs])
    inner = Sub(Add((i, pb, pa)), k) if pool else \
        Sub(Sub(Add((i, pb, pa)), Mul((d, Paren(Sub(k, Num(1)))), "juxt")), Num(1))
    rounding = "ceil" if ceil_mode else "floor"
    return Equation([o, Add((Call(rounding, (Frac(inner, s),)), Num(1)))])


def size_equations(axes, sizes, pads, kernel, stride, dilation, outs, *, pool=False,
                   transposed=False, output_padding=(0, 0), ceil_mode=False) -> list:
    """The output-size formula, then each axis with its numbers put in."""
    eqs = [_size_general(pool, transposed, ceil_mode)]
    for axis, name in enumerate(axes):
        i, p, k, s, d, o = (sizes[axis], pads[axis], kernel[axis], stride[axis],
                            dilation[axis], outs[axis])
        sym = Sym(name, sub="out")
        if transposed:
            op = output_padding[axis]
            eqs.append(Equation([sym, Add((Sub(Sub(Mul((Paren(Sub(Num(i), Num(1))), Num(s))),
                                                   Num(p[0])), Num(p[1])),
                                           Mul((Num(d), Paren(Sub(Num(k), Num(1))))),
                                           Num(op), Num(1))), Num(o)]))
            continue
        top = reach(i, p, k, 1 if pool else d)
        if pool:
            inner = Sub(Add((Num(i), Num(p[0]), Num(p[1]))), Num(k))
        else:
            inner = Sub(Sub(Add((Num(i), Num(p[0]), Num(p[1]))),
                            Mul((Num(d), Paren(Sub(Num(k), Num(1)))))), Num(1))
        rounding = "ceil" if ceil_mode else "floor"
        parts = [sym, Add((Call(rounding, (Frac(inner, Num(s)),)), Num(1))),
                 Add((Call(rounding, (Frac(Num(top), Num(s)),)), Num(1)))]
        plain = positions(top, s, ceil_mode)
        if plain != o:   # ceil mode: a last window starting in the trailing padding is dropped
            parts.append(Sub(Num(plain), Num(1)))
        parts.append(Num(o))
        eqs.append(Equation(parts))
    return eqs


def size_symbols(pool: bool = False, transposed: bool = False) -> Paragraph:
    """What the letters of the size formula stand for (said once in a solution)."""
    parts = ["Here ", Sym("i"), " is the input size on the axis, ", Sym("k"), " the "
             + ("window" if pool else "kernel") + " size, ", Sym("s"), " the stride, "]
    if not pool:
        parts += [Sym("d"), " the dilation (1: no gaps), "]
    parts += [Sym("p", sub="before"), " and ", Sym("p", sub="after"), " the padding on each "
              "side, "]
    if transposed:
        parts += [Sym("p", sub="out"), " the output padding, "]
    parts += [Sym("o"), " the output size."]
    return Paragraph(*parts)


def coverage_note(axes, sizes, pads, kernel, stride, dilation) -> Note | None:
    """A note when the stride does not tile the input: the last rows or columns are unused, or
    (a window narrower than the stride) the cells between windows."""
    from ...sizes import effective_kernel, uncovered
    parts, gaps = [], []
    for name, i, p, k, s, d in zip(axes, sizes, pads, kernel, stride, dilation):
        n = uncovered(i, p, k, s, d)
        what = "row" if name == "H" else "column"
        if n:
            parts.append(f"the last {n} {what}{'s' if n != 1 else ''} of the {i}")
        w = effective_kernel(k, d)
        if w < s:
            gaps.append((what, s - w, w, s))
    if not parts and not gaps:
        return None
    text = "The stride does not tile the input: "
    if parts:
        text += "no window covers " + " and ".join(parts) + " (the floor in the formula drops " \
            "them)"
    if gaps:
        skipped = " and ".join(f"{n} {what}{'s' if n != 1 else ''}" for what, n, _w, _s in gaps)
        how = {(w, s) for _what, _n, w, s in gaps}
        if len(how) == 1:
            w, s = how.pop()
            text += ("; and " if parts else "") + f"the windows, {w} wide with stride {s}, " \
                f"skip {skipped} after each"
        else:
            text += ("; and " if parts else "") + "the windows skip " + " and ".join(
                f"{n} {what}{'s' if n != 1 else ''} after each ({w} wide, stride {s})"
                for what, n, w, s in gaps)
    return Note(text + ".")


def _params_expr(r: LayerResult):
    """The parameter count as a product of numbers: 16 · (3 · 3 · 3 + 1)."""
    L = r.layer
    if L.type in ("conv", "conv_transpose"):
        C = r.in_shape[0] // L.groups
        weights = Mul((Num(C), Num(L.kernel[0]), Num(L.kernel[1])))
        if L.bias:
            return Mul((Num(L.filters), Paren(Add((weights, Num(1))))))
        return Mul((Num(L.filters),) + weights.factors)
    if L.type == "dense":
        n = r.in_shape[0]
        if L.bias:
            return Mul((Num(L.units), Paren(Add((Num(n), Num(1))))))
        return Mul((Num(L.units), Num(n)))
    if L.type == "batchnorm":
        return Mul((Num(2), Num(r.in_shape[0])))
    return None


def weights(r: LayerResult) -> int:
    """The weights of a layer, without biases: each is used once per output position."""
    return r.params - (r.layer.filters if r.layer.bias else 0) \
        if r.layer.type in ("conv", "conv_transpose") else r.params - (
            r.layer.units if r.layer.bias else 0)


def _macs_expr(r: LayerResult):
    """The multiply-accumulates as positions × weights: each weight multiplies once per output
    position of a convolution (per input position of a transposed one), once for dense."""
    L = r.layer
    if L.type == "conv":
        return Mul((Num(r.out_shape[1]), Num(r.out_shape[2]), Count(weights(r))))
    if L.type == "conv_transpose":
        return Mul((Num(r.in_shape[1]), Num(r.in_shape[2]), Count(weights(r))))
    if L.type == "dense":
        return Mul((Num(r.in_shape[0]), Num(L.units)))
    return None


def _axes_same(pairs) -> bool:
    return all(p is not None and p[0] == p[1] for p in pairs)


def _rf_parts(r: LayerResult, show_d: bool = True) -> list:
    """Per axis (or once when both axes agree) the receptive-field formula with its numbers:
    [(r_in + (k − 1) · d · j_in, r)]; [] when it does not move. Without ``show_d`` (no layer of
    the stack is dilated) the factor d = 1 is left out."""
    L = r.layer
    if r.rf is None or r.rf_in is None or not (L.type in WINDOWED or unit_transposed(L)):
        return []
    w = window(L, r.in_shape)
    axes = [(r.rf_in[a], w[a][0], w[a][1], r.jump_in[a], r.rf[a]) for a in range(2)]
    if axes[0] == axes[1]:
        axes = axes[:1]
    return [Add((Num(ri), Mul((Paren(Sub(Num(k), Num(1))),) + ((Num(d),) if show_d else ())
                              + (Num(j),)))) for ri, k, d, j, _ in axes], \
        [ro for *_x, ro in axes]


def unit_transposed(layer) -> bool:
    """A transposed convolution with stride 1: a convolution with its kernel flipped (and
    padded by (k − 1)·d − p), so r ← r + (k − 1)·d·j and j stays."""
    return layer.type == "conv_transpose" and layer.stride == (1, 1)


def _varies(r: LayerResult) -> bool:
    """The cells of this layer differ in their receptive field or jump (a transposed
    convolution's stride put s output cells on each input cell)."""
    return r.rf is None and not r.whole and r.spans is not None


def _per_axis(values):
    """One value (its key, its formula), or H's and W's."""
    if values[0][0] == values[1][0]:
        return values[0][1]
    return Seq((Text("H"), values[0][1], Text("; W"), values[1][1]), " ")


def _span_range(sp):
    if sp is None:
        return None, Text("not worked out (too long a period)")
    lo, hi = min(sp.sizes()), max(sp.sizes())
    return (lo, hi), (Text(f"{lo} to {hi}") if lo != hi else Num(lo))


def _jump_range(sp):
    if sp is None:
        return None, Text("not worked out")
    steps = {sp.at(o + 1)[0] - sp.at(o)[0] for o in range(sp.period)
             if sp.at(o) is not None and sp.at(o + 1) is not None}
    mean = Fraction(sp.shift, sp.period)
    key = (min(steps, default=None), max(steps, default=None), mean)
    if len(steps) == 1:
        return key, Num(steps.pop())
    if not steps:
        return key, Seq((Text("on average"), Num(mean)), " ")
    return key, Seq((Text(f"{min(steps)} to {max(steps)}, on average"), Num(mean)), " ")


def _rf_cell(r: LayerResult, show_d: bool = True):
    if r.rf is None:
        if _varies(r):
            return _per_axis([_span_range(sp) for sp in r.spans])
        return "all" if r.whole else "—"
    parts = _rf_parts(r, show_d)
    if not parts:
        return _pair_expr(r.rf)
    exprs, values = parts
    if len(exprs) == 1:
        return Rel(exprs[0], "=", Num(values[0]))
    return Seq((Rel(exprs[0], "=", Num(values[0])), Rel(exprs[1], "=", Num(values[1]))), "; ")


def _jump_cell(r: LayerResult):
    if r.jump is None:
        if _varies(r):
            return _per_axis([_jump_range(sp) for sp in r.spans])
        return "—"
    if r.layer.type not in WINDOWED or isinstance(r.layer, Residual) or r.jump_in is None:
        return _pair_expr(r.jump)
    s = tuple(x for _k, _d, x in window(r.layer, r.in_shape))
    if s == (1, 1):
        return _pair_expr(r.jump)
    if r.jump_in[0] == r.jump_in[1] and s[0] == s[1]:
        return Rel(Mul((Num(r.jump_in[0]), Num(s[0]))), "=", Num(r.jump[0]))
    return Seq(tuple(Rel(Mul((Num(r.jump_in[a]), Num(s[a]))), "=", Num(r.jump[a]))
                     for a in range(2)), "; ")


def _pair_expr(p):
    return Num(p[0]) if p[0] == p[1] else Seq((Num(p[0]), Num(p[1])), " × ")


def _pair(p) -> str:
    return str(p[0]) if p[0] == p[1] else f"{p[0]}×{p[1]}"


def _table_name(r: LayerResult) -> str:
    """A layer in the parameters table: what _describe says but its bias (the formula shows
    it)."""
    return _describe(r, table=True)


def _describe(r: LayerResult, table: bool = False) -> str:
    L = r.layer
    t = L.type

    def padding():
        if isinstance(L.padding, str):
            return f", padding {L.padding}"
        (a, b), (c, d) = L.padding
        if (a, b, c, d) == (0, 0, 0, 0):
            return ""
        if a == b == c == d:
            return f", padding {a}"
        return f", padding {a},{b},{c},{d}"

    if t == "residual":
        return "residual block" + (" (identity shortcut)" if L.shortcut is None else "")
    depthwise = t == "conv" and L.groups != 1 and L.groups == r.in_shape[0]
    if t in ("conv", "conv_transpose"):
        s = f"{'conv' if t == 'conv' else 'conv transpose'} {L.kernel[0]}×{L.kernel[1]}"
        if depthwise:       # one filter per channel (or a few): the filters are the groups'
            s = "depthwise " + s + ("" if L.filters == L.groups else
                                    f", {L.filters:,} filters")
        else:
            s += f", {L.filters:,} filter{'s' if L.filters != 1 else ''}"
        if L.stride != (1, 1):
            s += f", stride {_pair(L.stride)}"
        s += padding()
        if L.dilation != (1, 1):
            s += f", dilation {_pair(L.dilation)}"
        if L.groups != 1 and not depthwise:
            s += f", {L.groups} groups"
        if t == "conv_transpose" and L.output_padding != (0, 0):
            s += f", output padding {_pair(L.output_padding)}"
        if not L.bias and not table:
            s += ", no bias"
        return s
    if t == "pool":
        s = f"{L.pool_type} pool {L.kernel[0]}×{L.kernel[1]}"
        if L.stride != L.kernel:
            s += f", stride {_pair(L.stride)}"
        s += padding()
        if L.ceil_mode:
            s += ", ceil mode"
        return s
    if t == "dense":
        return f"dense, {L.units:,} unit{'s' if L.units != 1 else ''}" + \
            ("" if L.bias or table else ", no bias")
    if t == "global_avg_pool":
        return "global avg pool"
    if t == "dropout" and L.p is not None:
        from ...numbers import format_number
        return f"dropout p = {format_number(L.p).text}"
    return t


def _short(r: LayerResult) -> str:
    """What moves the receptive field: kernel, stride, dilation (table 2's layer names)."""
    L = r.layer
    if L.type == "residual":
        return "residual block"
    if L.type == "conv" or L.type == "conv_transpose" or L.type == "pool":
        s = ("conv" if L.type == "conv" else "conv transpose" if L.type == "conv_transpose"
             else f"{L.pool_type} pool") + f" {L.kernel[0]}×{L.kernel[1]}"
        if L.type == "conv" and L.groups != 1 and L.groups == r.in_shape[0]:
            s = "depthwise " + s
        if L.stride != (1, 1):
            s += f", stride {_pair(L.stride)}"
        if L.type != "pool" and L.dilation != (1, 1):
            s += f", dilation {_pair(L.dilation)}"
        if L.type == "conv" and L.groups != 1 and L.groups != r.in_shape[0]:
            s += f", {L.groups} groups"
        return s
    if L.type == "dense":
        return f"dense, {L.units:,} units"
    return _describe(r)


def _shape_expr(shape) -> Seq:
    return Seq(tuple(Count(n) for n in shape), " × ")


class _Said:
    """What a solution has explained already (the size formula's letters, once)."""

    def __init__(self):
        self.symbols = False


def _layer_section(r: LayerResult, said: _Said) -> Section:
    L = r.layer
    s = Section(f"Layer {r.label}: {_describe(r)}")
    if isinstance(L, Residual):
        s.add(Paragraph("Input ", _shape_expr(r.in_shape), "; the block adds its layers' "
                        "output to " + ("its input (the identity shortcut)."
                                        if L.shortcut is None else "its shortcut's output.")))
        for sub in r.main:
            s.add(_layer_section(sub, said))
        if r.shortcut is not None:
            short = Section(f"Layer {r.label}, shortcut")
            for sub in r.shortcut:
                short.add(_layer_section(sub, said))
            s.add(short)
        s.add(Paragraph("The sum: layers ", _shape_expr(r.main[-1].out_shape), " + shortcut ",
                        _shape_expr(r.out_shape if r.shortcut is None else
                                    r.shortcut[-1].out_shape),
                        f"; {r.params:,} parameters in the block. The receptive field and jump "
                        "follow the layers (the main path)."))
        if r.activation is not None:
            s.add(_layer_section(r.activation, said))
        return s
    s.add(Paragraph("Input ", _shape_expr(r.in_shape), "."))
    if L.type in ("conv", "conv_transpose", "pool"):
        C, H, W = r.in_shape
        pool, transposed = L.type == "pool", L.type == "conv_transpose"
        dil = L.dilation if not pool else (1, 1)
        if isinstance(L.padding, str):
            (a, b), (c, d) = r.pads
            s.add(Paragraph(f'Padding "{L.padding}" is {a} on top, {b} at the bottom, {c} on '
                            f'the left, {d} on the right'
                            + (" (output ⌈i/s⌉)." if L.padding == "same" else ".")))
        eqs = size_equations(("H", "W"), (H, W), r.pads, L.kernel, L.stride, dil,
                             r.out_shape[1:], pool=pool, transposed=transposed,
                             output_padding=L.output_padding, ceil_mode=L.ceil_mode)
        s.add(eqs[0])
        if not said.symbols:
            s.add(size_symbols(pool, transposed))
            said.symbols = True
        s.add(*eqs[1:])
        if not transposed and not L.ceil_mode:
            note = coverage_note(("H", "W"), (H, W), r.pads, L.kernel, L.stride, dil)
            if note is not None:
                s.add(note)
    if L.type in ("conv", "conv_transpose"):
        per = "a weight per input channel and kernel cell" if L.groups == 1 else \
            f"a weight per channel of its group ({r.in_shape[0] // L.groups} of the " \
            f"{r.in_shape[0]}: {L.groups} groups) and kernel cell"
        who = "The filter has" if L.filters == 1 else f"Each of the {L.filters:,} filters has"
        s.add(Paragraph(f"{who} {per}" + (", and one bias:" if L.bias else ":")))
        s.add(Equation([Text("parameters"), _params_expr(r), Count(r.params)]))
    elif L.type == "dense":
        s.add(Paragraph("Each unit has a weight per input" + (" and one bias:" if L.bias
                                                                else ":")))
        s.add(Equation([Text("parameters"), _params_expr(r), Count(r.params)]))
    elif L.type == "batchnorm":
        s.add(Paragraph("Batch norm learns a scale γ and a shift β per channel; its running "
                        "mean and variance are buffers (kept, not trained), not parameters:"))
        s.add(Equation([Text("parameters"), _params_expr(r), Count(r.params)]))
    elif L.type == "flatten":
        s.add(Equation([Text("units"), Mul(tuple(Num(d) for d in r.in_shape)),
                        Count(r.out_shape[0])]))
    elif L.type == "global_avg_pool":
        s.add(Paragraph(f"Each channel's {r.in_shape[1]}×{r.in_shape[2]} map is averaged to "
                        "one value: no parameters."))
    elif L.type == "dropout":
        s.add(Paragraph("Dropout zeroes random values while training: the shape stays, no "
                        "parameters."))
    elif L.type != "pool":
        s.add(Paragraph(f"{L.type} acts on each value: the shape stays, no parameters."))
    if L.type == "pool":
        s.add(Paragraph("Pooling has no parameters and keeps the channels."))
    parts = _rf_parts(r)
    if parts:
        exprs, values = parts
        names = (None,) if len(exprs) == 1 else ("H", "W")
        s.add(Paragraph("Receptive field ", Sym("r"), " and jump ", Sym("j"), " on the input (",
                        Rel(Sym("r"), "←", Add((Sym("r"), Mul((Paren(Sub(Sym("k"), Num(1))),
                                                               Sym("d"), Sym("j")))))),
                        ", ", Rel(Sym("j"), "←", Mul((Sym("j"), Sym("s")))), "):"))
        for name, e, v in zip(names, exprs, values):
            s.add(Equation([Sym("r", sub=name), e, Num(v)]))
        strides = [x for _k, _d, x in window(L, r.in_shape)]
        for a, name in enumerate(names):
            s.add(Equation([Sym("j", sub=name), Mul((Num(r.jump_in[a]), Num(strides[a]))),
                            Num(r.jump[a])]))
    elif L.type in ("flatten", "dense"):
        s.add(Paragraph("Each output now depends on the whole input: the receptive field is "
                        "all of it."))
    elif _varies(r) and L.type == "conv_transpose" and r.rf_in is not None:
        one = all(sp is not None and len(sp.sizes()) == 1 for sp in r.spans)
        s.add(Paragraph("Receptive field and jump on the input, cell by cell: ",
                        STRIDED_TRANSPOSED_CELL,
                        "." if one else ", and see different numbers of input cells.",
                        " Here the receptive field is ", _rf_cell(r), " input cells",
                        " (the same for every cell)" if one else "", ", the jump ",
                        _jump_cell(r), "."))
    elif _varies(r) and (L.type in WINDOWED or L.type == "conv_transpose"):
        s.add(Paragraph("Receptive field on the input: still not one number (worked out cell "
                        "by cell): ", _rf_cell(r), " input cells, the jump ", _jump_cell(r),
                        "."))
    elif r.rf is not None and r.rf_in is None and L.type in WINDOWED:
        s.add(Paragraph("Receptive field on the input: ", _pair_expr(r.rf), ", jump ",
                        _pair_expr(r.jump), ": this layer's stride lines the cells up again "
                        "(worked out cell by cell)."))
    mx = _macs_expr(r)
    if mx is not None:
        if L.type == "dense":
            s.add(Paragraph("Each weight multiplies once:"))
        else:
            pos = r.out_shape[1:] if L.type == "conv" else r.in_shape[1:]
            s.add(Paragraph(f"Each of the {weights(r):,} weights multiplies once per "
                            + ("output" if L.type == "conv" else "input")
                            + f" position ({pos[0]}×{pos[1]}):"))
        s.add(Equation([Text("MACs"), mx, Count(r.macs)]))
    s.add(Paragraph("Output ", _shape_expr(r.out_shape), "."))
    return s


def _compare_dense(results) -> tuple[list, list]:
    blocks, data = [], []
    for r in leaves(results):
        L = r.layer
        if L.type not in ("conv", "conv_transpose"):
            continue
        n_in = r.in_shape[0] * r.in_shape[1] * r.in_shape[2]
        F, Ho, Wo = r.out_shape
        n_out = F * Ho * Wo
        C, kh, kw = r.in_shape[0] // L.groups, L.kernel[0], L.kernel[1]
        b = 1 if L.bias else 0
        dense = n_in * n_out + b * n_out
        local = n_out * C * kh * kw + b * n_out
        s = Section(f"Layer {r.label}: convolution versus a fully connected layer")

        def with_bias(weights):
            return Paren(Add((weights, Num(1)))) if b else weights
        rows = [
            ["fully connected", Mul((Num(n_out), with_bias(Num(n_in)))), Count(dense)],
            ["locally connected (no sharing)",
             Mul((Num(n_out), with_bias(Mul((Num(C), Num(kh), Num(kw)))))), Count(local)],
            ["convolution", _params_expr(r), Count(r.params)],
        ]
        s.add(Paragraph("Between the same input ", _shape_expr(r.in_shape),
                        f" ({n_in:,} values) and output ", _shape_expr(r.out_shape),
                        f" ({n_out:,} values):"))
        s.add(Table(["Layer", "Computed as", "Parameters"], rows, align=["left", "left",
                                                                         "right"]))
        window_ = f"{C}×{kh}×{kw}"
        grouped = "" if L.groups == 1 else \
            f" (its group's {C} of the {r.in_shape[0]} channels: {L.groups} groups)"
        s.add(Paragraph(
            f"A fully connected layer joins each of the {n_out:,} outputs to all {n_in:,} "
            f"inputs. A convolution has local connectivity: each output sees only a {window_} "
            f"window of the input{grouped}, which leaves the locally connected count. And it "
            f"shares weights: the {Ho * Wo:,} positions of a filter use the same "
            f"{C * kh * kw:,} weights" + (" and bias" if b else "")
            + (f", so only the {F:,} filters' own parameters remain." if F != 1
               else ", so only the filter's own parameters remain.")))
        blocks.append(s)
        data.append({"layer": _json_index(r.label), "dense": dense, "locally_connected": local,
                     "conv": r.params})
    return blocks, data


def _json_index(label: str):
    """0-based position of a top-level layer (as in 0.1); a block's layer keeps its label."""
    return int(label) - 1 if label.isdigit() else label


def _rows(results, depth: int, describe=None) -> list:
    """The table rows of a list of results, a block's own layers indented under it."""
    describe = describe or _describe
    rows = []
    pad = " " * depth
    for r in results:
        name = f"{pad}{r.label}{'.' if depth == 0 else ''} {describe(r)}"
        if isinstance(r.layer, Residual):
            rows.append((r, name, Text("its layers' sum")))
            rows.extend(_rows(r.main, depth + 1, describe))
            if r.shortcut is not None:
                rows.extend(_rows(r.shortcut, depth + 1, describe))
            else:
                rows.append((None, f"{pad} {r.label}.s shortcut: identity", None))
            if r.activation is not None:
                rows.append((r.activation, f"{pad} {r.activation.label} "
                             f"{_describe(r.activation)}"
                             + (" (on the sum)" if describe is _table_name else ""), None))
        else:
            rows.append((r, name, None))
    return rows


def _entry(r: LayerResult) -> dict:
    """A layer's JSON entry; a block's holds its own ``layers`` and ``shortcut``."""
    d = {"type": r.layer.type, "output_shape": list(r.out_shape), "parameters": r.params,
         "macs": r.macs, "receptive_field": None if r.rf is None else list(r.rf),
         "jump": None if r.jump is None else list(r.jump)}
    if _varies(r) and all(sp is not None for sp in r.spans):
        d["receptive_field_range"] = [[min(sp.sizes()), max(sp.sizes())] for sp in r.spans]
    if isinstance(r.layer, Residual):
        d["layers"] = [_entry(x) for x in r.main] + \
            ([_entry(r.activation)] if r.activation is not None else [])
        d["shortcut"] = None if r.shortcut is None else [_entry(x) for x in r.shortcut]
    return d


def solve(problem, options) -> Solution:
    """A table of output shapes and parameter counts, one of receptive fields and MACs, each
    layer's working, and the totals."""
    results = walk(problem)
    total = sum(r.params for r in results)
    total_macs = sum(r.macs for r in results)
    compare = problem.compare_dense
    detail = options.detail or ("full" if count_layers(problem.layers) <= FULL_LAYERS
                                else "summary")
    table_rows = _rows(results, 0, _table_name)

    blocks = []
    if looks_channels_last(problem.input_shape):
        C, H, W = problem.input_shape
        blocks.append(Note(f"The input {C}×{H}×{W} is read as {C} channels of {H}×{W}: "
                           f"{channels_first_hint(problem.input_shape)}."))
    rows = [["input", _shape_expr(problem.input_shape), "", ""]]
    for r, name, how in table_rows:
        if r is None:
            rows.append([name, "", "", ""])
            continue
        formula = _params_expr(r) if how is None else how
        rows.append([name, _shape_expr(r.out_shape), Count(r.params),
                     formula if formula is not None else ""])
    rows.append(["total", "", Count(total), ""])
    if detail == "full":
        work = Section("Layer by layer")
        said = _Said()
        for r in results:
            work.add(_layer_section(r, said))
        blocks.append(work)
    summary = Section("Output shapes and parameters")
    summary.add(Table(["Layer", "Output shape", "Parameters", "Computed as"], rows,
                      align=["left", "left", "right", "left"]))
    out = results[-1].out_shape
    summary.add(Paragraph("Output ", _shape_expr(out), f"; {total:,} parameter"
                          f"{'s' if total != 1 else ''} in all."))
    bn = [r for r in leaves(results) if r.layer.type == "batchnorm"]
    if bn:
        buffers = sum(r.params for r in bn)
        summary.add(Note(f"Batch norm's running mean and variance ({buffers:,} numbers here) "
                         "are buffers, not parameters, as PyTorch counts them (Keras lists them "
                         "as non-trainable parameters)."))
    blocks.append(summary)

    show_d = any(x.layer.type == "conv" and x.layer.dilation != (1, 1)
                 for x in leaves(results))
    types = {x.layer.type for x in leaves(results)}
    residual = any(isinstance(r.layer, Residual) for r in _all(results))
    grouped = any(x.layer.type == "conv" and x.layer.groups != 1 for x in leaves(results))
    field_ = Section("Receptive field and jump")
    field_.add(Paragraph(
        "The receptive field r of an output cell is the span of input cells it depends on; "
        "the jump j is the distance, in input cells, between neighbouring output cells. From "
        "r = j = 1 on the input, each layer with a window of k cells, dilation d and stride s "
        "gives r ← r + (k − 1)·d·j, then j ← j·s"
        + ("" if show_d else " (no layer here is dilated: d = 1, left out below)") + "."
        + (" A residual block follows its main path (its layers)." if residual else "")
        + (" A global pool is one window of the whole map." if "global_avg_pool" in types
           else "")
        + (" A transposed convolution with stride 1 is a convolution with its kernel "
           "flipped: r ← r + (k − 1)·d·j, j stays." if any(unit_transposed(x.layer)
                                                          for x in leaves(results)) else "")
        + (" " + STRIDED_TRANSPOSED if any(x.layer.type == "conv_transpose"
                                           and not unit_transposed(x.layer)
                                           for x in leaves(results)) else "")))
    frows = [["input", Num(1), Num(1)]]
    mrows = []
    for r, name, how in _rows(results, 0, _short):
        if r is None:
            continue
        frows.append([name, _rf_cell(r, show_d), _jump_cell(r)])
        mx = _macs_expr(r) if how is None else how
        if r.macs or how is not None:
            mrows.append([name, Count(r.macs), mx if mx is not None else ""])
    field_.add(Table(["Layer", "Receptive field", "Jump"], frows,
                     align=["left", "left", "left"]))
    blocks.append(field_)
    cost = Section("Multiply-accumulates")
    free = [w for w, there in (("batch norm", "batchnorm" in types),
                               ("pooling", bool(types & {"pool", "global_avg_pool"})),
                               ("activations", bool(types - set(WEIGHTED) - {
                                   "batchnorm", "pool", "global_avg_pool", "flatten",
                                   "dropout"})),
                               ("the sums of residual blocks", residual)) if there]
    cost.add(Paragraph(
        "A multiply-accumulate (MAC) is one weight times one input, added to a sum. Each "
        "weight of a convolution is used once per output position (H_out × W_out)"
        + (", of a transposed convolution once per input position" if "conv_transpose" in types
           else "")
        + (", of a dense layer once" if "dense" in types else "") + "."
        + (" A grouped filter has weights for the C/G channels of its group only." if grouped
           else "") + " Biases"
        + "".join(", " + w for w in free[:-1]) + (" and " + free[-1] if free else "")
        + " are not counted, as in torchvision's figures; the layers without weights are left "
        "out of the table."))
    mrows.append(["total", Count(total_macs), ""])
    cost.add(Table(["Layer", "MACs", "Computed as"], mrows, align=["left", "right", "left"]))
    blocks.append(cost)

    data = {
        "kind": "shape", "format_version": 1, "input_shape": list(problem.input_shape),
        "layers": [_entry(r) for r in results],
        "output_shape": list(out), "total_parameters": total, "total_macs": total_macs,
    }
    if compare:
        cblocks, cdata = _compare_dense(results)
        if cblocks:
            blocks.append(Section("Convolution versus fully connected", cblocks))
        else:
            blocks.append(Note("--compare-dense compares convolution layers; this stack has "
                               "none."))
        data["compare_dense"] = cdata
    return Solution("shape", problem.title or "Output shapes and parameter counts", blocks, data)
