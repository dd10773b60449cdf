"""Formulas in LaTeX, shared by the LaTeX and Markdown renderers; and plain text made safe for LaTeX.

``LatexMathPrinter(options).doprint(expr)`` is the math-mode LaTeX of a formula. With
``markdown=True`` it writes LaTeX that survives GitHub's Markdown pass over ``$``/``$$`` math,
which removes the backslash of ``\\`` ``\\{`` ``\\,`` and reads ``<`` as HTML: rows end with
``\\cr``, braces are ``\\lbrace``, ``<``/``>`` are ``\\lt``/``\\gt``,
and a ``_`` after a brace or parenthesis is followed by a space (``markdown_safe``): no ``_``
opens emphasis.

A large matrix is shown by its corners with ``\\cdots``/``\\vdots`` between: the cells of
``base.shown_cells``, the same as the terminal's (and those that decide '=' or '≈' before it).
Parentheses are decided by ``precedence.py``, as for the terminal.
"""

from __future__ import annotations

import re
import unicodedata

from ..expr import (Abs, Add, Call, Cases, Deriv, Expr, Frac, Mat, Mul, Neg, Norm, Num, Paren,
                    Pow, Rel, Seq, Sqrt, Sub, Sum, Sym, Text)
from .base import Printer, RenderOptions, shown_cells

GREEK_NAMES = {"alpha", "beta", "gamma", "delta", "epsilon", "zeta", "eta", "theta", "iota",
               "kappa", "lambda", "mu", "nu", "xi", "pi", "rho", "sigma", "tau", "upsilon",
               "phi", "chi", "psi", "omega", "Gamma", "Delta", "Theta", "Lambda", "Xi", "Pi",
               "Sigma", "Upsilon", "Phi", "Psi", "Omega", "nabla", "partial", "varepsilon",
               "varphi", "ell"}

# Unicode characters that may appear in formulas or running text, as LaTeX math
UNICODE_MATH = {
    "α": r"\alpha", "β": r"\beta", "γ": r"\gamma", "δ": r"\delta", "ε": r"\varepsilon",
    "ϵ": r"\epsilon", "ζ": r"\zeta", "η": r"\eta", "θ": r"\theta", "ι": r"\iota",
    "κ": r"\kappa", "λ": r"\lambda", "μ": r"\mu", "ν": r"\nu", "ξ": r"\xi", "π": r"\pi",
    "ρ": r"\rho", "σ": r"\sigma", "τ": r"\tau", "υ": r"\upsilon", "φ": r"\varphi",
    "ϕ": r"\phi", "χ": r"\chi", "ψ": r"\psi", "ω": r"\omega", "Γ": r"\Gamma", "Δ": r"\Delta",
    "Θ": r"\Theta", "Λ": r"\Lambda", "Ξ": r"\Xi", "Π": r"\Pi", "Σ": r"\Sigma", "Φ": r"\Phi",
    "Ψ": r"\Psi", "Ω": r"\Omega", "∂": r"\partial", "∇": r"\nabla", "≈": r"\approx",
    "≠": r"\neq", "≤": r"\leq", "≥": r"\geq", "−": "-", "·": r"\cdot", "×": r"\times",
    "⊙": r"\odot", "←": r"\leftarrow", "→": r"\to", "⇒": r"\Rightarrow", "∈": r"\in",
    "∑": r"\sum", "∞": r"\infty", "±": r"\pm", "‖": r"\lVert", "√": r"\surd", "∘": r"\circ",
    "⌊": r"\lfloor", "⌋": r"\rfloor", "⌈": r"\lceil", "⌉": r"\rceil", "ℓ": r"\ell",
    "⋅": r"\cdot", "∗": "*", "′": "'", "…": r"\ldots", "⋯": r"\cdots", "°": r"^{\circ}",
}
_SUPERSCRIPTS = dict(zip("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿⁱᵖᵀᵏˡᴸʲˣʸᵃᵇᶜᵈᵉᶠᵍʰᵐᵒʳˢᵗᵘᵛʷᶻ",
                         "0123456789+-=()nipTklLjxyabcdefghmorstuvwz"))
_SUBSCRIPTS = dict(zip("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ",
                       "0123456789+-=()aehijklmnoprstuvx"))
_HATS = {"\u0302": r"\hat", "\u0303": r"\tilde", "\u0304": r"\bar", "\u0307": r"\dot"}
_PRECOMPOSED_HAT = {"ŷ": ("y", r"\hat"), "ĥ": ("h", r"\hat"), "ŵ": ("w", r"\hat"),
                    "x̂": ("x", r"\hat"), "Ĵ": ("J", r"\hat")}

