"""The seed's question 1.1 in numbers: multiplications for every weight's gradient, each by its
own chain-rule products along all paths (no reuse), against backpropagation's reuse.

The count, per sample, for layer sizes n₀ (inputs), n₁, …, n_L:

- Without reuse, ∂J/∂w⁽ˡ⁾ⱼ,ₖ is a sum over the P_l = n_{l+1}·…·n_L paths from unit j of layer l
  to the outputs of the product ∂J/∂ŷ_o · [w and f′ of every layer above] · f′(a⁽ˡ⁾ⱼ) · h⁽ˡ⁻¹⁾ₖ:
  2(L − l) + 3 factors, so 2(L − l) + 2 multiplications per path (the additions are not counted).
  N = Σ_l n_{l−1}·n_l·P_l·(2(L − l) + 2).
- Backpropagation computes δ⁽ˡ⁾ = ∂J/∂h⁽ˡ⁾ ⊙ f′(a⁽ˡ⁾) once per layer (n_l multiplications),
  passes it down with ∂J/∂h⁽ˡ⁻¹⁾ = W⁽ˡ⁾ᵀ δ⁽ˡ⁾ (n_{l−1}·n_l, for l ≥ 2) and gets every weight's
  gradient as δ⁽ˡ⁾ h⁽ˡ⁻¹⁾ᵀ (n_{l−1}·n_l): B = Σ_l n_{l−1}n_l + Σ_{l≥2} n_{l−1}n_l + Σ_l n_l.

f′ counts as a factor in every layer, the linear ones too (where it is 1), so that the count
depends on the sizes only; both methods are counted alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from ...expr import Add, Num, Paren, Rel, Seq, Sub, Sum, Sym, mul
from ...solution import Equation, Note, Paragraph, Section, Solution, Table

MAX_DEPTH = 6


@dataclass(frozen=True)
class LayerCost:
    """One layer's weights and the multiplications for their gradients, both ways."""

    layer: int
    weights: int
    paths: int               # paths from one unit of this layer to the outputs
    per_path: int            # multiplications along one path
    without_reuse: int
    backprop: int            # δ, W-gradients, and passing ∂J/∂h down


def layer_costs(sizes) -> list[LayerCost]:
    """Per layer (1-based), the counts for a network of these sizes (inputs first)."""
    sizes = list(sizes)
    L = len(sizes) - 1
    out = []
    for l in range(1, L + 1):
        weights = sizes[l - 1] * sizes[l]
        paths = 1
        for m in range(l + 1, L + 1):
            paths *= sizes[m]
        per_path = 2 * (L - l) + 2
        bp = sizes[l] + weights + (weights if l >= 2 else 0)
        out.append(LayerCost(l, weights, paths, per_path, weights * paths * per_path, bp))
    return out


def without_reuse(sizes) -> int:
    """N: multiplications for every weight's gradient by its own products along all paths."""
    return sum(c.without_reuse for c in layer_costs(sizes))


def with_backprop(sizes) -> int:
    """B: multiplications for every weight's gradient by backpropagation."""
    return sum(c.backprop for c in layer_costs(sizes))


def depth_sizes(sizes, depth: int) -> list[int]:
    """The network made `depth` layers deep: the same inputs and outputs, hidden layers as wide
    as the widest hidden layer (or the inputs, for a network with none)."""
    hidden = sizes[1:-1]
    width = max(hidden) if hidden else sizes[0]
    return [sizes[0]] + [width] * (depth - 1) + [sizes[-1]]


def _n(i) -> Sym:
    return Sym("n", sub=i)


def solve(problem, options) -> Solution:
    """The cost comparison for a backprop problem's network (kind "backprop_cost")."""
    for l, layer in enumerate(problem.layers, start=1):
        if layer.type != "dense":      # the count is of a fully connected network's weights
            from ...errors import ProblemError
            raise ProblemError(f"--cost counts the multiplications of a network of dense "
                               f"layers; layer {l} is a {layer.type} layer", *problem.where)
    sizes = [problem.X.shape[1]] + [l.W.shape[0] for l in problem.layers]
    return solve_sizes(sizes, problem.title, options.detail)


