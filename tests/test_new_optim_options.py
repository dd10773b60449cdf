"""nnsolve new backprop --optimizer X with torch.optim's newer options (--centered, --amsgrad,
--lr-decay, --initial-accumulator-value, --maximize).

Every generated file is solved with `nnsolve backprop` and its numbers compared, step by step,
with tests/torch_reference.py (the network in plain loops differentiated by the complex step,
torch.optim's rules element by element, written from PyTorch's pseudo-code): the loss, every
updated parameter and the optimizer's state. Each option must be in the file's `optimizer:`
and change the answer: the same file with that option taken out updates some parameter
differently (so these tests fail against a generator that ignores the options)."""

from __future__ import annotations

import json
from fractions import Fraction

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from torch_reference import Net
from test_moodle import backprop_default, embedded_answers, questions, solution_json
from test_new import assert_clean

from nnsolve.check import grade, load_answers
from nnsolve.cli import cli
from nnsolve.generating import GenerationError, answers_text
from nnsolve.kinds.backprop.generate import new_backprop

# which optimizer takes which option (PyTorch's signatures), written here apart from nnsolve
TAKES = {"sgd": ["maximize"], "adagrad": ["lr_decay", "initial_accumulator_value", "maximize"],
         "rmsprop": ["centered", "maximize"], "adam": ["amsgrad", "maximize"],
         "adamw": ["amsgrad", "maximize"]}
FLAGS = {"centered": "--centered", "amsgrad": "--amsgrad", "lr_decay": "--lr-decay",
         "initial_accumulator_value": "--initial-accumulator-value", "maximize": "--maximize"}


def run(*args):
    r = CliRunner().invoke(cli, [str(a) for a in args])
    return r


def solve_json(tmp_path, text, name="p.yaml"):
    """`nnsolve backprop FILE --format json` on a problem text: the user's path."""
    path = tmp_path / name
    path.write_text(text)
    r = run("backprop", path, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout, parse_float=Fraction)     # decimals exactly as written


def optimizer_of(problem: dict) -> tuple[str, dict]:
    """The optimizer's name and hyper-parameters (the reference's names) from a problem dict."""
    opt = problem["optimizer"]
    if isinstance(opt, str):
        opt = {"name": opt}
    h = {k: (v if isinstance(v, bool) else float(Fraction(str(v))))
         for k, v in opt.items() if k not in ("name", "learning_rate")}
    h["lr"] = float(Fraction(str(opt.get("learning_rate", problem["learning_rate"]))))
    return opt["name"], h


def _act(spec):
    if isinstance(spec, dict):
        return spec["name"], float(spec.get("alpha", 0.01))
    return spec, 0.01


def reference(problem: dict):
    """The reference's loss, parameters and state in every step of a generated problem."""
    layers = []
    for L in problem["layers"]:
        name, alpha = _act(L["activation"])
        W = L["weights"]
        layers.append({"W": [[float(Fraction(str(w))) for w in row] for row in W],
                       "b": [float(Fraction(str(b))) for b in L["bias"]] if "bias" in L
                       else None, "act": name, "alpha": alpha})
    x = problem["input"] if isinstance(problem["input"], list) else [problem["input"]]
    y = problem["target"] if isinstance(problem["target"], list) else [problem["target"]]
    net = Net(layers, [[float(v) for v in x]], [[float(v) for v in y]], problem["loss"])
    name, h = optimizer_of(problem)
    _slots, run_, records = net.train(name, h, problem.get("steps", 1))
    return [(records[k][0], run_[k][0], run_[k][1]) for k in range(len(run_))]


def assert_matches_reference(problem: dict, data: dict):
    ref = reference(problem)
    assert len(data["steps"]) == len(ref)
    for k, (J, theta, state) in enumerate(ref):
        step = data["steps"][k]
        assert float(step["loss"]) == pytest.approx(J, rel=1e-9, abs=1e-9), k
        ours, ours_state = [], {}
        for layer in step["layers"]:
            for p in ("W", "b"):
                if layer[p + "_new"] is None:
                    continue
                ours += [float(v) for v in np.ravel(layer[p + "_new"])]
                for sname, v in layer["state"][p].items():
                    if sname == "step":
                        assert v == k + 1
                    else:
                        ours_state.setdefault(sname, []).extend(float(x) for x in np.ravel(v))
        assert np.allclose(ours, theta, rtol=1e-9, atol=1e-12), (k, ours, theta)
        assert set(ours_state) == {s for s in state if s != "step"}, k
        for sname, v in ours_state.items():
            assert np.allclose(v, state[sname], rtol=1e-9, atol=1e-12), (k, sname)


