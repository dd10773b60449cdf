"""nnsolve new backprop --cnn: a CNN exercise whose every value is clean, the same bytes for the
same seed and options, solvable in every format, gradable with its key, in a Moodle quiz.

Everything is checked from outside: the CLI writes the files, the JSON is read with Decimal (so
that 0.12 is 0.12, not a float near it), ties and zeros are looked for by plain loops here, and
the numbers are compared with the independent nested loops of tests/cnn_reference.py."""

import json
import math
import xml.etree.ElementTree as ET
from decimal import Decimal

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import cnn_reference as ref
from nnsolve.cli import cli


def run(*args):
    r = CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)
    return r


def numbers(x):
    if isinstance(x, dict):
        for v in x.values():
            yield from numbers(v)
    elif isinstance(x, list):
        for v in x:
            yield from numbers(v)
    elif x is not None and not isinstance(x, (str, bool)):
        yield x


def assert_clean(data):
    """Every number ×100 a whole number (read as Decimal: the JSON text itself)."""
    for v in numbers(data):
        assert isinstance(v, (int, Decimal)), v
        assert (Decimal(v) * 100) % 1 == 0, v


def windows(H, W, size=(2, 2), stride=(2, 2)):
    for i in range((H - size[0]) // stride[0] + 1):
        for j in range((W - size[1]) // stride[1] + 1):
            yield [(i * stride[0] + u, j * stride[1] + v) for u in range(size[0])
                   for v in range(size[1])]


def pair(v):
    return tuple(v) if isinstance(v, list) else (v, v)


OPTIONS = st.fixed_dictionaries({}, optional={
    "--input-size": st.sampled_from(["4", "5", "6", "4x6", "5x4"]),
    "--kernel-size": st.sampled_from(["2", "3", "2x3"]),
    "--filters": st.sampled_from(["1", "2"]),
    "--stride": st.sampled_from(["1", "2"]),
    "--padding": st.sampled_from(["0", "1"]),
    "--pool": st.sampled_from(["max", "avg", "none"]),
    "--layers": st.sampled_from(["1", "2", "2,1"]),
    "--activation": st.sampled_from(["relu", "leaky_relu", "relu6", "linear"]),
    "--loss": st.sampled_from(["squared_error", "half_squared_error"]),
    "--mode": st.sampled_from(["cross_correlation", "convolution"]),
    "--bias": st.just(None), "--allow-zero": st.just(None),
    "--channels": st.sampled_from(["1", "2", "3"]),
    "--pool-size": st.sampled_from(["2", "3", "2x3"]),
    "--pool-stride": st.sampled_from(["1", "2", "3"])})


def argv(options: dict) -> list:
    out = ["--cnn"]
    for k, v in options.items():
        out += [k] if v is None else [k, v]
    return out


def generate(tmp_path, seed, options, name="p"):
    """(exit code, problem text, key path) of `nnsolve new backprop --cnn ...` through the CLI."""
    p, k = tmp_path / f"{name}.yaml", tmp_path / f"{name}-key.yaml"
    r = run("new", "backprop", "--seed", seed, *argv(options), "-o", p, "--answers", k)
    return r, (p.read_text() if r.exit_code == 0 else None), k


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(seed=st.integers(0, 10 ** 6), options=OPTIONS)
def test_every_value_is_clean_and_the_file_repeats(tmp_path_factory, seed, options):
    tmp_path = tmp_path_factory.mktemp("cnn")
    if options.get("--pool") == "none":
        # a pool's size and stride without a pool: a usage error (tested in the refusals)
        options = {k: v for k, v in options.items() if k not in ("--pool-size", "--pool-stride")}
    r, text, key = generate(tmp_path, seed, options)
    if r.exit_code != 0:
        # only a size that makes no exercise is refused, in one line
        assert r.exit_code == 1 and r.stdout == "", r.output
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: "), r.stderr
        assert "no clean" not in r.stderr, (seed, options, r.stderr)
        return
    r2, text2, _ = generate(tmp_path, seed, options, name="again")
    assert r2.exit_code == 0 and text2 == text            # the same seed and options, same bytes
    problem = yaml.safe_load(text)
    pfile = tmp_path / "p.yaml"
    r = run("backprop", pfile, "--format", "json")
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout, parse_float=Decimal)
    assert_clean(data)
    step = data["steps"][0]
    layers = step["layers"]
    types = [l["type"] for l in layers]
    pool = options.get("--pool", "max")
    units = options.get("--layers", "1").split(",")
    assert types == ["conv"] + (["pool"] if pool != "none" else []) + ["flatten"] + \
        ["dense"] * len(units)
    assert np.shape(step["output"]) == (int(units[-1]),)
    assert step["loss"] != 0
    act = options.get("--activation", "relu")
    kinks = {"relu": (0,), "leaky_relu": (0,), "relu6": (0, 6)}.get(act, ())
    if "--allow-zero" not in options:
        for l, spec in zip(layers, problem["layers"]):
            if l["type"] in ("conv", "dense") and spec.get("activation") != "linear":
                assert not set(numbers(l["a"])) & set(kinks), (l["type"], l["a"])
    conv_h = layers[0]["h"]
    C = int(options.get("--channels", "1"))
    assert np.ndim(problem["input"]) == (2 if C == 1 else 3)
    assert np.shape(layers[0]["K"])[1] == C
    if pool != "none":
        spec = problem["layers"][1]["pool"]
        size = tuple(int(n) for n in options.get("--pool-size", "2").split("x")) * 2
        assert pair(spec["size"]) == size[:2]
        assert pair(spec["stride"]) == (tuple(int(n) for n in options["--pool-stride"].split("x"))
                                        * 2)[:2] if "--pool-stride" in options else size[:2]
    if pool == "max":
        for fmap in conv_h:
            for cells in windows(len(fmap), len(fmap[0]), pair(spec["size"]),
                                 pair(spec["stride"])):
                vals = [fmap[r][c] for r, c in cells]
                assert vals.count(max(vals)) == 1, vals         # no tie in a max-pool window
    for l in layers:
        if l["type"] == "conv":
            assert all(any(v != 0 for v in numbers(dk)) for dk in l["dJ_dK"])
        if l["type"] == "dense":
            assert any(v != 0 for v in numbers(l["dJ_dW"]))
    # the numbers are the independent nested loops' (floats, so to 1e-9)
    _against_reference(problem, step)
    # every format solves
    for fmt in ("text", "markdown", "latex"):
        r = run("backprop", pfile, "--format", fmt)
        assert r.exit_code == 0 and r.stdout, (fmt, r.output)
    # the answer key grades all right, and names the problem
    r = run("check", key)
    assert r.exit_code == 0, r.output
    assert yaml.safe_load(key.read_text())["problem"] == "p.yaml"


def _against_reference(problem, step):
    net = ref.net_of_problem(problem)
    one = np.ndim(problem["input"]) == 2
    x = [problem["input"]] if one else problem["input"]
    y = problem["target"] if isinstance(problem["target"], list) else [problem["target"]]
    J, grads, dx = ref.network_gradients(net, [x], [y], problem["loss"], "mean")
    trace = ref.sample_forward(net, x)
    assert math.isclose(float(step["loss"]), J, rel_tol=1e-9, abs_tol=1e-9)
    lr = float(problem["learning_rate"])

    def close(a, b):
        return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                           rtol=1e-9, atol=1e-9)
    for L, G, (_h, a, out), got in zip(net, grads, trace, step["layers"]):
        assert close(got["h"], out)
        if L["type"] in ("conv", "dense"):
            name = "K" if L["type"] == "conv" else "W"
            assert close(got["a"], a)
            assert close(got[f"dJ_d{name}"], G[name])
            assert close(got[f"{name}_new"], np.asarray(L[name], float) - lr * np.asarray(G[name]))
            if L["b"] is not None:
                assert close(got["dJ_db"], G["b"])
    assert close(step["dJ_dx"], dx[0][0] if one else dx[0])


