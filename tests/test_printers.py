"""The text and LaTeX printers put parentheses in the same places and decide '=' or '≈' from the
cells they show (issue 13 item 5).

Each printed formula is read back by a small parser written here, independent of the printers:
it reads the notation as a person does (a sign only where an expression starts, ``/`` before
``·``, ``−x²`` as ``−(x²)``, a superscript on the last thing before it) and refuses what a person
could misread (``a − −b``, ``2 3``, ``{-3}^{2}``). The value read back must be the value of the
tree, and the parentheses the text shows must be those the LaTeX shows.
"""

from __future__ import annotations

import re
from fractions import Fraction as F

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from nnsolve.expr import (Add, Call, Frac, Mat, Mul, Neg, Num, Paren, Pow, Sqrt, Sub, Sum, Sym)
from nnsolve.render import RenderOptions, render
from nnsolve.render.latex_math import LatexMathPrinter
from nnsolve.render.unicode import UnicodePrinter
from nnsolve.solution import Equation, Paragraph, Solution, Table


class Misread(Exception):
    """The printed formula can be read in more than one way (or not at all)."""


FUNCS = {"max": max, "relu": lambda x: max(F(0), x), "dbl": lambda x: 2 * x}
ENV = {"a": F(2), "b": F(-3), "x": F(5, 2)}
_SUPERS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁽⁾ᵃᵇˣ", "0123456789+-()abx"))


# --- tokenizers -----------------------------------------------------------------------------
def text_tokens(s: str) -> list:
    """Tokens of the terminal's one-line formula."""
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == " ":
            i += 1
        elif c in "0123456789":
            m = re.match(r"\d+(\.\d+)?", s[i:])
            out.append(("num", F(m.group())))
            i += m.end()
        elif c in "-−":
            out.append(("-",))
            i += 1
        elif c in "+/(),":
            out.append((c,))
            i += 1
        elif c in "·×⊙":
            out.append(("*",))
            i += 1
        elif c == "√":
            out.append(("sqrt", None))
            i += 1
        elif c in _SUPERS:
            j = i
            while j < len(s) and s[j] in _SUPERS:
                j += 1
            out.append(("sup", text_tokens("".join(_SUPERS[ch] for ch in s[i:j]))))
            i = j
        elif c == "^":
            if s[i + 1:i + 2] != "(":
                raise Misread(f"^ without (: {s!r}")
            depth, j = 0, i + 1
            while True:
                depth += {"(": 1, ")": -1}.get(s[j], 0)
                if depth == 0:
                    break
                j += 1
            out.append(("sup", text_tokens(s[i + 2:j])))
            i = j + 1
        elif c.isalpha() and c.isascii():
            m = re.match(r"[A-Za-z]+", s[i:])
            word = m.group()
            i += m.end()
            if word in FUNCS and s[i:i + 1] == "(":
                out.append(("func", word))
            elif all(ch in ENV for ch in word):
                out.extend(("sym", ch) for ch in word)     # juxtaposed symbols: ab
            else:
                raise Misread(f"unknown name {word!r} in {s!r}")
        else:
            raise Misread(f"unexpected {c!r} in {s!r}")
    return out


def _brace_group(s: str, i: int) -> tuple[str, int]:
    """The text of the {...} group at s[i] and the index after it."""
    if s[i] != "{":
        raise Misread(f"expected {{ at {i} of {s!r}")
    depth = 0
    for j in range(i, len(s)):
        depth += {"{": 1, "}": -1}.get(s[j], 0)
        if depth == 0:
            return s[i + 1:j], j + 1
    raise Misread(f"unclosed brace in {s!r}")


_LATEX_FUNCS = {r"\max": "max", r"\operatorname{ReLU}": "relu", r"\operatorname{{dbl}}": "dbl"}


