"""nnsolve new KIND --seeds ... --moodle quiz.xml: a Moodle XML quiz, one cloze question per variant.

The quiz is read back the way Moodle's importer reads it (question/format/xml/format.php and the
cloze parser of question/type/multianswer/questiontype.php, ported to Python regular expressions
below, independently of nnsolve's writer), and every embedded answer is compared with the value
of the solution's JSON, got by solving the same seed's problem file with `nnsolve solve`."""

import json
import os
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from fractions import Fraction

import pytest
from click.testing import CliRunner

from nnsolve.cli import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Moodle's cloze grammar (qtype_multianswer), its three basic sub-question types
FRACTION = r"=|%(-?[0-9]+(?:[.,][0-9]*)?)%"
ANSWER = r".+?(?<!\\)(?<!&)(?<!&amp;)(?=[~#}]|$)"
FEEDBACK = r".*?(?<!\\)(?=[~}]|$)"
ALTERNATIVE = f"({FRACTION})?({ANSWER})(#({FEEDBACK}))?"
ANSWER_REGEX = re.compile(r"\{([0-9]*):((NUMERICAL|NM)|(MULTICHOICE|MC)|(SHORTANSWER|SA|MW)):("
                          + ALTERNATIVE + "(~" + ALTERNATIVE + r")*)\}", re.S)
NUMBER = r"-?(([0-9]+[.,]?[0-9]*|[.,][0-9]+)([eE][-+]?[0-9]+)?)"
NUMERICAL_ALTERNATIVE = re.compile("^(" + NUMBER + ")(:" + NUMBER + ")?$", re.S)


def embedded_answers(questiontext):
    """[(value, tolerance)] of each NUMERICAL sub-question, in order, as Moodle extracts them;
    every sub-question must be NUMERICAL with one right (=) answer."""
    out = []
    for m in ANSWER_REGEX.finditer(questiontext):
        assert m.group(3), f"not a NUMERICAL sub-question: {m.group(0)}"
        assert m.group(1) == "1"
        alt = re.match("~?" + ALTERNATIVE, m.group(6), re.S)
        assert alt.group(0) == m.group(6), "one alternative only"
        assert alt.group(1) == "=" and alt.group(5) is None
        num = NUMERICAL_ALTERNATIVE.match(alt.group(3))
        assert num, f"not a number Moodle reads: {alt.group(3)!r}"
        out.append((Fraction(num.group(1)), Fraction(num.group(6))))
    # nothing in the text outside the sub-questions looks like the start of one
    rest = ANSWER_REGEX.sub("", questiontext)
    assert not re.search(r"\{[0-9]*:[A-Z_]+:", rest)
    return out


def questions(path):
    """The quiz's category and its cloze questions, checked against the structure Moodle's XML
    importer reads."""
    raw = open(path, encoding="utf-8").read()
    assert raw.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<quiz>\n')
    root = ET.fromstring(raw.encode("utf-8"))
    assert root.tag == "quiz"
    first, *rest = list(root)
    assert first.get("type") == "category"
    category = first.find("category/text").text
    out = []
    for q in rest:
        assert q.tag == "question" and q.get("type") == "cloze"
        name = q.find("name/text").text
        assert name and name.strip()
        qt = q.find("questiontext")
        assert qt.get("format") == "html"
        text = qt.find("text").text
        assert q.find("generalfeedback").get("format") == "html"
        out.append({"name": name, "text": text, "idnumber": q.find("idnumber").text,
                    "feedback": q.find("generalfeedback/text").text})
    # each question text is CDATA in the file (HTML and TeX kept as written)
    assert raw.count('<questiontext format="html"><text><![CDATA[') == len(out)
    assert len({q["idnumber"] for q in out}) == len(out)
    return category, out


def run(*args):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    assert r.exit_code == 0, r.output
    return r


def solution_json(tmp_path, kind, seed, *options):
    """The JSON of the solution of one seed's problem, made and solved apart from the quiz."""
    p = tmp_path / f"{kind}-{seed}.yaml"
    run("new", kind, "--seed", seed, *options, "-o", p)
    return json.loads(run("solve", p, "--format", "json").stdout)


