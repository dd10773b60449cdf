"""nnsolve/ops/pool.py against independent references: plain nested loops written from PyTorch's
definitions (max_pool2d, avg_pool2d with count_include_pad=False, ceil_mode), central
differences for avg's backward and a hand-derived routing for max's."""

from __future__ import annotations

import math
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from nnsolve.ops.pool import Pool


# --- the references: plain Python, one cell at a time ------------------------------------------

def ref_out(n, before, after, k, s, ceil_mode):
    """PyTorch's pooling_output_shape (dilation 1): the rounding by adding s − 1 before the
    floor, then a last window that starts past the input and its leading padding dropped."""
    top = n + before + after - k + ((s - 1) if ceil_mode else 0)
    o = top // s + 1
    if ceil_mode and (o - 1) * s >= n + before:
        o -= 1
    return o


def ref_pool(X, kind, k, s, pads, ceil_mode):
    """Nested loops over channels, output cells and window cells; lists of lists."""
    (kh, kw), (sh, sw), ((pt, pb), (pl, pr)) = k, s, pads
    C, H, W = len(X), len(X[0]), len(X[0][0])
    Ho = ref_out(H, pt, pb, kh, sh, ceil_mode)
    Wo = ref_out(W, pl, pr, kw, sw, ceil_mode)
    out = []
    for c in range(C):
        rows = []
        for i in range(Ho):
            row = []
            for j in range(Wo):
                vals = []
                for m in range(kh):
                    for n in range(kw):
                        r, q = i * sh - pt + m, j * sw - pl + n
                        if 0 <= r < H and 0 <= q < W:
                            vals.append(X[c][r][q])
                assert vals, "a window with no input cell"
                row.append(max(vals) if kind == "max" else sum(vals) / len(vals))
            rows.append(row)
        out.append(rows)
    return out


def ref_max_routing(X, dY, k, s, pads):
    """∂J/∂X of max pooling: each window's ∂J/∂y to the first cell (row-major) holding its max."""
    (kh, kw), (sh, sw), ((pt, _), (pl, _)) = k, s, pads
    C, H, W = len(X), len(X[0]), len(X[0][0])
    dX = [[[0 * dY[0][0][0] for _ in range(W)] for _ in range(H)] for _ in range(C)]
    for c in range(C):
        for i in range(len(dY[0])):
            for j in range(len(dY[0][0])):
                best = None
                for m in range(kh):
                    for n in range(kw):
                        r, q = i * sh - pt + m, j * sw - pl + n
                        if 0 <= r < H and 0 <= q < W and (best is None or X[c][r][q] >
                                                          X[c][best[0]][best[1]]):
                            best = (r, q)
                dX[c][best[0]][best[1]] += dY[c][i][j]
    return dX


def exact(a):
    """Exact Fractions (object array) from nested lists or an integer array."""
    return np.vectorize(Fraction, otypes=[object])(np.asarray(a))


# --- published exercises and hand-derived cases -------------------------------------------------

def test_d2l_3x3_arange_2x2_stride_1():
    """d2l 7.5.1: X = arange(9) as 3×3, pool2d(X, (2, 2)) → [[4, 5], [7, 8]] (max) and
    [[2, 3], [5, 6]] (avg)."""
    X = exact(np.arange(9).reshape(3, 3))
    assert Pool("max", (2, 2), (1, 1)).forward(X).tolist() == [[4, 5], [7, 8]]
    assert Pool("avg", (2, 2), (1, 1)).forward(X).tolist() == [[2, 3], [5, 6]]


def test_d2l_4x4_padding_and_stride():
    """d2l 7.5.2: X = arange(16) as 1×1×4×4; MaxPool2d(3) → [[10]] (stride defaults to the size);
    MaxPool2d(3, padding=1, stride=2) → [[5, 7], [13, 15]]; MaxPool2d((2, 3), stride=(2, 3),
    padding=(0, 1)) → [[5, 7], [13, 15]]."""
    X = exact(np.arange(16).reshape(1, 1, 4, 4))
    assert Pool("max", (3, 3), (3, 3)).forward(X).tolist() == [[[[10]]]]
    assert Pool("max", (3, 3), (2, 2), ((1, 1), (1, 1))).forward(X).tolist() == \
        [[[[5, 7], [13, 15]]]]
    assert Pool("max", (2, 3), (2, 3), ((0, 0), (1, 1))).forward(X).tolist() == \
        [[[[5, 7], [13, 15]]]]


