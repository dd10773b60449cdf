"""graph with `optimizer:`: the parameters' steps equal torch.optim's rules (the plain-loop
reference of tests/torch_reference.py) to 1e-9, and the first Adam step of θ² from θ = 1 with
η = 0.1 is θ = 0.9."""

import json

import pytest

from torch_reference import optimizer_run

from nnsolve.load import parse_problem
from nnsolve.load.yamldoc import doc_from_text
from nnsolve.render import render
from nnsolve.solve import SolveOptions, solve


def solved(text):
    return solve(parse_problem(doc_from_text(text, "g.yaml"), "graph"), SolveOptions())


def test_first_adam_step_of_theta_squared():
    sol = solved("""
kind: graph
inputs: {theta: 1}
nodes:
  f: theta ** 2
parameters: [theta]
optimizer: {name: adam, learning_rate: 0.1}
""")
    step = sol.data["steps"][0]
    assert step["parameters_new"]["theta"] == pytest.approx(0.9, abs=1e-9)
    from fractions import Fraction
    # m₁ = 0.1·2 and v₁ = 0.001·4 stay exact
    assert step["state"]["theta"] == {"exp_avg": Fraction(1, 5), "exp_avg_sq": Fraction(1, 250),
                                      "step": 1}
    text = render(sol, "text")
    assert "θ ← θ − η · m̂₁/(√v̂₁ + ε) = 1 − 0.1 · 2/(√4 + 1e-8) ≈ 0.9" in text


@pytest.mark.parametrize("name,h", [
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.05, "momentum": 0.5, "nesterov": True, "weight_decay": 0.1}),
    ("adagrad", {"lr": 0.5}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.5}),
    ("adam", {"lr": 0.1}),
    ("adamw", {"lr": 0.1, "weight_decay": 0.5}),
    ("rmsprop", {"lr": 0.01, "centered": True, "momentum": 0.5}),
    ("adagrad", {"lr": 0.5, "lr_decay": 0.5, "initial_accumulator_value": 0.1}),
    ("adam", {"lr": 0.1, "amsgrad": True, "beta2": 0.5}),
    ("adamw", {"lr": 0.1, "amsgrad": True, "maximize": True}),
    ("sgd", {"lr": 0.05, "momentum": 0.5, "weight_decay": 0.1, "maximize": True}),
])
def test_three_steps_equal_the_reference(name, h):
    # f = (w·x + b − y)² with x = 2, y = 1: ∂f/∂w = 2(wx + b − y)x, ∂f/∂b = 2(wx + b − y)
    opt = ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}"
                    for k, v in h.items() if k != "lr")
    sol = solved(f"""
kind: graph
inputs: {{w: 0.5, b: -0.25, x: 2, y: 1}}
nodes:
  f: (w * x + b - y) ** 2
parameters: [w, b]
optimizer: {{name: {name}, learning_rate: {h['lr']}{', ' + opt if opt else ''}}}
steps: 3
""")

    def grad(th):
        w, b = th
        r = w * 2 + b - 1
        return [2 * r * 2, 2 * r]
    ref = optimizer_run(name, h, [0.5, -0.25], [grad] * 3)
    data = json.loads(render(sol, "json"))
    for k, (theta, state) in enumerate(ref):
        st = data["steps"][k]
        assert [st["parameters_new"]["w"], st["parameters_new"]["b"]] == \
            pytest.approx(theta, rel=1e-9, abs=1e-9)
        assert set(st["state"]["w"]) == set(state) == set(st["state"]["b"])
        for sname, v in state.items():
            if sname == "step":
                assert st["state"]["w"]["step"] == k + 1
            else:
                assert [st["state"]["w"][sname], st["state"]["b"][sname]] == \
                    pytest.approx(v, rel=1e-9, abs=1e-9)


def test_an_optimizer_needs_parameters():
    from nnsolve.errors import ProblemError
    with pytest.raises(ProblemError, match="an optimizer needs `parameters`"):
        solved("kind: graph\ninputs: {x: 1}\nnodes:\n  f: x * x\noptimizer: adam\n")
