"""check names the optimizer's and batch norm's likely mistakes; every wrong value here is worked
out by hand in its comment, not by the variant code it tests."""

import os
import textwrap

from nnsolve.check import grade, load_answers

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBLEMS = os.path.join(ROOT, "problems")


def graded(tmp_path, problem, body):
    path = tmp_path / "a.yaml"
    path.write_text(f"problem: {os.path.join(PROBLEMS, problem)}\nanswers:\n" +
                    textwrap.indent(textwrap.dedent(body), "  "))
    rep = grade(load_answers(str(path)))
    return {r.field: r for r in rep.results}


def test_adam_bias_correction_forgotten(tmp_path):
    # layer 2: W = [1, -1], g = [-2, -4]; without the correction m = 0.1g, v = 0.001g²:
    # 1 − 0.1·(−0.2)/√0.004 = 1.316228, −1 − 0.1·(−0.4)/√0.016 = −0.683772
    f = graded(tmp_path, "adam-two-steps.yaml", """
        layers:
          2: {W_new: [[1.316228, -0.683772]]}
    """)
    r = f["layers.2.W_new"]
    assert not r.correct and r.mistakes[0] == ("bias_correction_forgotten",)


def test_adam_betas_swapped_in_the_state(tmp_path):
    # m₁ = (1 − β₂)·g with the betas swapped: 0.001·(−2, −4)
    f = graded(tmp_path, "adam-two-steps.yaml", """
        layers:
          2: {state: {W: {exp_avg: [[-0.002, -0.004]], exp_avg_sq: [[0.004, 0.016]]}}}
    """)
    assert f["layers.2.state.W.exp_avg"].mistakes[0] == ("betas_swapped",)
    # v₁ = (1 − β₁)·g² with them swapped would be 0.1·(4, 16); 0.001·(4, 16) is right
    assert f["layers.2.state.W.exp_avg_sq"].correct


def test_momentum_before_the_gradient(tmp_path):
    # the step taken with b₀ = 0 before g₁ joins the buffer: nothing moves in step 1
    f = graded(tmp_path, "momentum.yaml", """
        layers:
          3: {W_new: [[-1, 1]], state: {W: {momentum_buffer: [[0, -18]]}}}
    """)
    assert f["layers.3.W_new"].mistakes[0] == ("momentum_before_gradient",)
    assert f["layers.3.state.W.momentum_buffer"].correct


def test_batchnorm_variance_over_n_minus_1(tmp_path):
    # unit 1: 1, 2, 0 (μ = 1): (0 + 1 + 1)/2 = 1; unit 2: 2, 0, 1: (1 + 1 + 0)/2 = 1
    f = graded(tmp_path, "batchnorm.yaml", """
        layers:
          2: {var: [1, 1], mean: [1, 1]}
    """)
    assert f["layers.2.mean"].correct
    assert f["layers.2.var"].mistakes[0] == ("variance_unbiased",)


def test_batchnorm_mean_path_dropped(tmp_path):
    # ∂J/∂x without (1/N)·∂J/∂μ: unit 1 ∂J/∂μ/3 = 3.67421/3 = 1.224737 off each value,
    # unit 2 −7.34841/3 = −2.44947
    f = graded(tmp_path, "batchnorm.yaml", """
        layers:
          1: {dJ_dh: [[-3.22471, 0.63308], [-0.22471, 0.63291], [-0.22479, 6.08242]]}
    """)
    assert f["layers.1.dJ_dh"].mistakes[0] == ("mean_path_dropped",)


def _problem(tmp_path, optimizer, steps=1):
    """J = ½w² from w = 1 (g = w), one weight, the given optimizer."""
    path = tmp_path / "p.yaml"
    path.write_text("kind: backprop\ninput: [1]\ntarget: [0]\nlayers:\n  - weights: [[1]]\n"
                    "    activation: linear\nloss: half_squared_error\n"
                    f"optimizer: {optimizer}\nsteps: {steps}\n")
    return str(path)


