"""Backpropagation: the seed's every number, a hand-checked sigmoid example, and random networks
against an independent plain-loop implementation and central finite differences."""

import json
import math
import os
from fractions import Fraction as F

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnsolve.cli import cli
from nnsolve.errors import ProblemError
from nnsolve.load import load_problem
from nnsolve.load.yamldoc import doc_from_text
from nnsolve.render import render
from nnsolve.solve import SolveOptions, solve
from nnsolve.kinds.backprop.spec import parse
from nnsolve.kinds.backprop.solve import compute_step

HERE = os.path.dirname(os.path.abspath(__file__))
PROBLEMS = os.path.join(os.path.dirname(HERE), "problems")


def seed():
    return load_problem(os.path.join(PROBLEMS, "seed-backprop.yaml"))


def first_step(problem):
    return compute_step(problem, [(l.W, l.b) for l in problem.layers])


def as_list(a):
    return np.asarray(a).tolist()


# --- the seed, eq. 5-49 -------------------------------------------------------------------------
def test_seed_forward_pass_eq_5_to_9():
    st_ = first_step(seed())
    assert as_list(st_.layers[0].a[0]) == [3, -3]       # eq. 5
    assert as_list(st_.layers[0].h[0]) == [3, 0]        # eq. 6
    assert as_list(st_.layers[1].a[0]) == [-3, 3]       # eq. 7
    assert as_list(st_.layers[1].h[0]) == [0, 3]        # eq. 8
    assert as_list(st_.layers[2].h[0]) == [3]           # eq. 9


def test_seed_loss_and_backward_eq_10_to_45():
    st_ = first_step(seed())
    assert st_.loss == 9                                  # eq. 11
    assert as_list(st_.dJ_dyhat[0]) == [-6]              # eq. 14
    l1, l2, l3 = st_.layers
    assert as_list(l3.dJ_dW) == [[0, -18]]               # eq. 20, 21
    assert as_list(l2.dJ_dh[0]) == [6, -6]               # -6 · w(3): eq. 24, 25 times eq. 14
    assert as_list(l2.dJ_da[0]) == [0, -6]               # eq. 28, 29
    assert as_list(l2.dJ_dW) == [[0, 0], [-18, 0]]       # eq. 30-33
    assert as_list(l1.dJ_da[0]) == [-6, 0]               # eq. 38, 43
    assert as_list(l1.dJ_dW) == [[-18], [0]]             # eq. 44 (with a1, not a2), 45


def test_seed_update_uses_eta_001_not_01():
    st_ = first_step(seed())
    l1, l2, l3 = st_.layers
    assert as_list(l3.W_new) == [[-1, F(118, 100)]]      # eq. 47 corrected: 1 - 0.01·(-18)
    assert as_list(l2.W_new) == [[-1, 1], [F(118, 100), -1]]   # eq. 48
    assert as_list(l1.W_new) == [[F(118, 100)], [-1]]    # eq. 49
    # exact arithmetic: Fractions, not floats
    assert isinstance(l3.W_new[0][1], F)


def test_seed_text_has_the_chain_rule_lines():
    text = render(solve(seed()), "text")
    for line in ["a⁽¹⁾ = W⁽¹⁾ · x", "J = (y − ŷ)² = (6 − 3)² = 9",
                 "∂J/∂h⁽³⁾ = ∂J/∂ŷ = -2(y − ŷ) = -2(6 − 3) = -6",
                 "∂J/∂w⁽³⁾₁,₂ = ∂J/∂a⁽³⁾ · h⁽²⁾₂ = -6 · 3 = -18",
                 "∂J/∂h⁽¹⁾₁ = ∂J/∂a⁽²⁾₁ · w⁽²⁾₁,₁ + ∂J/∂a⁽²⁾₂ · w⁽²⁾₂,₁ = 0 · (-1) + (-6) · 1 = -6",
                 "∂J/∂a⁽²⁾₁ = ∂J/∂h⁽²⁾₁ · ReLU′(a⁽²⁾₁) = 6 · ReLU′(-3) = 6 · 0 = 0",
                 "∂J/∂w⁽¹⁾₁,₁ = ∂J/∂a⁽¹⁾₁ · x = -6 · 3 = -18",
                 "w⁽³⁾₁,₂ ← 1 − 0.01 · (-18) = 1.18"]:
        assert line in text, line
    assert "3.0" not in text and "1.1800000000000002" not in text and "np." not in text


