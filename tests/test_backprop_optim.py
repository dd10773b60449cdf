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
        if "gamma" in L:
            lines.append(f"  - batchnorm: {{gamma: {L['gamma']}, beta: {L['beta']}, "
                         f"epsilon: {L['eps']}}}")
            continue
        lines.append(f"  - weights: {L['W']}")
        if L.get("b") is not None:
            lines.append(f"    bias: {L['b']}")
        lines.append(f"    activation: {L['act']}")
    opt = ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}"
                    for k, v in optimizer.items())
    if isinstance(loss, tuple):          # ("hinge", Δ)
        lines += ["loss: hinge", f"margin: {loss[1]}"]
    else:
        lines.append(f"loss: {loss}")
    if optimizer.get("name"):
        lines.append(f"optimizer: {{{opt}}}")
    else:
        lines.append(f"learning_rate: {optimizer['learning_rate']}")
    lines += [f"steps: {steps}", extra]
    return "\n".join(lines) + "\n"


def compare(layers, X, Y, loss, name, h, steps=3, update_bias=True):
    """nnsolve's JSON against the reference, step by step (``name`` None: plain gradient
    descent, as the reference's sgd without momentum)."""
    opt = {"name": name, "learning_rate": h["lr"]}
    opt.update({k: v for k, v in h.items() if k != "lr"})
    text = yaml_of(layers, X, Y, loss, opt, steps,
                   "" if update_bias else "update_bias: false")
    data = json.loads(render(solve_text(text), "json"))
    net = Net([{k: (json.loads(json.dumps(v)) if isinstance(v, list) else v)
                for k, v in L.items()} for L in layers], X, Y, loss)
    slots, run, records = net.train(name or "sgd", h, steps,
                                    frozen=() if update_bias else ("b",))
    for k in range(steps):
        st_ = data["steps"][k]
        J_ref, _ = records[k]
        assert st_["loss"] == pytest.approx(J_ref, rel=1e-9, abs=1e-9)
        theta_ref, state_ref = run[k]
        ours, ours_state = [], {}
        for L, lj in zip(layers, st_["layers"]):
            bn = "gamma" in L
            for pname in (("gamma", "beta") if bn else ("W", "b")):
                if L.get(pname) is None or (pname == "b" and not update_bias):
                    continue
                ours += list(np.ravel(lj[pname + "_new"]))
                if name is None:
                    continue
                for sname, v in lj["state"][pname].items():
                    if sname == "step":
                        assert v == k + 1
                    else:
                        ours_state.setdefault(sname, []).extend(np.ravel(v))
            if not update_bias and L.get("b") is not None:
                assert "b" not in lj["state"] and lj["b_new"] == lj["b"]
            if bn:
                assert lj["type"] == "batchnorm"
        assert np.allclose(ours, theta_ref, rtol=1e-9, atol=1e-9), (k, ours, theta_ref)
        for sname, v in state_ref.items():
            if sname == "step" or name is None:
                continue
            assert np.allclose(ours_state[sname], v, rtol=1e-9, atol=1e-9), (k, sname)
        if name is not None:
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
    # centered, lr_decay, initial_accumulator_value, amsgrad, maximize
    ("rmsprop", {"lr": 0.01, "centered": True}),
    ("rmsprop", {"lr": 0.01, "centered": True, "momentum": 0.9, "alpha": 0.9,
                 "weight_decay": 0.05}),
    ("adagrad", {"lr": 0.5, "lr_decay": 0.1, "initial_accumulator_value": 0.25}),
    ("adam", {"lr": 0.1, "amsgrad": True, "beta2": 0.5}),
    ("adamw", {"lr": 0.1, "amsgrad": True, "beta1": 0.5, "beta2": 0.6}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "weight_decay": 0.01, "maximize": True}),
    ("adam", {"lr": 0.1, "weight_decay": 0.1, "maximize": True}),
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
def hyper(draw, names=("sgd", "adagrad", "rmsprop", "adam", "adamw")):
    name = draw(st.sampled_from(names))
    h = {"lr": draw(st.sampled_from([0.01, 0.05, 0.1, 0.5]))}
    if draw(st.booleans()):
        h["weight_decay"] = draw(st.sampled_from([0.01, 0.1]))
    if name == "sgd":
        h["momentum"] = draw(st.sampled_from([0, 0.5, 0.9]))
        if h["momentum"] and draw(st.booleans()):
            h["nesterov"] = True
        elif draw(st.booleans()):
            h["dampening"] = draw(st.sampled_from([0.1, 0.5]))
    if name == "adagrad":
        h["lr_decay"] = draw(st.sampled_from([0, 0.1, 1]))
        h["initial_accumulator_value"] = draw(st.sampled_from([0, 0.1, 2]))
    if name == "rmsprop":
        h["alpha"] = draw(st.sampled_from([0.5, 0.9, 0.99]))
        h["momentum"] = draw(st.sampled_from([0, 0.5]))
        h["centered"] = draw(st.booleans())
    if name in ("adam", "adamw"):
        h["beta1"] = draw(st.sampled_from([0.5, 0.9]))
        h["beta2"] = draw(st.sampled_from([0.5, 0.9, 0.999]))
        h["amsgrad"] = draw(st.booleans())
    h["maximize"] = draw(st.booleans())
    return name, h


