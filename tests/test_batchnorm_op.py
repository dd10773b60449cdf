"""Batch norm (nnsolve/ops/batchnorm.py) against nested loops, a closed form and central
finite differences, on dense (N × D) and conv (N × C × H × W) batches."""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from nnsolve.ops import batchnorm as bnop


def loops_forward(x, gamma, beta, eps):
    """μ, σ², x̂, y by plain loops over every unit (channel) and its values."""
    x = np.asarray(x, dtype=float)
    C = x.shape[1]
    mean, var = [0.0] * C, [0.0] * C
    xh, y = np.zeros(x.shape), np.zeros(x.shape)
    for c in range(C):
        vals = [x[idx] for idx in np.ndindex(x.shape) if idx[1] == c]
        mean[c] = sum(vals) / len(vals)
        var[c] = sum((v - mean[c]) ** 2 for v in vals) / len(vals)
        for idx in np.ndindex(x.shape):
            if idx[1] == c:
                xh[idx] = (x[idx] - mean[c]) / math.sqrt(var[c] + eps)
                y[idx] = gamma[c] * xh[idx] + beta[c]
    return mean, var, xh, y


def J(x, gamma, beta, eps, w):
    """A loss through the layer: Σ w ⊙ y (any weights w make a generic upstream gradient)."""
    return float((w * loops_forward(x, gamma, beta, eps)[3]).sum())


def central(f, a, h=1e-6):
    g = np.zeros(a.shape)
    for idx in np.ndindex(a.shape):
        old = a[idx]
        a[idx] = old + h
        up = f()
        a[idx] = old - h
        down = f()
        a[idx] = old
        g[idx] = (up - down) / (2 * h)
    return g


shapes = st.sampled_from([(2, 1), (3, 2), (4, 3), (2, 2, 2, 2), (3, 1, 2, 3), (2, 3, 1, 1)])


@settings(max_examples=60, deadline=None)
@given(shapes, st.data())
def test_forward_and_backward_against_loops_and_finite_differences(shape, data):
    rng = np.random.default_rng(data.draw(st.integers(0, 10 ** 6)))
    x = rng.normal(size=shape) * data.draw(st.sampled_from([0.5, 1, 3]))
    C = shape[1]
    gamma, beta = rng.normal(size=C), rng.normal(size=C)
    eps = data.draw(st.sampled_from([1e-5, 1e-3, 0.1]))
    w = rng.normal(size=shape)
    bn = bnop.forward(x, gamma, beta, eps)
    mean, var, xh, y = loops_forward(x, gamma, beta, eps)
    assert np.allclose(bn.mean, mean) and np.allclose(bn.var, var)
    assert np.allclose(bn.x_hat, xh) and np.allclose(bn.y, y)
    bnop.backward(bn, w)
    xs, gs, bs = x.copy(), gamma.copy(), beta.copy()
    for arr, ours in ((xs, bn.dx), (gs, bn.dgamma), (bs, bn.dbeta)):
        num = central(lambda: J(xs, gs, bs, eps, w), arr)
        assert np.allclose(ours, num, atol=1e-5, rtol=1e-5), (ours, num)
    # the closed form of CS231n: ∂J/∂x = γ/(m·√(σ²+ε)) · (m·dy − Σdy − x̂·Σ(dy·x̂))
    axes = bnop.axes_of(x.ndim)
    per = (1, -1) + (1,) * (x.ndim - 2)
    m = bn.m
    closed = (gamma / (m * bn.std)).reshape(per) * (
        m * w - w.sum(axis=axes).reshape(per) - bn.x_hat * (w * bn.x_hat).sum(axis=axes)
        .reshape(per))
    assert np.allclose(bn.dx, closed)
    assert np.allclose(sum(bn.dx_paths), bn.dx)


def test_hand_derived_unit():
    """x = 1, 2, 3 (one unit), γ = 2, β = 1, ε = 0: μ = 2, σ² = 2/3 exactly, x̂ = ∓√1.5, 0."""
    x = np.array([[F(1)], [F(2)], [F(3)]], dtype=object)
    bn = bnop.forward(x, np.array([F(2)], dtype=object), np.array([F(1)], dtype=object), F(0))
    assert bn.mean[0] == 2 and bn.var[0] == F(2, 3) and isinstance(bn.var[0], F)
    assert np.allclose(bn.x_hat[:, 0], [-math.sqrt(1.5), 0, math.sqrt(1.5)])
    assert np.allclose(bn.y[:, 0], [1 - 2 * math.sqrt(1.5), 1, 1 + 2 * math.sqrt(1.5)])
    # dy = (1, 0, 0): ∂J/∂β = 1 exactly; ∂J/∂x sums to 0 (a shift of x changes nothing)
    bnop.backward(bn, np.array([[F(1)], [F(0)], [F(0)]], dtype=object))
    assert bn.dbeta[0] == 1 and isinstance(bn.dbeta[0], F)
    assert abs(bn.dx.sum()) < 1e-12 and bn.dgamma[0] == pytest.approx(-math.sqrt(1.5))


def test_mistakes_change_the_numbers():
    rng = np.random.default_rng(1)
    x, dy = rng.normal(size=(3, 2)), rng.normal(size=(3, 2))
    g, b = np.ones(2), np.zeros(2)
    right = bnop.backward(bnop.forward(x, g, b, 1e-5), dy)
    unb = bnop.forward(x, g, b, 1e-5, unbiased=True)
    assert np.allclose(unb.var, x.var(axis=0, ddof=1))
    assert not np.allclose(unb.y, right.y)
    nomean = bnop.backward(bnop.forward(x, g, b, 1e-5), dy, mean_path=False)
    assert not np.allclose(nomean.dx, right.dx)
    # what is dropped is exactly the (1/N)·∂J/∂μ term
    assert np.allclose(right.dx - nomean.dx, np.broadcast_to(right.dmean / 3, (3, 2)))


def test_formulas_written_with_symbols_and_numbers():
    from nnsolve.render import render
    from nnsolve.solution import Equation, Section, Solution
    x = np.array([[F(1)], [F(2)], [F(3)]], dtype=object)
    bn = bnop.forward(x, np.array([F(1)], dtype=object), np.array([F(0)], dtype=object), F(0))
    bnop.backward(bn, np.array([[F(1)], [F(0)], [F(0)]], dtype=object))
    sym, nums = bnop.SymbolFiller(), bnop.unit_values(bn, 0)
    eqs = []
    for name, (build, per_value) in bnop.FORMULAS.items():
        i = 0 if per_value else None
        eqs.append(Equation([sym.leaf(name, i), build(sym, i), build(nums, i)]))
    text = render(Solution("x", None, [Section("s", eqs)], {}), "text")
    print(text)
    assert "μ = 1/N · Σᵢ xᵢ = 1/3 · (1 + 2 + 3)" in text
    assert "σ² = 1/N · Σᵢ (xᵢ − μ)² = 1/3 · ((1 − 2)² + (2 − 2)² + (3 − 2)²)" in text
    assert "∂J/∂β = Σᵢ ∂J/∂yᵢ = 1 + 0 + 0" in text
