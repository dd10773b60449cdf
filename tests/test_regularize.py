"""nnsolve regularize: the p-norm penalty and its gradient, against finite differences, by hand."""

import json
import os
from fractions import Fraction

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsolve.cli import cli
from nnsolve.errors import ProblemError
from nnsolve.load import load_problem
from nnsolve.render import RenderOptions, render
from nnsolve.solve import SolveOptions, solve
from nnsolve.ops import pnorm
from nnsolve.kinds.regularize.spec import from_options

HERE = os.path.dirname(os.path.abspath(__file__))
PROBLEMS = os.path.join(os.path.dirname(HERE), "problems")
SEED = os.path.join(PROBLEMS, "seed-regularize.yaml")
ODD = os.path.join(PROBLEMS, "regularize-odd-p.yaml")
KEYS = {"kind", "format_version", "p", "alpha", "weights", "penalty", "penalty_gradient",
        "loss_gradient", "gradient", "learning_rate", "weights_new"}


def run(*args):
    return CliRunner().invoke(cli, ["regularize", *args])


def text_of(problem, **kw):
    return render(solve(problem), "text", RenderOptions(width=100, **kw))


def data_of(**options):
    return solve(from_options(**options)).data


# --- the maths: against an independent reference ---------------------------------------------
def reference_penalty(w, p, alpha):
    return alpha * np.sum(np.abs(w) ** p)


def central_differences(w, p, alpha, eps=1e-6):
    # The penalty is a sum of one term per weight, and only wᵢ's term changes with wᵢ: differencing
    # that term alone keeps the rounding error of the other (possibly large) terms out.
    g = np.zeros_like(w)
    for i in range(w.size):
        h = eps * max(1.0, abs(w.flat[i]))
        wi = np.array([w.flat[i]])
        g.flat[i] = (reference_penalty(wi + h, p, alpha) - reference_penalty(wi - h, p, alpha)) / (2 * h)
    return g


hundredths = st.integers(-500, 500).map(lambda n: Fraction(n, 100))


@settings(max_examples=150, deadline=None)
@given(p=st.integers(1, 500).map(lambda n: Fraction(n, 100)),
       alpha=st.integers(0, 300).map(lambda n: Fraction(n, 100)),
       weights=st.lists(hundredths, min_size=1, max_size=6),
       matrix=st.booleans())
def test_gradient_matches_central_differences(p, alpha, weights, matrix):
    if p < 1:   # |w|ᵖ has a cusp at 0: compare away from it
        weights = [w if abs(w) >= Fraction(1, 10) else Fraction(1, 10) + abs(w) for w in weights]
    text = ",".join(str(w) for w in weights)
    if matrix and len(weights) % 2 == 0:
        half = len(weights) // 2
        text = ",".join(map(str, weights[:half])) + ";" + ",".join(map(str, weights[half:]))
    data = data_of(p=str(p), alpha=str(alpha), weights=text)
    w = np.array([float(x) for x in weights]).reshape(np.asarray(data["weights"]).shape)
    got = np.array(np.asarray(data["penalty_gradient"]).tolist(), dtype=float)
    want = central_differences(w, float(p), float(alpha))
    assert np.allclose(got, want, rtol=1e-5, atol=1e-6), (got, want)
    assert float(data["penalty"]) == pytest.approx(reference_penalty(w, float(p), float(alpha)),
                                                   rel=1e-12, abs=1e-12)


@settings(max_examples=50, deadline=None)
@given(p=st.integers(1, 6), weights=st.lists(hundredths, min_size=1, max_size=5))
def test_whole_p_is_exact(p, weights):
    problem = from_options(p=str(p), alpha="1/3", weights=",".join(map(str, weights)),
                           loss_gradient=",".join("1/7" for _ in weights), learning_rate="0.1")
    assert problem.exact
    data = solve(problem).data
    assert isinstance(data["penalty"], Fraction)
    assert data["penalty"] == Fraction(1, 3) * sum(abs(w) ** p for w in weights)
    for key in ("penalty_gradient", "gradient", "weights_new"):
        assert all(isinstance(v, Fraction) for v in data[key].ravel())
    for w, g in zip(weights, data["penalty_gradient"]):
        sign = (w > 0) - (w < 0)
        assert g == Fraction(1, 3) * p * abs(w) ** (p - 1) * sign
    for w, g, new in zip(weights, data["gradient"], data["weights_new"]):
        assert new == w - Fraction(1, 10) * g


