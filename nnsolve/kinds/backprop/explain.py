"""Writing out a backpropagation step as a solution sheet does: formulas, numbers, results."""

from __future__ import annotations

import numpy as np

from ...expr import (Abs, Add, Call, Deriv, Expr, Frac, Mat, Neg, Norm, Num, Paren, Pow, Rel, Seq,
                    Sub, Sum, Sym, Text, both, mul, symbols)
from ...solution import Equation, Network, Note, Paragraph, Section, Solution, Table
from ...ops import pnorm
from ...ops.activations import activation_op
from ...ops.update import GradientDescent
from ..regularize.solve import _zero_note as zero_weight_note
from . import batchnorm as bn_explain, cnn, svm, training
from .solve import loss_math

J = Sym("J")
ETA = Sym("eta")
descent = GradientDescent.formula
MAX_DRAWN_SAMPLES = 4      # a batch is drawn on the network up to this many samples


def val(arr) -> Expr:
    """A number for a single value, else a matrix (column vector for 1-D)."""
    a = np.asarray(arr)
    if a.size == 1:
        return Num(a.ravel()[0])
    return Mat(a)


class Names:
    """Symbols of the network: x, a⁽ˡ⁾ⱼ, h⁽ˡ⁾ⱼ, w⁽ˡ⁾ⱼ,ₖ, b⁽ˡ⁾ⱼ, ŷₖ, yₖ (with [s] for a sample)."""

    def __init__(self, problem):
        if problem.cnn:     # a map layer's size is its number of cells
            self.sizes = [int(np.prod(s)) for s in problem.shapes]
        else:
            self.sizes = [problem.X.shape[1]] + [l.W.shape[0] for l in problem.layers]
        self.L = len(problem.layers)
        self.batch = problem.batch and problem.X.shape[0] > 1
        self.types = [l.type for l in problem.layers]
        self.layers = problem.layers
        self.defined: set = set()      # σ and softmax, defined where first used

    def _ix(self, size, j):
        return None if size == 1 or j is None else j + 1

    def tag(self, sym, s):
        if s is None or not self.batch:
            return sym
        return Seq((sym, Text(f"[{s + 1}]")), sep="")

    def unit(self, name, l, j=None, s=None):
        """a or h of layer l (h of layer 0 is the input x)."""
        if name == "h" and l == 0:
            return self.tag(Sym("x", sub=self._ix(self.sizes[0], j)), s)
        return self.tag(Sym(name, sup=l, sub=self._ix(self.sizes[l], j)), s)

    def vec(self, name, l):
        """The whole vector: x, a⁽ˡ⁾, h⁽ˡ⁾."""
        return Sym("x") if (name == "h" and l == 0) else Sym(name, sup=l)

    def out(self, name, k=None, s=None):
        """ŷₖ or yₖ."""
        return self.tag(Sym("y", hat=(name == "yhat"), sub=self._ix(self.sizes[-1], k)), s)

    def w(self, l, j, k):
        return Sym("w", sup=l, sub=(j + 1, k + 1))

    def b(self, l, j):
        return Sym("b", sup=l, sub=self._ix(self.sizes[l], j))

    def param(self, l, which, idx=None):
        """A parameter of layer l (``W``/``b``; a batch norm's γ/β), one element or the whole."""
        if self.types[l - 1] == "batchnorm":
            return Sym("gamma" if which == "W" else "beta", sup=l,
                       sub=None if idx is None else idx[0] + 1)
        if self.types[l - 1] == "conv":      # kernels K and one bias per filter
            K = self.layers[l - 1].W
            if idx is None:
                return Sym("K" if which == "W" else "b", sup=l)
            return cnn.MapNames.kernel(l, K, *idx) if which == "W" else \
                cnn.MapNames.bias(l, K.shape[0], idx[0])
        if idx is None:
            return Sym(which, sup=l)
        return self.w(l, *idx) if which == "W" else self.b(l, idx[0])


def one_over(n) -> Frac:
    """1/n, written as a fraction."""
    return Frac(Num(1), Num(n))


def d(f, x) -> Deriv:
    return Deriv(f, x)


def _fname(act) -> str:
    return activation_op(act).name


# --- forward ---------------------------------------------------------------------------------
def define_activation(target, names: Names, layer, l: int) -> None:
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
        target.add(Equation([Sym("h", sup=l, sub="j"), Call(_fname(layer.activation), (a,)),
                             Frac(Num(1), Add((Num(1), Pow(e, Neg(a)))))]))
    else:
        target.add(Paragraph("softmax turns the layer's values into probabilities (positive, "
                             "summing to 1), each unit's exponential over the sum of all:"))
        target.add(Equation([Sym("h", sup=l, sub="k"),
                             Frac(Pow(e, Sym("a", sup=l, sub="k")),
                                  Sum(Pow(e, Sym("a", sup=l, sub="j")), index="j"))]))


