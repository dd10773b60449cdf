"""The Markdown and LaTeX renderers on hand-built solutions holding every Block and Expr type."""

from __future__ import annotations

import re
from fractions import Fraction as F

import numpy as np
import pytest

from nnsolve.expr import (Abs, Cases, Deriv, Frac, Mat, Neg, Norm, Num, Paren, Pow, Rel, Seq,
                          Sub, Sum, Sym, Text, add, call, mul, num)
from nnsolve.render import RenderOptions, render
from nnsolve.render.latex_math import LatexMathPrinter, latex_text
from nnsolve.render.markdown import md_text
from nnsolve.solution import (Equation, Grid, Network, Note, Paragraph, Section, Solution,
                              Table)


def objarr(rows):
    return np.array([[F(x) for x in r] for r in rows], dtype=object)


def tex(e, **kw) -> str:
    return LatexMathPrinter(RenderOptions(**kw)).doprint(e)


def mdmath(e, **kw) -> str:
    return LatexMathPrinter(RenderOptions(**kw), markdown=True).doprint(e)


dJ = Deriv(Sym("J"), Sym("w", sup=3, sub=(1, 2)))


def every_block_solution() -> Solution:
    """A solution using every block and every formula node, with awkward text in it."""
    W = objarr([[-1, 1], [1, -1]])
    x = np.array([F(3), F(-3)], dtype=object)
    relu_grad = Cases(((num(1), Seq((Text("iff"), Rel(Sym("a", sup=1, sub=1), ">", num(0))),
                                    " ")),
                       (num(0), Text("else"))))
    big = np.arange(12 * 20, dtype=float).reshape(12, 20) / 7
    return Solution(
        kind="backprop", title="1.2 A three-layer ReLU network & 100% of $5_#",
        blocks=[
            Section("Forward pass", [
                Paragraph("We write the network (η = 0.01, ∂J/∂w⁽³⁾₁,₂ ≈ −18, ŷ, x̂) as ",
                          Sym("h", sup=1), " = ", call("relu", Sym("a", sup=1)), "."),
                Equation([Sym("a", sup=1), mul(Sym("W", sup=1), Sym("x")),
                          mul(Mat(np.array([[F(1)], [F(-1)]], dtype=object)), num(3)),
                          Mat(x)]),
                Equation([Sym("h", sup=2), call("relu", Mat(x)), Mat(np.array([F(3), F(0)],
                                                                              dtype=object))],
                         label="6"),
                Section("Layer 2", [
                    Equation([Sym("y", hat=True), mul(Mat(W), Mat(x)), Mat(W @ x)]),
                    Equation([Sym("p"), Num(F(2, 3)), Num(1 / 3)]),
                ]),
            ]),
            Section("Backward pass", [
                Equation([dJ, mul(Deriv(Sym("J"), Sym("a", sup=3)), Sym("h", sup=2, sub=2)),
                          mul(num(-6), num(3)), num(-18)]),
                Equation([Deriv(None, Sym("w", sub="i")), Pow(Sym("w", sup=2, sub=1), num(2)),
                          Pow(num(-3), num(2)), Pow(Paren(Sub(Sym("y"), Sym("y", hat=True))),
                                                    num(2))]),
                Equation([Deriv(Sym("h", sup=2, sub=1), Sym("a", sup=2, sub=1)), relu_grad,
                          num(0)]),
                Equation([Sym("delta"), add(mul(num(0), num(-1), num(1)),
                                            mul(num(-6), num(1), num(1)), num(-2), Neg(Sym("x"))),
                          num(-6)]),
                Equation([Sym("w", sup=3, sub=(1, 2)), Sub(num(1), mul(Sym("eta"), num(-18))),
                          num(F(118, 100))], rels=["←", "="]),
                Equation([Sym("g"), Frac(num(1), add(num(1), call("exp", Neg(Sym("a"))))),
                          Num(0.5932699921071872)]),
                Equation([Norm(Sym("w", bold=True), sub="p", power="p"),
                          Sum(Pow(Abs(Sym("w", sub="i")), Sym("p")), index="i"),
                          Sum(Sym("w", sub="j", power="p"), index="j", lower=1, upper="n"),
                          Sym("w", sup=1, sub="i", power="p")]),
                Equation([call("sign", Sym("w")), call("sigma", Sym("a"), prime=True),
                          call("tanh", Sym("a")), call("softmax", Sym("a")),
                          mul(Sym("a"), Sym("b"), op="hadamard"),
                          mul(Sym("a"), Sym("b"), op="times"),
                          mul(num(2), Sym("alpha"), Sym("w"), op="juxt"),
                          Num(1.5e-9), Num(F(-7, 3)), Num(F(1, 10**20))],
                         rels=["=", "<", "≤", "≥", "≠", "=", "≈", "→", "∈"]),
                Equation([Sym("W_big"), Mat(big)]),
                Equation([Sym("T"), Mat(np.arange(18).reshape(2, 3, 3))]),
                Equation([Sym("L"), Seq((Num(1), Num(2), Num(3))),
                          Seq((Sym("a"), Sym("b")), sep=" and ")]),
                Note("ReLU′(0) = 0 here; the sheet's eq. 47 writes 0.1 where η = 0.01 {sic} ~ ^ \\."),
            ]),
            Section("Convolution", [
                Grid(objarr([[0, 0, 0, 0], [0, 1, 2, 3], [0, 4, 5, 6], [0, 1, 5, 3]]),
                     marked=frozenset({(1, 1), (1, 2), (2, 1), (2, 2)}),
                     caption="Window O_1,1 | rows 1–2"),
                Grid(np.arange(30 * 30).reshape(30, 30), marked=frozenset({(0, 0)})),
                Table(["Layer", "Output shape", "Parameters", "Formula"],
                      [["conv_1 | 3×3", "2 × 3 × 3", 10, mul(num(2), add(num(4), num(1)))],
                       ["pool", "2 × 1 × 1", 0, None],
                       ["total", "", F(10), Num(0.25)]],
                      caption="Shapes & parameters", align=["left", "center", "right", "left"]),
            ]),
            Table(["i", "value"], [[i, Num(F(i, 7))] for i in range(80)], caption="Long"),
            Network([("input x", [3]), ("hidden " "h⁽¹⁾", [F(3), F(0)]),
                     (Sym("h", sup=2), [num(0), Num(F(2, 3)), "a=1"]),
                     ("output ŷ", [[num(3), "ok"]]),
                     ("wide", list(range(20)))], caption="The network, forward values"),
        ],
        data={"loss": 9})


