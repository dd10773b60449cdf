"""The optimizers of nnsolve/ops/optim.py against an independent implementation of torch.optim.

The reference below is written from the pseudo-code of the torch.optim documentation (SGD,
Adagrad, RMSprop, Adam, AdamW), one scalar at a time in plain Python loops; Adam and AdamW in the
form PyTorch's code computes them (denominator √v/√(1 − β₂ᵗ) + ε, step size η/(1 − β₁ᵗ)), not
the form nnsolve writes out (m̂, v̂), so the two agree only if the algebra does.
"""

from __future__ import annotations

import math
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from nnsolve.ops import optim

from torch_reference import optimizer_run as ref_run


def run(name, h, theta, grads, mistake=None):
    """nnsolve's optimizer over the same steps: θ and PyTorch-named state after each."""
    opt = optim.make(name, {k: (F(v) if not isinstance(v, bool) else v) for k, v in h.items()})
    th = np.array(theta, dtype=object if all(isinstance(x, F) for x in theta) else float)
    state = opt.init_state(th)
    out = []
    for t, gk in enumerate(grads, start=1):
        g = np.array(gk(list(th)) if callable(gk) else gk,
                     dtype=object if th.dtype == object and not callable(gk) else None)
        tr = opt.step(th, g, state, t, mistake)
        th, state = tr.theta_new, tr.state
        out.append((th, opt.torch_state(state, t)))
    return out


def assert_close(ours, ref, tol=1e-9):
    a = np.asarray(np.asarray(ours, dtype=object).tolist(), dtype=float)
    b = np.asarray(ref, dtype=float)
    assert a.shape == b.shape
    assert np.all(np.abs(a - b) <= tol * np.maximum(1, np.abs(b))), (a, b)


def agree(name, h, theta, grads):
    for (th, st_), (rth, rst) in zip(run(name, h, theta, grads),
                                     ref_run(name, h, [float(x) for x in theta], grads)):
        assert_close(th, rth)
        assert set(st_) == set(rst)
        for k in rst:
            if k == "step":
                assert st_[k] == rst[k]
            else:
                assert_close(st_[k], rst[k])


# --- published and hand-derived numbers -------------------------------------------------------

def test_adam_first_step_of_theta_squared():
    """θ² from θ = 1 with η = 0.1: the first Adam step moves θ by η (to 0.9; ε shifts it by
    5·10⁻¹⁰), and m₁ = 0.2, v₁ = 0.004 exactly."""
    (th, st_), = run("adam", {"lr": F(1, 10)}, [F(1)], [lambda th: [2 * x for x in th]])
    assert abs(float(th[0]) - 0.9) < 1e-9
    assert float(th[0]) == pytest.approx(1 - 0.1 * 2 / (2 + 1e-8), abs=1e-15)
    assert st_["exp_avg"][0] == F(1, 5) and st_["exp_avg_sq"][0] == F(1, 250)
    assert st_["step"] == 1


def test_sgd_momentum_exact_by_hand():
    """θ² from 1, η = 0.1, μ = 0.9: b₁ = 2, θ₁ = 0.8; g₂ = 1.6, b₂ = 3.4, θ₂ = 0.46; exact."""
    out = run("sgd", {"lr": F(1, 10), "momentum": F(9, 10)}, [F(1)],
              [lambda th: [2 * x for x in th]] * 2)
    assert out[0][0][0] == F(4, 5) and out[0][1]["momentum_buffer"][0] == 2
    assert out[1][0][0] == F(23, 50) and out[1][1]["momentum_buffer"][0] == F(17, 5)
    assert isinstance(out[1][0][0], F)


def test_plain_sgd_has_empty_state():
    (th, st_), = run("sgd", {"lr": F(1, 2)}, [F(3)], [[F(2)]])
    assert th[0] == 2 and st_ == {}


def test_sgd_stays_exact_with_every_option():
    h = {"lr": F(1, 10), "momentum": F(1, 2), "dampening": F(1, 4), "weight_decay": F(1, 100)}
    grads = [[F(1), F(-2)], [F(3), F(1, 3)], [F(-1), F(0)]]
    out = run("sgd", h, [F(1), F(2)], grads)
    ref = ref_run("sgd", h, [F(1), F(2)], grads)       # the reference in Fractions too
    for (th, st_), (rth, rst) in zip(out, ref):
        assert list(th) == rth and all(isinstance(x, F) for x in th)
        assert list(st_["momentum_buffer"]) == rst["momentum_buffer"]