@pytest.mark.parametrize("options", [{}, {"--pool": "avg"}, {"--pool": "none"},
                                     {"--filters": "2", "--layers": "2,1", "--bias": None},
                                     {"--activation": "leaky_relu", "--pool": "avg"},
                                     {"--activation": "relu6"},
                                     {"--loss": "half_squared_error", "--pool": "avg"},
                                     {"--mode": "convolution", "--input-size": "4",
                                      "--kernel-size": "3", "--padding": "1"}])
def test_ten_seeds_of_each_form(tmp_path, options):
    """Ten seeds of each main form: clean, repeated byte for byte, different from seed to seed,
    and an average pool's means whole (the window sums divide by 4)."""
    texts = set()
    for seed in range(10):
        r, text, _ = generate(tmp_path, seed, options)
        assert r.exit_code == 0, r.output
        assert generate(tmp_path, seed, options, "again")[1] == text
        texts.add(text)
        data = json.loads(run("backprop", tmp_path / "p.yaml", "--format", "json").stdout,
                          parse_float=Decimal)
        assert_clean(data)
        if options.get("--pool") == "avg":
            slope = options.get("--activation") == "leaky_relu"
            means = [v for v in numbers(data["steps"][0]["layers"][1]["h"])]
            whole = [v for v in means if (Decimal(v) * (10 if slope else 1)) % 1 == 0]
            assert len(whole) >= len(means) // 2, means
    assert len(texts) == 10


