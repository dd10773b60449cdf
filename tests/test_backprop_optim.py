"""backprop with `optimizer:`: three steps of every optimizer on small networks equal an
independent implementation (tests/torch_reference.py: the network in plain loops, gradients by
the complex step, torch.optim's rules element by element) to 1e-9, in the JSON output."""

from __future__ import annotations

import json

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from torch_reference import Net

from nnsolve.load import parse_problem
from nnsolve.load.yamldoc import doc_from_text
from nnsolve.render import render
from nnsolve.solve import SolveOptions, solve


def solve_text(text, **opts):
    problem = parse_problem(doc_from_text(text, "p.yaml"), "backprop")
    return solve(problem, SolveOptions(**opts))


def yaml_of(layers, X, Y, loss, optimizer, steps, extra=""):
    lines = ["kind: backprop", "samples:"]
    for x, y in zip(X, Y):
        lines.append(f"  - {{input: {list(x)}, target: {list(y)}}}")
    lines.append("layers:")
    for L in layers:
        lines.append(f"  - weights: {L['W']}")
        if L.get("b") is not None:
            lines.append(f"    bias: {L['b']}")
        lines.append(f"    activation: {L['act']}")
    opt = ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}"
                    for k, v in optimizer.items())
    lines += [f"loss: {loss}", f"optimizer: {{{opt}}}", f"steps: {steps}", extra]
    return "\n".join(lines) + "\n"


def compare(layers, X, Y, loss, name, h, steps=3, update_bias=True):
    opt = {"name": name, "learning_rate": h["lr"]}
    opt.update({k: v for k, v in h.items() if k != "lr"})
    text = yaml_of(layers, X, Y, loss, opt, steps,
                   "" if update_bias else "update_bias: false")
    data = json.loads(render(solve_text(text), "json"))
    net = Net([{k: (json.loads(json.dumps(v)) if isinstance(v, list) else v)
                for k, v in L.items()} for L in layers], X, Y, loss)
    slots, run, records = net.train(name, h, steps, frozen=() if update_bias else ("b",))
    for k in range(steps):
        st_ = data["steps"][k]
        J_ref, _ = records[k]
        assert st_["loss"] == pytest.approx(J_ref, rel=1e-9, abs=1e-9)
        theta_ref, state_ref = run[k]
        ours, ours_state = [], {}
        for L, lj in zip(layers, st_["layers"]):
            for pname, key in (("W", "W_new"), ("b", "b_new")):
                if L.get(pname) is None or (pname == "b" and not update_bias):
                    continue
                ours += list(np.ravel(lj[key]))
                for sname, v in lj["state"][pname].items():
                    if sname == "step":
                        assert v == k + 1
                    else:
                        ours_state.setdefault(sname, []).extend(np.ravel(v))
            if not update_bias and L.get("b") is not None:
                assert "b" not in lj["state"] and lj["b_new"] == lj["b"]
        assert np.allclose(ours, theta_ref, rtol=1e-9, atol=1e-9), (k, ours, theta_ref)
        for sname, v in state_ref.items():
            if sname == "step":
                continue
            assert np.allclose(ours_state[sname], v, rtol=1e-9, atol=1e-9), (k, sname)
        assert set(ours_state) == {s for s in state_ref if s != "step"}


NET = [{"W": [[0.5, -0.25], [1.0, 0.5], [-0.75, 0.25]], "b": [0.1, -0.2, 0.0], "act": "tanh"},
       {"W": [[1.0, -1.0, 0.5], [0.25, 0.5, -0.5]], "b": [0.0, 0.3], "act": "linear"}]
X = [[1.0, 2.0], [-1.0, 0.5], [0.5, -1.5]]
Y = [[1.0, 0.0], [0.0, 1.0], [0.5, -0.5]]

