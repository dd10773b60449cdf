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
    if name == "rmsprop":
        h["alpha"] = draw(st.floats(0.5, 0.999))
        h["momentum"] = draw(st.sampled_from([0.0, draw(_unit)]))
    if name in ("adam", "adamw"):
        h["beta1"], h["beta2"] = draw(_unit), draw(st.floats(0.5, 0.9999))
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
             "adamw": {"lr": F(1, 10), "epsilon": F(1, 10)}}
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