def test_default_is_a_small_cnn_with_a_max_pool(tmp_path):
    r, text, _ = generate(tmp_path, 7, {})
    assert r.exit_code == 0
    p = yaml.safe_load(text)
    assert np.shape(p["input"]) == (5, 5)
    assert p["layers"][0]["conv"]["stride"] == 1 and np.shape(p["layers"][0]["conv"]["kernel"]) \
        == (2, 2)
    assert p["layers"][1] == {"pool": {"type": "max", "size": 2, "stride": 2}}
    assert p["layers"][2] == "flatten" and np.shape(p["layers"][3]["weights"]) == (1, 4)
    assert p["loss"] == "squared_error" and str(p["learning_rate"]) in ("0.1", "0.01")
    assert text.startswith("# Generated by `nnsolve new backprop --seed 7 --cnn`")


def test_the_header_repeats_the_command(tmp_path):
    """The first line is a command that makes the same file again."""
    r, text, _ = generate(tmp_path, 4, {"--pool": "avg", "--filters": "2", "--bias": None})
    cmd = text.splitlines()[0].split("`")[1].split()[2:]      # after "nnsolve new"
    out = tmp_path / "again.yaml"
    assert run("new", *cmd, "-o", out).exit_code == 0
    assert out.read_text() == text


def test_moodle_quiz_of_fifty_cnn_variants(tmp_path):
    quiz = tmp_path / "quiz.xml"
    r = run("new", "backprop", "--cnn", "--seeds", "1-50", "--moodle", quiz)
    assert r.exit_code == 0, r.output
    root = ET.parse(quiz).getroot()
    questions = [q for q in root if q.get("type") == "cloze"]
    assert len(questions) == 50
    first = questions[0].find("questiontext/text").text
    assert "convolutional network" in first and "fully connected" not in first
    assert r"\frac{\partial J}{\partial K^{(1)}}" in first
    # the answers are the solution's: seed 1's K_new among them
    p = tmp_path / "one.yaml"
    assert run("new", "backprop", "--cnn", "--seed", "1", "-o", p).exit_code == 0
    step = json.loads(run("backprop", p, "--format", "json").stdout)["steps"][0]
    for v in np.ravel(step["layers"][0]["K_new"]):
        assert f"NUMERICAL:={v:g}:" in first


