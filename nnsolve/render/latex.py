"""LaTeX: a complete document (amsmath) that compiles with pdflatex, or its body with --fragment.

Sections become unnumbered headings (titles carry their own numbers, "1.2 ..."), equations are
numbered displays (a chain too wide for the page is broken at its relations), tables use booktabs,
a convolution's Grid is a tabular with the window's cells shaded, a Network a TikZ drawing.
"""

from __future__ import annotations

import re

from ..expr import Add, Expr
from ..solution import (Circuit, Equation, Grid, Network, Note, Paragraph, Section, Solution,
                        Table)
from .base import LinePrinter, RenderOptions
from .latex_math import LatexMathPrinter, latex_text

PACKAGES = r"""\usepackage{amsmath}
\usepackage[table]{xcolor}
\usepackage{booktabs}
\usepackage{longtable}
\usepackage{graphicx}
\usepackage{tikz}"""       # what the body needs (a --fragment lists them in a comment)

PREAMBLE = r"""\documentclass[11pt]{article}
\usepackage[utf8]{inputenc}
\usepackage[a4paper,margin=2.2cm]{geometry}
""" + PACKAGES + r"""
\setlength{\parindent}{0pt}
\setlength{\parskip}{0.6ex plus 0.3ex}
\allowdisplaybreaks
\begin{document}
"""

HEADINGS = ["section", "subsection", "subsubsection", "paragraph", "subparagraph"]
EQUATION_WIDTH = 70      # characters of the terminal's layout that fit on one line of the page
SUM_WIDTH = 95           # a part alone wider than this overflows the page: its sum is broken
LONG_TABLE = 30          # rows above which a table may break across pages
TABLE_WIDTH = 92         # characters of its cells' text beyond which a table overflows the page
MAX_UNITS = 8            # units drawn per layer of a Network (then the first, ⋮, the last)


def equation_rows(eq: Equation, math: LatexMathPrinter, rels: list[str]) -> list[list]:
    """An equation's parts as rows: ``[first, (rel, part), ...]`` then ``[(rel, part), ...]``.

    A chain wider than the page (measured by the terminal's layout of each part) is broken
    before a relation, as a person breaks it: ``a = W·x`` / ``= (3, −3)``."""
    from .unicode import UnicodePrinter
    width_of = UnicodePrinter(math.options).box
    parts = list(eq.parts)
    texts = [math.doprint(p) for p in parts]
    widths = [width_of(p).width if isinstance(p, Expr) else len(str(p)) for p in parts]
    rows, current, cur_w = [], [texts[0]], widths[0]
    for rel, part, text, w in zip(rels, parts[1:], texts[1:], widths[1:]):
        if cur_w + w + 3 > EQUATION_WIDTH and any(isinstance(c, tuple) for c in current):
            rows.append(current)
            current, cur_w = [], 0
        chunks = sum_rows(part, math, width_of) if w > SUM_WIDTH else [text]
        current.append((math.relation(rel), chunks[0]))
        cur_w += w + 3
        for chunk in chunks[1:]:       # a sum wider than the page goes on, + by +, below
            rows.append(current)
            current = [(r"\quad +", chunk)]
    rows.append(current)
    return rows


def sum_rows(part, math: LatexMathPrinter, width_of) -> list[str]:
    """A sum too wide for one line of the page, as lines of its terms (the first line without,
    the others after, their leading +): a long sum of products is broken between its terms."""
    if not isinstance(part, Add) or len(part.terms) < 2:
        return [math.doprint(part)]
    printed = math.terms(part)
    lines, line, line_w = [], [], 0
    for term, text in zip(part.terms, printed):
        w = width_of(term).width + 3
        if line and line_w + w > SUM_WIDTH:
            lines.append(" + ".join(line))
            line, line_w = [], 0
        line.append(text)
        line_w += w
    lines.append(" + ".join(line))
    return lines


def join_row(items, align: bool) -> str:
    """One row of an equation; with align, '&' before its first relation."""
    out = ""
    first = True
    for it in items:
        if isinstance(it, tuple):
            rel, text = it
            out += " " + ("&" if align and first else "") + rel + " " + text
            first = False
        else:
            out += it
    return out.strip()


