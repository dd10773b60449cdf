"""Formulas in Unicode for the terminal, laid out as boxes of lines (matrices span several lines)."""

from __future__ import annotations

import unicodedata

from ..expr import (Abs, Add, Call, Cases, Deriv, Expr, Frac, Mat, Mul, Neg, Norm, Num, Paren,
                    Pow, Rel, Seq, Sqrt, Sub, Sum, Sym, Text)
from .base import Printer, shown_cells
from .precedence import FUNC

GREEK = {"alpha": "α", "beta": "β", "gamma": "γ", "delta": "δ", "eta": "η", "lambda": "λ",
         "mu": "μ", "tau": "τ", "sigma": "σ", "nabla": "∇", "epsilon": "ε", "theta": "θ",
         "partial": "∂", "Sigma": "Σ", "Delta": "Δ"}
_SUP = dict(zip("0123456789+-=()nipTklLjxyabcdefghmorstuvwz−,",
                "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵖᵀᵏˡᴸʲˣʸᵃᵇᶜᵈᵉᶠᵍʰᵐᵒʳˢᵗᵘᵛʷᶻ⁻'"))
_SUB = dict(zip("0123456789+-=()aehijklmnoprstuvx−",
                "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ₋"))
OPS = {"dot": " · ", "times": " × ", "hadamard": " ⊙ ", "juxt": ""}


def script(text, table) -> str | None:
    """Text in super/subscript characters, or None when a character has no such form."""
    out = []
    for ch in str(text):
        if ch == ",":
            out.append(",")
        elif ch in table:
            out.append(table[ch])
        else:
            return None
    return "".join(out)


def sup(text) -> str:
    """A superscript, falling back to ^(…)."""
    s = script(text, _SUP)
    return s if s is not None else f"^({text})"


def sub(text) -> str:
    """A subscript, falling back to _(…)."""
    s = script(text, _SUB)
    if s is not None:
        return s
    return f"_{text}" if str(text).isalnum() else f"_({text})"


def index_text(ix) -> str:
    if isinstance(ix, (tuple, list)):
        return ",".join(str(i) for i in ix)
    return str(ix)


def display_width(s: str) -> int:
    """Columns a string takes on a terminal (combining accents take none)."""
    if s.isascii():
        return len(s)
    combining = unicodedata.combining
    return len(s) - sum(1 for ch in s if ch > "\u02ff" and combining(ch))


class Box:
    """Lines of text of equal width, with the line that carries the formula's axis."""

    __slots__ = ("lines", "base", "width")

    def __init__(self, lines, base: int = 0):
        widths = [display_width(l) for l in lines]
        width = max(widths, default=0)
        self.lines = [l + " " * (width - w) for l, w in zip(lines, widths)]
        self.base = base
        self.width = width if self.lines else 0

    @classmethod
    def padded(cls, lines: list, base: int, width: int) -> "Box":
        """A box from lines already padded to ``width`` columns (no measuring)."""
        b = cls.__new__(cls)
        b.lines, b.base, b.width = lines, base, width
        return b

    @property
    def height(self) -> int:
        return len(self.lines)

    def __str__(self) -> str:
        return "\n".join(l.rstrip() for l in self.lines)


def hcat(*boxes) -> Box:
    """Boxes side by side, aligned on their axis lines."""
    boxes = [b if isinstance(b, Box) else Box([b]) for b in boxes]
    width = sum(b.width for b in boxes)
    if all(len(b.lines) == 1 and b.base == 0 for b in boxes):   # the common case: one line
        return Box.padded(["".join(b.lines[0] for b in boxes)], 0, width)
    above = max(b.base for b in boxes)
    below = max(b.height - b.base - 1 for b in boxes)
    lines = [""] * (above + below + 1)
    for b in boxes:
        top = above - b.base
        for i in range(len(lines)):
            j = i - top
            lines[i] += b.lines[j] if 0 <= j < b.height else " " * b.width
    return Box.padded(lines, above, width)