def test_seed_json_contract():
    data = json.loads(render(solve(seed()), "json"))
    assert set(data) == {"kind", "format_version", "steps"}
    assert data["kind"] == "backprop" and data["format_version"] == 1
    step = data["steps"][0]
    assert set(step) == {"loss", "output", "layers", "dJ_dx"}      # dJ_dx: new in 0.2
    assert step["loss"] == 9 and step["output"] == [3]
    # ∂J/∂x = W⁽¹⁾ᵀ ∂J/∂a⁽¹⁾ = [1, −1] · [−6, 0]
    assert step["dJ_dx"] == [-6]
    keys = {"W", "b", "a", "h", "dJ_dh", "dJ_da", "dJ_dW", "dJ_db", "W_new", "b_new", "type"}
    assert all(set(l) == keys for l in step["layers"])
    l1, l2, l3 = step["layers"]
    assert l1 == {"W": [[1], [-1]], "b": None, "a": [3, -3], "h": [3, 0], "dJ_dh": [-6, 6],
                  "dJ_da": [-6, 0], "dJ_dW": [[-18], [0]], "dJ_db": None,
                  "W_new": [[1.18], [-1]], "b_new": None, "type": "dense"}
    assert l3["dJ_dW"] == [[0, -18]] and l3["W_new"] == [[-1, 1.18]]


# --- a sigmoid network worked by hand elsewhere (inputs .05/.10, targets .01/.99) ----------------
def test_sigmoid_biases_matches_the_hand_computation():
    p = load_problem(os.path.join(PROBLEMS, "sigmoid-biases.yaml"))
    s = first_step(p)
    assert float(s.loss) == pytest.approx(0.298371109, abs=1e-9)
    assert float(s.layers[0].h[0][0]) == pytest.approx(0.593269992, abs=1e-9)
    assert float(s.layers[1].h[0][0]) == pytest.approx(0.75136507, abs=1e-8)
    assert float(s.layers[1].W_new[0][0]) == pytest.approx(0.35891648, abs=1e-8)   # w5
    assert float(s.layers[1].W_new[1][1]) == pytest.approx(0.561370121, abs=1e-9)  # w8
    assert float(s.layers[0].W_new[0][0]) == pytest.approx(0.149780716, abs=1e-9)  # w1
    assert float(s.layers[0].W_new[1][1]) == pytest.approx(0.29950229, abs=1e-8)   # w4
    text = render(solve(p), "text")
    assert "≈ 0.298371" in text


def test_xor_batch_by_hand():
    p = load_problem(os.path.join(PROBLEMS, "xor-batch.yaml"))
    s = first_step(p)
    # predictions 0, .5, .5, .5 against 0, 1, 1, 0: mean of squared errors (0+.25+.25+.25)/4
    assert as_list(s.layers[-1].h) == [[0], [F(1, 2)], [F(1, 2)], [F(1, 2)]]
    assert s.loss == F(3, 16)
    # dJ/dŷ = (1/4)·(-2)(y - ŷ)
    assert as_list(s.dJ_dyhat) == [[0], [F(-1, 4)], [F(-1, 4)], [F(1, 4)]]
    data = json.loads(render(solve(p), "json"))
    assert len(data["steps"]) == 2
    assert np.shape(data["steps"][0]["layers"][0]["a"]) == (4, 2)   # leading sample axis
    assert np.shape(data["steps"][0]["layers"][0]["dJ_dW"]) == (2, 2)
    # step 2 starts from step 1's updated parameters
    assert data["steps"][1]["layers"][1]["W"] == data["steps"][0]["layers"][1]["W_new"]


def test_softmax_cross_entropy_gradient_is_yhat_minus_y():
    p = load_problem(os.path.join(PROBLEMS, "softmax-classifier.yaml"))
    s = first_step(p)
    a = np.array([-0.5, 1.5, 1.5])
    yhat = np.exp(a) / np.exp(a).sum()
    assert np.allclose(np.asarray(s.layers[0].h[0], float), yhat, atol=1e-12)
    assert float(s.loss) == pytest.approx(-math.log(yhat[2]), abs=1e-12)
    assert np.allclose(np.asarray(s.layers[0].dJ_da[0], float), yhat - [0, 0, 1], atol=1e-12)


def test_leaky_relu_and_regularization_by_hand():
    p = load_problem(os.path.join(PROBLEMS, "leaky-regularized.yaml"))
    s = first_step(p)
    # a1 = [0.5·2 + 1·(-1) + 0.1, -1·2 + 0.5·(-1) + 0] = [0.1, -2.5]; h1 = [0.1, -0.25]
    assert as_list(s.layers[0].a[0]) == [F(1, 10), F(-5, 2)]
    assert as_list(s.layers[0].h[0]) == [F(1, 10), F(-1, 4)]
    # ŷ = 0.1 + 0.25 = 0.35; L = 0.65² = 0.4225; R = 0.01·(0.25+1+1+0.25+1+1) = 0.045
    assert s.loss == F(4225, 10000) + F(45, 1000)
    # dJ/dw(2) = -2(1 - .35)·h1 + 0.02·w = -1.3·[0.1, -0.25] + [0.02, -0.02]
    assert as_list(s.layers[1].dJ_dW) == [[F(-13, 100) + F(2, 100), F(325, 1000) - F(2, 100)]]
    # dJ/da1 = -1.3·w2 ⊙ f'(a1) = [-1.3·1·1, -1.3·(-1)·0.1]
    assert as_list(s.layers[0].dJ_da[0]) == [F(-13, 10), F(13, 100)]