def test_p2_by_hand_is_weight_decay():
    data = data_of(p="2", alpha="0.1", weights="1,-2,0.5", loss_gradient="0.3,0.1,-0.2",
                   learning_rate="0.1")
    assert data["penalty"] == Fraction(525, 1000)          # 0.1·(1 + 4 + 0.25)
    assert list(data["penalty_gradient"]) == [Fraction(1, 5), Fraction(-2, 5), Fraction(1, 10)]
    assert list(data["gradient"]) == [Fraction(1, 2), Fraction(-3, 10), Fraction(-1, 10)]
    assert list(data["weights_new"]) == [Fraction(95, 100), Fraction(-197, 100),
                                         Fraction(51, 100)]


def test_p1_by_hand_with_the_subgradient_at_zero():
    data = data_of(p="1", alpha="0.5", weights="1,-2;0,3")
    assert data["penalty"] == 3
    assert data["penalty_gradient"].tolist() == [[Fraction(1, 2), Fraction(-1, 2)],
                                                 [0, Fraction(1, 2)]]


def test_non_integer_p_is_floating_point_and_marked():
    problem = from_options(p="0.5", alpha="1", weights="-4,0,9")
    assert not problem.exact
    data = solve(problem).data
    assert data["penalty"] == pytest.approx(5)
    assert np.allclose(data["penalty_gradient"], [-0.25, 0, 0.5 / 3])
    text = text_of(problem)
    assert "≈ 0.166667" in text
    assert "subgradient 0 is used" in text


def test_shared_pnorm_code():
    w = np.array([Fraction(-2), Fraction(0), Fraction(1, 2)], dtype=object)
    assert pnorm.penalty(w, Fraction(3), Fraction(1)) == Fraction(65, 8)
    assert list(pnorm.gradient(w, Fraction(3), Fraction(1))) == [-12, 0, Fraction(3, 4)]
    wf = np.array([-2.0, 0.0, 0.5])
    assert np.allclose(pnorm.gradient(wf, Fraction(1, 2), 1), [-0.5 * 2 ** -0.5, 0, 0.5 ** 0.5])
    # a large whole p is computed in floating point, never as a huge exact power
    big = pnorm.penalty(np.array([Fraction(1, 2)], dtype=object), Fraction(10 ** 6), 1)
    assert isinstance(big, float) and big == 0.0


# --- the solution's text ------------------------------------------------------------------------
def test_general_derivation_reads_like_the_seed_corrected():
    result = run()
    assert result.exit_code == 0
    out = result.stdout
    for line in ["J̃ = J(w) + α ‖w‖ₚᵖ", "‖w‖ₚᵖ = Σᵢ |wᵢ|ᵖ", "∂/∂wᵢ Σⱼ |wⱼ|ᵖ",
                 "∂J/∂wᵢ + α · p · |wᵢ|ᵖ⁻¹ · sign(wᵢ)", "subgradient 0 is used",
                 "The shortcut α · p · wᵢᵖ⁻¹ (the derivative of α Σᵢ wᵢᵖ, the absolute value",
                 "A common shortcut writes Σᵢ wᵢᵖ without the absolute value"]:
        assert line in out, line
    assert out.index("Σⱼ |wⱼ|ᵖ") < out.index("|wᵢ|ᵖ⁻¹ · sign(wᵢ)")


def test_p2_and_p1_specialise_the_derivation():
    out2 = run("--p", "2").stdout
    assert "2α wᵢ" in out2 or "2αwᵢ" in out2
    assert "weight decay" in out2
    assert "agrees with the shortcut" in out2
    out1 = run("--p", "1").stdout
    assert "α · sign(wᵢ)" in out1
    assert "subgradient" in out1
    out_alpha = run("--p", "2", "--alpha", "0.1").stdout
    assert "0.2wᵢ" in out_alpha or "0.2 wᵢ" in out_alpha


