"""A batch-norm layer: each unit normalised over the batch (BatchNorm1d), or each channel over
N, H, W after a conv or pool layer (BatchNorm2d), in training mode; γ and β are parameters.

    layers:
      - weights: [[1, 0], [0, 1]]          # (or a conv or pool layer: then one γ, β per channel)
      - batchnorm: {gamma: [1, 1], beta: [0, 0], epsilon: 1e-5}   # PyTorch's defaults
      - batchnorm                                                 # the same, all defaults

A batch norm has no activation of its own (SPEC): the activation of the layer before it acts
before it. ops/batchnorm.py holds the maths and the formulas; this module reads the layer and
writes its forward and backward pass.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

import numpy as np

from ....expr import Add, Deriv, Mat, Num, Seq, Sym, Text, mul
from ....ops import batchnorm as bnop
from ....ops.engine import Node
from ....solution import Equation, Note, Paragraph, Section
from ...common import Activation
from .base import J, LayerType, d, inline, layer_type, val
from .names import MapNames

EPSILON = Fraction(1, 10 ** 5)      # PyTorch's default


@dataclass
class BatchNormLayer:
    """γ (held in ``W``) and β (in ``b``), one per unit or channel, and ε."""

    W: object
    b: object
    epsilon: object = EPSILON
    activation: Activation = field(default_factory=lambda: Activation("linear"))
    type: str = "batchnorm"


@layer_type
class BatchNormType(LayerType):
    key = "batchnorm"
    order = 3
    hint = "`batchnorm:`"
    words_alone = ("batchnorm",)
    params = ("gamma", "beta")
    frozen_by_update_bias = False     # β is updated even with `update_bias: false`
    update_bias_note = "A batch norm's β is updated all the same."
    fully_connected = True
    batchwise = True
    maps_or_vector = True

    def read(self, ld, at):
        """γ and β (one per unit, or per channel on C×H×W maps; default 1 and 0, as PyTorch
        starts them)."""
        i, shape = at.i, at.shape
        if not ld.is_map:        # `- batchnorm` alone: PyTorch's initial γ = 1, β = 0
            bd = None
        else:
            if ld.get("activation") is not None:
                raise ld["activation"].error(
                    "a batch norm has no activation of its own: write the activation on the "
                    "dense or conv layer before it (it then acts before the batch norm)")
            ld.keys(["batchnorm"])
            bd = ld.get("batchnorm")
        if bd is not None and not bd.is_map:
            raise bd.error("expected the batch norm's fields: {gamma: [...], beta: [...], "
                           "epsilon: 1e-5} (each optional)")
        maps = shape is not None and len(shape) == 3
        if shape is not None:
            units = shape[0]
            one = "one per channel" if maps else "one per unit"
            size = "×".join(map(str, shape))
            where = (f"the input is {size}" if i == 0 else
                     f"the output of layer {i} is {size}") if maps else \
                (f"the input has {units}" if i == 0 else f"layer {i} has {units}")
        else:           # the first layer of a network of vectors: its size comes from γ or β
            units, one, where = None, "one per unit", "the other vector has"
        gamma = beta = None
        eps = EPSILON
        if bd is not None:
            bd.keys(["gamma", "beta", "epsilon"])
            for key in ("gamma", "beta"):
                if bd.get(key) is None:
                    continue
                v = bd[key].array(ndims=(0, 1), what=f"a {key} vector ({one})").reshape(-1)
                if units is None:
                    units = v.shape[0]
                    where = f"the other vector has {units}"
                if v.shape[0] != units:
                    raise bd[key].error(f"expected {units} value{'s' * (units != 1)} ({one}; "
                                        f"{where}), got {v.shape[0]}")
                if key == "gamma":
                    gamma = v
                else:
                    beta = v
            if bd.get("epsilon") is not None:
                eps = bd["epsilon"].number(positive=True, what="an epsilon")
        if units is None:
            raise (bd or ld).error("a batch norm as the first layer needs `gamma` or `beta`: "
                                   "one value per input")
        if gamma is None:
            gamma = np.array([Fraction(1)] * units, dtype=object)
        if beta is None:
            beta = np.array([Fraction(0)] * units, dtype=object)
        return BatchNormLayer(gamma, beta, eps), (shape if shape is not None else (units,))

    def inferred_input(self, layer):
        return (layer.W.shape[0],)

    def check_samples(self, ld, layer, shape, N: int) -> None:
        """Each batch norm needs more than one value per unit or channel to normalise
        (PyTorch's rule: N ≥ 2 for a vector; N·H·W ≥ 2 per channel of C×H×W maps, so one image
        of more than one cell will do, as BatchNorm2d accepts it in training mode)."""
        where = ld["batchnorm"] if ld.is_map and ld.get("batchnorm") is not None else ld
        if len(shape) == 3:
            m = N * shape[1] * shape[2]
            if m < 2:
                raise where.error(
                    f"batch norm normalises each channel over the batch and the map: it needs "
                    f"more than 1 value per channel, but {N} sample{'s' * (N != 1)} of "
                    f"{'×'.join(map(str, shape))} maps give{'s' * (N == 1)} {m}: use "
                    f"`samples:`")
        elif N < 2:
            raise where.error(f"batch norm normalises over a batch: it needs at least 2 samples "
                              f"(`samples:`), got {N}")

    def nodes(self, layer, w, b, swap):
        return [Node(swap(bnop.BatchNormOp(layer.epsilon)), {"gamma": w, "beta": b})]

    def output_words(self, layer):
        return "a batch norm"

    # --- explaining ------------------------------------------------------------------------
    def symbol(self, layer, l, which, idx=None):
        """γ⁽ˡ⁾ⱼ or β⁽ˡ⁾ⱼ (the whole vector without j)."""
        return Sym("gamma" if which in ("W", "gamma") else "beta", sup=l,
                   sub=None if idx is None else idx[0] + 1)

    def vector_row(self, layer, l, n_in, n_out):
        n = str(layer.W.shape[0])
        return [f"{l}", n, n, "batch norm", "β"]

    def fed_words(self, l):
        return f"Layer {l - 1} feeds the batch norm of layer {l}, whose ∂J/∂x is this " \
               "layer's ∂J/∂h"

    def forward_batch(self, ex, sec, l):
        sec.add(forward_section(ex.problem, ex.step, l, True))

    def forward_summary(self, ex, sec, l):
        sec.add(forward_section(ex.problem, ex.step, l, False))

    def backward_full(self, ex, sec, l):
        sec.add(backward_section(ex.problem, ex.step, l, True))

    def backward_summary(self, ex, sec, l):
        sec.add(backward_section(ex.problem, ex.step, l, False))
        if l > 1 and np.ndim(ex.ls(l).h) == 2:      # (on maps the section ends with ∂J/∂x)
            sec.add(Equation([d(J, ex.names.vec("h", l - 1)), d(J, Sym("x")),
                              val(ex.pick(ex.step.layers[l - 2].dJ_dh))]))

    def data(self, ex, ls, layer):
        """SPEC: gamma, beta, mean, var, x_hat, h, dJ_dh, ...: x_hat, h and dJ_dh shaped as the
        layer's input (N × D, or N × C × H × W after a conv), without the sample axis for a
        single `input`."""
        bn, one = ls.nodes[0].cache, ex.per_sample
        return {"type": "batchnorm", "gamma": ls.W, "beta": ls.b, "mean": bn.mean,
                "var": bn.var, "x_hat": one(bn.x_hat), "h": one(ls.h), "dJ_dh": one(ls.dJ_dh),
                "dJ_dgamma": ls.dJ_dW, "dJ_dbeta": ls.dJ_db, "gamma_new": ls.W_new,
                "beta_new": ls.b_new}


# --- the explanation -----------------------------------------------------------------------

def _symbols(l: int) -> bnop.SymbolFiller:
    return bnop.SymbolFiller(x="x", y="y")


def _which(l: int) -> list:
    """x and y named for this layer: x = h⁽ˡ⁻¹⁾ (or the input), y = h⁽ˡ⁾."""
    x = Sym("x") if l == 1 else Sym("h", sup=l - 1)
    return ["In layer ", str(l), " x is ", x, " and y is ", Sym("h", sup=l),
            "; i runs over the N samples of the batch."]


def forward_section(problem, step, l: int, full: bool) -> Section:
    """μ, σ², x̂ and y of every unit (full), or as vectors and matrices (summary)."""
    bn = step.layers[l - 1].nodes[0].cache
    return _section(problem, step, l, full, bnop.FORWARD, [
        "Batch normalisation in training mode (as PyTorch's BatchNorm1d): each unit is "
        "normalised over the batch with its mean μ and its biased variance σ² (divided by N, "
        "not N − 1), then scaled by γ and shifted by β, with ",
        Seq((Sym("epsilon"), Text(" = "), Num(bn.epsilon)), sep=""), "."])


def backward_section(problem, step, l: int, full: bool) -> Section:
    """∂J/∂γ, ∂J/∂β, and ∂J/∂x through its three paths (x̂, σ², μ), as CS231n derives them."""
    return _section(problem, step, l, full, bnop.BACKWARD, [
        "∂J/∂y comes from the layer above. Each xᵢ reaches J three ways: directly through "
        "x̂ᵢ, through the variance σ² and through the mean μ (which also feeds σ²); ∂J/∂xᵢ "
        "adds the three paths."])


def _section(problem, step, l: int, full: bool, which, intro: list) -> Section:
    """The forward (``which`` FORWARD) or backward (BACKWARD) formulas of a batch norm of
    units, unit by unit (full) or each formula once with its vector or matrix (summary); on
    maps, per channel."""
    bn = step.layers[l - 1].nodes[0].cache
    if np.ndim(bn.x) == 4:
        return _maps_section(problem, step, l, full, which)
    sec = Section(f"Layer {l}: batch norm")
    sec.add(Paragraph(*intro))
    sec.add(Paragraph(*_which(l)))
    if not full:
        _summary(sec, bn, l, which)
        return sec
    for j in range(np.shape(bn.mean)[0]):
        sec.add(Paragraph(f"Unit {j + 1}:"))
        sec.add(*bnop.equations(bn, j, which, _symbols(l)))
    if which == bnop.BACKWARD:
        sec.add(Paragraph("The second term of ∂J/∂μ is always 0 (the deviations xᵢ − μ sum to "
                          "0); it is written as CS231n does, for the path it stands for."))
        note = zero_bias_note(problem, l)
        if note is not None:
            sec.add(note)
    return sec


def _summary(sec, bn, l: int, names) -> None:
    """Each formula of ``names`` once, in symbols, then its values as a vector or matrix."""
    sym = _symbols(l)
    for name in names:
        build, per_value = bnop.FORMULAS[name]
        i = 0 if per_value else None
        sec.add(Equation([sym.leaf(name, i), build(sym, i), _val(getattr(bn, name))]))


# --- after a conv or pool: per channel, over N, H, W -----------------------------------------

TERMS_WRITTEN = 8       # a channel's sums are written term by term up to this many values
                        # (as a dense layer's units are, ops/batchnorm.py's is_small_unit)


class _Sparse(bnop.NumberFiller):
    """A channel's numbers, its sums over ∂J/∂y or ∂J/∂x̂ leaving out the terms where that
    gradient is 0 (as the conv layers leave out the windows where ∂J/∂a is 0)."""

    def leaf(self, name, i=None):
        if name in ("dy", "dx_hat") and i is not None and self.cells[name][i] == 0:
            self.zero = True
        return super().leaf(name, i)

    def sum(self, body):
        n = len(next(iter(self.cells.values())))
        kept = []
        for i in range(n):
            self.zero = False
            term = body(i)
            if not self.zero:
                kept.append(term)
        self.zero = False
        if not kept:
            return Num(0)
        return Add(tuple(kept)) if len(kept) > 1 else kept[0]


def _map_symbol(name, l, c, s, names, C):
    """The map of channel c, sample s that a per-value formula's values fill: x̂, ∂J/∂x̂, and
    y = h⁽ˡ⁾, ∂J/∂x = ∂J/∂h⁽ˡ⁻¹⁾ (so that the layers around name them as they do)."""
    sub = c + 1 if C > 1 else None
    if name == "y":
        return names.whole("h", l, c, s)
    if name == "dx":
        return Deriv(Sym("J"), names.whole("h", l - 1, c, s))
    x_hat = names.tag(Sym("x", hat=True, sub=sub), s)
    return x_hat if name == "x_hat" else Deriv(Sym("J"), x_hat)


def _maps_section(problem, step, l: int, full: bool, which) -> Section:
    """A batch norm on C×H×W maps (after a conv or pool), per channel over its m = N·H·W
    values: the forward (``which`` FORWARD) or backward (BACKWARD) formulas, each written once
    with symbols; a channel's μ, σ², ∂J/∂γ, … with their numbers (sums written out up to
    TERMS_WRITTEN values), every per-value quantity (x̂, y, ∂J/∂x̂, ∂J/∂x) as one matrix per
    channel and sample, in full detail with one cell worked out."""
    ls = step.layers[l - 1]
    bn = ls.nodes[0].cache
    N, C, H, W = np.shape(bn.x)
    names = MapNames(problem.shapes, problem.batch and N > 1)
    m = bn.m
    sym = bnop.SymbolFiller(x="x", y="y", m=Sym("m"))
    forward = which == bnop.FORWARD
    sec = Section(f"Layer {l}: batch norm")
    count = inline([Sym("m"), mul(Sym("N"), Sym("H"), Sym("W")),
                             mul(Num(N), Num(H), Num(W)), Num(m)])
    x, y = names.whole("h", l - 1), names.whole("h", l)
    if forward:
        sec.add(Paragraph(
            "Batch normalisation in training mode (as PyTorch's BatchNorm2d): each channel is "
            "normalised over its ", count, " values (every cell of its map in every sample) "
            "with their mean μ and biased variance σ² (divided by m, not m − 1), then scaled by "
            "its γ and shifted by its β, with ", Seq((Sym("epsilon"), Text(" = "),
                                                      Num(bn.epsilon)), sep=""), "."))
    else:
        sec.add(Paragraph(
            "∂J/∂y comes from the layer above. Each of a channel's m values xᵢ reaches J three "
            "ways: directly through x̂ᵢ, through the variance σ² and through the mean μ (which "
            "also feeds σ²); ∂J/∂xᵢ adds the three paths (", count, ")."))
    sec.add(Paragraph("In layer ", str(l), " x is the input ", x, " and y the output ", y,
                      " of the batch norm; the formulas hold for each channel, i running over "
                      "its m values (sample by sample, each map row by row)."
                      + (" A subscript on a map is its channel." if C > 1 else "")))
    nums = None
    for c in (range(C) if full else [None]):
        if full:
            sec.add(Paragraph(f"Channel {c + 1}:" if C > 1 else "The channel:"))
            values_c = bnop.unit_values(bn, c)
            nums = _Sparse(values_c.cells, values_c.scalars)
        for name in which:
            build, per_value = bnop.FORMULAS[name]
            values = np.asarray(getattr(bn, name))
            if not per_value:
                lhs, rule = sym.leaf(name, None), build(sym, None)
                if not full:
                    sec.add(Equation([lhs, rule, _val(values)]))
                    continue
                parts = [lhs, rule]
                # a sum over ∂J/∂y alone is as long as its terms that are not 0
                sparse = name in ("dgamma", "dbeta", "dvar")
                terms = int(np.count_nonzero(np.asarray(nums.cells["dy"], dtype=float))) \
                    if sparse else m
                if terms <= TERMS_WRITTEN and not (name == "dbeta" and terms <= 1):
                    parts.append(build(nums, None))
                parts.append(_num(values[c]))
                sec.add(Equation(parts))
                continue
            sec.add(Equation([sym.leaf(name, None), build(sym, None)]))
            if full:       # one cell worked out: the first (backward: whose ∂J/∂y is not 0)
                k = 0
                if not forward:
                    nonzero = np.flatnonzero(np.asarray(nums.cells["dy"], dtype=float))
                    k = int(nonzero[0]) if nonzero.size else 0
                n, r, q = np.unravel_index(k, (N, H, W))
                cell = (r + 1, q + 1) if C == 1 else (c + 1, r + 1, q + 1)
                tag = f"[{n + 1}]" if names.batch else ""
                lhs = bnop.at_value(sym.leaf(name, k), cell, tag)
                sec.add(Equation([lhs, bnop.at_value(build(sym, k), cell, tag), build(nums, k),
                                  _num(values[n, c, r, q])]))
            for s in range(N):
                for cc in (range(C) if c is None else [c]):
                    sec.add(Equation([_map_symbol(name, l, cc, s, names, C),
                                      Mat(values[s, cc])]))
    if not forward and full:
        sec.add(Paragraph("In the sums over ∂J/∂yᵢ or ∂J/∂x̂ᵢ the values where that gradient "
                          "is 0 add nothing and are left out."))
    if not forward:
        note = zero_bias_note(problem, l)
        if note is not None:
            sec.add(note)
    if not forward and full:
        sec.add(Paragraph("The second term of ∂J/∂μ is always 0 (the deviations xᵢ − μ sum to "
                          "0); it is written as CS231n does, for the path it stands for."))
    return sec


def zero_bias_note(problem, l: int):
    """A Note when the layer below has a bias and no activation: the batch norm removes each
    unit's (channel's) mean, so ∂J/∂x sums to 0 over it and that bias's gradient is 0, shown as
    rounding noise where it is computed in floating point."""
    if l < 2:
        return None
    below = problem.layers[l - 2]
    from . import of
    if not of(below).has_activation or below.b is None or below.activation.name != "linear":
        return None
    what = "channel" if len(problem.shapes[l - 1]) == 3 else "unit"
    return Note(f"The batch norm subtracts each {what}'s mean, so ∂J/∂x sums to 0 over each "
                f"{what} (Σᵢ ∂J/∂xᵢ = 0), and the bias ", Sym("b", sup=l - 1), f" of layer "
                f"{l - 1}, added to every value of its {what}, has gradient 0: computed in "
                "floating point it comes out as rounding noise near 0 (such as 1e-16). A bias "
                "right before a batch norm does nothing (PyTorch models leave it out).")


def _num(x):
    return Num(float(x) if isinstance(x, np.floating) else x)


def _val(a):
    a = np.asarray(a)
    if a.size == 1:
        x = a.ravel()[0]
        return Num(float(x) if isinstance(x, np.floating) else x)
    return Mat(a)

