"""nnsolve check on CNN problems: a student's typical mistakes, each computed here independently
(the nested loops of tests/cnn_reference.py with one rule changed in this file, never nnsolve's
own variant), are graded wrong and named; every value of a CNN problem's JSON, of every step, can
be claimed, and is graded right when right and wrong when changed."""

import copy
import json
import os

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

import cnn_reference as ref
from nnsolve.cli import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
ANSWERS = os.path.join(ROOT, "problems", "answers")

# conv (padding 1) → ReLU → 2×2 max pool → flatten → dense ReLU → dense: squared error
MAX_PROBLEM = """\
kind: backprop
input: [[-2, -2, -2, 2],
        [3, -2, -2, 4],
        [0, -2, -1, 0],
        [0, -2, 3, 4]]
target: -50
layers:
  - conv: {kernel: [[0, 2], [-1, 0]], bias: [-1], stride: 1, padding: 1}
    activation: relu
  - pool: {type: max, size: 2, stride: 2}
  - flatten
  - weights: [[-2, -2, -1, -1], [-2, 2, 2, 1]]
    bias: [-2, 0]
    activation: relu
  - weights: [[-2, -2]]
    bias: [0]
    activation: linear
loss: squared_error
learning_rate: 0.1
"""

# conv 3×3 (padding 1) → ReLU → 2×2 average pool → flatten → dense: squared error
AVG_PROBLEM = """\
kind: backprop
input: [[4, 2, 2, 3],
        [1, 3, 4, 3],
        [2, 2, 2, -2],
        [-1, -1, 4, 0]]
target: -3
layers:
  - conv: {kernel: [[-1, -1, 2], [1, 1, 2], [-1, -1, 0]], bias: [0], stride: 1, padding: 1}
    activation: relu
  - pool: {type: avg, size: 2, stride: 2}
  - flatten
  - weights: [[-2, -1, 2, -1]]
    bias: [2]
    activation: linear
loss: squared_error
learning_rate: 0.1
"""


# --- the independent computation, with one rule changeable ------------------------------------

net_of = ref.net_of_problem


def pool_backward(L, x, g, rule):
    """The pool's backward pass: the right rule, or a student's."""
    if rule == "right":
        return ref.pool_backward(L, x, g)
    C, H, W = len(x), len(x[0]), len(x[0][0])
    _, _, wins = ref.pool_windows(L, H, W)
    dx = ref.zeros3(C, H, W)
    for c in range(C):
        for (i, j), cells in wins.items():
            for r, q in cells:
                if rule == "every cell":             # the whole gradient to each cell
                    dx[c][r][q] += g[c][i][j]
                elif rule == "spread":               # max pool spread as an average
                    dx[c][r][q] += g[c][i][j] / len(cells)
    return dx


