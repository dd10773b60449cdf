"""The JSON renderer: json.dumps(indent=2, sort_keys=True)'s layout for small problems, large
arrays one row per line, and the same data either way."""

import json
import os
from fractions import Fraction as F

import numpy as np
import pytest
from click.testing import CliRunner

from nnsolve.cli import cli
from nnsolve.load import load_problem
from nnsolve.render.base import RenderOptions
from nnsolve.render.json import COMPACT_SIZE, plain, render_json
from nnsolve.solution import Solution
from nnsolve.solve import SolveOptions, solve

HERE = os.path.dirname(os.path.abspath(__file__))
PROBLEMS = os.path.join(os.path.dirname(HERE), "problems")


def small_layout(data) -> str:
    """The layout every JSON used to have: one number per line."""
    return json.dumps(plain(data), sort_keys=True, indent=2, allow_nan=False) + "\n"


def rendered(data) -> str:
    return render_json(Solution("test", None, [], data), RenderOptions())


def same_types(a, b) -> bool:
    """Equal, and every number of the same JSON type (int stays int, float stays float)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(same_types(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_types(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.parametrize("name", sorted(f for f in os.listdir(PROBLEMS) if f.endswith(".yaml")))
def test_small_problems_keep_the_indent_2_layout_byte_for_byte(name):
    sol = solve(load_problem(os.path.join(PROBLEMS, name)), SolveOptions())
    data = sol.data
    assert render_json(sol, RenderOptions()) == small_layout(data)


def test_large_float_problem_equals_the_small_layout():
    rng = np.random.default_rng(1)
    data = {"kind": "x", "format_version": 1, "W": rng.normal(size=(40, 30)),
            "v": rng.normal(size=2000), "t": rng.normal(size=(3, 20, 20)),
            "small": np.array([[1.0, 2.5], [3.0, -0.0]]), "n": None, "flag": True,
            "exact": np.array([F(1, 2), F(3)], dtype=object), "loss": F(9),
            "rows": [{"b": np.zeros(1200), "a": 1}], "empty": [], "none": {}}
    text = rendered(data)
    assert same_types(json.loads(text), json.loads(small_layout(data)))
    assert text.count("\n") < 200                  # rows, not one number per line
    assert list(json.loads(text)) == sorted(data)  # keys still sorted


def test_large_array_rows_one_per_line():
    W = np.arange(1.5, 1.5 + 64 * 20).reshape(64, 20)
    text = rendered({"W": W})
    lines = text.splitlines()
    assert lines[1] == '  "W": ['
    assert lines[2] == "    " + json.dumps(W[0].tolist()) + ","
    assert len(lines) == 64 + 4
    assert json.loads(text)["W"] == W.tolist()


def test_large_exact_and_integer_arrays_keep_int_values():
    ex = np.array([F(k, 2) for k in range(COMPACT_SIZE + 2)], dtype=object).reshape(2, -1)
    ints = np.arange(COMPACT_SIZE + 1)
    text = rendered({"ex": ex, "ints": ints})
    back = json.loads(text)
    assert same_types(back, json.loads(small_layout({"ex": ex, "ints": ints})))
    assert back["ex"][0][2] == 1 and isinstance(back["ex"][0][2], int)
    assert isinstance(back["ints"][5], int)


def test_non_finite_values_are_refused():
    with pytest.raises(ValueError):
        rendered({"W": np.full(COMPACT_SIZE + 1, np.nan)})
    with pytest.raises(ValueError):
        rendered({"x": float("inf")})


def test_large_backprop_json_through_the_cli(tmp_path):
    rng = np.random.default_rng(3)
    np.save(tmp_path / "W1.npy", rng.normal(size=(40, 30)))
    np.save(tmp_path / "W2.npy", rng.normal(size=(3, 40)))
    np.save(tmp_path / "X.npy", rng.normal(size=(5, 30)))
    np.save(tmp_path / "Y.npy", rng.normal(size=(5, 3)))
    (tmp_path / "p.yaml").write_text(
        "samples: {inputs: X.npy, targets: Y.npy}\n"
        "layers: [{weights: W1.npy, activation: relu}, {weights: W2.npy}]\n"
        "loss: mse\nlearning_rate: 0.01\nsteps: 2\n")
    result = CliRunner().invoke(cli, ["backprop", str(tmp_path / "p.yaml"), "--format", "json"])
    assert result.exit_code == 0, result.output
    sol = solve(load_problem(str(tmp_path / "p.yaml"), "backprop"), SolveOptions())
    old = small_layout(sol.data)
    assert same_types(json.loads(result.output), json.loads(old))
    assert result.output.count("\n") < old.count("\n") / 2


# --- reading: libyaml composes, the pure-Python loader's positions and messages are kept -------
from nnsolve.errors import ProblemError           # noqa: E402
from nnsolve.load.yamldoc import doc_from_text     # noqa: E402


def test_inline_matrix_read_exactly_with_positions():
    doc = doc_from_text("kind: regularize\nweights: [[0.1, '1/3', 1e-3], [2, -4, 5]]\n", "p.yaml")
    w = doc["weights"]
    arr = w.array()
    assert arr.dtype == object and arr.tolist() == [[F(1, 10), F(1, 3), F(1, 1000)],
                                                    [F(2), F(-4), F(5)]]
    assert (w.line, w.col) == (2, 10)
    assert (w.items()[1].items()[2].line, w.items()[1].items()[2].col) == (2, 39)


@pytest.mark.parametrize("text, where, what", [
    ("weights: [[1, x], [2, 3]]\n", "1:15: weights[0][1]", "expected a number"),
    ("weights: [[1, 2], [3]]\n", "1:19: weights[1]", "ragged matrix"),
    ("weights: [[1, true]]\n", "1:15: weights[0][1]", "expected a number"),
    ("a: [1, 2\nb: 3\n", "p.yaml:2:", "invalid YAML"),
])
def test_errors_name_the_place(text, where, what):
    with pytest.raises(ProblemError) as e:
        doc_from_text(text, "p.yaml")["weights"].array()
    assert where in str(e.value) and what in str(e.value)