# --- the maths printer ------------------------------------------------------------------------

def test_symbols_and_derivatives():
    assert tex(dJ) == r"\frac{\partial J}{\partial w^{(3)}_{1,2}}"
    assert tex(Sym("y", hat=True)) == r"\hat{y}"
    assert tex(Sym("eta")) == r"\eta"
    assert tex(Deriv(None, Sym("w", sub="i"))) == r"\frac{\partial}{\partial w_{i}}"
    assert tex(Norm(Sym("w", bold=True), sub="p", power="p")) == \
        r"\left\lVert \mathbf{w} \right\rVert_{p}^{p}"


def test_negative_numbers_in_products_and_sums_are_parenthesised():
    assert tex(mul(num(-6), num(-1), num(0))) == r"-6 \cdot \left(-1\right) \cdot 0"
    assert tex(add(mul(num(0), num(-1)), mul(num(-6), num(1)))) == \
        r"0 \cdot \left(-1\right) + \left(-6\right) \cdot 1"
    assert tex(Sub(num(1), mul(num(F(1, 100)), num(-18)))) == \
        r"1 - 0.01 \cdot \left(-18\right)"
    assert tex(Sub(num(6), num(-3))) == r"6 - \left(-3\right)"


def test_power_never_double_superscript():
    assert tex(Pow(Sym("h", sup=3), num(2))) == "{h^{(3)}}^{2}"
    assert tex(Pow(num(-3), num(2))) == r"{\left(-3\right)}^{2}"
    assert tex(Sym("w", sup=1, sub="i", power="p")) == "{w^{(1)}_{i}}^{p}"