def _dense_forward(target, problem, step, names: Names, l: int, s: int) -> None:
    """Layer l's a = W h + b and h = f(a) for sample s, with the numbers."""
    layer, ls = problem.layers[l - 1], step.layers[l - 1]
    h_prev = step.X[s] if l == 1 else step.layers[l - 2].h[s]
    a_sym = names.tag(names.vec("a", l), s)
    h_sym = names.tag(names.vec("h", l), s)
    target.add(Equation([a_sym, *both(lambda at: dense_rhs(at, l, ls, names.tag(
        names.vec("h", l - 1), s), h_prev)), val(ls.a[s])]))
    define_activation(target, names, layer, l)
    fn = _fname(layer.activation)
    if layer.activation.name == "linear":
        target.add(Equation([h_sym, a_sym, val(ls.h[s])]))
    else:
        target.add(Equation([h_sym, *both(lambda at: Call(fn, (at(a_sym, val(ls.a[s])),))),
                             val(ls.h[s])]))


def dense_rhs(at, l, ls, h_sym, h_values):
    """W⁽ˡ⁾h + b⁽ˡ⁾ (no b without a bias), its leaves filled by ``at`` (expr.both)."""
    Wh = mul(at(Sym("W", sup=l), val(ls.W)), at(h_sym, val(h_values)))
    return Add((Wh, at(Sym("b", sup=l), val(ls.b)))) if ls.b is not None else Wh


def _forward_by_layer(problem, step, names: Names) -> Section:
    """Layer after layer (a batch norm needs the whole batch), each dense layer per sample."""
    sec = Section("Forward pass")
    cnn_names = cnn.MapNames(problem.shapes, names.batch) if problem.cnn else None
    if problem.cnn:
        cnn.input_maps(sec, cnn_names, step.X)
    else:
        sec.add(Equation([Sym("X"), Mat(step.X)]))
    for l, ls in enumerate(step.layers, start=1):
        if ls.type == "batchnorm":
            sec.add(bn_explain.forward_section(problem, step, l, True))
            continue
        lsec = Section(f"Layer {l}")
        sec.add(lsec)
        if ls.type in ("conv", "pool", "flatten", "activation"):
            cnn.forward_layer_batch(lsec, cnn_names, l, problem.layers[l - 1], ls)
            continue
        for s in range(step.X.shape[0]):
            _dense_forward(lsec, problem, step, names, l, s)
    sec.add(Paragraph("The prediction is the last layer's output, one row per sample:"))
    sec.add(Equation([Sym("Y", hat=True), Mat(step.layers[-1].h)]))
    return sec


def forward_full(problem, step, names: Names) -> Section:
    if any(ls.type == "batchnorm" for ls in step.layers):
        return _forward_by_layer(problem, step, names)
    sec = Section("Forward pass")
    cnn_names = cnn.MapNames(problem.shapes, names.batch) if problem.cnn else None
    N = step.X.shape[0]
    for s in range(N):
        target = sec
        if names.batch:
            target = Section(f"Sample {s + 1}")
            sec.add(target)
            target.add(Equation([names.tag(Sym("x"), s), val(step.X[s])]))
        for l in range(1, len(problem.layers) + 1):
            layer, ls = problem.layers[l - 1], step.layers[l - 1]
            if layer.type in ("conv", "pool", "flatten", "activation"):
                cnn.forward_layer(target, cnn_names, l, layer, ls, s, full_windows=True)
                continue
            target.add(Paragraph(f"Layer {l}:"))
            _dense_forward(target, problem, step, names, l, s)
        L = names.L
        target.add(Paragraph("The prediction:"))
        target.add(Equation([names.tag(Sym("y", hat=True), s), names.tag(names.vec("h", L), s),
                             val(step.layers[-1].h[s])]))
    if problem.cnn:
        pass        # maps are shown window by window above, not drawn as units
    elif not names.batch:
        units = [(Sym("x"), list(step.X[0]))]
        units += [(names.vec("h", l), list(ls.h[0])) for l, ls in enumerate(step.layers, 1)]
        sec.add(Network(units, caption="The forward values on the network"))
    elif N <= MAX_DRAWN_SAMPLES:      # each unit holds its value for every sample, in order
        units = [(Sym("x"), [list(step.X[:, k]) for k in range(step.X.shape[1])])]
        units += [(names.vec("h", l), [list(ls.h[:, j]) for j in range(ls.h.shape[1])])
                  for l, ls in enumerate(step.layers, 1)]
        sec.add(Network(units, caption=f"The forward values on the network: in each unit, "
                                       f"the values of samples 1 to {N} in order"))
    return sec