@pytest.mark.parametrize("name,h", [
    ("sgd", {"lr": 0.1}),
    ("sgd", {"lr": 0.1, "momentum": 0.9}),
    ("sgd", {"lr": 0.05, "momentum": 0.9, "dampening": 0.3, "weight_decay": 0.01}),
    ("sgd", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1}),
    ("adagrad", {"lr": 0.5}),
    ("adagrad", {"lr": 0.5, "weight_decay": 0.1, "epsilon": 1e-3}),
    ("rmsprop", {"lr": 0.01}),
    ("rmsprop", {"lr": 0.01, "momentum": 0.9, "alpha": 0.9, "weight_decay": 0.05}),
    ("adam", {"lr": 0.1}),
    ("adam", {"lr": 0.1, "beta1": 0.5, "beta2": 0.75, "weight_decay": 0.1, "epsilon": 1e-4}),
    ("adamw", {"lr": 0.1}),
    ("adamw", {"lr": 0.1, "weight_decay": 0.5, "beta1": 0.8}),
    # the options of 0.2's second round: centered, lr_decay, initial_accumulator_value,
    # amsgrad, maximize
    ("rmsprop", {"lr": 0.01, "centered": True}),
    ("rmsprop", {"lr": 0.01, "centered": True, "momentum": 0.9, "alpha": 0.8,
                 "weight_decay": 0.05}),
    ("adagrad", {"lr": 0.5, "lr_decay": 0.1}),
    ("adagrad", {"lr": 0.5, "lr_decay": 0.25, "initial_accumulator_value": 0.5,
                 "weight_decay": 0.1}),
    ("adam", {"lr": 0.1, "amsgrad": True}),
    ("adam", {"lr": 0.1, "amsgrad": True, "beta2": 0.5, "weight_decay": 0.1}),
    ("adamw", {"lr": 0.1, "amsgrad": True, "beta2": 0.6, "weight_decay": 0.2}),
    ("sgd", {"lr": 0.05, "momentum": 0.8, "nesterov": True, "weight_decay": 0.1,
             "maximize": True}),
    ("adagrad", {"lr": 0.5, "weight_decay": 0.1, "maximize": True}),
    ("rmsprop", {"lr": 0.01, "centered": True, "weight_decay": 0.1, "maximize": True}),
    ("adam", {"lr": 0.1, "weight_decay": 0.1, "amsgrad": True, "maximize": True}),
    ("adamw", {"lr": 0.1, "maximize": True}),
])
def test_three_steps_against_the_reference(name, h):
    grads = [[0.5, -1.0, 2.0], [-0.25, -1.5, 0.0], [1.0, 3.0, -2.0]]
    agree(name, h, [1.0, -2.0, 0.5], grads)
    # and with gradients of an objective at the current θ (Σ θᵢ⁴/4 − θᵢ)
    agree(name, h, [1.0, -2.0, 0.5], [lambda th: [x ** 3 - 1 for x in th]] * 3)


# --- property: any valid hyper-parameters, any gradients --------------------------------------

_unit = st.floats(0, 0.99, allow_nan=False)
_grad = st.floats(-5, 5, allow_nan=False)


@st.composite
def settings_(draw):
    name = draw(st.sampled_from(["sgd", "adagrad", "rmsprop", "adam", "adamw"]))
    h = {"lr": draw(st.floats(1e-3, 1))}
    if draw(st.booleans()):
        h["weight_decay"] = draw(st.floats(0, 0.2))
    if name == "sgd":
        h["momentum"] = draw(st.sampled_from([0.0, draw(_unit)]))
        if h["momentum"] > 0 and draw(st.booleans()):
            h["nesterov"] = True
        else:
            h["dampening"] = draw(st.floats(0, 0.9))
    if name in ("adagrad", "rmsprop", "adam", "adamw"):
        h["epsilon"] = draw(st.sampled_from([1e-10, 1e-8, 1e-3, 0.1]))
    if name == "adagrad":
        h["lr_decay"] = draw(st.sampled_from([0.0, draw(st.floats(0, 2))]))
        h["initial_accumulator_value"] = draw(st.sampled_from([0.0, draw(st.floats(0, 2))]))
    if name == "rmsprop":
        h["alpha"] = draw(st.floats(0.5, 0.999))
        h["momentum"] = draw(st.sampled_from([0.0, draw(_unit)]))
        h["centered"] = draw(st.booleans())
    if name in ("adam", "adamw"):
        h["beta1"], h["beta2"] = draw(_unit), draw(st.floats(0.5, 0.9999))
        h["amsgrad"] = draw(st.booleans())
    h["maximize"] = draw(st.booleans())
    return name, h


