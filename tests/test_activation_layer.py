"""An activation layer of its own (`- activation: relu`) in a backprop network: conv → batch
norm → ReLU → pool, or dense → activation after flatten.

Checked three ways: (1) conv (linear) → activation f gives, number for number, what the conv
with `activation: f` gives (JSON values, loss, gradients, updates, over two steps); (2) random
conv → batch norm → activation → [pool] → flatten → … networks against the plain-loop reference
of tests/test_cnn_batchnorm.py (an activation layer written there as a 1×1 identity conv, or an
identity dense layer, with that activation) and against central differences of its J; (3) the
example problems/cnn-batchnorm-relu.yaml, and check's ReLU-gate mistake on the layer.
"""

from __future__ import annotations

import json
import os

import numpy as np
from hypothesis import HealthCheck, Phase, assume, given, settings
from hypothesis import strategies as st

from test_cnn_batchnorm import J_of, assert_agrees, central_differences, close, flat, \
    kink_free, run, unflat_like, with_params, yaml_text

from nnsolve.load.yamldoc import doc_from_text
from nnsolve.render import render
from nnsolve.solve import SolveOptions, solve

HERE = os.path.dirname(os.path.abspath(__file__))
PROBLEMS = os.path.join(os.path.dirname(HERE), "problems")
ACTS = ["relu", "leaky_relu", "relu6", "tanh", "sigmoid", "linear"]
KINKS = {"relu": (0,), "leaky_relu": (0,), "relu6": (0, 6)}

_v = st.integers(-20, 20).map(lambda k: k / 8)


def parse_text(text):
    from nnsolve.kinds.backprop.spec import parse
    return parse(doc_from_text(text, "t.yaml"))


def solve_json(text, **opts):
    return json.loads(render(solve(parse_text(text), SolveOptions(**opts)), "json"))


# --- (1) conv (linear) → activation f  ==  conv with activation f --------------------------------

def _act_item(act, alpha):
    return {"name": act, "alpha": alpha} if alpha is not None else act


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=st.data())
def test_an_activation_layer_is_the_activation_of_the_layer_before_number_for_number(data):
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 10 ** 6)))
    C, H, W = draw(st.integers(1, 2)), draw(st.integers(2, 4)), draw(st.integers(2, 4))
    N = draw(st.integers(1, 2))
    where = draw(st.sampled_from(["conv", "dense"]))     # which layer's activation is split off
    act = draw(st.sampled_from(ACTS))
    alpha = draw(st.sampled_from([None, 0.25])) if act == "leaky_relu" else None
    F = draw(st.integers(1, 2))
    K = (rng.integers(-8, 9, size=(F, C, 2, 2)) / 4).tolist()
    conv = {"kernels": K}
    if draw(st.booleans()):
        conv["bias"] = (rng.integers(-2, 3, size=F) / 2).tolist()
    n = F * (H - 1) * (W - 1)
    hidden = draw(st.integers(1, 3))
    Wd = (rng.integers(-4, 5, size=(hidden, n)) / 4).tolist()
    Wo = (rng.integers(-4, 5, size=(2, hidden)) / 4).tolist()
    loss = draw(st.sampled_from(["mse", "cross_entropy"]))
    out_act = "softmax" if loss == "cross_entropy" else "linear"
    pool = draw(st.booleans()) and where == "conv"

    def items(split):
        a = _act_item(act, alpha)
        conv_item = {"conv": conv} if split and where == "conv" else {"conv": conv, "activation": a}
        if where == "dense":
            conv_item = {"conv": conv, "activation": "tanh"}
        dense_item = {"weights": Wd, "activation": "linear" if split and where == "dense" else a}
        if where == "conv":
            dense_item["activation"] = "tanh"
        out = [conv_item] + ([{"activation": a}] if split and where == "conv" else [])
        if pool:
            out.append({"pool": {"type": "max", "size": 1}})
        out += ["flatten", dense_item] + ([{"activation": a}] if split and where == "dense"
                                          else [])
        return out + [{"weights": Wo, "activation": out_act}]
    X = [[[[draw(_v) for _ in range(W)] for _ in range(H)] for _ in range(C)] for _ in range(N)]
    Y = [[1.0, 0.0] if loss == "cross_entropy" else [draw(_v), draw(_v)] for _ in range(N)]
    extra = {"learning_rate": 0.1}
    joined = solve_json(yaml_text(items(False), X, Y, loss, 2, extra))
    split = solve_json(yaml_text(items(True), X, Y, loss, 2, extra))
    at = 1 if where == "conv" else 3     # one past the split layer's index in `joined`
    for sj, ss in zip(joined["steps"], split["steps"]):
        assert sj["loss"] == ss["loss"] and sj["output"] == ss["output"]
        assert sj["dJ_dx"] == ss["dJ_dx"]
        lj, ls = sj["layers"], ss["layers"]
        assert len(ls) == len(lj) + 1
        # the layers before: the same in every key
        assert lj[:at - 1] == ls[:at - 1]
        both, alone, lin = lj[at - 1], ls[at], ls[at - 1]
        # the layer with its activation == the linear layer followed by the activation layer
        for key in both:
            if key in ("h", "dJ_dh"):
                assert both[key] == alone[key], key
                assert lin[key] == ((lin["a"]) if key == "h" else lin["dJ_da"])
            else:
                assert both[key] == lin[key], key
        assert alone["type"] == "activation" and alone["activation"] == act
        assert alone["dJ_da"] == both["dJ_da"]
        assert alone.get("alpha") == ((0.01 if alpha is None else alpha)
                                      if act == "leaky_relu" else None)
        # the layers after: the same
        assert lj[at:] == ls[at + 1:]