def test_exact_fractions():
    assert tex(Num(F(2, 3)), exact=True) == r"\frac{2}{3}"
    assert tex(Num(F(-2, 3)), exact=True) == r"-\frac{2}{3}"
    assert tex(Num(F(2, 3))) == "0.666667"
    assert tex(Num(F(1, 8)), exact=True) == "0.125"
    assert mdmath(Num(F(2, 3)), exact=True) == r"\frac{2}{3}"


def test_scientific_notation():
    assert tex(Num(1.5e-9)) == r"1.5 \cdot 10^{-9}"


def test_matrices_are_pmatrix_and_large_ones_are_truncated():
    assert tex(Mat(objarr([[1, 0], [0, 1]]))) == \
        r"\begin{pmatrix} 1 & 0 \\ 0 & 1 \end{pmatrix}"
    assert tex(Mat(np.array([F(3), F(-3)], dtype=object))) == \
        r"\begin{pmatrix} 3 \\ -3 \end{pmatrix}"
    s = tex(Mat(np.zeros((40, 40))))
    first_row = s.split(r"\\")[0]
    assert first_row.count("&") + 1 <= 10 and r"\cdots" in s and r"\vdots" in s \
        and r"\ddots" in s


def test_cases():
    c = Cases(((num(1), Rel(Sym("a"), ">", num(0))), (num(0), Text("else"))))
    assert tex(c) == r"\begin{cases} 1 & a > 0 \\ 0 & \text{else} \end{cases}"
    assert mdmath(c) == r"\begin{cases} 1 & a \gt 0 \cr 0 & \text{else} \end{cases}"


def test_latex_text_escapes_specials_and_maps_unicode():
    t = latex_text("100% of $5 & #1_a {x} ~ ^ \\ η ∂J/∂w ≈ −3 ŷ w⁽³⁾₁")
    assert t.startswith(r"100\% of \ensuremath{\$}5 \& \#1\_a \ensuremath{\{}x\ensuremath{\}} "
                        r"\~{} \^{} \ensuremath{\backslash} ")
    assert r"\ensuremath{\eta}" in t and r"\ensuremath{\partial}J" in t
    assert r"\ensuremath{\approx}" in t and r"\ensuremath{-}3" in t
    assert r"\hat{y}" in t and r"\ensuremath{^{(3)}}" in t and r"\ensuremath{_{1}}" in t
    assert all(ord(c) < 128 for c in t)


def test_latex_text_keeps_the_accent_of_a_precomposed_letter():
    # ṽ (U+1E7D, RMSprop's centered variance) and ḡ have no decomposed form in the text: their
    # accent was dropped ("ṽ" printed as "v"); Latin-1 letters (ñ, é) stay text
    t = latex_text("ṽ = v − ḡ², Año é")
    assert t.startswith(r"\ensuremath{\tilde{v}} = v ") and r"\ensuremath{\bar{g}}" in t
    assert t.endswith("Año é")


def test_markdown_text_is_inert():
    assert md_text("a*b_c $x$ |y| <b>") == r"a\*b\_c \$x\$ \|y\| &lt;b&gt;"
    assert md_text("1. not a list") == r"1\. not a list"


# --- whole documents ------------------------------------------------------------------------

def test_latex_document_structure():
    out = render(every_block_solution(), "latex")
    assert out.startswith(r"\documentclass") and out.rstrip().endswith(r"\end{document}")
    assert r"\usepackage{amsmath}" in out
    assert r"\section*{1.2 A three-layer ReLU network \& 100\% of \ensuremath{\$}5\_\#}" in out
    assert r"\subsection*{Forward pass}" in out and r"\subsubsection*{Layer 2}" in out
    assert r"\begin{tikzpicture}" in out and r"\cellcolor" in out and r"\toprule" in out
    assert r"\tag{6}" in out
    assert r"\leftarrow" in out and r"\approx 0.59327" in out
    assert all(ord(c) < 128 for c in out)


