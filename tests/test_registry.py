"""Adding an activation is one definition: a class registered in a test is accepted at once by
backprop, conv --activation, shape stacks, check, new and graph."""

import json

import numpy as np
import pytest
from click.testing import CliRunner

from nnsolve.cli import cli
from nnsolve.ops import registry
from nnsolve.ops import scalar  # imported before the test registers its activation
from nnsolve.ops.activations import Activation


@pytest.fixture
def square():
    """h = a², f′(a) = 2a: rational, so exact."""
    from nnsolve.expr import Num, mul

    @registry.activation
    class Square(Activation):
        key, symbol, rational = "square_test", "sq", True

        def f(self, a):
            return a * a

        def fprime(self, a, h):
            return a * 2

        def rule(self, a, h):
            return mul(Num(2), a)
    yield Square
    registry.activations().pop("square_test")


def run(args, tmp_path):
    return CliRunner().invoke(cli, args, catch_exceptions=False)


def test_a_registered_activation_is_accepted_everywhere(square, tmp_path):
    p = tmp_path / "bp.yaml"
    p.write_text("kind: backprop\ninput: [3]\ntarget: [1]\nlayers:\n"
                 "  - weights: [[1], [-1]]\n    activation: square_test\n"
                 "  - weights: [[1, 1]]\nloss: squared_error\nlearning_rate: 0.01\n")
    r = run(["backprop", str(p), "--format", "json"], tmp_path)
    assert r.exit_code == 0, r.output
    step = json.loads(r.output)["steps"][0]
    # a = [3, −3], h = [9, 9], ŷ = 18, ∂J/∂ŷ = −2(1 − 18) = 34, ∂J/∂a = 34 · 2a = [204, −204]
    assert step["layers"][0]["h"] == [9, 9] and step["output"] == [18]
    assert step["layers"][0]["dJ_da"] == [204, -204]
    text = run(["backprop", str(p)], tmp_path).output
    # the derivative rule, written from Square.rule, then used with the unit's a
    lines = [line.strip() for line in text.splitlines()]
    assert "sq′(a) = 2 · a" in lines
    assert "∂J/∂a⁽¹⁾₁ = ∂J/∂h⁽¹⁾₁ · sq′(a⁽¹⁾₁) = 34 · (2 · 3) = 34 · 6 = 204" in lines
    assert "∂J/∂a⁽¹⁾₂ = ∂J/∂h⁽¹⁾₂ · sq′(a⁽¹⁾₂) = 34 · (2 · (-3)) = 34 · (-6) = -204" in lines
    i, k = tmp_path / "i.txt", tmp_path / "k.txt"
    i.write_text("1 2\n3 4\n")
    k.write_text("1\n")
    r = run(["conv", "--input", str(i), "--kernel", str(k), "--activation", "square_test",
             "--format", "json"], tmp_path)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["output"] == [[1, 4], [9, 16]]
    s = tmp_path / "shape.yaml"
    s.write_text("kind: shape\ninput: [1, 4, 4]\nlayers:\n  - conv: {filters: 2, kernel: 3}\n"
                 "  - square_test\n  - flatten\n")
    r = run(["shape", str(s), "--format", "json"], tmp_path)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["output_shape"] == [8]
    a = tmp_path / "answers.yaml"
    a.write_text("problem: bp.yaml\nanswers:\n  layers: {1: {dJ_da: [204, -204]}}\n")
    r = run(["check", str(a)], tmp_path)
    assert r.exit_code == 0, r.output
    r = run(["new", "backprop", "--seed", "1", "--activation", "square_test"], tmp_path)
    assert r.exit_code == 0, r.output
    # the generated layers use it (the first line, a comment, echoes the command), and it solves
    import yaml
    generated = yaml.safe_load(r.output)
    assert "square_test" in [layer.get("activation") for layer in generated["layers"]]
    g = tmp_path / "generated.yaml"
    g.write_text(r.output)
    assert run(["backprop", str(g)], tmp_path).exit_code == 0
    # graph (nnsolve.ops.scalar was imported before Square was registered): f = sq(x) · y + x at
    # x = 3, y = −2: f = 9 · (−2) + 3 = −15, ∂f/∂x = 2x · y + 1 = −11, ∂f/∂y = x² = 9
    assert scalar.FUNCTIONS["square_test"] == 1 and scalar.OPS["square_test"].arity == 1
    q = tmp_path / "graph.yaml"

    def graph(x):
        q.write_text(f"kind: graph\ninputs: {{x: {x}, y: -2}}\n"
                     "nodes:\n  q: square_test(x)\n  f: q * y + x\n")
        r = run(["graph", str(q), "--format", "json"], tmp_path)
        assert r.exit_code == 0, r.output
        return json.loads(r.output)
    # central differences, exact for f quadratic in x whatever the step: (f(4) − f(2)) / 2
    slope = (graph(4)["values"]["f"] - graph(2)["values"]["f"]) / 2
    g = graph(3)
    assert g["values"]["q"] == 9 and g["values"]["f"] == -15
    assert g["gradients"]["q"] == -2 and g["gradients"]["y"] == 9
    assert g["gradients"]["x"] == -11 == slope
    lines = [line.strip() for line in run(["graph", str(q)], tmp_path).output.splitlines()]
    assert "∂q/∂x = 2 · x = 2 · 3 = 6" in lines
    r = run(["graph", "square_test(x) * y", "--at", "x=3,y=2", "--format", "json"], tmp_path)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["gradients"]["x"] == 12


