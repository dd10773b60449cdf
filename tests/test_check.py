"""nnsolve check: grading answers, the likely mistake, the class summary.

Every wrong value here is computed by hand in a comment, not by the variant code it tests."""

import json
import os
import textwrap

import pytest
from click.testing import CliRunner

from nnsolve.check import check_files, grade, load_answers
from nnsolve.cli import cli
from nnsolve.errors import ProblemError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBLEMS = os.path.join(ROOT, "problems")
ANSWERS = os.path.join(PROBLEMS, "answers")
SEED = os.path.join(PROBLEMS, "seed-backprop.yaml")


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text))
    return str(path)


def seed_answers(tmp_path, body, name="a.yaml", extra=""):
    """An answers file for the seed's backprop problem (body: the `answers:` lines)."""
    return write(tmp_path, name, f"problem: {SEED}\n{extra}answers:\n" +
                 textwrap.indent(textwrap.dedent(body), "  "))


def graded(path):
    rep = grade(load_answers(path))
    return {r.field: r for r in rep.results}, rep


def first_mistake(r):
    return r.mistakes[0] if r.mistakes else None


# --- the seed's answers files -----------------------------------------------------------------

def test_right_answers_are_all_right():
    rep = grade(load_answers(os.path.join(ANSWERS, "seed-answers-right.yaml")))
    assert rep.n_wrong == 0 and rep.n_right == len(rep.results) >= 10
    assert all(not r.mistakes for r in rep.results)


def test_wrong_answers_named():
    fields, rep = graded(os.path.join(ANSWERS, "seed-answers-wrong.yaml"))
    # 1 − 0.1·(−18) = 2.8: η = 0.1 where η = 0.01 (seed eq. 47–49)
    assert first_mistake(fields["layers.3.W_new"]) == ("eta_x10",)
    # ∂J/∂ŷ = −(6 − 3) = −3 without the 2; ∂J/∂a⁽²⁾₂ = −3; ∂J/∂w⁽²⁾₂,₁ = −3 · 3 = −9
    assert first_mistake(fields["layers.2.dJ_dW"]) == ("loss_factor_2",)
    # 1 − 0.01·(−9) = 1.09: the update of the student's own gradient
    assert fields["layers.2.W_new"].follows_from == "layers.2.dJ_dW"
    assert rep.earliest.field == "layers.2.dJ_dW"
    assert fields["loss"].correct and fields["layers.1.a"].correct


# --- backprop mistakes, one by one -------------------------------------------------------------

@pytest.mark.parametrize("body, field, mistake", [
    # factor 2 dropped: ∂J/∂ŷ = −(y − ŷ) = −3, ∂J/∂w⁽³⁾ = −3 · h⁽²⁾ = −3 · (0, 3) = (0, −9)
    ("layers: {3: {dJ_dW: [[0, -9]]}}", "layers.3.dJ_dW", ("loss_factor_2",)),
    ("layers: {3: {dJ_dh: [-3]}}", "layers.3.dJ_dh", ("loss_factor_2",)),
    # ReLU gate ignored: ∂J/∂h⁽²⁾ = −6 · (−1, 1) = (6, −6), times f′ = 1 for both: (6, −6)
    ("layers: {2: {dJ_da: [6, -6]}}", "layers.2.dJ_da", ("relu_gate_ignored",)),
    # … and ∂J/∂W⁽²⁾ = (6, −6)ᵀ · h⁽¹⁾ᵀ = (6, −6)ᵀ (3, 0) = [[18, 0], [−18, 0]]
    ("layers: {2: {dJ_dW: [[18, 0], [-18, 0]]}}", "layers.2.dJ_dW", ("relu_gate_ignored",)),
    # sign: ∂J/∂ŷ = +6, so ∂J/∂w⁽³⁾ = (0, 18)
    ("layers: {3: {dJ_dW: [[0, 18]]}}", "layers.3.dJ_dW", ("gradient_sign",)),
    # η ×10: 1 − 0.1 · (−18) = 2.8 (the seed's eq. 47)
    ("layers: {1: {W_new: [[2.8], [-1]]}}", "layers.1.W_new", ("eta_x10",)),
    # η ÷10: 1 − 0.001 · (−18) = 1.018
    ("layers: {3: {W_new: [[-1, 1.018]]}}", "layers.3.W_new", ("eta_div10",)),
    # added: 1 + 0.01 · (−18) = 0.82
    ("layers: {2: {W_new: [[-1, 1], [0.82, -1]]}}", "layers.2.W_new", ("update_added",)),
    # factor 2 dropped and η ×10 together: 1 − 0.1 · (−9) = 1.9
    ("layers: {3: {W_new: [[-1, 1.9]]}}", "layers.3.W_new", ("loss_factor_2", "eta_x10")),
])
def test_backprop_mistake_named(tmp_path, body, field, mistake):
    fields, rep = graded(seed_answers(tmp_path, body))
    r = fields[field]
    assert not r.correct
    assert first_mistake(r) == mistake