CASES = [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.25, "weight_decay": 0.01}),
    ("sgd", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("adagrad", {"lr": 0.5}),
    ("adagrad", {"lr": 0.5, "weight_decay": 0.1, "epsilon": 0.001}),
    ("rmsprop", {"lr": 0.01}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.9, "alpha": 0.9, "weight_decay": 0.05}),
    ("adam", {"lr": 0.1}),
    ("adam", {"lr": 0.1, "beta1": 0.5, "beta2": 0.75, "weight_decay": 0.1, "epsilon": 0.0001}),
    ("adamw", {"lr": 0.1}),
    ("adamw", {"lr": 0.1, "weight_decay": 0.5, "beta1": 0.8}),
]


@pytest.mark.parametrize("name,h", CASES)
def test_three_steps_equal_the_reference(name, h):
    compare(NET, X, Y, "mse", name, h)


@pytest.mark.parametrize("name,h", [CASES[2], CASES[9]])
def test_frozen_biases_have_no_state(name, h):
    compare(NET, X, Y, "mse", name, h, update_bias=False)


def test_relu_network_with_sgd_momentum_stays_exact():
    text = yaml_of([{"W": [[1], [-1]], "act": "relu"}, {"W": [[-1, 1], [1, -1]], "act": "relu"},
                    {"W": [[-1, 1]], "act": "linear"}], [[3]], [[6]], "squared_error",
                   {"name": "sgd", "momentum": 0.9, "learning_rate": 0.01}, 3)
    sol = solve_text(text)
    W = sol.data["steps"][2]["layers"][2]["W_new"]
    from fractions import Fraction
    assert all(isinstance(x, Fraction) for x in np.ravel(W))
    compare([{"W": [[1.0], [-1.0]], "act": "relu"},
             {"W": [[-1.0, 1.0], [1.0, -1.0]], "act": "relu"},
             {"W": [[-1.0, 1.0]], "act": "linear"}], [[3.0]], [[6.0]], "squared_error", "sgd",
            {"lr": 0.01, "momentum": 0.9})


_w = st.sampled_from([-1.0, -0.75, -0.5, -0.25, 0.25, 0.5, 0.75, 1.0, 1.5])


@st.composite
def hyper(draw):
    name = draw(st.sampled_from(["sgd", "adagrad", "rmsprop", "adam", "adamw"]))
    h = {"lr": draw(st.sampled_from([0.01, 0.05, 0.1, 0.5]))}
    if draw(st.booleans()):
        h["weight_decay"] = draw(st.sampled_from([0.01, 0.1]))
    if name == "sgd":
        h["momentum"] = draw(st.sampled_from([0, 0.5, 0.9]))
        if h["momentum"] and draw(st.booleans()):
            h["nesterov"] = True
        elif draw(st.booleans()):
            h["dampening"] = draw(st.sampled_from([0.1, 0.5]))
    if name == "rmsprop":
        h["alpha"] = draw(st.sampled_from([0.5, 0.9, 0.99]))
        h["momentum"] = draw(st.sampled_from([0, 0.5]))
    if name in ("adam", "adamw"):
        h["beta1"] = draw(st.sampled_from([0.5, 0.9]))
        h["beta2"] = draw(st.sampled_from([0.9, 0.999]))
    return name, h


@settings(max_examples=25, deadline=None)
@given(hyper(), st.integers(1, 3), st.integers(1, 3), st.data())
def test_property_random_networks(nh, n_in, n_hidden, data):
    name, h = nh
    act = data.draw(st.sampled_from(["tanh", "sigmoid", "linear"]))
    layers = [{"W": [[data.draw(_w) for _ in range(n_in)] for _ in range(n_hidden)],
               "b": [data.draw(_w) for _ in range(n_hidden)], "act": act},
              {"W": [[data.draw(_w) for _ in range(n_hidden)]], "b": None, "act": "linear"}]
    n = data.draw(st.integers(1, 3))
    Xs = [[data.draw(_w) for _ in range(n_in)] for _ in range(n)]
    Ys = [[data.draw(_w)] for _ in range(n)]
    compare(layers, Xs, Ys, data.draw(st.sampled_from(["mse", "squared_error"])), name, h)
