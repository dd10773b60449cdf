"""Writing out a backpropagation step as a solution sheet does: formulas, numbers, results.

The sheet walks the layers: each layer type (``layers/``) writes its own part of the forward
pass, the backward pass and the update; this module writes what is the network's as a whole
(the network, the loss and its gradient, the update rule, the finite-difference check, JSON).
"""

from __future__ import annotations

import numpy as np

from ...expr import Abs, Add, Call, Frac, Mat, Norm, Num, Paren, Pow, Rel, Seq, Sub, Sum, \
    Sym, Text, both, mul
from ...solution import Equation, Network, Note, Paragraph, Section, Solution, Table
from ...ops.update import GradientDescent
from . import svm
from .layers import of
from .layers.base import d, inline as Equation_inline, one_over, val
from .layers.names import MapNames, Names, Writing
from .solve import loss_math

J = Sym("J")
ETA = Sym("eta")
descent = GradientDescent.formula
MAX_DRAWN_SAMPLES = 4      # a batch is drawn on the network up to this many samples


# --- forward ---------------------------------------------------------------------------------
def _forward_by_layer(ex) -> Section:
    """Layer after layer (a batch norm needs the whole batch), each layer sample by sample."""
    sec = Section("Forward pass")
    step = ex.step
    if ex.problem.cnn:
        _input_maps(sec, ex.maps, step.X)
    else:
        sec.add(Equation([Sym("X"), Mat(step.X)]))
    for l in range(1, ex.L + 1):
        ex.type(l).forward_batch(ex, sec, l)
    sec.add(Paragraph("The prediction is the last layer's output, one row per sample:"))
    sec.add(Equation([Sym("Y", hat=True), Mat(step.layers[-1].h)]))
    return sec


def _input_maps(sec, names, X):
    """The input maps of every sample (x, or x[s] in a batch; a subscript is the channel)."""
    for s in range(X.shape[0]):
        for c in range(X.shape[1]):
            sec.add(Equation([names.whole("h", 0, c, s), Mat(X[s, c])]))


def forward_full(ex) -> Section:
    problem, step, names = ex.problem, ex.step, ex.names
    if any(ex.type(l).batchwise for l in range(1, ex.L + 1)):
        return _forward_by_layer(ex)
    sec = Section("Forward pass")
    N = step.X.shape[0]
    for s in range(N):
        target = sec
        if names.batch:
            target = Section(f"Sample {s + 1}")
            sec.add(target)
            target.add(Equation([names.tag(Sym("x"), s), val(step.X[s])]))
        for l in range(1, ex.L + 1):
            ex.type(l).forward_sample(ex, target, l, s)
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


def forward_summary(ex) -> Section:
    sec = Section("Forward pass")
    if ex.names.batch:
        sec.add(Paragraph("Each row of ", Sym("X"), ", ", Sym("a", sup="l"), " and ",
                          Sym("h", sup="l"), " is one sample."))
        sec.add(Equation([Sym("X"), Mat(ex.step.X)]))
    for l in range(1, ex.L + 1):
        ex.type(l).forward_summary(ex, sec, l)
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
        w_all = [(l, ls.W) for l, (layer, ls) in enumerate(zip(problem.layers, step.layers), 1)
                 if of(layer).penalized]     # weights and kernels, not γ
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
def backward_full(ex) -> Section:
    problem, step, names = ex.problem, ex.step, ex.names
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

    for l in range(L, 0, -1):
        ex.type(l).backward_full(ex, sec, l)
    return sec


def backward_summary(ex) -> Section:
    problem, step, names = ex.problem, ex.step, ex.names
    sec = Section("Backward pass")
    L = names.L
    if names.batch:
        sec.add(Paragraph("Rows are samples; ", d(J, Sym("W")),
                          " sums the samples' outer products."))
    for l in range(L, 0, -1):
        if l == L and not step.shortcut:
            sec.add(Equation([d(J, names.vec("h", l)), d(J, Sym("y", hat=True)),
                              val(ex.pick(ex.ls(l).dJ_dh))]))
            if problem.loss == "hinge" and svm.at_kink(problem, step):
                sec.add(svm.KINK_NOTE)
        ex.type(l).backward_summary(ex, sec, l)
    return sec


