"""nnsolve new: problems with clean numbers, the same file for the same seed, an answer key."""

import os
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner

from nnsolve.check import grade, load_answers
from nnsolve.cli import cli
from nnsolve.generating import GenerationError, answers_text, is_clean
from nnsolve.kinds.backprop.generate import new_backprop
from nnsolve.kinds.conv.generate import new_conv
from nnsolve.kinds.regularize.generate import new_regularize
from nnsolve.kinds.shape.generate import new_shape

GENERATORS = {"backprop": new_backprop, "conv": new_conv, "shape": new_shape,
              "regularize": new_regularize}
from nnsolve.load import load_problem
from nnsolve.solve import SolveOptions, solve

SEEDS = range(30)


def numbers(x):
    if isinstance(x, dict):
        for v in x.values():
            yield from numbers(v)
    elif isinstance(x, (list, tuple)):
        for v in x:
            yield from numbers(v)
    elif isinstance(x, np.ndarray):
        yield from numbers(x.tolist())
    elif x is not None and not isinstance(x, (str, bool)):
        yield x


def assert_clean(data):
    """Exact, and at most two decimals: the denominator divides 100 (checked independently)."""
    for v in numbers(data):
        assert not isinstance(v, float), v
        assert 100 % Fraction(v).denominator == 0, v


def solved(tmp_path, text, name="p.yaml"):
    path = tmp_path / name
    path.write_text(text)
    problem = load_problem(str(path))
    return problem, solve(problem, SolveOptions()).data


@pytest.mark.parametrize("kind", ["backprop", "conv", "shape", "regularize"])
def test_thirty_seeds_solve_clean_and_repeat(tmp_path, kind):
    gen = GENERATORS[kind]
    texts = set()
    for seed in SEEDS:
        g = gen(seed)
        assert gen(seed).text == g.text                 # the same seed, the same bytes
        texts.add(g.text)
        problem, data = solved(tmp_path, g.text)        # as a file, through the loader
        assert data["kind"] == kind
        assert_clean(data)
        if kind == "backprop":
            step = data["steps"][0]
            for layer, spec in zip(step["layers"], problem.layers):
                if spec.activation.name == "relu":
                    assert all(v != 0 for v in np.asarray(layer["a"]).ravel().tolist())
            assert problem.learning_rate in (Fraction(1, 10), Fraction(1, 100))
        if kind == "regularize":
            assert problem.p in (1, 2, 3) and any(v < 0 for v in problem.weights.ravel())
    assert len(texts) >= 25                              # seeds give different problems


def test_backprop_default_is_seed_shaped(tmp_path):
    problem, _ = solved(tmp_path, new_backprop(7).text)
    assert [l.W.shape for l in problem.layers] == [(2, 1), (2, 2), (1, 2)]
    assert [l.activation.name for l in problem.layers] == ["relu", "relu", "linear"]
    assert problem.loss == "squared_error"


@pytest.mark.parametrize("sizes, activation", [((2, 3, 1), "relu"), ((2, 2, 2), "leaky_relu"),
                                               ((1, 2, 1), "linear"), ((3, 2, 2, 1), "relu")])
def test_backprop_options(tmp_path, sizes, activation):
    for seed in range(5):
        g = new_backprop(seed, sizes, activation, bias=(seed % 2 == 1))
        problem, data = solved(tmp_path, g.text)
        assert [problem.X.shape[1]] + [l.W.shape[0] for l in problem.layers] == list(sizes)
        assert_clean(data)


def test_allow_zero_is_deterministic_and_clean(tmp_path):
    g = new_backprop(3, allow_zero=True)
    assert g.text == new_backprop(3, allow_zero=True).text
    assert_clean(solved(tmp_path, g.text)[1])