def bracket(box: Box, left: str, right: str) -> Box:
    """Parentheses or brackets around a box, tall when it is."""
    if box.height == 1:
        return hcat(left, box, right)
    tall = {"(": "⎛⎜⎝", ")": "⎞⎟⎠", "[": "⎡⎢⎣", "]": "⎤⎥⎦", "{": "⎧⎨⎩", "": "   "}
    def column(ch):
        top, mid, bot = tall[ch]
        return Box([top] + [mid] * (box.height - 2) + [bot], box.base)
    return hcat(column(left), box, column(right))


class UnicodePrinter(Printer):
    """Expr → Box."""

    def box(self, e) -> Box:
        """The box of any formula (str and numbers allowed), as a formula of its own."""
        return self.within(e, True)

    def part(self, e) -> Box:
        if isinstance(e, Box):
            return e
        if isinstance(e, str):
            return Box([e])
        if not isinstance(e, Expr):
            return Box([self.fmt(e).text])
        return self.print(e)

    def wrap(self, b: Box) -> Box:
        return bracket(b, "(", ")")

    def line(self, e) -> str:
        """A formula on one line (for tables and running text)."""
        if isinstance(e, Mat):
            import numpy as np
            v = np.asarray(e.values)
            if v.ndim in (1, 2):       # the cells every printer shows (a large one's corners)
                grid = shown_cells(v)[0]
                rows = [", ".join("⋯" if x is None else self.fmt(x).text for x in r)
                        for r in grid]
                rows = ["⋮" if all(x is None for x in r) else t for r, t in zip(grid, rows)]
                if v.ndim == 1:
                    return "(" + ", ".join("…" if t == "⋮" else t for t in rows) + ")ᵀ"
                return "[" + "; ".join(rows) + "]"
        b = self.box(e)
        if b.height == 1:
            return b.lines[0].rstrip()
        return " ".join(l.strip() for l in b.lines)

    def line_of_label(self, node) -> str:
        """A circuit node's name on one line."""
        return self.line(node.label)

    def _print_Num(self, e: Num) -> Box:
        return Box([self.fmt(e.value).text])

    def _print_Count(self, e) -> Box:
        return Box([f"{int(e.value):,}"])

    def _print_Text(self, e: Text) -> Box:
        return Box([e.text])

    def _print_Sym(self, e: Sym) -> Box:
        name = GREEK.get(e.name, e.name)
        if e.hat:
            name = {"y": "ŷ"}.get(name, name + "\u0302")
        if e.tilde:
            name += "\u0303"      # a combining tilde: J̃
        s = name
        if e.sup is not None:
            s += sup(f"({e.sup})")
        if e.power is not None:
            s += sup(e.power)
        if e.sub is not None:
            s += sub(index_text(e.sub))
        return Box([s])

    def _print_Mat(self, e: Mat) -> Box:
        import numpy as np
        v = np.asarray(e.values)
        if v.ndim == 0:
            return Box([self.fmt(v[()]).text])
        if v.ndim == 1:
            v = v.reshape(-1, 1)
        if v.ndim > 2:
            parts = [self._print_Mat(Mat(m)) for m in v]
            return hcat(*[p for b in parts for p in (b, "  ")][:-1])
        cells = [["⋯" if x is None else self.fmt(x).text for x in row]
                 for row in shown_cells(v)[0]]
        for row in cells:
            if all(c == "⋯" for c in row):
                row[:] = ["⋮"] * len(row)
        widths = [max(len(r[j]) for r in cells) for j in range(len(cells[0]))]
        lines = ["  ".join(c.rjust(w) for c, w in zip(row, widths)) for row in cells]
        body = Box(lines, (len(lines) - 1) // 2)
        if body.height == 1:
            return hcat("[", body, "]")
        return bracket(body, "[", "]")

    def _print_Mul(self, e: Mul) -> Box:
        parts = []
        for i, (f, b) in enumerate(zip(e.factors, self.factors(e))):
            if i:
                op = OPS[e.op]
                if e.op == "juxt":
                    if self.juxt_sign(e, i):
                        op = OPS["dot"]
                    elif not (isinstance(f, Paren) or (
                            isinstance(e.factors[i - 1], (Num, Sym)) and isinstance(f, Sym))):
                        op = " "
                parts.append(op)
            parts.append(b)
        return hcat(*parts)

    def _print_Add(self, e: Add) -> Box:
        parts = []
        for i, b in enumerate(self.terms(e)):
            if i:
                parts.append(" + ")
            parts.append(b)
        return hcat(*parts)

    def _print_Sub(self, e: Sub) -> Box:
        left, right = self.sub_parts(e)
        return hcat(left, " − ", right)

    def _print_Neg(self, e: Neg) -> Box:
        return hcat("−", self.neg_arg(e))

    def _print_Frac(self, e: Frac) -> Box:
        num, den = self.inline_frac_parts(e)
        return hcat(num, "/", den)

    def _print_Deriv(self, e: Deriv) -> Box:
        f, x = self.deriv_parts(e)
        top = "∂" if f is None else hcat("∂", f)
        return hcat(top, "/∂", x)

    def _print_Pow(self, e: Pow) -> Box:
        base = self.pow_base(e)
        exp = e.exp
        text = self.line(exp)
        s = script(text.replace(" ", ""), _SUP)
        return hcat(base, s if s is not None else f"^({text})")

    def _print_Call(self, e: Call) -> Box:
        if e.name in ("floor", "ceil") and len(e.args) == 1 and not e.prime:
            left, right = ("⌊", "⌋") if e.name == "floor" else ("⌈", "⌉")
            return hcat(left, self.box(e.args[0]), right)
        if e.name == "sqrt" and len(e.args) == 1 and not e.prime:
            return hcat("√", bracket(self.box(e.args[0]), "(", ")"))
        name = GREEK.get(e.name, e.name) + ("′" if e.prime else "")
        args = [self.box(a) for a in e.args]
        inner = hcat(*[p for a in args for p in (a, ", ")][:-1]) if args else Box([""])
        return hcat(name, bracket(inner, "(", ")"))

    def _print_Abs(self, e: Abs) -> Box:
        return hcat("|", self.box(e.arg), "|")

    def _print_Sqrt(self, e: Sqrt) -> Box:
        # √ takes what follows it: a symbol, a number, a call, something in brackets
        inner = self.parenthesize(e.arg, FUNC)
        if inner.height > 1 and not self.needs_parens(e.arg, FUNC):
            inner = self.wrap(inner)
        return hcat("√", inner)

    def _print_Norm(self, e: Norm) -> Box:
        s = hcat("‖", self.box(e.arg), "‖")
        tail = ""
        if e.sub is not None:
            tail += sub(e.sub)
        if e.power is not None:
            tail += sup(e.power)
        return hcat(s, tail)

    def _print_Paren(self, e: Paren) -> Box:
        return bracket(self.box(e.arg), "(", ")")

    def _print_Sum(self, e: Sum) -> Box:
        sigma = "Σ"
        if e.index is not None:
            low = str(e.index) + (f"={e.lower}" if e.lower is not None else "")
            sigma += sub(low)
            if e.upper is not None:
                sigma += sup(e.upper)
        return hcat(sigma, " ", self.sum_body(e))

    def _print_Cases(self, e: Cases) -> Box:
        values = [self.box(v) for v, _ in e.rows]
        vw = max(v.width for v in values)
        rows = [hcat(Box([l + " " * (vw - v.width) for l in v.lines], v.base), "  ",
                     self.box(c)) for v, (_, c) in zip(values, e.rows)]
        width = max(r.width for r in rows)
        lines = []
        for r in rows:
            lines.extend(l + " " * (width - r.width) for l in r.lines)
        if len(lines) == 2:
            return Box(["⎧" + lines[0], "⎩" + lines[1]], 0)
        body = Box(lines, (len(lines) - 1) // 2)
        return bracket(body, "{", "")

    def _print_Rel(self, e: Rel) -> Box:
        return hcat(self.box(e.left), f" {self.shown_op(e.op, e.right)} ", self.box(e.right))

    def _print_Seq(self, e: Seq) -> Box:
        parts = []
        for i, it in enumerate(self.seq_items(e)):
            if i:
                parts.append(e.sep)
            parts.append(self.box(it))
        return hcat(*parts) if parts else Box([""])