@settings(max_examples=150, deadline=None)
@given(settings_(), st.lists(st.lists(_grad, min_size=4, max_size=4), min_size=3, max_size=3),
       st.lists(_grad, min_size=4, max_size=4))
def test_property_against_the_reference(s, grads, theta):
    name, h = s
    agree(name, h, theta, grads)


@settings(max_examples=60, deadline=None)
@given(settings_(), st.lists(_grad, min_size=3, max_size=3))
def test_property_whole_arrays_equal_element_by_element(s, theta):
    """A 2×3 array updates as its elements would one by one (the rules are element-wise)."""
    name, h = s
    g = np.array([[1.0, -2.0, 0.5], [0.25, 3.0, -1.0]])
    th = np.array([theta, theta[::-1]])
    opt = optim.make(name, {k: (F(v) if not isinstance(v, bool) else v) for k, v in h.items()})
    whole = opt.step(th, g, opt.init_state(th), 1)
    for idx in np.ndindex(th.shape):
        one = opt.step(th[idx].reshape(1), g[idx].reshape(1), opt.init_state(th[idx].reshape(1)),
                       1)
        assert float(whole.theta_new[idx]) == pytest.approx(float(one.theta_new[0]), abs=1e-12)


# --- the mistakes: each is a rule swapped, and changes the numbers ----------------------------

def test_every_mistake_changes_the_result_and_is_described():
    grads = [[0.5, -1.0], [-0.25, -1.5], [1.0, 3.0]]
    cases = {"sgd": {"lr": F(1, 10), "momentum": F(9, 10), "dampening": F(1, 10),
                     "weight_decay": F(1, 10)},
             "sgd_nesterov": {"lr": F(1, 10), "momentum": F(9, 10), "nesterov": True},
             "adagrad": {"lr": F(1, 10), "weight_decay": F(1, 10), "epsilon": F(1, 10)},
             "rmsprop": {"lr": F(1, 10), "weight_decay": F(1, 10), "epsilon": F(1, 10)},
             "adam": {"lr": F(1, 10), "weight_decay": F(1, 10), "epsilon": F(1, 10)},
             "adamw": {"lr": F(1, 10), "epsilon": F(1, 10)},
             "rmsprop_centered": {"lr": F(1, 10), "centered": True, "epsilon": F(1, 10)},
             "adagrad_decayed": {"lr": F(1, 10), "lr_decay": F(1, 2), "epsilon": F(1, 10),
                                 "initial_accumulator_value": F(1, 2)},
             "adam_amsgrad": {"lr": F(1, 10), "amsgrad": True, "epsilon": F(1, 10)},
             "adamw_amsgrad": {"lr": F(1, 10), "amsgrad": True, "beta2": F(1, 2),
                               "epsilon": F(1, 10)}}
    seen = set()
    for key, h in cases.items():
        name = key.split("_")[0]
        opt = optim.make(name, {k: (F(v) if not isinstance(v, bool) else v) for k, v in h.items()})
        right = run(name, h, [1.0, 2.0], grads)
        for mistake in opt.mistakes():
            seen.add(mistake)
            assert mistake in optim.MISTAKE_TEXT
            wrong = run(name, h, [1.0, 2.0], grads, mistake)
            assert any(not np.allclose(np.asarray(a[0], float), np.asarray(b[0], float))
                       for a, b in zip(right, wrong)), (key, mistake)
    assert seen == set(optim.MISTAKE_TEXT)


def test_bias_correction_forgotten_first_step():
    """Without the correction, step 1 is θ − η·(1−β₁)g/(√((1−β₂)g²) + ε) (≈ θ − 0.316η for g > 0)."""
    (th, _), = run("adam", {"lr": F(1, 10)}, [F(1)], [[F(2)]], "bias_correction_forgotten")
    assert float(th[0]) == pytest.approx(1 - 0.1 * 0.1 * 2 / (math.sqrt(0.001 * 4) + 1e-8))


