"""The p-norm penalty α‖w‖ₚᵖ: the derivation of its gradient (seed eq. 57–63, with |wᵢ| and
sign(wᵢ)), and with numbers the penalty, its gradient per weight, ∇J̃ and a gradient step."""

from __future__ import annotations

from fractions import Fraction

from ...errors import ProblemError
from ...expr import (Abs, Add, Call, Cases, Deriv, Mat, Mul, Neg, Norm, Num, Paren, Pow, Rel,
                    Seq, Sub, Sum, Sym)
from ...ops import pnorm
from ...ops.update import GradientDescent
from ...solution import Equation, Note, Paragraph, Section, Solution, Table

# numpy is imported by the functions that work with the weights (pnorm's too): the derivation
# alone (`nnsolve regularize --p 2`) never loads it.

DEFAULT_TITLE = "The p-norm penalty and its gradient"
FULL_DETAIL_LIMIT = 24        # weights shown one by one up to this many (default detail)
MATRIX_LIMIT = 400            # matrices shown whole up to this many numbers
MAX_SEED_ROWS = 10            # negative weights listed where the seed's formula goes wrong

# --- symbols --------------------------------------------------------------------------------
W = Sym("w", bold=True)
J = Sym("J")
J_TILDE = Sym("J", tilde=True)  # the regularised loss
ALPHA = Sym("alpha")
ETA = Sym("eta")
P = Sym("p")
NABLA = Sym("nabla")
descent = GradientDescent.formula


def w_(idx) -> Sym:
    """The weight wᵢ (idx a letter, a 1-based number, or a pair for a matrix)."""
    return Sym("w", sub=idx)


def juxt(*factors) -> Mul:
    return Mul(tuple(factors), "juxt")


def dot(*factors) -> Mul:
    return Mul(tuple(factors), "dot")


def apply(op, body) -> Seq:
    """An operator written before what it acts on: ∂/∂wᵢ Σⱼ |wⱼ|ᵖ."""
    return Seq((op, body), sep=" ")


def sign(x) -> Call:
    return Call("sign", (x,))


def norm_pp(p) -> Norm:
    """‖w‖ₚᵖ, with a whole p written in (‖w‖₂²), else with the letter p."""
    if p is not None and Fraction(p).denominator == 1:
        return Norm(W, sub=int(p), power=int(p))
    return Norm(W, sub="p", power="p")


def penalty_expr(p) -> Mul:
    return juxt(ALPHA, norm_pp(p))


def d_penalty(x, p=None) -> Deriv:
    """∂(α‖w‖ₚᵖ)/∂x."""
    return Deriv(Paren(penalty_expr(p)), x)


# --- the derivation -------------------------------------------------------------------------
def _p_exprs(p):
    if p is None:
        return P, Sub(P, Num(1))
    return Num(p), Num(p - 1)


def gradient_formula(p, wi):
    """α·p·|wᵢ|^(p−1)·sign(wᵢ), with a given p put in and simplified where it simplifies."""
    if p is None:
        return pnorm.gradient_formula(ALPHA, P, wi)
    p = Fraction(p)
    if p == 1:
        return dot(ALPHA, sign(wi))
    if p == 2:
        return juxt(Num(2), ALPHA, wi)
    if p.denominator == 1 and p % 2 == 0:
        return juxt(Num(p), ALPHA, Pow(wi, Num(p - 1)))
    return pnorm.gradient_formula(ALPHA, Num(p), wi)


def seed_formula(p, wi):
    """The seed's eq. 63: α·p·wᵢ^(p−1) (from Σ wᵢᵖ, without the absolute value)."""
    pe, pm1 = _p_exprs(p)
    return dot(ALPHA, pe, Pow(wi, pm1))


