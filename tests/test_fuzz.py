"""Fuzzing: every problem in problems/, mutated, is either solved or refused with one Error: line.

Each example takes a valid problem file, applies one to three mutations somewhere in it (delete
a key, rename a key, replace a value by a random scalar, list, mapping, text, huge or negative
number, put another small number in place of a number, drop a row, add a row, change a value's
type), writes it beside copies of the matrix files, and runs it. The run must end in exit 0 with valid output (JSON that parses), or in exit
1/2 with exactly one `Error:` line on stderr, nothing on stdout, and no traceback or "internal
error". NNSOLVE_FUZZ_EXAMPLES sets the examples per problem file (default 30).
"""

import json
import os
import shutil
import tempfile

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnsolve.cli import cli

HERE = os.path.dirname(os.path.abspath(__file__))
PROBLEMS = os.path.join(os.path.dirname(HERE), "problems")
FILES = sorted(f for f in os.listdir(PROBLEMS) if f.endswith(".yaml"))
EXAMPLES = int(os.environ.get("NNSOLVE_FUZZ_EXAMPLES", "30"))

NAMES = ["relu", "softmax", "sigmoid", "linear", "leaky_relu", "same", "valid", "max", "avg",
         "mse", "cross_entropy", "conv", "flatten", "dense", "p", "sum", "mean", "backprop",
         "conv", "shape", "regularize", "sheet", "I.txt", "K.txt", "X2.txt", "nowhere.npy",
         "seed-conv.yaml", "1/3", "1/0", "1e-3", "1e999", ".nan", ".inf", "", " ", "x"]

scalars = st.one_of(
    st.integers(-5, 5),
    st.integers(-10 ** 6, 10 ** 6),
    st.sampled_from([0, -1, 10 ** 9, 10 ** 30, -10 ** 30, 2 ** 63, 10 ** 400]),
    st.floats(allow_nan=True, allow_infinity=True),
    st.floats(-10, 10),
    st.sampled_from([1e300, -1e300, 1e-300, 0.5, -0.5]),
    st.booleans(),
    st.none(),
    st.sampled_from(NAMES),
    st.text(max_size=12),
)
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=4),
    st.dictionaries(st.sampled_from(NAMES + ["weights", "input", "kernel", "type", "size"]),
                    inner, max_size=3)), max_leaves=12)


def _containers(doc, path=()):
    """Every (path, container) in a nested structure, the root first."""
    out = [(path, doc)]
    items = doc.items() if isinstance(doc, dict) else enumerate(doc) \
        if isinstance(doc, list) else ()
    for k, v in items:
        if isinstance(v, (dict, list)):
            out += _containers(v, path + (k,))
    return out


def _mutate(data, doc):
    """One random mutation of a container somewhere in the problem (in place)."""
    _path, box = data.draw(st.sampled_from(_containers(doc)))
    if isinstance(box, dict):
        if not box:
            box[data.draw(st.sampled_from(NAMES))] = data.draw(values)
            return
        key = data.draw(st.sampled_from(sorted(box, key=str)))
        how = data.draw(st.sampled_from(["delete", "rename", "replace", "huge", "negative",
                                         "wrap", "unwrap", "add", "tweak", "tweak"]))
        if how == "delete":
            del box[key]
        elif how == "rename":
            new = data.draw(st.one_of(st.sampled_from(NAMES), st.just(str(key)[:-1]),
                                      st.just(str(key) + "s"), st.just(str(key).upper())))
            box[new] = box.pop(key)
        elif how == "add":
            box[data.draw(st.sampled_from(NAMES))] = data.draw(values)
        else:
            box[key] = _changed(data, box[key], how)
    else:
        if not box:
            box.append(data.draw(values))
            return
        i = data.draw(st.integers(0, len(box) - 1))
        how = data.draw(st.sampled_from(["drop", "add_row", "duplicate", "replace", "huge",
                                         "negative", "wrap", "unwrap", "tweak", "tweak",
                                         "tweak"]))
        if how == "drop":
            del box[i]
        elif how == "add_row":
            box.insert(i, data.draw(values))
        elif how == "duplicate":
            box.insert(i, json.loads(json.dumps(box[i])))
        else:
            box[i] = _changed(data, box[i], how)


def _changed(data, value, how):
    if how == "tweak":                                  # another number of the same kind
        if isinstance(value, list):
            return [_changed(data, v, how) for v in value]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return value
        return data.draw(st.one_of(st.integers(-3, 3), st.sampled_from([0.5, -0.25, 0.1, 1e-9]),
                                   st.floats(-4, 4, allow_subnormal=False)))
    if how == "huge":
        return data.draw(st.sampled_from([10 ** 12, 10 ** 100, 1e308, "1e400", 2 ** 70]))
    if how == "negative":
        return data.draw(st.sampled_from([-1, -2, -0.5, "-1/2", -10 ** 9]))
    if how == "wrap":                                   # a scalar becomes a list, and so on
        return [value]
    if how == "unwrap":
        if isinstance(value, list) and value:
            return value[0]
        if isinstance(value, dict) and value:
            return next(iter(value.values()))
        return data.draw(values)
    return data.draw(values)