# the files of 0.2's first `new backprop --cnn` (one channel, a 2×2 pool of stride 2), byte
# for byte: the options added since leave their defaults' output alone
BEFORE = {("--seed", "7"): '# Generated by `nnsolve new backprop --seed 7 --cnn`; every value in its solution is clean.\nkind: backprop\ntitle: "A convolutional network: conv → relu → max pool → flatten → dense (exercise 7)"\ninput: [[-1, 0, 0, 0, 0],\n        [-1, 4, -1, 0, 2],\n        [0, 2, 4, -1, 2],\n        [-2, 3, 3, 2, 0],\n        [-2, 4, -1, 2, -2]]\ntarget: 35\nlayers:\n  - conv:\n      kernel: [[1, -1], [2, -1]]\n      stride: 1\n      padding: 0\n    activation: relu\n  - pool: {type: max, size: 2, stride: 2}\n  - flatten\n  - weights: [[1, 2, 2, -1]]\n    activation: linear\nloss: squared_error\nlearning_rate: 0.01\n',
          ("--seed", "11", "--pool", "avg", "--filters", "2", "--bias", "--layers", "2,1",
           "--input-size", "4x5"): '# Generated by `nnsolve new backprop --seed 11 --cnn --input-size 4x5 --filters 2 --pool avg --layers 2,1 --bias`; every value in its solution is clean.\nkind: backprop\ntitle: "A convolutional network: conv → relu → avg pool → flatten → dense (exercise 11)"\ninput: [[-1, -2, -2, 2, 1],\n        [2, -2, -2, 0, 3],\n        [-1, 0, 3, 1, 1],\n        [2, 3, -1, -1, 3]]\ntarget: -14\nlayers:\n  - conv:\n      kernels:\n        - [[2, 0], [0, 1]]\n        - [[0, -1], [2, 1]]\n      bias: [0, 1]\n      stride: 1\n      padding: 0\n    activation: relu\n  - pool: {type: avg, size: 2, stride: 2}\n  - flatten\n  - weights: [[1, 1, -1, -1], [2, 1, -1, 2]]\n    bias: [-1, 2]\n    activation: relu\n  - weights: [[2, -1]]\n    bias: [-1]\n    activation: linear\nloss: squared_error\nlearning_rate: 0.01\n'}


@pytest.mark.parametrize("args", list(BEFORE))
def test_the_defaults_make_the_files_they_made(args):
    r = run("new", "backprop", "--cnn", *args)
    assert r.exit_code == 0 and r.stdout == BEFORE[args]


@pytest.mark.parametrize("options", [
    {"--channels": "3", "--input-size": "4"},
    {"--channels": "2", "--filters": "2", "--layers": "2,1", "--bias": None},
    {"--channels": "2", "--mode": "convolution", "--kernel-size": "3", "--padding": "1",
     "--input-size": "4"},
    {"--pool-size": "3", "--pool-stride": "1"},
    {"--pool-size": "2x3", "--pool-stride": "1x2", "--input-size": "5x6"},
    {"--pool": "avg", "--pool-size": "3", "--pool-stride": "1", "--channels": "2"},
    {"--pool": "avg", "--pool-size": "3", "--input-size": "7", "--kernel-size": "2x1"},
    {"--pool": "avg", "--pool-size": "2", "--pool-stride": "1", "--loss": "half_squared_error"},
])
def test_channels_and_pools_against_the_nested_loops(tmp_path, options):
    """Ten seeds of each form of the new options: every value clean, the numbers the nested
    loops', C channels in the input and the kernels, the pool as asked, an average pool of 9
    cells with whole means (1/9 has no two-decimal form), no max-pool tie, the key grading."""
    texts = set()
    for seed in range(10):
        r, text, key = generate(tmp_path, seed, options)
        assert r.exit_code == 0, r.output
        assert generate(tmp_path, seed, options, "again")[1] == text
        texts.add(text)
        problem = yaml.safe_load(text)
        data = json.loads(run("backprop", tmp_path / "p.yaml", "--format", "json").stdout,
                          parse_float=Decimal)
        assert_clean(data)
        step = data["steps"][0]
        C = int(options.get("--channels", "1"))
        assert np.shape(step["layers"][0]["K"])[:2] == (int(options.get("--filters", "1")), C)
        assert np.ndim(problem["input"]) == (2 if C == 1 else 3)
        spec = problem["layers"][1]["pool"]
        size = tuple(int(n) for n in options.get("--pool-size", "2").split("x")) * 2
        stride = tuple(int(n) for n in options.get("--pool-stride",
                                                   options.get("--pool-size", "2")).split("x")) * 2
        assert (pair(spec["size"]), pair(spec["stride"])) == (size[:2], stride[:2])
        h = step["layers"][0]["h"]
        for fmap in h:
            for cells in windows(len(fmap), len(fmap[0]), size[:2], stride[:2]):
                vals = [fmap[r][c] for r, c in cells]
                if spec["type"] == "max":
                    assert vals.count(max(vals)) == 1, vals
                elif size[0] * size[1] == 9:
                    assert sum(vals) % 9 == 0, vals
        _against_reference(problem, step)
        assert run("check", key).exit_code == 0
    assert len(texts) == 10