def test_mistakes_through_a_softmax_output(tmp_path):
    write(tmp_path, "p.yaml", """\
        kind: backprop
        input: [1]
        target: [1, 0]
        layers:
          - weights: [[0], [0]]
            activation: softmax
        loss: squared_error
        learning_rate: 0.1
        """)
    # ŷ = softmax(0, 0) = (1/2, 1/2); ∂h/∂a = diag(ŷ) − ŷŷᵀ = [[1/4, −1/4], [−1/4, 1/4]]
    # right: ∂J/∂ŷ = −2(y − ŷ) = (−1, 1), ∂J/∂a = (−1/2, 1/2), ∂J/∂W = ((−1/2), (1/2))
    # factor 2 dropped: ∂J/∂ŷ = (−1/2, 1/2), ∂J/∂a = (−1/4, 1/4) = ∂J/∂W (x = 1)
    a = write(tmp_path, "a.yaml", "problem: p.yaml\nanswers:\n"
                                  "  layers: {1: {dJ_da: [-0.25, 0.25], dJ_dW: [[-0.25], [0.25]]}}\n")
    fields, _ = graded(a)
    assert first_mistake(fields["layers.1.dJ_da"]) == ("loss_factor_2",)
    assert first_mistake(fields["layers.1.dJ_dW"]) == ("loss_factor_2",)


def test_mistakes_with_a_penalty(tmp_path):
    # problems/leaky-regularized.yaml: h⁽¹⁾ = (0.1, −0.25), ŷ = 0.35, y = 1, w⁽²⁾ = (1, −1),
    # ∂R/∂w⁽²⁾ = 2 · 0.01 · w⁽²⁾ = (0.02, −0.02)
    # factor 2 dropped: ∂J/∂ŷ = −0.65; ∂J/∂W⁽²⁾ = −0.65 · (0.1, −0.25) + (0.02, −0.02)
    #   = (−0.045, 0.1425)
    # leaky-ReLU gate ignored: ∂J/∂a⁽¹⁾ = −1.3 · w⁽²⁾ · 1 = (−1.3, 1.3) (right: (−1.3, 0.13))
    path = write(tmp_path, "a.yaml",
                 f"problem: {os.path.join(PROBLEMS, 'leaky-regularized.yaml')}\n"
                 "answers:\n  layers:\n    2: {dJ_dW: [[-0.045, 0.1425]]}\n"
                 "    1: {dJ_da: [-1.3, 1.3]}\n")
    fields, _ = graded(path)
    assert first_mistake(fields["layers.2.dJ_dW"]) == ("loss_factor_2",)
    assert first_mistake(fields["layers.1.dJ_da"]) == ("relu_gate_ignored",)


def test_unexplained_wrong_value_has_no_mistake(tmp_path):
    fields, _ = graded(seed_answers(tmp_path, "layers: {3: {dJ_dW: [[5, 7]]}}"))
    assert not fields["layers.3.dJ_dW"].correct and not fields["layers.3.dJ_dW"].mistakes