def derivation(p, alpha) -> list:
    """Seed eq. 57–63, corrected: for any p (p None), or specialised to a given p (and α)."""
    wi, wj = w_("i"), w_("j")
    pe = _p_exprs(p)[0]
    norm = norm_pp(p)
    blocks = []

    loss = Section("The regularised loss")
    loss.add(Paragraph("The loss with the p-norm penalty, weighted by α:"),
             Equation([J_TILDE, Add((Call("J", (W,)), juxt(ALPHA, norm)))]),
             Paragraph("where the p-th power of the p-norm sums the absolute values:"),
             Equation([norm, Sum(Pow(Abs(wi), pe), index="i")]))
    if p is not None:
        loss.add(Paragraph("here with ", Rel(P, "=", Num(p)),
                           *([", ", Rel(ALPHA, "=", Num(alpha))] if alpha is not None else []),
                           "."))
    loss.add(Note("A common shortcut writes ", Sum(Pow(wi, P), index="i"),
                  " without the absolute value. That is the same sum only for even p: for odd "
                  "p the negative weights would lower the penalty, and for non-integer p, ",
                  Pow(wi, P), " is not a real number when ", Rel(wi, "<", Num(0)), "."))
    blocks.append(loss)

    grad = Section("Its gradient")
    grad.add(Paragraph("The gradient of a sum is the sum of the gradients:"),
             Equation([juxt(NABLA, J_TILDE),
                       Add((juxt(NABLA, J), juxt(NABLA, Paren(juxt(ALPHA, norm)))))]),
             Paragraph("and it is computed weight by weight, for each ", wi, ":"))
    lhs = Deriv(J_TILDE, wi)
    dJ = Deriv(J, wi)
    chain = [
        lhs,
        Add((dJ, dot(ALPHA, apply(Deriv(None, wi), norm)))),
        Add((dJ, dot(ALPHA, apply(Deriv(None, wi), Sum(Pow(Abs(wj), pe), index="j"))))),
        Add((dJ, dot(ALPHA, apply(Deriv(None, wi), Pow(Abs(wi), pe))))),
        Add((dJ, pnorm.gradient_formula(ALPHA, pe, wi, sign=Deriv(Abs(wi), wi)))),
        Add((dJ, pnorm.gradient_formula(ALPHA, pe, wi))),
    ]
    final = gradient_formula(p, wi)
    if p is not None and (p == 1 or (Fraction(p).denominator == 1 and p % 2 == 0)):
        chain.append(Add((dJ, final)))
    if alpha is not None and p is not None:
        chain.append(Add((dJ, _with_alpha(p, alpha, wi))))
    grad.add(Equation(chain))
    grad.add(Paragraph("Only the term ", Rel(Sym("j"), "=", Sym("i")), " of the sum depends on ",
                       wi, "; the chain rule through ", Abs(wi), " gives the factor"),
             Equation([Deriv(Abs(wi), wi), sign(wi),
                       Cases(((Num(1), Rel(wi, ">", Num(0))),
                              (Num(-1), Rel(wi, "<", Num(0))),
                              (Num(0), Rel(wi, "=", Num(0)))))]))
    grad.add(_zero_note(p))
    grad.add(_meaning(p))
    grad.add(_seed_note(p))
    blocks.append(grad)

    step = Section("A gradient step")
    step.add(Paragraph("With learning rate η, every weight moves against its gradient:"),
             Equation([wi, descent(wi, ETA, Paren(Add((dJ, gradient_formula(p, wi)))))],
                      rels=["←"]))
    if p is not None and Fraction(p) == 2:
        step.add(Paragraph("that is ", wi, " ← ", Sub(juxt(Paren(Sub(Num(1), juxt(Num(2), ETA,
                                                                                    ALPHA))), wi),
                                                           juxt(ETA, dJ)),
                           ": before the step on J, every weight shrinks by the factor ",
                           Sub(Num(1), juxt(Num(2), ETA, ALPHA)), ". This is weight decay."))
    blocks.append(step)
    return blocks


def _with_alpha(p, alpha, wi):
    """The penalty's gradient with α (and p) put in: 0.2w for p = 2, α = 0.1."""
    p = Fraction(p)
    if p == 1:
        return juxt(Num(alpha), sign(wi)) if alpha != 1 else sign(wi)
    if p.denominator == 1 and p % 2 == 0:
        c = alpha * p
        power = wi if p == 2 else Pow(wi, Num(p - 1))
        return juxt(Num(c), power)
    return dot(Num(alpha * p), Pow(Abs(wi), Num(p - 1)), sign(wi))


def _zero_note(p, wi=None):
    """What is used at a weight of 0 (``wi``: its symbol, wᵢ by default)."""
    wi = w_("i") if wi is None else wi
    at0 = Rel(wi, "=", Num(0))
    pw = Pow(Abs(wi), P)
    sign0 = Rel(sign(Num(0)), "=", Num(0))
    if p is None:
        return Note("At ", at0, ": for ", Rel(P, ">", Num(1)), " the derivative is 0 (", pw,
                    " is flat there). For ", Rel(P, "≤", Num(1)), ", ", pw, " has no derivative "
                    "at 0 (a corner for p = 1, a cusp for p < 1); the subgradient 0 is used: ",
                    sign0, ".")
    if p > 1:
        return Note("At ", at0, " the derivative is 0: ", Pow(Abs(wi), Num(p)),
                    " is flat there.")
    if p == 1:
        return Note("At ", at0, ", ", Abs(wi), " has a corner and no derivative: every value "
                    "between ", Neg(ALPHA), " and ", ALPHA, " is a subgradient, and the "
                    "subgradient 0 is used: ", sign0, ".")
    return Note("At ", at0, ", ", Pow(Abs(wi), Num(p)), " has a cusp and no derivative (the "
                "slope grows without bound near 0); the subgradient 0 is used: ", sign0, ".")


