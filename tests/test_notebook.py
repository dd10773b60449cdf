"""The library in a notebook: nnsolve.solve(path | YAML text | dict | spec) → a Solution that
Jupyter shows as Markdown maths, with .to(format) and .data; errors as ProblemError."""

import json
import os
import subprocess
import sys
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner

import nnsolve
from nnsolve.cli import cli
from nnsolve.errors import ProblemError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "problems", "seed-backprop.yaml")
REG = {"kind": "regularize", "p": 2, "alpha": 0.1, "weights": [1, -2, 0.5]}


def cli_output(*args):
    r = CliRunner().invoke(cli, list(args))
    assert r.exit_code == 0, r.output
    return r.stdout


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "json"])
def test_to_is_the_command_lines_output(fmt):
    sol = nnsolve.solve(SEED)
    assert sol.to(fmt) == cli_output("backprop", SEED, "--format", fmt)


def test_path_text_dict_and_spec_give_the_same_solution(tmp_path):
    text = open(SEED).read()
    import yaml
    as_dict = yaml.safe_load(text)
    expected = cli_output("backprop", SEED, "--format", "json")
    from pathlib import Path
    for problem in (SEED, Path(SEED), text, as_dict, nnsolve.load_problem(SEED)):
        assert nnsolve.solve(problem).to("json") == expected
    assert nnsolve.solve(SEED).data["steps"][0]["loss"] == 9


def test_a_dict_with_numpy_arrays_and_fractions():
    sol = nnsolve.solve({"kind": "regularize", "p": 2, "alpha": Fraction(1, 10),
                         "weights": np.array([1, -2, 0.5]), "learning_rate": np.float64(0.5)})
    # by hand: penalty 0.1·(1 + 4 + 0.25) = 0.525; gradient 2·0.1·w = [0.2, -0.4, 0.1];
    # w − 0.5·gradient = [0.9, -1.8, 0.45]
    d = json.loads(sol.to("json"))
    assert d["penalty"] == 0.525
    assert d["penalty_gradient"] == [0.2, -0.4, 0.1]
    assert d["weights_new"] == [0.9, -1.8, 0.45]
    assert sol.data["penalty"] == Fraction(21, 40)      # exact: read from the numbers' text


def test_kind_for_a_problem_without_one():
    text = "input: [[1, 2], [3, 4]]\nkernel: [[1, 0], [0, 1]]\n"
    sol = nnsolve.solve(text, kind="conv")
    assert sol.kind == "conv" and sol.data["output"].tolist() == [[5]]    # 1·1 + 4·1
    with pytest.raises(ProblemError, match="missing field `kind`"):
        nnsolve.solve(text)


def test_errors_name_file_line_and_field(tmp_path):
    bad = {"kind": "backprop", "input": [1], "target": [2], "loss": "squared_error",
           "learning_rate": 0.1, "layers": [{"weights": [[1, 2]]}]}
    with pytest.raises(ProblemError) as e:
        nnsolve.solve(bad)
    assert (e.value.path, e.value.line, e.value.col, e.value.field) == \
        ("<dict>", None, None, "input")
    assert str(e.value) == "<dict>: input: expected 2 values (layer 1 has 2 input columns), got 1"
    text = ("kind: backprop\ninput: [1]\ntarget: [2]\nlayers:\n  - weights: [[1, 2]]\n"
            "loss: squared_error\nlearning_rate: 0.1\n")
    with pytest.raises(ProblemError) as e:
        nnsolve.solve(text)
    assert (e.value.path, e.value.line, e.value.field) == ("<string>", 2, "input")
    p = tmp_path / "p.yaml"
    p.write_text(text)
    with pytest.raises(ProblemError) as e:
        nnsolve.solve(str(p))
    assert (e.value.path, e.value.line, e.value.col, e.value.field) == (str(p), 2, 8, "input")
    with pytest.raises(ProblemError, match="no such file"):
        nnsolve.solve(str(tmp_path / "nope.yaml"))
    with pytest.raises(ProblemError) as e:
        nnsolve.solve({"kind": "regularize", "p": 2, "alpha": 0.1, "weigths": [1]})
    assert e.value.field == "weigths" and e.value.line is None and "did you mean" in str(e.value)
    with pytest.raises(TypeError):
        nnsolve.solve(3)
    assert nnsolve.ProblemError is ProblemError