def _steps_against_reference(problem, data):
    """Every step's numbers against the nested loops, the parameters moved between steps by
    plain gradient descent or by torch's SGD with momentum (b ← g at t = 1, else μb + g;
    θ ← θ − ηb), written out here."""
    net = ref.net_of_problem(problem)
    one = np.ndim(problem["input"]) == 2
    x = [problem["input"]] if one else problem["input"]
    y = problem["target"] if isinstance(problem["target"], list) else [problem["target"]]
    lr = float(problem["learning_rate"])
    mu = problem["optimizer"]["momentum"] if "optimizer" in problem else 0.0
    buf = {}

    def close(a, b):
        return np.allclose(np.asarray(a, dtype=float), np.asarray(b, dtype=float),
                           rtol=1e-9, atol=1e-9)
    assert len(data["steps"]) == problem.get("steps", 1)
    for k, step in enumerate(data["steps"]):
        J, grads, dx = ref.network_gradients(net, [x], [y], problem["loss"], "mean")
        trace = ref.sample_forward(net, x)
        assert math.isclose(float(step["loss"]), J, rel_tol=1e-9, abs_tol=1e-9)
        assert close(step["dJ_dx"], dx[0][0] if one else dx[0])
        for li, (L, G, (_h, a, out), got) in enumerate(zip(net, grads, trace, step["layers"])):
            assert close(got["h"], out)
            if L["type"] not in ("conv", "dense"):
                continue
            name = "K" if L["type"] == "conv" else "W"
            assert close(got["a"], a)
            for p in (name, "b"):
                if L[p] is None:
                    continue
                g = np.asarray(G[p], dtype=float)
                assert close(got[f"dJ_d{p}"], g)
                buf[li, p] = g if k == 0 or mu == 0 else mu * buf[li, p] + g
                new = np.asarray(L[p], dtype=float) - lr * buf[li, p]
                assert close(got[f"{p}_new"], new)
                L[p] = new.tolist()


TWO_STEP_FORMS = [{}, {"--optimizer": "sgd"}, {"--pool": "avg"},
                  {"--pool": "none", "--bias": None}, {"--loss": "half_squared_error"},
                  {"--activation": "relu6", "--mode": "convolution"}, {"--layers": "2,1"},
                  {"--channels": "2", "--input-size": "4"}]


@pytest.mark.parametrize("options", TWO_STEP_FORMS)
def test_two_steps_clean_and_downhill(tmp_path, options):
    """--steps 2 (the default with --optimizer sgd): both steps clean, the loss lower in the
    second, no kink input nor max-pool tie in either, every number the nested loops' through
    both steps, the gradients the finite differences' (--verify), the key grading, the same
    bytes again."""
    options = dict(options)
    if "--optimizer" not in options:
        options["--steps"] = "2"
    for seed in range(2):
        r, text, key = generate(tmp_path, seed, options)
        assert r.exit_code == 0, r.output
        if seed == 0:
            assert generate(tmp_path, seed, options, "again")[1] == text
        problem = yaml.safe_load(text)
        assert problem["steps"] == 2
        assert ("optimizer" in problem) == ("--optimizer" in options)
        pfile = tmp_path / "p.yaml"
        data = json.loads(run("backprop", pfile, "--format", "json").stdout,
                          parse_float=Decimal)
        assert_clean(data)
        first, second = (s["loss"] for s in data["steps"])
        assert 0 < second < first, (first, second)
        act = options.get("--activation", "relu")
        kinks = {"relu": {0}, "relu6": {0, 6}}[act]
        for step in data["steps"]:
            for l, spec in zip(step["layers"], problem["layers"]):
                if l["type"] in ("conv", "dense") and spec.get("activation") != "linear":
                    assert not set(numbers(l["a"])) & kinks, (l["type"], l["a"])
            if options.get("--pool", "max") == "max":
                for fmap in step["layers"][0]["h"]:
                    for cells in windows(len(fmap), len(fmap[0])):
                        vals = [fmap[r][c] for r, c in cells]
                        assert vals.count(max(vals)) == 1, vals
        _steps_against_reference(problem, data)
        r = run("backprop", pfile, "--verify", "--detail", "summary")
        assert r.exit_code == 0 and "gradients agree" in r.stdout and "Not all" not in r.stdout
        assert run("check", key).exit_code == 0
        # the key holds the second step too, and check grades it
        answers = yaml.safe_load(key.read_text())["answers"]
        assert Decimal(str(answers["steps"][2]["loss"])) == second
        bad = tmp_path / "bad-key.yaml"
        bad.write_text(key.read_text().replace(f"      loss: {answers['steps'][2]['loss']}\n",
                                               f"      loss: {second + 1}\n", 1))
        r = run("check", bad)
        assert r.exit_code == 1 and "steps.2.loss" in r.stdout