def eps_dominated(data) -> bool:
    """A gradient, in some step, that is not 0 but below 1e-6 of that step's largest: the
    rounding left of a cancellation (step 1's ε made two paths differ by ~1e-9), which an
    adaptive rule divides by its own root (g/(√v + ε) with √v ~ ε), so that float64 pins the
    update to ~1e-7 only, in nnsolve and the reference alike. Such a problem is outside what a
    comparison at 1e-9 can check (tests/test_backprop_optim.py draws no such networks)."""
    for step in data["steps"]:
        g = np.abs(np.concatenate([np.ravel(np.asarray(layer[k], dtype=float))
                                   for layer in step["layers"] for k in ("dJ_dW", "dJ_db")
                                   if layer[k] is not None]))
        if np.any((g > 0) & (g < 1e-6 * g.max())):
            return True
    return False


def parameters(data):
    return [float(v) for step in data["steps"] for layer in step["layers"]
            for p in ("W_new", "b_new") if layer[p] is not None for v in np.ravel(layer[p])]


def without(text: str, key: str) -> str:
    """The problem text with one option taken out of its `optimizer:` line."""
    problem = yaml.safe_load(text)
    lines = text.splitlines(keepends=True)
    (i, line), = [(i, s) for i, s in enumerate(lines) if s.startswith("optimizer:")]
    opt = dict(problem["optimizer"])
    del opt[key]
    inner = ", ".join(f"{k}: {str(v).lower() if isinstance(v, bool) else v}"
                      for k, v in opt.items())
    lines[i] = f"optimizer: {{{inner}}}\n"
    return "".join(lines)


def check_generated(tmp_path, text, optimizer, options):
    """Everything a generated file with options promises."""
    problem = yaml.safe_load(text)
    assert problem["kind"] == "backprop"
    name, h = optimizer_of(problem)
    assert name == optimizer
    data = solve_json(tmp_path, text)
    assert_matches_reference(problem, data)
    header = text.splitlines()[0]
    if optimizer == "sgd":            # momentum (and maximize) keep every value exact
        assert "every value in its solution is clean" in header
        assert_clean(data)
    else:
        assert "the forward and backward pass of step 1 are clean" in header
        assert f"{optimizer}'s square root makes its update and state approximate" in text
        step = data["steps"][0]        # the JSON's numbers: clean ones are written exactly
        assert_clean({k: v for k, v in step.items() if k != "layers"})
        for layer in step["layers"]:
            assert_clean({k: v for k, v in layer.items()
                          if k not in ("W_new", "b_new", "state")})
    for key, value in options.items():
        assert key in TAKES[optimizer]
        written = problem["optimizer"][key]
        assert (written is True) if value is True else Fraction(str(written)) == value
        # the option changes the answer: the same file without it updates otherwise
        other = solve_json(tmp_path, without(text, key), "without.yaml")
        assert parameters(other) != parameters(data), key
        assert_matches_reference(yaml.safe_load(without(text, key)), other)
    if "amsgrad" in options:
        assert problem["optimizer"]["beta2"] == 0.5
        assert any(not np.array_equal(np.asarray(s["max_exp_avg_sq"], float),
                                      np.asarray(s["exp_avg_sq"], float))
                   for step in data["steps"] for layer in step["layers"]
                   for s in layer["state"].values())
    return problem, data


CASES = [("rmsprop", {"centered": True}),
         ("rmsprop", {"centered": True, "maximize": True}),
         ("adagrad", {"lr_decay": Fraction(1, 10)}),
         ("adagrad", {"initial_accumulator_value": Fraction(1, 2)}),
         ("adagrad", {"lr_decay": Fraction(1, 2), "initial_accumulator_value": Fraction(1, 4),
                      "maximize": True}),
         ("adam", {"amsgrad": True}),
         ("adamw", {"amsgrad": True}),
         ("sgd", {"maximize": True}),
         ("adam", {"maximize": True}),
         ("adamw", {"maximize": True})]


@pytest.mark.parametrize("optimizer,options", CASES)
def test_each_option_over_seeds(tmp_path, optimizer, options):
    for seed in range(3):
        g = new_backprop(seed, optimizer=optimizer, steps=2, options=options)
        assert g.text == new_backprop(seed, optimizer=optimizer, steps=2,
                                      options=options).text      # byte-identical per seed
        check_generated(tmp_path, g.text, optimizer, options)


def test_amsgrad_with_maximize(tmp_path):
    """The slowest search (a climbing step seldom shrinks a gradient enough for the maximum to
    bind): one seed."""
    g = new_backprop(1, optimizer="adam", steps=2, options={"amsgrad": True, "maximize": True})
    check_generated(tmp_path, g.text, "adam", {"amsgrad": True, "maximize": True})


