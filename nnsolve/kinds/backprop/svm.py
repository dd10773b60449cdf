"""The hinge (multiclass SVM) loss in a backprop solution: the loss and its subgradient written
out per sample, the classes' margins with their numbers (ops/hinge.py holds the maths)."""

from __future__ import annotations

from ...expr import Deriv, Num, Seq, Sym, Text, both, mul
from ...solution import Equation, Note, Paragraph

J = Sym("J")


def _class(names, k, s):
    return names.out("yhat", k, s)


def _inline(parts):
    return Seq(tuple(p for i, x in enumerate(parts) for p in ((Text(" = "), x) if i else (x,))),
               sep="")


def loss_blocks(problem, step, names) -> list:
    """L = Σ_{j≠y} max(0, s_j − s_y + Δ) with each sample's scores; the margin Δ stated."""
    from .solve import loss_math
    h = loss_math(problem)
    out = [Paragraph("The multiclass SVM (hinge) loss over the scores s = ŷ of the linear output "
                     "layer, summed over the classes j other than the target class y (as CS231n "
                     "writes it; PyTorch's multi_margin_loss also divides by the number of "
                     "classes), with margin ", _inline([Sym("Delta"), Num(problem.margin)]), ":")]
    N = step.X.shape[0]
    for s in range(N):
        y, sc = step.Y[s], step.layers[-1].h[s]
        lhs = J if not names.batch else Sym("L", sub=s + 1)
        if problem.regularization is not None and not names.batch:
            lhs = Sym("L")
        k = h.target_class(y)
        parts = [lhs, h.hinge_formula(), h.terms(y, sc)]
        if len(sc) > 2:
            parts.append(h.values(y, sc))
        parts.append(Num(step.sample_losses[s]))
        where = f"Sample {s + 1}: the" if names.batch else "The"
        out.append(Paragraph(f"{where} target class y is class {k + 1} of {len(sc)} (index {k} "
                             "in the file):"))
        out.append(Equation(parts))
    return out


def gradient_blocks(problem, step, names, scaled) -> list:
    # ``scaled``: the factor 1/N written before each sample's gradient (a mean), or None
    """∂J/∂s_j = 1 where the margin is positive (j ≠ y), 0 where not; ∂J/∂s_y = −their count;
    a margin of exactly 0 said aloud (max(0, ·) has no derivative there: 0 is taken)."""
    from .solve import loss_math
    h = loss_math(problem)
    out = [Paragraph("The subgradient of max(0, ·): 1 where the margin is positive, 0 where it "
                     "is not; the target class gets minus the number of positive margins:"),
           Equation([Deriv(Sym("L"), Sym("s", sub="j")), h.gradient_rule()]),
           Equation([Deriv(Sym("L"), Sym("s", sub="y")), h.target_rule()])]
    kink = False
    N = step.X.shape[0]
    L = names.L
    for s in range(N):
        y, sc = step.Y[s], step.layers[-1].h[s]
        k = h.target_class(y)
        m = h.margins(y, sc)
        g = h.gradient(y, sc)
        if names.batch:
            out.append(Paragraph(f"Sample {s + 1} (target class {k + 1}):"))
        for j in range(len(sc)):
            if j == k:
                continue
            margin, nums = both(lambda at: h.margin_formula(
                at(_class(names, j, s), sc[j]), at(_class(names, k, s), sc[k]),
                at(Sym("Delta"), problem.margin)))
            word = "positive" if m[j] > 0 else ("exactly 0" if m[j] == 0 else "negative")
            kink |= m[j] == 0
            # (short inline pieces: a narrow terminal wraps between them, not at an "=")
            out.append(Paragraph(f"Class {j + 1}: the margin ", margin, " is ",
                                 _inline([nums, Num(m[j])]), f", {word}, so ",
                                 _inline([Deriv(Sym("L"), _class(names, j, s)), Num(g[j])]), ":"))
            out.append(_dJ(names, L, j, s, scaled, g[j], step.dJ_dyhat[s][j]))
        count = int(sum(1 for j in range(len(sc)) if j != k and m[j] > 0))
        out.append(Paragraph(f"Class {k + 1}, the target: minus the {count} positive "
                             f"margin{'s' * (count != 1)}, ",
                             _inline([Deriv(Sym("L"), _class(names, k, s)), Num(-count)]), ":"))
        out.append(_dJ(names, L, k, s, scaled, g[k], step.dJ_dyhat[s][k]))
    if kink:
        out.append(KINK_NOTE)
    return out


def _dJ(names, L, j, s, scaled, g, value) -> Equation:
    """∂J/∂ŷⱼ = ∂L/∂ŷⱼ, or 1/N · ∂L/∂ŷⱼ = 1/N · g for the mean over a batch."""
    lhs, dL = Deriv(J, names.unit("h", L, j, s)), Deriv(Sym("L"), _class(names, j, s))
    if scaled is None:
        return Equation([lhs, dL, Num(value)])
    return Equation([lhs, *both(lambda at: mul(scaled, at(dL, g))), Num(value)])


def at_kink(problem, step) -> bool:
    """Some sample has a margin of exactly 0."""
    from .solve import loss_math
    h = loss_math(problem)
    return any(h.at_kink(step.Y[s], step.layers[-1].h[s]) for s in range(step.X.shape[0]))


KINK_NOTE = Note("A margin of exactly 0 sits on the kink of max(0, ·), where it has no "
                 "derivative: the subgradient 0 is taken there (as PyTorch does), so that class "
                 "contributes nothing to the gradient.")
