"""nnsolve check over a whole class: every readable file graded, broken ones a row of the summary,
the gradebook as CSV and JSON, a progress bar only on a terminal."""

import csv
import io
import json
import os
import subprocess
import sys

import pytest
import yaml
from click.testing import CliRunner

from nnsolve.check import Ungraded, grade_files
from nnsolve.cli import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SEED = os.path.join(ROOT, "problems", "seed-backprop.yaml")

BROKEN = {
    # name: (text, the error line check must give for it)
    "broken-yaml.yaml": ("problem: p1.yaml\nanswers:\n  loss: [1, 2\n",
                         "{d}/broken-yaml.yaml:4:1: invalid YAML: expected ',' or ']', but got "
                         "'<stream end>'"),
    "broken-field.yaml": ("problem: p2.yaml\nanswers: {lost: 1}\n",
                          "{d}/broken-field.yaml:2:11: answers.lost: unknown field; did you mean "
                          "`loss`?"),
    "broken-problem.yaml": ("problem: nope.yaml\nanswers: {loss: 1}\n",
                            "{d}/broken-problem.yaml:1:10: problem: problem file nope.yaml not "
                            "found (looked in {d})"),
}


def leaves(tree):
    """How many values an answers tree claims (each matrix is one claim)."""
    if isinstance(tree, dict):
        return sum(leaves(v) for v in tree.values())
    return 1


def make_class(d, n_good=497, variants=25):
    """n_good students' answers over `variants` generated problems (every 7th with a wrong loss),
    then the three broken files. Returns {file: (student, right, of, earliest_wrong)}."""
    runner = CliRunner()
    keys = {}
    for seed in range(1, variants + 1):
        r = runner.invoke(cli, ["new", "backprop", "--seed", str(seed), "-o", f"{d}/p{seed}.yaml",
                                "--answers", f"{d}/key{seed}.yaml"])
        assert r.exit_code == 0, r.output
        keys[seed] = yaml.safe_load(open(f"{d}/key{seed}.yaml"))
    expected = {}
    for i in range(n_good):
        seed = i % variants + 1
        answers = json.loads(json.dumps(keys[seed]["answers"]))
        of = leaves(answers)
        wrong = i % 7 == 0
        if wrong:
            answers["loss"] = answers["loss"] + 1
        path = f"{d}/s{i:03d}.yaml"
        student = f"Student {i}"
        with open(path, "w") as fh:
            yaml.safe_dump({"problem": f"p{seed}.yaml", "student": student, "answers": answers},
                           fh)
        expected[path] = (student, of - wrong, of, "loss" if wrong else "")
    for name, (text, _line) in BROKEN.items():
        with open(f"{d}/{name}", "w") as fh:
            fh.write(text)
    return expected


def test_a_class_of_497_good_and_3_broken_files(tmp_path):
    d = str(tmp_path)
    expected = make_class(d)
    files = sorted(os.path.join(d, f) for f in os.listdir(d) if f.startswith(("s", "broken")))
    assert len(files) == 500
    r = CliRunner().invoke(cli, ["check", *files, "--csv", f"{d}/grades.csv",
                                 "--json", f"{d}/grades.json",
                                 "--format", "json", "-o", f"{d}/report.json"])
    assert r.exit_code == 1, r.output
    assert r.stdout == "" and r.stderr == ""          # no progress bar outside a terminal

    rows = list(csv.reader(open(f"{d}/grades.csv", encoding="utf-8", newline="")))
    assert rows[0] == ["file", "student", "right", "of", "earliest_wrong", "mistakes", "error"]
    assert len(rows) == 501
    by_file = {row[0]: row for row in rows[1:]}
    assert [row[0] for row in rows[1:]] == files       # in the order given
    for path, (student, right, of, earliest) in expected.items():
        assert by_file[path] == [path, student, str(right), str(of), earliest, "", ""]
    for name, (_text, line) in BROKEN.items():
        path = f"{d}/{name}"
        assert by_file[path] == [path, name[:-5], "", "", "", "", line.format(d=d)]

    book = json.load(open(f"{d}/grades.json"))
    assert book["kind"] == "gradebook" and book["format_version"] == 1
    assert len(book["files"]) == 500
    for rec in book["files"]:
        row = by_file[rec["file"]]
        assert set(rec) == {"file", "student", "right", "of", "earliest_wrong", "mistakes",
                            "error"}
        assert [rec["file"], rec["student"], "" if rec["right"] is None else str(rec["right"]),
                "" if rec["of"] is None else str(rec["of"]), rec["earliest_wrong"] or "",
                "; ".join(rec["mistakes"]), rec["error"] or ""] == row

    rep = json.load(open(f"{d}/report.json"))
    assert rep["summary"]["files"] == 500 and rep["summary"]["ungraded"] == 3
    n_wrong = sum(1 for e in expected.values() if e[1] != e[2])
    assert rep["summary"]["all_right"] == 497 - n_wrong
    assert rep["summary"]["wrong"] == n_wrong
    ungraded = [f for f in rep["files"] if f["error"] is not None]
    assert sorted(f["file"] for f in ungraded) == sorted(f"{d}/{n}" for n in BROKEN)