# --- random networks against a plain loop and finite differences ---------------------------------
ACTS = ["linear", "relu", "leaky_relu", "sigmoid", "tanh"]


def f_act(name, a):
    if name == "linear":
        return a
    if name == "relu":
        return a if a > 0 else 0.0
    if name == "leaky_relu":
        return a if a > 0 else 0.01 * a
    if name == "sigmoid":
        return 1 / (1 + math.exp(-a)) if a >= 0 else math.exp(a) / (1 + math.exp(a))
    return math.tanh(a)


def df_act(name, a):
    if name == "linear":
        return 1.0
    if name == "relu":
        return 1.0 if a > 0 else 0.0
    if name == "leaky_relu":
        return 1.0 if a > 0 else 0.01
    # σ′ and tanh′ from the definitions e^−a/(1 + e^−a)² and (2/(eᵃ + e⁻ᵃ))², not from h:
    # 1 − h loses the digits of a saturated unit, which a diverging run reaches
    if name == "sigmoid":
        e = math.exp(-abs(a))
        return e / (1 + e) ** 2
    if abs(a) > 700:
        return 4 * math.exp(-2 * abs(a))
    return (2 / (math.exp(a) + math.exp(-a))) ** 2


def plain_loop(Ws, bs, acts, X, Y, loss, reduction, reg):
    """An independent backprop: scalar loops over samples, units and weights."""
    N = len(X)
    c = 1 / N if reduction == "mean" else 1.0
    gW = [[[0.0] * len(W[0]) for _ in W] for W in Ws]
    gb = [[0.0] * len(W) for W in Ws]
    J = 0.0
    for x, y in zip(X, Y):
        hs, as_ = [list(x)], []
        for W, b, act in zip(Ws, bs, acts):
            a = [sum(W[j][k] * hs[-1][k] for k in range(len(W[0]))) + (b[j] if b else 0.0)
                 for j in range(len(W))]
            as_.append(a)
            if act == "softmax":
                m = max(a)
                e = [math.exp(v - m) for v in a]
                hs.append([v / sum(e) for v in e])
                # log p from the logits: a p of e^−739 is subnormal (few digits) or 0
                logp = [v - m - math.log(sum(e)) for v in a]
            else:
                hs.append([f_act(act, v) for v in a])
        p = hs[-1]
        K = len(p)
        if loss == "squared_error":
            J += c * sum((y[k] - p[k]) ** 2 for k in range(K))
            g = [c * -2 * (y[k] - p[k]) for k in range(K)]
        elif loss == "half_squared_error":
            J += c * 0.5 * sum((y[k] - p[k]) ** 2 for k in range(K))
            g = [c * -(y[k] - p[k]) for k in range(K)]
        elif loss == "mse":
            J += c * sum((y[k] - p[k]) ** 2 for k in range(K)) / K
            g = [c * -2 * (y[k] - p[k]) / K for k in range(K)]
        else:  # cross_entropy with softmax
            J += c * -sum(y[k] * logp[k] for k in range(K) if y[k])
            g = None
        for li in range(len(Ws) - 1, -1, -1):
            act, a, W = acts[li], as_[li], Ws[li]
            if g is None:
                delta = [c * (p[k] - y[k]) for k in range(K)]
            else:
                delta = [g[j] * df_act(act, a[j]) for j in range(len(a))]
            for j in range(len(W)):
                gb[li][j] += delta[j]
                for k in range(len(W[0])):
                    gW[li][j][k] += delta[j] * hs[li][k]
            g = [sum(delta[j] * W[j][k] for j in range(len(W))) for k in range(len(W[0]))]
    if reg:
        p_, alpha = reg
        for li, W in enumerate(Ws):
            for j in range(len(W)):
                for k in range(len(W[0])):
                    w = W[j][k]
                    J += alpha * abs(w) ** p_
                    if w != 0:
                        gW[li][j][k] += alpha * p_ * abs(w) ** (p_ - 1) * math.copysign(1, w)
    return J, gW, gb