def latex_tokens(s: str) -> list:
    """Tokens of LaTeX maths (what the page shows: braces group without being seen)."""
    out, i = [], 0
    while i < len(s):
        c = s[i]
        if c == " ":
            i += 1
            continue
        for cmd, name in _LATEX_FUNCS.items():
            if s.startswith(cmd, i):
                out.append(("func", name))
                i += len(cmd)
                break
        else:
            if s.startswith(r"\left(", i):
                out.append(("(",))
                i += 6
            elif s.startswith(r"\right)", i):
                out.append((")",))
                i += 7
            elif s.startswith(r"\cdot", i) or s.startswith(r"\times", i) or \
                    s.startswith(r"\odot", i):
                out.append(("*",))
                i += 5 if s.startswith(r"\cdot", i) or s.startswith(r"\odot", i) else 6
            elif s.startswith(r"\frac", i):
                num, i = _brace_group(s, i + 5)
                den, i = _brace_group(s, i)
                out.append(("frac", latex_tokens(num), latex_tokens(den)))
            elif s.startswith(r"\sqrt", i):
                arg, i = _brace_group(s, i + 5)
                out.append(("sqrt", latex_tokens(arg)))
            elif c == "{":
                inner, i = _brace_group(s, i)
                out.append(("brace", latex_tokens(inner)))
            elif c == "^":
                inner, i = _brace_group(s, i + 1)
                out.append(("sup", latex_tokens(inner)))
            elif c in "0123456789":
                m = re.match(r"\d+(\.\d+)?", s[i:])
                out.append(("num", F(m.group())))
                i += m.end()
            elif c in "+-,":
                out.append((c,))
                i += 1
            elif c in ENV:
                out.append(("sym", c))
                i += 1
            else:
                raise Misread(f"unexpected {s[i:i + 12]!r} in {s!r}")
    return out


# --- the parser -----------------------------------------------------------------------------
class Reader:
    """Reads tokens into a tree: ("num", v), ("sym", n), ("call", n, args), ("paren", e),
    ("neg", e), ("+"/"-"/"*"/"/"/"^", a, b), ("sqrt", e)."""

    def __init__(self, tokens):
        self.t = list(tokens)
        self.i = 0

    def peek(self):
        return self.t[self.i] if self.i < len(self.t) else ("end",)

    def take(self, kind=None):
        tok = self.peek()
        if kind is not None and tok[0] != kind:
            raise Misread(f"expected {kind}, found {tok[0]}")
        self.i += 1
        return tok

    def whole(self):
        e = self.expr()
        if self.peek()[0] != "end":
            raise Misread(f"left over: {self.t[self.i:]}")
        return e

    def expr(self):
        e = self.term(first=True)
        while self.peek()[0] in "+-" and self.peek()[0] in ("+", "-"):
            op = self.take()[0]
            e = (op, e, self.term(first=False))
        return e

    def _starts_factor(self) -> bool:
        return self.peek()[0] in ("num", "sym", "func", "(", "sqrt", "frac", "brace")

    def term(self, first):
        e = self.quot(first)
        while True:
            k = self.peek()[0]
            if k == "*":
                self.take()
                e = ("*", e, self.quot(False))
            elif self._starts_factor():          # juxtaposed: 2x, x(a + b)
                tok = self.peek()
                if tok[0] == "num" or (tok[0] == "frac" and tok[1][:1] and
                                       tok[1][0][0] == "num"):
                    raise Misread("a number right after a factor (2 3 reads 23)")
                e = ("*", e, self.quot(False))
            else:
                return e

    def quot(self, first):
        # an inline a/b binds tighter than a written product sign: c · a/b is c · (a/b)
        e = self.unary(first)
        while self.peek()[0] == "/":
            self.take()
            e = ("/", e, self.unary(False))
        return e

    def unary(self, first):
        if self.peek()[0] == "-":
            if not first:
                raise Misread("a minus sign right after an operator (a − −b)")
            self.take()
            return ("neg", self.power())
        return self.power()

    def power(self):
        tok = self.peek()
        if tok[0] == "brace":            # LaTeX {base}^{exp}: the page shows no brace
            self.take()
            if self.peek()[0] == "sup":
                inner = Reader(tok[1])
                base = inner.primary()
                if inner.peek()[0] != "end":
                    raise Misread("a superscript after more than one thing ({-3}^{2})")
            else:
                base = Reader(tok[1]).whole()
        else:
            base = self.primary()
        if self.peek()[0] == "sup":
            base = ("^", base, Reader(self.take()[1]).whole())
            if self.peek()[0] == "sup":
                raise Misread("two superscripts in a row")
        return base

    def primary(self):
        tok = self.take()
        k = tok[0]
        if k == "num":
            return ("num", tok[1])
        if k == "sym":
            return ("sym", tok[1])
        if k == "func":
            self.take("(")
            args = [self.expr()]
            while self.peek()[0] == ",":
                self.take()
                args.append(self.expr())
            self.take(")")
            return ("call", tok[1], tuple(args))
        if k == "(":
            e = self.expr()
            self.take(")")
            return ("paren", e)
        if k == "sqrt":
            if tok[1] is not None:                 # LaTeX \sqrt{...}
                return ("sqrt", Reader(tok[1]).whole())
            return ("sqrt", self.primary())        # text: √ takes what follows
        if k == "frac":
            return ("/", Reader(tok[1]).whole(), Reader(tok[2]).whole())
        raise Misread(f"unexpected {k}")