def reference_step(net, x, y, loss, lr, *, factor=2.0, gate=True, pool_rule="right",
                   eta_factor=1.0, forward_only=False):
    """One step as the JSON has it (layers 1-based values, floats), for one sample."""
    trace = ref.sample_forward(net, x)
    out = trace[-1][2]
    layers = [{"type": L["type"], "h": o} | ({"a": a} if a is not None else {})
              for L, (_h, a, o) in zip(net, trace)]
    if forward_only:
        return {"layers": layers}
    ce = loss == "cross_entropy"            # on a softmax output: ∂J/∂a = ŷ − y
    J = -sum(yk * np.log(pk) for yk, pk in zip(y, out) if yk) if ce else \
        sum((yk - pk) ** 2 for yk, pk in zip(y, out)) * (0.5 if loss == "half_squared_error"
                                                         else 1)
    step = {"loss": J, "output": out, "layers": layers}
    g = [-yk / pk for yk, pk in zip(y, out)] if ce else \
        [-factor * (yk - pk) for yk, pk in zip(y, out)]       # ∂J/∂ŷ
    for li in range(len(net) - 1, -1, -1):
        L, (h_in, a, _), e = net[li], trace[li], layers[li]
        e["dJ_dh"] = g
        if ce and li == len(net) - 1:
            g = [pk - yk for yk, pk in zip(y, out)]
        if L["type"] in ("conv", "dense"):
            df = (lambda v: 1.0) if not gate or (ce and li == len(net) - 1) else \
                (lambda v, L=L: ref.act_df(L["act"], v))
            if L["type"] == "conv":
                g = ref.zip_apply(lambda gv, av: gv * df(av), g, a)
                e["dJ_da"] = g
                dK, db, g = ref.conv_backward(L, h_in, g)
                e["dJ_dK"] = dK
                e["dJ_db"] = db
                e["K_new"] = (np.asarray(L["K"], float) - eta_factor * lr * np.asarray(dK)).tolist()
            else:
                g = [gv * df(av) for gv, av in zip(g, a)]
                e["dJ_da"] = g
                W = L["W"]
                e["dJ_dW"] = [[g[j] * h_in[k] for k in range(len(W[0]))] for j in range(len(W))]
                e["dJ_db"] = list(g)
                e["W_new"] = (np.asarray(W, float) - eta_factor * lr *
                              np.asarray(e["dJ_dW"])).tolist()
                g = [sum(g[j] * W[j][k] for j in range(len(W))) for k in range(len(W[0]))]
            if L["b"] is not None:
                e["b_new"] = (np.asarray(L["b"], float) - eta_factor * lr *
                              np.asarray(e["dJ_db"])).tolist()
        elif L["type"] == "pool":
            g = pool_backward(L, h_in, g, pool_rule)
        else:
            g = ref.unflat(g, h_in)
    step["dJ_dx"] = g[0]                  # the input as written: H×W
    return step


# --- the CLI ---------------------------------------------------------------------------------

def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args], catch_exceptions=False)


def yaml_number(v):
    return repr(round(float(v), 9))


def flow(v):
    if isinstance(v, (list, tuple, np.ndarray)):
        return "[" + ", ".join(flow(e) for e in v) + "]"
    if isinstance(v, str):
        return v
    return yaml_number(v)


def answers_text(claims: dict) -> str:
    """An answers file's `answers:` from {path tuple: value}: layers by number, steps by number."""
    tree: dict = {}
    for path, v in claims.items():
        t = tree
        for k in path[:-1]:
            t = t.setdefault(k, {})
        t[path[-1]] = v

    def emit(t, pad):
        lines = []
        for k, v in t.items():
            if isinstance(v, dict):
                lines.append(f"{pad}{k}:")
                lines += emit(v, pad + "  ")
            else:
                lines.append(f"{pad}{k}: {flow(v)}")
        return lines
    return "\n".join(emit(tree, "  ")) + "\n"


def check(tmp_path, problem_text, claims, name="a"):
    """{field: the report's field entry} of check on these claims."""
    (tmp_path / "p.yaml").write_text(problem_text)
    a = tmp_path / f"{name}.yaml"
    a.write_text("problem: p.yaml\nanswers:\n" + answers_text(claims))
    r = run("check", a, "--format", "json")
    assert r.exit_code in (0, 1), r.output
    data = json.loads(r.stdout)
    fields = data["fields"] if "fields" in data else data["files"][0]["fields"]
    return {f["field"]: f for f in fields}