def test_earliest_wrong_in_order_of_computation(tmp_path):
    # written in file order W_new, dJ_dW (layer 1), dJ_dh (layer 3): the computation meets
    # layer 3's ∂J/∂h first (backward from the last layer), then the update
    body = """\
    layers:
      1: {W_new: [[1.09], [-1]], dJ_dW: [[-9], [0]]}
      3: {dJ_dh: [-3]}
    """
    fields, rep = graded(seed_answers(tmp_path, body))
    assert rep.earliest.field == "layers.3.dJ_dh"
    assert [r.field for r in rep.results] == ["layers.3.dJ_dh", "layers.1.dJ_dW",
                                              "layers.1.W_new"]


def test_tolerance(tmp_path):
    fields, _ = graded(seed_answers(tmp_path, "layers: {3: {W_new: [[-1, 1.1805]]}}"))
    assert fields["layers.3.W_new"].correct                      # within 0.001
    fields, _ = graded(seed_answers(tmp_path, "layers: {3: {W_new: [[-1, 1.19]]}}"))
    assert not fields["layers.3.W_new"].correct
    fields, _ = graded(seed_answers(tmp_path, "layers: {3: {W_new: [[-1, 1.19]]}}",
                                    extra="tolerance: {abs: 0.05}\n"))
    assert fields["layers.3.W_new"].correct
    fields, _ = graded(seed_answers(tmp_path, "loss: 9.05", extra="tolerance: {rel: 0.01}\n"))
    assert fields["loss"].correct                                # 0.05 ≤ 0.01 · 9


def test_vector_shapes_are_lenient(tmp_path):
    # W⁽¹⁾ is 2×1; writing it as a list of two is the same answer; ŷ = 3 as a scalar too
    fields, _ = graded(seed_answers(tmp_path, "output: 3\nlayers: {1: {dJ_dW: [-18, 0]}}"))
    assert fields["output"].correct and fields["layers.1.dJ_dW"].correct


# --- other kinds --------------------------------------------------------------------------------

def conv_problem(tmp_path, extra):
    return write(tmp_path, "conv.yaml", "kind: conv\ninput: [[1, 2, 3], [4, 5, 6], [1, 5, 3]]\n"
                 "kernel: [[1, 2], [0, 1]]\n" + extra)


def test_conv_kernel_flipped(tmp_path):
    conv_problem(tmp_path, "")
    # right (cross-correlation): 1+4+0+5 = 10, 2+6+0+6 = 14, 4+10+0+5 = 19, 5+12+0+3 = 20
    # flipped kernel [[1, 0], [2, 1]]: 1+0+8+5 = 14, 2+0+10+6 = 18, 4+0+2+5 = 11, 5+0+10+3 = 18
    a = write(tmp_path, "a.yaml", """\
        problem: conv.yaml
        answers: {output: [[14, 18], [11, 18]], output_shape: [2, 2]}
        """)
    fields, _ = graded(a)
    assert fields["output_shape"].correct
    assert first_mistake(fields["output"]) == ("kernel_flipped",)
    b = write(tmp_path, "b.yaml", "problem: conv.yaml\nanswers: {output: [[10, 14], [19, 20]]}\n")
    fields, _ = graded(b)
    assert fields["output"].correct


def test_conv_not_flipped(tmp_path):
    conv_problem(tmp_path, "mode: convolution\n")
    # a convolution flips the kernel; the cross-correlation values are the mistake
    a = write(tmp_path, "a.yaml", "problem: conv.yaml\nanswers: {output: [[10, 14], [19, 20]]}\n")
    fields, _ = graded(a)
    assert first_mistake(fields["output"]) == ("kernel_not_flipped",)


def test_conv_padding_and_ceil(tmp_path):
    conv_problem(tmp_path, "padding: 1\nstride: 2\n")
    # right: ⌊(3 + 2 − 2)/2⌋ + 1 = 2; padding forgotten: ⌊(3 − 2)/2⌋ + 1 = 1; ceil: ⌈3/2⌉ + 1 = 3
    for claimed, mistake in (("[1, 1]", "padding_forgotten"), ("[3, 3]", "ceil_instead_of_floor")):
        a = write(tmp_path, "a.yaml", f"problem: conv.yaml\nanswers: {{output_shape: {claimed}}}\n")
        fields, _ = graded(a)
        assert first_mistake(fields["output_shape"]) == (mistake,)


