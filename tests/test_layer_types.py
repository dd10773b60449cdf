"""Layer types of a backprop network, one module each (nnsolve/kinds/backprop/layers/).

1. Adding a layer type is one file: a type defined here, in the test (a layer that multiplies
   by a constant, with its own op), is read, solved in every format, graded by `check` and
   checked by finite differences without any other change; its numbers equal those of the same
   network with the constant folded into the dense layer before it.
2. Global average pooling (layers/global_avg_pool.py, a type added as one file): random
   conv → [ReLU] → global_avg_pool → flatten → dense networks against the nested-loop reference
   (tests/cnn_reference.py, a map's mean as the average over one window that is the whole map)
   to 1e-9 and against central differences; the example by hand; check's mistake on it.
3. An activation layer in a network of dense layers (refused before): number for number the
   dense layer with that activation, over several steps, batches and losses.
4. Flatten as the last layer (it crashed), and `--cost` on a network that is not dense.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

import cnn_reference as ref
from nnsolve.cli import cli
from nnsolve.expr import Mul, Num
from nnsolve.kinds.backprop import layers as layer_types
from nnsolve.kinds.backprop.layers.base import LayerType, d, layer_type, registered, val
from nnsolve.load.yamldoc import doc_from_text
from nnsolve.ops.engine import Node, Op
from nnsolve.render import render
from nnsolve.solution import Equation, Paragraph
from nnsolve.solve import SolveOptions, solve

HERE = os.path.dirname(os.path.abspath(__file__))
PROBLEMS = os.path.join(os.path.dirname(HERE), "problems")


def answers(path, problem, tree) -> str:
    """An answers file for ``problem`` claiming the values of ``tree``."""
    path.write_text(yaml.safe_dump({"kind": "answers", "problem": str(problem),
                                    "answers": tree}))
    return str(path)


def mistaken_gradient(path, mistake: str):
    """Layer 1's ∂J/∂(its first parameter) computed with ``mistake`` swapped in, as a list."""
    from nnsolve.kinds.backprop.solve import compute_step
    with open(path) as fh:
        problem = parse_text(fh.read())
    step = compute_step(problem, [(l.W, l.b) for l in problem.layers], (mistake,))
    return np.asarray(step.layers[0].dJ_dW, dtype=float).tolist()


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input, catch_exceptions=False)


def parse_text(text):
    from nnsolve.kinds.backprop.spec import parse
    return parse(doc_from_text(text, "t.yaml"))


def solve_json(text, **opts):
    return json.loads(render(solve(parse_text(text), SolveOptions(**opts)), "json"))


def test_every_module_of_the_package_is_a_layer_type():
    """A module dropped in layers/ is read: each one (but the shared base and names) registers
    exactly the type its file is named after."""
    folder = os.path.dirname(layer_types.__file__)
    modules = sorted(f[:-3] for f in os.listdir(folder)
                     if f.endswith(".py") and f not in ("__init__.py", "base.py", "names.py"))
    assert sorted(layer_types.types()) == modules
    assert {"dense", "conv", "pool", "flatten", "batchnorm", "activation",
            "global_avg_pool"} <= set(modules)


# --- 1. a layer type defined in the test --------------------------------------------------------

class Scale(Op):
    """y = c·x, ∂J/∂x = c·∂J/∂y."""

    kind = "scale"

    def __init__(self, c, mistake=None):
        self.c, self.mistake = c, mistake

    def forward(self, x, p):
        return x * self.c, None

    def backward(self, g, x, y, cache, p):
        return (g if self.mistake else g * self.c), {}

    mistakes = {"scale_forgotten_backward": lambda op: Scale(op.c, "forgotten")}


@dataclass
class ScaleLayer:
    c: object
    W: object = None
    b: object = None
    type: str = "scale"