def test_odd_p_points_out_the_seed_formula_with_both_values():
    out = run(ODD).stdout
    assert "wrong sign" in out
    table = out[out.index("right gradient   the shortcut"):]
    row = next(l for l in table.splitlines() if l.startswith("w₂"))
    assert row.split()[1:] == ["-2", "-1.2", "1.2"]
    assert "w₂ ← -2 − 0.1 · (-1.1) = -1.89" in out


def test_no_seed_table_where_the_seed_formula_agrees():
    # p − 1 = 1/3: the real cube root keeps the sign, so the seed's value is right here
    out = text_of(from_options(p="4/3", alpha="1", weights="-8,1"))
    assert "right gradient   the shortcut" not in out
    out = text_of(from_options(p="2", alpha="1", weights="-8,1"))
    assert "right gradient   the shortcut" not in out


def test_every_format_renders():
    for source in (SEED, ODD):
        for fmt in ("text", "json", "markdown", "latex"):
            assert run(source, "--format", fmt).exit_code == 0, (source, fmt)
    assert run("--p", "0.5", "--alpha", "1", "--weights", "1,-2;0,3", "--loss-gradient",
               "1,1;1,1", "--learning-rate", "0.1", "--format", "latex").exit_code == 0


def test_summary_detail_for_many_weights():
    weights = ",".join(str(i - 50) for i in range(100))
    out = run("--p", "3", "--alpha", "0.01", "--weights", weights).stdout
    assert "∂(α ‖w‖₃³)/∂w₁ =" not in out          # no line per weight
    assert "α · ∇ ‖w‖₃³ =" in out
    full = run("--p", "3", "--alpha", "0.01", "--weights", weights, "--detail", "full").stdout
    assert "∂(α ‖w‖₃³)/∂w₁₀₀ =" in full


# --- JSON: the contract, and the same from the command line as from YAML ------------------------
def test_json_key_contract():
    data = json.loads(run(ODD, "--format", "json").stdout)
    assert set(data) == KEYS
    assert data["kind"] == "regularize" and data["format_version"] == 1
    assert data["p"] == 3 and data["alpha"] == 0.1
    assert data["weights"] == [1, -2, 0.5]
    assert data["penalty"] == 0.9125
    assert data["penalty_gradient"] == [0.3, -1.2, 0.075]
    assert data["loss_gradient"] == [0.3, 0.1, -0.2]
    assert data["gradient"] == [0.6, -1.1, -0.125]
    assert data["learning_rate"] == 0.1
    assert data["weights_new"] == [0.94, -1.89, 0.5125]
    bare = json.loads(run("--p", "2", "--alpha", "1", "--weights", "1", "--format", "json").stdout)
    assert set(bare) == KEYS
    assert bare["loss_gradient"] is bare["gradient"] is bare["learning_rate"] is None
    assert bare["weights_new"] is None


def test_symbolic_json_has_the_same_keys_with_nulls():
    data = json.loads(run(SEED, "--format", "json").stdout)
    assert set(data) == KEYS
    assert data["p"] is None and data["weights"] is None and data["penalty"] is None
    assert json.loads(run("--p", "2", "--format", "json").stdout)["p"] == 2


def test_command_line_and_yaml_give_identical_json(tmp_path):
    cli_json = run("--p", "3", "--alpha", "0.1", "--weights", "1,-2,0.5", "--loss-gradient",
                   "0.3,0.1,-0.2", "--learning-rate", "0.1", "--format", "json").stdout
    assert run(ODD, "--format", "json").stdout == cli_json
    f = tmp_path / "m.yaml"
    f.write_text("p: 0.5\nalpha: 1/3\nweights: [[1, -2], [0, 3]]\n"
                 "loss_gradient: [[0.1, 0.2], [-0.3, 0]]\nlearning_rate: 0.1\n")
    yaml_json = run(str(f), "--format", "json").stdout
    cli_json = run("--p", "0.5", "--alpha", "1/3", "--weights", "1,-2;0,3", "--loss-gradient",
                   "0.1,0.2;-0.3,0", "--learning-rate", "0.1", "--format", "json").stdout
    assert yaml_json == cli_json and json.loads(yaml_json)["weights"] == [[1, -2], [0, 3]]
    assert run(SEED, "--format", "json").stdout == run("--format", "json").stdout