def yaml_of(Ws, bs, acts, X, Y, loss, reduction, reg, lr=0.1):
    layers = []
    for W, b, act in zip(Ws, bs, acts):
        item = {"weights": W, "activation": act}
        if b is not None:
            item["bias"] = b
        layers.append(item)
    doc = {"kind": "backprop", "layers": layers, "loss": loss, "learning_rate": lr,
           "reduction": reduction,
           "samples": [{"input": x, "target": y} for x, y in zip(X, Y)]}
    if reg:
        doc["regularization"] = {"p": reg[0], "alpha": reg[1]}
    return json.dumps(doc)   # JSON is YAML


small = st.integers(-20, 20).map(lambda n: n / 4)


@st.composite
def networks(draw):
    sizes = draw(st.lists(st.integers(1, 3), min_size=2, max_size=4))
    loss = draw(st.sampled_from(["squared_error", "half_squared_error", "mse", "cross_entropy"]))
    if loss == "cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    L = len(sizes) - 1
    acts = [draw(st.sampled_from(ACTS)) for _ in range(L)]
    if loss == "cross_entropy":
        acts[-1] = "softmax"
    Ws, bs = [], []
    for l in range(L):
        Ws.append([[draw(small) for _ in range(sizes[l])] for _ in range(sizes[l + 1])])
        bs.append([draw(small) for _ in range(sizes[l + 1])] if draw(st.booleans()) else None)
    N = draw(st.integers(1, 3))
    X = [[draw(small) for _ in range(sizes[0])] for _ in range(N)]
    if loss == "cross_entropy":
        Y = []
        for _ in range(N):
            k = draw(st.integers(0, sizes[-1] - 1))
            Y.append([1 if i == k else 0 for i in range(sizes[-1])])
    else:
        Y = [[draw(small) for _ in range(sizes[-1])] for _ in range(N)]
    reduction = draw(st.sampled_from(["mean", "sum"]))
    reg = draw(st.sampled_from([None, (2, 0.01), (1, 0.1), (3, 0.05)]))
    return Ws, bs, acts, X, Y, loss, reduction, reg


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_random_networks_agree_with_a_plain_loop(net):
    Ws, bs, acts, X, Y, loss, reduction, reg = net
    problem = parse(doc_from_text(yaml_of(*net), "<test>"))
    if beyond_floats(net, problem):
        return
    s = compute_step(problem, [(l.W, l.b) for l in problem.layers])
    J, gW, gb = plain_loop(*net)
    assert float(s.loss) == pytest.approx(J, rel=1e-9, abs=1e-9)
    for li, ls in enumerate(s.layers):
        assert np.allclose(np.asarray(ls.dJ_dW, float), gW[li], rtol=1e-9, atol=1e-9)
        if bs[li] is not None:
            assert np.allclose(np.asarray(ls.dJ_db, float), gb[li], rtol=1e-9, atol=1e-9)
        else:
            assert ls.dJ_db is None
    # every renderer renders it
    sol = solve(problem)
    for fmt in ("text", "json"):
        assert render(sol, fmt)


def beyond_floats(net, problem) -> bool:
    """ŷ underflows to 0 where y = 1 (logits ~745 apart): the plain loop's log 0 fails, and
    nnsolve refuses the problem with a loss error (checked here)."""
    try:
        plain_loop(*net)
    except ValueError:      # math.log(0)
        with pytest.raises(ProblemError, match="the loss is infinite"):
            compute_step(problem, [(l.W, l.b) for l in problem.layers])
        return True
    return False


def central_differences(net, eps=1e-6):
    """(J(θ+ε) − J(θ−ε)) / 2ε of every weight and bias, J from the test's own plain_loop."""
    Ws, bs, acts, X, Y, loss, reduction, reg = net

    def J(Ws_, bs_):
        return plain_loop(Ws_, bs_, acts, X, Y, loss, reduction, reg)[0]
    out = []
    for li in range(len(Ws)):
        slots = [("W", (j, k)) for j in range(len(Ws[li])) for k in range(len(Ws[li][0]))]
        slots += [("b", (j,)) for j in range(len(bs[li]))] if bs[li] is not None else []
        for which, idx in slots:
            values = []
            for sign in (1, -1):
                Ws_ = [[list(row) for row in W] for W in Ws]
                bs_ = [None if b is None else list(b) for b in bs]
                if which == "W":
                    Ws_[li][idx[0]][idx[1]] += sign * eps
                else:
                    bs_[li][idx[0]] += sign * eps
                values.append(J(Ws_, bs_))
            out.append((li, which, idx, (values[0] - values[1]) / (2 * eps)))
    return out


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks())
def test_random_smooth_networks_agree_with_finite_differences(net):
    Ws, bs, acts, X, Y, loss, reduction, reg = net
    acts = [a if a in ("linear", "sigmoid", "tanh", "softmax") else "tanh" for a in acts]
    if reg and reg[0] == 1:
        reg = (2, 0.01)     # |w| has a kink at 0
    net = (Ws, bs, acts, X, Y, loss, reduction, reg)
    problem = parse(doc_from_text(yaml_of(*net), "<test>"))
    if beyond_floats(net, problem):
        return
    s = compute_step(problem, [(l.W, l.b) for l in problem.layers])
    # a central difference's rounding error is about |J|·2⁻⁵³/ε: it grows with the loss
    abs_tol = 1e-6 * max(1.0, abs(float(s.loss)))
    for li, which, idx, numeric in central_differences(net):
        g = s.layers[li].dJ_dW[idx] if which == "W" else s.layers[li].dJ_db[idx]
        assert float(g) == pytest.approx(numeric, rel=1e-5, abs=abs_tol)