def value(t):
    """The value of a tree read back (exact, or a float through a square root)."""
    k = t[0]
    if k == "num":
        return t[1]
    if k == "sym":
        return ENV[t[1]]
    if k == "paren":
        return value(t[1])
    if k == "neg":
        return -value(t[1])
    if k == "call":
        return FUNCS[t[1]](*[value(a) for a in t[2]])
    if k == "sqrt":
        return value(t[1]) ** 0.5
    a, b = value(t[1]), value(t[2])
    return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b, "/": lambda: a / b,
            "^": lambda: a ** b}[k]()


def signature(t):
    """The tree read back with the parentheses a stacked fraction (LaTeX) makes needless: around
    its sides, around a sign (a fraction is a fraction with its sign in front), around a
    radicand or an exponent (each its own group on the page)."""
    def strip(x):
        while x[0] == "paren":
            x = x[1]
        return x
    k = t[0]
    if k in ("num", "sym"):
        return t
    if k == "call":
        return ("call", t[1], tuple(signature(a) for a in t[2]))
    if k == "/":
        num, den = strip(signature(t[1])), strip(signature(t[2]))
        if num[0] == "neg":
            return ("neg", ("/", strip(num[1]), den))
        return ("/", num, den)
    if k == "paren":
        inner = signature(t[1])
        if inner[0] == "neg" and inner[1][0] == "/":
            return inner
        return ("paren", inner)
    if k == "neg":
        return ("neg", signature(t[1]))
    if k == "sqrt":
        return ("sqrt", strip(signature(t[1])))
    if k == "^":
        return ("^", signature(t[1]), strip(signature(t[2])))
    return (k, signature(t[1]), signature(t[2]))


def tree_value(e):
    """The value of a formula tree, computed from the nodes (no printer involved)."""
    if isinstance(e, Num):
        return F(e.value)
    if isinstance(e, Sym):
        return ENV[e.name]
    if isinstance(e, Paren):
        return tree_value(e.arg)
    if isinstance(e, Neg):
        return -tree_value(e.arg)
    if isinstance(e, Add):
        return sum((tree_value(t) for t in e.terms), F(0))
    if isinstance(e, Sub):
        return tree_value(e.left) - tree_value(e.right)
    if isinstance(e, Mul):
        out = F(1)
        for f in e.factors:
            out *= tree_value(f)
        return out
    if isinstance(e, Frac):
        return tree_value(e.num) / tree_value(e.den)
    if isinstance(e, Pow):
        return tree_value(e.base) ** tree_value(e.exp)
    if isinstance(e, Call):
        return FUNCS[e.name](*[tree_value(a) for a in e.args])
    if isinstance(e, Sqrt):
        return tree_value(e.arg) ** 0.5
    if isinstance(e, Sum):
        return tree_value(e.body)          # (a one-term sum, for the reading alone)
    raise TypeError(e)


OPTIONS = RenderOptions(exact=True)


def printed(e, options=OPTIONS) -> tuple[str, str]:
    """The formula as the terminal and as LaTeX show it."""
    return UnicodePrinter(options).line(e), LatexMathPrinter(options).doprint(e)


