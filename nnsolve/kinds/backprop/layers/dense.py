"""A fully connected layer: a = W h + b, h = f(a).

    - weights: [[0.1, 0.2], [0.3, 0.4]]    # units × inputs
      bias: [0, 0]                          # optional: without it, no bias term
      activation: relu                      # optional: linear; softmax on the output layer only
"""

from __future__ import annotations

from dataclasses import dataclass

from ....expr import Add, Call, Deriv, Frac, Neg, Num, Paren, Pow, Rel, Seq, Sub, Sum, Sym, \
    Text, both, mul, symbols
from ....ops import pnorm
from ....ops.activations import activation_op
from ....ops.dense import Dense
from ....ops.engine import Node
from ....solution import Equation, Paragraph
from ...common import Activation, parse_activation
from .base import J, LayerType, d, inline, layer_type, plural, val


@dataclass
class DenseLayer:
    """Weights W (units × inputs), optional bias b, activation."""

    W: object
    b: object | None
    activation: Activation
    type: str = "dense"


@layer_type
class DenseType(LayerType):
    key = "dense"
    order = 0
    hint = "`weights:` (and `activation:`, `bias:`)"
    fallback = True
    params = ("W", "b")
    penalized = True
    fully_connected = True
    sums_inputs = True
    has_activation = True

    def matches(self, ld) -> bool:
        return ld.is_map

    def read(self, ld, at):
        if not ld.has("weights"):      # (a misspelled type's key: "did you mean `conv`?")
            from . import types
            mine = ["weights", "bias", "activation"]
            ld.keys(mine + [t.key for t in types().values() if t.key not in mine + [self.key]])
        ld.keys(["weights", "bias", "activation"], required=["weights"])
        if at.shape is not None and len(at.shape) != 1:
            raise ld.error(f"a dense layer needs a vector, but {at.input_words()}: put "
                           f"`- flatten` before it")
        W = ld["weights"].array(ndims=(2,), what="a weight matrix (one row per unit)")
        if at.shape is not None and W.shape[1] != at.shape[0]:
            n = at.shape[0]
            from . import of
            if at.before and of(at.before[-1]).fully_connected:
                why = f"layer {at.i} has {plural(n, 'unit')}"
            else:
                why = f"the input of layer {at.i + 1} has {plural(n, 'value')}"
            raise ld["weights"].error(f"expected {plural(n, 'column')} ({why}), got "
                                      f"{W.shape[1]}")
        b = None
        if ld.get("bias") is not None:
            b = ld["bias"].array(ndims=(0, 1), what="a bias vector").reshape(-1)
            if b.shape[0] != W.shape[0]:
                raise ld["bias"].error(f"expected {W.shape[0]} values (one per unit of layer "
                                       f"{at.i + 1}), got {b.shape[0]}")
        act = parse_activation(ld["activation"]) if ld.get("activation") is not None \
            else Activation("linear")
        if act.name == "softmax" and not at.last:
            raise ld["activation"].error("softmax is for the output layer only")
        return DenseLayer(W, b, act), (W.shape[0],)

    def inferred_input(self, layer):
        return (layer.W.shape[1],)

    def nodes(self, layer, w, b, swap):
        return [Node(swap(Dense()), {"W": w, "b": b}),
                Node(swap(activation_op(layer.activation)))]

    # --- explaining ------------------------------------------------------------------------
    def symbol(self, layer, l, which, idx=None):
        if idx is None:
            return Sym(which, sup=l)
        if which == "W":
            return Sym("w", sup=l, sub=(idx[0] + 1, idx[1] + 1))
        return Sym("b", sup=l, sub=None if layer.W.shape[0] == 1 else idx[0] + 1)

    def vector_row(self, layer, l, n_in, n_out):
        act = layer.activation
        name = Seq((Text(act.name), Paren(Rel(Sym("alpha"), "=", Num(act.alpha)))), sep=" ") \
            if act.name == "leaky_relu" else act.name
        return [f"{l}", str(layer.W.shape[1]), str(layer.W.shape[0]), name,
                "yes" if layer.b is not None else "no"]

    def forward_one(self, ex, sec, l, s):
        """a = W h + b and h = f(a) for sample s, with the numbers."""
        names, layer, ls = ex.names, ex.layer(l), ex.ls(l)
        h_prev = ex.h_before(l)[s]
        a_sym = names.tag(names.vec("a", l), s)
        h_sym = names.tag(names.vec("h", l), s)
        sec.add(Equation([a_sym, *both(lambda at: dense_rhs(at, l, ls, names.tag(
            names.vec("h", l - 1), s), h_prev)), val(ls.a[s])]))
        define_activation(sec, names, layer, l)
        fn = activation_op(layer.activation).name
        if layer.activation.name == "linear":
            sec.add(Equation([h_sym, a_sym, val(ls.h[s])]))
        else:
            sec.add(Equation([h_sym, *both(lambda at: Call(fn, (at(a_sym, val(ls.a[s])),))),
                              val(ls.h[s])]))

    def forward_summary(self, ex, sec, l):
        names, layer, ls = ex.names, ex.layer(l), ex.ls(l)
        rhs = dense_rhs(symbols, l, ls, names.vec("h", l - 1), None)
        A = ls.a if names.batch else ls.a[0]
        H = ls.h if names.batch else ls.h[0]
        sec.add(Equation([names.vec("a", l), rhs, val(A)]))
        define_activation(sec, names, layer, l)
        fn = activation_op(layer.activation).name
        f_a = names.vec("a", l) if layer.activation.name == "linear" else \
            Call(fn, (names.vec("a", l),))
        sec.add(Equation([names.vec("h", l), f_a, val(H)]))

    def gradient_below(self, ex, sec, l):
        """∂J/∂h⁽ˡ⁾ⱼ = Σᵢ ∂J/∂a⁽ˡ⁺¹⁾ᵢ · w⁽ˡ⁺¹⁾ᵢ,ⱼ: each unit of layer l feeds every unit of this
        dense layer (l + 1)."""
        names, step = ex.names, ex.step
        ls, above = step.layers[l - 1], step.layers[l]
        units, nxt = names.sizes[l], names.sizes[l + 1]
        sec.add(Paragraph(
            f"Each unit of layer {l} feeds " +
            ("the unit" if nxt == 1 else "both units" if nxt == 2 else f"all {nxt} units") +
            f" of layer {l + 1}; ", d(J, Sym("h")), " sums over those paths:"))
        for s in range(ex.N):
            for j in range(units):
                def paths(at):      # the formula once: symbols and numbers filled in by ``at``
                    terms = tuple(mul(at(d(J, names.unit("a", l + 1, i, s)), above.dJ_da[s][i]),
                                      at(names.w(l + 1, i, j), above.W[i][j]))
                                  for i in range(nxt))
                    return Add(terms) if nxt > 1 else terms[0]
                sec.add(Equation([d(J, names.unit("h", l, j, s)), *both(paths),
                                  Num(ls.dJ_dh[s][j])]))

    def backward_layer(self, ex, sec, l):
        names, step, problem = ex.names, ex.step, ex.problem
        layer, ls = ex.layer(l), ex.ls(l)
        L, N = ex.L, ex.N
        units = names.sizes[l]
        am = activation_op(layer.activation)
        if not (l == L and step.shortcut):
            if l < L and not ex.type(l + 1).sums_inputs:
                sec.add(Paragraph(ex.type(l + 1).fed_words(l + 1) + " (computed above):"))
                for s in range(N):
                    for j in range(units):
                        sec.add(Equation([d(J, names.unit("h", l, j, s)), Num(ls.dJ_dh[s][j])]))
            if layer.activation.name == "softmax":
                sec.add(Paragraph("Softmax couples its units: ", inline([
                    d(J, Sym("a", sub="k")),
                    mul(Sym("y", hat=True, sub="k"),
                        Paren(Sub(d(J, Sym("y", hat=True, sub="k")),
                                  Sum(mul(d(J, Sym("y", hat=True, sub="i")),
                                          Sym("y", hat=True, sub="i"), op="juxt"), "i"))),
                        op="juxt")]), "."))
                for s in range(N):
                    for k in range(units):
                        sec.add(Equation([d(J, names.unit("a", l, k, s)), Num(ls.dJ_da[s][k])]))
            elif layer.activation.name == "linear":
                sec.add(Paragraph(f"Layer {l} is linear (", inline([Sym("h"), Sym("a")]),
                                  "), so ", inline([d(J, Sym("a")), d(J, Sym("h"))]), ":"))
                for s in range(N):
                    for j in range(units):
                        sec.add(Equation([d(J, names.unit("a", l, j, s)),
                                          d(J, names.unit("h", l, j, s)),
                                          Num(ls.dJ_da[s][j])]))
            else:
                a_gen = Sym("a")
                sec.add(Paragraph("The activation's derivative:"))
                sec.add(Equation([Call(am.name, (a_gen,), prime=True),
                                  am.rule(a_gen, Call(am.name, (a_gen,)))]))
                for s in range(N):
                    for j in range(units):
                        a_u = names.unit("a", l, j, s)

                        def chain(at):      # ∂J/∂h · f′(a), f′(a) with its numbers: ReLU′(3)
                            return mul(at(d(J, names.unit("h", l, j, s)), ls.dJ_dh[s][j]),
                                       at(Call(am.name, (a_u,), prime=True),
                                          am.shown(Num(ls.a[s][j]), Num(ls.h[s][j]))))
                        sec.add(Equation([d(J, a_u), *both(chain),
                                          mul(Num(ls.dJ_dh[s][j]), Num(ls.fprime[s][j])),
                                          Num(ls.dJ_da[s][j])]))
        sec.add(Paragraph(f"The weights of layer {l}: ",
                          Deriv(Sym("a", sup=l, sub="j"), Sym("w", sup=l, sub=("j", "k"))),
                          " is " + ("the input " if l == 1 else ""),
                          Sym("x", sub="k") if l == 1 else Sym("h", sup=l - 1, sub="k"), ":"))
        reg = problem.regularization
        for j in range(units):
            for k in range(names.sizes[l - 1]):
                sec.add(weight_equation(ex, l, j, k, reg))
        ex.zero_weight_note(sec, ls.W)
        if ls.b is not None:
            for j in range(units):
                sym, nums = both(lambda at: sum_over(
                    N, lambda s: at(d(J, names.unit("a", l, j, s)), ls.dJ_da[s][j])))
                sec.add(Equation([d(J, names.b(l, j)), sym] + ([nums] if N > 1 else [])
                                 + [Num(ls.dJ_db[j])]))

    def backward_summary(self, ex, sec, l):
        names, step, problem = ex.names, ex.step, ex.problem
        layer, ls = ex.layer(l), ex.ls(l)
        pick = ex.pick
        h, a = names.vec("h", l), names.vec("a", l)
        am = activation_op(layer.activation)
        if l == ex.L and step.shortcut:
            rhs = Sub(Sym("y", hat=True), Sym("y"))
            if names.batch and problem.reduction == "mean":
                rhs = mul(Num(step.scale), Paren(rhs), op="juxt")
        elif layer.activation.name == "softmax":
            rhs = softmax_backward(h, d(J, h), names.batch)
        elif layer.activation.name == "linear":
            rhs = d(J, h)
        else:
            rhs = mul(d(J, h), Call(am.name, (a,), prime=True), op="hadamard")
        sec.add(Equation([d(J, a), rhs, val(pick(ls.dJ_da))]))
        h_prev = names.vec("h", l - 1)
        if names.batch:
            gW = mul(Pow(Paren(d(J, a)), Sym("T")), h_prev, op="juxt")
        else:
            gW = mul(d(J, a), Sym(h_prev.name, sup=h_prev.sup, power="T"))
        if problem.regularization is not None:      # the penalty's part, as in the full detail
            gW = Add((gW, d(Sym("R"), Sym("W", sup=l))))
        sec.add(Equation([d(J, Sym("W", sup=l)), gW, val(ls.dJ_dW)]))
        ex.zero_weight_note(sec, ls.W)
        if ls.b is not None:
            gb = Sum(d(J, a), "s") if names.batch else d(J, a)
            sec.add(Equation([d(J, Sym("b", sup=l)), gb, val(ls.dJ_db)]))
        if l > 1:
            back = mul(d(J, a), Sym("W", sup=l)) if names.batch else \
                mul(Sym("W", sup=l, power="T"), d(J, a))
            sec.add(Equation([d(J, names.vec("h", l - 1)), back,
                              val(pick(step.layers[l - 2].dJ_dh))]))

    def data(self, ex, ls, layer):
        one = ex.per_sample
        return {"type": "dense", "W": ls.W, "b": ls.b, "a": one(ls.a), "h": one(ls.h),
                "dJ_dh": one(ls.dJ_dh), "dJ_da": one(ls.dJ_da), "dJ_dW": ls.dJ_dW,
                "dJ_db": ls.dJ_db, "W_new": ls.W_new, "b_new": ls.b_new}


