"""Output sizes and parameter counts of a stack of layers, each with its formula and numbers."""

from __future__ import annotations

from dataclasses import dataclass

from ...expr import Add, Call, Frac, Mul, Num, Paren, Seq, Sub, Sym, Text
from ...sizes import positions, reach
from ...solution import Equation, Note, Paragraph, Section, Solution, Table
from .spec import layer_shapes

FULL_LAYERS = 10     # default detail: every layer's working while the stack is this short


# --- the arithmetic ---------------------------------------------------------------------------

@dataclass
class LayerResult:
    """A layer's input and output shapes, its resolved padding and its parameter count."""

    layer: object
    in_shape: tuple
    out_shape: tuple
    params: int
    pads: tuple = ((0, 0), (0, 0))


def parameters(layer, in_shape: tuple) -> int:
    """Weights and biases: F·C·kh·kw (+ F) for a convolution, n·units (+ units) for dense."""
    if layer.type in ("conv", "conv_transpose"):
        return layer.filters * in_shape[0] * layer.kernel[0] * layer.kernel[1] + \
            (layer.filters if layer.bias else 0)
    if layer.type == "dense":
        return in_shape[0] * layer.units + (layer.units if layer.bias else 0)
    return 0


def walk(problem) -> list[LayerResult]:
    """Every layer's shapes and parameters; a layer that does not fit is a ProblemError."""
    return [LayerResult(layer, s.in_shape, s.out_shape, parameters(layer, s.in_shape), s.pads)
            for layer, s in zip(problem.layers, layer_shapes(problem))]


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


def _params_expr(r: LayerResult):
    """The parameter count as a product of numbers: 16 · (3 · 3 · 3 + 1)."""
    L = r.layer
    if L.type in ("conv", "conv_transpose"):
        C = r.in_shape[0]
        weights = Mul((Num(C), Num(L.kernel[0]), Num(L.kernel[1])))
        if L.bias:
            return Mul((Num(L.filters), Paren(Add((weights, Num(1))))))
        return Mul((Num(L.filters),) + weights.factors)
    if L.type == "dense":
        n = r.in_shape[0]
        if L.bias:
            return Mul((Num(L.units), Paren(Add((Num(n), Num(1))))))
        return Mul((Num(L.units), Num(n)))
    return None


def _describe(r: LayerResult) -> str:
    L = r.layer
    t = L.type

    def pair(p):
        return str(p[0]) if p[0] == p[1] else f"{p[0]}×{p[1]}"

    def padding():
        if isinstance(L.padding, str):
            return f", padding {L.padding}"
        (a, b), (c, d) = L.padding
        if (a, b, c, d) == (0, 0, 0, 0):
            return ""
        if a == b == c == d:
            return f", padding {a}"
        return f", padding {a},{b},{c},{d}"

    if t in ("conv", "conv_transpose"):
        s = f"{'conv' if t == 'conv' else 'conv transpose'} {L.kernel[0]}×{L.kernel[1]}, " \
            f"{L.filters} filter{'s' if L.filters != 1 else ''}"
        if L.stride != (1, 1):
            s += f", stride {pair(L.stride)}"
        s += padding()
        if L.dilation != (1, 1):
            s += f", dilation {pair(L.dilation)}"
        if t == "conv_transpose" and L.output_padding != (0, 0):
            s += f", output padding {pair(L.output_padding)}"
        if not L.bias:
            s += ", no bias"
        return s
    if t == "pool":
        s = f"{L.pool_type} pool {L.kernel[0]}×{L.kernel[1]}"
        if L.stride != L.kernel:
            s += f", stride {pair(L.stride)}"
        s += padding()
        if L.ceil_mode:
            s += ", ceil mode"
        return s
    if t == "dense":
        return f"dense, {L.units} unit{'s' if L.units != 1 else ''}" + \
            ("" if L.bias else ", no bias")
    return t


def _shape_expr(shape) -> Seq:
    return Seq(tuple(Num(n) for n in shape), " × ")