# characters of plain text that LaTeX treats specially
# (symbols from math fonts, not textcomp's: OT1 text with TS1 symbols would need METAFONT runs)
_TEXT_SPECIAL = {"\\": r"\ensuremath{\backslash}", "{": r"\ensuremath{\{}",
                 "}": r"\ensuremath{\}}", "$": r"\ensuremath{\$}", "&": r"\&",
                 "#": r"\#", "^": r"\^{}", "_": r"\_", "%": r"\%",
                 "~": r"\~{}", "<": r"\ensuremath{<}", ">": r"\ensuremath{>}",
                 "|": r"\ensuremath{\vert}"}
_TEXT_UNICODE = {"“": "``", "”": "''", "‘": "`", "’": "'", "–": "--", "—": "---",
                 "…": r"\ldots{}", "\u00a0": "~", "•": r"\ensuremath{\bullet}", "✓": r"\ensuremath{\surd}",
                 "✗": r"\ensuremath{\times}"}

RELATIONS = {"=": "=", "≈": r"\approx", "←": r"\leftarrow", "<": "<", ">": ">", "≤": r"\leq",
             "≥": r"\geq", "≠": r"\neq", "∈": r"\in", "→": r"\to", "<=": r"\leq",
             ">=": r"\geq", "!=": r"\neq", "->": r"\to", "<-": r"\leftarrow", "==": "=",
             "⇒": r"\Rightarrow", "∝": r"\propto", ":=": ":=", "≡": r"\equiv"}

FUNCTIONS = {"relu": r"\operatorname{ReLU}", "leaky_relu": r"\operatorname{LeakyReLU}",
             "leakyrelu": r"\operatorname{LeakyReLU}", "sigmoid": r"\sigma", "σ": r"\sigma",
             "tanh": r"\tanh", "exp": r"\exp", "log": r"\log", "ln": r"\ln", "max": r"\max",
             "min": r"\min", "sin": r"\sin", "cos": r"\cos"}


def _ascii_fallback(ch: str) -> str:
    """A character pdflatex cannot typeset, as its closest ASCII (or '?')."""
    decomposed = unicodedata.normalize("NFKD", ch)
    ascii_ = decomposed.encode("ascii", "ignore").decode()
    return ascii_ if ascii_ else "?"


def latex_text(s: str) -> str:
    """Plain text made safe for pdflatex: specials escaped, Unicode maths (Greek, ∂, ≈, −, ⁽¹⁾) mapped."""
    out = []
    chars = unicodedata.normalize("NFC", str(s))
    i = 0
    while i < len(chars):
        ch = chars[i]
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        if nxt in _HATS:                       # x̂: a letter with a combining accent
            out.append(r"\ensuremath{" + _HATS[nxt] + "{" + _math_char(ch) + "}}")
            i += 2
            continue
        i += 1
        if ch in _TEXT_SPECIAL:
            out.append(_TEXT_SPECIAL[ch])
        elif ch in _TEXT_UNICODE:
            out.append(_TEXT_UNICODE[ch])
        elif ch in _PRECOMPOSED_HAT:
            base, acc = _PRECOMPOSED_HAT[ch]
            out.append(r"\ensuremath{" + acc + "{" + base + "}}")
        elif ch in UNICODE_MATH:
            out.append(r"\ensuremath{" + UNICODE_MATH[ch] + "}")
        elif ch in _SUPERSCRIPTS or ch in _SUBSCRIPTS:
            table, mark = (_SUPERSCRIPTS, "^") if ch in _SUPERSCRIPTS else (_SUBSCRIPTS, "_")
            run = ""
            i -= 1
            while i < len(chars) and chars[i] in table:
                run += table[chars[i]]
                i += 1
            layer = re.match(r"(\([^()]*\))(.+)$", run) if mark == "^" else None
            if layer and out and re.fullmatch(r"[A-Za-z]|\\ensuremath\{\\[A-Za-z]+\}", out[-1]):
                # W⁽ˡ⁾ᵀ: the transpose (or power) is of the whole symbol, not in its layer mark
                base = out.pop()
                base = base[len(r"\ensuremath{"):-1] if base.startswith("\\") else base
                out.append(r"\ensuremath{{" + base + "^{" + layer.group(1) + "}}^{"
                           + layer.group(2) + "}}")
            else:
                out.append(r"\ensuremath{" + mark + "{" + run + "}}")
        elif ord(ch) < 128:
            out.append(ch if ch.isprintable() or ch in "\n\t" else " ")
        elif ord(ch) < 256 and ch.isalpha():
            out.append(ch)                     # Latin-1 letters: pdflatex's utf8 input knows them
        elif (parts := unicodedata.normalize("NFD", ch))[1:] in _HATS:
            # a precomposed accented letter beyond Latin-1 (ṽ, ŷ): the letter with its accent
            out.append(r"\ensuremath{" + _HATS[parts[1:]] + "{" + _math_char(parts[0]) + "}}")
        else:
            out.append(_ascii_fallback(ch))
    return "".join(out)