def read_both(e, options=OPTIONS):
    text, tex = printed(e, options)
    try:
        t = Reader(text_tokens(text)).whole()
    except Misread as m:
        raise AssertionError(f"text {text!r} misreads: {m}") from None
    try:
        lt = Reader(latex_tokens(tex)).whole()
    except Misread as m:
        raise AssertionError(f"LaTeX {tex!r} misreads: {m}") from None
    return text, tex, t, lt


def check_formula(e, options=OPTIONS):
    """Both printings read back to the tree's value, with parentheses in the same places."""
    text, tex, t, lt = read_both(e, options)
    want = tree_value(e)
    for shown, tree in ((text, t), (tex, lt)):
        got = value(tree)
        if isinstance(got, float) or isinstance(want, float):
            assert got == pytest.approx(float(want), rel=1e-9), (shown, got, want)
        else:
            assert got == want, f"{shown!r} reads {got}, the formula is {want}"
    assert signature(t) == signature(lt), f"parentheses differ: {text!r} vs {tex!r}"


# --- formulas by hand -------------------------------------------------------------------------
a, b, x = Sym("a"), Sym("b"), Sym("x")

CASES = [
    # (formula, text, LaTeX)
    (Sub(a, Neg(b)), "a − (−b)", r"a - \left(-b\right)"),
    (Sub(a, Num(-3)), "a − (-3)", r"a - \left(-3\right)"),
    (Add((a, Neg(b))), "a + (−b)", r"a + \left(-b\right)"),
    (Neg(Neg(a)), "−(−a)", r"-\left(-a\right)"),
    (Neg(Num(-3)), "−(-3)", r"-\left(-3\right)"),
    (Mul((Num(-6), Num(-1), Num(0))), "-6 · (-1) · 0", r"-6 \cdot \left(-1\right) \cdot 0"),
    (Add((Mul((Num(0), Num(-1))), Mul((Num(-6), Num(1))))), "0 · (-1) + (-6) · 1",
     r"0 \cdot \left(-1\right) + \left(-6\right) \cdot 1"),
    (Sub(Num(1), Mul((Num(F(1, 100)), Num(-18)))), "1 − 0.01 · (-18)",
     r"1 - 0.01 \cdot \left(-18\right)"),
    (Mul((Num(2), Neg(Pow(Num(3), Num(2))))), "2 · (−3²)", r"2 \cdot \left(-{3}^{2}\right)"),
    (Pow(Num(-3), Num(2)), "(-3)²", r"{\left(-3\right)}^{2}"),
    (Neg(Pow(Num(3), Num(2))), "−3²", r"-{3}^{2}"),
    (Pow(Num(F(2, 3)), Num(2)), "(2/3)²", r"{\left(\frac{2}{3}\right)}^{2}"),
    (Pow(Pow(x, Num(2)), Num(3)), "(x²)³", r"{\left({x}^{2}\right)}^{3}"),
    (Pow(Mul((a, b)), Num(2)), "(a · b)²", r"{\left(a \cdot b\right)}^{2}"),
    (Pow(Call("relu", (a,)), Num(2)), "relu(a)²",
     r"{\operatorname{ReLU}\left(a\right)}^{2}"),
    (Mul((Num(2), Num(3)), "juxt"), "2 · 3", r"2 \cdot 3"),
    (Mul((Num(2), x), "juxt"), "2x", "2 x"),
    (Mul((Num(2), Frac(Num(1), Num(2))), "juxt"), "2 · 1/2", r"2 \cdot \frac{1}{2}"),
    (Mul((Num(2), Add((a, b))), "juxt"), "2 (a + b)", r"2 \left(a + b\right)"),
    (Frac(Add((a, b)), x), "(a + b)/x", r"\frac{a + b}{x}"),
    (Frac(Mul((a, b)), x), "(a · b)/x", r"\frac{a \cdot b}{x}"),
    (Frac(a, Mul((b, x))), "a/(b · x)", r"\frac{a}{b \cdot x}"),
    (Frac(a, Neg(b)), "a/(−b)", r"\frac{a}{-b}"),
    (Frac(Neg(a), b), "−a/b", r"\frac{-a}{b}"),
    (Mul((Num(F(1, 10)), Frac(Num(-8.75), Num(2)))), "0.1 · (-8.75/2)",
     r"0.1 \cdot \frac{-8.75}{2}"),
    (Mul((a, Frac(b, x))), "a · b/x", r"a \cdot \frac{b}{x}"),
    (Mul((Frac(b, x), a)), "b/x · a", r"\frac{b}{x} \cdot a"),
    (Add((a, Add((b, x)))), "a + (b + x)", r"a + \left(b + x\right)"),
    (Sub(Add((a, b)), x), "a + b − x", r"a + b - x"),
    (Sub(a, Sub(b, x)), "a − (b − x)", r"a - \left(b - x\right)"),
    (Mul((a, Mul((b, x), "hadamard"))), "a · (b ⊙ x)", r"a \cdot \left(b \odot x\right)"),
    (Mul((Sum(x, "i"), a)), "(Σᵢ x) · a", r"\left(\sum_{i} x\right) \cdot a"),
    (Mul((a, Sum(x, "i"))), "a · Σᵢ x", r"a \cdot \sum_{i} x"),
    (Frac(a, Sum(x, "i")), "a/Σᵢ x", r"\frac{a}{\sum_{i} x}"),
    (Frac(Sum(x, "i"), a), "(Σᵢ x)/a", r"\frac{\sum_{i} x}{a}"),
    (Sqrt(Num(F(2, 3))), "√(2/3)", r"\sqrt{\frac{2}{3}}"),
    (Sqrt(Pow(x, Num(2))), "√(x²)", r"\sqrt{{x}^{2}}"),
    (Pow(Sqrt(x), Num(2)), "(√x)²", r"{\left(\sqrt{x}\right)}^{2}"),
    (Call("max", (Num(-3), Neg(a))), "max(-3, −a)", r"\max\left(-3, -a\right)"),
]