@pytest.fixture
def scale_type():
    from nnsolve.grading import define
    define("scale_forgotten_backward", "scale forgotten backward",
           "the factor forgotten in the backward pass")

    @layer_type
    class ScaleType(LayerType):
        key = "scale"
        hint = "`scale:`"

        def read(self, ld, at):
            ld.keys(["scale"], required=["scale"])
            return ScaleLayer(ld["scale"].number(what="a factor")), at.shape

        def nodes(self, layer, w, b, swap):
            return [Node(swap(Scale(layer.c)))]

        def words(self, layer):
            return f"every value times {layer.c}"

        def forward_one(self, ex, sec, l, s):
            names = ex.maps
            sec.add(Equation([names.whole("h", l, s=s),
                              Mul((Num(ex.layer(l).c), names.whole("h", l - 1, s=s)), "juxt"),
                              val(ex.ls(l).h[s])]))

        def forward_summary(self, ex, sec, l):
            for s in range(ex.N):
                self.forward_one(ex, sec, l, s)

        def backward_layer(self, ex, sec, l):
            sec.add(Paragraph("The factor scales the gradient too:"))
            self.backward_summary(ex, sec, l)

        def backward_summary(self, ex, sec, l):
            for s in range(ex.N):
                sec.add(Equation([d(layer_types.base.J, ex.maps.whole("h", l - 1, s=s)),
                                  val(ex.ls(l).dJ_dx[s])]))
    yield ScaleType
    registered().pop("scale")


def _net(scale, W1, b1):
    items = [{"weights": W1, "bias": b1}]
    if scale is not None:
        items.append({"scale": scale})
    items.append({"weights": [[1, -2]], "activation": "linear"})
    return items


def _yaml(items, steps=2, x=(1, 2), y=(3,)):
    return yaml.safe_dump({"kind": "backprop", "input": list(x), "target": list(y),
                           "layers": items, "loss": "squared_error", "learning_rate": 0.05,
                           "steps": steps}, sort_keys=False)


def test_a_layer_type_defined_in_one_place_is_read_solved_rendered_checked(scale_type, tmp_path):
    W1, b1, c = [[1, 0], [2, -1]], [1, 0], 3
    scaled = solve_json(_yaml(_net(c, W1, b1)))
    folded = solve_json(_yaml(_net(None, (np.array(W1) * c).tolist(), (np.array(b1) * c)
                                   .tolist())))
    s, f = scaled["steps"][0], folded["steps"][0]
    assert s["loss"] == f["loss"] and s["output"] == f["output"] and s["dJ_dx"] == f["dJ_dx"]
    assert s["layers"][1] == {"type": "scale", "h": f["layers"][0]["h"],
                              "dJ_dh": f["layers"][0]["dJ_dh"]}
    assert s["layers"][2]["dJ_dW"] == f["layers"][1]["dJ_dW"]
    # J(W₁) = J′(c·W₁): the gradient of W₁ is c times that of the folded weights
    assert np.allclose(np.array(s["layers"][0]["dJ_dW"], dtype=float),
                       c * np.array(f["layers"][0]["dJ_dW"], dtype=float))
    # every format, every detail; --verify by central differences
    p = tmp_path / "scale.yaml"
    p.write_text(_yaml(_net(c, W1, b1), steps=1))
    for fmt in ("text", "markdown", "latex", "json"):
        for detail in ("full", "summary"):
            r = run("backprop", p, "--format", fmt, "--detail", detail)
            assert r.exit_code == 0, r.output
    r = run("backprop", p, "--verify")
    assert r.exit_code == 0 and "All 8 checked gradients agree" in r.stdout, r.stdout
    assert "every value times 3" in r.stdout
    # check grades its values and knows its mistake (the factor forgotten backward)
    right = solve_json(_yaml(_net(c, W1, b1), steps=1))["steps"][0]
    a = tmp_path / "answers.yaml"
    r = run("check", answers(a, p, {"layers": {1: {"dJ_dW": right["layers"][0]["dJ_dW"]}}}))
    assert r.exit_code == 0, r.output
    wrong_dW = mistaken_gradient(p, "scale_forgotten_backward")
    assert wrong_dW != right["layers"][0]["dJ_dW"]
    r = run("check", answers(a, p, {"layers": {1: {"dJ_dW": wrong_dW}}}))
    assert r.exit_code == 1 and "factor forgotten in the backward pass" in r.stdout, r.stdout