def solution_step(tmp_path, problem_text, k=0):
    (tmp_path / "p.yaml").write_text(problem_text)
    r = run("backprop", tmp_path / "p.yaml", "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)["steps"][k]


def differs(a, b):
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape != b.shape or not np.allclose(a, b, atol=1e-3)


# --- each mistake, computed independently, is named -------------------------------------------

def _mistaken(problem_text, **rule):
    p = yaml.safe_load(problem_text)
    net = net_of(p)
    y = p["target"] if isinstance(p["target"], list) else [p["target"]]
    step = reference_step(net, [p["input"]], y, p["loss"], p["learning_rate"], **rule)
    return p, net, step


def L(n, key):
    return ("layers", n, key)


DX = ("dJ_dx",)

CASES = [
    # (problem, rule changed in the reference, claimed fields, the mistake check must name)
    ("max", {"pool_rule": "every cell"},
     [L(1, "dJ_dh"), L(1, "dJ_da"), L(1, "dJ_dK"), L(1, "dJ_db"), DX, L(1, "K_new")],
     "max_pool_to_every_cell"),
    ("max", {"pool_rule": "spread"},
     [L(1, "dJ_dh"), L(1, "dJ_da"), L(1, "dJ_dK"), DX, L(1, "K_new")],
     "max_pool_spread"),
    ("avg", {"pool_rule": "every cell"},
     [L(1, "dJ_dh"), L(1, "dJ_da"), L(1, "dJ_dK"), L(1, "dJ_db"), DX, L(1, "K_new")],
     "avg_pool_not_divided"),
    ("avg", {"gate": False},
     [L(1, "dJ_da"), L(1, "dJ_dK"), L(1, "dJ_db"), DX, L(1, "K_new"), L(1, "b_new")],
     "relu_gate_ignored"),
    ("max", {"gate": False},
     [L(4, "dJ_da"), L(4, "dJ_dW"), L(1, "dJ_dK"), DX],
     "relu_gate_ignored"),
    ("max", {"factor": 1.0},
     [L(5, "dJ_dh"), L(5, "dJ_dW"), L(4, "dJ_dW"), L(1, "dJ_dh"), L(1, "dJ_dK"), DX,
      L(5, "W_new")],
     "loss_factor_2"),
    ("avg", {"factor": 1.0},
     [L(4, "dJ_dh"), L(4, "dJ_dW"), L(1, "dJ_dK"), L(1, "dJ_db"), DX, L(1, "K_new")],
     "loss_factor_2"),
    ("max", {"eta_factor": 10.0},
     [L(1, "K_new"), L(1, "b_new"), L(4, "W_new"), L(5, "W_new"), L(4, "b_new")],
     "eta_x10"),
    ("avg", {"eta_factor": 10.0}, [L(1, "K_new"), L(4, "W_new")], "eta_x10"),
]
PROBLEMS = {"max": MAX_PROBLEM, "avg": AVG_PROBLEM}


def get(step, path):
    """A value of a step by its path: layers 1-based."""
    v = step
    for k in path:
        v = v[k - 1] if isinstance(k, int) else v[k]
    return v


def name(path):
    return ".".join(str(k) for k in path)


def graded_mistakes(tmp_path, text, right, wrong, fields, mistake):
    """Claim ``fields`` of the independently computed ``wrong`` step; each is graded wrong and
    named ``mistake`` (and the mistake does change each of them)."""
    claims = {}
    for f in fields:
        assert differs(get(wrong, f), get(right, f)), (f, "the mistake changes nothing here")
        claims[f] = get(wrong, f)
    graded = check(tmp_path, text, claims)
    for f in fields:
        g = graded[name(f)]
        assert not g["correct"], f
        if g["follows_from"]:
            # an update of the student's own wrong gradient (claimed too) is said to follow from
            # it, and that gradient is named
            assert g["follows_with"] is None, g
            g = graded[g["follows_from"]]
        assert g["mistake"] is not None and g["mistake"]["names"] == [mistake], (f, g)


@pytest.mark.parametrize("which, rule, fields, mistake", CASES,
                         ids=[f"{c[0]}-{c[3]}" for c in CASES])
def test_a_mistake_computed_independently_is_named(tmp_path, which, rule, fields, mistake):
    text = PROBLEMS[which]
    right = solution_step(tmp_path, text)
    # the reference with no rule changed is the solution: the comparison below is meaningful
    _, _, ok = _mistaken(text)
    for f in fields:
        assert not differs(get(ok, f), get(right, f)), f
    _, _, wrong = _mistaken(text, **rule)
    graded_mistakes(tmp_path, text, right, wrong, fields, mistake)


def test_kernel_flipped_is_named(tmp_path):
    """A convolution computed where the problem asks for a cross-correlation: the whole forward
    pass and every gradient differ, and each is named."""
    text = AVG_PROBLEM
    right = solution_step(tmp_path, text)
    p = yaml.safe_load(text)
    net = net_of(p)
    net[0]["mode"] = "convolution"          # the kernel slid rotated by 180°
    wrong = reference_step(net, [p["input"]], [p["target"]], p["loss"], p["learning_rate"])
    fields = [L(1, "a"), L(1, "h"), L(2, "h"), ("output",), ("loss",), L(1, "dJ_da"),
              L(1, "dJ_dK"), DX, L(1, "K_new")]
    graded_mistakes(tmp_path, text, right, wrong, fields, "kernel_flipped")


@pytest.mark.parametrize("which", ["max", "avg"])
def test_dx_with_the_kernel_not_flipped_is_named(tmp_path, which):
    """∂J/∂x as the full cross-correlation of ∂J/∂a with K (the kernel not rotated): computed
    here with the reference's own loops, the kernel rotated by 180° in ∂J/∂x only."""
    text = PROBLEMS[which]
    right = solution_step(tmp_path, text)
    p = yaml.safe_load(text)
    net = net_of(p)
    real = ref.conv_backward

    def unflipped(Lc, x, g):
        dK, db, _ = real(Lc, x, g)
        rotated = dict(Lc, K=[[[row[::-1] for row in ch[::-1]] for ch in f] for f in Lc["K"]])
        return dK, db, real(rotated, x, g)[2]
    ref.conv_backward = unflipped
    try:
        wrong = reference_step(net, [p["input"]], [p["target"]], p["loss"],
                               p["learning_rate"])
    finally:
        ref.conv_backward = real
    assert not differs(get(wrong, L(1, "dJ_dK")), get(right, L(1, "dJ_dK")))
    graded_mistakes(tmp_path, text, right, wrong, [DX], "dx_kernel_not_flipped")


def test_kernel_not_flipped_is_named(tmp_path):
    """The other way: the problem asks for a convolution, the student slides the kernel as it is."""
    text = MAX_PROBLEM.replace("padding: 1}", "padding: 1, mode: convolution}")
    right = solution_step(tmp_path, text)
    p = yaml.safe_load(text)
    net = net_of(p)
    net[0]["mode"] = "cross_correlation"
    wrong = reference_step(net, [p["input"]], [p["target"]], p["loss"], p["learning_rate"])
    graded_mistakes(tmp_path, text, right, wrong, [L(1, "a"), L(2, "h"), L(1, "dJ_dK")],
                    "kernel_not_flipped")


@pytest.mark.parametrize("which", ["max", "avg"])
def test_padding_forgotten_is_named(tmp_path, which):
    """The conv layer computed without its padding: a smaller map (3×3 for 5×5, 2×2 for 4×4),
    then the pool of it; the dense layer cannot take the smaller vector, so the values before it
    are the ones claimed and named."""
    text = PROBLEMS[which]
    p = yaml.safe_load(text)
    net = net_of(p)
    net[0]["pads"] = ((0, 0), (0, 0))
    wrong = reference_step(net[:2], [p["input"]], [0], p["loss"], p["learning_rate"],
                           forward_only=True)
    fields = [L(1, "a"), L(1, "h"), L(2, "h")]
    right = solution_step(tmp_path, text)
    for f in fields:
        assert np.shape(get(wrong, f)) != np.shape(get(right, f))
    graded_mistakes(tmp_path, text, right, wrong, fields, "padding_forgotten")


# --- every value of the JSON, every step, can be claimed ----------------------------------------

def _claims_of(step: dict, prefix=()) -> dict:
    """Every value of one step of the JSON as claims (layers keyed 1-based), nulls left out."""
    out = {}
    for k, v in step.items():
        if v is None:
            continue
        if k == "layers":
            for n, layer in enumerate(v, start=1):
                for kk, vv in layer.items():
                    if vv is not None:
                        out[prefix + ("layers", n, kk)] = vv
        else:
            out[prefix + (k,)] = v
    return out


def _perturbed(v):
    """Each number moved beyond check's tolerance (0.001 or 0.1 %)."""
    if isinstance(v, str):
        return "dense" if v != "dense" else "conv"
    a = np.asarray(v, float)
    a = a + 0.5 + 0.01 * np.abs(a)
    return a.tolist() if a.ndim else float(a)


@pytest.mark.parametrize("text", [MAX_PROBLEM, AVG_PROBLEM,
                                  os.path.join(ROOT, "problems", "cnn-cs231n.yaml")],
                         ids=["max", "avg", "cs231n"])
def test_every_value_of_every_step_is_gradable(tmp_path, text):
    if os.path.isfile(text):
        text = open(text).read()
    text = text + "steps: 3\n"
    (tmp_path / "p.yaml").write_text(text)
    r = run("backprop", tmp_path / "p.yaml", "--format", "json")
    data = json.loads(r.stdout)
    assert len(data["steps"]) == 3
    claims = _claims_of(data["steps"][0])
    for k, s in enumerate(data["steps"], start=1):
        claims.update(_claims_of(s, ("steps", k)))
    keys = {p[-1] for p in claims}
    assert {"K", "a", "h", "dJ_dh", "dJ_da", "dJ_dK", "K_new", "W", "dJ_dW", "W_new", "type",
            "dJ_dx", "loss", "output"} <= keys
    graded = check(tmp_path, text, claims, "right")
    assert len(graded) == len(claims)
    wrong = [f for f, g in graded.items() if not g["correct"]]
    assert wrong == []
    graded = check(tmp_path, text, {p: _perturbed(v) for p, v in claims.items()}, "wrong")
    assert len(graded) == len(claims)
    right = [f for f, g in graded.items() if g["correct"]]
    assert right == []


def test_a_later_steps_mistake_is_named(tmp_path):
    """Step 2 computed with η ten times too large in both steps: step 2's values are named."""
    text = AVG_PROBLEM + "steps: 2\n"
    p = yaml.safe_load(text)
    net = net_of(p)
    s1 = reference_step(net, [p["input"]], [p["target"]], p["loss"], p["learning_rate"],
                        eta_factor=10.0)
    net2 = copy.deepcopy(net)
    net2[0]["K"], net2[0]["b"] = s1["layers"][0]["K_new"], s1["layers"][0]["b_new"]
    net2[3]["W"], net2[3]["b"] = s1["layers"][3]["W_new"], s1["layers"][3]["b_new"]
    s2 = reference_step(net2, [p["input"]], [p["target"]], p["loss"], p["learning_rate"],
                        eta_factor=10.0)
    claims = {("steps", 2, "loss"): s2["loss"], ("steps", 2, "layers", 1, "a"):
              s2["layers"][0]["a"], ("steps", 2, "layers", 1, "K_new"): s2["layers"][0]["K_new"]}
    graded = check(tmp_path, text, claims)
    for name in ("steps.2.loss", "steps.2.layers.1.a", "steps.2.layers.1.K_new"):
        g = graded[name]
        assert not g["correct"] and g["mistake"]["names"] == ["eta_x10"], (name, g)
        assert g["stage"].startswith("step 2, ")


# --- the example answers file -----------------------------------------------------------------

def test_the_cs231n_example_answers_name_their_mistakes():
    path = os.path.join(ANSWERS, "cnn-cs231n-wrong.yaml")
    r = run("check", path, "--format", "json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    fields = {f["field"]: f for f in (data["fields"] if "fields" in data
                                      else data["files"][0]["fields"])}
    named = {f: (g["mistake"] or {}).get("names") for f, g in fields.items() if not g["correct"]}
    assert named == {"layers.1.dJ_dh": ["max_pool_to_every_cell"],
                     "layers.1.dJ_dK": ["max_pool_to_every_cell"],
                     "layers.4.W_new": ["eta_x10"]}, named
    assert all(g["correct"] for f, g in fields.items() if f not in named)
    text = run("check", path).stdout
    assert "max pool to every cell" in text and "η ×10" in text