def test_verify_flag_prints_the_check():
    r = CliRunner().invoke(cli, ["backprop", os.path.join(PROBLEMS, "sigmoid-biases.yaml"),
                                 "--verify"])
    assert r.exit_code == 0, r.output
    assert "Check by finite differences" in r.stdout
    assert "All 12 checked gradients agree: the largest |difference|/max(1, |backprop|) over " \
        "the parameters is" in " ".join(r.stdout.split())


# --- numbers from files, batches from .npy ------------------------------------------------------
def test_npy_batch_is_float_and_agrees_with_inline(tmp_path):
    X = np.array([[1.0, 2.0], [0.5, -1.0]])
    Y = np.array([[1.0], [0.0]])
    np.save(tmp_path / "X.npy", X)
    np.save(tmp_path / "Y.npy", Y)
    (tmp_path / "W1.txt").write_text("# two units\n1 -1\n0.5, 2\n")
    common = ("layers:\n  - weights: W1.txt\n    activation: relu\n"
              "  - weights: [[1, -1]]\nloss: squared_error\nlearning_rate: 0.1\n")
    (tmp_path / "npy.yaml").write_text("samples: {inputs: X.npy, targets: Y.npy}\n" + common)
    (tmp_path / "inline.yaml").write_text(
        "samples:\n  - {input: [1, 2], target: 1}\n  - {input: [0.5, -1], target: 0}\n" + common)
    a = load_problem(str(tmp_path / "npy.yaml"), "backprop")
    b = load_problem(str(tmp_path / "inline.yaml"), "backprop")
    assert not a.exact and b.exact
    ja = json.loads(render(solve(a), "json"))
    jb = json.loads(render(solve(b), "json"))
    assert ja["steps"][0]["loss"] == pytest.approx(jb["steps"][0]["loss"], abs=1e-12)
    for la, lb in zip(ja["steps"][0]["layers"], jb["steps"][0]["layers"]):
        assert np.allclose(la["W_new"], lb["W_new"], atol=1e-12)


def test_steps_and_update_bias_false():
    text = ("input: [1]\ntarget: [4]\nlayers:\n  - weights: [[1]]\n    bias: [1]\n"
            "loss: squared_error\nlearning_rate: 0.1\nsteps: 3\nupdate_bias: false\n")
    p = parse(doc_from_text(text, "<test>"))
    data = json.loads(render(solve(p), "json"))
    steps = [s["layers"][0] for s in data["steps"]]
    # ŷ = w + 1, dJ/dw = dJ/db = -2(4 - w - 1): w 1 -> 1.4 -> 1.72 -> 1.976
    assert [s["dJ_db"] for s in steps] == [[-4], [-3.2], [-2.56]]
    assert [s["W_new"][0][0] for s in steps] == [1.4, 1.72, 1.976]
    # b keeps its value although its gradient is not 0
    assert all(s["b"] == [1] and s["b_new"] == [1] for s in steps)


def test_update_bias_false_is_said_also_with_a_penalty():
    text = ("input: [1]\ntarget: [4]\nlayers:\n  - weights: [[1]]\n    bias: [1]\n"
            "loss: squared_error\nlearning_rate: 0.1\nupdate_bias: false\n"
            "regularization: {p: 2, alpha: 0.1}\n")
    text = render(solve(parse(doc_from_text(text, "<test>"))), "text")
    assert "update_bias is false: the biases keep their values." in text


def test_detail_summary_has_matrices_only():
    p = seed()
    text = render(solve(p, SolveOptions(detail="summary")), "text")
    assert "∂J/∂w⁽³⁾₁,₂" not in text
    assert "∂J/∂W⁽³⁾" in text


# --- saturated outputs: a correct answer, not an error --------------------------------------------
def solve_text(text):
    return solve(parse(doc_from_text(text, "<test>")))