def _math_char(ch: str) -> str:
    if ch in UNICODE_MATH:
        return UNICODE_MATH[ch]
    if ord(ch) < 128:
        return ch
    return _ascii_fallback(ch)


# a `_` after a brace, parenthesis or space (`w^{(3)}_{1}`, `\\hat{y}_{1}`) can open emphasis in
# CommonMark and pair with the next subscript's; followed by a space it cannot, and TeX reads
# `_ {1}` as `_{1}`
_OPENING_UNDERSCORE = re.compile(r"(?<![A-Za-z0-9\\])_(?=\S)")


def markdown_safe(tex: str) -> str:
    """Maths that a Markdown pass before the maths pass (CommonMark) leaves as it is."""
    return _OPENING_UNDERSCORE.sub("_ ", tex)


class LatexMathPrinter(Printer):
    """Expr → LaTeX math (the body of ``$...$``)."""

    inline_fractions = False     # \frac{a}{b} groups its sides: no parentheses in them

    def __init__(self, options: RenderOptions | None = None, markdown: bool = False):
        super().__init__(options)
        self.markdown = markdown
        self.rowsep = r" \cr " if markdown else r" \\ "

    # --- entry points ---------------------------------------------------------------------
    def doprint(self, e) -> str:
        """The LaTeX of a formula part: an Expr, a number, or a string (shown upright)."""
        tex = self.within(e, True)
        return markdown_safe(tex) if self.markdown else tex

    def part(self, e) -> str:
        if isinstance(e, Expr):
            return self.print(e)
        if isinstance(e, str):
            return self.text(e)
        if e is None:
            return ""
        return self.number(e)

    def wrap(self, s: str) -> str:
        return self.paren(s)

    def relation(self, rel: str) -> str:
        """'=' '≈' '←' ... as LaTeX."""
        r = RELATIONS.get(rel)
        if r is None:
            r = self.math_string(rel)
        if self.markdown:
            r = {"<": r"\lt", ">": r"\gt"}.get(r, r)
        return r

    # --- pieces ---------------------------------------------------------------------------
    def number(self, x) -> str:
        """A number: ``-18``, ``1.18``, ``\\frac{2}{3}`` (with exact), ``1.5 \\cdot 10^{-8}``."""
        return self.number_text(self.fmt(x).text)

    def number_text(self, t: str) -> str:
        """Formatted number text as LaTeX."""
        sign = ""
        if t.startswith("-"):
            sign, t = "-", t[1:]
        if "/" in t:
            n, d = t.split("/", 1)
            return sign + r"\frac{" + n + "}{" + d + "}"
        if "e" in t and t not in ("inf", "nan"):
            m, ex = t.split("e", 1)
            ex = ex.lstrip("+")
            return sign + (m + r" \cdot " if m != "1" else "") + "10^{" + ex + "}"
        if t in ("inf",):
            return sign + r"\infty"
        return sign + t

    def text(self, s: str) -> str:
        """Upright words inside a formula."""
        s = str(s)
        if self.markdown:
            # MathJax reads \text{} literally: only braces, backslashes and dollars are unsafe
            s = s.replace("\\", "/").replace("{", "(").replace("}", ")").replace("$", "S")
            s = s.replace("<", "&lt;").replace(">", "&gt;")
            return r"\text{" + s + "}"
        return r"\text{" + latex_text(s) + "}"

    def math_string(self, s) -> str:
        """A name or index written in maths: Greek names and Unicode mapped, words upright."""
        s = str(s)
        if s in GREEK_NAMES:
            return "\\" + s
        s = unicodedata.normalize("NFC", s)
        if any(ch in _HATS for ch in s):     # J̃, x̂: a letter with a combining accent
            return self._accented(s)
        parts = re.split(r"([A-Za-z]+)", s)
        out = []
        for p in parts:
            if not p:
                continue
            if p in GREEK_NAMES:
                out.append("\\" + p + " ")
            elif p.isalpha() and p.isascii():
                out.append(p if len(p) == 1 or len(parts) > 3 else r"\mathrm{" + p + "}")
            else:
                for ch in p:
                    if ch in _SUPERSCRIPTS:
                        out.append("^{" + _SUPERSCRIPTS[ch] + "}")
                    elif ch in _SUBSCRIPTS:
                        out.append("_{" + _SUBSCRIPTS[ch] + "}")
                    elif ch in _PRECOMPOSED_HAT:
                        base, acc = _PRECOMPOSED_HAT[ch]
                        out.append(acc + "{" + base + "}")
                    elif ch in UNICODE_MATH:
                        out.append(UNICODE_MATH[ch] + " ")
                    elif ch in "{}":
                        out.append(r"\lbrace " if ch == "{" else r"\rbrace ")
                    elif ch in "#$%&_\\^~":
                        out.append(self.text(ch))
                    elif ch == "<":
                        out.append(r"\lt " if self.markdown else "<")
                    elif ch == ">":
                        out.append(r"\gt " if self.markdown else ">")
                    elif ch == "|":
                        out.append(r"\vert ")
                    elif ord(ch) < 128:
                        out.append(ch)
                    else:
                        out.append(_ascii_fallback(ch))
        return "".join(out).strip()

    def _accented(self, s: str) -> str:
        out, i = [], 0
        while i < len(s):
            if i + 1 < len(s) and s[i + 1] in _HATS:
                out.append(_HATS[s[i + 1]] + "{" + self.math_string(s[i]) + "}")
                i += 2
            else:
                j = i
                while j < len(s) and not (j + 1 < len(s) and s[j + 1] in _HATS):
                    j += 1
                out.append(self.math_string(s[i:j]) if j > i else "")
                i = j
        return " ".join(o for o in out if o)

    def index(self, ix) -> str:
        """A subscript index: ``1,2`` from (1, 2)."""
        if isinstance(ix, (tuple, list)):
            return ",".join(self.index(i) for i in ix)
        if isinstance(ix, Expr):
            return self.print(ix)
        if isinstance(ix, str):
            return self.math_string(ix)
        return self.number(ix)

    def paren(self, s: str) -> str:
        return r"\left(" + s + r"\right)"

    # --- nodes ----------------------------------------------------------------------------
    def _print_Num(self, e: Num) -> str:
        return self.number(e.value)

    def _print_Count(self, e) -> str:
        return f"{int(e.value):,}".replace(",", "{,}")     # {,}: no space after the comma

    def _print_Text(self, e: Text) -> str:
        if e.text.strip() in RELATIONS:     # " = " written as words is still a relation
            return self.relation(e.text.strip())
        return self.text(e.text)

    def _print_Sym(self, e: Sym) -> str:
        name = self.math_string(e.name)
        if e.hat:
            name = r"\hat{" + name + "}"
        if e.tilde:
            name = r"\tilde{" + name + "}"
        if e.bold:
            name = (r"\boldsymbol{" if name.startswith("\\") else r"\mathbf{") + name + "}"
        s = name
        sup = None
        if e.sup is not None:
            sup = "(" + self.index(e.sup) + ")"
        if e.power is not None:
            p = self.index(e.power)
            if sup is not None:     # a layer and a power: (w^{(l)}_i)^p, never a double superscript
                s = "{" + s + "^{" + sup + "}" + (("_{" + self.index(e.sub) + "}")
                                                  if e.sub is not None else "") + "}^{" + p + "}"
                return s
            sup = p
        if sup is not None:
            s += "^{" + sup + "}"
        if e.sub is not None:
            s += "_{" + self.index(e.sub) + "}"
        return s

    def _print_Mat(self, e: Mat) -> str:
        import numpy as np
        v = np.asarray(e.values)
        if v.ndim == 0:
            return self.number(v[()])
        if v.ndim == 1:
            v = v.reshape(-1, 1)
        if v.ndim > 2:
            return r",\ ".join(self._print_Mat(Mat(m)) for m in v)
        lines = []
        for row in shown_cells(v)[0]:
            if all(x is None for x in row):      # the skipped rows (⋱ where columns are too)
                gaps = [x is None for x in shown_cells(v)[0][0]]
                lines.append(" & ".join(r"\ddots" if g else r"\vdots" for g in gaps))
                continue
            lines.append(" & ".join(r"\cdots" if x is None else self.number(x) for x in row))
        return r"\begin{pmatrix} " + self.rowsep.join(lines) + r" \end{pmatrix}"

    def _print_Mul(self, e: Mul) -> str:
        ops = {"dot": r" \cdot ", "times": r" \times ", "hadamard": r" \odot ", "juxt": " "}
        out = ""
        for i, s in enumerate(self.factors(e)):
            if i:
                out += ops["dot"] if e.op == "juxt" and self.juxt_sign(e, i) else ops[e.op]
            out += s
        return out

    def _print_Add(self, e: Add) -> str:
        return " + ".join(self.terms(e))

    def _print_Sub(self, e: Sub) -> str:
        left, right = self.sub_parts(e)
        return left + " - " + right

    def _print_Neg(self, e: Neg) -> str:
        return "-" + self.neg_arg(e)

    def _print_Frac(self, e: Frac) -> str:
        return r"\frac{" + self.doprint(e.num) + "}{" + self.doprint(e.den) + "}"

    def _print_Deriv(self, e: Deriv) -> str:
        f, x = self.deriv_parts(e)
        top = r"\partial" if f is None else r"\partial " + f
        return r"\frac{" + top + r"}{\partial " + x + "}"

    def _print_Pow(self, e: Pow) -> str:
        return "{" + self.pow_base(e) + "}^{" + self.doprint(e.exp) + "}"

    def _print_Call(self, e: Call) -> str:
        if e.name.lower() in ("floor", "ceil") and len(e.args) == 1 and not e.prime:
            l, r = (r"\lfloor", r"\rfloor") if e.name.lower() == "floor" else (r"\lceil", r"\rceil")
            return r"\left" + l + " " + self.doprint(e.args[0]) + r" \right" + r
        if e.name == "sqrt" and len(e.args) == 1 and not e.prime:
            return r"\sqrt{" + self.doprint(e.args[0]) + "}"
        key = e.name.lower() if e.name.lower() in FUNCTIONS else e.name
        if key in FUNCTIONS:
            name = FUNCTIONS[key]
        elif e.name in GREEK_NAMES:
            name = "\\" + e.name
        elif len(e.name) == 1 and e.name.isascii():
            name = e.name
        else:
            name = r"\operatorname{" + self.math_string(e.name).replace(r"\mathrm{", "{") + "}"
        if e.prime:
            name = "{" + name + "}'"
        args = ", ".join(self.doprint(a) for a in e.args)
        return name + self.paren(args)

    def _print_Abs(self, e: Abs) -> str:
        return r"\left\lvert " + self.doprint(e.arg) + r" \right\rvert"

    def _print_Sqrt(self, e: Sqrt) -> str:
        return r"\sqrt{" + self.doprint(e.arg) + "}"

    def _print_Norm(self, e: Norm) -> str:
        s = r"\left\lVert " + self.doprint(e.arg) + r" \right\rVert"
        if e.sub is not None:
            s += "_{" + self.index(e.sub) + "}"
        if e.power is not None:
            s += "^{" + self.index(e.power) + "}"
        return s

    def _print_Paren(self, e: Paren) -> str:
        return self.paren(self.doprint(e.arg))

    def _print_Sum(self, e: Sum) -> str:
        s = r"\sum"
        if e.index is not None:
            low = self.index(e.index)
            if e.lower is not None:
                low += "=" + self.index(e.lower)
            s += "_{" + low + "}"
            if e.upper is not None:
                s += "^{" + self.index(e.upper) + "}"
        return s + " " + self.sum_body(e)

    def _print_Cases(self, e: Cases) -> str:
        rows = [self.doprint(v) + " & " + self.doprint(c) for v, c in e.rows]
        return r"\begin{cases} " + self.rowsep.join(rows) + r" \end{cases}"

    def _print_Rel(self, e: Rel) -> str:
        return self.doprint(e.left) + " " + self.relation(self.shown_op(e.op, e.right)) + " " + \
            self.doprint(e.right)

    def _print_Seq(self, e: Seq) -> str:
        sep = e.sep
        if any(c.isalpha() for c in sep):
            words = sep.strip(" ,")
            lead = "," if sep.lstrip().startswith(",") else ""
            sep_tex = lead + r"\quad \text{" + latex_text(words) + r"}\quad " if not self.markdown \
                else lead + r"\quad " + self.text(words) + r"\quad "
        elif sep == "":
            sep_tex = ""                          # juxtaposed: a symbol and its [sample] tag
        elif sep.strip() == "":
            sep_tex = r"\quad " if len(sep) > 1 else r"\ "   # one space: a word, then a formula
        else:
            sep_tex = self.math_string(sep.strip()) + (r"\quad " if sep.endswith("  ") else " ")
        return sep_tex.join(self.doprint(it) for it in self.seq_items(e))