def test_a_misspelled_layer_names_every_type_including_a_new_one(scale_type, tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text(_yaml([{"weights": [[1, 2]]}, {"scal": 2}, {"weights": [[1]]}]))
    r = run("backprop", p)
    assert r.exit_code == 1
    assert r.stderr == f"Error: {p}:11:3: layers[1].scal: unknown field; did you mean `scale`?\n"
    p.write_text(_yaml([{"weights": [[1, 2]]}, {"bias": [1]}, {"weights": [[1]]}]))
    r = run("backprop", p)
    assert r.stderr == f"Error: {p}:11:3: layers[1]: missing field `weights`\n", r.stderr
    p.write_text(_yaml([{"weights": [[1, 2]]}, "scale", {"weights": [[1]]}]))
    r = run("backprop", p)
    assert r.exit_code == 1 and "`scale:`" in r.stderr and r.stderr.count("\n") == 1, r.stderr
    p.write_text(_yaml([{"conv": {"kernel": [[1]]}}, "flaten", {"weights": [[1]]}]))
    r = run("backprop", p)
    assert r.stderr.endswith('got the text "flaten" (did you mean `flatten`?)\n'), r.stderr


# --- 2. global average pooling ----------------------------------------------------------------

_q = st.integers(-8, 8).map(lambda k: k / 4)


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=st.data())
def test_global_average_pooling_against_the_loops_and_finite_differences(data):
    draw = data.draw
    C, H, W = draw(st.integers(1, 2)), draw(st.integers(2, 4)), draw(st.integers(2, 4))
    F, N = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    act = draw(st.sampled_from(["tanh", "sigmoid", "linear"]))      # smooth: no kink within ε
    K = [[[[draw(_q) for _ in range(2)] for _ in range(2)] for _ in range(C)] for _ in range(F)]
    bias = [draw(_q) for _ in range(F)]
    Wd = [[draw(_q) for _ in range(F)] for _ in range(2)]
    loss = draw(st.sampled_from(["mse", "cross_entropy"]))
    X = [[[[draw(_q) for _ in range(W)] for _ in range(H)] for _ in range(C)] for _ in range(N)]
    Y = [[1.0, 0.0] if loss == "cross_entropy" else [draw(_q), draw(_q)] for _ in range(N)]
    items = [{"conv": {"kernels": K, "bias": bias}, "activation": act}, "global_avg_pool",
             "flatten", {"weights": Wd, "activation": "softmax" if loss == "cross_entropy"
                         else "linear"}]
    text = yaml.safe_dump({"kind": "backprop", "samples": [{"input": x, "target": y}
                                                           for x, y in zip(X, Y)],
                           "layers": items, "loss": loss, "learning_rate": 0.1})
    got = solve_json(text)["steps"][0]
    Ho, Wo = H - 1, W - 1
    net = [{"type": "conv", "K": K, "b": bias, "stride": (1, 1), "pads": ((0, 0), (0, 0)),
            "dil": (1, 1), "mode": "cross_correlation", "act": act},
           # a map's mean: the average over one window, the whole map
           {"type": "pool", "ptype": "avg", "size": (Ho, Wo), "stride": (Ho, Wo),
            "pads": ((0, 0), (0, 0)), "ceil": False},
           {"type": "flatten"},
           {"type": "dense", "W": Wd, "b": None,
            "act": "softmax" if loss == "cross_entropy" else "linear"}]
    Jr, grads, dx = ref.network_gradients(net, X, Y, loss)
    assert abs(got["loss"] - Jr) < 1e-9
    assert np.allclose(got["layers"][0]["dJ_dK"], grads[0]["K"], atol=1e-9)
    assert np.allclose(got["layers"][0]["dJ_db"], grads[0]["b"], atol=1e-9)
    assert np.allclose(got["layers"][3]["dJ_dW"], grads[3]["W"], atol=1e-9)
    assert np.allclose(got["dJ_dx"], dx, atol=1e-9)
    # the pooled values: each map's mean, computed here by its own loop
    for s in range(N):
        for f in range(F):
            a = got["layers"][0]["h"][s][f]
            mean = sum(v for row in a for v in row) / (Ho * Wo)
            assert abs(got["layers"][1]["h"][s][f][0][0] - mean) < 1e-12
    fd = ref.central_differences(net, X, Y, loss)
    assert np.allclose(got["layers"][0]["dJ_dK"], fd[0]["K"], atol=1e-6)
    assert np.allclose(got["layers"][3]["dJ_dW"], fd[3]["W"], atol=1e-6)