def dense_rhs(at, l, ls, h_sym, h_values):
    """W⁽ˡ⁾h + b⁽ˡ⁾ (no b without a bias), its leaves filled by ``at`` (expr.both)."""
    Wh = mul(at(Sym("W", sup=l), val(ls.W)), at(h_sym, val(h_values)))
    return Add((Wh, at(Sym("b", sup=l), val(ls.b)))) if ls.b is not None else Wh


def define_activation(target, names, layer, l: int) -> None:
    """σ and softmax written out the first time a solution uses them (as h⁽ˡ⁾ of layer l)."""
    act = layer.activation.name
    if act not in ("sigmoid", "softmax") or act in names.defined:
        return
    names.defined.add(act)
    e = Sym("e")
    if act == "sigmoid":
        a = Sym("a", sup=l, sub="j")
        target.add(Paragraph("σ is the logistic sigmoid, applied to each unit; it maps any "
                             "value into (0, 1):"))
        target.add(Equation([Sym("h", sup=l, sub="j"),
                             Call(activation_op(layer.activation).name, (a,)),
                             Frac(Num(1), Add((Num(1), Pow(e, Neg(a)))))]))
    else:
        target.add(Paragraph("softmax turns the layer's values into probabilities (positive, "
                             "summing to 1), each unit's exponential over the sum of all:"))
        target.add(Equation([Sym("h", sup=l, sub="k"),
                             Frac(Pow(e, Sym("a", sup=l, sub="k")),
                                  Sum(Pow(e, Sym("a", sup=l, sub="j")), index="j"))]))