def test_an_unregistered_activation_is_unknown_to_graph(square, tmp_path):
    """graph reads the registry when it parses: once the activation is removed, it is unknown."""
    registry.activations().pop("square_test")
    try:
        r = CliRunner().invoke(cli, ["graph", "square_test(x)", "--at", "x=3"])
        assert r.exit_code == 1
        assert r.stderr.strip() == ("Error: <expression>:1:1: unknown function square_test; "
                                    "expected one of: exp, log, sqrt, relu, relu6, sigmoid, tanh, "
                                    "abs, max, min")
    finally:
        registry.activations()["square_test"] = square


# --- relu6: one definition in ops/activations.py, accepted by every command ---------------------

RELU6_BP = ("kind: backprop\ninput: [3]\ntarget: [1]\nlayers:\n"
            "  - weights: [[1], [-1], [3]]\n    activation: relu6\n"
            "  - weights: [[1, 1, 1]]\nloss: squared_error\nlearning_rate: 0.01\n")


def test_relu6_is_accepted_everywhere(tmp_path):
    assert "relu6" in registry.activations()
    p = tmp_path / "bp.yaml"
    p.write_text(RELU6_BP)
    r = run(["backprop", str(p), "--format", "json"], tmp_path)
    assert r.exit_code == 0, r.output
    step = json.loads(r.output)["steps"][0]
    # a = (3, −3, 9), h = (3, 0, 6) (9 clipped at 6), ŷ = 9, ∂J/∂ŷ = −2(1 − 9) = 16,
    # ∂J/∂h⁽¹⁾ = 16 · (1, 1, 1), ReLU6′(a) = (1, 0, 0): ∂J/∂a⁽¹⁾ = (16, 0, 0), ∂J/∂W⁽¹⁾ = (48, 0, 0)
    assert step["layers"][0]["a"] == [3, -3, 9] and step["layers"][0]["h"] == [3, 0, 6]
    assert step["output"] == [9]
    assert step["layers"][0]["dJ_da"] == [16, 0, 0]
    assert step["layers"][0]["dJ_dW"] == [[48], [0], [0]]
    text = run(["backprop", str(p)], tmp_path).output
    assert "ReLU6′(9) = 16 · 0" in text and "if 0 < a < 6" in text
    i, k = tmp_path / "i.txt", tmp_path / "k.txt"
    i.write_text("1 2 7\n-3 4 8\n")
    k.write_text("1\n")
    r = run(["conv", "--input", str(i), "--kernel", str(k), "--activation", "relu6",
             "--format", "json"], tmp_path)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["output"] == [[1, 2, 6], [0, 4, 6]]
    s = tmp_path / "shape.yaml"
    s.write_text("kind: shape\ninput: [1, 4, 4]\nlayers:\n  - conv: {filters: 2, kernel: 3}\n"
                 "  - relu6\n  - flatten\n")
    r = run(["shape", str(s), "--format", "json"], tmp_path)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["output_shape"] == [8]
    # the ReLU6 gate ignored (f′ = 1 everywhere): ∂J/∂a⁽¹⁾ = (16, 16, 16)
    a = tmp_path / "answers.yaml"
    a.write_text("problem: bp.yaml\nanswers:\n  layers: {1: {dJ_da: [16, 16, 16]}}\n")
    r = run(["check", str(a), "--format", "json"], tmp_path)
    field = json.loads(r.output)["files"][0]["fields"][0]
    assert not field["correct"] and field["mistake"]["names"] == ["relu_gate_ignored"]
    a.write_text("problem: bp.yaml\nanswers:\n  layers: {1: {dJ_da: [16, 0, 0]}}\n")
    assert run(["check", str(a)], tmp_path).exit_code == 0
    r = run(["new", "backprop", "--seed", "1", "--activation", "relu6"], tmp_path)
    assert r.exit_code == 0, r.output
    assert "activation: relu6" in r.output
    # graph: ∂f/∂x = y · ReLU6′(x) = 2 inside (0, 6), 0 above 6
    r = run(["graph", "relu6(x) * y", "--at", "x=3,y=2", "--format", "json"], tmp_path)
    assert r.exit_code == 0, r.output
    g = json.loads(r.output)
    assert g["gradients"]["x"] == 2 and g["values"]["f"] == 6
    r = run(["graph", "relu6(x) * y", "--at", "x=7,y=2", "--format", "json"], tmp_path)
    g = json.loads(r.output)
    assert g["gradients"]["x"] == 0 and g["values"]["f"] == 12


