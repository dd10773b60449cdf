"""The terminal: sections as headings, formulas in Unicode, tables and grids with rich."""

from __future__ import annotations

import io
import re

from ..expr import Expr
from ..solution import Equation, Grid, Network, Note, Paragraph, Section, Solution, Table
from .base import Printer, RenderOptions
from .unicode import Box, UnicodePrinter, hcat


_KEEP = "\ue000"     # a space inside a formula while a paragraph is wrapped (not a break)


_OPERATOR_SPACE = re.compile(r" (?=[=−+·×<>≤≥←→≈] )|(?<= [=−+·×<>≤≥←→≈]) ")


class TextRenderer(Printer):
    """Solution → rich renderables, printed to a string."""

    def __init__(self, options: RenderOptions | None = None):
        super().__init__(options)
        self.math = UnicodePrinter(self.options)

    def render(self, solution: Solution) -> str:
        from rich.console import Console
        out = io.StringIO()
        o = self.options
        self.console = Console(file=out, width=o.width, force_terminal=o.color,
                               color_system="standard" if o.color else None,
                               no_color=not o.color, highlight=False, emoji=False,
                               soft_wrap=False, force_jupyter=False)   # into `out`, also in a
        # notebook's kernel (where rich would otherwise display the text itself)
        self._plain = None if o.color else out     # uncoloured lines that fit skip rich
        if solution.title:
            self._heading(solution.title, 0)
        for block in solution.blocks:
            self.print(block, 1)
        return out.getvalue()

    # --- blocks ---------------------------------------------------------------------------
    def _heading(self, title: str, depth: int):
        from rich.text import Text
        c = self.console
        if depth == 0:
            c.print(Text(title, style="bold underline"))
            c.print()
        elif depth == 1:
            c.rule(Text(title, style="bold cyan"), align="left", style="cyan")
        else:
            c.print(Text(title, style="bold"))

    def _print_Section(self, s: Section, depth: int):
        self._heading(s.title, depth)
        for b in s.blocks:
            self.print(b, depth + 1)
        if depth <= 2:
            self.console.print()

    def _inline(self, parts) -> str:
        return "".join(p if isinstance(p, str) else self.math.line(p) for p in parts)

    def _fast(self, line: str) -> bool:
        """Write an uncoloured line that rich would print unchanged (it fits, no control
        characters) straight to the output; False when rich must lay it out."""
        if self._plain is None or not line.isprintable():
            return False
        from rich.cells import cell_len
        if cell_len(line) > self.console.width or line != line.rstrip():
            return False
        self._plain.write(line + "\n")
        return True

    def _print_Paragraph(self, p: Paragraph, depth: int):
        text = self._inline(p.parts)
        if not self._fast(text):
            self._print_wrapped(None, p.parts, "")

    def _print_Note(self, n: Note, depth: int):
        from rich.text import Text
        self._print_wrapped(Text("Note: ", style="bold yellow"), n.parts, "italic")

    def _print_wrapped(self, head, parts, style: str):
        """Text and formulas wrapped at the spaces of the text: a formula (`η = 0.01`) is kept
        on one line unless it is wider than a line by itself."""
        from rich.cells import cell_len
        from rich.text import Text
        width = self.console.width
        pieces = []
        for p in parts:
            if isinstance(p, str):      # nor at an operator written in the text (`η = 0.1`)
                pieces.append(_OPERATOR_SPACE.sub(_KEEP, p))
            else:
                m = self.math.line(p)
                pieces.append(m.replace(" ", _KEEP) if cell_len(m) <= width // 2 else m)
        text = Text("", style=style) if head is None else head.copy()
        text.append("".join(pieces), style=style)
        for line in text.wrap(self.console, width):
            fixed = Text(line.plain.replace(_KEEP, " "), style=line.style, end="")
            fixed.spans = list(line.spans)
            self.console.print(fixed, overflow="ignore", crop=False, no_wrap=True)

    def equation_lines(self, eq: Equation, width: int) -> list[str]:
        """The equation as lines, wrapped at a relation when it is wider than the terminal."""
        m = self.math
        parts = [m.box(p) for p in eq.parts]
        rels = self.relations(eq)
        if not rels:
            return str(parts[0]).split("\n")
        head = parts[0]
        segments = [hcat(f" {r} ", p) for r, p in zip(rels, parts[1:])]
        rows: list[Box] = []
        current = head
        indent = min(head.width, 24)
        for seg in segments:
            if current.width + seg.width <= width or current is head:
                current = hcat(current, seg)
            else:
                rows.append(current)
                current = hcat(" " * indent, seg)
        rows.append(current)
        lines = []
        for r in rows:
            lines.extend(str(r).split("\n"))
        return lines

    def _print_Equation(self, eq: Equation, depth: int):
        from rich.text import Text
        lines = self.equation_lines(eq, self.options.width - 2)
        label = f"   ({eq.label})" if eq.label else ""
        for i, line in enumerate(lines):
            if self._fast("  " + line + (label if i == 0 else "")):
                continue
            t = Text("  " + line)
            if label and i == 0:
                t.append(label, style="dim")
            self.console.print(t, overflow="ignore", crop=False)

    def _cell(self, cell) -> str:
        if isinstance(cell, str):
            return cell
        if isinstance(cell, Expr):
            return self.math.line(cell)
        if cell is None:
            return ""
        return self.fmt(cell).text

    def _print_Table(self, t: Table, depth: int):
        from rich import box
        from rich.cells import cell_len
        from rich.table import Table as RichTable
        cells = [[self._cell(c) for c in row] for row in t.rows]
        aligns = [(t.align[j] if t.align and j < len(t.align) else None) or
                  ("left" if j == 0 else "right") for j in range(len(t.header))]
        widths = [max([cell_len(h)] + [cell_len(r[j]) for r in cells if j < len(r)])
                  for j, h in enumerate(t.header)]
        gap = 3
        rest = sum(widths[1:]) + gap * (len(widths) - 1)     # the columns after the first
        # stacked when the first column would keep less than half its width beside the others
        if len(t.header) >= 3 and self.console.width - rest < widths[0] / 2 \
                and rest + 1 <= self.console.width:
            self._stacked_table(t, cells, widths, aligns)
            return
        rt = RichTable(box=box.SIMPLE_HEAD, title=t.caption, title_justify="left",
                       show_edge=False, pad_edge=False)
        for j, h in enumerate(t.header):
            rt.add_column(h, justify=aligns[j])
        for row in cells:
            rt.add_row(*row)
        self.console.print(rt)

    def _stacked_table(self, t: Table, cells, widths, aligns):
        """A table too wide for the terminal whose first column is words (a layer's name): each
        row is that name on a line, and the other columns below it, indented, so that no cell
        is broken across lines."""
        from rich.cells import cell_len, set_cell_size
        from rich.text import Text
        indent = 4

        def line(row) -> str:
            parts = []
            for j in range(1, len(widths)):
                c = row[j] if j < len(row) else ""
                pad = widths[j] - cell_len(c)
                parts.append(" " * pad + c if aligns[j] == "right" else c + " " * pad)
            return (" " * indent + "   ".join(parts)).rstrip()

        out = [t.header[0], line(t.header), "─" * min(self.console.width,
                                                      cell_len(line(t.header)))]
        if t.caption:
            out.insert(0, t.caption)
        for row in cells:
            out.append(row[0] if row else "")
            values = line(row)
            if values.strip():
                out.append(values)
        for text in out:
            for piece in Text(text).wrap(self.console, self.console.width):
                self.console.print(set_cell_size(piece.plain, cell_len(piece.plain)),
                                   overflow="ignore", crop=False, no_wrap=True)

    def _print_Grid(self, g: Grid, depth: int):
        from rich.text import Text
        import numpy as np
        v = np.asarray(g.values)
        cells = [[self.fmt(x).text for x in row] for row in v]
        w = max(len(c) for row in cells for c in row)
        color = self.options.color
        if g.caption:
            self.console.print(Text(g.caption))
        for i, row in enumerate(cells):
            t = Text("  ")
            for j, c in enumerate(row):
                marked = (i, j) in g.marked
                if color:
                    t.append(f" {c.rjust(w)} ", style="bold black on yellow" if marked else "")
                else:
                    t.append(f"[{c.rjust(w)}]" if marked else f" {c.rjust(w)} ")
            self.console.print(t, overflow="ignore", crop=False)

    def _print_Network(self, n: Network, depth: int):
        from rich.text import Text
        pieces = []
        for label, units in n.layers:
            pieces.append(f"{self._inline([label])} ({', '.join(self._cell(u) for u in units)})")
        self.console.print(Text("  " + "  →  ".join(pieces)))


def render_text(solution: Solution, options: RenderOptions) -> str:
    """The terminal rendering of a solution."""
    return TextRenderer(options).render(solution)