def test_latex_fragment_is_the_body_alone():
    out = render(every_block_solution(), "latex", fragment=True)
    assert r"\documentclass" not in out and r"\begin{document}" not in out
    assert r"\end{document}" not in out and r"\section*{" in out


def test_latex_approx_relation_and_exact():
    sol = Solution("x", None, [Equation([Sym("p"), Frac(num(2), num(3)), Num(F(2, 3))])], {})
    assert r"\approx 0.666667" in render(sol, "latex", fragment=True)
    assert r"= \frac{2}{3}" in render(sol, "latex", fragment=True, exact=True)
    assert "2/3" in render(sol, "text", exact=True)


def test_latex_long_equation_is_broken_at_relations():
    out = render(every_block_solution(), "latex", fragment=True)
    assert r"\begin{aligned}" in out and "&=" in out


def _math_regions(md: str):
    return re.findall(r"\$\$\n(.*?)\n\$\$", md, re.S) + \
        re.findall(r"(?<![$\\])\$(?!\$)(.+?)(?<!\\)\$", re.sub(r"\$\$\n.*?\n\$\$", "", md,
                                                               flags=re.S))


def test_markdown_document():
    md = render(every_block_solution(), "markdown")
    assert md.startswith("# 1.2 A three-layer ReLU network")
    assert "## Forward pass" in md and "### Layer 2" in md
    assert "$$\n" in md and r"\begin{pmatrix}" in md
    assert "**5**" in md                      # the marked window cell in the grid table
    assert "| :---: |" not in md
    assert re.search(r"^\|(:?---:?\|)+$", md, re.M)   # a pipe-table delimiter row
    assert "> **Note:**" in md


def test_markdown_maths_survives_githubs_markdown_pass():
    """No \\\\, \\{, \\, (Markdown escapes) and no < or > (HTML) inside the maths."""
    md = render(every_block_solution(), "markdown", exact=True)
    regions = _math_regions(md)
    assert len(regions) > 10
    for m in regions:
        assert not re.search(r"\\[!-/:-@\[-`{-~]", m), m
        assert "<" not in m and ">" not in m, m
    for line in md.splitlines():
        if line.startswith("|"):        # a table row: its cells' maths holds no pipe
            cells = re.split(r"(?<!\\)\|", line)[1:-1]
            assert len(cells) == line.count("|") - line.count(r"\|") - 1


def test_markdown_tables_have_a_consistent_column_count():
    md = render(every_block_solution(), "markdown")
    block = []
    for line in md.splitlines() + [""]:
        if line.startswith("|"):
            block.append(line)
        elif block:
            counts = {len(re.split(r"(?<!\\)\|", l)) for l in block}
            assert len(counts) == 1, block
            block = []


@pytest.mark.parametrize("fmt", ["text", "markdown", "latex", "json"])
def test_a_sheet_renders_its_problems_in_order(fmt):
    """A sheet is one Solution (solve_sheet): every format renders it, its problems in order."""
    from nnsolve.load.sheet import SheetProblem
    from nnsolve.sheet import solve_sheet
    from nnsolve.solve import SolveOptions
    from nnsolve.kinds.regularize.spec import from_options
    sheet = SheetProblem("The sheet", [from_options(p="1"), from_options(p="2")],
                         ["First: p = 1", "Second: p = 2"])
    solution = solve_sheet(sheet, SolveOptions())
    out = render(solution, fmt)
    if fmt == "json":
        import json
        assert [d["p"] for d in json.loads(out)] == [1, 2]
    else:
        assert out.index("The sheet") < out.index("First") < out.index("Second")
