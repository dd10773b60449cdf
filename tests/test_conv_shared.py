"""`nnsolve conv` and a conv layer of `nnsolve backprop` compute one convolution (ops/conv.py):
on random settings (channels, filters, stride, padding on each side, dilation, both modes, a bias
or none), exact fractions and float64 alike, both equal the nested loops of
tests/cnn_reference.py, and each other."""

from __future__ import annotations

import os
import tempfile
from fractions import Fraction

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnn_reference as ref
from test_formulas_once import checked_parts
from nnsolve.load import problem_from
from nnsolve.solve import SolveOptions, solve

fractions = st.builds(Fraction, st.integers(-6, 6), st.sampled_from([1, 2, 3, 4]))


@st.composite
def conv_cases(draw):
    """A valid convolution: its reference layer dict and its input (lists of Fractions)."""
    C, F = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pads = ((draw(st.integers(0, 2)), draw(st.integers(0, 2))),
            (draw(st.integers(0, 2)), draw(st.integers(0, 2))))
    H = draw(st.integers(max(1, dil[0] * (kh - 1) + 1 - sum(pads[0])), 6))
    W = draw(st.integers(max(1, dil[1] * (kw - 1) + 1 - sum(pads[1])), 6))

    def arr(*shape):
        if not shape:
            return draw(fractions)
        return [arr(*shape[1:]) for _ in range(shape[0])]

    layer = {"type": "conv", "K": arr(F, C, kh, kw),
             "b": arr(F) if draw(st.booleans()) else None, "stride": stride, "pads": pads,
             "dil": dil, "mode": draw(st.sampled_from(["cross_correlation", "convolution"])),
             "act": "linear"}
    return layer, arr(C, H, W)


def conv_options(L) -> dict:
    out = {"kernels": L["K"], "stride": list(L["stride"]),
           "padding": [list(L["pads"][0]), list(L["pads"][1])], "dilation": list(L["dil"]),
           "mode": L["mode"]}
    if L["b"] is not None:
        out["bias"] = L["b"]
    return out


def both_kinds(L, x, where):
    """(conv kind's output, backprop's a⁽¹⁾) for the layer L on input x; ``where`` is a path
    of a .npy file holding x (float64), or None for x written inline (exact)."""
    given_x = where if where is not None else x
    conv = problem_from(dict({"kind": "conv", "input": given_x}, **conv_options(L)))
    got_conv = solve(conv, SolveOptions(detail="summary")).data["output"]
    F, (Ho, Wo) = len(L["K"]), np.asarray(got_conv).shape[1:]
    net = problem_from({
        "kind": "backprop", "input": given_x, "target": [0],
        "layers": [{"conv": conv_options(L), "activation": "linear"}, "flatten",
                   {"weights": [[1] * (F * Ho * Wo)], "activation": "linear"}],
        "loss": "squared_error", "learning_rate": 1})
    got_layer = solve(net, SolveOptions(detail="summary")).data["steps"][0]["layers"][0]["a"]
    return conv, np.asarray(got_conv), net, np.asarray(got_layer)


def reference(L, x):
    """The nested loops; a zero bias written out so that exact inputs give exact sums."""
    if L["b"] is None:
        L = dict(L, b=[Fraction(0)] * len(L["K"]))
    return ref.conv_forward(L, x)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(conv_cases())
def test_conv_kind_and_cnn_layer_exact(case):
    L, x = case
    conv, got_conv, net, got_layer = both_kinds(L, x, None)
    assert conv.exact and net.exact
    want = reference(L, x)
    assert got_conv.tolist() == want          # Fractions, compared exactly
    assert got_layer.tolist() == want         # one sample: a⁽¹⁾ is F×Ho×Wo
    assert all(isinstance(v, Fraction) for v in got_conv.ravel())
    assert all(isinstance(v, Fraction) for v in got_layer.ravel())
    # every window's products x·w (+ b), as both kinds write them, come to the window's value
    assert checked_parts(solve(conv, SolveOptions(detail="full"))) > 0
    checked_parts(solve(net, SolveOptions(detail="full")))


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(conv_cases())
def test_conv_kind_and_cnn_layer_float(case):
    L, x = case
    xf = np.asarray(x, dtype=np.float64) + 0.1       # 0.1: not exactly representable
    with tempfile.TemporaryDirectory() as d:
        where = os.path.join(d, "x.npy")
        np.save(where, xf)
        conv, got_conv, net, got_layer = both_kinds(L, xf.tolist(), where)
    assert not conv.exact and not net.exact
    assert got_conv.dtype == np.float64 and got_layer.dtype == np.float64
    Lf = dict(L, K=np.asarray(L["K"], dtype=float).tolist(),
              b=None if L["b"] is None else [float(v) for v in L["b"]])
    want = np.asarray(ref.conv_forward(Lf, xf.tolist()))
    np.testing.assert_allclose(got_conv, want, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(got_layer, want, rtol=1e-12, atol=1e-12)
    # one definition: the same float64 operations in the same order, so the same bits
    assert np.array_equal(got_conv, got_layer)
