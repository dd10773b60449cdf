"""The hinge loss (nnsolve/ops/hinge.py): CS231n's published example, a loop reference, the
subgradient against finite differences away from the kinks."""

from __future__ import annotations

from fractions import Fraction as F

import numpy as np
from hypothesis import given, settings, strategies as st

from nnsolve.ops.hinge import hinge


def onehot(k, n):
    y = np.array([F(0)] * n, dtype=object)
    y[k] = F(1)
    return y


def exact(xs):
    return np.array([F(str(x)) for x in xs], dtype=object)


def test_cs231n_example():
    """CS231n, linear classification notes: scores 3.2, 5.1, −1.7 for the cat (class 0), Δ = 1:
    max(0, 5.1 − 3.2 + 1) + max(0, −1.7 − 3.2 + 1) = 2.9 + 0 = 2.9."""
    h = hinge(F(1))
    s, y = exact([3.2, 5.1, -1.7]), onehot(0, 3)
    assert h.value(y, s) == F(29, 10)
    assert list(h.gradient(y, s)) == [-1, 1, 0]
    # the other two columns of the same example: car (class 1) 0, frog (class 2) 12.9
    assert hinge(F(1)).value(onehot(1, 3), exact([1.3, 4.9, 2.0])) == 0
    assert hinge(F(1)).value(onehot(2, 3), exact([2.2, 2.5, -3.1])) == F(129, 10)


def loop_value(s, k, delta):
    return sum(max(0.0, s[j] - s[k] + delta) for j in range(len(s)) if j != k)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.integers(-20, 20), min_size=2, max_size=6), st.data())
def test_value_and_subgradient(scores, data):
    n = len(scores)
    k = data.draw(st.integers(0, n - 1))
    delta = data.draw(st.sampled_from([F(1), F(1, 2), F(0), F(3)]))
    s = np.array([F(x, 4) for x in scores], dtype=object)
    h = hinge(delta)
    y = onehot(k, n)
    sf = [float(x) for x in s]
    assert h.value(y, s) == F(loop_value(sf, k, float(delta))).limit_denominator(1000)
    g = h.gradient(y, s)
    assert g.sum() == 0
    if not h.at_kink(y, s):       # differentiable: the gradient is the central difference
        for j in range(n):
            e = 1e-6
            up, down = list(sf), list(sf)
            up[j] += e
            down[j] -= e
            num = (loop_value(up, k, float(delta)) - loop_value(down, k, float(delta))) / (2 * e)
            assert abs(num - float(g[j])) < 1e-6
    else:                         # at a kink: 0 for that class (the subgradient taken)
        m = h.margins(y, s)
        for j in range(n):
            if j != k and m[j] == 0:
                assert g[j] == 0


def test_margin_zero_is_a_kink():
    h = hinge(F(1))
    s, y = exact([2, 1, 0]), onehot(0, 3)     # class 1: 1 − 2 + 1 = 0
    assert h.at_kink(y, s) and h.value(y, s) == 0 and list(h.gradient(y, s)) == [0, 0, 0]


def test_written_out():
    from nnsolve.expr import Sym
    from nnsolve.render import render
    from nnsolve.solution import Equation, Section, Solution
    h = hinge(F(1))
    s, y = exact([3.2, 5.1, -1.7]), onehot(0, 3)
    eq = Equation([Sym("L"), h.hinge_formula(), h.terms(y, s), h.values(y, s), h.value(y, s)])
    text = render(Solution("x", None, [Section("s", [eq])], {}), "text")
    assert ("L = Σ_(j≠y) max(0, sⱼ − s_y + Δ) = max(0, 5.1 − 3.2 + 1) + "
            "max(0, -1.7 − 3.2 + 1) = 2.9 + 0 = 2.9") in text, text
