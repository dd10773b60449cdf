"""The engine's operations against independent references: the published conv-backward example,
nested Python loops, and central finite differences (hypothesis over conv settings)."""

from fractions import Fraction as F

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsolve.ops.conv import Conv
from nnsolve.ops.dense import Dense, Flatten
from nnsolve.ops.engine import Node, backward, forward

import cnn_reference as ref


def exact(a):
    return np.vectorize(F, otypes=[object])(np.asarray(a))


def test_published_conv_backward_example():
    """x = arange(16) as 1×4×4, W = [[1, 2], [3, 4]], ∂L/∂out = 1 at (0, 0) only:
    ∂L/∂W is the top-left window of x, [[0, 1], [4, 5]]; ∂L/∂x is W at the top-left, 0 elsewhere."""
    for mk in (exact, lambda a: np.asarray(a, dtype=float)):
        x = mk(np.arange(16).reshape(1, 1, 4, 4))
        K = mk([[[[1, 2], [3, 4]]]])
        op = Conv()
        y, cache = op.forward(x, {"K": K, "b": None})
        assert y.shape == (1, 1, 3, 3)
        g = mk(np.zeros((1, 1, 3, 3)))
        g[0, 0, 0, 0] = 1
        dx, grads = op.backward(g, x, y, cache, {"K": K, "b": None})
        assert np.asarray(grads["K"], float).tolist() == [[[[0, 1], [4, 5]]]]
        want = np.zeros((4, 4))
        want[:2, :2] = [[1, 2], [3, 4]]
        assert np.asarray(dx, float)[0, 0].tolist() == want.tolist()
        assert grads["b"] is None


def test_dense_and_flatten_chain_gradients_by_hand():
    """h = W x + b, then J = Σ h: ∂J/∂W = 1 xᵀ, ∂J/∂b = 1, ∂J/∂x = Wᵀ 1."""
    W = exact([[1, 2, 3], [4, 5, 6]])
    b = exact([1, -1])
    x = exact(np.arange(3).reshape(1, 1, 1, 3))
    nodes = [Node(Flatten()), Node(Dense(), {"W": W, "b": b})]
    y = forward(nodes, x)
    assert y.tolist() == [[9, 16]]
    dx = backward(nodes, exact([[1, 1]]))
    assert nodes[1].grads["W"].tolist() == [[0, 1, 2], [0, 1, 2]]
    assert nodes[1].grads["b"].tolist() == [1, 1]
    assert dx.shape == (1, 1, 1, 3) and dx.ravel().tolist() == [5, 7, 9]


pads_st = st.tuples(st.tuples(st.integers(0, 2), st.integers(0, 2)),
                    st.tuples(st.integers(0, 2), st.integers(0, 2)))


@settings(max_examples=60, deadline=None)
@given(C=st.integers(1, 3), Fn=st.integers(1, 3), kh=st.integers(1, 3), kw=st.integers(1, 3),
       stride=st.tuples(st.integers(1, 3), st.integers(1, 3)), pads=pads_st,
       dil=st.tuples(st.integers(1, 2), st.integers(1, 2)),
       mode=st.sampled_from(["cross_correlation", "convolution"]), N=st.integers(1, 2),
       bias=st.booleans(), seed=st.integers(0, 10 ** 6))
def test_conv_op_against_nested_loops(C, Fn, kh, kw, stride, pads, dil, mode, N, bias, seed):
    rng = np.random.default_rng(seed)
    H = dil[0] * (kh - 1) + 1 + int(rng.integers(0, 4))
    W = dil[1] * (kw - 1) + 1 + int(rng.integers(0, 4))
    X = rng.integers(-3, 4, size=(N, C, H, W))
    K = rng.integers(-2, 3, size=(Fn, C, kh, kw))
    b = rng.integers(-2, 3, size=Fn) if bias else None
    op = Conv(stride=stride, padding=pads, dilation=dil, mode=mode)
    p = {"K": exact(K), "b": exact(b) if bias else None}
    y, cache = op.forward(exact(X), p)
    G = rng.integers(-3, 4, size=y.shape)
    dx, grads = op.backward(exact(G), exact(X), y, cache, p)
    L = {"K": K.tolist(), "b": b.tolist() if bias else None, "stride": stride, "pads": pads,
         "dil": dil, "mode": mode}
    dK_sum = np.zeros(K.shape)
    db_sum = np.zeros(Fn)
    for n in range(N):
        assert np.asarray(y[n], float).tolist() == ref.conv_forward(L, X[n].tolist())
        dK, db, dxn = ref.conv_backward(L, X[n].tolist(), G[n].tolist())
        assert np.asarray(dx[n], float).tolist() == dxn
        dK_sum += np.array(dK)
        db_sum += np.array(db)
    assert np.asarray(grads["K"], float).tolist() == dK_sum.tolist()
    if bias:
        assert np.asarray(grads["b"], float).tolist() == db_sum.tolist()
    # float64 gives the same numbers (integers here) as the exact arrays
    yf, cf = op.forward(X.astype(float), {"K": K.astype(float),
                                          "b": b.astype(float) if bias else None})
    assert np.array_equal(yf, np.asarray(y, float))
    dxf, gf = op.backward(G.astype(float), X.astype(float), yf, cf,
                          {"K": K.astype(float), "b": b.astype(float) if bias else None})
    assert np.array_equal(dxf, np.asarray(dx, float))
    assert np.array_equal(gf["K"], np.asarray(grads["K"], float))