def Equation_inline(parts):
    """A short chain a = b = c for running text."""
    return Seq(tuple(p for i, x in enumerate(parts) for p in ((Text(" = "), x) if i else (x,))),
               sep="")


def forward_summary(problem, step, names: Names) -> Section:
    sec = Section("Forward pass")
    if names.batch:
        sec.add(Paragraph("Each row of ", Sym("X"), ", ", Sym("a", sup="l"), " and ",
                          Sym("h", sup="l"), " is one sample."))
        sec.add(Equation([Sym("X"), Mat(step.X)]))
    cnn_names = cnn.MapNames(problem.shapes, names.batch) if problem.cnn else None
    for l, (layer, ls) in enumerate(zip(problem.layers, step.layers), start=1):
        if layer.type in ("conv", "pool", "flatten", "activation"):
            cnn.forward_summary(sec, cnn_names, l, layer, ls, names.batch)
            continue
        if ls.type == "batchnorm":
            sec.add(bn_explain.forward_section(problem, step, l, False))
            continue
        rhs = dense_rhs(symbols, l, ls, names.vec("h", l - 1), None)
        A = ls.a if names.batch else ls.a[0]
        H = ls.h if names.batch else ls.h[0]
        sec.add(Equation([names.vec("a", l), rhs, val(A)]))
        define_activation(sec, names, layer, l)
        fn = _fname(layer.activation)
        f_a = names.vec("a", l) if layer.activation.name == "linear" else \
            Call(fn, (names.vec("a", l),))
        sec.add(Equation([names.vec("h", l), f_a, val(H)]))
    return sec


# --- loss ------------------------------------------------------------------------------------
def one_hot_target(step, names: Names) -> list:
    """The target class of each sample as the one-hot vector y the loss uses."""
    Y = np.asarray(step.Y, dtype=object)
    rows = [[float(v) for v in row] for row in Y]
    if not all(sorted(r) == [0.0] * (len(r) - 1) + [1.0] for r in rows):
        return []                 # soft targets: written in the loss itself
    classes = [r.index(1.0) for r in rows]
    if not names.batch:
        return [Paragraph(f"The target is class {classes[0]} (counted from 0), as a one-hot "
                          f"vector:"), Equation([Sym("y"), val(Y[0])])]
    return [Paragraph("The targets are the classes " + ", ".join(map(str, classes))
                      + " (counted from 0), one one-hot row per sample:"),
            Equation([Sym("Y"), Mat(Y)])]


def loss_section(problem, step, names: Names) -> Section:
    sec = Section("Loss")
    lm = loss_math(problem)
    K = names.sizes[-1]
    N = step.X.shape[0]
    sym_pairs = [(Sym("y", sub="k"), Sym("y", hat=True, sub="k")) if K > 1 else
                 (names.out("y"), names.out("yhat"))]
    data_sym = J if not names.batch else Sym("L", sub="s")
    if problem.loss == "cross_entropy":
        sec.add(Paragraph("Cross-entropy with the softmax output: the loss is −log of the "
                          "probability given to the target class."))
        sec.add(*one_hot_target(step, names))
    if problem.loss == "hinge":
        sec.add(*svm.loss_blocks(problem, step, names))
    else:
        symbolic = lm.formula(sym_pairs, K, symbolic=True)
        out_act = getattr(problem.layers[-1], "activation", None)
        if lm.from_logits(getattr(out_act, "name", None)):
            how = ("log-sum-exp, −log ŷₖ = log Σⱼ exp(aⱼ) − aₖ, as PyTorch's cross_entropy does"
                   if problem.loss == "cross_entropy" else
                   "log-sigmoid, −log σ(a) = log(1 + exp(−a)), as PyTorch's BCEWithLogitsLoss "
                   "does")
            sec.add(Note(f"The loss is computed from the output layer's pre-activation a (by "
                         f"{how}), so that it keeps its precision where ŷ rounds to 0 or 1."))
        if names.batch:
            sec.add(Equation([data_sym, symbolic]))
    for s in range(N if problem.loss != "hinge" else 0):
        pairs = [(Num(step.Y[s][k]), Num(step.layers[-1].h[s][k])) for k in range(K)]
        lhs = J if not names.batch else Sym("L", sub=s + 1)
        if problem.regularization is not None and not names.batch:
            lhs = Sym("L")
        chain = [lhs] + ([] if names.batch else [symbolic])
        sec.add(Equation(chain + [lm.formula(pairs, K, symbolic=False),
                                  Num(step.sample_losses[s])]))
    if names.batch:
        terms = Add(tuple(Num(x) for x in step.sample_losses))

        def over_samples(at):       # Σₛ Lₛ, times 1/N for the mean
            if problem.reduction == "mean":
                return mul(one_over(N), at(Sum(Sym("L", sub="s"), "s"), Paren(terms)), op="juxt")
            return at(Sum(Sym("L", sub="s"), "s"), terms)
        lhs = J if problem.regularization is None else Sym("L")
        sec.add(Equation([lhs, *both(over_samples), Num(step.data_loss)]))
    if problem.regularization is not None:
        p, alpha = problem.regularization
        w_all = [(l, ls.W) for l, ls in enumerate(step.layers, start=1)
                 if ls.type in ("dense", "conv")]     # weights and kernels, not γ
        abs_terms = tuple(Pow(Abs(Num(v)), Num(p)) for _, W in w_all for v in W.ravel())
        sec.add(Paragraph("The penalty ", Equation_inline([
            Sym("R"), mul(Sym("alpha"), Norm(Sym("w", bold=True), "p", "p"), op="juxt"),
            mul(Sym("alpha"), Sum(Pow(Abs(Sym("w")), Sym("p"))), op="juxt")]),
            " runs over all weights (not biases), and ",
            Equation_inline([J, Add((Sym("L"), Sym("R")))]), ":"))
        sec.add(Equation([Sym("R"), *both(lambda at: mul(
            at(Sym("alpha"), alpha), at(Sum(Pow(Abs(Sym("w")), Sym("p"))), Paren(Add(abs_terms))))),
            Num(step.penalty)]))
        sec.add(Equation([J, *both(lambda at: Add((at(Sym("L"), step.data_loss),
                                                   at(Sym("R"), step.penalty)))),
                          Num(step.loss)]))
    return sec