def test_relu6_gradient_is_pytorchs_at_the_kinks():
    """ReLU6 is hardtanh(a, 0, 6) in PyTorch: its gradient is 0 at exactly 0 and at 6."""
    from fractions import Fraction
    op = registry.activation_class("relu6")()
    a = np.array([Fraction(v) for v in (-1, 0, 3, 6, 7)], dtype=object)
    h = op.f(a)
    assert h.tolist() == [0, 0, 3, 6, 6]
    assert op.fprime(a, h).tolist() == [0, 0, 1, 0, 0]
    assert op.kinks == (0, 6)


def test_relu6_gradient_agrees_with_central_differences():
    """f′ against (f(a + ε) − f(a − ε)) / 2ε at random points at least 0.01 from 0 and 6, in
    float and exact arithmetic."""
    from fractions import Fraction
    op = registry.activation_class("relu6")()
    rng = np.random.default_rng(6)
    a = rng.uniform(-4, 10, 400)
    a = a[(np.abs(a) > 0.01) & (np.abs(a - 6) > 0.01)]
    eps = 1e-4
    fd = (op.f(a + eps) - op.f(a - eps)) / (2 * eps)
    assert np.allclose(op.fprime(a, op.f(a)), fd, atol=1e-9)
    ax = np.array([Fraction(x).limit_denominator(1000) for x in a[:50]], dtype=object)
    e = Fraction(1, 10 ** 6)
    fdx = (op.f(ax + e) - op.f(ax - e)) / (2 * e)
    assert op.fprime(ax, op.f(ax)).tolist() == fdx.tolist()


def test_new_backprop_avoids_relu6s_kink_at_6():
    """Without --allow-zero, no generated relu6 exercise puts a unit exactly at a kink (0 or 6),
    where the derivative is a convention."""
    from nnsolve.kinds.backprop.generate import new_backprop
    seen = 0
    for seed in range(1, 60):     # with the kink at 0 only, seeds 26, 43, 45 and 58 hit a = 6
        gen = new_backprop(seed, [1, 2, 2, 1], "relu6", "squared_error", False, False, "test")
        for layer in gen.data["steps"][0]["layers"][:-1]:
            seen += 1
            assert not set(np.asarray(layer["a"]).ravel().tolist()) & {0, 6}
    assert seen
