"""`kind: pool` and `nnsolve pool`: the solution against a nested loop, the JSON contract, the
command line, check's windows and mistakes, and `nnsolve new pool`."""

from __future__ import annotations

import json
import os
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings, strategies as st

from nnsolve.cli import cli
from nnsolve.load import parse_problem
from nnsolve.load.yamldoc import doc_from_text
from nnsolve.render import RenderOptions, render
from nnsolve.solve import SolveOptions, solve

from test_pool_op import ref_out, ref_pool

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def problem(text: str):
    return parse_problem(doc_from_text(text, "<test>"), "pool")


def run(*args, input=None):
    return CliRunner().invoke(cli, list(args), input=input)


# --- published exercises, through the whole pipeline --------------------------------------------

def test_d2l_3x3_through_the_command():
    """d2l 7.5.1: arange(9) 3×3, 2×2 windows, stride 1: max [[4, 5], [7, 8]], avg [[2, 3], [5, 6]]."""
    text = "0 1 2\n3 4 5\n6 7 8\n"
    for kind, want in (("max", [[4, 5], [7, 8]]), ("avg", [[2, 3], [5, 6]])):
        r = run("pool", "--input", "-", "--type", kind, "--size", "2", "--stride", "1",
                "--format", "json", input=text)
        assert r.exit_code == 0, r.output
        data = json.loads(r.stdout)
        assert data["output"] == want and data["output_shape"] == [2, 2]


def test_d2l_example_file():
    """problems/pool-max.yaml is d2l 7.5.2: MaxPool2d(3, padding=1, stride=2) on arange(16)."""
    r = run("pool", os.path.join(ROOT, "problems", "pool-max.yaml"), "--format", "json")
    data = json.loads(r.stdout)
    assert data["output"] == [[5, 7], [13, 15]]
    assert [w["value"] for w in data["windows"]] == [5, 7, 13, 15]
    assert data["windows"][0]["patch"] == [[0, 1], [4, 5]]   # the padding is not in the patch


def test_dumoulin_visin_average_figure():
    """Dumoulin & Visin fig. 1.5: 3×3 average pooling, stride 1, of their 5×5 input; the figure
    prints 1.7 1.7 1.7 / 1.0 1.2 1.8 / 1.1 0.8 1.3."""
    p = problem("input: [[3, 3, 2, 1, 0], [0, 0, 1, 3, 1], [3, 1, 2, 2, 3], [2, 0, 0, 2, 2], "
                "[2, 0, 0, 0, 1]]\ntype: avg\nsize: 3\nstride: 1\n")
    out = solve(p).data["output"]
    assert [[round(float(v), 1) for v in row] for row in out] == \
        [[1.7, 1.7, 1.7], [1.0, 1.2, 1.8], [1.1, 0.8, 1.3]]
    text = render(solve(p), "text", RenderOptions())
    assert "P₁,₁ = (3 + 3 + 2 + 0 + 0 + 1 + 3 + 1 + 2)/9 ≈ 1.66667" in text
    assert "≈ 1.66667" in text and "5/3" in render(solve(p), "text", RenderOptions(exact=True))


# --- the solution against the reference, over random valid problems ----------------------------