# --- update ----------------------------------------------------------------------------------
def update_section(ex, full: bool) -> Section:
    problem, step, names = ex.problem, ex.step, ex.names
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
            if ls.b is not None and (problem.update_bias
                                     or not ex.type(l).frozen_by_update_bias):
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
    note = update_bias_note(ex)
    if full and note is not None:
        sec.add(note)
    sec.add(Paragraph("The new parameters:"))
    for l in range(1, ex.L + 1):
        ex.type(l).new_params(ex, sec, l, full, lambda p: descent(p, ETA, d(J, p)))
    return sec


def update_bias_note(ex):
    """With `update_bias: false` and biases: that they keep their values (and which second
    parameters are updated all the same)."""
    if ex.problem.update_bias or all(ls.b is None for ls in ex.step.layers):
        return None
    also = []
    for l in range(1, ex.L + 1):
        words = ex.type(l).update_bias_note
        if words and ex.ls(l).b is not None and words not in also:
            also.append(words)
    return Note("update_bias is false: the biases keep their values."
                + "".join(f" ({w})" for w in also))


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
def network_section(ex) -> Section:
    """The layers (a table) and their parameters as given, the loss and the penalty."""
    problem, names = ex.problem, ex.names
    sec = Section("The network")
    rows = []
    if problem.cnn:
        shapes = problem.shapes
        rows.append(["input", "", _times(problem.input_shape or shapes[0]), "", ""])
        for l, layer in enumerate(problem.layers, start=1):
            t = of(layer)
            a = t.shown_activation(layer)
            act = "" if a is None else Seq((Text(a.name), Paren(Rel(Sym("alpha"), "=",
                                                                    Num(a.alpha)))), sep=" ") \
                if a.alpha is not None else a.name
            rows.append([f"{l}", layer.type, _times(shapes[l]), act,
                         str(t.parameter_count(layer))])
        sec.add(Table(["layer", "type", "output", "activation", "parameters"], rows))
    else:
        for l, layer in enumerate(problem.layers, start=1):
            rows.append(of(layer).vector_row(layer, l, names.sizes[l - 1], names.sizes[l]))
        sec.add(Table(["layer", "inputs", "units", "activation", "bias"], rows))
    for l in range(1, ex.L + 1):
        ex.type(l).network_params(ex, sec, l)
    parts = [f"Loss: {problem.loss.replace('_', ' ')}"
             + (f", {problem.reduction} over {problem.X.shape[0]} samples" if names.batch else "")]
    if problem.regularization:
        p, alpha = problem.regularization
        parts += ["; penalty ", mul(Sym("alpha"), Norm(Sym("w", bold=True), "p", "p"), op="juxt"),
                  " over every weight and kernel weight (not biases) with " if problem.cnn else
                  " with ",
                  Equation_inline([Sym("p"), Num(p)]), ", ",
                  Equation_inline([Sym("alpha"), Num(alpha)])]
    sec.add(Paragraph(*parts, "."))
    return sec


def _times(shape) -> str:
    return "×".join(str(n) for n in shape)


def step_data(problem, step) -> dict:
    """The JSON of one step (SPEC: backprop JSON contract)."""
    ex = Writing(problem, step, None, None)
    layers = []
    for layer, ls in zip(problem.layers, step.layers):
        layers.append(of(layer).data(ex, ls, layer))
        if problem.optimizer is not None and ls.traces is not None:
            from .training import state_data      # (an optimizer's: not on plain descent's path)
            layers[-1]["state"] = state_data(problem.optimizer, ls.traces)
    dJ_dx = step.dJ_dx
    if problem.input_shape is not None:      # as the input was written (H×W for one map)
        dJ_dx = dJ_dx.reshape((dJ_dx.shape[0],) + tuple(problem.input_shape))
    return {"loss": step.loss, "output": ex.per_sample(step.layers[-1].h), "layers": layers,
            "dJ_dx": ex.per_sample(dJ_dx)}


def _optimizer_update(ex, full: bool, t: int) -> Section:
    from .training import update_section as optimizer_update
    return optimizer_update(ex, full, t)


def explain(problem, steps, checks, detail: str) -> Solution:
    """The Solution of a backprop problem: every step in full or in summary."""
    names = Names(problem)
    maps = MapNames(problem.shapes, names.batch)
    full = detail == "full"
    blocks = [network_section(Writing(problem, steps[0], names, maps))]
    for i, step in enumerate(steps):
        ex = Writing(problem, step, names, maps)
        parts = [
            forward_full(ex) if full else forward_summary(ex),
            loss_section(problem, step, names),
            backward_full(ex) if full else backward_summary(ex),
            update_section(ex, full) if problem.optimizer is None else
            _optimizer_update(ex, full, i + 1),
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