def test_weights_from_a_file(tmp_path):
    (tmp_path / "W.txt").write_text("1 -2\n0.5 3\n")
    f = tmp_path / "p.yaml"
    f.write_text("p: 2\nalpha: 0.1\nweights: W.txt\n")
    data = json.loads(run(str(f), "--format", "json").stdout)
    assert data["penalty_gradient"] == [[0.2, -0.4], [0.1, 0.6]]


# --- errors: one line, naming where, nothing on stdout ------------------------------------------
def write(tmp_path, text):
    f = tmp_path / "problem.yaml"
    f.write_text(text)
    return str(f)


@pytest.mark.parametrize("text, where, message", [
    ("kind: regularize\np: 0\nalpha: 0.1\nweights: [1, 2]\n", "2:4: p",
     "expected p > 0, got 0: for p ≤ 0, Σ|wᵢ|ᵖ does not grow with the weights and is no penalty"),
    ("p: -1\n", "1:4: p", "expected p > 0, got -1"),
    ("p: 2\nalpha: 0.1\nwieghts: [1, 2]\n", "3:1: wieghts",
     "unknown field; did you mean `weights`?"),
    ("p: 2\nweights: [1, 2]\n", "1:1", "missing field `alpha`"),
    ("alpha: 1\nweights: [1, 2]\n", "1:1", "missing field `p`"),
    ("p: p\nalpha: 1\nweights: [1, 2]\n", "1:4: p", "expected a number for p"),
    ("p: 2\nalpha: -1\nweights: [1]\n", "2:8: alpha", "expected alpha ≥ 0, got -1"),
    ("p: 2\nalpha: 1\nweights: [1, 2]\nloss_gradient: [1]\n", "4:16: loss_gradient",
     "expected 2 values (one per weight), got 1 value"),
    ("p: 2\nalpha: 1\nweights: [[1, 2], [3]]\n", "3:19: weights[1]", "ragged matrix"),
    ("p: 2\nlearning_rate: 0.1\n", "2:16: learning_rate", "needs the weights (`weights`)"),
    ("p: 2\nalpha: 1\nweights: [1]\nlearning_rate: 0\n", "4:16: learning_rate",
     "expected a learning rate > 0, got 0"),
    ("p: 5000\nalpha: 1\nweights: [10]\n", "3:10: weights", "too large for a floating-point"),
    ("p: 200\nalpha: 1\nweights: [1e300]\n", "3:10: weights",
     "too large for a floating-point"),                     # exact: the penalty is a Fraction
    ("p: 300\nalpha: 1\nweights: [2]\nlearning_rate: 1e300\n", "4:16: learning_rate",
     "the updated weights are too large for a floating-point number"),
    ("kind: conv\np: 2\n", "1:7: kind", "this is a conv problem"),
])
def test_problem_errors_name_file_line_column_and_field(tmp_path, text, where, message):
    path = write(tmp_path, text)
    result = run(path)
    assert result.exit_code == 1
    assert result.stdout == ""
    line = result.stderr.strip()
    assert "\n" not in line
    assert line.startswith(f"Error: {path}:{where}: "), line
    assert message in line