@st.composite
def pool_problems(draw):
    kind = draw(st.sampled_from(["max", "avg"]))
    kh, kw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    pads = tuple((draw(st.integers(0, k // 2)), draw(st.integers(0, k // 2))) for k in (kh, kw))
    ceil_mode = draw(st.booleans())
    H = draw(st.integers(max(1, kh - sum(pads[0])), 6))
    W = draw(st.integers(max(1, kw - sum(pads[1])), 6))
    channels = draw(st.sampled_from([None, 1, 2]))
    shape = (H, W) if channels is None else (channels, H, W)
    n = int(np.prod(shape))
    vals = draw(st.lists(st.integers(-9, 9), min_size=n, max_size=n))
    X = np.array(vals).reshape(shape).tolist()
    stride_text = "" if stride == (kh, kw) and draw(st.booleans()) else \
        f"stride: [{stride[0]}, {stride[1]}]\n"
    if not stride_text:
        stride = (kh, kw)
    text = (f"kind: pool\ninput: {X}\ntype: {kind}\nsize: [{kh}, {kw}]\n{stride_text}"
            f"padding: [[{pads[0][0]}, {pads[0][1]}], [{pads[1][0]}, {pads[1][1]}]]\n"
            f"ceil_mode: {str(ceil_mode).lower()}\n")
    return text, X, kind, (kh, kw), stride, pads, ceil_mode, channels is not None


@settings(max_examples=120, deadline=None)
@given(pool_problems())
def test_solution_against_nested_loop(case):
    text, X, kind, size, stride, pads, ceil_mode, channels = case
    sol = solve(problem(text), SolveOptions(detail="full"))
    data = sol.data
    X3 = X if channels else [X]
    want = ref_pool([[[Fraction(v) for v in row] for row in ch] for ch in X3], kind, size,
                    stride, pads, ceil_mode)
    out = data["output"] if channels else [data["output"]]
    assert np.asarray(out, dtype=object).tolist() == want
    H, W = len(X3[0]), len(X3[0][0])
    Ho = ref_out(H, *pads[0], size[0], stride[0], ceil_mode)
    Wo = ref_out(W, *pads[1], size[1], stride[1], ceil_mode)
    assert data["output_shape"] == ([len(X3)] if channels else []) + [Ho, Wo]
    # every window: its value is the output cell, its patch the input cells it covers
    assert len(data["windows"]) == len(X3) * Ho * Wo
    for w in data["windows"]:
        c, i, j = w["channel"], w["row"], w["col"]
        assert w["value"] == want[c][i][j]
        cells = [X3[c][r][q] for r in range(H) for q in range(W)
                 if 0 <= r - (i * stride[0] - pads[0][0]) < size[0]
                 and 0 <= q - (j * stride[1] - pads[1][0]) < size[1]]
        assert np.asarray(w["patch"], dtype=object).ravel().tolist() == cells
    # and every format renders it; JSON is valid JSON with the contract's keys
    for fmt in ("text", "markdown", "latex", "json"):
        assert render(sol, fmt, RenderOptions())
    parsed = json.loads(render(sol, "json", RenderOptions()))
    assert set(parsed) == JSON_KEYS | {"windows"}


JSON_KEYS = {"kind", "format_version", "type", "input_shape", "size", "stride", "padding",
             "output_shape", "output"}


def test_json_contract():
    r = run("pool", os.path.join(ROOT, "problems", "pool-ceil-channels.yaml"), "--format",
            "json")
    data = json.loads(r.stdout)
    assert set(data) == JSON_KEYS | {"windows"}
    assert data["kind"] == "pool" and data["format_version"] == 1 and data["type"] == "max"
    assert data["input_shape"] == [2, 3, 3] and data["output_shape"] == [2, 2, 2]
    assert data["size"] == [2, 2] and data["stride"] == [2, 2]
    assert data["padding"] == [[0, 0], [0, 0]]
    assert all(set(w) == {"channel", "row", "col", "patch", "value"} for w in data["windows"])
    assert data["windows"][1] == {"channel": 0, "row": 0, "col": 1, "patch": [[3], [-6]],
                                  "value": 3}
    # summary leaves the windows out, as conv's does
    r = run("pool", os.path.join(ROOT, "problems", "pool-ceil-channels.yaml"), "--format",
            "json", "--detail", "summary")
    assert set(json.loads(r.stdout)) == JSON_KEYS


def test_options_equal_the_problem_file(tmp_path):
    (tmp_path / "I.txt").write_text("1 2 0\n0 1 3\n2 1 1\n\n4 5 6\n-1 -2 -3\n7 8 9\n")
    r1 = run("pool", "--input", str(tmp_path / "I.txt"), "--type", "avg", "--size", "2",
             "--stride", "1,2", "--padding", "0,1", "--ceil-mode", "--format", "json")
    (tmp_path / "p.yaml").write_text("kind: pool\ninput: I.txt\ntype: avg\nsize: 2\n"
                                     "stride: [1, 2]\npadding: [0, 1]\nceil_mode: true\n")
    r2 = run("solve", str(tmp_path / "p.yaml"), "--format", "json")
    assert r1.exit_code == 0 and r2.exit_code == 0, r1.output + r2.output
    assert r1.stdout == r2.stdout
    data = json.loads(r1.stdout)
    assert data["input_shape"] == [2, 3, 3] and data["padding"] == [[0, 0], [1, 1]]
    # rows: ⌈(3 − 2)/1⌉ + 1 = 2 windows; columns: ⌈(3 + 2 − 2)/2⌉ + 1 = 3, but the third
    # would start at column 4 ≥ 3 + 1, in the right padding: dropped, so 2 (columns −1..0, 1..2)
    # channel 1: (1, 0)/2, (2, 0, 1, 3)/4, (0, 2)/2, (1, 3, 1, 1)/4
    # channel 2: (4, −1)/2, (5, 6, −2, −3)/4, (−1, 7)/2, (−2, −3, 8, 9)/4
    assert data["output"] == [[[0.5, 1.5], [1, 1.5]], [[1.5, 1.5], [3, 3]]]


def test_text_shows_the_window_in_the_input():
    r = run("pool", os.path.join(ROOT, "problems", "pool-avg-padded.yaml"))
    assert r.exit_code == 0
    out = r.stdout
    assert "For P₁,₁ the window covers rows 1–2 and columns 1–2 of the input I; its other 5 " \
           "cells lie outside the input (left out of the mean):" in out.replace("\n", " ") \
           .replace("  ", " ")
    assert "  [3][3] 2  1  0 \n  [0][0] 1  3  1 \n" in out
    assert "P₁,₁ = (3 + 3 + 0 + 0)/4 = 1.5" in out
    assert "(not by 9)" in out


def test_max_pads_with_minus_infinity_in_the_solution():
    """All-negative input with padding: zeros of padding would give 0; the solution says −∞."""
    p = problem("input: [[-5, -6], [-7, -8]]\ntype: max\nsize: 2\nstride: 1\npadding: 1\n")
    sol = solve(p)
    assert np.asarray(sol.data["output"], dtype=object).tolist() == \
        [[-5, -5, -6], [-5, -5, -6], [-7, -7, -8]]
    text = render(sol, "text", RenderOptions())
    assert "count as −∞: they never win the maximum" in text
    assert "P₁,₁ = max(-5) = -5" in text


def test_ceil_mode_drops_a_window_starting_in_the_padding():
    p = problem("input: [[1, 2, 3], [4, 5, 6], [7, 8, 9]]\ntype: avg\nsize: 2\nstride: 2\n"
                "padding: 1\nceil_mode: true\n")
    sol = solve(p)
    assert sol.data["output_shape"] == [2, 2]
    text = render(sol, "text", RenderOptions())
    assert "Hₒᵤₜ = ⌈(3 + 1 + 1 − 2)/2⌉ + 1 = ⌈3/2⌉ + 1 = 3 − 1 = 2" in text
    assert "a last window that would start in the padding after the input is dropped" in text


def test_uncovered_rows_are_noted():
    p = problem("input: [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5], [1, 2, 3, 4, 5]]\ntype: max\n"
                "size: 2\n")
    text = render(solve(p), "text", RenderOptions())
    assert "Row 3 and column 5 of the input fall in no window (the stride does not tile the " \
           "input); ceil_mode: true would add a last window for them." in " ".join(text.split())
    p = problem("input: [[1, 2, 3], [1, 2, 3], [1, 2, 3]]\ntype: max\nsize: 2\nstride: 1\n")
    assert "no window" not in render(solve(p), "text", RenderOptions())


def test_large_input_is_summarised_and_vectorised(tmp_path):
    rng = np.random.default_rng(1)
    X = rng.integers(-9, 9, size=(3, 64, 64)).astype(float)
    np.save(tmp_path / "big.npy", X)
    r = run("pool", "--input", str(tmp_path / "big.npy"), "--type", "max", "--size", "2")
    assert r.exit_code == 0, r.output
    assert "3,072 windows, each the maximum of up to 4 cells" in r.stdout
    r = run("pool", "--input", str(tmp_path / "big.npy"), "--type", "max", "--size", "2",
            "--format", "json")
    data = json.loads(r.stdout)
    assert "windows" not in data
    assert np.array_equal(np.array(data["output"]), X.reshape(3, 32, 2, 32, 2).max(axis=(2, 4)))


def test_usage_errors():
    r = run("pool")
    assert r.exit_code == 2 and "give a problem file, or --input FILE" in r.output
    r = run("pool", "--input", "-", "--size", "2", input="1 2\n3 4\n")
    assert r.exit_code == 2 and "--input needs --type max|avg" in r.output
    r = run("pool", os.path.join(ROOT, "problems", "pool-max.yaml"), "--size", "2")
    assert r.exit_code == 2 and "not both" in r.output


# --- check --------------------------------------------------------------------------------------

def _check(tmp_path, problem_text: str, answers: str):
    (tmp_path / "p.yaml").write_text(problem_text)
    (tmp_path / "a.yaml").write_text("problem: p.yaml\nanswers:\n" + answers)
    r = run("check", str(tmp_path / "a.yaml"), "--format", "json")
    assert r.exit_code in (0, 1), r.output
    return r.exit_code, {f["field"]: f for f in json.loads(r.stdout)["files"][0]["fields"]}


AVG_PADDED = ("kind: pool\ninput: [[4, 8, 2], [12, 16, 6], [1, 1, 1]]\ntype: avg\nsize: 2\n"
              "stride: 2\npadding: 1\n")


def test_check_windows_by_index_and_as_a_list(tmp_path):
    # windows: (0,0) holds 4 → 4; (0,1) holds 8, 2 → 5; (1,0) 12, 1 → 6.5; (1,1) 16 6 1 1 → 6
    code, f = _check(tmp_path, AVG_PADDED, "  windows:\n    0: {value: 4}\n    3: {value: 6, "
                     "patch: [[16, 6], [1, 1]]}\n")
    assert code == 0 and set(f) == {"windows.0.value", "windows.3.value", "windows.3.patch"}
    code, f = _check(tmp_path, AVG_PADDED, "  windows: [{value: 4}, {value: 5}, {value: 6.5}, "
                     "{value: 6}]\n")
    assert code == 0 and len(f) == 4


def test_check_window_errors(tmp_path):
    (tmp_path / "p.yaml").write_text(AVG_PADDED)
    (tmp_path / "a.yaml").write_text("problem: p.yaml\nanswers:\n  windows:\n    4: {value: 1}\n")
    r = run("check", str(tmp_path / "a.yaml"))
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.strip().endswith("windows.4: no window 4: expected a 0-based index from 0 "
                                     "to 3")
    (tmp_path / "a.yaml").write_text("problem: p.yaml\nanswers:\n  windows: [{value: 4}]\n")
    r = run("check", str(tmp_path / "a.yaml"))
    assert r.exit_code == 1 and "expected the whole list of 4 windows" in r.stderr


@pytest.mark.parametrize("answers, field, mistake", [
    # the mean over the whole 2×2 window, padding included: 4/4, (8+2)/4, (12+1)/4, 24/4
    ("  output: [[1, 2.5], [3.25, 6]]\n", "output", "pool_padding_averaged"),
    ("  windows: {1: {value: 2.5}}\n", "windows.1.value", "pool_padding_averaged"),
    # no padding: one window (4 8 / 12 16) when floored... and 2×2 windows at stride 2
    ("  output: [[10]]\n", "output", "padding_forgotten"),
    # the maximum taken
    ("  output: [[4, 8], [12, 16]]\n", "output", "max_for_mean"),
])
def test_check_names_avg_mistakes(tmp_path, answers, field, mistake):
    code, f = _check(tmp_path, AVG_PADDED, answers)
    assert code == 1
    assert f[field]["mistake"]["names"] == [mistake], f[field]


MAX_5X5 = ("kind: pool\ninput: [[1, 2, 3, 4, 5], [6, 7, 8, 9, 10], [11, 12, 13, 14, 15], "
           "[16, 17, 18, 19, 20], [21, 22, 23, 24, 25]]\ntype: max\nsize: 2\n")


@pytest.mark.parametrize("problem_text, answers, mistake", [
    # floor gives 2×2; ⌈(5 − 2)/2⌉ + 1 = 3
    (MAX_5X5, "  output_shape: [3, 3]\n", "ceil_instead_of_floor"),
    (MAX_5X5 + "ceil_mode: true\n", "  output_shape: [2, 2]\n", "floor_instead_of_ceil"),
    (MAX_5X5, "  output_shape: [4, 4]\n", "stride_taken_as_1"),
    (MAX_5X5, "  output: [[7, 8, 9, 10], [12, 13, 14, 15], [17, 18, 19, 20], [22, 23, 24, 25]]\n",
     "stride_taken_as_1"),
    (MAX_5X5 + "stride: 1\n", "  output: [[7, 9], [17, 19]]\n", "stride_taken_as_size"),
    (MAX_5X5, "  output: [[4, 6], [14, 16]]\n", "mean_for_max"),
    # 3×3 with padding 1 and ceil mode: ⌈(3 + 2 − 2)/2⌉ + 1 = 3, the third window starts at
    # row 4, in the trailing padding: PyTorch drops it, 2×2
    ("kind: pool\ninput: [[1, 2, 3], [4, 5, 6], [7, 8, 9]]\ntype: max\nsize: 2\nstride: 2\n"
     "padding: 1\nceil_mode: true\n", "  output_shape: [3, 3]\n", "ceil_last_window_kept"),
    # ⌊(5 + 1 + 1 − 2)/1⌋ + 1 = 6; with the padding on one side only, 5
    (MAX_5X5 + "stride: 1\npadding: 1\n", "  output_shape: [5, 5]\n", "padding_one_side"),
    (MAX_5X5 + "stride: 1\npadding: 1\n", "  output_shape: [4, 4]\n", "padding_forgotten"),
    # padding taken as 0: the all-negative corner windows give 0
    ("kind: pool\ninput: [[-5, -6], [-7, -8]]\ntype: max\nsize: 2\nstride: 1\npadding: 1\n",
     "  output: [[0, 0, 0], [0, -5, 0], [0, 0, 0]]\n", "pool_zero_padding"),
])
def test_check_names_mistakes(tmp_path, problem_text, answers, mistake):
    code, f = _check(tmp_path, problem_text, answers)
    assert code == 1
    (result,) = f.values()
    assert not result["correct"]
    assert result["mistake"]["names"] == [mistake], result


def test_check_text_names_the_mistake(tmp_path):
    (tmp_path / "p.yaml").write_text(AVG_PADDED)
    (tmp_path / "a.yaml").write_text("problem: p.yaml\nanswers:\n  output: [[1, 2.5], [3.25, 6]]\n")
    r = run("check", str(tmp_path / "a.yaml"))
    assert r.exit_code == 1
    assert "padding averaged" in r.stdout
    assert "the padding counted in the mean" in r.stdout


# --- new ----------------------------------------------------------------------------------------

def test_new_pool_is_byte_identical_per_seed_and_clean(tmp_path):
    from nnsolve.generating import is_clean
    for seed in range(25):
        a = run("new", "pool", "--seed", str(seed))
        b = run("new", "pool", "--seed", str(seed))
        assert a.exit_code == 0 and a.stdout == b.stdout, a.output
        p = parse_problem(doc_from_text(a.stdout, "<new>"), None)
        assert p.kind == "pool"
        assert is_clean(solve(p, SolveOptions(detail="full")).data)


@pytest.mark.parametrize("args", [
    ["--type", "avg", "--input-size", "5", "--padding", "1", "--ceil-mode"],
    ["--type", "max", "--size", "3", "--stride", "1", "--padding", "1"],
    ["--channels", "2", "--input-size", "4x6", "--size", "2x3"],
])
def test_new_pool_options_and_answer_key(tmp_path, args):
    r = run("new", "pool", "--seed", "5", *args, "-o", str(tmp_path / "p.yaml"), "--answers",
            str(tmp_path / "key.yaml"))
    assert r.exit_code == 0, r.output
    text = (tmp_path / "p.yaml").read_text()
    assert text.startswith("# Generated by `nnsolve new pool --seed 5")
    r = run("check", str(tmp_path / "key.yaml"))
    assert r.exit_code == 0, r.output
    again = run("new", "pool", "--seed", "5", *args)
    assert again.stdout == text


def test_new_pool_impossible_sizes():
    r = run("new", "pool", "--seed", "1", "--input-size", "2", "--size", "3")
    assert r.exit_code == 1 and "these sizes make no exercise" in r.stderr


def test_check_conv_windows_too(tmp_path):
    """SPEC: conv and pool windows under `windows:`, 0-based (seed 2.3: window 1 is O₁,₂ = 8)."""
    (tmp_path / "a.yaml").write_text(
        f"problem: {os.path.join(ROOT, 'problems', 'seed-conv.yaml')}\nanswers:\n  windows:\n"
        "    1: {sum: 8, products: [[2, 0], [0, 6]]}\n    2: {sum: 7}\n")
    r = run("check", str(tmp_path / "a.yaml"), "--format", "json")
    fields = {f["field"]: f for f in json.loads(r.stdout)["files"][0]["fields"]}
    assert r.exit_code == 1
    assert fields["windows.1.sum"]["correct"] and fields["windows.1.products"]["correct"]
    assert not fields["windows.2.sum"]["correct"] and fields["windows.2.sum"]["right"] == 9


def test_long_windows_are_summed_not_listed():
    """Above 12 cells a window's mean is (its sum)/n and its max is max(the n cells); the grid
    beside shows the cells."""
    X = [[5 * r + c + 1 for c in range(5)] for r in range(5)]
    for kind, want in (("avg", "P₁,₁ = 325/25 = 13"), ("max", "P₁,₁ = max(the 25 cells) = 25")):
        sol = solve(problem(f"input: {X}\ntype: {kind}\nsize: 5\n"))
        assert want in render(sol, "text", RenderOptions())
        assert sol.data["windows"][0]["value"] == (13 if kind == "avg" else 25)


@settings(max_examples=40, deadline=None)
@given(pool_problems())
def test_check_grades_the_whole_right_json_right(case):
    """An answers file holding every value of the JSON output, windows included (as the whole
    list), is graded all right, every window field one claim."""
    import tempfile
    from nnsolve.check import grade, load_answers
    from nnsolve.generating import yaml_value
    text = case[0]
    data = solve(problem(text), SolveOptions(detail="full")).data
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "p.yaml"), "w") as fh:
            fh.write(text)
        windows = ", ".join("{" + ", ".join(f"{k}: {yaml_value(np.asarray(w[k]).tolist())}"
                                            for k in ("channel", "row", "col", "patch", "value"))
                            + "}" for w in data["windows"])
        answers = (f"problem: p.yaml\nanswers:\n  output_shape: {yaml_value(data['output_shape'])}\n"
                   f"  output: {yaml_value(np.asarray(data['output']).tolist())}\n"
                   f"  windows: [{windows}]\n")
        with open(os.path.join(d, "a.yaml"), "w") as fh:
            fh.write(answers)
        rep = grade(load_answers(os.path.join(d, "a.yaml")))
        assert rep.n_wrong == 0 and rep.n_right == 2 + 5 * len(data["windows"])


def test_help_example_on_one_line():
    r = run("pool", "--help")
    assert r.exit_code == 0
    assert "printf '1 2\\n3 4\\n' | nnsolve pool --input - --type avg --size 2 --padding 1" \
        in r.output
    assert "its cells" in " ".join(r.output.split())


def test_size_formula_letters_explained_once():
    """The letters of the size formula are said once, as conv and shape say them (one helper:
    kinds/shape/solve.py size_symbols), in every format; a pool has no dilation."""
    path = os.path.join(ROOT, "problems", "pool-avg-padded.yaml")
    t = " ".join(run("pool", path).stdout.split())
    assert t.count("Here i is the input size on the axis") == 1
    assert "k the window size, s the stride, p_before and p_after the padding on each side, o " \
        "the output size." in t
    assert "dilation" not in t
    for fmt, want in (("markdown", "the input size on the axis"), ("latex", "input size on the")):
        out = " ".join(run("pool", path, "--format", fmt).stdout.split())
        assert out.count(want) == 1, fmt