def test_saturated_sigmoid_with_binary_cross_entropy_is_solved():
    # σ(40) is 1 in floating point (σ(−800) is 0): ŷ = y, ∂J/∂a = ŷ − y = 0, and
    # ∂J/∂ŷ = −y/ŷ + (1 − y)/(1 − ŷ) = −1 (+1 for y = 0), not (ŷ − y)/(ŷ(1 − ŷ)) = 0/0; J from
    # the logit is log(1 + e⁻⁴⁰) = 4.2483542552915889e-18 (50 digits: decimal), e⁻⁸⁰⁰ underflows
    for w, y, dJ_dyhat, J in ((40, 1, -1, 4.248354255291589e-18), (-800, 0, 1, 0)):
        sol = solve_text(f"input: [1]\ntarget: [{y}]\nlayers:\n  - weights: [[{w}]]\n"
                         "    activation: sigmoid\nloss: binary_cross_entropy\n"
                         "learning_rate: 0.1\n")
        step = json.loads(render(sol, "json"))["steps"][0]
        assert step["loss"] == J and step["output"] == [y]
        layer = step["layers"][0]
        assert layer["dJ_dh"] == [dJ_dyhat] and layer["dJ_da"] == [0]
        assert layer["dJ_dW"] == [[0]] and layer["W_new"] == [[w]]


def test_saturated_softmax_with_cross_entropy_is_solved():
    sol = solve_text("input: [1]\ntarget: [1, 0]\nlayers:\n  - weights: [[800], [-800]]\n"
                     "    activation: softmax\nloss: cross_entropy\nlearning_rate: 0.1\n")
    step = json.loads(render(sol, "json"))["steps"][0]
    assert step["loss"] == 0 and step["output"] == [1, 0]
    assert step["layers"][0]["dJ_da"] == [0, 0] and step["layers"][0]["dJ_dW"] == [[0], [0]]


def test_softmax_output_near_0_at_the_target_is_solved():
    # a⁽²⁾ = (0, 710): ŷ₁ = e⁻⁷¹⁰ ≈ 4.5e-309, J = −log ŷ₁ ≈ 710 and ∂J/∂a = ŷ − y ≈ (−1, 1) are
    # floats, but ∂J/∂ŷ₁ = −1/ŷ₁ is beyond them; with the shortcut it is not needed (JSON: null)
    sol = solve_text("input: [1]\ntarget: [1, 0]\nlayers:\n  - weights: [[0], [710]]\n"
                     "    activation: softmax\nloss: cross_entropy\nlearning_rate: 0.1\n")
    step = json.loads(render(sol, "json"))["steps"][0]
    assert step["loss"] == pytest.approx(710) and step["layers"][0]["dJ_dh"] is None
    assert step["layers"][0]["dJ_da"] == [-1, 1] and step["layers"][0]["dJ_dW"] == [[-1], [1]]
    assert "∂J/∂a⁽¹⁾₁ = ŷ₁ − y₁" in render(sol, "text")


# --- errors found while solving name the file, line and field -----------------------------------
def cli_error(tmp_path, text):
    path = tmp_path / "p.yaml"
    path.write_text(text)
    r = CliRunner().invoke(cli, ["backprop", str(path)])
    assert r.exit_code == 1 and r.stdout == ""
    return r.stderr.strip(), str(path)


def test_a_saturated_output_far_from_its_target_has_a_finite_loss():
    """Computed from the logits, a loss that rounding ŷ to 0 or 1 made infinite is a number:
    softmax of (800, −800) with target (0, 1): J = LSE(a) − a₂ = 1600; σ(40) with y = 0:
    J = log(1 + e⁴⁰) = 40 (to 17 digits)."""
    sol = solve_text("input: [1]\ntarget: [0, 1]\nlayers:\n"
                     "  - weights: [[800], [-800]]\n    activation: softmax\n"
                     "learning_rate: 0.1\nloss: cross_entropy\n")
    step = json.loads(render(sol, "json"))["steps"][0]
    assert step["loss"] == 1600 and step["layers"][0]["dJ_da"] == [1, -1]
    sol = solve_text("input: [1]\ntarget: [0]\nlayers:\n  - weights: [[40]]\n"
                     "    activation: sigmoid\nloss:   binary_cross_entropy\n"
                     "learning_rate: 0.1\n")
    step = json.loads(render(sol, "json"))["steps"][0]
    assert step["loss"] == 40 and step["layers"][0]["dJ_da"] == [1]