@st.composite
def exercises(draw):
    optimizer = draw(st.sampled_from(sorted(TAKES)))
    options = {}
    for key in TAKES[optimizer]:
        if key == "maximize" and "amsgrad" in options:
            continue                  # slow; test_amsgrad_with_maximize has it
        if draw(st.booleans()):
            options[key] = True if key in ("centered", "amsgrad", "maximize") else \
                draw(st.sampled_from([Fraction(1, 100), Fraction(1, 10), Fraction(1, 2),
                                      Fraction(1), Fraction(3, 2)]))
    if not options:
        key = draw(st.sampled_from([k for k in TAKES[optimizer] if k != "amsgrad"] or
                                   ["maximize"]))
        options[key] = True if key in ("centered", "maximize") else Fraction(1, 4)
    sizes = draw(st.sampled_from([(1, 2, 2, 1), (2, 2, 1), (1, 3, 1), (2, 3, 2), (1, 1, 1)]))
    # (sgd's exact steps, every value clean, are seldom found with leaky ReLU's slope 0.1 or a
    # third step that climbs: many seeds exhaust the search, with or without options)
    sgd = optimizer == "sgd"
    acts = ["relu"] if sgd else ["relu", "leaky_relu", "linear"]
    kw = dict(sizes=sizes, activation=draw(st.sampled_from(acts)),
              loss=draw(st.sampled_from(["squared_error", "half_squared_error"])),
              bias=draw(st.booleans()), steps=2 if sgd else draw(st.integers(2, 3)))
    return draw(st.integers(0, 10**6)), optimizer, options, kw


# derandomized: the same 20 exercises each run (a sweep of 80 more at random, at the same 1e-9,
# found none that differs; one seen once differed by 5e-8 on a parameter that barely moved,
# an update of rounding noise over its root that eps_dominated does not catch)
@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(exercises())
def test_property_generated_files_solve_and_match_the_reference(tmp_path, case):
    seed, optimizer, options, kw = case
    try:
        g = new_backprop(seed, optimizer=optimizer, options=options, **kw)
    except GenerationError as e:      # a bounded search may find none: said so, with advice
        assert "try another" in str(e)
        return
    assert g.text == new_backprop(seed, optimizer=optimizer, options=options, **kw).text
    assume(optimizer == "sgd" or not eps_dominated(g.data))
    problem, _data = check_generated(tmp_path, g.text, optimizer, options)
    assert problem.get("steps", 1) == kw["steps"]


def test_without_options_the_file_is_as_before():
    """Options absent or all off: the same bytes as the generator without the argument (the
    goldens of tests/test_new*.py pin those)."""
    for optimizer in TAKES:
        plain = new_backprop(3, optimizer=optimizer, steps=2).text
        assert new_backprop(3, optimizer=optimizer, steps=2, options={}).text == plain
        assert new_backprop(3, optimizer=optimizer, steps=2,
                            options={"maximize": False}).text == plain


@pytest.mark.parametrize("optimizer,options", [CASES[1], CASES[4], CASES[6], CASES[7]])
def test_answer_key_grades_all_right(tmp_path, optimizer, options):
    g = new_backprop(2, optimizer=optimizer, steps=2, options=options)
    (tmp_path / "p.yaml").write_text(g.text)
    (tmp_path / "a.yaml").write_text(answers_text(g, "p.yaml", "test"))
    rep = grade(load_answers(str(tmp_path / "a.yaml")))
    assert rep.n_wrong == 0 and rep.results
    state = {"centered": "grad_avg", "amsgrad": "max_exp_avg_sq",
             "initial_accumulator_value": "sum", "maximize": None}
    for key in options:
        if state.get(key):
            assert any(r.field.endswith(state[key]) for r in rep.results), key


def test_cli_options_written_in_the_header_and_the_file(tmp_path):
    r = run("new", "backprop", "--seed", "4", "--optimizer", "adagrad", "--lr-decay", "0.10",
            "--initial-accumulator-value", "1/4", "--maximize")
    assert r.exit_code == 0, r.output
    assert r.stdout.startswith("# Generated by `nnsolve new backprop --seed 4 --optimizer "
                               "adagrad --lr-decay 0.1 --initial-accumulator-value 0.25 "
                               "--maximize`; the forward and backward pass of step 1 are "
                               "clean;\n# adagrad's square root")
    assert ("optimizer: {name: adagrad, lr_decay: 0.1, initial_accumulator_value: 0.25, "
            "maximize: true}\nsteps: 2\n") in r.stdout
    # the same options in another spelling and order: the same bytes
    again = run("new", "backprop", "--maximize", "--initial-accumulator-value", "0.25",
                "--lr-decay", "1/10", "--optimizer", "adagrad", "--seed", "4")
    assert again.stdout == r.stdout
    r = run("new", "backprop", "--seed", "4", "--optimizer", "sgd", "--maximize", "--steps", "3")
    assert r.exit_code == 0, r.output
    assert "optimizer: {name: sgd, momentum: 0.9, maximize: true}\nsteps: 3\n" in r.stdout
    assert "--optimizer sgd --maximize --steps 3`; every value in its solution is clean" in \
        r.stdout
    r = run("new", "backprop", "--seed", "4", "--optimizer", "rmsprop", "--centered")
    assert "optimizer: {name: rmsprop, centered: true}\n" in r.stdout
    r = run("new", "backprop", "--seed", "4", "--optimizer", "adamw", "--amsgrad")
    assert "optimizer: {name: adamw, beta2: 0.5, amsgrad: true}\n" in r.stdout
    p, key = tmp_path / "p.yaml", tmp_path / "key.yaml"
    r = run("new", "backprop", "--seed", "4", "--optimizer", "rmsprop", "--centered", "-o", p,
            "--answers", key)
    assert r.exit_code == 0, r.output
    r = run("check", key)
    assert r.exit_code == 0, r.output