@pytest.mark.parametrize("optimizer", ["sgd", "adagrad", "rmsprop", "adam", "adamw"])
@settings(max_examples=12, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.data())
def test_property_random_networks(optimizer, n_in, n_hidden, data):
    """Each optimizer on its own (so that every one is drawn), any of its options."""
    name, h = data.draw(hyper((optimizer,)))
    act = data.draw(st.sampled_from(["tanh", "sigmoid", "linear"]))
    layers = [{"W": [[data.draw(_w) for _ in range(n_in)] for _ in range(n_hidden)],
               "b": [data.draw(_w) for _ in range(n_hidden)], "act": act},
              {"W": [[data.draw(_w) for _ in range(n_hidden)]], "b": None, "act": "linear"}]
    n = data.draw(st.integers(1, 3))
    Xs = [[data.draw(_w) for _ in range(n_in)] for _ in range(n)]
    Ys = [[data.draw(_w)] for _ in range(n)]
    compare(layers, Xs, Ys, data.draw(st.sampled_from(["mse", "squared_error"])), name, h)


# --- batch norm and the hinge loss in a network, against the same reference ------------------

BN_NET = [{"W": [[1.0, 0.5], [-0.5, 1.0], [0.25, -1.0]], "b": None, "act": "linear"},
          {"gamma": [1.0, 2.0, 0.5], "beta": [0.0, 0.5, -0.25], "eps": 1e-05},
          {"W": [[1.0, -1.0, 0.5]], "b": [0.1], "act": "tanh"}]
BN_X = [[1.0, 2.0], [2.0, 0.0], [0.0, 1.0], [-1.0, 0.5]]
BN_Y = [[1.0], [0.0], [0.5], [-0.5]]


@pytest.mark.parametrize("name,h", [(None, {"lr": 0.1}), CASES[1], CASES[8], CASES[5]])
def test_batchnorm_network_against_the_reference(name, h):
    """Three steps through a batch norm: loss, γ, β and every weight, with or without an
    optimizer; the reference differentiates the plain loops by the complex step."""
    compare(BN_NET, BN_X, BN_Y, "mse", name, h)


def test_batchnorm_first_layer_and_frozen_biases():
    layers = [{"gamma": [2.0, 1.0], "beta": [0.5, 0.0], "eps": 0.001},
              {"W": [[1.0, -0.5], [0.5, 0.25]], "b": [0.1, -0.1], "act": "sigmoid"},
              {"W": [[1.0, 1.0]], "b": [0.0], "act": "linear"}]
    compare(layers, BN_X, BN_Y, "squared_error", "adam", {"lr": 0.1}, update_bias=False)


HINGE_NET = [{"W": [[0.5, -1.0], [1.0, 0.25], [-0.5, 0.75]], "b": [0.1, 0.0, -0.2],
              "act": "linear"}]


@pytest.mark.parametrize("delta", [1, 0.5])
def test_hinge_network_against_the_reference(delta):
    X = [[1.0, 2.0], [-1.0, 0.5], [2.0, -1.0]]
    Y = [[1.0, 0.0, 0.0], [0.0, 0.0, 1.0], [0.0, 1.0, 0.0]]
    compare(HINGE_NET, X, Y, ("hinge", delta), None, {"lr": 0.1})
    compare(HINGE_NET, X, Y, ("hinge", delta), "adam", {"lr": 0.1})


def test_cs231n_svm_numbers(problems_dir):
    """CS231n's three images: losses 2.9, 0 and 12.9, exact; their mean 15.8/3 (≈ 5.27)."""
    import os
    from fractions import Fraction
    from nnsolve.load import load_problem
    sol = solve(load_problem(os.path.join(problems_dir, "svm-hinge.yaml")), SolveOptions())
    step = sol.data["steps"][0]
    assert step["loss"] == Fraction(79, 15)
    text = render(sol, "text")
    assert "max(0, 5.1 − 3.2 + 1) + max(0, -1.7 − 3.2 + 1) = 2.9 + 0 = 2.9" in text
    assert "= 6.3 + 6.6 = 12.9" in text


def test_hinge_margin_zero_said_aloud():
    text = render(solve_text("""
kind: backprop
input: [1]
target: 0
layers:
  - weights: [[2], [1], [0]]
loss: hinge
learning_rate: 0.1
"""), "text")
    assert "margin ŷ₂ − ŷ₁ + Δ is 1 − 2 + 1 = 0, exactly 0, so ∂L/∂ŷ₂ = 0" in text
    assert "subgradient 0 is taken there" in text


def test_adam_text_lets_a_student_follow_every_number(problems_dir):
    """Every number of one parameter's Adam step in the text, in order, from g to the update."""
    import os
    from nnsolve.load import load_problem
    text = render(solve(load_problem(os.path.join(problems_dir, "adam-two-steps.yaml")),
                        SolveOptions()), "text")
    block = text[text.index("w⁽²⁾₁,₂:"):]
    lines = [l.strip() for l in block.splitlines()[1:7]]
    assert lines == [
        "g₁ = ∂J/∂w⁽²⁾₁,₂ = -4",
        "m₁ ← β₁ · m₀ + (1 − β₁) · g₁ = 0.9 · 0 + (1 − 0.9) · (-4) = -0.4",
        "v₁ ← β₂ · v₀ + (1 − β₂) · g₁² = 0.999 · 0 + (1 − 0.999) · (-4)² = 0.016",
        "m̂₁ = m₁/(1 − β₁¹) = -0.4/(1 − 0.9¹) = -4",
        "v̂₁ = v₁/(1 − β₂¹) = 0.016/(1 − 0.999¹) = 16",
        "w⁽²⁾₁,₂ ← w⁽²⁾₁,₂ − η · m̂₁/(√v̂₁ + ε) = -1 − 0.1 · (-4/(√16 + 1e-8)) ≈ -0.9"], lines
    # step 2 starts from the state of step 1
    step2 = text[text.index("Step 2 of 2"):]
    block = step2[step2.index("w⁽²⁾₁,₂:"):]
    assert "m₂ ← β₁ · m₁ + (1 − β₁) · g₂ ≈ 0.9 · (-0.4) + (1 − 0.9) · " in block