def test_shape_mistakes(tmp_path):
    write(tmp_path, "shape.yaml", """\
        kind: shape
        input: [1, 4, 4]
        layers:
          - conv: {filters: 2, kernel: 2, padding: 1}
          - pool: {type: max, size: 2}
        """)
    # conv: (4 + 2 − 2) + 1 = 5 → 2×5×5, 2·(1·2·2) + 2 = 10 parameters; pool: ⌊(5 − 2)/2⌋ + 1 = 2
    # padding forgotten: 4 − 2 + 1 = 3 → [2, 3, 3]; ceil: ⌈3/2⌉ + 1 = 3 → [2, 3, 3] after pooling;
    # biases not counted: 8
    a = write(tmp_path, "a.yaml", """\
        problem: shape.yaml
        answers:
          layers:
            1: {output_shape: [2, 3, 3], parameters: 8}
            2: {output_shape: [2, 3, 3]}
          total_parameters: 10
        """)
    fields, rep = graded(a)
    assert first_mistake(fields["layers.1.output_shape"]) == ("padding_forgotten",)
    assert first_mistake(fields["layers.1.parameters"]) == ("bias_not_counted",)
    assert first_mistake(fields["layers.2.output_shape"]) == ("ceil_instead_of_floor",)
    assert fields["total_parameters"].correct
    assert rep.earliest.field == "layers.1.output_shape"


def test_shape_floor_instead_of_ceil(tmp_path):
    write(tmp_path, "shape.yaml", """\
        kind: shape
        input: [1, 5, 5]
        layers:
          - pool: {type: max, size: 2, ceil_mode: true}
        """)
    # ceil mode: ⌈(5 − 2)/2⌉ + 1 = 3; floor: ⌊3/2⌋ + 1 = 2
    a = write(tmp_path, "a.yaml", "problem: shape.yaml\nanswers: {output_shape: [1, 2, 2]}\n")
    fields, _ = graded(a)
    assert first_mistake(fields["output_shape"]) == ("floor_instead_of_ceil",)


def test_regularize_mistakes(tmp_path):
    # p = 3, α = 0.1, w = (1, −2, 0.5), ∇J = (0.3, 0.1, −0.2), η = 0.1
    # right: 0.3·|w|²·sign(w) = (0.3, −1.2, 0.075)
    # seed's α·p·w²: (0.3, 1.2, 0.075); penalty Σw³: 0.1·(1 − 8 + 0.125) = −0.6875
    # η ×10: w − 1·(0.6, −1.1, −0.125) = (0.4, −0.9, 0.625)
    path = write(tmp_path, "a.yaml",
                 f"problem: {os.path.join(PROBLEMS, 'regularize-odd-p.yaml')}\n"
                 "answers:\n  penalty_gradient: [0.3, 1.2, 0.075]\n  penalty: -0.6875\n"
                 "  gradient: [0.6, -1.1, -0.125]\n  weights_new: [0.4, -0.9, 0.625]\n")
    fields, _ = graded(path)
    assert first_mistake(fields["penalty_gradient"]) == ("pnorm_sign_lost",)
    assert first_mistake(fields["penalty"]) == ("pnorm_sign_lost",)
    assert fields["gradient"].correct
    assert first_mistake(fields["weights_new"]) == ("eta_x10",)


# --- errors in answers files ------------------------------------------------------------------

def test_unknown_key_is_a_problem_error(tmp_path):
    a = seed_answers(tmp_path, "layers:\n  3: {dJdW: [[0, -18]]}\n")
    with pytest.raises(ProblemError) as e:
        load_answers(a)
    msg = str(e.value)
    # line 4 (problem, answers, layers, 3: {dJdW ...}), column 9: the key itself
    assert msg.startswith(f"{a}:4:9: answers.layers.3.dJdW: unknown field")
    assert "did you mean `dJ_dW`?" in msg
    r = CliRunner().invoke(cli, ["check", a])
    assert r.exit_code == 1 and r.stdout == ""
    assert "Error:" in r.stderr and "answers.layers.3.dJdW" in r.stderr


