"""Markdown that renders on GitHub: headings, ``$$`` display maths, ``$`` inline maths, pipe tables.

The maths is LaTeX written to survive GitHub's Markdown pass (see ``latex_math``): rows end with
``\\cr``, never ``\\\\``. A convolution's Grid is a pipe table with the window's cells in bold;
a Network is a table with one column per layer.
"""

from __future__ import annotations

import re

from ..solution import (Circuit, Equation, Grid, Network, Note, Paragraph, Section, Solution,
                        Table)
from .base import LinePrinter, RenderOptions
from .latex import equation_rows, join_row
from .latex_math import LatexMathPrinter

_MD_SPECIAL = re.compile(r"([\\`*_\[\]$<>|])")


def md_text(s: str) -> str:
    """Plain text made inert for Markdown (no emphasis, links, HTML, math or table breaks)."""
    s = str(s).replace("\n", " ")
    s = _MD_SPECIAL.sub(lambda m: {"<": "&lt;", ">": "&gt;"}.get(m.group(1), "\\" + m.group(1)),
                        s)
    # a paragraph that starts like a list item, heading or quote is not one
    s = re.sub(r"^(\s*)(#|[-+=](?=\s|$))", lambda m: m.group(1) + "\\" + m.group(2), s)
    s = re.sub(r"^(\s*\d+)([.)])(?=\s|$)", lambda m: m.group(1) + "\\" + m.group(2), s)
    return s


class MarkdownRenderer(LinePrinter):
    """Solution → GitHub Markdown."""

    def __init__(self, options: RenderOptions | None = None):
        super().__init__(options)
        self.math = LatexMathPrinter(self.options, markdown=True)

    def render(self, solution) -> str:
        text = "\n".join(self.body(solution))
        text = re.sub(r"\n{3,}", "\n\n", text).strip()
        return text + "\n"

    def heading(self, title: str, depth: int):
        self.emit("#" * min(depth + 1, 6) + " " + md_text(title), "")

    def _print_Section(self, s: Section, depth: int):
        self.heading(s.title, depth)
        for b in s.blocks:
            self.print(b, depth + 1)

    def escape(self, text: str) -> str:
        return md_text(text)

    def inline_math(self, e) -> str:
        return "$" + self.math.doprint(e).strip() + "$"

    def _print_Paragraph(self, p: Paragraph, depth: int):
        self.emit(self.inline(p.parts), "")

    def _print_Note(self, n: Note, depth: int):
        self.emit("> **Note:** " + self.inline(n.parts), "")

    def _print_Equation(self, eq: Equation, depth: int):
        lines = equation_rows(eq, self.math, self.relations(eq))
        label = r" \qquad " + self.math.text("(" + eq.label + ")") if eq.label else ""
        if len(lines) == 1:
            body = join_row(lines[0], align=False)
            self.emit("$$", body + label, "$$", "")
            return
        rows = [join_row(l, align=True) for l in lines]
        rows[-1] += label
        self.emit("$$", r"\begin{aligned}", *[r + r" \cr" for r in rows[:-1]], rows[-1],
                  r"\end{aligned}", "$$", "")

    def _table(self, header, rows, align):
        ncols = max([len(header)] + [len(r) for r in rows])
        header = list(header) + [""] * (ncols - len(header))
        lines = ["| " + " | ".join(header) + " |"]
        lines.append("|" + "|".join(":---" if a == "left" else ":---:" if a == "center"
                                     else "---:" for a in align) + "|")
        for r in rows:
            r = list(r) + [""] * (ncols - len(r))
            lines.append("| " + " | ".join(r) + " |")
        return lines

    def _print_Table(self, t: Table, depth: int):
        ncols = max([len(t.header)] + [len(r) for r in t.rows])
        align = [((t.align[j] if t.align and j < len(t.align) else None)
                  or ("left" if j == 0 else "right")) for j in range(ncols)]
        if t.caption:
            self.emit("**" + md_text(t.caption) + "**", "")
        self.emit(*self._table([md_text(h) for h in t.header],
                               [[self.cell(c) for c in row] for row in t.rows], align), "")

    def _print_Grid(self, g: Grid, depth: int):
        import numpy as np
        v = np.asarray(g.values)
        if v.ndim == 1:
            v = v.reshape(1, -1)
        rows, cols = v.shape
        if g.caption:
            self.emit(md_text(g.caption), "")
        body = []
        for i in range(rows):
            r = []
            for j in range(cols):
                t = self.fmt(v[i, j]).text
                r.append(f"**{t}**" if (i, j) in g.marked else t)
            body.append(r)
        self.emit(*self._table([" "] * cols, body, ["center"] * cols), "")

    def _unit(self, u) -> str:
        if isinstance(u, (list, tuple)):
            return ", ".join(self._unit(x) for x in u)
        return self.cell(u)

    def _print_Network(self, n: Network, depth: int):
        layers = list(n.layers)
        if n.caption:
            self.emit(md_text(n.caption), "")
        header = [self.inline([label]) if label is not None else "" for label, _ in layers]
        height = max((len(list(units)) for _, units in layers), default=0)
        rows = []
        for i in range(height):
            rows.append([self._unit(list(units)[i]) if i < len(list(units)) else ""
                         for _, units in layers])
        self.emit(*self._table(header, rows, ["center"] * len(layers)), "")

    def _print_Circuit(self, c: Circuit, depth: int):
        from .circuit import text_pieces
        from .text import circuit_number
        from .unicode import UnicodePrinter
        line = UnicodePrinter(self.options).line
        pieces = text_pieces(c, circuit_number(self), lambda n: line(n.label),
                             self.options.width - 2)
        if c.caption:
            self.emit(md_text(c.caption), "")
        lines = []
        for i, piece in enumerate(pieces):
            if i:
                lines.append("")
            lines.extend(piece)
        # an indented code block: monospace on GitHub, and nothing in it is read as Markdown
        self.emit(*[("    " + l) if l else "" for l in lines], "")


def render_markdown(solution: Solution, options: RenderOptions) -> str:
    """The GitHub Markdown of a solution."""
    return MarkdownRenderer(options).render(solution)
