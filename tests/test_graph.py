"""nnsolve graph: computational graphs of scalars, against hand-derived numbers (CS231n's
circuits), an independent forward-mode differentiation (dual numbers, exact where the graph is
rational) and central differences, over random expressions."""

from __future__ import annotations

import json
import math
import os
from fractions import Fraction

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, assume, example, given, settings, strategies as st

from nnsolve.cli import cli
from nnsolve.errors import ProblemError
from nnsolve.kinds.graph.spec import from_expression
from nnsolve.kinds.graph.solve import central_differences, compute, kinks, run
from nnsolve.load import load_problem
from nnsolve.render import RenderOptions, render
from nnsolve.solve import SolveOptions, solve

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBLEMS = os.path.join(ROOT, "problems")


def invoke(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


def graph_json(*args) -> dict:
    r = invoke("graph", *args, "--format", "json")
    assert r.exit_code == 0, r.output
    return json.loads(r.stdout)


# --- the lecture's circuits, number for number ----------------------------------------------

def test_cs231n_circuit_number_for_number():
    d = graph_json(os.path.join(PROBLEMS, "graph-cs231n.yaml"))
    assert d["values"] == {"x": -2, "y": 5, "z": -4, "q": 3, "f": -12}
    assert d["gradients"] == {"x": -4, "y": -4, "z": 3, "q": -4, "f": 1}
    q, f = d["nodes"]
    assert q == {"name": "q", "expression": "x + y", "inputs": ["x", "y"], "value": 3,
                 "local": {"x": 1, "y": 1}, "gradient": -4}
    assert f["local"] == {"q": -4, "z": 3}          # the multiply gate swaps its inputs


def test_cs231n_from_the_command_line_stages_the_same_graph():
    d = graph_json("(x + y) * z", "--at", "x=-2,y=5,z=-4")
    assert d["output"] == "f"
    assert d["values"] == {"x": -2, "y": 5, "z": -4, "q": 3, "f": -12}
    assert d["gradients"] == {"x": -4, "y": -4, "z": 3, "q": -4, "f": 1}
    assert [n["expression"] for n in d["nodes"]] == ["x + y", "q * z"]


def _sigmoid_by_hand():
    """CS231n's neuron, w = (2, −3, −3), x = (−1, −2): dot = 1, f = σ(1), and the gradients
    (1 − f)·f times the other factor, written out by hand."""
    w0, x0, w1, x1, w2 = 2, -1, -3, -2, -3
    dot = w0 * x0 + w1 * x1 + w2
    f = 1 / (1 + math.exp(-dot))
    ddot = (1 - f) * f
    return f, {"w0": x0 * ddot, "x0": w0 * ddot, "w1": x1 * ddot, "x1": w1 * ddot, "w2": ddot}


def test_sigmoid_neuron_staged_against_the_hand_derivation():
    f, grads = _sigmoid_by_hand()
    d = graph_json(os.path.join(PROBLEMS, "graph-sigmoid-neuron.yaml"))
    assert d["values"]["dot"] == 1 and d["values"]["s"] == 4
    assert d["values"]["f"] == pytest.approx(f, rel=1e-12)
    for name, g in grads.items():
        assert d["gradients"][name] == pytest.approx(g, rel=1e-12), name
    assert d["gradients"]["dot"] == pytest.approx((1 - f) * f, rel=1e-12)


def test_sigmoid_neuron_as_one_expression_and_as_one_sigmoid_gate():
    f, grads = _sigmoid_by_hand()
    at = "w0=2,x0=-1,w1=-3,x1=-2,w2=-3"
    staged = graph_json("1 / (1 + exp(-(w0*x0 + w1*x1 + w2)))", "--at", at)
    gate = graph_json("sigmoid(w0*x0 + w1*x1 + w2)", "--at", at)
    for d in (staged, gate):
        assert d["values"][d["output"]] == pytest.approx(f, rel=1e-12)
        for name, g in grads.items():
            assert d["gradients"][name] == pytest.approx(g, rel=1e-12)
    # the sigmoid gate's local derivative is σ(1 − σ), the activation backprop uses
    assert gate["nodes"][-1]["local"]["q4"] == pytest.approx((1 - f) * f, rel=1e-12)
    assert len(staged["nodes"]) == 8 and len(gate["nodes"]) == 5


def test_a_value_used_twice_sums_its_paths():
    d = graph_json(os.path.join(PROBLEMS, "graph-used-twice.yaml"))
    assert d["values"] == {"x": 3, "q": 9, "f": 12}
    assert d["nodes"][0]["local"] == {"x": 6}           # x·x: both slots, x + x
    assert d["gradients"]["x"] == 7                     # 2x + 1


def test_max_gate_routes_to_the_larger_and_to_the_first_at_a_tie():
    d = graph_json(os.path.join(PROBLEMS, "graph-max-gate.yaml"))
    assert d["nodes"][1]["local"] == {"q": 0, "z": 1}
    assert d["gradients"] == {"x": 0, "y": 0, "z": -2, "w": 2, "q": 0, "m": -2, "f": 1}
    tie = graph_json("max(x, y) * 3", "--at", "x=2,y=2")
    assert tie["gradients"]["x"] == 3 and tie["gradients"]["y"] == 0
    tie = graph_json("min(x, y) * 3", "--at", "x=2,y=2")
    assert tie["gradients"]["x"] == 3 and tie["gradients"]["y"] == 0


def test_kinks_follow_the_spec():
    assert graph_json("relu(x)", "--at", "x=0")["gradients"]["x"] == 0      # ReLU′(0) = 0
    assert graph_json("abs(x)", "--at", "x=0")["gradients"]["x"] == 0       # |x|′ at 0 = 0
    assert graph_json("abs(x)", "--at", "x=-3")["gradients"]["x"] == -1


def test_a_node_that_does_not_feed_the_output_has_gradient_zero(tmp_path):
    p = tmp_path / "g.yaml"
    p.write_text("kind: graph\ninputs: {x: 2, y: 3, w: 5}\nnodes:\n  q: x * y\n"
                 "  r: w + 1\n  f: q + x\n  g: f * r\noutput: f\n")
    d = graph_json(p)
    assert d["output"] == "f"
    assert d["gradients"] == {"x": 4, "y": 2, "w": 0, "q": 1, "r": 0, "f": 1, "g": 0}
    assert d["nodes"][1]["local"] == {"w": 1}


def test_exact_while_rational_and_float_after():
    d = load_problem_text("kind: graph\ninputs: {x: 0.1, y: 1/3}\nexpression: x * y + x / y\n")
    p = run(d, d.inputs)
    assert p.values["f"] == Fraction(1, 30) + Fraction(3, 10)
    assert isinstance(p.gradients["y"], Fraction)
    assert p.gradients["y"] == Fraction(1, 10) - Fraction(1, 10) * 9
    e = load_problem_text("kind: graph\ninputs: {x: 2}\nexpression: exp(x) * x\n")
    pe = run(e, e.inputs)
    assert isinstance(pe.values["f"], float) and pe.values["q"] == pytest.approx(math.e ** 2)


def load_problem_text(text):
    from nnsolve.load import parse_problem
    from nnsolve.load.yamldoc import doc_from_text
    return parse_problem(doc_from_text(text, "<test>"))


# --- random expressions against an independent differentiation ------------------------------

class Dual:
    """A number and its derivatives by each input: forward-mode differentiation, an algorithm
    independent of the backward pass (and exact on Fractions)."""

    def __init__(self, v, d):
        self.v, self.d = v, d

    def __add__(self, o):
        return Dual(self.v + o.v, {k: self.d.get(k, 0) + o.d.get(k, 0) for k in {*self.d, *o.d}})

    def __sub__(self, o):
        return Dual(self.v - o.v, {k: self.d.get(k, 0) - o.d.get(k, 0) for k in {*self.d, *o.d}})

    def __mul__(self, o):
        return Dual(self.v * o.v, {k: self.d.get(k, 0) * o.v + self.v * o.d.get(k, 0)
                                   for k in {*self.d, *o.d}})

    def __truediv__(self, o):
        return Dual(self.v / o.v, {k: (self.d.get(k, 0) * o.v - self.v * o.d.get(k, 0))
                                   / (o.v * o.v) for k in {*self.d, *o.d}})

    def chain(self, value, slope):
        return Dual(value, {k: slope * dk for k, dk in self.d.items()})


def _ref(tree, env):
    """The independent reference: a tree of tuples evaluated with dual numbers."""
    kind = tree[0]
    if kind == "var":
        return env[tree[1]]
    if kind == "num":
        return Dual(Fraction(tree[1]), {})
    if kind in ("+", "-", "*", "/"):
        a, b = _ref(tree[1], env), _ref(tree[2], env)
        return {"+": a.__add__, "-": a.__sub__, "*": a.__mul__, "/": a.__truediv__}[kind](b)
    a = _ref(tree[1], env)
    x = a.v
    if kind == "neg":
        return a.chain(-x, -1)
    if kind == "sq":
        return a.chain(x ** 2, 2 * x)
    if kind == "exp":
        e = math.exp(float(x))
        return a.chain(e, e)
    if kind == "log1sq":            # log(x² + 1): always defined
        return Dual(math.log(float(x) ** 2 + 1), {k: 2 * float(x) / (float(x) ** 2 + 1) * dk
                                                    for k, dk in a.d.items()})
    if kind == "sigmoid":
        s = 1 / (1 + math.exp(-float(x)))
        return a.chain(s, s * (1 - s))
    if kind == "tanh":
        t = math.tanh(float(x))
        return a.chain(t, 1 - t * t)
    if kind == "relu":
        return a.chain(x if x > 0 else x * 0, 1 if x > 0 else 0)
    if kind == "abs":
        return a.chain(abs(x), (x > 0) - (x < 0))
    if kind in ("max", "min"):
        b = _ref(tree[2], env)
        first = a.v >= b.v if kind == "max" else a.v <= b.v
        return a if first else b
    raise AssertionError(kind)


def _text(tree) -> str:
    kind = tree[0]
    if kind == "var":
        return tree[1]
    if kind == "num":
        return str(tree[1])
    if kind in ("+", "-", "*", "/"):
        return f"({_text(tree[1])} {kind} {_text(tree[2])})"
    if kind == "neg":
        return f"-({_text(tree[1])})"
    if kind == "sq":
        return f"({_text(tree[1])}) ** 2"
    if kind == "log1sq":
        return f"log(({_text(tree[1])}) ** 2 + 1)"
    if kind in ("max", "min"):
        return f"{kind}({_text(tree[1])}, {_text(tree[2])})"
    return f"{kind}({_text(tree[1])})"


VARS = ["x", "y", "z"]


def _trees(rational: bool):
    leaf = st.one_of(st.sampled_from([("var", v) for v in VARS]),
                     st.integers(1, 4).map(lambda n: ("num", n)))
    unary = ["neg", "sq", "relu", "abs"] + ([] if rational else ["exp", "log1sq", "sigmoid",
                                                                    "tanh"])

    def extend(children):
        return st.one_of(
            st.tuples(st.sampled_from(["+", "-", "*"]), children, children),
            st.tuples(st.just("/"), children, st.just(("num", 2))),
            st.tuples(st.sampled_from(unary), children),
            st.tuples(st.sampled_from(["max", "min"]), children, children))
    return st.recursive(leaf, extend, max_leaves=7).filter(
        lambda t: any(v in _text(t) for v in VARS))


OVERFLOWING = ("exp", ("exp", ("*", ("num", 2), ("var", "x"))))
VALUES = st.fractions(min_value=-3, max_value=3, max_denominator=7)


def _graph(tree, values):
    at = ",".join(f"{v}={values[i]}" for i, v in enumerate(VARS))
    return from_expression(_text(tree), at)


def _beyond_floats(tree, values) -> bool:
    """The float reference overflows (exp(exp(8)), or exp(700) · exp(700)): a graph that nnsolve
    must refuse with its reason rather than solve."""
    env = {v: Dual(float(values[i]), {v: 1.0}) for i, v in enumerate(VARS)}
    try:
        ref = _ref(tree, env)
    except OverflowError:
        return True
    return not all(math.isfinite(x) for x in (float(ref.v), *map(float, ref.d.values())))


def _refused_beyond_floats(problem, tree, values) -> bool:
    """True when the graph's value is beyond floats and nnsolve refuses it with that reason."""
    try:
        run(problem, problem.inputs)
    except ProblemError as e:
        assert "too large for a floating-point number" in str(e), str(e)
        assert _beyond_floats(tree, values), (_text(tree), values)
        return True
    return False


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trees(rational=True), st.lists(VALUES, min_size=3, max_size=3))
def test_rational_graphs_are_exact_and_match_forward_mode(tree, values):
    problem = _graph(tree, values)
    p = run(problem, problem.inputs)
    env = {v: Dual(Fraction(values[i]), {v: Fraction(1)}) for i, v in enumerate(VARS)}
    ref = _ref(tree, env)
    out = p.values[problem.output]
    assert isinstance(out, Fraction) and out == ref.v
    for name in problem.inputs:
        g = p.gradients[name]
        assert isinstance(g, Fraction), name
        assert g == ref.d.get(name, 0), (_text(tree), name)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trees(rational=False), st.lists(VALUES, min_size=3, max_size=3))