def _meaning(p):
    if p is None:
        return None
    p = Fraction(p)
    if p == 1:
        return Paragraph("For p = 1 (L1, lasso) every weight is pushed towards 0 by the same "
                         "amount α, whatever its size, so small weights reach 0 exactly.")
    if p == 2:
        return Paragraph("For p = 2 (L2) the push towards 0 is proportional to the weight: "
                         "2α", w_("i"), ".")
    return None


def _shortcut_named(wi):
    """What the shortcut is, in the note that names it: the derivative of α Σᵢ wᵢᵖ."""
    return (" (the derivative of ", juxt(ALPHA, Sum(Pow(wi, P), index="i")),
            ", the absolute value dropped)")


def _seed_note(p):
    wi = w_("i")
    right = pnorm.gradient_formula(ALPHA, P, wi)
    seed = seed_formula(None, wi)
    if p is None:
        return Note("The shortcut ", seed, *_shortcut_named(wi), " equals ", right, " only when p is "
                    "even or ", Rel(wi, ">", Num(0)), ". For odd p and ", Rel(wi, "<", Num(0)),
                    " it has the wrong sign (", Pow(wi, Sub(P, Num(1))),
                    " is then positive), and for non-integer p it is not a real number when ",
                    Rel(wi, "<", Num(0)), ".")
    p = Fraction(p)
    if p.denominator == 1 and p % 2 == 0:
        return Note("For even p = ", Num(p), " this agrees with the shortcut ",
                    seed_formula(p, wi), *_shortcut_named(wi), ".")
    if p.denominator == 1:
        return Note("For odd p = ", Num(p), " the shortcut ", seed_formula(p, wi), *_shortcut_named(wi),
                    " has the wrong sign for negative weights: ", Pow(wi, Num(p - 1)),
                    " is positive for every nonzero ", wi, ".")
    return Note("For non-integer p = ", Num(p), " the shortcut ", seed_formula(p, wi), *_shortcut_named(wi),
                " is in general not a real number for negative weights; the right value "
                "uses ", Abs(wi), ".")


# --- with numbers ---------------------------------------------------------------------------
def _indices(w):
    """(array index, 1-based subscript) of every weight."""
    import numpy as np
    for idx in np.ndindex(w.shape):
        yield idx, (idx[0] + 1 if w.ndim == 1 else tuple(i + 1 for i in idx))


def _seed_value(p, alpha, v):
    """The seed's α·p·v^(p−1) for v < 0 as a real number, or None when it is not real."""
    import numpy as np
    q = Fraction(p) - 1
    if q.denominator % 2 == 0:
        return None
    mag = pnorm.abs_power(np.array([v], dtype=object if isinstance(v, Fraction) else float),
                          q)[0]
    s = 1 if q.numerator % 2 == 0 else -1
    if isinstance(mag, Fraction):
        return alpha * Fraction(p) * s * mag
    return float(alpha) * float(p) * s * float(mag)