def flat(x):
    if isinstance(x, list):
        return [v for item in x for v in flat(item)]
    return [Fraction(str(x))]


def backprop_default(data):
    """The documented default: the loss, the output, the first layer's gradients dJ_dW (and
    dJ_db), then each layer's W_new (and b_new)."""
    step = data["steps"][0]
    vals = flat(step["loss"]) + flat(step["output"])
    first = step["layers"][0]
    vals += flat(first["dJ_dW"]) + (flat(first["dJ_db"]) if first["dJ_db"] is not None else [])
    for layer in step["layers"]:
        vals += flat(layer["W_new"]) + (flat(layer["b_new"]) if layer["b_new"] is not None
                                        else [])
    return vals


def check_tolerance(pairs):
    """Moodle's margin is check's tolerance: 0.001 absolute or 0.1 % of the value, the larger."""
    for v, t in pairs:
        assert t == max(Fraction(1, 1000), abs(v) / 1000)


@pytest.mark.parametrize("options", [(), ("--layers", "2,3,2", "--bias")])
def test_backprop_quiz_answers_are_the_solutions_values(tmp_path, options):
    quiz = tmp_path / "quiz.xml"
    run("new", "backprop", "--seeds", "1-12", *options, "--moodle", quiz)
    category, qs = questions(quiz)
    assert category == "$course$/nnsolve new backprop" + "".join(
        f" {o}" for o in options)
    assert len(qs) == 12
    for seed, q in zip(range(1, 13), qs):
        assert q["name"] == f"Backpropagation (exercise {seed})"
        assert q["idnumber"] == f"nnsolve-backprop-{seed}"
        pairs = embedded_answers(q["text"])
        assert [v for v, _t in pairs] == backprop_default(
            solution_json(tmp_path, "backprop", seed, *options))
        check_tolerance(pairs)
        assert "\\(W^{(1)} = \\begin{pmatrix}" in q["text"]      # the given weights, in TeX


def test_the_general_feedback_is_the_worked_solution(tmp_path):
    """The feedback shown after an attempt: the Markdown solution as HTML, its maths in the
    delimiters of Moodle's MathJax filter (display $$…$$, inline \\(…\\), no lone $)."""
    quiz = tmp_path / "quiz.xml"
    run("new", "backprop", "--seeds", "2", "--moodle", quiz)
    fb = questions(quiz)[1][0]["feedback"]
    p = tmp_path / "p.yaml"
    run("new", "backprop", "--seed", "2", "-o", p)
    md = run("solve", p, "--format", "markdown").stdout
    assert "<h2>Forward pass</h2>" in fb and "<table>" in fb
    display = re.findall(r"\$\$(.*?)\$\$", md, re.S)
    assert display and all(d.replace("&", "&amp;") in fb for d in display)
    inline = re.findall(r"(?<!\$)\$([^$]+)\$(?!\$)", re.sub(r"\$\$.*?\$\$", "", md, flags=re.S))
    assert inline and all(f"\\({i}\\)".replace("&", "&amp;") in fb for i in inline)
    assert "$" not in re.sub(r"\$\$.*?\$\$", "", fb, flags=re.S)
    assert "<pre># Generated by `nnsolve new backprop --seed 2`" in fb


def test_the_tolerance_is_checks(tmp_path):
    """A value at Moodle's margin from the right one is right for `check`, and one just beyond
    it is wrong: the quiz and `check` grade alike."""
    from nnsolve.grading import DEFAULT_TOLERANCE, agrees
    quiz = tmp_path / "quiz.xml"
    run("new", "backprop", "--seeds", "3", "--moodle", quiz)
    pairs = embedded_answers(questions(quiz)[1][0]["text"])
    assert any(abs(v) > 1 for v, _t in pairs) and any(abs(v) < 1 for v, _t in pairs)
    for v, t in pairs:
        assert agrees(v + t, v, DEFAULT_TOLERANCE) and agrees(v - t, v, DEFAULT_TOLERANCE)
        assert not agrees(v + t * Fraction(101, 100), v, DEFAULT_TOLERANCE)