def test_conv_options(tmp_path):
    for seed in range(5):
        g = new_conv(seed, (5, 5), (3, 3), stride=2, padding=1, mode="convolution",
                     activation="relu", pool=None)
        problem, data = solved(tmp_path, g.text)
        assert problem.mode == "convolution" and problem.stride == (2, 2)
        assert data["output_shape"] == [3, 3]
        assert_clean(data)
        g = new_conv(seed, (4, 4), (2, 2), pool="avg")
        assert_clean(solved(tmp_path, g.text)[1])


def test_conv_too_large_kernel_is_clear():
    with pytest.raises(GenerationError, match="no exercise"):
        new_conv(1, (2, 2), (3, 3))


def test_regularize_p(tmp_path):
    for p in (1, 2, 3):
        problem, data = solved(tmp_path, new_regularize(4, p=p).text)
        assert problem.p == p
        assert_clean(data)


def test_is_clean():
    assert is_clean({"a": [Fraction(1, 4), 3, Fraction(-118, 100)]})
    assert not is_clean({"a": [Fraction(1, 3)]})
    assert not is_clean({"a": [Fraction(1, 1000)]})
    assert not is_clean({"a": 0.5})


@pytest.mark.parametrize("kind", ["backprop", "conv", "shape", "regularize"])
def test_answer_key_grades_all_right(tmp_path, kind):
    for seed in range(5):
        g = GENERATORS[kind](seed)
        (tmp_path / "p.yaml").write_text(g.text)
        (tmp_path / "a.yaml").write_text(answers_text(g, "p.yaml", "test"))
        rep = grade(load_answers(str(tmp_path / "a.yaml")))
        assert rep.n_wrong == 0 and rep.n_right >= 2


# --- the command line -------------------------------------------------------------------------

def test_cli_new_backprop_with_answers(tmp_path):
    runner = CliRunner()
    p, a = tmp_path / "p.yaml", tmp_path / "key" / "a.yaml"
    a.parent.mkdir()
    r = runner.invoke(cli, ["new", "backprop", "--seed", "7", "-o", str(p), "--answers", str(a)])
    assert r.exit_code == 0, r.output
    first = p.read_bytes()
    assert b"nnsolve new backprop --seed 7" in first
    assert "problem: ../p.yaml" in a.read_text()
    r = runner.invoke(cli, ["backprop", str(p)])
    assert r.exit_code == 0
    r = runner.invoke(cli, ["check", str(a)])
    assert r.exit_code == 0, r.output
    runner.invoke(cli, ["new", "backprop", "--seed", "7", "-o", str(p)])
    assert p.read_bytes() == first
    r = runner.invoke(cli, ["new", "backprop", "--seed", "7"])
    assert r.exit_code == 0 and r.stdout.encode() == first


def test_cli_new_each_kind(tmp_path):
    runner = CliRunner()
    for args in (["conv", "--input-size", "5", "--kernel-size", "3", "--padding", "1"],
                 ["shape", "--blocks", "3", "--size", "32"],
                 ["regularize", "--p", "3", "--count", "4"],
                 ["backprop", "--layers", "2,3,1", "--activation", "leaky_relu"]):
        r = runner.invoke(cli, ["new", *args, "--seed", "5"])
        assert r.exit_code == 0, r.output
        assert f"nnsolve new {args[0]} --seed 5 {' '.join(args[1:])}" in r.stdout


def test_cli_new_errors(tmp_path):
    runner = CliRunner()
    r = runner.invoke(cli, ["new", "backprop", "--seed", "1", "--answers", str(tmp_path / "a")])
    assert r.exit_code == 2 and "--answers needs -o" in r.stderr
    r = runner.invoke(cli, ["new", "backprop", "--layers", "1,x"])
    assert r.exit_code == 2
    r = runner.invoke(cli, ["new", "conv", "--seed", "1", "--input-size", "2",
                            "--kernel-size", "3"])
    assert r.exit_code == 1 and r.stderr.startswith("Error:") and r.stdout == ""
    r = runner.invoke(cli, ["new", "backprop", "--layers", "8,8,8"])
    assert r.exit_code == 1 and "too many weights" in r.stderr