def test_d2l_two_channels():
    """d2l 7.5.3: channels X and X + 1 pooled separately: [[5, 7], [13, 15]] and one more."""
    X = np.arange(16).reshape(1, 1, 4, 4)
    X = exact(np.concatenate([X, X + 1], axis=1))
    out = Pool("max", (3, 3), (2, 2), ((1, 1), (1, 1))).forward(X)
    assert out.tolist() == [[[[5, 7], [13, 15]], [[6, 8], [14, 16]]]]


def test_dumoulin_visin_3x3_pool_5x5_stride_1():
    """Dumoulin & Visin, "A guide to convolution arithmetic" (2016), fig. 1.5 (average) and 1.6
    (max): 3×3 pooling with stride 1 over their 5×5 input (the input of their fig. 1.1, whose
    convolution with 0 1 2 / 2 2 0 / 0 1 2 is 12 12 17 / 10 17 19 / 9 6 14, checked here too).
    The figures print the means to one decimal."""
    X = exact([[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2],
               [2, 0, 0, 0, 1]])
    K = [[0, 1, 2], [2, 2, 0], [0, 1, 2]]
    assert [[sum(X[i + m, j + n] * K[m][n] for m in range(3) for n in range(3))
             for j in range(3)] for i in range(3)] == [[12, 12, 17], [10, 17, 19], [9, 6, 14]]
    assert Pool("max", (3, 3), (1, 1)).forward(X).tolist() == \
        [[3, 3, 3], [3, 3, 3], [3, 2, 3]]
    avg = Pool("avg", (3, 3), (1, 1)).forward(X)
    assert [[round(float(v), 1) for v in row] for row in avg] == \
        [[1.7, 1.7, 1.7], [1.0, 1.2, 1.8], [1.1, 0.8, 1.3]]
    # exactly: the top-left window 3 3 2 / 0 0 1 / 3 1 2 sums to 15, its mean is 15/9 = 5/3
    assert avg.tolist() == [[Fraction(15, 9), Fraction(15, 9), Fraction(15, 9)],
                            [Fraction(9, 9), Fraction(11, 9), Fraction(16, 9)],
                            [Fraction(10, 9), Fraction(7, 9), Fraction(12, 9)]]


def test_avg_padding_is_not_averaged():
    """A 2×2 input, 2×2 avg pool with padding 1 and stride 2: each window holds one input cell
    (three cells of padding), so the output is the input itself, not a quarter of it."""
    X = exact([[4, 8], [12, 16]])
    p = Pool("avg", (2, 2), (2, 2), ((1, 1), (1, 1)))
    assert p.forward(X).tolist() == [[4, 8], [12, 16]]
    assert p.counts(2, 2).tolist() == [[1, 1], [1, 1]]


def test_max_padding_is_minus_infinity():
    """All-negative input padded: a zero of padding would win; −∞ never does."""
    X = exact([[-5, -6], [-7, -8]])
    p = Pool("max", (2, 2), (1, 1), ((1, 1), (1, 1)))
    assert p.forward(X).tolist() == [[-5, -5, -6], [-5, -5, -6], [-7, -7, -8]]