@pytest.mark.parametrize("args, code, message", [
    (["--kernel-size", "3"], 2, "--kernel-size is an option of a CNN exercise: add --cnn"),
    (["--pool", "avg"], 2, "--pool is an option of a CNN exercise"),
    (["--cnn", "--optimizer", "adam"], 1, "--optimizer adam divides by a square root"),
    (["--cnn", "--optimizer", "rmsprop", "--steps", "1"], 1, "a CNN exercise takes sgd"),
    (["--cnn", "--steps", "3"], 1, "stays clean for at most 2 steps"),
    (["--cnn", "--optimizer", "sgd", "--steps", "3"], 1, "at most 2 steps"),
    (["--cnn", "--steps", "2", "--layers", "2"], 1, "--steps 2 with 2 output units"),
    (["--cnn", "--optimizer", "sgd", "--layers", "3,2"], 1, "with 2 output units"),
    (["--cnn", "--steps", "2", "--activation", "leaky_relu"], 1,
     "--steps 2 with --activation leaky_relu: its slope 0.1"),
    (["--cnn", "--steps", "2", "--pool", "avg", "--pool-size", "3"], 1,
     "--steps 2 with a 3×3 average pool: whole first updates need ŷ − y a multiple of 45, a "
     "loss of at least 2025"),
    (["--cnn", "--layers", "2,x"], 2, "expected the dense layers' units"),
    (["--cnn", "--filters", "4"], 2, "--filters"),
    (["--cnn", "--input-size", "9"], 1, "at most 64 numbers"),
    (["--cnn", "--input-size", "3", "--kernel-size", "3"], 1, "smaller than the 2×2 pool"),
    (["--cnn", "--input-size", "4", "--kernel-size", "5"], 1, "larger than the input"),
    (["--cnn", "--padding", "2"], 1, "padding of at most 1"),
    (["--cnn", "--input-size", "8", "--pool", "none"], 1, "flatten gives 49 inputs"),
    (["--cnn", "--layers", "2,2,2,1"], 1, "at most 3 dense layers"),
    (["--cnn", "--kernel-size", "1", "--mode", "convolution"], 1, "1×1 kernel"),
    (["--pool-size", "3"], 2, "--pool-size is an option of a CNN exercise: add --cnn"),
    (["--channels", "2"], 2, "--channels is an option of a CNN exercise: add --cnn"),
    (["--cnn", "--pool", "none", "--pool-stride", "1"], 2,
     "--pool-stride sets the pool: --pool none has none"),
    (["--cnn", "--channels", "5"], 2, "--channels"),
    (["--cnn", "--pool-size", "0"], 2, "--pool-size"),
    (["--cnn", "--pool-stride", "2x"], 2, "--pool-stride"),
    (["--cnn", "--input-size", "4", "--pool-size", "4"], 1,
     "the conv output (3×3) is smaller than the 4×4 pool"),
    (["--cnn", "--pool-size", "2x5"], 1, "smaller than the 2×5 pool"),
    (["--cnn", "--input-size", "8", "--kernel-size", "2", "--pool-size", "6"], 1,
     "a pool of at most 5×5"),
    (["--cnn", "--channels", "3", "--input-size", "6"], 1,
     "an input of at most 100 numbers (4×5×5) for an exercise written out by hand, got 3×6×6"),
    (["--cnn", "--input-size", "8", "--kernel-size", "1", "--filters", "3"], 1,
     "3×8×8 outputs"),
])
def test_refusals_are_one_line(args, code, message):
    r = run("new", "backprop", *args)
    assert r.exit_code == code and r.stdout == ""
    assert message in r.stderr, r.stderr
    if code == 1:
        assert r.stderr.count("\n") == 1 and r.stderr.startswith("Error: ")
    else:
        assert r.stderr.rstrip("\n").splitlines()[-1].startswith("Error: ")