@pytest.mark.parametrize("args,message", [
    (["--centered"], "--centered is an option of rmsprop: add --optimizer rmsprop"),
    (["--optimizer", "adam", "--centered"],
     "--centered is an option of rmsprop, not of adam (adam takes --amsgrad and --maximize)"),
    (["--amsgrad"], "--amsgrad is an option of adam and adamw: add --optimizer adam or adamw"),
    (["--optimizer", "rmsprop", "--amsgrad"], "--amsgrad is an option of adam and adamw, not "
                                               "of rmsprop"),
    (["--optimizer", "sgd", "--lr-decay", "0.1"], "--lr-decay is an option of adagrad, not of "
                                                   "sgd (sgd takes --maximize)"),
    (["--optimizer", "adam", "--initial-accumulator-value", "1"],
     "--initial-accumulator-value is an option of adagrad, not of adam"),
    (["--maximize"], "--maximize is an option of every optimizer: add --optimizer sgd, "
                     "adagrad, rmsprop, adam or adamw"),
    (["--optimizer", "adagrad", "--lr-decay", "0"], "--lr-decay: expected a number > 0"),
    (["--optimizer", "adagrad", "--initial-accumulator-value", "-1"],
     "--initial-accumulator-value: expected a number > 0"),
    (["--optimizer", "adagrad", "--lr-decay", "1/3"],
     "--lr-decay: expected a decimal number such as 0.1, got 1/3"),
    (["--optimizer", "adagrad", "--lr-decay", "0.1", "--steps", "1"],
     "--lr-decay decays η from step 2 on (η̃₁ = η): give --steps 2 or more"),
    (["--optimizer", "adamw", "--amsgrad", "--steps", "1"],
     "--amsgrad keeps the largest v from step 2 on"),
])
def test_an_option_where_it_does_not_belong_is_one_error_line(args, message):
    r = run("new", "backprop", "--seed", "1", *args)
    assert r.exit_code == 1, r.output
    assert r.stdout == ""
    assert r.stderr.startswith("Error: " + message) and r.stderr.count("\n") == 1, r.stderr


def test_usage_errors_of_the_new_options():
    r = run("new", "backprop", "--optimizer", "adagrad", "--lr-decay", "abc")
    assert r.exit_code == 2 and "Invalid value for '--lr-decay': expected a number" in r.stderr
    r = run("new", "backprop", "--cnn", "--maximize")
    assert r.exit_code == 2 and "--maximize is for fully connected networks (--cnn takes " \
        "--optimizer sgd alone)" in r.stderr
    assert r.stdout == ""


def test_the_options_of_one_step_work_with_steps_1(tmp_path):
    for optimizer, options in [("rmsprop", {"centered": True}), ("sgd", {"maximize": True}),
                               ("adagrad", {"initial_accumulator_value": Fraction(1, 10)})]:
        g = new_backprop(5, optimizer=optimizer, steps=1, options=options)
        assert "steps:" not in g.text
        check_generated(tmp_path, g.text, optimizer, options)


def test_moodle_quiz_of_an_option(tmp_path):
    options = ("--optimizer", "rmsprop", "--centered", "--maximize")
    quiz = tmp_path / "quiz.xml"
    r = run("new", "backprop", "--seeds", "1-3", *options, "--moodle", quiz)
    assert r.exit_code == 0, r.output
    category, qs = questions(quiz)
    assert category == "$course$/nnsolve new backprop " + " ".join(options)
    for seed, q in zip(range(1, 4), qs):
        pairs = embedded_answers(q["text"])
        want = backprop_default(solution_json(tmp_path, "backprop", seed, *options))
        assert len(pairs) == len(want)
        for (v, tol), w in zip(pairs, want):
            assert abs(v - w) <= tol
        assert "centered" in q["text"] and "maximize" in q["text"]