def test_betas_swapped_shows_in_the_state_at_step_1_and_in_theta_at_step_2():
    h = {"lr": F(1, 10)}
    grads = [[F(2)], [F(-1)]]
    right, wrong = run("adam", h, [F(1)], grads), run("adam", h, [F(1)], grads, "betas_swapped")
    assert wrong[0][1]["exp_avg"][0] == F(1, 500)       # (1 − β₂)·2
    assert float(right[0][0][0]) == pytest.approx(float(wrong[0][0][0]))
    assert float(right[1][0][0]) != pytest.approx(float(wrong[1][0][0]))


def test_momentum_before_gradient_leaves_step_1_unmoved():
    (th, _), = run("sgd", {"lr": F(1, 10), "momentum": F(9, 10)}, [F(1)], [[F(2)]],
                   "momentum_before_gradient")
    assert th[0] == 1


def test_nesterov_needs_momentum_and_no_dampening():
    opt = optim.make("sgd", {"lr": F(1), "nesterov": True})
    assert opt.defn.check(opt.hyper)[0] == "nesterov"
    opt = optim.make("sgd", {"lr": F(1), "nesterov": True, "momentum": F(1, 2),
                             "dampening": F(1, 2)})
    assert opt.defn.check(opt.hyper)[0] == "nesterov"
    opt = optim.make("sgd", {"lr": F(1), "nesterov": True, "momentum": F(1, 2)})
    assert opt.defn.check(opt.hyper) is None


# --- the rules written out ----------------------------------------------------------------------

def _text(blocks):
    from nnsolve.render import render
    from nnsolve.solution import Section, Solution
    return render(Solution("x", None, [Section("s", blocks)], {}), "text")


def test_adam_step_written_with_every_number():
    from nnsolve.expr import Deriv, Sym
    opt = optim.make("adam", {"lr": F(1, 10)})
    th = np.array([F(1)], dtype=object)
    tr = opt.step(th, 2 * th, opt.init_state(th), 1)
    text = _text(optim.element_equations(tr, Sym("w"), Deriv(Sym("J"), Sym("w")), 2 * th, 0))
    for line in ["g₁ = ∂J/∂w = 2",
                 "m₁ ← β₁ · m₀ + (1 − β₁) · g₁ = 0.9 · 0 + (1 − 0.9) · 2 = 0.2",
                 "v₁ ← β₂ · v₀ + (1 − β₂) · g₁² = 0.999 · 0 + (1 − 0.999) · 2² = 0.004",
                 "m̂₁ = m₁/(1 − β₁¹) = 0.2/(1 − 0.9¹) = 2",
                 "v̂₁ = v₁/(1 − β₂¹) = 0.004/(1 − 0.999¹) = 4",
                 "w ← w − η · m̂₁/(√v̂₁ + ε) = 1 − 0.1 · 2/(√4 + 1e-8) ≈ 0.9"]:
        assert line in text, (line, text)


def test_first_momentum_buffer_written_once():
    from nnsolve.expr import Deriv, Sym
    opt = optim.make("sgd", {"lr": F(1, 10), "momentum": F(9, 10)})
    th = np.array([F(1)], dtype=object)
    tr = opt.step(th, 2 * th, opt.init_state(th), 1)
    text = _text(optim.element_equations(tr, Sym("w"), Deriv(Sym("J"), Sym("w")), 2 * th, 0))
    assert "b₁ ← g₁ = 2\n" in text and "w ← w − η · b₁ = 1 − 0.1 · 2 = 0.8" in text


# --- centered RMSprop, Adagrad's lr_decay and initial accumulator, AMSGrad, maximize -----------
# every number below is worked out by hand in its comment