# --- backward --------------------------------------------------------------------------------
def backward_full(problem, step, names: Names) -> Section:
    sec = Section("Backward pass")
    sec.add(Paragraph("We start at the loss and pass the gradient back layer by layer, reusing ",
                      d(J, Sym("a")), " of the layer above (backpropagation)."))
    lm = loss_math(problem)
    L, K = names.L, names.sizes[-1]
    N = step.X.shape[0]
    mean = names.batch and problem.reduction == "mean"

    def scaled(g):      # a sample's gradient, times 1/N for the mean over the batch
        return mul(one_over(N), Paren(g)) if mean else g

    out_sec = Section("Loss gradient")
    sec.add(out_sec)
    noted = False      # the note on the subgradient at w = 0, once
    if mean:
        out_sec.add(Paragraph(f"J is the mean over the {N} samples, so each sample's gradient "
                              "carries the factor ", one_over(N), "."))
    if step.shortcut:
        out_sec.add(Paragraph(
            "With " + ("softmax and cross-entropy" if problem.loss == "cross_entropy" else
                       "a sigmoid output and binary cross-entropy") +
            " together, the gradient at the output layer's input simplifies to ",
            Equation_inline([d(J, Sym("a", sup=L, sub="k")),
                             Sub(Sym("y", hat=True, sub="k"), Sym("y", sub="k"))]), "."))
    if problem.loss == "hinge":
        out_sec.add(*svm.gradient_blocks(problem, step, names, one_over(N) if mean else None))
    for s in range(N if problem.loss != "hinge" else 0):
        for k in range(K):
            y, p = names.out("y", k, s), names.out("yhat", k, s)

            def gradient(at):       # ∂J/∂ŷₖ by the loss's rule, or ŷₖ − yₖ at a (the shortcut)
                y_, p_ = at(y, step.Y[s][k]), at(p, step.layers[-1].h[s][k])
                return scaled(Sub(p_, y_) if step.shortcut else lm.grad(y_, p_, K))
            if step.shortcut:
                out_sec.add(Equation([d(J, names.unit("a", L, k, s)), *both(gradient),
                                      Num(step.layers[-1].dJ_da[s][k])]))
            else:
                out_sec.add(Equation([d(J, names.unit("h", L, k, s)), d(J, p), *both(gradient),
                                      Num(step.dJ_dyhat[s][k])]))

    cnn_names = cnn.MapNames(problem.shapes, names.batch) if problem.cnn else None
    for l in range(L, 0, -1):
        layer, ls = problem.layers[l - 1], step.layers[l - 1]
        if ls.type == "batchnorm":
            sec.add(bn_explain.backward_section(problem, step, l, True))
            continue
        lsec = Section(f"Layer {l}")
        sec.add(lsec)
        units = names.sizes[l]
        if layer.type in ("conv", "pool", "flatten", "activation"):
            if l < L and problem.layers[l].type == "dense":
                feeds_dense(lsec, names, step, l, N)
            cnn.backward_layer(lsec, cnn_names, l, layer, ls, problem.regularization)
            continue
        am = activation_op(layer.activation)
        if not (l == L and step.shortcut):
            if l < L and step.layers[l].type in ("batchnorm", "activation"):
                lsec.add(Paragraph(f"Layer {l} feeds the batch norm of layer {l + 1}, whose "
                                   "∂J/∂x is this layer's ∂J/∂h (computed above):")
                         if step.layers[l].type == "batchnorm" else
                         Paragraph(f"Layer {l} feeds the activation layer {l + 1}, whose "
                                   "gradient at its input is this layer's ∂J/∂h (computed "
                                   "above):"))
                for s in range(N):
                    for j in range(units):
                        lsec.add(Equation([d(J, names.unit("h", l, j, s)),
                                           Num(ls.dJ_dh[s][j])]))
            elif l < L:
                feeds_dense(lsec, names, step, l, N)
            if layer.activation.name == "softmax":
                lsec.add(Paragraph("Softmax couples its units: ", Equation_inline([
                    d(J, Sym("a", sub="k")),
                    mul(Sym("y", hat=True, sub="k"),
                        Paren(Sub(d(J, Sym("y", hat=True, sub="k")),
                                  Sum(mul(d(J, Sym("y", hat=True, sub="i")),
                                          Sym("y", hat=True, sub="i"), op="juxt"), "i"))),
                        op="juxt")]), "."))
                for s in range(N):
                    for k in range(units):
                        lsec.add(Equation([d(J, names.unit("a", l, k, s)),
                                           Num(ls.dJ_da[s][k])]))
            elif layer.activation.name == "linear":
                lsec.add(Paragraph(f"Layer {l} is linear (", Equation_inline([Sym("h"), Sym("a")]),
                                   "), so ", Equation_inline([d(J, Sym("a")), d(J, Sym("h"))]),
                                   ":"))
                for s in range(N):
                    for j in range(units):
                        lsec.add(Equation([d(J, names.unit("a", l, j, s)),
                                           d(J, names.unit("h", l, j, s)),
                                           Num(ls.dJ_da[s][j])]))
            else:
                a_gen = Sym("a")
                lsec.add(Paragraph("The activation's derivative:"))
                lsec.add(Equation([Call(am.name, (a_gen,), prime=True),
                                   am.rule(a_gen, Call(am.name, (a_gen,)))]))
                for s in range(N):
                    for j in range(units):
                        a_u = names.unit("a", l, j, s)

                        def chain(at):      # ∂J/∂h · f′(a), f′(a) with its numbers: ReLU′(3)
                            return mul(at(d(J, names.unit("h", l, j, s)), ls.dJ_dh[s][j]),
                                       at(Call(am.name, (a_u,), prime=True),
                                          am.shown(Num(ls.a[s][j]), Num(ls.h[s][j]))))
                        lsec.add(Equation([d(J, a_u), *both(chain),
                                           mul(Num(ls.dJ_dh[s][j]), Num(ls.fprime[s][j])),
                                           Num(ls.dJ_da[s][j])]))
        lsec.add(Paragraph(f"The weights of layer {l}: ",
                           Deriv(Sym("a", sup=l, sub="j"), Sym("w", sup=l, sub=("j", "k"))),
                           " is " + ("the input " if l == 1 else ""),
                           Sym("x", sub="k") if l == 1 else Sym("h", sup=l - 1, sub="k"), ":"))
        reg = problem.regularization
        for j in range(units):
            for k in range(names.sizes[l - 1]):
                lsec.add(weight_equation(names, step, l, j, k, reg))
        if not noted and zero_weight_at_kink(reg, ls.W):
            lsec.add(zero_weight_note(reg[0], Sym("w")))
            noted = True
        if ls.b is not None:
            for j in range(units):
                sym, nums = both(lambda at: sum_over(
                    names, N, lambda s: at(d(J, names.unit("a", l, j, s)), ls.dJ_da[s][j])))
                lsec.add(Equation([d(J, names.b(l, j)), sym] + ([nums] if N > 1 else [])
                                  + [Num(ls.dJ_db[j])]))
    return sec