def test_ask_chooses_the_results(tmp_path):
    quiz = tmp_path / "quiz.xml"
    run("new", "backprop", "--seeds", "5-6", "--moodle", quiz, "--ask", "loss,layers.*.W_new")
    for seed, q in zip((5, 6), questions(quiz)[1]):
        step = solution_json(tmp_path, "backprop", seed)["steps"][0]
        want = flat(step["loss"]) + [v for layer in step["layers"] for v in flat(layer["W_new"])]
        assert [v for v, _t in embedded_answers(q["text"])] == want
    r = CliRunner().invoke(cli, ["new", "backprop", "--seeds", "5", "--moodle", str(quiz),
                                 "--ask", "*.W_new"])             # a * is one part, not two
    assert r.exit_code == 2 and "*.W_new names no result" in r.stderr
    run("new", "backprop", "--seeds", "5", "--moodle", quiz, "--ask", "layers.2")
    step = solution_json(tmp_path, "backprop", 5)["steps"][0]["layers"][1]
    want = [v for k in ("a", "h", "dJ_dh", "dJ_da", "dJ_dW", "W_new") for v in flat(step[k])]
    assert [v for v, _t in embedded_answers(questions(quiz)[1][0]["text"])] == want


@pytest.mark.parametrize("kind,keys", [
    ("conv", ["output_shape", "output"]),
    ("regularize", ["penalty", "penalty_gradient", "gradient", "weights_new"]),
    ("pool", ["output_shape", "output"]),
])
def test_other_kinds_ask_every_result(tmp_path, kind, keys):
    quiz = tmp_path / "quiz.xml"
    run("new", kind, "--seeds", "1-4", "--moodle", quiz)
    category, qs = questions(quiz)
    assert category == f"$course$/nnsolve new {kind}" and len(qs) == 4
    for seed, q in zip(range(1, 5), qs):
        data = solution_json(tmp_path, kind, seed)
        pairs = embedded_answers(q["text"])
        assert [v for v, _t in pairs] == [v for k in keys for v in flat(data[k])]
        check_tolerance(pairs)


def test_graph_asks_the_nodes_values_and_the_inputs_gradients(tmp_path):
    quiz = tmp_path / "quiz.xml"
    run("new", "graph", "--seeds", "1-3", "--moodle", quiz)
    for seed, q in zip(range(1, 4), questions(quiz)[1]):
        data = solution_json(tmp_path, "graph", seed)
        nodes = [n["name"] for n in data["nodes"]]
        import yaml
        inputs = list(yaml.safe_load(open(tmp_path / f"graph-{seed}.yaml"))["inputs"])  # in order
        assert inputs and nodes
        want = [Fraction(str(data["values"][n])) for n in nodes] + \
            [Fraction(str(data["gradients"][k])) for k in inputs]
        assert [v for v, _t in embedded_answers(q["text"])] == want


def test_shape_asks_shapes_counts_and_the_total(tmp_path):
    quiz = tmp_path / "quiz.xml"
    run("new", "shape", "--seeds", "1-3", "--moodle", quiz)
    for seed, q in zip(range(1, 4), questions(quiz)[1]):
        data = solution_json(tmp_path, "shape", seed)
        want = []
        for layer in data["layers"]:
            if layer["type"] not in ("relu", "sigmoid", "tanh", "leaky_relu", "softmax",
                                     "linear"):
                want += flat(layer["output_shape"])
            if layer["parameters"]:
                want += flat(layer["parameters"])
        want += flat(data["total_parameters"])
        assert [v for v, _t in embedded_answers(q["text"])] == want
        assert "the input shape \\(" in q["text"]


def test_seeds_write_many_problem_files_and_keys(tmp_path):
    run("new", "regularize", "--seeds", "2,4-5", "-o", tmp_path / "ex{seed}.yaml",
        "--answers", tmp_path / "key{seed}.yaml")
    for seed in (2, 4, 5):
        alone = tmp_path / f"alone{seed}.yaml"
        run("new", "regularize", "--seed", seed, "-o", alone)
        assert (tmp_path / f"ex{seed}.yaml").read_text() == alone.read_text()
    assert sorted(p.name for p in tmp_path.glob("key*.yaml")) == \
        ["key2.yaml", "key4.yaml", "key5.yaml"]
    r = CliRunner().invoke(cli, ["check", *sorted(str(p) for p in tmp_path.glob("key*.yaml"))])
    assert r.exit_code == 0 and "3 of 3 answer files all right." in r.stdout


