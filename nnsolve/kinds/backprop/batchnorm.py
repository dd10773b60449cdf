"""A batch-norm layer in a backprop problem: reading it, and writing its forward and backward
pass per unit (ops/batchnorm.py holds the maths and the formulas).

    layers:
      - weights: [[1, 0], [0, 1]]
      - batchnorm: {gamma: [1, 1], beta: [0, 0], epsilon: 1e-5}   # PyTorch's defaults
        activation: relu                                          # optional, after y
"""

from __future__ import annotations

from fractions import Fraction

import numpy as np

from ...expr import Mat, Num, Seq, Sym, Text
from ...ops import batchnorm as bnop
from ...solution import Equation, Paragraph, Section

EPSILON = Fraction(1, 10 ** 5)      # PyTorch's default


def parse_layer(ld, i: int, layers: list):
    """A `batchnorm:` layer: γ and β (one per unit; default 1 and 0, as PyTorch starts them)."""
    from ..common import Activation
    from .spec import Layer
    ld.keys(["batchnorm"])
    bd = ld.get("batchnorm")
    if bd is not None and not bd.is_map:
        raise bd.error("expected the batch norm's fields: {gamma: [...], beta: [...], "
                       "epsilon: 1e-5} (each optional)")
    units = layers[-1].W.shape[0] if layers else None
    gamma = beta = None
    eps = EPSILON
    if bd is not None:
        bd.keys(["gamma", "beta", "epsilon"])
        for key in ("gamma", "beta"):
            if bd.get(key) is None:
                continue
            v = bd[key].array(ndims=(0, 1), what=f"a {key} vector (one per unit)").reshape(-1)
            if units is None:
                units = v.shape[0]
            if v.shape[0] != units:
                where = f"layer {i} has" if i else "the other vector has"
                raise bd[key].error(f"expected {units} value{'s' * (units != 1)} (one per unit; "
                                    f"{where} {units}), got {v.shape[0]}")
            if key == "gamma":
                gamma = v
            else:
                beta = v
        if bd.get("epsilon") is not None:
            eps = bd["epsilon"].number(positive=True, what="an epsilon")
    if units is None:
        raise (bd or ld).error("a batch norm as the first layer needs `gamma` or `beta`: one "
                               "value per input")
    if gamma is None:
        gamma = np.array([Fraction(1)] * units, dtype=object)
    if beta is None:
        beta = np.array([Fraction(0)] * units, dtype=object)
    return Layer(gamma, beta, Activation("linear"), type="batchnorm", epsilon=eps)


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
    ls = step.layers[l - 1]
    bn = ls.nodes[0].cache
    sec = Section(f"Layer {l}: batch norm")
    sec.add(Paragraph("Batch normalisation in training mode (as PyTorch's BatchNorm1d): each "
                      "unit is normalised over the batch with its mean μ and its biased "
                      "variance σ² (divided by N, not N − 1), then scaled by γ and shifted by β, "
                      "with ", Seq((Sym("epsilon"), Text(" = "), Num(bn.epsilon)), sep=""), "."))
    sec.add(Paragraph(*_which(l)))
    if full:
        for j in range(np.shape(bn.mean)[0]):
            sec.add(Paragraph(f"Unit {j + 1}:"))
            sec.add(*bnop.equations(bn, j, bnop.FORWARD, _symbols(l)))
    else:
        sym = _symbols(l)
        for name in bnop.FORWARD:
            build, per_value = bnop.FORMULAS[name]
            value = {"mean": bn.mean, "var": bn.var, "x_hat": bn.x_hat, "y": bn.y}[name]
            sec.add(Equation([sym.leaf(name, 0 if per_value else None),
                              build(sym, 0 if per_value else None), _val(value)]))
    return sec


def backward_section(problem, step, l: int, full: bool) -> Section:
    """∂J/∂γ, ∂J/∂β, and ∂J/∂x through its three paths (x̂, σ², μ), as CS231n derives them."""
    ls = step.layers[l - 1]
    bn = ls.nodes[0].cache
    sec = Section(f"Layer {l}: batch norm")
    sec.add(Paragraph("∂J/∂y comes from the layer above. Each xᵢ reaches J three ways: "
                      "directly through x̂ᵢ, through the variance σ² and through the mean μ "
                      "(which also feeds σ²); ∂J/∂xᵢ adds the three paths."))
    sec.add(Paragraph(*_which(l)))
    if full:
        for j in range(np.shape(bn.mean)[0]):
            sec.add(Paragraph(f"Unit {j + 1}:"))
            sec.add(*bnop.equations(bn, j, bnop.BACKWARD, _symbols(l)))
        sec.add(Paragraph("The second term of ∂J/∂μ is always 0 (the deviations xᵢ − μ sum to "
                          "0); it is written as CS231n does, for the path it stands for."))
    else:
        sym = _symbols(l)
        for name in bnop.BACKWARD:
            build, per_value = bnop.FORMULAS[name]
            value = {"dgamma": bn.dgamma, "dbeta": bn.dbeta, "dx_hat": bn.dx_hat,
                     "dvar": bn.dvar, "dmean": bn.dmean, "dx": bn.dx}[name]
            sec.add(Equation([sym.leaf(name, 0 if per_value else None),
                              build(sym, 0 if per_value else None), _val(value)]))
    return sec


def layer_data(ls, per_sample) -> dict:
    """The JSON of a batch-norm layer (SPEC: gamma, beta, mean, var, x_hat, h, dJ_dh, ...)."""
    bn = ls.nodes[0].cache
    return {"type": "batchnorm", "gamma": ls.W, "beta": ls.b, "mean": bn.mean, "var": bn.var,
            "x_hat": bn.x_hat, "h": ls.h, "dJ_dh": ls.dJ_dh, "dJ_dgamma": ls.dJ_dW,
            "dJ_dbeta": ls.dJ_db, "gamma_new": ls.W_new, "beta_new": ls.b_new}


def parameter_symbol(l: int, name: str, j=None):
    """γ⁽ˡ⁾ⱼ or β⁽ˡ⁾ⱼ (the whole vector without j)."""
    return Sym("gamma" if name in ("W", "gamma") else "beta", sup=l,
               sub=None if j is None else j + 1)


def _val(a):
    a = np.asarray(a)
    if a.size == 1:
        x = a.ravel()[0]
        return Num(float(x) if isinstance(x, np.floating) else x)
    return Mat(a)