# --- (2) against the loops and finite differences ----------------------------------------------

def _identity_layer(act, alpha, shape):
    """The reference's stand-in for an activation layer: a 1×1 identity conv (maps) or an
    identity dense layer (a vector) with that activation."""
    if len(shape) == 3:
        C = shape[0]
        K = [[[[1.0 if c == f else 0.0]] for c in range(C)] for f in range(C)]
        L = {"type": "conv", "K": K, "b": None, "stride": (1, 1), "pads": ((0, 0), (0, 0)),
             "dil": (1, 1), "mode": "cross_correlation", "act": act}
    else:
        D = shape[0]
        L = {"type": "dense", "W": [[1.0 if j == k else 0.0 for k in range(D)]
                                    for j in range(D)], "b": None, "act": act}
    if alpha is not None:
        L["alpha"] = alpha
    L["stand_in"] = True
    return L


def _no_kink(net, recs, margin=1e-4):
    for L, (xs, As, _, _) in zip(net, recs):
        if L.get("stand_in") and L["act"] in KINKS:
            if min(abs(v - k) for v in flat(As) for k in KINKS[L["act"]]) < margin:
                return False
    return kink_free(net, recs, margin)


def _random_network(draw, rng, shape):
    """conv (linear, no bias) → batch norm → activation → [max/avg pool] → flatten →
    [dense → activation] → dense; YAML items and the reference's layers."""
    C, H, W = shape
    items, net = [], []
    F = draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, min(2, H))), draw(st.integers(1, min(2, W)))
    K = (rng.integers(-8, 9, size=(F, C, kh, kw)) / 4).tolist()
    items.append({"conv": {"kernels": K}})
    net.append({"type": "conv", "K": K, "b": None, "stride": (1, 1), "pads": ((0, 0), (0, 0)),
                "dil": (1, 1), "mode": "cross_correlation", "act": "linear"})
    shape = (F, H - kh + 1, W - kw + 1)
    g = [draw(st.sampled_from([0.5, 1.0, 2.0, -1.0])) for _ in range(F)]
    b = [draw(st.sampled_from([0.0, 0.5, -0.25, 3.0])) for _ in range(F)]
    items.append({"batchnorm": {"gamma": g, "beta": b}})
    net.append({"type": "batchnorm", "gamma": g, "beta": b, "eps": 1e-5})
    act = draw(st.sampled_from(ACTS[:-1]))
    # leaky ReLU's default slope 0.01 only: the reference's backward pass knows no other
    items.append({"activation": act})
    net.append(_identity_layer(act, 0.01, shape))
    if draw(st.booleans()):
        size = (draw(st.integers(1, shape[1])), draw(st.integers(1, shape[2])))
        ptype = draw(st.sampled_from(["max", "avg"]))
        items.append({"pool": {"type": ptype, "size": list(size)}})
        net.append({"type": "pool", "ptype": ptype, "size": size, "stride": size,
                    "pads": ((0, 0), (0, 0)), "ceil": False})
        shape = (F, shape[1] // size[0], shape[2] // size[1])
    items.append("flatten")
    net.append({"type": "flatten"})
    n = int(np.prod(shape))
    if draw(st.booleans()):
        m = draw(st.integers(1, 3))
        Wd = (rng.integers(-4, 5, size=(m, n)) / 4).tolist()
        bd = (rng.integers(-2, 3, size=m) / 2).tolist()
        items.append({"weights": Wd, "bias": bd})
        net.append({"type": "dense", "W": Wd, "b": bd, "act": "linear"})
        act2 = draw(st.sampled_from(ACTS[:-1]))
        items.append({"activation": act2})
        net.append(_identity_layer(act2, 0.01, (m,)))
        n = m
    loss = draw(st.sampled_from(["mse", "cross_entropy"]))
    Wo = (rng.integers(-4, 5, size=(2, n)) / 4).tolist()
    out_act = "softmax" if loss == "cross_entropy" else "linear"
    items.append({"weights": Wo, "activation": out_act})
    net.append({"type": "dense", "W": Wo, "b": None, "act": out_act})
    return items, net, loss


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=st.data())
def test_random_conv_batchnorm_activation_networks_against_loops_and_finite_differences(data):
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 10 ** 6)))
    C, H, W = draw(st.integers(1, 2)), draw(st.integers(2, 4)), draw(st.integers(2, 4))
    items, net, loss = _random_network(draw, rng, (C, H, W))
    N = 2
    X = [[[[draw(_v) for _ in range(W)] for _ in range(H)] for _ in range(C)] for _ in range(N)]
    Y = [[1.0, 0.0] if loss == "cross_entropy" else [draw(_v), draw(_v)] for _ in range(N)]
    J, recs, grads, dJ_dh, dx = run(net, X, Y, loss)
    assume(_no_kink(net, recs))
    out = solve_json(yaml_text(items, X, Y, loss, 1, {"learning_rate": 0.1}))
    step = out["steps"][0]
    assert np.isclose(step["loss"], J, rtol=1e-9, atol=1e-12)
    assert close(step["dJ_dx"], dx, 1e-8)
    for li, (L, got) in enumerate(zip(net, step["layers"])):
        if L.get("stand_in"):
            assert got["type"] == "activation" and got["activation"] == L["act"]
            assert close(got["h"], recs[li][2], 1e-8)
            assert close(got["dJ_dh"], dJ_dh[li], 1e-8)
            assert close(got["dJ_da"], dJ_dh[li - 1], 1e-8)   # ∂J/∂(its input)
            assert set(got) <= {"type", "activation", "alpha", "h", "dJ_dh", "dJ_da"}
            continue
        assert got["type"] == L["type"]
        if L["type"] == "batchnorm":
            assert close(got["dJ_dgamma"], grads[li]["gamma"], 1e-8)
            assert close(got["dJ_dbeta"], grads[li]["beta"], 1e-8)
            assert close(got["h"], recs[li][2], 1e-8)
        elif L["type"] == "conv":
            assert close(got["dJ_dK"], grads[li]["K"], 1e-8)
        elif L["type"] == "dense":
            assert close(got["dJ_dW"], grads[li]["W"], 1e-8)
            if L["b"] is not None:
                assert close(got["dJ_db"], grads[li]["b"], 1e-8)
    # central differences of J (the reference's forward pass only, with their own error
    # estimate, as test_cnn_batchnorm's): every parameter that nnsolve has (not the stand-ins'
    # identity weights) and every input value
    atol = 1e-6 * max(1.0, abs(J))
    for li, L in enumerate(net):
        if L.get("stand_in"):
            continue
        for name, key in (("gamma", "dJ_dgamma"), ("beta", "dJ_dbeta"), ("K", "dJ_dK"),
                          ("W", "dJ_dW"), ("b", "dJ_db")):
            if L.get(name) is None or L["type"] == "pool":
                continue
            vals = flat(L[name])
            where = [(li, name, i) for i in range(len(vals))]
            fd, err = central_differences(
                lambda th: J_of(with_params(net, where, th), X, Y, loss), vals)
            assert_agrees(flat(step["layers"][li][key]), fd, err, atol, (name, li))
    fd, err = central_differences(lambda xs: J_of(net, unflat_like(xs, X), Y, loss), flat(X))
    assert_agrees(flat(step["dJ_dx"]), fd, err, atol, "x")