def test_the_global_average_pooling_example_by_hand():
    """problems/cnn-global-avg-pool.yaml: a⁽¹⁾₁ = [[2, 1], [1, 1]] (all positive), a⁽¹⁾₂ =
    [[0.5, 1.5], [−0.5, 0.5]] (ReLU closes one cell); the means are 5/4 and 2.5/4 = 5/8; each
    cell of a map gets a quarter of its mean's gradient, and the closed cell's a 0."""
    with open(os.path.join(PROBLEMS, "cnn-global-avg-pool.yaml")) as fh:
        text = fh.read()
    step = solve_json(text)["steps"][0]
    gap = step["layers"][1]
    assert gap["h"] == [[[1.25]], [[0.625]]]
    a4 = np.array([1.25 - 0.625, 0.5 * 1.25 + 0.625])         # W⁽⁴⁾ h, no bias
    p = np.exp(a4) / np.exp(a4).sum()
    g4 = p - np.array([0, 1])                                  # softmax + cross-entropy
    g3 = np.array([[1, -1], [0.5, 1]]).T @ g4
    assert np.allclose(np.array(gap["dJ_dh"]).ravel(), g3)
    conv = step["layers"][0]
    assert np.allclose(conv["dJ_dh"], [[[g3[0] / 4] * 2] * 2, [[g3[1] / 4] * 2] * 2])
    assert np.allclose(conv["dJ_da"][1], [[g3[1] / 4, g3[1] / 4], [0, g3[1] / 4]])


def test_global_average_pooling_in_every_format_and_its_mistake(tmp_path):
    src = os.path.join(PROBLEMS, "cnn-global-avg-pool.yaml")
    for fmt in ("text", "markdown", "latex", "json"):
        for detail in ("full", "summary"):
            r = run("backprop", src, "--format", fmt, "--detail", detail)
            assert r.exit_code == 0, r.output
    r = run("backprop", src, "--verify")
    assert "All 16 checked gradients agree" in r.stdout
    from nnsolve.kinds.backprop.solve import known_mistakes
    with open(src) as fh:
        problem = parse_text(fh.read())
    assert "avg_pool_not_divided" in known_mistakes(problem)[0]
    # a student who gives each cell the whole gradient (not a quarter) is told so
    wrong = mistaken_gradient(src, "avg_pool_not_divided")
    r = run("check", answers(tmp_path / "a.yaml", src, {"layers": {1: {"dJ_dK": wrong}}}))
    assert r.exit_code == 1 and "avg pool not divided" in r.stdout, r.stdout


def test_global_average_pooling_on_a_vector_is_refused(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("kind: backprop\ninput: [1, 2]\ntarget: [1]\nlayers:\n"
                 "  - weights: [[1, 2]]\n  - global_avg_pool\nloss: mse\nlearning_rate: 0.1\n")
    r = run("backprop", p)
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.strip() == (f"Error: {p}:6:5: layers[1]: a global_avg_pool layer needs "
                                "C×H×W maps, but the input of layer 2 is a vector of 1; conv "
                                "and pool layers come before flatten")


# --- 3. an activation layer in a network of dense layers ----------------------------------------

@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck),
          phases=[Phase.explicit, Phase.reuse, Phase.generate])
