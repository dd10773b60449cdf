"""Batch normalisation in training mode: forward and backward side by side, and their formulas.

Over a batch (per unit of a dense layer: axis 0 of N × D; per channel after a conv: axes N, H, W
of N × C × H × W), as PyTorch's ``BatchNorm1d``/``BatchNorm2d`` in training mode:

    μ = (1/m) Σᵢ xᵢ,   σ² = (1/m) Σᵢ (xᵢ − μ)² (biased),   x̂ᵢ = (xᵢ − μ)/√(σ² + ε),   yᵢ = γx̂ᵢ + β

with m the number of values normalised together (N, or N·H·W). The backward pass goes through
the three paths by which xᵢ reaches J, as CS231n derives it: through x̂ᵢ directly, through σ²,
and through μ. μ and σ² stay exact when the input is; x̂ needs the square root (float64).

Each formula is written once (``FORMULAS``) over a *filler* that gives its leaves: symbols
(``SymbolFiller``) for the rule, or one unit's numbers (``NumberFiller``) for the rule with its
numbers; ``check``'s mistakes (the variance divided by m − 1, the mean's path dropped) are flags
of the same forward and backward.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction

import numpy as np

from ..arrays import as_float, exact
from ..expr import (Add, Deriv, Expr, Frac, Mul, Neg, Num, Paren, Pow, Seq, Sqrt, Sub, Sum, Sym,
                    Text)

__all__ = ["BatchNorm", "forward", "backward", "FORMULAS", "SymbolFiller", "NumberFiller",
           "axes_of", "MISTAKE_TEXT"]


def axes_of(ndim: int) -> tuple:
    """The axes normalised over: (0,) for N × D, (0, 2, 3) for N × C × H × W."""
    return (0,) if ndim == 2 else (0,) + tuple(range(2, ndim))


def _per(v, ndim):
    """A per-unit (per-channel) vector shaped to broadcast against the input."""
    return v.reshape((1, -1) + (1,) * (ndim - 2))


@dataclass
class BatchNorm:
    """The numbers of one batch-norm layer in one step (arrays shaped as the input, or per unit)."""

    x: object
    gamma: object
    beta: object
    epsilon: object
    m: int                 # values per unit: N, or N·H·W
    mean: object           # per unit
    var: object            # per unit (biased, unless the N − 1 mistake)
    std: object            # √(σ² + ε), per unit, float64
    x_hat: object
    y: object
    dy: object = None
    dx_hat: object = None
    dvar: object = None
    dmean: object = None
    dx: object = None
    dx_paths: tuple = None    # the three parts of ∂J/∂x: through x̂, σ², μ
    dgamma: object = None
    dbeta: object = None


def _sum(a, axes):
    """Σ over the batch axes, exact when the values are (object arrays sum as Fractions)."""
    return a.sum(axis=axes)


def forward(x, gamma, beta, epsilon, *, unbiased: bool = False) -> BatchNorm:
    """μ, σ², x̂ and y of a batch (``unbiased``: the mistake σ² = Σ(x − μ)²/(m − 1))."""
    axes = axes_of(x.ndim)
    m = int(np.prod([x.shape[a] for a in axes]))
    ex = exact(x)
    scale = (Fraction(1, m) if ex else 1.0 / m)
    mean = _sum(x, axes) * scale
    dev = x - _per(mean, x.ndim)
    var = _sum(dev * dev, axes) * ((Fraction(1, m - 1) if ex else 1.0 / (m - 1)) if unbiased
                                   else scale)
    eps = epsilon if ex else float(epsilon)
    std = np.sqrt(as_float(var + eps))
    x_hat = as_float(dev) / _per(std, x.ndim)
    g, b = as_float(gamma), as_float(beta)
    y = _per(g, x.ndim) * x_hat + _per(b, x.ndim)
    return BatchNorm(x=x, gamma=gamma, beta=beta, epsilon=epsilon, m=m, mean=mean, var=var,
                     std=std, x_hat=x_hat, y=y)


def backward(bn: BatchNorm, dy, *, mean_path: bool = True, unbiased: bool = False) -> BatchNorm:
    """∂J/∂γ, ∂J/∂β and ∂J/∂x through the three paths, given ∂J/∂y (the mistakes: the mean's
    path dropped, or the m − 1 of an unbiased variance carried into its path)."""
    nd = bn.x.ndim
    axes = axes_of(nd)
    m = bn.m
    dyf = as_float(dy)
    bn.dy = dy
    bn.dgamma = _sum(dyf * bn.x_hat, axes)
    bn.dbeta = _sum(dy, axes)
    dx_hat = dyf * _per(as_float(bn.gamma), nd)
    dev = as_float(bn.x - _per(bn.mean, nd))
    std = _per(bn.std, nd)
    var_eps = bn.std ** 2
    dvar = _sum(dx_hat * dev, axes) * -0.5 * var_eps ** -1.5
    # CS231n's second term vanishes (Σ(xᵢ − μ) = 0) but is part of the path, so it is computed
    dmean = _sum(dx_hat * (-1.0 / std), axes) + dvar * _sum(-2.0 * dev, axes) / m
    div = (m - 1) if unbiased else m
    through_xhat = dx_hat / std
    through_var = _per(dvar, nd) * 2.0 * dev / div
    through_mean = np.broadcast_to(_per(dmean, nd) / m, dev.shape).copy()
    if not mean_path:
        through_mean = np.zeros_like(through_mean)
    bn.dx_hat, bn.dvar, bn.dmean = dx_hat, dvar, dmean
    bn.dx_paths = (through_xhat, through_var, through_mean)
    bn.dx = through_xhat + through_var + through_mean
    return bn


MISTAKE_TEXT = {
    "variance_unbiased": ("variance over N − 1", "the batch variance divided by N − 1 (the "
                          "unbiased estimate); batch norm's forward divides by N"),
    "mean_path_dropped": ("mean's path dropped", "the path through μ dropped from ∂J/∂x "
                          "(the (1/N)·∂J/∂μ term)"),
}


# --- the formulas, written once -----------------------------------------------------------------

class SymbolFiller:
    """Leaves as symbols: xᵢ, x̂ᵢ, μ, σ², γ, β, ε, ∂J/∂yᵢ, …; sums as Σᵢ."""

    def __init__(self, x: str = "x", y: str = "y", m: Expr = Sym("N")):
        self.xname, self.yname, self.m_sym = x, y, m

    def leaf(self, name: str, i=None) -> Expr:
        ix = "i" if i is not None else None
        J = Sym("J")
        table = {
            "x": lambda: Sym(self.xname, sub=ix), "x_hat": lambda: Sym(self.xname, hat=True,
                                                                      sub=ix),
            "y": lambda: Sym(self.yname, sub=ix), "mean": lambda: Sym("mu"),
            "var": lambda: Pow(Sym("sigma"), Num(2)), "gamma": lambda: Sym("gamma"),
            "beta": lambda: Sym("beta"), "epsilon": lambda: Sym("epsilon"),
            "m": lambda: self.m_sym,
            "dy": lambda: Deriv(J, Sym(self.yname, sub=ix)),
            "dx_hat": lambda: Deriv(J, Sym(self.xname, hat=True, sub=ix)),
            "dvar": lambda: Deriv(J, Pow(Sym("sigma"), Num(2))),
            "dmean": lambda: Deriv(J, Sym("mu")),
            "dgamma": lambda: Deriv(J, Sym("gamma")), "dbeta": lambda: Deriv(J, Sym("beta")),
            "dx": lambda: Deriv(J, Sym(self.xname, sub=ix)),
        }
        return table[name]()

    def sum(self, body) -> Expr:
        return Sum(body(0), "i")


class NumberFiller:
    """One unit's numbers: ``cells`` maps a per-value name to its 1-D array over the unit's m
    values, ``scalars`` a per-unit name to its number; sums written out term by term."""

    def __init__(self, cells: dict, scalars: dict):
        self.cells, self.scalars = cells, scalars

    def leaf(self, name: str, i=None) -> Expr:
        if name in self.cells:
            x = self.cells[name][i]
        else:
            x = self.scalars[name]
        return Num(float(x) if isinstance(x, np.floating) else x)

    def sum(self, body) -> Expr:
        n = len(next(iter(self.cells.values())))
        terms = tuple(body(i) for i in range(n))
        return Add(terms) if n > 1 else terms[0]


def _root(f) -> Expr:
    return Sqrt(Add((f.leaf("var"), f.leaf("epsilon"))))


def _dev(f, j) -> Paren:
    return Paren(Sub(f.leaf("x", j), f.leaf("mean")))


def _mean(f, i=None):
    return Mul((Frac(Num(1), f.leaf("m")), f.sum(lambda j: f.leaf("x", j))), "dot")


def _var(f, i=None):
    return Mul((Frac(Num(1), f.leaf("m")), f.sum(lambda j: Pow(_dev(f, j), Num(2)))), "dot")


def _x_hat(f, i):
    return Frac(Sub(f.leaf("x", i), f.leaf("mean")), _root(f))


def _y(f, i):
    return Add((Mul((f.leaf("gamma"), f.leaf("x_hat", i)), "dot"), f.leaf("beta")))


def _dgamma(f, i=None):
    return f.sum(lambda j: Mul((f.leaf("dy", j), f.leaf("x_hat", j)), "dot"))


def _dbeta(f, i=None):
    return f.sum(lambda j: f.leaf("dy", j))


def _dx_hat(f, i):
    return Mul((f.leaf("dy", i), f.leaf("gamma")), "dot")


def _dvar(f, i=None):
    return Mul((Neg(Frac(Num(1), Num(2))),
                f.sum(lambda j: Mul((f.leaf("dx_hat", j), _dev(f, j)), "dot")),
                Pow(Paren(Add((f.leaf("var"), f.leaf("epsilon")))),
                    Neg(Frac(Num(3), Num(2))))), "dot")


def _dmean(f, i=None):
    return Add((
        Mul((f.sum(lambda j: f.leaf("dx_hat", j)), Neg(Frac(Num(1), _root(f)))), "dot"),
        Mul((f.leaf("dvar"), Neg(Frac(Num(2), f.leaf("m"))), f.sum(lambda j: _dev(f, j))),
            "dot")))


def _dx(f, i):
    return Add((
        Frac(f.leaf("dx_hat", i), _root(f)),
        Mul((f.leaf("dvar"), Frac(Mul((Num(2), _dev(f, i)), "dot"), f.leaf("m"))), "dot"),
        Frac(f.leaf("dmean"), f.leaf("m"))))


# name → (formula builder, whether it is per value i)
FORMULAS = {"mean": (_mean, False), "var": (_var, False), "x_hat": (_x_hat, True),
            "y": (_y, True), "dgamma": (_dgamma, False), "dbeta": (_dbeta, False),
            "dx_hat": (_dx_hat, True), "dvar": (_dvar, False), "dmean": (_dmean, False),
            "dx": (_dx, True)}


def unit_values(bn: BatchNorm, j: int) -> NumberFiller:
    """The numbers of unit (channel) j, its m values in the order N, H, W."""
    def cells(a):
        a = np.asarray(a)
        return np.moveaxis(a, 1, 0)[j].reshape(-1)
    cell = {"x": cells(bn.x), "x_hat": cells(bn.x_hat), "y": cells(bn.y)}
    if bn.dy is not None:
        cell.update(dy=cells(bn.dy), dx_hat=cells(bn.dx_hat), dx=cells(bn.dx))
    scalars = {"mean": bn.mean[j], "var": bn.var[j], "gamma": bn.gamma[j], "beta": bn.beta[j],
               "epsilon": bn.epsilon, "m": bn.m}
    if bn.dvar is not None:
        scalars.update(dvar=bn.dvar[j], dmean=bn.dmean[j], dgamma=bn.dgamma[j],
                       dbeta=bn.dbeta[j])
    return NumberFiller(cell, scalars)


def is_small_unit(bn: BatchNorm) -> bool:
    """Few enough values per unit for sums written out term by term."""
    return bn.m <= 8 and math.prod(np.shape(bn.mean)) <= 8


# --- the operation, for the engine's chain of nodes ------------------------------------------

from .engine import Op  # noqa: E402  (the engine's base class, below the maths it needs none of)


class BatchNormOp(Op):
    """Batch norm as an operation of a network: parameters γ and β (one per unit or channel).

    ``forward(x, p)`` returns (y, the BatchNorm record); ``backward(g, x, y, cache, p)`` returns
    (∂J/∂x, {"gamma": ∂J/∂γ, "beta": ∂J/∂β}). ``swapped(mistake)`` is the op with the rule a
    student gets wrong (``variance_unbiased``, ``mean_path_dropped``)."""

    kind = "batchnorm"
    params = ("gamma", "beta")
    mistakes = {"variance_unbiased": lambda op: BatchNormOp(op.epsilon, unbiased=True,
                                                            mean_path=op.mean_path),
                "mean_path_dropped": lambda op: BatchNormOp(op.epsilon, unbiased=op.unbiased,
                                                            mean_path=False)}

    def __init__(self, epsilon, *, unbiased: bool = False, mean_path: bool = True):
        self.epsilon, self.unbiased, self.mean_path = epsilon, unbiased, mean_path

    def forward(self, x, p):
        bn = forward(x, p["gamma"], p["beta"], self.epsilon, unbiased=self.unbiased)
        return bn.y, bn

    def backward(self, g, x, y, cache, p):
        backward(cache, g, mean_path=self.mean_path, unbiased=self.unbiased)
        return cache.dx, {"gamma": cache.dgamma, "beta": cache.dbeta}

    def swapped(self, mistake: str):
        return self.mistakes[mistake](self)

    def output_shape(self, shape: tuple) -> tuple:
        return shape


# --- the formulas with their numbers, for a solution ---------------------------------------

FORWARD = ("mean", "var", "x_hat", "y")
BACKWARD = ("dgamma", "dbeta", "dx_hat", "dvar", "dmean", "dx")


def equations(bn: BatchNorm, j: int, names, symbols: SymbolFiller) -> list:
    """Unit (channel) j's formulas with its numbers, for the ``names`` of FORWARD or BACKWARD:
    μ = 1/N · Σᵢ xᵢ = 1/3 · (1 + 2 + 3) = 2; a per-value formula once per value, with its
    index written (x̂₁ = (x₁ − μ)/√(σ² + ε) = …)."""
    from ..solution import Equation
    nums = unit_values(bn, j)
    out = []
    for name in names:
        build, per_value = FORMULAS[name]
        for i in (range(bn.m) if per_value else [None]):
            lhs, rule = symbols.leaf(name, i), build(symbols, i)
            if per_value:
                lhs, rule = at_value(lhs, i + 1), at_value(rule, i + 1)
            result = nums.cells[name][i] if per_value else nums.scalars[name]
            out.append(Equation([lhs, rule, build(nums, i), Num(
                float(result) if isinstance(result, np.floating) else result)]))
    return out


def at_value(e, sub, tag=None):
    """The formula with the value index i replaced by ``sub`` (a number, or a cell channel,
    row, column), each such symbol tagged with its sample ``tag`` ([s]) when given; sums Σᵢ
    keep their i."""
    if isinstance(e, Sym):
        if e.sub != "i":
            return e
        sym = Sym(e.name, sup=e.sup, sub=sub, hat=e.hat, bold=e.bold, power=e.power,
                  tilde=e.tilde)
        return Seq((sym, Text(tag)), sep="") if tag else sym
    if isinstance(e, Sum) or not isinstance(e, Expr):
        return e
    values = []
    for name in e._fields:
        x = getattr(e, name)
        if isinstance(x, Expr):
            x = at_value(x, sub, tag)
        elif isinstance(x, tuple):
            x = tuple(at_value(v, sub, tag) if isinstance(v, Expr) else v for v in x)
        values.append(x)
    return type(e)(*values)