@example(OVERFLOWING, [Fraction(4), Fraction(1), Fraction(1)])   # exp(exp(8)): refused
def test_random_graphs_match_forward_mode_and_central_differences(tree, values):
    problem = _graph(tree, values)
    if _refused_beyond_floats(problem, tree, values):
        return
    p = run(problem, problem.inputs)
    env = {v: Dual(float(values[i]), {v: 1.0}) for i, v in enumerate(VARS)}
    ref = _ref(tree, env)
    assert float(p.values[problem.output]) == pytest.approx(float(ref.v), rel=1e-9, abs=1e-12)
    for name in problem.inputs:
        assert float(p.gradients[name]) == pytest.approx(float(ref.d.get(name, 0)), rel=1e-9,
                                                         abs=1e-12)
    # away from the corners, the central differences agree too
    assume(not kinks(problem, p.values))
    num = central_differences(problem, problem.inputs)
    for name in problem.inputs:
        g = float(p.gradients[name])
        assert num[name] == pytest.approx(g, rel=1e-4, abs=1e-5), (_text(tree), name)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_trees(rational=False), st.lists(VALUES, min_size=3, max_size=3))
@example(OVERFLOWING, [Fraction(4), Fraction(1), Fraction(1)])   # exp(exp(8)): refused
def test_every_renderer_renders_random_graphs(tree, values):
    problem = _graph(tree, values)
    if _refused_beyond_floats(problem, tree, values):
        return
    sol = solve(problem, SolveOptions(verify=True))
    for fmt in ("text", "markdown", "latex", "json"):
        out = render(sol, fmt, RenderOptions(width=60))
        assert out.strip()
    json.loads(render(sol, "json"))
    cost = solve(__import__("dataclasses").replace(problem, kind="graph_cost"), SolveOptions())
    assert cost.data["backprop"] <= cost.data["without_reuse"] + len(problem.inputs)