def test_rmsprop_centered_by_hand():
    """θ² from 1, η = 0.1, α = 0.5, ε = 0: g₁ = 2, v₁ = 0.5·4 = 2, gᵃᵛᵉ₁ = 0.5·2 = 1,
    ṽ₁ = 2 − 1² = 1, θ₁ = 1 − 0.1·2/1 = 0.8; g₂ = 1.6, v₂ = 1 + 0.5·2.56 = 2.28,
    gᵃᵛᵉ₂ = 0.5 + 0.8 = 1.3, ṽ₂ = 2.28 − 1.69 = 0.59, θ₂ = 0.8 − 0.16/√0.59."""
    h = {"lr": F(1, 10), "alpha": F(1, 2), "epsilon": F(0), "centered": True}
    out = run("rmsprop", h, [F(1)], [lambda th: [2 * x for x in th]] * 2)
    (th1, s1), (th2, s2) = out
    assert float(th1[0]) == pytest.approx(0.8, abs=1e-15)
    assert s1["square_avg"][0] == 2 and s1["grad_avg"][0] == 1 and s1["step"] == 1
    assert float(s2["square_avg"][0]) == pytest.approx(2.28, abs=1e-15)
    assert float(s2["grad_avg"][0]) == pytest.approx(1.3, abs=1e-15)
    assert float(th2[0]) == pytest.approx(0.8 - 0.16 / math.sqrt(0.59), abs=1e-14)
    # without subtracting gᵃᵛᵉ², step 1 divides by √2: 1 − 0.2/√2
    (wrong, _), = run("rmsprop", h, [F(1)], [[F(2)]], "centered_mean_not_subtracted")
    assert float(wrong[0]) == pytest.approx(1 - 0.2 / math.sqrt(2), abs=1e-15)


def test_adagrad_lr_decay_and_initial_accumulator_by_hand():
    """θ² from 1, η = 0.1, lr_decay = 0.5, τ = 5, ε = 0: s₁ = 5 + 4 = 9, θ₁ = 1 − 0.1·2/3 =
    14/15; η̃₂ = 0.1/(1 + 0.5) = 1/15, g₂ = 28/15, s₂ = 9 + 784/225 = (53/15)²,
    θ₂ = 14/15 − (1/15)·(28/15)/(53/15) = 238/265."""
    h = {"lr": F(1, 10), "lr_decay": F(1, 2), "initial_accumulator_value": F(5),
         "epsilon": F(0)}
    grad = [lambda th: [2 * x for x in th]] * 2
    (th1, s1), (th2, s2) = run("adagrad", h, [F(1)], grad)
    assert s1["sum"][0] == 9 and float(th1[0]) == pytest.approx(14 / 15, abs=1e-15)
    assert float(s2["sum"][0]) == pytest.approx((53 / 15) ** 2, abs=1e-14)
    assert float(th2[0]) == pytest.approx(238 / 265, abs=1e-14)
    # the decay counted from t: η̃₁ = 0.1/1.5 already, θ₁ = 1 − (1/15)·(2/3) = 43/45
    (w1, _), _ = run("adagrad", h, [F(1)], grad, "lr_decay_from_t")
    assert float(w1[0]) == pytest.approx(43 / 45, abs=1e-15)
    # the sum started at 0: s₁ = 4, θ₁ = 1 − 0.1·2/2 = 0.9
    (w1, ws1), _ = run("adagrad", h, [F(1)], grad, "initial_accumulator_ignored")
    assert ws1["sum"][0] == 4 and float(w1[0]) == pytest.approx(0.9, abs=1e-15)


def test_amsgrad_by_hand():
    """g = 2 then 0, η = 0.1, β₁ = β₂ = 0.5, ε = 0, θ₀ = 0: m₁ = 1, v₁ = 2 = vᵐᵃˣ₁,
    m̂₁ = 2, v̂₁ = 4, θ₁ = −0.1; m₂ = 0.5, v₂ = 1, vᵐᵃˣ₂ = max(2, 1) = 2, m̂₂ = 2/3,
    v̂₂ = 2/0.75 = 8/3, θ₂ = −0.1 − 0.1·(2/3)/√(8/3). Plain Adam divides by √(4/3) instead;
    the maximum of the corrected v̂ (4, then max(4, 4/3) = 4) by √4."""
    h = {"lr": F(1, 10), "beta1": F(1, 2), "beta2": F(1, 2), "epsilon": F(0), "amsgrad": True}
    grads = [[F(2)], [F(0)]]
    (th1, s1), (th2, s2) = run("adam", h, [F(0)], grads)
    assert float(th1[0]) == pytest.approx(-0.1, abs=1e-15)
    assert s1["max_exp_avg_sq"][0] == 2 and s2["max_exp_avg_sq"][0] == 2
    assert s2["exp_avg_sq"][0] == 1
    assert float(th2[0]) == pytest.approx(-0.1 - 0.1 * (2 / 3) / math.sqrt(8 / 3), abs=1e-15)
    plain = run("adam", {**h, "amsgrad": False}, [F(0)], grads)
    assert float(plain[1][0][0]) == pytest.approx(-0.1 - 0.1 * (2 / 3) / math.sqrt(4 / 3))
    assert "max_exp_avg_sq" not in plain[1][1]
    (_, w1), (w2, w2s) = run("adam", h, [F(0)], grads, "amsgrad_max_after_correction")
    assert w1["max_exp_avg_sq"][0] == 4 and w2s["max_exp_avg_sq"][0] == 4
    assert float(w2[0]) == pytest.approx(-0.1 - 0.1 * (2 / 3) / 2, abs=1e-15)