@given(data=st.data())
def test_an_activation_layer_between_dense_layers_is_that_layers_activation(data):
    draw = data.draw
    act = draw(st.sampled_from(["relu", "leaky_relu", "relu6", "tanh", "sigmoid", "linear"]))
    n_in, hidden, n_out = draw(st.integers(1, 3)), draw(st.integers(1, 3)), draw(st.integers(1, 3))
    N, steps = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    loss = draw(st.sampled_from(["mse", "squared_error", "cross_entropy"] if n_out > 1 else
                                ["mse", "squared_error"]))
    W1 = [[draw(_q) for _ in range(n_in)] for _ in range(hidden)]
    b1 = [draw(_q) for _ in range(hidden)]
    W2 = [[draw(_q) for _ in range(hidden)] for _ in range(n_out)]
    out = "softmax" if loss == "cross_entropy" else "linear"
    X = [[draw(_q) for _ in range(n_in)] for _ in range(N)]
    Y = [([1.0] + [0.0] * (n_out - 1)) if loss == "cross_entropy" else
         [draw(_q) for _ in range(n_out)] for _ in range(N)]
    opt = draw(st.sampled_from([None, {"name": "adam"}, {"name": "sgd", "momentum": 0.5}]))

    def text(split):
        items = [{"weights": W1, "bias": b1, "activation": "linear" if split else act}]
        items += [{"activation": act}] if split else []
        items += [{"weights": W2, "activation": out}]
        doc = {"kind": "backprop", "samples": [{"input": x, "target": y} for x, y in zip(X, Y)],
               "layers": items, "loss": loss, "learning_rate": 0.1, "steps": steps}
        if opt:
            doc["optimizer"] = opt
        return yaml.safe_dump(doc)
    joined, split = solve_json(text(False)), solve_json(text(True))
    for sj, ss in zip(joined["steps"], split["steps"]):
        assert (sj["loss"], sj["output"], sj["dJ_dx"]) == (ss["loss"], ss["output"], ss["dJ_dx"])
        both, lin, alone = sj["layers"][0], ss["layers"][0], ss["layers"][1]
        assert alone["type"] == "activation" and alone["h"] == both["h"]
        assert alone["dJ_da"] == both["dJ_da"] == lin["dJ_da"] and lin["h"] == both["a"]
        for key in ("W", "b", "dJ_dW", "dJ_db", "W_new", "b_new", "state"):
            assert lin.get(key) == both.get(key), key
        assert sj["layers"][1] == ss["layers"][2]