@pytest.mark.parametrize("args,message", [
    (["--seeds", "1-3", "-o", "ex.yaml"], "put {seed} in its name"),
    (["--seeds", "1-3"], "give --moodle FILE, or -o"),
    (["--seeds", "3-1", "--moodle", "q.xml"], "from low to high"),
    (["--seeds", "one", "--moodle", "q.xml"], "expected seeds such as 1-200"),
    (["--seeds", "0-20000", "--moodle", "q.xml"], "at most 10,000 seeds"),
    (["--seed", "1", "--seeds", "1-2", "--moodle", "q.xml"], "--seed or --seeds, not both"),
    (["--ask", "loss"], "it needs --moodle FILE"),
    (["--seeds", "1", "--moodle", "q.xml", "--ask", "lost"], "did you mean loss?"),
    (["--seeds", "1", "--moodle", "no/such/folder/q.xml"], "does not exist"),
])
def test_usage_errors(tmp_path, monkeypatch, args, message):
    monkeypatch.chdir(tmp_path)
    r = CliRunner().invoke(cli, ["new", "backprop", *args])
    assert r.exit_code == 2 and r.stdout == "" and message in r.stderr
    assert not (tmp_path / "q.xml").exists()


def test_cdata_survives_its_end_marker():
    from nnsolve.moodle import question_xml
    xml = "<quiz>" + question_xml("n", "a ]]> b", "", "id") + "</quiz>"
    assert ET.fromstring(xml).find("question/questiontext/text").text == "a ]]> b"


@pytest.mark.skipif(sys.platform == "win32", reason="needs a pseudo-terminal")
def test_progress_bar_for_many_seeds_only_on_a_terminal(tmp_path):
    import pty
    env = dict(os.environ, PYTHONPATH=ROOT, COLUMNS="80", TERM="xterm")
    master, slave = pty.openpty()
    cmd = [sys.executable, "-m", "nnsolve", "new", "backprop", "--seeds", "1-30", "--moodle",
           str(tmp_path / "q.xml")]
    p = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=slave, timeout=300)
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
    assert p.returncode == 0 and b"Generating" in seen and b"30/30" in seen
    p = subprocess.run(cmd, env=env, capture_output=True, timeout=300)
    assert p.returncode == 0 and p.stderr == b"" and p.stdout == b""


@pytest.mark.skipif(__import__("shutil").which("pdflatex") is None,
                    reason="pdflatex is not installed")
def test_every_tex_snippet_typesets(tmp_path):
    """The maths of the questions (what Moodle's MathJax filter typesets) is valid TeX: each
    \\( ... \\) of a quiz of every kind, compiled by pdflatex with amsmath."""
    snippets = []
    for kind, options in (("backprop", ("--bias", "--activation", "leaky_relu")), ("conv", ()),
                          ("shape", ()), ("regularize", ()), ("pool", ()), ("graph", ())):
        quiz = tmp_path / f"{kind}.xml"
        run("new", kind, "--seeds", "1-2", *options, "--moodle", quiz)
        for q in questions(quiz)[1]:
            found = re.findall(r"\\\((.*?)\\\)", q["text"], re.S)
            assert found
            snippets += found
    body = "\n\n".join(f"${s}$" for s in snippets)
    (tmp_path / "m.tex").write_text("\\documentclass{article}\\usepackage{amsmath}"
                                    "\\begin{document}\n" + body + "\n\\end{document}\n")
    p = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "m.tex"],
                       cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert p.returncode == 0, p.stdout[-2000:]


LABEL = re.compile(r"<td>(.*?)</td><td>\{1:NUMERICAL")