@pytest.mark.parametrize("e,text,tex", CASES, ids=[c[1] for c in CASES])
def test_parentheses_by_hand(e, text, tex):
    assert printed(e) == (text, tex)
    if not any(isinstance(n, Sum) for n in _nodes(e)):      # (the reader knows no Σ)
        check_formula(e)


def _nodes(e):
    yield e
    for name in e._fields:
        v = getattr(e, name)
        for c in (v if isinstance(v, tuple) else (v,)):
            if hasattr(c, "_fields"):
                yield from _nodes(c)


def test_a_minus_minus_b_is_refused_by_the_reader():
    """The reader is strict: without the parentheses the formula is refused (on main's text
    printer, Sub(a, Neg(b)) printed a − −b)."""
    with pytest.raises(Misread):
        Reader(text_tokens("a − −b")).whole()
    with pytest.raises(Misread):
        Reader(text_tokens("2 · -3²")).whole()
    with pytest.raises(Misread):
        Reader(latex_tokens(r"{-3}^{2}")).whole()
    with pytest.raises(Misread):
        Reader(latex_tokens(r"2 3")).whole()
    assert value(Reader(text_tokens("−3²")).whole()) == -9
    assert Reader(text_tokens("x · a/b")).whole() == \
        ("*", ("sym", "x"), ("/", ("sym", "a"), ("sym", "b")))


# --- random formulas --------------------------------------------------------------------------
NUMBERS = [0, 1, 2, 3, 7, -1, -2, -5, F(1, 2), F(-1, 4), F(3, 2), F(1, 3), F(-2, 3), F(5, 7)]


def leaves():
    return st.one_of(st.sampled_from(NUMBERS).map(Num),
                     st.sampled_from(["a", "b", "x"]).map(Sym))


def exponents():
    return st.one_of(st.sampled_from([0, 1, 2, 3, -1, -2]).map(Num),
                     st.sampled_from([Neg(Num(2)), Add((Num(1), Num(1))), Sub(Num(3), Num(1)),
                                      Neg(Num(-2))]))