# --- the drawing ----------------------------------------------------------------------------

def test_text_drawing_has_every_value_above_and_gradient_below_its_wire():
    sol = solve(load_problem(os.path.join(PROBLEMS, "graph-cs231n.yaml")))
    text = render(sol, "text", RenderOptions(width=100))
    drawing = text.split("The graph with its values and gradients")[1].splitlines()[3:]
    rows = [l for l in drawing if l.strip()]
    wire_x = next(i for i, l in enumerate(rows) if l.lstrip().startswith("x "))
    assert rows[wire_x - 1].split() == ["-2"]                    # x's value above its wire
    assert rows[wire_x + 1].split()[0] == "-4"                  # its gradient below
    assert any("─(×)─ f" in l for l in rows) and any("─(+)─ q" in l for l in rows)


def test_a_wide_drawing_is_cut_into_pieces_that_fit():
    sol = solve(load_problem(os.path.join(PROBLEMS, "graph-sigmoid-neuron.yaml")))
    for width in (60, 100):
        text = render(sol, "text", RenderOptions(width=width))
        drawing = text.split("The graph with its values and gradients")[1]
        assert max(len(l) for l in drawing.splitlines()) <= width


# --- question 1.1 ---------------------------------------------------------------------------

def test_cost_counts_paths_and_reuse():
    d = graph_json(os.path.join(PROBLEMS, "graph-sigmoid-neuron.yaml"), "--cost")
    # w0, x0, w1, x1: paths of 7 edges (6 multiplications each); w2: 5 edges (4)
    assert d["without_reuse"] == 4 * 6 + 4
    assert d["edges"] == 12 and d["backprop"] == 11
    assert d["inputs"]["w0"]["paths"] == [["w0", "a0", "s", "dot", "n", "e", "d", "f"]]
    reused = {r["node"]: r for r in d["reused"]}
    assert reused["s"]["used_by"] == ["a0", "a1"] and reused["s"]["paths_through"] == 4
    assert reused["dot"]["paths_through"] == 5
    d = graph_json(os.path.join(PROBLEMS, "graph-cs231n.yaml"), "--cost")
    assert (d["without_reuse"], d["backprop"]) == (2, 2)
    d = graph_json("x * x + x", "--at", "x=3", "--cost")
    assert d["inputs"]["x"]["path_count"] == 2 and d["without_reuse"] == 1