def feeds_dense(lsec, names, step, l, N):
    """∂J/∂h⁽ˡ⁾ⱼ = Σᵢ ∂J/∂a⁽ˡ⁺¹⁾ᵢ · w⁽ˡ⁺¹⁾ᵢ,ⱼ: each unit feeds every unit of the dense layer above."""
    ls, above = step.layers[l - 1], step.layers[l]
    units, nxt = names.sizes[l], names.sizes[l + 1]
    lsec.add(Paragraph(
        f"Each unit of layer {l} feeds " +
        ("the unit" if nxt == 1 else f"all {nxt} units") +
        f" of layer {l + 1}; ", d(J, Sym("h")), " sums over those paths:"))
    for s in range(N):
        for j in range(units):
            def paths(at):      # the formula once: symbols and numbers filled in by ``at``
                terms = tuple(mul(at(d(J, names.unit("a", l + 1, i, s)), above.dJ_da[s][i]),
                                  at(names.w(l + 1, i, j), above.W[i][j])) for i in range(nxt))
                return Add(terms) if nxt > 1 else terms[0]
            lsec.add(Equation([d(J, names.unit("h", l, j, s)), *both(paths),
                               Num(ls.dJ_dh[s][j])]))


def sum_over(names, N, term):
    """Σ over samples (written out), or the single sample's term."""
    if N == 1:
        return term(0)
    return Add(tuple(term(s) for s in range(N)))