def test_no_such_layer(tmp_path):
    a = seed_answers(tmp_path, "layers:\n  4: {a: [1]}\n")
    with pytest.raises(ProblemError, match="no layer 4: expected a number from 1 to 3"):
        load_answers(a)


def test_missing_problem_file(tmp_path):
    a = write(tmp_path, "a.yaml", "problem: nope.yaml\nanswers: {loss: 9}\n")
    with pytest.raises(ProblemError, match="nope.yaml not found"):
        load_answers(a)


# --- the command line -------------------------------------------------------------------------

def test_cli_exit_codes():
    runner = CliRunner()
    r = runner.invoke(cli, ["check", os.path.join(ANSWERS, "seed-answers-right.yaml")])
    assert r.exit_code == 0, r.output
    assert "15 of 15 right." in r.stdout
    r = runner.invoke(cli, ["check", os.path.join(ANSWERS, "seed-answers-wrong.yaml")])
    assert r.exit_code == 1
    assert "Earliest wrong step: layers.2.dJ_dW" in r.stdout
    assert "η = 0.1 used where the problem's η = 0.01" in " ".join(r.stdout.split())


CHECK_KEYS = {"kind", "format_version", "files", "summary"}
FILE_KEYS = {"file", "student", "problem", "kind", "tolerance", "right", "wrong", "total",
             "all_right", "earliest_wrong", "fields", "mistakes", "error"}
FIELD_KEYS = {"field", "stage", "claimed", "right", "correct", "mistake", "also_explained_by",
              "follows_from", "follows_with"}


def class_files(tmp_path):
    """Five students: right, η ×10, factor 2 dropped, ReLU gate ignored, and one unexplained."""
    bodies = {
        "ada": "loss: 9\nlayers: {3: {dJ_dW: [[0, -18]], W_new: [[-1, 1.18]]}}",
        "ben": "loss: 9\nlayers: {3: {dJ_dW: [[0, -18]], W_new: [[-1, 2.8]]}}",
        "cem": "loss: 9\nlayers: {3: {dJ_dW: [[0, -9]], W_new: [[-1, 1.09]]}}",
        "dia": "loss: 9\nlayers: {2: {dJ_da: [6, -6]}, 3: {dJ_dW: [[0, -18]]}}",
        "eli": "loss: 3\nlayers: {3: {dJ_dW: [[0, -18]]}}",
    }
    return [seed_answers(tmp_path, body, name=f"{name}.yaml",
                         extra=f"student: {name.title()}\n") for name, body in bodies.items()]


def test_cli_class_summary(tmp_path):
    files = class_files(tmp_path)
    r = CliRunner().invoke(cli, ["check", *files])
    assert r.exit_code == 1
    out = r.stdout
    assert "Class summary" in out
    summary = out[out.index("Class summary"):]
    for name in ("Ada", "Ben", "Cem", "Dia", "Eli"):
        assert name in summary
    assert "η ×10" in summary and "factor 2 dropped" in summary and "ReLU gate ignored" in summary
    assert "1 of 5 answer files all right." in summary


def test_cli_json(tmp_path):
    files = class_files(tmp_path)
    r = CliRunner().invoke(cli, ["check", *files, "--format", "json"])
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert set(data) == CHECK_KEYS and data["kind"] == "check"
    assert len(data["files"]) == 5
    for f in data["files"]:
        assert set(f) == FILE_KEYS
        for fld in f["fields"]:
            assert set(fld) == FIELD_KEYS
    by_student = {f["student"]: f for f in data["files"]}
    assert by_student["Ada"]["all_right"] is True
    ben = {x["field"]: x for x in by_student["Ben"]["fields"]}
    assert ben["layers.3.W_new"]["mistake"]["names"] == ["eta_x10"]
    assert ben["layers.3.W_new"]["right"] == [[-1, 1.18]]
    assert ben["layers.3.W_new"]["claimed"] == [[-1, 2.8]]
    assert by_student["Eli"]["earliest_wrong"] == "loss"
    assert data["summary"]["files"] == 5 and data["summary"]["all_right"] == 1
    assert data["summary"]["mistakes"]["eta_x10"] == 1


