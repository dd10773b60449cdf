"""Sheets: loading (inline problems and `{file: ...}`), solving, rendering, JSON, `nnsolve solve`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from nnsolve.cli import cli
from nnsolve.errors import ProblemError
from nnsolve.load import load_problem
from nnsolve.load.sheet import SheetProblem
from nnsolve.render import render
from nnsolve.solve import solve

ROOT = Path(__file__).resolve().parent.parent

CONV = """kind: conv
title: "2.3 Third question"
input: [[1, 2, 3], [4, 5, 6], [1, 5, 3]]
kernel: [[1, 0], [0, 1]]
"""
REG = """kind: regularize
title: "3 Regularization"
p: 2
alpha: 0.1
weights: [1, -2, 0.5]
"""


def write(dirpath: Path, name: str, text: str) -> Path:
    p = dirpath / name
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


@pytest.fixture
def sheet(tmp_path):
    write(tmp_path, "sub/conv.yaml", CONV)
    return write(tmp_path, "sheet.yaml", """kind: sheet
title: "Sheet 1 & solutions"
problems:
  - file: sub/conv.yaml
  - kind: regularize
    p: 2
    alpha: 0.1
    weights: [1, -2, 0.5]
  - {file: sub/conv.yaml, title: "Again, renamed"}
""")


def test_load_a_sheet(sheet):
    spec = load_problem(str(sheet))
    assert isinstance(spec, SheetProblem) and spec.kind == "sheet"
    assert spec.title == "Sheet 1 & solutions"
    assert [p.kind for p in spec.problems] == ["conv", "regularize", "conv"]
    assert spec.titles == [None, None, "Again, renamed"]


def test_solve_a_sheet_is_one_solution_with_a_section_per_problem(sheet):
    s = solve(load_problem(str(sheet)))
    assert s.kind == "sheet" and s.title == "Sheet 1 & solutions"
    titles = [b.title for b in s.blocks]
    assert titles[0] == "2.3 Third question" and titles[2] == "Again, renamed"
    assert titles[1]      # the solver's own title, or "Problem 2: regularize"
    assert isinstance(s.data, list) and [d["kind"] for d in s.data] == \
        ["conv", "regularize", "conv"]


def test_sheet_json_is_the_list_of_the_problems_json(sheet, tmp_path):
    out = json.loads(render(solve(load_problem(str(sheet))), "json"))
    alone = json.loads(render(solve(load_problem(str(tmp_path / "sub/conv.yaml"))), "json"))
    assert isinstance(out, list) and len(out) == 3
    assert out[0] == alone == out[2]
    assert out[1]["kind"] == "regularize"


@pytest.mark.parametrize("fmt,heading", [("markdown", "## 2.3 Third question"),
                                         ("latex", r"\subsection*{2.3 Third question}"),
                                         ("text", "2.3 Third question")])
def test_sheet_in_every_format(sheet, fmt, heading):
    out = render(solve(load_problem(str(sheet))), fmt)
    assert heading in out
    assert out.index("Sheet 1") < out.index("2.3 Third question") < out.index("Again, renamed")
    if fmt == "latex":
        assert out.count(r"\documentclass") == 1 and out.count(r"\end{document}") == 1


@pytest.mark.parametrize("text,where,message", [
    ("kind: sheet\nproblems: []\n", "sheet.yaml:2:11: problems", "expected at least one problem"),
    ("kind: sheet\nproblem: []\n", "sheet.yaml:2:1: problem", "did you mean `problems`?"),
    ("kind: sheet\nproblems:\n  - file: nope.yaml\n", "sheet.yaml:3:11: problems[0].file",
     "file nope.yaml not found"),
    ("kind: sheet\nproblems:\n  - p: 2\n", "sheet.yaml:3:5: problems[0]", "missing field `kind`"),
    ("kind: sheet\nproblems:\n  - 3\n", "sheet.yaml:3:5: problems[0]", "expected a problem"),
    ("kind: sheet\nproblems:\n  - {file: a.yaml, x: 1}\n", "sheet.yaml:3:20: problems[0].x",
     "unknown field"),
    ("kind: sheet\nproblems:\n  - {kind: sheet, problems: []}\n",
     "sheet.yaml:3:12: problems[0].kind", "cannot be sheets"),
    ("kind: sheet\nproblems:\n  - {file: sheet.yaml}\n", "sheet.yaml:3:12: problems[0].file",
     "is a sheet"),
])
def test_sheet_errors_name_the_place(tmp_path, text, where, message):
    p = write(tmp_path, "sheet.yaml", text)
    with pytest.raises(ProblemError) as e:
        load_problem(str(p))
    assert str(e.value).startswith(str(tmp_path / where)), str(e.value)
    assert message in str(e.value)


def test_an_error_in_a_referenced_file_names_that_file(tmp_path):
    write(tmp_path, "sub/bad.yaml", "kind: regularize\np: -1\n")
    p = write(tmp_path, "sheet.yaml", "kind: sheet\nproblems:\n  - file: sub/bad.yaml\n")
    with pytest.raises(ProblemError) as e:
        load_problem(str(p))
    assert str(e.value).startswith(str(tmp_path / "sub/bad.yaml") + ":2:"), str(e.value)


def test_matrix_files_in_a_referenced_problem_are_relative_to_that_problem(tmp_path):
    write(tmp_path, "sub/I.txt", "1 2 3\n4 5 6\n1 5 3\n")
    write(tmp_path, "sub/conv.yaml", "kind: conv\ninput: I.txt\nkernel: [[1, 0], [0, 1]]\n")
    p = write(tmp_path, "sheet.yaml", "kind: sheet\nproblems:\n  - file: sub/conv.yaml\n")
    s = solve(load_problem(str(p)))
    assert json.loads(render(s, "json"))[0]["output"] == [[6, 8], [9, 8]]


# --- the command ------------------------------------------------------------------------------

def run(*args):
    return CliRunner().invoke(cli, list(args), prog_name="nnsolve")


def test_solve_command_any_kind(tmp_path):
    p = write(tmp_path, "conv.yaml", CONV)
    r = run("solve", str(p), "--format", "json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["output"] == [[6, 8], [9, 8]]


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "json"])
def test_solve_command_sheet_every_format(sheet, fmt, tmp_path):
    out = tmp_path / f"out.{fmt}"
    r = run("solve", str(sheet), "--format", fmt, "-o", str(out))
    assert r.exit_code == 0, r.output
    assert r.stdout == ""
    assert out.read_text(encoding="utf-8").strip()


def test_solve_command_latex_fragment_and_exact(tmp_path):
    p = write(tmp_path, "reg.yaml", REG.replace("alpha: 0.1", 'alpha: "1/3"'))
    r = run("solve", str(p), "--format", "latex", "--fragment", "--exact")
    assert r.exit_code == 0, r.output
    assert r"\documentclass" not in r.stdout and r"\frac{1}{3}" in r.stdout
    r = run("solve", str(p), "--format", "markdown", "--exact")
    assert r.exit_code == 0 and r"\frac{1}{3}" in r.stdout


def test_solve_command_error_is_one_line_and_leaves_output_alone(tmp_path):
    p = write(tmp_path, "sheet.yaml", "kind: sheet\nproblems:\n  - file: nope.yaml\n")
    out = write(tmp_path, "out.tex", "old")
    r = run("solve", str(p), "--format", "latex", "-o", str(out))
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.startswith("Error: ") and "problems[0].file" in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert out.read_text() == "old"


def test_seed_sheet_references_the_seed_problems():
    spec = load_problem(str(ROOT / "problems" / "seed-sheet.yaml"))
    assert spec.kind == "sheet"
    assert [p.kind for p in spec.problems] == ["backprop", "shape", "shape", "conv", "regularize"]


# --- a file with `problems:` is a sheet; `kind: sheet` is optional (issue 11.6) ---------------

def test_a_sheet_needs_no_kind(sheet, tmp_path):
    text = sheet.read_text().replace("kind: sheet\n", "")
    assert "kind: sheet" not in text
    bare = write(tmp_path, "bare.yaml", text)
    spec = load_problem(str(bare))
    assert isinstance(spec, SheetProblem)
    assert [p.kind for p in spec.problems] == ["conv", "regularize", "conv"]
    assert render(solve(spec), "json") == render(solve(load_problem(str(sheet))), "json")
    r = run("solve", str(bare), "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert len(json.loads(r.stdout)) == 3


@pytest.mark.parametrize("text, where, message", [
    ("problems:\n  - problems: []\n", "sheet.yaml:2:5: problems[0].problems",
     "a sheet's problems cannot be sheets"),
    ("problems:\n  - file: inner.yaml\n", "sheet.yaml:2:11: problems[0].file",
     "inner.yaml is a sheet; a sheet's problems cannot be sheets"),
])
def test_sheets_without_kind_are_still_not_nested(tmp_path, text, where, message):
    write(tmp_path, "inner.yaml", "problems:\n  - {file: x.yaml}\n")
    p = write(tmp_path, "sheet.yaml", text)
    with pytest.raises(ProblemError) as e:
        load_problem(str(p))
    assert str(e.value) == f"{tmp_path / where}: {message}"


def test_a_sheet_without_kind_given_to_a_kind_command_says_so(tmp_path):
    p = write(tmp_path, "s.yaml", "problems:\n  - file: x.yaml\n")
    r = run("backprop", str(p))
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.strip() == (f"Error: {p}:1:1: problems: this is a sheet (it has `problems:`), "
                                f"not a backprop problem; solve it with `nnsolve solve`")
    r = run("check", str(p))
    assert r.exit_code == 1 and r.stdout == ""
    assert "this is a sheet (it has `problems:`), not an answers file" in r.stderr