def test_ceil_mode_hand_derived():
    """5×5, 2×2, stride 2: floor gives 2×2; ceil 3×3, the last windows holding one row/column.
    With padding 1 and ceil mode on 3×3: ⌈(3+2−2)/2⌉+1 = 3, but window 3 would start at row 4,
    in the trailing padding (4 ≥ 3 + 1): dropped, so 2×2 (PyTorch's rule)."""
    X = exact(np.arange(25).reshape(5, 5))
    assert Pool("max", (2, 2), (2, 2)).forward(X).tolist() == [[6, 8], [16, 18]]
    assert Pool("max", (2, 2), (2, 2), ceil_mode=True).forward(X).tolist() == \
        [[6, 8, 9], [16, 18, 19], [21, 23, 24]]
    avg = Pool("avg", (2, 2), (2, 2), ceil_mode=True).forward(X)
    assert avg[0, 2] == Fraction(4 + 9, 2) and avg[2, 2] == 24
    p = Pool("avg", (2, 2), (2, 2), ((1, 1), (1, 1)), ceil_mode=True)
    assert p.out_size(3, 3) == (2, 2)
    X3 = exact(np.arange(9).reshape(3, 3))
    assert p.forward(X3).tolist() == [[0, Fraction(3, 2)], [Fraction(9, 2), 6]]


def test_windows_enumerated():
    p = Pool("max", (2, 2), (2, 2), ((1, 1), (1, 1)), ceil_mode=True)
    ws = list(p.windows(3, 3))
    assert [(w.row, w.col) for w in ws] == [(0, 0), (0, 1), (1, 0), (1, 1)]
    assert ws[0].cells == [(0, 0)] and ws[0].outside == 3
    assert ws[1].cells == [(0, 1), (0, 2)] and ws[1].count == 2
    assert ws[3].cells == [(1, 1), (1, 2), (2, 1), (2, 2)] and ws[3].outside == 0


def test_misfit_messages():
    assert "larger than the input (2×2)" in Pool("max", (3, 3), (1, 1)).misfit(2, 2)
    assert "more than half the pool size 2" in \
        Pool("max", (2, 2), (1, 1), ((2, 2), (0, 0))).misfit(4, 4)
    assert Pool("max", (2, 2), (1, 1), ((1, 1), (1, 1))).misfit(4, 4) is None
    with pytest.raises(ValueError):
        Pool("max", (3, 3), (1, 1)).forward(np.zeros((2, 2)))


# --- backward ----------------------------------------------------------------------------------

def test_max_backward_hand_derived():
    """4×4, 2×2 max pool, stride 2: each window's gradient goes to its maximum's cell; the
    window [[1, 1], [1, 0]] has a three-way tie and routes to its first cell (row-major)."""
    X = exact([[1, 3, 2, 2],
               [0, 2, 9, 1],
               [1, 1, 5, 6],
               [1, 0, 7, 4]])
    dY = exact([[10, 20], [30, 40]])
    p = Pool("max", (2, 2), (2, 2))
    assert p.forward(X).tolist() == [[3, 9], [1, 7]]
    assert p.argmax(X).tolist() == [[1, 2], [0, 2]]
    assert p.backward(X, dY).tolist() == [[0, 10, 0, 0],
                                          [0, 0, 20, 0],
                                          [30, 0, 0, 0],
                                          [0, 0, 40, 0]]


def test_max_backward_overlapping_windows_add_up():
    """3×3, 2×2, stride 1: the centre 9 is the maximum of all four windows and gets their sum."""
    X = exact([[1, 2, 3], [4, 9, 5], [6, 7, 8]])
    dY = exact([[1, 2], [3, 4]])
    dX = Pool("max", (2, 2), (1, 1)).backward(X, dY)
    assert dX.tolist() == [[0, 0, 0], [0, 10, 0], [0, 0, 0]]


def test_avg_backward_hand_derived_with_padding():
    """2×2 input, 2×2 avg pool, stride 1, padding 1 (3×3 output): the corner window holds one
    input cell, the edge windows two, the centre four."""
    X = exact([[1, 2], [3, 4]])
    p = Pool("avg", (2, 2), (1, 1), ((1, 1), (1, 1)))
    dY = exact([[1, 1, 1], [1, 1, 1], [1, 1, 1]])
    # cell (0,0) is in windows (0,0) [1 cell], (0,1) [2], (1,0) [2], (1,1) [4]
    expect = 1 + Fraction(1, 2) + Fraction(1, 2) + Fraction(1, 4)
    assert p.backward(X, dY).tolist() == [[expect, expect], [expect, expect]]