def _check(result, fmt, what):
    if result.exit_code == 0:
        assert result.stderr == "", what
        if fmt == "json":
            json.loads(result.stdout)
        return
    assert result.exit_code in (1, 2), (what, result.exit_code, result.stderr)
    assert result.stdout == "", what
    assert "Traceback" not in result.stderr and "internal error" not in result.stderr, \
        (what, result.stderr)
    errors = [l for l in result.stderr.splitlines() if l.startswith("Error:")]
    assert len(errors) == 1, (what, result.stderr)
    if result.exit_code == 1:
        assert result.stderr.strip() == errors[0], (what, result.stderr)


@pytest.mark.parametrize("name", FILES)
def test_mutated_problems(name):
    with open(os.path.join(PROBLEMS, name), encoding="utf-8") as fh:
        original = yaml.safe_load(fh)
    kind = original.get("kind")
    command = kind if kind in ("backprop", "conv", "shape", "regularize") else "solve"
    work = tempfile.mkdtemp(prefix="nnsolve-fuzz-")
    for f in os.listdir(PROBLEMS):           # the matrix files and sheet members, beside it
        if os.path.isfile(os.path.join(PROBLEMS, f)):
            shutil.copy(os.path.join(PROBLEMS, f), work)

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def check(data):
        doc = json.loads(json.dumps(original))
        for _ in range(data.draw(st.integers(1, 3))):
            _mutate(data, doc)
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
        path = os.path.join(work, "mutated.yaml")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        fmt = data.draw(st.sampled_from(["text", "json", "markdown", "latex"]))
        cmd = data.draw(st.sampled_from([command, "solve"]))
        extra = data.draw(st.lists(st.sampled_from(
            ["--exact", "--detail=full", "--detail=summary", "--precision=3"]
            + (["--verify"] if cmd in ("backprop", "solve") else [])), max_size=2, unique=True))
        result = CliRunner().invoke(cli, [cmd, path, "--format", fmt] + extra)
        _check(result, fmt, f"nnsolve {cmd} --format {fmt} with:\n{text}")

    try:
        check()
    finally:
        shutil.rmtree(work, ignore_errors=True)


ANSWERS = os.path.join(PROBLEMS, "answers")
ANSWER_FILES = sorted(f for f in os.listdir(ANSWERS) if f.endswith(".yaml")) \
    if os.path.isdir(ANSWERS) else []


@pytest.mark.parametrize("name", ANSWER_FILES)
def test_mutated_answers(name):
    """`nnsolve check` on a mutated answers file: graded (exit 0 or 1, the grades on stdout)
    or refused with one Error: line."""
    with open(os.path.join(ANSWERS, name), encoding="utf-8") as fh:
        original = yaml.safe_load(fh)
    work = tempfile.mkdtemp(prefix="nnsolve-fuzz-")
    shutil.copytree(PROBLEMS, os.path.join(work, "problems"))

    @settings(max_examples=EXAMPLES, deadline=None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(st.data())
    def check(data):
        doc = json.loads(json.dumps(original))
        for _ in range(data.draw(st.integers(1, 3))):
            _mutate(data, doc)
        text = yaml.safe_dump(doc, allow_unicode=True, sort_keys=False)
        path = os.path.join(work, "problems", "answers", "mutated.yaml")
        with open(path, "w", encoding="utf-8") as fh:
            fh.write(text)
        fmt = data.draw(st.sampled_from(["text", "json", "markdown"]))
        result = CliRunner().invoke(cli, ["check", path, "--format", fmt])
        what = f"nnsolve check --format {fmt} with:\n{text}"
        assert result.exit_code in (0, 1, 2), (what, result.exit_code, result.stderr)
        assert "Traceback" not in result.stderr and "internal error" not in result.stderr, \
            (what, result.stderr)
        if result.stderr.strip():       # refused: one error line and no grades
            _check(result, fmt, what)
        elif fmt == "json":
            json.loads(result.stdout)

    try:
        check()
    finally:
        shutil.rmtree(work, ignore_errors=True)


@settings(max_examples=EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(kind=st.sampled_from(["backprop", "conv", "shape", "regularize"]),
       seed=st.one_of(st.integers(0, 1000), st.integers(0, 10 ** 30)))
def test_new_exercises_solve(kind, seed):
    """`nnsolve new` writes a problem that `nnsolve solve` solves."""
    made = CliRunner().invoke(cli, ["new", kind, "--seed", str(seed)])
    if made.exit_code != 0:
        _check(made, "text", f"nnsolve new {kind} --seed {seed}")
        return
    solved = CliRunner().invoke(cli, ["solve", "-", "--format", "json"], input=made.stdout)
    assert solved.exit_code == 0, (kind, seed, solved.stderr)
    json.loads(solved.stdout)