@pytest.mark.parametrize("name,h", [
    ("sgd", {"lr": 0.1, "momentum": 0.9}), ("adagrad", {"lr": 0.1, "lr_decay": 0.5}),
    ("rmsprop", {"lr": 0.1, "centered": True}), ("adam", {"lr": 0.1, "amsgrad": True}),
    ("adamw", {"lr": 0.1, "weight_decay": 0})])
def test_maximize_without_weight_decay_is_descent_on_minus_f(name, h):
    """maximize on f is minimizing −f: the same steps as with the gradients negated."""
    grads = [[0.5, -1.0], [-0.25, 2.0], [1.0, 0.0]]
    up = run(name, {**h, "maximize": True}, [1.0, -2.0], grads)
    down = run(name, h, [1.0, -2.0], [[-x for x in g] for g in grads])
    for (a, sa), (b, sb) in zip(up, down):
        assert_close(a, b, 0)
        assert set(sa) == set(sb)


def test_maximize_with_weight_decay_still_shrinks_theta():
    """PyTorch's code negates g first, then adds λθ: with g = 0, SGD's θ still decays to
    (1 − ηλ)θ (the documentation's θ + η(g + λθ) would grow it)."""
    (th, _), = run("sgd", {"lr": F(1, 10), "weight_decay": F(1, 2), "maximize": True}, [F(2)],
                   [[F(0)]])
    assert th[0] == F(19, 10)
    (th, _), = run("sgd", {"lr": F(1, 10), "maximize": True}, [F(2)], [[F(3)]])
    assert th[0] == F(23, 10)


def test_new_options_written_with_every_number():
    from nnsolve.expr import Deriv, Sym
    th = np.array([F(1)], dtype=object)

    def lines(name, h, g=F(2)):
        opt = optim.make(name, h)
        gr = np.array([g], dtype=object)
        tr = opt.step(th, gr, opt.init_state(th), 1)
        return _text(optim.element_equations(tr, Sym("w"), Deriv(Sym("J"), Sym("w")), gr, 0))

    text = lines("rmsprop", {"lr": F(1, 10), "centered": True})
    for line in ["gᵃᵛᵉ₁ ← α · gᵃᵛᵉ₀ + (1 − α) · g₁ = 0.99 · 0 + (1 − 0.99) · 2 = 0.02",
                 "v\u0303₁ = v₁ − (gᵃᵛᵉ₁)² = 0.04 − (0.02)² = 0.0396",      # ṽ₁; 1 − 0.2/0.19899750
                 "w ← w − η · g₁/(√v\u0303₁ + ε) = 1 − 0.1 · 2/(√0.0396 + 1e-8) ≈ -0.00503776"]:
        assert line in text, (line, text)
    text = lines("adam", {"lr": F(1, 10), "amsgrad": True})
    for line in ["vᵐᵃˣ₁ ← max(vᵐᵃˣ₀, v₁) = max(0, 0.004) = 0.004",
                 "v̂₁ = vᵐᵃˣ₁/(1 − β₂¹) = 0.004/(1 − 0.999¹) = 4"]:
        assert line in text, (line, text)
    text = lines("adagrad", {"lr": F(1, 10), "lr_decay": F(1, 10), "maximize": True,
                             "initial_accumulator_value": F(1, 10)})
    for line in ["g₁ ← −g₁ = -2\n",
                 "η̃₁ = η/(1 + (1 − 1) · ηᵈᵉᶜᵃʸ) = 0.1/(1 + (1 − 1) · 0.1) = 0.1",
                 "s₁ ← s₀ + g₁² = 0.1 + (-2)² = 4.1",
                 "w ← w − η̃₁ · g₁/(√s₁ + ε) = 1 − 0.1 · (-2/(√4.1 + 1e-10)) ≈ 1.09877"]:
        assert line in text, (line, text)