class LatexRenderer(LinePrinter):
    """Solution → LaTeX source."""

    def __init__(self, options: RenderOptions | None = None):
        super().__init__(options)
        self.math = LatexMathPrinter(self.options)

    def render(self, solution) -> str:
        body = "\n".join(self.body(solution)).strip() + "\n"
        if self.options.fragment:
            needs = ("% nnsolve LaTeX fragment; the preamble needs:\n"
                     + "\n".join("%   " + l for l in PACKAGES.splitlines()) + "\n")
            return needs + body
        return PREAMBLE + body + "\\end{document}\n"

    # --- blocks ---------------------------------------------------------------------------
    def heading(self, title: str, depth: int):
        cmd = HEADINGS[min(depth, len(HEADINGS) - 1)]
        self.emit("", "\\" + cmd + "*{" + latex_text(title) + "}", "")

    def _print_Section(self, s: Section, depth: int):
        self.heading(s.title, depth)
        for b in s.blocks:
            self.print(b, depth + 1)

    def escape(self, text: str) -> str:
        return latex_text(text)

    def inline_math(self, e) -> str:
        return "$" + self.math.doprint(e) + "$"

    def _print_Paragraph(self, p: Paragraph, depth: int):
        self.emit(self.inline(p.parts), "")

    def _print_Note(self, n: Note, depth: int):
        self.emit(r"\begin{quote}\small\textbf{Note.} " + self.inline(n.parts) + r"\end{quote}",
                  "")

    def _print_Equation(self, eq: Equation, depth: int):
        lines = equation_rows(eq, self.math, self.relations(eq))
        tag = r" \tag{" + latex_text(eq.label) + "}" if eq.label else ""
        if len(lines) == 1:
            body = join_row(lines[0], align=False)
            self.emit(r"\begin{equation}", body + tag, r"\end{equation}", "")
            return
        rows = [join_row(l, align=True) for l in lines]
        self.emit(r"\begin{equation}", r"\begin{aligned}", (" \\\\\n").join(rows),
                  r"\end{aligned}" + tag, r"\end{equation}", "")

    def _print_Table(self, t: Table, depth: int):
        ncols = max([len(t.header)] + [len(r) for r in t.rows])
        spec = ""
        for j in range(ncols):
            align = (t.align[j] if t.align and j < len(t.align) else None) or \
                ("left" if j == 0 else "right")
            spec += {"left": "l", "right": "r", "center": "c"}.get(align, "l")
        spec, wrap = self._wrapped_column(t, spec)
        lines = []
        if t.caption:
            lines.append(r"\textbf{" + latex_text(t.caption) + r"}\\[0.5ex]")
        lines.append(r"\begin{tabular}{" + spec + "}")
        lines.append(r"\toprule")
        header = [r"\textbf{" + latex_text(h) + "}" if h else "" for h in t.header]
        header += [""] * (ncols - len(header))
        lines.append(" & ".join(header) + r" \\")
        lines.append(r"\midrule")
        for row in t.rows:
            cells = [self.cell(c) for c in row] + [""] * (ncols - len(row))
            if wrap is not None and cells[wrap]:
                cells[wrap] = r"\raggedright\hspace{0pt}" + cells[wrap]
            lines.append(" & ".join(cells) + r" \\")
        lines.append(r"\bottomrule")
        lines.append(r"\end{tabular}")
        if len(t.rows) > LONG_TABLE:
            # too long for a page: a longtable breaks across pages, repeating its header
            head = lines.index(r"\midrule")
            lines[lines.index(r"\begin{tabular}{" + spec + "}")] = r"\begin{longtable}{" + spec + "}"
            lines[head] = r"\midrule\endhead"
            lines[-1] = r"\end{longtable}"
            if t.caption:
                lines[0] = r"\textbf{" + latex_text(t.caption) + "}"
            self.emit(*lines, "")
            return
        self.emit(r"\begin{center}", *lines, r"\end{center}", "")

    def _wrapped_column(self, t: Table, spec: str) -> tuple[str, int | None]:
        """When the table would be wider than the page: the spec with its widest column of
        words as a paragraph column (lines wrapped, ragged right), and that column's index.
        Not the last column, whose ragged-right cells would swallow the row's ``\\``."""
        from .unicode import UnicodePrinter
        box = UnicodePrinter(self.options).box

        def width(c) -> int:
            if c is None:
                return 0
            if isinstance(c, str):
                return len(c)
            if isinstance(c, (list, tuple)):
                return sum(width(x) for x in c)
            return box(c).width
        rows = [t.header] + list(t.rows)
        widths = [max((width(r[j]) for r in rows if j < len(r)), default=0)
                  for j in range(len(spec))]
        words = [j for j in range(len(spec) - 1) if spec[j] == "l" and
                 any(isinstance(r[j], str) for r in t.rows if j < len(r))]
        if sum(widths) + 3 * len(widths) <= TABLE_WIDTH or not words:
            return spec, None
        j = max(words, key=lambda k: widths[k])
        rest = sum(widths) - widths[j] + 3 * len(widths)
        share = max(0.25, min(0.6, 0.95 - rest / 85))     # 85 characters: about a line
        return spec[:j] + "p{" + f"{share:.2f}" + r"\linewidth}" + spec[j + 1:], j

    def _print_Grid(self, g: Grid, depth: int):
        import numpy as np
        v = np.asarray(g.values)
        if v.ndim == 1:
            v = v.reshape(1, -1)
        rows, cols = v.shape
        lines = [r"\begin{center}"]
        if g.caption:
            lines.append(latex_text(g.caption) + r"\\[0.8ex]")
        small = cols > 10
        if small:
            lines.append(r"{\scriptsize\setlength{\tabcolsep}{2pt}")
        lines.append(r"\renewcommand{\arraystretch}{1.25}")
        if cols > 24:
            lines.append(r"\resizebox{\linewidth}{!}{%")
        lines.append(r"\begin{tabular}[c]{|" + "c|" * cols + "}")
        lines.append(r"\hline")
        for i in range(rows):
            cells = []
            for j in range(cols):
                num = "$" + self.math.number(v[i, j]) + "$"
                if (i, j) in g.marked:
                    num = r"\cellcolor{yellow!45}$\mathbf{" + self.math.number(v[i, j]) + "}$"
                cells.append(num)
            lines.append(" & ".join(cells) + r" \\ \hline")
        lines.append(r"\end{tabular}" + ("}" if cols > 24 else ""))
        if small:
            lines.append("}")
        lines.append(r"\end{center}")
        self.emit(*lines, "")

    def _unit_text(self, u) -> str:
        if isinstance(u, (list, tuple)):
            return r"\\ ".join(self._unit_text(x) for x in u)
        if isinstance(u, str):
            return latex_text(u)
        if u is None:
            return ""
        return "$" + self.math.doprint(u) + "$"

    def _unit_size_mm(self, u) -> float:
        """The diameter of a circle that holds a unit's text (\\small; one line per sample):
        the diagonal of the text's box, estimated from its characters (a digit is 0.5 em)."""
        import math
        values = list(u) if isinstance(u, (list, tuple)) else [u]
        width = 0.0
        for v in values:
            tex = v if isinstance(v, str) else self.math.doprint(v) if v is not None else ""
            shown = re.sub(r"\\(frac|cdot|approx|left|right|mathrm|text)\b", "", tex)
            shown = re.sub(r"[{}$\\^_]", "", shown)
            width = max(width, 1.65 * len(shown) + 1.0)
        height = 4.6 * len(values)
        return max(9.0, math.hypot(width, height) + 2.0)

    def _print_Network(self, n: Network, depth: int):
        layers = list(n.layers)
        L = len(layers)
        # every unit the same circle, sized to the longest value; the layers spaced to fit it
        size = max((self._unit_size_mm(u) for _, us in layers for u in us), default=9.0)
        dx = max(min(3.2, 14.0 / max(L - 1, 1)), size / 10 + 1.0)
        dy = max(1.35, size / 10 + 0.35)
        wide = dx * (L - 1) + size / 10 > 15.5
        lines = [r"\begin{center}"] + ([r"\resizebox{\linewidth}{!}{%"] if wide else []) + \
            [r"\begin{tikzpicture}[x=" + f"{dx:.2f}" + "cm,y="
             + f"{dy:.2f}" + r"cm,unit/.style={circle,draw,thick,fill=blue!6,"
             f"minimum size={size:.1f}mm," + r"inner sep=1pt,font=\small,align=center},"
             r"link/.style={->,gray!70,shorten >=1pt}]"]
        shown_all = []
        for li, (label, units) in enumerate(layers):
            units = list(units)
            idx = list(range(len(units)))
            if len(units) > MAX_UNITS:
                idx = list(range(MAX_UNITS - 2)) + [None] + [len(units) - 1]
            shown_all.append(idx)
            k = len(idx)
            for pos, u in enumerate(idx):
                y = (k - 1) / 2 - pos
                name = f"n{li}x{pos}"
                if u is None:
                    lines.append(f"\\node ({name}) at ({li},{y:.2f}) {{$\\vdots$}};")
                else:
                    lines.append(f"\\node[unit] ({name}) at ({li},{y:.2f}) "
                                 f"{{{self._unit_text(units[u])}}};")
            top = (max(min(len(list(us)), MAX_UNITS) for _, us in layers) - 1) / 2 + 0.75
            lab = self.inline([label]) if label is not None else ""
            lines.append(f"\\node[font=\\small] at ({li},{top:.2f}) {{{lab}}};")
        for li in range(L - 1):
            for a, ua in enumerate(shown_all[li]):
                for b, ub in enumerate(shown_all[li + 1]):
                    if ua is None or ub is None:
                        continue
                    lines.append(f"\\draw[link] (n{li}x{a}) -- (n{li + 1}x{b});")
        lines.append(r"\end{tikzpicture}" + ("}" if wide else ""))
        if n.caption:
            lines.append(r"\\[0.5ex]" + latex_text(n.caption))
        lines.append(r"\end{center}")
        self.emit(*lines, "")

    def _print_Circuit(self, c: Circuit, depth: int):
        from .circuit import positions
        from .text import circuit_number
        num = circuit_number(self)
        pos = positions(c)
        nodes = {n.name: n for n in c.nodes}
        cols = max(x for x, _ in pos.values()) + 1
        rows = max(y for _, y in pos.values()) + 1
        wide = cols > 6 or rows > 9
        lines = [r"\begin{center}"]
        if wide:
            lines.append(r"\resizebox{\linewidth}{!}{%")
        lines.append(r"\begin{tikzpicture}[x=2.8cm,y=1.7cm,"
                     r"gate/.style={circle,draw,thick,fill=blue!6,minimum size=8mm,"
                     r"inner sep=1pt,font=\small},"
                     r"leaf/.style={inner sep=2pt,font=\small},"
                     r"wire/.style={->,thick,gray!80!black},"
                     r"value/.style={font=\scriptsize,text=green!40!black,above,sloped},"
                     r"grad/.style={font=\scriptsize,text=red!75!black,below,sloped}]")
        ids = {name: f"n{i}" for i, name in enumerate(nodes)}
        label = self.math.doprint
        for name, n in nodes.items():
            x, y = pos[name]
            at = f"({x},{-y:.2f})"
            if n.gate is None:
                lines.append(f"\\node[leaf] ({ids[name]}) at {at} {{${label(n.label)}$}};")
            else:
                lines.append(f"\\node[gate,label={{[font=\\scriptsize]above:${label(n.label)}$}}] "
                             f"({ids[name]}) at {at} {{${_gate_tex(n.gate)}$}};")
        k = 0
        for name, n in nodes.items():
            for slot, (src, const, grad) in enumerate(n.inputs):
                if src is None:
                    x, y = pos[name]
                    off = 0.45 if slot == 0 else -0.45
                    lines.append(f"\\node[leaf] (k{k}) at ({x - 0.55},{-y + off:.2f}) "
                                 f"{{${self.math.number_text(num(const))}$}};")
                    lines.append(f"\\draw[wire] (k{k}) -- ({ids[name]});")
                    k += 1
                    continue
                v = self.math.number_text(num(nodes[src].value))
                g = "" if grad is None else self.math.number_text(num(grad))
                lines.append(f"\\draw[wire] ({ids[src]}) -- node[value] {{${v}$}} "
                             f"node[grad] {{${g}$}} ({ids[name]});")
        out = nodes[c.output]
        x, y = pos[c.output]
        lines.append(f"\\draw[wire] ({ids[c.output]}) -- node[value] "
                     f"{{${self.math.number_text(num(out.value))}$}} node[grad] "
                     f"{{${self.math.number_text(num(out.gradient))}$}} ({x + 0.8},{-y:.2f});")
        lines.append(r"\end{tikzpicture}" + ("}" if wide else ""))
        if c.caption:
            lines.append(r"\\[0.5ex]" + latex_text(c.caption))
        lines.append(r"\end{center}")
        self.emit(*lines, "")


_GATES_TEX = {"+": "+", "−": "-", "×": r"\times", "÷": r"\div", "^": r"x^{y}", "exp": r"\exp",
              "log": r"\log", "√": r"\surd", "|·|": r"\lvert\cdot\rvert", "max": r"\max",
              "min": r"\min", "σ": r"\sigma", "tanh": r"\tanh", "ReLU": r"\mathrm{ReLU}",
              "=": "="}


def _gate_tex(symbol: str) -> str:
    """A gate's symbol in LaTeX maths."""
    return _GATES_TEX.get(symbol) or r"\mathrm{" + latex_text(symbol) + "}"


def render_latex(solution: Solution, options: RenderOptions) -> str:
    """The LaTeX of a solution: a complete document, or the body alone with options.fragment."""
    return LatexRenderer(options).render(solution)
