"""Formulas in Unicode for the terminal, laid out as boxes of lines (matrices span several lines)."""

from __future__ import annotations

import unicodedata

from ..expr import (Abs, Add, Call, Cases, Deriv, Expr, Frac, Mat, Mul, Neg, Norm, Num, Paren,
                    Pow, Rel, Seq, Sqrt, Sub, Sum, Sym, Text)
from .base import Printer, is_negative_number, visible

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
        """The box of any formula (str and numbers allowed)."""
        if isinstance(e, Box):
            return e
        if isinstance(e, str):
            return Box([e])
        if not isinstance(e, Expr):
            return Box([self.fmt(e).text])
        return self.print(e)

    def line(self, e) -> str:
        """A formula on one line (for tables and running text)."""
        if isinstance(e, Mat):
            import numpy as np
            v = np.asarray(e.values)
            if v.ndim == 1:
                return "(" + ", ".join(self.fmt(x).text for x in v) + ")ᵀ"
            if v.ndim == 2:
                return "[" + "; ".join(", ".join(self.fmt(x).text for x in r) for r in v) + "]"
        b = self.box(e)
        if b.height == 1:
            return b.lines[0].rstrip()
        return " ".join(l.strip() for l in b.lines)

    def line_of_label(self, node) -> str:
        """A circuit node's name on one line."""
        return self.line(node.label)

    def _wrap_neg(self, e) -> Box:
        b = self.box(e)
        # a/b written inline starts with its numerator's sign: 0.1 · (-8.75/2), not 0.1 · -8.75/2
        if is_negative_number(e) or isinstance(e, Neg) or (
                isinstance(e, Frac) and (is_negative_number(e.num) or isinstance(e.num, Neg))):
            return bracket(b, "(", ")")
        return b

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
        cells = [["⋯" if x is None else self.fmt(x).text for x in row] for row in visible(v)]
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
        for i, f in enumerate(e.factors):
            b = self._wrap_neg(f) if i > 0 else self.box(f)
            if isinstance(f, (Add, Sub)):
                b = bracket(self.box(f), "(", ")")
            if i:
                op = OPS[e.op]
                if e.op == "juxt" and not (isinstance(f, Paren) or (
                        isinstance(e.factors[i - 1], (Num, Sym)) and isinstance(f, Sym))):
                    op = " "
                parts.append(op)
            parts.append(b)
        return hcat(*parts)

    def _print_Add(self, e: Add) -> Box:
        parts = []
        for i, t in enumerate(e.terms):
            if i:
                parts.append(" + ")
            if i and isinstance(t, Mul) and t.factors and is_negative_number(t.factors[0]):
                parts.append(self.print(Mul((Paren(t.factors[0]),) + t.factors[1:], t.op)))
            else:
                parts.append(self._wrap_neg(t) if i else self.box(t))
        return hcat(*parts)

    def _print_Sub(self, e: Sub) -> Box:
        right = self.box(e.right)
        if isinstance(e.right, (Add, Sub)) or is_negative_number(e.right):
            right = bracket(right, "(", ")")
        return hcat(self.box(e.left), " − ", right)

    def _print_Neg(self, e: Neg) -> Box:
        inner = self.box(e.arg)
        if isinstance(e.arg, (Add, Sub)) or is_negative_number(e.arg):
            inner = bracket(inner, "(", ")")
        return hcat("−", inner)

    def _print_Frac(self, e: Frac) -> Box:
        def side(x):
            b = self.box(x)
            return bracket(b, "(", ")") if isinstance(x, (Add, Sub, Mul, Frac)) else b
        return hcat(side(e.num), "/", side(e.den))

    def _print_Deriv(self, e: Deriv) -> Box:
        top = "∂" if e.f is None else hcat("∂", self.box(e.f))
        return hcat(top, "/∂", self.box(e.x))

    def _print_Pow(self, e: Pow) -> Box:
        base = self.box(e.base)
        if not isinstance(e.base, (Sym, Mat, Num)) or is_negative_number(e.base) or \
                (isinstance(e.base, Num) and "/" in self.fmt(e.base.value).text):
            if not isinstance(e.base, (Paren, Abs, Norm)):
                base = bracket(base, "(", ")")
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
        inner = self.box(e.arg)
        if not isinstance(e.arg, (Sym, Num, Paren, Abs, Norm, Call)) or inner.height > 1:
            inner = bracket(inner, "(", ")")
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
        body = self.box(e.body)
        if isinstance(e.body, (Add, Sub)):
            body = bracket(body, "(", ")")
        return hcat(sigma, " ", body)

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
        return hcat(self.box(e.left), f" {e.op} ", self.box(e.right))

    def _print_Seq(self, e: Seq) -> Box:
        parts = []
        for i, it in enumerate(e.items):
            if i:
                parts.append(e.sep)
            parts.append(self.box(it))
        return hcat(*parts) if parts else Box([""])