def small_class(tmp_path, relative=False):
    d = tmp_path
    (d / "ada.yaml").write_text(f"problem: {SEED}\nstudent: Ada\nanswers: {{loss: 9}}\n")
    (d / "ben.yaml").write_text(f"problem: {SEED}\nstudent: Ben\n"
                                f"answers: {{layers: {{3: {{W_new: [[-1, 2.8]]}}}}}}\n")
    (d / "cem.yaml").write_text(f"problem: {SEED}\nanswers: {{loss: 9, lost: 1}}\n")
    names = ("ada.yaml", "ben.yaml", "cem.yaml")
    return list(names) if relative else [str(d / n) for n in names]


def test_the_summary_has_a_row_with_the_error_line(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    files = small_class(tmp_path, relative=True)
    r = CliRunner().invoke(cli, ["check", *files])
    assert r.exit_code == 1 and r.stderr == ""
    out = r.stdout
    summary = out[out.index("Class summary"):]
    line = f"{files[2]}:2:20: answers.lost: unknown field; did you mean `loss`?"
    assert "not graded" in summary
    # the error line is in the summary table (wrapped in its cell: compare without the spaces)
    assert line.replace(" ", "") in summary.replace(" ", "").replace("\n", "")
    assert "1 of 3 answer files all right; 1 could not be graded" in summary
    assert "η ×10" in summary                       # Ben still graded
    assert f"Error: {line}" in out                  # and the file's own section says it whole


def test_exit_1_when_only_a_file_could_not_be_graded(tmp_path):
    files = small_class(tmp_path)
    r = CliRunner().invoke(cli, ["check", files[0], files[2]])
    assert r.exit_code == 1
    r = CliRunner().invoke(cli, ["check", files[0], files[0]])
    assert r.exit_code == 0


def test_one_file_still_fails_with_its_error_line(tmp_path):
    files = small_class(tmp_path)
    r = CliRunner().invoke(cli, ["check", files[2]])
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr == f"Error: {files[2]}:2:20: answers.lost: unknown field; did you mean " \
                       f"`loss`?\n"


def test_a_folder_or_a_missing_file_in_a_class_is_a_row(tmp_path):
    files = small_class(tmp_path)
    (tmp_path / "sub").mkdir()
    r = CliRunner().invoke(cli, ["check", files[0], str(tmp_path / "sub"),
                                 str(tmp_path / "gone.yaml"), "--csv", "-"])
    assert r.exit_code == 1 and r.stderr == ""
    rows = list(csv.reader(io.StringIO(r.stdout)))
    assert rows[1][:4] == [files[0], "Ada", "1", "1"]
    assert rows[2][6] == f"{tmp_path / 'sub'}: is a directory, expected a YAML problem file"
    assert rows[3][6] == f"{tmp_path / 'gone.yaml'}: no such file"
    for bad in (str(tmp_path / "sub"), str(tmp_path / "gone.yaml")):    # alone: a usage error
        r = CliRunner().invoke(cli, ["check", bad])
        assert r.exit_code == 2 and r.stdout == ""
        assert "does not exist" in r.stderr or "is a directory" in r.stderr


def test_a_gradebook_of_one_broken_file_still_has_its_row(tmp_path):
    files = small_class(tmp_path)
    r = CliRunner().invoke(cli, ["check", files[2], "--csv", str(tmp_path / "g.csv")])
    assert r.exit_code == 1 and r.stderr == "" and "not graded" in r.stdout
    rows = list(csv.reader(open(tmp_path / "g.csv", newline="")))
    assert len(rows) == 2 and rows[1][0] == files[2] and "answers.lost" in rows[1][6]


def test_a_bug_on_one_file_does_not_stop_the_class(tmp_path, monkeypatch):
    files = small_class(tmp_path)
    import nnsolve.check as check
    real = check.grade

    def grade(ans):
        if ans.student == "Ben":
            raise ZeroDivisionError("boom")
        return real(ans)
    monkeypatch.setattr(check, "grade", grade)
    monkeypatch.delenv("NNSOLVE_DEBUG", raising=False)
    reps = grade_files(files[:2])
    assert isinstance(reps[1], Ungraded) and not isinstance(reps[0], Ungraded)
    assert reps[1].error.startswith(f"{files[1]}: internal error, a bug in nnsolve")
    assert "ZeroDivisionError: boom" in reps[1].error


def test_csv_student_and_mistakes(tmp_path):
    files = small_class(tmp_path)
    r = CliRunner().invoke(cli, ["check", *files, "--csv", "-"])
    assert r.exit_code == 1
    rows = list(csv.reader(io.StringIO(r.stdout)))     # only the CSV on stdout
    assert rows[1] == [files[0], "Ada", "1", "1", "", "", ""]
    assert rows[2] == [files[1], "Ben", "0", "1", "layers.3.W_new", "η ×10", ""]
    assert rows[3][:6] == [files[2], "cem", "", "", "", ""] and "answers.lost" in rows[3][6]


def test_json_gradebook_on_stdout(tmp_path):
    files = small_class(tmp_path)
    r = CliRunner().invoke(cli, ["check", *files, "--json", "-"])
    book = json.loads(r.stdout)
    assert [f["student"] for f in book["files"]] == ["Ada", "Ben", "cem"]
    assert book["files"][1]["mistakes"] == ["η ×10"]
    assert list(r.stdout.splitlines()[1].strip()) and r.stdout.index('"files"') < \
        r.stdout.index('"format_version"')                         # sorted keys


def test_gradebook_paths_are_usage_errors(tmp_path):
    files = small_class(tmp_path)
    for opt in ("--csv", "--json"):
        r = CliRunner().invoke(cli, ["check", *files, opt, str(tmp_path / "no" / "g.x")])
        assert r.exit_code == 2 and r.stdout == "" and "does not exist" in r.stderr
    r = CliRunner().invoke(cli, ["check", *files, "--csv", "-", "--json", "-"])
    assert r.exit_code == 2 and "standard output" in r.stderr


def test_report_and_csv_together(tmp_path):
    files = small_class(tmp_path)
    r = CliRunner().invoke(cli, ["check", *files, "--csv", str(tmp_path / "g.csv")])
    assert "Class summary" in r.stdout
    assert (tmp_path / "g.csv").read_text().startswith("file,student,right,of,")


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_only_on_a_terminal(tmp_path):
    import pty
    files = small_class(tmp_path)
    env = dict(os.environ, PYTHONPATH=ROOT, COLUMNS="80", TERM="xterm")
    env.pop("NO_COLOR", None)
    master, slave = pty.openpty()
    p = subprocess.run([sys.executable, "-m", "nnsolve", "check", *files], cwd=ROOT, env=env,
                       stdout=subprocess.PIPE, stderr=slave, timeout=120)
    os.close(slave)
    seen = b""
    while True:
        try:
            chunk = os.read(master, 65536)
        except OSError:
            break
        if not chunk:
            break
        seen += chunk
    os.close(master)
    assert p.returncode == 1 and b"Class summary" in p.stdout
    assert b"Grading" in seen and b"3/3" in seen                     # the bar, on the terminal
    assert b"Grading" not in p.stdout
    p = subprocess.run([sys.executable, "-m", "nnsolve", "check", *files], cwd=ROOT, env=env,
                       capture_output=True, timeout=120)
    assert p.stderr == b""                                           # not in a pipe


@pytest.mark.parametrize("width", ["60", "100"])
def test_the_summary_reads_whole_at_60_and_100_columns(tmp_path, monkeypatch, width):
    """Every field name and value of the class summary shows whole (wrapped only at spaces),
    and a file that could not be graded shows its error under "Error", not under "Likely
    mistakes"."""
    monkeypatch.chdir(tmp_path)
    files = small_class(tmp_path, relative=True)
    r = CliRunner().invoke(cli, ["check", *files, os.path.join(ROOT, "problems", "answers",
                                                               "seed-answers-wrong.yaml")],
                           env={"COLUMNS": width})
    out = r.stdout
    assert all(len(line) <= int(width) for line in out.splitlines())
    summary = out[out.index("Class summary"):]
    words = [w.rstrip(";") for w in summary.split()]
    for name in ("layers.3.W_new", "layers.2.dJ_dW", "η", "×10", "dropped", "Ada", "Ben",
                 "cem.yaml:2:20:", "answers.lost:", "`loss`?"):
        assert name in words, name
    flat = " ".join(summary.split())
    error = "cem.yaml:2:20: answers.lost: unknown field; did you mean `loss`?"
    if "Error: cem.yaml" in flat:                  # one record per file
        assert f"Error: {error}" in flat
        assert "Likely mistakes: cem.yaml" not in flat
    else:                                          # a table: the error in its own column
        assert summary.split("\n")[1].split()[-1] == "Error"
        assert error.replace(" ", "") in "".join(summary.split())
    # without an ungraded file there is no Error column
    r = CliRunner().invoke(cli, ["check", files[0], files[1]], env={"COLUMNS": width})
    assert "Error" not in r.stdout[r.stdout.index("Class summary"):]
