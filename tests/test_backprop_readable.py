"""Backprop explanations a newcomer can read (issue 11.9): σ and softmax defined where first
used, the class target shown as its one-hot y, the network drawn for a batch too, with TikZ units
sized to their longest value."""

import os
import re

import pytest

from nnsolve.load import load_problem
from nnsolve.load.yamldoc import doc_from_text
from nnsolve.load import parse_problem
from nnsolve.render import RenderOptions, render
from nnsolve.solve import solve

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBLEMS = os.path.join(ROOT, "problems")


def text_of(yaml_text, fmt="text"):
    spec = parse_problem(doc_from_text(yaml_text, "<test>"))
    return render(solve(spec), fmt, RenderOptions(width=100, color=False))


SIGMOID = """kind: backprop
input: [0.5, -1]
target: [1]
layers:
  - weights: [[0.5, 1], [1, -1]]
    activation: sigmoid
  - weights: [[1, 1]]
    activation: sigmoid
loss: squared_error
learning_rate: 0.5
steps: 2
"""


def test_sigmoid_is_defined_once_where_first_used():
    out = text_of(SIGMOID)
    assert out.count("σ is the logistic sigmoid") == 1
    assert "h⁽¹⁾ⱼ = σ(a⁽¹⁾ⱼ) = 1/(1 + e^(−a⁽¹⁾ⱼ))" in out
    first_use = out.index("σ(a⁽¹⁾)")
    assert out.index("σ is the logistic sigmoid") < first_use
    assert "softmax turns" not in out
    tex = text_of(SIGMOID, "latex")
    assert r"\frac{1}{1 + {e}^{-a^{(1)}_{j}}}" in tex


def test_softmax_is_defined_and_the_class_target_is_its_one_hot_y():
    out = render(solve(load_problem(os.path.join(PROBLEMS, "softmax-classifier.yaml"))), "text",
                 RenderOptions(width=100, color=False))
    assert out.count("softmax turns the layer's values into probabilities") == 1
    assert "h⁽¹⁾ₖ = e^(a⁽¹⁾ₖ)/Σⱼ e^(a⁽¹⁾ⱼ)" in out
    assert out.index("softmax turns") < out.index("softmax(a⁽¹⁾)")
    assert "The target is class 2 (counted from 0), as a one-hot vector:" in out
    i = out.index("as a one-hot vector:")
    assert "⎡0⎤" in out[i:i + 120] and "⎣1⎦" in out[i:i + 200]


def test_a_soft_target_is_not_called_a_class():
    text = """kind: backprop
input: [1, 2]
target: [0.25, 0.75]
layers:
  - weights: [[1, 0], [0, 1]]
    activation: softmax
loss: cross_entropy
learning_rate: 0.1
"""
    out = text_of(text)
    assert "one-hot" not in out and "class" not in out.split("Loss", 1)[1].split("\n")[2]


def test_a_batch_of_classes_lists_them():
    text = """kind: backprop
samples:
  - {input: [1, 0], target: 1}
  - {input: [0, 1], target: 0}
layers:
  - weights: [[1, 0], [0, 1]]
    activation: softmax
loss: cross_entropy
learning_rate: 0.1
"""
    out = text_of(text)
    assert "The targets are the classes 1, 0 (counted from 0), one one-hot row per sample:" in out


def test_a_batch_is_drawn_on_the_network():
    s = solve(load_problem(os.path.join(PROBLEMS, "xor-batch.yaml")))
    tex = render(s, "latex", RenderOptions())
    assert r"\begin{tikzpicture}" in tex
    assert "samples 1 to 4 in order" in tex
    # the first input unit holds x₁ of the 4 samples, one per line
    assert re.search(r"\\node\[unit\] \(n0x0\) at \([^)]*\) \{\$0\$\\\\ \$0\$\\\\ \$1\$\\\\ \$1\$\}",
                     tex), tex[tex.index("tikzpicture"):][:600]
    txt = render(s, "text", RenderOptions(width=100))
    assert "x ([0, 0, 1, 1], [0, 1, 0, 1])  →  h⁽¹⁾ ([0, 0.5, 0.5, 1.5], [0, 0, 0, 0.5])" in txt


def _tikz_sizes(tex):
    m = re.search(r"\\begin\{tikzpicture\}\[x=([\d.]+)cm,y=([\d.]+)cm,unit/.style=\{[^}]*"
                  r"minimum size=([\d.]+)mm", tex)
    return float(m.group(1)), float(m.group(2)), float(m.group(3))


@pytest.mark.parametrize("name", ["seed-backprop", "sigmoid-biases", "softmax-classifier",
                                  "xor-batch"])
def test_tikz_units_fit_their_longest_value_and_do_not_touch(name):
    s = solve(load_problem(os.path.join(PROBLEMS, name + ".yaml")))
    tex = render(s, "latex", RenderOptions())
    dx, dy, size = _tikz_sizes(tex)
    values = re.findall(r"\\node\[unit\] \([^)]*\) at \([^)]*\) \{(.*)\};", tex)
    rows = [v.split("\\\\ ") for v in values]          # one line per sample
    longest = max(len(re.sub(r"[${}\\]", "", line)) for r in rows for line in r)
    lines = max(len(r) for r in rows)
    assert size >= 1.65 * longest          # mm: a digit of \small is about 1.6 mm wide
    assert size >= 4.6 * lines
    assert dy * 10 >= size + 3 and dx * 10 >= size + 10      # circles apart, links visible


def test_a_long_value_makes_every_unit_bigger():
    short = text_of(SIGMOID.replace("steps: 2\n", ""), "latex")
    exact = text_of(SIGMOID.replace("steps: 2\n", "").replace("sigmoid", "relu"), "latex")
    assert _tikz_sizes(short)[2] > _tikz_sizes(exact)[2]      # 0.731059 against 1.5