def zero_weight_at_kink(reg, W) -> bool:
    """A weight exactly 0 where |w|ᵖ (p ≤ 1) has no derivative: the subgradient 0 is used."""
    return reg is not None and reg[0] <= 1 and bool(np.any(np.asarray(W) == 0))


def weight_equation(names, step, l, j, k, reg) -> Equation:
    """∂J/∂w⁽ˡ⁾ⱼ,ₖ = ∂J/∂a⁽ˡ⁾ⱼ · h⁽ˡ⁻¹⁾ₖ = −6 · 3 = −18 (summed over samples, plus the penalty)."""
    ls = step.layers[l - 1]
    N = step.X.shape[0]
    H_prev = step.X if l == 1 else step.layers[l - 2].h
    sym, nums = both(lambda at: sum_over(names, N, lambda s: mul(
        at(d(J, names.unit("a", l, j, s)), ls.dJ_da[s][j]),
        at(names.unit("h", l - 1, k, s), H_prev[s][k]))))
    w = names.w(l, j, k)
    if reg is not None:     # at w = 0 with p ≤ 1 the subgradient 0 (a note says so)
        pen_sym, pen_num = pnorm.gradient_forms(w, ls.W[j][k], *reg)
        sym, nums = Add((sym, pen_sym)), Add((nums, pen_num))
    return Equation([d(J, w), sym, nums, Num(ls.dJ_dW[j][k])])


def softmax_backward(h: Sym, dJ_dh, batch: bool) -> Expr:
    """∂J/∂a through softmax, whose Jacobian ∂h/∂a = diag(h) − h hᵀ is symmetric: that matrix
    times ∂J/∂h (a column), or for rows of samples ∂J/∂h times it with h a row (diag(h) − hᵀh)."""
    hT = Sym(h.name, sup=h.sup, power="T")
    if batch:
        return mul(dJ_dh, Paren(Sub(Call("diag", (h,)), mul(hT, h, op="juxt"))))
    return mul(Paren(Sub(Call("diag", (h,)), mul(h, hT, op="juxt"))), dJ_dh)


def backward_summary(problem, step, names: Names) -> Section:
    sec = Section("Backward pass")
    L = names.L
    pick = (lambda x: x) if names.batch else (lambda x: x[0])
    noted = False      # the note on the subgradient at w = 0, once
    if names.batch:
        sec.add(Paragraph("Rows are samples; ", d(J, Sym("W")),
                          " sums the samples' outer products."))
    cnn_names = cnn.MapNames(problem.shapes, names.batch) if problem.cnn else None
    for l in range(L, 0, -1):
        layer, ls = problem.layers[l - 1], step.layers[l - 1]
        h, a = names.vec("h", l), names.vec("a", l)
        if layer.type in ("conv", "pool", "flatten"):
            cnn.backward_summary(sec, cnn_names, l, layer, ls, problem.regularization)
            continue
        if l == L and not step.shortcut:
            sec.add(Equation([d(J, h), d(J, Sym("y", hat=True)), val(pick(ls.dJ_dh))]))
            if problem.loss == "hinge" and svm.at_kink(problem, step):
                sec.add(svm.KINK_NOTE)
        if ls.type == "activation":
            cnn.backward_summary(sec, cnn_names, l, layer, ls, problem.regularization)
            continue
        if ls.type == "batchnorm":
            sec.add(bn_explain.backward_section(problem, step, l, False))
            if l > 1 and np.ndim(ls.h) == 2:      # (on maps the section ends with ∂J/∂x)
                sec.add(Equation([d(J, names.vec("h", l - 1)), d(J, Sym("x")),
                                  val(pick(step.layers[l - 2].dJ_dh))]))
            continue
        am = activation_op(layer.activation)
        if l == L and step.shortcut:
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
        if not noted and zero_weight_at_kink(problem.regularization, ls.W):
            sec.add(zero_weight_note(problem.regularization[0], Sym("w")))
            noted = True
        if ls.b is not None:
            gb = Sum(d(J, a), "s") if names.batch else d(J, a)
            sec.add(Equation([d(J, Sym("b", sup=l)), gb, val(ls.dJ_db)]))
        if l > 1 and (l == 1 or problem.layers[l - 2].type in ("dense", "flatten", "batchnorm",
                                                                 "activation")):
            back = mul(d(J, a), Sym("W", sup=l)) if names.batch else \
                mul(Sym("W", sup=l, power="T"), d(J, a))
            sec.add(Equation([d(J, names.vec("h", l - 1)), back,
                              val(pick(step.layers[l - 2].dJ_dh))]))
    return sec