def formulas():
    def extend(children):
        return st.one_of(
            st.lists(children, min_size=2, max_size=3).map(lambda ts: Add(tuple(ts))),
            st.tuples(children, children).map(lambda p: Sub(*p)),
            children.map(Neg),
            st.tuples(st.lists(children, min_size=2, max_size=3),
                      st.sampled_from(["dot", "times", "juxt", "hadamard"]))
            .map(lambda p: Mul(tuple(p[0]), p[1])),
            st.tuples(children, exponents()).map(lambda p: Pow(*p)),
            st.tuples(children, children).map(lambda p: Frac(*p)),
            children.map(lambda c: Call("relu", (c,))),
            children.map(lambda c: Call("dbl", (c,))),
            st.tuples(children, children).map(lambda p: Call("max", p)),
        )
    return st.recursive(leaves(), extend, max_leaves=9)


def _defined(e) -> bool:
    try:
        v = tree_value(e)
    except (ZeroDivisionError, OverflowError):
        return False
    return not isinstance(v, complex) and abs(v) < 10 ** 12 and \
        all(_small_powers(n) for n in [e])


def _small_powers(e) -> bool:
    """Powers with whole exponents of a modest size (so the value stays exact and small)."""
    if isinstance(e, Pow):
        try:
            p = tree_value(e.exp)
            base = tree_value(e.base)
        except ZeroDivisionError:
            return False
        if p.denominator != 1 or abs(p) > 4 or abs(F(base).numerator) > 10 ** 6:
            return False
    for name in e._fields:
        v = getattr(e, name)
        for c in (v if isinstance(v, tuple) else (v,)):
            if hasattr(c, "_fields") and not _small_powers(c):
                return False
    return True


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                  HealthCheck.filter_too_much])
@given(formulas(), st.booleans())
def test_random_formulas_read_back_to_their_value_with_the_same_parentheses(e, exact):
    assume(_defined(e))
    if not exact:     # then only numbers a decimal writes exactly
        assume(all(F(n.value).denominator in (1, 2, 4) for n in _nums(e)))
    check_formula(e, RenderOptions(exact=exact))
    # Markdown's LaTeX is the same maths (no subscript here for its `_ ` to change)
    assert LatexMathPrinter(RenderOptions(exact=exact), markdown=True).doprint(e) == \
        LatexMathPrinter(RenderOptions(exact=exact)).doprint(e)


def _nums(e):
    return (n for n in _nodes(e) if isinstance(n, Num))


# --- '=' or '≈' from the cells shown --------------------------------------------------------
def _solution(v, *, paragraph=False):
    m = Mat(v)
    blocks = [Paragraph("v is ", m, ".")] if paragraph else [Equation([Sym("v"), m])]
    return Solution("test", None, blocks, {})


_NUMBER = re.compile(r"-?\d+(?:\.\d+)?")


def shown(fmt: str, v, paragraph=False) -> tuple[str | None, list[str]]:
    """The relation before the matrix ('=' or '≈', None in a paragraph) and the numbers shown
    of it, in the order they are written, by the renderer of ``fmt``."""
    out = render(_solution(v, paragraph=paragraph), fmt, RenderOptions())
    if fmt == "text":
        rel = None if paragraph else ("≈" if " ≈ " in out else "=" if " = " in out else "?")
        body = out.split("v is ", 1)[1] if paragraph else out
        body = body.replace("v ≈", "").replace("v =", "")
        lines = [l for l in body.splitlines() if l.strip()]
        if paragraph:
            cells = _NUMBER.findall(" ".join(lines))
        else:   # the terminal's matrix is laid out over lines: read it row by row
            cells = [c for l in lines for c in _NUMBER.findall(l)]
        return rel, cells
    body = out[out.index(r"\begin{pmatrix}"):out.rindex(r"\end{pmatrix}")]
    head = out[:out.index(r"\begin{pmatrix}")]
    rel = None if paragraph else ("≈" if r"\approx" in head[-40:] else "=")
    return rel, _NUMBER.findall(body)