def sum_over(N, term):
    """Σ over samples (written out), or the single sample's term."""
    if N == 1:
        return term(0)
    return Add(tuple(term(s) for s in range(N)))


def weight_equation(ex, l, j, k, reg) -> Equation:
    """∂J/∂w⁽ˡ⁾ⱼ,ₖ = ∂J/∂a⁽ˡ⁾ⱼ · h⁽ˡ⁻¹⁾ₖ = −6 · 3 = −18 (summed over samples, plus the penalty)."""
    names, ls = ex.names, ex.ls(l)
    H_prev = ex.h_before(l)
    sym, nums = both(lambda at: sum_over(ex.N, lambda s: mul(
        at(d(J, names.unit("a", l, j, s)), ls.dJ_da[s][j]),
        at(names.unit("h", l - 1, k, s), H_prev[s][k]))))
    w = names.w(l, j, k)
    if reg is not None:     # at w = 0 with p ≤ 1 the subgradient 0 (a note says so)
        pen_sym, pen_num = pnorm.gradient_forms(w, ls.W[j][k], *reg)
        sym, nums = Add((sym, pen_sym)), Add((nums, pen_num))
    return Equation([d(J, w), sym, nums, Num(ls.dJ_dW[j][k])])


def softmax_backward(h: Sym, dJ_dh, batch: bool):
    """∂J/∂a through softmax, whose Jacobian ∂h/∂a = diag(h) − h hᵀ is symmetric: that matrix
    times ∂J/∂h (a column), or for rows of samples ∂J/∂h times it with h a row (diag(h) − hᵀh)."""
    hT = Sym(h.name, sup=h.sup, power="T")
    if batch:
        return mul(dJ_dh, Paren(Sub(Call("diag", (h,)), mul(hT, h, op="juxt"))))
    return mul(Paren(Sub(Call("diag", (h,)), mul(h, hT, op="juxt"))), dJ_dh)