def test_cost_on_two_diamonds_counts_every_path(tmp_path):
    # x feeds a and b, both feed c; c feeds d and e, both feed g: 2 × 2 paths of 4 edges
    p = tmp_path / "d.yaml"
    p.write_text("kind: graph\ninputs: {x: 1}\nnodes:\n  a: x * 2\n  b: x * 3\n  c: a * b\n"
                 "  d: c * 2\n  e: c * 3\n  g: d * e\n")
    d = graph_json(p, "--cost")
    assert d["inputs"]["x"]["path_count"] == 4
    assert d["without_reuse"] == 4 * 3            # 3 multiplications on each path
    assert d["edges"] == 8 and d["backprop"] == 6   # one per edge, none into g
    reused = {r["node"]: r for r in d["reused"]}
    assert reused["c"]["used_by"] == ["a", "b"] and reused["c"]["paths_through"] == 4


# --- gradient descent -----------------------------------------------------------------------

def test_gradient_descent_steps_by_hand():
    d = graph_json(os.path.join(PROBLEMS, "graph-descent.yaml"))
    # f = (wx + b − y)², w = 0.5, x = 2, b = 0, y = 3: r = −2, ∂f/∂w = 2r·x = −8, ∂f/∂b = −4
    s1, s2 = d["steps"]
    assert s1["gradients"]["w"] == -8 and s1["gradients"]["b"] == -4
    assert s1["parameters_new"] == {"w": 0.9, "b": 0.2}
    assert s2["values"]["w"] == 0.9 and s2["values"]["f"] == 1
    assert s2["parameters_new"] == {"w": 1.1, "b": 0.3}
    assert d["gradients"] == s1["gradients"]