def check_shown(v):
    """In every format: the same cells shown, and '≈' exactly when one of them is rounded."""
    exact = {F(c) for c in np.asarray(v).ravel()}
    results = {fmt: shown(fmt, v) for fmt in ("text", "markdown", "latex")}
    for fmt, (rel, c) in results.items():
        rounded = any(F(s) not in exact for s in c)
        assert rel == ("≈" if rounded else "="), \
            f"{fmt} writes {rel} before cells {c} ({'some' if rounded else 'none'} rounded)"
    cells = results["text"][1]
    for fmt, (rel, c) in results.items():
        assert c == cells, f"{fmt} shows other cells than the terminal"
    # in running text (no relation) too: the same cells in every format
    para = {fmt: shown(fmt, v, paragraph=True)[1] for fmt in ("text", "markdown", "latex")}
    assert para["text"] == para["markdown"] == para["latex"] == cells
    return cells


def column_with_third(n, row):
    v = np.array([F(i + 1) for i in range(n)], dtype=object).reshape(n, 1)
    v[row - 1, 0] = F(1, 3)
    return v


def test_16_by_1_with_a_third_in_row_8():
    """The issue's case: row 8 of 16 is not shown, so '=' (the LaTeX showed all 16 rows,
    0.333333 after '=')."""
    cells = check_shown(column_with_third(16, 8))
    assert "0.333333" not in cells and len(cells) == 10
    cells = check_shown(column_with_third(16, 2))     # a row that is shown: ≈
    assert "0.333333" in cells


def test_a_vector_is_shown_as_a_column():
    v = np.array([F(i) for i in range(16)], dtype=object)
    v[7] = F(1, 3)
    assert check_shown(v) == ["0", "1", "2", "3", "4", "11", "12", "13", "14", "15"]
    v[14] = F(2, 3)
    assert "0.666667" in check_shown(v)


def test_a_matrix_larger_than_12_by_10():
    v = np.array([[F(i * 15 + j) for j in range(15)] for i in range(20)], dtype=object)
    v[10, 7] = F(1, 3)             # hidden: row 10 and column 7 are in the ellipses
    cells = check_shown(v)
    assert len(cells) == 10 * 8
    v[19, 14] = F(1, 7)           # the corner is shown
    assert "0.142857" in check_shown(v)


@settings(max_examples=40, deadline=None)
@given(st.one_of(st.tuples(st.integers(1, 30)), st.tuples(st.integers(1, 20), st.integers(1, 16))),
       st.data())
def test_the_relation_follows_the_shown_cells(shape, data):
    n = int(np.prod(shape))
    v = np.array([F(i) for i in range(n)], dtype=object).reshape(shape)
    flat = v.reshape(-1)
    k = data.draw(st.integers(0, n - 1))
    flat[k] = F(1, 3)
    check_shown(v)


def test_a_table_cell_shows_the_same_cells_as_the_latex():
    v = np.array([F(i) for i in range(20)], dtype=object)
    sol = Solution("test", None, [Table(["name", "value"], [["v", Mat(v)]])], {})
    text = render(sol, "text", RenderOptions())
    md = render(sol, "markdown", RenderOptions())
    row = [l for l in text.splitlines() if l.strip().startswith("v")][0]
    assert _NUMBER.findall(row) == _NUMBER.findall(md.split("pmatrix}")[1])


@pytest.mark.parametrize("value,rel", [(F(1, 3), "≈"), (F(5, 2), "="), (2 ** 0.5, "≈")])
def test_a_relation_in_running_text_follows_its_number(value, rel):
    """'=' inside a formula of running text (a Rel, or the chain a = b written as a Seq) turns
    to '≈' before a rounded number, in every format (it stayed '=': `∂f/∂d = -0.534447`)."""
    from nnsolve.expr import Rel, Seq, Text
    for e in (Rel(Sym("a"), "=", Num(value)), Seq((Sym("a"), Text(" = "), Num(value)), sep="")):
        sol = Solution("test", None, [Paragraph("so ", e, ".")], {})
        text = render(sol, "text", RenderOptions())
        assert f"a {rel} " in text, text
        for fmt in ("markdown", "latex"):
            out = render(sol, fmt, RenderOptions())
            assert (r"\approx" in out) == (rel == "≈"), out