def numeric(problem, detail: str) -> list:
    """The penalty, its gradient per weight, ∇J̃ and the step, with the numbers put in."""
    import numpy as np
    from ...arrays import as_float
    p, alpha, w = problem.p, problem.alpha, problem.weights
    lg, eta = problem.loss_gradient, problem.learning_rate
    full = detail == "full"
    show_mat = w.size <= MATRIX_LIMIT
    with np.errstate(over="ignore", invalid="ignore"):
        pen = pnorm.penalty(w, p, alpha)
        grad = pnorm.gradient(w, p, alpha)
        total = None if lg is None else lg + grad
    if not _fit_float(pen, grad, total):
        raise ProblemError(f"the penalty α Σ|wᵢ|ᵖ or its gradient is too large for a "
                           f"floating-point number (over 1.8e308) with p = {_text(p)}",
                           *problem.weights_where)
    step_grad = total if total is not None else grad
    w_new = None
    if eta is not None:
        with np.errstate(over="ignore", invalid="ignore"):
            w_new = w - (eta if problem.exact else float(eta)) * step_grad
        if not _fit_float(w_new):
            raise ProblemError("the updated weights are too large for a floating-point number "
                               "(over 1.8e308): use a smaller learning rate",
                               *problem.learning_rate_where)
    blocks = []
    sub_ix = "i" if w.ndim == 1 else ("i", "j")
    wi = w_(sub_ix)

    given = Section("Given")
    items = [Rel(P, "=", Num(p)), Rel(ALPHA, "=", Num(alpha))]
    if eta is not None:
        items.append(Rel(ETA, "=", Num(eta)))
    given.add(Equation([Seq(tuple(items))]))
    given.add(_mat_eq(W, w, show_mat))
    if lg is not None:
        given.add(_mat_eq(juxt(NABLA, J), lg, show_mat))
    blocks.append(given)

    s = Section("The penalty")
    powers = pnorm.abs_power(w, p)
    s_sum = Sum(Pow(Abs(wi), Num(p)), index=sub_ix if w.ndim == 1 else "i,j")
    chain = [penalty_expr(p), dot(Num(alpha), s_sum)]
    if full:
        chain.append(dot(Num(alpha), Paren(Add(tuple(Pow(Abs(Num(w[ix])), Num(p))
                                                    for ix, _ in _indices(w))))))
        if w.size > 1:
            chain.append(dot(Num(alpha), Paren(Add(tuple(Num(powers[ix])
                                                        for ix, _ in _indices(w))))))
    chain.append(dot(Num(alpha), Num(_sum(powers))))
    chain.append(Num(pen))
    s.add(Equation(chain))
    blocks.append(s)

    s = Section("The gradient of the penalty")
    s.add(Equation([d_penalty(wi, p), pnorm.gradient_formula(ALPHA, Num(p), wi)]))
    zeros = []
    if full:
        mags = pnorm.abs_power(w, p - 1)
        signs = pnorm.sign(w)
        for ix, k in _indices(w):
            v = w[ix]
            if v == 0 and p <= 1:
                s.add(Equation([d_penalty(w_(k), p), Num(grad[ix])]))
                zeros.append(k)
                continue
            if v == 0:
                zeros.append(k)
            s.add(Equation([d_penalty(w_(k), p),
                            pnorm.gradient_formula(Num(alpha), Num(p), Num(v),
                                                   sign=Num(signs[ix])),
                            dot(Num(alpha), Num(p), Num(mags[ix]), Num(signs[ix])),
                            Num(grad[ix])]))
    else:
        zeros = [ix[0] + 1 if w.ndim == 1 else tuple(i + 1 for i in ix)
                 for ix in map(tuple, np.argwhere(as_float(w) == 0)[:MAX_SEED_ROWS])]
    s.add(_mat_eq(dot(ALPHA, juxt(NABLA, norm_pp(p))), grad, show_mat))
    if p <= 1:
        s.add(_numeric_zero_note(p, zeros, wi))
    s.add(*_numeric_seed_note(p, alpha, w, grad))
    blocks.append(s)

    if total is not None:
        s = Section("The gradient of the regularised loss")
        if full:
            for ix, k in _indices(w):
                s.add(Equation([Deriv(J_TILDE, w_(k)), Add((Deriv(J, w_(k)), d_penalty(w_(k), p))),
                                Add((Num(lg[ix]), Num(grad[ix]))), Num(total[ix])]))
        s.add(_mat_eq(juxt(NABLA, J_TILDE), total, show_mat,
                      via=Add((juxt(NABLA, J), dot(ALPHA, juxt(NABLA, norm_pp(p)))))))
        blocks.append(s)

    if w_new is not None:
        s = Section("The gradient step")
        if total is None:
            s.add(Note("No ", juxt(NABLA, J), " is given, so this is the step of the "
                       "penalty alone (", juxt(NABLA, J), " taken as 0)."))
            g_sym = d_penalty(wi)
        else:
            g_sym = Deriv(J_TILDE, wi)
        s.add(Equation([wi, descent(wi, ETA, g_sym)], rels=["←"]))
        if full:
            for ix, k in _indices(w):
                s.add(Equation([w_(k), descent(Num(w[ix]), Num(eta), Num(step_grad[ix])),
                                Num(w_new[ix])], rels=["←", "="]))
        s.add(_mat_eq(W, w_new, show_mat, arrow=True))
        blocks.append(s)

    data = {"penalty": pen, "penalty_gradient": grad, "loss_gradient": lg, "gradient": total,
            "learning_rate": eta, "weights_new": w_new}
    return blocks, data