def _layer_section(n: int, r: LayerResult) -> Section:
    L = r.layer
    s = Section(f"Layer {n}: {_describe(r)}")
    s.add(Paragraph("Input ", _shape_expr(r.in_shape), "."))
    if L.type in ("conv", "conv_transpose", "pool"):
        C, H, W = r.in_shape
        if isinstance(L.padding, str):
            (a, b), (c, d) = r.pads
            s.add(Paragraph(f'Padding "{L.padding}" is {a} on top, {b} at the bottom, {c} on '
                            f'the left, {d} on the right'
                            + (" (output ⌈i/s⌉)." if L.padding == "same" else ".")))
        s.add(*size_equations(("H", "W"), (H, W), r.pads, L.kernel, L.stride,
                              L.dilation if L.type != "pool" else (1, 1), r.out_shape[1:],
                              pool=L.type == "pool", transposed=L.type == "conv_transpose",
                              output_padding=L.output_padding, ceil_mode=L.ceil_mode))
    if L.type in ("conv", "conv_transpose"):
        s.add(Paragraph(f"Each of the {L.filters} filters has a weight per input channel and "
                        "kernel cell"
                        + (", and one bias:" if L.bias else ":")))
        s.add(Equation([Text("parameters"), _params_expr(r), Num(r.params)]))
    elif L.type == "dense":
        s.add(Paragraph("Each unit has a weight per input" + (" and one bias:" if L.bias
                                                                else ":")))
        s.add(Equation([Text("parameters"), _params_expr(r), Num(r.params)]))
    elif L.type == "flatten":
        s.add(Equation([Text("units"), Mul(tuple(Num(d) for d in r.in_shape)),
                        Num(r.out_shape[0])]))
    elif L.type != "pool":
        s.add(Paragraph(f"{L.type} acts on each value: the shape stays, no parameters."))
    if L.type == "pool":
        s.add(Paragraph("Pooling has no parameters and keeps the channels."))
    s.add(Paragraph("Output ", _shape_expr(r.out_shape), "."))
    return s


def _compare_dense(results) -> tuple[list, list]:
    blocks, data = [], []
    for n, r in enumerate(results, start=1):
        L = r.layer
        if L.type not in ("conv", "conv_transpose"):
            continue
        n_in = r.in_shape[0] * r.in_shape[1] * r.in_shape[2]
        F, Ho, Wo = r.out_shape
        n_out = F * Ho * Wo
        C, kh, kw = r.in_shape[0], L.kernel[0], L.kernel[1]
        b = 1 if L.bias else 0
        dense = n_in * n_out + b * n_out
        local = n_out * C * kh * kw + b * n_out
        s = Section(f"Layer {n}: convolution versus a fully connected layer")

        def with_bias(weights):
            return Paren(Add((weights, Num(1)))) if b else weights
        rows = [
            ["fully connected", Mul((Num(n_out), with_bias(Num(n_in)))), Num(dense)],
            ["locally connected (no sharing)",
             Mul((Num(n_out), with_bias(Mul((Num(C), Num(kh), Num(kw)))))), Num(local)],
            ["convolution", _params_expr(r), Num(r.params)],
        ]
        s.add(Paragraph("Between the same input ", _shape_expr(r.in_shape), f" ({n_in} values) "
                        "and output ", _shape_expr(r.out_shape), f" ({n_out} values):"))
        s.add(Table(["Layer", "Computed as", "Parameters"], rows, align=["left", "left",
                                                                         "right"]))
        s.add(Paragraph(
            f"A fully connected layer joins each of the {n_out} outputs to all {n_in} inputs. "
            f"A convolution has local connectivity: each output sees only a {C}×{kh}×{kw} "
            "window of the input, which leaves the locally connected count. And it shares "
            f"weights: the {Ho * Wo} positions of a filter use the same {C * kh * kw} weights"
            + (" and bias" if b else "") + f", so only the {F} filters' own parameters remain."))
        blocks.append(s)
        data.append({"layer": n - 1, "dense": dense, "locally_connected": local,
                     "conv": r.params})
    return blocks, data


def solve(problem, options) -> Solution:
    """A table of output shapes and parameter counts, each layer's working, and the total."""
    results = walk(problem)
    total = sum(r.params for r in results)
    compare = problem.compare_dense
    detail = options.detail or ("full" if len(results) <= FULL_LAYERS else "summary")

    blocks = []
    rows = [["input", _shape_expr(problem.input_shape), "", ""]]
    for n, r in enumerate(results, start=1):
        formula = _params_expr(r)
        rows.append([f"{n}. {_describe(r)}", _shape_expr(r.out_shape), Num(r.params),
                     formula if formula is not None else ""])
    rows.append(["total", "", Num(total), ""])
    if detail == "full":
        work = Section("Layer by layer")
        for n, r in enumerate(results, start=1):
            work.add(_layer_section(n, r))
        blocks.append(work)
    summary = Section("Output shapes and parameters")
    summary.add(Table(["Layer", "Output shape", "Parameters", "Computed as"], rows,
                      align=["left", "left", "right", "left"]))
    out = results[-1].out_shape
    summary.add(Paragraph("Output ", _shape_expr(out), f"; {total} parameter"
                          f"{'s' if total != 1 else ''} in all."))
    blocks.append(summary)

    data = {
        "kind": "shape", "format_version": 1, "input_shape": list(problem.input_shape),
        "layers": [{"type": r.layer.type, "output_shape": list(r.out_shape),
                    "parameters": r.params} for r in results],
        "output_shape": list(out), "total_parameters": total,
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