@pytest.mark.parametrize("args, message", [
    (["--p", "0"], "Error: --p: expected p > 0, got 0: for p ≤ 0, Σ|wᵢ|ᵖ does not grow with "
                   "the weights and is no penalty"),
    (["--p", "-2", "--alpha", "1", "--weights", "1"], "Error: --p: expected p > 0, got -2: for p ≤ 0, "
                                                       "Σ|wᵢ|ᵖ does not grow with the weights and "
                                                       "is no penalty"),
    (["--p", "two"], "Error: --p: expected p (a number > 0, or the letter p for any p), "
                     "got 'two'"),
    (["--p", "2", "--weights", "1,2"], "Error: missing option --alpha (the weights need an α "
                                       "to compute the penalty)"),
    (["--p", "2", "--alpha", "1", "--weights", "1,2;3"],
     "Error: --weights: ragged matrix: rows have 2, 1 numbers"),
    (["--p", "2", "--alpha", "1", "--weights", "1,x"],
     "Error: --weights: expected a number, got 'x' (numbers are separated by commas, rows by `;`)"),
    (["--p", "2", "--alpha", "1", "--weights", "1,2", "--loss-gradient", "1,2;3,4"],
     "Error: --loss-gradient: expected 2 values (one per weight), got a 2×2 matrix"),
    (["--learning-rate", "0.1"], "Error: --learning-rate: needs the weights (--weights) to "
                                 "compute with"),
    (["--p", "nan"], "Error: --p: expected a finite number, got 'nan'"),
    (["--p", "300", "--alpha", "1", "--weights", "2", "--learning-rate", "1e300", "--format",
      "json"], "Error: --learning-rate: the updated weights are too large for a floating-point "
               "number (over 1.8e308): use a smaller learning rate"),
])
def test_option_errors(args, message):
    result = run(*args)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == message


def test_usage_errors_exit_2(tmp_path):
    r = run(ODD, "--p", "2")
    assert r.exit_code == 2 and r.stdout == ""
    assert "give either a problem file or --p, not both" in r.stderr
    r = run("--q", "2")
    assert r.exit_code == 2 and r.stdout == ""
    r = run(str(tmp_path / "missing.yaml"))
    assert r.exit_code == 2 and r.stdout == ""


def test_negative_first_weight_on_the_command_line():
    r = run("--p", "2", "--alpha", "1", "--weights", "-1,2", "--format", "json")
    assert r.exit_code == 0, r.stderr
    assert json.loads(r.stdout)["penalty_gradient"] == [-2, 4]


def test_library_form():
    problem = load_problem(ODD)
    assert problem.kind == "regularize" and problem.title
    assert solve(problem, SolveOptions(detail="summary")).data["penalty"] == Fraction(9125, 10000)
    with pytest.raises(ProblemError):
        from_options(p="0")


def test_a_penalty_beyond_floats_is_found_by_the_solver_where_the_weights_were_given():
    """Reading the problem does not compute; solving it names the weights' option."""
    problem = from_options(p="1000", alpha="1", weights="10")
    assert problem.weights_where == (None, None, None, "--weights")
    with pytest.raises(ProblemError) as e:
        solve(problem)
    assert str(e.value).startswith("--weights: the penalty α Σ|wᵢ|ᵖ or its gradient is too large")


def test_the_derivation_alone_never_loads_numpy():
    import subprocess
    import sys
    code = ("import sys\nfrom click.testing import CliRunner\nfrom nnsolve.cli import cli\n"
            "for fmt in ('text', 'markdown', 'latex', 'json'):\n"
            "    r = CliRunner().invoke(cli, ['regularize', '--p', '2', '--format', fmt])\n"
            "    assert r.exit_code == 0, r.output\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'numpy')[:3])\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=os.path.dirname(HERE))
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


def test_the_regularised_loss_is_a_symbol_with_a_tilde():
    from nnsolve.expr import Sym
    from nnsolve.render.latex_math import LatexMathPrinter
    from nnsolve.render.unicode import UnicodePrinter
    from nnsolve.kinds.regularize.solve import J_TILDE
    assert J_TILDE.name == "J" and J_TILDE.tilde
    assert UnicodePrinter(RenderOptions()).box(J_TILDE).lines == ["J\u0303"]
    assert LatexMathPrinter(RenderOptions()).doprint(J_TILDE) == r"\tilde{J}"
    assert LatexMathPrinter(RenderOptions()).doprint(Sym("w", sub=1, tilde=True)) == \
        r"\tilde{w}_{1}"
    assert "J\u0303" in text_of(from_options(p="2"))