def test_jupyter_reprs():
    sol = nnsolve.solve(REG)
    assert sol._repr_markdown_() == sol.to("markdown")
    assert "$$" in sol._repr_markdown_()
    assert str(sol) == sol.to("text")
    assert repr(sol) == "<Solution regularize: The p-norm penalty and its gradient>"
    with pytest.raises(ValueError, match="unknown format 'pdf'"):
        sol.to("pdf")


def test_nnsolve_solve_stays_the_function_whatever_is_imported_first():
    code = ("import nnsolve.solve, nnsolve.check, nnsolve\n"
            "print(nnsolve.solve({'kind': 'shape', 'input': [1, 4, 4], "
            "'layers': [{'conv': {'filters': 2, 'kernel': 2}}]}).data['total_parameters'])\n"
            "from nnsolve import solve\n"
            "print(solve('problems/seed-shape.yaml').data['output_shape'])\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split("\n")[:2] == ["10", "[2, 3, 3]"]     # 2·(2·2 + 1); seed 2.2


def test_the_readmes_library_example_runs_as_written():
    # `from nnsolve import load_problem, solve, render`: loading imports nnsolve.render, which
    # bound the name `render` to the module (TypeError: 'module' object is not callable)
    code = ("from nnsolve import load_problem, solve, render\n"
            "print(render(solve(load_problem('problems/seed-backprop.yaml')), 'markdown')"
            ".count('$$') > 0)\n"
            "import nnsolve, nnsolve.render as r\n"
            "print(r(nnsolve.solve('problems/seed-shape.yaml'), 'json')[:1])\n")
    p = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True,
                       env=dict(os.environ, PYTHONPATH=ROOT), timeout=120)
    assert p.returncode == 0, p.stderr
    assert p.stdout.split("\n")[:2] == ["True", "{"]


def test_a_real_notebook_shows_the_solution_typeset():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    cells = [
        f"import sys; sys.path.insert(0, {ROOT!r})\nimport nnsolve",
        'nnsolve.solve("problems/seed-backprop.yaml")',
        "from IPython.display import display\n"
        "display(nnsolve.solve({'kind': 'regularize', 'p': 2, 'alpha': 0.1, "
        "'weights': [1, -2, 0.5]}))",
        "try:\n    nnsolve.solve({'kind': 'regularize', 'p': 0, 'alpha': 0.1, 'weights': [1]})\n"
        "except nnsolve.ProblemError as e:\n    print(e.path, e.line, e.field)",
    ]
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": ROOT}}).execute()
    out = nb.cells[1].outputs
    assert [o["output_type"] for o in out] == ["execute_result"]
    data = out[0]["data"]
    assert set(data) == {"text/markdown", "text/plain"}
    assert data["text/markdown"] == nnsolve.solve(SEED).to("markdown")
    assert "\\frac{\\partial J}{\\partial w^{(3)}_ {1,2}}" in data["text/markdown"]
    assert "∂J/∂w⁽³⁾₁,₂ = ∂J/∂a⁽³⁾ · h⁽²⁾₂ = -6 · 3 = -18" in data["text/plain"]
    out = nb.cells[2].outputs
    assert [o["output_type"] for o in out] == ["display_data"]
    assert out[0]["data"]["text/markdown"] == nnsolve.solve(REG).to("markdown")
    assert "0.1 \\cdot" in out[0]["data"]["text/markdown"]
    out = nb.cells[3].outputs
    assert out[0]["output_type"] == "stream" and out[0]["text"] == "<dict> None p\n"