# --- update ----------------------------------------------------------------------------------
def update_section(problem, step, names: Names, full: bool) -> Section:
    sec = Section("Update")
    eta = problem.learning_rate
    w_gen = Sym("w")
    sec.add(Paragraph("Gradient descent with learning rate ", Equation_inline([ETA, Num(eta)]),
                      ":"))
    sec.add(Equation([w_gen, descent(w_gen, ETA, d(J, w_gen))], rels=["←"]))
    if full:
        changed = []
        for l, ls in enumerate(step.layers, start=1):
            if ls.W is None:        # pool, flatten: no parameters
                continue
            for idx, g in np.ndenumerate(ls.dJ_dW):
                if g != 0:
                    changed.append((names.param(l, "W", idx), ls.W[idx], g, ls.W_new[idx]))
            if ls.b is not None and (problem.update_bias or ls.type == "batchnorm"):
                for j, g in enumerate(ls.dJ_db):
                    if g != 0:
                        changed.append((names.param(l, "b", (j,)), ls.b[j], g, ls.b_new[j]))
        if changed:
            sec.add(Paragraph("Parameters with a zero gradient keep their values; the others:"))
        else:
            sec.add(Paragraph("Every gradient is zero: no parameter changes."))
        for sym, old, g, new in changed:
            sec.add(Equation([sym, descent(Num(old), Num(eta), Num(g)), Num(new)],
                             rels=["←", "="]))
        if any(ls.b is not None for ls in step.layers) and not problem.update_bias:
            sec.add(Note("update_bias is false: the biases keep their values."
                         + (" (A batch norm's β is updated all the same.)"
                            if "batchnorm" in names.types else "")))
    sec.add(Paragraph("The new parameters:"))
    for l, ls in enumerate(step.layers, start=1):
        if ls.W is None:
            continue
        if ls.type == "conv":
            cnn.kernels_new(sec, l, ls, full, ETA)
            continue
        W = names.param(l, "W")
        if full:
            sec.add(Equation([W, val(ls.W_new)]))
        else:
            sec.add(Equation([W, descent(W, ETA, d(J, W)), val(ls.W_new)], rels=["←", "="]))
        if ls.b is not None:
            b = names.param(l, "b")
            if full or not (problem.update_bias or ls.type == "batchnorm"):
                sec.add(Equation([b, val(ls.b_new)]))
            else:
                sec.add(Equation([b, descent(b, ETA, d(J, b)), val(ls.b_new)],
                                 rels=["←", "="]))
    return sec


# --- verify ----------------------------------------------------------------------------------
def verify_section(names, step, rows) -> Section:
    sec = Section("Check by finite differences")
    theta, eps = Sym("theta"), Sym("epsilon")
    sec.add(Paragraph("Each gradient against the central difference ",
                      Frac(Sub(Call("J", (Add((theta, eps)),)), Call("J", (Sub(theta, eps),))),
                           mul(Num(2), eps, op="juxt")),
                      ", ", Equation_inline([eps, Pow(Num(10), Num(-6))]),
                      ", computed in floating point."))
    table_rows = []
    worst = 0.0
    for li, which, idx, numeric in rows:
        ls = step.layers[li]
        l = li + 1
        sym = names.param(l, which, idx)
        g = ls.dJ_dW[idx] if which == "W" else ls.dJ_db[idx]
        diff = abs(float(g) - numeric)
        worst = max(worst, diff / max(1.0, abs(float(g))))
        table_rows.append([sym, Num(g), Num(numeric), Num(diff)])
    sec.add(Table(["parameter", "backprop", "finite difference", "|difference|"], table_rows))
    ok = worst <= 1e-5
    # the measure: |difference| relative to the gradient, or absolute for gradients below 1
    measure = Frac(Abs(Text("difference")), Call("max", (Num(1), Abs(Text("backprop")))))
    sec.add(Paragraph(f"{'All' if ok else 'Not all'} {len(rows)} checked gradients agree: the "
                      "largest ", measure, " over the parameters is ", Num(worst), "."
                      + ("" if ok else " A difference can come from a kink within ε "
                         "(ReLU at 0, a tie in a max pool).")))
    return sec