def _central_difference(p, X, G, h):
    """∂/∂X of J = Σ G·pool(X), one cell at a time."""
    out = np.zeros(X.shape, dtype=object if X.dtype == object else float)
    for idx in np.ndindex(*X.shape):
        up, down = X.copy(), X.copy()
        up[idx] += h
        down[idx] -= h
        out[idx] = ((G * p.forward(up)).sum() - (G * p.forward(down)).sum()) / (2 * h)
    return out


sizes = st.integers(1, 4)


@st.composite
def pools(draw, kind=None):
    """A valid pooling of a C×H×W input: random size, stride, padding (≤ half the size) and
    ceil mode, with the input at least as large as the window once padded."""
    kind = kind or draw(st.sampled_from(["max", "avg"]))
    kh, kw = draw(sizes), draw(sizes)
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    pads = tuple((draw(st.integers(0, k // 2)), draw(st.integers(0, k // 2))) for k in (kh, kw))
    ceil_mode = draw(st.booleans())
    H = draw(st.integers(max(1, kh - sum(pads[0])), 7))
    W = draw(st.integers(max(1, kw - sum(pads[1])), 7))
    C = draw(st.integers(1, 2))
    return Pool(kind, (kh, kw), (sh, sw), pads, ceil_mode), (C, H, W)


def _values(draw, shape, lo=-9, hi=9):
    n = int(np.prod(shape))
    return np.array([Fraction(v) for v in draw(st.lists(st.integers(lo, hi), min_size=n,
                                                        max_size=n))],
                    dtype=object).reshape(shape)


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_forward_against_nested_loop(data):
    p, shape = data.draw(pools())
    X = _values(data.draw, shape)
    want = ref_pool(X.tolist(), p.type, p.size, p.stride, p.padding, p.ceil_mode)
    got = p.forward(X)
    assert got.tolist() == want
    assert got.shape[1:] == p.out_size(*shape[1:])
    # float64 gives the same numbers
    assert np.allclose(p.forward(X.astype(float)), np.array(want, dtype=float))


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_avg_backward_against_central_differences(data):
    """avg pooling is linear: exact central differences equal the gradient exactly."""
    p, shape = data.draw(pools("avg"))
    X = _values(data.draw, shape)
    Ho, Wo = p.out_size(*shape[1:])
    G = _values(data.draw, (shape[0], Ho, Wo))
    assert p.backward(X, G).tolist() == _central_difference(p, X, G, Fraction(1, 2)).tolist()


@settings(max_examples=100, deadline=None)
@given(st.data())
def test_max_backward_against_nested_loop_routing(data):
    """With ties likely (values 0..3): the routing of a plain loop, first maximum wins."""
    p, shape = data.draw(pools("max"))
    X = _values(data.draw, shape, 0, 3)
    Ho, Wo = p.out_size(*shape[1:])
    G = _values(data.draw, (shape[0], Ho, Wo))
    want = ref_max_routing(X.tolist(), G.tolist(), p.size, p.stride, p.padding)
    assert p.backward(X, G).tolist() == want


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_max_backward_against_central_differences_without_ties(data):
    """Distinct values: a small step moves no maximum, so central differences are exact too."""
    p, shape = data.draw(pools("max"))
    n = int(np.prod(shape))
    perm = data.draw(st.permutations(list(range(n))))
    X = np.array([Fraction(v) for v in perm], dtype=object).reshape(shape)
    Ho, Wo = p.out_size(*shape[1:])
    G = _values(data.draw, (shape[0], Ho, Wo))
    assert p.backward(X, G).tolist() == \
        _central_difference(p, X, G, Fraction(1, 4)).tolist()


@settings(max_examples=60, deadline=None)
@given(st.data())
def test_batch_axis_is_each_sample(data):
    p, shape = data.draw(pools())
    N = data.draw(st.integers(1, 3))
    X = _values(data.draw, (N,) + shape)
    Ho, Wo = p.out_size(*shape[1:])
    G = _values(data.draw, (N, shape[0], Ho, Wo))
    Y, dX = p.forward(X), p.backward(X, G)
    for s in range(N):
        assert Y[s].tolist() == p.forward(X[s]).tolist()
        assert dX[s].tolist() == p.backward(X[s], G[s]).tolist()


@settings(max_examples=200, deadline=None)
@given(st.data())
def test_output_shape_agrees_with_shape_solver(data):
    """The op's output size, the reference formula and `nnsolve shape`'s pool layer agree."""
    from nnsolve.load import parse_problem
    from nnsolve.load.yamldoc import doc_from_text
    from nnsolve.solve import solve
    p, (C, H, W) = data.draw(pools())
    (kh, kw), (sh, sw), ((pt, pb), (pl, pr)) = p.size, p.stride, p.padding
    want = (ref_out(H, pt, pb, kh, sh, p.ceil_mode), ref_out(W, pl, pr, kw, sw, p.ceil_mode))
    assert p.out_size(H, W) == want
    text = (f"kind: shape\ninput: [{C}, {H}, {W}]\nlayers:\n  - pool: {{type: {p.type}, "
            f"size: [{kh}, {kw}], stride: [{sh}, {sw}], padding: [[{pt}, {pb}], [{pl}, {pr}]], "
            f"ceil_mode: {str(p.ceil_mode).lower()}}}\n")
    sol = solve(parse_problem(doc_from_text(text, "<test>"), "shape"))
    assert sol.data["output_shape"] == [C, *want]


def test_large_float_input_is_vectorised():
    """2×3×224×224 float images, 3×3 windows, stride 2, padding 1, ceil mode: the float result
    equals a slow reference on a corner, and the backward pass keeps the total gradient (avg)."""
    rng = np.random.default_rng(0)
    X = rng.standard_normal((2, 3, 224, 224))
    for kind in ("max", "avg"):
        p = Pool(kind, (3, 3), (2, 2), ((1, 1), (1, 1)), ceil_mode=True)
        Y = p.forward(X)
        # ⌈(224 + 2 − 3)/2⌉ + 1 = 113: the last window starts at row 224, in the input's
        # padding but not past it (224 < 224 + 1), so ceil mode keeps it
        assert Y.shape == (2, 3, 113, 113) and Y.dtype == np.float64
        corner = ref_pool(X[0, :1, :9, :9].tolist(), kind, p.size, p.stride,
                          ((1, 0), (1, 0)), False)
        assert np.allclose(Y[0, :1, :4, :4], np.array(corner)[:, :4, :4])
        G = rng.standard_normal(Y.shape)
        dX = p.backward(X, G)
        assert dX.shape == X.shape
        if kind == "avg":
            # each window gives away exactly its gradient: totals agree per sample and channel
            assert np.allclose(dX.sum(axis=(-2, -1)), G.sum(axis=(-2, -1)))
        else:
            assert math.isclose(dX.sum(), G.sum())


def test_mistaken_rules_for_check():
    """The swapped rules `check` re-solves with: avg dividing by the whole padded window
    (PyTorch's count_include_pad=True) and max padding with 0."""
    X = exact([[4, 8], [12, 16]])
    p = Pool("avg", (2, 2), (2, 2), ((1, 1), (1, 1)), mistake="padding_counted")
    assert p.forward(X).tolist() == [[1, 2], [3, 4]]
    X = exact([[-5, -6], [-7, -8]])
    p = Pool("max", (2, 2), (1, 1), ((1, 1), (1, 1)), mistake="zero_padding")
    assert p.forward(X).tolist() == [[0, 0, 0], [0, -5, 0], [0, 0, 0]]
    # ceil mode: the cells past the padded input are not padding, PyTorch leaves them out too
    X = exact(np.arange(9).reshape(3, 3))
    p = Pool("avg", (2, 2), (2, 2), ceil_mode=True, mistake="padding_counted")
    assert p.forward(X).tolist() == [[2, Fraction(7, 2)], [Fraction(13, 2), 8]]