@settings(max_examples=10, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=st.data())
def test_such_networks_render_in_every_format_and_detail(data):
    draw = data.draw
    rng = np.random.default_rng(draw(st.integers(0, 10 ** 6)))
    C, H, W = draw(st.integers(1, 2)), draw(st.integers(2, 3)), draw(st.integers(2, 3))
    items, net, loss = _random_network(draw, rng, (C, H, W))
    X = [[[[draw(_v) for _ in range(W)] for _ in range(H)] for _ in range(C)] for _ in range(2)]
    Y = [[1.0, 0.0], [0.0, 1.0]]
    text = yaml_text(items, X, Y, loss, 1, {"learning_rate": 0.1})
    for detail in ("full", "summary"):
        sol = solve(parse_text(text), SolveOptions(detail=detail, verify=True))
        for fmt in ("text", "markdown", "latex", "json"):
            assert render(sol, fmt).strip()
        words = render(sol, "text")
        assert "activation" in words
        check = words.split("Check by finite differences")[-1]
        assert "All " in check or "kink" in check      # (a kink within ε is named)


# --- (3) the example, and check ---------------------------------------------------------------

def _example():
    with open(os.path.join(PROBLEMS, "cnn-batchnorm-relu.yaml"), encoding="utf-8") as fh:
        return fh.read()