# --- the whole solution ----------------------------------------------------------------------
def network_section(problem, names: Names) -> Section:
    if problem.cnn:
        return cnn.network_section(problem, names)
    sec = Section("The network")
    rows = []
    for l, layer in enumerate(problem.layers, start=1):
        act = layer.activation
        name = Seq((Text(act.name), Paren(Rel(Sym("alpha"), "=", Num(act.alpha)))), sep=" ") \
            if act.name == "leaky_relu" else act.name
        if layer.type == "batchnorm":
            n = str(layer.W.shape[0])
            rows.append([f"{l}", n, n, "batch norm", "β"])
            continue
        rows.append([f"{l}", str(layer.W.shape[1]), str(layer.W.shape[0]), name,
                     "yes" if layer.b is not None else "no"])
    sec.add(Table(["layer", "inputs", "units", "activation", "bias"], rows))
    for l, layer in enumerate(problem.layers, start=1):
        sec.add(Equation([names.param(l, "W"), val(layer.W)]))
        if layer.b is not None:
            sec.add(Equation([names.param(l, "b"), val(layer.b)]))
    parts = [f"Loss: {problem.loss.replace('_', ' ')}"
             + (f", {problem.reduction} over {problem.X.shape[0]} samples" if names.batch else "")]
    if problem.regularization:
        p, alpha = problem.regularization
        parts += ["; penalty ", mul(Sym("alpha"), Norm(Sym("w", bold=True), "p", "p"), op="juxt"),
                  " with ", Equation_inline([Sym("p"), Num(p)]), ", ",
                  Equation_inline([Sym("alpha"), Num(alpha)])]
    sec.add(Paragraph(*parts, "."))
    return sec


def step_data(problem, step) -> dict:
    """The JSON of one step (SPEC: backprop JSON contract)."""
    batch = problem.batch

    def per_sample(x):
        return x if batch or x is None else x[0]
    layers = []
    for ls in step.layers:
        if ls.type in ("dense", "conv"):
            W = "W" if ls.type == "dense" else "K"      # a conv layer's weights: its kernels
            layers.append({
                "type": ls.type,
                W: ls.W, "b": ls.b, "a": per_sample(ls.a), "h": per_sample(ls.h),
                "dJ_dh": per_sample(ls.dJ_dh), "dJ_da": per_sample(ls.dJ_da),
                f"dJ_d{W}": ls.dJ_dW, "dJ_db": ls.dJ_db, f"{W}_new": ls.W_new, "b_new": ls.b_new,
            })
        elif ls.type == "batchnorm":
            layers.append(bn_explain.layer_data(ls, per_sample))
        elif ls.type == "activation":     # its input is the layer before's h; ∂J/∂ of it: dJ_da
            act = problem.layers[len(layers)].activation
            layers.append({"type": "activation", "activation": act.name, "h": per_sample(ls.h),
                           "dJ_dh": per_sample(ls.dJ_dh), "dJ_da": per_sample(ls.dJ_da)})
            if act.alpha is not None:
                layers[-1]["alpha"] = act.alpha
        else:
            layers.append({"type": ls.type, "h": per_sample(ls.h),
                           "dJ_dh": per_sample(ls.dJ_dh)})
        if problem.optimizer is not None and ls.traces is not None:
            layers[-1]["state"] = training.state_data(problem.optimizer, ls.traces)
    dJ_dx = step.dJ_dx
    if problem.input_shape is not None:      # as the input was written (H×W for one map)
        dJ_dx = dJ_dx.reshape((dJ_dx.shape[0],) + tuple(problem.input_shape))
    return {"loss": step.loss, "output": per_sample(step.layers[-1].h), "layers": layers,
            "dJ_dx": per_sample(dJ_dx)}


def explain(problem, steps, checks, detail: str) -> Solution:
    """The Solution of a backprop problem: every step in full or in summary."""
    names = Names(problem)
    full = detail == "full"
    blocks = [network_section(problem, names)]
    for i, step in enumerate(steps):
        parts = [
            forward_full(problem, step, names) if full else forward_summary(problem, step, names),
            loss_section(problem, step, names),
            backward_full(problem, step, names) if full else backward_summary(problem, step,
                                                                               names),
            update_section(problem, step, names, full) if problem.optimizer is None else
            training.update_section(problem, step, names, full, i + 1),
        ]
        if checks:
            parts.append(verify_section(names, step, checks[i]))
        if len(steps) > 1:
            blocks.append(Section(f"Step {i + 1} of {len(steps)}", parts))
        else:
            blocks.extend(parts)
    data = {"kind": "backprop", "format_version": 1,
            "steps": [step_data(problem, s) for s in steps]}
    return Solution("backprop", problem.title, blocks, data)