def test_descent_from_the_command_line_and_long_fractions_turn_float():
    d = graph_json("(w * x - 1) ** 2", "--at", "w=1/3,x=3/7", "--parameters", "w",
                   "--learning-rate", "1/3", "--steps", "40")
    assert len(d["steps"]) == 40
    w = 1 / 3
    for s in d["steps"]:
        g = 2 * (w * 3 / 7 - 1) * 3 / 7
        assert s["gradients"]["w"] == pytest.approx(g, rel=1e-9)
        w -= g / 3
        assert s["parameters_new"]["w"] == pytest.approx(w, rel=1e-9)


# --- --verify, check, new ------------------------------------------------------------------

def test_verify_agrees_and_names_corners():
    r = invoke("graph", os.path.join(PROBLEMS, "graph-sigmoid-neuron.yaml"), "--verify")
    assert r.exit_code == 0 and "All 5 gradients agree" in r.stdout
    r = invoke("graph", "relu(x) + x", "--at", "x=0", "--verify")
    assert r.exit_code == 0 and "corner" in r.stdout


def _answers(tmp_path, problem, body):
    (tmp_path / "p.yaml").write_text(problem)
    (tmp_path / "a.yaml").write_text("problem: p.yaml\nanswers:\n" + body)
    r = invoke("check", tmp_path / "a.yaml", "--format", "json")
    return r, json.loads(r.stdout)["files"][0]["fields"]