def test_the_example_against_the_loops():
    """problems/cnn-batchnorm-relu.yaml: conv → batch norm → ReLU → max pool → flatten →
    softmax, as the reference computes it; some normalised values are negative and gated."""
    import yaml
    doc = yaml.safe_load(_example())
    X = [[s["input"]] for s in doc["samples"]]
    Y = [[1.0 if k == s["target"] else 0.0 for k in range(2)] for s in doc["samples"]]
    L = doc["layers"]
    net = [{"type": "conv", "K": [[k] for k in L[0]["conv"]["kernels"]], "b": None,
            "stride": (1, 1), "pads": ((0, 0), (0, 0)), "dil": (1, 1),
            "mode": "cross_correlation", "act": "linear"},
           {"type": "batchnorm", "gamma": L[1]["batchnorm"]["gamma"],
            "beta": L[1]["batchnorm"]["beta"], "eps": 1e-5},
           _identity_layer("relu", None, (2, 1, 2)),
           {"type": "pool", "ptype": "max", "size": (1, 2), "stride": (1, 2),
            "pads": ((0, 0), (0, 0)), "ceil": False},
           {"type": "flatten"},
           {"type": "dense", "W": L[5]["weights"], "b": None, "act": "softmax"}]
    J, recs, grads, dJ_dh, dx = run(net, X, Y, "cross_entropy")
    step = solve_json(_example())["steps"][0]
    assert np.isclose(step["loss"], J, rtol=1e-12)
    act = step["layers"][2]
    assert act["type"] == "activation" and act["activation"] == "relu"
    assert close(act["h"], recs[2][2], 1e-12)
    assert close(act["dJ_da"], dJ_dh[1], 1e-12)
    assert close(step["layers"][1]["dJ_dgamma"], grads[1]["gamma"], 1e-12)
    assert close(step["layers"][0]["dJ_dK"], grads[0]["K"], 1e-12)
    x_hat = np.array(step["layers"][1]["x_hat"])
    assert (x_hat < 0).sum() >= 4 and (np.array(act["h"]) == 0).sum() >= 4   # gated


def test_check_knows_the_relu_gate_mistake_on_the_activation_layer():
    """`check`'s "ReLU gate ignored" applies to an activation layer as to any ReLU op: with it,
    the layer's ∂J/∂a is its ∂J/∂h ungated."""
    from nnsolve.kinds.backprop.solve import compute_step, known_mistakes
    problem = parse_text(_example())
    found, _ = known_mistakes(problem)
    assert "relu_gate_ignored" in found
    params = [(l.W, l.b) for l in problem.layers]
    right = compute_step(problem, params).layers[2]
    wrong = compute_step(problem, params, mistakes=("relu_gate_ignored",)).layers[2]
    assert np.array_equal(np.asarray(wrong.dJ_da, dtype=float),
                          np.asarray(wrong.dJ_dh, dtype=float))
    assert not np.array_equal(np.asarray(right.dJ_da, dtype=float),
                              np.asarray(right.dJ_dh, dtype=float))
