"""Backprop through a CNN: random valid stacks (channels, filters, stride, padding forms,
dilation, both modes, both pools, batches, steps) against an independent nested-loop
implementation (tests/cnn_reference.py) and central finite differences; the CS231n-style example
in every format; the JSON contract of conv, pool and flatten layers."""

import json
import math
import os

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnn_reference as ref
from nnsolve.cli import cli
from nnsolve.load import load_problem
from nnsolve.load.yamldoc import doc_from_text
from nnsolve.render import render
from nnsolve.solve import SolveOptions, solve

HERE = os.path.dirname(os.path.abspath(__file__))
PROBLEMS = os.path.join(os.path.dirname(HERE), "problems")


def parse(text):
    from nnsolve.kinds.backprop.spec import parse as p
    return p(doc_from_text(text, "t.yaml"))


def data_of(problem, **opts):
    return json.loads(render(solve(problem, SolveOptions(**opts)), "json"))


def close(a, b, tol=1e-9):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and np.allclose(a, b, rtol=tol, atol=tol)


# --- random valid stacks -----------------------------------------------------------------------

@st.composite
def stacks(draw, shape):
    """A network on a C×H×W input: 1-2 conv/pool layers, flatten, 1-2 dense layers; its YAML
    items, the reference's description, the inputs, targets and loss."""
    rng = np.random.default_rng(draw(st.integers(0, 10 ** 6)))
    input_shape = shape
    items, net = [], []
    for _ in range(draw(st.integers(1, 2))):
        C, H, W = shape
        if draw(st.booleans()):      # conv
            F = draw(st.integers(1, 2))
            kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
            dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
            stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
            form = draw(st.sampled_from(["n", "pair", "sides", "same", "valid"]))
            if form == "n":
                p = draw(st.integers(0, 1))
                pads, ptext = ((p, p), (p, p)), p
            elif form == "pair":
                ph, pw = draw(st.integers(0, 1)), draw(st.integers(0, 2))
                pads, ptext = ((ph, ph), (pw, pw)), [ph, pw]
            elif form == "sides":
                t = [draw(st.integers(0, 2)) for _ in range(4)]
                pads, ptext = ((t[0], t[1]), (t[2], t[3])), [[t[0], t[1]], [t[2], t[3]]]
            elif form == "same":
                pads = tuple(_same(i, k, s, d) for i, k, s, d in
                             zip((H, W), (kh, kw), stride, dil))
                ptext = "same"
            else:
                pads, ptext = ((0, 0), (0, 0)), "valid"
            if any(i + p[0] + p[1] < d * (k - 1) + 1 for i, p, k, d in
                   zip((H, W), pads, (kh, kw), dil)):
                continue
            mode = draw(st.sampled_from(["cross_correlation", "convolution"]))
            act = draw(st.sampled_from(["relu", "linear", "tanh", "leaky_relu"]))
            K = rng.integers(-2, 3, size=(F, C, kh, kw)).tolist()
            bias = rng.integers(-1, 2, size=F).tolist() if draw(st.booleans()) else None
            conv = {"kernels": K, "stride": list(stride), "padding": ptext,
                    "dilation": list(dil), "mode": mode}
            if bias is not None:
                conv["bias"] = bias
            items.append({"conv": conv, "activation": act})
            net.append({"type": "conv", "K": K, "b": bias, "stride": stride, "pads": pads,
                        "dil": dil, "mode": mode, "act": act})
            shape = (F, ref.conv_size(H, pads[0], kh, stride[0], dil[0]),
                     ref.conv_size(W, pads[1], kw, stride[1], dil[1]))
        else:                        # pool
            size = (draw(st.integers(1, min(3, H))), draw(st.integers(1, min(3, W))))
            stride = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
            pads = ((draw(st.integers(0, size[0] // 2)),) * 2,
                    (draw(st.integers(0, size[1] // 2)),) * 2)
            ceil = draw(st.booleans())
            ptype = draw(st.sampled_from(["max", "avg"]))
            items.append({"pool": {"type": ptype, "size": list(size), "stride": list(stride),
                                   "padding": [pads[0][0], pads[1][0]], "ceil_mode": ceil}})
            net.append({"type": "pool", "ptype": ptype, "size": size, "stride": stride,
                        "pads": pads, "ceil": ceil})
            shape = (C, ref.pool_size(H, pads[0], size[0], stride[0], ceil),
                     ref.pool_size(W, pads[1], size[1], stride[1], ceil))
    items.append("flatten")
    net.append({"type": "flatten"})
    n = int(np.prod(shape))
    loss = draw(st.sampled_from(["squared_error", "cross_entropy", "mse"]))
    K_out = draw(st.integers(1, 3)) if loss != "cross_entropy" else draw(st.integers(2, 3))
    sizes = [n] + ([draw(st.integers(1, 3))] if draw(st.booleans()) else []) + [K_out]
    for li, (a, b) in enumerate(zip(sizes, sizes[1:])):
        last = li == len(sizes) - 2
        act = ("softmax" if loss == "cross_entropy" else "linear") if last else "relu"
        Wd = (rng.integers(-4, 5, size=(b, a)) / 4).tolist()
        bd = (rng.integers(-2, 3, size=b) / 2).tolist() if draw(st.booleans()) else None
        item = {"weights": Wd, "activation": act}
        if bd is not None:
            item["bias"] = bd
        items.append(item)
        net.append({"type": "dense", "W": Wd, "b": bd, "act": act})
    N = draw(st.integers(1, 2))
    X0 = [rng.integers(-3, 4, size=input_shape).tolist() for _ in range(N)]
    if loss == "cross_entropy":
        Y = [[1.0 if k == int(rng.integers(0, K_out)) else 0.0 for k in range(K_out)]
             for _ in range(N)]
        Y = [y if sum(y) == 1 else [1.0] + [0.0] * (K_out - 1) for y in Y]
    else:
        Y = [(rng.integers(-2, 3, size=K_out)).tolist() for _ in range(N)]
    return items, net, X0, Y, loss


def _same(i, k, s, d):
    out = -(-i // s)
    total = max((out - 1) * s + d * (k - 1) + 1 - i, 0)
    return (total // 2, total - total // 2)


def problem_yaml(items, X, Y, loss, reduction, steps, reg, lr="0.1", squeeze=False):
    doc = {"kind": "backprop", "layers": items, "loss": loss, "learning_rate": lr,
           "steps": steps, "reduction": reduction}
    if reg:
        doc["regularization"] = {"p": reg[0], "alpha": reg[1]}
    if len(X) == 1:
        x = X[0]
        doc["input"] = x[0] if squeeze and len(x) == 1 else x
        doc["target"] = Y[0]
    else:
        doc["samples"] = [{"input": x, "target": y} for x, y in zip(X, Y)]
    return yaml.safe_dump(doc)


def updated(net, grads, lr=0.1):
    out = []
    for L, G in zip(net, grads):
        L = dict(L)
        for name in ("K", "W", "b"):
            if L.get(name) is not None and name in G and G[name] is not None:
                L[name] = ref.zip_apply(lambda w, g: w - lr * g, L[name], G[name])
        out.append(L)
    return out


def at_a_kink(net, step) -> bool:
    """A (leaky) ReLU input within rounding of 0: nnsolve, exact, finds it exactly 0 and takes
    ReLU′(0) = 0 (SPEC), while the float reference's updated weights put it at ±1e-17."""
    return any(L.get("act") in ("relu", "leaky_relu") and "a" in got
               and np.min(np.abs(np.asarray(got["a"], dtype=float))) < 1e-9
               for L, got in zip(net, step["layers"]))


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_cnn_stacks_against_the_nested_loops(data):
    C = data.draw(st.integers(1, 2))
    H, W = data.draw(st.integers(3, 6)), data.draw(st.integers(3, 6))
    items, net, X, Y, loss = data.draw(stacks((C, H, W)))
    reduction = data.draw(st.sampled_from(["mean", "sum"]))
    steps = data.draw(st.integers(1, 2))
    reg = data.draw(st.sampled_from([None, (2, 0.01), (1, 0.1)]))
    text = problem_yaml(items, X, Y, loss, reduction, steps, reg, squeeze=(C == 1))
    out = data_of(parse(text))
    assert len(out["steps"]) == steps
    cur = net
    Xf = [np.asarray(x, dtype=float).tolist() for x in X]
    Yf = [list(map(float, y)) for y in Y]
    for k in range(steps):
        step = out["steps"][k]
        J, grads, dx = ref.network_gradients(cur, Xf, Yf, loss, reduction, reg)
        assert math.isclose(step["loss"], J, rel_tol=1e-9, abs_tol=1e-9)
        if at_a_kink(cur, step):
            break       # from here on the float reference cannot tell ReLU′(0) = 0 from ReLU′(±ε)
        for L, G, got in zip(cur, grads, step["layers"]):
            assert got["type"] == L["type"]
            if L["type"] == "conv":
                assert close(got["dJ_dK"], G["K"])
                assert close(got["K"], L["K"])
                if L["b"] is not None:
                    assert close(got["dJ_db"], G["b"])
            elif L["type"] == "dense":
                assert close(got["dJ_dW"], G["W"])
                if L["b"] is not None:
                    assert close(got["dJ_db"], G["b"])
        want_dx = np.asarray(dx)
        got_dx = np.asarray(step["dJ_dx"], dtype=float)
        if len(X) == 1:
            want_dx = want_dx[0]
            if C == 1:
                want_dx = want_dx[0]       # the input was written H×W
        assert close(got_dx, want_dx)
        cur = updated(cur, grads)


@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
@given(data=st.data())
def test_random_cnn_stacks_against_central_differences(data):
    """The reference itself, and nnsolve, against (J(θ+ε) − J(θ−ε))/2ε."""
    C = data.draw(st.integers(1, 2))
    H, W = data.draw(st.integers(3, 5)), data.draw(st.integers(3, 5))
    items, net, X, Y, loss = data.draw(stacks((C, H, W)))
    Xf = [np.asarray(x, dtype=float).tolist() for x in X]
    Yf = [list(map(float, y)) for y in Y]
    # nudge inputs and weights off the kinks (ReLU at 0, max-pool ties) that central
    # differences would cross
    rng = np.random.default_rng(1)
    Xf = (np.asarray(Xf) + rng.uniform(-0.3, 0.3, size=np.asarray(Xf).shape)).tolist()
    for item, L in zip(items, net):
        for name, key, holder in (("K", "kernels", "conv"), ("W", "weights", None),
                                  ("b", "bias", "conv" if L["type"] == "conv" else None)):
            if L.get(name) is None:
                continue
            v = (np.asarray(L[name], float)
                 + rng.uniform(-0.3, 0.3, size=np.asarray(L[name]).shape)).tolist()
            L[name] = v
            if holder:
                item[holder][key] = v
            else:
                item[key] = v
    step = data_of(parse(problem_yaml(items, Xf, Yf, loss, "mean", 1, None)))["steps"][0]
    fd = ref.central_differences(net, Xf, Yf, loss, "mean", None)
    for L, numeric, got in zip(net, fd, step["layers"]):
        name = {"conv": "dJ_dK", "dense": "dJ_dW"}.get(L["type"])
        if name is None:
            continue
        assert np.allclose(np.asarray(got[name], float),
                           np.asarray(numeric["K" if L["type"] == "conv" else "W"]),
                           rtol=1e-4, atol=1e-5)
        if L["b"] is not None:
            assert np.allclose(np.asarray(got["dJ_db"], float), np.asarray(numeric["b"]),
                               rtol=1e-4, atol=1e-5)


def test_verify_flag_agrees_on_a_cnn():
    r = CliRunner().invoke(cli, ["backprop", os.path.join(PROBLEMS, "cnn-cs231n.yaml"),
                                 "--verify", "--detail", "summary"])
    assert r.exit_code == 0, r.output
    assert "All 29 checked gradients agree" in r.output        # 18 + 2 + 6 + 3
    assert "Not all" not in r.output


def _reference_net(problem):
    """The reference's description of a parsed CNN problem (floats)."""
    net = []
    for l in problem.layers:
        if l.type == "conv":
            net.append({"type": "conv", "K": np.asarray(l.W, float).tolist(),
                        "b": None if l.b is None else np.asarray(l.b, float).tolist(),
                        "stride": l.op.stride, "pads": l.op.padding, "dil": l.op.dilation,
                        "mode": l.op.mode, "act": l.activation.name})
        elif l.type == "pool":
            p = l.op.pool
            net.append({"type": "pool", "ptype": p.type, "size": p.size, "stride": p.stride,
                        "pads": p.padding, "ceil": p.ceil_mode})
        elif l.type == "flatten":
            net.append({"type": "flatten"})
        else:
            net.append({"type": "dense", "W": np.asarray(l.W, float).tolist(),
                        "b": None if l.b is None else np.asarray(l.b, float).tolist(),
                        "act": l.activation.name})
    return net


def test_cs231n_example_equals_the_nested_loops_to_1e_9():
    """conv → ReLU → max pool → flatten → dense → softmax cross-entropy: every value of the
    solution (forward maps, loss, every gradient, ∂J/∂x, the new parameters) against the
    independent nested loops."""
    problem = load_problem(os.path.join(PROBLEMS, "cnn-cs231n.yaml"))
    step = data_of(problem)["steps"][0]
    net = _reference_net(problem)
    X = np.asarray(problem.X, float).tolist()
    Y = np.asarray(problem.Y, float).tolist()
    trace = ref.sample_forward(net, X[0])
    J, grads, dx = ref.network_gradients(net, X, Y, "cross_entropy", "mean")
    assert math.isclose(step["loss"], J, rel_tol=1e-9) and J > 0.1
    for L, G, (h_in, a, out), got in zip(net, grads, trace, step["layers"]):
        assert close(got["h"], out)
        if L["type"] == "conv":
            assert close(got["a"], a)
            assert close(got["dJ_dK"], G["K"]) and close(got["dJ_db"], G["b"])
            assert close(got["K_new"], np.asarray(L["K"]) - 0.1 * np.asarray(G["K"]))
            assert np.abs(np.asarray(G["K"])).max() > 0.1        # a step that teaches
        elif L["type"] == "dense":
            assert close(got["dJ_dW"], G["W"]) and close(got["dJ_db"], G["b"])
    assert close(step["dJ_dx"], np.asarray(dx[0])[0])          # the input was written 4×4
    assert np.count_nonzero(np.asarray(step["dJ_dx"])) > 4
    assert np.asarray(step["dJ_dx"]).shape == (4, 4)


def test_cnn_json_contract():
    data = data_of(load_problem(os.path.join(PROBLEMS, "cnn-cs231n.yaml")))
    step = data["steps"][0]
    assert set(step) == {"loss", "output", "layers", "dJ_dx"}
    conv, pool, flat, dense = step["layers"]
    assert set(conv) == {"type", "K", "b", "a", "h", "dJ_dh", "dJ_da", "dJ_dK", "dJ_db",
                         "K_new", "b_new"} and conv["type"] == "conv"
    assert np.asarray(conv["K"]).shape == (2, 1, 3, 3)
    assert np.asarray(conv["a"]).shape == (2, 2, 2)
    assert set(pool) == {"type", "h", "dJ_dh"} and pool["type"] == "pool"
    assert set(flat) == {"type", "h", "dJ_dh"} and flat["type"] == "flatten"
    assert dense["type"] == "dense" and "W" in dense
    # the max pool routes ∂J/∂h to the first maximum: ∂J/∂h⁽¹⁾ is 0 except at the maxima
    assert np.count_nonzero(np.asarray(conv["dJ_dh"])) == 2


def test_cs231n_example_in_every_format():
    problem = load_problem(os.path.join(PROBLEMS, "cnn-cs231n.yaml"))
    sol = solve(problem, SolveOptions())
    text = render(sol, "text")
    for line in ["max pooling", "its maximum is",
                 "the full convolution of ∂J/∂a with the flipped kernel",
                 "∂J/∂K⁽¹⁾₁,₁,₁ = ∂J/∂a⁽¹⁾₁,₂,₁ · x₂,₁ ≈ 1.31877 · 3 ≈ 3.9563",
                 "its maximum is h⁽¹⁾₂,₂,₂ = 3.5, which takes ∂J/∂h⁽²⁾₂,₁,₁ ≈ -0.448412"]:
        assert line in text, line
    md = render(sol, "markdown")
    assert "$$" in md
    tex = render(sol, "latex")
    assert r"\cellcolor" in tex or "cellcolor" in tex     # the windows shaded


SPEC_EXAMPLE = """
kind: backprop
input: [[1, 2, 0], [0, 1, 3], [2, 1, 1]]
target: 1
layers:
  - conv: {kernels: [[[1, 0], [0, -1]]], bias: [0], stride: 1, padding: 0}
    activation: relu
  - pool: {type: max, size: 2, stride: 1}
  - flatten
  - weights: [[0.5], [-0.5]]
    bias: [0, 0]
    activation: softmax
loss: cross_entropy
learning_rate: 0.1
"""


def test_spec_example_routes_a_tie_to_the_first_maximum_and_says_so():
    """SPEC's example: ReLU(a⁽¹⁾) is all 0, so the one pooling window is a four-way tie; its
    gradient ∂J/∂h⁽³⁾ = 0.5·0.5 + (−0.5)·(−0.5) = 0.5 goes to the first cell in row-major order."""
    problem = parse(SPEC_EXAMPLE)
    sol = solve(problem, SolveOptions())
    step = json.loads(render(sol, "json"))["steps"][0]
    conv = step["layers"][0]
    assert np.asarray(conv["a"]).tolist() == [[[0, -1], [-1, 0]]]
    assert np.asarray(conv["dJ_dh"]).tolist() == [[[0.5, 0], [0, 0]]]
    assert step["layers"][2]["dJ_dh"] == [0.5]
    text = render(sol, "text")
    assert "shared by 4 cells: the first in row-major order takes" in text
    # ReLU′(0) = 0 stops it there: nothing reaches the kernel
    assert np.asarray(conv["dJ_dK"]).tolist() == [[[[0, 0], [0, 0]]]]