def test_check_names_the_likely_mistakes(tmp_path):
    problem = ("kind: graph\ninputs: {x: 3, y: 2, z: 4}\nnodes:\n  q: x - y\n"
               "  r: q * z\n  f: r + x\n")
    # right: ∂f/∂z = q = 1, ∂f/∂q = z = 4, ∂f/∂y = −4, ∂f/∂x = 4 + 1 = 5
    r, fields = _answers(tmp_path, problem,
                         "  gradients: {z: 4, y: 4, x: 4}\n  values: {r: 4}\n")
    assert r.exit_code == 1
    by = {f["field"]: f for f in fields}
    assert by["values.r"]["correct"]
    assert by["gradients.z"]["mistake"]["names"] == ["mul_not_swapped"]
    assert by["gradients.y"]["mistake"]["names"] == ["sub_sign"] or \
        ["sub_sign"] in [m["names"] for m in [by["gradients.y"]["mistake"]]
                         + by["gradients.y"]["also_explained_by"]]
    assert by["gradients.x"]["mistake"]["names"] == ["sum_missing"]


def test_check_names_the_relu_gate_ignored(tmp_path):
    problem = "kind: graph\ninputs: {w: 2, x: -1, y: 3}\nnodes:\n  a: w * x\n  h: relu(a)\n  f: h * y\n"
    # right: a = −2, the gate is shut: ∂f/∂w = 0; with the gate ignored, y · x = −3
    r, fields = _answers(tmp_path, problem, "  gradients: {w: -3, a: 3}\n")
    by = {f["field"]: f for f in fields}
    assert by["gradients.w"]["mistake"]["names"] == ["relu_gate_ignored"]
    assert by["gradients.a"]["mistake"]["names"] == ["relu_gate_ignored"]


def test_check_grades_every_value_and_gradient_and_steps(tmp_path):
    problem = open(os.path.join(PROBLEMS, "graph-descent.yaml")).read()
    r, fields = _answers(tmp_path, problem,
                         "  values: {f: 4}\n  gradients: {w: -8}\n  nodes: {1: {local: {w: 2}}}\n"
                         "  steps:\n    2: {parameters_new: {w: 1.1, b: 0.3}}\n"
                         "    1: {parameters_new: {w: 4.5}}\n")
    by = {f["field"]: f for f in fields}
    assert all(by[k]["correct"] for k in ("values.f", "gradients.w", "nodes.1.local.w",
                                          "steps.2.parameters_new.w"))
    assert not by["steps.1.parameters_new.w"]["correct"]
    assert by["steps.1.parameters_new.w"]["mistake"]["names"] == ["eta_x10"]


@pytest.mark.parametrize("seed", [1, 2, 3, 7, 11])
def test_new_graph_is_clean_deterministic_and_its_key_checks(tmp_path, seed):
    args = ["new", "graph", "--seed", seed]
    r1, r2 = invoke(*args), invoke(*args)
    assert r1.exit_code == 0 and r1.stdout == r2.stdout
    out = tmp_path / "g.yaml"
    assert invoke(*args, "-o", out, "--answers", tmp_path / "k.yaml").exit_code == 0
    d = graph_json(out)
    for v in list(d["values"].values()) + list(d["gradients"].values()):
        assert Fraction(v).denominator in (1, 2, 4, 5, 10, 20, 25, 50, 100)
    r = invoke("check", tmp_path / "k.yaml")
    assert r.exit_code == 0, r.stdout