def test_centered_variance_without_the_average_gradient(tmp_path):
    # rmsprop-centered.yaml, step 1 with ṽ₁ = v₁ = 0.1·g²: u₁ = g/√(0.1g²) = 1/√0.1 = 3.162278
    f = graded(tmp_path, "rmsprop-centered.yaml", """
        layers:
          1: {state: {W: {momentum_buffer: [[3.162278]], grad_avg: [[0.2625]]}}}
    """)
    assert f["layers.1.state.W.momentum_buffer"].mistakes[0] == ("centered_mean_not_subtracted",)
    assert f["layers.1.state.W.grad_avg"].correct


def test_amsgrad_max_taken_after_the_bias_correction(tmp_path):
    # β₁ = β₂ = 0.5, ε = 0, g₁ = 1: v₁ = 0.5, so PyTorch's max_exp_avg_sq is 0.5; the maximum of
    # the corrected v̂₁ = 0.5/(1 − 0.5) = 1 is the mistake
    p = _problem(tmp_path, "{name: adam, learning_rate: 0.5, beta1: 0.5, beta2: 0.5, "
                           "epsilon: 0, amsgrad: true}")
    f = graded(tmp_path, p, """
        layers:
          1: {state: {W: {max_exp_avg_sq: [[1]], exp_avg_sq: [[0.5]]}}}
    """)
    assert f["layers.1.state.W.max_exp_avg_sq"].mistakes[0] == ("amsgrad_max_after_correction",)
    assert f["layers.1.state.W.exp_avg_sq"].correct
    f = graded(tmp_path, p, "layers:\n  1: {state: {W: {max_exp_avg_sq: [[0.5]]}}}\n")
    assert f["layers.1.state.W.max_exp_avg_sq"].correct


def test_adagrad_lr_decay_from_t(tmp_path):
    # η = 0.5, lr_decay 1, ε = 0, g₁ = 1, s₁ = 1: w₁ = 1 − 0.5·1/1 = 0.5; decayed already at
    # t = 1 (η̃ = 0.5/2) it would be 1 − 0.25 = 0.75
    p = _problem(tmp_path, "{name: adagrad, learning_rate: 0.5, lr_decay: 1, epsilon: 0}")
    f = graded(tmp_path, p, "layers:\n  1: {W_new: [[0.75]]}\n")
    assert f["layers.1.W_new"].mistakes[0] == ("lr_decay_from_t",)
    f = graded(tmp_path, p, "layers:\n  1: {W_new: [[0.5]]}\n")
    assert f["layers.1.W_new"].correct


def test_batchnorm_after_a_conv_variance_over_n_minus_1(tmp_path):
    # per channel over N·H·W = 4 values: channel 1 is 0, −1, 1, −2 (μ = −0.5, Σ(x − μ)² = 5),
    # channel 2 is 2, 1, 0, 2 (μ = 1.25, Σ(x − μ)² = 2.75): over m − 1 = 3, 5/3 and 2.75/3
    f = graded(tmp_path, "cnn-batchnorm.yaml", """
        layers:
          2: {mean: [-0.5, 1.25], var: [1.666667, 0.916667]}
    """)
    assert f["layers.2.mean"].correct
    assert f["layers.2.var"].mistakes[0] == ("variance_unbiased",)


def test_batchnorm_after_a_conv_mean_path_dropped(tmp_path):
    # ∂J/∂x of the conv's maps without ∂J/∂μ/m: channel 1 ∂J/∂μ/4 = 0.263907/4 = 0.0659768
    # less in each cell, channel 2 −0.711702/4 = −0.1779255 (the solution's ∂J/∂μ)
    f = graded(tmp_path, "cnn-batchnorm.yaml", """
        layers:
          1: {dJ_dh: [[[[0.105745, -0.0456002]], [[-0.307771, 0.048525]]],
                      [[[-0.187252, -0.136801]], [[0.242622, 0.728327]]]]}
    """)
    assert f["layers.1.dJ_dh"].mistakes[0] == ("mean_path_dropped",)