def test_cli_markdown_and_latex(tmp_path):
    files = class_files(tmp_path)
    for fmt in ("markdown", "latex"):
        r = CliRunner().invoke(cli, ["check", *files, "--format", fmt])
        assert r.exit_code == 1 and "Class summary" in r.stdout


def test_cli_tolerance_options(tmp_path):
    a = seed_answers(tmp_path, "layers: {3: {W_new: [[-1, 1.19]]}}")
    assert CliRunner().invoke(cli, ["check", a]).exit_code == 1
    assert CliRunner().invoke(cli, ["check", a, "--abs", "0.05"]).exit_code == 0
    r = CliRunner().invoke(cli, ["check", a, "--abs", "x"])
    assert r.exit_code == 2


def test_check_files_library():
    sol, ok = check_files([os.path.join(ANSWERS, "seed-answers-right.yaml")])
    assert ok and sol.kind == "check" and sol.data["summary"]["wrong"] == 0


def test_a_problem_file_given_to_check_is_named_as_such():
    from click.testing import CliRunner
    from nnsolve.cli import cli
    r = CliRunner().invoke(cli, ["check", "problems/seed-backprop.yaml"])
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr == ("Error: problems/seed-backprop.yaml:3:7: kind: this is a backprop problem, "
                        "not an answers file; solve it with `nnsolve solve`, or grade answers to "
                        "it with an answers file whose `problem:` names it\n")


def _xcorr_padded(x, k, top, bottom, left, right, stride=1):
    """A plain nested-loop cross-correlation of x with k, zeros added on each side as given."""
    H, W = len(x), len(x[0])
    P = [[0] * (left + W + right) for _ in range(top + H + bottom)]
    for i in range(H):
        for j in range(W):
            P[top + i][left + j] = x[i][j]
    kh, kw = len(k), len(k[0])
    return [[sum(P[r * stride + a][c * stride + b] * k[a][b] for a in range(kh) for b in range(kw))
             for c in range((len(P[0]) - kw) // stride + 1)]
            for r in range((len(P) - kh) // stride + 1)]


def test_conv_padding_on_one_side(tmp_path):
    """A student who pads only before the input (top and left), or only after it, gets a
    smaller output with other values: check names it, as shape's size mistake."""
    x = [[1, 2, 3], [4, 5, 6], [1, 5, 3]]
    k = [[1, 2], [0, 1]]
    conv_problem(tmp_path, "padding: 1\n")
    right = _xcorr_padded(x, k, 1, 1, 1, 1)
    assert len(right) == 4
    for sides in ((1, 0, 1, 0), (0, 1, 0, 1)):
        wrong = _xcorr_padded(x, k, *sides)      # 3 × 3, not 4 × 4
        assert len(wrong) == 3 and wrong != right
        a = write(tmp_path, "a.yaml", "problem: conv.yaml\nanswers:\n"
                  f"  output: {wrong}\n  output_shape: [3, 3]\n")
        fields, _ = graded(a)
        assert not fields["output"].correct
        assert first_mistake(fields["output"]) == ("padding_one_side",), sides
        assert first_mistake(fields["output_shape"]) == ("padding_one_side",)
    # padded on one side already: nothing to put on one side
    conv_problem(tmp_path, "padding: [[1, 0], [1, 0]]\n")
    a = write(tmp_path, "a.yaml", "problem: conv.yaml\nanswers:\n"
              f"  output: {_xcorr_padded(x, k, 0, 0, 0, 0)}\n")
    fields, _ = graded(a)
    assert "padding_one_side" not in [m[0] for m in fields["output"].mistakes]