def test_an_infinite_loss_names_the_loss_line(tmp_path):
    # 1e308 + 1e308: beyond floating point however it is computed
    err, path = cli_error(tmp_path, "input: [1]\ntarget: [0, 0, 1]\nlayers:\n"
                                    "  - weights: [[1e308], [1e308], [-1e308]]\n"
                                    "    activation: softmax\n"
                                    "learning_rate: 0.1\nloss: cross_entropy\n")
    assert err == f"Error: {path}:7:7: loss: the loss is infinite (beyond floating point)"


def test_numbers_beyond_floating_point_name_the_problem(tmp_path):
    err, path = cli_error(tmp_path, "# huge\ninput: [1e300]\ntarget: [0]\n"
                                    "layers:\n  - weights: [[1e300]]\n"
                                    "loss: squared_error\nlearning_rate: 0.1\n")
    assert err == (f"Error: {path}:2:1: the numbers outgrow floating point (beyond ±1.8e308, "
                   "or undefined) in step 1: use smaller weights, inputs or learning rate")


# --- how things are written ---------------------------------------------------------------------
def test_mse_gradient_coefficient_is_bracketed():
    sol = solve_text("input: [1]\ntarget: [1, 2]\nlayers:\n  - weights: [[1], [3]]\n"
                     "loss: mse\nlearning_rate: 0.1\n")
    text = render(sol, "text")
    # (−2/K)(y − ŷ), never −2/K(y − ŷ), which reads as −2/(K(y − ŷ))
    assert "∂J/∂h⁽¹⁾₂ = ∂J/∂ŷ₂ = (-2/2)(y₂ − ŷ₂) = (-2/2)(2 − 3) = 1" in text
    assert r"\left(\frac{-2}{2}\right)" in render(sol, "latex")


def test_leaky_relu_slope_is_a_number():
    p = load_problem(os.path.join(PROBLEMS, "leaky-regularized.yaml"))
    assert "leaky_relu (α = 0.1)" in render(solve(p), "text")
    assert "1/10" not in render(solve(p), "markdown")


ZERO_WEIGHT = ("input: [2, 1]\ntarget: [1]\nlayers:\n  - weights: [[0, 1]]\n"
               "loss: squared_error\nlearning_rate: 0.1\nregularization: {p: P, alpha: 0.1}\n")


@pytest.mark.parametrize("p", ["1", "0.5"])
@pytest.mark.parametrize("detail", ["full", "summary"])
def test_a_zero_weight_with_p_at_most_1_uses_the_subgradient_0(p, detail):
    problem = parse(doc_from_text(ZERO_WEIGHT.replace("P", p), "<test>"))
    text = " ".join(render(solve(problem, SolveOptions(detail=detail)), "text").split())
    assert "the subgradient 0 is used: sign(0) = 0." in text
    if detail == "full":
        # ŷ = 1, ∂J/∂a = -2(1 − 1) = 0: the penalty's part at w = 0 is the subgradient 0
        assert ("∂J/∂w⁽¹⁾₁,₁ = ∂J/∂a⁽¹⁾ · x₁ + α · p · |w⁽¹⁾₁,₁|ᵖ⁻¹ · sign(w⁽¹⁾₁,₁) = 0 · 2 + 0 = 0"
                in text)
    # no note where no weight is 0, or where p > 1
    for other in (ZERO_WEIGHT.replace("[[0, 1]]", "[[0.5, 1]]").replace("P", p),
                  ZERO_WEIGHT.replace("P", "2")):
        text = render(solve(parse(doc_from_text(other, "<test>")),
                            SolveOptions(detail=detail)), "text")
        assert "subgradient" not in text


def _exprs(node):
    """Every formula node of a solution (blocks, table cells, paragraphs, nested Exprs)."""
    from nnsolve.expr import Expr
    from nnsolve.solution import Block
    if isinstance(node, Expr):
        yield node
        for name in node._fields:
            yield from _exprs(getattr(node, name))
    elif isinstance(node, Block):
        for value in (getattr(node, name) for name in node.__slots__):
            yield from _exprs(value)
    elif isinstance(node, (list, tuple)):
        for item in node:
            yield from _exprs(item)


SOFTMAX_SQUARED = ("samples:\n  - {input: [1, 2], target: [0, 1]}\n"
                   "  - {input: [0, 1], target: [1, 0]}\nlayers:\n"
                   "  - weights: [[1, 0], [0.5, -1]]\n    activation: relu\n"
                   "  - weights: [[1, -1], [0, 2]]\n    activation: softmax\n"
                   "loss: squared_error\nlearning_rate: 0.1\n")


@pytest.mark.parametrize("text", [SOFTMAX_SQUARED, SOFTMAX_SQUARED.replace(
    "samples:\n  - {input: [1, 2], target: [0, 1]}\n  - {input: [0, 1], target: [1, 0]}\n",
    "input: [1, 2]\ntarget: [0, 1]\n")])