def solve_sizes(sizes, title: str | None = None, detail: str | None = None) -> Solution:
    """The cost comparison for layer sizes (inputs first); detail "summary" leaves out how the
    multiplications are counted and the sums term by term (the tables stay)."""
    full = detail != "summary"
    sizes = [int(n) for n in sizes]
    L = len(sizes) - 1
    costs = layer_costs(sizes)
    N = sum(c.without_reuse for c in costs)
    B = sum(c.backprop for c in costs)
    blocks = []

    counting = Section("How the multiplications are counted")
    counting.add(Paragraph(
        "Without reuse, each weight's gradient is its own chain rule: a sum over every path "
        "from its unit to the outputs of the product of the local derivatives on that path. "
        "For a weight of layer l there are P_l = n_{l+1}·…·n_L such paths, and each product "
        "has 2(L − l) + 3 factors: ∂J/∂ŷ, a weight and an f′ for every layer above, the unit's "
        "own f′(a) and the input h⁽ˡ⁻¹⁾ₖ. With backpropagation, δ⁽ˡ⁾ = ∂J/∂h⁽ˡ⁾ ⊙ f′(a⁽ˡ⁾) is "
        "computed once per layer and reused by every weight below it."))
    l = Sym("l")
    Ls = Sym("L")
    pp = Add((mul(Num(2), Paren(Sub(Ls, l)), op="juxt"), Num(2)))
    counting.add(Equation([Sym("N"), Sum(mul(_n("l−1"), _n("l"), Sym("P", sub="l"), Paren(pp),
                                             op="dot"), "l", 1, "L")]))
    counting.add(Equation([Sym("B"), Add((
        Sum(mul(_n("l−1"), _n("l"), op="juxt"), "l", 1, "L"),
        Sum(mul(_n("l−1"), _n("l"), op="juxt"), "l", 2, "L"),
        Sum(_n("l"), "l", 1, "L")))]))
    counting.add(Note("Additions are not counted, and f′ counts as a factor in every layer "
                      "(also where it is 1), so the counts depend on the layer sizes only."))
    if full:
        blocks.append(counting)

    net = Section("This network")
    net.add(Paragraph("Layer sizes (inputs first): ", *_sizes_parts(sizes), "; ",
                      Rel(Sym("L"), "=", Num(L)), " layers of weights."))
    rows = [[Num(c.layer), Num(c.weights), Num(c.paths), Num(c.per_path),
             Num(c.without_reuse), Num(c.backprop)] for c in costs]
    rows.append(["total", Num(sum(c.weights for c in costs)), "", "", Num(N), Num(B)])
    net.add(Table(["Layer l", "Weights", "Paths P_l", "× per path", "Without reuse",
                   "Backprop"], rows))
    if full:
        net.add(Equation([Sym("N"), Add(tuple(
            mul(Num(c.weights), Num(c.paths), Num(c.per_path)) for c in costs)), Num(N)]))
        # per layer: the weights' gradients, passing ∂J/∂h down (l ≥ 2), and δ
        net.add(Equation([Sym("B"), Add(tuple(
            Paren(Add((Num(c.weights), Num(c.weights), Num(sizes[c.layer])) if c.layer >= 2
                      else (Num(c.weights), Num(sizes[c.layer])))) for c in costs)), Num(B)]))
    net.add(Paragraph("Backpropagation needs ", Num(B), " multiplications where the gradients "
                      "one by one need ", Num(N), ": ", Num(Fraction(N, B)),
                      " times as many without reuse."))
    blocks.append(net)

    depth = Section("How the gap grows with depth")
    depth.add(Paragraph("The same network made deeper: the inputs and outputs as above, every "
                        "hidden layer as wide as the widest one here. Without reuse the count "
                        "grows with the number of paths, a product of the widths (exponential "
                        "in depth for widths above 1); with backpropagation it grows linearly."))
    drows = []
    table = []
    for d in range(1, MAX_DEPTH + 1):
        s = depth_sizes(sizes, d)
        n_, b_ = without_reuse(s), with_backprop(s)
        drows.append([Num(d), Seq(tuple(Num(x) for x in s), sep=" – "), Num(n_), Num(b_),
                      Num(Fraction(n_, b_))])
        table.append({"depth": d, "sizes": s, "without_reuse": n_, "backprop": b_})
    depth.add(Table(["Layers L", "Sizes", "Without reuse", "Backprop", "Ratio"], drows,
                    align=["right", "left", "right", "right", "right"]))
    blocks.append(depth)

    data = {"kind": "backprop_cost", "format_version": 1, "sizes": sizes,
            "layers": [{"layer": c.layer, "weights": c.weights, "paths": c.paths,
                        "per_path": c.per_path, "without_reuse": c.without_reuse,
                        "backprop": c.backprop} for c in costs],
            "without_reuse": N, "backprop": B, "depth_table": table}
    title = (title + ": the cost of the gradients") if title else \
        "The cost of the gradients: without reuse and with backpropagation"
    return Solution("backprop_cost", title, blocks, data)


def _sizes_parts(sizes) -> list:
    parts = []
    for i, n in enumerate(sizes):
        if i:
            parts.append(", ")
        parts.append(Rel(Sym("n", sub=i), "=", Num(n)))
    return parts
