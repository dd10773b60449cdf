"""Each formula a solution writes with its numbers is the formula it writes with its symbols, and
its numbers come to the value it states: every equation part made only of numbers (products,
sums, powers, |·|, sign, log, 1/N, ...) is evaluated here, independently of nnsolve's solvers,
and compared with the equation's last part. A formula built twice, once with symbols and once
with numbers, could drift apart unseen; one built once (``expr.both``) cannot, and this test
holds it to its numbers on every example problem (backprop, regularize, graph, conv, pool) and on
random networks."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nnsolve.expr import (Abs, Add, Call, Frac, Mat, Mul, Neg, Num, Paren, Pow, Sub, Sym,
                          both, numbers, symbols)
from nnsolve.load import problem_from
from nnsolve.ops import pnorm
from nnsolve.solution import Equation, Section
from nnsolve.solve import SolveOptions, solve

PROBLEMS = Path(__file__).resolve().parent.parent / "problems"


class NotNumeric(Exception):
    """The part holds a symbol, a matrix, or a function this evaluator does not know."""


def evaluate(e):
    """The value of a formula made of numbers only (plain Python, floats beside Fractions)."""
    if isinstance(e, Num):
        return e.value
    if isinstance(e, Paren):
        return evaluate(e.arg)
    if isinstance(e, Neg):
        return -evaluate(e.arg)
    if isinstance(e, Add):
        total = 0
        for t in e.terms:
            total = total + evaluate(t)
        return total
    if isinstance(e, Sub):
        return evaluate(e.left) - evaluate(e.right)
    if isinstance(e, Mul) and e.op in ("dot", "juxt", "times"):
        out = 1
        for f in e.factors:
            out = out * evaluate(f)
        return out
    if isinstance(e, Frac):
        a, b = evaluate(e.num), evaluate(e.den)
        return Fraction(a) / Fraction(b) if _exact(a, b) else float(a) / float(b)
    if isinstance(e, Abs):
        return abs(evaluate(e.arg))
    if isinstance(e, Pow):
        b, x = evaluate(e.base), evaluate(e.exp)
        if _exact(b, x) and Fraction(x).denominator == 1:
            return Fraction(b) ** int(x)
        return float(b) ** float(x)
    if isinstance(e, Call) and not e.prime and len(e.args) == 1:
        x = evaluate(e.args[0])
        if e.name == "sign":
            return (x > 0) - (x < 0)
        if e.name == "log":
            return math.log(x)
        if e.name == "exp":
            return math.exp(x)
    raise NotNumeric(type(e).__name__)


def _exact(*xs) -> bool:
    return all(isinstance(x, (int, Fraction)) for x in xs)


def equations(blocks):
    for b in blocks:
        if isinstance(b, Section):
            yield from equations(b.blocks)
        elif isinstance(b, Equation):
            yield b


def checked_parts(solution) -> int:
    """Assert every numbers-only part of every equation equals the equation's last number;
    return how many parts were checked."""
    n = 0
    for eq in equations(solution.blocks):
        last = eq.parts[-1]
        if not isinstance(last, Num) or len(eq.parts) < 3:
            continue
        want = last.value
        for part in eq.parts[1:-1]:
            try:
                got = evaluate(part)
            except (NotNumeric, ValueError, ZeroDivisionError, OverflowError):
                continue
            if _exact(got, want):
                assert got == want, (eq.parts, got, want)
            else:
                assert math.isclose(float(got), float(want), rel_tol=1e-9, abs_tol=1e-12), \
                    (eq.parts, got, want)
            n += 1
    return n


def test_both_fills_one_formula_with_symbols_and_with_numbers():
    w = Sym("w")
    sym, num = both(lambda at: Add((Mul((at(Sym("a"), 2), at(w, Fraction(1, 3)))),
                                   at(Sym("b"), Mat(np.array([1, 2]))))))
    assert [type(t) for t in sym.terms] == [Mul, Sym]
    assert sym.terms[0].factors[1] is w
    assert [f.value for f in num.terms[0].factors] == [2, Fraction(1, 3)]
    assert isinstance(num.terms[1], Mat)          # a value that is a formula already stays one
    assert symbols(w, 5) is w and numbers(w, 5).value == 5


@given(st.sampled_from([1, 2, 3, Fraction(1, 2), Fraction(3, 2)]),
       st.sampled_from([Fraction(1, 10), Fraction(1, 100), 1]),
       st.integers(-4, 4), st.sampled_from([1, 2, 3]))
def test_the_penalty_gradient_formula_comes_to_pnorm_gradient(p, alpha, n, d):
    """α·p·|w|^(p−1)·sign(w) with its numbers equals ops/pnorm.py's gradient (the subgradient
    0 at w = 0 for p ≤ 1)."""
    wv = Fraction(n, d)
    sym, num = pnorm.gradient_forms(Sym("w"), wv, p, alpha)
    want = pnorm.gradient(np.array([wv], dtype=object), p, alpha)[0]
    got = evaluate(num)
    assert math.isclose(float(got), float(want), rel_tol=1e-12, abs_tol=1e-15)
    assert isinstance(sym.factors[0], Sym) and sym.factors[0].name == "alpha"


EXAMPLES = sorted(p for p in PROBLEMS.glob("*.yaml")
                  if yaml.safe_load(p.read_text()).get("kind") in
                  ("backprop", "regularize", "graph", "conv", "pool"))


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_every_example_writes_numbers_that_come_to_its_values(path):
    sol = solve(problem_from(path), SolveOptions(detail="full"))
    checked_parts(sol)


def test_the_check_reaches_the_formulas_built_once():
    """The evaluator is not vacuous: on the examples it checks the lines of the loss gradient,
    the activation's derivative, a weight's gradient with its penalty, the bias and the update."""
    total = sum(checked_parts(solve(problem_from(p), SolveOptions(detail="full")))
                for p in EXAMPLES)
    assert total > 200


@st.composite
def dense_problems(draw):
    """A dense network with every loss shape: sizes, biases, activations, a batch (mean or
    sum), the p-norm penalty, exact fractions."""
    sizes = draw(st.lists(st.integers(1, 3), min_size=2, max_size=4))
    loss = draw(st.sampled_from(["squared_error", "half_squared_error", "mse", "cross_entropy",
                                 "binary_cross_entropy"]))
    if loss == "cross_entropy":
        sizes[-1] = max(sizes[-1], 2)
    fr = st.builds(Fraction, st.integers(-4, 4), st.sampled_from([1, 2, 4]))
    layers = []
    for i, (a, b) in enumerate(zip(sizes, sizes[1:])):
        last = i == len(sizes) - 2
        act = {"cross_entropy": "softmax", "binary_cross_entropy": "sigmoid"}.get(loss) \
            if last else None
        if act is None:
            act = draw(st.sampled_from(["relu", "linear", "leaky_relu", "tanh", "sigmoid"]))
        layer = {"weights": [[str(draw(fr)) for _ in range(a)] for _ in range(b)],
                 "activation": act}
        if draw(st.booleans()):
            layer["bias"] = [str(draw(fr)) for _ in range(b)]
        layers.append(layer)
    N = draw(st.integers(1, 2))
    K = sizes[-1]

    def target():
        if loss == "cross_entropy":
            return draw(st.integers(0, K - 1))
        if loss == "binary_cross_entropy":
            return [draw(st.sampled_from([0, 1])) for _ in range(K)]
        return [str(draw(fr)) for _ in range(K)]
    doc = {"kind": "backprop", "layers": layers, "loss": loss, "learning_rate": "1/10",
           "reduction": draw(st.sampled_from(["mean", "sum"]))}
    if N == 1:
        doc["input"] = [str(draw(fr)) for _ in range(sizes[0])]
        doc["target"] = target()
    else:
        doc["samples"] = [{"input": [str(draw(fr)) for _ in range(sizes[0])],
                           "target": target()} for _ in range(N)]
    if draw(st.booleans()):
        doc["regularization"] = {"p": draw(st.sampled_from([1, 2, 3])), "alpha": "1/10"}
    return doc


@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(dense_problems())
def test_random_networks_write_numbers_that_come_to_their_values(doc):
    sol = solve(problem_from(doc), SolveOptions(detail="full"))
    assert checked_parts(sol) > 0