def test_an_activation_layer_in_a_dense_network_renders_and_is_checked(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("kind: backprop\ninput: [2, -1]\ntarget: [3]\nlayers:\n"
                 "  - weights: [[1, 1], [-2, 1]]\n  - activation: relu\n"
                 "  - weights: [[1, -1]]\nloss: squared_error\nlearning_rate: 0.1\n")
    for fmt in ("text", "markdown", "latex", "json"):
        r = run("backprop", p, "--format", fmt)
        assert r.exit_code == 0, r.output
    r = run("backprop", p, "--verify")
    assert "All 6 checked gradients agree" in r.stdout, r.stdout
    # a⁽¹⁾ = (1, −5): the second unit is closed, so row 2 of ∂J/∂W⁽¹⁾ is 0; without the gate
    # it is not
    wrong = mistaken_gradient(p, "relu_gate_ignored")
    r = run("check", answers(tmp_path / "a.yaml", p, {"layers": {1: {"dJ_dW": wrong}}}))
    assert r.exit_code == 1 and "ReLU gate ignored" in r.stdout, r.stdout


# --- 4. flatten last; --cost on a network that is not dense -----------------------------------

def test_flatten_may_be_the_last_layer(tmp_path):
    p = tmp_path / "p.yaml"
    p.write_text("kind: backprop\ninput: [[1, 2], [3, 4]]\ntarget: [1, 0, 0, 1]\nlayers:\n"
                 "  - conv: {kernel: [[2]]}\n  - flatten\nloss: squared_error\n"
                 "learning_rate: 0.1\n")
    step = solve_json(p.read_text())["steps"][0]
    # ŷ = 2x; ∂J/∂ŷ = −2(y − ŷ) = (2, 8, 12, 14); ∂J/∂K = Σ ∂J/∂ŷ·x = 2 + 16 + 36 + 56
    assert step["output"] == [2, 4, 6, 8]
    assert step["layers"][0]["dJ_dK"] == [[[[110]]]]
    assert step["dJ_dx"] == [[4, 16], [24, 28]]
    assert run("backprop", p).exit_code == 0


def test_cost_is_for_networks_of_dense_layers():
    r = run("backprop", os.path.join(PROBLEMS, "cnn-cs231n.yaml"), "--cost")
    assert r.exit_code == 1 and r.stdout == ""
    assert r.stderr.strip().endswith("--cost counts the multiplications of a network of dense "
                                     "layers; layer 1 is a conv layer")


def test_verify_with_a_batch_norm_and_regularization(tmp_path):
    """`regularization` covers weights and kernels, not γ: the finite differences' J left γ's
    penalty in (the types' one `penalized` flag now serves both), and --verify disagreed by
    2αγ (0.07 here)."""
    p = tmp_path / "p.yaml"
    p.write_text("kind: backprop\nsamples:\n  - {input: [1, 2], target: [1]}\n"
                 "  - {input: [2, 0], target: [0]}\n  - {input: [0, 1], target: [1]}\n"
                 "layers:\n  - weights: [[1, -1], [0.5, 1]]\n    activation: tanh\n"
                 "  - batchnorm: {gamma: [2, 3], beta: [0, 0]}\n  - weights: [[1, -1]]\n"
                 "loss: mse\nlearning_rate: 0.1\nregularization: {p: 2, alpha: 0.1}\n")
    r = run("backprop", p, "--verify")
    assert r.exit_code == 0 and "All 10 checked gradients agree" in r.stdout, r.stdout
    step = solve_json(p.read_text())["steps"][0]
    # the penalty is α(Σ W⁽¹⁾² + Σ W⁽³⁾²) = 0.1 · (1 + 1 + 0.25 + 1 + 1 + 1): no γ in it
    assert abs(step["loss"] - (solve_json(p.read_text().replace(
        "regularization: {p: 2, alpha: 0.1}\n", ""))["steps"][0]["loss"] + 0.525)) < 1e-12


def test_one_filter_of_two_channels_is_named_by_filter_and_channel(tmp_path):
    """K⁽¹⁾₁,₁ and K⁽¹⁾₁,₂ (filter 1, channels 1 and 2), not K⁽¹⁾₁ and K⁽¹⁾₂, which read as
    two filters; each window is shaded on channel 1, and the sheet says so."""
    p = tmp_path / "p.yaml"
    p.write_text("kind: backprop\ninput: [[[1, 2], [0, 1]], [[2, 0], [1, 1]]]\ntarget: [1]\n"
                 "layers:\n  - conv: {kernel: [[[1, 0], [0, 1]], [[0, 1], [1, 0]]]}\n"
                 "  - flatten\n  - weights: [[1]]\nloss: squared_error\nlearning_rate: 0.1\n")
    r = run("backprop", p, "--detail", "full")
    assert r.exit_code == 0, r.output
    assert "K⁽¹⁾₁,₁ = " in r.stdout and "K⁽¹⁾₁,₂ = " in r.stdout
    assert "K⁽¹⁾₂ = " not in r.stdout and "∂J/∂K⁽¹⁾₁,₂,₁,₁" in r.stdout
    assert "Each window is shaded on channel 1 of the input; it takes the same cells in all 2 " \
           "channels" in r.stdout