def test_new_graph_every_circuit():
    for c in range(1, 9):
        r = invoke("new", "graph", "--seed", 4, "--circuit", c)
        assert r.exit_code == 0, (c, r.output)


# --- errors on the command line -------------------------------------------------------------

@pytest.mark.parametrize("args, line", [
    (["(x + y)) * z", "--at", "x=1,y=2,z=3"], "Error: <expression>:1:8: `)` without a matching `(`"),
    (["x ? y", "--at", "x=1,y=2"], "Error: <expression>:1:3: unexpected character '?'"),
    (["2x + 1", "--at", "x=1"],
     "Error: <expression>:1:2: a number followed by the name 'x': write the product with * (2 * x)"),
    (["x + w", "--at", "x=1"], "Error: --at: no value for w: give it with --at w=…"),
    (["log(x - 3)", "--at", "x=1"], "Error: <expression>:1:1: log needs a positive number: log(-2)"),
    (["x / (y - 1)", "--at", "x=1,y=1"], "Error: <expression>:1:3: division by zero: 1 / 0"),
    (["sqrt(x)", "--at", "x=-4"], "Error: <expression>:1:1: sqrt needs a number ≥ 0: sqrt(-4)"),
    (["x ** 0.5", "--at", "x=-1"], "Error: <expression>:1:3: a negative number to a power that is "
     "not a whole number is not a real number: (-1) ** 0.5"),
    (["exp(x)", "--at", "x=1000"], "Error: <expression>:1:1: the result is too large for a "
     "floating-point number: exp(1000)"),
    (["max(x)", "--at", "x=1"], "Error: <expression>:1:1: max takes 2 arguments, got 1"),
    (["x + 1", "--at", "x=1,x=2"], "Error: --at: x is given twice"),
    (["x + 1", "--at", "x=abc"], "Error: --at: x: expected a number, got 'abc'"),
    (["x * 2", "--at", "x=1", "--parameters", "y", "--learning-rate", "0.1"],
     "Error: --parameters: y is not an input; parameters are inputs (one of: x)"),
    (["x * 2", "--at", "x=1", "--steps", "2"],
     "Error: --steps: steps need `parameters` and a `learning_rate` to take a step with"),
])
def test_command_line_errors(args, line):
    r = invoke("graph", *args)
    assert r.exit_code == 1
    assert r.stdout == ""
    assert r.stderr.strip() == line


def _chain(n: int) -> str:
    lines = ["kind: graph", "inputs: {x: 0.5, w: 2}", "nodes:", "  q0: x * w"]
    lines += [f"  q{i}: tanh(q{i - 1}) * w" if i % 2 else f"  q{i}: q{i - 1} + x"
              for i in range(1, n)]
    return "\n".join(lines) + "\n"


def test_a_long_chain_renders_in_every_format(tmp_path):
    p = tmp_path / "chain.yaml"
    p.write_text(_chain(330))                  # 494 operations, staged
    for fmt in ("text", "markdown", "latex", "json"):
        r = invoke("graph", p, "--format", fmt)
        assert r.exit_code == 0, r.output
    assert "too many to draw" in invoke("graph", p).stdout
    p.write_text(_chain(340))
    r = invoke("graph", p)
    assert r.exit_code == 1 and "more than 500" in r.stderr


def test_a_drawn_chain_compiles_with_pdflatex(tmp_path):
    import shutil
    if shutil.which("pdflatex") is None:
        pytest.skip("pdflatex is not installed")
    from test_latex_compile import compile_latex
    p = tmp_path / "chain.yaml"
    p.write_text(_chain(60))                   # 89 operations: drawn, wide
    r = invoke("graph", p, "--format", "latex")
    assert r.exit_code == 0 and "tikzpicture" in r.stdout
    compile_latex(r.stdout, tmp_path)