def test_formulas_are_data_not_text(text):
    from nnsolve.expr import Text
    problem = parse(doc_from_text(text, "<test>"))
    for detail in ("full", "summary"):
        sol = solve(problem, SolveOptions(detail=detail, verify=True))
        # words only (" = " between the parts of a short chain is a relation the renderers know)
        words = [e.text for e in _exprs(sol.blocks) if isinstance(e, Text) and e.text != " = "]
        assert not [w for w in words if any(c in w for c in "∂ᵀΣ=·⁰¹²³⁴⁵⁶⁷⁸⁹")], words
    summary = render(solve(problem, SolveOptions(detail="summary")), "text")
    if problem.batch:
        assert "∂J/∂h⁽²⁾ · (diag(h⁽²⁾) − h⁽²⁾ᵀh⁽²⁾)" in summary
        assert "∂J/∂W⁽²⁾ = (∂J/∂a⁽²⁾)ᵀ h⁽¹⁾" in summary
    else:
        assert "∂J/∂a⁽²⁾ = (diag(h⁽²⁾) − h⁽²⁾h⁽²⁾ᵀ) · ∂J/∂h⁽²⁾" in summary


def test_verify_where_the_output_saturates_within_epsilon(tmp_path):
    # a = 36: σ(a) < 1 in floating point, but σ(a + 10⁷ · 10⁻⁶) = σ(46) is 1, and y = 0.5 needed
    # log(1 − ŷ): J(θ + ε) was infinite. From the logit it is finite, and the central
    # difference agrees with ∂J/∂w = (σ(36) − 0.5) · 10⁷
    path = tmp_path / "p.yaml"
    path.write_text("input: [10000000]\ntarget: [0.5]\nlayers:\n  - weights: [[0.0000036]]\n"
                    "    activation: sigmoid\nloss: binary_cross_entropy\nlearning_rate: 0.1\n")
    r = CliRunner().invoke(cli, ["backprop", str(path), "--verify", "--format", "json"])
    assert r.exit_code == 0, r.stderr
    step = json.loads(r.stdout)["steps"][0]
    assert abs(step["layers"][0]["dJ_dW"][0][0] - 5_000_000) < 1e-3


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(networks(), st.integers(2, 3))
def test_several_steps_of_every_activation_and_loss_agree_with_a_plain_loop(net, steps):
    """Each of several gradient steps (exact or float, any activation) against the plain loop
    iterated with its own gradient-descent update: the whole run, not only the first step."""
    Ws, bs, acts, X, Y, loss, reduction, reg = net
    lr = 0.1
    doc = json.loads(yaml_of(*net, lr=lr))
    doc["steps"] = steps
    problem = parse(doc_from_text(json.dumps(doc), "<test>"))
    if beyond_floats(net, problem):
        return
    try:
        data = json.loads(render(solve(problem), "json"))
    except ProblemError as e:       # outgrowing floats is refused with its reason, never a crash
        assert "outgrow floating point" in str(e) or "infinite" in str(e)
        return
    assert len(data["steps"]) == steps
    Ws_, bs_ = [[list(map(float, r)) for r in W] for W in Ws], [
        None if b is None else list(map(float, b)) for b in bs]
    for k, step in enumerate(data["steps"]):
        J, gW, gb = plain_loop(Ws_, bs_, acts, X, Y, loss, reduction, reg)
        assert step["loss"] == pytest.approx(J, rel=1e-7, abs=1e-7), f"step {k + 1}"
        for li, layer in enumerate(step["layers"]):
            assert np.allclose(layer["W"], Ws_[li], rtol=1e-7, atol=1e-7)
            assert np.allclose(layer["dJ_dW"], gW[li], rtol=1e-7, atol=1e-7)
        Ws_ = [[[w - lr * g for w, g in zip(rw, rg)] for rw, rg in zip(W, G)]
               for W, G in zip(Ws_, gW)]
        bs_ = [None if b is None else [v - lr * g for v, g in zip(b, G)] for b, G in zip(bs_, gb)]


@pytest.mark.parametrize("act", ["sigmoid", "tanh", "relu", "linear", "leaky_relu"])
def test_two_steps_with_a_float_activation_in_an_exact_problem(act):
    """An exact problem whose σ/tanh turns its parameters float after step 1 goes on to step 2."""
    text = open(os.path.join(PROBLEMS, "sigmoid-biases.yaml")).read().replace(
        "activation: sigmoid", f"activation: {act}") + "steps: 2\n"
    data = json.loads(render(solve(parse(doc_from_text(text, "<test>"))), "json"))
    assert len(data["steps"]) == 2
    assert data["steps"][1]["layers"][0]["W"] == data["steps"][0]["layers"][0]["W_new"]