def _fit_float(*values) -> bool:
    """True when every number (exact or not) is finite as a float, as JSON needs (None: none)."""
    import numpy as np
    from ...arrays import as_float
    try:
        return all(bool(np.all(np.isfinite(as_float(np.asarray(v))))) for v in values
                   if v is not None)
    except OverflowError:       # an exact value beyond a float
        return False


def _text(x: Fraction) -> str:
    from ...numbers import format_number
    return format_number(x, 6, True).text


def _sum(values):
    import numpy as np
    vals = values.ravel().tolist()
    if vals and all(isinstance(v, Fraction) for v in vals):
        return sum(vals, Fraction(0))
    return float(np.sum(np.asarray(values, dtype=float)))


def _mat_eq(lhs, values, show, via=None, arrow=False):
    if not show:
        return Paragraph("the updated " if arrow else "", lhs,
                         f": {values.size} values (see --format json for all of them)")
    parts = [lhs] + ([via] if via is not None else []) + [Mat(values)]
    return Equation(parts, rels=(["←"] if arrow else None))


def _numeric_zero_note(p, zeros, wi):
    if zeros:
        names = []
        for k in zeros[:MAX_SEED_ROWS]:
            names += [", " if names else "", w_(k)]
        return Note("Where a weight is 0 (", *names, "), ", Pow(Abs(wi), Num(p)),
                    " has no derivative; the subgradient 0 is used.")
    return Note("No weight is 0 here; at a weight of 0, ", Pow(Abs(wi), Num(p)),
                " would have no derivative and the subgradient 0 would be used.")


def _numeric_seed_note(p, alpha, w, grad):
    """Where the seed's α·p·wᵢ^(p−1) differs from the right value: a note and both values."""
    import numpy as np
    from ...arrays import as_float
    p = Fraction(p)
    q = p - 1
    if (p.denominator == 1 and p % 2 == 0) or (q.denominator % 2 and q.numerator % 2):
        return []     # even p, or an odd root to an odd power: the seed's value is right
    negative = np.argwhere(as_float(w) < 0)
    rows = []
    for ix in map(tuple, negative):
        v = w[ix]
        seed = _seed_value(p, alpha, v)
        if seed is not None and abs(float(seed) - float(grad[ix])) <= 1e-12 * abs(float(seed)):
            continue      # α = 0
        k = ix[0] + 1 if w.ndim == 1 else tuple(i + 1 for i in ix)
        rows.append([w_(k), Num(v), Num(grad[ix]),
                     Num(seed) if seed is not None else "not a real number"])
        if len(rows) == MAX_SEED_ROWS:
            break
    if not rows:
        return []
    if p.denominator == 1:
        why = ["for odd p, ", Pow(w_("i"), Num(q)), " loses the sign of a negative weight"]
    else:
        why = ["for non-integer p, a negative weight to the power ", Num(q),
               " is in general not a real number"]
    more = ""
    if len(negative) > len(rows):
        more = f" (the first {len(rows)} of {len(negative)} negative weights)"
    return [Note("The shortcut ", seed_formula(None, w_("i")), *_shortcut_named(w_("i")), " gives other "
                 "values for the negative weights: ", *why, ". The right values are ",
                 pnorm.gradient_formula(ALPHA, P, w_("i")), more, "."),
            Table(["weight", "value", "right gradient", "the shortcut"], rows)]


def solve(problem, options) -> Solution:
    """The worked solution of a regularize problem."""
    p, alpha = problem.p, problem.alpha
    title = problem.title or DEFAULT_TITLE
    data = {"kind": "regularize", "format_version": 1, "p": p, "alpha": alpha,
            "weights": problem.weights, "penalty": None, "penalty_gradient": None,
            "loss_gradient": None, "gradient": None, "learning_rate": None,
            "weights_new": None}
    blocks = [Section("Derivation", derivation(p, alpha if problem.symbolic else None))]
    if not problem.symbolic:
        detail = options.detail or ("full" if problem.weights.size <= FULL_DETAIL_LIMIT
                                    else "summary")
        num_blocks, num_data = numeric(problem, detail)
        blocks.append(Section("With the numbers", num_blocks))
        data.update(num_data)
    return Solution(kind="regularize", title=title, blocks=blocks, data=data)