def test_graph_never_asks_the_given_inputs(tmp_path):
    """--ask values (or anything that reaches them) asks the nodes' values, never the inputs'
    values the statement gives; read back from the quiz."""
    quiz = tmp_path / "quiz.xml"
    run("new", "graph", "--seeds", "1-3", "--moodle", quiz, "--ask", "values,gradients")
    for seed, q in zip(range(1, 4), questions(quiz)[1]):
        data = solution_json(tmp_path, "graph", seed)
        nodes = [n["name"] for n in data["nodes"]]
        import yaml
        inputs = list(yaml.safe_load(open(tmp_path / f"graph-{seed}.yaml"))["inputs"])
        labels = LABEL.findall(q["text"])
        values = [v for v, _t in embedded_answers(q["text"])]
        asked_values = [lab for lab in labels if "partial" not in lab]
        assert asked_values == [rf"\(\mathit{{{n}}}\) =" for n in nodes]
        assert not any(rf"\(\mathit{{{k}}}\) =" in labels for k in inputs)
        grads = [lab for lab in labels if "partial" in lab]
        assert len(grads) == len(data["gradients"])
        assert values[:len(nodes)] == [Fraction(str(data["values"][n])) for n in nodes]
    r = CliRunner().invoke(cli, ["new", "graph", "--seed", "1", "--moodle", str(quiz),
                                 "--ask", "values.x"])
    assert r.exit_code == 2 and "values.x names only values the problem gives" in r.stderr
    assert r.stdout == ""


def test_graph_steps_ask_the_updated_parameters_not_the_given_ones(tmp_path):
    """With parameters and steps: step 1's parameter value and every step's constant input are
    given; later steps' parameter values are computed (the updates), and asked."""
    from nnsolve.generating import Generated
    from nnsolve.moodle import quiz_xml, variant_question
    import nnsolve
    text = ("kind: graph\ninputs: {theta: 1, c: 2}\nnodes:\n  f: c * theta ** 2\n"
            "parameters: [theta]\nlearning_rate: 0.1\nsteps: 2\n")
    gen = Generated("graph", text, nnsolve.solve(text).data)
    quiz = tmp_path / "quiz.xml"
    from nnsolve.grading import DEFAULT_TOLERANCE
    quiz.write_text(quiz_xml("t", [variant_question(gen, 1, ["steps"], DEFAULT_TOLERANCE)]),
                    encoding="utf-8")
    q = questions(quiz)[1][0]
    labels = " ".join(LABEL.findall(q["text"]))
    assert "steps.1.values.theta" not in labels and "steps.1.values.c" not in labels
    assert "steps.2.values.c" not in labels
    assert "steps.2.values.theta" in labels and "steps.1.parameters_new.theta" in labels
    # f = 2θ², ∂f/∂θ = 4θ = 4, θ ← 1 − 0.1 · 4 = 0.6; step 2: θ = 0.6, f = 0.72
    data = nnsolve.solve(text).data
    assert data["steps"][0]["parameters_new"]["theta"] == Fraction(3, 5)
    assert Fraction("0.6") in [v for v, _t in embedded_answers(q["text"])]


@pytest.mark.parametrize("options, said", [
    ([], "backward pass and one step of gradient descent, \\(W \\leftarrow"),
    (["--steps", "2"], "backward pass and 2 steps of gradient descent, \\(W \\leftarrow W - "
                       "\\eta\\, \\partial J / \\partial W\\), each from the parameters the "
                       "step before left."),
    (["--optimizer", "adam"], "backward pass and 2 steps of adam, as torch.optim computes "
                              "them (its state carried from step to step)."),
    (["--cnn", "--steps", "2"], "for every kernel, weight and bias, each from the parameters "
                                "the step before left."),
])
def test_the_intro_says_how_many_steps_and_which_rule(tmp_path, options, said):
    """A quiz of several steps, or of an optimizer, does not say "one step of gradient
    descent"."""
    q = tmp_path / "q.xml"
    r = CliRunner().invoke(cli, ["new", "backprop", *options, "--seeds", "1", "--moodle",
                                 str(q)])
    assert r.exit_code == 0, r.output
    text = q.read_text()
    assert said in text
    assert ("one step of gradient descent" in text) == (options == [])


def test_a_yes_no_option_is_written_as_the_problem_file_writes_it(tmp_path):
    q = tmp_path / "q.xml"
    r = CliRunner().invoke(cli, ["new", "backprop", "--optimizer", "rmsprop", "--centered",
                                 "--seeds", "1", "--moodle", str(q)])
    assert r.exit_code == 0, r.output
    text = q.read_text()
    assert "centered: true" in text and "True" not in text
