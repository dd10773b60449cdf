"""Adding an activation is one definition: a class registered in a test is accepted at once by
backprop, conv --activation, shape stacks, check and new."""

import json
import os

import numpy as np
import pytest
from click.testing import CliRunner

from nnsolve.cli import cli
from nnsolve.ops import registry
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
    assert "sq′(a) = 2 · a" in text or "sq′" in text
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
    assert "square_test" in r.output
