"""check's explanations agree with themselves (issue 11.8): the summary says what the table says;
"follows from" only where recomputing from the student's own value gives the claimed one; notes
name the problem's actual numbers; sizes get the "padding counted on one side only" diagnosis."""

import json
import os
import shutil

from click.testing import CliRunner

from nnsolve.check import grade, load_answers
from nnsolve.cli import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "problems", "seed-backprop.yaml")


def check(tmp_path, answers, problem_text=None, *extra):
    if problem_text is None:
        shutil.copy(SEED, tmp_path / "p.yaml")
    else:
        (tmp_path / "p.yaml").write_text(problem_text, encoding="utf-8")
    (tmp_path / "a.yaml").write_text("problem: p.yaml\nanswers:\n" + answers, encoding="utf-8")
    r = CliRunner().invoke(cli, ["check", str(tmp_path / "a.yaml"), *extra])
    return r, " ".join(r.stdout.split())


def seed_with_eta(eta):
    with open(SEED, encoding="utf-8") as fh:
        text = fh.read()
    assert "learning_rate: 0.01" in text
    return text.replace("learning_rate: 0.01", f"learning_rate: {eta}")


def test_summary_and_table_agree_on_a_value_that_follows_from_a_later_mistake(tmp_path):
    # layer 3's gradient has its sign flipped (the earliest wrong step); layer 2's gradient is
    # wrong in a way no known mistake explains, and its W_new is the right update of that value
    r, out = check(tmp_path, "  layers:\n    3: {dJ_dW: [[0, 18]]}\n"
                             "    2: {dJ_dW: [[0, 0], [-5, 0]], W_new: [[-1, 1], [1.05, -1]]}\n")
    assert r.exit_code == 1
    assert "Earliest wrong step: layers.3.dJ_dW" in out
    assert "layers.2.W_new follows from your layers.2.dJ_dW." in out
    assert "No known mistake explains layers.2.dJ_dW." in out
    assert "mistake of its own" not in out
    assert "from your layers.2.dJ_dW" in out        # the table's cell says the same


def test_the_same_mistake_in_several_layers_is_not_a_consequence(tmp_path):
    # η = 0.1 in the problem; the student used 1 in every layer: three independent updates
    r, out = check(tmp_path, "  layers:\n    1: {W_new: [[19], [-1]]}\n"
                             "    2: {W_new: [[-1, 1], [19, -1]]}\n    3: {W_new: [[-1, 19]]}\n",
                   seed_with_eta("0.1"))
    assert r.exit_code == 1
    assert "Earliest wrong step: layers.1.W_new" in out
    assert "follows from" not in out and "follow from" not in out
    assert "The same mistake (η ×10) gives layers.2.W_new, layers.3.W_new." in out
    # the notes name the problem's numbers: the student's η and the problem's
    assert out.count("η = 1 used where the problem's η = 0.1.") == 3
    assert "0.01" not in out


def test_follows_from_is_computed_not_guessed(tmp_path):
    """A W_new that is not W − η·(the student's gradient) does not "follow from" it."""
    r, out = check(tmp_path, "  layers:\n    2: {dJ_dW: [[0, 0], [-5, 0]], "
                             "W_new: [[-1, 1], [1.07, -1]]}\n")
    assert "follows from" not in out
    ans = load_answers(str(tmp_path / "a.yaml"))
    rep = grade(ans)
    assert all(x.follows_from is None for x in rep.results)


def test_follows_from_with_an_eta_mistake_names_the_numbers(tmp_path):
    # the student's own wrong gradient, then η = 0.1 used for 0.01: 1 − 0.1·(−5) = 1.5
    r, out = check(tmp_path, "  layers:\n    2: {dJ_dW: [[0, 0], [-5, 0]], "
                             "W_new: [[-1, 1], [1.5, -1]]}\n")
    assert ("layers.2.W_new: follows from your layers.2.dJ_dW, with η applied ten times too "
            "large: η = 0.1 used where the problem's η = 0.01.") in out


def test_no_redundant_second_explanation(tmp_path):
    """A combination whose second mistake does not change this value is not listed again."""
    r, out = check(tmp_path, "  layers:\n    2: {dJ_dW: [[0, 0], [-9, 0]]}\n")
    assert "layers.2.dJ_dW: the value you get with the factor 2 of the squared loss dropped" in out
    assert "; also" not in out
    data = json.loads(CliRunner().invoke(cli, ["check", str(tmp_path / "a.yaml"), "--format",
                                               "json"]).stdout)
    f = data["files"][0]["fields"][0]
    assert f["mistake"]["names"] == ["loss_factor_2"] and f["also_explained_by"] == []


SHAPE = """kind: shape
input: [3, 32, 32]
layers:
  - conv: {filters: 8, kernel: 5, padding: 2, stride: 1}
  - conv: {filters: 4, kernel: 3, padding: 1, stride: 2}
"""


def test_padding_counted_on_one_side_only(tmp_path):
    # (32 − 5 + 2)/1 + 1 = 30 instead of (32 − 5 + 4)/1 + 1 = 32
    r, out = check(tmp_path, "  layers:\n    1: {output_shape: [8, 30, 30]}\n", SHAPE)
    assert r.exit_code == 1
    assert "padding counted on one side only" in out
    assert "padding forgotten" not in out           # that would give 28
    r, out = check(tmp_path, "  layers:\n    1: {output_shape: [8, 28, 28]}\n", SHAPE)
    assert "padding forgotten" in out and "one side only" not in out
    r, out = check(tmp_path, "  output_shape: [4, 15, 15]\n", SHAPE)   # both layers one-sided
    assert "padding counted on one side only" in out, out
